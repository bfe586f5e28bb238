//! The shooting sheet (拍摄表) of a queue, 《全国高校毕业生信息采集学生名单》: every number
//! handed out so far with the student number, name and department, a column for the
//! student's signature, and the on-spot confirmation recorded beside the row. Printable at
//! any moment of the day, as a PDF with the Chinese font embedded.

use gradphoto_domain::calendar::{china_minute, china_offset};
use gradphoto_pdf::render;
use gradphoto_pdf::shooting_sheet::{SheetHead, SheetRow, shooting_sheet};

use crate::auth::Staff;
use crate::{App, AppError};

pub use gradphoto_pdf::shooting_sheet::SHEET_TITLE;

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
        let rows: Vec<SheetRow> = self
            .db
            .onsite_queue_checkins(queue_id)
            .await?
            .iter()
            .map(|r| {
                let s = students.get(&r.student_id);
                SheetRow {
                    number: r.number,
                    student_no: s.map(|s| s.student_no.clone()).unwrap_or_default(),
                    name: s.map(|s| s.name.clone()).unwrap_or_default(),
                    department: s
                        .and_then(|s| departments.get(&s.department_id).cloned())
                        .unwrap_or_default(),
                    confirmed_at: r.confirmed_at.map(hhmm),
                }
            })
            .collect();
        let head = SheetHead {
            school_and_campaign: format!(
                "{}（{}）　{}",
                university.name_zh, university.code, desk.campaign.name
            ),
            session: format!(
                "{} {}–{}　{} {}",
                desk.session.day,
                desk.session.starts,
                desk.session.ends,
                desk.session.campus,
                desk.session.place
            ),
            queue: desk.queue.name.clone(),
            printed_at: china_minute(gradphoto_db::now_ms()),
        };
        let doc = shooting_sheet(&head, &rows);
        let font = self.pdf_font()?;
        tokio::task::spawn_blocking(move || render(&doc, &font))
            .await
            .map_err(|e| AppError::Internal(format!("PDF: {e}")))?
            .map_err(|e| AppError::Internal(format!("PDF: {e}")))
    }
}
