//! The student's orders (seed 003 §我的订单) and personal centre (§个人中心): every order
//! with where it stands, one order read-only, and the account — consents with their times,
//! the student's details (masked), and the change of phone number by a code sent to the
//! new number.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gradphoto_app::AppError;
use gradphoto_app::online_handover::Progress;
use gradphoto_app::student_centre::MyOrder;
use gradphoto_domain::otp::mask_phone;
use gradphoto_domain::payments::Fen;
use serde::Deserialize;

use super::student::StudentPage;
use super::{PageCtx, render};
use crate::AppState;
use crate::error::{WebError, status_of};
use crate::session::ClientIp;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/student/orders", get(orders))
        .route("/student/orders/{code}", get(order))
        .route("/student/account", get(account))
        .route("/student/account/phone", post(phone))
        .route("/student/account/photo.jpg", get(electronic_photo))
        .route("/student/prints/{id}/received", post(prints_received))
        .route("/student/orders/{code}/contact", post(contact))
        .route("/student/orders/{code}/shipping", post(shipping))
}

/// An order as a row or a page.
struct OrderView {
    code: String,
    status: String,
    status_label: String,
    school: String,
    campaign: String,
    total_yuan: String,
    contact_masked: String,
    created: String,
    paid: String,
    progress: &'static str,
    progress_label: String,
    modifiable: bool,
    /// (provider, out_trade_no, state, amount)
    payments: Vec<(String, String, String, String)>,
    photo_id: Option<i64>,
}

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&gradphoto_domain::calendar::china_offset())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

fn progress_label(ctx: &PageCtx, p: Progress) -> &'static str {
    match p {
        Progress::NoPhoto => ctx.tr("未提交照片", "No photo yet"),
        Progress::InReview => ctx.tr("照片人工审核中", "Photo being reviewed"),
        Progress::Rejected => ctx.tr("照片审核未通过，请重拍", "Photo rejected: retake it"),
        Progress::AwaitingPayment => ctx.tr("待支付", "Awaiting payment"),
        Progress::Sending => ctx.tr("已支付，正在报送学信网", "Paid; being sent to the registry"),
        Progress::Sent => ctx.tr("已报送学信网", "Sent to the registry"),
        Progress::AcceptedByRegistry => ctx.tr("学信网已接收", "Accepted by the registry"),
        Progress::RejectedByRegistry => ctx.tr("学信网未接收", "Not accepted by the registry"),
    }
}

fn view(ctx: &PageCtx, m: &MyOrder) -> OrderView {
    let o = &m.order;
    OrderView {
        code: o.code.clone(),
        status: o.status.clone(),
        status_label: match o.status.as_str() {
            "paid" => ctx.tr("已支付", "Paid"),
            "canceled" => ctx.tr("已取消", "Canceled"),
            _ => ctx.tr("待支付", "Awaiting payment"),
        }
        .to_string(),
        school: ctx.tr(&m.school_zh, &m.school_en).to_string(),
        campaign: m.campaign.clone(),
        total_yuan: Fen(o.total_fen).yuan(),
        contact_masked: mask_phone(&o.contact_phone),
        created: when(o.created_at),
        paid: o.paid_at.map(when).unwrap_or_default(),
        progress: m.progress.as_str(),
        progress_label: progress_label(ctx, m.progress).to_string(),
        modifiable: m.modifiable(),
        payments: m
            .payments
            .iter()
            .map(|p| {
                (
                    p.provider.clone(),
                    p.out_trade_no.clone(),
                    p.state.clone(),
                    Fen(p.amount_fen).yuan(),
                )
            })
            .collect(),
        photo_id: m.photo.as_ref().map(|p| p.id),
    }
}

#[derive(Template)]
#[template(path = "student_orders.html")]
struct OrdersPage {
    ctx: PageCtx,
    orders: Vec<OrderView>,
}

async fn orders(State(s): State<AppState>, p: StudentPage) -> Result<Response, WebError> {
    let mine = s
        .app
        .my_orders(&p.account)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    let orders = mine.iter().map(|m| view(&p.ctx, m)).collect();
    Ok(render(&OrdersPage { orders, ctx: p.ctx }))
}

#[derive(Template)]
#[template(path = "student_order.html")]
struct OrderPage {
    ctx: PageCtx,
    o: OrderView,
    error: Option<String>,
    saved: bool,
    /// The parcel of the prints, once an address was given.
    shipment: Option<gradphoto_db::shipments::ShipmentRow>,
    /// Whether the address may still change (until the prints are made).
    editable: bool,
    /// Whether the parcel shown is on its way or delivered.
    posted: bool,
    /// The address form: as typed when refused, else as stored.
    ship: gradphoto_app::order_shipping::ShippingInput,
}

