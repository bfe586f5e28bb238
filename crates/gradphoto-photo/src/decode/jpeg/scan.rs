//! The entropy-coded scan: MCU by MCU, each block's coefficients are Huffman-decoded, the
//! ones the output size needs are dequantised, and the block is inverse-transformed straight
//! into its component plane at 8/n of the full size.

use super::DecodeError;
use super::block_start::{BlockStart, DIFF_SHIFT, START_BITS, START_EOB};
use super::frame::Frame;
use super::huffman::{Bits, EOB_FLAG, Huffman, SKIP_ADVANCE_SHIFT, SKIP_EOB, extend};
use super::idct::{Block, fill, idct};

/// Zigzag index → natural (row-major) index.
const ZIGZAG: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// The sink of [`Block`]: where a coefficient the block size does not use is written.
const SINK: u8 = 64;

/// One decoded component at the reduced size, padded to whole blocks.
pub(super) struct Plane {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

/// A component's decoding state.
struct State<'t> {
    /// DC difference and a following end of block in one lookup.
    start: &'t BlockStart,
    dc: &'t Huffman,
    ac: &'t Huffman,
    /// Quantisation in zigzag order.
    quant: [i32; 64],
    pred: i32,
    h: usize,
    v: usize,
}

fn corrupt() -> DecodeError {
    DecodeError::Unreadable("corrupt JPEG data".into())
}

/// Decodes the scan into one plane per component, each block as `n`×`n` pixels
/// (`n` = 8 / reduction: 1, 2, 4 or 8; any other is refused).
pub(super) fn decode(f: &Frame<'_>, n: usize) -> Result<Vec<Plane>, DecodeError> {
    debug_assert!(matches!(n, 1 | 2 | 4 | 8), "block size {n}");
    // One copy of the loop per block size, so that the block's transform, its fill and the
    // clearing of its coefficients are chosen and unrolled at compile time, not per block.
    match n {
        1 => decode_at::<1>(f),
        2 => decode_at::<2>(f),
        4 => decode_at::<4>(f),
        8 => decode_at::<8>(f),
        _ => Err(DecodeError::Unreadable(format!("block size {n}"))),
    }
}

/// [`decode`] for blocks of `N`×`N` pixels.
fn decode_at<const N: usize>(f: &Frame<'_>) -> Result<Vec<Plane>, DecodeError> {
    let n = N;
    let (mcux, mcuy) = if f.components.len() == 1 {
        (f.width.div_ceil(8), f.height.div_ceil(8))
    } else {
        (f.width.div_ceil(8 * f.hmax), f.height.div_ceil(8 * f.vmax))
    };
    let starts = block_starts(f)?;
    let mut states = Vec::with_capacity(f.components.len());
    let mut planes = Vec::with_capacity(f.components.len());
    for c in &f.components {
        let (Some(dc), Some(ac)) = (f.dc[c.dc].as_ref(), f.ac[c.ac].as_ref()) else {
            return Err(corrupt());
        };
        let Some((_, start)) = starts.iter().find(|(pair, _)| *pair == (c.dc, c.ac)) else {
            return Err(corrupt());
        };
        states.push(State {
            start,
            dc,
            ac,
            quant: std::array::from_fn(|k| i32::from(c.quant[k])),
            pred: 0,
            h: c.h,
            v: c.v,
        });
        let (width, height) = (mcux * c.h * n, mcuy * c.v * n);
        planes.push(Plane {
            width,
            height,
            data: vec![0; width * height],
        });
    }
    // Known at compile time, so that the kept phase's bound is a constant.
    let (slot, stored) = const { corner(N) };
    let mut bits = Bits::new(f.data);
    let mut block: Block = [0; 256];
    let mut left = f.restart;
    let mut next_marker = 0u8;
    for my in 0..mcuy {
        // Data that ended a row ago will not come back: stop rather than decode zeros for
        // the rest of a (perhaps huge) frame.
        if bits.overran() {
            return Err(DecodeError::Truncated);
        }
        for mx in 0..mcux {
            if f.restart > 0 {
                if left == 0 {
                    if bits.overran() {
                        return Err(DecodeError::Truncated);
                    }
                    if !bits.restart(next_marker) {
                        return Err(corrupt());
                    }
                    next_marker = (next_marker + 1) & 7;
                    states.iter_mut().for_each(|s| s.pred = 0);
                    left = f.restart;
                }
                left -= 1;
            }
            for (s, plane) in states.iter_mut().zip(planes.iter_mut()) {
                for by in 0..s.v {
                    for bx in 0..s.h {
                        let dc_only = decode_block(&mut bits, s, &mut block, &slot, stored)?;
                        let (x, y) = ((mx * s.h + bx) * n, (my * s.v + by) * n);
                        let at = y * plane.width + x;
                        if dc_only {
                            // Flat block (most of a plain background): one value.
                            fill(n, block[0], &mut plane.data, at, plane.width);
                            block[0] = 0;
                        } else {
                            idct(n, &block, &mut plane.data, at, plane.width);
                            // The coefficients inside the corner; the others went to the sink.
                            for row in block.chunks_exact_mut(8).take(N) {
                                row[..N].fill(0);
                            }
                        }
                    }
                }
            }
        }
    }
    if bits.overran() {
        return Err(DecodeError::Truncated);
    }
    Ok(planes)
}

