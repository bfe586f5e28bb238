//! Resampling of RGB8 images into the networks' input layout (planar NCHW `f32`, RGB,
//! `(x - 127.5) / 128`). Written here rather than taken from an image crate: the engine
//! needs only this one operation, and producing normalised planes directly saves a copy.
//!
//! Two resamplers:
//! - [`Rgb::resample_into`]: bilinear, supersampled when shrinking (k×k samples per output
//!   pixel, k = the shrink factor rounded up, capped by the caller). The pyramid uses it
//!   with a low cap: the reference resizes levels with plain bilinear (`INTER_LINEAR`), and
//!   full area averaging there would touch every source pixel once per level.
//! - [`Integral::crop_into`]: area averaging through a summed-area table, for R-Net and
//!   O-Net crops larger than the network input, as the reference's `INTER_AREA` does; its
//!   cost does not grow with the face size.

/// A borrowed packed RGB8 image.
#[derive(Clone, Copy)]
pub(crate) struct Rgb<'a> {
    pub data: &'a [u8],
    pub width: usize,
    pub height: usize,
}

/// What lies outside the source image.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    /// Repeat the border pixel (the pyramid: the whole image is resized).
    Clamp,
    /// Black, as the reference pads crops that stick out of the image.
    Zero,
}

/// A source rectangle in continuous pixel coordinates (pixel `i` covers `[i, i + 1)`).
#[derive(Clone, Copy)]
pub(crate) struct Region {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

const MEAN: f32 = 127.5;
const SCALE: f32 = 0.0078125;

impl Rgb<'_> {
    /// Bilinear RGB value at `(u, v)` in index space (pixel centres at integers).
    fn sample(&self, u: f32, v: f32, edge: Edge) -> [f32; 3] {
        let x0 = u.floor();
        let y0 = v.floor();
        let fx = u - x0;
        let fy = v - y0;
        let mut acc = [0.0f32; 3];
        for (dy, wy) in [(0.0, 1.0 - fy), (1.0, fy)] {
            for (dx, wx) in [(0.0, 1.0 - fx), (1.0, fx)] {
                let w = wx * wy;
                if w == 0.0 {
                    continue;
                }
                if let Some(px) = self.pixel(x0 + dx, y0 + dy, edge) {
                    for (a, p) in acc.iter_mut().zip(px) {
                        *a += w * f32::from(p);
                    }
                }
            }
        }
        acc
    }

    fn pixel(&self, x: f32, y: f32, edge: Edge) -> Option<[u8; 3]> {
        let (maxx, maxy) = ((self.width - 1) as f32, (self.height - 1) as f32);
        let (x, y) = match edge {
            Edge::Clamp => (x.clamp(0.0, maxx), y.clamp(0.0, maxy)),
            Edge::Zero if x < 0.0 || y < 0.0 || x > maxx || y > maxy => return None,
            Edge::Zero => (x, y),
        };
        let i = (y as usize * self.width + x as usize) * 3;
        let p = self.data.get(i..i + 3)?;
        Some([p[0], p[1], p[2]])
    }

    /// Resamples `region` to `out_w × out_h` and appends it, normalised, as three planes
    /// (R, G, B) to `out`: one item of an NCHW batch.
    pub fn resample_into(
        &self,
        region: Region,
        out_w: usize,
        out_h: usize,
        edge: Edge,
        max_samples: usize,
        out: &mut Vec<f32>,
    ) {
        let plane = out_w * out_h;
        let base = out.len();
        out.resize(base + 3 * plane, 0.0);
        if self.width == 0 || self.height == 0 || plane == 0 {
            return;
        }
        let sx = region.w / out_w as f32;
        let sy = region.h / out_h as f32;
        let cap = max_samples.max(1);
        let kx = (sx.ceil() as usize).clamp(1, cap);
        let ky = (sy.ceil() as usize).clamp(1, cap);
        let grid = Grid {
            region,
            out_w,
            out_h,
            kx,
            ky,
        };
        match edge {
            Edge::Clamp => self.resample_clamped(&grid, &mut out[base..]),
            Edge::Zero => self.resample_sampled(&grid, edge, &mut out[base..]),
        }
    }

