//! The logged-in student's page (seed 003 §验证信息 onwards): one step at a time — the
//! school, then ID number and level, then the collection code (scanned live where the
//! browser can, photographed, or pasted) — and what comes after.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gradphoto_app::AppError;
use gradphoto_app::online_entry::{OnlineState, SchoolChoice, Step};
use gradphoto_app::online_handover::Progress;
use gradphoto_app::online_photos::{Submitted, reasons_of};
use gradphoto_app::payments::Method;
use gradphoto_domain::online_photo::PhotoStatus;
use gradphoto_domain::otp::mask_phone;
use gradphoto_domain::payments::Fen;
use gradphoto_domain::people::Level;
use serde::Deserialize;

use super::student::StudentPage;
use super::{PageCtx, render};
use crate::AppState;
use crate::error::{WebError, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/student", get(home))
        .route("/student/school", post(school))
        .route("/student/identity", post(identity))
        .route("/student/identity/restart", post(restart))
        .route("/student/code", post(code))
        .route("/student/photo", post(photo))
        .route("/student/order", post(confirm_order))
        .route("/student/photo/standard.jpg", get(photo_image))
        .route("/static/scan.js", get(scan_js))
}

#[derive(Template)]
#[template(path = "student_home.html")]
struct HomePage {
    ctx: PageCtx,
    phone_masked: String,
    step: Step,
    state: OnlineState,
    schools: Vec<SchoolChoice>,
    levels: Vec<(&'static str, &'static str, &'static str)>,
    error: Option<String>,
    /// What the student typed, kept when the page comes back with an error.
    typed_school: String,
    typed_level: String,
    refused: Vec<(String, String)>,
    photo: Option<PhotoView>,
    order: Option<OrderView>,
    /// The campaign's fee, `"20.00"`.
    fee_yuan: String,
    /// The contact phone the order form starts with.
    contact_phone: String,
    /// The ways to pay on offer: (value, label).
    pay_methods: Vec<(&'static str, &'static str)>,
    /// Where the collection stands (`Progress::as_str`), once a photo is kept.
    progress: &'static str,
    /// The steps after the photo: (id, label, class: done | current | bad | "").
    progress_steps: Vec<(&'static str, &'static str, &'static str)>,
    /// The on-site session the department registered the student for.
    onsite: Option<(gradphoto_db::onsite_sessions::SessionRow, Option<i64>)>,
    /// The campaign whose on-site schedule and notice are published.
    schedule: Option<i64>,
}

/// The steps after the photo, as the student follows them.
fn progress_steps(ctx: &PageCtx, p: Progress) -> Vec<(&'static str, &'static str, &'static str)> {
    let review = match p {
        Progress::InReview => ctx.tr("人工审核中", "Being reviewed"),
        Progress::Rejected => ctx.tr("审核未通过，请重拍", "Rejected: please retake"),
        _ => ctx.tr("照片合格", "Photo accepted"),
    };
    let registry = match p {
        Progress::RejectedByRegistry => ctx.tr("学信网未接收", "Not accepted by the registry"),
        _ => ctx.tr("学信网已接收", "Accepted by the registry"),
    };
    let steps = [
        ("submitted", ctx.tr("照片已提交", "Photo submitted")),
        ("checked", review),
        ("paid", ctx.tr("已支付", "Paid")),
        ("sent", ctx.tr("已报送学信网", "Sent to the registry")),
        ("accepted", registry),
    ];
    // The step being waited for, and whether it failed.
    let (at, bad) = match p {
        Progress::NoPhoto => (0, false),
        Progress::InReview => (1, false),
        Progress::Rejected => (1, true),
        Progress::AwaitingPayment => (2, false),
        Progress::Sending => (3, false),
        Progress::Sent => (4, false),
        Progress::AcceptedByRegistry => (5, false),
        Progress::RejectedByRegistry => (4, true),
    };
    steps
        .into_iter()
        .enumerate()
        .map(|(i, (id, label))| {
            let class = match i.cmp(&at) {
                std::cmp::Ordering::Less => "done",
                std::cmp::Ordering::Equal if bad => "bad",
                std::cmp::Ordering::Equal => "current",
                std::cmp::Ordering::Greater => "",
            };
            (id, label, class)
        })
        .collect()
}

/// The confirmed order, as the student sees it.
struct OrderView {
    code: String,
    status: String,
    label: String,
    total_yuan: String,
    contact_masked: String,
}

impl HomePage {
    fn is(&self, s: &str) -> bool {
        matches!(
            (self.step, s),
            (Step::School, "school")
                | (Step::Identity, "identity")
                | (Step::Code, "code")
                | (Step::Photo, "photo")
        )
    }
    fn school_name(&self) -> String {
        self.state
            .university
            .as_ref()
            .map(|u| self.ctx.tr(&u.name_zh, &u.name_en).to_string())
            .unwrap_or_default()
    }
    fn campaign_name(&self) -> String {
        self.state
            .campaign
            .as_ref()
            .map(|c| c.name.clone())
            .unwrap_or_default()
    }
    /// No order yet, or one still waiting for payment (its contact phone may change).
    fn order_open(&self) -> bool {
        self.order.as_ref().is_none_or(|o| o.status == "pending")
    }
    /// A photo on its way to (or accepted by) the registry is final; one it turned down
    /// is retaken.
    fn may_retake(&self) -> bool {
        !matches!(self.progress, "sending" | "sent" | "accepted")
    }
    fn level_label(&self, l: &Level) -> &'static str {
        if self.ctx.is_zh() { l.zh() } else { l.en() }
    }
}

#[derive(Default)]
struct Typed {
    school: String,
    level: String,
    /// Why an upload could not be made into a standard photo: (code, text).
    refused: Vec<(String, String)>,
}

/// The photo that counts, as the student sees it.
struct PhotoView {
    id: i64,
    status: String,
    label: String,
    /// Borderline findings (a photo in review) as (code, text).
    reasons: Vec<(String, String)>,
    review_reasons: Option<String>,
    resubmit_by: Option<String>,
}

async fn show(
    s: &AppState,
    p: StudentPage,
    error: Option<AppError>,
    typed: Typed,
) -> Result<Response, WebError> {
    let state = s
        .app
        .online_state(&p.account)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    let schools = s
        .app
        .online_school_choices()
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    let photo_row = s
        .app
        .online_current_photo(&state)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    let outbox = s
        .app
        .online_outbox(photo_row.as_ref())
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    let order_row = s
        .app
        .online_order(&state)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    let progress = Progress::of(photo_row.as_ref(), order_row.as_ref(), outbox.as_ref());
    let photo = photo_row.map(|row| {
        let st = PhotoStatus::parse(&row.status);
        PhotoView {
            id: row.id,
            status: row.status.clone(),
            label: st
                .map(|x| p.ctx.tr(x.zh(), x.en()).to_string())
                .unwrap_or_default(),
            reasons: reasons_of(&row)
                .into_iter()
                .map(|r| (r.code, p.ctx.tr(&r.zh, &r.en).to_string()))
                .collect(),
            review_reasons: row.review_reasons.clone(),
            resubmit_by: row.resubmit_by.clone(),
        }
    });
    let order = order_row.map(|o| OrderView {
        label: match o.status.as_str() {
            "paid" => p.ctx.tr("已支付", "Paid"),
            "canceled" => p.ctx.tr("已取消", "Canceled"),
            _ => p.ctx.tr("待支付", "Awaiting payment"),
        }
        .to_string(),
        total_yuan: Fen(o.total_fen).yuan(),
        contact_masked: mask_phone(&o.contact_phone),
        code: o.code,
        status: o.status,
    });
    let onsite = s
        .app
        .student_onsite_session(&state)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    // The published schedule and notice, once there are.
    let schedule = match &onsite {
        Some((session, _)) => s
            .app
            .db
            .publication(session.campaign_id)
            .await
            .map_err(|e| WebError::page(e.into(), p.ctx.lang))?
            .map(|_| session.campaign_id),
        None => None,
    };
    let fee_yuan = state
        .campaign
        .as_ref()
        .map(|c| Fen(c.fee_fen).yuan())
        .unwrap_or_default();
    let mut status = error.as_ref().map(status_of).unwrap_or(StatusCode::OK);
    if !typed.refused.is_empty() {
        status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    let error = error.map(|e| p.ctx.msg(&e.message()).to_string());
    let mut r = render(&HomePage {
        onsite,
        schedule,
        phone_masked: mask_phone(&p.account.phone),
        step: state.step,
        state,
        schools,
        levels: Level::ALL
            .iter()
            .map(|l| (l.as_str(), l.zh(), l.en()))
            .collect(),
        error,
        typed_school: typed.school,
        typed_level: typed.level,
        refused: typed.refused,
        photo,
        order,
        fee_yuan,
        contact_phone: p.account.phone.clone(),
        pay_methods: s
            .app
            .payments
            .methods()
            .into_iter()
            .map(|m| {
                (
                    m.as_str(),
                    match m {
                        Method::Wechat => p.ctx.tr("微信支付", "WeChat Pay"),
                        Method::Alipay => p.ctx.tr("支付宝", "Alipay"),
                    },
                )
            })
            .collect(),
        progress: progress.as_str(),
        progress_steps: progress_steps(&p.ctx, progress),
        ctx: p.ctx,
    });
    *r.status_mut() = status;
    Ok(r)
}

/// A refusal the student reads on the page and can act on; anything else is an error page.
fn shown(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Invalid(_)
            | AppError::Conflict(_)
            | AppError::Throttled(_)
            | AppError::NotFound(_)
    )
}

/// After a step: back to the page (303) when it worked, the page with the message when
/// the student can fix it.
async fn after(
    s: &AppState,
    p: StudentPage,
    done: Result<OnlineState, AppError>,
    typed: Typed,
) -> Result<Response, WebError> {
    match done {
        Ok(_) => Ok(Redirect::to("/student").into_response()),
        Err(e) if shown(&e) => show(s, p, Some(e), typed).await,
        Err(e) => Err(WebError::page(e, p.ctx.lang)),
    }
}

async fn home(State(s): State<AppState>, p: StudentPage) -> Result<Response, WebError> {
    let typed = Typed::default();
    show(&s, p, None, typed).await
}

#[derive(Deserialize)]
struct SchoolForm {
    #[serde(default)]
    school: String,
}

async fn school(
    State(s): State<AppState>,
    p: StudentPage,
    axum::Form(f): axum::Form<SchoolForm>,
) -> Result<Response, WebError> {
    let done = s.app.online_choose_school(&p.account, &f.school).await;
    let typed = Typed {
        school: f.school,
        ..Typed::default()
    };
    after(&s, p, done, typed).await
}

#[derive(Deserialize)]
struct IdentityForm {
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    level: String,
}

async fn identity(
    State(s): State<AppState>,
    p: StudentPage,
    axum::Form(f): axum::Form<IdentityForm>,
) -> Result<Response, WebError> {
    let done = s
        .app
        .online_verify_identity(&p.account, &f.id_number, &f.level)
        .await;
    // The ID number is not echoed back into the page.
    let typed = Typed {
        level: f.level,
        ..Typed::default()
    };
    after(&s, p, done, typed).await
}

async fn restart(State(s): State<AppState>, p: StudentPage) -> Result<Response, WebError> {
    let done = s.app.online_restart_identity(&p.account).await;
    let typed = Typed::default();
    after(&s, p, done, typed).await
}

/// The code as text (`code`: scanned live or pasted) or as a picture of it (`image`).
async fn code(
    State(s): State<AppState>,
    p: StudentPage,
    mut mp: Multipart,
) -> Result<Response, WebError> {
    let bad = super::unreadable_form;
    let (mut text, mut image) = (String::new(), None);
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(WebError::page(bad(), p.ctx.lang)),
        };
        let name = field.name().unwrap_or("").to_string();
        let Ok(bytes) = field.bytes().await else {
            return Err(WebError::page(bad(), p.ctx.lang));
        };
        match name.as_str() {
            "code" => text = String::from_utf8_lossy(&bytes).trim().to_string(),
            "image" if !bytes.is_empty() => image = Some(bytes.to_vec()),
            _ => {}
        }
    }
    let typed = Typed::default();
    if text.is_empty()
        && let Some(img) = image
    {
        match s.app.online_read_code_image(img).await {
            Ok(t) => text = t,
            Err(e) => return after(&s, p, Err(e), typed).await,
        }
    }
    let done = s.app.online_bind_code(&p.account, &text).await;
    after(&s, p, done, typed).await
}

