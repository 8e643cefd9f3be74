//! Issue 20, finding 3: one SBS line stamped 55 s in the future on the public
//! `jpn-adsb` feed of `biac demo` moved all five pictures 52–58 s ahead of the wall
//! clock, turned confirmed tracks into coasting ones and froze the pictures. A record
//! may now move no audience's clock more than `max_clock_ahead_ms` (2 s by default)
//! past the wall clock; the source that sent it is quarantined and reported.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use biac_formats::sbs::{format_line, SbsMsg};
use common::get_json;
use common::logged::now_ms;

const TOKENS: [&str; 5] = ["demo-jpn", "demo-usa", "demo-aus", "demo-kor", "demo-phl"];
/// The default bound, plus the time between the server's reading and ours.
const BOUND_MS: i64 = 2_000 + 1_000;

fn sbs(icao: u32, time_ms: i64) -> String {
    format_line(&SbsMsg {
        transmission: 3,
        icao,
        time_ms,
        altitude_ft: Some(30_000),
        lat_deg: Some(26.2),
        lon_deg: Some(127.7),
        ..Default::default()
    }) + "\r\n"
}

fn picture_ms(v: &serde_json::Value) -> i64 {
    let t = v["time"].as_str().unwrap_or_default();
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .map(|d| (d.unix_timestamp_nanos() / 1_000_000) as i64)
        .unwrap_or(i64::MIN)
}

fn confirmed(v: &serde_json::Value) -> usize {
    v["features"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter(|t| t["properties"]["status"] == "confirmed")
                .count()
        })
        .unwrap_or(0)
}

fn feed_entry(p: &common::Biac, token: &str, name: &str) -> serde_json::Value {
    let feeds = get_json(p.http, "/api/v1/feeds", token);
    feeds["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no feed {name}: {feeds}"))
}

#[test]
fn a_record_from_the_future_moves_no_picture_ahead_of_the_wall_clock() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let p = common::logged::start(&[
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
        "--cot-port-base",
        "0",
        "--cot-tls-port",
        "0",
    ]);
    // Every audience has confirmed tracks first (the simulator's traffic).
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut baseline = [0usize; 5];
    loop {
        for (i, t) in TOKENS.iter().enumerate() {
            baseline[i] = confirmed(&get_json(p.http, "/api/v1/tracks", t));
        }
        if baseline.iter().all(|&n| n >= 10) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no confirmed tracks: {baseline:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let accepted_before = feed_entry(&p, "demo-phl", "jpn-adsb")["accepted"]
        .as_u64()
        .unwrap();

    // One line 55 s ahead, then a plausible one from the same source (quarantined).
    let mut s = TcpStream::connect(p.feed("jpn-adsb")).unwrap();
    s.write_all(sbs(0xABC123, now_ms() + 55_000).as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(sbs(0xABC124, now_ms()).as_bytes()).unwrap();
    s.flush().unwrap();

    // For 6 s, no picture runs ahead of the wall clock and confirmed tracks stay.
    let until = Instant::now() + Duration::from_secs(6);
    while Instant::now() < until {
        for (i, t) in TOKENS.iter().enumerate() {
            let v = get_json(p.http, "/api/v1/tracks", t);
            let ahead = picture_ms(&v) - now_ms();
            assert!(
                ahead <= BOUND_MS,
                "{t}: picture {} ms ahead of the wall clock",
                ahead
            );
            let n = confirmed(&v);
            assert!(
                n * 2 >= baseline[i],
                "{t}: {n} confirmed tracks, {} before the record from the future",
                baseline[i]
            );
            for f in v["features"].as_array().unwrap() {
                assert_ne!(f["properties"]["icao"], "ABC123", "{t}: {f}");
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }

    // Reported: the feed's state for any audience that may see it, and a log line.
    for t in TOKENS {
        let f = feed_entry(&p, t, "jpn-adsb");
        let err = f["last_error"].as_str().unwrap_or_default();
        assert!(err.contains("quarantined"), "{t}: {f}");
        assert!(f["clock_rejected"].as_u64().unwrap() >= 2, "{t}: {f}");
    }
    assert!(
        p.logged(&["jpn-adsb", "quarantined", "ahead_ms"]),
        "no log line names the feed: {}",
        p.stderr_text()
    );
    // Only that source: the simulator's own jpn-adsb connection still goes through.
    let accepted_after = feed_entry(&p, "demo-phl", "jpn-adsb")["accepted"]
        .as_u64()
        .unwrap();
    assert!(
        accepted_after > accepted_before,
        "the feed's other source was stopped too ({accepted_before} -> {accepted_after})"
    );
}
