//! The TAK-compatible CoT streaming server: the outbound picture to TAK clients
//! (ATAK, WinTAK, iTAK, PyTAK-based tools).
//!
//! One plain TCP listener (TAK's plain streaming port is 8087) serves exactly one
//! audience: the [`Subject`] it is configured with; who connects is not authenticated,
//! so a listener is as open as its bind address. A TLS listener (TAK's 8089, `tls.rs`)
//! requires a client certificate and serves each client the audience of its
//! certificate's nation (see [`crate::tls`] for the one-CA-per-nation rule). Every
//! client of either gets, as TAK Server does:
//!
//! - on connect, a TAK protocol offer (`t-x-takp-v`, `<TakProtocolSupport version="1"/>`)
//!   and then the current picture: the latest state of every track the subject may see,
//!   as CoT XML events (`<?xml …?>` + newline + `<event>…</event>`, nothing between events);
//! - on each new picture generation, the tracks that changed since what this client was
//!   last sent, and for tracks that disappeared a stale-now update of the same uid
//!   followed by a `t-x-d-d` delete (`<link uid=…/>` + `<__forcedelete/>`, the form ATAK
//!   removes an item on); unchanged tracks are re-sent before they go stale;
//! - if it asks (`t-x-takp-q` with `<TakRequest version="1"/>` within 60 s of the
//!   offer) a `t-x-takp-r` `<TakResponse status="true"/>`, after which both directions
//!   use TAK protocol v1 stream framing (`0xbf`, varint length, protobuf).
//!
//! Inbound events are parsed, counted and logged; pings (`t-x-c-t`) are answered with
//! a pong (`t-x-c-t-r`); deletes (`t-x-d-d`) are tolerated. A listener configured with
//! an `ingest_feed` also ingests its clients' `a-*` events as that CoT feed's records
//! (journalled, then fused like any feed); without one they are not ingested. Over
//! TLS the records are owned by the client's certificate nation, not the feed's.
//!
//! Rendering is shared: the picture is released and rendered once per audience and
//! listener by a [`crate::fanout::CotStage`] (started with the audience's first client,
//! stopped after its last), and every client of that audience writes the same rendered
//! bytes (TAK protocol v1 frames are converted once, for the first client that needs
//! them). A client keeps only the number of the last snapshot it consumed.
//!
//! Back-pressure: the stage publishes its snapshots on a watch channel (latest value
//! wins) and a client writes what changed since the snapshot it last consumed, so a slow
//! client skips generations instead of queueing them; the only queue is a small bounded
//! channel of control replies. A write that does not complete within the write timeout
//! drops the client. A slow client thus lags alone, and memory per client is bounded by
//! one write (usually shared with the audience's other clients).
//!
//! Invariant: every event written — tracks, deletes and control replies alike — is
//! produced by [`emit`] ([`crate::fanout::cot_events`]), which passes it through [`guard::release`] for the listener's
//! subject at this listener's exit: control replies in the client's task, picture events
//! in the stage of the client's own subject (plain listener: its configured subject; TLS:
//! the certificate nation's audience), which the client checks on every snapshot. Control
//! replies carry no picture data and are labelled UNCLASSIFIED.

mod client;
mod tls;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use biac_model::{Classification, ConfigError, Nation, Subject};
use biac_runtime::{Picture, RuntimeHandle};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use crate::fanout::cot_events::{emit, track_uid, Outgoing};
pub use tls::{start_tls, CotTlsListener, CotTlsListenerConfig, DEFAULT_TLS_PORT};

use crate::fanout::{CotStage, Fanouts};
use crate::guard;
use crate::peer::PeerCert;

/// TAK's plain (non-TLS) streaming CoT port.
pub const DEFAULT_PORT: u16 = 8087;

/// One CoT listener in `biac serve`'s configuration: where it listens and the one
/// audience (nation and clearance) every client of it is served as.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CotListenerConfig {
    pub listen: SocketAddr,
    pub nation: Nation,
    pub clearance: Classification,
    /// A configured CoT feed whose configuration (nation, default label, whether wire
    /// markings are trusted) the `a-*` events this listener's clients send are
    /// ingested as, through [`RuntimeHandle::ingest`]. None (the default): inbound
    /// events are parsed, counted and logged only. The port has no authentication
    /// (use a TLS listener for that), so opt in only where that is acceptable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingest_feed: Option<String>,
}

impl CotListenerConfig {
    pub fn subject(&self) -> Subject {
        Subject::new(self.nation, self.clearance)
    }
}

/// Tuning of a listener.
#[derive(Clone, Debug)]
pub struct CotStreamOptions {
    /// A write (one batch of events) that does not complete in this time drops the client.
    pub write_timeout: Duration,
    /// `stale` of a track event is this long after its `start` (the track's last
    /// update), so re-sending an unchanged track never extends its life.
    pub stale_ms: i64,
    /// An unchanged track is sent again after this long, so it never goes stale on a
    /// client while it is still in the picture.
    pub refresh_ms: i64,
    /// A `t-x-takp-q` is accepted this long after the offer (TAK Server: 60 s).
    pub negotiation_window: Duration,
    /// Connections beyond this are closed at once.
    pub max_clients: usize,
    /// TLS listeners: a client that has not completed its handshake in this time is
    /// dropped (its own task waits, never the accept loop).
    pub handshake_timeout: Duration,
    /// Where the guard records its decisions.
    pub audit: Option<guard::Auditor>,
}

