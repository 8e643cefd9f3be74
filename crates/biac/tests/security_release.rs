//! Issue 20, replayed against the real `biac serve`: what leaves the server, at which
//! exit, and with which marking.
//!
//! - finding 1: a DISPLAY ONLY track is shown by the query API but never streamed (plain
//!   CoT, CoT over mutual TLS, WebSocket), the audit log records the `subscribe` it
//!   refused, and every dissemination control travels in the CoT marking;
//! - finding 5: a trusted feed's wire marking only restricts the feed's label;
//! - finding 2: `/api/v1/metrics` shows a caller only its own audience's counters;
//! - weak: a CoT body ending in a newline, or with `<!ENTITY` in a comment, is accepted.
//!
//! There is no export exit yet (no endpoint writes files), so no export case.

mod common;

use serde_json::{json, Value};

use common::server::{
    cot_read, cot_tls_read, event, ingest, json, request, serve, wait_for, Server,
};
use common::Ws;

const JPN: &str = "t-jpn";
const JPN_SI: &str = "t-jpn-si";
const PHL: &str = "t-phl";
const USA: &str = "t-usa";

fn label(extra: Value) -> Value {
    let mut l = json!({"classification": "SECRET", "owner": ["JPN"], "rel_to": ["USA", "JPN"]});
    l.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    l
}

fn feed(name: &str, label: Value, trusted: bool) -> Value {
    json!({"name": name, "format": "cot", "nation": "JPN", "default_label": label,
           "trusted_markings": trusted, "cot_kind": "track", "listen": "127.0.0.1:0"})
}

fn config() -> Value {
    let si = json!({"categories": ["SI"]});
    json!({
        "feeds": [
            feed("jpn-display", label(json!({"controls": ["DISPLAY ONLY"]})), false),
            feed("jpn-orcon", label(json!({"controls": ["ORCON"]})), false),
            feed("jpn-sigint", label(json!({"restrictive": ["SI"], "controls": ["ORCON"]})), true),
        ],
        "audiences": [
            {"nation": "JPN", "clearance": "SECRET"},
            {"nation": "JPN", "clearance": "SECRET", "holdings": si},
            {"nation": "USA", "clearance": "SECRET"},
            {"nation": "PHL", "clearance": "SECRET"},
        ],
        "tokens": {
            JPN: {"nation": "JPN", "clearance": "SECRET"},
            JPN_SI: {"nation": "JPN", "clearance": "SECRET", "holdings": si},
            USA: {"nation": "USA", "clearance": "SECRET"},
            PHL: {"nation": "PHL", "clearance": "SECRET"},
        },
        "cot_listeners": [{"listen": "127.0.0.1:0", "nation": "JPN", "clearance": "SECRET"}],
        "cot_tls_listeners": [{"listen": "127.0.0.1:0", "clearance": "SECRET",
            "server_cert": "pki/server/cert.pem", "server_key": "pki/server/key.pem",
            "client_cas": {"JPN": "pki/ca/JPN.pem", "PHL": "pki/ca/PHL.pem"}}],
    })
}

fn start() -> Server {
    serve(&config(), Some("JPN,PHL"))
}

fn tracks(s: &Server, token: &str) -> String {
    json(s.http(), "/api/v1/tracks", token).to_string()
}

