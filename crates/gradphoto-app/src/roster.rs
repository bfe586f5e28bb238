//! Roster import and export. An import is all-or-nothing: the file is read, every row is
//! validated, and only a file without a single error is written, in one transaction.
//! Re-importing the same file changes nothing; a corrected file updates by student number.

use gradphoto_db::students::{ImportCounts, StudentFilter, StudentRow, StudentWrite};
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::id_document::{IdType, mask_number};
use gradphoto_domain::people::{CertType, GradKind, Level};
use gradphoto_domain::policy::{Action, Resource, ResourceKind, Role};
use gradphoto_domain::roster::{Column, DepartmentRef, NewStudent, validate_grid};
use gradphoto_sheets::{Limits, Sheet, read_grid, write_xlsx};
use sha2::{Digest, Sha256};

use crate::auth::Staff;
use crate::pii::hex;
use crate::{App, AppError};

/// The outcome of an accepted import.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub file_sha256: String,
}

/// A student as staff see them: the ID number masked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StudentView {
    pub id: i64,
    pub department_id: i64,
    pub student_no: String,
    pub name: String,
    pub id_type: String,
    pub id_masked: String,
    /// The full number: filled only for the registry, whose reads are audited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    pub level: String,
    pub cert_type: String,
    pub grad_kind: String,
    pub expected_graduation: String,
    pub campus: Option<String>,
    pub major: Option<String>,
}

impl From<&StudentRow> for StudentView {
    fn from(s: &StudentRow) -> StudentView {
        StudentView {
            id: s.id,
            department_id: s.department_id,
            student_no: s.student_no.clone(),
            name: s.name.clone(),
            id_type: s.id_type.clone(),
            id_masked: s.id_masked.clone(),
            id_number: None,
            level: s.level.clone(),
            cert_type: s.cert_type.clone(),
            grad_kind: s.grad_kind.clone(),
            expected_graduation: s.expected_graduation.clone(),
            campus: s.campus.clone(),
            major: s.major.clone(),
        }
    }
}

impl App {
    /// Imports a roster file (CSV in UTF-8 or GBK, XLSX or XLS) for one university.
    pub async fn import_roster(
        &self,
        by: &Staff,
        university_id: i64,
        filename: &str,
        bytes: &[u8],
    ) -> Result<ImportReport, AppError> {
        by.may(
            Action::Import,
            Resource::of_university(ResourceKind::Student, university_id),
        )?;
        let max = self.config.limits.upload_max_bytes;
        if bytes.len() > max {
            return Err(AppError::TooLarge(Msg::new(
                "upload.too_large",
                format!(
                    "文件过大（{} KB），上限 {} KB",
                    bytes.len() / 1024,
                    max / 1024
                ),
                format!(
                    "The file is too large ({} KB); the limit is {} KB",
                    bytes.len() / 1024,
                    max / 1024
                ),
            )));
        }
        let limits = Limits {
            max_bytes: max,
            max_rows: self.config.limits.roster_max_rows + 1,
            ..Limits::default()
        };
        let grid = read_grid(bytes, &limits).map_err(|e| AppError::Invalid(e.message()))?;
        let departments = self.db.list_departments(university_id).await?;
        let refs: Vec<DepartmentRef> = departments
            .iter()
            .map(|d| DepartmentRef {
                name: d.name.clone(),
                code: d.code.clone(),
            })
            .collect();
        let students = validate_grid(&grid, &refs).map_err(AppError::ImportRejected)?;
        let mut writes = Vec::with_capacity(students.len());
        for s in &students {
            let dept = departments
                .iter()
                .find(|d| d.name == s.department)
                .ok_or_else(|| {
                    AppError::Internal(format!("validated department {} vanished", s.department))
                })?;
            writes.push(self.student_write(dept.id, s)?);
        }
        let file_sha256 = hex(&Sha256::digest(bytes));
        // Keep the accepted file, content-addressed, so the audit entry can be checked
        // against exactly what was imported. Written before the rows: a crash in between
        // leaves an unreferenced file, never rows without their file.
        let key = format!("rosters/{university_id}/{file_sha256}");
        self.blobs
            .put(&key, bytes::Bytes::copy_from_slice(bytes))
            .await
            .map_err(|e| AppError::Internal(format!("storing the roster file: {e}")))?;
        let mut audit = by.audit("roster.import", "roster", None, Some(university_id));
        audit.before = Some(
            serde_json::json!({ "file": filename, "sha256": file_sha256, "stored_as": key, "rows": writes.len() }),
        );
        let ImportCounts {
            inserted,
            updated,
            unchanged,
        } = self
            .db
            .import_students(university_id, &writes, &audit)
            .await?;
        if inserted + updated > 0 {
            self.refresh_university_campaigns(university_id).await?;
        }
        Ok(ImportReport {
            rows: writes.len(),
            inserted,
            updated,
            unchanged,
            file_sha256,
        })
    }

