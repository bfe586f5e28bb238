//! Configuration, layered: defaults → TOML file (`--config`) → `GRADPHOTO_` environment
//! (`__` nests, e.g. `GRADPHOTO_DATABASE__URL`) → command-line flags. Secrets are
//! `SecretString`s and never printed; `gradphoto config default` prints [`DEFAULT_TOML`].

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::AppError;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub listen: String,
    pub data_dir: PathBuf,
    pub database: DatabaseConfig,
    pub storage: StorageConfig,
    pub security: SecurityConfig,
    pub worker: WorkerConfig,
    pub limits: LimitsConfig,
    pub registry: RegistryConfig,
    pub sms: SmsConfig,
    pub payments: PaymentsConfig,
    pub documents: DocumentsConfig,
    pub log: LogConfig,
}

/// Printable documents (the shooting sheet, the schedule, the notice).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentsConfig {
    /// A TrueType font with Chinese and Latin glyphs, embedded (subset) in every PDF.
    pub font: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub url: String,
    pub max_connections: u32,
    pub busy_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    pub kind: String,
    pub dir: String,
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    #[serde(serialize_with = "ser_redacted")]
    pub secret_access_key: SecretString,
    pub allow_http: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    #[serde(serialize_with = "ser_redacted")]
    pub pii_key: SecretString,
    /// Only `gradphoto demo` sets this: it generates a throwaway key instead of
    /// requiring one.
    pub allow_generated_key: bool,
    pub cookie_secure: bool,
    pub session_ttl_hours: u64,
    pub login_max_failures: i64,
    pub login_max_failures_per_ip: i64,
    pub login_window_minutes: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    pub enabled: bool,
    pub poll_interval_ms: u64,
    pub lease_seconds: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    pub upload_max_bytes: usize,
    pub roster_max_rows: usize,
}

/// The registry's side (gradphoto's stand-in for 学信网), when this process hosts it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    pub host: bool,
    #[serde(serialize_with = "ser_redacted")]
    pub master_key: SecretString,
    pub url: String,
    #[serde(serialize_with = "ser_redacted")]
    pub agency_token: SecretString,
    pub keys_max_age_seconds: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    /// "log": messages go to the server log only (development and the demo).
    pub provider: String,
    /// Show the log provider's messages on /demo/sms-inbox. Demo only: anyone who can
    /// open that page can read every login code.
    pub demo_inbox: bool,
    pub aliyun: AliyunSmsConfig,
}

/// Alibaba Cloud SMS (`sms.provider = "aliyun"`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AliyunSmsConfig {
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    #[serde(serialize_with = "ser_redacted")]
    pub access_key_secret: SecretString,
    pub sign_name: String,
    pub code_template: String,
    /// The approved template of the on-site reminder; empty: reminders are not sent.
    pub reminder_template: String,
    /// The approved template of a make-up booking's confirmation; empty: not sent (the
    /// booking page says the same).
    pub makeup_template: String,
    /// The approved template of the day-before reminder of a make-up booking; empty: not
    /// sent.
    pub makeup_reminder_template: String,
}

/// How students pay (`[payments]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsConfig {
    /// "off", "sandbox" (the demo's payer, no real money) or "live".
    pub mode: String,
    /// This server's public base URL, for the providers' notifications.
    pub notify_base_url: String,
    /// Minutes an issued payment waits for its notification before the provider is asked.
    pub query_after_minutes: i64,
    /// Minutes a make-up booking of a service paid online holds its place unpaid before
    /// it is released.
    pub booking_hold_minutes: i64,
    pub wechat: WechatPayConfig,
    pub alipay: AlipayConfig,
}

/// WeChat Pay API v3, Native (`[payments.wechat]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WechatPayConfig {
    pub enabled: bool,
    pub endpoint: String,
    pub appid: String,
    pub mchid: String,
    pub merchant_serial_no: String,
    pub merchant_key_file: String,
    #[serde(serialize_with = "ser_redacted")]
    pub api_v3_key: SecretString,
    pub platform_serial: String,
    pub platform_public_key_file: String,
}

