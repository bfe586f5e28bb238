//! From a portrait to the standard image: find the face, level the eyes, scale and crop so
//! that face width, eye line and head top sit as deep inside their bands as possible, and
//! encode a 300-dpi baseline JPEG at the highest quality that fits the size target.
//!
//! Honest or not at all: no retouching, no mirroring, no new background. The only pixels
//! made up are continuations of what is already uniform — background beyond a top or side
//! edge that is background, clothing below a bottom edge (the last row repeated, as studio
//! tools do) — and only a little of it. Whatever the standardizer produces is checked as a
//! finished photo, and anything short of an accept is refused with the reasons.

mod fit;
mod warp;

use std::time::Instant;

use crate::check::{self, Purpose};
use crate::decode::{self, Header, Rgb};
use crate::detect::Face;
use crate::encode;
use crate::engine::Engine;
use crate::report::{FaceGeometry, Finding, Report, Severity, Verdict};
use crate::resize::{self, Rect};
use crate::spec::Spec;
use warp::Similarity;

/// Faces are found on a copy at most this long: the detector needs a few hundred pixels.
pub const DETECT_SIDE: u32 = 640;
/// A JPEG is first decoded reduced (in the DCT domain) to at least this long side; a face
/// too small for that resolution triggers a full decode.
pub const WORK_SIDE: u32 = 960;
/// The most a source may be enlarged: beyond it the photo would be visibly soft.
pub const MAX_UPSCALE: f32 = 1.6;
/// Past this, the source is first shrunk by area averaging, then warped at ~1×.
const WARP_MAX_SHRINK: f32 = 1.5;
/// How much made-up clothing (the last row repeated) may fill the bottom, as a share of
/// the output height. A head-and-shoulders portrait framed loosely at the top (the usual
/// phone or studio framing) needs up to about a fifth; the band starts well below the
/// chin, so no part of the face is ever made up.
const MAX_BOTTOM_FILL: f32 = 0.25;
/// How far beyond a side edge the output may reach (share of the output width), filled
/// with that edge's pixels: background above the shoulders (checked to be background),
/// the shoulders' clothing below — as ID-photo tools extend a canvas.
const MAX_SIDE_FILL: f32 = 0.3;
/// A top edge continued into made-up background must be this uniform.
const TOP_EDGE_SAME: f32 = 40.0;
/// Highest quality tried: above it files grow fast for no visible gain.
pub const MAX_QUALITY: u8 = 95;

/// A standard image and the proof that it passes.
#[derive(Debug, Clone)]
pub struct Standardized {
    /// The baseline JPEG, 300 dpi.
    pub jpeg: Vec<u8>,
    /// Its pixels (for the print sheet and reuse detection).
    pub image: Rgb,
    /// The JPEG quality chosen.
    pub quality: u8,
    /// The check of the output: an accept from [`Engine::standardize`]; an accept or a
    /// review from [`Engine::prepare`].
    pub report: Report,
    /// Milliseconds for the whole operation, check of the output included.
    pub total_ms: f64,
}

/// What [`Engine::prepare`] made of a portrait.
#[derive(Debug)]
pub enum Prepared {
    /// The standard image, meeting every check.
    Accept(Standardized),
    /// A standard image that is borderline on some check (its report's verdict is
    /// `review`): a person decides whether it may go to the registry.
    Review(Standardized),
    /// No standard image can honestly be made: the reasons.
    Reject(Box<Report>),
}

impl Engine {
    /// Makes the standard image from a portrait, or refuses with the reasons (a report
    /// with verdict reject or review).
    pub fn standardize(&self, bytes: &[u8], spec: &Spec) -> Result<Standardized, Box<Report>> {
        match self.prepare(bytes, spec) {
            Prepared::Accept(s) => Ok(s),
            Prepared::Review(s) => Err(Box::new(s.report)),
            Prepared::Reject(r) => Err(r),
        }
    }

