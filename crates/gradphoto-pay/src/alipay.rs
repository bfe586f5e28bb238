//! Alipay's open platform, RSA2: the parameters except `sign` (and, for notifications,
//! `sign_type`), with empty values left out, sorted by name and joined as `k=v&k=v` with
//! the raw (decoded) values, signed SHA256withRSA; requests with the application's key,
//! responses and asynchronous notifications checked with Alipay's public key.

use std::collections::BTreeMap;

use crate::PayError;
use crate::keys::{SigningKey, VerifyingKey};

/// The string that is signed.
pub fn content(params: &BTreeMap<String, String>, skip_sign_type: bool) -> String {
    params
        .iter()
        .filter(|(k, v)| {
            k.as_str() != "sign" && !(skip_sign_type && k.as_str() == "sign_type") && !v.is_empty()
        })
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs a request: adds `sign` (RSA2) to the parameters.
pub fn sign_request(
    key: &SigningKey,
    params: &mut BTreeMap<String, String>,
) -> Result<(), PayError> {
    let signature = key.sign(content(params, false).as_bytes())?;
    params.insert("sign".into(), signature);
    Ok(())
}

/// Checks an asynchronous notification (its form fields, decoded).
pub fn verify_notification(
    alipay: &VerifyingKey,
    params: &BTreeMap<String, String>,
) -> Result<(), PayError> {
    if params.get("sign_type").map(String::as_str) != Some("RSA2") {
        return Err(PayError::Malformed("sign_type (RSA2)"));
    }
    let sign = params.get("sign").ok_or(PayError::Malformed("sign"))?;
    alipay.verify(content(params, true).as_bytes(), sign)
}

/// Signs a notification as Alipay does (the local server and the sandbox payer).
pub fn sign_notification(
    key: &SigningKey,
    params: &mut BTreeMap<String, String>,
) -> Result<(), PayError> {
    params.insert("sign_type".into(), "RSA2".into());
    let signature = key.sign(content(params, true).as_bytes())?;
    params.insert("sign".into(), signature);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP_KEY: &str = include_str!("../testkeys/alipay_app.key.pem");
    const APP_PUB: &str = include_str!("../testkeys/alipay_app.pub.pem");
    const ALIPAY_KEY: &str = include_str!("../testkeys/alipay_platform.key.pem");
    const ALIPAY_PUB: &str = include_str!("../testkeys/alipay_platform.pub.pem");

    fn p(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_content_is_sorted_raw_and_leaves_out_sign_and_empties() {
        let params = p(&[
            ("method", "alipay.trade.precreate"),
            ("app_id", "2021000000000001"),
            (
                "biz_content",
                r#"{"out_trade_no":"GP1-1","total_amount":"20.00","subject":"毕业照"}"#,
            ),
            ("sign", "x"),
            ("sign_type", "RSA2"),
            ("notify_url", ""),
            ("charset", "utf-8"),
        ]);
        assert_eq!(
            content(&params, false),
            r#"app_id=2021000000000001&biz_content={"out_trade_no":"GP1-1","total_amount":"20.00","subject":"毕业照"}&charset=utf-8&method=alipay.trade.precreate&sign_type=RSA2"#
        );
        assert!(!content(&params, true).contains("sign_type"));
    }

    #[test]
    fn requests_verify_with_the_app_key_and_notifications_with_alipays() {
        let mut req = p(&[
            ("app_id", "2021000000000001"),
            ("method", "alipay.trade.precreate"),
            ("sign_type", "RSA2"),
        ]);
        sign_request(&SigningKey::from_pem(APP_KEY).expect("key"), &mut req).expect("sign");
        let app_pub = VerifyingKey::from_pem(APP_PUB).expect("pub");
        assert_eq!(
            app_pub.verify(content(&req, false).as_bytes(), &req["sign"]),
            Ok(())
        );

        let alipay = VerifyingKey::from_pem(ALIPAY_PUB).expect("pub");
        let mut n = p(&[
            ("notify_id", "ac05099524730693a8b330c5ecf72da9786"),
            ("trade_status", "TRADE_SUCCESS"),
            ("out_trade_no", "GP1-1"),
            ("total_amount", "20.00"),
            ("app_id", "2021000000000001"),
            ("seller_id", "2088101106499364"),
        ]);
        sign_notification(&SigningKey::from_pem(ALIPAY_KEY).expect("key"), &mut n).expect("sign");
        assert_eq!(verify_notification(&alipay, &n), Ok(()));
        // Altered amount, forged by another key, missing or wrong sign_type: refused.
        let mut altered = n.clone();
        altered.insert("total_amount".into(), "0.01".into());
        assert_eq!(
            verify_notification(&alipay, &altered),
            Err(PayError::BadSignature)
        );
        let mut forged = n.clone();
        forged.remove("sign");
        sign_notification(&SigningKey::from_pem(APP_KEY).expect("key"), &mut forged).expect("sign");
        assert_eq!(
            verify_notification(&alipay, &forged),
            Err(PayError::BadSignature)
        );
        let mut rsa1 = n.clone();
        rsa1.insert("sign_type".into(), "RSA".into());
        assert!(matches!(
            verify_notification(&alipay, &rsa1),
            Err(PayError::Malformed(_))
        ));
        let mut unsigned = n;
        unsigned.remove("sign");
        assert!(matches!(
            verify_notification(&alipay, &unsigned),
            Err(PayError::Malformed(_))
        ));
    }
}
