//! Where the prints, the cut marks and the label go, in whole pixels at the print
//! resolution. Computed once from the [`PrintSpec`] and shared by the raster sheet and the
//! PDF, so that the vector marks land exactly on the raster ones.

use serde::Serialize;

use super::{SheetError, font};
use crate::spec::PrintSpec;

/// Lowest print resolution accepted: below it a two-inch print has fewer pixels than the
/// standard image and the label's smallest legible size no longer fits the 4 mm margin.
pub const MIN_DPI: u32 = 150;
/// Highest print resolution accepted: photo printers stop at 600–1200 dpi, and more only
/// multiplies memory.
pub const MAX_DPI: u32 = 1200;
/// Most prints on one sheet.
pub const MAX_COPIES: u32 = 64;
/// Largest sheet side in mm (A2's long side is 594): a typo in the spec must not become a
/// huge allocation.
pub const MAX_SHEET_MM: f32 = 600.0;
/// Most pixels on a rendered sheet (~120 MB of RGB): a 6-inch sheet at 1200 dpi is 34.6 Mpx.
pub const MAX_SHEET_PIXELS: u64 = 40_000_000;
/// Smallest print side in pixels; below it nothing recognisable is left of the photo.
const MIN_PRINT_PX: u32 = 16;

/// Smallest white gap between prints and at the sheet edges, mm: room for the cut marks and
/// for the cutter's tolerance.
const GAP_MIN_MM: f64 = 1.0;
/// Space left between a print corner and its marks, mm, so that a mark never touches the
/// print and a slightly wide cut does not show it.
const MARK_OFFSET_MM: f64 = 0.25;
/// Longest cut mark, mm.
const MARK_MAX_MM: f64 = 3.0;
/// Cut-mark thickness, mm: visible, yet thin enough to aim the blade at.
const MARK_WIDTH_MM: f64 = 0.1;
/// Height of the label's capitals, mm (about a 5 pt font): readable without a loupe, and it
/// fits in the 4 mm the two-inch prints leave free on a 6-inch sheet.
const LABEL_CAP_MM: f64 = 1.2;

/// A rectangle of whole pixels: `x..x + w` × `y..y + h`, origin at the sheet's top left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct PxRect {
    /// Left column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Width in pixels.
    pub w: u32,
    /// Height in pixels.
    pub h: u32,
}

impl PxRect {
    /// One past the right column.
    pub fn right(&self) -> u32 {
        self.x + self.w
    }
    /// One past the bottom row.
    pub fn bottom(&self) -> u32 {
        self.y + self.h
    }
    /// Whether the two rectangles share at least one pixel.
    pub fn overlaps(&self, o: &PxRect) -> bool {
        self.x < o.right() && o.x < self.right() && self.y < o.bottom() && o.y < self.bottom()
    }
    /// Whether pixel `(x, y)` lies inside.
    pub fn contains(&self, x: u32, y: u32) -> bool {
        (self.x..self.right()).contains(&x) && (self.y..self.bottom()).contains(&y)
    }
}

/// A rectangle in millimetres, origin at the sheet's top left.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MmRect {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

/// One cut mark: a short line continuing a print edge outward from a corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Mark {
    /// The pixels painted; outside every print.
    pub rect: PxRect,
    /// The cut line itself, from and to, in pixel-edge coordinates (a print's left edge is
    /// its `x`, its right edge `x + w`): what the PDF strokes.
    pub line: [(u32, u32); 2],
}

/// The computed sheet, in pixels at `dpi` (mm through [`SheetLayout::to_mm`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SheetLayout {
    /// Print resolution.
    pub dpi: u32,
    /// Sheet size in pixels (`sheet_mm` at `dpi`, rounded).
    pub sheet_px: (u32, u32),
    /// Sheet size in mm, as specified: the PDF page.
    pub sheet_mm: (f32, f32),
    /// One print in pixels (`photo_mm` at `dpi`, rounded).
    pub photo_px: (u32, u32),
    /// Grid columns.
    pub cols: u32,
    /// Grid rows.
    pub rows: u32,
    /// One rectangle per copy, row by row; the last row may be partly empty.
    pub prints: Vec<PxRect>,
    /// Cut marks, two per print corner (a mark shared by neighbouring prints appears once).
    pub marks: Vec<Mark>,
    /// Where the label goes: in the bottom margin, under the first column, between its marks.
    pub label: PxRect,
    /// Pixels per font dot for the label (the font is 7 dots high).
    pub label_dot: u32,
}

