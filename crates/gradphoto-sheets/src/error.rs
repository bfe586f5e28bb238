//! Why a file could not be read or written, for logs (`Display`) and for people
//! ([`SheetError::message`], in Chinese and English, without internal details).

use gradphoto_domain::i18n::Msg;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("file is {size} bytes, over the limit of {max}")]
    TooLarge { size: usize, max: usize },
    #[error("the file is empty")]
    Empty,
    #[error("not a spreadsheet (XLSX, XLS or CSV)")]
    NotASpreadsheet,
    /// The container was recognised but could not be parsed; the detail is for logs only.
    #[error("unreadable spreadsheet: {0}")]
    Unreadable(String),
    #[error("more than {max} rows")]
    TooManyRows { max: usize },
    #[error("more than {max} columns")]
    TooManyColumns { max: usize },
    /// Building a workbook failed (e.g. a cell longer than Excel allows); detail for logs.
    #[error("cannot write workbook: {0}")]
    Write(String),
}

impl SheetError {
    /// What to tell the uploader.
    pub fn message(&self) -> Msg {
        match self {
            SheetError::TooLarge { max, .. } => {
                let mib = max.div_ceil(1024 * 1024);
                Msg::new(
                    "sheet.too_large",
                    format!("文件过大，最大允许 {mib} MB"),
                    format!("The file is too large; the limit is {mib} MB"),
                )
            }
            SheetError::Empty => {
                Msg::new("sheet.empty", "文件为空，没有任何数据", "The file is empty")
            }
            SheetError::NotASpreadsheet => Msg::new(
                "sheet.not_a_spreadsheet",
                "文件不是表格，请上传 Excel（.xlsx/.xls）或 CSV 文件",
                "This is not a spreadsheet; upload an Excel (.xlsx/.xls) or CSV file",
            ),
            SheetError::Unreadable(_) => Msg::new(
                "sheet.unreadable",
                "无法读取该表格，文件可能已损坏或设有密码，请另存为新文件后重试",
                "The spreadsheet cannot be read; it may be damaged or password-protected. Save it as a new file and try again",
            ),
            SheetError::TooManyRows { max } => Msg::new(
                "sheet.too_many_rows",
                format!("表格行数超过上限 {max} 行，请拆分后分批上传"),
                format!("The sheet has more than {max} rows; split it and upload in parts"),
            ),
            SheetError::TooManyColumns { max } => Msg::new(
                "sheet.too_many_columns",
                format!("表格列数超过上限 {max} 列"),
                format!("The sheet has more than {max} columns"),
            ),
            SheetError::Write(_) => Msg::new(
                "sheet.write_failed",
                "生成表格文件失败",
                "The spreadsheet file could not be created",
            ),
        }
    }
}
