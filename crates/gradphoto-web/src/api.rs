//! The JSON API, for integrations and scripts. Authentication is the same session, either
//! as the browser cookie (then CSRF applies) or as `Authorization: Bearer <token>` from
//! `POST /api/session`. Described by `/api/openapi.json`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gradphoto_app::AppError;
use gradphoto_app::campaigns::{Campaign, CampaignInput};
use gradphoto_app::onsite_checkin::Checkin;
use gradphoto_app::progress::Progress;
use gradphoto_app::roster::{ImportReport, StudentView};
use gradphoto_app::tenants::UniversityView;
use gradphoto_db::progress::VerdictRow;
use gradphoto_db::universities::UniversityRow;
use gradphoto_domain::campaign::CampaignStatus;
use gradphoto_domain::eligibility::Verdict;
use gradphoto_domain::people::mask_name;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::WebError;
use crate::session::{ClientIp, CurrentStaff, session_token};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(crate::openapi::document))
        .route("/session", post(login).delete(logout))
        .route("/me", get(me))
        .route("/universities", get(universities))
        .route("/universities/{id}", get(university))
        .route("/universities/{id}/students", get(students))
        .route("/universities/{id}/roster", post(import_roster))
        .route(
            "/universities/{id}/campaigns",
            get(campaigns).post(create_campaign),
        )
        .route("/campaigns/{id}", get(campaign))
        .route("/campaigns/{id}/status", post(set_status))
        .route("/campaigns/{id}/progress", get(progress))
        .route("/campaigns/{id}/students", get(campaign_students))
        .route("/onsite/queues/{id}/checkins", post(check_in))
}

type ApiResult<T> = Result<Json<T>, WebError>;

/// A JSON request body whose rejections answer in the API's error format, not axum's
/// plain text.
struct Body<T>(T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = WebError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Body<T>, WebError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(r) => {
                let detail = r.body_text();
                Err(api(AppError::invalid(
                    "request.bad_json",
                    format!("请求内容不是有效的 JSON：{detail}"),
                    format!("The request body is not valid JSON: {detail}"),
                )))
            }
        }
    }
}

fn api(e: AppError) -> WebError {
    WebError::api(e)
}

