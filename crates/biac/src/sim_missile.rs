//! `biac sim-missile`: fly a missile scenario, write the missile-defence radars' plots in
//! the `biac ballistic` PLOTS.csv contract and the truth beside them. Deterministic for a
//! seed; the work is in `biac_sim::missile_scenario`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use biac_sim::missile_scenario::{generate, write_plots_csv, write_truth_csv, GenConfig};

#[derive(clap::Args)]
pub struct SimMissileArgs {
    /// srbm, mrbm, icbm-lofted, irbm, salvo (two SRBMs and an MRBM) or all (one of each).
    #[arg(long)]
    scenario: String,
    /// Seed of the launch perturbations and of every radar's noise.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Comma-separated radars (tpy2-shariki, tpy2-kyogamisaki, fps5-shimokoshiki,
    /// greenpine-seongju, aegis-soj); all when absent.
    #[arg(long, value_delimiter = ',')]
    radars: Vec<String>,
    /// 1-σ slant-range error of every radar (m), instead of each radar's default.
    #[arg(long, value_name = "M")]
    range_noise: Option<f64>,
    /// 1-σ azimuth and elevation error of every radar (mrad), instead of each default.
    #[arg(long, value_name = "MRAD")]
    angle_noise: Option<f64>,
    /// Instrumented range of every radar (km), instead of each radar's default (with the
    /// defaults, a lofted ICBM is out of range for most of its flight).
    #[arg(long, value_name = "KM")]
    max_range: Option<f64>,
    /// Spacing of the truth rows (s).
    #[arg(long, default_value_t = 1.0)]
    truth_step: f64,
    /// Where the plots go (the `biac ballistic` input).
    out_plots: PathBuf,
    /// Where the truth goes.
    out_truth: PathBuf,
}

pub fn run(a: SimMissileArgs) -> Result<(), String> {
    let radars = a
        .radars
        .iter()
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    let cfg = GenConfig {
        scenario: a.scenario,
        seed: a.seed,
        radars,
        range_noise_m: a.range_noise,
        angle_noise_mrad: a.angle_noise,
        max_range_m: a.max_range.map(|km| km * 1e3),
        truth_step_s: a.truth_step,
    };
    if !(cfg.truth_step_s > 0.0 && cfg.truth_step_s.is_finite()) {
        return Err(format!(
            "--truth-step must be > 0, not {}",
            cfg.truth_step_s
        ));
    }
    let g = generate(&cfg).map_err(|e| e.to_string())?;
    let write = |path: &PathBuf, f: &dyn Fn(&mut dyn Write) -> std::io::Result<()>| {
        let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut w = BufWriter::new(file);
        f(&mut w)
            .and_then(|_| w.flush())
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    write(&a.out_plots, &|w| write_plots_csv(&g, w))?;
    write(&a.out_truth, &|w| write_truth_csv(&g, w))?;
    for (spec, tr) in &g.missiles {
        eprintln!(
            "missile {} {}: launch {:.1} s, burnout {:.1} s, apogee {:.0} km, impact {:.1} s at {:.4},{:.4} ({:.0} km)",
            spec.id,
            spec.class,
            tr.launch_t_s,
            tr.burnout_t_s,
            tr.apogee_m / 1e3,
            tr.impact_t_s,
            tr.impact_lat,
            tr.impact_lon,
            tr.range_m() / 1e3
        );
    }
    eprintln!("{} plots from {} radars", g.plots.len(), g.radars.len());
    Ok(())
}
