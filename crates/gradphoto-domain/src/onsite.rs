//! The on-site collection day (issue 7): who may be given a shooting number (拍摄号) at the
//! desk, and the order in which numbers are photographed.
//!
//! Numbers in a queue are 1, 2, 3, … with no gap and no duplicate, one per collection code
//! in the campaign (scanning again returns the same number); handing them out is the
//! store's job, under a lock. The order of shooting is a separate key, the *turn*: it
//! starts equal to the number, and a student whose number was called while they were away
//! (过号) keeps the number but goes to the end of the queue (排至最后) with a new turn.

use serde::{Deserialize, Serialize};

use crate::i18n::Msg;

/// What the desk knows when a code is scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckinFacts {
    /// The eligibility rules say the student must or may be photographed.
    pub eligible: bool,
    /// A photo of this student was already confirmed in this campaign (on-site or online).
    pub photographed: bool,
    /// The student was registered (报名) for this campaign's on-site days.
    pub registered: bool,
    /// The campaign admits eligible students who did not register.
    pub walk_ins: bool,
}

/// Whether the scanned student may be given a number. The code itself (forged, revoked,
/// another campaign's) was checked before: these are the campaign's own reasons.
pub fn may_check_in(f: CheckinFacts) -> Result<(), Msg> {
    if !f.eligible {
        return Err(Msg::new(
            "checkin.not_eligible",
            "根据本次采集的条件，该学生无需或不能参加采集",
            "By this campaign's rules this student is not to be photographed",
        ));
    }
    if f.photographed {
        return Err(Msg::new(
            "checkin.already_photographed",
            "该学生在本次采集中已拍摄并确认，不再拍摄",
            "This student was already photographed and confirmed in this campaign",
        ));
    }
    if !f.registered && !f.walk_ins {
        return Err(Msg::new(
            "checkin.not_registered",
            "该学生未报名现场采集，本次采集不接受未报名者",
            "This student did not register for the on-site days, and this campaign takes no walk-ins",
        ));
    }
    Ok(())
}

/// The desk's answer to a student the campaign's rules leave out, with the rule's own
/// reason (e.g. a single-certificate applicant, or delayed to a later year).
pub fn not_eligible_because(reason: &Msg) -> Msg {
    Msg::new(
        "checkin.not_eligible",
        format!(
            "根据本次采集的条件，该学生无需或不能参加采集：{}",
            reason.zh
        ),
        format!(
            "By this campaign's rules this student is not to be photographed: {}",
            reason.en
        ),
    )
}

/// The desk's answer to a student registered for another session (`session`: its day,
/// time and place) where the campaign neither lets students come to another window of the
/// table (seed 001 does) nor takes walk-ins: the day's capacity was planned on it.
pub fn registered_elsewhere(session: &str) -> Msg {
    Msg::new(
        "checkin.other_session",
        format!("该学生报名的是 {session} 场次，请按报名的时间地点参加"),
        format!(
            "This student registered for the session of {session}: they are photographed there"
        ),
    )
}

/// A session as the desk names it: day, time and place.
pub fn session_label(day: &str, starts: &str, ends: &str, campus: &str, place: &str) -> String {
    format!("{day} {starts}–{ends} {campus} {place}")
}

/// The desk's answer to a code of another school (`school_code`, the code's own).
pub fn code_of_other_school(school_code: &str) -> Msg {
    Msg::new(
        "checkin.other_school",
        format!("该采集码属于其他学校（学校代码 {school_code}），不是本校本次采集的学生"),
        format!("This code is of another school (code {school_code}), not of this campaign"),
    )
}

/// The desk's answer when no code is shown (不出示采集码者不予拍摄).
pub fn no_code() -> Msg {
    Msg::new(
        "checkin.no_code",
        "未出示采集码，不予拍摄",
        "No collection code, no photo",
    )
}

/// Where a checked-in student is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Waiting for their turn.
    Waiting,
    /// Called to the station, being photographed.
    Called,
    /// A photo is bound to the number, not yet confirmed by the student.
    Photographed,
    /// The student confirmed the photo on the spot (务必当场核对确认).
    Confirmed,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Waiting => "waiting",
            Stage::Called => "called",
            Stage::Photographed => "photographed",
            Stage::Confirmed => "confirmed",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        [
            Stage::Waiting,
            Stage::Called,
            Stage::Photographed,
            Stage::Confirmed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// One number in a queue, as the order of shooting needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub number: i64,
    pub turn: i64,
    pub stage: Stage,
}

