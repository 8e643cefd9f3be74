//! `biac decode gmti FILE`: one JSON line per STANAG 4607 segment in wire order, with
//! exactly the contract's keys (`null` where the mask leaves a field out); errors on
//! stderr with the absolute byte offset in the file; after a bad packet the next one
//! decodes; exit status 0 if any segment decoded.

use std::process::{Command, Output};

use biac_formats::stanag4607::{
    chars, deg_ba32, deg_sa32, encode_packet, Dwell, FreeText, JobDefinition, Mission,
    PacketHeader, PlatformLocation, Point, Segment, TargetReport, TestStatus,
};
use serde_json::{json, Value};

fn decode_gmti(bytes: &[u8]) -> (Output, Vec<Value>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mq9.4607");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_biac"))
        .args(["decode", "gmti"])
        .arg(&path)
        .output()
        .unwrap();
    let lines = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, lines, stderr)
}

fn header(version: &[u8; 2]) -> PacketHeader {
    PacketHeader {
        version: *version,
        nationality: chars("US"),
        classification: 5,
        class_system: chars("  "),
        platform_id: chars("MQ9-KANOYA"),
        mission_id: 17,
        job_id: 4607,
        ..PacketHeader::default()
    }
}

fn mission() -> Segment {
    Segment::Mission(Mission {
        mission_plan: chars("BIAC-1"),
        flight_plan: chars("ORBIT-A"),
        platform_type: 36,
        platform_configuration: chars("LYNX"),
        year: 2026,
        month: 3,
        day: 9,
    })
}

/// A dwell with every target field, high-resolution positions.
fn dwell_full() -> Dwell {
    let mut d = Dwell {
        revisit_index: 3,
        dwell_index: 7,
        last_dwell: 1,
        dwell_time_ms: 36_000_123,
        sensor_lat: deg_sa32(31.2),
        sensor_lon: deg_ba32(130.8),
        sensor_alt_cm: 1_524_050,
        center_lat: deg_sa32(30.9),
        center_lon: deg_ba32(131.1),
        range_half_extent: 20 * 128,
        angle_half_extent: 1000,
        lat_scale: Some(1000),
        lon_scale: Some(1000),
        targets: vec![TargetReport {
            report_index: Some(42),
            lat: Some(deg_sa32(30.95)),
            lon: Some(deg_ba32(131.05)),
            height_m: Some(-12),
            radial_velocity_cm_s: Some(-1234),
            wrap_velocity_cm_s: Some(40_000),
            snr_db: Some(-5),
            classification: Some(200),
            class_probability_pct: Some(80),
            slant_range_uncertainty_cm: Some(500),
            cross_range_uncertainty_dm: Some(30),
            height_uncertainty_m: Some(10),
            radial_velocity_uncertainty_cm_s: Some(20),
            truth_tag_application: Some(1),
            truth_tag_entity: Some(99),
            rcs_half_db: Some(-7),
            ..TargetReport::default()
        }],
        ..Dwell::default()
    };
    d.fit_mask();
    d
}

/// A dwell with low-resolution positions and nothing optional else.
fn dwell_lowres() -> Dwell {
    let mut d = Dwell {
        revisit_index: 4,
        dwell_index: 0,
        last_dwell: 0,
        dwell_time_ms: 36_001_000,
        sensor_lat: deg_sa32(-10.0),
        sensor_lon: deg_ba32(350.0),
        sensor_alt_cm: -100,
        center_lat: deg_sa32(-10.5),
        center_lon: deg_ba32(0.001),
        range_half_extent: 128,
        angle_half_extent: 500,
        lat_scale: Some(2000),
        lon_scale: Some(3000),
        targets: [(10, 20), (-300, -400)]
            .map(|(dlat, dlon)| TargetReport {
                delta_lat: Some(dlat),
                delta_lon: Some(dlon),
                ..TargetReport::default()
            })
            .to_vec(),
        ..Dwell::default()
    };
    d.fit_mask();
    d
}

