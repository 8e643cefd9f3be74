//! What only the PostgreSQL store has: PostGIS indexes the history queries use, and a
//! schema that many nodes may create at once.

use biac_store::suite::track;
use biac_store::{BBox, Storage};
use biac_store_pg::PgStore;
use biac_testkit::pg::PgServer;

/// 200 snapshots of 100 tracks spread over the globe: each index is the selective one for
/// one kind of query, and the plan names it.
#[test]
fn a_time_window_and_box_query_uses_the_gist_and_time_indexes() {
    let server = PgServer::start();
    let mut s = PgStore::connect(&server.create_database("biac")).unwrap();
    for step in 0..200i64 {
        let tracks: Vec<_> = (0..100u64)
            .map(|id| {
                let k = (id * 7919 + step as u64 * 104_729) % 10_000;
                track(
                    id,
                    -60.0 + (k % 100) as f64 * 1.2,
                    -180.0 + (k / 100) as f64 * 3.6,
                )
            })
            .collect();
        assert!(s
            .insert_snapshot("JPN", step * 1_000, &mut tracks.iter())
            .unwrap());
    }
    s.analyze().unwrap();

    // A small box over the whole time: the GiST index on the points.
    let small = BBox {
        min_lon: 124.0,
        min_lat: 23.0,
        max_lon: 126.0,
        max_lat: 25.0,
    };
    let plan = s.explain_query_history("JPN", 0, 200_000, small).unwrap();
    eprintln!("small box, all time:\n{plan}");
    assert!(plan.contains("track_history_by_area"), "{plan}");
    // The answer is the one a scan of every row gives.
    let every = s.query_history("JPN", 0, 200_000, None, 100_000).unwrap();
    assert_eq!(every.len(), 20_000);
    let inside: Vec<_> = every
        .iter()
        .filter(|x| {
            let p = x.track.position;
            (small.min_lon..=small.max_lon).contains(&p.lon_deg)
                && (small.min_lat..=small.max_lat).contains(&p.lat_deg)
        })
        .collect();
    assert!(!inside.is_empty());
    let got = s
        .query_history("JPN", 0, 200_000, Some(small), 100_000)
        .unwrap();
    assert_eq!(got.len(), inside.len());
    assert!(got.iter().zip(&inside).all(|(a, b)| a == *b));

    // The whole globe over one snapshot's time: the btree on (audience, time).
    let world = BBox {
        min_lon: -180.0,
        min_lat: -90.0,
        max_lon: 180.0,
        max_lat: 90.0,
    };
    let plan = s
        .explain_query_history("JPN", 50_000, 50_000, world)
        .unwrap();
    eprintln!("whole globe, one snapshot:\n{plan}");
    assert!(plan.contains("track_history_by_time"), "{plan}");
    assert_eq!(
        s.query_history("JPN", 50_000, 50_000, Some(world), 1_000)
            .unwrap()
            .len(),
        100
    );
}

/// Nodes starting at once each bring the schema up to date; one creates it, the others
/// find it made, and all of them then share one journal.
#[test]
fn nodes_connecting_at_once_share_one_schema_and_journal() {
    let server = PgServer::start();
    let conninfo = server.create_database("biac");
    let seqs: Vec<Vec<i64>> = std::thread::scope(|scope| {
        let nodes: Vec<_> = (0..4)
            .map(|n| {
                let conninfo = &conninfo;
                scope.spawn(move || {
                    let mut s = PgStore::connect(conninfo).unwrap();
                    s.append(n, &[biac_store::suite::obs(n, "a")]).unwrap()
                })
            })
            .collect();
        nodes.into_iter().map(|n| n.join().unwrap()).collect()
    });
    let mut all: Vec<i64> = seqs.into_iter().flatten().collect();
    all.sort();
    assert_eq!(all, vec![1, 2, 3, 4]);
    assert_eq!(
        server
            .psql("biac", "SELECT version FROM biac_schema")
            .trim(),
        "1"
    );
}

/// A server that is gone is an error from every call, never a panic or a hang.
#[test]
fn a_lost_server_is_an_error() {
    let server = PgServer::start();
    let mut s = PgStore::connect(&server.create_database("biac")).unwrap();
    s.append(1, &[biac_store::suite::obs(1, "a")]).unwrap();
    drop(server);
    let err = s.append(2, &[biac_store::suite::obs(2, "a")]).unwrap_err();
    assert!(matches!(err, biac_store::StoreError::Server(_)), "{err}");
    assert!(s.last_seq().is_err());
}
