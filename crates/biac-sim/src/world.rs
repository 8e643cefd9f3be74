//! The objects of the scenario, their routes and their motion.
//!
//! Motion is integrated on the WGS84 ellipsoid: each sub-step an object turns towards its
//! desired course at a bounded rate, changes speed and altitude at bounded rates, then
//! moves along the geodesic of its course (`biac_geo::direct`).

use std::collections::BTreeSet;

use biac_formats::ais::{PositionReport, StaticVoyage};
use biac_formats::sbs::SbsMsg;
use biac_geo::{
    angle_diff, bearing_deg, destination, direct, distance_m, distance_within, FOOT, KNOT,
};
use biac_model::Domain;
use rand::Rng;
use serde::Serialize;

use crate::ident::{self, MERCHANT_FLAGS};
use crate::rnd::{gauss, uniform, weighted, SimRng};
use crate::SimConfig;

/// The area objects live in; anything leaving it is replaced (degrees).
pub const AREA_LAT: (f64, f64) = (19.5, 34.5);
pub const AREA_LON: (f64, f64) = (117.0, 133.5);

/// What an object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Merchant,
    Fishing,
    Naval,
    Airliner,
    MilitaryAircraft,
    /// A vehicle on a road (`ground`): seen by GMTI only.
    GroundVehicle,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Merchant => "merchant",
            ObjectKind::Fishing => "fishing",
            ObjectKind::Naval => "naval",
            ObjectKind::Airliner => "airliner",
            ObjectKind::MilitaryAircraft => "military_aircraft",
            ObjectKind::GroundVehicle => "ground_vehicle",
        }
    }
    pub fn domain(self) -> Domain {
        match self {
            ObjectKind::Merchant | ObjectKind::Fishing | ObjectKind::Naval => Domain::Surface,
            ObjectKind::Airliner | ObjectKind::MilitaryAircraft => Domain::Air,
            ObjectKind::GroundVehicle => Domain::Ground,
        }
    }
}

/// Which AIS transponder a vessel carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AisClass {
    None,
    A,
    B,
}

#[derive(Clone, Debug)]
pub(crate) struct ShipStatic {
    pub imo: u32,
    pub shiptype: u8,
    pub to_bow: u16,
    pub to_stern: u16,
    pub to_port: u8,
    pub to_starboard: u8,
    pub destination: String,
    pub draught_dm: u8,
}

type LatLon = (f64, f64);

#[derive(Clone, Debug)]
pub(crate) enum Behaviour {
    /// Follow waypoints; at the end loop back to `loop_from` or finish (and be replaced).
    Route {
        wps: Vec<LatLon>,
        next: usize,
        loop_from: Option<usize>,
        accept_m: f64,
        /// Airports at the route's ends (airliners climb from / descend to them).
        origin_airport: Option<LatLon>,
        dest_airport: Option<LatLon>,
    },
    /// A fixed timeline from `start_ms` (the demo's scripted vessels, `script.rs`):
    /// moved without drawing on the world's random stream.
    Scripted {
        start_ms: i64,
        timeline: crate::script::Timeline,
    },
    /// Random walk inside a circle (fishing).
    Loiter {
        center: LatLon,
        radius_m: f64,
        next_change_ms: i64,
        want_course: f64,
        want_speed: f64,
    },
}

/// One simulated object.
#[derive(Clone, Debug)]
pub(crate) struct Object {
    pub id: u32,
    pub kind: ObjectKind,
    /// Ground-truth CoT type (`a-n-S`, `a-h-S`, `a-f-A`, ...).
    pub cot_type: &'static str,
    pub name: String,
    pub callsign: String,
    /// Flag state or operating nation (trigraph).
    pub nation: &'static str,
    pub mmsi: Option<u32>,
    pub icao: Option<u32>,
    pub ais: AisClass,
    pub adsb: bool,
    pub ship: Option<ShipStatic>,
    pub lat: f64,
    pub lon: f64,
    pub alt_m: f64,
    pub speed_mps: f64,
    pub course_deg: f64,
    pub vrate_mps: f64,
    pub cruise_mps: f64,
    pub cruise_alt_m: f64,
    pub turn_rate_dps: f64,
    pub accel_mps2: f64,
    /// Antenna/superstructure height for surface targets (radar and radio horizon), metres.
    pub mast_m: f64,
    pub nav_status: u8,
    pub behaviour: Behaviour,
    /// A sensor platform: never replaced.
    pub platform: bool,
    pub next_pos_ms: i64,
    pub next_static_ms: i64,
    pub next_vel_ms: i64,
    pub next_ident_ms: i64,
}

impl Object {
    pub fn is_air(&self) -> bool {
        self.kind.domain() == Domain::Air
    }
    /// Height used for line-of-sight computations.
    pub fn los_height_m(&self) -> f64 {
        if self.is_air() {
            self.alt_m
        } else {
            self.mast_m
        }
    }
    /// Position at `t` (shortly before `now`), extrapolated back along the current course.
    pub fn position_at(&self, t: i64, now: i64) -> (f64, f64, f64) {
        let back_s = (now - t) as f64 / 1000.0;
        if back_s <= 0.0 {
            return (self.lat, self.lon, self.alt_m);
        }
        let (lat, lon) = destination(
            self.lat,
            self.lon,
            self.course_deg + 180.0,
            self.speed_mps * back_s,
        );
        (lat, lon, (self.alt_m - self.vrate_mps * back_s).max(0.0))
    }
}

/// A cooperative transmission made during a sub-step.
pub(crate) struct Tx {
    pub obj_id: u32,
    pub time_ms: i64,
    /// True position at transmission time (for reception geometry).
    pub lat: f64,
    pub lon: f64,
    pub los_h: f64,
    pub msg: TxMsg,
}

pub(crate) enum TxMsg {
    AisPosition {
        report: PositionReport,
        /// Nominal reporting interval (s), for satellite detection probability.
        interval_s: f64,
    },
    AisStatic(StaticVoyage),
    Adsb(SbsMsg),
}

// ---------------------------------------------------------------------------------------
// Routes

struct Lane {
    wps: &'static [LatLon],
    ends: (&'static str, &'static str),
    weight: f64,
    /// Japanese domestic service (ferries, RORO): Japanese flag, ferry speeds.
    domestic: bool,
}

