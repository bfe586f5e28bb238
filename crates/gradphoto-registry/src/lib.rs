//! The registry's side (gradphoto's stand-in for 学信网). It keeps its own copy of student
//! status that schools report over its API, issues one signed collection code per
//! enrolment, publishes its public keys with the revocation list, and accepts photos only
//! sealed to its key and bound to a code — then checks them with the photo engine and
//! against the person's earlier photos.
//!
//! It shares no table with the agency: the agency side reaches it only over HTTP (see the
//! web crate's `/registry` routes), so a deployment can point the agency at another
//! registry. Its secrets derive from its own master key ([`secrets`]).

mod codes;
mod error;
mod intake;
pub mod qr;
mod secrets;
mod status;
mod students;
mod verification;

use std::sync::{Arc, RwLock};

use gradphoto_blob::Blobs;
use gradphoto_db::Db;
use gradphoto_db::registry::RegClientRow;
use gradphoto_photo::Engine;
use gradphoto_registry_crypto::{CodeId, KeyRing, PublicKeySet};

pub use error::RegistryError;
pub use intake::{Submission, Submitted};
pub use status::ReportedStudent;
pub use students::{SESSION_TTL_MS, StudentSession};
pub use verification::{Phase, RESOLUTIONS, SchoolReport, Window, china_today};

use crate::secrets::Secrets;

/// Who is calling the registry's API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// A university: reports its students.
    School,
    /// A photo agency: submits sealed photos.
    Agency,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::School => "school",
            ClientKind::Agency => "agency",
        }
    }
}

/// An authenticated API client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub id: i64,
    pub name: String,
    pub kind: ClientKind,
    /// The school's code, for schools.
    pub school_code: Option<String>,
}

impl Client {
    fn from_row(r: RegClientRow) -> Result<Client, RegistryError> {
        let kind = match r.kind.as_str() {
            "school" => ClientKind::School,
            "agency" => ClientKind::Agency,
            k => return Err(RegistryError::Internal(format!("unknown client kind {k}"))),
        };
        Ok(Client {
            id: r.id,
            name: r.name,
            kind,
            school_code: r.school_code,
        })
    }
}

/// The key ring as last read, with the stored (encrypted) bytes it came from: a rotation by
/// another process changes the bytes, and the next use reloads.
struct CachedRing {
    stored: Vec<u8>,
    ring: Arc<KeyRing>,
}

/// The registry service. Cheap to clone.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    blobs: Blobs,
    engine: Arc<Engine>,
    secrets: Secrets,
    ring: RwLock<CachedRing>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Registry(..)")
    }
}

pub(crate) fn now_ms() -> i64 {
    gradphoto_db::now_ms()
}

