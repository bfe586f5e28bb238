//! The pages of an offline station (`gradphoto station serve`): the check-in desk, the
//! camera, the student's confirmation screen and the call display, served on the site
//! laptop from the station's own store, with no server and no network. The screens act
//! on the number they show (a hidden field), as the server's do, so a page left open
//! after the camera moved on is refused rather than binding a photo to the wrong student.
//!
//! There are no accounts here: the site's screens (the desk, the camera, the tablet
//! facing the student, the TV) open the address `gradphoto station serve` prints, whose
//! key is remembered in a cookie; a device on the venue's network without it gets
//! nothing. A form posted from another origin is refused as well.

mod camera;
mod desk;

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gradphoto_domain::i18n::{Lang, Msg};
use gradphoto_pdf::Font;
use gradphoto_station::{Station, StationError};

use crate::i18n::LANG_COOKIE;

/// Serves the station's pages until the process stops. `key` is the site's key (see the
/// module); `font` prints the shooting sheet (without it the sheet is refused with the
/// reason).
pub async fn serve(
    station: Station,
    key: String,
    font: Option<Arc<Font>>,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    axum::serve(listener, router(station, key, font)).await
}

/// The cookie that carries the site's key.
pub const KEY_COOKIE: &str = "gp_station_key";

pub fn router(station: Station, key: String, font: Option<Arc<Font>>) -> Router {
    Router::new()
        .route("/", get(desk::desk))
        .route("/checkin", post(desk::check_in))
        .route("/camera", get(camera::camera))
        .route("/camera/call", post(camera::call))
        .route("/camera/skip", post(camera::skip))
        .route("/camera/photo", post(camera::photo))
        .route("/confirm", get(camera::confirm).post(camera::confirm_photo))
        .route("/display", get(camera::display))
        .route("/photos/{id}/standard.jpg", get(camera::image))
        .route("/sheet.pdf", get(desk::sheet))
        .route("/lang/{lang}", get(set_lang))
        .route("/static/app.css", get(crate::pages::stylesheet))
        // The camera at the desk: the browser's barcode detector reads the code offline.
        .route("/static/scan.js", get(crate::pages::scan_js))
        .layer(axum::middleware::from_fn(same_origin))
        .layer(axum::middleware::from_fn_with_state(
            Arc::<str>::from(key),
            with_key,
        ))
        .layer(Extension(font))
        .layer(axum::extract::DefaultBodyLimit::max(
            gradphoto_station::MAX_PHOTO_BYTES + (1 << 20),
        ))
        .with_state(station)
}

/// Lets in requests with the site's key: in the cookie, or once in the address
/// (`?key=…`), which then sets the cookie.
async fn with_key(State(key): State<Arc<str>>, req: Request, next: Next) -> Response {
    let from_cookie = crate::session::cookie(req.headers(), KEY_COOKIE);
    let from_query = req.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "key")
            .map(|(_, v)| v.into_owned())
    });
    let ok = |v: &Option<String>| v.as_deref().is_some_and(|v| same_key(v, &key));
    if ok(&from_cookie) {
        return next.run(req).await;
    }
    if ok(&from_query) {
        let mut res = next.run(req).await;
        if let Ok(v) = axum::http::HeaderValue::from_str(&format!(
            "{KEY_COOKIE}={key}; Path=/; HttpOnly; SameSite=Strict"
        )) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
        return res;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "请打开 gradphoto station serve 显示的地址（含 key）。\nOpen the address gradphoto station serve printed (with its key).",
    )
        .into_response()
}

/// Compares keys in time independent of where they differ.
fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// Refuses a POST whose Origin names another site.
async fn same_origin(req: Request, next: Next) -> Response {
    if req.method() == axum::http::Method::POST {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if let Some(origin) = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            && origin.split_once("://").map(|(_, h)| h) != Some(host)
        {
            return (StatusCode::FORBIDDEN, "cross-origin form refused").into_response();
        }
    }
    next.run(req).await
}

/// What the header of every page shows.
pub(super) struct Head {
    station: String,
    campaign: String,
    campus: String,
    place: String,
    day: String,
    window: String,
    queue: String,
    pending: usize,
    /// What each number owes at the desk ("20.00"), where the campaign takes it there.
    fee_yuan: Option<String>,
}

pub(super) async fn head(s: &Station) -> Result<Head, StationError> {
    let (pack, _) = s.pack().await?;
    Ok(Head {
        station: pack.station.clone(),
        campaign: pack.campaign_name.clone(),
        campus: pack.session.campus.clone(),
        place: pack.session.place.clone(),
        day: pack.session.day.clone(),
        window: format!("{}–{}", pack.session.starts, pack.session.ends),
        queue: pack.queue.name.clone(),
        pending: s.pending_count().await?,
        fee_yuan: pack
            .fee_at_desk_fen
            .map(|f| gradphoto_domain::payments::Fen(f).yuan()),
    })
}

pub(super) fn text(lang: Lang, e: &StationError) -> String {
    match e {
        StationError::Refused(m) => m.text(lang).to_string(),
        StationError::NoPack => Msg::new(
            "station.no_pack",
            "本采集站尚未准备：请在联网时运行 gradphoto station prepare",
            "This station is not prepared: run gradphoto station prepare while online",
        )
        .text(lang)
        .to_string(),
        other => other.to_string(),
    }
}

/// An error that is not the operator's to correct: a plain page.
pub(super) fn failed(lang: Lang, e: &StationError) -> Response {
    let status = match e {
        StationError::NoPack => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, text(lang, e)).into_response()
}

pub(super) fn page<T: Template>(status: StatusCode, t: &T) -> Response {
    (status, crate::pages::render(t)).into_response()
}

async fn set_lang(Path(lang): Path<String>, headers: HeaderMap) -> Response {
    let lang = Lang::parse(&lang).unwrap_or(Lang::Zh);
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    (
        [(
            header::SET_COOKIE,
            format!(
                "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
                lang.code()
            ),
        )],
        Redirect::to(&back),
    )
        .into_response()
}
