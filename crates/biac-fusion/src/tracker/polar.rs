//! Sensor-space measurements in the tracker: a plot that carries a
//! [`PolarMeasurement`] is gated and applied in the sensor's own space with the models
//! of [`crate::measure`] (range/azimuth, + range-rate, GMTI position + range-rate),
//! and a track started from it gets the beam-shaped covariance.
//!
//! Geometry. The measurement is defined in the sensor's terms (slant range, azimuth in
//! the sensor's own east-north plane, slant range-rate); a track lives in its own
//! tangent plane. Per track, the measurement is re-expressed in the track's plane at
//! the predicted position: the sensor's position goes through ECEF into the track's
//! frame (`[e, n, u]`), the slant range becomes the horizontal range in that plane with
//! the height difference `Δu` between the target (on the surface, or at its reported
//! altitude) and the sensor (`r_h = √(r² − Δu²)`, variance scaled by `(r / r_h)²`), the
//! azimuth is turned by the rotation of north between the two frames (meridian
//! convergence: 7 mrad at 100 km east-west at 26° N, more than a radar's σ_az), and
//! the slant range-rate becomes the horizontal one (`(ṙ r + Δu v_u) / r_h`, with the
//! sensor's vertical velocity `v_u` in the track frame). Then the planar models of
//! `measure` apply with the sensor at its horizontal position in the track's plane.
//! A track is within ~20 km of its frame origin, so the only approximation left is the
//! tilt between the sensor's and the track's planes acting on the azimuth, which is
//! second order (the tilt's axis is across the line of sight).

// Index loops read better than iterator chains for small fixed-size matrices.
#![allow(clippy::needless_range_loop)]

use std::cmp::Ordering;

use biac_model::{Observation, PolarMeasurement};

use crate::geo::{geodetic_to_ecef, EnuFrame};
use crate::kf::{self, Mat2, Mat4, Vec4};
use crate::measure;
use crate::motion::{self, update_ekf};

use super::filter::{Kinematics, Predicted};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Which measurement model the observation is applied with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Range and azimuth ([`measure::polar`]).
    Polar,
    /// Range, azimuth and range-rate ([`measure::polar_doppler`]).
    Doppler,
    /// Ground position and range-rate ([`measure::gmti`]).
    Gmti,
}

/// A validated sensor-space measurement with its geometry precomputed.
#[derive(Clone, Debug)]
pub(super) struct PolarPrep {
    kind: Kind,
    /// The sensor's antenna, ECEF (with its altitude).
    sensor_ecef: [f64; 3],
    /// The sensor's tangent plane (azimuth and sensor velocity are given in it).
    frame: EnuFrame,
    /// Sensor velocity as an ECEF vector (horizontal at the sensor).
    sensor_vel_ecef: [f64; 3],
    /// Target height above the ellipsoid.
    target_alt: f64,
    range: f64,
    range_var: f64,
    az: f64,
    az_var: f64,
    rr: f64,
    rr_var: f64,
}

/// The measurement as seen from one track's plane near its predicted position.
pub(super) struct Local {
    /// Sensor position and velocity, horizontal, in the track's frame.
    sensor: [f64; 2],
    sensor_vel: [f64; 2],
    /// Horizontal range, azimuth in the track's frame, horizontal range-rate.
    z: [f64; 3],
    /// Their variances.
    var: [f64; 3],
    /// The horizontal range (for the area density of a polar plot).
    rh: f64,
}

/// Gates for measurements of 2 and 3 degrees of freedom at the same probability, and
/// the range-rate clutter density (its log).
#[derive(Clone, Copy, Debug)]
pub(super) struct Gates {
    pub gate2: f64,
    pub excl2: f64,
    pub gate3: f64,
    pub excl3: f64,
    /// 4 dof: a 3-D radar plot with range-rate.
    pub gate4: f64,
    pub excl4: f64,
    pub ln_rr_span: f64,
}

