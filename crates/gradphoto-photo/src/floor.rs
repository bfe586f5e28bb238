//! A floor the compiler can vectorise. Rust's float-to-integer `as` saturates (NaN gives 0,
//! out-of-range values the nearest bound), and that rule keeps the per-pixel position loops
//! of the warp and the face hash scalar; for the small non-negative values they need, the
//! float's own rounding gives the same result in a few vector operations.

/// Largest value (exclusive) [`floor_small`] takes: 2²².
pub(crate) const FLOOR_LIMIT: f32 = 4_194_304.0;

/// `floor(v)`, equal to `v as u32`, for `0 ≤ v <` [`FLOOR_LIMIT`]: adding 2²³ leaves the
/// nearest integer in the low mantissa bits, and one comparison turns it into the floor.
#[inline(always)]
pub(crate) fn floor_small(v: f32) -> u32 {
    const MAGIC: f32 = 8_388_608.0; // 2²³
    let nearest = (v + MAGIC).to_bits().wrapping_sub(MAGIC.to_bits());
    nearest - u32::from(nearest as i32 as f32 > v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The truncating cast over the whole range: integers, halves (where the nearest integer
    /// rounds to even), values just either side of them, and noise.
    #[test]
    fn floor_small_is_the_truncating_cast() {
        let top = FLOOR_LIMIT as u32;
        let mut values = vec![0.0f32, 0.25, 0.5, 1.5, 2.5, (top - 1) as f32];
        for i in (0..top).step_by(997).chain(top - 300..top) {
            let v = i as f32;
            values.extend([v, v + 0.5, v.next_up(), v.next_down().max(0.0)]);
        }
        let mut next = crate::testing::xorshift(7);
        values.extend((0..100_000).map(|_| (next() % (top * 4)) as f32 / 4.0));
        values.extend((0..100_000).map(|_| (next() % (1 << 20)) as f32 / 65_536.0));
        for v in values.into_iter().filter(|&v| v < FLOOR_LIMIT) {
            assert_eq!(floor_small(v), v as u32, "{v}");
        }
    }
}
