//! `GET /api/v1/alerts` over a real runtime with the behaviour rules on: filters by type,
//! time (from the history store), area and episode state, one alert per id, and each
//! audience's alerts labelled from its own inputs only.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use biac_formats::ais::{encode_position_report, to_sentences, PositionReport};
use biac_model::{Classification, FeedFormat, Label, Nation, Subject};
use biac_runtime::behaviour::{Behaviour, BehaviourConfig, ZonesSource};
use biac_runtime::RuntimeConfig;

use biac_store::SyncPolicy;
use serde_json::Value;

mod common;
use common::{http, now_ms, plot_feed as feed, TestServer};

fn subject(nation: Nation) -> Subject {
    Subject::new(nation, Classification::Secret)
}

/// A public Japanese AIS feed and a U.S. AIS feed releasable to the U.S. only; pictures
/// for JPN-SECRET, USA-SECRET and PHL-SECRET; spoofing episodes end after 36 s of
/// consistent reports.
async fn start() -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let audiences = vec![
        subject(Nation::JPN),
        subject(Nation::USA),
        subject(Nation::PHL),
    ];
    let behaviour = BehaviourConfig {
        spoof_episode_gap_h: Some(0.01),
        zones: ZonesSource::None,
        note: Some("test note".into()),
        ..Default::default()
    };
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
                "usa-ais",
                FeedFormat::Ais,
                Nation::USA,
                Label::rel_to(Classification::Secret, Nation::USA, &[]),
            ),
        ],
        audiences: audiences.clone(),
        reorder_window_ms: 1_000,
        max_future_ms: 60_000,
        behaviour: Some(Arc::new(
            Behaviour::build(&behaviour, &Default::default(), &audiences).unwrap(),
        )),
        ..RuntimeConfig::new(dir.path().to_path_buf())
    };
    common::serve(dir, cfg, |s| s).await
}

fn ais(mmsi: u32, t: i64, lat: f64, lon: f64) -> String {
    let (p, f) = encode_position_report(&PositionReport {
        msg_type: 1,
        mmsi,
        nav_status: 0,
        sog_knots: Some(0.5),
        position_accuracy: true,
        lat_deg: lat,
        lon_deg: lon,
        cog_deg: Some(0.0),
        heading_deg: Some(0),
        second: ((t / 1000) % 60) as u8,
    });
    let mut out = String::new();
    for line in to_sentences(&p, f, 'A', 0, Some(("rx1", t / 1000))) {
        out.push_str(&line);
        out.push_str("\r\n");
    }
    out
}

async fn ingest(addr: SocketAddr, feed: &str, token: &str, body: &str) {
    let r = http(
        addr,
        "POST",
        &format!("/api/v1/feeds/{feed}/ingest"),
        Some(token),
        body.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.json()["observations"].as_u64().unwrap() > 0,
        "{feed}: {}",
        r.body
    );
}

async fn alerts(addr: SocketAddr, token: &str, query: &str) -> Vec<Value> {
    let r = http(
        addr,
        "GET",
        &format!("/api/v1/alerts{query}"),
        Some(token),
        b"",
    )
    .await;
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    r.json()["alerts"].as_array().unwrap().clone()
}

