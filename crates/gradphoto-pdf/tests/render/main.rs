//! Renders a three-page shooting sheet with the installed CJK font and reads the PDF back:
//! structure, subset size, ToUnicode, page count, and (when poppler's `pdftotext` is
//! installed) the text a real PDF reader extracts.
//!
//! The font is `DEFAULT_FONT_PATH` (from `scripts/fetch-fonts`) or `GRADPHOTO_TEST_FONT`;
//! without it the test says so and passes. `GRADPHOTO_TEST_PDF_OUT=FILE` keeps the PDF to
//! look at.

mod parse;

use std::process::Command;

use gradphoto_pdf::{Column, DEFAULT_FONT_PATH, Document, Font, Table, render};
use parse::{Parsed, shown_strings, to_unicode, value_after};

const TITLE: &str = "全国高校毕业生信息采集学生名单";
const ROWS: usize = 40;
const NAMES: [&str; 8] = [
    "张三",
    "李四",
    "王小明",
    "欧阳娜娜",
    "Zhang Wei",
    "赵六",
    "钱七",
    "Aigerim Serikbayeva",
];

fn load_font() -> Option<(Font, usize)> {
    let path =
        std::env::var("GRADPHOTO_TEST_FONT").unwrap_or_else(|_| DEFAULT_FONT_PATH.to_owned());
    match std::fs::read(&path) {
        Ok(bytes) => {
            let len = bytes.len();
            Some((
                Font::from_bytes(bytes).expect("the installed font is usable"),
                len,
            ))
        }
        Err(e) => {
            eprintln!("skipped: no CJK font at {path} ({e}); run scripts/fetch-fonts");
            None
        }
    }
}

fn name(n: usize) -> &'static str {
    NAMES[n % NAMES.len()]
}

fn shooting_sheet() -> Document {
    let mut table = Table::new(vec![
        Column::new("拍摄号", 1.0).center(),
        Column::new("学号", 2.0).center(),
        Column::new("姓名", 2.0),
        Column::new("院系", 3.0).clip(),
        Column::new("学生签名", 2.0),
        Column::new("确认", 2.0),
    ])
    .min_row_height(30.0);
    for n in 1..=ROWS {
        let department = if n % 3 == 0 {
            "外国语学院 School of Foreign Languages and Literatures"
        } else {
            "计算机科学与技术学院"
        };
        let confirmed = if n % 4 == 0 { "已确认 10:32" } else { "" };
        table.row([
            n.to_string(),
            format!("2021{n:08}"),
            name(n).to_owned(),
            department.to_owned(),
            String::new(),
            confirmed.to_owned(),
        ]);
    }
    let mut doc = Document::new(TITLE).landscape();
    doc.paragraph("采集任务：2025届毕业生图像信息采集　地点：新太阳学生活动中心105　日期：2025-05-20 9:30–12:00");
    doc.table(table);
    doc
}

