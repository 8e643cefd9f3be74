//! Every exit, enumerated, proved guarded.
//!
//! A runtime holds a U.S. feed whose records are `SECRET//REL TO USA, JPN` (a track with
//! the callsign `HIDDEN-7Q` at a distinctive position, inside a zone of the same label
//! named `ZONE-7Q`) and a public Japanese one (`PUBLIC-3K`), with JPN and PHL
//! audiences. Every entry of [`biac_server::ROUTES`] is called — the table is iterated,
//! and an entry this test does not classify fails it — as a PHL principal whose roles
//! allow everything a token may do: no response (status line, headers, body) carries the
//! hidden track's callsign, track number, feed, zone or coordinates, while the same call
//! as JPN does wherever the route shows data (so the test can fail). The WebSocket and a
//! TAK CoT listener are covered the same way. The audit log records decisions at every
//! data-bearing exit, and never an `allow` of the hidden label for PHL. "Not found" and
//! "forbidden" are the same answer: PHL asking for JPN's id of the hidden track gets
//! exactly what it gets for an id that does not exist, and likewise for ingest into the
//! hidden feed and into no feed.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use biac_analytics::{Zone, ZoneRule};
use biac_formats::cot::CotEvent;
use biac_model::{Classification, FeedConfig, FeedFormat, Label, Nation, ObservationKind, Subject};
use biac_runtime::{RuntimeConfig, RuntimeHandle};
use biac_server::auth::{hash_password, Account, TokenEntry};
use biac_server::authz::{RequestPolicy, Role};
use biac_server::cot_stream::{self, CotListenerConfig, CotStreamOptions};
use biac_server::{AppState, Authenticator, ROUTES};
use biac_store::{Store, SyncPolicy};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

mod common;
use common::{http, http_json, Reply};

const HIDDEN_FEED: &str = "usa-hidden-7q";
const HIDDEN_CALLSIGN: &str = "HIDDEN-7Q";
const HIDDEN_UID: &str = "HIDDEN-7Q-TN";
const HIDDEN_ZONE: &str = "ZONE-7Q";
const HIDDEN_LAT: f64 = 24.123457;
const HIDDEN_LON: f64 = 123.987654;
const PUBLIC_CALLSIGN: &str = "PUBLIC-3K";
const PHL_TOKEN: &str = "egress-phl";
const JPN_TOKEN: &str = "egress-jpn";
const PASSWORD: &str = "egress password";

/// What must never reach PHL, compared case-insensitively: callsign, uid (the track
/// number), feed name, zone name, and the leading digits of the coordinates (of the
/// track, and of the zone's ring).
const HIDDEN: &[&str] = &[
    "hidden-7q",
    "zone-7q",
    "24.1234",
    "123.9876",
    "123.917",
    "24.217",
];

fn leaks(text: &str) -> Vec<&'static str> {
    let t = text.to_ascii_lowercase();
    HIDDEN.iter().copied().filter(|h| t.contains(h)).collect()
}

use biac_testkit::now_ms;

fn secret(n: Nation) -> Subject {
    Subject::new(n, Classification::Secret)
}

fn hidden_label() -> Label {
    Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN])
}

fn feed(name: &str, nation: Nation, label: Label) -> (FeedConfig, SocketAddr) {
    (
        FeedConfig {
            name: name.into(),
            format: FeedFormat::Cot,
            nation,
            default_label: label,
            trusted_markings: false,
            cot_kind: ObservationKind::Track,
            description: format!("{name} feed"),
            limits: Default::default(),
        },
        "127.0.0.1:0".parse().unwrap(),
    )
}

fn event(uid: &str, callsign: &str, lat: f64, lon: f64, t: i64) -> String {
    CotEvent::new(uid, "a-u-S", t, lat, lon)
        .with_hae(0.0)
        .with_errors(20.0, biac_formats::cot::UNKNOWN)
        .with_callsign(callsign)
        .to_xml()
}

