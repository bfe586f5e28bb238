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

/// Who holds sheets on their way (a loss is reported where it happened).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Agency,
    School,
    Department,
}

impl Holder {
    pub fn as_str(self) -> &'static str {
        match self {
            Holder::Agency => "agency",
            Holder::School => "school",
            Holder::Department => "department",
        }
    }

    pub fn parse(s: &str) -> Option<Holder> {
        match s {
            "agency" => Some(Holder::Agency),
            "school" => Some(Holder::School),
            "department" => Some(Holder::Department),
            _ => None,
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Holder::Agency => "图片社",
            Holder::School => "研究生院",
            Holder::Department => "院系",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Holder::Agency => "the agency",
            Holder::School => "the graduate school",
            Holder::Department => "the department",
        }
    }
}

/// Where a batch's sheets are, from its hand-overs, receipts and losses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Holdings {
    /// Sheets printed in the batch (one per student).
    pub printed: i64,
    /// Sheets the graduate school received, in all.
    pub to_school: i64,
    /// Sheets the departments received, in all.
    pub to_department: i64,
    /// Sheets in their students' hands.
    pub received: i64,
    /// Sheets reported lost at each holder: they are reprinted, not handed on.
    pub lost_at_agency: i64,
    pub lost_at_school: i64,
    pub lost_at_department: i64,
    /// A batch sent by post, each sheet to its student (seed 004): the agency answers
    /// for a sheet until its student has it; a student may then hand it in to the
    /// department, which hands what it collected on to the graduate school (`to_school`).
    pub mailed: bool,
    /// Sheets the agency has posted and that are not reported lost.
    pub shipped: i64,
    /// Posted sheets their students handed in to the department.
    pub returned: i64,
}

impl Holdings {
    /// Still at the agency (not handed over, not posted).
    pub fn at_agency(&self) -> i64 {
        if self.mailed {
            self.printed - self.shipped - self.lost_at_agency
        } else {
            self.printed - self.to_school - self.lost_at_agency
        }
    }
    /// Posted, not yet confirmed by their students.
    pub fn in_post(&self) -> i64 {
        if self.mailed {
            self.shipped - self.received
        } else {
            0
        }
    }
    /// At the graduate school.
    pub fn at_school(&self) -> i64 {
        self.to_school - self.to_department - self.lost_at_school
    }
    /// At the department: not yet with the students or, posted, handed in by them and
    /// not yet passed on to the school.
    pub fn at_department(&self) -> i64 {
        if self.mailed {
            self.returned - self.to_school - self.lost_at_department
        } else {
            self.to_department - self.received - self.lost_at_department
        }
    }
    /// In their students' hands: received and, posted, not handed in since.
    pub fn with_students(&self) -> i64 {
        if self.mailed {
            self.received - self.returned
        } else {
            self.received
        }
    }
    /// Sheets lost anywhere.
    pub fn lost(&self) -> i64 {
        self.lost_at_agency + self.lost_at_school + self.lost_at_department
    }
    /// What `holder` holds, or answers for: the agency for the sheets in the post too.
    pub fn at(&self, holder: Holder) -> i64 {
        match holder {
            Holder::Agency => self.at_agency() + self.in_post(),
            Holder::School => self.at_school(),
            Holder::Department => self.at_department(),
        }
    }

    /// Whether `sheets` may be handed over at `stage`: more than none, and no more than
    /// the giver holds.
    pub fn may_hand_over(&self, stage: Stage, sheets: i64) -> Result<(), Msg> {
        if self.mailed && stage == Stage::ToDepartment {
            return Err(Msg::new(
                "prints.mailed",
                "邮寄的照片由图片社寄给学生本人，学生交回院系后由院系交研究生院",
                "Posted prints go to each student; students hand them in to the department, which passes them on to the graduate school",
            ));
        }
        if sheets <= 0 {
            return Err(Msg::new(
                "prints.count",
                "交接数量须大于零",
                "Hand over at least one sheet",
            ));
        }
        let giver = match stage {
            Stage::ToSchool if self.mailed => Holder::Department,
            Stage::ToSchool => Holder::Agency,
            Stage::ToDepartment => Holder::School,
        };
        let holds = self.at(giver);
        if sheets > holds {
            return Err(Msg::new(
                "prints.too_many",
                format!("交接数量 {sheets} 超过{}现有的 {holds} 张", giver.zh()),
                format!(
                    "{sheets} sheets is more than the {holds} {} holds",
                    giver.en()
                ),
            ));
        }
        Ok(())
    }

    /// Whether the student of a sheet may receive it: by post once it was posted
    /// (`shipped`), otherwise once the department holds one.
    pub fn may_receive(&self, shipped: bool) -> Result<(), Msg> {
        if self.mailed {
            if !shipped {
                return Err(Msg::new(
                    "prints.not_shipped",
                    "照片尚未寄出",
                    "The prints have not been posted yet",
                ));
            }
            return Ok(());
        }
        if self.at_department() <= 0 {
            return Err(Msg::new(
                "prints.not_at_department",
                "院系尚未登记收到该批照片，请先由院系登记接收",
                "The department has not recorded receiving these prints yet; it records that first",
            ));
        }
        Ok(())
    }

