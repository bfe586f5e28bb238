//! Safe decoding: every limit is checked from the header before any pixel is allocated.
//!
//! Untrusted bytes arrive from students' phones and browsers, so the format is taken from the
//! magic bytes (a file name or extension is never trusted), the dimensions are read by a small
//! header parser of our own and refused when over [`Limits`] (a 30000×30000 PNG compresses to a
//! few KB but would need 2.7 GB to decode), and only then is a decoder allowed to allocate.
//! EXIF orientation is applied here, so that no caller has to remember it.

mod error;
mod exif;
mod jpeg;
mod orient;
mod png;
#[cfg(test)]
mod tests;

pub use error::DecodeError;

/// Size limits checked from the header before decoding (after pict-rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted file, in bytes.
    pub max_bytes: usize,
    /// Largest accepted width, in pixels, before orientation.
    pub max_width: u32,
    /// Largest accepted height, in pixels, before orientation.
    pub max_height: u32,
    /// Largest accepted width × height.
    pub max_pixels: u64,
}

impl Default for Limits {
    /// 20 MiB, 12000 × 12000, 50 megapixels: above any phone camera (a 48 MP sensor still fits),
    /// while one decoded photo stays below ~150 MB of RGB.
    fn default() -> Self {
        Limits {
            max_bytes: 20 * 1024 * 1024,
            max_width: 12_000,
            max_height: 12_000,
            max_pixels: 50_000_000,
        }
    }
}

/// An image format we decode. Detected from the magic bytes only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JPEG (baseline or progressive, 8-bit).
    Jpeg,
    /// PNG (any colour type and bit depth).
    Png,
}

/// What the header says, read without decoding any pixel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Format from the magic bytes.
    pub format: Format,
    /// Stored width, before orientation is applied.
    pub width: u32,
    /// Stored height, before orientation is applied.
    pub height: u32,
    /// EXIF orientation 1..=8; 1 when absent or invalid.
    pub orientation: u8,
    /// JPEG quality 1..=100 estimated from the quantisation tables; `None` for PNG.
    pub jpeg_quality: Option<u8>,
    /// Progressive JPEG or interlaced PNG (the standard image must be baseline).
    pub progressive: bool,
    /// Colour components in the file: 1 grey, 2 grey + alpha, 3 colour, 4 CMYK or RGBA.
    pub components: u8,
}

impl Header {
    /// Width and height as displayed, i.e. after the EXIF orientation (5..=8 swap them).
    pub fn display_size(&self) -> (u32, u32) {
        if self.orientation >= 5 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

/// Decoded pixels: packed RGB8, rows top to bottom, orientation already applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgb {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes.
    pub data: Vec<u8>,
}

impl Rgb {
    /// An image from a function of the pixel position: test images, generated sheets.
    pub fn from_fn(width: u32, height: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Rgb {
        let mut data = Vec::with_capacity(width as usize * height as usize * 3);
        for y in 0..height {
            for x in 0..width {
                data.extend_from_slice(&f(x, y));
            }
        }
        Rgb {
            width,
            height,
            data,
        }
    }
}

const PNG_MAGIC: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Detects the format from the first bytes. Short inputs that are a prefix of a magic number
/// are reported as truncated rather than as a wrong format.
fn sniff(bytes: &[u8]) -> Result<Format, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() >= 3 && bytes[..3] == [0xFF, 0xD8, 0xFF] {
        return Ok(Format::Jpeg);
    }
    if bytes.len() >= PNG_MAGIC.len() && bytes[..PNG_MAGIC.len()] == PNG_MAGIC {
        return Ok(Format::Png);
    }
    let n = bytes.len();
    if (n < 3 && bytes == &[0xFF, 0xD8, 0xFF][..n]) || (n < 8 && bytes == &PNG_MAGIC[..n]) {
        return Err(DecodeError::Truncated);
    }
    if other_image_format(bytes) {
        return Err(DecodeError::Format);
    }
    Err(DecodeError::NotImage)
}

/// Images we recognise but do not take, so the student is told to convert rather than that
/// the file is broken: GIF, WebP, BMP, TIFF, and HEIC/AVIF (the iPhone default).
fn other_image_format(b: &[u8]) -> bool {
    b.starts_with(b"GIF8")
        || (b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP"))
        || b.starts_with(b"BM")
        || b.starts_with(b"II*\0")
        || b.starts_with(b"MM\0*")
        || (b.get(4..8) == Some(b"ftyp")
            && b.get(8..12).is_some_and(|brand| {
                [
                    &b"heic"[..],
                    b"heix",
                    b"hevc",
                    b"mif1",
                    b"msf1",
                    b"avif",
                    b"avis",
                ]
                .contains(&brand)
            }))
}

/// Refuses dimensions over the limits; called from the header, before any allocation.
fn check_dimensions(width: u32, height: u32, limits: &Limits) -> Result<(), DecodeError> {
    let pixels = u64::from(width) * u64::from(height);
    if width > limits.max_width || height > limits.max_height || pixels > limits.max_pixels {
        return Err(DecodeError::TooManyPixels {
            width,
            height,
            max_width: limits.max_width,
            max_height: limits.max_height,
            max_pixels: limits.max_pixels,
        });
    }
    if width == 0 || height == 0 {
        return Err(DecodeError::Unreadable("zero width or height".into()));
    }
    Ok(())
}

/// Reads only the header: format from the magic bytes (never the file name), dimensions, EXIF
/// orientation, and for JPEG the quantisation tables → quality estimate. Over-limit sizes are
/// refused here, before any pixel buffer exists.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<Header, DecodeError> {
    let format = sniff(bytes)?;
    if bytes.len() > limits.max_bytes {
        return Err(DecodeError::TooLarge {
            bytes: bytes.len(),
            max_bytes: limits.max_bytes,
        });
    }
    let header = match format {
        Format::Jpeg => jpeg::probe(bytes)?,
        Format::Png => png::probe(bytes)?,
    };
    check_dimensions(header.width, header.height, limits)?;
    Ok(header)
}

/// Decodes to RGB8 with the EXIF orientation applied.
///
/// `max_side`: when `Some(n)` and the image is larger, a JPEG is decoded at 1/2, 1/4 or 1/8
/// scale in the DCT domain — the largest reduction that keeps the longer side ≥ `n` — which
/// skips most of the IDCT, colour conversion and memory of a full decode (face detection only
/// needs a few hundred pixels). The result may still be larger than `n`; the caller resizes.
/// PNGs are always decoded at full size.
pub fn decode(bytes: &[u8], limits: &Limits, max_side: Option<u32>) -> Result<Rgb, DecodeError> {
    let header = probe(bytes, limits)?;
    // Third-party decoders on hostile input: a panic inside one must become an error, not take
    // the worker down. Our own code does not panic; this is defence in depth.
    // JPEG rows are turned as they are converted; PNG is turned after.
    std::panic::catch_unwind(|| match header.format {
        Format::Jpeg => jpeg::decode(bytes, &header, limits, max_side),
        Format::Png => {
            png::decode(bytes, &header, limits).map(|rgb| orient::apply(rgb, header.orientation))
        }
    })
    .map_err(|_| DecodeError::Unreadable("decoder panicked".into()))?
}
