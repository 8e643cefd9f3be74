//! The demo's missile-defence radars reach the real binary as `plots3d` feeds: within
//! about two simulated minutes of the first launch, JPN, USA and KOR see a ballistic
//! missile track with an impact prediction near the truth's impact point, and AUS and
//! PHL, to whom no radar feed is released, see no missile at all. The missiles' truth
//! goes beside the truth file.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// The missile tracks an analyst of `token` sees.
fn missiles(b: &Biac, token: &str) -> Vec<Value> {
    get_json(b.http, "/api/v1/tracks", token)["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["properties"]["missile"].is_null())
        .cloned()
        .collect()
}

/// Impact points of the truth's missiles: (missile, lat, lon).
fn truth_impacts(path: &std::path::Path) -> Vec<(u32, f64, f64)> {
    // The simulator writes it when it starts, which may be after the server answers.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    // Created, then written in one go at start: give the writer a moment to finish.
    std::thread::sleep(Duration::from_secs(1));
    let text = std::fs::read_to_string(path).expect("missile truth file");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    assert_eq!(header[0], "time_ms");
    let (m, la, lo) = (col("missile"), col("impact_lat"), col("impact_lon"));
    let mut out: Vec<(u32, f64, f64)> = Vec::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        let id = f[m].parse().unwrap();
        if !out.iter().any(|o| o.0 == id) {
            out.push((id, f[la].parse().unwrap(), f[lo].parse().unwrap()));
        }
    }
    out
}

#[test]
fn jpn_usa_and_kor_see_the_missile_and_its_impact_aus_and_phl_none() {
    let dir = tempfile::tempdir().unwrap();
    let (b, truth, _data) = start_demo_with_truth(dir.path());
    let started = Instant::now();
    let feeds = get_json(b.http, "/api/v1/feeds", "demo-jpn");
    let radar = feeds["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "kor-greenpine")
        .cloned()
        .expect("the Green Pine feed");
    assert_eq!(radar["format"], "plots3d");

    let impacts = truth_impacts(&truth.with_file_name("truth-missiles.csv"));
    assert_eq!(impacts.len(), 4, "{impacts:?}");
    let srbm = impacts[0];

    // Speed 4: the SRBM launches ~7.5 s in; two simulated minutes after it is ~40 s.
    let deadline = Duration::from_secs(75);
    let mut seen = None;
    while started.elapsed() < deadline {
        std::thread::sleep(Duration::from_secs(2));
        let all: Vec<Vec<Value>> = ["demo-jpn", "demo-usa", "demo-kor"]
            .iter()
            .map(|t| missiles(&b, t))
            .collect();
        let with_ipp = |v: &Vec<Value>| {
            v.iter()
                .find(|f| !f["properties"]["missile"]["ipp"].is_null())
                .cloned()
        };
        if let [Some(j), Some(u), Some(k)] =
            [with_ipp(&all[0]), with_ipp(&all[1]), with_ipp(&all[2])]
        {
            seen = Some((j, u, k, started.elapsed()));
            break;
        }
    }
    let (j, u, k, after) = seen.unwrap_or_else(|| {
        panic!(
            "no missile track with an impact prediction for JPN, USA and KOR within {deadline:?}"
        )
    });
    eprintln!("missile with an impact prediction for JPN, USA and KOR after {after:?}");
    for (who, f) in [("JPN", &j), ("USA", &u), ("KOR", &k)] {
        let p = &f["properties"];
        let m = &p["missile"];
        assert_eq!(p["domain"], "air", "{who}");
        // Only the three may see a missile-defence radar's plot.
        let mut rel: Vec<&str> = p["label"]["releasable_to"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        rel.sort();
        assert_eq!(rel, ["JPN", "KOR", "USA"], "{who}: {p}");
        let ipp = &m["ipp"];
        let d = distance_m(
            ipp["lat"].as_f64().unwrap(),
            ipp["lon"].as_f64().unwrap(),
            srbm.1,
            srbm.2,
        );
        // Soon after burnout the prediction is coarse; it is the SRBM's all the same.
        assert!(
            d < 50_000.0,
            "{who}: impact predicted {d:.0} m from the truth: {m}"
        );
        assert!(ipp["semi_major_m"].as_f64().unwrap() > 0.0);
        let traj = m["trajectory"].as_array().unwrap();
        assert!(traj.len() >= 10, "{who}: {m}");
        assert!(["midcourse", "terminal"].contains(&m["phase"].as_str().unwrap()));
    }
    for token in ["demo-aus", "demo-phl"] {
        let v = missiles(&b, token);
        assert!(v.is_empty(), "{token} sees a missile: {v:?}");
        let tracks = get_json(b.http, "/api/v1/tracks", token);
        assert!(tracks["features"].as_array().unwrap().iter().all(|f| {
            let s = f["properties"]["sources"].as_array().unwrap();
            !s.iter()
                .any(|s| s.as_str().unwrap().contains("tpy2") || s == "kor-greenpine")
        }));
    }
}