/// Alipay open platform, precreate (`[payments.alipay]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlipayConfig {
    pub enabled: bool,
    pub gateway: String,
    pub app_id: String,
    pub seller_id: String,
    pub app_key_file: String,
    pub alipay_public_key_file: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: String,
    pub level: String,
}

fn ser_redacted<S: serde::Serializer>(v: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    if v.expose_secret().is_empty() {
        s.serialize_str("")
    } else {
        s.serialize_str("***")
    }
}

/// Every key with its default and a comment. A unit test checks that this text parses to
/// exactly `Config::default()`, so the two cannot drift apart.
pub const DEFAULT_TOML: &str = r#"# gradphoto configuration. Every key is optional; this file shows the defaults.
# Layering: defaults -> this file (--config) -> GRADPHOTO_* environment -> flags.
# Environment names nest with "__": GRADPHOTO_DATABASE__URL, GRADPHOTO_STORAGE__KIND, ...

# Address the HTTP server listens on.
listen = "127.0.0.1:8080"
# Directory for the SQLite database and local photo storage.
data_dir = "data"

[database]
# Empty: SQLite at <data_dir>/gradphoto.db (WAL mode). For scale-out:
# postgres://user:password@host:5432/gradphoto (several `serve` processes may share it).
url = ""
# Connections per process.
max_connections = 8
# How long a SQLite writer waits for the lock before failing, in milliseconds.
busy_timeout_ms = 10000

[storage]
# Where photos and uploaded files live: "local", "s3" or "memory" (tests only).
kind = "local"
# local: directory; empty means <data_dir>/blobs.
dir = ""
# s3: endpoint URL of an S3-compatible service; empty means AWS.
endpoint = ""
# s3: bucket name.
bucket = ""
# s3: region.
region = "us-east-1"
# s3: access key id.
access_key_id = ""
# s3: secret access key (secret; prefer GRADPHOTO_STORAGE__SECRET_ACCESS_KEY).
secret_access_key = ""
# s3: allow plain http endpoints (loopback test servers only).
allow_http = false

[security]
# Key for ID numbers at rest: 32 random bytes, base64 (secret; required).
# Generate one with: head -c32 /dev/urandom | base64
pii_key = ""
# Generate a throwaway key when pii_key is empty (only `gradphoto demo` should).
allow_generated_key = false
# Send cookies only over HTTPS. Turn off only for plain-http local use.
cookie_secure = true
# Staff session lifetime in hours.
session_ttl_hours = 12
# Failed logins per account within the window before further attempts are refused.
login_max_failures = 5
# Failed logins per client address within the window.
login_max_failures_per_ip = 30
# The throttling window in minutes.
login_window_minutes = 15

[worker]
# Run the background worker inside `serve` (run `gradphoto worker` separately if false).
enabled = true
# How often an idle worker looks for jobs, in milliseconds.
poll_interval_ms = 1000
# How long a claimed job stays leased before another worker may retry it, in seconds.
lease_seconds = 300

[limits]
# Largest accepted upload (rosters, photos), in bytes.
upload_max_bytes = 10485760
# Largest roster accepted in one import, in rows.
roster_max_rows = 100000

[registry]
# Host the registry's side (gradphoto's stand-in for 学信网) in this process under /registry:
# student status, collection codes, published keys, the intake of sealed photos. Off for an
# agency-only deployment that talks to a registry elsewhere.
host = false
# The registry's own master key: 32 random bytes, base64 (secret; required when host = true).
# It encrypts the registry's key ring at rest; it is not the agency's pii_key.
master_key = ""
# Where the agency side reaches the registry's API, e.g. https://registry.example.cn/registry.
# Empty: this process's own /registry (when host = true).
url = ""
# The agency's API token at the registry (secret). Empty: the token stored by the demo or
# by an administrator in the database.
agency_token = ""
# How long the agency trusts its cached copy of the registry's keys and revocation list
# before asking again, in seconds. Desks keep verifying with the cache while offline.
keys_max_age_seconds = 300

[sms]
# Text messages to students (login codes): "log" writes them to the server log and sends
# nothing (development and the demo); "aliyun" sends through Alibaba Cloud SMS ([sms.aliyun]).
provider = "log"
# Show the log provider's messages on /demo/sms-inbox (the demo turns this on). Never in
# production: anyone who can open the page reads every login code.
demo_inbox = false

