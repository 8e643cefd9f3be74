use super::*;
use suite::obs;

/// The SQLite store of a test: one directory, opened with the default sync policy.
struct Sqlite {
    dir: tempfile::TempDir,
}

impl suite::Fixture for Sqlite {
    type S = Store;
    fn open(&self) -> Store {
        Store::open(self.dir.path(), SyncPolicy::Full).unwrap()
    }
}

crate::storage_suite!(Sqlite {
    dir: tempfile::tempdir().unwrap()
});

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
fn a_journal_made_before_idempotency_keys_gets_them_on_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = Connection::open(dir.path().join("biac.sqlite")).unwrap();
        conn.execute_batch(
            "CREATE TABLE journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, \
             received_ms INTEGER NOT NULL, feed TEXT NOT NULL, time_ms INTEGER NOT NULL, \
             body TEXT NOT NULL)",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO journal (received_ms, feed, time_ms, body) VALUES (1, 'a', 10, ?1)",
            params![encode_observation(&obs(10, "a"))],
        )
        .unwrap();
    }
    let mut s = Store::open(dir.path(), SyncPolicy::Off).unwrap();
    let o = JournalRecord::Observation(obs(11, "a"));
    let keyed = [KeyedRecord {
        msg_id: "m1",
        record: &o,
    }];
    assert_eq!(s.append_keyed(2, &keyed).unwrap()[0].seq, 2);
    assert!(!s.append_keyed(3, &keyed).unwrap()[0].stored);
    assert_eq!(s.journal_len().unwrap(), 2);
    drop(s);
    // Opening again changes nothing.
    let s = Store::open(dir.path(), SyncPolicy::Off).unwrap();
    assert_eq!(s.read_journal(0, 10).unwrap().len(), 2);
}

#[test]
fn a_sync_policy_is_read_by_name_and_an_unknown_one_is_named() {
    assert_eq!("normal".parse::<SyncPolicy>(), Ok(SyncPolicy::Normal));
    let err = "fast".parse::<SyncPolicy>().unwrap_err();
    assert_eq!(err, UnknownSyncPolicy("fast".into()));
    assert_eq!(
        err.to_string(),
        "unknown fsync policy \"fast\" (full, normal, off)"
    );
}

/// Connections opening one new database at the same moment all succeed (SQLite answers
/// "busy" without waiting while the new file is still in rollback mode; the suite's
/// concurrent appenders met it under load).
#[test]
fn many_connections_open_a_new_database_at_once() {
    for _ in 0..30 {
        let dir = tempfile::tempdir().unwrap();
        let barrier = std::sync::Barrier::new(8);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    barrier.wait();
                    Store::open(dir.path(), SyncPolicy::Full).unwrap()
                });
            }
        });
    }
}