/// A component's DC and AC table numbers.
type TablePair = (usize, usize);

/// One block-start table per pair of DC and AC tables the components use (the two chroma
/// components usually share theirs, so the tables take less of the first-level cache).
fn block_starts(f: &Frame<'_>) -> Result<Vec<(TablePair, BlockStart)>, DecodeError> {
    let mut starts: Vec<(TablePair, BlockStart)> = Vec::new();
    for c in &f.components {
        let pair = (c.dc, c.ac);
        if starts.iter().any(|(p, _)| *p == pair) {
            continue;
        }
        let (Some(dc), Some(ac)) = (f.dc[c.dc].as_ref(), f.ac[c.ac].as_ref()) else {
            return Err(corrupt());
        };
        starts.push((pair, BlockStart::new(dc, ac)));
    }
    Ok(starts)
}

/// For a block decoded as `n`×`n` pixels: where each zigzag coefficient goes (its natural
/// place inside the `n`×`n` corner, else the sink), and how many zigzag positions are kept
/// (past the last one inside the corner, coefficients are only stepped over; at least 1).
const fn corner(n: usize) -> ([u8; 64], usize) {
    let (mut slot, mut stored) = ([SINK; 64], 1);
    let mut k = 0;
    while k < 64 {
        let z = ZIGZAG[k];
        if ((z / 8) as usize) < n && ((z % 8) as usize) < n {
            slot[k] = z;
            stored = k + 1;
        }
        k += 1;
    }
    (slot, stored)
}

/// Dequantises; corrupt values may wrap, and the transforms clamp what they use.
#[inline]
fn dequantise(value: i32, q: i32) -> i32 {
    value.wrapping_mul(q)
}

/// One block: the DC difference, then run/size coded AC coefficients until EOB. `true`
/// when the block has no AC coefficient at all. Coefficients from zigzag position `stored`
/// on fall outside the block size used: they are decoded only to be stepped over, in a
/// loop that does not store them (at a quarter of the size, nearly all of them).
#[inline(always)]
fn decode_block(
    bits: &mut Bits<'_>,
    s: &mut State<'_>,
    block: &mut Block,
    slot: &[u8; 64],
    stored: usize,
) -> Result<bool, DecodeError> {
    bits.refill();
    let e = s.start.get(bits.peek(START_BITS));
    let diff = if e != 0 {
        bits.consume((e & 15) as u32);
        if e & START_EOB != 0 {
            // A flat block: the end of block came with the difference.
            s.pred = s.pred.wrapping_add(e >> DIFF_SHIFT);
            block[0] = dequantise(s.pred, s.quant[0]);
            return Ok(true);
        }
        e >> DIFF_SHIFT
    } else {
        let size = u32::from(bits.symbol(s.dc).ok_or_else(corrupt)?);
        if size > 16 {
            return Err(corrupt());
        }
        extend(bits.take(size), size)
    };
    s.pred = s.pred.wrapping_add(diff);
    block[0] = dequantise(s.pred, s.quant[0]);
    let mut k = 1;
    while k < stored {
        match ac_symbol(bits, s)? {
            Ac::End => return Ok(k == 1),
            Ac::Zeros => k += 16,
            Ac::Value { run, value } => {
                k += run;
                if k > 63 {
                    return Err(corrupt());
                }
                block[usize::from(slot[k])] = dequantise(value, s.quant[k]);
                k += 1;
            }
        }
    }
    while k < 64 {
        // Several symbols at once, when they all fall inside the block (the loop below
        // would also have read them one by one, with no error).
        bits.refill();
        let e = bits.skip(s.ac);
        let advance = usize::from(e >> SKIP_ADVANCE_SHIFT) & 127;
        if e != 0 && k + advance <= 63 {
            bits.consume(u32::from(e & 15));
            k += advance;
            if e & SKIP_EOB != 0 {
                break;
            }
            continue;
        }
        match ac_symbol(bits, s)? {
            Ac::End => break,
            Ac::Zeros => k += 16,
            Ac::Value { run, .. } => {
                k += run;
                if k > 63 {
                    return Err(corrupt());
                }
                k += 1;
            }
        }
    }
    Ok(k == 1)
}

/// One AC symbol, by meaning.
enum Ac {
    /// End of block.
    End,
    /// Sixteen zeros (ZRL).
    Zeros,
    /// `run` zeros, then `value`.
    Value { run: usize, value: i32 },
}

