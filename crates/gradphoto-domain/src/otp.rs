//! The SMS one-time code that logs a student in (seed 003 step 1), as rules over counts:
//! the store counts what was sent and tried, these functions decide. Keeping the decisions
//! here means every limit is tested without a clock, a database or a phone.
//!
//! Policy (issue 5): 6 random digits, kept only as a hash, valid 5 minutes, 5 attempts; a
//! new code voids the old; at least 60 s between sends, at most 5 an hour and 10 a day per
//! phone; per-address limits; a daily SMS budget for the whole platform.

use crate::i18n::Msg;

/// The limits, configurable per deployment; [`OtpPolicy::default`] is issue 5's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpPolicy {
    pub ttl_secs: i64,
    pub max_attempts: u32,
    pub min_gap_secs: i64,
    pub per_phone_hour: u32,
    pub per_phone_day: u32,
    pub per_ip_hour: u32,
    pub per_ip_day: u32,
    /// Messages the whole platform may send in one day (China time); a cost cap.
    pub daily_budget: u32,
}

impl Default for OtpPolicy {
    fn default() -> OtpPolicy {
        OtpPolicy {
            ttl_secs: 300,
            max_attempts: 5,
            min_gap_secs: 60,
            per_phone_hour: 5,
            per_phone_day: 10,
            per_ip_hour: 20,
            per_ip_day: 60,
            daily_budget: 20_000,
        }
    }
}

/// What has been sent recently, as the store counts it at the moment of a new request.
/// "Day" is the calendar day in China (UTC+8), which is what users and budgets mean.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendHistory {
    /// Seconds since the last code was sent to this phone, if one was.
    pub since_last_to_phone_secs: Option<i64>,
    pub phone_last_hour: u32,
    pub phone_today: u32,
    pub ip_last_hour: u32,
    pub ip_today: u32,
    pub platform_today: u32,
}

/// Why no code is sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendRefusal {
    /// Asked again within the gap; the seconds still to wait.
    TooSoon(i64),
    PhoneHourly,
    PhoneDaily,
    Address,
    Budget,
}

impl SendRefusal {
    /// What the person is told. The same for a known and an unknown phone.
    pub fn message(self) -> Msg {
        match self {
            SendRefusal::TooSoon(s) => Msg::new(
                "otp.too_soon",
                format!("发送过于频繁，请 {s} 秒后再试"),
                format!("Too soon: try again in {s} s"),
            ),
            SendRefusal::PhoneHourly => Msg::new(
                "otp.phone_hourly",
                "该手机号一小时内获取验证码次数过多，请稍后再试",
                "Too many codes for this phone in the last hour; try again later",
            ),
            SendRefusal::PhoneDaily => Msg::new(
                "otp.phone_daily",
                "该手机号今日获取验证码次数已达上限，请明天再试",
                "This phone has had today's maximum of codes; try again tomorrow",
            ),
            SendRefusal::Address => Msg::new(
                "otp.address",
                "当前网络请求验证码过于频繁，请稍后再试",
                "Too many codes requested from this network; try again later",
            ),
            SendRefusal::Budget => Msg::new(
                "otp.budget",
                "今日短信发送量已达平台上限，请明天再试或联系采集机构",
                "The platform has sent today's maximum of text messages; try tomorrow or contact the agency",
            ),
        }
    }
}

impl OtpPolicy {
    /// Whether a new code may be sent now. The platform budget is checked last so that a
    /// single abusive phone or address hits its own limit first.
    pub fn may_send(&self, h: &SendHistory) -> Result<(), SendRefusal> {
        if let Some(since) = h.since_last_to_phone_secs
            && since < self.min_gap_secs
        {
            return Err(SendRefusal::TooSoon(self.min_gap_secs - since.max(0)));
        }
        if h.phone_last_hour >= self.per_phone_hour {
            return Err(SendRefusal::PhoneHourly);
        }
        if h.phone_today >= self.per_phone_day {
            return Err(SendRefusal::PhoneDaily);
        }
        if h.ip_last_hour >= self.per_ip_hour || h.ip_today >= self.per_ip_day {
            return Err(SendRefusal::Address);
        }
        if h.platform_today >= self.daily_budget {
            return Err(SendRefusal::Budget);
        }
        Ok(())
    }