    /// Encrypts the ID number and computes the keyed content hash of a validated row.
    fn student_write(&self, department_id: i64, s: &NewStudent) -> Result<StudentWrite, AppError> {
        let number = s.id.number();
        let prior_date = s.prior.map(|p| p.date.to_string());
        let prior_level = s.prior.map(|p| p.level.as_str().to_string());
        let expected = s.expected_graduation.to_string();
        // In-service adds a digit only when set, so that rows imported before the column
        // existed keep their hash (a re-import of an unchanged roster changes nothing).
        let flags = format!(
            "{}{}{}{}{}",
            u8::from(s.overseas_class),
            u8::from(s.master_to_phd),
            u8::from(s.delayed),
            u8::from(s.early_graduation_pending),
            if s.in_service { "1" } else { "" }
        );
        let dept = department_id.to_string();
        let content_hash = self.pii.keyed_hash(&[
            "student.v1",
            &dept,
            s.student_no.as_str(),
            &s.name,
            s.id.id_type.as_str(),
            number,
            s.level.as_str(),
            s.cert_type.as_str(),
            s.grad_kind.as_str(),
            &expected,
            &flags,
            prior_date.as_deref().unwrap_or(""),
            prior_level.as_deref().unwrap_or(""),
            s.campus.as_deref().unwrap_or(""),
            s.major.as_deref().unwrap_or(""),
        ]);
        Ok(StudentWrite {
            department_id,
            student_no: s.student_no.as_str().to_string(),
            name: s.name.clone(),
            id_type: s.id.id_type.as_str().to_string(),
            id_enc: self.pii.encrypt(number)?,
            id_blind: self.pii.blind_index(number),
            id_masked: s.id.masked(),
            level: s.level.as_str().to_string(),
            cert_type: s.cert_type.as_str().to_string(),
            grad_kind: s.grad_kind.as_str().to_string(),
            expected_graduation: expected,
            overseas_class: s.overseas_class,
            master_to_phd: s.master_to_phd,
            delayed: s.delayed,
            early_graduation_pending: s.early_graduation_pending,
            prior_date,
            prior_level,
            campus: s.campus.clone(),
            major: s.major.clone(),
            in_service: s.in_service,
            content_hash,
        })
    }

