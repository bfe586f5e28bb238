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
    /// MCUs per row: a row of MCUs is `6 · mcus_x` consecutive blocks.
    pub mcus_x: usize,
    /// Per MCU: Y top-left, Y top-right, Y bottom-left, Y bottom-right, Cb, Cr. Each block is
    /// in zigzag order and still scaled by the AAN factors, which the quantiser folds into
    /// its reciprocals: quantising is one multiply per coefficient.
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
    ///
    /// Works one 16×16 MCU at a time straight from the RGB rows, so no full-size plane is
    /// written and read back; each row of 16 pixels is split into R, G, B lanes once and
    /// everything after that is lane-wise arithmetic, which the compiler vectorises.
    pub fn new(rgb: &Rgb) -> Coefficients {
        let (w, h) = (rgb.width as usize, rgb.height as usize);
        let (mcus_x, mcus_y) = (w.div_ceil(16), h.div_ceil(16));
        let mut blocks = Vec::with_capacity(mcus_x * mcus_y * BLOCKS_PER_MCU);
        let mut luma = [[0f32; 16]; 16];
        let mut cb: Block = [[0.0; 8]; 8];
        let mut cr: Block = [[0.0; 8]; 8];
        for my in 0..mcus_y {
            // Source rows of this MCU, the last one repeated below the image.
            let rows: [&[u8]; 16] = std::array::from_fn(|r| {
                let y = (my * 16 + r).min(h - 1);
                &rgb.data[y * w * 3..(y + 1) * w * 3]
            });
            for mx in 0..mcus_x {
                let x0 = mx * 16;
                for cy in 0..8 {
                    // R, G, B of the two rows of this chroma row, summed.
                    let mut sum = [[0f32; 16]; 3];
                    for r in [cy * 2, cy * 2 + 1] {
                        let [red, green, blue] = split(rows[r], x0, w);
                        luma[r] = std::array::from_fn(|i| {
                            0.299 * red[i] + 0.587 * green[i] + 0.114 * blue[i] - 128.0
                        });
                        for (s, c) in sum.iter_mut().zip([red, green, blue]) {
                            *s = std::array::from_fn(|i| s[i] + c[i]);
                        }
                    }
                    // Mean of each 2×2 quad. The conversion is linear, so converting the
                    // mean equals averaging four converted samples, at a quarter of the cost.
                    let [r, g, b]: [[f32; 8]; 3] =
                        sum.map(|s| std::array::from_fn(|j| (s[2 * j] + s[2 * j + 1]) * 0.25));
                    cb[cy] = std::array::from_fn(|j: usize| {
                        -0.168_736 * r[j] - 0.331_264 * g[j] + 0.5 * b[j]
                    });
                    cr[cy] = std::array::from_fn(|j: usize| {
                        0.5 * r[j] - 0.418_688 * g[j] - 0.081_312 * b[j]
                    });
                }
                for (bx, by) in [(0, 0), (8, 0), (0, 8), (8, 8)] {
                    let block: Block =
                        std::array::from_fn(|r| std::array::from_fn(|c| luma[by + r][bx + c]));
                    blocks.push(transform(&block));
                }
                blocks.push(transform(&cb));
                blocks.push(transform(&cr));
            }
        }
        Coefficients {
            width: rgb.width as u16,
            height: rgb.height as u16,
            mcus_x,
            blocks,
        }
    }
}

/// Pixels `x0..x0 + 16` of `row` as R, G, B lanes; past the right edge the last pixel
/// repeats.
#[inline(always)]
fn split(row: &[u8], x0: usize, w: usize) -> [[f32; 16]; 3] {
    let mut out = [[0f32; 16]; 3];
    let [red, green, blue] = &mut out;
    if x0 + 16 <= w {
        let pixels = row[x0 * 3..x0 * 3 + 48].chunks_exact(3);
        for (((r, g), b), p) in red
            .iter_mut()
            .zip(green.iter_mut())
            .zip(blue.iter_mut())
            .zip(pixels)
        {
            (*r, *g, *b) = (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]));
        }
    } else {
        for (i, ((r, g), b)) in red
            .iter_mut()
            .zip(green.iter_mut())
            .zip(blue.iter_mut())
            .enumerate()
        {
            let x = (x0 + i).min(w - 1) * 3;
            (*r, *g, *b) = (
                f32::from(row[x]),
                f32::from(row[x + 1]),
                f32::from(row[x + 2]),
            );
        }
    }
    out
}

