//! The rules of a make-up appointment (补拍预约): when a slot may be booked, changed or
//! cancelled, which branches a campaign accepts, and the life of a booking. Pure: the
//! caller passes the instant.

use chrono::{NaiveDate, Timelike};
use serde::{Deserialize, Serialize};

use super::slots::Slot;
use crate::calendar::china_date_start_ms;
use crate::i18n::Msg;

/// Where a booking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    /// Holds its place in the slot.
    Booked,
    /// Given up by the student (or moved: the old booking is cancelled, a new one made).
    Cancelled,
    /// The student came and was checked in at the branch.
    Attended,
    /// The branch marked the student absent after the slot began.
    NoShow,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Booked => "booked",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Attended => "attended",
            BookingStatus::NoShow => "no_show",
        }
    }
    pub fn parse(s: &str) -> Option<BookingStatus> {
        [
            BookingStatus::Booked,
            BookingStatus::Cancelled,
            BookingStatus::Attended,
            BookingStatus::NoShow,
        ]
        .into_iter()
        .find(|b| b.as_str() == s)
    }
    pub fn zh(self) -> &'static str {
        match self {
            BookingStatus::Booked => "已预约",
            BookingStatus::Cancelled => "已取消",
            BookingStatus::Attended => "已到场",
            BookingStatus::NoShow => "未到场",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            BookingStatus::Booked => "Booked",
            BookingStatus::Cancelled => "Cancelled",
            BookingStatus::Attended => "Attended",
            BookingStatus::NoShow => "No-show",
        }
    }
    /// Whether the booking still takes a place in its slot and stops the student booking
    /// another for the same campaign. A no-show may book again.
    pub fn holds_place(self) -> bool {
        matches!(self, BookingStatus::Booked | BookingStatus::Attended)
    }
}

/// The instant a slot starts, Unix milliseconds (China time).
pub fn slot_start_ms(slot: &Slot) -> i64 {
    china_date_start_ms(slot.day) + i64::from(slot.starts.num_seconds_from_midnight()) * 1000
}

/// Whether a branch in `city` counts for a campaign that accepts `cities` (empty: any).
/// Seed 001: only photos taken at Beijing branches are valid.
pub fn branch_counts(cities: &[String], city: &str) -> bool {
    cities.is_empty() || cities.iter().any(|c| c.trim() == city.trim())
}

/// The campaign's make-up terms that a booking is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms<'a> {
    /// The last day of make-up shooting (补拍截止), if any.
    pub deadline: Option<NaiveDate>,
    /// The cities whose branches count; empty means any.
    pub cities: &'a [String],
}

/// Whether `slot` at a branch in `city` may be booked at `now_ms` under `terms`.
pub fn may_book(now_ms: i64, slot: &Slot, city: &str, terms: &Terms<'_>) -> Result<(), Msg> {
    if !branch_counts(terms.cities, city) {
        return Err(Msg::new(
            "makeup.branch_void",
            format!(
                "本次采集只认可{}的网点拍摄的照片，在{city}拍摄的照片无效，请另选网点",
                terms.cities.join("、")
            ),
            format!(
                "This campaign accepts photos only from branches in {}; a photo taken in \
                 {city} would be void. Choose another branch",
                terms.cities.join(", ")
            ),
        ));
    }
    if terms.deadline.is_some_and(|last| slot.day > last) {
        let last = terms.deadline.map(|d| d.to_string()).unwrap_or_default();
        return Err(Msg::new(
            "makeup.deadline",
            format!("补拍截止日期为 {last}，不能预约之后的时段"),
            format!("Make-up shoots end on {last}; a later slot cannot be booked"),
        ));
    }
    if slot_start_ms(slot) <= now_ms {
        return Err(Msg::new(
            "makeup.slot_past",
            "该时段已开始或已过去",
            "This slot has already begun or passed",
        ));
    }
    Ok(())
}

/// Whether a booking of `slot` may still be cancelled or moved at `now_ms`: until
/// `cutoff_minutes` before it starts.
pub fn may_change(now_ms: i64, slot: &Slot, cutoff_minutes: u32) -> Result<(), Msg> {
    if now_ms > slot_start_ms(slot) - i64::from(cutoff_minutes) * 60_000 {
        return Err(Msg::new(
            "makeup.cutoff",
            format!(
                "预约开始前 {} 以内不能再取消或改期",
                duration_zh(cutoff_minutes)
            ),
            format!(
                "A booking cannot be cancelled or moved within {} of its start",
                duration_en(cutoff_minutes)
            ),
        ));
    }
    Ok(())
}

