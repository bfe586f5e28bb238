//! The face: how many, where, how big, how level, how frontal. Measured on the detector's
//! box and five landmarks, in the image's pixels, then judged in the standard's frame.

use super::finding::{Side, at_most, band_text, finding, side};
use super::pixels::{Area, colour_distance, median_colour, px};
use crate::decode::Rgb;
use crate::detect::Face;
use crate::report::{FaceGeometry, Finding, Severity};
use crate::spec::Spec;

/// Face width (cheek to cheek, as the standard measures it) from MTCNN's output: half the
/// box width plus about one eye distance, see
/// [`face_width`]. Calibrated once on the 38 DEV accepts against their labelled widths: the
/// box alone varies ±10–15 % (median ratio 0.995, 0.905–1.153), the eye distance alone
/// ±10 % (2.14 eye distances), their blend least (0.913–1.110) — a property of the
/// detector, not of any photo.
const FACE_WIDTH_PER_EYE_DISTANCE: f32 = 1.06;
/// The box's share in the blend.
const FACE_WIDTH_BOX_SHARE: f32 = 0.505;

/// Cheek-to-cheek width estimated from the box and the eyes (see above).
fn face_width(face: &Face) -> f32 {
    let [le, re, ..] = face.landmarks;
    let eyes = ((re[0] - le[0]).powi(2) + (re[1] - le[1]).powi(2)).sqrt();
    FACE_WIDTH_BOX_SHARE * box_width(face) + FACE_WIDTH_PER_EYE_DISTANCE * eyes
}

/// A second face counts when the detector is this sure of it…
const OTHER_FACE_SCORE: f32 = 0.9;
/// …and it is at least this fraction of the main face's width (smaller hits are textures in
/// clothing or hair; a person pasted or standing behind is larger).
const OTHER_FACE_MIN_RATIO: f32 = 0.3;

/// Pixels (in the standard frame) a position or size may be outside its band and still go
/// to a person rather than be rejected: landmark detectors disagree by up to ~10 px.
const BAND_MARGIN: f32 = 8.0;

/// Roll (degrees): up to `TILT_OK` fine, up to `TILT_REJECT` a person looks.
const TILT_OK: f32 = 5.0;
const TILT_REJECT: f32 = 8.0;

/// Horizontal offset of the eye midpoint from the centre (standard px).
const OFF_CENTER_OK: f32 = 30.0;
const OFF_CENTER_REJECT: f32 = 45.0;

/// Yaw proxy: nose offset from the eye midpoint per eye distance.
const TURN_OK: f32 = 0.15;
const TURN_REJECT: f32 = 0.25;

/// Colour distance from the column's top pixel above which a pixel is no longer background
/// (hair, even fair hair on light blue, is far beyond it; JPEG noise is far below).
const HEAD_EDGE: f32 = 45.0;

/// The main face (the largest) and how many other real faces there are.
pub(crate) fn select(faces: &[Face]) -> Option<(Face, usize)> {
    let main = faces
        .iter()
        .copied()
        .max_by(|a, b| box_width(a).total_cmp(&box_width(b)))?;
    let others = faces
        .iter()
        .filter(|f| **f != main)
        .filter(|f| {
            f.score >= OTHER_FACE_SCORE && box_width(f) >= OTHER_FACE_MIN_RATIO * box_width(&main)
        })
        .count();
    Some((main, others))
}

fn box_width(f: &Face) -> f32 {
    f.bbox[2] - f.bbox[0]
}

/// Geometry in the image's own pixels.
pub(crate) fn geometry(img: &Rgb, face: &Face) -> FaceGeometry {
    let [le, re, nose, _, _] = face.landmarks;
    let face_width = face_width(face);
    let eye_line = (le[1] + re[1]) / 2.0;
    let roll = (re[1] - le[1]).atan2(re[0] - le[0]).to_degrees();
    let cx = (le[0] + re[0]) / 2.0;
    FaceGeometry {
        bbox: face.bbox,
        eyes: [le, re],
        nose,
        face_width,
        eye_line,
        head_top: head_top(img, cx, face_width, eye_line),
        roll,
    }
}

/// [`head_top`] for a geometry already measured (tests and the standardizer).
#[cfg(test)]
pub(crate) fn geometry_head_top(img: &Rgb, g: &FaceGeometry) -> Option<f32> {
    head_top(
        img,
        (g.eyes[0][0] + g.eyes[1][0]) / 2.0,
        g.face_width,
        g.eye_line,
    )
}

