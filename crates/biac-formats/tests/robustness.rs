//! Decoders never panic: random bytes and mutated real records through Framer +
//! FeedDecoder for every format, and malformed records among good ones each yield
//! an error with a reason while the good ones still decode. (The coverage-guided
//! version of this is the cargo-fuzz setup in /fuzz.)

use biac_formats::ais::{checksum, encode_position_report, to_sentences, PositionReport};
use biac_formats::framing::Frame;
use biac_formats::sbs::{format_line, SbsMsg};
use biac_formats::{DecodeError, FeedDecoder};
use biac_model::{FeedConfig, FeedFormat, Label, Nation, Observation, ObservationKind};
use proptest::prelude::*;

const NOW: i64 = 1_704_110_400_000;

fn cfg(format: FeedFormat, trusted: bool) -> FeedConfig {
    FeedConfig {
        name: format!("{format:?}").to_lowercase(),
        format,
        nation: Nation::JPN,
        default_label: Label::unclassified_public(Nation::JPN),
        trusted_markings: trusted,
        cot_kind: ObservationKind::Track,
        description: String::new(),
        limits: Default::default(),
    }
}

/// Push `data` in pieces of `chunk` bytes and decode every frame.
fn run(
    d: &mut FeedDecoder,
    data: &[u8],
    chunk: usize,
) -> (Vec<Observation>, Vec<DecodeError>, usize) {
    let mut framer = d.framer();
    let (mut obs, mut errs, mut oversized) = (Vec::new(), Vec::new(), 0);
    for piece in data.chunks(chunk.max(1)) {
        framer.push(piece);
        while let Some(frame) = framer.next_frame() {
            match frame {
                Frame::Record { offset, bytes } => match d.decode(&bytes, offset, NOW) {
                    Ok(o) => obs.extend(o),
                    Err(e) => errs.push(e),
                },
                Frame::Oversized { .. } => oversized += 1,
            }
        }
    }
    (obs, errs, oversized)
}

fn ais_lines() -> Vec<String> {
    let r = PositionReport {
        msg_type: 1,
        mmsi: 431_000_123,
        nav_status: 0,
        sog_knots: Some(12.3),
        position_accuracy: true,
        lat_deg: 35.5,
        lon_deg: 139.25,
        cog_deg: Some(224.0),
        heading_deg: Some(215),
        second: 20,
    };
    let (p, f) = encode_position_report(&r);
    let mut v = to_sentences(&p, f, 'A', 0, Some(("rx1", NOW / 1000)));
    v.extend([
        "!AIVDM,2,1,5,B,E1mg=5J1T4W0h97aRh6ba84<h2d;W:Te=eLvH50```q,0*46".to_string(),
        "!AIVDM,2,2,5,B,:D44QDlp0C1DU00,2*36".to_string(),
        "!AIVDM,1,1,,A,H42O55i18tMET00000000000000,2*6D".to_string(),
        "!AIVDM,1,1,,A,H42O55lti4hhhilD3nink000?050,0*40".to_string(),
        "!AIVDM,1,1,,B,C5N3SRgPEnJGEBT>NhWAwwo862PaLELTBJ:V00000000S0D:R220,0*0B".to_string(),
        "!AIVDM,1,1,,B,;4R33:1uUK2F`q?mOt@@GoQ00000,0*5D,s28089,d-103,T39.44353985,x147521,r08TPHI1,1242958962".to_string(),
    ]);
    v
}

fn sbs_lines() -> Vec<String> {
    let base = SbsMsg {
        transmission: 3,
        icao: 0x4CA2D6,
        time_ms: NOW,
        altitude_ft: Some(35000),
        lat_deg: Some(35.12345),
        lon_deg: Some(139.12345),
        on_ground: Some(false),
        ..SbsMsg::default()
    };
    vec![
        format_line(&SbsMsg {
            transmission: 1,
            callsign: Some("ANA5".into()),
            ..base.clone()
        }),
        format_line(&SbsMsg {
            transmission: 4,
            ground_speed_kt: Some(450.0),
            track_deg: Some(90.0),
            vertical_rate_fpm: Some(-64),
            ..base.clone()
        }),
        format_line(&base),
    ]
}

