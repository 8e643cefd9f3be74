//! CAT062 by hand: a record with every item shape walked and typed and re-encoded
//! byte for byte; malformed records rejected with the octet and the reason, the good
//! records around them still decoded; the system plane of I062/100; tracks to
//! national-track observations; random and mutated records never panic and what
//! decodes re-encodes alike.

use biac_formats::asterix::cat062::{
    decode_block, decode_record, encode_record, observe, walk_record, CartesianPos, Cat062,
    Subfields, SystemPlane, TrackStatus, Wgs84, CAT062, CAT062_ITEMS, DEFAULT_POS_SIGMA_M,
    WGS84_LSB_DEG,
};
use biac_formats::asterix::{encode_block, DataSource};
use biac_formats::framing::Frame;
use biac_formats::FeedDecoder;
use biac_model::{Domain, ObservationKind, RadarSite};
use peers_common::{asterix_feed, MIYAKO};
use proptest::prelude::*;

mod peers_common;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

const NOW: i64 = 1_767_225_600_000 + 43_200_000; // 2026-01-01T12:00:00Z

/// A record with an item of every shape: fixed (010, 070, 105, 185, 040, 130),
/// extended (080 over three octets), compound with a multi-octet primary (380: ADR,
/// TID repetitive, BDS repetitive; 500: APC and ATV over two primary octets; 390 CS),
/// FX-repetitive (510, two elements), explicit (RE, SP).
fn every_shape() -> Vec<u8> {
    hex("
        9B 1D 13 0D 06
        19 0A
        54 60 00
        00 46 7C 3F 01 64 68 AD
        03 9A FF F8
        81 41 01 10 86 12 34
        01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01
        01 11 22 33 44 55 66 77 88
        12 67
        41 03 80
        05 78
        40 4A 4C 41 31 32 33 20
        02 14 01 10 01 00
        84 01 2C 01 2C 08 08
        04 AA BB CC
        02 01
    ")
}

#[test]
fn every_item_shape_is_walked_typed_and_reencoded() {
    let rec = every_shape();
    let w = walk_record(&rec).unwrap();
    assert_eq!(w.len, rec.len());
    let present: Vec<usize> = (1..=CAT062_ITEMS)
        .filter(|f| w.items[f - 1].is_some())
        .collect();
    assert_eq!(present, [1, 4, 5, 7, 11, 12, 13, 18, 21, 26, 27, 34, 35]);
    let (r, n) = decode_record(&rec).unwrap();
    assert_eq!(n, rec.len());
    assert_eq!(r.source, Some(DataSource { sac: 25, sic: 10 }));
    assert_eq!(r.time_of_track_s(), Some(43_200.0));
    let p = r.wgs84.unwrap();
    assert_eq!(p.lat_deg(), f64::from(0x467C3F) * WGS84_LSB_DEG);
    assert!((p.lat_deg() - 24.78).abs() < 1e-5 && (p.lon_deg() - 125.3).abs() < 1e-5);
    assert_eq!(r.velocity_mps(), Some((230.5, -2.0)));
    assert_eq!(r.target_address(), Some(0x861234));
    let adr = r.aircraft_derived.as_ref().unwrap();
    assert_eq!(adr.get(9).map(<[u8]>::len), Some(16), "TID: REP 1 × 15");
    assert_eq!(adr.get(25).map(<[u8]>::len), Some(9), "MB: REP 1 × 8");
    assert_eq!(r.track_number, Some(0x1267));
    let ts = r.track_status.clone().unwrap();
    assert_eq!(ts.0, vec![0x41, 0x03, 0x80]);
    assert_eq!(
        (
            ts.field("SRC"),
            ts.tentative(),
            ts.field("KOS"),
            ts.field("AMA")
        ),
        (Some(0), false, Some(1), Some(1))
    );
    assert_eq!(ts.field("CST"), None, "fourth octet absent");
    assert_eq!(r.geometric_alt_ft(), Some(1400.0 * 6.25));
    assert_eq!(r.flight_plan_callsign().as_deref(), Some("JLA123"));
    assert_eq!(r.composed, Some(vec![(0x02, 0x0A00), (0x10, 0x0080)]));
    let acc = r.estimated_accuracies().unwrap();
    assert_eq!(acc.apc_m, Some((150.0, 150.0)));
    assert_eq!(acc.atv_mps, Some((2.0, 2.0)));
    assert_eq!(acc.cov_m, None);
    assert_eq!(r.re, Some(vec![0xAA, 0xBB, 0xCC]));
    assert_eq!(r.sp, Some(vec![0x01]));
    assert_eq!(encode_record(&r).unwrap(), rec);
    // Two records in a block: the second is found where the first ends.
    let second = hex("80 19 0A");
    let b = encode_block(62, &[rec.clone(), second]).unwrap();
    let recs = decode_block(&b).unwrap().unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[1].source, Some(DataSource { sac: 25, sic: 10 }));
}

