//! PNG: IHDR read by hand for the limits, then the `png` crate, whose output buffer we allocate
//! ourselves only after the dimensions have passed.

use super::{DecodeError, Format, Header, Limits, Rgb, exif};

/// Reads IHDR and walks the chunks before the first IDAT for an `eXIf` orientation.
pub(crate) fn probe(bytes: &[u8]) -> Result<Header, DecodeError> {
    let ihdr = bytes.get(8..33).ok_or(DecodeError::Truncated)?;
    if ihdr[..8] != [0, 0, 0, 13, b'I', b'H', b'D', b'R'] {
        return Err(DecodeError::Unreadable("PNG without IHDR".into()));
    }
    let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let (width, height) = (be32(&ihdr[8..12]), be32(&ihdr[12..16]));
    let components = match ihdr[17] {
        0 => 1,
        2 | 3 => 3,
        4 => 2,
        6 => 4,
        _ => return Err(DecodeError::Unreadable("bad PNG colour type".into())),
    };
    let progressive = ihdr[20] == 1;
    let mut orientation = 1;
    let mut pos = 33;
    while let Some(head) = bytes.get(pos..pos + 8) {
        let len = be32(&head[..4]) as usize;
        let kind = &head[4..8];
        if kind == b"IDAT" || kind == b"IEND" {
            break;
        }
        if kind == b"eXIf" {
            if let Some(data) = bytes.get(pos + 8..(pos + 8).saturating_add(len)) {
                // Some writers keep the JPEG-style `Exif\0\0` prefix; the spec says TIFF only.
                orientation = exif::orientation(data.strip_prefix(b"Exif\0\0").unwrap_or(data));
            }
            break;
        }
        pos = pos.saturating_add(12).saturating_add(len);
    }
    Ok(Header {
        format: Format::Png,
        width,
        height,
        orientation,
        jpeg_quality: None,
        progressive,
        components,
    })
}

fn map_err(e: png::DecodingError) -> DecodeError {
    match e {
        png::DecodingError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            DecodeError::Truncated
        }
        other => DecodeError::Unreadable(other.to_string()),
    }
}

/// Decodes to RGB8: palette and low bit depths expanded, 16-bit stripped to 8, grey copied to
/// three channels, and alpha composited over white (what a viewer shows, and a transparent
/// background then reads as white rather than as whatever colour hid under the alpha).
pub(crate) fn decode(bytes: &[u8], header: &Header, limits: &Limits) -> Result<Rgb, DecodeError> {
    // The crate's own allocation cap, behind our header check (16-bit RGBA = 8 bytes a pixel).
    let png_limits = png::Limits {
        bytes: usize::try_from(limits.max_pixels.saturating_mul(8)).unwrap_or(usize::MAX),
    };
    let mut dec = png::Decoder::new_with_limits(std::io::Cursor::new(bytes), png_limits);
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().map_err(map_err)?;
    let (w, h) = reader.info().size();
    if (w, h) != (header.width, header.height) {
        return Err(DecodeError::Unreadable("PNG size changed".into()));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| DecodeError::Unreadable("PNG too large".into()))?;
    let mut buf = vec![0; size];
    let out = reader.next_frame(&mut buf).map_err(map_err)?;
    let (width, height) = (out.width, out.height);
    let n = width as usize * height as usize;
    let channels = out.color_type.samples();
    let rows = buf
        .chunks(out.line_size.max(1))
        .take(height as usize)
        .flat_map(|row| {
            row.get(..width as usize * channels)
                .unwrap_or(&[])
                .chunks_exact(channels)
        });
    let over_white =
        |c: u8, a: u8| ((u16::from(c) * u16::from(a) + 255 * u16::from(255 - a) + 127) / 255) as u8;
    let data: Vec<u8> = match channels {
        1 => rows.flat_map(|p| [p[0], p[0], p[0]]).collect(),
        2 => rows
            .flat_map(|p| {
                let g = over_white(p[0], p[1]);
                [g, g, g]
            })
            .collect(),
        3 => rows.flat_map(|p| [p[0], p[1], p[2]]).collect(),
        4 => rows
            .flat_map(|p| {
                [
                    over_white(p[0], p[3]),
                    over_white(p[1], p[3]),
                    over_white(p[2], p[3]),
                ]
            })
            .collect(),
        _ => return Err(DecodeError::Unreadable("PNG colour type".into())),
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
