//! What the scan decoder needs from the header: the frame, the tables and where the entropy
//! data starts — or `None` when the file is outside what our decoder takes, so the caller
//! hands it to `jpeg-decoder` instead.

use super::huffman::Huffman;
use super::{DecodeError, markers, read_dqt};

/// One colour component of the frame, with its tables resolved at the scan.
pub(super) struct Component {
    /// Horizontal and vertical sampling factors, 1 or 2.
    pub h: usize,
    pub v: usize,
    /// Quantisation table, in zigzag order.
    pub quant: [u16; 64],
    pub dc: usize,
    pub ac: usize,
}

/// A single-scan baseline image ready to decode.
pub(super) struct Frame<'a> {
    pub width: usize,
    pub height: usize,
    pub components: Vec<Component>,
    pub hmax: usize,
    pub vmax: usize,
    pub dc: [Option<Huffman>; 4],
    pub ac: [Option<Huffman>; 4],
    /// MCUs between restart markers; 0 when there are none.
    pub restart: usize,
    /// The entropy-coded data, from just after SOS to the end of the file.
    pub data: &'a [u8],
}

/// More Huffman table definitions than any encoder writes for one baseline scan (8 is the
/// most that can be in use); beyond it ours refuses and `jpeg-decoder` decides.
const MAX_HUFFMAN_TABLES: usize = 32;

/// Component as declared by SOF: (id, h, v, quantisation table id).
type Declared = (u8, usize, usize, usize);

/// Reads the header for decoding. `Ok(None)`: a valid file our decoder does not take
/// (progressive, lossless, 12-bit, CMYK, RGB without colour transform, several scans,
/// sampling factors above 2).
pub(super) fn read(bytes: &[u8]) -> Result<Option<Frame<'_>>, DecodeError> {
    let mut quant: [Option<[u16; 64]>; 4] = [None; 4];
    let mut dc: [Option<Huffman>; 4] = Default::default();
    let mut ac: [Option<Huffman>; 4] = Default::default();
    let mut declared: Option<(usize, usize, Vec<Declared>)> = None;
    let mut restart = 0;
    // Tables defined so far: a file of thousands of DHT segments is not a photo, and each
    // costs a table build.
    let mut huffman_tables = 0;
    let mut adobe_rgb = false;
    let mut pos = 2;
    let bad = |why: &str| DecodeError::Unreadable(format!("JPEG header: {why}"));
    let scan = loop {
        let seg = markers::next(bytes, &mut pos)?;
        match seg.marker {
            markers::SOS => break seg.data,
            0xDB => read_dqt(seg.data, &mut quant)?,
            0xC4 => read_dht(seg.data, &mut dc, &mut ac, &mut huffman_tables)?,
            0xDD => {
                let r = seg.data.get(..2).ok_or_else(|| bad("restart interval"))?;
                restart = usize::from(u16::from_be_bytes([r[0], r[1]]));
            }
            // Adobe APP14: transform 0 means the three components are RGB, not YCbCr.
            0xEE if seg.data.starts_with(b"Adobe") => {
                adobe_rgb = seg.data.get(11) == Some(&0);
            }
            0xC0 | 0xC1 => {
                if declared.is_some() {
                    return Err(bad("two frame headers"));
                }
                match read_sof(seg.data)? {
                    Some(d) => declared = Some(d),
                    None => return Ok(None),
                }
            }
            m if markers::is_frame(m) => return Ok(None), // progressive, lossless, arithmetic
            _ => {}
        }
    };
    let Some((width, height, declared)) = declared else {
        return Err(bad("no frame header"));
    };
    if declared.len() == 3 && (adobe_rgb || declared.iter().map(|c| c.0).eq(*b"RGB")) {
        return Ok(None);
    }
    // SOS: Ns, then (id, table ids) per component, then Ss, Se, Ah/Al.
    let ns = usize::from(*scan.first().ok_or_else(|| bad("scan header"))?);
    if ns != declared.len() || scan.len() != 1 + 2 * ns + 3 {
        return Ok(None); // one scan per component (or a short header): not ours
    }
    if scan[1 + 2 * ns..] != [0, 63, 0] {
        return Ok(None);
    }
    let mut components = Vec::with_capacity(ns);
    for (i, &(id, h, v, tq)) in declared.iter().enumerate() {
        let (sid, tables) = (scan[1 + 2 * i], scan[2 + 2 * i]);
        if sid != id {
            return Ok(None); // components in another order than the frame's
        }
        let (dc_id, ac_id) = (usize::from(tables >> 4), usize::from(tables & 0x0F));
        if dc_id > 3 || ac_id > 3 || dc[dc_id].is_none() || ac[ac_id].is_none() {
            return Err(bad("scan uses a missing Huffman table"));
        }
        let quant = quant[tq].ok_or_else(|| bad("scan uses a missing quantisation table"))?;
        components.push(Component {
            // A single-component scan is not interleaved: one block per MCU, whatever the
            // factors say.
            h: if ns == 1 { 1 } else { h },
            v: if ns == 1 { 1 } else { v },
            quant,
            dc: dc_id,
            ac: ac_id,
        });
    }
    let hmax = components.iter().map(|c| c.h).max().unwrap_or(1);
    let vmax = components.iter().map(|c| c.v).max().unwrap_or(1);
    if (components[0].h, components[0].v) != (hmax, vmax) {
        return Ok(None); // chroma sampled finer than luma
    }
    Ok(Some(Frame {
        width,
        height,
        components,
        hmax,
        vmax,
        dc,
        ac,
        restart,
        data: &bytes[pos..],
    }))
}

