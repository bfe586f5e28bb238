//! The agency's branches for make-up shoots (issue 8): branches and their services, the
//! public calendar of holidays and adjusted working days, and a branch's day list where
//! absent students are marked.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use gradphoto_app::AppError;
use gradphoto_app::makeup_branches::{BranchInput, BranchView, ServiceInput};
use gradphoto_app::makeup_checkin::BranchCheckin;
use gradphoto_app::makeup_day::BranchDay;
use gradphoto_domain::calendar::china_date;
use gradphoto_domain::makeup::booking::BookingStatus;
use gradphoto_domain::makeup::slots::OpenDays;
use gradphoto_domain::payments::Fen;
use serde::Deserialize;

use super::{Page, PageCtx, render};
use crate::AppState;
use crate::error::{WebError, status_of};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/branches", get(list).post(create))
        .route("/branches/calendar", get(calendar).post(save_calendar))
        .route("/branches/{id}", get(branch).post(update))
        .route("/branches/{id}/services", post(create_service))
        .route("/branches/services/{id}", post(update_service))
        .route("/branches/{id}/day", get(day))
        .route("/branches/bookings/{id}/no-show", post(no_show))
        .route("/branches/{id}/desk", get(desk))
        .route("/branches/{id}/checkin", post(check_in))
}

/// A refusal the admin can correct is shown on the page it came from.
fn correctable(e: &AppError) -> bool {
    matches!(e, AppError::Invalid(_) | AppError::Conflict(_))
}

fn shown(ctx: &PageCtx, e: Option<AppError>) -> (axum::http::StatusCode, Option<String>) {
    match e {
        Some(e) => (status_of(&e), Some(ctx.msg(&e.message()).to_string())),
        None => (axum::http::StatusCode::OK, None),
    }
}

// ---- the list --------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "branches.html")]
struct ListPage {
    ctx: PageCtx,
    branches: Vec<BranchView>,
    /// Years bookings reach that the public calendar does not list.
    gaps: Vec<i32>,
    today: String,
    f: BranchInput,
    error: Option<String>,
}

async fn show_list(
    s: &AppState,
    p: Page,
    f: BranchInput,
    e: Option<AppError>,
) -> Result<Response, WebError> {
    let branches = s.app.branch_views(&p.staff).await.map_err(|e| p.err(e))?;
    let gaps = s.app.calendar_gaps().await.map_err(|e| p.err(e))?;
    let (status, error) = shown(&p.ctx, e);
    let page = ListPage {
        branches,
        gaps,
        today: china_date(gradphoto_db::now_ms()).to_string(),
        f,
        error,
        ctx: p.ctx,
    };
    Ok((status, render(&page)).into_response())
}

