//! How released items are written in API answers: GeoJSON features, times, markings,
//! and the one "not found". One rendering shared by `/tracks`, `/history`, the
//! WebSocket and the metrics; callers pass only what the guard released.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use biac_model::{Alert, Label, TimeMs, Track, TrackId, UNKNOWN_SOURCE_TIME};
use serde_json::{json, Value};

/// The feed names a caller may read in a track's `sources` (its provenance): the
/// feeds the guard releases to it. A fused track may hold a report a hidden feed made
/// releasable to the caller; the feed's name is still as sensitive as the feed.
#[derive(Clone, Debug)]
pub struct Sources(Option<Arc<BTreeSet<String>>>);

impl Sources {
    /// Only these feeds.
    pub fn only(feeds: BTreeSet<String>) -> Self {
        Sources(Some(Arc::new(feeds)))
    }
    /// Every name (tests and benches that check rendering, not release).
    pub fn all() -> Self {
        Sources(None)
    }
    fn visible<'a>(&self, t: &'a Track) -> impl Iterator<Item = (&'a String, &'a TimeMs)> {
        let only = self.0.clone();
        t.sources
            .iter()
            .filter(move |(s, _)| only.as_ref().is_none_or(|f| f.contains(*s)))
    }
    fn of<'a>(&self, t: &'a Track) -> Vec<&'a String> {
        self.visible(t).map(|(s, _)| s).collect()
    }
    /// Each visible feed's latest contribution (`source_times`); a time stored before
    /// they were kept is left out.
    fn times<'a>(&self, t: &'a Track) -> BTreeMap<&'a String, String> {
        self.visible(t)
            .filter(|(_, &ms)| ms != UNKNOWN_SOURCE_TIME)
            .map(|(s, &ms)| (s, iso(ms)))
            .collect()
    }
}

pub(crate) fn iso(t: TimeMs) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(t as i128 * 1_000_000)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The same answer for "does not exist" and "may not see".
/// A query's 400 with its reason.
pub(crate) fn bad_request(msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": msg}))).into_response()
}

/// A query's time: RFC 3339 or milliseconds since the epoch.
pub(crate) fn parse_time(s: &str) -> Option<TimeMs> {
    if let Ok(ms) = s.parse::<i64>() {
        return Some(ms);
    }
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    Some((t.unix_timestamp_nanos() / 1_000_000) as TimeMs)
}

/// A query's area: `min_lon,min_lat,max_lon,max_lat`.
pub(crate) fn parse_bbox(b: &str) -> Option<biac_store::BBox> {
    let v: Vec<f64> = b.split(',').filter_map(|x| x.trim().parse().ok()).collect();
    match v[..] {
        [min_lon, min_lat, max_lon, max_lat] => Some(biac_store::BBox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        }),
        _ => None,
    }
}

pub(crate) fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": "not found"}))).into_response()
}

pub(crate) fn label_json(l: &Label) -> Value {
    json!({
        "classification": l.classification(),
        "owner": l.owner(),
        // REL TO as written (what the marking says) ...
        "rel_to": l.rel_to_list(),
        "noforn": l.noforn(),
        // ... and who may actually see it (the owners for NOFORN or no REL TO).
        "releasable_to": l.releasable_to(),
    })
}

/// A track as a GeoJSON feature: the one rendering shared by `/tracks`, `/history` and
/// the WebSocket. Callers pass only tracks the guard released.
pub(crate) fn feature(t: &Track, sources: &Sources) -> Value {
    let mut props = json!({
        "id": TrackId(t.id).to_string(),
        "label": label_json(&t.label),
        "marking": t.label.marking(),
        "sources": sources.of(t),
        "source_times": sources.times(t),
        "domain": t.domain,
        "affiliation": t.affiliation,
        "status": t.status,
        "speed_mps": (t.velocity.speed_mps() * 100.0).round() / 100.0,
        "course_deg": (t.velocity.course_deg() * 10.0).round() / 10.0,
        "sigma_m": (t.pos_sigma_m() * 10.0).round() / 10.0,
        "updates": t.updates,
        "time": iso(t.time_ms),
    });
    let p = props.as_object_mut().expect("object");
    let id = &t.identity;
    if let Some(m) = id.mmsi {
        p.insert("mmsi".into(), json!(m));
    }
    if let Some(i) = id.icao {
        p.insert("icao".into(), json!(format!("{i:06X}")));
    }
    for (k, v) in [
        ("callsign", &id.callsign),
        ("name", &id.name),
        ("track_number", &id.track_number),
    ] {
        if let Some(v) = v {
            p.insert(k.into(), json!(v));
        }
    }
    // Vessel static data from AIS.
    for (k, v) in [
        ("imo", id.imo),
        ("ship_type", id.ship_type.map(u32::from)),
        ("length_m", id.length_m.map(u32::from)),
        ("beam_m", id.beam_m.map(u32::from)),
    ] {
        if let Some(v) = v {
            p.insert(k.into(), json!(v));
        }
    }
    // A ballistic track's 3-D state and prediction (the page's missile layer reads it).
    if let Some(m) = &t.missile {
        p.insert("missile".into(), json!(m));
    }
    let mut coords = vec![json!(t.position.lon_deg), json!(t.position.lat_deg)];
    if let Some(a) = t.position.alt_m {
        coords.push(json!(a));
    }
    json!({
        "type": "Feature",
        "id": TrackId(t.id).to_string(),
        "geometry": {"type": "Point", "coordinates": coords},
        "properties": props,
    })
}