fn job() -> Segment {
    Segment::JobDefinition(JobDefinition {
        job_id: 4607,
        sensor_id_type: 9,
        sensor_id_model: chars("LYNX"),
        bounding_area: [Point::from_deg(31.0, 130.0); 4],
        ..JobDefinition::default()
    })
}

fn location() -> Segment {
    Segment::PlatformLocation(PlatformLocation {
        time_ms: 36_000_000,
        lat: deg_sa32(31.25),
        lon: deg_ba32(130.75),
        alt_cm: 1_500_000,
        track: 0x4000,
        speed_mm_s: 80_000,
        vertical_velocity_dm_s: -3,
    })
}

fn free_text() -> Segment {
    Segment::FreeText(FreeText {
        originator: chars("KANOYA"),
        recipient: chars("BIAC"),
        text: b"two movers on route 224 ".to_vec(),
    })
}

fn sa32(deg: f64) -> f64 {
    biac_formats::stanag4607::sa32_deg(deg_sa32(deg))
}
fn ba32(deg: f64) -> f64 {
    biac_formats::stanag4607::ba32_deg(deg_ba32(deg))
}

#[test]
fn every_segment_prints_the_contract_line() {
    let status = Segment::TestStatus(TestStatus::default());
    let unknown = Segment::Other {
        kind: 200,
        payload: vec![1, 2, 3],
    };
    let mut file = encode_packet(
        &header(b"30"),
        &[mission(), job(), Segment::Dwell(dwell_full()), location()],
    );
    file.extend(encode_packet(
        &header(b"41"),
        &[
            mission(),
            Segment::Dwell(dwell_lowres()),
            free_text(),
            status,
            unknown,
        ],
    ));
    let (out, lines, stderr) = decode_gmti(&file);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("byte"), "no error expected: {stderr}");
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "mission",
            "job_definition",
            "dwell",
            "platform_location",
            "mission",
            "dwell",
            "free_text",
            "test_status",
            "unknown"
        ]
    );
    assert_eq!(
        lines[0],
        json!({"kind": "mission", "mission_plan": "BIAC-1", "flight_plan": "ORBIT-A",
            "platform_type": 36, "platform_configuration": "LYNX", "date": "2026-03-09"})
    );
    assert_eq!(
        lines[4], lines[0],
        "a repeated mission segment prints again"
    );
    let j = &lines[1];
    assert_eq!(
        (&j["job_id"], &j["sensor_id_type"], &j["sensor_id_model"]),
        (&json!(4607), &json!(9), &json!("LYNX"))
    );
    let d = &lines[2];
    let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "kind",
            "revisit_index",
            "dwell_index",
            "last_dwell_of_revisit",
            "target_report_count",
            "dwell_time_ms",
            "sensor_lat",
            "sensor_lon",
            "sensor_alt_m",
            "dwell_center_lat",
            "dwell_center_lon",
            "targets"
        ]
    );
    assert_eq!(
        *d,
        json!({"kind": "dwell", "revisit_index": 3, "dwell_index": 7,
            "last_dwell_of_revisit": true, "target_report_count": 1, "dwell_time_ms": 36_000_123,
            "sensor_lat": sa32(31.2), "sensor_lon": ba32(130.8), "sensor_alt_m": 15240.5,
            "dwell_center_lat": sa32(30.9), "dwell_center_lon": ba32(131.1),
            "targets": [{"report_index": 42, "lat": sa32(30.95), "lon": ba32(131.05),
                "height_m": -12.0, "radial_velocity_mps": -12.34, "wrap_velocity_mps": 400.0,
                "snr_db": -5, "classification": 200, "rcs_dbsm": -3.5}]})
    );
    let p = &lines[3];
    assert_eq!(p["time_ms"], 36_000_000);
    assert_eq!(p["lat"], sa32(31.25));
    assert_eq!(p["lon"], ba32(130.75));
    assert_eq!(p["alt_m"], 15000.0);
    // Low resolution: centre + delta × scale, in raw units; longitude modulo a turn.
    let lr = &lines[5];
    let c = dwell_lowres();
    let lat = |d: i64| (i64::from(c.center_lat) + d * 2000) as f64 * 45.0 / 1_073_741_824.0;
    let lon = |d: i64| {
        (i64::from(c.center_lon) + d * 3000).rem_euclid(1 << 32) as f64 * 90.0 / 1_073_741_824.0
    };
    assert_eq!(lr["last_dwell_of_revisit"], false);
    assert_eq!(lr["sensor_alt_m"], -1.0);
    assert_eq!(
        lr["targets"],
        json!([
            {"report_index": null, "lat": lat(10), "lon": lon(20), "height_m": null,
             "radial_velocity_mps": null, "wrap_velocity_mps": null, "snr_db": null,
             "classification": null, "rcs_dbsm": null},
            {"report_index": null, "lat": lat(-300), "lon": lon(-400), "height_m": null,
             "radial_velocity_mps": null, "wrap_velocity_mps": null, "snr_db": null,
             "classification": null, "rcs_dbsm": null}
        ])
    );
    assert!(lr["targets"][1]["lon"].as_f64().unwrap() > 359.9, "wrapped");
    assert_eq!(
        lines[6],
        json!({"kind": "free_text", "originator": "KANOYA", "recipient": "BIAC",
            "text": "two movers on route 224"})
    );
    assert_eq!(
        lines[7],
        json!({"kind": "test_status", "type": 10, "bytes": 19})
    );
    assert_eq!(
        lines[8],
        json!({"kind": "unknown", "type": 200, "bytes": 8})
    );
}

