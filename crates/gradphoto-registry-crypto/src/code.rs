//! The collection code (采集码): what the registry hands each graduating student and what the
//! agency scans before it photographs anyone.
//!
//! A code is `GPC1.` followed by base64url of a compact binary payload and its Ed25519
//! signature (about 190 characters for a typical student: a QR code of version 9–10). The
//! payload holds a random id, the signing key's id, the school code, the level, the
//! graduation year, and the name and ID number in masked form only — a code is shown and
//! scanned in public, so it carries nothing a list of students would leak.
//!
//! Verification needs only the published [`PublicKeySet`]: the key id selects the key, the
//! signature covers every byte before it (with a domain label, so no other signed object of
//! the registry can pass as a code), and the set's revocation list refuses re-issued codes.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::{Signature, Signer};
use gradphoto_domain::people::Level;

use crate::bytes::{Reader, Writer};
use crate::keys::{KeyError, KeyRing, PublicKeySet};

/// The text before the payload; the digit is the format version.
pub const PREFIX: &str = "GPC1.";
/// What the signature covers before the payload.
const SIGNED_LABEL: &[u8] = b"gradphoto collection code v1\0";
const FORMAT: u8 = 1;
/// Longest accepted code text: a real one is about 190 characters.
const MAX_TEXT: usize = 600;
/// Longest claim field, in bytes.
const MAX_FIELD: usize = 64;

/// A code's random id (128 bits), shown as 22 base64url characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodeId(pub [u8; 16]);

impl CodeId {
    /// A fresh random id.
    pub fn random() -> Result<CodeId, CodeError> {
        crate::random()
            .map(CodeId)
            .map_err(|e| CodeError::Key(KeyError::Random(e)))
    }
}

impl fmt::Display for CodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&B64.encode(self.0))
    }
}

impl fmt::Debug for CodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CodeId({self})")
    }
}

impl FromStr for CodeId {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<CodeId, CodeError> {
        let bytes = B64
            .decode(s.trim())
            .map_err(|_| CodeError::Malformed("code id"))?;
        bytes
            .try_into()
            .map(CodeId)
            .map_err(|_| CodeError::Malformed("code id"))
    }
}

/// What a code says about its student: the masked forms only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeClaims {
    /// The school's code (学校代码), e.g. `10384`.
    pub school_code: String,
    pub level: Level,
    pub graduation_year: u16,
    /// e.g. `张*三`.
    pub name_masked: String,
    /// e.g. `3502**********123X`.
    pub id_masked: String,
}

/// A code whose signature, key and revocation status have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCode {
    pub id: CodeId,
    /// The key that signed it.
    pub kid: String,
    pub claims: CodeClaims,
}

/// Why a code was refused or could not be made. [`CodeError::zh`] and [`CodeError::en`]
/// are what an operator at the desk reads.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// Not a collection code at all, or damaged (a partial scan, a typo).
    #[error("not a valid collection code ({0})")]
    Malformed(&'static str),
    /// Signed with a key the set does not hold: forged, or the cached keys are too old.
    #[error("signed with unknown key {0}")]
    UnknownKey(String),
    /// The signature does not match: forged or altered.
    #[error("the signature does not match")]
    BadSignature,
    /// The registry re-issued the code; the old one is void.
    #[error("revoked")]
    Revoked(CodeId),
    /// A claim cannot go into a code (too long, or not masked).
    #[error("claim {0}: {1}")]
    Claim(&'static str, &'static str),
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl CodeError {
    /// The stable reason code a desk reports (`code.revoked`, …).
    pub fn reason(&self) -> &'static str {
        match self {
            CodeError::Revoked(_) => "code.revoked",
            CodeError::UnknownKey(_) => "code.unknown_key",
            CodeError::BadSignature => "code.bad_signature",
            _ => "code.malformed",
        }
    }

    pub fn zh(&self) -> String {
        match self {
            CodeError::Malformed(_) => {
                "这不是有效的图像采集码（可能扫描不完整），请重新扫描或从学信网重新下载。".into()
            }
            CodeError::UnknownKey(_) => {
                "采集码的签名密钥未知：可能是伪造的采集码，或本机的学信网公钥需要更新。".into()
            }
            CodeError::BadSignature => "采集码签名校验失败：采集码被伪造或篡改，不予拍摄。".into(),
            CodeError::Revoked(_) => {
                "该采集码已作废（学信网已重新生成），请学生登录学信网获取最新采集码。".into()
            }
            CodeError::Claim(field, why) => format!("无法生成采集码：字段 {field} {why}。"),
            CodeError::Key(e) => format!("密钥错误：{e}"),
        }
    }

    pub fn en(&self) -> String {
        match self {
            CodeError::Malformed(_) => "This is not a valid collection code (perhaps a partial scan). Scan again or download it again from the registry.".into(),
            CodeError::UnknownKey(_) => "The code is signed with an unknown key: it may be forged, or this device's copy of the registry keys needs updating.".into(),
            CodeError::BadSignature => "The code's signature does not match: it is forged or altered. Do not photograph.".into(),
            CodeError::Revoked(_) => "This code has been revoked (the registry issued a new one). The student must fetch the current code from the registry.".into(),
            CodeError::Claim(field, why) => format!("Cannot issue the code: {field} {why}."),
            CodeError::Key(e) => format!("Key error: {e}"),
        }
    }
}

