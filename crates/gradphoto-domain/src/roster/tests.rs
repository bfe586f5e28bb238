//! Roster validation: header spellings in both languages, defaults, and one test per row
//! check, each also proving that checking goes on past the first problem.

use super::*;
use crate::id_document::{IdType, resident_id_check_char};

fn id(first17: &str) -> String {
    format!("{first17}{}", resident_id_check_char(first17).unwrap())
}

fn grid(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn departments() -> Vec<DepartmentRef> {
    vec![
        DepartmentRef {
            name: "数学科学学院".into(),
            code: Some("MATH".into()),
        },
        DepartmentRef {
            name: "物理学院".into(),
            code: None,
        },
    ]
}

const HEADERS: &[&str] = &[
    "学号",
    "姓名",
    "证件号码",
    "学历层次",
    "院系",
    "预计毕业时间",
];

/// A valid row for HEADERS; `n` varies student number and ID number.
fn row(n: u32) -> Vec<String> {
    vec![
        format!("20210{n:02}"),
        format!("学生{n}"),
        id(&format!("110105200001010{n:02}")),
        "硕士".into(),
        "数学科学学院".into(),
        "2024-07".into(),
    ]
}

fn valid_grid(n: u32) -> Vec<Vec<String>> {
    let mut g = grid(&[HEADERS]);
    g.extend((1..=n).map(row));
    g
}

/// Sets one cell of `g` by header name.
fn set(g: &mut [Vec<String>], row: usize, header: &str, value: &str) {
    let col = g[0].iter().position(|h| h == header).unwrap();
    g[row][col] = value.to_string();
}

fn errors(g: &[Vec<String>]) -> Vec<RowError> {
    validate_grid(g, &departments()).unwrap_err()
}

#[track_caller]
fn has(errs: &[RowError], row: usize, column: &str, code: &str) {
    let e = errs
        .iter()
        .find(|e| e.row == row && e.msg.code == code && e.column.as_deref() == Some(column))
        .unwrap_or_else(|| panic!("no {code} at row {row}, column {column} in {errs:#?}"));
    assert!(!e.msg.zh.is_empty() && !e.msg.en.is_empty(), "{e:?}");
}

#[test]
fn english_headers_and_defaults() {
    let g = grid(&[
        &[
            "Student No",
            "NAME",
            "ID Number",
            "Level",
            "School",
            "Expected graduation",
            "Remarks",
        ],
        &[
            "0012021",
            " Li Lei ",
            &id("11010520000101001"),
            "PhD",
            " MATH ",
            "2025年6月",
            "anything",
        ],
    ]);
    let s = validate_grid(&g, &departments()).unwrap();
    assert_eq!(s.len(), 1);
    let s = &s[0];
    assert_eq!(s.row, 2);
    assert_eq!(s.student_no.as_str(), "0012021");
    assert_eq!(s.name, "Li Lei");
    assert_eq!(s.id.id_type, IdType::ResidentId);
    assert_eq!(s.level, Level::Doctor);
    assert_eq!(
        s.department, "数学科学学院",
        "resolved through the code to the name"
    );
    assert_eq!(s.expected_graduation.to_string(), "2025-06");
    assert_eq!(
        (s.cert_type, s.grad_kind),
        (CertType::Double, GradKind::Graduation)
    );
    assert!(!s.overseas_class && !s.master_to_phd && !s.delayed && !s.early_graduation_pending);
    assert_eq!(
        (s.prior, s.campus.as_deref(), s.major.as_deref()),
        (None, None, None)
    );
}

#[test]
fn all_optional_columns_in_chinese() {
    let g = grid(&[
        &[
            "学号",
            "姓名",
            "证件类型",
            "证件号码",
            "层次",
            "学位类型",
            "培养单位",
            "毕业时间",
            "毕业类型",
            "境外班",
            "硕博连读",
            "延期",
            "提前毕业",
            "往次采集日期",
            "往次采集层次",
            "校区",
            "专业",
        ],
        &[
            "S1",
            "张三",
            "护照",
            "E12345678",
            "博士",
            "单证",
            "物理学院",
            "2024/1",
            "结业",
            "否",
            "是",
            "1",
            "no",
            "2021-09-28",
            "",
            "燕园",
            "物理学",
        ],
    ]);
    let s = &validate_grid(&g, &departments()).unwrap()[0];
    assert_eq!(s.id.id_type, IdType::Passport);
    assert_eq!(
        (s.cert_type, s.grad_kind),
        (CertType::Single, GradKind::Completion)
    );
    assert!(!s.overseas_class && s.master_to_phd && s.delayed && !s.early_graduation_pending);
    let prior = s.prior.unwrap();
    assert_eq!(prior.date.to_string(), "2021-09-28");
    assert_eq!(
        prior.level,
        Level::Master,
        "seed 004: a master-to-PhD's earlier photo was the master's"
    );
    assert_eq!(
        (s.campus.as_deref(), s.major.as_deref()),
        (Some("燕园"), Some("物理学"))
    );
}

#[test]
fn prior_level_defaults_to_own_level_or_as_stated() {
    let mut g = valid_grid(2);
    g[0].extend(["往次采集".to_string(), "往次采集层次".to_string()]);
    g[1].extend(["2023-06-01".to_string(), String::new()]);
    g[2].extend(["2023-06-01".to_string(), "本科".to_string()]);
    let s = validate_grid(&g, &departments()).unwrap();
    assert_eq!(s[0].prior.unwrap().level, Level::Master);
    assert_eq!(s[1].prior.unwrap().level, Level::Bachelor);
}

#[test]
fn missing_required_columns_named_in_both_languages() {
    let g = grid(&[&["姓名", "Level", "备注"], &["张三", "硕士", ""]]);
    let errs = errors(&g);
    let missing: Vec<&str> = errs
        .iter()
        .filter(|e| e.msg.code == "roster.missing_column")
        .map(|e| e.column.as_deref().unwrap())
        .collect();
    assert_eq!(missing, ["学号", "证件号码", "院系", "预计毕业时间"]);
    assert!(errs.iter().all(|e| e.row == 0));
    assert!(errs[0].msg.zh.contains("学号") && errs[0].msg.en.contains("Student number"));
}

#[test]
fn duplicate_header_is_a_file_error() {
    let mut g = valid_grid(1);
    g[0].push("Student ID".into());
    g[1].push("x".into());
    has(&errors(&g), 0, "Student ID", "roster.duplicate_column");
}

#[test]
fn blank_rows_skipped_and_numbering_kept() {
    let mut g = vec![vec![String::new(); 3]];
    g.extend(valid_grid(1));
    g.push(vec!["  ".into(), String::new()]);
    g.push(row(2));
    g.extend([vec![], vec![String::new(); 6]]);
    let s = validate_grid(&g, &departments()).unwrap();
    assert_eq!(s.iter().map(|s| s.row).collect::<Vec<_>>(), [3, 5]);
}

#[test]
fn empty_file_and_header_only() {
    assert_eq!(errors(&[]), errors(&grid(&[&["", " "]])));
    assert_eq!(errors(&[])[0].msg.code, "roster.empty");
    assert_eq!(errors(&grid(&[HEADERS]))[0].msg.code, "roster.no_students");
}

#[test]
fn invalid_student_number() {
    let mut g = valid_grid(2);
    set(&mut g, 2, "学号", "2021 001");
    let errs = errors(&g);
    has(&errs, 3, "学号", "roster.invalid_student_no");
    assert_eq!(errs.len(), 1);
}

#[test]
fn empty_name_and_empty_required_cells() {
    let mut g = valid_grid(2);
    set(&mut g, 1, "姓名", "  ");
    set(&mut g, 2, "预计毕业时间", "");
    let errs = errors(&g);
    has(&errs, 2, "姓名", "roster.required_empty");
    has(&errs, 3, "预计毕业时间", "roster.required_empty");
    assert_eq!(errs.len(), 2);
}

#[test]
fn unknown_id_type_and_invalid_id_number() {
    let mut g = valid_grid(2);
    g[0].push("证件类型".into());
    g[1].push("军官证".into());
    g[2].push("身份证".into());
    let bad = g[2][2].replace(|c: char| c.is_ascii_digit(), "1");
    set(&mut g, 2, "证件号码", &bad);
    let errs = errors(&g);
    has(&errs, 2, "证件类型", "roster.unknown_id_type");
    assert!(
        errs.iter()
            .all(|e| !(e.row == 2 && e.msg.code.starts_with("id.")))
    );
    let id_err = errs.iter().find(|e| e.row == 3).unwrap();
    assert!(id_err.msg.code.starts_with("id."), "{id_err:?}");
    assert_eq!(id_err.column.as_deref(), Some("证件号码"));
    assert_eq!(errs.len(), 2);
}

#[test]
fn unknown_level_cert_type_grad_kind_and_flag_words() {
    let mut g = valid_grid(1);
    for (h, v) in [
        ("学位类型", "三证"),
        ("毕业类型", "肄业"),
        ("境外班", "maybe"),
        ("Delayed", "?"),
    ] {
        g[0].push(h.into());
        g[1].push(v.into());
    }
    set(&mut g, 1, "学历层次", "高中");
    let errs = errors(&g);
    has(&errs, 2, "学历层次", "roster.unknown_level");
    has(&errs, 2, "学位类型", "roster.unknown_cert_type");
    has(&errs, 2, "毕业类型", "roster.unknown_grad_kind");
    has(&errs, 2, "境外班", "roster.unknown_flag");
    has(&errs, 2, "Delayed", "roster.unknown_flag");
    assert_eq!(errs.len(), 5);
}

#[test]
fn unknown_department_says_nothing_personal() {
    let mut g = valid_grid(1);
    set(&mut g, 1, "院系", "数学学院");
    let errs = errors(&g);
    has(&errs, 2, "院系", "roster.unknown_department");
    let text = format!("{} {}", errs[0].msg.zh, errs[0].msg.en);
    assert!(!text.contains(&g[1][1]) && !text.contains(&g[1][2]) && !text.contains(&g[1][0]));
    assert!(text.contains("数学学院"));
}

#[test]
fn bad_month_and_bad_prior_date() {
    let mut g = valid_grid(2);
    g[0].push("往次采集时间".into());
    g[1].push("2023-02-30".into());
    g[2].push("2023-07-01".into());
    set(&mut g, 1, "预计毕业时间", "明年夏天");
    set(&mut g, 2, "预计毕业时间", "2024-13");
    let errs = errors(&g);
    has(&errs, 2, "预计毕业时间", "roster.bad_month");
    has(&errs, 2, "往次采集时间", "roster.bad_date");
    has(&errs, 3, "预计毕业时间", "roster.bad_month");
    assert_eq!(errs.len(), 3);
}

#[test]
fn duplicate_student_number_names_the_first_row() {
    let mut g = valid_grid(3);
    let first = g[1][0].clone();
    set(&mut g, 3, "学号", &format!(" {first} "));
    set(&mut g, 3, "院系", "不存在的学院");
    let errs = errors(&g);
    has(&errs, 4, "学号", "roster.duplicate_student_no");
    has(&errs, 4, "院系", "roster.unknown_department");
    let dup = errs
        .iter()
        .find(|e| e.msg.code == "roster.duplicate_student_no")
        .unwrap();
    assert!(dup.msg.zh.contains("第 2 行") && dup.msg.en.contains("row 2"));
    assert_eq!(errs.len(), 2, "the first occurrence is not an error");
}

#[test]
fn duplicate_id_number_names_the_first_row_without_the_number() {
    let mut g = valid_grid(3);
    let first = g[2][2].to_lowercase();
    set(&mut g, 3, "证件号码", &first);
    let errs = errors(&g);
    has(&errs, 4, "证件号码", "roster.duplicate_id_number");
    assert!(errs[0].msg.zh.contains("第 3 行") && errs[0].msg.en.contains("row 3"));
    assert!(!errs[0].msg.zh.contains(&g[2][2]) && !errs[0].msg.en.contains(&g[2][2]));
    assert_eq!(errs.len(), 1);
}

#[test]
fn reports_every_error_of_every_row() {
    let mut g = valid_grid(4);
    set(&mut g, 1, "学号", "!");
    set(&mut g, 1, "学历层次", "x");
    set(&mut g, 3, "院系", "");
    set(&mut g, 4, "预计毕业时间", "soon");
    set(&mut g, 4, "姓名", "");
    let errs = errors(&g);
    let at: Vec<(usize, &str)> = errs.iter().map(|e| (e.row, e.msg.code.as_str())).collect();
    assert_eq!(
        at,
        [
            (2, "roster.invalid_student_no"),
            (2, "roster.unknown_level"),
            (4, "roster.required_empty"),
            (5, "roster.required_empty"),
            (5, "roster.bad_month"),
        ]
    );
}

#[test]
fn study_mode_marks_in_service_students() {
    let mut g = valid_grid(4);
    for r in &mut g {
        r.push(String::new());
    }
    g[0][6] = "学习方式".into();
    set(&mut g, 1, "学习方式", "非全日制");
    set(&mut g, 2, "学习方式", "全日制");
    set(&mut g, 3, "学习方式", "");
    set(&mut g, 4, "学习方式", "Part-time");
    let s = validate_grid(&g, &departments()).expect("valid");
    assert_eq!(
        s.iter().map(|s| s.in_service).collect::<Vec<_>>(),
        [true, false, false, true],
        "empty is full-time"
    );
    // Without the column everyone is full-time.
    let s = validate_grid(&valid_grid(2), &departments()).expect("valid");
    assert!(s.iter().all(|s| !s.in_service));
    set(&mut g, 2, "学习方式", "夜大");
    has(&errors(&g), 3, "学习方式", "roster.unknown_study_mode");
    // A 在职 column says yes or no.
    g[0][6] = "在职".into();
    set(&mut g, 2, "在职", "是");
    let s = validate_grid(&g, &departments()).expect("valid");
    assert!(s[1].in_service);
}
