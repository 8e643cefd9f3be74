//! Review of the feeds' edges, replayed against the real `biac serve`:
//!
//! - a `stanag4607` feed with UDP took datagrams from any (forgeable) source address:
//!   forged sources injected dwells and evicted the sensor's decoding state. A feed's
//!   `sources` allow-list now refuses, counts and reports everything else (TCP
//!   connections too), and UDP without one does not start;
//! - no feed had a ceiling: a trusted wire marking (a CoT `access`, a 4607 packet's
//!   classification) raised a record to any level, so a partner's source could inject
//!   tracks into pictures above what the feed is accredited for. `max_classification`
//!   refuses such records, counted (`above_ceiling`) and reported with their source;
//! - a 4607 packet's handling flags (P6) were dropped: a dwell marked NATIONAL ONLY went
//!   to every nation of the feed's REL TO. P6 now restricts the label.

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use common::gmti::{mover, packet, packet_of, packet_with};
use common::server::{event, json, now_ms, serve, wait_for};
use serde_json::{json, Value};

fn feed(s: &common::server::Server, token: &str) -> Value {
    json(s.http(), "/api/v1/feeds", token)["feeds"][0].clone()
}

fn gmti_config(extra: Value) -> Value {
    let mut f = json!({"name": "mq9-gmti", "format": "stanag4607", "nation": "USA",
        "default_label": {"classification": "SECRET", "owner": ["USA"], "rel_to": ["USA"]},
        "listen": "127.0.0.1:0"});
    f.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    json!({
        "feeds": [f],
        "audiences": [{"nation": "USA", "clearance": "TOP_SECRET"},
                      {"nation": "USA", "clearance": "SECRET"}],
        "tokens": {"t-ts": {"nation": "USA", "clearance": "TOP_SECRET", "roles": ["analyst"]},
                   "t-s": {"nation": "USA", "clearance": "SECRET", "roles": ["analyst"]}},
    })
}

/// The movers of `first..first + 3` the tracks of `token`'s picture are on (within 100 m).
fn movers_seen(s: &common::server::Server, token: &str, t0: i64, first: usize) -> usize {
    let fc = json(s.http(), "/api/v1/tracks", token);
    let feats = fc["features"].as_array().unwrap().clone();
    (first..first + 3)
        .filter(|&i| {
            feats.iter().any(|t| {
                let c = &t["geometry"]["coordinates"];
                let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
                let at = time::OffsetDateTime::parse(
                    t["properties"]["time"].as_str().unwrap(),
                    &time::format_description::well_known::Rfc3339,
                )
                .unwrap();
                let (mlat, mlon) = mover(i, t0, (at.unix_timestamp_nanos() / 1_000_000) as i64);
                common::distance_m(lat, lon, mlat, mlon) < 100.0
            })
        })
        .count()
}

fn udp_from(ip: [u8; 4]) -> UdpSocket {
    UdpSocket::bind(SocketAddr::from((ip, 0))).unwrap()
}

