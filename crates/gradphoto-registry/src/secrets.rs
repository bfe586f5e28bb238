//! The registry's own secrets, derived from its master key with HKDF: one key encrypts the
//! key ring at rest, another keys the hashes that recognise a person (ID number) and a name
//! without storing either. Separate from the agency's keys by construction: another master
//! key, another salt.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::RegistryError;

const RING_AAD: &[u8] = b"gradphoto.registry.keyring.v1";
const VERSION: u8 = 1;

#[derive(Clone)]
pub(crate) struct Secrets {
    ring_cipher: Aes256Gcm,
    hash_key: [u8; 32],
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(<keys>)")
    }
}

pub(crate) fn random<const N: usize>() -> Result<[u8; N], RegistryError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)
        .map_err(|e| RegistryError::Internal(format!("no system randomness: {e}")))?;
    Ok(b)
}

/// Lower-case hex.
pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Hash of an API token as stored: tokens are 32 random bytes, so a plain SHA-256 suffices.
pub(crate) fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// An ID number as compared: no spaces, upper case (the check character X).
pub(crate) fn normalize_id(id: &str) -> String {
    id.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

impl Secrets {
    pub(crate) fn from_master(master: &[u8]) -> Result<Secrets, RegistryError> {
        if master.len() != 32 {
            return Err(RegistryError::Internal(format!(
                "the registry master key must be 32 bytes, got {}",
                master.len()
            )));
        }
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"gradphoto.registry"), master);
        let mut ring = [0u8; 32];
        let mut hash_key = [0u8; 32];
        hk.expand(b"aes-256-gcm key ring", &mut ring)
            .and_then(|_| hk.expand(b"hmac-sha256 person and name", &mut hash_key))
            .map_err(|_| RegistryError::Internal("hkdf expand".into()))?;
        let ring_cipher = Aes256Gcm::new_from_slice(&ring)
            .map_err(|_| RegistryError::Internal("aes key".into()))?;
        Ok(Secrets {
            ring_cipher,
            hash_key,
        })
    }

    fn mac(&self, label: &[u8], parts: &[&[u8]]) -> String {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.hash_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        m.update(label);
        for p in parts {
            m.update(&(p.len() as u32).to_be_bytes());
            m.update(p);
        }
        hex(&m.finalize().into_bytes())
    }

    /// Recognises the same person (ID number) across schools and enrolments.
    pub(crate) fn person_hash(&self, id_number: &str) -> String {
        self.mac(b"person", &[normalize_id(id_number).as_bytes()])
    }

    /// Checks the name a student types at sign-in, bound to the person.
    pub(crate) fn name_hash(&self, person_hash: &str, name: &str) -> String {
        self.mac(b"name", &[person_hash.as_bytes(), name.trim().as_bytes()])
    }

    pub(crate) fn seal_ring(&self, json: &str) -> Result<Vec<u8>, RegistryError> {
        let nonce = random::<12>()?;
        let ct = self
            .ring_cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: json.as_bytes(),
                    aad: RING_AAD,
                },
            )
            .map_err(|_| RegistryError::Internal("key ring encryption failed".into()))?;
        let mut out = Vec::with_capacity(13 + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub(crate) fn open_ring(&self, blob: &[u8]) -> Result<String, RegistryError> {
        if blob.len() < 13 + 16 || blob[0] != VERSION {
            return Err(RegistryError::Internal(
                "stored key ring has an unknown format".into(),
            ));
        }
        let plain = self
            .ring_cipher
            .decrypt(
                Nonce::from_slice(&blob[1..13]),
                Payload {
                    msg: &blob[13..],
                    aad: RING_AAD,
                },
            )
            .map_err(|_| {
                RegistryError::Internal(
                    "the stored key ring does not open with this master key (registry.master_key changed?)".into(),
                )
            })?;
        String::from_utf8(plain)
            .map_err(|_| RegistryError::Internal("key ring is not UTF-8".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_round_trips_and_other_keys_cannot_open_it() {
        let a = Secrets::from_master(&[1; 32]).expect("a");
        let b = Secrets::from_master(&[2; 32]).expect("b");
        let blob = a.seal_ring("{\"k\":1}").expect("seal");
        assert_eq!(a.open_ring(&blob).expect("open"), "{\"k\":1}");
        assert!(b.open_ring(&blob).is_err());
        let mut bad = blob.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(a.open_ring(&bad).is_err());
        assert!(Secrets::from_master(&[1; 31]).is_err());
    }

    #[test]
    fn person_hash_ignores_spacing_and_case_but_not_the_number() {
        let s = Secrets::from_master(&[7; 32]).expect("s");
        let p = s.person_hash("11010519491231002x");
        assert_eq!(p, s.person_hash(" 110105 19491231 002X"));
        assert_ne!(p, s.person_hash("11010519491231003X"));
        assert_ne!(
            p,
            Secrets::from_master(&[8; 32])
                .expect("t")
                .person_hash("11010519491231002X")
        );
        assert_eq!(s.name_hash(&p, "张三 "), s.name_hash(&p, "张三"));
        assert_ne!(s.name_hash(&p, "张三"), s.name_hash(&p, "李四"));
    }
}
