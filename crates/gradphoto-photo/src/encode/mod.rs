//! Baseline JPEG for the registry's standard image: SOF0 (not progressive), JFIF APP0 with the
//! resolution in dpi, IJG quantisation tables scaled by the libjpeg quality formula (so that
//! any quality estimator reads back the quality used), optimised Huffman tables (still
//! baseline; ~5–10 % smaller than the standard tables), 4:2:0 chroma.
//!
//! 4:2:0 because it is what cameras and libjpeg write by default, every decoder handles it,
//! and it leaves more of the 20–40 KB budget to luma, where the eye sees detail; at 480×640
//! the colour of a face and a uniform background loses nothing visible.
//!
//! Written here rather than taken from a crate because [`encode_to_fit`] needs the encoder's
//! inside: colour conversion and the DCT run once, and each candidate quality costs only
//! quantisation and a size count from the Huffman code lengths. Pure: bytes out, no I/O.

mod dct;
mod entropy;
#[cfg(test)]
mod tests;

use crate::decode::Rgb;
use dct::Coefficients;
use entropy::{Quantised, Stats, Tables};

/// Why an image could not be encoded: only the caller's buffer or parameters can be wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// Width or height is zero.
    #[error("cannot encode an empty {width}×{height} image")]
    Empty {
        /// Width given.
        width: u32,
        /// Height given.
        height: u32,
    },
    /// `data` is not `width × height × 3` bytes.
    #[error("the buffer holds {actual} bytes, not {width}×{height}×3")]
    Buffer {
        /// Width given.
        width: u32,
        /// Height given.
        height: u32,
        /// `width × height × 3`, or `None` when that overflows.
        expected: Option<usize>,
        /// `data.len()`.
        actual: usize,
    },
    /// JPEG stores dimensions in 16 bits.
    #[error("{width}×{height} is over JPEG's 65535-pixel limit")]
    TooLarge {
        /// Width given.
        width: u32,
        /// Height given.
        height: u32,
    },
    /// Quality outside 1..=100, or an empty range.
    #[error("quality {min}..={max} is not within 1..=100")]
    Quality {
        /// Lowest quality asked for.
        min: u8,
        /// Highest quality asked for.
        max: u8,
    },
}

/// A file from [`encode_to_fit`] and the quality it was written at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The complete JPEG file.
    pub bytes: Vec<u8>,
    /// The quality of its quantisation tables.
    pub quality: u8,
}

/// Encodes `rgb` as a baseline JPEG at `quality` (1..=100) with `dpi` in the JFIF header
/// (`0` writes no resolution, only a 1:1 aspect).
pub fn encode(rgb: &Rgb, quality: u8, dpi: u16) -> Result<Vec<u8>, EncodeError> {
    check_quality(quality, quality)?;
    let coeffs = prepare(rgb)?;
    let mut blocks = Quantised::default();
    let stats = entropy::quantise(&coeffs, quality, &mut blocks);
    Ok(write(&coeffs, quality, dpi, &blocks, &stats.tables()))
}

/// Highest quality in `min_quality..=max_quality` (e.g. 60..=95) whose file is ≤ `max_bytes`;
/// if even `min_quality` is too big, the `min_quality` file (the caller decides).
///
/// The DCT runs once; a quality is tried by quantising and counting the scan's bits from
/// the Huffman code lengths, without writing anything. The search first works on a sample
/// (every fourth row of MCUs, a quarter of the cost) to find the likely answer, then counts
/// the whole image there and at its neighbour to prove it: the answer is exact, not
/// estimated. Counts leave out stuffing bytes, so they are a lower bound; the chosen file
/// is written once and checked against the limit, and in the rare case that stuffing
/// pushed it over, the next quality down is taken.
pub fn encode_to_fit(
    rgb: &Rgb,
    dpi: u16,
    min_quality: u8,
    max_quality: u8,
    max_bytes: usize,
) -> Result<Encoded, EncodeError> {
    fit(rgb, dpi, min_quality, max_quality, max_bytes).map(|(e, _)| e)
}

