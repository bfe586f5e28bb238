//! Use-case errors. Each carries what a person may be told (a bilingual [`Msg`]) or is an
//! internal failure whose details stay in the logs. The web crate maps these to HTTP.

use gradphoto_db::DbError;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::policy::Denied;
use gradphoto_domain::roster::RowError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not signed in, or the session ended.
    #[error("unauthenticated")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(Msg),
    #[error("not found: {0}")]
    NotFound(Msg),
    /// The request is wrong in a way the person can fix.
    #[error("invalid: {0}")]
    Invalid(Msg),
    /// The request clashes with current state (duplicate, concurrent change).
    #[error("conflict: {0}")]
    Conflict(Msg),
    /// An import was refused as a whole; every bad row is listed.
    #[error("import rejected: {} rows with errors", .0.len())]
    ImportRejected(Vec<RowError>),
    #[error("too many attempts: {0}")]
    Throttled(Msg),
    #[error("payload too large: {0}")]
    TooLarge(Msg),
    /// An outside service this request needs (SMS, payments) is down or refused us for a
    /// reason that is the operator's, not the person's; details are in the log.
    #[error("unavailable: {0}")]
    Unavailable(Msg),
    #[error("configuration: {0}")]
    Config(String),
    #[error("internal: {0}")]
    Internal(String),
    #[error(transparent)]
    Db(DbError),
}

impl From<Denied> for AppError {
    fn from(d: Denied) -> AppError {
        AppError::Forbidden(d.0)
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> AppError {
        match e {
            DbError::NotFound => AppError::not_found(),
            DbError::Held(station) => AppError::Conflict(crate::onsite_offline::held_msg(&station)),
            DbError::CampaignNotOpen => {
                AppError::Conflict(crate::onsite_checkin::campaign_not_open())
            }
            DbError::Conflict(c) => AppError::Conflict(Msg::new(
                "conflict",
                format!("与已有数据冲突（{c}）"),
                format!("This conflicts with existing data ({c})"),
            )),
            other => AppError::Db(other),
        }
    }
}

impl AppError {
    pub fn not_found() -> AppError {
        AppError::NotFound(Msg::new("not_found", "未找到", "Not found"))
    }

    pub fn invalid(code: &str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
        AppError::Invalid(Msg::new(code, zh, en))
    }

    /// The message a person may see; internal errors get a generic one.
    pub fn message(&self) -> Msg {
        match self {
            AppError::Unauthenticated => Msg::new("auth.required", "请先登录", "Please sign in"),
            AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Invalid(m)
            | AppError::Conflict(m)
            | AppError::Throttled(m)
            | AppError::TooLarge(m)
            | AppError::Unavailable(m) => m.clone(),
            AppError::ImportRejected(rows) => Msg::new(
                "roster.rejected",
                format!(
                    "导入未执行：{} 处错误，请修改后重新导入，已有数据未作任何改动",
                    rows.len()
                ),
                format!(
                    "Nothing was imported: {} errors; fix them and import again. Existing data is unchanged",
                    rows.len()
                ),
            ),
            AppError::Config(_) | AppError::Internal(_) | AppError::Db(_) => Msg::new(
                "internal",
                "服务器内部错误，请稍后重试",
                "Internal server error; please try again later",
            ),
        }
    }
}

impl From<gradphoto_registry::RegistryError> for AppError {
    fn from(e: gradphoto_registry::RegistryError) -> AppError {
        use gradphoto_registry::RegistryError as R;
        let msg = Msg::new(e.code(), e.zh(), e.en());
        match e {
            R::Unauthorized => AppError::Unauthenticated,
            R::Forbidden(_) => AppError::Forbidden(msg),
            R::Invalid { .. } | R::Code(_) | R::Seal(_) => AppError::Invalid(msg),
            R::IdempotencyMismatch => AppError::Conflict(msg),
            R::NotFound => AppError::NotFound(msg),
            R::SignInFailed => AppError::Invalid(msg),
            R::Throttled => AppError::Throttled(msg),
            R::Frozen => AppError::Conflict(msg),
            R::Db(d) => d.into(),
            R::Key(_) | R::Blob(_) | R::Internal(_) => AppError::Internal(e.to_string()),
        }
    }
}