/// The crown: over the columns of the middle half of the face, the first row from the top
/// that is no longer the colour at the top of that column (a per-column reference copes with
/// a gradient across the background). The 10th percentile over columns resists a stray
/// hair or a noisy column. `None` when the top row is not background-like across the head
/// (the head touches or leaves the frame: then 0 is returned) — see below.
fn head_top(img: &Rgb, cx: f32, face_width: f32, eye_line: f32) -> Option<f32> {
    let area = Area::clipped(
        img,
        cx - face_width * 0.25,
        0.0,
        cx + face_width * 0.25,
        eye_line,
    )?;
    // The background's colour: the top rows across the whole width.
    let top = Area::clipped(img, 0.0, 0.0, img.width as f32, 3.0)?;
    let bg = median_colour(img, &[top], |_, _| true)?;
    let mut tops: Vec<f32> = Vec::with_capacity(area.width() as usize);
    for x in area.x0..area.x1 {
        let reference = px(img, x, 0);
        if colour_distance(reference, bg) > HEAD_EDGE {
            // Hair in the very first row: the head is cut off at the top.
            tops.push(0.0);
            continue;
        }
        let mut found = area.y1 as f32;
        for y in area.y0..area.y1.saturating_sub(1) {
            if colour_distance(px(img, x, y), reference) > HEAD_EDGE
                && colour_distance(px(img, x, y + 1), reference) > HEAD_EDGE
            {
                found = y as f32;
                break;
            }
        }
        tops.push(found);
    }
    tops.sort_by(f32::total_cmp);
    tops.get(tops.len() / 10).copied()
}

/// Scale from the image's pixels to the standard frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub kx: f32,
    pub ky: f32,
    pub width: f32,
}

impl Frame {
    pub fn new(img: &Rgb, spec: &Spec) -> Frame {
        Frame {
            kx: spec.width as f32 / img.width as f32,
            ky: spec.height as f32 / img.height as f32,
            width: spec.width as f32,
        }
    }
}

/// `face.none`, when the detector found nothing.
pub(crate) fn none() -> Finding {
    finding(
        "face.none",
        Severity::Reject,
        0u32,
        "1",
        "未检测到人脸，请正对镜头、露出完整面部后重新拍摄。".into(),
        "No face was found. Face the camera with your whole face visible and take the photo again."
            .into(),
    )
}

/// `face.multiple`.
pub(crate) fn multiple(others: usize) -> Option<Finding> {
    (others > 0).then(|| {
        let n = others as u32 + 1;
        finding(
            "face.multiple",
            Severity::Reject,
            n,
            "1",
            format!("照片中检测到 {n} 张人脸，须为本人单人照。"),
            format!("{n} faces were found; the photo must show you alone."),
        )
    })
}

/// Every geometric finding for the main face, judged in the standard frame.
pub(crate) fn judge(g: &FaceGeometry, frame: Frame, spec: &Spec) -> Vec<Finding> {
    let mut out = Vec::new();
    let fw = g.face_width * frame.kx;
    match side(fw, spec.face_width, BAND_MARGIN) {
        Side::Inside => {}
        Side::Below(sev) => out.push(finding(
            "face.too_small",
            sev,
            fw,
            band_text(spec.face_width),
            format!("脸部过小（脸宽约 {fw:.0} 像素，应为 {}），请靠近镜头或缩小取景。", band_text(spec.face_width)),
            format!("The face is too small ({fw:.0} px wide; it should be {} px). Move closer or frame tighter.", band_text(spec.face_width)),
        )),
        Side::Above(sev) => out.push(finding(
            "face.too_large",
            sev,
            fw,
            band_text(spec.face_width),
            format!("脸部过大（脸宽约 {fw:.0} 像素，应为 {}），请离镜头远一些。", band_text(spec.face_width)),
            format!("The face is too large ({fw:.0} px wide; it should be {} px). Move back from the camera.", band_text(spec.face_width)),
        )),
    }
    let eye = g.eye_line * frame.ky;
    match side(eye, spec.eye_line, BAND_MARGIN) {
        Side::Inside => {}
        Side::Below(sev) => out.push(finding(
            "face.eyes_too_high",
            sev,
            eye,
            band_text(spec.eye_line),
            format!("眼睛位置过高（距顶边约 {eye:.0} 像素，应为 {}），请让头部在画面中下移。", band_text(spec.eye_line)),
            format!("The eyes are too high ({eye:.0} px from the top; they should be at {} px). Move your head lower in the frame.", band_text(spec.eye_line)),
        )),
        Side::Above(sev) => out.push(finding(
            "face.eyes_too_low",
            sev,
            eye,
            band_text(spec.eye_line),
            format!("眼睛位置过低（距顶边约 {eye:.0} 像素，应为 {}），请让头部在画面中上移。", band_text(spec.eye_line)),
            format!("The eyes are too low ({eye:.0} px from the top; they should be at {} px). Move your head higher in the frame.", band_text(spec.eye_line)),
        )),
    }
    if let Some(top) = g.head_top {
        let top = top * frame.ky;
        if let Side::Below(sev) | Side::Above(sev) = side(top, spec.head_top, BAND_MARGIN) {
            out.push(finding(
                "face.head_top",
                sev,
                top,
                band_text(spec.head_top),
                format!(
                    "头顶距照片上边缘约 {top:.0} 像素，应为 {} 像素。",
                    band_text(spec.head_top)
                ),
                format!(
                    "The top of the head is {top:.0} px from the top edge; it should be {} px.",
                    band_text(spec.head_top)
                ),
            ));
        }
    }
    let dx = ((g.eyes[0][0] + g.eyes[1][0]) / 2.0) * frame.kx - frame.width / 2.0;
    if let Some(sev) = at_most(dx.abs(), OFF_CENTER_OK, OFF_CENTER_REJECT) {
        out.push(finding(
            "face.off_center",
            sev,
            dx,
            format!("±{OFF_CENTER_OK}"),
            format!("人像未居中（偏离中线约 {:.0} 像素），请让面部位于画面正中。", dx.abs()),
            format!("The face is not centred ({:.0} px off the middle). Put your face in the middle of the frame.", dx.abs()),
        ));
    }
    if let Some(sev) = at_most(g.roll.abs(), TILT_OK, TILT_REJECT) {
        let r = g.roll.abs();
        out.push(finding(
            "face.tilted",
            sev,
            g.roll,
            format!("±{TILT_OK}°"),
            format!("头部倾斜约 {r:.0}°，请保持头部端正、双眼水平。"),
            format!(
                "The head is tilted by about {r:.0}°. Hold your head straight with your eyes level."
            ),
        ));
    }
    let yaw = yaw(g);
    if let Some(sev) = at_most(yaw.abs(), TURN_OK, TURN_REJECT) {
        out.push(turned(sev, yaw));
    }
    out
}

