//! The electronic photo (issue 8; seed 002: 个人中心-学历信息-电子照片): from the day after
//! the registry accepted it, a student downloads their standard image (480×640) from the
//! personal centre, and — where the campaign allows it — a department's staff download a
//! zip of their students' images named by student number. Every download is logged.

use std::io::Write;

use gradphoto_db::electronic_photos::{AcceptedPhoto, DownloadLine, NewDownload};
use gradphoto_db::student_accounts::StudentAccount;
use gradphoto_domain::calendar::china_date;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::otp::mask_phone;
use gradphoto_domain::policy::{Action, Resource, ResourceKind};

use crate::auth::Staff;
use crate::campaigns::Campaign;
use crate::{App, AppError};

/// Where the student's electronic photo stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElectronicPhoto {
    /// Not photographed, or the registry has not accepted a photo yet.
    NotYet,
    /// Accepted today: it can be downloaded from tomorrow (China time).
    Tomorrow,
    Ready(AcceptedPhoto),
}

/// A campaign's download log: each download with its department's name.
#[derive(Debug, Clone)]
pub struct DownloadLog {
    pub campaign: Campaign,
    pub lines: Vec<(DownloadLine, String)>,
}

/// Whether a photo accepted at `accepted_at` may be downloaded at `now`: from the next day.
pub fn ready_on_the_next_day(accepted_at: i64, now: i64) -> bool {
    china_date(accepted_at) < china_date(now)
}

fn state_of(photo: Option<AcceptedPhoto>, now: i64) -> ElectronicPhoto {
    match photo {
        None => ElectronicPhoto::NotYet,
        Some(p) if ready_on_the_next_day(p.accepted_at, now) => ElectronicPhoto::Ready(p),
        Some(_) => ElectronicPhoto::Tomorrow,
    }
}

fn not_ready() -> AppError {
    AppError::NotFound(Msg::new(
        "photo.not_ready",
        "电子照片尚不可下载：学信网接收照片后的第二天起可下载",
        "The electronic photo is not ready: it can be downloaded from the day after the registry accepted it",
    ))
}