    /// [`Engine::standardize`] for a flow with a person behind it: a result that is only
    /// borderline is kept for review instead of refused.
    pub fn prepare(&self, bytes: &[u8], spec: &Spec) -> Prepared {
        match self.make(bytes, spec) {
            Ok(s) if s.report.verdict == Verdict::Accept => Prepared::Accept(s),
            Ok(s) => Prepared::Review(s),
            Err(r) => Prepared::Reject(r),
        }
    }

    /// The standard image, with the check of it whatever its verdict short of a reject.
    fn make(&self, bytes: &[u8], spec: &Spec) -> Result<Standardized, Box<Report>> {
        let start = Instant::now();
        let header = decode::probe(bytes, self.limits())
            .map_err(|e| refusal(vec![check::undecodable(&e)]))?;
        let mut src = decode::decode(bytes, self.limits(), Some(WORK_SIDE))
            .map_err(|e| refusal(vec![check::undecodable(&e)]))?;
        let (g, face, bg) = self.source_face(&src, &header, spec)?;
        let crown = head_crown(&g)?;
        // The file may hold more pixels than this decode: cap the enlargement by what a
        // full decode could give, and decode fully only when it is needed.
        let full = header.display_size().0 as f32 / src.width as f32;
        let mut place = match fit::place(g.face_width, crown, spec, MAX_UPSCALE * full) {
            Some(p) => p,
            None => {
                let uncapped = fit::place(g.face_width, crown, spec, f32::INFINITY);
                return Err(refusal(vec![match uncapped {
                    Some(p) => too_small_source(p.scale / full),
                    None => unframable(g.face_width, crown),
                }]));
            }
        };
        let (mut g, mut face) = (g, face);
        if place.scale > MAX_UPSCALE {
            let all = decode::decode(bytes, self.limits(), None)
                .map_err(|e| refusal(vec![check::undecodable(&e)]))?;
            let k = all.width as f32 / src.width as f32;
            g = g.scaled(k);
            face = face.scaled(k);
            place.scale /= k;
            src = all;
        }
        let t = Similarity {
            centre: [(g.eyes[0][0] + g.eyes[1][0]) / 2.0, g.eye_line],
            anchor: [spec.width as f32 / 2.0, place.eye_y],
            scale: place.scale,
            angle: g.roll.to_radians(),
        };
        check_footprint(&src, &t, spec, bg)?;
        let image = render(&src, &t, spec)?;
        let encoded = encode::encode_to_fit(
            &image,
            spec.dpi,
            spec.min_quality,
            MAX_QUALITY,
            spec.target_bytes.1,
        )
        .map_err(|e| refusal(vec![internal(&e.to_string())]))?;
        // The output is judged as any finished photo, with the face carried through the
        // transform (pixel centres: index + 0.5 in both frames) instead of found again.
        let out_face = face.mapped(
            |[x, y]| {
                let [u, v] = t.output_of(x + 0.5, y + 0.5);
                [u - 0.5, v - 0.5]
            },
            t.scale,
        );
        let report = self.check_known(&encoded.bytes, spec, &[out_face]);
        if report.verdict == Verdict::Reject {
            return Err(Box::new(report));
        }
        Ok(Standardized {
            jpeg: encoded.bytes,
            image,
            quality: encoded.quality,
            report,
            total_ms: start.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// The face in the source, in `src` pixels, as measured and as detected, and the
    /// background colour — or the reasons no standard image can be made (no face, several,
    /// turned, background wrong…).
    fn source_face(
        &self,
        src: &Rgb,
        header: &Header,
        spec: &Spec,
    ) -> Result<(FaceGeometry, Face, [u8; 3]), Box<Report>> {
        let long = src.width.max(src.height);
        let small;
        let (view, k) = if long > DETECT_SIDE {
            let k = DETECT_SIDE as f32 / long as f32;
            let (w, h) = (
                ((src.width as f32) * k).round().max(1.0) as u32,
                ((src.height as f32) * k).round().max(1.0) as u32,
            );
            small = resize::resample(
                src,
                Rect {
                    x: 0.0,
                    y: 0.0,
                    w: src.width as f32,
                    h: src.height as f32,
                },
                w,
                h,
                [0, 0, 0],
            )
            .map_err(|e| refusal(vec![internal(&e.to_string())]))?;
            (&small, w as f32 / src.width as f32)
        } else {
            (src, 1.0)
        };
        let faces = self
            .faces(view)
            .map_err(|e| refusal(vec![internal(&e.to_string())]))?;
        let a = check::analyse(
            view,
            header,
            header.display_size(),
            &faces,
            spec,
            Purpose::Source,
        );
        let rejects: Vec<Finding> = a
            .findings
            .into_iter()
            .filter(|f| f.severity == Severity::Reject)
            .collect();
        if !rejects.is_empty() {
            return Err(refusal(rejects));
        }
        match (a.face, a.main, a.background) {
            (Some(g), Some(face), Some(bg)) => Ok((g.scaled(1.0 / k), face.scaled(1.0 / k), bg)),
            _ => Err(refusal(vec![unframable(0.0, 0.0)])),
        }
    }
}

/// Eye line minus head top, in source pixels; a head touching the top edge cannot be framed.
fn head_crown(g: &FaceGeometry) -> Result<f32, Box<Report>> {
    match g.head_top {
        Some(top) if top >= 1.0 => Ok(g.eye_line - top),
        _ => Err(refusal(vec![head_cut()])),
    }
}

fn head_cut() -> Finding {
    Finding {
        code: "face.head_top",
        severity: Severity::Reject,
        measured: 0u32.into(),
        limit: "> 0".into(),
        zh: "头顶被照片上边缘裁掉，无法制作标准照，请在头顶上方留出空间后重新拍摄。".into(),
        en: "The top of the head is cut off by the upper edge; leave space above the head and take the photo again.".into(),
    }
}

/// The bounding box `[min_x, min_y, max_x, max_y]`, in source pixels, of what the output
/// frame samples through `t`.
fn footprint(t: &Similarity, spec: &Spec) -> [f32; 4] {
    let (w, h) = (spec.width as f32, spec.height as f32);
    let corners = [
        t.source_of(0.0, 0.0),
        t.source_of(w, 0.0),
        t.source_of(0.0, h),
        t.source_of(w, h),
    ];
    let xs = corners.map(|p| p[0]);
    let ys = corners.map(|p| p[1]);
    [
        xs.into_iter().fold(f32::MAX, f32::min),
        ys.into_iter().fold(f32::MAX, f32::min),
        xs.into_iter().fold(f32::MIN, f32::max),
        ys.into_iter().fold(f32::MIN, f32::max),
    ]
}

/// Where the output reaches outside the source, only uniform background (top) and a little
/// clothing (bottom, sides) may be continued.
fn check_footprint(src: &Rgb, t: &Similarity, spec: &Spec, bg: [u8; 3]) -> Result<(), Box<Report>> {
    let (w, h) = (spec.width as f32, spec.height as f32);
    let (sw, sh) = (src.width as f32, src.height as f32);
    let [min_x, min_y, max_x, max_y] = footprint(t, spec);
    let side = (-min_x).max(max_x - sw).max(0.0) * t.scale;
    let bottom = (max_y - sh).max(0.0) * t.scale;
    if side > MAX_SIDE_FILL * w || bottom > MAX_BOTTOM_FILL * h {
        return Err(refusal(vec![too_tight(side.max(bottom))]));
    }
    // Made-up background beside the photo: above the eyes the edge column must be
    // background (no hair or face is ever stretched sideways).
    for (overflows, x) in [(min_x < 0.0, 0.0), (max_x > sw, sw - 2.0)] {
        if !overflows {
            continue;
        }
        if let Some(edge) =
            check::pixels::Area::clipped(src, x, min_y.max(0.0), x + 2.0, t.centre[1])
        {
            let same = check::pixels::fraction(src, edge, |p| {
                check::pixels::colour_distance(p, bg) <= TOP_EDGE_SAME
            });
            if same < 0.9 {
                return Err(refusal(vec![too_tight(side)]));
            }
        }
    }
    if min_y < 0.0 {
        // Made-up background above the photo: the top rows it continues must be background.
        let x0 = min_x.max(0.0);
        let x1 = max_x.min(sw);
        if let Some(top) = check::pixels::Area::clipped(src, x0, 0.0, x1, 2.0) {
            let same = check::pixels::fraction(src, top, |p| {
                check::pixels::colour_distance(p, bg) <= TOP_EDGE_SAME
            });
            if same < 0.95 {
                return Err(refusal(vec![head_cut()]));
            }
        }
    }
    Ok(())
}

/// Warps the source to the standard frame; a strong reduction is first done by area
/// averaging over the footprint, so that no source detail aliases.
fn render(src: &Rgb, t: &Similarity, spec: &Spec) -> Result<Rgb, Box<Report>> {
    let (w, h) = (spec.width, spec.height);
    if t.scale >= 1.0 / WARP_MAX_SHRINK {
        return Ok(warp::warp(src, t, w, h));
    }
    // Shrink the footprint's bounding box (plus a margin) to about the output's scale.
    let [min_x, min_y, max_x, max_y] = footprint(t, spec);
    let x0 = (min_x - 2.0).max(0.0).floor();
    let y0 = (min_y - 2.0).max(0.0).floor();
    let x1 = (max_x + 2.0).min(src.width as f32).ceil();
    let y1 = (max_y + 2.0).min(src.height as f32).ceil();
    let k = t.scale;
    let (rw, rh) = (
        ((x1 - x0) * k).round().max(1.0) as u32,
        ((y1 - y0) * k).round().max(1.0) as u32,
    );
    let region = Rect {
        x: x0,
        y: y0,
        w: x1 - x0,
        h: y1 - y0,
    };
    let shrunk = resize::resample(src, region, rw, rh, [0, 0, 0])
        .map_err(|e| refusal(vec![internal(&e.to_string())]))?;
    let kx = rw as f32 / region.w;
    let ky = rh as f32 / region.h;
    let local = Similarity {
        centre: [(t.centre[0] - x0) * kx, (t.centre[1] - y0) * ky],
        scale: t.scale / kx,
        ..*t
    };
    Ok(warp::warp(&shrunk, &local, w, h))
}

/// A refusal: boxed, because a report is large and the happy path should not pay for it.
fn refusal(findings: Vec<Finding>) -> Box<Report> {
    Box::new(Report::from_findings(findings))
}

fn unframable(face_width: f32, crown: f32) -> Finding {
    Finding {
        code: "face.head_top",
        severity: Severity::Reject,
        measured: format!("crown {crown:.0} px above the eyes, face {face_width:.0} px").into(),
        limit: "head top, eye line and face width in band".into(),
        zh: "无法同时满足头顶、眼睛位置和脸宽的要求（如头发过高），请调整发型或取景后重新拍摄。".into(),
        en: "Head top, eye line and face width cannot all be placed within the standard (for example, very tall hair). Adjust and take the photo again.".into(),
    }
}

fn too_tight(missing_px: f32) -> Finding {
    Finding {
        code: "face.too_large",
        severity: Severity::Reject,
        measured: format!("{missing_px:.0} px missing").into(),
        limit: "head and shoulders in the frame".into(),
        zh: "取景过紧，肩部或两侧被裁掉，无法制作标准照，请离镜头远一些，使头部和双肩完整入镜。".into(),
        en: "The framing is too tight (shoulders or sides cut off). Step back so that your head and both shoulders are in the frame.".into(),
    }
}

fn too_small_source(scale: f32) -> Finding {
    Finding {
        code: "face.too_small",
        severity: Severity::Reject,
        measured: scale.into(),
        limit: format!("≤ {MAX_UPSCALE}× enlargement").into(),
        zh: "照片中的人像过小、分辨率不足，放大后会模糊，请靠近镜头或使用更高分辨率重新拍摄。".into(),
        en: "The face is too small in this photo; enlarging it would blur it. Move closer or use a higher resolution."
            .into(),
    }
}

fn internal(detail: &str) -> Finding {
    Finding {
        code: "engine.error",
        severity: Severity::Review,
        measured: detail.into(),
        limit: "".into(),
        zh: "系统暂时无法处理这张照片，将由工作人员人工处理。".into(),
        en: "The photo could not be processed automatically; a member of staff will handle it."
            .into(),
    }
}
