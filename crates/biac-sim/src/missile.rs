//! Ballistic missile truth: a boost phase with a staged thrust profile and a pitch
//! programme, then free flight under the full Earth model (`GravityModel::FULL`: J2, the
//! rotating Earth-fixed frame), re-entry drag with a ballistic coefficient in the
//! exponential atmosphere, and impact at height 0 on the WGS84 ellipsoid.
//!
//! Invariants: pure and deterministic (no randomness here; the scenario draws its
//! perturbations before calling [`fly`]); the one integrator is `biac_geo::rk4_step` with a
//! fixed step, split at every thrust discontinuity (staging, cut-off) so that no RK4 step
//! straddles one. The state is ECEF position and velocity (the missile stands still on the
//! rotating Earth at launch). Drag acts on the re-entry vehicle after thrust cut-off only;
//! the booster's own drag is neglected (it changes the burnout state a little, which the
//! solver absorbs).

use biac_geo::earth::{drag, up_at, GravityModel};
use biac_geo::{bearing_deg, distance_m, ecef_to_geodetic, rk4_step, SiteFrame};

/// The fixed integration step of the truth (s).
pub const TRUTH_DT_S: f64 = 0.05;
/// Height below which a descending missile is in its terminal phase (the re-entry
/// interface), metres.
pub const TERMINAL_ALT_M: f64 = 100_000.0;
/// Flights longer than this never come down (orbit or runaway): [`fly`] gives up.
const MAX_FLIGHT_S: f64 = 3.0 * 3600.0;

/// One stage of a booster: constant thrust and mass flow for `burn_s`.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub thrust_n: f64,
    pub burn_s: f64,
    pub propellant_kg: f64,
    /// Structure dropped at the end of the stage's burn.
    pub dry_kg: f64,
}

/// A booster: stages fired back to back (no coast between them), the payload (the
/// re-entry vehicle that flies on), and the vertical rise before the pitch-over.
#[derive(Clone, Debug, PartialEq)]
pub struct Booster {
    pub stages: Vec<Stage>,
    pub payload_kg: f64,
    pub vertical_s: f64,
}

impl Booster {
    /// Burn time of all stages (s).
    pub fn total_burn_s(&self) -> f64 {
        self.stages.iter().map(|s| s.burn_s).sum()
    }

    /// The stage burning `tau` seconds after launch (`None` once all have burnt out).
    pub fn stage_at(&self, tau: f64) -> Option<usize> {
        let mut end = 0.0;
        for (i, s) in self.stages.iter().enumerate() {
            end += s.burn_s;
            if tau < end {
                return Some(i);
            }
        }
        None
    }

    /// Thrust (N) and mass (kg) of stage `i` burning at `tau` seconds after launch (the
    /// mass flow extended linearly past the stage's ends, so that an RK4 step ending on
    /// a staging sees the stage it integrates).
    pub fn thrust_and_mass_of(&self, i: usize, tau: f64) -> (f64, f64) {
        let start: f64 = self.stages[..i].iter().map(|s| s.burn_s).sum();
        let s = &self.stages[i];
        let above: f64 = self.stages[i + 1..]
            .iter()
            .map(|u| u.propellant_kg + u.dry_kg)
            .sum();
        let burnt = s.propellant_kg * ((tau - start) / s.burn_s);
        let mass = self.payload_kg + above + s.dry_kg + s.propellant_kg - burnt;
        (s.thrust_n, mass)
    }

    /// Thrust (N) and mass (kg) `tau` seconds after launch, before any cut-off.
    pub fn thrust_and_mass(&self, tau: f64) -> (f64, f64) {
        match self.stage_at(tau) {
            Some(i) => self.thrust_and_mass_of(i, tau),
            None => (0.0, self.payload_kg),
        }
    }