/// The absolute offsets of the error lines on stderr.
fn error_offsets(stderr: &str) -> Vec<u64> {
    stderr
        .lines()
        .filter_map(|l| {
            let rest = l.split(": byte ").nth(1)?;
            rest.split(':').next()?.parse().ok()
        })
        .collect()
}

#[test]
fn errors_carry_the_absolute_offset_and_the_next_packet_decodes() {
    let good = encode_packet(&header(b"41"), &[mission(), location()]);
    // A packet whose second segment claims more bytes than the packet holds.
    let mut overrun = encode_packet(&header(b"30"), &[free_text(), location()]);
    let second = 32 + 5 + 20 + 24;
    overrun[second + 1..second + 5].copy_from_slice(&1000u32.to_be_bytes());
    // A packet whose dwell's mask selects more fields than its segment holds (the
    // segment size is right, so the next segment in the packet still decodes).
    let mut bad_dwell = encode_packet(
        &header(b"41"),
        &[Segment::Dwell(dwell_lowres()), free_text()],
    );
    bad_dwell[32 + 5 + 1] |= 0x10; // D13 (sensor cross-track uncertainty), 4 more bytes
    let unsupported = {
        let mut p = encode_packet(&header(b"21"), &[mission()]);
        p[0..2].copy_from_slice(b"21");
        p
    };
    let junk = b"\x00\x01garbage".to_vec();
    let truncated = encode_packet(&header(b"41"), &[mission()]);

    let mut file = Vec::new();
    let mut starts = Vec::new();
    for part in [
        &good,
        &overrun,
        &good,
        &bad_dwell,
        &unsupported,
        &junk,
        &good,
        &truncated[..40].to_vec(),
    ] {
        starts.push(file.len() as u64);
        file.extend_from_slice(part);
    }
    let (out, lines, stderr) = decode_gmti(&file);
    assert!(out.status.success(), "{stderr}");
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "mission",
            "platform_location",
            "free_text", // the overrunning packet's first segment
            "mission",
            "platform_location",
            "free_text", // after the bad dwell, in its packet
            "mission",
            "platform_location",
        ],
        "{stderr}"
    );
    assert_eq!(
        error_offsets(&stderr),
        [
            starts[1] + second as u64, // the overrunning segment
            starts[3] + 32,            // the dwell
            starts[4],                 // version 21
            starts[5],                 // junk
            starts[7],                 // the capture ends inside this packet
        ],
        "{stderr}"
    );
}

#[test]
fn nothing_decoded_is_a_failure() {
    let (out, lines, stderr) = decode_gmti(b"this is not STANAG 4607 at all, not one packet");
    assert!(!out.status.success());
    assert!(lines.is_empty());
    assert!(stderr.contains("byte 0:"), "{stderr}");
}
