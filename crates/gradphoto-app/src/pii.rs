//! Personal data at rest: ID numbers are encrypted with AES-256-GCM, found again through a
//! keyed blind index (HMAC-SHA256), and shown masked to everyone but the registry.
//!
//! Both keys are derived from one configured master key with HKDF, so the index cannot be
//! used to decrypt and the cipher key cannot be used to build an index.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::AppError;
use crate::config::SecurityConfig;

const VERSION: u8 = 1;
const AAD: &[u8] = b"gradphoto.pii.id_number.v1";
const SECRET_AAD: &[u8] = b"gradphoto.secret.v1";

/// The keys for personal data. Cloning shares nothing mutable.
#[derive(Clone)]
pub struct Pii {
    cipher: Aes256Gcm,
    index_key: [u8; 32],
}

impl std::fmt::Debug for Pii {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pii(<keys>)")
    }
}

/// Fills a buffer from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], AppError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)
        .map_err(|e| AppError::Internal(format!("no system randomness: {e}")))?;
    Ok(b)
}

/// A new random master key, base64, for `gradphoto demo` and for operators.
/// Lower-case hexadecimal, as hashes and keyed hashes are stored.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `N` random bytes as hexadecimal: names and nonces no one can guess.
pub fn random_hex<const N: usize>() -> Result<String, AppError> {
    Ok(hex(&random_bytes::<N>()?))
}

pub fn generate_key() -> Result<String, AppError> {
    Ok(base64::engine::general_purpose::STANDARD.encode(random_bytes::<32>()?))
}

/// A configured 32-byte key, base64: `field` names it in the error.
pub(crate) fn decode_key(field: &str, raw: &str) -> Result<[u8; 32], AppError> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(raw.trim())
        .map_err(|_| AppError::Config(format!("{field} is not valid base64")))?;
    key.try_into().map_err(|k: Vec<u8>| {
        AppError::Config(format!("{field} must be 32 bytes, got {}", k.len()))
    })
}

impl Pii {
    pub fn from_config(c: &SecurityConfig) -> Result<Pii, AppError> {
        let raw = c.pii_key.expose_secret();
        if raw.is_empty() {
            if c.allow_generated_key {
                tracing::warn!(
                    "no security.pii_key configured: using a throwaway key (demo only; data will be unreadable after restart with another key)"
                );
                return Pii::from_master(&random_bytes::<32>()?);
            }
            return Err(AppError::Config(
                "security.pii_key is required (32 random bytes, base64; e.g. `head -c32 /dev/urandom | base64`)".into(),
            ));
        }
        let key = decode_key("security.pii_key", raw)?;
        Pii::from_master(&key)
    }