/// Step 4: the photo, taken with the camera or chosen. The answer is the page itself:
/// the standard image made from it, or the reasons it could not be.
async fn photo(
    State(s): State<AppState>,
    p: StudentPage,
    mut mp: Multipart,
) -> Result<Response, WebError> {
    let mut bytes = Vec::new();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(WebError::page(super::unreadable_form(), p.ctx.lang)),
        };
        if field.name() == Some("photo") {
            match field.bytes().await {
                Ok(b) => bytes = b.to_vec(),
                Err(_) => return Err(WebError::page(super::unreadable_form(), p.ctx.lang)),
            }
        }
    }
    match s.app.online_submit_photo(&p.account, bytes).await {
        Ok(Submitted::Kept(_)) => Ok(Redirect::to("/student").into_response()),
        Ok(Submitted::Refused(report)) => {
            let refused = report
                .reasons
                .iter()
                .map(|r| (r.code.to_string(), p.ctx.tr(&r.zh, &r.en).to_string()))
                .collect();
            let typed = Typed {
                refused,
                ..Typed::default()
            };
            show(&s, p, None, typed).await
        }
        Err(e) => after(&s, p, Err(e), Typed::default()).await,
    }
}

#[derive(Deserialize)]
struct OrderForm {
    #[serde(default)]
    contact_phone: String,
}

/// Step 5: the order, confirmed with the contact phone.
async fn confirm_order(
    State(s): State<AppState>,
    p: StudentPage,
    axum::Form(f): axum::Form<OrderForm>,
) -> Result<Response, WebError> {
    match s
        .app
        .online_confirm_order(&p.account, &f.contact_phone)
        .await
    {
        Ok(_) => Ok(Redirect::to("/student").into_response()),
        Err(e) => after(&s, p, Err(e), Typed::default()).await,
    }
}

async fn photo_image(State(s): State<AppState>, p: StudentPage) -> Result<Response, WebError> {
    let bytes = s
        .app
        .online_photo_image(&p.account)
        .await
        .map_err(|e| WebError::page(e, p.ctx.lang))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        bytes,
    )
        .into_response())
}

/// Live scanning where the browser has a barcode detector; plain JavaScript, no library.
/// The camera scanner of the student's code step and of the desks (also the offline site's).
pub(crate) async fn scan_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/scan.js"),
    )
        .into_response()
}
