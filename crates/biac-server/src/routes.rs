//! `/api/v1` handlers.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use axum::{Json, Router};
use biac_model::{Track, TrackId};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::LoginError;
use crate::authz::ROUTES;
use crate::caller::{Authenticated, Caller};
use crate::guard::{record_act, release, release_all, Labelled};
use crate::peer::PeerCert;
use crate::render::{bad_request, feature, iso, not_found, parse_bbox, parse_time, view_marking};
use crate::state::{audience, visible_sources, AppState};
use crate::web;

/// The handler of one entry of [`ROUTES`].
pub(crate) fn handler(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method, path) {
        ("GET", "/api/v1/health") => get(health),
        ("GET", "/api/v1/openapi.json") => get(crate::openapi::document),
        ("GET", "/api/v1/tracks") => get(tracks),
        ("GET", "/api/v1/tracks/{id}") => get(track),
        ("GET", "/api/v1/history") => get(history),
        ("GET", "/api/v1/alerts") => get(crate::alerts::list),
        ("POST", "/api/v1/alerts/ack") => post(ack_alert),
        ("GET", "/api/v1/feeds") => get(feeds),
        ("POST", "/api/v1/feeds/{feed}/ingest") => post(ingest),
        ("GET", "/api/v1/zones") => get(zones),
        ("GET", "/api/v1/zones/maritime") => get(maritime_zones),
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
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// The page's Content Security Policy: everything from this origin only (MapLibre's
/// worker is a module file here; icons are drawn on canvases and handed over as
/// `data:`/`blob:` images; MapLibre sets element styles), no plugins, no framing, no
/// `<base>` rewriting, no form posting elsewhere.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Headers on every answer, page and API alike: the policy above, no framing (for
/// browsers without `frame-ancestors`), no MIME sniffing, no referrer.
async fn security_headers(mut r: Response) -> Response {
    use axum::http::header::{
        CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
    };
    use axum::http::HeaderValue;
    let h = r.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}

async fn api_not_found(_: Authenticated) -> Response {
    not_found()
}

/// How long a login waits for a password-check slot before answering 503.
const LOGIN_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

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
    // The peer's address when the listener records it (`ConnectInfo`).
    from: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    Json(req): Json<LoginRequest>,
) -> Response {
    let auth = state.auth.clone();
    let peer = peer.map(|axum::Extension(p)| p);
    let from = from.map(|axum::Extension(axum::extract::ConnectInfo(a))| a.ip());
    let user = req.user.clone();
    // argon2 takes tens of milliseconds of CPU and ~19 MiB on purpose: not on the async
    // executor, and on a fixed few threads; the rest queue, and a full queue is 503.
    let checker = auth.clone();
    let result = tokio::time::timeout(
        LOGIN_QUEUE_WAIT,
        checker
            .checker
            .run(move || auth.login_from(&req.user, &req.password, peer.as_ref(), from)),
    )
    .await;
    let Ok(Some(result)) = result else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::RETRY_AFTER, "5")],
            Json(json!({"error": "login busy; try again later"})),
        )
            .into_response();
    };
    match result {
        Ok(s) => {
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
        Err(LoginError::Throttled) => {
            tracing::warn!(user = %user, peer = ?from, "login throttled after repeated failures");
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(
                    axum::http::header::RETRY_AFTER,
                    crate::auth::FAILURE_WINDOW.as_secs().to_string(),
                )],
                Json(json!({"error": "too many failed logins; try again later"})),
            )
                .into_response()
        }
        Err(LoginError::TooManySessions) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "too many sessions; try again later"})),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(user = %user, reason = ?e, "login refused");
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": "invalid user or password"})),
            )
                .into_response()
        }
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

