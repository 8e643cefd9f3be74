//! Spherical-earth geometry: great-circle distance, bearing, destination point, radio horizon.
//!
//! A sphere of the mean Earth radius is accurate to about 0.3 % over the scenario area, far
//! below any sensor error modelled here.

/// Mean Earth radius, metres (IUGG).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// One international nautical mile, metres.
pub const NM: f64 = 1852.0;
/// One knot, m/s.
pub const KNOT: f64 = NM / 3600.0;
/// One foot, metres.
pub const FOOT: f64 = 0.3048;

/// Great-circle (haversine) distance, metres.
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// Initial great-circle bearing from point 1 to point 2, degrees true in [0, 360).
pub fn bearing_deg(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dl = (lon2 - lon1).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    y.atan2(x).to_degrees().rem_euclid(360.0)
}

/// The point `dist_m` from (lat, lon) along the great circle leaving at `bearing` degrees.
pub fn destination(lat: f64, lon: f64, bearing: f64, dist_m: f64) -> (f64, f64) {
    let d = dist_m / EARTH_RADIUS_M;
    let th = bearing.to_radians();
    let p1 = lat.to_radians();
    let l1 = lon.to_radians();
    let sp2 = (p1.sin() * d.cos() + p1.cos() * d.sin() * th.cos()).clamp(-1.0, 1.0);
    let p2 = sp2.asin();
    let l2 = l1 + (th.sin() * d.sin() * p1.cos()).atan2(d.cos() - p1.sin() * sp2);
    (
        p2.to_degrees(),
        (l2.to_degrees() + 540.0).rem_euclid(360.0) - 180.0,
    )
}

/// Radio/radar horizon between an antenna at `h_ant_m` and a target at `h_tgt_m`, metres
/// (4/3-earth refraction: 4.12 km × (√h_ant + √h_tgt), heights in metres).
pub fn horizon_m(h_ant_m: f64, h_tgt_m: f64) -> f64 {
    4120.0 * (h_ant_m.max(0.0).sqrt() + h_tgt_m.max(0.0).sqrt())
}

/// Signed smallest difference `to - from` between two bearings, degrees in (-180, 180].
pub fn angle_diff(from: f64, to: f64) -> f64 {
    let d = (to - from).rem_euclid(360.0);
    if d > 180.0 {
        d - 360.0
    } else {
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destination_round_trip() {
        let (lat, lon) = destination(24.78, 125.33, 37.0, 74_000.0);
        let d = distance_m(24.78, 125.33, lat, lon);
        assert!((d - 74_000.0).abs() < 0.01, "{d}");
        let b = bearing_deg(24.78, 125.33, lat, lon);
        assert!((b - 37.0).abs() < 1e-6, "{b}");
    }

    #[test]
    fn known_distance_naha_miyako() {
        // Naha (26.2124 N, 127.6792 E) to Miyako (24.7828 N, 125.2950 E): about 287 km.
        let d = distance_m(26.2124, 127.6792, 24.7828, 125.2950);
        assert!((d - 287_000.0).abs() < 3_000.0, "{d}");
    }

    #[test]
    fn one_degree_of_latitude() {
        let d = distance_m(25.0, 125.0, 26.0, 125.0);
        assert!((d - 111_195.0).abs() < 5.0, "{d}");
    }

    #[test]
    fn horizon_and_angles() {
        assert!((horizon_m(100.0, 0.0) - 41_200.0).abs() < 1e-6);
        assert_eq!(angle_diff(350.0, 10.0), 20.0);
        assert_eq!(angle_diff(10.0, 350.0), -20.0);
    }
}
