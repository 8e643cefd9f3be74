//! Scenario simulator: a deterministic world of ships and aircraft around the Nansei
//! islands, seen by the demo's allied sensors, emitting real wire formats.
//!
//! Invariants: pure library — no clocks (the caller passes simulated time to
//! [`Scenario::step`]), no threads, no I/O except writing truth to a caller's writer; all
//! randomness comes from ChaCha streams seeded by [`SimConfig::seed`] (one stream for the
//! world, one per sensor), so the same seed and start time give byte-identical emissions
//! and truth (the missile-defence radars and their missiles: stream 12; the scripted vessels: 9–11). Motion is integrated on the WGS84 ellipsoid (geodesics from `biac-geo`,
//! bounded turn rates); coverage obeys range and radio/radar horizon. Main types: [`SimConfig`],
//! [`Scenario`] (step → [`Emission`]s, truth → [`TruthRecord`]s), [`demo_feeds`] (the
//! feed table with names, formats and labels), [`Record`] (an emission before encoding).

use std::io::{self, Write};

use biac_model::Domain;
use rand::SeedableRng;
use serde::Serialize;

#[cfg(feature = "driver")]
pub mod driver;
pub mod ground;
mod ident;
pub mod missile;
pub mod missile_feeds;
pub mod missile_radar;
pub mod missile_scenario;
pub mod rnd;
mod script;
mod sensors;
mod world;

pub use script::{MMSI_DARK_FISHING, MMSI_LOITERER, MMSI_SMALL, MMSI_SPOOFED, MMSI_TANKER};
pub use sensors::{
    demo_feeds, AisMsg, Record, RecordEmission, FEED_AUS_P8_TRACKS, FEED_JPN_ADSB,
    FEED_JPN_AIS_SHORE, FEED_JPN_P1_RADAR, FEED_JPN_RADAR_MIYAKO, FEED_KOR_TRACKS, FEED_NAMES,
    FEED_SAT_AIS, FEED_USA_MQ9_GMTI,
};
pub use world::ObjectKind;

use missile_feeds::MissileFeeds;
use rnd::SimRng;
use sensors::{AdsbNet, PlotRadar, SatAis, ShoreAis, TrackFeed};
use world::World;

/// Scenario parameters. `Default` is the demo (310 objects).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimConfig {
    pub seed: u64,
    /// Simulated start time, ms since the Unix epoch.
    pub start_ms: i64,
    /// Merchant ships on the sea lanes (AIS class A).
    pub merchants: usize,
    /// Fishing vessels on the grounds (class A, class B or no AIS).
    pub fishing: usize,
    /// Naval and coast-guard vessels (no AIS).
    pub naval: usize,
    /// Airliners on the airways (ADS-B).
    pub airliners: usize,
    /// Military aircraft (no ADS-B) besides the three sensor platforms (P-1, MQ-9, P-8A),
    /// which are always present.
    pub military_aircraft: usize,
    /// Add the demo's scripted vessels (`script.rs`: each gray-zone behaviour in the
    /// first minutes); off by default, so that other runs are as before.
    pub scripted: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 20_250_601,
            // 2025-06-01T00:00:00Z
            start_ms: 1_748_736_000_000,
            merchants: 120,
            fishing: 80,
            naval: 15,
            airliners: 80,
            military_aircraft: 12,
            scripted: false,
        }
    }
}

/// Wire bytes one feed produced at one simulated time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emission {
    /// A [`demo_feeds`] name.
    pub feed: &'static str,
    pub time_ms: i64,
    /// Complete record(s) including terminators: AIS sentences each ending `\r\n`, an SBS
    /// line ending `\r\n`, or one CoT `<event>` followed by `\n`.
    pub bytes: Vec<u8>,
    /// The truth object the record is about, for scoring (`None` for false alarms).
    pub truth_id: Option<u32>,
}

