//! The bus against a real 3-node NATS cluster with JetStream (R=3) on loopback, started by
//! `biac_testkit::nats` with the accounts and permissions `biac_bus::perm` generates.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use biac_bus::lease::Leases;
use biac_bus::perm::{accounts_config, Role, User};
use biac_bus::picture::Head;
use biac_bus::snapshot::{Snapshot, Snapshots};
use biac_bus::{AudienceKey, Bus, RecordId};
use biac_label::{Label, Nation};
use biac_model::{Observation, Position};
use biac_testkit::nats::NatsCluster;

const LEASE_TTL: Duration = Duration::from_secs(2);

fn usa() -> AudienceKey {
    AudienceKey::new("USA-SECRET").unwrap()
}
fn aus() -> AudienceKey {
    AudienceKey::new("AUS-SECRET").unwrap()
}

fn users() -> Vec<User> {
    let u = |name: &str, role| User {
        name: name.into(),
        password: format!("pw-{name}"),
        role,
    };
    vec![
        u("admin", Role::Admin),
        u("ingest", Role::Ingest),
        u("fusion-a", Role::Fusion(vec![usa()])),
        u("fusion-b", Role::Fusion(vec![usa()])),
        u("fusion-aus", Role::Fusion(vec![aus()])),
        u("edge-aus", Role::Edge(aus())),
        u("edge-usa", Role::Edge(usa())),
    ]
}

/// A cluster with the users above and the streams provisioned (R=3).
async fn cluster() -> NatsCluster {
    let auth = accounts_config(&users()).unwrap();
    let c = tokio::task::spawn_blocking(move || NatsCluster::start(3, &auth))
        .await
        .unwrap();
    let admin = connect(&c.urls(), "admin").await;
    admin
        .provision(&[usa(), aus()], &Default::default(), LEASE_TTL)
        .await
        .expect("provision");
    c
}

async fn connect(urls: &[String], user: &str) -> Bus {
    Bus::connect(urls, Some((user, &format!("pw-{user}"))), None)
        .await
        .unwrap_or_else(|e| panic!("connect {user}: {e}"))
}

/// Observation number `n` of feed `ais-1` (its time is its number, to find it again).
fn obs(n: u64) -> Observation {
    Observation::new(
        n as i64,
        Position::new(35.0, 139.0 + n as f64 * 1e-4),
        50.0,
        "ais-1",
        Label::unclassified_public(Nation::parse("USA").unwrap()),
    )
}

/// Every observation in `OBS`, counted by its number: each must appear exactly once.
async fn stored(bus: &Bus) -> BTreeMap<u64, usize> {
    let mut counts = BTreeMap::new();
    for (_, o) in bus
        .read_observations(1, Duration::from_secs(30))
        .await
        .unwrap()
    {
        *counts
            .entry(o.expect("decodes").time_ms as u64)
            .or_default() += 1;
    }
    counts
}

async fn bounded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(90), f)
        .await
        .expect("test bounded at 90 s")
}

