//! Pagination: a [`Document`] in, pages of positioned text and lines out. Pure, and tested
//! with a fake font; [`crate::writer`] turns the pages into PDF.
//!
//! Coordinates here run from the page's top-left corner downwards, in points, because
//! reports are read and laid out top to bottom; the writer flips them to PDF's bottom-left
//! origin in one place.

use crate::PdfError;
use crate::model::{Align, Block, Document, Overflow, Style, Table};
use crate::wrap::{Measure, clip, wrap};

/// Where a text's baseline sits below the top of its line box, in ems beyond the half
/// leading: ideographs fill about 0.88 em above the baseline and 0.12 below.
const BASELINE: f32 = 0.86;

/// One laid-out page.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Page {
    pub(crate) items: Vec<Item>,
}

/// Something drawn on a page; `y` grows downwards from the top edge.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// One line of text starting at `x` with its baseline at `y`.
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    /// A straight line.
    Line { x1: f32, y1: f32, x2: f32, y2: f32 },
    /// A grey rectangle with its top-left corner at (`x`, `y`).
    Fill { x: f32, y: f32, w: f32, h: f32 },
}

/// Lays `doc` out on pages, footer included.
pub(crate) fn lay_out(doc: &Document, m: &impl Measure) -> Result<Vec<Page>, PdfError> {
    check_style(&doc.style)?;
    let (page_w, page_h) = doc.orientation.size_pt();
    let mut l = Layouter {
        m,
        s: doc.style,
        page_w,
        page_h,
        pages: Vec::new(),
        page: Page::default(),
        y: doc.style.margin,
    };
    let biggest = doc.style.title_size.max(doc.style.table_size);
    if l.text_width() < 4.0 * biggest || l.bottom() - l.top() < 4.0 * l.lh(biggest) {
        return Err(PdfError::InvalidStyle("margin too large for the page"));
    }
    l.title(&doc.title);
    for (index, block) in doc.blocks.iter().enumerate() {
        match block {
            Block::Heading(text) => l.heading(text),
            Block::Paragraph(text) => l.paragraph(text),
            Block::Space(points) => l.space(*points),
            Block::Table(table) => l.table(index, table)?,
        }
    }
    let mut pages = l.finish();
    footers(&mut pages, &doc.style, page_w, page_h, m);
    Ok(pages)
}

fn check_style(s: &Style) -> Result<(), PdfError> {
    let positive = |v: f32| v.is_finite() && v > 0.0;
    let sizes = [
        s.title_size,
        s.heading_size,
        s.body_size,
        s.table_size,
        s.footer_size,
    ];
    if !sizes.into_iter().all(positive) {
        return Err(PdfError::InvalidStyle("font sizes must be positive"));
    }
    if !(positive(s.line_spacing) && s.line_spacing >= 1.0) {
        return Err(PdfError::InvalidStyle("line spacing must be at least 1"));
    }
    if !(s.margin.is_finite()
        && s.margin >= 0.0
        && s.cell_padding.is_finite()
        && s.cell_padding >= 0.0)
    {
        return Err(PdfError::InvalidStyle(
            "margin and padding must not be negative",
        ));
    }
    Ok(())
}

/// "第 N 页 / 共 M 页", centred in the bottom margin of every page.
fn footers(pages: &mut [Page], s: &Style, page_w: f32, page_h: f32, m: &impl Measure) {
    let total = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        let text = format!("第 {} 页 / 共 {} 页", i + 1, total);
        let w = m.width(&text, s.footer_size);
        page.items.push(Item::Text {
            x: (page_w - w) / 2.0,
            y: page_h - s.margin / 2.0,
            size: s.footer_size,
            bold: false,
            text,
        });
    }
}

struct Layouter<'a, M> {
    m: &'a M,
    s: Style,
    page_w: f32,
    page_h: f32,
    pages: Vec<Page>,
    page: Page,
    /// Top of the next thing to place.
    y: f32,
}

