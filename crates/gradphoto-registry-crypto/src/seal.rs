//! Photos sealed to the registry. The agency encrypts each standardized photo to the
//! registry's published X25519 key with HPKE (RFC 9180, base mode; DHKEM(X25519,
//! HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305) and the code id as associated data. Only
//! the registry can open it, and it opens only as the photo of that code: submitted under
//! another student's code, decryption fails. The same sealed bytes are what the registry
//! keeps at rest.
//!
//! Wire form: `GPS1`, the sealing key's id (length-prefixed), the 32-byte encapsulated key,
//! then the ciphertext with its 16-byte tag.

use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};

use crate::bytes::{Reader, Writer};
use crate::code::CodeId;
use crate::keys::{KeyError, KeyRing, PublicKeySet, SealKem};

const MAGIC: &[u8; 4] = b"GPS1";
/// HPKE `info`: binds the key schedule to this application and format.
const INFO: &[u8] = b"gradphoto registry photo v1";
/// Associated data is this label and the code id.
const AAD_LABEL: &[u8] = b"gradphoto photo for code\0";
/// The largest photo sealed: a standard image is 20–40 KB; anything near this is a mistake.
pub const MAX_PHOTO_BYTES: usize = 4 * 1024 * 1024;

/// Why a photo could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Sealed to a key this registry does not hold (or no longer holds).
    #[error("sealed to unknown key {0}")]
    UnknownKey(String),
    /// The ciphertext does not open with this code: made for another code, or altered.
    #[error("the photo does not open for this code (made for another code, or altered)")]
    WrongCodeOrAltered,
    /// Not a sealed photo.
    #[error("not a sealed photo ({0})")]
    Malformed(&'static str),
    /// Larger than [`MAX_PHOTO_BYTES`].
    #[error("photo of {0} bytes is too large to seal")]
    TooLarge(usize),
    /// The HPKE library refused (an invalid public key).
    #[error("sealing failed: {0}")]
    Seal(String),
}

/// A photo sealed to the registry for one code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedPhoto {
    /// The registry key it is sealed to.
    pub kid: String,
    /// HPKE's encapsulated key.
    pub enc: [u8; 32],
    /// The photo, encrypted, with its tag.
    pub ciphertext: Vec<u8>,
}

fn aad(code: &CodeId) -> Vec<u8> {
    let mut a = AAD_LABEL.to_vec();
    a.extend_from_slice(&code.0);
    a
}

/// Seals `photo` for `code` to the registry's sealing key in use.
pub fn seal(keys: &PublicKeySet, code: &CodeId, photo: &[u8]) -> Result<SealedPhoto, SealError> {
    if photo.len() > MAX_PHOTO_BYTES {
        return Err(SealError::TooLarge(photo.len()));
    }
    let (kid, pk) = keys.sealing_key()?;
    let (enc, ciphertext) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, SealKem>(
        &OpModeS::Base,
        &pk,
        INFO,
        photo,
        &aad(code),
    )
    .map_err(|e| SealError::Seal(e.to_string()))?;
    let enc: [u8; 32] = enc
        .to_bytes()
        .as_slice()
        .try_into()
        .map_err(|_| SealError::Seal("encapsulated key length".into()))?;
    Ok(SealedPhoto {
        kid: kid.to_owned(),
        enc,
        ciphertext,
    })
}

/// Opens a photo sealed for `code`. Fails unless it was sealed for exactly this code, to a
/// key of this ring, and not altered since.
pub fn open(ring: &KeyRing, code: &CodeId, sealed: &SealedPhoto) -> Result<Vec<u8>, SealError> {
    let sk = ring
        .sealing_secret(&sealed.kid)
        .ok_or_else(|| SealError::UnknownKey(sealed.kid.clone()))?;
    let enc = <SealKem as Kem>::EncappedKey::from_bytes(&sealed.enc)
        .map_err(|_| SealError::Malformed("encapsulated key"))?;
    hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, SealKem>(
        &OpModeR::Base,
        &sk,
        &enc,
        INFO,
        &sealed.ciphertext,
        &aad(code),
    )
    .map_err(|_| SealError::WrongCodeOrAltered)
}

