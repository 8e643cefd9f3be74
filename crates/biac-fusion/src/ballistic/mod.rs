//! A 3-D ballistic motion model in the Earth-fixed frame (ECEF), fed by 3-D radar plots
//! (slant range, azimuth, elevation, optionally range-rate) from any number of radars.
//!
//! State `[p, v, s]`: ECEF position and velocity and one scalar `s` whose meaning is
//! the flight phase's non-gravitational force — the thrust acceleration along the
//! velocity in **boost** (a random walk: thrust grows as propellant burns), and after
//! burnout (**midcourse** and **terminal**) the inverse ballistic coefficient `1/β`
//! (m²/kg), started at the prior of `[beta_min, beta_max]`, with the drag
//! `−½ ρ(h) |v| v / β` of the exponential atmosphere: nothing above 200 km (pure
//! [`GravityModel::FULL`] flight, the simulator's own physics), but a short-range
//! missile flies its whole arc under 100 km, where the drag of an unknown β moves the
//! impact by kilometres and must be in the model and its covariance. A thrust or drag
//! along the velocity is what the missile does (a gravity turn, air at rest in ECEF), so
//! one scalar observable through the accurate range replaces a 3-vector observable
//! only through the poor cross-range angles.
//!
//! The filter is an EKF (prediction by [`rk4_step`] of the mean and the linearised
//! transition `I + AΔ + A²Δ²/2 + A³Δ³/6` per sub-step for the covariance, `A` averaged
//! over the sub-step's ends). Why not a
//! UKF: over a 1 s revisit the dynamics are linear to far below the noise (gravity's
//! gradient is 3·10⁻⁶ s⁻²), and the measurement's curvature at 1,000 km with a 1 km
//! cross-range error is `σ²/r` ≈ 1 m against a 10–30 m range σ; the consistency test
//! (`tests/ballistic_filter.rs`, NEES) measures it, and the EKF costs one propagation
//! per update where a UKF costs fifteen. The impact prediction ([`impact`]), which
//! propagates minutes ahead where linearisation does break, uses sigma points.
//!
//! Burnout: a sequential likelihood-ratio test of the boost model against a no-thrust
//! model filtered beside it on the same plots (see [`Rival`]), which also takes a
//! staging mistaken for burnout back; as a fallback, a thrust estimate plus two sigma
//! under [`BallisticParams::burnout_acc_mps2`] for [`BallisticParams::burnout_s`]
//! seconds of data time.
//! Terminal: descending below [`BallisticParams::terminal_alt_m`].
//!
//! Pure: no I/O, no clock, no randomness.

// Index loops read better than iterator chains for small fixed-size matrices.
#![allow(clippy::needless_range_loop)]

pub mod impact;

use biac_geo::earth::{
    air_density, drag, rk4_step, up_at, GravityModel, SiteFrame, SCALE_HEIGHT_M,
};
use biac_geo::{ecef_to_geodetic, geodetic_to_ecef};
use serde::{Deserialize, Serialize};

use crate::kf;
use crate::measure::wrap_angle;
use crate::motion::{nis, update_ekf};

pub type Vec7 = [f64; 7];
pub type Mat7 = [[f64; 7]; 7];

/// Index of the phase scalar in the state.
const S: usize = 6;
/// Weight of the past in [`Estimate`]'s innovation average (about six plots).
const SURPRISE_MEMORY: f64 = 0.7;
/// How long before a plot a thrust change may have happened, s (see `p_open`).
const OPEN_LAG_S: f64 = 3.0;
/// A plot's normalised innovation squared per degree of freedom above which a boost
/// track takes it as a thrust change (3-dof: d² > 9, 3 % of consistent plots).
const SURPRISE_PLOT: f64 = 3.0;
/// That average (per degree of freedom, 1 when consistent; its spread is about 0.35)
/// above which a free-flying track is taken to be thrusting again.
const THRUST_AGAIN: f64 = 3.0;
/// Most one plot adds to that average (two surprising plots in a row are needed).
const SURPRISE_CAP: f64 = 6.0;
/// Log likelihood ratio (coast over boost) past which the burnout detector declares the
/// thrust off: e⁶ ≈ 400 to 1 for no thrust.
const LLR_BURNOUT: f64 = 6.0;
/// Log likelihood ratio under which the no-thrust hypothesis is refuted (the missile
/// still thrusts) and restarted from the boost estimate.
const LLR_DROP: f64 = -3.0;
/// Fewest plots the no-thrust hypothesis must have explained before it is believed.
const COAST_MIN_PLOTS: u32 = 3;
/// How long after a declared burnout the boost hypothesis is still tested, s.
const REVERT_WINDOW_S: f64 = 60.0;

/// Flight phase of a ballistic track.
pub use biac_model::FlightPhase as Phase;

