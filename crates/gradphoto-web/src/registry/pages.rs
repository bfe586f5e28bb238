//! The student's pages at the registry (学信档案-style): sign in with school, ID number and
//! name; see the status records; 图像校对 (photo check) shows the photo the registry holds;
//! 查看图像采集码 shows the collection code as a QR code to save, with PNG and SVG
//! downloads, and lets the student re-issue it. Its own session cookie, scoped to
//! `/registry`, separate from the agency's staff sessions.

use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use gradphoto_app::AppError;
use gradphoto_db::registry::RegStudentRow;
use gradphoto_domain::people::Level;
use gradphoto_registry::{Phase, Registry, RegistryError, StudentSession, Window, qr};
use serde::Deserialize;

use crate::AppState;
use crate::error::WebError;
use crate::pages::{AnyPage, PageCtx, render};
use crate::session::{ClientIp, cookie};

/// The registry's student session cookie.
pub const COOKIE: &str = "gp_registry";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/archive", get(archive))
        .route("/enrolments/{id}", get(enrolment))
        .route("/enrolments/{id}/photo/{photo}", get(photo))
        .route("/enrolments/{id}/code", get(code_page))
        .route("/enrolments/{id}/code.png", get(code_png))
        .route("/enrolments/{id}/code.svg", get(code_svg))
        .route("/enrolments/{id}/code/reissue", post(reissue))
        .route("/enrolments/{id}/confirm", post(confirm))
        .route("/enrolments/{id}/report", post(report))
}

fn registry(s: &AppState, lang: gradphoto_domain::i18n::Lang) -> Result<Registry, WebError> {
    s.app
        .registry()
        .cloned()
        .map_err(|e| WebError::page(e, lang))
}

fn page_err(ctx: &PageCtx, e: RegistryError) -> WebError {
    WebError::page(AppError::from(e), ctx.lang)
}

fn cookie_header(value: &str, max_age_s: i64, secure: bool) -> HeaderValue {
    let mut c =
        format!("{COOKIE}={value}; Path=/registry; Max-Age={max_age_s}; SameSite=Lax; HttpOnly");
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or(HeaderValue::from_static(""))
}

/// A signed-in student's page; others are sent to the sign-in form.
struct StudentPage {
    ctx: PageCtx,
    reg: Registry,
    student: StudentSession,
}

impl FromRequestParts<AppState> for StudentPage {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let page = AnyPage::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let reg = registry(state, page.ctx.lang).map_err(IntoResponse::into_response)?;
        let token = cookie(&parts.headers, COOKIE).unwrap_or_default();
        match reg.student_session(&token).await {
            Ok(Some(student)) => Ok(StudentPage {
                ctx: page.ctx,
                reg,
                student,
            }),
            Ok(None) => Err(Redirect::to("/registry/sign-in").into_response()),
            Err(e) => Err(page_err(&page.ctx, e).into_response()),
        }
    }
}

/// An enrolment as the pages show it.
struct EnrolmentView {
    id: i64,
    school_code: String,
    enrolment_id: String,
    level: String,
    expected_graduation: String,
    department: String,
    name_masked: String,
    id_masked: String,
}

fn view(ctx: &PageCtx, r: RegStudentRow) -> EnrolmentView {
    let level = Level::parse(&r.level)
        .map(|l| ctx.tr(l.zh(), l.en()).to_string())
        .unwrap_or(r.level);
    EnrolmentView {
        id: r.id,
        school_code: r.school_code,
        enrolment_id: r.enrolment_id,
        level,
        expected_graduation: r.expected_graduation,
        department: r.department,
        name_masked: r.name_masked,
        id_masked: r.id_masked,
    }
}

async fn home(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let signed_in = match s.app.registry() {
        Ok(reg) => reg
            .student_session(&cookie(&headers, COOKIE).unwrap_or_default())
            .await
            .ok()
            .flatten()
            .is_some(),
        Err(_) => false,
    };
    Redirect::to(if signed_in {
        "/registry/archive"
    } else {
        "/registry/sign-in"
    })
    .into_response()
}

