//! The camera and the student's confirmation at an offline station: the server's station
//! rules on the station's store. The next number is called by turn; a photo is bound only
//! to the number at the camera, checked and standardized by the engine at once; the
//! student confirms exactly the photo shown; a confirmed number takes no new photo.

use gradphoto_domain::onsite::{CameraRefusal, Place, Stage, waiting_in_order};
use gradphoto_domain::onsite_offline::PackStudent;
use gradphoto_photo::Prepared;
use gradphoto_photo::report::Report;
use gradphoto_photo::spec::{self, Spec};
use serde_json::json;

use crate::{CHECKIN_COLS, CheckinRow, Station, StationError, now_ms};

/// A photo as the station keeps it (without its images).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRow {
    pub id: i64,
    pub checkin_id: i64,
    pub verdict: String,
    pub reasons_json: String,
    pub background: String,
    pub source: String,
    pub taken_by: String,
    pub taken_at: i64,
}

crate::from_row!(PhotoRow {
    id,
    checkin_id,
    verdict,
    reasons_json,
    background,
    source,
    taken_by,
    taken_at
});

/// The largest photo the camera may give: a camera's full-size JPEG is well under it,
/// and a push (both images, base64) stays under the server's limit for one number.
pub const MAX_PHOTO_BYTES: usize = 24 << 20;

const PHOTO_COLS: &str =
    "id, checkin_id, verdict, reasons_json, background, source, taken_by, taken_at";

/// The number at the camera.
#[derive(Debug, Clone)]
pub struct AtCamera {
    pub checkin: CheckinRow,
    pub student: PackStudent,
    pub photo: Option<PhotoRow>,
}

/// The queue as the camera, the confirmation screen and the call display show it.
#[derive(Debug, Clone)]
pub struct CameraView {
    pub current: Option<AtCamera>,
    pub next: Vec<i64>,
    pub waiting: usize,
    pub confirmed: usize,
}

/// What became of a photo.
#[derive(Debug)]
pub enum Shot {
    Bound(PhotoRow),
    /// Nothing could be made of it: the reasons, to retake.
    Refused(Box<Report>),
}

fn camera(r: CameraRefusal) -> StationError {
    StationError::Refused(r.msg())
}

fn spec_for(background: &str) -> Spec {
    Spec::with_background(match background {
        "white" => spec::WHITE,
        "grey" => spec::LIGHT_GREY,
        _ => spec::LIGHT_BLUE,
    })
}

