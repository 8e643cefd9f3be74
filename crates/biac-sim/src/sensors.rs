//! The demo's sensors and feeds: where they are, what they can see, how they err, and the
//! records they emit.
//!
//! Each sensor draws from its own random stream, so one sensor's detections never depend
//! on another's (removing or changing a feed leaves the others' output identical).

use std::collections::BTreeMap;

use biac_formats::ais::{PositionReport, StaticVoyage};
use biac_formats::cot::CotEvent;
use biac_formats::sbs::SbsMsg;
use biac_geo::{bearing_deg, destination, distance_m, distance_within, horizon_m, KNOT, NM};
use biac_model::{Classification, FeedConfig, FeedFormat, Label, Nation, ObservationKind};
use rand::Rng;

use crate::rnd::{gauss, poisson, uniform, SimRng};
use crate::world::{Object, ObjectKind, Tx, TxMsg, World, AREA_LAT, AREA_LON};
use crate::world::{PLATFORM_MQ9, PLATFORM_P1, PLATFORM_P8};

pub const FEED_JPN_AIS_SHORE: &str = "jpn-ais-shore";
pub const FEED_SAT_AIS: &str = "sat-ais";
pub const FEED_JPN_ADSB: &str = "jpn-adsb";
pub const FEED_JPN_RADAR_MIYAKO: &str = "jpn-radar-miyako";
pub const FEED_JPN_P1_RADAR: &str = "jpn-p1-radar";
pub const FEED_USA_MQ9_GMTI: &str = "usa-mq9-gmti";
pub const FEED_AUS_P8_TRACKS: &str = "aus-p8-tracks";
pub const FEED_KOR_TRACKS: &str = "kor-tracks";

/// Every demo feed name, in table order.
pub const FEED_NAMES: [&str; 8] = [
    FEED_JPN_AIS_SHORE,
    FEED_SAT_AIS,
    FEED_JPN_ADSB,
    FEED_JPN_RADAR_MIYAKO,
    FEED_JPN_P1_RADAR,
    FEED_USA_MQ9_GMTI,
    FEED_AUS_P8_TRACKS,
    FEED_KOR_TRACKS,
];

/// The demo's feed table: names, formats, operating nations and default labels.
///
/// Releasability: PHL sees only the AIS and ADS-B feeds; KOR also its own track feed; AUS
/// also the Miyako radar and its own P-8 feed; JPN and USA see everything.
pub fn demo_feeds() -> Vec<FeedConfig> {
    use Nation::*;
    let f = |name: &str, format, nation, label, cot_kind, description: &str| FeedConfig {
        name: name.to_string(),
        format,
        nation,
        default_label: label,
        trusted_markings: false,
        cot_kind,
        description: description.to_string(),
    };
    vec![
        f(
            FEED_JPN_AIS_SHORE,
            FeedFormat::Ais,
            JPN,
            Label::unclassified_public(JPN),
            ObservationKind::SelfReport,
            "Japan Coast Guard shore AIS receivers (Miyako-jima, Ishigaki, Okinawa, Amami), ~40 nm each",
        ),
        f(
            FEED_SAT_AIS,
            FeedFormat::Ais,
            USA,
            Label::unclassified_public(USA),
            ObservationKind::SelfReport,
            "Satellite AIS over the whole area, in passes with gaps, ~0.3 detections per ship-minute",
        ),
        f(
            FEED_JPN_ADSB,
            FeedFormat::Sbs,
            JPN,
            Label::unclassified_public(JPN),
            ObservationKind::SelfReport,
            "ADS-B receivers on the Nansei islands, ~200 nm for aircraft at altitude",
        ),
        f(
            FEED_JPN_RADAR_MIYAKO,
            FeedFormat::Cot,
            JPN,
            Label::rel_to(Classification::Confidential, JPN, &[USA, AUS]),
            ObservationKind::Plot,
            "JGSDF/JASDF coastal radar on Miyako-jima: surface plots to ~40 nm, 10 s scan",
        ),
        f(
            FEED_JPN_P1_RADAR,
            FeedFormat::Cot,
            JPN,
            Label::rel_to(Classification::Secret, JPN, &[USA]),
            ObservationKind::Plot,
            "JMSDF P-1 surface-search radar, racetrack west of Okinawa, ~100 nm, 10 s scan",
        ),
        f(
            FEED_USA_MQ9_GMTI,
            FeedFormat::Cot,
            USA,
            Label::rel_to(Classification::Secret, USA, &[JPN]),
            ObservationKind::Plot,
            "USAF MQ-9 out of Kanoya, GMTI moving-target plots over the northern East China Sea / Tokara Strait, 10 s revisit",
        ),
        f(
            FEED_AUS_P8_TRACKS,
            FeedFormat::Cot,
            AUS,
            Label::rel_to(Classification::Secret, AUS, &[USA, JPN]),
            ObservationKind::Track,
            "RAAF P-8A national surface track feed, east of Taiwan / south of Yonaguni",
        ),
        f(
            FEED_KOR_TRACKS,
            FeedFormat::Cot,
            KOR,
            Label::rel_to(Classification::Secret, KOR, &[USA, JPN]),
            ObservationKind::Track,
            "ROK Navy surface track feed, northern East China Sea near Jeju",
        ),
    ]
}

