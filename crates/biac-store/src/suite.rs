//! The store test suite, generic over [`Storage`]: every implementation runs the same
//! functions (`storage_suite!` makes one `#[test]` of each), so SQLite and PostgreSQL
//! are held to one behaviour. Built for this crate's tests and, with the `suite`
//! feature, for another store's.

use std::collections::BTreeSet;

use biac_model::{Alert, Classification, Label, Nation, Observation, Position, Track};

use crate::{AckRecord, BBox, JournalRecord, KeyedRecord, RetentionReport, Storage};

/// Opens the one store a test works on, as often as the test needs (a reopen must see
/// everything committed before), from any thread.
pub trait Fixture: Sync {
    type S: Storage + Send;
    fn open(&self) -> Self::S;
}

/// One `#[test]` per suite function, each on a fresh fixture from `$fixture` (an
/// expression evaluated per test).
#[macro_export]
macro_rules! storage_suite {
    ($fixture:expr) => {
        $crate::storage_suite!(@tests $fixture;
            journal_survives_reopen_in_order,
            history_by_time_and_area,
            retention_purges_in_batches_and_never_reuses_sequence_numbers,
            compaction_deletes_only_older_records,
            a_replayed_alert_is_not_stored_again,
            acknowledgements_survive_reopen_and_the_first_stands,
            labels_travel_with_every_row,
            concurrent_appenders_keep_a_gap_free_duplicate_free_seq,
            a_keyed_record_stored_twice_is_stored_once,
        );
    };
    (@tests $fixture:expr; $($name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                let fixture = $fixture;
                $crate::suite::$name(&fixture);
            }
        )*
    };
}

pub fn obs(t: i64, feed: &str) -> Observation {
    Observation::new(
        t,
        Position::new(24.8, 125.3),
        10.0,
        feed,
        Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]),
    )
}

pub fn track(id: u64, lat: f64, lon: f64) -> Track {
    Track::new(id, 0, Position::new(lat, lon), obs(0, "a").label)
        .with_domain(Default::default())
        .with_source("a", 0)
}

fn alert(t: i64, track_id: u64) -> Alert {
    let mut a = Alert::event(
        t,
        "zone-entry",
        track_id,
        Position::new(24.8, 125.3),
        format!("track {track_id} entered miyako"),
        Label::unclassified_public(Nation::JPN),
    );
    a.zone = "miyako".into();
    a
}

fn snapshot<S: Storage>(s: &mut S, audience: &str, t: i64, tracks: &[Track]) -> bool {
    s.insert_snapshot(audience, t, &mut tracks.iter()).unwrap()
}

