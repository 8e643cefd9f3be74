//! The shared render against what per-client rendering wrote.

use std::sync::Arc;
use std::time::Duration;

use biac_model::{Classification, Identity, Label, Nation, Position, Subject, Track, Velocity};
use biac_runtime::Picture;
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;
use tokio::sync::watch;

use super::cot_events as events;
use super::*;
use crate::cot_stream::{self, CotStreamOptions};
use crate::guard::Egress;

const T0: i64 = 1_800_000_000_000;
const PREFIX: &str = "biac-PHL-SECRET";

fn track(id: u64, label: Label, version: i64) -> Track {
    let at = Position::new(24.0 + id as f64 * 1e-3 + version as f64 * 1e-4, 124.0);
    Track::new(id, T0 + version * 1_000, at, label)
        .with_velocity(Velocity::from_sog_cog(5.0, 90.0))
        .with_cov([400.0, 0.0, 400.0])
        .with_identity(Identity {
            name: Some(format!("SHIP {id}")),
            ..Identity::default()
        })
        .with_source("feed", 0)
        .with_updates(1 + version as u64)
}

fn public(id: u64, version: i64) -> Track {
    track(id, Label::unclassified_public(Nation::JPN), version)
}

/// Releasable to JPN and USA only: never for PHL.
fn hidden(id: u64, version: i64) -> Track {
    let mut t = track(
        id,
        Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]),
        version,
    );
    t.identity.name = Some("HIDDEN-7Q".into());
    t
}

/// A picture of `tracks`, sorted by id as the pipeline publishes them.
fn picture(generation: u64, mut tracks: Vec<Track>) -> Picture {
    tracks.sort_by_key(|t| t.id);
    Picture {
        time_ms: tracks.iter().map(|t| t.time_ms).max().unwrap_or(0),
        generation,
        tracks: tracks.into_iter().map(Arc::new).collect(),
        alerts: Default::default(),
    }
}

fn phl() -> Subject {
    Subject::new(Nation::PHL, Classification::Secret)
}

fn jpn() -> Subject {
    Subject::new(Nation::JPN, Classification::Secret)
}

fn egress(s: Subject) -> Egress {
    Egress::new(
        s,
        "cot:127.0.0.1:8087",
        crate::guard::Action::Subscribe,
        None,
    )
}

fn opts() -> CotStreamOptions {
    CotStreamOptions::default()
}

fn cot_stage(s: Subject) -> CotStage {
    {
        let o = opts();
        CotStage::new(egress(s), PREFIX.into(), o.stale_ms, o.refresh_ms)
    }
}

fn xml(snap: &CotSnapshot, since: Option<u64>) -> Vec<u8> {
    let mut b = Vec::new();
    snap.write_since(since, false, &mut b);
    b
}

/// What a client of the old per-client writer wrote for these tracks at `now`.
fn expect_tracks<T: std::borrow::Borrow<Track>>(ts: &[T], now: i64) -> Vec<u8> {
    let mut b = Vec::new();
    for t in ts {
        let out = events::track(PREFIX, t.borrow(), now, opts().stale_ms);
        b.extend_from_slice(&events::xml_frame(&out.event));
    }
    b
}

fn expect_withdrawals(ts: &[Track], now: i64) -> Vec<u8> {
    let mut b = Vec::new();
    for t in ts {
        for out in events::withdrawal(PREFIX, t, now) {
            b.extend_from_slice(&events::xml_frame(&out.event));
        }
    }
    b
}

#[test]
fn two_clients_of_one_audience_get_identical_bytes() {
    let mut st = cot_stage(phl());
    let p1 = picture(1, vec![public(1, 0), public(2, 0)]);
    let s1 = st.step(&p1, true, T0, 0).unwrap();
    let p2 = picture(2, vec![public(1, 1), public(2, 0), public(3, 0)]);
    let s2 = st.step(&p2, true, T0 + 1_000, 0).unwrap();
    // Joining now, and having consumed s1: the shared batch is what each would build.
    for since in [None, Some(s1.seq)] {
        let a = s2.shared(since, false).unwrap();
        let b = s2.shared(since, false).unwrap();
        assert!(std::ptr::eq(a, b), "one batch, shared");
        assert_eq!(a.bytes, xml(&s2, since));
        let mut own = Vec::new();
        assert_eq!(s2.write_since(since, false, &mut own), a.events);
    }
    // The delta since s1: the changed and the new track, rendered when they changed.
    let mut want = expect_tracks(&[public(1, 1), public(3, 0)], T0 + 1_000);
    assert_eq!(s2.shared(Some(s1.seq), false).unwrap().bytes, want);
    // Everything for a newcomer: track 2 as rendered at its first sight.
    want = expect_tracks(&[public(1, 1)], T0 + 1_000);
    want.extend(expect_tracks(&[public(2, 0)], T0));
    want.extend(expect_tracks(&[public(3, 0)], T0 + 1_000));
    assert_eq!(xml(&s2, None), want);
    // TAK protocol v1: the same events, each converted once.
    let v1 = s2.shared(Some(s1.seq), true).unwrap();
    let mut want = Vec::new();
    for t in [public(1, 1), public(3, 0)] {
        let out = events::track(PREFIX, &t, T0 + 1_000, opts().stale_ms);
        want.extend(events::proto_frame(&out.event).unwrap());
    }
    assert_eq!((v1.bytes.clone(), v1.events), (want, 2));
}

