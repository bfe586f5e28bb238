//! Paying (seed 003 §支付): the student picks WeChat Pay or Alipay and is shown the QR
//! code to scan; the providers' notifications arrive at `/pay/notify/…` (no cookie, no
//! CSRF token: their signatures are what count); and, in the demo only, a clearly marked
//! sandbox page plays the payer.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gradphoto_app::AppError;
use gradphoto_app::payments::Method;
use gradphoto_app::payments::checkout::Checkout;
use gradphoto_domain::payments::Fen;
use gradphoto_pay::wechat::SignedHeaders;
use serde::Deserialize;

use super::student::StudentPage;
use super::{AnyPage, PageCtx, render};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/student/pay", post(start))
        .route("/student/pay/check", post(check))
        .route("/student/pay/{no}", get(show))
        .route("/sandbox/pay/{no}", get(sandbox_page).post(sandbox_act))
        .route("/pay/notify/wechat", post(wechat_notify))
        .route("/pay/notify/alipay", post(alipay_notify))
}

#[derive(Template)]
#[template(path = "student_pay.html")]
struct PayPage {
    ctx: PageCtx,
    order_code: String,
    total_yuan: String,
    method: &'static str,
    method_label: &'static str,
    paid: bool,
    sandbox: bool,
    /// The link itself (the sandbox page on this server; a provider URL otherwise).
    pay_url: String,
    qr_svg: String,
    /// The payment's number, for "I have paid".
    no: String,
    /// Where the student goes back to: their page, or their make-up booking.
    back: &'static str,
}

/// The student's page an order belongs to.
fn back_of(order: &gradphoto_db::payments::OrderRow) -> &'static str {
    if order.booking_id.is_some() {
        "/student/makeup"
    } else {
        "/student"
    }
}

#[derive(Deserialize)]
struct StartForm {
    #[serde(default)]
    method: String,
}

pub(crate) fn method_label(ctx: &PageCtx, m: Method) -> &'static str {
    match m {
        Method::Wechat => ctx.tr("微信支付", "WeChat Pay"),
        Method::Alipay => ctx.tr("支付宝", "Alipay"),
    }
}

/// The absolute URL of a path on this server, as the browser reached it (for the sandbox
/// payer's QR code, which another phone scans).
/// What the payer scans, as an absolute link and its QR code (SVG; empty until the
/// provider answered).
pub(crate) fn pay_qr(headers: &HeaderMap, pay_url: &str) -> Result<(String, String), AppError> {
    let link = absolute(headers, pay_url);
    if pay_url.is_empty() {
        return Ok((link, String::new()));
    }
    let svg = gradphoto_registry::qr::svg(&link).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((link, svg))
}

