//! The Earth as a body that things fly over: gravity with J2, the rotating Earth-fixed
//! frame, an exponential atmosphere, and a radar's view of a point (slant range,
//! azimuth, elevation). The simulator's truth and the tracker's ballistic model both use
//! these functions, so the tracker's model is the truth's model (minus what it cannot
//! know: thrust and the ballistic coefficient).
//!
//! Constants are WGS84's (NIMA TR8350.2): GM, the second zonal harmonic J2 and the
//! rotation rate. Frames are ECEF (WGS84), metres and seconds.

use crate::{geodetic_to_ecef, WGS84_A};

/// Earth's gravitational constant GM (m³/s²), atmosphere included.
pub const GM: f64 = 3.986_004_418e14;
/// Second zonal harmonic J2 (= −√5 · C̄20 of WGS84).
pub const J2: f64 = 1.082_629_821_313_3e-3;
/// Earth's rotation rate (rad/s).
pub const OMEGA_EARTH: f64 = 7.292_115e-5;
/// Sea-level air density of the exponential atmosphere (kg/m³).
pub const RHO0: f64 = 1.225;
/// Scale height of the exponential atmosphere (m).
pub const SCALE_HEIGHT_M: f64 = 7_200.0;

/// Which terms of the force model apply: the physics tests switch J2 and rotation off to
/// check the conserved quantities of the two-body problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GravityModel {
    pub j2: bool,
    /// Write the motion in the rotating Earth-fixed frame (centrifugal and Coriolis
    /// accelerations). Off: the frame is treated as inertial.
    pub rotating: bool,
}

impl GravityModel {
    /// The full model: J2 and the rotating frame.
    pub const FULL: GravityModel = GravityModel {
        j2: true,
        rotating: true,
    };
    /// Point-mass gravity in an inertial frame (Kepler).
    pub const KEPLER: GravityModel = GravityModel {
        j2: false,
        rotating: false,
    };

    /// Acceleration (m/s²) at ECEF position `p` moving at ECEF velocity `v`, gravity and
    /// (when rotating) the fictitious forces of the Earth-fixed frame.
    #[inline]
    pub fn acceleration(&self, p: [f64; 3], v: [f64; 3]) -> [f64; 3] {
        let mut a = if self.j2 {
            gravity_j2(p)
        } else {
            gravity_point_mass(p)
        };
        if self.rotating {
            let w = OMEGA_EARTH;
            // −ω×(ω×r) − 2ω×v with ω = (0, 0, w).
            a[0] += w * w * p[0] + 2.0 * w * v[1];
            a[1] += w * w * p[1] - 2.0 * w * v[0];
        }
        a
    }

    /// The Jacobian ∂a/∂p (row-major 3×3); ∂a/∂v is constant (the Coriolis term), see
    /// [`GravityModel::velocity_jacobian`]. For the extended Kalman filter.
    pub fn position_jacobian(&self, p: [f64; 3]) -> [[f64; 3]; 3] {
        // Central differences on the closed form: 1 m steps are far below the scale on
        // which gravity changes (its gradient is ~3e-6 s⁻², curvature negligible).
        let h = 1.0;
        let mut jac = [[0.0; 3]; 3];
        for (j, _) in p.iter().enumerate() {
            let mut hi = p;
            let mut lo = p;
            hi[j] += h;
            lo[j] -= h;
            let ah = self.acceleration(hi, [0.0; 3]);
            let al = self.acceleration(lo, [0.0; 3]);
            for (i, row) in jac.iter_mut().enumerate() {
                row[j] = (ah[i] - al[i]) / (2.0 * h);
            }
        }
        jac
    }

    /// ∂a/∂v (row-major 3×3): zero in an inertial frame, the Coriolis matrix otherwise.
    pub fn velocity_jacobian(&self) -> [[f64; 3]; 3] {
        if self.rotating {
            let w2 = 2.0 * OMEGA_EARTH;
            [[0.0, w2, 0.0], [-w2, 0.0, 0.0], [0.0, 0.0, 0.0]]
        } else {
            [[0.0; 3]; 3]
        }
    }
}

