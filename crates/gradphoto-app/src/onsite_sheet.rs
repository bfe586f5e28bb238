//! The shooting sheet (拍摄表) of a queue, 《全国高校毕业生信息采集学生名单》: every number
//! handed out so far with the student number, name and department, a column for the
//! student's signature, and the on-spot confirmation recorded beside the row. Printable at
//! any moment of the day, as a PDF with the Chinese font embedded.

use gradphoto_domain::calendar::{china_minute, china_offset};
use gradphoto_pdf::{Column, Document, Table, render};

use crate::auth::Staff;
use crate::{App, AppError};

pub const SHEET_TITLE: &str = "全国高校毕业生信息采集学生名单";

fn hhmm(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&china_offset()).format("%H:%M").to_string())
        .unwrap_or_default()
}

impl App {
    /// The queue's shooting sheet as a PDF, for desk staff.
    pub async fn shooting_sheet_pdf(&self, by: &Staff, queue_id: i64) -> Result<Vec<u8>, AppError> {
        let desk = self.desk_queue(by, queue_id).await?;
        let university = self.db.get_university(desk.campaign.university_id).await?;
        let students = self.students_by_id(university.id).await?;
        let departments = self.department_names(university.id).await?;
        let rows = self.db.onsite_queue_checkins(queue_id).await?;
        let mut table = Table::new(vec![
            Column::new("拍摄号", 1.0).center(),
            Column::new("学号", 2.0),
            Column::new("姓名", 1.6),
            Column::new("院系", 2.6).clip(),
            Column::new("学生签名", 2.0),
            Column::new("现场确认", 1.6).center(),
        ])
        .min_row_height(22.0);
        for r in &rows {
            let s = students.get(&r.student_id);
            table.row([
                r.number.to_string(),
                s.map(|s| s.student_no.clone()).unwrap_or_default(),
                s.map(|s| s.name.clone()).unwrap_or_default(),
                s.and_then(|s| departments.get(&s.department_id).cloned())
                    .unwrap_or_default(),
                String::new(),
                r.confirmed_at
                    .map(|t| format!("已确认 {}", hhmm(t)))
                    .unwrap_or_default(),
            ]);
        }
        let mut doc = Document::new(SHEET_TITLE);
        doc.paragraph(format!(
            "{}（{}）　{}",
            university.name_zh, university.code, desk.campaign.name
        ))
        .paragraph(format!(
            "{} {}–{}　{} {}　队列 {}　打印于 {}",
            desk.session.day,
            desk.session.starts,
            desk.session.ends,
            desk.session.campus,
            desk.session.place,
            desk.queue.name,
            china_minute(gradphoto_db::now_ms())
        ))
        .paragraph("请严格按拍摄号顺序拍摄；学生在本人一行签名，并在确认屏上核对照片。")
        .table(table);
        let font = self.pdf_font()?;
        tokio::task::spawn_blocking(move || render(&doc, &font))
            .await
            .map_err(|e| AppError::Internal(format!("PDF: {e}")))?
            .map_err(|e| AppError::Internal(format!("PDF: {e}")))
    }
}
