//! The online student's verification (seed 003 §验证信息): choose the school — which
//! fixes its open campaign — then prove who they are with ID number and level against the
//! roster, then bind the collection code the registry gave them (scanned, photographed or
//! pasted). Only a code that names this very student binds, and a student is bound to one
//! account per campaign.

use chrono::NaiveDate;
use gradphoto_db::online_entries::OnlineEntryRow;
use gradphoto_db::student_accounts::StudentAccount;
use gradphoto_db::students::StudentRow;
use gradphoto_db::universities::UniversityRow;
use gradphoto_domain::calendar::china_date;
use gradphoto_domain::campaign::CampaignStatus;
use gradphoto_domain::eligibility::{Verdict, evaluate};
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::id_document::normalise_number;
use gradphoto_domain::online::{self, CodeFacts};
use gradphoto_domain::people::{Level, mask_name};

use crate::campaigns::{Campaign, facts_of};
use crate::{App, AppError};

/// The date in China now: the day campaign windows mean.
pub fn china_today() -> NaiveDate {
    china_date(gradphoto_db::now_ms())
}

/// Where the student is in the steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    School,
    Identity,
    Code,
    /// Verified and bound: the photo comes next.
    Photo,
}

/// A school the student can pick: one whose campaign takes online uploads today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolChoice {
    pub name_zh: String,
    pub name_en: String,
    pub code: String,
}

/// The roster student, as the student sees themself (masked where a shoulder-surfer could
/// read it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentSummary {
    pub id: i64,
    pub name_masked: String,
    pub id_masked: String,
    pub level: Level,
    pub student_no: String,
    pub department: String,
    pub expected_graduation: String,
}

/// The account's current entry with what it refers to.
#[derive(Debug, Clone)]
pub struct OnlineState {
    pub step: Step,
    pub entry: Option<OnlineEntryRow>,
    pub university: Option<UniversityRow>,
    pub campaign: Option<Campaign>,
    pub student: Option<StudentSummary>,
}

impl App {
    /// Universities with a campaign open for online uploads today, with that campaign.
    async fn online_campaigns(&self) -> Result<Vec<(UniversityRow, Campaign)>, AppError> {
        let today = china_today();
        let universities = self.db.list_universities().await?;
        let mut out = Vec::new();
        for row in self.db.list_campaigns(None).await? {
            let c = Campaign::try_from(row)?;
            if c.status == CampaignStatus::Open
                && online::online_closed(c.modes.online, today).is_none()
                && let Some(u) = universities.iter().find(|u| u.id == c.university_id)
            {
                out.push((u.clone(), c));
            }
        }
        Ok(out)
    }

    /// The schools to pick from.
    pub async fn online_school_choices(&self) -> Result<Vec<SchoolChoice>, AppError> {
        let mut v: Vec<SchoolChoice> = self
            .online_campaigns()
            .await?
            .into_iter()
            .map(|(u, _)| SchoolChoice {
                name_zh: u.name_zh,
                name_en: u.name_en,
                code: u.code,
            })
            .collect();
        v.dedup();
        Ok(v)
    }

    /// Step 2: the school typed or picked. Unknown, no open campaign, or no online uploads
    /// now: said so, in the seed's words where it has them.
    pub async fn online_choose_school(
        &self,
        account: &StudentAccount,
        typed: &str,
    ) -> Result<OnlineState, AppError> {
        let universities = self.db.list_universities().await?;
        let Some(u) = universities
            .iter()
            .find(|u| online::names_school(typed, &u.name_zh, &u.name_en, &u.code))
        else {
            return Err(AppError::Invalid(online::school_unknown()));
        };
        let today = china_today();
        let mut open: Vec<Campaign> = Vec::new();
        for row in self.db.list_campaigns(Some(u.id)).await? {
            let c = Campaign::try_from(row)?;
            if c.status == CampaignStatus::Open {
                open.push(c);
            }
        }
        if open.is_empty() {
            return Err(AppError::Invalid(online::no_open_campaign()));
        }
        // The campaign taking online uploads today; otherwise the first open one says why
        // not (when its window is, or that it has none).
        let chosen = match open
            .iter()
            .find(|c| online::online_closed(c.modes.online, today).is_none())
        {
            Some(c) => c,
            None => {
                let why = online::online_closed(open[0].modes.online, today)
                    .unwrap_or_else(online::no_open_campaign);
                return Err(AppError::Invalid(why));
            }
        };
        self.db
            .choose_online_campaign(account.id, chosen.id)
            .await?;
        self.online_state(account).await
    }