fn marking_of(feed: &str) -> String {
    demo_feeds()
        .into_iter()
        .find(|f| f.name == feed)
        .map(|f| f.default_label.marking())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Structured records (what a sensor says, before wire encoding)

/// An AIS message as received.
#[derive(Clone, Debug, PartialEq)]
pub enum AisMsg {
    Position(PositionReport),
    Static(StaticVoyage),
}

/// One record a sensor emitted, before encoding to its wire format.
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    /// AIS message heard by `receiver` (the tag block source), on `channel`, with the
    /// multi-sentence sequence id `seq`.
    Ais {
        receiver: String,
        channel: char,
        seq: u8,
        msg: AisMsg,
    },
    Sbs(SbsMsg),
    Cot(CotEvent),
}

impl Record {
    /// The complete wire bytes with terminators: AIS sentences each ending `\r\n` (tag
    /// block `s:<receiver>,c:<unix seconds>` on the first), an SBS line ending `\r\n`, or
    /// one CoT `<event>` followed by `\n`.
    pub fn encode(&self, time_ms: i64) -> Vec<u8> {
        use biac_formats::{ais, sbs};
        let mut b = Vec::new();
        match self {
            Record::Ais {
                receiver,
                channel,
                seq,
                msg,
            } => {
                let (payload, fill) = match msg {
                    AisMsg::Position(r) => ais::encode_position_report(r),
                    AisMsg::Static(s) => ais::encode_static_voyage(s),
                };
                let tag = (receiver.as_str(), time_ms.div_euclid(1000));
                for s in ais::to_sentences(&payload, fill, *channel, *seq, Some(tag)) {
                    b.extend_from_slice(s.trim_end_matches(['\r', '\n']).as_bytes());
                    b.extend_from_slice(b"\r\n");
                }
            }
            Record::Sbs(m) => {
                b.extend_from_slice(
                    sbs::format_line(m)
                        .trim_end_matches(['\r', '\n'])
                        .as_bytes(),
                );
                b.extend_from_slice(b"\r\n");
            }
            Record::Cot(e) => {
                b.extend_from_slice(e.to_xml().trim_end().as_bytes());
                b.push(b'\n');
            }
        }
        b
    }
}

/// A structured emission: the record, its feed and time, and the truth object it is
/// about (`None` for clutter and false alarms).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordEmission {
    pub feed: &'static str,
    pub time_ms: i64,
    pub truth_id: Option<u32>,
    pub record: Record,
}

// ---------------------------------------------------------------------------------------
// AIS

struct Site {
    name: &'static str,
    lat: f64,
    lon: f64,
    /// Antenna height above sea level, metres.
    h_m: f64,
}