/// Tuning of the ballistic model (`TrackerConfig::ballistic`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BallisticParams {
    /// Random walk of the thrust acceleration in boost, m²/s⁵.
    pub q_boost: f64,
    /// White acceleration on every axis in boost, m²/s³: a pitch programme turns the
    /// thrust away from the velocity (tens of m/s² across it).
    pub q_boost_turn: f64,
    /// Steering of the thrust off the velocity in boost, one sigma, degrees: a pitch
    /// programme points the thrust up to 10–20° off the velocity late in the burn, an
    /// acceleration across the velocity of the thrust times its sine (15 m/s² at 70 m/s²)
    /// that persists for tens of seconds, which the white `q_boost_turn` cannot cover.
    pub boost_steer_deg: f64,
    /// Correlation time of that steering, s: it enters as the equivalent white noise
    /// `2 (s sin θ)² τ` across the velocity (a first-order Gauss–Markov acceleration).
    pub boost_steer_s: f64,
    /// Lowest effective exhaust velocity of a stage, m/s: the thrust acceleration `s` of
    /// a stage grows as its propellant burns, at `s²/v_e` (the rocket equation) —
    /// 4 m/s³ at the end of an ICBM's upper stage (s ≈ 115 m/s²), which the random walk
    /// `q_boost` cannot follow: the thrust estimate lags and the velocity along the track
    /// with it, and the hand-over passes that bias to the midcourse estimate.
    pub boost_exhaust_mps: f64,
    /// Time over which that growth counts, s: it enters as a random walk of the thrust
    /// `2 (s²/v_e)² τ`. The growth lasts the whole burn, but the filter remembers only
    /// a few seconds of plots, over which a ramp of rate `r` looks like a random walk of
    /// intensity `r²` times that memory: τ is of that size, not the burn's length
    /// (5 s: 30 s coverage 94 % in the Monte-Carlo; 10 s over-sized it to 99 %, 3 s
    /// 93 %).
    pub boost_growth_s: f64,
    /// White acceleration on every axis in every phase (what the model lacks: higher
    /// harmonics, the atmosphere's real profile), m²/s³.
    pub q_free: f64,
    /// Random walk of the inverse ballistic coefficient in terminal, (m²/kg)²/s.
    pub q_inv_beta: f64,
    /// One-sigma speed prior per axis of a track started from one plot, m/s.
    pub init_vel_sigma_mps: f64,
    /// One-sigma thrust-acceleration prior of a new track, m/s².
    pub init_acc_sigma_mps2: f64,
    /// Thrust estimate and its σ both below this for `burnout_s` seconds: burnout (a
    /// missile under thrust accelerates at 15 m/s² or more).
    pub burnout_acc_mps2: f64,
    pub burnout_s: f64,
    /// Descending below this height (m above the ellipsoid): terminal.
    pub terminal_alt_m: f64,
    /// Range of the (unknown) ballistic coefficient of re-entry vehicles, kg/m²: the
    /// prior of the terminal phase and of the impact prediction.
    pub beta_min: f64,
    pub beta_max: f64,
    /// Longest integration sub-step of a prediction, s (in midcourse above 150 km,
    /// where only gravity acts, steps of up to 20 s).
    pub max_step_s: f64,
    /// A ballistic track not updated for this long is reported as coasting, and deleted
    /// after `delete_after_ms` (a lofted shot flies tens of minutes beyond every radar's
    /// reach, predicted by the same physics) or once its prediction is on the ground.
    pub coast_after_ms: i64,
    pub delete_after_ms: i64,
    /// A ballistic track whose predicted one-sigma position error exceeds this is deleted.
    pub max_pos_sigma_m: f64,
}

impl Default for BallisticParams {
    fn default() -> Self {
        BallisticParams {
            q_boost: 1.0,
            q_boost_turn: 30.0,
            boost_steer_deg: 15.0,
            boost_steer_s: 10.0,
            boost_exhaust_mps: 2_500.0,
            boost_growth_s: 5.0,
            q_free: 1e-6,
            q_inv_beta: 1e-14,
            init_vel_sigma_mps: 3_000.0,
            init_acc_sigma_mps2: 30.0,
            burnout_acc_mps2: 5.0,
            burnout_s: 5.0,
            terminal_alt_m: 100_000.0,
            beta_min: 10_000.0,
            beta_max: 100_000.0,
            max_step_s: 2.0,
            coast_after_ms: 10_000,
            delete_after_ms: 90 * 60_000,
            max_pos_sigma_m: 100_000.0,
        }
    }
}

impl BallisticParams {
    /// Whether every value is usable (a configuration file is checked before use).
    pub fn is_valid(&self) -> bool {
        let pos = |x: f64| x.is_finite() && x > 0.0;
        [
            self.q_boost,
            self.q_boost_turn,
            self.boost_steer_s,
            self.boost_exhaust_mps,
            self.boost_growth_s,
            self.q_free,
            self.q_inv_beta,
            self.init_vel_sigma_mps,
            self.init_acc_sigma_mps2,
            self.burnout_acc_mps2,
            self.burnout_s,
            self.terminal_alt_m,
            self.beta_min,
            self.max_step_s,
            self.max_pos_sigma_m,
        ]
        .into_iter()
        .all(pos)
            && self.boost_steer_deg.is_finite()
            && (0.0..90.0).contains(&self.boost_steer_deg)
            && self.coast_after_ms > 0
            && self.delete_after_ms >= self.coast_after_ms
            && self.beta_max.is_finite()
            && self.beta_max >= self.beta_min
    }

    /// Prior of ln β: the log-uniform range's mean and standard deviation.
    pub fn ln_beta_prior(&self) -> (f64, f64) {
        let (lo, hi) = (self.beta_min.ln(), self.beta_max.ln());
        (0.5 * (lo + hi), ((hi - lo) / 12f64.sqrt()).max(1e-3))
    }
}

/// One 3-D radar plot in the sensor's own terms, its site frame precomputed.
#[derive(Clone, Debug)]
pub struct RadarPlot {
    pub site: SiteFrame,
    /// Slant range (m), azimuth (rad, clockwise from north), elevation (rad),
    /// range-rate (m/s; used when `has_rate`).
    pub z: [f64; 4],
    /// Their variances.
    pub var: [f64; 4],
    pub has_rate: bool,
}

