//! The registry's keys. The private [`KeyRing`] holds signing keys (Ed25519, for collection
//! codes) and sealing keys (X25519, photos are encrypted to them), newest first: the newest
//! of each kind is the one in use, older ones stay so that codes already handed out still
//! verify and photos already sealed still open. [`PublicKeySet`] is what the registry
//! publishes — the public halves and the revocation list — in a JWKS-like JSON that the
//! agency side caches and uses offline.
//!
//! Key ids are thumbprints (the first 9 bytes of SHA-256 over the curve name and the public
//! key, base64url), so the same key always has the same id and an id cannot be claimed by
//! another key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::{SigningKey, VerifyingKey};
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, Serializable};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::code::CodeId;

/// The HPKE KEM of sealed photos.
pub(crate) type SealKem = X25519HkdfSha256;

/// Why keys could not be made, read or found.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The operating system's random generator failed.
    #[error("no randomness from the operating system: {0}")]
    Random(getrandom::Error),
    /// A key ring or key set that is not what this version writes.
    #[error("bad key file: {0}")]
    Format(String),
    /// The key set has no key of this use.
    #[error("the key set has no {0:?} key")]
    Missing(KeyUse),
}

/// What a published key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyUse {
    /// Verifying collection codes (Ed25519).
    Sig,
    /// Sealing photos to the registry (X25519).
    Enc,
}

impl KeyUse {
    fn curve(self) -> &'static str {
        match self {
            KeyUse::Sig => "Ed25519",
            KeyUse::Enc => "X25519",
        }
    }
}

/// One published key, in JWK form (RFC 8037: `kty` OKP, `crv`, `x`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    pub kid: String,
    pub kty: String,
    pub crv: String,
    #[serde(rename = "use")]
    pub key_use: KeyUse,
    /// The public key, base64url without padding.
    pub x: String,
    /// When the key was made, Unix milliseconds.
    pub created_ms: i64,
}

impl PublicKey {
    fn new(key_use: KeyUse, public: &[u8; 32], created_ms: i64) -> PublicKey {
        PublicKey {
            kid: thumbprint(key_use, public),
            kty: "OKP".into(),
            crv: key_use.curve().into(),
            key_use,
            x: B64.encode(public),
            created_ms,
        }
    }

    /// The raw 32-byte key, when the entry is well formed and its id is its thumbprint.
    fn raw(&self) -> Option<[u8; 32]> {
        if self.kty != "OKP" || self.crv != self.key_use.curve() {
            return None;
        }
        let bytes: [u8; 32] = B64.decode(&self.x).ok()?.try_into().ok()?;
        (thumbprint(self.key_use, &bytes) == self.kid).then_some(bytes)
    }
}

/// `sig-`/`enc-` and 12 base64url characters of SHA-256(curve ":" key).
fn thumbprint(key_use: KeyUse, public: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(key_use.curve().as_bytes());
    h.update(b":");
    h.update(public);
    let d = h.finalize();
    let prefix = match key_use {
        KeyUse::Sig => "sig",
        KeyUse::Enc => "enc",
    };
    format!("{prefix}-{}", B64.encode(&d[..9]))
}

/// What the registry publishes: its public keys (newest first within each use) and the
/// ids of revoked codes. Cacheable: the agency side verifies codes with a copy of it, with
/// no network at the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeySet {
    pub keys: Vec<PublicKey>,
    /// Revoked code ids, base64url.
    pub revoked: Vec<String>,
    /// When the set was produced, Unix milliseconds (a cache compares these).
    pub issued_ms: i64,
}

