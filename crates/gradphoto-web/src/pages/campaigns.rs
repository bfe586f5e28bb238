//! Campaign pages: the creation form, the status buttons, and the progress dashboard with
//! its server-rendered chart, missing list and XLSX export.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use gradphoto_app::AppError;
use gradphoto_app::campaigns::{Campaign, CampaignInput};
use gradphoto_app::progress::Progress;
use gradphoto_db::progress::{DepartmentProgress, VerdictRow};
use gradphoto_db::universities::DepartmentRow;
use gradphoto_domain::campaign::CampaignStatus;
use gradphoto_domain::eligibility::Verdict;
use gradphoto_domain::people::Level;
use serde::Deserialize;

use super::universities::xlsx;
use super::{Page, PageCtx, render, yuan};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/universities/{id}/campaigns/new", get(new_form))
        .route("/universities/{id}/campaigns", post(create))
        .route("/campaigns/{id}", get(show))
        .route("/campaigns/{id}/status", post(set_status))
        .route("/campaigns/{id}/edit", get(edit_form).post(update))
        .route("/campaigns/{id}/students", get(students))
        .route("/campaigns/{id}/progress.xlsx", get(export))
        .route("/campaigns/{id}/photos.zip", get(photos_zip))
}

/// Reads the submitted campaign form; `levels` repeats, one value per ticked box.
fn campaign_form(body: &[u8]) -> CampaignInput {
    let mut f = CampaignInput::default();
    for (k, v) in form_urlencoded::parse(body) {
        let v = v.into_owned();
        match k.as_ref() {
            "name" => f.name = v,
            "cohort" => f.cohort = v,
            "target_terms" => f.target_terms = v,
            "levels" => f.levels.extend(
                Level::parse(&v).or_else(|| Level::ALL.into_iter().find(|l| l.as_str() == v)),
            ),
            "prior_void_on_or_before" => f.prior_void_on_or_before = v,
            "exclude_single_certificate" => f.exclude_single_certificate = v == "true",
            "exclude_overseas_class" => f.exclude_overseas_class = v == "true",
            "international_only" => f.international_only = v == "true",
            "onsite_from" => f.onsite_from = v,
            "onsite_to" => f.onsite_to = v,
            "online_from" => f.online_from = v,
            "online_to" => f.online_to = v,
            "makeup_deadline" => f.makeup_deadline = v,
            "makeup_recommended_by" => f.makeup_recommended_by = v,
            "verify_from" => f.verify_from = v,
            "verify_to" => f.verify_to = v,
            "verify_resolve_by" => f.verify_resolve_by = v,
            "registration_deadline" => f.registration_deadline = v,
            "walk_ins" => f.walk_ins = v == "true",
            "any_window" => f.any_window = v == "true",
            "fee_at_desk" => f.fee_at_desk = v == "true",
            "makeup_cities" => f.makeup_cities = v,
            "department_downloads" => f.department_downloads = v == "true",
            "fee_yuan" => f.fee_yuan = v,
            "contacts" => f.contacts = v,
            _ => {}
        }
    }
    f
}

#[derive(Template)]
#[template(path = "campaign_form.html")]
struct FormPage {
    ctx: PageCtx,
    action: String,
    editing: bool,
    f: CampaignInput,
    error: Option<String>,
}

impl FormPage {
    /// Every level is offered as a checkbox.
    fn levels(&self) -> [Level; 4] {
        Level::ALL
    }
}

/// After a create or an update: on success go to the campaign; on a form mistake show the
/// form again, filled in as submitted, with the message; anything else is an error page.
fn saved_or_form(
    page: Page,
    result: Result<i64, AppError>,
    action: String,
    editing: bool,
    f: CampaignInput,
) -> Result<Response, WebError> {
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/campaigns/{id}")).into_response()),
        Err(e @ AppError::Invalid(_)) => {
            let error = Some(e.message().text(page.ctx.lang).to_string());
            let p = FormPage {
                ctx: page.ctx,
                action,
                editing,
                f,
                error,
            };
            Ok((crate::error::status_of(&e), render(&p)).into_response())
        }
        Err(e) => Err(page.err(e)),
    }
}