#[test]
fn a_multi_page_sheet_reads_back_as_chinese_text() {
    let Some((font, font_len)) = load_font() else {
        return;
    };
    let pdf = render(&shooting_sheet(), &font).expect("renders");
    if let Ok(out) = std::env::var("GRADPHOTO_TEST_PDF_OUT") {
        std::fs::write(&out, &pdf).expect("writes GRADPHOTO_TEST_PDF_OUT");
    }

    assert!(pdf.starts_with(b"%PDF-1.7"));
    assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
    let parsed = Parsed::new(&pdf).expect("xref offsets point at their objects");

    // The subset: a few hundred glyphs out of ~30,000.
    let font_file = parsed.objects_with("/Length1");
    assert_eq!(font_file.len(), 1, "one embedded font program");
    let program = parsed.stream(font_file[0]);
    let length1 = value_after(&parsed.dict(font_file[0]), "/Length1").expect("/Length1");
    assert_eq!(program.len(), length1 as usize);
    assert!(
        program.len() * 20 < font_len,
        "subset {} bytes vs font {font_len}",
        program.len()
    );
    assert!(
        program.starts_with(&[0, 1, 0, 0]),
        "a TrueType font program"
    );
    let type0 = parsed.objects_with("/Type0");
    assert_eq!(type0.len(), 1);
    let type0 = parsed.dict(type0[0]);
    assert!(type0.contains("/Identity-H"));
    let cid_font = parsed.dict(parsed.objects_with("/CIDFontType2")[0]);
    assert!(cid_font.contains("/CIDToGIDMap /Identity"));

    // Every shown string decodes through the ToUnicode CMap.
    let cmap_id = value_after(&type0, "/ToUnicode").expect("/ToUnicode");
    let cmap = to_unicode(&String::from_utf8_lossy(&parsed.stream(cmap_id)));
    let page_ids = parsed.objects_with("/Type /Page\n");
    let pages: Vec<Vec<String>> = page_ids
        .iter()
        .map(|id| {
            let contents = value_after(&parsed.dict(*id), "/Contents").expect("/Contents");
            shown_strings(&parsed.stream(contents))
                .iter()
                .map(|s| {
                    s.chunks(2)
                        .map(|p| {
                            let cid = u16::from_be_bytes([p[0], p[1]]);
                            cmap.get(&cid)
                                .cloned()
                                .unwrap_or_else(|| format!("<{cid}>"))
                        })
                        .collect()
                })
                .collect()
        })
        .collect();

    // Landscape A4 holds 15 rows of 30 pt under the title and paragraph, then 16 a page.
    assert_eq!(pages.len(), 3, "{ROWS} rows on three pages");
    let tree = parsed.dict(parsed.objects_with("/Type /Pages")[0]);
    assert_eq!(value_after(&tree, "/Count"), Some(3));
    assert!(pages[0].contains(&TITLE.to_owned()), "{:?}", pages[0]);
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&"拍摄号".to_owned()),
            "header on page {}",
            i + 1
        );
        assert!(page.contains(&"学生签名".to_owned()));
        assert!(
            page.contains(&format!("第 {} 页 / 共 3 页", i + 1)),
            "{page:?}"
        );
    }
    let all: Vec<&String> = pages.iter().flatten().collect();
    let numbers: Vec<usize> = all
        .iter()
        .filter(|t| t.len() <= 2)
        .filter_map(|t| t.parse().ok())
        .collect();
    assert_eq!(
        numbers,
        (1..=ROWS).collect::<Vec<_>>(),
        "every number once, in order"
    );
    for n in 1..=ROWS {
        assert!(
            all.contains(&&format!("2021{n:08}")),
            "student number of row {n}"
        );
    }
    for want in NAMES
        .iter()
        .chain(&["已确认 10:32", "计算机科学与技术学院"])
    {
        assert!(all.iter().any(|t| t.as_str() == *want), "{want} not found");
    }
    assert!(
        all.iter()
            .any(|t| t.starts_with("外国语学院 School") && t.ends_with('…'))
    );
    assert!(
        !all.iter().any(|t| t.contains('<')),
        "every glyph maps to a character"
    );

    check_pdftotext(&pdf);
}

