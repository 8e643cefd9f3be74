//! `/api/v1` handlers.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use axum::{Json, Router};
use biac_model::{Label, Subject, TimeMs, Track};
use biac_runtime::Audience;
use biac_store::BBox;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{Authenticated, Caller, LoginError};
use crate::authz::RequestAction;
use crate::guard::{release, release_all};
use crate::peer::PeerCert;
use crate::{web, AppState};

/// Every API route, `(method, path)`: the router is built from this table and the
/// OpenAPI document is checked against it (`openapi::tests`).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/tracks"),
    ("GET", "/api/v1/tracks/{id}"),
    ("GET", "/api/v1/history"),
    ("GET", "/api/v1/alerts"),
    ("GET", "/api/v1/feeds"),
    ("POST", "/api/v1/feeds/{feed}/ingest"),
    ("GET", "/api/v1/zones"),
    ("GET", "/api/v1/ws"),
    ("GET", "/api/v1/metrics"),
    ("POST", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
];

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone (carries no labelled data).
    Public,
    /// Any authenticated principal (acts only on the caller's own credential).
    Authenticated,
    /// An authenticated principal the request policy permits this action.
    Authorized(RequestAction),
}

/// The access rule of each entry of [`ROUTES`] (a test checks every entry has one; the
/// [`Caller`] extractor looks the matched route up here, so a handler cannot be reached
/// under a weaker rule than its entry's).
pub fn access(method: &str, path: &str) -> Option<Access> {
    use RequestAction::*;
    Some(match (method, path) {
        ("GET", "/api/v1/health") | ("GET", "/api/v1/openapi.json") => Access::Public,
        ("POST", "/api/v1/session") => Access::Public,
        ("DELETE", "/api/v1/session") => Access::Authenticated,
        ("GET", "/api/v1/tracks")
        | ("GET", "/api/v1/tracks/{id}")
        | ("GET", "/api/v1/history")
        | ("GET", "/api/v1/alerts")
        | ("GET", "/api/v1/zones") => Access::Authorized(Query),
        ("GET", "/api/v1/feeds") | ("GET", "/api/v1/metrics") => Access::Authorized(Monitor),
        ("POST", "/api/v1/feeds/{feed}/ingest") => Access::Authorized(Ingest),
        ("GET", "/api/v1/ws") => Access::Authorized(Subscribe),
        _ => return None,
    })
}

/// The handler of one entry of [`ROUTES`].
pub(crate) fn handler(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method, path) {
        ("GET", "/api/v1/health") => get(health),
        ("GET", "/api/v1/openapi.json") => get(crate::openapi::document),
        ("GET", "/api/v1/tracks") => get(tracks),
        ("GET", "/api/v1/tracks/{id}") => get(track),
        ("GET", "/api/v1/history") => get(history),
        ("GET", "/api/v1/alerts") => get(alerts),
        ("GET", "/api/v1/feeds") => get(feeds),
        ("POST", "/api/v1/feeds/{feed}/ingest") => post(ingest),
        ("GET", "/api/v1/zones") => get(zones),
        ("GET", "/api/v1/ws") => get(crate::ws::upgrade),
        ("GET", "/api/v1/metrics") => get(crate::metrics::metrics),
        ("POST", "/api/v1/session") => post(login),
        ("DELETE", "/api/v1/session") => delete(logout),
        _ => return None,
    })
}

pub fn router(state: AppState) -> Router {
    let mut r = Router::new();
    for (method, path) in ROUTES {
        let h = handler(method, path).expect("every entry of ROUTES has a handler");
        r = r.route(path, h);
    }
    r.route("/api/v1/{*rest}", get(api_not_found))
        .fallback(web::static_file)
        .with_state(state)
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
pub(crate) fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": "not found"}))).into_response()
}

async fn api_not_found(_: Authenticated) -> Response {
    not_found()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    user: String,
    password: String,
}

