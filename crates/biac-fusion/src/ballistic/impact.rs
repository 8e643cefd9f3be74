//! Impact and launch prediction of a ballistic track: pure functions of an estimate.
//!
//! **Impact.** The estimate's position, velocity and the log of the (unknown)
//! ballistic coefficient β are propagated to the ellipsoid (h = 0) as sigma points: 14
//! symmetric points `x ± √7 · Lᵢ` (L the Cholesky factor of the 7×7 covariance) under
//! [`GravityModel::FULL`] plus the drag `−½ ρ(h) |v| v / β` of the exponential
//! atmosphere, each to its own ground crossing; the impact point is their mean in the
//! tangent plane at the mean state's impact point, the 95 % ellipse their covariance
//! scaled by χ²₂(0.95) = 5.991, the time their mean. Re-entry drag is unknown to the
//! tracker until it is measured: ln β comes from the log-uniform prior
//! `[beta_min, beta_max]` (its mean and σ), or after burnout from the filter's own
//! estimate of 1/β when that is tighter, so the ellipse carries the drag's
//! uncertainty instead of ignoring it. Linearising minutes of flight underestimates
//! the spread along track; sigma points carry the curvature.
//!
//! **Launch.** Back-propagation of an early estimate: in boost, with the estimated
//! thrust acceleration held along the velocity (a gravity turn flown backwards) until
//! the missile is at rest or on the ground; after burnout, ballistic flight backwards
//! to the ground (which then lands behind the true launch point: the boost flew
//! higher and slower than a ballistic arc).

// Index loops read better than iterator chains for small fixed-size matrices.
#![allow(clippy::needless_range_loop)]

use biac_geo::earth::{drag, rk4_step, GravityModel};
use biac_geo::{ecef_to_geodetic, EnuFrame};

use super::{height, BallisticParams, Estimate, Phase, S};
use crate::motion::cholesky;

/// χ²₂ quantile at 0.95: a 2-D Gaussian's 95 % ellipse is `dᵀ C⁻¹ d ≤ 5.991`.
pub const CHI2_2_95: f64 = 5.991_464_547_107_98;

/// A predicted impact.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Impact {
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Seconds from the estimate's time to the impact.
    pub dt_s: f64,
    pub dt_sigma_s: f64,
    /// Covariance of the impact point, east/north metres at the impact point.
    pub cov_en: [[f64; 2]; 2],
    /// The 95 % ellipse: semi-axes (m) and the major axis' bearing, degrees clockwise
    /// from north in [0, 180).
    pub semi_major_m: f64,
    pub semi_minor_m: f64,
    pub major_bearing_deg: f64,
}

/// An estimated launch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Launch {
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Seconds from the estimate's time back to the launch (negative).
    pub dt_s: f64,
}

/// Longest flight followed, s (a lofted ICBM flies ~70 min).
const MAX_FLIGHT_S: f64 = 3.0 * 3600.0;

/// Step of the fall integration at height `h` and speed `speed`: long in vacuum (RK4's
/// error at 20 s on a 5,000 s orbit is millimetres), 5 s where the air is too thin to
/// matter (its drag is under 10⁻² m/s² above 80 km), 1 s below.
fn fall_step(h: f64, speed: f64) -> f64 {
    if h > 150_000.0 {
        ((h - 120_000.0) / speed.max(1.0)).clamp(1.0, 20.0)
    } else if h > 80_000.0 {
        ((h - 75_000.0) / speed.max(1.0)).clamp(1.0, 5.0)
    } else {
        1.0
    }
}