async fn new_form(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    state
        .app
        .university(&page.staff, id)
        .await
        .map_err(|e| page.err(e))?;
    // Only those who may create a campaign get the form.
    page.staff
        .may(
            gradphoto_domain::policy::Action::Create,
            gradphoto_domain::policy::Resource::of_university(
                gradphoto_domain::policy::ResourceKind::Campaign,
                id,
            ),
        )
        .map_err(|e| page.err(e))?;
    let f = CampaignInput {
        levels: vec![Level::Master, Level::Doctor],
        exclude_single_certificate: true,
        exclude_overseas_class: true,
        fee_yuan: "20".into(),
        ..Default::default()
    };
    Ok(render(&FormPage {
        ctx: page.ctx,
        action: format!("/universities/{id}/campaigns"),
        editing: false,
        f,
        error: None,
    }))
}

async fn create(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = campaign_form(&body);
    let result = state
        .app
        .create_campaign(&page.staff, id, &f)
        .await
        .map(|c| c.id);
    saved_or_form(
        page,
        result,
        format!("/universities/{id}/campaigns"),
        false,
        f,
    )
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct ShowPage {
    ctx: PageCtx,
    p: Progress,
    fee: String,
    departments: Vec<DepartmentRow>,
    department: Option<i64>,
    can_manage: bool,
    chart: String,
}

impl ShowPage {
    fn is_dept(&self, id: &i64) -> bool {
        self.department == Some(*id)
    }
    fn department_name(&self, id: &i64) -> &str {
        self.departments
            .iter()
            .find(|d| d.id == *id)
            .map(|d| d.name.as_str())
            .unwrap_or("")
    }
}

#[derive(Deserialize)]
struct DeptQuery {
    department: Option<String>,
    verdict: Option<String>,
}

fn dept_param(q: &DeptQuery) -> Option<i64> {
    q.department.as_deref().and_then(|d| d.parse().ok())
}

/// Horizontal stacked bars per department: collected, missing, exempt. Plain SVG, no
/// script, readable on a phone.
fn chart(rows: &[DepartmentProgress], zh: bool) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let label_w = 170.0;
    let bar_w = 330.0;
    let row_h = 26.0;
    let max = rows.iter().map(|r| r.students).max().unwrap_or(0).max(1) as f64;
    let h = row_h * rows.len() as f64 + 34.0;
    let mut s = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {} {h}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"12\">",
        label_w + bar_w + 60.0,
        if zh {
            "各院系采集进度"
        } else {
            "Progress by department"
        }
    );
    for (i, r) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let name: String = r.department.chars().take(12).collect();
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            label_w - 6.0,
            y + 15.0,
            esc(&name)
        ));
        let mut x = label_w;
        for (n, color) in [
            (r.collected, "#1b7f3b"),
            (r.missing, "#e8a33d"),
            (r.exempt + r.not_yet, "#c5ccd6"),
        ] {
            let w = n as f64 / max * bar_w;
            if w > 0.0 {
                s.push_str(&format!("<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"18\" fill=\"{color}\"><title>{n}</title></rect>"));
            }
            x += w;
        }
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\">{}/{}</text>",
            x + 4.0,
            y + 14.0,
            r.collected,
            r.eligible
        ));
    }
    let ly = h - 12.0;
    let legend = if zh {
        ["已采集", "未采集", "免采/不得/暂不可"]
    } else {
        ["Collected", "Missing", "Exempt / not yet"]
    };
    for (i, (t, c)) in legend
        .iter()
        .zip(["#1b7f3b", "#e8a33d", "#c5ccd6"])
        .enumerate()
    {
        let x = label_w + i as f64 * 115.0;
        s.push_str(&format!("<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{c}\"/><text x=\"{}\" y=\"{ly}\">{t}</text>", ly - 10.0, x + 16.0));
    }
    s.push_str("</svg>");
    s
}

async fn show(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<DeptQuery>,
) -> Result<Response, WebError> {
    let app = &state.app;
    let p = app
        .progress(&page.staff, id, dept_param(&q))
        .await
        .map_err(|e| page.err(e))?;
    let view = app
        .university(&page.staff, p.campaign.university_id)
        .await
        .map_err(|e| page.err(e))?;
    let can_manage = page
        .staff
        .may(
            gradphoto_domain::policy::Action::Update,
            gradphoto_domain::policy::Resource::of_university(
                gradphoto_domain::policy::ResourceKind::Campaign,
                p.campaign.university_id,
            ),
        )
        .is_ok();
    let department = if page.staff.actor.role == gradphoto_domain::policy::Role::DepartmentSecretary
    {
        page.staff.actor.department_id
    } else {
        dept_param(&q)
    };
    let chart = chart(&p.departments, page.ctx.is_zh());
    Ok(render(&ShowPage {
        fee: yuan(p.campaign.fee_fen),
        ctx: page.ctx,
        p,
        departments: view.departments,
        department,
        can_manage,
        chart,
    }))
}