    /// Students visible to this person: a secretary is held to their department whatever
    /// they ask for.
    pub async fn list_students(
        &self,
        by: &Staff,
        university_id: i64,
        department_id: Option<i64>,
        search: Option<String>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<StudentView>, AppError> {
        let department_id = scoped_department(by, department_id);
        let res = match department_id {
            Some(d) => Resource::of_department(ResourceKind::Student, university_id, d),
            None => Resource::of_university(ResourceKind::Student, university_id),
        };
        by.may(Action::Read, res)?;
        if let Some(d) = department_id {
            self.department_of(university_id, d).await?;
        }
        let rows = self
            .db
            .list_students(&StudentFilter {
                university_id,
                department_id,
                search,
                limit: limit.clamp(1, 1000),
                offset: offset.max(0),
            })
            .await?;
        let mut views: Vec<StudentView> = rows.iter().map(StudentView::from).collect();
        // The registry sees ID numbers in full (it keeps student status); everyone else
        // the masked form. Each revealing read is audited with what was shown.
        let full = Resource::of_university(ResourceKind::StudentIdNumber, university_id);
        if by.may(Action::Read, full).is_ok() && !rows.is_empty() {
            for (v, r) in views.iter_mut().zip(&rows) {
                v.id_number = Some(self.pii.decrypt(&r.id_enc)?);
            }
            let mut audit = by.audit("student.reveal_ids", "roster", None, Some(university_id));
            audit.after = Some(serde_json::json!({
                "students": rows.iter().map(|r| r.student_no.as_str()).collect::<Vec<_>>(),
            }));
            self.db.append_audit(&audit).await?;
        }
        Ok(views)
    }

    /// The full ID number, for the registry operator only; the read is audited.
    pub async fn reveal_id_number(&self, by: &Staff, student_id: i64) -> Result<String, AppError> {
        let s = self.db.get_student(student_id).await?;
        by.may(
            Action::Read,
            Resource::of_department(
                ResourceKind::StudentIdNumber,
                s.university_id,
                s.department_id,
            ),
        )?;
        let n = self.pii.decrypt(&s.id_enc)?;
        self.db
            .append_audit(&by.audit(
                "student.reveal_id",
                "student",
                Some(s.id.to_string()),
                Some(s.university_id),
            ))
            .await?;
        Ok(n)
    }

    /// The roster as XLSX, in the import format (masked ID numbers), so a university can
    /// check what gradphoto holds.
    pub async fn export_roster(
        &self,
        by: &Staff,
        university_id: i64,
        department_id: Option<i64>,
    ) -> Result<Vec<u8>, AppError> {
        let department_id = scoped_department(by, department_id);
        let res = match department_id {
            Some(d) => Resource::of_department(ResourceKind::Student, university_id, d),
            None => Resource::of_university(ResourceKind::Student, university_id),
        };
        by.may(Action::Export, res)?;
        let departments = self.db.list_departments(university_id).await?;
        let students = self.db.all_students(university_id).await?;
        // The export is in the import format: every recognised column, in its order.
        let headers = Column::ALL;
        let yes = |b: bool| if b { "是" } else { "否" }.to_string();
        let rows = students
            .iter()
            .filter(|s| department_id.is_none_or(|d| s.department_id == d))
            .map(|s| {
                vec![
                    s.student_no.clone(),
                    s.name.clone(),
                    IdType::ALL
                        .iter()
                        .find(|t| t.as_str() == s.id_type)
                        .map(|t| t.zh())
                        .unwrap_or("")
                        .to_string(),
                    if s.id_masked.is_empty() {
                        mask_number("")
                    } else {
                        s.id_masked.clone()
                    },
                    Level::ALL
                        .iter()
                        .find(|l| l.as_str() == s.level)
                        .map(|l| l.zh())
                        .unwrap_or("")
                        .to_string(),
                    if s.cert_type == CertType::Single.as_str() {
                        "单证"
                    } else {
                        "双证"
                    }
                    .to_string(),
                    departments
                        .iter()
                        .find(|d| d.id == s.department_id)
                        .map(|d| d.name.clone())
                        .unwrap_or_default(),
                    s.expected_graduation.clone(),
                    [
                        GradKind::Graduation,
                        GradKind::Completion,
                        GradKind::CompletionToGraduation,
                    ]
                    .iter()
                    .find(|g| g.as_str() == s.grad_kind)
                    .map(|g| g.zh())
                    .unwrap_or("")
                    .to_string(),
                    yes(s.overseas_class),
                    yes(s.master_to_phd),
                    yes(s.delayed),
                    yes(s.early_graduation_pending),
                    s.prior_date.clone().unwrap_or_default(),
                    s.prior_level
                        .as_deref()
                        .and_then(|l| Level::ALL.iter().find(|x| x.as_str() == l))
                        .map(|l| l.zh())
                        .unwrap_or("")
                        .to_string(),
                    s.campus.clone().unwrap_or_default(),
                    s.major.clone().unwrap_or_default(),
                    if s.in_service {
                        "非全日制"
                    } else {
                        "全日制"
                    }
                    .to_string(),
                ]
            })
            .collect();
        let sheet = Sheet {
            name: "名单 Roster".into(),
            headers: headers.iter().map(|c| c.zh().to_string()).collect(),
            rows,
        };
        let bytes = write_xlsx(&[sheet]).map_err(|e| AppError::Internal(e.to_string()))?;
        self.db
            .append_audit(&by.audit("roster.export", "roster", None, Some(university_id)))
            .await?;
        Ok(bytes)
    }
}

/// A department secretary only ever sees their own department.
pub(crate) fn scoped_department(by: &Staff, asked: Option<i64>) -> Option<i64> {
    if by.actor.role == Role::DepartmentSecretary {
        by.actor.department_id
    } else {
        asked
    }
}
