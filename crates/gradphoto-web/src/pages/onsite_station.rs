//! The photographer's station, the student's confirmation screen and the call display
//! (叫号) of a queue. The station and the confirmation screen act on the number they
//! show (a hidden field), so a page left open after the camera moved on is refused rather
//! than binding a photo to the wrong student. The three pages follow the queue live
//! through one server-sent event stream, which polls the store so that it sees changes
//! made by any server process.

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use futures::Stream;
use gradphoto_app::AppError;
use gradphoto_app::auth::Staff;
use gradphoto_app::onsite_station::{Shot, Source, StationView};
use gradphoto_domain::policy::{Action, Resource, ResourceKind};

use super::forms::{correctable, int, pairs as form_pairs, shown};
use super::{Page, PageCtx, render};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/onsite/queues/{id}/station", get(station))
        .route("/onsite/queues/{id}/station/call", post(call_next))
        .route("/onsite/queues/{id}/station/skip", post(skip))
        .route("/onsite/queues/{id}/station/photo", post(photo))
        .route("/onsite/queues/{id}/station/choose", post(choose))
        .route("/onsite/queues/{id}/photos/{file}", get(image))
        .route(
            "/onsite/queues/{id}/confirm",
            get(confirm_screen).post(confirm),
        )
        .route("/onsite/queues/{id}/display", get(display))
        .route("/onsite/queues/{id}/events", get(events))
        .route("/onsite/checkins/{id}/reopen", post(reopen))
        .route("/static/onsite.js", get(onsite_js))
}

async fn onsite_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/onsite.js"),
    )
        .into_response()
}

fn number_of(pairs: &[(String, String)], name: &str) -> i64 {
    int(pairs, name).unwrap_or(0)
}

/// The queue's state as the live pages compare it: what is at the camera and what comes.
fn state_json(v: &StationView) -> serde_json::Value {
    serde_json::json!({
        "current": v.current.as_ref().map(|c| c.checkin.number),
        "name": v.current.as_ref().map(|c| c.name_masked.clone()),
        "stage": v.current.as_ref().map(|c| c.checkin.stage.clone()),
        "photo": v.current.as_ref().and_then(|c| c.photo.as_ref().map(|p| p.id)),
        "paid": v.current.as_ref().map(|c| c.fee.is_paid()),
        "next": v.next,
        "waiting": v.waiting,
        "confirmed": v.confirmed,
    })
}

// ---- the station ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "onsite_station.html")]
struct StationPage {
    ctx: PageCtx,
    v: StationView,
    state: String,
    error: Option<String>,
    reasons: Vec<(String, String)>,
}

async fn show_station(
    s: &AppState,
    p: Page,
    id: i64,
    error: Option<AppError>,
    reasons: Vec<(String, String)>,
) -> Result<Response, WebError> {
    let v = s.app.station(&p.staff, id).await.map_err(|e| p.err(e))?;
    let (status, error) = shown(&p.ctx, error);
    let page = StationPage {
        state: state_json(&v).to_string(),
        v,
        error,
        reasons,
        ctx: p.ctx,
    };
    Ok((status, render(&page)).into_response())
}

async fn station(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    show_station(&s, p, id, None, Vec::new()).await
}

fn back_to_station(id: i64) -> Response {
    Redirect::to(&format!("/onsite/queues/{id}/station")).into_response()
}

async fn call_next(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    match s.app.station_call_next(&p.staff, id).await {
        Ok(_) => Ok(back_to_station(id)),
        Err(e) if correctable(&e) => show_station(&s, p, id, Some(e), Vec::new()).await,
        Err(e) => Err(p.err(e)),
    }
}

async fn skip(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let number = number_of(&form_pairs(&body), "number");
    match s.app.station_send_to_end(&p.staff, id, number).await {
        Ok(_) => Ok(back_to_station(id)),
        Err(e) if correctable(&e) => show_station(&s, p, id, Some(e), Vec::new()).await,
        Err(e) => Err(p.err(e)),
    }
}

async fn photo(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    mut mp: Multipart,
) -> Result<Response, WebError> {
    let bad = super::unreadable_form;
    let (mut number, mut background, mut source, mut bytes) =
        (0_i64, String::from("blue"), Source::Upload, Vec::new());
    while let Some(field) = mp.next_field().await.map_err(|_| p.err(bad()))? {
        let name = field.name().unwrap_or("").to_string();
        let data = field.bytes().await.map_err(|_| p.err(bad()))?;
        let text = || String::from_utf8_lossy(&data).trim().to_string();
        match name.as_str() {
            "number" => number = text().parse().unwrap_or(0),
            "background" => background = text(),
            "source" => source = Source::parse(&text()),
            "photo" => bytes = data.to_vec(),
            _ => {}
        }
    }
    match s
        .app
        .station_photo(&p.staff, id, number, bytes, &background, source)
        .await
    {
        Ok(Shot::Bound(_)) => Ok(back_to_station(id)),
        Ok(Shot::Refused(report)) => {
            let reasons = report
                .reasons
                .iter()
                .map(|r| (r.code.to_string(), p.ctx.tr(&r.zh, &r.en).to_string()))
                .collect();
            let e = AppError::invalid(
                "station.photo_refused",
                "照片无法制作为标准照，请重拍",
                "The photo cannot be made standard; retake it",
            );
            show_station(&s, p, id, Some(e), reasons).await
        }
        Err(e) if correctable(&e) => show_station(&s, p, id, Some(e), Vec::new()).await,
        Err(e) => Err(p.err(e)),
    }
}

