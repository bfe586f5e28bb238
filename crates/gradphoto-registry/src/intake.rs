//! Intake: the registry accepts a photo only sealed to its key for a genuine, live code. It
//! opens it, runs the photo engine's checks and compares the face with the person's earlier
//! photos, then accepts or rejects with reason codes. The sealed bytes are what it keeps
//! (encrypted at rest, openable only with its key ring). Each submission carries an
//! idempotency key: a replay returns the first result and stores nothing twice.

use bytes::Bytes;
use gradphoto_db::DbError;
use gradphoto_db::registry::{NewRegPhoto, RegPhotoRow};
use gradphoto_photo::phash::{self, FaceHash};
use gradphoto_photo::report::{Finding, Report, Severity, Verdict};
use gradphoto_photo::spec::{self, Spec};
use gradphoto_registry_crypto::{CodeError, SealedPhoto, code, seal};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::secrets::{hex, random};
use crate::{Client, ClientKind, Registry, RegistryError};

/// Reason code for a photo that repeats one the registry already holds for the person.
pub const REUSED: &str = "photo.reused";

/// One submission from an agency.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    /// Chosen by the agency, unique per photo it sends (e.g. its outbox row id).
    pub idempotency_key: &'a str,
    /// The collection code text, as scanned.
    pub code: &'a str,
    /// The photo sealed to the registry for that code (the `GPS1` wire form).
    pub sealed: &'a [u8],
    /// Background the campaign uses: `blue` (default), `white` or `grey`.
    pub background: Option<&'a str>,
}

/// The registry's answer to a submission.
#[derive(Debug, Clone, Serialize)]
pub struct Submitted {
    pub photo_id: i64,
    pub code_id: String,
    /// `accepted` or `rejected`.
    pub verdict: String,
    /// Every finding (reason code, measured value, limit, zh/en message). An accepted
    /// photo may carry borderline findings the agency's reviewer already passed.
    pub reasons: serde_json::Value,
    /// True when this answers an earlier submission with the same idempotency key.
    pub replayed: bool,
    pub received_at: i64,
}

impl Submitted {
    fn from_row(r: &RegPhotoRow, replayed: bool) -> Submitted {
        Submitted {
            photo_id: r.id,
            code_id: r.code_id.clone().unwrap_or_default(),
            verdict: r.verdict.clone(),
            reasons: serde_json::from_str(&r.reasons_json).unwrap_or(serde_json::Value::Null),
            replayed,
            received_at: r.received_at,
        }
    }
}

fn check_key(key: &str) -> Result<(), RegistryError> {
    let ok = (8..=128).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if ok {
        Ok(())
    } else {
        Err(RegistryError::invalid(
            "Idempotency-Key",
            "必须提供 8–128 个字符（字母、数字、- _ . :）",
            "required: 8–128 characters (letters, digits, - _ . :)",
        ))
    }
}

fn background(name: Option<&str>) -> Result<Spec, RegistryError> {
    Ok(Spec::with_background(match name.unwrap_or("blue") {
        "blue" => spec::LIGHT_BLUE,
        "white" => spec::WHITE,
        "grey" | "gray" => spec::LIGHT_GREY,
        _ => {
            return Err(RegistryError::invalid(
                "background",
                "应为 blue、white 或 grey",
                "must be blue, white or grey",
            ));
        }
    }))
}