/// The parts of a feature that depend on the label alone, rendered once per label.
#[derive(Debug)]
pub(crate) struct LabelText {
    /// `label_json` as text.
    json: String,
    /// The marking as a JSON string.
    marking: String,
}

impl LabelText {
    pub(crate) fn of(l: &Label) -> LabelText {
        LabelText {
            json: label_json(l).to_string(),
            marking: Value::from(l.marking()).to_string(),
        }
    }
}

/// [`feature`] written straight to text, byte for byte what `feature(t).to_string()`
/// writes (keys in the same order — `serde_json`'s `preserve_order` keeps insertion
/// order —, numbers and strings by `serde_json`), with the
/// label's parts given: the WebSocket renders every track change this way, and building
/// the `Value` tree and the label's parts was most of its cost.
pub(crate) fn feature_text(t: &Track, label: &LabelText, sources: &Sources) -> String {
    use std::io::Write as _;
    let mut o: Vec<u8> = Vec::with_capacity(512 + label.json.len());
    // Leaves through serde_json, so that escaping and float formatting are its own.
    fn leaf(o: &mut Vec<u8>, v: &impl serde::Serialize) {
        serde_json::to_writer(&mut *o, v).expect("leaf values serialise");
    }
    let id = &t.identity;
    let _ = write!(
        o,
        r#"{{"type":"Feature","id":"{}","geometry":{{"type":"Point","coordinates":["#,
        TrackId(t.id)
    );
    leaf(&mut o, &t.position.lon_deg);
    o.push(b',');
    leaf(&mut o, &t.position.lat_deg);
    if let Some(a) = t.position.alt_m {
        o.push(b',');
        leaf(&mut o, &a);
    }
    let _ = write!(
        o,
        r#"]}},"properties":{{"id":"{}","label":{},"marking":{},"sources":"#,
        TrackId(t.id),
        label.json,
        label.marking
    );
    leaf(&mut o, &sources.of(t));
    o.extend_from_slice(br#","source_times":"#);
    leaf(&mut o, &sources.times(t));
    o.extend_from_slice(br#","domain":"#);
    leaf(&mut o, &t.domain);
    o.extend_from_slice(br#","affiliation":"#);
    leaf(&mut o, &t.affiliation);
    o.extend_from_slice(br#","status":"#);
    leaf(&mut o, &t.status);
    o.extend_from_slice(br#","speed_mps":"#);
    leaf(&mut o, &((t.velocity.speed_mps() * 100.0).round() / 100.0));
    o.extend_from_slice(br#","course_deg":"#);
    leaf(&mut o, &((t.velocity.course_deg() * 10.0).round() / 10.0));
    o.extend_from_slice(br#","sigma_m":"#);
    leaf(&mut o, &((t.pos_sigma_m() * 10.0).round() / 10.0));
    let _ = write!(o, r#","updates":{},"time":"#, t.updates);
    leaf(&mut o, &iso(t.time_ms));
    if let Some(v) = id.mmsi {
        let _ = write!(o, r#","mmsi":{v}"#);
    }
    if let Some(i) = id.icao {
        let _ = write!(o, r#","icao":"{i:06X}""#);
    }
    for (k, v) in [
        ("callsign", &id.callsign),
        ("name", &id.name),
        ("track_number", &id.track_number),
    ] {
        if let Some(v) = v {
            let _ = write!(o, r#","{k}":"#);
            leaf(&mut o, v);
        }
    }
    for (k, v) in [
        ("imo", id.imo),
        ("ship_type", id.ship_type.map(u32::from)),
        ("length_m", id.length_m.map(u32::from)),
        ("beam_m", id.beam_m.map(u32::from)),
    ] {
        if let Some(v) = v {
            let _ = write!(o, r#","{k}":{v}"#);
        }
    }
    if let Some(m) = &t.missile {
        o.extend_from_slice(br#","missile":"#);
        leaf(&mut o, m);
    }
    o.extend_from_slice(b"}}");
    String::from_utf8(o).expect("serde_json writes UTF-8")
}

/// The marking of a whole view: the join of everything in it.
pub(crate) fn view_marking<'a>(labels: impl Iterator<Item = &'a Label>) -> String {
    // A picture's tracks carry few distinct labels: each is joined once (the join is
    // idempotent, so skipping a repeat changes nothing). Remembering a handful is enough.
    const REMEMBERED: usize = 16;
    let mut seen: Vec<&Label> = Vec::with_capacity(REMEMBERED);
    let mut acc: Option<Label> = None;
    for l in labels {
        if seen.contains(&l) {
            continue;
        }
        if seen.len() < REMEMBERED {
            seen.push(l);
        }
        acc = Some(acc.map_or_else(|| l.clone(), |a| a.join(l)));
    }
    acc.map(|l| l.marking())
        .unwrap_or_else(|| "UNCLASSIFIED".into())
}

/// An alert as the API gives it (`/api/v1/alerts` adds `ack`; the WebSocket sends it as
/// is). Call only on an alert the egress guard released.
pub(crate) fn alert_json(al: &Alert) -> Value {
    json!({
        "id": al.id(),
        "time": iso(al.time_ms),
        "kind": al.kind,
        "zone": al.zone,
        "track_id": TrackId(al.track_id).to_string(),
        "message": al.message,
        "marking": al.label.marking(),
        "lat": al.position.lat_deg,
        "lon": al.position.lon_deg,
        "state": al.state.as_str(),
        "episode": (!al.episode.is_empty()).then_some(&al.episode),
        "tracks": al.tracks.iter().map(|&t| TrackId(t).to_string()).collect::<Vec<_>>(),
        "detail": al.detail,
    })
}

#[cfg(test)]
mod feature_tests {
    use super::*;
    use biac_model::{
        Classification, FlightPhase, Identity, ImpactPrediction, LaunchEstimate, Missile, Nation,
        Position, TrackStatus, Velocity,
    };
    use proptest::prelude::*;

    fn labels() -> Vec<Label> {
        vec![
            Label::unclassified_public(Nation::JPN),
            Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]),
            Label::rel_to(
                Classification::Secret,
                Nation::JPN,
                &[Nation::USA, Nation::AUS],
            ),
        ]
    }

    fn text() -> impl Strategy<Value = Option<String>> {
        prop::option::of("[ -~]{0,12}|\"\\\\é€\u{1F6A2}\n")
    }

    fn float() -> impl Strategy<Value = f64> {
        prop_oneof![
            -1e6..1e6f64,
            Just(0.0),
            Just(-0.0),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(1e-300),
        ]
    }

    prop_compose! {
        fn track()(
            id in 0u64..10_000_000,
            time_ms in 0i64..4_000_000_000_000,
            lat in -90.0..90.0f64, lon in -180.0..180.0f64, alt in prop::option::of(float()),
            ve in float(), vn in float(), var in prop::option::of(0.0..1e6f64),
            status in 0..3u8, mmsi in prop::option::of(any::<u32>()),
            icao in prop::option::of(0u32..0x100_0000),
            callsign in text(), name in text(), track_number in text(),
            imo in prop::option::of(any::<u32>()), ship_type in prop::option::of(any::<u8>()),
            length_m in prop::option::of(any::<u16>()), beam_m in prop::option::of(any::<u16>()),
            sources in prop::collection::btree_map("[a-z\"-]{1,8}", prop_oneof![Just(UNKNOWN_SOURCE_TIME), 0i64..4_000_000_000_000], 0..3),
            updates in any::<u64>(), label in 0..3usize,
            missile in prop::option::of((float(), float(), any::<bool>())),
        ) -> Track {
            let v = var.unwrap_or(f64::NAN);
            let missile = missile.map(|(alt_m, speed, ipp)| {
                Box::new(Missile {
                    phase: FlightPhase::Midcourse,
                    alt_m,
                    speed_mps: speed,
                    climb_mps: -speed,
                    ipp: ipp.then_some(ImpactPrediction {
                        lat: 40.1, lon: speed, t_ms: time_ms + 61_000,
                        semi_major_m: alt_m, semi_minor_m: 812.5, major_bearing_deg: 71.0,
                    }),
                    launch: ipp.then_some(LaunchEstimate { lat: 39.2, lon: 125.7, t_ms: 7 }),
                    trajectory: if ipp { vec![[lon, lat, alt_m], [speed, 0.5, 0.0]] } else { vec![] },
                })
            });
            let at = Position { lat_deg: lat, lon_deg: lon, alt_m: alt };
            let t = Track::new(id, time_ms, at, labels()[label].clone())
                .with_velocity(Velocity { east_mps: ve, north_mps: vn })
                .with_cov([v, 0.0, v])
                .with_status(
                    [TrackStatus::Tentative, TrackStatus::Confirmed, TrackStatus::Coasting]
                        [status as usize],
                )
                .with_domain(Default::default())
                .with_identity(Identity {
                    mmsi, icao, callsign, name, track_number, imo, ship_type, length_m, beam_m,
                })
                .with_sources(sources)
                .with_updates(updates);
            match missile {
                Some(m) => t.with_missile(*m),
                None => t,
            }
        }
    }

    proptest! {
        /// The WebSocket's text rendering is the API's `Value` rendering, byte for byte.
        #[test]
        fn feature_text_is_the_feature_value_as_text(t in track()) {
            let all = Sources::all();
            prop_assert_eq!(feature_text(&t, &LabelText::of(&t.label), &all), feature(&t, &all).to_string());
            let some = Sources::only(t.sources.keys().skip(1).cloned().collect());
            prop_assert_eq!(feature_text(&t, &LabelText::of(&t.label), &some), feature(&t, &some).to_string());
        }
    }
}
