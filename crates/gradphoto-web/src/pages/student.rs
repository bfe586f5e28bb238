//! The online student's entrance (seed 003 step 1): log in with phone + SMS code after
//! accepting the user agreement and the face-image consent; the student's own page; and,
//! in the demo only, the inbox of the log SMS provider.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gradphoto_app::AppError;
use gradphoto_app::sms::LoggedSms;
use gradphoto_app::students_online::SESSION_TTL_MS;
use gradphoto_db::student_accounts::StudentAccount;
use serde::Deserialize;

use super::{AnyPage, PageCtx, render};
use crate::AppState;
use crate::error::WebError;
use crate::session::{ClientIp, cookie, set_cookie};

/// The student's session cookie, apart from the staff's and the registry's.
pub const COOKIE: &str = "gp_student";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/student/login", get(login_form).post(login))
        .route("/student/logout", post(logout))
        .route("/demo/sms-inbox", get(sms_inbox))
}

fn cookie_header(value: &str, max_age_s: i64, secure: bool) -> HeaderValue {
    HeaderValue::from_str(&set_cookie(COOKIE, value, max_age_s, secure, true, "Lax"))
        .unwrap_or(HeaderValue::from_static(""))
}

/// A logged-in student's page; others are sent to the login form.
pub struct StudentPage {
    pub ctx: PageCtx,
    pub account: StudentAccount,
}

impl FromRequestParts<AppState> for StudentPage {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let page = AnyPage::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let token = cookie(&parts.headers, COOKIE).unwrap_or_default();
        match state.app.student_of(&token).await {
            Ok(Some(account)) => Ok(StudentPage {
                ctx: page.ctx,
                account,
            }),
            Ok(None) => Err(Redirect::to("/student/login").into_response()),
            Err(e) => Err(WebError::page(e, page.ctx.lang).into_response()),
        }
    }
}

#[derive(Template)]
#[template(path = "student_login.html")]
struct LoginPage {
    ctx: PageCtx,
    phone: String,
    agree_terms: bool,
    agree_face: bool,
    notice: Option<String>,
    error: Option<String>,
    demo_inbox: bool,
}

async fn login_form(State(s): State<AppState>, page: AnyPage) -> Response {
    render(&LoginPage {
        ctx: page.ctx,
        phone: String::new(),
        agree_terms: false,
        agree_face: false,
        notice: None,
        error: None,
        demo_inbox: s.app.config.sms.demo_inbox,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    agree_terms: Option<String>,
    #[serde(default)]
    agree_face: Option<String>,
    /// "send" asks for a code; anything else logs in with the code.
    #[serde(default)]
    action: String,
}

async fn login(
    State(s): State<AppState>,
    page: AnyPage,
    ClientIp(ip): ClientIp,
    Form(f): Form<LoginForm>,
) -> Result<Response, WebError> {
    let agree_terms = f.agree_terms.is_some();
    let agree_face = f.agree_face.is_some();
    let again = |ctx: PageCtx, notice: Option<String>, error: Option<String>, status| {
        let demo_inbox = s.app.config.sms.demo_inbox;
        let mut r = render(&LoginPage {
            ctx,
            phone: f.phone.clone(),
            agree_terms,
            agree_face,
            notice,
            error,
            demo_inbox,
        });
        *r.status_mut() = status;
        r
    };
    if f.action == "send" {
        return Ok(match s.app.send_login_code(&f.phone, &ip).await {
            Ok(()) => {
                let n = page
                    .ctx
                    .tr(
                        "验证码已发送，5 分钟内有效。",
                        "A code has been sent; it is valid for 5 minutes.",
                    )
                    .to_string();
                again(page.ctx, Some(n), None, StatusCode::OK)
            }
            Err(e @ (AppError::Invalid(_) | AppError::Throttled(_))) => {
                let status = crate::error::status_of(&e);
                let m = page.ctx.msg(&e.message()).to_string();
                again(page.ctx, None, Some(m), status)
            }
            Err(e) => return Err(WebError::page(e, page.ctx.lang)),
        });
    }
    match s
        .app
        .student_login(&f.phone, &f.code, agree_terms, agree_face, &ip)
        .await
    {
        Ok((token, _)) => {
            let mut r = Redirect::to("/student").into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                cookie_header(
                    &token,
                    SESSION_TTL_MS / 1000,
                    s.app.config.security.cookie_secure,
                ),
            );
            Ok(r)
        }
        Err(e @ (AppError::Invalid(_) | AppError::Throttled(_))) => {
            let status = crate::error::status_of(&e);
            let m = page.ctx.msg(&e.message()).to_string();
            Ok(again(page.ctx, None, Some(m), status))
        }
        Err(e) => Err(WebError::page(e, page.ctx.lang)),
    }
}

async fn logout(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, COOKIE)
        && let Err(e) = s.app.student_logout(&token).await
    {
        tracing::warn!(error = %e, "student logout");
    }
    let mut r = Redirect::to("/student/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        cookie_header("", 0, s.app.config.security.cookie_secure),
    );
    r
}

#[derive(Template)]
#[template(path = "sms_inbox.html")]
struct InboxPage {
    ctx: PageCtx,
    messages: Vec<LoggedSms>,
}

/// Demo only (`sms.demo_inbox`): what the log provider would have sent. Elsewhere the
/// page does not exist.
async fn sms_inbox(State(s): State<AppState>, page: AnyPage) -> Response {
    match (s.app.config.sms.demo_inbox, s.app.sms.demo_inbox()) {
        (true, Some(messages)) => render(&InboxPage {
            ctx: page.ctx,
            messages,
        }),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