/// Merchant sea lanes (waypoints checked against the islands they pass).
const LANES: &[Lane] = &[
    // Shanghai - Luzon Strait, east of Taiwan and west of the Sakishima islands.
    Lane {
        wps: &[
            (31.0, 122.9),
            (29.5, 123.2),
            (27.5, 123.0),
            (25.4, 122.8),
            (24.0, 122.3),
            (22.5, 121.9),
            (20.0, 121.35),
        ],
        ends: ("CNSHA", "PHMNL"),
        weight: 0.14,
        domestic: false,
    },
    // Shanghai - Taiwan Strait - Hong Kong / South China Sea.
    Lane {
        wps: &[
            (31.0, 122.6),
            (29.0, 122.6),
            (27.0, 121.2),
            (25.6, 120.5),
            (24.4, 119.6),
            (22.8, 118.7),
            (21.0, 117.8),
        ],
        ends: ("CNSHA", "HKHKG"),
        weight: 0.14,
        domestic: false,
    },
    // Ningbo - Miyako Strait - Pacific (Australia).
    Lane {
        wps: &[
            (29.9, 122.8),
            (28.2, 124.3),
            (26.3, 125.8),
            (25.6, 126.25),
            (24.6, 127.3),
            (22.5, 129.5),
            (20.0, 131.6),
        ],
        ends: ("CNNGB", "AUNTL"),
        weight: 0.10,
        domestic: false,
    },
    // Kyushu (west of Goto) - along the Nansei chain - Keelung.
    Lane {
        wps: &[
            (33.4, 128.6),
            (32.5, 128.2),
            (30.0, 127.0),
            (28.0, 126.3),
            (26.6, 125.4),
            (26.0, 123.0),
            (25.25, 121.85),
        ],
        ends: ("JPMOJ", "TWKEL"),
        weight: 0.08,
        domestic: false,
    },
    // Hong Kong - Bashi Channel - east of Taiwan - north of the Senkakus - Osumi Strait.
    Lane {
        wps: &[
            (21.0, 119.5),
            (21.5, 121.2),
            (23.5, 122.4),
            (25.2, 122.8),
            (26.2, 123.3),
            (27.5, 125.5),
            (29.6, 128.9),
            (31.0, 129.9),
            (30.87, 130.5),
            (30.93, 130.8),
            (30.95, 131.3),
            (31.2, 133.2),
        ],
        ends: ("HKHKG", "JPUKB"),
        weight: 0.14,
        domestic: false,
    },
    // Busan - south of Jeju - Taiwan Strait - Hong Kong.
    Lane {
        wps: &[
            (33.5, 128.5),
            (32.9, 126.8),
            (30.5, 124.5),
            (27.5, 122.0),
            (25.7, 120.5),
            (24.4, 119.6),
            (22.8, 118.7),
            (21.0, 117.8),
        ],
        ends: ("KRPUS", "HKHKG"),
        weight: 0.10,
        domestic: false,
    },
    // Shanghai - Osumi Strait - Tokyo Bay.
    Lane {
        wps: &[
            (31.0, 122.9),
            (31.0, 126.0),
            (31.0, 129.9),
            (30.87, 130.5),
            (30.93, 130.8),
            (30.95, 131.3),
            (31.2, 133.2),
        ],
        ends: ("CNSHA", "JPTYO"),
        weight: 0.10,
        domestic: false,
    },
    // Qingdao/Tianjin - Taiwan Strait - South China Sea.
    Lane {
        wps: &[
            (34.3, 123.5),
            (30.5, 123.3),
            (28.0, 121.9),
            (25.7, 120.5),
            (24.4, 119.6),
            (22.8, 118.7),
            (21.0, 117.8),
        ],
        ends: ("CNTAO", "SGSIN"),
        weight: 0.06,
        domestic: false,
    },
    // Busan - between Taiwan and Yonaguni - Luzon Strait.
    Lane {
        wps: &[
            (33.5, 128.5),
            (32.9, 126.8),
            (30.0, 125.0),
            (27.5, 123.8),
            (25.2, 122.8),
            (23.5, 122.4),
            (21.5, 121.2),
            (20.0, 120.9),
        ],
        ends: ("KRPUS", "SGSIN"),
        weight: 0.07,
        domestic: false,
    },
    // Shanghai - Miyako Strait - Guam.
    Lane {
        wps: &[
            (31.0, 122.9),
            (28.5, 124.7),
            (26.3, 125.8),
            (25.6, 126.25),
            (25.0, 127.5),
            (23.8, 131.0),
            (23.5, 133.2),
        ],
        ends: ("CNSHA", "GUAPR"),
        weight: 0.07,
        domestic: false,
    },
    // Kagoshima - Amami - Naha ferries and coastal RORO along the Nansei chain.
    Lane {
        wps: &[
            (31.1, 130.68),
            (30.6, 130.25),
            (30.1, 129.35),
            (29.0, 129.1),
            (28.45, 129.4),
            (27.9, 128.75),
            (27.45, 128.45),
            (27.1, 128.25),
            (26.75, 127.8),
            (26.5, 127.62),
            (26.25, 127.6),
        ],
        ends: ("JPKOJ", "JPNAH"),
        weight: 0.06,
        domestic: true,
    },
    // Naha - Miyako (Hirara) - Ishigaki coastal service.
    Lane {
        wps: &[
            (26.25, 127.6),
            (25.6, 126.5),
            (24.97, 125.15),
            (24.3, 124.4),
            (24.31, 124.17),
        ],
        ends: ("JPNAH", "JPISG"),
        weight: 0.06,
        domestic: true,
    },
];

/// Ship class: (AIS type, length range m, beam range m, draught range dm, speed range kn,
/// share of the fleet).
type ShipClass = (u8, (u16, u16), (u8, u8), (u8, u8), (f64, f64), f64);

struct Airway {
    wps: &'static [LatLon],
    /// Whether the first / last waypoint is an airport (else the area edge).
    airports: (bool, bool),
    airlines: &'static [&'static str],
    weight: f64,
}

const PVG: LatLon = (31.14, 121.81);
const TPE: LatLon = (25.08, 121.23);
const OKA: LatLon = (26.20, 127.65);

const AIRWAYS: &[Airway] = &[
    Airway {
        wps: &[PVG, (29.0, 124.0), (27.2, 126.4), OKA],
        airports: (true, true),
        airlines: &["CES", "ANA", "JAL", "CSN"],
        weight: 0.08,
    },
    Airway {
        wps: &[PVG, (29.0, 122.3), (26.5, 121.9), TPE],
        airports: (true, true),
        airlines: &["CES", "CAL", "EVA", "CCA"],
        weight: 0.12,
    },
    Airway {
        wps: &[
            TPE,
            (25.6, 122.8),
            (26.8, 125.2),
            (28.5, 128.0),
            (30.6, 131.0),
            (31.6, 133.3),
        ],
        airports: (true, false),
        airlines: &["CAL", "EVA", "JAL", "ANA", "SJX", "APJ"],
        weight: 0.16,
    },
    Airway {
        wps: &[
            (19.6, 121.8),
            (22.5, 123.0),
            (25.0, 125.0),
            (27.5, 128.0),
            (30.5, 131.5),
            (31.5, 133.3),
        ],
        airports: (false, false),
        airlines: &["PAL", "JAL", "ANA", "CEB"],
        weight: 0.12,
    },
    Airway {
        wps: &[
            (19.6, 120.8),
            (22.5, 121.6),
            (25.5, 122.6),
            (29.5, 124.5),
            (32.0, 125.8),
            (34.4, 126.6),
        ],
        airports: (false, false),
        airlines: &["PAL", "KAL", "AAR", "CEB", "JJA"],
        weight: 0.12,
    },
    Airway {
        wps: &[
            (21.5, 117.1),
            (22.7, 120.3),
            (24.0, 122.5),
            (26.5, 126.5),
            (29.5, 130.0),
            (31.5, 133.3),
        ],
        airports: (false, false),
        airlines: &["CPA", "ANA", "JAL", "UAL", "FDX"],
        weight: 0.14,
    },
    Airway {
        wps: &[OKA, (28.5, 128.8), (31.5, 129.8), (34.4, 130.3)],
        airports: (true, false),
        airlines: &["ANA", "JAL", "APJ", "JTA"],
        weight: 0.08,
    },
    Airway {
        wps: &[
            TPE,
            (27.0, 122.5),
            (30.5, 124.3),
            (33.0, 125.8),
            (34.4, 126.5),
        ],
        airports: (true, false),
        airlines: &["CAL", "EVA", "KAL", "AAR"],
        weight: 0.08,
    },
    Airway {
        wps: &[
            PVG,
            (31.4, 125.0),
            (32.0, 128.0),
            (32.8, 130.5),
            (33.4, 133.3),
        ],
        airports: (true, false),
        airlines: &["CES", "ANA", "JAL", "CCA", "CSN"],
        weight: 0.07,
    },
    Airway {
        wps: &[TPE, (25.4, 124.0), (26.0, 126.3), OKA],
        airports: (true, true),
        airlines: &["CAL", "EVA", "APJ", "JTA"],
        weight: 0.05,
    },
];

/// Fishing grounds: centre, radius (m), boats' nations with weights, share of the fleet.
struct Ground {
    center: LatLon,
    radius_m: f64,
    nations: &'static [(&'static str, f64)],
    share: f64,
}

