//! Recognising a roster's columns from its header row. Universities write their own
//! headers, in Chinese or English, with stray spaces, case and "(date)" suffixes; each
//! column accepts the common spellings, and unknown columns are ignored.

use serde::{Deserialize, Serialize};

use super::RowError;
use crate::i18n::Msg;

/// A recognised column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    StudentNo,
    Name,
    IdType,
    IdNumber,
    Level,
    CertType,
    Department,
    ExpectedGraduation,
    GradKind,
    OverseasClass,
    MasterToPhd,
    Delayed,
    EarlyGraduationPending,
    PriorCollectionDate,
    PriorCollectionLevel,
    Campus,
    Major,
    /// 学习方式: in-service (非全日制, 在职) or full-time; empty is full-time.
    StudyMode,
}

impl Column {
    pub const ALL: [Column; 18] = [
        Column::StudentNo,
        Column::Name,
        Column::IdType,
        Column::IdNumber,
        Column::Level,
        Column::CertType,
        Column::Department,
        Column::ExpectedGraduation,
        Column::GradKind,
        Column::OverseasClass,
        Column::MasterToPhd,
        Column::Delayed,
        Column::EarlyGraduationPending,
        Column::PriorCollectionDate,
        Column::PriorCollectionLevel,
        Column::Campus,
        Column::Major,
        Column::StudyMode,
    ];

    /// The canonical Chinese header (also what exports write).
    pub fn zh(self) -> &'static str {
        match self {
            Column::StudentNo => "学号",
            Column::Name => "姓名",
            Column::IdType => "证件类型",
            Column::IdNumber => "证件号码",
            Column::Level => "学历层次",
            Column::CertType => "学位类型",
            Column::Department => "院系",
            Column::ExpectedGraduation => "预计毕业时间",
            Column::GradKind => "毕业类型",
            Column::OverseasClass => "境外班",
            Column::MasterToPhd => "硕博连读",
            Column::Delayed => "确定延期",
            Column::EarlyGraduationPending => "提前毕业未生效",
            Column::PriorCollectionDate => "往次采集日期",
            Column::PriorCollectionLevel => "往次采集层次",
            Column::Campus => "校区",
            Column::Major => "专业",
            Column::StudyMode => "学习方式",
        }
    }

    /// The canonical English header.
    pub fn en(self) -> &'static str {
        match self {
            Column::StudentNo => "Student number",
            Column::Name => "Name",
            Column::IdType => "ID type",
            Column::IdNumber => "ID number",
            Column::Level => "Level",
            Column::CertType => "Certificate type",
            Column::Department => "Department",
            Column::ExpectedGraduation => "Expected graduation",
            Column::GradKind => "Graduation type",
            Column::OverseasClass => "Overseas class",
            Column::MasterToPhd => "Master-to-PhD",
            Column::Delayed => "Delayed",
            Column::EarlyGraduationPending => "Early graduation pending",
            Column::PriorCollectionDate => "Prior collection date",
            Column::PriorCollectionLevel => "Prior collection level",
            Column::Campus => "Campus",
            Column::Major => "Major",
            Column::StudyMode => "Study mode",
        }
    }

    /// Columns without which no row can become a student.
    pub fn is_required(self) -> bool {
        matches!(
            self,
            Column::StudentNo
                | Column::Name
                | Column::IdNumber
                | Column::Level
                | Column::Department
                | Column::ExpectedGraduation
        )
    }

    /// Accepted spellings, already in [`normalize_header`] form.
    fn spellings(self) -> &'static [&'static str] {
        match self {
            Column::StudentNo => &["学号", "studentnumber", "studentno", "studentid"],
            Column::Name => &["姓名", "name"],
            Column::IdType => &["证件类型", "idtype", "documenttype"],
            Column::IdNumber => &[
                "证件号",
                "证件号码",
                "身份证号",
                "身份证号码",
                "idnumber",
                "idno",
                "documentnumber",
            ],
            Column::Level => &["学历层次", "层次", "level"],
            Column::CertType => &["学位类型", "证书类型", "certificatetype", "degreetype"],
            Column::Department => &[
                "院系",
                "学院",
                "所在院系",
                "培养单位",
                "department",
                "school",
                "college",
            ],
            Column::ExpectedGraduation => &[
                "预计毕业时间",
                "毕业时间",
                "预计毕业日期",
                "expectedgraduation",
                "expectedgraduationdate",
            ],
            Column::GradKind => &["毕业类型", "graduationtype"],
            Column::OverseasClass => &["境外班", "overseasclass"],
            Column::MasterToPhd => &[
                "硕博连读",
                "mastertophd",
                "successivemasterdoctor",
                "successivemasterdoctoral",
            ],
            Column::Delayed => &["确定延期", "延期", "delayed"],
            Column::EarlyGraduationPending => &[
                "提前毕业",
                "提前毕业未生效",
                "earlygraduation",
                "earlygraduationpending",
            ],
            Column::PriorCollectionDate => &[
                "往次采集",
                "往次采集时间",
                "往次采集日期",
                "priorcollection",
                "priorcollectiondate",
            ],
            Column::PriorCollectionLevel => &["往次采集层次", "priorcollectionlevel"],
            Column::Campus => &["校区", "campus"],
            Column::Major => &["专业", "major"],
            Column::StudyMode => &["学习方式", "学习形式", "在职", "studymode", "inservice"],
        }
    }

    /// The column a header names, if any.
    pub fn recognise(header: &str) -> Option<Column> {
        let h = normalize_header(header);
        Column::ALL
            .into_iter()
            .find(|c| c.spellings().contains(&h.as_str()))
    }
}

