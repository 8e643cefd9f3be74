//! Where a radar's range and azimuth put a target, on the WGS84 ellipsoid, with the
//! same definitions as `biac_model::PolarMeasurement`: the slant range is the 3-D
//! distance from the antenna, the azimuth the direction in the antenna's local
//! east-north plane, clockwise from true north.

use biac_model::RadarSite;

const A: f64 = 6_378_137.0;
const F: f64 = 1.0 / 298.257_223_563;
const E2: f64 = F * (2.0 - F);

fn to_ecef(lat_deg: f64, lon_deg: f64, h: f64) -> [f64; 3] {
    let (slat, clat) = lat_deg.to_radians().sin_cos();
    let (slon, clon) = lon_deg.to_radians().sin_cos();
    let n = A / (1.0 - E2 * slat * slat).sqrt();
    [
        (n + h) * clat * clon,
        (n + h) * clat * slon,
        (n * (1.0 - E2) + h) * slat,
    ]
}

/// Latitude, longitude (degrees) and height above the ellipsoid of an ECEF point
/// (fixed-point iteration on the latitude: well under a millimetre after five
/// rounds for points within a few hundred kilometres of the surface).
fn to_geodetic(p: [f64; 3]) -> (f64, f64, f64) {
    let lon = p[1].atan2(p[0]);
    let r = p[0].hypot(p[1]);
    let mut lat = p[2].atan2(r * (1.0 - E2));
    let mut h = 0.0;
    for _ in 0..6 {
        let s = lat.sin();
        let n = A / (1.0 - E2 * s * s).sqrt();
        h = if lat.cos().abs() > 1e-9 {
            r / lat.cos() - n
        } else {
            p[2].abs() - n * (1.0 - E2)
        };
        lat = p[2].atan2(r * (1.0 - E2 * n / (n + h)));
    }
    (lat.to_degrees(), lon.to_degrees(), h)
}

/// The point at slant range `range_m` and azimuth `azimuth_rad` from the radar's
/// antenna whose height above the ellipsoid is `height_m`: latitude, longitude and
/// the horizontal (in the antenna's plane) distance to it. `None` when no elevation
/// reaches that height at that range.
///
/// The elevation is found by bisection: the height of the point along the beam rises
/// with the elevation over the whole interval that matters.
pub(super) fn polar_to_geodetic(
    radar: &RadarSite,
    range_m: f64,
    azimuth_rad: f64,
    height_m: f64,
) -> Option<(f64, f64, f64)> {
    if !(range_m.is_finite() && range_m > 0.0 && height_m.is_finite()) {
        return None;
    }
    let s = to_ecef(radar.lat_deg, radar.lon_deg, radar.alt_m);
    let (slat, clat) = radar.lat_deg.to_radians().sin_cos();
    let (slon, clon) = radar.lon_deg.to_radians().sin_cos();
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
    let height = |elev: f64| to_geodetic(point(elev)).2 - height_m;
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
    let (lat, lon, _) = to_geodetic(point(elev));
    Some((lat, lon, range_m * elev.cos()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(alt_m: f64) -> RadarSite {
        RadarSite {
            lat_deg: 24.78,
            lon_deg: 125.3,
            alt_m,
            sigma_range_m: 50.0,
            sigma_azimuth_deg: 0.1,
            sac: None,
            sic: None,
        }
    }

    #[test]
    fn geodetic_round_trip() {
        for (lat, lon, h) in [
            (0.0, 0.0, 0.0),
            (24.78, 125.3, 95.0),
            (-45.5, -170.25, 11_000.0),
            (89.9, 10.0, 300.0),
        ] {
            let (a, b, c) = to_geodetic(to_ecef(lat, lon, h));
            assert!((a - lat).abs() < 1e-9 && (b - lon).abs() < 1e-9, "{a} {b}");
            assert!((c - h).abs() < 1e-4, "{c} vs {h}");
        }
    }

    /// The point found is at the slant range, in the azimuth, and at the height asked
    /// for; the horizontal distance is the slant range's projection on the antenna's
    /// plane.
    #[test]
    fn the_point_keeps_range_azimuth_and_height() {
        let radar = site(95.0);
        let s = to_ecef(radar.lat_deg, radar.lon_deg, radar.alt_m);
        for (range, az_deg, h) in [
            (150_000.0, 30.0, 10_000.0),
            (400_000.0, 271.5, 12_000.0),
            (20_000.0, 180.0, 0.0),
            (5_000.0, 0.0, 3_000.0),
        ] {
            let az = f64::to_radians(az_deg);
            let (lat, lon, horiz) = polar_to_geodetic(&radar, range, az, h).unwrap();
            let p = to_ecef(lat, lon, h);
            let d: Vec<f64> = (0..3).map(|i| p[i] - s[i]).collect();
            let slant = d.iter().map(|x| x * x).sum::<f64>().sqrt();
            assert!((slant - range).abs() < 1e-3, "{slant} vs {range}");
            let (slat, clat) = radar.lat_deg.to_radians().sin_cos();
            let (slon, clon) = radar.lon_deg.to_radians().sin_cos();
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
        let radar = site(100.0);
        // 5 km of range cannot reach 10 km up, nor sea level from 10 km.
        assert!(polar_to_geodetic(&radar, 5_000.0, 0.3, 10_000.0).is_none());
        assert!(polar_to_geodetic(&site(9_000.0), 5_000.0, 0.3, 0.0).is_none());
        assert!(polar_to_geodetic(&radar, 0.0, 0.3, 0.0).is_none());
        assert!(polar_to_geodetic(&radar, 150.0, 0.3, 0.0).is_some());
    }
}