const GROUNDS: &[Ground] = &[
    Ground {
        center: (28.8, 123.3),
        radius_m: 60_000.0,
        nations: &[("CHN", 0.9), ("TWN", 0.1)],
        share: 25.0,
    },
    Ground {
        center: (26.05, 124.0),
        radius_m: 30_000.0,
        nations: &[("CHN", 0.5), ("TWN", 0.4), ("JPN", 0.1)],
        share: 10.0,
    },
    Ground {
        center: (24.9, 122.4),
        radius_m: 25_000.0,
        nations: &[("TWN", 0.8), ("JPN", 0.2)],
        share: 10.0,
    },
    Ground {
        center: (26.5, 127.15),
        radius_m: 20_000.0,
        nations: &[("JPN", 1.0)],
        share: 8.0,
    },
    Ground {
        center: (25.0, 125.05),
        radius_m: 15_000.0,
        nations: &[("JPN", 1.0)],
        share: 7.0,
    },
    Ground {
        center: (32.55, 126.2),
        radius_m: 45_000.0,
        nations: &[("KOR", 0.6), ("CHN", 0.4)],
        share: 12.0,
    },
    Ground {
        center: (30.5, 125.0),
        radius_m: 60_000.0,
        nations: &[("CHN", 1.0)],
        share: 8.0,
    },
];

/// A looping patrol: name, callsign, nation, truth type, waypoints, speed (kn), altitude (m).
struct Patrol {
    name: &'static str,
    nation: &'static str,
    cot_type: &'static str,
    wps: &'static [LatLon],
    speed_kn: f64,
    alt_m: f64,
    /// Metres behind the leader on the same loop (formations).
    trail_m: f64,
}

const SAG1: &[LatLon] = &[
    (28.0, 124.2),
    (26.3, 125.7),
    (25.55, 126.3),
    (24.3, 127.3),
    (23.5, 128.5),
    (24.6, 126.6),
    (25.65, 126.15),
    (27.0, 124.8),
];
const SAG2: &[LatLon] = &[
    (23.8, 122.6),
    (22.6, 122.8),
    (22.3, 124.0),
    (23.3, 124.6),
    (24.0, 123.8),
];
const SENKAKU_RING: &[LatLon] = &[
    (26.15, 123.5),
    (26.03, 123.92),
    (25.75, 124.1),
    (25.47, 123.92),
    (25.35, 123.5),
    (25.47, 123.08),
    (25.75, 122.9),
    (26.03, 123.08),
];
const MIYAKO_PATROL: &[LatLon] = &[(25.9, 125.8), (25.3, 126.7), (24.95, 126.2), (25.5, 125.45)];
const SAKISHIMA_PATROL: &[LatLon] = &[(25.2, 123.8), (24.75, 123.2), (24.7, 124.2), (25.0, 125.0)];
const TAIWAN_STRAIT: &[LatLon] = &[
    (26.0, 120.8),
    (24.4, 119.8),
    (22.9, 119.0),
    (21.6, 119.5),
    (22.9, 119.1),
    (24.4, 119.85),
];
const EAST_OKINAWA: &[LatLon] = &[(25.5, 128.5), (27.5, 129.5), (27.0, 130.8), (25.0, 129.5)];

const NAVAL: &[Patrol] = &[
    Patrol {
        name: "PLAN NANCHANG 101",
        nation: "CHN",
        cot_type: "a-h-S",
        wps: SAG1,
        speed_kn: 16.0,
        alt_m: 0.0,
        trail_m: 0.0,
    },
    Patrol {
        name: "PLAN XIAMEN 154",
        nation: "CHN",
        cot_type: "a-h-S",
        wps: SAG1,
        speed_kn: 16.0,
        alt_m: 0.0,
        trail_m: 2_000.0,
    },
    Patrol {
        name: "PLAN RIZHAO 598",
        nation: "CHN",
        cot_type: "a-h-S",
        wps: SAG1,
        speed_kn: 16.0,
        alt_m: 0.0,
        trail_m: 4_000.0,
    },
    Patrol {
        name: "PLAN LHASA 102",
        nation: "CHN",
        cot_type: "a-h-S",
        wps: SAG2,
        speed_kn: 14.0,
        alt_m: 0.0,
        trail_m: 0.0,
    },
    Patrol {
        name: "PLAN HUAINAN 123",
        nation: "CHN",
        cot_type: "a-h-S",
        wps: SAG2,
        speed_kn: 14.0,
        alt_m: 0.0,
        trail_m: 2_500.0,
    },
    Patrol {
        name: "PLAN LUOYANG 527",
        nation: "CHN",
        cot_type: "a-h-S",
        wps: SAG2,
        speed_kn: 14.0,
        alt_m: 0.0,
        trail_m: 5_000.0,
    },
    Patrol {
        name: "HAIJING 2301",
        nation: "CHN",
        cot_type: "a-s-S",
        wps: SENKAKU_RING,
        speed_kn: 10.0,
        alt_m: 0.0,
        trail_m: 0.0,
    },
    Patrol {
        name: "HAIJING 2502",
        nation: "CHN",
        cot_type: "a-s-S",
        wps: SENKAKU_RING,
        speed_kn: 10.0,
        alt_m: 0.0,
        trail_m: 30_000.0,
    },
    Patrol {
        name: "HAIJING 1303",
        nation: "CHN",
        cot_type: "a-s-S",
        wps: SENKAKU_RING,
        speed_kn: 10.0,
        alt_m: 0.0,
        trail_m: 60_000.0,
    },
    Patrol {
        name: "JS MAYA DDG-179",
        nation: "JPN",
        cot_type: "a-f-S",
        wps: MIYAKO_PATROL,
        speed_kn: 12.0,
        alt_m: 0.0,
        trail_m: 0.0,
    },
    Patrol {
        name: "JS SUZUNAMI DD-114",
        nation: "JPN",
        cot_type: "a-f-S",
        wps: MIYAKO_PATROL,
        speed_kn: 12.0,
        alt_m: 0.0,
        trail_m: 80_000.0,
    },
    Patrol {
        name: "JS NOSHIRO FFM-3",
        nation: "JPN",
        cot_type: "a-f-S",
        wps: SAKISHIMA_PATROL,
        speed_kn: 12.0,
        alt_m: 0.0,
        trail_m: 0.0,
    },
    Patrol {
        name: "JS AKEBONO DD-108",
        nation: "JPN",
        cot_type: "a-f-S",
        wps: SAKISHIMA_PATROL,
        speed_kn: 12.0,
        alt_m: 0.0,
        trail_m: 100_000.0,
    },
    Patrol {
        name: "USS MILIUS DDG-69",
        nation: "USA",
        cot_type: "a-f-S",
        wps: TAIWAN_STRAIT,
        speed_kn: 15.0,
        alt_m: 0.0,
        trail_m: 0.0,
    },
    Patrol {
        name: "USS HIGGINS DDG-76",
        nation: "USA",
        cot_type: "a-f-S",
        wps: EAST_OKINAWA,
        speed_kn: 15.0,
        alt_m: 0.0,
        trail_m: 0.0,
    },
];

const MIYAKO_GAP_RUN: &[LatLon] = &[
    (28.8, 123.0),
    (26.5, 125.4),
    (25.6, 126.2),
    (24.0, 127.6),
    (23.0, 128.8),
    (24.2, 127.0),
    (25.55, 126.05),
    (27.0, 124.3),
];

/// The three moving sensor platforms, in slots 0, 1, 2.
pub(crate) const PLATFORM_P1: usize = 0;
pub(crate) const PLATFORM_MQ9: usize = 1;
pub(crate) const PLATFORM_P8: usize = 2;