pub fn journal_survives_reopen_in_order(f: &impl Fixture) {
    {
        let mut s = f.open();
        let seqs = s.append(1, &[obs(10, "a"), obs(11, "b")]).unwrap();
        assert_eq!(seqs, vec![1, 2]);
        s.append(2, &[obs(12, "c")]).unwrap();
        s.append_flush(3).unwrap();
    }
    let s = f.open();
    let all = s.read_journal(0, 100).unwrap();
    assert_eq!(
        all.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(all[2].record, JournalRecord::Observation(obs(12, "c")));
    assert_eq!(all[2].received_ms, 2);
    assert_eq!(all[3].record, JournalRecord::Flush);
    assert_eq!(s.read_journal(2, 100).unwrap().len(), 2);
    assert_eq!(s.read_journal(0, 3).unwrap().len(), 3, "the limit holds");
    assert_eq!(s.last_seq().unwrap(), 4);
    // A per-audience flush marker survives a reopen too.
    drop(s);
    let mut s = f.open();
    assert_eq!(s.append_flush_audience(4, "JPN-SECRET+SI").unwrap(), 5);
    drop(s);
    let s = f.open();
    assert_eq!(
        s.read_journal(4, 10).unwrap()[0].record,
        JournalRecord::FlushAudience("JPN-SECRET+SI".into())
    );
}

pub fn history_by_time_and_area(f: &impl Fixture) {
    let mut s = f.open();
    assert!(snapshot(
        &mut s,
        "JPN",
        1000,
        &[track(1, 24.0, 125.0), track(2, 30.0, 130.0)]
    ));
    snapshot(&mut s, "JPN", 2000, &[track(1, 24.1, 125.1)]);
    snapshot(&mut s, "USA", 2000, &[track(9, 24.1, 125.1)]);
    // The same snapshot again (a replay after a restart): not stored twice; nor one
    // older than the history (a replay after a journal purge snapshots at other times).
    assert!(!snapshot(&mut s, "JPN", 2000, &[track(1, 24.1, 125.1)]));
    assert!(!snapshot(&mut s, "JPN", 1500, &[track(1, 24.1, 125.1)]));
    // The other audience's history is its own.
    assert!(snapshot(&mut s, "USA", 2500, &[track(9, 24.1, 125.1)]));
    let b = BBox {
        min_lon: 124.0,
        min_lat: 23.0,
        max_lon: 126.0,
        max_lat: 25.0,
    };
    let h = s.query_history("JPN", 0, 5000, Some(b), 100).unwrap();
    assert_eq!(h.len(), 2);
    assert!(h.iter().all(|x| x.track.id == 1 && x.audience == "JPN"));
    assert_eq!(
        h.iter().map(|x| x.time_ms).collect::<Vec<_>>(),
        vec![1000, 2000]
    );
    assert_eq!(h[1].track, track(1, 24.1, 125.1));
    // The box's edges are inside it (track 1 at 24.0, 125.0).
    let edge = BBox {
        min_lon: 125.0,
        min_lat: 24.0,
        max_lon: 125.0,
        max_lat: 24.0,
    };
    assert_eq!(
        s.query_history("JPN", 1000, 1000, Some(edge), 100)
            .unwrap()
            .len(),
        1
    );
    let all = s.query_history("JPN", 0, 5000, None, 100).unwrap();
    assert_eq!(
        all.iter()
            .map(|x| (x.time_ms, x.track.id))
            .collect::<Vec<_>>(),
        vec![(1000, 1), (1000, 2), (2000, 1)],
        "time then track order"
    );
    assert_eq!(s.query_history("JPN", 0, 5000, None, 2).unwrap().len(), 2);
    assert_eq!(
        s.query_history("JPN", 1500, 5000, None, 100).unwrap().len(),
        1
    );
    let one = s.track_history("JPN", 1, 10).unwrap();
    assert_eq!(
        one.iter().map(|x| x.time_ms).collect::<Vec<_>>(),
        vec![1000, 2000]
    );
    assert_eq!(
        s.track_history("JPN", 1, 1).unwrap()[0].time_ms,
        2000,
        "the newest"
    );
    assert_eq!(s.track_history("USA", 1, 10).unwrap().len(), 0);
}

pub fn retention_purges_in_batches_and_never_reuses_sequence_numbers(f: &impl Fixture) {
    let mut s = f.open();
    // 25 old records (received at 1..=25 ms), 5 recent ones (received at 1000 ms).
    for r in 1..=25 {
        s.append(r, &[obs(r, "old")]).unwrap();
    }
    s.append(1000, &vec![obs(1000, "new"); 5]).unwrap();
    for t in [100, 200, 5000] {
        snapshot(
            &mut s,
            "JPN",
            t,
            &[track(1, 24.0, 125.0), track(2, 24.0, 125.0)],
        );
    }
    // Nothing configured: nothing deleted.
    let none = s.apply_retention(None, None, 7).unwrap();
    assert_eq!(none, RetentionReport::default());
    assert_eq!(s.journal_len().unwrap(), 30);

    assert!(s.insert_alert("JPN", &alert(100, 1)).unwrap());
    let r = s.apply_retention(Some(500), Some(1000), 7).unwrap();
    assert_eq!((r.journal, r.history, r.alerts), (25, 4, 1));
    let left = s.read_journal(0, 100).unwrap();
    assert_eq!(left.len(), 5);
    assert!(left.iter().all(|e| e.received_ms == 1000));
    assert_eq!(left[0].seq, 26, "the survivors keep their sequence numbers");
    assert_eq!(
        s.query_history("JPN", 0, i64::MAX, None, 100)
            .unwrap()
            .len(),
        2
    );
    // New records continue after the highest ever assigned, even when it was deleted,
    // and after a reopen.
    s.apply_retention(Some(i64::MAX), None, 7).unwrap();
    assert_eq!(s.journal_len().unwrap(), 0);
    drop(s);
    let mut s = f.open();
    let seqs = s.append(2000, &[obs(2000, "after")]).unwrap();
    assert_eq!(seqs, vec![31]);
}

pub fn compaction_deletes_only_older_records(f: &impl Fixture) {
    let mut s = f.open();
    s.append(10, &[obs(1, "a"), obs(2, "a")]).unwrap();
    s.append(20, &[obs(3, "a")]).unwrap();
    assert_eq!(s.compact_journal(20).unwrap(), 2);
    let left = s.read_journal(0, 10).unwrap();
    assert_eq!(left.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3]);
    assert_eq!(s.last_seq().unwrap(), 3);
}

