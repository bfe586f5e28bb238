//! Writing XLSX workbooks: rosters for download, progress exports, error reports. Every
//! cell is written as text, so student numbers and ID numbers keep their leading zeros and
//! Excel never reformats them as numbers.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::SheetError;

/// One worksheet: a header row (bold, frozen) then data rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Excel limits a sheet name to 31 characters.
const MAX_SHEET_NAME: usize = 31;
/// Column widths in Excel character units: readable without being absurd.
const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 60;

/// Writes an XLSX workbook with the given sheets; each sheet has a header row (bold,
/// frozen) then rows; column widths fitted roughly; text cells stored as text (so ID
/// numbers and student numbers keep leading zeros).
pub fn write_xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, SheetError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let mut used_names: Vec<String> = Vec::new();
    for (i, sheet) in sheets.iter().enumerate() {
        let name = unique_name(sheet_name(&sheet.name, i), &used_names);
        used_names.push(name.to_lowercase());
        let ws = book.add_worksheet();
        ws.set_name(name).map_err(write_err)?;
        for (c, h) in sheet.headers.iter().enumerate() {
            ws.write_string_with_format(0, col(c)?, h, &bold)
                .map_err(write_err)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|_| too_big())?;
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r, col(c)?, v).map_err(write_err)?;
                }
            }
        }
        ws.set_freeze_panes(1, 0).map_err(write_err)?;
        for (c, w) in column_widths(sheet).into_iter().enumerate() {
            ws.set_column_width(col(c)?, w as f64).map_err(write_err)?;
        }
    }
    if sheets.is_empty() {
        // A workbook needs at least one sheet to open in Excel.
        book.add_worksheet();
    }
    book.save_to_buffer().map_err(write_err)
}

fn write_err(e: XlsxError) -> SheetError {
    SheetError::Write(e.to_string())
}

fn too_big() -> SheetError {
    SheetError::Write("sheet exceeds the XLSX row or column limit".into())
}

fn col(c: usize) -> Result<u16, SheetError> {
    u16::try_from(c).map_err(|_| too_big())
}

/// Replaces the characters Excel forbids in sheet names and shortens to 31 characters.
fn sheet_name(name: &str, index: usize) -> String {
    let cleaned: String = name
        .trim()
        .trim_matches('\'')
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') {
                '_'
            } else {
                c
            }
        })
        .take(MAX_SHEET_NAME)
        .collect();
    if cleaned.trim().is_empty() {
        format!("Sheet{}", index + 1)
    } else {
        cleaned
    }
}

/// Excel compares sheet names case-insensitively; suffix repeats with " (2)", " (3)"...
fn unique_name(name: String, used_lower: &[String]) -> String {
    if !used_lower.contains(&name.to_lowercase()) {
        return name;
    }
    (2..)
        .map(|n| {
            let suffix = format!(" ({n})");
            let keep = MAX_SHEET_NAME.saturating_sub(suffix.chars().count());
            format!("{}{suffix}", name.chars().take(keep).collect::<String>())
        })
        .find(|candidate| !used_lower.contains(&candidate.to_lowercase()))
        .unwrap_or(name)
}

/// Roughly the widest cell per column, counting CJK characters double.
fn column_widths(sheet: &Sheet) -> Vec<usize> {
    let ncols = sheet
        .rows
        .iter()
        .map(Vec::len)
        .chain([sheet.headers.len()])
        .max()
        .unwrap_or(0);
    let mut widths = vec![MIN_WIDTH; ncols];
    for row in std::iter::once(&sheet.headers).chain(&sheet.rows) {
        for (w, v) in widths.iter_mut().zip(row) {
            *w = (*w).max(display_width(v) + 2);
        }
    }
    widths.into_iter().map(|w| w.min(MAX_WIDTH)).collect()
}

fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_made_valid_and_unique() {
        assert_eq!(sheet_name("a/b:c", 0), "a_b_c");
        assert_eq!(sheet_name("  ", 2), "Sheet3");
        assert_eq!(sheet_name(&"长".repeat(40), 0).chars().count(), 31);
        let used = vec!["名单".to_string(), "名单 (2)".to_string()];
        assert_eq!(unique_name("名单".into(), &used), "名单 (3)");
        assert_eq!(unique_name("其他".into(), &used), "其他");
    }

    #[test]
    fn widths_follow_content() {
        let s = Sheet {
            name: "x".into(),
            headers: vec!["学号".into(), "n".into()],
            rows: vec![
                vec!["".into(), "x".repeat(100)],
                vec!["数学科学学院".into()],
            ],
        };
        assert_eq!(column_widths(&s), vec![14, MAX_WIDTH]);
    }
}
