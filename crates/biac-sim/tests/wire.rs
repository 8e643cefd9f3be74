//! Wire-level tests: what the simulator emits decodes with biac-formats' own decoders
//! back to what it meant.

use std::collections::BTreeMap;

use biac_formats::framing::Frame;
use biac_formats::stanag4607::{decode_packet, Segment};
use biac_formats::FeedDecoder;
use biac_geo::distance_m;
use biac_model::{FeedConfig, FeedFormat, ObservationKind};
use biac_sim::{
    demo_feeds, AisMsg, Record, Scenario, SimConfig, FEED_JPN_ADSB, FEED_NAMES, FEED_SAT_AIS,
    FEED_USA_MQ9_GMTI,
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
    // (STANAG 4607 packets are framed by their size: nothing is left.)
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
            if matches!(f.format, FeedFormat::Stanag4607 { .. }) {
                // One whole packet per emission, every segment decoding.
                let p = decode_packet(&e.bytes, 0).unwrap();
                assert_eq!(p.header.packet_size as usize, e.bytes.len());
                assert!(p.segments.iter().all(Result::is_ok), "{p:?}");
                continue;
            }
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
                FeedFormat::Stanag4607 { .. } => unreachable!("checked above"),
                FeedFormat::Plots3d { .. } => {
                    assert!(text.ends_with('\n') && !text.contains('\r'), "{text}");
                    assert_eq!(text.matches('\n').count(), 1);
                }
            }
        }
    }
    // The missile-defence radars are silent until the first launch (30 s).
    for f in FEED_NAMES
        .iter()
        .filter(|f| !matches!(feed(f).format, FeedFormat::Plots3d { .. }))
    {
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
                Record::Ais { .. } | Record::Stanag4607 { .. } | Record::Plots3d(_) => {}
            }
        }
    }
    assert!(counts.len() >= 5, "{counts:?}");
}

/// The MQ-9's STANAG 4607 dwells: four per 10 s revisit, each with the platform's own
/// position at ~7.6 km, decoding to plots near the objects their truth tags name, with
/// the sensor-space measurement (ground fix, range-rate) the tracker updates with.
#[test]
fn gmti_dwells_decode_to_plots_in_the_sensors_space_near_the_truth() {
    let mut sc = Scenario::new(SimConfig::default());
    let mut dec = FeedDecoder::new(feed(FEED_USA_MQ9_GMTI));
    let (mut dwells, mut near, mut far, mut clutter) = (0, 0, 0, 0);
    let mut last_revisit: Option<(u16, u16)> = None;
    for _ in 0..120 {
        let recs = sc.step_records(1_000);
        let truth: BTreeMap<u32, _> = sc.truth().into_iter().map(|r| (r.id, r)).collect();
        let mq9 = truth.values().find(|t| t.name == "USAF MQ-9A").unwrap();
        for e in recs {
            let Record::Stanag4607 { segments, .. } = &e.record else {
                continue;
            };
            assert_eq!(e.feed, FEED_USA_MQ9_GMTI);
            let Some(Segment::Dwell(d)) = segments.last() else {
                panic!("a packet ends with its dwell: {segments:?}")
            };
            assert!(matches!(segments[0], Segment::Mission(_)));
            dwells += 1;
            // Dwells 0..3 of each revisit, the last flagged, in order.
            assert_eq!(d.last_dwell == 1, d.dwell_index == 3);
            if let Some((r, i)) = last_revisit {
                let next = if i == 3 {
                    (r.wrapping_add(1), 0)
                } else {
                    (r, i + 1)
                };
                assert_eq!((d.revisit_index, d.dwell_index), next);
            }
            last_revisit = Some((d.revisit_index, d.dwell_index));
            // The platform's own position, at most 1 s of flight (~90 m) from now.
            let ds = distance_m(d.sensor_lat_deg(), d.sensor_lon_deg(), mq9.lat, mq9.lon);
            assert!(ds < 150.0, "sensor {ds} m from the MQ-9");
            assert!((f64::from(d.sensor_alt_cm) / 100.0 - mq9.alt_m).abs() < 1.0);

            let obs = decode_all(&mut dec, &e.record.encode(e.time_ms), e.time_ms);
            assert_eq!(obs.len(), d.targets.len());
            for (o, t) in obs.iter().zip(&d.targets) {
                assert_eq!(o.time_ms, e.time_ms);
                assert_eq!(o.label, feed(FEED_USA_MQ9_GMTI).default_label);
                assert_eq!(o.sensor, "MQ9-KANOYA");
                let p = o.polar.as_ref().expect("a sensor-space measurement");
                assert!(
                    !p.ground_fix && p.range_rate_mps.is_some() && p.is_valid(),
                    "{p:?}"
                );
                assert!((p.sensor_position.alt_m.unwrap() - mq9.alt_m).abs() < 1.0);
                // Slant range from 7.6 km up is longer than the ground distance.
                let ground = distance_m(
                    p.sensor_position.lat_deg,
                    p.sensor_position.lon_deg,
                    o.position.lat_deg,
                    o.position.lon_deg,
                );
                assert!(p.range_m > ground && p.range_m < ground + 7_700.0);
                let id = t.truth_tag_entity.unwrap();
                if id == 0 {
                    clutter += 1;
                    continue;
                }
                let Some(obj) = truth.get(&id) else { continue };
                let err = distance_m(o.position.lat_deg, o.position.lon_deg, obj.lat, obj.lon);
                // Within 5 sigma plus up to 1 s of motion.
                if err < 5.0 * 1.42 * o.pos_sigma_m + 30.0 {
                    near += 1;
                } else {
                    far += 1;
                }
                // The radial velocity is the object's, along the line of sight.
                let (s, c) = obj.course_deg.to_radians().sin_cos();
                let az = p.azimuth_rad;
                let horizontal = obj.speed_mps * (s * az.sin() + c * az.cos());
                let radial = horizontal * ground / p.range_m;
                let rr = p.range_rate_mps.unwrap();
                assert!((rr - radial).abs() < 3.0, "range-rate {rr} vs {radial}");
            }
        }
    }
    eprintln!("{dwells} dwells: {near} plots near their object, {far} not, {clutter} false alarms");
    assert!(dwells >= 45, "{dwells} dwells in 120 s");
    assert!(near > 20 && far * 50 <= near, "{near} near, {far} far");
}
