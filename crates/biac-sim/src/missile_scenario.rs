//! Missile scenarios and the radar plot generator: North Korean launches from realistic
//! sites (presets tuned to public flight figures), seen by the missile-defence radars of
//! [`crate::missile_radar`], written as the `biac ballistic` PLOTS.csv contract (issue 15
//! part 8) plus a truth CSV.
//!
//! Invariants: deterministic for a seed — the seed's stream 0 perturbs the launches
//! (azimuth ±0.5°, β ×0.8–1.25, launch time +0–5 s), the stream named by a radar is its noise, so
//! the same seed, scenario, radars and noise give byte-identical files. Plots are in time
//! order (ties: radar order, then missile), every radar on its own clock phase; no false
//! alarms, no missed detections inside coverage. The launch parameters of the presets were
//! found with [`crate::missile::solve_launch`] (the test `missile_presets` checks the
//! resulting flights against the public figures).

use std::io::{self, Write};

use biac_geo::ecef_to_geodetic;
use rand::SeedableRng;

use crate::missile::{fly, Booster, FlightError, Launch, Stage, Trajectory};
use crate::missile_radar::{md_radars, MdPlot, MdRadar};
use crate::rnd::{uniform, SimRng};

/// Sites (degrees, metres above the ellipsoid).
pub const SUNAN: (f64, f64, f64) = (39.20, 125.67, 40.0);
pub const SINPO: (f64, f64, f64) = (40.03, 128.18, 20.0);
pub const TONGCHANG_RI: (f64, f64, f64) = (39.66, 124.71, 50.0);

/// Scenario names accepted by [`scenario`].
pub const SCENARIOS: [&str; 6] = ["srbm", "mrbm", "icbm-lofted", "irbm", "salvo", "all"];

/// A Scud class single stage (5.9 t, 62 s burn): ~300–400 km.
pub fn srbm_booster() -> Booster {
    Booster {
        stages: vec![Stage {
            thrust_n: 150_000.0,
            burn_s: 62.0,
            propellant_kg: 4_000.0,
            dry_kg: 1_000.0,
        }],
        payload_kg: 900.0,
        vertical_s: 5.0,
    }
}

/// A Nodong class single stage (16 t, 110 s burn): ~1,000–1,300 km.
pub fn mrbm_booster() -> Booster {
    Booster {
        stages: vec![Stage {
            thrust_n: 300_000.0,
            burn_s: 110.0,
            propellant_kg: 13_000.0,
            dry_kg: 2_000.0,
        }],
        payload_kg: 1_000.0,
        vertical_s: 6.0,
    }
}

/// A Hwasong-12 class main stage with a small upper stage (24 t): ~4,500 km and more.
pub fn irbm_booster() -> Booster {
    Booster {
        stages: vec![
            Stage {
                thrust_n: 400_000.0,
                burn_s: 123.0,
                propellant_kg: 18_000.0,
                dry_kg: 2_000.0,
            },
            Stage {
                thrust_n: 60_000.0,
                burn_s: 147.0,
                propellant_kg: 3_000.0,
                dry_kg: 500.0,
            },
        ],
        payload_kg: 700.0,
        vertical_s: 8.0,
    }
}

/// A Hwasong-17 class two-stage ICBM (113 t).
pub fn icbm_booster() -> Booster {
    Booster {
        stages: vec![
            Stage {
                thrust_n: 2_200_000.0,
                burn_s: 102.0,
                propellant_kg: 80_000.0,
                dry_kg: 8_000.0,
            },
            Stage {
                thrust_n: 450_000.0,
                burn_s: 153.0,
                propellant_kg: 22_000.0,
                dry_kg: 1_800.0,
            },
        ],
        payload_kg: 1_500.0,
        vertical_s: 10.0,
    }
}

/// One missile of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct MissileSpec {
    /// 1, 2, … within the scenario.
    pub id: u32,
    /// Preset name (`srbm`, `mrbm`, `icbm-lofted`, `irbm`).
    pub class: &'static str,
    pub booster: Booster,
    pub launch: Launch,
}

