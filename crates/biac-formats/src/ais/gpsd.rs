//! gpsd's unscaled AIS JSON (`gpsdecode -u -j`), for conformance checks against
//! gpsd's regression data and for tools that speak gpsd's format.
//!
//! Keys are written in gpsd's order. The legend texts are the standard ITU-R
//! M.1371 descriptions as gpsd words them.

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

use super::application::{Application, MetHydro, BERTH_SERVICES};
use super::message::{AisMessage, ChannelTarget, StaticDataPart, StaticDataReference};

const NAV_STATUS: [&str; 16] = [
    "Under way using engine",
    "At anchor",
    "Not under command",
    "Restricted manoeuverability",
    "Constrained by her draught",
    "Moored",
    "Aground",
    "Engaged in fishing",
    "Under way sailing",
    "Reserved for HSC",
    "Reserved for WIG",
    "Reserved",
    "Reserved",
    "Reserved",
    "Reserved",
    "Not defined",
];

const EPFD: [&str; 9] = [
    "Undefined",
    "GPS",
    "GLONASS",
    "Combined GPS/GLONASS",
    "Loran-C",
    "Chayka",
    "Integrated navigation system",
    "Surveyed",
    "Galileo",
];

const AID_TYPE: [&str; 32] = [
    "Unspecified",
    "Reference point",
    "RACON",
    "Fixed offshore structure",
    "Spare, Reserved for future use.",
    "Light, without sectors",
    "Light, with sectors",
    "Leading Light Front",
    "Leading Light Rear",
    "Beacon, Cardinal N",
    "Beacon, Cardinal E",
    "Beacon, Cardinal S",
    "Beacon, Cardinal W",
    "Beacon, Port hand",
    "Beacon, Starboard hand",
    "Beacon, Preferred Channel port hand",
    "Beacon, Preferred Channel starboard hand",
    "Beacon, Isolated danger",
    "Beacon, Safe water",
    "Beacon, Special mark",
    "Cardinal Mark N",
    "Cardinal Mark E",
    "Cardinal Mark S",
    "Cardinal Mark W",
    "Port hand Mark",
    "Starboard hand Mark",
    "Preferred Channel Port hand",
    "Preferred Channel Starboard hand",
    "Isolated danger",
    "Safe Water",
    "Special Mark",
    "Light Vessel / LANBY / Rigs",
];

fn epfd_text(epfd: u8) -> String {
    match EPFD.get(usize::from(epfd)) {
        Some(s) => s.to_string(),
        None if epfd == 15 => "Internal GNSS".to_string(),
        None => format!("Reserved ({epfd})"),
    }
}

fn shiptype_text(t: u8) -> String {
    // The second digit's meaning within the categories 2, 4, 6, 7, 8, 9.
    let sub = |d: u8| match d {
        0 => "all ships of this type",
        1 => "Hazardous category A",
        2 => "Hazardous category B",
        3 => "Hazardous category C",
        4 => "Hazardous category D",
        9 => "No additional information",
        _ => "Reserved for future use",
    };
    let (tens, d) = (t / 10, t % 10);
    let category = match tens {
        2 => "Wing in ground (WIG)",
        4 => "High speed craft (HSC)",
        6 => "Passenger",
        7 => "Cargo",
        8 => "Tanker",
        9 => "Other Type",
        _ => "",
    };
    match t {
        0 => "Not available".into(),
        1..=19 => "Reserved for future use".into(),
        // WIG has no "no additional information" code.
        29 => "Wing in ground (WIG) - Reserved for future use".into(),
        30 => "Fishing".into(),
        31 => "Towing".into(),
        32 => "Towing: length exceeds 200m or breadth exceeds 25m".into(),
        33 => "Dredging or underwater ops".into(),
        34 => "Diving ops".into(),
        35 => "Military ops".into(),
        36 => "Sailing".into(),
        37 => "Pleasure Craft".into(),
        38 | 39 => "Reserved".into(),
        50 => "Pilot Vessel".into(),
        51 => "Search and Rescue vessel".into(),
        52 => "Tug".into(),
        53 => "Port Tender".into(),
        54 => "Anti-pollution equipment".into(),
        55 => "Law Enforcement".into(),
        56 | 57 => "Spare - Local Vessel".into(),
        58 => "Medical Transport".into(),
        59 => "Ship according to RR Resolution No. 18".into(),
        // gpsd's wording, lower case and all.
        99 => "Other Type - no additional information".into(),
        20..=99 => format!("{category} - {}", sub(d)),
        _ => "Reserved for future use".into(),
    }
}

/// A JSON object written as it is built: keys in insertion order.
struct Obj(String);

impl Default for Obj {
    fn default() -> Self {
        Obj(String::with_capacity(384))
    }
}

