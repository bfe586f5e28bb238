//! Identity documents (证件): the resident ID card with its check digit, passports, the
//! Hong Kong/Macau and Taiwan travel permits and the residence permit for those residents.
//! A document is validated once here; storage only ever sees a valid, normalised number.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::i18n::Msg;

/// 证件类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdType {
    /// 居民身份证 (18 characters, ISO 7064 MOD 11-2 check digit).
    ResidentId,
    /// 护照 (any nationality).
    Passport,
    /// 港澳居民来往内地通行证 (回乡证): H or M, then 8 or 10 digits.
    HkMacauPermit,
    /// 台湾居民来往大陆通行证 (台胞证): 8 digits (or the old 10).
    TaiwanPermit,
    /// 港澳台居民居住证: 18 characters like a resident ID, starting 81/82/83.
    HmtResidencePermit,
}

impl IdType {
    pub const ALL: [IdType; 5] = [
        IdType::ResidentId,
        IdType::Passport,
        IdType::HkMacauPermit,
        IdType::TaiwanPermit,
        IdType::HmtResidencePermit,
    ];

    pub fn parse(s: &str) -> Option<IdType> {
        let t = s.trim().to_ascii_lowercase();
        Some(match t.as_str() {
            "" | "身份证" | "居民身份证" | "身份证号" | "resident id" | "id card"
            | "resident_id" => IdType::ResidentId,
            "护照" | "passport" => IdType::Passport,
            "港澳居民来往内地通行证"
            | "回乡证"
            | "港澳通行证"
            | "hk/macau permit"
            | "hong kong and macau permit"
            | "hk_macau_permit" => IdType::HkMacauPermit,
            "台湾居民来往大陆通行证" | "台胞证" | "taiwan permit" | "taiwan_permit" => {
                IdType::TaiwanPermit
            }
            "港澳台居民居住证" | "居住证" | "residence permit" | "hmt_residence_permit" => {
                IdType::HmtResidencePermit
            }
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IdType::ResidentId => "resident_id",
            IdType::Passport => "passport",
            IdType::HkMacauPermit => "hk_macau_permit",
            IdType::TaiwanPermit => "taiwan_permit",
            IdType::HmtResidencePermit => "hmt_residence_permit",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            IdType::ResidentId => "居民身份证",
            IdType::Passport => "护照",
            IdType::HkMacauPermit => "港澳居民来往内地通行证",
            IdType::TaiwanPermit => "台湾居民来往大陆通行证",
            IdType::HmtResidencePermit => "港澳台居民居住证",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            IdType::ResidentId => "Resident ID card",
            IdType::Passport => "Passport",
            IdType::HkMacauPermit => "Hong Kong/Macau permit",
            IdType::TaiwanPermit => "Taiwan permit",
            IdType::HmtResidencePermit => "HK/Macau/Taiwan residence permit",
        }
    }
}

/// A validated document: type plus normalised number (upper case, no spaces).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdDocument {
    pub id_type: IdType,
    number: String,
}

/// Why a document number is refused; the message says what is wrong in both languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadIdDocument(pub Msg);

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The ISO 7064 MOD 11-2 check character of the first 17 digits of an 18-digit ID.
pub fn resident_id_check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(CHECK[(sum % 11) as usize])
}

fn bad(code: &str, zh: String, en: String) -> BadIdDocument {
    BadIdDocument(Msg::new(code, zh, en))
}

