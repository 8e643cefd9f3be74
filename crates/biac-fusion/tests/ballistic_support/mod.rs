//! Ballistic test scenes: free-flight arcs under the shared Earth model
//! (`biac_geo::earth::rk4_step`, the one physics of truth and tracker; re-entry drag
//! with a ballistic coefficient the tracker does not know), radars at the issue's
//! sites, and their noisy range/azimuth/elevation plots.
#![allow(dead_code)]

use biac_geo::earth::{aer_of, air_density, rk4_step, GravityModel};
use biac_geo::{ecef_to_geodetic, geodetic_to_ecef, EnuFrame};
use biac_model::{
    Classification, Domain, Elevation, Label, Nation, Observation, PolarMeasurement, Position,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Truth sample period, s.
pub const DT: f64 = 0.1;

#[derive(Clone, Debug)]
pub struct Radar {
    pub name: &'static str,
    pub site: (f64, f64, f64),
    pub max_range_m: f64,
    pub min_el_deg: f64,
    pub sigma_r: f64,
    pub sigma_ang: f64,
    /// First plot time offset within each second, s (multiples of DT).
    pub offset_s: f64,
    pub period_s: f64,
}

pub fn radars(sigma_r: f64, sigma_ang: f64) -> Vec<Radar> {
    let r = |name, site, max_range_m, offset_s| Radar {
        name,
        site,
        max_range_m,
        min_el_deg: 0.5,
        sigma_r,
        sigma_ang,
        offset_s,
        period_s: 1.0,
    };
    vec![
        r("green-pine", (35.9, 128.2, 100.0), 800e3, 0.0),
        r("tpy2-kyoga", (35.77, 135.20, 100.0), 1_500e3, 0.3),
        r("tpy2-shariki", (40.89, 140.33, 50.0), 1_500e3, 0.6),
    ]
}

/// A truth trajectory sampled every [`DT`]: (t, position, velocity).
pub struct Arc {
    pub t: Vec<f64>,
    pub p: Vec<[f64; 3]>,
    pub v: Vec<[f64; 3]>,
    /// Burnout index (end of the thrusting part; 0 for a free-flight arc).
    pub burnout: usize,
}

impl Arc {
    /// The last sample is the first at or below the ellipsoid (the impact).
    pub fn impact(&self) -> ([f64; 3], f64) {
        (*self.p.last().unwrap(), *self.t.last().unwrap())
    }
    pub fn at(&self, t: f64) -> usize {
        ((t / DT).round() as usize).min(self.t.len() - 1)
    }
}

/// Free flight from (`lat`, `lon`, `h`) with velocity (east, north, up) m/s, after
/// `boost_s` seconds of thrust `thrust` m/s² along the velocity; re-entry drag with
/// ballistic coefficient `beta` (kg/m²); until the ground.
pub fn arc(
    lat: f64,
    lon: f64,
    h: f64,
    v_enu: [f64; 3],
    boost_s: f64,
    thrust: f64,
    beta: f64,
) -> Arc {
    let boost = Boost {
        s: boost_s,
        thrust: (thrust, thrust),
        steer_deg: (0.0, 0.0),
        rocket: false,
    };
    arc_steered(lat, lon, h, v_enu, boost, beta)
}

/// A boost: `s` seconds of thrust growing linearly from `thrust.0` to `thrust.1` m/s²
/// (the propellant burns), pointed `steer_deg` (from `.0` to `.1`, linearly) off the
/// velocity in the vertical plane, positive above it — a pitch programme, as the
/// simulator's boosters fly (the tracker's boost model thrusts along the velocity).
#[derive(Clone, Copy, Debug)]
pub struct Boost {
    pub s: f64,
    pub thrust: (f64, f64),
    pub steer_deg: (f64, f64),
    /// The thrust grows as a stage's does (constant thrust, mass burnt at a constant
    /// rate: `a₀ / (1 − k t)`, steepest at the end) from `thrust.0` to `thrust.1`,
    /// instead of linearly.
    pub rocket: bool,
}

/// [`arc`] with a steered, growing thrust.
pub fn arc_steered(lat: f64, lon: f64, h: f64, v_enu: [f64; 3], boost: Boost, beta: f64) -> Arc {
    let boost_s = boost.s;
    let frame = EnuFrame::new(lat, lon);
    let p0 = geodetic_to_ecef(lat, lon, h);
    let o = frame.enu_to_ecef([0.0; 3]);
    let tip = frame.enu_to_ecef(v_enu);
    let v0 = [tip[0] - o[0], tip[1] - o[1], tip[2] - o[2]];
    let (mut p, mut v, mut t) = (p0, v0, 0.0);
    let mut a = Arc {
        t: vec![0.0],
        p: vec![p],
        v: vec![v],
        burnout: 0,
    };
    let m = GravityModel::FULL;
    loop {
        let thrusting = t < boost_s - 1e-9;
        // Thrust and steering held over each sample interval (the RK4 sees smooth forces).
        let frac = if boost_s > 0.0 { t / boost_s } else { 0.0 };
        let (a0, a1) = boost.thrust;
        let thrust = if boost.rocket && a1 > 0.0 {
            a0 / (1.0 - (1.0 - a0 / a1) * frac)
        } else {
            a0 + (a1 - a0) * frac
        };
        let steer =
            (boost.steer_deg.0 + (boost.steer_deg.1 - boost.steer_deg.0) * frac).to_radians();
        let sub = 4;
        for _ in 0..sub {
            (p, v) = rk4_step(&m, p, v, DT / sub as f64, |_, p, v| {
                let s = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
                let drag = -0.5 * air_density(ecef_to_geodetic(p).2) * s / beta;
                let mut a = [drag * v[0], drag * v[1], drag * v[2]];
                if thrusting && s > 1.0 {
                    let u = [v[0] / s, v[1] / s, v[2] / s];
                    // The up direction's part across the velocity: where the pitch
                    // programme turns the thrust.
                    let up = biac_geo::earth::up_at(p);
                    let k = up[0] * u[0] + up[1] * u[1] + up[2] * u[2];
                    let w = [up[0] - k * u[0], up[1] - k * u[1], up[2] - k * u[2]];
                    let wn = (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]).sqrt().max(1e-9);
                    let (ss, cs) = steer.sin_cos();
                    for i in 0..3 {
                        a[i] += thrust * (cs * u[i] + ss * w[i] / wn);
                    }
                }
                a
            });
        }
        t += DT;
        if thrusting && t >= boost_s - 1e-9 {
            a.burnout = a.t.len();
        }
        a.t.push(t);
        a.p.push(p);
        a.v.push(v);
        if ecef_to_geodetic(p).2 <= 0.0 || t > 4.0 * 3600.0 {
            break;
        }
    }
    a
}

