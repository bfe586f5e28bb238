//! Roster rows: recognising the columns of a university's spreadsheet (Chinese or English
//! headers) and validating every row into a [`NewStudent`]. All-or-nothing lives above
//! this module; here every bad row is reported with its spreadsheet row number.

mod headers;
#[cfg(test)]
mod tests;
mod validate;

pub use headers::{Column, normalize_header};
pub use validate::validate_grid;

use serde::{Deserialize, Serialize};

use crate::eligibility::{PriorCollection, StudentFacts};
use crate::i18n::Msg;
use crate::id_document::IdDocument;
use crate::people::{CertType, GradKind, Level, StudentNo};
use crate::term::YearMonth;

/// A validated roster row, ready to store. The department is the university's own name for
/// it (from [`DepartmentRef::name`]), even when the file used the short code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewStudent {
    /// Spreadsheet row number (1-based, header is row 1), for messages.
    pub row: usize,
    pub student_no: StudentNo,
    pub name: String,
    pub id: IdDocument,
    pub level: Level,
    pub cert_type: CertType,
    pub department: String,
    pub expected_graduation: YearMonth,
    pub grad_kind: GradKind,
    pub overseas_class: bool,
    pub master_to_phd: bool,
    pub delayed: bool,
    pub early_graduation_pending: bool,
    pub prior: Option<PriorCollection>,
    pub campus: Option<String>,
    pub major: Option<String>,
    /// An in-service (非全日制, 在职) student: some sessions are open to them whatever
    /// their department (seed 001's weekend days).
    pub in_service: bool,
}

impl NewStudent {
    /// The facts the eligibility engine reads.
    pub fn facts(&self) -> StudentFacts {
        StudentFacts {
            level: self.level,
            cert_type: self.cert_type,
            grad_kind: self.grad_kind,
            expected_graduation: self.expected_graduation,
            id_type: self.id.id_type,
            overseas_class: self.overseas_class,
            delayed: self.delayed,
            early_graduation_pending: self.early_graduation_pending,
            prior: self.prior,
        }
    }
}

/// One problem in one row (row 0 = the file as a whole, e.g. a missing column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub row: usize,
    pub column: Option<String>,
    pub msg: Msg,
}

/// A department of the university, as the 院系 column may name it: by its full name or,
/// if it has one, its short code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentRef {
    pub name: String,
    pub code: Option<String>,
}

impl DepartmentRef {
    /// Exact match after trimming, on the name or the code. No fuzzy matching: a near miss
    /// would file students under the wrong department.
    pub fn matches(&self, cell: &str) -> bool {
        let cell = cell.trim();
        !cell.is_empty()
            && (self.name.trim() == cell || self.code.as_deref().is_some_and(|c| c.trim() == cell))
    }
}
