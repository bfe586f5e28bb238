//! The offline site of an on-site day (issue 7): what a station laptop takes from the
//! server before the day (the *pack*), and what it gives back when the network returns
//! (the *push*). Both sides speak these types as JSON.
//!
//! A station holds its queue for the day: the server numbers nothing on a held queue, so
//! the station's numbers continue the queue's own 1..N and no other desk can hand out the
//! same number. Everything pushed carries the station's own reference, so pushing again
//! (a dropped connection, a second push at the end of the day) adds nothing twice. A code
//! the server finds already numbered elsewhere is kept apart as a conflict for an admin,
//! never merged.

use serde::{Deserialize, Serialize};

/// Everything a station needs to work with no network, as of `made_at`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pack {
    /// The station's name for the server: every push must carry it.
    pub station: String,
    pub made_at: i64,
    pub campaign_id: i64,
    pub campaign_name: String,
    /// Eligible students who did not register may be numbered.
    pub walk_ins: bool,
    /// What each number owes at the desk (seed 001: paid electronically there), in fen;
    /// `None` where the desk takes no fee. A station cannot take a payment with no
    /// network: it tells the desk so, and the fee stays owed on the server after the push
    /// (paid at the desk once online, or settled by the department).
    #[serde(default)]
    pub fee_at_desk_fen: Option<i64>,
    pub school_code: String,
    pub session: PackSession,
    pub queue: PackQueue,
    /// The registry's public key set with its revocation list, as the registry published
    /// it, and when the server fetched it.
    pub keys_json: String,
    pub keys_fetched_at: i64,
    /// Students the station may meet: masked, with what the desk must know of each.
    pub students: Vec<PackStudent>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackSession {
    pub id: i64,
    pub campus: String,
    pub place: String,
    /// YYYY-MM-DD, China time.
    pub day: String,
    pub starts: String,
    pub ends: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackQueue {
    pub id: i64,
    pub name: String,
    /// The queue's last number and turn when it was handed to the station: the station
    /// goes on from there.
    pub last_number: i64,
    pub last_turn: i64,
}

/// A student as the station knows them: nothing the code does not carry besides the
/// student number (for the shooting sheet) and the department.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PackStudent {
    pub student_id: i64,
    pub student_no: String,
    pub department: String,
    /// As a code carries them (see `online::CodeFacts`).
    pub level: String,
    pub graduation_year: u16,
    pub name_masked: String,
    pub id_masked: String,
    /// The campaign's rules say this student must be photographed.
    pub eligible: bool,
    pub registered: bool,
    pub photographed: bool,
    /// The session (day, time, place) this student registered for, when it is another and
    /// the campaign takes them only there (no other window, no walk-ins).
    #[serde(default)]
    pub registered_elsewhere: Option<String>,
    /// The number this student already has in the campaign, at another queue.
    pub numbered_elsewhere: Option<Numbered>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Numbered {
    pub queue: String,
    pub number: i64,
}

/// One number handed out by the station, with its latest photo and the student's
/// confirmation if they came. Sent once per push until the server has all of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushCheckin {
    /// The station's own reference, unique for ever (the station's name and its row).
    pub reference: String,
    pub number: i64,
    pub turn: i64,
    pub code_text: String,
    pub student_id: i64,
    pub desk: String,
    pub checked_in_at: i64,
    pub photo: Option<PushPhoto>,
    pub confirmed_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushPhoto {
    pub reference: String,
    /// accept | review
    pub verdict: String,
    pub reasons_json: String,
    pub background: String,
    pub source: String,
    pub taken_by: String,
    pub taken_at: i64,
    /// The standardized image and what the camera gave, base64.
    pub standard_b64: String,
    pub original_b64: String,
}

/// What the server made of one pushed number.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PushOutcome {
    /// Recorded now.
    Recorded,
    /// The server had it already (a second push); anything new in it was added.
    AlreadyHad,
    /// Kept apart for an admin: the code or student has a number elsewhere, or the
    /// server could not accept the code.
    Conflict,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushAnswer {
    pub reference: String,
    pub outcome: PushOutcome,
    /// Why, for a conflict (Chinese and English).
    pub zh: String,
    pub en: String,
}
