//! The live API over real sockets: HTTP ingest (durable before 200), the WebSocket of
//! picture updates per audience, metrics and the OpenAPI document.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

use biac_formats::ais::{encode_position_report, to_sentences, PositionReport};
use biac_model::{allow, Classification, FeedFormat, Label, Nation, Subject};
use biac_runtime::RuntimeConfig;

use biac_store::{JournalRecord, Store, SyncPolicy};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

mod common;
use common::{http, now_ms, plot_feed as feed, rfc3339, TestServer};

fn subject(nation: Nation) -> Subject {
    Subject::new(nation, Classification::Secret)
}

/// A runtime with a public Japanese AIS feed and a U.S. radar releasable to Japan only;
/// pictures for JPN-SECRET and PHL-SECRET; the demo tokens.
async fn start() -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let cfg = RuntimeConfig {
        sync: SyncPolicy::Normal,
        feeds: vec![
            feed(
                "jpn-ais",
                FeedFormat::Ais,
                Nation::JPN,
                Label::unclassified_public(Nation::JPN),
            ),
            feed(
                "usa-radar",
                FeedFormat::Cot,
                Nation::USA,
                Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]),
            ),
        ],
        audiences: vec![subject(Nation::JPN), subject(Nation::PHL)],
        reorder_window_ms: 1_000,
        max_future_ms: 60_000,
        ..RuntimeConfig::new(dir.path().to_path_buf())
    };
    common::serve(dir, cfg, |s| s).await
}

/// AIS position report lines (with tag block time) for ship `k` at time `t`.
fn ais_line(k: u32, t: i64, lon: f64) -> String {
    let lat = 24.0 + 0.2 * k as f64;
    let (p, f) = encode_position_report(&PositionReport {
        msg_type: 1,
        mmsi: 431_000_100 + k,
        nav_status: 0,
        sog_knots: Some(19.44),
        position_accuracy: true,
        lat_deg: lat,
        lon_deg: lon,
        cog_deg: Some(90.0),
        heading_deg: Some(90),
        second: ((t / 1000) % 60) as u8,
    });
    let mut out = String::new();
    for line in to_sentences(&p, f, 'A', 0, Some(("rx1", t / 1000))) {
        out.push_str(&line);
        out.push_str("\r\n");
    }
    out
}

/// A radar plot as a CoT event.
fn cot_plot(uid: &str, t: i64, lat: f64, lon: f64) -> String {
    let (time, stale) = (rfc3339(t), rfc3339(t + 30_000));
    format!(
        r#"<event version="2.0" uid="{uid}" type="a-u-S" how="m-r" time="{time}" start="{time}" stale="{stale}"><point lat="{lat}" lon="{lon}" hae="0" ce="50" le="9999999"/><detail/></event>"#
    )
}

fn features_by_id(features: &Value) -> BTreeMap<String, Value> {
    features
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap().to_string(), f.clone()))
        .collect()
}

