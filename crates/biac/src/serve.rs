//! `biac serve`: the server from a configuration file (or the default feed table).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use biac_analytics::missile_warning::WarningConfig;
use biac_analytics::recognition::Recognitions;
use biac_analytics::Zone;
use biac_fusion::TrackerConfig;
use biac_model::{Classification, FeedConfig, Nation, Subject};
use biac_runtime::{RuntimeConfig, RuntimeHandle};
pub use biac_runtime::{DEFAULT_MAX_CLOCK_AHEAD_MS, DEFAULT_REORDER_WINDOW_MS};
use biac_server::auth::{Account, TokenEntry};
use biac_server::authz::RequestPolicy;
use biac_server::conn_limits::HttpLimits;
use biac_server::cot_stream::{
    self, CotListener, CotListenerConfig, CotStreamOptions, CotTlsListener, CotTlsListenerConfig,
};
use biac_server::guard::Auditor;
use biac_server::signed::FeedSigners;
use biac_server::{AppState, Authenticator};
use biac_store::SyncPolicy;
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
    /// The distributed mode's role and bus (`--role ingest --nats URL`).
    #[command(flatten)]
    bus: crate::bus_ingest::BusArgs,
    /// The journal and history in PostgreSQL (a libpq connection string), whatever the
    /// configuration says (the local cluster script's nodes run the demo's configuration).
    #[arg(long, value_name = "CONNINFO")]
    postgres: Option<String>,
    /// Without `--config`: the demo's feed listeners from this port on (default 47001).
    #[arg(long)]
    feed_port_base: Option<u16>,
    /// Without `--config`: the demo's logins (bearer tokens `demo-jpn`, …, accounts
    /// `analyst-jpn`, … with password "demo") — for a local demonstration only.
    #[arg(long)]
    demo_logins: bool,
    /// The re-ordering window in ms, whatever the configuration says (0: the low-latency
    /// release rule).
    #[arg(long, value_name = "MS")]
    reorder_window_ms: Option<i64>,
}

/// The configuration file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    pub feeds: Vec<FeedEndpoint>,
    pub audiences: Vec<Subject>,
    /// API bearer token -> subject and roles (machine clients).
    #[serde(default)]
    pub tokens: BTreeMap<String, TokenEntry>,
    /// Web users: name, argon2 password hash, subject and roles.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// Lifetime of a session token from `POST /api/v1/session`, in seconds.
    #[serde(default = "default_session_ttl_s")]
    pub session_ttl_s: u64,
    /// A Cedar request policy file replacing the embedded default.
    #[serde(default)]
    pub request_policy: Option<PathBuf>,
    /// How long the journal and the history are kept (default: forever).
    #[serde(default)]
    pub retention: biac_runtime::retention::RetentionPolicy,
    #[serde(default)]
    pub zones: Vec<Zone>,
    /// The gray-zone behaviour rules (gap, encounter, loitering, spoofing, zone entry),
    /// per audience; absent: off (see `docs/CONFIG.md`).
    #[serde(default)]
    pub behaviour: Option<biac_runtime::behaviour::BehaviourConfig>,
    /// How long (data time) observations are held to be fused in time order; 0 fuses
    /// each report on arrival (identity-carrying reports at once, plots when their
    /// scan is complete). See `docs/CONFIG.md`.
    #[serde(default = "default_reorder_window_ms")]
    pub reorder_window_ms: i64,
    /// Every audience's tracker: motion model (`cv`, or `imm` with its parameters),
    /// association (`gnn`, or `jpda`), gates, and per domain (`surface`, `air`, `ground`,
    /// `unknown`) the process noise and life-cycle times; what is left out takes the
    /// default (see `docs/CONFIG.md`).
    #[serde(default)]
    pub tracker: TrackerConfig,
    /// The missile warning: protected states, raise and withdraw probabilities,
    /// overflight, recognition per nation (see `docs/CONFIG.md`).
    #[serde(default)]
    pub warning: WarningConfig,
    /// Records stamped more than this many milliseconds past the server's clock are
    /// refused and their source (TCP connection, HTTP body) quarantined for 10 s, so a
    /// wrong clock cannot move any audience's picture ahead of the wall clock.
    #[serde(default = "default_max_clock_ahead_ms")]
    pub max_clock_ahead_ms: i64,
    /// TAK streaming CoT listeners (plain TCP), each serving one audience:
    /// `{"listen": "127.0.0.1:8087", "nation": "JPN", "clearance": "SECRET"}`.
    #[serde(default)]
    pub cot_listeners: Vec<CotListenerConfig>,
    /// TAK streaming CoT listeners over mutual TLS (TAK's 8089): each client is served
    /// its certificate nation's picture at the listener's clearance. Relative paths
    /// are relative to the configuration file.
    #[serde(default)]
    pub cot_tls_listeners: Vec<CotTlsListenerConfig>,
    /// Serve the API over HTTPS on `--listen` (instead of HTTP): server certificate and
    /// key, and optionally the per-nation CAs of client certificates.
    #[serde(default)]
    pub https: Option<biac_server::tls::TlsFiles>,
    /// Limits of the HTTP(S) listener's connections: header-read timeout (also the
    /// longest idle keep-alive), connections per peer address and in all.
    #[serde(default)]
    pub http: HttpLimits,
    /// Where the audit log's signing key and witness are kept (outside the data
    /// directory; default beside it).
    #[serde(default)]
    pub audit: AuditCustody,
    /// `GET /api/v1/zones/maritime`: the zones' label.
    #[serde(default)]
    pub maritime_zones: biac_server::maritime::MaritimeConfig,
    /// Per nation, how its analysts recognise the disputed features (default: each
    /// nation's own position): the maritime zones, the missile warning and the behaviour
    /// rules of its audiences all follow it.
    #[serde(default)]
    pub recognition: Recognitions,
    /// Where the journal and history live: `"sqlite"` (default, in the data directory)
    /// or `{"postgres": "<libpq connection string>"}`.
    #[serde(default)]
    pub store: crate::serve_store::StoreChoice,
}

