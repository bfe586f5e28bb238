//! The registration sheet (报名表) of a session: generated for a department (its students
//! who may still be registered), filled in by the secretary, imported back all or nothing
//! through the same checks as picking students on the page.

use gradphoto_db::onsite_registrations::RegistrationRow;
use gradphoto_domain::i18n::{Lang, Msg};
use gradphoto_domain::onsite_sheet::{HEADERS_EN, HEADERS_ZH, marked_students};
use gradphoto_domain::policy::{Action, Resource, ResourceKind};
use gradphoto_domain::roster::RowError;
use gradphoto_sheets::{Limits, Sheet, read_grid, write_xlsx};

use crate::auth::Staff;
use crate::{App, AppError};

impl App {
    /// The 报名表 template of a session for one department (a secretary: their own).
    pub async fn registration_template(
        &self,
        by: &Staff,
        session_id: i64,
        department: Option<i64>,
        lang: Lang,
    ) -> Result<Vec<u8>, AppError> {
        let department = by.actor.department_id.or(department);
        let r = self
            .session_registrations(by, session_id, department)
            .await?;
        if let Some(d) = department {
            by.may(
                Action::Export,
                Resource::of_department(ResourceKind::Onsite, r.campaign.university_id, d),
            )?;
        }
        let names = self.department_names(r.campaign.university_id).await?;
        let headers = match lang {
            Lang::Zh => HEADERS_ZH,
            Lang::En => HEADERS_EN,
        };
        let rows = r
            .candidates
            .iter()
            .map(|s| {
                vec![
                    s.student_no.clone(),
                    s.name.clone(),
                    names.get(&s.department_id).cloned().unwrap_or_default(),
                    s.major.clone().unwrap_or_default(),
                    String::new(),
                    String::new(),
                ]
            })
            .collect();
        write_xlsx(&[Sheet {
            name: match lang {
                Lang::Zh => "报名表".into(),
                Lang::En => "Registration".into(),
            },
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows,
        }])
        .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Registers the students marked in an imported 报名表 (XLS, XLSX or CSV): every row
    /// is checked first, and nobody is registered unless the whole sheet is clean.
    pub async fn import_registrations(
        &self,
        by: &Staff,
        session_id: i64,
        bytes: &[u8],
    ) -> Result<Vec<RegistrationRow>, AppError> {
        let (_, campaign) = self.onsite_session_of(by, session_id).await?;
        let grid =
            read_grid(bytes, &Limits::default()).map_err(|e| AppError::Invalid(e.message()))?;
        let picks = marked_students(&grid).map_err(AppError::ImportRejected)?;
        if picks.is_empty() {
            return Err(AppError::invalid(
                "registration.none_marked",
                "报名表中没有标记“是”的学生",
                "No student is marked “yes” in the sheet",
            ));
        }
        let students = self.db.all_students(campaign.university_id).await?;
        let mut ids = Vec::with_capacity(picks.len());
        let mut phones = std::collections::HashMap::new();
        let mut errors = Vec::new();
        for gradphoto_domain::onsite_sheet::Pick {
            row,
            student_no: no,
            phone,
        } in &picks
        {
            match students.iter().find(|s| &s.student_no == no) {
                Some(s)
                    if by
                        .may(
                            Action::Import,
                            Resource::of_department(
                                ResourceKind::Onsite,
                                s.university_id,
                                s.department_id,
                            ),
                        )
                        .is_ok() =>
                {
                    ids.push(s.id);
                    if let Some(p) = phone {
                        phones.insert(s.id, p.clone());
                    }
                }
                Some(_) => errors.push(RowError {
                    row: *row,
                    column: None,
                    msg: Msg::new(
                        "registration_sheet.other_department",
                        format!("学号 {no} 不是本院系的学生"),
                        format!("Student {no} is not of your department"),
                    ),
                }),
                None => errors.push(RowError {
                    row: *row,
                    column: None,
                    msg: Msg::new(
                        "registration_sheet.unknown_student",
                        format!("学号 {no} 不在本校名单中"),
                        format!("Student {no} is not on the university's roster"),
                    ),
                }),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::ImportRejected(errors));
        }
        self.register_students_with_phones(by, session_id, &ids, &phones)
            .await
    }
}
