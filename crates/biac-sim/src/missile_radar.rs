//! Missile-defence radars: where they stand, what they can see (range, elevation mask,
//! azimuth sector, the horizon) and how they err (slant range, azimuth, elevation and,
//! where the radar measures it, range-rate — each with its own 1-σ).
//!
//! Invariants: visibility is a pure function of geometry ([`MdRadar::sees`]); the noise is
//! drawn by the caller's stream, a fixed number of draws per plot (so one radar's stream
//! never shifts with what another sees). Defaults are public-plausible figures, written in
//! docs/CONFIG.md ("Missile-defence radars").

use biac_geo::aer_of;
use biac_model::Nation;

use crate::rnd::{gauss, SimRng};

/// One missile-defence radar.
#[derive(Clone, Debug, PartialEq)]
pub struct MdRadar {
    /// Short key, used in `--radars` and in the plots' `sensor` column.
    pub name: &'static str,
    pub owner: Nation,
    pub description: &'static str,
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Antenna height above the WGS84 ellipsoid (m).
    pub alt_m: f64,
    /// Instrumented range against a ballistic target (m).
    pub max_range_m: f64,
    /// Elevation mask (degrees, ≥ 0: the geometric horizon is the floor).
    pub min_elevation_deg: f64,
    pub max_elevation_deg: f64,
    /// Centre of the azimuth sector (degrees clockwise from north) and its half-width;
    /// a half-width of 180° is all-round.
    pub boresight_deg: f64,
    pub half_sector_deg: f64,
    /// Time between plots of one target (s), and the offset of this radar's first plot
    /// after the scenario's time origin (radars are not in step).
    pub period_s: f64,
    pub phase_s: f64,
    pub sigma_range_m: f64,
    /// 1-σ of azimuth and of elevation, milliradians.
    pub sigma_angle_mrad: f64,
    /// 1-σ of range-rate (m/s) where the radar measures it.
    pub sigma_range_rate_mps: Option<f64>,
}

/// What a radar measured of one target at one time.
#[derive(Clone, Debug, PartialEq)]
pub struct MdPlot {
    pub t_s: f64,
    /// Index of the radar in the list the plots were made with.
    pub radar: usize,
    /// The truth missile (for scoring; not in the plots CSV).
    pub missile: u32,
    pub range_m: f64,
    pub azimuth_deg: f64,
    pub elevation_deg: f64,
    pub range_rate_mps: Option<f64>,
    pub sigma_range_m: f64,
    pub sigma_azimuth_deg: f64,
    pub sigma_elevation_deg: f64,
    pub sigma_range_rate_mps: Option<f64>,
}

impl MdRadar {
    pub fn site(&self) -> (f64, f64, f64) {
        (self.lat_deg, self.lon_deg, self.alt_m)
    }

    /// True (range, azimuth, elevation) of ECEF `p` if the radar sees it: within range,
    /// inside the azimuth sector, between the elevation mask and the top of the coverage.
    /// A mask at or above 0° also keeps the target above the horizon (the ellipsoid is
    /// convex: a ray leaving the antenna upward never meets it again).
    pub fn sees(&self, p: [f64; 3]) -> Option<(f64, f64, f64)> {
        let (r, az, el) = aer_of(self.site(), p);
        let in_sector = self.half_sector_deg >= 180.0
            || biac_geo::angle_diff(self.boresight_deg, az).abs() <= self.half_sector_deg;
        (r <= self.max_range_m
            && el >= self.min_elevation_deg.max(0.0)
            && el <= self.max_elevation_deg
            && in_sector)
            .then_some((r, az, el))
    }

    /// A noisy plot of the target at ECEF `p` moving at `v`, if seen. Always draws four
    /// normals when seen (range, azimuth, elevation, range-rate), none otherwise.
    pub fn measure(
        &self,
        rng: &mut SimRng,
        radar: usize,
        missile: u32,
        t_s: f64,
        p: [f64; 3],
        v: [f64; 3],
    ) -> Option<MdPlot> {
        let (r, az, el) = self.sees(p)?;
        let sigma_angle_deg = (self.sigma_angle_mrad * 1e-3).to_degrees();
        let nr = gauss(rng, self.sigma_range_m);
        let na = gauss(rng, sigma_angle_deg);
        let ne = gauss(rng, sigma_angle_deg);
        let nrr = crate::rnd::normal(rng);
        let rr = self.sigma_range_rate_mps.map(|s| {
            let o = biac_geo::SiteFrame::new(self.site()).origin;
            let d = [p[0] - o[0], p[1] - o[1], p[2] - o[2]];
            (d[0] * v[0] + d[1] * v[1] + d[2] * v[2]) / r + s * nrr
        });
        Some(MdPlot {
            t_s,
            radar,
            missile,
            range_m: r + nr,
            azimuth_deg: (az + na).rem_euclid(360.0),
            elevation_deg: el + ne,
            range_rate_mps: rr,
            sigma_range_m: self.sigma_range_m,
            sigma_azimuth_deg: sigma_angle_deg,
            sigma_elevation_deg: sigma_angle_deg,
            sigma_range_rate_mps: self.sigma_range_rate_mps,
        })
    }
}