/// `POST /api/v1/session`: a password for a short-lived session token. Every failure
/// answers the same 401, whether the user is unknown, the password wrong or the
/// connection's certificate of another nation.
async fn login(
    State(state): State<AppState>,
    peer: Option<axum::Extension<PeerCert>>,
    Json(req): Json<LoginRequest>,
) -> Response {
    let auth = state.auth.clone();
    let peer = peer.map(|axum::Extension(p)| p);
    let user = req.user.clone();
    // argon2 takes tens of milliseconds of CPU on purpose: not on the async executor.
    let result =
        tokio::task::spawn_blocking(move || auth.login(&req.user, &req.password, peer.as_ref()))
            .await;
    match result {
        Ok(Ok(s)) => {
            tracing::info!(user = %user, "session opened");
            let expires = crate::guard::now_ms() + s.ttl.as_millis() as i64;
            Json(json!({
                "token": s.token,
                "expires": iso(expires),
                "expires_in_s": s.ttl.as_secs(),
                "user": s.principal.name,
                "nation": s.principal.subject.nation,
                "clearance": s.principal.subject.clearance,
                "roles": s.principal.roles,
            }))
            .into_response()
        }
        Ok(Err(LoginError::TooManySessions)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "too many sessions; try again later"})),
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::warn!(user = %user, reason = ?e, "login refused");
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": "invalid user or password"})),
            )
                .into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `DELETE /api/v1/session`: end the caller's own session (an API token is not a session:
