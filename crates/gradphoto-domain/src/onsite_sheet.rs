//! The registration sheet (报名表) a department secretary downloads, fills in and imports:
//! one row per student who may be registered, and a column to mark with 是. Reading it
//! back is all or nothing: every problem is reported with its row, and nothing is
//! registered until the sheet is clean.

use crate::i18n::Msg;
use crate::roster::RowError;

/// The template's columns, Chinese and English (the header of the language it was made in).
pub const HEADERS_ZH: [&str; 5] = ["学号", "姓名", "院系", "专业", "报名（填“是”）"];
pub const HEADERS_EN: [&str; 5] = [
    "Student no.",
    "Name",
    "Department",
    "Major",
    "Register (write “yes”)",
];

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

/// The student numbers marked for registration, with their spreadsheet row numbers.
pub fn marked_students(grid: &[Vec<String>]) -> Result<Vec<(usize, String)>, Vec<RowError>> {
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
    let mut picks: Vec<(usize, String)> = Vec::new();
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
                if !picks.iter().any(|(_, n)| n == no) {
                    picks.push((row, no.to_string()));
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
            &["2101", "张三", "数学系", "数学", "是"],
            &["2102", "李四", "数学系", "数学", ""],
            &["2103", "王五", "数学系", "数学", "√"],
            &["2101", "张三", "数学系", "数学", "是"],
        ]);
        assert_eq!(
            marked_students(&g).expect("clean"),
            vec![(3, "2101".to_string()), (5, "2103".to_string())]
        );
        let en = grid(&[&HEADERS_EN, &["2101", "x", "y", "z", "Yes"]]);
        assert_eq!(
            marked_students(&en).expect("clean"),
            vec![(2, "2101".into())]
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_row() {
        let g = grid(&[
            &HEADERS_ZH,
            &["2101", "张三", "", "", "可能"],
            &["", "李四", "", "", "是"],
            &["2103", "王五", "", "", "是"],
        ]);
        let errors = marked_students(&g).expect_err("two mistakes");
        assert_eq!(errors.iter().map(|e| e.row).collect::<Vec<_>>(), vec![2, 3]);
        let none = grid(&[&["学号", "姓名"], &["2101", "张三"]]);
        assert_eq!(
            marked_students(&none).expect_err("no mark column")[0]
                .msg
                .code,
            "registration_sheet.header"
        );
    }
}
