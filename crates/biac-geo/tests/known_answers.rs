//! Known answers from published sources, independent of our code: Vincenty's own test
//! lines, GeographicLib's documented examples, the EPSG Guidance Note 7-2 worked
//! examples; then round trips where the answer is known by construction (poles,
//! equator, antimeridian, ballistic heights).

use biac_geo::{
    bearing_deg, destination, direct, distance_m, ecef_to_geodetic, geodetic_to_ecef, inverse,
    Ellipsoid, EnuFrame,
};

fn dms(d: f64, m: f64, s: f64) -> f64 {
    d.signum() * (d.abs() + m / 60.0 + s / 3600.0)
}

/// Signed difference of two azimuths or longitudes, degrees.
fn ang(a: f64, b: f64) -> f64 {
    (a - b + 540.0).rem_euclid(360.0) - 180.0
}

struct Line {
    ellipsoid: Ellipsoid,
    lat1: f64,
    az1: f64,
    s: f64,
    lat2: f64,
    lon2: f64,
    az2: f64,
}

/// T. Vincenty, "Direct and inverse solutions of geodesics on the ellipsoid with
/// application of nested equations", Survey Review XXIII (176), 1975, table II: lines
/// (a) on Bessel's ellipsoid, (b)-(e) on the International (Hayford) ellipsoid; point 1
/// at longitude 0. Angles to 1e-5", distances to the millimetre.
fn vincenty_lines() -> [Line; 5] {
    let bessel = Ellipsoid {
        a: 6_377_397.155,
        f: 1.0 / 299.152_812_8,
    };
    let intl = Ellipsoid {
        a: 6_378_388.0,
        f: 1.0 / 297.0,
    };
    [
        Line {
            ellipsoid: bessel,
            lat1: dms(55., 45., 0.),
            az1: dms(96., 36., 8.79960),
            s: 14_110_526.170,
            lat2: dms(-33., 26., 0.),
            lon2: dms(108., 13., 0.),
            az2: dms(137., 52., 22.01454),
        },
        Line {
            ellipsoid: intl,
            lat1: dms(37., 19., 54.95367),
            az1: dms(95., 27., 59.63089),
            s: 4_085_966.703,
            lat2: dms(26., 7., 42.83946),
            lon2: dms(41., 28., 35.50729),
            az2: dms(118., 5., 58.96161),
        },
        Line {
            ellipsoid: intl,
            lat1: dms(35., 16., 11.24862),
            az1: dms(15., 44., 23.74850),
            s: 8_084_823.839,
            lat2: dms(67., 22., 14.77638),
            lon2: dms(137., 47., 28.31435),
            az2: dms(144., 55., 39.92147),
        },
        Line {
            ellipsoid: intl,
            lat1: 1.0,
            az1: 89.0,
            s: 19_960_000.000,
            lat2: -dms(0., 59., 53.83076),
            lon2: dms(179., 17., 48.02997),
            az2: dms(91., 0., 6.11733),
        },
        Line {
            ellipsoid: intl,
            lat1: 1.0,
            az1: dms(4., 59., 59.99995),
            s: 19_780_006.558,
            lat2: dms(1., 1., 15.18952),
            lon2: dms(179., 46., 17.84244),
            az2: dms(174., 59., 59.88481),
        },
    ]
}

/// 1e-8 degree is about a millimetre on the ground: the published values' own
/// precision (1e-5" and 1 mm) plus the rounding of the inputs.
const DEG_TOL: f64 = 1e-8;

#[test]
fn vincenty_test_lines_direct() {
    for (i, l) in vincenty_lines().iter().enumerate() {
        let (lat2, lon2, az2) = l.ellipsoid.direct(l.lat1, 0.0, l.az1, l.s);
        assert!(
            (lat2 - l.lat2).abs() < DEG_TOL,
            "line {i}: lat {lat2} vs {}",
            l.lat2
        );
        assert!(
            ang(lon2, l.lon2).abs() < DEG_TOL,
            "line {i}: lon {lon2} vs {}",
            l.lon2
        );
        assert!(
            ang(az2, l.az2).abs() < 2.0 * DEG_TOL,
            "line {i}: az2 {az2} vs {}",
            l.az2
        );
    }
}

#[test]
fn vincenty_test_lines_inverse() {
    for (i, l) in vincenty_lines().iter().enumerate() {
        let (s, az1, az2) = l.ellipsoid.inverse(l.lat1, 0.0, l.lat2, l.lon2);
        assert!((s - l.s).abs() < 1e-3, "line {i}: s {s} vs {}", l.s);
        // Line (d) is nearly antipodal: there the azimuths move by 3e-7° for the
        // endpoint's published rounding (1e-5", 0.3 mm).
        let tol = if i == 3 { 5e-7 } else { 2.0 * DEG_TOL };
        assert!(
            ang(az1, l.az1).abs() < tol,
            "line {i}: az1 {az1} vs {}",
            l.az1
        );
        assert!(
            ang(az2, l.az2).abs() < tol,
            "line {i}: az2 {az2} vs {}",
            l.az2
        );
    }
}