const JCG_AIS: &[Site] = &[
    Site {
        name: "JCG-MIYAKO",
        lat: 24.78,
        lon: 125.33,
        h_m: 120.0,
    },
    Site {
        name: "JCG-ISHIGAKI",
        lat: 24.34,
        lon: 124.19,
        h_m: 150.0,
    },
    Site {
        name: "JCG-OKINAWA",
        lat: 26.21,
        lon: 127.68,
        h_m: 150.0,
    },
    Site {
        name: "JCG-AMAMI",
        lat: 28.38,
        lon: 129.49,
        h_m: 150.0,
    },
];

/// Japan Coast Guard shore receivers: each hears transmissions within 40 nm and its
/// radio horizon, with reception falling off towards the edge (slot collisions, fading).
pub(crate) struct ShoreAis {
    rng: SimRng,
    seq: [u8; 4],
}

impl ShoreAis {
    pub const RANGE_M: f64 = 40.0 * NM;

    pub fn new(rng: SimRng) -> Self {
        ShoreAis { rng, seq: [0; 4] }
    }

    /// Whether the geometry allows reception at site `i` (used by tests too).
    pub fn in_coverage(i: usize, lat: f64, lon: f64, h: f64) -> bool {
        let s = &JCG_AIS[i];
        let reach = Self::RANGE_M.min(horizon_m(s.h_m, h));
        distance_within(s.lat, s.lon, lat, lon, reach).is_some()
    }

    pub fn receive(&mut self, txs: &[Tx], out: &mut Vec<RecordEmission>) {
        for tx in txs {
            let msg = match &tx.msg {
                TxMsg::AisPosition { report, .. } => AisMsg::Position(report.clone()),
                TxMsg::AisStatic(s) => AisMsg::Static(s.clone()),
                TxMsg::Adsb(_) => continue,
            };
            for (i, s) in JCG_AIS.iter().enumerate() {
                if !Self::in_coverage(i, tx.lat, tx.lon, tx.los_h) {
                    continue;
                }
                let d = distance_m(s.lat, s.lon, tx.lat, tx.lon);
                let frac = d / Self::RANGE_M;
                let p = if frac < 0.7 {
                    0.97
                } else {
                    0.97 - (frac - 0.7) * 1.5
                };
                if !self.rng.random_bool(p.clamp(0.0, 1.0)) {
                    continue;
                }
                let channel = if self.rng.random_bool(0.5) { 'A' } else { 'B' };
                let seq = self.seq[i];
                if matches!(msg, AisMsg::Static(_)) {
                    self.seq[i] = (seq + 1) % 10;
                }
                out.push(RecordEmission {
                    feed: FEED_JPN_AIS_SHORE,
                    time_ms: tx.time_ms,
                    truth_id: Some(tx.obj_id),
                    record: Record::Ais {
                        receiver: s.name.to_string(),
                        channel,
                        seq,
                        msg: msg.clone(),
                    },
                });
            }
        }
    }
}

const SATELLITES: &[&str] = &[
    "SAT-AIS-07",
    "SAT-AIS-12",
    "SAT-AIS-03",
    "SAT-AIS-21",
    "SAT-AIS-15",
];

/// Satellite AIS: passes of 8-14 min separated by 15-50 min gaps; during a pass each
/// position report over the area is heard with the probability that gives ~0.3
/// detections per ship-minute (message collisions in the large footprint).
pub(crate) struct SatAis {
    rng: SimRng,
    pass_start_ms: i64,
    pass_end_ms: i64,
    next_pass_ms: i64,
    sat: usize,
    seq: u8,
}

impl SatAis {
    pub const PER_MINUTE: f64 = 0.3;

    pub fn new(mut rng: SimRng, start_ms: i64) -> Self {
        let sat = rng.random_range(0..SATELLITES.len());
        // The first pass is under way at the start, so the feed is live from the outset.
        let end = start_ms + rng.random_range(6..12) * 60_000;
        SatAis {
            rng,
            pass_start_ms: start_ms,
            pass_end_ms: end,
            next_pass_ms: end + 20 * 60_000,
            sat,
            seq: 0,
        }
    }

