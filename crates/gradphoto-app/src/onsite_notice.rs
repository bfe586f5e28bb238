//! The campaign's notice (通知), written from its data in the style of the universities'
//! own notices (seeds 001 and 004): who is photographed, how to get the collection code,
//! the schedule, place, fee, what to wear, the make-up path and the verification window.
//! A page in Chinese or English and a PDF; public once the schedule is published.

use gradphoto_domain::i18n::Lang;
use gradphoto_pdf::{Column, Document, Table, render};

use crate::onsite_schedule::Schedule;
use crate::{App, AppError};

/// A section of the notice: a heading and its paragraphs; the schedule section also
/// carries the table.
#[derive(Debug, Clone)]
pub struct Section {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub table: Option<(Vec<String>, Vec<Vec<String>>)>,
}

#[derive(Debug, Clone)]
pub struct Notice {
    pub title: String,
    pub sections: Vec<Section>,
    pub signed: String,
}

fn yuan(fen: i64) -> String {
    if fen % 100 == 0 {
        (fen / 100).to_string()
    } else {
        format!("{}.{:02}", fen / 100, fen % 100)
    }
}

/// The notice of a schedule in `lang`.
pub fn write_notice(s: &Schedule, lang: Lang) -> Notice {
    let zh = lang == Lang::Zh;
    let t = |a: &str, b: &str| if zh { a.to_string() } else { b.to_string() };
    let c = &s.campaign;
    let sep = if zh { "、" } else { ", " };
    let terms = c
        .rules
        .target_terms
        .iter()
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join(sep);
    let levels = c
        .rules
        .levels
        .iter()
        .map(|l| if zh { l.zh() } else { l.en() })
        .collect::<Vec<_>>()
        .join(sep);
    let mut who = vec![if zh {
        format!("预计于 {terms} 毕（结）业的{levels}。")
    } else {
        format!("{levels} students expected to graduate in {terms}.")
    }];
    if c.rules.exclude_single_certificate {
        who.push(t(
            "单证学生不参加本次采集。",
            "Single-certificate students do not take part.",
        ));
    }
    if c.rules.exclude_overseas_class {
        who.push(t(
            "境外班学生不参加本次采集。",
            "Overseas-class students do not take part.",
        ));
    }
    if c.rules.international_only {
        who.push(t(
            "本次采集仅限留学生及港澳台学生。",
            "Only international and Hong Kong, Macau and Taiwan students take part.",
        ));
    }
    if let Some(d) = c.rules.prior_void_on_or_before {
        who.push(if zh {
            format!("{d} 及以前参加过图像采集后延期毕业的学生，原照片失效，务必重新参加。")
        } else {
            format!("Delayed students photographed on or before {d} must be photographed again: the earlier photo is void.")
        });
    }
    who.push(t(
        "已有有效学历照片的学生无需重复采集，可登录学信网核对本人是否已有学历照片。",
        "Students who already have a valid registry photo need not come again; check at the registry's site.",
    ));
    let code = vec![t(
        "所有参加拍摄的学生须提前登录学信网获取本人图像采集码并保存（截图或打印）。现场扫描采集码登记信息，不出示采集码者不予拍摄。",
        "Everyone photographed must fetch their collection code from the registry's site in advance and keep it (screenshot or print). The code is scanned at the desk: no code, no photo.",
    )];
    let headers = vec![
        t("日期", "Day"),
        t("时间", "Time"),
        t("校区", "Campus"),
        t("地点", "Place"),
        t("院系", "Departments"),
    ];
    let rows: Vec<Vec<String>> = s
        .sessions
        .iter()
        .map(|x| {
            vec![
                x.row.day.clone(),
                format!("{}–{}", x.row.starts, x.row.ends),
                x.row.campus.clone(),
                x.place_text(zh),
                x.departments_text(zh),
            ]
        })
        .collect();
    let mut schedule = vec![t(
        "请按所在院系的时间、组别到场，提前15分钟到达，严格按专业、学号先后顺序排队；扫描采集码后登记拍摄号并签名，严格按拍摄号顺序拍摄，过号者排至最后。",
        "Come at your department's time and group, 15 minutes early, and queue strictly by major and student number; after the code is scanned you are given a shooting number and sign for it; photos are taken strictly in number order, and a missed number goes to the end of the queue.",
    )];
    if c.modes.any_window {
        schedule.push(t(
            "如因故不能按所在院系规定时间参加，可在表中其他时间内参加。",
            "If you cannot come at your department's time, you may come at another time in the table.",
        ));
    }
    if !c.modes.walk_ins {
        schedule.push(match (c.modes.registration_deadline, zh) {
            (Some(d), true) => format!("拟参加采集的学生请向所在院系秘书报名，报名截止日期为 {d}；未报名者现场不予拍摄。"),
            (Some(d), false) => format!("Register with your department's secretary by {d}; students who did not register are not photographed on the day."),
            (None, true) => "拟参加采集的学生请在采集日前向所在院系秘书报名；未报名者现场不予拍摄。".to_string(),
            (None, false) => "Register with your department's secretary before the day; students who did not register are not photographed.".to_string(),
        });
    }
    schedule.push(if zh {
        format!("详细分组见公开安排：/schedule/{}", c.id)
    } else {
        format!("Groups are in the published schedule: /schedule/{}", c.id)
    });
    let mut fee = vec![if zh {
        format!(
            "现场拍照采集收取照片工本费 {} 元/人，含2寸数码彩照8张、按学信网要求进行电子图像标准化处理并上传至学信网。",
            yuan(c.fee_fen)
        )
    } else {
        format!(
            "{} yuan per student, including eight 2-inch prints, standardization of the electronic photo to the registry's rules and its upload to the registry.",
            yuan(c.fee_fen)
        )
    }];
    if c.fee_fen > 0 {
        fee.push(if c.modes.fee_at_desk {
            t(
                "现场交费，只接受微信或支付宝电子支付，不收现金；交费后方可确认照片。",
                "The fee is paid at the desk by WeChat Pay or Alipay only, no cash; the photo is confirmed once paid.",
            )
        } else {
            t(
                "拍摄费用由学生自理，由各班级现场联络员收齐后按院系统一缴纳。",
                "Students pay the fee to their class liaison, who pays it for the department.",
            )
        });
    }
    let wear = vec![
        t(
            "着装整洁，穿单色有领上衣，颜色须与背景色区分明显（蓝色背景以深色正装为宜），不穿蓝、紫、黄、绿、粉色衣服，避免条纹和复杂图案。",
            "Dress neatly in a plain top with a collar, clearly different from the background colour (a dark formal top on blue); no blue, purple, yellow, green or pink, no stripes or busy patterns.",
        ),
        t(
            "正面免冠，不戴帽子、头饰（宗教、医疗需要者不得遮挡面部或造成阴影），不戴耳环、项链等饰品；头发不遮挡眉毛、眼睛和耳朵。",
            "Face the camera bare-headed: no hat or head covering (a religious or medical one must neither cover nor shade the face), no earrings or necklaces; hair clear of the eyebrows, eyes and ears.",
        ),
        t(
            "常戴眼镜者应佩戴眼镜，但不得戴有色眼镜或美瞳，镜框不得遮挡眼睛，镜片不能反光；不化浓妆；照片不得美颜、修图。",
            "Wear your glasses if you usually do, but no tinted or cosmetic lenses, frames clear of the eyes and no glare; no heavy make-up; photos are never beautified or retouched.",
        ),
        t(
            "务必当场核对确认拍摄效果：照片确认后不予重拍或修改。",
            "Check your photo on the spot and confirm it: once confirmed it is not retaken or changed.",
        ),
    ];
    let mut makeup = vec![t(
        "因特殊原因不能参加现场采集的学生，可通过线上采集上传照片并支付，或预约到图片社补拍。",
        "Students who cannot attend may upload online and pay, or book a make-up shoot at the agency's branch.",
    )];
    if let Some(d) = c.modes.makeup_deadline {
        makeup.push(if zh {
            format!("补拍须于 {d} 前完成。")
        } else {
            format!("Make-up shoots must be done by {d}.")
        });
    }
    if let Some(d) = c.modes.makeup_recommended_by {
        makeup.push(if zh {
            format!("建议于 {d} 之前完成补拍。")
        } else {
            format!("Make-up shoots are best done by {d}.")
        });
    }
    if !c.modes.makeup_cities.is_empty() {
        makeup.push(if zh {
            format!(
                "补拍须前往{}的图片社网点，在其他城市拍摄的照片无效。",
                c.modes.makeup_cities.join("、")
            )
        } else {
            format!(
                "Make-up shoots must be taken at the agency's branches in {}; photos taken in other cities are void.",
                c.modes.makeup_cities.join(", ")
            )
        });
    }
    let mut verify = vec![t(
        "拍摄后约1个月，请登录学信网核对确认学历照片信息。未参加采集或未及时核对造成无法制作毕业学位证书的，后果由学生本人负责。",
        "About a month after the photo, check and confirm it at the registry's site. Students who are not photographed or do not check in time bear the consequences if their certificates cannot be made.",
    )];
    if let Some(w) = c.modes.verification {
        verify.push(if zh {
            format!("信息确认时间：{} 至 {}。", w.opens_on, w.closes_on)
        } else {
            format!("Verification window: {} to {}.", w.opens_on, w.closes_on)
        });
    }
    let mut sections = vec![
        Section {
            heading: t("一、采集对象", "1. Who is photographed"),
            paragraphs: who,
            table: None,
        },
        Section {
            heading: t("二、采集方式", "2. The collection code"),
            paragraphs: code,
            table: None,
        },
        Section {
            heading: t("三、采集时间、地点", "3. When and where"),
            paragraphs: schedule,
            table: Some((headers, rows)),
        },
        Section {
            heading: t("四、收费及服务", "4. Fee and service"),
            paragraphs: fee,
            table: None,
        },
        Section {
            heading: t("五、采集要求", "5. What to wear"),
            paragraphs: wear,
            table: None,
        },
        Section {
            heading: t("六、补拍事宜", "6. Make-up"),
            paragraphs: makeup,
            table: None,
        },
        Section {
            heading: t("七、其他事项", "7. Checking the photo"),
            paragraphs: verify,
            table: None,
        },
    ];
    if !c.contacts.trim().is_empty() {
        sections.push(Section {
            heading: t("八、联系方式", "8. Contacts"),
            paragraphs: vec![c.contacts.clone()],
            table: None,
        });
    }
    Notice {
        title: if zh {
            format!("关于做好{}工作的通知", c.name)
        } else {
            format!("Notice: {}", c.name)
        },
        sections,
        signed: if zh {
            s.university.name_zh.clone()
        } else {
            s.university.name_en.clone()
        },
    }
}