#[test]
fn malformed_records_name_the_octet_and_the_reason() {
    let cases: Vec<(Vec<u8>, usize, &str)> = vec![
        (vec![], 0, "empty record"),
        (hex("01 01 01 01 01 02"), 4, "FSPEC longer than 5 octets"),
        // FRN 2 is spare.
        (hex("40 00"), 0, "FSPEC sets spare FRN 2"),
        // FRN 29 (fifth octet, bit 8) is spare.
        (hex("01 01 01 01 80"), 4, "FSPEC sets spare FRN 29"),
        // I062/105 needs 8 octets.
        (
            hex("08 01 02 03"),
            4,
            "I062/105 at record octet 1: the item needs 8",
        ),
        // I062/510: the second element runs past the end.
        (
            hex("01 01 01 08 00 00 03 00"),
            8,
            "I062/510 at record octet 4: element 2 of 3 octets runs past the end",
        ),
        // I062/500: FX set in its second (last) primary octet.
        (
            hex("01 01 01 04 81 01 00"),
            5,
            "I062/500 at record octet 4: primary subfield extended (FX) past the 8",
        ),
        // I062/500: a spare subfield bit of its second primary octet (subfield 9).
        (
            hex("01 01 01 04 01 40"),
            5,
            "I062/500 at record octet 4: primary subfield sets spare subfield 9",
        ),
        // I062/340: bit 2 of its primary, subfield 7, is spare.
        (
            hex("01 01 01 02 02"),
            4,
            "I062/340 at record octet 4: primary subfield sets spare subfield 7",
        ),
        // I062/380 TID announced, REP 2 × 15, one element given.
        (
            {
                let mut v = hex("01 10 01 40 02");
                v.extend([0; 15]);
                v
            },
            20,
            "I062/380 at record octet 2: subfield 9: REP 2 × 15 needs 31",
        ),
    ];
    let good = hex("80 19 0A");
    for (bytes, at, why) in cases {
        let e = walk_record(&bytes).unwrap_err();
        assert!(e.reason.to_string().contains(why), "{bytes:02x?}: {e:?}");
        assert_eq!(e.at, at, "{bytes:02x?}: {e:?}");
        if !bytes.is_empty() {
            let b = encode_block(62, &[good.clone(), bytes.clone()]).unwrap();
            let err = decode_block(&b).unwrap_err();
            assert!(
                err.to_string().contains("CAT062 record 2 (block octet 6)")
                    && err.to_string().contains(why),
                "{err}"
            );
        }
    }
}