/// One classical Runge–Kutta (RK4) step of `dt` seconds for a body at ECEF position `p`
/// and velocity `v` under `model`'s gravity plus `extra(t_offset, p, v)` (thrust, drag:
/// whatever the caller knows; `t_offset` runs from 0 to `dt`). Returns the new (p, v).
/// The simulator's truth and the tracker's prediction both step with this.
pub fn rk4_step(
    model: &GravityModel,
    p: [f64; 3],
    v: [f64; 3],
    dt: f64,
    extra: impl Fn(f64, [f64; 3], [f64; 3]) -> [f64; 3],
) -> ([f64; 3], [f64; 3]) {
    let acc = |t: f64, p: [f64; 3], v: [f64; 3]| {
        let g = model.acceleration(p, v);
        let e = extra(t, p, v);
        [g[0] + e[0], g[1] + e[1], g[2] + e[2]]
    };
    let add =
        |a: [f64; 3], b: [f64; 3], k: f64| [a[0] + k * b[0], a[1] + k * b[1], a[2] + k * b[2]];
    let a1 = acc(0.0, p, v);
    let (p2, v2) = (add(p, v, dt / 2.0), add(v, a1, dt / 2.0));
    let a2 = acc(dt / 2.0, p2, v2);
    let (p3, v3) = (add(p, v2, dt / 2.0), add(v, a2, dt / 2.0));
    let a3 = acc(dt / 2.0, p3, v3);
    let (p4, v4) = (add(p, v3, dt), add(v, a3, dt));
    let a4 = acc(dt, p4, v4);
    let np = std::array::from_fn(|i| p[i] + dt / 6.0 * (v[i] + 2.0 * v2[i] + 2.0 * v3[i] + v4[i]));
    let nv = std::array::from_fn(|i| v[i] + dt / 6.0 * (a1[i] + 2.0 * a2[i] + 2.0 * a3[i] + a4[i]));
    (np, nv)
}

/// Point-mass gravitational acceleration at ECEF `p`.
#[inline]
pub fn gravity_point_mass(p: [f64; 3]) -> [f64; 3] {
    let r2 = p[0] * p[0] + p[1] * p[1] + p[2] * p[2];
    let r = r2.sqrt();
    let k = -GM / (r2 * r);
    [k * p[0], k * p[1], k * p[2]]
}

/// Gravitational acceleration with the J2 (oblateness) term at ECEF `p`.
#[inline]
pub fn gravity_j2(p: [f64; 3]) -> [f64; 3] {
    let r2 = p[0] * p[0] + p[1] * p[1] + p[2] * p[2];
    let r = r2.sqrt();
    let k = -GM / (r2 * r);
    let z2_r2 = p[2] * p[2] / r2;
    let c = 1.5 * J2 * WGS84_A * WGS84_A / r2;
    let fxy = 1.0 + c * (1.0 - 5.0 * z2_r2);
    let fz = 1.0 + c * (3.0 - 5.0 * z2_r2);
    [k * p[0] * fxy, k * p[1] * fxy, k * p[2] * fz]
}

/// Air density (kg/m³) of the exponential atmosphere at height `h_m` above the
/// ellipsoid; zero above 200 km, where drag on a re-entry vehicle is negligible.
#[inline]
pub fn air_density(h_m: f64) -> f64 {
    if h_m > 200_000.0 {
        0.0
    } else {
        RHO0 * (-h_m.max(0.0) / SCALE_HEIGHT_M).exp()
    }
}

/// Unit vector of the ellipsoid normal ("up") at the point below ECEF `p`.
pub fn up_at(p: [f64; 3]) -> [f64; 3] {
    let (lat, lon, _) = crate::ecef_to_geodetic(p);
    SiteFrame::new((lat, lon, 0.0)).up
}

/// Drag acceleration (m/s²) of a body of inverse ballistic coefficient `inv_beta`
/// (Cd·A/m, m²/kg; 0 for none) at ECEF `p` moving at `v` relative to the co-rotating
/// air: −½ ρ(h) |v| v / β in the exponential atmosphere. The one drag law of the
/// simulator's truth and the tracker's terminal phase.
#[inline]
pub fn drag(p: [f64; 3], v: [f64; 3], inv_beta: f64) -> [f64; 3] {
    let r = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
    // Above 250 km over the polar radius every latitude is above 200 km: no air, and the
    // geodetic conversion is skipped on the long free flight.
    if inv_beta == 0.0 || r > 6_356_752.0 + 250_000.0 {
        return [0.0; 3];
    }
    let rho = air_density(crate::ecef_to_geodetic(p).2);
    if rho == 0.0 {
        return [0.0; 3];
    }
    let speed = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    let k = -0.5 * rho * speed * inv_beta;
    [k * v[0], k * v[1], k * v[2]]
}

