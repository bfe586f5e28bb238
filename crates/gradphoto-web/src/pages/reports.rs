//! The registry link as the university sees it: report the roster, set the verification
//! window, and the secretaries' queue of students' error reports.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use gradphoto_domain::policy::{Action, Resource, ResourceKind};
use serde::Deserialize;

use super::{Page, PageCtx, render};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/universities/{id}/reports", get(show))
        .route("/universities/{id}/reports/sync", post(sync))
        .route("/universities/{id}/registry-report", post(report))
        .route("/status-reports/{id}/resolve", post(resolve))
}

struct ReportView {
    id: i64,
    student_no: String,
    message: String,
    resolve_by: String,
    resolution: Option<String>,
    note: Option<String>,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    ctx: PageCtx,
    university_id: i64,
    university: String,
    can_manage: bool,
    notice: Option<String>,
    reports: Vec<ReportView>,
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    #[serde(default)]
    done: String,
}

fn resolution_label(ctx: &PageCtx, r: &str) -> String {
    match r {
        "reshoot" => ctx.tr("需要重拍", "Re-shoot needed"),
        "data_fixed" => ctx.tr("信息已更正", "Data fixed"),
        _ => ctx.tr("无需更改", "No change"),
    }
    .to_string()
}

async fn show(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let app = &s.app;
    let view = app.university(&p.staff, id).await.map_err(|e| p.err(e))?;
    let rows = app
        .status_reports(&p.staff, id, None)
        .await
        .map_err(|e| p.err(e))?;
    let can_manage = p
        .staff
        .may(
            Action::Update,
            Resource::of_university(ResourceKind::University, id),
        )
        .is_ok();
    let notice = match q.done.as_str() {
        "synced" => Some(p.ctx.tr("已从学信网同步。", "Fetched from the registry.")),
        "reported" => Some(p.ctx.tr(
            "名单已报送学信网。",
            "The roster was reported to the registry.",
        )),
        "resolved" => Some(p.ctx.tr(
            "处理结果已提交学信网。",
            "The resolution was sent to the registry.",
        )),
        _ => None,
    }
    .map(str::to_string);
    let reports = rows
        .into_iter()
        .map(|r| ReportView {
            id: r.id,
            student_no: r.student_no,
            message: r.message,
            resolve_by: r.resolve_by.unwrap_or_default(),
            resolution: r.resolution.as_deref().map(|x| resolution_label(&p.ctx, x)),
            note: r.resolution_note,
        })
        .collect();
    let university = p
        .ctx
        .tr(&view.university.name_zh, &view.university.name_en)
        .to_string();
    Ok(render(&ReportsPage {
        ctx: p.ctx,
        university_id: id,
        university,
        can_manage,
        notice,
        reports,
    }))
}

async fn sync(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    // Reading the queue is what the button needs; the pull itself is the school's.
    s.app
        .status_reports(&p.staff, id, None)
        .await
        .map_err(|e| p.err(e))?;
    s.app.sync_status_reports(id).await.map_err(|e| p.err(e))?;
    Ok(Redirect::to(&format!("/universities/{id}/reports?done=synced")).into_response())
}

async fn report(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    s.app
        .report_to_registry(&p.staff, id)
        .await
        .map_err(|e| p.err(e))?;
    Ok(Redirect::to(&format!("/universities/{id}/reports?done=reported")).into_response())
}

#[derive(Deserialize)]
struct ResolveForm {
    resolution: String,
    #[serde(default)]
    note: String,
}

async fn resolve(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, WebError> {
    let row = s
        .app
        .resolve_status_report(&p.staff, id, &f.resolution, &f.note)
        .await
        .map_err(|e| p.err(e))?;
    Ok(Redirect::to(&format!(
        "/universities/{}/reports?done=resolved",
        row.university_id
    ))
    .into_response())
}
