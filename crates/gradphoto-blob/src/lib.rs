//! Photo and object storage for gradphoto, over [`object_store`].
//!
//! Owns where photo bytes live: a local directory (development, single-machine installs),
//! an S3-compatible bucket (production), or memory (tests). Callers see one concrete type,
//! [`Blobs`], so nothing above this crate is generic over the backend.
//!
//! Must not depend on any other gradphoto crate: it stores bytes under keys and knows
//! nothing of students, orders or photos.
//!
//! Every write is atomic: a reader sees the old object or the whole new one, never a
//! partial file. object_store guarantees this for each backend (the local store writes a
//! staging file and renames it; an S3 PUT replaces the object in one step), and the
//! conformance tests check it.

mod key;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::key::{validate_key, validate_prefix};

/// Where blobs are stored; the `[blob]` section of the configuration.
///
/// Tagged by `kind` so the TOML reads `kind = "local"`, `kind = "s3"` or `kind = "memory"`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BlobConfig {
    /// A directory on the local file system; created if missing.
    Local {
        /// Root directory of the store.
        dir: PathBuf,
    },
    /// An S3-compatible bucket.
    S3 {
        /// Custom endpoint such as `http://127.0.0.1:9000`; `None` means AWS itself.
        /// A custom endpoint is addressed path-style, which every S3 clone supports.
        endpoint: Option<String>,
        /// Bucket name; the bucket must already exist.
        bucket: String,
        /// Region used for request signing (`us-east-1` for most S3 clones).
        region: String,
        /// Access key id.
        access_key_id: String,
        /// Secret access key. Serializes as `"<redacted>"`: serialized configs are for
        /// showing (`gradphoto config`), and must never leak the key.
        #[serde(serialize_with = "serialize_redacted")]
        secret_access_key: SecretString,
        /// Allow plain `http://` endpoints; only for loopback test servers.
        #[serde(default)]
        allow_http: bool,
    },
    /// Memory only; lost on exit. For tests and demos.
    Memory,
}

/// Errors from blob storage.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// No object under this key.
    #[error("blob not found: {0}")]
    NotFound(String),
    /// The key breaks the key rules (see [`Blobs::put`]).
    #[error("invalid blob key {0}")]
    InvalidKey(String),
    /// The configuration cannot produce a store.
    #[error("blob storage configuration: {0}")]
    Config(String),
    /// The backend failed (I/O, network, authentication, ...).
    #[error("blob storage backend: {0}")]
    Backend(String),
}

/// A handle to blob storage. Cheap to clone; clones share the backend.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    label: Arc<str>,
}

impl fmt::Debug for Blobs {
    /// Only the label: the backend's own `Debug` may include credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Blobs").field("label", &self.label).finish()
    }
}

