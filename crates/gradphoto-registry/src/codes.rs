//! Collection codes: one live code per enrolment, made when first asked for; re-issuing
//! (a code lost or shown to the wrong person) revokes the old one, and the revocation is
//! published with the keys.

use gradphoto_db::DbError;
use gradphoto_db::registry::{RegCodeRow, RegStudentRow};
use gradphoto_domain::people::Level;
use gradphoto_registry_crypto::{CodeClaims, code};

use crate::{Registry, RegistryError};

fn claims(s: &RegStudentRow) -> Result<CodeClaims, RegistryError> {
    let level = Level::parse(&s.level)
        .ok_or_else(|| RegistryError::Internal(format!("stored level {}", s.level)))?;
    let year = s
        .expected_graduation
        .get(..4)
        .and_then(|y| y.parse::<u16>().ok())
        .ok_or_else(|| {
            RegistryError::Internal(format!("stored graduation {}", s.expected_graduation))
        })?;
    Ok(CodeClaims {
        school_code: s.school_code.clone(),
        level,
        graduation_year: year,
        name_masked: s.name_masked.clone(),
        id_masked: s.id_masked.clone(),
    })
}

impl Registry {
    /// The enrolment's live code, issued now if it has none.
    pub async fn code_for(&self, student_id: i64) -> Result<RegCodeRow, RegistryError> {
        if let Some(c) = self.db().registry_live_code(student_id).await? {
            return Ok(c);
        }
        match self.issue(student_id, false).await {
            // Another request issued it first: that one is the code.
            Err(RegistryError::Db(DbError::Conflict(_))) => self
                .db()
                .registry_live_code(student_id)
                .await?
                .ok_or_else(|| RegistryError::Internal("live code vanished".into())),
            other => other,
        }
    }

    /// A new code for the enrolment; the old one is revoked in the same transaction.
    pub async fn reissue_code(&self, student_id: i64) -> Result<RegCodeRow, RegistryError> {
        self.issue(student_id, true).await
    }

    async fn issue(&self, student_id: i64, replace: bool) -> Result<RegCodeRow, RegistryError> {
        let student = match self.db().registry_student(student_id).await {
            Err(DbError::NotFound) => return Err(RegistryError::NotFound),
            other => other?,
        };
        let ring = self.ring().await?;
        let (id, text) = code::issue(&ring, &claims(&student)?)?;
        let kid = ring
            .active_ids()
            .0
            .ok_or_else(|| RegistryError::Internal("no signing key".into()))?
            .to_owned();
        let row = self
            .db()
            .registry_insert_code(&id.to_string(), student_id, &kid, &text, replace)
            .await?;
        tracing::info!(student = student_id, code = %id, replace, "registry: code issued");
        Ok(row)
    }
}
