//! Spreadsheet file formats for rosters and exports: bytes in, a grid of trimmed strings
//! out (XLSX, XLS, CSV in UTF-8, UTF-16 or GBK/GB18030); sheets in, XLSX bytes out.
//!
//! No file system or network access: callers hand over the upload's bytes and store the
//! result themselves. The format is detected from the bytes, never from the file name,
//! because browsers and users routinely mislabel uploads.

mod cells;
mod error;
mod text;
mod write;

pub use error::SheetError;
pub use write::{Sheet, write_xlsx};

use std::io::Cursor;

use calamine::{Reader, Xls, Xlsx};

/// Bounds on what [`read_grid`] accepts, so one upload cannot exhaust the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_rows: usize,
    pub max_cols: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 10 * 1024 * 1024,
            max_rows: 100_000,
            max_cols: 100,
        }
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Detects the format from the bytes (not the file name): XLSX (zip "PK\x03\x04"), XLS
/// (OLE D0 CF 11 E0), otherwise CSV if it decodes as UTF-8 (with or without BOM), UTF-16
/// with a BOM, or GBK/GB18030. Binary data (NUL or control bytes, or text in neither
/// encoding, e.g. a PNG or PDF) is [`SheetError::NotASpreadsheet`]. Reads the first
/// worksheet.
///
/// Cells are trimmed strings. Numbers from Excel keep no ".0" and never turn into
/// scientific notation (student numbers and IDs are often typed as numbers); dates come
/// out as `YYYY-MM-DD`. Row `i` of the grid is spreadsheet row `i + 1`; trailing blank
/// rows and trailing blank cells are dropped.
pub fn read_grid(bytes: &[u8], limits: &Limits) -> Result<Vec<Vec<String>>, SheetError> {
    // Before any parsing: the size is all an attacker fully controls.
    if bytes.len() > limits.max_bytes {
        return Err(SheetError::TooLarge {
            size: bytes.len(),
            max: limits.max_bytes,
        });
    }
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    let grid = if bytes.starts_with(ZIP_MAGIC) {
        let book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
        first_xlsx_sheet(book, limits)?
    } else if bytes.starts_with(OLE_MAGIC) {
        let book: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(unreadable)?;
        first_sheet(book, limits)?
    } else {
        text::read_csv(bytes, limits)?
    };
    let grid = cells::trim_grid(grid);
    if grid.is_empty() {
        return Err(SheetError::Empty);
    }
    Ok(grid)
}

fn unreadable(e: impl std::fmt::Display) -> SheetError {
    SheetError::Unreadable(e.to_string())
}

/// Reads the first XLSX worksheet cell by cell, enforcing the row and column limits as
/// cells arrive. A dense read would allocate rows × columns from the cells' extremes
/// first, so a few-KB file with one cell in A1 and one in XFD1048576 could ask for
/// billions of cells; here such a file is refused after two cells.
fn first_xlsx_sheet(
    mut book: Xlsx<Cursor<&[u8]>>,
    limits: &Limits,
) -> Result<Vec<Vec<String>>, SheetError> {
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(SheetError::Empty)?;
    let mut reader = book.worksheet_cells_reader(&name).map_err(unreadable)?;
    let mut grid: Vec<Vec<String>> = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        let (row, col) = cell.get_position();
        let text = cells::cell_text(&calamine::Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        let (row, col) = (row as usize, col as usize);
        if row >= limits.max_rows {
            return Err(SheetError::TooManyRows {
                max: limits.max_rows,
            });
        }
        if col >= limits.max_cols {
            return Err(SheetError::TooManyColumns {
                max: limits.max_cols,
            });
        }
        if grid.len() <= row {
            grid.resize(row + 1, Vec::new());
        }
        let cells = &mut grid[row];
        if cells.len() <= col {
            cells.resize(col + 1, String::new());
        }
        cells[col] = text;
    }
    Ok(grid)
}

fn first_sheet<RS, R>(mut book: R, limits: &Limits) -> Result<Vec<Vec<String>>, SheetError>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
    R::Error: std::fmt::Display,
{
    let range = book
        .worksheet_range_at(0)
        .ok_or(SheetError::Empty)?
        .map_err(unreadable)?;
    cells::range_to_grid(&range, limits)
}