impl RadarPlot {
    /// A plot from a radar at (`lat_deg`, `lon_deg`, `alt_m`); `None` unless the values
    /// are finite and the sigmas positive.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        site: (f64, f64, f64),
        range_m: f64,
        az_rad: f64,
        el_rad: f64,
        sigma: [f64; 3],
        rate: Option<(f64, f64)>,
    ) -> Option<RadarPlot> {
        let ok = |v: f64| v.is_finite();
        let pos = |v: f64| v.is_finite() && v > 0.0;
        if !(ok(site.0) && ok(site.1) && ok(site.2) && site.0.abs() <= 90.0) {
            return None;
        }
        if !(pos(range_m) && ok(az_rad) && ok(el_rad) && sigma.into_iter().all(pos)) {
            return None;
        }
        let (rr, srr) = rate.unwrap_or((0.0, 1.0));
        if !(ok(rr) && pos(srr)) {
            return None;
        }
        Some(RadarPlot {
            site: SiteFrame::new(site),
            z: [range_m, az_rad, el_rad, rr],
            var: [
                sigma[0] * sigma[0],
                sigma[1] * sigma[1],
                sigma[2] * sigma[2],
                srr * srr,
            ],
            has_rate: rate.is_some(),
        })
    }

    /// Degrees of freedom of the measurement (3, or 4 with range-rate).
    pub fn dof(&self) -> usize {
        3 + usize::from(self.has_rate)
    }

    /// The ECEF point the plot places the target at.
    pub fn point(&self) -> [f64; 3] {
        let [r, az, el, _] = self.z;
        let (sa, ca) = az.sin_cos();
        let (se, ce) = el.sin_cos();
        self.site.to_ecef([r * ce * sa, r * ce * ca, r * se])
    }

    /// Innovation and Jacobian of the first `M` measured quantities (range, azimuth,
    /// elevation, range-rate) at state `x`; `None` when the target is (nearly) above
    /// the antenna, where the azimuth is undefined.
    pub fn innovation<const M: usize>(&self, x: &Vec7) -> Option<([f64; M], [[f64; 7]; M])> {
        let f = &self.site;
        let d = [x[0] - f.origin[0], x[1] - f.origin[1], x[2] - f.origin[2]];
        let dot = |a: [f64; 3], b: [f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
        let (e, n, u) = (dot(d, f.east), dot(d, f.north), dot(d, f.up));
        let rh2 = e * e + n * n;
        let rh = rh2.sqrt();
        let r2 = rh2 + u * u;
        let r = r2.sqrt();
        if !(rh > 1.0 && r.is_finite()) {
            return None;
        }
        let to_ecef = |ge: f64, gn: f64, gu: f64| -> [f64; 3] {
            std::array::from_fn(|k| ge * f.east[k] + gn * f.north[k] + gu * f.up[k])
        };
        let mut h = [[0.0; 7]; M];
        let mut nu = [0.0; M];
        let rows: [([f64; 3], f64); 3] = [
            (to_ecef(e / r, n / r, u / r), self.z[0] - r),
            (
                to_ecef(n / rh2, -e / rh2, 0.0),
                wrap_angle(self.z[1] - e.atan2(n)),
            ),
            (
                to_ecef(-e * u / (r2 * rh), -n * u / (r2 * rh), rh / r2),
                self.z[2] - u.atan2(rh),
            ),
        ];
        for (k, (g, v)) in rows.into_iter().enumerate().take(M) {
            h[k][..3].copy_from_slice(&g);
            nu[k] = v;
        }
        if M > 3 {
            let v = [x[3], x[4], x[5]];
            let rr = dot(d, v) / r;
            for k in 0..3 {
                h[3][k] = (v[k] - rr * d[k] / r) / r;
                h[3][3 + k] = d[k] / r;
            }
            nu[3] = self.z[3] - rr;
        }
        Some((nu, h))
    }

    fn r<const M: usize>(&self) -> [[f64; M]; M] {
        let mut r = [[0.0; M]; M];
        for i in 0..M {
            r[i][i] = self.var[i];
        }
        r
    }
}

/// A ballistic track as the tracker shows it (see `Tracker::ballistic_tracks`).
#[derive(Clone, Debug, PartialEq)]
pub struct BallisticTrack {
    pub id: u64,
    /// Time of the estimate (the last update), ms.
    pub time_ms: biac_model::TimeMs,
    /// Time of the track's first plot, ms.
    pub created_ms: biac_model::TimeMs,
    pub status: biac_model::TrackStatus,
    pub estimate: Estimate,
    /// The first estimate with a known velocity and its time: the launch is
    /// back-propagated from it ([`impact::predict_launch`]).
    pub early: Option<(biac_model::TimeMs, Estimate)>,
    pub label: biac_model::Label,
}

/// One ballistic track's estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub x: Vec7,
    pub p: Mat7,
    pub phase: Phase,
    /// Seconds of data time the thrust has looked off (burnout detector).
    quiet_s: f64,
    /// Fading average of the normalised innovation squared per degree of freedom
    /// (about 1 while the model follows the missile): far above it after burnout, the
    /// missile is thrusting again (a later stage) and the phase goes back to boost.
    surprise: f64,
    /// In boost, after a prediction: the covariance the prediction would have with the
    /// thrust free to have changed by its own size at the start of the interval (a
    /// cut-off or staging). A plot that surprises the plain prediction is gated and
    /// applied with it, so the track follows the change instead of losing the missile.
    p_open: Option<Box<Mat7>>,
    /// The other flight hypothesis, filtered on the same plots (see [`Rival`]).
    rival: Option<Box<Rival>>,
    /// Length of the last prediction, s: the window in which a thrust cut may hide.
    last_dt_s: f64,
    /// In boost: the thrust estimate after the last plot the plain prediction explained
    /// (no thrust change) and the seconds since. After a cut the boost model flies on
    /// with thrust it no longer has until the plots pull it back: a no-thrust
    /// hypothesis started meanwhile carries that whole lag in its covariance.
    calm: (f64, f64),
}