/// The largest roll the standardizer straightens; beyond it the photo was taken askew and
/// levelling it would cut too much away.
pub(crate) const MAX_LEVELLED_ROLL: f32 = 15.0;

/// For a source portrait: what cropping and levelling cannot fix — a turned head, or a roll
/// too large to level honestly.
pub(crate) fn judge_pose(g: &FaceGeometry) -> Vec<Finding> {
    let mut out = Vec::new();
    if g.roll.abs() > MAX_LEVELLED_ROLL {
        let r = g.roll.abs();
        out.push(finding(
            "face.tilted",
            Severity::Reject,
            g.roll,
            format!("±{MAX_LEVELLED_ROLL}°"),
            format!("头部倾斜约 {r:.0}°，过大无法校正，请保持头部端正重新拍摄。"),
            format!("The head is tilted by about {r:.0}°, too much to straighten. Hold your head straight and take the photo again."),
        ));
    }
    let yaw = yaw(g);
    if let Some(sev) = at_most(yaw.abs(), TURN_OK, TURN_REJECT) {
        out.push(turned(sev, yaw));
    }
    out
}

fn turned(sev: Severity, yaw: f32) -> Finding {
    finding(
        "face.turned",
        sev,
        yaw,
        format!("±{TURN_OK}"),
        "面部未正对镜头（侧脸），请正面直视镜头。".into(),
        "The face is turned to the side. Look straight into the camera.".into(),
    )
}

