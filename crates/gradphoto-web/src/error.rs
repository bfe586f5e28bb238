//! The one mapping from use-case errors to HTTP. JSON for `/api`, a page for browsers.
//! Internal details are logged once here and never sent to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use gradphoto_app::AppError;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::roster::RowError;

use gradphoto_domain::i18n::Lang;

/// An error on its way out, with what is needed to render it.
#[derive(Debug)]
pub struct WebError {
    pub error: AppError,
    /// Render as JSON (API) rather than as a page.
    pub json: bool,
    pub lang: Lang,
    /// Where a browser should go to sign in.
    pub login_next: Option<String>,
}

impl WebError {
    pub fn page(error: AppError, lang: Lang) -> WebError {
        WebError {
            error,
            json: false,
            lang,
            login_next: None,
        }
    }
    pub fn api(error: AppError) -> WebError {
        WebError {
            error,
            json: true,
            lang: Lang::Zh,
            login_next: None,
        }
    }
}

pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Invalid(_) | AppError::ImportRejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Config(_) | AppError::Internal(_) | AppError::Db(_) => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// The body of every API error: a stable code and the message in both languages.
#[derive(serde::Serialize)]
pub struct ErrorJson<'a> {
    pub error: &'a Msg,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<&'a [RowError]>,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = status_of(&self.error);
        if status.is_server_error() {
            tracing::error!(error = %self.error, "request failed");
        }
        if matches!(self.error, AppError::Unauthenticated) && !self.json {
            let next = self.login_next.unwrap_or_else(|| "/".into());
            let enc =
                percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC);
            return Redirect::to(&format!("/login?next={enc}")).into_response();
        }
        let msg = self.error.message();
        let rows = match &self.error {
            AppError::ImportRejected(r) => Some(r.as_slice()),
            _ => None,
        };
        if self.json {
            return (status, axum::Json(ErrorJson { error: &msg, rows })).into_response();
        }
        let page =
            crate::pages::ErrorPage::new(self.lang, status, msg, rows.map(<[RowError]>::to_vec));
        (status, page).into_response()
    }
}
