//! Student status (学籍) as schools report it, reduced on arrival to what the registry
//! keeps: masked name and ID number, and keyed hashes to recognise the person at sign-in
//! and across enrolments. The clear name and number are never stored.

use gradphoto_db::registry::{RegStudentRow, RegStudentWrite, ReportCounts};
use gradphoto_domain::id_document::mask_number;
use gradphoto_domain::people::{Level, mask_name};
use serde::Deserialize;

use crate::{Client, ClientKind, Registry, RegistryError};

/// The most students one report may carry (a large university's graduating year).
pub const MAX_REPORT_ROWS: usize = 100_000;

/// One student as a school reports it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportedStudent {
    /// The school's student number for this enrolment.
    pub enrolment_id: String,
    /// `associate`, `bachelor`, `master`, `doctor` (or 专科/本科/硕士/博士).
    pub level: String,
    /// `YYYY-MM`.
    pub expected_graduation: String,
    /// The department (院系), so a report of an error reaches its secretary.
    pub department: String,
    /// Full name: hashed and masked on arrival, never stored.
    pub name: String,
    /// ID number: hashed and masked on arrival, never stored.
    pub id_number: String,
}

fn bad(i: usize, field: &str, zh: &str, en: &str) -> RegistryError {
    RegistryError::invalid(format!("students[{i}].{field}"), zh, en)
}

fn valid_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[5..].iter().all(u8::is_ascii_digit)
        && matches!(s[5..].parse::<u8>(), Ok(1..=12))
}

fn text(i: usize, field: &str, v: &str, max: usize) -> Result<(), RegistryError> {
    let t = v.trim();
    if t.is_empty() {
        return Err(bad(i, field, "不能为空", "must not be empty"));
    }
    if t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(bad(
            i,
            field,
            &format!("不超过 {max} 个字符，且不含控制字符"),
            &format!("at most {max} characters, no control characters"),
        ));
    }
    Ok(())
}

