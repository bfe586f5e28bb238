//! Offline stations for a campaign's admins: which queues a station holds (and giving one
//! back when a laptop is lost), and the conflicts stations pushed, each decided by hand.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gradphoto_app::AppError;
use gradphoto_app::onsite_offline::{OfflineStations, Resolution};

use super::forms::{field, pairs};
use super::{Page, PageCtx, render};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{id}/onsite/stations", get(stations))
        .route("/onsite/conflicts/{id}/resolve", post(resolve))
        .route("/onsite/queues/{id}/release", post(release))
}

#[derive(Template)]
#[template(path = "onsite_offline.html")]
struct StationsPage {
    ctx: PageCtx,
    v: OfflineStations,
    error: Option<String>,
}

async fn show(
    s: &AppState,
    p: Page,
    id: i64,
    error: Option<AppError>,
) -> Result<Response, WebError> {
    let v = s
        .app
        .offline_stations(&p.staff, id)
        .await
        .map_err(|e| p.err(e))?;
    let (status, error) = super::forms::shown(&p.ctx, error);
    Ok((
        status,
        render(&StationsPage {
            v,
            error,
            ctx: p.ctx,
        }),
    )
        .into_response())
}

async fn stations(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    show(&s, p, id, None).await
}

async fn resolve(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let form = pairs(&body);
    let Some(resolution) = Resolution::parse(field(&form, "resolution")) else {
        return Err(p.err(super::unreadable_form()));
    };
    let campaign = s
        .app
        .db
        .onsite_conflict(id)
        .await
        .map_err(|e| p.err(e.into()))?
        .campaign_id;
    match s
        .app
        .resolve_station_conflict(&p.staff, id, resolution, field(&form, "note"))
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/campaigns/{campaign}/onsite/stations")).into_response())
        }
        Err(e) if super::forms::correctable(&e) => show(&s, p, campaign, Some(e)).await,
        Err(e) => Err(p.err(e)),
    }
}

async fn release(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let desk = s.app.desk_queue(&p.staff, id).await.map_err(|e| p.err(e))?;
    s.app
        .release_station_queue(&p.staff, id, None)
        .await
        .map_err(|e| p.err(e))?;
    Ok(Redirect::to(&format!("/campaigns/{}/onsite/stations", desk.campaign.id)).into_response())
}
