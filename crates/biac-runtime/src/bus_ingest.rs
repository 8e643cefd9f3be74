//! The ingest role of the distributed mode: the same feed listeners, decoders, labels and
//! clock checks as the embedded pipeline, but each decoded, labelled batch goes to the bus
//! (`biac-bus`, NATS JetStream `OBS`) instead of the journal. What queued up is sent as one
//! batch while up to four earlier batches' acknowledgements are on their way; with
//! that many unacknowledged nothing more is taken, and the channel from the listeners is
//! bounded, so a slow or absent bus slows the feeds' TCP senders (lossless, as in the
//! embedded mode) rather than dropping. Each record's `Nats-Msg-Id` is its content
//! hash: a record re-sent by a reconnecting feed within the duplicate window is stored once.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use biac_bus::{Bus, BusError, InFlight};
use biac_model::FeedConfig;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;

use crate::ingest::{serve_feed, serve_udp_feed, udp_feed, Ack, Batch};
use crate::{FeedHandle, FeedStats, RuntimeError, RuntimeHandle};

/// Batches between the listeners and the publisher.
const QUEUE: usize = 64;
/// Records sent as one batch at most (as far as the queued batches reach; the bus bench's
/// best batch size), and batches whose acknowledgements may be awaited at once.
const COALESCE: usize = 1_000;
const IN_FLIGHT: usize = 4;

/// A running ingest role.
pub struct BusIngest {
    pub feeds: Vec<FeedHandle>,
    /// For the HTTP server: `RuntimeHandle::ingest` publishes to the bus and resolves once
    /// JetStream acknowledged every observation; no audiences (no pictures here).
    pub handle: RuntimeHandle,
    /// Observations JetStream acknowledged (duplicates included).
    pub published: Arc<AtomicU64>,
    /// Ends with the error that stopped publishing (the bus refused or never acknowledged a
    /// record within its retry deadline); the listeners stop with it.
    pub publisher: tokio::task::JoinHandle<Result<(), BusError>>,
}

/// Binds every feed (TCP, and UDP for datagram formats) on the caller's runtime and
/// publishes what they decode to `bus`.
pub async fn start_bus_ingest(
    feeds: &[(FeedConfig, SocketAddr)],
    max_future_ms: i64,
    bus: Bus,
    data_dir: std::path::PathBuf,
) -> Result<BusIngest, RuntimeError> {
    let (tx, mut rx) = mpsc::channel::<Batch>(QUEUE);
    let mut handles = Vec::new();
    for (fc, addr) in feeds {
        let bind_err = |source| RuntimeError::Bind {
            feed: fc.name.clone(),
            addr: *addr,
            source,
        };
        let listener = TcpListener::bind(addr).await.map_err(bind_err)?;
        let bound = listener.local_addr().map_err(bind_err)?;
        let stats = Arc::new(FeedStats::default());
        if udp_feed(&fc.format) {
            let sock = UdpSocket::bind(bound).await.map_err(bind_err)?;
            tokio::spawn(serve_udp_feed(
                sock,
                fc.clone(),
                stats.clone(),
                tx.clone(),
                max_future_ms,
            ));
        }
        tokio::spawn(serve_feed(
            listener,
            fc.clone(),
            stats.clone(),
            tx.clone(),
            max_future_ms,
        ));
        handles.push(FeedHandle {
            config: fc.clone(),
            addr: bound,
            stats,
        });
    }
    let handle = RuntimeHandle {
        feeds: handles.clone(),
        audiences: Vec::new(),
        pictures: Default::default(),
        zones: Vec::new(),
        data_dir,
        history: crate::history::HistorySync::none(),
        ingest: crate::IngestPath { tx, max_future_ms },
    };
    let published = Arc::new(AtomicU64::new(0));
    let count = published.clone();
    let publisher = tokio::spawn(async move {
        // Sending and acknowledging are two tasks with up to IN_FLIGHT batches between
        // them: a batch is sent while the previous ones' acks are on their way (one round
        // trip per batch serialised would bound the rate at batch / round trip).
        let (sent_tx, mut sent_rx) = mpsc::channel::<(InFlight, Vec<Ack>)>(IN_FLIGHT);
        let acker = tokio::spawn(async move {
            while let Some((batch, acks)) = sent_rx.recv().await {
                let stored = match batch.acked().await {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::error!(error = %e, "ingest: publishing to the bus failed; ingest stops");
                        return Err(e);
                    }
                };
                count.fetch_add(stored.len() as u64, Ordering::Relaxed);
                // HTTP ingest: acknowledged once JetStream acknowledged every record.
                for ack in acks {
                    let _ = ack.send(Ok(()));
                }
            }
            Ok(())
        });
        while let Some(first) = rx.recv().await {
            // What queued up while the last batch was sent goes together.
            let mut batches = vec![first];
            let mut n = batches[0].obs.len();
            while n < COALESCE {
                match rx.try_recv() {
                    Ok(b) => {
                        n += b.obs.len();
                        batches.push(b);
                    }
                    Err(_) => break,
                }
            }
            let mut recs = Vec::with_capacity(n);
            let mut acks = Vec::new();
            for b in batches {
                recs.extend(b.obs);
                acks.extend(b.ack);
            }
            let sent = match bus.send_observations_by_content(&recs).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "ingest: publishing to the bus failed; ingest stops");
                    return Err(e);
                }
            };
            if sent_tx.send((sent, acks)).await.is_err() {
                break; // the acker stopped: its error is the result
            }
        }
        drop(sent_tx);
        acker.await.unwrap_or(Ok(()))
    });
    Ok(BusIngest {
        feeds: handles,
        handle,
        published,
        publisher,
    })
}
