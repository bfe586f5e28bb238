//! Our scan decoder against `jpeg-decoder` on files libjpeg-turbo wrote (fixtures/make.sh):
//! every chroma sampling, greyscale, restart markers, optimised tables; and on cut and
//! damaged files, which must give an error, never a panic.

use super::*;

const L: Limits = Limits {
    max_bytes: 20 * 1024 * 1024,
    max_width: 12_000,
    max_height: 12_000,
    max_pixels: 50_000_000,
};

macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("fixtures/", $name, ".jpg")) as &[u8],
        )
    };
}

/// Files ours must decode itself.
const OURS: [(&str, &[u8]); 8] = [
    fixture!("s420"),
    fixture!("s422"),
    fixture!("s440"),
    fixture!("s444"),
    fixture!("grey"),
    fixture!("restart_rows"),
    fixture!("restart_blocks"),
    fixture!("q100"),
];

/// Mean and largest absolute difference per sample.
fn difference(a: &Rgb, b: &Rgb) -> (f64, u8) {
    assert_eq!((a.width, a.height), (b.width, b.height));
    let total: u64 = a
        .data
        .iter()
        .zip(&b.data)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    let max = a
        .data
        .iter()
        .zip(&b.data)
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0);
    (total as f64 / a.data.len() as f64, max)
}

fn ours(bytes: &[u8], d: u32) -> Rgb {
    own(bytes, d, 1)
        .expect("decodes")
        .expect("a file our decoder takes")
}

fn theirs(bytes: &[u8], d: u32) -> Rgb {
    let header = probe(bytes).expect("header");
    fallback(bytes, &header, &L, d).expect("jpeg-decoder decodes")
}

/// The same sizes, and the same pixels to rounding: at full size both use libjpeg's islow
/// IDCT and fancy upsampling; reduced, both IDCTs approximate the low-passed block.
#[test]
fn agrees_with_jpeg_decoder_at_every_scale() {
    for (name, bytes) in OURS {
        for d in [1, 2, 4, 8] {
            let (a, b) = (ours(bytes, d), theirs(bytes, d));
            assert_eq!((a.width, a.height), (123u32.div_ceil(d), 77u32.div_ceil(d)));
            let (mean, max) = difference(&a, &b);
            eprintln!("{name} 1/{d}: mean {mean:.3}, max {max}");
            // At 1/8 the DC is rounded differently (a level, half the time).
            let (mean_limit, max_limit) = if d == 8 { (1.5, 4) } else { (0.1, 3) };
            assert!(
                mean <= mean_limit && max <= max_limit,
                "{name} at 1/{d}: mean {mean:.3}, max {max}"
            );
        }
    }
}

/// Rows turned as they are converted give what turning the decoded image gives, for every
/// orientation, sampling and scale (123×77 reduced is odd and even in turn).
#[test]
fn orientation_while_converting_equals_turning_after() {
    for (name, bytes) in OURS {
        for d in [1, 2, 4, 8] {
            let stored = ours(bytes, d);
            for o in 0..=9 {
                let turned = own(bytes, d, o).expect("decodes").expect("ours");
                let expected = crate::decode::orient::apply(stored.clone(), o);
                assert_eq!(turned, expected, "{name} 1/{d} orientation {o}");
            }
        }
    }
}

/// Restart markers change only how the data is laid out: the same image, to the bit.
#[test]
fn restart_markers_give_the_same_pixels() {
    let plain = OURS[0].1;
    let with_restarts = OURS[5].1;
    assert!(
        with_restarts
            .windows(2)
            .any(|w| w[0] == 0xFF && (0xD0..=0xD7).contains(&w[1]))
    );
    for d in [1, 2, 4, 8] {
        assert_eq!(ours(plain, d), ours(with_restarts, d), "1/{d}");
    }
}

/// The DC alone is the block's mean: at 1/8 a pixel is its 8×8 block's average.
#[test]
fn an_eighth_is_the_block_mean() {
    let (_, bytes) = OURS[3]; // 4:4:4, quality 95: little loss to blur the comparison
    let full = ours(bytes, 1);
    let small = ours(bytes, 8);
    let (w, fw) = (small.width as usize, full.width as usize);
    let mut worst = 0.0f64;
    for by in 0..(77 / 8) {
        for bx in 0..(123 / 8) {
            for ch in 0..3 {
                let mut sum = 0u32;
                for y in 0..8 {
                    for x in 0..8 {
                        sum += u32::from(full.data[((by * 8 + y) * fw + bx * 8 + x) * 3 + ch]);
                    }
                }
                let got = f64::from(small.data[(by * w + bx) * 3 + ch]);
                worst = worst.max((got - f64::from(sum) / 64.0).abs());
            }
        }
    }
    assert!(worst <= 3.0, "1/8 pixel off its block mean by {worst:.2}");
}

/// Files that are not ours go to `jpeg-decoder` (or are refused by it), never decoded
/// wrongly by us.
#[test]
fn other_files_are_left_to_jpeg_decoder() {
    for (name, bytes) in [
        fixture!("progressive"),
        fixture!("arithmetic"),
        fixture!("rgb"),
    ] {
        assert!(matches!(own(bytes, 4, 1), Ok(None)), "{name}");
    }
    let progressive = fixture!("progressive").1;
    let rgb = crate::decode::decode(progressive, &L, None).expect("progressive decodes");
    assert_eq!((rgb.width, rgb.height), (123, 77));
    let plain = crate::decode::decode(fixture!("rgb").1, &L, Some(40)).expect("RGB decodes");
    assert_eq!((plain.width, plain.height), (62, 39));
}

