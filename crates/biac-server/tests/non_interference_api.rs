//! Non-interference at the API: two data dirs whose journals differ only in inputs PHL
//! may not see; after replay, every response body a PHL analyst gets must be
//! byte-identical between them (and JPN's must differ, so the test can fail).

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use biac_analytics::{Zone, ZoneRule};
use biac_model::{
    Classification, Domain, FeedConfig, FeedFormat, Identity, Label, Nation, Observation,
    ObservationKind, Position, Subject,
};
use biac_runtime::{Audience, RuntimeConfig};
use biac_server::{AppState, Authenticator};
use biac_store::{Store, SyncPolicy};

mod common;

const T0: i64 = 1_800_000_000_000;
const AIS: &str = "jpn-ais";
const RADAR: &str = "usa-radar";

fn feeds() -> Vec<(FeedConfig, SocketAddr)> {
    let f = |name: &str, format, nation, label, cot_kind| {
        (
            FeedConfig {
                name: name.into(),
                format,
                nation,
                default_label: label,
                trusted_markings: false,
                cot_kind,
                description: String::new(),
                limits: Default::default(),
            },
            "127.0.0.1:0".parse().unwrap(),
        )
    };
    vec![
        f(
            AIS,
            FeedFormat::Ais,
            Nation::JPN,
            Label::unclassified_public(Nation::JPN),
            ObservationKind::SelfReport,
        ),
        f(
            RADAR,
            FeedFormat::Cot,
            Nation::USA,
            Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]),
            ObservationKind::Plot,
        ),
    ]
}

fn secret(nation: Nation) -> Subject {
    Subject::new(nation, Classification::Secret)
}

fn config(dir: &Path) -> RuntimeConfig {
    let mut zone = Zone::circle(
        "box",
        Position::new(24.2, 125.1),
        30_000.0,
        "test",
        Label::unclassified_public(Nation::JPN),
    );
    zone.rule = ZoneRule::Any;
    RuntimeConfig {
        sync: SyncPolicy::Off,
        feeds: feeds(),
        audiences: vec![secret(Nation::JPN), secret(Nation::PHL)],
        zones: vec![zone],
        reorder_window_ms: 2_000,
        max_future_ms: i64::MAX / 4,
        ..RuntimeConfig::new(dir.to_path_buf())
    }
}

fn obs(feed: &str, t: i64, lat: f64, lon: f64, mmsi: Option<u32>) -> Observation {
    let (fc, _) = feeds().into_iter().find(|(f, _)| f.name == feed).unwrap();
    Observation::new(
        t,
        Position::new(lat, lon),
        if feed == AIS { 10.0 } else { 50.0 },
        feed,
        fc.default_label,
    )
    .with_identity(Identity {
        mmsi,
        ..Default::default()
    })
    .with_domain(Domain::Surface)
    .with_kind(fc.cot_kind)
    .with_sensor("test")
}

/// Ship k at time t: 10 m/s east.
fn ship(k: u32, t: i64) -> (f64, f64) {
    let lat = 24.0 + 0.2 * k as f64;
    let lon = 125.0 + (10.0 * (t - T0) as f64 / 1000.0) / (111_320.0 * lat.to_radians().cos());
    (lat, lon)
}

/// Three AIS ships every 5 s for 60 s; with `hidden`, also radar plots (on the AIS
/// ships, on a radar-only vessel, one with a visible ship's MMSI, and one after
/// everything visible), interleaved in time and journal order.
fn journal(hidden: bool) -> Vec<Vec<Observation>> {
    let mut out = Vec::new();
    for s in 0..=12i64 {
        let t = T0 + s * 5_000;
        let mut b = Vec::new();
        for k in 0..3u32 {
            let (lat, lon) = ship(k, t);
            b.push(obs(AIS, t, lat, lon, Some(431_000_100 + k)));
        }
        if hidden {
            let (lat, lon) = ship(0, t + 2_500);
            b.insert(1, obs(RADAR, t + 2_500, lat + 0.0003, lon, None));
            let (lat, lon) = ship(3, t + 4_000);
            b.push(obs(RADAR, t + 4_000, lat, lon, None));
            let (lat, lon) = ship(1, t + 1_000);
            b.push(obs(RADAR, t + 1_000, lat + 0.01, lon, Some(431_000_101)));
        }
        out.push(b);
    }
    if hidden {
        let (lat, lon) = ship(2, T0 + 90_000);
        out.push(vec![obs(RADAR, T0 + 90_000, lat, lon, None)]);
    }
    out
}