/// The next ones after the current, in order, for the call display.
pub fn waiting_in_order(places: &[Place], n: usize) -> Vec<i64> {
    let mut w: Vec<&Place> = places
        .iter()
        .filter(|p| p.stage == Stage::Waiting)
        .collect();
    w.sort_by_key(|p| p.turn);
    w.into_iter().take(n).map(|p| p.number).collect()
}

/// Why a step at the camera was not taken: the same at the server's station and at an
/// offline one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraRefusal {
    /// The number the person acted on is not the one at the camera (another station
    /// window moved on, or nobody is called): the current number, if any.
    NotCurrent(Option<i64>),
    /// A number is at the camera and not finished: confirm it or send it to the end first.
    Busy(i64),
    /// The number was confirmed: no new photo without an admin's reopening.
    Confirmed,
    /// No photo to confirm, or not the photo shown.
    NoSuchPhoto,
    /// Nobody is waiting.
    Empty,
}

impl CameraRefusal {
    /// What the photographer reads.
    pub fn msg(&self) -> Msg {
        match self {
            CameraRefusal::NotCurrent(Some(n)) => Msg::new(
                "station.not_current",
                format!("当前在拍的是 {n} 号，不是所操作的号；请刷新后再操作"),
                format!(
                    "Number {n} is at the camera now, not the one acted on; reload and try again"
                ),
            ),
            CameraRefusal::NotCurrent(None) => Msg::new(
                "station.nobody_called",
                "当前没有在拍的号，请先叫号",
                "No number is at the camera; call the next one first",
            ),
            CameraRefusal::Busy(n) => Msg::new(
                "station.busy",
                format!("{n} 号尚未确认：请学生确认照片，或将其排至最后，再叫下一个号"),
                format!(
                    "Number {n} is not confirmed: have the student confirm, or send it to the end, before calling the next"
                ),
            ),
            CameraRefusal::Confirmed => Msg::new(
                "station.confirmed",
                "该号的照片已由学生确认，不能重拍；如需重拍须由管理员重新开放",
                "The student confirmed this number's photo; a retake needs an admin to reopen it",
            ),
            CameraRefusal::NoSuchPhoto => Msg::new(
                "station.no_photo",
                "该号还没有这张照片，请按屏幕上的照片确认",
                "That is not this number's photo; confirm the photo on the screen",
            ),
            CameraRefusal::Empty => Msg::new("station.empty", "没有等候的号", "Nobody is waiting"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> CheckinFacts {
        CheckinFacts {
            eligible: true,
            photographed: false,
            registered: true,
            walk_ins: false,
        }
    }

    #[test]
    fn only_eligible_registered_unphotographed_students_get_a_number() {
        assert!(may_check_in(facts()).is_ok());
        let code = |f| may_check_in(f).err().map(|m: Msg| m.code);
        assert_eq!(
            code(CheckinFacts {
                eligible: false,
                ..facts()
            })
            .as_deref(),
            Some("checkin.not_eligible")
        );
        assert_eq!(
            code(CheckinFacts {
                photographed: true,
                ..facts()
            })
            .as_deref(),
            Some("checkin.already_photographed")
        );
        let unregistered = CheckinFacts {
            registered: false,
            ..facts()
        };
        assert_eq!(
            code(unregistered).as_deref(),
            Some("checkin.not_registered")
        );
        assert!(
            may_check_in(CheckinFacts {
                walk_ins: true,
                ..unregistered
            })
            .is_ok(),
            "a walk-in, where the campaign allows it"
        );
    }

    fn place(number: i64, turn: i64, stage: Stage) -> Place {
        Place {
            number,
            turn,
            stage,
        }
    }

    #[test]
    fn the_call_display_lists_the_waiting_by_turn() {
        // Number 2 did not come when called: it kept its number and got turn 5, after 4.
        let q = vec![
            place(1, 1, Stage::Confirmed),
            place(2, 5, Stage::Waiting),
            place(3, 3, Stage::Waiting),
            place(4, 4, Stage::Waiting),
            place(5, 6, Stage::Called),
        ];
        assert_eq!(waiting_in_order(&q, 10), vec![3, 4, 2]);
        assert_eq!(waiting_in_order(&q, 2), vec![3, 4]);
        assert!(waiting_in_order(&[place(1, 1, Stage::Confirmed)], 5).is_empty());
    }

    #[test]
    fn stages_read_back() {
        for s in [
            Stage::Waiting,
            Stage::Called,
            Stage::Photographed,
            Stage::Confirmed,
        ] {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
        assert_eq!(Stage::parse("lost"), None);
    }
}