/// GeographicLib's documented examples (the JavaScript package's README): Wellington
/// to Salamanca, 19959679.267 m; 20,000 km south-west of Perth, (32.11195529,
/// -63.95925278). Both nearly antipodal, where Vincenty's inverse struggles.
#[test]
fn geographiclib_published_examples() {
    let s = distance_m(-41.32, 174.81, 40.96, -5.50);
    assert!((s - 19_959_679.267).abs() < 1e-3, "{s}");
    let (lat, lon) = destination(-32.06, 115.74, 225.0, 20_000e3);
    assert!((lat - 32.111_955_29).abs() < 1e-8, "{lat}");
    assert!((lon + 63.959_252_78).abs() < 1e-8, "{lon}");
    let (s2, _, _) = inverse(-41.32, 174.81, 40.96, -5.50);
    assert_eq!(s, s2);
}

/// EPSG Guidance Note 7-2, geographic/geocentric conversions (method 9602), WGS84:
/// 53°48'33.82"N 2°07'46.38"E, h = 73 m is X = 3771793.97, Y = 140253.34,
/// Z = 5124304.35 m; and the topocentric origin of method 9836's example,
/// 55°N 5°E h = 200 m, is 3652755.3058, 319574.6799, 5201547.3536 m.
#[test]
fn epsg_geocentric_examples() {
    let (lat, lon) = (dms(53., 48., 33.82), dms(2., 7., 46.38));
    let p = geodetic_to_ecef(lat, lon, 73.0);
    for (got, want) in p.iter().zip([3_771_793.97, 140_253.34, 5_124_304.35]) {
        assert!((got - want).abs() < 0.006, "{got} vs {want}");
    }
    let o = geodetic_to_ecef(55.0, 5.0, 200.0);
    for (got, want) in o
        .iter()
        .zip([3_652_755.305_8, 319_574.679_9, 5_201_547.353_6])
    {
        assert!((got - want).abs() < 1e-4, "{got} vs {want}");
    }
    // And back, from the millimetre coordinates of method 9836's example.
    let (la, lo, h) = ecef_to_geodetic([3_771_793.968, 140_253.342, 5_124_304.349]);
    assert!(
        (la - lat).abs() < 3e-8 && (lo - lon).abs() < 3e-8,
        "{la} {lo}"
    );
    assert!((h - 73.0).abs() < 2e-3, "{h}");
}

/// EPSG Guidance Note 7-2, geographic/topocentric conversions (method 9837): with the
/// origin at 55°N 5°E, h0 = 200 m, the point above is at E = -189013.869,
/// N = -128642.040, U = -4220.171 m. Our frames sit on the ellipsoid (h = 0), so
/// their up is 200 m more.
#[test]
fn epsg_topocentric_example() {
    let f = EnuFrame::new(55.0, 5.0);
    let p = geodetic_to_ecef(dms(53., 48., 33.82), dms(2., 7., 46.38), 73.0);
    let [e, n, u] = f.ecef_to_enu(p);
    assert!((e + 189_013.869).abs() < 2e-3, "{e}");
    assert!((n + 128_642.040).abs() < 2e-3, "{n}");
    assert!((u - 200.0 + 4_220.171).abs() < 2e-3, "{u}");
    let back = f.enu_to_ecef([e, n, u]);
    for i in 0..3 {
        assert!((back[i] - p[i]).abs() < 1e-8);
    }
}

/// Points whose geodetic coordinates are known exactly: on the polar axis latitude is
/// ±90° and height |z| − b; in the equatorial plane latitude is 0 and height ρ − a.
/// At every height from 10 km below the surface to geostationary orbit.
#[test]
fn axis_and_equator_exact() {
    let a = biac_geo::WGS84_A;
    let b = a * (1.0 - biac_geo::WGS84_F);
    for h in [
        -10_000.0,
        0.0,
        100.0,
        1_000_000.0,
        6_000_000.0,
        35_786_000.0,
    ] {
        let (lat, _, hh) = ecef_to_geodetic([0.0, 0.0, b + h]);
        assert_eq!(lat, 90.0);
        assert!((hh - h).abs() < 1e-6, "{hh} {h}");
        let (lat, _, hh) = ecef_to_geodetic([0.0, 0.0, -(b + h)]);
        assert_eq!(lat, -90.0);
        assert!((hh - h).abs() < 1e-6, "{hh} {h}");
        let (lat, lon, hh) = ecef_to_geodetic([0.0, -(a + h), 0.0]);
        assert_eq!((lat, lon), (0.0, -90.0));
        assert!((hh - h).abs() < 1e-6, "{hh} {h}");
    }
}

