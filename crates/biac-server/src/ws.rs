//! `GET /api/v1/ws`: the caller's audience picture, live, over a WebSocket.
//!
//! Authentication: `Authorization: Bearer <token>`, or for browsers (which cannot set
//! headers on a WebSocket) the subprotocols `biac.v1, bearer.<token>` (the web page's way).
//! Never `?token=` (a URL is logged by proxies and kept in browser history; an API token
//! there would never expire): a missing, unknown or URL-borne token refuses
//! the upgrade with 401, a principal the request policy does not let subscribe or a
//! subject without a picture gets 404, all before any upgrade.
//!
//! Messages (JSON text frames, server to client only; what the client sends is ignored
//! apart from close):
//! - first `{"type":"snapshot","audience","generation","time_ms","time","marking","features":[..],"alerts":[..]}`,
//! - then per new picture generation the client gets to
//!   `{"type":"update","audience","generation","time_ms","time","marking","upserts":[..],"deletes":[ids],"alerts":[..]}`:
//!   the features that changed or appeared since what *this client* was last sent, and
//!   the ids that disappeared; `marking` is the marking of the client's whole view.
//!   `alerts`: in a snapshot the newest (up to 200) released alerts, in an update those
//!   raised since, each as `/api/v1/alerts` gives it (without `ack`) and each through
//!   the guard — a live alert feed without polling.
//!
//! Features are rendered exactly as `/api/v1/tracks` renders them and every one passes
//! the egress guard — once per audience and generation, not once per client: the
//! audience's shared [`WsStage`] releases the picture for its subject at this exit,
//! serializes each changed feature once and publishes a snapshot that every client of
//! the audience builds its messages from (clients that were sent the previous one share
//! one `update` message). A client only ever subscribes to the stage of its own subject.
//! Back-pressure: snapshots arrive on a `watch` channel, so a slow client never blocks
//! fusion and never queues: it skips the generations it was too slow for and its next
//! update covers everything since what it last received (stale updates are replaced,
//! not queued). Memory per client is the number of the last snapshot it was sent (and the
//! message being sent). A send that does not complete within [`SEND_TIMEOUT`] (a stalled
//! reader, a full TCP window) closes the connection.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use axum::extract::ws::{close_code, CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use biac_model::Subject;
use biac_runtime::Picture;
use tokio::sync::watch;

use crate::auth::SessionEnd;
use crate::caller::Caller;
use crate::fanout::{Fanouts, WsStage};
use crate::guard::Egress;
use crate::render::{not_found, Sources};
use crate::state::{audience, AppState};

/// The exit the guard and the audit log name.
pub const EXIT: &str = "ws:/api/v1/ws";

/// A send (one message) that takes longer than this closes the client.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// WebSocket clients connected to this process (all servers in it), by subject.
static CLIENTS: LazyLock<Mutex<HashMap<Subject, u64>>> = LazyLock::new(Mutex::default);

/// Connected WebSocket clients of `subject`'s audience (for `/api/v1/metrics`: another
/// audience's clients are not the caller's business).
pub fn clients(subject: &Subject) -> u64 {
    let c = CLIENTS.lock().unwrap_or_else(|e| e.into_inner());
    c.get(subject).copied().unwrap_or(0)
}

pub(crate) async fn upgrade(
    State(state): State<AppState>,
    Caller(caller): Caller,
    crate::caller::Authenticated(_, token): crate::caller::Authenticated,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let s = caller.subject;
    let Some(rx) = audience(&state, &s).and_then(|a| state.runtime.pictures.get(&a).cloned())
    else {
        return not_found();
    };
    let e = Egress::new(
        s,
        EXIT,
        crate::guard::Action::Subscribe,
        state.audit.clone(),
    );
    let sources = crate::state::visible_sources(&state, &e);
    // A session's socket lives no longer than the session (API tokens do not end).
    let end = state.auth.session_end(&token);
    let fanouts = state.ws_fanouts.clone();
    match ws {
        // Select `biac.v1` when offered (a browser that offered subprotocols fails a
        // handshake that selects none); the `bearer.` one is never echoed back.
        Ok(ws) => ws
            .protocols([crate::caller::WS_PROTOCOL])
            .on_upgrade(move |socket| client(socket, fanouts, e, sources, rx, end)),
        Err(e) => e.into_response(),
    }
}

/// Counts a client while it lives.
struct ClientGuard(Subject);

impl ClientGuard {
    fn new(s: Subject) -> Self {
        *CLIENTS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(s)
            .or_default() += 1;
        ClientGuard(s)
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        let mut c = CLIENTS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = c.get_mut(&self.0) {
            *n -= 1;
            if *n == 0 {
                c.remove(&self.0);
            }
        }
    }
}

async fn send(socket: &mut WebSocket, msg: Utf8Bytes) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(msg))).await,
        Ok(Ok(()))
    )
}

/// Resolves when the client's session ends; never for a credential without one.
async fn session_ended(end: &mut Option<SessionEnd>) {
    match end {
        Some(e) => e.wait().await,
        None => std::future::pending().await,
    }
}

async fn client(
    mut socket: WebSocket,
    fanouts: Arc<Fanouts<WsStage>>,
    s: Egress,
    sources: Sources,
    rx: watch::Receiver<Arc<Picture>>,
    mut end: Option<SessionEnd>,
) {
    let _count = ClientGuard::new(s.subject);
    let subject = s.subject;
    // The shared renderer of this client's own subject at this exit.
    let mut sub = fanouts.subscribe(subject, || (WsStage::new(s, sources), rx));
    let Some(snap) = sub.first().await else {
        return;
    };
    // The invariant, checked: only what was released for this client's subject.
    if snap.subject != subject {
        tracing::error!("WebSocket snapshot of another subject refused");
        return;
    }
    let mut since = snap.seq;
    sub.consumed(since);
    if !send(&mut socket, snap.snapshot_message()).await {
        return;
    }
    loop {
        tokio::select! {
            snap = sub.next() => {
                let Some(snap) = snap else {
                    break; // the pipeline stopped
                };
                if snap.subject != subject {
                    tracing::error!("WebSocket snapshot of another subject refused");
                    break;
                }
                let update = snap.update_message(since);
                since = snap.seq;
                sub.consumed(since);
                if !send(&mut socket, update).await {
                    tracing::info!("WebSocket client closed or too slow; dropped");
                    break;
                }
            }
            _ = session_ended(&mut end) => {
                tracing::info!("WebSocket closed: its session ended");
                let _ = tokio::time::timeout(
                    SEND_TIMEOUT,
                    socket.send(Message::Close(Some(CloseFrame {
                        code: close_code::POLICY,
                        reason: "session ended".into(),
                    }))),
                )
                .await;
                break;
            }
            msg = socket.recv() => match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => {}
            },
        }
    }
}
