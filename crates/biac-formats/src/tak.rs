//! TAK protocol version 1: CoT events as protobuf, in stream framing (TCP:
//! `0xbf`, varint length, message) or mesh framing (UDP: `0xbf 0x01 0xbf`, message).
//!
//! The messages are declared by hand with `prost` derives from the published
//! field numbers; `proto/takproto_v1.proto` is the same schema as a `.proto` file
//! (no protoc or build script). [`proto::CotEvent`] carries the marking fields `caveat`
//! (16) and `releaseableTo` (17).
//!
//! XML ⇄ protobuf follows TAK's conversion rules: the event attributes and
//! `<point>` map to `CotEvent` fields, times to milliseconds since the epoch, and
//! the `<detail>` children that have a typed message (`contact`, `__group`,
//! `precisionlocation`, `status`, `takv`, `track`) go to it and leave `xmlDetail`;
//! every other child stays in `xmlDetail` as XML, verbatim. A typed child moves
//! only when nothing would be lost: it is the first of its name, has no content,
//! and has only the attributes its message holds, each non-empty and well-formed
//! (so `<contact callsign="A" phone="1"/>` stays XML). Decoders never panic.

use prost::Message;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::cot::{self, format_time};
use crate::Fault;

/// Largest TAK message accepted in either framing (bytes of protobuf).
pub const MAX_MESSAGE_LEN: usize = 1 << 20;
/// Stream framing magic byte.
pub const MAGIC: u8 = 0xbf;
/// Mesh framing header for protocol version 1.
pub const MESH_HEADER: [u8; 3] = [0xbf, 0x01, 0xbf];

/// The protobuf messages (package `atakmap.commoncommo.protobuf.v1`).
pub mod proto {
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct TakMessage {
        #[prost(message, optional, tag = "1")]
        pub tak_control: Option<TakControl>,
        #[prost(message, optional, tag = "2")]
        pub cot_event: Option<CotEvent>,
    }

    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct TakControl {
        #[prost(uint32, tag = "1")]
        pub min_proto_version: u32,
        #[prost(uint32, tag = "2")]
        pub max_proto_version: u32,
        #[prost(string, tag = "3")]
        pub contact_uid: String,
    }

    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct CotEvent {
        #[prost(string, tag = "1")]
        pub r#type: String,
        #[prost(string, tag = "2")]
        pub access: String,
        #[prost(string, tag = "3")]
        pub qos: String,
        #[prost(string, tag = "4")]
        pub opex: String,
        #[prost(string, tag = "5")]
        pub uid: String,
        /// Milliseconds since the epoch (the XML `time`).
        #[prost(uint64, tag = "6")]
        pub send_time: u64,
        #[prost(uint64, tag = "7")]
        pub start_time: u64,
        #[prost(uint64, tag = "8")]
        pub stale_time: u64,
        #[prost(string, tag = "9")]
        pub how: String,
        #[prost(double, tag = "10")]
        pub lat: f64,
        #[prost(double, tag = "11")]
        pub lon: f64,
        #[prost(double, tag = "12")]
        pub hae: f64,
        #[prost(double, tag = "13")]
        pub ce: f64,
        #[prost(double, tag = "14")]
        pub le: f64,
        #[prost(message, optional, tag = "15")]
        pub detail: Option<Detail>,
        #[prost(string, tag = "16")]
        pub caveat: String,
        #[prost(string, tag = "17")]
        pub releaseable_to: String,
    }

    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Detail {
        #[prost(string, tag = "1")]
        pub xml_detail: String,
        #[prost(message, optional, tag = "2")]
        pub contact: Option<Contact>,
        #[prost(message, optional, tag = "3")]
        pub group: Option<Group>,
        #[prost(message, optional, tag = "4")]
        pub precision_location: Option<PrecisionLocation>,
        #[prost(message, optional, tag = "5")]
        pub status: Option<Status>,
        #[prost(message, optional, tag = "6")]
        pub takv: Option<Takv>,
        #[prost(message, optional, tag = "7")]
        pub track: Option<Track>,
    }

    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Contact {
        #[prost(string, tag = "1")]
        pub endpoint: String,
        #[prost(string, tag = "2")]
        pub callsign: String,
    }

    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Group {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(string, tag = "2")]
        pub role: String,
    }

    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct PrecisionLocation {
        #[prost(string, tag = "1")]
        pub geopointsrc: String,
        #[prost(string, tag = "2")]
        pub altsrc: String,
    }

    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Status {
        #[prost(uint32, tag = "1")]
        pub battery: u32,
    }

    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Takv {
        #[prost(string, tag = "1")]
        pub device: String,
        #[prost(string, tag = "2")]
        pub platform: String,
        #[prost(string, tag = "3")]
        pub os: String,
        #[prost(string, tag = "4")]
        pub version: String,
    }

    #[derive(Clone, PartialEq, ::prost::Message)]
    pub struct Track {
        #[prost(double, tag = "1")]
        pub speed: f64,
        #[prost(double, tag = "2")]
        pub course: f64,
    }
}

