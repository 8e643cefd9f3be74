use super::*;
use biac_model::{Classification, Label, Nation, Position};

fn obs(t: i64, feed: &str) -> Observation {
    Observation::new(
        t,
        Position::new(24.8, 125.3),
        10.0,
        feed,
        Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]),
    )
}

#[test]
fn journal_survives_reopen_in_order() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = Store::open(dir.path(), SyncPolicy::Full).unwrap();
        let seqs = s.append(1, &[obs(10, "a"), obs(11, "b")]).unwrap();
        assert_eq!(seqs, vec![1, 2]);
        s.append(2, &[obs(12, "c")]).unwrap();
        s.append_flush(3).unwrap();
    }
    let s = Store::open(dir.path(), SyncPolicy::Full).unwrap();
    let all = s.read_journal(0, 100).unwrap();
    assert_eq!(
        all.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(all[2].record, JournalRecord::Observation(obs(12, "c")));
    assert_eq!(all[3].record, JournalRecord::Flush);
    assert_eq!(s.read_journal(2, 100).unwrap().len(), 2);
    assert_eq!(s.last_seq().unwrap(), 4);
    // A per-audience flush marker survives a reopen too.
    drop(s);
    let mut s = Store::open(dir.path(), SyncPolicy::Full).unwrap();
    s.append_flush_audience(4, "JPN-SECRET+SI").unwrap();
    assert_eq!(
        s.read_journal(4, 10).unwrap()[0].record,
        JournalRecord::FlushAudience("JPN-SECRET+SI".into())
    );
}

#[test]
fn history_by_time_and_area() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), SyncPolicy::Off).unwrap();
    let o = obs(0, "a");
    let track = |id, lat, lon| Track {
        missile: None,
        id,
        time_ms: 0,
        position: Position::new(lat, lon),
        velocity: biac_model::Velocity {
            east_mps: 0.0,
            north_mps: 0.0,
        },
        pos_cov_en: [1.0, 0.0, 1.0],
        status: biac_model::TrackStatus::Confirmed,
        domain: Default::default(),
        affiliation: Default::default(),
        identity: Default::default(),
        sources: [("a".to_string(), 0)].into(),
        updates: 1,
        label: o.label.clone(),
    };
    s.insert_snapshot("JPN", 1000, &[track(1, 24.0, 125.0), track(2, 30.0, 130.0)])
        .unwrap();
    s.insert_snapshot("JPN", 2000, &[track(1, 24.1, 125.1)])
        .unwrap();
    s.insert_snapshot("USA", 2000, &[track(9, 24.1, 125.1)])
        .unwrap();
    // The same snapshot again (a replay after a restart): not stored twice; nor one
    // older than the history (a replay after a journal purge snapshots at other times).
    assert!(!s
        .insert_snapshot("JPN", 2000, &[track(1, 24.1, 125.1)])
        .unwrap());
    assert!(!s
        .insert_snapshot("JPN", 1500, &[track(1, 24.1, 125.1)])
        .unwrap());
    // The other audience's history is its own.
    assert!(s
        .insert_snapshot("USA", 2500, &[track(9, 24.1, 125.1)])
        .unwrap());
    let b = BBox {
        min_lon: 124.0,
        min_lat: 23.0,
        max_lon: 126.0,
        max_lat: 25.0,
    };
    let h = s.query_history("JPN", 0, 5000, Some(b), 100).unwrap();
    assert_eq!(h.len(), 2);
    assert!(h.iter().all(|x| x.track.id == 1));
    assert_eq!(
        s.query_history("JPN", 1500, 5000, None, 100).unwrap().len(),
        1
    );
    assert_eq!(s.track_history("JPN", 1, 10).unwrap().len(), 2);
    assert_eq!(s.track_history("USA", 1, 10).unwrap().len(), 0);
}

