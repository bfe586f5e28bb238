//! JPEG: our own marker walker for the header (dimensions, EXIF, quantisation tables), our own
//! scan decoder for baseline files (the photos phones take), and `jpeg-decoder` for the rest
//! (progressive, CMYK, 12-bit) and for any file ours finds broken.
//!
//! Why our own: a 12 MP photo is decoded reduced (1/4 for the checks, 1/8 would do for
//! detection), and `jpeg-decoder` scales only its IDCT — it still stores, dequantises and
//! zero-fills every coefficient and starts worker threads per image. Ours reads only the
//! coefficients the reduced block needs and skips the rest in the Huffman stream.

mod block_start;
mod color;
mod frame;
mod huffman;
mod idct;
mod markers;
mod scan;
#[cfg(test)]
mod tests;

use super::{DecodeError, Format, Header, Limits, Rgb, exif};
use crate::quality;

/// Walks the markers from SOI to SOS without decoding any scan data.
pub(crate) fn probe(bytes: &[u8]) -> Result<Header, DecodeError> {
    let mut tables: [Option<[u16; 64]>; 4] = [None; 4];
    let mut orientation = 1;
    let mut frame: Option<SofInfo> = None;
    let mut pos = 2;
    loop {
        let seg = markers::next(bytes, &mut pos)?;
        match seg.marker {
            markers::SOS => break, // the header is complete
            0xE1 if seg.data.starts_with(b"Exif\0\0") => {
                orientation = exif::orientation(&seg.data[6..]);
            }
            0xDB => read_dqt(seg.data, &mut tables)?,
            m if markers::is_frame(m) => {
                if frame.is_some() {
                    return Err(DecodeError::Unreadable("two frame headers".into()));
                }
                frame = Some(read_sof(m, seg.data)?);
            }
            _ => {}
        }
    }
    let (width, height, components, progressive, luma, chroma) =
        frame.ok_or_else(|| DecodeError::Unreadable("no frame header".into()))?;
    let jpeg_quality = tables[luma].as_ref().map(|l| {
        let c = chroma.and_then(|c| tables[c].as_ref());
        quality::estimate(l, c)
    });
    Ok(Header {
        format: Format::Jpeg,
        width,
        height,
        orientation,
        jpeg_quality,
        progressive,
        components,
    })
}

/// DQT: one or more tables, each a Pq/Tq byte then 64 values (8- or 16-bit) in zigzag order.
fn read_dqt(mut seg: &[u8], tables: &mut [Option<[u16; 64]>; 4]) -> Result<(), DecodeError> {
    let bad = || DecodeError::Unreadable("bad quantisation table".into());
    while let Some((&pq_tq, rest)) = seg.split_first() {
        let (wide, id) = (pq_tq >> 4, usize::from(pq_tq & 0x0F));
        let size = if wide == 0 { 64 } else { 128 };
        let data = rest.get(..size).ok_or_else(bad)?;
        let slot = tables.get_mut(id).ok_or_else(bad)?;
        let mut t = [0u16; 64];
        for (k, v) in t.iter_mut().enumerate() {
            *v = if wide == 0 {
                u16::from(data[k])
            } else {
                u16::from_be_bytes([data[2 * k], data[2 * k + 1]])
            };
        }
        *slot = Some(t);
        seg = &rest[size..];
    }
    Ok(())
}

/// (width, height, components, progressive, luma table id, chroma table id)
type SofInfo = (u32, u32, u8, bool, usize, Option<usize>);

/// SOFn: precision, height, width, then per component (id, sampling, table id).
fn read_sof(marker: u8, seg: &[u8]) -> Result<SofInfo, DecodeError> {
    let bad = |why: &str| DecodeError::Unreadable(format!("frame header: {why}"));
    if seg.len() < 6 {
        return Err(bad("too short"));
    }
    if !matches!(marker, 0xC0..=0xC2) {
        return Err(bad(
            "lossless, hierarchical or arithmetic coding is not supported",
        ));
    }
    if seg[0] != 8 {
        return Err(bad("only 8-bit samples are supported"));
    }
    let height = u32::from(u16::from_be_bytes([seg[1], seg[2]]));
    let width = u32::from(u16::from_be_bytes([seg[3], seg[4]]));
    let n = seg[5];
    if !matches!(n, 1 | 3 | 4) {
        return Err(bad("unsupported number of components"));
    }
    let comps = seg
        .get(6..6 + 3 * usize::from(n))
        .ok_or_else(|| bad("too short"))?;
    let table = |i: usize| usize::from(comps[3 * i + 2] & 0x03);
    let chroma = (n >= 3).then(|| table(1));
    Ok((width, height, n, marker == 0xC2, table(0), chroma))
}

