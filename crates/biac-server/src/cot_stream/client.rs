//! One TAK client connection: a writer (this task) and a reader (a child task).
//!
//! The writer renders nothing of the picture itself: it writes what its audience's
//! shared CoT stage ([`crate::fanout::CotStage`]) rendered and released, keeping only
//! the number of the last snapshot it consumed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use biac_formats::cot::{self, CotEvent};
use biac_formats::framing::Frame;
use biac_formats::tak::StreamDecoder;
use biac_formats::{tak, Framer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::{bump, Ctx};
use crate::fanout::cot_events::{self as events, emit, Outgoing};
use crate::fanout::{CotSnapshot, CotStage, Subscription};

/// What the reader asks the writer to send.
#[derive(Debug)]
enum Control {
    /// Answer a `t-x-takp-q`; when accepted, switch to TAK protocol v1 after it.
    Negotiated {
        accepted: bool,
    },
    Pong,
}

/// Bounded: a client that pings faster than it reads loses pongs, nothing else.
const CONTROL_QUEUE: usize = 16;
/// Inbound events (and rejections) logged per connection before only every thousandth.
const LOG_FIRST: u64 = 10;

use biac_model::now_ms;

struct ClientCount(Arc<Ctx>);

impl Drop for ClientCount {
    fn drop(&mut self) {
        // The listener's total was counted in by the accept loop; the audience's share
        // at the start of `run`.
        self.0
            .stats
            .clients
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        if self.0.peer_cert.is_some() {
            if let Some(a) = self.0.stats.audience(&self.0.subject) {
                a.clients.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
}

/// The two halves of any byte stream a client connects over: plain TCP (its owned
/// halves, lock-free) or TLS over TCP (`tokio::io::split`).
pub(crate) trait Rd: AsyncRead + Send + Unpin + 'static {}
impl<R: AsyncRead + Send + Unpin + 'static> Rd for R {}
pub(crate) trait Wr: AsyncWrite + Send + Unpin + 'static {}
impl<W: AsyncWrite + Send + Unpin + 'static> Wr for W {}

/// Serve one connected client until it goes. The caller has counted it in
/// (`stats.clients`); it is counted out when this ends.
pub(crate) async fn run<R: Rd, W: Wr>(rd: R, wr: W, peer: SocketAddr, ctx: Arc<Ctx>) {
    let _count = ClientCount(ctx.clone());
    if ctx.peer_cert.is_some() {
        // The audience's share of the gauge and of the connections (the listener's
        // totals were counted before the handshake named the audience).
        let a = ctx.stats.audience_or_new(ctx.subject);
        bump(&a.clients, 1);
        bump(&a.connections, 1);
    }
    let (ctl_tx, ctl_rx) = mpsc::channel(CONTROL_QUEUE);
    let offered_at = Instant::now();
    let reader = tokio::spawn(read_loop(rd, peer, ctx.clone(), ctl_tx, offered_at));
    match &ctx.peer_cert {
        None => tracing::info!(%peer, subject = ?ctx.subject, "TAK client connected"),
        Some(c) => tracing::info!(%peer, subject = ?ctx.subject, common_name = ?c.common_name,
            "TAK client connected over mutual TLS"),
    }
    // The shared renderer of this client's own subject at this listener.
    let sub = ctx.fanouts.subscribe(ctx.subject, || {
        (
            CotStage::new(
                ctx.egress.clone(),
                ctx.uid_prefix.clone(),
                ctx.opts.stale_ms,
                ctx.opts.refresh_ms,
            ),
            ctx.pictures.clone(),
        )
    });
    let why = Writer {
        wr,
        peer,
        ctx: ctx.clone(),
        proto: false,
        since: None,
        buf: Vec::new(),
        shared: None,
        protouid: format!("{}-takp-{}", ctx.uid_prefix, peer.port()),
    }
    .run(sub, ctl_rx)
    .await;
    reader.abort();
    tracing::info!(%peer, reason = %why, "TAK client disconnected");
}

/// Why a client's writer stopped (logged with the disconnection).
#[derive(Debug, thiserror::Error)]
enum Disconnect {
    #[error("server shutting down")]
    ServerShutdown,
    #[error("client closed the connection")]
    ClientClosed,
    #[error("write failed: {0}")]
    WriteFailed(std::io::Error),
    #[error("stalled: a write did not complete in {0:?}")]
    Stalled(std::time::Duration),
}

/// Why an inbound event was refused (counted and logged, never answered).
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error(transparent)]
    Decode(#[from] biac_formats::Fault),
    #[error("event of {0} bytes exceeds the limit")]
    Oversized(usize),
}

/// Which shared batch of a snapshot is due.
struct SharedBatch {
    snap: Arc<CotSnapshot>,
    since: Option<u64>,
    proto: bool,
}

struct Writer<W> {
    wr: W,
    peer: SocketAddr,
    ctx: Arc<Ctx>,
    /// Writing TAK protocol v1 frames instead of XML.
    proto: bool,
    /// The last snapshot this client consumed: it has been sent (or is being sent)
    /// everything released up to it, and nothing since.
    since: Option<u64>,
    /// The client's own part of the next write: control replies, and the picture when
    /// no shared batch fits it (reused).
    buf: Vec<u8>,
    /// The picture's part of the next write when it is a batch shared with the other
    /// clients of the audience (written after `buf`).
    shared: Option<SharedBatch>,
    /// The uid of this connection's protocol offer.
    protouid: String,
}

impl<W: Wr> Writer<W> {
    /// Until the client goes or stalls; the reason.
    async fn run(
        mut self,
        mut sub: Subscription<CotStage>,
        mut ctl: mpsc::Receiver<Control>,
    ) -> Disconnect {
        let owner = self.ctx.subject.nation;
        self.push(&events::protocol_offer(owner, &self.protouid, now_ms()));
        let Some(snap) = sub.first().await else {
            return Disconnect::ServerShutdown;
        };
        self.take(&sub, snap);
        if let Err(e) = self.flush().await {
            return e;
        }
        loop {
            tokio::select! {
                snap = sub.next() => match snap {
                    // Latest wins: snapshots published while we wrote are skipped.
                    Some(snap) => self.take(&sub, snap),
                    None => return Disconnect::ServerShutdown,
                },
                c = ctl.recv() => match c {
                    None => return Disconnect::ClientClosed,
                    Some(Control::Pong) => {
                        self.push(&events::pong(owner, now_ms()));
                    }
                    Some(Control::Negotiated { accepted }) => {
                        // The response itself is XML; v1 from the next byte on.
                        self.push(&events::protocol_response(owner, &self.protouid, accepted, now_ms()));
                        if let Err(e) = self.flush().await {
                            return e;
                        }
                        if accepted && !self.proto {
                            self.proto = true;
                            self.ctx.count(|s| &s.negotiated, 1);
                            tracing::info!(peer = %self.peer, "TAK client switched to protocol v1");
                        }
                    }
                },
            }
            if let Err(e) = self.flush().await {
                return e;
            }
        }
    }

    /// Queue what this client has not been sent of `snap`: new and changed tracks,
    /// tracks due a refresh, and withdrawals of tracks no longer in it — rendered and
    /// released once for the audience, shared by its clients.
    fn take(&mut self, sub: &Subscription<CotStage>, snap: Arc<CotSnapshot>) {
        // The invariant, checked: only the render released for this client's subject.
        if snap.subject != self.ctx.subject {
            tracing::error!(peer = %self.peer, "CoT snapshot of another subject refused");
            return;
        }
        let since = self.since;
        self.since = Some(snap.seq);
        sub.consumed(snap.seq);
        if self.shared.is_none() {
            if let Some(b) = snap.shared(since, self.proto) {
                self.ctx.count(|s| &s.events_sent, b.events);
                self.shared = Some(SharedBatch {
                    snap,
                    since,
                    proto: self.proto,
                });
                return;
            }
        }
        let n = snap.write_since(since, self.proto, &mut self.buf);
        self.ctx.count(|s| &s.events_sent, n);
    }

    /// Append one control event to the batch — only what the guard releases.
    fn push(&mut self, out: &Outgoing) {
        let Some(out) = emit(&self.ctx.egress, out) else {
            return;
        };
        if self.proto {
            match events::proto_frame(&out.event) {
                Ok(b) => self.buf.extend_from_slice(&b),
                Err(e) => {
                    tracing::error!(uid = %out.event.uid, error = %e, "CoT event not convertible to TAK protocol");
                    return;
                }
            }
        } else {
            self.buf.extend_from_slice(&events::xml_frame(&out.event));
        }
        self.ctx.count(|s| &s.events_sent, 1);
    }

    /// Write the batch (own part, then shared part), or give up after the write timeout.
    async fn flush(&mut self) -> Result<(), Disconnect> {
        let shared = self.shared.take();
        let shared = shared
            .as_ref()
            .and_then(|s| s.snap.shared(s.since, s.proto))
            .map_or(&[][..], |b| &b.bytes[..]);
        if self.buf.is_empty() && shared.is_empty() {
            return Ok(());
        }
        let n = self.buf.len() + shared.len();
        let (wr, buf) = (&mut self.wr, &self.buf);
        let res = tokio::time::timeout(self.ctx.opts.write_timeout, async move {
            wr.write_all(buf).await?;
            wr.write_all(shared).await
        })
        .await;
        self.buf.clear();
        if self.buf.capacity() > 1 << 20 {
            self.buf.shrink_to(1 << 20);
        }
        match res {
            Ok(Ok(())) => {
                self.ctx.count(|s| &s.bytes_sent, n as u64);
                Ok(())
            }
            Ok(Err(e)) => Err(Disconnect::WriteFailed(e)),
            Err(_) => {
                self.ctx.count(|s| &s.dropped_stalled, 1);
                tracing::warn!(peer = %self.peer, timeout = ?self.ctx.opts.write_timeout,
                    "TAK client stalled: write timed out, dropping it");
                Err(Disconnect::Stalled(self.ctx.opts.write_timeout))
            }
        }
    }
}

/// Read what the client sends until it closes: parse, count, log; pings and protocol
/// requests go to the writer. Dropping `ctl` (returning) ends the writer too.
async fn read_loop<R: Rd>(
    mut rd: R,
    peer: SocketAddr,
    ctx: Arc<Ctx>,
    ctl: mpsc::Sender<Control>,
    offered_at: Instant,
) {
    let mut framer = Framer::cot();
    let mut decoder: Option<StreamDecoder> = None;
    let mut buf = vec![0u8; 16 * 1024];
    let mut n_events = 0u64;
    let mut n_rejected = 0u64;
    loop {
        let n = match rd.read(&mut buf).await {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "TAK client read failed");
                return;
            }
        };
        // Refusals are only counted and logged: their text is enough.
        let mut events: Vec<Result<CotEvent, Refused>> = Vec::new();
        let mut body: Vec<u8> = Vec::new();
        match &mut decoder {
            None => {
                framer.push(&buf[..n]);
                while let Some(f) = framer.next_frame() {
                    events.push(match f {
                        Frame::Record { bytes, .. } => {
                            cot::parse_event(&bytes).map_err(Refused::from)
                        }
                        Frame::Oversized { len, .. } => Err(Refused::Oversized(len)),
                    });
                }
            }
            Some(d) => {
                d.push(&buf[..n]);
                loop {
                    match d.next_message() {
                        Ok(None) => break,
                        Ok(Some(m)) if m.cot_event.is_none() => continue, // TakControl only
                        Ok(Some(m)) => events.push(tak::to_cot_event(&m).map_err(Refused::from)),
                        Err(e) => events.push(Err(e.into())),
                    }
                }
            }
        }
        for ev in events {
            let ev = match ev {
                Ok(ev) => ev,
                Err(e) => {
                    ctx.count(|s| &s.inbound_rejected, 1);
                    n_rejected += 1;
                    if n_rejected <= LOG_FIRST || n_rejected.is_multiple_of(1000) {
                        tracing::warn!(%peer, error = %e, n = n_rejected, "TAK client sent an event that does not parse");
                    }
                    continue;
                }
            };
            ctx.count(|s| &s.inbound_events, 1);
            n_events += 1;
            match ev.cot_type.as_str() {
                "t-x-c-t" => {
                    ctx.count(|s| &s.inbound_pings, 1);
                    let _ = ctl.try_send(Control::Pong);
                }
                "t-x-takp-q" => {
                    let version = events::requested_version(&ev.extra_detail);
                    let accepted = decoder.is_none()
                        && version == Some(1)
                        && offered_at.elapsed() <= ctx.opts.negotiation_window;
                    tracing::info!(%peer, ?version, accepted, "TAK protocol request");
                    if ctl.send(Control::Negotiated { accepted }).await.is_err() {
                        return;
                    }
                    if accepted {
                        // The client sends nothing more in XML after its request.
                        if framer.pending() > 0 {
                            tracing::debug!(%peer, bytes = framer.pending(), "XML after t-x-takp-q ignored");
                        }
                        decoder = Some(StreamDecoder::new());
                    }
                }
                "t-x-takp-v" | "t-x-takp-r" | "t-x-c-t-r" => {}
                t => {
                    let ingest = ctx.ingest.is_some() && t.starts_with("a-");
                    if n_events <= LOG_FIRST || n_events.is_multiple_of(1000) {
                        tracing::info!(%peer, uid = %ev.uid, cot_type = t, n = n_events, ingest, "TAK client event received");
                    }
                    if ingest {
                        body.extend_from_slice(ev.to_xml().as_bytes());
                    }
                }
            }
        }
        if let (Some(ing), false) = (&ctx.ingest, body.is_empty()) {
            let feed = &ing.feed;
            // Waits for the journal commit: back-pressure on this client's input only.
            let res = match ing.nation {
                // A certificate proved the sender's nation: the records are its own.
                Some(n) => ing.runtime.ingest_as(feed, n, &body).await,
                None => ing.runtime.ingest(feed, &body).await,
            };
            match res {
                Ok(r) => {
                    ctx.count(|s| &s.ingested, r.observations);
                    ctx.count(|s| &s.ingest_rejected, r.rejected_count);
                    for rej in &r.rejected {
                        n_rejected += 1;
                        if n_rejected <= LOG_FIRST || n_rejected.is_multiple_of(1000) {
                            tracing::warn!(%peer, feed = %feed, reason = %rej.reason, n = n_rejected, "TAK client event not ingested");
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(%peer, feed = %feed, error = %e, "TAK client events not ingested")
                }
            }
        }
    }
}
