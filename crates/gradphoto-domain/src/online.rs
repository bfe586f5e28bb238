//! Rules of the online path's verification steps (seed 003 §验证信息): which school the
//! student means, whether its campaign takes online uploads today, what to say when the
//! student is not found, and whether a collection code names this student.

use chrono::NaiveDate;

use crate::campaign::Window;
use crate::i18n::Msg;
use crate::people::{Level, mask_name};

/// Failed identity lookups an entry may make before it must wait (a day): enough for
/// typing mistakes, too few to walk through ID numbers.
pub const MAX_IDENTITY_FAILURES: i64 = 10;
pub const IDENTITY_LOCK_MS: i64 = 24 * 3_600_000;

/// How a typed school name compares: trimmed, case and inner spaces ignored, full-width
/// brackets as half-width (学校名 is typed many ways on a phone).
pub fn school_key(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `typed` names the school with these names and code (exactly, after
/// [`school_key`]).
pub fn names_school(typed: &str, name_zh: &str, name_en: &str, code: &str) -> bool {
    let t = school_key(typed);
    !t.is_empty() && [name_zh, name_en, code].iter().any(|n| school_key(n) == t)
}

pub fn school_unknown() -> Msg {
    Msg::new(
        "online.school_unknown",
        "未找到该学校，请输入学校全称，或从列表中选择",
        "No school by that name; type the full name or pick it from the list",
    )
}

/// Seed 003: "提示您的学校未开放采集任务".
pub fn no_open_campaign() -> Msg {
    Msg::new(
        "online.no_campaign",
        "您的学校未开放采集任务",
        "Your school has no open collection",
    )
}

/// An open campaign that takes no online uploads now: when it does, or that it does not.
pub fn online_closed(window: Option<Window>, today: NaiveDate) -> Option<Msg> {
    match window {
        None => Some(Msg::new(
            "online.not_offered",
            "本次采集不接受网上提交，请按学校通知参加现场采集",
            "This collection takes no online uploads; attend the on-site session in your school's notice",
        )),
        Some(w) if w.contains(today) => None,
        Some(w) => Some(Msg::new(
            "online.outside_window",
            format!("网上提交时间为 {} 至 {}", w.from, w.to),
            format!("Online uploads are open from {} to {}", w.from, w.to),
        )),
    }
}

/// Seed 003: the two reasons a student is not found, and what to do about each.
pub fn student_not_found() -> Msg {
    Msg::new(
        "online.student_not_found",
        "未查询到学生信息。可能的原因：1. 图片社尚无您的信息，多见于提前毕业申请尚未生效的学生，请在完成提前毕业申请手续后 1 周再提交；2. 您输入的证件号与学校登记的不同，多见于留学生、港澳台学生，请使用在学校研究生/学籍管理系统中登记的证件号验证。",
        "No student found. Possible reasons: 1. the agency does not have your record yet, usually because an early-graduation application has not taken effect: submit one week after it is approved; 2. the document number differs from the one your school registered, usually for international and Hong Kong, Macao or Taiwan students: use the number registered in your school's student records system.",
    )
}

pub fn identity_locked() -> Msg {
    Msg::new(
        "online.identity_locked",
        "验证失败次数过多，请 24 小时后再试，或联系学校核对登记的证件号",
        "Too many failed attempts; try again in 24 hours, or ask your school which number it registered",
    )
}

/// What a collection code says about its student, and what the roster says: the code
/// names this student only when all of them agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeFacts {
    pub school_code: String,
    pub level: Level,
    pub graduation_year: u16,
    pub name_masked: String,
    pub id_masked: String,
}

impl CodeFacts {
    /// The roster's side, from the student's clear name and masked ID number.
    pub fn of_student(
        school_code: &str,
        level: Level,
        expected_graduation: &str,
        name: &str,
        id_masked: &str,
    ) -> Option<CodeFacts> {
        Some(CodeFacts {
            school_code: school_code.to_string(),
            level,
            graduation_year: expected_graduation.get(..4)?.parse().ok()?,
            name_masked: mask_name(name),
            id_masked: id_masked.to_string(),
        })
    }
}

/// `None` when `code` names `student`; otherwise why not (which fact differs is not
/// said: a code of someone else reveals nothing about them).
pub fn code_mismatch(code: &CodeFacts, student: &CodeFacts) -> Option<Msg> {
    if code.school_code != student.school_code {
        return Some(Msg::new(
            "online.code_other_school",
            "该采集码属于其他学校，请使用本人在学信网获取的采集码",
            "That code belongs to another school; use the code you got from the registry",
        ));
    }
    if code != student {
        return Some(Msg::new(
            "online.code_other_student",
            "该采集码不属于您（学历层次、毕业年份、姓名或证件号不符），请使用本人的采集码",
            "That code is not yours (level, graduation year, name or ID differ); use your own code",
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn school_names_match_however_they_are_typed() {
        assert!(names_school(
            " 北京大学医学部 ",
            "北京大学医学部",
            "Peking University Health Science Center",
            "10001"
        ));
        assert!(names_school(
            "peking university  health science center",
            "北京大学医学部",
            "Peking University Health Science Center",
            "10001"
        ));
        assert!(names_school("10001", "北京大学医学部", "x", "10001"));
        assert!(names_school("华侨大学（厦门）", "华侨大学(厦门)", "x", "1"));
        assert!(!names_school("北京大学", "北京大学医学部", "x", "10001"));
        assert!(!names_school("  ", "", "", ""));
    }

    #[test]
    fn the_online_window_is_inclusive_and_its_absence_is_explained() {
        let w = Window {
            from: d("2026-03-01"),
            to: d("2026-04-30"),
        };
        assert!(online_closed(Some(w), d("2026-03-01")).is_none());
        assert!(online_closed(Some(w), d("2026-04-30")).is_none());
        let m = online_closed(Some(w), d("2026-05-01")).expect("closed");
        assert_eq!(m.code, "online.outside_window");
        assert!(m.zh.contains("2026-03-01") && m.en.contains("2026-04-30"));
        assert_eq!(
            online_closed(None, d("2026-03-01")).expect("none").code,
            "online.not_offered"
        );
    }

    #[test]
    fn a_code_names_a_student_only_when_every_fact_agrees() {
        let s = CodeFacts::of_student(
            "10384",
            Level::Bachelor,
            "2027-06",
            "欧阳娜娜",
            "3502**********123X",
        )
        .expect("facts");
        assert_eq!(s.name_masked, "欧**娜");
        assert_eq!(s.graduation_year, 2027);
        assert!(code_mismatch(&s.clone(), &s).is_none());
        let mut other = s.clone();
        other.school_code = "10001".into();
        assert_eq!(
            code_mismatch(&other, &s).expect("other").code,
            "online.code_other_school"
        );
        for change in [
            |c: &mut CodeFacts| c.level = Level::Master,
            |c: &mut CodeFacts| c.graduation_year = 2026,
            |c: &mut CodeFacts| c.name_masked = "欧**丽".into(),
            |c: &mut CodeFacts| c.id_masked = "3502**********124X".into(),
        ] {
            let mut c = s.clone();
            change(&mut c);
            assert_eq!(
                code_mismatch(&c, &s).expect("differs").code,
                "online.code_other_student"
            );
        }
        assert!(CodeFacts::of_student("1", Level::Bachelor, "27", "张三", "x").is_none());
    }

    #[test]
    fn not_found_gives_both_causes_in_both_languages() {
        let m = student_not_found();
        assert!(m.zh.contains("提前毕业") && m.zh.contains("港澳台"));
        assert!(m.en.contains("early-graduation") && m.en.contains("Taiwan"));
    }
}
