//! China's calendar (UTC+8, no daylight saving): the day that campaign windows, daily SMS
//! limits and deadlines mean. Pure: the caller passes the instant.

use chrono::{Days, FixedOffset, NaiveDate, NaiveTime};

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

/// Midnight in China at the start of `day`, in Unix milliseconds (a date range typed by
/// a person means China's days).
pub fn china_date_start_ms(day: NaiveDate) -> i64 {
    china_day_start_ms(day.and_time(NaiveTime::MIN).and_utc().timestamp_millis())
}

/// `now_ms` as China's local time to the minute, `2025-06-01 09:30`, as pages and
/// exports show times.
pub fn china_minute(now_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(now_ms)
        .map(|t| {
            t.with_timezone(&china_offset())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
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
        let day = NaiveDate::from_ymd_opt(2026, 12, 4).expect("date");
        assert_eq!(china_date_start_ms(day), 1_796_313_600_000);
        assert_eq!(china_minute(before), "2026-12-03 23:59");
        assert_eq!(china_minute(before + 1000), "2026-12-04 00:00");
    }
}
