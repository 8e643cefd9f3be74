//! Cursor-on-Target XML events (MITRE base schema, as TAK uses it).
//!
//! Markings: TAK carries `access`, `caveat` and `releasableTo` as attributes of
//! `<event>` (ATAK's protobuf spells the last `releaseableTo`, and that spelling is
//! accepted too). `access="Undefined"` is TAK's default and means "no marking".
//! biac writes the whole label into them (`caveat`: categories and dissemination
//! controls) and reads a trusted feed's marking only as a restriction of the feed's
//! own label.

use crate::Fault;
use biac_model::{
    Affiliation, Classification, Domain, FeedConfig, Identity, Label, Nation, NationSet,
    Observation, ObservationKind, Position, TimeMs, Velocity,
};
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The schema's "unknown" for `hae`, `ce` and `le`.
pub const UNKNOWN: f64 = 9_999_999.0;
/// Longest uid accepted (TAK uids are UUIDs or `ANDROID-<hex>`).
pub const MAX_UID_LEN: usize = 256;
const MAX_TYPE_LEN: usize = 64;
const MAX_ATTR_LEN: usize = 256;
/// Ratio of the 90% circular error to the per-axis sigma of a circular normal:
/// sqrt(-2 ln 0.1).
const CE90_PER_SIGMA: f64 = 2.146;
/// Sigma used when `ce` is unknown.
const UNKNOWN_CE_SIGMA_M: f64 = 1000.0;
/// A stated `ce` of 0 is not believed: fusion needs a positive variance.
const MIN_SIGMA_M: f64 = 1.0;
/// `<track>` states no accuracy; 2 m/s one-sigma per axis is a middle ground between
/// a GNSS-fed blue-force report and a tracker's smoothed estimate.
const VEL_SIGMA_MPS: f64 = 2.0;

/// A CoT event. `detail` is kept as raw XML (its inner content).
#[derive(Clone, Debug, PartialEq)]
pub struct CotEvent {
    pub uid: String,
    /// e.g. `a-h-S`, `a-u-A`.
    pub cot_type: String,
    /// e.g. `m-r`, `m-f`, `h-e`.
    pub how: String,
    pub time_ms: i64,
    pub start_ms: i64,
    pub stale_ms: i64,
    pub lat: f64,
    pub lon: f64,
    /// Height above ellipsoid, metres (9999999.0 = unknown, per the schema).
    pub hae: f64,
    /// Circular error, metres (9999999.0 = unknown).
    pub ce: f64,
    pub le: f64,
    /// Course (degrees) and speed (m/s) from `<track>`, when present.
    pub course_deg: Option<f64>,
    pub speed_mps: Option<f64>,
    /// `<contact callsign=...>`.
    pub callsign: Option<String>,
    /// Event-level `access` attribute and `caveat` / `releasableTo` markings.
    pub access: Option<String>,
    pub caveat: Option<String>,
    pub releasable_to: Option<String>,
    /// Detail XML children other than the typed ones, kept verbatim.
    pub extra_detail: String,
}

/// Attribute value, unescaped, printable and bounded.
fn text_attr(a: &Attribute, what: &'static str, max: usize) -> Result<String, Fault> {
    let v = a
        .unescape_value()
        .map_err(|e| Fault::Encoding(format!("attribute {what}: {e}")))?;
    if v.chars().count() > max {
        return Err(Fault::field(
            what,
            format!("attribute {what} longer than {max} characters"),
        ));
    }
    if let Some(c) = v.chars().find(|c| c.is_control()) {
        return Err(Fault::field(
            what,
            format!("attribute {what} contains control character {c:?}"),
        ));
    }
    Ok(v.into_owned())
}

fn num_attr(a: &Attribute, what: &'static str) -> Result<f64, Fault> {
    let v = text_attr(a, what, 64)?;
    let x: f64 = v
        .trim()
        .parse()
        .map_err(|_| Fault::field(what, format!("{what} {v:?} is not a number")))?;
    if !x.is_finite() {
        return Err(Fault::field(what, format!("{what} {v:?} is not finite")));
    }
    Ok(x)
}

fn time_attr(a: &Attribute, what: &'static str) -> Result<i64, Fault> {
    let v = text_attr(a, what, 64)?;
    let t = OffsetDateTime::parse(&v, &Rfc3339)
        .map_err(|e| Fault::field(what, format!("{what} {v:?} is not an RFC 3339 time: {e}")))?;
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000))
        .map_err(|_| Fault::field(what, format!("{what} {v:?} out of range")))
}

/// Each attribute of `e` with its local name; duplicates are an error.
fn attrs<'a>(e: &'a BytesStart<'a>) -> Result<Vec<(String, Attribute<'a>)>, Fault> {
    e.attributes()
        .map(|a| {
            let a = a.map_err(|e| Fault::Syntax(format!("malformed attribute: {e}")))?;
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            Ok((key, a))
        })
        .collect()
}

