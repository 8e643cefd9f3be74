//! Ingest sources: one TCP listener per feed, one task per connection.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use biac_formats::framing::Frame;
use biac_formats::FeedDecoder;
use biac_model::{FeedConfig, Observation, TimeMs};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::FeedStats;

/// Errors logged in full per connection before switching to periodic summaries, so a
/// flood of garbage cannot flood the log.
const LOG_FIRST_ERRORS: u64 = 10;
const LOG_EVERY_NTH_ERROR: u64 = 1000;

pub fn now_ms() -> TimeMs {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as TimeMs)
        .unwrap_or(0)
}

/// Accept connections for one feed forever.
pub async fn serve_feed(
    listener: TcpListener,
    cfg: FeedConfig,
    stats: Arc<FeedStats>,
    tx: mpsc::Sender<Vec<Observation>>,
    max_future_ms: i64,
) {
    loop {
        match listener.accept().await {
            Ok((sock, peer)) => {
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
    tx: mpsc::Sender<Vec<Observation>>,
    max_future_ms: i64,
) {
    let name = cfg.name.clone();
    let mut decoder = FeedDecoder::new(cfg);
    let mut framer = decoder.framer();
    let mut buf = vec![0u8; 64 * 1024];
    let mut errors = 0u64;
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
            let result = match frame {
                Frame::Record { offset, bytes } => decoder
                    .decode(&bytes, offset, now)
                    .and_then(|obs| check_plausible(&name, offset, obs, now, max_future_ms)),
                Frame::Oversized { offset, len } => Err(biac_formats::DecodeError {
                    feed: name.clone(),
                    offset,
                    reason: format!("record of {len} bytes exceeds the limit; skipped"),
                }),
            };
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
                    if let Ok(mut last) = stats.last_error.lock() {
                        *last = Some(e.to_string());
                    }
                    if errors <= LOG_FIRST_ERRORS || errors.is_multiple_of(LOG_EVERY_NTH_ERROR) {
                        tracing::warn!(feed = %name, %peer, offset = e.offset, reason = %e.reason, rejected_on_connection = errors, "rejected record");
                    }
                }
            }
        }
        // Blocking send: ingest is lossless, so a full pipeline slows the sender (TCP
        // back-pressure) instead of dropping.
        if !batch.is_empty() && tx.send(batch).await.is_err() {
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

/// Reject records whose position is impossible or whose time is too far in the future.
fn check_plausible(
    feed: &str,
    offset: u64,
    obs: Vec<Observation>,
    now: TimeMs,
    max_future_ms: i64,
) -> Result<Vec<Observation>, biac_formats::DecodeError> {
    for o in &obs {
        let reason = if !o.position.is_valid() {
            Some(format!("position {:?} out of range", o.position))
        } else if o.time_ms > now.saturating_add(max_future_ms) {
            Some(format!(
                "time {} ms is {} s in the future",
                o.time_ms,
                (o.time_ms - now) / 1000
            ))
        } else if !(o.pos_sigma_m.is_finite() && o.pos_sigma_m > 0.0) {
            Some(format!(
                "position error {} is not a positive number",
                o.pos_sigma_m
            ))
        } else {
            None
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
