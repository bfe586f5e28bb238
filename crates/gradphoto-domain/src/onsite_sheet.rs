//! The registration sheet (报名表) a department secretary downloads, fills in and imports:
//! one row per student who may be registered, and a column to mark with 是. Reading it
//! back is all or nothing: every problem is reported with its row, and nothing is
//! registered until the sheet is clean. An optional mobile-number column gives the number
//! the day-before reminder is sent to.

use crate::i18n::Msg;
use crate::otp::normalize_phone;
use crate::roster::RowError;

/// The template's columns, Chinese and English (the header of the language it was made in).
pub const HEADERS_ZH: [&str; 6] = [
    "学号",
    "姓名",
    "院系",
    "专业",
    "报名（填“是”）",
    "手机号（用于短信提醒，可空）",
];
pub const HEADERS_EN: [&str; 6] = [
    "Student no.",
    "Name",
    "Department",
    "Major",
    "Register (write “yes”)",
    "Mobile (for the reminder, optional)",
];

/// A student marked in the sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    /// The spreadsheet's row number.
    pub row: usize,
    pub student_no: String,
    /// The mobile number given, normalised (11 digits).
    pub phone: Option<String>,
}

fn is_phone_header(c: &str) -> bool {
    let c = c.trim().to_ascii_lowercase();
    c.starts_with("手机") || c.starts_with("mobile") || c.starts_with("phone")
}

fn is_number_header(c: &str) -> bool {
    let c = c.trim();
    c == "学号" || c.eq_ignore_ascii_case("student no.") || c.eq_ignore_ascii_case("student no")
}

fn is_mark_header(c: &str) -> bool {
    let c = c.trim();
    c.starts_with("报名") || c.to_ascii_lowercase().starts_with("register")
}

/// Whether a cell marks the student: `Some(true)` for 是/yes/y/1/√/✓, `Some(false)` for an
/// empty cell or 否/no/n/0, `None` for anything else (a typo to report, not to guess).
fn mark(c: &str) -> Option<bool> {
    match c.trim().to_lowercase().as_str() {
        "是" | "yes" | "y" | "1" | "√" | "✓" | "报名" => Some(true),
        "" | "否" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

fn row_error(row: usize, column: &str, zh: String, en: String) -> RowError {
    RowError {
        row,
        column: Some(column.to_string()),
        msg: Msg::new("registration_sheet.row", zh, en),
    }
}

/// The students marked for registration, with their spreadsheet row numbers and the mobile
/// numbers given (a number that is not a mainland mobile number is reported).
pub fn marked_students(grid: &[Vec<String>]) -> Result<Vec<Pick>, Vec<RowError>> {
    let header = grid
        .iter()
        .position(|r| r.iter().any(|c| is_number_header(c)) && r.iter().any(|c| is_mark_header(c)));
    let Some(h) = header else {
        return Err(vec![RowError {
            row: 1,
            column: None,
            msg: Msg::new(
                "registration_sheet.header",
                "找不到表头：需要“学号”和“报名”两列，请使用本系统生成的报名表模板",
                "No header found: the sheet needs the columns “Student no.” and “Register”; use the template gradphoto makes",
            ),
        }]);
    };
    let cols = &grid[h];
    let no_col = cols.iter().position(|c| is_number_header(c)).unwrap_or(0);
    let mark_col = cols.iter().position(|c| is_mark_header(c)).unwrap_or(0);
    let phone_col = cols.iter().position(|c| is_phone_header(c));
    let mut picks: Vec<Pick> = Vec::new();
    let mut errors = Vec::new();
    for (i, r) in grid.iter().enumerate().skip(h + 1) {
        let row = i + 1;
        let cell = |c: usize| r.get(c).map_or("", |s| s.trim());
        let (no, m) = (cell(no_col), cell(mark_col));
        match mark(m) {
            Some(false) => {}
            None => errors.push(row_error(
                row,
                &cols[mark_col],
                format!("无法识别“{m}”：要报名请填“是”，否则留空"),
                format!("“{m}” is not understood: write “yes” to register, or leave it empty"),
            )),
            Some(true) if no.is_empty() => errors.push(row_error(
                row,
                &cols[no_col],
                "已标记报名但没有学号".into(),
                "Marked to register but has no student number".into(),
            )),
            Some(true) => {
                let given = phone_col.map_or("", |c| cell(c));
                let phone = match given {
                    "" => None,
                    p => match normalize_phone(p) {
                        Ok(p) => Some(p),
                        Err(m) => {
                            errors.push(RowError {
                                row,
                                column: phone_col.map(|c| cols[c].clone()),
                                msg: m,
                            });
                            None
                        }
                    },
                };
                if !picks.iter().any(|p| p.student_no == no) {
                    picks.push(Pick {
                        row,
                        student_no: no.to_string(),
                        phone,
                    });
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(picks)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn marked_rows_are_read_with_their_row_numbers() {
        let g = grid(&[
            &["2025届现场采集报名表"],
            &HEADERS_ZH,
            &["2101", "张三", "数学系", "数学", "是", "138 0013 8000"],
            &["2102", "李四", "数学系", "数学", "", ""],
            &["2103", "王五", "数学系", "数学", "√", ""],
            &["2101", "张三", "数学系", "数学", "是", ""],
        ]);
        let pick = |row, no: &str, phone: Option<&str>| Pick {
            row,
            student_no: no.into(),
            phone: phone.map(str::to_string),
        };
        assert_eq!(
            marked_students(&g).expect("clean"),
            vec![pick(3, "2101", Some("13800138000")), pick(5, "2103", None)]
        );
        // A sheet of before the phone column still reads.
        let en = grid(&[&HEADERS_EN[..5], &["2101", "x", "y", "z", "Yes"]]);
        assert_eq!(
            marked_students(&en).expect("clean"),
            vec![pick(2, "2101", None)]
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_row() {
        let g = grid(&[
            &HEADERS_ZH,
            &["2101", "张三", "", "", "可能", ""],
            &["", "李四", "", "", "是", ""],
            &["2103", "王五", "", "", "是", ""],
            &["2104", "赵六", "", "", "是", "12345"],
        ]);
        let errors = marked_students(&g).expect_err("three mistakes");
        assert_eq!(
            errors.iter().map(|e| e.row).collect::<Vec<_>>(),
            vec![2, 3, 5]
        );
        assert_eq!(errors[2].column.as_deref(), Some(HEADERS_ZH[5]));
        let none = grid(&[&["学号", "姓名"], &["2101", "张三"]]);
        assert_eq!(
            marked_students(&none).expect_err("no mark column")[0]
                .msg
                .code,
            "registration_sheet.header"
        );
    }
}
