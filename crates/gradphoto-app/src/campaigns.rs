//! Campaigns (采集任务): creation, the draft → open → closed life cycle, and the
//! evaluation of every student's eligibility under the campaign's rules.

use chrono::NaiveDate;
use gradphoto_db::campaigns::{CampaignRow, EligibilityWrite};
use gradphoto_db::students::StudentRow;
use gradphoto_domain::campaign::{CampaignStatus, Modes, Rules};
use gradphoto_domain::eligibility::{Decision, PriorCollection, StudentFacts, evaluate};
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::id_document::IdType;
use gradphoto_domain::people::{CertType, GradKind, Level};
use gradphoto_domain::policy::{Action, Resource, ResourceKind};
use gradphoto_domain::term::YearMonth;

use crate::auth::Staff;
use crate::jobs::Job;
use crate::{App, AppError};

/// A campaign as the use cases and pages see it: rows decoded into domain values.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Campaign {
    pub id: i64,
    pub university_id: i64,
    pub name: String,
    pub cohort: String,
    pub rules: Rules,
    pub modes: Modes,
    pub fee_fen: i64,
    pub contacts: String,
    pub status: CampaignStatus,
}

impl TryFrom<CampaignRow> for Campaign {
    type Error = AppError;
    fn try_from(r: CampaignRow) -> Result<Campaign, AppError> {
        let bad = |what: &str| AppError::Internal(format!("campaign {} has invalid {what}", r.id));
        Ok(Campaign {
            id: r.id,
            university_id: r.university_id,
            rules: serde_json::from_str(&r.rules_json).map_err(|_| bad("rules"))?,
            modes: serde_json::from_str(&r.modes_json).map_err(|_| bad("modes"))?,
            status: CampaignStatus::parse(&r.status).ok_or_else(|| bad("status"))?,
            name: r.name,
            cohort: r.cohort,
            fee_fen: r.fee_fen,
            contacts: r.contacts,
        })
    }
}

pub use crate::campaign_input::{CampaignInput, ValidCampaign, parse_fee};

/// Reads a stored student back into the facts the eligibility engine needs.
pub fn facts_of(s: &StudentRow) -> Result<StudentFacts, AppError> {
    let bad = |what: &str| AppError::Internal(format!("student {} has invalid {what}", s.id));
    let level = Level::ALL
        .into_iter()
        .find(|l| l.as_str() == s.level)
        .ok_or_else(|| bad("level"))?;
    let prior = match (&s.prior_date, &s.prior_level) {
        (Some(d), l) => Some(PriorCollection {
            date: NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad("prior date"))?,
            level: match l {
                Some(l) => Level::ALL
                    .into_iter()
                    .find(|x| x.as_str() == l)
                    .ok_or_else(|| bad("prior level"))?,
                None => level,
            },
        }),
        (None, _) => None,
    };
    Ok(StudentFacts {
        level,
        cert_type: if s.cert_type == CertType::Single.as_str() {
            CertType::Single
        } else {
            CertType::Double
        },
        grad_kind: [
            GradKind::Graduation,
            GradKind::Completion,
            GradKind::CompletionToGraduation,
        ]
        .into_iter()
        .find(|g| g.as_str() == s.grad_kind)
        .ok_or_else(|| bad("graduation kind"))?,
        expected_graduation: YearMonth::parse(&s.expected_graduation)
            .map_err(|_| bad("expected graduation"))?,
        id_type: IdType::ALL
            .into_iter()
            .find(|t| t.as_str() == s.id_type)
            .ok_or_else(|| bad("id type"))?,
        overseas_class: s.overseas_class,
        delayed: s.delayed,
        early_graduation_pending: s.early_graduation_pending,
        prior,
    })
}

impl App {
    pub async fn create_campaign(
        &self,
        by: &Staff,
        university_id: i64,
        input: &CampaignInput,
    ) -> Result<Campaign, AppError> {
        by.may(
            Action::Create,
            Resource::of_university(ResourceKind::Campaign, university_id),
        )?;
        let ValidCampaign {
            write: w,
            rules,
            modes,
        } = input.validate()?;
        self.push_campaign_window(university_id, &rules, &modes, None)
            .await?;
        let mut audit = by.audit("campaign.create", "campaign", None, Some(university_id));
        audit.after = Some(
            serde_json::json!({ "name": w.name, "rules": w.rules_json, "modes": w.modes_json, "fee_fen": w.fee_fen }),
        );
        let row = self.db.create_campaign(university_id, &w, &audit).await?;
        self.enqueue(Job::RefreshEligibility {
            campaign_id: row.id,
        })
        .await?;
        row.try_into()
    }

    pub async fn update_campaign(
        &self,
        by: &Staff,
        id: i64,
        input: &CampaignInput,
    ) -> Result<Campaign, AppError> {
        let before: Campaign = self.db.get_campaign(id).await?.try_into()?;
        by.may(
            Action::Update,
            Resource::of_university(ResourceKind::Campaign, before.university_id),
        )?;
        if before.status == CampaignStatus::Closed {
            return Err(AppError::Conflict(Msg::new(
                "campaign.closed",
                "采集任务已结束，不能修改",
                "The campaign is closed and cannot be changed",
            )));
        }
        let ValidCampaign {
            write: w,
            rules,
            modes,
        } = input.validate()?;
        self.push_campaign_window(before.university_id, &rules, &modes, Some(&before))
            .await?;
        let mut audit = by.audit(
            "campaign.update",
            "campaign",
            Some(id.to_string()),
            Some(before.university_id),
        );
        audit.before = serde_json::to_value(&before).ok();
        let row = self.db.update_campaign(id, &w, &audit).await?;
        self.forget_desk_queues();
        self.enqueue(Job::RefreshEligibility { campaign_id: id })
            .await?;
        row.try_into()
    }

