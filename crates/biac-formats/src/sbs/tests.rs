use super::*;
use biac_model::{FeedFormat, Label, Nation};

fn cfg() -> FeedConfig {
    FeedConfig {
        name: "adsb-test".into(),
        format: FeedFormat::Sbs,
        nation: Nation::USA,
        default_label: Label::unclassified_public(Nation::USA),
        trusted_markings: false,
        cot_kind: ObservationKind::Track,
        description: String::new(),
        limits: Default::default(),
    }
}

/// 2024-01-01T12:00:00Z.
const T0: TimeMs = 1_704_110_400_000;

fn msg(transmission: u8) -> SbsMsg {
    SbsMsg {
        transmission,
        icao: 0x4CA2D6,
        time_ms: T0,
        ..SbsMsg::default()
    }
}

#[test]
fn writes_dump1090_layout() {
    let m = SbsMsg {
        altitude_ft: Some(35000),
        lat_deg: Some(35.12345),
        lon_deg: Some(139.12345),
        on_ground: Some(false),
        ..msg(3)
    };
    assert_eq!(
        format_line(&m),
        "MSG,3,1,1,4CA2D6,1,2024/01/01,12:00:00.000,2024/01/01,12:00:00.000,,35000,,,35.12345,139.12345,,,0,0,0,0"
    );
    let id = SbsMsg {
        callsign: Some("ANA123".into()),
        altitude_ft: Some(1), // not part of MSG,1: left out
        ..msg(1)
    };
    assert_eq!(
        format_line(&id),
        "MSG,1,1,1,4CA2D6,1,2024/01/01,12:00:00.000,2024/01/01,12:00:00.000,ANA123,,,,,,,,,,,"
    );
    let sq = SbsMsg {
        altitude_ft: Some(33325),
        squawk: Some(7700),
        on_ground: Some(false),
        ..msg(6)
    };
    assert!(format_line(&sq).ends_with(",33325,,,,,,7700,0,-1,0,0"));
}

#[test]
fn round_trip_every_transmission_type() {
    let all = [
        SbsMsg {
            callsign: Some("JAL5".into()),
            ..msg(1)
        },
        SbsMsg {
            altitude_ft: Some(0),
            ground_speed_kt: Some(12.5),
            track_deg: Some(258.3),
            lat_deg: Some(35.54321),
            lon_deg: Some(139.78123),
            on_ground: Some(true),
            ..msg(2)
        },
        SbsMsg {
            altitude_ft: Some(-125),
            lat_deg: Some(-33.5),
            lon_deg: Some(-151.25),
            on_ground: None,
            ..msg(3)
        },
        SbsMsg {
            ground_speed_kt: Some(450.0),
            track_deg: Some(0.0),
            vertical_rate_fpm: Some(-832),
            ..msg(4)
        },
        SbsMsg {
            altitude_ft: Some(10000),
            on_ground: Some(false),
            ..msg(5)
        },
        SbsMsg {
            altitude_ft: Some(33325),
            squawk: Some(271),
            on_ground: Some(false),
            ..msg(6)
        },
        SbsMsg {
            altitude_ft: Some(3775),
            on_ground: Some(false),
            ..msg(7)
        },
        SbsMsg {
            on_ground: Some(true),
            time_ms: T0 + 86_400_123,
            ..msg(8)
        },
    ];
    for m in all {
        let line = format_line(&m);
        assert_eq!(line.split(',').count(), 22, "{line}");
        assert_eq!(parse_line(line.as_bytes(), 0).unwrap(), Some(m), "{line}");
    }
}

