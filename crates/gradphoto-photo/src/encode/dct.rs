//! The quality-independent half of the encoder: colour conversion, 4:2:0 downsampling and the
//! forward DCT, done once per image. [`encode_to_fit`](super::encode_to_fit) then tries
//! several qualities on the same coefficients, each costing only quantisation and counting.

use crate::decode::Rgb;

pub(super) use crate::quality::ZIGZAG;

/// Blocks per MCU: four luma (16×16), then one Cb and one Cr (4:2:0).
pub(super) const BLOCKS_PER_MCU: usize = 6;

/// The image as DCT coefficients, in the order the scan writes them.
pub(super) struct Coefficients {
    pub width: u16,
    pub height: u16,
    /// Per MCU: Y top-left, Y top-right, Y bottom-left, Y bottom-right, Cb, Cr. Each block is
    /// in zigzag order and already divided by the AAN scale factors, so quantising is one
    /// multiply per coefficient.
    pub blocks: Vec<[f32; 64]>,
}

/// AAN output scaling (`jfdctflt.c`): coefficient `(u, v)` comes out multiplied by
/// `8 · s[u] · s[v]`.
const AAN_SCALE: [f32; 8] = [
    1.0,
    1.387_039_8,
    1.306_563,
    1.175_875_6,
    1.0,
    0.785_694_96,
    0.541_196_1,
    0.275_899_38,
];

impl Coefficients {
    /// Converts, downsamples and transforms `rgb`, whose dimensions the caller has checked
    /// (1..=65535, `data` exactly `w·h·3`). Partial MCUs are padded by repeating the last
    /// column and row, as libjpeg does, so no dark fringe bleeds into the edge blocks.
    pub fn new(rgb: &Rgb) -> Coefficients {
        let (w, h) = (rgb.width as usize, rgb.height as usize);
        let (mcus_x, mcus_y) = (w.div_ceil(16), h.div_ceil(16));
        let (pw, ph) = (mcus_x * 16, mcus_y * 16);
        let (cw, ch) = (pw / 2, ph / 2);
        let mut y_plane = vec![0f32; pw * ph];
        let mut cb = vec![0f32; cw * ch];
        let mut cr = vec![0f32; cw * ch];
        for py in 0..ph {
            let sy = py.min(h - 1);
            let src = &rgb.data[sy * w * 3..(sy + 1) * w * 3];
            let yrow = &mut y_plane[py * pw..(py + 1) * pw];
            let crow = (py / 2) * cw;
            for (px, p) in src.chunks_exact(3).enumerate() {
                let (r, g, b) = (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]));
                // JFIF full-range YCbCr; Y level-shifted by −128 for the DCT, Cb/Cr centred.
                yrow[px] = 0.299 * r + 0.587 * g + 0.114 * b - 128.0;
                cb[crow + px / 2] += -0.168_736 * r - 0.331_264 * g + 0.5 * b;
                cr[crow + px / 2] += 0.5 * r - 0.418_688 * g - 0.081_312 * b;
            }
            // Padding columns repeat the last pixel.
            let last = w - 1;
            if pw > w {
                let p = &src[last * 3..last * 3 + 3];
                let (r, g, b) = (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]));
                let yv = 0.299 * r + 0.587 * g + 0.114 * b - 128.0;
                let cbv = -0.168_736 * r - 0.331_264 * g + 0.5 * b;
                let crv = 0.5 * r - 0.418_688 * g - 0.081_312 * b;
                for px in w..pw {
                    yrow[px] = yv;
                    cb[crow + px / 2] += cbv;
                    cr[crow + px / 2] += crv;
                }
            }
        }
        // 2×2 box average: chroma sits centred between the luma samples (JFIF siting).
        for v in cb.iter_mut().chain(cr.iter_mut()) {
            *v *= 0.25;
        }

        let mut blocks = Vec::with_capacity(mcus_x * mcus_y * BLOCKS_PER_MCU);
        for my in 0..mcus_y {
            for mx in 0..mcus_x {
                for (bx, by) in [(0, 0), (8, 0), (0, 8), (8, 8)] {
                    blocks.push(transform(&y_plane, pw, mx * 16 + bx, my * 16 + by));
                }
                blocks.push(transform(&cb, cw, mx * 8, my * 8));
                blocks.push(transform(&cr, cw, mx * 8, my * 8));
            }
        }
        Coefficients {
            width: rgb.width as u16,
            height: rgb.height as u16,
            blocks,
        }
    }
}

