//! The store on PostgreSQL + PostGIS, behind [`biac_store::Storage`]: for a deployment
//! that outgrows one machine, where several biac nodes share one journal and history.
//!
//! * **Journal**: rows numbered from a one-row counter (`journal_head`) that each append
//!   locks and advances in its own transaction. So appenders on many connections (many
//!   nodes) commit one at a time in sequence order: numbers are gap-free (a rolled-back
//!   append rolls the counter back too, which a PostgreSQL sequence would not), never
//!   reused (the counter survives retention), and a reader that has seen `seq` has seen
//!   every lower one (with a sequence, a lower number may commit after a higher one).
//!   Idempotency keys (feed + message id) are unique in a partial index.
//! * **History**: each snapshot row carries its position as `geometry(Point, 4326)` with a
//!   GiST index, beside a btree on (audience, time): a time window + box query uses
//!   whichever is more selective. Planar degrees (not `geography`), so a box means
//!   exactly what it means in SQLite: `min ≤ lon ≤ max`, `min ≤ lat ≤ max`.
//! * Row bodies are biac-store's codec (the same JSON as SQLite), labels included.
//! * The schema is made on connect by numbered migrations, under an advisory lock, so
//!   nodes starting at once do not race.
//!
//! Calls block (the `postgres` crate), like the SQLite store's: the runtime calls its
//! store from threads of its own. One connection per `PgStore`, behind a mutex (the
//! trait's readers take `&self`).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use biac_model::{Alert, Observation, TimeMs, Track};
use biac_store::{
    decode_alert, decode_journal_record, decode_track, encode_alert, encode_flush_audience,
    encode_observation, encode_track, AckRecord, Appended, BBox, JournalEntry, KeyedRecord,
    RetentionReport, Storage, StoreError, TrackSnapshot, FLUSH_BODY,
};
use postgres::{Client, NoTls, Statement};

