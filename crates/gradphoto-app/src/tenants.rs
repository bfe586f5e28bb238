//! Universities (the tenants), their departments and campuses.

use gradphoto_db::universities::{CampusRow, DepartmentRow, NewUniversity, UniversityRow};
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::people::SchoolCode;
use gradphoto_domain::policy::{Action, Resource, ResourceKind, Role};

use crate::auth::Staff;
use crate::{App, AppError};

/// What an agency admin fills in to add a university.
#[derive(Debug, Clone)]
pub struct UniversityInput {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// (name, optional short code)
    pub departments: Vec<(String, Option<String>)>,
    pub campuses: Vec<String>,
}

/// A university with what belongs to it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UniversityView {
    pub university: UniversityRow,
    pub departments: Vec<DepartmentRow>,
    pub campuses: Vec<CampusRow>,
}

impl App {
    pub async fn create_university(
        &self,
        by: &Staff,
        input: &UniversityInput,
    ) -> Result<UniversityRow, AppError> {
        by.may(Action::Create, Resource::platform(ResourceKind::University))?;
        self.create_university_unchecked(Some(by), input).await
    }

    /// For the demo seeder; validation is the same.
    pub async fn create_university_unchecked(
        &self,
        by: Option<&Staff>,
        input: &UniversityInput,
    ) -> Result<UniversityRow, AppError> {
        let code = SchoolCode::parse(&input.code).map_err(|_| {
            AppError::invalid(
                "university.bad_code",
                "院校代码应为 5 位数字（如 10337）",
                "A school code is five digits (e.g. 10337)",
            )
        })?;
        if input.name_zh.trim().is_empty() {
            return Err(AppError::invalid(
                "university.name_required",
                "请填写学校名称",
                "The university name is required",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (d, _) in &input.departments {
            if d.trim().is_empty() || !seen.insert(d.trim()) {
                return Err(AppError::invalid(
                    "university.bad_department",
                    format!("院系名称为空或重复：“{d}”"),
                    format!("Department name empty or repeated: \"{d}\""),
                ));
            }
        }
        let row = self
            .db
            .create_university(&NewUniversity {
                code: code.as_str(),
                name_zh: input.name_zh.trim(),
                name_en: input.name_en.trim(),
                departments: &input.departments,
                campuses: &input.campuses,
            })
            .await
            .map_err(|e| match e {
                gradphoto_db::DbError::Conflict(_) => AppError::Conflict(Msg::new(
                    "university.code_taken",
                    format!("院校代码 {code} 已存在"),
                    format!("School code {code} already exists"),
                )),
                other => other.into(),
            })?;
        let mut audit = match by {
            Some(s) => s.audit(
                "university.create",
                "university",
                Some(row.id.to_string()),
                Some(row.id),
            ),
            None => gradphoto_db::audit::NewAudit {
                actor_name: "system".into(),
                action: "university.create".into(),
                target_kind: "university".into(),
                target_id: Some(row.id.to_string()),
                university_id: Some(row.id),
                ..Default::default()
            },
        };
        audit.after = serde_json::to_value(&row).ok();
        self.db.append_audit(&audit).await?;
        Ok(row)
    }

    /// The universities this person may see: all for agency and registry staff, their own
    /// for university staff.
    pub async fn list_universities(&self, by: &Staff) -> Result<Vec<UniversityRow>, AppError> {
        if by.actor.role.needs_university() {
            let Some(u) = by.actor.university_id else {
                return Ok(Vec::new());
            };
            by.may(
                Action::Read,
                Resource::of_university(ResourceKind::University, u),
            )?;
            return Ok(vec![self.db.get_university(u).await?]);
        }
        by.may(Action::Read, Resource::platform(ResourceKind::University))?;
        Ok(self.db.list_universities().await?)
    }

    /// One university with its departments (a secretary sees only their own department).
    pub async fn university(&self, by: &Staff, id: i64) -> Result<UniversityView, AppError> {
        by.may(
            Action::Read,
            Resource::of_university(ResourceKind::University, id),
        )?;
        let university = self.db.get_university(id).await?;
        let mut departments = self.db.list_departments(id).await?;
        if by.actor.role == Role::DepartmentSecretary {
            departments.retain(|d| Some(d.id) == by.actor.department_id);
        }
        let campuses = self.db.list_campuses(id).await?;
        Ok(UniversityView {
            university,
            departments,
            campuses,
        })
    }

    /// Adds a department (学院/系/所) to a university.
    pub async fn add_department(
        &self,
        by: &Staff,
        university_id: i64,
        name: &str,
        code: Option<&str>,
    ) -> Result<DepartmentRow, AppError> {
        by.may(
            Action::Update,
            Resource::of_university(ResourceKind::University, university_id),
        )?;
        let name = name.trim();
        let code = code.map(str::trim).filter(|c| !c.is_empty());
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::invalid(
                "university.bad_department",
                "院系名称须为 1–100 个字符",
                "A department name has 1–100 characters",
            ));
        }
        let mut audit = by.audit("department.create", "department", None, Some(university_id));
        audit.after = Some(serde_json::json!({ "name": name, "code": code }));
        self.db
            .add_department_audited(university_id, name, code, &audit)
            .await
            .map_err(|e| match e {
                gradphoto_db::DbError::Conflict(_) => AppError::Conflict(Msg::new(
                    "university.department_exists",
                    format!("院系“{name}”已存在"),
                    format!("The department \"{name}\" already exists"),
                )),
                other => other.into(),
            })
    }

    /// Adds a campus (校区) to a university.
    pub async fn add_campus(
        &self,
        by: &Staff,
        university_id: i64,
        name: &str,
    ) -> Result<CampusRow, AppError> {
        by.may(
            Action::Update,
            Resource::of_university(ResourceKind::University, university_id),
        )?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::invalid(
                "university.bad_campus",
                "校区名称须为 1–100 个字符",
                "A campus name has 1–100 characters",
            ));
        }
        let mut audit = by.audit("campus.create", "campus", None, Some(university_id));
        audit.after = Some(serde_json::json!({ "name": name }));
        self.db
            .add_campus_audited(university_id, name, &audit)
            .await
            .map_err(|e| match e {
                gradphoto_db::DbError::Conflict(_) => AppError::Conflict(Msg::new(
                    "university.campus_exists",
                    format!("校区“{name}”已存在"),
                    format!("The campus \"{name}\" already exists"),
                )),
                other => other.into(),
            })
    }

    /// Resolves a department and checks it belongs to the university.
    pub async fn department_of(
        &self,
        university_id: i64,
        department_id: i64,
    ) -> Result<DepartmentRow, AppError> {
        let d = self.db.get_department(department_id).await?;
        if d.university_id != university_id {
            return Err(AppError::not_found());
        }
        Ok(d)
    }
}