    pub fn receive(&mut self, t1: i64, txs: &[Tx], out: &mut Vec<RecordEmission>) {
        if t1 >= self.next_pass_ms {
            self.pass_start_ms = self.next_pass_ms;
            self.pass_end_ms = self.pass_start_ms + self.rng.random_range(8..=14) * 60_000;
            self.next_pass_ms = self.pass_end_ms + self.rng.random_range(15..=50) * 60_000;
            self.sat = (self.sat + 1 + self.rng.random_range(0..2)) % SATELLITES.len();
        }
        for tx in txs {
            if tx.time_ms < self.pass_start_ms || tx.time_ms >= self.pass_end_ms {
                continue;
            }
            if !(AREA_LAT.0..=AREA_LAT.1).contains(&tx.lat)
                || !(AREA_LON.0..=AREA_LON.1).contains(&tx.lon)
            {
                continue;
            }
            let (msg, p) = match &tx.msg {
                TxMsg::AisPosition { report, interval_s } => (
                    AisMsg::Position(report.clone()),
                    1.0 - (1.0 - Self::PER_MINUTE).powf(interval_s / 60.0),
                ),
                TxMsg::AisStatic(s) => (AisMsg::Static(s.clone()), 0.3),
                TxMsg::Adsb(_) => continue,
            };
            if !self.rng.random_bool(p.clamp(0.0, 1.0)) {
                continue;
            }
            let channel = if self.rng.random_bool(0.5) { 'A' } else { 'B' };
            let seq = self.seq;
            if matches!(msg, AisMsg::Static(_)) {
                self.seq = (seq + 1) % 10;
            }
            out.push(RecordEmission {
                feed: FEED_SAT_AIS,
                time_ms: tx.time_ms,
                truth_id: Some(tx.obj_id),
                record: Record::Ais {
                    receiver: SATELLITES[self.sat].to_string(),
                    channel,
                    seq,
                    msg,
                },
            });
        }
    }
}

// ---------------------------------------------------------------------------------------
// ADS-B

const ADSB_SITES: &[Site] = &[
    Site {
        name: "YONAGUNI",
        lat: 24.47,
        lon: 123.00,
        h_m: 60.0,
    },
    Site {
        name: "ISHIGAKI",
        lat: 24.34,
        lon: 124.19,
        h_m: 40.0,
    },
    Site {
        name: "MIYAKO",
        lat: 24.78,
        lon: 125.30,
        h_m: 40.0,
    },
    Site {
        name: "NAHA",
        lat: 26.20,
        lon: 127.65,
        h_m: 60.0,
    },
    Site {
        name: "AMAMI",
        lat: 28.43,
        lon: 129.71,
        h_m: 60.0,
    },
];

/// The island ADS-B receiver network, merged into one SBS stream (as a network
/// aggregator outputs it: one line per message, whichever receiver heard it).
pub(crate) struct AdsbNet {
    rng: SimRng,
}

impl AdsbNet {
    pub const RANGE_M: f64 = 200.0 * NM;

    pub fn new(rng: SimRng) -> Self {
        AdsbNet { rng }
    }

    #[cfg(test)]
    pub fn in_coverage(lat: f64, lon: f64, alt_m: f64) -> bool {
        ADSB_SITES.iter().any(|s| {
            let reach = Self::RANGE_M.min(horizon_m(s.h_m, alt_m));
            distance_within(s.lat, s.lon, lat, lon, reach).is_some()
        })
    }

    pub fn receive(&mut self, txs: &[Tx], out: &mut Vec<RecordEmission>) {
        for tx in txs {
            let TxMsg::Adsb(m) = &tx.msg else { continue };
            let sites = ADSB_SITES
                .iter()
                .filter(|s| {
                    let reach = Self::RANGE_M.min(horizon_m(s.h_m, tx.los_h));
                    distance_within(s.lat, s.lon, tx.lat, tx.lon, reach).is_some()
                })
                .count();
            if sites == 0 {
                continue;
            }
            // Each receiver decodes a given squitter with probability 0.85.
            let p = 1.0 - 0.15f64.powi(sites as i32);
            if !self.rng.random_bool(p) {
                continue;
            }
            out.push(RecordEmission {
                feed: FEED_JPN_ADSB,
                time_ms: tx.time_ms,
                truth_id: Some(tx.obj_id),
                record: Record::Sbs(m.clone()),
            });
        }
    }
}

