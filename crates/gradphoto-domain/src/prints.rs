//! The prints' chain of custody (洗印版照片, issue 8; seed 001 §注意事项 2: the graduate
//! school collects the prints, the departments take the rest back to the students). A
//! print batch — one department's sheets, one per student — moves agency → graduate
//! school → department → student. Each hand-over counts sheets; these rules keep every
//! holder's count between zero and what reached it, so a count can never go negative and
//! no sheet is handed on twice.

use crate::i18n::Msg;

/// A step of the chain that hands over a number of sheets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The agency's lab hands the batch to the graduate school.
    ToSchool,
    /// The graduate school hands sheets on to the department.
    ToDepartment,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::ToSchool => "school",
            Stage::ToDepartment => "department",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        match s {
            "school" => Some(Stage::ToSchool),
            "department" => Some(Stage::ToDepartment),
            _ => None,
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Stage::ToSchool => "图片社 → 研究生院",
            Stage::ToDepartment => "研究生院 → 院系",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Stage::ToSchool => "agency → graduate school",
            Stage::ToDepartment => "graduate school → department",
        }
    }
}

/// Where a batch's sheets are, from its hand-overs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Holdings {
    /// Sheets printed in the batch (one per student).
    pub printed: i64,
    /// Sheets reported lost (a lost batch's sheets not yet with their students, or one
    /// student's missing sheet): they are reprinted, not handed on.
    pub lost: i64,
    /// Sheets the graduate school received, in all.
    pub to_school: i64,
    /// Sheets the departments received, in all.
    pub to_department: i64,
    /// Sheets in their students' hands.
    pub received: i64,
}

impl Holdings {
    /// What the agency, the graduate school and the department hold, net of losses. Where
    /// a sheet was lost is not known, so a loss is taken from the holder furthest down the
    /// chain that holds sheets (the department first, the agency last): a counted
    /// hand-over never makes a count negative.
    fn net(&self) -> (i64, i64, i64) {
        let mut lost = self.lost;
        let mut take = |held: i64| {
            let t = lost.min(held.max(0));
            lost -= t;
            held - t
        };
        let department = take(self.to_department - self.received);
        let school = take(self.to_school - self.to_department);
        let agency = take(self.printed - self.to_school);
        (agency, school, department)
    }

    /// Still at the agency.
    pub fn at_agency(&self) -> i64 {
        self.net().0
    }
    /// At the graduate school.
    pub fn at_school(&self) -> i64 {
        self.net().1
    }
    /// At the department, not yet with the students.
    pub fn at_department(&self) -> i64 {
        self.net().2
    }

    /// Whether `sheets` may be handed over at `stage`: more than none, and no more than
    /// the giver holds.
    pub fn may_hand_over(&self, stage: Stage, sheets: i64) -> Result<(), Msg> {
        if sheets <= 0 {
            return Err(Msg::new(
                "prints.count",
                "交接数量须大于零",
                "Hand over at least one sheet",
            ));
        }
        let (holds, who_zh, who_en) = match stage {
            Stage::ToSchool => (self.at_agency(), "图片社", "the agency"),
            Stage::ToDepartment => (self.at_school(), "研究生院", "the graduate school"),
        };
        if sheets > holds {
            return Err(Msg::new(
                "prints.too_many",
                format!("交接数量 {sheets} 超过{who_zh}现有的 {holds} 张"),
                format!("{sheets} sheets is more than the {holds} {who_en} holds"),
            ));
        }
        Ok(())
    }

    /// Whether one more student may receive their sheet: the department must hold one.
    pub fn may_receive(&self) -> Result<(), Msg> {
        if self.at_department() <= 0 {
            return Err(Msg::new(
                "prints.not_at_department",
                "院系尚未登记收到该批照片，请先由院系登记接收",
                "The department has not recorded receiving these prints yet; it records that first",
            ));
        }
        Ok(())
    }

    /// Whether sheets may be reported lost: no more than are neither with their students
    /// nor lost already.
    pub fn may_lose(&self, sheets: i64) -> Result<(), Msg> {
        if sheets <= 0 || sheets > self.printed - self.lost - self.received {
            return Err(Msg::new(
                "prints.lose_count",
                "没有可登记为遗失的照片",
                "There are no sheets that could be reported lost",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(printed: i64, lost: i64, to_school: i64, to_department: i64, received: i64) -> Holdings {
        Holdings {
            printed,
            lost,
            to_school,
            to_department,
            received,
        }
    }

    #[test]
    fn each_holder_counts_what_reached_it_less_what_it_passed_on() {
        let x = h(40, 0, 30, 25, 10);
        assert_eq!(
            (x.at_agency(), x.at_school(), x.at_department()),
            (10, 5, 15)
        );
    }

    #[test]
    fn losses_come_off_the_furthest_holder_first() {
        // Two of the department's fifteen are missing.
        let x = h(40, 2, 30, 25, 10);
        assert_eq!(
            (x.at_agency(), x.at_school(), x.at_department()),
            (10, 5, 13)
        );
        // A batch lost on its way to the school: nothing is held anywhere.
        let x = h(12, 12, 0, 0, 0);
        assert_eq!((x.at_agency(), x.at_school(), x.at_department()), (0, 0, 0));
        // Lost at the school after the department took some.
        let x = h(12, 7, 12, 5, 5);
        assert_eq!((x.at_agency(), x.at_school(), x.at_department()), (0, 0, 0));
    }

    #[test]
    fn a_hand_over_is_never_more_than_the_giver_holds() {
        let x = h(40, 0, 30, 25, 0);
        assert!(x.may_hand_over(Stage::ToSchool, 10).is_ok());
        assert_eq!(
            x.may_hand_over(Stage::ToSchool, 11).map_err(|m| m.code),
            Err("prints.too_many".to_string())
        );
        assert!(x.may_hand_over(Stage::ToDepartment, 5).is_ok());
        assert!(x.may_hand_over(Stage::ToDepartment, 6).is_err());
        assert_eq!(
            x.may_hand_over(Stage::ToDepartment, 0).map_err(|m| m.code),
            Err("prints.count".to_string())
        );
        assert!(x.may_hand_over(Stage::ToSchool, -3).is_err());
    }

    #[test]
    fn lost_sheets_are_not_handed_on() {
        // The school received ten, four of them are lost: six may go on.
        let x = h(10, 4, 10, 0, 0);
        assert_eq!(x.at_school(), 6);
        assert!(x.may_hand_over(Stage::ToDepartment, 6).is_ok());
        assert!(x.may_hand_over(Stage::ToDepartment, 7).is_err());
    }

    #[test]
    fn a_student_receives_only_what_the_department_holds() {
        assert!(h(3, 0, 3, 3, 2).may_receive().is_ok());
        assert!(h(3, 0, 3, 3, 3).may_receive().is_err());
        assert!(h(3, 0, 3, 0, 0).may_receive().is_err());
    }

    #[test]
    fn only_sheets_not_yet_received_or_lost_can_be_lost() {
        let x = h(5, 1, 5, 5, 3);
        assert!(x.may_lose(1).is_ok());
        assert!(x.may_lose(2).is_err());
        assert!(x.may_lose(0).is_err());
    }

    #[test]
    fn stages_round_trip() {
        for s in [Stage::ToSchool, Stage::ToDepartment] {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
        assert_eq!(Stage::parse("student"), None);
    }
}
