//! The registry's own records (学信网 side): its key ring, the clients allowed to call its
//! API, its copy of student status, collection codes and received photos. The agency's
//! tables and these are never joined: the agency reaches the registry only over HTTP.

mod codes;
mod photos;
mod sessions;
mod students;
mod verification;

pub use codes::RegCodeRow;
pub use photos::{NewRegPhoto, RegPhotoRow};
pub use sessions::RegSession;
pub use students::{RegStudentRow, RegStudentWrite, ReportCounts};
pub use verification::{ConfirmationRow, WindowRow};

use serde::Serialize;

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool};

/// A school or agency that may call the registry's API with a bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegClientRow {
    pub id: i64,
    pub name: String,
    /// `school` or `agency`.
    pub kind: String,
    /// The school's code (学校代码), for schools.
    pub school_code: Option<String>,
    #[serde(skip)]
    pub token_hash: String,
    pub created_at: i64,
}
impl_from_row!(RegClientRow {
    id,
    name,
    kind,
    school_code,
    token_hash,
    created_at
});

const CLIENT_COLS: &str = "id, name, kind, school_code, token_hash, created_at";

impl Db {
    /// The stored key ring (encrypted by the caller), if one was made.
    pub async fn registry_keyring(&self) -> Result<Option<Vec<u8>>, DbError> {
        let row: Option<(Vec<u8>,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT ring_enc FROM registry_keyring WHERE id = 1").fetch_optional(p).await?);
        Ok(row.map(|r| r.0))
    }

    /// Stores `ring_enc` unless a key ring exists already; returns the one stored. Two
    /// processes starting at once on a fresh database thus agree on one ring.
    pub async fn registry_init_keyring(&self, ring_enc: &[u8]) -> Result<Vec<u8>, DbError> {
        with_pool!(self, p => sqlx::query(
            "INSERT INTO registry_keyring (id, ring_enc, updated_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING")
            .bind(ring_enc).bind(now_ms()).execute(p).await?.rows_affected());
        self.registry_keyring()
            .await?
            .ok_or_else(|| DbError::Corrupt("registry key ring vanished".into()))
    }

    /// Replaces the key ring after a rotation, only if it is still `previous`: a
    /// concurrent rotation is a conflict, not a lost key.
    pub async fn registry_replace_keyring(
        &self,
        previous: &[u8],
        ring_enc: &[u8],
    ) -> Result<(), DbError> {
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE registry_keyring SET ring_enc = $1, updated_at = $2 WHERE id = 1 AND ring_enc = $3")
            .bind(ring_enc).bind(now_ms()).bind(previous).execute(p).await?.rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(DbError::Conflict(
                "registry key ring changed concurrently".into(),
            ))
        }
    }

    /// Creates the client, or gives an existing one (same kind and name) a new token.
    pub async fn registry_put_client(
        &self,
        name: &str,
        kind: &str,
        school_code: Option<&str>,
        token_hash: &str,
    ) -> Result<RegClientRow, DbError> {
        let sql = format!(
            "INSERT INTO registry_clients (name, kind, school_code, token_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, name) DO UPDATE SET \
             token_hash = excluded.token_hash, school_code = excluded.school_code \
             RETURNING {CLIENT_COLS}"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(name).bind(kind).bind(school_code).bind(token_hash).bind(now_ms())
            .fetch_one(p).await?),
        )
    }

    pub async fn registry_client_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<RegClientRow>, DbError> {
        let sql = format!("SELECT {CLIENT_COLS} FROM registry_clients WHERE token_hash = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(token_hash).fetch_optional(p).await?),
        )
    }
}