/// Lower case, without spaces, punctuation or brackets: "Student No." and "student_no"
/// and "学号*" all compare equal.
pub fn normalize_header(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .filter(|c| {
            !matches!(
                c,
                '_' | '-' | '.' | '*' | ':' | '：' | '(' | ')' | '（' | '）' | '\''
            )
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where each recognised column sits, with the header as the file wrote it.
#[derive(Debug, Default)]
pub(super) struct HeaderMap {
    found: Vec<(Column, usize, String)>,
}

impl HeaderMap {
    /// Reads a header row. Missing required columns and columns given twice are errors
    /// of the file as a whole (row 0).
    pub(super) fn read(headers: &[String]) -> Result<HeaderMap, Vec<RowError>> {
        let mut map = HeaderMap::default();
        let mut errors = Vec::new();
        for (idx, raw) in headers.iter().enumerate() {
            let Some(col) = Column::recognise(raw) else {
                continue;
            };
            if let Some((_, first, _)) = map.found.iter().find(|(c, _, _)| *c == col) {
                errors.push(RowError {
                    row: 0,
                    column: Some(raw.trim().to_string()),
                    msg: Msg::new(
                        "roster.duplicate_column",
                        format!(
                            "“{}”列重复出现（第 {} 列与第 {} 列）",
                            col.zh(),
                            first + 1,
                            idx + 1
                        ),
                        format!(
                            "The {} column appears twice (columns {} and {})",
                            col.en(),
                            first + 1,
                            idx + 1
                        ),
                    ),
                });
                continue;
            }
            map.found.push((col, idx, raw.trim().to_string()));
        }
        for col in Column::ALL.into_iter().filter(|c| c.is_required()) {
            if map.index(col).is_none() {
                errors.push(RowError {
                    row: 0,
                    column: Some(col.zh().to_string()),
                    msg: Msg::new(
                        "roster.missing_column",
                        format!("缺少必填列“{}”", col.zh()),
                        format!("The required column \"{}\" is missing", col.en()),
                    ),
                });
            }
        }
        if errors.is_empty() {
            Ok(map)
        } else {
            Err(errors)
        }
    }

    pub(super) fn index(&self, col: Column) -> Option<usize> {
        self.found
            .iter()
            .find(|(c, _, _)| *c == col)
            .map(|(_, i, _)| *i)
    }

    /// The header text as written, or the canonical Chinese name if the column is absent.
    pub(super) fn label(&self, col: Column) -> String {
        self.found
            .iter()
            .find(|(c, _, _)| *c == col)
            .map_or_else(|| col.zh().to_string(), |(_, _, h)| h.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_spellings_in_both_languages() {
        let cases = [
            (
                Column::StudentNo,
                &[
                    "学号",
                    "Student Number",
                    "student_no",
                    "STUDENT ID",
                    " 学号 * ",
                ][..],
            ),
            (Column::Name, &["姓名", "Name"]),
            (Column::IdType, &["证件类型", "ID type", "Document Type"]),
            (
                Column::IdNumber,
                &[
                    "证件号",
                    "证件号码",
                    "身份证号",
                    "ID Number",
                    "document number",
                ],
            ),
            (Column::Level, &["学历层次", "层次", "LEVEL"]),
            (
                Column::CertType,
                &["学位类型", "证书类型", "Certificate type", "degree type"],
            ),
            (
                Column::Department,
                &[
                    "院系",
                    "学院",
                    "所在院系",
                    "培养单位",
                    "Department",
                    "School",
                    "college",
                ],
            ),
            (
                Column::ExpectedGraduation,
                &["预计毕业时间", "毕业时间", "Expected Graduation"],
            ),
            (Column::GradKind, &["毕业类型", "Graduation type"]),
            (Column::OverseasClass, &["境外班", "Overseas class"]),
            (
                Column::MasterToPhd,
                &["硕博连读", "master-to-phd", "Successive Master-Doctor"],
            ),
            (Column::Delayed, &["确定延期", "延期", "Delayed"]),
            (
                Column::EarlyGraduationPending,
                &["提前毕业", "提前毕业未生效", "Early graduation pending"],
            ),
            (
                Column::PriorCollectionDate,
                &[
                    "往次采集",
                    "往次采集时间",
                    "往次采集日期",
                    "Prior collection (date)",
                    "prior collection",
                ],
            ),
            (
                Column::PriorCollectionLevel,
                &["往次采集层次", "Prior collection level"],
            ),
            (Column::Campus, &["校区", "Campus"]),
            (Column::Major, &["专业", "Major"]),
            (
                Column::StudyMode,
                &["学习方式", "学习形式", "Study mode", "in-service"],
            ),
        ];
        for (col, spellings) in cases {
            for s in spellings {
                assert_eq!(Column::recognise(s), Some(col), "{s:?}");
            }
            assert_eq!(Column::recognise(col.zh()), Some(col));
            assert_eq!(Column::recognise(col.en()), Some(col));
        }
        assert_eq!(cases.len(), Column::ALL.len());
        assert_eq!(Column::recognise("备注"), None);
        assert_eq!(Column::recognise("student"), None);
    }
}