#[test]
fn parses_basestation_samples() {
    let lines = [
        "MSG,4,5,211,4CA2D6,10057,2008/11/28,14:53:49.986,2008/11/28,14:58:51.153,,,408.3,146.4,,,64,,,,,",
        "MSG,8,5,211,4CA2D6,10057,2008/11/28,14:53:50.391,2008/11/28,14:58:51.153,,,,,,,,,,,,0",
        "MSG,3,5,211,4CA2D6,10057,2008/11/28,14:53:50.594,2008/11/28,14:58:51.153,,37000,,,51.45735,-1.02826,,,0,0,0,0",
        "MSG,1,145,256,7404F2,11267,2008/11/28,23:48:18.611,2008/11/28,23:53:19.161,RJA1118,,,,,,,,,,,",
        "MSG,5,496,329,394A65,27868,2010/02/19,17:58:12.644,2010/02/19,17:58:13.368,,10000,,,,,,,0,,0,0",
        "MSG,6,496,237,4CA215,27864,2010/02/19,17:58:12.846,2010/02/19,17:58:13.368,,33325,,,,,,0271,0,0,0,0",
    ];
    for l in lines {
        assert!(parse_line(l.as_bytes(), 0).unwrap().is_some(), "{l}");
    }
    let m = parse_line(lines[3].as_bytes(), 0).unwrap().unwrap();
    assert_eq!(m.callsign.as_deref(), Some("RJA1118"));
    assert_eq!(m.icao, 0x7404F2);
    for other in [
        "SEL,,496,2286,4CA4E5,27215,2010/02/19,18:06:07.710,2010/02/19,18:06:07.710,RYR1427",
        "STA,,5,179,400AE7,10103,2008/11/28,14:58:51.153,2008/11/28,14:58:51.153,RM",
        "CLK,,496,-1,,-1,2010/02/19,18:18:19.036,2010/02/19,18:18:19.036",
    ] {
        assert_eq!(parse_line(other.as_bytes(), 0).unwrap(), None);
    }
    // dump1090 without trailing fields, and no times at all: receive time.
    let m = parse_line(b"MSG,3,1,1,4CA2D6,1,,,,,,35000", 777)
        .unwrap()
        .unwrap();
    assert_eq!((m.time_ms, m.altitude_ft), (777, Some(35000)));
    // Logged time when the generated one is missing.
    let m = parse_line(b"MSG,8,1,1,4CA2D6,1,,,2024/01/01,12:00:00.5", 0)
        .unwrap()
        .unwrap();
    assert_eq!(m.time_ms, T0 + 500);
}

#[test]
fn observation_joins_identity_and_velocity() {
    let mut n = SbsNormaliser::default();
    let c = cfg();
    let line = |m: SbsMsg| format_line(&m);
    let id = line(SbsMsg {
        callsign: Some("ANA5".into()),
        ..msg(1)
    });
    assert_eq!(n.decode(&c, id.as_bytes(), 0).unwrap(), vec![]);
    let vel = line(SbsMsg {
        ground_speed_kt: Some(450.0),
        track_deg: Some(90.0),
        time_ms: T0 + 1000,
        ..msg(4)
    });
    assert_eq!(n.decode(&c, vel.as_bytes(), 0).unwrap(), vec![]);
    let pos = SbsMsg {
        altitude_ft: Some(35000),
        lat_deg: Some(35.5),
        lon_deg: Some(139.5),
        on_ground: Some(false),
        time_ms: T0 + 2000,
        ..msg(3)
    };
    let o = n
        .decode(&c, line(pos.clone()).as_bytes(), 0)
        .unwrap()
        .remove(0);
    assert_eq!(o.time_ms, T0 + 2000);
    assert_eq!(o.domain, Domain::Air);
    assert_eq!(o.kind, ObservationKind::SelfReport);
    assert_eq!(o.identity.icao, Some(0x4CA2D6));
    assert_eq!(o.identity.callsign.as_deref(), Some("ANA5"));
    assert!((o.position.alt_m.unwrap() - 10_668.0).abs() < 1e-6);
    let v = o.velocity.unwrap();
    assert!((v.east_mps - 450.0 * KNOT_MPS).abs() < 1e-9 && v.north_mps.abs() < 1e-9);
    assert_eq!(o.vel_sigma_mps, Some(VEL_SIGMA_MPS));
    assert_eq!(o.pos_sigma_m, POS_SIGMA_M);
    assert_eq!(
        (o.feed.as_str(), o.label.clone()),
        ("adsb-test", c.default_label.clone())
    );
    // Ten seconds after the MSG,4 its velocity no longer applies.
    let late = SbsMsg {
        time_ms: T0 + 1000 + VELOCITY_MAX_AGE_MS,
        ..pos
    };
    let o = n.decode(&c, line(late).as_bytes(), 0).unwrap().remove(0);
    assert_eq!(o.velocity, None);
    // Surface position: its own speed and track, no altitude.
    let surf = SbsMsg {
        altitude_ft: Some(0),
        ground_speed_kt: Some(10.0),
        track_deg: Some(180.0),
        lat_deg: Some(35.55),
        lon_deg: Some(139.78),
        on_ground: Some(true),
        ..msg(2)
    };
    let o = n.decode(&c, line(surf).as_bytes(), 0).unwrap().remove(0);
    assert_eq!(o.domain, Domain::Surface);
    assert_eq!(o.position.alt_m, None);
    assert!((o.velocity.unwrap().course_deg() - 180.0).abs() < 1e-9);
}