/// A value [`Obj::put`] writes: numbers, booleans, strings, JSON arrays.
trait JsonVal {
    fn write_to(self, out: &mut String);
}

/// Decimal digits of `v`, without `fmt`'s machinery (this is the hot path of
/// `biac decode ais --gpsd-json`).
fn push_u64(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend(buf[i..].iter().map(|&d| char::from(d)));
}

macro_rules! json_uint {
    ($($t:ty),*) => {$(
        impl JsonVal for $t {
            fn write_to(self, out: &mut String) {
                push_u64(out, self as u64);
            }
        }
    )*};
}
json_uint!(u8, u16, u32, u64, usize);

macro_rules! json_int {
    ($($t:ty),*) => {$(
        impl JsonVal for $t {
            fn write_to(self, out: &mut String) {
                if self < 0 {
                    out.push('-');
                }
                push_u64(out, i64::from(self).unsigned_abs());
            }
        }
    )*};
}
json_int!(i8, i16, i32, i64);

impl JsonVal for bool {
    fn write_to(self, out: &mut String) {
        out.push_str(if self { "true" } else { "false" });
    }
}

impl JsonVal for &str {
    fn write_to(self, out: &mut String) {
        push_json_str(out, self);
    }
}

impl JsonVal for String {
    fn write_to(self, out: &mut String) {
        push_json_str(out, &self);
    }
}

impl JsonVal for Vec<Value> {
    fn write_to(self, out: &mut String) {
        out.push_str(&serde_json::to_string(&self).unwrap_or_default());
    }
}

impl Obj {
    fn put(&mut self, key: &'static str, v: impl JsonVal) -> &mut Self {
        self.0.push(if self.0.is_empty() { '{' } else { ',' });
        self.0.push('"');
        self.0.push_str(key);
        self.0.push_str("\":");
        v.write_to(&mut self.0);
        self
    }

    fn render(mut self) -> String {
        if self.0.is_empty() {
            self.0.push('{');
        }
        self.0.push('}');
        self.0
    }
}

/// A JSON string literal, escaped as serde_json escapes it.
fn push_json_str(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    }
}

fn header(msg: &AisMessage, mut buf: String) -> Obj {
    buf.clear();
    let mut o = Obj(buf);
    o.put("class", "AIS")
        .put("type", msg.msg_type())
        .put("repeat", msg.repeat())
        .put("mmsi", msg.mmsi())
        .put("scaled", false);
    o
}

fn put_part_b(o: &mut Obj, part: &StaticDataPart) {
    if let StaticDataPart::B {
        shiptype,
        vendorid,
        model,
        serial,
        callsign,
        reference,
    } = part
    {
        o.put("shiptype", *shiptype)
            .put("shiptype_text", shiptype_text(*shiptype))
            .put("vendorid", vendorid.as_str())
            .put("model", *model)
            .put("serial", *serial)
            .put("callsign", callsign.as_str());
        match reference {
            StaticDataReference::Dimensions {
                to_bow,
                to_stern,
                to_port,
                to_starboard,
            } => {
                o.put("to_bow", *to_bow)
                    .put("to_stern", *to_stern)
                    .put("to_port", *to_port)
                    .put("to_starboard", *to_starboard);
            }
            StaticDataReference::Mothership(m) => {
                o.put("mothership_mmsi", *m);
            }
        }
    }
}

fn station_type_text(t: u8) -> &'static str {
    match t {
        0 => "All types of mobiles",
        2 => "All types of Class B mobile stations",
        3 => "SAR airborne mobile station",
        4 => "Aid to Navigation station",
        5 => "Class B shipborne mobile station",
        6..=9 => "Regional use and inland waterways",
        _ => "Reserved for future use",
    }
}

// WMO 306, code table 4.201.
const PRECIP_TYPES: [&str; 8] = [
    "reserved",
    "rain",
    "thunderstorm",
    "freezing rain",
    "mixed/ice",
    "snow",
    "reserved",
    "N/A",
];
const ICE: [&str; 4] = ["no", "yes", "reserved", "N/A"];
const RACON_STATUS: [&str; 4] = [
    "No RACON installed",
    "RACON not monitored",
    "RACON operational",
    "RACON ERROR",
];
const LIGHT_STATUS: [&str; 4] = [
    "No light or no monitoring",
    "Light ON",
    "Light OFF",
    "Light ERROR",
];
const RTA_STATUS: [&str; 4] = ["Operational", "Limited operation", "Out of order", "N/A"];
const ID_TYPES: [&str; 4] = ["mmsi", "imo", "callsign", "other"];

