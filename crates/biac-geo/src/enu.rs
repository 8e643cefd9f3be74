//! Local east-north-up tangent planes on the WGS84 ellipsoid.
//!
//! Every track keeps its own [`EnuFrame`] whose origin lies on the ellipsoid (h = 0).
//! Horizontal tracking works on the surface: an observation's altitude is ignored when
//! it is projected into a frame (an aircraft at 10 km is tracked at the point below it).

use crate::{ecef_to_geodetic, WGS84_A, WGS84_E2 as E2};

#[inline]
fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// A local east-north-up tangent plane at a point on the WGS84 ellipsoid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EnuFrame {
    pub lat_deg: f64,
    pub lon_deg: f64,
    origin: [f64; 3],
    /// 1 / (2N) and 1 / (2M): the ellipsoid's normal-section curvatures at the origin
    /// (prime vertical, meridian), for the surface's drop below the plane.
    inv_2n: f64,
    inv_2m: f64,
    east: [f64; 3],
    north: [f64; 3],
    up: [f64; 3],
}

impl EnuFrame {
    /// The frame tangent to the ellipsoid at (`lat_deg`, `lon_deg`, h = 0).
    #[inline]
    pub fn new(lat_deg: f64, lon_deg: f64) -> Self {
        let (sl, cl) = lat_deg.to_radians().sin_cos();
        let (so, co) = lon_deg.to_radians().sin_cos();
        let w2 = 1.0 - E2 * sl * sl;
        let n = WGS84_A / w2.sqrt();
        EnuFrame {
            lat_deg,
            lon_deg,
            // As geodetic_to_ecef(lat_deg, lon_deg, 0.0), sharing the sines.
            origin: [n * cl * co, n * cl * so, n * (1.0 - E2) * sl],
            inv_2n: 1.0 / (2.0 * n),
            inv_2m: w2 / (2.0 * n * (1.0 - E2)),
            east: [-so, co, 0.0],
            north: [-sl * co, -sl * so, cl],
            up: [cl * co, cl * so, sl],
        }
    }

    /// ECEF point to (east, north, up) metres in this frame.
    #[inline]
    pub fn ecef_to_enu(&self, p: [f64; 3]) -> [f64; 3] {
        let d = [
            p[0] - self.origin[0],
            p[1] - self.origin[1],
            p[2] - self.origin[2],
        ];
        [dot(d, self.east), dot(d, self.north), dot(d, self.up)]
    }

    /// ECEF point to its (east, north) projection on the tangent plane.
    #[inline]
    pub fn ecef_to_en(&self, p: [f64; 3]) -> [f64; 2] {
        let [e, n, _] = self.ecef_to_enu(p);
        [e, n]
    }

    /// (east, north, up) metres in this frame to ECEF.
    #[inline]
    pub fn enu_to_ecef(&self, enu: [f64; 3]) -> [f64; 3] {
        let [e, n, u] = enu;
        [
            self.origin[0] + e * self.east[0] + n * self.north[0] + u * self.up[0],
            self.origin[1] + e * self.east[1] + n * self.north[1] + u * self.up[1],
            self.origin[2] + e * self.east[2] + n * self.north[2] + u * self.up[2],
        ]
    }

    /// Cheap ECEF approximation of the surface point projecting to (e, n): the plane
    /// point dropped by the sphere sagitta. Good to a few metres within 50 km; used only
    /// for coarse gating.
    #[inline]
    pub fn en_to_ecef_approx(&self, e: f64, n: f64) -> [f64; 3] {
        let u = -(e * e + n * n) / (2.0 * 6_371_000.0);
        self.enu_to_ecef([e, n, u])
    }

    /// Height in this frame (the `up` coordinate) of the ellipsoid surface point that
    /// projects to (e, n), to second order (millimetres at 20 km; the osculating
    /// ellipsoid at the origin).
    #[inline]
    pub fn surface_up(&self, e: f64, n: f64) -> f64 {
        -(e * e * self.inv_2n + n * n * self.inv_2m)
    }