/// The state of one object at one time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TruthRecord {
    pub time_ms: i64,
    /// Unique for the run; a replaced object gets a new id.
    pub id: u32,
    pub kind: ObjectKind,
    pub domain: Domain,
    /// Ground-truth CoT type: `a-n-S` merchant/fishing, `a-h-S` PLAN, `a-s-S` coast guard,
    /// `a-f-S`/`a-f-A` allied, `a-n-A` airliner, `a-h-A` PLA aircraft.
    pub cot_type: &'static str,
    /// Flag state or operating nation (trigraph).
    pub nation: &'static str,
    pub name: String,
    pub callsign: String,
    pub lat: f64,
    pub lon: f64,
    pub alt_m: f64,
    pub speed_mps: f64,
    pub course_deg: f64,
    pub mmsi: Option<u32>,
    pub icao: Option<u32>,
    /// Transmits AIS (class A or B).
    pub ais: bool,
    /// Transmits ADS-B.
    pub adsb: bool,
}

/// The truth CSV header line (with its newline).
pub const TRUTH_CSV_HEADER: &str = "time_ms,id,kind,domain,cot_type,nation,name,callsign,lat,lon,alt_m,speed_mps,course_deg,mmsi,icao,ais,adsb\n";

/// Write [`TRUTH_CSV_HEADER`].
pub fn write_truth_csv_header(w: &mut dyn Write) -> io::Result<()> {
    w.write_all(TRUTH_CSV_HEADER.as_bytes())
}

fn csv_field(s: &str) -> String {
    s.replace([',', '"', '\n', '\r'], " ")
}

impl TruthRecord {
    /// One CSV row (with its newline) matching [`TRUTH_CSV_HEADER`].
    pub fn csv_row(&self) -> String {
        let opt = |v: Option<u32>, hex: bool| match (v, hex) {
            (Some(v), true) => format!("{v:06X}"),
            (Some(v), false) => v.to_string(),
            (None, _) => String::new(),
        };
        format!(
            "{},{},{},{},{},{},{},{},{:.6},{:.6},{:.0},{:.2},{:.1},{},{},{},{}\n",
            self.time_ms,
            self.id,
            self.kind.as_str(),
            match self.domain {
                Domain::Surface => "surface",
                Domain::Air => "air",
                Domain::Ground => "ground",
                Domain::Unknown => "unknown",
            },
            self.cot_type,
            self.nation,
            csv_field(&self.name),
            csv_field(&self.callsign),
            self.lat,
            self.lon,
            self.alt_m,
            self.speed_mps,
            self.course_deg,
            opt(self.mmsi, false),
            opt(self.icao, true),
            self.ais,
            self.adsb,
        )
    }
}

/// The simulated world and its sensors.
pub struct Scenario {
    cfg: SimConfig,
    world: World,
    shore_ais: ShoreAis,
    sat_ais: SatAis,
    adsb: AdsbNet,
    radars: Vec<PlotRadar>,
    trackers: Vec<TrackFeed>,
    missiles: MissileFeeds,
    /// The scripted vessels' AIS, its own receiver and GNSS noise (streams of their own).
    script: Option<(script::Script, ShoreAis, SimRng)>,
}

/// Longest internal integration step, ms.
const SUBSTEP_MS: i64 = 1_000;

fn stream(seed: u64, n: u64) -> SimRng {
    let mut r = SimRng::seed_from_u64(seed);
    r.set_stream(n);
    r
}

