//! Who must, may or must not be photographed in a campaign (DESIGN §2), with the reason.
//!
//! The rules are data ([`Rules`]); this module only reads them. Each rule carries the seed
//! notice it comes from, and so does its unit test.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::campaign::Rules;
use crate::i18n::Msg;
use crate::id_document::IdType;
use crate::people::{CertType, GradKind, Level};
use crate::term::YearMonth;

/// The four answers a student can get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// 须采集.
    Must,
    /// 无需采集 (an earlier photo still serves).
    NeedNot,
    /// 不得采集 (a photo taken now would be void).
    MustNot,
    /// 暂不可采集 (not in the records yet; try later).
    NotYet,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [
        Verdict::Must,
        Verdict::NeedNot,
        Verdict::MustNot,
        Verdict::NotYet,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Must => "must",
            Verdict::NeedNot => "need_not",
            Verdict::MustNot => "must_not",
            Verdict::NotYet => "not_yet",
        }
    }
    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }
    pub fn zh(self) -> &'static str {
        match self {
            Verdict::Must => "须采集",
            Verdict::NeedNot => "无需采集",
            Verdict::MustNot => "不得采集",
            Verdict::NotYet => "暂不可采集",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Verdict::Must => "Must be photographed",
            Verdict::NeedNot => "Need not be photographed",
            Verdict::MustNot => "Must not be photographed",
            Verdict::NotYet => "Not yet",
        }
    }
}

/// An earlier image collection of this student.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorCollection {
    pub date: NaiveDate,
    /// The level the earlier photo was taken for.
    pub level: Level,
}

/// What the eligibility rules need to know about a student, from the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentFacts {
    pub level: Level,
    pub cert_type: CertType,
    pub grad_kind: GradKind,
    pub expected_graduation: YearMonth,
    pub id_type: IdType,
    /// 境外班.
    pub overseas_class: bool,
    /// Confirmed delayed beyond the roster's expected graduation (确定延期).
    pub delayed: bool,
    /// Early-graduation applicant whose approval is not yet effective (提前毕业未生效).
    pub early_graduation_pending: bool,
    pub prior: Option<PriorCollection>,
}

impl StudentFacts {
    /// International and HK/Macau/Taiwan students are recognised by their document.
    pub fn is_international(&self) -> bool {
        self.id_type != IdType::ResidentId
    }
}

/// A verdict and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub verdict: Verdict,
    pub reason: Msg,
}

fn decide(verdict: Verdict, code: &str, zh: String, en: String) -> Decision {
    Decision {
        verdict,
        reason: Msg::new(code, zh, en),
    }
}