/// Propagate `(p, v)` with drag of ballistic coefficient `beta` (none if infinite) to
/// the ground, forward (`dir` = 1) or backward (−1): the crossing point and the
/// (signed) time, or `None` if it does not cross within [`MAX_FLIGHT_S`].
fn to_ground(
    p: [f64; 3],
    v: [f64; 3],
    beta: f64,
    dir: f64,
    extra: &dyn Fn([f64; 3], [f64; 3]) -> [f64; 3],
) -> Option<([f64; 3], f64)> {
    let model = GravityModel::FULL;
    let acc = |p: [f64; 3], v: [f64; 3]| {
        // 1/β = 0 for an infinite β: no drag.
        let d = drag(p, v, 1.0 / beta);
        let e = extra(p, v);
        [d[0] + e[0], d[1] + e[1], d[2] + e[2]]
    };
    let (mut p, mut v) = (p, v);
    let mut h = height(p);
    if !h.is_finite() {
        return None;
    }
    if h <= 0.0 {
        return Some((p, 0.0));
    }
    let mut t = 0.0;
    while t < MAX_FLIGHT_S {
        let speed = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        let dt = fall_step(h, speed);
        let (p1, v1) = rk4_step(&model, p, v, dir * dt, |_, p, v| acc(p, v));
        let h1 = height(p1);
        if !h1.is_finite() {
            return None;
        }
        if h1 <= 0.0 {
            // Secant on the step's length for the crossing (h is smooth over a step).
            let (mut a, mut ha, mut b, mut hb) = (0.0, h, dt, h1);
            let mut best = (p1, dt);
            for _ in 0..6 {
                let tau = a + (b - a) * ha / (ha - hb);
                let (pt, _) = rk4_step(&model, p, v, dir * tau, |_, p, v| acc(p, v));
                let ht = height(pt);
                best = (pt, tau);
                if ht.abs() < 0.01 {
                    break;
                }
                if ht > 0.0 {
                    (a, ha) = (tau, ht);
                } else {
                    (b, hb) = (tau, ht);
                }
            }
            return Some((best.0, dir * (t + best.1)));
        }
        (p, v, h) = (p1, v1, h1);
        t += dt;
    }
    None
}

/// The impact of estimate `e` (any phase; meaningful once the thrust is off), or
/// `None` if the covariance is not positive definite or the trajectory does not come
/// down within three hours.
pub fn predict_impact(e: &Estimate, prm: &BallisticParams) -> Option<Impact> {
    // State [p, v, ln β] and its covariance.
    let (mut m, mut s) = prm.ln_beta_prior();
    let mut cov = [[0.0; 7]; 7];
    for i in 0..6 {
        for j in 0..6 {
            cov[i][j] = e.p[i][j];
        }
    }
    let inv_beta = e.x[S];
    let inv_sigma = e.p[S][S].max(0.0).sqrt();
    let measured = e.phase != Phase::Boost && inv_beta > 0.0 && inv_sigma / inv_beta < s;
    if measured {
        // d ln β = −d(1/β) / (1/β): the filter's estimate with its correlations.
        m = -inv_beta.ln();
        s = inv_sigma / inv_beta;
        for i in 0..6 {
            cov[i][6] = -e.p[i][S] / inv_beta;
            cov[6][i] = cov[i][6];
        }
    }
    cov[6][6] = s * s;
    let l = cholesky(&cov)?;
    let mean = [e.x[0], e.x[1], e.x[2], e.x[3], e.x[4], e.x[5], m];
    let none = |_: [f64; 3], _: [f64; 3]| [0.0; 3];
    let fall = |x: &[f64; 7]| {
        to_ground(
            [x[0], x[1], x[2]],
            [x[3], x[4], x[5]],
            x[6].exp(),
            1.0,
            &none,
        )
    };
    let (centre, _) = fall(&mean)?;
    let (clat, clon, _) = ecef_to_geodetic(centre);
    let frame = EnuFrame::new(clat, clon);
    let k = 7f64.sqrt();
    let mut pts = [[0.0; 3]; 14];
    for c in 0..7 {
        for (sign, slot) in [(1.0, 2 * c), (-1.0, 2 * c + 1)] {
            let x: [f64; 7] = std::array::from_fn(|i| mean[i] + sign * k * l[i][c]);
            let (g, t) = fall(&x)?;
            let en = frame.ecef_to_en(g);
            pts[slot] = [en[0], en[1], t];
        }
    }
    let w = 1.0 / 14.0;
    let mu: [f64; 3] = std::array::from_fn(|i| pts.iter().map(|p| p[i]).sum::<f64>() * w);
    let mut c = [[0.0; 2]; 2];
    let mut vt = 0.0;
    for p in &pts {
        let d = [p[0] - mu[0], p[1] - mu[1]];
        for i in 0..2 {
            for j in 0..2 {
                c[i][j] += w * d[i] * d[j];
            }
        }
        vt += w * (p[2] - mu[2]).powi(2);
    }
    let (lat, lon) = frame.en_to_geodetic(mu[0], mu[1]);
    let (major, minor, bearing) = ellipse95(&c);
    Some(Impact {
        lat_deg: lat,
        lon_deg: lon,
        dt_s: mu[2],
        dt_sigma_s: vt.sqrt(),
        cov_en: c,
        semi_major_m: major,
        semi_minor_m: minor,
        major_bearing_deg: bearing,
    })
}

