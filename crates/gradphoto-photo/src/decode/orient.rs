//! EXIF orientation applied to packed RGB: phones store the sensor's rows and say in EXIF how to
//! turn them; the checks measure the face as a person sees it, so the turn happens once, here.

use super::Rgb;

/// Returns the image as displayed for EXIF orientation `o` (1..=8; others are left as stored).
pub(crate) fn apply(img: Rgb, o: u8) -> Rgb {
    if !(2..=8).contains(&o) {
        return img;
    }
    let (w, h) = (img.width as usize, img.height as usize);
    let (ow, oh) = if o >= 5 { (h, w) } else { (w, h) };
    let mut data = vec![0u8; img.data.len()];
    for y in 0..oh {
        for x in 0..ow {
            // Source pixel for output (x, y).
            let (sx, sy) = match o {
                2 => (w - 1 - x, y),         // mirrored
                3 => (w - 1 - x, h - 1 - y), // turned 180°
                4 => (x, h - 1 - y),         // flipped
                5 => (y, x),                 // transposed
                6 => (y, h - 1 - x),         // needs 90° clockwise
                7 => (w - 1 - y, h - 1 - x), // transversed
                _ => (w - 1 - y, x),         // 8: needs 90° anticlockwise
            };
            let s = (sy * w + sx) * 3;
            let d = (y * ow + x) * 3;
            data[d..d + 3].copy_from_slice(&img.data[s..s + 3]);
        }
    }
    Rgb {
        width: ow as u32,
        height: oh as u32,
        data,
    }
}
