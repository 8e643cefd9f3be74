//! The TLS streaming port (TAK's 8089): mutual TLS, one audience per client.
//!
//! A client's audience is its certificate's nation (see [`crate::tls`]) at the
//! listener's clearance; a client whose audience the runtime keeps no picture for is
//! refused. After the handshake a client is served by the same task as a plain TCP
//! client ([`super::client::run`]), with its own egress subject, track uid prefix and
//! picture channel, and the listener's shared stage of its audience (one per nation served); its `a-*` events (with an `ingest_feed`) are ingested as records
//! of its certificate's nation.
//!
//! Handshakes are bounded apart from the clients (issue 20, finding 8: 256 silent TCP
//! connections filled the 256-client limit for the 10 s handshake timeout and locked
//! everyone out): at most [`HANDSHAKES_PER_PEER`] in flight from one IP address (more are
//! closed at once) and a quarter of `max_clients` in all, so three quarters of the places
//! are always kept for clients that complete their handshake. When all handshake places
//! are taken, a new connection evicts the oldest handshake still in flight: an honest
//! client completes in milliseconds, so silent connections from many addresses delay it
//! only if they arrive faster than it handshakes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use biac_model::{Classification, Subject};
use biac_runtime::RuntimeHandle;
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use super::{
    bump, client, ingest_for, CotStreamOptions, CotStreamStats, Ctx, Ingest, ListenerError,
};
use crate::conn_limits::ConnCounter;
use crate::fanout::{CotStage, Fanouts};
use crate::guard;
use crate::tls::{peer_cert, NationVerifier, TlsFiles, VerifierStats};

/// TAK's TLS streaming CoT port.
pub const DEFAULT_TLS_PORT: u16 = 8089;

/// Handshakes in flight from one IP address; more are closed at once.
pub const HANDSHAKES_PER_PEER: usize = 8;

/// Handshakes in flight in all, out of `max_clients`: the rest is the reserve of
/// completed ones.
fn max_handshakes(max_clients: usize) -> usize {
    (max_clients / 4).max(1)
}

/// One TLS CoT listener in `biac serve`'s configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CotTlsListenerConfig {
    pub listen: SocketAddr,
    /// The clearance every client is served at; its nation comes from its certificate.
    pub clearance: Classification,
    /// Server certificate and key, and the CA of each nation whose nationals may connect.
    #[serde(flatten)]
    pub tls: TlsFiles,
    /// As for plain listeners, but the records are owned by the client's certificate
    /// nation, whatever the feed's own nation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingest_feed: Option<String>,
}

/// A running TLS listener.
#[derive(Clone, Debug)]
pub struct CotTlsListener {
    pub addr: SocketAddr,
    pub clearance: Classification,
    pub stats: Arc<CotStreamStats>,
    /// Handshake verdicts on client certificates, by cause.
    pub verifier: Arc<VerifierStats>,
}

struct Shared {
    addr: SocketAddr,
    clearance: Classification,
    acceptor: TlsAcceptor,
    runtime: RuntimeHandle,
    opts: CotStreamOptions,
    stats: Arc<CotStreamStats>,
    ingest: Option<Ingest>,
    /// One shared renderer per audience (certificate nation) served here.
    fanouts: Arc<Fanouts<CotStage>>,
    /// Handshakes in flight per peer.
    handshakes: Arc<ConnCounter>,
    /// Handshakes in flight, oldest first, each with the sender that evicts it.
    in_flight: std::sync::Mutex<std::collections::VecDeque<(u64, oneshot::Sender<()>)>>,
    next_handshake: std::sync::atomic::AtomicU64,
}

/// Takes a handshake off the in-flight list when it ends, however it ends.
struct InFlight {
    sh: Arc<Shared>,
    id: u64,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut q = self.sh.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        q.retain(|(i, _)| *i != self.id);
    }
}

/// Load the certificates, bind `cfg.listen` and serve every verified client its own
/// nation's picture at `cfg.clearance`.
pub async fn start_tls(
    cfg: &CotTlsListenerConfig,
    runtime: &RuntimeHandle,
    opts: CotStreamOptions,
) -> Result<CotTlsListener, ListenerError> {
    let (server_config, verifier) =
        cfg.tls
            .server_config()
            .map_err(|source| ListenerError::Tls {
                listen: cfg.listen,
                source,
            })?;
    let ingest = ingest_for(cfg.listen, cfg.ingest_feed.as_deref(), runtime)?;
    warn_unserved(cfg, runtime, &verifier);
    let listener = TcpListener::bind(cfg.listen)
        .await
        .map_err(|source| ListenerError::Bind {
            what: "TLS CoT listener",
            listen: cfg.listen,
            source,
        })?;
    let addr = listener.local_addr()?;
    let stats = Arc::new(CotStreamStats::default());
    let shared = Arc::new(Shared {
        addr,
        clearance: cfg.clearance,
        acceptor: TlsAcceptor::from(server_config),
        runtime: runtime.clone(),
        opts,
        stats: stats.clone(),
        ingest,
        fanouts: Arc::default(),
        handshakes: Arc::new(ConnCounter::new("TAK TLS handshake")),
        in_flight: Default::default(),
        next_handshake: Default::default(),
    });
    tokio::spawn(accept_loop(listener, shared));
    Ok(CotTlsListener {
        addr,
        clearance: cfg.clearance,
        stats,
        verifier: verifier.stats.clone(),
    })
}