/// Picks the DCT reduction: the largest of 8, 4, 2 that keeps the longer side ≥ `max_side`.
pub(crate) fn reduction(width: u32, height: u32, max_side: Option<u32>) -> u32 {
    let Some(n) = max_side else { return 1 };
    let long = width.max(height);
    [8, 4, 2]
        .into_iter()
        .find(|d| long.div_ceil(*d) >= n)
        .unwrap_or(1)
}

/// Decodes at the reduction `max_side` allows, with the EXIF orientation applied.
pub(crate) fn decode(
    bytes: &[u8],
    header: &Header,
    limits: &Limits,
    max_side: Option<u32>,
) -> Result<Rgb, DecodeError> {
    let d = reduction(header.width, header.height, max_side);
    match own(bytes, d, header.orientation) {
        Ok(Some(rgb)) => Ok(rgb),
        // Not a file ours takes, or one it finds broken: `jpeg-decoder` decides (it may be
        // more forgiving of a damaged file, and then both decoders agree on refusals).
        Ok(None) | Err(_) => fallback(bytes, header, limits, d)
            .map(|rgb| super::orient::apply(rgb, header.orientation)),
    }
}

/// Our baseline decoder at 1/`d` of the full size, turned as EXIF `orientation` says;
/// `Ok(None)` when the file is not one it takes.
fn own(bytes: &[u8], d: u32, orientation: u8) -> Result<Option<Rgb>, DecodeError> {
    let Some(frame) = frame::read(bytes)? else {
        return Ok(None);
    };
    let d = d as usize;
    let planes = scan::decode(&frame, 8 / d)?;
    let factors: Vec<(usize, usize)> = frame
        .components
        .iter()
        .map(|c| (frame.hmax / c.h, frame.vmax / c.v))
        .collect();
    let (w, h) = (frame.width.div_ceil(d), frame.height.div_ceil(d));
    Ok(Some(color::to_rgb(&planes, &factors, w, h, orientation)))
}

/// `jpeg-decoder`, for progressive, CMYK and 12-bit files and damaged ones.
fn fallback(bytes: &[u8], header: &Header, limits: &Limits, d: u32) -> Result<Rgb, DecodeError> {
    let mut dec = jpeg_decoder::Decoder::new(bytes);
    // A second guard behind our own header check: the decoder's buffers for the frame.
    let cap = usize::try_from(limits.max_pixels.saturating_mul(4)).unwrap_or(usize::MAX);
    dec.set_max_decoding_buffer_size(cap);
    dec.read_info().map_err(map_err)?;
    if d > 1 {
        let w = u16::try_from(header.width.div_ceil(d)).unwrap_or(u16::MAX);
        let h = u16::try_from(header.height.div_ceil(d)).unwrap_or(u16::MAX);
        dec.scale(w, h).map_err(map_err)?;
    }
    let info = dec
        .info()
        .ok_or_else(|| DecodeError::Unreadable("no frame".into()))?;
    let pixels = dec.decode().map_err(map_err)?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let n = width as usize * height as usize;
    let data = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        jpeg_decoder::PixelFormat::L16 => pixels
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0]])
            .collect(),
        jpeg_decoder::PixelFormat::CMYK32 => pixels
            .chunks_exact(4)
            .flat_map(|p| {
                let k = u16::from(255 - p[3]);
                let ch = |c: u8| ((u16::from(255 - c) * k + 127) / 255) as u8;
                [ch(p[0]), ch(p[1]), ch(p[2])]
            })
            .collect(),
    };
    if data.len() != n * 3 {
        return Err(DecodeError::Unreadable("decoded size mismatch".into()));
    }
    Ok(Rgb {
        width,
        height,
        data,
    })
}

fn map_err(e: jpeg_decoder::Error) -> DecodeError {
    match e {
        jpeg_decoder::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            DecodeError::Truncated
        }
        other => DecodeError::Unreadable(other.to_string()),
    }
}
