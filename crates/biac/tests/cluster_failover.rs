//! The distributed mode as a cluster that loses nodes: a 3-node NATS JetStream cluster,
//! PostgreSQL/PostGIS, one ingest node (HTTP ingest), two fusion nodes and two edge nodes
//! (the U.S. audience's and a partner's, each with a bus user that may read only its own
//! audience), all real processes. Records are posted while one NATS node, the fusion node
//! holding the U.S. audience, the partner's edge node and PostgreSQL are SIGKILLed in turn
//! (each restarted). Then:
//! - every acknowledged observation is in the PostgreSQL archive exactly once;
//! - each audience's picture, as its edge serves it, equals the picture an embedded
//!   `biac serve` replays from that archive;
//! - the partner's edge never served the U.S.-only vessel;
//! - the picture resumed after each loss within a bound (the times are printed).

mod common;

use biac_testkit::now_ms;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use biac_bus::perm::{accounts_config, Role, User};
use biac_bus::{AudienceKey, Bus};
use biac_testkit::nats::NatsCluster;
use biac_testkit::pg::PgServer;
use common::{get_json, request, Biac};
use serde_json::Value;

const USA: &str = "USA-SECRET";
const AUS: &str = "AUS-SECRET";
const USA_TOKEN: &str = "tok-usa";
const AUS_TOKEN: &str = "tok-aus";
/// Vessels any audience may see, and one only the U.S. may.
const PUBLIC_MMSI: [u32; 3] = [431_000_001, 431_000_002, 431_000_003];
const USA_MMSI: u32 = 338_000_009;
/// The longest the picture may take to resume after a loss.
const RESUME_LIMIT: Duration = Duration::from_secs(45);

fn ais(mmsi: u32, t_ms: i64, lon: f64) -> String {
    common::ais_report(mmsi, t_ms, 25.0 + (mmsi % 10) as f64 * 0.05, lon)
}

fn config(conninfo: &str) -> String {
    let public = serde_json::json!({"classification": "UNCLASSIFIED", "owner": ["JPN"]});
    let noforn = serde_json::json!({"classification": "SECRET", "owner": ["USA"], "noforn": true});
    serde_json::json!({
        "feeds": [
            {"name": "pub-ais", "format": "ais", "nation": "JPN", "default_label": public,
             "listen": "127.0.0.1:0"},
            {"name": "usa-ais", "format": "ais", "nation": "USA", "default_label": noforn,
             "listen": "127.0.0.1:0"}
        ],
        "audiences": [{"nation": "USA", "clearance": "SECRET"},
                      {"nation": "AUS", "clearance": "SECRET"}],
        "tokens": {USA_TOKEN: {"nation": "USA", "clearance": "SECRET"},
                   AUS_TOKEN: {"nation": "AUS", "clearance": "SECRET"},
                   "tok-jpn-ops": {"nation": "JPN", "clearance": "SECRET", "roles": ["feed-operator"]},
                   "tok-usa-ops": {"nation": "USA", "clearance": "SECRET", "roles": ["feed-operator"]}},
        "store": {"postgres": conninfo}
    })
    .to_string()
}

struct Node {
    name: String,
    args: Vec<String>,
    user: Option<(String, String)>,
    proc: Option<Biac>,
    /// Whether it serves HTTP (fusion nodes do not).
    http: bool,
}