impl Gates {
    pub(super) fn new(gate: f64, excl: f64, rr_span: f64) -> Gates {
        Gates {
            gate2: gate,
            excl2: excl,
            gate3: chi2_3dof_at_2dof_gate(gate),
            excl3: chi2_3dof_at_2dof_gate(excl),
            gate4: chi2_4dof_at_2dof_gate(gate),
            excl4: chi2_4dof_at_2dof_gate(excl),
            ln_rr_span: rr_span.max(1e-9).ln(),
        }
    }
}

impl PolarPrep {
    /// `None` if the measurement is invalid ([`PolarMeasurement::is_valid`]).
    pub(super) fn new(m: &PolarMeasurement, obs: &Observation) -> Option<PolarPrep> {
        if !m.is_valid() {
            return None;
        }
        let sp = m.sensor_position;
        let frame = EnuFrame::new(sp.lat_deg, sp.lon_deg);
        let sv = m
            .sensor_velocity
            .map_or([0.0; 2], |v| [v.east_mps, v.north_mps]);
        let (rr, rr_sigma) = (
            m.range_rate_mps.unwrap_or(0.0),
            m.range_rate_sigma_mps.unwrap_or(1.0),
        );
        let kind = match (m.ground_fix, m.range_rate_mps.is_some()) {
            (true, _) => Kind::Gmti,
            (false, true) => Kind::Doppler,
            (false, false) => Kind::Polar,
        };
        Some(PolarPrep {
            kind,
            sensor_ecef: geodetic_to_ecef(sp.lat_deg, sp.lon_deg, sp.alt_m.unwrap_or(0.0)),
            frame,
            sensor_vel_ecef: frame.vec_to_ecef(sv[0], sv[1]),
            target_alt: obs.position.alt_m.unwrap_or(0.0),
            range: m.range_m,
            range_var: m.range_sigma_m * m.range_sigma_m,
            az: m.azimuth_rad,
            az_var: m.azimuth_sigma_rad * m.azimuth_sigma_rad,
            rr,
            rr_var: rr_sigma * rr_sigma,
        })
    }

    /// Largest per-axis variance of the converted plot, m² (cross-range `(r σ_az)²` or
    /// along-range `σ_r²`): a bound for the coarse gating radius. For GMTI the report's
    /// own position variance is the bound.
    pub(super) fn max_pos_var(&self, r_pos: f64) -> f64 {
        match self.kind {
            Kind::Gmti => r_pos,
            _ => (self.range * self.range * self.az_var).max(self.range_var),
        }
    }

    /// Whether the measurement involves the velocity (needs the full covariance).
    pub(super) fn has_range_rate(&self) -> bool {
        self.kind != Kind::Polar
    }

    /// The measurement in the plane of `tf` near the horizontal position `pos`; `None`
    /// when the geometry degenerates (target under an airborne sensor, or within 10 m
    /// of it horizontally).
    pub(super) fn localize(&self, tf: &EnuFrame, pos: [f64; 2]) -> Option<Local> {
        let s = tf.ecef_to_enu(self.sensor_ecef);
        let du = tf.surface_up(pos[0], pos[1]) + self.target_alt - s[2];
        let rh2 = self.range * self.range - du * du;
        if !(rh2 > 100.0 && rh2.is_finite()) {
            return None;
        }
        let rh = rh2.sqrt();
        let k = self.range / rh;
        let j = self.frame.horizontal_rotation_to(tf);
        let (sa, ca) = self.az.sin_cos();
        let dir = [j[0][0] * sa + j[0][1] * ca, j[1][0] * sa + j[1][1] * ca];
        let sv = tf.ecef_vec_to_en(self.sensor_vel_ecef);
        // Vertical component of the sensor's velocity in the track's frame.
        let sv_u = tf.ecef_to_enu(self.sensor_vel_ecef)[2] - tf.ecef_to_enu([0.0; 3])[2];
        Some(Local {
            sensor: [s[0], s[1]],
            sensor_vel: sv,
            z: [
                rh,
                dir[0].atan2(dir[1]),
                (self.rr * self.range + du * sv_u) / rh,
            ],
            var: [self.range_var * k * k, self.az_var, self.rr_var * k * k],
            rh,
        })
    }

