//! The events a CoT listener writes, each with the label the guard decides on, and
//! [`emit`], the one way any of them reaches a socket.

use biac_formats::cot::{self, CotEvent, UNKNOWN};
use biac_formats::tak;
use biac_model::{Label, Nation, TimeMs, Track};

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
pub(crate) fn proto_frame(ev: &CotEvent) -> Result<Vec<u8>, String> {
    proto_frame_of_xml(ev.to_xml().as_bytes())
}

/// TAK protocol v1 stream frame of an event's XML (without the declaration), as
/// [`proto_frame`] of the event it renders.
pub(crate) fn proto_frame_of_xml(xml: &[u8]) -> Result<Vec<u8>, String> {
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
}
