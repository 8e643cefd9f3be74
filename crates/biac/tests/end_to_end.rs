//! End to end: the real binary, driven by the simulator over TCP, checked against the
//! simulator's ground truth.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// One ground-truth row.
#[derive(Debug, Clone)]
struct Truth {
    t_ms: i64,
    lat: f64,
    lon: f64,
    mmsi: Option<u32>,
    icao: Option<u32>,
}

/// Read the truth CSV by column names, so column order may change.
fn read_truth(path: &std::path::Path) -> BTreeMap<i64, Vec<Truth>> {
    let text = std::fs::read_to_string(path).expect("truth file");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.contains(h))
            .unwrap_or_else(|| panic!("truth has no column {names:?}: {header:?}"))
    };
    let (ct, clat, clon) = (
        col(&["time_ms", "t_ms"]),
        col(&["lat", "lat_deg"]),
        col(&["lon", "lon_deg"]),
    );
    let (cm, ci) = (col(&["mmsi"]), col(&["icao"]));
    let mut by_time: BTreeMap<i64, Vec<Truth>> = BTreeMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < header.len() {
            continue; // the last line may be cut while the simulator writes
        }
        let t = Truth {
            t_ms: f[ct].parse().unwrap(),
            lat: f[clat].parse().unwrap(),
            lon: f[clon].parse().unwrap(),
            mmsi: f[cm].parse().ok(),
            icao: u32::from_str_radix(f[ci].trim_start_matches("0x"), 16).ok(),
        };
        by_time.entry(t.t_ms).or_default().push(t);
    }
    by_time
}

fn parse_time(s: &str) -> i64 {
    // "2026-11-22T06:50:01.123Z" -> ms; days from civil date (Howard Hinnant's algorithm).
    let (date, rest) = s.split_once('T').unwrap();
    let d: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let rest = rest.trim_end_matches('Z');
    let tparts: Vec<&str> = rest.split(':').collect();
    let (h, m): (i64, i64) = (tparts[0].parse().unwrap(), tparts[1].parse().unwrap());
    let sec: f64 = tparts[2].parse().unwrap();
    let (y, mo, day) = (d[0], d[1], d[2]);
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    ((days * 86400 + h * 3600 + m * 60) as f64 * 1000.0 + sec * 1000.0).round() as i64
}

