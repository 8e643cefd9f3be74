//! A STANAG 4607 feed through the path a live connection takes (`FeedDecoder::framer`
//! then `FeedDecoder::decode`): dwells become plots that carry their measurement in the
//! sensor's space, dated by the mission segment; errors come from the report's own
//! fields, then the job definition's nominal values, then the defaults; a malformed
//! packet is one rejected record with its offset and the packets around it decode,
//! however the stream is split into reads.

use biac_formats::framing::Frame;
use biac_formats::stanag4607::feed::{
    DEFAULT_CROSS_RANGE_SIGMA_DEG, DEFAULT_RADIAL_VELOCITY_SIGMA_MPS, DEFAULT_SLANT_RANGE_SIGMA_M,
};
use biac_formats::stanag4607::{
    chars, deg_ba16, deg_ba32, deg_sa32, encode_packet, Dwell, JobDefinition, Mission,
    PacketHeader, Segment, TargetReport,
};
use biac_formats::{DecodeError, FeedDecoder};
use biac_model::{Domain, FeedConfig, FeedFormat, Label, Nation, Observation, ObservationKind};

fn config() -> FeedConfig {
    FeedConfig {
        name: "mq9".into(),
        format: FeedFormat::Stanag4607 { udp: false },
        nation: Nation::USA,
        default_label: Label::unclassified_public(Nation::USA),
        trusted_markings: false,
        cot_kind: ObservationKind::Plot,
        description: String::new(),
        limits: Default::default(),
    }
}

const SENSOR: (f64, f64, f64) = (30.2, 128.9, 7_600.0);
/// 2025-06-01T00:00:00Z.
const MIDNIGHT_MS: i64 = 1_748_736_000_000;

fn header() -> PacketHeader {
    PacketHeader {
        version: *b"41",
        nationality: *b"US",
        classification: 5,
        class_system: *b"US",
        platform_id: chars("MQ9-TEST"),
        mission_id: 7,
        job_id: 1,
        ..PacketHeader::default()
    }
}

fn mission() -> Segment {
    Segment::Mission(Mission {
        mission_plan: chars("PLAN"),
        flight_plan: chars("FLIGHT"),
        platform_type: 36,
        platform_configuration: chars("LYNX"),
        year: 2025,
        month: 6,
        day: 1,
    })
}

fn dwell(dwell_time_ms: u32, targets: Vec<TargetReport>) -> Dwell {
    let mut d = Dwell {
        revisit_index: 3,
        dwell_index: 1,
        dwell_time_ms,
        sensor_lat: deg_sa32(SENSOR.0),
        sensor_lon: deg_ba32(SENSOR.1),
        sensor_alt_cm: (SENSOR.2 * 100.0) as i32,
        center_lat: deg_sa32(30.5),
        center_lon: deg_ba32(129.2),
        range_half_extent: 40 * 128,
        angle_half_extent: deg_ba16(45.0),
        targets,
        ..Dwell::default()
    };
    d.fit_mask();
    d
}

/// A target at (`lat`, `lon`) with a radial velocity, and nothing else about errors.
fn target(lat: f64, lon: f64, radial_cm_s: i16) -> TargetReport {
    TargetReport {
        report_index: Some(0),
        lat: Some(deg_sa32(lat)),
        lon: Some(deg_ba32(lon)),
        radial_velocity_cm_s: Some(radial_cm_s),
        classification: Some(6),
        ..TargetReport::default()
    }
}

/// Decode `stream` pushed in chunks of `chunk` bytes: (observations, errors).
fn run(stream: &[u8], chunk: usize) -> (Vec<Observation>, Vec<DecodeError>) {
    let mut dec = FeedDecoder::new(config());
    let mut framer = dec.framer();
    let (mut obs, mut bad) = (Vec::new(), Vec::new());
    for part in stream.chunks(chunk) {
        framer.push(part);
        while let Some(frame) = framer.next_frame() {
            match frame {
                Frame::Record { offset, bytes } => match dec.decode(&bytes, offset, 0) {
                    Ok(o) => obs.extend(o),
                    Err(e) => bad.push(e),
                },
                Frame::Oversized { offset, len } => panic!("oversized {len} at {offset}"),
            }
        }
    }
    assert_eq!(framer.pending(), 0);
    (obs, bad)
}

