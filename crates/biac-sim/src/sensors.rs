//! The demo's sensors and feeds: where they are, what they can see, how they err, and the
//! records they emit.
//!
//! Each sensor draws from its own random stream, so one sensor's detections never depend
//! on another's (removing or changing a feed leaves the others' output identical).

use std::collections::BTreeMap;

use biac_formats::ais::{PositionReport, StaticVoyage};
use biac_formats::cot::CotEvent;
use biac_formats::sbs::SbsMsg;
use biac_formats::stanag4607::{self as s4607, PacketHeader, Segment};
use biac_geo::{bearing_deg, destination, distance_m, distance_within, horizon_m, KNOT, NM};
use biac_model::{
    Classification, Domain, FeedConfig, FeedFormat, Label, Nation, ObservationKind, SitePin,
};
use rand::Rng;

use crate::missile_feeds::{
    FEED_JPN_AEGIS, FEED_JPN_FPS5, FEED_KOR_GREENPINE, FEED_USA_TPY2_KYOGAMISAKI,
    FEED_USA_TPY2_SHARIKI,
};
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

/// Every demo feed name, in table order (the missile-defence radars last).
pub const FEED_NAMES: [&str; 13] = [
    FEED_JPN_AIS_SHORE,
    FEED_SAT_AIS,
    FEED_JPN_ADSB,
    FEED_JPN_RADAR_MIYAKO,
    FEED_JPN_P1_RADAR,
    FEED_USA_MQ9_GMTI,
    FEED_AUS_P8_TRACKS,
    FEED_KOR_TRACKS,
    FEED_USA_TPY2_SHARIKI,
    FEED_USA_TPY2_KYOGAMISAKI,
    FEED_JPN_FPS5,
    FEED_JPN_AEGIS,
    FEED_KOR_GREENPINE,
];