/// [`encode_to_fit`], also returning how many full counts it made (tests bound them).
fn fit(
    rgb: &Rgb,
    dpi: u16,
    min_quality: u8,
    max_quality: u8,
    max_bytes: usize,
) -> Result<(Encoded, u32), EncodeError> {
    check_quality(min_quality, max_quality)?;
    let coeffs = prepare(rgb)?;
    let mut search = Search::new(&coeffs, max_bytes);
    // Likely answer from the sample, then whole-image counts walk from there to the exact
    // answer: up while the next quality fits, down while this one does not.
    let mut q = search.likely(min_quality, max_quality);
    if search.fits(q) {
        while q < max_quality && search.fits(q + 1) {
            q += 1;
        }
    } else {
        while q > min_quality {
            q -= 1;
            if search.fits(q) {
                break;
            }
        }
    }
    // Write the winner (the best fitting count, or the floor when nothing fits).
    let (mut quality, mut blocks, mut stats) = match search.best.take() {
        Some(best) => best,
        None => {
            let stats = entropy::quantise(&coeffs, min_quality, &mut search.scratch);
            (min_quality, search.scratch, stats)
        }
    };
    loop {
        let bytes = write(&coeffs, quality, dpi, &blocks, &stats.tables());
        if bytes.len() <= max_bytes || quality <= min_quality {
            return Ok((Encoded { bytes, quality }, search.counts));
        }
        // Stuffing bytes pushed it over.
        quality -= 1;
        stats = entropy::quantise(&coeffs, quality, &mut blocks);
    }
}

/// Rows of MCUs per sampled row when estimating: a quarter of the work, and on a portrait
/// every band (background, hair, face, clothes) is still represented.
const SAMPLE_STRIDE: usize = 4;

/// State of [`encode_to_fit`]'s search.
struct Search<'a> {
    coeffs: &'a Coefficients,
    max_bytes: usize,
    /// Sampling stride; 1 (exact) for small images, where a sample saves nothing.
    stride: usize,
    /// Whole-image counts made so far, by quality: `Some(fits)`.
    known: [Option<bool>; 101],
    scratch: Quantised,
    /// The highest fitting quality counted so far, with its quantised image, so that the
    /// final write does not quantise again.
    best: Option<(u8, Quantised, Stats)>,
    counts: u32,
}

impl<'a> Search<'a> {
    fn new(coeffs: &'a Coefficients, max_bytes: usize) -> Search<'a> {
        let mcu_rows = coeffs.blocks.len() / (coeffs.mcus_x * dct::BLOCKS_PER_MCU).max(1);
        Search {
            coeffs,
            max_bytes,
            stride: if mcu_rows >= 4 * SAMPLE_STRIDE {
                SAMPLE_STRIDE
            } else {
                1
            },
            known: [None; 101],
            scratch: Quantised::default(),
            best: None,
            counts: 0,
        }
    }

    /// Whether the whole image at `q` fits (by its exact count); a fitting `q` above the
    /// best so far becomes the best.
    fn fits(&mut self, q: u8) -> bool {
        if let Some(known) = self.known[usize::from(q)] {
            return known;
        }
        self.counts += 1;
        let stats = entropy::quantise(self.coeffs, q, &mut self.scratch);
        let fits = file_size(&stats, 1.0) <= self.max_bytes;
        self.known[usize::from(q)] = Some(fits);
        if fits && self.best.as_ref().is_none_or(|b| b.0 < q) {
            let blocks = std::mem::take(&mut self.scratch);
            if let Some((_, old, _)) = self.best.replace((q, blocks, stats)) {
                self.scratch = old;
            }
        }
        fits
    }

    /// Estimated file size at `q` from the sample.
    fn estimate(&self, q: u8) -> usize {
        let stats = entropy::sample(self.coeffs, q, self.stride);
        let rows = self.coeffs.blocks.len() / (self.coeffs.mcus_x * dct::BLOCKS_PER_MCU).max(1);
        let sampled = rows.div_ceil(self.stride);
        file_size(&stats, rows as f64 / sampled.max(1) as f64)
    }

    /// The highest quality whose estimate fits (or `min` when none does), by bracketing and
    /// interpolation on the estimates.
    fn likely(&mut self, min: u8, max: u8) -> u8 {
        let top = self.estimate(max);
        if top <= self.max_bytes {
            return max;
        }
        let bottom = self.estimate(min);
        if bottom > self.max_bytes {
            return min;
        }
        let (mut lo, mut hi) = ((min, bottom), (max, top));
        while hi.0 - lo.0 > 1 {
            let q = guess(lo, hi, self.max_bytes);
            let size = self.estimate(q);
            if size <= self.max_bytes {
                lo = (q, size);
            } else {
                hi = (q, size);
            }
        }
        lo.0
    }
}

/// The next quality to try between `lo` (fits) and `hi` (does not): where the log of the
/// size, interpolated linearly in the log of the libjpeg scale factor, meets the target;
/// kept strictly inside the bracket so every step shrinks it.
fn guess(lo: (u8, usize), hi: (u8, usize), target: usize) -> u8 {
    let log_scale = |q: u8| scale(q).ln();
    let log_size = |n: usize| (n.max(1) as f64).ln();
    let (s_lo, s_hi) = (log_scale(lo.0), log_scale(hi.0));
    let (l_lo, l_hi) = (log_size(lo.1), log_size(hi.1));
    let t = if l_hi > l_lo {
        ((log_size(target) - l_lo) / (l_hi - l_lo)).clamp(0.0, 1.0)
    } else {
        0.5
    };
    let s = (s_lo + t * (s_hi - s_lo)).exp();
    // Invert the scale (quality ≥ 50: s = 200 − 2q; below: s = 5000 / q).
    let q = if s <= 100.0 {
        (200.0 - s) / 2.0
    } else {
        5000.0 / s
    };
    (q.round() as i32).clamp(i32::from(lo.0) + 1, i32::from(hi.0) - 1) as u8
}

/// The libjpeg scale factor of a quality, in percent of the standard tables.
fn scale(q: u8) -> f64 {
    let q = u32::from(q.max(1));
    f64::from(if q < 50 { 5000 / q } else { 200 - 2 * q })
}

fn check_quality(min: u8, max: u8) -> Result<(), EncodeError> {
    if min == 0 || max > 100 || min > max {
        return Err(EncodeError::Quality { min, max });
    }
    Ok(())
}

/// Validates the buffer, then runs the quality-independent stages.
fn prepare(rgb: &Rgb) -> Result<Coefficients, EncodeError> {
    let (width, height) = (rgb.width, rgb.height);
    if width == 0 || height == 0 {
        return Err(EncodeError::Empty { width, height });
    }
    let expected = (width as usize)
        .checked_mul(height as usize)
        .and_then(|n| n.checked_mul(3));
    if expected != Some(rgb.data.len()) {
        return Err(EncodeError::Buffer {
            width,
            height,
            expected,
            actual: rgb.data.len(),
        });
    }
    if width > u32::from(u16::MAX) || height > u32::from(u16::MAX) {
        return Err(EncodeError::TooLarge { width, height });
    }
    Ok(Coefficients::new(rgb))
}

/// Bytes of the markers before the scan, for tables with `symbols` Huffman values in all.
fn header_size(symbols: usize) -> usize {
    const SOI: usize = 2;
    const APP0: usize = 2 + 16;
    const DQT: usize = 4 + 2 * 65;
    const SOF0: usize = 2 + 17;
    const SOS: usize = 2 + 12;
    SOI + APP0 + DQT + SOF0 + (4 + 4 * 17 + symbols) + SOS
}

/// File size for these statistics with the scan's bits multiplied by `scale` (1 for an
/// exact count), stuffing bytes aside: a lower bound of the real size.
fn file_size(stats: &Stats, scale: f64) -> usize {
    let tables = stats.tables();
    let symbols = tables
        .dc
        .iter()
        .chain(&tables.ac)
        .map(|t| t.values.len())
        .sum();
    let bits = stats.scan_bits(&tables);
    let bytes = if scale == 1.0 {
        bits.div_ceil(8) as usize
    } else {
        (bits as f64 * scale / 8.0).ceil() as usize
    };
    header_size(symbols) + bytes + 2
}

fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
}