async fn tracks(State(state): State<AppState>, Caller(s): Caller) -> Response {
    let Some(a) = audience(&state, &s) else {
        return not_found();
    };
    let picture = state.runtime.picture(&a).unwrap_or_default();
    let visible: Vec<&Track> = release_all(&s, picture.tracks.iter().map(|t| &**t)).collect();
    let sources = visible_sources(&state, &s);
    Json(json!({
        "type": "FeatureCollection",
        "audience": {"nation": s.nation, "clearance": s.clearance},
        "marking": view_marking(visible.iter().map(|t| &t.label)),
        "time": iso(picture.time_ms),
        "generation": picture.generation,
        "count": visible.len(),
        "features": visible.iter().map(|t| feature(t, &sources)).collect::<Vec<_>>(),
    }))
    .into_response()
}

async fn track(
    State(state): State<AppState>,
    Caller(s): Caller,
    Path(id): Path<String>,
) -> Response {
    let (a, id) = match (audience(&state, &s), TrackId::parse(&id)) {
        (Some(a), Some(TrackId(id))) => (a, id),
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
    let mut f = feature(t, &visible_sources(&state, &s));
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
    let bbox = match q.bbox.as_deref().map(parse_bbox) {
        None => None,
        Some(Some(b)) => Some(b),
        Some(None) => return bad_request("bbox: expected min_lon,min_lat,max_lon,max_lat"),
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
    let sources = visible_sources(&state, &s);
    let features: Vec<Value> = rows
        .iter()
        .filter_map(|r| release(&s, &r.track))
        .map(|t| feature(t, &sources))
        .collect();
    Json(json!({"type": "FeatureCollection", "count": features.len(), "features": features}))
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AckRequest {
    /// The alert's `id` as `GET /api/v1/alerts` gives it.
    id: String,
}

/// `POST /api/v1/alerts/ack`: acknowledge one of the caller's alerts for its audience,
/// recorded with the principal and written to the audit log (`acknowledge`). An alert the
/// caller may not see answers 404 like one that does not exist; the first
/// acknowledgement stands.
async fn ack_alert(
    State(state): State<AppState>,
    Caller(s): Caller,
    Json(req): Json<AckRequest>,
) -> Response {
    let Some(a) = audience(&state, &s) else {
        return not_found();
    };
    let picture = state.runtime.picture(&a).unwrap_or_default();
    let Some(al) = picture
        .alerts
        .iter()
        .find(|al| al.audit_object().1 == req.id)
        .and_then(|al| release(&s, al))
    else {
        return not_found();
    };
    if !record_act(&s, "acknowledge", al) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "audit log unavailable; not acknowledged"})),
        )
            .into_response();
    }
    let by = s.principal.clone().unwrap_or_default();
    let (acks, key, id, who) = (state.acks.clone(), a.key(), req.id.clone(), by.clone());
    let stored = tokio::task::spawn_blocking(move || {
        acks.acknowledge(&key, &id, &who, crate::guard::now_ms())
    })
    .await;
    let Ok(Ok(ack)) = stored else {
        tracing::error!(principal = %by, alert = %req.id, "acknowledgement not stored");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "store unavailable; not acknowledged"})),
        )
            .into_response();
    };
    tracing::info!(principal = %by, alert = %req.id, "alert acknowledged");
    Json(json!({"id": req.id, "ack": {"by": ack.by, "time": iso(ack.time_ms)}})).into_response()
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
                "refused_sources": f.stats.refused_sources(),
                "above_ceiling": f.stats.above_ceiling(),
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

/// `GET /api/v1/zones/maritime`: the approximate maritime zones as the caller's nation
/// recognises the disputed features (see [`crate::maritime`]).
async fn maritime_zones(State(state): State<AppState>, Caller(s): Caller) -> Response {
    let zones = state.maritime.clone();
    match tokio::task::spawn_blocking(move || zones.released(&s)).await {
        Ok(fc) => Json(fc).into_response(),
        Err(_) => not_found(),
    }
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
mod tests {
    #[test]
    fn every_route_has_a_handler() {
        for (m, p) in super::ROUTES {
            assert!(super::handler(m, p).is_some(), "{m} {p} has no handler");
        }
    }
}