struct Server {
    addr: SocketAddr,
    rt: RuntimeHandle,
    auditor: biac_server::guard::Auditor,
    dir: tempfile::TempDir,
    _worker: biac_audit::AuditWorker,
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let zone = Zone {
        name: HIDDEN_ZONE.into(),
        polygon: vec![
            [123.917, 24.017],
            [124.083, 24.017],
            [124.083, 24.217],
            [123.917, 24.217],
        ],
        approximate: false,
        provenance: "egress test".into(),
        rule: ZoneRule::Any,
        label: hidden_label(),
    };
    let rt = biac_runtime::start(RuntimeConfig {
        sync: SyncPolicy::Off,
        feeds: vec![
            feed(
                "jpn-public",
                Nation::JPN,
                Label::unclassified_public(Nation::JPN),
            ),
            feed(HIDDEN_FEED, Nation::USA, hidden_label()),
            feed(
                "phl-public",
                Nation::PHL,
                Label::unclassified_public(Nation::PHL),
            ),
        ],
        audiences: vec![secret(Nation::JPN), secret(Nation::PHL)],
        zones: vec![zone],
        reorder_window_ms: 1_000,
        snapshot_every_ms: 2_000,
        max_future_ms: 60_000,
        ..RuntimeConfig::new(dir.path().to_path_buf())
    })
    .await
    .unwrap();
    // Tokens with the default roles (analyst and feed-operator: every token action), and
    // accounts with every role, for the session routes.
    let mut tokens = BTreeMap::new();
    for (t, n) in [(PHL_TOKEN, Nation::PHL), (JPN_TOKEN, Nation::JPN)] {
        tokens.insert(
            t.to_string(),
            TokenEntry {
                subject: secret(n),
                roles: None,
            },
        );
    }
    let hash = hash_password(PASSWORD).unwrap();
    let all_roles = vec![
        Role::Analyst,
        Role::Liaison,
        Role::FeedOperator,
        Role::SecurityOfficer,
    ];
    let accounts = [("phl-user", Nation::PHL), ("jpn-user", Nation::JPN)]
        .into_iter()
        .map(|(u, n)| Account {
            user: u.into(),
            password_hash: hash.clone(),
            nation: n,
            clearance: Classification::Secret,
            holdings: Default::default(),
            roles: all_roles.clone(),
        })
        .collect();
    let auth = Authenticator::new(
        tokens,
        accounts,
        Duration::from_secs(600),
        RequestPolicy::default_policy(),
    )
    .unwrap();
    let store = Store::open(dir.path(), SyncPolicy::Off).unwrap();
    let log = biac_audit::AuditLog::open(&biac_audit::audit_dir(dir.path())).unwrap();
    let (sink, worker) =
        biac_audit::AuditSink::spawn(log, biac_audit::SinkConfig::default()).unwrap();
    let auditor = biac_server::guard::Auditor::new(sink);
    // The maritime zones under the hidden label: PHL may not see them.
    let maritime = biac_server::maritime::MaritimeConfig {
        label: hidden_label(),
    };
    let state = AppState {
        maritime: std::sync::Arc::new(
            biac_server::maritime::MaritimeZones::new(maritime, Default::default()).unwrap(),
        ),
        ..AppState::new(rt.clone(), auth, store, Some(auditor.clone()))
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(biac_server::serve(listener, state));
    Server {
        addr,
        rt,
        auditor,
        dir,
        _worker: worker,
    }
}

/// The public report first at each time, so JPN's hidden track is minted after the
/// public one and its id is not an id of PHL's picture.
async fn ingest(rt: &RuntimeHandle) {
    let t0 = now_ms() - 30_000;
    for i in 0..14 {
        let t = t0 + i * 1_000;
        let r = rt
            .ingest(
                "jpn-public",
                event("PUB-UID", PUBLIC_CALLSIGN, 26.5, 127.5, t).as_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(r.accepted, 1, "{r:?}");
        let r = rt
            .ingest(
                HIDDEN_FEED,
                event(HIDDEN_UID, HIDDEN_CALLSIGN, HIDDEN_LAT, HIDDEN_LON, t + 100).as_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(r.accepted, 1, "{r:?}");
    }
}

async fn get(addr: SocketAddr, path: &str, token: &str) -> Reply {
    http(addr, "GET", path, Some(token), b"").await
}

/// Polls `path` as `token` until `pred` holds of the body (or panics after 30 s).
async fn wait_for(addr: SocketAddr, path: &str, token: &str, pred: impl Fn(&str) -> bool) -> Reply {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = get(addr, path, token).await;
        if r.status == 200 && pred(&r.body) {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "GET {path} never satisfied the condition: {} {}",
            r.status,
            r.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The whole reply: status line and headers included.
fn full(r: &Reply) -> String {
    format!("{}\r\n\r\n{}", r.headers, r.body)
}

fn assert_clean(what: &str, text: &str) {
    let l = leaks(text);
    assert!(l.is_empty(), "{what} leaked {l:?} to PHL: {text}");
}

fn assert_shows(what: &str, text: &str) {
    assert!(
        !leaks(text).is_empty(),
        "{what} showed JPN nothing of the hidden record (the test could not fail): {text}"
    );
}

/// The id of the feature with `callsign` in a FeatureCollection.
fn id_of(body: &str, callsign: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap();
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["callsign"] == callsign)
        .and_then(|f| f["id"].as_str())
        .unwrap_or_else(|| panic!("no {callsign} in {body}"))
        .to_string()
}

/// The first WebSocket message (the snapshot) as `token`.
async fn ws_snapshot(addr: SocketAddr, token: &str) -> String {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{addr}/api/v1/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        format!("biac.v1, bearer.{token}").parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("ws connect");
    loop {
        let m = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("a ws message within 20 s")
            .expect("ws open")
            .expect("ws ok");
        if let Message::Text(t) = m {
            let t = t.to_string();
            let v: Value = serde_json::from_str(&t).unwrap();
            assert_eq!(v["type"], "snapshot", "{t}");
            return t;
        }
    }
}

/// Everything a CoT listener of `n` sends within `secs`, read until `until` appears and
/// then 500 ms more.
async fn cot_read(addr: SocketAddr, until: &str, secs: u64) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536];
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut extra: Option<Instant> = None;
    loop {
        let now = Instant::now();
        let end = extra.unwrap_or(deadline);
        if now >= end {
            break;
        }
        match tokio::time::timeout(end - now, s.read(&mut buf)).await {
            Ok(Ok(0)) => panic!("CoT listener closed"),
            Ok(Ok(k)) => got.extend_from_slice(&buf[..k]),
            Ok(Err(e)) => panic!("CoT read: {e}"),
            Err(_) => break,
        }
        if extra.is_none() && String::from_utf8_lossy(&got).contains(until) {
            extra = Some(Instant::now() + Duration::from_millis(500));
        }
    }
    let text = String::from_utf8_lossy(&got).into_owned();
    assert!(
        text.contains(until),
        "CoT listener never sent {until}: {text}"
    );
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_exit_is_guarded() {
    let srv = start().await;
    let addr = srv.addr;
    ingest(&srv.rt).await;

    // Wait until every view this test relies on holds the data.
    let jpn_tracks = wait_for(addr, "/api/v1/tracks", JPN_TOKEN, |b| {
        b.contains(HIDDEN_CALLSIGN) && b.contains(PUBLIC_CALLSIGN)
    })
    .await;
    let phl_tracks = wait_for(addr, "/api/v1/tracks", PHL_TOKEN, |b| {
        b.contains(PUBLIC_CALLSIGN)
    })
    .await;
    wait_for(addr, "/api/v1/history", JPN_TOKEN, |b| {
        b.contains(HIDDEN_CALLSIGN)
    })
    .await;
    wait_for(addr, "/api/v1/history", PHL_TOKEN, |b| {
        b.contains(PUBLIC_CALLSIGN)
    })
    .await;
    wait_for(addr, "/api/v1/alerts", JPN_TOKEN, |b| {
        b.contains(HIDDEN_ZONE)
    })
    .await;
    let hidden_id = id_of(&jpn_tracks.body, HIDDEN_CALLSIGN);
    let phl_public_id = id_of(&phl_tracks.body, PUBLIC_CALLSIGN);
    let phl_ids: BTreeSet<String> = serde_json::from_str::<Value>(&phl_tracks.body).unwrap()
        ["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !phl_ids.contains(&hidden_id),
        "precondition: JPN's id of the hidden track {hidden_id} is also a PHL id {phl_ids:?}"
    );

    // Every route of the table, as PHL, and as JPN where it shows data.
    let mut handled = Vec::new();
    for &(method, path) in ROUTES {
        let what = format!("{method} {path}");
        match (method, path) {
            ("GET", "/api/v1/health") | ("GET", "/api/v1/openapi.json") => {
                let r = get(addr, path, PHL_TOKEN).await;
                assert_eq!(r.status, 200, "{what}");
                assert_clean(&what, &full(&r));
            }
            ("GET", "/api/v1/tracks")
            | ("GET", "/api/v1/history")
            | ("GET", "/api/v1/alerts")
            | ("GET", "/api/v1/feeds")
            | ("GET", "/api/v1/zones")
            | ("GET", "/api/v1/metrics") => {
                let r = get(addr, path, PHL_TOKEN).await;
                assert_eq!(r.status, 200, "{what}: {}", r.body);
                assert_clean(&what, &full(&r));
                let j = get(addr, path, JPN_TOKEN).await;
                assert_eq!(j.status, 200, "{what}: {}", j.body);
                assert_shows(&what, &j.body);
                if path == "/api/v1/tracks" || path == "/api/v1/history" {
                    assert!(
                        r.body.contains(PUBLIC_CALLSIGN),
                        "{what}: PHL saw nothing: {}",
                        r.body
                    );
                }
            }
            ("GET", "/api/v1/zones/maritime") => {
                // Not computed for PHL (the label is checked first), so this stays fast;
                // JPN's zones carry nothing of the hidden track and are not asked for.
                let r = get(addr, path, PHL_TOKEN).await;
                assert_eq!(r.status, 200, "{what}: {}", r.body);
                assert_clean(&what, &full(&r));
                let v: Value = serde_json::from_str(&r.body).unwrap();
                assert_eq!(v["features"].as_array().map(Vec::len), Some(0), "{what}");
            }
            ("GET", "/api/v1/tracks/{id}") => {
                // PHL: JPN's id of the hidden track answers exactly as an id that exists
                // nowhere, and as one that is not an id at all.
                let hidden = get(addr, &format!("/api/v1/tracks/{hidden_id}"), PHL_TOKEN).await;
                let missing = get(addr, "/api/v1/tracks/T999999", PHL_TOKEN).await;
                let junk = get(addr, "/api/v1/tracks/not-an-id", PHL_TOKEN).await;
                assert_eq!(hidden.status, 404, "{what}: {}", hidden.body);
                for other in [&missing, &junk] {
                    assert_eq!(
                        (hidden.status, &hidden.body),
                        (other.status, &other.body),
                        "{what}: forbidden and not found differ"
                    );
                    assert_eq!(
                        header_names(&hidden.headers),
                        header_names(&other.headers),
                        "{what}: forbidden and not found differ in headers"
                    );
                }
                assert_clean(&what, &full(&hidden));
                // PHL's own track (with its history): nothing hidden in it.
                let own = get(addr, &format!("/api/v1/tracks/{phl_public_id}"), PHL_TOKEN).await;
                assert_eq!(own.status, 200, "{what}: {}", own.body);
                assert!(own.body.contains(PUBLIC_CALLSIGN));
                assert_clean(&what, &full(&own));
                let j = get(addr, &format!("/api/v1/tracks/{hidden_id}"), JPN_TOKEN).await;
                assert_eq!(j.status, 200, "{what}: {}", j.body);
                assert_shows(&what, &j.body);
            }
            ("POST", "/api/v1/feeds/{feed}/ingest") => {
                let post = |feed: &str, token: &str| {
                    let p = format!("/api/v1/feeds/{feed}/ingest");
                    let token = token.to_string();
                    async move { http(addr, "POST", &p, Some(&token), b"").await }
                };
                let hidden = post(HIDDEN_FEED, PHL_TOKEN).await;
                let missing = post("no-such-feed-x1", PHL_TOKEN).await;
                let foreign = post("jpn-public", PHL_TOKEN).await;
                assert_eq!(hidden.status, 404, "{what}: {}", hidden.body);
                for other in [&missing, &foreign] {
                    assert_eq!(
                        (hidden.status, &hidden.body),
                        (other.status, &other.body),
                        "{what}: forbidden and not found differ"
                    );
                }
                assert_clean(&what, &full(&hidden));
                let own = post("phl-public", PHL_TOKEN).await;
                assert_eq!(own.status, 200, "{what}: {}", own.body);
                assert_clean(&what, &full(&own));
            }
            ("POST", "/api/v1/alerts/ack") => {
                // PHL cannot acknowledge JPN's alert in the hidden zone, and the answer
                // is the one for an id that does not exist; JPN can.
                let alerts = get(addr, "/api/v1/alerts", JPN_TOKEN).await.json();
                let id = alerts["alerts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|a| a["zone"] == HIDDEN_ZONE)
                    .unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string();
                let body = json!({ "id": id }).to_string();
                let r = http_json(addr, "POST", path, Some(PHL_TOKEN), &body).await;
                let none = json!({"id": "zone-entry/none/T999999/1"}).to_string();
                let n = http_json(addr, "POST", path, Some(PHL_TOKEN), &none).await;
                assert_eq!((r.status, &r.body), (404, &n.body), "{what}");
                assert_clean(&what, &full(&r));
                let j = http_json(addr, "POST", path, Some(JPN_TOKEN), &body).await;
                assert_eq!(j.status, 200, "{what}: {}", j.body);
                assert_shows(&what, &j.body);
            }
            ("GET", "/api/v1/ws") => {
                let p = ws_snapshot(addr, PHL_TOKEN).await;
                assert!(p.contains(PUBLIC_CALLSIGN), "{what}: {p}");
                assert_clean(&what, &p);
                let j = ws_snapshot(addr, JPN_TOKEN).await;
                assert_shows(&what, &j);
            }
            ("POST", "/api/v1/session") => {
                let body = json!({"user": "phl-user", "password": PASSWORD}).to_string();
                let r = http_json(addr, "POST", path, None, &body).await;
                assert_eq!(r.status, 200, "{what}: {}", r.body);
                assert_clean(&what, &full(&r));
                // The session token is a credential like the API token: same guard.
                let session = r.json()["token"].as_str().unwrap().to_string();
                let t = get(addr, "/api/v1/tracks", &session).await;
                assert_eq!(t.status, 200, "{}", t.body);
                assert!(t.body.contains(PUBLIC_CALLSIGN));
                assert_clean("GET /api/v1/tracks with a session token", &full(&t));
                let bad = json!({"user": "phl-user", "password": "wrong"}).to_string();
                let r = http_json(addr, "POST", path, None, &bad).await;
                assert_eq!(r.status, 401);
                assert_clean(&what, &full(&r));
            }
            ("DELETE", "/api/v1/session") => {
                let body = json!({"user": "phl-user", "password": PASSWORD}).to_string();
                let r = http_json(addr, "POST", "/api/v1/session", None, &body).await;
                let session = r.json()["token"].as_str().unwrap().to_string();
                let d = http(addr, "DELETE", path, Some(&session), b"").await;
                assert_eq!(d.status, 204, "{what}: {}", d.body);
                assert_clean(&what, &full(&d));
                // An API token is not a session: the same not-found as anything else.
                let d = http(addr, "DELETE", path, Some(PHL_TOKEN), b"").await;
                assert_eq!(d.status, 404, "{what}: {}", d.body);
                assert_clean(&what, &full(&d));
            }
            _ => panic!(
                "{what} is in ROUTES but not classified by this test: decide whether it \
                 discloses labelled data and add it to the match"
            ),
        }
        handled.push((method, path));
    }
    assert_eq!(handled.len(), ROUTES.len());

    // An unknown API path, as PHL: the same not-found.
    let r = get(addr, "/api/v1/no-such-route", PHL_TOKEN).await;
    assert_eq!(r.status, 404);
    assert_clean("unknown path", &full(&r));

    // The TAK CoT stream: a PHL listener and, for contrast, a JPN one.
    let mut cot_exits = Vec::new();
    for (n, until) in [
        (Nation::PHL, PUBLIC_CALLSIGN),
        (Nation::JPN, HIDDEN_CALLSIGN),
    ] {
        let cfg = CotListenerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            nation: n,
            clearance: Classification::Secret,
            ingest_feed: None,
        };
        let opts = CotStreamOptions {
            audit: Some(srv.auditor.clone()),
            ..CotStreamOptions::default()
        };
        let l = cot_stream::start(&cfg, &srv.rt, opts).await.unwrap();
        let text = cot_read(l.addr, until, 20).await;
        if n == Nation::PHL {
            assert!(text.contains(PUBLIC_CALLSIGN));
            assert_clean("CoT listener", &text);
        } else {
            assert_shows("CoT listener", &text);
        }
        cot_exits.push((n, format!("cot:{}", l.addr)));
    }

    // The audit log: decisions at every data-bearing exit; never the hidden label
    // allowed to PHL; PHL's denials of the hidden feed and zone recorded.
    let log_path = biac_audit::audit_dir(srv.dir.path()).join(biac_audit::LOG_FILE);
    let hidden_marking = hidden_label().marking();
    let phl_exits = [
        "http:/api/v1/tracks",
        "http:/api/v1/history",
        "http:/api/v1/feeds",
        "http:/api/v1/zones",
        "http:/api/v1/zones/maritime",
        "http:/api/v1/metrics",
        "ws:/api/v1/ws",
    ];
    let mut want: Vec<(String, String)> = phl_exits
        .iter()
        .map(|e| ("PHL".to_string(), e.to_string()))
        .collect();
    want.push(("PHL".into(), format!("http:/api/v1/tracks/{phl_public_id}")));
    want.push(("JPN".into(), format!("http:/api/v1/tracks/{hidden_id}")));
    want.push(("JPN".into(), "http:/api/v1/alerts".into()));
    for (n, e) in &cot_exits {
        want.push((n.to_string(), e.clone()));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let entries = loop {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let entries: Vec<biac_audit::Entry> = text
            .lines()
            .filter_map(|l| biac_audit::Entry::from_line(l.as_bytes()).ok())
            .collect();
        let have: BTreeSet<(String, String)> = entries
            .iter()
            .map(|e| (e.subject.nation.clone(), e.egress.clone()))
            .collect();
        let missing: Vec<_> = want.iter().filter(|w| !have.contains(w)).collect();
        if missing.is_empty() {
            break entries;
        }
        assert!(
            Instant::now() < deadline,
            "no audit entry for {missing:?}; have {have:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut phl_denials = BTreeSet::new();
    for e in &entries {
        let allowed = e.decision == biac_audit::Decision::Allow;
        if e.subject.nation == "PHL" {
            assert!(
                !(allowed && e.marking == hidden_marking),
                "PHL allowed the hidden label: {e:?}"
            );
            assert!(!allowed || leaks(&e.object.id).is_empty(), "{e:?}");
            if !allowed {
                phl_denials.insert((e.egress.clone(), e.object.kind.clone(), e.object.id.clone()));
            }
        }
    }
    for (exit, kind, id) in [
        ("http:/api/v1/feeds", "feed", HIDDEN_FEED),
        ("http:/api/v1/zones", "zone", HIDDEN_ZONE),
        ("http:/api/v1/zones/maritime", "maritime-zone", "all"),
        ("http:/api/v1/metrics", "feed", HIDDEN_FEED),
    ] {
        assert!(
            phl_denials.contains(&(exit.to_string(), kind.to_string(), id.to_string())),
            "the guard recorded no denial of {kind} {id} to PHL at {exit}: {phl_denials:?}"
        );
    }
    assert!(
        entries.iter().any(|e| e.subject.nation == "JPN"
            && e.decision == biac_audit::Decision::Allow
            && e.marking == hidden_marking
            && e.egress == "http:/api/v1/tracks"),
        "no audited release of the hidden track to JPN"
    );
}

/// Header names in order, without values that legitimately differ (date).
fn header_names(h: &str) -> Vec<String> {
    h.lines()
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap_or((l, ""));
            if k.eq_ignore_ascii_case("date") {
                k.to_ascii_lowercase()
            } else {
                format!("{}:{}", k.to_ascii_lowercase(), v.trim())
            }
        })
        .collect()
}
