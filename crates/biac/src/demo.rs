//! `biac demo`: server + simulator in one process on the embedded default.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use biac_server::Authenticator;
use biac_sim::driver::{self, DriverConfig};
use biac_store::SyncPolicy;

use crate::serve;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// HTTP address of the web page and API (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[arg(long, default_value = "data/demo")]
    data_dir: PathBuf,
    /// Keep the previous demo's journal and replay it (default: start afresh).
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    sim: SimOptions,
    /// When the journal is durable: full, normal (survives a crash of the process), off.
    #[arg(long, default_value = "normal")]
    fsync: SyncPolicy,
    /// TAK streaming CoT (plain TCP): one listener per demo audience on consecutive
    /// ports from this one (0: any free ports).
    #[arg(long, default_value_t = biac_server::cot_stream::DEFAULT_PORT)]
    cot_port_base: u16,
    /// TAK streaming CoT over mutual TLS (0: any free port): each client is served its
    /// certificate nation's picture. The demo PKI is created in DATA_DIR/pki on first
    /// use (see `biac certs`). Not TAK's 8089: the plain ports take 8087-8091.
    #[arg(long, default_value_t = 8092)]
    cot_tls_port: u16,
}

/// How the simulator runs, for `biac demo` and `biac sim`.
#[derive(clap::Args)]
pub struct SimOptions {
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated seconds per wall-clock second.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Stop the simulator after this many simulated seconds (a server keeps serving).
    #[arg(long)]
    pub duration_s: Option<u64>,
    /// Write the simulator's ground truth (CSV) here.
    #[arg(long)]
    pub truth: Option<PathBuf>,
}

impl SimOptions {
    /// The driver configuration for these options, starting now.
    pub fn driver(&self, endpoints: BTreeMap<String, SocketAddr>) -> DriverConfig {
        DriverConfig {
            sim: biac_sim::SimConfig {
                seed: self.seed,
                start_ms: now_s_ms(),
                // The scripted gray-zone behaviours (the demo's behaviour rules watch them).
                scripted: true,
                ..Default::default()
            },
            endpoints,
            speed: self.speed,
            step_ms: 1000,
            duration_ms: self.duration_s.map(|s| s as i64 * 1000),
            truth: self.truth.clone(),
            truth_every_ms: 1000,
        }
    }
}

/// Now, in whole seconds, as milliseconds (AIS tag blocks carry whole seconds).
pub fn now_s_ms() -> i64 {
    biac_model::now_ms() / 1000 * 1000
}

pub async fn run(a: DemoArgs) -> Result<(), String> {
    if !a.resume {
        for f in ["biac.sqlite", "biac.sqlite-wal", "biac.sqlite-shm"] {
            let _ = std::fs::remove_file(a.data_dir.join(f));
        }
    }
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .map_err(|e| format!("binding {}: {e}", a.listen))?;
    let feeds = biac_sim::demo_feeds()
        .into_iter()
        .map(|f| (f, SocketAddr::from(([127, 0, 0, 1], 0))))
        .collect();
    let mut cfg = serve::runtime_config(
        a.data_dir.clone(),
        a.fsync,
        feeds,
        serve::demo_audiences(),
        biac_analytics::demo_zones(),
    );
    cfg.behaviour = serve::build_behaviour(
        Some(&biac_runtime::behaviour::BehaviourConfig::demo()),
        &Default::default(),
        &serve::demo_audiences(),
    )?;
    if a.sim.speed > 1.0 {
        // Faster than real time runs ahead of the wall clock by design.
        cfg.max_future_ms = i64::MAX / 4;
    }
    let rt = biac_runtime::start(cfg).await.map_err(|e| e.to_string())?;

    let endpoints = rt
        .feeds
        .iter()
        .map(|f| (f.config.name.clone(), f.addr))
        .collect();
    let sim = a.sim.driver(endpoints);
    tokio::spawn(async move {
        if let Err(e) = driver::run(sim).await {
            tracing::error!(error = %e, "simulator stopped");
        }
    });

    // The demo keeps the audit key and witness beside its data directory (the defaults
    // of `biac serve`); it says so.
    let audit = serve::open_audit(&rt.data_dir, &serve::AuditCustody::default())?;
    println!("  (demo: the audit signing key and witness were created beside the data directory; a deployment keeps them where its administrators cannot rewrite them)");
    let mut cot = Vec::new();
    for (i, s) in serve::demo_audiences().into_iter().enumerate() {
        let port = match a.cot_port_base {
            0 => 0,
            b => b.saturating_add(i as u16),
        };
        let c = biac_server::cot_stream::CotListenerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            nation: s.nation,
            clearance: s.clearance,
            ingest_feed: None,
        };
        // The demo goes on without a port that is taken (another demo running).
        let opts = biac_server::cot_stream::CotStreamOptions {
            audit: Some(audit.clone()),
            ..Default::default()
        };
        match biac_server::cot_stream::start(&c, &rt, opts).await {
            Ok(l) => cot.push(l),
            Err(e) => tracing::warn!(error = %e, "TAK listener not started"),
        }
    }

    let tls = match demo_tls(&a, &rt, &audit).await {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::warn!(error = %e, "TAK TLS listener not started");
            None
        }
    };

    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!(
        "biac demo: {} feeds, simulator seed {} at {}x",
        rt.feeds.len(),
        a.sim.seed,
        a.sim.speed
    );
    for f in &rt.feeds {
        println!(
            "  feed {:<18} {:?} on {} ({})",
            f.config.name, f.config.format, f.addr, f.config.default_label
        );
    }
    println!("  demo logins (bearer tokens; pick one on the page):");
    let auth = Authenticator::demo();
    for (token, s) in auth.subjects() {
        println!(
            "    {token:<9} {} analyst, cleared {}",
            s.nation, s.clearance
        );
    }
    println!("  demo accounts (POST /api/v1/session): analyst-jpn, analyst-usa, analyst-aus, analyst-kor, analyst-phl; password \"demo\"");
    for l in &cot {
        println!("  {}", serve::cot_line(l));
    }
    if let Some((l, pki)) = &tls {
        println!("  {}", serve::cot_tls_line(l));
        println!(
            "    user certificates in {} (trust {} for the server)",
            pki.dir.join("users").display(),
            pki.hub_ca_cert().display()
        );
    }
    println!("  open http://{addr}/  (API: curl -H 'Authorization: Bearer demo-jpn' http://{addr}/api/v1/tracks)");
    println!("biac: serving http://{addr}/");
    let cot_tls = tls.into_iter().map(|(l, _)| l).collect();
    serve::serve_http(
        listener,
        rt,
        auth,
        audit,
        (cot, cot_tls),
        Default::default(),
    )
    .await
}

