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

use askama::Template;
use axum::Router;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gradphoto_domain::i18n::{Lang, Msg};
use gradphoto_pdf::Font;
use gradphoto_pdf::shooting_sheet::{SheetHead, SheetRow, shooting_sheet};
use gradphoto_station::{CameraView, Shot, Station, StationError};

use crate::i18n::{LANG_COOKIE, UiLang};
use crate::pages::forms::{field, int, pairs};

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
        .route("/", get(desk))
        .route("/checkin", post(check_in))
        .route("/camera", get(camera))
        .route("/camera/call", post(call))
        .route("/camera/skip", post(skip))
        .route("/camera/photo", post(photo))
        .route("/confirm", get(confirm).post(confirm_photo))
        .route("/display", get(display))
        .route("/photos/{id}/standard.jpg", get(image))
        .route("/sheet.pdf", get(sheet))
        .route("/lang/{lang}", get(set_lang))
        .route("/static/app.css", get(crate::pages::stylesheet))
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
struct Head {
    station: String,
    campaign: String,
    campus: String,
    place: String,
    day: String,
    window: String,
    queue: String,
    pending: usize,
}

async fn head(s: &Station) -> Result<Head, StationError> {
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
    })
}

fn text(lang: Lang, e: &StationError) -> String {
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
fn failed(lang: Lang, e: &StationError) -> Response {
    let status = match e {
        StationError::NoPack => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, text(lang, e)).into_response()
}

fn page<T: Template>(status: StatusCode, t: &T) -> Response {
    (status, crate::pages::render(t)).into_response()
}

// ---- the desk ----

struct DeskRow {
    number: i64,
    student_no: String,
    name_masked: String,
    stage: String,
    pushed: String,
}

struct LastCheckin {
    number: i64,
    name_masked: String,
    student_no: String,
    department: String,
    new: bool,
    walk_in: bool,
}

#[derive(Template)]
#[template(path = "offline_desk.html")]
struct DeskPage {
    zh: bool,
    refresh: bool,
    head: Head,
    error: Option<String>,
    last: Option<LastCheckin>,
    rows: Vec<DeskRow>,
}

impl DeskPage {
    fn tr<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.zh { zh } else { en }
    }
}

async fn desk_page(
    s: &Station,
    lang: Lang,
    last: Option<LastCheckin>,
    error: Option<String>,
) -> Result<DeskPage, StationError> {
    let mut rows = Vec::new();
    for r in s.checkins().await?.into_iter().rev() {
        let st = s.student(r.student_id).await?;
        rows.push(DeskRow {
            number: r.number,
            student_no: st.student_no,
            name_masked: st.name_masked,
            stage: r.stage,
            pushed: match (r.pushed_version >= r.version, r.push_outcome) {
                (true, Some(o)) => o,
                _ => "—".into(),
            },
        });
    }
    Ok(DeskPage {
        zh: lang == Lang::Zh,
        refresh: false,
        head: head(s).await?,
        error,
        last,
        rows,
    })
}

async fn desk(State(s): State<Station>, UiLang(lang): UiLang) -> Response {
    match desk_page(&s, lang, None, None).await {
        Ok(p) => page(StatusCode::OK, &p),
        Err(e) => failed(lang, &e),
    }
}

async fn check_in(
    State(s): State<Station>,
    UiLang(lang): UiLang,
    body: axum::body::Bytes,
) -> Response {
    let form = pairs(&body);
    let (last, error, status) = match s.check_in(field(&form, "code"), "offline desk").await {
        Ok(c) => (
            Some(LastCheckin {
                number: c.row.number,
                name_masked: c.student.name_masked.clone(),
                student_no: c.student.student_no.clone(),
                department: c.student.department.clone(),
                new: c.new,
                walk_in: c.walk_in,
            }),
            None,
            StatusCode::OK,
        ),
        Err(e @ StationError::Refused(_)) => {
            (None, Some(text(lang, &e)), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => return failed(lang, &e),
    };
    match desk_page(&s, lang, last, error).await {
        Ok(p) => page(status, &p),
        Err(e) => failed(lang, &e),
    }
}

// ---- the camera and the confirmation ----

struct Current {
    number: i64,
    name_masked: String,
    student_no: String,
    stage: String,
    photo: Option<PhotoShown>,
    reasons: Vec<String>,
}

struct PhotoShown {
    id: i64,
    verdict: String,
}

#[derive(Template)]
#[template(path = "offline_camera.html")]
struct CameraPage {
    zh: bool,
    refresh: bool,
    head: Head,
    error: Option<String>,
    refused: Vec<String>,
    current: Option<Current>,
    next: Vec<i64>,
    waiting: usize,
    confirmed: usize,
}

impl CameraPage {
    fn tr<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.zh { zh } else { en }
    }
}

#[derive(Template)]
#[template(path = "offline_confirm.html")]
struct ConfirmPage {
    zh: bool,
    refresh: bool,
    head: Head,
    error: Option<String>,
    done: Option<i64>,
    current: Option<Current>,
}

impl ConfirmPage {
    fn tr<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.zh { zh } else { en }
    }
}

