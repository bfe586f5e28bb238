//! Inverse DCTs giving a block of 8×8, 4×4, 2×2 or 1×1 pixels from the dequantised
//! coefficients (natural order, row = vertical frequency). The reduced ones are the N-point
//! IDCT of the N×N lowest frequencies, normalised so that the DC gives the block's mean: the
//! block low-passed and subsampled, as libjpeg's reduced-size IDCTs approximate.

/// Coefficients of one block in natural order (0..64), then room for the coefficients a
/// reduced block does not use: the decoder stores those at 64 without a branch, and any
/// `u8` index is in bounds without a check. Values are as dequantised, unclamped: each
/// transform keeps corrupt ones from overflowing.
pub(super) type Block = [i32; 256];

/// Writes an `n`×`n` block (`n` = 1, 2, 4 or 8) at `out[at..]`, rows `stride` apart.
#[inline]
pub(super) fn idct(n: usize, c: &Block, out: &mut [u8], at: usize, stride: usize) {
    match n {
        1 => out[at] = clamp((coef(c[0]) + 4 + 1024) >> 3),
        2 => idct2(c, out, at, stride),
        4 => idct4(c, out, at, stride),
        _ => idct8(c, out, at, stride),
    }
}

/// An `n`×`n` block whose only coefficient is the DC `dc`: every IDCT above gives this one
/// value there.
#[inline]
pub(super) fn fill(n: usize, dc: i32, out: &mut [u8], at: usize, stride: usize) {
    let v = clamp((coef(dc) + 4 + 1024) >> 3);
    for row in 0..n {
        out[at + row * stride..][..n].fill(v);
    }
}

/// A coefficient in the range of libjpeg's 16-bit ones: only corrupt data is outside it.
#[inline]
fn coef(v: i32) -> i32 {
    v.clamp(-32768, 32767)
}

#[inline]
fn clamp(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// 2-point: the basis is ±1/√2 both ways, so each pixel is (c00 ± c01 ± c10 ± c11) / 8.
fn idct2(c: &Block, out: &mut [u8], at: usize, stride: usize) {
    let (a, b, d, e) = (coef(c[0]), coef(c[1]), coef(c[8]), coef(c[9]));
    let px = |v: i32| clamp((v + 4 + 1024) >> 3);
    out[at] = px(a + b + d + e);
    out[at + 1] = px(a - b + d - e);
    out[at + stride] = px(a + b - d - e);
    out[at + stride + 1] = px(a - b - d + e);
}

/// `C(u)·cos((2x+1)uπ/8)/2` for x, u in 0..4 (the 1/4 of 2-D normalisation split in two).
fn basis4() -> &'static [[f32; 4]; 4] {
    static B: std::sync::OnceLock<[[f32; 4]; 4]> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        std::array::from_fn(|x| {
            std::array::from_fn(|u| {
                let cu = if u == 0 {
                    std::f64::consts::FRAC_1_SQRT_2
                } else {
                    1.0
                };
                let angle = (2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / 8.0;
                (cu * angle.cos() / 2.0) as f32
            })
        })
    })
}

fn idct4(c: &Block, out: &mut [u8], at: usize, stride: usize) {
    let b = basis4();
    // Columns first: tmp[y][u] = Σ_v B[y][v]·c[v][u].
    let mut tmp = [[0f32; 4]; 4];
    for (y, row) in tmp.iter_mut().enumerate() {
        for (u, t) in row.iter_mut().enumerate() {
            *t = (0..4).map(|v| b[y][v] * c[v * 8 + u] as f32).sum();
        }
    }
    for (y, row) in tmp.iter().enumerate() {
        for x in 0..4 {
            let v: f32 = (0..4).map(|u| b[x][u] * row[u]).sum();
            out[at + y * stride + x] = clamp((v + 128.5).floor() as i32);
        }
    }
}

