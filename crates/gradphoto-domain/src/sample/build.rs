//! Turning a [`Spec`] into students, then into the spreadsheet grid a university would send.

use std::collections::{HashMap, HashSet};

use super::names::{chinese_name, digits, id18, passport, passport_countries};
use super::rng::Rng;
use super::spec::{Case, Doc, Spec, Style, date, ym};
use super::{SampleUniversity, roster_header};
use crate::eligibility::{PriorCollection, StudentFacts, Verdict, evaluate};
use crate::id_document::IdType;
use crate::people::{CertType, GradKind, Level};
use crate::term::YearMonth;

/// One generated student, before it becomes a row.
struct Student {
    case: Case,
    dept: usize,
    level: Level,
    male: bool,
    expected: YearMonth,
    entry_year: i32,
    doc: Option<Doc>,
    prior: Option<PriorCollection>,
    no: String,
    name: String,
    id_number: String,
    major: String,
    campus: String,
    dept_cell: String,
}

impl Student {
    fn id_type(&self) -> IdType {
        match self.doc {
            None => IdType::ResidentId,
            Some(Doc::Passport) => IdType::Passport,
            Some(Doc::HongKong | Doc::Macau) => IdType::HkMacauPermit,
            Some(Doc::Taiwan) => IdType::TaiwanPermit,
            Some(Doc::ResidencePermit(_)) => IdType::HmtResidencePermit,
        }
    }

    fn cert(&self) -> CertType {
        if self.case == Case::SingleCertificate {
            CertType::Single
        } else {
            CertType::Double
        }
    }

    fn grad_kind(&self) -> GradKind {
        match self.case {
            Case::Completion => GradKind::Completion,
            Case::CompletionToGraduation => GradKind::CompletionToGraduation,
            _ => GradKind::Graduation,
        }
    }

    /// The facts as the importer will read them back from the row.
    fn facts(&self) -> StudentFacts {
        StudentFacts {
            level: self.level,
            cert_type: self.cert(),
            grad_kind: self.grad_kind(),
            expected_graduation: self.expected,
            id_type: self.id_type(),
            overseas_class: self.case == Case::OverseasClass,
            delayed: self.case == Case::Delayed,
            early_graduation_pending: self.case == Case::EarlyGraduationPending,
            prior: self.prior,
        }
    }
}

/// Builds one university. `taken` holds every document number issued so far, so that
/// numbers stay unique across both universities.
pub(super) fn university(spec: &Spec, taken: &mut HashSet<String>) -> SampleUniversity {
    let mut rng = Rng::new(spec.seed);
    let mut cases: Vec<Case> = spec
        .cases
        .iter()
        .flat_map(|&(c, n)| std::iter::repeat_n(c, n))
        .collect();
    rng.shuffle(&mut cases);
    let mut cases = cases.into_iter();
    let mut students = Vec::new();
    for (d, dept) in spec.depts.iter().enumerate() {
        for case in cases.by_ref().take(dept.students) {
            students.push(situation(spec, &mut rng, d, case));
        }
    }
    assign_documents(spec, &mut rng, &mut students);
    for s in &mut students {
        identity(spec, &mut rng, s, taken);
    }
    number_students(spec, &mut rng, &mut students);
    let campaign = (spec.campaign)();
    let collected = collected(&mut rng, &students, &campaign.rules);
    let mut roster = vec![roster_header(spec.style)];
    roster.extend(students.iter().map(|s| row(spec.style, s)));
    SampleUniversity {
        code: spec.code.into(),
        name_zh: spec.name_zh.into(),
        name_en: spec.name_en.into(),
        departments: spec
            .depts
            .iter()
            .map(|d| (d.name.to_string(), d.code.map(str::to_string)))
            .collect(),
        campuses: campuses(spec),
        roster,
        campaign,
        collected,
    }
}

fn campuses(spec: &Spec) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (c, _) in spec.depts.iter().flat_map(|d| d.campuses) {
        if !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    }
    out
}