/// The audit log's signing key and witness: never in the data directory.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditCustody {
    pub signing_key: Option<PathBuf>,
    pub witness: Option<PathBuf>,
}

impl AuditCustody {
    /// The configured paths, the unset ones beside the data directory:
    /// `DIR.audit-key/audit.key` and `DIR.audit-witness`.
    fn resolve(&self, data_dir: &std::path::Path) -> Result<(PathBuf, PathBuf), String> {
        // With the store in PostgreSQL nothing else creates the directory.
        std::fs::create_dir_all(data_dir)
            .map_err(|e| format!("data directory {}: {e}", data_dir.display()))?;
        let data = std::fs::canonicalize(data_dir)
            .map_err(|e| format!("data directory {}: {e}", data_dir.display()))?;
        let name = data
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "data".into());
        let beside = |suffix: &str| data.with_file_name(format!("{name}.{suffix}"));
        Ok((
            self.signing_key
                .clone()
                .unwrap_or_else(|| beside("audit-key").join("audit.key")),
            self.witness
                .clone()
                .unwrap_or_else(|| beside("audit-witness")),
        ))
    }
}

fn default_reorder_window_ms() -> i64 {
    DEFAULT_REORDER_WINDOW_MS
}

fn default_max_clock_ahead_ms() -> i64 {
    DEFAULT_MAX_CLOCK_AHEAD_MS
}

pub(crate) fn default_session_ttl_s() -> u64 {
    biac_server::auth::DEFAULT_SESSION_TTL.as_secs()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedEndpoint {
    #[serde(flatten)]
    pub feed: FeedConfig,
    pub listen: SocketAddr,
    /// Signing key id -> base64 ed25519 public key: HTTP ingest into this feed then
    /// accepts only bodies signed by one of them (see `biac_server::signed`).
    #[serde(default)]
    pub signers: BTreeMap<String, String>,
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
        sync,
        feeds,
        audiences,
        zones,
        ..RuntimeConfig::new(data_dir)
    }
}

