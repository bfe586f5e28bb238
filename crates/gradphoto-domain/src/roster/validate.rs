//! Turning a grid (first non-empty row = headers) into [`NewStudent`]s, or into every
//! problem of every row at once: a secretary fixes the whole file in one go instead of
//! uploading it once per mistake.

use std::collections::HashMap;

use super::headers::{Column, HeaderMap};
use super::{DepartmentRef, NewStudent, RowError};
use crate::eligibility::PriorCollection;
use crate::i18n::Msg;
use crate::id_document::{IdDocument, IdType};
use crate::people::{CertType, GradKind, Level, StudentNo, parse_flag};
use crate::term::{YearMonth, parse_date};

/// Longest name accepted; longer cells are pasted paragraphs, not names.
const MAX_NAME_CHARS: usize = 100;

/// Validates a whole grid (first row = headers). `departments` are the university's
/// department names (and optional short codes) to resolve the 院系 column; matching is exact
/// after trimming, also accepting the code.
///
/// Row numbers are spreadsheet rows (header = 1, first data row = 2); blank rows are
/// skipped. Leading blank rows are allowed before the header and keep the numbering.
pub fn validate_grid(
    grid: &[Vec<String>],
    departments: &[DepartmentRef],
) -> Result<Vec<NewStudent>, Vec<RowError>> {
    let mut rows = grid.iter().enumerate().filter(|(_, r)| !is_blank(r));
    let Some((_, header)) = rows.next() else {
        return Err(vec![file_error(
            "roster.empty",
            "文件中没有表头和数据",
            "The file has no header row and no data",
        )]);
    };
    let map = HeaderMap::read(header)?;
    let mut errors = Vec::new();
    let mut students = Vec::new();
    let mut seen_no: HashMap<String, usize> = HashMap::new();
    let mut seen_id: HashMap<String, usize> = HashMap::new();
    for (idx, cells) in rows {
        let mut r = RowCheck {
            row: idx + 1,
            cells,
            map: &map,
            errors: &mut errors,
            keys: RowKeys::default(),
        };
        let student = r.student(departments);
        // Duplicates are checked on whatever parsed, so a row with another mistake still
        // learns that it also repeats an earlier one.
        let keys = std::mem::take(&mut r.keys);
        let dup_no = keys
            .student_no
            .as_ref()
            .and_then(|n| check_duplicate(&mut seen_no, n.as_str(), r.row).map(|f| (n, f)));
        if let Some((n, first)) = dup_no {
            r.fail(
                Column::StudentNo,
                "roster.duplicate_student_no",
                format!("学号 {n} 与第 {first} 行重复"),
                format!("Student number {n} repeats row {first}"),
            );
        }
        let dup_id = keys
            .id_number
            .as_deref()
            .and_then(|n| check_duplicate(&mut seen_id, n, r.row));
        if let Some(first) = dup_id {
            // The number itself is left out: the message may be shown next to other rows.
            r.fail(
                Column::IdNumber,
                "roster.duplicate_id_number",
                format!("证件号码与第 {first} 行重复"),
                format!("The ID number repeats row {first}"),
            );
        }
        if let Some(s) = student.filter(|_| dup_no.is_none() && dup_id.is_none()) {
            students.push(s);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if students.is_empty() {
        return Err(vec![file_error(
            "roster.no_students",
            "文件中只有表头，没有学生数据",
            "The file has a header row but no students",
        )]);
    }
    Ok(students)
}

fn is_blank(row: &[String]) -> bool {
    row.iter().all(|c| c.trim().is_empty())
}

fn file_error(code: &str, zh: &str, en: &str) -> RowError {
    RowError {
        row: 0,
        column: None,
        msg: Msg::new(code, zh, en),
    }
}

/// Remembers the first row of each key; returns that row when the key comes again.
fn check_duplicate(seen: &mut HashMap<String, usize>, key: &str, row: usize) -> Option<usize> {
    match seen.get(key) {
        Some(first) => Some(*first),
        None => {
            seen.insert(key.to_string(), row);
            None
        }
    }
}

/// One data row being checked; every problem is recorded and checking goes on.
struct RowCheck<'a> {
    row: usize,
    cells: &'a [String],
    map: &'a HeaderMap,
    errors: &'a mut Vec<RowError>,
    keys: RowKeys,
}

/// The row's unique keys, as far as they parsed, for the duplicate checks.
#[derive(Default)]
struct RowKeys {
    student_no: Option<StudentNo>,
    id_number: Option<String>,
}

impl RowCheck<'_> {
    fn cell(&self, col: Column) -> &str {
        self.map
            .index(col)
            .and_then(|i| self.cells.get(i))
            .map_or("", |c| c.trim())
    }

    fn fail(&mut self, col: Column, code: &str, zh: String, en: String) {
        self.errors.push(RowError {
            row: self.row,
            column: Some(self.map.label(col)),
            msg: Msg::new(code, zh, en),
        });
    }

    /// The trimmed cell, or an error if a required cell is empty.
    fn required(&mut self, col: Column) -> Option<String> {
        let v = self.cell(col).to_string();
        if v.is_empty() {
            self.fail(
                col,
                "roster.required_empty",
                format!("“{}”不能为空", col.zh()),
                format!("{} must not be empty", col.en()),
            );
            return None;
        }
        Some(v)
    }

    /// Parses an optional word cell: empty gives the default, an unknown word an error.
    fn word<T>(
        &mut self,
        col: Column,
        default: T,
        parse: fn(&str) -> Option<T>,
        code: &str,
        expected: &str,
    ) -> Option<T> {
        let v = self.cell(col).to_string();
        if v.is_empty() {
            return Some(default);
        }
        let parsed = parse(&v);
        if parsed.is_none() {
            self.fail(
                col,
                code,
                format!("无法识别“{}”中的“{v}”（可填：{expected}）", col.zh()),
                format!("\"{v}\" is not a valid {} (expected: {expected})", col.en()),
            );
        }
        parsed
    }

    fn flag(&mut self, col: Column) -> Option<bool> {
        self.word(
            col,
            false,
            parse_flag,
            "roster.unknown_flag",
            "是/否, yes/no, 1/0",
        )
    }

    fn student(&mut self, departments: &[DepartmentRef]) -> Option<NewStudent> {
        let student_no =
            self.required(Column::StudentNo)
                .and_then(|v| match StudentNo::parse(&v) {
                    Ok(n) => {
                        self.keys.student_no = Some(n.clone());
                        Some(n)
                    }
                    Err(_) => {
                        self.fail(
                    Column::StudentNo,
                    "roster.invalid_student_no",
                    format!("学号“{v}”无效：应为 1–32 位字母、数字、- 或 _"),
                    format!("Student number \"{v}\" is invalid: use 1–32 letters, digits, - or _"),
                );
                        None
                    }
                });
        let name = self.required(Column::Name).and_then(|v| {
            if v.chars().count() > MAX_NAME_CHARS {
                self.fail(
                    Column::Name,
                    "roster.name_too_long",
                    format!("姓名超过 {MAX_NAME_CHARS} 个字符"),
                    format!("The name is longer than {MAX_NAME_CHARS} characters"),
                );
                return None;
            }
            Some(v)
        });
        let id_type = self.word(
            Column::IdType,
            IdType::ResidentId,
            IdType::parse,
            "roster.unknown_id_type",
            "居民身份证/护照/港澳居民来往内地通行证/台湾居民来往大陆通行证/港澳台居民居住证",
        );
        let id_raw = self.required(Column::IdNumber);
        let id = match (id_type, id_raw) {
            (Some(t), Some(raw)) => match IdDocument::parse(t, &raw) {
                Ok(d) => {
                    self.keys.id_number = Some(d.number().to_string());
                    Some(d)
                }
                Err(e) => {
                    self.errors.push(RowError {
                        row: self.row,
                        column: Some(self.map.label(Column::IdNumber)),
                        msg: e.0,
                    });
                    None
                }
            },
            _ => None,
        };
        let level = self
            .required(Column::Level)
            .and_then(|v| self.level_word(Column::Level, &v));
        let cert_type = self.word(
            Column::CertType,
            CertType::Double,
            CertType::parse,
            "roster.unknown_cert_type",
            "双证/单证, double/single",
        );
        let grad_kind = self.word(
            Column::GradKind,
            GradKind::Graduation,
            GradKind::parse,
            "roster.unknown_grad_kind",
            "毕业/结业/结业换毕业",
        );
        let department = self.required(Column::Department).and_then(|v| {
            let found = departments.iter().find(|d| d.matches(&v)).map(|d| d.name.trim().to_string());
            if found.is_none() {
                self.fail(
                    Column::Department,
                    "roster.unknown_department",
                    format!("院系“{v}”不在本校院系列表中，请使用系统中的院系全称或代码"),
                    format!("Department \"{v}\" is not in the university's list; use its full name or code as registered"),
                );
            }
            found
        });
        let expected_graduation =
            self.required(Column::ExpectedGraduation)
                .and_then(|v| match YearMonth::parse(&v) {
                    Ok(m) => Some(m),
                    Err(_) => {
                        self.fail(
                            Column::ExpectedGraduation,
                            "roster.bad_month",
                            format!("预计毕业时间“{v}”无法识别（示例：2025-06、2025年6月）"),
                            format!("Expected graduation \"{v}\" is not a month (e.g. 2025-06)"),
                        );
                        None
                    }
                });
        let overseas_class = self.flag(Column::OverseasClass);
        let master_to_phd = self.flag(Column::MasterToPhd);
        let delayed = self.flag(Column::Delayed);
        let early_graduation_pending = self.flag(Column::EarlyGraduationPending);
        let prior = self.prior(level, master_to_phd);
        let campus = Some(self.cell(Column::Campus))
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        let major = Some(self.cell(Column::Major))
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        let in_service = self.word(
            Column::StudyMode,
            false,
            crate::people::parse_in_service,
            "roster.unknown_study_mode",
            "全日制/非全日制, full-time/part-time",
        );
        Some(NewStudent {
            row: self.row,
            student_no: student_no?,
            name: name?,
            id: id?,
            level: level?,
            cert_type: cert_type?,
            department: department?,
            expected_graduation: expected_graduation?,
            grad_kind: grad_kind?,
            overseas_class: overseas_class?,
            master_to_phd: master_to_phd?,
            delayed: delayed?,
            early_graduation_pending: early_graduation_pending?,
            prior: prior?,
            campus,
            major,
            in_service: in_service?,
        })
    }

    fn level_word(&mut self, col: Column, v: &str) -> Option<Level> {
        let level = Level::parse(v);
        if level.is_none() {
            self.fail(
                col,
                "roster.unknown_level",
                format!(
                    "无法识别“{}”中的“{v}”（可填：专科/本科/硕士/博士）",
                    col.zh()
                ),
                format!(
                    "\"{v}\" is not a valid {} (expected: associate/bachelor/master/doctor)",
                    col.en()
                ),
            );
        }
        level
    }

    /// The earlier collection, if any. Without a stated level the photo was for the same
    /// level, except for a master-to-PhD doctor, whose earlier photo was the master's
    /// (seed 004). `Some(None)` = no earlier collection; `None` = an error was recorded.
    fn prior(
        &mut self,
        level: Option<Level>,
        master_to_phd: Option<bool>,
    ) -> Option<Option<PriorCollection>> {
        let date_cell = self.cell(Column::PriorCollectionDate).to_string();
        let level_cell = self.cell(Column::PriorCollectionLevel).to_string();
        let stated_level = if level_cell.is_empty() {
            Some(None)
        } else {
            self.level_word(Column::PriorCollectionLevel, &level_cell)
                .map(Some)
        };
        if date_cell.is_empty() {
            if !level_cell.is_empty() {
                self.fail(
                    Column::PriorCollectionLevel,
                    "roster.prior_level_without_date",
                    "填写了往次采集层次，但缺少往次采集日期".into(),
                    "A prior collection level is given without a prior collection date".into(),
                );
                return None;
            }
            return stated_level.map(|_| None);
        }
        let Some(date) = parse_date(&date_cell) else {
            self.fail(
                Column::PriorCollectionDate,
                "roster.bad_date",
                format!("往次采集日期“{date_cell}”无法识别（示例：2023-07-01）"),
                format!("Prior collection date \"{date_cell}\" is not a date (e.g. 2023-07-01)"),
            );
            return None;
        };
        let level = level?;
        let prior_level = match stated_level? {
            Some(l) => l,
            None if master_to_phd? && level == Level::Doctor => Level::Master,
            None => level,
        };
        Some(Some(PriorCollection {
            date,
            level: prior_level,
        }))
    }
}
