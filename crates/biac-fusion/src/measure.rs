//! Measurement models per sensor kind, for [`crate::motion::update_ekf`] and
//! [`crate::motion::Imm::update`]: each gives the innovation `z − h(x)` and the
//! Jacobian of `h` at the predicted state, in the sensor's own measurement space.
//!
//! States are any `[e, n, ve, vn, …]` (CV 4-state, IMM 5-state, CA 6-state) in a local
//! tangent plane; the sensor's position (and, for range-rate, velocity) is given in the
//! same plane. Azimuth is clockwise from north (as radars report it), radians.
//!
//! Why update in the sensor's space: a radar's error is an ellipse long across the
//! beam (r·σ_az) and thin along it (σ_r). Converting a plot to Cartesian with a diagonal
//! covariance throws the orientation away (over-trusting one direction, under-trusting
//! the other); the polar EKF keeps it exactly, to first order in the state error.

// Index loops read better than iterator chains for small fixed-size matrices.
#![allow(clippy::needless_range_loop)]

use std::f64::consts::{PI, TAU};

/// Wrap an angle difference into (−π, π].
pub fn wrap_angle(a: f64) -> f64 {
    let w = a.rem_euclid(TAU);
    if w > PI {
        w - TAU
    } else {
        w
    }
}

/// Predicted range and azimuth of state `x` seen from `sensor`, with the Jacobian.
/// `None` when the target is on the sensor (azimuth undefined).
#[allow(clippy::type_complexity)]
fn range_az<const N: usize>(
    sensor: [f64; 2],
    x: &[f64; N],
) -> Option<(f64, f64, [[f64; N]; 2], [f64; 2])> {
    let d = [x[0] - sensor[0], x[1] - sensor[1]];
    let r2 = d[0] * d[0] + d[1] * d[1];
    // NaN-safe: NaN fails too.
    if !(r2.is_finite() && r2 > 1e-6) {
        return None;
    }
    let r = r2.sqrt();
    let mut h = [[0.0; N]; 2];
    h[0][0] = d[0] / r;
    h[0][1] = d[1] / r;
    h[1][0] = d[1] / r2;
    h[1][1] = -d[0] / r2;
    Some((r, d[0].atan2(d[1]), h, d))
}

/// Polar radar plot `z = [range m, azimuth rad]`: innovation and Jacobian.
#[allow(clippy::type_complexity)]
pub fn polar<const N: usize>(
    sensor: [f64; 2],
    x: &[f64; N],
    z: [f64; 2],
) -> Option<([f64; 2], [[f64; N]; 2])> {
    let (r, az, h, _) = range_az(sensor, x)?;
    Some(([z[0] - r, wrap_angle(z[1] - az)], h))
}

/// Radial velocity (range-rate, positive opening) of state `x` relative to a sensor
/// at `sensor` moving at `sensor_vel`, and its Jacobian row. `None` when the target is
/// on the sensor.
pub fn range_rate_row<const N: usize>(
    sensor: [f64; 2],
    sensor_vel: [f64; 2],
    x: &[f64; N],
) -> Option<(f64, [f64; N])> {
    let d = [x[0] - sensor[0], x[1] - sensor[1]];
    let r = d[0].hypot(d[1]);
    if !(r.is_finite() && r > 1e-3) {
        return None;
    }
    let v = [x[2] - sensor_vel[0], x[3] - sensor_vel[1]];
    let rr = (d[0] * v[0] + d[1] * v[1]) / r;
    let mut h = [0.0; N];
    h[0] = v[0] / r - rr * d[0] / (r * r);
    h[1] = v[1] / r - rr * d[1] / (r * r);
    h[2] = d[0] / r;
    h[3] = d[1] / r;
    Some((rr, h))
}

/// Polar radar plot with Doppler `z = [range m, azimuth rad, range-rate m/s]`.
#[allow(clippy::type_complexity)]
pub fn polar_doppler<const N: usize>(
    sensor: [f64; 2],
    sensor_vel: [f64; 2],
    x: &[f64; N],
    z: [f64; 3],
) -> Option<([f64; 3], [[f64; N]; 3])> {
    let (r, az, h2, _) = range_az(sensor, x)?;
    let (rr, hr) = range_rate_row(sensor, sensor_vel, x)?;
    Some((
        [z[0] - r, wrap_angle(z[1] - az), z[2] - rr],
        [h2[0], h2[1], hr],
    ))
}

