//! ## biac-fusion
//!
//! Multi-sensor multi-target tracker: labelled WGS84 observations in, fused tracks out.
//! Pure and deterministic (no I/O, clocks, threads, randomness or hash order): equal input
//! gives bit-identical tracks, ids and [`FusionStats`]. Each track owns a local ENU tangent
//! plane (WGS84 → ECEF → ENU, re-based every 20 km) and a 2-D constant-velocity Kalman
//! filter (per-domain noise, Joseph update). [`Tracker::process_batch`] sorts the batch
//! into scans of equal (time, feed, sensor); per scan, identity-carrying observations
//! (MMSI, ICAO, feed+track number) update their track, the rest are gated (stage 1: a
//! loose multi-level grid of ECEF cubes, [`grid::BallIndex`]; stage 2: χ²) and assigned
//! by global nearest neighbour per cluster of the gating graph ([`assign::solve`]; with a
//! [`DetectionModel`], "missed" is weighed by the Pd/clutter likelihood ratio), and
//! leftovers start tentative tracks unless near a confirmed one. A one-plot tentative
//! track without identity is held compactly until its second update (in clutter, most
//! never get one). Tracks confirm M-of-window (self-reports at once), coast, die per
//! domain, and confirmed ones merge only if identity-compatible. Track label =
//! [`Label::join`](biac_model::Label::join) of all inputs; `sources` = contributing feeds.
//! [`metrics`] has GOSPA and OSPA; [`TrackerConfig::for_scanning_sensor`] sets the
//! tracker up for one scanning plot sensor (the Stone Soup side-by-side bench).
//! [`TrackerConfig::motion`] switches every track to a CV/coordinated-turn IMM
//! ([`motion`]; the default stays constant velocity), and a domain's own
//! [`DomainParams::motion`] overrides it for that domain's tracks. National track reports
//! ([`ObservationKind::Track`](biac_model::ObservationKind::Track)) are fused
//! track-to-track ([`t2t`]): a track keeps its local-only estimate and the latest
//! estimate per national source (feed + track number), and its state is their
//! covariance intersection, so a re-sent or repeated national track never counts twice.
//! A plot carrying a sensor-space measurement
//! ([`PolarMeasurement`](biac_model::PolarMeasurement): slant range, azimuth, optionally
//! range-rate, or a GMTI ground fix with range-rate) is gated (χ² in measurement space,
//! 3-dof gates at the 2-dof gate's probability, association costs on one per-area
//! scale) and applied (CV and IMM alike) with the [`measure`] models, the sensor placed
//! in each track's own plane; a track started from it gets the beam ellipse as its
//! position covariance and the range-rate in its velocity. [`TrackerConfig::association`]
//! switches association from global nearest neighbour to [`jpda`] (the same detections,
//! each detected track updated with its cluster's plots weighted by their marginal
//! probabilities).
//!
//! The tracker is composed of parts, as Stone Soup's `MultiTargetTracker` is: a motion
//! filter (CV or IMM), a hypothesiser (prediction and gating into clusters), an
//! associator (GNN or JPDA), an initiator (seeds, M-of-window confirmation) and a
//! deleter; see the `tracker` module.
//!
//! Out-of-sequence policy: an observation older than the track it associates with is
//! never applied backwards; it is dropped and counted in [`FusionStats::late`] (the
//! runtime re-orders within a small window before calling the tracker). Timeouts run at
//! each scan's time and in [`Tracker::advance_to`], never backwards.

pub mod assign;
pub mod ballistic;
pub mod geo;
pub mod grid;
pub mod jpda;
pub mod kf;
pub mod measure;
pub mod metrics;
pub mod motion;
pub mod t2t;
mod tracker;

pub use tracker::Tracker;

use biac_model::{Domain, TimeMs};
use serde::{Deserialize, Serialize};