#[test]
fn memory_is_bounded_and_stale_state_dropped() {
    let mut n = SbsNormaliser::default();
    for icao in 0..(MAX_AIRCRAFT as u32 + 10) {
        n.entry(icao, T0);
    }
    assert_eq!(n.tracked(), MAX_AIRCRAFT);
    assert!(!n.aircraft.contains_key(&0));
    n.entry(0x4CA2D6, T0).callsign = Some("OLD1".into());
    assert!(n.entry(0x4CA2D6, T0 + STALE_MS + 1).callsign.is_none());
}

#[test]
fn errors_name_the_reason_and_decoding_goes_on() {
    let good = "MSG,3,1,1,4CA2D6,1,2024/01/01,12:00:00.000,2024/01/01,12:00:00.000,,35000,,,35.12345,139.12345,,,0,0,0,0";
    let long = format!(
        "MSG,1,1,1,4CA2D6,1,2024/01/01,12:00:00.000,,,{}",
        "A".repeat(40)
    );
    let many = format!("{good},0,0");
    let cases: Vec<(&[u8], &str)> = vec![
        (b"MSG,9,1,1,4CA2D6,1", "transmission type"),
        (b"MSG,3,1,1,4CA2DX,1", "hex ident"),
        (b"MSG,3,1,1,~4CA2D6,1", "non-ICAO"),
        (b"MSG,3,1,1,4CA2D6,1,2024/13/01,12:00:00.000", "date/time"),
        (b"MSG,3,1,1,4CA2D6,1,2024/01/01,25:00:00.000", "date/time"),
        (b"MSG,3,1,1,4CA2D6,1,2024/01/01,12:00", "date/time"),
        (b"MSG,3,1,1,4CA2D6,1,,,,,,35000,,,95.0,139.1", "latitude"),
        (b"MSG,3,1,1,4CA2D6,1,,,,,,35000,,,35.0", "latitude without"),
        (b"MSG,3,1,1,4CA2D6,1,,,,,,35000,,,NaN,139.0", "not a number"),
        (b"MSG,3,1,1,4CA2D6,1,,,,,,35000,,,1e1,139.0", "not a number"),
        (b"MSG,3,1,1,4CA2D6,1,,,,,,high", "altitude"),
        (b"MSG,6,1,1,4CA2D6,1,,,,,,,,,,,,7800", "squawk"),
        (b"MSG,3,1,1,4CA2D6,1,,,,,,,,,,,,,,,,2", "flag field 22"),
        (b"MSG,1,1,1,4CA2D6,1,,,,,BAD-CALL", "callsign"),
        (long.as_bytes(), "longer than"),
        (many.as_bytes(), "fields"),
        (b"garbage", "unknown record type"),
        (b"MSG,3,1,1,4CA2D6,1,\xff", "non-printable"),
        (b"", "empty record"),
    ];
    let mut n = SbsNormaliser::default();
    for (line, want) in cases {
        let e = n.decode(&cfg(), line, 0).unwrap_err();
        assert!(
            e.to_string().contains(want),
            "{:?}: {e}",
            String::from_utf8_lossy(line)
        );
        assert_eq!(n.decode(&cfg(), good.as_bytes(), 0).unwrap().len(), 1);
    }
}