#[test]
fn a_client_that_skipped_generations_gets_the_right_upserts_and_withdrawals() {
    let mut st = cot_stage(phl());
    let s1 = st
        .step(
            &picture(1, vec![public(1, 0), public(2, 0), public(3, 0)]),
            true,
            T0,
            0,
        )
        .unwrap();
    // 1 changes, 2 leaves.
    let s2 = st
        .step(
            &picture(2, vec![public(1, 1), public(3, 0)]),
            true,
            T0 + 1_000,
            0,
        )
        .unwrap();
    // 3 changes, 4 arrives, 1 leaves; 2 comes back (a new incarnation).
    let s3 = st
        .step(
            &picture(3, vec![public(3, 1), public(4, 0), public(2, 5)]),
            true,
            T0 + 2_000,
            0,
        )
        .unwrap();
    assert_eq!((s1.seq, s2.seq, s3.seq), (1, 2, 3));
    assert_eq!(s3.prev, Some(2));

    // Consumed s1, skipped s2: 3, 4 and the returned 2 as they are now; 1 withdrawn
    // (it left in s3: its last state); nothing about 2 having left in between.
    let mut want = expect_tracks(&[public(2, 5), public(3, 1), public(4, 0)], T0 + 2_000);
    want.extend(expect_withdrawals(&[public(1, 1)], T0 + 2_000));
    assert_eq!(xml(&s3, Some(s1.seq)), want);
    assert!(
        s3.shared(Some(s1.seq), false).is_none(),
        "not the shared delta"
    );

    // Consumed s2: the same (2 was withdrawn in s2 and is new again).
    assert_eq!(xml(&s3, Some(s2.seq)), want);
    // The s2 delta: 1 changed, 2 withdrawn.
    let mut want2 = expect_tracks(&[public(1, 1)], T0 + 1_000);
    want2.extend(expect_withdrawals(&[public(2, 0)], T0 + 1_000));
    assert_eq!(xml(&s2, Some(s1.seq)), want2);

    // A picture where 4 leaves while a client still sits at s1: its tombstone must
    // outlive the others' progress; 4 was never sent to the s1 client: no withdrawal.
    let s4 = st
        .step(
            &picture(4, vec![public(3, 1), public(2, 5)]),
            true,
            T0 + 3_000,
            1,
        )
        .unwrap();
    let mut want = expect_tracks(&[public(2, 5), public(3, 1)], T0 + 2_000);
    want.extend(expect_withdrawals(&[public(1, 1)], T0 + 2_000));
    assert_eq!(xml(&s4, Some(s1.seq)), want);
    assert_eq!(
        xml(&s4, Some(s3.seq)),
        expect_withdrawals(&[public(4, 0)], T0 + 3_000)
    );
    // Every client past s3: the tombstones of 1 (s3) and 2 (s2) go; 4's (s4) stays.
    let s5 = st
        .step(
            &picture(5, vec![public(3, 2), public(2, 5)]),
            true,
            T0 + 4_000,
            3,
        )
        .unwrap();
    assert_eq!(s5.tombstones.len(), 1);
    assert_eq!(s5.tombstones[0].id, 4);
}

#[test]
fn a_client_of_another_audience_never_gets_a_track_it_may_not_see() {
    let p = picture(1, vec![public(1, 0), hidden(2, 0)]);
    let mut for_phl = cot_stage(phl());
    let mut for_jpn = cot_stage(jpn());
    let sp = for_phl.step(&p, true, T0, 0).unwrap();
    let sj = for_jpn.step(&p, true, T0, 0).unwrap();
    assert_eq!((sp.subject, sp.len()), (phl(), 1));
    assert_eq!((sj.subject, sj.len()), (jpn(), 2));
    let text = String::from_utf8(sp.shared(None, false).unwrap().bytes.clone()).unwrap();
    assert!(!text.contains("HIDDEN-7Q"), "{text}");
    assert!(String::from_utf8(xml(&sj, None))
        .unwrap()
        .contains("HIDDEN-7Q"));
    // The WebSocket stage likewise.
    let mut ws_phl = WsStage::new(
        Egress::new(
            phl(),
            crate::ws::EXIT,
            crate::guard::Action::Subscribe,
            None,
        ),
        crate::render::Sources::all(),
    );
    let w = ws_phl.step(&p, true, T0, 0).unwrap();
    assert_eq!(w.len(), 1);
    assert!(!w.snapshot_message().contains("HIDDEN-7Q"));
}