#[derive(Deserialize)]
struct StatusForm {
    to: String,
}

async fn set_status(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<StatusForm>,
) -> Result<Response, WebError> {
    let to = CampaignStatus::parse(&f.to).ok_or_else(|| {
        page.err(AppError::invalid(
            "campaign.bad_status",
            "未知状态",
            "Unknown status",
        ))
    })?;
    state
        .app
        .set_campaign_status(&page.staff, id, to)
        .await
        .map_err(|e| page.err(e))?;
    Ok(Redirect::to(&format!("/campaigns/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "campaign_students.html")]
struct StudentsPage {
    ctx: PageCtx,
    campaign: Campaign,
    rows: Vec<VerdictRow>,
    verdicts: Vec<Verdict>,
    verdict: Option<Verdict>,
    department: Option<i64>,
}

impl StudentsPage {
    fn is_verdict(&self, v: &Verdict) -> bool {
        self.verdict == Some(*v)
    }
    fn verdict_label(&self, v: &str) -> &'static str {
        match Verdict::parse(v) {
            Some(v) if self.ctx.is_zh() => v.zh(),
            Some(v) => v.en(),
            None => "",
        }
    }
}

async fn students(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<DeptQuery>,
) -> Result<Response, WebError> {
    let verdict = q.verdict.as_deref().and_then(Verdict::parse);
    let campaign = state
        .app
        .campaign(&page.staff, id)
        .await
        .map_err(|e| page.err(e))?;
    let rows = state
        .app
        .campaign_students(&page.staff, id, dept_param(&q), verdict)
        .await
        .map_err(|e| page.err(e))?;
    Ok(render(&StudentsPage {
        ctx: page.ctx,
        campaign,
        rows,
        verdicts: Verdict::ALL.to_vec(),
        verdict,
        department: dept_param(&q),
    }))
}

async fn export(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<DeptQuery>,
) -> Result<Response, WebError> {
    let bytes = state
        .app
        .export_progress(&page.staff, id, dept_param(&q), page.ctx.lang)
        .await
        .map_err(|e| page.err(e))?;
    Ok(xlsx(&format!("progress-{id}.xlsx"), bytes))
}

async fn edit_form(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let c = state
        .app
        .campaign(&page.staff, id)
        .await
        .map_err(|e| page.err(e))?;
    page.staff
        .may(
            gradphoto_domain::policy::Action::Update,
            gradphoto_domain::policy::Resource::of_university(
                gradphoto_domain::policy::ResourceKind::Campaign,
                c.university_id,
            ),
        )
        .map_err(|e| page.err(e))?;
    Ok(render(&FormPage {
        ctx: page.ctx,
        action: format!("/campaigns/{id}/edit"),
        editing: true,
        f: CampaignInput::from_campaign(&c),
        error: None,
    }))
}

async fn update(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = campaign_form(&body);
    let result = state
        .app
        .update_campaign(&page.staff, id, &f)
        .await
        .map(|c| c.id);
    saved_or_form(page, result, format!("/campaigns/{id}/edit"), true, f)
}

/// A department's electronic photos, named by student number (a secretary: their own).
async fn photos_zip(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<DeptQuery>,
) -> Result<Response, WebError> {
    let department = page
        .staff
        .actor
        .department_id
        .or_else(|| dept_param(&q))
        .ok_or_else(|| {
            page.err(AppError::invalid(
                "photo.department_required",
                "请选择院系",
                "Choose a department",
            ))
        })?;
    let (name, zip, _) = state
        .app
        .department_photos_zip(&page.staff, id, department)
        .await
        .map_err(|e| page.err(e))?;
    Ok(super::forms::download("application/zip", &name, zip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_escapes_names_and_scales_bars() {
        let r = |name: &str, students, collected, missing, exempt| DepartmentProgress {
            department_id: 1,
            department: name.into(),
            students,
            eligible: collected + missing,
            collected,
            missing,
            exempt,
            not_yet: 0,
        };
        let svg = chart(&[r("<b>&", 10, 4, 4, 2), r("物理学院", 5, 5, 0, 0)], true);
        assert!(svg.contains("&lt;b&gt;&amp;") && !svg.contains("<b>"));
        assert!(svg.contains("4/8") && svg.contains("5/5"));
        assert!(
            svg.contains("width=\"132.0\""),
            "4 of a 10-student maximum is 40% of 330"
        );
    }
}