/// A table row, laid out but not yet placed.
struct Row {
    cells: Vec<Vec<String>>,
    height: f32,
}

impl<M: Measure> Layouter<'_, M> {
    fn top(&self) -> f32 {
        self.s.margin
    }

    fn bottom(&self) -> f32 {
        self.page_h - self.s.margin
    }

    fn text_width(&self) -> f32 {
        self.page_w - 2.0 * self.s.margin
    }

    fn lh(&self, size: f32) -> f32 {
        size * self.s.line_spacing
    }

    fn at_top(&self) -> bool {
        self.y <= self.top()
    }

    fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.page));
        self.y = self.top();
    }

    /// Starts a new page unless `height` fits below or the page is still empty.
    fn need(&mut self, height: f32) {
        if self.y + height > self.bottom() + 0.01 && !self.at_top() {
            self.new_page();
        }
    }

    fn finish(mut self) -> Vec<Page> {
        self.pages.push(self.page);
        self.pages
    }

    fn text(&mut self, x: f32, top: f32, size: f32, bold: bool, text: String) {
        let lh = self.lh(size);
        let y = top + (lh - size) / 2.0 + BASELINE * size;
        if !text.is_empty() {
            self.page.items.push(Item::Text {
                x,
                y,
                size,
                bold,
                text,
            });
        }
    }

    fn title(&mut self, title: &str) {
        let size = self.s.title_size;
        for line in wrap(title, self.text_width(), size, self.m) {
            let x = self.s.margin + (self.text_width() - self.m.width(&line, size)) / 2.0;
            self.text(x, self.y, size, true, line);
            self.y += self.lh(size);
        }
        self.y += self.lh(self.s.body_size) / 2.0;
    }

    fn heading(&mut self, text: &str) {
        let size = self.s.heading_size;
        let lines = wrap(text, self.text_width(), size, self.m);
        if !self.at_top() {
            self.y += self.lh(size) / 3.0;
        }
        // Keep the heading with the first line of what follows.
        let height = lines.len() as f32 * self.lh(size) + self.lh(self.s.body_size);
        self.need(height);
        for line in lines {
            self.text(self.s.margin, self.y, size, true, line);
            self.y += self.lh(size);
        }
    }

    fn paragraph(&mut self, text: &str) {
        let size = self.s.body_size;
        for line in wrap(text, self.text_width(), size, self.m) {
            self.need(self.lh(size));
            self.text(self.s.margin, self.y, size, false, line);
            self.y += self.lh(size);
        }
    }

    fn space(&mut self, points: f32) {
        if !points.is_finite() || points <= 0.0 || self.at_top() {
            return;
        }
        if self.y + points > self.bottom() {
            self.new_page();
        } else {
            self.y += points;
        }
    }

    fn table(&mut self, index: usize, table: &Table) -> Result<(), PdfError> {
        let widths = column_widths(index, table, self.text_width())?;
        let size = self.s.table_size;
        let pad = self.s.cell_padding;
        let lh = self.lh(size);
        let header = Row::new(
            table
                .columns
                .iter()
                .zip(&widths)
                .map(|(c, w)| wrap(&c.header, w - 2.0 * pad, size, self.m))
                .collect(),
            0.0,
            lh,
            pad,
        );
        // A row may be at most what a fresh page holds under the header; taller cells lose
        // their last lines rather than the whole table failing.
        let max_row = self.bottom() - self.top() - header.height;
        let max_lines = (((max_row - 2.0 * pad) / lh).floor() as usize).max(1);
        if !self.at_top() {
            self.y += lh / 3.0;
        }
        let mut first = true;
        for (r, cells) in table.rows.iter().enumerate() {
            if cells.len() != table.columns.len() {
                return Err(PdfError::InvalidTable {
                    table: index,
                    reason: format!(
                        "row {} has {} cells for {} columns",
                        r + 1,
                        cells.len(),
                        table.columns.len()
                    ),
                });
            }
            let lines = table
                .columns
                .iter()
                .zip(&widths)
                .zip(cells)
                .map(|((col, w), text)| {
                    let mut lines = match col.overflow {
                        Overflow::Wrap => wrap(text, w - 2.0 * pad, size, self.m),
                        Overflow::Clip => vec![clip(text, w - 2.0 * pad, size, self.m)],
                    };
                    lines.truncate(max_lines);
                    lines
                })
                .collect();
            let row = Row::new(lines, table.min_row_height.min(max_row), lh, pad);
            if first || self.y + row.height > self.bottom() + 0.01 {
                self.need(header.height + row.height);
                self.row(table, &widths, &header, true);
                first = false;
            }
            self.row(table, &widths, &row, false);
        }
        if first {
            // No rows: the header alone still shows what the table would hold.
            self.need(header.height);
            self.row(table, &widths, &header, true);
        }
        self.y += lh / 2.0;
        Ok(())
    }

    /// Places one row at `self.y`: its borders, then its text, vertically centred.
    fn row(&mut self, table: &Table, widths: &[f32], row: &Row, header: bool) {
        let (top, bottom) = (self.y, self.y + row.height);
        let left = self.s.margin;
        let right = left + widths.iter().sum::<f32>();
        let items = &mut self.page.items;
        if header {
            items.push(Item::Fill {
                x: left,
                y: top,
                w: right - left,
                h: row.height,
            });
            items.push(Item::Line {
                x1: left,
                y1: top,
                x2: right,
                y2: top,
            });
        }
        items.push(Item::Line {
            x1: left,
            y1: bottom,
            x2: right,
            y2: bottom,
        });
        let mut x = left;
        for w in widths {
            items.push(Item::Line {
                x1: x,
                y1: top,
                x2: x,
                y2: bottom,
            });
            x += w;
        }
        items.push(Item::Line {
            x1: right,
            y1: top,
            x2: right,
            y2: bottom,
        });

        let size = self.s.table_size;
        let lh = self.lh(size);
        let pad = self.s.cell_padding;
        let mut x = left;
        for ((col, w), lines) in table.columns.iter().zip(widths).zip(&row.cells) {
            let mut line_top = top + (row.height - lines.len() as f32 * lh) / 2.0;
            for line in lines {
                let centred = header || col.align == Align::Center;
                let tx = if centred {
                    x + (w - self.m.width(line, size)) / 2.0
                } else {
                    x + pad
                };
                self.text(tx, line_top, size, header, line.clone());
                line_top += lh;
            }
            x += w;
        }
        self.y = bottom;
    }
}

impl Row {
    fn new(cells: Vec<Vec<String>>, min_height: f32, lh: f32, pad: f32) -> Row {
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let height = (lines as f32 * lh + 2.0 * pad).max(min_height);
        Row { cells, height }
    }
}

/// Column widths in points: the text width shared in proportion to the columns' shares.
fn column_widths(index: usize, table: &Table, text_width: f32) -> Result<Vec<f32>, PdfError> {
    let invalid = |reason: &str| PdfError::InvalidTable {
        table: index,
        reason: reason.to_owned(),
    };
    if table.columns.is_empty() {
        return Err(invalid("no columns"));
    }
    if !table
        .columns
        .iter()
        .all(|c| c.width.is_finite() && c.width > 0.0)
    {
        return Err(invalid("column widths must be positive"));
    }
    if !table.min_row_height.is_finite() || table.min_row_height < 0.0 {
        return Err(invalid("the minimum row height must not be negative"));
    }
    let total: f32 = table.columns.iter().map(|c| c.width).sum();
    Ok(table
        .columns
        .iter()
        .map(|c| text_width * c.width / total)
        .collect())
}

#[cfg(test)]
#[path = "layout_tests.rs"]
mod tests;
