//! `GET /api/v1/alerts`: the caller's audience's alerts, filtered by type, time, area and
//! episode state. The recent ones come from the picture; a window reaching back
//! (`since`) is answered from the history store as well, every alert once (by id).

use std::collections::BTreeSet;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use biac_model::{Alert, AlertState};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::caller::Caller;
use crate::guard::{release_all, Labelled};
use crate::render::{alert_json, bad_request, iso, not_found, parse_bbox, parse_time};
use crate::state::{audience, AppState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertsQuery {
    /// Kinds, comma-separated (`encounter,gap`).
    #[serde(rename = "type")]
    kind: Option<String>,
    /// RFC 3339 or ms since the epoch, inclusive.
    since: Option<String>,
    until: Option<String>,
    /// `min_lon,min_lat,max_lon,max_lat`
    bbox: Option<String>,
    /// `open`: alerts of episodes without a close; `closed`: of closed episodes and
    /// one-shot events.
    state: Option<String>,
    limit: Option<usize>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Caller(s): Caller,
    Query(q): Query<AlertsQuery>,
) -> Response {
    let Some(a) = audience(&state, &s) else {
        return not_found();
    };
    let since = match q.since.as_deref().map(parse_time) {
        None => None,
        Some(Some(t)) => Some(t),
        Some(None) => return bad_request("since: expected RFC 3339 time or epoch milliseconds"),
    };
    let until = match q.until.as_deref().map(parse_time) {
        None => i64::MAX,
        Some(Some(t)) => t,
        Some(None) => return bad_request("until: expected RFC 3339 time or epoch milliseconds"),
    };
    let bbox = match q.bbox.as_deref().map(parse_bbox) {
        None => None,
        Some(Some(b)) => Some(b),
        Some(None) => return bad_request("bbox: expected min_lon,min_lat,max_lon,max_lat"),
    };
    let want_open = match q.state.as_deref() {
        None => None,
        Some("open") => Some(true),
        Some("closed") => Some(false),
        Some(_) => return bad_request("state: expected open or closed"),
    };
    let kinds: Option<BTreeSet<&str>> = q.kind.as_deref().map(|k| {
        k.split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect()
    });
    let limit = q.limit.unwrap_or(10_000).min(100_000);

    let picture = state.runtime.picture(&a).unwrap_or_default();
    let key = a.key();
    let mut all: Vec<Alert> = picture.alerts.iter().cloned().collect();
    if let Some(from) = since {
        // Everything from `since` on, not only to `until`: an episode's close, after the
        // window, still decides whether it is open.
        state.runtime.history_settled(&a).await;
        let store = state.store.clone();
        let k = key.clone();
        let stored = tokio::task::spawn_blocking(move || {
            store
                .lock()
                .ok()
                .and_then(|st| st.query_alerts(&k, from, i64::MAX, 100_000).ok())
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
        all.extend(stored);
    }
    // One alert per id (the picture and the store overlap), in time order.
    let mut ids = BTreeSet::new();
    all.retain(|al| ids.insert(al.audit_object().1));
    all.sort_by_key(|al| al.time_ms);

    let released: Vec<&Alert> = release_all(&s, all.iter()).collect();
    let closed: BTreeSet<&str> = released
        .iter()
        .filter(|al| al.state == AlertState::Close)
        .map(|al| al.episode.as_str())
        .collect();
    let from = since.unwrap_or(i64::MIN);
    let selected: Vec<&&Alert> = released
        .iter()
        .filter(|al| (from..=until).contains(&al.time_ms))
        .filter(|al| kinds.as_ref().is_none_or(|k| k.contains(al.kind.as_str())))
        .filter(|al| {
            bbox.as_ref().is_none_or(|b| {
                let (lat, lon) = (al.position.lat_deg, al.position.lon_deg);
                lon >= b.min_lon && lon <= b.max_lon && lat >= b.min_lat && lat <= b.max_lat
            })
        })
        .filter(|al| {
            want_open.is_none_or(|open| {
                let is_open = !al.episode.is_empty() && !closed.contains(al.episode.as_str());
                is_open == open
            })
        })
        .collect();
    // The newest `limit`, oldest first.
    let skip = selected.len().saturating_sub(limit);
    let alerts: Vec<Value> = selected[skip..]
        .iter()
        .map(|al| {
            let ack = state
                .acks
                .get(&key, &al.audit_object().1)
                .map(|k| json!({"by": k.by, "time": iso(k.time_ms)}));
            let mut v = alert_json(al);
            v["ack"] = json!(ack);
            v
        })
        .collect();
    Json(json!({"alerts": alerts})).into_response()
}