/// Every cut inside the scan is an error from ours (so `jpeg-decoder` decides); cuts past
/// the last data byte — only the end marker lost — still decode.
#[test]
fn cut_files_are_errors_not_panics() {
    for (name, bytes) in OURS {
        let header_end = {
            let mut pos = 2;
            while markers::next(bytes, &mut pos).expect("segment").marker != markers::SOS {}
            pos
        };
        for n in header_end..bytes.len() - 2 {
            for d in [1, 8] {
                let r = own(&bytes[..n], d, 1);
                assert!(
                    matches!(r, Err(DecodeError::Truncated | DecodeError::Unreadable(_))),
                    "{name} cut at {n} of {} at 1/{d}: {:?}",
                    bytes.len(),
                    r.map(|o| o.map(|i| (i.width, i.height)))
                );
            }
        }
        // Without the end-of-image marker the image is whole.
        assert_eq!(ours(&bytes[..bytes.len() - 2], 1), ours(bytes, 1), "{name}");
        for n in 0..header_end {
            let _ = own(&bytes[..n], 4, 1);
        }
    }
}

#[test]
fn damaged_files_never_panic() {
    let mut next = crate::testing::xorshift(0x9E37_79B9);
    for round in 0..3000 {
        let (_, original) = OURS[round % OURS.len()];
        let mut bytes = original.to_vec();
        for _ in 0..(1 + next() % 6) {
            let i = next() as usize % bytes.len();
            bytes[i] = match next() % 4 {
                0 => 0xFF,
                1 => 0x00,
                _ => next() as u8,
            };
        }
        for d in [1, 2, 4, 8] {
            let _ = own(&bytes, d, 1);
        }
        let _ = crate::decode::decode(&bytes, &L, Some(20));
    }
}

#[test]
fn impossible_huffman_tables_are_refused() {
    // Three 1-bit codes cannot exist.
    let mut counts = [0u8; 16];
    counts[0] = 3;
    assert!(huffman::Huffman::new(&counts, &[1, 2, 3], false).is_none());
    // Two 1-bit codes are the whole code space.
    counts[0] = 2;
    assert!(huffman::Huffman::new(&counts, &[1, 2], true).is_some());
}

/// A tiny file declaring a large frame whose scan data is missing, built so that zero bits
/// keep decoding as the longest blocks: an error (the decoder stops after the first MCU row
/// rather than decode zeros for the whole frame), never a panic or a made-up image.
#[test]
fn a_large_frame_without_data_is_truncated() {
    let mut f = vec![0xFF, 0xD8];
    // DQT: table 0, all ones.
    f.extend([0xFF, 0xDB, 0x00, 0x43, 0x00]);
    f.extend([1u8; 64]);
    // SOF0: 8-bit, 3000 high, 4000 wide, three 1×1 components on table 0.
    f.extend([0xFF, 0xC0, 0x00, 0x11, 0x08, 0x0B, 0xB8, 0x0F, 0xA0, 0x03]);
    f.extend([1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
    // DHT: DC table 0 and AC table 0, each one 16-bit code (all zeros), symbols that read
    // 16 and 15 more bits: zero bits past the end decode as long blocks forever.
    for (class, symbol) in [(0x00u8, 0x10u8), (0x10, 0x0F)] {
        f.extend([0xFF, 0xC4, 0x00, 0x14, class]);
        let mut counts = [0u8; 16];
        counts[15] = 1;
        f.extend(counts);
        f.push(symbol);
    }
    // SOS, then the end at once.
    f.extend([
        0xFF, 0xDA, 0x00, 0x0C, 0x03, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0,
    ]);
    f.extend([0xFF, 0xD9]);
    assert!(matches!(own(&f, 8, 1), Err(DecodeError::Truncated)));
    assert!(crate::decode::decode(&f, &L, Some(100)).is_err());
}

/// A restart marker out of sequence means the data is out of step: ours leaves the file to
/// `jpeg-decoder` rather than decode misplaced blocks.
#[test]
fn a_restart_marker_out_of_sequence_is_not_decoded_by_ours() {
    let mut bytes = OURS[5].1.to_vec();
    let at = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xD1])
        .expect("a second restart marker");
    bytes[at + 1] = 0xD3;
    assert!(own(&bytes, 1, 1).is_err());
    let _ = crate::decode::decode(&bytes, &L, None);
}

/// More Huffman tables than any encoder writes: ours refuses, `jpeg-decoder` reads it.
#[test]
fn a_flood_of_huffman_tables_is_left_to_jpeg_decoder() {
    let bytes = OURS[0].1;
    let mut f = bytes[..2].to_vec();
    let table = [0x00u8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05];
    for _ in 0..40 {
        f.extend([0xFF, 0xC4, 0x00, 2 + table.len() as u8]);
        f.extend(table);
    }
    f.extend(&bytes[2..]);
    assert!(matches!(own(&f, 4, 1), Err(DecodeError::Unreadable(_))));
    // jpeg-decoder still reads it.
    assert!(crate::decode::decode(&f, &L, Some(40)).is_ok());
}
