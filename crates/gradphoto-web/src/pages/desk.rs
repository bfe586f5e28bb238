//! The agency's collection desk: check a code (scanner, paste, or a photo of it), then
//! hand in the photo, which is standardized and queued for the registry.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gradphoto_app::desk::{DeskCode, DeskOutcome};
use gradphoto_app::{App, AppError};
use gradphoto_db::outbox::OutboxRow;

use super::{Page, PageCtx, render};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/desk", get(show))
        .route("/desk/code", post(check_code))
        .route("/desk/photo", post(submit_photo))
        .route("/desk/outbox/{file}", get(photo))
}

/// A checked code as the page shows it.
struct CodeView {
    text: String,
    school: String,
    level: String,
    year: u16,
    name_masked: String,
    id_masked: String,
    keys_age: String,
    /// (outbox id, status) already sent for this code.
    history: Vec<(i64, String)>,
}

struct RowView {
    id: i64,
    code_id: String,
    status: String,
    answer: String,
}

#[derive(Template)]
#[template(path = "desk.html")]
struct DeskPage {
    ctx: PageCtx,
    notice: Option<String>,
    error: Option<String>,
    reasons: Vec<(String, String)>,
    code: Option<CodeView>,
    recent: Vec<RowView>,
}

fn status_label(ctx: &PageCtx, r: &OutboxRow) -> String {
    match (r.status.as_str(), r.verdict.as_deref()) {
        ("pending", _) if r.attempts > 0 => ctx
            .tr(
                "待重发（学信网暂不可达）",
                "Retrying (registry unreachable)",
            )
            .into(),
        ("pending", _) => ctx.tr("待发送", "Queued").into(),
        ("answered", Some("accepted")) => ctx.tr("学信网已接收", "Accepted by the registry").into(),
        ("answered", _) => ctx.tr("学信网未通过", "Rejected by the registry").into(),
        ("refused", _) => ctx.tr("学信网拒收", "Refused by the registry").into(),
        ("withdrawn", _) => ctx
            .tr("已撤回（重新拍摄）", "Withdrawn (reopened for a retake)")
            .into(),
        (s, _) => s.into(),
    }
}

