//! The registry's HTTP side, mounted at `/registry` when this process hosts it. Schools and
//! agencies call its API with their own bearer tokens (not staff sessions): it is another
//! party, which the agency side reaches only through these routes.

mod api;
mod pages;

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .nest("/v1", api::routes())
        .merge(pages::routes())
}
