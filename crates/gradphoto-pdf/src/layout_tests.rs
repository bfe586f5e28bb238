//! Pagination tests with the fake font of `wrap::tests` (ideographs 1 em, the rest ½ em).

use super::*;
use crate::model::{Column, Document, Table};
use crate::wrap::tests::Mono;

fn texts(page: &Page) -> Vec<&str> {
    page.items
        .iter()
        .filter_map(|i| match i {
            Item::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn sheet(rows: usize) -> Document {
    let mut table = Table::new(vec![
        Column::new("拍摄号", 1.0).center(),
        Column::new("学号", 2.0),
        Column::new("姓名", 1.5),
        Column::new("院系", 3.0).clip(),
        Column::new("学生签名", 2.0),
    ])
    .min_row_height(30.0);
    for n in 1..=rows {
        table.row([
            n.to_string(),
            format!("2021{n:08}"),
            "张三".to_owned(),
            "计算机科学与技术学院".to_owned(),
            String::new(),
        ]);
    }
    let mut doc = Document::new("全国高校毕业生信息采集学生名单").landscape();
    doc.table(table);
    doc
}

/// The body rows' numbers on each page, in order.
fn numbers_per_page(pages: &[Page]) -> Vec<Vec<usize>> {
    pages
        .iter()
        .map(|p| {
            // The shooting numbers, not the 12-digit student numbers.
            texts(p)
                .iter()
                .filter(|t| t.len() <= 3)
                .filter_map(|t| t.parse().ok())
                .collect()
        })
        .collect()
}

#[test]
fn a_long_table_breaks_into_pages_with_every_row_once() {
    let pages = lay_out(&sheet(40), &Mono).expect("lays out");
    // Landscape A4: 595.3 pt high, 42.5 pt margins. Page 1 has the title (24 pt + 7.9),
    // then a third of a line (5 pt) before the table, a 23 pt header and 30 pt rows:
    // (552.8 − 79.4 − 23) / 30 = 15 rows; later pages (552.8 − 42.5 − 23) / 30 = 16.
    let per_page = numbers_per_page(&pages);
    assert_eq!(
        per_page.iter().map(Vec::len).collect::<Vec<_>>(),
        [15, 16, 9]
    );
    let all: Vec<usize> = per_page.concat();
    assert_eq!(all, (1..=40).collect::<Vec<_>>());
}

#[test]
fn the_header_repeats_and_every_page_has_its_footer() {
    let pages = lay_out(&sheet(40), &Mono).expect("lays out");
    let total = pages.len();
    for (i, page) in pages.iter().enumerate() {
        let t = texts(page);
        assert_eq!(
            t.iter().filter(|t| **t == "拍摄号").count(),
            1,
            "page {}",
            i + 1
        );
        assert_eq!(t.iter().filter(|t| **t == "学生签名").count(), 1);
        let footer = format!("第 {} 页 / 共 {} 页", i + 1, total);
        assert_eq!(t.last(), Some(&footer.as_str()));
    }
    // The title is on the first page only.
    assert!(texts(&pages[0]).contains(&"全国高校毕业生信息采集学生名单"));
    assert!(!texts(&pages[1]).contains(&"全国高校毕业生信息采集学生名单"));
}

#[test]
fn everything_stays_inside_the_margins() {
    let doc = sheet(40);
    let pages = lay_out(&doc, &Mono).expect("lays out");
    let (w, h) = doc.orientation.size_pt();
    let m = doc.style.margin;
    for page in &pages {
        for item in &page.items {
            match item {
                Item::Text {
                    x, y, size, text, ..
                } => {
                    assert!(*x >= m - 0.01 && x + Mono.width(text, *size) <= w - m + 0.01);
                    assert!(*y > 0.0 && *y < h, "{text} at {y}");
                }
                Item::Line { y1, y2, .. } => {
                    assert!(*y1 >= m - 0.01 && *y2 <= h - m + 0.01, "{y1}..{y2}");
                }
                Item::Fill { .. } => {}
            }
        }
    }
}

#[test]
fn clipped_cells_keep_one_line_and_wrapped_cells_grow_the_row() {
    let mut table = Table::new(vec![
        Column::new("院系", 1.0).clip(),
        Column::new("备注", 1.0),
    ]);
    let long = "计算机科学与技术学院软件工程系".repeat(4);
    table.row([long.clone(), long.clone()]);
    let mut doc = Document::new("t");
    doc.table(table);
    let pages = lay_out(&doc, &Mono).expect("lays out");
    let t = texts(&pages[0]);
    let clipped: Vec<_> = t.iter().filter(|s| s.ends_with('…')).collect();
    assert_eq!(clipped.len(), 1);
    // The wrapped cell: its lines, put back together, are the whole text.
    let body: String = t
        .iter()
        .filter(|s| !matches!(**s, "院系" | "备注" | "t"))
        .filter(|s| !s.ends_with('…') && !s.starts_with("第 "))
        .copied()
        .collect();
    assert_eq!(body, long);
}

#[test]
fn paragraphs_flow_over_pages_and_headings_keep_with_the_next_line() {
    let mut doc = Document::new("通知");
    let para = "毕业生须本人到场拍摄，并携带身份证和采集码。".repeat(120);
    doc.paragraph(para.clone());
    doc.heading("五、补拍");
    doc.paragraph("未能按时拍摄者，请联系院系秘书。");
    let pages = lay_out(&doc, &Mono).expect("lays out");
    assert!(pages.len() >= 2);
    let all: Vec<&str> = pages.iter().flat_map(texts).collect();
    let joined: String = all.iter().filter(|t| para.contains(**t)).copied().collect();
    assert_eq!(joined, para);
    // The heading is never the last body line of a page.
    for page in &pages {
        let t = texts(page);
        let body = &t[..t.len() - 1]; // less the footer
        assert_ne!(body.last(), Some(&"五、补拍"));
    }
}

#[test]
fn an_empty_table_still_shows_its_header() {
    let mut doc = Document::new("空表");
    doc.table(Table::new(vec![Column::new("姓名", 1.0)]));
    let pages = lay_out(&doc, &Mono).expect("lays out");
    assert_eq!(pages.len(), 1);
    assert!(texts(&pages[0]).contains(&"姓名"));
}

#[test]
fn bad_tables_and_styles_are_refused() {
    let mut doc = Document::new("t");
    let mut table = Table::new(vec![Column::new("a", 1.0), Column::new("b", 1.0)]);
    table.row(["only one"]);
    doc.table(table);
    let err = lay_out(&doc, &Mono).expect_err("row too short");
    assert!(
        err.to_string().contains("row 1 has 1 cells for 2 columns"),
        "{err}"
    );

    let mut doc = Document::new("t");
    doc.table(Table::new(vec![Column::new("a", 0.0)]));
    assert!(matches!(
        lay_out(&doc, &Mono),
        Err(PdfError::InvalidTable { .. })
    ));

    let mut doc = Document::new("t");
    doc.style.margin = 400.0;
    assert!(matches!(
        lay_out(&doc, &Mono),
        Err(PdfError::InvalidStyle(_))
    ));
    doc.style.margin = 42.5;
    doc.style.body_size = f32::NAN;
    assert!(matches!(
        lay_out(&doc, &Mono),
        Err(PdfError::InvalidStyle(_))
    ));
}

#[test]
fn a_row_taller_than_a_page_is_cut_not_lost() {
    let mut table = Table::new(vec![Column::new("备注", 1.0)]);
    table.row(["很长的说明".repeat(2000)]).row(["下一行"]);
    let mut doc = Document::new("t");
    doc.table(table);
    let pages = lay_out(&doc, &Mono).expect("lays out");
    let all: Vec<&str> = pages.iter().flat_map(texts).collect();
    assert!(all.contains(&"下一行"));
}
