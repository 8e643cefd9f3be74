//! The GMTI tier of the Stone Soup side by side (`bench/gmti_stonesoup.py`): a scenario
//! of ground movers seen by the demo's MQ-9 written as real STANAG 4607 packets, and the
//! reading side of `track-csv --input gmti`, which feeds those packets to the tracker
//! through the feed's own decoder (`stanag4607::feed::GmtiNormaliser`).
//!
//! The scenario (`gmti-scenario`): N movers on a tangent plane at (`--ref-lat`,
//! `--ref-lon`), nearly constant velocity (white acceleration, spectral density `q`),
//! uniform in a square of side 4000·√N m (0.0625 movers/km²), speeds 3–15 m/s in
//! any direction. The sensor flies the simulator's MQ-9 racetrack (biac-sim's
//! `PLATFORMS`: 30.5–29.9° N, 128.3–129.5° E, 170 kn, 7,600 m) and makes one dwell over
//! the square per revisit (`--revisit-s`, 10 s as the demo's). Each mover whose radial
//! speed clears the MDV is detected with probability Pd; its report is the ground
//! point at the measured slant range and azimuth (true values plus Gaussian errors
//! with the demo's σ: 20 m, 0.25°), with the measured ground-referenced radial
//! velocity (σ 0.5 m/s) and the errors in the report's own fields (D32.12, D32.13,
//! D32.15). False alarms: Poisson, uniform over the square, radial speed uniform in
//! MDV–15 m/s either way. Truth and the reports' plane positions go to a scenario file
//! in `stonesoup_bench.py --dump` format, for `gospa_score.py score`.

use std::io::Write;
use std::path::PathBuf;

use crate::HarnessError;

use biac_formats::stanag4607::feed::{mission_midnight, GmtiNormaliser};
use biac_formats::stanag4607::{
    self as s4607, deg_ba16, deg_ba32, deg_sa32, encode_packet, Dwell, JobDefinition, Mission,
    PacketHeader, Point, Segment, TargetReport,
};
use biac_formats::stanag4607::{decode_packet, Packets};
use biac_geo::{aer_of, bearing_deg, destination, distance_m, geodetic_to_ecef, point_at_aer};
use biac_geo::{ecef_to_geodetic, EnuFrame};
use biac_model::{
    Classification, FeedConfig, FeedFormat, Label, Nation, Observation, ObservationKind, TimeMs,
};
use biac_sim::rnd::{gauss, poisson, uniform, SimRng};
use rand::{Rng, SeedableRng};

/// The simulator's MQ-9 orbit (biac-sim `world::PLATFORMS`), its speed and altitude.
pub const MQ9_ORBIT: [(f64, f64); 4] = [(30.5, 128.3), (30.5, 129.5), (29.9, 129.5), (29.9, 128.3)];
pub const MQ9_SPEED_MPS: f64 = 170.0 * 1852.0 / 3600.0;
pub const MQ9_ALT_M: f64 = 7_600.0;
/// Movers per km² (a quarter of the GMTI-lite density: ground traffic is sparser).
pub const MOVERS_PER_KM2: f64 = 0.0625;

#[derive(clap::Args, Debug)]
pub struct ScenarioArgs {
    /// Movers.
    #[arg(long)]
    pub n: usize,
    /// Revisits (one dwell each).
    #[arg(long)]
    pub steps: usize,
    #[arg(long)]
    pub seed: u64,
    /// Scenario file (`step,t_s,kind,id,x,y,vx,vy`) for `gospa_score.py score`.
    #[arg(long)]
    pub scenario: PathBuf,
    /// The dwells as STANAG 4607 packets back to back.
    #[arg(long)]
    pub packets: PathBuf,
    #[arg(long, default_value_t = 10.0)]
    pub revisit_s: f64,
    /// Centre of the movers' square (the plane's origin), degrees: 50 km north of the
    /// orbit's northern leg.
    #[arg(long, default_value_t = 30.95, allow_hyphen_values = true)]
    pub ref_lat: f64,
    #[arg(long, default_value_t = 128.9, allow_hyphen_values = true)]
    pub ref_lon: f64,
    #[arg(long, default_value_t = 20.0)]
    pub sigma_range: f64,
    #[arg(long, default_value_t = 0.25)]
    pub sigma_az_deg: f64,
    #[arg(long, default_value_t = 0.5)]
    pub sigma_range_rate: f64,
    #[arg(long, default_value_t = 0.85)]
    pub pd: f64,
    /// Minimum detectable radial speed, m/s (the demo's 2 kn).
    #[arg(long, default_value_t = 1.03)]
    pub mdv: f64,
    /// Process noise of the movers (white acceleration), m²/s³ per axis.
    #[arg(long, default_value_t = 0.05)]
    pub q: f64,
    /// False alarms per km² per dwell.
    #[arg(long, default_value_t = MOVERS_PER_KM2)]
    pub clutter_per_km2: f64,
}

