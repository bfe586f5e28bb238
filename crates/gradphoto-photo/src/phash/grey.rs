//! The luma the face hash samples, computed once per hash.

use super::{CROPS, Frame};
use crate::decode::Rgb;
use crate::floor::{FLOOR_LIMIT, floor_small};

/// BT.601 luma of the part of the image the crops sample, computed once: a hash takes up to
/// 3 × 1024 × 64 bilinear samples, and converting the four RGB pixels of each took more time
/// than everything else in a check of a finished photo (~3 ms of it). An image whose buffer
/// is shorter than its size says, or a frame with a corner at infinity, is sampled from the
/// pixels directly (the same values, without a region to hold).
pub(super) struct Grey<'a> {
    rgb: &'a Rgb,
    /// The region held: columns `x0..x0 + w`, rows `y0..y0 + h`; `None`: sample directly.
    region: Option<Region>,
}

struct Region {
    x0: usize,
    y0: usize,
    w: usize,
    h: usize,
    luma: Vec<f32>,
}

impl Region {
    /// The luma when every point has all four taps inside the region (so that `at` would
    /// neither clamp nor leave it), `None` otherwise; NaN is never inside.
    fn inside(&self, xs: &[f32], ys: &[f32]) -> Option<&[f32]> {
        // The last column and row are only ever a right or bottom tap; the bounds are far
        // below [`FLOOR_LIMIT`], so the fast floor applies.
        let (x_lo, x_hi) = (self.x0 as f32, (self.x0 + self.w) as f32 - 1.0);
        let (y_lo, y_hi) = (self.y0 as f32, (self.y0 + self.h) as f32 - 1.0);
        if x_hi >= FLOOR_LIMIT || y_hi >= FLOOR_LIMIT {
            return None;
        }
        let outside = xs.iter().zip(ys).fold(false, |out, (&x, &y)| {
            out | !(x >= x_lo && x < x_hi && y >= y_lo && y < y_hi)
        });
        (!outside).then_some(&self.luma)
    }
}

/// BT.601 luma of one RGB pixel.
fn luma_of(p: &[u8]) -> f32 {
    0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
}

impl<'a> Grey<'a> {
    /// The luma under every crop of `frame`, with a pixel's margin for the bilinear taps.
    pub(super) fn of(rgb: &'a Rgb, frame: &Frame) -> Grey<'a> {
        let (width, height) = (rgb.width as usize, rgb.height as usize);
        let direct = Grey { rgb, region: None };
        if width == 0 || height == 0 || rgb.data.len() != width * height * 3 {
            return direct;
        }
        let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
        for crop in CROPS {
            let (a0, b0) = (-crop.side / 2.0, crop.centre_y - crop.side / 2.0);
            for (a, b) in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)] {
                let (x, y) = frame.to_image(a0 + a * crop.side, b0 + b * crop.side);
                if !(x.is_finite() && y.is_finite()) {
                    return direct; // samples may be NaN, which `at` reads at index 0
                }
                lo = [lo[0].min(x), lo[1].min(y)];
                hi = [hi[0].max(x), hi[1].max(y)];
            }
        }
        // As `at` clamps, then one pixel more each side.
        let span = |lo: f32, hi: f32, n: usize| {
            let last = n - 1;
            let a = (lo.clamp(0.0, last as f32) as usize).saturating_sub(1);
            let b = (hi.clamp(0.0, last as f32) as usize + 2).min(last);
            (a, b + 1 - a)
        };
        let (x0, w) = span(lo[0], hi[0], width);
        let (y0, h) = span(lo[1], hi[1], height);
        let mut luma = Vec::with_capacity(w * h);
        for y in y0..y0 + h {
            let row = &rgb.data[(y * width + x0) * 3..(y * width + x0 + w) * 3];
            luma.extend(row.chunks_exact(3).map(luma_of));
        }
        Grey {
            rgb,
            region: Some(Region { x0, y0, w, h, luma }),
        }
    }

    /// [`Grey::at`] of each `(xs[i], ys[i])` into `out[i]`. A row of samples wholly inside
    /// the region (the usual case) takes a path without clamps or saturating casts, which
    /// gives the same values: inside, the clamp changes nothing, the floor is the cast's,
    /// and the taps and blend are those of `at`.
    pub(super) fn sample_row(&self, xs: &[f32], ys: &[f32], out: &mut [f32]) {
        if let Some(r) = &self.region
            && let Some(samples) = r.inside(xs, ys)
        {
            for ((o, &x), &y) in out.iter_mut().zip(xs).zip(ys) {
                let (x0, y0) = (floor_small(x), floor_small(y));
                let (fx, fy) = (x - x0 as f32, y - y0 as f32);
                let at = (y0 as usize - r.y0) * r.w + (x0 as usize - r.x0);
                *o = match samples.get(at..=at + r.w + 1) {
                    Some(taps) => bilinear([taps[0], taps[1], taps[r.w], taps[r.w + 1]], fx, fy),
                    None => self.at(x, y), // unreachable: `inside` checked the rows
                };
            }
            return;
        }
        for ((o, &x), &y) in out.iter_mut().zip(xs).zip(ys) {
            *o = self.at(x, y);
        }
    }

    /// Bilinear luma at `(x, y)` in index space; the border repeats outside.
    pub(super) fn at(&self, x: f32, y: f32) -> f32 {
        let (w, h) = (self.rgb.width as usize, self.rgb.height as usize);
        if w == 0 || h == 0 {
            return 0.0;
        }
        // NaN clamps to NaN and casts to 0: still a valid index.
        let xc = x.clamp(0.0, (w - 1) as f32);
        let yc = y.clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (xc as usize, yc as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (xc - x0 as f32, yc - y0 as f32);
        let (fx, fy) = (
            if fx.is_finite() { fx } else { 0.0 },
            if fy.is_finite() { fy } else { 0.0 },
        );
        // The usual case, all four taps inside the region: one slice, no per-tap clamps
        // (the same values and arithmetic as below).
        if let Some(r) = &self.region
            && x0 >= r.x0
            && y0 >= r.y0
            && x1 < r.x0 + r.w
            && y1 < r.y0 + r.h
        {
            let at = (y0 - r.y0) * r.w + (x0 - r.x0);
            let (dx, dy) = (x1 - x0, (y1 - y0) * r.w);
            if let Some(taps) = r.luma.get(at..=at + dy + dx) {
                let taps = [taps[0], taps[dx], taps[dy], taps[dy + dx]];
                return bilinear(taps, fx, fy);
            }
        }
        let luma = |x: usize, y: usize| match &self.region {
            // Inside the region by construction; clamped all the same, never a panic.
            Some(r) => {
                let i = x.saturating_sub(r.x0).min(r.w - 1);
                let j = y.saturating_sub(r.y0).min(r.h - 1);
                r.luma.get(j * r.w + i).copied().unwrap_or(0.0)
            }
            None => {
                let i = (y * w + x) * 3;
                self.rgb.data.get(i..i + 3).map_or(0.0, luma_of)
            }
        };
        let taps = [luma(x0, y0), luma(x1, y0), luma(x0, y1), luma(x1, y1)];
        bilinear(taps, fx, fy)
    }
}

