//! The checks: each a small named unit that measures one thing, holds it to a limit and
//! explains itself in Chinese and English. [`analyse`] runs them all on decoded pixels so
//! that the student hears every problem at once, not one per upload.

mod background;
mod face;
mod file;
mod finding;
mod light;
pub(crate) mod pixels;
#[cfg(test)]
mod tests;

pub(crate) use face::Frame;
pub(crate) use file::undecodable;

use crate::decode::{Header, Rgb};
use crate::detect::Face;
use crate::report::{FaceGeometry, Finding};
use crate::spec::Spec;

/// What [`analyse`] found.
pub(crate) struct Analysis {
    pub findings: Vec<Finding>,
    /// The main face, in the analysed image's pixels.
    pub face: Option<FaceGeometry>,
    /// The detector's output for the main face (for the face hash).
    pub main: Option<Face>,
    /// The background's median colour, when any background was visible.
    pub background: Option<[u8; 3]>,
}

/// Which checks apply: a finished standard image gets all of them; a source portrait that
/// is about to be standardized only those the standardizer cannot change (no size, framing
/// or file checks — it crops, scales and re-encodes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Finished,
    Source,
}

/// Runs every check on `img`, the decoded image (display orientation), whose header is
/// `header`; `display` is the file's displayed size (the image may have been decoded at a
/// reduced scale); `faces` are the detector's output on `img`.
pub(crate) fn analyse(
    img: &Rgb,
    header: &Header,
    display: (u32, u32),
    faces: &[Face],
    spec: &Spec,
    purpose: Purpose,
) -> Analysis {
    let mut findings = Vec::new();
    if purpose == Purpose::Finished {
        findings.extend(file::format(header));
        findings.extend(file::size(display.0, display.1, spec));
        findings.extend(file::quality(header, spec));
    }
    findings.extend(file::grayscale(header, img));

    let main = face::select(faces);
    let geometry = main.map(|(f, _)| face::geometry(img, &f));
    match main {
        None => findings.push(face::none()),
        Some((_, others)) => findings.extend(face::multiple(others)),
    }
    if let (Some(g), Purpose::Finished) = (&geometry, purpose) {
        findings.extend(face::judge(g, Frame::new(img, spec), spec));
    }
    if let (Some(g), Purpose::Source) = (&geometry, purpose) {
        findings.extend(face::judge_pose(g));
    }

    let areas = background::areas(img, geometry.as_ref());
    let bg = background::colour_of(img, &areas);
    if let Some(bg) = bg {
        findings.extend(background::colour(bg, spec));
        findings.extend(background::evenness(img, &areas, bg));
        if let Some(g) = &geometry {
            findings.extend(background::clothing(img, g, bg));
        }
    }

    if let Some(skin) = light::face_area(img, geometry.as_ref()) {
        findings.extend(light::exposure(img, skin));
        if let Some(g) = &geometry {
            findings.extend(light::evenness(img, skin, g));
            findings.extend(light::sharpness(img, skin));
        }
    }
    Analysis {
        findings,
        face: geometry,
        main: main.map(|(f, _)| f),
        background: bg,
    }
}
