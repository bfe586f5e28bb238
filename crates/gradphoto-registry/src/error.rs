//! What the registry refuses, with a stable code and a message in Chinese and English for
//! whoever reads it (a school's operator, the agency's desk, a student). The HTTP edge maps
//! [`RegistryError::code`] to a status.

use gradphoto_registry_crypto::{CodeError, KeyError, SealError};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No or an unknown API token.
    #[error("unauthorized")]
    Unauthorized,
    /// A known client asking for what it may not do (an agency reporting students, a
    /// school submitting photos, a school reporting another school's students).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Bad input: a field, what is wrong with it.
    #[error("invalid {field}: {en}")]
    Invalid {
        field: String,
        zh: String,
        en: String,
    },
    /// The collection code is not genuine, altered, revoked or unknown here.
    #[error("collection code refused: {0}")]
    Code(#[from] CodeError),
    /// The sealed photo does not open for the code it came with.
    #[error("sealed photo refused: {0}")]
    Seal(#[from] SealError),
    /// The idempotency key was used before for a different request.
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
    /// The ID number, name and school do not match a reported student (or the status has
    /// not been reported yet). One answer for every cause.
    #[error("sign-in failed")]
    SignInFailed,
    /// Past the verification deadline: the record takes no more changes.
    #[error("the record is frozen")]
    Frozen,
    /// Too many failed sign-ins recently.
    #[error("too many attempts")]
    Throttled,
    /// No such student (enrolment) at the registry.
    #[error("not found")]
    NotFound,
    #[error("keys: {0}")]
    Key(#[from] KeyError),
    #[error("storage: {0}")]
    Db(#[from] gradphoto_db::DbError),
    #[error("photo storage: {0}")]
    Blob(#[from] gradphoto_blob::BlobError),
    #[error("internal: {0}")]
    Internal(String),
}

impl RegistryError {
    pub(crate) fn invalid(
        field: impl Into<String>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        RegistryError::Invalid {
            field: field.into(),
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RegistryError::Unauthorized => "auth.unauthorized",
            RegistryError::Forbidden(_) => "auth.forbidden",
            RegistryError::Invalid { .. } => "request.invalid",
            RegistryError::Code(CodeError::Revoked(_)) => "code.revoked",
            RegistryError::Code(CodeError::UnknownKey(_)) => "code.unknown_key",
            RegistryError::Code(CodeError::BadSignature) => "code.bad_signature",
            RegistryError::Code(_) => "code.malformed",
            RegistryError::Seal(SealError::WrongCodeOrAltered) => "seal.wrong_code",
            RegistryError::Seal(SealError::TooLarge(_)) => "seal.too_large",
            RegistryError::Seal(_) => "seal.malformed",
            RegistryError::IdempotencyMismatch => "request.idempotency_mismatch",
            RegistryError::NotFound => "not_found",
            RegistryError::SignInFailed => "sign_in.failed",
            RegistryError::Throttled => "sign_in.throttled",
            RegistryError::Frozen => "record.frozen",
            RegistryError::Key(_)
            | RegistryError::Db(_)
            | RegistryError::Blob(_)
            | RegistryError::Internal(_) => "internal",
        }
    }

    /// Whether the fault is the caller's (4xx) rather than the registry's (5xx).
    pub fn is_client_error(&self) -> bool {
        self.code() != "internal"
    }

    pub fn zh(&self) -> String {
        match self {
            RegistryError::Unauthorized => "未授权：缺少或无效的接口令牌。".into(),
            RegistryError::Forbidden(_) => "无权执行此操作。".into(),
            RegistryError::Invalid { field, zh, .. } => format!("{field}：{zh}"),
            RegistryError::Code(e) => e.zh(),
            RegistryError::Seal(SealError::WrongCodeOrAltered) => {
                "照片密文与该采集码不匹配（为其他学生加密，或被篡改），不予接收。".into()
            }
            RegistryError::Seal(SealError::TooLarge(n)) => format!("照片过大（{n} 字节）。"),
            RegistryError::Seal(_) => "不是有效的加密照片。".into(),
            RegistryError::IdempotencyMismatch => {
                "该幂等键已用于另一份提交，请为新的提交使用新的幂等键。".into()
            }
            RegistryError::NotFound => "未找到该学籍记录。".into(),
            RegistryError::SignInFailed => "身份证件号、姓名与学校不匹配，或学校尚未报送你的学籍信息。请核对后重试；如仍无法登录，请联系学校学籍管理部门。".into(),
            RegistryError::Throttled => "尝试次数过多，请 15 分钟后再试。".into(),
            RegistryError::Frozen => "信息确认已截止，该学籍的图像信息已冻结，不再接受修改。".into(),
            _ => "学信网内部错误，请稍后重试。".into(),
        }
    }

    pub fn en(&self) -> String {
        match self {
            RegistryError::Unauthorized => "Unauthorized: missing or unknown API token.".into(),
            RegistryError::Forbidden(what) => format!("Forbidden: {what}."),
            RegistryError::Invalid { field, en, .. } => format!("{field}: {en}"),
            RegistryError::Code(e) => e.en(),
            RegistryError::Seal(SealError::WrongCodeOrAltered) => "The sealed photo does not open for this code (sealed for another student, or altered); not accepted.".into(),
            RegistryError::Seal(SealError::TooLarge(n)) => format!("The photo is too large ({n} bytes)."),
            RegistryError::Seal(e) => format!("Not a valid sealed photo ({e})."),
            RegistryError::IdempotencyMismatch => "This idempotency key was already used for a different submission; use a new key for a new submission.".into(),
            RegistryError::NotFound => "No such student record.".into(),
            RegistryError::SignInFailed => "The ID number, name and school do not match, or your school has not reported your student status yet. Check and try again; if it still fails, contact your school's registrar.".into(),
            RegistryError::Throttled => "Too many attempts; try again in 15 minutes.".into(),
            RegistryError::Frozen => "Verification has ended: this record's photo is frozen and takes no more changes.".into(),
            _ => "Internal registry error; try again later.".into(),
        }
    }
}