/// The burnout detector: a sequential likelihood-ratio test of two models of the same
/// missile on the same plots. In boost, the rival is the no-thrust hypothesis (the
/// midcourse model since its start); once the log ratio of its plots' likelihoods
/// (rival over own) passes [`LLR_BURNOUT`] the track takes the rival's estimate and
/// becomes midcourse, and when it falls under [`LLR_DROP`] (the missile still
/// thrusts) the rival restarts from the boost estimate. The coast estimate starts with
/// the velocity uncertainty of a thrust cut anywhere in the plot interval before its
/// start, so the midcourse covariance it hands over is honest about when the thrust
/// ended. For [`REVERT_WINDOW_S`] after the hand-over the roles swap: the boost
/// estimate flies on as the rival, and if it explains the plots better (a staging's
/// drop in thrust taken for a burnout) the track goes back to it, without losing the
/// missile.
#[derive(Clone, Debug, PartialEq)]
struct Rival {
    est: Estimate,
    llr: f64,
    plots: u32,
    age_s: f64,
}

/// Non-gravitational acceleration of the phase at `(p, v)` with scalar `s`.
#[inline]
fn extra_acc(phase: Phase, p: [f64; 3], v: [f64; 3], s: f64) -> [f64; 3] {
    let speed = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    match phase {
        Phase::Boost => {
            if speed < 1.0 {
                return [0.0; 3];
            }
            let k = s / speed;
            [k * v[0], k * v[1], k * v[2]]
        }
        Phase::Midcourse | Phase::Terminal => drag(p, v, s),
    }
}

/// Height above the ellipsoid of an ECEF point.
#[inline]
pub fn height(p: [f64; 3]) -> f64 {
    ecef_to_geodetic(p).2
}

/// `A` of `ẋ = A x` linearised at `x` in `phase` (gravity's gradient, Coriolis, and
/// the phase's force).
fn jacobian(model: &GravityModel, phase: Phase, x: &Vec7) -> Mat7 {
    let p = [x[0], x[1], x[2]];
    let v = [x[3], x[4], x[5]];
    let g = model.position_jacobian(p);
    let c = model.velocity_jacobian();
    let mut a = [[0.0; 7]; 7];
    for i in 0..3 {
        a[i][3 + i] = 1.0;
        for j in 0..3 {
            a[3 + i][j] = g[i][j];
            a[3 + i][3 + j] = c[i][j];
        }
    }
    let speed = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    if speed < 1.0 {
        return a;
    }
    let u = [v[0] / speed, v[1] / speed, v[2] / speed];
    match phase {
        Phase::Boost => {
            // s v/|v|: ∂/∂v = s (I − u uᵀ)/|v|, ∂/∂s = u.
            for i in 0..3 {
                for j in 0..3 {
                    let id = if i == j { 1.0 } else { 0.0 };
                    a[3 + i][3 + j] += x[S] * (id - u[i] * u[j]) / speed;
                }
                a[3 + i][S] = u[i];
            }
        }
        Phase::Midcourse | Phase::Terminal => {
            // −½ ρ(h) |v| v s: ∂/∂v = −½ρs(|v| I + v uᵀ), ∂/∂s = −½ρ|v|v,
            // ∂/∂p = −½|v| v s ρ'(h) upᵀ with ρ' = −ρ/H. No air 250 km over the
            // polar radius (the geodetic conversion is skipped, as in `drag`).
            let r = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
            if r > 6_356_752.0 + 250_000.0 {
                return a;
            }
            let rho = air_density(height(p));
            let up = up_at(p);
            for i in 0..3 {
                for j in 0..3 {
                    let id = if i == j { speed } else { 0.0 };
                    a[3 + i][3 + j] += -0.5 * rho * x[S] * (id + v[i] * u[j]);
                    a[3 + i][j] += 0.5 * speed * v[i] * x[S] * rho / SCALE_HEIGHT_M * up[j];
                }
                a[3 + i][S] = -0.5 * rho * speed * v[i];
            }
        }
    }
    a
}

impl Estimate {
    /// The estimate one plot gives: the point it places the target at with the beam's
    /// covariance (σ_r along the line of sight, r σ_az cos el and r σ_el across), speed
    /// unknown (zero, `init_vel_sigma_mps` per axis), thrust unknown; phase boost until
    /// the burnout detector says otherwise.
    pub fn from_plot(m: &RadarPlot, prm: &BallisticParams) -> Estimate {
        let [r, az, el, _] = m.z;
        let f = &m.site;
        let (sa, ca) = az.sin_cos();
        let (se, ce) = el.sin_cos();
        let col = |ge: f64, gn: f64, gu: f64| -> [f64; 3] {
            std::array::from_fn(|k| ge * f.east[k] + gn * f.north[k] + gu * f.up[k])
        };
        let cols = [
            col(ce * sa, ce * ca, se),
            col(r * ce * ca, -r * ce * sa, 0.0),
            col(-r * se * sa, -r * se * ca, r * ce),
        ];
        let mut p = [[0.0; 7]; 7];
        for (k, c) in cols.iter().enumerate() {
            for i in 0..3 {
                for j in 0..3 {
                    p[i][j] += m.var[k] * c[i] * c[j];
                }
            }
        }
        let pos = m.point();
        let mut x = [pos[0], pos[1], pos[2], 0.0, 0.0, 0.0, 0.0];
        let sv = prm.init_vel_sigma_mps * prm.init_vel_sigma_mps;
        for i in 3..6 {
            p[i][i] = sv;
        }
        p[S][S] = prm.init_acc_sigma_mps2 * prm.init_acc_sigma_mps2;
        if m.has_rate {
            // The range-rate gives the radial speed at once.
            if let Some((nu, h)) = m.innovation::<4>(&x) {
                let (nu1, h1) = ([nu[3]], [h[3]]);
                if let Some(u) = update_ekf(&x, &p, &nu1, &h1, &[[m.var[3]]]) {
                    (x, p) = (u.x, u.p);
                }
            }
        }
        Estimate {
            x,
            p,
            phase: Phase::Boost,
            quiet_s: 0.0,
            surprise: 1.0,
            p_open: None,
            rival: None,
            last_dt_s: 0.0,
            calm: (0.0, 0.0),
        }
    }

