//! What the web COP needs of the API beyond reading: alert acknowledgement (per audience,
//! with the principal, audited, only for alerts the caller may see) and the WebSocket
//! credential as a subprotocol, so that the page puts its token in no URL.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use biac_analytics::{Zone, ZoneRule};
use biac_model::{Classification, FeedFormat, Label, Nation, Subject};
use biac_runtime::RuntimeConfig;

use biac_store::SyncPolicy;
use futures_util::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

mod common;
use common::{http, http_json, now_ms, plot_feed, rfc3339, TestServer};

fn cot_plot(uid: &str, t: i64, lat: f64, lon: f64) -> String {
    let (time, stale) = (rfc3339(t), rfc3339(t + 60_000));
    format!(
        r#"<event version="2.0" uid="{uid}" type="a-u-S" how="m-r" time="{time}" start="{time}" stale="{stale}"><point lat="{lat}" lon="{lon}" hae="0" ce="50" le="9999999"/><detail/></event>"#
    )
}

/// A public Japanese feed and a U.S. radar releasable to Japan; one zone every track
/// alerts in; pictures for JPN and PHL; the demo credentials.
async fn start() -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let zone = Zone {
        name: "watch box".into(),
        polygon: vec![[124.0, 24.0], [126.0, 24.0], [126.0, 26.0], [124.0, 26.0]],
        approximate: true,
        provenance: "test".into(),
        rule: ZoneRule::Any,
        label: Label::unclassified_public(Nation::JPN),
    };
    let cfg = RuntimeConfig {
        sync: SyncPolicy::Normal,
        feeds: vec![
            plot_feed(
                "jpn-cot",
                FeedFormat::Cot,
                Nation::JPN,
                Label::unclassified_public(Nation::JPN),
            ),
            plot_feed(
                "usa-radar",
                FeedFormat::Cot,
                Nation::USA,
                Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]),
            ),
        ],
        audiences: vec![
            Subject::new(Nation::JPN, Classification::Secret),
            Subject::new(Nation::PHL, Classification::Secret),
        ],
        zones: vec![zone],
        reorder_window_ms: 1_000,
        max_future_ms: 60_000,
        ..RuntimeConfig::new(dir.path().to_path_buf())
    };
    common::serve(dir, cfg, |s| s).await
}

async fn alerts(addr: SocketAddr, token: &str) -> Vec<Value> {
    let r = http(addr, "GET", "/api/v1/alerts", Some(token), b"").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["alerts"].as_array().unwrap().clone()
}

