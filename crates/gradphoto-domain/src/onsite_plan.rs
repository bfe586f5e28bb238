//! The plan of the on-site days (issue 7, before the day): a session is a campus, a place,
//! a day and a time window with its capacity (seed 001's table: 泉州校区, 新太阳学生活动中心
//! 105、106, 9:30–12:00); each session has one queue per camera. Registration (报名) by the
//! department secretaries is open until the campaign's deadline, or until the day itself.

use chrono::{NaiveDate, NaiveTime};

use crate::campaign::Window;
use crate::i18n::Msg;

/// The most students one window takes: far above any real room, low enough that a typo
/// (an extra zero) is caught.
pub const MAX_CAPACITY: i64 = 5_000;
/// Queues (cameras) per session.
pub const MAX_QUEUES: usize = 20;
const MAX_TEXT: usize = 100;

/// A session as the university admin describes it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSpec {
    pub campus: String,
    pub place: String,
    pub day: NaiveDate,
    pub starts: NaiveTime,
    pub ends: NaiveTime,
    pub capacity: i64,
    /// The queues' names (e.g. the rooms "105", "106"); one queue "1" when none is given.
    pub queues: Vec<String>,
    /// Open to in-service students of any department (seed 001's weekend days).
    pub in_service_open: bool,
}

/// The text fields of a session form.
#[derive(Debug, Clone, Default)]
pub struct SessionForm<'a> {
    pub campus: &'a str,
    pub place: &'a str,
    pub day: &'a str,
    pub starts: &'a str,
    pub ends: &'a str,
    pub capacity: &'a str,
    /// Queue names separated by commas (either width), 、 or spaces.
    pub queues: &'a str,
    /// The "open to in-service students of any department" box.
    pub in_service_open: bool,
}

fn invalid(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Msg {
    Msg::new(format!("session.{code}"), zh, en)
}

fn time(s: &str, zh: &str, en: &str) -> Result<NaiveTime, Msg> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| {
        invalid(
            "bad_time",
            format!("{zh}格式错误：“{}”（应为 09:30）", s.trim()),
            format!("{en} is not a time: “{}” (use 09:30)", s.trim()),
        )
    })
}

fn text(s: &str, code: &str, zh: &str, en: &str) -> Result<String, Msg> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > MAX_TEXT {
        return Err(invalid(
            code,
            format!("请填写{zh}（不超过 {MAX_TEXT} 字）"),
            format!("Give the {en} (at most {MAX_TEXT} characters)"),
        ));
    }
    Ok(t.to_string())
}

/// Checks a session against the campaign's on-site days.
pub fn session_spec(f: &SessionForm<'_>, onsite: Option<Window>) -> Result<SessionSpec, Msg> {
    let Some(window) = onsite else {
        return Err(invalid(
            "no_onsite_days",
            "本次采集没有设置现场采集日期，请先在采集设置中填写",
            "This campaign has no on-site days; set them in the campaign first",
        ));
    };
    let campus = text(f.campus, "campus_required", "校区", "campus")?;
    let place = text(f.place, "place_required", "地点", "place")?;
    let day = NaiveDate::parse_from_str(f.day.trim(), "%Y-%m-%d").map_err(|_| {
        invalid(
            "bad_day",
            "请填写日期（如 2025-04-15）",
            "Give the day (e.g. 2025-04-15)",
        )
    })?;
    if !window.contains(day) {
        return Err(invalid(
            "day_outside",
            format!(
                "{day} 不在本次现场采集日期（{} 至 {}）内",
                window.from, window.to
            ),
            format!(
                "{day} is outside the campaign's on-site days ({} to {})",
                window.from, window.to
            ),
        ));
    }
    let starts = time(f.starts, "开始时间", "The start")?;
    let ends = time(f.ends, "结束时间", "The end")?;
    if ends <= starts {
        return Err(invalid(
            "ends_before_start",
            "结束时间须晚于开始时间",
            "The window must end after it starts",
        ));
    }
    let capacity: i64 = f
        .capacity
        .trim()
        .parse()
        .ok()
        .filter(|c| (1..=MAX_CAPACITY).contains(c))
        .ok_or_else(|| {
            invalid(
                "bad_capacity",
                format!("容量应为 1 至 {MAX_CAPACITY} 之间的整数"),
                format!("The capacity is a whole number from 1 to {MAX_CAPACITY}"),
            )
        })?;
    let mut queues: Vec<String> = Vec::new();
    for q in f
        .queues
        .split([',', '，', '、', ' ', '\t', '\n'])
        .map(str::trim)
        .filter(|q| !q.is_empty())
    {
        if q.chars().count() > 40 {
            return Err(invalid(
                "bad_queue",
                format!("队列名称过长：{q}"),
                format!("Queue name too long: {q}"),
            ));
        }
        if !queues.iter().any(|x| x == q) {
            queues.push(q.to_string());
        }
    }
    if queues.is_empty() {
        queues.push("1".to_string());
    }
    if queues.len() > MAX_QUEUES {
        return Err(invalid(
            "too_many_queues",
            format!("每场最多 {MAX_QUEUES} 个队列"),
            format!("At most {MAX_QUEUES} queues per session"),
        ));
    }
    Ok(SessionSpec {
        campus,
        place,
        day,
        starts,
        ends,
        capacity,
        queues,
        in_service_open: f.in_service_open,
    })
}

