//! A collection campaign (采集任务): its life cycle and the data its eligibility rules read.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::i18n::Msg;
use crate::people::Level;
use crate::term::YearMonth;

/// draft → open → closed. A draft can be edited freely; an open campaign is visible to
/// students and collectors; a closed one is read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CampaignStatus {
    Draft,
    Open,
    Closed,
}

impl CampaignStatus {
    pub fn parse(s: &str) -> Option<CampaignStatus> {
        match s {
            "draft" => Some(CampaignStatus::Draft),
            "open" => Some(CampaignStatus::Open),
            "closed" => Some(CampaignStatus::Closed),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Open => "open",
            CampaignStatus::Closed => "closed",
        }
    }
    pub fn zh(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "草稿",
            CampaignStatus::Open => "进行中",
            CampaignStatus::Closed => "已结束",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "Draft",
            CampaignStatus::Open => "Open",
            CampaignStatus::Closed => "Closed",
        }
    }

    /// The allowed transitions; anything else is refused with a reason.
    pub fn transition(self, to: CampaignStatus) -> Result<CampaignStatus, Msg> {
        use CampaignStatus::*;
        match (self, to) {
            (Draft, Open) | (Open, Closed) | (Draft, Closed) => Ok(to),
            _ => Err(Msg::new(
                "campaign.bad_transition",
                format!("采集任务不能从“{}”变为“{}”", self.zh(), to.zh()),
                format!("A campaign cannot go from {} to {}", self.en(), to.en()),
            )),
        }
    }
}

/// A date window, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Window {
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }
}

/// The collection modes a campaign offers, each with its dates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Modes {
    /// On-site days (现场采集).
    pub onsite: Option<Window>,
    /// Online upload window (线上采集).
    pub online: Option<Window>,
    /// Make-up deadline (补拍截止).
    pub makeup_deadline: Option<NaiveDate>,
    /// The date by which make-up shoots are recommended, before the deadline (seed 002:
    /// 散拍时间建议于5月底之前完成): said on the booking page and in the notice; booking
    /// stays open until the deadline.
    #[serde(default)]
    pub makeup_recommended_by: Option<NaiveDate>,
    /// The registry's verification window (信息确认) for this campaign's graduates.
    /// Absent in campaigns stored before it existed, hence the default.
    #[serde(default)]
    pub verification: Option<VerificationWindow>,
    /// The last day department secretaries may register students for the on-site days
    /// (报名截止); none means registration stays open until the days begin.
    #[serde(default)]
    pub registration_deadline: Option<NaiveDate>,
    /// Whether the desk numbers eligible students who did not register (walk-ins).
    #[serde(default)]
    pub walk_ins: bool,
    /// Whether a student may be registered for a session of another department's day
    /// (seed 001: 可在表中其他时间内参加).
    #[serde(default)]
    pub any_window: bool,
    /// Whether each student photographed on site pays the fee at the desk, electronically
    /// (seed 001: 现场交费，只接受电子支付); otherwise the class liaisons collect it and the
    /// agency settles per department (seed 004).
    #[serde(default)]
    pub fee_at_desk: bool,
    /// The cities whose agency branches count for make-up shoots (seed 001: 北京 only;
    /// photos from other cities are void). Empty: any branch.
    #[serde(default)]
    pub makeup_cities: Vec<String>,
    /// Whether department staff may download a zip of their students' electronic photos
    /// (the student always may, from the personal centre).
    #[serde(default)]
    pub department_downloads: bool,
}

/// When students confirm their record and photo at the registry (e.g. 25 May – 5 Jun),
/// and by when the department secretaries resolve what they reported (e.g. 10 Jun).
/// After `resolve_by` the registry freezes the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationWindow {
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub resolve_by: NaiveDate,
}

impl VerificationWindow {
    /// The dates in order: the window opens before it closes, and reports are resolved
    /// after it closes. Otherwise the message says which order is wrong.
    pub fn new(
        opens_on: NaiveDate,
        closes_on: NaiveDate,
        resolve_by: NaiveDate,
    ) -> Result<VerificationWindow, Msg> {
        if closes_on < opens_on {
            return Err(Msg::new(
                "window.order",
                "信息确认的结束日期早于开始日期",
                "The verification window closes before it opens",
            ));
        }
        if resolve_by < closes_on {
            return Err(Msg::new(
                "window.order",
                "报告处理截止日期早于信息确认结束日期",
                "Reports must be resolved on or after the day the window closes",
            ));
        }
        Ok(VerificationWindow {
            opens_on,
            closes_on,
            resolve_by,
        })
    }
}

/// The eligibility rules of one campaign, as data (DESIGN §2). Universities differ in
/// these values, never in code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Expected graduation months this campaign collects (e.g. 2024-01 and 2024-07).
    pub target_terms: Vec<YearMonth>,
    /// Levels this campaign collects.
    pub levels: Vec<Level>,
    /// A photo taken on or before this date is void for students delayed into the target
    /// terms (seed 001: "2023年7月及以前参加过图像采集后延期…务必重新参加").
    pub prior_void_on_or_before: Option<NaiveDate>,
    /// Single-certificate students (单证) must not be photographed (seeds 001, 003).
    pub exclude_single_certificate: bool,
    /// Overseas-class students (境外班) must not be photographed (seed 004).
    pub exclude_overseas_class: bool,
    /// Whether only international/HK/Macau/Taiwan students are in scope (seeds 000, 002).
    pub international_only: bool,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            target_terms: Vec::new(),
            levels: Level::ALL.to_vec(),
            prior_void_on_or_before: None,
            exclude_single_certificate: true,
            exclude_overseas_class: true,
            international_only: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_machine() {
        use CampaignStatus::*;
        assert_eq!(Draft.transition(Open), Ok(Open));
        assert_eq!(Open.transition(Closed), Ok(Closed));
        assert!(Closed.transition(Open).is_err());
        assert!(Open.transition(Draft).is_err());
        assert!(Open.transition(Open).is_err());
    }

    #[test]
    fn verification_window_dates_in_order() {
        let d = |m, day| NaiveDate::from_ymd_opt(2027, m, day).expect("date");
        let w = VerificationWindow::new(d(5, 25), d(6, 5), d(6, 10)).expect("in order");
        assert_eq!(w.resolve_by, d(6, 10));
        assert!(VerificationWindow::new(d(5, 25), d(5, 25), d(5, 25)).is_ok());
        let e = VerificationWindow::new(d(6, 5), d(5, 25), d(6, 10)).expect_err("closes first");
        assert!(e.en.contains("closes before it opens"), "{}", e.en);
        let e = VerificationWindow::new(d(5, 25), d(6, 5), d(6, 4)).expect_err("resolved early");
        assert!(e.zh.contains("报告处理截止"), "{}", e.zh);
    }

    #[test]
    fn modes_stored_before_the_window_existed_still_read() {
        let m: Modes =
            serde_json::from_str(r#"{"onsite":null,"online":null,"makeup_deadline":"2027-10-31"}"#)
                .expect("old modes");
        assert_eq!(m.verification, None);
    }
}
