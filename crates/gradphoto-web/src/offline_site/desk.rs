//! The check-in desk of an offline site, and its shooting sheet.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gradphoto_domain::i18n::{Lang, Msg};
use gradphoto_pdf::Font;
use gradphoto_pdf::shooting_sheet::{SheetHead, SheetRow, shooting_sheet};
use gradphoto_station::{Station, StationError};

use super::{Head, failed, head, page, text};
use crate::i18n::UiLang;
use crate::pages::forms::{field, pairs};

struct DeskRow {
    number: i64,
    student_no: String,
    name_masked: String,
    stage: String,
    pushed: String,
}

struct LastCheckin {
    number: i64,
    name_masked: String,
    student_no: String,
    department: String,
    new: bool,
    walk_in: bool,
}

#[derive(Template)]
#[template(path = "offline_desk.html")]
struct DeskPage {
    zh: bool,
    refresh: bool,
    head: Head,
    error: Option<String>,
    last: Option<LastCheckin>,
    rows: Vec<DeskRow>,
}

impl DeskPage {
    fn tr<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.zh { zh } else { en }
    }
}

async fn desk_page(
    s: &Station,
    lang: Lang,
    last: Option<LastCheckin>,
    error: Option<String>,
) -> Result<DeskPage, StationError> {
    let mut rows = Vec::new();
    for r in s.checkins().await?.into_iter().rev() {
        let st = s.student(r.student_id).await?;
        rows.push(DeskRow {
            number: r.number,
            student_no: st.student_no,
            name_masked: st.name_masked,
            stage: r.stage,
            pushed: match (r.pushed_version >= r.version, r.push_outcome) {
                (true, Some(o)) => o,
                _ => "—".into(),
            },
        });
    }
    Ok(DeskPage {
        zh: lang == Lang::Zh,
        refresh: false,
        head: head(s).await?,
        error,
        last,
        rows,
    })
}

pub(super) async fn desk(State(s): State<Station>, UiLang(lang): UiLang) -> Response {
    match desk_page(&s, lang, None, None).await {
        Ok(p) => page(StatusCode::OK, &p),
        Err(e) => failed(lang, &e),
    }
}

pub(super) async fn check_in(
    State(s): State<Station>,
    UiLang(lang): UiLang,
    body: axum::body::Bytes,
) -> Response {
    let form = pairs(&body);
    let (last, error, status) = match s.check_in(field(&form, "code"), "offline desk").await {
        Ok(c) => (
            Some(LastCheckin {
                number: c.row.number,
                name_masked: c.student.name_masked.clone(),
                student_no: c.student.student_no.clone(),
                department: c.student.department.clone(),
                new: c.new,
                walk_in: c.walk_in,
            }),
            None,
            StatusCode::OK,
        ),
        Err(e @ StationError::Refused(_)) => {
            (None, Some(text(lang, &e)), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => return failed(lang, &e),
    };
    match desk_page(&s, lang, last, error).await {
        Ok(p) => page(status, &p),
        Err(e) => failed(lang, &e),
    }
}

/// The queue's shooting sheet as this station has it: masked names (the pack has no
/// others), every number, and each confirmation's time.
pub(super) async fn sheet(
    State(s): State<Station>,
    UiLang(lang): UiLang,
    Extension(font): Extension<Option<Arc<Font>>>,
) -> Response {
    let Some(font) = font else {
        let m = Msg::new(
            "documents.font",
            "无法生成 PDF：未找到中文字体（请运行 scripts/fetch-fonts，或用 --font 指定）",
            "Cannot make the PDF: no Chinese font (run scripts/fetch-fonts, or give --font)",
        );
        return (StatusCode::SERVICE_UNAVAILABLE, m.text(lang).to_string()).into_response();
    };
    let built = async {
        let (pack, _) = s.pack().await?;
        let mut rows = Vec::new();
        for r in s.checkins().await? {
            let st = s.student(r.student_id).await?;
            rows.push(SheetRow {
                number: r.number,
                student_no: st.student_no,
                name: st.name_masked,
                department: st.department,
                confirmed_at: r.confirmed_at.map(|t| {
                    gradphoto_domain::calendar::china_minute(t)
                        .rsplit(' ')
                        .next()
                        .unwrap_or("")
                        .to_string()
                }),
            });
        }
        let head = SheetHead {
            school_and_campaign: format!("{}　{}", pack.school_code, pack.campaign_name),
            session: format!(
                "{} {}–{}　{} {}",
                pack.session.day,
                pack.session.starts,
                pack.session.ends,
                pack.session.campus,
                pack.session.place
            ),
            queue: format!("{}（离线采集站 {}）", pack.queue.name, pack.station),
            printed_at: gradphoto_domain::calendar::china_minute(chrono_now()),
        };
        Ok::<_, StationError>(shooting_sheet(&head, &rows))
    }
    .await;
    let doc = match built {
        Ok(d) => d,
        Err(e) => return failed(lang, &e),
    };
    match tokio::task::spawn_blocking(move || gradphoto_pdf::render(&doc, &font)).await {
        Ok(Ok(pdf)) => ([(header::CONTENT_TYPE, "application/pdf")], pdf).into_response(),
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, format!("PDF: {e}")).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("PDF: {e}")).into_response(),
    }
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
