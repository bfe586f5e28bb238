//! Criterion benchmarks of the photo engine's stages on the DEV photos: a measurement, not a
//! timed test (the comparison with a peer and the decode floor is `bench/photo_vs_peer/run`).
//!
//! `cargo bench -p gradphoto-photo --bench pipeline [-- FILTER]`
//!
//! - `decode/12mp_quarter`: a 12-megapixel phone JPEG (EXIF orientation 6) decoded at 1/4
//!   scale in the DCT domain, as for detection;
//! - `detect/480x640`: MTCNN on a standard-size image;
//! - `check/480x640`: [`Engine::check`] of a finished standard image (decode, detect, checks);
//! - `standardize/12mp`: [`Engine::standardize`] of the 12-megapixel portrait, the check of
//!   its output included.
//!
//! The photos are `$GRADPHOTO_PHOTOS_DEV`, else `shared/photos/dev` in the nearest ancestor of
//! this crate; without them the bench says so and measures nothing.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, SamplingMode};
use gradphoto_photo::decode::{Limits, decode};
use gradphoto_photo::detect::Detector;
use gradphoto_photo::{Engine, Spec, Verdict};

/// The binary's allocator (`gradphoto`): the engine is timed as it runs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A 12-megapixel portrait (3000×4000 displayed, stored 4000×3000 with orientation 6).
const BIG: &str = "raw/A000369_raw_big.jpg";
/// A finished standard image, 480×640.
const STANDARD: &str = "A000369_accept.jpg";
/// Longer side the detection decode keeps (the engine's choice for 12 MP: 1/4 scale).
const DETECT_MAX_SIDE: u32 = 640;
/// Smallest face looked for on a 480×640 image, px: the engine's 15 % of the shorter side.
const MIN_FACE_STANDARD: f32 = 72.0;

fn dev_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("GRADPHOTO_PHOTOS_DEV") {
        return Some(PathBuf::from(dir)).filter(|d| d.join(BIG).is_file());
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/photos/dev"))
        .find(|d| d.join(BIG).is_file())
}

fn read(dev: &Path, name: &str) -> Vec<u8> {
    let path = dev.join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn bench_decode(c: &mut Criterion, dev: &Path) {
    let bytes = read(dev, BIG);
    let limits = Limits::default();
    let mut group = c.benchmark_group("decode");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.bench_function("12mp_quarter", |b| {
        b.iter(|| decode(black_box(&bytes), &limits, Some(DETECT_MAX_SIDE)).expect("decodes"))
    });
    group.finish();
}

fn bench_detect(c: &mut Criterion, dev: &Path, detector: &Detector) {
    let rgb = decode(&read(dev, STANDARD), &Limits::default(), None).expect("decodes");
    assert_eq!(
        (rgb.width, rgb.height),
        (480, 640),
        "{STANDARD} is not 480×640"
    );
    let mut group = c.benchmark_group("detect");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.bench_function("480x640", |b| {
        b.iter(|| {
            detector
                .detect(
                    black_box(&rgb.data),
                    rgb.width,
                    rgb.height,
                    MIN_FACE_STANDARD,
                )
                .expect("detect runs")
        })
    });
    group.finish();
}

fn bench_engine(c: &mut Criterion, dev: &Path, engine: &Engine) {
    let spec = Spec::default();
    let standard = read(dev, STANDARD);
    assert_eq!(
        engine.check(&standard, &spec).verdict,
        Verdict::Accept,
        "{STANDARD} should pass"
    );
    let mut group = c.benchmark_group("check");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.bench_function("480x640", |b| {
        b.iter(|| engine.check(black_box(&standard), &spec))
    });
    group.finish();

    let big = read(dev, BIG);
    let mut group = c.benchmark_group("standardize");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.bench_function("12mp", |b| {
        b.iter(|| {
            engine
                .standardize(black_box(&big), &spec)
                .map_err(|r| r.verdict)
                .expect("standardizes")
        })
    });
    group.finish();
}

fn main() {
    let Some(dev) = dev_dir() else {
        eprintln!(
            "SKIPPED: DEV photos not found (shared/photos/dev next to the workspace); set GRADPHOTO_PHOTOS_DEV"
        );
        return;
    };
    let engine = Engine::new().expect("embedded models load");
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    bench_decode(&mut c, &dev);
    bench_detect(&mut c, &dev, engine.detector());
    bench_engine(&mut c, &dev, &engine);
    c.final_summary();
}
