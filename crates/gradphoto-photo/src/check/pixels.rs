//! Pixel statistics the checks share: regions, luminance, colour distance, the Laplacian.
//! Everything works on the displayed RGB8 image; regions are clipped to it, so a check never
//! reads outside the pixels it was given.

use crate::decode::Rgb;

/// An integer pixel rectangle `[x0, x1) × [y0, y1)`, always inside the image it was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Area {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl Area {
    /// The rectangle of continuous bounds clipped to `img`; `None` when nothing is left.
    pub fn clipped(img: &Rgb, x0: f32, y0: f32, x1: f32, y1: f32) -> Option<Area> {
        let cx = |v: f32| v.round().clamp(0.0, img.width as f32) as u32;
        let cy = |v: f32| v.round().clamp(0.0, img.height as f32) as u32;
        let a = Area {
            x0: cx(x0),
            y0: cy(y0),
            x1: cx(x1),
            y1: cy(y1),
        };
        (a.x1 > a.x0 && a.y1 > a.y0).then_some(a)
    }

    pub fn width(&self) -> u32 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> u32 {
        self.y1 - self.y0
    }

    pub fn pixels(&self) -> u64 {
        u64::from(self.width()) * u64::from(self.height())
    }
}

/// The RGB of pixel `(x, y)`; the caller keeps it inside the image.
#[inline]
pub(crate) fn px(img: &Rgb, x: u32, y: u32) -> [u8; 3] {
    let i = (y as usize * img.width as usize + x as usize) * 3;
    [img.data[i], img.data[i + 1], img.data[i + 2]]
}

/// Rec. 601 luma, 0–255.
#[inline]
pub(crate) fn luma(p: [u8; 3]) -> f32 {
    0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
}

/// Euclidean distance between two colours in RGB, 0–441.
#[inline]
pub(crate) fn colour_distance(a: [u8; 3], b: [u8; 3]) -> f32 {
    let d = |i: usize| f32::from(a[i]) - f32::from(b[i]);
    (d(0) * d(0) + d(1) * d(1) + d(2) * d(2)).sqrt()
}

/// Mean luma of an area.
pub(crate) fn mean_luma(img: &Rgb, a: Area) -> f32 {
    let mut sum = 0.0f64;
    for y in a.y0..a.y1 {
        for x in a.x0..a.x1 {
            sum += f64::from(luma(px(img, x, y)));
        }
    }
    (sum / a.pixels() as f64) as f32
}

/// Fraction of an area's pixels for which `pred` holds.
pub(crate) fn fraction(img: &Rgb, a: Area, pred: impl Fn([u8; 3]) -> bool) -> f32 {
    let mut n = 0u64;
    for y in a.y0..a.y1 {
        for x in a.x0..a.x1 {
            n += u64::from(pred(px(img, x, y)));
        }
    }
    n as f32 / a.pixels() as f32
}

/// Per-channel median of the pixels for which `keep` holds (histograms, so it is exact and
/// linear-time); `None` if no pixel was kept.
pub(crate) fn median_colour(
    img: &Rgb,
    areas: &[Area],
    keep: impl Fn(u32, u32) -> bool,
) -> Option<[u8; 3]> {
    let mut hist = [[0u32; 256]; 3];
    let mut n = 0u32;
    for a in areas {
        for y in a.y0..a.y1 {
            for x in a.x0..a.x1 {
                if keep(x, y) {
                    let p = px(img, x, y);
                    for c in 0..3 {
                        hist[c][usize::from(p[c])] += 1;
                    }
                    n += 1;
                }
            }
        }
    }
    if n == 0 {
        return None;
    }
    let mut out = [0u8; 3];
    for c in 0..3 {
        let mut acc = 0;
        for (v, &count) in hist[c].iter().enumerate() {
            acc += count;
            if acc * 2 >= n {
                out[c] = v as u8;
                break;
            }
        }
    }
    Some(out)
}

/// Variance of the 4-neighbour Laplacian of luma over an area: the usual focus measure
/// (OpenCV's `Laplacian(...).var()`). Sharp edges give large values; blur removes them.
pub(crate) fn laplacian_variance(img: &Rgb, a: Area) -> f32 {
    // The Laplacian needs a neighbour on every side; shrink the area by one pixel.
    let x0 = a.x0.max(1);
    let y0 = a.y0.max(1);
    let x1 = a.x1.min(img.width.saturating_sub(1));
    let y1 = a.y1.min(img.height.saturating_sub(1));
    if x1 <= x0 || y1 <= y0 {
        return 0.0;
    }
    let l = |x: u32, y: u32| luma(px(img, x, y));
    let (mut sum, mut sq, mut n) = (0.0f64, 0.0f64, 0u64);
    for y in y0..y1 {
        for x in x0..x1 {
            let v =
                f64::from(l(x - 1, y) + l(x + 1, y) + l(x, y - 1) + l(x, y + 1) - 4.0 * l(x, y));
            sum += v;
            sq += v * v;
            n += 1;
        }
    }
    let mean = sum / n as f64;
    (sq / n as f64 - mean * mean) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_are_clipped_to_the_image() {
        let i = Rgb::from_fn(10, 8, |_, _| [0; 3]);
        let a = Area::clipped(&i, -5.0, 2.0, 20.0, 30.0).expect("area");
        assert_eq!((a.x0, a.y0, a.x1, a.y1), (0, 2, 10, 8));
        assert!(Area::clipped(&i, 12.0, 0.0, 20.0, 5.0).is_none());
    }

    #[test]
    fn median_colour_ignores_a_minority() {
        let i = Rgb::from_fn(
            10,
            10,
            |x, _| if x < 3 { [0, 0, 0] } else { [100, 197, 255] },
        );
        let a = Area::clipped(&i, 0.0, 0.0, 10.0, 10.0).expect("area");
        assert_eq!(median_colour(&i, &[a], |_, _| true), Some([100, 197, 255]));
        assert_eq!(median_colour(&i, &[a], |_, _| false), None);
    }

    #[test]
    fn laplacian_variance_sees_edges_not_flat_areas() {
        let flat = Rgb::from_fn(20, 20, |_, _| [128; 3]);
        let a = Area::clipped(&flat, 0.0, 0.0, 20.0, 20.0).expect("area");
        assert_eq!(laplacian_variance(&flat, a), 0.0);
        let checker = Rgb::from_fn(
            20,
            20,
            |x, y| if (x + y) % 2 == 0 { [0; 3] } else { [255; 3] },
        );
        assert!(laplacian_variance(&checker, a) > 1000.0);
    }

    #[test]
    fn luma_of_white_is_255() {
        assert!((luma([255, 255, 255]) - 255.0).abs() < 0.01);
        assert_eq!(colour_distance([1, 2, 3], [1, 2, 3]), 0.0);
    }
}
