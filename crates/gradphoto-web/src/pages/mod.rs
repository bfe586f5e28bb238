//! Server-rendered pages. Each page is an askama template struct holding a [`PageCtx`]
//! (language, signed-in person, CSRF token) and its data; texts are written in both
//! languages side by side with `ctx.tr("中文", "English")`.

mod auth;
mod branches;
mod campaigns;
mod desk;
pub(crate) mod forms;
mod home;
mod onsite;
mod onsite_desk_fee;
mod onsite_fees;
mod onsite_offline;
mod onsite_progress;
mod onsite_schedule;
mod onsite_station;
mod orders;
mod photo_downloads;
mod prints;
mod reports;
mod review;
mod staff;
mod student;
mod student_centre;
mod student_makeup;
mod student_pay;
mod student_steps;
pub(crate) use student_steps::scan_js;
mod universities;

use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use gradphoto_app::AppError;
use gradphoto_app::auth::Staff;
use gradphoto_domain::i18n::{Lang, Msg};
use gradphoto_domain::policy::Role;
use gradphoto_domain::roster::RowError;

use crate::AppState;
use crate::csrf::CsrfToken;
use crate::error::WebError;
use crate::i18n::lang_of;
use crate::session::{CurrentStaff, MaybeStaff};

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(auth::routes())
        .merge(home::routes())
        .merge(universities::routes())
        .merge(branches::routes())
        .merge(campaigns::routes())
        .merge(desk::routes())
        .merge(review::routes())
        .merge(onsite::routes())
        .merge(onsite_desk_fee::routes())
        .merge(onsite_fees::routes())
        .merge(onsite_offline::routes())
        .merge(onsite_progress::routes())
        .merge(onsite_schedule::routes())
        .merge(onsite_station::routes())
        .merge(orders::routes())
        .merge(photo_downloads::routes())
        .merge(prints::routes())
        .merge(reports::routes())
        .merge(staff::routes())
        .merge(student::routes())
        .merge(student_steps::routes())
        .merge(student_pay::routes())
        .merge(student_centre::routes())
        .merge(student_makeup::routes())
}

/// A multipart form that cannot be read (cut off, malformed): the same answer on every page
/// that takes uploads.
pub(crate) fn unreadable_form() -> gradphoto_app::AppError {
    gradphoto_app::AppError::invalid(
        "upload.unreadable",
        "上传的表单无法读取",
        "The uploaded form could not be read",
    )
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

/// What the header of every page shows about the signed-in person.
#[derive(Debug, Clone)]
pub struct StaffInfo {
    pub display_name: String,
    pub role_label: String,
    pub university_id: Option<i64>,
    pub agency: bool,
    pub can_audit: bool,
    pub can_manage_staff: bool,
    /// Agency staff who work the collection desk.
    pub can_desk: bool,
    /// Staff who may see online orders (the agency's, or their university's).
    pub can_orders: bool,
}

/// Per-request context of a page.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub lang: Lang,
    pub staff: Option<StaffInfo>,
    pub csrf: String,
    pub path: String,
}

impl PageCtx {
    pub fn tr<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
    pub fn is_zh(&self) -> bool {
        self.lang == Lang::Zh
    }
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh",
        }
    }
    pub fn path_encoded(&self) -> String {
        percent_encoding::utf8_percent_encode(&self.path, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
    }
    pub fn msg<'a>(&self, m: &'a Msg) -> &'a str {
        m.text(self.lang)
    }

    fn new(parts: &Parts, staff: Option<&Staff>) -> PageCtx {
        let lang = lang_of(parts);
        PageCtx {
            lang,
            staff: staff.map(|s| StaffInfo {
                display_name: s.row.display_name.clone(),
                role_label: match lang {
                    Lang::Zh => s.actor.role.zh(),
                    Lang::En => s.actor.role.en(),
                }
                .to_string(),
                university_id: s.actor.university_id,
                agency: matches!(
                    s.actor.role,
                    Role::AgencyAdmin | Role::AgencyPhotographer | Role::RegistryOperator
                ),
                can_audit: matches!(
                    s.actor.role,
                    Role::AgencyAdmin | Role::RegistryOperator | Role::UniversityAdmin
                ),
                can_manage_staff: matches!(s.actor.role, Role::AgencyAdmin | Role::UniversityAdmin),
                can_desk: matches!(s.actor.role, Role::AgencyAdmin | Role::AgencyPhotographer),
                can_orders: gradphoto_app::order_list::may_list_orders(s).is_ok(),
            }),
            csrf: parts
                .extensions
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            path: parts
                .uri
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "/".into()),
        }
    }
}

/// A signed-in page request: the person and the page context.
pub struct Page {
    pub staff: Staff,
    pub ctx: PageCtx,
}

impl Page {
    /// Wraps a use-case error for rendering as a page in this request's language.
    pub fn err(&self, e: AppError) -> WebError {
        WebError::page(e, self.ctx.lang)
    }
}

impl FromRequestParts<AppState> for Page {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Page, WebError> {
        let CurrentStaff(staff) = CurrentStaff::from_request_parts(parts, state).await?;
        let ctx = PageCtx::new(parts, Some(&staff));
        Ok(Page { staff, ctx })
    }
}

/// A page that also works signed out (login, language switch).
pub struct AnyPage {
    pub staff: Option<Staff>,
    pub ctx: PageCtx,
}

impl FromRequestParts<AppState> for AnyPage {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<AnyPage, WebError> {
        let MaybeStaff(staff) = MaybeStaff::from_request_parts(parts, state).await?;
        let ctx = PageCtx::new(parts, staff.as_ref());
        Ok(AnyPage { staff, ctx })
    }
}

/// Renders a template, or a plain 500 if the template itself fails.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(s) => Html(s).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub ctx: PageCtx,
    pub status: u16,
    pub message: String,
    pub rows: Vec<RowError>,
}

impl ErrorPage {
    pub fn new(lang: Lang, status: StatusCode, msg: Msg, rows: Option<Vec<RowError>>) -> ErrorPage {
        ErrorPage {
            ctx: PageCtx {
                lang,
                staff: None,
                csrf: String::new(),
                path: "/".into(),
            },
            status: status.as_u16(),
            message: msg.text(lang).to_string(),
            rows: rows.unwrap_or_default(),
        }
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        render(&self)
    }
}

/// Formats fen as yuan.
pub fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}
