//! Scenario helpers: geodesic-correct truth (Vincenty on WGS84, independent of the
//! tracker's ECEF/ENU code), sensor models and error metrics.
#![allow(dead_code)]

use biac_model::{
    Classification, Domain, Identity, Label, Nation, Observation, ObservationKind, Position,
    TimeMs, Track, Velocity,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const A: f64 = 6_378_137.0;
const F: f64 = 1.0 / 298.257_223_563;

/// Vincenty's direct problem on WGS84: from (lat, lon) along initial azimuth `az_deg` for
/// `s` metres. Returns (lat, lon, forward azimuth at the end point), degrees.
pub fn direct(lat_deg: f64, lon_deg: f64, az_deg: f64, s: f64) -> (f64, f64, f64) {
    if s == 0.0 {
        return (lat_deg, lon_deg, az_deg);
    }
    let b = A * (1.0 - F);
    let (sa1, ca1) = az_deg.to_radians().sin_cos();
    let tan_u1 = (1.0 - F) * lat_deg.to_radians().tan();
    let cu1 = 1.0 / (1.0 + tan_u1 * tan_u1).sqrt();
    let su1 = tan_u1 * cu1;
    let sigma1 = tan_u1.atan2(ca1);
    let s_alpha = cu1 * sa1;
    let c2_alpha = 1.0 - s_alpha * s_alpha;
    let u2 = c2_alpha * (A * A - b * b) / (b * b);
    let big_a = 1.0 + u2 / 16384.0 * (4096.0 + u2 * (-768.0 + u2 * (320.0 - 175.0 * u2)));
    let big_b = u2 / 1024.0 * (256.0 + u2 * (-128.0 + u2 * (74.0 - 47.0 * u2)));
    let mut sigma = s / (b * big_a);
    let (mut c2sm, mut ss, mut cs);
    loop {
        c2sm = (2.0 * sigma1 + sigma).cos();
        ss = sigma.sin();
        cs = sigma.cos();
        let ds = big_b
            * ss
            * (c2sm
                + big_b / 4.0
                    * (cs * (-1.0 + 2.0 * c2sm * c2sm)
                        - big_b / 6.0
                            * c2sm
                            * (-3.0 + 4.0 * ss * ss)
                            * (-3.0 + 4.0 * c2sm * c2sm)));
        let next = s / (b * big_a) + ds;
        if (next - sigma).abs() < 1e-13 {
            sigma = next;
            c2sm = (2.0 * sigma1 + sigma).cos();
            ss = sigma.sin();
            cs = sigma.cos();
            break;
        }
        sigma = next;
    }
    let tmp = su1 * ss - cu1 * cs * ca1;
    let lat2 =
        (su1 * cs + cu1 * ss * ca1).atan2((1.0 - F) * (s_alpha * s_alpha + tmp * tmp).sqrt());
    let lambda = (ss * sa1).atan2(cu1 * cs - su1 * ss * ca1);
    let c = F / 16.0 * c2_alpha * (4.0 + F * (4.0 - 3.0 * c2_alpha));
    let l = lambda
        - (1.0 - c) * F * s_alpha * (sigma + c * ss * (c2sm + c * cs * (-1.0 + 2.0 * c2sm * c2sm)));
    let az2 = s_alpha.atan2(-tmp).to_degrees().rem_euclid(360.0);
    (lat2.to_degrees(), lon_deg + l.to_degrees(), az2)
}

fn ecef(lat: f64, lon: f64) -> [f64; 3] {
    let e2 = F * (2.0 - F);
    let (sl, cl) = lat.to_radians().sin_cos();
    let (so, co) = lon.to_radians().sin_cos();
    let n = A / (1.0 - e2 * sl * sl).sqrt();
    [n * cl * co, n * cl * so, n * (1.0 - e2) * sl]
}

/// Straight-line (chord) distance between two surface points: equal to the geodesic
/// distance to better than a millimetre at the (sub-kilometre) errors measured here.
pub fn dist_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (p, q) = (ecef(a.0, a.1), ecef(b.0, b.1));
    ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
}

pub fn track_pos(t: &Track) -> (f64, f64) {
    (t.position.lat_deg, t.position.lon_deg)
}

pub struct Noise(pub ChaCha8Rng);