async fn ack(addr: SocketAddr, token: &str, body: &str) -> common::Reply {
    http_json(addr, "POST", "/api/v1/alerts/ack", Some(token), body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledgement_is_per_audience_with_principal_audited_and_only_for_visible_alerts() {
    let srv = start().await;
    // A few reports each, a second apart: enough for confirmed tracks in the zone.
    let t0 = now_ms() - 20_000;
    for i in 0..10 {
        for (feed, uid, lat) in [("jpn-cot", "PUB", 25.0), ("usa-radar", "HID", 25.2)] {
            let lon = 125.0 + 0.001 * i as f64;
            let r = srv
                .rt
                .ingest(feed, cot_plot(uid, t0 + i * 1_000, lat, lon).as_bytes())
                .await
                .unwrap();
            assert_eq!(r.accepted, 1, "{r:?}");
        }
    }
    let secret = |a: &Value| a["marking"].as_str().unwrap().starts_with("SECRET");
    let deadline = Instant::now() + Duration::from_secs(30);
    let (jpn, phl) = loop {
        let (jpn, phl) = (
            alerts(srv.addr, "demo-jpn").await,
            alerts(srv.addr, "demo-phl").await,
        );
        if jpn.iter().any(secret) && !phl.is_empty() {
            break (jpn, phl);
        }
        assert!(
            Instant::now() < deadline,
            "no alerts: JPN {jpn:?}, PHL {phl:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        !phl.iter().any(secret),
        "PHL sees the public alerts only: {phl:?}"
    );
    let hidden_id = jpn.iter().find(|a| secret(a)).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let public_id = phl[0]["id"].as_str().unwrap().to_string();
    assert!(
        jpn.iter().chain(&phl).all(|a| a["ack"].is_null()),
        "nothing acknowledged yet"
    );

    // PHL cannot acknowledge (nor learn of) an alert it may not see: the same 404 as for
    // an id that does not exist.
    let refused = ack(srv.addr, "demo-phl", &format!(r#"{{"id":"{hidden_id}"}}"#)).await;
    let unknown = ack(
        srv.addr,
        "demo-phl",
        r#"{"id":"zone-entry/none/T999999/1"}"#,
    )
    .await;
    assert_eq!((refused.status, &refused.body), (404, &unknown.body));
    assert_eq!(unknown.status, 404);
    // A body that is not the request acknowledges nothing.
    let bad = ack(
        srv.addr,
        "demo-jpn",
        &format!(r#"{{"id":"{hidden_id}","by":"x"}}"#),
    )
    .await;
    assert!((400..500).contains(&bad.status), "{}", bad.status);
    assert!(alerts(srv.addr, "demo-jpn")
        .await
        .iter()
        .all(|a| a["ack"].is_null()));
    // Without a credential: 401.
    let anon = http_json(
        srv.addr,
        "POST",
        "/api/v1/alerts/ack",
        None,
        r#"{"id":"x"}"#,
    )
    .await;
    assert_eq!(anon.status, 401);

    // JPN acknowledges: recorded with the principal, shown to the audience.
    let r = ack(srv.addr, "demo-jpn", &format!(r#"{{"id":"{hidden_id}"}}"#)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let a = r.json()["ack"].clone();
    // The acknowledger is named, but never by any part of its secret token.
    assert_eq!(a["by"], biac_server::auth::token_principal("demo-jpn"));
    assert!(!a["by"].as_str().unwrap().contains("demo"), "{a}");
    let shown = alerts(srv.addr, "demo-jpn").await;
    let got = shown
        .iter()
        .find(|x| x["id"] == hidden_id.as_str())
        .unwrap();
    assert_eq!(got["ack"], a);
    // The first acknowledgement stands.
    let again = ack(srv.addr, "demo-jpn", &format!(r#"{{"id":"{hidden_id}"}}"#)).await;
    assert_eq!(again.json()["ack"], a);

    // PHL's acknowledgement of the public alert is PHL's audience's, not JPN's.
    let r = ack(srv.addr, "demo-phl", &format!(r#"{{"id":"{public_id}"}}"#)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // JPN's alerts: only the one JPN acknowledged carries an acknowledgement.
    for x in alerts(srv.addr, "demo-jpn").await {
        assert_eq!(x["ack"].is_null(), x["id"] != hidden_id.as_str(), "{x}");
    }
    let phl_now = alerts(srv.addr, "demo-phl").await;
    for x in &phl_now {
        assert_eq!(x["ack"].is_null(), x["id"] != public_id.as_str(), "{x}");
    }

    // The audit log holds each acknowledgement with its principal.
    let log = biac_audit::audit_dir(srv.dir.path()).join(biac_audit::LOG_FILE);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let acks: Vec<biac_audit::Entry> = text
            .lines()
            .filter_map(|l| biac_audit::Entry::from_line(l.as_bytes()).ok())
            .filter(|e| e.action == "acknowledge")
            .collect();
        let found = |nation: &str, id: &str| {
            acks.iter().any(|e| {
                e.subject.nation == nation
                    && e.object.kind == "alert"
                    && e.object.id == id
                    && e.subject.principal.as_deref()
                        == Some(
                            biac_server::auth::token_principal(&format!(
                                "demo-{}",
                                nation.to_lowercase()
                            ))
                            .as_str(),
                        )
                    && e.egress == "http:/api/v1/alerts/ack"
            })
        };
        if found("JPN", &hidden_id) && found("PHL", &public_id) {
            assert!(
                !acks
                    .iter()
                    .any(|e| e.subject.nation == "PHL" && e.object.id == hidden_id),
                "PHL's refused acknowledgement is no acknowledgement"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "acknowledgements not audited: {acks:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_takes_the_token_as_a_subprotocol() {
    let srv = start().await;
    let url = format!("ws://{}/api/v1/ws", srv.addr);
    let mut req = url.as_str().into_client_request().unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "biac.v1, bearer.demo-jpn".parse().unwrap(),
    );
    let (mut ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(
        resp.headers().get("sec-websocket-protocol").unwrap(),
        "biac.v1",
        "the answer selects biac.v1 and never echoes the credential"
    );
    let first = tokio::time::timeout(Duration::from_secs(20), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let m: Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
    assert_eq!(m["type"], "snapshot");
    assert_eq!(m["audience"]["nation"], "JPN");

    // Without the bearer subprotocol, or with a wrong token: refused before the upgrade.
    for offered in ["biac.v1", "biac.v1, bearer.nope"] {
        let mut req = url.as_str().into_client_request().unwrap();
        req.headers_mut()
            .insert("sec-websocket-protocol", offered.parse().unwrap());
        match tokio_tungstenite::connect_async(req).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
                assert_eq!(r.status(), 401, "{offered}")
            }
            other => panic!("{offered}: {:?}", other.map(|(_, r)| r.status())),
        }
    }
}

/// Alerts reach a WebSocket client as they are raised (no polling), each released to its
/// audience only: the PHL client never receives the alert of the U.S. radar's track.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_arrive_on_the_websocket_each_released_to_its_audience() {
    let srv = start().await;
    let connect = |token: &'static str| {
        let url = format!("ws://{}/api/v1/ws", srv.addr);
        async move {
            let mut req = url.as_str().into_client_request().unwrap();
            req.headers_mut().insert(
                "sec-websocket-protocol",
                format!("biac.v1, bearer.{token}").parse().unwrap(),
            );
            tokio_tungstenite::connect_async(req).await.unwrap().0
        }
    };
    let (mut jpn_ws, mut phl_ws) = (connect("demo-jpn").await, connect("demo-phl").await);
    let t0 = now_ms() - 20_000;
    for i in 0..10 {
        for (feed, uid, lat) in [("jpn-cot", "PUB", 25.0), ("usa-radar", "HID", 25.2)] {
            let lon = 125.0 + 0.001 * i as f64;
            let r = srv
                .rt
                .ingest(feed, cot_plot(uid, t0 + i * 1_000, lat, lon).as_bytes())
                .await
                .unwrap();
            assert_eq!(r.accepted, 1, "{r:?}");
        }
    }
    let secret = |a: &Value| a["marking"].as_str().unwrap().starts_with("SECRET");
    // Every alert each client is sent, until JPN has the hidden track's.
    let mut got: [Vec<Value>; 2] = Default::default();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !got[0].iter().any(secret) || got[1].is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "alerts on the WebSocket: {got:?}");
        let msg = tokio::select! {
            m = jpn_ws.next() => (0, m),
            m = phl_ws.next() => (1, m),
            _ = tokio::time::sleep(left) => continue,
        };
        let (i, Some(Ok(m))) = msg else {
            panic!("WebSocket closed")
        };
        let Ok(text) = m.into_text() else { continue };
        let v: Value = serde_json::from_str(&text).unwrap();
        let alerts = v["alerts"].as_array().expect("every message has alerts");
        got[i].extend(alerts.iter().cloned());
    }
    assert!(!got[1].iter().any(secret), "PHL got {:?}", got[1]);
    // The same alerts, the same ids, as the API gives.
    let api: Vec<Value> = alerts(srv.addr, "demo-jpn").await;
    for a in &got[0] {
        assert!(
            api.iter()
                .any(|b| b["id"] == a["id"] && b["marking"] == a["marking"]),
            "{a} not in /api/v1/alerts"
        );
        assert!(a.get("ack").is_none());
    }
}
