//! The fee at the desk (seed 001: 现场交费，只接受电子支付): from a number just given, the
//! desk shows the WeChat Pay or Alipay code for that number's fee; the page refreshes
//! itself until the provider's notification marks it paid, and a button asks the provider
//! when no notification comes.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gradphoto_app::onsite_desk_fee::DeskFee;
use gradphoto_app::payments::Method;
use gradphoto_app::payments::checkout::Checkout;
use gradphoto_domain::payments::Fen;

use super::forms::{field, pairs as form_pairs};
use super::student_pay::{method_label, pay_qr};
use super::{Page, PageCtx, render};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/onsite/checkins/{id}/fee/pay", post(start))
        .route("/onsite/checkins/{id}/fee/check", post(check))
        .route("/onsite/checkins/{id}/fee/{no}", get(show))
}

#[derive(Template)]
#[template(path = "onsite_desk_fee.html")]
struct FeePage {
    ctx: PageCtx,
    f: DeskFee,
    no: String,
    total_yuan: String,
    method: &'static str,
    method_label: &'static str,
    paid: bool,
    /// The attempt was closed (the payer gave up, or the provider closed it): a new code
    /// is needed.
    closed: bool,
    sandbox: bool,
    pay_url: String,
    qr_svg: String,
}

async fn start(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let pairs = form_pairs(&body);
    let method = Method::from_form(field(&pairs, "method")).map_err(|e| p.err(e))?;
    let c = s
        .app
        .desk_fee_pay(&p.staff, id, method)
        .await
        .map_err(|e| p.err(e))?;
    Ok(Redirect::to(&format!(
        "/onsite/checkins/{id}/fee/{}",
        c.payment.out_trade_no
    ))
    .into_response())
}

async fn show(
    State(s): State<AppState>,
    p: Page,
    headers: HeaderMap,
    Path((id, no)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let (f, c): (DeskFee, Checkout) = s
        .app
        .desk_fee_payment(&p.staff, id, &no)
        .await
        .map_err(|e| p.err(e))?;
    let (link, qr_svg) = pay_qr(&headers, &c.pay_url).map_err(|e| p.err(e))?;
    Ok(render(&FeePage {
        no,
        total_yuan: Fen(c.payment.amount_fen).yuan(),
        method: c.method.as_str(),
        method_label: method_label(&p.ctx, c.method),
        paid: f.fee.is_paid(),
        closed: matches!(c.payment.state.as_str(), "failed" | "canceled"),
        sandbox: s.app.payments.sandbox,
        pay_url: link,
        qr_svg,
        f,
        ctx: p.ctx,
    }))
}

async fn check(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let pairs = form_pairs(&body);
    s.app
        .desk_fee_check(&p.staff, id)
        .await
        .map_err(|e| p.err(e))?;
    let no = field(&pairs, "no");
    let back = if no.is_empty() || !no.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        match s.app.desk_fee(&p.staff, id).await {
            Ok(f) => format!("/onsite/queues/{}/desk", f.checkin.queue_id),
            Err(e) => return Err(p.err(e)),
        }
    } else {
        format!("/onsite/checkins/{id}/fee/{no}")
    };
    Ok(Redirect::to(&back).into_response())
}
