//! Drives the scenario simulator against feed listeners over real TCP, paced in real
//! time (or faster), writing ground truth alongside. The simulator's only I/O, behind
//! the `driver` feature: the scenario itself stays pure.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::{Scenario, SimConfig};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// How to run the simulator.
#[derive(Clone, Debug)]
pub struct DriverConfig {
    pub sim: SimConfig,
    /// Feed name -> listener address.
    pub endpoints: BTreeMap<String, SocketAddr>,
    /// Simulated seconds per wall-clock second.
    pub speed: f64,
    /// Simulated step, milliseconds.
    pub step_ms: i64,
    /// Stop after this much simulated time (None: run forever).
    pub duration_ms: Option<i64>,
    /// Append ground truth here every `truth_every_ms` of simulated time; the missiles'
    /// trajectories (every second of flight) go beside it, in [`missile_truth_path`].
    pub truth: Option<PathBuf>,
    pub truth_every_ms: i64,
}

/// Where the missiles' truth goes for truth file `truth`: `NAME-missiles.csv` beside
/// `NAME.csv` (the missile rows have other columns: position in 3-D, phase, impact).
pub fn missile_truth_path(truth: &std::path::Path) -> PathBuf {
    let stem = truth
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    truth.with_file_name(format!("{stem}-missiles.csv"))
}

/// Run until the duration elapses. Connections that fail are retried each step, so the
/// simulator may start before the server.
pub async fn run(cfg: DriverConfig) -> std::io::Result<()> {
    let mut scenario = Scenario::new(cfg.sim.clone());
    let mut conns: BTreeMap<String, TcpStream> = BTreeMap::new();
    let mut truth = match &cfg.truth {
        Some(p) => {
            let mut f = std::io::BufWriter::new(std::fs::File::create(p)?);
            crate::write_truth_csv_header(&mut f)?;
            let mut m = std::io::BufWriter::new(std::fs::File::create(missile_truth_path(p))?);
            scenario.write_missile_truth_csv(1.0, &mut m)?;
            m.flush()?;
            Some(f)
        }
        None => None,
    };
    let tick = Duration::from_secs_f64(cfg.step_ms as f64 / 1000.0 / cfg.speed.max(0.01));
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut elapsed = 0i64;
    let mut since_truth = i64::MAX;
    loop {
        interval.tick().await;
        let emissions = scenario.step(cfg.step_ms);
        elapsed += cfg.step_ms;
        let mut by_feed: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
        for e in emissions {
            by_feed
                .entry(e.feed)
                .or_default()
                .extend_from_slice(&e.bytes);
        }
        for (feed, bytes) in by_feed {
            let Some(addr) = cfg.endpoints.get(feed) else {
                continue;
            };
            if !conns.contains_key(feed) {
                match TcpStream::connect(addr).await {
                    Ok(s) => {
                        conns.insert(feed.to_string(), s);
                    }
                    Err(e) => {
                        tracing::debug!(feed, %addr, error = %e, "simulator cannot connect yet");
                        continue;
                    }
                }
            }
            if let Some(s) = conns.get_mut(feed) {
                if let Err(e) = s.write_all(&bytes).await {
                    tracing::warn!(feed, error = %e, "simulator lost its connection");
                    conns.remove(feed);
                }
            }
        }
        since_truth = since_truth.saturating_add(cfg.step_ms);
        if let Some(w) = truth.as_mut() {
            if since_truth >= cfg.truth_every_ms {
                since_truth = 0;
                scenario.write_truth_csv(w)?;
                w.flush()?;
            }
        }
        if cfg.duration_ms.is_some_and(|d| elapsed >= d) {
            for s in conns.values_mut() {
                let _ = s.shutdown().await;
            }
            return Ok(());
        }
    }
}