/// The 95 % ellipse of a 2-D east/north covariance: (semi-major, semi-minor, bearing of
/// the major axis in degrees clockwise from north, in [0, 180)).
pub fn ellipse95(c: &[[f64; 2]; 2]) -> (f64, f64, f64) {
    let (a, b, d) = (c[0][0], 0.5 * (c[0][1] + c[1][0]), c[1][1]);
    let mid = 0.5 * (a + d);
    let rad = (0.25 * (a - d) * (a - d) + b * b).sqrt();
    let (l1, l2) = (mid + rad, (mid - rad).max(0.0));
    // Eigenvector of l1: (b, l1 − a) or (l1 − d, b), whichever is better conditioned.
    let (ve, vn) = if (l1 - a).abs() + b.abs() > (l1 - d).abs() + b.abs() {
        (b, l1 - a)
    } else {
        (l1 - d, b)
    };
    let bearing = if ve == 0.0 && vn == 0.0 {
        0.0
    } else {
        ve.atan2(vn).to_degrees().rem_euclid(180.0)
    };
    ((CHI2_2_95 * l1).sqrt(), (CHI2_2_95 * l2).sqrt(), bearing)
}

/// Whether the point `(lat, lon)` lies inside the 95 % ellipse of `imp`.
pub fn inside95(imp: &Impact, lat_deg: f64, lon_deg: f64) -> bool {
    let frame = EnuFrame::new(imp.lat_deg, imp.lon_deg);
    let d = frame.ecef_to_en(biac_geo::geodetic_to_ecef(lat_deg, lon_deg, 0.0));
    crate::kf::mahalanobis2(d, &imp.cov_en).is_some_and(|(d2, _)| d2 <= CHI2_2_95)
}

/// The launch point and time estimated from `e` (an early estimate: in boost, its
/// thrust estimate is flown backwards along the velocity), or `None` if the
/// back-propagation does not reach the ground.
pub fn predict_launch(e: &Estimate) -> Option<Launch> {
    let p = e.position();
    let v = e.velocity();
    let thrust = if e.phase == Phase::Boost {
        e.x[S].max(0.0)
    } else {
        0.0
    };
    // Thrust along the velocity, flown backwards until the missile is (nearly) at rest:
    // then it rose from the point below it, from rest, at thrust minus gravity.
    let model = GravityModel::FULL;
    let (mut p, mut v, mut t) = (p, v, 0.0);
    if thrust > 0.0 {
        let dt = 0.5;
        loop {
            let speed = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            let h = height(p);
            if !h.is_finite() || t > 1_000.0 {
                return None;
            }
            if h <= 0.0 || speed < 100.0 {
                let (lat, lon, _) = ecef_to_geodetic(p);
                let net = (thrust - 9.8).max(1.0);
                let rise = (2.0 * h.max(0.0) / net).sqrt();
                return Some(Launch {
                    lat_deg: lat,
                    lon_deg: lon,
                    dt_s: -(t + rise),
                });
            }
            let push = |_: f64, _: [f64; 3], v: [f64; 3]| {
                let s = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt().max(1.0);
                [thrust * v[0] / s, thrust * v[1] / s, thrust * v[2] / s]
            };
            (p, v) = rk4_step(&model, p, v, -dt, push);
            t += dt;
        }
    }
    let none = |_: [f64; 3], _: [f64; 3]| [0.0; 3];
    let (g, dt) = to_ground(p, v, f64::INFINITY, -1.0, &none)?;
    let (lat, lon, _) = ecef_to_geodetic(g);
    Some(Launch {
        lat_deg: lat,
        lon_deg: lon,
        dt_s: dt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipse_axes_and_bearing() {
        // σ 1 km along 30° (east of north), 0.5 km across.
        let th = 30f64.to_radians();
        let (s1, s2) = (1000.0f64, 500.0f64);
        let u = [th.sin(), th.cos()];
        let w = [th.cos(), -th.sin()];
        let c: [[f64; 2]; 2] = std::array::from_fn(|i| {
            std::array::from_fn(|j| s1 * s1 * u[i] * u[j] + s2 * s2 * w[i] * w[j])
        });
        let (a, b, brg) = ellipse95(&c);
        assert!((a - 1000.0 * CHI2_2_95.sqrt()).abs() < 1e-6);
        assert!((b - 500.0 * CHI2_2_95.sqrt()).abs() < 1e-6);
        assert!((brg - 30.0).abs() < 1e-9, "{brg}");
        let (_, _, brg) = ellipse95(&[[4.0, 0.0], [0.0, 1.0]]);
        assert!((brg - 90.0).abs() < 1e-9);
        let (_, _, brg) = ellipse95(&[[1.0, 0.0], [0.0, 4.0]]);
        assert!(brg.abs() < 1e-9);
    }
}