    /// Judges an entered code against the phone's live code (the newest; older ones are
    /// void). `matches` is whether the entered digits hash to the stored hash.
    pub fn check(&self, live: Option<LiveCode>, matches: bool) -> CheckOutcome {
        let Some(c) = live else {
            return CheckOutcome::NoCode;
        };
        if c.used {
            return CheckOutcome::NoCode;
        }
        if c.age_secs > self.ttl_secs {
            return CheckOutcome::Expired;
        }
        if c.attempts >= self.max_attempts {
            return CheckOutcome::TooManyAttempts;
        }
        if matches {
            CheckOutcome::Valid
        } else {
            CheckOutcome::Wrong {
                attempts_left: self.max_attempts - c.attempts - 1,
            }
        }
    }
}

/// The phone's newest code as stored, at the moment of checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveCode {
    pub age_secs: i64,
    /// Wrong attempts so far.
    pub attempts: u32,
    pub used: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    Valid,
    /// A wrong code: this attempt counts.
    Wrong {
        attempts_left: u32,
    },
    Expired,
    TooManyAttempts,
    /// None was sent, or it was used or voided by a newer one.
    NoCode,
}

impl CheckOutcome {
    pub fn message(self) -> Option<Msg> {
        match self {
            CheckOutcome::Valid => None,
            CheckOutcome::Wrong { attempts_left } => Some(Msg::new(
                "otp.wrong",
                format!("验证码错误，还可尝试 {attempts_left} 次"),
                format!("Wrong code; {attempts_left} attempts left"),
            )),
            CheckOutcome::Expired => Some(Msg::new(
                "otp.expired",
                "验证码已过期（有效期 5 分钟），请重新获取",
                "The code has expired (it is valid for 5 minutes); get a new one",
            )),
            CheckOutcome::TooManyAttempts => Some(Msg::new(
                "otp.attempts",
                "验证码错误次数过多，请重新获取",
                "Too many wrong attempts; get a new code",
            )),
            CheckOutcome::NoCode => {
                Some(Msg::new("otp.none", "请先获取验证码", "Get a code first"))
            }
        }
    }
}

/// A mainland mobile number in its 11-digit form: spaces, dashes and a leading +86 / 86 /
/// 0086 are dropped; it must then be 1[3-9] followed by 9 digits.
pub fn normalize_phone(input: &str) -> Result<String, Msg> {
    let digits: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
        .collect();
    let digits = digits.trim_start_matches('+');
    let digits = digits
        .strip_prefix("0086")
        .or_else(|| digits.strip_prefix("86").filter(|d| d.len() == 11))
        .unwrap_or(digits);
    let b = digits.as_bytes();
    let ok = b.len() == 11
        && b.iter().all(u8::is_ascii_digit)
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1]);
    if ok {
        Ok(digits.to_string())
    } else {
        Err(Msg::new(
            "phone.invalid",
            "请输入 11 位中国大陆手机号",
            "Enter an 11-digit mainland China mobile number",
        ))
    }
}

