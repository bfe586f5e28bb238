//! The agency's branches, their services and China's public calendar (migration 0025).
//! Rows only: what a service's hours mean is the domain's `makeup::slots`.

use crate::rows::impl_from_row;
use crate::{Db, DbError, now_ms, with_pool, write_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchRow {
    pub id: i64,
    pub name: String,
    pub city: String,
    pub address: String,
    pub phone: String,
    pub active: i64,
    pub created_at: i64,
    pub updated_at: i64,
}
impl_from_row!(BranchRow {
    id,
    name,
    city,
    address,
    phone,
    active,
    created_at,
    updated_at
});

const BRANCH_COLS: &str = "id, name, city, address, phone, active, created_at, updated_at";

/// What an agency admin types for a branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchWrite {
    pub name: String,
    pub city: String,
    pub address: String,
    pub phone: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    pub id: i64,
    pub branch_id: i64,
    pub name_zh: String,
    pub name_en: String,
    pub place: String,
    pub price_fen: i64,
    pub open_days: String,
    pub windows: String,
    pub slot_minutes: i64,
    pub slot_capacity: i64,
    pub cutoff_minutes: i64,
    pub days_ahead: i64,
    pub payment: String,
    pub choose_shots: i64,
    pub active: i64,
    pub created_at: i64,
    pub updated_at: i64,
}
impl_from_row!(ServiceRow {
    id,
    branch_id,
    name_zh,
    name_en,
    place,
    price_fen,
    open_days,
    windows,
    slot_minutes,
    slot_capacity,
    cutoff_minutes,
    days_ahead,
    payment,
    choose_shots,
    active,
    created_at,
    updated_at
});

pub(crate) const SERVICE_COLS: &str = "id, branch_id, name_zh, name_en, place, price_fen, \
    open_days, windows, slot_minutes, slot_capacity, cutoff_minutes, days_ahead, payment, \
    choose_shots, active, created_at, updated_at";

/// What an agency admin types for a service (already validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceWrite {
    pub name_zh: String,
    pub name_en: String,
    pub place: String,
    pub price_fen: i64,
    pub open_days: String,
    pub windows: String,
    pub slot_minutes: i64,
    pub slot_capacity: i64,
    pub cutoff_minutes: i64,
    pub days_ahead: i64,
    pub payment: String,
    pub choose_shots: bool,
    pub active: bool,
}

/// A listed day of the public calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicDayRow {
    pub day: String,
    pub kind: String,
    pub name: String,
    pub updated_by: String,
    pub updated_at: i64,
}
impl_from_row!(PublicDayRow {
    day,
    kind,
    name,
    updated_by,
    updated_at
});