fn sources(fc: &Value) -> BTreeSet<String> {
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["properties"]["sources"].as_array().unwrap().iter())
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn demo_fuses_the_scenario_within_stated_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let speed = 4.0;
    let (b, truth_path, data) = start_demo_with_truth(dir.path());
    let started = Instant::now();

    // Who is asking matters.
    assert_eq!(get(b.http, "/api/v1/tracks", None).0, 401);
    assert_eq!(get(b.http, "/api/v1/tracks", Some("demo-xxx")).0, 401);
    assert_eq!(get(b.http, "/api/v1/health", None).0, 200);

    // The demo promise: >= 50 tracks from >= 3 feeds for demo-jpn within 45 s.
    let mut ready_after = None;
    while started.elapsed() < Duration::from_secs(45) {
        let fc = get_json(b.http, "/api/v1/tracks", "demo-jpn");
        if fc["features"].as_array().unwrap().len() >= 50 && sources(&fc).len() >= 3 {
            ready_after = Some(started.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let ready_after =
        ready_after.expect("demo-jpn did not reach 50 tracks from 3 feeds within 45 s");
    eprintln!("ready after {ready_after:?}");

    // Let the picture settle: 180 simulated seconds.
    let settle = Duration::from_secs_f64(180.0 / speed);
    if let Some(left) = settle.checked_sub(started.elapsed()) {
        std::thread::sleep(left);
    }
    let jpn = get_json(b.http, "/api/v1/tracks", "demo-jpn");
    let truth = read_truth(&truth_path);
    let tracks = jpn["features"].as_array().unwrap();
    let n_truth = truth.values().next_back().map(|v| v.len()).unwrap_or(0);

    let mut id_err = Vec::new();
    let mut anon_err = Vec::new();
    let mut unmatched_ids = 0;
    for f in tracks {
        let p = &f["properties"];
        let c = f["geometry"]["coordinates"].as_array().unwrap();
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        let t = parse_time(p["time"].as_str().unwrap());
        // The truth snapshot nearest the track's time.
        let (_, snap) = truth
            .range(..=t + 500)
            .next_back()
            .or_else(|| truth.iter().next())
            .expect("truth rows");
        let mmsi = p["mmsi"].as_u64().map(|m| m as u32);
        let icao = p["icao"]
            .as_str()
            .and_then(|s| u32::from_str_radix(s, 16).ok());
        if mmsi.is_some() || icao.is_some() {
            match snap
                .iter()
                .find(|o| (mmsi.is_some() && o.mmsi == mmsi) || (icao.is_some() && o.icao == icao))
            {
                Some(o) => id_err.push(distance_m(lat, lon, o.lat, o.lon)),
                None => unmatched_ids += 1,
            }
        } else {
            let d = snap
                .iter()
                .map(|o| distance_m(lat, lon, o.lat, o.lon))
                .fold(f64::INFINITY, f64::min);
            anon_err.push(d);
        }
    }
    let n = tracks.len();
    let id_med = percentile(&mut id_err, 0.5);
    let id_p90 = percentile(&mut id_err, 0.9);
    let anon_close = anon_err.iter().filter(|d| **d < 2_000.0).count();
    eprintln!(
        "JPN: {n} tracks vs {n_truth} objects; identified {} (median {id_med:.0} m, p90 {id_p90:.0} m, {unmatched_ids} unmatched); \
         anonymous {} ({anon_close} within 2 km of an object)",
        id_err.len(),
        anon_err.len()
    );
    // Stated bounds (docs/ARCHITECTURE.md, end-to-end test):
    assert!(n >= 50, "too few tracks: {n}");
    assert!(
        n as f64 <= n_truth as f64 * 1.2,
        "too many tracks: {n} for {n_truth} objects"
    );
    assert!(
        unmatched_ids * 20 <= id_err.len(),
        "identified tracks with no such object: {unmatched_ids}"
    );
    assert!(id_med < 150.0, "median position error {id_med:.0} m");
    assert!(id_p90 < 1_000.0, "p90 position error {id_p90:.0} m");
    assert!(
        anon_err.is_empty() || anon_close as f64 >= 0.8 * anon_err.len() as f64,
        "too many false anonymous tracks: {anon_close} of {} near an object",
        anon_err.len()
    );

    // Views really differ, and each holds only what its nation may see.
    let public: BTreeSet<String> = ["jpn-ais-shore", "sat-ais", "jpn-adsb"]
        .map(String::from)
        .into();
    let phl = get_json(b.http, "/api/v1/tracks", "demo-phl");
    assert!(
        sources(&phl).is_subset(&public),
        "PHL saw {:?}",
        sources(&phl)
    );
    assert!(sources(&jpn).len() > sources(&phl).len());
    for f in phl["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["label"]["classification"], "UNCLASSIFIED");
    }
    let aus = get_json(b.http, "/api/v1/tracks", "demo-aus");
    let aus_src = sources(&aus);
    assert!(
        !aus_src.contains("jpn-p1-radar")
            && !aus_src.contains("usa-mq9-gmti")
            && !aus_src.contains("kor-tracks")
    );
    for (token, nation) in [
        ("demo-aus", "AUS"),
        ("demo-kor", "KOR"),
        ("demo-phl", "PHL"),
        ("demo-usa", "USA"),
    ] {
        let fc = get_json(b.http, "/api/v1/tracks", token);
        for f in fc["features"].as_array().unwrap() {
            let rel = f["properties"]["label"]["releasable_to"]
                .as_array()
                .unwrap();
            assert!(
                rel.iter().any(|x| x == nation),
                "{nation} got a track not releasable to it: {f}"
            );
        }
    }
    // A feed's existence is as sensitive as its label.
    let phl_feeds = get_json(b.http, "/api/v1/feeds", "demo-phl");
    for f in phl_feeds["feeds"].as_array().unwrap() {
        assert!(public.contains(f["name"].as_str().unwrap()));
    }

    // Every disclosure above is in the audit log, which verifies after the process dies.
    // The log's writer thread runs behind the responses (decisions are queued, never
    // dropped): wait until it has written the last request's decisions, then kill.
    let log_path = data.join("audit/log.jsonl");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log_path).is_ok_and(|log| {
        log.lines()
            .any(|l| l.contains("\"nation\":\"PHL\"") && l.contains("\"deny\""))
    }) {
        assert!(
            Instant::now() < deadline,
            "the feeds PHL may not see were never audited as denied"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(b);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_biac"))
        // Killed: entries after the last checkpoint are expected.
        .args([
            "audit",
            "verify",
            "--allow-unsealed",
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    let log = std::fs::read_to_string(data.join("audit/log.jsonl")).unwrap();
    let phl: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["subject"]["nation"] == "PHL")
        .collect();
    assert!(
        phl.iter().any(|e| e["decision"] == "deny"),
        "the feeds PHL may not see are audited as denied"
    );
    for e in phl.iter().filter(|e| e["decision"] == "allow") {
        let m = e["marking"].as_str().unwrap();
        assert!(
            m == "UNCLASSIFIED" || m.contains("PHL"),
            "released to PHL: {e}"
        );
    }
}

#[test]
fn bad_input_is_counted_and_good_records_still_flow() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let b = start(&[
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
        "--seed",
        "3",
        "--fsync",
        "off",
        "--duration-s",
        "1",
    ]);
    let feed = |name: &str| b.feeds.iter().find(|(n, _)| n == name).unwrap().1;

    // AIS: garbage, a bad checksum, a truncated sentence, an oversized line, then a good one.
    let (payload, fill) =
        biac_formats::ais::encode_position_report(&biac_formats::ais::PositionReport {
            msg_type: 1,
            mmsi: 431999001,
            nav_status: 0,
            sog_knots: Some(12.0),
            position_accuracy: true,
            lat_deg: 24.5,
            lon_deg: 125.0,
            cog_deg: Some(90.0),
            heading_deg: Some(90),
            second: 0,
        });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let good = biac_formats::ais::to_sentences(&payload, fill, 'A', 0, Some(("test", now)));
    let mut s = TcpStream::connect(feed("jpn-ais-shore")).unwrap();
    s.write_all(b"\x00\xff\xfe garbage \x01\n").unwrap();
    s.write_all(b"!AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0*00\r\n")
        .unwrap();
    s.write_all(b"!AIVDM,1,1,,A,15M67F\r\n").unwrap();
    s.write_all(&vec![b'X'; 1 << 20]).unwrap();
    s.write_all(b"\n").unwrap();
    for line in &good {
        s.write_all(line.as_bytes()).unwrap();
        if !line.ends_with('\n') {
            s.write_all(b"\r\n").unwrap();
        }
    }
    s.flush().unwrap();

    // SBS and CoT garbage too.
    let mut sbs = TcpStream::connect(feed("jpn-adsb")).unwrap();
    sbs.write_all(b"MSG,3,1,1,ZZZZZZ,1,2024/13/45,xx\nnot,sbs\n")
        .unwrap();
    let mut cot = TcpStream::connect(feed("kor-tracks")).unwrap();
    cot.write_all(
        b"<event uid='x' type='a-h-S'><point lat='999' lon='0'/></event><event><<<</event>",
    )
    .unwrap();

    // The good AIS record is fused and visible even to PHL (it is public data).
    let deadline = Instant::now() + Duration::from_secs(30);
    let found = loop {
        let fc = get_json(b.http, "/api/v1/tracks", "demo-phl");
        let hit = fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["properties"]["mmsi"] == 431999001);
        if hit || Instant::now() > deadline {
            break hit;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(
        found,
        "the good AIS record after the bad ones was not fused"
    );

    let feeds = get_json(b.http, "/api/v1/feeds", "demo-jpn");
    let rejected = |name: &str| {
        feeds["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()["rejected"]
            .as_u64()
            .unwrap()
    };
    assert!(
        rejected("jpn-ais-shore") >= 4,
        "AIS rejected {}",
        rejected("jpn-ais-shore")
    );
    assert!(
        rejected("jpn-adsb") >= 2,
        "SBS rejected {}",
        rejected("jpn-adsb")
    );
    assert!(
        rejected("kor-tracks") >= 2,
        "CoT rejected {}",
        rejected("kor-tracks")
    );
    // And the server is still answering.
    assert_eq!(get(b.http, "/api/v1/health", None).0, 200);
}
