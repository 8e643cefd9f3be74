//! The events a CoT listener writes, each with the label the guard decides on, and
//! [`emit`], the one way any of them reaches a socket.

use biac_formats::cot::{self, CotEvent, UNKNOWN};
use biac_formats::tak;
use biac_model::{Alert, AlertState, Label, Nation, TimeMs, Track};

use crate::guard::{self, Labelled};

/// An event about to be written, and the label it discloses.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub event: CotEvent,
    pub label: Label,
}

impl Labelled for Outgoing {
    fn label(&self) -> &Label {
        &self.label
    }
    fn audit_object(&self) -> (&'static str, String) {
        (
            "cot-event",
            format!("{} {}", self.event.cot_type, self.event.uid),
        )
    }
    fn audit_key(&self, h: &mut std::hash::DefaultHasher) {
        use std::hash::Hash;
        ("cot-event", &self.event.cot_type, &self.event.uid).hash(h);
    }
}

/// The one way an event reaches a socket: through the egress guard for the listener's
/// subject. `None` when the guard refuses it.
pub fn emit<'a>(egress: &guard::Egress, out: &'a Outgoing) -> Option<&'a Outgoing> {
    guard::release(egress, out)
}

/// The CoT uid of a track for one audience: `biac-<AUDIENCE>-<api id>`, the API's
/// opaque per-audience id (`T000042`) with the audience key (`JPN-SECRET`) before it.
pub fn track_uid(uid_prefix: &str, track_id: u64) -> String {
    format!("{uid_prefix}-T{track_id:06}")
}

/// The current state of a track.
pub(crate) fn track(uid_prefix: &str, t: &Track, now_ms: TimeMs, stale_ms: i64) -> Outgoing {
    Outgoing {
        event: cot::track_event(t, &track_uid(uid_prefix, t.id), now_ms, stale_ms),
        label: t.label.clone(),
    }
}

/// Every event of a track's state: the track; for a ballistic missile, the missile,
/// its predicted impact ellipse and its launch point (`cot::missile_events`). All carry
/// the track's label.
pub(crate) fn track_events(
    uid_prefix: &str,
    t: &Track,
    now_ms: TimeMs,
    stale_ms: i64,
) -> Vec<Outgoing> {
    if t.missile.is_none() {
        return vec![track(uid_prefix, t, now_ms, stale_ms)];
    }
    cot::missile_events(t, &track_uid(uid_prefix, t.id), now_ms, stale_ms)
        .into_iter()
        .map(|event| Outgoing {
            event,
            label: t.label.clone(),
        })
        .collect()
}

/// A track that left the picture: each of its events' last state, stale now (clients
/// that honour `stale` drop or grey it at once), then `t-x-d-d` linking its uid with
/// `<__forcedelete/>` (ATAK removes the item). All carry the label it was sent with.
pub(crate) fn withdrawal(uid_prefix: &str, last: &Track, now_ms: TimeMs) -> Vec<Outgoing> {
    let mut out = Vec::new();
    for mut stale in track_events(uid_prefix, last, now_ms, 0) {
        stale.event.stale_ms = now_ms;
        let del = delete_of(&stale, now_ms);
        out.push(stale);
        out.push(del);
    }
    out
}

/// The `t-x-d-d` that removes the item `stale` names.
fn delete_of(stale: &Outgoing, now_ms: TimeMs) -> Outgoing {
    let uid = stale.event.uid.clone();
    let mut del = stale.event.clone();
    del.uid = format!("{uid}-delete");
    del.cot_type = "t-x-d-d".into();
    del.how = "m-g".into();
    del.stale_ms = now_ms + 20_000;
    del.course_deg = None;
    del.speed_mps = None;
    del.callsign = None;
    del.extra_detail = format!(
        r#"<link uid="{}" relation="none" type="{}"/><__forcedelete/>"#,
        quick_escape(&uid),
        quick_escape(&stale.event.cot_type)
    );
    Outgoing {
        event: del,
        label: stale.label.clone(),
    }
}

/// How long a one-shot alert's event (a zone entry) stays current in a TAK client.
pub const ALERT_EVENT_STALE_MS: i64 = 10 * 60_000;
/// How long an open episode's event stays current without an update: a day, so that a
/// client keeps the marker until the close (sent stale) replaces it.
pub const ALERT_OPEN_STALE_MS: i64 = 24 * 3_600_000;

