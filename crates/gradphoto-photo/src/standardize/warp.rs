//! The one geometric operation of the standardizer: each output pixel is sampled from the
//! source through a similarity transform (scale, a small rotation that levels the eyes, a
//! shift). Bilinear sampling is exact enough at the scales used here — the caller first
//! shrinks the source with area averaging when the transform would shrink more than ~1.5×,
//! so bilinear never skips source pixels.

use crate::decode::Rgb;

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
}

/// Renders `width × height` output pixels; positions outside the source take the nearest
/// edge pixel (the caller has checked what lies there).
pub(crate) fn warp(src: &Rgb, t: &Similarity, width: u32, height: u32) -> Rgb {
    let (sw, sh) = (src.width as usize, src.height as usize);
    let mut data = Vec::with_capacity(width as usize * height as usize * 3);
    let (s, c) = t.angle.sin_cos();
    let inv = 1.0 / t.scale;
    let max_x = (sw - 1) as f32;
    let max_y = (sh - 1) as f32;
    for v in 0..height {
        // Continuous coords: output pixel v covers [v, v+1), its centre is v + 0.5; the same
        // in the source, so subtract 0.5 to get index space.
        let dy = (v as f32 + 0.5 - t.anchor[1]) * inv;
        for u in 0..width {
            let dx = (u as f32 + 0.5 - t.anchor[0]) * inv;
            let x = (t.centre[0] + c * dx - s * dy - 0.5).clamp(0.0, max_x);
            let y = (t.centre[1] + s * dx + c * dy - 0.5).clamp(0.0, max_y);
            let (x0, y0) = (x as usize, y as usize);
            let (x1, y1) = ((x0 + 1).min(sw - 1), (y0 + 1).min(sh - 1));
            let (fx, fy) = (x - x0 as f32, y - y0 as f32);
            let at = |xx: usize, yy: usize| (yy * sw + xx) * 3;
            let (a, b, cc, d) = (at(x0, y0), at(x1, y0), at(x0, y1), at(x1, y1));
            for ch in 0..3 {
                let p = |i: usize| f32::from(src.data[i + ch]);
                let top = p(a) + (p(b) - p(a)) * fx;
                let bottom = p(cc) + (p(d) - p(cc)) * fx;
                data.push((top + (bottom - top) * fy).round() as u8);
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
