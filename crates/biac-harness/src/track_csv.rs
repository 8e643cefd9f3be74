//! `biac track-csv DETS.csv TRACKS.csv`: run the fusion tracker on a planar detection
//! stream (the GMTI-lite benchmark of `bench/`) and write the confirmed tracks per scan.
//!
//! The plane is mapped onto WGS84 through one local tangent frame at a reference point
//! (`--ref-lat`, `--ref-lon`): each detection `(x, y)` becomes the surface point whose
//! projection on that plane is `(x east, y north)`, and each track is projected back the
//! same way. The tracker therefore runs exactly as it does in `biac serve` (WGS84 in,
//! per-track tangent frames inside, re-based as tracks move), so what is timed here is
//! the production code path, not a planar shortcut. The mapping is an exact bijection
//! (to well under a millimetre), so the scores are those of the planar problem.
//!
//! With `--input polar` the stream is a sensor's own detections, `step,t_s,range,bearing`
//! (optionally `range_rate`): range in metres and bearing in radians clockwise from
//! north (the plane's y axis), seen from a sensor at (`--sensor-x`, `--sensor-y`) on the
//! plane. Each becomes a plot carrying a [`PolarMeasurement`]: the detection is placed
//! on the plane, mapped onto WGS84 as above (the converted plot, with the RMS of the
//! beam ellipse's axes as its circular sigma), and its range and azimuth are re-derived
//! in the interface's terms — slant range between the two surface points and azimuth in
//! the sensor's own tangent plane (within metres of the planar range at the bench's
//! distances; the azimuth differs from the planar bearing by the convergence of north
//! between the plane's origin and the sensor, milliradians). The mapping is exact
//! geometry, so the noise is the planar one up to that rotation.
//! `--as-plots` feeds the same detections as converted plots only (no sensor-space
//! measurement), for comparison.
//!
//! With `--input gmti` the input is a capture of STANAG 4607 packets (as
//! `biac-harness gmti-scenario` writes): each packet goes through the feed's own
//! decoder ([`crate::gmti::read_capture`]) and each dwell is one scan of the
//! observations it produced — ground fixes with slant range, azimuth and range-rate
//! from the platform. Steps count the dwells from 0; `--as-plots` keeps the converted
//! plots only; `--dump-dets` writes the measurements on the plane for Stone Soup.
//!
//! Timing is the CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`) spent in
//! `Tracker::process_batch` plus `Tracker::tracks_at` for each scan: the plane↔WGS84
//! mapping and CSV I/O are outside it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use crate::{thread_cpu_s, HarnessError};
use biac_formats::Fault;
use biac_fusion::geo::{geodetic_to_ecef, EnuFrame};
use biac_fusion::motion::ImmParams;
use biac_fusion::{DetectionModel, MotionModel, ScanTuning, Tracker, TrackerConfig};
use biac_model::{
    Classification, Domain, Identity, Label, Nation, Observation, ObservationKind,
    PolarMeasurement, Position, TimeMs,
};