/// Nose offset from the eye midpoint along the eye line, per eye distance: 0 for a frontal
/// face, growing as the head turns (a proxy for yaw that needs no 3-D model).
pub(crate) fn yaw(g: &FaceGeometry) -> f32 {
    let [le, re] = g.eyes;
    let (ex, ey) = (re[0] - le[0], re[1] - le[1]);
    let dist = (ex * ex + ey * ey).sqrt();
    if dist < 1.0 {
        return 0.0;
    }
    let mid = [(le[0] + re[0]) / 2.0, (le[1] + re[1]) / 2.0];
    let (nx, ny) = (g.nose[0] - mid[0], g.nose[1] - mid[1]);
    (nx * ex + ny * ey) / (dist * dist)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry_at(le: [f32; 2], re: [f32; 2], nose: [f32; 2], width: f32) -> FaceGeometry {
        FaceGeometry {
            bbox: [0.0, 0.0, width, width],
            eyes: [le, re],
            nose,
            face_width: width,
            eye_line: (le[1] + re[1]) / 2.0,
            head_top: Some(80.0),
            roll: (re[1] - le[1]).atan2(re[0] - le[0]).to_degrees(),
        }
    }

    fn codes(f: &[Finding]) -> Vec<(&'static str, Severity)> {
        f.iter().map(|f| (f.code, f.severity)).collect()
    }

    const FRAME: Frame = Frame {
        kx: 1.0,
        ky: 1.0,
        width: 480.0,
    };

    #[test]
    fn a_standard_face_passes() {
        let g = geometry_at([190.0, 250.0], [290.0, 250.0], [240.0, 310.0], 230.0);
        assert!(judge(&g, FRAME, &Spec::default()).is_empty());
    }

    #[test]
    fn borderline_geometry_goes_to_review_and_clear_faults_are_rejected() {
        let spec = Spec::default();
        // Eye line at 305: 5 px below the band → review; at 370 → reject.
        let g = geometry_at([190.0, 305.0], [290.0, 305.0], [240.0, 365.0], 230.0);
        assert_eq!(
            codes(&judge(&g, FRAME, &spec)),
            [("face.eyes_too_low", Severity::Review)]
        );
        let g = geometry_at([190.0, 370.0], [290.0, 370.0], [240.0, 430.0], 230.0);
        assert_eq!(
            codes(&judge(&g, FRAME, &spec)),
            [("face.eyes_too_low", Severity::Reject)]
        );
        // A face of 175 px: review; 120 px: reject.
        let g = geometry_at([205.0, 250.0], [275.0, 250.0], [240.0, 290.0], 175.0);
        assert_eq!(
            codes(&judge(&g, FRAME, &spec)),
            [("face.too_small", Severity::Review)]
        );
        let g = geometry_at([215.0, 250.0], [265.0, 250.0], [240.0, 280.0], 120.0);
        assert_eq!(
            codes(&judge(&g, FRAME, &spec)),
            [("face.too_small", Severity::Reject)]
        );
    }

    #[test]
    fn roll_is_measured_from_the_eye_line() {
        let spec = Spec::default();
        let tilt = |deg: f32| {
            let (s, c) = deg.to_radians().sin_cos();
            let le = [240.0 - 50.0 * c, 250.0 - 50.0 * s];
            let re = [240.0 + 50.0 * c, 250.0 + 50.0 * s];
            // The nose turns with the head: 60 px below the eye midpoint, rotated.
            let nose = [240.0 - 60.0 * s, 250.0 + 60.0 * c];
            codes(&judge(&geometry_at(le, re, nose, 230.0), FRAME, &spec))
        };
        assert!(tilt(3.0).is_empty());
        assert_eq!(tilt(-6.0), [("face.tilted", Severity::Review)]);
        assert_eq!(tilt(15.0), [("face.tilted", Severity::Reject)]);
    }

    #[test]
    fn a_nose_far_from_the_eye_midpoint_is_a_turned_face() {
        let spec = Spec::default();
        let g = geometry_at([190.0, 250.0], [290.0, 250.0], [275.0, 310.0], 230.0);
        assert!((yaw(&g) - 0.35).abs() < 1e-4);
        assert_eq!(
            codes(&judge(&g, FRAME, &spec)),
            [("face.turned", Severity::Reject)]
        );
    }

    #[test]
    fn off_centre_and_frame_scaling() {
        let spec = Spec::default();
        let g = geometry_at([80.0, 250.0], [180.0, 250.0], [130.0, 310.0], 230.0);
        assert_eq!(
            codes(&judge(&g, FRAME, &spec)),
            [("face.off_center", Severity::Reject)]
        );
        // The same face measured on a 960×1280 copy is the same face in the standard frame.
        let mut g2 = geometry_at([380.0, 500.0], [580.0, 500.0], [480.0, 620.0], 460.0);
        g2.head_top = Some(160.0);
        let half = Frame {
            kx: 0.5,
            ky: 0.5,
            width: 480.0,
        };
        assert!(judge(&g2, half, &spec).is_empty());
    }

    fn face(x: f32, w: f32, score: f32) -> Face {
        Face {
            bbox: [x, 100.0, x + w, 100.0 + w],
            score,
            landmarks: [[0.0; 2]; 5],
        }
    }

    #[test]
    fn the_largest_face_is_the_subject_and_small_or_unsure_ones_do_not_count() {
        let faces = [
            face(0.0, 70.0, 0.99),
            face(100.0, 200.0, 0.95),
            face(300.0, 40.0, 0.99),
            face(350.0, 120.0, 0.85),
        ];
        let (main, others) = select(&faces).expect("a face");
        assert_eq!(main.bbox[0], 100.0);
        // 70 ≥ 0.3 × 200 counts; 40 is too small; 120 is too unsure.
        assert_eq!(others, 1);
        assert!(select(&[]).is_none());
    }
}
