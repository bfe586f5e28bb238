//! The marker walk from SOI to SOS, shared by the header probe and the scan decoder, so that
//! both read a file's segments the same way.

use super::DecodeError;

/// One marker segment: its code and its payload (after the two length bytes).
pub(super) struct Segment<'a> {
    pub marker: u8,
    pub data: &'a [u8],
}

/// Start of scan: the segment that ends the header.
pub(super) const SOS: u8 = 0xDA;

/// The next segment at or after `*pos`, moving `*pos` past it. Markers without a length
/// (SOI, TEM, RSTn) are stepped over; EOI before a scan is an error.
pub(super) fn next<'a>(bytes: &'a [u8], pos: &mut usize) -> Result<Segment<'a>, DecodeError> {
    loop {
        // A marker is 0xFF, any number of 0xFF fill bytes, then a code that is not 0x00.
        // Bytes between segments are skipped, as libjpeg and jpeg-decoder do: some cameras
        // write them.
        while *bytes.get(*pos).ok_or(DecodeError::Truncated)? != 0xFF {
            *pos += 1;
        }
        while bytes.get(*pos) == Some(&0xFF) {
            *pos += 1;
        }
        let marker = *bytes.get(*pos).ok_or(DecodeError::Truncated)?;
        if marker == 0x00 {
            continue;
        }
        *pos += 1;
        match marker {
            0xD8 | 0x01 | 0xD0..=0xD7 => continue, // no length
            0xD9 => return Err(DecodeError::Unreadable("no image before the end".into())),
            _ => {}
        }
        let len_bytes = bytes.get(*pos..*pos + 2).ok_or(DecodeError::Truncated)?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        if len < 2 {
            return Err(DecodeError::Unreadable("bad segment length".into()));
        }
        let data = bytes
            .get(*pos + 2..*pos + len)
            .ok_or(DecodeError::Truncated)?;
        *pos += len;
        return Ok(Segment { marker, data });
    }
}

/// SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
pub(super) fn is_frame(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}