    /// Moves a campaign through draft → open → closed.
    pub async fn set_campaign_status(
        &self,
        by: &Staff,
        id: i64,
        to: CampaignStatus,
    ) -> Result<Campaign, AppError> {
        let c: Campaign = self.db.get_campaign(id).await?.try_into()?;
        by.may(
            Action::Update,
            Resource::of_university(ResourceKind::Campaign, c.university_id),
        )?;
        c.status.transition(to).map_err(AppError::Conflict)?;
        let mut audit = by.audit(
            &format!("campaign.{}", to.as_str()),
            "campaign",
            Some(id.to_string()),
            Some(c.university_id),
        );
        audit.before = Some(serde_json::json!({ "status": c.status.as_str() }));
        audit.after = Some(serde_json::json!({ "status": to.as_str() }));
        let row = self
            .db
            .set_campaign_status(id, c.status.as_str(), to.as_str(), &audit)
            .await?;
        self.forget_desk_queues();
        if to == CampaignStatus::Open {
            self.enqueue(Job::RefreshEligibility { campaign_id: id })
                .await?;
        }
        row.try_into()
    }

    pub async fn campaign(&self, by: &Staff, id: i64) -> Result<Campaign, AppError> {
        let c: Campaign = self.db.get_campaign(id).await?.try_into()?;
        by.may(
            Action::Read,
            Resource::of_university(ResourceKind::Campaign, c.university_id),
        )?;
        Ok(c)
    }

    pub async fn list_campaigns(
        &self,
        by: &Staff,
        university_id: i64,
    ) -> Result<Vec<Campaign>, AppError> {
        by.may(
            Action::Read,
            Resource::of_university(ResourceKind::Campaign, university_id),
        )?;
        self.db
            .list_campaigns(Some(university_id))
            .await?
            .into_iter()
            .map(Campaign::try_from)
            .collect()
    }

    /// Re-evaluates every student of the campaign's university and stores the verdicts in
    /// one transaction. Idempotent: running it twice gives the same table.
    pub async fn refresh_eligibility(&self, campaign_id: i64) -> Result<usize, AppError> {
        let c: Campaign = self.db.get_campaign(campaign_id).await?.try_into()?;
        let students = self.db.all_students(c.university_id).await?;
        let mut rows = Vec::with_capacity(students.len());
        for s in &students {
            let Decision { verdict, reason } = evaluate(&c.rules, &facts_of(s)?);
            rows.push(EligibilityWrite {
                student_id: s.id,
                verdict: verdict.as_str().to_string(),
                reason_code: reason.code,
                reason_zh: reason.zh,
                reason_en: reason.en,
            });
        }
        self.db.replace_eligibility(campaign_id, &rows).await?;
        Ok(rows.len())
    }

    /// Queues a re-evaluation of every campaign of a university that is not closed.
    pub async fn refresh_university_campaigns(&self, university_id: i64) -> Result<(), AppError> {
        for c in self.db.list_campaigns(Some(university_id)).await? {
            if c.status != CampaignStatus::Closed.as_str() {
                self.enqueue(Job::RefreshEligibility { campaign_id: c.id })
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_parse_in_yuan() {
        assert_eq!(parse_fee("20").ok(), Some(2000));
        assert_eq!(parse_fee("20.5").ok(), Some(2050));
        assert_eq!(parse_fee("0.05").ok(), Some(5));
        assert_eq!(parse_fee("").ok(), Some(2000));
        for bad in ["-1", "20.123", "abc", "1e3", ".5", "100001"] {
            assert!(parse_fee(bad).is_err(), "{bad}");
        }
    }

    fn input() -> CampaignInput {
        CampaignInput {
            name: "2024年1月、7月毕/结业研究生图像采集".into(),
            target_terms: "2024-01，2024/7".into(),
            levels: vec![Level::Master, Level::Doctor],
            prior_void_on_or_before: "2023-07-31".into(),
            exclude_single_certificate: true,
            onsite_from: "2023-11-01".into(),
            onsite_to: "2023-11-05".into(),
            fee_yuan: "20".into(),
            ..Default::default()
        }
    }

    #[test]
    fn campaign_forms_validate() {
        let w = input().to_write().expect("valid");
        let rules: Rules = serde_json::from_str(&w.rules_json).expect("rules");
        assert_eq!(rules.target_terms.len(), 2);
        assert_eq!(w.fee_fen, 2000);
        let mut i = input();
        i.target_terms = "2024-13".into();
        assert_eq!(
            i.to_write().err().map(|e| e.message().code),
            Some("campaign.bad_term".into())
        );
        let mut i = input();
        i.onsite_to = "2023-10-01".into();
        assert_eq!(
            i.to_write().err().map(|e| e.message().code),
            Some("campaign.bad_window".into())
        );
        let mut i = input();
        i.onsite_from.clear();
        i.onsite_to.clear();
        assert_eq!(
            i.to_write().err().map(|e| e.message().code),
            Some("campaign.modes_required".into())
        );
        let mut i = input();
        i.levels.clear();
        assert!(i.to_write().is_err());
    }
}