    /// [`Rgb::resample_into`] sample by sample through [`Rgb::sample`].
    fn resample_sampled(&self, g: &Grid, edge: Edge, out: &mut [f32]) {
        let (sx, sy) = g.steps();
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let mut acc = [0.0f32; 3];
                for iy in 0..g.ky {
                    let v = position(g.region.y, sy, oy, iy, g.ky);
                    for ix in 0..g.kx {
                        let u = position(g.region.x, sx, ox, ix, g.kx);
                        let s = self.sample(u, v, edge);
                        for (a, b) in acc.iter_mut().zip(s) {
                            *a += b;
                        }
                    }
                }
                g.store(out, ox, oy, acc);
            }
        }
    }

    /// [`Rgb::resample_sampled`] for [`Edge::Clamp`] (the pyramid), with each sample's
    /// clamped taps and fractions worked out once per column and per row instead of per
    /// sample: the same values in the same order of operations, a third of the work.
    fn resample_clamped(&self, g: &Grid, out: &mut [f32]) {
        let (sx, sy) = g.steps();
        // Per output position, its k samples: both tap indices (clamped) and the fraction.
        let taps = |origin: f32, step: f32, k: usize, n: usize, len: usize| {
            let max = (len - 1) as f32;
            let mut v = Vec::with_capacity(n * k);
            for o in 0..n {
                for i in 0..k {
                    let u = position(origin, step, o, i, k);
                    let u0 = u.floor();
                    let lo = u0.clamp(0.0, max) as usize;
                    let hi = (u0 + 1.0).clamp(0.0, max) as usize;
                    v.push((lo, hi, u - u0));
                }
            }
            v
        };
        let xs = taps(g.region.x, sx, g.kx, g.out_w, self.width);
        let ys = taps(g.region.y, sy, g.ky, g.out_h, self.height);
        for (oy, ys) in ys.chunks_exact(g.ky).enumerate() {
            for (ox, xs) in xs.chunks_exact(g.kx).enumerate() {
                let mut acc = [0.0f32; 3];
                for &(y0, y1, fy) in ys {
                    for &(x0, x1, fx) in xs {
                        let mut s = [0.0f32; 3];
                        for (y, wy) in [(y0, 1.0 - fy), (y1, fy)] {
                            for (x, wx) in [(x0, 1.0 - fx), (x1, fx)] {
                                let w = wx * wy;
                                if w == 0.0 {
                                    continue;
                                }
                                let i = (y * self.width + x) * 3;
                                if let Some(p) = self.data.get(i..i + 3) {
                                    for (a, p) in s.iter_mut().zip(p) {
                                        *a += w * f32::from(*p);
                                    }
                                }
                            }
                        }
                        for (a, b) in acc.iter_mut().zip(s) {
                            *a += b;
                        }
                    }
                }
                g.store(out, ox, oy, acc);
            }
        }
    }
}

/// Index-space coordinate of sample `i` of `k` in output pixel `o`, along an axis whose
/// region starts at `origin` and advances `step` source pixels per output pixel: one
/// formula for both resampling paths, so that they sample the same points.
#[inline]
fn position(origin: f32, step: f32, o: usize, i: usize, k: usize) -> f32 {
    origin + step * (o as f32 + (i as f32 + 0.5) / k as f32) - 0.5
}

/// Where [`Rgb::resample_into`] samples: the source region, the output size and the
/// samples per output pixel along each axis.
#[derive(Clone, Copy)]
struct Grid {
    region: Region,
    out_w: usize,
    out_h: usize,
    kx: usize,
    ky: usize,
}

impl Grid {
    /// Source pixels per output pixel, across and down.
    fn steps(&self) -> (f32, f32) {
        (
            self.region.w / self.out_w as f32,
            self.region.h / self.out_h as f32,
        )
    }

    /// Stores output pixel `(ox, oy)` from the sum of its samples: averaged, normalised,
    /// one value in each of the three planes.
    fn store(&self, out: &mut [f32], ox: usize, oy: usize, acc: [f32; 3]) {
        let plane = self.out_w * self.out_h;
        let norm = 1.0 / (self.kx * self.ky) as f32;
        let o = oy * self.out_w + ox;
        for (c, a) in acc.iter().enumerate() {
            out[o + c * plane] = (a * norm - MEAN) * SCALE;
        }
    }
}

/// Per-channel summed-area table of an image: the sum over any pixel rectangle in four
/// look-ups. R-Net and O-Net crops are area-averaged with it, so a crop costs the same
/// whatever the face size; supersampling a 300 px face into 24×24 instead took most of
/// the detection time.
pub(crate) struct Integral {
    width: usize,
    height: usize,
    /// `(width + 1) × (height + 1) × 3`, row-major; row 0 and column 0 are zero. `u32`
    /// holds 255 × 16.8 M pixels, more than any image the detector is meant to see.
    sums: Vec<u32>,
}