    /// Stage-2 gate of this measurement against a track predicted to `x` (position
    /// covariance `pos_cov`, full covariance `p4` when the measurement has a
    /// range-rate) in frame `tf`: `(d², ln det S as an area density, gate, exclusion
    /// gate)`. The second value puts every kind on the scale of a 2-D position plot
    /// (`d² + ln det S` = −2 ln of the likelihood per m², up to the same constant), so
    /// that costs and the Pd/clutter threshold compare across kinds: a polar density
    /// is divided by the horizontal range (the area element is `r dr dθ`), and one
    /// with a range-rate by the clutter's range-rate density (1 / span).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn gate(
        &self,
        tf: &EnuFrame,
        x: &Vec4,
        pos_cov: &Mat2,
        p4: Option<&Mat4>,
        zpos: [f64; 2],
        r_pos: f64,
        g: &Gates,
    ) -> Option<(f64, f64, f64, f64)> {
        let loc = self.localize(tf, [x[0], x[1]])?;
        match self.kind {
            Kind::Polar => {
                let (nu, h) = measure::polar(loc.sensor, &[x[0], x[1]], [loc.z[0], loc.z[1]])?;
                let (d2, lndet) = nis(&nu, &h, pos_cov, [loc.var[0], loc.var[1]])?;
                Some((d2, lndet + 2.0 * loc.rh.ln(), g.gate2, g.excl2))
            }
            Kind::Doppler => {
                let (nu, h) = measure::polar_doppler(loc.sensor, loc.sensor_vel, x, loc.z)?;
                let (d2, lndet) = nis(&nu, &h, p4?, loc.var)?;
                let norm = LN_2PI + 2.0 * loc.rh.ln() - 2.0 * g.ln_rr_span;
                Some((d2, lndet + norm, g.gate3, g.excl3))
            }
            Kind::Gmti => {
                let z = [zpos[0], zpos[1], loc.z[2]];
                let (nu, h) = measure::gmti(loc.sensor, loc.sensor_vel, x, z)?;
                let var = [r_pos, r_pos, loc.var[2]];
                let (d2, lndet) = nis(&nu, &h, p4?, var)?;
                Some((d2, lndet + LN_2PI - 2.0 * g.ln_rr_span, g.gate3, g.excl3))
            }
        }
    }

    /// Update of a prediction in the sensor's space, by the motion filter with this
    /// measurement's model. `zpos`: the converted plot in the track's frame (GMTI's
    /// position measurement). `None` if the geometry degenerates or the update fails
    /// numerically (the caller falls back to the converted plot).
    pub(super) fn update(
        &self,
        tf: &EnuFrame,
        pred: &Predicted,
        zpos: [f64; 2],
        r_pos: f64,
    ) -> Option<Kinematics> {
        let loc = self.localize(tf, [pred.x[0], pred.x[1]])?;
        let (s, sv, z) = (loc.sensor, loc.sensor_vel, loc.z);
        match self.kind {
            Kind::Polar => pred.update_ekf(
                |x| measure::polar(s, x, [z[0], z[1]]),
                &measure::diag([loc.var[0].sqrt(), loc.var[1].sqrt()]),
            ),
            Kind::Doppler => pred.update_ekf(
                |x| measure::polar_doppler(s, sv, x, z),
                &measure::diag(loc.var.map(f64::sqrt)),
            ),
            Kind::Gmti => pred.update_ekf(
                |x| measure::gmti(s, sv, x, [zpos[0], zpos[1], z[2]]),
                &measure::diag([r_pos.sqrt(), r_pos.sqrt(), loc.var[2].sqrt()]),
            ),
        }
    }

    /// The initial state of a track started from this measurement, in place: a
    /// range/azimuth plot gives the position and, as its covariance, the beam ellipse (`σ_r` along the
    /// line of sight, `r σ_az` across it), not a circle; a range-rate then updates the
    /// velocity prior (the radial component becomes known at once).
    pub(super) fn initialize(&self, tf: &EnuFrame, x: &mut Vec4, p: &mut Mat4) {
        let Some(loc) = self.localize(tf, [x[0], x[1]]) else {
            return;
        };
        if self.kind != Kind::Gmti {
            // The plot as this measurement places it (the feed's converted position may
            // use a cruder slant-to-ground conversion), with the beam ellipse.
            let (z, c) = measure::polar_to_plane(
                loc.sensor,
                loc.z[0],
                loc.z[1],
                loc.var[0].sqrt(),
                loc.var[1].sqrt(),
            );
            for r in 0..2 {
                x[r] = z[r];
                for col in 0..2 {
                    p[r][col] = c[r][col];
                }
            }
        }
        if self.kind == Kind::Polar {
            return;
        }
        let Some((rr, h)) = measure::range_rate_row(loc.sensor, loc.sensor_vel, x) else {
            return;
        };
        if let Some(u) = update_ekf(x, p, &[loc.z[2] - rr], &[h], &[[loc.var[2]]]) {
            (*x, *p) = (u.x, u.p);
        }
    }
}

