//! The home page sends each person to where their work is.

use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::Page;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

async fn home(page: Page) -> Response {
    match page.staff.actor.university_id {
        Some(u) => Redirect::to(&format!("/universities/{u}")).into_response(),
        None => Redirect::to("/universities").into_response(),
    }
}
