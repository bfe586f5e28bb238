//! A branch service's opening hours and the appointment slots they give: e.g. ordinary
//! photos on working days 9:00–11:30 and 13:30–16:30 in 30-minute slots of 6 people, not on
//! public holidays. Slots are computed, never stored until someone books one.

use chrono::{Days, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use super::calendar::Calendar;
use crate::i18n::Msg;

/// Which days a service opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenDays {
    /// Working days: Monday to Friday and adjusted working days, never public holidays.
    WorkingDays,
    /// Every day except public holidays (weekends too).
    AllButHolidays,
}

impl OpenDays {
    pub fn as_str(self) -> &'static str {
        match self {
            OpenDays::WorkingDays => "working_days",
            OpenDays::AllButHolidays => "all_but_holidays",
        }
    }
    pub fn parse(s: &str) -> Option<OpenDays> {
        match s {
            "working_days" => Some(OpenDays::WorkingDays),
            "all_but_holidays" => Some(OpenDays::AllButHolidays),
            _ => None,
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            OpenDays::WorkingDays => "工作日（含调休上班日，法定节假日除外）",
            OpenDays::AllButHolidays => "每天（法定节假日除外）",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            OpenDays::WorkingDays => "Working days (incl. adjusted working days, not holidays)",
            OpenDays::AllButHolidays => "Every day except public holidays",
        }
    }
    pub fn opens_on(self, calendar: &Calendar, day: NaiveDate) -> bool {
        match self {
            OpenDays::WorkingDays => calendar.is_working_day(day),
            OpenDays::AllButHolidays => !calendar.is_holiday(day),
        }
    }
}

/// One opening window of a day, e.g. 09:00–11:30.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub starts: NaiveTime,
    pub ends: NaiveTime,
}

/// When a service takes appointments and how many per slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hours {
    pub open_days: OpenDays,
    pub windows: Vec<Window>,
    pub slot_minutes: u32,
    pub slot_capacity: u32,
}

fn hours_error(zh: impl Into<String>, en: impl Into<String>) -> Msg {
    Msg::new("service.hours", zh, en)
}