impl Default for CotStreamOptions {
    fn default() -> Self {
        CotStreamOptions {
            write_timeout: Duration::from_secs(5),
            stale_ms: 120_000,
            refresh_ms: 60_000,
            negotiation_window: Duration::from_secs(60),
            max_clients: 256,
            handshake_timeout: Duration::from_secs(10),
            audit: None,
        }
    }
}

/// Counters of one listener.
#[derive(Debug, Default)]
pub struct CotStreamStats {
    /// Connections accepted since start.
    pub connections: AtomicU64,
    /// Clients connected now.
    pub clients: AtomicU64,
    /// Clients that switched to TAK protocol v1.
    pub negotiated: AtomicU64,
    /// Clients dropped because a write did not complete in time.
    pub dropped_stalled: AtomicU64,
    /// Connections refused because `max_clients` were connected.
    pub refused: AtomicU64,
    pub events_sent: AtomicU64,
    pub bytes_sent: AtomicU64,
    /// Inbound events parsed (pings and control included).
    pub inbound_events: AtomicU64,
    pub inbound_pings: AtomicU64,
    /// Inbound records that did not parse.
    pub inbound_rejected: AtomicU64,
    /// Observations committed from inbound events (listeners with an `ingest_feed`).
    pub ingested: AtomicU64,
    /// Inbound events the ingest feed's decoder or checks refused.
    pub ingest_rejected: AtomicU64,
    /// TLS listeners: connections refused in the handshake (no, bad or wrongly issued
    /// client certificate; timeout). [`CotTlsListener::verifier`] counts the causes.
    pub tls_refused: AtomicU64,
    /// TLS listeners: verified clients refused because no audience is configured for
    /// their nation at the listener's clearance.
    pub tls_no_audience: AtomicU64,
    /// TLS listeners: each audience's share of the counters above (clients,
    /// connections, events and bytes sent, inbound...). A TLS listener serves every
    /// nation, so its totals tell one nation how much another is sent: the metrics
    /// show a caller only its own audience's share.
    by_audience: Mutex<HashMap<Subject, Arc<CotStreamStats>>>,
}

impl CotStreamStats {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    /// The counters of `subject`'s clients at this listener (TLS listeners; created
    /// with its first client).
    pub fn audience(&self, subject: &Subject) -> Option<Arc<CotStreamStats>> {
        let m = self.by_audience.lock().unwrap_or_else(|e| e.into_inner());
        m.get(subject).cloned()
    }

    pub(crate) fn audience_or_new(&self, subject: Subject) -> Arc<CotStreamStats> {
        let mut m = self.by_audience.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(subject).or_default().clone()
    }
}