    /// Whether `sheets` may be reported lost at `holder`: no more than it holds.
    pub fn may_lose(&self, holder: Holder, sheets: i64) -> Result<(), Msg> {
        let holds = self.at(holder);
        if sheets <= 0 || sheets > holds {
            return Err(Msg::new(
                "prints.lose_count",
                format!("{}现有 {holds} 张，无法登记遗失 {sheets} 张", holder.zh()),
                format!(
                    "{} holds {holds} sheets; {sheets} cannot be reported lost",
                    holder.en()
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(printed: i64, to_school: i64, to_department: i64, received: i64) -> Holdings {
        Holdings {
            printed,
            to_school,
            to_department,
            received,
            ..Holdings::default()
        }
    }

    #[test]
    fn each_holder_counts_what_reached_it_less_what_it_passed_on() {
        let x = h(40, 30, 25, 10);
        assert_eq!(
            (x.at_agency(), x.at_school(), x.at_department()),
            (10, 5, 15)
        );
    }

    #[test]
    fn a_loss_counts_against_the_holder_it_happened_at() {
        // One lost at the lab, two handed to the school: the school still holds two.
        let x = Holdings {
            lost_at_agency: 1,
            ..h(3, 2, 0, 0)
        };
        assert_eq!((x.at_agency(), x.at_school(), x.lost()), (0, 2, 1));
        assert!(x.may_hand_over(Stage::ToDepartment, 2).is_ok());
        assert!(
            x.may_hand_over(Stage::ToSchool, 1).is_err(),
            "the lost sheet"
        );
    }

    #[test]
    fn a_hand_over_is_never_more_than_the_giver_holds() {
        let x = h(40, 30, 25, 0);
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
    fn a_student_receives_only_what_the_department_holds() {
        assert!(h(3, 3, 3, 2).may_receive(false).is_ok());
        assert!(h(3, 3, 3, 3).may_receive(false).is_err());
        assert!(h(3, 3, 0, 0).may_receive(false).is_err());
        let lost_there = Holdings {
            lost_at_department: 1,
            ..h(3, 3, 3, 2)
        };
        assert!(lost_there.may_receive(false).is_err());
    }

    #[test]
    fn only_what_a_holder_holds_can_be_lost_there() {
        let x = h(5, 5, 4, 3);
        assert!(x.may_lose(Holder::Department, 1).is_ok());
        assert!(x.may_lose(Holder::Department, 2).is_err());
        assert!(x.may_lose(Holder::School, 1).is_ok());
        assert!(x.may_lose(Holder::Agency, 1).is_err());
        assert!(x.may_lose(Holder::School, 0).is_err());
    }

    #[test]
    fn a_mail_batch_goes_by_post_and_the_agency_answers_for_it() {
        // Five printed, three posted (one of them received), one lost before posting.
        let x = Holdings {
            printed: 5,
            shipped: 3,
            received: 1,
            lost_at_agency: 1,
            mailed: true,
            ..Holdings::default()
        };
        assert_eq!((x.at_agency(), x.in_post(), x.at_department()), (1, 2, 0));
        assert_eq!(x.at(Holder::Agency), 3, "unposted and in the post");
        assert_eq!(
            x.may_hand_over(Stage::ToDepartment, 1).map_err(|m| m.code),
            Err("prints.mailed".to_string())
        );
        assert!(
            x.may_hand_over(Stage::ToSchool, 1).is_err(),
            "the department collected none yet"
        );
        assert!(x.may_receive(true).is_ok());
        assert_eq!(
            x.may_receive(false).map_err(|m| m.code),
            Err("prints.not_shipped".to_string())
        );
        assert!(x.may_lose(Holder::Agency, 3).is_ok());
        assert!(x.may_lose(Holder::Agency, 4).is_err());
        assert!(x.may_lose(Holder::Department, 1).is_err());
        // A batch handed over by hand has nothing in the post.
        assert_eq!(h(3, 3, 3, 0).in_post(), 0);
        // The received sheet handed in to the department, then on to the school.
        assert_eq!(x.with_students(), 1);
        let returned = Holdings { returned: 1, ..x };
        assert_eq!((returned.at_department(), returned.with_students()), (1, 0));
        assert!(returned.may_hand_over(Stage::ToSchool, 2).is_err());
        let passed = Holdings {
            to_school: 1,
            ..returned
        };
        assert!(returned.may_hand_over(Stage::ToSchool, 1).is_ok());
        assert_eq!(
            (
                passed.at_department(),
                passed.at_school(),
                passed.at_agency()
            ),
            (0, 1, 1)
        );
    }

    #[test]
    fn names_round_trip() {
        for s in [Stage::ToSchool, Stage::ToDepartment] {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
        assert_eq!(Stage::parse("student"), None);
        for x in [Holder::Agency, Holder::School, Holder::Department] {
            assert_eq!(Holder::parse(x.as_str()), Some(x));
        }
    }
}
