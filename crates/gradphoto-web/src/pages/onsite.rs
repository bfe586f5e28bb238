//! The on-site days: the campaign's plan of sessions (university admin, agency), the
//! registration page of a session (department secretaries pick their students), and the
//! check-in desk of a queue (a wedge scanner types the code into a focused field and
//! presses Enter; the page answers with the shooting number and is ready for the next).

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gradphoto_app::AppError;
use gradphoto_app::onsite_checkin::{Checkin, DeskQueue};
use gradphoto_app::onsite_plan::OnsitePlan;
use gradphoto_app::onsite_registration::SessionRegistrations;
use gradphoto_db::onsite::CheckinRow;
use gradphoto_db::universities::DepartmentRow;
use gradphoto_domain::onsite_plan::SessionForm;
use gradphoto_domain::people::mask_name;
use gradphoto_domain::policy::{Action, Resource, ResourceKind};
use serde::Deserialize;

use super::forms::{correctable, field, pairs as form_pairs, pdf, shown};
use super::{Page, PageCtx, render};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns/{id}/onsite", get(plan).post(create_session))
        .route("/onsite/sessions/{id}", get(session))
        .route("/onsite/sessions/{id}/register", post(register))
        .route("/onsite/sessions/{id}/note", post(note))
        .route("/onsite/sessions/{id}/queues", post(add_queue))
        .route("/onsite/sessions/{id}/delete", post(delete_session))
        .route("/onsite/sessions/{id}/edit", post(edit_session))
        .route("/onsite/sessions/{id}/unregister", post(unregister))
        .route("/onsite/sessions/{id}/template.xlsx", get(template))
        .route("/onsite/sessions/{id}/import", post(import))
        .route("/onsite/queues/{id}/desk", get(desk))
        .route("/onsite/queues/{id}/checkin", post(check_in))
        .route("/onsite/queues/{id}/checkin-image", post(check_in_image))
        .route("/onsite/queues/{id}/sheet.pdf", get(sheet_pdf))
}

// ---- the plan -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "onsite_plan.html")]
struct PlanPage {
    ctx: PageCtx,
    plan: OnsitePlan,
    departments: Vec<DepartmentRow>,
    publication: Option<gradphoto_db::onsite_registrations::PublicationRow>,
    can_create: bool,
    can_desk: bool,
    error: Option<String>,
    form: Vec<(String, String)>,
}

impl PlanPage {
    fn value(&self, name: &str) -> &str {
        field(&self.form, name)
    }
    /// The departments a session is for, by name ("every department" when none).
    fn for_whom(&self, ids: &[i64]) -> String {
        if ids.is_empty() {
            return self.ctx.tr("全部院系", "Every department").to_string();
        }
        self.departments
            .iter()
            .filter(|d| ids.contains(&d.id))
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join(self.ctx.tr("，", ", "))
    }
    fn ticked(&self, id: &i64) -> bool {
        let id = id.to_string();
        self.form
            .iter()
            .any(|(k, v)| k == "departments" && *v == id)
    }
}

async fn show_plan(
    s: &AppState,
    p: Page,
    id: i64,
    error: Option<AppError>,
    form: Vec<(String, String)>,
) -> Result<Response, WebError> {
    let plan = s
        .app
        .onsite_plan(&p.staff, id)
        .await
        .map_err(|e| p.err(e))?;
    let uni = plan.campaign.university_id;
    let departments = s
        .app
        .db
        .list_departments(uni)
        .await
        .map_err(|e| p.err(e.into()))?;
    let publication = s
        .app
        .db
        .publication(id)
        .await
        .map_err(|e| p.err(e.into()))?;
    let can_create = p
        .staff
        .may(
            Action::Create,
            Resource::of_university(ResourceKind::Onsite, uni),
        )
        .is_ok();
    let (status, error) = shown(&p.ctx, error);
    let page = PlanPage {
        can_desk: can_create,
        can_create: can_create
            && p.staff
                .may(
                    Action::Update,
                    Resource::of_university(ResourceKind::Onsite, uni),
                )
                .is_ok(),
        plan,
        departments,
        publication,
        error,
        form,
        ctx: p.ctx,
    };
    Ok((status, render(&page)).into_response())
}

async fn plan(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    show_plan(&s, p, id, None, Vec::new()).await
}

/// A session as its form sends it (the same fields to add one and to change one).
fn session_form(pairs: &[(String, String)]) -> SessionForm<'_> {
    SessionForm {
        campus: field(pairs, "campus"),
        place: field(pairs, "place"),
        day: field(pairs, "day"),
        starts: field(pairs, "starts"),
        ends: field(pairs, "ends"),
        capacity: field(pairs, "capacity"),
        queues: field(pairs, "queues"),
        in_service_open: field(pairs, "in_service_open") == "1",
    }
}

async fn create_session(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let pairs = form_pairs(&body);
    let f = session_form(&pairs);
    let departments: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "departments")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    match s
        .app
        .create_onsite_session(&p.staff, id, &f, &departments)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/campaigns/{id}/onsite")).into_response()),
        Err(e) if correctable(&e) => show_plan(&s, p, id, Some(e), pairs).await,
        Err(e) => Err(p.err(e)),
    }
}

