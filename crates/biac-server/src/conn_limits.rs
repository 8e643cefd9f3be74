//! Connection limits of the HTTP and HTTPS listeners (issue 20, finding 7: two
//! scripts holding idle connections filled all 20,000 descriptors, and health, CoT and
//! ingest stopped).
//!
//! - **Header-read timeout**: a connection must send a request's complete headers within
//!   `header_read_timeout_ms` of the server starting to wait for them — on a new
//!   connection and on a kept-alive one between requests — or it is closed (hyper's
//!   HTTP/1 header-read timer; the server speaks HTTP/1 only). That closes idle and
//!   slow-header (slowloris) connections alike. A WebSocket, once upgraded, is an
//!   authenticated subscriber and is not timed out here.
//! - **Per-peer and total limits**: a connection is counted from its TCP accept (TLS
//!   handshakes included) until it closes; beyond `max_connections_per_peer` from one IP
//!   address, or `max_connections` in all, it is closed at once. One peer can thus hold
//!   only its share, and the rest of the descriptors stay for everyone else.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::ConnectInfo;
use axum::Router;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tower_service::Service;

/// The limits (`"http"` in `biac serve`'s configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpLimits {
    /// Time a client has to send a request's headers, counted from the connection's
    /// start or the end of its previous response (so also the longest idle keep-alive).
    pub header_read_timeout_ms: u64,
    /// Open connections (handshaking ones included) from one IP address.
    pub max_connections_per_peer: usize,
    /// Open connections in all.
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout_ms: 10_000,
            max_connections_per_peer: 256,
            max_connections: 8_192,
        }
    }
}

impl HttpLimits {
    pub fn check(&self) -> Result<(), biac_model::ConfigError> {
        if self.header_read_timeout_ms == 0
            || self.max_connections_per_peer == 0
            || self.max_connections < self.max_connections_per_peer
        {
            return Err(biac_model::ConfigError::new(
                "http",
                format!(
                    "http limits {self:?}: the timeout and limits must be positive, and \
                     max_connections at least max_connections_per_peer"
                ),
            ));
        }
        Ok(())
    }
}

/// Open connections, in all and per IP address, and the ones refused. Used by the HTTP(S)
/// listeners and, for handshakes in flight, by the TAK TLS listener.
#[derive(Debug)]
pub struct ConnCounter {
    /// What the log calls the connections refused, e.g. "HTTP connection".
    what: &'static str,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
    refused: AtomicU64,
}

impl ConnCounter {
    pub fn new(what: &'static str) -> Self {
        ConnCounter {
            what,
            open: Mutex::default(),
            refused: AtomicU64::new(0),
        }
    }

    /// A place for a connection from `ip`, held until the guard drops; `None` (counted,
    /// and logged now and then) when `ip` has `per_peer` places or all have `total`.
    pub fn admit(self: &Arc<Self>, ip: IpAddr, per_peer: usize, total: usize) -> Option<ConnGuard> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let (all, peers) = &mut *open;
        let mine = peers.get(&ip).copied().unwrap_or(0);
        if mine >= per_peer || *all >= total {
            let n = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
            if n <= 10 || n.is_multiple_of(1000) {
                tracing::warn!(peer = %ip, from_peer = mine, open = *all, max_per_peer = per_peer,
                    max = total, refused = n, "{} refused: connection limit", self.what);
            }
            return None;
        }
        *all += 1;
        peers.insert(ip, mine + 1);
        Some(ConnGuard {
            counter: self.clone(),
            ip,
        })
    }

    /// Connections refused for a limit so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.lock().map(|o| o.0).unwrap_or(0)
    }
}

/// One admitted connection; frees its place when dropped.
#[derive(Debug)]
pub struct ConnGuard {
    counter: Arc<ConnCounter>,
    ip: IpAddr,
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        let mut open = self.counter.open.lock().unwrap_or_else(|p| p.into_inner());
        let (total, per_peer) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(n) = per_peer.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per_peer.remove(&self.ip);
            }
        }
    }
}

/// A connection's byte stream with its place: the place is freed when the stream is
/// dropped, whoever holds it last (the HTTP server, or a WebSocket after an upgrade).
pub struct Guarded<T> {
    io: T,
    _guard: ConnGuard,
}

impl<T> Guarded<T> {
    pub fn new(io: T, guard: ConnGuard) -> Self {
        Guarded { io, _guard: guard }
    }
    pub fn get_ref(&self) -> &T {
        &self.io
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Serve `router` on one connection with the header-read timeout. Every request carries
/// `ConnectInfo<SocketAddr>` (the peer) and, over TLS, `ConnectInfo<TlsPeer>`.
pub(crate) async fn serve_connection<T, X>(
    io: T,
    peer: SocketAddr,
    extra: Option<X>,
    router: Router,
    limits: HttpLimits,
) where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    X: Clone + Send + Sync + 'static,
{
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        if let Some(x) = &extra {
            req.extensions_mut().insert(ConnectInfo(x.clone()));
        }
        let mut router = router.clone();
        async move {
            let resp: Result<axum::response::Response, Infallible> =
                router.call(req.map(axum::body::Body::new)).await;
            resp
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_millis(limits.header_read_timeout_ms))
        .serve_connection(hyper_util::rt::TokioIo::new(io), svc)
        .with_upgrades();
    if let Err(e) = conn.await {
        tracing::debug!(%peer, error = %e, "HTTP connection ended");
    }
}

/// Accept on `listener` and serve `router` under `limits` until the process ends.
pub(crate) async fn serve_plain(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: HttpLimits,
) -> io::Result<()> {
    let counter = Arc::new(ConnCounter::new("HTTP connection"));
    loop {
        let (sock, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors, typically: wait rather than spin.
                tracing::warn!(error = %e, "HTTP: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(guard) = counter.admit(
            peer.ip(),
            limits.max_connections_per_peer,
            limits.max_connections,
        ) else {
            continue;
        };
        let _ = sock.set_nodelay(true);
        let router = router.clone();
        tokio::spawn(serve_connection::<_, ()>(
            Guarded::new(sock, guard),
            peer,
            None,
            router,
            limits,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_per_peer_and_freed() {
        let c = Arc::new(ConnCounter::new("test connection"));
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let g1 = c.admit(a, 2, 3).unwrap();
        let _g2 = c.admit(a, 2, 3).unwrap();
        assert!(c.admit(a, 2, 3).is_none(), "third from one peer");
        let _g3 = c.admit(b, 2, 3).unwrap();
        assert!(c.admit(b, 2, 3).is_none(), "fourth in all");
        drop(g1);
        assert!(c.admit(b, 2, 3).is_some(), "a freed place is free");
        assert_eq!(c.refused(), 2);
    }
}
