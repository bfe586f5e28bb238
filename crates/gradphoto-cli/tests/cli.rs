//! The binary as an operator uses it: configuration layering, migrations, imports and
//! exports from the command line.

use std::path::Path;
use std::process::{Command, Output};

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn gradphoto(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .args(["--data-dir", dir.to_str().expect("utf-8 path")])
        .args(args)
        .env("GRADPHOTO_SECURITY__PII_KEY", KEY)
        .env_remove("GRADPHOTO_DATABASE__URL")
        .output()
        .expect("run gradphoto")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn config_default_prints_every_key_and_matches_the_example_file() {
    let o = Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .args(["config", "default"])
        .output()
        .expect("run");
    assert!(o.status.success());
    let printed = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        printed,
        include_str!("../../../config/gradphoto.example.toml")
    );
}

#[test]
fn layers_environment_over_file_and_flags_over_environment_and_hide_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("g.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:7000\"\n[log]\nlevel = \"warn\"\n[database]\nmax_connections = 2\n",
    )
    .expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .args([
            "--config",
            file.to_str().expect("path"),
            "--log-format",
            "json",
            "config",
            "show",
        ])
        .env("GRADPHOTO_LOG__LEVEL", "debug")
        .env("GRADPHOTO_DATABASE__MAX_CONNECTIONS", "5")
        .env("GRADPHOTO_LOG__FORMAT", "text")
        .env("GRADPHOTO_SECURITY__PII_KEY", KEY)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["listen"], "127.0.0.1:7000", "file over default");
    assert_eq!(v["log"]["level"], "debug", "environment over file");
    assert_eq!(
        v["database"]["max_connections"], 5,
        "environment nests with __"
    );
    assert_eq!(v["log"]["format"], "json", "flag over environment");
    assert!(!text(&o).contains(KEY), "the key is never printed");
    assert_eq!(v["security"]["pii_key"], "***");
}

#[test]
fn refuses_to_start_without_a_key_or_with_an_unknown_setting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .args(["--data-dir", dir.path().to_str().expect("path"), "migrate"])
        .env_remove("GRADPHOTO_SECURITY__PII_KEY")
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(text(&o).contains("pii_key"), "{}", text(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .args(["--data-dir", dir.path().to_str().expect("path"), "migrate"])
        .env("GRADPHOTO_SECURITY__PII_KEY", KEY)
        .env("GRADPHOTO_SECURITY__PII_KYE", "typo")
        .output()
        .expect("run");
    assert!(
        !o.status.success(),
        "a misspelt key is an error, not silently ignored"
    );
}

#[test]
fn roster_import_and_export_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(gradphoto(dir.path(), &["migrate"]).status.success());
    assert!(
        gradphoto(dir.path(), &["migrate"]).status.success(),
        "migrating twice is fine"
    );
    // A university to import into, created through the same use case as the web form.
    let o = Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .args([
            "--data-dir",
            dir.path().to_str().expect("path"),
            "staff",
            "add",
            "boss",
            "--role",
            "agency_admin",
        ])
        .env("GRADPHOTO_SECURITY__PII_KEY", KEY)
        .env("GRADPHOTO_NEW_PASSWORD", "long enough password")
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    let o = gradphoto(
        dir.path(),
        &["import", "roster", "--school", "10001", "/nonexistent.csv"],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("10001"),
        "unknown school is named: {}",
        text(&o)
    );
}

/// The hosted registry's administration: without the host switch it says so; with it,
/// clients get a token once, keys rotate and the published set grows; the agency stores a
/// token from the environment.
#[test]
fn registry_server_and_link_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = gradphoto(dir.path(), &["registry-server", "keys"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("registry"), "{}", text(&o));
    let hosted = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gradphoto"))
            .args(["--data-dir", dir.path().to_str().expect("utf-8")])
            .args(args)
            .env("GRADPHOTO_SECURITY__PII_KEY", KEY)
            .env("GRADPHOTO_REGISTRY__HOST", "true")
            .env("GRADPHOTO_REGISTRY__MASTER_KEY", KEY)
            .env("GRADPHOTO_NEW_TOKEN", "gpr_example_token")
            .env_remove("GRADPHOTO_DATABASE__URL")
            .output()
            .expect("run gradphoto")
    };
    let o = hosted(&[
        "registry-server",
        "client",
        "--name",
        "厦门大学",
        "--school",
        "10384",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .trim()
            .starts_with("gpr_")
    );
    let keys = |o: &Output| -> serde_json::Value {
        serde_json::from_slice(&o.stdout).expect("key set JSON")
    };
    let o = hosted(&["registry-server", "keys"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(keys(&o)["keys"].as_array().map(Vec::len), Some(2));
    let o = hosted(&["registry-server", "rotate", "--signing"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("sig-"));
    let o = hosted(&["registry-server", "keys"]);
    assert_eq!(keys(&o)["keys"].as_array().map(Vec::len), Some(3));
    let o = hosted(&["registry-link", "set-token", "agency"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = hosted(&["registry-link", "set-token", "bogus"]);
    assert!(!o.status.success());
}