#[test]
fn retention_purges_in_batches_and_never_reuses_sequence_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), SyncPolicy::Off).unwrap();
    // 25 old records (received at 1..=25 ms), 5 recent ones (received at 1000 ms).
    for r in 1..=25 {
        s.append(r, &[obs(r, "old")]).unwrap();
    }
    s.append(1000, &vec![obs(1000, "new"); 5]).unwrap();
    let track = |id| Track {
        missile: None,
        id,
        time_ms: 0,
        position: Position::new(24.0, 125.0),
        velocity: biac_model::Velocity {
            east_mps: 0.0,
            north_mps: 0.0,
        },
        pos_cov_en: [1.0, 0.0, 1.0],
        status: biac_model::TrackStatus::Confirmed,
        domain: Default::default(),
        affiliation: Default::default(),
        identity: Default::default(),
        sources: [("a".to_string(), 0)].into(),
        updates: 1,
        label: obs(0, "a").label,
    };
    for t in [100, 200, 5000] {
        s.insert_snapshot("JPN", t, &[track(1), track(2)]).unwrap();
    }
    // Nothing configured: nothing deleted.
    let none = s.apply_retention(None, None, 7).unwrap();
    assert_eq!(none, RetentionReport::default());
    assert_eq!(s.journal_len().unwrap(), 30);

    let r = s.apply_retention(Some(500), Some(1000), 7).unwrap();
    assert_eq!((r.journal, r.history, r.alerts), (25, 4, 0));
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
    // New records continue after the highest ever assigned, even when it was deleted.
    s.apply_retention(Some(i64::MAX), None, 7).unwrap();
    assert_eq!(s.journal_len().unwrap(), 0);
    let seqs = s.append(2000, &[obs(2000, "after")]).unwrap();
    assert_eq!(seqs, vec![31]);
}

#[test]
fn the_log_is_checkpointed_on_demand_when_commits_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), SyncPolicy::Off).unwrap();
    s.set_auto_checkpoint(false).unwrap();
    // Well past the 1,000 pages a commit would checkpoint at.
    for r in 0..300 {
        s.append(r, &vec![obs(r, "busy"); 50]).unwrap();
    }
    let wal = dir.path().join("biac.sqlite-wal");
    assert!(std::fs::metadata(&wal).unwrap().len() > 4_096 * 1_000);
    let (log, done) = s.checkpoint(Database::Journal, false).unwrap();
    assert!(log > 1_000, "frames in the log: {log}");
    assert_eq!(
        done, log,
        "a passive checkpoint with no reader copies everything"
    );
    // A restart checkpoint makes the next commit start the log over.
    s.checkpoint(Database::Journal, true).unwrap();
    s.append(20_000, &[obs(20_000, "after")]).unwrap();
    let (log, _) = s.checkpoint(Database::Journal, false).unwrap();
    assert!(log < 100, "the log started over: {log} frames");
    // Everything is still there.
    assert_eq!(s.journal_len().unwrap(), 300 * 50 + 1);
}

#[test]
fn a_replayed_alert_is_not_stored_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), SyncPolicy::Off).unwrap();
    let alert = |t: i64, track_id: u64| {
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
    };
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
    assert_eq!(s.query_alerts("JPN", 0, 1_000, 100).unwrap().len(), 4);
}

#[test]
fn acknowledgements_survive_reopen_and_the_first_stands() {
    let dir = tempfile::tempdir().unwrap();
    let ack = |aud: &str, alert: &str, by: &str, t: i64| AckRecord {
        audience: aud.into(),
        alert: alert.into(),
        principal: by.into(),
        time_ms: t,
    };
    {
        let s = Store::open(dir.path(), SyncPolicy::Full).unwrap();
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
    let s = Store::open(dir.path(), SyncPolicy::Full).unwrap();
    assert_eq!(
        s.acks().unwrap(),
        vec![ack("JPN", "a1", "alice", 10), ack("USA", "a1", "carol", 30)]
    );
}