impl Blobs {
    /// Builds the store a configuration describes.
    ///
    /// Builds clients only: it does not contact S3, so a wrong secret or a missing bucket
    /// shows up in [`Blobs::check`] (the readiness probe) or on first use.
    pub fn from_config(cfg: &BlobConfig) -> Result<Blobs, BlobError> {
        match cfg {
            BlobConfig::Memory => Ok(Blobs::memory()),
            BlobConfig::Local { dir } => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    BlobError::Config(format!("cannot create {}: {e}", dir.display()))
                })?;
                let store = LocalFileSystem::new_with_prefix(dir)
                    .map_err(|e| BlobError::Config(format!("{}: {e}", dir.display())))?
                    // Photos are accepted once and then relied on: a put that returned Ok
                    // must survive a power cut, as it would on S3.
                    .with_fsync(true)
                    // Keys are date/id-shaped prefixes; without this, deleted photos leave
                    // empty directories behind forever.
                    .with_automatic_cleanup(true);
                Ok(Blobs {
                    store: Arc::new(store),
                    label: format!("local:{}", dir.display()).into(),
                })
            }
            BlobConfig::S3 {
                endpoint,
                bucket,
                region,
                access_key_id,
                secret_access_key,
                allow_http,
            } => {
                install_rustls_provider();
                let options = ClientOptions::new()
                    .with_allow_http(*allow_http)
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(60));
                // The default retries for up to three minutes; a readiness probe or an
                // upload request should fail within seconds when S3 is down.
                let retry = RetryConfig {
                    max_retries: 3,
                    retry_timeout: Duration::from_secs(15),
                    ..RetryConfig::default()
                };
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_access_key_id(access_key_id)
                    .with_secret_access_key(secret_access_key.expose_secret())
                    .with_client_options(options)
                    .with_retry(retry);
                if let Some(endpoint) = endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_virtual_hosted_style_request(false);
                }
                let store = builder
                    .build()
                    .map_err(|e| BlobError::Config(format!("s3 bucket {bucket}: {e}")))?;
                Ok(Blobs {
                    store: Arc::new(store),
                    label: format!("s3:{bucket}").into(),
                })
            }
        }
    }

    /// An empty in-memory store, for tests.
    pub fn memory() -> Blobs {
        Blobs {
            store: Arc::new(InMemory::new()),
            label: "memory".into(),
        }
    }

    /// Names the backend for logs and health output: `local:/path`, `s3:bucket` or
    /// `memory`. Never contains a secret.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Stores `bytes` under `key`, replacing any previous object atomically.
    ///
    /// Keys are ASCII letters, digits and `-_./`, at most 1024 bytes, with no leading `/`,
    /// no empty segment and no `..`; anything else is [`BlobError::InvalidKey`].
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        let path = to_path(key)?;
        self.store
            .put(&path, PutPayload::from(bytes))
            .await
            .map_err(|e| backend(key, e))?;
        Ok(())
    }

    /// Reads a whole object; [`BlobError::NotFound`] when there is none.
    pub async fn get(&self, key: &str) -> Result<Bytes, BlobError> {
        let path = to_path(key)?;
        let result = self.store.get(&path).await.map_err(|e| backend(key, e))?;
        result.bytes().await.map_err(|e| backend(key, e))
    }

    /// Whether an object exists under `key`.
    pub async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        let path = to_path(key)?;
        match self.store.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(backend(key, e)),
        }
    }

    /// Deletes an object. Deleting a missing object succeeds, so jobs can retry freely.
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let path = to_path(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(backend(key, e)),
        }
    }

    /// All keys under `prefix`, sorted.
    ///
    /// The prefix matches whole segments: `photos` (or `photos/`) lists `photos/a.jpg` but
    /// not `photos2/b.jpg`. An empty prefix lists everything.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        let prefix = validate_prefix(prefix)?;
        let path = if prefix.is_empty() {
            None
        } else {
            Some(to_path(prefix)?)
        };
        let mut keys: Vec<String> = self
            .store
            .list(path.as_ref())
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
            .map_err(|e| backend(prefix, e))?;
        keys.sort_unstable();
        Ok(keys)
    }

    /// Readiness probe: writes, reads back and deletes a small marker under `_health/`.
    ///
    /// Exercises credentials, the bucket and write permission, which a mere listing would
    /// not. Each call uses its own key so concurrent probes do not disturb each other.
    pub async fn check(&self) -> Result<(), BlobError> {
        let key = format!("_health/{}", uuid::Uuid::new_v4().simple());
        let marker = Bytes::from_static(b"gradphoto health check\n");
        self.put(&key, marker.clone()).await?;
        let read = self.get(&key).await;
        // Remove the marker even when the read failed, then report the first problem.
        let deleted = self.delete(&key).await;
        if read? != marker {
            return Err(BlobError::Backend(format!(
                "{}: health marker read back different bytes",
                self.label
            )));
        }
        deleted
    }
}

fn serialize_redacted<S: serde::Serializer>(_: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("<redacted>")
}

fn to_path(key: &str) -> Result<Path, BlobError> {
    validate_key(key)?;
    Path::parse(key).map_err(|e| BlobError::InvalidKey(format!("{key:?}: {e}")))
}

fn backend(key: &str, e: object_store::Error) -> BlobError {
    match e {
        object_store::Error::NotFound { .. } => BlobError::NotFound(key.to_owned()),
        other => BlobError::Backend(other.to_string()),
    }
}

/// reqwest is built with rustls but no crypto provider (to keep aws-lc-rs out of the
/// build), so one must be installed process-wide before the first HTTPS client exists.
/// Installing twice, or after the binary installed its own, is harmless: the first wins.
fn install_rustls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    });
}
