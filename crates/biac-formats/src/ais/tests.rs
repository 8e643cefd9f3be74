use super::*;
use biac_model::{FeedFormat, Label, Nation};

fn cfg() -> FeedConfig {
    FeedConfig {
        name: "ais-test".into(),
        format: FeedFormat::Ais,
        nation: Nation::JPN,
        default_label: Label::unclassified_public(Nation::JPN),
        trusted_markings: false,
        cot_kind: ObservationKind::Track,
        description: String::new(),
        limits: Default::default(),
    }
}

fn report(msg_type: u8) -> PositionReport {
    PositionReport {
        msg_type,
        mmsi: 431_000_123,
        nav_status: 0,
        sog_knots: Some(12.3),
        position_accuracy: true,
        lat_deg: 35.5,
        lon_deg: 139.25,
        cog_deg: Some(224.0),
        heading_deg: Some(215),
        second: 20,
    }
}

fn voyage() -> StaticVoyage {
    StaticVoyage {
        mmsi: 431_000_123,
        imo: 9_134_270,
        callsign: "JD1234".into(),
        shipname: "KAIYO MARU NO 7".into(),
        shiptype: 70,
        to_bow: 225,
        to_stern: 70,
        to_port: 1,
        to_starboard: 31,
        destination: "YOKOHAMA".into(),
        draught_dm: 122,
    }
}

#[test]
fn decodes_known_type_1() {
    // gpsd's first sample, decode cross-checked with noaadata and Maritec there.
    let m = decode_sentence(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A").unwrap();
    let AisMessage::ClassAPosition(p) = m else {
        panic!("not class A: {m:?}")
    };
    assert_eq!(p.mmsi, 371_798_000);
    assert_eq!(
        (p.speed, p.course, p.heading, p.second),
        (123, 2240, 215, 33)
    );
    assert_eq!((p.lon, p.lat), (-74_037_230, 29_028_980));
    assert_eq!(p.turn, -127);
    assert!(p.accuracy);
}

#[test]
fn position_report_round_trip() {
    for t in [1, 2, 3, 18] {
        let r = report(t);
        let (payload, fill) = encode_position_report(&r);
        assert_eq!((payload.len(), fill), (28, 0));
        let m = decode_payload(payload.as_bytes(), fill).unwrap();
        let mut want = r.clone();
        if t == 18 {
            want.nav_status = 15;
        }
        assert_eq!(m.position_report().unwrap(), want, "type {t}");
    }
}

#[test]
fn not_available_values_round_trip() {
    let r = PositionReport {
        sog_knots: None,
        cog_deg: None,
        heading_deg: None,
        lat_deg: 91.0,
        lon_deg: 181.0,
        second: 60,
        ..report(1)
    };
    let (p, f) = encode_position_report(&r);
    let AisMessage::ClassAPosition(m) = decode_payload(p.as_bytes(), f).unwrap() else {
        panic!()
    };
    assert_eq!(m.speed, SPEED_NOT_AVAILABLE);
    assert_eq!(m.course, COURSE_NOT_AVAILABLE);
    assert_eq!(m.heading, HEADING_NOT_AVAILABLE);
    assert_eq!((m.lat, m.lon), (LAT_NOT_AVAILABLE, LON_NOT_AVAILABLE));
    // Valid, but nothing to place on the map.
    let mut n = AisNormaliser::default();
    let line = &to_sentences(&p, f, 'A', 0, None)[0];
    assert_eq!(n.decode(&cfg(), line.as_bytes(), 0).unwrap(), vec![]);
}

#[test]
fn static_voyage_round_trip_over_two_fragments() {
    let s = voyage();
    let (payload, fill) = encode_static_voyage(&s);
    assert_eq!((payload.len(), fill), (71, 2));
    let lines = to_sentences(&payload, fill, 'B', 3, Some(("rx-7", 1_700_000_000)));
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("\\s:rx-7,c:1700000000*"));
    assert!(lines[1].starts_with("!AIVDM,2,2,3,B,"));
    let mut d = AisDecoder::new();
    assert_eq!(d.decode_line(lines[0].as_bytes(), 0).unwrap(), None);
    let got = d.decode_line(lines[1].as_bytes(), 5).unwrap().unwrap();
    assert_eq!(got.tag.unwrap().source.as_deref(), Some("rx-7"));
    let AisMessage::StaticVoyage(v) = got.message else {
        panic!()
    };
    assert_eq!(v.data, s);
    assert_eq!((v.eta_hour, v.eta_minute), (24, 60));
}

