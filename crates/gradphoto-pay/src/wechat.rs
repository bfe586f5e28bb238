//! WeChat Pay API v3.
//!
//! - Requests are signed: the message is `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`,
//!   signed SHA256withRSA with the merchant's key, sent as
//!   `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`.
//! - Responses and notifications are signed by WeChat Pay: the message is
//!   `TIMESTAMP\nNONCE\nBODY\n` from the `Wechatpay-Timestamp`, `Wechatpay-Nonce` headers
//!   and the body; `Wechatpay-Signature` is checked with the platform key whose serial is
//!   in `Wechatpay-Serial`; the timestamp must be within ±300 s of now.
//! - A notification's `resource` is AEAD_AES_256_GCM under the merchant's APIv3 key, with
//!   its `nonce` and `associated_data`; the plaintext is the transaction.

use std::collections::BTreeMap;

use base64::Engine as _;
use ring::aead;
use serde::{Deserialize, Serialize};

use crate::PayError;
use crate::keys::{SigningKey, VerifyingKey};

/// How far a signed timestamp may be from now, either way.
pub const MAX_SKEW_SECS: i64 = 300;

/// The merchant's identity and signing key.
#[derive(Debug)]
pub struct Merchant {
    pub mchid: String,
    /// Serial number of the merchant's API certificate.
    pub serial_no: String,
    pub key: SigningKey,
}

/// The message a request signature covers.
pub fn request_message(
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    nonce: &str,
    body: &str,
) -> String {
    format!("{method}\n{path_and_query}\n{timestamp}\n{nonce}\n{body}\n")
}

impl Merchant {
    /// The `Authorization` header of a request.
    pub fn authorization(
        &self,
        method: &str,
        path_and_query: &str,
        timestamp: i64,
        nonce: &str,
        body: &str,
    ) -> Result<String, PayError> {
        let signature = self
            .key
            .sign(request_message(method, path_and_query, timestamp, nonce, body).as_bytes())?;
        Ok(format!(
            "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",nonce_str=\"{nonce}\",signature=\"{signature}\",timestamp=\"{timestamp}\",serial_no=\"{}\"",
            self.mchid, self.serial_no
        ))
    }
}

/// The fields of an `Authorization` header, for a server that checks requests.
pub fn parse_authorization(header: &str) -> Result<BTreeMap<String, String>, PayError> {
    let rest = header
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .ok_or(PayError::Malformed("Authorization scheme"))?;
    let mut out = BTreeMap::new();
    for part in rest.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or(PayError::Malformed("Authorization field"))?;
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or(PayError::Malformed("Authorization quoting"))?;
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

/// WeChat Pay's platform keys by serial (a rotation publishes the next key beside the old).
#[derive(Debug, Clone, Default)]
pub struct PlatformKeys(BTreeMap<String, VerifyingKey>);

impl PlatformKeys {
    pub fn new() -> PlatformKeys {
        PlatformKeys::default()
    }

    pub fn insert(&mut self, serial: &str, key: VerifyingKey) {
        self.0.insert(serial.to_string(), key);
    }

    /// Checks a signed response or notification, as the four `Wechatpay-*` headers and
    /// the raw body give it, at `now` (Unix seconds).
    pub fn verify(&self, h: &SignedHeaders<'_>, body: &[u8], now: i64) -> Result<(), PayError> {
        let ts: i64 = h
            .timestamp
            .trim()
            .parse()
            .map_err(|_| PayError::Malformed("Wechatpay-Timestamp"))?;
        if (now - ts).abs() > MAX_SKEW_SECS {
            return Err(PayError::Stale(ts));
        }
        let key = self
            .0
            .get(h.serial)
            .ok_or_else(|| PayError::UnknownSerial(h.serial.to_string()))?;
        let mut message = format!("{}\n{}\n", h.timestamp.trim(), h.nonce).into_bytes();
        message.extend_from_slice(body);
        message.push(b'\n');
        key.verify(&message, h.signature)
    }
}

/// The `Wechatpay-Timestamp`, `-Nonce`, `-Signature` and `-Serial` headers.
#[derive(Debug, Clone, Copy)]
pub struct SignedHeaders<'a> {
    pub timestamp: &'a str,
    pub nonce: &'a str,
    pub signature: &'a str,
    pub serial: &'a str,
}

/// Signs a response or notification as WeChat Pay does (the local server and the sandbox
/// payer use it): the `Wechatpay-Signature` value.
pub fn sign_response(
    key: &SigningKey,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Result<String, PayError> {
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    key.sign(&message)
}

/// A payment notification's envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub create_time: String,
    pub event_type: String,
    pub resource_type: String,
    pub resource: Resource,
    #[serde(default)]
    pub summary: String,
}