fn launch_from(
    site: (f64, f64, f64),
    t_s: f64,
    az: f64,
    pitch: f64,
    cut: f64,
    beta: f64,
) -> Launch {
    Launch {
        lat_deg: site.0,
        lon_deg: site.1,
        alt_m: site.2,
        t_s,
        azimuth_deg: az,
        pitch_end_deg: pitch,
        cutoff_s: cut,
        beta_kg_m2: beta,
    }
}

/// A preset missile launched at `t_s` (nominal parameters; see the module doc).
pub fn preset(class: &str, id: u32, t_s: f64) -> Option<MissileSpec> {
    let (class, booster, launch) = match class {
        // Sunan → ~300 km east-north-east into the East Sea; ~80 km apogee.
        "srbm" => (
            "srbm",
            srbm_booster(),
            launch_from(SUNAN, t_s, 74.4062, 6.7949, 54.567, 15_000.0),
        ),
        // Tongchang-ri → inside Japan's EEZ ~200 km west of the Oga peninsula
        // (40.4 N 137.3 E, ~1,080 km); minimum-energy-like, ~300 km apogee.
        "mrbm" => (
            "mrbm",
            mrbm_booster(),
            launch_from(TONGCHANG_RI, t_s, 80.2342, 27.4626, 105.557, 30_000.0),
        ),
        // Sunan → ~200 km west of Oshima-Oshima (41.5 N 137.0 E), lofted to ~6,000 km:
        // the Hwasong-17 shot of 2022-11-18 (~1,000 km, ~69 min).
        "icbm-lofted" => (
            "icbm-lofted",
            icbm_booster(),
            launch_from(SUNAN, t_s, 70.9931, 78.0972, 251.0, 80_000.0),
        ),
        // Sinpo → over Aomori into the Pacific, ~4,600 km, ~1,000 km apogee: the
        // Hwasong-12 shot of 2022-10-04 (~22 min).
        "irbm" => (
            "irbm",
            irbm_booster(),
            launch_from(SINPO, t_s, 77.9358, 2.6866, 266.872, 50_000.0),
        ),
        _ => return None,
    };
    Some(MissileSpec {
        id,
        class,
        booster,
        launch,
    })
}

/// A scenario's missiles with their nominal parameters.
pub fn nominal(name: &str) -> Option<Vec<MissileSpec>> {
    let list: &[(&str, f64)] = match name {
        "srbm" | "mrbm" | "icbm-lofted" | "irbm" => return Some(vec![preset(name, 1, 10.0)?]),
        // Two SRBMs and an MRBM within a minute: tracks side by side.
        "salvo" => &[("srbm", 10.0), ("mrbm", 25.0), ("srbm", 40.0)],
        "all" => &[
            ("srbm", 10.0),
            ("mrbm", 60.0),
            ("irbm", 120.0),
            ("icbm-lofted", 180.0),
        ],
        _ => return None,
    };
    let mut out: Vec<MissileSpec> = list
        .iter()
        .enumerate()
        .filter_map(|(i, &(c, t))| preset(c, i as u32 + 1, t))
        .collect();
    // The second SRBM of the salvo flies 10° further south, not on top of the first.
    if name == "salvo" {
        out[2].launch.azimuth_deg += 10.0;
    }
    Some(out)
}

/// A scenario's missiles, perturbed by `seed`'s stream 0 (see the module doc).
pub fn scenario(name: &str, seed: u64) -> Option<Vec<MissileSpec>> {
    let mut missiles = nominal(name)?;
    let mut rng = SimRng::seed_from_u64(seed);
    rng.set_stream(0);
    for m in &mut missiles {
        m.launch.azimuth_deg += uniform(&mut rng, -0.5, 0.5);
        m.launch.beta_kg_m2 =
            (m.launch.beta_kg_m2 * uniform(&mut rng, 0.8, 1.25)).clamp(10_000.0, 100_000.0);
        m.launch.t_s += uniform(&mut rng, 0.0, 5.0);
    }
    Some(missiles)
}

/// What the generator is asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct GenConfig {
    pub scenario: String,
    pub seed: u64,
    /// Radar names from [`md_radars`]; empty: all of them.
    pub radars: Vec<String>,
    /// Overrides every radar's range σ (m).
    pub range_noise_m: Option<f64>,
    /// Overrides every radar's azimuth and elevation σ (mrad).
    pub angle_noise_mrad: Option<f64>,
    /// Overrides every radar's instrumented range (m): the defaults lose a lofted ICBM
    /// for most of its flight.
    pub max_range_m: Option<f64>,
    /// Spacing of the truth rows (s).
    pub truth_step_s: f64,
}