#[test]
fn observation_from_position_with_static_data() {
    let mut n = AisNormaliser::default();
    let (sp, sf) = encode_static_voyage(&voyage());
    for l in to_sentences(&sp, sf, 'A', 1, None) {
        assert_eq!(n.decode(&cfg(), l.as_bytes(), 0).unwrap(), vec![]);
    }
    // 1_700_000_000 s is hh:mm:20, matching the report's second.
    let (pp, pf) = encode_position_report(&report(1));
    let line = &to_sentences(&pp, pf, 'A', 0, Some(("rx-7", 1_700_000_000)))[0];
    let obs = n.decode(&cfg(), line.as_bytes(), 42).unwrap();
    assert_eq!(obs.len(), 1);
    let o = &obs[0];
    assert_eq!(o.time_ms, 1_700_000_000_000);
    assert_eq!(o.sensor, "rx-7");
    assert_eq!(o.feed, "ais-test");
    assert_eq!(o.kind, ObservationKind::SelfReport);
    assert_eq!(o.domain, Domain::Surface);
    assert_eq!(o.affiliation, None);
    assert_eq!(o.identity.mmsi, Some(431_000_123));
    assert_eq!(o.identity.name.as_deref(), Some("KAIYO MARU NO 7"));
    assert_eq!(o.identity.callsign.as_deref(), Some("JD1234"));
    assert_eq!(o.identity.imo, Some(9_134_270));
    assert_eq!(o.identity.ship_type, Some(70));
    assert_eq!(
        (o.identity.length_m, o.identity.beam_m),
        (Some(295), Some(32))
    );
    // The encoder sends RAIM off: the fault-free figure is widened.
    assert_eq!(o.pos_sigma_m, SIGMA_HIGH_ACCURACY_M * NO_RAIM_FACTOR);
    assert!((o.position.lat_deg - 35.5).abs() < 1e-9);
    let v = o.velocity.unwrap();
    assert!((v.speed_mps() - 12.3 * KNOT_MPS).abs() < 1e-9);
    assert!((v.course_deg() - 224.0).abs() < 1e-9);
    assert_eq!(o.vel_sigma_mps, Some(VEL_SIGMA_MPS));
    assert_eq!(o.label, cfg().default_label);
}

#[test]
fn time_from_tag_in_ms_and_from_second() {
    let mut n = AisNormaliser::default();
    let (pp, pf) = encode_position_report(&PositionReport {
        second: 60, // not available: no refinement
        sog_knots: None,
        ..report(18)
    });
    let line = to_sentences(&pp, pf, 'B', 0, None).remove(0);
    let tag_body = "s:r,c:1700000000123";
    let tagged = format!("\\{tag_body}*{:02X}\\{line}", checksum(tag_body.as_bytes()));
    let o = n.decode(&cfg(), tagged.as_bytes(), 5).unwrap().remove(0);
    assert_eq!(o.time_ms, 1_700_000_000_123);
    assert_eq!(o.velocity, None);
    assert_eq!(o.vel_sigma_mps, None);
    // No tag: receive time, pinned to the report's second.
    let o = n.decode(&cfg(), line.as_bytes(), 77_000).unwrap().remove(0);
    assert_eq!(o.time_ms, 77_000);
    assert_eq!(o.sensor, "");
    assert_eq!(refine_to_second(1_700_000_003_500, 20), 1_700_000_000_000);
    assert_eq!(refine_to_second(1_700_000_000_999, 20), 1_700_000_000_000);
    // 59 s or 15 s back is implausible: keep the receive time.
    assert_eq!(refine_to_second(1_700_000_000_500, 21), 1_700_000_000_500);
    assert_eq!(refine_to_second(1_700_000_000_500, 5), 1_700_000_000_500);
}

