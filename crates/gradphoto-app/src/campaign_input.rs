//! The campaign form (采集任务): what a university admin fills in, as text straight from a
//! form, the CLI or the API, parsed and validated here into rules, modes and the row to
//! store, so every door shares one set of messages in Chinese and English.

use chrono::NaiveDate;
use gradphoto_db::campaigns::CampaignWrite;
use gradphoto_domain::campaign::{Modes, Rules, VerificationWindow, Window};
use gradphoto_domain::people::Level;
use gradphoto_domain::term::YearMonth;

use crate::AppError;
use crate::campaigns::Campaign;

/// What a university admin fills in. Text fields come straight from a form and are
/// parsed here, so the CLI, API and pages share one set of messages.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CampaignInput {
    pub name: String,
    pub cohort: String,
    /// Months separated by commas or spaces, e.g. "2024-01, 2024-07".
    pub target_terms: String,
    pub levels: Vec<Level>,
    /// Earlier photos on or before this date are void (YYYY-MM-DD), or empty.
    pub prior_void_on_or_before: String,
    pub exclude_single_certificate: bool,
    pub exclude_overseas_class: bool,
    pub international_only: bool,
    pub onsite_from: String,
    pub onsite_to: String,
    pub online_from: String,
    pub online_to: String,
    pub makeup_deadline: String,
    /// The date make-up shoots are recommended by (on or before the deadline), or empty.
    pub makeup_recommended_by: String,
    /// The registry's verification window (信息确认) and the secretaries' deadline: all
    /// three dates or none.
    pub verify_from: String,
    pub verify_to: String,
    pub verify_resolve_by: String,
    /// The last day secretaries may register students for the on-site days, or empty.
    pub registration_deadline: String,
    /// The desk numbers eligible students who did not register.
    pub walk_ins: bool,
    /// Students may be registered for another department's session of the table.
    pub any_window: bool,
    /// Each student pays the on-site fee at the desk, electronically.
    pub fee_at_desk: bool,
    /// The cities whose branches count for make-up shoots, separated by commas or
    /// spaces; empty means any.
    pub makeup_cities: String,
    /// Department staff may download their students' electronic photos as a zip.
    pub department_downloads: bool,
    /// Fee in yuan, e.g. "20" or "20.00".
    pub fee_yuan: String,
    pub contacts: String,
}

fn date(field: &str, zh: &str, s: &str) -> Result<Option<NaiveDate>, AppError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    gradphoto_domain::term::parse_date(t)
        .map(Some)
        .ok_or_else(|| {
            AppError::invalid(
                "campaign.bad_date",
                format!("{zh}不是有效日期：{t}"),
                format!("{field} is not a valid date: {t}"),
            )
        })
}

fn window(field: &str, zh: &str, from: &str, to: &str) -> Result<Option<Window>, AppError> {
    match (date(field, zh, from)?, date(field, zh, to)?) {
        (None, None) => Ok(None),
        (Some(from), Some(to)) if from <= to => Ok(Some(Window { from, to })),
        (Some(_), Some(_)) => Err(AppError::invalid(
            "campaign.bad_window",
            format!("{zh}的结束日期早于开始日期"),
            format!("{field} ends before it starts"),
        )),
        _ => Err(AppError::invalid(
            "campaign.bad_window",
            format!("{zh}须同时填写开始和结束日期"),
            format!("{field} needs both a start and an end date"),
        )),
    }
}

/// Parses "20", "20.5", "20.00" yuan into fen.
pub fn parse_fee(s: &str) -> Result<i64, AppError> {
    let t = s.trim();
    let bad = || {
        AppError::invalid(
            "campaign.bad_fee",
            format!("费用格式错误：{t}"),
            format!("Invalid fee: {t}"),
        )
    };
    if t.is_empty() {
        return Ok(2000);
    }
    let (yuan, fen) = t.split_once('.').unwrap_or((t, ""));
    if yuan.is_empty()
        || !yuan.bytes().all(|b| b.is_ascii_digit())
        || fen.len() > 2
        || !fen.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let y: i64 = yuan.parse().map_err(|_| bad())?;
    let f: i64 = if fen.is_empty() {
        0
    } else {
        format!("{fen:0<2}").parse().map_err(|_| bad())?
    };
    if y > 10_000 {
        return Err(bad());
    }
    Ok(y * 100 + f)
}

impl CampaignInput {
    /// The form filled in from stored values: the inverse of [`CampaignInput::to_write`],
    /// used to edit a campaign and to seed the demo through the same validation.
    pub fn from_parts(
        name: &str,
        cohort: &str,
        rules: &Rules,
        modes: &Modes,
        fee_fen: i64,
        contacts: &str,
    ) -> CampaignInput {
        let d = |x: Option<NaiveDate>| x.map(|d| d.to_string()).unwrap_or_default();
        CampaignInput {
            name: name.to_string(),
            cohort: cohort.to_string(),
            target_terms: rules
                .target_terms
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            levels: rules.levels.clone(),
            prior_void_on_or_before: d(rules.prior_void_on_or_before),
            exclude_single_certificate: rules.exclude_single_certificate,
            exclude_overseas_class: rules.exclude_overseas_class,
            international_only: rules.international_only,
            onsite_from: d(modes.onsite.map(|w| w.from)),
            onsite_to: d(modes.onsite.map(|w| w.to)),
            online_from: d(modes.online.map(|w| w.from)),
            online_to: d(modes.online.map(|w| w.to)),
            makeup_deadline: d(modes.makeup_deadline),
            makeup_recommended_by: d(modes.makeup_recommended_by),
            verify_from: d(modes.verification.map(|w| w.opens_on)),
            verify_to: d(modes.verification.map(|w| w.closes_on)),
            verify_resolve_by: d(modes.verification.map(|w| w.resolve_by)),
            registration_deadline: d(modes.registration_deadline),
            walk_ins: modes.walk_ins,
            any_window: modes.any_window,
            fee_at_desk: modes.fee_at_desk,
            makeup_cities: modes.makeup_cities.join(", "),
            department_downloads: modes.department_downloads,
            fee_yuan: format!("{}.{:02}", fee_fen / 100, fee_fen % 100),
            contacts: contacts.to_string(),
        }
    }

