//! Staff sessions in the browser: an opaque random token in a `Secure; HttpOnly;
//! SameSite=Lax` cookie (or a Bearer header for API clients), looked up on every request.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, OriginalUri};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use gradphoto_app::AppError;
use gradphoto_app::auth::Staff;

use crate::AppState;
use crate::error::WebError;
use crate::i18n::lang_of;

pub const SESSION_COOKIE: &str = "gp_session";

/// Reads one cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value. `max_age` of 0 deletes the cookie.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_s: i64,
    secure: bool,
    http_only: bool,
    same_site: &str,
) -> String {
    let mut c = format!("{name}={value}; Path=/; Max-Age={max_age_s}; SameSite={same_site}");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// The client address, for throttling and the audit log.
pub fn client_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The session token of a request: the cookie, or `Authorization: Bearer`.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE).or_else(|| {
        headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string())
    })
}

/// A signed-in staff member; requests without a live session are refused (API) or sent
/// to the login page (browser).
pub struct CurrentStaff(pub Staff);

impl FromRequestParts<AppState> for CurrentStaff {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<CurrentStaff, WebError> {
        // Inside the nested `/api` router `parts.uri` has lost its prefix; the original
        // URI still has it.
        let json = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(parts.uri.path(), |u| u.0.path())
            .starts_with("/api/");
        let lang = lang_of(parts);
        let fail = |error: AppError| WebError {
            error,
            json,
            lang,
            login_next: Some(
                parts
                    .uri
                    .path_and_query()
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "/".into()),
            ),
        };
        let Some(token) = session_token(&parts.headers) else {
            return Err(fail(AppError::Unauthenticated));
        };
        match state.app.session(&token, Some(client_ip(parts))).await {
            Ok(Some(staff)) => Ok(CurrentStaff(staff)),
            Ok(None) => Err(fail(AppError::Unauthenticated)),
            Err(e) => Err(fail(e)),
        }
    }
}

/// The staff member if signed in, for pages that also work signed out.
pub struct MaybeStaff(pub Option<Staff>);

impl FromRequestParts<AppState> for MaybeStaff {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<MaybeStaff, WebError> {
        match CurrentStaff::from_request_parts(parts, state).await {
            Ok(CurrentStaff(s)) => Ok(MaybeStaff(Some(s))),
            Err(WebError {
                error: AppError::Unauthenticated,
                ..
            }) => Ok(MaybeStaff(None)),
            Err(e) => Err(e),
        }
    }
}

/// The client address, as an extractor.
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientIp, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}
