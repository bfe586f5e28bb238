//! Huffman tables and the bit reader of the entropy-coded data.
//!
//! Most codes are found with one lookup of the next [`LOOKUP_BITS`] bits; for AC tables a
//! second lookup table also holds the coefficient's value when code and value together fit,
//! so a typical coefficient costs one table read and one shift.

/// Bits looked up at once: codes up to this long (nearly all of them) take one lookup.
pub(super) const LOOKUP_BITS: u32 = 9;
const LOOKUP_SIZE: usize = 1 << LOOKUP_BITS;

/// Bits looked at once when stepping over AC coefficients a reduced decode does not keep:
/// about two symbols.
const SKIP_BITS: u32 = 12;
const SKIP_SIZE: usize = 1 << SKIP_BITS;
/// In a skip entry: the bits consumed (low 4 bits), the coefficient positions advanced
/// (`>> SKIP_ADVANCE_SHIFT`, at most [`SKIP_ADVANCE_MAX`]), and whether the last symbol is
/// the end of the block.
pub(crate) const SKIP_EOB: u16 = 1 << 11;
pub(crate) const SKIP_ADVANCE_SHIFT: u32 = 4;
const SKIP_ADVANCE_MAX: u32 = 63;

/// Marks a fast AC entry as the end of the block (a coefficient entry never has it: its
/// value sits above it).
pub(crate) const EOB_FLAG: i32 = 1 << 8;

/// A decoding table built from a DHT segment.
pub(crate) struct Huffman {
    /// For the next 9 bits: `(code length << 8) | symbol`, or 0 for a longer code.
    lookup: Box<[u16; LOOKUP_SIZE]>,
    /// AC tables: the next 9 bits when they hold a whole code and its value,
    /// `(value << 9) | (run << 4) | total length`, or for end-of-block
    /// `EOB_FLAG | code length`; 0 otherwise (ZRL and longer codes). All 0 for DC tables,
    /// whose fast path is the block-start table (`block_start.rs`).
    fast: Box<[i32; LOOKUP_SIZE]>,
    /// The canonical decoding of codes longer than 9 bits (ITU T.81 F.2.2.3): largest code
    /// of each length (-1 for none) and the index of its first symbol.
    max_code: [i32; 18],
    /// AC tables: for the next 12 bits, the whole symbols (code and value bits) they hold,
    /// taken together (see [`SKIP_EOB`]); 0 when not even one fits. Skipping a run of
    /// coefficients then takes half the dependent lookups. Empty for DC tables.
    skip: Box<[u16]>,
    first_index: [i32; 17],
    first_code: [i32; 17],
    symbols: Vec<u8>,
}

impl Default for Huffman {
    fn default() -> Self {
        Huffman {
            lookup: Box::new([0; LOOKUP_SIZE]),
            fast: Box::new([0; LOOKUP_SIZE]),
            max_code: [-1; 18],
            skip: Box::new([]),
            first_index: [0; 17],
            first_code: [0; 17],
            symbols: Vec::new(),
        }
    }
}

impl Huffman {
    /// `None` when the counts describe no valid prefix code (more codes of a length than
    /// there is room for).
    pub(crate) fn new(counts: &[u8; 16], symbols: &[u8], ac: bool) -> Option<Huffman> {
        let mut t = Huffman {
            symbols: symbols.to_vec(),
            ..Huffman::default()
        };
        let mut code: i32 = 0;
        let mut index: i32 = 0;
        for len in 1..=16usize {
            let n = i32::from(counts[len - 1]);
            t.first_index[len] = index;
            t.first_code[len] = code;
            if n > 0 {
                if code + n > (1 << len) {
                    return None;
                }
                for c in code..code + n {
                    let symbol = symbols[(index + c - code) as usize];
                    if len as u32 <= LOOKUP_BITS {
                        let shift = LOOKUP_BITS - len as u32;
                        let start = (c as usize) << shift;
                        let entry = ((len as u16) << 8) | u16::from(symbol);
                        t.lookup[start..start + (1 << shift)].fill(entry);
                    }
                }
                t.max_code[len] = code + n - 1;
            }
            index += n;
            code = (code + n) << 1;
        }
        t.max_code[17] = i32::MAX; // sentinel: no code is longer than 16 bits
        // DC codes are read through the block-start table of their component instead.
        if ac {
            t.fast = t.build_fast_ac();
            t.skip = t.build_skip();
        }
        Some(t)
    }

