//! The demo's missile-defence radar feeds: the theatre's five radars
//! ([`md_radars`]) each as a `plots3d` feed, and the demo's launches (issue 15 parts 2
//! and 6).
//!
//! Invariants: the launches and the plots' noise come from the scenario seed's stream 12
//! only, so the other feeds' output is byte-identical with or without these; the plots
//! are [`PlotStream`]'s, independent of how the demo cuts time into steps. Scenario
//! seconds are `(time_ms − start_ms) / 1000`.

use std::io::{self, Write};

use biac_formats::plots3d::{encode_line, Plot3d};
use rand::RngCore;

use crate::missile::fly;
use crate::missile_radar::{md_radars, MdRadar};
use crate::missile_scenario::{preset, write_truth_csv, Generated, PlotStream};
use crate::rnd::{uniform, SimRng};
use crate::sensors::{Record, RecordEmission};

pub const FEED_USA_TPY2_SHARIKI: &str = "usa-tpy2-shariki";
pub const FEED_USA_TPY2_KYOGAMISAKI: &str = "usa-tpy2-kyogamisaki";
pub const FEED_JPN_FPS5: &str = "jpn-fps5";
pub const FEED_JPN_AEGIS: &str = "jpn-aegis";
pub const FEED_KOR_GREENPINE: &str = "kor-greenpine";

/// The missile-defence radar feeds, in the feed table's order, with the
/// [`md_radars`] name each speaks for.
pub const MISSILE_FEEDS: [(&str, &str); 5] = [
    (FEED_USA_TPY2_SHARIKI, "tpy2-shariki"),
    (FEED_USA_TPY2_KYOGAMISAKI, "tpy2-kyogamisaki"),
    (FEED_JPN_FPS5, "fps5-shimokoshiki"),
    (FEED_JPN_AEGIS, "aegis-soj"),
    (FEED_KOR_GREENPINE, "greenpine-seongju"),
];

/// The demo's launches: preset and nominal seconds after the demo's start. An SRBM
/// within the first minute (seen, tracked and predicted within two), an MRBM into
/// Japan's EEZ, then the IRBM over northern Japan and the lofted ICBM.
pub const DEMO_LAUNCHES: [(&str, f64); 4] = [
    ("srbm", 30.0),
    ("mrbm", 120.0),
    ("irbm", 300.0),
    ("icbm-lofted", 480.0),
];

/// Missile truth ids are this plus the missile's number (1, 2, …), apart from the
/// world's object ids.
pub const MISSILE_TRUTH_ID_BASE: u32 = 1_000_000;

/// A feed's radar site (for its configuration's pin).
pub fn radar_of(feed: &str) -> Option<MdRadar> {
    let name = MISSILE_FEEDS.iter().find(|(f, _)| *f == feed)?.1;
    md_radars().into_iter().find(|r| r.name == name)
}

/// The demo's missiles and radars, emitting as time goes by.
pub(crate) struct MissileFeeds {
    start_ms: i64,
    stream: PlotStream,
}

impl MissileFeeds {
    /// Launches perturbed by `rng` (azimuth ±0.5°, β ×0.8–1.25, launch 0–2 s late),
    /// plots drawn from a seed `rng` gives.
    pub fn new(mut rng: SimRng, start_ms: i64) -> Self {
        let mut missiles = Vec::new();
        for (i, (class, t)) in DEMO_LAUNCHES.iter().enumerate() {
            let Some(mut spec) = preset(class, i as u32 + 1, *t) else {
                continue;
            };
            spec.launch.azimuth_deg += uniform(&mut rng, -0.5, 0.5);
            spec.launch.beta_kg_m2 =
                (spec.launch.beta_kg_m2 * uniform(&mut rng, 0.8, 1.25)).clamp(10_000.0, 100_000.0);
            spec.launch.t_s += uniform(&mut rng, 0.0, 2.0);
            // The presets fly (tested in missile_scenario); a failure drops that launch.
            if let Ok(tr) = fly(&spec.booster, &spec.launch) {
                missiles.push((spec, tr));
            }
        }
        let all = md_radars();
        let radars: Vec<MdRadar> = MISSILE_FEEDS
            .iter()
            .filter_map(|(_, r)| all.iter().find(|m| m.name == *r).cloned())
            .collect();
        let seed = rng.next_u64();
        MissileFeeds {
            start_ms,
            stream: PlotStream::new(seed, radars, missiles),
        }
    }

    /// No missiles (the other feeds' reference in tests).
    #[cfg(test)]
    pub fn none(start_ms: i64) -> Self {
        MissileFeeds {
            start_ms,
            stream: PlotStream::new(0, Vec::new(), Vec::new()),
        }
    }

    /// The plots with times in (previous call, `t1`], as `plots3d` records.
    pub fn scan(&mut self, t1: i64, out: &mut Vec<RecordEmission>) {
        let t_s = (t1 - self.start_ms) as f64 / 1000.0;
        for p in self.stream.advance_to(t_s) {
            let r = &self.stream.radars()[p.radar];
            let time_ms = self.start_ms + (p.t_s * 1000.0).round() as i64;
            let plot = Plot3d {
                sensor: r.name.to_string(),
                sensor_lat: r.lat_deg,
                sensor_lon: r.lon_deg,
                sensor_alt_m: r.alt_m,
                range_m: p.range_m,
                azimuth_deg: p.azimuth_deg,
                elevation_deg: p.elevation_deg,
                sigma_range_m: p.sigma_range_m,
                sigma_azimuth_deg: p.sigma_azimuth_deg,
                sigma_elevation_deg: p.sigma_elevation_deg,
                range_rate: p.range_rate_mps.zip(p.sigma_range_rate_mps),
            };
            out.push(RecordEmission {
                feed: MISSILE_FEEDS[p.radar].0,
                time_ms,
                truth_id: Some(MISSILE_TRUTH_ID_BASE + p.missile),
                record: Record::Plots3d(encode_line(time_ms, &plot)),
            });
        }
    }

    /// The missiles' truth, every `step_s` of flight plus launch and impact: the
    /// `biac sim-missile` truth columns (`t_s` on the demo's clock, seconds after its
    /// start) preceded by `time_ms` (Unix ms).
    pub fn write_truth_csv(&self, step_s: f64, w: &mut dyn Write) -> io::Result<()> {
        let g = Generated {
            missiles: self.stream.missiles().to_vec(),
            radars: self.stream.radars().to_vec(),
            plots: Vec::new(),
            truth_step_s: step_s,
        };
        let mut buf = Vec::new();
        write_truth_csv(&g, &mut buf)?;
        let text = String::from_utf8_lossy(&buf);
        for (i, line) in text.lines().enumerate() {
            if i == 0 {
                writeln!(w, "time_ms,{line}")?;
                continue;
            }
            let t_s: f64 = line
                .split(',')
                .next()
                .and_then(|t| t.parse().ok())
                .unwrap_or(0.0);
            let time_ms = self.start_ms + (t_s * 1000.0).round() as i64;
            writeln!(w, "{time_ms},{line}")?;
        }
        Ok(())
    }
}
