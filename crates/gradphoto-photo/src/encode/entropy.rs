//! The quality-dependent half: quantisation with the IJG tables, symbol statistics, optimal
//! Huffman tables, and the entropy-coded scan.
//!
//! Sizes are counted rather than written: with the code length of every symbol known, the
//! scan's bit count is `Σ frequency × (code length + extra bits)`, so trying a quality costs
//! one pass over the coefficients and no output buffer.

use super::dct::{BLOCKS_PER_MCU, Coefficients, DESCALE, ZIGZAG};
use crate::quality::{STD_CHROMA, STD_LUMA};

/// Quantisation tables for a quality, in zigzag order as DQT stores them: the IJG tables
/// scaled by the libjpeg formula and clamped to 1..=255 (baseline), so that quality
/// estimators (ours in `crate::quality`, ImageMagick's) read back exactly `quality`.
pub(super) fn quant_tables(quality: u8) -> [[u8; 64]; 2] {
    let q = u32::from(quality.clamp(1, 100));
    let scale = if q < 50 { 5000 / q } else { 200 - 2 * q };
    let table = |std: &[u16; 64]| {
        std::array::from_fn(|k| {
            let v = (u32::from(std[ZIGZAG[k]]) * scale + 50) / 100;
            v.clamp(1, 255) as u8
        })
    };
    [table(&STD_LUMA), table(&STD_CHROMA)]
}

/// The quantised image, compact: per block its DC value and a bit mask of its nonzero AC
/// positions (zigzag order), and all nonzero AC values in scan order. Counting and writing
/// visit only the nonzero values, and the buffers stay small (a few hundred KB instead of
/// 128 bytes per block), which saves the page faults of a fresh allocation.
#[derive(Default)]
pub(super) struct Quantised {
    dc: Vec<i16>,
    nonzero: Vec<u64>,
    values: Vec<i16>,
}

/// Symbol counts of one scan: per table class (0 luma, 1 chroma), DC categories and AC
/// run/size symbols. The magnitude bits after each code follow from the symbol.
pub(super) struct Stats {
    dc: [[u32; 256]; 2],
    ac: [[u32; 256]; 2],
}

/// Table class of the `i`-th block of an MCU: 0 for luma, 1 for chroma.
fn class(i: usize) -> usize {
    usize::from(i % BLOCKS_PER_MCU >= 4)
}

/// Component (0 Y, 1 Cb, 2 Cr) of the `i`-th block, for the DC predictor.
fn component(i: usize) -> usize {
    (i % BLOCKS_PER_MCU).saturating_sub(3)
}

/// Bits needed for the magnitude of `v` (the JPEG "size" category).
fn category(v: i32) -> u32 {
    32 - v.unsigned_abs().leading_zeros()
}

/// Adding 1.5 · 2²³ to an `f32` below 2²² in magnitude rounds it to an integer held in the
/// low mantissa bits: rounding without a float-to-int conversion, which vectorises.
const ROUNDER: f32 = 12_582_912.0;

/// Quantises every block for `quality` into `out` and counts the symbols the scan will
/// contain.
pub(super) fn quantise(coeffs: &Coefficients, quality: u8, out: &mut Quantised) -> Stats {
    out.dc.clear();
    out.nonzero.clear();
    out.values.clear();
    out.dc.reserve(coeffs.blocks.len());
    out.nonzero.reserve(coeffs.blocks.len());
    run::<true>(coeffs, quality, 1, out)
}

/// Counts the symbols of every `stride`-th row of MCUs at `quality`, storing nothing: a
/// sample for estimating the size.
pub(super) fn sample(coeffs: &Coefficients, quality: u8, stride: usize) -> Stats {
    run::<false>(coeffs, quality, stride, &mut Quantised::default())
}