/// geodetic → ECEF is closed-form (checked above against EPSG); its inverse must give
/// the point back near the poles, on the equator, across the antimeridian and up to
/// ballistic and orbital heights, to a micrometre-scale position.
#[test]
fn round_trips_poles_equator_antimeridian_high_altitude() {
    let lats = [
        -90.0,
        -89.999_999_9,
        -89.9,
        -45.0,
        0.0,
        1e-9,
        26.2,
        60.0,
        89.99,
        89.999_999,
        90.0,
    ];
    let lons = [-180.0, -179.999_999_9, 0.0, 127.7, 179.999_999_9, 180.0];
    let heights = [
        -10_000.0,
        0.0,
        11_000.0,
        100_000.0,
        1_200_000.0,
        6_000_000.0,
        35_786_000.0,
    ];
    let mut worst = 0.0f64;
    for &lat in &lats {
        for &lon in &lons {
            for &h in &heights {
                let p = geodetic_to_ecef(lat, lon, h);
                let (la, lo, hh) = ecef_to_geodetic(p);
                // Compare positions, not angles: longitude is undefined on the axis.
                let q = geodetic_to_ecef(la, lo, hh);
                let err = (0..3).map(|i| (p[i] - q[i]).powi(2)).sum::<f64>().sqrt();
                worst = worst.max(err);
                assert!(err < 1e-5, "({lat}, {lon}, {h}): {err} m");
                assert!((la - lat).abs() < 1e-11, "({lat}, {lon}, {h}): lat {la}");
                assert!((hh - h).abs() < 1e-5, "({lat}, {lon}, {h}): h {hh}");
                if lat.abs() < 89.0 {
                    assert!(ang(lo, lon).abs() < 1e-11, "({lat}, {lon}, {h}): lon {lo}");
                }
            }
        }
    }
    eprintln!("worst round-trip position error {worst:e} m");
}

/// Frames at the pole and on the antimeridian behave like any other: a point 1 km
/// north (or across the pole) lands where the geodesic puts it.
#[test]
fn enu_frames_at_the_pole_and_antimeridian() {
    for (lat, lon) in [
        (89.999_9, 10.0),
        (0.0, 180.0),
        (-60.0, -179.999),
        (90.0, 0.0),
    ] {
        let f = EnuFrame::new(lat, lon);
        for az in [0.0, 45.0, 90.0, 180.0, 270.0] {
            let (la, lo) = destination(lat, lon, az, 1_000.0);
            let [e, n] = f.ecef_to_en(geodetic_to_ecef(la, lo, 0.0));
            // Within 1 km the plane and the surface differ by millimetres.
            assert!(
                (e.hypot(n) - 1_000.0).abs() < 0.01,
                "{lat} {lon} {az}: {e} {n}"
            );
            let (bla, blo) = f.en_to_geodetic(e, n);
            let back = distance_m(bla, blo, la, lo);
            assert!(back < 1e-6, "{lat} {lon} {az}: {back} m");
        }
    }
}

#[test]
fn geodesics_cross_the_antimeridian_and_agree_with_each_other() {
    let (lat, lon, _) = direct(26.0, 179.9, 90.0, 50_000.0);
    assert!((-180.0..-179.0).contains(&lon), "{lon}");
    let (s, az1, _) = inverse(26.0, 179.9, lat, lon);
    assert!((s - 50_000.0).abs() < 1e-6, "{s}");
    assert!((az1 - 90.0).abs() < 1e-9, "{az1}");
    assert!((bearing_deg(26.0, 179.9, lat, lon) - 90.0).abs() < 1e-9);
    // A bearing is in [0, 360).
    let b = bearing_deg(26.0, 127.0, 27.0, 126.999_999);
    assert!((0.0..360.0).contains(&b), "{b}");
}

/// One degree of latitude at 25°N on WGS84 is 110,772 m (the meridian arc), not the
/// 111,195 m of a sphere of the mean radius.
#[test]
fn meridian_arc() {
    let d = distance_m(24.5, 125.0, 25.5, 125.0);
    assert!((d - 110_772.0).abs() < 2.0, "{d}");
}

#[test]
fn nothing_panics_on_non_finite_input() {
    for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300] {
        let _ = geodetic_to_ecef(x, x, x);
        let _ = ecef_to_geodetic([x, 0.0, x]);
        let _ = distance_m(x, 0.0, 1.0, x);
        let _ = bearing_deg(x, 0.0, 1.0, x);
        let _ = destination(x, 0.0, x, x);
        let _ = inverse(0.0, x, 1.0, 2.0);
        let _ = direct(0.0, 1.0, 2.0, x);
        let f = EnuFrame::new(x, x);
        let _ = f.en_to_geodetic(x, 1.0);
        let _ = biac_geo::beam_point((x, 0.0, 0.0), 1.0, x, x);
    }
}