/// Reads `09:00-11:30, 13:30-16:30`: windows in order, not overlapping, each at least one
/// slot long.
pub fn parse_windows(text: &str, slot_minutes: u32) -> Result<Vec<Window>, Msg> {
    if slot_minutes == 0 || slot_minutes > 240 {
        return Err(hours_error(
            "每个时段应为 1–240 分钟",
            "A slot must last 1–240 minutes",
        ));
    }
    let mut out: Vec<Window> = Vec::new();
    for part in text
        .split([',', '，', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (a, b) = part.split_once(['-', '–', '~', '～']).ok_or_else(|| {
            hours_error(
                format!("“{part}”应写作 09:00-11:30"),
                format!("“{part}” must read like 09:00-11:30"),
            )
        })?;
        let time = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").ok();
        let (Some(starts), Some(ends)) = (time(a), time(b)) else {
            return Err(hours_error(
                format!("“{part}”中的时间应为 HH:MM"),
                format!("The times in “{part}” must be HH:MM"),
            ));
        };
        if (ends - starts).num_minutes() < i64::from(slot_minutes) {
            return Err(hours_error(
                format!("“{part}”短于一个时段"),
                format!("“{part}” is shorter than one slot"),
            ));
        }
        if out.last().is_some_and(|w| w.ends > starts) {
            return Err(hours_error(
                "时间段应按先后顺序且不重叠",
                "Windows must be in order and must not overlap",
            ));
        }
        out.push(Window { starts, ends });
    }
    if out.is_empty() {
        return Err(hours_error(
            "至少需要一个营业时间段",
            "At least one opening window is needed",
        ));
    }
    Ok(out)
}

/// The windows as [`parse_windows`] reads them.
pub fn format_windows(windows: &[Window]) -> String {
    windows
        .iter()
        .map(|w| format!("{}-{}", w.starts.format("%H:%M"), w.ends.format("%H:%M")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One appointment slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Slot {
    pub day: NaiveDate,
    pub starts: NaiveTime,
    pub ends: NaiveTime,
}

impl Hours {
    /// The slots of one day: none when the service is closed; whole slots only, so a
    /// window that does not divide evenly loses its tail.
    pub fn slots_on(&self, calendar: &Calendar, day: NaiveDate) -> Vec<Slot> {
        if !self.open_days.opens_on(calendar, day) {
            return Vec::new();
        }
        let step = chrono::Duration::minutes(i64::from(self.slot_minutes.max(1)));
        let mut out = Vec::new();
        for w in &self.windows {
            let mut starts = w.starts;
            loop {
                let (ends, wrapped) = starts.overflowing_add_signed(step);
                if wrapped != 0 || ends > w.ends {
                    break;
                }
                out.push(Slot { day, starts, ends });
                starts = ends;
            }
        }
        out
    }

    /// The slots from `first` for `days` days.
    pub fn slots(&self, calendar: &Calendar, first: NaiveDate, days: u32) -> Vec<Slot> {
        (0..u64::from(days))
            .filter_map(|i| first.checked_add_days(Days::new(i)))
            .flat_map(|day| self.slots_on(calendar, day))
            .collect()
    }

    /// Whether `slot` is one this service gives (a booking names its slot; it must be real).
    pub fn gives(&self, calendar: &Calendar, slot: &Slot) -> bool {
        self.slots_on(calendar, slot.day).contains(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::super::calendar::parse_days;
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }
    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").expect("time")
    }

    /// The agency's ordinary service of the issue: 9:00–11:30 and 13:30–16:30 on working
    /// days, 30-minute slots.
    fn ordinary() -> Hours {
        Hours {
            open_days: OpenDays::WorkingDays,
            windows: parse_windows("09:00-11:30, 13:30-16:30", 30).expect("windows"),
            slot_minutes: 30,
            slot_capacity: 6,
        }
    }

    /// 2026's National Day: 1–7 Oct off, Sunday 20 Sep and Saturday 10 Oct worked.
    fn national_day_2026() -> Calendar {
        let days = parse_days(
            "2026-09-20 班\n2026-10-01 休\n2026-10-02 休\n2026-10-03 休\n2026-10-04 休\n\
             2026-10-05 休\n2026-10-06 休\n2026-10-07 休\n2026-10-10 班",
        )
        .expect("days");
        Calendar::new(&days)
    }

    #[test]
    fn a_working_day_has_the_slots_of_both_windows() {
        let slots = ordinary().slots_on(&Calendar::default(), d("2026-09-16"));
        let starts: Vec<String> = slots
            .iter()
            .map(|s| s.starts.format("%H:%M").to_string())
            .collect();
        assert_eq!(
            starts,
            [
                "09:00", "09:30", "10:00", "10:30", "11:00", "13:30", "14:00", "14:30", "15:00",
                "15:30", "16:00"
            ]
        );
        assert_eq!(slots[4].ends, t("11:30"));
    }

    #[test]
    fn weekends_holidays_and_adjusted_days_follow_the_calendar() {
        let cal = national_day_2026();
        let hours = ordinary();
        let open: Vec<NaiveDate> = (0..30)
            .filter_map(|i| d("2026-09-15").checked_add_days(Days::new(i)))
            .filter(|day| !hours.slots_on(&cal, *day).is_empty())
            .collect();
        assert!(!open.contains(&d("2026-09-19")), "a plain Saturday");
        assert!(open.contains(&d("2026-09-20")), "adjusted working Sunday");
        for holiday in 1..=7 {
            assert!(!open.contains(&d(&format!("2026-10-0{holiday}"))));
        }
        assert!(open.contains(&d("2026-10-08")), "back to work");
        assert!(open.contains(&d("2026-10-10")), "adjusted working Saturday");
        assert!(!open.contains(&d("2026-10-11")), "a plain Sunday");
        // 28–30 Sep, 8–10 Oct: six working days of eleven slots in two weeks.
        assert_eq!(hours.slots(&cal, d("2026-09-28"), 14).len(), 11 * 6);

        let weekends = Hours {
            open_days: OpenDays::AllButHolidays,
            ..ordinary()
        };
        assert!(
            !weekends.slots_on(&cal, d("2026-09-19")).is_empty(),
            "open on Saturday"
        );
        assert!(
            weekends.slots_on(&cal, d("2026-10-03")).is_empty(),
            "not on a holiday"
        );
    }

    #[test]
    fn a_window_that_does_not_divide_loses_its_tail_and_bad_hours_are_refused() {
        let hours = Hours {
            open_days: OpenDays::AllButHolidays,
            windows: parse_windows("09:00-10:50", 45).expect("windows"),
            slot_minutes: 45,
            slot_capacity: 1,
        };
        let slots = hours.slots_on(&Calendar::default(), d("2026-09-16"));
        assert_eq!(slots.len(), 2);
        assert_eq!(slots[1].ends, t("10:30"));
        assert!(hours.gives(&Calendar::default(), &slots[1]));
        let off_grid = Slot {
            starts: t("09:10"),
            ..slots[0]
        };
        assert!(!hours.gives(&Calendar::default(), &off_grid));

        assert!(parse_windows("9-11", 30).is_err());
        assert!(
            parse_windows("13:00-15:00, 09:00-11:00", 30).is_err(),
            "out of order"
        );
        assert!(
            parse_windows("09:00-09:20", 30).is_err(),
            "shorter than a slot"
        );
        assert!(parse_windows("", 30).is_err());
        assert!(parse_windows("09:00-10:00", 0).is_err());
        assert_eq!(
            format_windows(&parse_windows("09:00–11:30，13:30-16:30", 30).expect("full-width")),
            "09:00-11:30, 13:30-16:30"
        );
    }
}
