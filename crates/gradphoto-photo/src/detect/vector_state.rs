//! Leaves the vector registers clean after tract's matrix kernels.
//!
//! tract's x86-64 kernels (hand-written assembly for FMA and AVX-512) return without
//! `vzeroupper`, so the upper halves of the vector registers stay "dirty", and every later
//! SSE instruction of that thread then pays for them (Intel documents this for its cores; we
//! measured it on the AMD EPYC with AVX-512 that CI runs on). All of our own pixel code is
//! compiled for x86-64-v2 (SSE4.2, no VEX encoding), and it ran 1.5–2.7× slower after a detection:
//! resampling a 750×1000 photo took 4.7 ms instead of 1.8, and the PReLU, pooling and
//! cropping between the networks' layers paid the same.
//!
//! The workspace forbids `unsafe`, so we cannot issue `vzeroupper` ourselves. memchr's AVX2
//! search does it safely: LLVM ends every function compiled for AVX that used 256-bit
//! registers with one, and a search of 64 bytes takes that path (memchr 2.7–2.8 dispatch to
//! it at run time), in a few nanoseconds. On a CPU with AVX but no AVX2 (Sandy Bridge,
//! AMD Bulldozer) tract may still run AVX kernels while memchr searches with SSE2: there the
//! state stays dirty, which costs speed only.

/// Clears the upper halves of the vector registers (see the module documentation).
pub(crate) fn clean() {
    static HAYSTACK: [u8; 64] = [0; 64];
    std::hint::black_box(memchr::memchr(1, std::hint::black_box(&HAYSTACK[..])));
}