#[derive(clap::Args)]
pub struct TrackCsvArgs {
    /// Detection stream: header `step,t_s,x,y` (metres east and north of the reference),
    /// or with `--input polar`, `step,t_s,range,bearing[,range_rate]`.
    dets: PathBuf,
    /// Output: `step,track_id,x,y,vx,vy` for every confirmed track after each scan.
    tracks: PathBuf,
    /// Process noise spectral density of the constant-velocity model, m²/s³ per axis
    /// (with `--model imm`: of both the CV and the coordinated-turn model).
    #[arg(long, default_value_t = 1.0)]
    q: f64,
    /// Motion model: `cv` (constant velocity, the scenario's model) or `imm` (an IMM of
    /// constant velocity and coordinated turn, for manoeuvring targets).
    #[arg(long, value_enum, default_value_t = Model::Cv)]
    model: Model,
    /// With `--model imm`: turn-rate random walk of the coordinated-turn model, rad²/s³.
    #[arg(long, default_value_t = 1e-3)]
    q_turn: f64,
    /// Detection position error, one sigma per axis, metres.
    #[arg(long, default_value_t = 10.0)]
    sigma: f64,
    /// Probability of detection per scan.
    #[arg(long, default_value_t = 0.9)]
    pd: f64,
    /// False-alarm density, per km² per scan.
    #[arg(long, default_value_t = 0.25)]
    clutter_per_km2: f64,
    /// One-sigma velocity prior (per axis) of a track started from one detection, m/s.
    #[arg(long, default_value_t = 15.0)]
    init_vel_sigma: f64,
    /// χ² gate on the position innovation (2 dof).
    #[arg(long, default_value_t = 11.83)]
    gate: f64,
    /// A tentative track confirms with this many detections...
    #[arg(long, default_value_t = 3)]
    confirm_m: u32,
    /// ...within this many scans of its first one (else it is dropped).
    #[arg(long, default_value_t = 4)]
    confirm_n: u32,
    /// A tentative track is dropped at this many consecutive misses (as Stone Soup's
    /// holding tracks with `UpdateTimeStepsDeleter(2)`).
    #[arg(long, default_value_t = 2)]
    tentative_misses: u32,
    /// A confirmed track is shown through one fewer consecutive misses than this, then
    /// deleted (the scans Stone Soup's `UpdateTimeStepsDeleter(5)` shows it for).
    #[arg(long, default_value_t = 5)]
    delete_misses: u32,
    /// Scan period used to turn the scan counts above into times, seconds.
    #[arg(long, default_value_t = 1.0)]
    scan_s: f64,
    /// Reference point of the plane (the plane's origin), degrees.
    #[arg(long, default_value_t = 26.0, allow_hyphen_values = true)]
    ref_lat: f64,
    #[arg(long, default_value_t = 127.0, allow_hyphen_values = true)]
    ref_lon: f64,
    /// Scans excluded from the timing statistics (initiation transient, as the Stone
    /// Soup bench does).
    #[arg(long, default_value_t = 10)]
    skip: usize,
    /// Write the timing as one JSON line here (also printed to stderr).
    #[arg(long)]
    timing: Option<PathBuf>,
    /// What the detection stream holds: planar positions (`xy`) or a sensor's range and
    /// bearing (`polar`).
    #[arg(long, value_enum, default_value_t = Input::Xy)]
    input: Input,
    /// With `--input polar`: the sensor's position on the plane, metres.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    sensor_x: f64,
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    sensor_y: f64,
    /// With `--input polar`: one-sigma range error, metres.
    #[arg(long, default_value_t = 10.0)]
    sigma_range: f64,
    /// With `--input polar`: one-sigma bearing error, degrees.
    #[arg(long, default_value_t = 0.1)]
    sigma_bearing_deg: f64,
    /// With `--input polar` and a `range_rate` column: one-sigma range-rate error, m/s.
    #[arg(long, default_value_t = 0.5)]
    sigma_range_rate: f64,
    /// With `--input polar` or `gmti`: feed the detections as converted plots with a
    /// circular sigma only (no sensor-space measurement), for comparison.
    #[arg(long)]
    as_plots: bool,
    /// With `--input gmti`: write each report's measurement on the plane here (the
    /// input of `bench/gmti_stonesoup.py`).
    #[arg(long)]
    dump_dets: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Input {
    Xy,
    Polar,
    /// STANAG 4607 packets, decoded by the feed's decoder.
    Gmti,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Model {
    Cv,
    Imm,
}

/// The tracker configuration for the benchmark's models and management flags.
pub fn config(a: &TrackCsvArgs) -> TrackerConfig {
    let motion = match a.model {
        Model::Cv => MotionModel::Cv,
        Model::Imm => MotionModel::Imm(ImmParams {
            q_cv: a.q,
            q_ct: a.q,
            q_turn: a.q_turn,
            ..ImmParams::default()
        }),
    };
    let cfg = TrackerConfig::for_scanning_sensor(&ScanTuning {
        scan_ms: (a.scan_s * 1000.0).round() as TimeMs,
        q: a.q,
        init_vel_sigma_mps: a.init_vel_sigma,
        gate: a.gate,
        confirm_m: a.confirm_m,
        confirm_n: a.confirm_n,
        tentative_misses: a.tentative_misses,
        delete_misses: a.delete_misses,
        detection: DetectionModel {
            pd: a.pd,
            clutter_per_m2: a.clutter_per_km2 * 1e-6,
        },
    });
    TrackerConfig { motion, ..cfg }
}

/// Mean and 95th percentile (linear interpolation between ranks, numpy's default) of
/// `v`, which is sorted in place.
pub fn mean_p95(v: &mut [f64]) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let pos = 0.95 * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let p95 = v[lo] + (v[hi] - v[lo]) * (pos - lo as f64);
    (mean, p95)
}

/// One scan of the input: step, time, planar detections.
type Scan = (i64, f64, Vec<(f64, f64)>);

/// A scan's detections, planar or polar.
enum Input2 {
    Xy(Vec<(f64, f64)>),
    Polar(Vec<PolarDet>),
    /// A dwell's observations and its time (ms since the epoch).
    Obs(Vec<Observation>, TimeMs),
}

impl Input2 {
    fn len(&self) -> usize {
        match self {
            Input2::Xy(v) => v.len(),
            Input2::Polar(v) => v.len(),
            Input2::Obs(v, _) => v.len(),
        }
    }
}

fn read_dets(path: &PathBuf) -> Result<Vec<Scan>, HarnessError> {
    let f = std::fs::File::open(path).map_err(HarnessError::io(path))?;
    let mut scans: BTreeMap<i64, (f64, Vec<(f64, f64)>)> = BTreeMap::new();
    let mut cols: Option<[usize; 4]> = None;
    for (n, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(HarnessError::io(path))?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let Some(c) = cols else {
            let find = |name: &'static str| {
                fields
                    .iter()
                    .position(|f| *f == name)
                    .ok_or_else(|| HarnessError::input(path.display(), no_column(name)))
            };
            cols = Some([find("step")?, find("t_s")?, find("x")?, find("y")?]);
            continue;
        };
        let bad = |what: &'static str| {
            HarnessError::input(
                format_args!("{}:{}", path.display(), n + 1),
                Fault::field(what, format!("bad {what}")),
            )
        };
        let get = |i: usize| fields.get(i).copied().unwrap_or("");
        let step: i64 = get(c[0]).parse().map_err(|_| bad("step"))?;
        let t: f64 = get(c[1]).parse().map_err(|_| bad("t_s"))?;
        let x: f64 = get(c[2]).parse().map_err(|_| bad("x"))?;
        let y: f64 = get(c[3]).parse().map_err(|_| bad("y"))?;
        let e = scans.entry(step).or_insert((t, Vec::new()));
        e.1.push((x, y));
    }
    Ok(scans.into_iter().map(|(k, (t, d))| (k, t, d)).collect())
}

