//! `biac decode`: a CAT048 capture to labelled observations carrying the
//! radar's range and azimuth, with the time of day placed on `--day`; a capture without
//! the radar site or the day is refused with the reason; gpsd's AIS sample decodes, all
//! 97 messages, to gpsdecode's JSON.

use std::process::Command;

use biac_formats::asterix::{encode_block, encode_record, Cat048, DataSource, MeasuredPolar};

fn biac() -> Command {
    Command::new(env!("CARGO_BIN_EXE_biac"))
}

/// Two plots 10 s apart (midnight wrap-around is the decoder's own tests' business),
/// then a block cut short by the end of the capture.
fn capture() -> Vec<u8> {
    let plot = |tod_s: u32, rho_nm: f64, theta_deg: f64, icao: Option<u32>| Cat048 {
        source: Some(DataSource { sac: 25, sic: 10 }),
        time_of_day: Some(tod_s * 128),
        descriptor: Some(biac_formats::asterix::Descriptor(vec![0x40])),
        polar: Some(MeasuredPolar {
            rho: (rho_nm * 256.0).round() as u16,
            theta: (theta_deg / 360.0 * 65536.0).round() as u16,
        }),
        aircraft_address: icao,
        ..Cat048::default()
    };
    let records = [
        encode_record(&plot(36_000, 40.0, 90.0, Some(0x86_abcd))).unwrap(),
        encode_record(&plot(36_010, 41.5, 91.0, None)).unwrap(),
    ];
    let mut bytes = encode_block(48, &records).unwrap();
    // A block that claims more bytes than the capture holds.
    bytes.extend_from_slice(&[48, 0, 40, 0x80]);
    bytes
}

/// `biac decode asterix` of `capture` from the test radar, on 2026-01-01.
fn decode_asterix(capture: &[u8]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("radar.ast");
    std::fs::write(&path, capture).unwrap();
    biac()
        .args(["decode", "asterix"])
        .arg(&path)
        .args(["--radar", "24.78,125.3,95", "--day", "2026-01-01"])
        .output()
        .unwrap()
}

#[test]
fn cat048_capture_decodes_to_polar_observations() {
    let out = decode_asterix(&capture());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let obs: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(obs.len(), 2, "{stderr}");
    // 2026-01-01T10:00:00Z and ten seconds later.
    assert_eq!(obs[0]["time_ms"], 1_767_261_600_000i64);
    assert_eq!(obs[1]["time_ms"], 1_767_261_610_000i64);
    let polar = &obs[0]["polar"];
    let range = polar["range_m"].as_f64().unwrap();
    assert!((range - 40.0 * 1852.0).abs() < 1.0, "{range}");
    let az = polar["azimuth_rad"].as_f64().unwrap();
    assert!((az - 90f64.to_radians()).abs() < 1e-4, "{az}");
    assert_eq!(polar["range_sigma_m"], 50.0);
    assert_eq!(polar["sensor_position"]["lat_deg"], 24.78);
    // About 74 km east of the site.
    let lon = obs[0]["position"]["lon_deg"].as_f64().unwrap();
    assert!(lon > 125.9 && lon < 126.1, "{lon}");
    assert!(obs[1]["polar"].is_object());
    assert!(
        stderr.contains("2 observations, 1 records rejected"),
        "{stderr}"
    );
    assert!(
        stderr.contains("input ends inside it (4 bytes)"),
        "{stderr}"
    );
}

#[test]
fn asterix_without_site_or_day_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("radar.ast");
    std::fs::write(&path, capture()).unwrap();
    for (args, want) in [
        (vec!["--day", "2026-01-01"], "--radar"),
        (vec!["--radar", "24.78,125.3,95"], "--day"),
        (
            vec!["--radar", "24.78,125.3", "--day", "2026-01-01"],
            "LAT,LON,ALT_M",
        ),
        (
            vec!["--radar", "24.78,125.3,95", "--day", "2026-13-01"],
            "--day",
        ),
    ] {
        let out = biac()
            .args(["decode", "asterix"])
            .arg(&path)
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
}

#[test]
fn a_capture_across_midnight_goes_on_into_the_next_day() {
    let rec = |tod_s: u32| {
        encode_record(&Cat048 {
            source: Some(DataSource { sac: 25, sic: 10 }),
            time_of_day: Some(tod_s * 128),
            descriptor: Some(biac_formats::asterix::Descriptor(vec![0x20])),
            polar: Some(MeasuredPolar {
                rho: 20 * 256,
                theta: 0,
            }),
            ..Cat048::default()
        })
        .unwrap()
    };
    // 23:59:50, then 00:00:05 and 12:00:00 of the next day (each within 12 h of the last).
    let mut bytes = Vec::new();
    for tod in [86_390, 5, 43_200] {
        bytes.extend(encode_block(48, &[rec(tod)]).unwrap());
    }
    let out = decode_asterix(&bytes);
    assert!(out.status.success());
    let times: Vec<i64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["time_ms"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let day = 1_767_225_600_000i64; // 2026-01-01T00:00:00Z
    assert_eq!(
        times,
        [
            day + 86_390_000,
            day + 86_405_000,
            day + 86_400_000 + 43_200_000
        ]
    );
}

/// A text capture that ends with whitespace after its last record is complete: no
/// rejection (this once counted one on every good CoT capture).
#[test]
fn cot_capture_with_a_trailing_newline_has_no_rejection() {
    let xml = "<event version=\"2.0\" uid=\"R.1\" type=\"a-u-S\" how=\"m-r\" \
        time=\"2026-01-01T10:00:00Z\" start=\"2026-01-01T10:00:00Z\" \
        stale=\"2026-01-01T10:01:00Z\"><point lat=\"24.5\" lon=\"125.5\" hae=\"0\" \
        ce=\"50\" le=\"9999999\"/></event>\n\n";
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [
        ("one.cot", xml.to_string()),
        ("empty.cot", "\n".to_string()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let out = biac().args(["decode", "cot"]).arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {stderr}");
        assert!(stderr.contains("0 records rejected"), "{name}: {stderr}");
    }
}

/// `biac decode ais` on gpsd's regression sample, as the file is: all 97 messages, each
/// equal to `gpsdecode -u -j`'s, including the one whose two lines carry characters
/// after the checksum (gpsd ignores them; we say so on stderr).
#[test]
fn ais_sample_decodes_all_97_messages_like_gpsdecode() {
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../biac-formats/tests/data/gpsd"
    );
    let out = biac()
        .args(["decode", "ais"])
        .arg(format!("{data}/sample.aivdm"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let parse = |l: &str| -> serde_json::Map<String, serde_json::Value> {
        let mut m: serde_json::Map<_, _> = serde_json::from_str(l).expect("a JSON object");
        // gpsd names its input device; we have none.
        m.remove("device");
        m
    };
    let ours: Vec<_> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(parse)
        .collect();
    let reference = std::fs::read_to_string(format!("{data}/sample.aivdm.ju.chk")).unwrap();
    let theirs: Vec<_> = reference.lines().map(parse).collect();
    assert_eq!(theirs.len(), 97);
    assert_eq!(ours.len(), theirs.len(), "{stderr}");
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(a, b, "message {i}");
    }
    assert!(stderr.contains("97 messages"), "{stderr}");
    assert!(
        stderr.contains("2 lines with characters after the checksum"),
        "{stderr}"
    );
    for n in [1080, 1081] {
        let note = format!("line {n}: ignored 8 characters after the checksum");
        assert!(stderr.contains(&note), "{stderr}");
    }
}
