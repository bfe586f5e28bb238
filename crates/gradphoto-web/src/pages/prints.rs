//! The prints (洗印版照片, issue 8): a campaign's batches and, per department, where the
//! sheets are (what the graduate school holds for each department); one batch's packing
//! list with its hand-overs, the students who have their sheets, losses and reprints; the
//! batch's PDF for the lab.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gradphoto_app::AppError;
use gradphoto_app::prints::{BatchDetail, HandoverInput, PrintsOverview};
use gradphoto_domain::policy::Role;
use gradphoto_domain::prints::{Holder, Stage};
use serde::Deserialize;

use super::forms::{correctable, pdf, shown};
use super::{Page, PageCtx, render};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{id}/prints", get(overview).post(create))
        .route("/prints/batches/{id}", get(batch))
        .route("/prints/batches/{id}/pdf", get(batch_pdf))
        .route("/prints/batches/{id}/handover", post(handover))
        .route("/prints/batches/{id}/lost", post(lost))
        .route("/prints/batches/{id}/reprint", post(reprint))
        .route("/prints/items/{id}/given", post(given))
        .route("/prints/items/{id}/returned", post(returned))
}

fn when(ms: i64) -> String {
    gradphoto_domain::calendar::china_minute(ms)
}

#[derive(Template)]
#[template(path = "prints.html")]
struct OverviewPage {
    ctx: PageCtx,
    o: PrintsOverview,
    /// The agency prints and reprints.
    can_print: bool,
    done: Option<usize>,
    error: Option<String>,
}

async fn show_overview(
    s: &AppState,
    p: Page,
    id: i64,
    done: Option<usize>,
    e: Option<AppError>,
) -> Result<Response, WebError> {
    let o = s
        .app
        .prints_overview(&p.staff, id)
        .await
        .map_err(|e| p.err(e))?;
    let (status, error) = shown(&p.ctx, e);
    let page = OverviewPage {
        can_print: p.staff.actor.role == Role::AgencyAdmin,
        o,
        done,
        error,
        ctx: p.ctx,
    };
    Ok((status, render(&page)).into_response())
}

#[derive(Deserialize)]
struct Done {
    made: Option<usize>,
}

