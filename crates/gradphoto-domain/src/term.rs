//! Graduation terms and calendar months (e.g. 2024-07 for 2024年7月).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A calendar month, the granularity of expected graduation (预计毕业时间).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct YearMonth {
    pub year: i32,
    pub month: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a month: {0:?} (expected e.g. 2025-06, 2025/6, 202506 or 2025年6月)")]
pub struct BadMonth(pub String);

impl YearMonth {
    pub fn new(year: i32, month: u32) -> Option<YearMonth> {
        ((1900..=2200).contains(&year) && (1..=12).contains(&month))
            .then_some(YearMonth { year, month })
    }

    /// Parses the forms found in university spreadsheets: `2025-06`, `2025/6`, `2025.6`,
    /// `202506`, `2025年6月`, and full dates such as `2025-06-30` (the day is dropped).
    pub fn parse(s: &str) -> Result<YearMonth, BadMonth> {
        let t = s.trim();
        let bad = || BadMonth(s.to_string());
        if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
            let y = t[..4].parse().map_err(|_| bad())?;
            let m = t[4..].parse().map_err(|_| bad())?;
            return YearMonth::new(y, m).ok_or_else(bad);
        }
        let parts: Vec<&str> = t
            .split(['-', '/', '.', '年', '月', '日'])
            .filter(|p| !p.trim().is_empty())
            .collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(bad());
        }
        let y: i32 = parts[0].trim().parse().map_err(|_| bad())?;
        let m: u32 = parts[1].trim().parse().map_err(|_| bad())?;
        if let Some(d) = parts.get(2) {
            let d: u32 = d.trim().parse().map_err(|_| bad())?;
            chrono::NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad)?;
        }
        YearMonth::new(y, m).ok_or_else(bad)
    }

    /// The last day of the month, used to compare with dates.
    pub fn last_day(self) -> chrono::NaiveDate {
        let (y, m) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        chrono::NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|d| d.pred_opt())
            .unwrap_or(chrono::NaiveDate::MAX)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl TryFrom<String> for YearMonth {
    type Error = BadMonth;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        YearMonth::parse(&s)
    }
}

impl From<YearMonth> for String {
    fn from(v: YearMonth) -> String {
        v.to_string()
    }
}

/// Parses a calendar date in the forms spreadsheets use (`2023-07-01`, `2023/7/1`,
/// `2023年7月1日`, `20230701`).
pub fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    let t = s.trim();
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return chrono::NaiveDate::parse_from_str(t, "%Y%m%d").ok();
    }
    let parts: Vec<&str> = t
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.trim().is_empty())
        .collect();
    if parts.len() != 3 {
        return None;
    }
    let y = parts[0].trim().parse().ok()?;
    let m = parts[1].trim().parse().ok()?;
    let d = parts[2].trim().parse().ok()?;
    chrono::NaiveDate::from_ymd_opt(y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spreadsheet_month_forms() {
        let want = YearMonth::new(2025, 6).unwrap();
        for s in [
            "2025-06",
            "2025/6",
            "2025.6",
            "202506",
            "2025年6月",
            "2025-06-30",
        ] {
            assert_eq!(YearMonth::parse(s).unwrap(), want, "{s}");
        }
        for s in ["", "2025", "2025-13", "2025-02-30", "June 2025", "99999-1"] {
            assert!(YearMonth::parse(s).is_err(), "{s}");
        }
        assert_eq!(want.to_string(), "2025-06");
        assert_eq!(want.last_day().to_string(), "2025-06-30");
        assert_eq!(
            YearMonth::new(2024, 12).unwrap().last_day().to_string(),
            "2024-12-31"
        );
    }

    #[test]
    fn parses_dates() {
        assert_eq!(
            parse_date("2023年7月1日").unwrap().to_string(),
            "2023-07-01"
        );
        assert_eq!(parse_date("20230701").unwrap().to_string(), "2023-07-01");
        assert!(parse_date("2023-02-29").is_none());
    }
}
