//! The server's side of an offline site (issue 7): a station laptop takes a queue for the
//! day with a pack of what it needs to work with no network, and later pushes back every
//! number it handed out, with its photo and the student's confirmation. Nothing pushed is
//! trusted blindly: the code is verified again with the server's keys and must name the
//! student the station said, and the photo passes the engine again before it can go to the
//! registry. A number the campaign had already given elsewhere, or one the server cannot
//! accept, is kept as a conflict for an admin and never merged on its own.

mod conflicts;
mod pack;
mod push;

use gradphoto_domain::i18n::Msg;

use crate::AppError;

pub use conflicts::{Conflict, OfflineStations, Resolution};

/// Refusal of a desk or station step on a queue an offline station holds.
pub fn held_msg(station: &str) -> Msg {
    Msg::new(
        "onsite.queue_held",
        format!("该队列已交给离线采集站“{station}”，今天只能在该采集站签到和拍摄"),
        format!(
            "This queue is held by the offline station “{station}”: check-in and shooting happen there today"
        ),
    )
}

/// A station's name: what an operator typed, kept short and plain so it can appear in
/// references and messages.
pub(crate) fn station_name(s: &str) -> Result<String, AppError> {
    let s = s.trim();
    let ok = !s.is_empty()
        && s.chars().count() <= 40
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(AppError::invalid(
            "station.name",
            "采集站名称须为 1–40 个字母、数字、“-”、“_”或“.”",
            "A station's name is 1–40 letters, digits, “-”, “_” or “.”",
        ))
    }
}

/// A station store's id: the random hex the station made for its store.
pub(crate) fn store_id(s: &str) -> Result<String, AppError> {
    let s = s.trim();
    if (8..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(AppError::invalid(
            "station.store",
            "采集站的存储标识无效",
            "The station's store id is not valid",
        ))
    }
}

/// The largest number a station may push: far beyond any day's queue, far below overflow.
pub(crate) const MAX_NUMBER: i64 = 1_000_000;

pub(crate) fn conflict_msg(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Msg {
    Msg::new(code, zh, en)
}