/// Whether the branch may mark the student absent: only once the slot has begun.
pub fn may_mark_no_show(now_ms: i64, slot: &Slot) -> Result<(), Msg> {
    if slot_start_ms(slot) > now_ms {
        return Err(Msg::new(
            "makeup.not_yet",
            "预约时段尚未开始，不能标记未到场",
            "The slot has not begun yet; nobody can be marked absent",
        ));
    }
    Ok(())
}

/// The refund rule shown before paying.
pub fn refund_rule(cutoff_minutes: u32) -> Msg {
    Msg::new(
        "makeup.refund_rule",
        format!(
            "预约开始前 {0} 以前可取消或改期，已付费用原路全额退回；{0} 以内不能取消，\
             未到场视为缺席，费用不退。",
            duration_zh(cutoff_minutes)
        ),
        format!(
            "You may cancel or move the booking until {0} before it starts and get a full \
             refund of what you paid; within {0} it cannot be cancelled, and if you do not \
             come the fee is not refunded.",
            duration_en(cutoff_minutes)
        ),
    )
}

fn duration_zh(minutes: u32) -> String {
    if minutes.is_multiple_of(60) {
        format!("{} 小时", minutes / 60)
    } else {
        format!("{minutes} 分钟")
    }
}

fn duration_en(minutes: u32) -> String {
    match minutes {
        60 => "1 hour".into(),
        m if m.is_multiple_of(60) => format!("{} hours", m / 60),
        m => format!("{m} minutes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn slot(day: &str, at: &str) -> Slot {
        let starts = NaiveTime::parse_from_str(at, "%H:%M").expect("time");
        Slot {
            day: NaiveDate::parse_from_str(day, "%Y-%m-%d").expect("date"),
            starts,
            ends: starts + chrono::Duration::minutes(30),
        }
    }

    /// 2026-10-20 09:00 in Beijing is 01:00 UTC.
    const OCT_20_0900: i64 = 1_792_458_000_000;

    #[test]
    fn a_slot_starts_in_china_time() {
        assert_eq!(slot_start_ms(&slot("2026-10-20", "09:00")), OCT_20_0900);
    }

    #[test]
    fn booking_respects_the_branch_city_the_deadline_and_the_clock() {
        let beijing = ["北京".to_string()];
        let deadline = NaiveDate::from_ymd_opt(2026, 10, 31);
        let terms = Terms {
            deadline,
            cities: &beijing,
        };
        let s = slot("2026-10-20", "09:00");
        assert!(may_book(OCT_20_0900 - 1, &s, "北京", &terms).is_ok());
        assert_eq!(
            may_book(OCT_20_0900, &s, "北京", &terms)
                .expect_err("begun")
                .code,
            "makeup.slot_past"
        );
        let void = may_book(0, &s, "上海", &terms).expect_err("void branch");
        assert_eq!(void.code, "makeup.branch_void");
        assert!(
            void.zh.contains("北京") && void.en.contains("上海"),
            "{void:?}"
        );
        let late = slot("2026-11-02", "09:00");
        assert_eq!(
            may_book(0, &late, "北京", &terms).expect_err("late").code,
            "makeup.deadline"
        );
        assert!(
            may_book(0, &slot("2026-10-31", "16:00"), "北京", &terms).is_ok(),
            "the last day counts"
        );
        let open = Terms {
            deadline: None,
            cities: &[],
        };
        assert!(may_book(0, &late, "上海", &open).is_ok());
    }

    #[test]
    fn changes_stop_at_the_cutoff_and_absence_waits_for_the_start() {
        let s = slot("2026-10-20", "09:00");
        let two_hours = 2 * 3_600_000;
        assert!(may_change(OCT_20_0900 - two_hours, &s, 120).is_ok());
        let e = may_change(OCT_20_0900 - two_hours + 1, &s, 120).expect_err("too late");
        assert_eq!(e.code, "makeup.cutoff");
        assert!(e.zh.contains("2 小时") && e.en.contains("2 hours"), "{e:?}");
        assert!(may_mark_no_show(OCT_20_0900 - 1, &s).is_err());
        assert!(may_mark_no_show(OCT_20_0900, &s).is_ok());
        assert!(refund_rule(90).en.contains("90 minutes"));
    }

    #[test]
    fn statuses_round_trip_and_only_live_ones_hold_a_place() {
        for s in ["booked", "cancelled", "attended", "no_show"] {
            assert_eq!(BookingStatus::parse(s).map(BookingStatus::as_str), Some(s));
        }
        assert!(BookingStatus::Booked.holds_place());
        assert!(BookingStatus::Attended.holds_place());
        assert!(!BookingStatus::Cancelled.holds_place());
        assert!(!BookingStatus::NoShow.holds_place());
    }
}