// ---------------------------------------------------------------------------------------
// Radars

/// Where a sensor is.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mount {
    Fixed {
        lat: f64,
        lon: f64,
        h_m: f64,
    },
    /// A platform object in the world (its slot index).
    Platform(usize),
}

impl Mount {
    fn position(&self, w: &World) -> (f64, f64, f64) {
        match *self {
            Mount::Fixed { lat, lon, h_m } => (lat, lon, h_m),
            Mount::Platform(i) => {
                let o = &w.objects[i];
                (o.lat, o.lon, o.alt_m)
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ScanMode {
    /// A rotating antenna: the beam sweeps north-clockwise once per period.
    Rotating,
    /// An electronically steered dwell over the whole coverage once per period (GMTI).
    Dwell,
}

/// A radar producing plots (CoT `a-u-*`, one fresh uid per plot).
pub(crate) struct PlotRadar {
    pub feed: &'static str,
    uid_prefix: &'static str,
    pub mount: Mount,
    pub range_m: f64,
    pd: f64,
    sigma_range_m: f64,
    sigma_az_deg: f64,
    clutter_per_scan: f64,
    period_ms: i64,
    epoch_ms: i64,
    mode: ScanMode,
    /// GMTI: only targets moving faster than this (m/s) are detected.
    min_speed_mps: f64,
    /// Also detect aircraft (2D: no height reported), with this Pd.
    air_pd: Option<f64>,
    counter: u64,
    marking: String,
    rng: SimRng,
}

impl PlotRadar {
    pub fn miyako(rng: SimRng, start_ms: i64) -> Self {
        PlotRadar {
            feed: FEED_JPN_RADAR_MIYAKO,
            uid_prefix: "JPN-MIYAKO",
            // The radar head on high ground at the island's east end.
            mount: Mount::Fixed {
                lat: 24.78,
                lon: 125.33,
                h_m: 120.0,
            },
            range_m: 40.0 * NM,
            pd: 0.9,
            sigma_range_m: 30.0,
            sigma_az_deg: 0.2,
            clutter_per_scan: 1.5,
            period_ms: 10_000,
            epoch_ms: start_ms,
            mode: ScanMode::Rotating,
            min_speed_mps: 0.0,
            air_pd: Some(0.6),
            counter: 0,
            marking: marking_of(FEED_JPN_RADAR_MIYAKO),
            rng,
        }
    }

    pub fn p1(rng: SimRng, start_ms: i64) -> Self {
        PlotRadar {
            feed: FEED_JPN_P1_RADAR,
            uid_prefix: "JPN-P1",
            mount: Mount::Platform(PLATFORM_P1),
            range_m: 100.0 * NM,
            pd: 0.85,
            // Airborne: platform navigation error adds to the radar's own.
            sigma_range_m: 50.0,
            sigma_az_deg: 0.3,
            clutter_per_scan: 3.0,
            period_ms: 10_000,
            epoch_ms: start_ms + 2_500,
            mode: ScanMode::Rotating,
            min_speed_mps: 0.0,
            air_pd: None,
            counter: 0,
            marking: marking_of(FEED_JPN_P1_RADAR),
            rng,
        }
    }

    pub fn mq9(rng: SimRng, start_ms: i64) -> Self {
        PlotRadar {
            feed: FEED_USA_MQ9_GMTI,
            uid_prefix: "USA-MQ9",
            mount: Mount::Platform(PLATFORM_MQ9),
            range_m: 80.0 * NM,
            pd: 0.85,
            sigma_range_m: 20.0,
            sigma_az_deg: 0.25,
            clutter_per_scan: 0.5,
            period_ms: 10_000,
            epoch_ms: start_ms + 5_000,
            mode: ScanMode::Dwell,
            min_speed_mps: 2.0 * KNOT,
            air_pd: None,
            counter: 0,
            marking: marking_of(FEED_USA_MQ9_GMTI),
            rng,
        }
    }

    /// Whether geometry and target motion let this radar see `o` (ignoring Pd).
    pub fn can_see(&self, w: &World, o: &Object) -> bool {
        let (lat, lon, h) = self.mount.position(w);
        if let Mount::Platform(i) = self.mount {
            if w.objects[i].id == o.id {
                return false;
            }
        }
        if o.is_air() && self.air_pd.is_none() {
            return false;
        }
        if o.speed_mps <= self.min_speed_mps {
            return false;
        }
        let reach = self.range_m.min(horizon_m(h, o.los_height_m()));
        distance_within(lat, lon, o.lat, o.lon, reach).is_some()
    }

    /// One-sigma horizontal error at range `r`: RMS of the range and cross-range sigmas
    /// (the convention of `Track::pos_sigma_m`).
    pub fn sigma_at(&self, r: f64) -> f64 {
        let cross = r * self.sigma_az_deg.to_radians();
        ((self.sigma_range_m.powi(2) + cross.powi(2)) / 2.0).sqrt()
    }

    pub fn scan(&mut self, w: &World, t0: i64, t1: i64, out: &mut Vec<RecordEmission>) {
        let (rlat, rlon, rh) = self.mount.position(w);
        // Which azimuths (and at what times) the beam covers in (t0, t1].
        let period = self.period_ms as f64;
        let (az0, sweep, dwell_t) = match self.mode {
            ScanMode::Rotating => {
                let az0 = ((t0 - self.epoch_ms).rem_euclid(self.period_ms)) as f64 / period * 360.0;
                let sweep = ((t1 - t0) as f64 / period * 360.0).min(360.0);
                (az0, sweep, None)
            }
            ScanMode::Dwell => {
                // Dwells at epoch + k·period.
                let k = (t1 - self.epoch_ms).div_euclid(self.period_ms);
                let t = self.epoch_ms + k * self.period_ms;
                if t <= t0 || t > t1 {
                    return;
                }
                (0.0, 360.0, Some(t))
            }
        };
        let time_at = |off_deg: f64| -> i64 {
            match dwell_t {
                Some(t) => t,
                None => (t0 + (off_deg / 360.0 * period).ceil() as i64).clamp(t0 + 1, t1),
            }
        };
        let in_sector = |az: f64| -> Option<f64> {
            let off = (az - az0).rem_euclid(360.0);
            (sweep >= 360.0 || (off > 0.0 && off <= sweep)).then_some(off)
        };
        let mut dets: Vec<RecordEmission> = Vec::new();
        for o in &w.objects {
            if !self.can_see(w, o) {
                continue;
            }
            let az = bearing_deg(rlat, rlon, o.lat, o.lon);
            let Some(off) = in_sector(az) else { continue };
            let pd = if o.is_air() {
                self.air_pd.unwrap_or(0.0)
            } else {
                self.pd
            };
            if !self.rng.random_bool(pd) {
                continue;
            }
            let t = time_at(off);
            let (lat, lon, _) = o.position_at(t, w.now_ms);
            let r = distance_m(rlat, rlon, lat, lon);
            let az = bearing_deg(rlat, rlon, lat, lon);
            let rm = (r + gauss(&mut self.rng, self.sigma_range_m)).max(0.0);
            let azm = az + gauss(&mut self.rng, self.sigma_az_deg);
            let (mlat, mlon) = destination(rlat, rlon, azm, rm);
            let ev = self.plot(t, mlat, mlon, rm, o.is_air());
            dets.push(RecordEmission {
                feed: self.feed,
                time_ms: t,
                truth_id: Some(o.id),
                record: Record::Cot(ev),
            });
        }
        // False alarms: Poisson per scan, uniform over the covered disc.
        let n = poisson(&mut self.rng, self.clutter_per_scan * sweep / 360.0);
        for _ in 0..n {
            let off = uniform(&mut self.rng, 0.0, sweep);
            let az = az0 + off;
            let r = self.range_m.min(horizon_m(rh, 0.0).max(self.range_m * 0.5))
                * self.rng.random::<f64>().sqrt();
            let (lat, lon) = destination(rlat, rlon, az, r);
            let t = time_at(off);
            let ev = self.plot(t, lat, lon, r, false);
            dets.push(RecordEmission {
                feed: self.feed,
                time_ms: t,
                truth_id: None,
                record: Record::Cot(ev),
            });
        }
        dets.sort_by_key(|e| e.time_ms);
        out.extend(dets);
    }

    fn plot(&mut self, t: i64, lat: f64, lon: f64, range: f64, air: bool) -> CotEvent {
        self.counter += 1;
        CotEvent {
            uid: format!("{}.P.{}", self.uid_prefix, self.counter),
            cot_type: if air { "a-u-A" } else { "a-u-S" }.to_string(),
            // `m-r`: machine-generated, radar (the convention this project uses for plots).
            how: "m-r".to_string(),
            time_ms: t,
            start_ms: t,
            stale_ms: t + 30_000,
            lat: round7(lat),
            lon: round7(lon),
            // Surface plots are at sea level; a 2D radar measures no height for aircraft.
            hae: if air { 9_999_999.0 } else { 0.0 },
            ce: ce90(self.sigma_at(range)),
            le: 9_999_999.0,
            course_deg: None,
            speed_mps: None,
            callsign: None,
            access: Some(self.marking.clone()),
            caveat: None,
            releasable_to: None,
            extra_detail: String::new(),
        }
    }
}

/// Ratio of the 90 % circular error to the per-axis sigma of a circular normal
/// (sqrt(-2 ln 0.1)); the CoT decoder of `biac-formats` reads `ce` as CE90 and divides by it.
pub(crate) const CE90_PER_SIGMA: f64 = 2.146;

/// CoT `ce` (CE90, metres, 0.1 m) for a per-axis sigma.
fn ce90(sigma_m: f64) -> f64 {
    (sigma_m * CE90_PER_SIGMA * 10.0).round() / 10.0
}

fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

// ---------------------------------------------------------------------------------------
// National track feeds

struct TrackState {
    number: u32,
    hits: u32,
    last_seen_ms: i64,
    err_e: f64,
    err_n: f64,
}

/// A national tracker's output: surface tracks with stable uids, course, speed and `ce`.
/// A track is confirmed after two detections, reported every cycle it is updated, and
/// dropped after 60 s without one; its position error is correlated in time (AR(1)).
pub(crate) struct TrackFeed {
    pub feed: &'static str,
    uid_prefix: &'static str,
    pub mount: Mount,
    pub range_m: f64,
    /// Whether the radar horizon from the mount limits coverage (airborne sensor).
    horizon: bool,
    pd: f64,
    sigma_m: f64,
    period_ms: i64,
    epoch_ms: i64,
    tracks: BTreeMap<u32, TrackState>,
    counter: u32,
    marking: String,
    rng: SimRng,
}

impl TrackFeed {
    pub fn aus_p8(rng: SimRng, start_ms: i64) -> Self {
        TrackFeed {
            feed: FEED_AUS_P8_TRACKS,
            uid_prefix: "AUS-P8",
            mount: Mount::Platform(PLATFORM_P8),
            range_m: 120.0 * NM,
            horizon: true,
            pd: 0.9,
            sigma_m: 150.0,
            period_ms: 10_000,
            epoch_ms: start_ms + 1_000,
            tracks: BTreeMap::new(),
            counter: 0,
            marking: marking_of(FEED_AUS_P8_TRACKS),
            rng,
        }
    }

    pub fn kor(rng: SimRng, start_ms: i64) -> Self {
        TrackFeed {
            feed: FEED_KOR_TRACKS,
            uid_prefix: "KOR-JEJU",
            // The ROK Navy picture around Jeju (coastal radars and patrols, merged).
            mount: Mount::Fixed {
                lat: 32.6,
                lon: 126.0,
                h_m: 0.0,
            },
            range_m: 150_000.0,
            horizon: false,
            pd: 0.9,
            sigma_m: 250.0,
            period_ms: 12_000,
            epoch_ms: start_ms + 3_000,
            tracks: BTreeMap::new(),
            counter: 0,
            marking: marking_of(FEED_KOR_TRACKS),
            rng,
        }
    }

    pub fn covers(&self, w: &World, o: &Object) -> bool {
        if o.is_air() {
            return false;
        }
        let (lat, lon, h) = self.mount.position(w);
        let reach = if self.horizon {
            self.range_m.min(horizon_m(h, o.mast_m))
        } else {
            self.range_m
        };
        distance_within(lat, lon, o.lat, o.lon, reach).is_some()
    }

    /// The classification a tracker gives: warships as their truth affiliation, AIS
    /// carriers as neutral, dark vessels as unknown.
    fn classify(o: &Object) -> &'static str {
        match o.kind {
            ObjectKind::Naval => o.cot_type,
            _ if o.mmsi.is_some() => "a-n-S",
            _ => "a-u-S",
        }
    }

    pub fn cycle(&mut self, w: &World, t0: i64, t1: i64, out: &mut Vec<RecordEmission>) {
        let k = (t1 - self.epoch_ms).div_euclid(self.period_ms);
        let t = self.epoch_ms + k * self.period_ms;
        if t <= t0 || t > t1 {
            return;
        }
        let rho: f64 = 0.9;
        let innov = (1.0 - rho * rho).sqrt() * self.sigma_m;
        for o in &w.objects {
            if !self.covers(w, o) || !self.rng.random_bool(self.pd) {
                continue;
            }
            let st = self.tracks.entry(o.id).or_insert_with(|| TrackState {
                number: 0,
                hits: 0,
                last_seen_ms: t,
                err_e: 0.0,
                err_n: 0.0,
            });
            if st.hits == 0 {
                st.err_e = gauss(&mut self.rng, self.sigma_m);
                st.err_n = gauss(&mut self.rng, self.sigma_m);
            } else {
                st.err_e = rho * st.err_e + gauss(&mut self.rng, innov);
                st.err_n = rho * st.err_n + gauss(&mut self.rng, innov);
            }
            st.hits += 1;
            st.last_seen_ms = t;
            if st.hits < 2 {
                continue;
            }
            if st.number == 0 {
                self.counter += 1;
                st.number = self.counter;
            }
            let (lat, lon, _) = o.position_at(t, w.now_ms);
            let d = st.err_e.hypot(st.err_n);
            let (lat, lon) = if d > 0.0 {
                destination(lat, lon, st.err_e.atan2(st.err_n).to_degrees(), d)
            } else {
                (lat, lon)
            };
            let number = st.number;
            let course = (o.course_deg + gauss(&mut self.rng, 2.0)).rem_euclid(360.0);
            let speed = (o.speed_mps + gauss(&mut self.rng, 0.3)).max(0.0);
            let callsign =
                (o.kind == ObjectKind::Naval || o.mmsi.is_some()).then(|| o.name.clone());
            let ev = CotEvent {
                uid: format!("{}.T{:04}", self.uid_prefix, number),
                cot_type: Self::classify(o).to_string(),
                // `m-f`: machine-generated, fused (the output of another nation's tracker).
                how: "m-f".to_string(),
                time_ms: t,
                start_ms: t,
                stale_ms: t + 3 * self.period_ms,
                lat: round7(lat),
                lon: round7(lon),
                hae: 0.0,
                ce: ce90(self.sigma_m),
                le: 9_999_999.0,
                course_deg: Some((course * 10.0).round() / 10.0),
                speed_mps: Some((speed * 10.0).round() / 10.0),
                callsign,
                access: Some(self.marking.clone()),
                caveat: None,
                releasable_to: None,
                extra_detail: String::new(),
            };
            out.push(RecordEmission {
                feed: self.feed,
                time_ms: t,
                truth_id: Some(o.id),
                record: Record::Cot(ev),
            });
        }
        self.tracks.retain(|_, s| t - s.last_seen_ms <= 60_000);
    }
}
