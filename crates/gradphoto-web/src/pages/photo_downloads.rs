//! The log of electronic-photo downloads of a campaign (issue 8: downloads are logged):
//! who downloaded what and when — a student their own photo, a department's staff the
//! department's zip. The school and the agency see all of it, a secretary their
//! department's.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use gradphoto_app::electronic_photo::DownloadLog;
use gradphoto_domain::people::mask_name;

use super::{Page, PageCtx, render};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/campaigns/{id}/downloads", get(log))
}

#[derive(Template)]
#[template(path = "photo_downloads.html")]
struct LogPage {
    ctx: PageCtx,
    log: DownloadLog,
}

impl LogPage {
    fn when(&self, ms: &i64) -> String {
        gradphoto_domain::calendar::china_minute(*ms)
    }
    /// A student's name is shown masked, as on every list a crowd may see.
    fn masked(&self, name: &Option<String>) -> String {
        name.as_deref().map(mask_name).unwrap_or_default()
    }
}

async fn log(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let log = s
        .app
        .photo_download_log(&p.staff, id)
        .await
        .map_err(|e| p.err(e))?;
    Ok(render(&LogPage { ctx: p.ctx, log }))
}