#[derive(Deserialize)]
struct LoginJson {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct SessionJson {
    token: String,
    username: String,
    role: String,
    university_id: Option<i64>,
    department_id: Option<i64>,
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Body(b): Body<LoginJson>,
) -> ApiResult<SessionJson> {
    let (token, s) = state
        .app
        .login(b.username.trim(), &b.password, &ip)
        .await
        .map_err(api)?;
    Ok(Json(SessionJson {
        token,
        username: s.row.username,
        role: s.actor.role.as_str().into(),
        university_id: s.actor.university_id,
        department_id: s.actor.department_id,
    }))
}

async fn logout(
    State(state): State<AppState>,
    CurrentStaff(s): CurrentStaff,
    headers: HeaderMap,
) -> Result<StatusCode, WebError> {
    if let Some(t) = session_token(&headers) {
        state.app.logout(&t, &s).await.map_err(api)?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct MeJson {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    university_id: Option<i64>,
    department_id: Option<i64>,
}

async fn me(CurrentStaff(s): CurrentStaff) -> Json<MeJson> {
    Json(MeJson {
        id: s.row.id,
        username: s.row.username.clone(),
        display_name: s.row.display_name.clone(),
        role: s.actor.role.as_str().into(),
        university_id: s.actor.university_id,
        department_id: s.actor.department_id,
    })
}

async fn universities(
    State(state): State<AppState>,
    CurrentStaff(s): CurrentStaff,
) -> ApiResult<Vec<UniversityRow>> {
    Ok(Json(state.app.list_universities(&s).await.map_err(api)?))
}

async fn university(
    State(state): State<AppState>,
    CurrentStaff(s): CurrentStaff,
    Path(id): Path<i64>,
) -> ApiResult<UniversityView> {
    Ok(Json(state.app.university(&s, id).await.map_err(api)?))
}

#[derive(Deserialize)]
struct StudentsQuery {
    department: Option<i64>,
    q: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn students(
    State(state): State<AppState>,
    CurrentStaff(s): CurrentStaff,
    Path(id): Path<i64>,
    Query(q): Query<StudentsQuery>,
) -> ApiResult<Vec<StudentView>> {
    let rows = state
        .app
        .list_students(
            &s,
            id,
            q.department,
            q.q.filter(|x| !x.trim().is_empty()),
            q.limit.unwrap_or(100),
            q.offset.unwrap_or(0),
        )
        .await
        .map_err(api)?;
    Ok(Json(rows))
}

/// The body is the file itself; `X-Filename` names it for the audit log.
async fn import_roster(
    State(state): State<AppState>,
    CurrentStaff(s): CurrentStaff,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<ImportReport> {
    // A body over the router's limit is refused by the extractor; answer in the API's
    // error format rather than axum's plain-text rejection.
    let body = body.map_err(|e| {
        api(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge(gradphoto_domain::i18n::Msg::new(
                "upload.too_large",
                "上传内容过大",
                "The upload is too large",
            ))
        } else {
            AppError::invalid(
                "upload.unreadable",
                "上传的内容无法读取",
                "The upload could not be read",
            )
        })
    })?;
    let name = headers
        .get("x-filename")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("upload");
    Ok(Json(
        state
            .app
            .import_roster(&s, id, name, &body)
            .await
            .map_err(api)?,
    ))
}

async fn campaigns(
    State(state): State<AppState>,
    CurrentStaff(s): CurrentStaff,
    Path(id): Path<i64>,
) -> ApiResult<Vec<Campaign>> {
    Ok(Json(state.app.list_campaigns(&s, id).await.map_err(api)?))
}

async fn create_campaign(
    State(state): State<AppState>,
    CurrentStaff(s): CurrentStaff,
    Path(id): Path<i64>,
    Body(b): Body<CampaignInput>,
) -> Result<Response, WebError> {
    let c = state.app.create_campaign(&s, id, &b).await.map_err(api)?;
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

async fn campaign(
    State(state): State<AppState>,
    CurrentStaff(s): CurrentStaff,
    Path(id): Path<i64>,
) -> ApiResult<Campaign> {
    Ok(Json(state.app.campaign(&s, id).await.map_err(api)?))
}

#[derive(Deserialize)]
struct StatusJson {
    to: String,
}

async fn set_status(
    State(state): State<AppState>,
    CurrentStaff(s): CurrentStaff,
    Path(id): Path<i64>,
    Body(b): Body<StatusJson>,
) -> ApiResult<Campaign> {
    let to = CampaignStatus::parse(&b.to).ok_or_else(|| {
        api(AppError::invalid(
            "campaign.bad_status",
            "未知状态",
            "Unknown status",
        ))
    })?;
    Ok(Json(
        state
            .app
            .set_campaign_status(&s, id, to)
            .await
            .map_err(api)?,
    ))
}

#[derive(Deserialize)]
struct ProgressQuery {
    department: Option<i64>,
    verdict: Option<String>,
}

async fn progress(
    State(state): State<AppState>,
    CurrentStaff(s): CurrentStaff,
    Path(id): Path<i64>,
    Query(q): Query<ProgressQuery>,
) -> ApiResult<Progress> {
    Ok(Json(
        state
            .app
            .progress(&s, id, q.department)
            .await
            .map_err(api)?,
    ))
}

async fn campaign_students(
    State(state): State<AppState>,
    CurrentStaff(s): CurrentStaff,
    Path(id): Path<i64>,
    Query(q): Query<ProgressQuery>,
) -> ApiResult<Vec<VerdictRow>> {
    let verdict = match q.verdict.as_deref() {
        None | Some("") => None,
        Some(v) => Some(Verdict::parse(v).ok_or_else(|| {
            api(AppError::invalid(
                "verdict.unknown",
                "未知结论",
                "Unknown verdict",
            ))
        })?),
    };
    Ok(Json(
        state
            .app
            .campaign_students(&s, id, q.department, verdict)
            .await
            .map_err(api)?,
    ))
}

#[derive(Deserialize)]
struct CheckinInput {
    code: String,
}

/// What a desk shows after a scan: the number and who it belongs to, the name masked as on
/// the page (the desk never shows it in full).
#[derive(Serialize)]
struct CheckinJson {
    number: i64,
    new: bool,
    queue_id: i64,
    queue: String,
    student_no: String,
    name_masked: String,
    department: String,
    walk_in: bool,
}

impl From<Checkin> for CheckinJson {
    fn from(c: Checkin) -> CheckinJson {
        CheckinJson {
            number: c.row.number,
            new: c.new,
            queue_id: c.queue.id,
            queue: c.queue.name,
            student_no: c.student.student_no,
            name_masked: mask_name(&c.student.name),
            department: c.department,
            walk_in: c.walk_in,
        }
    }
}

/// The desk's scan for scanners and kiosks that are not a browser: the same use case as the
/// desk page. 201 when the code got its number now, 200 for a rescan (the number it had,
/// possibly in another queue), so a client can tell the two apart without comparing.
async fn check_in(
    State(state): State<AppState>,
    CurrentStaff(s): CurrentStaff,
    Path(id): Path<i64>,
    Body(b): Body<CheckinInput>,
) -> Result<Response, WebError> {
    let c = state.app.check_in(&s, id, &b.code).await.map_err(api)?;
    let status = if c.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(CheckinJson::from(c))).into_response())
}