    /// The form of a stored campaign.
    pub fn from_campaign(c: &Campaign) -> CampaignInput {
        CampaignInput::from_parts(
            &c.name,
            &c.cohort,
            &c.rules,
            &c.modes,
            c.fee_fen,
            &c.contacts,
        )
    }

    /// The verification window: all three dates, in order, or none.
    fn verification(&self) -> Result<Option<VerificationWindow>, AppError> {
        let opens = date("Verification window", "信息确认开始日期", &self.verify_from)?;
        let closes = date("Verification window", "信息确认结束日期", &self.verify_to)?;
        let resolve = date(
            "Reports resolved by",
            "报告处理截止日期",
            &self.verify_resolve_by,
        )?;
        match (opens, closes, resolve) {
            (None, None, None) => Ok(None),
            (Some(o), Some(c), Some(r)) => VerificationWindow::new(o, c, r)
                .map(Some)
                .map_err(AppError::Invalid),
            _ => Err(AppError::invalid(
                "campaign.bad_window",
                "信息确认须同时填写开始、结束和报告处理截止日期",
                "The verification window needs its start, its end and the date reports are resolved by",
            )),
        }
    }

    /// Validates the form into the stored representation.
    pub fn to_write(&self) -> Result<CampaignWrite, AppError> {
        self.validate().map(|v| v.write)
    }

    /// Validates the form: the row to store, and the rules and modes it was made from.
    pub fn validate(&self) -> Result<ValidCampaign, AppError> {
        if self.name.trim().is_empty() {
            return Err(AppError::invalid(
                "campaign.name_required",
                "请填写采集任务名称",
                "The campaign name is required",
            ));
        }
        let mut terms = Vec::new();
        for t in self
            .target_terms
            .split([',', '，', ' ', ';', '、'])
            .filter(|t| !t.trim().is_empty())
        {
            let m = YearMonth::parse(t).map_err(|_| {
                AppError::invalid(
                    "campaign.bad_term",
                    format!("毕业时间格式错误：{t}（应为 2024-07）"),
                    format!("Invalid graduation month: {t} (use 2024-07)"),
                )
            })?;
            if !terms.contains(&m) {
                terms.push(m);
            }
        }
        if terms.is_empty() {
            return Err(AppError::invalid(
                "campaign.terms_required",
                "请至少填写一个预计毕业时间",
                "Give at least one expected graduation month",
            ));
        }
        if self.levels.is_empty() {
            return Err(AppError::invalid(
                "campaign.levels_required",
                "请至少选择一个学历层次",
                "Choose at least one level",
            ));
        }
        let rules = Rules {
            target_terms: terms,
            levels: self.levels.clone(),
            prior_void_on_or_before: date(
                "Prior-photo cutoff",
                "往次采集失效日期",
                &self.prior_void_on_or_before,
            )?,
            exclude_single_certificate: self.exclude_single_certificate,
            exclude_overseas_class: self.exclude_overseas_class,
            international_only: self.international_only,
        };
        let modes = Modes {
            onsite: window(
                "On-site window",
                "现场采集时间",
                &self.onsite_from,
                &self.onsite_to,
            )?,
            online: window(
                "Online window",
                "线上采集时间",
                &self.online_from,
                &self.online_to,
            )?,
            makeup_deadline: date("Make-up deadline", "补拍截止日期", &self.makeup_deadline)?,
            makeup_recommended_by: date(
                "Recommended make-up date",
                "建议补拍完成日期",
                &self.makeup_recommended_by,
            )?,
            verification: self.verification()?,
            registration_deadline: date(
                "Registration deadline",
                "现场采集报名截止日期",
                &self.registration_deadline,
            )?,
            walk_ins: self.walk_ins,
            any_window: self.any_window,
            fee_at_desk: self.fee_at_desk,
            makeup_cities: self
                .makeup_cities
                .split([',', '，', '、', ' '])
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
            department_downloads: self.department_downloads,
        };
        if let Some(by) = modes.makeup_recommended_by
            && modes.makeup_deadline.is_none_or(|deadline| by > deadline)
        {
            return Err(AppError::invalid(
                "campaign.makeup_recommended",
                "建议补拍完成日期须在补拍截止日期当天或之前（并须先设置截止日期）",
                "The recommended make-up date must be on or before the make-up deadline (set the deadline first)",
            ));
        }
        if modes.onsite.is_none() && modes.online.is_none() && modes.makeup_deadline.is_none() {
            return Err(AppError::invalid(
                "campaign.modes_required",
                "请至少设置一种采集方式（现场、线上或补拍）",
                "Set at least one mode: on-site, online or make-up",
            ));
        }
        let write = CampaignWrite {
            name: self.name.trim().to_string(),
            cohort: self.cohort.trim().to_string(),
            rules_json: serde_json::to_string(&rules)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            modes_json: serde_json::to_string(&modes)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            fee_fen: parse_fee(&self.fee_yuan)?,
            contacts: self.contacts.trim().to_string(),
        };
        Ok(ValidCampaign {
            write,
            rules,
            modes,
        })
    }
}

/// A validated campaign form.
pub struct ValidCampaign {
    pub write: CampaignWrite,
    pub rules: Rules,
    pub modes: Modes,
}