async fn list(State(s): State<AppState>, p: Page) -> Result<Response, WebError> {
    let f = BranchInput {
        active: true,
        ..BranchInput::default()
    };
    show_list(&s, p, f, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BranchForm {
    name: String,
    city: String,
    address: String,
    phone: String,
    active: Option<String>,
}

impl BranchForm {
    fn input(self) -> BranchInput {
        BranchInput {
            name: self.name,
            city: self.city,
            address: self.address,
            phone: self.phone,
            active: self.active.is_some(),
        }
    }
}

async fn create(
    State(s): State<AppState>,
    p: Page,
    axum::Form(f): axum::Form<BranchForm>,
) -> Result<Response, WebError> {
    let input = f.input();
    match s.app.create_branch(&p.staff, &input).await {
        Ok(b) => Ok(Redirect::to(&format!("/branches/{}", b.id)).into_response()),
        Err(e) if correctable(&e) => show_list(&s, p, input, Some(e)).await,
        Err(e) => Err(p.err(e)),
    }
}

// ---- one branch ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "branch.html")]
struct BranchPage {
    ctx: PageCtx,
    v: BranchView,
    f: BranchInput,
    /// Each service with its form (as stored, or as typed when refused).
    services: Vec<(i64, ServiceInput, String)>,
    new_service: ServiceInput,
    open_days: Vec<(&'static str, String)>,
    today: String,
    error: Option<String>,
}

async fn show_branch(
    s: &AppState,
    p: Page,
    id: i64,
    typed: Option<(Option<i64>, ServiceInput)>,
    branch_typed: Option<BranchInput>,
    e: Option<AppError>,
) -> Result<Response, WebError> {
    let v = s
        .app
        .branch_view(&p.staff, id)
        .await
        .map_err(|e| p.err(e))?;
    let (status, error) = shown(&p.ctx, e);
    let mut new_service = ServiceInput::default();
    let services = v
        .services
        .iter()
        .map(|sv| {
            let input = match &typed {
                Some((Some(t), input)) if *t == sv.id => input.clone(),
                _ => ServiceInput::of(sv),
            };
            (sv.id, input, Fen(sv.price_fen).yuan())
        })
        .collect();
    if let Some((None, input)) = typed {
        new_service = input;
    }
    let page = BranchPage {
        f: branch_typed.unwrap_or_else(|| BranchInput::of(&v.branch)),
        v,
        services,
        new_service,
        open_days: [OpenDays::WorkingDays, OpenDays::AllButHolidays]
            .into_iter()
            .map(|o| (o.as_str(), p.ctx.tr(o.zh(), o.en()).to_string()))
            .collect(),
        today: china_date(gradphoto_db::now_ms()).to_string(),
        error,
        ctx: p.ctx,
    };
    Ok((status, render(&page)).into_response())
}

async fn branch(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    show_branch(&s, p, id, None, None, None).await
}

async fn update(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<BranchForm>,
) -> Result<Response, WebError> {
    let input = f.input();
    match s.app.update_branch(&p.staff, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/branches/{id}")).into_response()),
        Err(e) if correctable(&e) => show_branch(&s, p, id, None, Some(input), Some(e)).await,
        Err(e) => Err(p.err(e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ServiceForm {
    name_zh: String,
    name_en: String,
    place: String,
    price_yuan: String,
    open_days: String,
    windows: String,
    slot_minutes: String,
    slot_capacity: String,
    cutoff_minutes: String,
    days_ahead: String,
    payment: String,
    choose_shots: Option<String>,
    active: Option<String>,
}

impl ServiceForm {
    fn input(self) -> ServiceInput {
        ServiceInput {
            name_zh: self.name_zh,
            name_en: self.name_en,
            place: self.place,
            price_yuan: self.price_yuan,
            open_days: self.open_days,
            windows: self.windows,
            slot_minutes: self.slot_minutes,
            slot_capacity: self.slot_capacity,
            cutoff_minutes: self.cutoff_minutes,
            days_ahead: self.days_ahead,
            payment: self.payment,
            choose_shots: self.choose_shots.is_some(),
            active: self.active.is_some(),
        }
    }
}

async fn create_service(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ServiceForm>,
) -> Result<Response, WebError> {
    let input = f.input();
    match s.app.create_service(&p.staff, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/branches/{id}")).into_response()),
        Err(e) if correctable(&e) => {
            show_branch(&s, p, id, Some((None, input)), None, Some(e)).await
        }
        Err(e) => Err(p.err(e)),
    }
}

async fn update_service(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ServiceForm>,
) -> Result<Response, WebError> {
    let input = f.input();
    match s.app.update_service(&p.staff, id, &input).await {
        Ok(row) => Ok(Redirect::to(&format!("/branches/{}", row.branch_id)).into_response()),
        Err(e) if correctable(&e) => {
            let branch = s
                .app
                .db
                .service(id)
                .await
                .map_err(|e| p.err(e.into()))?
                .branch_id;
            show_branch(&s, p, branch, Some((Some(id), input)), None, Some(e)).await
        }
        Err(e) => Err(p.err(e)),
    }
}

// ---- the public calendar ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    ctx: PageCtx,
    year: i32,
    text: String,
    saved: Option<usize>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct YearQuery {
    year: Option<i32>,
    saved: Option<usize>,
}

fn this_year() -> i32 {
    use chrono::Datelike;
    china_date(gradphoto_db::now_ms()).year()
}

async fn calendar(
    State(s): State<AppState>,
    p: Page,
    Query(q): Query<YearQuery>,
) -> Result<Response, WebError> {
    let year = q.year.unwrap_or_else(this_year);
    let text = s
        .app
        .public_year_text(&p.staff, year)
        .await
        .map_err(|e| p.err(e))?;
    Ok(render(&CalendarPage {
        year,
        text,
        saved: q.saved,
        error: None,
        ctx: p.ctx,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CalendarForm {
    year: String,
    days: String,
}

async fn save_calendar(
    State(s): State<AppState>,
    p: Page,
    axum::Form(f): axum::Form<CalendarForm>,
) -> Result<Response, WebError> {
    let Some(year) = f
        .year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
    else {
        return Err(p.err(AppError::invalid(
            "calendar.year",
            "年份无效",
            "The year is not valid",
        )));
    };
    match s.app.replace_public_year(&p.staff, year, &f.days).await {
        Ok(n) => {
            Ok(Redirect::to(&format!("/branches/calendar?year={year}&saved={n}")).into_response())
        }
        Err(e) if correctable(&e) => {
            let (status, error) = shown(&p.ctx, Some(e));
            let page = CalendarPage {
                year,
                text: f.days,
                saved: None,
                error,
                ctx: p.ctx,
            };
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(p.err(e)),
    }
}

// ---- a branch's day --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "branch_day.html")]
struct DayPage {
    ctx: PageCtx,
    d: BranchDay,
    booked: usize,
    attended: usize,
    absent: usize,
    prev: String,
    next: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DayQuery {
    day: Option<String>,
}

async fn day(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    Query(q): Query<DayQuery>,
) -> Result<Response, WebError> {
    let day = q
        .day
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| china_date(gradphoto_db::now_ms()));
    let d = s
        .app
        .branch_day(&p.staff, id, day)
        .await
        .map_err(|e| p.err(e))?;
    Ok(render(&DayPage {
        booked: d.count(BookingStatus::Booked),
        attended: d.count(BookingStatus::Attended),
        absent: d.count(BookingStatus::NoShow),
        prev: day.pred_opt().map(|d| d.to_string()).unwrap_or_default(),
        next: day.succ_opt().map(|d| d.to_string()).unwrap_or_default(),
        d,
        ctx: p.ctx,
    }))
}

async fn no_show(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let row = s
        .app
        .mark_no_show(&p.staff, id)
        .await
        .map_err(|e| p.err(e))?;
    let branch = s
        .app
        .db
        .service(row.service_id)
        .await
        .map_err(|e| p.err(e.into()))?
        .branch_id;
    Ok(Redirect::to(&format!("/branches/{branch}/day?day={}", row.day)).into_response())
}

// ---- the branch's desk -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "branch_desk.html")]
struct DeskPage {
    ctx: PageCtx,
    d: BranchDay,
    done: Option<BranchCheckin>,
    error: Option<String>,
    methods: Vec<gradphoto_app::payments::Method>,
}

async fn show_desk(
    s: &AppState,
    p: Page,
    id: i64,
    done: Option<BranchCheckin>,
    e: Option<AppError>,
) -> Result<Response, WebError> {
    let today = china_date(gradphoto_db::now_ms());
    let d = s
        .app
        .branch_day(&p.staff, id, today)
        .await
        .map_err(|e| p.err(e))?;
    let (status, error) = shown(&p.ctx, e);
    let page = DeskPage {
        d,
        done,
        error,
        methods: s.app.payments.methods(),
        ctx: p.ctx,
    };
    Ok((status, render(&page)).into_response())
}

async fn desk(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    show_desk(&s, p, id, None, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ScanForm {
    code: String,
}

/// A scanned code at the branch: the booked student's number, or why not.
async fn check_in(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ScanForm>,
) -> Result<Response, WebError> {
    match s.app.branch_check_in(&p.staff, id, &f.code).await {
        Ok(done) => show_desk(&s, p, id, Some(done), None).await,
        Err(e) if correctable(&e) => show_desk(&s, p, id, None, Some(e)).await,
        Err(e) => Err(p.err(e)),
    }
}
