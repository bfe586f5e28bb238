//! The student's own sign-in at the registry (学信档案-style): ID number + name + school,
//! checked against the keyed hashes of the reported status. Failures are throttled per
//! person and per address, and every failure gets the same answer, so the form cannot be
//! used to learn who is enrolled where.

use gradphoto_db::registry::{RegSession, RegStudentRow};

use crate::secrets::{hex, random, token_hash};
use crate::{Registry, RegistryError};

/// How long a student stays signed in.
pub const SESSION_TTL_MS: i64 = 2 * 3_600_000;
/// The window in which failures count, and the limits within it.
const WINDOW_MS: i64 = 15 * 60_000;
const MAX_FAILURES_PER_PERSON: i64 = 5;
const MAX_FAILURES_PER_ADDRESS: i64 = 30;

/// A signed-in student.
#[derive(Debug, Clone)]
pub struct StudentSession {
    pub school_code: String,
    person_hash: String,
}

impl Registry {
    /// Signs a student in; returns the session token for the cookie.
    pub async fn sign_in(
        &self,
        school_code: &str,
        id_number: &str,
        name: &str,
        ip: &str,
    ) -> Result<String, RegistryError> {
        let school = school_code.trim();
        let person = self.inner.secrets.person_hash(id_number);
        let since = crate::now_ms() - WINDOW_MS;
        let (by_person, by_addr) = self
            .db()
            .registry_failed_sign_ins(ip, &person, since)
            .await?;
        if by_person >= MAX_FAILURES_PER_PERSON || by_addr >= MAX_FAILURES_PER_ADDRESS {
            return Err(RegistryError::Throttled);
        }
        let found = !self
            .find_enrolments(school, id_number, name)
            .await?
            .is_empty();
        self.db()
            .registry_record_sign_in(ip, &person, found)
            .await?;
        if !found {
            return Err(RegistryError::SignInFailed);
        }
        let token = hex(&random::<32>()?);
        self.db()
            .registry_create_session(&token_hash(&token), school, &person, SESSION_TTL_MS)
            .await?;
        Ok(token)
    }

    /// The student a session cookie belongs to, if it is live.
    pub async fn student_session(
        &self,
        token: &str,
    ) -> Result<Option<StudentSession>, RegistryError> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        Ok(self.db().registry_session(&token_hash(token)).await?.map(
            |RegSession {
                 school_code,
                 person_hash,
                 ..
             }| StudentSession {
                school_code,
                person_hash,
            },
        ))
    }

    pub async fn sign_out(&self, token: &str) -> Result<(), RegistryError> {
        Ok(self
            .db()
            .registry_delete_session(&token_hash(token))
            .await?)
    }

    /// The signed-in student's enrolments at the school.
    pub async fn my_enrolments(
        &self,
        s: &StudentSession,
    ) -> Result<Vec<RegStudentRow>, RegistryError> {
        Ok(self
            .db()
            .registry_students_of_person(&s.school_code, &s.person_hash)
            .await?)
    }

    /// One of the signed-in student's enrolments; anyone else's is not found.
    pub async fn my_enrolment(
        &self,
        s: &StudentSession,
        id: i64,
    ) -> Result<RegStudentRow, RegistryError> {
        self.my_enrolments(s)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(RegistryError::NotFound)
    }
}