impl SealedPhoto {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.raw(MAGIC);
        w.short_str(&self.kid);
        w.raw(&self.enc);
        w.raw(&self.ciphertext);
        w.0
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<SealedPhoto, SealError> {
        let mut r = Reader::new(bytes);
        let short = |_| SealError::Malformed("truncated");
        if r.take(4).map_err(short)? != MAGIC {
            return Err(SealError::Malformed("magic"));
        }
        let kid = r.short_str().map_err(short)?.to_owned();
        let enc = r.array::<32>().map_err(short)?;
        let ciphertext = r.rest().to_vec();
        // The tag alone is 16 bytes.
        if ciphertext.len() < 16 {
            return Err(SealError::Malformed("truncated"));
        }
        if ciphertext.len() > MAX_PHOTO_BYTES + 16 {
            return Err(SealError::TooLarge(ciphertext.len()));
        }
        Ok(SealedPhoto {
            kid,
            enc,
            ciphertext,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHOTO: &[u8] = b"\xFF\xD8 a standard photo \xFF\xD9";

    use crate::keys::test_keys as setup;

    #[test]
    fn a_sealed_photo_opens_for_its_code_only() {
        let (ring, set) = setup();
        let a = CodeId::random().unwrap();
        let b = CodeId::random().unwrap();
        let sealed = seal(&set, &a, PHOTO).unwrap();
        assert!(!sealed.ciphertext.windows(8).any(|w| w == &PHOTO[3..11]));
        let wire = SealedPhoto::from_bytes(&sealed.to_bytes()).unwrap();
        assert_eq!(wire, sealed);
        assert_eq!(open(&ring, &a, &wire).unwrap(), PHOTO);
        // Made for A, submitted for B.
        assert!(matches!(
            open(&ring, &b, &wire),
            Err(SealError::WrongCodeOrAltered)
        ));
    }

    #[test]
    fn an_altered_ciphertext_or_key_does_not_open() {
        let (ring, set) = setup();
        let a = CodeId::random().unwrap();
        let sealed = seal(&set, &a, PHOTO).unwrap();
        for i in 0..sealed.ciphertext.len() {
            let mut t = sealed.clone();
            t.ciphertext[i] ^= 0x80;
            assert!(open(&ring, &a, &t).is_err(), "byte {i}");
        }
        let mut t = sealed.clone();
        t.enc[0] ^= 1;
        assert!(open(&ring, &a, &t).is_err());
    }

    #[test]
    fn another_registrys_ring_cannot_open_and_rotation_keeps_old_photos_readable() {
        let (mut ring, set) = setup();
        let (other, _) = setup();
        let a = CodeId::random().unwrap();
        let sealed = seal(&set, &a, PHOTO).unwrap();
        assert!(matches!(
            open(&other, &a, &sealed),
            Err(SealError::UnknownKey(_))
        ));
        ring.rotate_sealing(10).unwrap();
        let newer = seal(&ring.public(&[], 11), &a, PHOTO).unwrap();
        assert_ne!(newer.kid, sealed.kid);
        assert_eq!(open(&ring, &a, &sealed).unwrap(), PHOTO);
        assert_eq!(open(&ring, &a, &newer).unwrap(), PHOTO);
    }

    #[test]
    fn bad_wire_bytes_are_malformed() {
        assert!(matches!(
            SealedPhoto::from_bytes(b""),
            Err(SealError::Malformed(_))
        ));
        assert!(matches!(
            SealedPhoto::from_bytes(b"XXXX"),
            Err(SealError::Malformed(_))
        ));
        let (_, set) = setup();
        let sealed = seal(&set, &CodeId::random().unwrap(), PHOTO)
            .unwrap()
            .to_bytes();
        for end in 0..sealed.len().min(60) {
            assert!(SealedPhoto::from_bytes(&sealed[..end]).is_err(), "{end}");
        }
        assert!(matches!(
            seal(
                &set,
                &CodeId::random().unwrap(),
                &vec![0; MAX_PHOTO_BYTES + 1]
            ),
            Err(SealError::TooLarge(_))
        ));
    }
}