/// The point `along_m` metres along the closed orbit from its first waypoint:
/// (lat, lon, course).
pub fn orbit_point(along_m: f64) -> (f64, f64, f64) {
    let n = MQ9_ORBIT.len();
    let legs: Vec<f64> = (0..n)
        .map(|i| {
            let (a, b) = (MQ9_ORBIT[i], MQ9_ORBIT[(i + 1) % n]);
            distance_m(a.0, a.1, b.0, b.1)
        })
        .collect();
    let mut d = along_m.rem_euclid(legs.iter().sum());
    for (i, leg) in legs.iter().enumerate() {
        if d <= *leg || i == n - 1 {
            let (a, b) = (MQ9_ORBIT[i], MQ9_ORBIT[(i + 1) % n]);
            let (lat, lon) = destination(a.0, a.1, bearing_deg(a.0, a.1, b.0, b.1), d.min(*leg));
            return (lat, lon, bearing_deg(lat, lon, b.0, b.1));
        }
        d -= leg;
    }
    unreachable!("the orbit has legs")
}

/// The ground point (on the ellipsoid) a sensor at `site` places at slant range
/// `range_m` and azimuth `az_deg`: the elevation is found by Newton's method.
pub fn ground_point_at(site: (f64, f64, f64), range_m: f64, az_deg: f64) -> Option<(f64, f64)> {
    if range_m <= site.2 {
        return None;
    }
    let mut el = -(site.2 / range_m).asin().to_degrees();
    for _ in 0..8 {
        let (lat, lon, h) = ecef_to_geodetic(point_at_aer(site, range_m, az_deg, el));
        // Raising the beam by δ lifts the point by about range·δ·cos(el).
        let step = -h / (range_m * el.to_radians().cos());
        el += step.to_degrees();
        if h.abs() < 1e-4 {
            return Some((lat, lon));
        }
    }
    let (lat, lon, _) = ecef_to_geodetic(point_at_aer(site, range_m, az_deg, el));
    Some((lat, lon))
}

/// Ground-referenced radial velocity of a surface point moving at (ve, vn) m/s (in
/// `frame`'s east/north) as seen from `site`: the rate of the slant range.
fn radial_velocity(site: (f64, f64, f64), frame: &EnuFrame, x: f64, y: f64, v: [f64; 2]) -> f64 {
    let (lat, lon) = frame.en_to_geodetic(x, y);
    let p = geodetic_to_ecef(lat, lon, 0.0);
    let dv = frame.vec_to_ecef(v[0], v[1]);
    let s = geodetic_to_ecef(site.0, site.1, site.2);
    let los = [p[0] - s[0], p[1] - s[1], p[2] - s[2]];
    let r = (los[0] * los[0] + los[1] * los[1] + los[2] * los[2]).sqrt();
    (los[0] * dv[0] + los[1] * dv[1] + los[2] * dv[2]) / r
}

/// One dwell's truth and reports.
struct Dwelled {
    /// (truth index or -1, lat, lon, radial velocity m/s, cross-range metres)
    reports: Vec<(i64, f64, f64, f64, f64)>,
}