#[test]
fn a_refresh_bumps_the_version() {
    let refresh = opts().refresh_ms;
    let mut st = cot_stage(phl());
    let p = picture(1, vec![public(1, 0), public(2, 0)]);
    let s1 = st.step(&p, true, T0, 0).unwrap();
    // Same picture, before the refresh is due: nothing to publish.
    assert!(st.step(&p, false, T0 + refresh - 1, 0).is_none());
    assert!(st.step(&p, true, T0 + refresh - 1, 0).is_none());
    // Due: both re-rendered with the new time, for every client.
    let s2 = st.step(&p, false, T0 + refresh, 0).unwrap();
    assert_eq!(s2.prev, Some(s1.seq));
    assert_eq!(
        s2.shared(Some(s1.seq), false).unwrap().bytes,
        expect_tracks(&p.tracks, T0 + refresh)
    );
    assert_eq!(st.tick(), Some(Duration::from_millis((refresh / 4) as u64)));
}

/// The old per-client WebSocket messages, as `ws.rs` built them.
fn old_ws_message(kind: &str, s: &WsSnapshot, body: Value) -> Value {
    let mut v = json!({
        "type": kind,
        "audience": {"nation": phl().nation, "clearance": phl().clearance},
        "generation": s.generation,
        "time_ms": s.time_ms,
        "time": crate::render::iso(s.time_ms),
        "marking": s.marking,
    });
    for (k, x) in body.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

fn features(ts: &[Track]) -> Value {
    ts.iter()
        .map(|t| crate::render::feature(t, &crate::render::Sources::all()))
        .collect()
}

#[test]
fn websocket_messages_are_the_documented_ones() {
    let mut st = WsStage::new(
        Egress::new(
            phl(),
            crate::ws::EXIT,
            crate::guard::Action::Subscribe,
            None,
        ),
        crate::render::Sources::all(),
    );
    let s1 = st
        .step(
            &picture(7, vec![public(1, 0), public(2, 0), public(3, 0)]),
            true,
            T0,
            0,
        )
        .unwrap();
    let snap: Value = serde_json::from_str(&s1.snapshot_message()).unwrap();
    assert_eq!(
        snap,
        old_ws_message(
            "snapshot",
            &s1,
            json!({"features": features(&[public(1, 0), public(2, 0), public(3, 0)]), "alerts": []})
        )
    );
    let labels = [public(1, 0).label];
    assert_eq!(s1.marking, crate::render::view_marking(labels.iter()));
    // An unchanged track is not an upsert; a new generation is always an update.
    let s2 = st
        .step(&picture(8, vec![public(1, 1), public(2, 0)]), true, T0, 0)
        .unwrap();
    let s3 = st
        .step(&picture(9, vec![public(2, 0), public(4, 0)]), true, T0, 0)
        .unwrap();
    let s4 = st
        .step(&picture(10, vec![public(2, 0), public(4, 0)]), true, T0, 0)
        .unwrap();
    let upd = |s: &WsSnapshot, since| -> Value {
        serde_json::from_str(&s.update_message(since)).unwrap()
    };
    assert_eq!(
        upd(&s2, s1.seq),
        old_ws_message(
            "update",
            &s2,
            json!({"upserts": features(&[public(1, 1)]), "deletes": ["T000003"], "alerts": []})
        )
    );
    // Skipped s2: 1 and 3 gone (sorted), 4 new.
    assert_eq!(
        upd(&s3, s1.seq),
        old_ws_message(
            "update",
            &s3,
            json!({"upserts": features(&[public(4, 0)]), "deletes": ["T000001", "T000003"], "alerts": []})
        )
    );
    assert_eq!(
        upd(&s4, s3.seq),
        old_ws_message(
            "update",
            &s4,
            json!({"upserts": [], "deletes": [], "alerts": []})
        )
    );
    assert_eq!(s4.generation, 10);
    // Compact JSON, keys in the documented order, as serde_json wrote the old ones.
    assert!(s4.update_message(s3.seq).starts_with(
        r#"{"type":"update","audience":{"nation":"PHL","clearance":"SECRET"},"generation":10,"#
    ));
}

/// New alerts go out once, in the update of the snapshot they appeared in, each released
/// for the stage's subject; the snapshot message carries the kept ones.
#[test]
fn websocket_alerts_are_released_once_each() {
    let mut st = WsStage::new(
        Egress::new(
            phl(),
            crate::ws::EXIT,
            crate::guard::Action::Subscribe,
            None,
        ),
        crate::render::Sources::all(),
    );
    let alert = |t: &Track, ms| {
        biac_model::Alert::event(ms, "zone-entry", t.id, t.position, "in", t.label.clone())
    };
    let mut p1 = picture(1, vec![public(1, 0)]);
    p1.alerts.push_back(alert(&public(1, 0), T0));
    let s1 = st.step(&p1, true, T0, 0).unwrap();
    let mut p2 = picture(2, vec![public(1, 0), hidden(2, 0)]);
    p2.alerts = p1.alerts.clone();
    p2.alerts.push_back(alert(&hidden(2, 0), T0 + 1));
    p2.alerts.push_back(alert(&public(1, 1), T0 + 2));
    let s2 = st.step(&p2, true, T0, 0).unwrap();
    let ids = |m: &str| -> Vec<String> {
        let v: Value = serde_json::from_str(m).unwrap();
        v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (first, later) = (
        alert(&public(1, 0), T0).id(),
        alert(&public(1, 1), T0 + 2).id(),
    );
    assert_eq!(ids(&s1.snapshot_message()), std::slice::from_ref(&first));
    // The hidden track's alert never; the first not again.
    assert_eq!(
        ids(&s2.update_message(s1.seq)),
        std::slice::from_ref(&later)
    );
    assert_eq!(ids(&s2.snapshot_message()), [first, later]);
    let s3 = st.step(&p2.clone(), true, T0, 0).unwrap();
    assert!(ids(&s3.update_message(s2.seq)).is_empty());
}

#[tokio::test]
async fn a_stage_starts_with_its_first_subscriber_and_stops_after_its_last() {
    let (tx, rx) = watch::channel(Arc::new(picture(1, vec![public(1, 0)])));
    let fanouts: Arc<Fanouts<WsStage>> = Arc::default();
    let start = || {
        (
            WsStage::new(
                Egress::new(
                    phl(),
                    crate::ws::EXIT,
                    crate::guard::Action::Subscribe,
                    None,
                ),
                crate::render::Sources::all(),
            ),
            rx.clone(),
        )
    };
    let mut a = fanouts.subscribe(phl(), start);
    let mut b = fanouts.subscribe(phl(), || unreachable!("running already"));
    assert_eq!(fanouts.running(), 1);
    let (sa, sb) = (a.first().await.unwrap(), b.first().await.unwrap());
    assert!(Arc::ptr_eq(&sa, &sb), "one render, shared");
    a.consumed(sa.seq);
    tx.send_replace(Arc::new(picture(2, vec![public(1, 1)])));
    let na = a.next().await.unwrap();
    assert_eq!((na.generation, na.prev), (2, Some(sa.seq)));
    drop((a, b));
    for _ in 0..100 {
        if fanouts.running() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fanouts.running(), 0, "stopped with its last subscriber");
    // And starts again for the next one.
    let mut c = fanouts.subscribe(phl(), start);
    assert_eq!(c.first().await.unwrap().generation, 2);
}

/// Over sockets: two clients of one listener receive the same bytes after their own
/// protocol offers (whose uids differ), and the counters count what was written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_listener_clients_read_identical_streams() {
    let tracks: Vec<Track> = (1..=50).map(|i| public(i, 0)).collect();
    let (tx, rx) = watch::channel(Arc::new(picture(1, tracks)));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listener = cot_stream::spawn(l, phl(), "PHL-SECRET", rx, opts()).unwrap();
    let mut a = tokio::net::TcpStream::connect(listener.addr).await.unwrap();
    let mut b = tokio::net::TcpStream::connect(listener.addr).await.unwrap();
    async fn read_until(s: &mut tokio::net::TcpStream, n: usize) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 65536];
        let marker = b"<?xml";
        while got.windows(marker.len()).filter(|w| w == marker).count() < n {
            let k = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
                .await
                .expect("data within 10 s")
                .unwrap();
            assert!(k > 0, "closed");
            got.extend_from_slice(&buf[..k]);
        }
        // Drop the first event (the protocol offer).
        let second = got[1..].windows(5).position(|w| w == marker).unwrap() + 1;
        got.split_off(second)
    }
    // Offer + 50 tracks, then 50 updates + nothing else.
    let (ra, rb) = tokio::join!(read_until(&mut a, 51), read_until(&mut b, 51));
    assert_eq!(ra, rb);
    tx.send_replace(Arc::new(picture(
        2,
        (2..=51).map(|i| public(i, 1)).collect(),
    )));
    let mut more_a = Vec::new();
    let mut more_b = Vec::new();
    let mut buf = vec![0u8; 65536];
    // 50 upserts and the withdrawal of 1 (two events).
    for (s, more) in [(&mut a, &mut more_a), (&mut b, &mut more_b)] {
        while more.windows(5).filter(|w| w == b"<?xml").count() < 52 {
            let k = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
                .await
                .expect("data within 10 s")
                .unwrap();
            assert!(k > 0);
            more.extend_from_slice(&buf[..k]);
        }
    }
    assert_eq!(more_a, more_b);
    let text = String::from_utf8(more_a).unwrap();
    assert!(text.contains(r#"type="t-x-d-d""#) && text.contains("biac-PHL-SECRET-T000001"));
    let st = &listener.stats;
    // Per client: the offer, 50 tracks, 50 updates, 2 withdrawal events.
    assert_eq!(cot_stream::CotStreamStats::get(&st.events_sent), 2 * 103);
}

/// A track that is the same `Arc` as before is not rendered again, and one whose label
/// changed (a new value) goes through the guard again: relabelled out of PHL's reach, it
/// is withdrawn from PHL at once although its id is unchanged.
#[test]
fn an_unchanged_track_is_reused_and_a_relabelled_one_is_decided_again() {
    let mut st = cot_stage(phl());
    let a = Arc::new(public(1, 0));
    let b = Arc::new(public(2, 0));
    let p1 = Picture {
        time_ms: T0,
        generation: 1,
        tracks: vec![a.clone(), b.clone()],
        alerts: Default::default(),
    };
    let s1 = st.step(&p1, true, T0, 0).unwrap();
    // Same Arcs, a generation later: nothing to send to a client that is current.
    let p2 = Picture {
        generation: 2,
        ..p1.clone()
    };
    if let Some(s2) = st.step(&p2, true, T0 + 100, 0) {
        assert!(
            xml(&s2, Some(s1.seq)).is_empty(),
            "unchanged tracks re-sent"
        );
    }
    // Track 2 is relabelled SECRET//REL USA (a new value with the same id and time).
    let mut relabelled = (*b).clone();
    relabelled.label = Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]);
    let p3 = Picture {
        generation: 3,
        tracks: vec![a.clone(), Arc::new(relabelled)],
        ..p1.clone()
    };
    let s3 = st.step(&p3, true, T0 + 200, 0).unwrap();
    let out = String::from_utf8(xml(&s3, Some(s1.seq))).unwrap();
    assert!(out.contains("t-x-d-d"), "track 2 not withdrawn: {out}");
    assert!(
        !out.contains("REL TO"),
        "the relabelled track leaked: {out}"
    );
}