/// The behaviour rules of a configuration, built once for every audience.
pub fn build_behaviour(
    cfg: Option<&biac_runtime::behaviour::BehaviourConfig>,
    recognition: &Recognitions,
    audiences: &[Subject],
) -> Result<Option<Arc<biac_runtime::behaviour::Behaviour>>, String> {
    let Some(cfg) = cfg else {
        return Ok(None);
    };
    let started = std::time::Instant::now();
    let b = biac_runtime::behaviour::Behaviour::build(cfg, recognition, audiences)
        .map_err(|e| format!("behaviour: {e}"))?;
    tracing::info!(
        build_ms = started.elapsed().as_millis() as u64,
        "behaviour rules ready"
    );
    Ok(Some(Arc::new(b)))
}

/// Open (or create) the audit log in `data_dir/audit/`, signed with the key and published
/// to the witness of `custody`, and start its writer. The writer thread lives as long as the
/// process: it signs a checkpoint every second.
pub fn open_audit(data_dir: &std::path::Path, custody: &AuditCustody) -> Result<Auditor, String> {
    let dir = biac_audit::audit_dir(data_dir);
    // A crash mid-append leaves a partial last line. It is never covered by a signed
    // checkpoint, so cutting it loses nothing sealed; without this a restart would refuse.
    if dir.join("log.jsonl").exists() {
        match biac_audit::truncate_torn_tail(&dir) {
            Ok(0) => {}
            Ok(n) => tracing::warn!(bytes = n, "audit log: removed a torn last line"),
            Err(e) => return Err(format!("audit log {}: {e}", dir.display())),
        }
    }
    let (key, witness) = custody.resolve(data_dir)?;
    let log = biac_audit::AuditLog::open_in_custody(&dir, &key, &witness, biac_model::now_ms())
        .map_err(|e| format!("audit log {}: {e}", dir.display()))?;
    if log.unsealed() > 0 {
        tracing::warn!(
            entries = log.unsealed(),
            "audit log: entries after the last checkpoint (a crash before it was signed) are sealed now"
        );
    }
    let (sink, _worker) = biac_audit::AuditSink::spawn(log, biac_audit::SinkConfig::default())
        .map_err(|e| format!("audit log {}: {e}", dir.display()))?;
    println!(
        "audit log {} (verify: biac audit verify --data-dir {} --witness {})",
        dir.display(),
        data_dir.display(),
        witness.display()
    );
    println!(
        "audit signing key: {} (outside the data directory; verifier key {})",
        key.display(),
        biac_audit::public_key_path(&key).display()
    );
    println!(
        "audit witness: {} (accepts only consistent extensions; keep it out of the administrators' reach)",
        witness.display()
    );
    Ok(Auditor::new(sink))
}

/// What the HTTP listener is configured with besides the runtime and credentials.
#[derive(Default)]
pub struct HttpOptions {
    pub signers: FeedSigners,
    pub limits: HttpLimits,
    pub maritime: biac_server::maritime::MaritimeConfig,
    pub recognition: Recognitions,
    pub store: crate::serve_store::StoreChoice,
}

/// Bind the HTTP listener and serve `rt`.
pub async fn serve_http(
    listener: tokio::net::TcpListener,
    rt: RuntimeHandle,
    auth: Authenticator,
    audit: Auditor,
    cot: (Vec<CotListener>, Vec<CotTlsListener>),
    options: HttpOptions,
) -> Result<(), String> {
    let maritime = (options.maritime, options.recognition);
    let state = app_state(
        rt,
        auth,
        audit,
        cot,
        options.signers,
        maritime,
        &options.store,
    )?;
    biac_server::serve_with(listener, state, options.limits)
        .await
        .map_err(|e| e.to_string())
}

