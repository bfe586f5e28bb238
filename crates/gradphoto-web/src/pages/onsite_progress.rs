//! The live progress of an on-site session per department (it refreshes itself every
//! 20 seconds, no script), and the no-show list as XLSX for the secretaries.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use gradphoto_app::onsite_progress::SessionProgress;

use super::universities::xlsx;
use super::{Page, PageCtx, render};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/onsite/sessions/{id}/progress", get(progress))
        .route("/onsite/sessions/{id}/no-shows.xlsx", get(absent_xlsx))
}

#[derive(Template)]
#[template(path = "onsite_progress.html")]
struct ProgressPage {
    ctx: PageCtx,
    p: SessionProgress,
}

impl ProgressPage {
    fn department(&self, id: &i64) -> &str {
        self.p
            .departments
            .iter()
            .find(|d| d.department_id == *id)
            .map_or("", |d| d.department.as_str())
    }
}

async fn progress(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let data = s
        .app
        .session_progress(&p.staff, id)
        .await
        .map_err(|e| p.err(e))?;
    Ok(render(&ProgressPage {
        p: data,
        ctx: p.ctx,
    }))
}

async fn absent_xlsx(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let bytes = s
        .app
        .export_absent(&p.staff, id, p.ctx.lang)
        .await
        .map_err(|e| p.err(e))?;
    Ok(xlsx(&format!("no-shows-{id}.xlsx"), bytes))
}