fn route_type_text(t: u8) -> &'static str {
    match t {
        0 => "Undefined (default)",
        1 => "Mandatory",
        2 => "Recommended",
        3 => "Alternative",
        4 => "Recommended route through ice",
        5 => "Ship route plan",
        31 => "Cancel route identified by message linkage",
        _ => "Reserved for future use.",
    }
}

/// Inland AIS ship and convoy types (ERI code, with its IMO equivalent).
const INLAND_SHIPTYPES: [(u16, u16, &str); 42] = [
    (8000, 99, "Vessel, type unknown"),
    (8010, 79, "Motor freighter"),
    (8020, 89, "Motor tanker"),
    (8021, 80, "Motor tanker, liquid cargo, type N"),
    (8022, 80, "Motor tanker, liquid cargo, type C"),
    (
        8023,
        89,
        "Motor tanker, dry cargo as if liquid (e.g. cement)",
    ),
    (8030, 79, "Container vessel"),
    (8040, 80, "Gas tanker"),
    (8050, 79, "Motor freighter, tug"),
    (8060, 89, "Motor tanker, tug"),
    (8070, 79, "Motor freighter with one or more ships alongside"),
    (8080, 89, "Motor freighter with tanker"),
    (8090, 79, "Motor freighter pushing one or more freighters"),
    (8100, 89, "Motor freighter pushing at least one tank-ship"),
    (8110, 79, "Tug, freighter"),
    (8120, 89, "Tug, tanker"),
    (8130, 31, "Tug freighter, coupled"),
    (8140, 31, "Tug, freighter/tanker, coupled"),
    (8150, 99, "Freightbarge"),
    (8160, 99, "Tankbarge"),
    (8161, 90, "Tankbarge, liquid cargo, type N"),
    (8162, 90, "Tankbarge, liquid cargo, type C"),
    (8163, 99, "Tankbarge, dry cargo as if liquid (e.g. cement)"),
    (8170, 99, "Freightbarge with containers"),
    (8180, 90, "Tankbarge, gas"),
    (8210, 79, "Pushtow, one cargo barge"),
    (8220, 79, "Pushtow, two cargo barges"),
    (8230, 79, "Pushtow, three cargo barges"),
    (8240, 79, "Pushtow, four cargo barges"),
    (8250, 79, "Pushtow, five cargo barges"),
    (8260, 79, "Pushtow, six cargo barges"),
    (8270, 79, "Pushtow, seven cargo barges"),
    (8280, 79, "Pushtow, eigth cargo barges"),
    (8290, 79, "Pushtow, nine or more barges"),
    (8310, 80, "Pushtow, one tank/gas barge"),
    (
        8320,
        80,
        "Pushtow, two barges at least one tanker or gas barge",
    ),
    (
        8330,
        80,
        "Pushtow, three barges at least one tanker or gas barge",
    ),
    (
        8340,
        80,
        "Pushtow, four barges at least one tanker or gas barge",
    ),
    (
        8350,
        80,
        "Pushtow, five barges at least one tanker or gas barge",
    ),
    (
        8360,
        80,
        "Pushtow, six barges at least one tanker or gas barge",
    ),
    (
        8370,
        80,
        "Pushtow, seven barges at least one tanker or gas barg",
    ),
    (0, 0, "Illegal ship type value."),
];

fn inland_shiptype_text(t: u16) -> &'static str {
    INLAND_SHIPTYPES
        .iter()
        .find(|(code, ais, _)| *code == t || *ais == t || *code == 0)
        .map_or("Illegal ship type value.", |e| e.2)
}

fn put_met_hydro(o: &mut Obj, m: &MetHydro) {
    o.put("lat", m.lat).put("lon", m.lon);
    if !m.imo236 {
        o.put("accuracy", m.accuracy);
    }
    o.put(
        "timestamp",
        format!("{:02}T{:02}:{:02}Z", m.day, m.hour, m.minute),
    )
    .put("wspeed", m.wspeed)
    .put("wgust", m.wgust)
    .put("wdir", m.wdir)
    .put("wgustdir", m.wgustdir)
    .put("humidity", m.humidity)
    .put("airtemp", m.airtemp)
    .put("dewpoint", m.dewpoint)
    .put("pressure", m.pressure)
    .put("pressuretend", m.pressuretend);
    if !m.imo236 {
        o.put("visgreater", m.visgreater);
    }
    o.put("visibility", m.visibility)
        .put("waterlevel", m.waterlevel)
        .put("leveltrend", m.leveltrend)
        .put("cspeed", m.cspeed)
        .put("cdir", m.cdir)
        .put("cspeed2", m.cspeed2)
        .put("cdir2", m.cdir2)
        .put("cdepth2", m.cdepth2)
        .put("cspeed3", m.cspeed3)
        .put("cdir3", m.cdir3)
        .put("cdepth3", m.cdepth3)
        .put("waveheight", m.waveheight)
        .put("waveperiod", m.waveperiod)
        .put("wavedir", m.wavedir)
        .put("swellheight", m.swellheight)
        .put("swellperiod", m.swellperiod)
        .put("swelldir", m.swelldir)
        .put("seastate", m.seastate)
        .put("watertemp", m.watertemp)
        .put("preciptype", m.preciptype);
    if m.imo236 {
        o.put(
            "preciptype_text",
            PRECIP_TYPES[usize::from(m.preciptype & 7)],
        );
    }
    o.put("salinity", m.salinity).put("ice", m.ice);
    if m.imo236 {
        o.put("ice_text", ICE[usize::from(m.ice & 3)]);
    }
}