/// Level, terms, entry year and earlier collections, as the case requires.
fn situation(spec: &Spec, rng: &mut Rng, dept: usize, case: Case) -> Student {
    let mut level = if rng.chance(spec.doctor_percent) {
        Level::Doctor
    } else {
        Level::Master
    };
    let mut expected = ym(*rng.weighted(spec.terms));
    let mut prior = None;
    let mut years_before = 0;
    match case {
        Case::LaterCohort | Case::EarlyGraduationPending => {
            expected = ym(*rng.pick(spec.later_terms));
        }
        Case::Undergraduate => level = Level::Bachelor,
        Case::PriorVoid => {
            years_before = 1;
            prior = prior_at(spec.prior_void_dates, level, rng);
        }
        Case::PriorValid => {
            // Seed 004: 2021级博士 already photographed in 2021.
            if spec.style == Style::B {
                level = Level::Doctor;
            }
            prior = prior_at(spec.prior_valid_dates, level, rng);
        }
        Case::MasterToPhd => {
            level = Level::Doctor;
            years_before = 1;
            prior = prior_at(spec.master_photo_dates, Level::Master, rng);
        }
        Case::CompletionToGraduation => {
            years_before = 1;
            prior = prior_at(spec.completion_photo_dates, level, rng);
        }
        _ => {}
    }
    let study_years = match level {
        Level::Associate => 3,
        Level::Bachelor => 4,
        Level::Master => 3,
        Level::Doctor if spec.style == Style::B && case == Case::PriorValid => 4,
        Level::Doctor => 4 + rng.range(0, 1) as i32,
    };
    Student {
        case,
        dept,
        level,
        male: rng.chance(52),
        expected,
        entry_year: expected.year - study_years - years_before,
        doc: None,
        prior,
        no: String::new(),
        name: String::new(),
        id_number: String::new(),
        major: String::new(),
        campus: String::new(),
        dept_cell: String::new(),
    }
}

fn prior_at(dates: &[(i32, u32, u32)], level: Level, rng: &mut Rng) -> Option<PriorCollection> {
    Some(PriorCollection {
        date: date(*rng.pick(dates)),
        level,
    })
}

/// Gives the non-resident documents to students in ordinary situations: international and
/// HK/Macau/Taiwan students are graduating, delayed or in a later cohort like anyone else.
fn assign_documents(spec: &Spec, rng: &mut Rng, students: &mut [Student]) {
    let mut eligible: Vec<usize> = (0..students.len())
        .filter(|&i| {
            matches!(
                students[i].case,
                Case::Graduating | Case::LaterCohort | Case::Delayed | Case::MasterToPhd
            )
        })
        .collect();
    rng.shuffle(&mut eligible);
    let mut next = eligible.into_iter();
    for &(doc, n) in spec.docs {
        for i in next.by_ref().take(n) {
            students[i].doc = Some(doc);
        }
    }
}

/// Name, document number, major, campus and the department cell.
fn identity(spec: &Spec, rng: &mut Rng, s: &mut Student, taken: &mut HashSet<String>) {
    let dept = &spec.depts[s.dept];
    let age = match s.level {
        Level::Associate | Level::Bachelor => 18,
        Level::Master => 22,
        Level::Doctor => 23,
    };
    let year = (s.entry_year - age - rng.range(0, 2) as i32).clamp(1995, 2002);
    let birth = (year, rng.range(1, 12), rng.range(1, 28));
    s.name = chinese_name(rng, s.male);
    s.id_number = match s.doc {
        None => {
            let region = *rng.weighted(spec.regions);
            id18(rng, region, birth, s.male, taken)
        }
        Some(Doc::ResidencePermit(prefix)) => {
            id18(rng, &format!("{prefix}0000"), birth, s.male, taken)
        }
        Some(Doc::Passport) => loop {
            let nationality = rng.index(passport_countries());
            let (name, number) = passport(rng, nationality);
            if taken.insert(number.clone()) {
                s.name = name;
                break number;
            }
        },
        Some(doc) => loop {
            let number = match doc {
                Doc::HongKong => format!("H{}", digits(rng, 8)),
                Doc::Macau => format!("M{}", digits(rng, 8)),
                _ => digits(rng, 8),
            };
            if taken.insert(number.clone()) {
                break number;
            }
        },
    };
    s.major = rng.pick(dept.majors).to_string();
    s.campus = rng.weighted(dept.campuses).to_string();
    // Now and then a secretary writes the department's short code instead of its name.
    s.dept_cell = match dept.code {
        Some(code) if rng.chance(6) => code.to_string(),
        _ => dept.name.to_string(),
    };
}

