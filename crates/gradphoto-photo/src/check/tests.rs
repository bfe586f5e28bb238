//! Each check on generated images: one clear pass and one clear failure, plus the borderline
//! band where a person must look. The DEV evaluation (tests/evaluate.rs) covers real photos.

use super::*;
use crate::decode::{Format, Header};
use crate::report::Severity;
use crate::spec;

const BLUE: [u8; 3] = [100, 197, 255];
const SKIN: [u8; 3] = [200, 160, 140];
const SHIRT: [u8; 3] = [30, 30, 40];

/// A flat "portrait": blue background, a skin-coloured head (hair from y = 80), a dark
/// shirt from y = 520, with a fine texture on the face so that it is sharp.
fn portrait(f: impl Fn(u32, u32, [u8; 3]) -> [u8; 3]) -> Rgb {
    Rgb::from_fn(480, 640, |x, y| {
        let dx = (x as f32 - 240.0) / 120.0;
        let dy = (y as f32 - 250.0) / 170.0;
        let base = if y >= 520 {
            SHIRT
        } else if dx * dx + dy * dy <= 1.0 {
            if (x + y) % 3 == 0 {
                [185, 145, 125]
            } else {
                SKIN
            }
        } else {
            BLUE
        };
        f(x, y, base)
    })
}

fn geometry() -> FaceGeometry {
    FaceGeometry {
        bbox: [130.0, 150.0, 350.0, 370.0],
        eyes: [[190.0, 250.0], [290.0, 250.0]],
        nose: [240.0, 300.0],
        face_width: 230.0,
        eye_line: 250.0,
        head_top: Some(80.0),
        roll: 0.0,
    }
}

fn jpeg_header() -> Header {
    Header {
        format: Format::Jpeg,
        width: 480,
        height: 640,
        orientation: 1,
        jpeg_quality: Some(90),
        progressive: false,
        components: 3,
    }
}

fn codes(findings: &[crate::report::Finding]) -> Vec<(&'static str, Severity)> {
    findings.iter().map(|f| (f.code, f.severity)).collect()
}

#[test]
fn the_crown_is_found_against_the_background() {
    let img = portrait(|_, _, p| p);
    let mut g = geometry();
    g.head_top = None;
    let measured = face::geometry_head_top(&img, &g).expect("a head top");
    assert!((measured - 80.0).abs() <= 2.0, "head top {measured}");
}

#[test]
fn a_head_touching_the_top_edge_measures_zero() {
    let img = Rgb::from_fn(480, 640, |x, y| {
        let dx = (x as f32 - 240.0) / 120.0;
        let dy = (y as f32 - 100.0) / 170.0;
        if dx * dx + dy * dy <= 1.0 { SKIN } else { BLUE }
    });
    assert_eq!(face::geometry_head_top(&img, &geometry()), Some(0.0));
}

#[test]
fn background_colour_is_judged_against_the_campaign_colour() {
    let spec = Spec::default();
    assert!(background::colour(BLUE, &spec).is_none());
    assert!(background::colour([110, 205, 250], &spec).is_none());
    let white = background::colour([255, 255, 255], &spec).expect("white is wrong");
    assert_eq!(white.severity, Severity::Reject);
    // A white campaign accepts white.
    assert!(background::colour([252, 252, 252], &Spec::with_background(spec::WHITE)).is_none());
}

#[test]
fn background_gradient_and_texture_are_uneven() {
    let g = geometry();
    let flat = portrait(|_, _, p| p);
    let areas = background::areas(&flat, Some(&g));
    let bg = background::colour_of(&flat, &areas).expect("background");
    assert_eq!(bg, BLUE);
    assert!(background::evenness(&flat, &areas, bg).is_none());

    let shade = |x: u32, p: [u8; 3]| -> [u8; 3] {
        let k = 1.0 - 0.6 * x as f32 / 480.0;
        p.map(|c| (f32::from(c) * k) as u8)
    };
    let gradient = portrait(|x, _, p| if p == BLUE { shade(x, p) } else { p });
    let areas = background::areas(&gradient, Some(&g));
    let bg = background::colour_of(&gradient, &areas).expect("background");
    let f = background::evenness(&gradient, &areas, bg).expect("a gradient is uneven");
    assert_eq!(f.severity, Severity::Reject);

    let blotchy = portrait(|x, y, p| {
        if p == BLUE && ((x / 7) * 13 + (y / 5) * 7) % 3 == 0 {
            [40, 110, 160]
        } else {
            p
        }
    });
    let areas = background::areas(&blotchy, Some(&g));
    let bg = background::colour_of(&blotchy, &areas).expect("background");
    let f = background::evenness(&blotchy, &areas, bg).expect("texture is uneven");
    assert_eq!(f.severity, Severity::Reject);
}