/// Per-domain motion and life-cycle parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DomainParams {
    /// Process noise spectral density, m²/s³ per axis (white acceleration).
    pub q: f64,
    /// A confirmed track not updated for longer than this is reported as coasting.
    pub coast_after_ms: TimeMs,
    /// A confirmed track not updated for longer than this is deleted.
    pub delete_after_ms: TimeMs,
    /// One-sigma per-axis velocity uncertainty of a track started from a position only.
    pub init_vel_sigma_mps: f64,
    /// This domain's motion model; `None`: [`TrackerConfig::motion`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motion: Option<MotionModel>,
}

/// A domain block of a configuration file: only the keys it changes, over the
/// built-in parameters of its own domain.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DomainPatch {
    q: Option<f64>,
    coast_after_ms: Option<TimeMs>,
    delete_after_ms: Option<TimeMs>,
    init_vel_sigma_mps: Option<f64>,
    motion: Option<MotionModel>,
}

impl DomainPatch {
    fn over(self, base: &DomainParams) -> DomainParams {
        DomainParams {
            q: self.q.unwrap_or(base.q),
            coast_after_ms: self.coast_after_ms.unwrap_or(base.coast_after_ms),
            delete_after_ms: self.delete_after_ms.unwrap_or(base.delete_after_ms),
            init_vel_sigma_mps: self.init_vel_sigma_mps.unwrap_or(base.init_vel_sigma_mps),
            motion: self.motion.or(base.motion),
        }
    }
}

/// Deserialisers of the four domain blocks: each a [`DomainPatch`] over its domain's
/// default (serde's `default` alone would fill a partial block from one shared value).
mod domain_patch {
    use super::{Deserialize, DomainParams, DomainPatch, TrackerConfig};
    use biac_model::Domain;
    use serde::Deserializer;

    fn patch<'de, D: Deserializer<'de>>(de: D, d: Domain) -> Result<DomainParams, D::Error> {
        Ok(DomainPatch::deserialize(de)?.over(TrackerConfig::default().domain(d)))
    }
    pub fn surface<'de, D: Deserializer<'de>>(de: D) -> Result<DomainParams, D::Error> {
        patch(de, Domain::Surface)
    }
    pub fn air<'de, D: Deserializer<'de>>(de: D) -> Result<DomainParams, D::Error> {
        patch(de, Domain::Air)
    }
    pub fn ground<'de, D: Deserializer<'de>>(de: D) -> Result<DomainParams, D::Error> {
        patch(de, Domain::Ground)
    }
    pub fn unknown<'de, D: Deserializer<'de>>(de: D) -> Result<DomainParams, D::Error> {
        patch(de, Domain::Unknown)
    }
}

