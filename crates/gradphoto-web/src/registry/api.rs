//! The registry's JSON API (v1):
//! - `GET  /registry/v1/keys`: the published key set with the revocation list; public and
//!   cacheable (`Cache-Control`, `ETag`, `If-None-Match`).
//! - `PUT  /registry/v1/students`: a school reports its students (all-or-nothing).
//! - `POST /registry/v1/photos`: an agency submits a sealed photo for a code, with an
//!   `Idempotency-Key` header; a replay answers `200` with the first result, a new
//!   submission `201`.
//! - `PUT  /registry/v1/windows`: a school sets a verification window for a graduation year.
//! - `GET  /registry/v1/reports?after=ID`: a school reads its students' error reports.
//! - `POST /registry/v1/reports/{id}/resolution`: a school resolves one (before the freeze).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine;
use gradphoto_app::AppError;
use gradphoto_registry::{Client, Registry, ReportedStudent, Submission};
use serde::Deserialize;

use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/keys", get(keys))
        .route("/students", put(report_students))
        .route("/photos", post(submit_photo))
        .route("/windows", put(set_window))
        .route("/reports", get(reports))
        .route("/reports/{id}/resolution", post(resolve))
}

/// How long clients may cache the key set. Short: a revocation must reach desks soon.
const KEYS_MAX_AGE_S: u32 = 300;

fn err(e: impl Into<AppError>) -> WebError {
    WebError::api(e.into())
}

fn registry(s: &AppState) -> Result<&Registry, WebError> {
    s.app.registry().map_err(WebError::api)
}

async fn client(reg: &Registry, headers: &HeaderMap) -> Result<Client, WebError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    reg.authenticate(token.trim()).await.map_err(err)
}

fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, WebError> {
    serde_json::from_slice(body).map_err(|e| {
        err(AppError::invalid(
            "request.bad_json",
            format!("请求内容不是有效的 JSON：{e}"),
            format!("The request body is not valid JSON: {e}"),
        ))
    })
}

async fn keys(State(s): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let set = registry(&s)?.public_keys().await.map_err(err)?;
    // The issue time changes on every call; the tag covers what a client acts on.
    let tagged = serde_json::json!({ "keys": set.keys, "revoked": set.revoked });
    let etag = format!(
        "\"{}\"",
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(&<sha2::Sha256 as sha2::Digest>::digest(tagged.to_string().as_bytes())[..16])
    );
    let mut h = HeaderMap::new();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_str(&format!("public, max-age={KEYS_MAX_AGE_S}"))
            .unwrap_or(HeaderValue::from_static("no-cache")),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if unchanged {
        return Ok((StatusCode::NOT_MODIFIED, h).into_response());
    }
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok((h, set.to_json()).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportJson {
    students: Vec<ReportedStudent>,
}

async fn report_students(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let reg = registry(&s)?;
    let who = client(reg, &headers).await?;
    let report: ReportJson = json_body(&body)?;
    let counts = reg
        .report_students(&who, &report.students)
        .await
        .map_err(err)?;
    Ok(Json(counts).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhotoJson {
    /// The collection code text.
    code: String,
    /// The sealed photo (`GPS1` wire form), standard base64.
    sealed: String,
    /// `blue` (default), `white` or `grey`.
    #[serde(default)]
    background: Option<String>,
}

async fn submit_photo(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let reg = registry(&s)?;
    let who = client(reg, &headers).await?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let p: PhotoJson = json_body(&body)?;
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(p.sealed.trim())
        .map_err(|_| {
            err(AppError::invalid(
                "request.bad_base64",
                "sealed 字段不是有效的 base64",
                "The sealed field is not valid base64",
            ))
        })?;
    let r = reg
        .submit_photo(
            &who,
            &Submission {
                idempotency_key: key,
                code: &p.code,
                sealed: &sealed,
                background: p.background.as_deref(),
            },
        )
        .await
        .map_err(err)?;
    let status = if r.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(r)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowJson {
    graduation_year: i64,
    opens_on: chrono::NaiveDate,
    closes_on: chrono::NaiveDate,
    resolve_by: chrono::NaiveDate,
}

async fn set_window(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let reg = registry(&s)?;
    let who = client(reg, &headers).await?;
    let w: WindowJson = json_body(&body)?;
    let set = reg
        .set_window(
            &who,
            w.graduation_year,
            &gradphoto_registry::Window {
                opens_on: w.opens_on,
                closes_on: w.closes_on,
                resolve_by: w.resolve_by,
            },
        )
        .await
        .map_err(err)?;
    Ok(Json(set).into_response())
}

#[derive(Deserialize)]
struct AfterQuery {
    #[serde(default)]
    after: i64,
}

async fn reports(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<AfterQuery>,
) -> Result<Response, WebError> {
    let reg = registry(&s)?;
    let who = client(reg, &headers).await?;
    let list = reg.school_reports(&who, q.after).await.map_err(err)?;
    Ok(Json(serde_json::json!({ "reports": list })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolutionJson {
    resolution: String,
    #[serde(default)]
    note: Option<String>,
    /// Who resolved it at the school (shown in the record).
    by: String,
}

async fn resolve(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let reg = registry(&s)?;
    let who = client(reg, &headers).await?;
    let r: ResolutionJson = json_body(&body)?;
    reg.resolve_report(
        &who,
        id,
        &r.resolution,
        r.note.as_deref(),
        &r.by,
        gradphoto_registry::china_today(),
    )
    .await
    .map_err(err)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
