//! What a station gives back: every number whose state the server does not have yet
//! (`version` ahead of `pushed_version`), as the server's push format, and the server's
//! answer recorded per number. References are the station's name, the store's random id
//! and the row, so they never repeat; pushing the same state again adds nothing.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use gradphoto_domain::onsite_offline::{PushAnswer, PushCheckin, PushOutcome, PushPhoto};

use crate::camera::PhotoRow;
use crate::{CHECKIN_COLS, CheckinRow, Station, StationError};

/// A number to push, at the version it was read.
#[derive(Debug, Clone)]
pub struct Pending {
    pub checkin: PushCheckin,
    pub version: i64,
}

impl Station {
    /// This store's random id: the server ties the hold, every push and the release to it.
    pub async fn store_id(&self) -> Result<String, StationError> {
        Ok(sqlx::query_scalar("SELECT store_id FROM meta WHERE id = 1")
            .fetch_one(&self.pool)
            .await?)
    }

    /// The numbers the server does not fully have, in number order.
    pub async fn pending(&self) -> Result<Vec<Pending>, StationError> {
        let (pack, _) = self.pack().await?;
        let base = format!("{}/{}", pack.station, self.store_id().await?);
        let sql = format!(
            "SELECT {CHECKIN_COLS} FROM checkins WHERE version > pushed_version ORDER BY number"
        );
        let rows: Vec<CheckinRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let reference = format!("{base}/{}", r.id);
            // The images are read only when the number is sent (see `with_images`): a day's
            // camera originals do not fit in memory at once.
            let photo = match r.photo_id {
                Some(id) => {
                    let p: PhotoRow = self.photo(id).await?;
                    Some(PushPhoto {
                        reference: format!("{reference}/photo/{}", p.id),
                        standard_b64: String::new(),
                        original_b64: String::new(),
                        verdict: p.verdict,
                        reasons_json: p.reasons_json,
                        background: p.background,
                        source: p.source,
                        taken_by: p.taken_by,
                        taken_at: p.taken_at,
                    })
                }
                None => None,
            };
            out.push(Pending {
                version: r.version,
                checkin: PushCheckin {
                    reference,
                    number: r.number,
                    turn: r.turn,
                    code_text: r.code_text,
                    student_id: r.student_id,
                    desk: r.desk,
                    checked_in_at: r.checked_in_at,
                    photo,
                    confirmed_at: r.confirmed_at,
                },
            });
        }
        Ok(out)
    }

    /// The number ready to send: its photo's images read and encoded.
    pub async fn with_images(&self, p: &Pending) -> Result<Pending, StationError> {
        let mut p = p.clone();
        if let Some(photo) = p.checkin.photo.as_mut() {
            let id: i64 = photo
                .reference
                .rsplit('/')
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| StationError::Pack("a photo reference is malformed".into()))?;
            photo.standard_b64 = B64.encode(self.photo_image(id, true).await?);
            photo.original_b64 = B64.encode(self.photo_image(id, false).await?);
        }
        Ok(p)
    }

    /// How many numbers the server does not fully have.
    pub async fn pending_count(&self) -> Result<usize, StationError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM checkins WHERE version > pushed_version")
                .fetch_one(&self.pool)
                .await?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Records the server's answer for a number pushed at `version`: the number is
    /// pushed up to that version (a change made since is pushed next time).
    pub async fn record_answer(
        &self,
        pending: &Pending,
        answer: &PushAnswer,
    ) -> Result<(), StationError> {
        let id: i64 = pending
            .checkin
            .reference
            .rsplit('/')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| StationError::Pack("a pushed reference is malformed".into()))?;
        let outcome = match answer.outcome {
            PushOutcome::Recorded => "recorded",
            PushOutcome::AlreadyHad => "already_had",
            PushOutcome::Conflict => "conflict",
        };
        let note = if answer.zh.is_empty() {
            None
        } else {
            Some(format!("{} / {}", answer.zh, answer.en))
        };
        sqlx::query(
            "UPDATE checkins SET pushed_version = MAX(pushed_version, $1), push_outcome = $2, \
             push_note = $3 WHERE id = $4",
        )
        .bind(pending.version)
        .bind(outcome)
        .bind(note)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