/// Tracker tuning. `Default` suits the East China Sea picture (ships, aircraft, radar
/// plots at a few seconds' revisit). (De)serialisable; a field left out takes its
/// default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackerConfig {
    /// Per domain; in a configuration file a block gives only the keys it changes.
    #[serde(deserialize_with = "domain_patch::surface")]
    pub surface: DomainParams,
    #[serde(deserialize_with = "domain_patch::air")]
    pub air: DomainParams,
    #[serde(deserialize_with = "domain_patch::ground")]
    pub ground: DomainParams,
    /// Used until an observation tells the domain.
    #[serde(deserialize_with = "domain_patch::unknown")]
    pub unknown: DomainParams,
    /// χ² gate on the 2-D position innovation (11.83 ≈ 99.73%, "3 sigma").
    pub gate: f64,
    /// A plot (no identity) left unassigned within this χ² of a confirmed track does not
    /// start a new track (25 ≈ 5 sigma: also covers the 0.27% of true plots that fall
    /// just outside `gate`, which would otherwise seed duplicate tracks).
    pub init_exclusion_gate: f64,
    /// ...unless that track is manoeuvring or lagging: the fading-memory average of its
    /// plots' normalised innovations (2-dof χ² units, weight ½ on the latest; about 2
    /// for a track that follows its object) exceeds this. Then a plot near it may be
    /// its object after a turn, and starts a track at once instead of waiting for the
    /// lagging one to die. 4 is about the 94th percentile of that average for a
    /// consistent filter.
    pub manoeuvre_nis: f64,
    /// A tentative track confirms with `confirm_m` updates within `confirm_window_ms`
    /// of its creation, or is deleted.
    pub confirm_m: u32,
    pub confirm_window_ms: TimeMs,
    /// A tentative track not updated for longer than this is deleted.
    pub tentative_timeout_ms: TimeMs,
    /// A track whose predicted one-sigma position error (largest axis) exceeds this is
    /// deleted.
    pub max_pos_sigma_m: f64,
    /// A track's frame is moved to its position once it is farther than this from the
    /// origin (keeps the planar model accurate at theatre scale).
    pub rebase_distance_m: f64,
    /// Largest cube side of the coarse gating index (the finest adapts to the gates in
    /// use); tracks whose gate radius exceeds half of it are checked against every
    /// observation.
    pub grid_cell_m: f64,
    /// An identity-bound observation farther than this χ² from its track restarts the
    /// track's kinematic state instead of dragging it (a jump in an AIS stream).
    pub identity_reset_gate: f64,
    /// Velocity sigma used when an observation has a velocity but no `vel_sigma_mps`.
    pub default_vel_sigma_mps: f64,
    /// Observation position sigmas are clamped to at least this (avoids singular S).
    pub min_pos_sigma_m: f64,
    /// Two compatible tracks that pass the 4-D mutual gate at this many consecutive
    /// checks are merged; 0 disables merging.
    pub merge_after: u32,
    /// χ² gate on the 4-D state difference for merging (13.28 ≈ 99% for 4 dof).
    pub merge_gate: f64,
    /// Sensor detection model for plots. When given, global nearest neighbour weighs
    /// "track missed" against "track detected" by their likelihood ratio instead of
    /// by the gate alone.
    pub detection: Option<DetectionModel>,
    /// Motion model of every domain that does not name its own
    /// ([`DomainParams::motion`]). [`MotionModel::Cv`] (the default) is the plain
    /// constant-velocity filter with the per-domain `q`; [`MotionModel::Imm`] runs a
    /// CV/coordinated-turn IMM per track with its own noise levels, from the track's
    /// first update on: gating, the display extrapolation ([`Tracker::tracks_at`]),
    /// deletion by covariance growth and merge checks all use its prediction (the
    /// per-domain `q` still drives a track before its first update, national track
    /// fusion and the state fused from national sources).
    pub motion: MotionModel,
    /// Track maintenance — timeouts, coasting, deletion by covariance growth, merge
    /// checks — runs at a scan only when its time is at least this far past the last
    /// run; 0 (the default): at every scan. Each run visits every track, so a stream
    /// processed one report at a time (a live low-latency picture) sets it to a fraction
    /// of a second instead of paying that per report. Data time only: deterministic.
    pub maintenance_every_ms: TimeMs,
    /// Span of range-rates over which false alarms are spread uniformly, m/s: the
    /// clutter density in range-rate (1 / span) that a measurement with range-rate is
    /// weighed against in association (with a [`DetectionModel`]).
    pub clutter_range_rate_span_mps: f64,
    /// How plots are associated with tracks: [`Association::Gnn`] (the default) or
    /// [`Association::Jpda`].
    pub association: Association,
    /// The 3-D ballistic model (see [`ballistic`]): a plot whose sensor-space
    /// measurement has an elevation (a missile-defence radar's) starts and updates
    /// only ballistic tracks, which run this model whatever `motion` says; `null`
    /// treats such plots as 2-D range/azimuth plots.
    pub ballistic: Option<ballistic::BallisticParams>,
}

/// Which filter tracks run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MotionModel {
    #[default]
    Cv,
    Imm(motion::ImmParams),
}

