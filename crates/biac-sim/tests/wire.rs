//! Wire-level tests: what the simulator emits decodes with biac-formats' own decoders
//! back to what it meant.

use std::collections::BTreeMap;

use biac_formats::framing::Frame;
use biac_formats::FeedDecoder;
use biac_geo::distance_m;
use biac_model::{FeedConfig, FeedFormat, ObservationKind};
use biac_sim::{
    demo_feeds, AisMsg, Record, Scenario, SimConfig, FEED_JPN_ADSB, FEED_NAMES, FEED_SAT_AIS,
};

fn feed(name: &str) -> FeedConfig {
    demo_feeds().into_iter().find(|f| f.name == name).unwrap()
}

/// Frame and decode one emission's bytes completely.
fn decode_all(dec: &mut FeedDecoder, bytes: &[u8], now: i64) -> Vec<biac_model::Observation> {
    let mut framer = dec.framer();
    framer.push(bytes);
    let mut out = Vec::new();
    while let Some(f) = framer.next_frame() {
        match f {
            Frame::Record { offset, bytes } => {
                out.extend(
                    dec.decode(&bytes, offset, now)
                        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes))),
                );
            }
            Frame::Oversized { .. } => panic!("oversized record"),
        }
    }
    // CoT framing leaves the trailing newline buffered until the next event.
    let slack = usize::from(dec.config().format == FeedFormat::Cot);
    assert!(
        framer.pending() <= slack,
        "trailing bytes: {}",
        String::from_utf8_lossy(bytes)
    );
    out
}

#[test]
fn byte_identical_for_the_same_seed() {
    let run = || {
        let mut sc = Scenario::new(SimConfig::default());
        let mut bytes = Vec::new();
        for _ in 0..60 {
            for e in sc.step(1_000) {
                bytes.extend_from_slice(e.feed.as_bytes());
                bytes.extend_from_slice(&e.time_ms.to_le_bytes());
                bytes.extend_from_slice(&e.bytes);
            }
        }
        let mut truth = Vec::new();
        biac_sim::write_truth_csv_header(&mut truth).unwrap();
        sc.write_truth_csv(&mut truth).unwrap();
        (bytes, truth)
    };
    let a = run();
    assert!(a.0.len() > 100_000);
    assert!(a == run());
}

#[test]
fn terminators_and_framing_per_format() {
    let mut sc = Scenario::new(SimConfig::default());
    let mut seen = BTreeMap::new();
    for _ in 0..30 {
        for e in sc.step(1_000) {
            let f = feed(e.feed);
            *seen.entry(e.feed).or_insert(0) += 1;
            let text = std::str::from_utf8(&e.bytes).unwrap();
            match f.format {
                FeedFormat::Ais => {
                    assert!(text.ends_with("\r\n"));
                    for (i, line) in text.split_terminator("\r\n").enumerate() {
                        if i == 0 {
                            let secs = e.time_ms.div_euclid(1000);
                            assert!(line.starts_with("\\s:"), "{line}");
                            assert!(line.contains(&format!(",c:{secs}*")), "{line}");
                        }
                        assert!(line.contains("!AIVDM,"), "{line}");
                        assert!(!line.contains('\n') && !line.contains('\r'));
                    }
                }
                FeedFormat::Sbs => {
                    assert!(text.starts_with("MSG,") && text.ends_with("\r\n"));
                    assert_eq!(text.matches('\n').count(), 1);
                }
                FeedFormat::Cot => {
                    assert!(
                        text.starts_with("<event") && text.ends_with("</event>\n"),
                        "{text}"
                    );
                    assert_eq!(text.matches("<event").count(), 1);
                }
                FeedFormat::Beast | FeedFormat::Tak | FeedFormat::Asterix { .. } => {
                    panic!("the simulator emits no {:?}", f.format)
                }
            }
        }
    }
    for f in FEED_NAMES {
        assert!(seen.contains_key(f), "{f} silent in 30 s");
    }
}

