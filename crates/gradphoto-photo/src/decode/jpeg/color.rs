//! From component planes to packed RGB: chroma brought up to luma resolution with libjpeg's
//! "fancy" triangle filter (each output sample ¾ its own chroma sample, ¼ the nearer
//! neighbour, in both directions), then the JFIF YCbCr → RGB conversion in fixed point.

use super::scan::Plane;
use crate::decode::Rgb;
use crate::decode::orient::Turn;

/// `planes` are Y (or grey) then Cb, Cr; `factors` each plane's (horizontal, vertical)
/// subsampling relative to the largest (1 or 2). The image comes out turned as EXIF
/// `orientation` says, each row placed as it is converted.
pub(super) fn to_rgb(
    planes: &[Plane],
    factors: &[(usize, usize)],
    width: usize,
    height: usize,
    orientation: u8,
) -> Rgb {
    let turn = Turn::new(orientation, width, height);
    let mut data = vec![0u8; width * height * 3];
    let mut scratch = Scratch::new(width);
    if turn.is_identity() {
        for (y, row) in data.chunks_exact_mut(width * 3).enumerate() {
            convert_row(planes, factors, (y, width, height), &mut scratch, row);
        }
    } else if !turn.is_quarter() {
        // Mirrored or upside down: a stored row is a displayed row.
        let mut row = vec![0u8; width * 3];
        for y in 0..height {
            convert_row(planes, factors, (y, width, height), &mut scratch, &mut row);
            place(&turn, y, &row, &mut data);
        }
    } else {
        // Turned a quarter: a stored row is a displayed column. A band of rows is converted
        // first, so that each displayed row receives a run of pixels at once instead of one
        // (a row at a time wrote every pixel to a different cache line).
        let mut band = vec![0u8; BAND * width * 3];
        for y0 in (0..height).step_by(BAND) {
            let rows = BAND.min(height - y0);
            for (j, row) in band.chunks_exact_mut(width * 3).take(rows).enumerate() {
                convert_row(planes, factors, (y0 + j, width, height), &mut scratch, row);
            }
            place_band(&turn, y0, &band[..rows * width * 3], &mut data);
        }
    }
    Rgb {
        width: turn.width as u32,
        height: turn.height as u32,
        data,
    }
}

/// Stored rows per band when the image is turned a quarter: 16 rows of a 1000-px image fill
/// 48 KB, about what the first-level cache holds.
const BAND: usize = 16;

/// Stored rows `y0..` (`band`, whole rows) into their displayed places, for a quarter turn:
/// the band's pixels of one stored column are adjacent on one displayed row.
fn place_band(turn: &Turn, y0: usize, band: &[u8], data: &mut [u8]) {
    let (width, _) = turn.stored_size();
    let rows = band.len() / (width * 3).max(1);
    let (start, step) = turn.row(y0);
    // Displayed index of stored (0, y0 + j) is start + j · along, with along = ±1.
    let along: isize = if rows > 1 {
        turn.row(y0 + 1).0 as isize - start as isize
    } else {
        1
    };
    for x in 0..width {
        let first = start as isize + x as isize * step;
        let last = first + (rows as isize - 1) * along;
        let lo = first.min(last) as usize;
        let Some(out) = data.get_mut(lo * 3..(lo + rows) * 3) else {
            continue;
        };
        let column = band
            .chunks_exact(width * 3)
            .map(|row| &row[x * 3..x * 3 + 3]);
        if along > 0 {
            for (o, px) in out.chunks_exact_mut(3).zip(column) {
                o.copy_from_slice(px);
            }
        } else {
            for (o, px) in out.chunks_exact_mut(3).rev().zip(column) {
                o.copy_from_slice(px);
            }
        }
    }
}

/// Stored row `y` into its displayed place.
fn place(turn: &Turn, y: usize, row: &[u8], data: &mut [u8]) {
    let (start, step) = turn.row(y);
    if step == 1 {
        if let Some(out) = data.get_mut(start * 3..start * 3 + row.len()) {
            out.copy_from_slice(row);
        }
        return;
    }
    let mut at = start as isize;
    for px in row.chunks_exact(3) {
        if let Some(out) = data.get_mut(at as usize * 3..at as usize * 3 + 3) {
            out.copy_from_slice(px);
        }
        at += step;
    }
}