/// One polar detection: range (m), bearing (rad, clockwise from north), range-rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PolarDet {
    pub range: f64,
    pub bearing: f64,
    pub range_rate: Option<f64>,
}

/// One scan of a polar stream.
type PolarScan = (i64, f64, Vec<PolarDet>);

/// Parse a polar detection stream (`step,t_s,range,bearing[,range_rate]`, columns in
/// any order, more columns ignored). Errors name the line; never panics.
pub fn parse_polar(name: &str, text: &str) -> Result<Vec<PolarScan>, HarnessError> {
    let mut scans: BTreeMap<i64, (f64, Vec<PolarDet>)> = BTreeMap::new();
    let mut cols: Option<([usize; 4], Option<usize>)> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let at = |fault| HarnessError::input(format_args!("{name}:{}", n + 1), fault);
        let Some((c, rr_col)) = cols else {
            let find = |col: &'static str| {
                fields
                    .iter()
                    .position(|f| *f == col)
                    .ok_or_else(|| at(no_column(col)))
            };
            cols = Some((
                [
                    find("step")?,
                    find("t_s")?,
                    find("range")?,
                    find("bearing")?,
                ],
                fields.iter().position(|f| *f == "range_rate"),
            ));
            continue;
        };
        let get = |i: usize, what: &'static str| -> Result<f64, HarnessError> {
            let raw = fields
                .get(i)
                .ok_or_else(|| at(Fault::field(what, format!("missing {what}"))))?;
            match raw.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(at(Fault::field(what, format!("bad {what} {raw:?}")))),
            }
        };
        let step: i64 = fields
            .get(c[0])
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| at(Fault::field("step", "bad step")))?;
        let t = get(c[1], "t_s")?;
        let range = get(c[2], "range")?;
        if range <= 0.0 {
            return Err(at(Fault::field("range", "range must be positive")));
        }
        let bearing = get(c[3], "bearing")?;
        let range_rate = match rr_col {
            Some(i) => Some(get(i, "range_rate")?),
            None => None,
        };
        let e = scans.entry(step).or_insert((t, Vec::new()));
        if e.0 != t {
            return Err(at(Fault::Sequence(format!(
                "step {step} has two times ({} and {t})",
                e.0
            ))));
        }
        e.1.push(PolarDet {
            range,
            bearing,
            range_rate,
        });
    }
    if cols.is_none() {
        return Err(HarnessError::input(name, Fault::Syntax("no header".into())));
    }
    Ok(scans.into_iter().map(|(k, (t, d))| (k, t, d)).collect())
}