[sms.aliyun]
# Alibaba Cloud SMS (Dysmsapi 2017-05-25, SendSms). Used when provider = "aliyun".
endpoint = "https://dysmsapi.aliyuncs.com/"
region = "cn-hangzhou"
# The RAM user's AccessKey pair (the secret is a secret).
access_key_id = ""
access_key_secret = ""
# The approved signature (签名) and the approved template of the code message, whose
# one parameter is ${code}.
sign_name = ""
code_template = ""
# The approved template of the reminder sent the day before an on-site session, with the
# parameters ${day}, ${time}, ${place} and ${group}; empty: no reminders are sent.
reminder_template = ""
# The approved template of a make-up booking's confirmation, with the parameters ${time},
# ${place} and ${code}; empty: not sent.
makeup_template = ""
# The approved template of the reminder sent the day before a make-up booking, with the
# parameters ${time}, ${place} and ${code}; empty: not sent.
makeup_reminder_template = ""

[payments]
# How students pay their fee: "off" (online payment not offered), "sandbox" (the demo: a
# clearly marked page plays the payer with public test keys, no real money; never in
# production) or "live" (the providers below that are enabled).
mode = "off"
# This server's public base URL as the providers reach it; notifications go to
# <base>/pay/notify/wechat and <base>/pay/notify/alipay. HTTPS in production.
notify_base_url = ""
# Minutes an issued payment waits for its notification before gradphoto asks the provider.
query_after_minutes = 5
# Minutes a make-up booking of a service paid online holds its place while unpaid; then the
# place is released (money that arrives later is refunded).
booking_hold_minutes = 30

[payments.wechat]
# WeChat Pay API v3, Native (QR) payments.
enabled = false
endpoint = "https://api.mch.weixin.qq.com"
appid = ""
mchid = ""
# The serial number of the merchant API certificate and its private key (PKCS#8 PEM file).
merchant_serial_no = ""
merchant_key_file = ""
# The APIv3 key, 32 characters (secret; prefer GRADPHOTO_PAYMENTS__WECHAT__API_V3_KEY).
api_v3_key = ""
# The WeChat Pay platform public key (PEM file) and the serial (Wechatpay-Serial) it signs with.
platform_serial = ""
platform_public_key_file = ""

[payments.alipay]
# Alipay open platform, precreate (QR) payments, RSA2.
enabled = false
gateway = "https://openapi.alipay.com/gateway.do"
app_id = ""
# The merchant's Alipay user id (2088...), checked on every notification.
seller_id = ""
# The application's private key (PKCS#8 PEM file) and Alipay's public key (PEM file).
app_key_file = ""
alipay_public_key_file = ""

[documents]
# A TrueType font with Chinese and Latin glyphs, embedded (as a subset) in every PDF:
# WenQuanYi Micro Hei from Debian's fonts-wqy-microhei (scripts/fetch-fonts installs it).
font = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

