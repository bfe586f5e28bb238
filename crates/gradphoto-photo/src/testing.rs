//! Helpers shared by the crate's unit tests.

/// A deterministic xorshift32 stream from a non-zero `seed`: noise and damage for tests,
/// reproducible without a random-number crate.
pub(crate) fn xorshift(mut seed: u32) -> impl FnMut() -> u32 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    }
}
