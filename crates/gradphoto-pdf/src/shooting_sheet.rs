//! The shooting sheet (拍摄表) of an on-site queue, 《全国高校毕业生信息采集学生名单》: every
//! number handed out so far with the student number, name and department, a column for
//! the student's signature, and the on-spot confirmation beside the row. One layout, so
//! the server and an offline station print the same sheet.

use crate::model::{Column, Document, Table};

pub const SHEET_TITLE: &str = "全国高校毕业生信息采集学生名单";

/// The lines above the table.
#[derive(Debug, Clone, Default)]
pub struct SheetHead {
    /// e.g. `某大学（10384）　2025届毕业生图像采集`.
    pub school_and_campaign: String,
    /// e.g. `2025-04-15 09:30–12:00　泉州校区 新太阳学生活动中心`.
    pub session: String,
    pub queue: String,
    /// When printed, China time to the minute.
    pub printed_at: String,
}

/// One number of the queue.
#[derive(Debug, Clone, Default)]
pub struct SheetRow {
    pub number: i64,
    pub student_no: String,
    pub name: String,
    pub department: String,
    /// When the student confirmed the photo (HH:MM), if they did.
    pub confirmed_at: Option<String>,
}

/// The sheet as a document, ready to render.
pub fn shooting_sheet(head: &SheetHead, rows: &[SheetRow]) -> Document {
    let mut table = Table::new(vec![
        Column::new("拍摄号", 1.0).center(),
        Column::new("学号", 2.0),
        Column::new("姓名", 1.6),
        Column::new("院系", 2.6).clip(),
        Column::new("学生签名", 2.0),
        Column::new("现场确认", 1.6).center(),
    ])
    .min_row_height(22.0);
    for r in rows {
        table.row([
            r.number.to_string(),
            r.student_no.clone(),
            r.name.clone(),
            r.department.clone(),
            String::new(),
            r.confirmed_at
                .as_ref()
                .map(|t| format!("已确认 {t}"))
                .unwrap_or_default(),
        ]);
    }
    let mut doc = Document::new(SHEET_TITLE);
    doc.paragraph(head.school_and_campaign.clone())
        .paragraph(format!(
            "{}　队列 {}　打印于 {}",
            head.session, head.queue, head.printed_at
        ))
        .paragraph("请严格按拍摄号顺序拍摄；学生在本人一行签名，并在确认屏上核对照片。")
        .table(table);
    doc
}