/// A stream: a good block of two tracks, a block whose second record is malformed
/// (its first still decodes: the framer hands records over one by one), a CAT048
/// plot block, and a good block after. Every error names the record's stream offset.
#[test]
fn a_malformed_record_loses_only_the_rest_of_its_block() {
    let track = |tn: u16| {
        encode_record(&Cat062 {
            source: Some(DataSource { sac: 25, sic: 10 }),
            time_of_track: Some(43_200 * 128),
            wgs84: Some(Wgs84 {
                lat: (25.0 / WGS84_LSB_DEG) as i32,
                lon: (125.0 / WGS84_LSB_DEG) as i32,
            }),
            track_number: Some(tn),
            ..Cat062::default()
        })
        .unwrap()
    };
    // A spare FRN: fails at its FSPEC (a malformed item could instead swallow the
    // octets of the record after it, which carry no length).
    let bad = hex("40");
    let mut stream = encode_block(62, &[track(1), track(2)]).unwrap();
    let bad_at = stream.len() + 3 + track(3).len();
    stream.extend(encode_block(62, &[track(3), bad, track(4)]).unwrap());
    stream.extend(hex("30 00 0A 90 19 0A 0A 00 20 00"));
    stream.extend(encode_block(62, &[track(5)]).unwrap());
    let mut dec = FeedDecoder::new(asterix_feed("sdps", MIYAKO));
    let mut framer = dec.framer();
    framer.push(&stream);
    let (mut tns, mut errs, mut plots) = (Vec::new(), Vec::new(), 0);
    while let Some(Frame::Record { offset, bytes }) = framer.next_frame() {
        match dec.decode(&bytes, offset, NOW) {
            Ok(obs) => {
                for o in obs {
                    match o.kind {
                        ObservationKind::Track => tns.push(o.identity.track_number.unwrap()),
                        _ => plots += 1,
                    }
                }
            }
            Err(e) => errs.push(e),
        }
    }
    assert_eq!(tns, ["25/10:1", "25/10:2", "25/10:3", "25/10:5"]);
    assert_eq!(plots, 1);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].offset, bad_at as u64);
    assert!(
        errs[0]
            .reason
            .to_string()
            .starts_with("CAT062 record: FSPEC sets spare FRN 2"),
        "{}",
        errs[0].reason
    );
    let stats = dec.asterix_stats().unwrap();
    assert_eq!((stats.tracks, stats.records), (4, 1));
}

#[test]
fn the_system_plane_is_a_stereographic_about_the_srp() {
    let plane = SystemPlane::new(24.78, 125.3);
    let (lat, lon) = plane.to_geodetic(0.0, 0.0);
    assert!((lat - 24.78).abs() < 1e-12 && (lon - 125.3).abs() < 1e-12);
    for (x, y) in [
        (100_000.0, 0.0),
        (-250_000.0, 180_000.0),
        (3_000.0, -400_000.0),
    ] {
        let (lat, lon) = plane.to_geodetic(x, y);
        let (bx, by) = plane.to_plane(lat, lon);
        assert!(
            (bx - x).abs() < 1e-6 && (by - y).abs() < 1e-6,
            "{x} {y}: {bx} {by}"
        );
        // The plane stretches distances by sec²(c/2) > 1: the geodesic is shorter.
        let s = biac_geo::distance_m(24.78, 125.3, lat, lon);
        let r = x.hypot(y);
        assert!(s < r && r - s < r * 1e-3, "{s} {r}");
    }
    // 300 km due north and east: the plane point lies 2R tan(s/2R) out, s the
    // geodesic distance (R ≈ 6,363 km here), so a bit over 300 km.
    let (lat, lon) = plane.to_geodetic(0.0, 300_000.0);
    assert!((lon - 125.3).abs() < 1e-9);
    let s = biac_geo::distance_m(24.78, 125.3, lat, lon);
    assert!((300_000.0 - s - 55.0).abs() < 10.0, "{}", 300_000.0 - s);
    // Convergence: none on the SRP's meridian; east of it in the northern
    // hemisphere the plane's y axis points east of true north, by about Δλ sin φ.
    assert!(plane.convergence_rad(lat, lon).abs() < 1e-12);
    let (lat, lon) = plane.to_geodetic(300_000.0, 0.0);
    let g = plane.convergence_rad(lat, lon).to_degrees();
    let expect = (lon - 125.3) * 24.78f64.to_radians().sin();
    assert!((g - expect).abs() < 0.02, "{g} vs {expect}");
    // A plane velocity due north there heads east of true north by g.
    let (e, n) = plane.velocity_to_en(lat, lon, 0.0, 100.0);
    assert!((e.atan2(n).to_degrees() - g).abs() < 1e-9 && (e.hypot(n) - 100.0).abs() < 1e-9);
}