#[derive(Template)]
#[template(path = "registry_sign_in.html")]
struct SignInPage {
    ctx: PageCtx,
    signed_in: bool,
    schools: Vec<(String, String)>,
    school: String,
    name: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct SchoolQuery {
    #[serde(default)]
    school: String,
}

async fn sign_in_form(
    State(s): State<AppState>,
    page: AnyPage,
    Query(q): Query<SchoolQuery>,
) -> Result<Response, WebError> {
    registry(&s, page.ctx.lang)?;
    let schools = s
        .app
        .db
        .registry_schools()
        .await
        .map_err(|e| WebError::page(e.into(), page.ctx.lang))?;
    Ok(render(&SignInPage {
        ctx: page.ctx,
        signed_in: false,
        schools,
        school: q.school,
        name: String::new(),
        error: None,
    }))
}

#[derive(Deserialize)]
struct SignInForm {
    school: String,
    id_number: String,
    name: String,
}

async fn sign_in(
    State(s): State<AppState>,
    page: AnyPage,
    ClientIp(ip): ClientIp,
    Form(f): Form<SignInForm>,
) -> Result<Response, WebError> {
    let reg = registry(&s, page.ctx.lang)?;
    match reg.sign_in(&f.school, &f.id_number, &f.name, &ip).await {
        Ok(token) => {
            let mut r = Redirect::to("/registry/archive").into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                cookie_header(
                    &token,
                    gradphoto_registry::SESSION_TTL_MS / 1000,
                    s.app.config.security.cookie_secure,
                ),
            );
            Ok(r)
        }
        Err(e @ (RegistryError::SignInFailed | RegistryError::Throttled)) => {
            let msg = AppError::from(e).message();
            let schools = s
                .app
                .db
                .registry_schools()
                .await
                .map_err(|e| WebError::page(e.into(), page.ctx.lang))?;
            let error = Some(page.ctx.msg(&msg).to_string());
            Ok(render(&SignInPage {
                ctx: page.ctx,
                signed_in: false,
                schools,
                school: f.school,
                name: f.name,
                error,
            }))
        }
        Err(e) => Err(page_err(&page.ctx, e)),
    }
}

async fn sign_out(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let (Ok(reg), Some(token)) = (s.app.registry(), cookie(&headers, COOKIE)) {
        let _ = reg.sign_out(&token).await;
    }
    let mut r = Redirect::to("/registry/sign-in").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        cookie_header("", 0, s.app.config.security.cookie_secure),
    );
    r
}

#[derive(Template)]
#[template(path = "registry_archive.html")]
struct ArchivePage {
    ctx: PageCtx,
    signed_in: bool,
    enrolments: Vec<EnrolmentView>,
}

async fn archive(p: StudentPage) -> Result<Response, WebError> {
    let rows = p
        .reg
        .my_enrolments(&p.student)
        .await
        .map_err(|e| page_err(&p.ctx, e))?;
    let enrolments = rows.into_iter().map(|r| view(&p.ctx, r)).collect();
    Ok(render(&ArchivePage {
        ctx: p.ctx,
        signed_in: true,
        enrolments,
    }))
}

#[derive(Template)]
#[template(path = "registry_enrolment.html")]
struct EnrolmentPage {
    ctx: PageCtx,
    signed_in: bool,
    e: EnrolmentView,
    /// The id of the accepted photo shown, if any.
    accepted: Option<i64>,
    /// Reasons of the submissions not accepted, newest first.
    rejected: Vec<String>,
    /// The verification window, in words; whether the student may act now.
    window: String,
    open: bool,
    /// The student's confirmations and reports, newest first, in words.
    history: Vec<String>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    #[serde(default)]
    done: String,
}

async fn enrolment(
    p: StudentPage,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let notice = match q.done.as_str() {
        "confirmed" => Some(
            p.ctx
                .tr("已确认。感谢！", "Confirmed. Thank you!")
                .to_string(),
        ),
        "reported" => Some(
            p.ctx
                .tr(
                    "已提交，学校院系将在截止日前处理。",
                    "Sent; your department will resolve it before the deadline.",
                )
                .to_string(),
        ),
        _ => None,
    };
    enrolment_page(p, id, notice, None).await
}

