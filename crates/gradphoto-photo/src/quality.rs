//! JPEG quality estimated from the quantisation tables, the way ImageMagick's `identify` and
//! the libjpeg inverse do it: the registry requires quality ≥ 60, and the tables are the only
//! honest record of how hard a file was compressed (file size depends on the content).
//!
//! Almost every encoder (libjpeg, libjpeg-turbo, mozjpeg's default, browsers, the `image`
//! crate, OpenCV, Pillow) scales the IJG example tables of the JPEG standard (Annex K) by the
//! libjpeg formula. We scale them for every quality 1..=100 and keep the closest match. For
//! cameras with their own tables the result is still the IJG quality of similar coarseness.

/// Natural (row-major) index of each zigzag position: DQT segments store tables in zigzag
/// order.
pub(crate) const ZIGZAG: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// IJG luminance table (JPEG standard, Annex K.1), natural order.
pub(crate) const STD_LUMA: [u16; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
    92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/// IJG chrominance table (Annex K.2), natural order.
pub(crate) const STD_CHROMA: [u16; 64] = [
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

/// The libjpeg quality → table formula (`jpeg_quality_scaling` + `jpeg_add_quant_table` with
/// `force_baseline`): entries clamped to 1..=255.
fn scaled(std: u16, quality: u32) -> u32 {
    let scale = if quality < 50 {
        5000 / quality
    } else {
        200 - 2 * quality
    };
    ((u32::from(std) * scale + 50) / 100).clamp(1, 255)
}

fn distance(table_zigzag: &[u16; 64], std: &[u16; 64], quality: u32) -> u64 {
    ZIGZAG
        .iter()
        .zip(table_zigzag)
        .map(|(&nat, &v)| u64::from(u32::from(v).abs_diff(scaled(std[nat], quality))))
        .sum()
}

/// Estimated quality 1..=100 from the luminance table and, when present, the chrominance table
/// (both as stored in DQT: zigzag order). Ties go to the higher quality, because near 100 many
/// qualities give the same all-ones table.
pub fn estimate(luma: &[u16; 64], chroma: Option<&[u16; 64]>) -> u8 {
    let mut best = (u64::MAX, 100u8);
    for q in (1..=100u8).rev() {
        let mut d = distance(luma, &STD_LUMA, u32::from(q));
        if let Some(c) = chroma {
            d += distance(c, &STD_CHROMA, u32::from(q));
        }
        if d < best.0 {
            best = (d, q);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(std: &[u16; 64], q: u32) -> [u16; 64] {
        let mut t = [0u16; 64];
        for (k, &nat) in ZIGZAG.iter().enumerate() {
            t[k] = scaled(std[nat], q) as u16;
        }
        t
    }

    #[test]
    fn exact_ijg_tables_give_their_quality() {
        for q in [10, 30, 50, 60, 75, 85, 92, 95] {
            let l = table(&STD_LUMA, q);
            let c = table(&STD_CHROMA, q);
            assert_eq!(u32::from(estimate(&l, Some(&c))), q);
            assert_eq!(u32::from(estimate(&l, None)), q);
        }
    }

    #[test]
    fn zigzag_is_a_permutation() {
        let mut seen = [false; 64];
        for &i in &ZIGZAG {
            seen[i] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}