impl App {
    /// The notice of a published campaign.
    pub async fn notice(&self, campaign_id: i64, lang: Lang) -> Result<Notice, AppError> {
        let s = self.public_schedule(campaign_id).await?;
        Ok(write_notice(&s, lang))
    }

    /// The notice as a PDF (Chinese).
    pub async fn notice_pdf(&self, campaign_id: i64) -> Result<Vec<u8>, AppError> {
        let n = self.notice(campaign_id, Lang::Zh).await?;
        let mut doc = Document::new(n.title.clone());
        for s in &n.sections {
            doc.heading(s.heading.clone());
            for p in &s.paragraphs {
                doc.paragraph(format!("　　{p}"));
            }
            if let Some((headers, rows)) = &s.table {
                let widths = [1.2, 1.2, 1.0, 1.8, 3.0];
                let mut table = Table::new(
                    headers
                        .iter()
                        .zip(widths)
                        .map(|(h, w)| Column::new(h.clone(), w))
                        .collect(),
                );
                for r in rows {
                    table.row(r.clone());
                }
                doc.table(table);
            }
        }
        doc.space(12.0).paragraph(n.signed.clone());
        let font = self.pdf_font()?;
        tokio::task::spawn_blocking(move || render(&doc, &font))
            .await
            .map_err(|e| AppError::Internal(format!("PDF: {e}")))?
            .map_err(|e| AppError::Internal(format!("PDF: {e}")))
    }
}
