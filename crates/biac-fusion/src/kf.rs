//! A 2-D constant-velocity Kalman filter with hand-written fixed-size linear algebra.
//!
//! State `[e, n, ve, vn]` (metres, m/s) in a track's local tangent plane. Process noise
//! is continuous white acceleration with spectral density `q` (m²/s³) per axis.

// Index loops read better than iterator chains for small fixed-size matrices.
#![allow(clippy::needless_range_loop)]

pub type Vec4 = [f64; 4];
pub type Mat4 = [[f64; 4]; 4];
pub type Mat2 = [[f64; 2]; 2];

pub fn matmul<const A: usize, const B: usize, const C: usize>(
    x: &[[f64; B]; A],
    y: &[[f64; C]; B],
) -> [[f64; C]; A] {
    let mut out = [[0.0; C]; A];
    for i in 0..A {
        for j in 0..C {
            let mut s = 0.0;
            for k in 0..B {
                s += x[i][k] * y[k][j];
            }
            out[i][j] = s;
        }
    }
    out
}

pub fn transpose<const A: usize, const B: usize>(x: &[[f64; B]; A]) -> [[f64; A]; B] {
    let mut out = [[0.0; A]; B];
    for i in 0..A {
        for j in 0..B {
            out[j][i] = x[i][j];
        }
    }
    out
}

fn add<const A: usize, const B: usize>(x: &[[f64; B]; A], y: &[[f64; B]; A]) -> [[f64; B]; A] {
    let mut out = *x;
    for i in 0..A {
        for j in 0..B {
            out[i][j] += y[i][j];
        }
    }
    out
}

/// `(m + mᵀ) / 2`: removes the round-off asymmetry that products accumulate.
pub fn symmetrize<const N: usize>(m: &mut [[f64; N]; N]) {
    for i in 0..N {
        for j in (i + 1)..N {
            let a = 0.5 * (m[i][j] + m[j][i]);
            m[i][j] = a;
            m[j][i] = a;
        }
    }
}

/// Gauss-Jordan inverse with partial pivoting; `None` when (numerically) singular.
pub fn invert<const N: usize>(m: &[[f64; N]; N]) -> Option<[[f64; N]; N]> {
    let mut a = *m;
    let mut inv = [[0.0; N]; N];
    for i in 0..N {
        inv[i][i] = 1.0;
    }
    let scale = (0..N).map(|i| a[i][i].abs()).fold(0.0, f64::max);
    if !(scale.is_finite() && scale > 0.0) {
        return None;
    }
    for c in 0..N {
        let mut piv = c;
        for r in (c + 1)..N {
            if a[r][c].abs() > a[piv][c].abs() {
                piv = r;
            }
        }
        if a[piv][c].abs() <= scale * 1e-14 {
            return None;
        }
        a.swap(c, piv);
        inv.swap(c, piv);
        let d = a[c][c];
        for j in 0..N {
            a[c][j] /= d;
            inv[c][j] /= d;
        }
        for r in 0..N {
            if r != c {
                let f = a[r][c];
                if f != 0.0 {
                    for j in 0..N {
                        a[r][j] -= f * a[c][j];
                        inv[r][j] -= f * inv[c][j];
                    }
                }
            }
        }
    }
    Some(inv)
}

/// `(d², ln det S)` for innovation `nu` and 2x2 covariance `s`; `None` if `s` is not
/// positive definite.
pub fn mahalanobis2(nu: [f64; 2], s: &Mat2) -> Option<(f64, f64)> {
    let det = s[0][0] * s[1][1] - s[0][1] * s[1][0];
    if !(det > 0.0 && s[0][0] > 0.0 && det.is_finite()) {
        return None;
    }
    let d2 = (s[1][1] * nu[0] * nu[0] - (s[0][1] + s[1][0]) * nu[0] * nu[1]
        + s[0][0] * nu[1] * nu[1])
        / det;
    Some((d2, det.ln()))
}