/// Evaluates one student against a campaign's rules. Rules are tried from the most
/// specific exclusion to the general case; the first that applies decides.
pub fn evaluate(rules: &Rules, s: &StudentFacts) -> Decision {
    use Verdict::*;
    if !rules.levels.contains(&s.level) {
        return decide(
            MustNot,
            "eligibility.level_not_in_campaign",
            format!("本次采集不包含{}层次", s.level.zh()),
            format!("This campaign does not collect {} students", s.level.en()),
        );
    }
    if rules.international_only && !s.is_international() {
        return decide(
            MustNot,
            "eligibility.not_international",
            "本次采集仅面向留学生及港澳台学生".into(),
            "This campaign is for international and HK/Macau/Taiwan students only".into(),
        );
    }
    // Seed 004: "含境内和境外研究生,境外班研究生除外".
    if rules.exclude_overseas_class && s.overseas_class {
        return decide(
            MustNot,
            "eligibility.overseas_class",
            "境外班学生不参加本次采集".into(),
            "Overseas-class students are not collected in this campaign".into(),
        );
    }
    // Seeds 001 and 003: "单证研究生请不要参加本次图像采集" / "在职人员申请学位者（单证），不参加".
    if rules.exclude_single_certificate && s.cert_type == CertType::Single {
        return decide(
            MustNot,
            "eligibility.single_certificate",
            "单证（在职申请学位）学生不参加本次采集".into(),
            "Single-certificate (in-service degree) students must not take part".into(),
        );
    }
    // Seed 001: "此前已结业,预计…换发毕业证的,参加本次图像采集的照片信息无效,照片以结业时采集照片为准".
    if s.grad_kind == GradKind::CompletionToGraduation {
        return decide(
            MustNot,
            "eligibility.completion_photo_stands",
            "结业换发毕业证书沿用结业时采集的照片，本次采集无效".into(),
            "Converting completion to graduation keeps the completion photo; a new photo would be void".into(),
        );
    }
    // Seed 003: "多见于提前毕业申请尚未生效的学生，请在完成提前毕业申请手续后1周再提交照片".
    // After the definitive exclusions (a single-certificate applicant is never collected),
    // but before the term checks: the roster still shows the original, later graduation.
    if s.early_graduation_pending {
        return decide(
            NotYet,
            "eligibility.early_graduation_pending",
            "提前毕业申请尚未生效，请在完成提前毕业申请手续 1 周后再采集".into(),
            "Your early-graduation approval is not effective yet; try again one week after it is approved".into(),
        );
    }
    // Seeds 001 and 003: "确定会延期至2025年…毕业的…照片信息无效" / "确定延期至2021年毕业的，不参加".
    // Only the roster's flag says "delayed"; a later expected graduation without it is
    // simply another cohort and falls to `not_in_target_terms` below.
    if s.delayed {
        return decide(
            MustNot,
            "eligibility.delayed",
            format!(
                "已确定延期毕业（原预计 {}），本次采集的照片无效",
                s.expected_graduation
            ),
            format!(
                "Confirmed delayed beyond {}; a photo taken now would be void",
                s.expected_graduation
            ),
        );
    }
    let in_target = rules.target_terms.contains(&s.expected_graduation);
    if !in_target {
        let terms: Vec<String> = rules.target_terms.iter().map(|t| t.to_string()).collect();
        return decide(
            MustNot,
            "eligibility.not_in_target_terms",
            format!(
                "预计毕业时间 {} 不在本次采集范围（{}）",
                s.expected_graduation,
                terms.join("、")
            ),
            format!(
                "Expected graduation {} is outside this campaign's terms ({})",
                s.expected_graduation,
                terms.join(", ")
            ),
        );
    }
    if let Some(prior) = s.prior {
        // Seed 004: "硕博连读博士研究生…硕士生阶段采集的照片不能用于博士毕业图像信息".
        if prior.level != s.level {
            return decide(
                Must,
                "eligibility.prior_other_level",
                format!(
                    "{}阶段采集的照片不能用于{}，须重新采集",
                    prior.level.zh(),
                    s.level.zh()
                ),
                format!(
                    "The photo taken for the {} degree cannot serve the {}; must be photographed again",
                    prior.level.en(),
                    s.level.en()
                ),
            );
        }
        // Seeds 001 and 003: photographed before the cutoff, then delayed into this term.
        if rules
            .prior_void_on_or_before
            .is_some_and(|cut| prior.date <= cut)
        {
            return decide(
                Must,
                "eligibility.prior_void",
                format!("{} 的往次采集已失效（延期毕业），须重新采集", prior.date),
                format!(
                    "The earlier collection on {} is void after the delay; must be photographed again",
                    prior.date
                ),
            );
        }
        // Seeds 002 and 004: "之前已经参加过…无需再参加" / "本次不要报名重复采集".
        return decide(
            NeedNot,
            "eligibility.prior_valid",
            format!("已于 {} 采集且照片仍有效，无需重复采集", prior.date),
            format!(
                "Already photographed on {} and that photo is still valid; no need to repeat",
                prior.date
            ),
        );
    }
    // Seed 001: "结业的同学务必参加本次图像采集,结业换毕业时不重新采集".
    if s.grad_kind == GradKind::Completion {
        return decide(
            Must,
            "eligibility.completion_must",
            "结业学生须参加本次采集（结业换毕业时不再重新采集）".into(),
            "Students completing must be photographed now; there is no new photo when converting to graduation later".into(),
        );
    }
    // Seeds 001 and 003: double-certificate students graduating in the target terms.
    decide(
        Must,
        "eligibility.graduating",
        format!("预计 {} 毕业（双证），须参加采集", s.expected_graduation),
        format!(
            "Expected to graduate in {} (double certificate); must be photographed",
            s.expected_graduation
        ),
    )
}

#[cfg(test)]
mod tests;
