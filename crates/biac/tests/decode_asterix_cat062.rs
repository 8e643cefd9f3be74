//! `biac decode asterix` of a capture mixing CAT048 plots and CAT062 system tracks:
//! the plots print as before (range and azimuth from the radar), the tracks as
//! national-track observations (I062/105 as given, I062/100 in the plane about the
//! `--radar` point, velocity, identity, sigma from I062/500), each on its own line in
//! capture order.

use std::process::Command;

use biac_formats::asterix::cat062::{self, CartesianPos, Cat062, Subfields, Wgs84};
use biac_formats::asterix::{encode_block, encode_record, Cat048, DataSource, MeasuredPolar};

#[test]
fn cat062_tracks_print_beside_cat048_plots() {
    let lsb = cat062::WGS84_LSB_DEG;
    let mut acc = Subfields(vec![None; 8]);
    acc.0[0] = Some(vec![0, 200, 0, 200]); // APC 100 m, 100 m
    let wgs = Cat062 {
        source: Some(DataSource { sac: 25, sic: 20 }),
        time_of_track: Some(36_000 * 128),
        wgs84: Some(Wgs84 {
            lat: (26.0 / lsb).round() as i32,
            lon: (127.5 / lsb).round() as i32,
        }),
        velocity: Some([0, 800]),
        track_number: Some(812),
        accuracies: Some(acc),
        geometric_alt: Some(1600),
        ..Cat062::default()
    };
    let cart = Cat062 {
        source: Some(DataSource { sac: 25, sic: 20 }),
        time_of_track: Some(36_004 * 128),
        cartesian: Some(CartesianPos { x: 0, y: 200_000 }),
        track_number: Some(813),
        ..Cat062::default()
    };
    let plot = Cat048 {
        source: Some(DataSource { sac: 25, sic: 10 }),
        time_of_day: Some(36_002 * 128),
        descriptor: Some(biac_formats::asterix::Descriptor(vec![0x40])),
        polar: Some(MeasuredPolar {
            rho: 40 * 256,
            theta: 16_384,
        }),
        ..Cat048::default()
    };
    let mut capture = encode_block(62, &[cat062::encode_record(&wgs).unwrap()]).unwrap();
    capture.extend(encode_block(48, &[encode_record(&plot).unwrap()]).unwrap());
    capture.extend(encode_block(62, &[cat062::encode_record(&cart).unwrap()]).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("picture.ast");
    std::fs::write(&path, &capture).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_biac"))
        .args(["decode", "asterix"])
        .arg(&path)
        .args(["--radar", "24.78,125.3,95", "--day", "2026-01-01"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("3 observations, 0 records rejected"),
        "{stderr}"
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let day = 1_767_225_600_000i64;
    let t = &lines[0];
    assert_eq!(t["kind"], "track");
    assert_eq!(t["domain"], "air");
    assert_eq!(t["time_ms"], day + 36_000_000);
    assert_eq!(t["identity"]["track_number"], "25/20:812");
    assert_eq!(t["sensor"], "25/20");
    assert!((t["position"]["lat_deg"].as_f64().unwrap() - 26.0).abs() < 1e-5);
    assert!((t["position"]["lon_deg"].as_f64().unwrap() - 127.5).abs() < 1e-5);
    assert!((t["position"]["alt_m"].as_f64().unwrap() - 10_000.0 * 0.3048).abs() < 1e-6);
    assert_eq!(t["pos_sigma_m"], 100.0);
    // 200 m/s along the plane's y axis: a little east of true north out here.
    let (e, n) = (
        t["velocity"]["east_mps"].as_f64().unwrap(),
        t["velocity"]["north_mps"].as_f64().unwrap(),
    );
    assert!(
        (e.hypot(n) - 200.0).abs() < 1e-9 && e > 0.0 && e < 10.0,
        "{e} {n}"
    );
    assert!(t.get("polar").is_none());
    // The CAT048 plot, as before.
    assert_eq!(lines[1]["kind"], "plot");
    assert!(lines[1]["polar"]["range_m"].as_f64().unwrap() > 74_000.0);
    // 100 km north of the --radar point, in its plane.
    let c = &lines[2];
    assert_eq!(c["identity"]["track_number"], "25/20:813");
    assert_eq!(c["time_ms"], day + 36_004_000);
    assert!((c["position"]["lon_deg"].as_f64().unwrap() - 125.3).abs() < 1e-9);
    let lat = c["position"]["lat_deg"].as_f64().unwrap();
    assert!((lat - (24.78 + 100.0 / 110.8)).abs() < 0.01, "{lat}");
}