/// Slant range and azimuth from the sensor (at its position as the wire quantised
/// it, `(lat, lon)` of the dwell) to a point on the ellipsoid, computed here from ECEF
/// vectors and the sensor's local axes written out.
fn slant_from(sensor: (f64, f64), lat: f64, lon: f64) -> (f64, f64) {
    let s = biac_geo::geodetic_to_ecef(sensor.0, sensor.1, SENSOR.2);
    let p = biac_geo::geodetic_to_ecef(lat, lon, 0.0);
    let d = [p[0] - s[0], p[1] - s[1], p[2] - s[2]];
    let (sl, cl) = sensor.0.to_radians().sin_cos();
    let (so, co) = sensor.1.to_radians().sin_cos();
    let e = -so * d[0] + co * d[1];
    let n = -sl * co * d[0] - sl * so * d[1] + cl * d[2];
    let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
    (r, e.atan2(n).rem_euclid(std::f64::consts::TAU))
}

fn slant(lat: f64, lon: f64) -> (f64, f64) {
    slant_from((SENSOR.0, SENSOR.1), lat, lon)
}

#[test]
fn dwell_targets_become_plots_measured_in_the_sensors_space() {
    let mut t1 = target(30.6, 129.3, -734);
    t1.slant_range_uncertainty_cm = Some(1_500);
    t1.cross_range_uncertainty_dm = Some(900);
    t1.radial_velocity_uncertainty_cm_s = Some(40);
    // A low-resolution position: the dwell centre plus delta × scale.
    let t2 = TargetReport {
        report_index: Some(1),
        delta_lat: Some(-100),
        delta_lon: Some(250),
        radial_velocity_cm_s: Some(512),
        classification: Some(2),
        ..TargetReport::default()
    };
    // The mask is the dwell's: a second dwell carries the low-resolution form.
    let d = dwell(3_600_000 + 250, vec![t1]);
    let mut low = dwell(3_600_000 + 250, vec![t2]);
    low.lat_scale = Some(1_000);
    low.lon_scale = Some(1_000);
    low.fit_mask();
    let packet = encode_packet(
        &header(),
        &[mission(), Segment::Dwell(d), Segment::Dwell(low)],
    );
    let (obs, bad) = run(&packet, packet.len());
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(obs.len(), 2);

    let o = &obs[0];
    assert_eq!(o.time_ms, MIDNIGHT_MS + 3_600_250);
    assert_eq!((o.feed.as_str(), o.sensor.as_str()), ("mq9", "MQ9-TEST"));
    assert_eq!(o.kind, ObservationKind::Plot);
    assert_eq!(o.domain, Domain::Surface);
    assert_eq!(o.label, config().default_label);
    assert!((o.position.lat_deg - 30.6).abs() < 1e-7 && (o.position.lon_deg - 129.3).abs() < 1e-7);
    assert_eq!(o.position.alt_m, None);
    let p = o.polar.as_ref().expect("sensor-space measurement");
    assert!(!p.ground_fix && p.range_rate_mps.is_some() && p.is_valid());
    assert_eq!(
        p.sensor_velocity, None,
        "D32.7 is corrected for platform motion"
    );
    assert!((p.sensor_position.lat_deg - SENSOR.0).abs() < 1e-7);
    assert!((p.sensor_position.lon_deg - SENSOR.1).abs() < 1e-7);
    assert_eq!(p.sensor_position.alt_m, Some(SENSOR.2));
    let sensor = (p.sensor_position.lat_deg, p.sensor_position.lon_deg);
    let (r, az) = slant_from(sensor, o.position.lat_deg, o.position.lon_deg);
    assert!((p.range_m - r).abs() < 1e-3, "{} vs {r}", p.range_m);
    assert!(
        (p.azimuth_rad - az).abs() < 1e-9,
        "{} vs {az}",
        p.azimuth_rad
    );
    assert_eq!(p.range_rate_mps, Some(-7.34));
    // The report's own errors.
    assert_eq!(p.range_rate_sigma_mps, Some(0.4));
    assert!((p.range_sigma_m - 15.0).abs() < 1e-9);
    let horizontal = (r * r - SENSOR.2 * SENSOR.2).sqrt();
    assert!((p.azimuth_sigma_rad * horizontal - 90.0).abs() < 1.0);
    // Position: slant range error on the ground (≈ same at this grazing angle) and
    // 90 m across, per axis.
    let want = ((15.0f64.powi(2) + 90.0f64.powi(2)) / 2.0).sqrt();
    assert!(
        (o.pos_sigma_m - want).abs() < 0.5,
        "{} vs {want}",
        o.pos_sigma_m
    );

    let o = &obs[1];
    assert_eq!(o.domain, Domain::Ground);
    let lat = 30.5 - 100.0 * 1_000.0 * 45.0 / f64::from(1u32 << 30);
    let lon = 129.2 + 250.0 * 1_000.0 * 90.0 / f64::from(1u32 << 30);
    assert!((o.position.lat_deg - lat).abs() < 1e-6 && (o.position.lon_deg - lon).abs() < 1e-6);
    let p = o.polar.as_ref().unwrap();
    assert_eq!(p.range_rate_mps, Some(5.12));
    // No D32.12 and no job definition: the default.
    assert!((p.range_sigma_m - DEFAULT_SLANT_RANGE_SIGMA_M).abs() < 1e-9);
}