fn app_state(
    rt: RuntimeHandle,
    auth: Authenticator,
    audit: Auditor,
    (cot_listeners, cot_tls_listeners): (Vec<CotListener>, Vec<CotTlsListener>),
    signers: FeedSigners,
    (maritime, recognition): (biac_server::maritime::MaritimeConfig, Recognitions),
    store: &crate::serve_store::StoreChoice,
) -> Result<AppState, String> {
    let data_dir = rt.data_dir.clone();
    // Seconds of work per distinct recognition: started now, not on the first request.
    let maritime = Arc::new(
        biac_server::maritime::MaritimeZones::new(maritime, recognition)
            .map_err(|e| e.to_string())?,
    );
    maritime.warm(rt.audiences.iter().map(|a| a.nation));
    Ok(AppState {
        cot_listeners,
        cot_tls_listeners,
        signers: Arc::new(signers),
        maritime,
        // Off the executor: opening the store and loading the acknowledgements block.
        ..tokio::task::block_in_place(|| {
            let store = store.open(&data_dir).map_err(|e| e.to_string())?;
            Ok::<_, String>(AppState::new(rt, auth, store, Some(audit)))
        })?
    })
}

/// The serve configuration at `path` (paths in it relative to its directory), or the
/// demo's without one.
pub fn load_config(path: Option<&std::path::Path>) -> Result<ServeConfig, String> {
    Ok(match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let mut cfg = serde_json::from_str::<ServeConfig>(&text)
                .map_err(|e| format!("{}: {e}", p.display()))?;
            let base = p.parent().unwrap_or(std::path::Path::new("."));
            for l in &mut cfg.cot_tls_listeners {
                l.tls = l.tls.relative_to(base);
            }
            if let Some(h) = &mut cfg.https {
                *h = h.relative_to(base);
            }
            if let Some(b) = &mut cfg.behaviour {
                if let biac_runtime::behaviour::ZonesSource::File(z) = &mut b.zones {
                    *z = base.join(&*z);
                }
            }
            for p in [&mut cfg.audit.signing_key, &mut cfg.audit.witness]
                .into_iter()
                .flatten()
            {
                *p = base.join(&*p);
            }
            cfg
        }
        None => crate::demo::serve_defaults(),
    })
}