impl PublicKeySet {
    /// Parses a published set. Keys whose id is not their thumbprint are refused: a set
    /// with a mislabelled key is corrupt, not half-usable.
    pub fn from_json(text: &str) -> Result<PublicKeySet, KeyError> {
        let set: PublicKeySet =
            serde_json::from_str(text).map_err(|e| KeyError::Format(e.to_string()))?;
        if let Some(bad) = set.keys.iter().find(|k| k.raw().is_none()) {
            return Err(KeyError::Format(format!("key {} is malformed", bad.kid)));
        }
        Ok(set)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The Ed25519 key with this id, if the set has it.
    pub fn verifying_key(&self, kid: &str) -> Option<VerifyingKey> {
        let k = self
            .keys
            .iter()
            .find(|k| k.kid == kid && k.key_use == KeyUse::Sig)?;
        VerifyingKey::from_bytes(&k.raw()?).ok()
    }

    /// The sealing key in use (the newest) and its id.
    pub(crate) fn sealing_key(&self) -> Result<(&str, <SealKem as Kem>::PublicKey), KeyError> {
        let k = self
            .keys
            .iter()
            .filter(|k| k.key_use == KeyUse::Enc)
            .max_by_key(|k| k.created_ms)
            .ok_or(KeyError::Missing(KeyUse::Enc))?;
        let raw = k
            .raw()
            .ok_or_else(|| KeyError::Format(format!("key {} is malformed", k.kid)))?;
        let pk = <SealKem as Kem>::PublicKey::from_bytes(&raw)
            .map_err(|e| KeyError::Format(format!("key {}: {e}", k.kid)))?;
        Ok((&k.kid, pk))
    }

    pub fn is_revoked(&self, id: &CodeId) -> bool {
        let text = id.to_string();
        self.revoked.contains(&text)
    }
}

/// A signing key and when it was made.
struct Signing {
    kid: String,
    key: SigningKey,
    created_ms: i64,
}

/// A sealing key pair and when it was made.
struct Sealing {
    kid: String,
    secret: Zeroizing<[u8; 32]>,
    public: [u8; 32],
    created_ms: i64,
}

/// The registry's private keys. Keep it secret: whoever holds it can issue codes and read
/// every photo. `to_json` is for the registry's own encrypted storage only.
pub struct KeyRing {
    /// Newest first.
    signing: Vec<Signing>,
    /// Newest first.
    sealing: Vec<Sealing>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets, even in a debug log.
        f.debug_struct("KeyRing")
            .field(
                "signing",
                &self.signing.iter().map(|k| &k.kid).collect::<Vec<_>>(),
            )
            .field(
                "sealing",
                &self.sealing.iter().map(|k| &k.kid).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The stored form of a key ring.
#[derive(Serialize, Deserialize)]
struct StoredRing {
    version: u32,
    signing: Vec<StoredKey>,
    sealing: Vec<StoredKey>,
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    /// The secret key, base64url.
    secret: String,
    created_ms: i64,
}

fn new_signing(created_ms: i64, secret: [u8; 32]) -> Signing {
    let key = SigningKey::from_bytes(&secret);
    let kid = thumbprint(KeyUse::Sig, &key.verifying_key().to_bytes());
    Signing {
        kid,
        key,
        created_ms,
    }
}

fn new_sealing(created_ms: i64, secret: [u8; 32]) -> Result<Sealing, KeyError> {
    let sk = <SealKem as Kem>::PrivateKey::from_bytes(&secret)
        .map_err(|e| KeyError::Format(format!("sealing key: {e}")))?;
    let public: [u8; 32] = SealKem::sk_to_pk(&sk)
        .to_bytes()
        .as_slice()
        .try_into()
        .map_err(|_| KeyError::Format("sealing key length".into()))?;
    Ok(Sealing {
        kid: thumbprint(KeyUse::Enc, &public),
        secret: Zeroizing::new(secret),
        public,
        created_ms,
    })
}

impl KeyRing {
    /// A new ring with one signing and one sealing key (`gradphoto registry keygen`).
    pub fn generate(now_ms: i64) -> Result<KeyRing, KeyError> {
        let mut ring = KeyRing {
            signing: Vec::new(),
            sealing: Vec::new(),
        };
        ring.rotate_signing(now_ms)?;
        ring.rotate_sealing(now_ms)?;
        Ok(ring)
    }

    /// Adds a new signing key and puts it in use; the old ones still verify their codes.
    /// Returns the new key id.
    pub fn rotate_signing(&mut self, now_ms: i64) -> Result<String, KeyError> {
        let k = new_signing(now_ms, crate::random().map_err(KeyError::Random)?);
        let kid = k.kid.clone();
        self.signing.insert(0, k);
        Ok(kid)
    }

    /// Adds a new sealing key and puts it in use; the old ones still open what was sealed to
    /// them. Returns the new key id.
    pub fn rotate_sealing(&mut self, now_ms: i64) -> Result<String, KeyError> {
        // X25519 clamps any 32 random bytes into a valid scalar.
        let k = new_sealing(now_ms, crate::random().map_err(KeyError::Random)?)?;
        let kid = k.kid.clone();
        self.sealing.insert(0, k);
        Ok(kid)
    }

    /// The signing key in use and its id.
    pub(crate) fn active_signing(&self) -> Result<(&str, &SigningKey), KeyError> {
        self.signing
            .first()
            .map(|k| (k.kid.as_str(), &k.key))
            .ok_or(KeyError::Missing(KeyUse::Sig))
    }

    /// The sealing secret with this id.
    pub(crate) fn sealing_secret(&self, kid: &str) -> Option<<SealKem as Kem>::PrivateKey> {
        let k = self.sealing.iter().find(|k| k.kid == kid)?;
        <SealKem as Kem>::PrivateKey::from_bytes(&k.secret[..]).ok()
    }

    /// Key ids in use: `(signing, sealing)`.
    pub fn active_ids(&self) -> (Option<&str>, Option<&str>) {
        (
            self.signing.first().map(|k| k.kid.as_str()),
            self.sealing.first().map(|k| k.kid.as_str()),
        )
    }

    /// The set to publish, with these revoked codes.
    pub fn public(&self, revoked: &[CodeId], now_ms: i64) -> PublicKeySet {
        let mut keys: Vec<PublicKey> = self
            .signing
            .iter()
            .map(|k| PublicKey::new(KeyUse::Sig, &k.key.verifying_key().to_bytes(), k.created_ms))
            .collect();
        keys.extend(
            self.sealing
                .iter()
                .map(|k| PublicKey::new(KeyUse::Enc, &k.public, k.created_ms)),
        );
        PublicKeySet {
            keys,
            revoked: revoked.iter().map(|id| id.to_string()).collect(),
            issued_ms: now_ms,
        }
    }

    /// The ring's secret form. The caller encrypts it at rest (or writes it to a file only
    /// the registry can read).
    pub fn to_json(&self) -> Zeroizing<String> {
        let stored = StoredRing {
            version: 1,
            signing: self
                .signing
                .iter()
                .map(|k| StoredKey {
                    secret: B64.encode(k.key.to_bytes()),
                    created_ms: k.created_ms,
                })
                .collect(),
            sealing: self
                .sealing
                .iter()
                .map(|k| StoredKey {
                    secret: B64.encode(&k.secret[..]),
                    created_ms: k.created_ms,
                })
                .collect(),
        };
        Zeroizing::new(serde_json::to_string_pretty(&stored).unwrap_or_default())
    }

    /// Reads a ring written by [`KeyRing::to_json`].
    pub fn from_json(text: &str) -> Result<KeyRing, KeyError> {
        let stored: StoredRing =
            serde_json::from_str(text).map_err(|e| KeyError::Format(e.to_string()))?;
        if stored.version != 1 {
            return Err(KeyError::Format(format!("version {}", stored.version)));
        }
        let secret = |k: &StoredKey| -> Result<[u8; 32], KeyError> {
            let bytes = Zeroizing::new(
                B64.decode(&k.secret)
                    .map_err(|e| KeyError::Format(e.to_string()))?,
            );
            bytes[..]
                .try_into()
                .map_err(|_| KeyError::Format("a secret key is not 32 bytes".into()))
        };
        let mut ring = KeyRing {
            signing: Vec::new(),
            sealing: Vec::new(),
        };
        for k in &stored.signing {
            ring.signing.push(new_signing(k.created_ms, secret(k)?));
        }
        for k in &stored.sealing {
            ring.sealing.push(new_sealing(k.created_ms, secret(k)?)?);
        }
        if ring.signing.is_empty() || ring.sealing.is_empty() {
            return Err(KeyError::Format(
                "a key ring needs a signing and a sealing key".into(),
            ));
        }
        Ok(ring)
    }
}

/// A fresh ring and its published set, for the crate's tests.
#[cfg(test)]
pub(crate) fn test_keys() -> (KeyRing, PublicKeySet) {
    let ring = KeyRing::generate(1).expect("generate a key ring");
    let set = ring.public(&[], 2);
    (ring, set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_survives_storage_and_keeps_its_ids() {
        let ring = KeyRing::generate(1_000).unwrap();
        let again = KeyRing::from_json(&ring.to_json()).unwrap();
        assert_eq!(ring.active_ids(), again.active_ids());
        assert_eq!(ring.public(&[], 5), again.public(&[], 5));
        // Secrets never show in debug output.
        let dbg = format!("{ring:?}");
        assert!(!dbg.contains(&*ring.to_json()));
        assert!(dbg.contains("sig-"));
    }

    #[test]
    fn rotation_puts_the_new_key_in_use_and_keeps_the_old() {
        let mut ring = KeyRing::generate(1_000).unwrap();
        let (old_sig, old_enc) = ring.active_ids();
        let (old_sig, old_enc) = (old_sig.unwrap().to_owned(), old_enc.unwrap().to_owned());
        let new_sig = ring.rotate_signing(2_000).unwrap();
        let new_enc = ring.rotate_sealing(2_000).unwrap();
        assert_ne!(new_sig, old_sig);
        assert_eq!(
            ring.active_ids(),
            (Some(new_sig.as_str()), Some(new_enc.as_str()))
        );
        let set = ring.public(&[], 3_000);
        assert!(set.verifying_key(&old_sig).is_some());
        assert!(set.verifying_key(&new_sig).is_some());
        assert_eq!(set.sealing_key().unwrap().0, new_enc);
        assert!(ring.sealing_secret(&old_enc).is_some());
    }

    #[test]
    fn a_published_set_round_trips_and_a_mislabelled_key_is_refused() {
        let ring = KeyRing::generate(1_000).unwrap();
        let set = ring.public(&[], 2_000);
        assert_eq!(PublicKeySet::from_json(&set.to_json()).unwrap(), set);
        let mut bad = set.clone();
        bad.keys[0].kid = "sig-AAAAAAAAAAAA".into();
        assert!(matches!(
            PublicKeySet::from_json(&bad.to_json()),
            Err(KeyError::Format(_))
        ));
        assert!(bad.verifying_key("sig-AAAAAAAAAAAA").is_none());
    }

    #[test]
    fn bad_stored_rings_are_errors() {
        assert!(KeyRing::from_json("{").is_err());
        assert!(KeyRing::from_json(r#"{"version":2,"signing":[],"sealing":[]}"#).is_err());
        assert!(KeyRing::from_json(r#"{"version":1,"signing":[],"sealing":[]}"#).is_err());
        assert!(
            KeyRing::from_json(
                r#"{"version":1,"signing":[{"secret":"AAAA","created_ms":1}],"sealing":[]}"#
            )
            .is_err()
        );
    }
}