/// Taps top-left, top-right, bottom-left, bottom-right blended at fractions `fx`, `fy`: one
/// formula for both paths of [`Grey::at`], so that they cannot drift apart.
#[inline(always)]
fn bilinear([tl, tr, bl, br]: [f32; 4], fx: f32, fy: f32) -> f32 {
    let top = tl * (1.0 - fx) + tr * fx;
    let bottom = bl * (1.0 - fx) + br * fx;
    top * (1.0 - fy) + bottom * fy
}

#[cfg(test)]
mod tests {
    use super::super::face_hash;
    use super::*;
    use crate::detect::Face;

    /// Luma straight from the RGB pixels, the whole image clamped: what [`Grey`] must equal.
    fn grey_direct(rgb: &Rgb, x: f32, y: f32) -> f32 {
        let (w, h) = (rgb.width as usize, rgb.height as usize);
        let xc = x.clamp(0.0, (w - 1) as f32);
        let yc = y.clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (xc as usize, yc as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (xc - x0 as f32, yc - y0 as f32);
        let luma = |x: usize, y: usize| {
            let p = &rgb.data[(y * w + x) * 3..][..3];
            0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
        };
        let top = luma(x0, y0) * (1.0 - fx) + luma(x1, y0) * fx;
        let bottom = luma(x0, y1) * (1.0 - fx) + luma(x1, y1) * fx;
        top * (1.0 - fy) + bottom * fy
    }

    /// A buffer shorter than the image, or a frame at infinity, is sampled pixel by pixel:
    /// the pixels present keep their values, and nothing is allocated for the size claimed.
    #[test]
    fn short_buffers_and_infinite_frames_sample_the_pixels() {
        let full = Rgb::from_fn(40, 40, |x, y| [(x * 6) as u8, (y * 6) as u8, 9]);
        let short = Rgb {
            width: 40,
            height: 40,
            data: full.data[..40 * 20 * 3].to_vec(),
        };
        let face = Face {
            bbox: [10.0, 10.0, 30.0, 35.0],
            score: 1.0,
            landmarks: [
                [15.0, 18.0],
                [25.0, 18.0],
                [20.0, 24.0],
                [16.0, 30.0],
                [24.0, 30.0],
            ],
        };
        let grey = Grey::of(&short, &Frame::of(&face));
        assert!(grey.region.is_none());
        assert_eq!(grey.at(20.0, 10.0), grey_direct(&full, 20.0, 10.0));
        assert_eq!(grey.at(20.0, 30.0), 0.0);
        let huge = Rgb {
            width: 100_000,
            height: 100_000,
            data: Vec::new(),
        };
        let _ = face_hash(&huge, &face);
        let far = Face {
            bbox: [-3e38, -3e38, 3e38, 3e38],
            landmarks: [[0.0, 0.0]; 5],
            ..face
        };
        assert!(Grey::of(&full, &Frame::of(&far)).region.is_none());
    }

    /// A 97×131 image whose every pixel differs from its neighbours in every channel.
    fn pattern() -> Rgb {
        Rgb::from_fn(97, 131, |x, y| {
            [
                (x * 7 % 256) as u8,
                (y * 5 % 256) as u8,
                ((x * y) % 256) as u8,
            ]
        })
    }

    /// The region of luma computed once gives every sample of every crop exactly the value
    /// the pixels give, also for faces near or past the image's edges.
    #[test]
    fn grey_region_equals_luma_from_the_pixels() {
        let rgb = pattern();
        for (cx, cy, eyes) in [
            (48.0, 60.0, 30.0),
            (5.0, 8.0, 40.0),
            (95.0, 128.0, 25.0),
            (48.0, 60.0, 200.0),
        ] {
            let face = Face {
                bbox: [cx - eyes, cy - eyes, cx + eyes, cy + 1.5 * eyes],
                score: 1.0,
                landmarks: [
                    [cx - eyes / 2.0, cy],
                    [cx + eyes / 2.0, cy + 0.1 * eyes],
                    [cx, cy + 0.57 * eyes],
                    [cx - 0.41 * eyes, cy + 1.155 * eyes],
                    [cx + 0.41 * eyes, cy + 1.15 * eyes],
                ],
            };
            let frame = Frame::of(&face);
            let grey = Grey::of(&rgb, &frame);
            assert!(grey.region.is_some());
            for crop in CROPS {
                for i in 0..=20 {
                    for j in 0..=20 {
                        let a = -crop.side / 2.0 + crop.side * i as f32 / 20.0;
                        let b = crop.centre_y - crop.side / 2.0 + crop.side * j as f32 / 20.0;
                        let (x, y) = frame.to_image(a, b);
                        assert_eq!(grey.at(x, y), grey_direct(&rgb, x, y), "({x}, {y})");
                    }
                }
            }
        }
    }

    /// A row sampled at once gives what sampling each point gives: rows wholly inside the
    /// region (the fast path), rows touching its last column or row, rows leaving it, and
    /// NaN.
    #[test]
    fn sample_row_equals_sampling_each_point() {
        let rgb = pattern();
        let face = Face {
            bbox: [28.0, 40.0, 68.0, 90.0],
            score: 1.0,
            landmarks: [
                [38.0, 60.0],
                [58.0, 61.0],
                [48.0, 71.0],
                [40.0, 80.0],
                [56.0, 80.0],
            ],
        };
        let grey = Grey::of(&rgb, &Frame::of(&face));
        let r = grey.region.as_ref().expect("a region");
        let (right, bottom) = ((r.x0 + r.w - 1) as f32, (r.y0 + r.h - 1) as f32);
        let mut next = crate::testing::xorshift(11);
        let mut noise = |lo: f32, hi: f32| lo + (hi - lo) * (next() % 10_000) as f32 / 10_000.0;
        let inside: Vec<(f32, f32)> = (0..64)
            .map(|_| {
                (
                    noise(r.x0 as f32, right - 0.01),
                    noise(r.y0 as f32, bottom - 0.01),
                )
            })
            .collect();
        let (xs, ys): (Vec<f32>, Vec<f32>) = inside.iter().copied().unzip();
        assert!(
            r.inside(&xs, &ys).is_some(),
            "the first row takes the fast path"
        );
        let mut rows = vec![inside.clone()];
        for edge in [
            (right, 50.0),
            (50.0, bottom),
            (right - 0.5, bottom - 0.5),
            (-3.0, 50.0),
        ] {
            let mut row = inside.clone();
            row[17] = edge;
            rows.push(row);
        }
        let mut with_nan = inside.clone();
        with_nan[3] = (f32::NAN, 50.0);
        rows.push(with_nan);
        for row in rows {
            let (xs, ys): (Vec<f32>, Vec<f32>) = row.iter().copied().unzip();
            let mut out = vec![0.0; xs.len()];
            grey.sample_row(&xs, &ys, &mut out);
            for ((&x, &y), v) in xs.iter().zip(&ys).zip(out) {
                assert_eq!(v.to_bits(), grey.at(x, y).to_bits(), "({x}, {y})");
            }
        }
        assert!(r.inside(&[r.x0 as f32], &[r.y0 as f32]).is_some());
        assert!(r.inside(&[right], &[r.y0 as f32]).is_none());
        assert!(r.inside(&[f32::NAN], &[r.y0 as f32]).is_none());
    }
}
