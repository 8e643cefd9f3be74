//! Manoeuvring tier (coordinated turns; see `tests/support/manoeuvre.rs`): CV (at the
//! scenario's q = 1 and at a tuned q = 30) against the CV/CT IMM, through the real
//! tracker. Prints one JSON line per filter.
//!
//! `cargo bench -p biac-fusion --bench manoeuvre -- --n 20 --steps 120 --seed 1
//!  [--dump SCENARIO.csv]`
//!
//! `--dump` writes the scenario in `stonesoup_bench.py --dump` format, so
//! `gospa_score.py detections|score` and `biac track-csv --model cv|imm` reproduce the
//! figures independently (`bench/fusion_manoeuvre.sh`).

#[path = "../tests/support/manoeuvre.rs"]
mod manoeuvre;

use biac_fusion::motion::ImmParams;
use biac_fusion::{MotionModel, TrackerConfig};
use manoeuvre::*;

/// CPU time of this thread, seconds: the tracker's own cost, whatever else runs.
fn thread_cpu_s() -> f64 {
    cpu_time::ThreadTime::now().as_duration().as_secs_f64()
}

fn arg<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let num = |name: &str, d: f64| arg(&args, name).map_or(d, |v| v.parse().expect("number"));
    let n = num("--n", 20.0) as usize;
    let steps = num("--steps", 120.0) as usize;
    let seed = num("--seed", 1.0) as u64;
    let skip = 10;
    let s = generate(n, steps, seed);
    if let Some(path) = arg(&args, "--dump") {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("dump file"));
        dump_csv(&s, &mut f).expect("write dump");
    }
    let base = TrackerConfig::for_scanning_sensor(&tuning(s.side, n));
    let mut hi = tuning(s.side, n);
    hi.q = 30.0;
    let runs = [
        ("cv_q1", base.clone()),
        ("cv_q30", TrackerConfig::for_scanning_sensor(&hi)),
        (
            "imm",
            TrackerConfig {
                motion: MotionModel::Imm(ImmParams::default()),
                ..base
            },
        ),
    ];
    for (name, cfg) in runs {
        let sc = run(&s, cfg, skip, thread_cpu_s);
        let mut w = sc.cpu_ms[skip.min(sc.cpu_ms.len() - 1)..].to_vec();
        w.sort_by(f64::total_cmp);
        let mean = w.iter().sum::<f64>() / w.len() as f64;
        let p95 = w[((w.len() - 1) as f64 * 0.95).round() as usize];
        println!(
            "{{\"filter\":\"{name}\",\"n\":{n},\"steps\":{steps},\"seed\":{seed},\"gospa_mean\":{:.2},\"gospa_loc_mean\":{:.2},\"gospa_missed_mean\":{:.2},\"gospa_false_mean\":{:.2},\"rmse_turn_m\":{:.2},\"rmse_straight_m\":{:.2},\"cpu_ms_per_scan_mean\":{mean:.4},\"cpu_ms_per_scan_p95\":{p95:.4}}}",
            sc.gospa, sc.loc, sc.missed, sc.false_tracks, sc.rmse_turn, sc.rmse_straight
        );
    }
}
