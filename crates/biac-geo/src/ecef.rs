//! Geodetic (latitude, longitude, height above the WGS84 ellipsoid) ⇄ ECEF.

use crate::{WGS84_A, WGS84_E2 as E2};

/// Geodetic (degrees, metres above the ellipsoid) to Earth-centred Earth-fixed metres.
#[inline]
pub fn geodetic_to_ecef(lat_deg: f64, lon_deg: f64, h_m: f64) -> [f64; 3] {
    let (sl, cl) = lat_deg.to_radians().sin_cos();
    let (so, co) = lon_deg.to_radians().sin_cos();
    let n = WGS84_A / (1.0 - E2 * sl * sl).sqrt();
    [
        (n + h_m) * cl * co,
        (n + h_m) * cl * so,
        (n * (1.0 - E2) + h_m) * sl,
    ]
}

/// ECEF metres to geodetic `(lat_deg, lon_deg, h_m)`.
///
/// Fixed-point iteration on latitude, φ ← atan2(z + e²N(φ)·sin φ, ρ), from
/// atan2(z, ρ(1 − e²)), which is exact on the ellipsoid surface. A step shrinks the
/// latitude error by the factor e²·N·cos²φ / (N + h) ≤ e² ≈ 1/150 at every latitude and
/// height (smaller still far above the surface), so the loop is well conditioned at the
/// poles (ρ → 0: atan2 stays exact, nothing is divided by cos φ) and at ballistic
/// heights; points near the surface converge in one or two steps. It stops when a step
/// moves latitude by less than 1e-11 rad (at most six steps): the same input always
/// takes the same steps, so results are reproducible. Height comes from
/// ρ·cos φ + z·sin φ − a·√(1 − e² sin²φ), well conditioned at every latitude.
#[inline]
pub fn ecef_to_geodetic(p: [f64; 3]) -> (f64, f64, f64) {
    let [x, y, z] = p;
    // No overflow or underflow is possible at terrestrial scale: plain sqrt, not hypot.
    let rho = (x * x + y * y).sqrt();
    let lon = y.atan2(x);
    let mut lat = z.atan2(rho * (1.0 - E2));
    let mut s = lat.sin();
    for _ in 0..6 {
        let n = WGS84_A / (1.0 - E2 * s * s).sqrt();
        let next = (z + E2 * n * s).atan2(rho);
        // A step that moves latitude by δ leaves an error of about e²·δ: at 1e-11 rad
        // (60 µm) the result is already good to well under a micrometre.
        let converged = (next - lat).abs() <= 1e-11;
        lat = next;
        s = lat.sin();
        if converged {
            break;
        }
    }
    let c = lat.cos();
    let h = rho * c + z * s - WGS84_A * (1.0 - E2 * s * s).sqrt();
    (lat.to_degrees(), lon.to_degrees(), h)
}