#[test]
fn tracks_become_national_track_observations() {
    let cfg = asterix_feed("sdps", MIYAKO);
    let srp = MIYAKO;
    let base = Cat062 {
        source: Some(DataSource { sac: 25, sic: 10 }),
        time_of_track: Some((86_399.5 * 128.0) as u32),
        cartesian: Some(CartesianPos {
            x: 200_000,
            y: -100_000,
        }),
        velocity: Some([400, 0]),
        track_number: Some(77),
        ..Cat062::default()
    };
    // I062/100 only: in the SRP's plane. Just before midnight, received just after.
    let o = observe(&cfg, &srp, &base, NOW + 43_200_000 + 1_000)
        .unwrap()
        .unwrap();
    let (lat, lon) = SystemPlane::new(srp.lat_deg, srp.lon_deg).to_geodetic(100_000.0, -50_000.0);
    assert_eq!((o.position.lat_deg, o.position.lon_deg), (lat, lon));
    assert_eq!(o.position.alt_m, None);
    assert_eq!(o.time_ms, NOW + 43_200_000 - 500);
    assert_eq!((o.kind, o.domain), (ObservationKind::Track, Domain::Air));
    assert_eq!(o.identity.track_number.as_deref(), Some("25/10:77"));
    assert_eq!(o.pos_sigma_m, DEFAULT_POS_SIGMA_M);
    assert_eq!(o.sensor, "25/10");
    let v = o.velocity.unwrap();
    assert!((v.east_mps.hypot(v.north_mps) - 100.0).abs() < 1e-9);
    assert!(
        v.north_mps < 0.0,
        "plane east is south of true east here: {v:?}"
    );
    // I062/105 wins over 100; altitude from 130, else 135, else 136; sigma from APW.
    let mut r = base.clone();
    r.wgs84 = Some(Wgs84 {
        lat: (25.5 / WGS84_LSB_DEG) as i32,
        lon: (126.0 / WGS84_LSB_DEG) as i32,
    });
    r.barometric_alt = Some(1400 * 4);
    r.measured_fl = Some(1000 * 4);
    let mut acc = Subfields(vec![None; 8]);
    let apw_raw = (100.0 / 111_120.0 / WGS84_LSB_DEG) as u16;
    let apw = apw_raw.to_be_bytes();
    acc.0[2] = Some([apw, apw].concat());
    r.accuracies = Some(acc);
    let o = observe(&cfg, &srp, &r, NOW).unwrap().unwrap();
    assert!((o.position.lat_deg - 25.5).abs() < 1e-5 && (o.position.lon_deg - 126.0).abs() < 1e-5);
    assert!((o.position.alt_m.unwrap() - 140_000.0 * 0.3048).abs() < 1e-6);
    // A degree of latitude 111.12 km, of longitude that times cos φ.
    let dlat_m = f64::from(apw_raw) * WGS84_LSB_DEG * 111_120.0;
    let expect = dlat_m * ((1.0 + 25.5f64.to_radians().cos().powi(2)) / 2.0).sqrt();
    assert!(
        (o.pos_sigma_m - expect).abs() < 1e-4,
        "{} {expect}",
        o.pos_sigma_m
    );
    // Simulated and coasting tracks, and tracks without a position, are no estimate.
    for (status, what) in [(vec![0x01, 0x80], "SIM"), (vec![1, 1, 1, 0x80], "CST")] {
        let mut s = base.clone();
        s.track_status = Some(TrackStatus(status));
        assert_eq!(observe(&cfg, &srp, &s, NOW), Ok(None), "{what}");
    }
    let mut s = base.clone();
    s.cartesian = None;
    assert_eq!(observe(&cfg, &srp, &s, NOW), Ok(None));
    // Another SDPS on this feed, and a time of day past midnight, are errors.
    let mut s = base.clone();
    s.source = Some(DataSource { sac: 25, sic: 11 });
    let e = observe(&cfg, &srp, &s, NOW).unwrap_err();
    assert!(
        e.to_string()
            .contains("SAC/SIC 25/11, the feed's system is 25/10"),
        "{e}"
    );
    let mut s = base.clone();
    s.time_of_track = Some(86_400 * 128);
    assert!(observe(&cfg, &srp, &s, NOW)
        .unwrap_err()
        .to_string()
        .contains("I062/070"));
    // Without a SAC/SIC in the configuration any source is taken.
    let any = RadarSite {
        sac: None,
        sic: None,
        ..srp
    };
    let mut s = base;
    s.source = Some(DataSource { sac: 1, sic: 2 });
    assert!(observe(&cfg, &any, &s, NOW).unwrap().is_some());
}