#[test]
fn clothing_the_colour_of_the_background_is_flagged() {
    let g = geometry();
    assert!(background::clothing(&portrait(|_, _, p| p), &g, BLUE).is_none());
    let blue_shirt = portrait(|_, _, p| if p == SHIRT { [105, 195, 250] } else { p });
    let f = background::clothing(&blue_shirt, &g, BLUE).expect("blue shirt on blue");
    assert_eq!(f.code, "contrast.clothing");
    assert_eq!(f.severity, Severity::Reject);
}

#[test]
fn exposure_dark_bright_and_fine() {
    let g = geometry();
    let fine = portrait(|_, _, p| p);
    let area = light::face_area(&fine, Some(&g)).expect("face area");
    assert!(light::exposure(&fine, area).is_none());
    let dark = portrait(|_, _, p| p.map(|c| c / 4));
    let f = light::exposure(&dark, area).expect("dark");
    assert_eq!((f.code, f.severity), ("exposure.dark", Severity::Reject));
    let bright = portrait(|_, _, p| p.map(|c| (u16::from(c) * 2).min(255) as u8));
    let f = light::exposure(&bright, area).expect("bright");
    assert_eq!((f.code, f.severity), ("exposure.bright", Severity::Reject));
}

#[test]
fn light_from_one_side_is_uneven() {
    let g = geometry();
    let img = portrait(|x, _, p| {
        if p != BLUE && p != SHIRT && x < 240 {
            p.map(|c| c / 3)
        } else {
            p
        }
    });
    let area = light::face_area(&img, Some(&g)).expect("face area");
    let f = light::evenness(&img, area, &g).expect("uneven");
    assert_eq!((f.code, f.severity), ("exposure.uneven", Severity::Reject));
    let even = portrait(|_, _, p| p);
    assert!(light::evenness(&even, area, &g).is_none());
}

#[test]
fn a_face_without_detail_is_blurry() {
    let g = geometry();
    let sharp = portrait(|_, _, p| p);
    let area = light::face_area(&sharp, Some(&g)).expect("face area");
    assert!(light::sharpness(&sharp, area).is_none());
    let flat = portrait(|_, _, p| if p == [185, 145, 125] { SKIN } else { p });
    let f = light::sharpness(&flat, area).expect("blurry");
    assert_eq!((f.code, f.severity), ("sharpness.blurry", Severity::Reject));
}

#[test]
fn grey_pixels_or_one_channel_are_grayscale() {
    let colour = portrait(|_, _, p| p);
    assert!(file::grayscale(&jpeg_header(), &colour).is_none());
    let grey = portrait(|_, _, p| {
        let l = pixels::luma(p) as u8;
        [l, l, l]
    });
    assert!(file::grayscale(&jpeg_header(), &grey).is_some());
    let one_channel = Header {
        components: 1,
        ..jpeg_header()
    };
    assert!(file::grayscale(&one_channel, &colour).is_some());
}

#[test]
fn file_level_checks() {
    let spec = Spec::default();
    assert!(file::size(480, 640, &spec).is_none());
    assert_eq!(
        file::size(600, 800, &spec).map(|f| f.code),
        Some("image.size")
    );
    assert!(file::quality(&jpeg_header(), &spec).is_none());
    let low = Header {
        jpeg_quality: Some(20),
        ..jpeg_header()
    };
    assert_eq!(
        file::quality(&low, &spec).map(|f| f.code),
        Some("jpeg.quality_low")
    );
    let png = Header {
        format: Format::Png,
        jpeg_quality: None,
        ..jpeg_header()
    };
    assert_eq!(file::format(&png).map(|f| f.code), Some("file.format"));
    let progressive = Header {
        progressive: true,
        ..jpeg_header()
    };
    assert_eq!(
        file::format(&progressive).map(|f| f.code),
        Some("file.format")
    );
    assert!(file::format(&jpeg_header()).is_none());
}

#[test]
fn analyse_lists_every_failure_at_once() {
    // A dark, greyscale, 600×800 PNG without a face: every one of those is reported.
    let img = Rgb::from_fn(600, 800, |_, _| [30, 30, 30]);
    let header = Header {
        format: Format::Png,
        width: 600,
        height: 800,
        jpeg_quality: None,
        components: 3,
        ..jpeg_header()
    };
    let a = analyse(
        &img,
        &header,
        (600, 800),
        &[],
        &Spec::default(),
        Purpose::Finished,
    );
    let got = codes(&a.findings);
    for code in [
        "file.format",
        "image.size",
        "image.grayscale",
        "face.none",
        "exposure.dark",
        "background.color",
    ] {
        assert!(
            got.iter().any(|(c, _)| *c == code),
            "{code} missing from {got:?}"
        );
    }
}