const PLATFORMS: &[Patrol] = &[
    // JMSDF P-1 racetrack west of Okinawa, surface search altitude.
    Patrol {
        name: "JMSDF P-1 5512",
        nation: "JPN",
        cot_type: "a-f-A",
        wps: &[
            (27.25, 126.1),
            (27.25, 126.5),
            (25.95, 126.5),
            (25.95, 126.1),
        ],
        speed_kn: 210.0,
        alt_m: 1_500.0,
        trail_m: 0.0,
    },
    // USAF MQ-9 from Kanoya, GMTI orbit over the northern East China Sea / Tokara Strait.
    Patrol {
        name: "USAF MQ-9A",
        nation: "USA",
        cot_type: "a-f-A",
        wps: &[(30.5, 128.3), (30.5, 129.5), (29.9, 129.5), (29.9, 128.3)],
        speed_kn: 170.0,
        alt_m: 7_600.0,
        trail_m: 0.0,
    },
    // RAAF P-8A east of Taiwan / south of Yonaguni.
    Patrol {
        name: "RAAF P-8A A47-007",
        nation: "AUS",
        cot_type: "a-f-A",
        wps: &[(23.8, 122.6), (23.8, 123.6), (22.9, 123.6), (22.9, 122.6)],
        speed_kn: 300.0,
        alt_m: 3_000.0,
        trail_m: 0.0,
    },
];

const MILITARY_AIR: &[Patrol] = &[
    Patrol {
        name: "PLAAF H-6K 1",
        nation: "CHN",
        cot_type: "a-h-A",
        wps: MIYAKO_GAP_RUN,
        speed_kn: 400.0,
        alt_m: 7_500.0,
        trail_m: 0.0,
    },
    Patrol {
        name: "PLAAF H-6K 2",
        nation: "CHN",
        cot_type: "a-h-A",
        wps: MIYAKO_GAP_RUN,
        speed_kn: 400.0,
        alt_m: 7_500.0,
        trail_m: 6_000.0,
    },
    Patrol {
        name: "PLAAF J-16 1",
        nation: "CHN",
        cot_type: "a-h-A",
        wps: MIYAKO_GAP_RUN,
        speed_kn: 400.0,
        alt_m: 8_500.0,
        trail_m: 3_000.0,
    },
    Patrol {
        name: "PLAAF J-16 2",
        nation: "CHN",
        cot_type: "a-h-A",
        wps: MIYAKO_GAP_RUN,
        speed_kn: 400.0,
        alt_m: 8_500.0,
        trail_m: 9_000.0,
    },
    Patrol {
        name: "PLAN Y-9JB",
        nation: "CHN",
        cot_type: "a-h-A",
        wps: &[(29.5, 124.0), (28.0, 125.0), (27.5, 124.3), (29.0, 123.3)],
        speed_kn: 290.0,
        alt_m: 6_000.0,
        trail_m: 0.0,
    },
    Patrol {
        name: "PLA TB-001",
        nation: "CHN",
        cot_type: "a-h-A",
        wps: &[(26.5, 121.9), (24.9, 122.5), (23.3, 122.6), (24.9, 122.45)],
        speed_kn: 150.0,
        alt_m: 5_500.0,
        trail_m: 0.0,
    },
    Patrol {
        name: "JASDF F-15J 1",
        nation: "JPN",
        cot_type: "a-f-A",
        wps: &[(25.6, 125.6), (25.9, 126.6), (25.3, 126.8), (25.0, 125.9)],
        speed_kn: 420.0,
        alt_m: 9_000.0,
        trail_m: 0.0,
    },
    Patrol {
        name: "JASDF F-15J 2",
        nation: "JPN",
        cot_type: "a-f-A",
        wps: &[(25.6, 125.6), (25.9, 126.6), (25.3, 126.8), (25.0, 125.9)],
        speed_kn: 420.0,
        alt_m: 9_300.0,
        trail_m: 4_000.0,
    },
    Patrol {
        name: "USAF RC-135V",
        nation: "USA",
        cot_type: "a-f-A",
        wps: &[(29.2, 125.2), (28.4, 126.6), (27.9, 126.2), (28.8, 124.8)],
        speed_kn: 400.0,
        alt_m: 10_500.0,
        trail_m: 0.0,
    },
    Patrol {
        name: "USAF KC-135R",
        nation: "USA",
        cot_type: "a-f-A",
        wps: &[(27.8, 129.5), (26.8, 130.8), (26.5, 130.3), (27.5, 129.0)],
        speed_kn: 420.0,
        alt_m: 8_000.0,
        trail_m: 0.0,
    },
    Patrol {
        name: "JASDF E-2C",
        nation: "JPN",
        cot_type: "a-f-A",
        wps: &[(26.2, 126.6), (25.6, 127.2), (25.4, 126.9), (26.0, 126.3)],
        speed_kn: 270.0,
        alt_m: 8_000.0,
        trail_m: 0.0,
    },
    Patrol {
        name: "ROKN P-3CK",
        nation: "KOR",
        cot_type: "a-f-A",
        wps: &[(32.6, 125.8), (32.0, 126.8), (31.8, 126.5), (32.4, 125.5)],
        speed_kn: 250.0,
        alt_m: 2_000.0,
        trail_m: 0.0,
    },
];

// ---------------------------------------------------------------------------------------

/// The world: every object, the world's random stream, identity bookkeeping.
pub(crate) struct World {
    pub objects: Vec<Object>,
    pub now_ms: i64,
    rng: SimRng,
    next_id: u32,
    used_mmsi: BTreeSet<u32>,
    used_icao: BTreeSet<u32>,
    used_names: BTreeSet<String>,
}

fn route_length(wps: &[LatLon], closed: bool) -> Vec<f64> {
    let mut legs: Vec<f64> = wps
        .windows(2)
        .map(|w| distance_m(w[0].0, w[0].1, w[1].0, w[1].1))
        .collect();
    if closed {
        let (a, b) = (wps[wps.len() - 1], wps[0]);
        legs.push(distance_m(a.0, a.1, b.0, b.1));
    }
    legs
}

/// The point `along_m` along a route: (lat, lon, course, index of the next waypoint).
pub(crate) fn point_along(wps: &[LatLon], closed: bool, along_m: f64) -> (f64, f64, f64, usize) {
    let legs = route_length(wps, closed);
    let total: f64 = legs.iter().sum();
    let mut d = if closed {
        along_m.rem_euclid(total)
    } else {
        along_m.clamp(0.0, total)
    };
    for (i, leg) in legs.iter().enumerate() {
        let a = wps[i];
        let b = wps[(i + 1) % wps.len()];
        if d <= *leg || i == legs.len() - 1 {
            let brg = bearing_deg(a.0, a.1, b.0, b.1);
            let (lat, lon) = destination(a.0, a.1, brg, d.min(*leg));
            let brg_next = bearing_deg(lat, lon, b.0, b.1);
            let course = if d.min(*leg) >= *leg - 1.0 {
                brg
            } else {
                brg_next
            };
            return (lat, lon, course, (i + 1) % wps.len());
        }
        d -= leg;
    }
    unreachable!("route has at least one leg")
}