fn check_type(t: &str) -> Result<(), Fault> {
    if t.is_empty() || t.len() > MAX_TYPE_LEN {
        return Err(Fault::field(
            "type",
            format!("type must be 1..{MAX_TYPE_LEN} characters"),
        ));
    }
    if !t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(Fault::field(
            "type",
            format!("type {t:?} has characters outside letters, digits, '-'"),
        ));
    }
    Ok(())
}

/// Where the parser is within the event.
#[derive(Clone, Copy)]
enum State {
    Before,
    InEvent,
    /// Inside an element of `<event>` whose content is not used (`point`'s, or one
    /// the schema does not define), `n` levels deep.
    Skip(usize),
    InDetail,
    /// Inside a child of `<detail>` that started at byte `start`, `depth` levels deep.
    DetailChild {
        depth: usize,
        start: usize,
        typed: bool,
    },
    After,
}

/// Parse one `<event>` element.
pub fn parse_event(xml: &[u8]) -> Result<CotEvent, Fault> {
    // Declarations are how XXE and entity-expansion attacks arrive; CoT never needs
    // them. quick-xml expands none, and the parser refuses any it meets: a DOCTYPE
    // (where entity declarations live) below, a bare `<!ENTITY` as malformed markup.
    // The words inside a comment or CDATA section are text, not declarations.
    let mut reader = Reader::from_reader(xml);
    let mut ev = Partial::default();
    let mut state = State::Before;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            Fault::Syntax(format!(
                "malformed XML at byte {}: {e}",
                reader.error_position()
            ))
        })?;
        let after = reader.buffer_position() as usize;
        let span = (before, after);
        state = match event {
            Event::Eof => break,
            Event::DocType(_) => {
                return Err(Fault::Unsupported(
                    "DOCTYPE declarations are not accepted".into(),
                ))
            }
            Event::Start(e) => ev.open(state, &e, true, span, xml)?,
            Event::Empty(e) => ev.open(state, &e, false, span, xml)?,
            Event::End(_) => ev.close(state, after, xml)?,
            Event::Text(t) => ev.text(state, t.iter().all(u8::is_ascii_whitespace), span, xml)?,
            Event::GeneralRef(_) | Event::CData(_) => ev.text(state, false, span, xml)?,
            // Declaration, comments, processing instructions.
            _ => state,
        };
    }
    match state {
        State::After => ev.finish(),
        State::Before => Err(Fault::Syntax("no <event> element".into())),
        _ => Err(Fault::Truncated(
            "truncated event: missing closing tags".into(),
        )),
    }
}

fn slice(xml: &[u8], (from, to): (usize, usize)) -> Result<&str, Fault> {
    xml.get(from..to)
        .and_then(|b| std::str::from_utf8(b).ok())
        .ok_or_else(|| Fault::Encoding("detail is not UTF-8".into()))
}

#[derive(Default)]
struct Partial {
    version: Option<String>,
    uid: Option<String>,
    cot_type: Option<String>,
    how: Option<String>,
    time_ms: Option<i64>,
    start_ms: Option<i64>,
    stale_ms: Option<i64>,
    access: Option<String>,
    caveat: Option<String>,
    releasable_to: Option<String>,
    point: Option<(f64, f64, f64, f64, f64)>,
    detail_seen: bool,
    callsign: Option<String>,
    course_deg: Option<f64>,
    speed_mps: Option<f64>,
    extra_detail: String,
}

impl Partial {
    fn open(
        &mut self,
        state: State,
        e: &BytesStart,
        is_start: bool,
        span: (usize, usize),
        xml: &[u8],
    ) -> Result<State, Fault> {
        let name = e.name();
        Ok(match state {
            State::Before => {
                if name.as_ref() != b"event" {
                    return Err(Fault::Syntax(format!(
                        "root element is <{}>, not <event>",
                        String::from_utf8_lossy(name.as_ref())
                    )));
                }
                self.event_attrs(e)?;
                if is_start {
                    State::InEvent
                } else {
                    State::After
                }
            }
            State::InEvent => {
                if name.as_ref() == b"detail" {
                    if self.detail_seen {
                        return Err(Fault::Syntax("more than one <detail>".into()));
                    }
                    self.detail_seen = true;
                    return Ok(if is_start {
                        State::InDetail
                    } else {
                        State::InEvent
                    });
                }
                if name.as_ref() == b"point" {
                    self.point_attrs(e)?;
                }
                // Anything else is not in the schema: skipped.
                if is_start {
                    State::Skip(1)
                } else {
                    State::InEvent
                }
            }
            State::Skip(n) => State::Skip(n + usize::from(is_start)),
            State::InDetail => {
                let typed = match name.as_ref() {
                    b"contact" if self.callsign.is_none() => self.contact(e)?,
                    b"track" if self.course_deg.is_none() && self.speed_mps.is_none() => {
                        self.track(e)?
                    }
                    _ => false,
                };
                if is_start {
                    State::DetailChild {
                        depth: 1,
                        start: span.0,
                        typed,
                    }
                } else {
                    if !typed {
                        self.extra_detail.push_str(slice(xml, span)?);
                    }
                    State::InDetail
                }
            }
            State::DetailChild {
                depth,
                start,
                typed,
            } => State::DetailChild {
                depth: depth + usize::from(is_start),
                start,
                typed,
            },
            State::After => return Err(Fault::Syntax("content after </event>".into())),
        })
    }