#[test]
fn errors_come_from_the_report_then_the_job_then_defaults() {
    let sigma = |segments: Vec<Segment>| {
        let packet = encode_packet(&header(), &segments);
        let (obs, bad) = run(&packet, 7);
        assert!(bad.is_empty(), "{bad:?}");
        let o = obs.into_iter().last().unwrap();
        let p = *o.polar.unwrap();
        let (r, _) = slant(o.position.lat_deg, o.position.lon_deg);
        let horizontal = (r * r - SENSOR.2 * SENSOR.2).sqrt();
        (
            p.range_sigma_m,
            p.azimuth_sigma_rad.to_degrees(),
            p.range_rate_sigma_mps.unwrap(),
            horizontal,
            o.pos_sigma_m,
        )
    };
    let plain = Segment::Dwell(dwell(1_000, vec![target(30.7, 129.0, 300)]));
    let (r, a, v, _, _) = sigma(vec![mission(), plain.clone()]);
    assert!((r - DEFAULT_SLANT_RANGE_SIGMA_M).abs() < 1e-9);
    assert!((a - DEFAULT_CROSS_RANGE_SIGMA_DEG).abs() < 1e-9, "{a}");
    assert_eq!(v, DEFAULT_RADIAL_VELOCITY_SIGMA_MPS);

    let job = Segment::JobDefinition(JobDefinition {
        job_id: 1,
        slant_range_sd_cm: 3_000,
        cross_range_sd: deg_ba16(0.5),
        radial_velocity_sd_cm_s: 80,
        along_track_uncertainty_m: 30,
        cross_track_uncertainty_m: 40,
        ..JobDefinition::default()
    });
    let (r, a, v, h, pos) = sigma(vec![mission(), job.clone(), plain.clone()]);
    // The platform's navigation error (30 and 40 m: 25 m per axis) adds in quadrature.
    let nav = (30.0f64.powi(2) + 40.0f64.powi(2)) / 2.0;
    assert!((r - (900.0 + nav).sqrt()).abs() < 1e-9, "{r}");
    // (The decoder's horizontal range is in the sensor's plane: within 0.1 % of h.)
    let cross = h * deg_to_rad_ba16(0.5);
    let want = (cross.powi(2) + nav).sqrt();
    assert!(
        (a.to_radians() * h - want).abs() < 1e-3 * want,
        "{a} {want}"
    );
    assert_eq!(v, 0.8);
    assert!(pos > cross / 2f64.sqrt());

    // The dwell's own navigation error replaces the job's; the report's own sigmas
    // replace the job's nominal ones.
    let mut own = target(30.7, 129.0, 300);
    own.slant_range_uncertainty_cm = Some(1_000);
    own.radial_velocity_uncertainty_cm_s = Some(25);
    let mut d = dwell(1_000, vec![own]);
    d.sensor_along_track_uncertainty_cm = Some(300);
    d.sensor_cross_track_uncertainty_cm = Some(400);
    d.fit_mask();
    let (r, _, v, _, _) = sigma(vec![mission(), job, Segment::Dwell(d)]);
    assert!((r - (100.0f64 + 12.5).sqrt()).abs() < 1e-9, "{r}");
    assert_eq!(v, 0.25);
}

/// J21 as written on the wire (BA16), back in radians: what the decoder can know.
fn deg_to_rad_ba16(deg: f64) -> f64 {
    biac_formats::stanag4607::ba16_deg(deg_ba16(deg)).to_radians()
}