/// `(νᵀ S⁻¹ ν, ln det S)` with `S = H P Hᵀ + diag(var)`; `None` unless `S` is
/// positive definite.
fn nis<const N: usize, const M: usize>(
    nu: &[f64; M],
    h: &[[f64; N]; M],
    p: &[[f64; N]; N],
    var: [f64; M],
) -> Option<(f64, f64)> {
    let mut s = kf::matmul(h, &kf::matmul(p, &kf::transpose(h)));
    for i in 0..M {
        s[i][i] += var[i];
    }
    kf::symmetrize(&mut s);
    motion::nis(&s, nu)
}

/// 1 − P(χ²₃ ≤ x) = erfc(√(x/2)) + √(2x/π) e^(−x/2), decreasing in x.
fn tail3(x: f64) -> f64 {
    erfc((x / 2.0).sqrt()) + (2.0 * x / std::f64::consts::PI).sqrt() * (-x / 2.0).exp()
}

/// A 3-dof normalised innovation squared as the 2-dof value of the same tail
/// probability (−2 ln tail, the 2-dof quantile), so that averages of both kinds of
/// measurement mean the same thing.
pub(super) fn nis_3dof_as_2dof(d2: f64) -> f64 {
    -2.0 * tail3(d2.max(0.0)).ln()
}

/// A 4-dof normalised innovation squared as the 2-dof value of the same tail
/// probability: the χ²₄ tail is `e^(−x/2) (1 + x/2)`, so −2 ln of it is
/// `x − 2 ln(1 + x/2)`.
pub(super) fn nis_4dof_as_2dof(d2: f64) -> f64 {
    let x = d2.max(0.0);
    x - 2.0 * (0.5 * x).ln_1p()
}

