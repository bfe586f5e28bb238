//! The student's make-up appointment (issue 8): free slots by branch, service and day; the
//! booking with its time, place, code and refund rule; cancel or move until the cutoff.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gradphoto_app::AppError;
use gradphoto_app::makeup_booking::{BookingView, MakeupOffer, service_refund_rule};
use gradphoto_domain::payments::Fen;
use serde::Deserialize;

use super::student::StudentPage;
use super::{PageCtx, render};
use crate::AppState;
use crate::error::{WebError, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/student/makeup", get(offer))
        .route("/student/makeup/book", post(book))
        .route("/student/makeup/{code}/cancel", post(cancel))
        .route("/student/makeup/{code}/move", post(move_to))
        .route("/student/makeup/{code}/pay", post(pay))
}

/// A booking as the student reads it.
pub(crate) struct BookingLine {
    pub code: String,
    pub status: String,
    pub status_label: String,
    pub day: String,
    pub starts: String,
    pub ends: String,
    pub branch: String,
    pub address: String,
    pub phone: String,
    pub service: String,
    pub price_yuan: String,
    pub changeable: bool,
    pub service_id: i64,
    pub refund_rule: String,
    /// Paid online when booking: waiting for the payment until `pay_until` (China time).
    pub awaits_payment: bool,
    pub pay_until: String,
    /// Paid online when booking, and paid.
    pub paid_online: bool,
    /// The fee's order was closed with the booking (refunded where it was paid).
    pub order_closed: bool,
}

pub(crate) fn booking_line(ctx: &PageCtx, v: &BookingView) -> BookingLine {
    let b = &v.booking;
    BookingLine {
        code: b.code.clone(),
        status: b.status.clone(),
        status_label: ctx.tr(v.status.zh(), v.status.en()).to_string(),
        day: b.day.clone(),
        starts: b.starts.clone(),
        ends: b.ends.clone(),
        branch: v.branch.name.clone(),
        address: format!("{} {}", v.branch.address, v.service.place),
        phone: v.branch.phone.clone(),
        service: ctx.tr(&v.service.name_zh, &v.service.name_en).to_string(),
        price_yuan: Fen(b.price_fen).yuan(),
        changeable: v.changeable,
        service_id: v.service.id,
        refund_rule: ctx.msg(&service_refund_rule(&v.service)).to_string(),
        awaits_payment: v.awaits_payment(),
        pay_until: v
            .pay_until
            .map(gradphoto_domain::calendar::china_minute)
            .unwrap_or_default(),
        paid_online: v.order.as_ref().is_some_and(|o| o.status == "paid"),
        order_closed: v.order.as_ref().is_some_and(|o| o.status == "canceled"),
    }
}

struct SlotLine {
    /// `0900`: the slot in element ids.
    key: String,
    starts: String,
    ends: String,
    free: i64,
}

struct DayLine {
    day: String,
    weekday: String,
    slots: Vec<SlotLine>,
}

struct ServiceLine {
    id: i64,
    branch: String,
    city: String,
    address: String,
    service: String,
    price_yuan: String,
    counts: bool,
    pays_online: bool,
    choose_shots: bool,
    refund_rule: String,
    days: Vec<DayLine>,
}

#[derive(Template)]
#[template(path = "student_makeup.html")]
struct OfferPage {
    ctx: PageCtx,
    campaign: String,
    deadline: String,
    /// The date make-up shoots are best done by, or empty.
    recommended_by: String,
    cities: String,
    live: Option<BookingLine>,
    services: Vec<ServiceLine>,
    /// The ways of paying offered (value, label).
    methods: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    done: Option<String>,
}

impl OfferPage {
    /// The live booking waits for the student's payment.
    fn awaits_payment(&self) -> bool {
        self.live.as_ref().is_some_and(|b| b.awaits_payment)
    }
}

fn weekday(ctx: &PageCtx, d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let i = d.weekday().num_days_from_monday() as usize;
    let zh = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    let en = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    ctx.tr(zh[i], en[i]).to_string()
}

