//! The one geometric operation of the standardizer: each output pixel is sampled from the
//! source through a similarity transform (scale, a small rotation that levels the eyes, a
//! shift). Bilinear sampling is exact enough at the scales used here — the caller first
//! shrinks the source with area averaging when the transform would shrink more than ~1.5×,
//! so bilinear never skips source pixels.

use crate::decode::Rgb;
use crate::floor::{FLOOR_LIMIT, floor_small};

/// Output → source: `src = centre + R · (out − anchor) / scale`, with `R` the rotation by
/// `angle` (radians).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Similarity {
    /// Source point that lands on `anchor`.
    pub centre: [f32; 2],
    /// Output point (eye midpoint in the standard frame).
    pub anchor: [f32; 2],
    /// Output pixels per source pixel.
    pub scale: f32,
    /// Rotation of the source relative to the output, radians (the face's roll).
    pub angle: f32,
}

impl Similarity {
    /// The source position of output pixel centre `(u, v)` (continuous coordinates).
    pub fn source_of(&self, u: f32, v: f32) -> [f32; 2] {
        let (s, c) = self.angle.sin_cos();
        let dx = (u - self.anchor[0]) / self.scale;
        let dy = (v - self.anchor[1]) / self.scale;
        [
            self.centre[0] + c * dx - s * dy,
            self.centre[1] + s * dx + c * dy,
        ]
    }

    /// The output position of source point `(x, y)`: the inverse of [`Self::source_of`].
    pub fn output_of(&self, x: f32, y: f32) -> [f32; 2] {
        let (s, c) = self.angle.sin_cos();
        let (dx, dy) = (x - self.centre[0], y - self.centre[1]);
        [
            self.anchor[0] + self.scale * (c * dx + s * dy),
            self.anchor[1] + self.scale * (-s * dx + c * dy),
        ]
    }
}

/// Bits of sub-pixel precision in the bilinear weights: 1/256 px is far below what a
/// 480×640 output can show, and two 8-bit weights times an 8-bit value fit a `u32`.
const FRAC_BITS: u32 = 8;
const ONE: u32 = 1 << FRAC_BITS;

/// Longest source side the fast path addresses: positions times [`ONE`] stay below
/// [`FLOOR_LIMIT`] (a longer source takes the tap-by-tap path).
const MAX_FAST_SIDE: usize = FLOOR_LIMIT as usize / ONE as usize - 1;