    fn close(&mut self, state: State, after: usize, xml: &[u8]) -> Result<State, Fault> {
        Ok(match state {
            State::Skip(1) => State::InEvent,
            State::Skip(n) => State::Skip(n - 1),
            State::DetailChild {
                depth: 1,
                start,
                typed,
            } => {
                if !typed {
                    self.extra_detail.push_str(slice(xml, (start, after))?);
                }
                State::InDetail
            }
            State::DetailChild {
                depth,
                start,
                typed,
            } => State::DetailChild {
                depth: depth - 1,
                start,
                typed,
            },
            State::InDetail => State::InEvent,
            State::InEvent => State::After,
            State::Before | State::After => {
                return Err(Fault::Syntax("unmatched closing tag".into()))
            }
        })
    }

    fn text(
        &mut self,
        state: State,
        whitespace: bool,
        span: (usize, usize),
        xml: &[u8],
    ) -> Result<State, Fault> {
        match state {
            // Text directly inside <detail> is kept; whitespace between children is not.
            State::InDetail if !whitespace => self.extra_detail.push_str(slice(xml, span)?),
            State::Before | State::InEvent | State::After if !whitespace => {
                return Err(Fault::Syntax(
                    "unexpected text outside the event's elements".into(),
                ))
            }
            _ => {}
        }
        Ok(state)
    }

    fn event_attrs(&mut self, e: &BytesStart) -> Result<(), Fault> {
        for (k, a) in attrs(e)? {
            match k.as_str() {
                "version" => self.version = Some(text_attr(&a, "version", 16)?),
                "uid" => self.uid = Some(text_attr(&a, "uid", MAX_UID_LEN)?),
                "type" => self.cot_type = Some(text_attr(&a, "type", MAX_TYPE_LEN)?),
                "how" => self.how = Some(text_attr(&a, "how", 32)?),
                "time" => self.time_ms = Some(time_attr(&a, "time")?),
                "start" => self.start_ms = Some(time_attr(&a, "start")?),
                "stale" => self.stale_ms = Some(time_attr(&a, "stale")?),
                "access" => self.access = Some(text_attr(&a, "access", MAX_ATTR_LEN)?),
                "caveat" => self.caveat = Some(text_attr(&a, "caveat", MAX_ATTR_LEN)?),
                "releasableTo" | "releaseableTo" => {
                    if self.releasable_to.is_some() {
                        return Err(Fault::field("releasableTo", "releasableTo given twice"));
                    }
                    self.releasable_to = Some(text_attr(&a, "releasableTo", MAX_ATTR_LEN)?)
                }
                // qos, opex and others: valid, unused.
                _ => {}
            }
        }
        Ok(())
    }

    fn point_attrs(&mut self, e: &BytesStart) -> Result<(), Fault> {
        if self.point.is_some() {
            return Err(Fault::Syntax("more than one <point>".into()));
        }
        let (mut lat, mut lon) = (None, None);
        let (mut hae, mut ce, mut le) = (UNKNOWN, UNKNOWN, UNKNOWN);
        for (k, a) in attrs(e)? {
            match k.as_str() {
                "lat" => lat = Some(num_attr(&a, "lat")?),
                "lon" => lon = Some(num_attr(&a, "lon")?),
                "hae" => hae = num_attr(&a, "hae")?,
                "ce" => ce = num_attr(&a, "ce")?,
                "le" => le = num_attr(&a, "le")?,
                _ => {}
            }
        }
        let lat = lat.ok_or_else(|| Fault::field("lat", "<point> without lat"))?;
        let lon = lon.ok_or_else(|| Fault::field("lon", "<point> without lon"))?;
        if !(-90.0..=90.0).contains(&lat) {
            return Err(Fault::field("lat", format!("lat {lat} outside [-90, 90]")));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(Fault::field(
                "lon",
                format!("lon {lon} outside [-180, 180]"),
            ));
        }
        if ce < 0.0 || le < 0.0 {
            return Err(Fault::field(
                if ce < 0.0 { "ce" } else { "le" },
                "negative ce or le",
            ));
        }
        self.point = Some((lat, lon, hae, ce, le));
        Ok(())
    }