impl Db {
    pub async fn branches(&self) -> Result<Vec<BranchRow>, DbError> {
        let sql = format!("SELECT {BRANCH_COLS} FROM branches ORDER BY city, name");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .fetch_all(p).await?),
        )
    }

    pub async fn branch(&self, id: i64) -> Result<BranchRow, DbError> {
        let sql = format!("SELECT {BRANCH_COLS} FROM branches WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id).fetch_one(p).await?),
        )
    }

    /// Adds a branch; a name taken already is a conflict.
    pub async fn create_branch(&self, w: &BranchWrite) -> Result<BranchRow, DbError> {
        let now = now_ms();
        let sql = format!(
            "INSERT INTO branches (name, city, address, phone, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {BRANCH_COLS}"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&w.name).bind(&w.city).bind(&w.address).bind(&w.phone)
            .bind(i64::from(w.active)).bind(now).fetch_one(p).await?),
        )
    }

    pub async fn update_branch(&self, id: i64, w: &BranchWrite) -> Result<BranchRow, DbError> {
        let sql = format!(
            "UPDATE branches SET name = $1, city = $2, address = $3, phone = $4, active = $5, \
             updated_at = $6 WHERE id = $7 RETURNING {BRANCH_COLS}"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&w.name).bind(&w.city).bind(&w.address).bind(&w.phone)
            .bind(i64::from(w.active)).bind(now_ms()).bind(id).fetch_one(p).await?),
        )
    }

    /// The services of a branch, in the order they were added.
    pub async fn branch_services(&self, branch_id: i64) -> Result<Vec<ServiceRow>, DbError> {
        let sql =
            format!("SELECT {SERVICE_COLS} FROM branch_services WHERE branch_id = $1 ORDER BY id");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(branch_id).fetch_all(p).await?),
        )
    }

    /// Every active service of an active branch, with its branch: what students choose from.
    pub async fn open_services(&self) -> Result<Vec<(BranchRow, ServiceRow)>, DbError> {
        let mut out = Vec::new();
        for b in self.branches().await?.into_iter().filter(|b| b.active != 0) {
            for s in self
                .branch_services(b.id)
                .await?
                .into_iter()
                .filter(|s| s.active != 0)
            {
                out.push((b.clone(), s));
            }
        }
        Ok(out)
    }

    pub async fn service(&self, id: i64) -> Result<ServiceRow, DbError> {
        let sql = format!("SELECT {SERVICE_COLS} FROM branch_services WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id).fetch_one(p).await?),
        )
    }

    pub async fn create_service(
        &self,
        branch_id: i64,
        w: &ServiceWrite,
    ) -> Result<ServiceRow, DbError> {
        let sql = format!(
            "INSERT INTO branch_services (branch_id, name_zh, name_en, place, price_fen, \
             open_days, windows, slot_minutes, slot_capacity, cutoff_minutes, days_ahead, \
             payment, choose_shots, active, created_at, updated_at) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) \
             RETURNING {SERVICE_COLS}"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(branch_id).bind(&w.name_zh).bind(&w.name_en).bind(&w.place).bind(w.price_fen)
            .bind(&w.open_days).bind(&w.windows).bind(w.slot_minutes).bind(w.slot_capacity)
            .bind(w.cutoff_minutes).bind(w.days_ahead).bind(&w.payment)
            .bind(i64::from(w.choose_shots)).bind(i64::from(w.active)).bind(now_ms())
            .fetch_one(p).await?),
        )
    }

    /// Changes a service. Bookings keep the price they were made at; a smaller capacity
    /// applies to places taken from now on (nobody booked is turned away).
    pub async fn update_service(&self, id: i64, w: &ServiceWrite) -> Result<ServiceRow, DbError> {
        let sql = format!(
            "UPDATE branch_services SET name_zh = $1, name_en = $2, place = $3, price_fen = $4, \
             open_days = $5, windows = $6, slot_minutes = $7, slot_capacity = $8, \
             cutoff_minutes = $9, days_ahead = $10, payment = $11, choose_shots = $12, \
             active = $13, updated_at = $14 WHERE id = $15 RETURNING {SERVICE_COLS}"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&w.name_zh).bind(&w.name_en).bind(&w.place).bind(w.price_fen)
            .bind(&w.open_days).bind(&w.windows).bind(w.slot_minutes).bind(w.slot_capacity)
            .bind(w.cutoff_minutes).bind(w.days_ahead).bind(&w.payment)
            .bind(i64::from(w.choose_shots)).bind(i64::from(w.active)).bind(now_ms()).bind(id)
            .fetch_one(p).await?),
        )
    }

    /// The listed days of the public calendar, in order.
    pub async fn public_days(&self) -> Result<Vec<PublicDayRow>, DbError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT day, kind, name, updated_by, updated_at FROM public_days ORDER BY day")
            .fetch_all(p).await?))
    }

    /// Replaces the listed days of one year with `days` (all of that year), all or nothing.
    pub async fn replace_public_year(
        &self,
        year: i32,
        days: &[(String, String, String)],
        by: &str,
    ) -> Result<(), DbError> {
        let (first, last) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
        let now = now_ms();
        write_tx!(self, tx => {
            sqlx::query("DELETE FROM public_days WHERE day >= $1 AND day <= $2")
                .bind(&first).bind(&last).execute(&mut *tx).await?;
            for (day, kind, name) in days {
                sqlx::query("INSERT INTO public_days (day, kind, name, updated_by, updated_at) \
                             VALUES ($1, $2, $3, $4, $5)")
                    .bind(day).bind(kind).bind(name).bind(by).bind(now)
                    .execute(&mut *tx).await?;
            }
        });
        Ok(())
    }
}
