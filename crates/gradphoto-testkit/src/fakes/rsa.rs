//! RSASSA-PKCS1-v1_5 with SHA-256 ("SHA256withRSA", Alipay's "RSA2") for the payment
//! fakes, over `ring`: PEM text in, base64 signatures out. Written apart from
//! `gradphoto-pay` on purpose, so the fakes do not share the code they test.

use base64::Engine as _;
use ring::signature::{self, RsaKeyPair, UnparsedPublicKey};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The DER inside the PEM block labelled `label` ("PRIVATE KEY", "PUBLIC KEY").
fn pem_der(pem: &str, label: &str) -> Vec<u8> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let body = pem
        .split_once(&begin)
        .and_then(|(_, rest)| rest.split_once(&end))
        .map(|(body, _)| body)
        .unwrap_or_else(|| panic!("no {label} PEM block"));
    let text: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    B64.decode(text)
        .unwrap_or_else(|e| panic!("{label} PEM: {e}"))
}

/// One DER element: its tag, its content and what follows it.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// rsaEncryption, 1.2.840.113549.1.1.1, as a DER OBJECT IDENTIFIER.
const RSA_ENCRYPTION: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];

/// The PKCS#1 `RSAPublicKey` inside a SubjectPublicKeyInfo:
/// `SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING { 0 unused bits, key } }`.
fn rsa_public_key(spki: &[u8]) -> Option<&[u8]> {
    let (0x30, info, []) = tlv(spki)? else {
        return None;
    };
    let (0x30, algorithm, rest) = tlv(info)? else {
        return None;
    };
    if !algorithm.starts_with(RSA_ENCRYPTION) {
        return None;
    }
    let (0x03, bits, []) = tlv(rest)? else {
        return None;
    };
    let (0, key) = bits.split_first()? else {
        return None;
    };
    let (0x30, _, []) = tlv(key)? else {
        return None;
    };
    Some(key)
}

/// A private key that signs as the provider (or, in tests, as gradphoto) would.
pub(crate) struct Signer(RsaKeyPair);

impl Signer {
    /// From a PKCS#8 "PRIVATE KEY" PEM; panics on anything else (a test's mistake).
    pub(crate) fn from_pem(pem: &str) -> Signer {
        let der = pem_der(pem, "PRIVATE KEY");
        Signer(RsaKeyPair::from_pkcs8(&der).expect("an RSA PKCS#8 private key"))
    }

    /// The base64 SHA256withRSA signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> String {
        let mut sig = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                message,
                &mut sig,
            )
            .expect("RSA signing");
        B64.encode(sig)
    }
}

/// A public key that checks signatures.
pub(crate) struct Verifier(UnparsedPublicKey<Vec<u8>>);

impl Verifier {
    /// From a SubjectPublicKeyInfo "PUBLIC KEY" PEM; panics on anything else.
    pub(crate) fn from_pem(pem: &str) -> Verifier {
        let der = pem_der(pem, "PUBLIC KEY");
        let key = rsa_public_key(&der).expect("an RSA SubjectPublicKeyInfo");
        Verifier(UnparsedPublicKey::new(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            key.to_vec(),
        ))
    }

    /// Whether `signature` (base64) is this key's SHA256withRSA signature of `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &str) -> bool {
        B64.decode(signature.trim())
            .is_ok_and(|sig| self.0.verify(message, &sig).is_ok())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const MERCHANT_KEY: &str =
        include_str!("../../../gradphoto-pay/testkeys/merchant.key.pem");
    pub(crate) const MERCHANT_PUB: &str =
        include_str!("../../../gradphoto-pay/testkeys/merchant.pub.pem");
    pub(crate) const PLATFORM_KEY: &str =
        include_str!("../../../gradphoto-pay/testkeys/platform.key.pem");
    pub(crate) const PLATFORM_PUB: &str =
        include_str!("../../../gradphoto-pay/testkeys/platform.pub.pem");
    pub(crate) const APP_KEY: &str =
        include_str!("../../../gradphoto-pay/testkeys/alipay_app.key.pem");
    pub(crate) const APP_PUB: &str =
        include_str!("../../../gradphoto-pay/testkeys/alipay_app.pub.pem");
    pub(crate) const ALIPAY_KEY: &str =
        include_str!("../../../gradphoto-pay/testkeys/alipay_platform.key.pem");
    pub(crate) const ALIPAY_PUB: &str =
        include_str!("../../../gradphoto-pay/testkeys/alipay_platform.pub.pem");

    #[test]
    fn signatures_verify_with_the_matching_public_key_only() {
        let sig = Signer::from_pem(MERCHANT_KEY).sign(b"message");
        assert!(Verifier::from_pem(MERCHANT_PUB).verify(b"message", &sig));
        assert!(!Verifier::from_pem(MERCHANT_PUB).verify(b"messagE", &sig));
        assert!(!Verifier::from_pem(PLATFORM_PUB).verify(b"message", &sig));
        assert!(!Verifier::from_pem(MERCHANT_PUB).verify(b"message", "not base64!"));
        for (key, public) in [
            (PLATFORM_KEY, PLATFORM_PUB),
            (APP_KEY, APP_PUB),
            (ALIPAY_KEY, ALIPAY_PUB),
        ] {
            assert!(Verifier::from_pem(public).verify(b"m", &Signer::from_pem(key).sign(b"m")));
        }
    }

    #[test]
    fn the_der_walker_refuses_what_is_not_an_rsa_key_info() {
        let der = pem_der(MERCHANT_PUB, "PUBLIC KEY");
        assert!(rsa_public_key(&der).is_some());
        assert!(rsa_public_key(&der[..der.len() - 1]).is_none());
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(rsa_public_key(&trailing).is_none());
        let mut not_rsa = der.clone();
        let at = not_rsa
            .windows(RSA_ENCRYPTION.len())
            .position(|w| w == RSA_ENCRYPTION)
            .expect("oid");
        not_rsa[at + RSA_ENCRYPTION.len() - 1] = 0x0b;
        assert!(rsa_public_key(&not_rsa).is_none());
        assert!(tlv(&[0x30, 0x85, 0, 0, 0, 0, 1]).is_none());
    }
}
