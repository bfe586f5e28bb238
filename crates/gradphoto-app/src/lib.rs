//! Use cases: what the HTTP handlers, the CLI commands and the background jobs share. Each
//! public method of [`App`] checks access through the domain policy, does its work through
//! the storage crates, and writes the audit log in the same transaction as the change.
//!
//! This crate must not depend on the web or CLI crates.

pub mod auth;
pub mod campaigns;
pub mod config;
pub mod demo;
pub mod error;
pub mod jobs;
pub mod pii;
pub mod progress;
pub mod roster;
pub mod tenants;

use std::sync::Arc;

use gradphoto_blob::Blobs;
use gradphoto_db::{Db, DbOptions};

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
            },
        )
        .await?;
        let pii = Pii::from_config(&config.security)?;
        let blobs = Blobs::from_config(&config.blob_config()?)
            .map_err(|e| AppError::Config(format!("storage: {e}")))?;
        Ok(App {
            db,
            blobs,
            config: Arc::new(config),
            pii,
            job_signal: Arc::new(tokio::sync::Notify::new()),
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
