//! `biac serve --role ingest`: the distributed mode's ingest node. The feeds of the serve
//! configuration are decoded, labelled and published to NATS JetStream (`biac-bus`) instead
//! of the embedded journal; no fusion, API or page runs in this process.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use biac_model::FeedConfig;

/// What one `biac` process does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Everything in one process on the embedded store (the default).
    All,
    /// Decode, label and publish the feeds' observations to the bus.
    Ingest,
}

#[derive(clap::Args)]
pub struct BusArgs {
    /// What this process does: `all` (the embedded mode) or `ingest`.
    #[arg(long, value_enum, default_value = "all")]
    pub role: Role,
    /// A NATS server of the bus (repeat for several nodes of the cluster).
    #[arg(long = "nats", value_name = "URL")]
    pub nats: Vec<String>,
    /// The bus user; its password is read from `BIAC_NATS_PASSWORD` (never an argument,
    /// which other local users can read from the process table).
    #[arg(long)]
    pub nats_user: Option<String>,
}

pub async fn run(
    a: &BusArgs,
    feeds: &[(FeedConfig, SocketAddr)],
    max_future_ms: i64,
) -> Result<(), String> {
    if a.nats.is_empty() {
        return Err("--role ingest needs --nats URL (a server of the bus)".into());
    }
    let password = match &a.nats_user {
        Some(_) => Some(
            std::env::var("BIAC_NATS_PASSWORD")
                .map_err(|_| "--nats-user needs its password in BIAC_NATS_PASSWORD".to_string())?,
        ),
        None => None,
    };
    let user = a.nats_user.as_deref().zip(password.as_deref());
    let bus = biac_bus::Bus::connect(&a.nats, user, None)
        .await
        .map_err(|e| e.to_string())?;
    let ingest = biac_runtime::bus_ingest::start_bus_ingest(feeds, max_future_ms, bus)
        .await
        .map_err(|e| e.to_string())?;
    for f in &ingest.feeds {
        println!(
            "feed {:<18} {:?} on {} ({})",
            f.config.name, f.config.format, f.addr, f.config.default_label
        );
    }
    println!(
        "biac: ingest publishing to nats {} as {}",
        a.nats.join(","),
        a.nats_user.as_deref().unwrap_or("(no user)")
    );
    let published = ingest.published.clone();
    let result = tokio::select! {
        r = ingest.publisher => r.map_err(|e| e.to_string())?.map_err(|e| e.to_string()),
        _ = tokio::signal::ctrl_c() => Ok(()),
    };
    tracing::info!(
        published = published.load(Ordering::Relaxed),
        "ingest stopped"
    );
    result
}