/// Largest eigenvalue of a symmetric 2x2 matrix.
pub fn max_eig2(s: &Mat2) -> f64 {
    let m = 0.5 * (s[0][0] + s[1][1]);
    let h = 0.5 * (s[0][0] - s[1][1]);
    // Covariances are far from overflow: a plain square root, not the slower hypot.
    m + (h * h + s[0][1] * s[0][1]).sqrt()
}

/// Predicted state. `dt` may be negative (used only for gating late data); process noise
/// always uses `|dt|` since uncertainty grows either way.
///
/// `F P Fᵀ + Q` with `F = [[I, dt·I], [0, I]]`, written out: adding `dt` times the
/// velocity rows to the position rows, then the same for columns (32 multiply-adds
/// instead of two general 4x4 products).
pub fn predict(x: &Vec4, p: &Mat4, dt: f64, q: f64) -> (Vec4, Mat4) {
    let xp = [x[0] + dt * x[2], x[1] + dt * x[3], x[2], x[3]];
    let mut fp = *p;
    for i in 0..2 {
        for j in 0..4 {
            fp[i][j] += dt * p[i + 2][j];
        }
    }
    let mut pp = fp;
    for i in 0..4 {
        for j in 0..2 {
            pp[i][j] += dt * fp[i][j + 2];
        }
    }
    let qn = process_noise(dt, q);
    for i in 0..4 {
        for j in 0..4 {
            pp[i][j] += qn[i][j];
        }
    }
    symmetrize(&mut pp);
    (xp, pp)
}

/// Only the predicted position covariance block (cheap; for coarse gating).
pub fn predict_pos_cov(p: &Mat4, dt: f64, q: f64) -> Mat2 {
    let a = dt.abs();
    let qpp = q * a * a * a / 3.0;
    let mut out = [[0.0; 2]; 2];
    for i in 0..2 {
        for j in 0..2 {
            out[i][j] = p[i][j] + dt * (p[i][j + 2] + p[i + 2][j]) + dt * dt * p[i + 2][j + 2];
        }
        out[i][i] += qpp;
    }
    symmetrize(&mut out);
    out
}

/// Discretised continuous white-noise acceleration, per axis
/// `q * [[dt³/3, dt²/2], [dt²/2, dt]]`.
fn process_noise(dt: f64, q: f64) -> Mat4 {
    let a = dt.abs();
    let (p, c, v) = (q * a * a * a / 3.0, q * a * a / 2.0, q * a);
    [
        [p, 0.0, c, 0.0],
        [0.0, p, 0.0, c],
        [c, 0.0, v, 0.0],
        [0.0, c, 0.0, v],
    ]
}

/// Kalman update with a linear measurement `z = H x + w`, `w ~ N(0, R)`, using the
/// Joseph form `(I-KH) P (I-KH)ᵀ + K R Kᵀ`, which keeps P symmetric positive
/// semi-definite even when the gain is slightly off (round-off, very precise sensors).
pub fn update<const M: usize>(
    x: &Vec4,
    p: &Mat4,
    z: &[f64; M],
    h: &[[f64; 4]; M],
    r: &[[f64; M]; M],
) -> Option<(Vec4, Mat4)> {
    let ht = transpose(h);
    let pht = matmul(p, &ht);
    let mut s = add(&matmul(h, &pht), r);
    symmetrize(&mut s);
    let si = invert(&s)?;
    let k = matmul(&pht, &si);
    let mut xn = *x;
    let mut nu = [0.0; M];
    for i in 0..M {
        nu[i] = z[i] - (0..4).map(|j| h[i][j] * x[j]).sum::<f64>();
    }
    for i in 0..4 {
        xn[i] += (0..M).map(|j| k[i][j] * nu[j]).sum::<f64>();
    }
    let mut ikh = [[0.0; 4]; 4];
    let kh = matmul(&k, h);
    for i in 0..4 {
        for j in 0..4 {
            ikh[i][j] = if i == j { 1.0 } else { 0.0 } - kh[i][j];
        }
    }
    let mut pn = add(
        &matmul(&matmul(&ikh, p), &transpose(&ikh)),
        &matmul(&matmul(&k, r), &transpose(&k)),
    );
    symmetrize(&mut pn);
    if pn.iter().flatten().all(|v| v.is_finite()) && xn.iter().all(|v| v.is_finite()) {
        Some((xn, pn))
    } else {
        None
    }
}

