//! Turning spreadsheet cells into the strings a roster is validated from. Excel stores
//! typed-in numbers as floats and dates as day counts; both must come back as the text the
//! user saw, or "2021001" becomes "2021001.0" and an ID becomes "1.10105E+17".

use calamine::{Data, Range};

use crate::{Limits, SheetError};

/// The first worksheet as rows of strings, padded so that grid row `i` is spreadsheet
/// row `i + 1` even when the used range does not start at A1.
pub(crate) fn range_to_grid(
    range: &Range<Data>,
    limits: &Limits,
) -> Result<Vec<Vec<String>>, SheetError> {
    let Some((top, left)) = range.start() else {
        return Ok(Vec::new());
    };
    let (height, _) = range.get_size();
    let (top, left) = (top as usize, left as usize);
    if top.saturating_add(height) > limits.max_rows {
        return Err(SheetError::TooManyRows {
            max: limits.max_rows,
        });
    }
    let mut grid: Vec<Vec<String>> = vec![Vec::new(); top];
    for row in range.rows() {
        let mut cells: Vec<String> = vec![String::new(); left];
        cells.extend(row.iter().map(cell_text));
        // The used range can be wider than the data (formatted empty cells); only real
        // content counts against the column limit.
        trim_row(&mut cells);
        if cells.len() > limits.max_cols {
            return Err(SheetError::TooManyColumns {
                max: limits.max_cols,
            });
        }
        grid.push(cells);
    }
    Ok(grid)
}

/// One cell as the user would read it.
pub(crate) fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::Error(e) => e.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTime(dt) => number_text(dt.as_f64()),
    }
}

/// Integral floats without a decimal point; others in plain positional notation (Rust's
/// `Display` for `f64` never uses an exponent).
pub(crate) fn number_text(f: f64) -> String {
    // 2^63 bounds the exact i64 conversion; beyond it Display still prints all digits.
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn trim_row(cells: &mut Vec<String>) {
    while cells.last().is_some_and(|c| c.is_empty()) {
        cells.pop();
    }
}

/// Drops trailing blank cells of each row and trailing blank rows.
pub(crate) fn trim_grid(mut grid: Vec<Vec<String>>) -> Vec<Vec<String>> {
    for row in &mut grid {
        for c in row.iter_mut() {
            let t = c.trim();
            if t.len() != c.len() {
                *c = t.to_string();
            }
        }
        trim_row(row);
    }
    while grid.last().is_some_and(|r| r.is_empty()) {
        grid.pop();
    }
    grid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_typed() {
        assert_eq!(number_text(2021001.0), "2021001");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(2.5), "2.5");
        assert_eq!(number_text(110105194912310020.0), "110105194912310016");
        assert_eq!(number_text(1e20), "100000000000000000000");
        assert!(!number_text(1e20).contains('e'));
    }

    #[test]
    fn trims_trailing_blanks_only() {
        let g = vec![
            vec![
                " a ".to_string(),
                String::new(),
                "b".to_string(),
                " ".to_string(),
            ],
            vec![],
            vec!["c".to_string()],
            vec![String::new()],
        ];
        assert_eq!(
            trim_grid(g),
            vec![
                vec!["a".to_string(), String::new(), "b".to_string()],
                vec![],
                vec!["c".to_string()]
            ]
        );
    }
}
