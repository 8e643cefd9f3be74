//! SQLite vs PostgreSQL in one run: journal append throughput (batches of 1,000 records)
//! and the latency of a time window + bounding box history query.
//!
//! `cargo run -p biac-store-pg --example store_bench [batches] [queries]`
//! (PostgreSQL: a throwaway server from biac-testkit, over its unix socket, default
//! durability: fsync and synchronous commit on; SQLite: `SyncPolicy::Full` and `Normal`.)

use std::time::{Duration, Instant};

use biac_store::suite::{obs, track};
use biac_store::{BBox, Storage, Store, SyncPolicy};
use biac_store_pg::PgStore;
use biac_testkit::pg::PgServer;

const BATCH: usize = 1_000;
const SNAPSHOTS: i64 = 200;
const TRACKS: u64 = 100;

fn main() {
    let mut args = std::env::args().skip(1);
    let batches: usize = args.next().map_or(20, |a| a.parse().expect("batches"));
    let queries: usize = args.next().map_or(200, |a| a.parse().expect("queries"));
    let server = PgServer::start();
    let dir = tempfile::tempdir().unwrap();
    println!(
        "| store | append records/s (batches of {BATCH}, {batches} batches) | 2°×2° box, all time: p50 / p99 (rows) | 40°×30° box, all time: p50 / p99 (rows) |"
    );
    println!("|---|---|---|---|");
    for (name, mut store) in [
        (
            "SQLite, fsync full",
            Box::new(Store::open(&dir.path().join("full"), SyncPolicy::Full).unwrap())
                as Box<dyn Storage>,
        ),
        (
            "SQLite, fsync normal",
            Box::new(Store::open(&dir.path().join("normal"), SyncPolicy::Normal).unwrap()),
        ),
        (
            "PostgreSQL 15 + PostGIS 3.3 (unix socket)",
            Box::new(PgStore::connect(&server.create_database("bench")).unwrap()),
        ),
    ] {
        let rate = appends(&mut *store, batches);
        load_history(&mut *store);
        if name.starts_with("PostgreSQL") {
            // What autovacuum does to a table that grew: the planner's statistics.
            server.psql("bench", "ANALYZE");
        }
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let cell = |b: BBox| {
            let (p50, p99, rows) = history(&*store, b, queries);
            format!("{:.2} / {:.2} ms ({rows})", ms(p50), ms(p99))
        };
        let small = cell(BBox {
            min_lon: 124.0,
            min_lat: 23.0,
            max_lon: 126.0,
            max_lat: 25.0,
        });
        let region = cell(BBox {
            min_lon: 100.0,
            min_lat: 10.0,
            max_lon: 140.0,
            max_lat: 40.0,
        });
        println!("| {name} | {rate:.0} | {small} | {region} |");
    }
}

fn appends(s: &mut dyn Storage, batches: usize) -> f64 {
    let batch: Vec<_> = (0..BATCH).map(|i| obs(i as i64, "bench")).collect();
    s.append(0, &batch).unwrap(); // warm up (schema pages, prepared statements)
    let start = Instant::now();
    for b in 0..batches {
        s.append(b as i64, &batch).unwrap();
    }
    (batches * BATCH) as f64 / start.elapsed().as_secs_f64()
}

/// 200 snapshots of 100 tracks spread over the globe (20,000 rows).
fn load_history(s: &mut dyn Storage) {
    for step in 0..SNAPSHOTS {
        let tracks: Vec<_> = (0..TRACKS)
            .map(|id| {
                let k = (id * 7919 + step as u64 * 104_729) % 10_000;
                track(
                    id,
                    -60.0 + (k % 100) as f64 * 1.2,
                    -180.0 + (k / 100) as f64 * 3.6,
                )
            })
            .collect();
        s.insert_snapshot("JPN", step * 1_000, &mut tracks.iter())
            .unwrap();
    }
}

/// The same box query over the whole time window, `queries` times: latency p50, p99 and
/// the rows of an answer.
fn history(s: &dyn Storage, b: BBox, queries: usize) -> (Duration, Duration, usize) {
    let mut times = Vec::with_capacity(queries);
    let mut rows = 0;
    for _ in 0..queries {
        let start = Instant::now();
        rows = s
            .query_history("JPN", 0, SNAPSHOTS * 1_000, Some(b), 10_000)
            .unwrap()
            .len();
        times.push(start.elapsed());
    }
    times.sort();
    (
        times[times.len() / 2],
        times[(times.len() * 99 / 100).min(times.len() - 1)],
        rows,
    )
}