/// The quantisation and counting loop; `KEEP` stores the result for writing.
fn run<const KEEP: bool>(
    coeffs: &Coefficients,
    quality: u8,
    stride: usize,
    out: &mut Quantised,
) -> Stats {
    let tables = quant_tables(quality);
    // Divide by the quantiser and by the AAN factors left in the coefficients.
    let recip: [[f32; 64]; 2] =
        tables.map(|t| std::array::from_fn(|k| DESCALE[ZIGZAG[k]] / f32::from(t[k])));
    let mut stats = Stats {
        dc: [[0; 256]; 2],
        ac: [[0; 256]; 2],
    };
    let mut pred = [0i32; 3];
    let rounder_bits = ROUNDER.to_bits() as i32;
    let mut q = [0i16; 64];
    let row_len = (coeffs.mcus_x * BLOCKS_PER_MCU).max(1);
    let rows = coeffs.blocks.chunks(row_len).step_by(stride.max(1));
    for block_row in rows {
        for (i, block) in block_row.iter().enumerate() {
            let t = class(i);
            // No clamp: |coefficient| < 1024 for 8-bit samples, so the result is a valid
            // JPEG value at any quantiser ≥ 1.
            for ((q, &c), &r) in q.iter_mut().zip(block).zip(&recip[t]) {
                let x = c * r + ROUNDER;
                *q = (x.to_bits() as i32 - rounder_bits) as i16;
            }
            let nonzero = nonzero_mask(&q) & !1; // DC is coded apart
            let c = component(i);
            let dc = i32::from(q[0]);
            stats.dc[t][category(dc - pred[c]) as usize] += 1;
            pred[c] = dc;
            if KEEP {
                out.nonzero.push(nonzero);
                out.dc.push(q[0]);
            }
            let ac = &mut stats.ac[t];
            let (mut nonzero, mut last) = (nonzero, 0u32);
            while nonzero != 0 {
                let k = nonzero.trailing_zeros();
                nonzero &= nonzero - 1;
                let mut run = k - last - 1;
                while run > 15 {
                    ac[0xF0] += 1;
                    run -= 16;
                }
                let v = q[k as usize];
                if KEEP {
                    out.values.push(v);
                }
                ac[((run << 4) | category(i32::from(v))) as usize] += 1;
                last = k;
            }
            if last < 63 {
                ac[0x00] += 1; // EOB
            }
        }
    }
    stats
}

/// Bit `k` set where `q[k]` is not zero. One flag byte per value (a vector compare), then
/// a multiply gathers each eight flags into a byte: bit `8i` times `2^(7j + 7)` lands on
/// bit `56 + i` exactly when `j = 7 − i`, and no two products share a bit.
fn nonzero_mask(q: &[i16; 64]) -> u64 {
    let mut flags = [0u8; 64];
    for (f, &v) in flags.iter_mut().zip(q) {
        *f = u8::from(v != 0);
    }
    let mut mask = 0u64;
    for (k, chunk) in flags.chunks_exact(8).enumerate() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let gathered = u64::from_le_bytes(bytes).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        mask |= gathered << (8 * k);
    }
    mask
}

/// A Huffman table as DHT stores it, with the code of every symbol.
pub(super) struct Table {
    /// Number of codes of each length 1..=16.
    pub bits: [u8; 16],
    /// Symbols in order of increasing code length.
    pub values: Vec<u8>,
    /// `(code, length)` per symbol; length 0 for symbols that do not occur.
    pub codes: [(u16, u8); 256],
}

impl Table {
    /// The optimal table for `freq` under JPEG's rules: no code longer than 16 bits and no
    /// code of all ones (`jpeg_gen_optimal_table` of libjpeg's `jchuff.c`).
    pub fn optimal(freq: &[u32; 256]) -> Table {
        // Only symbols that occur, plus one reserved symbol of frequency 1 which takes the
        // all-ones code and is dropped at the end.
        let mut syms: Vec<usize> = (0..256).filter(|&s| freq[s] > 0).collect();
        let n_real = syms.len();
        syms.push(256);
        let mut f: Vec<u64> = syms
            .iter()
            .map(|&s| freq.get(s).map_or(1, |&v| u64::from(v)))
            .collect();
        let n = syms.len();
        let mut size = vec![0u32; n];
        let mut next: Vec<Option<usize>> = vec![None; n];
        loop {
            // The two least frequent live nodes; ties go to the later one, as in libjpeg.
            let least = |skip: Option<usize>| {
                let mut best: Option<usize> = None;
                for (i, &fi) in f.iter().enumerate() {
                    if fi > 0 && Some(i) != skip && best.is_none_or(|b| fi <= f[b]) {
                        best = Some(i);
                    }
                }
                best
            };
            let c1 = least(None);
            let c2 = least(c1);
            let (Some(mut a), Some(mut b)) = (c1, c2) else {
                break;
            };
            f[a] += f[b];
            f[b] = 0;
            size[a] += 1;
            while let Some(x) = next[a] {
                a = x;
                size[a] += 1;
            }
            next[a] = Some(b);
            size[b] += 1;
            while let Some(x) = next[b] {
                b = x;
                size[b] += 1;
            }
        }
        let mut count = [0u32; 64];
        for &s in &size {
            if s > 0 {
                count[s as usize] += 1;
            }
        }
        // Limit to 16 bits: move pairs of over-long codes up (JPEG standard, Annex K.3).
        for i in (17..64).rev() {
            while count[i] > 0 {
                let mut j = i - 2;
                while count[j] == 0 {
                    j -= 1;
                }
                count[i] -= 2;
                count[i - 1] += 1;
                count[j + 1] += 2;
                count[j] -= 1;
            }
        }
        // Drop the reserved symbol: it sits in the longest group.
        if let Some(i) = (1..=16).rev().find(|&i| count[i] > 0) {
            count[i] -= 1;
        }
        // Lengths are handed out in this order. Within one tree depth the more frequent
        // symbols go first, so the 16-bit limit, which may split a depth, never gives a
        // rarer symbol the shorter code.
        let mut order: Vec<usize> = (0..n_real).collect();
        order.sort_by_key(|&i| (size[i], std::cmp::Reverse(freq[syms[i]]), syms[i]));
        let values: Vec<u8> = order.iter().map(|&i| syms[i] as u8).collect();
        let bits: [u8; 16] = std::array::from_fn(|i| count[i + 1] as u8);
        let mut codes = [(0u16, 0u8); 256];
        let mut code = 0u32;
        let mut k = 0;
        for (len, &c) in bits.iter().enumerate() {
            for _ in 0..c {
                codes[usize::from(values[k])] = (code as u16, len as u8 + 1);
                code += 1;
                k += 1;
            }
            code <<= 1;
        }
        Table {
            bits,
            values,
            codes,
        }
    }