/// What a radar at (`lat_deg`, `lon_deg`, `alt_m`) sees of the ECEF point `p`:
/// `(slant_range_m, azimuth_deg, elevation_deg)` — azimuth clockwise from true north in
/// the antenna's local east-north plane, in [0, 360); elevation above the plane normal
/// to the ellipsoid at the antenna.
pub fn aer_of(site: (f64, f64, f64), p: [f64; 3]) -> (f64, f64, f64) {
    let (e, n, u) = {
        let frame = SiteFrame::new(site);
        frame.enu(p)
    };
    let horizontal = e.hypot(n);
    let range = horizontal.hypot(u);
    let az = e.atan2(n).to_degrees().rem_euclid(360.0);
    let el = u.atan2(horizontal).to_degrees();
    (range, az, el)
}

/// The ECEF point a radar at `site` places at slant range, azimuth and elevation
/// (degrees): the inverse of [`aer_of`].
pub fn point_at_aer(site: (f64, f64, f64), range_m: f64, az_deg: f64, el_deg: f64) -> [f64; 3] {
    let frame = SiteFrame::new(site);
    let (sa, ca) = az_deg.to_radians().sin_cos();
    let (se, ce) = el_deg.to_radians().sin_cos();
    frame.to_ecef([range_m * ce * sa, range_m * ce * ca, range_m * se])
}

/// A radar site's local frame: origin at the antenna (its height included), axes east,
/// north and up (the ellipsoid normal).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SiteFrame {
    pub origin: [f64; 3],
    pub east: [f64; 3],
    pub north: [f64; 3],
    pub up: [f64; 3],
}

impl SiteFrame {
    pub fn new((lat_deg, lon_deg, alt_m): (f64, f64, f64)) -> Self {
        let (sl, cl) = lat_deg.to_radians().sin_cos();
        let (so, co) = lon_deg.to_radians().sin_cos();
        SiteFrame {
            origin: geodetic_to_ecef(lat_deg, lon_deg, alt_m),
            east: [-so, co, 0.0],
            north: [-sl * co, -sl * so, cl],
            up: [cl * co, cl * so, sl],
        }
    }

    /// ECEF point to (east, north, up) metres from the antenna.
    #[inline]
    pub fn enu(&self, p: [f64; 3]) -> (f64, f64, f64) {
        let d = [
            p[0] - self.origin[0],
            p[1] - self.origin[1],
            p[2] - self.origin[2],
        ];
        let dot = |a: [f64; 3]| a[0] * d[0] + a[1] * d[1] + a[2] * d[2];
        (dot(self.east), dot(self.north), dot(self.up))
    }