    /// The surface point (h = 0) whose projection on this plane is (e, n), as
    /// `(lat_deg, lon_deg)`. Inverse of `ecef_to_en(geodetic_to_ecef(lat, lon, 0))`.
    #[inline]
    pub fn en_to_geodetic(&self, e: f64, n: f64) -> (f64, f64) {
        // Start at the surface's drop below the plane to second order (the osculating
        // ellipsoid at the origin: a few millimetres off at 20 km), then walk along this
        // frame's up axis until the point is on the ellipsoid. The point found is the
        // foot of the normal through (e, n, u); it is off the up axis by about
        // |h|·d/R, so stop once that is under ten micrometres.
        let mut u = self.surface_up(e, n);
        let reach = (e * e + n * n).sqrt() / 6_371_000.0;
        let mut lat_lon = (self.lat_deg, self.lon_deg);
        for _ in 0..4 {
            let (lat, lon, h) = ecef_to_geodetic(self.enu_to_ecef([e, n, u]));
            lat_lon = (lat, lon);
            if h.abs() * reach < 1e-5 {
                break;
            }
            u -= h;
        }
        lat_lon
    }

    /// Horizontal vector (east, north components in this frame) to an ECEF vector.
    #[inline]
    pub fn vec_to_ecef(&self, ve: f64, vn: f64) -> [f64; 3] {
        [
            ve * self.east[0] + vn * self.north[0],
            ve * self.east[1] + vn * self.north[1],
            ve * self.east[2] + vn * self.north[2],
        ]
    }

    /// ECEF vector to its (east, north) components in this frame.
    #[inline]
    pub fn ecef_vec_to_en(&self, v: [f64; 3]) -> [f64; 2] {
        [dot(v, self.east), dot(v, self.north)]
    }

    /// The 2x2 matrix `J` taking horizontal (east, north) vectors of `self` to those of
    /// `to`: `v_to = J * v_self`. Near-identity for nearby frames; it carries the
    /// rotation of north between two points (meridian convergence).
    #[inline]
    pub fn horizontal_rotation_to(&self, to: &EnuFrame) -> [[f64; 2]; 2] {
        [
            [dot(to.east, self.east), dot(to.east, self.north)],
            [dot(to.north, self.east), dot(to.north, self.north)],
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geodetic_to_ecef;

    #[test]
    fn ecef_round_trip() {
        for &(lat, lon, h) in &[
            (26.2, 127.7, 0.0),
            (31.2, 121.5, 11_000.0),
            (-45.0, -170.0, -30.0),
            (89.9999, 10.0, 5.0),
            (0.0, 180.0, 0.0),
        ] {
            let (la, lo, hh) = ecef_to_geodetic(geodetic_to_ecef(lat, lon, h));
            assert!((la - lat).abs() < 1e-10, "{la} {lat}");
            assert!((lo - lon).abs() < 1e-10 || (lo.abs() - 180.0).abs() < 1e-10);
            assert!((hh - h).abs() < 1e-4, "{hh} {h}");
        }
    }

    #[test]
    fn enu_round_trip_far_from_origin() {
        let f = EnuFrame::new(26.2, 127.7);
        for &(lat, lon) in &[(26.2, 127.7), (26.4, 127.9), (25.9, 127.1), (27.0, 128.5)] {
            let [e, n] = f.ecef_to_en(geodetic_to_ecef(lat, lon, 0.0));
            let (la, lo) = f.en_to_geodetic(e, n);
            assert!(
                (la - lat).abs() < 1e-9 && (lo - lon).abs() < 1e-9,
                "{la} {lo}"
            );
        }
    }

    #[test]
    fn enu_axes_are_orthonormal_and_north_points_north() {
        let f = EnuFrame::new(30.0, 125.0);
        let [e, n] = f.ecef_to_en(geodetic_to_ecef(30.001, 125.0, 0.0));
        assert!(e.abs() < 1e-6 && n > 110.0 && n < 111.0, "{e} {n}");
        let j = f.horizontal_rotation_to(&f);
        assert!((j[0][0] - 1.0).abs() < 1e-15 && j[0][1].abs() < 1e-15);
    }
}
