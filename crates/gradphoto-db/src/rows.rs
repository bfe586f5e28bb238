//! Row decoding for both backends from one field list, without sqlx's derive macros (which
//! would compile the SQLite driver a second time for the proc-macro host).

/// Implements `sqlx::FromRow` for SQLite and PostgreSQL rows by column name.
macro_rules! impl_from_row {
    ($t:ident { $($f:ident),* $(,)? }) => {
        impl<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> for $t {
            fn from_row(r: &'r sqlx::sqlite::SqliteRow) -> Result<Self, sqlx::Error> {
                use sqlx::Row;
                Ok($t { $($f: r.try_get(stringify!($f))?),* })
            }
        }
        impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for $t {
            fn from_row(r: &'r sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
                use sqlx::Row;
                Ok($t { $($f: r.try_get(stringify!($f))?),* })
            }
        }
    };
}
pub(crate) use impl_from_row;

/// A column list (`"id, name"`) with each column qualified by a table alias (`"s.id,
/// s.name"`), for a query that joins the table under that alias.
pub(crate) fn qualified(cols: &str, alias: &str) -> String {
    cols.split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}
