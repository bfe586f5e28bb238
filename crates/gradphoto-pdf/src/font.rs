//! The one font a document is set in: checked once when loaded, measured during layout,
//! subset and embedded by the writer.
//!
//! One CJK font covers Chinese, Latin letters and digits, so a report needs no font
//! fallback and no shaping: Chinese and the student numbers beside it need neither
//! ligatures nor kerning. The font must have TrueType (`glyf`) outlines: that is what the
//! subsetter keeps small and what a `CIDFontType2` embeds without conversion.

use ttf_parser::{Face, GlyphId, Permissions, name_id};

use crate::PdfError;
use crate::wrap::Measure;

/// Where Debian's `fonts-wqy-microhei` puts WenQuanYi Micro Hei (Apache-2.0), the font
/// `scripts/fetch-fonts` installs and checks: the default of the app's font setting.
///
/// Micro Hei is Droid Sans Fallback's ideographs merged with Droid Sans's Latin letters and
/// digits, so one font sets a whole sheet. (`fonts-droid-fallback`'s own file has no Latin
/// letters or digits at all, so student numbers would print as empty boxes.) The file is a
/// collection; face 0 is the proportional one, which [`Font::from_bytes`] takes.
pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

/// A character every font for these reports must have: the 国 of 全国高校….
const PROBE_CJK: char = '国';

/// A loaded, checked TrueType font.
///
/// Cheap to share by reference: rendering reads it and never changes it. Holds the whole
/// file (about 5 MB for WenQuanYi Micro Hei); each PDF embeds only the glyphs it uses.
pub struct Font {
    data: Vec<u8>,
    /// Which face of a collection (`.ttc`); 0 for a plain `.ttf`.
    index: u32,
    postscript_name: String,
    /// Units per em, to turn font units into the PDF's thousandths of an em.
    units_per_em: f32,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Font")
            .field("postscript_name", &self.postscript_name)
            .field("bytes", &self.data.len())
            .finish()
    }
}

impl Font {
    /// Checks that `data` is a TrueType font (or collection: its first face) that can be
    /// embedded and has Chinese and Latin characters, and keeps it.
    ///
    /// Done once, when the app loads its configured font, so a wrong file is reported at
    /// start-up rather than when the first sheet is printed.
    pub fn from_bytes(data: Vec<u8>) -> Result<Font, PdfError> {
        Font::from_collection(data, 0)
    }

    /// Like [`Font::from_bytes`], for face `index` of a font collection (`.ttc`).
    pub fn from_collection(data: Vec<u8>, index: u32) -> Result<Font, PdfError> {
        let face = Face::parse(&data, index).map_err(|e| PdfError::FontParse(e.to_string()))?;
        if face.tables().glyf.is_none() {
            return Err(PdfError::NotTrueType);
        }
        if matches!(face.permissions(), Some(Permissions::Restricted)) {
            return Err(PdfError::NotEmbeddable);
        }
        if face.glyph_index(PROBE_CJK).is_none() || face.glyph_index('A').is_none() {
            return Err(PdfError::NoCjk);
        }
        let postscript_name = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .map(|n| sanitize_name(&n))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "CJKFont".to_owned());
        let units_per_em = f32::from(face.units_per_em());
        Ok(Font {
            data,
            index,
            postscript_name,
            units_per_em,
        })
    }

    /// The font's PostScript name (as embedded, after the subset tag).
    pub fn postscript_name(&self) -> &str {
        &self.postscript_name
    }

    /// The characters of `text` this font has no glyph for, each once, in order.
    ///
    /// They print as an empty box and do not copy out of the PDF, so a caller can warn,
    /// e.g. about a rare character in a student's name.
    pub fn missing_chars(&self, text: &str) -> Vec<char> {
        let Ok(glyphs) = self.glyphs() else {
            return text.chars().filter(|c| !c.is_whitespace()).collect();
        };
        let mut missing: Vec<char> = Vec::new();
        for c in text.chars() {
            if !c.is_whitespace() && glyphs.glyph(c).0 == 0 && !missing.contains(&c) {
                missing.push(c);
            }
        }
        missing
    }

    /// The font file as given.
    pub(crate) fn data(&self) -> &[u8] {
        &self.data
    }

    /// The face used, within a collection.
    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    /// The parsed font, for measuring and embedding. Parsing only reads the table
    /// directory, so doing it once per document costs nothing.
    pub(crate) fn glyphs(&self) -> Result<Glyphs<'_>, PdfError> {
        let face =
            Face::parse(&self.data, self.index).map_err(|e| PdfError::FontParse(e.to_string()))?;
        Ok(Glyphs {
            face,
            units_per_em: self.units_per_em,
        })
    }
}

/// PDF names must not contain spaces or delimiters; PostScript names should not either.
fn sanitize_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(60)
        .collect()
}

/// The parsed face with the lookups the layout and the writer need.
pub(crate) struct Glyphs<'a> {
    face: Face<'a>,
    units_per_em: f32,
}

impl Glyphs<'_> {
    /// The glyph for `c` (0, the empty box, when the font has none) and its advance in ems.
    pub(crate) fn glyph(&self, c: char) -> (u16, f32) {
        let id = self.face.glyph_index(c).unwrap_or(GlyphId(0));
        let advance = self.face.glyph_hor_advance(id).unwrap_or(0);
        (id.0, f32::from(advance) / self.units_per_em)
    }

    /// Font units to the PDF's thousandths of an em.
    pub(crate) fn to_pdf_units(&self, v: i16) -> f32 {
        f32::from(v) * 1000.0 / self.units_per_em
    }

    /// The parsed face, for the font descriptor's metrics.
    pub(crate) fn face(&self) -> &Face<'_> {
        &self.face
    }
}

impl Measure for Glyphs<'_> {
    fn advance(&self, c: char) -> f32 {
        self.glyph(c).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_font() {
        let err = Font::from_bytes(b"not a font at all".to_vec()).expect_err("refused");
        assert!(matches!(err, PdfError::FontParse(_)), "{err}");
    }

    #[test]
    fn names_are_made_safe_for_pdf() {
        assert_eq!(
            sanitize_name("Droid Sans (Fallback)/x"),
            "DroidSansFallbackx"
        );
    }
}