/// Every feature's label must be releasable to `s`.
fn assert_releasable(s: &Subject, features: &Value) {
    for f in features.as_array().unwrap() {
        // The label's JSON form plus `releasable_to`, which must agree with it.
        let mut wire = f["properties"]["label"].clone();
        let releasable = wire
            .as_object_mut()
            .unwrap()
            .remove("releasable_to")
            .unwrap();
        let label: Label = serde_json::from_value(wire).unwrap_or_else(|e| panic!("{e}: {f}"));
        assert_eq!(releasable, serde_json::json!(label.releasable_to()), "{f}");
        assert!(allow(s, &label), "{s:?} was sent {f}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_ingest_is_durable_then_fused_and_hides_feeds_of_other_nations() {
    let srv = start().await;
    let t = now_ms() - 60_000;
    let corrupt = "!AIVDM,1,1,,A,this is not a payload,0*00\r\n";
    let mut body = String::new();
    body.push_str(&ais_line(0, t, 125.0));
    body.push_str(&ais_line(1, t, 125.0));
    let corrupt_offset = body.len();
    body.push_str(corrupt);
    body.push_str(ais_line(2, t, 125.0).trim_end()); // no final newline

    let r = http(
        srv.addr,
        "POST",
        "/api/v1/feeds/jpn-ais/ingest",
        Some("demo-jpn"),
        body.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let report = r.json();
    assert_eq!(report["accepted"], 3, "{report}");
    assert_eq!(report["observations"], 3, "{report}");
    assert_eq!(report["rejected_count"], 1, "{report}");
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["offset"], corrupt_offset as u64, "{report}");
    assert!(!rejected[0]["reason"].as_str().unwrap().is_empty());

    // 200 means the journal already holds them.
    let journal = Store::open(srv.dir.path(), SyncPolicy::Off).unwrap();
    let entries = journal.read_journal(0, 1000).unwrap();
    let mmsis: Vec<u32> = entries
        .iter()
        .filter_map(|e| match &e.record {
            JournalRecord::Observation(o) => o.identity.mmsi,
            JournalRecord::Flush | JournalRecord::FlushAudience(_) => None,
        })
        .collect();
    assert_eq!(mmsis, [431_000_100, 431_000_101, 431_000_102]);

    // ... and shortly the picture.
    let mut tracks = Value::Null;
    for _ in 0..100 {
        tracks = http(srv.addr, "GET", "/api/v1/tracks", Some("demo-jpn"), b"")
            .await
            .json();
        if tracks["count"] == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(tracks["count"], 3, "{tracks}");
    let feeds = http(srv.addr, "GET", "/api/v1/feeds", Some("demo-jpn"), b"")
        .await
        .json();
    let ais = feeds["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "jpn-ais")
        .unwrap();
    assert_eq!(
        (ais["accepted"].as_u64(), ais["rejected"].as_u64()),
        (Some(3), Some(1))
    );

    // An unknown feed, a feed of another nation (visible to JPN, but not JPN's to feed),
    // and a Japanese feed for a Filipino caller all answer the same 404.
    let unknown = http(
        srv.addr,
        "POST",
        "/api/v1/feeds/nope/ingest",
        Some("demo-jpn"),
        body.as_bytes(),
    )
    .await;
    let foreign = http(
        srv.addr,
        "POST",
        "/api/v1/feeds/usa-radar/ingest",
        Some("demo-jpn"),
        body.as_bytes(),
    )
    .await;
    let phl = http(
        srv.addr,
        "POST",
        "/api/v1/feeds/jpn-ais/ingest",
        Some("demo-phl"),
        body.as_bytes(),
    )
    .await;
    for r in [&unknown, &foreign, &phl] {
        assert_eq!(r.status, 404);
        assert_eq!(r.body, unknown.body);
    }
    let anon = http(srv.addr, "POST", "/api/v1/feeds/jpn-ais/ingest", None, b"").await;
    assert_eq!(anon.status, 401);
    // Nothing of the refused requests reached the journal.
    let after = journal.read_journal(0, 1000).unwrap();
    let obs = after
        .iter()
        .filter(|e| matches!(e.record, JournalRecord::Observation(_)))
        .count();
    assert_eq!(obs, 3);
}

/// One WebSocket client's view, maintained from its messages.
struct WsView {
    generation: u64,
    time_ms: i64,
    marking: String,
    features: BTreeMap<String, Value>,
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn connect(addr: SocketAddr, token: &str, by_header: bool) -> Ws {
    // By `Authorization: Bearer`, or as the page does: the `bearer.` subprotocol.
    let mut req = format!("ws://{addr}/api/v1/ws")
        .into_client_request()
        .unwrap();
    let (name, value) = if by_header {
        ("authorization", format!("Bearer {token}"))
    } else {
        ("sec-websocket-protocol", format!("biac.v1, bearer.{token}"))
    };
    req.headers_mut().insert(name, value.parse().unwrap());
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("a message within 20 s")
            .expect("open")
            .expect("ok");
        if let Message::Text(t) = m {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

/// Read the snapshot and build the view.
async fn snapshot(ws: &mut Ws, s: &Subject) -> WsView {
    let m = next_json(ws).await;
    assert_eq!(m["type"], "snapshot", "{m}");
    assert_releasable(s, &m["features"]);
    WsView {
        generation: m["generation"].as_u64().unwrap(),
        time_ms: m["time_ms"].as_i64().unwrap(),
        marking: m["marking"].as_str().unwrap().to_string(),
        features: features_by_id(&m["features"]),
    }
}

/// Apply updates until the view reaches data time `until_ms`.
async fn follow(ws: &mut Ws, s: &Subject, v: &mut WsView, until_ms: i64) {
    while v.time_ms < until_ms {
        let m = next_json(ws).await;
        assert_eq!(m["type"], "update", "{m}");
        assert_releasable(s, &m["upserts"]);
        let g = m["generation"].as_u64().unwrap();
        assert!(g > v.generation, "generations only move forward");
        v.generation = g;
        v.time_ms = m["time_ms"].as_i64().unwrap();
        v.marking = m["marking"].as_str().unwrap().to_string();
        for id in m["deletes"].as_array().unwrap() {
            assert!(v.features.remove(id.as_str().unwrap()).is_some(), "{m}");
        }
        v.features.extend(features_by_id(&m["upserts"]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_streams_each_audience_its_own_releasable_picture() {
    let srv = start().await;

    // Refused upgrades: no token, a bad token (header or query).
    for url in [
        format!("ws://{}/api/v1/ws", srv.addr),
        format!("ws://{}/api/v1/ws?token=nope", srv.addr),
    ] {
        match tokio_tungstenite::connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
                assert_eq!(r.status(), 401)
            }
            other => panic!("expected 401, got {other:?}"),
        }
    }

    let (jpn_s, phl_s) = (subject(Nation::JPN), subject(Nation::PHL));
    let mut jpn = connect(srv.addr, "demo-jpn", true).await;
    let mut phl = connect(srv.addr, "demo-phl", false).await;
    let mut jv = snapshot(&mut jpn, &jpn_s).await;
    let mut pv = snapshot(&mut phl, &phl_s).await;
    assert!(jv.features.is_empty() && pv.features.is_empty());

    // Three AIS ships (JPN, public) and a radar (USA, REL JPN) seeing ship 0 and a
    // fourth, non-AIS vessel.
    let t0 = now_ms() - 300_000;
    let steps = 20;
    for s in 0..steps {
        let t = t0 + s * 10_000;
        // 10 m/s east.
        let lon = 125.0 + s as f64 * 100.0 / (111_320.0 * 24f64.to_radians().cos());
        let ais: String = (0..3).map(|k| ais_line(k, t, lon)).collect();
        let r = http(
            srv.addr,
            "POST",
            "/api/v1/feeds/jpn-ais/ingest",
            Some("demo-jpn"),
            ais.as_bytes(),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let cot = cot_plot(&format!("R.{s}.0"), t, 24.0, lon)
            + &cot_plot(&format!("R.{s}.1"), t, 24.6, 125.3);
        let r = http(
            srv.addr,
            "POST",
            "/api/v1/feeds/usa-radar/ingest",
            Some("demo-usa"),
            cot.as_bytes(),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["accepted"], 2, "{}", r.body);
    }
    let last = t0 + (steps - 1) * 10_000;

    // Follow both until the quiet-feed flush has released everything. PHL sees only the
    // AIS reports, whose times are whole seconds; its picture's time is theirs, never
    // the radar's.
    follow(&mut jpn, &jpn_s, &mut jv, last).await;
    follow(&mut phl, &phl_s, &mut pv, last.div_euclid(1000) * 1000).await;

    // Each view is what /api/v1/tracks shows the same token.
    for (token, v) in [("demo-jpn", &jv), ("demo-phl", &pv)] {
        let fc = http(srv.addr, "GET", "/api/v1/tracks", Some(token), b"")
            .await
            .json();
        assert_eq!(fc["generation"].as_u64(), Some(v.generation), "{token}");
        assert_eq!(features_by_id(&fc["features"]), v.features, "{token}");
        assert_eq!(fc["marking"].as_str(), Some(v.marking.as_str()), "{token}");
    }
    assert_eq!(
        jv.features.len(),
        4,
        "3 ships (one fused with radar) + a radar-only vessel"
    );
    assert_eq!(pv.features.len(), 3, "PHL: the AIS ships only");
    let secret = |v: &WsView| {
        v.features
            .values()
            .filter(|f| f["properties"]["marking"] == "SECRET//REL TO USA, JPN")
            .count()
    };
    assert!(secret(&jv) >= 2, "the radar's tracks");
    assert_eq!(secret(&pv), 0);
    for f in pv.features.values() {
        assert_eq!(f["properties"]["sources"], serde_json::json!(["jpn-ais"]));
    }

    // A client connecting now gets the same picture as a snapshot.
    let mut late = connect(srv.addr, "demo-phl", true).await;
    let lv = snapshot(&mut late, &phl_s).await;
    assert_eq!(lv.generation, pv.generation);
    assert_eq!(lv.features, pv.features);

    // Metrics count the clients and show the caller's audience only.
    let m = http(srv.addr, "GET", "/api/v1/metrics", Some("demo-phl"), b"").await;
    assert_eq!(m.status, 200);
    let clients: u64 = m
        .body
        .lines()
        .find_map(|l| l.strip_prefix("biac_ws_clients "))
        .unwrap()
        .parse()
        .unwrap();
    // The caller's audience's clients only (PHL's two; not JPN's: issue 20).
    assert!(clients >= 2, "{}", m.body);
    assert!(
        m.body
            .contains("biac_picture_tracks{audience=\"PHL-SECRET\"} 3\n"),
        "{}",
        m.body
    );
    assert!(!m.body.contains("JPN-SECRET"), "{}", m.body);

    // Every decision is in the audit log, allow and deny, with its exit; the log verifies.
    let feeds = http(srv.addr, "GET", "/api/v1/feeds", Some("demo-phl"), b"").await;
    assert_eq!(feeds.status, 200);
    assert!(!feeds.body.contains("usa-radar"), "{}", feeds.body);
    srv.audit.seal().unwrap();
    let dir = biac_audit::audit_dir(srv.dir.path());
    let key = biac_audit::read_public_key(&dir.join("key.pub")).unwrap();
    let report = biac_audit::verify(&dir, &key).unwrap();
    assert_eq!(report.unsealed, 0);
    let entries: Vec<biac_audit::Entry> = std::fs::read_to_string(dir.join("log.jsonl"))
        .unwrap()
        .lines()
        .map(|l| biac_audit::Entry::from_line(l.as_bytes()).unwrap())
        .collect();
    assert_eq!(entries.len() as u64, report.entries);
    let has = |nation: &str, egress: &str, kind: &str, marking: &str, d: biac_audit::Decision| {
        entries.iter().any(|e| {
            e.subject.nation == nation
                && e.egress == egress
                && e.object.kind == kind
                && e.marking == marking
                && e.decision == d
        })
    };
    use biac_audit::Decision::{Allow, Deny};
    let secret = "SECRET//REL TO USA, JPN";
    assert!(has("JPN", "ws:/api/v1/ws", "track", secret, Allow));
    assert!(has("JPN", "http:/api/v1/tracks", "track", secret, Allow));
    assert!(has(
        "PHL",
        "http:/api/v1/tracks",
        "track",
        "UNCLASSIFIED",
        Allow
    ));
    assert!(has("PHL", "http:/api/v1/feeds", "feed", secret, Deny));
    assert!(has(
        "PHL",
        "http:/api/v1/feeds",
        "feed",
        "UNCLASSIFIED",
        Allow
    ));
    // Nothing SECRET was ever released to PHL.
    assert!(!entries
        .iter()
        .any(|e| e.subject.nation == "PHL" && e.marking == secret && e.decision == Allow));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_only_released_feeds_and_openapi_is_served() {
    let srv = start().await;
    let r = http(srv.addr, "GET", "/api/v1/metrics", None, b"").await;
    assert_eq!(r.status, 401);

    let t = now_ms() - 60_000;
    let r = http(
        srv.addr,
        "POST",
        "/api/v1/feeds/jpn-ais/ingest",
        Some("demo-jpn"),
        format!("{}garbage\n", ais_line(0, t, 125.0)).as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200);

    let phl = http(srv.addr, "GET", "/api/v1/metrics", Some("demo-phl"), b"").await;
    assert_eq!(phl.status, 200);
    assert!(
        phl.headers
            .to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{}",
        phl.headers
    );
    let b = &phl.body;
    assert!(
        b.contains("# TYPE biac_feed_accepted_total counter\n"),
        "{b}"
    );
    assert!(
        b.contains("biac_feed_accepted_total{feed=\"jpn-ais\",nation=\"JPN\"} 1\n"),
        "{b}"
    );
    assert!(
        b.contains("biac_feed_rejected_total{feed=\"jpn-ais\",nation=\"JPN\"} 1\n"),
        "{b}"
    );
    assert!(
        b.contains("biac_feed_connections_total{feed=\"jpn-ais\",nation=\"JPN\"} 1\n"),
        "{b}"
    );
    assert!(
        b.contains("biac_picture_generation{audience=\"PHL-SECRET\"}"),
        "{b}"
    );
    assert!(
        !b.contains("usa-radar"),
        "the radar is not releasable to PHL: {b}"
    );
    // Every sample line is `name{labels} value` or `name value` with a numeric value.
    for l in b.lines().filter(|l| !l.starts_with('#')) {
        let v = l.rsplit_once(' ').unwrap().1;
        assert!(v.parse::<f64>().is_ok(), "{l}");
    }
    let jpn = http(srv.addr, "GET", "/api/v1/metrics", Some("demo-jpn"), b"").await;
    assert!(jpn.body.contains("feed=\"usa-radar\""), "{}", jpn.body);

    let doc = http(srv.addr, "GET", "/api/v1/openapi.json", None, b"").await;
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    let n: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(n, biac_server::ROUTES.len());

    // The feeds endpoint returns exactly the keys the document's `Feed` schema names,
    // with every required one present.
    let schema = &doc["components"]["schemas"]["Feed"];
    let documented: BTreeSet<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let feeds = http(srv.addr, "GET", "/api/v1/feeds", Some("demo-jpn"), b"").await;
    assert_eq!(feeds.status, 200);
    let feeds = feeds.json();
    let feeds = feeds["feeds"].as_array().unwrap();
    assert!(!feeds.is_empty());
    for f in feeds {
        let returned: BTreeSet<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(returned, documented, "{f}");
    }
    for r in schema["required"].as_array().unwrap() {
        assert!(documented.contains(r.as_str().unwrap()), "{r}");
    }
}