/// What a real reader extracts. Skips when poppler-utils is not installed; the test
/// scripts do not install it.
fn check_pdftotext(pdf: &[u8]) {
    let dir = std::env::temp_dir().join(format!("gradphoto-pdf-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("sheet.pdf");
    std::fs::write(&file, pdf).expect("writes the PDF");
    let result = Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output();
    std::fs::remove_dir_all(&dir).ok();
    let output = match result {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "skipped the pdftotext check: pdftotext not installed (apt-get install poppler-utils)"
            );
            return;
        }
        Err(e) => panic!("pdftotext failed to start: {e}"),
    };
    assert!(
        output.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // pdftotext guesses spaces from gaps and drops narrow ones between ideographs.
    let text: String = String::from_utf8_lossy(&output.stdout)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for want in [TITLE, "王小明", "ZhangWei", "第3页/共3页", "202100000040"] {
        assert!(text.contains(want), "pdftotext lacks {want:?}:\n{text}");
    }
}

/// The campaign notice: portrait, headings, paragraphs and a schedule table on one page.
fn notice() -> Document {
    let mut doc = Document::new("关于开展2025届毕业生图像信息采集工作的通知");
    doc.paragraph(
        "各学院：\n\u{3000}\u{3000}根据教育部学籍学历管理要求，现将我校2025届毕业生图像信息采集工作安排如下。",
    );
    doc.heading("一、采集对象");
    doc.paragraph("2025年6月及以前毕业的全日制本科生、研究生（含延期毕业生）。Students who graduate by June 2025.");
    doc.heading("二、时间和地点");
    let mut schedule = Table::new(vec![
        Column::new("日期", 2.0).center(),
        Column::new("时间", 2.0).center(),
        Column::new("地点", 3.0),
        Column::new("学院", 4.0),
    ]);
    schedule
        .row([
            "5月20日",
            "9:30–12:00",
            "新太阳学生活动中心105",
            "计算机科学与技术学院、外国语学院",
        ])
        .row([
            "5月21日",
            "13:00–17:30",
            "新太阳学生活动中心106",
            "经济学院",
        ]);
    doc.table(schedule);
    doc.heading("三、收费");
    doc.paragraph("每人20元，现场以微信或支付宝支付。");
    doc
}

#[test]
fn a_notice_prints_on_one_portrait_page() {
    let Some((font, _)) = load_font() else { return };
    let pdf = render(&notice(), &font).expect("renders");
    if let Ok(out) = std::env::var("GRADPHOTO_TEST_NOTICE_OUT") {
        std::fs::write(&out, &pdf).expect("writes GRADPHOTO_TEST_NOTICE_OUT");
    }
    let parsed = Parsed::new(&pdf).expect("xref offsets point at their objects");
    let pages = parsed.objects_with("/Type /Page\n");
    assert_eq!(pages.len(), 1);
    assert!(
        parsed.dict(pages[0]).contains("595.276 841.89"),
        "A4 portrait"
    );
}

#[test]
fn missing_characters_are_reported() {
    let Some((font, _)) = load_font() else { return };
    assert!(font.missing_chars("全国高校 Zhang Wei 2025").is_empty());
    assert!(!font.postscript_name().is_empty());
    // A private-use character no font draws.
    assert_eq!(font.missing_chars("张\u{E000}三\u{E000}"), ['\u{E000}']);
}

/// A tiny valid baseline JPEG (8×8, grey), written by hand so the test needs no encoder.
fn tiny_jpeg() -> Vec<u8> {
    // The picture is embedded as it is (DCTDecode): its bytes only have to arrive whole.
    let mut j = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1,
    ];
    j.extend_from_slice(&[0, 1, 0, 0]);
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

#[test]
fn picture_pages_follow_the_text_at_their_own_size() {
    use gradphoto_pdf::PicturePage;
    let Some((font, _)) = load_font() else { return };
    let mut doc = notice();
    let jpeg = tiny_jpeg();
    for _ in 0..2 {
        doc.picture(PicturePage {
            width_pt: 430.866,
            height_pt: 289.134,
            jpeg: jpeg.clone(),
            width_px: 1795,
            height_px: 1205,
        });
    }
    let pdf = render(&doc, &font).expect("renders");
    let parsed = Parsed::new(&pdf).expect("xref offsets point at their objects");
    let pages = parsed.objects_with("/Type /Page\n");
    assert_eq!(pages.len(), 3, "the notice's page, then two pictures");
    let sizes: Vec<bool> = pages
        .iter()
        .map(|p| parsed.dict(*p).contains("430.866 289.134"))
        .collect();
    assert_eq!(sizes, [false, true, true]);
    let images = parsed.objects_with("/Subtype /Image");
    assert_eq!(images.len(), 2);
    for i in images {
        let d = parsed.dict(i);
        assert!(d.contains("/DCTDecode") && d.contains("/Width 1795"), "{d}");
        assert_eq!(parsed.stream(i), jpeg, "embedded as it is");
    }
}