impl Registry {
    /// Opens the registry on `db`, creating its key ring on first start (two processes
    /// starting at once agree on one ring). `master_key` is 32 bytes.
    pub async fn open(
        db: Db,
        blobs: Blobs,
        engine: Arc<Engine>,
        master_key: &[u8],
    ) -> Result<Registry, RegistryError> {
        let secrets = Secrets::from_master(master_key)?;
        let stored = match db.registry_keyring().await? {
            Some(s) => s,
            None => {
                let ring = KeyRing::generate(now_ms())?;
                let sealed = secrets.seal_ring(&ring.to_json())?;
                let stored = db.registry_init_keyring(&sealed).await?;
                if stored == sealed {
                    tracing::info!("registry: generated a new key ring");
                }
                stored
            }
        };
        let ring = Arc::new(KeyRing::from_json(&secrets.open_ring(&stored)?)?);
        Ok(Registry {
            inner: Arc::new(Inner {
                db,
                blobs,
                engine,
                secrets,
                ring: RwLock::new(CachedRing { stored, ring }),
            }),
        })
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The current key ring, reloaded when another process rotated it.
    pub(crate) async fn ring(&self) -> Result<Arc<KeyRing>, RegistryError> {
        let stored =
            self.inner.db.registry_keyring().await?.ok_or_else(|| {
                RegistryError::Internal("the registry key ring is missing".into())
            })?;
        {
            let c = self.read_cache();
            if c.stored == stored {
                return Ok(c.ring.clone());
            }
        }
        let ring = Arc::new(KeyRing::from_json(&self.inner.secrets.open_ring(&stored)?)?);
        let mut c = self
            .inner
            .ring
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *c = CachedRing {
            stored,
            ring: ring.clone(),
        };
        Ok(ring)
    }

    fn read_cache(&self) -> std::sync::RwLockReadGuard<'_, CachedRing> {
        self.inner
            .ring
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a new signing and/or sealing key and puts it in use; older keys stay, so codes
    /// already issued still verify and photos already sealed still open. Returns the new
    /// key ids.
    pub async fn rotate(&self, signing: bool, sealing: bool) -> Result<Vec<String>, RegistryError> {
        let stored =
            self.inner.db.registry_keyring().await?.ok_or_else(|| {
                RegistryError::Internal("the registry key ring is missing".into())
            })?;
        let mut ring = KeyRing::from_json(&self.inner.secrets.open_ring(&stored)?)?;
        let mut ids = Vec::new();
        if signing {
            ids.push(ring.rotate_signing(now_ms())?);
        }
        if sealing {
            ids.push(ring.rotate_sealing(now_ms())?);
        }
        let sealed = self.inner.secrets.seal_ring(&ring.to_json())?;
        self.inner
            .db
            .registry_replace_keyring(&stored, &sealed)
            .await?;
        tracing::info!(keys = ?ids, "registry: rotated keys");
        Ok(ids)
    }

    /// The published key set: every public key and the revoked code ids.
    pub async fn public_keys(&self) -> Result<PublicKeySet, RegistryError> {
        let ring = self.ring().await?;
        self.public_keys_of(&ring).await
    }

    /// The published key set of a ring already loaded (the intake needs both).
    pub(crate) async fn public_keys_of(
        &self,
        ring: &KeyRing,
    ) -> Result<PublicKeySet, RegistryError> {
        let revoked = self
            .inner
            .db
            .registry_revoked_code_ids()
            .await?
            .iter()
            .filter_map(|id| id.parse::<CodeId>().ok())
            .collect::<Vec<_>>();
        Ok(ring.public(&revoked, now_ms()))
    }

    /// Registers a school or agency (or gives it a new token) and returns its API token,
    /// shown once: only its hash is kept.
    pub async fn register_client(
        &self,
        name: &str,
        kind: ClientKind,
        school_code: Option<&str>,
    ) -> Result<(Client, String), RegistryError> {
        if name.trim().is_empty() {
            return Err(RegistryError::invalid(
                "name",
                "不能为空",
                "must not be empty",
            ));
        }
        if kind == ClientKind::School && school_code.is_none_or(|c| c.trim().is_empty()) {
            return Err(RegistryError::invalid(
                "school_code",
                "学校必须有学校代码",
                "a school needs its school code",
            ));
        }
        let token = format!("gpr_{}", secrets::hex(&secrets::random::<32>()?));
        let row = self
            .inner
            .db
            .registry_put_client(
                name.trim(),
                kind.as_str(),
                school_code.map(str::trim),
                &secrets::token_hash(&token),
            )
            .await?;
        Ok((Client::from_row(row)?, token))
    }

    /// The client a bearer token belongs to.
    pub async fn authenticate(&self, token: &str) -> Result<Client, RegistryError> {
        if token.is_empty() || token.len() > 256 {
            return Err(RegistryError::Unauthorized);
        }
        match self
            .inner
            .db
            .registry_client_by_token(&secrets::token_hash(token))
            .await?
        {
            Some(row) => Client::from_row(row),
            None => Err(RegistryError::Unauthorized),
        }
    }
}