/// Renders `width × height` output pixels; positions outside the source take the nearest
/// edge pixel (the caller has checked what lies there).
///
/// Fixed-point bilinear (weights in 1/256): the float version spent most of its time in
/// rounding and bounds checks (perf: ~7 % of a 12-megapixel standardize). The four taps are
/// read from one slice per pixel, so that only one bounds check is left; at the right and
/// bottom edges the pair steps one pixel in and puts the whole weight on the edge pixel,
/// which gives the same sums as repeating it.
pub(crate) fn warp(src: &Rgb, t: &Similarity, width: u32, height: u32) -> Rgb {
    let (sw, sh) = (src.width as usize, src.height as usize);
    // Addresses are `u32` so that the position loop vectorises; a source of 1.4 billion
    // pixels or more (far past the decoder's limits) takes the tap-by-tap path as well.
    let addressable = sw
        .checked_mul(3)
        .and_then(|row| row.checked_mul(sh))
        .is_some_and(|b| b < u32::MAX as usize);
    if width == 0 || height == 0 {
        return Rgb {
            width,
            height,
            data: Vec::new(),
        };
    }
    if sw < 2 || sh < 2 || !addressable || sw.max(sh) > MAX_FAST_SIDE {
        return warp_tiny(src, t, width, height);
    }
    let row = sw * 3;
    let mut data = vec![0u8; width as usize * height as usize * 3];
    let (s, c) = t.angle.sin_cos();
    let inv = 1.0 / t.scale;
    let max_x = (sw - 1) as f32;
    let max_y = (sh - 1) as f32;
    let pixels = &src.data;
    // Per column, the products the position needs (the same operations, in the same order,
    // as computing them per pixel).
    let (cdx, sdx): (Vec<f32>, Vec<f32>) = (0..width as usize)
        .map(|u| {
            let dx = (u as f32 + 0.5 - t.anchor[0]) * inv;
            (c * dx, s * dx)
        })
        .unzip();
    // Per output row, first every pixel's tap address and weights (a loop without loads,
    // which the compiler vectorises), then the taps.
    let n = width as usize;
    let (mut at, mut fxs, mut fys) = (vec![0u32; n], vec![0u32; n], vec![0u32; n]);
    let (last_x, last_y) = ((sw - 2) as u32, (sh - 2) as u32);
    for (v, out_row) in data.chunks_exact_mut(n * 3).enumerate() {
        let dy = (v as f32 + 0.5 - t.anchor[1]) * inv;
        let (sdy, cdy) = (s * dy, c * dy);
        for u in 0..n {
            // `max` then `min` rather than `clamp`, and no float-to-integer cast: the same
            // values, but `clamp`'s NaN rule and the saturating casts kept this loop scalar
            // (it was most of the warp's time).
            let x = (t.centre[0] + cdx[u] - sdy - 0.5).max(0.0).min(max_x);
            let y = (t.centre[1] + sdx[u] + cdy - 0.5).max(0.0).min(max_y);
            let (fixed_x, fixed_y) = (floor_small(x * ONE as f32), floor_small(y * ONE as f32));
            let (x0, fx) = (fixed_x >> FRAC_BITS, fixed_x & (ONE - 1));
            let (y0, fy) = (fixed_y >> FRAC_BITS, fixed_y & (ONE - 1));
            let (x0, fx) = if x0 > last_x { (last_x, ONE) } else { (x0, fx) };
            let (y0, fy) = if y0 > last_y { (last_y, ONE) } else { (y0, fy) };
            at[u] = y0 * row as u32 + x0 * 3;
            fxs[u] = fx;
            fys[u] = fy;
        }
        for (u, out) in out_row.chunks_exact_mut(3).enumerate() {
            let a = at[u] as usize;
            let Some(quad) = pixels.get(a..a + row + 6) else {
                continue; // a short buffer: leave the pixel black rather than panic
            };
            let (fx, fy) = (fxs[u] as i32, fys[u] as i32);
            for ch in 0..3 {
                let taps = [quad[ch], quad[3 + ch], quad[row + ch], quad[row + 3 + ch]];
                out[ch] = lerp2(fx, fy, taps.map(i32::from));
            }
        }
    }
    Rgb {
        width,
        height,
        data,
    }
}

/// One channel of the taps top-left, top-right, bottom-left, bottom-right blended
/// bilinearly for the fractions `fx`, `fy` (of [`ONE`]) and rounded, as two
/// interpolations: `(1 − f)·a + f·b` is `a + f·(b − a)` exactly in integers, which takes 3
/// multiplies a channel instead of the four weights' 4 plus 4 a pixel (the multiplies were
/// most of the warp's time; the tests keep the weights as the reference).
#[inline(always)]
fn lerp2(fx: i32, fy: i32, [tl, tr, bl, br]: [i32; 4]) -> u8 {
    let top = (tl << FRAC_BITS) + fx * (tr - tl);
    let bottom = (bl << FRAC_BITS) + fx * (br - bl);
    let sum = (top << FRAC_BITS) + fy * (bottom - top);
    ((sum + (1 << (2 * FRAC_BITS - 1))) >> (2 * FRAC_BITS)) as u8
}