fn request_hash(s: &Submission<'_>) -> String {
    let mut h = Sha256::new();
    for part in [
        s.code.as_bytes(),
        s.background.unwrap_or("blue").as_bytes(),
        s.sealed,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    hex(&h.finalize())
}

fn reused(distance: u32, mirrored: bool) -> Finding {
    let (zh, en) = if mirrored {
        (
            "该照片是此前已有照片（入学照片或以往学历照片）的镜像翻拍，不能作为毕业照片使用，请重新拍摄。",
            "This photo is a mirrored copy of a photo the registry already holds (admission or an earlier degree); take a new photo.",
        )
    } else {
        (
            "该照片与此前已有照片（入学照片或以往学历照片）相同，毕业照片须为本次新拍摄的照片。",
            "This photo repeats a photo the registry already holds (admission or an earlier degree); the graduation photo must be newly taken.",
        )
    };
    Finding {
        code: REUSED,
        severity: Severity::Reject,
        measured: distance.into(),
        limit: format!("> {}", phash::NEAR_DUPLICATE_MAX).into(),
        zh: zh.into(),
        en: en.into(),
    }
}

/// The closest earlier photo that the new face repeats, if any.
fn reuse_of(hash: &FaceHash, earlier: &[RegPhotoRow]) -> Option<Finding> {
    earlier
        .iter()
        .filter_map(|p| p.face_hash.as_deref()?.parse::<FaceHash>().ok())
        .filter_map(|h| {
            if phash::is_near_duplicate(hash, &h) {
                Some(reused(phash::distance(hash, &h), false))
            } else if phash::is_mirrored_duplicate(hash, &h) {
                Some(reused(phash::distance(&hash.mirrored(), &h), true))
            } else {
                None
            }
        })
        .min_by(|a, b| {
            let d = |f: &Finding| match f.measured {
                gradphoto_photo::report::Value::Number(n) => n,
                _ => f64::MAX,
            };
            d(a).total_cmp(&d(b))
        })
}

impl Registry {
    /// Takes one sealed photo. Refusals that identify no student (a forged or revoked
    /// code, a photo sealed for another code) are errors and store nothing; a photo that
    /// fails the checks is a `rejected` result, kept (without its pixels) so a replay gets
    /// the same answer.
    pub async fn submit_photo(
        &self,
        client: &Client,
        s: &Submission<'_>,
    ) -> Result<Submitted, RegistryError> {
        if client.kind != ClientKind::Agency {
            return Err(RegistryError::Forbidden("only an agency submits photos"));
        }
        check_key(s.idempotency_key)?;
        let hash = request_hash(s);
        if let Some(first) = self
            .db()
            .registry_photo_by_key(client.id, s.idempotency_key)
            .await?
        {
            return replay(&first, &hash);
        }
        let spec = background(s.background)?;

        // The code: genuine, not revoked, and one this registry issued and still holds live.
        let ring = self.ring().await?;
        let keys = self.public_keys_of(&ring).await?;
        let verified = code::verify(s.code.trim(), &keys)?;
        let code_id = verified.id.to_string();
        let row = self
            .db()
            .registry_code(&code_id)
            .await?
            .ok_or(RegistryError::NotFound)?;
        if row.revoked_at.is_some() {
            return Err(CodeError::Revoked(verified.id).into());
        }
        let student = self.db().registry_student(row.student_id).await?;
        if self.phase_of(&student, crate::china_today()).await? == crate::Phase::Frozen {
            return Err(RegistryError::Frozen);
        }

        // The photo opens only for this code.
        let sealed = SealedPhoto::from_bytes(s.sealed)?;
        let photo = seal::open(&ring, &verified.id, &sealed)?;

        let engine = self.inner.engine.clone();
        let mut report: Report = tokio::task::spawn_blocking(move || engine.check(&photo, &spec))
            .await
            .map_err(|e| RegistryError::Internal(format!("photo check: {e}")))?;
        if let Some(h) = &report.face_hash {
            let earlier = self
                .db()
                .registry_earlier_photos(&student.person_hash, student.id)
                .await?;
            if let Some(f) = reuse_of(h, &earlier) {
                let mut reasons = std::mem::take(&mut report.reasons);
                reasons.push(f);
                let face_hash = report.face_hash;
                report = Report::from_findings(reasons);
                report.face_hash = face_hash;
            }
        }
        let accepted = report.verdict != Verdict::Reject;
        let reasons_json = serde_json::to_string(&report.reasons)
            .map_err(|e| RegistryError::Internal(format!("reasons: {e}")))?;

        // Accepted: keep the sealed bytes as received, written before the row that
        // points at them.
        let blob_key = if accepted {
            let key = format!(
                "registry/photos/{}/{}-{}.gps1",
                student.id,
                code_id,
                hex(&random::<8>()?)
            );
            self.inner
                .blobs
                .put(&key, Bytes::copy_from_slice(s.sealed))
                .await?;
            Some(key)
        } else {
            None
        };
        let new = NewRegPhoto {
            student_id: Some(student.id),
            person_hash: student.person_hash.clone(),
            kind: "graduation".into(),
            code_id: Some(code_id.clone()),
            client_id: Some(client.id),
            idempotency_key: Some(s.idempotency_key.to_owned()),
            request_hash: Some(hash.clone()),
            verdict: if accepted { "accepted" } else { "rejected" }.into(),
            reasons_json,
            face_hash: report.face_hash.map(|h| h.to_string()),
            blob_key: blob_key.clone(),
        };
        match self.db().registry_insert_photo(&new).await {
            Ok(row) => {
                tracing::info!(student = student.id, code = %code_id, verdict = %row.verdict, "registry: photo received");
                Ok(Submitted::from_row(&row, false))
            }
            // The same submission raced in twice: the first one stored is the answer.
            Err(DbError::Conflict(_)) => {
                if let Some(k) = blob_key {
                    self.inner.blobs.delete(&k).await?;
                }
                let first = self
                    .db()
                    .registry_photo_by_key(client.id, s.idempotency_key)
                    .await?
                    .ok_or_else(|| {
                        RegistryError::Internal("conflicting submission vanished".into())
                    })?;
                replay(&first, &hash)
            }
            Err(e) => {
                if let Some(k) = blob_key {
                    let _ = self.inner.blobs.delete(&k).await;
                }
                Err(e.into())
            }
        }
    }

    /// The photo records of an enrolment, newest first.
    pub async fn photos_of(&self, student_id: i64) -> Result<Vec<RegPhotoRow>, RegistryError> {
        Ok(self.db().registry_photos_of(student_id).await?)
    }

    /// An accepted photo's pixels, opened with the registry's key ring (for the student's
    /// own verification page and the registry's operators).
    pub async fn open_photo(&self, row: &RegPhotoRow) -> Result<Vec<u8>, RegistryError> {
        let key = row.blob_key.as_deref().ok_or(RegistryError::NotFound)?;
        let code_id = row
            .code_id
            .as_deref()
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| RegistryError::Internal("photo without a code".into()))?;
        let bytes = self.inner.blobs.get(key).await?;
        let sealed = SealedPhoto::from_bytes(&bytes)?;
        Ok(seal::open(&*self.ring().await?, &code_id, &sealed)?)
    }
}