async fn enrolment_page(
    p: StudentPage,
    id: i64,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let row = p
        .reg
        .my_enrolment(&p.student, id)
        .await
        .map_err(|e| page_err(&p.ctx, e))?;
    let photos = p
        .reg
        .photos_of(row.id)
        .await
        .map_err(|e| page_err(&p.ctx, e))?;
    let accepted = photos
        .iter()
        .find(|r| r.verdict == "accepted")
        .map(|r| r.id);
    let rejected = photos
        .iter()
        .filter(|r| r.verdict == "rejected")
        .take(5)
        .map(|r| reasons_text(&p.ctx, &r.reasons_json))
        .collect();
    let today = gradphoto_registry::china_today();
    let w = p
        .reg
        .window_of(&row)
        .await
        .map_err(|e| page_err(&p.ctx, e))?;
    let phase = w.as_ref().map_or(Phase::NoWindow, |w| w.phase(today));
    let window = window_text(&p.ctx, w.as_ref(), phase);
    let history = p
        .reg
        .confirmations_of(row.id)
        .await
        .map_err(|e| page_err(&p.ctx, e))?
        .iter()
        .map(|c| confirmation_text(&p.ctx, c))
        .collect();
    let e = view(&p.ctx, row);
    Ok(render(&EnrolmentPage {
        ctx: p.ctx,
        signed_in: true,
        e,
        accepted,
        rejected,
        window,
        open: phase == Phase::Open,
        history,
        notice,
        error,
    }))
}

fn window_text(ctx: &PageCtx, w: Option<&Window>, phase: Phase) -> String {
    let Some(w) = w else {
        return ctx
            .tr(
                "学校尚未设置信息确认时间。",
                "Your school has not set the verification dates yet.",
            )
            .into();
    };
    let dates = format!("{} – {}", w.opens_on, w.closes_on);
    match phase {
        Phase::Before => format!(
            "{} {dates}",
            ctx.tr("信息确认时间：", "Verification window:")
        ),
        Phase::Open => format!(
            "{} {dates}{}",
            ctx.tr("信息确认进行中：", "Verification is open:"),
            ctx.tr(
                "。请核对照片和信息，确认无误或报告问题。",
                ". Check the photo and details, then confirm or report a problem."
            )
        ),
        Phase::Resolving => format!(
            "{} {}",
            ctx.tr(
                "信息确认已结束，学校正在处理报告，截止",
                "Verification has closed; the school resolves reports by"
            ),
            w.resolve_by
        ),
        Phase::Frozen | Phase::NoWindow => format!(
            "{} {}",
            ctx.tr("信息已冻结，截止日期", "The record is frozen since"),
            w.resolve_by
        ),
    }
}

fn confirmation_text(ctx: &PageCtx, c: &gradphoto_db::registry::ConfirmationRow) -> String {
    let when = chrono::DateTime::from_timestamp_millis(c.created_at)
        .map(|t| {
            (t + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    match c.kind.as_str() {
        "confirmed" => format!("{when} {}", ctx.tr("已确认无误", "confirmed as correct")),
        _ => {
            let status = match c.resolution.as_deref() {
                None => ctx.tr("待学校处理", "awaiting the school"),
                Some("reshoot") => ctx.tr("学校已处理：需要重拍", "resolved: a re-shoot is needed"),
                Some("data_fixed") => {
                    ctx.tr("学校已处理：信息已更正", "resolved: the data was fixed")
                }
                Some(_) => ctx.tr("学校已处理：无需更改", "resolved: no change needed"),
            };
            format!(
                "{when} {}「{}」— {status}",
                ctx.tr("报告问题", "reported"),
                c.message.as_deref().unwrap_or("")
            )
        }
    }
}

async fn confirm(p: StudentPage, Path(id): Path<i64>) -> Result<Response, WebError> {
    match p
        .reg
        .confirm(&p.student, id, gradphoto_registry::china_today())
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/registry/enrolments/{id}?done=confirmed")).into_response())
        }
        Err(e @ RegistryError::Invalid { .. }) => {
            let msg = p.ctx.msg(&AppError::from(e).message()).to_string();
            enrolment_page(p, id, None, Some(msg)).await
        }
        Err(e) => Err(page_err(&p.ctx, e)),
    }
}

#[derive(Deserialize)]
struct ReportForm {
    message: String,
}

async fn report(
    p: StudentPage,
    Path(id): Path<i64>,
    Form(f): Form<ReportForm>,
) -> Result<Response, WebError> {
    match p
        .reg
        .report_error(
            &p.student,
            id,
            &f.message,
            gradphoto_registry::china_today(),
        )
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/registry/enrolments/{id}?done=reported")).into_response())
        }
        Err(e @ RegistryError::Invalid { .. }) => {
            let msg = p.ctx.msg(&AppError::from(e).message()).to_string();
            enrolment_page(p, id, None, Some(msg)).await
        }
        Err(e) => Err(page_err(&p.ctx, e)),
    }
}

