//! Ingest sources: one TCP listener per feed, one task per connection; for datagram
//! formats (STANAG 4607) also a UDP socket on the same port, state kept per source.

use biac_model::now_ms;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use biac_formats::framing::Frame;
use biac_formats::{FeedDecoder, Reason};
use biac_model::{FeedConfig, Observation, TimeMs};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, oneshot};

use crate::FeedStats;

/// What ingest sources hand the storage thread: observations, and optionally an
/// acknowledgement that fires once they are committed to the journal (under the
/// configured fsync policy). An empty batch without an ack is the storage tick.
pub(crate) struct Batch {
    pub obs: Vec<Observation>,
    pub ack: Option<Ack>,
}

/// Fires once a batch is committed, or with the journal's error (one error shared by
/// every batch of the failed commit).
pub(crate) type Ack = oneshot::Sender<Result<(), Arc<biac_store::StoreError>>>;

impl Batch {
    pub fn unacked(obs: Vec<Observation>) -> Self {
        Batch { obs, ack: None }
    }
}

/// Decode one frame and check it is plausible: the one per-record step shared by the
/// TCP listeners and HTTP ingest. `clock` is the source's clock check (one per TCP
/// connection, one per HTTP body).
pub(crate) fn decode_frame(
    decoder: &mut FeedDecoder,
    frame: Frame,
    now: TimeMs,
    clock: &mut SourceClock,
) -> Result<Vec<Observation>, biac_formats::DecodeError> {
    match frame {
        Frame::Record { offset, bytes } => {
            let name = decoder.config().name.clone();
            let r = decoder
                .decode(&bytes, offset, now)
                .and_then(|obs| check_plausible(&name, offset, obs, now, clock));
            if let Err(biac_formats::DecodeError {
                reason: Reason::AboveFeedCeiling { .. },
                ..
            }) = &r
            {
                clock.stats.above_ceiling.fetch_add(1, Ordering::Relaxed);
            }
            r
        }
        Frame::Oversized { offset, len } => Err(biac_formats::DecodeError {
            feed: decoder.config().name.clone(),
            offset,
            reason: Reason::Oversized { len },
        }),
    }
}

/// How long a source whose clock ran ahead stays quarantined after its last such record.
pub const CLOCK_QUARANTINE_MS: i64 = 10_000;

/// One source's clock check. A record stamped more than `max_ahead_ms` past the receive
/// clock is refused — so no record moves any audience's clock (the newest data time it
/// has seen) more than that beyond the wall clock — and the source is quarantined: all
/// its records are refused until it has sent none too far ahead for
/// [`CLOCK_QUARANTINE_MS`], since a clock found wrong once makes its other times
/// suspect. The decision is taken here, at ingest, against the receive clock: refused
/// records never reach the journal, so a replay (which does not read the wall clock)
/// fuses exactly what the live run fused.
///
/// The scope is the source, not the feed: several sources share a feed (TAK clients,
/// HTTP ingest), and one of them with a wrong clock must not silence the others.
#[derive(Debug)]
pub(crate) struct SourceClock {
    max_ahead_ms: i64,
    stats: Arc<FeedStats>,
    quarantined_until: Option<TimeMs>,
}

impl SourceClock {
    pub fn new(max_ahead_ms: i64, stats: Arc<FeedStats>) -> Self {
        SourceClock {
            max_ahead_ms,
            stats,
            quarantined_until: None,
        }
    }

