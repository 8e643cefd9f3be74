//! `biac serve`: the server from a configuration file (or the default feed table).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use biac_analytics::Zone;
use biac_model::{Classification, FeedConfig, Nation, Subject};
use biac_runtime::{RuntimeConfig, RuntimeHandle};
use biac_server::{AppState, Authenticator};
use biac_store::{Store, SyncPolicy};
use serde::Deserialize;

pub const DEFAULT_FEED_PORT_BASE: u16 = 47001;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// HTTP address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// JSON configuration: feeds, audiences, tokens, zones (see docs/CONFIG.md).
    #[arg(long)]
    config: Option<PathBuf>,
    /// When the journal is durable: full (fsync each commit), normal, off.
    #[arg(long, default_value = "full")]
    fsync: SyncPolicy,
}

/// The configuration file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    pub feeds: Vec<FeedEndpoint>,
    pub audiences: Vec<Subject>,
    /// Bearer token -> subject (interim until accounts and mTLS land).
    #[serde(default)]
    pub tokens: BTreeMap<String, Subject>,
    #[serde(default)]
    pub zones: Vec<Zone>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedEndpoint {
    #[serde(flatten)]
    pub feed: FeedConfig,
    pub listen: SocketAddr,
}

/// The five demo audiences: a SECRET-cleared analyst of each nation.
pub fn demo_audiences() -> Vec<Subject> {
    [
        Nation::JPN,
        Nation::USA,
        Nation::AUS,
        Nation::KOR,
        Nation::PHL,
    ]
    .into_iter()
    .map(|nation| Subject::new(nation, Classification::Secret))
    .collect()
}

pub fn runtime_config(
    data_dir: PathBuf,
    sync: SyncPolicy,
    feeds: Vec<(FeedConfig, SocketAddr)>,
    audiences: Vec<Subject>,
    zones: Vec<Zone>,
) -> RuntimeConfig {
    RuntimeConfig {
        data_dir,
        sync,
        feeds,
        audiences,
        zones,
        reorder_window_ms: 2_000,
        snapshot_every_ms: 10_000,
        max_future_ms: 60_000,
    }
}

/// Bind the HTTP listener and serve `rt`.
pub async fn serve_http(
    listener: tokio::net::TcpListener,
    rt: RuntimeHandle,
    auth: Authenticator,
) -> Result<(), String> {
    let store = Store::open(&rt.data_dir, SyncPolicy::Normal).map_err(|e| e.to_string())?;
    let state = AppState {
        runtime: rt,
        auth: Arc::new(auth),
        store: Arc::new(Mutex::new(store)),
    };
    biac_server::serve(listener, state)
        .await
        .map_err(|e| e.to_string())
}

pub async fn run(a: ServeArgs) -> Result<(), String> {
    let cfg = match &a.config {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            serde_json::from_str::<ServeConfig>(&text)
                .map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => ServeConfig {
            feeds: biac_sim::demo_feeds()
                .into_iter()
                .enumerate()
                .map(|(i, feed)| FeedEndpoint {
                    feed,
                    listen: SocketAddr::from(([127, 0, 0, 1], DEFAULT_FEED_PORT_BASE + i as u16)),
                })
                .collect(),
            audiences: demo_audiences(),
            tokens: BTreeMap::new(),
            zones: biac_analytics::demo_zones(),
        },
    };
    if cfg.tokens.is_empty() {
        tracing::warn!("no tokens configured: every API request will be refused (401)");
    }
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .map_err(|e| format!("binding {}: {e}", a.listen))?;
    let feeds = cfg.feeds.into_iter().map(|f| (f.feed, f.listen)).collect();
    let rt = biac_runtime::start(runtime_config(
        a.data_dir,
        a.fsync,
        feeds,
        cfg.audiences,
        cfg.zones,
    ))
    .await
    .map_err(|e| e.to_string())?;
    for f in &rt.feeds {
        println!(
            "feed {:<18} {:?} on {} ({})",
            f.config.name, f.config.format, f.addr, f.config.default_label
        );
    }
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("biac: serving http://{addr}/");
    serve_http(listener, rt, Authenticator::from_tokens(cfg.tokens)).await
}
