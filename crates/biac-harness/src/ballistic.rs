//! `biac ballistic PLOTS.csv OUT.csv`: missile-defence radar plots in, ballistic tracks
//! with their predicted impact and launch out (issue 15, part 8 — an exact contract).
//!
//! PLOTS.csv: a header line, then one plot per row in time order:
//! `t_s,sensor,sensor_lat,sensor_lon,sensor_alt_m,range_m,azimuth_deg,elevation_deg,sigma_range_m,sigma_azimuth_deg,sigma_elevation_deg`
//! (columns found by their header names; `range_rate_mps,sigma_range_rate_mps` are
//! used when present). OUT.csv: a header line, then one row per (plot time, confirmed
//! ballistic track): [`OUT_HEADER`]. A row's track state is its estimate at the plot
//! time; the impact point (h = 0), its time and 95 % ellipse exist once the track's
//! burnout is detected, the launch point once its velocity is known; fields without a
//! value are empty.
//!
//! Each plot becomes an [`Observation`] carrying a [`PolarMeasurement`] with its
//! elevation, so the tracker runs its production path (`Tracker::process_batch`, one
//! scan per plot time and sensor) with the ballistic model. A malformed row is reported
//! with its line number and skipped; the rest goes through.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use biac_formats::{plots3d, Fault};
use biac_fusion::ballistic::impact::{predict_impact, predict_launch, Impact, Launch};
use biac_fusion::ballistic::{BallisticParams, BallisticTrack, Phase};
use biac_fusion::geo::ecef_to_geodetic;
use biac_fusion::{Tracker, TrackerConfig};
use biac_model::{Classification, Label, Nation, Observation, TimeMs};

use crate::HarnessError;

/// The input header, in the contract's order.
pub const PLOTS_HEADER: &str = "t_s,sensor,sensor_lat,sensor_lon,sensor_alt_m,range_m,azimuth_deg,elevation_deg,sigma_range_m,sigma_azimuth_deg,sigma_elevation_deg";
/// The output header, in the contract's order.
pub const OUT_HEADER: &str = "t_s,track_id,lat,lon,alt_m,phase,ipp_lat,ipp_lon,ipp_t_s,ipp_semi_major_m,ipp_semi_minor_m,ipp_major_bearing_deg,launch_lat,launch_lon,launch_t_s";

#[derive(clap::Args)]
pub struct BallisticArgs {
    /// Radar plots, `t_s,sensor,sensor_lat,sensor_lon,sensor_alt_m,range_m,azimuth_deg,elevation_deg,sigma_range_m,sigma_azimuth_deg,sigma_elevation_deg`.
    plots: PathBuf,
    /// Output: one row per (plot time, confirmed track) with the predicted impact point.
    out: PathBuf,
}

/// One radar plot of the input.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotRow {
    /// Line number in the file (1 = header).
    pub line: usize,
    pub t_s: f64,
    /// `t_s` as written (echoed in the output, so rows join on the same text).
    pub t_text: String,
    /// The plot as the `plots3d` feed reads it.
    pub plot: plots3d::Plot3d,
}

/// A row that could not be used, with its line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub reason: Fault,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// Parse PLOTS.csv: the plots, and the rows refused (bad number, wrong field count,
/// out of range, out of time order). `Err` only for a missing or unusable header. The
/// row parser is the `plots3d` feed's (`biac_formats::plots3d`): one parser for both.
pub fn parse_plots(text: &str) -> Result<(Vec<PlotRow>, Vec<RowError>), Fault> {
    let mut lines = text.lines().enumerate();
    let header = loop {
        match lines.next() {
            None => return Err(Fault::Syntax("empty file: no header line".into())),
            Some((_, l)) if l.trim().is_empty() => continue,
            Some((_, l)) => break l,
        }
    };
    let cols = plots3d::Columns::from_header(header, "t_s")
        .map_err(|e| Fault::Syntax(format!("{e} (need {PLOTS_HEADER})")))?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut last_t = f64::NEG_INFINITY;
    for (i, l) in lines {
        let line = i + 1;
        if l.trim().is_empty() {
            continue;
        }
        match parse_row(line, l, &cols) {
            Ok(r) if r.t_s < last_t => errors.push(RowError {
                line,
                reason: Fault::Sequence(format!(
                    "time {} before the previous row's {last_t} (rows must be in time order)",
                    r.t_s
                )),
            }),
            Ok(r) => {
                last_t = r.t_s;
                rows.push(r);
            }
            Err(reason) => errors.push(RowError { line, reason }),
        }
    }
    Ok((rows, errors))
}

