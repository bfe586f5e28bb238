//! Crop and scale for the standardizer: one rectangle of the source, in continuous
//! coordinates, to the standard image's pixel grid.
//!
//! Shrinking averages the exact source footprint of each output pixel (a box filter with
//! fractional edge weights), so a 3000-px photo brought to 480 keeps no moiré from hair,
//! fabric or print; enlarging (a small photo, up to ~1.6×) interpolates bilinearly. Each axis
//! chooses for itself, so a region whose aspect differs from the output's still works.
//! Outside the source, `fill` stands in for the missing pixels with its share of the
//! footprint: the standardizer extends a background it has checked to be uniform.
//!
//! Separable and precomputed: the weights of every output column and row are built once,
//! then each output row is a weighted sum of a few source rows (contiguous, vectorised)
//! followed by a weighted sum along that row. Pure; no I/O.

use crate::decode::Rgb;

/// A rectangle in source pixel coordinates (continuous: pixel i covers [i, i+1)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width, > 0.
    pub w: f32,
    /// Height, > 0.
    pub h: f32,
}

/// Largest output accepted, in pixels: the decoder's own limit, so a wrong size from a
/// caller is an error rather than an allocation of gigabytes.
pub const MAX_OUTPUT_PIXELS: u64 = 50_000_000;

/// Why a resample could not run: the caller's buffer or parameters are inconsistent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResizeError {
    /// The source has no pixels.
    #[error("the source image is empty ({width}×{height})")]
    EmptySource {
        /// Source width.
        width: u32,
        /// Source height.
        height: u32,
    },
    /// The source buffer is not `width × height × 3` bytes.
    #[error("the source buffer holds {actual} bytes, not {width}×{height}×3")]
    Buffer {
        /// Source width.
        width: u32,
        /// Source height.
        height: u32,
        /// `data.len()`.
        actual: usize,
    },
    /// The region is not finite or has no area.
    #[error("bad source region {0:?}")]
    Region(Rect),
    /// The output size is zero or over [`MAX_OUTPUT_PIXELS`].
    #[error("bad output size {width}×{height}")]
    Output {
        /// Output width.
        width: u32,
        /// Output height.
        height: u32,
    },
}

/// Resamples `region` of `src` to out_w × out_h. Where the region leaves the source, `fill`
/// gives the colour (the standardizer extends a uniform background only after checking it is
/// uniform).
///
/// Geometry is exact: source point `(x, y)` lands at output point
/// `((x − region.x) · out_w / region.w, (y − region.y) · out_h / region.h)`, both in
/// continuous coordinates; a region inside the source never shows `fill`.
pub fn resample(
    src: &Rgb,
    region: Rect,
    out_w: u32,
    out_h: u32,
    fill: [u8; 3],
) -> Result<Rgb, ResizeError> {
    check(src, region, out_w, out_h)?;
    let (sw, sh) = (src.width as usize, src.height as usize);
    let (ow, oh) = (out_w as usize, out_h as usize);
    let cols = Axis::new(f64::from(region.x), f64::from(region.w), ow, sw);
    let rows = Axis::new(f64::from(region.y), f64::from(region.h), oh, sh);
    let fill_f = fill.map(f32::from);
    // Source columns any output column reads; the vertical pass only touches these.
    let used = || (0..ow).filter(|&o| !cols.taps(o).is_empty());
    let x_lo = used().map(|o| cols.start[o]).min().unwrap_or(0);
    let x_hi = used()
        .map(|o| cols.start[o] + cols.taps(o).len())
        .max()
        .unwrap_or(0)
        .max(x_lo);
    let across = Fixed::new(&cols, x_lo, x_hi - x_lo);
    let mut line = vec![0f32; (x_hi - x_lo) * 3];
    let mut sums = vec![0f32; ow * 3];
    let mut data = vec![0u8; ow * oh * 3];
    for (oy, out_row) in data.chunks_exact_mut(ow * 3).enumerate() {
        // Vertical: this output row's weighted sum of source rows, with the fill's share.
        let wy_fill = rows.fill[oy];
        let mut fresh = true;
        if wy_fill > 0.0 {
            for px in line.chunks_exact_mut(3) {
                for (v, f) in px.iter_mut().zip(fill_f) {
                    *v = wy_fill * f;
                }
            }
            fresh = false;
        }
        for (k, &wy) in rows.taps(oy).iter().enumerate() {
            let j = rows.start[oy] + k;
            let src_row = &src.data[(j * sw + x_lo) * 3..(j * sw + x_hi) * 3];
            // The first term sets the line, saving a pass that would zero it.
            if fresh {
                for (v, &s) in line.iter_mut().zip(src_row) {
                    *v = wy * f32::from(s);
                }
                fresh = false;
            } else {
                for (v, &s) in line.iter_mut().zip(src_row) {
                    *v += wy * f32::from(s);
                }
            }
        }
        // Horizontal: each output pixel's weighted sum along that line.
        match across.k {
            1 => across.row::<1>(&line, fill_f, &mut sums),
            2 => across.row::<2>(&line, fill_f, &mut sums),
            3 => across.row::<3>(&line, fill_f, &mut sums),
            4 => across.row::<4>(&line, fill_f, &mut sums),
            5 => across.row::<5>(&line, fill_f, &mut sums),
            6 => across.row::<6>(&line, fill_f, &mut sums),
            7 => across.row::<7>(&line, fill_f, &mut sums),
            8 => across.row::<8>(&line, fill_f, &mut sums),
            k => across.row_k(k, &line, fill_f, &mut sums),
        }
        // Rounded in a pass of its own: inside the sums' loop the conversion stayed scalar
        // and cost more than the sums.
        for (o, &v) in out_row.iter_mut().zip(&sums) {
            *o = to_u8(v);
        }
    }
    Ok(Rgb {
        width: out_w,
        height: out_h,
        data,
    })
}

