//! The API over HTTPS, with optional client certificates.
//!
//! A client may present a certificate; if it does, it must pass the same
//! one-CA-per-nation rule as the TAK TLS port ([`crate::tls::NationVerifier`]), and every
//! request on that connection carries the [`PeerCert`] it proves in its extensions
//! (`Option<Extension<PeerCert>>` in a handler). Without one, requests carry none and
//! are authenticated as over HTTP. Handshakes run in their own tasks under a timeout,
//! so a client that never finishes one holds up no other. Connections obey
//! [`HttpLimits`] from their TCP accept on (handshakes count against the peer's share).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::serve::Listener;
use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::conn_limits::{serve_connection, ConnCounter, Guarded, HttpLimits};
use crate::peer::PeerCert;

/// Who is at the other end of an HTTPS connection.
#[derive(Clone, Debug)]
pub struct TlsPeer {
    pub addr: SocketAddr,
    /// The verified client certificate, if the client presented one.
    pub cert: Option<PeerCert>,
}

/// An axum [`Listener`] yielding TLS streams whose handshake has completed.
pub struct HttpsListener {
    local: SocketAddr,
    rx: mpsc::Receiver<(Guarded<TlsStream<TcpStream>>, TlsPeer)>,
    limits: HttpLimits,
}

/// Handshakes in flight plus completed ones not yet taken by the server.
const BACKLOG: usize = 64;

impl HttpsListener {
    /// Accept on `tcp`, handshaking each connection in its own task, under the default
    /// [`HttpLimits`].
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>, timeout: Duration) -> Self {
        Self::with_limits(tcp, config, timeout, HttpLimits::default())
    }

    /// [`HttpsListener::new`] under `limits`.
    pub fn with_limits(
        tcp: TcpListener,
        config: Arc<rustls::ServerConfig>,
        timeout: Duration,
        limits: HttpLimits,
    ) -> Self {
        let counter = Arc::new(ConnCounter::new("HTTPS connection"));
        let local = tcp
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let (tx, rx) = mpsc::channel(BACKLOG);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let (sock, addr) = match tcp.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "HTTPS: accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    return;
                }
                let per_peer = limits.max_connections_per_peer;
                let Some(guard) = counter.admit(addr.ip(), per_peer, limits.max_connections) else {
                    continue;
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    let _ = sock.set_nodelay(true);
                    let tls = match tokio::time::timeout(timeout, acceptor.accept(sock)).await {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            tracing::warn!(peer = %addr, error = %e, "HTTPS client refused in the handshake");
                            return;
                        }
                        Err(_) => {
                            tracing::warn!(peer = %addr, "HTTPS client refused: handshake timed out");
                            return;
                        }
                    };
                    let cert = match tls.get_ref().1.peer_certificates().and_then(|c| c.first()) {
                        None => None,
                        Some(der) => match crate::tls::peer_cert(der) {
                            Ok(c) => Some(c),
                            Err(e) => {
                                tracing::warn!(peer = %addr, error = %e, "HTTPS client refused");
                                return;
                            }
                        },
                    };
                    let _ = tx
                        .send((Guarded::new(tls, guard), TlsPeer { addr, cert }))
                        .await;
                });
            }
        });
        HttpsListener { local, rx, limits }
    }
}

impl Listener for HttpsListener {
    type Io = Guarded<TlsStream<TcpStream>>;
    type Addr = TlsPeer;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(c) => c,
            // The accept task ended (it never does while the server runs).
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(TlsPeer {
            addr: self.local,
            cert: None,
        })
    }
}

/// Put the connection's [`PeerCert`], if any, into the request's extensions.
async fn insert_peer_cert(
    ConnectInfo(peer): ConnectInfo<TlsPeer>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(c) = peer.cert {
        req.extensions_mut().insert(c);
    }
    next.run(req).await
}

/// Serve `router` on `listener` until the process ends, under the listener's limits.
pub async fn serve_router(mut listener: HttpsListener, router: Router) -> std::io::Result<()> {
    let app = router.layer(axum::middleware::from_fn(insert_peer_cert));
    let limits = listener.limits;
    loop {
        let (io, peer) = listener.accept().await;
        let addr = peer.addr;
        tokio::spawn(serve_connection(io, addr, Some(peer), app.clone(), limits));
    }
}
