//! Use cases: what the HTTP handlers, the CLI commands and the background jobs share. Each
//! public method of [`App`] checks access through the domain policy, does its work through
//! the storage crates, and writes the audit log in the same transaction as the change.
//!
//! This crate must not depend on the web or CLI crates.

pub mod auth;
pub mod campaign_input;
pub mod campaigns;
pub mod config;
pub mod demo;
pub mod desk;
mod desk_memo;
pub mod electronic_photo;
pub mod error;
pub mod jobs;
pub mod login_codes;
pub mod makeup_booking;
pub mod makeup_booking_money;
pub mod makeup_branches;
pub mod makeup_checkin;
pub mod makeup_day;
pub mod makeup_reminders;
pub mod online_entry;
pub mod online_handover;
pub mod online_orders;
pub mod online_photos;
pub mod onsite_checkin;
pub mod onsite_desk_fee;
pub mod onsite_notice;
pub mod onsite_offline;
pub mod onsite_plan;
pub mod onsite_progress;
pub mod onsite_registration;
pub mod onsite_registration_sheet;
pub mod onsite_reminders;
pub mod onsite_schedule;
pub mod onsite_settlements;
pub mod onsite_sheet;
pub mod onsite_station;
pub mod order_filter;
pub mod order_list;
pub mod order_sheet;
pub mod order_shipping;
pub mod payments;
pub mod pii;
pub mod print_custody;
pub mod print_pdf;
pub mod prints;
pub mod progress;
pub mod registry_link;
pub mod roster;
mod school_memo;
mod session_memo;
pub mod sms;
pub mod status_reports;
pub mod student_centre;
pub mod students_online;
pub mod tenants;
pub mod verification_window;

use std::sync::Arc;

use gradphoto_blob::Blobs;
use gradphoto_db::{Db, DbOptions};
use gradphoto_photo::Engine;
use gradphoto_registry::Registry;
use secrecy::ExposeSecret;

pub use error::AppError;

use crate::config::Config;
use crate::pii::Pii;

/// Everything a request, command or job needs. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    /// Photos and uploaded files: local directory, S3-compatible bucket, or memory.
    pub blobs: Blobs,
    pub config: Arc<Config>,
    pub pii: Pii,
    /// Wakes the in-process worker when a job is enqueued, instead of waiting for a poll.
    pub job_signal: Arc<tokio::sync::Notify>,
    /// The photo engine (face models loaded once), shared by every check.
    pub engine: Arc<Engine>,
    /// The registry's side, when this process hosts it (`registry.host`). The agency's
    /// use cases never call it directly: they go through the registry's HTTP API.
    pub registry: Option<Registry>,
    /// HTTP client for the registry's API (the agency side).
    pub http: reqwest::Client,
    /// Text messages to students (login codes, reminders).
    pub sms: sms::Sms,
    /// How students pay: the configured providers, or the demo's sandbox.
    pub payments: payments::Providers,
    /// The PDFs' font, read on first use (a missing font stops only the PDFs).
    pub(crate) font: Arc<std::sync::OnceLock<Arc<gradphoto_pdf::Font>>>,
    /// The registry's key set as last parsed (see [`App::registry_keys`]).
    pub(crate) keys_memo: Arc<registry_link::KeysMemo>,
    /// Universities and departments as the desk reads them (see [`App::school`]).
    pub(crate) school_memo: Arc<school_memo::SchoolMemo>,
    pub(crate) desk_memo: Arc<desk_memo::DeskMemo>,
    pub(crate) session_memo: Arc<session_memo::SessionMemo>,
}