/// The generator's output: the flights, the radars used, and the plots in time order.
#[derive(Clone, Debug)]
pub struct Generated {
    pub missiles: Vec<(MissileSpec, Trajectory)>,
    pub radars: Vec<MdRadar>,
    pub plots: Vec<MdPlot>,
    pub truth_step_s: f64,
}

/// Why a generation could not be made.
#[derive(Debug)]
pub enum GenError {
    UnknownScenario(String),
    UnknownRadar(String),
    BadParameter(String),
    Flight(FlightError),
}

impl std::fmt::Display for GenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GenError::UnknownScenario(s) => write!(
                f,
                "unknown scenario {s:?} (one of {})",
                SCENARIOS.join(", ")
            ),
            GenError::UnknownRadar(s) => write!(
                f,
                "unknown radar {s:?} (any of {})",
                md_radars()
                    .iter()
                    .map(|r| r.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            GenError::BadParameter(s) => write!(f, "{s}"),
            GenError::Flight(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for GenError {}

/// The radars named in `names` (all when empty), in the order given, with the noise
/// overrides applied.
pub fn select_radars(
    names: &[String],
    range_noise_m: Option<f64>,
    angle_noise_mrad: Option<f64>,
    max_range_m: Option<f64>,
) -> Result<Vec<MdRadar>, GenError> {
    for (what, v) in [
        ("range noise", range_noise_m),
        ("angle noise", angle_noise_mrad),
        ("maximum range", max_range_m),
    ] {
        if let Some(v) = v {
            if !(v > 0.0 && v.is_finite()) {
                return Err(GenError::BadParameter(format!(
                    "{what} must be a positive number, not {v}"
                )));
            }
        }
    }
    let all = md_radars();
    let mut out = Vec::new();
    if names.is_empty() {
        out = all;
    } else {
        for n in names {
            let r = all
                .iter()
                .find(|r| r.name == n.as_str())
                .ok_or_else(|| GenError::UnknownRadar(n.clone()))?;
            out.push(r.clone());
        }
    }
    for r in &mut out {
        if let Some(s) = range_noise_m {
            r.sigma_range_m = s;
        }
        if let Some(s) = angle_noise_mrad {
            r.sigma_angle_mrad = s;
        }
        if let Some(m) = max_range_m {
            r.max_range_m = m;
        }
    }
    Ok(out)
}

/// Fly a scenario and make every radar's plots of every missile.
pub fn generate(cfg: &GenConfig) -> Result<Generated, GenError> {
    let specs = scenario(&cfg.scenario, cfg.seed)
        .ok_or_else(|| GenError::UnknownScenario(cfg.scenario.clone()))?;
    let radars = select_radars(
        &cfg.radars,
        cfg.range_noise_m,
        cfg.angle_noise_mrad,
        cfg.max_range_m,
    )?;
    let mut missiles = Vec::new();
    for s in specs {
        let tr = fly(&s.booster, &s.launch).map_err(GenError::Flight)?;
        missiles.push((s, tr));
    }
    let plots = plots_of(cfg.seed, &radars, &missiles);
    Ok(Generated {
        missiles,
        radars,
        plots,
        truth_step_s: if cfg.truth_step_s > 0.0 {
            cfg.truth_step_s
        } else {
            1.0
        },
    })
}

/// Every radar's plots of every missile, in time order (ties: radar, then missile).
pub fn plots_of(
    seed: u64,
    radars: &[MdRadar],
    missiles: &[(MissileSpec, Trajectory)],
) -> Vec<MdPlot> {
    let mut plots = Vec::new();
    for (k, radar) in radars.iter().enumerate() {
        let mut rng = SimRng::seed_from_u64(seed);
        rng.set_stream(radar_stream(radar.name));
        for (spec, tr) in missiles {
            let first = ((tr.launch_t_s - radar.phase_s) / radar.period_s)
                .ceil()
                .max(0.0) as u64;
            let mut j = first;
            loop {
                let t = radar.phase_s + j as f64 * radar.period_s;
                if t > tr.impact_t_s {
                    break;
                }
                if let Some((p, v)) = tr.state_at(t) {
                    if let Some(plot) = radar.measure(&mut rng, k, spec.id, t, p, v) {
                        plots.push(plot);
                    }
                }
                j += 1;
            }
        }
    }
    plots.sort_by(|a, b| {
        a.t_s
            .total_cmp(&b.t_s)
            .then(a.radar.cmp(&b.radar))
            .then(a.missile.cmp(&b.missile))
    });
    plots
}

/// A radar's noise stream: named by the radar (FNV-1a of its name, never 0, the launch
/// stream), so its plots do not change with the other radars of the run.
fn radar_stream(name: &str) -> u64 {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    h.max(1)
}

/// The PLOTS.csv header of `biac ballistic` (issue 15 part 8), with its newline.
pub const PLOTS_CSV_HEADER: &str = "t_s,sensor,sensor_lat,sensor_lon,sensor_alt_m,range_m,azimuth_deg,elevation_deg,sigma_range_m,sigma_azimuth_deg,sigma_elevation_deg\n";

/// The missile truth CSV header, with its newline.
pub const MISSILE_TRUTH_CSV_HEADER: &str = "t_s,missile,class,x_m,y_m,z_m,vx_mps,vy_mps,vz_mps,lat,lon,alt_m,phase,launch_t_s,launch_lat,launch_lon,burnout_t_s,apogee_t_s,apogee_m,impact_t_s,impact_lat,impact_lon\n";

/// Write the plots in the PLOTS.csv contract.
pub fn write_plots_csv(g: &Generated, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(PLOTS_CSV_HEADER.as_bytes())?;
    for p in &g.plots {
        let r = &g.radars[p.radar];
        writeln!(
            w,
            "{:.3},{},{:.6},{:.6},{:.1},{:.3},{:.7},{:.7},{},{:.7},{:.7}",
            p.t_s,
            r.name,
            r.lat_deg,
            r.lon_deg,
            r.alt_m,
            p.range_m,
            p.azimuth_deg,
            p.elevation_deg,
            p.sigma_range_m,
            p.sigma_azimuth_deg,
            p.sigma_elevation_deg
        )?;
    }
    Ok(())
}

/// Write the truth: one row per missile every `truth_step_s` on the scenario clock while
/// it flies, plus one at its launch and one at its impact; rows in time order.
pub fn write_truth_csv(g: &Generated, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(MISSILE_TRUTH_CSV_HEADER.as_bytes())?;
    let mut rows: Vec<(f64, u32, String)> = Vec::new();
    for (spec, tr) in &g.missiles {
        let mut times = vec![tr.launch_t_s];
        let mut j = (tr.launch_t_s / g.truth_step_s).floor() as i64 + 1;
        loop {
            let t = j as f64 * g.truth_step_s;
            if t >= tr.impact_t_s {
                break;
            }
            times.push(t);
            j += 1;
        }
        times.push(tr.impact_t_s);
        for t in times {
            let Some((p, v)) = tr.state_at(t) else {
                continue;
            };
            let (lat, lon, alt) = ecef_to_geodetic(p);
            let row = format!(
                "{:.3},{},{},{:.3},{:.3},{:.3},{:.4},{:.4},{:.4},{:.7},{:.7},{:.2},{},{:.3},{:.6},{:.6},{:.3},{:.3},{:.1},{:.3},{:.7},{:.7}\n",
                t,
                spec.id,
                spec.class,
                p[0],
                p[1],
                p[2],
                v[0],
                v[1],
                v[2],
                lat,
                lon,
                alt,
                tr.phase_at(t, alt).as_str(),
                tr.launch_t_s,
                tr.launch_lat,
                tr.launch_lon,
                tr.burnout_t_s,
                tr.apogee_t_s,
                tr.apogee_m,
                tr.impact_t_s,
                tr.impact_lat,
                tr.impact_lon,
            );
            rows.push((t, spec.id, row));
        }
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for (_, _, row) in rows {
        w.write_all(row.as_bytes())?;
    }
    Ok(())
}
