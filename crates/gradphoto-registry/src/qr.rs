//! The collection code as a QR code, for the student to save and show at the desk. Error
//! correction M (15 %): a code shown on a cracked phone screen or printed in grey still
//! scans. Drawn here as SVG and PNG from the module matrix, with the 4-module quiet zone the
//! standard asks for.

use qrcode::{Color, EcLevel, QrCode};

use crate::RegistryError;

/// Quiet zone around the symbol, in modules (ISO/IEC 18004).
const QUIET: usize = 4;

fn matrix(text: &str) -> Result<(usize, Vec<bool>), RegistryError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| RegistryError::Internal(format!("QR code: {e}")))?;
    let w = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Ok((w, dark))
}

/// An SVG of the code, one path, scalable.
pub fn svg(text: &str) -> Result<String, RegistryError> {
    let (w, dark) = matrix(text)?;
    let size = w + 2 * QUIET;
    let mut path = String::new();
    for y in 0..w {
        for x in 0..w {
            if dark[y * w + x] {
                path.push_str(&format!("M{} {}h1v1h-1z", x + QUIET, y + QUIET));
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// A greyscale PNG of the code, `scale` pixels per module.
pub fn png(text: &str, scale: usize) -> Result<Vec<u8>, RegistryError> {
    let (w, dark) = matrix(text)?;
    let scale = scale.clamp(1, 32);
    let side = (w + 2 * QUIET) * scale;
    let mut pixels = vec![255u8; side * side];
    for y in 0..w {
        for x in 0..w {
            if dark[y * w + x] {
                for dy in 0..scale {
                    let row = ((y + QUIET) * scale + dy) * side;
                    let start = row + (x + QUIET) * scale;
                    pixels[start..start + scale].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side as u32, side as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc
            .write_header()
            .map_err(|e| RegistryError::Internal(format!("PNG: {e}")))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| RegistryError::Internal(format!("PNG: {e}")))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str =
        "GPC1.AQxzaWctMDEyMzQ1Njc4OWFiY2RlZgABAgMEBQYHCAkKCwwNDg8FMTAzODQBB-sH5bygKuS4iRIzNTAy";

    #[test]
    fn png_is_a_square_greyscale_image_with_a_quiet_zone() {
        let bytes = png(CODE, 4).expect("png");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("frame");
        assert_eq!(info.width, info.height);
        let (w, dark) = matrix(CODE).expect("matrix");
        assert_eq!(info.width as usize, (w + 8) * 4);
        // The quiet zone is white; the top-left finder pattern starts dark.
        assert!(buf[..info.width as usize * 16].iter().all(|&p| p == 255));
        assert_eq!(buf[16 * info.width as usize + 16], 0);
        assert!(dark[0]);
    }

    #[test]
    fn the_png_scans_back_to_the_code() {
        let bytes = png(CODE, 3).expect("png");
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .expect("header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("frame");
        let side = info.width as usize;
        let mut img =
            rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| buf[y * side + x]);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, text) = grids[0].decode().expect("decodes");
        assert_eq!(text, CODE);
    }

    #[test]
    fn svg_draws_every_dark_module() {
        let s = svg(CODE).expect("svg");
        let (_, dark) = matrix(CODE).expect("matrix");
        assert_eq!(
            s.matches("h1v1h-1z").count(),
            dark.iter().filter(|d| **d).count()
        );
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
    }
}