/// Student numbers per department, entry year and level, in that university's format,
/// with the small gaps real numbering has (withdrawals, transfers); rows then follow
/// department and student-number order, as an export from a student system does.
fn number_students(spec: &Spec, rng: &mut Rng, students: &mut [Student]) {
    let mut next: HashMap<(usize, i32, Level), u32> = HashMap::new();
    for s in students.iter_mut() {
        let seq = next.entry((s.dept, s.entry_year, s.level)).or_insert(0);
        *seq += 1 + rng.range(0, 2);
        let lvl = match s.level {
            Level::Associate | Level::Bachelor => 0,
            Level::Master => 1,
            Level::Doctor => 2,
        };
        let dept_no = spec.depts[s.dept].no;
        let yy = s.entry_year.rem_euclid(100);
        s.no = match spec.style {
            Style::A => format!("{yy:02}{lvl}{dept_no:03}{seq:04}"),
            Style::B => format!("{}{dept_no:02}{lvl}{seq:03}", s.entry_year),
        };
    }
    students.sort_by(|a, b| (a.dept, &a.no).cmp(&(b.dept, &b.no)));
}

/// About 35 % of the students who must be photographed, chosen deterministically.
fn collected(rng: &mut Rng, students: &[Student], rules: &crate::campaign::Rules) -> Vec<String> {
    let mut must: Vec<usize> = (0..students.len())
        .filter(|&i| evaluate(rules, &students[i].facts()).verdict == Verdict::Must)
        .collect();
    let keep = (must.len() * 35 + 50) / 100;
    rng.shuffle(&mut must);
    must.truncate(keep);
    must.sort_unstable();
    must.into_iter().map(|i| students[i].no.clone()).collect()
}

fn flag(style: Style, on: bool) -> String {
    match (style, on) {
        (_, true) => "是".into(),
        (Style::A, false) => "否".into(),
        (Style::B, false) => String::new(),
    }
}

/// One row, in the column order of [`roster_header`].
fn row(style: Style, s: &Student) -> Vec<String> {
    let expected = match style {
        Style::A => s.expected.to_string(),
        Style::B => format!("{}年{}月", s.expected.year, s.expected.month),
    };
    let (prior_date, prior_level) = match s.prior {
        None => (String::new(), String::new()),
        Some(p) => {
            let d = match style {
                Style::A => p.date.format("%Y-%m-%d").to_string(),
                Style::B => p.date.format("%Y/%-m/%-d").to_string(),
            };
            // A master-to-PhD row may leave the level blank: the importer infers 硕士.
            let l = if s.case == Case::MasterToPhd && style == Style::B {
                String::new()
            } else {
                p.level.zh().to_string()
            };
            (d, l)
        }
    };
    vec![
        s.no.clone(),
        s.name.clone(),
        s.id_type().zh().to_string(),
        s.id_number.clone(),
        s.level.zh().to_string(),
        s.cert().zh().to_string(),
        s.dept_cell.clone(),
        s.major.clone(),
        s.campus.clone(),
        expected,
        s.grad_kind().zh().to_string(),
        flag(style, s.case == Case::OverseasClass),
        flag(style, s.case == Case::MasterToPhd),
        flag(style, s.case == Case::Delayed),
        flag(style, s.case == Case::EarlyGraduationPending),
        prior_date,
        prior_level,
    ]
}