impl World {
    pub fn new(cfg: &SimConfig, rng: SimRng) -> Self {
        let mut w = World {
            objects: Vec::new(),
            now_ms: cfg.start_ms,
            rng,
            next_id: 1,
            used_mmsi: BTreeSet::new(),
            used_icao: BTreeSet::new(),
            used_names: BTreeSet::new(),
        };
        for (i, p) in PLATFORMS.iter().enumerate() {
            let o = w.patrol(p, ObjectKind::MilitaryAircraft, 0.0, true);
            debug_assert_eq!(w.objects.len(), i);
            w.objects.push(o);
        }
        for i in 0..cfg.military_aircraft {
            let p = &MILITARY_AIR[i % MILITARY_AIR.len()];
            let extra = (i / MILITARY_AIR.len()) as f64 * 150_000.0;
            let o = w.patrol(p, ObjectKind::MilitaryAircraft, extra, false);
            w.objects.push(o);
        }
        for i in 0..cfg.naval {
            let p = &NAVAL[i % NAVAL.len()];
            let extra = (i / NAVAL.len()) as f64 * 120_000.0;
            let o = w.patrol(p, ObjectKind::Naval, extra, false);
            w.objects.push(o);
        }
        for _ in 0..cfg.merchants {
            let o = w.spawn(ObjectKind::Merchant, true);
            w.objects.push(o);
        }
        let shares: Vec<f64> = GROUNDS.iter().map(|g| g.share).collect();
        let total: f64 = shares.iter().sum();
        // Deterministic apportionment of boats to grounds (largest remainder would be
        // nicer; cumulative rounding keeps the total exact).
        let mut acc = 0.0;
        let mut placed = 0usize;
        for (gi, s) in shares.iter().enumerate() {
            acc += s;
            let upto = ((acc / total) * cfg.fishing as f64).round() as usize;
            while placed < upto {
                let o = w.fishing(gi);
                w.objects.push(o);
                placed += 1;
            }
        }
        for _ in 0..cfg.airliners {
            let o = w.spawn(ObjectKind::Airliner, true);
            w.objects.push(o);
        }
        // Last, and from no random stream: the objects before them are unchanged.
        w.objects.extend(crate::ground::vehicles());
        w
    }

    fn new_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn unique_mmsi(&mut self, mids: &[u32]) -> u32 {
        loop {
            let m = ident::mmsi(&mut self.rng, mids);
            if self.used_mmsi.insert(m) {
                return m;
            }
        }
    }

    fn unique_icao(&mut self, a: &ident::Airline) -> u32 {
        loop {
            let m = ident::icao_address(&mut self.rng, a);
            if self.used_icao.insert(m) {
                return m;
            }
        }
    }

    fn unique_name(&mut self, mut name: String) -> String {
        name.truncate(20); // AIS name field
        let base = name.clone();
        let mut n = 2;
        while !self.used_names.insert(name.clone()) {
            name = format!("{} {n}", &base[..base.len().min(17)]);
            n += 1;
        }
        name
    }

    fn blank(&mut self, kind: ObjectKind, cot_type: &'static str, nation: &'static str) -> Object {
        let id = self.new_id();
        Object {
            id,
            kind,
            cot_type,
            name: String::new(),
            callsign: String::new(),
            nation,
            mmsi: None,
            icao: None,
            ais: AisClass::None,
            adsb: false,
            ship: None,
            lat: 0.0,
            lon: 0.0,
            alt_m: 0.0,
            speed_mps: 0.0,
            course_deg: 0.0,
            vrate_mps: 0.0,
            cruise_mps: 0.0,
            cruise_alt_m: 0.0,
            turn_rate_dps: 1.0,
            accel_mps2: 0.05,
            mast_m: 20.0,
            nav_status: 0,
            behaviour: Behaviour::Loiter {
                center: (0.0, 0.0),
                radius_m: 0.0,
                next_change_ms: 0,
                want_course: 0.0,
                want_speed: 0.0,
            },
            platform: false,
            next_pos_ms: i64::MAX,
            next_static_ms: i64::MAX,
            next_vel_ms: i64::MAX,
            next_ident_ms: i64::MAX,
        }
    }

    /// A looping patrol object placed `trail_m + extra_m` behind a seeded starting point.
    fn patrol(&mut self, p: &Patrol, kind: ObjectKind, extra_m: f64, platform: bool) -> Object {
        let mut o = self.blank(kind, p.cot_type, p.nation);
        o.name = p.name.to_string();
        o.callsign = p.name.to_string();
        o.platform = platform;
        let legs = route_length(p.wps, true);
        let total: f64 = legs.iter().sum();
        // Formation members share the leader's starting point: derive it from the route,
        // not from the random stream, so that trail distances hold.
        let lead = (p.wps.len() as f64 * 7_919.0 + p.speed_kn * 13.0).rem_euclid(total);
        let (lat, lon, course, next) = point_along(p.wps, true, lead - p.trail_m - extra_m);
        o.lat = lat;
        o.lon = lon;
        o.course_deg = course;
        o.speed_mps = p.speed_kn * KNOT;
        o.cruise_mps = o.speed_mps;
        o.alt_m = p.alt_m;
        o.cruise_alt_m = p.alt_m;
        if kind.domain() == Domain::Air {
            o.turn_rate_dps = 3.0;
            o.accel_mps2 = 1.0;
            o.mast_m = 0.0;
        } else {
            o.turn_rate_dps = 1.0;
            o.accel_mps2 = 0.1;
            o.mast_m = 25.0;
        }
        let accept = if o.is_air() { 4_000.0 } else { 1_000.0 };
        o.behaviour = Behaviour::Route {
            wps: p.wps.to_vec(),
            next,
            loop_from: Some(0),
            accept_m: accept,
            origin_airport: None,
            dest_airport: None,
        };
        o
    }

    fn fishing(&mut self, gi: usize) -> Object {
        let g = &GROUNDS[gi];
        let nw: Vec<f64> = g.nations.iter().map(|n| n.1).collect();
        let nation = g.nations[weighted(&mut self.rng, &nw)].0;
        let mut o = self.blank(ObjectKind::Fishing, "a-n-S", nation);
        let raw = ident::fishing_name(&mut self.rng, nation);
        o.name = self.unique_name(raw);
        // Transponder fit by nation: (class A, class B); the rest carry none.
        let (pa, pb) = match nation {
            "CHN" => (0.15, 0.55),
            "TWN" => (0.25, 0.60),
            "KOR" => (0.40, 0.40),
            _ => (0.30, 0.50),
        };
        let x: f64 = self.rng.random();
        o.ais = if x < pa {
            AisClass::A
        } else if x < pa + pb {
            AisClass::B
        } else {
            AisClass::None
        };
        if o.ais != AisClass::None {
            let (mids, cs) = ident::fishing_mids(nation);
            o.mmsi = Some(self.unique_mmsi(mids));
            o.callsign = format!("{cs}{:04}", self.rng.random_range(1000..10000));
        }
        if o.ais == AisClass::A {
            let len = self.rng.random_range(30..60u16);
            o.ship = Some(ShipStatic {
                imo: 0,
                shiptype: 30,
                to_bow: len * 2 / 3,
                to_stern: len / 3,
                to_port: 4,
                to_starboard: 4,
                destination: String::new(),
                draught_dm: self.rng.random_range(30..60),
            });
        }
        o.nav_status = 7; // engaged in fishing
        o.mast_m = 6.0;
        o.turn_rate_dps = 3.0;
        o.accel_mps2 = 0.1;
        let r = g.radius_m * self.rng.random::<f64>().sqrt();
        let (lat, lon) = destination(
            g.center.0,
            g.center.1,
            uniform(&mut self.rng, 0.0, 360.0),
            r,
        );
        o.lat = lat;
        o.lon = lon;
        o.course_deg = uniform(&mut self.rng, 0.0, 360.0);
        o.speed_mps = uniform(&mut self.rng, 0.0, 6.0) * KNOT;
        o.behaviour = Behaviour::Loiter {
            center: g.center,
            radius_m: g.radius_m,
            next_change_ms: self.now_ms,
            want_course: o.course_deg,
            want_speed: o.speed_mps,
        };
        self.schedule_tx(&mut o, true);
        o
    }