impl Integral {
    pub fn new(img: Rgb<'_>) -> Integral {
        let (w, h) = (img.width, img.height);
        let stride = (w + 1) * 3;
        let mut sums = vec![0u32; stride * (h + 1)];
        // Row by row over slices (no per-pixel index checks). The detector passes exactly
        // `w × h` pixels; pixels missing from a shorter buffer count as black, as before.
        if w > 0 {
            for y in 0..h {
                let start = y * w * 3;
                let padded;
                let src = match img.data.get(start..start + w * 3) {
                    Some(row) => row,
                    None => {
                        let mut row = img.data.get(start..).unwrap_or_default().to_vec();
                        row.resize(w * 3, 0);
                        padded = row;
                        &padded[..]
                    }
                };
                let (done, rest) = sums.split_at_mut((y + 1) * stride);
                let above = &done[y * stride + 3..];
                let here = &mut rest[3..stride];
                let mut row = [0u32; 3];
                for ((o, a), p) in here
                    .chunks_exact_mut(3)
                    .zip(above.chunks_exact(3))
                    .zip(src.chunks_exact(3))
                {
                    // Wrapping adds: one instruction each in the running sums' chain, where
                    // saturating ones took two. Below 16.8 M pixels nothing wraps (see
                    // `sums`); past that a box's sum is still exact (see `sum`).
                    for c in 0..3 {
                        row[c] = row[c].wrapping_add(u32::from(p[c]));
                        o[c] = a[c].wrapping_add(row[c]);
                    }
                }
            }
        }
        Integral {
            width: w,
            height: h,
            sums,
        }
    }

    /// Sum of channel values over pixels `[x0, x1) × [y0, y1)`, clipped to the image.
    fn sum(&self, x0: i64, y0: i64, x1: i64, y1: i64) -> [u32; 3] {
        let cx = |v: i64| v.clamp(0, self.width as i64) as usize;
        let cy = |v: i64| v.clamp(0, self.height as i64) as usize;
        let (x0, x1, y0, y1) = (cx(x0), cx(x1), cy(y0), cy(y1));
        if x1 <= x0 || y1 <= y0 {
            return [0; 3];
        }
        let stride = (self.width + 1) * 3;
        let at = |x: usize, y: usize, c: usize| self.sums[y * stride + x * 3 + c];
        // In the table's own modular arithmetic: exact for any box whose sum fits 32 bits,
        // even where the table's running sums have wrapped.
        std::array::from_fn(|c| {
            at(x1, y1, c)
                .wrapping_sub(at(x0, y1, c))
                .wrapping_sub(at(x1, y0, c))
                .wrapping_add(at(x0, y0, c))
        })
    }