fn parse_row(line: usize, l: &str, cols: &plots3d::Columns) -> Result<PlotRow, Fault> {
    let (t, p) = plots3d::parse_row(l, cols)?;
    let t_s = t
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| Fault::field("t_s", format!("t_s: not a finite number: `{t}`")))?;
    // A century either side of the clock's origin: any real capture, and no time whose
    // milliseconds overflow or whose gap to the next plot the tracker would fly for hours.
    if t_s.abs() > MAX_ABS_T_S {
        return Err(Fault::field(
            "t_s",
            format!("t_s {t_s} is beyond ±{MAX_ABS_T_S} s"),
        ));
    }
    Ok(PlotRow {
        line,
        t_s,
        t_text: t.to_string(),
        plot: p,
    })
}

/// The plot as the tracker's observation (a 3-D radar plot; its converted position is
/// where range, azimuth and elevation put the target).
pub fn observation(r: &PlotRow) -> Observation {
    // Labels play no part offline (one audience sees everything).
    let label = Label::rel_to(
        Classification::Secret,
        Nation::USA,
        &[Nation::JPN, Nation::KOR],
    );
    r.plot.observation(time_ms(r.t_s), "ballistic", label)
}

/// The largest |t_s| accepted (about 3,000 years).
const MAX_ABS_T_S: f64 = 1e11;

fn time_ms(t_s: f64) -> TimeMs {
    (t_s * 1000.0).round() as TimeMs
}

/// One output row.
#[derive(Clone, Debug, PartialEq)]
pub struct OutRow {
    pub t_s: f64,
    /// The plot time as the input wrote it.
    pub t_text: String,
    pub track_id: u64,
    pub lat: f64,
    pub lon: f64,
    pub alt_m: f64,
    pub phase: Phase,
    /// Impact: point, time on the input clock, 95 % ellipse.
    pub ipp: Option<(Impact, f64)>,
    /// Launch: point and time on the input clock.
    pub launch: Option<(Launch, f64)>,
}

/// How often a track's impact prediction is recomputed, ms of data time.
const IPP_REFRESH_MS: TimeMs = 1_000;

/// Per-track predictions, recomputed only when the track has a new estimate.
#[derive(Default)]
struct Cache {
    ipp: BTreeMap<u64, (TimeMs, Option<(Impact, f64)>)>,
    launch: BTreeMap<u64, Option<(Launch, f64)>>,
}

/// The tracker configuration of the offline command: the defaults, ballistic model on.
pub fn config() -> TrackerConfig {
    TrackerConfig {
        ballistic: Some(BallisticParams::default()),
        ..TrackerConfig::default()
    }
}

/// Track `rows` (in time order) and the output rows, plus the tracker's CPU time per
/// plot (seconds, `Tracker::process_batch` only).
pub fn track(rows: &[PlotRow], cfg: TrackerConfig) -> (Vec<OutRow>, f64) {
    let prm = cfg.ballistic.unwrap_or_default();
    let mut tracker = Tracker::new(cfg);
    let mut out = Vec::new();
    let mut cache = Cache::default();
    let mut cpu = 0.0;
    let mut k = 0;
    while k < rows.len() {
        // One plot time: all its rows (all sensors) in one batch.
        let (t, text) = (rows[k].t_s, rows[k].t_text.clone());
        let mut batch = Vec::new();
        while k < rows.len() && rows[k].t_s == t {
            batch.push(observation(&rows[k]));
            k += 1;
        }
        let c0 = crate::thread_cpu_s();
        tracker.process_batch(batch);
        cpu += crate::thread_cpu_s() - c0;
        for bt in tracker.ballistic_tracks() {
            out.push(row(t, &text, &bt, &prm, &mut cache));
        }
    }
    (out, cpu / rows.len().max(1) as f64)
}