struct Server {
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

/// Journal `batches`, start runtime + server on it, wait for the replay to finish.
async fn start(batches: &[Vec<Observation>]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(dir.path(), SyncPolicy::Off).unwrap();
        for (i, b) in batches.iter().enumerate() {
            store.append(i as i64, b).unwrap();
        }
        store.append_flush(0).unwrap();
    }
    let newest = batches.iter().flatten().map(|o| o.time_ms).max().unwrap();
    let rt = biac_runtime::start(config(dir.path())).await.unwrap();
    // JPN sees every record, so its picture reaches the newest time on the final flush;
    // so does every audience with the newest record it may see (the flush releases it).
    let jpn = Audience::of(&secret(Nation::JPN));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let g = rt.picture(&jpn).unwrap();
        let all = rt.audiences.iter().all(|a| {
            let mine = batches
                .iter()
                .flatten()
                .filter(|o| biac_model::allow(&a.subject(), &o.label))
                .map(|o| o.time_ms)
                .max();
            mine.is_none_or(|t| rt.picture(a).unwrap().time_ms == t)
        });
        if g.time_ms == newest && all {
            break;
        }
        assert!(Instant::now() < deadline, "replay did not finish");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let store = Store::open(dir.path(), SyncPolicy::Off).unwrap();
    let state = AppState::new(rt, Authenticator::demo(), store, None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(biac_server::serve(listener, state));
    Server { addr, _dir: dir }
}

/// GET `path` with `token`: status and body (one request per connection).
async fn get(addr: SocketAddr, path: &str, token: &str) -> (u16, String) {
    let r = common::http(addr, "GET", path, Some(token), b"").await;
    (r.status, r.body)
}

/// Track ids in a `/tracks` body.
fn ids(body: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every response a PHL analyst can get, by request.
async fn phl_responses(addr: SocketAddr, ids_a: &[String]) -> Vec<(String, (u16, String))> {
    let tok = "demo-phl";
    let mut paths: Vec<String> = [
        "/api/v1/tracks",
        "/api/v1/alerts",
        "/api/v1/feeds",
        "/api/v1/zones",
        "/api/v1/history",
        "/api/v1/history?limit=5",
        "/api/v1/history?bbox=125.0,24.0,125.2,24.5",
    ]
    .map(String::from)
    .to_vec();
    for k in 0..10 {
        let (from, to) = (T0 + k * 10_000, T0 + (k + 1) * 10_000 - 1);
        paths.push(format!("/api/v1/history?from={from}&to={to}"));
    }
    // Every id visible in run A, and a range of ids beyond (visible to JPN only, or
    // nonexistent).
    for id in ids_a {
        paths.push(format!("/api/v1/tracks/{id}"));
    }
    for id in 1..=12 {
        let id = format!("T{id:06}");
        if !ids_a.contains(&id) {
            paths.push(format!("/api/v1/tracks/{id}"));
        }
    }
    let mut out = Vec::new();
    for p in paths {
        let r = get(addr, &p, tok).await;
        out.push((p, r));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phl_responses_do_not_depend_on_inputs_phl_may_not_see() {
    let a = start(&journal(false)).await;
    let b = start(&journal(true)).await;

    // Control: JPN sees the radar, so its picture differs.
    let (ja, jb) = (
        get(a.addr, "/api/v1/tracks", "demo-jpn").await,
        get(b.addr, "/api/v1/tracks", "demo-jpn").await,
    );
    assert_ne!(
        ja, jb,
        "the hidden inputs change nothing for JPN: vacuous test"
    );
    assert!(ids(&jb.1).len() > ids(&ja.1).len());

    let ids_a = ids(&get(a.addr, "/api/v1/tracks", "demo-phl").await.1);
    assert_eq!(ids_a.len(), 3, "PHL sees the three AIS ships");
    let ra = phl_responses(a.addr, &ids_a).await;
    let rb = phl_responses(b.addr, &ids_a).await;

    // A JPN-only track id answers exactly as a nonexistent one, in both runs.
    let missing = get(a.addr, "/api/v1/tracks/T999999", "demo-phl").await;
    assert_eq!(missing.0, 404);
    for id in ids(&jb.1).iter().filter(|i| !ids_a.contains(i)) {
        let r = get(b.addr, &format!("/api/v1/tracks/{id}"), "demo-phl").await;
        assert_eq!(r, missing, "PHL asking for JPN-only track {id}");
    }

    let diffs: Vec<String> = ra
        .iter()
        .zip(&rb)
        .filter(|(x, y)| x.1 != y.1)
        .map(|(x, y)| {
            let (p, q) = (&x.1 .1, &y.1 .1);
            let at = p.bytes().zip(q.bytes()).take_while(|(a, b)| a == b).count();
            let lo = at.saturating_sub(80);
            let ctx = |s: &str| {
                String::from_utf8_lossy(&s.as_bytes()[lo.min(s.len())..(at + 120).min(s.len())])
                    .into_owned()
            };
            format!(
                "GET {} (status {} vs {}; bodies of {} vs {} bytes differ from byte {at}):\n  without hidden inputs: ...{}...\n  with hidden inputs:    ...{}...",
                x.0,
                x.1 .0,
                y.1 .0,
                p.len(),
                q.len(),
                ctx(p),
                ctx(q)
            )
        })
        .collect();
    assert!(
        diffs.is_empty(),
        "{} of {} PHL responses depend on inputs PHL may not see:\n{}",
        diffs.len(),
        ra.len(),
        diffs.join("\n")
    );
}