    /// Ideal velocity increment of the whole burn (rocket equation, m/s): a sanity figure.
    pub fn delta_v(&self) -> f64 {
        let mut dv = 0.0;
        for (i, s) in self.stages.iter().enumerate() {
            let above: f64 = self.stages[i + 1..]
                .iter()
                .map(|u| u.propellant_kg + u.dry_kg)
                .sum();
            let m0 = self.payload_kg + above + s.dry_kg + s.propellant_kg;
            let m1 = m0 - s.propellant_kg;
            let ve = s.thrust_n * s.burn_s / s.propellant_kg;
            dv += ve * (m0 / m1).ln();
        }
        dv
    }
}

/// How one missile is launched: where, when, which way, how hard.
#[derive(Clone, Debug, PartialEq)]
pub struct Launch {
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_m: f64,
    /// Launch time on the scenario clock (s).
    pub t_s: f64,
    /// Launch azimuth, degrees clockwise from true north.
    pub azimuth_deg: f64,
    /// Thrust elevation above the local horizontal at the end of the pitch programme:
    /// 90° during the vertical rise, then turning linearly in time to this by the end of
    /// the booster's full burn.
    pub pitch_end_deg: f64,
    /// Thrust cut-off, seconds after launch (≤ the booster's total burn): how the range
    /// or apogee is set without changing the booster.
    pub cutoff_s: f64,
    /// Ballistic coefficient of the re-entry vehicle, m/(Cd·A), kg/m².
    pub beta_kg_m2: f64,
}

/// Flight phase.
pub use biac_model::FlightPhase as Phase;

/// One integrated state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub t_s: f64,
    pub p: [f64; 3],
    pub v: [f64; 3],
}

/// A flown trajectory, launch to impact, and its key events (times on the scenario clock).
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    pub samples: Vec<Sample>,
    pub launch_t_s: f64,
    pub burnout_t_s: f64,
    pub apogee_t_s: f64,
    /// Greatest height above the ellipsoid (m).
    pub apogee_m: f64,
    pub impact_t_s: f64,
    /// Impact point (degrees) at height 0.
    pub impact_lat: f64,
    pub impact_lon: f64,
    /// Launch point (degrees, metres above the ellipsoid).
    pub launch_lat: f64,
    pub launch_lon: f64,
    pub launch_alt_m: f64,
}

/// Why a flight could not be computed.
#[derive(Clone, Debug, PartialEq)]
pub enum FlightError {
    /// Cut-off outside (0, total burn], a non-positive β, a booster without stages.
    BadParameters(String),
    /// Still airborne after three hours (orbital or escaping).
    NoImpact,
}

impl std::fmt::Display for FlightError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlightError::BadParameters(s) => write!(f, "bad launch parameters: {s}"),
            FlightError::NoImpact => write!(f, "no impact within {MAX_FLIGHT_S} s"),
        }
    }
}

impl std::error::Error for FlightError {}

