//! Where a radar's slant range and azimuth put a target of known height, with the
//! definitions of `biac_model::PolarMeasurement`: the slant range is the 3-D distance
//! from the antenna, the azimuth the direction in the antenna's local east-north plane,
//! clockwise from true north.

use crate::{ecef_to_geodetic, geodetic_to_ecef};

/// The point at slant range `range_m` and azimuth `azimuth_rad` from an antenna at
/// (`lat_deg`, `lon_deg`, `alt_m` above the ellipsoid) whose height above the ellipsoid
/// is `height_m`: `(lat_deg, lon_deg, horizontal_m)`, the last the distance to it in
/// the antenna's plane. `None` when no elevation reaches that height at that range (or
/// an input is not finite or the range not positive).
///
/// The elevation is found by bisection: the height of the point along the beam rises
/// with the elevation over the whole interval that matters.
pub fn beam_point(
    (lat_deg, lon_deg, alt_m): (f64, f64, f64),
    range_m: f64,
    azimuth_rad: f64,
    height_m: f64,
) -> Option<(f64, f64, f64)> {
    let finite = [lat_deg, lon_deg, alt_m, azimuth_rad, height_m]
        .iter()
        .all(|x| x.is_finite());
    if !(finite && range_m.is_finite() && range_m > 0.0) {
        return None;
    }
    let s = geodetic_to_ecef(lat_deg, lon_deg, alt_m);
    let (slat, clat) = lat_deg.to_radians().sin_cos();
    let (slon, clon) = lon_deg.to_radians().sin_cos();
    let east = [-slon, clon, 0.0];
    let north = [-slat * clon, -slat * slon, clat];
    let up = [clat * clon, clat * slon, slat];
    let (sa, ca) = azimuth_rad.sin_cos();
    let point = |elev: f64| {
        let (se, ce) = elev.sin_cos();
        std::array::from_fn::<f64, 3, _>(|i| {
            s[i] + range_m * (ce * (sa * east[i] + ca * north[i]) + se * up[i])
        })
    };
    let height = |elev: f64| ecef_to_geodetic(point(elev)).2 - height_m;
    let (mut lo, mut hi) = (-std::f64::consts::FRAC_PI_2, std::f64::consts::FRAC_PI_2);
    if height(lo) > 0.0 || height(hi) < 0.0 {
        return None;
    }
    // 2⁻⁴⁰ of π: a few micrometres at the longest CAT048 range (256 NM).
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if height(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let elev = 0.5 * (lo + hi);
    let (lat, lon, _) = ecef_to_geodetic(point(elev));
    Some((lat, lon, range_m * elev.cos()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: (f64, f64) = (24.78, 125.3);

    /// The point found is at the slant range, in the azimuth, and at the height asked
    /// for; the horizontal distance is the slant range's projection on the antenna's
    /// plane.
    #[test]
    fn the_point_keeps_range_azimuth_and_height() {
        let site = (SITE.0, SITE.1, 95.0);
        let s = geodetic_to_ecef(site.0, site.1, site.2);
        for (range, az_deg, h) in [
            (150_000.0, 30.0, 10_000.0),
            (400_000.0, 271.5, 12_000.0),
            (20_000.0, 180.0, 0.0),
            (5_000.0, 0.0, 3_000.0),
        ] {
            let az = f64::to_radians(az_deg);
            let (lat, lon, horiz) = beam_point(site, range, az, h).unwrap();
            let p = geodetic_to_ecef(lat, lon, h);
            let d: Vec<f64> = (0..3).map(|i| p[i] - s[i]).collect();
            let slant = d.iter().map(|x| x * x).sum::<f64>().sqrt();
            assert!((slant - range).abs() < 1e-3, "{slant} vs {range}");
            let (slat, clat) = site.0.to_radians().sin_cos();
            let (slon, clon) = site.1.to_radians().sin_cos();
            let e = -slon * d[0] + clon * d[1];
            let n = -slat * clon * d[0] - slat * slon * d[1] + clat * d[2];
            let got = e.atan2(n).rem_euclid(std::f64::consts::TAU);
            assert!((got - az).abs() < 1e-9, "{got} vs {az}");
            assert!(
                (e.hypot(n) - horiz).abs() < 1e-3,
                "{} vs {horiz}",
                e.hypot(n)
            );
        }
    }

    #[test]
    fn unreachable_heights_are_none() {
        let at = |alt: f64| (SITE.0, SITE.1, alt);
        // 5 km of range cannot reach 10 km up, nor sea level from 10 km.
        assert!(beam_point(at(100.0), 5_000.0, 0.3, 10_000.0).is_none());
        assert!(beam_point(at(9_000.0), 5_000.0, 0.3, 0.0).is_none());
        assert!(beam_point(at(100.0), 0.0, 0.3, 0.0).is_none());
        assert!(beam_point(at(100.0), 150.0, f64::NAN, 0.0).is_none());
        assert!(beam_point(at(f64::INFINITY), 150.0, 0.3, 0.0).is_none());
        assert!(beam_point(at(100.0), 150.0, 0.3, 0.0).is_some());
    }

    /// Near the pole, where the radar's own plane turns fastest.
    #[test]
    fn works_at_the_pole() {
        let site = (89.999, 40.0, 20.0);
        let (lat, lon, horiz) = beam_point(site, 200_000.0, 1.0, 9_000.0).unwrap();
        let s = geodetic_to_ecef(site.0, site.1, site.2);
        let p = geodetic_to_ecef(lat, lon, 9_000.0);
        let slant = (0..3).map(|i| (p[i] - s[i]).powi(2)).sum::<f64>().sqrt();
        assert!((slant - 200_000.0).abs() < 1e-3, "{slant}");
        assert!(horiz < 200_000.0 && horiz > 199_000.0, "{horiz}");
    }
}