fn cot_events() -> Vec<String> {
    let ev = |uid: &str, t: &str, extra: &str| {
        format!(
            r#"<?xml version="1.0"?><event version="2.0" uid="{uid}" type="{t}" how="m-g" time="2024-01-01T12:00:00Z" start="2024-01-01T12:00:00Z" stale="2024-01-01T12:05:00Z"{extra}><point lat="24.5" lon="123.25" hae="9999999.0" ce="15.0" le="9999999.0"/><detail><contact callsign="ALPHA"/><track course="45" speed="7.5"/><remarks>hi</remarks></detail></event>"#
        )
    };
    vec![
        ev("a1", "a-h-S", ""),
        ev(
            "a2",
            "a-f-A-M-F",
            r#" access="SECRET" releasableTo="JPN,USA""#,
        ),
        ev("p1", "t-x-c-t", ""),
    ]
}

fn plots3d_lines() -> Vec<String> {
    vec![
        "1748736045000,greenpine-seongju,35.9,128.2,400.0,402113.224,332.4012345,3.1234567,30,0.1145916,0.1145916,-812.345,1".into(),
        "1748736045200,tpy2-kyogamisaki,35.77,135.2,120.0,1012345.678,291.1234567,1.456789,10,0.0286479,0.0286479".into(),
    ]
}

fn seeds(format: FeedFormat) -> Vec<String> {
    match format {
        FeedFormat::Ais => ais_lines(),
        FeedFormat::Sbs => sbs_lines(),
        FeedFormat::Cot => cot_events(),
        FeedFormat::Plots3d { .. } => plots3d_lines(),
        FeedFormat::Beast
        | FeedFormat::Tak
        | FeedFormat::Asterix { .. }
        | FeedFormat::Stanag4607 { .. } => {
            unreachable!("text seeds only")
        }
    }
}

/// Re-seal an AIS line's checksum after mutation, so the decoder gets past it.
fn reseal(line: &[u8]) -> Vec<u8> {
    let Some(bang) = line.iter().position(|b| *b == b'!') else {
        return line.to_vec();
    };
    let Some(star) = line[bang..]
        .iter()
        .position(|b| *b == b'*')
        .map(|i| i + bang)
    else {
        return line.to_vec();
    };
    let mut out = line[..=star].to_vec();
    out.extend(format!("{:02X}", checksum(&line[bang + 1..star])).bytes());
    out
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Truncate(usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), 1usize..20).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..20))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn apply(mut data: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let len = data.len().max(1);
        match m {
            Mutation::Flip(i, b) => {
                if let Some(x) = data.get_mut(i % len) {
                    *x = *b;
                }
            }
            Mutation::Delete(i, n) => {
                let s = (i % len).min(data.len());
                let e = (s + n).min(data.len());
                data.drain(s..e);
            }
            Mutation::Insert(i, v) => {
                let at = (i % len).min(data.len());
                data.splice(at..at, v.iter().copied());
            }
            Mutation::Truncate(i) => data.truncate(i % len),
            Mutation::Duplicate(i, n) => {
                let s = (i % len).min(data.len());
                let e = (s + n).min(data.len());
                let copy = data[s..e].to_vec();
                data.splice(s..s, copy);
            }
        }
    }
    data
}

const FORMATS: [FeedFormat; 4] = [
    FeedFormat::Ais,
    FeedFormat::Sbs,
    FeedFormat::Cot,
    FeedFormat::Plots3d { site: None },
];
/// The text formats above and the binary feeds (Beast, TAK stream, STANAG 4607).
const ALL_FORMATS: [FeedFormat; 7] = [
    FeedFormat::Ais,
    FeedFormat::Sbs,
    FeedFormat::Cot,
    FeedFormat::Plots3d { site: None },
    FeedFormat::Beast,
    FeedFormat::Tak,
    FeedFormat::Stanag4607 { udp: false },
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 40_000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..600), chunk in 1usize..64) {
        for format in ALL_FORMATS {
            for trusted in [false, true] {
                let mut d = FeedDecoder::new(cfg(format, trusted));
                run(&mut d, &data, chunk);
            }
        }
    }

    #[test]
    fn mutated_records_never_panic_and_leave_state_usable(
        which in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 1..6),
        sealed in any::<bool>(),
        chunk in 1usize..200,
    ) {
        for format in FORMATS {
            let seeds = seeds(format);
            let seed = seeds[which.index(seeds.len())].clone();
            let mut bad = apply(seed.into_bytes(), &muts);
            if sealed && format == FeedFormat::Ais {
                bad = reseal(&bad);
            }
            let mut d = FeedDecoder::new(cfg(format, true));
            let mut stream = bad;
            stream.push(b'\n');
            run(&mut d, &stream, chunk);
            // Whatever the bad record did, a good one after it still decodes.
            let good = seeds.iter().map(|s| format!("{s}\n")).collect::<String>();
            let (obs, _, _) = run(&mut d, good.as_bytes(), chunk);
            prop_assert!(!obs.is_empty(), "{format:?}: no observation after a bad record");
        }
    }

    #[test]
    fn printable_ais_with_valid_checksum_never_panics(
        payload in "[0-9:;<=>?@A-W`a-w]{0,200}",
        total in 0u8..10, num in 0u8..10, fill in 0u8..8, seq in "[0-9]?", chan in "[AB12]?",
    ) {
        let body = format!("AIVDM,{total},{num},{seq},{chan},{payload},{fill}");
        let line = format!("!{body}*{:02X}\n", checksum(body.as_bytes()));
        let mut d = FeedDecoder::new(cfg(FeedFormat::Ais, false));
        run(&mut d, line.as_bytes(), 512);
    }
}

