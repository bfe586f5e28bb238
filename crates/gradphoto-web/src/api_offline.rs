//! The offline station's JSON API (`gradphoto station prepare|push|release`): take a queue
//! for the day with its pack, push back what the station did, give the queue back.

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use gradphoto_domain::onsite_offline::PushCheckin;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::error::WebError;
use crate::session::CurrentStaff;

/// A push carries photos (a camera's original and the standard image) in base64: the
/// station sends one number per request, and a camera's file is at most a few tens of MB.
const PUSH_LIMIT: usize = 64 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/onsite/queues/{id}/offline", post(prepare))
        .route(
            "/onsite/queues/{id}/offline/push",
            post(push).layer(DefaultBodyLimit::max(PUSH_LIMIT)),
        )
        .route("/onsite/queues/{id}/offline/release", post(release))
}

/// A station names itself and its store (the random id of its own database).
#[derive(Deserialize)]
struct Station {
    station: String,
    store: String,
}

/// Only the store that holds the queue gives it back.
#[derive(Deserialize)]
struct Release {
    store: String,
}

#[derive(Deserialize)]
struct Push {
    station: String,
    store: String,
    checkins: Vec<PushCheckin>,
}

async fn prepare(
    State(s): State<AppState>,
    CurrentStaff(staff): CurrentStaff,
    Path(id): Path<i64>,
    Json(body): Json<Station>,
) -> Result<Response, WebError> {
    let pack = s
        .app
        .station_pack(&staff, id, &body.station, &body.store)
        .await
        .map_err(WebError::api)?;
    Ok(Json(pack).into_response())
}

async fn push(
    State(s): State<AppState>,
    CurrentStaff(staff): CurrentStaff,
    Path(id): Path<i64>,
    Json(body): Json<Push>,
) -> Result<Response, WebError> {
    let answers = s
        .app
        .station_push(&staff, id, &body.station, &body.store, &body.checkins)
        .await
        .map_err(WebError::api)?;
    Ok(Json(json!({ "answers": answers })).into_response())
}

async fn release(
    State(s): State<AppState>,
    CurrentStaff(staff): CurrentStaff,
    Path(id): Path<i64>,
    Json(body): Json<Release>,
) -> Result<Response, WebError> {
    let released = s
        .app
        .release_station_queue(&staff, id, Some(&body.store))
        .await
        .map_err(WebError::api)?;
    Ok(Json(json!({ "released": released })).into_response())
}