/// Whether secretaries may still register (or take off) students for a session on
/// `day`: until the campaign's deadline where there is one, else until the day before.
pub fn registration_open(
    deadline: Option<NaiveDate>,
    day: NaiveDate,
    today: NaiveDate,
) -> Result<(), Msg> {
    let last = deadline.unwrap_or(day - chrono::Days::new(1)).min(day);
    if today > last {
        return Err(Msg::new(
            "registration.closed",
            format!("报名已于 {last} 截止"),
            format!("Registration closed on {last}"),
        ));
    }
    Ok(())
}

/// Who a session is for: its departments (empty: every department), and whether it is
/// also open to in-service students of any department (seed 001: 除周末拍摄的院系外，其他
/// 学院在职同学如所在院系规定时间不方便，可选择在11月4-5日来校).
#[derive(Debug, Clone, Copy)]
pub struct SessionFor<'a> {
    pub departments: &'a [i64],
    pub in_service_open: bool,
}

/// Whether a student of `department` (in-service or not) may be registered for a session:
/// their own department's session, one for every department, one open to in-service
/// students when they are one, or any session of the table where the campaign allows
/// another window (可在表中其他时间内参加).
pub fn may_register_for(
    department: i64,
    in_service: bool,
    session: SessionFor<'_>,
    any_window: bool,
) -> Result<(), Msg> {
    if session.departments.is_empty()
        || any_window
        || session.departments.contains(&department)
        || (in_service && session.in_service_open)
    {
        Ok(())
    } else {
        Err(Msg::new(
            "registration.other_departments",
            "该场次安排给其他院系，请按院系规定的时间报名",
            "This session is for other departments; register for your department's session",
        ))
    }
}

/// A registered student as the groups need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued<'a> {
    pub registration: i64,
    pub major: &'a str,
    pub student_no: &'a str,
}