/// The phone as shown back to the person: 138****5678.
pub fn mask_phone(phone: &str) -> String {
    if phone.len() == 11 && phone.is_ascii() {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "****".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: OtpPolicy = OtpPolicy {
        ttl_secs: 300,
        max_attempts: 5,
        min_gap_secs: 60,
        per_phone_hour: 5,
        per_phone_day: 10,
        per_ip_hour: 20,
        per_ip_day: 60,
        daily_budget: 1000,
    };

    #[test]
    fn default_is_the_issue_policy() {
        assert_eq!(OtpPolicy::default().ttl_secs, 300);
        assert_eq!(OtpPolicy::default().max_attempts, 5);
        assert_eq!(OtpPolicy::default().min_gap_secs, 60);
        assert_eq!(OtpPolicy::default().per_phone_hour, 5);
        assert_eq!(OtpPolicy::default().per_phone_day, 10);
    }

    #[test]
    fn sending_limits() {
        let ok = SendHistory::default();
        assert_eq!(P.may_send(&ok), Ok(()));
        let h = |f: fn(&mut SendHistory)| {
            let mut h = SendHistory::default();
            f(&mut h);
            P.may_send(&h)
        };
        assert_eq!(
            h(|h| h.since_last_to_phone_secs = Some(15)),
            Err(SendRefusal::TooSoon(45))
        );
        assert_eq!(h(|h| h.since_last_to_phone_secs = Some(60)), Ok(()));
        assert_eq!(h(|h| h.phone_last_hour = 4), Ok(()));
        assert_eq!(h(|h| h.phone_last_hour = 5), Err(SendRefusal::PhoneHourly));
        assert_eq!(h(|h| h.phone_today = 9), Ok(()));
        assert_eq!(h(|h| h.phone_today = 10), Err(SendRefusal::PhoneDaily));
        assert_eq!(h(|h| h.ip_last_hour = 20), Err(SendRefusal::Address));
        assert_eq!(h(|h| h.ip_today = 60), Err(SendRefusal::Address));
        assert_eq!(h(|h| h.platform_today = 999), Ok(()));
        assert_eq!(h(|h| h.platform_today = 1000), Err(SendRefusal::Budget));
        // The phone's own limit speaks before the platform's.
        assert_eq!(
            h(|h| {
                h.phone_today = 10;
                h.platform_today = 1000;
            }),
            Err(SendRefusal::PhoneDaily)
        );
        let m = SendRefusal::TooSoon(45).message();
        assert!(m.zh.contains("45 秒") && m.en.contains("45 s"), "{m:?}");
    }

    #[test]
    fn checking_a_code() {
        let live = |age_secs, attempts| {
            Some(LiveCode {
                age_secs,
                attempts,
                used: false,
            })
        };
        assert_eq!(P.check(live(10, 0), true), CheckOutcome::Valid);
        assert_eq!(P.check(live(300, 4), true), CheckOutcome::Valid);
        assert_eq!(
            P.check(live(10, 0), false),
            CheckOutcome::Wrong { attempts_left: 4 }
        );
        assert_eq!(
            P.check(live(10, 4), false),
            CheckOutcome::Wrong { attempts_left: 0 }
        );
        // The sixth try is refused even with the right digits.
        assert_eq!(P.check(live(10, 5), true), CheckOutcome::TooManyAttempts);
        assert_eq!(P.check(live(301, 0), true), CheckOutcome::Expired);
        assert_eq!(P.check(None, true), CheckOutcome::NoCode);
        let used = Some(LiveCode {
            age_secs: 1,
            attempts: 0,
            used: true,
        });
        assert_eq!(P.check(used, true), CheckOutcome::NoCode);
        assert!(CheckOutcome::Valid.message().is_none());
        let m = CheckOutcome::Wrong { attempts_left: 2 }
            .message()
            .expect("message");
        assert!(m.zh.contains("2 次") && m.en.contains("2 attempts"));
    }

    #[test]
    fn phones() {
        for ok in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+8613812345678",
            "8613812345678",
            "008613812345678",
        ] {
            assert_eq!(normalize_phone(ok).as_deref(), Ok("13812345678"), "{ok}");
        }
        for bad in [
            "",
            "1381234567",
            "138123456789",
            "12812345678",
            "23812345678",
            "1381234567a",
            "１３８１２３４５６７８",
        ] {
            assert!(normalize_phone(bad).is_err(), "{bad}");
        }
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("x"), "****");
    }
}
