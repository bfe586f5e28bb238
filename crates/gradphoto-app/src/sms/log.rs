//! The log provider: development and the demo only. Messages go to the server log and to
//! the last [`LogSms::KEEP`] of an in-memory inbox; nothing is sent.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// One message as the log provider kept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedSms {
    pub phone: String,
    pub text: String,
    pub at_ms: i64,
}

/// Keeps the last [`LogSms::KEEP`] messages of this process.
#[derive(Debug, Clone, Default)]
pub struct LogSms {
    inbox: Arc<Mutex<VecDeque<LoggedSms>>>,
}

impl LogSms {
    pub const KEEP: usize = 50;

    pub(super) fn send(&self, phone: &str, text: &str) {
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

    pub(super) fn recent(&self) -> Vec<LoggedSms> {
        let inbox = self.inbox.lock().unwrap_or_else(|p| p.into_inner());
        inbox.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Sms, SmsMessage};
    use super::*;

    #[tokio::test]
    async fn the_log_provider_keeps_the_newest_messages() {
        let sms = Sms::default();
        for i in 0..(LogSms::KEEP + 5) {
            let m = SmsMessage::Code {
                code: format!("{i:06}"),
            };
            sms.send("13800000000", &m).await.expect("send");
        }
        let inbox = sms.demo_inbox().expect("log provider");
        assert_eq!(inbox.len(), LogSms::KEEP);
        assert!(inbox[0].text.contains(&format!("{:06}", LogSms::KEEP + 4)));
    }
}
