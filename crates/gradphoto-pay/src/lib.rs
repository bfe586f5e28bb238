//! Payment providers' protocols, as pure functions over bytes: what to sign, how to sign
//! it, and how to check what a provider sends back. The HTTP calls, the order bookkeeping
//! and the choice of provider live above, in the app crate.
//!
//! Signatures use `ring` (RSASSA-PKCS1-v1_5 with SHA-256), not the `rsa` crate
//! (RUSTSEC-2023-0071).

pub mod alipay;
pub mod alipay_api;
pub mod keys;
pub mod sandbox;
pub mod wechat;
pub mod wechat_api;

/// Why a provider's message was not accepted, or a key could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayError {
    #[error("key: {0}")]
    Key(String),
    #[error("signature does not verify")]
    BadSignature,
    #[error("signed with unknown key serial {0}")]
    UnknownSerial(String),
    #[error("timestamp {0} is outside the accepted window")]
    Stale(i64),
    #[error("missing or malformed {0}")]
    Malformed(&'static str),
    #[error("the notification cannot be decrypted")]
    Decrypt,
}
