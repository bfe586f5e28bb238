//! The HTTP edge of gradphoto: server-rendered pages in Chinese and English, a JSON API
//! described by OpenAPI, health and metrics endpoints, and the single place where use-case
//! errors become HTTP responses. Handlers hold no SQL and no rules: they call `App`.

// The OpenAPI document is one `json!` literal, deeper than the default limit.
#![recursion_limit = "256"]

mod api;
mod api_offline;
mod api_station;
mod csrf;
mod error;
mod i18n;
mod observe;
pub mod offline_site;
mod openapi;
mod pages;
mod registry;
mod session;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use gradphoto_app::App;

pub use error::WebError;
pub use i18n::UiLang;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub metrics: Arc<observe::Metrics>,
}

/// The whole router: pages, API, health, metrics, static assets.
pub fn router(app: App) -> Router {
    let limit = app.config.limits.upload_max_bytes + 256 * 1024;
    let state = AppState {
        app,
        metrics: Arc::new(observe::Metrics::default()),
    };
    Router::new()
        .merge(pages::routes())
        .nest(
            "/api",
            api::routes()
                .merge(api_station::routes())
                .merge(api_offline::routes()),
        )
        .nest("/registry", registry::routes())
        .route("/healthz", get(observe::healthz))
        .route("/readyz", get(observe::readyz))
        .route("/metrics", get(observe::metrics))
        .route("/static/app.css", get(pages::stylesheet))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::protect,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::track,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Serves until `shutdown` resolves, passing the client address to handlers.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router(app);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