async fn overview(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, WebError> {
    show_overview(&s, p, id, q.made, None).await
}

async fn create(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    match s.app.create_print_batches(&p.staff, id).await {
        Ok(made) => Ok(
            Redirect::to(&format!("/campaigns/{id}/prints?made={}", made.len())).into_response(),
        ),
        Err(e) if correctable(&e) => show_overview(&s, p, id, None, Some(e)).await,
        Err(e) => Err(p.err(e)),
    }
}

#[derive(Template)]
#[template(path = "print_batch.html")]
struct BatchPage {
    ctx: PageCtx,
    d: BatchDetail,
    /// (stage value, label) the viewer may record.
    stages: Vec<(&'static str, String)>,
    can_give: bool,
    /// The department (or the school) records posted sheets handed in by students.
    can_return: bool,
    can_print: bool,
    /// The agency and the school report a whole batch lost.
    can_lose_batch: bool,
    /// Where the viewer may report a sheet lost (value, label).
    holders: Vec<(&'static str, String)>,
    /// A fresh token for the hand-over form (sending it twice records it once).
    token: String,
    typed: HandoverForm,
    error: Option<String>,
}

impl BatchPage {
    fn when(&self, ms: &i64) -> String {
        when(*ms)
    }
    fn stage_label(&self, stage: &str) -> String {
        match Stage::parse(stage) {
            // Posted sheets reach the school from the department that collected them.
            Some(Stage::ToSchool) if self.d.view.batch.mailed() => self
                .ctx
                .tr("院系 → 研究生院", "Department → graduate school")
                .to_string(),
            Some(s) => self.ctx.tr(s.zh(), s.en()).to_string(),
            None => String::new(),
        }
    }
}

async fn show_batch(
    s: &AppState,
    p: Page,
    id: i64,
    typed: HandoverForm,
    e: Option<AppError>,
) -> Result<Response, WebError> {
    let d = s
        .app
        .print_batch_detail(&p.staff, id)
        .await
        .map_err(|e| p.err(e))?;
    let role = p.staff.actor.role;
    // A posted batch is the agency's until each student confirms; the sheets students
    // hand in go from the department to the school.
    let mailed = d.view.batch.mailed();
    let agency = role == Role::AgencyAdmin;
    // The receiving side records each hand-over.
    let mut stages = Vec::new();
    if role == Role::UniversityAdmin {
        let label = if mailed {
            p.ctx.tr("院系 → 研究生院", "Department → graduate school")
        } else {
            p.ctx.tr(Stage::ToSchool.zh(), Stage::ToSchool.en())
        };
        stages.push((Stage::ToSchool.as_str(), label.to_string()));
    }
    if matches!(role, Role::UniversityAdmin | Role::DepartmentSecretary) && !mailed {
        stages.push((
            Stage::ToDepartment.as_str(),
            p.ctx
                .tr(Stage::ToDepartment.zh(), Stage::ToDepartment.en())
                .to_string(),
        ));
    }
    let token = gradphoto_app::pii::random_hex::<12>().map_err(|e| p.err(e))?;
    let (status, error) = shown(&p.ctx, e);
    let page = BatchPage {
        can_give: !mailed
            && matches!(
                role,
                Role::AgencyAdmin | Role::UniversityAdmin | Role::DepartmentSecretary
            ),
        can_return: mailed && matches!(role, Role::UniversityAdmin | Role::DepartmentSecretary),
        can_print: agency,
        can_lose_batch: agency || (role == Role::UniversityAdmin && !mailed),
        holders: match role {
            _ if mailed && agency => vec![Holder::Agency],
            _ if mailed => Vec::new(),
            Role::AgencyAdmin => vec![Holder::Agency, Holder::School, Holder::Department],
            Role::UniversityAdmin => vec![Holder::School, Holder::Department],
            _ => vec![Holder::Department],
        }
        .into_iter()
        .map(|h| (h.as_str(), p.ctx.tr(h.zh(), h.en()).to_string()))
        .collect(),
        stages,
        token,
        typed,
        d,
        error,
        ctx: p.ctx,
    };
    Ok((status, render(&page)).into_response())
}

async fn batch(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    show_batch(&s, p, id, HandoverForm::default(), None).await
}

async fn batch_pdf(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let (code, bytes) = s
        .app
        .print_batch_pdf(&p.staff, id)
        .await
        .map_err(|e| p.err(e))?;
    Ok(pdf(&format!("prints-{code}.pdf"), bytes))
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct HandoverForm {
    stage: String,
    sheets: String,
    given_by: String,
    received_by: String,
    token: String,
}

async fn handover(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<HandoverForm>,
) -> Result<Response, WebError> {
    let input = HandoverInput {
        stage: f.stage.clone(),
        sheets: f.sheets.clone(),
        given_by: f.given_by.clone(),
        received_by: f.received_by.clone(),
        token: f.token.clone(),
    };
    match s.app.record_print_handover(&p.staff, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/prints/batches/{id}")).into_response()),
        Err(e) if correctable(&e) || matches!(e, AppError::Forbidden(_)) => {
            show_batch(&s, p, id, f, Some(e)).await
        }
        Err(e) => Err(p.err(e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LostForm {
    item: String,
    holder: String,
    reason: String,
}

async fn lost(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<LostForm>,
) -> Result<Response, WebError> {
    let item = f.item.trim().parse::<i64>().ok();
    match s
        .app
        .report_prints_lost(&p.staff, id, item, &f.holder, &f.reason)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/prints/batches/{id}")).into_response()),
        Err(e) if correctable(&e) => show_batch(&s, p, id, HandoverForm::default(), Some(e)).await,
        Err(e) => Err(p.err(e)),
    }
}

async fn reprint(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<LostForm>,
) -> Result<Response, WebError> {
    match s.app.reprint_lost(&p.staff, id, &f.reason).await {
        Ok(b) => Ok(Redirect::to(&format!("/prints/batches/{}", b.id)).into_response()),
        Err(e) if correctable(&e) => show_batch(&s, p, id, HandoverForm::default(), Some(e)).await,
        Err(e) => Err(p.err(e)),
    }
}

async fn given(
    State(s): State<AppState>,
    p: Page,
    Path(item): Path<i64>,
) -> Result<Response, WebError> {
    let batch = batch_of_item(&s, &p, item).await?;
    let done = s.app.give_prints(&p.staff, item).await;
    back_to_batch(&s, p, batch, done).await
}

/// The department records a posted sheet its student handed in (seed 004).
async fn returned(
    State(s): State<AppState>,
    p: Page,
    Path(item): Path<i64>,
) -> Result<Response, WebError> {
    let batch = batch_of_item(&s, &p, item).await?;
    let done = s.app.record_prints_returned(&p.staff, item).await;
    back_to_batch(&s, p, batch, done).await
}

async fn batch_of_item(s: &AppState, p: &Page, item: i64) -> Result<i64, WebError> {
    Ok(s.app
        .db
        .print_item(item)
        .await
        .map_err(|e| p.err(e.into()))?
        .batch_id)
}

/// After a sheet's action: back to its batch, or the batch with the refusal shown.
async fn back_to_batch(
    s: &AppState,
    p: Page,
    batch: i64,
    done: Result<(), AppError>,
) -> Result<Response, WebError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/prints/batches/{batch}")).into_response()),
        Err(e) if correctable(&e) => {
            show_batch(s, p, batch, HandoverForm::default(), Some(e)).await
        }
        Err(e) => Err(p.err(e)),
    }
}