pub(crate) fn bump(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

/// A running listener.
#[derive(Clone, Debug)]
pub struct CotListener {
    pub subject: Subject,
    pub addr: SocketAddr,
    pub stats: Arc<CotStreamStats>,
}

/// What every client task of one listener shares.
pub(crate) struct Ctx {
    pub subject: Subject,
    /// The subject at this listener's exit, for the guard.
    pub egress: guard::Egress,
    /// Prefix of the per-audience track uids, e.g. `biac-JPN-SECRET`.
    pub uid_prefix: String,
    pub opts: CotStreamOptions,
    pub stats: Arc<CotStreamStats>,
    /// Where inbound `a-*` events go.
    pub ingest: Option<Ingest>,
    /// What the client's certificate proved (TLS listeners only).
    pub peer_cert: Option<PeerCert>,
    /// The listener's shared renderers, one per audience (see [`crate::fanout`]).
    pub fanouts: Arc<Fanouts<CotStage>>,
    /// The client's audience picture, for starting its renderer.
    pub pictures: watch::Receiver<Arc<Picture>>,
}

impl Ctx {
    /// Count `n` on the listener's counter `c` and, at a TLS listener (which serves
    /// many audiences), on the client's audience's share of it.
    pub(crate) fn count(&self, c: fn(&CotStreamStats) -> &AtomicU64, n: u64) {
        bump(c(&self.stats), n);
        if self.peer_cert.is_some() {
            bump(c(&self.stats.audience_or_new(self.subject)), n);
        }
    }
}

/// Where a client's inbound `a-*` events are ingested.
#[derive(Clone)]
pub(crate) struct Ingest {
    pub runtime: RuntimeHandle,
    /// The CoT feed whose configuration they are decoded and labelled with.
    pub feed: String,
    /// The nation a client certificate proved: it owns the records (see
    /// [`RuntimeHandle::ingest_as`]). `None` on plain TCP: the feed's own nation.
    pub nation: Option<Nation>,
}

/// Why a CoT listener did not start.
#[derive(Debug, thiserror::Error)]
pub enum ListenerError {
    /// The configuration names an audience, picture or feed the runtime does not keep.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The TLS listener's certificates or keys do not load.
    #[error("TLS CoT listener {listen}: {source}")]
    Tls {
        listen: SocketAddr,
        source: crate::tls::TlsError,
    },
    /// The address could not be bound.
    #[error("binding {what} {listen}: {source}")]
    Bind {
        what: &'static str,
        listen: SocketAddr,
        source: std::io::Error,
    },
    /// The bound socket could not be read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Bind `cfg.listen` and serve the picture of `cfg`'s audience from `runtime`.
/// An error when the runtime keeps no picture for that audience or the bind fails.
pub async fn start(
    cfg: &CotListenerConfig,
    runtime: &RuntimeHandle,
    opts: CotStreamOptions,
) -> Result<CotListener, ListenerError> {
    let subject = cfg.subject();
    let audience = runtime.audience_of(&subject).ok_or_else(|| {
        ConfigError::new(
            "cot_listeners",
            format!(
                "CoT listener {}: no audience {} {} is configured",
                cfg.listen, subject.nation, subject.clearance
            ),
        )
    })?;
    let pictures = runtime.pictures.get(&audience).cloned().ok_or_else(|| {
        ConfigError::new(
            "cot_listeners",
            format!(
                "CoT listener {}: no picture for {}",
                cfg.listen,
                audience.key()
            ),
        )
    })?;
    let ingest = ingest_for(cfg.listen, cfg.ingest_feed.as_deref(), runtime)?;
    let listener = TcpListener::bind(cfg.listen)
        .await
        .map_err(|source| ListenerError::Bind {
            what: "CoT listener",
            listen: cfg.listen,
            source,
        })?;
    spawn_with(listener, subject, &audience.key(), pictures, opts, ingest)
}

/// Serve `pictures` (one audience's picture channel) to every client of `listener` as
/// `subject`. `audience_key` (e.g. `JPN-SECRET`) names the track uids.
pub fn spawn(
    listener: TcpListener,
    subject: Subject,
    audience_key: &str,
    pictures: watch::Receiver<Arc<Picture>>,
    opts: CotStreamOptions,
) -> Result<CotListener, ListenerError> {
    spawn_with(listener, subject, audience_key, pictures, opts, None)
}

fn spawn_with(
    listener: TcpListener,
    subject: Subject,
    audience_key: &str,
    pictures: watch::Receiver<Arc<Picture>>,
    opts: CotStreamOptions,
    ingest: Option<Ingest>,
) -> Result<CotListener, ListenerError> {
    let addr = listener.local_addr()?;
    let stats = Arc::new(CotStreamStats::default());
    let egress = guard::Egress::new(
        subject,
        format!("cot:{addr}"),
        crate::guard::Action::Subscribe,
        opts.audit.clone(),
    );
    let ctx = Arc::new(Ctx {
        subject,
        egress,
        uid_prefix: format!("biac-{audience_key}"),
        opts,
        stats: stats.clone(),
        ingest,
        peer_cert: None,
        fanouts: Arc::default(),
        pictures,
    });
    tokio::spawn(accept_loop(listener, ctx));
    Ok(CotListener {
        subject,
        addr,
        stats,
    })
}

async fn accept_loop(listener: TcpListener, ctx: Arc<Ctx>) {
    loop {
        let (sock, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // EMFILE and the like: back off rather than spin.
                tracing::warn!(error = %e, "CoT listener: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        bump(&ctx.stats.connections, 1);
        if CotStreamStats::get(&ctx.stats.clients) >= ctx.opts.max_clients as u64 {
            bump(&ctx.stats.refused, 1);
            tracing::warn!(%peer, max = ctx.opts.max_clients, "CoT listener full: connection closed");
            drop(sock);
            continue;
        }
        bump(&ctx.stats.clients, 1);
        let _ = sock.set_nodelay(true);
        let (rd, wr) = sock.into_split();
        // Each connection is its own task: accepting never waits on a client.
        tokio::spawn(client::run(rd, wr, peer, ctx.clone()));
    }
}

/// The ingest path of a listener's `ingest_feed`: it must be a configured CoT feed.
fn ingest_for(
    listen: SocketAddr,
    feed: Option<&str>,
    runtime: &RuntimeHandle,
) -> Result<Option<Ingest>, ConfigError> {
    let Some(name) = feed else { return Ok(None) };
    match runtime.feed(name) {
        Some(f) if f.config.format == biac_model::FeedFormat::Cot => Ok(Some(Ingest {
            runtime: runtime.clone(),
            feed: name.to_string(),
            nation: None,
        })),
        Some(_) => Err(ConfigError::new(
            "ingest_feed",
            format!("CoT listener {listen}: feed {name} is not a CoT feed"),
        )),
        None => Err(ConfigError::new(
            "ingest_feed",
            format!("CoT listener {listen}: no feed {name}"),
        )),
    }
}