    /// The code the next [`LOOKUP_BITS`] bits start with: its length and symbol; `None`
    /// when it is longer or when no code starts with these bits.
    pub(super) fn code(&self, next: usize) -> Option<(u32, u8)> {
        let entry = self.lookup[next & (LOOKUP_SIZE - 1)];
        (entry != 0).then(|| (u32::from(entry >> 8), (entry & 0xFF) as u8))
    }

    fn build_fast_ac(&self) -> Box<[i32; LOOKUP_SIZE]> {
        let mut fast = Box::new([0i32; LOOKUP_SIZE]);
        for (bits, slot) in fast.iter_mut().enumerate() {
            let entry = self.lookup[bits];
            let len = u32::from(entry >> 8);
            let symbol = (entry & 0xFF) as u8;
            let (run, size) = (u32::from(symbol >> 4), u32::from(symbol & 0x0F));
            if len != 0 && symbol == 0 {
                *slot = EOB_FLAG | len as i32;
                continue;
            }
            if len == 0 || size == 0 || len + size > LOOKUP_BITS {
                continue;
            }
            let raw = ((bits as u32) >> (LOOKUP_BITS - len - size)) & ((1 << size) - 1);
            let value = extend(raw, size);
            *slot = (value << 9) | ((run as i32) << 4) | (len + size) as i32;
        }
        fast
    }
}

impl Huffman {
    /// The skip entries: from each 12-bit start, symbols whose code and value bits lie
    /// wholly inside the 12 bits are taken one after the other (codes of up to 9 bits
    /// only), stopping after an end of block or before the advance would pass
    /// [`SKIP_ADVANCE_MAX`].
    fn build_skip(&self) -> Box<[u16]> {
        let mut skip = vec![0u16; SKIP_SIZE].into_boxed_slice();
        for (window, slot) in skip.iter_mut().enumerate() {
            let (mut used, mut advance, mut eob) = (0u32, 0u32, false);
            while used < SKIP_BITS {
                let left = SKIP_BITS - used;
                // The next 9 bits of the window, zero-padded past its end: a code of
                // `len` ≤ `left` bits is decided by its first `len` bits.
                let next = ((window << used) & (SKIP_SIZE - 1)) >> (SKIP_BITS - LOOKUP_BITS);
                let entry = self.lookup[next];
                let len = u32::from(entry >> 8);
                let symbol = (entry & 0xFF) as u8;
                let (run, size) = (u32::from(symbol >> 4), u32::from(symbol & 15));
                if len == 0 || len + size > left {
                    break;
                }
                // As the scan reads them: size 0 is ZRL with run 15, else the end of block.
                if size == 0 && run != 15 {
                    used += len;
                    eob = true;
                    break;
                }
                let step = if size == 0 { 16 } else { run + 1 };
                if advance + step > SKIP_ADVANCE_MAX {
                    break;
                }
                used += len + size;
                advance += step;
            }
            if used > 0 {
                *slot = used as u16
                    | (advance << SKIP_ADVANCE_SHIFT) as u16
                    | if eob { SKIP_EOB } else { 0 };
            }
        }
        skip
    }
}

/// The sign extension of T.81 F.2.2.1: `size` bits with a leading 0 are a negative value.
#[inline]
pub(crate) fn extend(raw: u32, size: u32) -> i32 {
    if size == 0 {
        return 0;
    }
    if raw < 1 << (size - 1) {
        raw as i32 - (1 << size) + 1
    } else {
        raw as i32
    }
}