// ---- registration ---------------------------------------------------------------------

#[derive(Template)]
#[template(path = "onsite_session.html")]
struct SessionPage {
    ctx: PageCtx,
    r: SessionRegistrations,
    departments: Vec<DepartmentRow>,
    department: Option<i64>,
    notice: Option<String>,
    error: Option<String>,
    /// University and agency admins put students into groups by hand.
    can_plan: bool,
}

impl SessionPage {
    fn is_dept(&self, id: &i64) -> bool {
        self.department == Some(*id)
    }
    fn dept_name(&self, id: &i64) -> &str {
        self.departments
            .iter()
            .find(|d| d.id == *id)
            .map_or("", |d| d.name.as_str())
    }
}

#[derive(Deserialize, Default)]
struct DeptQuery {
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    done: Option<usize>,
}

async fn show_session(
    s: &AppState,
    p: Page,
    id: i64,
    department: Option<i64>,
    notice: Option<String>,
    error: Option<AppError>,
) -> Result<Response, WebError> {
    let secretary = p.staff.actor.department_id;
    // A secretary sees the department's students; others choose a department, the
    // first by default, so a large roster is never listed whole.
    let probe = s
        .app
        .onsite_session_university(&p.staff, id)
        .await
        .map_err(|e| p.err(e))?;
    let departments: Vec<DepartmentRow> = s
        .app
        .db
        .list_departments(probe)
        .await
        .map_err(|e| p.err(e.into()))?
        .into_iter()
        .filter(|d| secretary.is_none_or(|own| own == d.id))
        .collect();
    let department = secretary
        .or(department)
        .or_else(|| departments.first().map(|d| d.id));
    let r = s
        .app
        .session_registrations(&p.staff, id, department)
        .await
        .map_err(|e| p.err(e))?;
    let (status, error) = shown(&p.ctx, error);
    let can_plan = p
        .staff
        .may(
            Action::Update,
            Resource::of_university(ResourceKind::Onsite, r.campaign.university_id),
        )
        .is_ok();
    let page = SessionPage {
        can_plan,
        r,
        departments,
        department,
        notice,
        error,
        ctx: p.ctx,
    };
    Ok((status, render(&page)).into_response())
}

fn parse_dept(s: Option<&str>) -> Option<i64> {
    s.and_then(|d| d.trim().parse().ok())
}

async fn session(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    Query(q): Query<DeptQuery>,
) -> Result<Response, WebError> {
    let notice = q.done.map(|n| {
        format!(
            "{} {n} {}",
            p.ctx.tr("已报名", "Registered"),
            p.ctx.tr("名学生", "students")
        )
    });
    show_session(&s, p, id, parse_dept(q.department.as_deref()), notice, None).await
}

/// Another queue (camera) for the session.
async fn add_queue(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let pairs = form_pairs(&body);
    match s
        .app
        .add_onsite_queue(&p.staff, id, field(&pairs, "name"))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/onsite/sessions/{id}")).into_response()),
        Err(e) => Err(p.err(e)),
    }
}

/// Changes a session's place, day, times or capacity.
async fn edit_session(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let pairs = form_pairs(&body);
    // Queues and the in-service box are not part of a change.
    let f = session_form(&pairs);
    match s.app.update_onsite_session(&p.staff, id, &f).await {
        Ok(_) => Ok(Redirect::to(&format!("/onsite/sessions/{id}")).into_response()),
        Err(e) if correctable(&e) => show_session(&s, p, id, None, None, Some(e)).await,
        Err(e) => Err(p.err(e)),
    }
}

/// Deletes a session nobody is registered for or numbered in.
async fn delete_session(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let campaign = s
        .app
        .db
        .onsite_session(id)
        .await
        .map_err(|e| p.err(e.into()))?
        .campaign_id;
    match s.app.delete_onsite_session(&p.staff, id).await {
        Ok(()) => Ok(Redirect::to(&format!("/campaigns/{campaign}/onsite")).into_response()),
        Err(e) => Err(p.err(e)),
    }
}

/// The session's note (university or agency admins).
async fn note(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let pairs = form_pairs(&body);
    match s
        .app
        .set_session_note(&p.staff, id, field(&pairs, "note"))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/onsite/sessions/{id}")).into_response()),
        Err(e) => Err(p.err(e)),
    }
}

async fn register(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let pairs = form_pairs(&body);
    let department = parse_dept(Some(field(&pairs, "department")));
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "student")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    match s.app.register_students(&p.staff, id, &ids).await {
        Ok(rows) => {
            let dept = department
                .map(|d| format!("&department={d}"))
                .unwrap_or_default();
            Ok(
                Redirect::to(&format!("/onsite/sessions/{id}?done={}{dept}", rows.len()))
                    .into_response(),
            )
        }
        Err(e) if correctable(&e) => show_session(&s, p, id, department, None, Some(e)).await,
        Err(e) => Err(p.err(e)),
    }
}