impl MotionModel {
    /// The first unusable parameter, by its key under the model's own (`imm.q_ct`), and
    /// what it must be (see [`TrackerConfig::validate`]).
    fn fault(&self) -> Option<(&'static str, &'static str)> {
        let pos = |x: f64| x.is_finite() && x > 0.0;
        let prob = |x: f64| x.is_finite() && x > 0.0 && x < 1.0;
        match self {
            MotionModel::Cv => None,
            MotionModel::Imm(p) => {
                let positive = [
                    ("imm.q_cv", p.q_cv),
                    ("imm.q_ct", p.q_ct),
                    ("imm.q_turn", p.q_turn),
                    ("imm.init_turn_sigma", p.init_turn_sigma),
                ];
                if let Some((key, _)) = positive.into_iter().find(|(_, v)| !pos(*v)) {
                    Some((key, "a positive number"))
                } else if !p.stay.into_iter().all(prob) {
                    Some(("imm.stay", "two probabilities between 0 and 1, exclusive"))
                } else if !(p.mu0.into_iter().all(|m| m.is_finite() && m >= 0.0)
                    && (p.mu0[0] + p.mu0[1] - 1.0).abs() < 1e-9)
                {
                    Some(("imm.mu0", "two probabilities of 0 or more summing to 1"))
                } else {
                    None
                }
            }
        }
    }
}

/// How plots are associated with tracks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Association {
    /// Global nearest neighbour: the least-cost joint assignment per cluster, each
    /// detected track updated with its plot.
    #[default]
    Gnn,
    /// Joint probabilistic data association: the same detections as GNN, but each
    /// detected track is updated with all its cluster's plots weighted by their
    /// marginal association probabilities. Applies to clusters of plain position plots
    /// (one variance) and constant-velocity tracks without national sources, with a
    /// [`DetectionModel`], up to `max_events` joint events; other clusters keep GNN.
    Jpda { max_events: usize },
}
/// Probability of detection and false-alarm density of the plot sensors.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectionModel {
    /// Probability that an object in cover is detected in a scan, (0, 1).
    pub pd: f64,
    /// False alarms per m² per scan (> 0).
    pub clutter_per_m2: f64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            // Ships: q = 0.05 m²/s³ lets a track follow ~0.2 m/s² of unmodelled
            // acceleration over a 10 s revisit (a slow turn) without lag.
            surface: DomainParams {
                q: 0.05,
                coast_after_ms: 60_000,
                delete_after_ms: 180_000,
                init_vel_sigma_mps: 15.0,
                motion: None,
            },
            // Aircraft: q = 2 m²/s³ is between a straight transit (~1) and a standard
            // rate turn at 250 m/s (several); ADS-B revisit is short, so lag stays small.
            air: DomainParams {
                q: 2.0,
                coast_after_ms: 20_000,
                delete_after_ms: 60_000,
                init_vel_sigma_mps: 250.0,
                motion: None,
            },
            ground: DomainParams {
                q: 0.5,
                coast_after_ms: 60_000,
                delete_after_ms: 180_000,
                init_vel_sigma_mps: 20.0,
                motion: None,
            },
            unknown: DomainParams {
                q: 1.0,
                coast_after_ms: 30_000,
                delete_after_ms: 120_000,
                init_vel_sigma_mps: 100.0,
                motion: None,
            },
            gate: 11.83,
            init_exclusion_gate: 25.0,
            manoeuvre_nis: 4.0,
            confirm_m: 2,
            confirm_window_ms: 30_000,
            tentative_timeout_ms: 20_000,
            max_pos_sigma_m: 10_000.0,
            rebase_distance_m: 20_000.0,
            grid_cell_m: 20_000.0,
            identity_reset_gate: 400.0,
            default_vel_sigma_mps: 1.0,
            min_pos_sigma_m: 1.0,
            merge_after: 5,
            merge_gate: 13.28,
            detection: None,
            motion: MotionModel::Cv,
            maintenance_every_ms: 0,
            clutter_range_rate_span_mps: 200.0,
            association: Association::Gnn,
            ballistic: Some(ballistic::BallisticParams::default()),
        }
    }
}

/// A tracker configuration that cannot work: the field, by its configuration name, and
/// what it must be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("tracker.{field} must be {need}")]
pub struct ConfigError {
    pub field: String,
    pub need: &'static str,
}

