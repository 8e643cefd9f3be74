//! A CAT062 system track feed fused with an ADS-B feed: one aircraft, seen by both,
//! makes one track whose label is the join of the two feeds' labels and whose
//! provenance names both; the CAT062 reports enter as national tracks (track-to-track,
//! never as measurements), so a report re-sent unchanged leaves the track exactly as
//! it was. The CAT062 records go through the encoder, one TCP stream,
//! `Framer::asterix` and `FeedDecoder`; the truth is computed with `biac_fusion::geo`.

use biac_formats::asterix::cat062::{encode_record, Cat062, Subfields, TargetId, Wgs84};
use biac_formats::asterix::{encode_block, AircraftId, DataSource};
use biac_formats::framing::Frame;
use biac_formats::FeedDecoder;
use biac_fusion::geo::EnuFrame;
use biac_fusion::{Tracker, TrackerConfig};
use biac_model::{
    Classification, Domain, FeedConfig, FeedFormat, Identity, Label, Nation, Observation,
    ObservationKind, Position, RadarSite, TimeMs, Velocity,
};
use peers_common::{Rng, MIYAKO};

mod peers_common;

const T0: TimeMs = 1_767_225_600_000 + 36_000_000; // 2026-01-01T10:00:00Z
const ICAO: u32 = 0x86_1234;
const FL350_M: f64 = 35_000.0 * 0.3048;
/// The SDPS (SAC/SIC 25/10) and its reference point.
const SRP: RadarSite = MIYAKO;

fn cat062_feed() -> FeedConfig {
    FeedConfig {
        name: "jasdf-sdps".into(),
        format: FeedFormat::Asterix { radar: SRP },
        nation: Nation::JPN,
        default_label: Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]),
        trusted_markings: false,
        cot_kind: ObservationKind::Track,
        description: "national air picture, CAT062".into(),
        limits: Default::default(),
    }
}

fn adsb_label() -> Label {
    Label::rel_to(
        Classification::Confidential,
        Nation::USA,
        &[Nation::JPN, Nation::AUS],
    )
}

/// The aircraft: east at 230 m/s, FL350, from 60 km north-west of the SRP.
fn truth(frame: &EnuFrame, t: TimeMs) -> (f64, f64) {
    let dt = (t - T0) as f64 / 1000.0;
    frame.en_to_geodetic(-60_000.0 + 230.0 * dt, 40_000.0)
}

/// One CAT062 track report at `t`: I062/105 with noise of `sigma` m, I062/185, 500.
fn report(frame: &EnuFrame, t: TimeMs, rng: &mut Rng, sigma: f64) -> Vec<u8> {
    let (lat, lon) = truth(frame, t);
    let f = EnuFrame::new(lat, lon);
    let (lat, lon) = f.en_to_geodetic(sigma * rng.normal(), sigma * rng.normal());
    let lsb = 180.0 / 33_554_432.0;
    let mut acc = Subfields(vec![None; 8]);
    let apc = ((sigma / 0.5) as u16).to_be_bytes();
    acc.0[0] = Some([apc, apc].concat()); // APC x, y
    acc.0[5] = Some(vec![8, 8]); // ATV 2 m/s
    let mut adr = Subfields(vec![None; 28]);
    adr.0[0] = Some(ICAO.to_be_bytes()[1..].to_vec());
    let r = Cat062 {
        source: Some(DataSource { sac: 25, sic: 10 }),
        time_of_track: Some(((t.rem_euclid(86_400_000) as f64) / 1000.0 * 128.0).round() as u32),
        wgs84: Some(Wgs84 {
            lat: (lat / lsb).round() as i32,
            lon: (lon / lsb).round() as i32,
        }),
        velocity: Some([(230.0 / 0.25) as i16, 0]),
        target_id: Some(TargetId {
            sti_octet: 0,
            chars: AircraftId::from_text("JAL916").unwrap(),
        }),
        aircraft_derived: Some(adr),
        track_number: Some(4711),
        geometric_alt: Some((FL350_M / 0.3048 / 6.25).round() as i16),
        accuracies: Some(acc),
        ..Cat062::default()
    };
    encode_block(62, &[encode_record(&r).unwrap()]).unwrap()
}