#[test]
fn bad_records_are_reported_among_good_ones() {
    let mut good_ais = ais_lines();
    good_ais.truncate(1);
    let ais = [
        good_ais[0].clone(),
        "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g20".into(), // truncated line
        good_ais[0].clone(),
        "\u{1}\u{2}garbage\u{ff}".into(),
        "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*00".into(), // bad checksum
        format!("\\s:{},c:1*00\\{}", "x".repeat(200), good_ais[0]), // oversized tag field
        "x".repeat(5000),                                         // oversized line
        good_ais[0].clone(),
    ];
    let sbs_good = sbs_lines().remove(2);
    let sbs = [
        sbs_good.clone(),
        "MSG,3,1,1,4CA2D6,1,2024/01/01,12:00".into(),
        "MSG,3,1,1,4CA2D6".into(), // truncated but valid: no position
        sbs_good.replace("35.12345", "351.2345"),
        format!("MSG,1,1,1,4CA2D6,1,,,,,{}", "A".repeat(100)),
        "\u{0}\u{0}\u{0}".into(),
        sbs_good.clone(),
    ];
    let cot_good = cot_events().remove(0);
    let cot = [
        cot_good.clone(),
        cot_good.replace("lat=\"24.5\"", "lat=\"99\""),
        "<event uid='x'/>".into(),
        cot_good.replace("</detail>", ""),
        cot_good.replace("a1", &"u".repeat(1000)),
        cot_good.clone(),
    ];
    let p3 = plots3d_lines().remove(0);
    let plots3d = [
        p3.clone(),
        p3.replace("402113.224", "-402113.224"), // negative range
        p3.replace(",-812.345,1", ""),           // no range-rate: fine
        p3.replace("1748736045000", "1748736045.000"), // seconds, not ms
        p3.replace(",1\n", ",0\n")
            .replace(",-812.345,1", ",-812.345,"), // rate without sigma
        p3.clone(),
    ];
    for (format, lines, want_obs, want_err) in [
        (FeedFormat::Ais, &ais[..], 3, 4),
        (FeedFormat::Sbs, &sbs[..], 2, 4),
        (FeedFormat::Cot, &cot[..], 2, 4),
        (FeedFormat::Plots3d { site: None }, &plots3d[..], 3, 3),
    ] {
        let sep = if format == FeedFormat::Cot { "" } else { "\n" };
        let stream: String = lines.iter().map(|l| format!("{l}{sep}")).collect();
        let mut d = FeedDecoder::new(cfg(format, false));
        let (obs, errs, _) = run(&mut d, stream.as_bytes(), 17);
        assert_eq!(obs.len(), want_obs, "{format:?}: {errs:?}");
        assert_eq!(errs.len(), want_err, "{format:?}: {errs:?}");
        for e in &errs {
            assert!(!e.reason.to_string().is_empty());
            assert_eq!(e.feed, cfg(format, false).name);
            assert!(e
                .to_string()
                .contains(&format!("record at byte {}", e.offset)));
        }
    }
}