/// The encrypted part of a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub algorithm: String,
    pub ciphertext: String,
    #[serde(default)]
    pub associated_data: String,
    pub original_type: String,
    pub nonce: String,
}

/// A transaction, as a notification's plaintext and the order query return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub appid: String,
    pub mchid: String,
    pub out_trade_no: String,
    #[serde(default)]
    pub transaction_id: String,
    /// SUCCESS, NOTPAY, CLOSED, PAYERROR, REFUND, …
    pub trade_state: String,
    pub amount: Amount,
    #[serde(default)]
    pub success_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    /// In fen.
    pub total: i64,
    #[serde(default)]
    pub payer_total: Option<i64>,
    #[serde(default = "cny")]
    pub currency: String,
}

fn cny() -> String {
    "CNY".into()
}

fn gcm_key(api_v3_key: &[u8]) -> Result<aead::LessSafeKey, PayError> {
    aead::UnboundKey::new(&aead::AES_256_GCM, api_v3_key)
        .map(aead::LessSafeKey::new)
        .map_err(|_| PayError::Key("the APIv3 key must be 32 bytes".into()))
}

fn gcm_nonce(nonce: &str) -> Result<aead::Nonce, PayError> {
    aead::Nonce::try_assume_unique_for_key(nonce.as_bytes())
        .map_err(|_| PayError::Malformed("resource nonce (12 bytes)"))
}

/// Decrypts a notification's resource with the APIv3 key.
pub fn decrypt_resource(api_v3_key: &[u8], r: &Resource) -> Result<Vec<u8>, PayError> {
    if r.algorithm != "AEAD_AES_256_GCM" {
        return Err(PayError::Malformed("resource algorithm"));
    }
    let key = gcm_key(api_v3_key)?;
    let mut data = base64::engine::general_purpose::STANDARD
        .decode(r.ciphertext.trim())
        .map_err(|_| PayError::Decrypt)?;
    let plain = key
        .open_in_place(
            gcm_nonce(&r.nonce)?,
            aead::Aad::from(r.associated_data.as_bytes()),
            &mut data,
        )
        .map_err(|_| PayError::Decrypt)?;
    Ok(plain.to_vec())
}

