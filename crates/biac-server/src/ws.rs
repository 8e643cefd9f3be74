//! `GET /api/v1/ws`: the caller's audience picture, live, over a WebSocket.
//!
//! Authentication: `Authorization: Bearer <token>`, or `?token=<token>` for browsers
//! (which cannot set headers on a WebSocket; a short-lived session token from
//! `POST /api/v1/session` is the one to put in a URL); a missing or unknown token refuses
//! the upgrade with 401, a principal the request policy does not let subscribe or a
//! subject without a picture gets 404, all before any upgrade.
//!
//! Messages (JSON text frames, server to client only; what the client sends is ignored
//! apart from close):
//! - first `{"type":"snapshot","audience","generation","time_ms","time","marking","features":[..]}`,
//! - then per new picture generation the client gets to
//!   `{"type":"update","audience","generation","time_ms","time","marking","upserts":[..],"deletes":[ids]}`:
//!   the features that changed or appeared since what *this client* was last sent, and
//!   the ids that disappeared; `marking` is the marking of the client's whole view.
//!
//! Features are rendered exactly as `/api/v1/tracks` renders them and every one passes
//! the egress guard. Back-pressure: the picture arrives on a `watch` channel, so a slow
//! client never blocks fusion and never queues: it skips the generations it was too slow
//! for and its next update is diffed against what it last received (stale updates are
//! replaced, not queued). Memory per client is one copy of its visible picture. A send
//! that does not complete within [`SEND_TIMEOUT`] (a stalled reader, a full TCP window)
//! closes the connection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use biac_model::Track;
use biac_runtime::Picture;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::guard::{release_all, Egress};
use crate::routes::{audience, feature, iso, not_found};
use crate::AppState;

/// A send (one message) that takes longer than this closes the client.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// WebSocket clients connected to this process (all servers in it).
static CLIENTS: AtomicU64 = AtomicU64::new(0);

/// Connected WebSocket clients (for `/api/v1/metrics`).
pub fn clients() -> u64 {
    CLIENTS.load(Ordering::Relaxed)
}

pub(crate) async fn upgrade(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let s = caller.subject;
    let Some(rx) = audience(&state, &s).and_then(|a| state.runtime.pictures.get(&a).cloned())
    else {
        return not_found();
    };
    let e = Egress::new(s, "ws:/api/v1/ws", "subscribe", state.audit.clone());
    match ws {
        Ok(ws) => ws.on_upgrade(move |socket| client(socket, e, rx)),
        Err(e) => e.into_response(),
    }
}

/// Counts a client while it lives.
struct ClientGuard;

impl ClientGuard {
    fn new() -> Self {
        CLIENTS.fetch_add(1, Ordering::Relaxed);
        ClientGuard
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        CLIENTS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The caller's view of a picture: released features by id, and the marking of the
/// whole view (as `/api/v1/tracks`), from one pass through the guard.
fn view(s: &Egress, p: &Picture) -> (Vec<(String, Value)>, String) {
    let released: Vec<&Track> = release_all(s, p.tracks.iter()).collect();
    let marking = crate::routes::view_marking(released.iter().map(|t| &t.label));
    let features = released
        .into_iter()
        .map(|t| {
            let f = feature(t);
            (f["id"].as_str().unwrap_or_default().to_string(), f)
        })
        .collect();
    (features, marking)
}

/// What changed from `sent` to `now`: (upserts, deletes); `sent` becomes `now`.
pub(crate) fn diff(
    sent: &mut HashMap<String, Value>,
    now: Vec<(String, Value)>,
) -> (Vec<Value>, Vec<String>) {
    let mut next = HashMap::with_capacity(now.len());
    let mut upserts = Vec::new();
    for (id, f) in now {
        if sent.get(&id) != Some(&f) {
            upserts.push(f.clone());
        }
        next.insert(id, f);
    }
    let mut deletes: Vec<String> = sent
        .keys()
        .filter(|id| !next.contains_key(*id))
        .cloned()
        .collect();
    deletes.sort();
    *sent = next;
    (upserts, deletes)
}

async fn send(socket: &mut WebSocket, v: &Value) -> bool {
    let msg = Message::Text(v.to_string().into());
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(msg)).await,
        Ok(Ok(()))
    )
}

async fn client(
    mut socket: WebSocket,
    s: Egress,
    mut rx: tokio::sync::watch::Receiver<std::sync::Arc<Picture>>,
) {
    let _count = ClientGuard::new();
    let mut sent = HashMap::new();
    let picture = rx.borrow_and_update().clone();
    let (features, marking) = view(&s, &picture);
    let audience = json!({"nation": s.nation, "clearance": s.clearance});
    let snapshot = json!({
        "type": "snapshot",
        "audience": audience,
        "generation": picture.generation,
        "time_ms": picture.time_ms,
        "time": iso(picture.time_ms),
        "marking": marking,
        "features": features.iter().map(|(_, f)| f).collect::<Vec<_>>(),
    });
    sent.extend(features);
    if !send(&mut socket, &snapshot).await {
        return;
    }
    loop {
        tokio::select! {
            changed = rx.changed() => {
                if changed.is_err() {
                    break; // the pipeline stopped
                }
                let picture = rx.borrow_and_update().clone();
                let (features, marking) = view(&s, &picture);
                let (upserts, deletes) = diff(&mut sent, features);
                let update = json!({
                    "type": "update",
                    "audience": audience,
                    "generation": picture.generation,
                    "time_ms": picture.time_ms,
                    "time": iso(picture.time_ms),
                    "marking": marking,
                    "upserts": upserts,
                    "deletes": deletes,
                });
                if !send(&mut socket, &update).await {
                    tracing::info!("WebSocket client closed or too slow; dropped");
                    break;
                }
            }
            msg = socket.recv() => match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_reports_changes_and_deletions_against_what_was_sent() {
        let mut sent = HashMap::new();
        let (u, d) = diff(
            &mut sent,
            vec![("A".into(), json!(1)), ("B".into(), json!(2))],
        );
        assert_eq!((u.len(), d.len()), (2, 0));
        let (u, d) = diff(
            &mut sent,
            vec![("A".into(), json!(1)), ("C".into(), json!(3))],
        );
        assert_eq!(u, vec![json!(3)]);
        assert_eq!(d, vec!["B".to_string()]);
        let (u, d) = diff(&mut sent, vec![("A".into(), json!(9))]);
        assert_eq!(u, vec![json!(9)]);
        assert_eq!(d, vec!["C".to_string()]);
        let (u, d) = diff(&mut sent, vec![("A".into(), json!(9))]);
        assert!(u.is_empty() && d.is_empty());
    }
}
