//! What many pages do alike: read a URL-encoded form whose fields may repeat, decide which
//! use-case errors a page shows in place (the person can correct them), and answer with a
//! stored image or a PDF.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gradphoto_app::AppError;

use super::PageCtx;
use crate::error::status_of;

/// The fields of a URL-encoded body, in order, repeats kept (checkbox lists).
pub fn pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The first value of `name`, or "".
pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The first value of `name` as a whole number.
pub fn int(pairs: &[(String, String)], name: &str) -> Option<i64> {
    field(pairs, name).trim().parse().ok()
}

/// A refusal the person can correct is shown on the page itself; any other error becomes
/// an error page.
pub fn correctable(e: &AppError) -> bool {
    matches!(e, AppError::Invalid(_) | AppError::Conflict(_))
}

/// The status of a page shown with `error`, and the error's text in the page's language.
pub fn shown(ctx: &PageCtx, error: Option<AppError>) -> (StatusCode, Option<String>) {
    let status = error.as_ref().map(status_of).unwrap_or(StatusCode::OK);
    (status, error.map(|e| ctx.msg(&e.message()).to_string()))
}

/// A stored photo: only the two formats the engine accepts are served as images; nothing
/// is sniffed.
pub fn image(bytes: Vec<u8>) -> Response {
    let kind = if bytes.starts_with(&[0xFF, 0xD8]) {
        "image/jpeg"
    } else if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else {
        "application/octet-stream"
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "private, no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response()
}

/// A PDF shown in the browser (printable), named for saving.
pub fn pdf(filename: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// A file to save (a photo, a zip), never shown inline; `filename` is ASCII.
pub fn download(content_type: &'static str, filename: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response()
}