    /// `Err(reason)` when `time_ms` may not be fused.
    fn check(&mut self, feed: &str, time_ms: TimeMs, now: TimeMs) -> Result<(), Reason> {
        let ahead = time_ms.saturating_sub(now);
        if ahead > self.max_ahead_ms {
            let until = now.saturating_add(CLOCK_QUARANTINE_MS);
            if self.quarantined_until.is_none_or(|u| u <= now) {
                self.stats.clock_quarantines.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(feed = %feed, ahead_ms = ahead, max_ahead_ms = self.max_ahead_ms,
                    quarantine_ms = CLOCK_QUARANTINE_MS,
                    "feed source clock ahead of ours: source quarantined, its records refused");
            }
            self.quarantined_until = Some(until);
            self.stats
                .quarantined_until_ms
                .fetch_max(until, Ordering::Relaxed);
            self.stats.clock_rejected.fetch_add(1, Ordering::Relaxed);
            return Err(Reason::ClockAhead {
                time_ms,
                ahead_ms: ahead,
                limit_ms: self.max_ahead_ms,
                quarantine_ms: CLOCK_QUARANTINE_MS,
            });
        }
        match self.quarantined_until {
            Some(until) if until > now => {
                self.stats.clock_rejected.fetch_add(1, Ordering::Relaxed);
                Err(Reason::Quarantined {
                    remaining_ms: until - now,
                })
            }
            Some(_) => {
                self.quarantined_until = None;
                tracing::info!(feed = %feed, "feed source clock back in bounds: quarantine over");
                Ok(())
            }
            None => Ok(()),
        }
    }
}

/// Errors logged in full per connection before switching to periodic summaries, so a
/// flood of garbage cannot flood the log.
const LOG_FIRST_ERRORS: u64 = 10;
const LOG_EVERY_NTH_ERROR: u64 = 1000;

/// Counts and logs input refused for its source address (outside the feed's `sources`):
/// the first few in full, then every thousandth, per feed — a flood of forged
/// addresses must not flood the log.
pub(crate) struct SourceRefusals {
    feed: String,
    stats: Arc<FeedStats>,
}

impl SourceRefusals {
    pub fn new(feed: &str, stats: Arc<FeedStats>) -> Self {
        SourceRefusals {
            feed: feed.to_string(),
            stats,
        }
    }

    /// Whether `cfg` takes input from `peer`; counts and reports a refusal.
    pub fn allows(&self, cfg: &FeedConfig, peer: SocketAddr, what: &str) -> bool {
        if cfg.limits.allows_source(peer.ip()) {
            return true;
        }
        let n = self.stats.refused_sources.fetch_add(1, Ordering::Relaxed) + 1;
        if let Ok(mut last) = self.stats.last_error.lock() {
            *last = Some(format!(
                "{}: {peer}: {what} refused: source not in the feed's sources",
                self.feed
            ));
        }
        if n <= LOG_FIRST_ERRORS || n.is_multiple_of(LOG_EVERY_NTH_ERROR) {
            tracing::warn!(feed = %self.feed, %peer, refused_from_other_sources = n,
                "{what} from a source not in the feed's sources: refused");
        }
        false
    }
}