fn absolute(headers: &HeaderMap, url: &str) -> String {
    if !url.starts_with('/') {
        return url.to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    format!("{scheme}://{host}{url}")
}

async fn start(
    State(s): State<AppState>,
    p: StudentPage,
    axum::Form(f): axum::Form<StartForm>,
) -> Result<Response, WebError> {
    let method = Method::from_form(&f.method).map_err(|e| WebError::page(e, p.ctx.lang))?;
    let c = s
        .app
        .online_pay(&p.account, method)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    Ok(Redirect::to(&format!("/student/pay/{}", c.payment.out_trade_no)).into_response())
}

async fn show(
    State(s): State<AppState>,
    p: StudentPage,
    headers: HeaderMap,
    Path(no): Path<String>,
) -> Result<Response, WebError> {
    let c: Checkout = s
        .app
        .online_payment(&p.account, &no)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    let (link, qr_svg) = pay_qr(&headers, &c.pay_url).map_err(|e| WebError::page(e, p.ctx.lang))?;
    Ok(render(&PayPage {
        order_code: c.order.code.clone(),
        total_yuan: Fen(c.payment.amount_fen).yuan(),
        method: c.method.as_str(),
        method_label: method_label(&p.ctx, c.method),
        paid: c.order.status == "paid",
        sandbox: s.app.payments.sandbox,
        pay_url: link,
        qr_svg,
        back: back_of(&c.order),
        no: c.payment.out_trade_no,
        ctx: p.ctx,
    }))
}

#[derive(Deserialize)]
struct CheckForm {
    #[serde(default)]
    no: String,
}

async fn check(
    State(s): State<AppState>,
    p: StudentPage,
    axum::Form(f): axum::Form<CheckForm>,
) -> Result<Response, WebError> {
    let back = if f.no.is_empty() {
        s.app
            .online_check_payment(&p.account)
            .await
            .map_err(|e| WebError::page(e, p.ctx.lang))?;
        "/student"
    } else {
        let order = s
            .app
            .check_my_payment(&p.account, &f.no)
            .await
            .map_err(|e| WebError::page(e, p.ctx.lang))?;
        back_of(&order)
    };
    Ok(Redirect::to(back).into_response())
}

#[derive(Template)]
#[template(path = "sandbox_pay.html")]
struct SandboxPage {
    ctx: PageCtx,
    no: String,
    total_yuan: String,
    provider: String,
    state: String,
    /// A student's order (not a fee at the on-site desk): the way back to their page.
    back: Option<&'static str>,
}

async fn sandbox_page(
    State(s): State<AppState>,
    p: AnyPage,
    Path(no): Path<String>,
) -> Result<Response, WebError> {
    let payment = s
        .app
        .sandbox_payment(&no)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    let order = s
        .app
        .db
        .get_order(payment.order_id)
        .await
        .map_err(|e| WebError::page(e.into(), p.ctx.lang))?;
    Ok(render(&SandboxPage {
        back: order.account_id.is_some().then(|| back_of(&order)),
        no: payment.out_trade_no,
        total_yuan: Fen(payment.amount_fen).yuan(),
        provider: payment.provider,
        state: payment.state,
        ctx: p.ctx,
    }))
}

#[derive(Deserialize)]
struct SandboxForm {
    #[serde(default)]
    action: String,
}

async fn sandbox_act(
    State(s): State<AppState>,
    p: AnyPage,
    Path(no): Path<String>,
    axum::Form(f): axum::Form<SandboxForm>,
) -> Result<Response, WebError> {
    s.app
        .sandbox_pay(&no, f.action == "pay")
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    Ok(Redirect::to(&format!("/sandbox/pay/{no}")).into_response())
}

/// WeChat Pay expects 200/204 when the notification was handled, and anything else (with
/// `{"code":"FAIL"}`) to have it sent again.
async fn wechat_notify(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(wx) = s.app.payments.wechat.as_ref() else {
        return fail(StatusCode::NOT_FOUND, "not configured");
    };
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let signed = SignedHeaders {
        timestamp: h("Wechatpay-Timestamp"),
        nonce: h("Wechatpay-Nonce"),
        signature: h("Wechatpay-Signature"),
        serial: h("Wechatpay-Serial"),
    };
    let now = chrono::Utc::now().timestamp();
    match s.app.wechat_notification(wx, &signed, &body, now).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(AppError::Invalid(m)) => fail(StatusCode::BAD_REQUEST, &m.en),
        Err(e) => {
            tracing::error!(error = %e, "WeChat Pay notification not handled");
            fail(StatusCode::INTERNAL_SERVER_ERROR, "try again")
        }
    }
}

fn fail(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "code": "FAIL", "message": message })),
    )
        .into_response()
}

/// Alipay retries until it reads the literal `success`, which is written only after the
/// payment was committed.
async fn alipay_notify(State(s): State<AppState>, body: Bytes) -> Response {
    let Some(ap) = s.app.payments.alipay.as_ref() else {
        return (StatusCode::NOT_FOUND, "fail").into_response();
    };
    let mut params = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(&body) {
        if params.insert(k.into_owned(), v.into_owned()).is_some() {
            return (StatusCode::BAD_REQUEST, "fail").into_response();
        }
    }
    match s.app.alipay_notification(ap, &params).await {
        Ok(_) => (StatusCode::OK, "success").into_response(),
        Err(AppError::Invalid(_)) => (StatusCode::BAD_REQUEST, "fail").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "Alipay notification not handled");
            (StatusCode::INTERNAL_SERVER_ERROR, "fail").into_response()
        }
    }
}
