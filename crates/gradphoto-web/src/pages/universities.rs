//! University pages: the list (agency), one university's campaigns and roster, roster
//! import and export.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use gradphoto_app::AppError;
use gradphoto_app::campaigns::Campaign;
use gradphoto_app::roster::{ImportReport, StudentView};
use gradphoto_app::tenants::{UniversityInput, UniversityView};
use gradphoto_db::universities::UniversityRow;
use gradphoto_domain::people::Level;
use gradphoto_domain::policy::{Action, Resource, ResourceKind};
use gradphoto_domain::roster::RowError;
use serde::Deserialize;

use super::{Page, PageCtx, render};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/universities", get(list).post(create))
        .route("/universities/{id}", get(show))
        .route("/universities/{id}/roster", post(import))
        .route("/universities/{id}/departments", post(add_department))
        .route("/universities/{id}/campuses", post(add_campus))
        .route("/universities/{id}/roster.xlsx", get(export))
}

#[derive(Template)]
#[template(path = "universities.html")]
struct ListPage {
    ctx: PageCtx,
    universities: Vec<UniversityRow>,
    can_create: bool,
}

async fn list(State(state): State<AppState>, page: Page) -> Result<Response, WebError> {
    let universities = state
        .app
        .list_universities(&page.staff)
        .await
        .map_err(|e| page.err(e))?;
    let can_create = page
        .staff
        .may(Action::Create, Resource::platform(ResourceKind::University))
        .is_ok();
    Ok(render(&ListPage {
        ctx: page.ctx,
        universities,
        can_create,
    }))
}

#[derive(Deserialize)]
struct CreateForm {
    code: String,
    name_zh: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    departments: String,
    #[serde(default)]
    campuses: String,
}

fn lines(s: &str) -> impl Iterator<Item = &str> {
    s.lines().map(str::trim).filter(|l| !l.is_empty())
}

async fn create(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<CreateForm>,
) -> Result<Response, WebError> {
    let input = UniversityInput {
        code: f.code,
        name_en: if f.name_en.trim().is_empty() {
            f.name_zh.clone()
        } else {
            f.name_en
        },
        name_zh: f.name_zh,
        departments: lines(&f.departments)
            .map(|l| match l.split_once([',', '，']) {
                Some((n, c)) if !c.trim().is_empty() => {
                    (n.trim().to_string(), Some(c.trim().to_string()))
                }
                Some((n, _)) => (n.trim().to_string(), None),
                None => (l.to_string(), None),
            })
            .collect(),
        campuses: lines(&f.campuses).map(String::from).collect(),
    };
    let u = state
        .app
        .create_university(&page.staff, &input)
        .await
        .map_err(|e| page.err(e))?;
    Ok(Redirect::to(&format!("/universities/{}", u.id)).into_response())
}

#[derive(Template)]
#[template(path = "university.html")]
struct ShowPage {
    ctx: PageCtx,
    view: UniversityView,
    campaigns: Vec<Campaign>,
    students: Vec<StudentView>,
    total: i64,
    department: Option<i64>,
    q: String,
    offset: i64,
    page_size: i64,
    can_import: bool,
    can_manage: bool,
    can_edit: bool,
}

impl ShowPage {
    fn is_dept(&self, id: &i64) -> bool {
        self.department == Some(*id)
    }
    fn department_name(&self, id: &i64) -> &str {
        self.view
            .departments
            .iter()
            .find(|d| d.id == *id)
            .map(|d| d.name.as_str())
            .unwrap_or("")
    }
    fn level_label(&self, level: &str) -> &'static str {
        match Level::ALL.into_iter().find(|l| l.as_str() == level) {
            Some(l) if self.ctx.is_zh() => l.zh(),
            Some(l) => l.en(),
            None => "",
        }
    }
}

#[derive(Deserialize)]
struct ShowQuery {
    department: Option<String>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    offset: i64,
}

const PAGE_SIZE: i64 = 50;