/// An 8×8 block as eight rows.
type Block = [[f32; 8]; 8];

/// Forward DCT of a block, returned in zigzag order, still carrying the AAN scale factors
/// (the quantiser divides them out: see [`DESCALE`]).
fn transform(d: &Block) -> [f32; 64] {
    // Down the columns, transpose, down the columns again: both passes run on whole rows,
    // which the compiler vectorises across the columns (a pass along a row would not).
    let mut a = *d;
    aan_columns(&mut a);
    let mut t: Block = std::array::from_fn(|r| std::array::from_fn(|c| a[c][r]));
    aan_columns(&mut t);
    // `t[u][v]` holds natural index `v·8 + u`.
    std::array::from_fn(|k| {
        let nat = ZIGZAG[k];
        t[nat % 8][nat / 8]
    })
}

/// `1 / (8 · s[u] · s[v])` for natural index `u·8 + v`: what turns AAN output into the
/// standard JPEG coefficient.
pub(super) const DESCALE: [f32; 64] = {
    let mut t = [0f32; 64];
    let mut i = 0;
    while i < 64 {
        t[i] = 1.0 / (8.0 * AAN_SCALE[i / 8] * AAN_SCALE[i % 8]);
        i += 1;
    }
    t
};

/// The 8-point AAN forward DCT (Arai, Agui, Nakajima; libjpeg's `jfdctflt.c`) down each
/// column of `d`.
#[inline(always)]
#[expect(
    clippy::needless_range_loop,
    reason = "`c` picks the same lane of all eight rows; this form is what vectorises"
)]
fn aan_columns(d: &mut Block) {
    for c in 0..8 {
        let tmp0 = d[0][c] + d[7][c];
        let tmp7 = d[0][c] - d[7][c];
        let tmp1 = d[1][c] + d[6][c];
        let tmp6 = d[1][c] - d[6][c];
        let tmp2 = d[2][c] + d[5][c];
        let tmp5 = d[2][c] - d[5][c];
        let tmp3 = d[3][c] + d[4][c];
        let tmp4 = d[3][c] - d[4][c];

        let tmp10 = tmp0 + tmp3;
        let tmp13 = tmp0 - tmp3;
        let tmp11 = tmp1 + tmp2;
        let tmp12 = tmp1 - tmp2;
        d[0][c] = tmp10 + tmp11;
        d[4][c] = tmp10 - tmp11;
        let z1 = (tmp12 + tmp13) * 0.707_106_77;
        d[2][c] = tmp13 + z1;
        d[6][c] = tmp13 - z1;

        let tmp10 = tmp4 + tmp5;
        let tmp11 = tmp5 + tmp6;
        let tmp12 = tmp6 + tmp7;
        let z5 = (tmp10 - tmp12) * 0.382_683_43;
        let z2 = 0.541_196_1 * tmp10 + z5;
        let z4 = 1.306_563 * tmp12 + z5;
        let z3 = tmp11 * 0.707_106_77;
        let z11 = tmp7 + z3;
        let z13 = tmp7 - z3;
        d[5][c] = z13 + z2;
        d[3][c] = z13 - z2;
        d[1][c] = z11 + z4;
        d[7][c] = z11 - z4;
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
        let rows: Block = std::array::from_fn(|r| std::array::from_fn(|c| block[r * 8 + c]));
        let zz = transform(&rows);
        let mut d = [0f32; 64];
        for (k, &nat) in ZIGZAG.iter().enumerate() {
            d[nat] = zz[k] * DESCALE[nat];
        }
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
                let got = f64::from(d[u * 8 + v]);
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
            assert!((b[0] * DESCALE[0] - 8.0 * 72.0).abs() < 0.01, "DC {}", b[0]);
            assert!(b[1..].iter().all(|v| v.abs() < 1e-3));
        }
        for b in &c.blocks[4..] {
            assert!(b.iter().all(|v| v.abs() < 1e-3));
        }
    }
}