    /// (east, north, up) metres from the antenna to an ECEF point.
    #[inline]
    pub fn to_ecef(&self, enu: [f64; 3]) -> [f64; 3] {
        std::array::from_fn(|i| {
            self.origin[i] + enu[0] * self.east[i] + enu[1] * self.north[i] + enu[2] * self.up[i]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecef_to_geodetic;

    #[test]
    fn surface_gravity_has_the_known_magnitude() {
        // Normal gravity (gravitation plus centrifugal) on the WGS84 ellipsoid: 9.7803 m/s²
        // at the equator, 9.8322 m/s² at the poles (Somigliana). The J2 model gives both to
        // about 0.1 % (the higher harmonics are missing).
        let m = GravityModel::FULL;
        let eq = geodetic_to_ecef(0.0, 0.0, 0.0);
        let a = m.acceleration(eq, [0.0; 3]);
        let g = (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt();
        assert!((g - 9.7803).abs() < 0.01, "equator {g}");
        let pole = geodetic_to_ecef(90.0, 0.0, 0.0);
        let a = m.acceleration(pole, [0.0; 3]);
        let g = (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt();
        assert!((g - 9.8322).abs() < 0.01, "pole {g}");
    }

    #[test]
    fn aer_round_trips_and_points_the_right_way() {
        let site = (40.89, 140.33, 50.0);
        for &(r, az, el) in &[
            (1.0e3, 0.0, 0.0),
            (1.5e6, 270.0, 12.0),
            (8.0e5, 123.4, 45.0),
            (3.0e6, 359.9, 80.0),
        ] {
            let p = point_at_aer(site, r, az, el);
            let (r2, az2, el2) = aer_of(site, p);
            assert!((r - r2).abs() < 1e-6, "{r} {r2}");
            assert!(crate::angle_diff(az, az2).abs() < 1e-9, "{az} {az2}");
            assert!((el - el2).abs() < 1e-9);
        }
        // Due north and level: a point 10 km away is north of the site and lower (the
        // Earth curves away below a level beam, so the point is higher above the ellipsoid).
        let p = point_at_aer(site, 10_000.0, 0.0, 0.0);
        let (lat, lon, h) = ecef_to_geodetic(p);
        assert!(lat > site.0 && (lon - site.1).abs() < 1e-9);
        assert!(h > site.2 && h < site.2 + 20.0, "{h}");
    }

    #[test]
    fn jacobian_matches_the_field() {
        let m = GravityModel::FULL;
        let p = geodetic_to_ecef(38.0, 128.0, 400_000.0);
        let jac = m.position_jacobian(p);
        // Radial gradient of point-mass gravity is 2GM/r³ along r.
        let r = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
        let u = [p[0] / r, p[1] / r, p[2] / r];
        let radial: f64 = (0..3)
            .map(|i| u[i] * (0..3).map(|j| jac[i][j] * u[j]).sum::<f64>())
            .sum();
        let expect = 2.0 * GM / (r * r * r);
        assert!(
            ((radial - expect) / expect).abs() < 0.01,
            "{radial} {expect}"
        );
    }

    #[test]
    fn kepler_orbit_conserves_energy_and_angular_momentum() {
        // A 1,000 km circular-ish orbit for one hour in 1 s steps: with J2 and rotation
        // off, specific energy and angular momentum are constants of the motion.
        let m = GravityModel::KEPLER;
        let r0 = WGS84_A + 1_000_000.0;
        let mut p = [r0, 0.0, 0.0];
        let mut v = [0.0, 6_000.0, 3_000.0];
        let energy = |p: [f64; 3], v: [f64; 3]| {
            let r = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
            0.5 * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) - GM / r
        };
        let h = |p: [f64; 3], v: [f64; 3]| {
            [
                p[1] * v[2] - p[2] * v[1],
                p[2] * v[0] - p[0] * v[2],
                p[0] * v[1] - p[1] * v[0],
            ]
        };
        let (e0, h0) = (energy(p, v), h(p, v));
        for _ in 0..3600 {
            (p, v) = rk4_step(&m, p, v, 1.0, |_, _, _| [0.0; 3]);
        }
        assert!(((energy(p, v) - e0) / e0).abs() < 1e-9);
        let h1 = h(p, v);
        for i in 0..3 {
            assert!((h1[i] - h0[i]).abs() < 1e-6 * r0 * 7_000.0);
        }
    }

    #[test]
    fn drag_opposes_the_motion_and_vanishes_without_air() {
        let p = geodetic_to_ecef(35.0, 135.0, 10_000.0);
        let v = [1_000.0, -2_000.0, 500.0];
        let a = drag(p, v, 1.0 / 20_000.0);
        let speed = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        let expect = 0.5 * air_density(10_000.0) * speed * speed / 20_000.0;
        let got = (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt();
        assert!(((got - expect) / expect).abs() < 1e-9, "{got} {expect}");
        assert!(a[0] * v[0] + a[1] * v[1] + a[2] * v[2] < 0.0);
        assert_eq!(drag(p, v, 0.0), [0.0; 3]);
        assert_eq!(
            drag(geodetic_to_ecef(35.0, 135.0, 300_000.0), v, 1e-4),
            [0.0; 3]
        );
        let up = up_at(geodetic_to_ecef(35.0, 135.0, 500_000.0));
        assert!((up[0] * up[0] + up[1] * up[1] + up[2] * up[2] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn atmosphere_falls_off_and_vanishes() {
        assert_eq!(air_density(0.0), RHO0);
        assert!((air_density(SCALE_HEIGHT_M) - RHO0 / std::f64::consts::E).abs() < 1e-9);
        assert_eq!(air_density(300_000.0), 0.0);
        assert_eq!(air_density(-100.0), RHO0);
    }
}
