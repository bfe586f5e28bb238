//! The agency's review queue: photos the engine found borderline, with the upload beside
//! the standard image made from it; approve, or reject with reasons and a date by which
//! the student submits a new one.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::NaiveDate;
use gradphoto_app::AppError;
use gradphoto_app::online_entry::china_today;
use gradphoto_app::online_photos::ReviewItem;
use gradphoto_domain::online_photo::ReviewDecision;
use serde::Deserialize;

use super::{Page, PageCtx, render};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/review", get(queue))
        .route("/review/{id}", post(decide))
        .route("/review/{id}/{file}", get(image))
}

#[derive(Template)]
#[template(path = "review.html")]
struct QueuePage {
    ctx: PageCtx,
    items: Vec<ReviewItem>,
    error: Option<String>,
    default_deadline: String,
}

async fn show(s: &AppState, p: Page, error: Option<AppError>) -> Result<Response, WebError> {
    let items = s.app.review_queue(&p.staff).await.map_err(|e| p.err(e))?;
    let (status, error) = super::forms::shown(&p.ctx, error);
    let today = china_today();
    let mut r = render(&QueuePage {
        items,
        error,
        default_deadline: (today + chrono::Days::new(7)).to_string(),
        ctx: p.ctx,
    });
    *r.status_mut() = status;
    Ok(r)
}

async fn queue(State(s): State<AppState>, p: Page) -> Result<Response, WebError> {
    show(&s, p, None).await
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    resubmit_by: String,
}

async fn decide(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, WebError> {
    let decision = match f.decision.as_str() {
        "approve" => ReviewDecision::Approve,
        "reject" => match NaiveDate::parse_from_str(f.resubmit_by.trim(), "%Y-%m-%d") {
            Ok(resubmit_by) => ReviewDecision::Reject {
                reasons: f.reasons,
                resubmit_by,
            },
            Err(_) => {
                let e = AppError::invalid(
                    "review.deadline_missing",
                    "请填写重新提交截止日期（YYYY-MM-DD）",
                    "Give the resubmission deadline (YYYY-MM-DD)",
                );
                return show(&s, p, Some(e)).await;
            }
        },
        _ => return Err(p.err(AppError::not_found())),
    };
    match s.app.review_photo(&p.staff, id, &decision).await {
        Ok(_) => Ok(Redirect::to("/review").into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => show(&s, p, Some(e)).await,
        Err(e) => Err(p.err(e)),
    }
}

/// `upload` (as the student sent it) or `standard.jpg`.
async fn image(
    State(s): State<AppState>,
    p: Page,
    Path((id, file)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let standard = match file.as_str() {
        "standard.jpg" => true,
        "upload" => false,
        _ => return Err(p.err(AppError::not_found())),
    };
    let bytes = s
        .app
        .review_image(&p.staff, id, standard)
        .await
        .map_err(|e| p.err(e))?;
    Ok(super::forms::image(bytes))
}
