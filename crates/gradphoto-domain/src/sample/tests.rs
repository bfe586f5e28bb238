//! The sample must import cleanly, cover every eligibility rule, and never change.

use std::collections::{BTreeMap, HashSet};

use super::*;
use crate::eligibility::{Verdict, evaluate};
use crate::roster::{NewStudent, validate_grid};

/// Every reason code `eligibility::evaluate` can return, copied from its source so that a
/// new rule without sample coverage fails here.
const ALL_CODES: [&str; 13] = [
    "eligibility.level_not_in_campaign",
    "eligibility.not_international",
    "eligibility.overseas_class",
    "eligibility.single_certificate",
    "eligibility.completion_photo_stands",
    "eligibility.early_graduation_pending",
    "eligibility.delayed",
    "eligibility.not_in_target_terms",
    "eligibility.prior_other_level",
    "eligibility.prior_void",
    "eligibility.prior_valid",
    "eligibility.completion_must",
    "eligibility.graduating",
];

/// Only reachable in an international-only campaign (seeds 000, 002); neither sample
/// campaign is one, so it is checked against a variant of University B's rules.
const INTERNATIONAL_ONLY_CODE: &str = "eligibility.not_international";

fn import(u: &SampleUniversity) -> Vec<NewStudent> {
    match validate_grid(&u.roster, &u.department_refs()) {
        Ok(s) => s,
        Err(e) => panic!("{} roster rejected: {e:#?}", u.name_zh),
    }
}

/// (verdict, code) → count for one university.
fn tally(u: &SampleUniversity, students: &[NewStudent]) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for s in students {
        let d = evaluate(&u.campaign.rules, &s.facts());
        *out.entry((d.verdict.as_str().to_string(), d.reason.code))
            .or_default() += 1;
    }
    out
}

#[test]
fn both_rosters_import_without_errors() {
    let unis = sample_universities();
    assert_eq!(unis.len(), 2);
    let total: usize = unis.iter().map(|u| import(u).len()).sum();
    assert!((450..=550).contains(&total), "{total} students");
    for u in &unis {
        assert_eq!(import(u).len(), u.roster.len() - 1, "{}", u.name_zh);
    }
}

#[test]
fn every_verdict_and_reason_appears() {
    let unis = sample_universities();
    let mut verdicts = HashSet::new();
    let mut codes = HashSet::new();
    for u in &unis {
        let t = tally(u, &import(u));
        for (v, c) in t.keys() {
            verdicts.insert(v.clone());
            codes.insert(c.clone());
        }
    }
    for v in Verdict::ALL {
        assert!(verdicts.contains(v.as_str()), "no student gets {v:?}");
    }
    for code in ALL_CODES.iter().filter(|c| **c != INTERNATIONAL_ONLY_CODE) {
        assert!(codes.contains(*code), "no student gets {code}");
    }
    for code in &codes {
        assert!(ALL_CODES.contains(&code.as_str()), "unlisted code {code}");
    }
    // The international-only variant: domestic students are turned away, while the
    // university's international and HK/Macau/Taiwan graduates still must be photographed.
    let b = &unis[1];
    let mut rules = b.campaign.rules.clone();
    rules.international_only = true;
    let students = import(b);
    let decisions: Vec<_> = students
        .iter()
        .map(|s| evaluate(&rules, &s.facts()))
        .collect();
    assert!(
        decisions
            .iter()
            .any(|d| d.reason.code == INTERNATIONAL_ONLY_CODE)
    );
    assert!(
        students
            .iter()
            .zip(&decisions)
            .any(|(s, d)| s.facts().is_international() && d.verdict == Verdict::Must)
    );
}

#[test]
fn student_and_document_numbers_are_unique_and_documents_varied() {
    let unis = sample_universities();
    let mut nos = HashSet::new();
    let mut ids = HashSet::new();
    let mut types = HashSet::new();
    for u in &unis {
        for s in import(u) {
            assert!(nos.insert(s.student_no.to_string()), "{}", s.student_no);
            assert!(ids.insert(s.id.number().to_string()), "{:?}", s.id);
            types.insert(s.id.id_type);
        }
    }
    assert_eq!(types.len(), crate::id_document::IdType::ALL.len());
    // Resident IDs: birth dates in 1995–2002 (the validator already checked the digit).
    for u in &unis {
        for row in u.roster.iter().skip(1).filter(|r| r[2] == "居民身份证") {
            let year: i32 = row[3][6..10].parse().unwrap();
            assert!((1995..=2002).contains(&year), "{}", row[3]);
        }
    }
}