/// A header without a column the stream needs.
fn no_column(col: &'static str) -> Fault {
    Fault::field(col, format!("header has no {col:?} column"))
}

/// Sensor errors of a polar stream.
#[derive(Clone, Copy, Debug)]
pub struct PolarSigmas {
    pub range: f64,
    pub bearing: f64,
    pub range_rate: f64,
}

/// Detections of one scan from a sensor at `sensor` on the plane, as observations:
/// the converted plot (with the beam ellipse's RMS axis as its circular sigma) and,
/// unless `as_plots`, the measurement in the sensor's space.
pub fn polar_plots(
    frame: &EnuFrame,
    sensor: [f64; 2],
    t_ms: TimeMs,
    sig: PolarSigmas,
    dets: &[PolarDet],
    as_plots: bool,
) -> Vec<Observation> {
    let (slat, slon) = frame.en_to_geodetic(sensor[0], sensor[1]);
    let s_ecef = geodetic_to_ecef(slat, slon, 0.0);
    let s_frame = EnuFrame::new(slat, slon);
    let label = Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]);
    dets.iter()
        .map(|d| {
            let (sb, cb) = d.bearing.sin_cos();
            let (x, y) = (sensor[0] + d.range * sb, sensor[1] + d.range * cb);
            let (lat, lon) = frame.en_to_geodetic(x, y);
            let p = geodetic_to_ecef(lat, lon, 0.0);
            let slant = ((p[0] - s_ecef[0]).powi(2)
                + (p[1] - s_ecef[1]).powi(2)
                + (p[2] - s_ecef[2]).powi(2))
            .sqrt();
            let [e, n] = s_frame.ecef_to_en(p);
            let circle = ((sig.range.powi(2) + (d.range * sig.bearing).powi(2)) / 2.0).sqrt();
            Observation {
                time_ms: t_ms,
                position: Position::new(lat, lon),
                pos_sigma_m: circle,
                velocity: None,
                vel_sigma_mps: None,
                identity: Identity::default(),
                domain: Domain::Unknown,
                affiliation: None,
                kind: ObservationKind::Plot,
                feed: "radar".into(),
                sensor: "s1".into(),
                label: label.clone(),
                polar: (!as_plots).then(|| {
                    Box::new(PolarMeasurement {
                        sensor_position: Position::new(slat, slon),
                        sensor_velocity: None,
                        range_m: slant,
                        range_sigma_m: sig.range,
                        azimuth_rad: e.atan2(n),
                        azimuth_sigma_rad: sig.bearing,
                        range_rate_mps: d.range_rate,
                        range_rate_sigma_mps: d.range_rate.map(|_| sig.range_rate),
                        ground_fix: false,
                        elevation: None,
                    })
                }),
            }
        })
        .collect()
}

/// Detections of one scan as plots of one feed and sensor, mapped onto WGS84.
pub fn plots(frame: &EnuFrame, t_ms: TimeMs, sigma: f64, xy: &[(f64, f64)]) -> Vec<Observation> {
    let label = Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]);
    xy.iter()
        .map(|&(x, y)| {
            let (lat, lon) = frame.en_to_geodetic(x, y);
            Observation::new(t_ms, Position::new(lat, lon), sigma, "gmti", label.clone())
                .with_domain(Domain::Unknown)
                .with_sensor("s1")
        })
        .collect()
}