impl TrackerConfig {
    /// Whether every value is usable: positive noise, gates and sigmas, life-cycle times
    /// in order, probabilities inside (0, 1). A configuration file is checked with this
    /// before any tracker runs, so a typo is an error at start-up, not a silent picture.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |field: &str, need| {
            Err(ConfigError {
                field: field.to_string(),
                need,
            })
        };
        let pos = |x: f64| x.is_finite() && x > 0.0;
        let prob = |x: f64| x.is_finite() && x > 0.0 && x < 1.0;
        for (name, d) in [
            ("surface", &self.surface),
            ("air", &self.air),
            ("ground", &self.ground),
            ("unknown", &self.unknown),
        ] {
            if !pos(d.q) {
                return err(&format!("{name}.q"), "a positive number");
            }
            if !pos(d.init_vel_sigma_mps) {
                return err(&format!("{name}.init_vel_sigma_mps"), "a positive number");
            }
            if d.coast_after_ms <= 0 {
                return err(&format!("{name}.coast_after_ms"), "a positive number");
            }
            if d.delete_after_ms < d.coast_after_ms {
                return err(
                    &format!("{name}.delete_after_ms"),
                    "at least coast_after_ms",
                );
            }
            // The domain's own model; one it leaves out is the global one, checked below
            // under its own key.
            if let Some((key, need)) = d.motion.and_then(|m| m.fault()) {
                return err(&format!("{name}.motion.{key}"), need);
            }
        }
        let positive = [
            ("gate", self.gate),
            ("init_exclusion_gate", self.init_exclusion_gate),
            ("manoeuvre_nis", self.manoeuvre_nis),
            ("max_pos_sigma_m", self.max_pos_sigma_m),
            ("rebase_distance_m", self.rebase_distance_m),
            ("grid_cell_m", self.grid_cell_m),
            ("identity_reset_gate", self.identity_reset_gate),
            ("default_vel_sigma_mps", self.default_vel_sigma_mps),
            ("min_pos_sigma_m", self.min_pos_sigma_m),
            ("merge_gate", self.merge_gate),
            (
                "clutter_range_rate_span_mps",
                self.clutter_range_rate_span_mps,
            ),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| !pos(*v)) {
            return err(name, "a positive number");
        }
        if self.init_exclusion_gate < self.gate {
            return err("init_exclusion_gate", "at least gate");
        }
        if self.confirm_m < 1 {
            return err("confirm_m", "at least 1");
        }
        if self.confirm_window_ms <= 0 {
            return err("confirm_window_ms", "a positive number");
        }
        if self.tentative_timeout_ms <= 0 {
            return err("tentative_timeout_ms", "a positive number");
        }
        if self.maintenance_every_ms < 0 {
            return err("maintenance_every_ms", "0 or more");
        }
        if let Some(d) = &self.detection {
            if !prob(d.pd) {
                return err("detection.pd", "between 0 and 1, exclusive");
            }
            if !pos(d.clutter_per_m2) {
                return err("detection.clutter_per_m2", "a positive number");
            }
        }
        if let Some((key, need)) = self.motion.fault() {
            return err(&format!("motion.{key}"), need);
        }
        if self.ballistic.is_some_and(|b| !b.is_valid()) {
            return err(
                "ballistic",
                "positive noise levels, sigmas, thresholds and steps, beta_min ≤ beta_max",
            );
        }
        if let Association::Jpda { max_events } = self.association {
            if max_events == 0 {
                return err("association.jpda.max_events", "at least 1");
            }
        }
        Ok(())
    }

    /// The motion model tracks of domain `d` run.
    pub fn motion_of(&self, d: Domain) -> MotionModel {
        self.domain(d).motion.unwrap_or(self.motion)
    }

    pub fn domain(&self, d: Domain) -> &DomainParams {
        match d {
            Domain::Surface => &self.surface,
            Domain::Air => &self.air,
            Domain::Ground => &self.ground,
            Domain::Unknown => &self.unknown,
        }
    }
}