    /// A merchant ship or airliner: `anywhere` places it at a random point of its route
    /// (the initial population), otherwise at the route's start (a replacement).
    fn spawn(&mut self, kind: ObjectKind, anywhere: bool) -> Object {
        match kind {
            ObjectKind::Merchant => self.merchant(anywhere),
            ObjectKind::Airliner => self.airliner(anywhere),
            _ => unreachable!("only merchants and airliners are replaced"),
        }
    }

    fn merchant(&mut self, anywhere: bool) -> Object {
        let w: Vec<f64> = LANES.iter().map(|l| l.weight).collect();
        let lane = &LANES[weighted(&mut self.rng, &w)];
        let forward = self.rng.random_bool(0.5);
        let mut wps = lane.wps.to_vec();
        let dest = if forward { lane.ends.1 } else { lane.ends.0 };
        if !forward {
            wps.reverse();
        }
        // Ships keep to the right of the lane: offset each route by a few km laterally.
        let lateral = uniform(&mut self.rng, 1_000.0, 6_000.0);
        let wps = offset_route(&wps, lateral);

        let flag = if lane.domestic {
            MERCHANT_FLAGS
                .iter()
                .find(|f| f.trigraph == "JPN")
                .expect("Japan is a merchant flag")
        } else {
            ident::pick_flag(&mut self.rng, MERCHANT_FLAGS)
        };
        let mut o = self.blank(ObjectKind::Merchant, "a-n-S", flag.trigraph);
        o.mmsi = Some(self.unique_mmsi(flag.mids));
        let raw = ident::merchant_name(&mut self.rng, flag);
        o.name = self.unique_name(raw);
        o.callsign = ident::callsign(&mut self.rng, flag);
        o.ais = AisClass::A;
        // Ship class: (type code, length range, beam range, draught range dm, speed kn).
        let classes: [ShipClass; 5] = [
            (70, (200, 366), (32, 51), (100, 150), (16.0, 20.0), 0.40), // container
            (70, (180, 300), (30, 50), (90, 170), (11.0, 14.0), 0.25),  // bulk
            (80, (180, 330), (32, 60), (100, 200), (12.0, 15.0), 0.15), // tanker
            (70, (90, 140), (15, 22), (50, 80), (10.0, 13.0), 0.12),    // general cargo
            (70, (180, 200), (32, 32), (80, 100), (17.0, 19.0), 0.08),  // car carrier
        ];
        let cw: Vec<f64> = classes.iter().map(|c| c.5).collect();
        let c = if lane.domestic {
            // Ferry / RORO: passenger type 60 or cargo 70, 120-170 m, 16-20 kn.
            let t = if self.rng.random_bool(0.5) { 60 } else { 70 };
            (t, (120, 170), (22, 27), (55, 70), (16.0, 20.0), 1.0)
        } else {
            classes[weighted(&mut self.rng, &cw)]
        };
        let len = self.rng.random_range(c.1 .0..=c.1 .1);
        let beam = self.rng.random_range(c.2 .0..=c.2 .1);
        o.ship = Some(ShipStatic {
            imo: ident::imo(&mut self.rng),
            shiptype: c.0,
            to_bow: len * 4 / 5,
            to_stern: len - len * 4 / 5,
            to_port: beam / 2,
            to_starboard: beam - beam / 2,
            destination: dest.to_string(),
            draught_dm: self.rng.random_range(c.3 .0..=c.3 .1),
        });
        o.cruise_mps = uniform(&mut self.rng, c.4 .0, c.4 .1) * KNOT;
        o.speed_mps = o.cruise_mps;
        o.turn_rate_dps = 0.5;
        o.accel_mps2 = 0.02;
        o.mast_m = if len > 150 { 35.0 } else { 20.0 };
        o.nav_status = 0;
        let along = if anywhere {
            let total: f64 = route_length(&wps, false).iter().sum();
            uniform(&mut self.rng, 0.0, total * 0.95)
        } else {
            0.0
        };
        let (lat, lon, course, next) = point_along(&wps, false, along);
        o.lat = lat;
        o.lon = lon;
        o.course_deg = course;
        o.behaviour = Behaviour::Route {
            wps,
            next: next.max(1),
            loop_from: None,
            accept_m: 2_500.0,
            origin_airport: None,
            dest_airport: None,
        };
        self.schedule_tx(&mut o, true);
        o
    }

    fn airliner(&mut self, anywhere: bool) -> Object {
        let w: Vec<f64> = AIRWAYS.iter().map(|a| a.weight).collect();
        let aw = &AIRWAYS[weighted(&mut self.rng, &w)];
        let forward = self.rng.random_bool(0.5);
        let mut wps = aw.wps.to_vec();
        let (mut a0, mut a1) = aw.airports;
        if !forward {
            wps.reverse();
            std::mem::swap(&mut a0, &mut a1);
        }
        let code = aw.airlines[self.rng.random_range(0..aw.airlines.len())];
        let al = ident::airline(code);
        let mut o = self.blank(ObjectKind::Airliner, "a-n-A", "");
        o.icao = Some(self.unique_icao(&al));
        o.callsign = ident::flight_callsign(&mut self.rng, &al);
        while self.used_names.contains(&o.callsign) {
            o.callsign = ident::flight_callsign(&mut self.rng, &al);
        }
        self.used_names.insert(o.callsign.clone());
        o.name = o.callsign.clone();
        o.nation = match al.icao_block.0 {
            0x84_0000 => "JPN",
            0x78_0000 => "CHN",
            0x89_9000 => "TWN",
            0x71_8000 => "KOR",
            0x75_8000 => "PHL",
            _ => "USA",
        };
        o.adsb = true;
        // Semicircular rule: eastbound odd flight levels, westbound even.
        let b = bearing_deg(
            wps[0].0,
            wps[0].1,
            wps[wps.len() - 1].0,
            wps[wps.len() - 1].1,
        );
        let fl = if b < 180.0 {
            [310, 330, 350, 370, 390][self.rng.random_range(0..5)]
        } else {
            [300, 320, 340, 360, 380][self.rng.random_range(0..5)]
        };
        o.cruise_alt_m = fl as f64 * 100.0 * FOOT;
        o.cruise_mps = uniform(&mut self.rng, 420.0, 480.0) * KNOT;
        o.turn_rate_dps = 1.5;
        o.accel_mps2 = 1.0;
        o.mast_m = 0.0;
        let origin_airport = a0.then_some(wps[0]);
        let dest_airport = a1.then_some(wps[wps.len() - 1]);
        let along = if anywhere {
            let total: f64 = route_length(&wps, false).iter().sum();
            uniform(&mut self.rng, 0.0, total * 0.95)
        } else {
            0.0
        };
        let (lat, lon, course, next) = point_along(&wps, false, along);
        o.lat = lat;
        o.lon = lon;
        o.course_deg = course;
        o.behaviour = Behaviour::Route {
            wps,
            next: next.max(1),
            loop_from: None,
            accept_m: 8_000.0,
            origin_airport,
            dest_airport,
        };
        let (alt, spd) = airliner_profile(&o);
        o.alt_m = alt;
        o.speed_mps = spd;
        self.schedule_tx(&mut o, true);
        o
    }

    /// Set the next transmission times. `initial` spreads phases uniformly.
    fn schedule_tx(&mut self, o: &mut Object, initial: bool) {
        let now = self.now_ms;
        let first = |rng: &mut SimRng, period: i64| {
            if initial {
                now + rng.random_range(1..=period)
            } else {
                now + period
            }
        };
        match o.ais {
            AisClass::A => {
                let p = class_a_interval_ms(o.speed_mps);
                o.next_pos_ms = first(&mut self.rng, p);
                o.next_static_ms = first(&mut self.rng, 360_000);
            }
            AisClass::B => {
                let p = class_b_interval_ms(o.speed_mps);
                o.next_pos_ms = first(&mut self.rng, p);
            }
            AisClass::None => {}
        }
        if o.adsb {
            o.next_pos_ms = first(&mut self.rng, 2_000);
            o.next_vel_ms = first(&mut self.rng, 5_000);
            o.next_ident_ms = first(&mut self.rng, 10_000);
        }
    }

