//! Sign-in, sign-out and the language switch.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use gradphoto_app::AppError;
use serde::Deserialize;

use super::{AnyPage, Page, PageCtx, render};
use crate::AppState;
use crate::i18n::LANG_COOKIE;
use crate::session::{ClientIp, SESSION_COOKIE, session_token, set_cookie};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/lang/{lang}", get(switch_lang))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: PageCtx,
    error: Option<String>,
    next: String,
    username: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only local paths: an attacker must not be able to bounce a login to another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".into(),
    }
}

async fn login_form(page: AnyPage, Query(q): Query<NextQuery>) -> Response {
    if page.staff.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    render(&LoginPage {
        ctx: page.ctx,
        error: None,
        next: safe_next(q.next.as_deref()),
        username: String::new(),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    page: AnyPage,
    ClientIp(ip): ClientIp,
    Form(f): Form<LoginForm>,
) -> Response {
    match state.app.login(f.username.trim(), &f.password, &ip).await {
        Ok((token, _)) => {
            let c = set_cookie(
                SESSION_COOKIE,
                &token,
                (state.app.config.security.session_ttl_hours * 3600) as i64,
                state.app.config.security.cookie_secure,
                true,
                "Lax",
            );
            let mut resp = Redirect::to(&safe_next(f.next.as_deref())).into_response();
            if let Ok(v) = HeaderValue::from_str(&c) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(e) => {
            let status = crate::error::status_of(&e);
            let msg = e.message();
            if matches!(e, AppError::Internal(_) | AppError::Db(_)) {
                tracing::error!(error = %e, "login failed");
            }
            let p = LoginPage {
                error: Some(msg.text(page.ctx.lang).to_string()),
                next: safe_next(f.next.as_deref()),
                username: f.username,
                ctx: page.ctx,
            };
            (status, render(&p)).into_response()
        }
    }
}

async fn logout(State(state): State<AppState>, page: Page, headers: HeaderMap) -> Response {
    if let Some(token) = session_token(&headers)
        && let Err(e) = state.app.logout(&token, &page.staff).await
    {
        return page.err(e).into_response();
    }
    let mut resp = Redirect::to("/login").into_response();
    let c = set_cookie(
        SESSION_COOKIE,
        "",
        0,
        state.app.config.security.cookie_secure,
        true,
        "Lax",
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

async fn switch_lang(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = gradphoto_domain::i18n::Lang::parse(&lang).unwrap_or_default();
    let mut resp = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    let c = set_cookie(
        LANG_COOKIE,
        lang.code(),
        365 * 86_400,
        state.app.config.security.cookie_secure,
        false,
        "Lax",
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/campaigns/1")), "/campaigns/1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