    /// Bits taken by the codes for `freq` under this table.
    fn cost(&self, freq: &[u32; 256]) -> u64 {
        freq.iter()
            .zip(&self.codes)
            .map(|(&f, &(_, len))| u64::from(f) * u64::from(len))
            .sum()
    }
}

/// The four tables of a scan: DC luma, AC luma, DC chroma, AC chroma.
pub(super) struct Tables {
    pub dc: [Table; 2],
    pub ac: [Table; 2],
}

impl Stats {
    /// Optimal tables for these statistics.
    pub fn tables(&self) -> Tables {
        Tables {
            dc: [Table::optimal(&self.dc[0]), Table::optimal(&self.dc[1])],
            ac: [Table::optimal(&self.ac[0]), Table::optimal(&self.ac[1])],
        }
    }

    /// Bits of the entropy-coded scan under `tables`, before byte stuffing and padding:
    /// each symbol's code, plus the magnitude bits its low nibble announces.
    pub fn scan_bits(&self, tables: &Tables) -> u64 {
        let extra = |freq: &[u32; 256]| -> u64 {
            freq.iter()
                .enumerate()
                .map(|(sym, &f)| u64::from(f) * (sym as u64 & 0x0F))
                .sum()
        };
        (0..2)
            .map(|t| {
                tables.dc[t].cost(&self.dc[t])
                    + tables.ac[t].cost(&self.ac[t])
                    + extra(&self.dc[t])
                    + extra(&self.ac[t])
            })
            .sum()
    }
}

/// Bit writer for the scan: MSB first, a 0x00 stuffed after every 0xFF byte.
struct Bits<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits<'_> {
    /// Appends the low `len` bits of `bits` (`len` ≤ 32).
    #[inline(always)]
    fn put(&mut self, bits: u32, len: u32) {
        self.acc = (self.acc << len) | u64::from(bits);
        self.n += len;
        if self.n >= 32 {
            self.n -= 32;
            let word = (self.acc >> self.n) as u32;
            // No 0xFF byte (the common case): all four at once.
            if (!word).wrapping_sub(0x0101_0101) & word & 0x8080_8080 == 0 {
                self.out.extend_from_slice(&word.to_be_bytes());
            } else {
                for byte in word.to_be_bytes() {
                    self.out.push(byte);
                    if byte == 0xFF {
                        self.out.push(0);
                    }
                }
            }
        }
    }

    /// Flushes whole bytes and pads the last one with ones, as the standard asks.
    fn finish(mut self) {
        let pad = (8 - self.n % 8) % 8;
        self.acc = (self.acc << pad) | ((1 << pad) - 1);
        self.n += pad;
        while self.n >= 8 {
            self.n -= 8;
            let byte = (self.acc >> self.n) as u8;
            self.out.push(byte);
            if byte == 0xFF {
                self.out.push(0);
            }
        }
    }
}