/// The CoT uid of an alert for one audience: one per episode, so a TAK client updates
/// one marker from the open to the close; a one-shot event gets its own. A stable hash
/// (FNV-1a), so a restarted server names an episode the same.
pub fn alert_uid(uid_prefix: &str, a: &Alert) -> String {
    let key = if a.episode.is_empty() {
        format!("{}/{}/{}/{}", a.kind, a.zone, a.track_id, a.time_ms)
    } else {
        a.episode.clone()
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{uid_prefix}-alert-{h:016x}")
}

/// The CoT type of an alert: `b-a-g` (geofence breached) for a zone entry, which TAK
/// clients show as a geofence alarm; `b-a-o` (other alarm) for every other rule — not
/// one of its `b-a-o-*` subtypes, which are a user's emergency beacons (911, ring the
/// bell, troops in contact).
pub fn alert_type(kind: &str) -> &'static str {
    match kind {
        "zone-entry" | "zone_entry" => "b-a-g",
        _ => "b-a-o",
    }
}

/// An alert as a TAK event at its position: the message as remarks, a link to each
/// track it derives from (their uids as the listener names them), the label's
/// markings as for tracks. Stale at the close for a closed episode, a day on for an
/// open one, ten minutes on for a one-shot event.
pub(crate) fn alert(uid_prefix: &str, a: &Alert, now_ms: TimeMs) -> Outgoing {
    let (access, caveat, releasable_to) = cot::label_markings(&a.label);
    let start_ms = a.time_ms.min(now_ms);
    let stale_ms = match a.state {
        AlertState::Close => start_ms,
        AlertState::Open | AlertState::Update => start_ms.saturating_add(ALERT_OPEN_STALE_MS),
        AlertState::Event => start_ms.saturating_add(ALERT_EVENT_STALE_MS),
    };
    let uid = alert_uid(uid_prefix, a);
    let tracks: Vec<u64> = if a.tracks.is_empty() {
        vec![a.track_id]
    } else {
        a.tracks.clone()
    };
    let mut detail = format!("<remarks>{}</remarks>", quick_escape(&a.message));
    for t in tracks {
        detail.push_str(&format!(
            r#"<link uid="{}" relation="p-p"/>"#,
            quick_escape(&track_uid(uid_prefix, t))
        ));
    }
    detail.push_str(&format!(
        r#"<biac_alert kind="{}" state="{}"/>"#,
        quick_escape(&a.kind),
        a.state.as_str()
    ));
    Outgoing {
        event: CotEvent {
            uid: uid.clone(),
            cot_type: alert_type(&a.kind).into(),
            how: "m-g".into(),
            time_ms: now_ms,
            start_ms,
            stale_ms,
            lat: (a.position.lat_deg * 1e7).round() / 1e7,
            lon: (a.position.lon_deg * 1e7).round() / 1e7,
            hae: UNKNOWN,
            ce: UNKNOWN,
            le: UNKNOWN,
            course_deg: None,
            speed_mps: None,
            callsign: Some(format!("{} {}", a.kind, a.state.as_str())),
            access: Some(access),
            caveat,
            releasable_to,
            extra_detail: detail,
        },
        label: a.label.clone(),
    }
}

fn quick_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A control event (protocol offer and response, pong): no picture data, no marking
/// written, labelled UNCLASSIFIED so that it, too, passes the guard.
fn control(
    owner: Nation,
    uid: String,
    cot_type: &str,
    now_ms: TimeMs,
    stale_ms: i64,
    detail: String,
) -> Outgoing {
    Outgoing {
        event: CotEvent {
            uid,
            cot_type: cot_type.into(),
            how: "m-g".into(),
            time_ms: now_ms,
            start_ms: now_ms,
            stale_ms: now_ms + stale_ms,
            lat: 0.0,
            lon: 0.0,
            // No height: the schema's unknown, as for every event (never 0).
            hae: UNKNOWN,
            ce: UNKNOWN,
            le: UNKNOWN,
            course_deg: None,
            speed_mps: None,
            callsign: None,
            access: None,
            caveat: None,
            releasable_to: None,
            extra_detail: detail,
        },
        label: Label::unclassified_public(owner),
    }
}

/// `t-x-takp-v`: the server supports TAK protocol version 1 (stale in 60 s).
pub(crate) fn protocol_offer(owner: Nation, uid: &str, now_ms: TimeMs) -> Outgoing {
    control(
        owner,
        uid.to_string(),
        "t-x-takp-v",
        now_ms,
        60_000,
        r#"<TakControl><TakProtocolSupport version="1"/></TakControl>"#.into(),
    )
}