fn states(a: &[Value]) -> Vec<(String, String)> {
    a.iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_string(),
                a["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const A: u32 = 431_000_201;
const B: u32 = 431_000_202;
const HIDDEN: u32 = 338_000_203;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_filter_by_type_time_area_and_state_each_once_and_per_audience() {
    let srv = start().await;
    let addr = srv.addr;
    let t0 = (now_ms() / 1000 - 900) * 1000;
    // A jumps 55 km in a minute at t0+60 s (a spoofing episode opens), then reports
    // consistently: the episode closes 36 s of consistent reports after its last jump.
    // B jumps at t0+300 s and stays open. HIDDEN (U.S. only) jumps too.
    let mut jpn = String::new();
    let mut usa = String::new();
    for k in 0..=40 {
        let t = t0 + k * 10_000;
        let lat_a = if k < 6 { 24.0 } else { 24.5 };
        jpn.push_str(&ais(A, t, lat_a, 125.0));
        // B's last report is its jump.
        if k <= 30 {
            let lat_b = if k < 30 { 26.0 } else { 26.5 };
            jpn.push_str(&ais(B, t, lat_b, 128.0));
        }
        let lat_h = if k < 6 { 20.0 } else { 20.5 };
        usa.push_str(&ais(HIDDEN, t, lat_h, 130.0));
    }
    // The U.S. feed first: an audience's rules see its picture at its own data seconds,
    // so reports that arrive wholly behind the audience's clock (the U.S. feed's 400 s after
    // the Japanese feed's had moved the U.S. picture to their end) reach the rules only as
    // their last state, and HIDDEN's jump would never be seen by them.
    ingest(addr, "usa-ais", "demo-usa", &usa).await;
    ingest(addr, "jpn-ais", "demo-jpn", &jpn).await;

    // Until the quiet-feed flush has released the last reports and B's episode opened.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let all = loop {
        let a = alerts(addr, "demo-jpn", "?type=spoofing").await;
        if a.len() >= 3 || std::time::Instant::now() > deadline {
            break a;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        states(&all),
        [
            ("spoofing".into(), "open".into()),
            ("spoofing".into(), "close".into()),
            ("spoofing".into(), "open".into()),
        ],
        "{all:?}"
    );
    let msg = all[0]["message"].as_str().unwrap();
    assert!(
        msg.contains(&A.to_string()) && msg.ends_with("(test note)"),
        "{msg}"
    );
    assert_eq!(all[0]["episode"], all[1]["episode"]);
    assert_ne!(all[0]["episode"], all[2]["episode"]);
    // JPN's picture holds no input of the U.S.-only feed: nothing of HIDDEN, and every
    // alert public.
    for a in &all {
        assert_eq!(a["marking"], "UNCLASSIFIED", "{a}");
        assert!(!a["message"].as_str().unwrap().contains(&HIDDEN.to_string()));
    }

    // Open and closed episodes.
    let open = alerts(addr, "demo-jpn", "?state=open").await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert!(open[0]["message"]
        .as_str()
        .unwrap()
        .contains(&B.to_string()));
    let closed = alerts(addr, "demo-jpn", "?state=closed&type=spoofing").await;
    assert_eq!(states(&closed).len(), 2, "{closed:?}");
    assert!(closed
        .iter()
        .all(|a| a["message"].as_str().unwrap().contains(&A.to_string())));

    // Area: B's jump is around 26 N 128 E.
    let b_area = alerts(addr, "demo-jpn", "?bbox=127.5,25.5,128.5,27").await;
    assert_eq!(b_area.len(), 1, "{b_area:?}");
    assert_eq!(b_area[0]["id"], open[0]["id"]);

    // Time: from the history store as well as the picture, each alert once.
    let since = alerts(addr, "demo-jpn", &format!("?since={}", t0)).await;
    let mut ids: Vec<&str> = since.iter().map(|a| a["id"].as_str().unwrap()).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "one alert per id: {since:?}");
    assert_eq!(states(&since), states(&all));
    let late = alerts(addr, "demo-jpn", &format!("?since={}", t0 + 200_000)).await;
    assert_eq!(late.len(), 1, "only B's open: {late:?}");
    let early = alerts(
        addr,
        "demo-jpn",
        &format!("?since={t0}&until={}", t0 + 200_000),
    )
    .await;
    assert_eq!(early.len(), 2, "A's open and close: {early:?}");
    // RFC 3339 is taken too.
    let iso = common::rfc3339(t0 + 200_000);
    let late_iso = alerts(
        addr,
        "demo-jpn",
        &format!("?since={}", iso.replace('+', "%2B")),
    )
    .await;
    assert_eq!(late_iso.len(), 1);

    // The U.S. audience sees HIDDEN's episode, marked with its feed's label.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let hidden = loop {
        let us = alerts(addr, "demo-usa", "?type=spoofing").await;
        let h: Vec<Value> = us
            .into_iter()
            .filter(|a| a["message"].as_str().unwrap().contains(&HIDDEN.to_string()))
            .collect();
        if !h.is_empty() || std::time::Instant::now() > deadline {
            break h;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(!hidden.is_empty(), "no spoofing alert of HIDDEN for USA");
    for a in &hidden {
        assert_eq!(a["marking"], "SECRET//REL TO USA", "{a}");
    }
    // PHL sees the public ones only.
    let phl = alerts(addr, "demo-phl", "").await;
    assert_eq!(states(&phl), states(&all), "{phl:?}");

    // Bad filters are refused.
    for q in ["?state=maybe", "?since=yesterday", "?bbox=1,2,3"] {
        let r = http(
            addr,
            "GET",
            &format!("/api/v1/alerts{q}"),
            Some("demo-jpn"),
            b"",
        )
        .await;
        assert_eq!(r.status, 400, "{q}: {}", r.body);
    }
}