[log]
# "text" for people, "json" for log collectors.
format = "text"
# Filter, e.g. "info" or "gradphoto=debug,info".
level = "info"
"#;

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database: DatabaseConfig {
                url: String::new(),
                max_connections: 8,
                busy_timeout_ms: 10_000,
            },
            storage: StorageConfig {
                kind: "local".into(),
                dir: String::new(),
                endpoint: String::new(),
                bucket: String::new(),
                region: "us-east-1".into(),
                access_key_id: String::new(),
                secret_access_key: SecretString::from(String::new()),
                allow_http: false,
            },
            security: SecurityConfig {
                pii_key: SecretString::from(String::new()),
                allow_generated_key: false,
                cookie_secure: true,
                session_ttl_hours: 12,
                login_max_failures: 5,
                login_max_failures_per_ip: 30,
                login_window_minutes: 15,
            },
            worker: WorkerConfig {
                enabled: true,
                poll_interval_ms: 1000,
                lease_seconds: 300,
            },
            limits: LimitsConfig {
                upload_max_bytes: 10 * 1024 * 1024,
                roster_max_rows: 100_000,
            },
            registry: RegistryConfig {
                host: false,
                master_key: SecretString::from(String::new()),
                url: String::new(),
                agency_token: SecretString::from(String::new()),
                keys_max_age_seconds: 300,
            },
            sms: SmsConfig {
                provider: "log".into(),
                demo_inbox: false,
                aliyun: AliyunSmsConfig {
                    endpoint: "https://dysmsapi.aliyuncs.com/".into(),
                    region: "cn-hangzhou".into(),
                    access_key_id: String::new(),
                    access_key_secret: SecretString::from(String::new()),
                    sign_name: String::new(),
                    code_template: String::new(),
                    reminder_template: String::new(),
                    makeup_template: String::new(),
                    makeup_reminder_template: String::new(),
                },
            },
            payments: PaymentsConfig {
                mode: "off".into(),
                notify_base_url: String::new(),
                query_after_minutes: 5,
                booking_hold_minutes: 30,
                wechat: WechatPayConfig {
                    enabled: false,
                    endpoint: "https://api.mch.weixin.qq.com".into(),
                    appid: String::new(),
                    mchid: String::new(),
                    merchant_serial_no: String::new(),
                    merchant_key_file: String::new(),
                    api_v3_key: SecretString::from(String::new()),
                    platform_serial: String::new(),
                    platform_public_key_file: String::new(),
                },
                alipay: AlipayConfig {
                    enabled: false,
                    gateway: "https://openapi.alipay.com/gateway.do".into(),
                    app_id: String::new(),
                    seller_id: String::new(),
                    app_key_file: String::new(),
                    alipay_public_key_file: String::new(),
                },
            },
            documents: DocumentsConfig {
                font: gradphoto_pdf::DEFAULT_FONT_PATH.into(),
            },
            log: LogConfig {
                format: "text".into(),
                level: "info".into(),
            },
        }
    }
}