impl App {
    /// Connects the database (running migrations) and checks the keys.
    pub async fn start(config: Config) -> Result<App, AppError> {
        let url = config.database_url();
        let db = Db::connect(
            &url,
            &DbOptions {
                max_connections: config.database.max_connections,
                busy_timeout: std::time::Duration::from_millis(config.database.busy_timeout_ms),
                migrate_up_to: None,
            },
        )
        .await?;
        let pii = Pii::from_config(&config.security)?;
        let blobs = Blobs::from_config(&config.blob_config()?)
            .map_err(|e| AppError::Config(format!("storage: {e}")))?;
        let engine =
            Arc::new(Engine::new().map_err(|e| AppError::Internal(format!("photo engine: {e}")))?);
        let registry = if config.registry.host {
            let key = registry_key(&config)?;
            Some(
                Registry::open(db.clone(), blobs.clone(), engine.clone(), &key)
                    .await
                    .map_err(|e| AppError::Config(format!("registry: {e}")))?,
            )
        } else {
            None
        };
        let http = registry_link::http_client()?;
        let sms = sms::Sms::from_config(&config.sms, http.clone())?;
        let payments = payments::Providers::from_config(&config.payments, http.clone())?;
        Ok(App {
            db,
            blobs,
            config: Arc::new(config),
            pii,
            job_signal: Arc::new(tokio::sync::Notify::new()),
            engine,
            registry,
            http,
            sms,
            payments,
            font: Arc::new(std::sync::OnceLock::new()),
            keys_memo: Arc::default(),
            school_memo: Arc::default(),
            desk_memo: Arc::default(),
            session_memo: Arc::default(),
        })
    }

    /// The font of the PDFs: loaded once from `documents.font`. Missing, it is a clear
    /// error naming the file and the script that installs it.
    pub(crate) fn pdf_font(&self) -> Result<Arc<gradphoto_pdf::Font>, AppError> {
        if let Some(f) = self.font.get() {
            return Ok(f.clone());
        }
        let path = &self.config.documents.font;
        let missing = |why: String| {
            tracing::error!(font = %path, %why, "the PDF font is unusable");
            AppError::Unavailable(gradphoto_domain::i18n::Msg::new(
                "documents.font",
                format!("无法生成 PDF：中文字体 {path} 不可用（请运行 scripts/fetch-fonts）"),
                format!(
                    "Cannot make the PDF: the Chinese font {path} is unusable (run scripts/fetch-fonts)"
                ),
            ))
        };
        let bytes = std::fs::read(path).map_err(|e| missing(e.to_string()))?;
        let font = if path.to_ascii_lowercase().ends_with(".ttc") {
            gradphoto_pdf::Font::from_collection(bytes, 0)
        } else {
            gradphoto_pdf::Font::from_bytes(bytes)
        }
        .map_err(|e| missing(e.to_string()))?;
        Ok(self.font.get_or_init(|| Arc::new(font)).clone())
    }

    /// A stored photo's bytes (the desk's and the review queue's previews).
    pub(crate) async fn blob_bytes(&self, key: &str) -> Result<Vec<u8>, AppError> {
        Ok(self
            .blobs
            .get(key)
            .await
            .map_err(|e| AppError::Internal(format!("reading the photo: {e}")))?
            .to_vec())
    }

    /// The hosted registry, or a not-found error when this process does not host it.
    pub fn registry(&self) -> Result<&Registry, AppError> {
        self.registry.as_ref().ok_or_else(|| {
            AppError::NotFound(gradphoto_domain::i18n::Msg::new(
                "registry.not_hosted",
                "本服务未托管学信网端",
                "This server does not host the registry",
            ))
        })
    }

    /// Readiness: the database answers and the object store accepts a write.
    pub async fn ready(&self) -> Result<(), AppError> {
        self.db.ping().await?;
        self.blobs
            .check()
            .await
            .map_err(|e| AppError::Internal(format!("storage not ready: {e}")))
    }
}

/// The registry's master key from `registry.master_key`; a throwaway one where generated
/// keys are allowed (tests: the key ring it protects lives in a fresh database).
fn registry_key(config: &Config) -> Result<[u8; 32], AppError> {
    let raw = config.registry.master_key.expose_secret();
    if raw.is_empty() {
        if config.security.allow_generated_key {
            tracing::warn!("no registry.master_key configured: using a throwaway key (tests only)");
            return pii::random_bytes::<32>();
        }
        return Err(AppError::Config(
            "registry.master_key is required when registry.host = true (32 random bytes, base64)"
                .into(),
        ));
    }
    pii::decode_key("registry.master_key", raw)
}
