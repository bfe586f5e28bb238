//! Just enough of a PDF reader to check what gradphoto-pdf writes: the xref table, objects
//! by number, stream data (inflated), `Tj` strings and a ToUnicode CMap. It trusts the
//! layout pdf-writer produces; it is not a general parser.

use std::collections::BTreeMap;

/// A PDF split into its objects, checked against its cross-reference table.
pub struct Parsed<'a> {
    pub bytes: &'a [u8],
    /// Object number → byte offset, from the xref table.
    pub offsets: BTreeMap<u32, usize>,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

fn number_at(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    let start = at
        + bytes
            .get(at..)?
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    let len = bytes[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let text = std::str::from_utf8(&bytes[start..start + len]).ok()?;
    Some((text.parse().ok()?, start + len))
}

impl<'a> Parsed<'a> {
    /// Reads `startxref`, the xref table, and checks that every in-use entry points at the
    /// start of its object ("N 0 obj").
    pub fn new(bytes: &'a [u8]) -> Result<Self, String> {
        let sx = rfind(bytes, b"startxref").ok_or("no startxref")?;
        let (xref_at, _) = number_at(bytes, sx + 9).ok_or("no xref offset")?;
        if !bytes[xref_at..].starts_with(b"xref") {
            return Err(format!("startxref {xref_at} does not point at 'xref'"));
        }
        let (first, at) = number_at(bytes, xref_at + 4).ok_or("no xref start")?;
        let (count, at) = number_at(bytes, at).ok_or("no xref count")?;
        let mut at = at
            + bytes[at..]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
        let mut offsets = BTreeMap::new();
        for i in 0..count {
            let entry = bytes.get(at..at + 20).ok_or("xref table cut short")?;
            let entry = std::str::from_utf8(entry).map_err(|e| e.to_string())?;
            let number = u32::try_from(first + i).map_err(|e| e.to_string())?;
            if entry.as_bytes()[17] == b'n' {
                let offset: usize = entry[..10]
                    .parse()
                    .map_err(|_| format!("bad entry {entry:?}"))?;
                let head = format!("{number} 0 obj");
                if !bytes[offset..].starts_with(head.as_bytes()) {
                    return Err(format!("xref entry {number} -> {offset} is not '{head}'"));
                }
                offsets.insert(number, offset);
            }
            at += 20;
        }
        Ok(Parsed { bytes, offsets })
    }

    /// The object's text up to `stream` or `endobj`, lossily as UTF-8 (dictionaries are ASCII).
    pub fn dict(&self, number: u32) -> String {
        let start = self.offsets[&number];
        let end_obj = find(self.bytes, b"endobj", start).unwrap_or(self.bytes.len());
        let end = find(&self.bytes[..end_obj], b"stream", start).unwrap_or(end_obj);
        String::from_utf8_lossy(&self.bytes[start..end]).into_owned()
    }

    /// The object's stream data, inflated when it says /FlateDecode.
    pub fn stream(&self, number: u32) -> Vec<u8> {
        let dict = self.dict(number);
        let length = value_after(&dict, "/Length").expect("stream /Length") as usize;
        let start = self.offsets[&number] + dict.len() + "stream".len();
        let start = start + usize::from(self.bytes[start] == b'\r') + 1;
        let raw = &self.bytes[start..start + length];
        assert!(
            self.bytes[start + length..]
                .trim_ascii_start()
                .starts_with(b"endstream")
        );
        if dict.contains("/FlateDecode") {
            miniz_oxide::inflate::decompress_to_vec_zlib(raw).expect("inflates")
        } else {
            raw.to_vec()
        }
    }

    /// Object numbers whose dictionary contains `needle`.
    pub fn objects_with(&self, needle: &str) -> Vec<u32> {
        self.offsets
            .keys()
            .copied()
            .filter(|n| self.dict(*n).contains(needle))
            .collect()
    }
}

/// The number after `key` in a dictionary (`/Length 123`), not a longer key's (`/Length1`).
pub fn value_after(dict: &str, key: &str) -> Option<u32> {
    let mut from = 0;
    while let Some(p) = dict[from..].find(key) {
        let at = from + p + key.len();
        if dict[at..].starts_with(|c: char| c.is_whitespace()) {
            return number_at(dict.as_bytes(), at).map(|(n, _)| n as u32);
        }
        from = at;
    }
    None
}

/// The strings shown with `Tj` in a content stream, in order, as raw bytes.
pub fn shown_strings(content: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < content.len() {
        let (s, end) = match content[i] {
            b'(' => literal(content, i + 1),
            b'<' if content.get(i + 1) != Some(&b'<') => hex(content, i + 1),
            _ => {
                i += 1;
                continue;
            }
        };
        if content[end..].trim_ascii_start().starts_with(b"Tj") {
            out.push(s);
        }
        i = end;
    }
    out
}

fn literal(c: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut depth = 0;
    while i < c.len() {
        match c[i] {
            b'\\' => {
                i += 1;
                match c[i] {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'0'..=b'7' => {
                        let digits = c[i..]
                            .iter()
                            .take(3)
                            .take_while(|d| (b'0'..=b'7').contains(d))
                            .count();
                        let v = c[i..i + digits]
                            .iter()
                            .fold(0u32, |a, d| a * 8 + u32::from(d - b'0'));
                        out.push(v as u8);
                        i += digits - 1;
                    }
                    other => out.push(other),
                }
            }
            b'(' => {
                depth += 1;
                out.push(b'(');
            }
            b')' if depth == 0 => return (out, i + 1),
            b')' => {
                depth -= 1;
                out.push(b')');
            }
            b => out.push(b),
        }
        i += 1;
    }
    (out, i)
}

fn hex(c: &[u8], i: usize) -> (Vec<u8>, usize) {
    let end = i + c[i..]
        .iter()
        .position(|b| *b == b'>')
        .unwrap_or(c.len() - i);
    let digits: Vec<u8> = c[i..end]
        .iter()
        .copied()
        .filter(u8::is_ascii_hexdigit)
        .collect();
    let out = digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap_or("0"), 16).unwrap_or(0))
        .collect();
    (out, end + 1)
}

/// The `bfchar` pairs of a ToUnicode CMap: CID → text.
pub fn to_unicode(cmap: &str) -> BTreeMap<u16, String> {
    let mut map = BTreeMap::new();
    let mut rest = cmap;
    while let Some(p) = rest.find("beginbfchar") {
        let body = &rest[p + "beginbfchar".len()..];
        let end = body.find("endbfchar").unwrap_or(body.len());
        for line in body[..end].lines() {
            let parts: Vec<&str> = line
                .split(['<', '>'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            if let [cid, text] = parts[..] {
                let cid = u16::from_str_radix(cid, 16).expect("hex cid");
                let units: Vec<u16> = (0..text.len())
                    .step_by(4)
                    .map(|i| u16::from_str_radix(&text[i..i + 4], 16).expect("hex utf-16"))
                    .collect();
                map.insert(cid, String::from_utf16(&units).expect("utf-16"));
            }
        }
        rest = &body[end..];
    }
    map
}
