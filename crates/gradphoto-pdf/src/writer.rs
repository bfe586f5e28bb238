//! Laid-out pages to PDF bytes: content streams, the subset font, the ToUnicode map.
//!
//! The font is embedded the way PDF expects CJK text: a `Type0` font with `Identity-H`
//! encoding over a `CIDFontType2` descendant, so every glyph is two bytes in the content
//! stream and its CID is its glyph id in the subset. Only the glyphs used are embedded (a
//! class list uses a few hundred of the font's ~30,000),
//! and a `ToUnicode` CMap maps each glyph back to its character, so text copied out of the
//! PDF or searched for is real Chinese, not glyph numbers.
//!
//! The output is deterministic (no dates, no random ids): the same document and font give
//! the same bytes, which keeps tests and caches simple.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, TextRenderingMode, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;

use crate::PdfError;
use crate::font::{Font, Glyphs};
use crate::layout::{self, Item, Page};
use crate::model::Document;

/// The one font's resource name in every page.
const FONT_NAME: Name<'static> = Name(b"F0");
/// The picture's resource name on a picture page.
const PICTURE_NAME: Name<'static> = Name(b"Im0");
/// Fake bold: the glyph outlines are also stroked, this share of the font size wide.
const BOLD_STROKE: f32 = 0.03;
/// Table rule width, points.
const RULE_WIDTH: f32 = 0.5;
/// Header fill, grey level.
const FILL_GREY: f32 = 0.9;
/// zlib level: 6 is zlib's own default, a good size for the time.
const DEFLATE_LEVEL: u8 = 6;

/// Lays out `doc` in `font` and writes the PDF.
pub(crate) fn write(doc: &Document, font: &Font) -> Result<Vec<u8>, PdfError> {
    let glyphs = font.glyphs()?;
    let pages = layout::lay_out(doc, &glyphs)?;
    let (page_w, page_h) = doc.orientation.size_pt();

    let mut encoder = Encoder::new(&glyphs);
    let contents: Vec<Vec<u8>> = pages
        .iter()
        .map(|page| content(page, page_h, &mut encoder))
        .collect();
    let subset = subsetter::subset(font.data(), font.index(), &encoder.remapper)
        .map_err(|e| PdfError::Subset(e.to_string()))?;

    let mut last_id = 0;
    let mut next = || {
        last_id += 1;
        Ref::new(last_id)
    };
    let catalog_id = next();
    let tree_id = next();
    let info_id = next();
    let type0_id = next();
    let cid_id = next();
    let descriptor_id = next();
    let font_file_id = next();
    let cmap_id = next();
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (next(), next())).collect();
    // Picture pages: the page, its content and its image.
    let picture_ids: Vec<(Ref, Ref, Ref)> = doc
        .pictures
        .iter()
        .map(|_| (next(), next(), next()))
        .collect();

    let mut pdf = Pdf::new();
    pdf.set_version(1, 7);
    pdf.catalog(catalog_id)
        .pages(tree_id)
        .lang(TextStr("zh-CN"));
    pdf.document_info(info_id)
        .title(TextStr(&doc.title))
        .producer(TextStr("gradphoto"));
    pdf.pages(tree_id)
        .kids(
            page_ids
                .iter()
                .map(|(page, _)| *page)
                .chain(picture_ids.iter().map(|(page, _, _)| *page)),
        )
        .count(i32::try_from(pages.len() + picture_ids.len()).unwrap_or(i32::MAX));
    for ((page_id, content_id), bytes) in page_ids.iter().zip(&contents) {
        let mut page = pdf.page(*page_id);
        page.parent(tree_id)
            .media_box(Rect::new(0.0, 0.0, page_w, page_h))
            .contents(*content_id);
        page.resources().fonts().pair(FONT_NAME, type0_id);
        page.finish();
        let packed = deflate(bytes);
        pdf.stream(*content_id, &packed).filter(Filter::FlateDecode);
    }

    for (picture, (page_id, content_id, image_id)) in doc.pictures.iter().zip(&picture_ids) {
        let (w, h) = (picture.width_pt, picture.height_pt);
        let mut page = pdf.page(*page_id);
        page.parent(tree_id)
            .media_box(Rect::new(0.0, 0.0, w, h))
            .contents(*content_id);
        page.resources().x_objects().pair(PICTURE_NAME, *image_id);
        page.finish();
        let mut c = Content::new();
        c.save_state();
        c.transform([w, 0.0, 0.0, h, 0.0, 0.0]);
        c.x_object(PICTURE_NAME);
        c.restore_state();
        pdf.stream(*content_id, &c.finish());
        let mut image = pdf.image_xobject(*image_id, &picture.jpeg);
        image.filter(Filter::DctDecode);
        image
            .width(i32::try_from(picture.width_px).unwrap_or(i32::MAX))
            .height(i32::try_from(picture.height_px).unwrap_or(i32::MAX))
            .bits_per_component(8);
        image.color_space().device_rgb();
        image.finish();
    }

    let base_font = format!(
        "{}+{}",
        subset_tag(&encoder.remapper),
        font.postscript_name()
    );
    let base_font = Name(base_font.as_bytes());
    let system_info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(type0_id)
        .base_font(base_font)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_id)
        .to_unicode(cmap_id);
    let mut cid = pdf.cid_font(cid_id);
    cid.subtype(CidFontType::Type2)
        .base_font(base_font)
        .system_info(system_info)
        .font_descriptor(descriptor_id)
        .default_width(1000.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    cid.widths().consecutive(0, encoder.widths.iter().copied());
    cid.finish();

    let face = glyphs.face();
    let bbox = face.global_bounding_box();
    let to = |v: i16| glyphs.to_pdf_units(v);
    pdf.font_descriptor(descriptor_id)
        .name(base_font)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            to(bbox.x_min),
            to(bbox.y_min),
            to(bbox.x_max),
            to(bbox.y_max),
        ))
        .italic_angle(face.italic_angle())
        .ascent(to(face.ascender()))
        .descent(to(face.descender()))
        .cap_height(to(face.capital_height().unwrap_or(face.ascender())))
        .stem_v(80.0)
        .font_file2(font_file_id);
    let packed_font = deflate(&subset);
    pdf.stream(font_file_id, &packed_font)
        .filter(Filter::FlateDecode)
        .pair(
            Name(b"Length1"),
            i32::try_from(subset.len()).unwrap_or(i32::MAX),
        );

    let mut cmap = UnicodeCmap::new(Name(b"Adobe-Identity-UCS"), system_info);
    for (cid, c) in &encoder.unicode {
        cmap.pair(*cid, *c);
    }
    let cmap = cmap.finish();
    pdf.cmap(cmap_id, cmap.as_slice());

    Ok(pdf.finish())
}