/// Stores files in a zip as they are (JPEGs do not compress).
pub fn zip_files(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, AppError> {
    let err = |e: String| AppError::Internal(format!("zip: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options)
            .map_err(|e| err(e.to_string()))?;
        zip.write_all(bytes).map_err(|e| err(e.to_string()))?;
    }
    Ok(zip.finish().map_err(|e| err(e.to_string()))?.into_inner())
}

impl App {
    /// The signed-in student's campaign and roster student, once their identity is bound.
    async fn photo_owner(
        &self,
        account: &StudentAccount,
    ) -> Result<Option<(Campaign, i64)>, AppError> {
        let Some(entry) = self.db.current_online_entry(account.id).await? else {
            return Ok(None);
        };
        let Some(student_id) = entry.student_id else {
            return Ok(None);
        };
        let campaign = Campaign::try_from(self.db.get_campaign(entry.campaign_id).await?)?;
        Ok(Some((campaign, student_id)))
    }

    /// Where the signed-in student's electronic photo stands.
    pub async fn my_electronic_photo(
        &self,
        account: &StudentAccount,
    ) -> Result<ElectronicPhoto, AppError> {
        let Some((campaign, student_id)) = self.photo_owner(account).await? else {
            return Ok(ElectronicPhoto::NotYet);
        };
        let photo = self.db.accepted_photo_of(campaign.id, student_id).await?;
        Ok(state_of(photo, gradphoto_db::now_ms()))
    }

    /// The student's standard image and its file name (student number), logged.
    pub async fn download_my_electronic_photo(
        &self,
        account: &StudentAccount,
    ) -> Result<(String, Vec<u8>), AppError> {
        let Some((campaign, student_id)) = self.photo_owner(account).await? else {
            return Err(not_ready());
        };
        let ElectronicPhoto::Ready(p) = state_of(
            self.db.accepted_photo_of(campaign.id, student_id).await?,
            gradphoto_db::now_ms(),
        ) else {
            return Err(not_ready());
        };
        let bytes = self.blob_bytes(&p.photo_key).await?;
        self.db
            .log_photo_download(&NewDownload {
                campaign_id: campaign.id,
                student_id: Some(student_id),
                department_id: None,
                who_kind: "student",
                who: &mask_phone(&account.phone),
                files: 1,
            })
            .await?;
        Ok((format!("{}.jpg", p.student_no), bytes))
    }

    /// A department's electronic photos accepted before today, as a zip of
    /// `{student number}.jpg`, where the campaign allows it; logged and audited. The number
    /// of files is returned with it.
    pub async fn department_photos_zip(
        &self,
        by: &Staff,
        campaign_id: i64,
        department_id: i64,
    ) -> Result<(String, Vec<u8>, usize), AppError> {
        let campaign = Campaign::try_from(self.db.get_campaign(campaign_id).await?)?;
        let department = self.db.get_department(department_id).await?;
        if department.university_id != campaign.university_id {
            return Err(AppError::not_found());
        }
        by.may(
            Action::Export,
            Resource::of_department(ResourceKind::Student, campaign.university_id, department_id),
        )?;
        if !campaign.modes.department_downloads {
            return Err(AppError::Forbidden(Msg::new(
                "photo.downloads_off",
                "本次采集不允许院系下载电子照片",
                "This campaign does not let departments download the electronic photos",
            )));
        }
        let now = gradphoto_db::now_ms();
        let mut files = Vec::new();
        for p in self
            .db
            .accepted_photos_of_department(campaign_id, department_id)
            .await?
        {
            if ready_on_the_next_day(p.accepted_at, now) {
                let bytes = self.blob_bytes(&p.photo_key).await?;
                files.push((format!("{}.jpg", p.student_no), bytes));
            }
        }
        let n = files.len();
        let zip = zip_files(&files)?;
        let count = i64::try_from(n).unwrap_or(i64::MAX);
        self.db
            .log_photo_download(&NewDownload {
                campaign_id,
                student_id: None,
                department_id: Some(department_id),
                who_kind: "staff",
                who: &by.row.username,
                files: count,
            })
            .await?;
        let mut audit = by.audit(
            "photo.department_download",
            "campaign",
            Some(campaign_id.to_string()),
            Some(campaign.university_id),
        );
        audit.after = Some(serde_json::json!({ "department_id": department_id, "files": count }));
        self.db.append_audit(&audit).await?;
        Ok((
            format!("campaign{campaign_id}-department{department_id}-photos.zip"),
            zip,
            n,
        ))
    }

    /// The campaign's download log, newest first (the last 500): the school's and the
    /// agency's administrators see all of it, a department's secretary their
    /// department's (who may see the prints may see where the photos went).
    pub async fn photo_download_log(
        &self,
        by: &Staff,
        campaign_id: i64,
    ) -> Result<DownloadLog, AppError> {
        let campaign = Campaign::try_from(self.db.get_campaign(campaign_id).await?)?;
        let only = by.actor.department_id;
        let resource = match only {
            Some(d) => Resource::of_department(ResourceKind::Prints, campaign.university_id, d),
            None => Resource::of_university(ResourceKind::Prints, campaign.university_id),
        };
        by.may(Action::Read, resource)?;
        let names = self.department_names(campaign.university_id).await?;
        let lines = self
            .db
            .photo_downloads(campaign.id, only, 500)
            .await?
            .into_iter()
            .map(|l| {
                let department = l
                    .department_id
                    .and_then(|d| names.get(&d).cloned())
                    .unwrap_or_default();
                (l, department)
            })
            .collect();
        Ok(DownloadLog { campaign, lines })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_photo_is_ready_from_the_next_china_day() {
        // 2026-12-04 15:59 UTC is 23:59 in Beijing; a minute later it is the 5th there.
        let accepted = 1_796_399_940_000;
        assert!(!ready_on_the_next_day(accepted, accepted + 59_000));
        assert!(ready_on_the_next_day(accepted, accepted + 60_000));
    }

    #[test]
    fn files_are_stored_in_the_zip_under_their_names() {
        let zip = zip_files(&[
            ("2101.jpg".into(), vec![1, 2, 3]),
            ("2102.jpg".into(), vec![4]),
        ])
        .expect("zip");
        assert!(zip.starts_with(b"PK"));
        let text = String::from_utf8_lossy(&zip);
        assert!(text.contains("2101.jpg") && text.contains("2102.jpg"));
    }
}