    /// Area-averages `region` (pixels outside the image count as black, as the reference
    /// pads crops) into `size × size`, appended normalised as three planes to `out`.
    /// Used when the region is larger than the output; smaller regions take
    /// [`Rgb::resample_into`].
    pub fn crop_into(&self, region: Region, size: usize, out: &mut Vec<f32>) {
        let plane = size * size;
        let base = out.len();
        out.resize(base + 3 * plane, 0.0);
        let (sx, sy) = (region.w / size as f32, region.h / size as f32);
        let edge = |origin: f32, step: f32, k: usize| (origin + step * k as f32).round() as i64;
        for oy in 0..size {
            let (y0, y1) = (edge(region.y, sy, oy), edge(region.y, sy, oy + 1));
            for ox in 0..size {
                let (x0, x1) = (edge(region.x, sx, ox), edge(region.x, sx, ox + 1));
                let area = ((x1 - x0).max(1) * (y1 - y0).max(1)) as f32;
                let s = self.sum(x0, y0, x1.max(x0 + 1), y1.max(y0 + 1));
                let o = base + oy * size + ox;
                for (c, v) in s.iter().enumerate() {
                    out[o + c * plane] = (*v as f32 / area - MEAN) * SCALE;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pyramid's path gives exactly what sampling each point through `sample` gives:
    /// shrinking, enlarging, off-image regions and a buffer shorter than the image.
    #[test]
    fn clamped_path_equals_sample_by_sample() {
        let mut next = crate::testing::xorshift(0xFACE_0FF5);
        let (w, h) = (37usize, 23usize);
        let data: Vec<u8> = (0..w * h * 3).map(|_| next() as u8).collect();
        let short = &data[..w * 20 * 3];
        for (pixels, region, ow, oh, cap) in [
            (&data[..], (0.0, 0.0, 37.0, 23.0), 11, 7, 2),
            (&data[..], (0.0, 0.0, 37.0, 23.0), 80, 50, 2),
            (&data[..], (-5.5, 3.25, 20.0, 30.0), 9, 13, 3),
            (&data[..], (30.0, -4.0, 12.0, 9.0), 5, 5, 8),
            (short, (0.0, 0.0, 37.0, 23.0), 13, 9, 2),
        ] {
            let img = Rgb {
                data: pixels,
                width: w,
                height: h,
            };
            let (x, y, rw, rh) = region;
            let g = Grid {
                region: Region { x, y, w: rw, h: rh },
                out_w: ow,
                out_h: oh,
                kx: ((rw / ow as f32).ceil() as usize).clamp(1, cap),
                ky: ((rh / oh as f32).ceil() as usize).clamp(1, cap),
            };
            let (mut fast, mut slow) = (vec![0.0; 3 * ow * oh], vec![0.0; 3 * ow * oh]);
            img.resample_clamped(&g, &mut fast);
            img.resample_sampled(&g, Edge::Clamp, &mut slow);
            let same = fast
                .iter()
                .zip(&slow)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{region:?} → {ow}×{oh}");
        }
    }

    #[test]
    fn uniform_image_stays_uniform_and_normalised() {
        let data = vec![255u8; 10 * 8 * 3];
        let img = Rgb {
            data: &data,
            width: 10,
            height: 8,
        };
        let mut out = Vec::new();
        let r = Region {
            x: 0.0,
            y: 0.0,
            w: 10.0,
            h: 8.0,
        };
        img.resample_into(r, 3, 2, Edge::Clamp, 8, &mut out);
        assert_eq!(out.len(), 18);
        assert!(out.iter().all(|&v| (v - 127.5 * SCALE).abs() < 1e-5));
    }

    #[test]
    fn zero_edge_pads_black_outside() {
        let data = vec![255u8; 4 * 4 * 3];
        let img = Rgb {
            data: &data,
            width: 4,
            height: 4,
        };
        let mut out = Vec::new();
        // Left half of the region lies outside the image.
        let r = Region {
            x: -4.0,
            y: 0.0,
            w: 8.0,
            h: 4.0,
        };
        img.resample_into(r, 2, 1, Edge::Zero, 8, &mut out);
        assert!(out[0] < -0.99, "outside is black: {}", out[0]);
        assert!(out[1] > 0.99, "inside is white: {}", out[1]);
    }

    /// A buffer shorter than the image: the missing pixels count as black, the rest as they
    /// are (the detector never passes one; the sums must still be right).
    #[test]
    fn integral_of_a_short_buffer_counts_missing_pixels_black() {
        let data = vec![10u8; 4 * 3 + 6]; // one full row of 4, then two pixels
        let integral = Integral::new(Rgb {
            data: &data,
            width: 4,
            height: 3,
        });
        assert_eq!(integral.sum(0, 0, 4, 3), [60, 60, 60]);
        assert_eq!(integral.sum(0, 1, 2, 2), [20, 20, 20]);
        assert_eq!(integral.sum(2, 1, 4, 3), [0, 0, 0]);
    }

    #[test]
    fn integral_sums_equal_the_pixels_summed() {
        let (w, h) = (23usize, 17usize);
        let data: Vec<u8> = (0..w * h * 3).map(|i| (i * 37 % 251) as u8).collect();
        let integral = Integral::new(Rgb {
            data: &data,
            width: w,
            height: h,
        });
        for (x0, y0, x1, y1) in [
            (0, 0, 23, 17),
            (3, 4, 9, 5),
            (22, 16, 23, 17),
            (5, 0, 6, 17),
        ] {
            let mut want = [0u32; 3];
            for y in y0..y1 {
                for x in x0..x1 {
                    for (c, v) in want.iter_mut().enumerate() {
                        *v += u32::from(data[(y * w + x) * 3 + c]);
                    }
                }
            }
            let got = integral.sum(x0 as i64, y0 as i64, x1 as i64, y1 as i64);
            assert_eq!(got, want, "[{x0}, {x1}) × [{y0}, {y1})");
        }
    }

    #[test]
    fn area_crop_averages_and_pads_black() {
        // Left half black, right half white, 8×4.
        let data: Vec<u8> = (0..32)
            .flat_map(|i| [if i % 8 < 4 { 0 } else { 255 }; 3])
            .collect();
        let img = Rgb {
            data: &data,
            width: 8,
            height: 4,
        };
        let integral = Integral::new(img);
        let mut out = Vec::new();
        integral.crop_into(
            Region {
                x: 0.0,
                y: 0.0,
                w: 8.0,
                h: 4.0,
            },
            1,
            &mut out,
        );
        assert!(out[0].abs() < 0.01, "mean grey: {}", out[0]);
        out.clear();
        integral.crop_into(
            Region {
                x: 4.0,
                y: 0.0,
                w: 8.0,
                h: 4.0,
            },
            2,
            &mut out,
        );
        assert!(
            out[0] > 0.99 && out[1] < -0.99,
            "white then padding: {out:?}"
        );
    }
}