impl SheetLayout {
    /// Pixels → mm at this layout's resolution.
    pub fn px_to_mm(&self, px: u32) -> f32 {
        (f64::from(px) * 25.4 / f64::from(self.dpi)) as f32
    }
    /// A pixel rectangle in mm.
    pub fn to_mm(&self, r: &PxRect) -> MmRect {
        MmRect {
            x: self.px_to_mm(r.x),
            y: self.px_to_mm(r.y),
            w: self.px_to_mm(r.w),
            h: self.px_to_mm(r.h),
        }
    }
    /// Cut-mark thickness in pixels.
    pub fn mark_width(&self) -> u32 {
        self.marks.first().map_or(1, |m| {
            if m.line[0].1 == m.line[1].1 {
                m.rect.h
            } else {
                m.rect.w
            }
        })
    }
}

/// mm → whole pixels at `dpi`.
fn mm_px(mm: f64, dpi: u32) -> u32 {
    (mm * f64::from(dpi) / 25.4).round() as u32
}

/// Refuses a spec whose numbers are not usable before any arithmetic is done with them.
fn check_spec(spec: &PrintSpec) -> Result<(), SheetError> {
    let bad = |msg: String| Err(SheetError::Spec(msg));
    if !(MIN_DPI..=MAX_DPI).contains(&spec.dpi) {
        return bad(format!("dpi {} outside {MIN_DPI}..={MAX_DPI}", spec.dpi));
    }
    if !(1..=MAX_COPIES).contains(&spec.copies) {
        return bad(format!("copies {} outside 1..={MAX_COPIES}", spec.copies));
    }
    let sizes = [
        ("photo width", spec.photo_mm.0),
        ("photo height", spec.photo_mm.1),
        ("sheet width", spec.sheet_mm.0),
        ("sheet height", spec.sheet_mm.1),
    ];
    for (what, mm) in sizes {
        if !mm.is_finite() || mm <= 0.0 || mm > MAX_SHEET_MM {
            return bad(format!("{what} {mm} mm outside (0, {MAX_SHEET_MM}]"));
        }
    }
    let (w, h) = (
        f64::from(spec.sheet_mm.0) * f64::from(spec.dpi) / 25.4,
        f64::from(spec.sheet_mm.1) * f64::from(spec.dpi) / 25.4,
    );
    if w.round() * h.round() > MAX_SHEET_PIXELS as f64 {
        return bad(format!(
            "a {}×{} mm sheet at {} dpi exceeds {MAX_SHEET_PIXELS} pixels",
            spec.sheet_mm.0, spec.sheet_mm.1, spec.dpi
        ));
    }
    let (pw, ph) = (
        mm_px(f64::from(spec.photo_mm.0), spec.dpi),
        mm_px(f64::from(spec.photo_mm.1), spec.dpi),
    );
    if pw < MIN_PRINT_PX || ph < MIN_PRINT_PX {
        return bad(format!(
            "a {}×{} mm print is {pw}×{ph} px at {} dpi, under {MIN_PRINT_PX} px",
            spec.photo_mm.0, spec.photo_mm.1, spec.dpi
        ));
    }
    Ok(())
}