/// Writes the scenario and the packets; returns a one-line JSON summary.
pub fn scenario(a: &ScenarioArgs) -> Result<String, HarnessError> {
    let pos = |v: f64| v.is_finite() && v > 0.0;
    if a.n == 0 || a.steps == 0 {
        return Err(HarnessError::Args("need n ≥ 1 and steps ≥ 1"));
    }
    if !(pos(a.revisit_s)
        && pos(a.sigma_range)
        && pos(a.sigma_az_deg)
        && pos(a.sigma_range_rate)
        && pos(a.q)
        && a.pd > 0.0
        && a.pd <= 1.0
        && a.mdv >= 0.0
        && a.clutter_per_km2 >= 0.0)
    {
        return Err(HarnessError::Args(
            "need positive revisit, sigmas and q, 0 < pd ≤ 1, mdv ≥ 0, clutter ≥ 0",
        ));
    }
    // Stream 4607 of the seed: apart from every other generator's.
    let mut rng = SimRng::seed_from_u64(a.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 4607);
    let frame = EnuFrame::new(a.ref_lat, a.ref_lon);
    let side = 1000.0 * (a.n as f64 / MOVERS_PER_KM2).sqrt();
    let half = side / 2.0;
    // [x, vx, y, vy]
    let mut movers: Vec<[f64; 4]> = (0..a.n)
        .map(|_| {
            let (x, y) = (
                uniform(&mut rng, -half, half),
                uniform(&mut rng, -half, half),
            );
            let speed = uniform(&mut rng, 3.0, 15.0);
            let (s, c) = uniform(&mut rng, 0.0, std::f64::consts::TAU).sin_cos();
            [x, speed * s, y, speed * c]
        })
        .collect();
    let dt = a.revisit_s;
    // Exact discretisation of white acceleration: per axis Q = q·[[dt³/3, dt²/2], [dt²/2, dt]],
    // drawn through its Cholesky factor.
    let l11 = (a.q * dt.powi(3) / 3.0).sqrt();
    let l21 = a.q * dt * dt / 2.0 / l11;
    let l22 = (a.q * dt - l21 * l21).max(0.0).sqrt();
    let mut scen = std::io::BufWriter::new(
        std::fs::File::create(&a.scenario).map_err(HarnessError::io(&a.scenario))?,
    );
    let io = |e| HarnessError::io(&a.scenario)(e);
    writeln!(scen, "step,t_s,kind,id,x,y,vx,vy").map_err(io)?;
    let mut out = Vec::new();
    // Mission day 2026-12-06, first dwell at noon UTC.
    let (year, month, day) = (2026u16, 12u8, 6u8);
    let noon_ms: i64 = 12 * 3_600_000;
    let header = PacketHeader {
        version: *b"41",
        nationality: *b"US",
        classification: 2,
        class_system: *b"US",
        exercise: 128,
        platform_id: s4607::chars("MQ9-BENCH"),
        mission_id: 1,
        job_id: 1,
        ..PacketHeader::default()
    };
    let mut n_reports = 0usize;
    for k in 0..a.steps {
        let t_s = k as f64 * dt;
        if k > 0 {
            for m in movers.iter_mut() {
                for (p, v) in [(0, 1), (2, 3)] {
                    let (z1, z2) = (gauss(&mut rng, 1.0), gauss(&mut rng, 1.0));
                    m[p] += m[v] * dt + l11 * z1;
                    m[v] += l21 * z1 + l22 * z2;
                }
            }
        }
        for (i, m) in movers.iter().enumerate() {
            writeln!(
                scen,
                "{k},{t_s},truth,{i},{:.4},{:.4},{:.4},{:.4}",
                m[0], m[2], m[1], m[3]
            )
            .map_err(io)?;
        }
        let (slat, slon, course) = orbit_point(MQ9_SPEED_MPS * t_s);
        let site = (slat, slon, MQ9_ALT_M);
        let mut d = Dwelled {
            reports: Vec::new(),
        };
        let sr = a.sigma_range;
        let saz = a.sigma_az_deg;
        for (i, m) in movers.iter().enumerate() {
            let vr = radial_velocity(site, &frame, m[0], m[2], [m[1], m[3]]);
            // The Doppler notch: a mover too slow along the line of sight is not seen.
            let seen = vr.abs() >= a.mdv && rng.random_bool(a.pd);
            let (r_noise, az_noise, rr_noise) = (
                gauss(&mut rng, sr),
                gauss(&mut rng, saz),
                gauss(&mut rng, a.sigma_range_rate),
            );
            if !seen {
                continue;
            }
            let (lat, lon) = frame.en_to_geodetic(m[0], m[2]);
            let (r, az, _) = aer_of(site, geodetic_to_ecef(lat, lon, 0.0));
            let Some((mlat, mlon)) = ground_point_at(site, r + r_noise, az + az_noise) else {
                continue;
            };
            d.reports
                .push((i as i64, mlat, mlon, vr + rr_noise, r * saz.to_radians()));
        }
        let area_km2 = side * side / 1e6;
        for _ in 0..poisson(&mut rng, a.clutter_per_km2 * area_km2) {
            let (x, y) = (
                uniform(&mut rng, -half, half),
                uniform(&mut rng, -half, half),
            );
            let vr = uniform(&mut rng, a.mdv, 15.0) * if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            let (lat, lon) = frame.en_to_geodetic(x, y);
            let (r, _, _) = aer_of(site, geodetic_to_ecef(lat, lon, 0.0));
            d.reports.push((-1, lat, lon, vr, r * saz.to_radians()));
        }
        // Report order must not give the truth away.
        for i in (1..d.reports.len()).rev() {
            d.reports.swap(i, rng.random_range(0..=i));
        }
        for &(id, lat, lon, _, _) in &d.reports {
            let [x, y] = frame.ecef_to_en(geodetic_to_ecef(lat, lon, 0.0));
            writeln!(scen, "{k},{t_s},det,{id},{x:.4},{y:.4},,").map_err(io)?;
        }
        n_reports += d.reports.len();
        let targets = d
            .reports
            .iter()
            .enumerate()
            .map(|(j, &(id, lat, lon, vr, cross_m))| {
                let p = Point::from_deg(lat, lon);
                TargetReport {
                    report_index: Some(j as u16),
                    lat: Some(p.lat),
                    lon: Some(p.lon),
                    radial_velocity_cm_s: Some(
                        (vr * 100.0).round().clamp(-32_768.0, 32_767.0) as i16
                    ),
                    // D32.10: 2 = wheeled vehicle, live target.
                    classification: Some(2),
                    slant_range_uncertainty_cm: Some((sr * 100.0).round() as u16),
                    cross_range_uncertainty_dm: Some(
                        (cross_m * 10.0).round().clamp(1.0, 65_534.0) as u16
                    ),
                    radial_velocity_uncertainty_cm_s: Some(
                        (a.sigma_range_rate * 100.0).round() as u16
                    ),
                    truth_tag_application: Some(1),
                    truth_tag_entity: Some(if id < 0 { 0 } else { id as u32 + 1 }),
                    ..TargetReport::default()
                }
            })
            .collect();
        let mut segments = vec![Segment::Mission(Mission {
            mission_plan: s4607::chars("BIAC-BENCH"),
            flight_plan: s4607::chars("KANOYA-ECS"),
            platform_type: 36,
            platform_configuration: s4607::chars("LYNX-GMTI"),
            year,
            month,
            day,
        })];
        if k == 0 {
            segments.push(Segment::JobDefinition(JobDefinition {
                job_id: 1,
                sensor_id_type: 255,
                sensor_id_model: s4607::chars("LYNX"),
                priority: 1,
                revisit_interval_ds: (dt * 10.0).round() as u16,
                slant_range_sd_cm: (sr * 100.0).round() as u16,
                cross_range_sd: deg_ba16(saz),
                radial_velocity_sd_cm_s: (a.sigma_range_rate * 100.0).round() as u16,
                mdv_dm_s: (a.mdv * 10.0).round() as u8,
                detection_probability_pct: (a.pd * 100.0).round() as u8,
                false_alarm_density: 255,
                along_track_uncertainty_m: u16::MAX,
                cross_track_uncertainty_m: u16::MAX,
                altitude_uncertainty_m: u16::MAX,
                ..JobDefinition::default()
            }));
        }
        let mut dwell = Dwell {
            revisit_index: k as u16,
            dwell_index: 0,
            last_dwell: 1,
            dwell_time_ms: (noon_ms + (t_s * 1000.0).round() as i64) as u32,
            sensor_lat: deg_sa32(slat),
            sensor_lon: deg_ba32(slon.rem_euclid(360.0)),
            sensor_alt_cm: (MQ9_ALT_M * 100.0) as i32,
            sensor_track: Some(deg_ba16(course.rem_euclid(360.0))),
            sensor_speed_mm_s: Some((MQ9_SPEED_MPS * 1000.0).round() as u32),
            center_lat: deg_sa32(a.ref_lat),
            center_lon: deg_ba32(a.ref_lon.rem_euclid(360.0)),
            range_half_extent: (side / 1000.0 * 128.0).round().min(65_535.0) as u16,
            angle_half_extent: deg_ba16(20.0),
            targets,
            ..Dwell::default()
        };
        dwell.fit_mask();
        segments.push(Segment::Dwell(dwell));
        out.extend_from_slice(&encode_packet(&header, &segments));
    }
    scen.flush().map_err(io)?;
    std::fs::write(&a.packets, &out).map_err(HarnessError::io(&a.packets))?;
    Ok(format!(
        "{{\"n\":{},\"steps\":{},\"seed\":{},\"side_m\":{:.1},\"revisit_s\":{},\"mean_dets_per_scan\":{:.2},\"packet_bytes\":{},\"ref_lat\":{},\"ref_lon\":{}}}",
        a.n,
        a.steps,
        a.seed,
        side,
        a.revisit_s,
        n_reports as f64 / a.steps as f64,
        out.len(),
        a.ref_lat,
        a.ref_lon
    ))
}

