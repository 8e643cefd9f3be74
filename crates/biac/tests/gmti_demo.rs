//! The demo's MQ-9 speaks STANAG 4607: its dwells reach the real binary over TCP, and
//! the surface movers it watches come out as tracks where the objects are, its ground
//! vehicles (Yakushima, southern Satsuma) as ground tracks where the vehicles are
//! (checked against the simulator's ground truth).

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const GMTI: &str = "usa-mq9-gmti";

/// Ground truth: time -> (lat, lon, domain) of every object.
fn read_truth(path: &std::path::Path) -> BTreeMap<i64, Vec<(f64, f64, String)>> {
    let text = std::fs::read_to_string(path).expect("truth file");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (ct, clat, clon, cd) = (col("time_ms"), col("lat"), col("lon"), col("domain"));
    let mut by_time: BTreeMap<i64, Vec<(f64, f64, String)>> = BTreeMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < header.len() {
            continue; // the last line may be cut while the simulator writes
        }
        by_time.entry(f[ct].parse().unwrap()).or_default().push((
            f[clat].parse().unwrap(),
            f[clon].parse().unwrap(),
            f[cd].to_string(),
        ));
    }
    by_time
}

fn time_ms(s: &str) -> i64 {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

#[test]
fn the_mq9s_dwells_make_tracks_where_the_movers_are() {
    let dir = tempfile::tempdir().unwrap();
    let (b, truth_path, _data) = start_demo_with_truth(dir.path());
    let started = Instant::now();
    // The feed is a STANAG 4607 feed, and it delivers.
    let feed = || -> Value {
        get_json(b.http, "/api/v1/feeds", "demo-usa")["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == GMTI)
            .cloned()
            .expect("the MQ-9 feed")
    };
    assert_eq!(feed()["format"], "stanag4607");

    // Two simulated minutes of orbits (30 s at speed 4), then sample the picture.
    let mut errors = Vec::new();
    let mut ground_errors = Vec::new();
    let mut pure = 0;
    while started.elapsed() < Duration::from_secs(90) {
        std::thread::sleep(Duration::from_secs(5));
        if started.elapsed() < Duration::from_secs(30) {
            continue;
        }
        let truth = read_truth(&truth_path);
        let usa = get_json(b.http, "/api/v1/tracks", "demo-usa");
        errors.clear();
        ground_errors.clear();
        pure = 0;
        for f in usa["features"].as_array().unwrap() {
            let p = &f["properties"];
            let sources = p["sources"].as_array().unwrap();
            if !sources.iter().any(|s| s == GMTI) {
                continue;
            }
            if sources.len() == 1 {
                pure += 1;
            }
            let c = f["geometry"]["coordinates"].as_array().unwrap();
            let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            let t = time_ms(p["time"].as_str().unwrap());
            let Some((_, snap)) = truth.range(..=t + 500).next_back() else {
                continue;
            };
            let nearest = |domain: &str| {
                snap.iter()
                    .filter(|o| o.2 == domain)
                    .map(|o| distance_m(lat, lon, o.0, o.1))
                    .fold(f64::INFINITY, f64::min)
            };
            // A ground track (the reports' classification: wheeled vehicle) against the
            // ground vehicles, anything else against the surface movers.
            if p["domain"] == "ground" {
                ground_errors.push(nearest("ground"));
            } else {
                errors.push(nearest("surface"));
            }
        }
        if errors.len() >= 3 && ground_errors.len() >= 2 {
            break;
        }
    }
    let f = feed();
    eprintln!(
        "{GMTI}: accepted {}, rejected {}; {} tracks with GMTI ({pure} from GMTI alone), \
         distance to the nearest surface object: {errors:.0?} m, of the ground tracks to the \
         nearest ground vehicle: {ground_errors:.0?} m",
        f["accepted"],
        f["rejected"],
        errors.len()
    );
    assert_eq!(f["rejected"], 0, "{f}");
    assert!(f["accepted"].as_u64().unwrap() > 20, "{f}");
    assert!(errors.len() >= 3, "too few GMTI tracks: {errors:?}");
    errors.sort_by(|a, b| a.total_cmp(b));
    let median = errors[errors.len() / 2];
    let near = errors.iter().filter(|d| **d < 1_000.0).count();
    assert!(median < 300.0, "median distance {median:.0} m");
    assert!(
        near * 10 >= errors.len() * 8,
        "only {near} of {} GMTI tracks within 1 km of a surface object",
        errors.len()
    );
    // The vehicles are 100–150 km from the orbit, where 0.25° of azimuth is ~500 m
    // across the beam: a ground track within that of a vehicle is on it.
    assert!(!ground_errors.is_empty(), "no ground track");
    ground_errors.sort_by(|a, b| a.total_cmp(b));
    let median = ground_errors[ground_errors.len() / 2];
    assert!(
        median < 500.0,
        "ground tracks: median distance {median:.0} m"
    );
    assert!(
        ground_errors.iter().all(|d| *d < 1_000.0),
        "a ground track more than 1 km from every ground vehicle: {ground_errors:.0?}"
    );
}
