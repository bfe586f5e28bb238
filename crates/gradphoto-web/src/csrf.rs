//! Cross-site request forgery protection for every state-changing request.
//!
//! Double-submit with a per-browser random token: the `gp_csrf` cookie (HttpOnly,
//! SameSite=Strict) must match the `csrf` field of the submitted form (URL-encoded or
//! multipart) or the `X-CSRF-Token` header. A cross-site page can make the browser send
//! the cookie but cannot read it, so it cannot supply the matching field. A mismatched
//! `Origin` is refused as well. API clients that authenticate with a Bearer token and send
//! no session cookie are exempt, because browsers never attach that header on their own;
//! so is the registry's API (`/registry/v1/`), which reads no cookie, and so are the payment
//! providers' notifications (`/pay/notify/`), which count only when their signature does.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use gradphoto_app::AppError;
use gradphoto_domain::i18n::Msg;

use crate::AppState;
use crate::error::WebError;
use crate::i18n::lang_of;
use crate::session::{SESSION_COOKIE, cookie, set_cookie};

pub const CSRF_COOKIE: &str = "gp_csrf";
pub const CSRF_FIELD: &str = "csrf";

/// The token of this browser, for forms to embed.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn new_token() -> String {
    let mut b = [0u8; 24];
    if getrandom::fill(&mut b).is_err() {
        // Without randomness no token can be trusted; an empty token never matches.
        return String::new();
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn well_formed(t: &str) -> bool {
    t.len() == 32
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn refused(json: bool, lang: gradphoto_domain::i18n::Lang) -> Response {
    let e = AppError::Forbidden(Msg::new(
        "csrf.invalid",
        "表单已过期或来源不明，请刷新页面后重试",
        "The form expired or came from another site; reload the page and try again",
    ));
    WebError {
        error: e,
        json,
        lang,
        login_next: None,
    }
    .into_response()
}

/// Finds the `csrf` field in a buffered form body.
async fn form_token(content_type: &str, body: &bytes::Bytes) -> Option<String> {
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return form_urlencoded::parse(body)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned());
    }
    if content_type.starts_with("multipart/form-data") {
        let boundary = multer::parse_boundary(content_type).ok()?;
        let stream = futures::stream::once(std::future::ready(Ok::<_, std::convert::Infallible>(
            body.clone(),
        )));
        let mut mp = multer::Multipart::new(stream, boundary);
        while let Ok(Some(field)) = mp.next_field().await {
            if field.name() == Some(CSRF_FIELD) {
                return field.text().await.ok();
            }
        }
    }
    None
}

pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let secure = state.app.config.security.cookie_secure;
    let existing = cookie(req.headers(), CSRF_COOKIE).filter(|t| well_formed(t));
    let fresh = existing.is_none();
    let token = existing.unwrap_or_else(new_token);
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(CsrfToken(token.clone()));
    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let bearer_only = parts.headers.contains_key(header::AUTHORIZATION)
        && cookie(&parts.headers, SESSION_COOKIE).is_none();
    let api_login = parts.method == Method::POST && parts.uri.path() == "/api/session";
    // The registry's API reads no cookie at all (bearer tokens only), so a forged
    // cross-site request carries nothing it would accept.
    let registry_api = parts.uri.path().starts_with("/registry/v1/");
    // Payment providers' notifications carry no cookie; their signatures are what count.
    let provider_notice = parts.uri.path().starts_with("/pay/notify/");
    let mut body = body;
    if unsafe_method && !bearer_only && !api_login && !registry_api && !provider_notice {
        let json = parts.uri.path().starts_with("/api/");
        let lang = lang_of(&parts);
        if let (Some(origin), Some(host)) = (
            parts.headers.get(header::ORIGIN),
            parts.headers.get(header::HOST),
        ) {
            let origin = origin.to_str().unwrap_or("");
            let host = host.to_str().unwrap_or("");
            let origin_host = origin.split("://").nth(1).unwrap_or("");
            if origin != "null" && origin_host != host {
                return refused(json, lang);
            }
        }
        if fresh || token.is_empty() {
            return refused(json, lang);
        }
        let presented = match parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
        {
            Some(h) => Some(h.to_string()),
            None => {
                let limit = state.app.config.limits.upload_max_bytes + 256 * 1024;
                let bytes = match to_bytes(body, limit).await {
                    Ok(b) => b,
                    Err(_) => {
                        return WebError {
                            error: AppError::TooLarge(Msg::new(
                                "upload.too_large",
                                "上传内容过大",
                                "The upload is too large",
                            )),
                            json,
                            lang,
                            login_next: None,
                        }
                        .into_response();
                    }
                };
                let ct = parts
                    .headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let t = form_token(&ct, &bytes).await;
                body = Body::from(bytes);
                t
            }
        };
        if !presented.is_some_and(|p| same(&p, &token)) {
            return refused(json, lang);
        }
    }
    let mut resp = next.run(Request::from_parts(parts, body)).await;
    if fresh && !token.is_empty() {
        let c = set_cookie(CSRF_COOKIE, &token, 30 * 86_400, secure, true, "Strict");
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    if resp.status() == StatusCode::OK {
        resp.headers_mut()
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_well_formed() {
        let a = new_token();
        assert!(well_formed(&a), "{a}");
        assert_ne!(a, new_token());
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &new_token()));
        assert!(!well_formed("short"));
    }

    #[tokio::test]
    async fn finds_the_field_in_both_form_encodings() {
        let url = bytes::Bytes::from_static(b"a=1&csrf=tok%2Den&b=2");
        assert_eq!(
            form_token("application/x-www-form-urlencoded", &url)
                .await
                .as_deref(),
            Some("tok-en")
        );
        let mp = bytes::Bytes::from_static(
            b"--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nx,y\r\n--XX\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XX--\r\n",
        );
        assert_eq!(
            form_token("multipart/form-data; boundary=XX", &mp)
                .await
                .as_deref(),
            Some("abc")
        );
        assert_eq!(form_token("text/plain", &url).await, None);
    }
}
