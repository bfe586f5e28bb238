//! The two sample universities as data: departments, sizes, how many students fall into
//! each eligibility case, documents, dates. University A follows seed 001 (a Beijing
//! graduate school, January and July 2024 graduates); University B follows seed 004
//! (a Fujian university with two campuses and many overseas-Chinese and HK/Macau/Taiwan
//! students, 2025届).

use chrono::NaiveDate;

use super::SampleCampaign;
use crate::campaign::{Modes, Rules, Window};
use crate::people::Level;
use crate::term::YearMonth;

/// Which eligibility situation a sample student is in. Each maps to one engine rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Case {
    /// Double certificate, graduating in a target term.
    Graduating,
    /// 结业 in a target term.
    Completion,
    /// 单证 (in-service degree applicant).
    SingleCertificate,
    /// 确定延期: still listed in a target term, but confirmed delayed to a later year.
    Delayed,
    /// Photographed on or before the cutoff, then delayed into this campaign's terms.
    PriorVoid,
    /// Photographed earlier for the same level, photo still valid.
    PriorValid,
    /// 硕博连读 doctor with the master's photo on file.
    MasterToPhd,
    /// 结业换毕业: the completion photo stands.
    CompletionToGraduation,
    /// 境外班.
    OverseasClass,
    /// Early-graduation applicant, approval not yet effective; roster shows a later term.
    EarlyGraduationPending,
    /// A later cohort (expected graduation after the target terms, not delayed).
    LaterCohort,
    /// An undergraduate who slipped into a graduate-school export.
    Undergraduate,
}

/// Identity documents other than the resident ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Doc {
    Passport,
    HongKong,
    Macau,
    Taiwan,
    /// 港澳台居民居住证 with region prefix 81 (HK), 82 (Macau) or 83 (Taiwan).
    ResidencePermit(&'static str),
}

pub(super) struct Dept {
    pub name: &'static str,
    /// The short code the 院系 column may use instead of the name.
    pub code: Option<&'static str>,
    /// Number used inside student numbers.
    pub no: u32,
    pub students: usize,
    pub campuses: &'static [(&'static str, u32)],
    pub majors: &'static [&'static str],
}

/// How a university writes its spreadsheet; A and B differ so that the sample exercises the
/// header, month and date spellings the importer accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    /// Canonical headers, `2024-07`, `2023-06-20`, 是/否 everywhere.
    A,
    /// Variant headers (培养单位, 证件号, 毕业时间…), `2025年6月`, `2021/10/16`, blank = no.
    B,
}

pub(super) struct Spec {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub seed: u64,
    pub style: Style,
    pub depts: &'static [Dept],
    /// Must sum to the departments' sizes.
    pub cases: &'static [(Case, usize)],
    pub docs: &'static [(Doc, usize)],
    /// Share of doctors among ordinary students, in percent.
    pub doctor_percent: u64,
    /// Target terms with weights (most students graduate in the main term).
    pub terms: &'static [((i32, u32), u32)],
    /// Terms of the next cohort.
    pub later_terms: &'static [(i32, u32)],
    pub prior_void_dates: &'static [(i32, u32, u32)],
    pub prior_valid_dates: &'static [(i32, u32, u32)],
    pub master_photo_dates: &'static [(i32, u32, u32)],
    pub completion_photo_dates: &'static [(i32, u32, u32)],
    /// Birth regions (6-digit administrative codes) with weights.
    pub regions: &'static [(&'static str, u32)],
    pub campaign: fn() -> SampleCampaign,
}

pub(super) fn ym((year, month): (i32, u32)) -> YearMonth {
    YearMonth { year, month }
}