fn adsb(frame: &EnuFrame, t: TimeMs, rng: &mut Rng) -> Observation {
    let (lat, lon) = truth(frame, t);
    let f = EnuFrame::new(lat, lon);
    let (lat, lon) = f.en_to_geodetic(15.0 * rng.normal(), 15.0 * rng.normal());
    Observation::new(
        t,
        Position {
            lat_deg: lat,
            lon_deg: lon,
            alt_m: Some(FL350_M),
        },
        15.0,
        "adsb-kadena",
        adsb_label(),
    )
    .with_kind(ObservationKind::SelfReport)
    .with_domain(Domain::Air)
    .with_velocity(
        Velocity {
            east_mps: 230.0,
            north_mps: 0.0,
        },
        1.0,
    )
    .with_identity(Identity {
        icao: Some(ICAO),
        ..Identity::default()
    })
}

/// Frame and decode `bytes` as the CAT062 feed.
fn decode(dec: &mut FeedDecoder, bytes: &[u8], now: TimeMs) -> Vec<Observation> {
    let mut framer = dec.framer();
    framer.push(bytes);
    let mut out = Vec::new();
    while let Some(frame) = framer.next_frame() {
        let Frame::Record { offset, bytes } = frame else {
            panic!("{frame:?}")
        };
        out.extend(dec.decode(&bytes, offset, now).expect("a valid track"));
    }
    assert_eq!(framer.pending(), 0);
    out
}

#[test]
fn a_system_track_and_adsb_make_one_track_and_a_resent_report_counts_once() {
    let frame = EnuFrame::new(SRP.lat_deg, SRP.lon_deg);
    let mut rng = Rng::new(0x0062_f00d);
    let mut dec = FeedDecoder::new(cat062_feed());
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut last = Vec::new();
    // Two minutes: ADS-B every 2 s, the system track every 4 s, each second's
    // observations one batch.
    for s in 0..=120 {
        let t = T0 + s * 1000;
        let mut batch = Vec::new();
        if s % 2 == 1 {
            batch.push(adsb(&frame, t, &mut rng));
        }
        if s % 4 == 0 {
            last = report(&frame, t, &mut rng, 150.0);
            let obs = decode(&mut dec, &last, t + 300);
            assert_eq!(obs.len(), 1);
            let o = &obs[0];
            assert_eq!((o.kind, o.domain), (ObservationKind::Track, Domain::Air));
            assert_eq!(o.time_ms, t);
            assert_eq!(o.identity.track_number.as_deref(), Some("25/10:4711"));
            assert_eq!(o.identity.icao, Some(ICAO));
            assert_eq!(o.identity.callsign.as_deref(), Some("JAL916"));
            assert!((o.pos_sigma_m - 150.0).abs() < 1e-9, "{}", o.pos_sigma_m);
            assert!((o.vel_sigma_mps.unwrap() - 2.0).abs() < 1e-9);
            batch.extend(obs);
        }
        if !batch.is_empty() {
            tracker.process_batch(batch);
        }
    }
    let tracks = tracker.tracks();
    assert_eq!(tracks.len(), 1, "{tracks:#?}");
    let tr = &tracks[0];
    assert_eq!(tr.label, adsb_label().join(&cat062_feed().default_label));
    assert_eq!(tr.label.marking(), "SECRET//REL TO USA, JPN");
    assert!(tr.sources.contains_key("jasdf-sdps") && tr.sources.contains_key("adsb-kadena"));
    assert_eq!(tr.identity.icao, Some(ICAO));
    assert_eq!(tr.identity.callsign.as_deref(), Some("JAL916"));
    let (lat, lon) = truth(&frame, tr.time_ms);
    let f = EnuFrame::new(lat, lon);
    let [e, n] = f.ecef_to_en(biac_fusion::geo::geodetic_to_ecef(
        tr.position.lat_deg,
        tr.position.lon_deg,
        0.0,
    ));
    println!(
        "fused: {:.1} m from the truth, sigma {:.1} m, {} updates",
        e.hypot(n),
        tr.pos_sigma_m(),
        tr.updates
    );
    assert!(e.hypot(n) < 60.0, "{} m off", e.hypot(n));

    // The last CAT062 report again, unchanged: the same estimate, not new evidence.
    // The track's state stays bit for bit.
    let before = tracks[0].clone();
    let again = decode(&mut dec, &last, T0 + 121_000);
    assert_eq!(again.len(), 1);
    tracker.process_batch(again);
    let after = tracker.tracks();
    assert_eq!(after.len(), 1);
    assert_eq!(
        (after[0].position, after[0].velocity, after[0].pos_cov_en),
        (before.position, before.velocity, before.pos_cov_en)
    );
    assert_eq!(after[0].time_ms, before.time_ms);
}
