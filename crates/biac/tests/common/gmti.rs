//! STANAG 4607 test packets: three ground movers sailing east, seen by one sensor, one
//! dwell per revisit (5 s apart), encoded by biac's own encoder.

use biac_formats::stanag4607::{
    chars, deg_ba32, deg_sa32, encode_packet, Dwell, Mission, PacketHeader, Segment, TargetReport,
};

pub const SENSOR: (f64, f64, f64) = (30.2, 128.9, 7_600.0);
pub const SPEED_MPS: f64 = 8.0;
pub const DAY_MS: i64 = 86_400_000;

/// Mover `i` (sailing east) at `t_ms`; movers 10 and up sail a second lane.
pub fn mover(i: usize, t0: i64, t_ms: i64) -> (f64, f64) {
    let lat = if i >= 10 {
        30.8 + 0.05 * (i - 10) as f64
    } else {
        30.5 + 0.05 * i as f64
    };
    let east = SPEED_MPS * (t_ms - t0) as f64 / 1000.0;
    (lat, 129.3 + east / (111_320.0 * lat.to_radians().cos()))
}

/// The packet of revisit `k` (every 5 s from `t0`): the mission (the date of `t0`) and
/// one dwell with the three movers and their radial velocities, marked SECRET.
pub fn packet(k: i64, t0: i64) -> Vec<u8> {
    packet_of(k, t0, 0, 2)
}

/// [`packet`] for movers `first..first + 3`, its header's classification (P4) `p4`.
pub fn packet_of(k: i64, t0: i64, first: usize, p4: u8) -> Vec<u8> {
    packet_with(k, t0, first, p4, 0)
}

/// [`packet_of`] with the header's security code (P6, handling flags) `p6`.
pub fn packet_with(k: i64, t0: i64, first: usize, p4: u8, p6: u16) -> Vec<u8> {
    let t = t0 + k * 5_000;
    let midnight = t0.div_euclid(DAY_MS) * DAY_MS;
    let days = (midnight / DAY_MS) as i32;
    let date = time::Date::from_julian_day(days + 2_440_588).unwrap();
    let targets = (first..first + 3)
        .map(|i| {
            let (lat, lon) = mover(i, t0, t);
            // Line of sight in a local flat frame (good to ~1 % here).
            let e = (lon - SENSOR.1) * 111_320.0 * lat.to_radians().cos();
            let n = (lat - SENSOR.0) * 110_574.0;
            let radial = SPEED_MPS * e / (e * e + n * n + SENSOR.2 * SENSOR.2).sqrt();
            TargetReport {
                report_index: Some((i - first) as u16),
                lat: Some(deg_sa32(lat)),
                lon: Some(deg_ba32(lon)),
                radial_velocity_cm_s: Some((radial * 100.0).round() as i16),
                classification: Some(6),
                slant_range_uncertainty_cm: Some(2_000),
                cross_range_uncertainty_dm: Some(300),
                radial_velocity_uncertainty_cm_s: Some(100),
                ..TargetReport::default()
            }
        })
        .collect();
    let mut d = Dwell {
        revisit_index: k as u16,
        last_dwell: 1,
        dwell_time_ms: (t - midnight) as u32,
        sensor_lat: deg_sa32(SENSOR.0),
        sensor_lon: deg_ba32(SENSOR.1),
        sensor_alt_cm: (SENSOR.2 * 100.0) as i32,
        center_lat: deg_sa32(30.55),
        center_lon: deg_ba32(129.3),
        range_half_extent: 20 * 128,
        angle_half_extent: 4_000,
        targets,
        ..Dwell::default()
    };
    d.fit_mask();
    let header = PacketHeader {
        version: *b"41",
        nationality: chars("US"),
        classification: p4,
        class_system: chars("US"),
        security_code: p6,
        platform_id: chars("MQ9-TEST"),
        mission_id: 1,
        job_id: 1,
        ..PacketHeader::default()
    };
    let mission = Mission {
        mission_plan: chars("TEST"),
        flight_plan: chars("ORBIT"),
        platform_type: 36,
        platform_configuration: chars("LYNX"),
        year: date.year() as u16,
        month: u8::from(date.month()),
        day: date.day(),
    };
    encode_packet(&header, &[Segment::Mission(mission), Segment::Dwell(d)])
}