    /// Advance every object by `dt_ms` (at most a few seconds), replacing those that
    /// finished their route or left the area.
    pub fn advance(&mut self, dt_ms: i64) {
        let t1 = self.now_ms + dt_ms;
        let dt = dt_ms as f64 / 1000.0;
        let mut replace = Vec::new();
        for i in 0..self.objects.len() {
            let done = {
                let (objects, rng) = (&mut self.objects, &mut self.rng);
                step_object(&mut objects[i], dt, t1, rng)
            };
            let o = &self.objects[i];
            let outside = !(AREA_LAT.0..=AREA_LAT.1).contains(&o.lat)
                || !(AREA_LON.0..=AREA_LON.1).contains(&o.lon);
            if (done || outside) && !o.platform {
                replace.push(i);
            }
        }
        self.now_ms = t1;
        for i in replace {
            let kind = self.objects[i].kind;
            let old = &self.objects[i];
            if let Some(m) = old.mmsi {
                self.used_mmsi.remove(&m);
            }
            if let Some(a) = old.icao {
                self.used_icao.remove(&a);
            }
            let (n, c) = (old.name.clone(), old.callsign.clone());
            self.used_names.remove(&n);
            self.used_names.remove(&c);
            let fresh = match kind {
                ObjectKind::Merchant | ObjectKind::Airliner => self.spawn(kind, false),
                ObjectKind::Fishing => {
                    let gi = self.rng.random_range(0..GROUNDS.len());
                    self.fishing(gi)
                }
                // Patrols loop and never finish; one pushed out of the area restarts.
                _ => {
                    let mut o = self.objects[i].clone();
                    o.id = self.new_id();
                    if let Behaviour::Route { wps, next, .. } = &mut o.behaviour {
                        o.lat = wps[0].0;
                        o.lon = wps[0].1;
                        *next = 1 % wps.len();
                    }
                    o
                }
            };
            self.objects[i] = fresh;
        }
    }

    /// The transmissions every object made in (t0, now].
    pub fn transmissions(&mut self, t0: i64) -> Vec<Tx> {
        let now = self.now_ms;
        let mut out = Vec::new();
        for o in self.objects.iter_mut() {
            if o.ais != AisClass::None {
                while o.next_pos_ms <= now {
                    let t = o.next_pos_ms.max(t0 + 1);
                    let (interval, msg_type) = match o.ais {
                        AisClass::A => (
                            class_a_interval_ms(o.speed_mps),
                            if self.rng.random_bool(0.1) { 3 } else { 1 },
                        ),
                        _ => (class_b_interval_ms(o.speed_mps), 18),
                    };
                    let (lat, lon, _) = o.position_at(t, now);
                    // GNSS error of the ship's position source, ~10 m.
                    let (nlat, nlon) = jitter(&mut self.rng, lat, lon, 10.0);
                    let sog = o.speed_mps / KNOT;
                    let report = PositionReport {
                        msg_type,
                        mmsi: o.mmsi.unwrap_or_default(),
                        nav_status: if msg_type == 18 {
                            15
                        } else if sog < 0.5 && o.kind == ObjectKind::Merchant {
                            1 // at anchor
                        } else {
                            o.nav_status
                        },
                        sog_knots: Some((sog * 10.0).round() / 10.0),
                        position_accuracy: false,
                        lat_deg: nlat,
                        lon_deg: nlon,
                        cog_deg: Some(((o.course_deg * 10.0).round() / 10.0).rem_euclid(360.0)),
                        heading_deg: Some(
                            ((o.course_deg + gauss(&mut self.rng, 1.5)).round() as i64)
                                .rem_euclid(360) as u16,
                        ),
                        second: (t.div_euclid(1000).rem_euclid(60)) as u8,
                    };
                    out.push(Tx {
                        obj_id: o.id,
                        time_ms: t,
                        lat,
                        lon,
                        los_h: o.mast_m,
                        msg: TxMsg::AisPosition {
                            report,
                            interval_s: interval as f64 / 1000.0,
                        },
                    });
                    let jit = self.rng.random_range(-200..=200);
                    o.next_pos_ms = o.next_pos_ms.max(t0) + interval + jit;
                }
                while o.next_static_ms <= now {
                    let t = o.next_static_ms.max(t0 + 1);
                    let s = o.ship.as_ref().expect("class A ships have static data");
                    let sv = StaticVoyage {
                        mmsi: o.mmsi.unwrap_or_default(),
                        imo: s.imo,
                        callsign: o.callsign.clone(),
                        shipname: o.name.clone(),
                        shiptype: s.shiptype,
                        to_bow: s.to_bow,
                        to_stern: s.to_stern,
                        to_port: s.to_port,
                        to_starboard: s.to_starboard,
                        destination: s.destination.clone(),
                        draught_dm: s.draught_dm,
                    };
                    let (lat, lon, _) = o.position_at(t, now);
                    out.push(Tx {
                        obj_id: o.id,
                        time_ms: t,
                        lat,
                        lon,
                        los_h: o.mast_m,
                        msg: TxMsg::AisStatic(sv),
                    });
                    o.next_static_ms = o.next_static_ms.max(t0) + 360_000;
                }
            }
            if o.adsb {
                let icao = o.icao.unwrap_or_default();
                let alt_ft = |alt_m: f64| ((alt_m / FOOT / 25.0).round() * 25.0) as i32;
                while o.next_pos_ms <= now {
                    let t = o.next_pos_ms.max(t0 + 1);
                    let (lat, lon, alt) = o.position_at(t, now);
                    let (nlat, nlon) = jitter(&mut self.rng, lat, lon, 10.0);
                    let msg = SbsMsg {
                        transmission: 3,
                        icao,
                        time_ms: t,
                        altitude_ft: Some(alt_ft(alt)),
                        lat_deg: Some((nlat * 1e5).round() / 1e5),
                        lon_deg: Some((nlon * 1e5).round() / 1e5),
                        on_ground: Some(false),
                        ..SbsMsg::default()
                    };
                    out.push(Tx {
                        obj_id: o.id,
                        time_ms: t,
                        lat,
                        lon,
                        los_h: alt,
                        msg: TxMsg::Adsb(msg),
                    });
                    o.next_pos_ms = o.next_pos_ms.max(t0) + self.rng.random_range(1_000..=2_000);
                }
                while o.next_vel_ms <= now {
                    let t = o.next_vel_ms.max(t0 + 1);
                    let (lat, lon, alt) = o.position_at(t, now);
                    let msg = SbsMsg {
                        transmission: 4,
                        icao,
                        time_ms: t,
                        ground_speed_kt: Some((o.speed_mps / KNOT).round()),
                        track_deg: Some(o.course_deg.round().rem_euclid(360.0)),
                        vertical_rate_fpm: Some(
                            ((o.vrate_mps / FOOT * 60.0 / 64.0).round() * 64.0) as i32,
                        ),
                        ..SbsMsg::default()
                    };
                    out.push(Tx {
                        obj_id: o.id,
                        time_ms: t,
                        lat,
                        lon,
                        los_h: alt,
                        msg: TxMsg::Adsb(msg),
                    });
                    o.next_vel_ms = o.next_vel_ms.max(t0) + self.rng.random_range(2_000..=5_000);
                }
                while o.next_ident_ms <= now {
                    let t = o.next_ident_ms.max(t0 + 1);
                    let (lat, lon, alt) = o.position_at(t, now);
                    let msg = SbsMsg {
                        transmission: 1,
                        icao,
                        time_ms: t,
                        callsign: Some(o.callsign.clone()),
                        ..SbsMsg::default()
                    };
                    out.push(Tx {
                        obj_id: o.id,
                        time_ms: t,
                        lat,
                        lon,
                        los_h: alt,
                        msg: TxMsg::Adsb(msg),
                    });
                    o.next_ident_ms =
                        o.next_ident_ms.max(t0) + self.rng.random_range(4_000..=6_000);
                }
            }
        }
        out
    }
}