/// The horizontal weights again, every output with the same number of taps `k` (zeros
/// added) and its start relative to the line, so that the inner loop has a fixed length
/// the compiler unrolls.
struct Fixed {
    k: usize,
    /// First line pixel of each output.
    start: Vec<usize>,
    /// `k` weights per output.
    weights: Vec<f32>,
    fill: Vec<f32>,
}

impl Fixed {
    /// From `axis`, for a line holding source pixels `x_lo..x_lo + len`.
    fn new(axis: &Axis, x_lo: usize, len: usize) -> Fixed {
        let n = axis.start.len();
        let k = (0..n).map(|o| axis.taps(o).len()).max().unwrap_or(0).max(1);
        let mut fixed = Fixed {
            k,
            start: vec![0; n],
            weights: vec![0.0; n * k],
            fill: axis.fill.clone(),
        };
        for o in 0..n {
            let taps = axis.taps(o);
            if taps.is_empty() {
                continue; // wholly outside: zero weights, only the fill counts
            }
            // Taps lie inside the line, so `len ≥ taps.len()`; shift the window left where
            // `k` pixels from the start would run past the end.
            let s = axis.start[o] - x_lo;
            let shifted = s.min(len.saturating_sub(k));
            fixed.start[o] = shifted;
            let at = o * k + (s - shifted);
            fixed.weights[at..at + taps.len()].copy_from_slice(taps);
        }
        fixed
    }

    /// One output row's sums from `line` (interleaved RGB), for `K == self.k`: a constant
    /// the compiler unrolls the taps with.
    fn row<const K: usize>(&self, line: &[f32], fill: [f32; 3], out: &mut [f32]) {
        self.row_k(K, line, fill, out);
    }

    /// One output row's sums for `k == self.k`.
    #[inline(always)]
    fn row_k(&self, k: usize, line: &[f32], fill: [f32; 3], out: &mut [f32]) {
        let pixels = out.chunks_exact_mut(3).zip(&self.start);
        for ((px, &s), (w, &wf)) in pixels.zip(self.weights.chunks_exact(k).zip(&self.fill)) {
            let mut acc = fill.map(|f| wf * f);
            if let Some(src) = line.get(s * 3..(s + k) * 3) {
                for (&w, p) in w.iter().zip(src.chunks_exact(3)) {
                    for (a, &v) in acc.iter_mut().zip(p) {
                        *a += w * v;
                    }
                }
            }
            px.copy_from_slice(&acc);
        }
    }
}

/// Rounds to the nearest integer in 0..=255 without a float-to-int conversion: adding
/// 1.5 · 2²³ leaves the rounded value in the low mantissa bits (ties to even). `max` and
/// `min` rather than `clamp`, whose NaN rule keeps a loop scalar (no NaN reaches it: the sums
/// are bytes times finite weights; `f32::NAN` gives 0 either way).
#[inline(always)]
#[allow(clippy::manual_clamp)] // on purpose: see above
fn to_u8(v: f32) -> u8 {
    (v.max(0.0).min(255.0) + 12_582_912.0).to_bits() as u8
}

