//! Object key validation.
//!
//! Keys reach storage from URLs, job payloads and config, so they are checked here once,
//! before any backend sees them. The rules are the intersection of what every backend
//! handles identically: a key that is valid here names the same object on a local disk, in
//! S3 and in memory, and can never climb out of the storage directory.

use crate::BlobError;

/// S3's own limit on key length, in bytes; applied everywhere so a key that works in
/// development also works in production.
const MAX_KEY_LEN: usize = 1024;

/// Checks an object key: non-empty, at most 1024 bytes, ASCII letters, digits and `-_./`
/// only, no leading `/`, no empty segment (so no trailing `/` and no `//`), and no `.` or
/// `..` segment.
pub(crate) fn validate_key(key: &str) -> Result<(), BlobError> {
    if key.is_empty() {
        return Err(invalid(key, "empty"));
    }
    validate_segments(key)
}

/// Checks a listing prefix: empty (everything) or a key, optionally with one trailing `/`.
/// Returns the prefix without the trailing `/`.
pub(crate) fn validate_prefix(prefix: &str) -> Result<&str, BlobError> {
    let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
    if trimmed.is_empty() {
        if prefix.is_empty() {
            return Ok("");
        }
        return Err(invalid(prefix, "a lone '/'"));
    }
    validate_segments(trimmed)?;
    Ok(trimmed)
}

fn validate_segments(key: &str) -> Result<(), BlobError> {
    if key.len() > MAX_KEY_LEN {
        return Err(invalid(key, "longer than 1024 bytes"));
    }
    if let Some(bad) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')))
    {
        return Err(invalid(key, &format!("character {bad:?} is not allowed")));
    }
    if key.starts_with('/') {
        return Err(invalid(key, "leading '/'"));
    }
    for segment in key.split('/') {
        match segment {
            "" => return Err(invalid(key, "empty segment")),
            "." | ".." => return Err(invalid(key, "'.' or '..' segment")),
            _ => {}
        }
    }
    if key.contains("..") {
        // Not a traversal once segments are checked, but some S3-compatible servers and
        // proxies normalise it anyway; refusing it keeps keys boring.
        return Err(invalid(key, "contains '..'"));
    }
    Ok(())
}

fn invalid(key: &str, why: &str) -> BlobError {
    // Cap what is echoed back: the key may come from a client.
    let shown: String = key.chars().take(80).collect();
    BlobError::InvalidKey(format!("{shown:?}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_keys() {
        for key in ["a", "photos/2025/x-1_y.jpg", "_health/abc", "A.B.C"] {
            assert!(validate_key(key).is_ok(), "{key}");
        }
    }

    #[test]
    fn rejects_bad_keys() {
        for key in [
            "",
            "/a",
            "a/",
            "a//b",
            "..",
            "a/../b",
            "a/./b",
            "a..b",
            "a b",
            "a\\b",
            "照片.jpg",
            "a#1",
            "a%2f",
        ] {
            assert!(
                matches!(validate_key(key), Err(BlobError::InvalidKey(_))),
                "{key:?} should be rejected"
            );
        }
        let long = "a".repeat(MAX_KEY_LEN + 1);
        assert!(validate_key(&long).is_err());
        assert!(validate_key(&"a".repeat(MAX_KEY_LEN)).is_ok());
    }

    #[test]
    fn prefixes() {
        assert_eq!(validate_prefix("").ok(), Some(""));
        assert_eq!(validate_prefix("photos/").ok(), Some("photos"));
        assert_eq!(validate_prefix("photos/2025").ok(), Some("photos/2025"));
        assert!(validate_prefix("/").is_err());
        assert!(validate_prefix("photos//").is_err());
        assert!(validate_prefix("../x").is_err());
    }
}
