//! The registry side and the agency's link to it, end to end on the real router (SQLite and
//! PostgreSQL): the API, the student's pages, the desk, the outbox, status reports, the
//! secretary's queue and the verification window. One test binary, so the app is linked
//! once for all of them.

#[path = "registry/api.rs"]
mod api;
#[path = "registry/desk.rs"]
mod desk;
#[path = "registry/outbox.rs"]
mod outbox;
#[path = "registry/pages.rs"]
mod pages;
#[path = "registry/report.rs"]
mod report;
#[path = "registry/secretary.rs"]
mod secretary;
#[path = "registry/support.rs"]
mod support;
#[path = "registry/verification.rs"]
mod verification;