/// One radar plot.
#[derive(Clone, Debug)]
pub struct Plot {
    pub t: f64,
    pub radar: usize,
    pub range: f64,
    pub az_rad: f64,
    pub el_rad: f64,
}

pub struct Noise(ChaCha8Rng);

impl Noise {
    pub fn new(seed: u64) -> Noise {
        Noise(ChaCha8Rng::seed_from_u64(seed))
    }
    /// Standard normal (Box–Muller).
    pub fn gauss(&mut self) -> f64 {
        let u1: f64 = self.0.random::<f64>().max(1e-300);
        let u2: f64 = self.0.random::<f64>();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.0.random::<f64>()
    }
}

/// The plots of `arc` by `radars` (in time order, above mask and within range).
pub fn plots(arc: &Arc, radars: &[Radar], noise: &mut Noise) -> Vec<Plot> {
    let mut out = Vec::new();
    for (k, t) in arc.t.iter().enumerate() {
        for (i, r) in radars.iter().enumerate() {
            let phase = ((t - r.offset_s) / r.period_s).rem_euclid(1.0);
            if (1e-6..=1.0 - 1e-6).contains(&phase) || *t < r.offset_s - 1e-9 {
                continue;
            }
            if k + 1 == arc.t.len() {
                continue;
            }
            let (range, az, el) = aer_of(r.site, arc.p[k]);
            if range > r.max_range_m || el < r.min_el_deg {
                continue;
            }
            out.push(Plot {
                t: *t,
                radar: i,
                range: range + r.sigma_r * noise.gauss(),
                az_rad: az.to_radians() + r.sigma_ang * noise.gauss(),
                el_rad: el.to_radians() + r.sigma_ang * noise.gauss(),
            });
        }
    }
    out
}

/// A plot as the tracker's input: a 3-D radar plot, its converted position the point
/// the plot places the target at.
pub fn observation(p: &Plot, r: &Radar) -> Observation {
    let pt = biac_geo::point_at_aer(
        r.site,
        p.range,
        p.az_rad.to_degrees(),
        p.el_rad.to_degrees(),
    );
    let (lat, lon, h) = ecef_to_geodetic(pt);
    let label = Label::rel_to(
        Classification::Secret,
        Nation::USA,
        &[Nation::JPN, Nation::KOR],
    );
    let pos = Position {
        lat_deg: lat,
        lon_deg: lon,
        alt_m: Some(h),
    };
    let sigma = (p.range * r.sigma_ang).max(r.sigma_r);
    Observation::new((p.t * 1000.0).round() as i64, pos, sigma, "bmd", label)
        .with_domain(Domain::Air)
        .with_sensor(r.name)
        .with_polar(PolarMeasurement {
            sensor_position: Position {
                lat_deg: r.site.0,
                lon_deg: r.site.1,
                alt_m: Some(r.site.2),
            },
            sensor_velocity: None,
            range_m: p.range,
            range_sigma_m: r.sigma_r,
            azimuth_rad: p.az_rad,
            azimuth_sigma_rad: r.sigma_ang,
            range_rate_mps: None,
            range_rate_sigma_mps: None,
            ground_fix: false,
            elevation: Some(Elevation {
                rad: p.el_rad,
                sigma_rad: r.sigma_ang,
            }),
        })
}

/// Distance on the surface between two ECEF points' sub-points, m (chord of the
/// ground points: exact to metres at the errors tested here).
pub fn ground_dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (la, oa, _) = ecef_to_geodetic(a);
    let (lb, ob, _) = ecef_to_geodetic(b);
    let (pa, pb) = (geodetic_to_ecef(la, oa, 0.0), geodetic_to_ecef(lb, ob, 0.0));
    ((pa[0] - pb[0]).powi(2) + (pa[1] - pb[1]).powi(2) + (pa[2] - pb[2]).powi(2)).sqrt()
}
