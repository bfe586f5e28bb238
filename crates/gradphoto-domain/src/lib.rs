//! The pure heart of gradphoto: values parsed once (student numbers, ID documents,
//! money), the eligibility rules of a campaign, the access policy and the state machines.
//!
//! This crate does no I/O and depends on no other gradphoto crate, so every rule can be
//! unit-tested in isolation and reused by the server, the CLI and the offline station.

pub mod calendar;
pub mod campaign;
pub mod eligibility;
pub mod i18n;
pub mod id_document;
pub mod makeup;
pub mod online;
pub mod online_photo;
pub mod onsite;
pub mod onsite_offline;
pub mod onsite_plan;
pub mod onsite_sheet;
pub mod otp;
pub mod payments;
pub mod people;
pub mod policy;
pub mod prints;
pub mod roster;
pub mod sample;
pub mod term;