/// The registry's reasons (or refusal) in the page's language.
fn answer(ctx: &PageCtx, r: &OutboxRow) -> String {
    let Some(json) = &r.result_json else {
        return r.last_error.clone().unwrap_or_default();
    };
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let key = ctx.tr("zh", "en");
    if let Some(e) = v["error"][key].as_str() {
        return e.to_string();
    }
    v["reasons"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f[key].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

fn age(ctx: &PageCtx, fetched_at: i64) -> String {
    let mins = (gradphoto_db::now_ms() - fetched_at).max(0) / 60_000;
    if mins < 1 {
        ctx.tr("刚刚", "just now").into()
    } else {
        format!("{mins} {}", ctx.tr("分钟前", "minutes ago"))
    }
}

fn code_view(ctx: &PageCtx, c: DeskCode, history: &[OutboxRow]) -> CodeView {
    let claims = &c.verified.claims;
    CodeView {
        school: claims.school_code.clone(),
        level: ctx.tr(claims.level.zh(), claims.level.en()).to_string(),
        year: claims.graduation_year,
        name_masked: claims.name_masked.clone(),
        id_masked: claims.id_masked.clone(),
        keys_age: age(ctx, c.keys_fetched_at),
        history: history
            .iter()
            .map(|r| (r.id, status_label(ctx, r)))
            .collect(),
        text: c.text,
    }
}

async fn page(
    app: &App,
    p: Page,
    code: Option<DeskCode>,
    notice: Option<String>,
    error: Option<String>,
    reasons: Vec<(String, String)>,
) -> Result<Response, WebError> {
    let rows = app.desk_recent(&p.staff).await.map_err(|e| p.err(e))?;
    let recent = rows
        .iter()
        .map(|r| RowView {
            id: r.id,
            code_id: r.code_id.clone(),
            status: status_label(&p.ctx, r),
            answer: answer(&p.ctx, r),
        })
        .collect();
    let code = code.map(|c| {
        let history = c.history.clone();
        code_view(&p.ctx, c, &history)
    });
    Ok(render(&DeskPage {
        ctx: p.ctx,
        notice,
        error,
        reasons,
        code,
        recent,
    }))
}

async fn show(State(s): State<AppState>, p: Page) -> Result<Response, WebError> {
    page(&s.app, p, None, None, None, Vec::new()).await
}

/// The text fields and files of a desk form.
#[derive(Default)]
struct DeskForm {
    code: String,
    background: String,
    image: Option<Vec<u8>>,
    photo: Option<Vec<u8>>,
}

async fn read_form(mut mp: Multipart) -> Result<DeskForm, AppError> {
    let bad = super::unreadable_form;
    let mut f = DeskForm::default();
    while let Some(field) = mp.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or("").to_string();
        let bytes = field.bytes().await.map_err(|_| bad())?;
        match name.as_str() {
            "code" => f.code = String::from_utf8_lossy(&bytes).trim().to_string(),
            "background" => f.background = String::from_utf8_lossy(&bytes).trim().to_string(),
            "image" if !bytes.is_empty() => f.image = Some(bytes.to_vec()),
            "photo" if !bytes.is_empty() => f.photo = Some(bytes.to_vec()),
            _ => {}
        }
    }
    Ok(f)
}

/// A refusal the desk shows on its own page (a forged or revoked code, an unreadable
/// picture); anything else is an error page.
fn shown(e: &AppError) -> bool {
    matches!(e, AppError::Invalid(_) | AppError::NotFound(_))
}

async fn check_code(
    State(s): State<AppState>,
    p: Page,
    mp: Multipart,
) -> Result<Response, WebError> {
    let app = &s.app;
    let f = read_form(mp).await.map_err(|e| p.err(e))?;
    let text = match (f.code.is_empty(), f.image) {
        (true, Some(img)) => match app.desk_read_code_image(&p.staff, img).await {
            Ok(t) => t,
            Err(e) if shown(&e) => {
                let msg = p.ctx.msg(&e.message()).to_string();
                return page(app, p, None, None, Some(msg), Vec::new()).await;
            }
            Err(e) => return Err(p.err(e)),
        },
        _ => f.code,
    };
    match app.desk_check_code(&p.staff, &text).await {
        Ok(c) => page(app, p, Some(c), None, None, Vec::new()).await,
        Err(e) if shown(&e) => {
            let msg = p.ctx.msg(&e.message()).to_string();
            page(app, p, None, None, Some(msg), Vec::new()).await
        }
        Err(e) => Err(p.err(e)),
    }
}

async fn submit_photo(
    State(s): State<AppState>,
    p: Page,
    mp: Multipart,
) -> Result<Response, WebError> {
    let app = &s.app;
    let f = read_form(mp).await.map_err(|e| p.err(e))?;
    let Some(photo) = f.photo else {
        return Err(p.err(AppError::invalid(
            "upload.empty",
            "请选择照片",
            "Choose a photo",
        )));
    };
    let background = if f.background.is_empty() {
        "blue".to_string()
    } else {
        f.background
    };
    match app.desk_submit(&p.staff, &f.code, photo, &background).await {
        Ok(DeskOutcome::Queued(row)) => {
            let notice = format!(
                "{} #{}",
                p.ctx.tr(
                    "照片已标准化，并已进入发送学信网的队列",
                    "Photo standardized and queued for the registry"
                ),
                row.id
            );
            page(app, p, None, Some(notice), None, Vec::new()).await
        }
        Ok(DeskOutcome::Refused(report)) => {
            let reasons = report
                .reasons
                .iter()
                .map(|r| (r.code.to_string(), p.ctx.tr(&r.zh, &r.en).to_string()))
                .collect();
            let code = app.desk_check_code(&p.staff, &f.code).await.ok();
            page(app, p, code, None, None, reasons).await
        }
        Err(e) if shown(&e) => {
            let msg = p.ctx.msg(&e.message()).to_string();
            page(app, p, None, None, Some(msg), Vec::new()).await
        }
        Err(e) => Err(p.err(e)),
    }
}

async fn photo(
    State(s): State<AppState>,
    p: Page,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    let id: i64 = file
        .strip_suffix(".jpg")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| p.err(AppError::not_found()))?;
    let bytes = s.app.desk_photo(&p.staff, id).await.map_err(|e| p.err(e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        bytes,
    )
        .into_response())
}