/// Position-only measurement with isotropic variance `r` (m²): [`update`] with
/// `H = [I 0]`, `R = r·I`, written out for that structure (same Joseph form, about a
/// quarter of the arithmetic). `None` if `S` is not positive definite or the result is
/// not finite.
pub fn update_pos(x: &Vec4, p: &Mat4, z: [f64; 2], r: f64) -> Option<(Vec4, Mat4)> {
    let s = [[p[0][0] + r, p[0][1]], [p[1][0], p[1][1] + r]];
    let det = s[0][0] * s[1][1] - s[0][1] * s[1][0];
    if !(det > 0.0 && s[0][0] > 0.0 && det.is_finite()) {
        return None;
    }
    let si = [
        [s[1][1] / det, -s[0][1] / det],
        [-s[1][0] / det, s[0][0] / det],
    ];
    // K = P Hᵀ S⁻¹ = P[:, 0..2] S⁻¹.
    let mut k = [[0.0; 2]; 4];
    for i in 0..4 {
        for m in 0..2 {
            k[i][m] = p[i][0] * si[0][m] + p[i][1] * si[1][m];
        }
    }
    let nu = [z[0] - x[0], z[1] - x[1]];
    let mut xn = *x;
    for i in 0..4 {
        xn[i] += k[i][0] * nu[0] + k[i][1] * nu[1];
    }
    // Joseph: (I − KH) P (I − KH)ᵀ + K R Kᵀ, with (I − KH) M = M − K·M[0..2, :].
    let mut a = *p;
    for i in 0..4 {
        for j in 0..4 {
            a[i][j] -= k[i][0] * p[0][j] + k[i][1] * p[1][j];
        }
    }
    let mut pn = a;
    for i in 0..4 {
        for j in 0..4 {
            pn[i][j] += -(a[i][0] * k[j][0] + a[i][1] * k[j][1])
                + r * (k[i][0] * k[j][0] + k[i][1] * k[j][1]);
        }
    }
    symmetrize(&mut pn);
    if pn.iter().flatten().all(|v| v.is_finite()) && xn.iter().all(|v| v.is_finite()) {
        Some((xn, pn))
    } else {
        None
    }
}

