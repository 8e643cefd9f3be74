//! Binary feeds through the same path a live connection takes: `FeedDecoder::framer`
//! splits the byte stream, `FeedDecoder::decode` turns each record into observations.
//! Garbage between frames is one rejected record with its offset; the frames around it
//! still decode, however the stream was split into reads.

use biac_formats::beast::{BeastFrame, FrameKind};
use biac_formats::framing::Frame;
use biac_formats::modes::{airborne_position_me, df17, identification_me};
use biac_formats::{cot, tak, FeedDecoder};
use biac_model::{FeedConfig, FeedFormat, Label, Nation, Observation, ObservationKind};

fn config(format: FeedFormat) -> FeedConfig {
    FeedConfig {
        name: format!("test-{format:?}"),
        format,
        nation: Nation::JPN,
        default_label: Label::unclassified_public(Nation::JPN),
        trusted_markings: true,
        cot_kind: ObservationKind::Track,
        description: String::new(),
        limits: Default::default(),
    }
}

/// Decode `stream` pushed in chunks of `chunk` bytes: (observations, rejected offsets).
fn run(format: FeedFormat, stream: &[u8], chunk: usize) -> (Vec<Observation>, Vec<u64>) {
    let mut dec = FeedDecoder::new(config(format));
    let mut framer = dec.framer();
    let (mut obs, mut bad) = (Vec::new(), Vec::new());
    for part in stream.chunks(chunk) {
        framer.push(part);
        while let Some(frame) = framer.next_frame() {
            match frame {
                Frame::Record { offset, bytes } => match dec.decode(&bytes, offset, 1_000) {
                    Ok(o) => obs.extend(o),
                    Err(e) => {
                        assert_eq!(e.offset, offset);
                        assert!(e.feed.starts_with("test-"));
                        bad.push(offset);
                    }
                },
                Frame::Oversized { offset, .. } => bad.push(offset),
            }
        }
    }
    (obs, bad)
}

fn beast(msg: &[u8]) -> Vec<u8> {
    BeastFrame {
        kind: if msg.len() == 14 {
            FrameKind::ModeSLong
        } else {
            FrameKind::ModeSShort
        },
        // A timestamp with 0x1a bytes in it, so escaping is exercised.
        timestamp: 0x1a_1a00_001a,
        signal: 0x1a,
        message: msg.to_vec(),
    }
    .encode()
}

#[test]
fn beast_feed_decodes_positions_and_reports_garbage() {
    let icao = 0x86_1a2b;
    let mut stream = beast(&df17(icao, identification_me("JAL123")));
    stream.extend(beast(&df17(
        icao,
        airborne_position_me(35_000, 24.8, 125.3, false),
    )));
    let garbage_at = stream.len() as u64;
    stream.extend_from_slice(b"not a frame");
    stream.extend(beast(&df17(
        icao,
        airborne_position_me(35_000, 24.801, 125.301, true),
    )));
    for chunk in [1, 3, 7, stream.len()] {
        let (obs, bad) = run(FeedFormat::Beast, &stream, chunk);
        assert_eq!(bad, vec![garbage_at], "chunk {chunk}");
        assert_eq!(obs.len(), 1, "chunk {chunk}: {obs:?}");
        let o = &obs[0];
        assert_eq!(o.identity.icao, Some(icao));
        assert_eq!(o.identity.callsign.as_deref(), Some("JAL123"));
        assert!((o.position.lat_deg - 24.801).abs() < 1e-3, "{o:?}");
        assert!((o.position.lon_deg - 125.301).abs() < 1e-3, "{o:?}");
        assert_eq!(o.time_ms, 1_000);
    }
}

#[test]
fn tak_feed_decodes_like_the_same_events_as_xml() {
    let xml = [
        r#"<event version="2.0" uid="kor-1" type="a-h-S" how="m-f" time="2026-11-30T01:02:03Z" start="2026-11-30T01:02:03Z" stale="2026-11-30T01:07:03Z" access="SECRET" releasableTo="JPN KOR USA"><point lat="26.5" lon="127.1" hae="0" ce="40" le="9999999"/><detail><track speed="6" course="90"/></detail></event>"#,
        r#"<event version="2.0" uid="kor-2" type="a-u-A" how="m-f" time="2026-11-30T01:02:04Z" start="2026-11-30T01:02:04Z" stale="2026-11-30T01:07:04Z"><point lat="27" lon="127.5" hae="9000" ce="200" le="9999999"/><detail><contact callsign="BOGEY"/></detail></event>"#,
    ];
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    let mut bad_at = Vec::new();
    for (i, x) in xml.iter().enumerate() {
        stream.extend(tak::encode_stream(
            &tak::xml_to_proto(x.as_bytes()).unwrap(),
        ));
        expected
            .extend(cot::decode_observation(&config(FeedFormat::Cot), x.as_bytes(), 0).unwrap());
        if i == 0 {
            bad_at.push(stream.len() as u64);
            // A frame whose body is not a TakMessage, then bytes outside any frame.
            stream.extend_from_slice(&[0xbf, 3, 0xff, 0xff, 0xff]);
            bad_at.push(stream.len() as u64);
            stream.extend_from_slice(b"junk");
        }
    }
    for chunk in [1, 5, stream.len()] {
        let (obs, bad) = run(FeedFormat::Tak, &stream, chunk);
        assert_eq!(bad, bad_at, "chunk {chunk}");
        assert_eq!(obs.len(), 2);
        for (o, e) in obs.iter().zip(&expected) {
            assert_eq!(o.identity, e.identity);
            assert_eq!(o.time_ms, e.time_ms);
            assert_eq!(o.position, e.position);
            assert_eq!(o.velocity, e.velocity);
            assert_eq!(o.domain, e.domain);
            assert_eq!(o.affiliation, e.affiliation);
            assert_eq!(o.feed, "test-Tak");
        }
        // The first event's trusted marking is honoured; the second has none.
        assert_eq!(obs[0].label.to_string(), expected[0].label.to_string());
        assert!(obs[0].label.to_string().contains("KOR"), "{}", obs[0].label);
    }
}
