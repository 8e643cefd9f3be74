//! `GET /api/v1/metrics`: Prometheus text exposition format 0.0.4, written by hand.
//!
//! Who may read it: feed names, counters and picture sizes are labelled information, so
//! the endpoint requires a bearer token like the rest of the API (configure the scraper
//! with `authorization: {credentials: <token>}`) and renders only
//! - the feeds the caller may see (each feed through the egress guard),
//! - the caller's own audience's picture (its released track count and generation;
//!   other audiences' sizes would tell the caller about data it may not see),
//! - the process-wide WebSocket client count (a number of connections, unlabelled).

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::auth::Caller;
use crate::guard::{release, release_all};
use crate::routes::audience;
use crate::AppState;

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A label value with `\`, `"` and newlines escaped.
fn esc(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

pub(crate) async fn metrics(State(state): State<AppState>, Caller(s): Caller) -> Response {
    let mut out = String::new();
    let feeds: Vec<_> = state
        .runtime
        .feeds
        .iter()
        .filter(|f| release(&s, &f.config).is_some())
        .collect();
    type Get = fn(&biac_runtime::FeedStats) -> u64;
    let counters: [(&str, &str, Get); 3] = [
        (
            "biac_feed_accepted_total",
            "Observations accepted from the feed (TCP and HTTP ingest).",
            |st| st.accepted(),
        ),
        (
            "biac_feed_rejected_total",
            "Records rejected on the feed (undecodable, implausible, oversized, truncated).",
            |st| st.rejected(),
        ),
        (
            "biac_feed_connections_total",
            "TCP connections accepted on the feed plus HTTP ingest requests.",
            |st| st.connections.load(std::sync::atomic::Ordering::Relaxed),
        ),
    ];
    for (name, help, get) in counters {
        family(&mut out, name, "counter", help);
        for f in &feeds {
            let _ = writeln!(
                out,
                "{name}{{feed=\"{}\",nation=\"{}\"}} {}",
                esc(&f.config.name),
                f.config.nation,
                get(&f.stats)
            );
        }
    }
    if let Some(a) = audience(&state, &s) {
        let picture = state.runtime.picture(&a).unwrap_or_default();
        let key = esc(&a.key());
        family(
            &mut out,
            "biac_picture_tracks",
            "gauge",
            "Tracks in the caller's audience picture.",
        );
        let n = release_all(&s, picture.tracks.iter()).count();
        let _ = writeln!(out, "biac_picture_tracks{{audience=\"{key}\"}} {n}");
        family(
            &mut out,
            "biac_picture_generation",
            "gauge",
            "Generation of the caller's audience picture (increments per publication).",
        );
        let _ = writeln!(
            out,
            "biac_picture_generation{{audience=\"{key}\"}} {}",
            picture.generation
        );
    }
    family(
        &mut out,
        "biac_ws_clients",
        "gauge",
        "WebSocket clients connected to this process.",
    );
    let _ = writeln!(out, "biac_ws_clients {}", crate::ws::clients());
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], out).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn label_values_are_escaped() {
        assert_eq!(super::esc("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