/// `t-x-takp-r`: the answer to a `t-x-takp-q`.
pub(crate) fn protocol_response(
    owner: Nation,
    uid: &str,
    accepted: bool,
    now_ms: TimeMs,
) -> Outgoing {
    control(
        owner,
        uid.to_string(),
        "t-x-takp-r",
        now_ms,
        60_000,
        format!(r#"<TakControl><TakResponse status="{accepted}"/></TakControl>"#),
    )
}

/// `t-x-c-t-r`: the answer to a client's ping.
pub(crate) fn pong(owner: Nation, now_ms: TimeMs) -> Outgoing {
    control(
        owner,
        "takPong".into(),
        "t-x-c-t-r",
        now_ms,
        20_000,
        String::new(),
    )
}

/// What precedes each event in the legacy streaming form.
pub(crate) const XML_DECL: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Legacy streaming form: XML declaration, newline, the event; nothing after it.
pub(crate) fn xml_frame(ev: &CotEvent) -> Vec<u8> {
    let xml = ev.to_xml();
    let mut out = Vec::with_capacity(XML_DECL.len() + xml.len());
    out.extend_from_slice(XML_DECL);
    out.extend_from_slice(xml.as_bytes());
    out
}

/// TAK protocol v1 stream frame of the event (TAK's XML → protobuf rules).
pub(crate) fn proto_frame(ev: &CotEvent) -> Result<Vec<u8>, biac_formats::Fault> {
    proto_frame_of_xml(ev.to_xml().as_bytes())
}

/// TAK protocol v1 stream frame of an event's XML (without the declaration), as
/// [`proto_frame`] of the event it renders.
pub(crate) fn proto_frame_of_xml(xml: &[u8]) -> Result<Vec<u8>, biac_formats::Fault> {
    let msg = tak::xml_to_proto(xml)?;
    Ok(tak::encode_stream(&msg))
}

/// The `version` of the `<TakRequest>` in a `t-x-takp-q`'s detail.
pub(crate) fn requested_version(detail: &str) -> Option<u32> {
    let at = detail.find("<TakRequest")?;
    let rest = &detail[at..];
    let rest = &rest[..rest.find('>')?];
    let v = &rest[rest.find("version")? + "version".len()..];
    let v = v.trim_start().strip_prefix('=')?.trim_start();
    let quote = v.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let v = &v[1..];
    v[..v.find(quote)?].trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takp_request_version() {
        for (d, v) in [
            (
                r#"<TakControl><TakRequest version="1"/></TakControl>"#,
                Some(1),
            ),
            (
                "<TakControl><TakRequest version = '2' /></TakControl>",
                Some(2),
            ),
            ("<TakControl><TakRequest/></TakControl>", None),
            ("<TakControl/>", None),
            (r#"<TakRequest version="x"/>"#, None),
        ] {
            assert_eq!(requested_version(d), v, "{d}");
        }
    }

    fn episode_alert(state: AlertState, time_ms: TimeMs) -> Alert {
        let mut a = Alert::event(
            time_ms,
            "encounter",
            7,
            biac_model::Position::new(25.1, 125.75),
            "encounter began MMSI 1 & 2 <sic>",
            Label::rel_to(
                biac_model::Classification::Secret,
                Nation::JPN,
                &[Nation::USA],
            ),
        );
        a.state = state;
        a.episode = "encounter:1-2:1000".into();
        a.tracks = vec![7, 9];
        a
    }

    #[test]
    fn an_episode_is_one_tak_marker_from_open_to_close_marked_like_its_tracks() {
        let open = alert(
            "biac-JPN-SECRET",
            &episode_alert(AlertState::Open, 1_000),
            5_000,
        );
        let close = alert(
            "biac-JPN-SECRET",
            &episode_alert(AlertState::Close, 90_000),
            95_000,
        );
        assert_eq!(open.event.uid, close.event.uid, "one uid per episode");
        assert_eq!(open.event.cot_type, "b-a-o");
        assert!(open.event.stale_ms > 95_000, "open until the close");
        assert_eq!(close.event.stale_ms, 90_000, "stale at the close");
        assert_eq!(open.label, episode_alert(AlertState::Open, 0).label);
        // The XML reads back, with the label's markings and a link to each track.
        let xml = open.event.to_xml();
        let back = cot::parse_event(xml.as_bytes()).unwrap();
        assert_eq!(back.uid, open.event.uid);
        assert_eq!(back.cot_type, "b-a-o");
        assert_eq!(back.releasable_to.as_deref(), Some("USA,JPN"), "{xml}");
        assert!(xml.contains("biac-JPN-SECRET-T000009"), "{xml}");
        assert!(xml.contains("&lt;sic&gt;"), "{xml}");
        // A zone entry is a geofence alarm; a one-shot gets a uid of its own.
        let mut z = episode_alert(AlertState::Event, 1_000);
        z.kind = "zone-entry".into();
        z.episode.clear();
        let zone = alert("biac-JPN-SECRET", &z, 1_000);
        assert_eq!(zone.event.cot_type, "b-a-g");
        assert_ne!(zone.event.uid, open.event.uid);
        assert_eq!(zone.event.stale_ms, 1_000 + ALERT_EVENT_STALE_MS);
    }
}