#[test]
fn type_24_parts_give_name_and_callsign() {
    let mut n = AisNormaliser::default();
    for l in [
        "!AIVDM,1,1,,A,H42O55i18tMET00000000000000,2*6D",
        "!AIVDM,1,1,,A,H42O55lti4hhhilD3nink000?050,0*40",
    ] {
        assert_eq!(n.decode(&cfg(), l.as_bytes(), 0).unwrap(), vec![]);
    }
    let st = n.statics.get(271_041_815).unwrap();
    assert_eq!(st.name.as_deref(), Some("PROGUY"));
    assert_eq!(st.callsign.as_deref(), Some("TC6163"));
    // gpsd's reference: shiptype 60, to_bow 0, to_stern 15, to_port 0, to_starboard 5.
    assert_eq!(st.ship_type, Some(60));
    assert_eq!(st.dims, Some((15, 5)));
}

#[test]
fn other_position_types() {
    let mut n = AisNormaliser::default();
    // Type 9, SAR aircraft at 303 m.
    let o = n
        .decode(
            &cfg(),
            b"!AIVDM,1,1,,B,91b55wi;hbOS@OdQAC062Ch2089h,0*30",
            0,
        )
        .unwrap();
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].domain, Domain::Air);
    assert_eq!(o[0].position.alt_m, Some(303.0));
    // Type 21 over two fragments, a named aid to navigation.
    assert_eq!(
        n.decode(
            &cfg(),
            b"!AIVDM,2,1,5,B,E1mg=5J1T4W0h97aRh6ba84<h2d;W:Te=eLvH50```q,0*46",
            0
        )
        .unwrap(),
        vec![]
    );
    let o = n
        .decode(&cfg(), b"!AIVDM,2,2,5,B,:D44QDlp0C1DU00,2*36", 0)
        .unwrap();
    assert_eq!(o.len(), 1);
    assert_eq!(
        o[0].identity.name.as_deref(),
        Some("CHINA ROSE MURPHY EXPRESS ALERT")
    );
    // Type 4 base station: ashore.
    let o = n
        .decode(
            &cfg(),
            b"!AIVDM,1,1,,A,403OviQuMGCqWrRO9>E6fE700@GO,0*4D",
            0,
        )
        .unwrap();
    assert_eq!(o[0].domain, Domain::Ground);
    assert_eq!(o[0].pos_sigma_m, SIGMA_HIGH_ACCURACY_M * NO_RAIM_FACTOR);
}

#[test]
fn reassembly_rules() {
    let (payload, fill) = encode_static_voyage(&voyage());
    let a = to_sentences(&payload, fill, 'A', 1, None);
    let b = to_sentences(&payload, fill, 'B', 1, None);
    let mut d = AisDecoder::new();
    // Interleaved channels with the same id are separate messages.
    assert_eq!(d.decode_line(a[0].as_bytes(), 0).unwrap(), None);
    assert_eq!(d.decode_line(b[0].as_bytes(), 0).unwrap(), None);
    assert!(d.decode_line(a[1].as_bytes(), 0).unwrap().is_some());
    assert!(d.decode_line(b[1].as_bytes(), 0).unwrap().is_some());
    // A second fragment alone is an error.
    let e = d.decode_line(a[1].as_bytes(), 0).unwrap_err();
    assert!(
        matches!(&e, crate::Fault::Sequence(d) if d.contains("without its earlier")),
        "{e:?}"
    );
    // Timed out.
    assert_eq!(d.decode_line(a[0].as_bytes(), 0).unwrap(), None);
    assert!(d
        .decode_line(a[1].as_bytes(), FRAGMENT_TIMEOUT_MS + 1)
        .is_err());
    // Bounded: a flood of first fragments never holds more than MAX_PENDING.
    let mut r = Reassembler::new();
    for i in 0..1000u32 {
        let s = Sentence::parse(a[0].as_bytes()).unwrap();
        let s = Sentence {
            sequence_id: Some((i % 10) as u8),
            channel: Some(['A', 'B', '1', '2'][(i / 10 % 4) as usize]),
            ..s
        };
        let _ = r.push(s, 0);
        assert!(r.pending() <= MAX_PENDING);
    }
}