/// Lays out `spec.copies` prints on the sheet: the grid with the fewest empty cells (then
/// the widest gaps) whose prints, gaps of at least 1 mm and a bottom margin tall enough for
/// the label all fit; gaps are spread evenly. Prints keep their orientation (a rotated
/// print would need the lab to turn it back). Refuses a spec that does not fit.
pub fn layout(spec: &PrintSpec) -> Result<SheetLayout, SheetError> {
    check_spec(spec)?;
    let dpi = spec.dpi;
    let sheet_w = mm_px(f64::from(spec.sheet_mm.0), dpi);
    let sheet_h = mm_px(f64::from(spec.sheet_mm.1), dpi);
    let pw = mm_px(f64::from(spec.photo_mm.0), dpi);
    let ph = mm_px(f64::from(spec.photo_mm.1), dpi);
    let offset = mm_px(MARK_OFFSET_MM, dpi).max(1);
    let thick = mm_px(MARK_WIDTH_MM, dpi).max(1);
    // Each gap holds a mark of at least one pixel between two offsets.
    let gap_min = mm_px(GAP_MIN_MM, dpi).max(2 * offset + thick);
    let mark_max = mm_px(MARK_MAX_MM, dpi).max(1);
    let dot =
        ((LABEL_CAP_MM * f64::from(dpi) / 25.4 / f64::from(font::ROWS)).round() as u32).max(1);
    let label_h = font::ROWS * dot;
    let bottom_min = gap_min.max(label_h + 2 * offset);
    let inset = offset + thick;
    if pw <= 2 * inset {
        return Err(SheetError::Spec(format!(
            "a {pw} px print leaves no room for the label"
        )));
    }

    // (empty cells, -smallest spare gap) is minimised; u64 keeps every product exact.
    let mut best: Option<((u32, i64), u32, u32)> = None;
    for cols in 1..=spec.copies {
        let rows = spec.copies.div_ceil(cols);
        let need_w = u64::from(cols) * u64::from(pw) + u64::from(cols + 1) * u64::from(gap_min);
        let need_h = u64::from(rows) * u64::from(ph + gap_min) + u64::from(bottom_min);
        if need_w > u64::from(sheet_w) || need_h > u64::from(sheet_h) {
            continue;
        }
        let spare_w = (u64::from(sheet_w) - need_w) / u64::from(cols + 1);
        let spare_h = (u64::from(sheet_h) - need_h) / u64::from(rows + 1);
        let score = (cols * rows - spec.copies, -(spare_w.min(spare_h) as i64));
        if best.is_none_or(|(s, _, _)| score < s) {
            best = Some((score, cols, rows));
        }
    }
    let Some((_, cols, rows)) = best else {
        return Err(SheetError::DoesNotFit {
            copies: spec.copies,
            photo_mm: spec.photo_mm,
            sheet_mm: spec.sheet_mm,
        });
    };

    // Positions: the spare space is cut into cols+1 (rows+1) nearly equal gaps; the bottom
    // margin also gets the label's extra height.
    let spare_w = sheet_w - cols * pw;
    let spare_h = sheet_h - rows * ph - (bottom_min - gap_min);
    let xs: Vec<u32> = (0..cols)
        .map(|i| (u64::from(i + 1) * u64::from(spare_w) / u64::from(cols + 1)) as u32 + i * pw)
        .collect();
    let ys: Vec<u32> = (0..rows)
        .map(|j| (u64::from(j + 1) * u64::from(spare_h) / u64::from(rows + 1)) as u32 + j * ph)
        .collect();
    let prints: Vec<PxRect> = ys
        .iter()
        .flat_map(|&y| xs.iter().map(move |&x| PxRect { x, y, w: pw, h: ph }))
        .take(spec.copies as usize)
        .collect();

    let marks = cut_marks(&prints, (sheet_w, sheet_h), offset, thick, mark_max);

    let last_row_y = ys.last().copied().unwrap_or(0);
    let below = last_row_y + ph;
    let label = PxRect {
        x: xs[0] + inset,
        y: below + (sheet_h - below - label_h) / 2,
        w: pw - 2 * inset,
        h: label_h,
    };

    Ok(SheetLayout {
        dpi,
        sheet_px: (sheet_w, sheet_h),
        sheet_mm: spec.sheet_mm,
        photo_px: (pw, ph),
        cols,
        rows,
        prints,
        marks,
        label,
        label_dot: dot,
    })
}

/// Two marks per print corner, each on the line of one print edge, pointing away from the
/// print: they start `offset` px from the corner and run `max_len` px, or up to `offset`
/// px short of the next print, or to the sheet edge. A mark shared by two neighbouring
/// prints (same line, same gap) is kept once.
fn cut_marks(
    prints: &[PxRect],
    (sheet_w, sheet_h): (u32, u32),
    offset: u32,
    thick: u32,
    max_len: u32,
) -> Vec<Mark> {
    let mut marks: Vec<Mark> = Vec::new();
    let mut push = |m: Option<Mark>| {
        if let Some(m) = m
            && !marks.contains(&m)
        {
            marks.push(m);
        }
    };
    for p in prints {
        for (cx, dir_x) in [(p.x, -1i8), (p.right(), 1)] {
            for (cy, dir_y) in [(p.y, -1i8), (p.bottom(), 1)] {
                // Horizontal mark on the line y = cy, going in dir_x.
                let band_y = cy.saturating_sub(thick / 2).min(sheet_h - thick);
                let start = if dir_x < 0 {
                    cx.checked_sub(offset)
                } else {
                    Some(cx + offset)
                };
                push(start.and_then(|s| {
                    let (a, b) = run(
                        s,
                        dir_x,
                        sheet_w,
                        offset,
                        max_len,
                        prints
                            .iter()
                            .filter(|q| touches(q.y, q.bottom(), cy, band_y, thick))
                            .map(|q| (q.x, q.right())),
                    )?;
                    Some(Mark {
                        rect: PxRect {
                            x: a,
                            y: band_y,
                            w: b - a,
                            h: thick,
                        },
                        line: [(s, cy), (if dir_x < 0 { a } else { b }, cy)],
                    })
                }));
                // Vertical mark on the line x = cx, going in dir_y.
                let band_x = cx.saturating_sub(thick / 2).min(sheet_w - thick);
                let start = if dir_y < 0 {
                    cy.checked_sub(offset)
                } else {
                    Some(cy + offset)
                };
                push(start.and_then(|s| {
                    let (a, b) = run(
                        s,
                        dir_y,
                        sheet_h,
                        offset,
                        max_len,
                        prints
                            .iter()
                            .filter(|q| touches(q.x, q.right(), cx, band_x, thick))
                            .map(|q| (q.y, q.bottom())),
                    )?;
                    Some(Mark {
                        rect: PxRect {
                            x: band_x,
                            y: a,
                            w: thick,
                            h: b - a,
                        },
                        line: [(cx, s), (cx, if dir_y < 0 { a } else { b })],
                    })
                }));
            }
        }
    }
    marks
}

