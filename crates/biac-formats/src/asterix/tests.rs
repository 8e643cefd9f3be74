//! Hand-built CAT048 bytes: every item shape walked and typed, malformed records
//! rejected with the octet and the reason, records to observations.

use super::*;
use biac_model::{FeedFormat, Label, Nation};

fn block(cat: u8, recs: &[&[u8]]) -> Vec<u8> {
    encode_block(cat, &recs.iter().map(|r| r.to_vec()).collect::<Vec<_>>()).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// A record with an item of every shape, each variable one followed by a fixed one
/// whose value shows it was found where it belongs.
fn all_shapes() -> Vec<u8> {
    hex("F3 33 E7 06
         19 0A
         54 60 00
         A5 0B 40
         64 00 40 00
         88 05 C8
         02 01 02 03 04 05 06 07 40  11 12 13 14 15 16 17 50
         01 23
         4B 10
         AA BB CC DD
         07 18
         0F 0F
         C0 03 FB 02 00 10 00 20 00 30 00 11 00 21 00 31
         12 34
         04 01 02 03
         03 AA BB")
}

/// Two CAT048 blocks and two CAT034 blocks, from libasterix's README (its example of
/// encoding north markers, sector crossings and a plot).
const README_STREAM: &str =
    "220007c0010201220008d00102020030000c9801020a0020000fff220008d001020220";

#[test]
fn readme_example_decodes() {
    let bytes = hex(README_STREAM);
    let mut pos = 0;
    let mut cats = Vec::new();
    while pos < bytes.len() {
        let len = usize::from(u16::from_be_bytes([bytes[pos + 1], bytes[pos + 2]]));
        let b = &bytes[pos..pos + len];
        cats.push(b[0]);
        if let Some(recs) = decode_block(b).unwrap() {
            assert_eq!(recs.len(), 1);
            let r = &recs[0];
            assert_eq!(r.source, Some(DataSource { sac: 1, sic: 2 }));
            let p = r.polar.unwrap();
            assert_eq!((p.range_nm(), p.azimuth_deg()), (10.0, 45.0));
            assert_eq!(r.mode3a.unwrap().octal(), "7777");
            assert_eq!(encode_record(r).unwrap(), b[3..].to_vec());
        }
        pos += len;
    }
    assert_eq!(cats, vec![34, 34, 48, 34]);
}

#[test]
fn every_item_shape_is_walked_and_typed() {
    let rec = all_shapes();
    let second = hex("90 19 0A 0A 00 20 00");
    let mut two = rec.clone();
    two.extend_from_slice(&second);
    let w = walk_record(&two).unwrap();
    assert_eq!(w.len, rec.len());
    let present: Vec<&str> = (1..=CAT048_ITEMS)
        .filter(|f| w.items[f - 1].is_some())
        .map(item_name)
        .collect();
    assert_eq!(
        present,
        [
            "I048/010", "I048/140", "I048/020", "I048/040", "I048/130", "I048/250", "I048/161",
            "I048/170", "I048/210", "I048/030", "I048/080", "I048/120", "I048/230", "SP", "RE"
        ]
    );
    let r = Cat048::from_items(&w);
    assert_eq!(r.source, Some(DataSource { sac: 25, sic: 10 }));
    assert_eq!(r.time_of_day_s(), Some(43_200.0));
    let d = r.descriptor.clone().unwrap();
    assert_eq!(d.0, vec![0xA5, 0x0B, 0x40]);
    assert_eq!(
        (d.typ(), d.sim(), d.rdp(), d.spi(), d.rab()),
        (5, false, false, true, false)
    );
    assert_eq!(
        (d.tst(), d.mi(), d.foe_fri()),
        (Some(false), Some(true), Some(1))
    );
    let p = r.polar.unwrap();
    assert_eq!((p.range_nm(), p.azimuth_deg()), (100.0, 90.0));
    let plot = r.plot.unwrap();
    assert_eq!((plot.srl, plot.pam, plot.srr), (Some(5), Some(0xC8), None));
    let bds = r.bds.clone().unwrap();
    assert_eq!(bds.len(), 2);
    assert_eq!(bds[1], [0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x50]);
    assert_eq!(r.trn(), Some(0x123));
    let ts = r.track_status.clone().unwrap();
    assert_eq!(
        (ts.tentative(), ts.rad(), ts.mah(), ts.cdm()),
        (false, 2, true, 1)
    );
    assert_eq!((ts.gho(), ts.tcc()), (Some(false), Some(true)));
    assert_eq!(r.track_quality, Some([0xAA, 0xBB, 0xCC, 0xDD]));
    assert_eq!(r.warnings, Some(vec![3, 12]));
    assert_eq!(r.mode3a_confidence, Some([0x0F, 0x0F]));
    let dop = r.doppler.clone().unwrap();
    assert_eq!(dop.cal, Some([0x03, 0xFB]));
    assert_eq!(
        dop.rds,
        Some(vec![
            [0, 0x10, 0, 0x20, 0, 0x30],
            [0, 0x11, 0, 0x21, 0, 0x31]
        ])
    );
    assert_eq!(r.capability, Some([0x12, 0x34]));
    assert_eq!(r.sp, Some(vec![1, 2, 3]));
    assert_eq!(r.re, Some(vec![0xAA, 0xBB]));
    // Re-encoded byte for byte, and the record after it is found.
    assert_eq!(encode_record(&r).unwrap(), rec);
    let recs = decode_block(&block(48, &[&rec, &second])).unwrap().unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[1].polar.unwrap().range_nm(), 10.0);
}

#[test]
fn malformed_records_name_the_octet_and_the_reason() {
    let cases: Vec<(Vec<u8>, usize, &str)> = vec![
        (vec![], 0, "empty record"),
        (hex("81"), 1, "FSPEC runs past the end"),
        (hex("01 01 01 01 80"), 3, "FSPEC longer than 4 octets"),
        (hex("00"), 0, "FSPEC names no item"),
        // I048/040 needs 4 octets, 2 left.
        (
            hex("90 19 0A 64 00"),
            5,
            "I048/040 at record octet 3: the item needs 4",
        ),
        // I048/020's extension never ends.
        (
            hex("A0 19 0A 01 01"),
            5,
            "I048/020 at record octet 3: extension 3 (FX)",
        ),
        // I048/250: REP 2, one element.
        (
            hex("01 20 02 01 02 03 04 05 06 07 08"),
            11,
            "I048/250 at record octet 2: REP 2 × 8 needs 17",
        ),
        // SP length 0, and RE longer than the record.
        (hex("01 01 01 04 00"), 4, "SP at record octet 4: length 0"),
        (
            hex("01 01 01 02 05 AA"),
            6,
            "RE at record octet 4: its length needs 5",
        ),
        // I048/120 sets spare subfield 3; then FX in its primary subfield.
        (
            hex("01 01 04 20 00"),
            3,
            "I048/120 at record octet 3: primary subfield sets spare subfield 3",
        ),
        (
            hex("01 01 04 81 00 00"),
            3,
            "primary subfield extended (FX)",
        ),
        // I048/130: PRL announced, missing.
        (
            hex("02 10"),
            2,
            "I048/130 at record octet 1: subfield 4: the item needs 1",
        ),
    ];
    for (bytes, at, why) in cases {
        let e = walk_record(&bytes).unwrap_err();
        assert!(e.reason.to_string().contains(why), "{bytes:02x?}: {e:?}");
        assert_eq!(e.at, at, "{bytes:02x?}: {e:?}");
        if !bytes.is_empty() {
            let b = block(48, &[&hex("90 19 0A 0A 00 20 00"), &bytes]);
            let err = decode_block(&b).unwrap_err();
            assert!(
                err.to_string().contains("CAT048 record 2 (block octet 10)")
                    && err.to_string().contains(why),
                "{err}"
            );
        }
    }
}

#[test]
fn block_headers_are_checked() {
    assert!(block_header(&[48, 0])
        .unwrap_err()
        .to_string()
        .contains("shorter than"));
    assert!(block_header(&[48, 0, 2])
        .unwrap_err()
        .to_string()
        .contains("less than its 3-octet header"));
    let e = block_header(&[48, 0, 9, 0x90]).unwrap_err();
    assert!(
        e.to_string().contains("length field 9, 4 octets framed"),
        "{e}"
    );
    assert!(block_header(&[0, 0, 3])
        .unwrap_err()
        .to_string()
        .contains("category 0"));
    assert_eq!(block_header(&[34, 0, 3]), Ok((34, 3)));
    assert_eq!(decode_block(&[34, 0, 4, 0xff]), Ok(None));
    assert_eq!(decode_block(&[48, 0, 3]), Ok(Some(vec![])));
}

#[test]
fn aircraft_identification_alphabet() {
    let id = AircraftId::from_text("JAL123").unwrap();
    assert_eq!(id.text().as_deref(), Some("JAL123  "));
    assert_eq!(id.callsign().as_deref(), Some("JAL123"));
    assert_eq!(AircraftId::from_text("").unwrap().callsign(), None);
    assert!(AircraftId::from_text("jal").is_none());
    // Code 0 is outside the alphabet.
    assert_eq!(AircraftId([0; 6]).text(), None);
}

#[test]
fn signed_fields() {
    assert_eq!(FlightLevel(0x3fff).quarters(), -1);
    assert_eq!(FlightLevel(0x8000 | 1400).flight_level(), 350.0);
    assert!(FlightLevel(0x8000).not_validated() && !FlightLevel(0x8000).garbled());
    let r = Cat048 {
        height_3d: Some(0x3ffe),
        ..Cat048::default()
    };
    assert_eq!(r.height_3d_ft(), Some(-50.0));
}

#[test]
fn time_of_day_is_placed_on_the_nearest_day() {
    let day = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    let tod = |s: f64| (s * 128.0) as u32;
    assert_eq!(
        resolve_time_of_day(tod(3_600.5), day + 3_601_000),
        day + 3_600_500
    );
    // Just before midnight, received just after: yesterday.
    assert_eq!(
        resolve_time_of_day(tod(86_390.0), day + 10_000),
        day - 10_000
    );
    // Just after midnight by the radar's clock, received just before: tomorrow.
    assert_eq!(
        resolve_time_of_day(tod(5.0), day + 86_395_000),
        day + 86_405_000
    );
    // 1/128 s to the nearest millisecond.
    assert_eq!(resolve_time_of_day(1, day), day + 8);
}

const SITE: RadarSite = RadarSite {
    lat_deg: 24.78,
    lon_deg: 125.3,
    alt_m: 95.0,
    sigma_range_m: 60.0,
    sigma_azimuth_deg: 0.1,
    sac: Some(25),
    sic: Some(10),
};

fn cfg(radar: RadarSite) -> FeedConfig {
    FeedConfig {
        name: "miyako-radar".into(),
        format: FeedFormat::Asterix { radar },
        nation: Nation::JPN,
        default_label: Label::unclassified_public(Nation::JPN),
        trusted_markings: false,
        cot_kind: ObservationKind::Plot,
        description: String::new(),
        limits: Default::default(),
    }
}

const NOW: TimeMs = 1_767_225_600_000 + 43_205_000;

/// A Mode S plot: 100 NM east-north-east at FL350, with address and callsign.
fn mode_s_plot() -> Cat048 {
    Cat048 {
        source: Some(DataSource { sac: 25, sic: 10 }),
        time_of_day: Some(43_200 * 128 + 64),
        descriptor: Some(Descriptor(vec![5 << 5])),
        polar: Some(MeasuredPolar {
            rho: 100 * 256,
            theta: 12_000,
        }),
        flight_level: Some(FlightLevel(1400)),
        aircraft_address: Some(0x86_1234),
        aircraft_id: AircraftId::from_text("JAL915"),
        track_number: Some(0xF000 | 77),
        ..Cat048::default()
    }
}

fn run(radar: RadarSite, r: &Cat048) -> Result<Vec<Observation>, crate::Fault> {
    let mut n = AsterixNormaliser::new(radar);
    let b = block(48, &[&encode_record(r).unwrap()]);
    n.decode(&cfg(radar), &b, NOW)
}

#[test]
fn a_plot_becomes_a_polar_measurement() {
    let obs = run(SITE, &mode_s_plot()).unwrap();
    let [o] = &obs[..] else { panic!("{obs:?}") };
    assert_eq!(o.kind, ObservationKind::Plot);
    assert_eq!(o.domain, Domain::Air);
    assert_eq!(o.time_ms, 1_767_225_600_000 + 43_200_500);
    assert_eq!(
        (o.feed.as_str(), o.sensor.as_str()),
        ("miyako-radar", "25/10")
    );
    assert_eq!(o.identity.icao, Some(0x86_1234));
    assert_eq!(o.identity.callsign.as_deref(), Some("JAL915"));
    assert_eq!(o.identity.track_number.as_deref(), Some("77"));
    assert_eq!(o.velocity, None);
    let m = o.polar.as_deref().unwrap();
    assert!(m.is_valid());
    assert_eq!(m.range_m, 100.0 * NM_M);
    assert!((m.azimuth_rad - (12_000.0 * 360.0 / 65_536.0f64).to_radians()).abs() < 1e-15);
    assert_eq!(
        (m.range_sigma_m, m.azimuth_sigma_rad),
        (60.0, 0.1f64.to_radians())
    );
    assert_eq!(m.sensor_position, SITE.position());
    // FL350 as the height; the plot lies east-north-east, under 100 NM away on the
    // ground (the slant range climbs 10.7 km).
    let alt = o.position.alt_m.unwrap();
    assert!((alt - 35_000.0 * 0.3048).abs() < 1e-9);
    assert!(o.position.lat_deg > SITE.lat_deg && o.position.lon_deg > SITE.lon_deg);
    let sigma_cross = 100.0 * NM_M * 0.1f64.to_radians();
    assert!((o.pos_sigma_m - ((60.0f64.powi(2) + sigma_cross.powi(2)) / 2.0).sqrt()).abs() < 1.0);
}

/// Without a usable height the target is put on the ellipsoid and the observation has
/// no altitude (as `PolarMeasurement` then assumes).
#[test]
fn without_a_height_the_plot_is_on_the_ellipsoid() {
    for fl in [
        None,
        Some(FlightLevel(0x8000 | 1400)), // not validated
        Some(FlightLevel(0x4000 | 1400)), // garbled
    ] {
        let r = Cat048 {
            flight_level: fl,
            descriptor: Some(Descriptor(vec![1 << 5])), // PSR only
            aircraft_address: None,
            ..mode_s_plot()
        };
        let o = run(SITE, &r).unwrap().remove(0);
        assert_eq!(o.position.alt_m, None, "{fl:?}");
        assert_eq!(o.domain, Domain::Unknown);
    }
    // FL350 at 1 NM slant range is out of reach: the ellipsoid.
    let r = Cat048 {
        polar: Some(MeasuredPolar { rho: 256, theta: 0 }),
        ..mode_s_plot()
    };
    assert_eq!(run(SITE, &r).unwrap()[0].position.alt_m, None);
    // A 3D radar's height wins over the flight level.
    let r = Cat048 {
        height_3d: Some(400), // 10,000 ft
        ..mode_s_plot()
    };
    let alt = run(SITE, &r).unwrap()[0].position.alt_m.unwrap();
    assert!((alt - 3_048.0).abs() < 1e-9);
    // A 3D radar's primary plot of a ship (height ~0 ft) is not an aircraft: it must
    // stay able to join the vessel's surface track.
    let r = Cat048 {
        height_3d: Some(0),
        descriptor: Some(Descriptor(vec![1 << 5])), // PSR only
        aircraft_address: None,
        flight_level: None,
        ..mode_s_plot()
    };
    let o = run(SITE, &r).unwrap().remove(0);
    assert_eq!((o.position.alt_m, o.domain), (Some(0.0), Domain::Unknown));
}

#[test]
fn reports_that_are_not_measurements_are_skipped_and_counted() {
    let skip = [
        Cat048 {
            polar: None,
            ..mode_s_plot()
        },
        Cat048 {
            descriptor: Some(Descriptor(vec![0])), // no detection
            ..mode_s_plot()
        },
        Cat048 {
            descriptor: Some(Descriptor(vec![(5 << 5) | 0x10])), // SIM
            ..mode_s_plot()
        },
        Cat048 {
            descriptor: Some(Descriptor(vec![(5 << 5) | 0x02])), // RAB
            ..mode_s_plot()
        },
        Cat048 {
            descriptor: Some(Descriptor(vec![(5 << 5) | 1, 0x80])), // TST
            ..mode_s_plot()
        },
        Cat048 {
            track_status: Some(TrackStatus(vec![1, 0x40])), // GHO
            ..mode_s_plot()
        },
        Cat048 {
            descriptor: Some(Descriptor(vec![(5 << 5) | 1, 0x40])), // ERR: range ≥ 256 NM
            ..mode_s_plot()
        },
    ];
    let mut n = AsterixNormaliser::new(SITE);
    let recs: Vec<Vec<u8>> = skip.iter().map(|r| encode_record(r).unwrap()).collect();
    let obs = n
        .decode(&cfg(SITE), &encode_block(48, &recs).unwrap(), NOW)
        .unwrap();
    assert!(obs.is_empty(), "{obs:?}");
    assert_eq!(n.decode(&cfg(SITE), &[34, 0, 5, 1, 2], NOW), Ok(vec![]));
    assert_eq!(
        n.stats(),
        AsterixStats {
            records: 7,
            tracks: 0,
            adsb_reports: 0,
            other_blocks: 1,
            skipped_reports: 7
        }
    );
}

#[test]
fn reports_that_cannot_be_placed_are_errors() {
    let other = Cat048 {
        source: Some(DataSource { sac: 25, sic: 11 }),
        ..mode_s_plot()
    };
    let e = run(SITE, &other).unwrap_err();
    assert!(
        e.to_string()
            .contains("SAC/SIC 25/11, the feed's radar is 25/10"),
        "{e}"
    );
    // Without a configured SAC/SIC any source is taken.
    let open = RadarSite {
        sac: None,
        sic: None,
        ..SITE
    };
    assert_eq!(run(open, &other).unwrap().len(), 1);
    let e = run(
        SITE,
        &Cat048 {
            source: None,
            ..mode_s_plot()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("no I048/010"), "{e}");
    let zero = Cat048 {
        polar: Some(MeasuredPolar { rho: 0, theta: 5 }),
        ..mode_s_plot()
    };
    assert!(run(SITE, &zero)
        .unwrap_err()
        .to_string()
        .contains("range 0"));
    let late = Cat048 {
        time_of_day: Some(86_400 * 128),
        ..mode_s_plot()
    };
    assert!(run(SITE, &late)
        .unwrap_err()
        .to_string()
        .contains("not within a day"));
    // The record is named when a block holds several.
    let mut n = AsterixNormaliser::new(SITE);
    let recs = [
        encode_record(&mode_s_plot()).unwrap(),
        encode_record(&zero).unwrap(),
    ];
    let e = n
        .decode(&cfg(SITE), &encode_block(48, &recs).unwrap(), NOW)
        .unwrap_err();
    assert!(e.to_string().starts_with("CAT048 record 2: "), "{e}");
}
