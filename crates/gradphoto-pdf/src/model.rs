//! The document model: what a report says, not where it goes on the page.
//!
//! Callers (the shooting sheet, the published schedule, the campaign notice) build a
//! [`Document`] from their data; [`crate::render`] lays it out on A4 pages. The model has no
//! coordinates except a few sizes a report may want to tune, so the same document prints
//! the same way from the server, the CLI and the offline station.

/// Page orientation of every page in a document (A4 either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orientation {
    /// 210 × 297 mm: notices and short lists.
    #[default]
    Portrait,
    /// 297 × 210 mm: wide tables such as the shooting sheet.
    Landscape,
}

impl Orientation {
    /// Page width and height in PDF points (1/72 inch).
    pub fn size_pt(self) -> (f32, f32) {
        // A4 is 210 × 297 mm; 1 mm = 72 / 25.4 pt.
        const SHORT: f32 = 595.276;
        const LONG: f32 = 841.89;
        match self {
            Orientation::Portrait => (SHORT, LONG),
            Orientation::Landscape => (LONG, SHORT),
        }
    }
}

/// A whole report: a title and blocks that flow over as many pages as they need.
///
/// Every page gets the footer "第 N 页 / 共 M 页", so a printed sheet that comes apart can be
/// put back in order and a missing page is noticed.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Centred at the top of the first page, and the PDF's title (shown in viewers' tabs).
    pub title: String,
    /// Orientation of every page.
    pub orientation: Orientation,
    /// The body, top to bottom.
    pub blocks: Vec<Block>,
    /// Font sizes and margins; the defaults suit A4 reports.
    pub style: Style,
    /// Pages that are one picture each, at their own size, after the laid-out pages (a
    /// print batch's sheets after its cover and packing list).
    pub pictures: Vec<PicturePage>,
}

/// A page holding one baseline RGB JPEG that fills it.
#[derive(Debug, Clone, PartialEq)]
pub struct PicturePage {
    /// Page size in points.
    pub width_pt: f32,
    pub height_pt: f32,
    /// The JPEG as it is embedded (DCTDecode: not decoded or re-encoded).
    pub jpeg: Vec<u8>,
    pub width_px: u32,
    pub height_px: u32,
}

impl Document {
    /// An empty portrait document with the default style.
    pub fn new(title: impl Into<String>) -> Self {
        Document {
            title: title.into(),
            orientation: Orientation::Portrait,
            blocks: Vec::new(),
            style: Style::default(),
            pictures: Vec::new(),
        }
    }

    /// The same document on landscape pages.
    #[must_use]
    pub fn landscape(mut self) -> Self {
        self.orientation = Orientation::Landscape;
        self
    }

    /// Appends a section heading (larger, bold, kept with the line after it).
    pub fn heading(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Heading(text.into()));
        self
    }

    /// Appends a paragraph; `\n` in the text starts a new line, and leading ideographic
    /// spaces ("　　", U+3000) indent it as Chinese notices do.
    pub fn paragraph(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Paragraph(text.into()));
        self
    }

    /// Appends vertical space, in points.
    pub fn space(&mut self, points: f32) -> &mut Self {
        self.blocks.push(Block::Space(points));
        self
    }

    /// Appends a picture page after the laid-out pages.
    pub fn picture(&mut self, page: PicturePage) -> &mut Self {
        self.pictures.push(page);
        self
    }

    /// Appends a table.
    pub fn table(&mut self, table: Table) -> &mut Self {
        self.blocks.push(Block::Table(table));
        self
    }
}

/// One piece of a document's body.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section heading.
    Heading(String),
    /// Body text wrapped to the text width: Chinese may break at any character, Latin at
    /// spaces (a word longer than the line breaks where it must).
    Paragraph(String),
    /// Vertical space in points.
    Space(f32),
    /// A table whose header row repeats on every page it spans.
    Table(Table),
}

/// A simple table: one header row, then rows of text cells, every row bordered.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The columns, left to right; a row must have exactly one cell per column.
    pub columns: Vec<Column>,
    /// The body rows; a row never splits across pages.
    pub rows: Vec<Vec<String>>,
    /// Smallest body row height in points: room to sign by hand in a signature column.
    pub min_row_height: f32,
}

impl Table {
    /// A table with these columns, no rows yet, and rows one text line high at least.
    pub fn new(columns: Vec<Column>) -> Self {
        Table {
            columns,
            rows: Vec::new(),
            min_row_height: 0.0,
        }
    }

    /// Sets the smallest body row height, in points.
    #[must_use]
    pub fn min_row_height(mut self, points: f32) -> Self {
        self.min_row_height = points;
        self
    }

    /// Appends a row of cells.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Self {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }
}

/// One table column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header text (wrapped if the column is narrow).
    pub header: String,
    /// Share of the text width, in proportion to the other columns' (e.g. 1, 2, 3).
    pub width: f32,
    /// What a body cell does with text wider than the column.
    pub overflow: Overflow,
    /// Horizontal alignment of the cell text.
    pub align: Align,
}

impl Column {
    /// A left-aligned, wrapping column with this header and width share.
    pub fn new(header: impl Into<String>, width: f32) -> Self {
        Column {
            header: header.into(),
            width,
            overflow: Overflow::Wrap,
            align: Align::Left,
        }
    }

    /// Cells that do not fit are cut to one line ending in "…" instead of wrapping.
    #[must_use]
    pub fn clip(mut self) -> Self {
        self.overflow = Overflow::Clip;
        self
    }

    /// Centred cell text (numbers, short codes).
    #[must_use]
    pub fn center(mut self) -> Self {
        self.align = Align::Center;
        self
    }
}

/// What a cell does with text wider than its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Wrap to as many lines as needed; the row grows.
    #[default]
    Wrap,
    /// Keep one line and end it with "…" where it is cut.
    Clip,
}

/// Horizontal alignment of a table cell's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    /// Flush left.
    #[default]
    Left,
    /// Centred.
    Center,
}

/// Sizes in points. The defaults print legibly on A4 and fit a class list of about 20
/// rows on a landscape page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// Margin on every side of the page.
    pub margin: f32,
    /// Title font size.
    pub title_size: f32,
    /// Heading font size.
    pub heading_size: f32,
    /// Paragraph font size.
    pub body_size: f32,
    /// Table text font size.
    pub table_size: f32,
    /// Footer font size.
    pub footer_size: f32,
    /// Line height as a multiple of the font size.
    pub line_spacing: f32,
    /// Space inside a table cell, on each side.
    pub cell_padding: f32,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            margin: 42.5, // 15 mm
            title_size: 16.0,
            heading_size: 12.0,
            body_size: 10.5,
            table_size: 10.0,
            footer_size: 9.0,
            line_spacing: 1.5,
            cell_padding: 4.0,
        }
    }
}
