//! The camera, the student's confirmation screen and the call display of an offline site.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gradphoto_domain::i18n::Lang;
use gradphoto_station::{CameraView, Shot, Station, StationError};

use super::{Head, failed, head, page, text};
use crate::i18n::UiLang;
use crate::pages::forms::{int, pairs};

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

pub(super) async fn camera(State(s): State<Station>, UiLang(lang): UiLang) -> Response {
    after_camera_step(&s, lang, Ok(())).await
}

pub(super) async fn call(State(s): State<Station>, UiLang(lang): UiLang) -> Response {
    let step = s.call_next().await;
    after_camera_step(&s, lang, step).await
}

pub(super) async fn skip(
    State(s): State<Station>,
    UiLang(lang): UiLang,
    body: axum::body::Bytes,
) -> Response {
    let form = pairs(&body);
    let step = match int(&form, "number") {
        Some(n) => s.send_to_end(n).await,
        None => Err(gradphoto_station::refused_form()),
    };
    after_camera_step(&s, lang, step).await
}

pub(super) async fn photo(
    State(s): State<Station>,
    UiLang(lang): UiLang,
    mut mp: Multipart,
) -> Response {
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

pub(super) async fn confirm(State(s): State<Station>, UiLang(lang): UiLang) -> Response {
    match confirm_page(&s, lang, None, None).await {
        Ok(p) => page(StatusCode::OK, &p),
        Err(e) => failed(lang, &e),
    }
}

pub(super) async fn confirm_photo(
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

pub(super) async fn display(State(s): State<Station>, UiLang(lang): UiLang) -> Response {
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

pub(super) async fn image(State(s): State<Station>, Path(id): Path<i64>) -> Response {
    match s.photo_image(id, true).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
