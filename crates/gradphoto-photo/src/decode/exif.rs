//! EXIF orientation (tag 0x0112) from a TIFF block, parsed by hand: it is one tag in IFD0 and a
//! full EXIF crate would be more code to trust than these bounds-checked lines.

/// Orientation 1..=8 from a TIFF block (the bytes after `Exif\0\0`); 1 when absent, malformed
/// or out of range — a broken EXIF block must not make a good photo unreadable.
pub(crate) fn orientation(tiff: &[u8]) -> u8 {
    read(tiff).filter(|o| (1..=8).contains(o)).unwrap_or(1)
}

fn read(tiff: &[u8]) -> Option<u8> {
    let big = match tiff.get(..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    if u16_at(2)? != 42 {
        return None;
    }
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    for i in 0..count {
        let entry = ifd.checked_add(2)?.checked_add(i.checked_mul(12)?)?;
        // Tag 0x0112, type SHORT (3): the value sits in the first two bytes of the value field.
        if u16_at(entry)? == 0x0112 {
            if u16_at(entry + 2)? != 3 {
                return None;
            }
            return u8::try_from(u16_at(entry + 8)?).ok();
        }
    }
    None
}
