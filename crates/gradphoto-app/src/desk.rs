//! The agency's desk: scan a student's collection code (a USB scanner typing into a field,
//! a pasted text, or a photo of the code from a phone camera), see whom it names (masked)
//! and whether it is genuine and live, then take or upload the photo: it is standardized by
//! the photo engine and goes to the registry through the outbox.

use gradphoto_db::outbox::OutboxRow;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::policy::Role;
use gradphoto_photo::report::Report;
use gradphoto_photo::spec::{self, Spec};
use gradphoto_registry_crypto::VerifiedCode;

use crate::auth::Staff;
use crate::{App, AppError};

/// A code checked at the desk.
#[derive(Debug, Clone)]
pub struct DeskCode {
    /// The code text, normalised (trimmed).
    pub text: String,
    pub verified: VerifiedCode,
    /// When the keys it was checked against were fetched from the registry.
    pub keys_fetched_at: i64,
    /// What the desk already sent for this code, newest first.
    pub history: Vec<OutboxRow>,
}

/// What became of a photo handed in at the desk.
#[derive(Debug)]
pub enum DeskOutcome {
    /// Standardized and queued for the registry.
    Queued(Box<OutboxRow>),
    /// The photo cannot be made into a standard photo: the reasons, to retake.
    Refused(Box<Report>),
}

fn desk_only(by: &Staff) -> Result<(), AppError> {
    if matches!(by.actor.role, Role::AgencyAdmin | Role::AgencyPhotographer) {
        Ok(())
    } else {
        Err(AppError::Forbidden(Msg::new(
            "desk.forbidden",
            "只有图片社的工作人员可以使用采集台",
            "Only the photo agency's staff use the desk",
        )))
    }
}

pub(crate) fn spec_for(background: &str) -> Spec {
    Spec::with_background(match background {
        "white" => spec::WHITE,
        "grey" => spec::LIGHT_GREY,
        _ => spec::LIGHT_BLUE,
    })
}

/// Reads a QR code from an image: the first code found in it.
fn qr_text(bytes: &[u8], limits: &gradphoto_photo::decode::Limits) -> Option<String> {
    let img = gradphoto_photo::decode::decode(bytes, limits, Some(1600)).ok()?;
    let (w, h) = (img.width as usize, img.height as usize);
    let px = &img.data;
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let i = (y * w + x) * 3;
        ((u32::from(px[i]) * 77 + u32::from(px[i + 1]) * 150 + u32::from(px[i + 2]) * 29) >> 8)
            as u8
    });
    prepared
        .detect_grids()
        .into_iter()
        .find_map(|g| g.decode().ok().map(|(_, text)| text))
}

impl App {
    /// Checks a scanned or pasted code against the registry's keys (cached; the desk
    /// works offline) and shows what the desk already did for it.
    pub async fn desk_check_code(&self, by: &Staff, text: &str) -> Result<DeskCode, AppError> {
        desk_only(by)?;
        let text = text.trim();
        if text.is_empty() {
            return Err(AppError::invalid(
                "code.empty",
                "请扫描或粘贴图像采集码",
                "Scan or paste a collection code",
            ));
        }
        let verified = self.verify_code(text).await?;
        let (_, fetched) = self.registry_keys(false).await?;
        let history = self.db.outbox_for_code(&verified.id.to_string()).await?;
        Ok(DeskCode {
            text: text.to_string(),
            verified,
            keys_fetched_at: fetched,
            history,
        })
    }

    /// Reads the code from a photo of it (taken with the phone's camera).
    pub async fn desk_read_code_image(
        &self,
        by: &Staff,
        bytes: Vec<u8>,
    ) -> Result<String, AppError> {
        desk_only(by)?;
        self.read_code_image(bytes).await
    }

    /// The code in a picture, for the desk and the online student alike.
    pub(crate) async fn read_code_image(&self, bytes: Vec<u8>) -> Result<String, AppError> {
        let limits = *self.engine.limits();
        tokio::task::spawn_blocking(move || qr_text(&bytes, &limits))
            .await
            .map_err(|e| AppError::Internal(format!("QR reading: {e}")))?
            .ok_or_else(|| {
                AppError::invalid(
                    "code.unreadable",
                    "照片中没有找到可识别的采集码，请对准二维码重拍，或直接扫描/粘贴",
                    "No readable code in that picture; photograph the QR code squarely, or scan or paste it",
                )
            })
    }

    /// Standardizes the photo taken for a code and queues it for the registry.
    pub async fn desk_submit(
        &self,
        by: &Staff,
        code_text: &str,
        photo: Vec<u8>,
        background: &str,
    ) -> Result<DeskOutcome, AppError> {
        desk_only(by)?;
        // Refuse a bad code before spending time on the photo.
        self.verify_code(code_text).await?;
        let engine = self.engine.clone();
        let spec = spec_for(background);
        let made = tokio::task::spawn_blocking(move || engine.standardize(&photo, &spec))
            .await
            .map_err(|e| AppError::Internal(format!("standardize: {e}")))?;
        match made {
            Ok(std) => {
                let row = self
                    .send_photo_to_registry(&by.row.username, code_text, std.jpeg, background)
                    .await?;
                let mut audit = by.audit("desk.submit", "outbox", Some(row.id.to_string()), None);
                audit.after = Some(serde_json::json!({ "code_id": row.code_id }));
                self.db.append_audit(&audit).await?;
                Ok(DeskOutcome::Queued(Box::new(row)))
            }
            Err(report) => Ok(DeskOutcome::Refused(report)),
        }
    }

    /// The latest outbox rows, for the desk's list.
    pub async fn desk_recent(&self, by: &Staff) -> Result<Vec<OutboxRow>, AppError> {
        desk_only(by)?;
        Ok(self.db.recent_outbox(30).await?)
    }

    /// The standardized photo of an outbox row (the desk's preview).
    pub async fn desk_photo(&self, by: &Staff, outbox_id: i64) -> Result<Vec<u8>, AppError> {
        desk_only(by)?;
        let row = self.db.outbox(outbox_id).await?;
        self.blob_bytes(&row.photo_key).await
    }
}