fn put_application(o: &mut Obj, app: &Application) {
    match app {
        Application::InlandLockTime {
            rta,
            country,
            locode,
            section,
            terminal,
            hectometre,
            month,
            day,
            hour,
            minute,
            tugs,
            airdraught,
            status,
        } => {
            o.put("country", country.as_str())
                .put("locode", locode.as_str())
                .put("section", section.as_str())
                .put("terminal", terminal.as_str())
                .put("hectometre", hectometre.as_str())
                .put("eta", format!("{month}-{day}T{hour}:{minute}"));
            if *rta {
                o.put("status", *status)
                    .put("status_text", RTA_STATUS[usize::from(status & 3)]);
            } else {
                o.put("tugs", *tugs).put("airdraught", *airdraught);
            }
        }
        Application::InlandPersons {
            crew,
            passengers,
            personnel,
        } => {
            o.put("crew", *crew)
                .put("passengers", *passengers)
                .put("personnel", *personnel);
        }
        Application::AtonMonitoring {
            ana_int,
            ana_ext1,
            ana_ext2,
            racon,
            light,
            alarm,
            stat_ext,
            off_pos,
        } => {
            o.put("off_pos", *off_pos)
                .put("alarm", *alarm)
                .put("stat_ext", *stat_ext)
                .put("ana_int", *ana_int)
                .put("ana_ext1", *ana_ext1)
                .put("ana_ext2", *ana_ext2)
                .put("racon", *racon)
                .put("racon_text", RACON_STATUS[usize::from(racon & 3)])
                .put("light", *light)
                .put("light_text", LIGHT_STATUS[usize::from(light & 3)]);
        }
        Application::DangerousCargo {
            lastport,
            lmonth,
            lday,
            lhour,
            lminute,
            nextport,
            nmonth,
            nday,
            nhour,
            nminute,
            dangerous,
            imdcat,
            unid,
            amount,
            unit,
        } => {
            o.put("lastport", lastport.as_str())
                .put(
                    "departure",
                    format!("{lmonth:02}-{lday:02}T{lhour:02}:{lminute:02}Z"),
                )
                .put("nextport", nextport.as_str())
                .put(
                    "eta",
                    format!("{nmonth:02}-{nday:02}T{nhour:02}:{nminute:02}Z"),
                )
                .put("dangerous", dangerous.as_str())
                .put("imdcat", imdcat.as_str())
                .put("unid", *unid)
                .put("amount", *amount)
                .put("unit", *unit);
        }
        Application::TidalWindow { month, day, tidals } => {
            let list: Vec<Value> = tidals
                .iter()
                .map(|t| {
                    serde_json::json!({
                        "lon": t.lon, "lat": t.lat,
                        "from_hour": t.from_hour, "from_min": t.from_min,
                        "to_hour": t.to_hour, "to_min": t.to_min,
                        "cdir": t.cdir, "cspeed": t.cspeed,
                    })
                })
                .collect();
            o.put("month", *month).put("day", *day).put("tidals", list);
        }
        Application::AirDraught { airdraught } => {
            o.put("airdraught", *airdraught);
        }
        Application::Persons { persons } => {
            o.put("persons", *persons);
        }
        Application::ClearanceTime {
            linkage,
            month,
            day,
            hour,
            minute,
            portname,
            destination,
            lon,
            lat,
        } => {
            o.put("linkage", *linkage)
                .put(
                    "arrival",
                    format!("{month:02}-{day:02}T{hour:02}:{minute:02}Z"),
                )
                .put("portname", portname.as_str())
                .put("destination", destination.as_str())
                .put("lon", *lon)
                .put("lat", *lat);
        }
        Application::Berthing {
            linkage,
            berth_length,
            berth_depth,
            position,
            month,
            day,
            hour,
            minute,
            availability,
            services,
            berth_name,
            berth_lon,
            berth_lat,
        } => {
            const POSITION: [&str; 8] = [
                "Not available",
                "Port-side to",
                "Starboard-side to",
                "Mediterranean (end-on) mooring",
                "Mooring buoy",
                "Anchorage",
                "Reserved for future use",
                "Reserved for future use",
            ];
            o.put("linkage", *linkage)
                .put("berth_length", *berth_length)
                .put("position", *position)
                .put("position_text", POSITION[usize::from(position & 7)])
                .put("arrival", format!("{month}-{day}T{hour}:{minute}"))
                .put("availability", u8::from(*availability));
            for (name, v) in BERTH_SERVICES.iter().zip(services) {
                o.put(name, *v);
            }
            o.put("berth_name", berth_name.as_str())
                .put("berth_lon", *berth_lon)
                .put("berth_lat", *berth_lat)
                .put("berth_depth", *berth_depth);
        }
        Application::DangerousCargoList {
            unit,
            amount,
            cargos,
        } => {
            let list: Vec<Value> = cargos
                .iter()
                .map(|(code, subtype)| serde_json::json!({"code": code, "subtype": subtype}))
                .collect();
            o.put("unit", *unit)
                .put("amount", *amount)
                .put("cargos", list);
        }
        Application::Route {
            linkage,
            sender,
            rtype,
            month,
            day,
            hour,
            minute,
            duration,
            waypoints,
        } => {
            let list: Vec<Value> = waypoints
                .iter()
                .map(|(lon, lat)| serde_json::json!({"lon": lon, "lat": lat}))
                .collect();
            o.put("linkage", *linkage)
                .put("sender", *sender)
                .put("rtype", *rtype)
                .put("rtype_text", route_type_text(*rtype))
                .put(
                    "start",
                    format!("{month:02}-{day:02}T{hour:02}:{minute:02}Z"),
                )
                .put("duration", *duration)
                .put("waypoints", list);
        }
        Application::Text { linkage, text } => {
            o.put("linkage", *linkage).put("text", text.as_str());
        }
        Application::MetHydro(m) => put_met_hydro(o, m),
        Application::FairwayClosed {
            reason,
            closefrom,
            closeto,
            radius,
            extunit,
            fday,
            fmonth,
            fhour,
            fminute,
            tday,
            tmonth,
            thour,
            tminute,
        } => {
            o.put("reason", reason.as_str())
                .put("closefrom", closefrom.as_str())
                .put("closeto", closeto.as_str())
                .put("radius", *radius)
                .put("extunit", *extunit)
                .put(
                    "from",
                    format!("{fmonth:02}-{fday:02}T{fhour:02}:{fminute:02}"),
                )
                .put(
                    "to",
                    format!("{tmonth:02}-{tday:02}T{thour:02}:{tminute:02}"),
                );
        }
        Application::VtsTargets { targets } => {
            let list: Vec<Value> = targets
                .iter()
                .map(|t| {
                    let name = ID_TYPES[usize::from(t.idtype & 3)];
                    let mut m = serde_json::Map::new();
                    m.insert("idtype".into(), t.idtype.into());
                    m.insert("idtype_text".into(), name.into());
                    m.insert(name.into(), t.id.clone().into());
                    m.insert("lat".into(), t.lat.into());
                    m.insert("lon".into(), t.lon.into());
                    m.insert("course".into(), t.course.into());
                    m.insert("second".into(), t.second.into());
                    m.insert("speed".into(), t.speed.into());
                    Value::Object(m)
                })
                .collect();
            o.put("targets", list);
        }
        Application::InlandStatic {
            vin,
            length,
            beam,
            shiptype,
            hazard,
            draught,
            loaded,
            speed_q,
            course_q,
            heading_q,
        } => {
            const HAZARD: [&str; 6] = [
                "0 blue cones/lights",
                "1 blue cone/light",
                "2 blue cones/lights",
                "3 blue cones/lights",
                "4 B-Flag",
                "Unknown",
            ];
            const LOADED: [&str; 3] = ["N/A (default)", "Unloaded", "Loaded"];
            o.put("vin", vin.as_str())
                .put("length", *length)
                .put("beam", *beam)
                .put("shiptype", *shiptype)
                .put("shiptype_text", inland_shiptype_text(*shiptype))
                .put("hazard", *hazard)
                .put(
                    "hazard_text",
                    HAZARD
                        .get(usize::from(*hazard))
                        .copied()
                        .unwrap_or("INVALID HAZARD TYPE"),
                )
                .put("draught", *draught)
                .put("loaded", *loaded)
                .put(
                    "loaded_text",
                    LOADED
                        .get(usize::from(*loaded))
                        .copied()
                        .unwrap_or("INVALID LOAD STATUS"),
                )
                .put("speed_q", *speed_q)
                .put("course_q", *course_q)
                .put("heading_q", *heading_q);
        }
        Application::InlandWaterLevel { country, gauges } => {
            let list: Vec<Value> = gauges
                .iter()
                .map(|(id, level)| serde_json::json!({"id": id, "level": level}))
                .collect();
            o.put("country", country.as_str()).put("gauges", list);
        }
        Application::InlandSignal {
            lon,
            lat,
            form,
            facing,
            direction,
            status,
        } => {
            const DIRECTION: [&str; 5] = [
                "Unknown",
                "Upstream",
                "Downstream",
                "To left bank",
                "To right bank",
            ];
            const STATUS: [&str; 8] = [
                "Unknown",
                "No light",
                "White",
                "Yellow",
                "Green",
                "Red",
                "White flashing",
                "Yellow flashing.",
            ];
            o.put("lon", *lon)
                .put("lat", *lat)
                .put("form", *form)
                .put("facing", *facing)
                .put("direction", *direction)
                .put(
                    "direction_text",
                    DIRECTION
                        .get(usize::from(*direction))
                        .copied()
                        .unwrap_or("INVALID DIRECTION"),
                )
                .put("status", *status)
                .put(
                    "status_text",
                    usize::try_from(*status)
                        .ok()
                        .and_then(|s| STATUS.get(s))
                        .copied()
                        .unwrap_or("INVALID STATUS"),
                );
        }
    }
}