/// The next AC symbol: one lookup for nearly all (code and value together), the canonical
/// decoding for the rest.
#[inline(always)]
fn ac_symbol(bits: &mut Bits<'_>, s: &State<'_>) -> Result<Ac, DecodeError> {
    bits.refill();
    let fast = bits.fast(s.ac);
    if fast != 0 {
        bits.consume((fast & 15) as u32);
        if fast & EOB_FLAG != 0 {
            return Ok(Ac::End);
        }
        return Ok(Ac::Value {
            run: ((fast >> 4) & 15) as usize,
            value: fast >> 9,
        });
    }
    let rs = bits.symbol(s.ac).ok_or_else(corrupt)?;
    let (run, size) = (usize::from(rs >> 4), u32::from(rs & 15));
    Ok(match (run, size) {
        (15, 0) => Ac::Zeros,
        (_, 0) => Ac::End,
        _ => Ac::Value {
            run,
            value: extend(bits.take(size), size),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How a test decodes: the zigzag positions stored (the rest are stepped over), and
    /// whether blocks start with the block-start tables or the canonical decoding.
    #[derive(Clone, Copy)]
    struct Way {
        stored: usize,
        starts: bool,
    }

    /// Every coefficient, symbol by symbol: what the shortcuts must agree with.
    const EVERY: Way = Way {
        stored: 64,
        starts: false,
    };

    /// The outcome of decoding the scan's blocks in order (MCU by MCU, each component with
    /// its own tables), at most `count`: each block's coefficients, or the error, and
    /// whether data ran out.
    fn blocks(f: &Frame<'_>, data: &[u8], n: usize, way: Way, count: usize) -> Vec<String> {
        let starts: Vec<BlockStart> = f
            .components
            .iter()
            .map(|c| match (way.starts, &f.dc[c.dc], &f.ac[c.ac]) {
                (true, Some(dc), Some(ac)) => BlockStart::new(dc, ac),
                _ => BlockStart::empty(),
            })
            .collect();
        let mut states: Vec<State<'_>> = f
            .components
            .iter()
            .zip(&starts)
            .map(|(c, start)| State {
                start,
                dc: f.dc[c.dc].as_ref().expect("dc"),
                ac: f.ac[c.ac].as_ref().expect("ac"),
                quant: std::array::from_fn(|k| i32::from(c.quant[k])),
                pred: 0,
                h: c.h,
                v: c.v,
            })
            .collect();
        let (slot, _) = corner(n);
        let mut bits = Bits::new(data);
        let mut out = Vec::new();
        while out.len() < count {
            for s in &mut states {
                for _ in 0..s.h * s.v {
                    let mut block: Block = [0; 256];
                    match decode_block(&mut bits, s, &mut block, &slot, way.stored) {
                        Ok(dc_only) => {
                            out.push(format!("{dc_only} {:?} {}", &block[..64], bits.overran()));
                        }
                        Err(e) => {
                            out.push(format!("error {e}"));
                            return out;
                        }
                    }
                }
            }
        }
        out
    }

    /// The shortcuts decode exactly what decoding every symbol decodes: stepping over the
    /// coefficients a reduced size does not keep (the skip table) and starting blocks with
    /// the block-start table. The same kept coefficients block after block (so the same
    /// bits consumed), on real scans, one with many coefficients and one with many flat
    /// blocks; the same error at the same block on garbage, where runs pass position 63.
    #[test]
    fn shortcuts_decode_what_decoding_every_symbol_decodes() {
        let files: [&[u8]; 2] = [
            include_bytes!("fixtures/q100.jpg"),
            include_bytes!("fixtures/s420.jpg"),
        ];
        let garbage: Vec<Vec<u8>> = (1..=40)
            .map(|seed| {
                let mut next = crate::testing::xorshift(seed);
                (0..4000)
                    .map(|_| next() as u8)
                    .filter(|&b| b != 0xFF)
                    .collect()
            })
            .collect();
        let (mut errors, mut flat) = (0, 0);
        for bytes in files {
            let f = super::super::frame::read(bytes)
                .expect("reads")
                .expect("a file ours takes");
            for n in [1, 2, 4, 8] {
                let (_, stored) = corner(n);
                for data in std::iter::once(f.data).chain(garbage.iter().map(|g| &g[..])) {
                    let every = blocks(&f, data, n, EVERY, 2000);
                    for starts in [false, true] {
                        let way = Way { stored, starts };
                        let shortcut = blocks(&f, data, n, way, 2000);
                        assert_eq!(shortcut, every, "1/{} {starts}", 8 / n);
                    }
                    errors += usize::from(every.last().is_some_and(|b| b.starts_with("error")));
                    if data == f.data {
                        flat += every.iter().filter(|b| b.starts_with("true")).count();
                    }
                }
            }
        }
        assert!(errors >= 200, "garbage must end in errors: {errors}");
        assert!(flat >= 100, "flat blocks in the real scans: {flat}");
    }
}
