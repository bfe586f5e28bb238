//! The start of a block in one lookup: its DC difference and, when the block's first AC
//! symbol is the end of block, that as well. A flat block (most chroma blocks, plain
//! backgrounds) then costs one table read instead of two that wait on each other: the AC
//! lookup needs the bits the DC code and value used. One table per pair of DC and AC tables
//! that a component uses.

use super::huffman::{Huffman, LOOKUP_BITS, extend};

/// Bits looked at once: a DC code with its value, and a short end-of-block code after it.
pub(super) const START_BITS: u32 = 11;
const START_SIZE: usize = 1 << START_BITS;
/// In an entry: the bits used (low 4 bits), this flag when the end of block follows the DC
/// difference, and the difference from bit [`DIFF_SHIFT`] up. 0: no entry (the code is
/// longer than 9 bits, or it and its value do not fit the 11).
pub(super) const START_EOB: i32 = 1 << 4;
pub(super) const DIFF_SHIFT: u32 = 5;
/// Largest DC size an entry holds: ±1023 fills the 11 bits above the flag. A code of at least
/// one bit and its value fitting the 11 bits already imply it; kept as the entry's guard.
const MAX_SIZE: u32 = 10;

/// The block-start table of one DC/AC table pair.
pub(super) struct BlockStart {
    entries: Box<[i16; START_SIZE]>,
}

impl BlockStart {
    pub(super) fn new(dc: &Huffman, ac: &Huffman) -> BlockStart {
        let mut entries = Box::new([0i16; START_SIZE]);
        for (window, slot) in entries.iter_mut().enumerate() {
            let window = window as u32;
            // The next 9 bits from `used` on, zero-padded past the window's end: a code of
            // `len` bits within what is left is decided by its first `len` bits.
            let next = |used: u32| {
                (((window << used) & (START_SIZE as u32 - 1)) >> (START_BITS - LOOKUP_BITS))
                    as usize
            };
            let Some((len, size)) = dc.code(next(0)).map(|(l, s)| (l, u32::from(s))) else {
                continue;
            };
            if size > MAX_SIZE || len + size > START_BITS {
                continue;
            }
            let mut used = len + size;
            let raw = (window >> (START_BITS - used)) & ((1 << size) - 1);
            let diff = extend(raw, size);
            // As the scan reads an AC symbol: size 0 is ZRL with run 15, else the end.
            let eob = match ac.code(next(used)) {
                Some((len, symbol)) if len <= START_BITS - used => {
                    let ends = symbol & 15 == 0 && symbol >> 4 != 15;
                    if ends {
                        used += len;
                    }
                    ends
                }
                _ => false,
            };
            let entry = (diff << DIFF_SHIFT) | if eob { START_EOB } else { 0 } | used as i32;
            *slot = entry as i16;
        }
        BlockStart { entries }
    }

    /// A table without entries: every block takes the canonical decoding (tests compare).
    #[cfg(test)]
    pub(super) fn empty() -> BlockStart {
        BlockStart {
            entries: Box::new([0; START_SIZE]),
        }
    }

    /// The entry for the next [`START_BITS`] bits.
    #[inline(always)]
    pub(super) fn get(&self, next: u32) -> i32 {
        i32::from(self.entries[next as usize & (START_SIZE - 1)])
    }
}

#[cfg(test)]
mod tests {
    use super::super::huffman::Bits;
    use super::*;

    /// For every 12-bit start, the entry says what the canonical decoding says: the DC
    /// symbol and its value bits, then one AC symbol; the entry holds the end of block
    /// when that symbol is one (0x00, or a size-0 symbol other than ZRL, as the scan reads
    /// it) and fits, and no entry when the DC code, value or size does not fit.
    #[test]
    fn entries_agree_with_the_canonical_decoding() {
        // The standard luminance DC table: sizes 0..=11, codes of 2..=9 bits; and a table
        // with size 10 as a 1-bit code (the largest differences an entry holds), size 0 as
        // a 2-bit code and size 3 as a 10-bit code (no entry: longer than the lookup).
        let dcs = [
            Huffman::new(
                &[0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
                &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
                false,
            )
            .expect("dc"),
            Huffman::new(
                &[1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
                &[10, 0, 3],
                false,
            )
            .expect("dc"),
        ];
        // AC tables: end of block as a 2-bit code beside ZRL and 0x10 (size 0, run 1: read
        // as an end of block) and a long code; and end of block as a 9-bit code.
        let acs = [
            Huffman::new(
                &[0, 2, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0],
                &[0x00, 0x01, 0xF0, 0x10, 0x02],
                true,
            )
            .expect("ac"),
            Huffman::new(
                &[0, 2, 3, 0, 1, 1, 0, 0, 1, 2, 0, 1, 0, 0, 0, 0],
                &[
                    0x01, 0x11, 0x02, 0xF0, 0x21, 0x05, 0x31, 0x00, 0x03, 0x41, 0x06,
                ],
                true,
            )
            .expect("ac"),
        ];
        let (mut run_eob, mut widest, mut long) = (0, 0, 0);
        for (dc, ac) in dcs.iter().flat_map(|dc| acs.iter().map(move |ac| (dc, ac))) {
            let table = BlockStart::new(dc, ac);
            let (mut flat, mut dc_only, mut none) = (0, 0, 0);
            for start in 0u32..1 << 12 {
                // 12 chosen bits then a fixed tail, never a 0xFF byte (stuffing).
                let data = ((start << 20) | 0x5_A5A5).to_be_bytes();
                if data.contains(&0xFF) {
                    continue;
                }
                let mut bits = Bits::new(&data);
                bits.refill();
                let entry = table.get(bits.peek(START_BITS));
                let full = bits.count();
                let Some(size) = bits.symbol(dc).map(u32::from) else {
                    assert_eq!(entry, 0, "start {start:012b}");
                    continue;
                };
                let dc_len = full - bits.count();
                let diff = extend(bits.take(size), size);
                let used = full - bits.count();
                let symbol = bits.symbol(ac);
                let ac_used = full - bits.count();
                let expected = if dc_len > LOOKUP_BITS || size > MAX_SIZE || used > START_BITS {
                    0
                } else {
                    let ends = symbol.is_some_and(|s| s & 15 == 0 && s >> 4 != 15)
                        && ac_used <= START_BITS;
                    let used = if ends { ac_used } else { used };
                    (diff << DIFF_SHIFT) | if ends { START_EOB } else { 0 } | used as i32
                };
                assert_eq!(entry, expected, "start {start:012b}");
                run_eob += usize::from(entry & START_EOB != 0 && symbol == Some(0x10));
                widest += usize::from(entry != 0 && diff.abs() >= 512);
                long += usize::from(dc_len > LOOKUP_BITS);
                match entry {
                    0 => none += 1,
                    e if e & START_EOB != 0 => flat += 1,
                    _ => dc_only += 1,
                }
            }
            assert!(
                flat > 0 && dc_only > 200 && none > 0,
                "{flat} {dc_only} {none}"
            );
        }
        // 0x10 ends a block as the scan reads it; ±512..=1023 and long codes were met.
        assert!(
            run_eob > 0 && widest > 0 && long > 0,
            "{run_eob} {widest} {long}"
        );
    }
}
