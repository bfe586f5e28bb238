//! China's public calendar for the branches' opening days: public holidays (放假) and the
//! adjusted working days (调休上班) that the State Council publishes each year. A day not in
//! the calendar is a working day from Monday to Friday and a rest day at the weekend; a
//! listed day overrides that, so a Sunday that is an adjusted working day is a working day.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::i18n::Msg;

/// What a listed day is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A public holiday (法定节假日及调休放假): closed even on a weekday.
    Holiday,
    /// An adjusted working day (调休上班): open even at the weekend.
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }
    pub fn parse(s: &str) -> Option<DayKind> {
        match s.trim() {
            "holiday" | "休" | "放假" => Some(DayKind::Holiday),
            "workday" | "班" | "上班" => Some(DayKind::Workday),
            _ => None,
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            DayKind::Holiday => "放假",
            DayKind::Workday => "调休上班",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            DayKind::Holiday => "Public holiday",
            DayKind::Workday => "Adjusted working day",
        }
    }
}

/// One listed day of the calendar, with the holiday it belongs to (e.g. 春节).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicDay {
    pub day: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

/// The listed days, looked up by date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, DayKind>,
}

impl Calendar {
    pub fn new<'a>(days: impl IntoIterator<Item = &'a PublicDay>) -> Calendar {
        Calendar {
            days: days.into_iter().map(|d| (d.day, d.kind)).collect(),
        }
    }

    /// Whether offices work on `day`: the listed kind, else Monday to Friday.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.days.get(&day) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// Whether `day` is a public holiday (listed as one).
    pub fn is_holiday(&self, day: NaiveDate) -> bool {
        self.days.get(&day) == Some(&DayKind::Holiday)
    }

    /// Whether the calendar lists any day of `year`: a year not loaded means holidays
    /// would be missed, which the agency is told about.
    pub fn knows_year(&self, year: i32) -> bool {
        let (Some(first), Some(last)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return false;
        };
        self.days.range(first..=last).next().is_some()
    }
}

/// Reads the day list an agency admin pastes or imports: one day per line,
/// `2026-10-01 holiday 国庆节` (kind also as 休/班), blank lines and `#` comments
/// ignored. All-or-nothing: the first bad line is refused with its number.
pub fn parse_days(text: &str) -> Result<Vec<PublicDay>, Msg> {
    let mut out: Vec<PublicDay> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let n = i + 1;
        let mut parts = line.split_whitespace();
        let day = parts
            .next()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .ok_or_else(|| {
                Msg::new(
                    "calendar.line",
                    format!("第 {n} 行：日期应为 YYYY-MM-DD"),
                    format!("Line {n}: the date must be YYYY-MM-DD"),
                )
            })?;
        let kind = parts.next().and_then(DayKind::parse).ok_or_else(|| {
            Msg::new(
                "calendar.line",
                format!("第 {n} 行：类型应为 holiday（休）或 workday（班）"),
                format!("Line {n}: the kind must be holiday (休) or workday (班)"),
            )
        })?;
        let name = parts.collect::<Vec<_>>().join(" ");
        if out.iter().any(|d| d.day == day) {
            return Err(Msg::new(
                "calendar.duplicate",
                format!("第 {n} 行：{day} 重复"),
                format!("Line {n}: {day} is listed twice"),
            ));
        }
        out.push(PublicDay { day, kind, name });
    }
    out.sort_by_key(|d| d.day);
    Ok(out)
}

/// The days as [`parse_days`] reads them, for editing.
pub fn format_days(days: &[PublicDay]) -> String {
    days.iter()
        .map(|d| {
            format!("{} {} {}", d.day, d.kind.as_str(), d.name)
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn calendar_2026() -> Calendar {
        let days = parse_days(
            "2026-10-01 holiday 国庆节\n2026-10-02 休 国庆节\n2026-09-20 班 国庆节\n\
             2026-10-10 workday 国庆节 # a Saturday\n",
        )
        .expect("parses");
        Calendar::new(&days)
    }

    #[test]
    fn weekends_rest_weekdays_work_unless_listed() {
        let cal = calendar_2026();
        assert!(cal.is_working_day(d("2026-09-30")), "a Wednesday");
        assert!(!cal.is_working_day(d("2026-09-19")), "a Saturday");
        assert!(!cal.is_working_day(d("2026-10-01")), "a Thursday holiday");
        assert!(
            cal.is_working_day(d("2026-09-20")),
            "an adjusted working Sunday"
        );
        assert!(
            cal.is_working_day(d("2026-10-10")),
            "an adjusted working Saturday"
        );
        assert!(cal.is_holiday(d("2026-10-02")));
        assert!(!cal.is_holiday(d("2026-10-10")));
        assert!(cal.knows_year(2026));
        assert!(!cal.knows_year(2027));
    }

    #[test]
    fn bad_lines_are_refused_with_their_number() {
        let e = parse_days("2026-10-01 holiday\n2026-13-01 holiday").expect_err("bad date");
        assert!(e.en.starts_with("Line 2:"), "{}", e.en);
        let e = parse_days("\n# c\n2026-10-01 maybe").expect_err("bad kind");
        assert!(e.zh.starts_with("第 3 行"), "{}", e.zh);
        let e = parse_days("2026-10-01 holiday\n2026-10-01 workday").expect_err("twice");
        assert_eq!(e.code, "calendar.duplicate");
    }

    #[test]
    fn days_round_trip_through_their_text() {
        let days = parse_days("2026-10-02 休 国庆节\n2026-09-20 班\n").expect("parses");
        assert_eq!(days[0].day, d("2026-09-20"), "sorted by day");
        assert_eq!(parse_days(&format_days(&days)).expect("again"), days);
    }
}