fn replay(first: &RegPhotoRow, hash: &str) -> Result<Submitted, RegistryError> {
    if first.request_hash.as_deref() == Some(hash) {
        Ok(Submitted::from_row(first, true))
    } else {
        Err(RegistryError::IdempotencyMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_bounded() {
        assert!(check_key("outbox-0001").is_ok());
        assert!(check_key("short").is_err());
        assert!(check_key(&"k".repeat(129)).is_err());
        assert!(check_key("has space 123").is_err());
    }

    #[test]
    fn request_hash_covers_every_part() {
        let a = Submission {
            idempotency_key: "k",
            code: "GPC1.x",
            sealed: b"abc",
            background: None,
        };
        let base = request_hash(&a);
        assert_eq!(
            base,
            request_hash(&Submission {
                background: Some("blue"),
                ..a
            })
        );
        assert_ne!(
            base,
            request_hash(&Submission {
                sealed: b"abd",
                ..a
            })
        );
        assert_ne!(
            base,
            request_hash(&Submission {
                code: "GPC1.y",
                ..a
            })
        );
        // Length prefixes: moving a byte between parts changes the hash.
        assert_ne!(
            request_hash(&Submission {
                code: "GPC1.xa",
                sealed: b"bc",
                ..a
            }),
            base
        );
    }
}
