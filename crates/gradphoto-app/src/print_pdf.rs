//! The lab's file of a print batch (issue 8): one PDF with a cover page, the packing list
//! (with each parcel's address for a mail batch), then every student's sheet of 8 two-inch
//! prints on a page of the paper's size.

use gradphoto_domain::policy::{Action, Role};
use gradphoto_pdf::{Column, Document, PicturePage, Table};
use gradphoto_photo::PrintSpec;

use crate::auth::Staff;
use crate::prints::prints_of;
use crate::{App, AppError};

impl App {
    /// The batch as one PDF for the lab: a cover page, the packing list, then each
    /// student's sheet (8 × 35×49 mm on 6-inch paper, student number in the margin) on a
    /// page of the paper's size, in the packing list's order. Returned with the batch's
    /// code, which names the file.
    pub async fn print_batch_pdf(
        &self,
        by: &Staff,
        batch_id: i64,
    ) -> Result<(String, Vec<u8>), AppError> {
        let d = self.print_batch_detail(by, batch_id).await?;
        // The lab's file, for the agency and the school (it holds every sheet's photo).
        by.may(Action::Export, prints_of(&d.campaign, None))?;
        let school = self.school(d.campaign.university_id).await?.0;
        let mut photos = Vec::with_capacity(d.items.len());
        for item in &d.items {
            photos.push((
                item.student_no.clone(),
                self.blob_bytes(&item.photo_key).await?,
            ));
        }
        let font = self.pdf_font()?;
        let b = d.view.batch.clone();
        let head = vec![
            (
                "学校 University",
                format!("{}（{}）", school.name_zh, school.code),
            ),
            ("院系 Department", d.view.department.clone()),
            ("采集 Campaign", d.campaign.name.clone()),
            ("批次 Batch", b.code.clone()),
            ("张数 Sheets", b.sheets.to_string()),
            (
                "规格 Format",
                "每张 6 英寸相纸 8 张 2 寸照片（35×49 mm） 8 two-inch prints per 6-inch sheet"
                    .to_string(),
            ),
            (
                "生成 Made",
                format!(
                    "{} {}",
                    gradphoto_domain::calendar::china_minute(b.created_at),
                    b.created_by
                ),
            ),
        ];
        let reprint = b.reprint_of.map(|_| b.reason.clone());
        let mailed = b.mailed();
        // Addresses are the agency's to post to: the school's copy names the order only.
        let addresses = mailed && by.actor.role == Role::AgencyAdmin;
        // The last column: a signature for a hand-over, the parcel's address by post.
        let mut rows: Vec<[String; 4]> = Vec::with_capacity(d.items.len());
        for i in &d.items {
            let order = i.order_code.clone().unwrap_or_default();
            let last = match i.order_id {
                Some(id) if addresses => match self.db.shipment(id).await? {
                    Some(x) => format!("{} {} {} · {order}", x.recipient, x.phone, x.address),
                    None => order,
                },
                Some(_) if mailed => order,
                _ => String::new(),
            };
            rows.push([
                i.position.to_string(),
                i.student_no.clone(),
                i.name.clone(),
                last,
            ]);
        }
        tokio::task::spawn_blocking(move || {
            let spec = PrintSpec::default();
            let mut doc = Document::new(format!("洗印版照片 Print batch {}", b.code));
            for (k, v) in &head {
                doc.paragraph(format!("{k}：{v}"));
            }
            if let Some(reason) = reprint {
                doc.paragraph(format!("补印 Reprint：{reason}"));
            }
            if mailed {
                doc.paragraph("邮寄：每张相纸按装箱单的地址寄给学生本人，寄出后在系统中登记快递单号。By post: each sheet goes to its student at the address in the packing list; record each parcel's tracking number in gradphoto.");
            } else {
                doc.paragraph("交接：图片社 → 研究生院 → 院系 → 学生，每次交接请在系统中登记张数、交接人与接收人。Hand-over: agency → graduate school → department → student; record each hand-over in gradphoto.");
            }
            doc.space(12.0);
            doc.heading("装箱单 Packing list");
            let last = if addresses {
                Column::new("收件人 · 订单 Mail to · order", 230.0)
            } else if mailed {
                Column::new("订单 Order", 230.0)
            } else {
                Column::new("签收 Received", 140.0)
            };
            let mut t = Table::new(vec![
                Column::new("序号 No.", 50.0).center(),
                Column::new("学号 Student no.", 140.0),
                Column::new("姓名 Name", if mailed { 90.0 } else { 150.0 }),
                last,
            ]);
            for row in &rows {
                t.row(row.iter().map(String::as_str));
            }
            doc.table(t);
            let (w, h) = spec.sheet_mm;
            let pt = |mm: f32| mm * 72.0 / 25.4;
            for (no, bytes) in &photos {
                let photo = gradphoto_photo::decode::decode(
                    bytes,
                    &gradphoto_photo::decode::Limits::default(),
                    None,
                )
                .map_err(|e| AppError::Internal(format!("print photo {no}: {e}")))?;
                let sheet = gradphoto_photo::print_sheet(&photo, no, &spec)
                    .map_err(|e| AppError::Internal(format!("print sheet {no}: {e}")))?;
                doc.picture(PicturePage {
                    width_pt: pt(w),
                    height_pt: pt(h),
                    jpeg: sheet.jpeg,
                    width_px: sheet.width,
                    height_px: sheet.height,
                });
            }
            gradphoto_pdf::render(&doc, &font)
                .map(|bytes| (b.code, bytes))
                .map_err(|e| AppError::Internal(format!("print batch PDF: {e}")))
        })
        .await
        .map_err(|e| AppError::Internal(format!("print batch PDF task: {e}")))?
    }
}
