//! gpsd's unscaled AIS JSON (`gpsdecode -u -j`), for conformance checks against
//! gpsd's regression data and for tools that speak gpsd's format.
//!
//! Keys are written in gpsd's order. The legend texts are the standard ITU-R
//! M.1371 descriptions as gpsd words them.

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

use super::message::{AisMessage, StaticDataPart, StaticDataReference};

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
        59 => "Noncombatant ship according to RR Resolution No. 18".into(),
        20..=99 => format!("{category} - {}", sub(d)),
        _ => "Reserved for future use".into(),
    }
}

/// An object whose keys keep insertion order.
#[derive(Default)]
struct Obj(Vec<(&'static str, Value)>);

impl Obj {
    fn put(&mut self, key: &'static str, v: impl Into<Value>) -> &mut Self {
        self.0.push((key, v.into()));
        self
    }

    fn render(&self) -> String {
        let fields: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}:{}",
                    Value::from(*k),
                    serde_json::to_string(v).unwrap_or_default()
                )
            })
            .collect();
        format!("{{{}}}", fields.join(","))
    }
}

fn header(msg: &AisMessage) -> Obj {
    let mut o = Obj::default();
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

/// One message as gpsd's unscaled JSON object (without gpsd's `device` key).
/// Type 24 parts are written singly; [`GpsdJsonWriter`] merges them as gpsd does.
pub fn gpsd_json(msg: &AisMessage) -> String {
    let mut o = header(msg);
    match msg {
        // gpsd decodes these; we emit the common header only until we do too.
        AisMessage::Other { .. } => {}
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
        let AisMessage::StaticData(m) = msg else {
            return Some(gpsd_json(msg));
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
                None
            }
            b => {
                let name = self.names.remove(&m.mmsi)?;
                self.order.retain(|x| *x != m.mmsi);
                let mut o = header(msg);
                o.put("shipname", name);
                put_part_b(&mut o, b);
                Some(o.render())
            }
        }
    }
}
