//! Why a station step was not taken. A refusal carries the message the person at the
//! desk or the camera reads, in Chinese and English; nothing was written.

use gradphoto_domain::i18n::Msg;

#[derive(Debug, thiserror::Error)]
pub enum StationError {
    /// The step is refused for a reason the operator can read and act on.
    #[error("{}", .0.en)]
    Refused(Msg),
    /// No pack yet: run `gradphoto station prepare` while the server can be reached.
    #[error("no pack: prepare the station while the server can be reached")]
    NoPack,
    /// The pack or the store is unusable.
    #[error("pack: {0}")]
    Pack(String),
    #[error("store: {0}")]
    Store(sqlx::Error),
}

impl From<sqlx::Error> for StationError {
    fn from(e: sqlx::Error) -> StationError {
        StationError::Store(e)
    }
}

pub(crate) fn refused(code: &str, zh: impl Into<String>, en: impl Into<String>) -> StationError {
    StationError::Refused(Msg::new(code, zh, en))
}

/// A form that cannot be read, or lacks the number it acts on.
pub fn refused_form() -> StationError {
    refused(
        "upload.unreadable",
        "表单无法读取，请刷新页面后重试",
        "The form could not be read; reload the page and try again",
    )
}