/// The islow integer IDCT of libjpeg (as in stb_image and jpeg-decoder): 12-bit fixed-point
/// constants, done in 64-bit so that no coefficient, however corrupt, overflows.
fn idct8(c: &Block, out: &mut [u8], at: usize, stride: usize) {
    const fn f2f(x: f64) -> i64 {
        (x * 4096.0 + 0.5) as i64
    }
    #[inline(always)]
    fn one_d(s: [i64; 8]) -> ([i64; 4], [i64; 4]) {
        let p1 = (s[2] + s[6]) * f2f(0.541_196_1);
        let t2 = p1 + s[6] * f2f(-1.847_759_065);
        let t3 = p1 + s[2] * f2f(0.765_366_865);
        let t0 = (s[0] + s[4]) << 12;
        let t1 = (s[0] - s[4]) << 12;
        let even = [t0 + t3, t1 + t2, t1 - t2, t0 - t3];
        let (o0, o1, o2, o3) = (s[7], s[5], s[3], s[1]);
        let p3 = o0 + o2;
        let p4 = o1 + o3;
        let p1 = o0 + o3;
        let p2 = o1 + o2;
        let p5 = (p3 + p4) * f2f(1.175_875_602);
        let p1 = p5 + p1 * f2f(-0.899_976_223);
        let p2 = p5 + p2 * f2f(-2.562_915_447);
        let p3 = p3 * f2f(-1.961_570_560);
        let p4 = p4 * f2f(-0.390_180_644);
        let odd = [
            o0 * f2f(0.298_631_336) + p1 + p3,
            o1 * f2f(2.053_119_869) + p2 + p4,
            o2 * f2f(3.072_711_026) + p2 + p3,
            o3 * f2f(1.501_321_110) + p1 + p4,
        ];
        // Output k pairs even[k] with odd[3 - k]: out[k] = e + o, out[7 - k] = e - o.
        (even, odd)
    }
    let mut v = [0i64; 64];
    for col in 0..8 {
        let s: [i64; 8] = std::array::from_fn(|r| i64::from(c[r * 8 + col]));
        if s[1..].iter().all(|&x| x == 0) {
            for r in 0..8 {
                v[r * 8 + col] = s[0] << 2;
            }
            continue;
        }
        let (e, o) = one_d(s);
        for k in 0..4 {
            let ek = e[k] + 512;
            v[k * 8 + col] = (ek + o[3 - k]) >> 10;
            v[(7 - k) * 8 + col] = (ek - o[3 - k]) >> 10;
        }
    }
    for r in 0..8 {
        let s: [i64; 8] = std::array::from_fn(|k| v[r * 8 + k]);
        let (e, o) = one_d(s);
        let row = at + r * stride;
        for k in 0..4 {
            let ek = e[k] + 65536 + (128 << 17);
            out[row + k] = ((ek + o[3 - k]) >> 17).clamp(0, 255) as u8;
            out[row + 7 - k] = ((ek - o[3 - k]) >> 17).clamp(0, 255) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook 2-D IDCT of the N×N lowest frequencies, in f64.
    fn reference(n: usize, c: &Block) -> Vec<f64> {
        let cu = |u: usize| if u == 0 { 0.5f64.sqrt() } else { 1.0 };
        let mut out = Vec::new();
        for y in 0..n {
            for x in 0..n {
                let mut s = 0.0;
                for v in 0..n {
                    for u in 0..n {
                        let ax = ((2 * x + 1) * u) as f64 * std::f64::consts::PI / (2 * n) as f64;
                        let ay = ((2 * y + 1) * v) as f64 * std::f64::consts::PI / (2 * n) as f64;
                        s += cu(u) * cu(v) * c[v * 8 + u] as f64 * ax.cos() * ay.cos();
                    }
                }
                out.push((s / 4.0 + 128.0).clamp(0.0, 255.0));
            }
        }
        out
    }

    #[test]
    fn every_size_matches_the_textbook_idct() {
        let mut next = crate::testing::xorshift(0x2545_F491);
        for round in 0..300 {
            let mut c: Block = [0; 256];
            // Realistic blocks: a DC and a few decaying AC terms, sometimes flat.
            c[0] = (next() % 2000) as i32 - 1000;
            let terms = if round % 5 == 0 { 0 } else { 1 + next() % 12 };
            for _ in 0..terms {
                let k = (next() % 64) as usize;
                c[k] = (next() % 400) as i32 - 200;
            }
            for n in [1, 2, 4, 8] {
                let mut out = vec![0u8; 64];
                idct(n, &c, &mut out, 0, 8);
                let want = reference(n, &c);
                for y in 0..n {
                    for x in 0..n {
                        let got = f64::from(out[y * 8 + x]);
                        let w = want[y * n + x];
                        assert!((got - w).abs() <= 1.0, "n {n} ({x},{y}): {got} vs {w:.2}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_flat_block_fills_as_every_idct_would() {
        for dc in [-1100, -1024, -517, -9, -4, -3, 0, 3, 4, 5, 700, 1016, 1100] {
            let mut c: Block = [0; 256];
            c[0] = dc;
            for n in [1, 2, 4, 8] {
                let (mut a, mut b) = (vec![0u8; 64], vec![0u8; 64]);
                idct(n, &c, &mut a, 0, 8);
                fill(n, dc, &mut b, 0, 8);
                assert_eq!(a, b, "dc {dc}, n {n}");
            }
        }
    }

    #[test]
    fn corrupt_coefficients_do_not_overflow() {
        let c: Block = [i32::MAX; 256];
        let mut out = vec![0u8; 64];
        for n in [1, 2, 4, 8] {
            idct(n, &c, &mut out, 0, 8);
        }
        let c: Block = [i32::MIN; 256];
        for n in [1, 2, 4, 8] {
            idct(n, &c, &mut out, 0, 8);
        }
    }
}