/// Forward DCT of the 8×8 block at `(x, y)` of `plane`, returned in zigzag order with the
/// AAN scaling removed.
fn transform(plane: &[f32], stride: usize, x: usize, y: usize) -> [f32; 64] {
    let mut d = [0f32; 64];
    for r in 0..8 {
        let start = (y + r) * stride + x;
        d[r * 8..r * 8 + 8].copy_from_slice(&plane[start..start + 8]);
    }
    fdct_aan(&mut d);
    let mut out = [0f32; 64];
    for (o, &nat) in out.iter_mut().zip(ZIGZAG.iter()) {
        *o = d[nat] * descale(nat);
    }
    out
}

/// `1 / (8 · s[u] · s[v])` for natural index `i`: what turns AAN output into the standard
/// JPEG coefficient.
fn descale(i: usize) -> f32 {
    1.0 / (8.0 * AAN_SCALE[i / 8] * AAN_SCALE[i % 8])
}

/// One 8-point AAN pass (Arai, Agui, Nakajima; libjpeg's `jfdctflt.c`) over `d[o + k·s]`.
fn pass(d: &mut [f32; 64], o: usize, s: usize) {
    let at = |k: usize| o + k * s;
    let tmp0 = d[at(0)] + d[at(7)];
    let tmp7 = d[at(0)] - d[at(7)];
    let tmp1 = d[at(1)] + d[at(6)];
    let tmp6 = d[at(1)] - d[at(6)];
    let tmp2 = d[at(2)] + d[at(5)];
    let tmp5 = d[at(2)] - d[at(5)];
    let tmp3 = d[at(3)] + d[at(4)];
    let tmp4 = d[at(3)] - d[at(4)];

    let tmp10 = tmp0 + tmp3;
    let tmp13 = tmp0 - tmp3;
    let tmp11 = tmp1 + tmp2;
    let tmp12 = tmp1 - tmp2;
    d[at(0)] = tmp10 + tmp11;
    d[at(4)] = tmp10 - tmp11;
    let z1 = (tmp12 + tmp13) * 0.707_106_77;
    d[at(2)] = tmp13 + z1;
    d[at(6)] = tmp13 - z1;

    let tmp10 = tmp4 + tmp5;
    let tmp11 = tmp5 + tmp6;
    let tmp12 = tmp6 + tmp7;
    let z5 = (tmp10 - tmp12) * 0.382_683_43;
    let z2 = 0.541_196_1 * tmp10 + z5;
    let z4 = 1.306_563 * tmp12 + z5;
    let z3 = tmp11 * 0.707_106_77;
    let z11 = tmp7 + z3;
    let z13 = tmp7 - z3;
    d[at(5)] = z13 + z2;
    d[at(3)] = z13 - z2;
    d[at(1)] = z11 + z4;
    d[at(7)] = z11 - z4;
}

/// 2-D AAN forward DCT in place: rows, then columns.
fn fdct_aan(d: &mut [f32; 64]) {
    for r in 0..8 {
        pass(d, r * 8, 1);
    }
    for c in 0..8 {
        pass(d, c, 8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AAN transform with its scaling removed equals the textbook DCT-II of JPEG.
    #[test]
    fn aan_matches_reference_dct() {
        let mut block = [0f32; 64];
        for (i, v) in block.iter_mut().enumerate() {
            *v = ((i * 37 + 11) % 255) as f32 - 128.0;
        }
        let mut d = block;
        fdct_aan(&mut d);
        for u in 0..8 {
            for v in 0..8 {
                let c = |k: usize| if k == 0 { 1.0 / 2f64.sqrt() } else { 1.0 };
                let mut s = 0.0f64;
                for y in 0..8 {
                    for x in 0..8 {
                        s += f64::from(block[y * 8 + x])
                            * ((2 * x + 1) as f64 * v as f64 * std::f64::consts::PI / 16.0).cos()
                            * ((2 * y + 1) as f64 * u as f64 * std::f64::consts::PI / 16.0).cos();
                    }
                }
                let reference = 0.25 * c(u) * c(v) * s;
                let got = f64::from(d[u * 8 + v] * descale(u * 8 + v));
                assert!(
                    (got - reference).abs() < 1e-2,
                    "({u},{v}): {got} vs {reference}"
                );
            }
        }
    }

    #[test]
    fn padding_repeats_the_edge() {
        // 1×1 grey: every luma sample of the padded 16×16 MCU is the same, so only DC is set.
        let rgb = Rgb {
            width: 1,
            height: 1,
            data: vec![200, 200, 200],
        };
        let c = Coefficients::new(&rgb);
        assert_eq!(c.blocks.len(), 6);
        for b in &c.blocks[..4] {
            assert!((b[0] - 8.0 * 72.0).abs() < 0.01, "DC {}", b[0]);
            assert!(b[1..].iter().all(|v| v.abs() < 1e-3));
        }
        for b in &c.blocks[4..] {
            assert!(b.iter().all(|v| v.abs() < 1e-3));
        }
    }
}