    pub fn from_master(master: &[u8]) -> Result<Pii, AppError> {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"gradphoto.pii"), master);
        let mut enc = [0u8; 32];
        let mut index_key = [0u8; 32];
        hk.expand(b"aes-256-gcm id numbers", &mut enc)
            .and_then(|_| hk.expand(b"hmac-sha256 blind index", &mut index_key))
            .map_err(|_| AppError::Internal("hkdf expand".into()))?;
        let cipher =
            Aes256Gcm::new_from_slice(&enc).map_err(|_| AppError::Internal("aes key".into()))?;
        Ok(Pii { cipher, index_key })
    }

    /// Encrypts an ID number: `version || nonce || ciphertext+tag`, fresh nonce each time.
    pub fn encrypt(&self, plain: &str) -> Result<Vec<u8>, AppError> {
        self.encrypt_for(AAD, plain)
    }

    pub fn decrypt(&self, blob: &[u8]) -> Result<String, AppError> {
        self.decrypt_for(AAD, blob)
    }

    /// Encrypts a credential the agency holds (its API tokens at the registry). Another
    /// label than ID numbers: one kind of ciphertext cannot be passed off as the other.
    pub fn encrypt_secret(&self, plain: &str) -> Result<Vec<u8>, AppError> {
        self.encrypt_for(SECRET_AAD, plain)
    }

    pub fn decrypt_secret(&self, blob: &[u8]) -> Result<String, AppError> {
        self.decrypt_for(SECRET_AAD, blob)
    }

    fn encrypt_for(&self, aad: &[u8], plain: &str) -> Result<Vec<u8>, AppError> {
        let nonce = random_bytes::<12>()?;
        let ct = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad,
                },
            )
            .map_err(|_| AppError::Internal("encryption failed".into()))?;
        let mut out = Vec::with_capacity(1 + 12 + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    fn decrypt_for(&self, aad: &[u8], blob: &[u8]) -> Result<String, AppError> {
        if blob.len() < 1 + 12 + 16 || blob[0] != VERSION {
            return Err(AppError::Internal(
                "stored ciphertext has an unknown format".into(),
            ));
        }
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(&blob[1..13]),
                Payload {
                    msg: &blob[13..],
                    aad,
                },
            )
            .map_err(|_| {
                AppError::Internal(
                    "stored ciphertext cannot be decrypted with the configured key".into(),
                )
            })?;
        String::from_utf8(plain)
            .map_err(|_| AppError::Internal("stored plaintext is not UTF-8".into()))
    }

    /// The blind index of a normalised document number: equal numbers give equal
    /// indexes, and without the key the index reveals nothing.
    pub fn blind_index(&self, normalised: &str) -> String {
        self.keyed_hash(&["id", normalised])
    }

    /// A keyed hash of several fields, for change detection without storing clear data.
    pub fn keyed_hash(&self, parts: &[&str]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key)
            .expect("HMAC accepts any key length");
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p.as_bytes());
        }
        hex(&mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_fresh_nonces() {
        let p = Pii::from_master(&[7u8; 32]).expect("keys");
        let a = p.encrypt("11010519491231002X").expect("enc");
        let b = p.encrypt("11010519491231002X").expect("enc");
        assert_ne!(a, b, "nonces differ");
        assert_eq!(p.decrypt(&a).expect("dec"), "11010519491231002X");
        assert!(
            !a.windows(8).any(|w| w == b"19491231"),
            "no clear text in the blob"
        );
    }

    #[test]
    fn tampering_and_wrong_keys_are_detected() {
        let p = Pii::from_master(&[7u8; 32]).expect("keys");
        let mut a = p.encrypt("E12345678").expect("enc");
        let last = a.len() - 1;
        a[last] ^= 1;
        assert!(p.decrypt(&a).is_err());
        let other = Pii::from_master(&[8u8; 32]).expect("keys");
        let b = p.encrypt("E12345678").expect("enc");
        assert!(other.decrypt(&b).is_err());
        assert_ne!(p.blind_index("E12345678"), other.blind_index("E12345678"));
    }

    #[test]
    fn blind_index_is_deterministic_and_key_separated() {
        let p = Pii::from_master(&[1u8; 32]).expect("keys");
        assert_eq!(p.blind_index("X1"), p.blind_index("X1"));
        assert_ne!(p.blind_index("X1"), p.blind_index("X2"));
        assert_ne!(
            p.keyed_hash(&["ab", "c"]),
            p.keyed_hash(&["a", "bc"]),
            "fields are length-prefixed"
        );
    }

    #[test]
    fn config_requires_a_real_key() {
        let mut c = crate::config::Config::default().security;
        assert!(Pii::from_config(&c).is_err(), "empty key refused");
        c.pii_key = "bm90LTMyLWJ5dGVz".to_string().into();
        assert!(Pii::from_config(&c).is_err(), "short key refused");
        c.pii_key = generate_key().expect("key").into();
        assert!(Pii::from_config(&c).is_ok());
        c.pii_key = String::new().into();
        c.allow_generated_key = true;
        assert!(Pii::from_config(&c).is_ok());
    }
}