pub fn run(a: TrackCsvArgs) -> Result<(), HarnessError> {
    use HarnessError::Args;
    if !(a.q_turn > 0.0 && a.q_turn.is_finite()) {
        return Err(Args("need q-turn > 0"));
    }
    if !(a.q > 0.0 && a.sigma > 0.0 && a.pd > 0.0 && a.pd < 1.0 && a.clutter_per_km2 > 0.0) {
        return Err(Args(
            "need q > 0, sigma > 0, 0 < pd < 1 and clutter-per-km2 > 0",
        ));
    }
    if a.delete_misses < 2 || a.tentative_misses < 1 || a.confirm_m < 1 || a.confirm_n < a.confirm_m
    {
        // delete-misses 1 would delete every confirmed track before its next scan.
        return Err(Args(
            "need delete-misses ≥ 2, tentative-misses ≥ 1 and 1 ≤ confirm-m ≤ confirm-n",
        ));
    }
    let pos = |v: f64| v.is_finite() && v > 0.0;
    if !(pos(a.sigma_range) && pos(a.sigma_bearing_deg) && pos(a.sigma_range_rate)) {
        return Err(Args(
            "need sigma-range, sigma-bearing-deg and sigma-range-rate > 0",
        ));
    }
    if !(a.sensor_x.is_finite() && a.sensor_y.is_finite()) {
        return Err(Args("need a finite sensor position"));
    }
    let scans: Vec<(i64, f64, Input2)> = match a.input {
        Input::Xy => read_dets(&a.dets)?
            .into_iter()
            .map(|(k, t, d)| (k, t, Input2::Xy(d)))
            .collect(),
        Input::Polar => {
            let text = std::fs::read_to_string(&a.dets).map_err(HarnessError::io(&a.dets))?;
            parse_polar(&a.dets.display().to_string(), &text)?
                .into_iter()
                .map(|(k, t, d)| (k, t, Input2::Polar(d)))
                .collect()
        }
        Input::Gmti => {
            let bytes = std::fs::read(&a.dets).map_err(HarnessError::io(&a.dets))?;
            let (scans, bad) = crate::gmti::read_capture(&bytes, a.as_plots);
            if bad > 0 {
                eprintln!("{}: {bad} packets did not decode", a.dets.display());
            }
            let t0 = scans.first().map_or(0, |s| s.time_ms);
            scans
                .into_iter()
                .map(|s| {
                    let t_s = (s.time_ms - t0) as f64 / 1000.0;
                    (s.step, t_s, Input2::Obs(s.obs, s.time_ms))
                })
                .collect()
        }
    };
    let mut dump = match (&a.dump_dets, a.input) {
        (Some(p), Input::Gmti) => {
            let f = std::fs::File::create(p).map_err(HarnessError::io(p))?;
            let mut w = BufWriter::new(f);
            writeln!(w, "step,t_s,sensor_x,sensor_y,sensor_alt_m,x,y,range_m,azimuth_rad,range_rate_mps,sigma_range_m,sigma_azimuth_rad,sigma_range_rate_mps")
                .map_err(HarnessError::io(p))?;
            Some((w, p))
        }
        (Some(_), _) => return Err(Args("--dump-dets is for --input gmti")),
        (None, _) => None,
    };
    let sig = PolarSigmas {
        range: a.sigma_range,
        bearing: a.sigma_bearing_deg.to_radians(),
        range_rate: a.sigma_range_rate,
    };
    let frame = EnuFrame::new(a.ref_lat, a.ref_lon);
    let mut tracker = Tracker::new(config(&a));
    let out = std::fs::File::create(&a.tracks).map_err(HarnessError::io(&a.tracks))?;
    let mut out = BufWriter::new(out);
    let io = |e| HarnessError::io(&a.tracks)(e);
    writeln!(out, "step,track_id,x,y,vx,vy").map_err(io)?;
    let mut cpu_ms = Vec::with_capacity(scans.len());
    for (step, t_s, dets) in &scans {
        let mut t_ms = (t_s * 1000.0).round() as TimeMs;
        let obs = match dets {
            Input2::Xy(xy) => plots(&frame, t_ms, a.sigma, xy),
            Input2::Polar(d) => {
                polar_plots(&frame, [a.sensor_x, a.sensor_y], t_ms, sig, d, a.as_plots)
            }
            Input2::Obs(o, t) => {
                t_ms = *t;
                if let Some((w, p)) = dump.as_mut() {
                    for line in o
                        .iter()
                        .filter_map(|o| crate::gmti::dump_line(&frame, *step, *t_s, o))
                    {
                        writeln!(w, "{line}").map_err(HarnessError::io(p))?;
                    }
                }
                o.clone()
            }
        };
        let c0 = thread_cpu_s();
        tracker.process_batch(obs);
        let tracks = tracker.tracks_at(t_ms);
        cpu_ms.push((thread_cpu_s() - c0) * 1e3);
        for tr in tracks {
            let p = tr.position;
            let [x, y] = frame.ecef_to_en(geodetic_to_ecef(p.lat_deg, p.lon_deg, 0.0));
            let j = EnuFrame::new(p.lat_deg, p.lon_deg).horizontal_rotation_to(&frame);
            let (ve, vn) = (tr.velocity.east_mps, tr.velocity.north_mps);
            let vx = j[0][0] * ve + j[0][1] * vn;
            let vy = j[1][0] * ve + j[1][1] * vn;
            writeln!(out, "{step},{},{x:.3},{y:.3},{vx:.3},{vy:.3}", tr.id).map_err(io)?;
        }
    }
    out.flush().map_err(io)?;
    if let Some((w, p)) = dump.as_mut() {
        w.flush().map_err(HarnessError::io(p))?;
    }
    let mut warm = cpu_ms[a.skip.min(cpu_ms.len().saturating_sub(1))..].to_vec();
    let (mean, p95) = mean_p95(&mut warm);
    let dets: usize = scans.iter().map(|s| s.2.len()).sum();
    let mode = match (a.input, a.as_plots) {
        (Input::Xy, _) => "xy",
        (Input::Polar, false) => "polar",
        (Input::Polar, true) => "polar-as-plots",
        (Input::Gmti, false) => "gmti",
        (Input::Gmti, true) => "gmti-as-plots",
    };
    let st = tracker.stats();
    let line = format!(
        "{{\"tracker\":\"biac\",\"input\":\"{mode}\",\"scans\":{},\"mean_dets_per_scan\":{:.2},\"cpu_ms_per_scan_mean\":{mean:.6},\"cpu_ms_per_scan_p95\":{p95:.6},\"cpu_ms_total\":{:.3},\"new_tracks\":{},\"confirmed\":{},\"deleted\":{},\"merged\":{}}}",
        scans.len(),
        dets as f64 / scans.len().max(1) as f64,
        cpu_ms.iter().sum::<f64>(),
        st.new_tracks,
        st.confirmed,
        st.deleted,
        st.merged,
    );
    eprintln!("{line}");
    if let Some(p) = &a.timing {
        std::fs::write(p, format!("{line}\n")).map_err(HarnessError::io(p))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_numpys_linear_one() {
        // numpy.percentile([1, 2, 3, 4, 10], 95) = 8.8
        let (m, p) = mean_p95(&mut [10.0, 2.0, 1.0, 4.0, 3.0]);
        assert!(
            (m - 4.0).abs() < 1e-12 && (p - 8.8).abs() < 1e-12,
            "{m} {p}"
        );
    }

    #[test]
    fn polar_stream_parses_and_rejects_bad_lines_by_number() {
        let ok = "step,t_s,bearing,range\n0,0.0,0.5,1000\n0,0.0,-0.25,2000.5\n\n1,1.0,1.0,300\n";
        let scans = parse_polar("d.csv", ok).unwrap();
        assert_eq!(scans.len(), 2);
        assert_eq!(scans[0].2.len(), 2);
        assert_eq!(
            scans[0].2[1],
            PolarDet {
                range: 2000.5,
                bearing: -0.25,
                range_rate: None
            }
        );
        let rr = parse_polar(
            "d.csv",
            "step,t_s,range,bearing,range_rate\n3,3,10,0,-2.5\n",
        )
        .unwrap();
        assert_eq!(rr[0].2[0].range_rate, Some(-2.5));
        for (text, want) in [
            (
                "step,t_s,range\n",
                "d.csv:1: header has no \"bearing\" column",
            ),
            (
                "step,t_s,range,bearing\n0,0,abc,1\n",
                "d.csv:2: bad range \"abc\"",
            ),
            (
                "step,t_s,range,bearing\n0,0,10,1\n0,0,-5,1\n",
                "d.csv:3: range must be positive",
            ),
            (
                "step,t_s,range,bearing\n0,0,10\n",
                "d.csv:2: missing bearing",
            ),
            ("step,t_s,range,bearing\nx,0,10,1\n", "d.csv:2: bad step"),
            (
                "step,t_s,range,bearing\n0,0,10,NaN\n",
                "d.csv:2: bad bearing \"NaN\"",
            ),
            (
                "step,t_s,range,bearing\n0,0,10,inf\n",
                "d.csv:2: bad bearing \"inf\"",
            ),
            (
                "step,t_s,range,bearing\n0,0,10,1\n0,1,10,1\n",
                "d.csv:3: step 0 has two times",
            ),
            ("", "d.csv: no header"),
        ] {
            let err = parse_polar("d.csv", text).unwrap_err().to_string();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
        // Typed: where, and the field at fault.
        match parse_polar("d.csv", "step,t_s,range,bearing\n0,0,-5,1\n") {
            Err(HarnessError::Input {
                at,
                fault: Fault::Field { name, .. },
            }) => assert_eq!((at.as_str(), name), ("d.csv:2", "range")),
            other => panic!("{other:?}"),
        }
        // Arbitrary bytes: an error or a parse, never a panic.
        let alphabet = b"step,t_s,range,bearing0123456789.-e\n";
        for seed in 0..2000u32 {
            let mut st = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
            let text: String = (0..(seed % 60))
                .map(|_| {
                    st ^= st << 13;
                    st ^= st >> 17;
                    st ^= st << 5;
                    alphabet[st as usize % alphabet.len()] as char
                })
                .collect();
            let _ = parse_polar("d.csv", &format!("step,t_s,range,bearing\n{text}"));
        }
    }

    #[test]
    fn polar_detections_keep_their_geometry() {
        let frame = EnuFrame::new(26.0, 127.0);
        let sensor = [-30_000.0, -40_000.0];
        let sig = PolarSigmas {
            range: 10.0,
            bearing: 0.1f64.to_radians(),
            range_rate: 0.5,
        };
        let dets = [
            PolarDet {
                range: 50_000.0,
                bearing: 0.3,
                range_rate: Some(4.0),
            },
            PolarDet {
                range: 80_000.0,
                bearing: 1.2,
                range_rate: None,
            },
        ];
        let obs = polar_plots(&frame, sensor, 5000, sig, &dets, false);
        for (o, d) in obs.iter().zip(&dets) {
            // The converted plot is the planar point.
            let [x, y] = frame.ecef_to_en(geodetic_to_ecef(
                o.position.lat_deg,
                o.position.lon_deg,
                0.0,
            ));
            let want = [
                sensor[0] + d.range * d.bearing.sin(),
                sensor[1] + d.range * d.bearing.cos(),
            ];
            assert!(
                (x - want[0]).abs() < 1e-3 && (y - want[1]).abs() < 1e-3,
                "{x} {y}"
            );
            // Slant range within metres of the planar one (curvature); the azimuth is
            // the planar bearing turned by the convergence of north between the
            // plane's origin and the sensor (milliradians here).
            let m = o.polar.as_ref().unwrap();
            assert!(m.is_valid());
            assert!(
                (m.range_m - d.range).abs() < 10.0,
                "{} {}",
                m.range_m,
                d.range
            );
            let (slat, slon) = frame.en_to_geodetic(sensor[0], sensor[1]);
            let j = frame.horizontal_rotation_to(&EnuFrame::new(slat, slon));
            let (sb, cb) = d.bearing.sin_cos();
            let want = (j[0][0] * sb + j[0][1] * cb).atan2(j[1][0] * sb + j[1][1] * cb);
            assert!(
                (m.azimuth_rad - want).abs() < 2e-5,
                "{} {want}",
                m.azimuth_rad
            );
            assert!(
                (m.azimuth_rad - d.bearing).abs() > 1e-3,
                "convergence is visible"
            );
            assert_eq!(m.range_rate_mps, d.range_rate);
            let circle = ((100.0 + (d.range * sig.bearing).powi(2)) / 2.0).sqrt();
            assert!((o.pos_sigma_m - circle).abs() < 1e-9);
        }
        assert!(polar_plots(&frame, sensor, 0, sig, &dets, true)
            .iter()
            .all(|o| o.polar.is_none()));
    }

    #[test]
    fn plane_to_wgs84_and_back_is_exact_to_a_millimetre() {
        let frame = EnuFrame::new(26.0, 127.0);
        for (x, y) in [(0.0, 0.0), (63_000.0, 63_000.0), (-5_000.0, 141_000.0)] {
            let o = &plots(&frame, 0, 10.0, &[(x, y)])[0];
            let p = geodetic_to_ecef(o.position.lat_deg, o.position.lon_deg, 0.0);
            let [e, n] = frame.ecef_to_en(p);
            assert!((e - x).abs() < 1e-3 && (n - y).abs() < 1e-3, "{e} {n}");
        }
    }
}
