//! RSA keys from PEM: a PKCS#8 private key to sign with, an X.509 SubjectPublicKeyInfo
//! public key to verify with (what WeChat Pay and Alipay hand out).

use base64::Engine as _;
use ring::signature::{self, RsaKeyPair};

use crate::PayError;

/// The DER inside a PEM block with the given label.
fn pem_der(pem: &str, label: &str) -> Result<Vec<u8>, PayError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem
        .find(&begin)
        .ok_or_else(|| PayError::Key(format!("no {label} block")))?
        + begin.len();
    let stop = pem[start..]
        .find(&end)
        .ok_or_else(|| PayError::Key(format!("unterminated {label} block")))?
        + start;
    let b64: String = pem[start..stop].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| PayError::Key(format!("{label}: {e}")))
}

/// A private key to sign requests with.
pub struct SigningKey(RsaKeyPair);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// From `-----BEGIN PRIVATE KEY-----` (PKCS#8), as the providers' tools export it.
    pub fn from_pem(pem: &str) -> Result<SigningKey, PayError> {
        let der = pem_der(pem, "PRIVATE KEY")?;
        RsaKeyPair::from_pkcs8(&der)
            .map(SigningKey)
            .map_err(|e| PayError::Key(format!("PKCS#8 RSA key: {e}")))
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 ("SHA256withRSA", Alipay's RSA2), base64.
    pub fn sign(&self, message: &[u8]) -> Result<String, PayError> {
        let rng = ring::rand::SystemRandom::new();
        let mut sig = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
            .map_err(|_| PayError::Key("signing failed".into()))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(sig))
    }
}

/// A public key to verify a provider's signatures with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    /// PKCS#1 RSAPublicKey DER, which `ring` takes.
    rsa_der: Vec<u8>,
}

impl VerifyingKey {
    /// From `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo).
    pub fn from_pem(pem: &str) -> Result<VerifyingKey, PayError> {
        let der = pem_der(pem, "PUBLIC KEY")?;
        Ok(VerifyingKey {
            rsa_der: spki_rsa_key(&der)?,
        })
    }

    /// Checks a base64 SHA256withRSA signature of `message`.
    pub fn verify(&self, message: &[u8], signature_b64: &str) -> Result<(), PayError> {
        let sig = base64::engine::general_purpose::STANDARD
            .decode(signature_b64.trim())
            .map_err(|_| PayError::BadSignature)?;
        signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.rsa_der)
            .verify(message, &sig)
            .map_err(|_| PayError::BadSignature)
    }
}

/// One DER element: (tag, content, rest).
fn der_take(input: &[u8]) -> Result<(u8, &[u8], &[u8]), PayError> {
    let bad = || PayError::Key("malformed public key DER".into());
    let (&tag, rest) = input.split_first().ok_or_else(bad)?;
    let (&len0, mut rest) = rest.split_first().ok_or_else(bad)?;
    let len = if len0 < 0x80 {
        usize::from(len0)
    } else {
        let n = usize::from(len0 & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err(bad());
        }
        let mut l = 0usize;
        for &b in &rest[..n] {
            l = (l << 8) | usize::from(b);
        }
        rest = &rest[n..];
        l
    };
    if rest.len() < len {
        return Err(bad());
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

/// The RSAPublicKey inside a SubjectPublicKeyInfo:
/// `SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING { RSAPublicKey } }`.
fn spki_rsa_key(spki: &[u8]) -> Result<Vec<u8>, PayError> {
    const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let (tag, body, _) = der_take(spki)?;
    if tag != 0x30 {
        return Err(PayError::Key("public key is not a DER SEQUENCE".into()));
    }
    let (tag, alg, rest) = der_take(body)?;
    let (oid_tag, oid, _) = der_take(alg)?;
    if tag != 0x30 || oid_tag != 0x06 || oid != RSA_ENCRYPTION {
        return Err(PayError::Key("public key is not RSA".into()));
    }
    let (tag, bits, _) = der_take(rest)?;
    match bits.split_first() {
        Some((0, key)) if tag == 0x03 => Ok(key.to_vec()),
        _ => Err(PayError::Key("malformed public key bit string".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MERCHANT_KEY: &str = include_str!("../testkeys/merchant.key.pem");
    const MERCHANT_PUB: &str = include_str!("../testkeys/merchant.pub.pem");
    const PLATFORM_PUB: &str = include_str!("../testkeys/platform.pub.pem");

    #[test]
    fn signs_and_verifies_and_refuses_others() {
        let k = SigningKey::from_pem(MERCHANT_KEY).expect("private key");
        let mine = VerifyingKey::from_pem(MERCHANT_PUB).expect("public key");
        let other = VerifyingKey::from_pem(PLATFORM_PUB).expect("public key");
        let sig = k.sign(b"message").expect("sign");
        assert_eq!(mine.verify(b"message", &sig), Ok(()));
        assert_eq!(mine.verify(b"messagE", &sig), Err(PayError::BadSignature));
        assert_eq!(other.verify(b"message", &sig), Err(PayError::BadSignature));
        assert_eq!(
            mine.verify(b"message", "not base64!"),
            Err(PayError::BadSignature)
        );
    }

    #[test]
    fn bad_pem_is_a_clear_error() {
        assert!(matches!(
            SigningKey::from_pem("nothing"),
            Err(PayError::Key(_))
        ));
        assert!(matches!(
            VerifyingKey::from_pem(MERCHANT_KEY),
            Err(PayError::Key(_))
        ));
        let truncated = &MERCHANT_PUB[..MERCHANT_PUB.len() / 2];
        assert!(VerifyingKey::from_pem(truncated).is_err());
    }
}