/// The missile-defence radars of the Sea of Japan theatre, in their default order (see
/// docs/CONFIG.md for the sources of the figures).
pub fn md_radars() -> Vec<MdRadar> {
    vec![
        MdRadar {
            name: "tpy2-shariki",
            owner: Nation::USA,
            description: "AN/TPY-2 forward-based mode, Shariki (Tsugaru), U.S. Army",
            lat_deg: 40.89,
            lon_deg: 140.33,
            alt_m: 80.0,
            max_range_m: 1_500_000.0,
            min_elevation_deg: 1.0,
            max_elevation_deg: 85.0,
            boresight_deg: 265.0,
            half_sector_deg: 60.0,
            period_s: 1.0,
            phase_s: 0.0,
            sigma_range_m: 10.0,
            sigma_angle_mrad: 0.5,
            sigma_range_rate_mps: Some(0.5),
        },
        MdRadar {
            name: "tpy2-kyogamisaki",
            owner: Nation::USA,
            description: "AN/TPY-2 forward-based mode, Kyogamisaki (Kyotango), U.S. Army",
            lat_deg: 35.77,
            lon_deg: 135.20,
            alt_m: 120.0,
            max_range_m: 1_500_000.0,
            min_elevation_deg: 1.0,
            max_elevation_deg: 85.0,
            boresight_deg: 295.0,
            half_sector_deg: 60.0,
            period_s: 1.0,
            phase_s: 0.2,
            sigma_range_m: 10.0,
            sigma_angle_mrad: 0.5,
            sigma_range_rate_mps: Some(0.5),
        },
        MdRadar {
            name: "fps5-shimokoshiki",
            owner: Nation::JPN,
            description: "J/FPS-5 ground-based BMD radar, Shimokoshiki-jima, JASDF",
            lat_deg: 31.6,
            lon_deg: 129.7,
            alt_m: 300.0,
            max_range_m: 1_200_000.0,
            min_elevation_deg: 2.0,
            max_elevation_deg: 80.0,
            boresight_deg: 0.0,
            half_sector_deg: 180.0,
            period_s: 1.0,
            phase_s: 0.4,
            sigma_range_m: 20.0,
            sigma_angle_mrad: 1.0,
            sigma_range_rate_mps: None,
        },
        MdRadar {
            name: "greenpine-seongju",
            owner: Nation::KOR,
            description: "EL/M-2080 Green Pine class early-warning radar near Seongju, ROKAF",
            lat_deg: 35.9,
            lon_deg: 128.2,
            alt_m: 400.0,
            max_range_m: 800_000.0,
            min_elevation_deg: 1.0,
            max_elevation_deg: 80.0,
            boresight_deg: 350.0,
            half_sector_deg: 60.0,
            period_s: 1.0,
            phase_s: 0.6,
            sigma_range_m: 30.0,
            sigma_angle_mrad: 2.0,
            sigma_range_rate_mps: Some(1.0),
        },
        MdRadar {
            name: "aegis-soj",
            owner: Nation::JPN,
            description: "JMSDF Aegis destroyer (AN/SPY-1D) on BMD station in the Sea of Japan",
            lat_deg: 39.5,
            lon_deg: 134.0,
            alt_m: 55.0,
            max_range_m: 1_000_000.0,
            min_elevation_deg: 0.5,
            max_elevation_deg: 85.0,
            boresight_deg: 0.0,
            half_sector_deg: 180.0,
            period_s: 1.0,
            phase_s: 0.8,
            sigma_range_m: 15.0,
            sigma_angle_mrad: 1.0,
            sigma_range_rate_mps: Some(0.5),
        },
    ]
}
