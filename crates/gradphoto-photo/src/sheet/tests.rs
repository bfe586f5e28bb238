//! Rendering and PDF tests. The PDF is checked by hand-parsing the few structures that a
//! printer's RIP relies on: header, xref offsets, MediaBox, stream lengths.

use image::ImageEncoder as _;

use super::*;

fn photo(f: impl Fn(u32, u32) -> [u8; 3]) -> Rgb {
    Rgb::from_fn(480, 640, f)
}

fn px(img: &Rgb, x: u32, y: u32) -> [u8; 3] {
    let i = ((y * img.width + x) * 3) as usize;
    [img.data[i], img.data[i + 1], img.data[i + 2]]
}

#[test]
fn render_places_the_photo_where_the_layout_says() {
    // Blue background, a red square in the middle, a green bar along the bottom.
    let src = photo(|x, y| {
        if y >= 600 {
            [0, 200, 0]
        } else if (200..280).contains(&x) && (280..360).contains(&y) {
            [220, 20, 20]
        } else {
            [100, 197, 255]
        }
    });
    let spec = PrintSpec::default();
    let l = layout(&spec).expect("layout");
    let sheet = render(&src, "2023012345", &spec).expect("render");
    assert_eq!((sheet.width, sheet.height), l.sheet_px);
    assert_eq!(sheet.data.len(), 1795 * 1205 * 3);
    for p in &l.prints {
        // Corners: background (top) and bar (bottom); centre: the red square.
        assert_eq!(px(&sheet, p.x, p.y), [100, 197, 255]);
        assert_eq!(px(&sheet, p.right() - 1, p.y), [100, 197, 255]);
        assert_eq!(px(&sheet, p.x, p.bottom() - 1), [0, 200, 0]);
        assert_eq!(px(&sheet, p.x + p.w / 2, p.y + p.h / 2), [220, 20, 20]);
        // Just outside: white gap (or a mark, which is grey).
        for (x, y) in [
            (p.x - 1, p.y + 40),
            (p.right(), p.y + 40),
            (p.x + 40, p.y - 1),
        ] {
            assert_eq!(px(&sheet, x, y), [255; 3], "({x}, {y}) next to {p:?}");
        }
    }
    for m in &l.marks {
        assert_eq!(px(&sheet, m.rect.x, m.rect.y), MARK_GREY);
    }
    // Ink only in the label box, outside the prints and marks.
    let mut ink = 0;
    for y in 0..sheet.height {
        for x in 0..sheet.width {
            if px(&sheet, x, y) == LABEL_INK {
                ink += 1;
                assert!(l.label.contains(x, y), "label ink at ({x}, {y})");
            }
        }
    }
    assert!(ink > 500, "{ink} label pixels");
    // Everything that is no print, mark or label is white.
    let outside = |x: u32, y: u32| {
        !l.prints.iter().any(|p| p.contains(x, y))
            && !l.marks.iter().any(|m| m.rect.contains(x, y))
            && !l.label.contains(x, y)
    };
    for y in (0..sheet.height).step_by(3) {
        for x in (0..sheet.width).step_by(3) {
            if outside(x, y) {
                assert_eq!(px(&sheet, x, y), [255; 3], "({x}, {y})");
            }
        }
    }
}

#[test]
fn the_label_names_student_size_and_count() {
    let spec = PrintSpec::default();
    let l = layout(&spec).expect("layout");
    let t = label_text("2023012345", &spec, &l).expect("fits");
    assert_eq!(t, "2023012345  \u{b7}  35\u{d7}49 mm  \u{b7}  8/8");
    // A long number still fits, alone.
    let long = "X".repeat(MAX_STUDENT_NO_LEN);
    assert_eq!(label_text(&long, &spec, &l).expect("fits"), long);
    let half = PrintSpec {
        photo_mm: (35.5, 49.0),
        ..spec
    };
    let l = layout(&half).expect("layout");
    assert!(
        label_text("1", &half, &l)
            .expect("fits")
            .contains("35.5\u{d7}49 mm")
    );
}