/// Writes the entropy-coded scan of `q` to `out`.
pub(super) fn write_scan(q: &Quantised, tables: &Tables, out: &mut Vec<u8>) {
    let mut w = Bits { out, acc: 0, n: 0 };
    let mut pred = [0i32; 3];
    // Code then magnitude bits in one put (≤ 16 + 11 bits): the magnitude is the value if
    // positive, its ones' complement if negative.
    let put = |w: &mut Bits<'_>, (code, len): (u16, u8), v: i32, s: u32| {
        let m = (if v < 0 { v - 1 } else { v }) as u32 & ((1 << s) - 1);
        w.put((u32::from(code) << s) | m, u32::from(len) + s);
    };
    let mut values = q.values.iter();
    for (i, (&dc, &mask)) in q.dc.iter().zip(&q.nonzero).enumerate() {
        let t = class(i);
        let c = component(i);
        let dc = i32::from(dc);
        let diff = dc - pred[c];
        pred[c] = dc;
        let s = category(diff);
        put(&mut w, tables.dc[t].codes[s as usize], diff, s);
        let ac = &tables.ac[t].codes;
        let (mut nonzero, mut last) = (mask, 0u32);
        while nonzero != 0 {
            let k = nonzero.trailing_zeros();
            nonzero &= nonzero - 1;
            let mut run = k - last - 1;
            while run > 15 {
                let (code, len) = ac[0xF0];
                w.put(u32::from(code), u32::from(len));
                run -= 16;
            }
            let v = i32::from(values.next().copied().unwrap_or(0));
            let s = category(v);
            put(&mut w, ac[((run << 4) | s) as usize], v, s);
            last = k;
        }
        if last < 63 {
            let (code, len) = ac[0x00];
            w.put(u32::from(code), u32::from(len));
        }
    }
    w.finish();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fibonacci frequencies make the unconstrained Huffman tree as deep as the alphabet:
    /// the limit must cut it to 16 bits and still leave a prefix code without all-ones.
    #[test]
    fn optimal_table_respects_jpeg_limits() {
        let mut freq = [0u32; 256];
        let (mut a, mut b) = (1u32, 1u32);
        for f in freq.iter_mut().take(30) {
            *f = a;
            (a, b) = (b, a + b);
        }
        let t = Table::optimal(&freq);
        assert_eq!(t.values.len(), 30);
        assert_eq!(t.bits.iter().map(|&b| usize::from(b)).sum::<usize>(), 30);
        // Kraft sum below 1: room is left for the forbidden all-ones code.
        let kraft: f64 = (0..30).map(|s| 0.5f64.powi(i32::from(t.codes[s].1))).sum();
        assert!(kraft < 1.0, "{kraft}");
        for s in 0..30 {
            let (code, len) = t.codes[s];
            assert!((1..=16).contains(&len));
            assert_ne!(u32::from(code), (1u32 << len) - 1, "all-ones code for {s}");
        }
        // More frequent symbols never get longer codes (symbols 0 and 1 tie).
        for s in 2..30 {
            assert!(t.codes[s].1 <= t.codes[s - 1].1);
        }
    }

    #[test]
    fn nonzero_mask_marks_every_position() {
        for k in 0..64 {
            let mut q = [0i16; 64];
            q[k] = if k % 2 == 0 { -1 } else { 1000 };
            assert_eq!(nonzero_mask(&q), 1 << k);
        }
        let all = [7i16; 64];
        assert_eq!(nonzero_mask(&all), u64::MAX);
    }

    #[test]
    fn single_symbol_gets_a_one_bit_code() {
        let mut freq = [0u32; 256];
        freq[0] = 500;
        let t = Table::optimal(&freq);
        assert_eq!(t.codes[0], (0, 1));
        assert_eq!(t.bits[0], 1);
    }

    #[test]
    fn counted_size_equals_written_size_without_stuffing() {
        let mut coeffs = Coefficients {
            width: 16,
            height: 16,
            mcus_x: 1,
            blocks: vec![[0f32; 64]; 12],
        };
        for (i, b) in coeffs.blocks.iter_mut().enumerate() {
            for (k, v) in b.iter_mut().enumerate() {
                *v = ((i * 7 + k * 13) % 41) as f32 - 20.0;
            }
            b[0] = i as f32 * 30.0 - 100.0;
        }
        let mut q = Quantised::default();
        let stats = quantise(&coeffs, 90, &mut q);
        let tables = stats.tables();
        let mut out = Vec::new();
        write_scan(&q, &tables, &mut out);
        let stuffed = out.windows(2).filter(|w| w == &[0xFF, 0x00]).count();
        let bits = stats.scan_bits(&tables);
        assert_eq!(out.len() - stuffed, bits.div_ceil(8) as usize);
    }
}