/// The groups (组别) of a session: its students ordered by major then student number
/// (seed 004: 严格按专业、学号先后顺序排队), cut into groups of `size`, numbered from
/// `first`. Returns (registration, group).
pub fn assign_groups(students: &[Queued<'_>], size: usize, first: i64) -> Vec<(i64, i64)> {
    let size = size.max(1);
    let mut order: Vec<&Queued<'_>> = students.iter().collect();
    order.sort_by(|a, b| (a.major, a.student_no).cmp(&(b.major, b.student_no)));
    order
        .into_iter()
        .enumerate()
        .map(|(i, q)| (q.registration, first + i64::try_from(i / size).unwrap_or(0)))
        .collect()
}

/// Whether a session is over at `now` (China time, `YYYY-MM-DD HH:MM`): from then on a
/// registered student who did not check in is a no-show, not "not yet arrived".
pub fn session_over(day: &str, ends: &str, now: &str) -> bool {
    now >= format!("{day} {ends}").as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn window() -> Option<Window> {
        Some(Window {
            from: d("2025-04-15"),
            to: d("2025-04-16"),
        })
    }

    fn form() -> SessionForm<'static> {
        SessionForm {
            campus: "泉州校区",
            place: "新太阳学生活动中心",
            day: "2025-04-15",
            starts: "09:30",
            ends: "12:00",
            capacity: "300",
            queues: "105、106，105",
            in_service_open: false,
        }
    }

    fn code(f: &SessionForm<'_>, w: Option<Window>) -> String {
        session_spec(f, w).err().map(|m| m.code).unwrap_or_default()
    }

    #[test]
    fn a_session_of_seed_001s_table_reads() {
        let s = session_spec(&form(), window()).expect("valid");
        assert_eq!(
            s.queues,
            vec!["105", "106"],
            "split on 、 and ，, deduplicated"
        );
        assert_eq!(s.capacity, 300);
        assert_eq!(s.starts.to_string(), "09:30:00");
        let one = session_spec(
            &SessionForm {
                queues: " ",
                ..form()
            },
            window(),
        )
        .expect("valid");
        assert_eq!(one.queues, vec!["1"], "one queue when none is named");
    }

    #[test]
    fn bad_sessions_are_refused_with_their_reason() {
        assert_eq!(code(&form(), None), "session.no_onsite_days");
        let f = form();
        for (bad, want) in [
            (
                SessionForm {
                    campus: " ",
                    ..f.clone()
                },
                "session.campus_required",
            ),
            (
                SessionForm {
                    place: "",
                    ..f.clone()
                },
                "session.place_required",
            ),
            (
                SessionForm {
                    day: "15/04/2025",
                    ..f.clone()
                },
                "session.bad_day",
            ),
            (
                SessionForm {
                    day: "2025-04-17",
                    ..f.clone()
                },
                "session.day_outside",
            ),
            (
                SessionForm {
                    starts: "9.30",
                    ..f.clone()
                },
                "session.bad_time",
            ),
            (
                SessionForm {
                    ends: "09:00",
                    ..f.clone()
                },
                "session.ends_before_start",
            ),
            (
                SessionForm {
                    capacity: "0",
                    ..f.clone()
                },
                "session.bad_capacity",
            ),
            (
                SessionForm {
                    capacity: "30000",
                    ..f.clone()
                },
                "session.bad_capacity",
            ),
            (
                SessionForm {
                    capacity: "x",
                    ..f.clone()
                },
                "session.bad_capacity",
            ),
        ] {
            assert_eq!(code(&bad, window()), want, "{bad:?}");
        }
        let many = (0..=MAX_QUEUES)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            code(
                &SessionForm {
                    queues: &many,
                    ..form()
                },
                window()
            ),
            "session.too_many_queues"
        );
    }

    #[test]
    fn a_session_is_for_its_departments_unless_open_or_any_window() {
        let only = |d: &'static [i64]| SessionFor {
            departments: d,
            in_service_open: false,
        };
        assert!(may_register_for(3, false, only(&[3, 4]), false).is_ok());
        assert!(may_register_for(5, false, only(&[3, 4]), false).is_err());
        assert!(
            may_register_for(5, false, only(&[]), false).is_ok(),
            "open to every department"
        );
        assert!(
            may_register_for(5, false, only(&[3, 4]), true).is_ok(),
            "another window of the table"
        );
    }

    #[test]
    fn a_weekend_session_takes_in_service_students_of_any_department() {
        // Seed 001: the weekend days are for two departments, and for in-service students
        // of the others.
        let weekend = SessionFor {
            departments: &[3, 4],
            in_service_open: true,
        };
        assert!(
            may_register_for(3, false, weekend, false).is_ok(),
            "its own department"
        );
        assert!(
            may_register_for(5, true, weekend, false).is_ok(),
            "in-service, other department"
        );
        let refused = may_register_for(5, false, weekend, false).unwrap_err();
        assert_eq!(
            refused.code, "registration.other_departments",
            "full-time, other department"
        );
        let weekday = SessionFor {
            departments: &[5],
            in_service_open: false,
        };
        assert!(
            may_register_for(6, true, weekday, false).is_err(),
            "in-service alone opens only the sessions that say so"
        );
    }

    #[test]
    fn groups_follow_major_then_student_number() {
        let q = |registration, major, student_no| Queued {
            registration,
            major,
            student_no,
        };
        let students = [
            q(1, "物理", "2103"),
            q(2, "数学", "2102"),
            q(3, "数学", "2101"),
            q(4, "物理", "2001"),
            q(5, "化学", "2201"),
        ];
        assert_eq!(
            assign_groups(&students, 2, 1),
            vec![(5, 1), (3, 1), (2, 2), (4, 2), (1, 3)]
        );
        assert_eq!(
            assign_groups(&students[..1], 0, 4),
            vec![(1, 4)],
            "size 0 is 1"
        );
    }

    #[test]
    fn a_session_is_over_at_its_end() {
        assert!(!session_over("2025-04-15", "12:00", "2025-04-15 11:59"));
        assert!(session_over("2025-04-15", "12:00", "2025-04-15 12:00"));
        assert!(session_over("2025-04-15", "12:00", "2025-04-16 08:00"));
        assert!(!session_over("2025-04-15", "12:00", "2025-04-14 23:00"));
    }

    #[test]
    fn registration_closes_at_the_deadline_or_the_day_before() {
        let day = d("2025-04-15");
        assert!(registration_open(Some(d("2025-04-10")), day, d("2025-04-10")).is_ok());
        assert!(registration_open(Some(d("2025-04-10")), day, d("2025-04-11")).is_err());
        assert!(registration_open(None, day, d("2025-04-14")).is_ok());
        assert!(registration_open(None, day, d("2025-04-15")).is_err());
        // A deadline after the day itself does not keep the session open past it.
        assert!(registration_open(Some(d("2025-05-01")), day, d("2025-04-16")).is_err());
    }
}