    /// A state given directly (tests, benches): `x`, `p` in `phase`.
    pub fn new(x: Vec7, p: Mat7, phase: Phase) -> Estimate {
        Estimate {
            x,
            p,
            phase,
            quiet_s: 0.0,
            surprise: 1.0,
            p_open: None,
            rival: None,
            last_dt_s: 0.0,
            calm: (0.0, 0.0),
        }
    }

    /// Length of the prediction that made this estimate, s (on a prediction for
    /// gating: how long the track has gone without a plot).
    pub fn predicted_s(&self) -> f64 {
        self.last_dt_s
    }

    pub fn position(&self) -> [f64; 3] {
        [self.x[0], self.x[1], self.x[2]]
    }

    pub fn velocity(&self) -> [f64; 3] {
        [self.x[3], self.x[4], self.x[5]]
    }

    /// The estimate `dt` seconds ahead (`dt` may be negative: back-propagation of the
    /// mean and covariance alike; the phase does not change).
    pub fn predict(&self, dt: f64, prm: &BallisticParams) -> Estimate {
        let model = GravityModel::FULL;
        let mut out = self.clone();
        if dt == 0.0 || !dt.is_finite() {
            return out;
        }
        let mut open = (out.phase == Phase::Boost && dt > 0.0).then(|| {
            let mut p = match &self.p_open {
                Some(p) => **p,
                None => self.p,
            };
            // The thrust may have changed by its own size, up to OPEN_LAG_S ago (the
            // change shows in the plots only once the track lags): the velocity along
            // the track is then off by up to that thrust times the lag.
            let a = self.x[S];
            p[S][S] += a * a;
            let v = self.velocity();
            let speed = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt().max(1.0);
            let k = (a * OPEN_LAG_S / speed).powi(2);
            for i in 0..3 {
                for j in 0..3 {
                    p[3 + i][3 + j] += k * v[i] * v[j];
                }
            }
            p
        });
        let mut left = dt.abs();
        while left > 0.0 {
            let longest = if out.phase == Phase::Midcourse && out.height() > 150_000.0 {
                prm.max_step_s.max(20.0)
            } else {
                prm.max_step_s
            };
            // Equal sub-steps over what is left (no sliver of a step at the end).
            let n = (left / longest).ceil().max(1.0);
            let h = dt.signum() * left / n;
            left = if n <= 1.0 { 0.0 } else { left - h.abs() };
            let (x1, phi) = step(&model, out.phase, &out.x, h);
            out.x = x1;
            let prop = |p: &Mat7| {
                let mut pn = kf::matmul(&kf::matmul(&phi, p), &kf::transpose(&phi));
                add_process_noise(&mut pn, h.abs(), out.phase, &out.x, prm);
                kf::symmetrize(&mut pn);
                pn
            };
            out.p = prop(&out.p);
            if let Some(po) = &mut open {
                *po = prop(po);
            }
        }
        out.p_open = open.map(Box::new);
        if out.phase == Phase::Boost && dt > 0.0 {
            out.quiet_s += dt;
        }
        if let Some(c) = &mut out.rival {
            c.est = c.est.predict(dt, prm);
            c.age_s += dt;
        }
        out.last_dt_s = dt.abs();
        out.calm.1 += dt.abs();
        out
    }

    /// The position `dt` seconds ahead, mean only (long steps: deletion checks).
    pub fn position_at(&self, dt: f64) -> [f64; 3] {
        let model = GravityModel::FULL;
        let (mut p, mut v) = (self.position(), self.velocity());
        let (phase, s) = (self.phase, self.x[S]);
        let mut left = dt.abs();
        while left > 0.0 && dt.is_finite() {
            let step: f64 = if phase == Phase::Midcourse && height(p) > 150_000.0 {
                20.0
            } else {
                1.0
            };
            let h = step.min(left);
            (p, v) = rk4_step(&model, p, v, dt.signum() * h, |_, p, v| {
                extra_acc(phase, p, v, s)
            });
            left -= h;
        }
        p
    }

    /// Squared Mahalanobis distance and ln det S of plot `m` against this
    /// (predicted) estimate, with the plot's degrees of freedom.
    /// The plot is the missile's if either hypothesis (thrust changed or cut; own or
    /// rival) explains it: the nearer counts.
    pub fn gate(&self, m: &RadarPlot) -> Option<(f64, f64)> {
        let plain = self.gate_with(&self.p, m)?;
        let boost = match &self.p_open {
            Some(po) if plain.0 / m.dof() as f64 > SURPRISE_PLOT => self.gate_with(po, m),
            _ => Some(plain),
        };
        let coast = self
            .rival
            .as_ref()
            .filter(|_| plain.0 / m.dof() as f64 > SURPRISE_PLOT)
            .and_then(|c| c.est.gate(m));
        match (boost, coast) {
            (Some(b), Some(c)) if c.0 < b.0 => Some(c),
            (None, c) => c,
            (b, _) => b,
        }
    }

    fn gate_with(&self, p: &Mat7, m: &RadarPlot) -> Option<(f64, f64)> {
        fn go<const M: usize>(x: &Vec7, p: &Mat7, m: &RadarPlot) -> Option<(f64, f64)> {
            let (nu, h) = m.innovation::<M>(x)?;
            let mut s = kf::matmul(&h, &kf::matmul(p, &kf::transpose(&h)));
            for i in 0..M {
                s[i][i] += m.var[i];
            }
            kf::symmetrize(&mut s);
            nis(&s, &nu)
        }
        if m.has_rate {
            go::<4>(&self.x, p, m)
        } else {
            go::<3>(&self.x, p, m)
        }
    }

    /// EKF update of this (predicted) estimate with plot `m`, then the phase logic;
    /// `None` if the update fails numerically.
    pub fn update(&self, m: &RadarPlot, prm: &BallisticParams) -> Option<Estimate> {
        let (mut out, lik) = self.absorb(m)?;
        out.test_rival(m, lik, prm);
        out.advance_phase(prm);
        Some(out)
    }