/// Row buffers of the conversion, allocated once per image.
struct Scratch {
    cb: Vec<u8>,
    cr: Vec<u8>,
    sums: Vec<u16>,
    channels: [Vec<u8>; 3],
}

impl Scratch {
    fn new(width: usize) -> Scratch {
        Scratch {
            cb: vec![0; width],
            cr: vec![0; width],
            sums: vec![0; width],
            channels: [vec![0; width], vec![0; width], vec![0; width]],
        }
    }
}

/// Stored row `y` as packed RGB into `row` (`width` × 3 bytes).
fn convert_row(
    planes: &[Plane],
    factors: &[(usize, usize)],
    (y, width, height): (usize, usize, usize),
    scratch: &mut Scratch,
    row: &mut [u8],
) {
    let luma = &planes[0];
    let ys = &luma.data[y * luma.width..][..width];
    if planes.len() < 3 {
        interleave([ys, ys, ys], row);
        return;
    }
    let Scratch {
        cb,
        cr,
        sums,
        channels: [r, g, b],
    } = scratch;
    upsample_row(&planes[1], factors[1], y, width, height, sums, cb);
    upsample_row(&planes[2], factors[2], y, width, height, sums, cr);
    // The conversion into three channel rows (a loop the compiler vectorises), then one
    // pass that interleaves them. Converting straight into packed pixels kept the
    // arithmetic scalar (perf: colour took half of decoding a 480×640 file).
    for (((((&l, &cb), &cr), r), g), b) in ys
        .iter()
        .zip(&*cb)
        .zip(&*cr)
        .zip(r.iter_mut())
        .zip(g.iter_mut())
        .zip(b.iter_mut())
    {
        [*r, *g, *b] = ycc_to_rgb(l, cb, cr);
    }
    interleave([&r[..], &g[..], &b[..]], row);
}

/// Packs three channel rows into RGB pixels, four pixels as three 32-bit words: byte by
/// byte it was 12 loads and 12 stores per 4 pixels, and most of the conversion's time.
fn interleave([r, g, b]: [&[u8]; 3], row: &mut [u8]) {
    let quads = r
        .chunks_exact(4)
        .zip(g.chunks_exact(4))
        .zip(b.chunks_exact(4));
    for (out, ((r, g), b)) in row.chunks_exact_mut(12).zip(quads) {
        let word = |c: &[u8]| u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        let (r, g, b) = (word(r), word(g), word(b));
        let byte = |w: u32, i: u32| (w >> (8 * i)) & 0xFF;
        let words = [
            byte(r, 0) | byte(g, 0) << 8 | byte(b, 0) << 16 | byte(r, 1) << 24,
            byte(g, 1) | byte(b, 1) << 8 | byte(r, 2) << 16 | byte(g, 2) << 24,
            byte(b, 2) | byte(r, 3) << 8 | byte(g, 3) << 16 | byte(b, 3) << 24,
        ];
        for (o, w) in out.chunks_exact_mut(4).zip(words) {
            o.copy_from_slice(&w.to_le_bytes());
        }
    }
    let done = (row.len() / 12).min(r.len().min(g.len()).min(b.len()) / 4) * 4;
    let tail = row[done * 3..].chunks_exact_mut(3);
    for (((px, &r), &g), &b) in tail.zip(&r[done..]).zip(&g[done..]).zip(&b[done..]) {
        px.copy_from_slice(&[r, g, b]);
    }
}