pub fn a_replayed_alert_is_not_stored_again(f: &impl Fixture) {
    let mut s = f.open();
    assert!(s.insert_alert("JPN", &alert(100, 1)).unwrap());
    assert!(
        !s.insert_alert("JPN", &alert(100, 1)).unwrap(),
        "the same again"
    );
    assert!(
        s.insert_alert("JPN", &alert(100, 2)).unwrap(),
        "another at the same time"
    );
    assert!(s.insert_alert("JPN", &alert(200, 1)).unwrap());
    assert!(
        s.insert_alert("JPN", &alert(150, 3)).unwrap(),
        "older than the stored ones (a behaviour dated at its start)"
    );
    assert!(
        !s.insert_alert("JPN", &alert(150, 3)).unwrap(),
        "and that one replayed"
    );
    assert!(
        s.insert_alert("USA", &alert(150, 3)).unwrap(),
        "another audience's"
    );
    let jpn = s.query_alerts("JPN", 0, 1_000, 100).unwrap();
    assert_eq!(
        jpn.iter().map(|a| a.time_ms).collect::<Vec<_>>(),
        vec![100, 100, 150, 200],
        "in time order"
    );
    assert_eq!(s.query_alerts("JPN", 120, 1_000, 100).unwrap().len(), 2);
    assert_eq!(s.query_alerts("JPN", 0, 1_000, 1).unwrap().len(), 1);
}

pub fn acknowledgements_survive_reopen_and_the_first_stands(f: &impl Fixture) {
    let ack = |aud: &str, alert: &str, by: &str, t: i64| AckRecord {
        audience: aud.into(),
        alert: alert.into(),
        principal: by.into(),
        time_ms: t,
    };
    {
        let s = f.open();
        assert_eq!(
            s.acknowledge(&ack("JPN", "a1", "alice", 10))
                .unwrap()
                .principal,
            "alice"
        );
        let again = s.acknowledge(&ack("JPN", "a1", "bob", 20)).unwrap();
        assert_eq!(
            (again.principal.as_str(), again.time_ms),
            ("alice", 10),
            "the first stands"
        );
        s.acknowledge(&ack("USA", "a1", "carol", 30)).unwrap();
        s.acknowledge(&ack("JPN", "a2", "bob", 40)).unwrap();
        s.forget_ack("JPN", "a2").unwrap();
    }
    let s = f.open();
    assert_eq!(
        s.acks().unwrap(),
        vec![ack("JPN", "a1", "alice", 10), ack("USA", "a1", "carol", 30)]
    );
}

/// Every row keeps its label: an observation, a track and an alert of three different
/// labels come back with exactly those labels.
pub fn labels_travel_with_every_row(f: &impl Fixture) {
    let secret = Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]);
    let public = Label::unclassified_public(Nation::USA);
    let mut s = f.open();
    let mut o = obs(5, "radar");
    o.label = secret.clone();
    s.append(1, &[o.clone()]).unwrap();
    let mut t = track(7, 24.0, 125.0);
    t.label = public.clone();
    snapshot(&mut s, "JPN", 10, &[t]);
    let mut a = alert(10, 7);
    a.label = secret.clone();
    s.insert_alert("JPN", &a).unwrap();
    drop(s);
    let s = f.open();
    match &s.read_journal(0, 1).unwrap()[0].record {
        JournalRecord::Observation(back) => {
            assert_eq!(back.label, secret);
            assert_eq!(back, &o);
        }
        other => panic!("not an observation: {other:?}"),
    }
    assert_eq!(s.track_history("JPN", 7, 1).unwrap()[0].track.label, public);
    assert_eq!(s.query_alerts("JPN", 0, 100, 10).unwrap()[0], a);
}