#[derive(Template)]
#[template(path = "offline_display.html")]
struct DisplayPage {
    zh: bool,
    head: Head,
    current: Option<i64>,
    next: Vec<i64>,
}

impl DisplayPage {
    fn tr<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.zh { zh } else { en }
    }
}

fn current_of(lang: Lang, v: &CameraView) -> Option<Current> {
    v.current.as_ref().map(|c| Current {
        number: c.checkin.number,
        name_masked: c.student.name_masked.clone(),
        student_no: c.student.student_no.clone(),
        stage: c.checkin.stage.clone(),
        reasons: c
            .photo
            .as_ref()
            .map(|p| {
                serde_json::from_str::<Vec<serde_json::Value>>(&p.reasons_json)
                    .unwrap_or_default()
                    .iter()
                    .map(|r| {
                        r[if lang == Lang::Zh { "zh" } else { "en" }]
                            .as_str()
                            .unwrap_or("")
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default(),
        photo: c.photo.as_ref().map(|p| PhotoShown {
            id: p.id,
            verdict: p.verdict.clone(),
        }),
    })
}

async fn camera_page(
    s: &Station,
    lang: Lang,
    error: Option<String>,
    refused: Vec<String>,
) -> Result<CameraPage, StationError> {
    let v = s.camera_view().await?;
    Ok(CameraPage {
        zh: lang == Lang::Zh,
        refresh: false,
        head: head(s).await?,
        error,
        refused,
        current: current_of(lang, &v),
        next: v.next,
        waiting: v.waiting,
        confirmed: v.confirmed,
    })
}

/// Renders the camera page after a step: its refusal shown on the page.
async fn after_camera_step<T>(s: &Station, lang: Lang, step: Result<T, StationError>) -> Response {
    let (error, status) = match step {
        Ok(_) => (None, StatusCode::OK),
        Err(e @ StationError::Refused(_)) => (Some(text(lang, &e)), StatusCode::CONFLICT),
        Err(e) => return failed(lang, &e),
    };
    match camera_page(s, lang, error, Vec::new()).await {
        Ok(p) => page(status, &p),
        Err(e) => failed(lang, &e),
    }
}

async fn camera(State(s): State<Station>, UiLang(lang): UiLang) -> Response {
    after_camera_step(&s, lang, Ok(())).await
}

async fn call(State(s): State<Station>, UiLang(lang): UiLang) -> Response {
    let step = s.call_next().await;
    after_camera_step(&s, lang, step).await
}

async fn skip(State(s): State<Station>, UiLang(lang): UiLang, body: axum::body::Bytes) -> Response {
    let form = pairs(&body);
    let step = match int(&form, "number") {
        Some(n) => s.send_to_end(n).await,
        None => Err(gradphoto_station::refused_form()),
    };
    after_camera_step(&s, lang, step).await
}

async fn photo(State(s): State<Station>, UiLang(lang): UiLang, mut mp: Multipart) -> Response {
    let (mut number, mut background, mut bytes) = (None, String::from("blue"), Vec::new());
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let Ok(data) = field.bytes().await else {
                    return after_camera_step::<()>(
                        &s,
                        lang,
                        Err(gradphoto_station::refused_form()),
                    )
                    .await;
                };
                match name.as_str() {
                    "number" => number = String::from_utf8_lossy(&data).trim().parse::<i64>().ok(),
                    "background" => background = String::from_utf8_lossy(&data).trim().to_string(),
                    "photo" => bytes = data.to_vec(),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => {
                return after_camera_step::<()>(&s, lang, Err(gradphoto_station::refused_form()))
                    .await;
            }
        }
    }
    let Some(number) = number else {
        return after_camera_step::<()>(&s, lang, Err(gradphoto_station::refused_form())).await;
    };
    match s
        .take_photo(number, bytes, &background, "upload", "offline camera")
        .await
    {
        Ok(Shot::Refused(report)) => {
            let reasons = report
                .reasons
                .iter()
                .map(|r| {
                    if lang == Lang::Zh {
                        r.zh.clone()
                    } else {
                        r.en.clone()
                    }
                })
                .collect();
            match camera_page(&s, lang, None, reasons).await {
                Ok(p) => page(StatusCode::UNPROCESSABLE_ENTITY, &p),
                Err(e) => failed(lang, &e),
            }
        }
        other => after_camera_step(&s, lang, other).await,
    }
}

async fn confirm_page(
    s: &Station,
    lang: Lang,
    error: Option<String>,
    done: Option<i64>,
) -> Result<ConfirmPage, StationError> {
    let v = s.camera_view().await?;
    let current = current_of(lang, &v);
    Ok(ConfirmPage {
        zh: lang == Lang::Zh,
        // Follows the camera until there is a photo to confirm.
        refresh: current.as_ref().is_none_or(|c| c.stage != "photographed"),
        head: head(s).await?,
        error,
        done,
        current,
    })
}

async fn confirm(State(s): State<Station>, UiLang(lang): UiLang) -> Response {
    match confirm_page(&s, lang, None, None).await {
        Ok(p) => page(StatusCode::OK, &p),
        Err(e) => failed(lang, &e),
    }
}

async fn confirm_photo(
    State(s): State<Station>,
    UiLang(lang): UiLang,
    body: axum::body::Bytes,
) -> Response {
    let form = pairs(&body);
    let step = match (int(&form, "number"), int(&form, "photo")) {
        (Some(n), Some(p)) => s.confirm(n, p).await,
        _ => Err(gradphoto_station::refused_form()),
    };
    let (error, done, status) = match step {
        Ok(row) => (None, Some(row.number), StatusCode::OK),
        Err(e @ StationError::Refused(_)) => (Some(text(lang, &e)), None, StatusCode::CONFLICT),
        Err(e) => return failed(lang, &e),
    };
    match confirm_page(&s, lang, error, done).await {
        Ok(p) => page(status, &p),
        Err(e) => failed(lang, &e),
    }
}

async fn display(State(s): State<Station>, UiLang(lang): UiLang) -> Response {
    let built = async {
        let v = s.camera_view().await?;
        Ok::<_, StationError>(DisplayPage {
            zh: lang == Lang::Zh,
            head: head(&s).await?,
            current: v.current.map(|c| c.checkin.number),
            next: v.next,
        })
    }
    .await;
    match built {
        Ok(p) => page(StatusCode::OK, &p),
        Err(e) => failed(lang, &e),
    }
}

async fn image(State(s): State<Station>, Path(id): Path<i64>) -> Response {
    match s.photo_image(id, true).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The queue's shooting sheet as this station has it: masked names (the pack has no
/// others), every number, and each confirmation's time.
async fn sheet(
    State(s): State<Station>,
    UiLang(lang): UiLang,
    Extension(font): Extension<Option<Arc<Font>>>,
) -> Response {
    let Some(font) = font else {
        let m = Msg::new(
            "documents.font",
            "无法生成 PDF：未找到中文字体（请运行 scripts/fetch-fonts，或用 --font 指定）",
            "Cannot make the PDF: no Chinese font (run scripts/fetch-fonts, or give --font)",
        );
        return (StatusCode::SERVICE_UNAVAILABLE, m.text(lang).to_string()).into_response();
    };
    let built = async {
        let (pack, _) = s.pack().await?;
        let mut rows = Vec::new();
        for r in s.checkins().await? {
            let st = s.student(r.student_id).await?;
            rows.push(SheetRow {
                number: r.number,
                student_no: st.student_no,
                name: st.name_masked,
                department: st.department,
                confirmed_at: r.confirmed_at.map(|t| {
                    gradphoto_domain::calendar::china_minute(t)
                        .rsplit(' ')
                        .next()
                        .unwrap_or("")
                        .to_string()
                }),
            });
        }
        let head = SheetHead {
            school_and_campaign: format!("{}　{}", pack.school_code, pack.campaign_name),
            session: format!(
                "{} {}–{}　{} {}",
                pack.session.day,
                pack.session.starts,
                pack.session.ends,
                pack.session.campus,
                pack.session.place
            ),
            queue: format!("{}（离线采集站 {}）", pack.queue.name, pack.station),
            printed_at: gradphoto_domain::calendar::china_minute(chrono_now()),
        };
        Ok::<_, StationError>(shooting_sheet(&head, &rows))
    }
    .await;
    let doc = match built {
        Ok(d) => d,
        Err(e) => return failed(lang, &e),
    };
    match tokio::task::spawn_blocking(move || gradphoto_pdf::render(&doc, &font)).await {
        Ok(Ok(pdf)) => ([(header::CONTENT_TYPE, "application/pdf")], pdf).into_response(),
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, format!("PDF: {e}")).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("PDF: {e}")).into_response(),
    }
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
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