#[test]
fn udp_datagrams_and_connections_from_outside_the_feeds_sources_are_refused_and_reported() {
    let s = serve(
        &gmti_config(json!({"udp": true, "sources": ["127.0.0.2"]})),
        None,
    );
    let addr = s.b.feeds.iter().find(|(n, _)| n == "mq9-gmti").unwrap().1;
    let t0 = now_ms() - 65_000;
    // A forger on 127.0.0.3 sends the second lane's movers (10–12) first, from many
    // ports (each a new source), then over TCP.
    let forged = udp_from([127, 0, 0, 3]);
    for k in 0..6 {
        forged.send_to(&packet_of(k, t0, 10, 2), addr).unwrap();
        udp_from([127, 0, 0, 3])
            .send_to(&packet_of(k, t0, 10, 2), addr)
            .unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut tcp = common::connect_from([127, 0, 0, 3], addr).unwrap();
    let _ = tcp.write_all(&packet_of(6, t0, 10, 2));
    // The sensor on 127.0.0.2 sends movers 0–2.
    let sensor = udp_from([127, 0, 0, 2]);
    for k in 0..12 {
        sensor.send_to(&packet(k, t0), addr).unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
    wait_for(20, "the sensor's dwells", || {
        feed(&s, "t-s")["accepted"].as_u64() == Some(36)
    });
    wait_for(30, "tracks on the sensor's movers", || {
        movers_seen(&s, "t-s", t0, 0) == 3
    });
    std::thread::sleep(Duration::from_millis(500));
    let f = feed(&s, "t-s");
    assert_eq!(f["accepted"], 36, "only the sensor's records: {f}");
    assert_eq!(f["rejected"], 0, "{f}");
    // Twelve datagrams and one connection refused, the source named.
    assert_eq!(f["refused_sources"], 13, "{f}");
    let last = f["last_error"].as_str().unwrap_or_default();
    assert!(last.contains("127.0.0.3:"), "{last}");
    assert!(
        !last.contains("127.0.0.2"),
        "the sensor is not reported: {last}"
    );
    assert_eq!(
        movers_seen(&s, "t-s", t0, 10),
        0,
        "a forged mover has a track"
    );
    // The forger's TCP connection was closed at once.
    tcp.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut b = [0u8; 1];
    assert!(
        matches!(std::io::Read::read(&mut tcp, &mut b), Ok(0) | Err(_)),
        "the forger's TCP connection stays open"
    );
}

#[test]
fn udp_without_sources_and_a_label_above_the_ceiling_do_not_start() {
    let dir = tempfile::tempdir().unwrap();
    for (extra, says) in [
        (json!({"udp": true}), "`udp` needs `sources`"),
        (
            json!({"udp": true, "sources": ["127.0.0.1/8"]}),
            "prefix are set",
        ),
        (
            json!({"max_classification": "CONFIDENTIAL"}),
            "above max_classification CONFIDENTIAL",
        ),
    ] {
        let cfg = common::logged::write_config(dir.path(), &gmti_config(extra));
        let data = dir.path().join("data");
        let args = [
            "serve",
            "--config",
            &cfg,
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
        ];
        match common::logged::spawn(&args) {
            common::logged::Started::Exited(st, err) => {
                assert!(!st.success() && err.contains(says), "{st}: {err}")
            }
            common::logged::Started::Serving(_) => {
                panic!("served with a feed that must be refused")
            }
        }
    }
}

/// A STANAG 4607 packet marked TOP SECRET (P4 = 1) on a feed accredited up to SECRET: the
/// marking used to raise the dwell into the TOP SECRET picture.
#[test]
fn gmti_packets_marked_above_the_feeds_ceiling_are_refused() {
    let s = serve(&gmti_config(json!({"max_classification": "SECRET"})), None);
    let addr = s.b.feeds.iter().find(|(n, _)| n == "mq9-gmti").unwrap().1;
    let t0 = now_ms() - 65_000;
    let mut stream = Vec::new();
    for k in 0..8 {
        stream.extend(packet_of(k, t0, 0, 2)); // SECRET: within the ceiling
        stream.extend(packet_of(k, t0, 10, 1)); // TOP SECRET: above it
    }
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(&stream).unwrap();
    tcp.flush().unwrap();
    wait_for(20, "the dwells", || {
        let f = feed(&s, "t-ts");
        f["accepted"].as_u64() == Some(24) && f["rejected"].as_u64() == Some(8)
    });
    let f = feed(&s, "t-ts");
    assert_eq!(f["above_ceiling"], 8, "{f}");
    let last = f["last_error"].as_str().unwrap();
    assert!(
        last.contains("labelled TOP SECRET, above the feed's max_classification SECRET"),
        "{last}"
    );
    wait_for(30, "the SECRET movers' tracks", || {
        movers_seen(&s, "t-ts", t0, 0) == 3
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        movers_seen(&s, "t-ts", t0, 10),
        0,
        "the TOP SECRET-marked movers reached the TOP SECRET picture"
    );
}

/// A partner's CoT feed with trusted markings, accredited up to SECRET: an event
/// marked TOP SECRET is refused, counted and reported with the connection's address;
/// the events around it go through.
#[test]
fn cot_events_marked_above_the_feeds_ceiling_are_refused() {
    let cfg = json!({
        "feeds": [{"name": "kor-tracks", "format": "cot", "nation": "KOR", "trusted_markings": true,
                   "max_classification": "SECRET",
                   "default_label": {"classification": "CONFIDENTIAL", "owner": ["KOR"],
                                     "rel_to": ["USA", "JPN", "KOR"]},
                   "listen": "127.0.0.1:0"}],
        "audiences": [{"nation": "USA", "clearance": "TOP_SECRET"}],
        "tokens": {"t-ts": {"nation": "USA", "clearance": "TOP_SECRET", "roles": ["analyst"]}},
    });
    let s = serve(&cfg, None);
    let addr = s.b.feeds.iter().find(|(n, _)| n == "kor-tracks").unwrap().1;
    let rel = Some("USA, JPN, KOR");
    let body = [
        event("k-1", "KOR ONE", (34.0, 128.0), (Some("SECRET"), None, rel)),
        event(
            "k-2",
            "KOR TWO",
            (34.1, 128.1),
            (Some("TOP SECRET"), None, rel),
        ),
        event(
            "k-3",
            "KOR THREE",
            (34.2, 128.2),
            (Some("CONFIDENTIAL"), None, rel),
        ),
    ]
    .concat();
    let mut tcp = TcpStream::connect(addr).unwrap();
    let from = tcp.local_addr().unwrap();
    tcp.write_all(body.as_bytes()).unwrap();
    tcp.flush().unwrap();
    wait_for(20, "the events", || {
        let f = feed(&s, "t-ts");
        f["accepted"].as_u64() == Some(2) && f["rejected"].as_u64() == Some(1)
    });
    let f = feed(&s, "t-ts");
    assert_eq!(f["above_ceiling"], 1, "{f}");
    let last = f["last_error"].as_str().unwrap();
    assert!(
        last.contains("labelled TOP SECRET") && last.contains(&from.to_string()),
        "the refusal names the record's source ({from}): {last}"
    );
    let names = || -> Vec<String> {
        json(s.http(), "/api/v1/tracks", "t-ts")["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["properties"]["callsign"].as_str().map(str::to_string))
            .collect()
    };
    wait_for(20, "the two tracks within the ceiling", || {
        let n = names();
        n.contains(&"KOR ONE".to_string()) && n.contains(&"KOR THREE".to_string())
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(!names().contains(&"KOR TWO".to_string()), "{:?}", names());
}

/// A U.S. MQ-9 feed releasable to Japan: dwells whose packet says NATIONAL ONLY (P6
/// 0x0010) reach the U.S. picture only; a flag the policy cannot carry (WNINTEL)
/// rejects the packet.
#[test]
fn gmti_packets_marked_national_only_stay_with_the_owner() {
    let cfg = json!({
        "feeds": [{"name": "mq9-gmti", "format": "stanag4607", "nation": "USA",
                   "default_label": {"classification": "SECRET", "owner": ["USA"], "rel_to": ["USA", "JPN"]},
                   "listen": "127.0.0.1:0"}],
        "audiences": [{"nation": "USA", "clearance": "SECRET"},
                      {"nation": "JPN", "clearance": "SECRET"}],
        "tokens": {"t-s": {"nation": "USA", "clearance": "SECRET", "roles": ["analyst"]},
                   "t-jpn": {"nation": "JPN", "clearance": "SECRET", "roles": ["analyst"]}},
    });
    let s = serve(&cfg, None);
    let addr = s.b.feeds.iter().find(|(n, _)| n == "mq9-gmti").unwrap().1;
    let t0 = now_ms() - 65_000;
    let mut stream = Vec::new();
    for k in 0..8 {
        stream.extend(packet_with(k, t0, 0, 2, 0)); // releasable to JPN
        stream.extend(packet_with(k, t0, 10, 2, 0x0010)); // NATIONAL ONLY
    }
    stream.extend(packet_with(8, t0, 0, 2, 0x0008)); // WNINTEL: no counterpart
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(&stream).unwrap();
    tcp.flush().unwrap();
    wait_for(20, "the dwells", || {
        let f = feed(&s, "t-s");
        f["accepted"].as_u64() == Some(48) && f["rejected"].as_u64() == Some(1)
    });
    let last = feed(&s, "t-s")["last_error"].as_str().unwrap().to_string();
    assert!(last.contains("WNINTEL"), "{last}");
    wait_for(30, "the U.S. picture's six movers", || {
        movers_seen(&s, "t-s", t0, 0) == 3 && movers_seen(&s, "t-s", t0, 10) == 3
    });
    wait_for(30, "Japan's three movers", || {
        movers_seen(&s, "t-jpn", t0, 0) == 3
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        movers_seen(&s, "t-jpn", t0, 10),
        0,
        "a NATIONAL ONLY dwell reached Japan"
    );
}