    /// The update without the phase logic: the updated estimate (its rival untouched)
    /// and the plot's log likelihood. In boost a surprising plot is taken with the
    /// covariance open to a thrust change.
    fn absorb(&self, m: &RadarPlot) -> Option<(Estimate, f64)> {
        let mut prior = self.clone();
        // A thrust change (staging, cut-off) shows as a surprising plot first.
        let calm = self.phase != Phase::Boost
            || self
                .gate_with(&self.p, m)
                .is_none_or(|(d2, _)| d2 / m.dof() as f64 <= SURPRISE_PLOT);
        if let (false, Some(po)) = (calm, &self.p_open) {
            prior.p = **po;
        }
        prior.p_open = None;
        let (x, p, nis, lik) = prior.filter(m)?;
        // One plot counts at most SURPRISE_CAP: a single outlier (or the first plot
        // after an hour beyond every radar's reach) is not a thrust.
        let surprise =
            SURPRISE_MEMORY * self.surprise + (1.0 - SURPRISE_MEMORY) * nis.min(SURPRISE_CAP);
        let mut out = Estimate {
            x,
            p,
            surprise,
            ..prior
        };
        if calm {
            out.calm = (out.x[S], 0.0);
        }
        Some((out, lik))
    }

    /// The EKF update alone: state, covariance, NIS per degree of freedom and the plot's
    /// log likelihood.
    fn filter(&self, m: &RadarPlot) -> Option<(Vec7, Mat7, f64, f64)> {
        fn go<const M: usize>(e: &Estimate, m: &RadarPlot) -> Option<(Vec7, Mat7, f64, f64)> {
            let (nu, h) = m.innovation::<M>(&e.x)?;
            let u = update_ekf(&e.x, &e.p, &nu, &h, &m.r::<M>())?;
            Some((u.x, u.p, u.d2 / M as f64, u.log_lik))
        }
        if m.has_rate {
            go::<4>(self, m)
        } else {
            go::<3>(self, m)
        }
    }

    /// The detector's step on plot `m`, which this estimate explained with log
    /// likelihood `lik`: the rival takes the plot and the ratio moves. In boost a
    /// refuted (or absent) rival restarts from this (updated) estimate; after burnout
    /// the rival is dropped once the window is over.
    fn test_rival(&mut self, m: &RadarPlot, lik: f64, prm: &BallisticParams) {
        let tested = self.rival.take().and_then(|c| {
            let (est, lik_r) = c.est.absorb(m)?;
            Some(Rival {
                est,
                llr: c.llr + lik_r - lik,
                plots: c.plots + 1,
                age_s: c.age_s,
            })
        });
        self.rival = match self.phase {
            Phase::Boost => Some(Box::new(
                tested
                    .filter(|c| c.llr > LLR_DROP)
                    .unwrap_or_else(|| self.coast_start(prm)),
            )),
            // The boost model right after the hand-over explains the plots worse than
            // the coast did (that is why it lost): it is kept the whole window, its
            // ratio free to recover while a staging's thrust shows.
            Phase::Midcourse => tested.filter(|c| c.age_s <= REVERT_WINDOW_S).map(Box::new),
            Phase::Terminal => None,
        };
    }

    /// The no-thrust hypothesis started from this boost estimate: the thrust may have
    /// been cut any time since the last calm plot (or the previous plot), while this
    /// estimate still flew it, so velocity and position along the track carry the error
    /// that leaves (thrust `a`, the larger of now and then, cut `τ ~ U(0, L)` ago:
    /// velocity `aτ`, position `aτ²/2`).
    fn coast_start(&self, prm: &BallisticParams) -> Rival {
        let mut est = Estimate::new(self.x, self.p, Phase::Midcourse);
        est.pin_drag_prior(prm);
        let a = self.x[S].abs().max(self.calm.0.abs());
        let v = self.velocity();
        let speed = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        if speed > 1.0 {
            let u = [v[0] / speed, v[1] / speed, v[2] / speed];
            let l = self.calm.1.max(self.last_dt_s).min(2.0 * OPEN_LAG_S);
            let (vv, pv, pp) = (
                a * a * l * l / 3.0,
                a * a * l * l * l / 8.0,
                a * a * l.powi(4) / 20.0,
            );
            for i in 0..3 {
                for j in 0..3 {
                    let uu = u[i] * u[j];
                    est.p[i][j] += pp * uu;
                    est.p[i][3 + j] += pv * uu;
                    est.p[3 + i][j] += pv * uu;
                    est.p[3 + i][3 + j] += vv * uu;
                }
            }
        }
        Rival {
            est,
            llr: 0.0,
            plots: 0,
            age_s: 0.0,
        }
    }