async fn unregister(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let pairs = form_pairs(&body);
    let department = parse_dept(Some(field(&pairs, "department")));
    let student: i64 = field(&pairs, "student").parse().unwrap_or(0);
    match s.app.unregister_student(&p.staff, id, student).await {
        Ok(()) => {
            let dept = department
                .map(|d| format!("?department={d}"))
                .unwrap_or_default();
            Ok(Redirect::to(&format!("/onsite/sessions/{id}{dept}")).into_response())
        }
        Err(e) if correctable(&e) => show_session(&s, p, id, department, None, Some(e)).await,
        Err(e) => Err(p.err(e)),
    }
}

async fn template(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    Query(q): Query<DeptQuery>,
) -> Result<Response, WebError> {
    let bytes = s
        .app
        .registration_template(
            &p.staff,
            id,
            parse_dept(q.department.as_deref()),
            p.ctx.lang,
        )
        .await
        .map_err(|e| p.err(e))?;
    Ok(super::universities::xlsx(
        &format!("registration-{id}.xlsx"),
        bytes,
    ))
}

async fn import(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    mut mp: Multipart,
) -> Result<Response, WebError> {
    let (mut bytes, mut department) = (Vec::new(), None);
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| p.err(super::unreadable_form()))?
    {
        let name = field.name().unwrap_or("").to_string();
        let data = field
            .bytes()
            .await
            .map_err(|_| p.err(super::unreadable_form()))?;
        match name.as_str() {
            "file" => bytes = data.to_vec(),
            "department" => department = parse_dept(Some(&String::from_utf8_lossy(&data))),
            _ => {}
        }
    }
    match s.app.import_registrations(&p.staff, id, &bytes).await {
        Ok(rows) => {
            let dept = department
                .map(|d| format!("&department={d}"))
                .unwrap_or_default();
            Ok(
                Redirect::to(&format!("/onsite/sessions/{id}?done={}{dept}", rows.len()))
                    .into_response(),
            )
        }
        Err(e) if correctable(&e) => show_session(&s, p, id, department, None, Some(e)).await,
        // Row errors get the import error page, row by row, as a roster import does.
        Err(e) => Err(p.err(e)),
    }
}

// ---- the check-in desk ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "onsite_desk.html")]
struct DeskPage {
    ctx: PageCtx,
    desk: DeskQueue,
    last: Option<Checkin>,
    error: Option<String>,
    numbers: Vec<CheckinRow>,
    /// University and agency admins may reopen a confirmed number (audited).
    can_reopen: bool,
    /// The ways of paying a fee at the desk.
    methods: Vec<gradphoto_app::payments::Method>,
}

impl DeskPage {
    fn masked(&self, name: &str) -> String {
        mask_name(name)
    }
}

async fn show_desk(
    s: &AppState,
    p: Page,
    id: i64,
    last: Option<Checkin>,
    error: Option<AppError>,
) -> Result<Response, WebError> {
    let desk = s.app.desk_queue(&p.staff, id).await.map_err(|e| p.err(e))?;
    let mut numbers = s
        .app
        .queue_checkins(&p.staff, id)
        .await
        .map_err(|e| p.err(e))?;
    numbers.reverse();
    numbers.truncate(20);
    let (status, error) = shown(&p.ctx, error);
    let can_reopen = super::onsite_station::may_reopen(&p.staff, desk.campaign.university_id);
    let page = DeskPage {
        methods: s.app.payments.methods(),
        can_reopen,
        desk,
        last,
        error,
        numbers,
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

async fn check_in(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let pairs = form_pairs(&body);
    match s.app.check_in(&p.staff, id, field(&pairs, "code")).await {
        Ok(c) => show_desk(&s, p, id, Some(c), None).await,
        Err(e) if correctable(&e) => show_desk(&s, p, id, None, Some(e)).await,
        Err(e) => Err(p.err(e)),
    }
}

/// A picture of the code, from a phone or laptop camera.
async fn check_in_image(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
    mut mp: Multipart,
) -> Result<Response, WebError> {
    let mut image = None;
    while let Some(f) = mp
        .next_field()
        .await
        .map_err(|_| p.err(super::unreadable_form()))?
    {
        if f.name() == Some("image") {
            let bytes = f
                .bytes()
                .await
                .map_err(|_| p.err(super::unreadable_form()))?;
            if !bytes.is_empty() {
                image = Some(bytes.to_vec());
            }
        }
    }
    let Some(image) = image else {
        let e = AppError::invalid(
            "checkin.no_image",
            "请拍摄或选择采集码图片",
            "Photograph or choose a picture of the code",
        );
        return show_desk(&s, p, id, None, Some(e)).await;
    };
    match s.app.check_in_image(&p.staff, id, image).await {
        Ok(c) => show_desk(&s, p, id, Some(c), None).await,
        Err(e) if correctable(&e) => show_desk(&s, p, id, None, Some(e)).await,
        Err(e) => Err(p.err(e)),
    }
}

/// The queue's shooting sheet (拍摄表), printable at any moment.
async fn sheet_pdf(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let bytes = s
        .app
        .shooting_sheet_pdf(&p.staff, id)
        .await
        .map_err(|e| p.err(e))?;
    Ok(pdf(&format!("shooting-sheet-{id}.pdf"), bytes))
}