/// The feature of `callsign` in `token`'s picture, once it is there.
fn feature_of(s: &Server, token: &str, callsign: &str) -> Value {
    let mut found = Value::Null;
    wait_for(30, &format!("{callsign} in {token}'s picture"), || {
        let t = json(s.http(), "/api/v1/tracks", token);
        if let Some(f) = t["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["callsign"] == callsign)
        {
            found = f.clone();
            true
        } else {
            false
        }
    });
    found
}

#[test]
fn display_only_is_viewed_never_streamed_and_controls_reach_the_wire() {
    let s = start();
    let body = event("DISP-1", "DISPLAY-9X", (24.5, 124.5), (None, None, None));
    assert_eq!(ingest(s.http(), "jpn-display", JPN, &body)["accepted"], 1);
    let body = event("ORC-1", "ORCON-4Z", (25.0, 125.0), (None, None, None));
    assert_eq!(ingest(s.http(), "jpn-orcon", JPN, &body)["accepted"], 1);

    // The query API shows both to JPN: DISPLAY ONLY may be viewed.
    let f = feature_of(&s, JPN, "DISPLAY-9X");
    assert_eq!(
        f["properties"]["marking"],
        "SECRET//DISPLAY ONLY//REL TO USA, JPN"
    );
    feature_of(&s, JPN, "ORCON-4Z");

    // Streams: the ORCON track arrives with its control in the marking; the DISPLAY ONLY
    // one never does (before the fix: streamed, marked only SECRET, REL TO USA,JPN).
    let plain = cot_read(s.cot("JPN"), 4);
    let tls = cot_tls_read(&s.dir.path().join("pki"), "analyst-jpn", s.cot_tls(), 5);
    for (exit, got) in [("CoT", &plain), ("CoT over TLS", &tls)] {
        assert!(
            got.contains("ORCON-4Z"),
            "{exit}: ORCON track not streamed: {got}"
        );
        let orcon = got
            .split("<event ")
            .find(|e| e.contains("ORCON-4Z"))
            .unwrap();
        assert!(
            orcon.contains(r#"caveat="ORCON""#),
            "{exit}: control dropped: {orcon}"
        );
        assert!(
            !got.contains("DISPLAY-9X"),
            "{exit} streamed DISPLAY ONLY: {got}"
        );
    }
    let mut ws = Ws::connect_as(s.http(), JPN);
    let (msgs, closed) = ws.read_for(3);
    assert!(closed.is_none(), "{closed:?}");
    let all = msgs.concat();
    assert!(all.contains("ORCON-4Z"), "WebSocket: {all}");
    assert!(
        !all.contains("DISPLAY-9X"),
        "WebSocket streamed DISPLAY ONLY: {all}"
    );

    // The audit log names the action decided: subscribe, denied, at every stream exit.
    wait_for(10, "the audit entries of the refused streams", || {
        let denied: Vec<String> = s
            .audit()
            .iter()
            .filter(|e| {
                e["marking"].as_str().unwrap_or("").contains("DISPLAY ONLY")
                    && e["action"] == "subscribe"
                    && e["decision"] == "deny"
            })
            .map(|e| {
                e["egress"]
                    .as_str()
                    .unwrap_or("")
                    .split(':')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        ["cot", "cot+tls", "ws"]
            .iter()
            .all(|x| denied.iter().any(|d| d == x))
    });
    let audit = s.audit();
    assert!(
        !audit.iter().any(
            |e| e["marking"].as_str().unwrap_or("").contains("DISPLAY ONLY")
                && e["action"] == "subscribe"
                && e["decision"] == "allow"
        ),
        "a DISPLAY ONLY subscribe was allowed"
    );
    assert!(audit
        .iter()
        .any(|e| e["action"] == "view" && e["decision"] == "allow"));
}

#[test]
fn a_wire_marking_only_restricts_a_trusted_feed_label() {
    let s = start();
    // The feed is SECRET//SI//ORCON//REL TO USA, JPN; its wire says UNCLASSIFIED (before
    // the fix: public, and PHL saw it with `sources: jpn-sigint`) or drops SI and ORCON.
    let body = [
        event(
            "SIG-1",
            "SIGINT-5Q",
            (23.0, 123.0),
            (Some("UNCLASSIFIED"), None, None),
        ),
        event(
            "SIG-2",
            "SIGINT-6R",
            (23.5, 123.5),
            (Some("SECRET"), None, Some("JPN,USA")),
        ),
    ]
    .concat();
    assert_eq!(ingest(s.http(), "jpn-sigint", JPN_SI, &body)["accepted"], 2);
    for c in ["SIGINT-5Q", "SIGINT-6R"] {
        let f = feature_of(&s, JPN_SI, c);
        assert_eq!(
            f["properties"]["marking"], "SECRET//SI//ORCON//REL TO USA, JPN",
            "{c}"
        );
        assert_eq!(f["properties"]["sources"], json!(["jpn-sigint"]));
    }
    // Every picture is published together; give the others time anyway.
    std::thread::sleep(std::time::Duration::from_secs(3));
    for who in [PHL, USA, JPN] {
        let t = tracks(&s, who);
        assert!(!t.contains("SIGINT-"), "{who} sees the SI track: {t}");
        assert!(!t.contains("jpn-sigint"), "{who} sees the feed: {t}");
    }
}

/// A metrics value of `series` (its exact name and labels).
fn metric(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in {text}"))
        .parse()
        .unwrap()
}

#[test]
fn metrics_show_only_the_callers_audience() {
    let s = start();
    let body = event("ORC-2", "ORCON-7M", (25.0, 125.0), (None, None, None));
    ingest(s.http(), "jpn-orcon", JPN, &body);
    feature_of(&s, JPN, "ORCON-7M");
    // A JPN client streams over TLS; a JPN WebSocket stays open.
    let got = cot_tls_read(&s.dir.path().join("pki"), "analyst-jpn", s.cot_tls(), 4);
    assert!(got.contains("ORCON-7M"));
    let mut ws = Ws::connect_as(s.http(), JPN);
    ws.read_for(1);
    let l = format!("listener=\"{}\",tls=\"true\"", s.cot_tls());
    let (st, _, jpn) = request(s.http(), "GET", "/api/v1/metrics", Some(JPN), None);
    assert_eq!(st, 200);
    let (st, _, phl) = request(s.http(), "GET", "/api/v1/metrics", Some(PHL), None);
    assert_eq!(st, 200);
    for name in [
        "biac_cot_events_sent_total",
        "biac_cot_bytes_sent_total",
        "biac_cot_connections_total",
    ] {
        let series = format!("{name}{{{l}}}");
        assert!(metric(&jpn, &series) > 0, "JPN {series}: {jpn}");
        // Before the fix PHL read JPN's volume here.
        assert_eq!(metric(&phl, &series), 0, "PHL {series}: {phl}");
    }
    assert!(metric(&jpn, "biac_ws_clients") >= 1);
    assert_eq!(metric(&phl, "biac_ws_clients"), 0, "{phl}");
    assert!(!phl.contains("verdict=\"accepted\""), "{phl}");
}

#[test]
fn cot_bodies_ending_in_a_newline_or_with_entity_words_in_comments_are_accepted() {
    let s = start();
    let ev = event("NL-1", "NEWLINE-1", (25.0, 125.0), (None, None, None));
    // Before the fix: accepted 1, and the newline a rejected "truncated record".
    let r = ingest(s.http(), "jpn-orcon", JPN, &format!("{ev}\n"));
    assert_eq!(
        (r["accepted"].as_u64(), r["rejected_count"].as_u64()),
        (Some(1), Some(0)),
        "{r}"
    );
    // Before the fix: rejected as a declaration.
    let ev = event("CM-1", "COMMENT-1", (25.1, 125.1), (None, None, None))
        .replace("<detail>", "<detail><!-- no <!ENTITY here -->");
    let r = ingest(s.http(), "jpn-orcon", JPN, &ev);
    assert_eq!(
        (r["accepted"].as_u64(), r["rejected_count"].as_u64()),
        (Some(1), Some(0)),
        "{r}"
    );
    // Declarations themselves are still refused.
    let ev = event("DT-1", "DOCTYPE-1", (25.2, 125.2), (None, None, None));
    let xxe = format!(r#"<!DOCTYPE event [<!ENTITY x SYSTEM "file:///etc/passwd">]>{ev}"#);
    let r = ingest(s.http(), "jpn-orcon", JPN, &xxe);
    assert_eq!(
        (r["accepted"].as_u64(), r["rejected_count"].as_u64()),
        (Some(0), Some(1)),
        "{r}"
    );
}