    /// Takes the callsign; false (kept verbatim) when there is none.
    fn contact(&mut self, e: &BytesStart) -> Result<bool, Fault> {
        for (k, a) in attrs(e)? {
            if k == "callsign" {
                let c = text_attr(&a, "callsign", 128)?;
                self.callsign = Some(c).filter(|c| !c.is_empty());
            }
        }
        Ok(self.callsign.is_some())
    }

    /// Takes course and speed; false (kept verbatim) when it has neither.
    fn track(&mut self, e: &BytesStart) -> Result<bool, Fault> {
        for (k, a) in attrs(e)? {
            match k.as_str() {
                "course" => {
                    let c = num_attr(&a, "course")?;
                    if !(0.0..=360.0).contains(&c) {
                        return Err(Fault::field(
                            "course",
                            format!("track course {c} outside [0, 360]"),
                        ));
                    }
                    self.course_deg = Some(c);
                }
                "speed" => {
                    let s = num_attr(&a, "speed")?;
                    if s < 0.0 {
                        return Err(Fault::field(
                            "speed",
                            format!("track speed {s} is negative"),
                        ));
                    }
                    self.speed_mps = Some(s);
                }
                _ => {}
            }
        }
        Ok(self.course_deg.is_some() || self.speed_mps.is_some())
    }

    fn finish(self) -> Result<CotEvent, Fault> {
        if let Some(v) = &self.version {
            if v != "2.0" {
                return Err(Fault::Unsupported(format!("unsupported CoT version {v:?}")));
            }
        }
        let missing = |name: &'static str, what: &'static str| {
            move || Fault::field(name, format!("event without {what}"))
        };
        let uid = self.uid.ok_or_else(missing("uid", "uid"))?;
        if uid.trim().is_empty() {
            return Err(Fault::field("uid", "empty uid"));
        }
        let cot_type = self.cot_type.ok_or_else(missing("type", "type"))?;
        check_type(&cot_type)?;
        let how = self.how.ok_or_else(missing("how", "how"))?;
        let (lat, lon, hae, ce, le) = self.point.ok_or_else(missing("point", "<point>"))?;
        Ok(CotEvent {
            uid,
            cot_type,
            how,
            time_ms: self.time_ms.ok_or_else(missing("time", "time"))?,
            start_ms: self.start_ms.ok_or_else(missing("start", "start"))?,
            stale_ms: self.stale_ms.ok_or_else(missing("stale", "stale"))?,
            lat,
            lon,
            hae,
            ce,
            le,
            course_deg: self.course_deg,
            speed_mps: self.speed_mps,
            callsign: self.callsign,
            access: self.access,
            caveat: self.caveat,
            releasable_to: self.releasable_to,
            extra_detail: self.extra_detail,
        })
    }
}

