//! Photos the registry received or holds from earlier (admission, earlier degree): the
//! verdict and reasons of each submission, the face hash for reuse detection, and where
//! the sealed photo is kept. Submissions are idempotent per client and key.

use serde::Serialize;

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegPhotoRow {
    pub id: i64,
    /// The enrolment; `None` for a photo that belongs to the person, not an enrolment (the
    /// admission photo).
    pub student_id: Option<i64>,
    #[serde(skip)]
    pub person_hash: String,
    /// `graduation` (submitted for this enrolment), `admission` or `degree` (earlier).
    pub kind: String,
    pub code_id: Option<String>,
    pub client_id: Option<i64>,
    pub idempotency_key: Option<String>,
    #[serde(skip)]
    pub request_hash: Option<String>,
    /// `accepted` or `rejected`.
    pub verdict: String,
    pub reasons_json: String,
    pub face_hash: Option<String>,
    /// Object-store key of the sealed photo as received (accepted photos only).
    pub blob_key: Option<String>,
    pub received_at: i64,
}
impl_from_row!(RegPhotoRow {
    id,
    student_id,
    person_hash,
    kind,
    code_id,
    client_id,
    idempotency_key,
    request_hash,
    verdict,
    reasons_json,
    face_hash,
    blob_key,
    received_at
});

/// A photo record to store.
#[derive(Debug, Clone, Default)]
pub struct NewRegPhoto {
    pub student_id: Option<i64>,
    pub person_hash: String,
    pub kind: String,
    pub code_id: Option<String>,
    pub client_id: Option<i64>,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    pub verdict: String,
    pub reasons_json: String,
    pub face_hash: Option<String>,
    pub blob_key: Option<String>,
}

const COLS: &str = "id, student_id, person_hash, kind, code_id, client_id, idempotency_key, request_hash, \
    verdict, reasons_json, face_hash, blob_key, received_at";

impl Db {
    /// The submission a client made with this idempotency key, if any.
    pub async fn registry_photo_by_key(
        &self,
        client_id: i64,
        key: &str,
    ) -> Result<Option<RegPhotoRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM registry_photos WHERE client_id = $1 AND idempotency_key = $2"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(client_id).bind(key).fetch_optional(p).await?),
        )
    }

    /// Stores a photo record. A second record with the same client and idempotency key is
    /// a [`DbError::Conflict`]: the caller returns the first one instead.
    pub async fn registry_insert_photo(&self, p: &NewRegPhoto) -> Result<RegPhotoRow, DbError> {
        let sql = format!(
            "INSERT INTO registry_photos (student_id, person_hash, kind, code_id, client_id, idempotency_key, \
             request_hash, verdict, reasons_json, face_hash, blob_key, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {COLS}"
        );
        Ok(
            with_pool!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(p.student_id).bind(&p.person_hash).bind(&p.kind).bind(&p.code_id).bind(p.client_id)
            .bind(&p.idempotency_key).bind(&p.request_hash).bind(&p.verdict).bind(&p.reasons_json)
            .bind(&p.face_hash).bind(&p.blob_key).bind(now_ms())
            .fetch_one(pool).await?),
        )
    }

    /// Accepted photos of the person that a new graduation photo for `student_id` must not
    /// repeat: the admission photo, earlier degree photos, and graduation photos of the
    /// person's other enrolments. The enrolment's own earlier submissions are not among
    /// them (a better shot from the same sitting is no reuse).
    pub async fn registry_earlier_photos(
        &self,
        person_hash: &str,
        student_id: i64,
    ) -> Result<Vec<RegPhotoRow>, DbError> {
        let sql = format!(
            "SELECT {COLS} FROM registry_photos WHERE person_hash = $1 AND verdict = 'accepted' \
             AND (kind <> 'graduation' OR student_id <> $2) ORDER BY id"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(person_hash).bind(student_id).fetch_all(p).await?),
        )
    }

    /// Every photo record of an enrolment, newest first.
    pub async fn registry_photos_of(&self, student_id: i64) -> Result<Vec<RegPhotoRow>, DbError> {
        let sql =
            format!("SELECT {COLS} FROM registry_photos WHERE student_id = $1 ORDER BY id DESC");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(student_id).fetch_all(p).await?),
        )
    }
}