#[test]
fn bad_inputs_are_errors() {
    let spec = PrintSpec::default();
    let ok = photo(|_, _| [1, 2, 3]);
    for no in ["", "   ", " 123", "123 ", "学号123", "12\n34", "a\u{7f}"] {
        assert!(
            matches!(render(&ok, no, &spec), Err(SheetError::StudentNo(_))),
            "{no:?} accepted"
        );
    }
    let long = "1".repeat(MAX_STUDENT_NO_LEN + 1);
    assert!(matches!(
        render(&ok, &long, &spec),
        Err(SheetError::StudentNo(_))
    ));
    let mut short = ok.clone();
    short.data.pop();
    assert!(matches!(
        render(&short, "1", &spec),
        Err(SheetError::Photo(_))
    ));
    let empty = Rgb {
        width: 0,
        height: 0,
        data: Vec::new(),
    };
    assert!(matches!(
        render(&empty, "1", &spec),
        Err(SheetError::Photo(_))
    ));
    let huge = Rgb {
        width: u32::MAX,
        height: u32::MAX,
        data: Vec::new(),
    };
    assert!(matches!(
        render(&huge, "1", &spec),
        Err(SheetError::Photo(_))
    ));
    let bad = PrintSpec { copies: 0, ..spec };
    assert!(matches!(render(&ok, "1", &bad), Err(SheetError::Spec(_))));
}

// --- PDF ---------------------------------------------------------------------------------

fn encode_jpeg(img: &Rgb) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode(
            &img.data,
            img.width,
            img.height,
            image::ExtendedColorType::Rgb8,
        )
        .expect("encode");
    out
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The text of object `n`, up to its stream or `endobj` (the dictionary).
fn dict(pdf: &[u8], n: usize) -> String {
    let start = find(pdf, format!("\n{n} 0 obj\n").as_bytes(), 0).expect("object") + 1;
    let end = [find(pdf, b"stream\n", start), find(pdf, b"endobj", start)]
        .into_iter()
        .flatten()
        .min()
        .expect("object end");
    String::from_utf8_lossy(&pdf[start..end]).into_owned()
}