/// One dwell of a capture, as the feed turns it into observations.
pub struct GmtiScan {
    /// Index of the dwell in the capture (the scenario's step).
    pub step: i64,
    /// Dwell time, ms since the epoch.
    pub time_ms: TimeMs,
    pub obs: Vec<Observation>,
}

/// The feed configuration the harness decodes with: the demo MQ-9's (SECRET REL TO USA,
/// JPN; markings not trusted).
pub fn feed_config() -> FeedConfig {
    FeedConfig {
        name: "gmti".into(),
        format: FeedFormat::Stanag4607 { udp: false },
        nation: Nation::USA,
        default_label: Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]),
        trusted_markings: false,
        cot_kind: ObservationKind::Plot,
        description: String::new(),
        limits: Default::default(),
    }
}

/// Splits a capture into packets and runs each through the feed's decoder
/// (`GmtiNormaliser`, the code `biac serve` runs), one scan per dwell. A packet that
/// does not decode is reported on stderr with its byte offset and counted; the
/// packets around it still go through. With `as_plots` each observation loses its
/// sensor-space measurement: the converted plot with the decoder's circular sigma.
pub fn read_capture(bytes: &[u8], as_plots: bool) -> (Vec<GmtiScan>, usize) {
    let cfg = feed_config();
    let mut norm = GmtiNormaliser::new();
    let mut scans = Vec::new();
    let mut bad = 0usize;
    let mut midnight: Option<TimeMs> = None;
    for item in Packets::new(bytes, 0) {
        let (offset, packet) = match item {
            Ok(p) => p,
            Err(e) => {
                eprintln!("gmti: {e}");
                bad += 1;
                continue;
            }
        };
        let dwells_before = norm.stats().dwells;
        let obs = match norm.decode(&cfg, packet, offset) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("gmti: {e}");
                bad += 1;
                continue;
            }
        };
        if norm.stats().dwells == dwells_before {
            continue;
        }
        // The dwell's own time (the normaliser dated its observations the same way),
        // so an empty dwell is still a scan at its time.
        let Ok(p) = decode_packet(packet, offset) else {
            continue;
        };
        for s in p.segments.into_iter().flatten() {
            match s.segment {
                Segment::Mission(m) => midnight = mission_midnight(&m).ok().or(midnight),
                Segment::Dwell(d) => {
                    if let Some(mid) = midnight {
                        let step = scans.len() as i64;
                        let obs = obs
                            .iter()
                            .filter(|o| o.time_ms == mid + i64::from(d.dwell_time_ms))
                            .cloned()
                            .map(|mut o| {
                                if as_plots {
                                    o.polar = None;
                                }
                                o
                            })
                            .collect();
                        scans.push(GmtiScan {
                            step,
                            time_ms: mid + i64::from(d.dwell_time_ms),
                            obs,
                        });
                    }
                }
                _ => {}
            }
        }
    }
    (scans, bad)
}

