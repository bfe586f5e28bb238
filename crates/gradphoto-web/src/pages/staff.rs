//! Staff accounts and the audit log.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use gradphoto_app::AppError;
use gradphoto_app::auth::StaffInput;
use gradphoto_db::accounts::StaffRow;
use gradphoto_db::audit::AuditRow;
use gradphoto_domain::policy::{Action, Resource, ResourceKind, Role};
use serde::Deserialize;

use super::{Page, PageCtx, render};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff", get(list).post(create))
        .route("/staff/{id}/disabled", axum::routing::post(set_disabled))
        .route("/account", get(account))
        .route("/account/password", axum::routing::post(change_password))
        .route("/audit", get(audit))
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    ctx: PageCtx,
    accounts: Vec<StaffRow>,
    roles: Vec<Role>,
    /// (value "u:<id>" or "d:<uid>:<did>", label)
    scopes: Vec<(String, String)>,
    names: Vec<(Option<i64>, Option<i64>, String)>,
    error: Option<String>,
    created: Option<String>,
    me: i64,
}

impl StaffPage {
    fn is_me(&self, id: &i64) -> bool {
        *id == self.me
    }
    fn role_label(&self, r: &str) -> &'static str {
        match Role::parse(r) {
            Some(r) if self.ctx.is_zh() => r.zh(),
            Some(r) => r.en(),
            None => "",
        }
    }
    fn scope_label(&self, u: &Option<i64>, d: &Option<i64>) -> String {
        self.names
            .iter()
            .find(|(a, b, _)| a == u && b == d)
            .map(|n| n.2.clone())
            .unwrap_or_default()
    }
}

/// The accounts, roles and scopes this person may see and create.
async fn staff_page(
    state: &AppState,
    page: Page,
    error: Option<String>,
    created: Option<String>,
) -> Result<Response, WebError> {
    let app = &state.app;
    let own = page.staff.actor.university_id;
    let res = match own {
        Some(u) => Resource::of_university(ResourceKind::StaffAccount, u),
        None => Resource::platform(ResourceKind::StaffAccount),
    };
    page.staff.may(Action::Read, res).map_err(|e| page.err(e))?;
    let accounts = app
        .db
        .list_staff(own)
        .await
        .map_err(|e| page.err(e.into()))?;
    let universities = app
        .list_universities(&page.staff)
        .await
        .map_err(|e| page.err(e))?;
    let mut scopes = Vec::new();
    let mut names = vec![(None, None, String::new())];
    for u in &universities {
        let uname = if page.ctx.is_zh() {
            u.name_zh.clone()
        } else {
            u.name_en.clone()
        };
        scopes.push((format!("u:{}", u.id), uname.clone()));
        names.push((Some(u.id), None, uname.clone()));
        for d in app
            .db
            .list_departments(u.id)
            .await
            .map_err(|e| page.err(e.into()))?
        {
            scopes.push((
                format!("d:{}:{}", u.id, d.id),
                format!("{uname} / {}", d.name),
            ));
            names.push((Some(u.id), Some(d.id), format!("{uname} / {}", d.name)));
        }
    }
    let roles = if own.is_some() {
        vec![Role::DepartmentSecretary, Role::UniversityAdmin]
    } else {
        Role::ALL.to_vec()
    };
    Ok(render(&StaffPage {
        me: page.staff.row.id,
        ctx: page.ctx,
        accounts,
        roles,
        scopes,
        names,
        error,
        created,
    }))
}

async fn list(State(state): State<AppState>, page: Page) -> Result<Response, WebError> {
    staff_page(&state, page, None, None).await
}

#[derive(Deserialize)]
struct CreateForm {
    username: String,
    display_name: String,
    password: String,
    role: String,
    #[serde(default)]
    scope: String,
}

async fn create(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<CreateForm>,
) -> Result<Response, WebError> {
    let lang = page.ctx.lang;
    let role = Role::parse(&f.role).ok_or_else(|| {
        page.err(AppError::invalid(
            "auth.bad_role",
            "未知角色",
            "Unknown role",
        ))
    })?;
    let parts: Vec<&str> = f.scope.split(':').collect();
    let (university_id, department_id) = match parts.as_slice() {
        ["u", u] => (u.parse().ok(), None),
        ["d", u, d] => (u.parse().ok(), d.parse().ok()),
        _ => (None, None),
    };
    let input = StaffInput {
        username: f.username,
        display_name: f.display_name,
        password: f.password,
        role,
        university_id,
        department_id,
    };
    match state.app.create_staff(&page.staff, &input).await {
        Ok(row) => {
            let m = match lang {
                gradphoto_domain::i18n::Lang::Zh => format!("已创建账号 {}", row.username),
                gradphoto_domain::i18n::Lang::En => format!("Account {} created", row.username),
            };
            staff_page(&state, page, None, Some(m)).await
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let m = e.message().text(lang).to_string();
            staff_page(&state, page, Some(m), None).await
        }
        Err(e) => Err(page.err(e)),
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    ctx: PageCtx,
    rows: Vec<AuditRow>,
}

impl AuditPage {
    fn time(&self, ms: &i64) -> String {
        chrono::DateTime::from_timestamp_millis(*ms)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default()
    }
}

async fn audit(State(state): State<AppState>, page: Page) -> Result<Response, WebError> {
    let own = page.staff.actor.university_id;
    let res = match own {
        Some(u) => Resource::of_university(ResourceKind::AuditLog, u),
        None => Resource::platform(ResourceKind::AuditLog),
    };
    page.staff.may(Action::Read, res).map_err(|e| page.err(e))?;
    let rows = state
        .app
        .db
        .list_audit(own, 500)
        .await
        .map_err(|e| page.err(e.into()))?;
    Ok(render(&AuditPage {
        ctx: page.ctx,
        rows,
    }))
}

#[derive(Deserialize)]
struct DisabledForm {
    disabled: bool,
}

async fn set_disabled(
    State(state): State<AppState>,
    page: Page,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Form(f): Form<DisabledForm>,
) -> Result<Response, WebError> {
    state
        .app
        .set_staff_disabled(&page.staff, id, f.disabled)
        .await
        .map_err(|e| page.err(e))?;
    Ok(axum::response::Redirect::to("/staff").into_response())
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    ctx: PageCtx,
    username: String,
    role: String,
    error: Option<String>,
    done: bool,
}

fn account_page(page: Page, error: Option<String>, done: bool) -> Response {
    let role = if page.ctx.is_zh() {
        page.staff.actor.role.zh()
    } else {
        page.staff.actor.role.en()
    };
    render(&AccountPage {
        username: page.staff.row.username.clone(),
        role: role.to_string(),
        ctx: page.ctx,
        error,
        done,
    })
}

async fn account(page: Page) -> Response {
    account_page(page, None, false)
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new: String,
}

async fn change_password(
    State(state): State<AppState>,
    page: Page,
    headers: axum::http::HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Result<Response, WebError> {
    let token = crate::session::session_token(&headers).unwrap_or_default();
    match state
        .app
        .change_own_password(&page.staff, &token, &f.current, &f.new)
        .await
    {
        Ok(()) => Ok(account_page(page, None, true)),
        Err(e @ AppError::Invalid(_)) => {
            let status = crate::error::status_of(&e);
            let m = e.message().text(page.ctx.lang).to_string();
            Ok((status, account_page(page, Some(m), false)).into_response())
        }
        Err(e) => Err(page.err(e)),
    }
}
