//! The demo's sandbox payer plays WeChat Pay and Alipay with these keys — public test
//! keys, never for real money (see `testkeys/README.md`). They are compiled in so the demo
//! needs no key files; a live deployment configures its own keys and never reads these.

pub const MERCHANT_KEY: &str = include_str!("../testkeys/merchant.key.pem");
pub const WECHAT_PLATFORM_KEY: &str = include_str!("../testkeys/platform.key.pem");
pub const WECHAT_PLATFORM_PUB: &str = include_str!("../testkeys/platform.pub.pem");
pub const WECHAT_PLATFORM_SERIAL: &str = "SANDBOX-PLATFORM-1";
/// The sandbox merchant's APIv3 key (32 bytes).
pub const WECHAT_API_V3_KEY: &[u8; 32] = b"gradphoto-sandbox-apiv3-key-0001";
pub const ALIPAY_APP_KEY: &str = include_str!("../testkeys/alipay_app.key.pem");
pub const ALIPAY_PLATFORM_KEY: &str = include_str!("../testkeys/alipay_platform.key.pem");
pub const ALIPAY_PLATFORM_PUB: &str = include_str!("../testkeys/alipay_platform.pub.pem");
/// The sandbox merchant's identities (made-up numbers in the providers' formats).
pub const WECHAT_APPID: &str = "wx0000sandbox0000";
pub const WECHAT_MCHID: &str = "1900000109";
pub const ALIPAY_APP_ID: &str = "2021000000000000";
pub const ALIPAY_SELLER_ID: &str = "2088000000000000";