/// One message as gpsd's unscaled JSON object (without gpsd's `device` key).
/// Type 24 parts are written singly; [`GpsdJsonWriter`] merges them as gpsd does.
pub fn gpsd_json(msg: &AisMessage) -> String {
    gpsd_json_in(msg, String::with_capacity(384))
}

/// [`gpsd_json`] written into `buf` (cleared first), reusing its allocation.
fn gpsd_json_in(msg: &AisMessage, buf: String) -> String {
    let mut o = header(msg, buf);
    match msg {
        AisMessage::Other { .. } => {}
        AisMessage::BinaryAddressed(m) => {
            o.put("seqno", m.seqno)
                .put("dest_mmsi", m.dest_mmsi)
                .put("retransmit", m.retransmit)
                .put("dac", m.dac)
                .put("fid", m.fid);
            match &m.app {
                Some(app) => put_application(&mut o, app),
                None => {
                    o.put("data", m.data.gpsd());
                }
            }
        }
        AisMessage::Acknowledge(m) => {
            o.put("mmsi1", m.mmsis[0])
                .put("mmsi2", m.mmsis[1])
                .put("mmsi3", m.mmsis[2])
                .put("mmsi4", m.mmsis[3]);
        }
        AisMessage::BinaryBroadcast(m) => {
            o.put("dac", m.dac).put("fid", m.fid);
            match &m.app {
                Some(app) => put_application(&mut o, app),
                None => {
                    o.put("data", m.data.gpsd());
                }
            }
        }
        AisMessage::UtcInquiry(m) => {
            o.put("dest_mmsi", m.dest_mmsi);
        }
        AisMessage::SafetyAddressed(m) => {
            o.put("seqno", m.seqno)
                .put("dest_mmsi", m.dest_mmsi)
                .put("retransmit", m.retransmit)
                .put("text", m.text.as_str());
        }
        AisMessage::SafetyBroadcast(m) => {
            o.put("text", m.text.as_str());
        }
        AisMessage::Interrogation(m) => {
            o.put("mmsi1", m.mmsi1)
                .put("type1_1", m.type1_1)
                .put("offset1_1", m.offset1_1)
                .put("type1_2", m.type1_2)
                .put("offset1_2", m.offset1_2)
                .put("mmsi2", m.mmsi2)
                .put("type2_1", m.type2_1)
                .put("offset2_1", m.offset2_1);
        }
        AisMessage::AssignedMode(m) => {
            o.put("mmsi1", m.mmsi1)
                .put("offset1", m.offset1)
                .put("increment1", m.increment1)
                .put("mmsi2", m.mmsi2)
                .put("offset2", m.offset2)
                .put("increment2", m.increment2);
        }
        AisMessage::GnssBroadcast(m) => {
            o.put("lon", m.lon)
                .put("lat", m.lat)
                .put("data", m.data.gpsd());
        }
        AisMessage::DataLinkManagement(m) => {
            const KEYS: [[&str; 4]; 4] = [
                ["offset1", "number1", "timeout1", "increment1"],
                ["offset2", "number2", "timeout2", "increment2"],
                ["offset3", "number3", "timeout3", "increment3"],
                ["offset4", "number4", "timeout4", "increment4"],
            ];
            for (k, s) in KEYS.iter().zip(&m.slots) {
                o.put(k[0], s.offset)
                    .put(k[1], s.number)
                    .put(k[2], s.timeout)
                    .put(k[3], s.increment);
            }
        }
        AisMessage::ChannelManagement(m) => {
            o.put("channel_a", m.channel_a)
                .put("channel_b", m.channel_b)
                .put("txrx", m.txrx)
                .put("power", m.power);
            match m.target {
                ChannelTarget::Addressed { dest1, dest2 } => {
                    o.put("dest1", dest1).put("dest2", dest2);
                }
                ChannelTarget::Area {
                    ne_lon,
                    ne_lat,
                    sw_lon,
                    sw_lat,
                } => {
                    o.put("ne_lon", ne_lon)
                        .put("ne_lat", ne_lat)
                        .put("sw_lon", sw_lon)
                        .put("sw_lat", sw_lat);
                }
            }
            o.put(
                "addressed",
                matches!(m.target, ChannelTarget::Addressed { .. }),
            )
            .put("band_a", m.band_a)
            .put("band_b", m.band_b)
            .put("zonesize", m.zonesize);
        }
        AisMessage::GroupAssignment(m) => {
            o.put("ne_lon", m.ne_lon)
                .put("ne_lat", m.ne_lat)
                .put("sw_lon", m.sw_lon)
                .put("sw_lat", m.sw_lat)
                .put("stationtype", m.stationtype)
                .put("stationtype_text", station_type_text(m.stationtype))
                .put("shiptype", m.shiptype)
                .put("shiptype_text", shiptype_text(m.shiptype))
                .put("interval", m.interval)
                .put("quiet", m.quiet);
        }
        AisMessage::BinarySlot(m) => {
            o.put("addressed", m.addressed)
                .put("structured", m.structured)
                .put("dest_mmsi", m.dest_mmsi)
                .put("app_id", m.app_id)
                .put("data", m.data.gpsd());
            if m.msg_type == 26 {
                o.put("radio", m.radio);
            }
        }
        AisMessage::ClassAPosition(m) => {
            o.put("status", m.status)
                .put("status_text", NAV_STATUS[usize::from(m.status & 0x0f)])
                .put("turn", m.turn)
                .put("speed", m.speed)
                .put("accuracy", m.accuracy)
                .put("lon", m.lon)
                .put("lat", m.lat)
                .put("course", m.course)
                .put("heading", m.heading)
                .put("second", m.second)
                .put("maneuver", m.maneuver)
                .put("raim", m.raim)
                .put("radio", m.radio);
        }
        AisMessage::BaseStation(m) => {
            o.put(
                "timestamp",
                format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                    m.year, m.month, m.day, m.hour, m.minute, m.second
                ),
            )
            .put("accuracy", m.accuracy)
            .put("lon", m.lon)
            .put("lat", m.lat)
            .put("epfd", m.epfd)
            .put("epfd_text", epfd_text(m.epfd))
            .put("raim", m.raim)
            .put("radio", m.radio);
        }
        AisMessage::StaticVoyage(m) => {
            let d = &m.data;
            o.put("imo", d.imo)
                .put("ais_version", m.ais_version)
                .put("callsign", d.callsign.as_str())
                .put("shipname", d.shipname.as_str())
                .put("shiptype", d.shiptype)
                .put("shiptype_text", shiptype_text(d.shiptype))
                .put("to_bow", d.to_bow)
                .put("to_stern", d.to_stern)
                .put("to_port", d.to_port)
                .put("to_starboard", d.to_starboard)
                .put("epfd", m.epfd)
                .put("epfd_text", epfd_text(m.epfd))
                .put(
                    "eta",
                    format!(
                        "{:02}-{:02}T{:02}:{:02}Z",
                        m.eta_month, m.eta_day, m.eta_hour, m.eta_minute
                    ),
                )
                .put("draught", d.draught_dm)
                .put("destination", d.destination.as_str())
                .put("dte", u8::from(m.dte));
        }
        AisMessage::SarAircraft(m) => {
            o.put("alt", m.alt)
                .put("speed", m.speed)
                .put("accuracy", m.accuracy)
                .put("lon", m.lon)
                .put("lat", m.lat)
                .put("course", m.course)
                .put("second", m.second)
                .put("regional", m.regional)
                .put("dte", u8::from(m.dte))
                .put("raim", m.raim)
                .put("radio", m.radio);
        }
        AisMessage::ClassBPosition(m) => {
            o.put("reserved", m.reserved)
                .put("speed", m.speed)
                .put("accuracy", m.accuracy)
                .put("lon", m.lon)
                .put("lat", m.lat)
                .put("course", m.course)
                .put("heading", m.heading)
                .put("second", m.second)
                .put("regional", m.regional)
                .put("cs", m.cs)
                .put("display", m.display)
                .put("dsc", m.dsc)
                .put("band", m.band)
                .put("msg22", m.msg22)
                .put("raim", m.raim)
                .put("radio", m.radio);
        }
        AisMessage::ClassBExtended(m) => {
            o.put("reserved", m.reserved)
                .put("speed", m.speed)
                .put("accuracy", m.accuracy)
                .put("lon", m.lon)
                .put("lat", m.lat)
                .put("course", m.course)
                .put("heading", m.heading)
                .put("second", m.second)
                .put("regional", m.regional)
                .put("shipname", m.shipname.as_str())
                .put("shiptype", m.shiptype)
                .put("shiptype_text", shiptype_text(m.shiptype))
                .put("to_bow", m.to_bow)
                .put("to_stern", m.to_stern)
                .put("to_port", m.to_port)
                .put("to_starboard", m.to_starboard)
                .put("epfd", m.epfd)
                .put("epfd_text", epfd_text(m.epfd))
                .put("raim", m.raim)
                .put("dte", u8::from(m.dte))
                .put("assigned", m.assigned);
        }
        AisMessage::AidToNavigation(m) => {
            o.put("aid_type", m.aid_type)
                .put(
                    "aid_type_text",
                    AID_TYPE[usize::from(m.aid_type) % AID_TYPE.len()],
                )
                .put("name", m.name.as_str())
                .put("accuracy", m.accuracy)
                .put("lon", m.lon)
                .put("lat", m.lat)
                .put("to_bow", m.to_bow)
                .put("to_stern", m.to_stern)
                .put("to_port", m.to_port)
                .put("to_starboard", m.to_starboard)
                .put("epfd", m.epfd)
                .put("epfd_text", epfd_text(m.epfd))
                .put("second", m.second)
                .put("regional", m.regional)
                .put("off_position", m.off_position)
                .put("raim", m.raim)
                .put("virtual_aid", m.virtual_aid);
        }
        AisMessage::StaticData(m) => match &m.part {
            StaticDataPart::A { shipname } => {
                o.put("shipname", shipname.as_str());
            }
            b => put_part_b(&mut o, b),
        },
        AisMessage::LongRange(m) => {
            o.put("status", m.status)
                .put("accuracy", m.accuracy)
                .put("lon", m.lon)
                .put("lat", m.lat)
                .put("speed", m.speed)
                .put("course", m.course)
                .put("raim", m.raim)
                .put("gnss", m.gnss);
        }
    }
    o.render()
}

