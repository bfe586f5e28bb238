//! Who the students are: level, certificate type, kind of graduation, student number,
//! school code. Each value is parsed once from the spreadsheet's words, in Chinese or English.

use serde::{Deserialize, Serialize};
use std::fmt;

/// 学历层次.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// 专科
    Associate,
    /// 本科
    Bachelor,
    /// 硕士
    Master,
    /// 博士
    Doctor,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::Associate,
        Level::Bachelor,
        Level::Master,
        Level::Doctor,
    ];

    pub fn parse(s: &str) -> Option<Level> {
        let t = s.trim().to_ascii_lowercase();
        Some(match t.as_str() {
            "专科" | "高职" | "大专" | "associate" | "junior college" => Level::Associate,
            "本科" | "学士" | "bachelor" | "undergraduate" => Level::Bachelor,
            "硕士" | "硕士研究生" | "研究生" | "master" | "masters" | "master's" => {
                Level::Master
            }
            "博士" | "博士研究生" | "doctor" | "doctoral" | "phd" | "ph.d." => Level::Doctor,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Associate => "associate",
            Level::Bachelor => "bachelor",
            Level::Master => "master",
            Level::Doctor => "doctor",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Level::Associate => "专科",
            Level::Bachelor => "本科",
            Level::Master => "硕士",
            Level::Doctor => "博士",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Level::Associate => "Associate",
            Level::Bachelor => "Bachelor",
            Level::Master => "Master",
            Level::Doctor => "Doctor",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 学位类型: 双证 (graduation certificate and degree) or 单证 (in-service degree only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CertType {
    Double,
    Single,
}

impl CertType {
    pub fn parse(s: &str) -> Option<CertType> {
        match s.trim().to_ascii_lowercase().as_str() {
            "双证" | "double" | "double-certificate" | "double certificate" => {
                Some(CertType::Double)
            }
            "单证" | "single" | "single-certificate" | "single certificate" => {
                Some(CertType::Single)
            }
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CertType::Double => "double",
            CertType::Single => "single",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            CertType::Double => "双证",
            CertType::Single => "单证",
        }
    }
}

/// 毕业类型: graduation, completion (结业), or a completion being converted to graduation
/// (结业换毕业).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GradKind {
    Graduation,
    Completion,
    CompletionToGraduation,
}

impl GradKind {
    pub fn parse(s: &str) -> Option<GradKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "毕业" | "graduation" | "graduate" => Some(GradKind::Graduation),
            "结业" | "completion" | "complete" => Some(GradKind::Completion),
            "结业换毕业"
            | "结业换发毕业证"
            | "completion to graduation"
            | "completion_to_graduation" => Some(GradKind::CompletionToGraduation),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            GradKind::Graduation => "graduation",
            GradKind::Completion => "completion",
            GradKind::CompletionToGraduation => "completion_to_graduation",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            GradKind::Graduation => "毕业",
            GradKind::Completion => "结业",
            GradKind::CompletionToGraduation => "结业换毕业",
        }
    }
}

/// Parses yes/no cells (是/否, Y/N, true/false, 1/0, ✓); empty means no.
pub fn parse_flag(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "否" | "无" | "n" | "no" | "false" | "0" | "f" | "x" => Some(false),
        "是" | "有" | "y" | "yes" | "true" | "1" | "t" | "✓" | "√" => Some(true),
        _ => None,
    }
}

/// 学习方式: `true` for an in-service student (非全日制, 在职, part-time), `false` for
/// full-time; a 在职 column may also say 是/否.
pub fn parse_in_service(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "非全日制" | "在职" | "part-time" | "parttime" | "in-service" | "inservice" => {
            Some(true)
        }
        "全日制" | "脱产" | "full-time" | "fulltime" => Some(false),
        other => parse_flag(other),
    }
}

/// 学号: 1–32 letters, digits or dashes, kept as written (leading zeros matter).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StudentNo(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid student number {0:?}")]
pub struct BadStudentNo(pub String);

impl StudentNo {
    pub fn parse(s: &str) -> Result<StudentNo, BadStudentNo> {
        let t = s.trim();
        // Spreadsheets store numeric student numbers as floats: "2021001.0".
        let t = t
            .strip_suffix(".0")
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or(t);
        let ok = !t.is_empty()
            && t.len() <= 32
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(StudentNo(t.to_string()))
        } else {
            Err(BadStudentNo(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StudentNo {
    type Error = BadStudentNo;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        StudentNo::parse(&s)
    }
}
impl From<StudentNo> for String {
    fn from(v: StudentNo) -> String {
        v.0
    }
}
impl fmt::Display for StudentNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 院校代码: the five-digit national school code (e.g. 10337 for 浙江工业大学).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SchoolCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a school code is five digits, got {0:?}")]
pub struct BadSchoolCode(pub String);

impl SchoolCode {
    pub fn parse(s: &str) -> Result<SchoolCode, BadSchoolCode> {
        let t = s.trim();
        if t.len() == 5 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(SchoolCode(t.to_string()))
        } else {
            Err(BadSchoolCode(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for SchoolCode {
    type Error = BadSchoolCode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        SchoolCode::parse(&s)
    }
}
impl From<SchoolCode> for String {
    fn from(v: SchoolCode) -> String {
        v.0
    }
}
impl fmt::Display for SchoolCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Masks a personal name for people who must not see it whole: 张三 → 张*, 欧阳娜娜 → 欧**娜.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_string(),
        2 => format!("{}*", chars[0]),
        n => {
            let mut s = String::new();
            s.push(chars[0]);
            s.extend(std::iter::repeat_n('*', n - 2));
            s.push(chars[n - 1]);
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_words_in_both_languages() {
        assert_eq!(Level::parse("博士"), Some(Level::Doctor));
        assert_eq!(Level::parse("PhD"), Some(Level::Doctor));
        assert_eq!(Level::parse("本科"), Some(Level::Bachelor));
        assert_eq!(Level::parse("高中"), None);
        assert_eq!(CertType::parse("单证"), Some(CertType::Single));
        assert_eq!(GradKind::parse("结业"), Some(GradKind::Completion));
        assert_eq!(parse_flag("是"), Some(true));
        assert_eq!(parse_flag(""), Some(false));
        assert_eq!(parse_flag("maybe"), None);
    }

    #[test]
    fn student_numbers_and_school_codes() {
        assert_eq!(StudentNo::parse(" 2021001.0 ").unwrap().as_str(), "2021001");
        assert_eq!(StudentNo::parse("00123").unwrap().as_str(), "00123");
        assert!(StudentNo::parse("").is_err());
        assert!(StudentNo::parse("12 34").is_err());
        assert!(SchoolCode::parse("10337").is_ok());
        assert!(SchoolCode::parse("1033").is_err());
    }

    #[test]
    fn masks_names() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧**娜");
        assert_eq!(mask_name("John Smith"), "J********h");
    }
}