pub async fn run(a: ServeArgs) -> Result<(), String> {
    let mut cfg = load_config(a.config.as_deref())?;
    if let Some(pg) = &a.postgres {
        cfg.store = crate::serve_store::StoreChoice::Postgres(pg.clone());
    }
    if let Some(w) = a.reorder_window_ms {
        cfg.reorder_window_ms = w;
    }
    if a.config.is_none() {
        if let Some(base) = a.feed_port_base {
            for (i, f) in cfg.feeds.iter_mut().enumerate() {
                f.listen.set_port(base.saturating_add(i as u16));
            }
        }
    }
    cfg.http.check().map_err(|e| e.to_string())?;
    if cfg.tokens.is_empty() && cfg.accounts.is_empty() && !a.demo_logins {
        tracing::warn!("no tokens or accounts configured: every API request will be refused (401)");
    }
    let policy = match &cfg.request_policy {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            RequestPolicy::parse(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => RequestPolicy::default_policy(),
    };
    let auth = if a.demo_logins && a.config.is_none() {
        Authenticator::demo()
    } else {
        Authenticator::new(
            cfg.tokens,
            cfg.accounts,
            std::time::Duration::from_secs(cfg.session_ttl_s),
            policy,
        )
        .map_err(|e| e.to_string())?
    };
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .map_err(|e| format!("binding {}: {e}", a.listen))?;
    let mut signers = FeedSigners::default();
    for f in cfg.feeds.iter().filter(|f| !f.signers.is_empty()) {
        signers
            .insert(&f.feed.name, &f.signers)
            .map_err(|e| e.to_string())?;
    }
    let feeds: Vec<_> = cfg.feeds.into_iter().map(|f| (f.feed, f.listen)).collect();
    if !(0..=600_000).contains(&cfg.reorder_window_ms) {
        return Err(format!(
            "reorder_window_ms {} is not between 0 and 600000",
            cfg.reorder_window_ms
        ));
    }
    cfg.tracker.validate().map_err(|e| e.to_string())?;
    cfg.warning.validate().map_err(|e| e.to_string())?;
    cfg.recognition.validate().map_err(|e| e.to_string())?;
    if !(0..=3_600_000).contains(&cfg.max_clock_ahead_ms) {
        return Err(format!(
            "max_clock_ahead_ms {} is not between 0 and 3600000",
            cfg.max_clock_ahead_ms
        ));
    }
    use crate::bus_ingest::Role;
    let role = a.bus.role;
    let rt = match role {
        Role::All | Role::Fusion => {
            println!("{}", cfg.store.describe(&a.data_dir));
            let rc = RuntimeConfig {
                reorder_window_ms: cfg.reorder_window_ms,
                max_future_ms: cfg.max_clock_ahead_ms,
                tracker: cfg.tracker.clone(),
                warning: cfg.warning.clone(),
                behaviour: build_behaviour(
                    cfg.behaviour.as_ref(),
                    &cfg.recognition,
                    &cfg.audiences,
                )?,
                recognition: cfg.recognition.clone(),
                ..runtime_config(
                    a.data_dir.clone(),
                    a.fsync,
                    feeds,
                    cfg.audiences.clone(),
                    cfg.zones.clone(),
                )
            };
            if role == Role::Fusion {
                return crate::cluster::run_fusion(&a.bus, rc, cfg.store.runtime()).await;
            }
            biac_runtime::start_with_store(rc, cfg.store.runtime())
                .await
                .map_err(|e| e.to_string())?
        }
        Role::Ingest => {
            let bus = crate::cluster::connect(&a.bus).await?;
            let ingest = biac_runtime::bus_ingest::start_bus_ingest(
                &feeds,
                cfg.max_clock_ahead_ms,
                bus,
                a.data_dir.clone(),
            )
            .await
            .map_err(|e| e.to_string())?;
            let publisher = ingest.publisher;
            // The publisher stops only when the bus refuses or never acknowledges: then
            // the node stops (nothing it accepts after that could be acknowledged).
            tokio::spawn(async move {
                let e = match publisher.await {
                    Ok(Ok(())) => return,
                    Ok(Err(e)) => e.to_string(),
                    Err(e) => e.to_string(),
                };
                eprintln!("biac: ingest stopped: {e}");
                std::process::exit(1);
            });
            ingest.handle
        }
        Role::Edge => {
            let audiences: Vec<_> = cfg
                .audiences
                .iter()
                .map(biac_runtime::Audience::of)
                .collect();
            let pictures = crate::cluster::edge_pictures(&a.bus, &audiences).await?;
            std::fs::create_dir_all(&a.data_dir).map_err(|e| e.to_string())?;
            RuntimeHandle::remote(pictures, cfg.zones.clone(), a.data_dir.clone())
        }
    };
    if role == Role::All
        && biac_runtime::retention::spawn_with(
            cfg.store.retention(rt.data_dir.clone()),
            cfg.retention,
            std::time::Duration::from_secs(60),
        )
        .is_some()
    {
        println!(
            "retention: journal {}, history {}",
            cfg.retention
                .journal_s
                .map_or("forever".into(), |s| format!("{s} s")),
            cfg.retention
                .history_s
                .map_or("forever".into(), |s| format!("{s} s"))
        );
    }
    for f in &rt.feeds {
        println!(
            "feed {:<18} {:?} on {} ({})",
            f.config.name, f.config.format, f.addr, f.config.default_label
        );
    }
    if role == Role::Ingest {
        println!("biac: ingest publishing to nats {}", a.bus.nats.join(","));
    }
    warn_unauthenticated(&rt, &cfg.cot_listeners);
    let audit = open_audit(&rt.data_dir, &cfg.audit)?;
    let mut cot = Vec::new();
    for c in &cfg.cot_listeners {
        let opts = CotStreamOptions {
            audit: Some(audit.clone()),
            ..CotStreamOptions::default()
        };
        let l = cot_stream::start(c, &rt, opts)
            .await
            .map_err(|e| e.to_string())?;
        println!("{}", cot_line(&l));
        cot.push(l);
    }
    let mut cot_tls = Vec::new();
    for c in &cfg.cot_tls_listeners {
        let opts = CotStreamOptions {
            audit: Some(audit.clone()),
            ..CotStreamOptions::default()
        };
        let l = cot_stream::start_tls(c, &rt, opts)
            .await
            .map_err(|e| e.to_string())?;
        println!("{}", cot_tls_line(&l));
        cot_tls.push(l);
    }
    let cot = (cot, cot_tls);
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let Some(https) = &cfg.https else {
        println!("biac: serving http://{addr}/");
        let options = HttpOptions {
            signers,
            limits: cfg.http,
            maritime: cfg.maritime_zones,
            recognition: cfg.recognition,
            store: cfg.store,
        };
        return serve_http(listener, rt, auth, audit, cot, options).await;
    };
    // Client certificates optional: the API still authenticates by token.
    let (tls, _) = https.server_config_with(false).map_err(|e| e.to_string())?;
    let l = biac_server::https::HttpsListener::with_limits(
        listener,
        tls,
        std::time::Duration::from_secs(10),
        cfg.http,
    );
    println!("biac: serving https://{addr}/");
    biac_server::serve_https(
        l,
        app_state(
            rt,
            auth,
            audit,
            cot,
            signers,
            (cfg.maritime_zones, cfg.recognition),
            &cfg.store,
        )?,
    )
    .await
    .map_err(|e| e.to_string())
}

/// One log line per listener that takes anyone who can reach it: the feeds' TCP ports
/// (records from anyone on the network path) and plain CoT listeners (the audience's
/// picture to anyone, and their records with an `ingest_feed`).
pub fn warn_unauthenticated(rt: &RuntimeHandle, cot: &[CotListenerConfig]) {
    for f in &rt.feeds {
        tracing::warn!(kind = "feed", feed = %f.config.name, addr = %f.addr,
            "unauthenticated listener: any peer that reaches it can send records as this feed");
    }
    for c in cot {
        tracing::warn!(kind = "cot", addr = %c.listen, audience = %format!("{} {}", c.nation, c.clearance),
            ingest = c.ingest_feed.is_some(),
            "unauthenticated listener: any peer that reaches it is served this audience's picture");
    }
}

/// The startup line of a CoT listener, e.g. `TAK (CoT over TCP): JPN SECRET on 127.0.0.1:8087`.
pub fn cot_line(l: &CotListener) -> String {
    format!(
        "TAK (CoT over TCP): {} {} on {}",
        l.subject.nation, l.subject.clearance, l.addr
    )
}

/// The startup line of a TLS CoT listener, e.g.
/// `TAK (CoT over mutual TLS): certificate nation, SECRET on 127.0.0.1:8089`.
pub fn cot_tls_line(l: &CotTlsListener) -> String {
    format!(
        "TAK (CoT over mutual TLS): certificate nation, {} on {}",
        l.clearance, l.addr
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cot_listeners_in_the_config() {
        let cfg: ServeConfig = serde_json::from_str(
            r#"{"feeds": [], "audiences": [{"nation": "JPN", "clearance": "SECRET"}],
                "cot_listeners": [
                  {"listen": "127.0.0.1:8087", "nation": "JPN", "clearance": "SECRET"},
                  {"listen": "127.0.0.1:8088", "nation": "PHL", "clearance": "UNCLASSIFIED",
                   "ingest_feed": "tak-clients"}]}"#,
        )
        .unwrap();
        assert_eq!(cfg.cot_listeners.len(), 2);
        assert_eq!(cfg.cot_listeners[1].nation, Nation::PHL);
        assert_eq!(cfg.cot_listeners[1].clearance, Classification::Unclassified);
        assert_eq!(
            cfg.cot_listeners[1].ingest_feed.as_deref(),
            Some("tak-clients")
        );
        // Unknown keys are refused, as everywhere in the configuration.
        assert!(serde_json::from_str::<ServeConfig>(
            r#"{"feeds": [], "audiences": [], "cot_listeners": [
                {"listen": "127.0.0.1:8087", "nation": "JPN", "clearance": "SECRET", "tls": true}]}"#
        )
        .is_err());
        // Without the key there are none.
        let cfg: ServeConfig = serde_json::from_str(r#"{"feeds": [], "audiences": []}"#).unwrap();
        assert!(cfg.cot_listeners.is_empty());
        assert!(cfg.cot_tls_listeners.is_empty());
        assert!(cfg.https.is_none());
        let cfg: ServeConfig = serde_json::from_str(
            r#"{"feeds": [], "audiences": [],
                "https": {"server_cert": "s.pem", "server_key": "s.key"}}"#,
        )
        .unwrap();
        assert!(cfg.https.unwrap().client_cas.is_empty());
    }

    #[test]
    fn clock_http_and_audit_settings_in_the_config() {
        let cfg: ServeConfig = serde_json::from_str(r#"{"feeds": [], "audiences": []}"#).unwrap();
        assert_eq!(cfg.max_clock_ahead_ms, DEFAULT_MAX_CLOCK_AHEAD_MS);
        assert_eq!(cfg.http, HttpLimits::default());
        assert!(cfg.audit.signing_key.is_none() && cfg.audit.witness.is_none());
        let cfg: ServeConfig = serde_json::from_str(
            r#"{"feeds": [], "audiences": [], "max_clock_ahead_ms": 500,
                "http": {"header_read_timeout_ms": 1500, "max_connections_per_peer": 8},
                "audit": {"signing_key": "/etc/biac/audit.key", "witness": "/srv/witness"}}"#,
        )
        .unwrap();
        assert_eq!(cfg.max_clock_ahead_ms, 500);
        assert_eq!(cfg.http.header_read_timeout_ms, 1500);
        assert_eq!(cfg.http.max_connections_per_peer, 8);
        assert_eq!(
            cfg.http.max_connections,
            HttpLimits::default().max_connections
        );
        assert_eq!(cfg.audit.witness, Some(PathBuf::from("/srv/witness")));
        for bad in [r#""http": {"idle": 1}"#, r#""audit": {"key": "k"}"#] {
            let text = format!(r#"{{"feeds": [], "audiences": [], {bad}}}"#);
            assert!(serde_json::from_str::<ServeConfig>(&text).is_err(), "{bad}");
        }
        assert!(HttpLimits {
            max_connections: 1,
            ..HttpLimits::default()
        }
        .check()
        .is_err());
    }

    #[test]
    fn cot_tls_listeners_in_the_config() {
        let cfg: ServeConfig = serde_json::from_str(
            r#"{"feeds": [], "audiences": [],
                "cot_tls_listeners": [{"listen": "127.0.0.1:8089", "clearance": "SECRET",
                  "server_cert": "pki/server/cert.pem", "server_key": "pki/server/key.pem",
                  "client_cas": {"JPN": "pki/ca/JPN.pem", "USA": "/etc/biac/usa-ca.pem"},
                  "ingest_feed": "tak-clients"}]}"#,
        )
        .unwrap();
        let l = &cfg.cot_tls_listeners[0];
        assert_eq!(l.clearance, Classification::Secret);
        let tls = l.tls.relative_to(std::path::Path::new("/srv/biac"));
        assert_eq!(
            tls.server_key,
            PathBuf::from("/srv/biac/pki/server/key.pem")
        );
        assert_eq!(
            tls.client_cas[&Nation::JPN],
            PathBuf::from("/srv/biac/pki/ca/JPN.pem")
        );
        assert_eq!(
            tls.client_cas[&Nation::USA],
            PathBuf::from("/etc/biac/usa-ca.pem")
        );
        // A nation the labels do not know is refused, as is an unknown key.
        for bad in [
            r#""client_cas": {"XYZ": "a.pem"}"#,
            r#""client_cas": {}, "nation": "JPN""#,
        ] {
            let text = format!(
                r#"{{"feeds": [], "audiences": [], "cot_tls_listeners": [{{"listen": "127.0.0.1:8089",
                   "clearance": "SECRET", "server_cert": "c", "server_key": "k", {bad}}}]}}"#
            );
            assert!(serde_json::from_str::<ServeConfig>(&text).is_err(), "{bad}");
        }
    }
}