/// The photographer chooses which shot the student is shown (the fine service).
async fn choose(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let pairs = form_pairs(&body);
    let (number, photo) = (number_of(&pairs, "number"), number_of(&pairs, "photo"));
    match s.app.station_choose(&p.staff, id, number, photo).await {
        Ok(_) => Ok(back_to_station(id)),
        Err(e) if correctable(&e) => show_station(&s, p, id, Some(e), Vec::new()).await,
        Err(e) => Err(p.err(e)),
    }
}

/// `{photo}-standard.jpg` or `{photo}-upload`.
async fn image(
    State(s): State<AppState>,
    p: Page,
    Path((id, file)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let (photo, standard) = if let Some(n) = file.strip_suffix("-standard.jpg") {
        (n, true)
    } else if let Some(n) = file.strip_suffix("-upload") {
        (n, false)
    } else {
        return Err(p.err(AppError::not_found()));
    };
    let photo: i64 = photo.parse().map_err(|_| p.err(AppError::not_found()))?;
    let bytes = s
        .app
        .station_photo_image(&p.staff, id, photo, standard)
        .await
        .map_err(|e| p.err(e))?;
    Ok(super::forms::image(bytes))
}

// ---- the student's confirmation screen ------------------------------------------------

#[derive(Template)]
#[template(path = "onsite_confirm.html")]
struct ConfirmPage {
    ctx: PageCtx,
    v: StationView,
    state: String,
    error: Option<String>,
    /// The number just confirmed, to thank the student.
    done: Option<i64>,
}

async fn show_confirm(
    s: &AppState,
    p: Page,
    id: i64,
    error: Option<AppError>,
    done: Option<i64>,
) -> Result<Response, WebError> {
    let v = s.app.station(&p.staff, id).await.map_err(|e| p.err(e))?;
    let (status, error) = shown(&p.ctx, error);
    let page = ConfirmPage {
        state: state_json(&v).to_string(),
        v,
        error,
        done,
        ctx: p.ctx,
    };
    Ok((status, render(&page)).into_response())
}

/// `?done=N` thanks the student whose number was just confirmed (the screen is
/// redirected there after the confirmation, so a reload never confirms twice).
#[derive(serde::Deserialize)]
struct Done {
    done: Option<i64>,
}

async fn confirm_screen(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    show_confirm(&s, p, id, None, q.done).await
}

async fn confirm(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let pairs = form_pairs(&body);
    let (number, photo) = (number_of(&pairs, "number"), number_of(&pairs, "photo"));
    match s.app.station_confirm(&p.staff, id, number, photo).await {
        Ok(row) => Ok(
            Redirect::to(&format!("/onsite/queues/{id}/confirm?done={}", row.number))
                .into_response(),
        ),
        Err(e) if correctable(&e) => show_confirm(&s, p, id, Some(e), None).await,
        Err(e) => Err(p.err(e)),
    }
}

async fn reopen(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let pairs = form_pairs(&body);
    let reason = pairs
        .iter()
        .find(|(k, _)| k == "reason")
        .map_or("", |(_, v)| v.as_str());
    let row = s
        .app
        .reopen_checkin(&p.staff, id, reason)
        .await
        .map_err(|e| p.err(e))?;
    Ok(Redirect::to(&format!("/onsite/queues/{}/desk", row.queue_id)).into_response())
}

// ---- the call display and the live stream -----------------------------------------------

#[derive(Template)]
#[template(path = "onsite_display.html")]
struct DisplayPage {
    ctx: PageCtx,
    v: StationView,
    state: String,
}

async fn display(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let v = s.app.station(&p.staff, id).await.map_err(|e| p.err(e))?;
    Ok(render(&DisplayPage {
        state: state_json(&v).to_string(),
        v,
        ctx: p.ctx,
    }))
}

/// How often the stream looks at the queue: a number called is on the screen within it.
const POLL: Duration = Duration::from_millis(700);

/// Server-sent events: a `state` event whenever the queue's state changes.
async fn events(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, WebError> {
    // Checked once here; the stream then reads as this person.
    s.app.station(&p.staff, id).await.map_err(|e| p.err(e))?;
    let app = s.app.clone();
    let staff: Staff = p.staff;
    let stream = futures::stream::unfold(
        (app, staff, String::new(), true),
        move |(app, staff, last, first)| async move {
            let mut wait = !first;
            loop {
                if wait {
                    tokio::time::sleep(POLL).await;
                }
                wait = true;
                let state = match app.station(&staff, id).await {
                    Ok(v) => state_json(&v).to_string(),
                    // The queue went away or access ended: close the stream.
                    Err(_) => return None,
                };
                if state != last {
                    let ev = Event::default().event("state").data(state.clone());
                    return Some((Ok(ev), (app, staff, state, false)));
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Whether this person may reopen confirmed numbers (university or agency admins).
pub(crate) fn may_reopen(staff: &Staff, university_id: i64) -> bool {
    staff
        .may(
            Action::Update,
            Resource::of_university(ResourceKind::Onsite, university_id),
        )
        .is_ok()
}