/// One line per observation of a scan for `bench/gmti_stonesoup.py`: the report's
/// and the sensor's positions on the plane, the sensor's height, and the measurement
/// in the sensor's space with its sigmas (`step,t_s,sensor_x,sensor_y,sensor_alt_m,x,y,
/// range_m,azimuth_rad,range_rate_mps,sigma_range_m,sigma_azimuth_rad,
/// sigma_range_rate_mps`).
pub fn dump_line(frame: &EnuFrame, step: i64, t_s: f64, o: &Observation) -> Option<String> {
    let m = o.polar.as_ref()?;
    let [x, y] = frame.ecef_to_en(geodetic_to_ecef(
        o.position.lat_deg,
        o.position.lon_deg,
        0.0,
    ));
    let sp = m.sensor_position;
    let [sx, sy] = frame.ecef_to_en(geodetic_to_ecef(sp.lat_deg, sp.lon_deg, 0.0));
    Some(format!(
        "{step},{t_s},{sx:.4},{sy:.4},{:.3},{x:.4},{y:.4},{:.4},{:.9},{:.4},{:.4},{:.9},{:.4}",
        sp.alt_m.unwrap_or(0.0),
        m.range_m,
        m.azimuth_rad,
        m.range_rate_mps?,
        m.range_sigma_m,
        m.azimuth_sigma_rad,
        m.range_rate_sigma_mps?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ground_point_inverts_the_slant_geometry() {
        let site = (30.5, 128.9, MQ9_ALT_M);
        for (lat, lon) in [(30.95, 128.9), (31.2, 129.4), (30.6, 128.95)] {
            let (r, az, _) = aer_of(site, geodetic_to_ecef(lat, lon, 0.0));
            let (glat, glon) = ground_point_at(site, r, az).unwrap();
            assert!(distance_m(lat, lon, glat, glon) < 0.01, "{lat} {lon}");
        }
        assert_eq!(ground_point_at(site, 5_000.0, 0.0), None);
    }

    #[test]
    fn orbit_starts_at_its_first_waypoint_and_closes() {
        let (lat, lon, course) = orbit_point(0.0);
        assert!((lat - 30.5).abs() < 1e-9 && (lon - 128.3).abs() < 1e-9);
        assert!((course - 90.0).abs() < 1.0, "{course}");
        let lap: f64 = (0..4)
            .map(|i| {
                let (a, b) = (MQ9_ORBIT[i], MQ9_ORBIT[(i + 1) % 4]);
                distance_m(a.0, a.1, b.0, b.1)
            })
            .sum();
        let (lat2, lon2, _) = orbit_point(lap + 1.0);
        assert!(distance_m(lat, lon, lat2, lon2) < 2.0);
    }

    #[test]
    fn radial_velocity_is_the_slant_range_rate() {
        let frame = EnuFrame::new(30.95, 128.9);
        let site = (30.5, 128.9, MQ9_ALT_M);
        let (x, y, v) = (3_000.0, -2_000.0, [6.0, -9.0]);
        let r_at = |x: f64, y: f64| {
            let (lat, lon) = frame.en_to_geodetic(x, y);
            aer_of(site, geodetic_to_ecef(lat, lon, 0.0)).0
        };
        let h = 0.01;
        let numeric =
            (r_at(x + v[0] * h, y + v[1] * h) - r_at(x - v[0] * h, y - v[1] * h)) / (2.0 * h);
        let vr = radial_velocity(site, &frame, x, y, v);
        assert!((vr - numeric).abs() < 1e-3, "{vr} {numeric}");
    }
}