    /// Step 3a: ID number and level, looked up in the school's roster and checked against
    /// the campaign's rules. Failures are counted; after too many the entry waits a day.
    pub async fn online_verify_identity(
        &self,
        account: &StudentAccount,
        id_number: &str,
        level: &str,
    ) -> Result<OnlineState, AppError> {
        let state = self.online_state(account).await?;
        let (Some(entry), Some(campaign)) = (state.entry, state.campaign) else {
            return Err(AppError::Invalid(online::school_unknown()));
        };
        if entry.code_id.is_some() {
            return Err(AppError::Conflict(already_bound()));
        }
        let now = gradphoto_db::now_ms();
        if entry.identity_failures >= online::MAX_IDENTITY_FAILURES
            && entry
                .identity_failed_at
                .is_some_and(|t| now - t < online::IDENTITY_LOCK_MS)
        {
            return Err(AppError::Throttled(online::identity_locked()));
        }
        let number = normalise_number(id_number);
        if number.is_empty() {
            return Err(AppError::invalid(
                "online.id_missing",
                "请输入证件号",
                "Enter your ID number",
            ));
        }
        let Some(level) = Level::parse(level) else {
            return Err(AppError::invalid(
                "online.level_missing",
                "请选择学历层次",
                "Choose your level of study",
            ));
        };
        let found = self
            .db
            .find_students_by_blind(&self.pii.blind_index(&number))
            .await?
            .into_iter()
            .find(|s| s.university_id == campaign.university_id && s.level == level.as_str());
        let Some(student) = found else {
            self.db.record_identity_lookup(entry.id, None).await?;
            return Err(AppError::Invalid(online::student_not_found()));
        };
        let decision = evaluate(&campaign.rules, &facts_of(&student)?);
        if decision.verdict != Verdict::Must {
            // Counted like a miss: the answer says the number is on the roster, so it must
            // not become a way to test numbers without limit.
            self.db.record_identity_lookup(entry.id, None).await?;
            return Err(AppError::Invalid(Msg::new(
                format!("online.verdict.{}", decision.verdict.as_str()),
                format!("本次采集不为您办理：{}", decision.reason.zh),
                format!("This collection is not for you: {}", decision.reason.en),
            )));
        }
        self.db
            .record_identity_lookup(entry.id, Some(student.id))
            .await?;
        self.online_state(account).await
    }

    /// Step 3b: the collection code, as text (scanned or pasted). It must be genuine and
    /// live (checked against the registry's keys, as the desk does) and name this student.
    pub async fn online_bind_code(
        &self,
        account: &StudentAccount,
        code_text: &str,
    ) -> Result<OnlineState, AppError> {
        let state = self.online_state(account).await?;
        let (Some(entry), Some(university), Some(student)) =
            (state.entry, state.university, state.student)
        else {
            return Err(AppError::invalid(
                "online.identity_first",
                "请先验证学生信息",
                "Verify your identity first",
            ));
        };
        let text = code_text.trim();
        if text.is_empty() {
            return Err(AppError::invalid(
                "code.empty",
                "请扫描、上传或粘贴图像采集码",
                "Scan, upload or paste your collection code",
            ));
        }
        let verified = self.verify_code(text).await?;
        let c = &verified.claims;
        let from_code = CodeFacts {
            school_code: c.school_code.clone(),
            level: c.level,
            graduation_year: c.graduation_year,
            name_masked: c.name_masked.clone(),
            id_masked: c.id_masked.clone(),
        };
        let row = self.db.get_student(student.id).await?;
        let from_roster = roster_facts(&university, &row)?;
        if let Some(m) = online::code_mismatch(&from_code, &from_roster) {
            return Err(AppError::Invalid(m));
        }
        match self
            .db
            .bind_online_code(entry.id, &verified.id.to_string(), text)
            .await
        {
            Ok(()) => {}
            Err(gradphoto_db::DbError::Conflict(_)) => {
                return Err(AppError::Conflict(Msg::new(
                    "online.bound_elsewhere",
                    "该学生已由另一个手机号完成验证；如非本人操作，请联系图片社",
                    "This student was verified from another phone number; if that was not you, contact the agency",
                )));
            }
            Err(e) => return Err(e.into()),
        }
        self.online_state(account).await
    }