/// [`warp`] for a source one pixel wide or high, where the taps cannot step in, or too large
/// for [`warp`]'s `u32` addresses: each tap clamps on its own (also the reference the tests
/// compare [`warp`] with).
fn warp_tiny(src: &Rgb, t: &Similarity, width: u32, height: u32) -> Rgb {
    let (sw, sh) = (src.width as usize, src.height as usize);
    let row = sw * 3;
    let mut data = vec![0u8; width as usize * height as usize * 3];
    let (s, c) = t.angle.sin_cos();
    let inv = 1.0 / t.scale;
    let max_x = (sw - 1) as f32;
    let max_y = (sh - 1) as f32;
    let pixels = &src.data;
    for (v, out_row) in data.chunks_exact_mut(width as usize * 3).enumerate() {
        // Continuous coords: output pixel v covers [v, v+1), its centre is v + 0.5; the same
        // in the source, so subtract 0.5 to get index space.
        let dy = (v as f32 + 0.5 - t.anchor[1]) * inv;
        for (u, out) in out_row.chunks_exact_mut(3).enumerate() {
            let dx = (u as f32 + 0.5 - t.anchor[0]) * inv;
            let x = (t.centre[0] + c * dx - s * dy - 0.5).clamp(0.0, max_x);
            let y = (t.centre[1] + s * dx + c * dy - 0.5).clamp(0.0, max_y);
            let (x0, y0) = (x as usize, y as usize);
            let fx = ((x - x0 as f32) * ONE as f32) as u32;
            let fy = ((y - y0 as f32) * ONE as f32) as u32;
            // At the last column or row the weight of the next one is 0: stay inside.
            let step_x = if x0 + 1 < sw { 3 } else { 0 };
            let step_y = if y0 + 1 < sh { row } else { 0 };
            let a = y0 * row + x0 * 3;
            let (Some(top), Some(bottom)) = (
                pixels.get(a..a + step_x + 3),
                pixels.get(a + step_y..a + step_y + step_x + 3),
            ) else {
                continue; // a short buffer: leave the pixel black rather than panic
            };
            let (fx, fy) = (fx as i32, fy as i32);
            for ch in 0..3 {
                let taps = [top[ch], top[step_x + ch], bottom[ch], bottom[step_x + ch]];
                out[ch] = lerp2(fx, fy, taps.map(i32::from));
            }
        }
    }
    Rgb {
        width,
        height,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bilinear weights of the taps top-left, top-right, bottom-left, bottom-right for the
    /// fractions `fx`, `fy` (of [`ONE`]).
    #[inline(always)]
    fn weights(fx: u32, fy: u32) -> [u32; 4] {
        [
            (ONE - fx) * (ONE - fy),
            fx * (ONE - fy),
            (ONE - fx) * fy,
            fx * fy,
        ]
    }

    /// One channel of four taps (in [`weights`]' order) blended and rounded.
    #[inline(always)]
    fn blend(w: [u32; 4], taps: [u8; 4]) -> u8 {
        let sum: u32 = w.iter().zip(taps).map(|(w, t)| w * u32::from(t)).sum();
        ((sum + (1 << (2 * FRAC_BITS - 1))) >> (2 * FRAC_BITS)) as u8
    }

    fn gradient(w: u32, h: u32) -> Rgb {
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                data.extend_from_slice(&[x as u8, y as u8, 0]);
            }
        }
        Rgb {
            width: w,
            height: h,
            data,
        }
    }

    /// An empty output, or a source buffer shorter than its size, is no panic.
    #[test]
    fn empty_outputs_and_short_sources() {
        let t = Similarity {
            centre: [1.0, 1.0],
            anchor: [2.0, 2.0],
            scale: 1.0,
            angle: 0.1,
        };
        let src = gradient(8, 8);
        assert!(warp(&src, &t, 0, 5).data.is_empty());
        assert!(warp(&src, &t, 5, 0).data.is_empty());
        for (w, h) in [(8, 8), (1, 8), (8, 1)] {
            let short = Rgb {
                width: w,
                height: h,
                data: vec![7; 5],
            };
            assert_eq!(warp(&short, &t, 4, 4).data.len(), 4 * 4 * 3);
        }
    }

    /// The fast path gives exactly what clamping each tap gives, edges included, for
    /// turned, shrunk, enlarged and off-centre placements.
    #[test]
    fn equals_the_tap_by_tap_reference() {
        let src = Rgb::from_fn(53, 41, |x, y| {
            [(x * 5) as u8, (y * 6) as u8, ((x * y) % 251) as u8]
        });
        for (scale, angle, centre) in [
            (1.0, 0.0, [26.0, 20.0]),
            (0.37, 0.2, [10.0, 35.0]),
            (2.3, -0.4, [50.0, 2.0]),
            (0.8, 3.0, [52.5, 40.5]),
        ] {
            let t = Similarity {
                centre,
                anchor: [24.0, 30.0],
                scale,
                angle,
            };
            assert_eq!(warp(&src, &t, 48, 64), warp_tiny(&src, &t, 48, 64), "{t:?}");
        }
    }

    /// The two interpolations equal the four weights for every fraction pair, on taps at
    /// the extremes and in between.
    #[test]
    fn two_interpolations_equal_four_weights() {
        let taps = [
            [0, 255, 255, 0],
            [255, 0, 0, 255],
            [255; 4],
            [0, 0, 0, 255],
            [3, 200, 77, 140],
        ];
        for fx in 0..=ONE {
            for fy in 0..=ONE {
                for t in taps {
                    let want = blend(weights(fx, fy), t);
                    let got = lerp2(fx as i32, fy as i32, t.map(i32::from));
                    assert_eq!(got, want, "fx {fx} fy {fy} taps {t:?}");
                }
            }
        }
    }

    #[test]
    fn identity_copies_the_pixels() {
        let src = gradient(40, 30);
        let t = Similarity {
            centre: [20.0, 15.0],
            anchor: [20.0, 15.0],
            scale: 1.0,
            angle: 0.0,
        };
        assert_eq!(warp(&src, &t, 40, 30), src);
    }

    #[test]
    fn output_of_inverts_source_of() {
        let t = Similarity {
            centre: [310.0, 420.0],
            anchor: [240.0, 250.0],
            scale: 0.37,
            angle: 0.12,
        };
        for (u, v) in [(0.0, 0.0), (480.0, 640.0), (240.0, 250.0), (13.5, 600.25)] {
            let [x, y] = t.source_of(u, v);
            let [u2, v2] = t.output_of(x, y);
            assert!(
                (u2 - u).abs() < 1e-3 && (v2 - v).abs() < 1e-3,
                "{u},{v} → {u2},{v2}"
            );
        }
    }

    #[test]
    fn the_anchor_lands_on_the_centre() {
        let src = gradient(200, 200);
        let t = Similarity {
            centre: [120.5, 80.5],
            anchor: [10.5, 10.5],
            scale: 2.0,
            angle: 0.3,
        };
        let out = warp(&src, &t, 21, 21);
        let i = (10 * 21 + 10) * 3;
        // Pixel (10,10)'s centre is the anchor, which maps to source (120.5, 80.5), whose
        // index-space value on this gradient is x = 120, y = 80.
        assert_eq!(&out.data[i..i + 2], &[120, 80]);
        let p = t.source_of(10.5 + 2.0, 10.5);
        // One source pixel per two output pixels, rotated by 0.3 rad.
        assert!((p[0] - (120.5 + 0.3f32.cos())).abs() < 1e-4);
        assert!((p[1] - (80.5 + 0.3f32.sin())).abs() < 1e-4);
    }

    #[test]
    fn outside_the_source_takes_the_edge() {
        let src = gradient(10, 10);
        let t = Similarity {
            centre: [0.0, 0.0],
            anchor: [5.0, 5.0],
            scale: 1.0,
            angle: 0.0,
        };
        let out = warp(&src, &t, 10, 10);
        assert_eq!(&out.data[0..3], &[0, 0, 0]);
    }
}