impl Config {
    /// Loads the layers. `overrides` are the flags, as a partial TOML-shaped value.
    pub fn load(file: Option<&Path>, overrides: serde_json::Value) -> Result<Config, AppError> {
        let mut f = Figment::from(Serialized::defaults(DefaultsForFigment::new()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(AppError::Config(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            f = f.merge(Toml::file(path));
        }
        f = f.merge(
            // Not configuration: the test harness's settings (GRADPHOTO_TEST_*, and
            // GRADPHOTO_PHOTOS_DEV for the labelled photos), the password and token that
            // `gradphoto staff add` and `registry-link set-token` read, and the account of
            // `gradphoto station` (unknown keys would be refused below).
            Env::prefixed("GRADPHOTO_").split("__").filter(|k| {
                let k = k.as_str().to_ascii_lowercase();
                !k.starts_with("test_")
                    && k != "new_password"
                    && k != "new_token"
                    && k != "photos_dev"
                    && !k.starts_with("station_")
            }),
        );
        f = f.merge(Serialized::globals(overrides));
        f.extract().map_err(|e| AppError::Config(e.to_string()))
    }

    /// The database URL: the configured one, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("gradphoto.db").display())
        } else {
            self.database.url.clone()
        }
    }

    /// The object-store configuration from the `[storage]` section.
    pub fn blob_config(&self) -> Result<gradphoto_blob::BlobConfig, AppError> {
        use gradphoto_blob::BlobConfig;
        Ok(match self.storage.kind.as_str() {
            "local" => BlobConfig::Local {
                dir: self.blob_dir(),
            },
            "memory" => BlobConfig::Memory,
            "s3" => {
                if self.storage.bucket.is_empty() {
                    return Err(AppError::Config(
                        "storage.bucket is required for kind = \"s3\"".into(),
                    ));
                }
                BlobConfig::S3 {
                    endpoint: Some(self.storage.endpoint.clone()).filter(|e| !e.is_empty()),
                    bucket: self.storage.bucket.clone(),
                    region: self.storage.region.clone(),
                    access_key_id: self.storage.access_key_id.clone(),
                    secret_access_key: self.storage.secret_access_key.clone(),
                    allow_http: self.storage.allow_http,
                }
            }
            other => {
                return Err(AppError::Config(format!(
                    "storage.kind must be local, s3 or memory, not {other:?}"
                )));
            }
        })
    }

    /// The registry's API base URL as the agency side reaches it: the configured one, or
    /// this process's own `/registry` when it hosts the registry.
    pub fn registry_url(&self) -> Option<String> {
        let url = self.registry.url.trim().trim_end_matches('/');
        if !url.is_empty() {
            return Some(url.to_string());
        }
        if !self.registry.host {
            return None;
        }
        let listen = self
            .listen
            .replace("0.0.0.0", "127.0.0.1")
            .replace("[::]", "[::1]");
        Some(format!("http://{listen}/registry"))
    }

    /// The directory of local blob storage.
    pub fn blob_dir(&self) -> PathBuf {
        if self.storage.dir.is_empty() {
            self.data_dir.join("blobs")
        } else {
            PathBuf::from(&self.storage.dir)
        }
    }
}

/// The defaults with secrets as plain strings, because figment's serializer must not see
/// the redacting serializer of the real struct.
#[derive(Serialize)]
struct DefaultsForFigment(toml::Value);

impl DefaultsForFigment {
    fn new() -> DefaultsForFigment {
        DefaultsForFigment(
            toml::from_str(DEFAULT_TOML).unwrap_or(toml::Value::Table(Default::default())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &Config, b: &Config) -> bool {
        serde_json::to_value(a).ok() == serde_json::to_value(b).ok()
            && a.security.pii_key.expose_secret() == b.security.pii_key.expose_secret()
            && a.storage.secret_access_key.expose_secret()
                == b.storage.secret_access_key.expose_secret()
            && a.registry.master_key.expose_secret() == b.registry.master_key.expose_secret()
            && a.registry.agency_token.expose_secret() == b.registry.agency_token.expose_secret()
    }

    #[test]
    fn the_example_file_is_the_printed_defaults() {
        assert_eq!(
            include_str!("../../../config/gradphoto.example.toml"),
            DEFAULT_TOML,
            "regenerate config/gradphoto.example.toml with `gradphoto config default`"
        );
    }

    #[test]
    fn printed_defaults_are_the_defaults() {
        let parsed: Config = toml::from_str(DEFAULT_TOML).expect("DEFAULT_TOML parses");
        assert!(same(&parsed, &Config::default()));
        // Every key of the struct is documented in the printed file.
        let keys = serde_json::to_value(Config::default()).expect("json");
        let printed: toml::Value = toml::from_str(DEFAULT_TOML).expect("toml");
        for (section, v) in keys.as_object().expect("object") {
            match v.as_object() {
                Some(inner) => {
                    for k in inner.keys() {
                        assert!(
                            printed.get(section).and_then(|s| s.get(k)).is_some(),
                            "{section}.{k} missing"
                        );
                    }
                }
                None => assert!(printed.get(section).is_some(), "{section} missing"),
            }
        }
    }

    #[test]
    fn layers_apply_in_order_and_secrets_stay_hidden() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("g.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\n[database]\nmax_connections = 3\n[security]\npii_key = \"c2VjcmV0\"\n").expect("write");
        let c = Config::load(
            Some(&file),
            serde_json::json!({"database": {"max_connections": 4}}),
        )
        .expect("load");
        assert_eq!(c.listen, "0.0.0.0:9000", "file overrides default");
        assert_eq!(c.database.max_connections, 4, "flags override file");
        assert_eq!(c.security.pii_key.expose_secret(), "c2VjcmV0");
        let shown = serde_json::to_string(&c).expect("json");
        assert!(!shown.contains("c2VjcmV0") && shown.contains("***"));
        assert!(!format!("{c:?}").contains("c2VjcmV0"));
        assert!(
            Config::load(
                Some(&dir.path().join("missing.toml")),
                serde_json::json!({})
            )
            .is_err()
        );
        std::fs::write(&file, "nonsense_key = 1\n").expect("write");
        assert!(
            Config::load(Some(&file), serde_json::json!({})).is_err(),
            "unknown keys are refused"
        );
    }
}