/// SOF0/SOF1: `None` when not 8-bit, not 1 or 3 components, or a sampling factor is not 1
/// or 2.
fn read_sof(seg: &[u8]) -> Result<Option<(usize, usize, Vec<Declared>)>, DecodeError> {
    let bad = || DecodeError::Unreadable("JPEG header: frame".into());
    let head = seg.get(..6).ok_or_else(bad)?;
    let height = usize::from(u16::from_be_bytes([head[1], head[2]]));
    let width = usize::from(u16::from_be_bytes([head[3], head[4]]));
    let n = usize::from(head[5]);
    if width == 0 || height == 0 {
        return Err(DecodeError::Unreadable("zero width or height".into()));
    }
    if head[0] != 8 || !matches!(n, 1 | 3) {
        return Ok(None);
    }
    let comps = seg.get(6..6 + 3 * n).ok_or_else(bad)?;
    let mut out = Vec::with_capacity(n);
    for c in comps.chunks_exact(3) {
        let (h, v, tq) = (
            usize::from(c[1] >> 4),
            usize::from(c[1] & 0x0F),
            usize::from(c[2]),
        );
        if !(1..=2).contains(&h) || !(1..=2).contains(&v) || tq > 3 {
            return Ok(None);
        }
        out.push((c[0], h, v, tq));
    }
    Ok(Some((width, height, out)))
}

/// DHT: one or more tables, each a Tc/Th byte, 16 code counts, then the symbols. `built`
/// counts the tables of the whole file against [`MAX_HUFFMAN_TABLES`].
fn read_dht(
    mut seg: &[u8],
    dc: &mut [Option<Huffman>; 4],
    ac: &mut [Option<Huffman>; 4],
    built: &mut usize,
) -> Result<(), DecodeError> {
    let bad = || DecodeError::Unreadable("JPEG header: Huffman table".into());
    while let Some((&tc_th, rest)) = seg.split_first() {
        let counts: [u8; 16] = rest
            .get(..16)
            .and_then(|c| c.try_into().ok())
            .ok_or_else(bad)?;
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let symbols = rest.get(16..16 + total).ok_or_else(bad)?;
        *built += 1;
        if *built > MAX_HUFFMAN_TABLES {
            return Err(DecodeError::Unreadable(
                "JPEG header: too many Huffman tables".into(),
            ));
        }
        let (class, id) = (tc_th >> 4, usize::from(tc_th & 0x0F));
        let table = Huffman::new(&counts, symbols, class == 1).ok_or_else(bad)?;
        let slot = match class {
            0 => dc.get_mut(id),
            1 => ac.get_mut(id),
            _ => None,
        }
        .ok_or_else(bad)?;
        *slot = Some(table);
        seg = &rest[16 + total..];
    }
    Ok(())
}