impl Registry {
    /// Takes a school's report: every row is checked first, then all are written in one
    /// transaction (matched by enrolment id), or none is.
    pub async fn report_students(
        &self,
        client: &Client,
        rows: &[ReportedStudent],
    ) -> Result<ReportCounts, RegistryError> {
        let school = match (client.kind, &client.school_code) {
            (ClientKind::School, Some(code)) => code.clone(),
            _ => {
                return Err(RegistryError::Forbidden(
                    "only a school reports its students",
                ));
            }
        };
        if rows.len() > MAX_REPORT_ROWS {
            return Err(RegistryError::invalid(
                "students",
                format!("一次最多报送 {MAX_REPORT_ROWS} 名学生"),
                format!("at most {MAX_REPORT_ROWS} students per report"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let mut writes = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            text(i, "enrolment_id", &r.enrolment_id, 32)?;
            text(i, "department", &r.department, 64)?;
            text(i, "name", &r.name, 64)?;
            text(i, "id_number", &r.id_number, 32)?;
            let level = Level::parse(&r.level).ok_or_else(|| {
                bad(
                    i,
                    "level",
                    "应为 专科/本科/硕士/博士",
                    "must be associate/bachelor/master/doctor",
                )
            })?;
            if !valid_month(r.expected_graduation.trim()) {
                return Err(bad(
                    i,
                    "expected_graduation",
                    "应为 YYYY-MM",
                    "must be YYYY-MM",
                ));
            }
            if !seen.insert(r.enrolment_id.trim().to_owned()) {
                return Err(bad(
                    i,
                    "enrolment_id",
                    "在本次报送中重复",
                    "appears twice in this report",
                ));
            }
            let id = crate::secrets::normalize_id(&r.id_number);
            let person_hash = self.inner.secrets.person_hash(&id);
            writes.push(RegStudentWrite {
                enrolment_id: r.enrolment_id.trim().to_owned(),
                level: level.as_str().to_owned(),
                expected_graduation: r.expected_graduation.trim().to_owned(),
                department: r.department.trim().to_owned(),
                name_masked: mask_name(&r.name),
                id_masked: mask_number(&id),
                name_hash: self.inner.secrets.name_hash(&person_hash, &r.name),
                person_hash,
            });
        }
        let counts = self.db().registry_report_students(&school, &writes).await?;
        tracing::info!(school = %school, inserted = counts.inserted, updated = counts.updated, "registry: student status reported");
        Ok(counts)
    }

    /// The enrolments at `school_code` of the person with this ID number and name: what a
    /// student proves to sign in. Unknown person and wrong name give the same empty answer.
    pub async fn find_enrolments(
        &self,
        school_code: &str,
        id_number: &str,
        name: &str,
    ) -> Result<Vec<RegStudentRow>, RegistryError> {
        let person = self.inner.secrets.person_hash(id_number);
        let name_hash = self.inner.secrets.name_hash(&person, name);
        let rows = self
            .db()
            .registry_students_of_person(school_code.trim(), &person)
            .await?;
        Ok(rows
            .into_iter()
            .filter(|r| r.name_hash == name_hash)
            .collect())
    }

    /// One enrolment by the school's code and student number.
    pub async fn enrolment(
        &self,
        school_code: &str,
        enrolment_id: &str,
    ) -> Result<RegStudentRow, RegistryError> {
        self.db()
            .registry_student_by_enrolment(school_code, enrolment_id)
            .await?
            .ok_or(RegistryError::NotFound)
    }

    /// Records a photo the registry already holds for a person from before this
    /// graduation — the admission photo (`admission`) or an earlier degree's (`degree`) —
    /// so that reuse can be detected. Only the face hash is kept, not the image. The demo
    /// seeds these; a real registry has them from earlier years.
    pub async fn record_earlier_photo(
        &self,
        id_number: &str,
        kind: &str,
        image: &[u8],
    ) -> Result<i64, RegistryError> {
        if !matches!(kind, "admission" | "degree") {
            return Err(RegistryError::invalid(
                "kind",
                "应为 admission 或 degree",
                "must be admission or degree",
            ));
        }
        let engine = self.inner.engine.clone();
        let image = image.to_vec();
        let report = tokio::task::spawn_blocking(move || engine.check(&image, &Default::default()))
            .await
            .map_err(|e| RegistryError::Internal(format!("photo check: {e}")))?;
        // Only the face matters here: an admission photo of 2019 need not meet today's
        // background or size rules, but without one face it cannot be compared.
        let Some(face_hash) = report.face_hash else {
            return Err(RegistryError::invalid(
                "image",
                "照片中没有可识别的单张人脸，无法用于比对",
                "no single face could be found in this photo, so it cannot be compared",
            ));
        };
        let person_hash = self.inner.secrets.person_hash(id_number);
        let face_hash = face_hash.to_string();
        // Recording the same photo again (an import re-run, the demo restarted) is a no-op.
        // No enrolment has id 0, so every earlier photo of the person is listed.
        if let Some(same) = self
            .db()
            .registry_earlier_photos(&person_hash, 0)
            .await?
            .into_iter()
            .find(|p| p.kind == kind && p.face_hash.as_deref() == Some(face_hash.as_str()))
        {
            return Ok(same.id);
        }
        let row = self
            .db()
            .registry_insert_photo(&gradphoto_db::registry::NewRegPhoto {
                person_hash,
                kind: kind.into(),
                verdict: "accepted".into(),
                reasons_json: "[]".into(),
                face_hash: Some(face_hash),
                ..Default::default()
            })
            .await?;
        Ok(row.id)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn months() {
        assert!(super::valid_month("2027-06"));
        assert!(!super::valid_month("2027-13"));
        assert!(!super::valid_month("2027-6"));
        assert!(!super::valid_month("２０２７-06"));
    }
}