impl Node {
    fn spawn(&mut self) {
        let mut c = Command::new(common::bin());
        c.args(&self.args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some((_, pw)) = &self.user {
            c.env("BIAC_NATS_PASSWORD", pw);
        }
        let child = c.spawn().expect("spawn biac");
        let b = common::Biac::from_child(child, self.http, Duration::from_secs(90))
            .unwrap_or_else(|e| panic!("{}: {e}", self.name));
        self.proc = Some(b);
    }
    fn kill(&mut self) {
        self.proc = None;
    }
    fn http(&self) -> SocketAddr {
        self.proc.as_ref().expect("running").http
    }
}

fn node(
    name: &str,
    role: &str,
    user: &str,
    extra: &[&str],
    dir: &Path,
    cfg: &Path,
    urls: &[String],
) -> Node {
    let mut args: Vec<String> = [
        "serve",
        "--role",
        role,
        "--listen",
        "127.0.0.1:0",
        "--config",
        cfg.to_str().unwrap(),
        "--data-dir",
        dir.join(name).to_str().unwrap(),
        "--nats-user",
        user,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    for u in urls {
        args.extend(["--nats".to_string(), u.clone()]);
    }
    Node {
        name: name.into(),
        args,
        user: Some((user.into(), format!("pw-{user}"))),
        proc: None,
        http: role != "fusion",
    }
}

/// The tracks an audience's API serves: (MMSI, lon, lat, marking), sorted.
fn tracks(addr: SocketAddr, token: &str) -> Vec<(u64, String, String, String)> {
    let v = get_json(addr, "/api/v1/tracks", token);
    let mut out: Vec<_> = v["features"]
        .as_array()
        .map(|f| f.as_slice())
        .unwrap_or(&[])
        .iter()
        .map(|f| {
            let p = &f["properties"];
            let c = &f["geometry"]["coordinates"];
            (
                p["mmsi"].as_u64().unwrap_or(0),
                format!("{:.6}", c[0].as_f64().unwrap_or(f64::NAN)),
                format!("{:.6}", c[1].as_f64().unwrap_or(f64::NAN)),
                p["marking"].to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The distinct `time`s of the tracks served.
fn track_times(addr: SocketAddr, token: &str) -> BTreeSet<String> {
    let v = get_json(addr, "/api/v1/tracks", token);
    v["features"]
        .as_array()
        .map(|f| f.as_slice())
        .unwrap_or(&[])
        .iter()
        .map(|f| f["properties"]["time"].as_str().unwrap_or("").to_string())
        .collect()
}

fn mmsis(t: &[(u64, String, String, String)]) -> BTreeSet<u64> {
    t.iter().map(|x| x.0).collect()
}

struct Driver {
    ingest: SocketAddr,
    t_ms: i64,
    step: u32,
    acked: u64,
    leak_checks: u32,
}

impl Driver {
    /// One report of every vessel, 1 s of data time later, each feed's body acknowledged.
    fn post(&mut self) {
        self.step += 1;
        self.t_ms += 1_000;
        let lon = 124.0 + self.step as f64 * 0.001;
        let body: String = PUBLIC_MMSI
            .iter()
            .map(|m| ais(*m, self.t_ms, lon))
            .collect();
        self.send("pub-ais", &body);
        self.send("usa-ais", &ais(USA_MMSI, self.t_ms, lon));
    }
    fn send(&mut self, feed: &str, body: &str) {
        let (status, _, reply) = request(
            self.ingest,
            "POST",
            &format!("/api/v1/feeds/{feed}/ingest"),
            // Nobody ingests in another nation's name: each feed its operator.
            Some(if feed == "usa-ais" {
                "tok-usa-ops"
            } else {
                "tok-jpn-ops"
            }),
            Some(body),
        );
        assert_eq!(status, 200, "{feed}: {reply}");
        let v: Value = serde_json::from_str(&reply).unwrap();
        self.acked += v["observations"].as_u64().unwrap();
    }
    /// Post for `secs` seconds, checking the partner's edge between posts.
    fn run_for(&mut self, secs: u64, aus_edge: Option<SocketAddr>) {
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            self.post();
            if let Some(a) = aus_edge {
                assert_no_leak(a);
                self.leak_checks += 1;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

fn assert_no_leak(aus: SocketAddr) {
    let (status, body) = common::get(aus, "/api/v1/tracks", Some(AUS_TOKEN));
    if status == 200 {
        assert!(
            !body.contains(&USA_MMSI.to_string()),
            "the partner's edge served the U.S.-only vessel: {body}"
        );
    }
}

/// Until the edge serves a picture that shows a report of `mmsi` posted after this call
/// (the loss): how long.
fn resumed(edge: SocketAddr, token: &str, mmsi: u64, d: &mut Driver) -> Duration {
    let started = Instant::now();
    let after = 124.0 + d.step as f64 * 0.001;
    loop {
        d.post();
        let t = tracks(edge, token);
        if t.iter()
            .any(|x| x.0 == mmsi && x.1.parse::<f64>().unwrap_or(0.0) > after + 0.000_5)
        {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < RESUME_LIMIT,
            "the picture did not resume within {RESUME_LIMIT:?}: {t:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn the_cluster_loses_a_node_of_each_kind_and_nothing_is_lost_or_leaked() {
    let test_started = Instant::now();
    let users: Vec<User> = [
        ("admin", Role::Admin),
        ("ingest", Role::Ingest),
        (
            "fusion",
            Role::Fusion(vec![
                AudienceKey::new(USA).unwrap(),
                AudienceKey::new(AUS).unwrap(),
            ]),
        ),
        ("edge-usa", Role::Edge(AudienceKey::new(USA).unwrap())),
        ("edge-aus", Role::Edge(AudienceKey::new(AUS).unwrap())),
    ]
    .into_iter()
    .map(|(n, role)| User {
        name: n.into(),
        password: format!("pw-{n}"),
        role,
    })
    .collect();
    let mut nats = NatsCluster::start(3, &accounts_config(&users).unwrap());
    let pg = PgServer::start();
    let conninfo = pg.create_database("biac");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("serve.json");
    std::fs::write(&cfg, config(&conninfo)).unwrap();
    let urls = nats.urls();

    // Provision through the binary, as the cluster script does.
    let mut prov = Command::new(common::bin());
    prov.args([
        "bus",
        "provision",
        "--config",
        cfg.to_str().unwrap(),
        "--nats-user",
        "admin",
    ]);
    for u in &urls {
        prov.args(["--nats", u]);
    }
    let out = prov.env("BIAC_NATS_PASSWORD", "pw-admin").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let d = dir.path();
    let mut ingest = node("ingest", "ingest", "ingest", &[], d, &cfg, &urls);
    let mut fusion_a = node(
        "fusion-a",
        "fusion",
        "fusion",
        &["--audiences", USA, "--node", "fusion-a"],
        d,
        &cfg,
        &urls,
    );
    let mut fusion_b = node(
        "fusion-b",
        "fusion",
        "fusion",
        &["--audiences", AUS, "--node", "fusion-b"],
        d,
        &cfg,
        &urls,
    );
    let mut edge_usa = node(
        "edge-usa",
        "edge",
        "edge-usa",
        &["--audiences", USA],
        d,
        &cfg,
        &urls,
    );
    let mut edge_aus = node(
        "edge-aus",
        "edge",
        "edge-aus",
        &["--audiences", AUS],
        d,
        &cfg,
        &urls,
    );
    for n in [
        &mut ingest,
        &mut fusion_a,
        &mut fusion_b,
        &mut edge_usa,
        &mut edge_aus,
    ] {
        n.spawn();
    }
    let mut drv = Driver {
        ingest: ingest.http(),
        t_ms: now_ms() - 600_000,
        step: 0,
        acked: 0,
        leak_checks: 0,
    };
    let first = resumed(edge_usa.http(), USA_TOKEN, USA_MMSI as u64, &mut drv);
    println!(
        "cluster: first U.S. picture {} ms after the first post",
        first.as_millis()
    );
    drv.run_for(3, Some(edge_aus.http()));

    // 1. A NATS node.
    nats.kill(1);
    drv.run_for(3, Some(edge_aus.http()));
    let t = resumed(edge_usa.http(), USA_TOKEN, USA_MMSI as u64, &mut drv);
    println!(
        "cluster: NATS node lost: U.S. picture current again in {} ms",
        t.as_millis()
    );
    nats.restart(1);
    drv.run_for(3, Some(edge_aus.http()));

    // 2. The fusion node holding the U.S. audience: the other takes it over.
    fusion_a.kill();
    let t = resumed(edge_usa.http(), USA_TOKEN, USA_MMSI as u64, &mut drv);
    println!(
        "cluster: fusion node lost: U.S. picture resumed in {} ms",
        t.as_millis()
    );
    fusion_a.spawn();
    drv.run_for(3, Some(edge_aus.http()));

    // 3. The partner's edge node.
    edge_aus.kill();
    let killed = Instant::now();
    drv.run_for(2, None);
    edge_aus.spawn();
    let t = resumed(edge_aus.http(), AUS_TOKEN, PUBLIC_MMSI[0] as u64, &mut drv);
    println!(
        "cluster: edge node lost: restarted and serving the current picture {} ms after the kill",
        (killed.elapsed()).as_millis().max(t.as_millis())
    );
    drv.run_for(3, Some(edge_aus.http()));

    // 4. PostgreSQL: ingest and pictures go on; the archive catches up after its restart.
    pg.kill();
    drv.run_for(4, Some(edge_aus.http()));
    let t = resumed(edge_usa.http(), USA_TOKEN, USA_MMSI as u64, &mut drv);
    println!(
        "cluster: PostgreSQL lost: U.S. picture current in {} ms",
        t.as_millis()
    );
    pg.restart();
    drv.run_for(3, Some(edge_aus.http()));

    // Quiet: flush markers release what the re-ordering windows hold; pictures settle.
    let acked = drv.acked;
    // Settled: every vessel the audience may see updated by its last report (its track's
    // time is the last post's), and the same picture twice 3 s apart — after the flush
    // markers (2 s of quiet) have released what the re-ordering windows held. The estimate
    // itself lags the reports (AIS speed and the posted track disagree): printed, and
    // compared below with an embedded replay of the same inputs.
    let last_lon = 124.0 + drv.step as f64 * 0.001;
    let last_time = time::OffsetDateTime::from_unix_timestamp(drv.t_ms / 1000)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let settle = |edge: SocketAddr, token: &str, want: usize| {
        let deadline = Instant::now() + Duration::from_secs(90);
        std::thread::sleep(Duration::from_secs(4));
        loop {
            let a = tracks(edge, token);
            let times = track_times(edge, token);
            if a.len() == want && times.len() == 1 && times.contains(&last_time) {
                std::thread::sleep(Duration::from_secs(3));
                if tracks(edge, token) == a {
                    let lag = a
                        .iter()
                        .map(|x| last_lon - x.1.parse::<f64>().unwrap_or(f64::NAN))
                        .fold(0.0, f64::max);
                    println!("cluster: settled at {last_time}; estimate {lag:.6}° behind the last report");
                    return a;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the picture did not settle at the last report ({last_time}, {last_lon:.6}): {a:?} {times:?}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    };
    let usa_picture = settle(edge_usa.http(), USA_TOKEN, 4);
    let aus_picture = settle(edge_aus.http(), AUS_TOKEN, 3);
    assert!(mmsis(&usa_picture).contains(&(USA_MMSI as u64)));
    assert!(!mmsis(&aus_picture).contains(&(USA_MMSI as u64)));
    assert_eq!(
        mmsis(&aus_picture),
        PUBLIC_MMSI.iter().map(|m| *m as u64).collect()
    );

    // Every acknowledged observation in the archive, once.
    let deadline = Instant::now() + Duration::from_secs(60);
    let archived = loop {
        let n: u64 = pg
            .psql("biac", "SELECT count(*) FROM journal WHERE feed <> ''")
            .trim()
            .parse()
            .unwrap();
        if n >= acked || Instant::now() > deadline {
            break n;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let distinct: u64 = pg
        .psql(
            "biac",
            "SELECT count(DISTINCT msg_id) FROM journal WHERE feed <> ''",
        )
        .trim()
        .parse()
        .unwrap();
    println!(
        "cluster: {acked} observations acknowledged, {archived} archived ({distinct} distinct)"
    );
    assert_eq!(
        archived, acked,
        "every acknowledged observation archived once"
    );
    assert_eq!(distinct, archived);

    // The pictures equal an embedded replay of the archive.
    for n in [
        &mut ingest,
        &mut fusion_a,
        &mut fusion_b,
        &mut edge_usa,
        &mut edge_aus,
    ] {
        n.kill();
    }
    std::thread::sleep(Duration::from_millis(500));
    pg.psql("postgres", "CREATE DATABASE replay TEMPLATE biac");
    let replay_cfg = dir.path().join("replay.json");
    std::fs::write(&replay_cfg, config(&pg.conninfo("replay"))).unwrap();
    let embedded = common::start(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        replay_cfg.to_str().unwrap(),
        "--data-dir",
        dir.path().join("embedded").to_str().unwrap(),
    ]);
    let usa_replay = settle(embedded.http, USA_TOKEN, 4);
    let aus_replay = settle(embedded.http, AUS_TOKEN, 3);
    assert_eq!(usa_picture, usa_replay, "U.S. picture vs embedded replay");
    assert_eq!(
        aus_picture, aus_replay,
        "partner picture vs embedded replay"
    );
    println!(
        "cluster: {} leak checks of the partner's edge; test took {} s",
        drv.leak_checks,
        test_started.elapsed().as_secs()
    );

    // And the bus itself refuses the partner's user the U.S. subjects.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let aus_bus = Bus::connect(&urls, Some(("edge-aus", "pw-edge-aus")), Some(tx))
            .await
            .unwrap();
        let usa = AudienceKey::new(USA).unwrap();
        let _subs = aus_bus.subscribe_audience(&usa).await.unwrap();
        aus_bus.flush().await.unwrap();
        let refused = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(e) = rx.recv().await {
                if let async_nats::Event::ServerError(err) = &e {
                    if err
                        .to_string()
                        .to_lowercase()
                        .contains("permissions violation")
                    {
                        return true;
                    }
                }
            }
            false
        })
        .await
        .unwrap_or(false);
        assert!(
            refused,
            "the partner's bus user subscribed to the U.S. pictures"
        );
        assert!(aus_bus.latest_picture(&usa).await.is_err());
        assert!(
            aus_bus.follow_pictures(&usa).await.is_err(),
            "the partner's bus user read the U.S. picture stream"
        );
    });
}
