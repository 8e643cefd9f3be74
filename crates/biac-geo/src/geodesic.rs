//! Geodesics on the ellipsoid: the inverse problem (distance and azimuths between two
//! points) and the direct problem (the point at a distance along an azimuth).
//!
//! Karney's algorithm (C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87, 2013)
//! through `geographiclib-rs`: accurate to round-off (nanometres) for every pair of
//! points, antipodal ones included. Vincenty's iteration, the usual alternative, fails
//! to converge for nearly antipodal points (22 of 1,000,000 random pairs; see
//! docs/ARCHITECTURE.md for the measurement that chose this).

use std::sync::LazyLock;

use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};

use crate::{geodetic_to_ecef, WGS84_A, WGS84_F};

/// WGS84's geodesic coefficients, computed once.
static WGS84: LazyLock<Geodesic> = LazyLock::new(|| Geodesic::new(WGS84_A, WGS84_F));

/// An ellipsoid of revolution, for geodesics on another datum than WGS84 (published
/// test lines are on Bessel's and Hayford's ellipsoids).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ellipsoid {
    /// Semi-major axis, metres.
    pub a: f64,
    /// Flattening.
    pub f: f64,
}

impl Ellipsoid {
    pub const WGS84: Ellipsoid = Ellipsoid {
        a: WGS84_A,
        f: WGS84_F,
    };

    fn geodesic(&self) -> Geodesic {
        Geodesic::new(self.a, self.f)
    }

    /// The inverse problem on this ellipsoid: `(distance_m, azimuth1_deg, azimuth2_deg)`,
    /// azimuths in (-180, 180], clockwise from north; azimuth 2 is the forward azimuth
    /// at the second point.
    pub fn inverse(&self, lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> (f64, f64, f64) {
        let (s, a1, a2, _): (f64, f64, f64, f64) = self.geodesic().inverse(lat1, lon1, lat2, lon2);
        (s, a1, a2)
    }

    /// The direct problem on this ellipsoid: `(lat_deg, lon_deg, azimuth2_deg)` of the
    /// point `distance_m` from (`lat1`, `lon1`) along initial azimuth `azimuth1_deg`.
    pub fn direct(
        &self,
        lat1: f64,
        lon1: f64,
        azimuth1_deg: f64,
        distance_m: f64,
    ) -> (f64, f64, f64) {
        self.geodesic().direct(lat1, lon1, azimuth1_deg, distance_m)
    }
}

/// The WGS84 inverse problem: `(distance_m, azimuth1_deg, azimuth2_deg)`, azimuths in
/// (-180, 180] clockwise from north, azimuth 2 forward at the second point.
pub fn inverse(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> (f64, f64, f64) {
    let (s, a1, a2, _): (f64, f64, f64, f64) = WGS84.inverse(lat1, lon1, lat2, lon2);
    (s, a1, a2)
}

/// The WGS84 direct problem: `(lat_deg, lon_deg, azimuth2_deg)` of the point
/// `distance_m` from (`lat1`, `lon1`) along initial azimuth `azimuth1_deg`; longitude in
/// [-180, 180].
pub fn direct(lat1: f64, lon1: f64, azimuth1_deg: f64, distance_m: f64) -> (f64, f64, f64) {
    WGS84.direct(lat1, lon1, azimuth1_deg, distance_m)
}

/// Geodesic distance on WGS84, metres.
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    WGS84.inverse(lat1, lon1, lat2, lon2)
}

/// Initial geodesic azimuth from point 1 to point 2, degrees clockwise from true north
/// in [0, 360).
pub fn bearing_deg(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (a1, _, _): (f64, f64, f64) = WGS84.inverse(lat1, lon1, lat2, lon2);
    let b = a1.rem_euclid(360.0);
    // A tiny negative azimuth rounds up to 360 exactly.
    if b >= 360.0 {
        0.0
    } else {
        b
    }
}

/// The point `distance_m` from (`lat`, `lon`) along the geodesic leaving at
/// `bearing_deg`, as `(lat_deg, lon_deg)`.
pub fn destination(lat: f64, lon: f64, bearing_deg: f64, distance_m: f64) -> (f64, f64) {
    WGS84.direct(lat, lon, bearing_deg, distance_m)
}

/// The geodesic distance between two surface points when it is at most `max_m`, else
/// `None`. The chord is never longer than the geodesic, so a pair whose chord exceeds
/// `max_m` is rejected without solving the geodesic: a coverage check against a sensor's
/// range, where most pairs are far apart, costs a few sines instead.
pub fn distance_within(lat1: f64, lon1: f64, lat2: f64, lon2: f64, max_m: f64) -> Option<f64> {
    let (p, q) = (
        geodetic_to_ecef(lat1, lon1, 0.0),
        geodetic_to_ecef(lat2, lon2, 0.0),
    );
    let chord = ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt();
    // A micrometre of slack for the chord's rounding; NaN is rejected too.
    if chord.is_nan() || chord > max_m + 1e-6 {
        return None;
    }
    let d = distance_m(lat1, lon1, lat2, lon2);
    (d <= max_m).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_within_agrees_with_the_distance() {
        let (lat, lon) = (24.78, 125.3);
        for k in 0..2000 {
            let az = k as f64 * 0.37;
            let s = 10.0 + k as f64 * 250.0;
            let (la, lo) = destination(lat, lon, az, s);
            let d = distance_m(lat, lon, la, lo);
            for max in [0.5 * s, s - 1e-3, s + 1e-3, 2.0 * s, 100_000.0] {
                let want = (d <= max).then_some(d);
                assert_eq!(distance_within(lat, lon, la, lo, max), want, "{s} {max}");
            }
        }
        assert_eq!(distance_within(f64::NAN, 0.0, 0.0, 0.0, 1e9), None);
    }
}
