//! The on-site fees per department (class liaisons' collections, seed 004): what each
//! department owes and has settled, the agency admin's "mark received" per department
//! (naming exactly the students shown), and the reconciliation export.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gradphoto_app::AppError;
use gradphoto_app::onsite_settlements::Fees;
use gradphoto_domain::policy::Role;

use super::universities::xlsx;
use super::{Page, PageCtx, render, yuan};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{id}/fees", get(fees))
        .route("/campaigns/{id}/fees.xlsx", get(export))
        .route("/campaigns/{id}/fees/{department}", post(settle))
}

#[derive(Template)]
#[template(path = "onsite_fees.html")]
struct FeesPage {
    ctx: PageCtx,
    f: Fees,
    can_settle: bool,
    error: Option<String>,
}

impl FeesPage {
    fn yuan<T: std::borrow::Borrow<i64>>(&self, fen: T) -> String {
        yuan(*fen.borrow())
    }
    fn due(&self, n: usize) -> String {
        yuan(
            i64::try_from(n)
                .unwrap_or(0)
                .saturating_mul(self.f.campaign.fee_fen),
        )
    }
    fn ids(&self, ids: &[i64]) -> String {
        ids.iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }
}

async fn show(
    s: &AppState,
    p: Page,
    id: i64,
    error: Option<AppError>,
) -> Result<Response, WebError> {
    let f = s
        .app
        .onsite_fees(&p.staff, id)
        .await
        .map_err(|e| p.err(e))?;
    let (status, error) = super::forms::shown(&p.ctx, error);
    let page = FeesPage {
        can_settle: p.staff.actor.role == Role::AgencyAdmin,
        f,
        error,
        ctx: p.ctx,
    };
    Ok((status, render(&page)).into_response())
}

async fn fees(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    show(&s, p, id, None).await
}

async fn settle(
    State(s): State<AppState>,
    p: Page,
    Path((id, department)): Path<(i64, i64)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let (mut shown, mut note) = (Vec::new(), String::new());
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "checkins" => shown = v.split(',').filter_map(|x| x.trim().parse().ok()).collect(),
            "note" => note = v.into_owned(),
            _ => {}
        }
    }
    match s
        .app
        .settle_department(&p.staff, id, department, &shown, &note)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/campaigns/{id}/fees")).into_response()),
        Err(e @ AppError::Conflict(_)) => show(&s, p, id, Some(e)).await,
        Err(e) => Err(p.err(e)),
    }
}

async fn export(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let bytes = s
        .app
        .export_fees(&p.staff, id, p.ctx.lang)
        .await
        .map_err(|e| p.err(e))?;
    Ok(xlsx(&format!("onsite-fees-{id}.xlsx"), bytes))
}