/// GMTI report (STANAG 4607 style): a target position already on the ground plane
/// plus its radial velocity towards the (moving) platform, `z = [e, n, range-rate]`.
/// Position error is taken as isotropic here; pass the report's own covariance in `R`.
#[allow(clippy::type_complexity)]
pub fn gmti<const N: usize>(
    sensor: [f64; 2],
    sensor_vel: [f64; 2],
    x: &[f64; N],
    z: [f64; 3],
) -> Option<([f64; 3], [[f64; N]; 3])> {
    let (rr, hr) = range_rate_row(sensor, sensor_vel, x)?;
    let mut h = [[0.0; N]; 3];
    h[0][0] = 1.0;
    h[1][1] = 1.0;
    h[2] = hr;
    Some(([z[0] - x[0], z[1] - x[1], z[2] - rr], h))
}

/// Diagonal measurement covariance from one-sigma values.
pub fn diag<const M: usize>(sigma: [f64; M]) -> [[f64; M]; M] {
    let mut r = [[0.0; M]; M];
    for i in 0..M {
        r[i][i] = sigma[i] * sigma[i];
    }
    r
}

/// A polar plot converted to the plane: position and its linearised covariance (for
/// initiating tracks from one plot, and for gating against Cartesian tracks).
pub fn polar_to_plane(
    sensor: [f64; 2],
    range: f64,
    az: f64,
    sigma_r: f64,
    sigma_az: f64,
) -> ([f64; 2], [[f64; 2]; 2]) {
    let (s, c) = az.sin_cos();
    let p = [sensor[0] + range * s, sensor[1] + range * c];
    // J = ∂(e, n)/∂(r, az); C = J diag(σr², σaz²) Jᵀ.
    let j = [[s, range * c], [c, -range * s]];
    let (vr, va) = (sigma_r * sigma_r, sigma_az * sigma_az);
    let mut cov = [[0.0; 2]; 2];
    for a in 0..2 {
        for b in 0..2 {
            cov[a][b] = j[a][0] * j[b][0] * vr + j[a][1] * j[b][1] * va;
        }
    }
    (p, cov)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kf;
    use crate::motion::update_ekf;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn normal(rng: &mut ChaCha8Rng) -> f64 {
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random();
        (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
    }

    /// Wilson–Hilferty approximation of the χ² quantile with `k` dof at normal score `z`.
    fn chi2_quantile(k: f64, z: f64) -> f64 {
        let a = 2.0 / (9.0 * k);
        k * (1.0 - a + z * a.sqrt()).powi(3)
    }

    #[test]
    fn wrap_is_into_minus_pi_pi() {
        assert!((wrap_angle(3.5 * PI) + 0.5 * PI).abs() < 1e-12);
        assert!((wrap_angle(-0.1) + 0.1).abs() < 1e-12);
        assert!((wrap_angle(PI) - PI).abs() < 1e-12);
        // An azimuth innovation across north is small, not ~2π.
        let (nu, _) = polar([0.0, 0.0], &[-1.0, 1000.0, 0.0, 0.0], [1000.0, 0.001]).unwrap();
        assert!(nu[1].abs() < 0.01, "{nu:?}");
    }

    #[test]
    fn jacobians_match_finite_differences() {
        let s = [300.0, -200.0];
        let sv = [20.0, 5.0];
        let x0 = [40_000.0, 25_000.0, -150.0, 60.0];
        let h = |x: &[f64; 4]| -> [f64; 3] {
            let (nu, _) = polar_doppler(s, sv, x, [0.0; 3]).unwrap();
            [-nu[0], -nu[1], -nu[2]]
        };
        let (_, jac) = polar_doppler(s, sv, &x0, [0.0; 3]).unwrap();
        let (_, jg) = gmti(s, sv, &x0, [0.0; 3]).unwrap();
        assert_eq!(jg[2], jac[2]);
        for k in 0..4 {
            let e = 1e-3;
            let (mut a, mut b) = (x0, x0);
            a[k] += e;
            b[k] -= e;
            let (ha, hb) = (h(&a), h(&b));
            for i in 0..3 {
                let fd = (ha[i] - hb[i]) / (2.0 * e);
                assert!(
                    (fd - jac[i][k]).abs() < 1e-6 * (1.0 + fd.abs()),
                    "∂h{i}/∂x{k}: {fd} vs {}",
                    jac[i][k]
                );
            }
        }
    }

    #[test]
    fn converted_covariance_is_the_beam_ellipse() {
        // Due east at 100 km: along-beam (east) σ_r, cross-beam (north) r·σ_az.
        let (p, c) = polar_to_plane([0.0, 0.0], 100_000.0, PI / 2.0, 20.0, 0.002);
        assert!((p[0] - 100_000.0).abs() < 1e-6 && p[1].abs() < 1e-6);
        assert!((c[0][0] - 400.0).abs() < 1e-6 && (c[1][1] - 40_000.0).abs() < 1e-3);
        assert!(c[0][1].abs() < 1e-6);
    }

    /// Monte-Carlo over `runs` seeds of a CV target at ~100 km, 45° off north (where a
    /// diagonal converted covariance is most wrong). Returns (per-step average NEES of
    /// the polar EKF, position RMSE of the polar EKF, position RMSE of the converted
    /// plot with a naive diagonal covariance, velocity RMSE without / with Doppler, and
    /// the along-range position RMSE of polar / naive).
    #[allow(clippy::type_complexity)]
    fn monte_carlo(runs: usize, steps: usize) -> (Vec<f64>, f64, f64, f64, f64, f64, f64) {
        let (dt, q) = (2.0, 0.1);
        let (sr, sa, srr) = (20.0, 0.002, 0.5);
        let sensor = [0.0, 0.0];
        let mut nees = vec![0.0; steps];
        let (mut se_polar, mut se_naive, mut se_v, mut se_vd, mut n) = (0.0, 0.0, 0.0, 0.0, 0);
        let (mut se_rp, mut se_rn) = (0.0, 0.0);
        for run in 0..runs {
            let mut rng = ChaCha8Rng::seed_from_u64(1000 + run as u64);
            // Truth by the exact CV discretisation (what the filter assumes).
            let mut xt = [70_000.0, 70_000.0, -120.0, 80.0];
            let mut p0 = [[0.0; 4]; 4];
            for (i, v) in [200.0f64, 200.0, 20.0, 20.0].into_iter().enumerate() {
                p0[i][i] = v * v;
            }
            // Start every filter from the truth plus a draw from its own prior.
            let x0: [f64; 4] = std::array::from_fn(|i| xt[i] + p0[i][i].sqrt() * normal(&mut rng));
            let (mut xp, mut pp) = (x0, p0);
            let (mut xn, mut pn) = (x0, p0);
            let (mut xd, mut pd) = (x0, p0);
            let l11 = (q * dt * dt * dt / 3.0f64).sqrt();
            let l21 = q * dt * dt / 2.0 / l11;
            let l22 = (q * dt - l21 * l21).sqrt();
            for k in 0..steps {
                for (p, v) in [(0, 2), (1, 3)] {
                    let (a, b) = (normal(&mut rng), normal(&mut rng));
                    xt[p] += dt * xt[v] + l11 * a;
                    xt[v] += l21 * a + l22 * b;
                }
                let d = [xt[0] - sensor[0], xt[1] - sensor[1]];
                let r = d[0].hypot(d[1]) + sr * normal(&mut rng);
                let az = d[0].atan2(d[1]) + sa * normal(&mut rng);
                let rr = (d[0] * xt[2] + d[1] * xt[3]) / d[0].hypot(d[1]) + srr * normal(&mut rng);

                let (x1, p1) = kf::predict(&xp, &pp, dt, q);
                let (nu, h) = polar(sensor, &x1, [r, az]).unwrap();
                let u = update_ekf(&x1, &p1, &nu, &h, &diag([sr, sa])).unwrap();
                (xp, pp) = (u.x, u.p);

                let (x1, p1) = kf::predict(&xd, &pd, dt, q);
                let (nu, h) = polar_doppler(sensor, [0.0, 0.0], &x1, [r, az, rr]).unwrap();
                let u = update_ekf(&x1, &p1, &nu, &h, &diag([sr, sa, srr])).unwrap();
                (xd, pd) = (u.x, u.p);

                let (zc, c) = polar_to_plane(sensor, r, az, sr, sa);
                let (x1, p1) = kf::predict(&xn, &pn, dt, q);
                let hc = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]];
                let nu = [zc[0] - x1[0], zc[1] - x1[1]];
                let naive = [[c[0][0], 0.0], [0.0, c[1][1]]];
                let u = update_ekf(&x1, &p1, &nu, &hc, &naive).unwrap();
                (xn, pn) = (u.x, u.p);

                let e: [f64; 4] = std::array::from_fn(|i| xt[i] - xp[i]);
                let pi = kf::invert(&pp).unwrap();
                nees[k] += (0..4)
                    .map(|i| (0..4).map(|j| e[i] * pi[i][j] * e[j]).sum::<f64>())
                    .sum::<f64>()
                    / runs as f64;
                if k >= 10 {
                    se_polar += e[0] * e[0] + e[1] * e[1];
                    se_naive += (xt[0] - xn[0]).powi(2) + (xt[1] - xn[1]).powi(2);
                    se_v += e[2] * e[2] + e[3] * e[3];
                    se_vd += (xt[2] - xd[2]).powi(2) + (xt[3] - xd[3]).powi(2);
                    let u = [d[0] / d[0].hypot(d[1]), d[1] / d[0].hypot(d[1])];
                    se_rp += (u[0] * e[0] + u[1] * e[1]).powi(2);
                    se_rn += (u[0] * (xt[0] - xn[0]) + u[1] * (xt[1] - xn[1])).powi(2);
                    n += 1;
                }
            }
        }
        let rm = |s: f64| (s / n as f64).sqrt();
        (
            nees,
            rm(se_polar),
            rm(se_naive),
            rm(se_v),
            rm(se_vd),
            rm(se_rp),
            rm(se_rn),
        )
    }

    #[test]
    fn polar_ekf_is_consistent_and_beats_a_naive_conversion_at_long_range() {
        let runs = 100;
        let (nees, rmse_polar, rmse_naive, rmse_v, rmse_vd, range_polar, range_naive) =
            monte_carlo(runs, 60);
        // runs · ANEES ~ χ²(4 · runs): two-sided 95% bounds per step.
        let k = 4.0 * runs as f64;
        let (lo, hi) = (
            chi2_quantile(k, -1.959964) / runs as f64,
            chi2_quantile(k, 1.959964) / runs as f64,
        );
        let inside = nees.iter().filter(|&&a| a >= lo && a <= hi).count();
        let mean = nees.iter().sum::<f64>() / nees.len() as f64;
        assert!(
            inside as f64 >= 0.85 * nees.len() as f64,
            "{inside}/{} steps inside [{lo:.2}, {hi:.2}]: {nees:?}",
            nees.len()
        );
        assert!((3.7..4.3).contains(&mean), "ANEES over time {mean}");
        // The naive diagonal throws away the 20 m along-beam precision at 45°: total
        // RMSE (dominated by the 200 m cross-beam axis) is a little worse, the
        // along-range error several times worse.
        eprintln!(
            "RMSE polar {rmse_polar:.1} naive {rmse_naive:.1}; along range polar {range_polar:.1} naive {range_naive:.1}; velocity {rmse_v:.2} with Doppler {rmse_vd:.2}; ANEES {mean:.2}"
        );
        assert!(
            rmse_polar < rmse_naive,
            "polar {rmse_polar} vs naive {rmse_naive}"
        );
        assert!(
            range_polar < 0.7 * range_naive,
            "along range: polar {range_polar} vs naive {range_naive}"
        );
        // Doppler observes the radial velocity directly.
        assert!(
            rmse_vd < 0.95 * rmse_v,
            "velocity: {rmse_vd} with Doppler vs {rmse_v}"
        );
    }
}