#[test]
fn ais_decodes_to_the_right_mmsi_and_position() {
    let mut sc = Scenario::new(SimConfig::default());
    let mut decoders: BTreeMap<&str, FeedDecoder> = BTreeMap::new();
    let (mut positions, mut statics) = (0, 0);
    for _ in 0..120 {
        let recs = sc.step_records(1_000);
        let truth: BTreeMap<u32, _> = sc.truth().into_iter().map(|r| (r.id, r)).collect();
        for e in recs {
            let Record::Ais { msg, .. } = &e.record else {
                continue;
            };
            let dec = decoders
                .entry(e.feed)
                .or_insert_with(|| FeedDecoder::new(feed(e.feed)));
            let obs = decode_all(dec, &e.record.encode(e.time_ms), e.time_ms);
            let t = &truth[&e.truth_id.unwrap()];
            match msg {
                AisMsg::Position(r) => {
                    assert_eq!(obs.len(), 1, "{r:?}");
                    let o = &obs[0];
                    assert_eq!(o.identity.mmsi, Some(r.mmsi));
                    assert_eq!(t.mmsi, Some(r.mmsi));
                    assert_eq!(o.kind, ObservationKind::SelfReport);
                    assert_eq!(o.label, feed(e.feed).default_label);
                    // The wire keeps 1/10000 minute (0.19 m).
                    let d =
                        distance_m(o.position.lat_deg, o.position.lon_deg, r.lat_deg, r.lon_deg);
                    assert!(d < 0.5, "wire error {d} m");
                    // Truth moved at most ~1 s since the report; GNSS noise is ~10 m.
                    let d = distance_m(o.position.lat_deg, o.position.lon_deg, t.lat, t.lon);
                    assert!(d < 60.0, "{} off truth by {d} m", t.name);
                    assert_eq!(o.time_ms.div_euclid(1000), e.time_ms.div_euclid(1000));
                    if e.feed == FEED_SAT_AIS {
                        assert!(o.sensor.starts_with("SAT-AIS"), "{}", o.sensor);
                    } else {
                        assert!(o.sensor.starts_with("JCG-"), "{}", o.sensor);
                    }
                    positions += 1;
                }
                AisMsg::Static(s) => {
                    assert!(obs.is_empty());
                    assert_eq!(t.mmsi, Some(s.mmsi));
                    statics += 1;
                }
            }
        }
    }
    assert!(positions > 100 && statics > 0, "{positions} {statics}");
}

#[test]
fn sbs_and_cot_decode_back() {
    let mut sc = Scenario::new(SimConfig::default());
    let mut decoders: BTreeMap<&str, FeedDecoder> = BTreeMap::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for _ in 0..60 {
        let recs = sc.step_records(1_000);
        let truth: BTreeMap<u32, _> = sc.truth().into_iter().map(|r| (r.id, r)).collect();
        for e in recs {
            let dec = decoders
                .entry(e.feed)
                .or_insert_with(|| FeedDecoder::new(feed(e.feed)));
            let obs = decode_all(dec, &e.record.encode(e.time_ms), e.time_ms);
            match &e.record {
                Record::Sbs(m) => {
                    assert_eq!(e.feed, FEED_JPN_ADSB);
                    if m.transmission == 3 {
                        let t = &truth[&e.truth_id.unwrap()];
                        let o = obs.last().expect("MSG,3 yields a position");
                        assert_eq!(o.identity.icao, Some(m.icao));
                        assert_eq!(t.icao, Some(m.icao));
                        let d = distance_m(o.position.lat_deg, o.position.lon_deg, t.lat, t.lon);
                        assert!(d < 400.0, "{} off truth by {d} m", t.callsign);
                        *counts.entry("sbs-pos").or_default() += 1;
                    }
                }
                Record::Cot(ev) => {
                    assert_eq!(obs.len(), 1);
                    let o = &obs[0];
                    let f = feed(e.feed);
                    assert_eq!(o.kind, f.cot_kind);
                    assert_eq!(o.label, f.default_label);
                    assert_eq!(o.time_ms, ev.time_ms);
                    assert!((o.position.lat_deg - ev.lat).abs() < 1e-6);
                    assert!((o.position.lon_deg - ev.lon).abs() < 1e-6);
                    if f.cot_kind == ObservationKind::Track {
                        assert_eq!(o.identity.track_number.as_deref(), Some(ev.uid.as_str()));
                        assert!(o.velocity.is_some());
                    }
                    // The decoded sigma is the sensor's modelled sigma (ce is CE90).
                    assert!(
                        o.pos_sigma_m > 5.0 && o.pos_sigma_m < 2_000.0,
                        "{}",
                        o.pos_sigma_m
                    );
                    *counts.entry(e.feed).or_default() += 1;
                }
                Record::Ais { .. } => {}
            }
        }
    }
    assert!(counts.len() >= 6, "{counts:?}");
}