/// Pending type 24 part A names kept by [`GpsdJsonWriter`].
const MAX_PENDING_24A: usize = 1024;

/// gpsd's output rules over a message stream: a type 24 part A is held until the
/// part B of the same MMSI arrives and both are written as one object; a part B
/// without its part A is dropped.
#[derive(Default)]
pub struct GpsdJsonWriter {
    names: HashMap<u32, String>,
    order: VecDeque<u32>,
}

impl GpsdJsonWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The JSON line for `msg`, or `None` when gpsd would write nothing for it.
    pub fn write(&mut self, msg: &AisMessage) -> Option<String> {
        let mut out = String::with_capacity(384);
        self.write_into(msg, &mut out).then_some(out)
    }

    /// [`GpsdJsonWriter::write`] into `out` (replacing its content, reusing its
    /// allocation); false, with `out` empty, when gpsd would write nothing.
    pub fn write_into(&mut self, msg: &AisMessage, out: &mut String) -> bool {
        let buf = std::mem::take(out);
        match self.render(msg, buf) {
            Rendered::Object(s) => {
                *out = s;
                true
            }
            Rendered::Nothing(mut buf) => {
                buf.clear();
                *out = buf;
                false
            }
        }
    }

    /// The object in `buf`, or `buf` back when there is none.
    fn render(&mut self, msg: &AisMessage, buf: String) -> Rendered {
        let AisMessage::StaticData(m) = msg else {
            return Rendered::Object(gpsd_json_in(msg, buf));
        };
        match &m.part {
            StaticDataPart::A { shipname } => {
                if self.names.insert(m.mmsi, shipname.clone()).is_none() {
                    self.order.push_back(m.mmsi);
                }
                while self.names.len() > MAX_PENDING_24A {
                    let Some(old) = self.order.pop_front() else {
                        break;
                    };
                    self.names.remove(&old);
                }
                Rendered::Nothing(buf)
            }
            b => {
                let Some(name) = self.names.remove(&m.mmsi) else {
                    return Rendered::Nothing(buf);
                };
                self.order.retain(|x| *x != m.mmsi);
                let mut o = header(msg, buf);
                o.put("shipname", name);
                put_part_b(&mut o, b);
                Rendered::Object(o.render())
            }
        }
    }
}

/// What `GpsdJsonWriter::render` made of a message: an object, or none (a type 24
/// part A held for its part B), the buffer handed back for reuse.
enum Rendered {
    Object(String),
    Nothing(String),
}
