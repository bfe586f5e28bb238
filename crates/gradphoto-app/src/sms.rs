//! Text messages to students. A deployment chooses a provider; today that is the log
//! provider, for development and the demo: nothing leaves the machine, the message goes to
//! the server log and to an in-memory inbox that the demo shows on a clearly marked page.
//! A real provider (Alibaba Cloud or Tencent Cloud SMS) is a further variant of [`Sms`].

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::AppError;

/// One message as the log provider kept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedSms {
    pub phone: String,
    pub text: String,
    pub at_ms: i64,
}

/// The provider in use. An enum, not a trait object: the set is closed and each variant
/// is configured at start-up.
#[derive(Debug, Clone)]
pub enum Sms {
    /// Development and demo only: logged, never sent.
    Log(LogSms),
}

impl Default for Sms {
    fn default() -> Sms {
        Sms::Log(LogSms::default())
    }
}

impl Sms {
    /// The configured provider; an unknown name stops the start with its reason.
    pub fn from_config(c: &crate::config::SmsConfig) -> Result<Sms, AppError> {
        match c.provider.as_str() {
            "log" => Ok(Sms::Log(LogSms::default())),
            other => Err(AppError::Config(format!(
                "sms.provider = {other:?} is not a provider this build knows (log)"
            ))),
        }
    }

    /// Sends `text` to `phone` (11 digits, already normalised).
    pub async fn send(&self, phone: &str, text: &str) -> Result<(), AppError> {
        match self {
            Sms::Log(l) => {
                l.send(phone, text);
                Ok(())
            }
        }
    }

    /// The log provider's inbox, newest first; `None` for a real provider, whose messages
    /// no page may show.
    pub fn demo_inbox(&self) -> Option<Vec<LoggedSms>> {
        match self {
            Sms::Log(l) => Some(l.recent()),
        }
    }
}

/// Keeps the last [`LogSms::KEEP`] messages of this process.
#[derive(Debug, Clone, Default)]
pub struct LogSms {
    inbox: Arc<Mutex<VecDeque<LoggedSms>>>,
}

impl LogSms {
    pub const KEEP: usize = 50;

    fn send(&self, phone: &str, text: &str) {
        tracing::info!(
            phone,
            text,
            "SMS (log provider: not sent, shown in the demo inbox)"
        );
        let mut inbox = self.inbox.lock().unwrap_or_else(|p| p.into_inner());
        inbox.push_front(LoggedSms {
            phone: phone.to_string(),
            text: text.to_string(),
            at_ms: gradphoto_db::now_ms(),
        });
        inbox.truncate(Self::KEEP);
    }

    fn recent(&self) -> Vec<LoggedSms> {
        let inbox = self.inbox.lock().unwrap_or_else(|p| p.into_inner());
        inbox.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_log_provider_keeps_the_newest_messages() {
        let sms = Sms::default();
        for i in 0..(LogSms::KEEP + 5) {
            sms.send("13800000000", &format!("message {i}"))
                .await
                .expect("send");
        }
        let inbox = sms.demo_inbox().expect("log provider");
        assert_eq!(inbox.len(), LogSms::KEEP);
        assert_eq!(inbox[0].text, format!("message {}", LogSms::KEEP + 4));
    }
}