/// Output row `y` of a chroma plane at full (luma) resolution into `out[..width]`.
/// `sums` is scratch space for the vertical pass.
fn upsample_row(
    p: &Plane,
    (fx, fy): (usize, usize),
    y: usize,
    width: usize,
    height: usize,
    sums: &mut [u16],
    out: &mut [u8],
) {
    // Samples that hold image (not block padding): neighbours are clamped to them.
    let (cw, ch) = (
        width.div_ceil(fx).min(p.width),
        height.div_ceil(fy).min(p.height),
    );
    let cy = (y / fy).min(ch - 1);
    let near = &p.data[cy * p.width..][..cw];
    // Vertical pass, ×4: ¾ near + ¼ far, or the sample itself.
    if fy == 2 {
        let fy_row = if y.is_multiple_of(2) {
            cy.saturating_sub(1)
        } else {
            (cy + 1).min(ch - 1)
        };
        let far = &p.data[fy_row * p.width..][..cw];
        for ((s, &a), &b) in sums.iter_mut().zip(near).zip(far) {
            *s = 3 * u16::from(a) + u16::from(b);
        }
    } else {
        for (s, &a) in sums.iter_mut().zip(near) {
            *s = 4 * u16::from(a);
        }
    }
    // Horizontal pass, ×4 again, then back to 8 bits with rounding.
    if fx == 2 {
        // Output pair (2i, 2i+1) leans towards samples i-1 and i+1; the edges repeat.
        let s = &sums[..cw];
        let pair = |i: usize| {
            let here = 3 * s[i];
            let left = s[i.saturating_sub(1)];
            let right = s[(i + 1).min(cw - 1)];
            [
                ((here + left + 8) >> 4) as u8,
                ((here + right + 8) >> 4) as u8,
            ]
        };
        let out = &mut out[..width];
        // Pairs 1..inner read both neighbours directly, in a loop without index arithmetic
        // that the compiler vectorises; the first pair and those from `inner` on (the last,
        // and a lone last sample) clamp theirs.
        let inner = cw.saturating_sub(1).min(width / 2).max(1);
        for i in std::iter::once(0).chain(inner..width.div_ceil(2)) {
            if let Some(o) = out.get_mut(2 * i..(2 * i + 2).min(width))
                && !o.is_empty()
            {
                let p = pair(i);
                o.copy_from_slice(&p[..o.len()]);
            }
        }
        if let Some(middle) = out.get_mut(2..2 * inner) {
            for (o, w) in middle.chunks_exact_mut(2).zip(s.windows(3)) {
                let here = 3 * w[1];
                o[0] = ((here + w[0] + 8) >> 4) as u8;
                o[1] = ((here + w[2] + 8) >> 4) as u8;
            }
        }
    } else {
        for (o, &s) in out[..width].iter_mut().zip(&sums[..cw]) {
            *o = ((s + 2) >> 2) as u8;
        }
    }
}