/// A refusal's class is a value a caller can match, carrying its numbers; its text is
/// the one operators see in logs and ingest reports.
#[test]
fn refusals_are_typed_and_keep_their_text() {
    use biac_formats::{Fault, Reason, Wire};
    let decode = |format: FeedFormat, record: &[u8]| {
        FeedDecoder::new(cfg(format, false))
            .decode(record, 7, NOW)
            .unwrap_err()
    };
    let frame = tak_frame();
    let e = decode(FeedFormat::Tak, &frame[..frame.len() - 3]);
    let want = Reason::Truncated {
        format: Wire::Tak,
        len: frame.len() - 3,
    };
    assert_eq!((e.offset, &e.reason), (7, &want));
    assert_eq!(
        e.reason.to_string(),
        format!("truncated TAK frame ({} bytes)", frame.len() - 3)
    );
    let mut long = frame.clone();
    long.extend_from_slice(b"xyz");
    let e = decode(FeedFormat::Tak, &long);
    assert_eq!(
        e.reason,
        Reason::TrailingBytes {
            format: Wire::Tak,
            count: 3
        }
    );
    assert_eq!(e.reason.to_string(), "3 bytes after the TAK frame");
    // A Beast frame cut inside its message.
    let e = decode(FeedFormat::Beast, &[0x1a, 0x33, 0, 0, 0]);
    assert!(
        matches!(
            e.reason,
            Reason::Truncated {
                format: Wire::Beast,
                len: 5
            }
        ),
        "{e:?}"
    );
    // What the format decoder says is kept word for word, under its format.
    // A sentence whose checksum is off by one bit: a checksum fault, by kind.
    let good = &ais_lines()[0];
    let star = good.rfind('*').unwrap();
    let cs = u8::from_str_radix(&good[star + 1..star + 3], 16).unwrap();
    let line = format!("{}{:02X}{}", &good[..=star], cs ^ 1, &good[star + 3..]);
    let e = decode(FeedFormat::Ais, line.as_bytes());
    match &e.reason {
        Reason::Malformed {
            format: Wire::Ais,
            fault: fault @ Fault::Checksum(detail),
        } => {
            assert_eq!(e.reason.to_string(), *detail);
            assert_eq!(fault.detail(), detail);
        }
        other => panic!("{other:?}"),
    }
}

/// A real TAK message (stream framing), from CoT XML.
fn tak_frame() -> Vec<u8> {
    let xml = br#"<event version="2.0" uid="ANDROID-1" type="a-f-G-U-C" how="m-g" time="2026-11-22T01:02:03.456Z" start="2026-11-22T01:02:03.456Z" stale="2026-11-22T01:07:03.456Z" caveat="FOUO"><point lat="35.5" lon="139.25" hae="12.5" ce="9.9" le="9999999"/><detail><contact callsign="ALPHA 1"/><status battery="87"/><track speed="3.5" course="271.25"/><remarks>hi</remarks></detail></event>"#;
    let m = biac_formats::tak::xml_to_proto(xml).expect("valid event");
    biac_formats::tak::encode_stream(&m)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// TAK protocol decoders: random and mutated frames never panic, and a
    /// message that decodes re-encodes to a frame that decodes to it again.
    #[test]
    fn tak_frames_never_panic(
        data in prop::collection::vec(any::<u8>(), 0..400),
        muts in prop::collection::vec(mutation(), 0..6),
        chunk in 1usize..40,
    ) {
        use biac_formats::tak;
        for input in [data.clone(), apply(tak_frame(), &muts)] {
            let mut d = tak::StreamDecoder::new();
            for piece in input.chunks(chunk) {
                d.push(piece);
                for _ in 0..32 {
                    match d.next_message() {
                        Ok(Some(m)) => {
                            let again = tak::decode_stream(&tak::encode_stream(&m));
                            prop_assert_eq!(again.ok().flatten().map(|x| x.0), Some(m.clone()));
                            let _ = tak::proto_to_xml(&m);
                        }
                        Ok(None) => break,
                        Err(_) => {}
                    }
                }
            }
            let _ = tak::decode_mesh(&input);
            let _ = tak::xml_to_proto(&input);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Beast framing and Mode S decoding: random bytes and random 7/14-byte
    /// messages never panic; frames that decode re-encode to themselves.
    #[test]
    fn beast_and_mode_s_never_panic(
        data in prop::collection::vec(any::<u8>(), 0..400),
        msg in prop::collection::vec(any::<u8>(), 0..20),
        chunk in 1usize..40,
    ) {
        use biac_formats::beast::BeastDecoder;
        use biac_formats::modes::{self, ModeSDecoder};
        let mut framer = BeastDecoder::new();
        let mut d = ModeSDecoder::with_reference(35.5, 139.8);
        let mut t = 0;
        for piece in data.chunks(chunk) {
            framer.push(piece);
            for _ in 0..64 {
                match framer.next_frame() {
                    Ok(Some(f)) => {
                        let mut again = BeastDecoder::new();
                        again.push(&f.encode());
                        let back = again.next_frame().ok().flatten();
                        prop_assert_eq!(back.as_ref(), Some(&f));
                        t += 10;
                        let _ = d.decode(&f.message, t);
                    }
                    Ok(None) => break,
                    Err(_) => {}
                }
            }
        }
        let _ = modes::decode(&msg);
        let _ = d.decode(&msg, t + 1);
    }
}