fn check(src: &Rgb, region: Rect, out_w: u32, out_h: u32) -> Result<(), ResizeError> {
    let (width, height) = (src.width, src.height);
    if width == 0 || height == 0 {
        return Err(ResizeError::EmptySource { width, height });
    }
    let expected = (width as usize)
        .checked_mul(height as usize)
        .and_then(|n| n.checked_mul(3));
    if expected != Some(src.data.len()) {
        return Err(ResizeError::Buffer {
            width,
            height,
            actual: src.data.len(),
        });
    }
    let finite = [region.x, region.y, region.w, region.h]
        .iter()
        .all(|v| v.is_finite());
    if !finite || region.w <= 0.0 || region.h <= 0.0 {
        return Err(ResizeError::Region(region));
    }
    let pixels = u64::from(out_w) * u64::from(out_h);
    if pixels == 0 || pixels > MAX_OUTPUT_PIXELS {
        return Err(ResizeError::Output {
            width: out_w,
            height: out_h,
        });
    }
    Ok(())
}

/// The weights of one axis: for output position `o`, source indices `start[o]..` with
/// weights `taps(o)`, and `fill[o]`, the share of the footprint outside the source. The
/// weights of each output sum to 1.
struct Axis {
    start: Vec<usize>,
    /// `weights[offset[o]..offset[o + 1]]` are output `o`'s taps.
    offset: Vec<usize>,
    weights: Vec<f32>,
    fill: Vec<f32>,
}

impl Axis {
    /// Weights mapping source `[origin, origin + extent)` of a `len`-pixel axis onto `out`
    /// pixels. Computed in `f64` so that far-off coordinates keep their fractions.
    fn new(origin: f64, extent: f64, out: usize, len: usize) -> Axis {
        let step = extent / out as f64;
        let n = len as f64;
        let mut axis = Axis {
            start: Vec::with_capacity(out),
            offset: Vec::with_capacity(out + 1),
            weights: Vec::with_capacity(out * (step.ceil() as usize).clamp(2, 64)),
            fill: Vec::with_capacity(out),
        };
        axis.offset.push(0);
        for o in 0..out {
            let a = origin + step * o as f64;
            let b = origin + step * (o + 1) as f64;
            // The part of the footprint inside the source.
            let (ia, ib) = (a.clamp(0.0, n), b.clamp(0.0, n));
            let mut inside = 0.0;
            let first = ia.floor() as usize;
            if ib <= ia {
                axis.start.push(0);
            } else if step >= 1.0 {
                // Box filter: each source pixel weighs its overlap with the footprint.
                let last = (ib.ceil() as usize).min(len);
                axis.start.push(first);
                for i in first..last {
                    let w = (ib.min(i as f64 + 1.0) - ia.max(i as f64)).max(0.0) / step;
                    axis.weights.push(w as f32);
                    inside += w;
                }
            } else {
                // Bilinear at the centre of the inside part, edge pixels repeated; the part
                // outside (if any) goes to the fill.
                let share = (ib - ia) / step;
                let u = ((ia + ib) / 2.0 - 0.5).clamp(0.0, n - 1.0);
                let i0 = u.floor() as usize;
                let f = u - i0 as f64;
                axis.start.push(i0);
                axis.weights.push(((1.0 - f) * share) as f32);
                if i0 + 1 < len {
                    axis.weights.push((f * share) as f32);
                }
                inside = share;
            }
            axis.fill.push((1.0 - inside).max(0.0) as f32);
            axis.offset.push(axis.weights.len());
        }
        axis
    }

