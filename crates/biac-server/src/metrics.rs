//! `GET /api/v1/metrics`: Prometheus text exposition format 0.0.4, written by hand.
//!
//! Who may read it: feed names, counters and picture sizes are labelled information, so
//! the endpoint requires a bearer token like the rest of the API (configure the scraper
//! with `authorization: {credentials: <token>}`) and renders only
//! - the feeds the caller may see (each feed through the egress guard),
//! - the caller's own audience's picture (its released track count and generation;
//!   other audiences' sizes would tell the caller about data it may not see),
//! - the caller's own audience's WebSocket client count,
//! - the counters of the TAK listeners serving the caller's own audience, and of the
//!   TLS listeners only the caller's audience's share (a listener serves every nation:
//!   its totals would tell the caller how much another nation is sent, issue 20).

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::caller::Caller;
use crate::guard::{release, release_all};
use crate::state::{audience, AppState};

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
    let counters: [(&str, &str, Get); 4] = [
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
            "biac_feed_clock_rejected_total",
            "Records refused for the clock: too far ahead, or from a source in clock quarantine.",
            |st| st.clock_rejected(),
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
        let n = release_all(&s, picture.tracks.iter().map(|t| &**t)).count();
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
        "WebSocket clients of the caller's audience connected to this process.",
    );
    let _ = writeln!(out, "biac_ws_clients {}", crate::ws::clients(&s.subject));
    cot_listener_metrics(&mut out, &state, &s.subject);
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], out).into_response()
}

/// The counters of the TAK listeners that serve the caller's own audience (another
/// audience's listener activity is not the caller's business).
fn cot_listener_metrics(out: &mut String, state: &AppState, subject: &biac_model::Subject) {
    use crate::cot_stream::CotStreamStats as S;
    type Get = fn(&S) -> u64;
    let listeners: Vec<_> = state
        .cot_listeners
        .iter()
        .filter(|l| l.subject == *subject)
        .collect();
    let families: [(&str, &str, &str, Get); 11] = [
        (
            "biac_cot_clients",
            "gauge",
            "TAK clients connected now.",
            |s| S::get(&s.clients),
        ),
        (
            "biac_cot_connections_total",
            "counter",
            "TAK connections accepted.",
            |s| S::get(&s.connections),
        ),
        (
            "biac_cot_refused_total",
            "counter",
            "TAK connections closed at once: the listener was full.",
            |s| S::get(&s.refused),
        ),
        (
            "biac_cot_negotiated_total",
            "counter",
            "TAK clients that switched to TAK protocol v1.",
            |s| S::get(&s.negotiated),
        ),
        (
            "biac_cot_dropped_stalled_total",
            "counter",
            "TAK clients dropped because a write did not complete in time.",
            |s| S::get(&s.dropped_stalled),
        ),
        (
            "biac_cot_events_sent_total",
            "counter",
            "Events written to TAK clients (tracks, deletes, control).",
            |s| S::get(&s.events_sent),
        ),
        (
            "biac_cot_bytes_sent_total",
            "counter",
            "Bytes written to TAK clients.",
            |s| S::get(&s.bytes_sent),
        ),
        (
            "biac_cot_inbound_events_total",
            "counter",
            "Events received from TAK clients (pings and control included).",
            |s| S::get(&s.inbound_events),
        ),
        (
            "biac_cot_inbound_rejected_total",
            "counter",
            "Records from TAK clients that did not parse.",
            |s| S::get(&s.inbound_rejected),
        ),
        (
            "biac_cot_ingested_total",
            "counter",
            "Observations committed from TAK clients' events.",
            |s| S::get(&s.ingested),
        ),
        (
            "biac_cot_ingest_rejected_total",
            "counter",
            "TAK clients' events the ingest feed refused.",
            |s| S::get(&s.ingest_rejected),
        ),
    ];
    for (name, kind, help, get) in families {
        family(out, name, kind, help);
        for l in &listeners {
            let _ = writeln!(out, "{name}{{listener=\"{}\"}} {}", l.addr, get(&l.stats));
        }
        // A TLS listener serves every nation's clients: the caller sees its own
        // audience's share only (zero before its first client).
        for l in &state.cot_tls_listeners {
            let own = l.stats.audience(subject).unwrap_or_default();
            let _ = writeln!(
                out,
                "{name}{{listener=\"{}\",tls=\"true\"}} {}",
                l.addr,
                get(&own)
            );
        }
    }
    use crate::tls::VerifierStats as V;
    type GetV = fn(&V) -> u64;
    // Refusals only: they count peers no audience was served to; accepted handshakes
    // are every nation's connections.
    let verdicts: [(&str, GetV); 3] = [
        ("wrong_nation", |v| V::get(&v.refused_wrong_nation)),
        ("unknown_ca", |v| V::get(&v.refused_unknown_ca)),
        ("no_nation", |v| V::get(&v.refused_no_nation)),
    ];
    family(
        out,
        "biac_cot_tls_client_certificates_total",
        "counter",
        "Client certificates refused at the TAK TLS listeners, by cause (wrong_nation: signed by another nation's CA than the one it names).",
    );
    for l in &state.cot_tls_listeners {
        for (verdict, get) in verdicts {
            let _ = writeln!(
                out,
                "biac_cot_tls_client_certificates_total{{listener=\"{}\",verdict=\"{verdict}\"}} {}",
                l.addr,
                get(&l.verifier)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn label_values_are_escaped() {
        assert_eq!(super::esc("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
