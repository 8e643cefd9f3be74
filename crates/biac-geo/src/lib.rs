//! WGS84 geodesy for biac: the one place where latitude, longitude and height become
//! metres and back.
//!
//! - [`geodetic_to_ecef`] / [`ecef_to_geodetic`]: Earth-centred Earth-fixed metres,
//!   well conditioned at every latitude (poles included) and every height a tracked
//!   object reaches (ballistic apogees of thousands of kilometres).
//! - [`EnuFrame`]: a local east-north-up tangent plane, the frame the tracker filters in.
//! - [`inverse`] / [`direct`] (and [`distance_m`], [`bearing_deg`], [`destination`]):
//!   geodesics on the ellipsoid, by Karney's algorithm (`geographiclib-rs`), exact to
//!   round-off for any pair of points.
//! - [`beam_point`]: where a radar's slant range and azimuth put a target of known height.
//! - [`earth`]: gravity with J2 in the rotating frame, the exponential atmosphere, and a
//!   radar's slant range / azimuth / elevation of a point ([`aer_of`], [`point_at_aer`]).
//!
//! Invariants: pure functions of their arguments (no I/O, no clock, no state), so the
//! same input gives bit-identical output; no panic on any input (non-finite input gives
//! non-finite output or `None`).

pub mod earth;
mod ecef;
mod enu;
mod geodesic;
mod radar;

pub use earth::{aer_of, point_at_aer, rk4_step, GravityModel, SiteFrame};
pub use ecef::{ecef_to_geodetic, geodetic_to_ecef};
pub use enu::EnuFrame;
pub use geodesic::{
    bearing_deg, destination, direct, distance_m, distance_within, inverse, Ellipsoid,
};
pub use radar::beam_point;

/// WGS84 semi-major axis, metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// WGS84 first eccentricity squared.
pub const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// One international nautical mile, metres.
pub const NM: f64 = 1852.0;
/// One knot, m/s.
pub const KNOT: f64 = NM / 3600.0;
/// One international foot, metres.
pub const FOOT: f64 = 0.3048;

/// Signed smallest difference `to - from` between two bearings, degrees in (-180, 180].
pub fn angle_diff(from: f64, to: f64) -> f64 {
    let d = (to - from).rem_euclid(360.0);
    if d > 180.0 {
        d - 360.0
    } else {
        d
    }
}

/// Radio/radar horizon between an antenna at `h_ant_m` and a target at `h_tgt_m`,
/// metres: the 4/3-earth model of standard refraction, 4.12 km × (√h_ant + √h_tgt)
/// with heights in metres.
pub fn horizon_m(h_ant_m: f64, h_tgt_m: f64) -> f64 {
    4120.0 * (h_ant_m.max(0.0).sqrt() + h_tgt_m.max(0.0).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles_and_horizon() {
        assert_eq!(angle_diff(350.0, 10.0), 20.0);
        assert_eq!(angle_diff(10.0, 350.0), -20.0);
        assert_eq!(angle_diff(0.0, 180.0), 180.0);
        assert_eq!(angle_diff(0.0, -180.0), 180.0);
        assert!((horizon_m(100.0, 0.0) - 41_200.0).abs() < 1e-6);
        assert_eq!(horizon_m(-5.0, -1.0), 0.0);
    }
}
