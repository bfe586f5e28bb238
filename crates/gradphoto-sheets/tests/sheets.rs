//! Reading and writing real file bytes: XLSX round trips, Chinese CSV encodings, binary
//! junk and the limits, and a roster file going all the way through domain validation.

use gradphoto_domain::roster::{DepartmentRef, validate_grid};
use gradphoto_sheets::{Limits, Sheet, SheetError, read_grid, write_xlsx};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn read(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    read_grid(bytes, &Limits::default())
}

/// A valid resident ID (GB 11643 worked example).
const ID: &str = "11010519491231002X";

#[test]
fn xlsx_round_trip_keeps_text_and_leading_zeros() {
    let roster = Sheet {
        name: "名单".into(),
        headers: vec![
            "学号".into(),
            "姓名".into(),
            "证件号码".into(),
            "备注".into(),
        ],
        rows: strings(&[
            &["0012021", "张三", ID, ""],
            &["000", "O'Brien", "000123", "=1+1"],
            &["2021003", " 李四 ", "E12345678", "多行\n文字"],
        ]),
    };
    let other = Sheet {
        name: "名单".into(),
        headers: vec!["x".into()],
        rows: vec![],
    };
    let bytes = write_xlsx(&[roster.clone(), other]).unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let grid = read(&bytes).unwrap();
    assert_eq!(grid[0], roster.headers);
    assert_eq!(grid[1], ["0012021", "张三", ID]);
    assert_eq!(
        grid[2],
        ["000", "O'Brien", "000123", "=1+1"],
        "formulas stay text"
    );
    assert_eq!(grid[3], ["2021003", "李四", "E12345678", "多行\n文字"]);
    assert_eq!(grid.len(), 4);
}

#[test]
fn numeric_and_date_cells_read_as_typed() {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(0, 0, "学号").unwrap();
    ws.write_string(0, 1, "证件号码").unwrap();
    ws.write_string(0, 2, "往次采集日期").unwrap();
    ws.write_string(0, 3, "分数").unwrap();
    ws.write_number(1, 0, 2021001.0).unwrap();
    // An ID typed as a number: Excel shows it in scientific notation; we must not.
    ws.write_number(1, 1, 123456789012345.0).unwrap();
    let date = ExcelDateTime::from_ymd(2023, 7, 1).unwrap();
    ws.write_datetime_with_format(1, 2, &date, &Format::new().set_num_format("yyyy/m/d"))
        .unwrap();
    ws.write_number(1, 3, 88.5).unwrap();
    let grid = read(&book.save_to_buffer().unwrap()).unwrap();
    assert_eq!(
        grid[1],
        ["2021001", "123456789012345", "2023-07-01", "88.5"]
    );
}

#[test]
fn used_range_not_at_a1_keeps_row_numbers() {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(2, 1, "学号").unwrap();
    ws.write_string(3, 1, "001").unwrap();
    let grid = read(&book.save_to_buffer().unwrap()).unwrap();
    assert_eq!(
        grid,
        vec![
            vec![],
            vec![],
            vec!["".to_string(), "学号".into()],
            vec!["".into(), "001".into()]
        ]
    );
}

#[test]
fn gbk_csv_with_chinese_headers() {
    let text = "学号,姓名,院系\r\n0012021,张三,数学科学学院\r\n";
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the test must really be GBK"
    );
    let grid = read(&bytes).unwrap();
    assert_eq!(
        grid,
        strings(&[
            &["学号", "姓名", "院系"],
            &["0012021", "张三", "数学科学学院"]
        ])
    );
}

#[test]
fn utf8_csv_with_bom_tabs_and_semicolons() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend("学号\t姓名\n001\t\"王, 五\"\n\n\n".as_bytes());
    assert_eq!(
        read(&bytes).unwrap(),
        strings(&[&["学号", "姓名"], &["001", "王, 五"]])
    );
    let semi = "Student No;Name\n 007 ;Ann\n".as_bytes();
    assert_eq!(
        read(semi).unwrap(),
        strings(&[&["Student No", "Name"], &["007", "Ann"]])
    );
}

#[test]
fn binary_files_are_not_spreadsheets() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10";
    assert_eq!(read(png), Err(SheetError::NotASpreadsheet));
    assert_eq!(read(b"\x89PNG\r\n\x1a\n"), Err(SheetError::NotASpreadsheet));
    let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Length 5 >>\nstream\n\x01\x02\x03\xff\xfe\nendstream";
    assert_eq!(read(pdf), Err(SheetError::NotASpreadsheet));
    // Deterministic pseudo-random bytes (xorshift), no seed-dependent flakiness.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let junk: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    assert_eq!(read(&junk), Err(SheetError::NotASpreadsheet));
    let msg = SheetError::NotASpreadsheet.message();
    assert_eq!(msg.code, "sheet.not_a_spreadsheet");
    assert!(!msg.zh.is_empty() && !msg.en.is_empty());
}

#[test]
fn broken_xlsx_is_unreadable() {
    let mut bytes = write_xlsx(&[]).unwrap();
    bytes.truncate(bytes.len() / 2);
    let err = read(&bytes).unwrap_err();
    assert!(matches!(err, SheetError::Unreadable(_)), "{err:?}");
    assert_eq!(err.message().code, "sheet.unreadable");
    assert!(
        !err.message().en.contains("zip"),
        "no internal detail in the message"
    );
}