#[test]
fn a_dwell_without_a_mission_date_is_rejected_at_its_offset() {
    let d = Segment::Dwell(dwell(5_000, vec![target(30.6, 129.3, 100)]));
    let first = encode_packet(&header(), std::slice::from_ref(&d));
    let second = encode_packet(&header(), &[mission(), d]);
    let stream = [first.clone(), second].concat();
    let (obs, bad) = run(&stream, 5);
    assert_eq!(bad.len(), 1);
    // The dwell segment right after the first packet's header.
    assert_eq!(bad[0].offset, 32);
    assert!(
        bad[0].reason.to_string().contains("mission"),
        "{}",
        bad[0].reason
    );
    assert_eq!(obs.len(), 1);
    assert_eq!(obs[0].time_ms, MIDNIGHT_MS + 5_000);
    // An impossible mission date is refused with its segment's offset.
    let mut m = mission();
    if let Segment::Mission(m) = &mut m {
        m.month = 13;
    }
    let (_, bad) = run(&encode_packet(&header(), &[m]), 64);
    assert_eq!(
        (
            bad[0].offset,
            bad[0].reason.to_string().contains("not a date")
        ),
        (32, true)
    );
}

#[test]
fn simulated_clutter_and_positionless_reports_are_skipped() {
    let mut sim = target(30.6, 129.3, 100);
    sim.classification = Some(134); // maritime, simulated target
    let mut clutter = target(30.6, 129.4, 100);
    clutter.classification = Some(14);
    let live = target(30.6, 129.5, 100);
    let packet = encode_packet(
        &header(),
        &[
            mission(),
            Segment::Dwell(dwell(9, vec![sim, clutter, live])),
        ],
    );
    let mut dec = FeedDecoder::new(config());
    let obs = dec.decode(&packet, 0, 0).unwrap();
    assert_eq!(obs.len(), 1);
    assert!((obs[0].position.lon_deg - 129.5).abs() < 1e-7);
    let st = dec.gmti_stats().unwrap();
    assert_eq!(
        (st.packets, st.dwells, st.targets, st.skipped_targets),
        (1, 1, 3, 2)
    );
    // No radial velocity: a range/azimuth plot, not a ground fix.
    let mut t = target(30.6, 129.5, 0);
    t.radial_velocity_cm_s = None;
    let packet = encode_packet(&header(), &[mission(), Segment::Dwell(dwell(9, vec![t]))]);
    let o = &dec.decode(&packet, 0, 0).unwrap()[0];
    let p = o.polar.as_ref().unwrap();
    assert!(!p.ground_fix && p.range_rate_mps.is_none() && p.is_valid());
    // West of the antimeridian, longitudes come out in [-180, 180).
    let mut west = dwell(9, vec![target(30.6, -170.0, 100)]);
    west.sensor_lon = deg_ba32(-170.5);
    let packet = encode_packet(&header(), &[mission(), Segment::Dwell(west)]);
    let o = &dec.decode(&packet, 0, 0).unwrap()[0];
    assert!((o.position.lon_deg + 170.0).abs() < 1e-7);
    assert!((o.polar.as_ref().unwrap().sensor_position.lon_deg + 170.5).abs() < 1e-7);
}

#[test]
fn a_malformed_packet_is_one_rejection_with_its_offset_and_the_next_decodes() {
    let good = |t: u32| {
        encode_packet(
            &header(),
            &[
                mission(),
                Segment::Dwell(dwell(t, vec![target(30.6, 129.3, 100)])),
            ],
        )
    };
    let a = good(1_000);
    // A dwell whose mask lacks its mandatory fields: the segment is at fault.
    let mut bad_dwell = good(2_000);
    let at = 32 + 44 + 5; // packet header, mission segment, dwell segment header
    bad_dwell[at] &= 0x7f;
    let garbage = b"\x00\x01not a packet\xff\xff".to_vec();
    let c = good(3_000);
    let stream = [a.clone(), garbage.clone(), bad_dwell.clone(), c].concat();
    for chunk in [1, 3, 64, stream.len()] {
        let (obs, bad) = run(&stream, chunk);
        let times: Vec<i64> = obs.iter().map(|o| o.time_ms - MIDNIGHT_MS).collect();
        assert_eq!(times, [1_000, 3_000], "chunk {chunk}");
        let offsets: Vec<u64> = bad.iter().map(|e| e.offset).collect();
        let g = a.len() as u64;
        let d = g + garbage.len() as u64;
        assert_eq!(offsets, [g, d + 32 + 44], "chunk {chunk}: {bad:?}");
        assert!(bad.iter().all(|e| e.feed == "mq9"));
        assert!(
            bad[0]
                .reason
                .to_string()
                .contains("not a STANAG 4607 packet"),
            "{}",
            bad[0].reason
        );
        assert!(
            bad[1].reason.to_string().contains("mandatory"),
            "{}",
            bad[1].reason
        );
    }
}