pub use proto::TakMessage;

// ---------------------------------------------------------------------------
// Framing

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A message in stream framing: `0xbf`, varint length, protobuf.
pub fn encode_stream(msg: &TakMessage) -> Vec<u8> {
    let body = msg.encode_to_vec();
    let mut out = Vec::with_capacity(body.len() + 6);
    out.push(MAGIC);
    put_varint(&mut out, body.len() as u64);
    out.extend_from_slice(&body);
    out
}

/// A message in mesh framing: `0xbf 0x01 0xbf`, protobuf.
pub fn encode_mesh(msg: &TakMessage) -> Vec<u8> {
    let body = msg.encode_to_vec();
    let mut out = Vec::with_capacity(body.len() + 3);
    out.extend_from_slice(&MESH_HEADER);
    out.extend_from_slice(&body);
    out
}

/// Decode one mesh (UDP) datagram.
pub fn decode_mesh(datagram: &[u8]) -> Result<TakMessage, Fault> {
    match datagram {
        [MAGIC, 1, MAGIC, body @ ..] => {
            if body.len() > MAX_MESSAGE_LEN {
                return Err(Fault::Syntax(format!(
                    "message of {} bytes exceeds {MAX_MESSAGE_LEN}",
                    body.len()
                )));
            }
            TakMessage::decode(body).map_err(|e| Fault::Encoding(format!("bad TAK protobuf: {e}")))
        }
        [MAGIC, v, MAGIC, ..] => Err(Fault::Unsupported(format!(
            "unsupported TAK protocol version {v}"
        ))),
        _ => Err(Fault::Syntax(
            "not a TAK mesh message (header is not 0xbf 0x01 0xbf)".into(),
        )),
    }
}

/// The longest stream-frame header: `0xbf` and a 10-byte varint length.
pub const MAX_STREAM_HEADER: usize = 11;

/// The header of the stream frame at the start of `buf`: `Ok(None)` when more bytes are
/// needed, else (header length, declared body length). Shared by [`decode_stream`] and
/// the feed framer, so both split a stream alike.
pub fn stream_header(buf: &[u8]) -> Result<Option<(usize, u64)>, Fault> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    if first != MAGIC {
        return Err(Fault::Syntax(format!(
            "stream frame starts with 0x{first:02x}, not 0xbf"
        )));
    }
    let mut len: u64 = 0;
    let mut i = 1;
    loop {
        let Some(&b) = buf.get(i) else {
            return Ok(None);
        };
        if i >= MAX_STREAM_HEADER {
            return Err(Fault::Syntax(
                "frame length varint longer than 10 bytes".into(),
            ));
        }
        len |= u64::from(b & 0x7f) << (7 * (i - 1));
        i += 1;
        if b & 0x80 == 0 {
            return Ok(Some((i, len)));
        }
    }
}

/// One frame at the start of `buf` in stream framing: `Ok(None)` when more bytes
/// are needed, else the message and the bytes it took.
pub fn decode_stream(buf: &[u8]) -> Result<Option<(TakMessage, usize)>, Fault> {
    let Some((i, len)) = stream_header(buf)? else {
        return Ok(None);
    };
    let len = usize::try_from(len)
        .ok()
        .filter(|&l| l <= MAX_MESSAGE_LEN)
        .ok_or_else(|| Fault::Syntax(format!("frame of {len} bytes exceeds {MAX_MESSAGE_LEN}")))?;
    let Some(body) = buf.get(i..i + len) else {
        return Ok(None);
    };
    let msg =
        TakMessage::decode(body).map_err(|e| Fault::Encoding(format!("bad TAK protobuf: {e}")))?;
    Ok(Some((msg, i + len)))
}

