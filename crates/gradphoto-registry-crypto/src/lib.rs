//! The registry's cryptography, with no I/O: what makes a photo impossible to attach to the
//! wrong student (张冠李戴).
//!
//! - [`code`]: the collection code (采集码). The registry signs a compact payload — a random
//!   id, school, level, graduation year, masked name and masked ID number — with Ed25519; the
//!   key id travels in the payload. Anyone holding the published keys verifies a code offline.
//! - [`keys`]: the registry's key ring (signing and sealing keys, rotated, old ones kept to
//!   verify and open what they made) and the public key set it publishes with the revocation
//!   list, JWKS-like.
//! - [`seal`]: a photo sealed to the registry's X25519 key with HPKE (RFC 9180, base mode,
//!   DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305), the code id as associated
//!   data: a ciphertext made for code A does not open as code B's.
//!
//! The real registry's cipher is not public; this is gradphoto's own registry side, and the
//! agency side only ever sees public keys.

pub mod code;
pub mod keys;
pub mod seal;

mod bytes;

pub use code::{CodeClaims, CodeError, CodeId, VerifiedCode};
pub use keys::{KeyError, KeyRing, KeyUse, PublicKey, PublicKeySet};
pub use seal::{SealError, SealedPhoto};

/// Fresh random bytes from the operating system. The OS generator failing is not something
/// a caller can handle; key generation and code issuing report it as an error instead of
/// panicking.
pub(crate) fn random<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)?;
    Ok(b)
}