    fn taps(&self, o: usize) -> &[f32] {
        &self.weights[self.offset[o]..self.offset[o + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: f32, y: f32, w: f32, h: f32) -> Rect {
        Rect { x, y, w, h }
    }

    #[test]
    fn uniform_stays_exactly_uniform() {
        let c = [100, 197, 255];
        let src = Rgb::from_fn(37, 53, |_, _| c);
        for (r, w, h) in [
            (rect(0.0, 0.0, 37.0, 53.0), 10, 13),    // shrink, non-integer
            (rect(3.3, 1.7, 20.1, 30.9), 33, 49),    // enlarge ~1.6×
            (rect(2.5, 0.25, 30.0, 10.0), 7, 19),    // shrink x, enlarge y
            (rect(-10.0, -5.0, 60.0, 70.0), 24, 31), // partly outside, same fill
        ] {
            let out = resample(&src, r, w, h, c).expect("resample");
            assert_eq!((out.width, out.height), (w, h));
            assert!(out.data.chunks_exact(3).all(|p| p == c), "{r:?}");
        }
    }

    #[test]
    fn identity_and_integer_shift_are_exact() {
        let src = Rgb::from_fn(9, 7, |x, y| {
            [(x * 20) as u8, (y * 30) as u8, ((x * y) % 256) as u8]
        });
        let out = resample(&src, rect(0.0, 0.0, 9.0, 7.0), 9, 7, [0; 3]).expect("resample");
        assert_eq!(out, src);
        // Enlarging path at 1:1 too: a region shifted by whole pixels is a plain crop.
        let crop = resample(&src, rect(2.0, 1.0, 4.0, 3.0), 4, 3, [0; 3]).expect("resample");
        for y in 0..3 {
            for x in 0..4 {
                let s = ((y + 1) * 9 + x + 2) * 3;
                let o = (y * 4 + x) * 3;
                assert_eq!(crop.data[o..o + 3], src.data[s..s + 3]);
            }
        }
    }

    #[test]
    fn rounding_to_bytes() {
        let cases = [
            (0.0, 0),
            (0.49, 0),
            (1.5, 2),
            (2.5, 2),
            (127.6, 128),
            (254.6, 255),
        ];
        for (v, want) in cases {
            assert_eq!(to_u8(v), want, "{v}");
        }
        assert_eq!((to_u8(300.0), to_u8(-3.0), to_u8(-1e-5)), (255, 0, 0));
        let odd = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY].map(to_u8);
        assert_eq!(odd, [0, 255, 0]);
    }

    #[test]
    fn halving_a_checkerboard_averages() {
        let src = Rgb::from_fn(
            16,
            12,
            |x, y| if (x + y) % 2 == 0 { [0; 3] } else { [200; 3] },
        );
        let out = resample(&src, rect(0.0, 0.0, 16.0, 12.0), 8, 6, [0; 3]).expect("resample");
        assert!(out.data.iter().all(|&v| v == 100), "{:?}", out.data);
    }

    #[test]
    fn fill_outside_the_source() {
        let src = Rgb::from_fn(8, 8, |_, _| [255; 3]);
        let fill = [10, 20, 30];
        let out = resample(&src, rect(20.0, 0.0, 8.0, 8.0), 4, 4, fill).expect("resample");
        assert!(out.data.chunks_exact(3).all(|p| p == fill));
        // Left half outside: left columns fill, right columns source, exactly.
        let out = resample(&src, rect(-8.0, 0.0, 16.0, 8.0), 4, 2, fill).expect("resample");
        for row in out.data.chunks_exact(12) {
            assert_eq!(row, [10, 20, 30, 10, 20, 30, 255, 255, 255, 255, 255, 255]);
        }
        // An output pixel straddling the edge mixes by area: 1/4 source, 3/4 fill.
        let out = resample(&src, rect(7.0, 0.0, 8.0, 8.0), 2, 1, fill).expect("resample");
        let mix = |f: u8| ((f32::from(f) * 3.0 + 255.0) / 4.0).round() as u8;
        assert_eq!(out.data[..3], [mix(10), mix(20), mix(30)]);
        // Enlarging straddles the same way.
        let out = resample(&src, rect(6.0, 0.0, 4.0, 8.0), 8, 1, fill).expect("resample");
        assert_eq!(out.data[..12], [255; 12]);
        assert_eq!(out.data[12..], fill.repeat(4)[..]);
    }

    /// Intensity centroid of channel 0, in continuous output coordinates.
    fn centroid(img: &Rgb) -> (f64, f64) {
        let (mut sx, mut sy, mut s) = (0.0, 0.0, 0.0);
        for (i, p) in img.data.chunks_exact(3).enumerate() {
            let v = f64::from(p[0]);
            let (x, y) = (i % img.width as usize, i / img.width as usize);
            sx += v * (x as f64 + 0.5);
            sy += v * (y as f64 + 0.5);
            s += v;
        }
        (sx / s, sy / s)
    }

    #[test]
    fn no_shift_when_shrinking_or_enlarging() {
        // A bright square on black; its centre is a point that must land where the mapping
        // says, for shrinking (6.4×) and enlarging (1.6×), at fractional region origins.
        let mut checked = 0;
        for (size, blob, region, out) in [
            (
                (3000, 4000),
                13,
                rect(1000.3, 1200.7, 1280.0, 1706.7),
                (200, 266),
            ),
            ((300, 400), 3, rect(40.25, 60.6, 300.0, 400.0), (480, 640)),
            ((300, 400), 3, rect(-20.5, -30.2, 300.0, 400.0), (480, 640)),
        ] {
            for (cx, cy) in [(1500.0f64, 2000.0f64), (1633.0, 2457.0), (151.0, 201.0)] {
                let (x0, y0) = (cx as u32 - blob / 2, cy as u32 - blob / 2);
                if x0 + blob >= size.0 || y0 + blob >= size.1 {
                    continue;
                }
                let src = Rgb::from_fn(size.0, size.1, |x, y| {
                    let inside = (x0..x0 + blob).contains(&x) && (y0..y0 + blob).contains(&y);
                    [if inside { 255 } else { 0 }; 3]
                });
                let img = resample(&src, region, out.0, out.1, [0; 3]).expect("resample");
                let (gx, gy) = centroid(&img);
                // The square's centre in continuous source coordinates.
                let (sx, sy) = (
                    f64::from(x0) + f64::from(blob) / 2.0,
                    f64::from(y0) + f64::from(blob) / 2.0,
                );
                let ex = (sx - f64::from(region.x)) * f64::from(out.0) / f64::from(region.w);
                let ey = (sy - f64::from(region.y)) * f64::from(out.1) / f64::from(region.h);
                if !(0.0..f64::from(out.0)).contains(&ex) || !(0.0..f64::from(out.1)).contains(&ey)
                {
                    continue;
                }
                assert!(
                    (gx - ex).abs() < 0.1 && (gy - ey).abs() < 0.1,
                    "{size:?} {region:?}: at ({gx:.3}, {gy:.3}), expected ({ex:.3}, {ey:.3})"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 4);
    }

    #[test]
    fn fine_stripes_do_not_alias_when_shrinking() {
        // One-pixel stripes, 3000 wide to 480 (6.25×): point sampling would show bands of
        // black and white; area averaging leaves grey within one source pixel's share.
        let src = Rgb::from_fn(3000, 40, |x, _| [if x % 2 == 0 { 0 } else { 255 }; 3]);
        let out = resample(&src, rect(0.0, 0.0, 3000.0, 40.0), 480, 6, [0; 3]).expect("resample");
        for &v in &out.data {
            assert!((f32::from(v) - 127.5).abs() <= 21.0, "{v}");
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let ok = Rgb::from_fn(4, 4, |_, _| [1; 3]);
        let r = rect(0.0, 0.0, 4.0, 4.0);
        let empty = Rgb {
            width: 0,
            height: 4,
            data: vec![],
        };
        assert!(matches!(
            resample(&empty, r, 2, 2, [0; 3]),
            Err(ResizeError::EmptySource { .. })
        ));
        let short = Rgb {
            width: 4,
            height: 4,
            data: vec![0; 47],
        };
        assert!(matches!(
            resample(&short, r, 2, 2, [0; 3]),
            Err(ResizeError::Buffer { .. })
        ));
        for bad in [
            rect(0.0, 0.0, 0.0, 4.0),
            rect(f32::NAN, 0.0, 4.0, 4.0),
            rect(0.0, 0.0, 4.0, -1.0),
            rect(0.0, f32::INFINITY, 4.0, 4.0),
        ] {
            assert!(matches!(
                resample(&ok, bad, 2, 2, [0; 3]),
                Err(ResizeError::Region(_))
            ));
        }
        assert!(matches!(
            resample(&ok, r, 0, 2, [0; 3]),
            Err(ResizeError::Output { .. })
        ));
        assert!(matches!(
            resample(&ok, r, 100_000, 100_000, [0; 3]),
            Err(ResizeError::Output { .. })
        ));
        // Far-off and tiny regions are fine.
        let far = resample(&ok, rect(-1e9, 1e9, 1e3, 1e-3), 3, 3, [7; 3]).expect("far");
        assert!(far.data.iter().all(|&v| v == 7));
        let tiny = resample(&ok, rect(1.5, 1.5, 1e-4, 1e-4), 2, 2, [7; 3]).expect("tiny");
        assert!(tiny.data.iter().all(|&v| v == 1));
    }
}