fn page(
    s: &AppState,
    ctx: PageCtx,
    o: &MakeupOffer,
    error: Option<String>,
    done: Option<String>,
) -> OfferPage {
    let services = o
        .services
        .iter()
        .map(|s| ServiceLine {
            id: s.service.id,
            branch: s.branch.name.clone(),
            city: s.branch.city.clone(),
            address: format!("{} {}", s.branch.address, s.service.place),
            service: ctx.tr(&s.service.name_zh, &s.service.name_en).to_string(),
            price_yuan: Fen(s.service.price_fen).yuan(),
            counts: s.counts,
            pays_online: s.pays_online,
            choose_shots: s.service.choose_shots != 0,
            refund_rule: ctx.msg(&service_refund_rule(&s.service)).to_string(),
            days: s
                .days
                .iter()
                .map(|(d, slots)| DayLine {
                    day: d.to_string(),
                    weekday: weekday(&ctx, *d),
                    slots: slots
                        .iter()
                        .map(|x| SlotLine {
                            key: x.slot.starts.format("%H%M").to_string(),
                            starts: x.slot.starts.format("%H:%M").to_string(),
                            ends: x.slot.ends.format("%H:%M").to_string(),
                            free: x.free,
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    OfferPage {
        campaign: o.campaign.name.clone(),
        deadline: o
            .campaign
            .modes
            .makeup_deadline
            .map(|d| d.to_string())
            .unwrap_or_default(),
        recommended_by: o
            .campaign
            .modes
            .makeup_recommended_by
            .map(|d| d.to_string())
            .unwrap_or_default(),
        cities: o.campaign.modes.makeup_cities.join("、"),
        live: o.live.as_ref().map(|v| booking_line(&ctx, v)),
        services,
        methods: s
            .app
            .payments
            .methods()
            .into_iter()
            .map(|m| (m.as_str(), super::student_pay::method_label(&ctx, m)))
            .collect(),
        error,
        done,
        ctx,
    }
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn offer(
    State(s): State<AppState>,
    p: StudentPage,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    let o = s
        .app
        .makeup_offer(&p.account)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    Ok(render(&page(&s, p.ctx, &o, None, q.done)))
}

/// A refusal the student can act on is shown on the booking page with its status.
async fn refused(s: &AppState, p: StudentPage, e: AppError) -> Result<Response, WebError> {
    if !matches!(e, AppError::Invalid(_) | AppError::Conflict(_)) {
        return Err(WebError::page(e, p.ctx.lang));
    }
    let o = s
        .app
        .makeup_offer(&p.account)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    let msg = p.ctx.msg(&e.message()).to_string();
    let mut r = render(&page(s, p.ctx, &o, Some(msg), None));
    *r.status_mut() = status_of(&e);
    Ok(r)
}

#[derive(Deserialize)]
struct SlotForm {
    #[serde(default)]
    service_id: String,
    #[serde(default)]
    slot: String,
}

/// `slot` is `YYYY-MM-DD HH:MM`, as the page's buttons send it.
fn split_slot(slot: &str) -> (&str, &str) {
    slot.trim().split_once(' ').unwrap_or((slot, ""))
}

async fn book(
    State(s): State<AppState>,
    p: StudentPage,
    axum::Form(f): axum::Form<SlotForm>,
) -> Result<Response, WebError> {
    let (day, starts) = split_slot(&f.slot);
    let service = f.service_id.trim().parse::<i64>().unwrap_or(0);
    match s.app.book_makeup(&p.account, service, day, starts).await {
        Ok(v) => Ok(
            Redirect::to(&format!("/student/makeup?done=booked-{}", v.booking.code))
                .into_response(),
        ),
        Err(e) => refused(&s, p, e).await,
    }
}

#[derive(Deserialize)]
struct PayForm {
    #[serde(default)]
    method: String,
}

async fn pay(
    State(s): State<AppState>,
    p: StudentPage,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<PayForm>,
) -> Result<Response, WebError> {
    let method = match gradphoto_app::payments::Method::from_form(&f.method) {
        Ok(m) => m,
        Err(e) => return refused(&s, p, e).await,
    };
    match s.app.makeup_pay(&p.account, &code, method).await {
        Ok(c) => {
            Ok(Redirect::to(&format!("/student/pay/{}", c.payment.out_trade_no)).into_response())
        }
        Err(e) => refused(&s, p, e).await,
    }
}

async fn cancel(
    State(s): State<AppState>,
    p: StudentPage,
    Path(code): Path<String>,
) -> Result<Response, WebError> {
    match s.app.cancel_makeup(&p.account, &code).await {
        Ok(_) => Ok(Redirect::to("/student/makeup?done=cancelled").into_response()),
        Err(e) => refused(&s, p, e).await,
    }
}

async fn move_to(
    State(s): State<AppState>,
    p: StudentPage,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<SlotForm>,
) -> Result<Response, WebError> {
    let (day, starts) = split_slot(&f.slot);
    match s.app.move_makeup(&p.account, &code, day, starts).await {
        Ok(v) => Ok(
            Redirect::to(&format!("/student/makeup?done=moved-{}", v.booking.code)).into_response(),
        ),
        Err(e) => refused(&s, p, e).await,
    }
}