/// The χ² quantile with 4 degrees of freedom at the probability of the 2-dof gate `g`
/// (the inverse of [`nis_4dof_as_2dof`], by bisection: it increases with x).
pub(super) fn chi2_4dof_at_2dof_gate(g: f64) -> f64 {
    if !(g > 0.0 && g.is_finite()) {
        return g;
    }
    let (mut lo, mut hi) = (g, 2.0 * g + 40.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if nis_4dof_as_2dof(mid) < g {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The χ² quantile with 3 degrees of freedom at the probability of the 2-dof gate `g`
/// (P = 1 − e^(−g/2)): a measurement with range-rate is gated at the same probability
/// of keeping the true one as a position plot.
pub(super) fn chi2_3dof_at_2dof_gate(g: f64) -> f64 {
    if !(g > 0.0 && g.is_finite()) {
        return g;
    }
    // 1 − P(χ²₃ ≤ x) = erfc(√(x/2)) + √(2x/π) e^(−x/2), decreasing in x; bisect on
    // the tail (exact to the tail's own accuracy even for very wide gates).
    let tail2 = (-g / 2.0).exp();
    let (mut lo, mut hi) = (g, g + 20.0);
    while tail3(hi) > tail2 {
        hi += 20.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if tail3(mid) > tail2 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Complementary error function, relative error below 1.2e-7 everywhere (Chebyshev
/// fit, Numerical Recipes' `erfcc`).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Total order on optional sensor-space measurements (for the batch order: equal
/// plots with different measurements must not depend on arrival order).
pub(super) fn polar_cmp(a: Option<&PolarMeasurement>, b: Option<&PolarMeasurement>) -> Ordering {
    let key = |m: &PolarMeasurement| {
        let o = |v: Option<f64>| v.unwrap_or(f64::NAN);
        [
            m.sensor_position.lat_deg,
            m.sensor_position.lon_deg,
            o(m.sensor_position.alt_m),
            o(m.sensor_velocity.map(|v| v.east_mps)),
            o(m.sensor_velocity.map(|v| v.north_mps)),
            m.range_m,
            m.range_sigma_m,
            m.azimuth_rad,
            m.azimuth_sigma_rad,
            o(m.range_rate_mps),
            o(m.range_rate_sigma_mps),
            f64::from(u8::from(m.ground_fix)),
            o(m.elevation.map(|e| e.rad)),
            o(m.elevation.map(|e| e.sigma_rad)),
        ]
    };
    match (a, b) {
        (Some(a), Some(b)) => key(a)
            .iter()
            .zip(key(b).iter())
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_dof_nis_maps_to_two_dof_of_equal_probability() {
        // The inverse of the gate mapping: a 3-dof quantile comes back as the 2-dof one.
        for g2 in [1.0, 2.0, 5.991, 11.83, 25.0] {
            let back = nis_3dof_as_2dof(chi2_3dof_at_2dof_gate(g2));
            assert!((back - g2).abs() < 1e-6 * g2.max(1.0), "{g2}: {back}");
        }
        // So a consistent 3-dof measurement averages 2 like a 2-dof one (E[−2 ln U] = 2
        // for U uniform): check by quadrature over the χ²₃ density.
        let (mut mean, dx) = (0.0, 1e-3);
        let mut x = dx / 2.0;
        while x < 80.0 {
            let pdf = (x / (2.0 * std::f64::consts::PI)).sqrt() * (-x / 2.0).exp();
            mean += nis_3dof_as_2dof(x) * pdf * dx;
            x += dx;
        }
        assert!((mean - 2.0).abs() < 1e-2, "{mean}");
    }

    #[test]
    fn three_dof_gate_matches_the_tables() {
        // χ²₃ quantiles: 0.95 → 7.815 (2-dof 5.991), 0.9973 → 14.16 (2-dof 11.83),
        // 0.99 → 11.345 (2-dof 9.210).
        for (g2, g3) in [(5.991, 7.815), (11.83, 14.16), (9.210, 11.345)] {
            let got = chi2_3dof_at_2dof_gate(g2);
            assert!((got - g3).abs() < 0.01, "{g2}: {got} vs {g3}");
        }
        // χ²₄ quantiles: 0.9973 → 16.25 (2-dof 11.83), 0.95 → 9.488 (2-dof 5.991).
        for (g2, g4) in [(11.83, 16.25), (5.991, 9.488)] {
            let got = chi2_4dof_at_2dof_gate(g2);
            assert!((got - g4).abs() < 0.01, "{g2}: {got} vs {g4}");
        }
        assert!((erfc(0.5) - 0.479_500_122).abs() < 1e-7);
        assert!((erfc(-1.0) - 1.842_700_793).abs() < 1e-7);
    }
}