/// A nation with a CA but no audience can connect but is always refused: say so once.
fn warn_unserved(cfg: &CotTlsListenerConfig, rt: &RuntimeHandle, v: &NationVerifier) {
    for n in v.nations() {
        if rt.audience_of(&Subject::new(n, cfg.clearance)).is_none() {
            tracing::warn!(listen = %cfg.listen, nation = %n, clearance = %cfg.clearance,
                "TLS CoT listener: a CA is configured for this nation but no audience; its clients will be refused");
        }
    }
}

async fn accept_loop(listener: TcpListener, sh: Arc<Shared>) {
    loop {
        let (sock, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "TLS CoT listener: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        bump(&sh.stats.connections, 1);
        // A handshake holds a place of its own until it completes or times out.
        let Some(handshake) = sh
            .handshakes
            .admit(peer.ip(), HANDSHAKES_PER_PEER, usize::MAX)
        else {
            bump(&sh.stats.refused, 1);
            continue;
        };
        let (evict, evicted) = oneshot::channel();
        let id = sh
            .next_handshake
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        {
            let mut q = sh.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            if q.len() >= max_handshakes(sh.opts.max_clients) {
                if let Some((_, oldest)) = q.pop_front() {
                    let _ = oldest.send(());
                }
            }
            q.push_back((id, evict));
        }
        let in_flight = InFlight { sh: sh.clone(), id };
        // Handshaking connections count too: they hold memory and a task.
        if CotStreamStats::get(&sh.stats.clients) >= sh.opts.max_clients as u64 {
            bump(&sh.stats.refused, 1);
            tracing::warn!(%peer, max = sh.opts.max_clients, "TLS CoT listener full: connection closed");
            continue;
        }
        bump(&sh.stats.clients, 1);
        let _ = sock.set_nodelay(true);
        // The handshake happens in the connection's task: accepting never waits on it.
        tokio::spawn(connection(
            sock,
            peer,
            sh.clone(),
            (handshake, in_flight, evicted),
        ));
    }
}

/// Handshake, find the client's audience, then serve it like any client.
async fn connection(
    sock: TcpStream,
    peer: SocketAddr,
    sh: Arc<Shared>,
    (handshake, in_flight, evicted): (
        crate::conn_limits::ConnGuard,
        InFlight,
        oneshot::Receiver<()>,
    ),
) {
    let refuse = |counter: &std::sync::atomic::AtomicU64| {
        bump(counter, 1);
        sh.stats
            .clients
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    };
    let handshaking = tokio::time::timeout(sh.opts.handshake_timeout, sh.acceptor.accept(sock));
    let done = tokio::select! {
        r = handshaking => r,
        _ = evicted => {
            refuse(&sh.stats.tls_refused);
            tracing::warn!(%peer, "TAK TLS handshake refused: connection limit (the oldest of too many handshakes in flight)");
            return;
        }
    };
    let tls = match done {
        Ok(Ok(s)) => {
            drop((handshake, in_flight));
            s
        }
        Ok(Err(e)) => {
            refuse(&sh.stats.tls_refused);
            tracing::warn!(%peer, error = %e, "TAK TLS client refused in the handshake");
            return;
        }
        Err(_) => {
            refuse(&sh.stats.tls_refused);
            tracing::warn!(%peer, timeout = ?sh.opts.handshake_timeout, "TAK TLS client refused: handshake timed out");
            return;
        }
    };
    // The verifier has accepted the leaf, so it parses and names its nation.
    let cert = match tls.get_ref().1.peer_certificates().and_then(|c| c.first()) {
        Some(der) => peer_cert(der),
        None => Err(crate::tls::TlsError::NoClientCertificate),
    };
    let cert = match cert {
        Ok(c) => c,
        Err(e) => {
            refuse(&sh.stats.tls_refused);
            tracing::warn!(%peer, error = %e, "TAK TLS client refused");
            return;
        }
    };
    let subject = Subject::new(cert.nation, sh.clearance);
    let found = sh
        .runtime
        .audience_of(&subject)
        .and_then(|a| Some((a, sh.runtime.pictures.get(&a)?.clone())));
    let Some((audience, pictures)) = found else {
        refuse(&sh.stats.tls_no_audience);
        tracing::warn!(%peer, nation = %cert.nation, clearance = %sh.clearance, common_name = ?cert.common_name,
            "TAK TLS client refused: no audience is configured for its nation at this listener's clearance");
        return;
    };
    let ctx = Arc::new(Ctx {
        subject,
        egress: guard::Egress::new(
            subject,
            format!("cot+tls:{}", sh.addr),
            crate::guard::Action::Subscribe,
            sh.opts.audit.clone(),
        ),
        uid_prefix: format!("biac-{}", audience.key()),
        opts: sh.opts.clone(),
        stats: sh.stats.clone(),
        ingest: sh.ingest.clone().map(|i| Ingest {
            nation: Some(cert.nation),
            ..i
        }),
        peer_cert: Some(cert),
        fanouts: sh.fanouts.clone(),
        pictures,
    });
    let (rd, wr) = tokio::io::split(tls);
    client::run(rd, wr, peer, ctx).await;
}