fn level_byte(level: Level) -> u8 {
    Level::ALL.iter().position(|l| *l == level).unwrap_or(0) as u8
}

fn check_claim(name: &'static str, value: &str, masked: bool) -> Result<(), CodeError> {
    if value.is_empty() || value.len() > MAX_FIELD {
        return Err(CodeError::Claim(name, "must be 1–64 bytes"));
    }
    if masked && !value.contains('*') {
        return Err(CodeError::Claim(name, "must be masked"));
    }
    Ok(())
}

/// The bytes a code signs: format, key id, id and claims.
fn payload(kid: &str, id: &CodeId, c: &CodeClaims) -> Vec<u8> {
    let mut w = Writer::default();
    w.u8(FORMAT);
    w.short_str(kid);
    w.raw(&id.0);
    w.short_str(&c.school_code);
    w.u8(level_byte(c.level));
    w.u16(c.graduation_year);
    w.short_str(&c.name_masked);
    w.short_str(&c.id_masked);
    w.0
}

fn signed_message(payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(SIGNED_LABEL.len() + payload.len());
    m.extend_from_slice(SIGNED_LABEL);
    m.extend_from_slice(payload);
    m
}

/// Issues a code for these claims with a fresh id, signed with the ring's key in use.
/// Returns the id (the registry stores it with the enrolment) and the code text.
pub fn issue(ring: &KeyRing, claims: &CodeClaims) -> Result<(CodeId, String), CodeError> {
    check_claim("school_code", &claims.school_code, false)?;
    check_claim("name_masked", &claims.name_masked, true)?;
    check_claim("id_masked", &claims.id_masked, true)?;
    let (kid, key) = ring.active_signing()?;
    let id = CodeId::random()?;
    let mut bytes = payload(kid, &id, claims);
    let sig = key.sign(&signed_message(&bytes));
    bytes.extend_from_slice(&sig.to_bytes());
    Ok((id, format!("{PREFIX}{}", B64.encode(bytes))))
}

