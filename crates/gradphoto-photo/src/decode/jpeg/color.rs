//! From component planes to packed RGB: chroma brought up to luma resolution with libjpeg's
//! "fancy" triangle filter (each output sample ¾ its own chroma sample, ¼ the nearer
//! neighbour, in both directions), then the JFIF YCbCr → RGB conversion in fixed point.

use super::scan::Plane;
use crate::decode::Rgb;

/// `planes` are Y (or grey) then Cb, Cr; `factors` each plane's (horizontal, vertical)
/// subsampling relative to the largest (1 or 2).
pub(super) fn to_rgb(
    planes: &[Plane],
    factors: &[(usize, usize)],
    width: usize,
    height: usize,
) -> Rgb {
    let mut data = vec![0u8; width * height * 3];
    let luma = &planes[0];
    if planes.len() < 3 {
        for (y, row) in data.chunks_exact_mut(width * 3).enumerate() {
            let src = &luma.data[y * luma.width..][..width];
            for (px, &l) in row.chunks_exact_mut(3).zip(src) {
                px.copy_from_slice(&[l, l, l]);
            }
        }
        return rgb(width, height, data);
    }
    let mut cb = vec![0u8; width];
    let mut cr = vec![0u8; width];
    let mut sums = vec![0u16; width];
    for (y, row) in data.chunks_exact_mut(width * 3).enumerate() {
        upsample_row(&planes[1], factors[1], y, width, height, &mut sums, &mut cb);
        upsample_row(&planes[2], factors[2], y, width, height, &mut sums, &mut cr);
        let ys = &luma.data[y * luma.width..][..width];
        for (((px, &l), &b), &r) in row.chunks_exact_mut(3).zip(ys).zip(&cb).zip(&cr) {
            px.copy_from_slice(&ycc_to_rgb(l, b, r));
        }
    }
    rgb(width, height, data)
}

fn rgb(width: usize, height: usize, data: Vec<u8>) -> Rgb {
    Rgb {
        width: width as u32,
        height: height as u32,
        data,
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
        for (i, pair) in out[..width].chunks_mut(2).enumerate() {
            let here = 3 * s[i];
            let left = s[i.saturating_sub(1)];
            let right = s[(i + 1).min(cw - 1)];
            pair[0] = ((here + left + 8) >> 4) as u8;
            if let Some(o) = pair.get_mut(1) {
                *o = ((here + right + 8) >> 4) as u8;
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
