//! The station's JSON API, for `gradphoto station` (a tethered camera's hot folder) and
//! other tools at the camera: the number at the camera, and a photo for it. The photo
//! names the number it was taken for; the store refuses it if the camera moved on, so a
//! late file can never land on the next student.

use axum::Json;
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gradphoto_app::AppError;
use gradphoto_app::onsite_station::{Shot, Source};
use serde_json::json;

use crate::AppState;
use crate::error::WebError;
use crate::session::CurrentStaff;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/onsite/queues/{id}/station", get(state))
        .route("/onsite/queues/{id}/station/photo", post(photo))
}

fn api(e: AppError) -> WebError {
    WebError::api(e)
}

async fn state(
    State(s): State<AppState>,
    CurrentStaff(staff): CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let v = s.app.station(&staff, id).await.map_err(api)?;
    Ok(Json(json!({
        "queue_id": v.desk.queue.id,
        "queue": v.desk.queue.name,
        "current": v.current.as_ref().map(|c| json!({
            "number": c.checkin.number,
            "stage": c.checkin.stage,
            "name_masked": c.name_masked,
            "student_no": c.student_no,
            "photo_id": c.photo.as_ref().map(|p| p.id),
            "verdict": c.photo.as_ref().map(|p| p.verdict.clone()),
        })),
        "next": v.next,
        "waiting": v.waiting,
        "confirmed": v.confirmed,
    }))
    .into_response())
}

/// Multipart: `number` (the number the photo was taken for), `photo`, and optionally
/// `background` (blue, white, grey) and `source` (upload, webcam, hot_folder).
async fn photo(
    State(s): State<AppState>,
    CurrentStaff(staff): CurrentStaff,
    Path(id): Path<i64>,
    mut mp: Multipart,
) -> Result<Response, WebError> {
    let bad = || api(crate::pages::unreadable_form());
    let (mut number, mut background, mut source, mut bytes) =
        (None, String::from("blue"), Source::Upload, Vec::new());
    while let Some(field) = mp.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or("").to_string();
        let data = field.bytes().await.map_err(|_| bad())?;
        let text = || String::from_utf8_lossy(&data).trim().to_string();
        match name.as_str() {
            "number" => number = text().parse::<i64>().ok(),
            "background" => background = text(),
            "source" => source = Source::parse(&text()),
            "photo" => bytes = data.to_vec(),
            _ => {}
        }
    }
    let Some(number) = number else {
        return Err(api(AppError::invalid(
            "station.number_missing",
            "请注明照片所拍的号",
            "Say which number the photo was taken for",
        )));
    };
    match s
        .app
        .station_photo(&staff, id, number, bytes, &background, source)
        .await
        .map_err(api)?
    {
        Shot::Bound(p) => {
            let reasons: serde_json::Value =
                serde_json::from_str(&p.reasons_json).unwrap_or_else(|_| json!([]));
            Ok((
                StatusCode::CREATED,
                Json(json!({
                    "bound": true, "number": number, "photo_id": p.id,
                    "verdict": p.verdict, "reasons": reasons,
                })),
            )
                .into_response())
        }
        Shot::Refused(report) => {
            let reasons: Vec<_> = report
                .reasons
                .iter()
                .map(|r| json!({ "code": r.code.to_string(), "zh": r.zh, "en": r.en }))
                .collect();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({
                    "bound": false, "number": number, "code": "station.photo_refused",
                    "zh": "照片无法制作为标准照，请重拍",
                    "en": "The photo cannot be made standard; retake it",
                    "reasons": reasons,
                })),
            )
                .into_response())
        }
    }
}
