//! The standard image (学历照片, 教毕指〔2017〕99号) and the print sheet, as data: a campaign may
//! change the background colour or the print size, and every check, the standardizer and the
//! sheet read their numbers from here rather than from constants of their own.

use serde::{Deserialize, Serialize};

/// An inclusive range of pixels in the standard image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Smallest allowed value.
    pub min: f32,
    /// Largest allowed value.
    pub max: f32,
}

impl Band {
    /// A band from its two ends.
    pub const fn new(min: f32, max: f32) -> Band {
        Band { min, max }
    }
    /// The middle, where the standardizer aims.
    pub fn mid(&self) -> f32 {
        (self.min + self.max) / 2.0
    }
    /// Whether `v` lies inside (ends included).
    pub fn contains(&self, v: f32) -> bool {
        v >= self.min && v <= self.max
    }
}

/// What a finished standard image must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    /// Width in pixels (480).
    pub width: u32,
    /// Height in pixels (640).
    pub height: u32,
    /// Head top (hairline) distance from the top edge, px (50–110).
    pub head_top: Band,
    /// Eye line distance from the top edge, px (200–300).
    pub eye_line: Band,
    /// Face width, cheek to cheek, px (180–300).
    pub face_width: Band,
    /// Background colour (light blue RGB(100,197,255) by default; white and light grey are
    /// used by some channels).
    pub background: [u8; 3],
    /// Lowest accepted JPEG quality, estimated from the quantisation tables (60).
    pub min_quality: u8,
    /// File size the standardizer aims for, bytes: `(min, max)` = 20–40 KB.
    pub target_bytes: (usize, usize),
    /// Resolution written in the JFIF header (300 dpi).
    pub dpi: u16,
}

/// The registry's light blue.
pub const LIGHT_BLUE: [u8; 3] = [100, 197, 255];
/// White background, used by some channels.
pub const WHITE: [u8; 3] = [255, 255, 255];
/// Light grey background, used by some channels.
pub const LIGHT_GREY: [u8; 3] = [240, 240, 240];

impl Default for Spec {
    fn default() -> Spec {
        Spec {
            width: 480,
            height: 640,
            head_top: Band::new(50.0, 110.0),
            eye_line: Band::new(200.0, 300.0),
            face_width: Band::new(180.0, 300.0),
            background: LIGHT_BLUE,
            min_quality: 60,
            target_bytes: (20 * 1024, 40 * 1024),
            dpi: 300,
        }
    }
}

impl Spec {
    /// The default standard with another background colour.
    pub fn with_background(background: [u8; 3]) -> Spec {
        Spec {
            background,
            ..Spec::default()
        }
    }
}

/// The print sheet: copies of the standard photo on photo paper, for the lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrintSpec {
    /// One print, width × height in mm (two-inch: 35 × 49).
    pub photo_mm: (f32, f32),
    /// The sheet, width × height in mm (6-inch: 152 × 102).
    pub sheet_mm: (f32, f32),
    /// Print resolution (300 dpi).
    pub dpi: u32,
    /// How many prints on a sheet (8).
    pub copies: u32,
}

impl Default for PrintSpec {
    fn default() -> PrintSpec {
        PrintSpec {
            photo_mm: (35.0, 49.0),
            sheet_mm: (152.0, 102.0),
            dpi: 300,
            copies: 8,
        }
    }
}
