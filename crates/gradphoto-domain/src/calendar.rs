//! China's calendar (UTC+8, no daylight saving): the day that campaign windows, daily SMS
//! limits and deadlines mean. Pure: the caller passes the instant.

use chrono::{Days, FixedOffset, NaiveDate};

const OFFSET_MS: i64 = 8 * 3_600_000;

/// China's offset from UTC, for timestamps the payment providers want in local time.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}
const DAY_MS: i64 = 24 * 3_600_000;

/// The date in China at `now_ms` (Unix milliseconds).
pub fn china_date(now_ms: i64) -> NaiveDate {
    let days = (now_ms + OFFSET_MS).div_euclid(DAY_MS);
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    u64::try_from(days)
        .ok()
        .and_then(|d| epoch.checked_add_days(Days::new(d)))
        .unwrap_or(epoch)
}

/// Midnight in China of the day `now_ms` falls in, in Unix milliseconds.
pub fn china_day_start_ms(now_ms: i64) -> i64 {
    (now_ms + OFFSET_MS).div_euclid(DAY_MS) * DAY_MS - OFFSET_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_china_day_starts_at_midnight_utc8() {
        // 2026-12-03 15:59:59 UTC is 23:59:59 in Beijing; a second later is the 4th.
        let before = 1_796_313_599_000;
        assert_eq!(china_day_start_ms(before), 1_796_227_200_000);
        assert_eq!(china_day_start_ms(before + 1000), 1_796_313_600_000);
        assert_eq!(china_date(before).to_string(), "2026-12-03");
        assert_eq!(china_date(before + 1000).to_string(), "2026-12-04");
        assert_eq!(china_date(0).to_string(), "1970-01-01");
    }
}