impl Noise {
    pub fn new(seed: u64) -> Self {
        Noise(ChaCha8Rng::seed_from_u64(seed))
    }
    pub fn gauss(&mut self) -> f64 {
        // Box-Muller.
        let u1: f64 = 1.0 - self.0.random::<f64>();
        let u2: f64 = self.0.random::<f64>();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.0.random_bool(p)
    }
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        self.0.random_range(lo..hi)
    }
    pub fn poisson(&mut self, mean: f64) -> usize {
        // Knuth; fine for small means.
        let l = (-mean).exp();
        let mut k = 0;
        let mut p = 1.0;
        loop {
            p *= self.0.random::<f64>();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }
    /// A point displaced from (lat, lon) by N(0, sigma²) per horizontal axis.
    pub fn jitter(&mut self, p: (f64, f64), sigma: f64) -> (f64, f64) {
        let (e, n) = (sigma * self.gauss(), sigma * self.gauss());
        let (lat, lon, _) = direct(p.0, p.1, e.atan2(n).to_degrees(), e.hypot(n));
        (lat, lon)
    }
}

/// A target moving at constant speed along a geodesic.
#[derive(Clone, Debug)]
pub struct Mover {
    pub lat: f64,
    pub lon: f64,
    pub az: f64,
    pub speed: f64,
}

impl Mover {
    pub fn step(&mut self, dt: f64) {
        let (lat, lon, az) = direct(self.lat, self.lon, self.az, self.speed * dt);
        self.lat = lat;
        self.lon = lon;
        self.az = az;
    }
    pub fn pos(&self) -> (f64, f64) {
        (self.lat, self.lon)
    }
    pub fn velocity(&self) -> Velocity {
        Velocity::from_sog_cog(self.speed, self.az)
    }
}

/// Truth sampled every second: `path[k]` is the state at t = k s.
pub fn path(mut m: Mover, seconds: usize) -> Vec<Mover> {
    let mut out = Vec::with_capacity(seconds + 1);
    for _ in 0..=seconds {
        out.push(m.clone());
        m.step(1.0);
    }
    out
}

pub fn secret_jpn_usa() -> Label {
    Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA])
}

pub fn public_jpn() -> Label {
    Label::unclassified_public(Nation::JPN)
}

pub fn plot(t: TimeMs, p: (f64, f64), sigma: f64, feed: &str, sensor: &str) -> Observation {
    Observation::new(t, Position::new(p.0, p.1), sigma, feed, secret_jpn_usa())
        .with_domain(Domain::Surface)
        .with_sensor(sensor)
}

pub fn ais(t: TimeMs, p: (f64, f64), v: Velocity, mmsi: u32) -> Observation {
    Observation::new(t, Position::new(p.0, p.1), 10.0, "ais", public_jpn())
        .with_velocity(v, 0.5)
        .with_identity(Identity {
            mmsi: Some(mmsi),
            ..Identity::default()
        })
        .with_domain(Domain::Surface)
        .with_kind(ObservationKind::SelfReport)
        .with_sensor("rx1")
}

pub fn adsb(t: TimeMs, p: (f64, f64), v: Velocity, icao: u32) -> Observation {
    Observation::new(
        t,
        Position {
            lat_deg: p.0,
            lon_deg: p.1,
            alt_m: Some(10_000.0),
        },
        20.0,
        "adsb",
        public_jpn(),
    )
    .with_velocity(v, 1.0)
    .with_identity(Identity {
        icao: Some(icao),
        ..Identity::default()
    })
    .with_domain(Domain::Air)
    .with_kind(ObservationKind::SelfReport)
    .with_sensor("ground-1")
}

/// Split a stream into consecutive batches of `window_ms`, as the runtime does.
pub fn batches(mut obs: Vec<Observation>, window_ms: TimeMs) -> Vec<(TimeMs, Vec<Observation>)> {
    obs.sort_by_key(|o| o.time_ms);
    let mut out: Vec<(TimeMs, Vec<Observation>)> = Vec::new();
    for o in obs {
        let end = (o.time_ms / window_ms + 1) * window_ms;
        match out.last_mut() {
            Some((e, v)) if *e == end => v.push(o),
            _ => out.push((end, vec![o])),
        }
    }
    out
}

pub fn rms(v: &[f64]) -> f64 {
    (v.iter().map(|x| x * x).sum::<f64>() / v.len().max(1) as f64).sqrt()
}
