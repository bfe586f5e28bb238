//! A deterministic, realistic sample data set for `gradphoto demo` and for tests: two
//! universities modelled on seeds 001 and 004, about 500 students covering every
//! eligibility rule in realistic proportions, with rosters written the way universities
//! write them (Chinese headers, valid ID numbers, several document types).
//!
//! Everything comes from a fixed-seed generator, so two calls give the same data on every
//! machine: demos, screenshots and tests can name a student and find them again.

mod build;
mod names;
mod rng;
mod spec;
#[cfg(test)]
mod tests;

use std::collections::HashSet;

use crate::campaign::{Modes, Rules};
use crate::id_document::resident_id_check_char;
use crate::roster::DepartmentRef;
use spec::Style;

/// A university with its departments, roster and one campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleUniversity {
    /// National school code (院校代码).
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// (name, short code); the roster's 院系 column uses either.
    pub departments: Vec<(String, Option<String>)>,
    pub campuses: Vec<String>,
    /// The roster as a spreadsheet grid: header row (Chinese headers, as a university
    /// would send) then one row per student.
    pub roster: Vec<Vec<String>>,
    pub campaign: SampleCampaign,
    /// Student numbers already photographed in this campaign (for a non-trivial
    /// dashboard): about 35 % of the students who must be photographed.
    pub collected: Vec<String>,
}

impl SampleUniversity {
    /// The departments in the form [`crate::roster::validate_grid`] takes.
    pub fn department_refs(&self) -> Vec<DepartmentRef> {
        self.departments
            .iter()
            .map(|(name, code)| DepartmentRef {
                name: name.clone(),
                code: code.clone(),
            })
            .collect()
    }
}

/// The campaign a sample university runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleCampaign {
    pub name: String,
    pub cohort: String,
    pub rules: Rules,
    pub modes: Modes,
    /// Fee per student in fen (分); 2000 = 20 yuan, as in seeds 001 and 004.
    pub fee_fen: i64,
    pub contacts: String,
}

/// Two universities, about 500 students in total (300 + 200).
pub fn sample_universities() -> Vec<SampleUniversity> {
    // One set of issued numbers across both, so no document appears at two universities.
    let mut taken = HashSet::new();
    vec![
        build::university(&spec::UNIVERSITY_A, &mut taken),
        build::university(&spec::UNIVERSITY_B, &mut taken),
    ]
}

/// The header row. University A writes the canonical headers; University B the variants
/// other offices use, which the importer must accept just the same.
fn roster_header(style: Style) -> Vec<String> {
    let a = [
        "学号",
        "姓名",
        "证件类型",
        "证件号码",
        "学历层次",
        "学位类型",
        "院系",
        "专业",
        "校区",
        "预计毕业时间",
        "毕业类型",
        "境外班",
        "硕博连读",
        "确定延期",
        "提前毕业未生效",
        "往次采集日期",
        "往次采集层次",
    ];
    let b = [
        "学号",
        "姓名",
        "证件类型",
        "证件号",
        "层次",
        "学位类型",
        "培养单位",
        "专业",
        "校区",
        "毕业时间",
        "毕业类型",
        "境外班",
        "硕博连读",
        "确定延期",
        "提前毕业",
        "往次采集时间",
        "往次采集层次",
    ];
    let headers = match style {
        Style::A => a,
        Style::B => b,
    };
    headers.iter().map(|h| h.to_string()).collect()
}

/// Data rows in the small roster of [`sample_roster_with_one_bad_row`].
const SMALL_ROSTER_ROWS: usize = 10;

/// A small roster of University A (header + 10 students) in which exactly one row has a
/// resident ID with a wrong check character: the typo a secretary makes most. Returns the
/// grid and the spreadsheet row number (header = 1) of the bad row, so that a browser test
/// can import it, see that one error, fix it with [`fixed`] and import again.
pub fn sample_roster_with_one_bad_row() -> (Vec<Vec<String>>, usize) {
    let a = &spec::UNIVERSITY_A;
    let full = build::university(a, &mut HashSet::new()).roster;
    let mut grid: Vec<Vec<String>> = full.into_iter().take(SMALL_ROSTER_ROWS + 1).collect();
    // The first resident-ID row from the fourth student on: not the first row, so the
    // error is visibly "somewhere in the file".
    let bad = (4..grid.len())
        .find(|&i| grid[i][2] == "居民身份证")
        .unwrap_or(grid.len() - 1);
    if let Some(id) = grid.get_mut(bad).and_then(|r| r.get_mut(3)) {
        *id = with_wrong_check(id);
    }
    // Grid index i is spreadsheet row i + 1.
    (grid, bad + 1)
}

/// The same ID with a different, wrong check character.
fn with_wrong_check(id: &str) -> String {
    let mut chars: Vec<char> = id.chars().collect();
    if let Some(last) = chars.last_mut() {
        *last = if *last == '0' { '1' } else { '0' };
    }
    chars.into_iter().collect()
}

/// The corrected file: every 18-character resident ID or residence-permit number gets its
/// right check character back. What a secretary does after reading the error.
pub fn fixed(grid: &[Vec<String>]) -> Vec<Vec<String>> {
    let type_col = grid
        .first()
        .and_then(|h| h.iter().position(|c| c.trim() == "证件类型"));
    let id_col = grid.first().and_then(|h| {
        h.iter()
            .position(|c| matches!(c.trim(), "证件号码" | "证件号"))
    });
    let mut out = grid.to_vec();
    let (Some(tc), Some(ic)) = (type_col, id_col) else {
        return out;
    };
    for row in out.iter_mut().skip(1) {
        let is_18 = matches!(
            row.get(tc).map(|t| t.trim()),
            Some("居民身份证" | "港澳台居民居住证")
        );
        let Some(id) = row.get_mut(ic).filter(|_| is_18) else {
            continue;
        };
        if let Some(check) = id.get(..17).and_then(resident_id_check_char) {
            *id = format!("{}{check}", &id[..17]);
        }
    }
    out
}