/// The demo's TLS CoT listener, with a demo PKI for the demo nations in
/// `DATA_DIR/pki` (created once, reused by later runs).
async fn demo_tls(
    a: &DemoArgs,
    rt: &biac_runtime::RuntimeHandle,
    audit: &biac_server::guard::Auditor,
) -> Result<
    (
        biac_server::cot_stream::CotTlsListener,
        biac_server::tls::pki::PkiLayout,
    ),
    String,
> {
    use biac_server::tls::pki;
    let nations: Vec<_> = serve::demo_audiences().iter().map(|s| s.nation).collect();
    let layout = pki::PkiLayout::new(a.data_dir.join("pki"));
    if !layout.server_cert().exists() {
        let users: Vec<_> = nations
            .iter()
            .map(|n| (pki::default_user(*n), *n))
            .collect();
        pki::generate(&layout.dir, &nations, &users).map_err(|e| e.to_string())?;
    }
    let cfg = biac_server::cot_stream::CotTlsListenerConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], a.cot_tls_port)),
        clearance: biac_model::Classification::Secret,
        tls: layout.tls_files(&nations),
        ingest_feed: None,
    };
    let opts = biac_server::cot_stream::CotStreamOptions {
        audit: Some(audit.clone()),
        ..Default::default()
    };
    let l = biac_server::cot_stream::start_tls(&cfg, rt, opts)
        .await
        .map_err(|e| e.to_string())?;
    Ok((l, layout))
}

/// What `biac serve` runs without `--config`: a listener for each of the simulator's feeds
/// on consecutive ports from `serve::DEFAULT_FEED_PORT_BASE` (so `biac sim` can drive it),
/// the five demo audiences and the demo zones; no credentials.
pub fn serve_defaults() -> serve::ServeConfig {
    use serve::*;
    ServeConfig {
        feeds: biac_sim::demo_feeds()
            .into_iter()
            .enumerate()
            .map(|(i, feed)| FeedEndpoint {
                feed,
                signers: Default::default(),
                listen: SocketAddr::from(([127, 0, 0, 1], DEFAULT_FEED_PORT_BASE + i as u16)),
            })
            .collect(),
        audiences: demo_audiences(),
        tokens: Default::default(),
        accounts: Vec::new(),
        session_ttl_s: default_session_ttl_s(),
        request_policy: None,
        retention: Default::default(),
        zones: biac_analytics::demo_zones(),
        behaviour: Some(biac_runtime::behaviour::BehaviourConfig::demo()),
        reorder_window_ms: DEFAULT_REORDER_WINDOW_MS,
        tracker: Default::default(),
        warning: Default::default(),
        max_clock_ahead_ms: DEFAULT_MAX_CLOCK_AHEAD_MS,
        cot_listeners: Vec::new(),
        cot_tls_listeners: Vec::new(),
        https: None,
        http: Default::default(),
        audit: AuditCustody::default(),
        maritime_zones: Default::default(),
        recognition: Default::default(),
        store: Default::default(),
    }
}
