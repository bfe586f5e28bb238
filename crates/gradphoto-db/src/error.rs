//! Storage errors. A unique violation on either backend becomes [`DbError::Conflict`], so
//! callers can turn it into a user error without knowing the backend.

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    /// The queue is held by an offline station (named): only that station numbers on it.
    #[error("queue held by offline station {0}")]
    Held(String),
    /// The campaign is not open (closed while a desk was scanning): nobody is numbered.
    #[error("campaign not open")]
    CampaignNotOpen,
    #[error("configuration: {0}")]
    Config(String),
    #[error("migration: {0}")]
    Migration(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Sqlx(sqlx::Error),
    /// From the SQLite writer that numbers check-ins (see `sqlite_numbering`).
    #[error("database: {0}")]
    Embedded(String),
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> DbError {
        match &e {
            sqlx::Error::RowNotFound => DbError::NotFound,
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                DbError::Conflict(d.constraint().unwrap_or(d.message()).to_string())
            }
            _ => DbError::Sqlx(e),
        }
    }
}