/// 404).
async fn logout(State(state): State<AppState>, Authenticated(_, token): Authenticated) -> Response {
    if state.auth.logout(&token) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

fn label_json(l: &Label) -> Value {
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

/// Audience track ids are opaque strings, minted per audience.
pub(crate) fn track_id(id: u64) -> String {
    format!("T{id:06}")
}

fn parse_track_id(s: &str) -> Option<u64> {
    s.strip_prefix('T')?.parse().ok()
}

/// A track as a GeoJSON feature: the one rendering shared by `/tracks`, `/history` and
/// the WebSocket. Callers pass only tracks the guard released.
pub(crate) fn feature(t: &Track) -> Value {
    let mut props = json!({
        "id": track_id(t.id),
        "label": label_json(&t.label),
        "marking": t.label.marking(),
        "sources": t.sources,
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
    let mut coords = vec![json!(t.position.lon_deg), json!(t.position.lat_deg)];
    if let Some(a) = t.position.alt_m {
        coords.push(json!(a));
    }
    json!({
        "type": "Feature",
        "id": track_id(t.id),
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
pub(crate) fn feature_text(t: &Track, label: &LabelText) -> String {
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
        track_id(t.id)
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
        track_id(t.id),
        label.json,
        label.marking
    );
    leaf(&mut o, &t.sources);
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
    o.extend_from_slice(b"}}");
    String::from_utf8(o).expect("serde_json writes UTF-8")
}

/// The caller's audience (none when the deployment keeps no picture for it: 404).
pub(crate) fn audience(state: &AppState, s: &Subject) -> Option<Audience> {
    state.runtime.audience_of(s)
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

async fn tracks(State(state): State<AppState>, Caller(s): Caller) -> Response {
    let Some(a) = audience(&state, &s) else {
        return not_found();
    };
    let picture = state.runtime.picture(&a).unwrap_or_default();
    let visible: Vec<&Track> = release_all(&s, picture.tracks.iter().map(|t| &**t)).collect();
    Json(json!({
        "type": "FeatureCollection",
        "audience": {"nation": s.nation, "clearance": s.clearance},
        "marking": view_marking(visible.iter().map(|t| &t.label)),
        "time": iso(picture.time_ms),
        "generation": picture.generation,
        "count": visible.len(),
        "features": visible.iter().map(|t| feature(t)).collect::<Vec<_>>(),
    }))
    .into_response()
}

async fn track(
    State(state): State<AppState>,
    Caller(s): Caller,
    Path(id): Path<String>,
) -> Response {
    let (a, id) = match (audience(&state, &s), parse_track_id(&id)) {
        (Some(a), Some(id)) => (a, id),
        _ => return not_found(),
    };
    let picture = state.runtime.picture(&a).unwrap_or_default();
    let Some(t) = picture
        .tracks
        .iter()
        .find(|t| t.id == id)
        .and_then(|t| release(&s, &**t))
    else {
        return not_found();
    };
    // What the picture shows is in the history too (it is written on its own thread).
    state.runtime.history_settled(&a).await;
    let store = state.store.clone();
    let key = a.key();
    let hist = tokio::task::spawn_blocking(move || {
        store
            .lock()
            .ok()
            .and_then(|st| st.track_history(&key, id, 500).ok())
    })
    .await
    .ok()
    .flatten()
    .unwrap_or_default();
    let history: Vec<Value> = hist
        .iter()
        .filter_map(|h| release(&s, &h.track))
        .map(|h| json!({"time": iso(h.time_ms), "lat": h.position.lat_deg, "lon": h.position.lon_deg}))
        .collect();
    let mut f = feature(t);
    f["properties"]["history"] = json!(history);
    Json(f).into_response()
}

#[derive(Deserialize)]
struct HistoryQuery {
    /// RFC 3339 or ms since the epoch.
    from: Option<String>,
    to: Option<String>,
    /// `min_lon,min_lat,max_lon,max_lat`
    bbox: Option<String>,
    limit: Option<usize>,
}

fn parse_time(s: &str) -> Option<TimeMs> {
    if let Ok(ms) = s.parse::<i64>() {
        return Some(ms);
    }
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    Some((t.unix_timestamp_nanos() / 1_000_000) as TimeMs)
}

fn bad_request(msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": msg}))).into_response()
}

async fn history(
    State(state): State<AppState>,
    Caller(s): Caller,
    Query(q): Query<HistoryQuery>,
) -> Response {
    let Some(a) = audience(&state, &s) else {
        return not_found();
    };
    let from = match q.from.as_deref().map(parse_time) {
        None => i64::MIN,
        Some(Some(t)) => t,
        Some(None) => return bad_request("from: expected RFC 3339 time or epoch milliseconds"),
    };
    let to = match q.to.as_deref().map(parse_time) {
        None => i64::MAX,
        Some(Some(t)) => t,
        Some(None) => return bad_request("to: expected RFC 3339 time or epoch milliseconds"),
    };
    let bbox = match q.bbox.as_deref() {
        None => None,
        Some(b) => {
            let v: Vec<f64> = b.split(',').filter_map(|x| x.trim().parse().ok()).collect();
            match v[..] {
                [min_lon, min_lat, max_lon, max_lat] => Some(BBox {
                    min_lon,
                    min_lat,
                    max_lon,
                    max_lat,
                }),
                _ => return bad_request("bbox: expected min_lon,min_lat,max_lon,max_lat"),
            }
        }
    };
    let limit = q.limit.unwrap_or(10_000).min(100_000);
    state.runtime.history_settled(&a).await;
    let store = state.store.clone();
    let key = a.key();
    let rows = tokio::task::spawn_blocking(move || {
        store
            .lock()
            .ok()
            .and_then(|st| st.query_history(&key, from, to, bbox, limit).ok())
    })
    .await
    .ok()
    .flatten()
    .unwrap_or_default();
    let features: Vec<Value> = rows
        .iter()
        .filter_map(|r| release(&s, &r.track))
        .map(feature)
        .collect();
    Json(json!({"type": "FeatureCollection", "count": features.len(), "features": features}))
        .into_response()
}

async fn alerts(State(state): State<AppState>, Caller(s): Caller) -> Response {
    let Some(a) = audience(&state, &s) else {
        return not_found();
    };
    let picture = state.runtime.picture(&a).unwrap_or_default();
    let alerts: Vec<Value> = release_all(&s, picture.alerts.iter())
        .map(|al| {
            json!({
                "time": iso(al.time_ms),
                "kind": al.kind,
                "zone": al.zone,
                "track_id": track_id(al.track_id),
                "message": al.message,
                "marking": al.label.marking(),
                "lat": al.position.lat_deg,
                "lon": al.position.lon_deg,
            })
        })
        .collect();
    Json(json!({"alerts": alerts})).into_response()
}

async fn feeds(State(state): State<AppState>, Caller(s): Caller) -> Response {
    let feeds: Vec<Value> = state
        .runtime
        .feeds
        .iter()
        .filter(|f| release(&s, &f.config).is_some())
        .map(|f| {
            json!({
                "name": f.config.name,
                "format": f.config.format,
                "nation": f.config.nation,
                "marking": f.config.default_label.marking(),
                "description": f.config.description,
                "accepted": f.stats.accepted(),
                "rejected": f.stats.rejected(),
                "last_error": f.stats.last_error(),
                "clock_rejected": f.stats.clock_rejected(),
                "clock_quarantined": f.stats.clock_quarantined(),
            })
        })
        .collect();
    Json(json!({"feeds": feeds})).into_response()
}

async fn zones(State(state): State<AppState>, Caller(s): Caller) -> Response {
    let features: Vec<Value> = release_all(&s, state.runtime.zones.iter())
        .map(|z| {
            let mut ring: Vec<[f64; 2]> = z.polygon.clone();
            if let Some(first) = ring.first().copied() {
                ring.push(first);
            }
            json!({
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "name": z.name,
                    "approximate": z.approximate,
                    "provenance": z.provenance,
                    "marking": z.label.marking(),
                },
            })
        })
        .collect();
    Json(json!({"type": "FeatureCollection", "features": features})).into_response()
}

/// `POST /api/v1/feeds/{feed}/ingest`: a body in the feed's wire format. Only a subject of
/// the feed's own nation who may see the feed may ingest into it; anyone else gets the
/// same 404 as for a feed that does not exist. 200 means every accepted record is in the
/// journal (committed under the fsync policy).
async fn ingest(
    State(state): State<AppState>,
    Caller(s): Caller,
    Path(feed): Path<String>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let allowed = state
        .runtime
        .feed(&feed)
        .is_some_and(|f| f.config.nation == s.nation && release(&s, &f.config).is_some());
    if !allowed {
        return not_found();
    }
    if let Some(f) = state.runtime.feed(&feed) {
        let header = headers
            .get(crate::signed::HEADER)
            .and_then(|v| v.to_str().ok());
        let marking = f.config.default_label.marking();
        if let Err(e) = state.signers.verify(&feed, &marking, &body, header) {
            f.stats
                .rejected
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if let Ok(mut last) = f.stats.last_error.lock() {
                *last = Some(format!("HTTP ingest signature: {e}"));
            }
            tracing::warn!(feed = %feed, error = %e, "HTTP ingest: signature refused; nothing ingested");
            return bad_request(&format!("signature: {e}; nothing was ingested"));
        }
    }
    match state.runtime.ingest(&feed, &body).await {
        Ok(report) => Json(report).into_response(),
        Err(biac_runtime::IngestError::UnknownFeed(_)) => not_found(),
        Err(e) => {
            tracing::error!(feed = %feed, error = %e, "HTTP ingest failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"error": "ingest unavailable; nothing was acknowledged"})),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod feature_tests {
    use super::*;
    use biac_model::{Classification, Identity, Nation, Position, TrackStatus, Velocity};
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
            sources in prop::collection::btree_set("[a-z\"-]{1,8}", 0..3),
            updates in any::<u64>(), label in 0..3usize,
        ) -> Track {
            let v = var.unwrap_or(f64::NAN);
            Track {
                id, time_ms,
                position: Position { lat_deg: lat, lon_deg: lon, alt_m: alt },
                velocity: Velocity { east_mps: ve, north_mps: vn },
                pos_cov_en: [v, 0.0, v],
                status: [TrackStatus::Tentative, TrackStatus::Confirmed, TrackStatus::Coasting]
                    [status as usize],
                domain: Default::default(),
                affiliation: Default::default(),
                identity: Identity {
                    mmsi, icao, callsign, name, track_number, imo, ship_type, length_m, beam_m,
                },
                sources, updates,
                label: labels()[label].clone(),
            }
        }
    }

    proptest! {
        /// The WebSocket's text rendering is the API's `Value` rendering, byte for byte.
        #[test]
        fn feature_text_is_the_feature_value_as_text(t in track()) {
            prop_assert_eq!(feature_text(&t, &LabelText::of(&t.label)), feature(&t).to_string());
        }
    }
}