/// Appenders on separate connections at once: every record gets a number, no number is
/// given twice, none is skipped, and each batch's numbers are consecutive.
pub fn concurrent_appenders_keep_a_gap_free_duplicate_free_seq(f: &impl Fixture) {
    const THREADS: usize = 4;
    const BATCHES: usize = 25;
    const BATCH: usize = 8;
    let seqs: Vec<Vec<Vec<i64>>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|w| {
                scope.spawn(move || {
                    let mut s = f.open();
                    (0..BATCHES)
                        .map(|b| {
                            let feed = format!("w{w}");
                            let batch = vec![obs(b as i64, &feed); BATCH];
                            if b % 2 == 0 {
                                s.append(b as i64, &batch).unwrap()
                            } else {
                                let ids: Vec<String> =
                                    (0..BATCH).map(|i| format!("{b}-{i}")).collect();
                                let records: Vec<_> = batch
                                    .iter()
                                    .map(|o| JournalRecord::Observation(o.clone()))
                                    .collect();
                                let keyed: Vec<_> = records
                                    .iter()
                                    .zip(&ids)
                                    .map(|(record, id)| KeyedRecord { msg_id: id, record })
                                    .collect();
                                let done = s.append_keyed(b as i64, &keyed).unwrap();
                                assert!(done.iter().all(|a| a.stored));
                                done.iter().map(|a| a.seq).collect()
                            }
                        })
                        .collect()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let total = THREADS * BATCHES * BATCH;
    let mut all = BTreeSet::new();
    for batch in seqs.iter().flatten() {
        assert!(
            batch.windows(2).all(|w| w[1] == w[0] + 1),
            "one batch's numbers are consecutive: {batch:?}"
        );
        for &seq in batch {
            assert!(all.insert(seq), "seq {seq} given twice");
        }
    }
    assert_eq!(all.len(), total);
    assert_eq!(
        all.iter().copied().collect::<Vec<_>>(),
        (1..=total as i64).collect::<Vec<_>>(),
        "no gap"
    );
    let s = f.open();
    assert_eq!(s.last_seq().unwrap(), total as i64);
    let journal = s.read_journal(0, total + 1).unwrap();
    assert_eq!(journal.len(), total);
    // Each worker's records are in the journal in the order it appended them.
    for w in 0..THREADS {
        let feed = format!("w{w}");
        let times: Vec<i64> = journal
            .iter()
            .filter_map(|e| match &e.record {
                JournalRecord::Observation(o) if o.feed == feed => Some(o.time_ms),
                _ => None,
            })
            .collect();
        assert_eq!(times.len(), BATCHES * BATCH);
        assert!(
            times.windows(2).all(|p| p[0] <= p[1]),
            "worker {w} in order"
        );
    }
}

/// A retried publish (same feed, same message id) is journalled once and answered with
/// the first one's sequence number; the same id on another feed is another record.
pub fn a_keyed_record_stored_twice_is_stored_once(f: &impl Fixture) {
    let mut s = f.open();
    let a = JournalRecord::Observation(obs(1, "ais"));
    let b = JournalRecord::Observation(obs(2, "ais"));
    let radar = JournalRecord::Observation(obs(1, "radar"));
    let flush = JournalRecord::FlushAudience("JPN-SECRET".into());
    let key = |msg_id, record| KeyedRecord { msg_id, record };
    let first = s.append_keyed(10, &[key("m1", &a), key("m2", &b)]).unwrap();
    assert_eq!(
        first.iter().map(|x| (x.seq, x.stored)).collect::<Vec<_>>(),
        vec![(1, true), (2, true)]
    );
    // The retry, after a reopen (another node may retry), with one new record.
    drop(s);
    let mut s = f.open();
    let again = s
        .append_keyed(20, &[key("m2", &b), key("m1", &radar), key("m3", &a)])
        .unwrap();
    assert_eq!(
        again.iter().map(|x| (x.seq, x.stored)).collect::<Vec<_>>(),
        vec![(2, false), (3, true), (4, true)]
    );
    // A duplicate within one batch is stored once too.
    let within = s.append_keyed(30, &[key("m4", &a), key("m4", &a)]).unwrap();
    assert_eq!(
        within.iter().map(|x| (x.seq, x.stored)).collect::<Vec<_>>(),
        vec![(5, true), (5, false)]
    );
    // Unkeyed appends are never deduplicated, and follow without a gap.
    let JournalRecord::Observation(o) = &a else {
        unreachable!()
    };
    assert_eq!(s.append(40, &[o.clone(), o.clone()]).unwrap(), vec![6, 7]);
    // A keyed marker is stored once too (an archiver resuming re-sends it).
    let marker = s
        .append_keyed(50, &[key("f1", &flush), key("f1", &flush)])
        .unwrap();
    assert_eq!(
        marker.iter().map(|x| (x.seq, x.stored)).collect::<Vec<_>>(),
        vec![(8, true), (8, false)]
    );
    assert_eq!(s.append_keyed(60, &[key("f1", &flush)]).unwrap()[0].seq, 8);
    assert_eq!(s.journal_len().unwrap(), 8);
    let journal = s.read_journal(0, 100).unwrap();
    assert_eq!(journal[1].received_ms, 10, "the first write stands");
    assert_eq!(journal[2].record, radar);
    assert_eq!(journal[7].record, flush);
}
