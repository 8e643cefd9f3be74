//! `GET /api/v1/zones/maritime`: the approximate maritime zones, each marked approximate
//! with its provenance and the deployment's label, disputed features as the caller's
//! nation recognises them, and nothing to an audience the label does not release to
//! (the same empty answer as none, every decision audited).

use std::net::SocketAddr;

use biac_model::{Classification, Label, Nation, Subject};
use biac_runtime::RuntimeConfig;
use biac_server::maritime::{MaritimeConfig, MaritimeZones};
use biac_server::AppState;
use biac_store::SyncPolicy;
use serde_json::Value;

mod common;
use common::{http, TestServer};

/// Pictures for JPN, KOR and PHL (the demo tokens); the maritime zones labelled
/// SECRET releasable to JPN and KOR only.
async fn start() -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let cfg = RuntimeConfig {
        sync: SyncPolicy::Off,
        audiences: [Nation::JPN, Nation::KOR, Nation::PHL]
            .into_iter()
            .map(|n| Subject::new(n, Classification::Secret))
            .collect(),
        reorder_window_ms: 1_000,
        max_future_ms: 60_000,
        ..RuntimeConfig::new(dir.path().to_path_buf())
    };
    let maritime = std::sync::Arc::new(
        MaritimeZones::new(
            MaritimeConfig {
                label: Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::KOR]),
            },
            Default::default(),
        )
        .unwrap(),
    );
    maritime.warm([Nation::JPN, Nation::KOR, Nation::PHL]);
    common::serve(dir, cfg, |s| AppState { maritime, ..s }).await
}

async fn maritime(addr: SocketAddr, token: &str) -> Value {
    let r = http(addr, "GET", "/api/v1/zones/maritime", Some(token), b"").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn named<'a>(fc: &'a Value, name: &str) -> Option<&'a Value> {
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["name"] == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zones_are_labelled_approximate_recognised_per_nation_and_withheld_from_the_uncleared() {
    let srv = start().await;
    let unauth = http(srv.addr, "GET", "/api/v1/zones/maritime", None, b"").await;
    assert_eq!(unauth.status, 401);

    let jpn = maritime(srv.addr, "demo-jpn").await;
    let kor = maritime(srv.addr, "demo-kor").await;
    let phl = maritime(srv.addr, "demo-phl").await;

    // Every zone: approximate, with its provenance and the configured marking.
    let features = jpn["features"].as_array().unwrap();
    assert!(features.len() >= 15, "{} zones", features.len());
    for f in features {
        let p = &f["properties"];
        assert_eq!(p["approximate"], true, "{p}");
        assert!(
            p["provenance"]["dataset"]
                .as_str()
                .unwrap()
                .contains("Natural Earth"),
            "{p}"
        );
        assert_eq!(p["marking"], "SECRET//REL TO JPN, KOR", "{p}");
        assert_eq!(f["geometry"]["type"], "MultiPolygon");
    }
    assert!(named(&jpn, "Japan EEZ").is_some());

    // Takeshima: Japan's view for JPN, the administering state's for KOR.
    assert_eq!(jpn["recognition"], "administered,takeshima=JPN");
    assert_eq!(kor["recognition"], "administered,okinotorishima:no-eez");
    let jt = named(&jpn, "Takeshima / Dokdo territorial sea").expect("JPN: Takeshima's sea");
    let kt = named(&kor, "Takeshima / Dokdo territorial sea").expect("KOR: Dokdo's sea");
    assert_eq!(jt["properties"]["state"], "JPN");
    assert_eq!(kt["properties"]["state"], "KOR");
    // Okinotorishima's EEZ: Japan's for JPN; for KOR a rock without one, so Japan's EEZ
    // is smaller there (the provenance says how each feature was taken).
    let jprov = jt["properties"]["provenance"]["features"].to_string();
    let kprov = kt["properties"]["provenance"]["features"].to_string();
    assert_ne!(jprov, kprov, "the provenance names each view");
    let size = |fc: &Value| {
        named(fc, "Japan EEZ").unwrap()["geometry"]
            .to_string()
            .len()
    };
    assert_ne!(size(&jpn), size(&kor), "Okinotorishima's EEZ differs");

    // PHL is SECRET-cleared but not in REL TO: nothing, and not even its recognition.
    assert_eq!(phl["features"].as_array().unwrap().len(), 0, "{phl}");
    assert_eq!(phl["recognition"], Value::Null);
    assert!(!phl.to_string().contains("Japan EEZ"));

    // Every decision is in the audit log, the refusals too.
    let log = biac_audit::audit_dir(srv.dir.path()).join(biac_audit::LOG_FILE);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let zones: Vec<biac_audit::Entry> = text
            .lines()
            .filter_map(|l| biac_audit::Entry::from_line(l.as_bytes()).ok())
            .filter(|e| e.object.kind == "maritime-zone")
            .collect();
        let seen = |nation: &str, d: biac_audit::Decision| {
            zones
                .iter()
                .any(|e| e.subject.nation == nation && e.decision == d)
        };
        if seen("PHL", biac_audit::Decision::Deny) && seen("JPN", biac_audit::Decision::Allow) {
            assert!(!seen("PHL", biac_audit::Decision::Allow));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "maritime zones not audited"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
