//! A small length-prefixed binary reader and writer for the compact formats (codes and sealed
//! photos): every field is bounded, and reading past the end is an error, never a panic.

/// Appends fields to a buffer.
#[derive(Default)]
pub(crate) struct Writer(pub Vec<u8>);

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    pub fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    pub fn raw(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    /// A string of at most 255 bytes, length first. Longer strings are the caller's bug and
    /// are refused by the callers' own checks before they get here.
    pub fn short_str(&mut self, s: &str) {
        let b = s.as_bytes();
        let n = b.len().min(255);
        self.u8(n as u8);
        self.raw(&b[..n]);
    }
}

/// Reads fields from a slice.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

/// The input ended early or a field is not what it must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Short;

impl<'a> Reader<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Reader { rest: b }
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Short> {
        if self.rest.len() < n {
            return Err(Short);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub fn u8(&mut self) -> Result<u8, Short> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16, Short> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Short> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub fn short_str(&mut self) -> Result<&'a str, Short> {
        let n = usize::from(self.u8()?);
        std::str::from_utf8(self.take(n)?).map_err(|_| Short)
    }

    pub fn rest(self) -> &'a [u8] {
        self.rest
    }

    /// How many bytes are left unread.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_and_short_input_is_an_error() {
        let mut w = Writer::default();
        w.u8(7);
        w.u16(2026);
        w.short_str("张*三");
        w.raw(&[1, 2, 3]);
        let mut r = Reader::new(&w.0);
        assert_eq!(r.u8(), Ok(7));
        assert_eq!(r.u16(), Ok(2026));
        assert_eq!(r.short_str(), Ok("张*三"));
        assert_eq!(r.array::<3>(), Ok([1, 2, 3]));
        assert_eq!(r.u8(), Err(Short));
        // A length that promises more than there is.
        assert_eq!(Reader::new(&[5, b'a']).short_str(), Err(Short));
        // Not UTF-8.
        assert_eq!(Reader::new(&[1, 0xFF]).short_str(), Err(Short));
    }
}
