//! One test per eligibility rule, each named after the seed notice it comes from
//! (`/work/shared/seeds/00N_*.txt`). Campaign rules are built the way each university's
//! notice states them, so a test reads like the notice.

use super::*;
use crate::people::Level;

fn ym(year: i32, month: u32) -> YearMonth {
    YearMonth::new(year, month).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Seed 001 (PKU graduate school): graduates of 2024-01 and 2024-07, masters and PhDs,
/// photos taken in or before July 2023 are void for students delayed into these terms.
fn seed001_rules() -> Rules {
    Rules {
        target_terms: vec![ym(2024, 1), ym(2024, 7)],
        levels: vec![Level::Master, Level::Doctor],
        prior_void_on_or_before: Some(date(2023, 7, 31)),
        exclude_single_certificate: true,
        exclude_overseas_class: true,
        international_only: false,
    }
}

/// Seed 003 (PKU Health Science Center): summer 2020 (June/August), graduate students,
/// photos from before July 2019 void after a delay.
fn seed003_rules() -> Rules {
    Rules {
        target_terms: vec![ym(2020, 6), ym(2020, 8)],
        levels: vec![Level::Master, Level::Doctor],
        prior_void_on_or_before: Some(date(2019, 6, 30)),
        ..Rules::default()
    }
}

/// Seed 004 (Huaqiao): the 2025 cohort of graduate students, overseas classes excluded,
/// no void-after-delay cutoff stated.
fn seed004_rules() -> Rules {
    Rules {
        target_terms: vec![ym(2024, 12), ym(2025, 6)],
        levels: vec![Level::Master, Level::Doctor],
        ..Rules::default()
    }
}

/// Seeds 000 and 002 (BNU, ZJUT): international students only; 002 collects bachelors.
fn seed002_rules() -> Rules {
    Rules {
        target_terms: vec![ym(2025, 6)],
        levels: vec![Level::Bachelor],
        international_only: true,
        ..Rules::default()
    }
}

/// A double-certificate master graduating in July 2024 with a resident ID: the plain case.
fn graduating_master() -> StudentFacts {
    StudentFacts {
        level: Level::Master,
        cert_type: CertType::Double,
        grad_kind: GradKind::Graduation,
        expected_graduation: ym(2024, 7),
        id_type: IdType::ResidentId,
        overseas_class: false,
        delayed: false,
        early_graduation_pending: false,
        prior: None,
    }
}

#[track_caller]
fn assert_decision(d: &Decision, verdict: Verdict, code: &str) {
    assert_eq!(d.verdict, verdict, "verdict for {d:?}");
    assert_eq!(d.reason.code, code, "reason code for {d:?}");
    assert!(!d.reason.zh.trim().is_empty(), "empty zh text for {d:?}");
    assert!(!d.reason.en.trim().is_empty(), "empty en text for {d:?}");
}

/// Seeds 001 and 003: "预计于2024年1月和7月毕业/结业的研究生在校生(双证),务必参加".
#[test]
fn seed001_003_double_certificate_in_target_term_must() {
    let s = graduating_master();
    assert_decision(
        &evaluate(&seed001_rules(), &s),
        Verdict::Must,
        "eligibility.graduating",
    );
    let s = StudentFacts {
        level: Level::Doctor,
        expected_graduation: ym(2020, 8),
        ..s
    };
    assert_decision(
        &evaluate(&seed003_rules(), &s),
        Verdict::Must,
        "eligibility.graduating",
    );
}

/// Seed 001: "结业的同学务必参加本次图像采集".
#[test]
fn seed001_completion_must() {
    let s = StudentFacts {
        grad_kind: GradKind::Completion,
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed001_rules(), &s),
        Verdict::Must,
        "eligibility.completion_must",
    );
}