fn validate_18(n: &str, hmt: bool) -> Result<(), BadIdDocument> {
    // Messages show the masked number: they travel to pages and logs.
    let m = mask_number(n);
    if n.len() != 18
        || !n[..17].bytes().all(|b| b.is_ascii_digit())
        || !matches!(n.as_bytes()[17], b'0'..=b'9' | b'X')
    {
        return Err(bad(
            "id.format",
            format!("证件号 {m} 应为 18 位（17 位数字加 1 位数字或 X）"),
            format!("ID number {m} must be 18 characters: 17 digits then a digit or X"),
        ));
    }
    let region = &n[..2];
    let is_hmt = matches!(region, "81" | "82" | "83");
    if hmt != is_hmt {
        return Err(if hmt {
            bad(
                "id.format",
                format!("港澳台居民居住证号 {m} 应以 81、82 或 83 开头"),
                format!("Residence permit number {m} must start with 81, 82 or 83"),
            )
        } else {
            bad(
                "id.format",
                format!("身份证号 {m} 的地区码无效；港澳台居民居住证请选择对应证件类型"),
                format!(
                    "ID number {m} has an invalid region code; choose the residence permit type for HK/Macau/Taiwan residents"
                ),
            )
        });
    }
    if !(11..=83).contains(&region.parse::<u32>().unwrap_or(0)) {
        return Err(bad(
            "id.format",
            format!("身份证号 {m} 的地区码无效"),
            format!("ID number {m} has an invalid region code"),
        ));
    }
    let birth = &n[6..14];
    let date_ok = chrono::NaiveDate::parse_from_str(birth, "%Y%m%d")
        .map(|d| d.format("%Y").to_string().as_str() >= "1900")
        .unwrap_or(false);
    if !date_ok {
        return Err(bad(
            "id.birth_date",
            format!("身份证号 {m} 中的出生日期 无效"),
            format!("ID number {m} contains an invalid birth date"),
        ));
    }
    let want = resident_id_check_char(&n[..17]).unwrap_or('?');
    if n.as_bytes()[17] as char != want {
        return Err(bad(
            "id.check_digit",
            format!("身份证号 {m} 校验位错误（应为 {want}），请核对是否输错"),
            format!("ID number {m} fails its check digit (expected {want}); check for a typo"),
        ));
    }
    Ok(())
}

/// A document number as stored and indexed: spaces, hyphens and brackets dropped, upper
/// case. Lookups normalise what a person typed the same way, whatever the document type.
pub fn normalise_number(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '(' && *c != ')')
        .collect::<String>()
        .to_ascii_uppercase()
}

impl IdDocument {
    /// Validates and normalises a number for the given document type.
    pub fn parse(id_type: IdType, raw: &str) -> Result<IdDocument, BadIdDocument> {
        let n = normalise_number(raw);
        let m = mask_number(&n);
        if n.is_empty() {
            return Err(bad(
                "id.missing",
                "证件号为空".to_string(),
                "ID number is empty".to_string(),
            ));
        }
        match id_type {
            IdType::ResidentId => validate_18(&n, false)?,
            IdType::HmtResidencePermit => validate_18(&n, true)?,
            IdType::Passport => {
                let ok = (5..=20).contains(&n.len())
                    && n.bytes().all(|b| b.is_ascii_alphanumeric())
                    && n.bytes().any(|b| b.is_ascii_digit());
                if !ok {
                    return Err(bad(
                        "id.format",
                        format!("护照号 {m} 应为 5–20 位字母或数字"),
                        format!("Passport number {m} must be 5–20 letters or digits"),
                    ));
                }
            }
            IdType::HkMacauPermit => {
                let b = n.as_bytes();
                let ok = matches!(b.first(), Some(b'H' | b'M'))
                    && (n.len() == 9 || n.len() == 11)
                    && b[1..].iter().all(|c| c.is_ascii_digit());
                if !ok {
                    return Err(bad(
                        "id.format",
                        format!("港澳居民来往内地通行证号 {m} 应为 H 或 M 加 8 位（或 10 位）数字"),
                        format!(
                            "Hong Kong/Macau permit number {m} must be H or M followed by 8 (or 10) digits"
                        ),
                    ));
                }
            }
            IdType::TaiwanPermit => {
                let ok = (n.len() == 8 || n.len() == 10) && n.bytes().all(|b| b.is_ascii_digit());
                if !ok {
                    return Err(bad(
                        "id.format",
                        format!("台湾居民来往大陆通行证号 {m} 应为 8 位（或旧版 10 位）数字"),
                        format!(
                            "Taiwan permit number {m} must be 8 digits (or 10 for the old card)"
                        ),
                    ));
                }
            }
        }
        Ok(IdDocument { id_type, number: n })
    }

