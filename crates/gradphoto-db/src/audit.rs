//! The append-only audit log: who did what, when, with the state before and after. The
//! tables refuse UPDATE and DELETE by trigger on both backends.

use serde::Serialize;

use crate::rows::impl_from_row;
use crate::{Db, DbError, with_pool};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: Option<String>,
    pub university_id: Option<i64>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub ip: Option<String>,
}
impl_from_row!(AuditRow {
    id,
    at,
    actor_id,
    actor_name,
    action,
    target_kind,
    target_id,
    university_id,
    before_json,
    after_json,
    ip
});

/// One entry to append.
#[derive(Debug, Clone, Default)]
pub struct NewAudit {
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: Option<String>,
    pub university_id: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub ip: Option<String>,
}

const COLS: &str = "id, at, actor_id, actor_name, action, target_kind, target_id, university_id, before_json, after_json, ip";

/// Inserts an audit entry with any executor (pool or open transaction), so that the entry
/// commits or rolls back with the change it describes.
macro_rules! insert_audit {
    ($ex:expr, $a:expr) => {{
        let a: &$crate::audit::NewAudit = $a;
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor_name, action, target_kind, target_id, university_id, before_json, after_json, ip) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind($crate::now_ms())
        .bind(a.actor_id)
        .bind(&a.actor_name)
        .bind(&a.action)
        .bind(&a.target_kind)
        .bind(&a.target_id)
        .bind(a.university_id)
        .bind(a.before.as_ref().map(|v| v.to_string()))
        .bind(a.after.as_ref().map(|v| v.to_string()))
        .bind(&a.ip)
        .execute($ex)
        .await?
    }};
}
pub(crate) use insert_audit;

impl Db {
    pub async fn append_audit(&self, a: &NewAudit) -> Result<(), DbError> {
        with_pool!(self, p => { insert_audit!(p, a); });
        Ok(())
    }

    /// The newest entries first; `university_id` limits to one tenant.
    pub async fn list_audit(
        &self,
        university_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRow>, DbError> {
        Ok(match university_id {
            Some(u) => {
                let sql = format!(
                    "SELECT {COLS} FROM audit_log WHERE university_id = $1 ORDER BY id DESC LIMIT $2"
                );
                with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(u).bind(limit).fetch_all(p).await?)
            }
            None => {
                let sql = format!("SELECT {COLS} FROM audit_log ORDER BY id DESC LIMIT $1");
                with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(limit).fetch_all(p).await?)
            }
        })
    }
}