/// Whether a print spanning `lo..hi` across a mark blocks it: the mark's pixels
/// (`band..band + thick`) cross the print, or its line (`line`, an edge coordinate) touches
/// the print's edge — the mark on a print's right edge runs in the column just outside it,
/// and must still stop before the corner of the print below.
fn touches(lo: u32, hi: u32, line: u32, band: u32, thick: u32) -> bool {
    (lo < band + thick && band < hi) || (lo..=hi).contains(&line)
}

/// The extent `a..b` of a mark starting at `start` and running in `dir` along one axis of
/// length `limit`, stopped `offset` short of the nearest obstacle interval ahead (a print
/// crossing the mark's band) or at the sheet edge. `None` when nothing fits.
fn run(
    start: u32,
    dir: i8,
    limit: u32,
    offset: u32,
    max_len: u32,
    obstacles: impl Iterator<Item = (u32, u32)>,
) -> Option<(u32, u32)> {
    if start > limit {
        return None;
    }
    let (a, b) = if dir < 0 {
        let stop = obstacles
            .filter(|&(_, hi)| hi <= start)
            .map(|(_, hi)| hi + offset)
            .max()
            .unwrap_or(0);
        (stop.max(start.saturating_sub(max_len)), start)
    } else {
        let stop = obstacles
            .filter(|&(lo, _)| lo >= start)
            .map(|(lo, _)| lo.saturating_sub(offset))
            .min()
            .unwrap_or(limit);
        (start, stop.min(start + max_len))
    };
    (a < b).then_some((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_layout() -> SheetLayout {
        layout(&PrintSpec::default()).expect("default spec lays out")
    }

    #[test]
    fn eight_two_inch_prints_on_six_inch_at_300_dpi() {
        let l = default_layout();
        assert_eq!(l.sheet_px, (1795, 1205));
        assert_eq!(l.photo_px, (413, 579));
        assert_eq!((l.cols, l.rows), (4, 2));
        assert_eq!(l.prints.len(), 8);
        assert_eq!(l.label_dot, 2);
        // 143 spare px across 5 gaps (28/29 each), 47 down: 13 + 13 + 21 (the bottom one holds the label).
        let xs: Vec<u32> = l.prints[..4].iter().map(|p| p.x).collect();
        assert_eq!(xs, [28, 470, 911, 1353]);
        assert_eq!((l.prints[0].y, l.prints[4].y), (13, 605));
        assert_eq!(l.sheet_px.1 - l.prints[7].bottom(), 21);
        assert!((l.to_mm(&l.prints[0]).w - 34.967).abs() < 0.01);
    }

    fn check_geometry(l: &SheetLayout) {
        let (w, h) = l.sheet_px;
        let sheet = PxRect { x: 0, y: 0, w, h };
        for (i, p) in l.prints.iter().enumerate() {
            assert!(
                p.right() <= w && p.bottom() <= h,
                "print {i} {p:?} leaves the sheet"
            );
            for q in &l.prints[i + 1..] {
                assert!(!p.overlaps(q), "{p:?} overlaps {q:?}");
            }
            assert!(!p.overlaps(&l.label), "label {:?} on print {p:?}", l.label);
        }
        assert!(l.label.right() <= w && l.label.bottom() <= h && l.label.w > 0);
        for m in &l.marks {
            assert!(m.rect.w > 0 && m.rect.h > 0);
            assert!(
                m.rect.right() <= sheet.right() && m.rect.bottom() <= sheet.bottom(),
                "{m:?} leaves the sheet"
            );
            for p in &l.prints {
                assert!(!m.rect.overlaps(p), "mark {m:?} inside print {p:?}");
            }
            assert!(!m.rect.overlaps(&l.label), "mark {m:?} on the label");
            // Nor along a print's side: widened across its length, a mark still misses every
            // print.
            let g = mm_px(MARK_OFFSET_MM, l.dpi).max(1) - 1;
            let across_x = m.line[0].0 == m.line[1].0;
            let grown = PxRect {
                x: m.rect.x.saturating_sub(if across_x { g } else { 0 }),
                y: m.rect.y.saturating_sub(if across_x { 0 } else { g }),
                w: m.rect.w + if across_x { 2 * g } else { 0 },
                h: m.rect.h + if across_x { 0 } else { 2 * g },
            };
            for p in &l.prints {
                assert!(!grown.overlaps(p), "mark {m:?} runs along print {p:?}");
            }
            let [(x0, y0), (x1, y1)] = m.line;
            assert!(x0 == x1 || y0 == y1, "{m:?} is not axis-aligned");
        }
        // Every corner of every print has a horizontal and a vertical mark, starting one
        // offset away from it.
        let off = mm_px(MARK_OFFSET_MM, l.dpi).max(1);
        let has_end = |pt: (u32, u32)| l.marks.iter().any(|m| m.line.contains(&pt));
        for p in &l.prints {
            for (cx, hx) in [(p.x, p.x - off), (p.right(), p.right() + off)] {
                for (cy, vy) in [(p.y, p.y - off), (p.bottom(), p.bottom() + off)] {
                    assert!(
                        has_end((hx, cy)),
                        "corner ({cx}, {cy}) lacks a horizontal mark"
                    );
                    assert!(
                        has_end((cx, vy)),
                        "corner ({cx}, {cy}) lacks a vertical mark"
                    );
                }
            }
        }
    }

    #[test]
    fn prints_do_not_overlap_and_marks_stay_outside_them() {
        check_geometry(&default_layout());
        for spec in [
            PrintSpec {
                copies: 7,
                ..PrintSpec::default()
            },
            PrintSpec {
                copies: 1,
                ..PrintSpec::default()
            },
            PrintSpec {
                dpi: 600,
                ..PrintSpec::default()
            },
            PrintSpec {
                dpi: 150,
                ..PrintSpec::default()
            },
            PrintSpec {
                dpi: 1200,
                ..PrintSpec::default()
            },
            PrintSpec {
                photo_mm: (25.0, 35.0),
                copies: 10,
                ..PrintSpec::default()
            },
            PrintSpec {
                sheet_mm: (102.0, 152.0),
                copies: 6,
                ..PrintSpec::default()
            },
        ] {
            let l = layout(&spec).expect("spec lays out");
            assert_eq!(l.prints.len() as u32, spec.copies);
            check_geometry(&l);
        }
    }

    #[test]
    fn one_inch_prints_use_a_denser_grid() {
        let l = layout(&PrintSpec {
            photo_mm: (25.0, 35.0),
            copies: 10,
            ..PrintSpec::default()
        })
        .expect("fits");
        assert_eq!((l.cols, l.rows), (5, 2));
    }

    #[test]
    fn bad_specs_are_refused_not_panicked_on() {
        let d = PrintSpec::default();
        let cases = [
            PrintSpec {
                copies: 0,
                ..d.clone()
            },
            PrintSpec {
                copies: 9,
                ..d.clone()
            },
            PrintSpec {
                copies: 1_000_000,
                ..d.clone()
            },
            PrintSpec {
                dpi: 0,
                ..d.clone()
            },
            PrintSpec {
                dpi: 72,
                ..d.clone()
            },
            PrintSpec {
                dpi: 50_000,
                ..d.clone()
            },
            PrintSpec {
                photo_mm: (200.0, 49.0),
                ..d.clone()
            },
            PrintSpec {
                photo_mm: (f32::NAN, 49.0),
                ..d.clone()
            },
            PrintSpec {
                photo_mm: (-35.0, 49.0),
                ..d.clone()
            },
            PrintSpec {
                sheet_mm: (f32::INFINITY, 102.0),
                ..d.clone()
            },
            PrintSpec {
                sheet_mm: (1e30, 1e30),
                ..d.clone()
            },
            PrintSpec {
                sheet_mm: (590.0, 590.0),
                dpi: 1200,
                ..d.clone()
            },
            PrintSpec {
                photo_mm: (0.5, 0.5),
                ..d.clone()
            },
        ];
        for spec in cases {
            let err = layout(&spec).expect_err("refused");
            assert!(!err.to_string().is_empty());
        }
        let err = layout(&PrintSpec { copies: 9, ..d }).expect_err("refused");
        assert!(
            matches!(err, SheetError::DoesNotFit { copies: 9, .. }),
            "{err}"
        );
    }
}
