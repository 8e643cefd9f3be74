//! The 3-D ballistic model in the composed tracker: a track's ECEF estimate
//! ([`crate::ballistic::Estimate`]) with its planar view, the 3-D plots it takes, and
//! how they are gated.
//!
//! Routing. An observation whose sensor-space measurement carries an elevation is a
//! 3-D radar plot; with `TrackerConfig::ballistic` set (the default) it is prepared as
//! a [`RadarPlot`] and starts, and is gated only against, ballistic tracks; every other
//! observation is gated only against planar tracks. So a missile never updates (or
//! merges with) an aircraft's track, and the aircraft picture runs exactly as before.
//! With `ballistic: null` a 3-D plot is an ordinary 2-D range/azimuth plot.

// Index loops read better than iterator chains for small fixed-size matrices.
#![allow(clippy::needless_range_loop)]

use biac_model::{ImpactPrediction, LaunchEstimate, Missile, PolarMeasurement, TimeMs};

use crate::ballistic::impact::{predict_impact, predict_launch};
use crate::ballistic::{BallisticParams, Estimate, Phase, RadarPlot};
use crate::geo::{ecef_to_geodetic, geodetic_to_ecef, EnuFrame};
use crate::kf::{Mat4, Vec4};

use super::polar::Gates;

/// A prediction longer than this (s) is gated at the exclusion gate.
const LONG_COAST_S: f64 = 60.0;

/// Mean radius used to scale a velocity at height down to the ground track's.
const EARTH_R: f64 = 6_371_000.0;

/// A ballistic track's model state.
#[derive(Clone, Debug)]
pub(crate) struct BallisticKin {
    pub est: Estimate,
    /// The track's tangent frame (kept in step by `Kinematics::rebase`), for the
    /// planar view.
    pub frame: EnuFrame,
    /// Seconds of data time since the track's first plot.
    pub age_s: f64,
    /// The first estimate with a known velocity (one-sigma speed per axis under
    /// [`EARLY_VEL_SIGMA`]) and its age: the launch is back-propagated from it.
    pub early: Option<(f64, Estimate)>,
}

/// Velocity sigma below which an estimate is taken as the early one, m/s.
const EARLY_VEL_SIGMA: f64 = 150.0;

impl BallisticKin {
    pub fn from_plot(m: &RadarPlot, frame: EnuFrame, prm: &BallisticParams) -> BallisticKin {
        BallisticKin {
            est: Estimate::from_plot(m, prm),
            frame,
            age_s: 0.0,
            early: None,
        }
    }

    pub fn predict(&self, dt: f64, prm: &BallisticParams) -> BallisticKin {
        BallisticKin {
            est: self.est.predict(dt, prm),
            frame: self.frame,
            age_s: self.age_s + dt,
            early: self.early.clone(),
        }
    }

    pub fn update(&self, m: &RadarPlot, prm: &BallisticParams) -> Option<BallisticKin> {
        let est = self.est.update(m, prm)?;
        let known = (3..6).all(|i| est.p[i][i] < EARLY_VEL_SIGMA * EARLY_VEL_SIGMA);
        let early = match &self.early {
            None if known => Some((self.age_s, est.clone())),
            e => e.clone(),
        };
        Some(BallisticKin {
            est,
            frame: self.frame,
            age_s: self.age_s,
            early,
        })
    }

    pub fn planar(&self) -> (Vec4, Mat4) {
        self.planar_of(&self.est)
    }

    /// The planar view of `est` in this track's frame: the point on the ellipsoid below
    /// the missile, the horizontal velocity scaled to the ground track (by R / (R + h)),
    /// and the horizontal blocks of the covariance.
    pub fn planar_of(&self, est: &Estimate) -> (Vec4, Mat4) {
        let (lat, lon, h) = ecef_to_geodetic(est.position());
        let [e, n] = self.frame.ecef_to_en(geodetic_to_ecef(lat, lon, 0.0));
        let k = EARTH_R / (EARTH_R + h.max(0.0));
        // Rows of the horizontal projection: the frame's east and north as ECEF vectors.
        let cols = [
            self.frame.ecef_vec_to_en([1.0, 0.0, 0.0]),
            self.frame.ecef_vec_to_en([0.0, 1.0, 0.0]),
            self.frame.ecef_vec_to_en([0.0, 0.0, 1.0]),
        ];
        let proj = |v: [f64; 3]| -> [f64; 2] {
            std::array::from_fn(|r| (0..3).map(|c| cols[c][r] * v[c]).sum())
        };
        let v = proj(est.velocity());
        // J (4×6): position rows scaled by k, velocity rows by k.
        let mut j = [[0.0; 6]; 4];
        for r in 0..2 {
            for c in 0..3 {
                j[r][c] = k * cols[c][r];
                j[r + 2][c + 3] = k * cols[c][r];
            }
        }
        let mut p = [[0.0; 4]; 4];
        for a in 0..4 {
            for b in 0..4 {
                let mut s = 0.0;
                for c in 0..6 {
                    if j[a][c] == 0.0 {
                        continue;
                    }
                    for d in 0..6 {
                        s += j[a][c] * est.p[c][d] * j[b][d];
                    }
                }
                p[a][b] = s;
            }
        }
        ([e, n, k * v[0], k * v[1]], p)
    }
}