/// async-nats recreates an ordered consumer after the last message it delivered, but from
/// the stream's first message when it had delivered none yet (a deleted consumer, missed
/// heartbeats under load): a follower must still start where it asked — a fusion node
/// replaying from its snapshot must not take records twice, an edge must not start from
/// an older picture.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_whose_consumer_is_recreated_before_its_first_message_starts_where_asked() {
    use futures_util::{StreamExt, TryStreamExt};
    bounded(async {
        let c = cluster().await;
        let ingest = connect(&c.urls(), "ingest").await;
        for n in 1..=5 {
            let id = RecordId::feed_seq("ais-1", n);
            ingest.publish_observation(&obs(n), &id).await.unwrap();
        }
        let fusion = connect(&c.urls(), "fusion-a").await;
        let mut follow = std::pin::pin!(fusion.follow_obs(6).await.unwrap());
        // Nothing to deliver yet; its consumer goes (as an administrator or a server
        // restart removes it): the client recreates it at the next read.
        let admin =
            async_nats::ConnectOptions::with_user_and_password("admin".into(), "pw-admin".into())
                .connect(c.url(0))
                .await
                .unwrap();
        let js = async_nats::jetstream::new(admin);
        let stream = js.get_stream("OBS").await.unwrap();
        let names: Vec<String> = stream.consumer_names().try_collect().await.unwrap();
        assert!(!names.is_empty());
        for n in &names {
            stream.delete_consumer(n).await.unwrap();
        }
        ingest
            .publish_observation(&obs(6), &RecordId::feed_seq("ais-1", 6))
            .await
            .unwrap();
        let first = tokio::time::timeout(Duration::from_secs(30), follow.next())
            .await
            .expect("the recreated consumer delivers")
            .unwrap()
            .unwrap();
        assert_eq!(
            first.seq, 6,
            "started where asked, not at the stream's start"
        );
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_is_acknowledged_and_a_retried_publish_is_stored_once() {
    bounded(async {
        let c = cluster().await;
        let ingest = connect(&c.urls(), "ingest").await;
        let id = RecordId::feed_seq("ais-1", 1);
        let first = ingest.publish_observation(&obs(1), &id).await.unwrap();
        assert!(!first.duplicate);
        let again = ingest.publish_observation(&obs(1), &id).await.unwrap();
        assert!(again.duplicate, "the retry is recognised");
        assert_eq!(again.stream_seq, first.stream_seq);
        // A content id: the same record twice is one record, a different one is another.
        let a = ingest
            .publish_observation(&obs(2), &RecordId::content(&obs(2)))
            .await
            .unwrap();
        let b = ingest
            .publish_observation(&obs(2), &RecordId::content(&obs(2)))
            .await
            .unwrap();
        assert!(!a.duplicate && b.duplicate);
        let admin = connect(&c.urls(), "admin").await;
        assert_eq!(admin.obs_last_seq().await.unwrap(), 2);
        let all = admin
            .read_observations(1, Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].1.as_ref().unwrap(), &obs(1), "with its label");
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_node_the_client_is_connected_to_loses_nothing_and_duplicates_nothing() {
    bounded(async {
        let mut c = cluster().await;
        // Connected to node 0 alone at first (it learns the others from the cluster).
        let ingest = connect(&[c.url(0)], "ingest").await;
        assert_eq!(
            ingest.client().server_info().port,
            c.client_port(0),
            "connected to node 0"
        );
        const N: u64 = 300;
        let publisher = {
            let ingest = ingest.clone();
            tokio::spawn(async move {
                let mut acked = Vec::new();
                for n in 1..=N {
                    let p = ingest
                        .publish_observation(&obs(n), &RecordId::feed_seq("ais-1", n))
                        .await
                        .unwrap_or_else(|e| panic!("publish {n}: {e}"));
                    acked.push(p);
                    if n == N / 3 {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                }
                acked
            })
        };
        // Kill node 0 while the publisher is mid-run.
        while ingest_progress(&c, N / 3).await {}
        c.kill(0);
        let acked = publisher.await.unwrap();
        assert_eq!(acked.len() as u64, N);
        assert_ne!(ingest.client().server_info().port, c.client_port(0));
        let c0 = tokio::task::spawn_blocking(move || {
            c.restart(0);
            c
        })
        .await
        .unwrap();
        // A second round of retries of every record: all recognised as duplicates.
        for n in (1..=N).step_by(7) {
            let p = ingest
                .publish_observation(&obs(n), &RecordId::feed_seq("ais-1", n))
                .await
                .unwrap();
            assert!(p.duplicate, "record {n} stored twice");
        }
        let admin = connect(&[c0.url(0)], "admin").await;
        let counts = stored(&admin).await;
        assert_eq!(counts.len() as u64, N, "every acked record is there");
        assert!(counts.values().all(|&k| k == 1), "exactly once: {counts:?}");
    })
    .await
}

/// Polls until OBS holds `n` records (true while not yet).
async fn ingest_progress(c: &NatsCluster, n: u64) -> bool {
    let admin = connect(&c.urls(), "admin").await;
    let last = admin.obs_last_seq().await.unwrap_or(0);
    if last < n {
        tokio::time::sleep(Duration::from_millis(20)).await;
        true
    } else {
        false
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acked_publish_survives_a_sigkilled_node_exactly_once() {
    bounded(async {
        let mut c = cluster().await;
        let ingest = connect(&c.urls(), "ingest").await;
        let start = Instant::now();
        let mut acked = 0u64;
        let mut n = 0u64;
        // Batches of 50 with their acks in flight together; node 2 dies after the 4th batch.
        for batch in 0..20 {
            if batch == 4 {
                c.kill(2);
            }
            let recs: Vec<_> = (0..50)
                .map(|_| {
                    n += 1;
                    (obs(n), RecordId::feed_seq("ais-1", n))
                })
                .collect();
            let acks = ingest.publish_observations(&recs).await.unwrap();
            acked += acks.iter().filter(|a| !a.duplicate).count() as u64;
        }
        assert_eq!(acked, n, "every publish acknowledged once");
        let c = tokio::task::spawn_blocking(move || {
            c.restart(2);
            c
        })
        .await
        .unwrap();
        // Read through the restarted node.
        let admin = connect(&[c.url(2)], "admin").await;
        let counts = stored(&admin).await;
        assert_eq!(counts.len() as u64, n);
        assert!(counts.values().all(|&k| k == 1));
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{:?}",
            start.elapsed()
        );
    })
    .await
}

fn head(generation: u64) -> Head {
    Head {
        epoch: 1,
        time_ms: 1_000 * generation as i64,
        generation,
        obs_seq: generation,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edge_node_cannot_subscribe_to_another_audience() {
    bounded(async {
        let c = cluster().await;
        let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
        let edge_aus = Bus::connect(&c.urls(), Some(("edge-aus", "pw-edge-aus")), Some(tx))
            .await
            .unwrap();
        let edge_usa = connect(&c.urls(), "edge-usa").await;
        let (mut usa_by_aus, _) = edge_aus.subscribe_audience(&usa()).await.unwrap();
        let (mut aus_by_aus, _) = edge_aus.subscribe_audience(&aus()).await.unwrap();
        let (mut usa_by_usa, _) = edge_usa.subscribe_audience(&usa()).await.unwrap();
        edge_aus.flush().await.unwrap();
        edge_usa.flush().await.unwrap();

        // The server refuses the AUS edge's subscription to USA's subject.
        let refused = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(e) = events.recv().await {
                if let async_nats::Event::ServerError(se) = &e {
                    let s = se.to_string().to_lowercase();
                    if s.contains("permissions violation")
                        && s.contains("subscription")
                        && s.contains("biac.pic.usa-secret")
                    {
                        return se.to_string();
                    }
                }
            }
            panic!("event channel closed");
        })
        .await
        .expect("a permission violation for biac.pic.USA-SECRET");
        assert!(refused.contains("USA-SECRET"), "{refused}");

        let fusion_usa = connect(&c.urls(), "fusion-a").await;
        let fusion_aus = connect(&c.urls(), "fusion-aus").await;
        // A fusion node may publish its own audience's pictures only.
        for g in 1..=5 {
            fusion_usa
                .publish_keyframe(&usa(), &head(g), &[])
                .await
                .unwrap();
        }
        assert!(
            tokio::time::timeout(
                Duration::from_secs(3),
                fusion_usa.publish_keyframe(&aus(), &head(99), &[])
            )
            .await
            .map_or(true, |r| r.is_err()),
            "fusion for USA published AUS's picture"
        );
        fusion_aus
            .publish_keyframe(&aus(), &head(1), &[])
            .await
            .unwrap();

        use futures_util::StreamExt;
        // The USA edge receives USA's pictures (they were published) ...
        for g in 1..=5 {
            let m = tokio::time::timeout(Duration::from_secs(5), usa_by_usa.next())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                biac_bus::codec::decode_picture(&m.payload)
                    .unwrap()
                    .generation,
                g
            );
        }
        // ... the AUS edge receives its own, and nothing of USA's.
        let m = tokio::time::timeout(Duration::from_secs(5), aus_by_aus.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            biac_bus::codec::decode_picture(&m.payload)
                .unwrap()
                .audience,
            "AUS-SECRET"
        );
        let leak = tokio::time::timeout(Duration::from_secs(2), usa_by_aus.next()).await;
        assert!(
            !matches!(leak, Ok(Some(_))),
            "AUS edge received a USA picture"
        );
        // Through JetStream too: the AUS edge reads AUS's latest picture, never USA's.
        assert_eq!(
            edge_aus
                .latest_picture(&aus())
                .await
                .unwrap()
                .unwrap()
                .generation,
            1
        );
        assert!(edge_aus.latest_picture(&usa()).await.is_err());
        assert_eq!(
            edge_usa
                .latest_picture(&usa())
                .await
                .unwrap()
                .unwrap()
                .generation,
            5
        );
        // Ingest publishes observations only.
        let ingest = connect(&c.urls(), "ingest").await;
        let (mut seen, _) = edge_usa.subscribe_audience(&usa()).await.unwrap();
        edge_usa.flush().await.unwrap();
        ingest
            .client()
            .publish(usa().keyframe_subject(), "{}".into())
            .await
            .unwrap();
        ingest.flush().await.unwrap();
        let leak = tokio::time::timeout(Duration::from_secs(2), seen.next()).await;
        assert!(!matches!(leak, Ok(Some(_))), "ingest published a picture");
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_passes_to_another_node_when_its_holder_stops_renewing() {
    bounded(async {
        let c = cluster().await;
        let a_bus = connect(&c.urls(), "fusion-a").await;
        let b_bus = connect(&c.urls(), "fusion-b").await;
        let a = Leases::open(&a_bus).await.unwrap();
        let b = Leases::open(&b_bus).await.unwrap();
        let mut lease = a.acquire(&usa(), "node-a").await.unwrap().expect("free");
        assert_eq!(a.holder(&usa()).await.unwrap().as_deref(), Some("node-a"));
        // While A renews (past several TTLs), B cannot take it.
        let renewing = Instant::now();
        while renewing.elapsed() < LEASE_TTL * 2 {
            assert!(a.renew(&mut lease).await.unwrap(), "A keeps its lease");
            assert!(b.acquire(&usa(), "node-b").await.unwrap().is_none());
            tokio::time::sleep(LEASE_TTL / 4).await;
        }
        // A stops renewing (as if it died). B takes over within TTL + margin.
        let stopped = Instant::now();
        let b_lease = loop {
            if let Some(l) = b.acquire(&usa(), "node-b").await.unwrap() {
                break l;
            }
            assert!(
                stopped.elapsed() < LEASE_TTL + Duration::from_secs(3),
                "B did not take over within TTL + 3 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(
            stopped.elapsed() >= LEASE_TTL / 2,
            "taken before it expired"
        );
        assert_eq!(b_lease.node, "node-b");
        assert_eq!(b.holder(&usa()).await.unwrap().as_deref(), Some("node-b"));
        // A wakes up: its renewal fails, and it cannot take the audience back.
        assert!(
            !a.renew(&mut lease).await.unwrap(),
            "A renewed a lost lease"
        );
        assert!(a.acquire(&usa(), "node-a").await.unwrap().is_none());
        assert_eq!(b.holder(&usa()).await.unwrap().as_deref(), Some("node-b"));
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_successor_restores_the_snapshot_and_replays_obs_after_it() {
    bounded(async {
        let c = cluster().await;
        let ingest = connect(&c.urls(), "ingest").await;
        let a = connect(&c.urls(), "fusion-a").await;
        let b = connect(&c.urls(), "fusion-b").await;
        for n in 1..=10 {
            ingest
                .publish_observation(&obs(n), &RecordId::feed_seq("ais-1", n))
                .await
                .unwrap();
        }
        // A has fused up to sequence 6 and snapshots; 300 KB spans several chunks.
        let state: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let snaps_a = Snapshots::open(&a).await.unwrap();
        assert!(snaps_a.get(&usa()).await.unwrap().is_none());
        snaps_a
            .put(
                &usa(),
                &Snapshot {
                    covers_seq: 6,
                    bytes: state.clone(),
                },
            )
            .await
            .unwrap();
        // B restores it and replays from the next sequence: exactly 7..=10.
        let snap = Snapshots::open(&b)
            .await
            .unwrap()
            .get(&usa())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(snap.covers_seq, 6);
        assert_eq!(snap.bytes, state);
        let rest = b
            .read_observations(snap.covers_seq + 1, Duration::from_secs(10))
            .await
            .unwrap();
        let seqs: Vec<u64> = rest.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, [7, 8, 9, 10]);
        let times: Vec<i64> = rest
            .iter()
            .map(|(_, o)| o.as_ref().unwrap().time_ms)
            .collect();
        assert_eq!(times, [7, 8, 9, 10]);
        // No snapshot of another audience was written.
        assert!(Snapshots::open(&b)
            .await
            .unwrap()
            .get(&aus())
            .await
            .unwrap()
            .is_none());
    })
    .await
}

fn track(id: u64, lat: f64) -> std::sync::Arc<biac_model::Track> {
    use biac_model::{Track, Velocity};
    std::sync::Arc::new(
        Track::new(
            id,
            1_000,
            Position::new(lat, 139.0),
            Label::unclassified_public(Nation::parse("AUS").unwrap()),
        )
        .with_velocity(Velocity::from_sog_cog(5.0, 90.0))
        .with_cov([400.0, 0.0, 400.0])
        .with_source("ais-1", 0),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edge_rebuilds_a_picture_from_keyframe_parts_and_the_deltas_after_them() {
    use biac_bus::picture::{diff, Assembler, PART_TRACKS};
    use futures_util::StreamExt;
    bounded(async {
        let c = cluster().await;
        let fusion = connect(&c.urls(), "fusion-aus").await;
        let edge = connect(&c.urls(), "edge-aus").await;
        let h = |generation| Head {
            epoch: 7,
            generation,
            time_ms: generation as i64,
            obs_seq: generation,
        };
        let n = 2 * PART_TRACKS as u64 + 10;
        // An old keyframe and delta the edge must not start from.
        let old: Vec<_> = (0..5).map(|i| track(i, 10.0)).collect();
        fusion.publish_keyframe(&aus(), &h(1), &old).await.unwrap();
        let old2: Vec<_> = (0..6).map(|i| track(i, 11.0)).collect();
        let (up, rm) = diff(&old, &old2);
        fusion
            .publish_delta(&aus(), &h(2), 1, &up, &rm)
            .await
            .unwrap();
        // A keyframe in parts, then a change on top of it.
        let g1: Vec<_> = (0..n).map(|i| track(i, 20.0)).collect();
        fusion.publish_keyframe(&aus(), &h(3), &g1).await.unwrap();
        let mut g2 = g1.clone();
        g2[5] = track(5, 25.0);
        g2.pop();
        let (up, rm) = diff(&g1, &g2);
        assert_eq!((up.len(), rm.len()), (1, 1));
        fusion
            .publish_delta(&aus(), &h(4), 3, &up, &rm)
            .await
            .unwrap();

        // An edge starting now reads from the latest keyframe's first part.
        let mut events = std::pin::pin!(edge.follow_pictures(&aus()).await.unwrap());
        let mut a = Assembler::default();
        let mut first = None;
        while a.picture().is_none_or(|p| p.generation < 4) {
            let e = tokio::time::timeout(Duration::from_secs(10), events.next())
                .await
                .expect("pictures arrive")
                .unwrap()
                .unwrap();
            first.get_or_insert(e.clone());
            a.apply(e);
        }
        match first.unwrap() {
            biac_bus::picture::PictureEvent::Key(k) => {
                assert_eq!((k.generation, k.part, k.last), (3, 0, false))
            }
            e => panic!("started with {e:?}"),
        }
        let p = a.picture().unwrap();
        assert_eq!(p.tracks.len(), g2.len());
        assert!(p.tracks.iter().zip(&g2).all(|(x, y)| **x == **y));
        // Live: the next delta arrives and applies.
        let mut g3 = g2.clone();
        g3.push(track(n + 100, 1.0));
        let (up, rm) = diff(&g2, &g3);
        fusion
            .publish_delta(&aus(), &h(5), 4, &up, &rm)
            .await
            .unwrap();
        let e = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("the delta arrives")
            .unwrap()
            .unwrap();
        assert!(a.apply(e));
        assert_eq!(a.picture().unwrap().tracks.len(), g3.len());
        // The latest whole picture, as an edge starting would show it first.
        assert_eq!(
            edge.latest_picture(&aus())
                .await
                .unwrap()
                .unwrap()
                .generation,
            3
        );
    })
    .await
}
