//! Scaling the standard image to print size. The 480×640 image is 3:4 while a two-inch
//! print is 5:7, so the image is scaled to cover the print and the excess cut off evenly on
//! both sides (a stretch would make every face 5 % narrower; padding would leave bands).
//! The face is centred horizontally by the standard, so the cut falls on background.
//!
//! The filter is the Catmull-Rom cubic, widened by the reduction factor when shrinking so
//! that it averages the area each output pixel covers (as Pillow's `BICUBIC` does): no
//! aliasing on hair and fabric, no blur when the scale is near 1.

use crate::decode::Rgb;

/// Catmull-Rom (Keys, a = −0.5).
fn cubic(x: f64) -> f64 {
    let x = x.abs();
    if x < 1.0 {
        (1.5 * x - 2.5) * x * x + 1.0
    } else if x < 2.0 {
        ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    } else {
        0.0
    }
}

/// Per output pixel: the first source index and the normalised weights from there.
struct Taps {
    start: Vec<usize>,
    weights: Vec<Vec<f32>>,
}

/// Filter taps mapping the source window `[origin, origin + len)` (in source pixels, edges
/// at integers) of an axis of `src_len` pixels onto `out_len` pixels.
fn taps(src_len: usize, origin: f64, len: f64, out_len: usize) -> Taps {
    let scale = out_len as f64 / len;
    let stretch = (1.0 / scale).max(1.0);
    let support = 2.0 * stretch;
    let mut start = Vec::with_capacity(out_len);
    let mut weights = Vec::with_capacity(out_len);
    for i in 0..out_len {
        let centre = origin + (i as f64 + 0.5) / scale;
        let lo = ((centre - support).floor().max(0.0) as usize).min(src_len - 1);
        let hi = ((centre + support).ceil() as usize).clamp(lo + 1, src_len);
        let mut w: Vec<f64> = (lo..hi)
            .map(|j| cubic((j as f64 + 0.5 - centre) / stretch))
            .collect();
        let sum: f64 = w.iter().sum();
        if sum.abs() < 1e-9 {
            // Cannot happen with this kernel's support; the nearest pixel is the safe answer.
            w = vec![0.0; hi - lo];
            let near = (centre.floor().max(0.0) as usize).clamp(lo, hi - 1);
            w[near - lo] = 1.0;
        } else {
            w.iter_mut().for_each(|v| *v /= sum);
        }
        start.push(lo);
        weights.push(w.into_iter().map(|v| v as f32).collect());
    }
    Taps { start, weights }
}

/// `src` scaled to cover `out_w × out_h` exactly, centred, keeping its aspect ratio. The
/// caller has checked that `src` is a valid, non-empty image.
pub(crate) fn cover(src: &Rgb, out_w: u32, out_h: u32) -> Rgb {
    let (sw, sh) = (src.width as usize, src.height as usize);
    let (ow, oh) = (out_w as usize, out_h as usize);
    let scale = (ow as f64 / sw as f64).max(oh as f64 / sh as f64);
    let (win_w, win_h) = (ow as f64 / scale, oh as f64 / scale);
    let tx = taps(sw, (sw as f64 - win_w) / 2.0, win_w, ow);
    let ty = taps(sh, (sh as f64 - win_h) / 2.0, win_h, oh);

    // Only the source rows some output row reads are filtered horizontally.
    let row_lo = ty.start.first().copied().unwrap_or(0);
    let row_hi = ty
        .start
        .iter()
        .zip(&ty.weights)
        .map(|(s, w)| s + w.len())
        .max()
        .unwrap_or(row_lo);
    let mut mid = vec![0f32; (row_hi - row_lo) * ow * 3];
    for y in row_lo..row_hi {
        let row = &src.data[y * sw * 3..(y + 1) * sw * 3];
        let out = &mut mid[(y - row_lo) * ow * 3..(y - row_lo + 1) * ow * 3];
        for (x, (s, w)) in tx.start.iter().zip(&tx.weights).enumerate() {
            let mut acc = [0f32; 3];
            for (k, wk) in w.iter().enumerate() {
                let p = &row[(s + k) * 3..(s + k) * 3 + 3];
                for c in 0..3 {
                    acc[c] += wk * f32::from(p[c]);
                }
            }
            out[x * 3..x * 3 + 3].copy_from_slice(&acc);
        }
    }
    let mut data = vec![0u8; ow * oh * 3];
    for (y, (s, w)) in ty.start.iter().zip(&ty.weights).enumerate() {
        let out = &mut data[y * ow * 3..(y + 1) * ow * 3];
        for x in 0..ow * 3 {
            let mut acc = 0f32;
            for (k, wk) in w.iter().enumerate() {
                acc += wk * mid[(s + k - row_lo) * ow * 3 + x];
            }
            out[x] = acc.round().clamp(0.0, 255.0) as u8;
        }
    }
    Rgb {
        width: out_w,
        height: out_h,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_image_stays_flat() {
        let src = Rgb::from_fn(480, 640, |_, _| [100, 197, 255]);
        let out = cover(&src, 413, 579);
        assert_eq!((out.width, out.height), (413, 579));
        assert!(out.data.chunks(3).all(|p| p == [100, 197, 255]));
    }

    #[test]
    fn cover_keeps_the_aspect_and_crops_the_sides() {
        // Vertical stripes every 48 px: 10 stripes across 480. Scaled by 579/640 to 434 px,
        // then 21 px cut, the stripe edges must keep their spacing (43.4 px), not 41.3.
        let src = Rgb::from_fn(
            480,
            640,
            |x, _| if (x / 48) % 2 == 0 { [0; 3] } else { [255; 3] },
        );
        let out = cover(&src, 413, 579);
        let row: Vec<u8> = (0..413).map(|x| out.data[(300 * 413 + x) * 3]).collect();
        let edges: Vec<usize> = (1..413)
            .filter(|&x| (row[x - 1] < 128) != (row[x] < 128))
            .collect();
        let spacing: Vec<usize> = edges.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            spacing.iter().all(|&s| (43..=44).contains(&s)),
            "{spacing:?}"
        );
        // The centre of the source lands in the centre of the print.
        let src_centre = Rgb::from_fn(480, 640, |x, y| {
            if (230..250).contains(&x) && (310..330).contains(&y) {
                [255, 0, 0]
            } else {
                [0; 3]
            }
        });
        let out = cover(&src_centre, 413, 579);
        let p = &out.data[(289 * 413 + 206) * 3..][..3];
        assert!(p[0] > 200 && p[1] < 30, "{p:?}");
    }

    #[test]
    fn upscaling_and_odd_sizes_work() {
        let src = Rgb::from_fn(3, 2, |x, y| [(x * 80) as u8, (y * 200) as u8, 7]);
        let out = cover(&src, 50, 9);
        assert_eq!(out.data.len(), 50 * 9 * 3);
        let one = Rgb::from_fn(1, 1, |_, _| [9, 8, 7]);
        let out = cover(&one, 4, 5);
        assert!(out.data.chunks(3).all(|p| p == [9, 8, 7]));
    }
}