#[test]
fn empty_files() {
    assert_eq!(read(b""), Err(SheetError::Empty));
    assert_eq!(read(b"\xEF\xBB\xBF \r\n\r\n"), Err(SheetError::Empty));
    let blank = write_xlsx(&[Sheet {
        name: "a".into(),
        headers: vec![],
        rows: vec![],
    }])
    .unwrap();
    assert_eq!(read(&blank), Err(SheetError::Empty));
}

#[test]
fn size_limit_checked_before_parsing() {
    let limits = Limits {
        max_bytes: 16,
        ..Limits::default()
    };
    // Junk that would otherwise be NotASpreadsheet: the size check must come first.
    let junk = vec![0u8; 17];
    assert_eq!(
        read_grid(&junk, &limits),
        Err(SheetError::TooLarge { size: 17, max: 16 })
    );
    assert!(read_grid(b"a,b\n1,2\n", &limits).is_ok());
    let m = SheetError::TooLarge {
        size: 11 << 20,
        max: 10 << 20,
    }
    .message();
    assert!(m.zh.contains("10 MB") && m.en.contains("10 MB"));
}

#[test]
fn row_and_column_limits_apply_to_xlsx() {
    let sheet = Sheet {
        name: "s".into(),
        headers: vec!["a".into(), "b".into(), "c".into()],
        rows: strings(&[&["1", "2", "3"], &["4", "5", "6"]]),
    };
    let bytes = write_xlsx(&[sheet]).unwrap();
    let rows = Limits {
        max_rows: 2,
        ..Limits::default()
    };
    assert_eq!(
        read_grid(&bytes, &rows),
        Err(SheetError::TooManyRows { max: 2 })
    );
    let cols = Limits {
        max_cols: 2,
        ..Limits::default()
    };
    assert_eq!(
        read_grid(&bytes, &cols),
        Err(SheetError::TooManyColumns { max: 2 })
    );
    assert_eq!(
        Limits::default(),
        Limits {
            max_bytes: 10 * 1024 * 1024,
            max_rows: 100_000,
            max_cols: 100
        }
    );
}

#[test]
fn roster_file_validates_end_to_end() {
    let sheet = Sheet {
        name: "2025届".into(),
        headers: [
            "学号",
            "姓名",
            "证件号码",
            "学历层次",
            "院系",
            "预计毕业时间",
        ]
        .map(String::from)
        .to_vec(),
        rows: strings(&[&["0012021", "张三", ID, "博士", "MATH", "2025-06"]]),
    };
    let grid = read(&write_xlsx(&[sheet]).unwrap()).unwrap();
    let depts = [DepartmentRef {
        name: "数学科学学院".into(),
        code: Some("MATH".into()),
    }];
    let students = validate_grid(&grid, &depts).unwrap();
    assert_eq!(students[0].student_no.as_str(), "0012021");
    assert_eq!(students[0].id.number(), ID);
    assert_eq!(students[0].department, "数学科学学院");
}

/// A few-KB file whose two cells sit at opposite corners of the sheet must be refused
/// from its cells, not after allocating every cell in between.
#[test]
fn far_apart_cells_are_refused_without_a_dense_allocation() {
    let file = |row: u32, col: u16| {
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        ws.write_string(0, 0, "学号").expect("write");
        ws.write_string(row, col, "x").expect("write");
        book.save_to_buffer().expect("xlsx")
    };
    let bomb = file(1_048_575, 16_383);
    assert!(bomb.len() < 20_000, "a small file: {}", bomb.len());
    let limits = Limits::default();
    assert!(matches!(
        read_grid(&bomb, &limits),
        Err(SheetError::TooManyRows { .. })
    ));
    let wide = file(1, 16_383);
    assert!(matches!(
        read_grid(&wide, &limits),
        Err(SheetError::TooManyColumns { .. })
    ));
    // Within the limits the same shape reads, sparse cells in place.
    let ok = file(3, 2);
    let grid = read_grid(&ok, &limits).expect("reads");
    assert_eq!(grid[0][0], "学号");
    assert_eq!(grid[3][2], "x");
}

/// A legacy Excel file (.xls, BIFF8 in an OLE container, as Excel 97–2003 saves it; made
/// by `tests/fixtures/make_xls.py`): text cells keep their leading zeros and the X of an
/// ID number, a number comes back without a decimal point, a date as the user saw it.
#[test]
fn a_legacy_xls_reads_as_the_user_sees_it() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/roster.xls"
    ))
    .expect("the fixture");
    let grid = read(&bytes).expect("an .xls reads");
    assert_eq!(grid.len(), 4, "{grid:?}");
    assert_eq!(grid[0][0], "学号");
    assert_eq!(grid[0][7], "预计毕业时间");
    assert_eq!(
        grid[1],
        [
            "0240001",
            "欧阳娜",
            "居民身份证",
            "11010119990101103X",
            "硕士",
            "双证",
            "数学科学学院",
            "2024-01",
            "毕业",
            "2021",
            "2023-10-08"
        ]
    );
    assert_eq!(grid[3][0], "0240003");
    // Cut short, it is refused as unreadable, never a panic.
    assert!(read(&bytes[..bytes.len() / 2]).is_err());
}
