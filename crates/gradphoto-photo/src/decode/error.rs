//! Decode errors with stable reason codes and messages in Chinese and English.

/// Why bytes could not be turned into pixels. [`DecodeError::code`] is stable (used in JSON and
/// by the checks); the messages are for the student or the staff member who uploaded the file.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// No bytes at all.
    #[error("the file is empty")]
    Empty,
    /// The file itself is over the byte limit.
    #[error("the file is {bytes} bytes, more than the {max_bytes} allowed")]
    TooLarge {
        /// Size of the input.
        bytes: usize,
        /// The limit.
        max_bytes: usize,
    },
    /// The header declares more pixels than allowed; nothing was decoded.
    #[error(
        "the image is {width}×{height}, more than {max_width}×{max_height} or {max_pixels} pixels"
    )]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// Width limit.
        max_width: u32,
        /// Height limit.
        max_height: u32,
        /// Pixel-count limit.
        max_pixels: u64,
    },
    /// An image in a format we do not take (GIF, WebP, BMP, TIFF, HEIC/AVIF), by its magic
    /// bytes.
    #[error("an image format other than JPEG or PNG")]
    Format,
    /// Not an image at all: text, an HTML error page, random bytes.
    #[error("not an image")]
    NotImage,
    /// The file ends before the image does.
    #[error("the file is truncated")]
    Truncated,
    /// Corrupt or unsupported; the detail is for logs, not for the client.
    #[error("the image cannot be read: {0}")]
    Unreadable(String),
}

impl DecodeError {
    /// Stable reason code, one of `file.unreadable`, `file.format`, `file.too_many_pixels`.
    /// Bytes that are no image at all (an HTML page saved as `.jpg`) are `file.unreadable`, as
    /// the DEV labels have it; `file.format` is for a real image in a format we do not take.
    /// A file over the byte limit shares `file.too_many_pixels`: to the student it is the same
    /// advice (send a smaller photo), and the list of codes must not grow without need.
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::Empty
            | DecodeError::NotImage
            | DecodeError::Truncated
            | DecodeError::Unreadable(_) => "file.unreadable",
            DecodeError::Format => "file.format",
            DecodeError::TooLarge { .. } | DecodeError::TooManyPixels { .. } => {
                "file.too_many_pixels"
            }
        }
    }

    /// Message in Chinese for the person who sent the file. Internal detail is left out.
    pub fn zh(&self) -> String {
        match self {
            DecodeError::Empty => "文件为空，请重新上传照片。".into(),
            DecodeError::TooLarge { bytes, max_bytes } => format!(
                "文件过大（{} KB），上限为 {} KB，请上传较小的照片。",
                bytes / 1024,
                max_bytes / 1024
            ),
            DecodeError::TooManyPixels {
                width,
                height,
                max_width,
                max_height,
                ..
            } => format!(
                "图片尺寸过大（{width}×{height} 像素），上限为 {max_width}×{max_height} 像素，请上传较小的照片。"
            ),
            DecodeError::Format => {
                "不支持此图片格式（如 HEIC、WebP、GIF），请转换为 JPG 格式后上传。".into()
            }
            DecodeError::NotImage => "文件不是图片，请上传 JPG 格式的照片。".into(),
            DecodeError::Truncated => "文件不完整（可能上传中断），请重新上传。".into(),
            DecodeError::Unreadable(_) => "文件已损坏或无法读取，请重新导出照片后上传。".into(),
        }
    }

    /// Message in English for the person who sent the file. Internal detail is left out.
    pub fn en(&self) -> String {
        match self {
            DecodeError::Empty => "The file is empty; please upload the photo again.".into(),
            DecodeError::TooLarge { bytes, max_bytes } => format!(
                "The file is too large ({} KB; the limit is {} KB); please upload a smaller photo.",
                bytes / 1024,
                max_bytes / 1024
            ),
            DecodeError::TooManyPixels {
                width,
                height,
                max_width,
                max_height,
                ..
            } => format!(
                "The image is too large ({width}×{height} pixels; the limit is {max_width}×{max_height}); please upload a smaller photo."
            ),
            DecodeError::Format => {
                "This image format (such as HEIC, WebP or GIF) is not accepted; please convert it to JPG and upload it again.".into()
            }
            DecodeError::NotImage => "The file is not an image; please upload a JPG photo.".into(),
            DecodeError::Truncated => {
                "The file is incomplete (the upload may have been cut off); please upload it again."
                    .into()
            }
            DecodeError::Unreadable(_) => {
                "The file is damaged or cannot be read; please export the photo again and upload it."
                    .into()
            }
        }
    }
}
