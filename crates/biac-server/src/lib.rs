//! The HTTP server: `/api/v1` and the embedded web page.
//!
//! Invariants: every handler that returns labelled data obtains it through
//! [`guard`], which calls the one release decision; a caller without a valid bearer
//! token gets 401 and nothing else; "not visible" and "does not exist" answer alike.

pub mod auth;
pub mod cot_stream;
pub mod guard;
pub mod https;
pub mod metrics;
pub mod openapi;
pub mod peer;
mod routes;
pub mod tls;
mod web;
pub mod ws;

pub use routes::ROUTES;

use std::sync::{Arc, Mutex};

use biac_runtime::RuntimeHandle;
use biac_store::Store;

pub use auth::Authenticator;

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState {
    pub runtime: RuntimeHandle,
    pub auth: Arc<Authenticator>,
    /// A read connection to the history (SQLite allows readers beside the writers).
    pub store: Arc<Mutex<Store>>,
    /// Where the egress guard records its decisions (`None`: not audited, tests only).
    pub audit: Option<guard::Auditor>,
}

/// Serve until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, routes::router(state)).await
}

/// Serve over HTTPS until the process ends: every request of a client that presented
/// a certificate carries its [`peer::PeerCert`] (see [`https`]).
pub async fn serve_https(listener: https::HttpsListener, state: AppState) -> std::io::Result<()> {
    https::serve_router(listener, routes::router(state)).await
}