/// JFIF: R = Y + 1.402 Cr', G = Y − 0.344136 Cb' − 0.714136 Cr', B = Y + 1.772 Cb', with
/// 16-bit fixed-point constants as libjpeg.
#[inline]
fn ycc_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (i32::from(y), i32::from(cb) - 128, i32::from(cr) - 128);
    let r = y + ((91_881 * cr + 32_768) >> 16);
    let g = y + ((-22_554 * cb - 46_802 * cr + 32_768) >> 16);
    let b = y + ((116_130 * cb + 32_768) >> 16);
    [
        r.clamp(0, 255) as u8,
        g.clamp(0, 255) as u8,
        b.clamp(0, 255) as u8,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The conversion as first written, pixel by pixel with every neighbour clamped: the
    /// reference the row-wise passes must reproduce exactly.
    fn reference(
        planes: &[Plane],
        factors: &[(usize, usize)],
        width: usize,
        height: usize,
    ) -> Vec<u8> {
        let sample = |p: &Plane, (fx, fy): (usize, usize), x: usize, y: usize| -> u8 {
            let (cw, ch) = (
                width.div_ceil(fx).min(p.width),
                height.div_ceil(fy).min(p.height),
            );
            let at = |cx: usize, cy: usize| u16::from(p.data[cy * p.width + cx]);
            let cy = (y / fy).min(ch - 1);
            let column = |cx: usize| {
                if fy == 2 {
                    let far = if y.is_multiple_of(2) {
                        cy.saturating_sub(1)
                    } else {
                        (cy + 1).min(ch - 1)
                    };
                    3 * at(cx, cy) + at(cx, far)
                } else {
                    4 * at(cx, cy)
                }
            };
            let cx = (x / fx).min(cw - 1);
            if fx == 2 {
                let far = if x.is_multiple_of(2) {
                    cx.saturating_sub(1)
                } else {
                    (cx + 1).min(cw - 1)
                };
                ((3 * column(cx) + column(far) + 8) >> 4) as u8
            } else {
                ((column(cx) + 2) >> 2) as u8
            }
        };
        let mut out = Vec::new();
        for y in 0..height {
            for x in 0..width {
                let l = planes[0].data[y * planes[0].width + x];
                let cb = sample(&planes[1], factors[1], x, y);
                let cr = sample(&planes[2], factors[2], x, y);
                out.extend(ycc_to_rgb(l, cb, cr));
            }
        }
        out
    }

    /// Y, Cb and Cr planes of noise for a `width` × `height` image with chroma subsampled
    /// by `(fx, fy)`, each padded to whole blocks as the scan leaves them.
    fn noise_planes(
        width: usize,
        height: usize,
        (fx, fy): (usize, usize),
        next: &mut impl FnMut() -> u32,
    ) -> [Plane; 3] {
        let mut plane = |w: usize, h: usize| {
            let (w, h) = (w.div_ceil(8) * 8, h.div_ceil(8) * 8);
            Plane {
                width: w,
                height: h,
                data: (0..w * h).map(|_| next() as u8).collect(),
            }
        };
        [
            plane(width, height),
            plane(width.div_ceil(fx), height.div_ceil(fy)),
            plane(width.div_ceil(fx), height.div_ceil(fy)),
        ]
    }

    /// Every subsampling, odd and even sizes from one pixel up, planes padded to whole
    /// blocks: the same bytes as the reference.
    #[test]
    fn rows_equal_the_pixel_by_pixel_reference() {
        let mut next = crate::testing::xorshift(5);
        for (fx, fy) in [(1, 1), (2, 1), (1, 2), (2, 2)] {
            for (width, height) in [
                (1, 1),
                (2, 1),
                (1, 3),
                (3, 2),
                (4, 4),
                (5, 7),
                (17, 9),
                (64, 3),
            ] {
                let planes = noise_planes(width, height, (fx, fy), &mut next);
                let factors = [(1, 1), (fx, fy), (fx, fy)];
                assert_eq!(
                    to_rgb(&planes, &factors, width, height, 1).data,
                    reference(&planes, &factors, width, height),
                    "{width}×{height} at {fx}×{fy}"
                );
            }
        }
    }

    /// A grey image: each sample three times, whole words of four pixels and the rest.
    #[test]
    fn grey_rows_repeat_each_sample() {
        let mut next = crate::testing::xorshift(7);
        for (width, height) in [(1, 1), (3, 2), (4, 1), (7, 3), (13, 5)] {
            let [luma, _, _] = noise_planes(width, height, (1, 1), &mut next);
            let want: Vec<u8> = (0..height)
                .flat_map(|y| (0..width).map(move |x| (x, y)))
                .flat_map(|(x, y)| [luma.data[y * luma.width + x]; 3])
                .collect();
            let got = to_rgb(std::slice::from_ref(&luma), &[(1, 1)], width, height, 1);
            assert_eq!(got.data, want, "{width}×{height}");
        }
    }

    /// Turned while converting equals converting then turning, for every orientation on
    /// square and oblong sizes (a square image turned a quarter still takes the band path),
    /// bands whole and partial.
    #[test]
    fn turned_while_converting_equals_turning_after() {
        let mut next = crate::testing::xorshift(9);
        for (width, height) in [
            (1, 1),
            (5, 5),
            (16, 16),
            (17, 17),
            (9, 20),
            (20, 9),
            (3, 33),
        ] {
            let planes = noise_planes(width, height, (2, 2), &mut next);
            let factors = [(1, 1), (2, 2), (2, 2)];
            let stored = to_rgb(&planes, &factors, width, height, 1);
            for o in 0..=9 {
                assert_eq!(
                    to_rgb(&planes, &factors, width, height, o),
                    crate::decode::orient::apply(stored.clone(), o),
                    "{width}×{height} orientation {o}"
                );
            }
        }
    }
}