/// `2024-01-01T12:00:00.000Z`.
pub(crate) fn format_time(ms: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// A number as CoT writes it: at most `places` decimals, trailing zeros dropped
/// (`10972.8`, `26.1234567`, `9999999`), so binary noise (`10972.800000000001`) never
/// reaches the wire. Places: 7 for latitude and longitude (~1 cm), 2 for metres,
/// degrees of course and m/s. A non-finite value is written as the schema's unknown.
pub fn decimal(v: f64, places: usize) -> String {
    if !v.is_finite() {
        return "9999999".into();
    }
    let mut t = format!("{v:.places$}");
    if t.contains('.') {
        let keep = t.trim_end_matches('0').trim_end_matches('.').len();
        t.truncate(keep);
    }
    if t == "-0" {
        t = "0".into();
    }
    t
}

/// `v` as [`decimal`] writes it and a reader parses it back: an event made of such
/// values reads back equal to itself.
fn written(v: f64, places: usize) -> f64 {
    decimal(v, places).parse().unwrap_or(v)
}

fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

impl CotEvent {
    /// A report of `uid` as `cot_type` at `lat`, `lon` at `time_ms`: how `m-g`, stale two
    /// minutes later, height and errors unknown, no detail, no marking; the `with_*`
    /// methods set the rest.
    pub fn new(
        uid: impl Into<String>,
        cot_type: impl Into<String>,
        time_ms: i64,
        lat: f64,
        lon: f64,
    ) -> CotEvent {
        CotEvent {
            uid: uid.into(),
            cot_type: cot_type.into(),
            how: "m-g".into(),
            time_ms,
            start_ms: time_ms,
            stale_ms: time_ms.saturating_add(120_000),
            lat,
            lon,
            hae: UNKNOWN,
            ce: UNKNOWN,
            le: UNKNOWN,
            course_deg: None,
            speed_mps: None,
            callsign: None,
            access: None,
            caveat: None,
            releasable_to: None,
            extra_detail: String::new(),
        }
    }

    pub fn with_how(mut self, how: impl Into<String>) -> Self {
        self.how = how.into();
        self
    }

    /// Stale `ms` after its time.
    pub fn with_stale_after(mut self, ms: i64) -> Self {
        self.stale_ms = self.time_ms.saturating_add(ms);
        self
    }

    pub fn with_hae(mut self, hae: f64) -> Self {
        self.hae = hae;
        self
    }

    /// Circular (`ce`) and linear (`le`) error, metres.
    pub fn with_errors(mut self, ce: f64, le: f64) -> Self {
        self.ce = ce;
        self.le = le;
        self
    }

    pub fn with_callsign(mut self, callsign: impl Into<String>) -> Self {
        self.callsign = Some(callsign.into());
        self
    }

    /// The `access` attribute and the `caveat` / `releasableTo` markings.
    pub fn with_marking(
        mut self,
        access: Option<&str>,
        caveat: Option<&str>,
        releasable_to: Option<&str>,
    ) -> Self {
        self.access = access.map(Into::into);
        self.caveat = caveat.map(Into::into);
        self.releasable_to = releasable_to.map(Into::into);
        self
    }

    /// Serialise as one XML `<event>` (with XML declaration omitted).
    ///
    /// `extra_detail` is written as it is: it must be well-formed XML (it is when it
    /// came from [`parse_event`]).
    pub fn to_xml(&self) -> String {
        let mut s = format!(
            r#"<event version="2.0" uid="{}" type="{}" how="{}" time="{}" start="{}" stale="{}""#,
            esc(&self.uid),
            esc(&self.cot_type),
            esc(&self.how),
            format_time(self.time_ms),
            format_time(self.start_ms),
            format_time(self.stale_ms),
        );
        for (k, v) in [
            ("access", &self.access),
            ("caveat", &self.caveat),
            ("releasableTo", &self.releasable_to),
        ] {
            if let Some(v) = v {
                s.push_str(&format!(r#" {k}="{}""#, esc(v)));
            }
        }
        s.push_str(&format!(
            r#"><point lat="{}" lon="{}" hae="{}" ce="{}" le="{}"/><detail>"#,
            decimal(self.lat, 7),
            decimal(self.lon, 7),
            decimal(self.hae, 2),
            decimal(self.ce, 2),
            decimal(self.le, 2)
        ));
        if let Some(c) = &self.callsign {
            s.push_str(&format!(r#"<contact callsign="{}"/>"#, esc(c)));
        }
        if self.course_deg.is_some() || self.speed_mps.is_some() {
            s.push_str("<track");
            if let Some(c) = self.course_deg {
                s.push_str(&format!(r#" course="{}""#, decimal(c, 2)));
            }
            if let Some(v) = self.speed_mps {
                s.push_str(&format!(r#" speed="{}""#, decimal(v, 2)));
            }
            s.push_str("/>");
        }
        s.push_str(&self.extra_detail);
        s.push_str("</detail></event>");
        s
    }

    /// The event carries a marking: `access` other than TAK's placeholder
    /// "Undefined", or a caveat, or a releasability list.
    pub fn has_marking(&self) -> bool {
        let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        let access = self
            .access
            .as_deref()
            .is_some_and(|a| !a.trim().is_empty() && a.trim() != "Undefined");
        access || given(&self.caveat) || given(&self.releasable_to)
    }

    /// The label its markings state, owned by `owner`: the marking
    /// `ACCESS//CAVEAT//REL TO RELEASABLETO` parsed strictly ([`Label::parse_marking`]).
    /// The classification word must be exact (`SECRET`); `caveat` holds every block of
    /// the marking between the level and REL TO — categories and dissemination
    /// controls, NOFORN included (`SI//ORCON//DISPLAY ONLY`); `releasableTo`
    /// (trigraphs separated by commas or spaces) must include the owner, as a REL TO
    /// list does.
    pub fn marking_label(&self, owner: Nation) -> Result<Label, Fault> {
        let access = self
            .access
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty() && *a != "Undefined")
            .ok_or_else(|| Fault::field("access", "marking without a classification in access"))?;
        let level = Classification::parse(access)
            .map_err(|e| Fault::field("access", format!("marking: {e}")))?;
        let mut marking = level.as_str().to_string();
        if let Some(c) = self
            .caveat
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            marking.push_str("//");
            marking.push_str(c);
        }
        let mut rel = NationSet::EMPTY;
        for tri in self
            .releasable_to
            .as_deref()
            .unwrap_or("")
            .split(|c: char| c == ',' || c.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
        {
            rel.insert(
                Nation::parse(tri)
                    .map_err(|e| Fault::field("releasableTo", format!("marking: {e}")))?,
            );
        }
        if !rel.is_empty() {
            marking.push_str("//REL TO ");
            marking.push_str(&rel.marking_list());
        }
        Label::parse_marking(&marking, NationSet::single(owner))
            .map_err(|e| Fault::field("marking", format!("marking {marking:?}: {e}")))
    }
}

/// Decode one CoT event from a feed into observations (`a-*` atoms only; pings and
/// other non-atom types yield none).
pub fn decode_observation(
    cfg: &FeedConfig,
    xml: &[u8],
    _now_ms: TimeMs,
) -> Result<Vec<Observation>, Fault> {
    let ev = parse_event(xml)?;
    let mut atoms = ev.cot_type.split('-');
    if atoms.next() != Some("a") {
        return Ok(vec![]);
    }
    let affiliation_atom = atoms
        .next()
        .filter(|a| a.len() == 1)
        .and_then(|a| a.chars().next())
        .ok_or_else(|| {
            Fault::field(
                "type",
                format!("atom type {:?} without an affiliation", ev.cot_type),
            )
        })?;
    // j (joker), k (faker), o (none), x (other) have no standard identity here.
    let affiliation = Affiliation::from_cot_atom(affiliation_atom);
    let domain = match atoms.next() {
        Some("S") => Domain::Surface,
        Some("A") => Domain::Air,
        Some("G") => Domain::Ground,
        _ => Domain::Unknown,
    };
    let label = if cfg.trusted_markings && ev.has_marking() {
        // A trusted feed's marking may only add restrictions to the feed's own label
        // (the join): a wire saying UNCLASSIFIED cannot make a SECRET feed's report
        // public, nor drop its categories or controls. A bad marking rejects the
        // record rather than silently falling back to the feed's label.
        cfg.default_label.join(&ev.marking_label(cfg.nation)?)
    } else {
        cfg.default_label.clone()
    };
    let pos_sigma_m = if ev.ce >= UNKNOWN {
        UNKNOWN_CE_SIGMA_M
    } else {
        (ev.ce / CE90_PER_SIGMA).max(MIN_SIGMA_M)
    };
    // hae "unknown" or absurd (beyond 1000 km) means no altitude.
    let alt_m = (ev.hae.abs() < 1.0e6).then_some(ev.hae);
    let velocity = ev
        .speed_mps
        .zip(ev.course_deg)
        .map(|(s, c)| Velocity::from_sog_cog(s, c));
    let kind = cfg.cot_kind;
    Ok(vec![Observation {
        time_ms: ev.time_ms,
        position: Position {
            lat_deg: ev.lat,
            lon_deg: ev.lon,
            alt_m,
        },
        pos_sigma_m,
        vel_sigma_mps: velocity.map(|_| VEL_SIGMA_MPS),
        velocity,
        identity: Identity {
            callsign: ev.callsign.clone(),
            track_number: (kind == ObservationKind::Track).then(|| ev.uid.clone()),
            ..Identity::default()
        },
        domain,
        affiliation,
        kind,
        feed: cfg.name.clone(),
        sensor: String::new(),
        label,
        polar: None,
    }])
}

// ---------------------------------------------------------------------------
// Encoding fused tracks

/// The CoT atom type for a domain and a standard identity, as MIL-STD-2525 atoms
/// appear in CoT: `a-<affiliation>-<battle dimension>` with `S` sea surface, `A` air,
/// `G` ground (e.g. hostile surface vessel `a-h-S`, unknown air `a-u-A`). A track
/// whose domain is unknown gets the two-atom form (`a-u`): "dimension unspecified",
/// which [`decode_observation`] reads back as [`Domain::Unknown`] (CoT's `X` means
/// "other", which is not the same thing).
pub fn cot_type(domain: Domain, affiliation: Affiliation) -> &'static str {
    // Rows: affiliation (p, u, a, f, n, s, h); columns: S, A, G, unspecified.
    const TYPES: [[&str; 4]; 7] = [
        ["a-p-S", "a-p-A", "a-p-G", "a-p"],
        ["a-u-S", "a-u-A", "a-u-G", "a-u"],
        ["a-a-S", "a-a-A", "a-a-G", "a-a"],
        ["a-f-S", "a-f-A", "a-f-G", "a-f"],
        ["a-n-S", "a-n-A", "a-n-G", "a-n"],
        ["a-s-S", "a-s-A", "a-s-G", "a-s"],
        ["a-h-S", "a-h-A", "a-h-G", "a-h"],
    ];
    let row = match affiliation {
        Affiliation::Pending => 0,
        Affiliation::Unknown => 1,
        Affiliation::AssumedFriend => 2,
        Affiliation::Friend => 3,
        Affiliation::Neutral => 4,
        Affiliation::Suspect => 5,
        Affiliation::Hostile => 6,
    };
    let col = match domain {
        Domain::Surface => 0,
        Domain::Air => 1,
        Domain::Ground => 2,
        Domain::Unknown => 3,
    };
    TYPES[row][col]
}

/// The name a TAK client shows for a track: its callsign, else its name, else
/// `MMSI <n>` or `ICAO <hex>`; `None` when the identity has none of these.
pub fn track_callsign(id: &Identity) -> Option<String> {
    fn nonempty(s: &Option<String>) -> Option<&str> {
        s.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    nonempty(&id.callsign)
        .or(nonempty(&id.name))
        .map(str::to_string)
        .or_else(|| id.mmsi.map(|m| format!("MMSI {m}")))
        .or_else(|| id.icao.map(|i| format!("ICAO {i:06X}")))
}

/// A label as TAK's event markings, exactly as [`CotEvent::marking_label`] reads
/// them: `access` the classification word; `caveat` every block of the marking
/// between the level and REL TO (categories and dissemination controls, NOFORN and
/// DISPLAY ONLY included), absent when there is none; `releasableTo` the REL TO list
/// (trigraphs joined by commas, USA first), absent when the label has none. Owners
/// are not written (TAK has no field for them): a reader attributes the event to its
/// feed's nation.
pub fn label_markings(label: &Label) -> (String, Option<String>, Option<String>) {
    let rel = label.rel_to_list();
    let releasable_to = (!rel.is_empty()).then(|| rel.marking_list().replace(", ", ","));
    let marking = label.marking();
    let level = label.classification().as_str();
    let blocks: Vec<&str> = marking
        .strip_prefix(level)
        .unwrap_or_default()
        .split("//")
        .filter(|b| !b.is_empty() && !b.starts_with("REL TO "))
        .collect();
    let caveat = (!blocks.is_empty()).then(|| blocks.join("//"));
    (level.to_string(), caveat, releasable_to)
}

/// One-sigma height error assumed for a track's altitude, metres: the tracker keeps no
/// vertical covariance, and the heights it fuses (pressure altitudes taken as heights
/// above the ellipsoid, 3-D radar heights) are off by the geoid and the day's
/// pressure, tens of metres.
pub const TRACK_HEIGHT_SIGMA_M: f64 = 50.0;
/// Ratio of the 90 % linear error to the one-sigma of a normal (the 0.95 quantile).
const LE90_PER_SIGMA: f64 = 1.645;

/// One fused track as a CoT event for TAK clients.
///
/// `how` is `m-f` (machine, fused); `time` is `now_ms` (when the event was made),
/// `start` the track's time of validity (never after `now_ms`), `stale`
/// `start + stale_ms`: the data's age decides when it expires, so re-sending an
/// unchanged track never pushes its expiry out. `ce` is the 90 % circular error from
/// the track's one-sigma position error (`2.146 σ`, the inverse of the decoder's rule).
/// A known height is `hae` with `le` the 90 % error of [`TRACK_HEIGHT_SIGMA_M`]; an
/// unknown one is the schema's 9999999 for both (never `hae="0"`). `<track>` carries
/// course (degrees true) and speed (m/s), `<contact>` the callsign from
/// [`track_callsign`] (else `uid`), `<precisionlocation>` the kind of source
/// ([`position_source`]), and the label goes into `access`/`caveat`/`releasableTo`
/// ([`label_markings`]).
pub fn track_event(
    track: &biac_model::Track,
    uid: &str,
    now_ms: TimeMs,
    stale_ms: i64,
) -> CotEvent {
    let (access, caveat, releasable_to) = label_markings(&track.label);
    let sigma = track.pos_sigma_m();
    let ce = if sigma.is_finite() {
        (sigma * CE90_PER_SIGMA).min(UNKNOWN)
    } else {
        UNKNOWN
    };
    let height = track
        .position
        .alt_m
        .filter(|a| a.is_finite() && a.abs() < 1.0e6);
    let (hae, le) = match height {
        Some(h) => (h, TRACK_HEIGHT_SIGMA_M * LE90_PER_SIGMA),
        None => (UNKNOWN, UNKNOWN),
    };
    let src = position_source(track);
    let alt_src = if height.is_some() { src } else { "???" };
    let start_ms = track.time_ms.min(now_ms);
    let speed = track.velocity.speed_mps();
    let (course_deg, speed_mps) = if speed.is_finite() {
        (
            Some(written(track.velocity.course_deg(), 2)),
            Some(written(speed, 2)),
        )
    } else {
        (None, None)
    };
    CotEvent {
        uid: uid.to_string(),
        cot_type: cot_type(track.domain, track.affiliation).to_string(),
        how: "m-f".to_string(),
        time_ms: now_ms,
        start_ms,
        stale_ms: start_ms.saturating_add(stale_ms.max(0)),
        lat: written(track.position.lat_deg, 7),
        lon: written(track.position.lon_deg, 7),
        hae: written(hae, 2),
        ce: written(ce, 2),
        le: written(le, 2),
        course_deg,
        speed_mps,
        callsign: Some(track_callsign(&track.identity).unwrap_or_else(|| uid.to_string())),
        access: Some(access),
        caveat,
        releasable_to,
        extra_detail: format!(r#"<precisionlocation geopointsrc="{src}" altsrc="{alt_src}"/>"#),
    }
}

/// The CoT type of a ballistic missile track: MIL-STD-2525 air / weapon / missile in
/// flight / surface-launched / surface-to-surface (`A-W-M-S-S`: a ballistic missile is a
/// surface-to-surface missile in every phase), with the track's affiliation, hostile
/// when the track has none (a missile no coalition feed owns is a threat until told
/// otherwise; TAK clients draw it red).
pub fn missile_cot_type(affiliation: Affiliation) -> &'static str {
    match affiliation {
        Affiliation::Friend => "a-f-A-W-M-S-S",
        Affiliation::AssumedFriend => "a-a-A-W-M-S-S",
        Affiliation::Neutral => "a-n-A-W-M-S-S",
        Affiliation::Suspect => "a-s-A-W-M-S-S",
        Affiliation::Hostile | Affiliation::Unknown | Affiliation::Pending => "a-h-A-W-M-S-S",
    }
}

/// The events of a ballistic missile track (one with `missile`), all under the track's
/// markings: the missile itself ([`track_event`] typed [`missile_cot_type`], its height
/// the missile's), the predicted impact point as a `u-d-c-e` ellipse drawing
/// (`<shape><ellipse major minor angle/>`: TAK's semi-axes in metres — a TAK circle of
/// radius r is `major="r" minor="r"` — and the major axis' bearing clockwise from true
/// north; `uid-ipp`, stale at the impact time) and the estimated launch point
/// (`b-m-p-s-p-i`, `uid-launch`). Empty for a track without `missile`.
pub fn missile_events(
    track: &biac_model::Track,
    uid: &str,
    now_ms: TimeMs,
    stale_ms: i64,
) -> Vec<CotEvent> {
    let Some(m) = track.missile.as_deref() else {
        return Vec::new();
    };
    let mut ev = track_event(track, uid, now_ms, stale_ms);
    ev.cot_type = missile_cot_type(track.affiliation).to_string();
    if m.alt_m.is_finite() && m.alt_m.abs() < 1.0e8 {
        ev.hae = written(m.alt_m, 2);
    }
    let name = ev.callsign.clone().unwrap_or_else(|| uid.to_string());
    let point = |suffix: &str, cot_type: &str, lat: f64, lon: f64, stale: TimeMs| CotEvent {
        uid: format!("{uid}-{suffix}"),
        cot_type: cot_type.to_string(),
        how: "m-p".to_string(),
        time_ms: now_ms,
        start_ms: ev.start_ms,
        stale_ms: stale,
        lat: written(lat, 7),
        lon: written(lon, 7),
        hae: 0.0,
        ce: UNKNOWN,
        le: UNKNOWN,
        course_deg: None,
        speed_mps: None,
        callsign: Some(format!("{name} {suffix}")),
        access: ev.access.clone(),
        caveat: ev.caveat.clone(),
        releasable_to: ev.releasable_to.clone(),
        extra_detail: String::new(),
    };
    let mut out = vec![ev.clone()];
    if let Some(i) = &m.ipp {
        if i.lat.is_finite() && i.lon.is_finite() {
            let mut e = point("ipp", "u-d-c-e", i.lat, i.lon, i.t_ms.max(ev.stale_ms));
            let (a, b, angle) = (
                written(i.semi_major_m, 1),
                written(i.semi_minor_m, 1),
                written(i.major_bearing_deg, 1),
            );
            // The 95 % ellipse's semi-major axis bounds the point's CE90.
            e.ce = a.min(UNKNOWN);
            e.extra_detail = format!(
                r#"<shape><ellipse major="{a}" minor="{b}" angle="{angle}"/></shape><remarks>predicted impact {}</remarks>"#,
                format_time(i.t_ms)
            );
            out.push(e);
        }
    }
    if let Some(l) = &m.launch {
        if l.lat.is_finite() && l.lon.is_finite() {
            let mut e = point("launch", "b-m-p-s-p-i", l.lat, l.lon, ev.stale_ms);
            e.extra_detail = format!(
                "<remarks>estimated launch {}</remarks>",
                format_time(l.t_ms)
            );
            out.push(e);
        }
    }
    out
}

/// What kind of source a track's position comes from, as `<precisionlocation>` names
/// it (ATAK shows it with the position): `GPS` when the track is bound to an object
/// that reports its own satellite fix (an MMSI from AIS, an ICAO address from ADS-B),
/// `CALC` when it is computed from sensor measurements and other trackers' tracks.
pub fn position_source(track: &biac_model::Track) -> &'static str {
    if track.identity.mmsi.is_some() || track.identity.icao.is_some() {
        "GPS"
    } else {
        "CALC"
    }
}

#[cfg(test)]
mod tests;