/// Splits a TCP byte stream into TAK messages (stream framing).
#[derive(Default)]
pub struct StreamDecoder {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already consumed (dropped in bulk, so a large
    /// push costs O(bytes), not O(bytes x messages)).
    head: usize,
}

impl StreamDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.head > 0 && self.head * 2 >= self.buf.len() {
            self.buf.drain(..self.head);
            self.head = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered and not yet decoded.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.head
    }

    /// The next complete message; `Ok(None)` when more bytes are needed. After an
    /// error the buffer is resynchronised at the next `0xbf`, so the stream goes on.
    pub fn next_message(&mut self) -> Result<Option<TakMessage>, Fault> {
        let buf = &self.buf[self.head..];
        match decode_stream(buf) {
            Ok(Some((msg, used))) => {
                self.head += used;
                Ok(Some(msg))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                let skip = buf
                    .iter()
                    .skip(1)
                    .position(|&b| b == MAGIC)
                    .map_or(buf.len(), |p| p + 1);
                self.head += skip;
                Err(e)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// XML -> protobuf

const TYPED: [&str; 6] = [
    "contact",
    "__group",
    "precisionlocation",
    "status",
    "takv",
    "track",
];

/// Attributes of an element as (name, unescaped value).
fn attributes(e: &BytesStart) -> Result<Vec<(String, String)>, Fault> {
    e.attributes()
        .map(|a| {
            let a = a.map_err(|e| Fault::Syntax(format!("malformed attribute: {e}")))?;
            let v = a
                .unescape_value()
                .map_err(|e| Fault::Encoding(format!("bad attribute value: {e}")))?;
            Ok((
                String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                v.into_owned(),
            ))
        })
        .collect()
}

/// A `<detail>` child: its name, attributes, whether it has content, its bytes.
struct Child {
    name: String,
    attrs: Vec<(String, String)>,
    has_content: bool,
    span: (usize, usize),
}

/// Attributes of `<event>` and `<point>`, and the children and text of `<detail>`.
#[derive(Default)]
struct RawEvent {
    event: Vec<(String, String)>,
    point: Vec<(String, String)>,
    children: Vec<Child>,
    /// Non-whitespace text directly inside `<detail>`, with its position.
    texts: Vec<(usize, usize)>,
}

fn scan(xml: &[u8]) -> Result<RawEvent, Fault> {
    let mut reader = Reader::from_reader(xml);
    let mut raw = RawEvent::default();
    // Depth of the element stack; detail_depth is the depth inside <detail>.
    let mut depth = 0usize;
    let mut in_detail = false;
    let mut child: Option<Child> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let ev = reader
            .read_event()
            .map_err(|e| Fault::Syntax(format!("malformed XML: {e}")))?;
        let after = reader.buffer_position() as usize;
        match ev {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_start = matches!(ev, Event::Start(_));
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                match (depth, in_detail) {
                    (0, _) => raw.event = attributes(e)?,
                    (1, _) if name == "point" => raw.point = attributes(e)?,
                    (1, _) if name == "detail" => in_detail = is_start,
                    (2, true) => {
                        let c = Child {
                            name,
                            attrs: attributes(e)?,
                            has_content: false,
                            span: (before, after),
                        };
                        if is_start {
                            child = Some(c);
                        } else {
                            raw.children.push(c);
                        }
                    }
                    (_, true) => {
                        if let Some(c) = child.as_mut() {
                            c.has_content = true;
                        }
                    }
                    _ => {}
                }
                if is_start {
                    depth += 1;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                match (depth, in_detail) {
                    (2, true) => {
                        if let Some(mut c) = child.take() {
                            c.span.1 = after;
                            raw.children.push(c);
                        }
                    }
                    (1, true) => in_detail = false,
                    _ => {}
                }
            }
            Event::Text(t) if in_detail => {
                let blank = t.iter().all(u8::is_ascii_whitespace);
                if depth == 2 && !blank {
                    raw.texts.push((before, after));
                } else if let Some(c) = child.as_mut() {
                    c.has_content |= !blank;
                }
            }
            Event::CData(_) | Event::GeneralRef(_) if in_detail => {
                if depth == 2 {
                    raw.texts.push((before, after));
                } else if let Some(c) = child.as_mut() {
                    c.has_content = true;
                }
            }
            _ => {}
        }
    }
    Ok(raw)
}

fn get<'a>(attrs: &'a [(String, String)], key: &str) -> &'a str {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// The typed message for a child, if it can hold all of it.
fn typed_child(c: &Child, d: &mut proto::Detail) -> bool {
    let known: &[&str] = match c.name.as_str() {
        "contact" => &["endpoint", "callsign"],
        "__group" => &["name", "role"],
        "precisionlocation" => &["geopointsrc", "altsrc"],
        "status" => &["battery"],
        "takv" => &["device", "platform", "os", "version"],
        "track" => &["speed", "course"],
        _ => return false,
    };
    if c.has_content
        || c.attrs.is_empty()
        || c.attrs
            .iter()
            .any(|(k, v)| !known.contains(&k.as_str()) || v.is_empty())
    {
        return false;
    }
    let a = &c.attrs;
    let s = |k: &str| get(a, k).to_string();
    match c.name.as_str() {
        "contact" if d.contact.is_none() => {
            d.contact = Some(proto::Contact {
                endpoint: s("endpoint"),
                callsign: s("callsign"),
            })
        }
        "__group" if d.group.is_none() => {
            d.group = Some(proto::Group {
                name: s("name"),
                role: s("role"),
            })
        }
        "precisionlocation" if d.precision_location.is_none() => {
            d.precision_location = Some(proto::PrecisionLocation {
                geopointsrc: s("geopointsrc"),
                altsrc: s("altsrc"),
            })
        }
        "status" if d.status.is_none() => match get(a, "battery").trim().parse::<u32>() {
            Ok(battery) => d.status = Some(proto::Status { battery }),
            Err(_) => return false,
        },
        "takv" if d.takv.is_none() => {
            d.takv = Some(proto::Takv {
                device: s("device"),
                platform: s("platform"),
                os: s("os"),
                version: s("version"),
            })
        }
        "track" if d.track.is_none() => {
            let num = |k: &str| -> Option<f64> {
                let v = get(a, k);
                if v.is_empty() {
                    return Some(0.0);
                }
                v.trim().parse::<f64>().ok().filter(|x| x.is_finite())
            };
            match (num("speed"), num("course")) {
                (Some(speed), Some(course)) => d.track = Some(proto::Track { speed, course }),
                _ => return false,
            }
        }
        _ => return false,
    }
    true
}

fn ms(t: i64) -> u64 {
    u64::try_from(t).unwrap_or(0)
}

/// Convert a CoT XML `<event>` to a TAK message. The event is validated as
/// [`cot::parse_event`] validates it.
pub fn xml_to_proto(xml: &[u8]) -> Result<TakMessage, Fault> {
    let ev = cot::parse_event(xml)?;
    let raw = scan(xml)?;
    let num = |key: &str| -> f64 {
        let v = get(&raw.point, key);
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .unwrap_or(0.0)
    };
    let mut detail = proto::Detail::default();
    let mut pieces: Vec<(usize, usize)> = raw.texts.clone();
    for c in &raw.children {
        if !(TYPED.contains(&c.name.as_str()) && typed_child(c, &mut detail)) {
            pieces.push(c.span);
        }
    }
    pieces.sort_unstable();
    for (from, to) in pieces {
        let piece = xml
            .get(from..to)
            .and_then(|b| std::str::from_utf8(b).ok())
            .ok_or_else(|| Fault::Encoding("detail is not UTF-8".into()))?;
        detail.xml_detail.push_str(piece);
    }
    let e = |k: &str| get(&raw.event, k).to_string();
    let releaseable_to = match get(&raw.event, "releasableTo") {
        "" => e("releaseableTo"),
        v => v.to_string(),
    };
    Ok(TakMessage {
        tak_control: None,
        cot_event: Some(proto::CotEvent {
            r#type: ev.cot_type,
            access: e("access"),
            qos: e("qos"),
            opex: e("opex"),
            uid: ev.uid,
            send_time: ms(ev.time_ms),
            start_time: ms(ev.start_ms),
            stale_time: ms(ev.stale_ms),
            how: ev.how,
            lat: num("lat"),
            lon: num("lon"),
            hae: num("hae"),
            ce: num("ce"),
            le: num("le"),
            detail: (detail != proto::Detail::default()).then_some(detail),
            caveat: e("caveat"),
            releaseable_to,
        }),
    })
}

// ---------------------------------------------------------------------------
// protobuf -> XML

fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// ` key="value"` for each non-empty value.
fn attrs_xml(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!(r#" {k}="{}""#, esc(v)))
        .collect()
}

/// Convert a TAK message to a CoT XML `<event>`. The result is checked by parsing
/// it back ([`cot::parse_event`]), so a message whose `xmlDetail` is not
/// well-formed XML, or whose event lacks what CoT requires, is an error.
pub fn proto_to_xml(msg: &TakMessage) -> Result<String, Fault> {
    let ev = msg
        .cot_event
        .as_ref()
        .ok_or_else(|| Fault::field("cotEvent", "TAK message without a cotEvent"))?;
    let t = |v: u64| format_time(i64::try_from(v).unwrap_or(i64::MAX));
    let mut s = format!(
        r#"<event version="2.0" uid="{}" type="{}" how="{}" time="{}" start="{}" stale="{}""#,
        esc(&ev.uid),
        esc(&ev.r#type),
        esc(&ev.how),
        t(ev.send_time),
        t(ev.start_time),
        t(ev.stale_time),
    );
    s.push_str(&attrs_xml(&[
        ("access", &ev.access),
        ("qos", &ev.qos),
        ("opex", &ev.opex),
        ("caveat", &ev.caveat),
        ("releasableTo", &ev.releaseable_to),
    ]));
    s.push_str(&format!(
        r#"><point lat="{}" lon="{}" hae="{}" ce="{}" le="{}"/>"#,
        ev.lat, ev.lon, ev.hae, ev.ce, ev.le
    ));
    if let Some(d) = &ev.detail {
        s.push_str("<detail>");
        if let Some(c) = &d.contact {
            s.push_str(&format!(
                "<contact{}/>",
                attrs_xml(&[("endpoint", &c.endpoint), ("callsign", &c.callsign)])
            ));
        }
        if let Some(g) = &d.group {
            s.push_str(&format!(
                "<__group{}/>",
                attrs_xml(&[("name", &g.name), ("role", &g.role)])
            ));
        }
        if let Some(p) = &d.precision_location {
            s.push_str(&format!(
                "<precisionlocation{}/>",
                attrs_xml(&[("geopointsrc", &p.geopointsrc), ("altsrc", &p.altsrc)])
            ));
        }
        if let Some(st) = &d.status {
            s.push_str(&format!(r#"<status battery="{}"/>"#, st.battery));
        }
        if let Some(v) = &d.takv {
            s.push_str(&format!(
                "<takv{}/>",
                attrs_xml(&[
                    ("device", &v.device),
                    ("platform", &v.platform),
                    ("os", &v.os),
                    ("version", &v.version),
                ])
            ));
        }
        if let Some(tr) = &d.track {
            s.push_str(&format!(
                r#"<track speed="{}" course="{}"/>"#,
                tr.speed, tr.course
            ));
        }
        s.push_str(&d.xml_detail);
        s.push_str("</detail>");
    }
    s.push_str("</event>");
    cot::parse_event(s.as_bytes()).map_err(|e| e.context("TAK message is not a valid event"))?;
    Ok(s)
}

/// A TAK message as our [`cot::CotEvent`].
pub fn to_cot_event(msg: &TakMessage) -> Result<cot::CotEvent, Fault> {
    cot::parse_event(proto_to_xml(msg)?.as_bytes())
}

#[cfg(test)]
mod tests;