    /// Step 3b from a photo of the code (the phone's camera or a saved image).
    pub async fn online_read_code_image(&self, bytes: Vec<u8>) -> Result<String, AppError> {
        self.read_code_image(bytes).await
    }

    /// Back to the identity step (a wrong student, or a re-issued code).
    pub async fn online_restart_identity(
        &self,
        account: &StudentAccount,
    ) -> Result<OnlineState, AppError> {
        if let Some(e) = self.db.current_online_entry(account.id).await? {
            // Paid for this student: the money and the photo are theirs now; a mistake
            // here is the agency's to refund and put right.
            if self
                .db
                .order_for_entry(e.id)
                .await?
                .is_some_and(|o| o.status == "paid")
            {
                return Err(AppError::invalid(
                    "online.paid_identity",
                    "订单已支付，不能更换学生；如信息有误请联系图片社",
                    "The order is paid, so the student cannot be changed; contact the photo agency if this is wrong",
                ));
            }
            self.db.reset_online_identity(e.id).await?;
        }
        self.online_state(account).await
    }

    /// The account's current entry and its step.
    pub async fn online_state(&self, account: &StudentAccount) -> Result<OnlineState, AppError> {
        let Some(entry) = self.db.current_online_entry(account.id).await? else {
            return Ok(OnlineState {
                step: Step::School,
                entry: None,
                university: None,
                campaign: None,
                student: None,
            });
        };
        let campaign = Campaign::try_from(self.db.get_campaign(entry.campaign_id).await?)?;
        let university = self.db.get_university(campaign.university_id).await?;
        let student = match entry.student_id {
            Some(id) => Some(
                self.student_summary(&self.db.get_student(id).await?)
                    .await?,
            ),
            None => None,
        };
        let step = match (&student, &entry.code_id) {
            (None, _) => Step::Identity,
            (Some(_), None) => Step::Code,
            (Some(_), Some(_)) => Step::Photo,
        };
        Ok(OnlineState {
            step,
            entry: Some(entry),
            university: Some(university),
            campaign: Some(campaign),
            student,
        })
    }

    async fn student_summary(&self, s: &StudentRow) -> Result<StudentSummary, AppError> {
        let department = self.db.get_department(s.department_id).await?.name;
        Ok(StudentSummary {
            id: s.id,
            name_masked: mask_name(&s.name),
            id_masked: s.id_masked.clone(),
            level: Level::parse(&s.level)
                .ok_or_else(|| AppError::Internal(format!("student {} level", s.id)))?,
            student_no: s.student_no.clone(),
            department,
            expected_graduation: s.expected_graduation.clone(),
        })
    }
}

pub(crate) fn roster_facts(u: &UniversityRow, s: &StudentRow) -> Result<CodeFacts, AppError> {
    let level = Level::parse(&s.level)
        .ok_or_else(|| AppError::Internal(format!("student {} level", s.id)))?;
    CodeFacts::of_student(
        &u.code,
        level,
        &s.expected_graduation,
        &s.name,
        &s.id_masked,
    )
    .ok_or_else(|| AppError::Internal(format!("student {} graduation", s.id)))
}

fn already_bound() -> Msg {
    Msg::new(
        "online.already_bound",
        "您已完成验证并绑定采集码；如需更换，请先点击“重新验证”",
        "You are verified and your code is bound; to change them, choose “verify again” first",
    )
}