/// Seeds 001 and 003: "单证研究生请不要参加" / "在职人员申请学位者（单证），不参加".
/// The exclusion is campaign data: a campaign without it collects the student.
#[test]
fn seed001_003_single_certificate_must_not() {
    let s = StudentFacts {
        cert_type: CertType::Single,
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed001_rules(), &s),
        Verdict::MustNot,
        "eligibility.single_certificate",
    );
    let s3 = StudentFacts {
        expected_graduation: ym(2020, 6),
        ..s.clone()
    };
    assert_decision(
        &evaluate(&seed003_rules(), &s3),
        Verdict::MustNot,
        "eligibility.single_certificate",
    );
    let open = Rules {
        exclude_single_certificate: false,
        ..seed001_rules()
    };
    assert_decision(
        &evaluate(&open, &s),
        Verdict::Must,
        "eligibility.graduating",
    );
}

/// Seeds 001 and 003: "确定会延期至2025年1、7月毕业的…照片信息无效" / "确定延期至2021年毕业的，不参加".
/// The flag decides even while the roster still shows the original target month.
#[test]
fn seed001_003_confirmed_delayed_must_not() {
    let s = StudentFacts {
        delayed: true,
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed001_rules(), &s),
        Verdict::MustNot,
        "eligibility.delayed",
    );
    let s = StudentFacts {
        delayed: true,
        expected_graduation: ym(2021, 6),
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed003_rules(), &s),
        Verdict::MustNot,
        "eligibility.delayed",
    );
}

/// Seed 001: a later expected graduation without the delay flag is another cohort, not a
/// confirmed delay; the reason must not claim a delay that nobody confirmed.
#[test]
fn seed001_later_cohort_not_in_target_terms() {
    let later = StudentFacts {
        expected_graduation: ym(2025, 7),
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed001_rules(), &later),
        Verdict::MustNot,
        "eligibility.not_in_target_terms",
    );
    let earlier = StudentFacts {
        expected_graduation: ym(2023, 7),
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed001_rules(), &earlier),
        Verdict::MustNot,
        "eligibility.not_in_target_terms",
    );
}

/// Seeds 001 and 003: "2023年7月及以前参加过图像采集后延期至2024年1月或7月毕业/结业的…务必重新参加" /
/// "2019年7月以前已参加过图像采集、后延期至2020年夏季…以往采集图像已失效，须重新采集".
/// The cutoff day itself is still void; the day after is a valid photo.
#[test]
fn seed001_003_photographed_before_cutoff_then_delayed_must() {
    let on_cutoff = PriorCollection {
        date: date(2023, 7, 31),
        level: Level::Master,
    };
    let s = StudentFacts {
        prior: Some(on_cutoff),
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed001_rules(), &s),
        Verdict::Must,
        "eligibility.prior_void",
    );

    let after = PriorCollection {
        date: date(2023, 8, 1),
        level: Level::Master,
    };
    let s = StudentFacts {
        prior: Some(after),
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed001_rules(), &s),
        Verdict::NeedNot,
        "eligibility.prior_valid",
    );

    let old = PriorCollection {
        date: date(2019, 5, 20),
        level: Level::Doctor,
    };
    let s = StudentFacts {
        level: Level::Doctor,
        expected_graduation: ym(2020, 6),
        prior: Some(old),
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed003_rules(), &s),
        Verdict::Must,
        "eligibility.prior_void",
    );
}

/// Seeds 002 and 004: "之前已经参加过毕业生电子图像采集而且纸质照片没有丢失的同学，无需再参加" /
/// "2021级博士研究生已参加过2021年…本次不要报名重复采集".
#[test]
fn seed002_004_earlier_valid_collection_need_not() {
    let s = StudentFacts {
        level: Level::Doctor,
        expected_graduation: ym(2025, 6),
        prior: Some(PriorCollection {
            date: date(2021, 9, 28),
            level: Level::Doctor,
        }),
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed004_rules(), &s),
        Verdict::NeedNot,
        "eligibility.prior_valid",
    );

    let s = StudentFacts {
        level: Level::Bachelor,
        expected_graduation: ym(2025, 6),
        id_type: IdType::Passport,
        prior: Some(PriorCollection {
            date: date(2023, 11, 3),
            level: Level::Bachelor,
        }),
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed002_rules(), &s),
        Verdict::NeedNot,
        "eligibility.prior_valid",
    );
}

