//! The HTTP server: `/api/v1` and the embedded web page.
//!
//! Invariants: every handler that returns labelled data obtains it through
//! [`guard`], which calls the one release decision; a caller without a valid bearer
//! token gets 401 and nothing else; "not visible" and "does not exist" answer alike.
//!
//! Modules depend on each other in layers, never in a cycle (`tests/module_graph.rs`):
//! the guard, the renderer, the route table and request policy (`authz`) and the
//! connection identity (`peer`) depend on no other module here; authentication,
//! the fan-out and the CoT listeners build on those; the shared handler state, the
//! request extractor (`caller`) and the handlers (`routes`, `ws`, `metrics`) on top.

pub mod acks;
mod alerts;
pub mod auth;
pub mod authz;
pub mod caller;
pub mod conn_limits;
pub mod cot_stream;
pub mod fanout;
pub mod guard;
pub mod https;
pub mod maritime;
pub mod metrics;
pub mod openapi;
pub mod peer;
pub mod render;
mod routes;
pub mod signed;
pub mod state;
pub mod tls;
mod web;
pub mod ws;

pub use authz::{access as routes_access, Access, ROUTES};

pub use auth::Authenticator;
pub use state::AppState;

/// The renderings the WebSocket used per client before [`fanout`], for the fan-out
/// bench's copy of that path. Not an API.
#[doc(hidden)]
pub mod bench_support {
    use biac_model::{Label, TimeMs, Track};

    pub fn feature(t: &Track) -> serde_json::Value {
        crate::render::feature(t, &crate::render::Sources::all())
    }
    pub fn view_marking<'a>(labels: impl Iterator<Item = &'a Label>) -> String {
        crate::render::view_marking(labels)
    }
    pub fn iso(t: TimeMs) -> String {
        crate::render::iso(t)
    }
}

/// The API and web page as a router (a TLS listener serves this, inserting each
/// connection's [`peer::PeerCert`] into the requests' extensions).
pub fn app(state: AppState) -> axum::Router {
    routes::router(state)
}

/// Serve until the process ends, under the default [`conn_limits::HttpLimits`]. Every
/// request carries the peer's `ConnectInfo<SocketAddr>`.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    serve_with(listener, state, conn_limits::HttpLimits::default()).await
}

/// [`serve`] under `limits`: header-read timeout, per-peer and total connection limits.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: conn_limits::HttpLimits,
) -> std::io::Result<()> {
    conn_limits::serve_plain(listener, routes::router(state), limits).await
}

/// Serve over HTTPS until the process ends: every request of a client that presented
/// a certificate carries its [`peer::PeerCert`] (see [`https`]).
pub async fn serve_https(listener: https::HttpsListener, state: AppState) -> std::io::Result<()> {
    https::serve_router(listener, routes::router(state)).await
}