fn norm(a: [f64; 3]) -> f64 {
    (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt()
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn unit(a: [f64; 3]) -> [f64; 3] {
    let n = norm(a);
    [a[0] / n, a[1] / n, a[2] / n]
}

/// Height above the ellipsoid; skips the geodetic conversion far above the atmosphere.
fn height(p: [f64; 3]) -> f64 {
    let r = norm(p);
    // Polar radius 6,356,752 m: above 250 km over it, every latitude is above 200 km.
    if r > 6_356_752.0 + 250_000.0 {
        return r - biac_geo::WGS84_A;
    }
    ecef_to_geodetic(p).2
}

/// Fly one missile from launch to impact under the full Earth model with the truth's
/// fixed step.
pub fn fly(booster: &Booster, launch: &Launch) -> Result<Trajectory, FlightError> {
    fly_in(&GravityModel::FULL, booster, launch, TRUTH_DT_S)
}

/// [`fly`] under another force model (the physics tests switch J2 and rotation off) or
/// with another fixed step (the solver uses a coarser one).
pub fn fly_in(
    model: &GravityModel,
    booster: &Booster,
    launch: &Launch,
    dt: f64,
) -> Result<Trajectory, FlightError> {
    let total = booster.total_burn_s();
    if booster.stages.is_empty()
        || !(launch.cutoff_s > booster.vertical_s && launch.cutoff_s <= total + 1e-9)
    {
        return Err(FlightError::BadParameters(format!(
            "cut-off {} s outside ({} s, {} s]",
            launch.cutoff_s, booster.vertical_s, total
        )));
    }
    if !(launch.beta_kg_m2.is_finite() && launch.beta_kg_m2 > 0.0 && dt.is_finite() && dt > 0.0) {
        return Err(FlightError::BadParameters(
            "β and the step must be > 0".into(),
        ));
    }
    let site = SiteFrame::new((launch.lat_deg, launch.lon_deg, launch.alt_m));
    let (sa, ca) = launch.azimuth_deg.to_radians().sin_cos();
    let heading0: [f64; 3] = std::array::from_fn(|i| ca * site.north[i] + sa * site.east[i]);
    // The launch plane, fixed in the Earth-fixed frame: thrust stays in it.
    let plane_normal = cross(site.up, heading0);
    let pitch_span = (total - booster.vertical_s).max(1e-9);
    let thrust_accel = |stage: usize, tau: f64, p: [f64; 3]| -> [f64; 3] {
        let (thrust, mass) = booster.thrust_and_mass_of(stage, tau);
        let frac = ((tau - booster.vertical_s) / pitch_span).clamp(0.0, 1.0);
        let pitch = (90.0 + (launch.pitch_end_deg - 90.0) * frac).to_radians();
        let up = up_at(p);
        let horiz = unit(cross(plane_normal, up));
        let (sp, cp) = pitch.sin_cos();
        let a = thrust / mass;
        std::array::from_fn(|i| a * (cp * horiz[i] + sp * up[i]))
    };
    // Thrust discontinuities: the step is split at each, so RK4 sees smooth forces.
    let mut events: Vec<f64> = Vec::new();
    let mut acc = 0.0;
    for s in &booster.stages {
        acc += s.burn_s;
        if acc < launch.cutoff_s {
            events.push(acc);
        }
    }
    events.push(launch.cutoff_s);

    let model = *model;
    let mut tau = 0.0;
    let mut p = site.origin;
    let mut v = [0.0; 3];
    let mut samples = vec![Sample {
        t_s: launch.t_s,
        p,
        v,
    }];
    let mut apogee_m = launch.alt_m;
    let mut apogee_tau = 0.0;
    let beta = launch.beta_kg_m2;
    // The force law of a step is the one in force at its middle: steps end on the
    // discontinuities, so an RK4 stage evaluated on a step's end still sees the thrust
    // (or the stage) the step integrates, not the one after it.
    let forces = |tau0: f64, step: f64| {
        let mid = tau0 + 0.5 * step;
        let stage = if mid < launch.cutoff_s {
            booster.stage_at(mid)
        } else {
            None
        };
        move |dt_off: f64, p: [f64; 3], v: [f64; 3]| match stage {
            Some(i) => thrust_accel(i, tau0 + dt_off, p),
            None => drag(p, v, 1.0 / beta),
        }
    };
    let mut next_event = 0;
    loop {
        let mut step = dt;
        if next_event < events.len() && tau + step >= events[next_event] - 1e-9 {
            step = events[next_event] - tau;
            next_event += 1;
        }
        let (np, nv) = rk4_step(&model, p, v, step, forces(tau, step));
        let h = height(np);
        if h < 0.0 && tau > booster.vertical_s {
            // Bisect the sub-step that lands exactly at height 0.
            let (mut lo, mut hi) = (0.0, step);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                let (mp, _) = rk4_step(&model, p, v, mid, forces(tau, mid));
                if height(mp) < 0.0 {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            let (ip, iv) = rk4_step(&model, p, v, hi, forces(tau, hi));
            tau += hi;
            samples.push(Sample {
                t_s: launch.t_s + tau,
                p: ip,
                v: iv,
            });
            let (ilat, ilon, _) = ecef_to_geodetic(ip);
            return Ok(Trajectory {
                samples,
                launch_t_s: launch.t_s,
                burnout_t_s: launch.t_s + launch.cutoff_s,
                apogee_t_s: launch.t_s + apogee_tau,
                apogee_m,
                impact_t_s: launch.t_s + tau,
                impact_lat: ilat,
                impact_lon: ilon,
                launch_lat: launch.lat_deg,
                launch_lon: launch.lon_deg,
                launch_alt_m: launch.alt_m,
            });
        }
        tau += step;
        p = np;
        v = nv;
        if h > apogee_m {
            apogee_m = h;
            apogee_tau = tau;
        }
        samples.push(Sample {
            t_s: launch.t_s + tau,
            p,
            v,
        });
        if tau > MAX_FLIGHT_S {
            return Err(FlightError::NoImpact);
        }
    }
}

impl Trajectory {
    /// Flight time, launch to impact (s).
    pub fn flight_s(&self) -> f64 {
        self.impact_t_s - self.launch_t_s
    }

    /// Ground range launch → impact along the ellipsoid (m).
    pub fn range_m(&self) -> f64 {
        distance_m(
            self.launch_lat,
            self.launch_lon,
            self.impact_lat,
            self.impact_lon,
        )
    }

    /// Bearing launch → impact (degrees).
    pub fn impact_bearing_deg(&self) -> f64 {
        bearing_deg(
            self.launch_lat,
            self.launch_lon,
            self.impact_lat,
            self.impact_lon,
        )
    }

    /// ECEF position and velocity at `t_s` (cubic Hermite between the two samples around
    /// it: exact to far below a millimetre at the truth's step), `None` before launch or
    /// after impact.
    pub fn state_at(&self, t_s: f64) -> Option<([f64; 3], [f64; 3])> {
        let first = self.samples.first()?;
        let last = self.samples.last()?;
        if !(t_s >= first.t_s && t_s <= last.t_s) {
            return None;
        }
        let i = self.samples.partition_point(|s| s.t_s <= t_s);
        if i >= self.samples.len() {
            return Some((last.p, last.v));
        }
        let (a, b) = (self.samples[i - 1], self.samples[i]);
        let h = b.t_s - a.t_s;
        if h <= 0.0 {
            return Some((a.p, a.v));
        }
        let s = (t_s - a.t_s) / h;
        let (s2, s3) = (s * s, s * s * s);
        let (h00, h10, h01, h11) = (
            2.0 * s3 - 3.0 * s2 + 1.0,
            s3 - 2.0 * s2 + s,
            -2.0 * s3 + 3.0 * s2,
            s3 - s2,
        );
        let (d00, d10, d01, d11) = (
            (6.0 * s2 - 6.0 * s) / h,
            3.0 * s2 - 4.0 * s + 1.0,
            (-6.0 * s2 + 6.0 * s) / h,
            3.0 * s2 - 2.0 * s,
        );
        let p = std::array::from_fn(|k| {
            h00 * a.p[k] + h10 * h * a.v[k] + h01 * b.p[k] + h11 * h * b.v[k]
        });
        let v = std::array::from_fn(|k| d00 * a.p[k] + d10 * a.v[k] + d01 * b.p[k] + d11 * b.v[k]);
        Some((p, v))
    }

    /// The phase at `t_s`: boost until thrust cut-off, terminal once past apogee and below
    /// [`TERMINAL_ALT_M`], midcourse between.
    pub fn phase_at(&self, t_s: f64, alt_m: f64) -> Phase {
        if t_s < self.burnout_t_s {
            Phase::Boost
        } else if t_s > self.apogee_t_s && alt_m < TERMINAL_ALT_M {
            Phase::Terminal
        } else {
            Phase::Midcourse
        }
    }
}

/// What a launch is solved for: the impact point and the apogee.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Aim {
    pub target_lat: f64,
    pub target_lon: f64,
    pub apogee_m: f64,
}

/// Find the azimuth, final pitch and cut-off that put `booster` from `launch`'s site on
/// `aim` (impact within ~1 km, apogee within ~1 km), starting from `launch`'s values.
/// Damped Newton on three parameters with finite-difference derivatives, each residual a
/// full flight at a 0.2 s step. Returns the solved launch and the largest residual (km
/// or, for the bearing, km across track).
pub fn solve_launch(
    booster: &Booster,
    launch: &Launch,
    aim: &Aim,
) -> Result<(Launch, f64), FlightError> {
    let dt = 0.2;
    let target_range = distance_m(
        launch.lat_deg,
        launch.lon_deg,
        aim.target_lat,
        aim.target_lon,
    );
    let target_bearing = bearing_deg(
        launch.lat_deg,
        launch.lon_deg,
        aim.target_lat,
        aim.target_lon,
    );
    let total = booster.total_burn_s();
    let clamp = |x: [f64; 3]| {
        [
            x[0],
            x[1].clamp(1.0, 89.9),
            x[2].clamp(booster.vertical_s + 1.0, total),
        ]
    };
    let with = |x: [f64; 3]| Launch {
        azimuth_deg: x[0],
        pitch_end_deg: x[1],
        cutoff_s: x[2],
        ..launch.clone()
    };
    // Residuals in km: across track, along track, apogee.
    let resid = |x: [f64; 3]| -> Result<[f64; 3], FlightError> {
        let tr = fly_in(&GravityModel::FULL, booster, &with(x), dt)?;
        let db = biac_geo::angle_diff(target_bearing, tr.impact_bearing_deg()).to_radians();
        Ok([
            db * target_range / 1e3,
            (tr.range_m() - target_range) / 1e3,
            (tr.apogee_m - aim.apogee_m) / 1e3,
        ])
    };
    let size = |r: [f64; 3]| r.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let mut x = clamp([launch.azimuth_deg, launch.pitch_end_deg, launch.cutoff_s]);
    let mut r = resid(x)?;
    for _ in 0..40 {
        if size(r) < 0.2 {
            break;
        }
        let steps = [0.05, 0.05, 0.2];
        let mut jac = [[0.0; 3]; 3];
        for j in 0..3 {
            let mut xj = x;
            xj[j] += steps[j];
            let rj = resid(clamp(xj))?;
            for i in 0..3 {
                jac[i][j] = (rj[i] - r[i]) / steps[j];
            }
        }
        let Some(dx) = solve3(jac, [-r[0], -r[1], -r[2]]) else {
            break;
        };
        // Damped: halve the step until the residual shrinks.
        let mut lambda = 1.0;
        let mut improved = false;
        for _ in 0..12 {
            let xn = clamp(std::array::from_fn(|k| x[k] + lambda * dx[k]));
            if let Ok(rn) = resid(xn) {
                if size(rn) < size(r) {
                    x = xn;
                    r = rn;
                    improved = true;
                    break;
                }
            }
            lambda *= 0.5;
        }
        if !improved {
            break;
        }
    }
    Ok((with(x), size(r)))
}

/// Solve the 3×3 system `a·x = b` (Cramer's rule); `None` when singular.
fn solve3(a: [[f64; 3]; 3], b: [f64; 3]) -> Option<[f64; 3]> {
    let det = |m: [[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(a);
    if d.abs() < 1e-12 || !d.is_finite() {
        return None;
    }
    let mut x = [0.0; 3];
    for (k, xk) in x.iter_mut().enumerate() {
        let mut m = a;
        for i in 0..3 {
            m[i][k] = b[i];
        }
        *xk = det(m) / d;
    }
    Some(x)
}