/// The demo's feed table: names, formats, operating nations and default labels.
///
/// Releasability: PHL sees only the AIS and ADS-B feeds; KOR also its own track feed and
/// the missile-defence radars; AUS also the Miyako radar and its own P-8 feed; JPN and USA
/// see everything. The missile-defence radars (SECRET, each owner's REL JPN/USA/KOR) are
/// pinned to their sites.
pub fn demo_feeds() -> Vec<FeedConfig> {
    use Nation::*;
    let md = |name: &str, nation: Nation| {
        let r = crate::missile_feeds::radar_of(name);
        FeedConfig {
            name: name.to_string(),
            format: FeedFormat::Plots3d {
                site: r.as_ref().map(|r| SitePin {
                    lat_deg: r.lat_deg,
                    lon_deg: r.lon_deg,
                    alt_m: r.alt_m,
                }),
            },
            nation,
            default_label: Label::rel_to(Classification::Secret, nation, &[JPN, USA, KOR]),
            trusted_markings: false,
            cot_kind: ObservationKind::Plot,
            description: r.map(|r| r.description.to_string()).unwrap_or_default(),
            limits: Default::default(),
        }
    };
    let f = |name: &str, format, nation, label, cot_kind, description: &str| FeedConfig {
        name: name.to_string(),
        format,
        nation,
        default_label: label,
        trusted_markings: false,
        cot_kind,
        description: description.to_string(),
        limits: Default::default(),
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
            FeedFormat::Stanag4607 { udp: false },
            USA,
            Label::rel_to(Classification::Secret, USA, &[JPN]),
            ObservationKind::Plot,
            "USAF MQ-9 out of Kanoya, STANAG 4607 GMTI dwells over the northern East China Sea / Tokara Strait from ~7.6 km, 10 s revisit of four 90° dwells",
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
        md(FEED_USA_TPY2_SHARIKI, USA),
        md(FEED_USA_TPY2_KYOGAMISAKI, USA),
        md(FEED_JPN_FPS5, JPN),
        md(FEED_JPN_AEGIS, JPN),
        md(FEED_KOR_GREENPINE, KOR),
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
    /// A STANAG 4607 packet: its header and segments.
    Stanag4607 {
        header: PacketHeader,
        segments: Vec<Segment>,
    },
    /// A missile-defence radar plot: one `plots3d` line without its terminator.
    Plots3d(String),
}

impl Record {
    /// The complete wire bytes with terminators: AIS sentences each ending `\r\n` (tag
    /// block `s:<receiver>,c:<unix seconds>` on the first), an SBS line ending `\r\n`,
    /// one CoT `<event>` followed by `\n`, one STANAG 4607 packet, or a `plots3d` line
    /// ending `\n`.
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
            Record::Stanag4607 { header, segments } => {
                b = s4607::encode_packet(header, segments);
            }
            Record::Plots3d(line) => {
                b.extend_from_slice(line.as_bytes());
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
    /// Electronically steered dwells (GMTI): each period (a revisit) is `n` dwells, one
    /// after the other, each over a sector of 360°/n.
    Dwell(u32),
}

/// The output of a plot radar: a CoT event per plot, or a STANAG 4607 packet per dwell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum PlotOutput {
    Cot,
    Stanag4607,
}

/// One detection (or false alarm) of a scan, before encoding.
struct Det {
    t: i64,
    truth: Option<u32>,
    lat: f64,
    lon: f64,
    /// Horizontal range from the sensor, metres.
    range: f64,
    air: bool,
    /// A vehicle on land (reported as a wheeled vehicle, not a ship).
    ground: bool,
    /// GMTI: measured line-of-sight velocity, ground referenced, m/s (positive away).
    radial_mps: f64,
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
    output: PlotOutput,
    /// GMTI: one-sigma radial velocity error, m/s.
    sigma_radial_mps: f64,
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
            output: PlotOutput::Cot,
            sigma_radial_mps: 0.0,
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
            output: PlotOutput::Cot,
            sigma_radial_mps: 0.0,
            min_speed_mps: 0.0,
            air_pd: None,
            counter: 0,
            marking: marking_of(FEED_JPN_P1_RADAR),
            rng,
        }
    }

    /// A second P-1 sortie's radar (the demo script's, over the Senkakus), on the P-1
    /// feed with plot ids of its own, mounted on world object `platform`.
    pub(crate) fn p1_sortie(rng: SimRng, start_ms: i64, platform: usize) -> Self {
        PlotRadar {
            uid_prefix: "JPN-P1-2",
            mount: Mount::Platform(platform),
            ..Self::p1(rng, start_ms)
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
            // A 10 s revisit of four 2.5 s dwells, each over a quarter of the field.
            period_ms: 10_000,
            epoch_ms: start_ms + 5_000,
            mode: ScanMode::Dwell(4),
            output: PlotOutput::Stanag4607,
            sigma_radial_mps: 0.5,
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
        // Vehicles on land are GMTI's alone (a surface-search radar filters land out).
        if o.kind.domain() == Domain::Ground && self.output != PlotOutput::Stanag4607 {
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
        // Which azimuths (and at what times) the beam covers in (t0, t1]; for dwells,
        // which dwell of which revisit.
        let period = self.period_ms as f64;
        let (az0, sweep, dwell) = match self.mode {
            ScanMode::Rotating => {
                let az0 = ((t0 - self.epoch_ms).rem_euclid(self.period_ms)) as f64 / period * 360.0;
                let sweep = ((t1 - t0) as f64 / period * 360.0).min(360.0);
                (az0, sweep, None)
            }
            ScanMode::Dwell(n) => {
                // Dwell k at epoch + k·period/n, over sector k mod n (at most one per
                // step: steps are shorter than a dwell).
                let n = i64::from(n.max(1));
                let each = (self.period_ms / n).max(1);
                let k = (t1 - self.epoch_ms).div_euclid(each);
                let t = self.epoch_ms + k * each;
                if t <= t0 || t > t1 {
                    return;
                }
                let j = k.rem_euclid(n);
                let sweep = 360.0 / n as f64;
                (j as f64 * sweep, sweep, Some((t, k.div_euclid(n), j, n)))
            }
        };
        let time_at = |off_deg: f64| -> i64 {
            match dwell {
                Some((t, ..)) => t,
                None => (t0 + (off_deg / 360.0 * period).ceil() as i64).clamp(t0 + 1, t1),
            }
        };
        let in_sector = |az: f64| -> Option<f64> {
            let off = (az - az0).rem_euclid(360.0);
            let inside = if dwell.is_some() {
                off < sweep
            } else {
                off > 0.0 && off <= sweep
            };
            (sweep >= 360.0 || inside).then_some(off)
        };
        let gmti = self.output == PlotOutput::Stanag4607;
        let site = biac_geo::SiteFrame::new((rlat, rlon, rh));
        let mut dets: Vec<Det> = Vec::new();
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
            // GMTI: the object's velocity along the line of sight from the antenna.
            let radial_mps = if gmti {
                let (e, n, u) = site.enu(biac_geo::geodetic_to_ecef(lat, lon, 0.0));
                let (sc, cc) = o.course_deg.to_radians().sin_cos();
                let los = (e * e + n * n + u * u).sqrt().max(1.0);
                o.speed_mps * (sc * e + cc * n) / los + gauss(&mut self.rng, self.sigma_radial_mps)
            } else {
                0.0
            };
            dets.push(Det {
                t,
                truth: Some(o.id),
                lat: mlat,
                lon: mlon,
                range: rm,
                air: o.is_air(),
                ground: o.kind.domain() == Domain::Ground,
                radial_mps,
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
            // A GMTI false alarm still passed the Doppler filter: beyond the MDV.
            let radial_mps = if gmti {
                uniform(&mut self.rng, self.min_speed_mps, 15.0)
                    * if self.rng.random_bool(0.5) { 1.0 } else { -1.0 }
            } else {
                0.0
            };
            dets.push(Det {
                t: time_at(off),
                truth: None,
                lat,
                lon,
                range: r,
                air: false,
                ground: false,
                radial_mps,
            });
        }
        dets.sort_by_key(|d| d.t);
        match (self.output, dwell) {
            (PlotOutput::Stanag4607, Some((t, revisit, j, n))) => {
                let record = self.dwell_packet(w, t, revisit, j, n, az0, sweep, &dets);
                out.push(RecordEmission {
                    feed: self.feed,
                    time_ms: t,
                    // Per target, the truth travels in the reports' truth tags.
                    truth_id: None,
                    record,
                });
            }
            _ => {
                for d in dets {
                    let ev = self.plot(d.t, d.lat, d.lon, d.range, d.air);
                    out.push(RecordEmission {
                        feed: self.feed,
                        time_ms: d.t,
                        truth_id: d.truth,
                        record: Record::Cot(ev),
                    });
                }
            }
        }
    }

    /// The STANAG 4607 packet of one dwell: a mission segment (every packet carries
    /// it, so a receiver that joins late, or hears UDP, can date the dwell), on the
    /// first dwell of a revisit the job definition with the radar's nominal accuracies,
    /// then the dwell with the platform's own position, velocity and navigation error,
    /// and per target its position, line-of-sight velocity, their errors and (this is
    /// a simulation) the truth tag naming the object, 0 for a false alarm.
    #[allow(clippy::too_many_arguments)]
    fn dwell_packet(
        &self,
        w: &World,
        t: i64,
        revisit: i64,
        j: i64,
        n: i64,
        az0: f64,
        sweep: f64,
        dets: &[Det],
    ) -> Record {
        const DAY_MS: i64 = 86_400_000;
        let (plat, plon, palt) = self.mount.position(w);
        let (course, speed) = match self.mount {
            Mount::Platform(i) => (w.objects[i].course_deg, w.objects[i].speed_mps),
            Mount::Fixed { .. } => (0.0, 0.0),
        };
        let midnight = t.div_euclid(DAY_MS) * DAY_MS;
        // Julian day 2440588 is 1970-01-01.
        let date = time::Date::from_julian_day((midnight / DAY_MS + 2_440_588) as i32)
            .map_or((1970, 1, 1), |d| {
                (d.year() as u16, u8::from(d.month()), d.day())
            });
        let header = PacketHeader {
            version: *b"41",
            nationality: *b"US",
            // P4: 2 = SECRET, under the US system.
            classification: 2,
            class_system: *b"US",
            // P7: 128 = exercise, real.
            exercise: 128,
            platform_id: s4607::chars("MQ9-KANOYA"),
            mission_id: 1,
            job_id: 1,
            ..PacketHeader::default()
        };
        let mut segments = vec![Segment::Mission(s4607::Mission {
            mission_plan: s4607::chars("BIAC-DEMO"),
            flight_plan: s4607::chars("KANOYA-ECS"),
            // M3: 36 = MQ-9 Reaper.
            platform_type: 36,
            platform_configuration: s4607::chars("LYNX-GMTI"),
            year: date.0,
            month: date.1,
            day: date.2,
        })];
        if j == 0 {
            segments.push(Segment::JobDefinition(s4607::JobDefinition {
                job_id: 1,
                // J2: 255 = other (a Lynx-class radar).
                sensor_id_type: 255,
                sensor_id_model: s4607::chars("LYNX"),
                target_filtering: 0,
                priority: 1,
                bounding_area: [0.0, 90.0, 180.0, 270.0].map(|b| {
                    let (lat, lon) = destination(plat, plon, b + 45.0, self.range_m * 1.4);
                    s4607::Point::from_deg(lat, lon)
                }),
                radar_mode: 0,
                revisit_interval_ds: (self.period_ms / 100) as u16,
                along_track_uncertainty_m: 5,
                cross_track_uncertainty_m: 5,
                altitude_uncertainty_m: 10,
                track_heading_uncertainty_deg: 1,
                speed_uncertainty_mm_s: 500,
                slant_range_sd_cm: (self.sigma_range_m * 100.0) as u16,
                cross_range_sd: s4607::deg_ba16(self.sigma_az_deg),
                radial_velocity_sd_cm_s: (self.sigma_radial_mps * 100.0) as u16,
                mdv_dm_s: (self.min_speed_mps * 10.0).round() as u8,
                detection_probability_pct: (self.pd * 100.0) as u8,
                false_alarm_density: 255,
                terrain_model: 0,
                geoid_model: 0,
            }));
        }
        let (clat, clon) = destination(plat, plon, az0 + sweep / 2.0, self.range_m / 2.0);
        let targets = dets
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let p = s4607::Point::from_deg(d.lat, d.lon);
                s4607::TargetReport {
                    report_index: Some(i as u16),
                    lat: Some(p.lat),
                    lon: Some(p.lon),
                    radial_velocity_cm_s: Some(
                        (d.radial_mps * 100.0).round().clamp(-32_768.0, 32_767.0) as i16,
                    ),
                    // D32.10: 2 = wheeled vehicle, 6 = maritime; live targets.
                    classification: Some(if d.ground { 2 } else { 6 }),
                    slant_range_uncertainty_cm: Some((self.sigma_range_m * 100.0) as u16),
                    cross_range_uncertainty_dm: Some(
                        (d.range * self.sigma_az_deg.to_radians() * 10.0)
                            .round()
                            .clamp(1.0, 65_534.0) as u16,
                    ),
                    radial_velocity_uncertainty_cm_s: Some((self.sigma_radial_mps * 100.0) as u16),
                    truth_tag_application: Some(1),
                    truth_tag_entity: Some(d.truth.unwrap_or(0)),
                    ..s4607::TargetReport::default()
                }
            })
            .collect();
        let mut dwell = s4607::Dwell {
            revisit_index: (revisit as u64 % 65_536) as u16,
            dwell_index: j as u16,
            last_dwell: u8::from(j == n - 1),
            dwell_time_ms: (t - midnight) as u32,
            sensor_lat: s4607::deg_sa32(plat),
            sensor_lon: s4607::deg_ba32(plon),
            sensor_alt_cm: (palt * 100.0).round() as i32,
            sensor_along_track_uncertainty_cm: Some(500),
            sensor_cross_track_uncertainty_cm: Some(500),
            sensor_altitude_uncertainty_cm: Some(1_000),
            sensor_track: Some(s4607::deg_ba16(course)),
            sensor_speed_mm_s: Some((speed * 1000.0).round() as u32),
            sensor_vertical_velocity_dm_s: Some(0),
            center_lat: s4607::deg_sa32(clat),
            center_lon: s4607::deg_ba32(clon),
            // D26: km × 128; D27: BA16.
            range_half_extent: (self.range_m / 2.0 / 1000.0 * 128.0).round() as u16,
            angle_half_extent: s4607::deg_ba16(sweep / 2.0),
            targets,
            ..s4607::Dwell::default()
        };
        dwell.fit_mask();
        segments.push(Segment::Dwell(dwell));
        Record::Stanag4607 { header, segments }
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
        // The track feeds are maritime pictures.
        if o.is_air() || o.kind.domain() == Domain::Ground {
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
