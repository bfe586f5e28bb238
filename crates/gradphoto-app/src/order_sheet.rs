//! The orders export as one XLSX sheet: headers in Chinese and English, amounts in yuan,
//! times in China's local time, every cell text (so codes and student numbers stay as
//! they are).

use gradphoto_domain::calendar::china_minute;
use gradphoto_domain::payments::Fen;
use gradphoto_sheets::{Sheet, write_xlsx};

use crate::AppError;
use crate::order_list::{OrderItem, provider_label};

/// The header row, each cell in both languages.
pub const HEADERS: [&str; 16] = [
    "订单号 Order",
    "状态 Status",
    "学校 University",
    "采集任务 Campaign",
    "学号 Student number",
    "姓名 Name",
    "联系电话 Contact phone",
    "金额（元）Amount (yuan)",
    "已付（元）Paid (yuan)",
    "已退款（元）Refunded (yuan)",
    "支付方式 Paid with",
    "下单时间 Ordered at",
    "支付时间 Paid at",
    "照片 Photo",
    "进度 Progress",
    "已报送学信网 Sent to the registry",
];

fn both(zh: &str, en: &str) -> String {
    format!("{zh} {en}")
}

fn row(o: &OrderItem) -> Vec<String> {
    let provider = o
        .provider
        .as_deref()
        .map(provider_label)
        .map(|(zh, en)| both(&zh, &en))
        .unwrap_or_default();
    vec![
        o.code.clone(),
        both(o.status.zh(), o.status.en()),
        both(&o.university_zh, &o.university_en),
        o.campaign_name.clone(),
        o.student_no.clone(),
        o.student_name.clone(),
        o.phone_masked.clone(),
        Fen(o.total_fen).yuan(),
        Fen(o.paid_fen).yuan(),
        Fen(o.refunded_fen).yuan(),
        provider,
        china_minute(o.created_at),
        o.paid_at.map(china_minute).unwrap_or_default(),
        o.photo_status
            .map(|p| both(p.zh(), p.en()))
            .unwrap_or_default(),
        both(o.progress.zh(), o.progress.en()),
        if o.sent {
            both("是", "yes")
        } else {
            both("否", "no")
        },
    ]
}

/// The workbook of `items`.
pub(crate) fn orders_xlsx(items: &[OrderItem]) -> Result<Vec<u8>, AppError> {
    write_xlsx(&[Sheet {
        name: "订单 Orders".into(),
        headers: HEADERS.iter().map(|h| h.to_string()).collect(),
        rows: items.iter().map(row).collect(),
    }])
    .map_err(|e| AppError::Internal(e.to_string()))
}