    /// Burnout and re-entry detection after an update.
    fn advance_phase(&mut self, prm: &BallisticParams) {
        match self.phase {
            Phase::Boost if self.coast_wins(prm) => {
                let c = self.rival.take().expect("tested");
                let boost = std::mem::replace(
                    self,
                    Estimate {
                        surprise: 1.0,
                        ..c.est
                    },
                );
                self.rival = Some(Box::new(Rival {
                    est: boost,
                    llr: 0.0,
                    plots: 0,
                    age_s: 0.0,
                }));
            }
            Phase::Midcourse
                if self
                    .rival
                    .as_ref()
                    .is_some_and(|c| c.plots >= COAST_MIN_PLOTS && c.llr > LLR_BURNOUT) =>
            {
                // Still thrusting (a staging taken for burnout): back to the boost model.
                let c = self.rival.take().expect("tested");
                *self = Estimate {
                    surprise: 1.0,
                    quiet_s: 0.0,
                    ..c.est
                };
            }
            Phase::Boost => {
                let off = self.x[S] < prm.burnout_acc_mps2
                    && self.p[S][S].max(0.0).sqrt() < prm.burnout_acc_mps2;
                if !off {
                    self.quiet_s = 0.0;
                } else if self.quiet_s >= prm.burnout_s {
                    self.phase = Phase::Midcourse;
                    self.rival = None;
                    self.condition_no_thrust();
                    self.pin_drag_prior(prm);
                }
            }
            Phase::Midcourse if self.surprise > THRUST_AGAIN && self.climb() > 0.0 => {
                // Thrust after the detected burnout (a later stage): boost again.
                self.phase = Phase::Boost;
                self.rival = None;
                self.quiet_s = 0.0;
                self.surprise = 1.0;
                self.pin_scalar(0.0, prm.init_acc_sigma_mps2);
            }
            Phase::Midcourse => {
                let p = self.position();
                let descending = {
                    let up = up_at(p);
                    up[0] * self.x[3] + up[1] * self.x[4] + up[2] * self.x[5] < 0.0
                };
                if descending && height(p) < prm.terminal_alt_m {
                    // The drag model flies on: only the name of the phase changes.
                    self.phase = Phase::Terminal;
                    self.rival = None;
                }
            }
            Phase::Terminal => {}
        }
    }

    /// Whether the no-thrust hypothesis has won: its likelihood ratio while the boost
    /// model's own thrust estimate allows a cut (within two sigma of under
    /// `burnout_acc_mps2`: early in a track the loose boost model loses the ratio to
    /// a missile it has not yet learnt to thrust), or a descent (a ballistic missile
    /// thrusts only while it climbs).
    fn coast_wins(&self, prm: &BallisticParams) -> bool {
        let Some(c) = &self.rival else {
            return false;
        };
        let cut = self.x[S] - 2.0 * self.p[S][S].max(0.0).sqrt() < prm.burnout_acc_mps2;
        if c.plots >= COAST_MIN_PLOTS && c.llr > LLR_BURNOUT && cut {
            return true;
        }
        let up = up_at(self.position());
        let var: f64 = (0..3)
            .map(|i| {
                (0..3)
                    .map(|j| up[i] * self.p[3 + i][3 + j] * up[j])
                    .sum::<f64>()
            })
            .sum();
        c.plots >= COAST_MIN_PLOTS && self.climb() < -3.0 * var.max(0.0).sqrt()
    }

    /// Vertical speed, m/s (positive climbing).
    fn climb(&self) -> f64 {
        let up = up_at(self.position());
        up[0] * self.x[3] + up[1] * self.x[4] + up[2] * self.x[5]
    }

    /// Condition the estimate on "no thrust" (the scalar exactly 0): the Gaussian
    /// conditional, so the position and velocity move with their correlation to the
    /// thrust estimate instead of keeping what a thrust of that size would have implied.
    fn condition_no_thrust(&mut self) {
        let pss = self.p[S][S];
        if pss > 0.0 {
            let g: [f64; 7] = std::array::from_fn(|i| self.p[i][S] / pss);
            let s = self.x[S];
            for i in 0..7 {
                self.x[i] -= g[i] * s;
            }
            let col: [f64; 7] = std::array::from_fn(|i| self.p[i][S]);
            for i in 0..7 {
                for j in 0..7 {
                    self.p[i][j] -= g[i] * col[j];
                }
            }
            kf::symmetrize(&mut self.p);
        }
        self.pin_scalar(0.0, 0.0);
    }

    /// The scalar as the prior of 1/β, linearised around exp(−mean ln β).
    fn pin_drag_prior(&mut self, prm: &BallisticParams) {
        let (m, s) = prm.ln_beta_prior();
        let inv = (-m).exp();
        self.pin_scalar(inv, inv * s);
    }

    /// Set the phase scalar to `value` with standard deviation `sigma`, uncorrelated.
    fn pin_scalar(&mut self, value: f64, sigma: f64) {
        self.x[S] = value;
        for i in 0..7 {
            self.p[i][S] = 0.0;
            self.p[S][i] = 0.0;
        }
        self.p[S][S] = sigma * sigma;
    }

    /// Height above the ellipsoid, m.
    pub fn height(&self) -> f64 {
        height(self.position())
    }

    /// (lat°, lon°, h) of the position.
    pub fn geodetic(&self) -> (f64, f64, f64) {
        ecef_to_geodetic(self.position())
    }
}

/// One sub-step of `h` seconds: the mean by RK4 and the transition matrix, with `A`
/// averaged over the step's ends (trapezoid: the drag's coefficient changes by a fifth
/// over one second of re-entry).
fn step(model: &GravityModel, phase: Phase, x: &Vec7, h: f64) -> (Vec7, Mat7) {
    let s = x[S];
    let (p1, v1) = rk4_step(
        model,
        [x[0], x[1], x[2]],
        [x[3], x[4], x[5]],
        h,
        |_, p, v| extra_acc(phase, p, v, s),
    );
    let x1 = [p1[0], p1[1], p1[2], v1[0], v1[1], v1[2], s];
    let (a0, a1) = (jacobian(model, phase, x), jacobian(model, phase, &x1));
    let a: Mat7 = std::array::from_fn(|i| std::array::from_fn(|j| 0.5 * (a0[i][j] + a1[i][j])));
    (x1, transition(&a, h))
}

/// `exp(A h)` to third order (exact for the kinematic chain; gravity's terms are
/// 10⁻⁶ s⁻² h²).
fn transition(a: &Mat7, h: f64) -> Mat7 {
    let a2 = kf::matmul(a, a);
    let a3 = kf::matmul(&a2, a);
    let mut phi = [[0.0; 7]; 7];
    for i in 0..7 {
        for j in 0..7 {
            phi[i][j] = a[i][j] * h + a2[i][j] * h * h / 2.0 + a3[i][j] * h * h * h / 6.0;
        }
        phi[i][i] += 1.0;
    }
    phi
}

