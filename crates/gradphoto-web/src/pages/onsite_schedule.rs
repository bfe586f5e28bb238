//! Building and publishing the day's plan (groups per session), and the published
//! schedule: a public page in Chinese and English (no names), an XLSX and a PDF.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gradphoto_app::onsite_schedule::{DEFAULT_GROUP_SIZE, Schedule};

use super::forms::{int, pairs, pdf};
use super::universities::xlsx;
use super::{AnyPage, Page, PageCtx, render};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{id}/onsite/groups", post(groups))
        .route("/campaigns/{id}/onsite/publish", post(publish))
        .route("/onsite/sessions/{id}/group", post(move_student))
        .route("/schedule/{file}", get(public))
        .route("/schedule/{id}/{file}", get(notice))
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    ctx: PageCtx,
    id: i64,
    n: gradphoto_app::onsite_notice::Notice,
}

/// `/schedule/{id}/notice` and `/schedule/{id}/notice.pdf`: the campaign's notice.
async fn notice(
    State(s): State<AppState>,
    p: AnyPage,
    Path((id, file)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let lang = p.ctx.lang;
    let err = |e| WebError::page(e, lang);
    match file.as_str() {
        "notice" => {
            let n = s.app.notice(id, lang).await.map_err(err)?;
            Ok(render(&NoticePage { id, n, ctx: p.ctx }))
        }
        "notice.pdf" => {
            let bytes = s.app.notice_pdf(id).await.map_err(err)?;
            Ok(pdf(&format!("notice-{id}.pdf"), bytes))
        }
        _ => Err(err(gradphoto_app::AppError::not_found())),
    }
}

async fn groups(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = pairs(&body);
    let size = int(&f, "group_size").unwrap_or(DEFAULT_GROUP_SIZE);
    s.app
        .build_groups(&p.staff, id, size, false)
        .await
        .map_err(|e| p.err(e))?;
    Ok(Redirect::to(&format!("/campaigns/{id}/onsite")).into_response())
}

async fn publish(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = pairs(&body);
    let size = int(&f, "group_size").unwrap_or(DEFAULT_GROUP_SIZE);
    s.app
        .publish_schedule(&p.staff, id, size)
        .await
        .map_err(|e| p.err(e))?;
    Ok(Redirect::to(&format!("/campaigns/{id}/onsite")).into_response())
}

async fn move_student(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = pairs(&body);
    s.app
        .move_to_group(
            &p.staff,
            id,
            int(&f, "student").unwrap_or(0),
            int(&f, "group").unwrap_or(0),
        )
        .await
        .map_err(|e| p.err(e))?;
    Ok(Redirect::to(&format!("/onsite/sessions/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "schedule.html")]
struct SchedulePage {
    ctx: PageCtx,
    s: Schedule,
}

/// `/schedule/{id}`, `/schedule/{id}.xlsx`, `/schedule/{id}.pdf`: public once published.
async fn public(
    State(s): State<AppState>,
    p: AnyPage,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    let lang = p.ctx.lang;
    let err = |e| WebError::page(e, lang);
    let (stem, kind) = match file.rsplit_once('.') {
        Some((stem, ext)) => (stem, ext),
        None => (file.as_str(), "html"),
    };
    let id: i64 = stem
        .parse()
        .map_err(|_| err(gradphoto_app::AppError::not_found()))?;
    match kind {
        "html" => {
            let sched = s.app.public_schedule(id).await.map_err(err)?;
            Ok(render(&SchedulePage {
                s: sched,
                ctx: p.ctx,
            }))
        }
        "xlsx" => {
            let bytes = s.app.schedule_xlsx(id, lang).await.map_err(err)?;
            Ok(xlsx(&format!("schedule-{id}.xlsx"), bytes))
        }
        "pdf" => {
            let bytes = s.app.schedule_pdf(id).await.map_err(err)?;
            Ok(pdf(&format!("schedule-{id}.pdf"), bytes))
        }
        _ => Err(err(gradphoto_app::AppError::not_found())),
    }
}