/// The messages of a stored reasons list, in the page's language.
fn reasons_text(ctx: &PageCtx, json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let key = ctx.tr("zh", "en");
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f[key].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

async fn photo(
    p: StudentPage,
    Path((id, photo)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let row = p
        .reg
        .my_enrolment(&p.student, id)
        .await
        .map_err(|e| page_err(&p.ctx, e))?;
    let photo_id: i64 = photo
        .strip_suffix(".jpg")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| WebError::page(AppError::not_found(), p.ctx.lang))?;
    let photos = p
        .reg
        .photos_of(row.id)
        .await
        .map_err(|e| page_err(&p.ctx, e))?;
    let rec = photos
        .into_iter()
        .find(|r| r.id == photo_id && r.verdict == "accepted")
        .ok_or_else(|| WebError::page(AppError::not_found(), p.ctx.lang))?;
    let bytes = p
        .reg
        .open_photo(&rec)
        .await
        .map_err(|e| page_err(&p.ctx, e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "registry_code.html")]
struct CodePage {
    ctx: PageCtx,
    signed_in: bool,
    e: EnrolmentView,
    code: String,
    svg: String,
    reissued: bool,
}

#[derive(Deserialize, Default)]
struct CodeQuery {
    #[serde(default)]
    reissued: bool,
}

async fn code_page(
    p: StudentPage,
    Path(id): Path<i64>,
    Query(q): Query<CodeQuery>,
) -> Result<Response, WebError> {
    let (row, code) = my_code(&p, id).await?;
    let svg = qr::svg(&code).map_err(|e| page_err(&p.ctx, e))?;
    let e = view(&p.ctx, row);
    Ok(render(&CodePage {
        ctx: p.ctx,
        signed_in: true,
        e,
        code,
        svg,
        reissued: q.reissued,
    }))
}

/// One of the signed-in student's enrolments and its live code (issued on first view).
async fn my_code(p: &StudentPage, id: i64) -> Result<(RegStudentRow, String), WebError> {
    let row = p
        .reg
        .my_enrolment(&p.student, id)
        .await
        .map_err(|e| page_err(&p.ctx, e))?;
    let code = p
        .reg
        .code_for(row.id)
        .await
        .map_err(|e| page_err(&p.ctx, e))?
        .code;
    Ok((row, code))
}

fn download(content_type: &'static str, name: String, body: Vec<u8>) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    let mut r = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        body,
    )
        .into_response();
    r.headers_mut()
        .insert(header::CONTENT_DISPOSITION, disposition);
    r
}

async fn code_png(p: StudentPage, Path(id): Path<i64>) -> Result<Response, WebError> {
    let (row, code) = my_code(&p, id).await?;
    let png = qr::png(&code, 8).map_err(|e| page_err(&p.ctx, e))?;
    Ok(download(
        "image/png",
        format!("collection-code-{}.png", row.enrolment_id),
        png,
    ))
}

async fn code_svg(p: StudentPage, Path(id): Path<i64>) -> Result<Response, WebError> {
    let (row, code) = my_code(&p, id).await?;
    let svg = qr::svg(&code).map_err(|e| page_err(&p.ctx, e))?;
    Ok(download(
        "image/svg+xml",
        format!("collection-code-{}.svg", row.enrolment_id),
        svg.into_bytes(),
    ))
}

async fn reissue(p: StudentPage, Path(id): Path<i64>) -> Result<Response, WebError> {
    let row = p
        .reg
        .my_enrolment(&p.student, id)
        .await
        .map_err(|e| page_err(&p.ctx, e))?;
    p.reg
        .reissue_code(row.id)
        .await
        .map_err(|e| page_err(&p.ctx, e))?;
    Ok(Redirect::to(&format!(
        "/registry/enrolments/{}/code?reissued=true",
        row.id
    ))
    .into_response())
}