impl Scenario {
    pub fn new(cfg: SimConfig) -> Self {
        let s = cfg.seed;
        let t = cfg.start_ms;
        let mut world = World::new(&cfg, stream(s, 0));
        let mut radars = vec![
            PlotRadar::miyako(stream(s, 4), t),
            PlotRadar::p1(stream(s, 5), t),
            PlotRadar::mq9(stream(s, 6), t),
        ];
        let script = cfg.scripted.then(|| {
            let (script, objects) = script::Script::demo(t);
            world.objects.extend(objects);
            // The script's P-1 sortie is its last object.
            let sortie = world.objects.len() - 1;
            radars.push(PlotRadar::p1_sortie(stream(s, 11), t, sortie));
            (script, ShoreAis::new(stream(s, 9)), stream(s, 10))
        });
        Scenario {
            world,
            script,
            radars,
            shore_ais: ShoreAis::new(stream(s, 1)),
            sat_ais: SatAis::new(stream(s, 2), t),
            adsb: AdsbNet::new(stream(s, 3)),
            trackers: vec![
                TrackFeed::aus_p8(stream(s, 7), t),
                TrackFeed::kor(stream(s, 8), t),
            ],
            missiles: MissileFeeds::new(stream(s, 12), t),
            cfg,
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    /// Current simulated time, ms since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        self.world.now_ms
    }

    /// Number of objects (constant: leavers are replaced).
    pub fn object_count(&self) -> usize {
        self.world.objects.len()
    }

    /// Advance the world by `dt_ms` and return what the sensors emitted in that interval,
    /// in time order, encoded to their wire formats.
    pub fn step(&mut self, dt_ms: i64) -> Vec<Emission> {
        self.step_records(dt_ms)
            .into_iter()
            .map(|e| Emission {
                feed: e.feed,
                time_ms: e.time_ms,
                bytes: e.record.encode(e.time_ms),
                truth_id: e.truth_id,
            })
            .collect()
    }

    /// As [`Scenario::step`], but the records before wire encoding.
    pub fn step_records(&mut self, dt_ms: i64) -> Vec<RecordEmission> {
        let mut out = Vec::new();
        let mut left = dt_ms.max(0);
        while left > 0 {
            let sub = left.min(SUBSTEP_MS);
            self.substep(sub, &mut out);
            left -= sub;
        }
        out
    }

    fn substep(&mut self, dt_ms: i64, out: &mut Vec<RecordEmission>) {
        let t0 = self.world.now_ms;
        self.world.advance(dt_ms);
        let t1 = self.world.now_ms;
        let txs = self.world.transmissions(t0);
        let mut batch = Vec::new();
        self.shore_ais.receive(&txs, &mut batch);
        self.sat_ais.receive(t1, &txs, &mut batch);
        self.adsb.receive(&txs, &mut batch);
        if let Some((script, shore, rng)) = &mut self.script {
            let txs = script.transmissions(&self.world.objects, t0, t1, rng);
            shore.receive(&txs, &mut batch);
        }
        for r in &mut self.radars {
            r.scan(&self.world, t0, t1, &mut batch);
        }
        for tf in &mut self.trackers {
            tf.cycle(&self.world, t0, t1, &mut batch);
        }
        self.missiles.scan(t1, &mut batch);
        batch.sort_by_key(|e| e.time_ms); // stable: ties keep sensor order
        out.extend(batch);
    }

    /// The current state of every object.
    pub fn truth(&self) -> Vec<TruthRecord> {
        let t = self.world.now_ms;
        self.world
            .objects
            .iter()
            .map(|o| TruthRecord {
                time_ms: t,
                id: o.id,
                kind: o.kind,
                domain: o.kind.domain(),
                cot_type: o.cot_type,
                nation: o.nation,
                name: o.name.clone(),
                callsign: o.callsign.clone(),
                lat: o.lat,
                lon: o.lon,
                alt_m: o.alt_m,
                speed_mps: o.speed_mps,
                course_deg: o.course_deg,
                mmsi: o.mmsi,
                icao: o.icao,
                ais: o.ais != world::AisClass::None,
                adsb: o.adsb,
            })
            .collect()
    }

    /// The missiles' whole flights (known at the start: launches are scheduled), one row
    /// per missile each `step_s` of flight plus launch and impact, with its header: the
    /// `biac sim-missile` truth columns preceded by `time_ms`.
    pub fn write_missile_truth_csv(&self, step_s: f64, w: &mut dyn Write) -> io::Result<()> {
        self.missiles.write_truth_csv(step_s, w)
    }

    /// Append one CSV row per object (no header; see [`write_truth_csv_header`]).
    pub fn write_truth_csv(&self, w: &mut dyn Write) -> io::Result<()> {
        for r in self.truth() {
            w.write_all(r.csv_row().as_bytes())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