/// An order's page, with an error (and what was typed) when a change was refused.
async fn order_page(
    s: &AppState,
    p: StudentPage,
    code: &str,
    saved: bool,
    refused: Option<(
        AppError,
        Option<gradphoto_app::order_shipping::ShippingInput>,
    )>,
) -> Result<Response, WebError> {
    let m = s
        .app
        .my_order_by_code(&p.account, code)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    let parcel = s
        .app
        .my_shipment(&p.account, code)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    let shipment = parcel.shipment;
    let (status, error, typed) = match refused {
        Some((e, typed)) => (
            status_of(&e),
            Some(p.ctx.msg(&e.message()).to_string()),
            typed,
        ),
        None => (StatusCode::OK, None, None),
    };
    let ship = typed.unwrap_or_else(|| match &shipment {
        Some(x) => gradphoto_app::order_shipping::ShippingInput {
            recipient: x.recipient.clone(),
            phone: x.phone.clone(),
            address: x.address.clone(),
        },
        None => Default::default(),
    });
    let mut r = render(&OrderPage {
        o: view(&p.ctx, &m),
        error,
        saved,
        shipment,
        editable: parcel.editable,
        posted: parcel.posted,
        ship,
        ctx: p.ctx,
    });
    *r.status_mut() = status;
    Ok(r)
}

#[derive(Deserialize)]
struct OrderQuery {
    #[serde(default)]
    saved: Option<String>,
}

async fn order(
    State(s): State<AppState>,
    p: StudentPage,
    Path(code): Path<String>,
    axum::extract::Query(q): axum::extract::Query<OrderQuery>,
) -> Result<Response, WebError> {
    order_page(&s, p, &code, q.saved.is_some(), None).await
}

#[derive(Deserialize)]
struct ContactForm {
    #[serde(default)]
    contact_phone: String,
}

/// Modify an order: its contact phone, until the photo went to the registry.
async fn contact(
    State(s): State<AppState>,
    p: StudentPage,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<ContactForm>,
) -> Result<Response, WebError> {
    match s
        .app
        .update_order_contact(&p.account, &code, &f.contact_phone)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/student/orders/{code}?saved=1")).into_response()),
        Err(e @ AppError::Invalid(_)) => order_page(&s, p, &code, false, Some((e, None))).await,
        Err(e) => Err(WebError::page(e, p.ctx.lang)),
    }
}

/// The address the prints are mailed to, until they are made.
async fn shipping(
    State(s): State<AppState>,
    p: StudentPage,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<gradphoto_app::order_shipping::ShippingInput>,
) -> Result<Response, WebError> {
    match s.app.set_order_shipping(&p.account, &code, &f).await {
        Ok(_) => Ok(Redirect::to(&format!("/student/orders/{code}?saved=1")).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            order_page(&s, p, &code, false, Some((e, Some(f)))).await
        }
        Err(e) => Err(WebError::page(e, p.ctx.lang)),
    }
}

#[derive(Template)]
#[template(path = "student_account.html")]
struct AccountPage {
    ctx: PageCtx,
    phone_masked: String,
    /// (document, version, accepted at)
    consents: Vec<(String, String, String)>,
    school: String,
    student: Option<gradphoto_app::online_entry::StudentSummary>,
    level: String,
    /// The current order: (code, contact phone masked), to modify its details.
    order: Option<(String, String)>,
    /// The electronic photo: `ready`, `tomorrow` or `not_yet` (学历信息-电子照片).
    photo: &'static str,
    /// The student's print sheets, newest first.
    prints: Vec<PrintLine>,
    old_phone: String,
    new_phone: String,
    /// A code was sent to the new number: the form asks for it.
    code_sent: bool,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct PhoneForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    old_phone: String,
    #[serde(default)]
    new_phone: String,
    #[serde(default)]
    code: String,
}