async fn show(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, WebError> {
    let app = &state.app;
    let view = app
        .university(&page.staff, id)
        .await
        .map_err(|e| page.err(e))?;
    let department = q.department.as_deref().and_then(|d| d.parse().ok());
    let search = Some(q.q.trim().to_string()).filter(|s| !s.is_empty());
    let students = app
        .list_students(&page.staff, id, department, search, PAGE_SIZE, q.offset)
        .await
        .map_err(|e| page.err(e))?;
    let scoped = if page.staff.actor.role == gradphoto_domain::policy::Role::DepartmentSecretary {
        page.staff.actor.department_id
    } else {
        department
    };
    let total = app
        .db
        .count_students(id, scoped)
        .await
        .map_err(|e| page.err(e.into()))?;
    let campaigns = app
        .list_campaigns(&page.staff, id)
        .await
        .map_err(|e| page.err(e))?;
    let can_import = page
        .staff
        .may(
            Action::Import,
            Resource::of_university(ResourceKind::Student, id),
        )
        .is_ok();
    let can_manage = page
        .staff
        .may(
            Action::Create,
            Resource::of_university(ResourceKind::Campaign, id),
        )
        .is_ok();
    let can_edit = page
        .staff
        .may(
            Action::Update,
            Resource::of_university(ResourceKind::University, id),
        )
        .is_ok();
    Ok(render(&ShowPage {
        ctx: page.ctx,
        view,
        campaigns,
        students,
        total,
        department: scoped,
        q: q.q,
        offset: q.offset.max(0),
        page_size: PAGE_SIZE,
        can_import,
        can_manage,
        can_edit,
    }))
}

#[derive(Deserialize)]
struct NameForm {
    name: String,
    #[serde(default)]
    code: String,
}

async fn add_department(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<NameForm>,
) -> Result<Response, WebError> {
    let code = Some(f.code.as_str()).filter(|c| !c.trim().is_empty());
    state
        .app
        .add_department(&page.staff, id, &f.name, code)
        .await
        .map_err(|e| page.err(e))?;
    Ok(Redirect::to(&format!("/universities/{id}")).into_response())
}

async fn add_campus(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<NameForm>,
) -> Result<Response, WebError> {
    state
        .app
        .add_campus(&page.staff, id, &f.name)
        .await
        .map_err(|e| page.err(e))?;
    Ok(Redirect::to(&format!("/universities/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "import_result.html")]
struct ImportPage {
    ctx: PageCtx,
    university_id: i64,
    report: Option<ImportReport>,
    error: Option<String>,
    rows: Vec<RowError>,
}

/// Reads the multipart form: the file and its name.
async fn read_upload(mut mp: Multipart) -> Result<(String, Vec<u8>), AppError> {
    let bad = super::unreadable_form;
    while let Some(field) = mp.next_field().await.map_err(|_| bad())? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("upload").to_string();
            let bytes = field.bytes().await.map_err(|_| bad())?;
            if bytes.is_empty() {
                return Err(AppError::invalid(
                    "upload.empty",
                    "请选择要上传的文件",
                    "Choose a file to upload",
                ));
            }
            return Ok((name, bytes.to_vec()));
        }
    }
    Err(AppError::invalid(
        "upload.empty",
        "请选择要上传的文件",
        "Choose a file to upload",
    ))
}

async fn import(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, WebError> {
    let result = match read_upload(mp).await {
        Ok((name, bytes)) => {
            state
                .app
                .import_roster(&page.staff, id, &name, &bytes)
                .await
        }
        Err(e) => Err(e),
    };
    let lang = page.ctx.lang;
    let (status, p) = match result {
        Ok(r) => (
            StatusCode::OK,
            ImportPage {
                ctx: page.ctx,
                university_id: id,
                report: Some(r),
                error: None,
                rows: Vec::new(),
            },
        ),
        Err(
            e @ (AppError::Forbidden(_)
            | AppError::NotFound(_)
            | AppError::Internal(_)
            | AppError::Db(_)
            | AppError::Config(_)),
        ) => {
            return Err(WebError::page(e, lang));
        }
        Err(e) => {
            let status = crate::error::status_of(&e);
            let msg = e.message().text(lang).to_string();
            let rows = match e {
                AppError::ImportRejected(rows) => rows,
                _ => Vec::new(),
            };
            (
                status,
                ImportPage {
                    ctx: page.ctx,
                    university_id: id,
                    report: None,
                    error: Some(msg),
                    rows,
                },
            )
        }
    };
    Ok((status, render(&p)).into_response())
}

#[derive(Deserialize)]
struct ExportQuery {
    department: Option<i64>,
}

pub fn xlsx(filename: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

async fn export(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, WebError> {
    let bytes = state
        .app
        .export_roster(&page.staff, id, q.department)
        .await
        .map_err(|e| page.err(e))?;
    Ok(xlsx(&format!("roster-{id}.xlsx"), bytes))
}
