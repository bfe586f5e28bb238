//! Text messages to students. A deployment chooses a provider:
//! - `log`, for development and the demo: nothing leaves the machine, the message goes to
//!   the server log and to an in-memory inbox that the demo shows on a clearly marked page;
//! - `aliyun`, Alibaba Cloud SMS (Dysmsapi `SendSms`), the real service, which sends only
//!   pre-approved templates filled with parameters.
//!
//! So a message is a [`SmsMessage`] (what to say), not free text: the log provider renders
//! it, the real provider maps it to its template.

mod aliyun;
mod log;

pub use aliyun::{AliyunSms, canonical_query, percent_encode, sign};
pub use log::{LogSms, LoggedSms};

use gradphoto_domain::i18n::Msg;

use crate::AppError;
use crate::config::SmsConfig;

/// What the platform says by SMS. Each variant is one approved template at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsMessage {
    /// A one-time code (login, change of phone).
    Code { code: String },
    /// The day before an on-site session: when and where, and the group.
    OnsiteReminder {
        day: String,
        time: String,
        place: String,
        group: String,
    },
    /// A make-up appointment was booked: when, where, and the booking's code.
    MakeupBooked {
        time: String,
        place: String,
        code: String,
    },
    /// The day before a make-up appointment: when, where, and the booking's code.
    MakeupReminder {
        time: String,
        place: String,
        code: String,
    },
}

impl SmsMessage {
    /// The text as the student reads it (the log provider's rendering; the real template
    /// approved at the provider says the same).
    pub fn text(&self) -> String {
        match self {
            SmsMessage::Code { code } => format!(
                "【毕业生图像采集】验证码 {code}，5分钟内有效，请勿告诉他人。Your gradphoto code is {code}, valid for 5 minutes."
            ),
            SmsMessage::OnsiteReminder {
                day,
                time,
                place,
                group,
            } => format!(
                "【毕业生图像采集】您已报名现场图像采集：{day} {time}，{place}{group}。请携带采集码和身份证件按时到场，不出示采集码者不予拍摄。On-site photo: {day} {time}, {place}. Bring your collection code and ID card."
            ),
            SmsMessage::MakeupBooked { time, place, code } => format!(
                "【毕业生图像采集】您已预约补拍：{time}，{place}，预约号 {code}。请携带采集码和身份证件按时到场。Make-up shoot booked: {time}, {place}, booking {code}. Bring your collection code and ID card."
            ),
            SmsMessage::MakeupReminder { time, place, code } => format!(
                "【毕业生图像采集】明天补拍：{time}，{place}，预约号 {code}。请携带采集码和身份证件按时到场，不出示采集码者不予拍摄。Make-up shoot tomorrow: {time}, {place}, booking {code}. Bring your collection code and ID card."
            ),
        }
    }

    /// The template parameters, as the provider's JSON object.
    fn params(&self) -> serde_json::Value {
        match self {
            SmsMessage::Code { code } => serde_json::json!({ "code": code }),
            SmsMessage::OnsiteReminder {
                day,
                time,
                place,
                group,
            } => serde_json::json!({ "day": day, "time": time, "place": place, "group": group }),
            SmsMessage::MakeupBooked { time, place, code }
            | SmsMessage::MakeupReminder { time, place, code } => {
                serde_json::json!({ "time": time, "place": place, "code": code })
            }
        }
    }
}

/// The provider in use. An enum, not a trait object: the set is closed and each variant
/// is configured at start-up.
#[derive(Debug, Clone)]
pub enum Sms {
    /// Development and demo only: logged, never sent.
    Log(LogSms),
    /// Alibaba Cloud SMS (boxed: its credentials and templates are far larger than the log).
    Aliyun(Box<AliyunSms>),
}

impl Default for Sms {
    fn default() -> Sms {
        Sms::Log(LogSms::default())
    }
}

impl Sms {
    /// The configured provider; an unknown name or a missing credential stops the start
    /// with its reason.
    pub fn from_config(c: &SmsConfig, http: reqwest::Client) -> Result<Sms, AppError> {
        match c.provider.as_str() {
            "log" => Ok(Sms::Log(LogSms::default())),
            "aliyun" => Ok(Sms::Aliyun(Box::new(AliyunSms::from_config(
                &c.aliyun, http,
            )?))),
            other => Err(AppError::Config(format!(
                "sms.provider = {other:?} is not a provider this build knows (log, aliyun)"
            ))),
        }
    }

    /// Sends `message` to `phone` (11 digits, already normalised). A refusal the student
    /// can act on (the provider's own rate limit, a number it does not serve) comes back
    /// as such; the provider being down or misconfigured is [`AppError::Unavailable`].
    pub async fn send(&self, phone: &str, message: &SmsMessage) -> Result<(), AppError> {
        match self {
            Sms::Log(l) => {
                l.send(phone, &message.text());
                Ok(())
            }
            Sms::Aliyun(a) => a.send(phone, message).await,
        }
    }

    /// The log provider's inbox, newest first; `None` for a real provider, whose messages
    /// no page may show.
    pub fn demo_inbox(&self) -> Option<Vec<LoggedSms>> {
        match self {
            Sms::Log(l) => Some(l.recent()),
            Sms::Aliyun(_) => None,
        }
    }
}

/// What the student is told when the SMS service fails for a reason that is not theirs.
pub(crate) fn unavailable() -> Msg {
    Msg::new(
        "sms.unavailable",
        "短信发送失败，请稍后重试",
        "The text message could not be sent; please try again later",
    )
}
