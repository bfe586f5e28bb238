//! CSV and tab-separated text as saved by Excel and WPS on Chinese systems: UTF-8 with or
//! without a BOM, UTF-16 with a BOM ("Unicode text"), or GBK/GB18030 (the default "CSV"
//! of Chinese Excel). The delimiter is taken from the header line.

use encoding_rs::{GB18030, UTF_16BE, UTF_16LE};

use crate::{Limits, SheetError};

/// Decodes, then splits into rows of cells. Grid row `i` is line `i + 1` of the file, so
/// blank lines keep their row numbers.
pub(crate) fn read_csv(bytes: &[u8], limits: &Limits) -> Result<Vec<Vec<String>>, SheetError> {
    let text = decode(bytes)?;
    if text.trim().is_empty() {
        return Err(SheetError::Empty);
    }
    let delimiter = detect_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut grid: Vec<Vec<String>> = Vec::new();
    let mut counted_to = 0usize;
    let mut line = 1usize;
    for record in reader.records() {
        let record = record.map_err(|e| SheetError::Unreadable(e.to_string()))?;
        // The csv crate skips blank lines without counting them; count line breaks up to
        // the record's start instead (a quoted multi-line cell stays one row, as in Excel).
        // Its reported start is where the reader resumed, before the blank lines it skipped.
        let resumed = record.position().map_or(counted_to, |p| p.byte() as usize);
        let skipped = text.as_bytes().get(resumed..).map_or(0, |rest| {
            rest.iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count()
        });
        let start = resumed + skipped;
        line += newlines(text.as_bytes(), counted_to, start);
        counted_to = counted_to.max(start);
        if line > limits.max_rows {
            return Err(SheetError::TooManyRows {
                max: limits.max_rows,
            });
        }
        let overflow = record
            .iter()
            .skip(limits.max_cols)
            .any(|c| !c.trim().is_empty());
        if overflow {
            return Err(SheetError::TooManyColumns {
                max: limits.max_cols,
            });
        }
        while grid.len() + 1 < line {
            grid.push(Vec::new());
        }
        let cells = record
            .iter()
            .take(limits.max_cols)
            .map(|c| c.trim().to_string());
        grid.push(cells.collect());
    }
    Ok(grid)
}

/// Line breaks in `text[from..to]`, clamped to the text.
fn newlines(text: &[u8], from: usize, to: usize) -> usize {
    text.get(from..to.min(text.len()))
        .map_or(0, |s| s.iter().filter(|b| **b == b'\n').count())
}

/// The text of the file, or `NotASpreadsheet` for binary data.
fn decode(bytes: &[u8]) -> Result<String, SheetError> {
    let text = if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        utf16(UTF_16LE, rest)?
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        utf16(UTF_16BE, rest)?
    } else {
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        match std::str::from_utf8(body) {
            Ok(s) => s.to_string(),
            Err(_) => GB18030
                .decode_without_bom_handling_and_without_replacement(body)
                .ok_or(SheetError::NotASpreadsheet)?
                .into_owned(),
        }
    };
    // Text files have no NULs or control characters besides tab, line breaks and form
    // feed; images, PDFs and archives almost always do.
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0C'))
    {
        return Err(SheetError::NotASpreadsheet);
    }
    Ok(text)
}

fn utf16(enc: &'static encoding_rs::Encoding, body: &[u8]) -> Result<String, SheetError> {
    enc.decode_without_bom_handling_and_without_replacement(body)
        .map(|s| s.into_owned())
        .ok_or(SheetError::NotASpreadsheet)
}

/// The most frequent of comma, tab and semicolon in the first non-blank line, outside
/// quotes; comma when none occurs.
fn detect_delimiter(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [(b',', 0usize), (b'\t', 0), (b';', 0)];
    let mut quoted = false;
    for c in header.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted {
            for (d, n) in &mut counts {
                if c == char::from(*d) {
                    *n += 1;
                }
            }
        }
    }
    // Ties go to the earlier entry: comma first.
    counts
        .iter()
        .fold(
            (b',', 0),
            |best, &(d, n)| if n > best.1 { (d, n) } else { best },
        )
        .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_from_header_line() {
        assert_eq!(detect_delimiter("学号,姓名,院系\n1;2;3;4"), b',');
        assert_eq!(detect_delimiter("\n学号\t姓名\t院系\n"), b'\t');
        assert_eq!(detect_delimiter("a;b;\"c,d,e\"\n"), b';');
        assert_eq!(detect_delimiter("single"), b',');
    }

    #[test]
    fn blank_lines_keep_row_numbers() {
        let g = read_csv(b"a,b\n\n1,2\n", &Limits::default()).unwrap();
        assert_eq!(g, vec![vec!["a", "b"], vec![], vec!["1", "2"]]);
    }

    #[test]
    fn utf16_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "学号\t姓名\r\n001\t张三\r\n".encode_utf16() {
            bytes.extend(u.to_le_bytes());
        }
        let g = read_csv(&bytes, &Limits::default()).unwrap();
        assert_eq!(g, vec![vec!["学号", "姓名"], vec!["001", "张三"]]);
    }

    #[test]
    fn row_and_column_limits() {
        let limits = Limits {
            max_rows: 2,
            max_cols: 2,
            ..Limits::default()
        };
        assert_eq!(
            read_csv(b"a\nb\nc\n", &limits),
            Err(SheetError::TooManyRows { max: 2 })
        );
        assert_eq!(
            read_csv(b"a,b,c\n", &limits),
            Err(SheetError::TooManyColumns { max: 2 })
        );
        assert_eq!(read_csv(b"a,b,,\n", &limits).unwrap(), vec![vec!["a", "b"]]);
    }
}