async fn account_page(
    s: &AppState,
    p: StudentPage,
    f: PhoneForm,
    code_sent: bool,
    outcome: Result<Option<String>, AppError>,
) -> Result<Response, WebError> {
    let state = s
        .app
        .online_state(&p.account)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    let consents = s
        .app
        .db
        .student_consents(p.account.id)
        .await
        .map_err(|e| WebError::page(e.into(), p.ctx.lang))?
        .into_iter()
        .map(|(d, v, at)| (d, v, when(at)))
        .collect();
    let school = state
        .university
        .as_ref()
        .map(|u| p.ctx.tr(&u.name_zh, &u.name_en).to_string())
        .unwrap_or_default();
    let level = state
        .student
        .as_ref()
        .map(|st| p.ctx.tr(st.level.zh(), st.level.en()).to_string())
        .unwrap_or_default();
    let order = s
        .app
        .online_order(&state)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?
        .map(|o| (o.code, mask_phone(&o.contact_phone)));
    let photo = match s
        .app
        .my_electronic_photo(&p.account)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?
    {
        gradphoto_app::electronic_photo::ElectronicPhoto::Ready(_) => "ready",
        gradphoto_app::electronic_photo::ElectronicPhoto::Tomorrow => "tomorrow",
        gradphoto_app::electronic_photo::ElectronicPhoto::NotYet => "not_yet",
    };
    let prints = s
        .app
        .my_prints(&p.account)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?
        .into_iter()
        .map(|i| {
            let state = if i.superseded_at.is_some() {
                "superseded"
            } else if i.returned_at.is_some() {
                "returned"
            } else if i.received_at.is_some() {
                "received"
            } else if i.lost_at.is_some() {
                "lost"
            } else if i.order_id.is_none() {
                "on_way"
            } else if i.shipped_at.is_some() {
                "posted"
            } else {
                "printed"
            };
            PrintLine {
                id: i.id,
                state,
                at: i.received_at.map(when).unwrap_or_default(),
                parcel: match (i.shipped_at, &i.carrier, &i.tracking_no) {
                    (Some(at), Some(c), Some(t)) => Some(format!("{} {c} {t}", when(at))),
                    _ => None,
                },
                batch: i.batch_code,
            }
        })
        .collect();
    let (status, notice, error) = match outcome {
        Ok(n) => (StatusCode::OK, n, None),
        Err(e) => (
            status_of(&e),
            None,
            Some(p.ctx.msg(&e.message()).to_string()),
        ),
    };
    let mut r = render(&AccountPage {
        phone_masked: mask_phone(&p.account.phone),
        consents,
        school,
        student: state.student,
        level,
        order,
        photo,
        prints,
        old_phone: f.old_phone,
        new_phone: f.new_phone,
        code_sent,
        notice,
        error,
        ctx: p.ctx,
    });
    *r.status_mut() = status;
    Ok(r)
}

#[derive(Deserialize)]
struct AccountQuery {
    #[serde(default)]
    changed: Option<String>,
}

async fn account(
    State(s): State<AppState>,
    p: StudentPage,
    axum::extract::Query(q): axum::extract::Query<AccountQuery>,
) -> Result<Response, WebError> {
    let notice = q.changed.map(|_| {
        p.ctx
            .tr("手机号已更换。", "Your phone number was changed.")
            .to_string()
    });
    account_page(&s, p, PhoneForm::default(), false, Ok(notice)).await
}

/// Changing the phone number: `send` sends a code to the new number, `change` checks it.
async fn phone(
    State(s): State<AppState>,
    p: StudentPage,
    ClientIp(ip): ClientIp,
    axum::Form(f): axum::Form<PhoneForm>,
) -> Result<Response, WebError> {
    let shown = |e: &AppError| {
        matches!(
            e,
            AppError::Invalid(_) | AppError::Conflict(_) | AppError::Throttled(_)
        )
    };
    if f.action == "send" {
        let sent = s
            .app
            .send_phone_change_code(&p.account, &f.old_phone, &f.new_phone, &ip)
            .await;
        let notice = p
            .ctx
            .tr(
                "验证码已发送至新手机号，5 分钟内有效。",
                "A code was sent to the new number; it is valid for 5 minutes.",
            )
            .to_string();
        return match sent {
            Ok(_) => account_page(&s, p, f, true, Ok(Some(notice))).await,
            Err(e) if shown(&e) => account_page(&s, p, f, false, Err(e)).await,
            Err(e) => Err(WebError::page(e, p.ctx.lang)),
        };
    }
    match s
        .app
        .change_phone(&p.account, &f.old_phone, &f.new_phone, &f.code)
        .await
    {
        Ok(_) => Ok(Redirect::to("/student/account?changed=1").into_response()),
        Err(e) if shown(&e) => account_page(&s, p, f, true, Err(e)).await,
        Err(e) => Err(WebError::page(e, p.ctx.lang)),
    }
}

/// The student's electronic photo (480×640), as a download named by student number.
async fn electronic_photo(State(s): State<AppState>, p: StudentPage) -> Result<Response, WebError> {
    let (name, bytes) = s
        .app
        .download_my_electronic_photo(&p.account)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    Ok(super::forms::download("image/jpeg", &name, bytes))
}

/// One of the student's print sheets as their page shows it.
struct PrintLine {
    id: i64,
    batch: String,
    /// `received`, `lost`, `on_way` (through the department), `printed`, `posted` or
    /// `returned` (by post, then handed in to the department: seed 004), or `superseded`
    /// (printed from an earlier photo that no longer serves).
    state: &'static str,
    /// When received.
    at: String,
    /// When posted, carrier and tracking number.
    parcel: Option<String>,
}

/// The student confirms they have their prints (洗印版照片).
async fn prints_received(
    State(s): State<AppState>,
    p: StudentPage,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    match s.app.confirm_my_prints(&p.account, id).await {
        Ok(()) => Ok(Redirect::to("/student/account#prints").into_response()),
        Err(e @ (AppError::Conflict(_) | AppError::Invalid(_))) => {
            account_page(&s, p, PhoneForm::default(), false, Err(e)).await
        }
        Err(e) => Err(WebError::page(e, p.ctx.lang)),
    }
}