/// Accept connections for one feed forever.
pub async fn serve_feed(
    listener: TcpListener,
    cfg: FeedConfig,
    stats: Arc<FeedStats>,
    tx: mpsc::Sender<Batch>,
    max_future_ms: i64,
) {
    let refusals = SourceRefusals::new(&cfg.name, stats.clone());
    loop {
        match listener.accept().await {
            Ok((sock, peer)) => {
                if !refusals.allows(&cfg, peer, "TCP connection") {
                    drop(sock);
                    continue;
                }
                stats.connections.fetch_add(1, Ordering::Relaxed);
                tracing::info!(feed = %cfg.name, %peer, "feed connection");
                let (cfg, stats, tx) = (cfg.clone(), stats.clone(), tx.clone());
                tokio::spawn(async move {
                    handle_connection(sock, peer, cfg, stats, tx, max_future_ms).await;
                });
            }
            Err(e) => {
                tracing::warn!(feed = %cfg.name, error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

async fn handle_connection(
    mut sock: TcpStream,
    peer: SocketAddr,
    cfg: FeedConfig,
    stats: Arc<FeedStats>,
    tx: mpsc::Sender<Batch>,
    max_future_ms: i64,
) {
    let name = cfg.name.clone();
    let mut decoder = FeedDecoder::new(cfg);
    let mut framer = decoder.framer();
    let mut buf = vec![0u8; 64 * 1024];
    let mut errors = 0u64;
    let mut clock = SourceClock::new(max_future_ms, stats.clone());
    loop {
        let n = match sock.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                tracing::info!(feed = %name, %peer, error = %e, "feed connection error");
                break;
            }
        };
        framer.push(&buf[..n]);
        let now = now_ms();
        let mut batch = Vec::new();
        while let Some(frame) = framer.next_frame() {
            let result = decode_frame(&mut decoder, frame, now, &mut clock);
            match result {
                Ok(obs) => {
                    stats
                        .accepted
                        .fetch_add(obs.len() as u64, Ordering::Relaxed);
                    batch.extend(obs);
                }
                Err(e) => {
                    errors += 1;
                    stats.rejected.fetch_add(1, Ordering::Relaxed);
                    // The connection names the record's source for the operator.
                    if let Ok(mut last) = stats.last_error.lock() {
                        *last = Some(format!("{e} (from {peer})"));
                    }
                    if errors <= LOG_FIRST_ERRORS || errors.is_multiple_of(LOG_EVERY_NTH_ERROR) {
                        tracing::warn!(feed = %name, %peer, offset = e.offset, reason = %e.reason, rejected_on_connection = errors, "rejected record");
                    }
                }
            }
        }
        // Blocking send: ingest is lossless, so a full pipeline slows the sender (TCP
        // back-pressure) instead of dropping.
        if !batch.is_empty() && tx.send(Batch::unacked(batch)).await.is_err() {
            break;
        }
    }
    if framer.pending() > 0 {
        errors += 1;
        stats.rejected.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(feed = %name, %peer, bytes = framer.pending(), "connection closed inside a record; truncated record rejected");
    }
    tracing::info!(feed = %name, %peer, rejected = errors, "feed connection closed");
}

/// Whether a feed also listens for UDP (one packet per datagram): a `stanag4607` feed
/// configured with `udp`.
pub(crate) fn udp_feed(format: &biac_model::FeedFormat) -> bool {
    matches!(format, biac_model::FeedFormat::Stanag4607 { udp: true })
}

/// UDP sources whose decoding state (mission date, clock check) is kept at once; a new
/// source beyond this replaces the one heard from longest ago. Only addresses in the
/// feed's `sources` get state, so forged datagrams from elsewhere cannot evict a sensor's.
pub const MAX_UDP_SOURCES: usize = 64;

/// One UDP source's state, the counterpart of a TCP connection.
struct UdpSource {
    decoder: FeedDecoder,
    clock: SourceClock,
    /// Bytes received from it so far: the offset of its next datagram, as if its
    /// datagrams were one stream.
    received: u64,
    errors: u64,
    last_heard: u64,
}

/// Receive datagrams for one feed forever: each is framed on its own (one packet, or
/// several back to back), decoded with its source's state, and counted like a TCP
/// connection's records. Errors name the source's address and the byte offset in
/// what that source sent.
pub async fn serve_udp_feed(
    sock: UdpSocket,
    cfg: FeedConfig,
    stats: Arc<FeedStats>,
    tx: mpsc::Sender<Batch>,
    max_future_ms: i64,
) {
    let name = cfg.name.clone();
    let mut sources: std::collections::HashMap<SocketAddr, UdpSource> =
        std::collections::HashMap::new();
    let mut buf = vec![0u8; 65_536];
    let mut heard = 0u64;
    let refusals = SourceRefusals::new(&name, stats.clone());
    loop {
        let (n, peer) = match sock.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                // ICMP errors surface here on some systems; the socket stays usable. A
                // pause keeps a persistent error from spinning.
                tracing::debug!(feed = %name, error = %e, "UDP receive error");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        if !refusals.allows(&cfg, peer, "UDP datagram") {
            continue;
        }
        heard += 1;
        if !sources.contains_key(&peer) {
            if sources.len() >= MAX_UDP_SOURCES {
                if let Some(oldest) = sources
                    .iter()
                    .min_by_key(|(_, s)| s.last_heard)
                    .map(|(a, _)| *a)
                {
                    sources.remove(&oldest);
                }
            }
            stats.connections.fetch_add(1, Ordering::Relaxed);
            tracing::info!(feed = %name, %peer, "UDP feed source");
            sources.insert(
                peer,
                UdpSource {
                    decoder: FeedDecoder::new(cfg.clone()),
                    clock: SourceClock::new(max_future_ms, stats.clone()),
                    received: 0,
                    errors: 0,
                    last_heard: heard,
                },
            );
        }
        let Some(src) = sources.get_mut(&peer) else {
            continue;
        };
        src.last_heard = heard;
        let base = src.received;
        src.received += n as u64;
        let mut framer = src.decoder.framer();
        framer.push(&buf[..n]);
        let now = now_ms();
        let mut batch = Vec::new();
        let mut failures = Vec::new();
        while let Some(frame) = framer.next_frame() {
            let frame = match frame {
                Frame::Record { offset, bytes } => Frame::Record {
                    offset: base + offset,
                    bytes,
                },
                Frame::Oversized { offset, len } => Frame::Oversized {
                    offset: base + offset,
                    len,
                },
            };
            match decode_frame(&mut src.decoder, frame, now, &mut src.clock) {
                Ok(obs) => {
                    stats
                        .accepted
                        .fetch_add(obs.len() as u64, Ordering::Relaxed);
                    batch.extend(obs);
                }
                Err(e) => failures.push((e.offset, e.reason.to_string())),
            }
        }
        let pending = framer.pending();
        if pending > 0 {
            failures.push((
                base + (n - pending) as u64,
                format!("datagram ends inside a packet ({pending} bytes); rejected"),
            ));
        }
        for (offset, reason) in failures {
            src.errors += 1;
            stats.rejected.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut last) = stats.last_error.lock() {
                *last = Some(format!("{name}: {peer}: offset {offset}: {reason}"));
            }
            if src.errors <= LOG_FIRST_ERRORS || src.errors.is_multiple_of(LOG_EVERY_NTH_ERROR) {
                tracing::warn!(feed = %name, %peer, offset, reason = %reason, rejected_from_source = src.errors, "rejected UDP record");
            }
        }
        // Blocking send, as for TCP: a full pipeline delays reading the socket (the
        // kernel's receive buffer then drops, which is what UDP offers).
        if !batch.is_empty() && tx.send(Batch::unacked(batch)).await.is_err() {
            return;
        }
    }
}

/// Reject records whose position is impossible or whose time is too far in the future
/// (see [`SourceClock`]).
fn check_plausible(
    feed: &str,
    offset: u64,
    obs: Vec<Observation>,
    now: TimeMs,
    clock: &mut SourceClock,
) -> Result<Vec<Observation>, biac_formats::DecodeError> {
    for o in &obs {
        let reason = if !o.position.is_valid() {
            Some(Reason::PositionOutOfRange {
                position: o.position,
            })
        } else if !(o.pos_sigma_m.is_finite() && o.pos_sigma_m > 0.0) {
            Some(Reason::BadPositionSigma {
                sigma_m: o.pos_sigma_m,
            })
        } else {
            clock.check(feed, o.time_ms, now).err()
        };
        if let Some(reason) = reason {
            return Err(biac_formats::DecodeError {
                feed: feed.to_string(),
                offset,
                reason,
            });
        }
    }
    Ok(obs)
}

/// Rejected records listed in full in an [`crate::IngestReport`]; the rest are counted.
pub const MAX_LISTED_REJECTIONS: usize = 1000;

/// Decode a whole body for one feed, send what decoded to the storage thread and wait
/// until the journal holds it.
pub(crate) async fn ingest_bytes(
    feed: &crate::FeedHandle,
    path: &crate::IngestPath,
    bytes: Vec<u8>,
) -> Result<crate::IngestReport, crate::IngestError> {
    // Decoding a large body is CPU work: keep it off the async workers.
    let (f, max_future_ms) = (feed.clone(), path.max_future_ms);
    let (report, batch) =
        tokio::task::spawn_blocking(move || decode_body(&f, &bytes, max_future_ms))
            .await
            .map_err(|_| crate::IngestError::Unavailable)?;
    if batch.is_empty() {
        return Ok(report);
    }
    let (ack_tx, ack_rx) = oneshot::channel();
    let n = batch.len() as u64;
    path.tx
        .send(Batch {
            obs: batch,
            ack: Some(ack_tx),
        })
        .await
        .map_err(|_| crate::IngestError::Unavailable)?;
    match ack_rx.await {
        Ok(Ok(())) => {
            feed.stats.accepted.fetch_add(n, Ordering::Relaxed);
            Ok(report)
        }
        Ok(Err(e)) => Err(crate::IngestError::Journal(e)),
        Err(_) => Err(crate::IngestError::Unavailable),
    }
}

/// Decode and count a whole body: the report and the observations to journal.
fn decode_body(
    feed: &crate::FeedHandle,
    bytes: &[u8],
    max_future_ms: i64,
) -> (crate::IngestReport, Vec<Observation>) {
    let name = feed.config.name.clone();
    let mut decoder = FeedDecoder::new(feed.config.clone());
    let mut framer = decoder.framer();
    framer.push(bytes);
    // A line-oriented body may omit its last terminator: the body's end ends the line.
    let line_format = matches!(
        feed.config.format,
        biac_model::FeedFormat::Ais
            | biac_model::FeedFormat::Sbs
            | biac_model::FeedFormat::Plots3d { .. }
    );
    if line_format && !bytes.is_empty() && !bytes.ends_with(b"\n") {
        framer.push(b"\n");
    }
    let now = now_ms();
    let mut clock = SourceClock::new(max_future_ms, feed.stats.clone());
    let mut report = crate::IngestReport {
        feed: name.clone(),
        ..Default::default()
    };
    let mut batch = Vec::new();
    let reject = |report: &mut crate::IngestReport, offset: u64, reason: String| {
        report.rejected_count += 1;
        if report.rejected.len() < MAX_LISTED_REJECTIONS {
            report
                .rejected
                .push(crate::RejectedRecord { offset, reason });
        }
    };
    while let Some(frame) = framer.next_frame() {
        match decode_frame(&mut decoder, frame, now, &mut clock) {
            Ok(obs) => {
                report.accepted += 1;
                report.observations += obs.len() as u64;
                batch.extend(obs);
            }
            Err(e) => reject(&mut report, e.offset, e.reason.to_string()),
        }
    }
    let pending = framer.pending();
    if pending > 0 {
        let offset = (bytes.len() - pending.min(bytes.len())) as u64;
        reject(
            &mut report,
            offset,
            format!("body ended inside a record ({pending} bytes); truncated record rejected"),
        );
    }
    feed.stats.connections.fetch_add(1, Ordering::Relaxed);
    feed.stats
        .rejected
        .fetch_add(report.rejected_count, Ordering::Relaxed);
    if let Some(last) = report.rejected.last() {
        if let Ok(mut l) = feed.stats.last_error.lock() {
            *l = Some(format!("{name}: offset {}: {}", last.offset, last.reason));
        }
        tracing::warn!(feed = %name, rejected = report.rejected_count, first_offset = report.rejected[0].offset, reason = %report.rejected[0].reason, "HTTP ingest rejected records");
    }
    (report, batch)
}