/// Encrypts a resource as WeChat Pay does (for the local server and the sandbox payer).
pub fn encrypt_resource(
    api_v3_key: &[u8],
    nonce: &str,
    associated_data: &str,
    original_type: &str,
    plaintext: &[u8],
) -> Result<Resource, PayError> {
    let key = gcm_key(api_v3_key)?;
    let mut data = plaintext.to_vec();
    key.seal_in_place_append_tag(
        gcm_nonce(nonce)?,
        aead::Aad::from(associated_data.as_bytes()),
        &mut data,
    )
    .map_err(|_| PayError::Decrypt)?;
    Ok(Resource {
        algorithm: "AEAD_AES_256_GCM".into(),
        ciphertext: base64::engine::general_purpose::STANDARD.encode(data),
        associated_data: associated_data.into(),
        original_type: original_type.into(),
        nonce: nonce.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MERCHANT_KEY: &str = include_str!("../testkeys/merchant.key.pem");
    const MERCHANT_PUB: &str = include_str!("../testkeys/merchant.pub.pem");
    const PLATFORM_KEY: &str = include_str!("../testkeys/platform.key.pem");
    const PLATFORM_PUB: &str = include_str!("../testkeys/platform.pub.pem");
    const API_V3_KEY: &[u8; 32] = b"0123456789abcdef0123456789abcdef";

    fn platform() -> PlatformKeys {
        let mut k = PlatformKeys::new();
        k.insert(
            "PUB_KEY_ID_0001",
            VerifyingKey::from_pem(PLATFORM_PUB).expect("pub"),
        );
        k
    }

    #[test]
    fn requests_are_signed_over_the_documented_message() {
        let m = Merchant {
            mchid: "1900000001".into(),
            serial_no: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1".into(),
            key: SigningKey::from_pem(MERCHANT_KEY).expect("key"),
        };
        let body = r#"{"appid":"wx1","mchid":"1900000001","out_trade_no":"GP1-1"}"#;
        let h = m
            .authorization(
                "POST",
                "/v3/pay/transactions/native",
                1_800_000_000,
                "n1",
                body,
            )
            .expect("sign");
        let f = parse_authorization(&h).expect("parse");
        assert_eq!(f["mchid"], "1900000001");
        assert_eq!(f["timestamp"], "1800000000");
        assert_eq!(f["serial_no"], m.serial_no);
        let message =
            "POST\n/v3/pay/transactions/native\n1800000000\nn1\n".to_string() + body + "\n";
        let public = VerifyingKey::from_pem(MERCHANT_PUB).expect("pub");
        assert_eq!(public.verify(message.as_bytes(), &f["signature"]), Ok(()));
        assert!(
            public
                .verify(
                    message.replace("GP1-1", "GP1-2").as_bytes(),
                    &f["signature"]
                )
                .is_err()
        );
        assert!(parse_authorization("Bearer x").is_err());
    }

    #[test]
    fn responses_verify_only_when_genuine_fresh_and_by_a_known_serial() {
        let k = SigningKey::from_pem(PLATFORM_KEY).expect("key");
        let body = br#"{"code_url":"weixin://wxpay/bizpayurl?pr=abc"}"#;
        let now = 1_800_000_000;
        let sig = sign_response(&k, now, "nonce-1", body).expect("sign");
        let ts = now.to_string();
        let h = SignedHeaders {
            timestamp: &ts,
            nonce: "nonce-1",
            signature: &sig,
            serial: "PUB_KEY_ID_0001",
        };
        let keys = platform();
        assert_eq!(keys.verify(&h, body, now + 299), Ok(()));
        assert_eq!(keys.verify(&h, body, now - 299), Ok(()));
        assert_eq!(keys.verify(&h, body, now + 301), Err(PayError::Stale(now)));
        assert_eq!(
            keys.verify(&h, b"{\"code_url\":\"x\"}", now),
            Err(PayError::BadSignature)
        );
        let other = SignedHeaders {
            serial: "PUB_KEY_ID_9999",
            ..h
        };
        assert_eq!(
            keys.verify(&other, body, now),
            Err(PayError::UnknownSerial("PUB_KEY_ID_9999".into()))
        );
        let other_nonce = SignedHeaders {
            nonce: "nonce-2",
            ..h
        };
        assert_eq!(
            keys.verify(&other_nonce, body, now),
            Err(PayError::BadSignature)
        );
        // Signed by someone else's key (ours, not the platform's): refused.
        let forged = sign_response(
            &SigningKey::from_pem(MERCHANT_KEY).expect("key"),
            now,
            "nonce-1",
            body,
        )
        .expect("sign");
        let f = SignedHeaders {
            signature: &forged,
            ..h
        };
        assert_eq!(keys.verify(&f, body, now), Err(PayError::BadSignature));
        let bad_ts = SignedHeaders {
            timestamp: "soon",
            ..h
        };
        assert!(matches!(
            keys.verify(&bad_ts, body, now),
            Err(PayError::Malformed(_))
        ));
    }

    #[test]
    fn resources_decrypt_with_the_api_v3_key_only_and_unaltered() {
        let plain = br#"{"out_trade_no":"GP1-1","trade_state":"SUCCESS"}"#;
        let r = encrypt_resource(
            API_V3_KEY,
            "abcdefghijkl",
            "transaction",
            "transaction",
            plain,
        )
        .expect("seal");
        assert_eq!(decrypt_resource(API_V3_KEY, &r).expect("open"), plain);
        assert_eq!(
            decrypt_resource(b"fedcba9876543210fedcba9876543210", &r),
            Err(PayError::Decrypt)
        );
        let altered_ad = Resource {
            associated_data: "refund".into(),
            ..r.clone()
        };
        assert_eq!(
            decrypt_resource(API_V3_KEY, &altered_ad),
            Err(PayError::Decrypt)
        );
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(&r.ciphertext)
            .expect("b64");
        bytes[3] ^= 1;
        let altered = Resource {
            ciphertext: base64::engine::general_purpose::STANDARD.encode(bytes),
            ..r.clone()
        };
        assert_eq!(
            decrypt_resource(API_V3_KEY, &altered),
            Err(PayError::Decrypt)
        );
        let wrong_alg = Resource {
            algorithm: "AES_128_CBC".into(),
            ..r
        };
        assert!(matches!(
            decrypt_resource(API_V3_KEY, &wrong_alg),
            Err(PayError::Malformed(_))
        ));
        assert!(matches!(
            decrypt_resource(b"short", &altered),
            Err(PayError::Key(_))
        ));
    }

    #[test]
    fn a_transaction_parses_from_the_documented_shape() {
        let t: Transaction = serde_json::from_str(
            r#"{"appid":"wxd678efh567hg6787","mchid":"1230000109","out_trade_no":"GP1-1",
                "transaction_id":"1217752501201407033233368018","trade_type":"NATIVE",
                "trade_state":"SUCCESS","trade_state_desc":"支付成功","bank_type":"CMC",
                "success_time":"2026-12-04T10:34:56+08:00","payer":{"openid":"o1"},
                "amount":{"total":2000,"payer_total":2000,"currency":"CNY","payer_currency":"CNY"}}"#,
        )
        .expect("parse");
        assert_eq!(t.amount.total, 2000);
        assert_eq!(t.trade_state, "SUCCESS");
    }
}