/// Position + velocity measurement: variances `rp` (m²) and `rv` ((m/s)²) per axis.
pub fn update_pos_vel(x: &Vec4, p: &Mat4, z: [f64; 4], rp: f64, rv: f64) -> Option<(Vec4, Mat4)> {
    let mut h = [[0.0; 4]; 4];
    let mut r = [[0.0; 4]; 4];
    for i in 0..4 {
        h[i][i] = 1.0;
        r[i][i] = if i < 2 { rp } else { rv };
    }
    update(x, p, &z, &h, &r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invert_matches_identity() {
        let m = [
            [4.0, 1.0, 0.5, 0.0],
            [1.0, 3.0, 0.0, 0.2],
            [0.5, 0.0, 2.0, 0.1],
            [0.0, 0.2, 0.1, 1.0],
        ];
        let i = matmul(&m, &invert(&m).unwrap());
        for r in 0..4 {
            for c in 0..4 {
                let e = if r == c { 1.0 } else { 0.0 };
                assert!((i[r][c] - e).abs() < 1e-12);
            }
        }
        assert!(invert(&[[1.0, 2.0], [2.0, 4.0]]).is_none());
    }

    #[test]
    fn static_target_converges_and_covariance_shrinks() {
        let mut x = [100.0, -50.0, 0.0, 0.0];
        let mut p = [[0.0; 4]; 4];
        for (i, v) in [1e4, 1e4, 100.0, 100.0].into_iter().enumerate() {
            p[i][i] = v;
        }
        for _ in 0..50 {
            let (xp, pp) = predict(&x, &p, 1.0, 0.01);
            (x, p) = update_pos(&xp, &pp, [0.0, 0.0], 25.0).unwrap();
        }
        assert!(x[0].abs() < 1.0 && x[1].abs() < 1.0, "{x:?}");
        assert!(p[0][0] < 25.0 && p[0][0] > 0.0);
        assert!((p[0][1] - p[1][0]).abs() == 0.0);
    }

    #[test]
    fn pos_cov_shortcut_matches_full_predict() {
        let p = [
            [100.0, 5.0, 10.0, 1.0],
            [5.0, 80.0, 2.0, 7.0],
            [10.0, 2.0, 4.0, 0.3],
            [1.0, 7.0, 0.3, 3.0],
        ];
        for dt in [-3.0, 0.0, 12.5] {
            let (_, full) = predict(&[0.0; 4], &p, dt, 0.7);
            let fast = predict_pos_cov(&p, dt, 0.7);
            for i in 0..2 {
                for j in 0..2 {
                    assert!((full[i][j] - fast[i][j]).abs() < 1e-9);
                }
            }
        }
    }

    fn random_cov(seed: u64) -> Mat4 {
        // A random SPD matrix: L Lᵀ + diag, from a tiny LCG (no dependency needed).
        let mut st = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = || {
            st = st
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((st >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        let l: Mat4 = std::array::from_fn(|_| std::array::from_fn(|_| 10.0 * next()));
        let mut p = matmul(&l, &transpose(&l));
        for i in 0..4 {
            p[i][i] += 1.0 + 50.0 * next().abs();
        }
        p
    }

    #[test]
    fn specialised_predict_and_update_match_the_general_forms() {
        for seed in 0..200u64 {
            let p = random_cov(seed);
            let x = [3.0, -7.0, 1.5, 0.25];
            for dt in [-2.0, 0.0, 1.0, 7.5] {
                let q = 0.3;
                let f: Mat4 = [
                    [1.0, 0.0, dt, 0.0],
                    [0.0, 1.0, 0.0, dt],
                    [0.0, 0.0, 1.0, 0.0],
                    [0.0, 0.0, 0.0, 1.0],
                ];
                let want = add(
                    &matmul(&matmul(&f, &p), &transpose(&f)),
                    &process_noise(dt, q),
                );
                let (xp, got) = predict(&x, &p, dt, q);
                assert_eq!(xp, [x[0] + dt * x[2], x[1] + dt * x[3], x[2], x[3]]);
                for i in 0..4 {
                    for j in 0..4 {
                        assert!((got[i][j] - want[i][j]).abs() < 1e-9 * (1.0 + want[i][j].abs()));
                    }
                }
            }
            let h = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]];
            let (xa, pa) = update(&x, &p, &[10.0, -4.0], &h, &[[25.0, 0.0], [0.0, 25.0]]).unwrap();
            let (xb, pb) = update_pos(&x, &p, [10.0, -4.0], 25.0).unwrap();
            for i in 0..4 {
                assert!((xa[i] - xb[i]).abs() < 1e-9 * (1.0 + xa[i].abs()));
                for j in 0..4 {
                    assert!((pa[i][j] - pb[i][j]).abs() < 1e-9 * (1.0 + pa[i][j].abs()));
                }
            }
        }
        let bad = [[0.0; 4]; 4];
        assert!(update_pos(&[0.0; 4], &bad, [1.0, 1.0], -1.0).is_none());
    }
}