/// Reads the entropy-coded data MSB first, removing the 0x00 stuffed after each 0xFF and
/// stopping at a marker. Past the marker or the end it reads zero bits and counts them, so
/// that a scan which needed them is known to be cut short.
pub(crate) struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    /// The next bits, aligned to the top.
    acc: u64,
    count: u32,
    /// A marker or the end of the data was reached; only zero bits follow.
    stopped: bool,
    /// Zero bits appended after the data stopped (the scan checks after every MCU row, so
    /// this stays far below `u32::MAX`; it saturates regardless).
    padding: u32,
}

impl<'a> Bits<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            pos: 0,
            acc: 0,
            count: 0,
            stopped: false,
            padding: 0,
        }
    }

    /// Tops the buffer up to at least 57 bits.
    #[inline]
    pub(crate) fn refill(&mut self) {
        if self.count >= 32 {
            return;
        }
        // Fast path: eight bytes with no 0xFF among them go in at once.
        if let Some(chunk) = self.data.get(self.pos..self.pos + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let x = u64::from_be_bytes(word);
            let inv = !x;
            let has_ff = inv.wrapping_sub(0x0101_0101_0101_0101) & !inv & 0x8080_8080_8080_8080;
            if has_ff == 0 {
                let take = (63 - self.count) / 8;
                let bits = take * 8;
                let top = x & !(u64::MAX >> bits); // the first `take` bytes
                self.acc |= top >> self.count;
                self.count += bits;
                self.pos += take as usize;
                return;
            }
        }
        while self.count <= 56 {
            let byte = self.next_byte();
            self.acc |= u64::from(byte) << (56 - self.count);
            self.count += 8;
        }
    }

    #[inline]
    fn next_byte(&mut self) -> u8 {
        if !self.stopped {
            match self.data.get(self.pos) {
                Some(&0xFF) => {
                    if self.data.get(self.pos + 1) == Some(&0x00) {
                        self.pos += 2;
                        return 0xFF;
                    }
                    self.stopped = true; // a marker: leave it for the restart logic
                }
                Some(&b) => {
                    self.pos += 1;
                    return b;
                }
                None => self.stopped = true,
            }
        }
        self.padding = self.padding.saturating_add(8);
        0
    }

    /// The next `n` bits (1..=16) without consuming them; `refill` first.
    #[inline]
    pub(crate) fn peek(&self, n: u32) -> u32 {
        (self.acc >> (64 - n)) as u32
    }

    #[inline]
    pub(crate) fn consume(&mut self, n: u32) {
        self.acc <<= n;
        self.count -= n;
    }

    /// `n` bits (0..=16) as an unsigned number; `refill` first.
    #[inline]
    pub(crate) fn take(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let v = self.peek(n);
        self.consume(n);
        v
    }

    /// One Huffman symbol. `None`: no code matches (corrupt data). Needs 16 bits buffered.
    #[inline]
    pub(crate) fn symbol(&mut self, t: &Huffman) -> Option<u8> {
        let entry = t.lookup[self.peek(LOOKUP_BITS) as usize];
        if entry != 0 {
            self.consume(u32::from(entry >> 8));
            return Some((entry & 0xFF) as u8);
        }
        let mut len = LOOKUP_BITS as usize + 1;
        let mut code = self.peek(len as u32) as i32;
        while code > t.max_code[len] {
            len += 1;
            if len > 16 {
                return None;
            }
            code = self.peek(len as u32) as i32;
        }
        self.consume(len as u32);
        let index = t.first_index[len] + code - t.first_code[len];
        t.symbols.get(index as usize).copied()
    }

    /// The fast entry for the next 9 bits (see [`Huffman`]), 0 when there is none.
    #[inline]
    pub(crate) fn fast(&self, t: &Huffman) -> i32 {
        t.fast[self.peek(LOOKUP_BITS) as usize]
    }

    /// The skip entry for the next 12 bits (see [`Huffman::build_skip`]), 0 when there is
    /// none; `refill` first.
    #[inline]
    pub(crate) fn skip(&self, t: &Huffman) -> u16 {
        t.skip
            .get(self.peek(SKIP_BITS) as usize)
            .copied()
            .unwrap_or(0)
    }

    /// Bits buffered (tests count what a decoding used).
    #[cfg(test)]
    pub(super) fn count(&self) -> u32 {
        self.count
    }

    /// Whether bits past the end of the data were used: the scan was cut short.
    pub(crate) fn overran(&self) -> bool {
        self.padding > self.count
    }

    /// At the end of a restart interval: drops the buffered bits (the padding of the last
    /// byte), steps over the marker RSTn (`n` = `expected`, 0..=7), and reads on after it.
    /// `false` when that marker is not next: the data is out of step, and this decoder
    /// leaves such a file to a more forgiving one.
    pub(crate) fn restart(&mut self, expected: u8) -> bool {
        // The reader stops at a marker and never buffers past one, so in a valid file `pos`
        // is at the marker (perhaps after fill bytes 0xFF).
        let mut p = self.pos;
        while self.data.get(p..p + 2) == Some(&[0xFF, 0xFF][..]) {
            p += 1;
        }
        if self.data.get(p..p + 2) != Some(&[0xFF, 0xD0 + (expected & 7)][..]) {
            return false;
        }
        self.pos = p + 2;
        self.acc = 0;
        self.count = 0;
        self.padding = 0;
        self.stopped = false;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table with `counts[len - 1]` codes of each length.
    fn table(counts: [u8; 16], symbols: &[u8], ac: bool) -> Huffman {
        Huffman::new(&counts, symbols, ac).expect("a valid table")
    }

    /// Bits consumed, end of block, run, value.
    type Decoded = (u32, bool, i32, i32);

    /// Decodes the start of `bits` both ways — the fast entry when there is one, else the
    /// canonical decoding (symbol, then its value bits) — and returns
    /// `(bits consumed, end of block, run, value)`.
    fn both(t: &Huffman, data: &[u8]) -> (Option<Decoded>, Decoded) {
        let mut slow = Bits::new(data);
        slow.refill();
        let before = slow.count;
        let symbol = slow.symbol(t).expect("a code");
        let (run, size) = (i32::from(symbol >> 4), u32::from(symbol & 15));
        let value = extend(slow.take(size), size);
        let slow = (before - slow.count, symbol == 0, run, value);
        let mut fast = Bits::new(data);
        fast.refill();
        let e = fast.fast(t);
        let decoded = if e & EOB_FLAG != 0 {
            ((e & 15) as u32, true, 0, 0)
        } else {
            ((e & 15) as u32, false, (e >> 4) & 15, e >> 9)
        };
        let fast = (e != 0).then_some(decoded);
        (fast, slow)
    }

    /// For every 12-bit start of the data, a fast AC entry says exactly what the canonical
    /// decoding says: coefficients, end-of-block (also as a 9-bit code), ZRL and codes past
    /// 9 bits. (DC codes have no fast entries: see `block_start.rs`, which tests its own.)
    #[test]
    fn fast_entries_agree_with_the_canonical_decoding() {
        // AC: 0x01, 0x11 (2 bits), 0x02, 0xF0 = ZRL, 0x21 (3 bits), 0x05 (5 bits), 0x31 (6 bits),
        // 0x00 = EOB as a 9-bit code, 0x03, 0x41 (10 bits), 0x06 (12 bits).
        let ac = table(
            [0, 2, 3, 0, 1, 1, 0, 0, 1, 2, 0, 1, 0, 0, 0, 0],
            &[
                0x01, 0x11, 0x02, 0xF0, 0x21, 0x05, 0x31, 0x00, 0x03, 0x41, 0x06,
            ],
            true,
        );
        let (mut fast, mut slow_only, mut eobs) = (0, 0, 0);
        for start in 0u32..1 << 12 {
            // 12 chosen bits then a fixed tail, never a 0xFF byte (stuffing).
            let word = (start << 20) | 0x5_A5A5;
            let data = word.to_be_bytes();
            if data.contains(&0xFF) {
                continue;
            }
            let mut probe = Bits::new(&data);
            probe.refill();
            if probe.symbol(&ac).is_none() {
                continue; // no code starts here
            }
            match both(&ac, &data) {
                (Some(f), s) => {
                    assert_eq!(f, s, "start {start:012b}");
                    fast += 1;
                    eobs += usize::from(f.1);
                }
                (None, _) => slow_only += 1,
            }
        }
        assert!(
            fast > 1000 && slow_only > 50 && eobs > 0,
            "fast {fast}, slow {slow_only}, end of block {eobs}"
        );
        // A DC table has none.
        let dc = table(
            [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
            &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
            false,
        );
        assert!(dc.fast.iter().all(|&e| e == 0) && dc.skip.is_empty());
    }

    /// For every 12-bit start, the skip entry says what decoding symbol by symbol with the
    /// canonical decoding says: how many bits the whole symbols inside the 12 take, how
    /// far they advance, and whether the last is the end of the block.
    #[test]
    fn skip_entries_agree_with_decoding_symbol_by_symbol() {
        // The AC table of the fast-entry test (end of block as a 9-bit code), and a table
        // with ZRL as a 1-bit code, end of block, 0x01, and 0x10 (size 0, run 1: read as an
        // end of block) as a 9-bit code.
        let tables = [
            table(
                [0, 2, 3, 0, 1, 1, 0, 0, 1, 2, 0, 1, 0, 0, 0, 0],
                &[
                    0x01, 0x11, 0x02, 0xF0, 0x21, 0x05, 0x31, 0x00, 0x03, 0x41, 0x06,
                ],
                true,
            ),
            table(
                [1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
                &[0xF0, 0x00, 0x01, 0x10],
                true,
            ),
        ];
        for t in &tables {
            let (mut several, mut eobs, mut zrls) = (0, 0, 0);
            for start in 0u32..1 << 12 {
                let word = (start << 20) | 0x5_A5A5;
                let data = word.to_be_bytes();
                if data.contains(&0xFF) {
                    continue;
                }
                let mut bits = Bits::new(&data);
                bits.refill();
                let full = bits.count;
                let (mut used, mut advance, mut eob, mut symbols) = (0, 0, false, 0);
                loop {
                    let before = bits.count;
                    let Some(symbol) = bits.symbol(t) else { break };
                    let len = before - bits.count;
                    let (run, size) = (u32::from(symbol >> 4), u32::from(symbol & 15));
                    let _ = bits.take(size);
                    if len > LOOKUP_BITS || full - bits.count > SKIP_BITS {
                        break;
                    }
                    if size == 0 && run != 15 {
                        (used, eob) = (full - bits.count, true);
                        break;
                    }
                    let step = if size == 0 { 16 } else { run + 1 };
                    if advance + step > SKIP_ADVANCE_MAX {
                        break;
                    }
                    zrls += usize::from(size == 0);
                    (used, advance, symbols) = (full - bits.count, advance + step, symbols + 1);
                }
                let expected = if used == 0 {
                    0
                } else {
                    used as u16
                        | (advance << SKIP_ADVANCE_SHIFT) as u16
                        | if eob { SKIP_EOB } else { 0 }
                };
                assert_eq!(t.skip[start as usize], expected, "start {start:012b}");
                several += usize::from(symbols >= 2);
                eobs += usize::from(eob);
            }
            assert!(
                several > 100 && eobs > 10 && zrls > 0,
                "{several} {eobs} {zrls}"
            );
        }
    }
}
