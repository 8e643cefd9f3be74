//! What every handler shares: the runtime, credentials, history, audit log, listeners.

use std::sync::{Arc, Mutex};

use biac_model::Subject;
use biac_runtime::{Audience, RuntimeHandle};
use biac_store::Storage;

use crate::acks::Acks;
use crate::auth::Authenticator;
use crate::maritime::MaritimeZones;
use crate::{cot_stream, fanout, guard, signed};

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState {
    pub runtime: RuntimeHandle,
    pub auth: Arc<Authenticator>,
    /// A read connection to the history (SQLite allows readers beside the writers), or
    /// a connection to the shared store (PostgreSQL). Blocking: use it off the executor.
    pub store: Arc<Mutex<dyn Storage + Send>>,
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
    /// Alert acknowledgements per audience (`POST /api/v1/alerts/ack`).
    pub acks: Arc<Acks>,
    /// The maritime zones per recognition (`GET /api/v1/zones/maritime`).
    pub maritime: Arc<MaritimeZones>,
}

impl AppState {
    /// State with no TAK listeners and no signed feeds; set those fields after.
    pub fn new(
        runtime: RuntimeHandle,
        auth: Authenticator,
        store: impl Storage + Send + 'static,
        audit: Option<guard::Auditor>,
    ) -> Self {
        let store: Arc<Mutex<dyn Storage + Send>> = Arc::new(Mutex::new(store));
        // Acknowledgements from before a restart; a store that cannot give them leaves
        // the page without them but the server up (acknowledging then answers 503).
        let acks = Acks::load(store.clone()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "alert acknowledgements not loaded");
            Acks::default()
        });
        AppState {
            runtime,
            auth: Arc::new(auth),
            store,
            audit,
            cot_listeners: Vec::new(),
            cot_tls_listeners: Vec::new(),
            signers: Arc::default(),
            ws_fanouts: Arc::default(),
            acks: Arc::new(acks),
            maritime: Arc::default(),
        }
    }
}

/// The caller's audience (none when the deployment keeps no picture for it: 404).
pub(crate) fn audience(state: &AppState, s: &Subject) -> Option<Audience> {
    state.runtime.audience_of(s)
}

/// The feeds `e`'s subject may see, by name: what a track's `sources` may show it.
pub(crate) fn visible_sources(state: &AppState, e: &guard::Egress) -> crate::render::Sources {
    crate::render::Sources::only(
        state
            .runtime
            .feeds
            .iter()
            .filter(|f| guard::release(e, &f.config).is_some())
            .map(|f| f.config.name.clone())
            .collect(),
    )
}
