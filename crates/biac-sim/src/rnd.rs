//! Random draws on top of `rand` (which has no distributions beyond uniform in 0.9 core).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub type SimRng = ChaCha8Rng;

/// A standard normal draw (Box–Muller; one of the pair is discarded so that each call
/// consumes a fixed amount of the stream).
pub fn normal(rng: &mut SimRng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Normal with standard deviation `sigma`.
pub fn gauss(rng: &mut SimRng, sigma: f64) -> f64 {
    sigma * normal(rng)
}

/// Poisson draw (Knuth; fine for the small means used for clutter).
pub fn poisson(rng: &mut SimRng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    let l = (-mean).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= rng.random::<f64>();
        if p <= l || k > 1000 {
            return k;
        }
        k += 1;
    }
}

/// Uniform in [lo, hi).
pub fn uniform(rng: &mut SimRng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

/// Pick an index with probability proportional to `weights`.
pub fn weighted(rng: &mut SimRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}