/// Checks a scanned or pasted code against the published keys: format, key id, signature,
/// revocation — in that order, and nothing from the payload is believed before the
/// signature is.
pub fn verify(text: &str, keys: &PublicKeySet) -> Result<VerifiedCode, CodeError> {
    let text = text.trim();
    if text.len() > MAX_TEXT {
        return Err(CodeError::Malformed("too long"));
    }
    let body = text
        .strip_prefix(PREFIX)
        .ok_or(CodeError::Malformed("prefix"))?;
    let bytes = B64
        .decode(body)
        .map_err(|_| CodeError::Malformed("encoding"))?;
    if bytes.len() < 64 {
        return Err(CodeError::Malformed("too short"));
    }
    let (signed, sig) = bytes.split_at(bytes.len() - 64);
    let mut r = Reader::new(signed);
    let short = |_| CodeError::Malformed("payload");
    if r.u8().map_err(short)? != FORMAT {
        return Err(CodeError::Malformed("version"));
    }
    let kid = r.short_str().map_err(short)?.to_owned();
    let key = keys
        .verifying_key(&kid)
        .ok_or_else(|| CodeError::UnknownKey(kid.clone()))?;
    let sig = Signature::from_bytes(
        sig.try_into()
            .map_err(|_| CodeError::Malformed("signature"))?,
    );
    key.verify_strict(&signed_message(signed), &sig)
        .map_err(|_| CodeError::BadSignature)?;
    // Signed by the registry: the rest is the registry's word.
    let id = CodeId(r.array().map_err(short)?);
    let school_code = r.short_str().map_err(short)?.to_owned();
    let level = *Level::ALL
        .get(usize::from(r.u8().map_err(short)?))
        .ok_or(CodeError::Malformed("level"))?;
    let graduation_year = r.u16().map_err(short)?;
    let name_masked = r.short_str().map_err(short)?.to_owned();
    let id_masked = r.short_str().map_err(short)?.to_owned();
    if r.remaining() != 0 {
        return Err(CodeError::Malformed("trailing bytes"));
    }
    if keys.is_revoked(&id) {
        return Err(CodeError::Revoked(id));
    }
    Ok(VerifiedCode {
        id,
        kid,
        claims: CodeClaims {
            school_code,
            level,
            graduation_year,
            name_masked,
            id_masked,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> CodeClaims {
        CodeClaims {
            school_code: "10384".into(),
            level: Level::Bachelor,
            graduation_year: 2027,
            name_masked: "张*三".into(),
            id_masked: "3502**********123X".into(),
        }
    }

    use crate::keys::test_keys as setup;

    #[test]
    fn an_issued_code_verifies_with_the_published_keys() {
        let (ring, set) = setup();
        let (id, text) = issue(&ring, &claims()).unwrap();
        assert!(text.starts_with(PREFIX));
        assert!(text.len() < 200, "{} characters", text.len());
        let v = verify(&format!("  {text}\n"), &set).unwrap();
        assert_eq!(v.id, id);
        assert_eq!(v.claims, claims());
        assert_eq!(Some(v.kid.as_str()), ring.active_ids().0);
        // Two codes for the same student differ.
        assert_ne!(issue(&ring, &claims()).unwrap().1, text);
    }

    #[test]
    fn a_code_from_another_key_ring_is_refused_as_an_unknown_key() {
        let (_, set) = setup();
        let (forger, _) = setup();
        let (_, forged) = issue(&forger, &claims()).unwrap();
        assert!(matches!(
            verify(&forged, &set),
            Err(CodeError::UnknownKey(_))
        ));
    }

    /// Decodes, lets `f` change the bytes, encodes again.
    fn tamper(text: &str, f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut bytes = B64.decode(&text[PREFIX.len()..]).unwrap();
        f(&mut bytes);
        format!("{PREFIX}{}", B64.encode(bytes))
    }

    #[test]
    fn an_altered_payload_or_a_forged_signature_is_refused() {
        let (ring, set) = setup();
        let (_, text) = issue(&ring, &claims()).unwrap();
        let n = B64.decode(&text[PREFIX.len()..]).unwrap().len();
        // The graduation year, just before the masked name: change 2027 to 2028.
        let altered = tamper(&text, |b| {
            let pos = b
                .windows(2)
                .position(|w| w == 2027u16.to_be_bytes())
                .unwrap();
            b[pos + 1] += 1;
        });
        assert!(matches!(
            verify(&altered, &set),
            Err(CodeError::BadSignature)
        ));
        // Every single byte of the payload is covered.
        for i in 1 + 1 + 16..n - 64 {
            let t = tamper(&text, |b| b[i] ^= 0x01);
            assert!(verify(&t, &set).is_err(), "byte {i} not covered");
        }
        // A signature made up by someone without the key.
        let forged = tamper(&text, |b| {
            let l = b.len();
            b[l - 64..].copy_from_slice(&[7u8; 64]);
        });
        assert!(matches!(
            verify(&forged, &set),
            Err(CodeError::BadSignature)
        ));
    }

    #[test]
    fn a_revoked_code_is_refused_and_its_replacement_accepted() {
        let (ring, _) = setup();
        let (old, old_text) = issue(&ring, &claims()).unwrap();
        let (_, new_text) = issue(&ring, &claims()).unwrap();
        let set = ring.public(&[old], 3);
        assert!(matches!(verify(&old_text, &set), Err(CodeError::Revoked(id)) if id == old));
        assert!(verify(&new_text, &set).is_ok());
    }

    #[test]
    fn codes_signed_before_a_rotation_still_verify() {
        let (mut ring, _) = setup();
        let (_, before) = issue(&ring, &claims()).unwrap();
        ring.rotate_signing(5).unwrap();
        let (_, after) = issue(&ring, &claims()).unwrap();
        let set = ring.public(&[], 6);
        assert!(verify(&before, &set).is_ok());
        assert!(verify(&after, &set).is_ok());
    }

    #[test]
    fn garbage_is_malformed_never_a_panic() {
        let (_, set) = setup();
        for bad in [
            "",
            "GPC1.",
            "GPC1.!!!!",
            "hello",
            "GPC2.AAAA",
            &"GPC1.".repeat(200),
        ] {
            assert!(
                matches!(verify(bad, &set), Err(CodeError::Malformed(_))),
                "{bad}"
            );
        }
        // Every truncation of a real code.
        let (ring, _) = setup();
        let (_, text) = issue(&ring, &claims()).unwrap();
        for end in 0..text.len() {
            if text.is_char_boundary(end) {
                assert!(verify(&text[..end], &set).is_err());
            }
        }
        let msg = CodeError::BadSignature;
        assert!(msg.zh().contains("伪造") && msg.en().contains("forged"));
    }

    #[test]
    fn unmasked_or_oversized_claims_are_not_issued() {
        let (ring, _) = setup();
        let mut c = claims();
        c.id_masked = "350203200001011234".into();
        assert!(matches!(
            issue(&ring, &c),
            Err(CodeError::Claim("id_masked", _))
        ));
        let mut c = claims();
        c.name_masked = "张三".into();
        assert!(matches!(
            issue(&ring, &c),
            Err(CodeError::Claim("name_masked", _))
        ));
        let mut c = claims();
        c.school_code = "1".repeat(65);
        assert!(issue(&ring, &c).is_err());
    }

    #[test]
    fn code_ids_round_trip_as_text() {
        let id = CodeId::random().unwrap();
        assert_eq!(id.to_string().parse::<CodeId>().unwrap(), id);
        assert!("short".parse::<CodeId>().is_err());
    }
}