/// Discrete process noise of one sub-step of `h` seconds: white acceleration `q_free`
/// on every axis (and `q_boost_turn` in boost), the phase scalar's random walk, and in
/// boost the thrust's steering off the velocity (see [`BallisticParams::boost_steer_deg`])
/// on the two axes across the velocity of `x` and its growth (see
/// [`BallisticParams::boost_exhaust_mps`]).
fn add_process_noise(p: &mut Mat7, h: f64, phase: Phase, x: &Vec7, prm: &BallisticParams) {
    let q = prm.q_free
        + if phase == Phase::Boost {
            prm.q_boost_turn
        } else {
            0.0
        };
    for i in 0..3 {
        p[i][i] += q * h * h * h / 3.0;
        p[i][3 + i] += q * h * h / 2.0;
        p[3 + i][i] += q * h * h / 2.0;
        p[3 + i][3 + i] += q * h;
    }
    let v = [x[3], x[4], x[5]];
    let speed = || (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    if phase == Phase::Boost && x[S] > 0.0 && speed() > 1.0 {
        let speed = speed();
        let side = x[S].max(0.0) * prm.boost_steer_deg.to_radians().sin();
        let q = 2.0 * side * side * prm.boost_steer_s;
        let u = [v[0] / speed, v[1] / speed, v[2] / speed];
        for i in 0..3 {
            for j in 0..3 {
                let across = q * (f64::from(u8::from(i == j)) - u[i] * u[j]);
                p[i][j] += across * h * h * h / 3.0;
                p[i][3 + j] += across * h * h / 2.0;
                p[3 + i][j] += across * h * h / 2.0;
                p[3 + i][3 + j] += across * h;
            }
        }
    }
    match phase {
        Phase::Boost => {
            let rate = x[S].max(0.0).powi(2) / prm.boost_exhaust_mps;
            p[S][S] += (prm.q_boost + 2.0 * rate * rate * prm.boost_growth_s) * h;
        }
        Phase::Midcourse | Phase::Terminal => p[S][S] += prm.q_inv_beta * h,
    }
}

/// The ECEF position of geodetic (`lat_deg`, `lon_deg`, `h`).
pub fn ecef(lat_deg: f64, lon_deg: f64, h: f64) -> [f64; 3] {
    geodetic_to_ecef(lat_deg, lon_deg, h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use biac_geo::earth::aer_of;

    #[test]
    fn innovation_jacobian_matches_finite_differences() {
        let site = (40.89, 140.33, 50.0);
        let target = geodetic_to_ecef(39.0, 132.0, 400_000.0);
        let (r, az, el) = aer_of(site, target);
        let m = RadarPlot::new(
            site,
            r,
            az.to_radians(),
            el.to_radians(),
            [20.0, 1e-3, 1e-3],
            Some((-1500.0, 5.0)),
        )
        .unwrap();
        let x = [target[0], target[1], target[2], 1500.0, -2500.0, 800.0, 0.0];
        let (_, h) = m.innovation::<4>(&x).unwrap();
        for j in 0..6 {
            let step = if j < 3 { 1.0 } else { 0.1 };
            let (mut xp, mut xm) = (x, x);
            xp[j] += step;
            xm[j] -= step;
            let (nu1, _) = m.innovation::<4>(&xp).unwrap();
            let (nu2, _) = m.innovation::<4>(&xm).unwrap();
            for i in 0..4 {
                // ν = z − h(x): dν/dx = −H (central differences).
                let num = -(nu1[i] - nu2[i]) / (2.0 * step);
                let tol = 1e-6 * h[i][j].abs() + 1e-10;
                assert!((num - h[i][j]).abs() < tol, "{i},{j}: {num} {}", h[i][j]);
            }
        }
        // The plot's own point has zero innovation in range and angles.
        let pt = m.point();
        let (nu, _) = m
            .innovation::<3>(&[pt[0], pt[1], pt[2], 0.0, 0.0, 0.0, 0.0])
            .unwrap();
        assert!(nu[0].abs() < 1e-6 && nu[1].abs() < 1e-12 && nu[2].abs() < 1e-12);
    }

    #[test]
    fn transition_matches_propagated_differences() {
        // The linearised transition against differences of the propagated mean, for
        // each phase's model.
        let prm = BallisticParams::default();
        for (phase, s, h) in [
            (Phase::Midcourse, 0.0, 300_000.0),
            (Phase::Boost, 40.0, 60_000.0),
            (Phase::Terminal, 1.0 / 20_000.0, 30_000.0),
        ] {
            let p = geodetic_to_ecef(38.0, 130.0, h);
            let x = [p[0], p[1], p[2], 2000.0, 1000.0, -1500.0, s];
            let e = Estimate::new(x, [[0.0; 7]; 7], phase);
            let (_, phi) = step(&GravityModel::FULL, phase, &x, 1.0);
            // Re-entry: the air density changes by a fifth within the second, which a
            // transition from the step's ends follows to a few per cent (a wrong sign or
            // term is off by 100 %).
            let tol = if phase == Phase::Terminal { 0.05 } else { 5e-3 };
            let base = e.predict(1.0, &prm).x;
            for j in 0..7 {
                let step = [
                    10.0,
                    10.0,
                    10.0,
                    1.0,
                    1.0,
                    1.0,
                    if j == 6 { s * 1e-3 + 1e-7 } else { 0.0 },
                ][j];
                let mut xp = x;
                xp[j] += step;
                let moved = Estimate::new(xp, [[0.0; 7]; 7], phase).predict(1.0, &prm).x;
                for i in 0..6 {
                    let num = (moved[i] - base[i]) / step;
                    assert!(
                        (num - phi[i][j]).abs() < tol * phi[i][j].abs().max(0.05),
                        "{phase:?} {i},{j}: {num} {}",
                        phi[i][j]
                    );
                }
            }
        }
    }
}