/// The 3-D radar plot an observation carries, if it is one (`None` for a 2-D plot;
/// `Some(None)` for an invalid one).
pub(super) fn radar_plot(m: &PolarMeasurement) -> Option<Option<RadarPlot>> {
    let el = m.elevation?;
    let sp = m.sensor_position;
    let rate = m.range_rate_mps.zip(m.range_rate_sigma_mps);
    Some(RadarPlot::new(
        (sp.lat_deg, sp.lon_deg, sp.alt_m.unwrap_or(0.0)),
        m.range_m,
        m.azimuth_rad,
        el.rad,
        [m.range_sigma_m, m.azimuth_sigma_rad, el.sigma_rad],
        rate,
    ))
}

/// The surface point below a 3-D plot (coarse gating works on the ground track) and a
/// bound of its horizontal variance per axis.
pub(super) fn ground(m: &RadarPlot) -> ([f64; 3], f64) {
    let (lat, lon, _) = ecef_to_geodetic(m.point());
    let r2 = m.z[0] * m.z[0];
    let var = m.var[0].max(r2 * m.var[1]).max(r2 * m.var[2]);
    (geodetic_to_ecef(lat, lon, 0.0), var)
}

/// Stage-2 gate of a 3-D plot against a ballistic prediction: `(d², ln det S, gate,
/// exclusion gate)` with the gates of the plot's degrees of freedom.
/// A track in boost gates at its exclusion gate: its thrust is what it knows least, and
/// a plot it misses there would only be suppressed (and the track starve) anyway. So
/// does a track seen again after a long time beyond every radar's reach (a lofted
/// shot's hour of midcourse), where the linearised covariance understates the spread.
pub(super) fn gate(est: &Estimate, m: &RadarPlot, g: &Gates) -> Option<(f64, f64, f64, f64)> {
    let (d2, lndet) = est.gate(m)?;
    let (gate, excl) = if m.has_rate {
        (g.gate4, g.excl4)
    } else {
        (g.gate3, g.excl3)
    };
    let gate = if est.phase == Phase::Boost || est.predicted_s() > LONG_COAST_S {
        excl
    } else {
        gate
    };
    Some((d2, lndet, gate, excl))
}

/// Points of the predicted path a ballistic track's output carries (now to impact).
const PATH_POINTS: usize = 30;

/// The missile view of a ballistic track whose last update is at `time_ms` (track
/// created at `created_ms`): phase, height, speed, climb, and after burnout the impact
/// prediction with its 95 % ellipse and the path to impact, and the launch estimate.
/// A pure function of the track's state, so replays give the same output whenever it is
/// asked for (the tracker's output shares unchanged tracks, so it is made once per
/// changed track and publication).
pub(super) fn missile_of(
    b: &BallisticKin,
    time_ms: TimeMs,
    created_ms: TimeMs,
    prm: &BallisticParams,
) -> Missile {
    let est = &b.est;
    let v = est.velocity();
    let up = biac_geo::earth::up_at(est.position());
    let speed_mps = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    let climb_mps = v[0] * up[0] + v[1] * up[1] + v[2] * up[2];
    let impact = if est.phase == Phase::Boost {
        None
    } else {
        predict_impact(est, prm).filter(|imp| imp.dt_s.is_finite() && imp.dt_s >= 0.0)
    };
    let ipp = impact.map(|imp| ImpactPrediction {
        lat: imp.lat_deg,
        lon: imp.lon_deg,
        t_ms: time_ms + (imp.dt_s * 1000.0).round() as TimeMs,
        semi_major_m: imp.semi_major_m,
        semi_minor_m: imp.semi_minor_m,
        major_bearing_deg: imp.major_bearing_deg,
    });
    // The path: the estimate flown forward in equal steps (each leg from the last, so
    // the whole flight is integrated once), ending at the predicted impact point.
    let trajectory = match impact {
        Some(imp) => {
            let step = imp.dt_s / (PATH_POINTS - 1) as f64;
            let mut e = est.clone();
            let mut path = Vec::with_capacity(PATH_POINTS);
            for _ in 0..PATH_POINTS - 1 {
                let (la, lo, h) = e.geodetic();
                path.push([lo, la, h.max(0.0)]);
                e = e.predict(step, prm);
            }
            path.push([imp.lon_deg, imp.lat_deg, 0.0]);
            path
        }
        None => Vec::new(),
    };
    let launch = b.early.as_ref().and_then(|(age, e)| {
        let l = predict_launch(e)?;
        let at = created_ms as f64 + (age + l.dt_s) * 1000.0;
        Some(LaunchEstimate {
            lat: l.lat_deg,
            lon: l.lon_deg,
            t_ms: at.round() as TimeMs,
        })
    });
    Missile {
        phase: est.phase,
        alt_m: est.height(),
        speed_mps,
        climb_mps,
        ipp,
        launch,
        trajectory,
    }
}