/// Tuning for one plot sensor that scans at a fixed period, in scans rather than
/// milliseconds (what the Stone Soup benchmark and a radar engineer specify).
#[derive(Clone, Debug, PartialEq)]
pub struct ScanTuning {
    pub scan_ms: TimeMs,
    /// Process noise spectral density, m²/s³ per axis.
    pub q: f64,
    /// One-sigma per-axis velocity prior of a track started from one plot.
    pub init_vel_sigma_mps: f64,
    /// χ² gate (2 dof).
    pub gate: f64,
    /// Confirm with `confirm_m` plots within the first `confirm_n` scans.
    pub confirm_m: u32,
    pub confirm_n: u32,
    /// A tentative track is dropped at its `tentative_misses`-th consecutive miss (it is
    /// offered the plots of every scan up to that one), as Stone Soup's
    /// `UpdateTimeStepsDeleter(tentative_misses)` drops its holding tracks.
    pub tentative_misses: u32,
    /// A confirmed track is shown through `delete_misses − 1` consecutive misses and
    /// deleted before the next scan: the scans Stone Soup's
    /// `UpdateTimeStepsDeleter(delete_misses)` shows it for (which would still let a plot
    /// of that next scan revive it). At least 2: 1 deletes every track before its next
    /// scan.
    pub delete_misses: u32,
    pub detection: DetectionModel,
}

impl TrackerConfig {
    /// A configuration for one scanning plot sensor. Housekeeping runs at the start of
    /// a scan, before association, where a track last updated `k` scans ago has missed
    /// `k - 1` scans: a tentative track is dropped when older than `tentative_misses + ½`
    /// scans, a confirmed one when older than `delete_misses − ½`.
    pub fn for_scanning_sensor(t: &ScanTuning) -> TrackerConfig {
        let ms = |scans: f64| (scans * t.scan_ms as f64).round() as TimeMs;
        let dp = DomainParams {
            q: t.q,
            coast_after_ms: ms(1.5),
            delete_after_ms: ms(f64::from(t.delete_misses) - 0.5),
            init_vel_sigma_mps: t.init_vel_sigma_mps,
            motion: None,
        };
        TrackerConfig {
            surface: dp.clone(),
            air: dp.clone(),
            ground: dp.clone(),
            unknown: dp,
            gate: t.gate,
            confirm_m: t.confirm_m,
            confirm_window_ms: ms(f64::from(t.confirm_n) - 0.5),
            tentative_timeout_ms: ms(f64::from(t.tentative_misses) + 0.5),
            detection: Some(t.detection),
            ..TrackerConfig::default()
        }
    }
}

/// Counters since the tracker was created (see [`Tracker::stats`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FusionStats {
    /// Observations given to `process_batch`.
    pub observations: u64,
    /// Rejected: invalid position, non-finite or non-positive sigma, bad velocity, or an
    /// invalid sensor-space measurement ([`biac_model::PolarMeasurement::is_valid`]).
    pub invalid: u64,
    /// Scans (groups of equal time, feed, sensor) processed.
    pub scans: u64,
    /// Observations that updated an existing track (by identity or by gating).
    pub associated: u64,
    /// Of `associated`, those bound by identity (MMSI, ICAO, track number).
    pub identity_bound: u64,
    /// Tracks started (tentative or, for self-reports and track feeds, confirmed).
    pub new_tracks: u64,
    /// Tracks that became confirmed.
    pub confirmed: u64,
    /// Tracks deleted (timeout, covariance limit, unconfirmed); merges not included.
    pub deleted: u64,
    /// Tracks absorbed into another by a merge.
    pub merged: u64,
    /// Observations older than the track they associate with: dropped, never applied.
    pub late: u64,
    /// Observations outside every track's gate (each started a new track).
    pub gated_out: u64,
    /// Plots within `init_exclusion_gate` of a confirmed track but not assigned to it:
    /// dropped rather than started as a duplicate track.
    pub suppressed: u64,
    /// Identity-bound observations so far from their track that it was restarted there.
    pub identity_resets: u64,
}