/// Writes the whole file: SOI, JFIF APP0, DQT, SOF0, DHT, SOS, scan, EOI.
fn write(coeffs: &Coefficients, quality: u8, dpi: u16, blocks: &Quantised, t: &Tables) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * 1024);
    out.extend_from_slice(&[0xFF, 0xD8]);
    // JFIF 1.01; units 1 = dots per inch. Without a resolution, units 0 and a 1:1 aspect.
    let (units, density) = if dpi == 0 { (0, 1) } else { (1, dpi) };
    let mut app0 = b"JFIF\0\x01\x01".to_vec();
    app0.push(units);
    app0.extend_from_slice(&density.to_be_bytes());
    app0.extend_from_slice(&density.to_be_bytes());
    app0.extend_from_slice(&[0, 0]); // no thumbnail
    segment(&mut out, 0xE0, &app0);

    let mut dqt = Vec::with_capacity(130);
    for (id, table) in entropy::quant_tables(quality).iter().enumerate() {
        dqt.push(id as u8); // 8-bit entries
        dqt.extend_from_slice(table);
    }
    segment(&mut out, 0xDB, &dqt);

    let mut sof = vec![8];
    sof.extend_from_slice(&coeffs.height.to_be_bytes());
    sof.extend_from_slice(&coeffs.width.to_be_bytes());
    // Y sampled 2×2, Cb and Cr 1×1: 4:2:0.
    sof.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    segment(&mut out, 0xC0, &sof);

    let mut dht = Vec::new();
    for (class, tables) in [(0u8, &t.dc), (1, &t.ac)] {
        for (id, table) in tables.iter().enumerate() {
            dht.push((class << 4) | id as u8);
            dht.extend_from_slice(&table.bits);
            dht.extend_from_slice(&table.values);
        }
    }
    segment(&mut out, 0xC4, &dht);

    segment(&mut out, 0xDA, &[3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);
    entropy::write_scan(blocks, t, &mut out);
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}