/// Turns text into two-byte CIDs, collecting the glyphs the subset must keep, their widths
/// and their characters.
struct Encoder<'a> {
    glyphs: &'a Glyphs<'a>,
    /// Original glyph id → subset glyph id (= CID).
    remapper: GlyphRemapper,
    /// Advance of each CID in thousandths of an em, indexed by CID.
    widths: Vec<f32>,
    /// CID → the character it was first used for.
    unicode: BTreeMap<u16, char>,
}

impl<'a> Encoder<'a> {
    fn new(glyphs: &'a Glyphs<'a>) -> Self {
        let (_, notdef) = glyphs.glyph('\0');
        Encoder {
            glyphs,
            remapper: GlyphRemapper::new(),
            widths: vec![notdef * 1000.0],
            unicode: BTreeMap::new(),
        }
    }

    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let (gid, advance) = self.glyphs.glyph(c);
            let cid = self.remapper.remap(gid);
            let index = usize::from(cid);
            if self.widths.len() <= index {
                self.widths.resize(index + 1, 0.0);
            }
            self.widths[index] = advance * 1000.0;
            // The empty box stands for every missing character: it maps to none of them.
            if gid != 0 {
                self.unicode.entry(cid).or_insert(c);
            }
            out.extend_from_slice(&cid.to_be_bytes());
        }
        out
    }
}

/// One page's content stream, flipping the layout's top-down y to PDF's bottom-up.
fn content(page: &Page, page_h: f32, encoder: &mut Encoder<'_>) -> Vec<u8> {
    let mut c = Content::new();
    c.set_line_width(RULE_WIDTH);
    for item in &page.items {
        match item {
            Item::Fill { x, y, w, h } => {
                c.save_state();
                c.set_fill_gray(FILL_GREY);
                c.rect(*x, page_h - y - h, *w, *h);
                c.fill_nonzero();
                c.restore_state();
            }
            Item::Line { x1, y1, x2, y2 } => {
                c.move_to(*x1, page_h - y1);
                c.line_to(*x2, page_h - y2);
                c.stroke();
            }
            Item::Text {
                x,
                y,
                size,
                bold,
                text,
            } => {
                let glyphs = encoder.encode(text);
                c.begin_text();
                c.set_font(FONT_NAME, *size);
                if *bold {
                    c.set_text_rendering_mode(TextRenderingMode::FillStroke);
                    c.set_line_width(size * BOLD_STROKE);
                }
                c.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, page_h - y]);
                c.show(Str(&glyphs));
                if *bold {
                    c.set_text_rendering_mode(TextRenderingMode::Fill);
                    c.set_line_width(RULE_WIDTH);
                }
                c.end_text();
            }
        }
    }
    c.finish().into_vec()
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(bytes, DEFLATE_LEVEL)
}

/// The six capital letters before a subset font's name (PDF 32000 §9.6.4), derived from the
/// glyphs kept so that different subsets of one font get different names in one viewer.
fn subset_tag(remapper: &GlyphRemapper) -> String {
    // FNV-1a over the kept glyph ids: stable across runs and platforms.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for gid in remapper.remapped_gids() {
        for b in gid.to_be_bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 5)) % 26) as u8))
        .collect()
}