fn row(
    t_s: f64,
    t_text: &str,
    bt: &BallisticTrack,
    prm: &BallisticParams,
    cache: &mut Cache,
) -> OutRow {
    let t_est = bt.time_ms as f64 / 1000.0;
    let e = &bt.estimate;
    let (lat, lon, alt_m) = if time_ms(t_s) > bt.time_ms {
        ecef_to_geodetic(e.position_at(t_s - t_est))
    } else {
        e.geodetic()
    };
    // The prediction is refreshed at most once a second of data time per track (a
    // track takes a plot from every radar, several a second; the prediction moves by
    // metres between them), and kept until then.
    let ipp = match cache.ipp.get(&bt.id) {
        Some((at, v))
            if bt.time_ms - *at < IPP_REFRESH_MS && v.is_some() == (e.phase != Phase::Boost) =>
        {
            *v
        }
        _ => {
            let v = (e.phase != Phase::Boost)
                .then(|| predict_impact(e, prm))
                .flatten()
                .map(|imp| (imp, t_est + imp.dt_s));
            cache.ipp.insert(bt.id, (bt.time_ms, v));
            v
        }
    };
    let launch = match cache.launch.get(&bt.id) {
        Some(v) => *v,
        None => match &bt.early {
            None => None,
            Some((at, early)) => {
                let v = predict_launch(early).map(|l| (l, *at as f64 / 1000.0 + l.dt_s));
                cache.launch.insert(bt.id, v);
                v
            }
        },
    };
    OutRow {
        t_s,
        t_text: t_text.to_string(),
        track_id: bt.id,
        lat,
        lon,
        alt_m,
        phase: e.phase,
        ipp,
        launch,
    }
}

/// Write the output CSV (header and rows).
pub fn write_out(w: &mut impl Write, rows: &[OutRow]) -> std::io::Result<()> {
    writeln!(w, "{OUT_HEADER}")?;
    for r in rows {
        write!(
            w,
            "{},{},{:.6},{:.6},{:.1},{}",
            r.t_text,
            r.track_id,
            r.lat,
            r.lon,
            r.alt_m,
            r.phase.as_str()
        )?;
        match &r.ipp {
            Some((i, t)) => write!(
                w,
                ",{:.6},{:.6},{:.3},{:.1},{:.1},{:.2}",
                i.lat_deg, i.lon_deg, t, i.semi_major_m, i.semi_minor_m, i.major_bearing_deg
            )?,
            None => write!(w, ",,,,,,")?,
        }
        match &r.launch {
            Some((l, t)) => writeln!(w, ",{:.6},{:.6},{:.3}", l.lat_deg, l.lon_deg, t)?,
            None => writeln!(w, ",,,")?,
        }
    }
    Ok(())
}

/// The command: read, track, write; malformed rows reported on stderr (with their line
/// numbers) and skipped.
pub fn run(a: BallisticArgs) -> Result<(), HarnessError> {
    let name = a.plots.display().to_string();
    let text = std::fs::read_to_string(&a.plots).map_err(HarnessError::io(&a.plots))?;
    let (rows, errors) = parse_plots(&text).map_err(|e| HarnessError::input(&name, e))?;
    for e in &errors {
        eprintln!("biac ballistic: {name}: {e} (skipped)");
    }
    let (out, cpu_per_plot) = track(&rows, config());
    let f = std::fs::File::create(&a.out).map_err(HarnessError::io(&a.out))?;
    let mut w = std::io::BufWriter::new(f);
    write_out(&mut w, &out)
        .and_then(|_| w.flush())
        .map_err(HarnessError::io(&a.out))?;
    eprintln!(
        "biac ballistic: {} plots ({} skipped), {} rows, tracker {:.1} µs CPU per plot",
        rows.len(),
        errors.len(),
        out.len(),
        cpu_per_plot * 1e6
    );
    Ok(())
}
