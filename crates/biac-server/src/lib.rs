//! The HTTP server: `/api/v1` and the embedded web page.
//!
//! Invariants: every handler that returns labelled data obtains it through
//! [`guard`], which calls the one release decision; a caller without a valid bearer
//! token gets 401 and nothing else; "not visible" and "does not exist" answer alike.

pub mod auth;
pub mod authz;
pub mod conn_limits;
pub mod cot_stream;
pub mod fanout;
pub mod guard;
pub mod https;
pub mod metrics;
pub mod openapi;
pub mod peer;
mod routes;
pub mod signed;
pub mod tls;
mod web;
pub mod ws;

pub use routes::{access as routes_access, Access, ROUTES};

use std::sync::{Arc, Mutex};

use biac_runtime::RuntimeHandle;
use biac_store::Store;

pub use auth::Authenticator;

/// The renderings the WebSocket used per client before [`fanout`], for the fan-out
/// bench's copy of that path. Not an API.
#[doc(hidden)]
pub mod bench_support {
    use biac_model::{Label, TimeMs, Track};

    pub fn feature(t: &Track) -> serde_json::Value {
        crate::routes::feature(t)
    }
    pub fn view_marking<'a>(labels: impl Iterator<Item = &'a Label>) -> String {
        crate::routes::view_marking(labels)
    }
    pub fn iso(t: TimeMs) -> String {
        crate::routes::iso(t)
    }
}

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState {
    pub runtime: RuntimeHandle,
    pub auth: Arc<Authenticator>,
    /// A read connection to the history (SQLite allows readers beside the writers).
    pub store: Arc<Mutex<Store>>,
    /// Where the egress guard records its decisions (`None`: not audited, tests only).
    pub audit: Option<guard::Auditor>,
    /// The TAK streaming listeners running beside the API (for their counters in
    /// `/api/v1/metrics`).
    pub cot_listeners: Vec<cot_stream::CotListener>,
    /// The TAK mutual-TLS listeners (their counters in `/api/v1/metrics`).
    pub cot_tls_listeners: Vec<cot_stream::CotTlsListener>,
    /// Feeds that accept only signed reports, and their signers' keys.
    pub signers: Arc<signed::FeedSigners>,
    /// The WebSocket's shared renderers, one per audience (see [`fanout`]).
    pub ws_fanouts: Arc<fanout::Fanouts<fanout::WsStage>>,
}

impl AppState {
    /// State with no TAK listeners and no signed feeds; set those fields after.
    pub fn new(
        runtime: RuntimeHandle,
        auth: Authenticator,
        store: Store,
        audit: Option<guard::Auditor>,
    ) -> Self {
        AppState {
            runtime,
            auth: Arc::new(auth),
            store: Arc::new(Mutex::new(store)),
            audit,
            cot_listeners: Vec::new(),
            cot_tls_listeners: Vec::new(),
            signers: Arc::default(),
            ws_fanouts: Arc::default(),
        }
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