pub(super) fn date((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("sample dates are written as valid constants")
}

const YANYUAN: &[(&str, u32)] = &[("燕园", 1)];

pub(super) const UNIVERSITY_A: Spec = Spec {
    code: "10001",
    name_zh: "燕园大学",
    name_en: "Yanyuan University",
    seed: 0x5EED_0001,
    style: Style::A,
    depts: &[
        Dept {
            name: "数学科学学院",
            code: Some("001"),
            no: 1,
            students: 30,
            campuses: YANYUAN,
            majors: &["基础数学", "应用数学", "概率论与数理统计"],
        },
        Dept {
            name: "物理学院",
            code: Some("004"),
            no: 4,
            students: 35,
            campuses: YANYUAN,
            majors: &["理论物理", "凝聚态物理", "天体物理"],
        },
        Dept {
            name: "化学与分子工程学院",
            code: Some("010"),
            no: 10,
            students: 40,
            campuses: YANYUAN,
            majors: &["无机化学", "有机化学", "物理化学", "高分子化学与物理"],
        },
        Dept {
            name: "信息管理系",
            code: Some("017"),
            no: 17,
            students: 20,
            campuses: YANYUAN,
            majors: &["图书馆学", "情报学", "图书情报"],
        },
        Dept {
            name: "法学院",
            code: Some("021"),
            no: 21,
            students: 45,
            campuses: YANYUAN,
            majors: &["法学理论", "民商法学", "经济法学", "法律（非法学）"],
        },
        Dept {
            name: "光华管理学院",
            code: Some("028"),
            no: 28,
            students: 50,
            campuses: YANYUAN,
            majors: &["会计学", "金融学", "工商管理", "企业管理"],
        },
        Dept {
            name: "软件与微电子学院",
            code: Some("088"),
            no: 88,
            students: 50,
            campuses: YANYUAN,
            majors: &["软件工程", "电子信息", "集成电路工程"],
        },
        // Seed 001: some Shenzhen students study in Beijing and are photographed there.
        Dept {
            name: "深圳研究生院",
            code: Some("086"),
            no: 86,
            students: 30,
            campuses: &[("深圳", 4), ("燕园", 1)],
            majors: &["环境科学", "计算机应用技术", "金融"],
        },
    ],
    cases: &[
        (Case::Graduating, 226),
        (Case::Completion, 8),
        (Case::SingleCertificate, 12),
        (Case::Delayed, 9),
        (Case::PriorVoid, 7),
        (Case::PriorValid, 4),
        (Case::MasterToPhd, 8),
        (Case::CompletionToGraduation, 4),
        (Case::EarlyGraduationPending, 4),
        (Case::LaterCohort, 15),
        (Case::Undergraduate, 3),
    ],
    docs: &[
        (Doc::Passport, 7),
        (Doc::HongKong, 3),
        (Doc::Macau, 1),
        (Doc::Taiwan, 3),
        (Doc::ResidencePermit("81"), 1),
    ],
    doctor_percent: 22,
    terms: &[((2024, 7), 85), ((2024, 1), 15)],
    later_terms: &[(2025, 1), (2025, 7)],
    prior_void_dates: &[(2022, 11, 3), (2023, 3, 15), (2023, 6, 20)],
    prior_valid_dates: &[(2023, 9, 12), (2023, 10, 8)],
    master_photo_dates: &[(2020, 11, 4), (2021, 11, 2)],
    completion_photo_dates: &[(2021, 11, 3), (2022, 11, 2)],
    regions: &[
        ("110108", 6),
        ("110105", 4),
        ("130104", 2),
        ("370202", 2),
        ("320102", 2),
        ("330106", 2),
        ("420111", 2),
        ("430104", 2),
        ("510107", 2),
        ("610113", 2),
        ("410105", 2),
        ("210202", 1),
        ("440305", 2),
        ("350203", 1),
        ("360102", 1),
        ("450103", 1),
        ("230103", 1),
        ("620102", 1),
    ],
    campaign: campaign_a,
};

fn campaign_a() -> SampleCampaign {
    SampleCampaign {
        name: "2024年1月、7月毕/结业研究生图像采集".into(),
        cohort: "2024届".into(),
        rules: Rules {
            target_terms: vec![ym((2024, 1)), ym((2024, 7))],
            levels: vec![Level::Master, Level::Doctor],
            prior_void_on_or_before: Some(date((2023, 7, 31))),
            exclude_single_certificate: true,
            exclude_overseas_class: true,
            international_only: false,
        },
        modes: Modes {
            onsite: Some(Window { from: date((2023, 11, 1)), to: date((2023, 11, 5)) }),
            online: None,
            makeup_deadline: Some(date((2023, 12, 15))),
            makeup_recommended_by: None,
            verification: None,
            registration_deadline: None,
            walk_ins: false,
            fee_at_desk: true,
            any_window: false,
            makeup_cities: vec!["北京".into()],
            department_downloads: false,
        },
        fee_fen: 2000,
        contacts: "研究生院培养办公室，电话 010-6275 0000，邮箱 yjsy@example.edu.cn；地点：新太阳学生活动中心105、106".into(),
    }
}

pub(super) const UNIVERSITY_B: Spec = Spec {
    code: "10385",
    name_zh: "侨乡大学",
    name_en: "Qiaoxiang University",
    seed: 0x5EED_0004,
    style: Style::B,
    depts: &[
        Dept {
            name: "经济与金融学院",
            code: None,
            no: 2,
            students: 40,
            campuses: &[("泉州校区", 1)],
            majors: &["金融学", "国际贸易学", "金融"],
        },
        Dept {
            name: "法学院",
            code: None,
            no: 3,
            students: 30,
            campuses: &[("泉州校区", 1)],
            majors: &["国际法学", "民商法学", "法律（法学）"],
        },
        Dept {
            name: "工商管理学院",
            code: Some("工管"),
            no: 6,
            students: 45,
            campuses: &[("泉州校区", 1)],
            majors: &["企业管理", "旅游管理", "工商管理"],
        },
        Dept {
            name: "信息科学与工程学院",
            code: Some("信息"),
            no: 11,
            students: 35,
            campuses: &[("厦门校区", 1)],
            majors: &["信息与通信工程", "电子信息", "控制科学与工程"],
        },
        Dept {
            name: "建筑学院",
            code: None,
            no: 13,
            students: 20,
            campuses: &[("厦门校区", 1)],
            majors: &["建筑学", "城乡规划学", "风景园林"],
        },
        Dept {
            name: "计算机科学与技术学院",
            code: None,
            no: 14,
            students: 30,
            campuses: &[("厦门校区", 1)],
            majors: &["计算机科学与技术", "软件工程", "计算机技术"],
        },
    ],
    cases: &[
        (Case::Graduating, 150),
        (Case::Completion, 4),
        (Case::SingleCertificate, 3),
        (Case::Delayed, 5),
        (Case::PriorValid, 8),
        (Case::MasterToPhd, 7),
        (Case::CompletionToGraduation, 2),
        (Case::OverseasClass, 10),
        (Case::EarlyGraduationPending, 3),
        (Case::LaterCohort, 8),
    ],
    docs: &[
        (Doc::Passport, 9),
        (Doc::HongKong, 6),
        (Doc::Macau, 4),
        (Doc::Taiwan, 5),
        (Doc::ResidencePermit("82"), 1),
        (Doc::ResidencePermit("83"), 1),
    ],
    doctor_percent: 15,
    terms: &[((2025, 6), 80), ((2025, 1), 12), ((2025, 7), 8)],
    later_terms: &[(2026, 1), (2026, 6)],
    prior_void_dates: &[],
    // Seed 004: 2021级博士 photographed in the 2021 campaign.
    prior_valid_dates: &[(2021, 10, 16), (2021, 10, 23)],
    master_photo_dates: &[(2021, 9, 25), (2022, 10, 15)],
    completion_photo_dates: &[(2022, 9, 24), (2023, 9, 23)],
    regions: &[
        ("350503", 5),
        ("350582", 4),
        ("350583", 3),
        ("350203", 4),
        ("350206", 2),
        ("350102", 3),
        ("350121", 1),
        ("350623", 2),
        ("440106", 1),
        ("330106", 1),
        ("360102", 1),
        ("430104", 1),
        ("450103", 1),
        ("460105", 1),
        ("410105", 1),
        ("510107", 1),
    ],
    campaign: campaign_b,
};

fn campaign_b() -> SampleCampaign {
    SampleCampaign {
        name: "2025届预计毕业研究生毕业图像信息采集".into(),
        cohort: "2025届".into(),
        rules: Rules {
            target_terms: vec![ym((2025, 1)), ym((2025, 6)), ym((2025, 7))],
            levels: vec![Level::Master, Level::Doctor],
            prior_void_on_or_before: None,
            exclude_single_certificate: true,
            exclude_overseas_class: true,
            international_only: false,
        },
        modes: Modes {
            onsite: Some(Window { from: date((2024, 9, 28)), to: date((2024, 9, 28)) }),
            online: None,
            makeup_deadline: Some(date((2024, 10, 31))),
            makeup_recommended_by: None,
            verification: None,
            registration_deadline: None,
            walk_ins: false,
            fee_at_desk: false,
            any_window: false,
            makeup_cities: Vec::new(),
            // Seed 004: the departments hand the prints on; they may take the files too.
            department_downloads: true,
        },
        fee_fen: 2000,
        contacts: "研究生院学位科，邮箱 xueweike@example.edu.cn；缴费：泉州校区杨思椿科学馆402室，厦门校区行政研发大楼611室".into(),
    }
}