    /// The full number. Only the registry and the encryption layer should need it.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The form shown to everyone but the registry: `1101**********123X` for an 18-digit
    /// ID, first two and last two characters otherwise.
    pub fn masked(&self) -> String {
        mask_number(&self.number)
    }
}

/// Masks a document number, keeping its length: 4 + 4 visible for 18 characters, 2 + 2
/// visible for shorter documents.
pub fn mask_number(n: &str) -> String {
    let chars: Vec<char> = n.chars().collect();
    let keep = if chars.len() >= 15 {
        4
    } else if chars.len() >= 6 {
        2
    } else {
        1
    };
    if chars.len() <= keep * 2 {
        return "*".repeat(chars.len());
    }
    let mut s: String = chars[..keep].iter().collect();
    s.push_str(&"*".repeat(chars.len() - 2 * keep));
    s.extend(&chars[chars.len() - keep..]);
    s
}

impl fmt::Debug for IdDocument {
    // Never print the full number in logs or panics.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IdDocument({}, {})",
            self.id_type.as_str(),
            self.masked()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a valid resident ID from 17 digits by appending the check character.
    fn with_check(first17: &str) -> String {
        format!("{first17}{}", resident_id_check_char(first17).unwrap())
    }

    #[test]
    fn resident_id_check_digit() {
        // The GB 11643 worked example.
        assert_eq!(resident_id_check_char("11010519491231002"), Some('X'));
        let ok = IdDocument::parse(IdType::ResidentId, "11010519491231002x").unwrap();
        assert_eq!(ok.number(), "11010519491231002X");
        assert_eq!(ok.masked(), "1101**********002X");
        let err = IdDocument::parse(IdType::ResidentId, "110105194912310021").unwrap_err();
        assert_eq!(err.0.code, "id.check_digit");
        assert!(err.0.zh.contains("校验位") && err.0.en.contains("check digit"));
        // Messages travel to pages and logs: they carry the masked number only.
        assert!(
            !err.0.zh.contains("110105194912310021") && !err.0.en.contains("110105194912310021")
        );
        let bad = IdDocument::parse(IdType::Passport, "E1").unwrap_err();
        assert!(!bad.0.en.contains("E1 "), "{}", bad.0.en);
    }

    #[test]
    fn resident_id_format_and_birth_date() {
        assert_eq!(
            IdDocument::parse(IdType::ResidentId, "1101051949123100")
                .unwrap_err()
                .0
                .code,
            "id.format"
        );
        let bad_date = with_check("11010519490231002");
        assert_eq!(
            IdDocument::parse(IdType::ResidentId, &bad_date)
                .unwrap_err()
                .0
                .code,
            "id.birth_date"
        );
        let hmt = with_check("81000019990101123");
        assert!(IdDocument::parse(IdType::ResidentId, &hmt).is_err());
        assert!(IdDocument::parse(IdType::HmtResidencePermit, &hmt).is_ok());
    }

    #[test]
    fn permits_and_passports() {
        assert!(IdDocument::parse(IdType::HkMacauPermit, "H12345678").is_ok());
        assert!(IdDocument::parse(IdType::HkMacauPermit, "m1234567890").is_ok());
        assert!(IdDocument::parse(IdType::HkMacauPermit, "X12345678").is_err());
        assert!(IdDocument::parse(IdType::TaiwanPermit, "12345678").is_ok());
        assert!(IdDocument::parse(IdType::TaiwanPermit, "1234567").is_err());
        assert!(IdDocument::parse(IdType::Passport, "E12345678").is_ok());
        assert!(IdDocument::parse(IdType::Passport, "ABCDEFG").is_err());
        assert_eq!(
            IdDocument::parse(IdType::Passport, "E12345678")
                .unwrap()
                .masked(),
            "E1*****78"
        );
    }

    #[test]
    fn debug_never_shows_the_number() {
        let d = IdDocument::parse(IdType::ResidentId, "11010519491231002X").unwrap();
        assert!(!format!("{d:?}").contains("19491231"));
    }
}