/// Seed 004: "硕博连读博士研究生…须重新采集图像信息,硕士生阶段采集的照片不能用于博士毕业图像信息".
#[test]
fn seed004_master_to_phd_with_master_photo_must() {
    let s = StudentFacts {
        level: Level::Doctor,
        expected_graduation: ym(2025, 6),
        prior: Some(PriorCollection {
            date: date(2021, 6, 1),
            level: Level::Master,
        }),
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed004_rules(), &s),
        Verdict::Must,
        "eligibility.prior_other_level",
    );
}

/// Seed 001: "此前已结业,预计2024年1月、7月换发毕业证的,参加本次图像采集的照片信息无效".
#[test]
fn seed001_completion_to_graduation_must_not() {
    let s = StudentFacts {
        grad_kind: GradKind::CompletionToGraduation,
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed001_rules(), &s),
        Verdict::MustNot,
        "eligibility.completion_photo_stands",
    );
}

/// Seed 004: "含境内和境外研究生,境外班研究生除外". Excluding is campaign data.
#[test]
fn seed004_overseas_class_must_not() {
    let s = StudentFacts {
        expected_graduation: ym(2025, 6),
        overseas_class: true,
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed004_rules(), &s),
        Verdict::MustNot,
        "eligibility.overseas_class",
    );
    let open = Rules {
        exclude_overseas_class: false,
        ..seed004_rules()
    };
    assert_decision(
        &evaluate(&open, &s),
        Verdict::Must,
        "eligibility.graduating",
    );
}

/// Seed 003: "多见于提前毕业申请尚未生效的学生，请在完成提前毕业申请手续后1周再提交照片".
/// The roster still shows the original, later graduation; that must not turn into
/// "not in this campaign", while a definitive exclusion (single certificate) still wins.
#[test]
fn seed003_early_graduation_not_effective_not_yet() {
    let s = StudentFacts {
        expected_graduation: ym(2021, 6),
        early_graduation_pending: true,
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed003_rules(), &s),
        Verdict::NotYet,
        "eligibility.early_graduation_pending",
    );
    let single = StudentFacts {
        cert_type: CertType::Single,
        ..s
    };
    assert_decision(
        &evaluate(&seed003_rules(), &single),
        Verdict::MustNot,
        "eligibility.single_certificate",
    );
}

/// Seed 002 collects 本科 only (seed 001 graduate students only): other levels must not.
#[test]
fn seed001_002_level_not_in_campaign_must_not() {
    let master = StudentFacts {
        expected_graduation: ym(2025, 6),
        id_type: IdType::Passport,
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed002_rules(), &master),
        Verdict::MustNot,
        "eligibility.level_not_in_campaign",
    );
    let bachelor = StudentFacts {
        level: Level::Bachelor,
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed001_rules(), &bachelor),
        Verdict::MustNot,
        "eligibility.level_not_in_campaign",
    );
}

/// Seeds 000 and 002: campaigns for "拟毕业留学生" only; a resident-ID student is out,
/// a passport or HK/Macau/Taiwan permit holder is in.
#[test]
fn seed000_002_international_only_resident_id_must_not() {
    let resident = StudentFacts {
        level: Level::Bachelor,
        expected_graduation: ym(2025, 6),
        ..graduating_master()
    };
    assert_decision(
        &evaluate(&seed002_rules(), &resident),
        Verdict::MustNot,
        "eligibility.not_international",
    );
    for id_type in [
        IdType::Passport,
        IdType::HkMacauPermit,
        IdType::TaiwanPermit,
    ] {
        let s = StudentFacts {
            id_type,
            ..resident.clone()
        };
        assert_decision(
            &evaluate(&seed002_rules(), &s),
            Verdict::Must,
            "eligibility.graduating",
        );
    }
}