/// CoT output polish (issue 17): a listener's refresh re-sends an unchanged track with
/// the same `start` and `stale` — the data's age decides its expiry, not the send — and
/// its control events write the schema's unknown height, never `hae="0"`.
#[test]
fn a_refresh_resends_an_unchanged_track_without_extending_its_life() {
    let mut st = cot_stage(phl());
    let p = picture(1, vec![public(1, 0)]);
    let s1 = st.step(&p, true, T0, 0).unwrap();
    let later = T0 + opts().refresh_ms + 1_000;
    let s2 = st
        .step(&p, false, later, 0)
        .expect("an unchanged track is re-sent after the refresh time");
    let first = String::from_utf8(xml(&s1, None)).unwrap();
    let again = String::from_utf8(xml(&s2, Some(s1.seq))).unwrap();
    assert!(!again.is_empty(), "re-sent");
    let attr = |x: &str, name: &str| {
        let at = x.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        x[at..at + x[at..].find('"').unwrap()].to_string()
    };
    assert_ne!(attr(&first, "time"), attr(&again, "time"));
    assert_eq!(attr(&first, "start"), attr(&again, "start"));
    assert_eq!(attr(&first, "stale"), attr(&again, "stale"));
    let want = events::track(PREFIX, &public(1, 0), T0, opts().stale_ms);
    assert_eq!(want.event.stale_ms, public(1, 0).time_ms + opts().stale_ms);
    let pong = events::pong(Nation::JPN, T0).event.to_xml();
    assert!(pong.contains(r#"hae="9999999""#), "{pong}");
}