#[test]
fn encoder_refuses_values_outside_their_bits() {
    let mut r = Cat062 {
        cartesian: Some(CartesianPos { x: 1 << 23, y: 0 }),
        ..Cat062::default()
    };
    assert!(encode_record(&r)
        .unwrap_err()
        .to_string()
        .contains("24 bits"));
    r.cartesian = None;
    r.composed = Some(vec![(1, 1 << 15)]);
    assert!(encode_record(&r)
        .unwrap_err()
        .to_string()
        .contains("15 bits"));
    r.composed = None;
    r.accuracies = Some(Subfields(vec![Some(vec![1, 2, 3])]));
    assert!(encode_record(&r)
        .unwrap_err()
        .to_string()
        .contains("subfield 1"));
    assert!(encode_record(&Cat062::default()).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Random bytes as a record: never a panic; what decodes re-encodes to a record
    /// that decodes alike (the same record whenever the FSPEC and primaries were
    /// minimal), and its observation, if any, has a valid position.
    #[test]
    fn random_records_never_panic(data in proptest::collection::vec(any::<u8>(), 0..160)) {
        check(&data);
    }

    /// The hand-built record with a few octets changed or cut.
    #[test]
    fn mutated_records_never_panic(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        let mut rec = every_shape();
        for (i, b) in edits {
            let n = rec.len();
            rec[i % n] = b;
        }
        let keep = cut % (rec.len() + 1);
        rec.truncate(keep);
        check(&rec);
    }
}

fn check(data: &[u8]) {
    if let Ok((rec, n)) = decode_record(data) {
        assert!(n <= data.len());
        if let Ok(enc) = encode_record(&rec) {
            assert_eq!(decode_record(&enc), Ok((rec.clone(), enc.len())));
        }
        let cfg = asterix_feed("fuzz", MIYAKO);
        let srp = RadarSite {
            sac: None,
            sic: None,
            ..MIYAKO
        };
        if let Ok(Some(o)) = observe(&cfg, &srp, &rec, NOW) {
            assert!(o.position.is_valid() && o.pos_sigma_m > 0.0);
        }
    }
    // And as a block through the feed.
    let mut block = vec![CAT062, 0, 0];
    block.extend_from_slice(data);
    let len = block.len() as u16;
    block[1..3].copy_from_slice(&len.to_be_bytes());
    let mut dec = FeedDecoder::new(asterix_feed("fuzz", MIYAKO));
    let mut framer = dec.framer();
    framer.push(&block);
    while let Some(frame) = framer.next_frame() {
        if let Frame::Record { offset, bytes } = frame {
            let _ = dec.decode(&bytes, offset, NOW);
        }
    }
}