/// The schema, one step per entry; `biac_schema.version` counts the steps applied.
/// Steps are append-only: a later change is a new step.
const MIGRATIONS: &[&str] = &["
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE journal (
    seq BIGINT PRIMARY KEY,
    received_ms BIGINT NOT NULL,
    feed TEXT NOT NULL,
    time_ms BIGINT NOT NULL,
    body TEXT NOT NULL,
    msg_id TEXT
);
CREATE UNIQUE INDEX journal_by_msg_id ON journal (feed, msg_id) WHERE msg_id IS NOT NULL;
CREATE INDEX journal_by_received ON journal (received_ms);
CREATE TABLE journal_head (last_seq BIGINT NOT NULL);
INSERT INTO journal_head VALUES (0);
CREATE TABLE track_history (
    audience TEXT NOT NULL,
    time_ms BIGINT NOT NULL,
    track_id BIGINT NOT NULL,
    geom geometry(Point, 4326) NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX track_history_by_time ON track_history (audience, time_ms);
CREATE INDEX track_history_by_track ON track_history (audience, track_id, time_ms);
CREATE INDEX track_history_by_area ON track_history USING GIST (geom);
CREATE TABLE alerts (
    id BIGSERIAL PRIMARY KEY,
    audience TEXT NOT NULL,
    time_ms BIGINT NOT NULL,
    body TEXT NOT NULL
);
-- A replayed alert is the same audience, time and body: stored once.
CREATE UNIQUE INDEX alerts_once ON alerts (audience, time_ms, md5(body));
CREATE TABLE acks (
    audience TEXT NOT NULL,
    alert TEXT NOT NULL,
    principal TEXT NOT NULL,
    time_ms BIGINT NOT NULL,
    PRIMARY KEY (audience, alert)
);
"];

/// Advisory lock keys (first half): schema migrations; one audience's snapshot writer.
const LOCK_MIGRATE: i32 = 1919;
const LOCK_SNAPSHOT: i32 = 1920;

const HISTORY_SQL: &str = "SELECT time_ms, body FROM track_history \
     WHERE audience = $1 AND time_ms BETWEEN $2 AND $3 \
     ORDER BY time_ms, track_id LIMIT $4";
const HISTORY_IN_BOX_SQL: &str = "SELECT time_ms, body FROM track_history \
     WHERE audience = $1 AND time_ms BETWEEN $2 AND $3 \
     AND geom && ST_MakeEnvelope($4, $5, $6, $7, 4326) \
     ORDER BY time_ms, track_id LIMIT $8";

/// Statements of the hot paths, prepared once per connection.
struct Prepared {
    lock_head: Statement,
    set_head: Statement,
    known_keys: Statement,
    insert_journal: Statement,
    read_journal: Statement,
    history: Statement,
    history_in_box: Statement,
}

struct Conn {
    client: Client,
    sql: Prepared,
}

pub struct PgStore {
    conn: Mutex<Conn>,
    /// To connect again when the server went away (a restart): the next call after a
    /// lost connection reconnects; the call that found it lost failed.
    conninfo: String,
}

fn pg(e: postgres::Error) -> StoreError {
    StoreError::Server(Box::new(e))
}

/// A journal row to append.
struct Row<'a> {
    feed: &'a str,
    time_ms: TimeMs,
    body: String,
    msg_id: Option<&'a str>,
}

impl PgStore {
    /// Connect (libpq connection string, e.g. `host=/run/postgresql dbname=biac`; no TLS:
    /// a unix socket or loopback) and bring the schema up to date. PostGIS must be
    /// installed in the server; creating the extension takes a superuser the first time.
    pub fn connect(conninfo: &str) -> Result<PgStore, StoreError> {
        Ok(PgStore {
            conn: Mutex::new(Conn::open(conninfo)?),
            conninfo: conninfo.to_string(),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Conn> {
        // A panic while holding the connection leaves no half-done transaction behind
        // (an open transaction is rolled back when dropped), so a poisoned lock is fine.
        let mut c = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        if c.client.is_closed() {
            match Conn::open(&self.conninfo) {
                Ok(fresh) => {
                    tracing::info!("database connection re-established");
                    *c = fresh;
                }
                Err(e) => tracing::warn!(error = %e, "database still unreachable"),
            }
        }
        c
    }
}

impl Conn {
    fn open(conninfo: &str) -> Result<Conn, StoreError> {
        let mut client = Client::connect(conninfo, NoTls).map_err(pg)?;
        migrate(&mut client)?;
        let sql = Prepared {
            lock_head: client
                .prepare("SELECT last_seq FROM journal_head FOR UPDATE")
                .map_err(pg)?,
            set_head: client
                .prepare("UPDATE journal_head SET last_seq = $1")
                .map_err(pg)?,
            known_keys: client
                .prepare(
                    "SELECT feed, msg_id, seq FROM journal WHERE msg_id IS NOT NULL \
                     AND (feed, msg_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
                )
                .map_err(pg)?,
            insert_journal: client
                .prepare(
                    "INSERT INTO journal (seq, received_ms, feed, time_ms, body, msg_id) \
                     SELECT s, $2, f, t, b, m FROM unnest($1::bigint[], $3::text[], \
                     $4::bigint[], $5::text[], $6::text[]) AS u(s, f, t, b, m)",
                )
                .map_err(pg)?,
            read_journal: client
                .prepare(
                    "SELECT seq, received_ms, feed, body FROM journal WHERE seq > $1 \
                     ORDER BY seq LIMIT $2",
                )
                .map_err(pg)?,
            history: client.prepare(HISTORY_SQL).map_err(pg)?,
            history_in_box: client.prepare(HISTORY_IN_BOX_SQL).map_err(pg)?,
        };
        Ok(Conn { client, sql })
    }
}

impl PgStore {
    /// The query plan of [`Storage::query_history`] for these arguments (`EXPLAIN`): for
    /// checking which indexes a deployment's data makes the planner use.
    pub fn explain_query_history(
        &self,
        audience: &str,
        from_ms: TimeMs,
        to_ms: TimeMs,
        bbox: BBox,
    ) -> Result<String, StoreError> {
        let mut c = self.conn();
        let rows = c
            .client
            .query(
                &format!("EXPLAIN {HISTORY_IN_BOX_SQL}"),
                &[
                    &audience,
                    &from_ms,
                    &to_ms,
                    &bbox.min_lon,
                    &bbox.min_lat,
                    &bbox.max_lon,
                    &bbox.max_lat,
                    &i64::MAX,
                ],
            )
            .map_err(pg)?;
        Ok(rows
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>()
            .join("\n"))
    }

    /// Refresh the planner's statistics (after a bulk load).
    pub fn analyze(&self) -> Result<(), StoreError> {
        self.conn().client.batch_execute("ANALYZE").map_err(pg)
    }

    /// Append rows in one transaction holding the journal counter; keyed rows whose key
    /// is stored (or earlier in `rows`) are answered with the stored number.
    fn append_rows(
        &self,
        received_ms: TimeMs,
        rows: &[Row<'_>],
    ) -> Result<Vec<Appended>, StoreError> {
        let mut guard = self.conn();
        let Conn { client, sql } = &mut *guard;
        let mut tx = client.transaction().map_err(pg)?;
        let last: i64 = tx.query_one(&sql.lock_head, &[]).map_err(pg)?.get(0);
        let mut known: HashMap<(String, String), i64> = HashMap::new();
        let (key_feeds, key_ids): (Vec<&str>, Vec<&str>) = rows
            .iter()
            .filter_map(|r| r.msg_id.map(|m| (r.feed, m)))
            .unzip();
        if !key_ids.is_empty() {
            for r in tx
                .query(&sql.known_keys, &[&key_feeds, &key_ids])
                .map_err(pg)?
            {
                known.insert((r.get(0), r.get(1)), r.get(2));
            }
        }
        let mut next = last;
        let mut out = Vec::with_capacity(rows.len());
        let (mut seqs, mut feeds, mut times, mut bodies, mut ids) =
            (vec![], vec![], vec![], vec![], vec![]);
        for r in rows {
            if let Some(id) = r.msg_id {
                let key = (r.feed.to_string(), id.to_string());
                if let Some(&seq) = known.get(&key) {
                    out.push(Appended { seq, stored: false });
                    continue;
                }
                known.insert(key, next + 1);
            }
            next += 1;
            seqs.push(next);
            feeds.push(r.feed);
            times.push(r.time_ms);
            bodies.push(r.body.as_str());
            ids.push(r.msg_id);
            out.push(Appended {
                seq: next,
                stored: true,
            });
        }
        if next > last {
            tx.execute(
                &sql.insert_journal,
                &[&seqs, &received_ms, &feeds, &times, &bodies, &ids],
            )
            .map_err(pg)?;
            tx.execute(&sql.set_head, &[&next]).map_err(pg)?;
        }
        tx.commit().map_err(pg)?;
        Ok(out)
    }

    fn marker(&self, received_ms: TimeMs, body: String) -> Result<i64, StoreError> {
        let row = Row {
            feed: "",
            time_ms: 0,
            body,
            msg_id: None,
        };
        Ok(self.append_rows(received_ms, &[row])?[0].seq)
    }

    /// Delete rows `sql` selects (`$1` the bound, `$2` the batch size), `batch` per
    /// statement, until fewer remain.
    fn purge(&self, sql: &str, before: Option<TimeMs>, batch: i64) -> Result<u64, StoreError> {
        let Some(before) = before else { return Ok(0) };
        let mut c = self.conn();
        let stmt = c.client.prepare(sql).map_err(pg)?;
        let mut total = 0;
        loop {
            let n = c.client.execute(&stmt, &[&before, &batch]).map_err(pg)?;
            total += n;
            if (n as i64) < batch {
                return Ok(total);
            }
        }
    }
}

fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction().map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1, 0)", &[&LOCK_MIGRATE])
        .map_err(pg)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS biac_schema (version INTEGER NOT NULL)")
        .map_err(pg)?;
    let version: Option<i32> = tx
        .query_opt("SELECT version FROM biac_schema", &[])
        .map_err(pg)?
        .map(|r| r.get(0));
    if version.is_none() {
        tx.execute("INSERT INTO biac_schema VALUES (0)", &[])
            .map_err(pg)?;
    }
    let version = version.unwrap_or(0).max(0) as usize;
    if version > MIGRATIONS.len() {
        return Err(StoreError::Corrupt {
            seq: version as i64,
            reason: format!(
                "schema version {version} is newer than this biac's {}",
                MIGRATIONS.len()
            ),
        });
    }
    for step in &MIGRATIONS[version..] {
        tx.batch_execute(step).map_err(pg)?;
    }
    tx.execute(
        "UPDATE biac_schema SET version = $1",
        &[&(MIGRATIONS.len() as i32)],
    )
    .map_err(pg)?;
    tx.commit().map_err(pg)
}

fn snapshots(audience: &str, rows: Vec<postgres::Row>) -> Result<Vec<TrackSnapshot>, StoreError> {
    rows.iter()
        .map(|r| {
            let time_ms: i64 = r.get(0);
            Ok(TrackSnapshot {
                audience: audience.to_string(),
                time_ms,
                track: decode_track(time_ms, r.get(1))?,
            })
        })
        .collect()
}

impl Storage for PgStore {
    fn append(
        &mut self,
        received_ms: TimeMs,
        batch: &[Observation],
    ) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<Row> = batch
            .iter()
            .map(|o| Row {
                feed: &o.feed,
                time_ms: o.time_ms,
                body: encode_observation(o),
                msg_id: None,
            })
            .collect();
        Ok(self
            .append_rows(received_ms, &rows)?
            .into_iter()
            .map(|a| a.seq)
            .collect())
    }

    fn append_keyed(
        &mut self,
        received_ms: TimeMs,
        batch: &[KeyedRecord<'_>],
    ) -> Result<Vec<Appended>, StoreError> {
        let rows: Vec<Row> = batch
            .iter()
            .map(|k| {
                let (feed, time_ms, body) = biac_store::journal_row(k.record);
                Row {
                    feed,
                    time_ms,
                    body,
                    msg_id: Some(k.msg_id),
                }
            })
            .collect();
        self.append_rows(received_ms, &rows)
    }

    fn append_flush(&mut self, received_ms: TimeMs) -> Result<i64, StoreError> {
        self.marker(received_ms, FLUSH_BODY.to_string())
    }

    fn append_flush_audience(
        &mut self,
        received_ms: TimeMs,
        audience: &str,
    ) -> Result<i64, StoreError> {
        self.marker(received_ms, encode_flush_audience(audience))
    }

    fn last_seq(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .client
            .query_one("SELECT COALESCE(MAX(seq), 0) FROM journal", &[])
            .map_err(pg)?
            .get(0))
    }

    fn journal_len(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .client
            .query_one("SELECT COUNT(*) FROM journal", &[])
            .map_err(pg)?
            .get(0))
    }

    fn read_journal(&self, after: i64, limit: usize) -> Result<Vec<JournalEntry>, StoreError> {
        let mut guard = self.conn();
        let Conn { client, sql } = &mut *guard;
        let rows = client
            .query(&sql.read_journal, &[&after, &(limit as i64)])
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let seq: i64 = r.get(0);
                Ok(JournalEntry {
                    seq,
                    received_ms: r.get(1),
                    record: decode_journal_record(seq, r.get(2), r.get(3))?,
                })
            })
            .collect()
    }

    fn compact_journal(&mut self, before_ms: TimeMs) -> Result<usize, StoreError> {
        Ok(self
            .conn()
            .client
            .execute("DELETE FROM journal WHERE received_ms < $1", &[&before_ms])
            .map_err(pg)? as usize)
    }

    fn apply_retention(
        &mut self,
        journal_before_ms: Option<TimeMs>,
        history_before_ms: Option<TimeMs>,
        batch: usize,
    ) -> Result<RetentionReport, StoreError> {
        let batch = batch.max(1) as i64;
        Ok(RetentionReport {
            journal: self.purge(
                "DELETE FROM journal WHERE seq IN \
                 (SELECT seq FROM journal WHERE received_ms < $1 ORDER BY seq LIMIT $2)",
                journal_before_ms,
                batch,
            )?,
            // History rows have no key of their own: their physical address serves,
            // within one statement.
            history: self.purge(
                "DELETE FROM track_history WHERE ctid = ANY(ARRAY( \
                 SELECT ctid FROM track_history WHERE time_ms < $1 LIMIT $2))",
                history_before_ms,
                batch,
            )?,
            alerts: self.purge(
                "DELETE FROM alerts WHERE id IN \
                 (SELECT id FROM alerts WHERE time_ms < $1 LIMIT $2)",
                history_before_ms,
                batch,
            )?,
        })
    }

    fn insert_snapshot(
        &mut self,
        audience: &str,
        time_ms: TimeMs,
        tracks: &mut dyn Iterator<Item = &Track>,
    ) -> Result<bool, StoreError> {
        let (mut ids, mut lats, mut lons, mut bodies) = (vec![], vec![], vec![], vec![]);
        for t in tracks {
            ids.push(t.id as i64);
            lats.push(t.position.lat_deg);
            lons.push(t.position.lon_deg);
            bodies.push(encode_track(t));
        }
        let mut c = self.conn();
        let mut tx = c.client.transaction().map_err(pg)?;
        // One writer per audience at a time, so "newer than the history" is decided on
        // the history as it stands.
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&LOCK_SNAPSHOT, &audience],
        )
        .map_err(pg)?;
        let newest: Option<i64> = tx
            .query_one(
                "SELECT MAX(time_ms) FROM track_history WHERE audience = $1",
                &[&audience],
            )
            .map_err(pg)?
            .get(0);
        if newest.is_some_and(|n| n >= time_ms) {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO track_history (audience, time_ms, track_id, geom, body) \
             SELECT $1, $2, u.id, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326), u.body \
             FROM unnest($3::bigint[], $4::float8[], $5::float8[], $6::text[]) \
             AS u(id, lat, lon, body)",
            &[&audience, &time_ms, &ids, &lats, &lons, &bodies],
        )
        .map_err(pg)?;
        tx.commit().map_err(pg)?;
        Ok(true)
    }

    fn query_history(
        &self,
        audience: &str,
        from_ms: TimeMs,
        to_ms: TimeMs,
        bbox: Option<BBox>,
        limit: usize,
    ) -> Result<Vec<TrackSnapshot>, StoreError> {
        let mut guard = self.conn();
        let Conn { client, sql } = &mut *guard;
        let limit = limit as i64;
        let rows = match bbox {
            Some(b) => client.query(
                &sql.history_in_box,
                &[
                    &audience, &from_ms, &to_ms, &b.min_lon, &b.min_lat, &b.max_lon, &b.max_lat,
                    &limit,
                ],
            ),
            None => client.query(&sql.history, &[&audience, &from_ms, &to_ms, &limit]),
        }
        .map_err(pg)?;
        snapshots(audience, rows)
    }

    fn track_history(
        &self,
        audience: &str,
        track_id: u64,
        limit: usize,
    ) -> Result<Vec<TrackSnapshot>, StoreError> {
        let rows = self
            .conn()
            .client
            .query(
                "SELECT time_ms, body FROM track_history WHERE audience = $1 AND track_id = $2 \
                 ORDER BY time_ms DESC LIMIT $3",
                &[&audience, &(track_id as i64), &(limit as i64)],
            )
            .map_err(pg)?;
        let mut out = snapshots(audience, rows)?;
        out.reverse();
        Ok(out)
    }

    fn insert_alert(&mut self, audience: &str, alert: &Alert) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .client
            .execute(
                "INSERT INTO alerts (audience, time_ms, body) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
                &[&audience, &alert.time_ms, &encode_alert(alert)],
            )
            .map_err(pg)?;
        Ok(n == 1)
    }

    fn query_alerts(
        &self,
        audience: &str,
        from_ms: TimeMs,
        to_ms: TimeMs,
        limit: usize,
    ) -> Result<Vec<Alert>, StoreError> {
        let rows = self
            .conn()
            .client
            .query(
                "SELECT id, body FROM alerts WHERE audience = $1 AND time_ms BETWEEN $2 AND $3 \
                 ORDER BY time_ms, id LIMIT $4",
                &[&audience, &from_ms, &to_ms, &(limit as i64)],
            )
            .map_err(pg)?;
        rows.iter()
            .map(|r| decode_alert(r.get(0), r.get(1)))
            .collect()
    }

    fn acknowledge(&self, ack: &AckRecord) -> Result<AckRecord, StoreError> {
        let mut c = self.conn();
        c.client
            .execute(
                "INSERT INTO acks (audience, alert, principal, time_ms) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
                &[&ack.audience, &ack.alert, &ack.principal, &ack.time_ms],
            )
            .map_err(pg)?;
        let r = c
            .client
            .query_one(
                "SELECT principal, time_ms FROM acks WHERE audience = $1 AND alert = $2",
                &[&ack.audience, &ack.alert],
            )
            .map_err(pg)?;
        Ok(AckRecord {
            audience: ack.audience.clone(),
            alert: ack.alert.clone(),
            principal: r.get(0),
            time_ms: r.get(1),
        })
    }

    fn forget_ack(&self, audience: &str, alert: &str) -> Result<(), StoreError> {
        self.conn()
            .client
            .execute(
                "DELETE FROM acks WHERE audience = $1 AND alert = $2",
                &[&audience, &alert],
            )
            .map_err(pg)?;
        Ok(())
    }

    fn acks(&self) -> Result<Vec<AckRecord>, StoreError> {
        let rows = self
            .conn()
            .client
            .query(
                "SELECT audience, alert, principal, time_ms FROM acks \
                 ORDER BY time_ms, audience, alert",
                &[],
            )
            .map_err(pg)?;
        Ok(rows
            .iter()
            .map(|r| AckRecord {
                audience: r.get(0),
                alert: r.get(1),
                principal: r.get(2),
                time_ms: r.get(3),
            })
            .collect())
    }
}