impl Station {
    async fn current_row(
        &self,
        tx: &mut sqlx::SqliteConnection,
    ) -> Result<(Option<CheckinRow>, i64), StationError> {
        let (current, last_turn): (Option<i64>, i64) =
            sqlx::query_as("SELECT current_checkin, last_turn FROM queue WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
        let row = match current {
            Some(id) => {
                let sql = format!("SELECT {CHECKIN_COLS} FROM checkins WHERE id = $1");
                Some(
                    sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?,
                )
            }
            None => None,
        };
        Ok((row, last_turn))
    }

    /// The queue's state.
    pub async fn camera_view(&self) -> Result<CameraView, StationError> {
        let rows = self.checkins().await?;
        let places: Vec<Place> = rows
            .iter()
            .filter_map(|r| {
                Some(Place {
                    number: r.number,
                    turn: r.turn,
                    stage: Stage::parse(&r.stage)?,
                })
            })
            .collect();
        let current_id: Option<i64> =
            sqlx::query_scalar("SELECT current_checkin FROM queue WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?
                .flatten();
        let current = match current_id.and_then(|id| rows.iter().find(|r| r.id == id)) {
            Some(c) => Some(AtCamera {
                student: self.student(c.student_id).await?,
                photo: match c.photo_id {
                    Some(id) => Some(self.photo(id).await?),
                    None => None,
                },
                checkin: c.clone(),
            }),
            None => None,
        };
        Ok(CameraView {
            current,
            next: waiting_in_order(&places, 5),
            waiting: places.iter().filter(|p| p.stage == Stage::Waiting).count(),
            confirmed: places
                .iter()
                .filter(|p| p.stage == Stage::Confirmed)
                .count(),
        })
    }

    pub async fn photo(&self, id: i64) -> Result<PhotoRow, StationError> {
        let sql = format!("SELECT {PHOTO_COLS} FROM photos WHERE id = $1");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(&self.pool)
            .await?)
    }

    /// A photo's standard image (`true`) or what the camera gave.
    pub async fn photo_image(&self, id: i64, standard: bool) -> Result<Vec<u8>, StationError> {
        let sql = if standard {
            "SELECT standard FROM photos WHERE id = $1"
        } else {
            "SELECT original FROM photos WHERE id = $1"
        };
        Ok(sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Calls the waiting number with the lowest turn.
    pub async fn call_next(&self) -> Result<CheckinRow, StationError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let (current, _) = self.current_row(&mut tx).await?;
        if let Some(c) = current.filter(|c| c.stage != "confirmed") {
            return Err(camera(CameraRefusal::Busy(c.number)));
        }
        let sql = format!(
            "SELECT {CHECKIN_COLS} FROM checkins WHERE stage = 'waiting' ORDER BY turn LIMIT 1"
        );
        let next: Option<CheckinRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_optional(&mut *tx)
            .await?;
        let Some(next) = next else {
            return Err(camera(CameraRefusal::Empty));
        };
        let sql = format!(
            "UPDATE checkins SET stage = 'called' WHERE id = $1 \
             RETURNING {CHECKIN_COLS}"
        );
        let called: CheckinRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(next.id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("UPDATE queue SET current_checkin = $1 WHERE id = 1")
            .bind(called.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(called)
    }

    /// Sends the number at the camera to the end of the queue (过号排至最后).
    pub async fn send_to_end(&self, number: i64) -> Result<CheckinRow, StationError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let (current, last_turn) = self.current_row(&mut tx).await?;
        match current {
            Some(c) if c.number == number && c.stage != "confirmed" => {
                let sql = format!(
                    "UPDATE checkins SET stage = 'waiting', turn = $1 WHERE id = $2 \
                     RETURNING {CHECKIN_COLS}"
                );
                let moved: CheckinRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(last_turn + 1)
                    .bind(c.id)
                    .fetch_one(&mut *tx)
                    .await?;
                sqlx::query("UPDATE queue SET last_turn = $1, current_checkin = NULL WHERE id = 1")
                    .bind(last_turn + 1)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(moved)
            }
            Some(c) if c.number == number => Err(camera(CameraRefusal::Confirmed)),
            other => Err(camera(CameraRefusal::NotCurrent(other.map(|c| c.number)))),
        }
    }

    /// Checks and standardizes a photo taken for `number`, and binds it if `number` is
    /// still at the camera and not confirmed.
    pub async fn take_photo(
        &self,
        number: i64,
        bytes: Vec<u8>,
        background: &str,
        source: &str,
        taken_by: &str,
    ) -> Result<Shot, StationError> {
        if bytes.is_empty() {
            return Err(crate::error::refused(
                "upload.empty",
                "请选择照片",
                "Choose a photo",
            ));
        }
        if bytes.len() > MAX_PHOTO_BYTES {
            return Err(crate::error::refused(
                "upload.too_large",
                format!("照片超过 {} MB", MAX_PHOTO_BYTES >> 20),
                format!("The photo is larger than {} MB", MAX_PHOTO_BYTES >> 20),
            ));
        }
        // Refuse early, before the engine's work, when the number is not at the camera.
        {
            let mut conn = self.pool.acquire().await?;
            match self.current_row(&mut conn).await?.0 {
                Some(c) if c.number == number && c.stage != "confirmed" => {}
                Some(c) if c.number == number => return Err(camera(CameraRefusal::Confirmed)),
                other => {
                    return Err(camera(CameraRefusal::NotCurrent(other.map(|c| c.number))));
                }
            }
        }
        let engine = self.engine.clone();
        let spec = spec_for(background);
        let original = bytes.clone();
        let prepared = tokio::task::spawn_blocking(move || engine.prepare(&bytes, &spec))
            .await
            .map_err(|e| StationError::Pack(format!("the photo engine stopped: {e}")))?;
        let (made, verdict) = match prepared {
            Prepared::Accept(s) => (s, "accept"),
            Prepared::Review(s) => (s, "review"),
            Prepared::Reject(report) => return Ok(Shot::Refused(report)),
        };
        let reasons: Vec<_> = made
            .report
            .reasons
            .iter()
            .map(|r| json!({ "code": r.code.to_string(), "zh": r.zh, "en": r.en }))
            .collect();
        let reasons = serde_json::Value::Array(reasons).to_string();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let (current, _) = self.current_row(&mut tx).await?;
        let c = match current {
            Some(c) if c.number == number && c.stage == "confirmed" => {
                return Err(camera(CameraRefusal::Confirmed));
            }
            Some(c) if c.number == number => c,
            other => return Err(camera(CameraRefusal::NotCurrent(other.map(|c| c.number)))),
        };
        let sql = format!(
            "INSERT INTO photos (checkin_id, verdict, reasons_json, background, source, taken_by, \
             taken_at, standard, original) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING {PHOTO_COLS}"
        );
        let photo: PhotoRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(c.id)
            .bind(verdict)
            .bind(&reasons)
            .bind(background)
            .bind(source)
            .bind(taken_by)
            .bind(now_ms())
            .bind(made.jpeg)
            .bind(original)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE checkins SET stage = 'photographed', photo_id = $1, version = version + 1 \
             WHERE id = $2",
        )
        .bind(photo.id)
        .bind(c.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Shot::Bound(photo))
    }

    /// The student confirms the photo shown for `number` (务必当场核对确认).
    pub async fn confirm(&self, number: i64, photo_id: i64) -> Result<CheckinRow, StationError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let (current, _) = self.current_row(&mut tx).await?;
        let c = match current {
            Some(c) if c.number == number && c.stage == "confirmed" => {
                return Err(camera(CameraRefusal::Confirmed));
            }
            Some(c)
                if c.number == number
                    && c.stage == "photographed"
                    && c.photo_id == Some(photo_id) =>
            {
                c
            }
            Some(c) if c.number == number => return Err(camera(CameraRefusal::NoSuchPhoto)),
            other => return Err(camera(CameraRefusal::NotCurrent(other.map(|c| c.number)))),
        };
        let sql = format!(
            "UPDATE checkins SET stage = 'confirmed', confirmed_at = $1, version = version + 1 \
             WHERE id = $2 RETURNING {CHECKIN_COLS}"
        );
        let row: CheckinRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(now_ms())
            .bind(c.id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("UPDATE queue SET current_checkin = NULL WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row)
    }
}