/// Class A reporting interval: 10 s under way up to 14 kn, 6 s faster (ITU-R M.1371
/// gives 10/6/2 s; simplified), 3 min at anchor.
fn class_a_interval_ms(speed_mps: f64) -> i64 {
    let kn = speed_mps / KNOT;
    if kn < 0.5 {
        180_000
    } else if kn <= 14.0 {
        10_000
    } else {
        6_000
    }
}

/// Class B (CS) reporting interval: 30 s above 2 kn, 3 min below.
fn class_b_interval_ms(speed_mps: f64) -> i64 {
    if speed_mps / KNOT > 2.0 {
        30_000
    } else {
        180_000
    }
}

/// A position displaced by a circular Gaussian error of `sigma_m` per axis.
pub(crate) fn jitter(rng: &mut SimRng, lat: f64, lon: f64, sigma_m: f64) -> (f64, f64) {
    let e = gauss(rng, sigma_m);
    let n = gauss(rng, sigma_m);
    let d = e.hypot(n);
    if d == 0.0 {
        return (lat, lon);
    }
    destination(lat, lon, e.atan2(n).to_degrees(), d)
}

/// Shift a route `offset_m` to the right of its direction of travel (traffic separation).
fn offset_route(wps: &[LatLon], offset_m: f64) -> Vec<LatLon> {
    let n = wps.len();
    (0..n)
        .map(|i| {
            let brg = if i + 1 < n {
                bearing_deg(wps[i].0, wps[i].1, wps[i + 1].0, wps[i + 1].1)
            } else {
                bearing_deg(wps[i - 1].0, wps[i - 1].1, wps[i].0, wps[i].1)
            };
            destination(wps[i].0, wps[i].1, brg + 90.0, offset_m)
        })
        .collect()
}

/// Target altitude and true airspeed of an airliner: cruise, with a 3° descent to a
/// destination airport and a ~5 % climb gradient out of an origin airport.
fn airliner_profile(o: &Object) -> (f64, f64) {
    let mut alt = o.cruise_alt_m;
    if let Behaviour::Route {
        origin_airport,
        dest_airport,
        ..
    } = &o.behaviour
    {
        if let Some(a) = origin_airport {
            alt = alt.min(300.0 + 0.05 * distance_m(o.lat, o.lon, a.0, a.1));
        }
        if let Some(a) = dest_airport {
            alt = alt.min(300.0 + 0.0524 * distance_m(o.lat, o.lon, a.0, a.1));
        }
    }
    // 250 kn below 3,000 m, rising linearly to cruise speed at 7,600 m.
    let f = ((alt - 3_000.0) / 4_600.0).clamp(0.0, 1.0);
    let spd = 250.0 * KNOT + f * (o.cruise_mps - 250.0 * KNOT).max(0.0);
    (alt, spd)
}

/// Move one object by `dt` seconds; returns true when it finished its route.
fn step_object(o: &mut Object, dt: f64, t1: i64, rng: &mut SimRng) -> bool {
    let want_course;
    let mut want_speed = o.cruise_mps;
    let mut want_alt = o.cruise_alt_m;
    let mut finished = false;
    if let Behaviour::Scripted { start_ms, timeline } = &o.behaviour {
        (o.lat, o.lon, o.course_deg, o.speed_mps) = timeline.at(t1 - *start_ms);
        return false;
    }
    match &mut o.behaviour {
        Behaviour::Route {
            wps,
            next,
            loop_from,
            accept_m,
            ..
        } => {
            let mut wp = wps[*next];
            if distance_within(o.lat, o.lon, wp.0, wp.1, *accept_m).is_some() {
                if *next + 1 < wps.len() {
                    *next += 1;
                } else if let Some(l) = loop_from {
                    *next = *l;
                } else {
                    finished = true;
                }
                wp = wps[*next];
            }
            want_course = bearing_deg(o.lat, o.lon, wp.0, wp.1);
        }
        Behaviour::Loiter {
            center,
            radius_m,
            next_change_ms,
            want_course: wc,
            want_speed: ws,
        } => {
            if t1 >= *next_change_ms {
                *next_change_ms = t1 + rng.random_range(120_000..600_000);
                *wc = uniform(rng, 0.0, 360.0);
                *ws = if rng.random_bool(0.15) {
                    uniform(rng, 0.0, 0.5) * KNOT // drifting on the nets
                } else {
                    uniform(rng, 1.0, 6.0) * KNOT
                };
            }
            if distance_within(o.lat, o.lon, center.0, center.1, *radius_m).is_none() {
                *wc = bearing_deg(o.lat, o.lon, center.0, center.1);
                if *ws < 2.0 * KNOT {
                    *ws = 3.0 * KNOT;
                }
            }
            want_course = *wc;
            want_speed = *ws;
        }
        Behaviour::Scripted { .. } => return false,
    }
    if o.kind == ObjectKind::Airliner {
        let (alt, spd) = airliner_profile(o);
        want_alt = alt;
        want_speed = spd;
    }
    // Turn at a bounded rate.
    let turn = angle_diff(o.course_deg, want_course);
    let max_turn = o.turn_rate_dps * dt;
    o.course_deg = (o.course_deg + turn.clamp(-max_turn, max_turn)).rem_euclid(360.0);
    // Speed and altitude at bounded rates.
    let dv = (want_speed - o.speed_mps).clamp(-o.accel_mps2 * dt, o.accel_mps2 * dt);
    o.speed_mps = (o.speed_mps + dv).max(0.0);
    if o.is_air() {
        let max_vs = 15.0;
        let dz = (want_alt - o.alt_m).clamp(-max_vs * dt, max_vs * dt);
        o.alt_m += dz;
        o.vrate_mps = if dt > 0.0 { dz / dt } else { 0.0 };
    }
    let (lat, lon, final_az) = direct(o.lat, o.lon, o.course_deg, o.speed_mps * dt);
    // Keep the course the geodesic's azimuth at the new point.
    if o.speed_mps * dt > 0.1 {
        o.course_deg = final_az.rem_euclid(360.0);
        if o.course_deg >= 360.0 {
            o.course_deg = 0.0;
        }
    }
    o.lat = lat;
    o.lon = lon;
    // A class A ship crossing the 14 kn threshold changes rate at its next report;
    // nothing to do here.
    finished
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_along_walks_the_route() {
        let wps = [(25.0, 125.0), (26.0, 125.0), (26.0, 126.0)];
        let (lat, lon, course, next) = point_along(&wps, false, 50_000.0);
        // 50 km up the meridian: 0.4514° of WGS84 latitude there (a sphere of the mean
        // radius would say 0.4497°).
        assert!(
            (lat - 25.4514).abs() < 1e-4 && (lon - 125.0).abs() < 1e-9,
            "{lat} {lon}"
        );
        assert!((distance_m(25.0, 125.0, lat, lon) - 50_000.0).abs() < 1e-6);
        assert!(course.abs() < 1e-6 || (course - 360.0).abs() < 1e-6);
        assert_eq!(next, 1);
    }

    #[test]
    fn offset_is_to_the_right() {
        let wps = [(25.0, 125.0), (26.0, 125.0)];
        let o = offset_route(&wps, 5_000.0);
        assert!(o[0].1 > 125.0 && o[1].1 > 125.0);
        assert!((distance_m(o[0].0, o[0].1, 25.0, 125.0) - 5_000.0).abs() < 1.0);
    }
}