/// The stream of object `n`, checked against its `/Length`.
fn stream(pdf: &[u8], n: usize) -> &[u8] {
    let d = dict(pdf, n);
    let len: usize = d
        .split("/Length ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.trim_end_matches(">>").parse().ok())
        .expect("/Length");
    let start = find(pdf, format!("\n{n} 0 obj\n").as_bytes(), 0).expect("object");
    let data = find(pdf, b"stream\n", start).expect("stream") + 7;
    assert_eq!(
        &pdf[data + len..data + len + 10],
        b"\nendstream",
        "object {n}: /Length {len} does not end at endstream"
    );
    &pdf[data..data + len]
}

fn sheet_pdf(no: &str) -> (Vec<u8>, Vec<u8>) {
    let spec = PrintSpec::default();
    let sheet = render(
        &photo(|x, y| [(x / 2) as u8, (y / 3) as u8, 128]),
        no,
        &spec,
    )
    .expect("render");
    let jpeg = encode_jpeg(&sheet);
    let doc = pdf(&jpeg, sheet.width, sheet.height, no, &spec).expect("pdf");
    (jpeg, doc)
}

#[test]
fn pdf_structure_is_valid() {
    let (jpeg, doc) = sheet_pdf("2023012345");
    assert!(doc.starts_with(b"%PDF-1.4\n"));
    assert!(doc.ends_with(b"%%EOF\n"));
    // startxref → "xref"; every xref entry → "N 0 obj".
    let tail = String::from_utf8_lossy(&doc[doc.len() - 40..]).into_owned();
    let xref: usize = tail
        .split("startxref\n")
        .nth(1)
        .and_then(|s| s.lines().next())
        .and_then(|s| s.parse().ok())
        .expect("startxref");
    assert!(doc[xref..].starts_with(b"xref\n0 8\n0000000000 65535 f \n"));
    let entries = &doc[xref + 9..];
    for n in 0..8 {
        let e = &entries[n * 20..(n + 1) * 20];
        assert_eq!(e.len(), 20);
        assert!(e.ends_with(b" \n"), "entry {n} is not 20 bytes");
        if n == 0 {
            continue;
        }
        let off: usize = std::str::from_utf8(&e[..10])
            .expect("ascii")
            .parse()
            .expect("offset");
        assert!(
            doc[off..].starts_with(format!("{n} 0 obj\n").as_bytes()),
            "xref entry {n} points at {:?}",
            String::from_utf8_lossy(&doc[off..off + 12])
        );
        assert_eq!(&e[10..18], b" 00000 n");
    }
    assert!(String::from_utf8_lossy(&doc[xref..]).contains("trailer\n<< /Size 8 /Root 1 0 R"));

    // MediaBox = 152 × 102 mm in points.
    let page = dict(&doc, 3);
    let mb: Vec<f64> = page
        .split("/MediaBox [")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .expect("MediaBox")
        .split_whitespace()
        .map(|v| v.parse().expect("number"))
        .collect();
    assert_eq!(mb.len(), 4);
    assert_eq!((mb[0], mb[1]), (0.0, 0.0));
    assert!((mb[2] - 152.0 * 72.0 / 25.4).abs() < 0.001, "{mb:?}");
    assert!((mb[3] - 102.0 * 72.0 / 25.4).abs() < 0.001, "{mb:?}");

    // The image is the JPEG, byte for byte.
    let im = dict(&doc, 4);
    for key in [
        "/Subtype /Image",
        "/Width 1795",
        "/Height 1205",
        "/ColorSpace /DeviceRGB",
        "/BitsPerComponent 8",
        "/Filter /DCTDecode",
    ] {
        assert!(im.contains(key), "{key} missing in {im}");
    }
    assert_eq!(stream(&doc, 4), &jpeg[..]);

    // The content stream: image over the page, one mark line per mark, the label.
    let l = layout(&PrintSpec::default()).expect("layout");
    let content = String::from_utf8(stream(&doc, 6).to_vec()).expect("ASCII content");
    assert!(content.starts_with("q 430.866 0 0 289.134 0 0 cm /Im1 Do Q\n"));
    assert_eq!(content.matches(" l\n").count(), l.marks.len());
    assert_eq!(content.matches(" re\n").count(), 1 + l.prints.len());
    assert!(content.contains("(2023012345  \\267  35\\32749 mm  \\267  8/8) Tj"));
    assert!(dict(&doc, 5).contains("/BaseFont /Helvetica /Encoding /WinAnsiEncoding"));
}

#[test]
fn pdf_escapes_the_student_number() {
    let (_, doc) = sheet_pdf(r"a(b)\c");
    let content = String::from_utf8(stream(&doc, 6).to_vec()).expect("ASCII content");
    assert!(content.contains(r"(a\(b\)\\c  \267"), "{content}");
    assert!(dict(&doc, 7).contains(r"/Title (a\(b\)\\c)"));
    assert_eq!(pdf::pdf_string(b"x)\xb7"), r"(x\)\267)");
}

#[test]
fn pdf_marks_and_label_land_on_the_layout() {
    let (_, doc) = sheet_pdf("2023012345");
    let l = layout(&PrintSpec::default()).expect("layout");
    let content = String::from_utf8(stream(&doc, 6).to_vec()).expect("ASCII content");
    let s = 102.0 * 72.0 / 25.4 / 1205.0;
    let m = l.marks[0];
    let [(x0, y0), _] = m.line;
    let want = format!(
        "{} {} m",
        pdf::num(f64::from(x0) * 152.0 * 72.0 / 25.4 / 1795.0),
        pdf::num(102.0 * 72.0 / 25.4 - f64::from(y0) * 102.0 * 72.0 / 25.4 / 1205.0)
    );
    assert!(content.contains(&want), "{want} not in content");
    // The label font: cap height ≈ the raster label's height (14 px = 3.36 pt).
    let size: f64 = content
        .split("/F1 ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .expect("font size");
    assert!((size * 0.718 - 14.0 * s).abs() < 0.05, "font size {size}");
}

#[test]
fn pdf_refuses_what_is_not_the_sheet_jpeg() {
    let spec = PrintSpec::default();
    let (jpeg, _) = sheet_pdf("1");
    let err = |r: Result<Vec<u8>, SheetError>| r.expect_err("refused");
    assert!(matches!(
        err(pdf(b"not a jpeg", 1795, 1205, "1", &spec)),
        SheetError::Jpeg(_)
    ));
    assert!(matches!(
        err(pdf(&jpeg, 1794, 1205, "1", &spec)),
        SheetError::Jpeg(_)
    ));
    assert!(matches!(
        err(pdf(&jpeg[..200], 1795, 1205, "1", &spec)),
        SheetError::Jpeg(_)
    ));
    assert!(matches!(
        err(pdf(
            &jpeg,
            1795,
            1205,
            "1)",
            &PrintSpec {
                dpi: 0,
                ..spec.clone()
            }
        )),
        SheetError::Spec(_)
    ));
    assert!(matches!(
        err(pdf(&jpeg, 1795, 1205, "", &spec)),
        SheetError::StudentNo(_)
    ));
    // A grey JPEG of the right size: DeviceRGB would be wrong.
    let mut grey = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut grey, 80)
        .encode(
            &vec![200u8; 1795 * 1205],
            1795,
            1205,
            image::ExtendedColorType::L8,
        )
        .expect("encode");
    assert!(matches!(
        err(pdf(&grey, 1795, 1205, "1", &spec)),
        SheetError::Jpeg(_)
    ));
    // A PNG is not embedded as DCT.
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(
            &vec![0u8; 1795 * 1205 * 3],
            1795,
            1205,
            image::ExtendedColorType::Rgb8,
        )
        .expect("encode");
    assert!(matches!(
        err(pdf(&png, 1795, 1205, "1", &spec)),
        SheetError::Jpeg(_)
    ));
}