#[test]
fn errors_name_the_reason_and_decoding_goes_on() {
    let good = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A";
    let sealed = |body: &str| format!("!{body}*{:02X}", checksum(body.as_bytes()));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B".to_vec(),
            "bad checksum",
        ),
        (
            b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208C\x7f,0*4A".to_vec(),
            "non-printable",
        ),
        (
            sealed("AIVDM,1,1,,A,15RTgt0PAsoX90TKcjM8h6g208CQ,0").into(),
            "bad armour",
        ),
        (sealed("AIVDM,1,1,,A,15RTgt0PAso;90,0").into(), "truncated"),
        (
            b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ".to_vec(),
            "without checksum",
        ),
        (b"garbage".to_vec(), "does not start"),
        (sealed("AIVDM,1,1,,A,,0").into(), "empty payload"),
        (
            sealed("AIVDM,1,1,,C,15RTgt0PAso;90TKcjM8h6g208CQ,0").into(),
            "channel",
        ),
        (
            sealed("AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,7").into(),
            "fill bits",
        ),
        (
            sealed("AIVDM,1,2,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0").into(),
            "out of range",
        ),
    ];
    let mut n = AisNormaliser::default();
    for (line, want) in cases {
        let e = n.decode(&cfg(), &line[..], 0).unwrap_err();
        assert!(
            e.to_string().contains(want),
            "{:?}: {e}",
            String::from_utf8_lossy(&line[..])
        );
        assert_eq!(n.decode(&cfg(), good.as_bytes(), 0).unwrap().len(), 1);
    }
    // Oversized: a payload beyond the message size limit.
    let big = "1".repeat(400);
    let body = format!("AIVDM,1,1,,A,{big},0");
    let line = format!("!{body}*{:02X}", checksum(body.as_bytes()));
    assert!(n
        .decode(&cfg(), line.as_bytes(), 0)
        .unwrap_err()
        .to_string()
        .contains("limit"));
    // An overlong tag-block source costs the sentence nothing: it is cut, as a receiver
    // name is only provenance (the label is the feed's).
    let long_src = format!("s:{}", "x".repeat(100));
    let line = format!("\\{long_src}*{:02X}\\{good}", checksum(long_src.as_bytes()));
    let obs = n.decode(&cfg(), line.as_bytes(), 0).unwrap();
    assert_eq!(obs[0].sensor, "x".repeat(crate::ais::nmea::MAX_SOURCE_LEN));
}

#[test]
fn to_sentences_format() {
    let (p, f) = encode_position_report(&report(1));
    let s = to_sentences(&p, f, 'A', 7, None);
    assert_eq!(s.len(), 1);
    assert!(s[0].starts_with("!AIVDM,1,1,,A,"));
    assert!(Sentence::parse(s[0].as_bytes()).is_ok());
    let long = "0".repeat(130);
    let s = to_sentences(&long, 4, 'B', 12, None);
    assert_eq!(s.len(), 3);
    assert!(s[0].starts_with("!AIVDM,3,1,2,B,"));
    assert!(s[2].contains(",4*"));
    assert!(s[0].contains(",0*"));
}

#[test]
fn uscg_trailer_gives_station_and_time() {
    let line = b"!AIVDM,1,1,,B,;4R33:1uUK2F`q?mOt@@GoQ00000,0*5D,s28089,d-103,T39.44353985,x147521,r08TPHI1,1242958962";
    let o = AisNormaliser::default()
        .decode(&cfg(), line, 0)
        .unwrap()
        .remove(0);
    assert_eq!(o.sensor, "08TPHI1");
    assert_eq!(o.time_ms, 1_242_958_962_000);
    assert_eq!(o.domain, Domain::Ground);
    // Anything else after the checksum is accepted and kept aside, as gpsd does.
    let junk = b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4Ajunk";
    assert_eq!(
        Sentence::parse(junk).unwrap().trailer.as_deref(),
        Some("junk")
    );
}