#[test]
fn collected_are_about_a_third_of_the_must_students() {
    for u in sample_universities() {
        let students = import(&u);
        let must: HashSet<String> = students
            .iter()
            .filter(|s| evaluate(&u.campaign.rules, &s.facts()).verdict == Verdict::Must)
            .map(|s| s.student_no.to_string())
            .collect();
        let share = u.collected.len() * 100 / must.len();
        assert!((30..=40).contains(&share), "{}: {share} %", u.name_zh);
        assert!(
            u.collected.iter().all(|n| must.contains(n)),
            "{}",
            u.name_zh
        );
        let distinct: HashSet<_> = u.collected.iter().collect();
        assert_eq!(distinct.len(), u.collected.len());
    }
}

#[test]
fn generation_is_deterministic() {
    assert_eq!(sample_universities(), sample_universities());
    assert_eq!(
        sample_roster_with_one_bad_row(),
        sample_roster_with_one_bad_row()
    );
    // Pin a few values so that an accidental change of the generator shows up here and
    // not as a puzzling difference in a browser test.
    let unis = sample_universities();
    assert_eq!(unis[0].roster.len(), 301);
    assert_eq!(unis[1].roster.len(), 201);
    assert_eq!(unis[0].code, "10001");
    assert_eq!(unis[1].code, "10385");
}

#[test]
fn one_bad_row_then_fixed() {
    let (grid, bad_row) = sample_roster_with_one_bad_row();
    assert_eq!(grid.len(), SMALL_ROSTER_ROWS + 1);
    let a = &sample_universities()[0];
    let errors = validate_grid(&grid, &a.department_refs()).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].row, bad_row);
    assert_eq!(errors[0].msg.code, "id.check_digit");
    let good = fixed(&grid);
    assert_eq!(good, a.roster[..=SMALL_ROSTER_ROWS].to_vec());
    assert_eq!(
        validate_grid(&good, &a.department_refs()).unwrap().len(),
        10
    );
}

/// The reason each generated situation must produce; a row that failed to carry its case
/// into the spreadsheet (a flag in the wrong column, a date the importer reads otherwise)
/// shows up as a count mismatch.
fn expected_code(case: spec::Case) -> &'static str {
    use spec::Case::*;
    match case {
        Graduating => "eligibility.graduating",
        Completion => "eligibility.completion_must",
        SingleCertificate => "eligibility.single_certificate",
        Delayed => "eligibility.delayed",
        PriorVoid => "eligibility.prior_void",
        PriorValid => "eligibility.prior_valid",
        MasterToPhd => "eligibility.prior_other_level",
        CompletionToGraduation => "eligibility.completion_photo_stands",
        OverseasClass => "eligibility.overseas_class",
        EarlyGraduationPending => "eligibility.early_graduation_pending",
        LaterCohort => "eligibility.not_in_target_terms",
        Undergraduate => "eligibility.level_not_in_campaign",
    }
}

#[test]
fn every_student_gets_the_reason_of_their_case() {
    let specs = [&spec::UNIVERSITY_A, &spec::UNIVERSITY_B];
    for (u, spec) in sample_universities().iter().zip(specs) {
        let mut want: BTreeMap<&str, usize> = BTreeMap::new();
        for &(case, n) in spec.cases {
            *want.entry(expected_code(case)).or_default() += n;
        }
        let mut got: BTreeMap<&str, usize> = BTreeMap::new();
        for ((_, code), n) in tally(u, &import(u)) {
            let code = ALL_CODES.iter().find(|c| **c == code).copied();
            *got.entry(code.unwrap_or("unknown")).or_default() += n;
        }
        assert_eq!(got, want, "{}", u.name_zh);
    }
}
