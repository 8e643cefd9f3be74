//! Bus figures on a real 3-node NATS cluster (R=3, file storage) on loopback:
//! 1. acknowledged observation publishes per second — one at a time, and in batches whose
//!    acks are in flight together;
//! 2. publish-to-consumer latency (p50/p99/max) at a paced 5,000 observations/s, read by an
//!    ordered JetStream consumer on `OBS`.
//!
//! `cargo run -p biac-bus --example bus_bench [-- SECONDS]` (needs scripts/install-nats.sh).

use std::time::{Duration, Instant};

use async_nats::jetstream::consumer;
use biac_bus::perm::{accounts_config, Role, User};
use biac_bus::subject::OBS_STREAM;
use biac_bus::{Bus, RecordId};
use biac_label::{Label, Nation};
use biac_model::{Observation, Position};
use biac_testkit::nats::NatsCluster;
use futures_util::StreamExt;

fn obs(n: u64, stamp_us: i64) -> Observation {
    Observation::new(
        stamp_us,
        Position::new(35.0 + (n % 1000) as f64 * 1e-4, 139.0),
        50.0,
        "bench",
        Label::unclassified_public(Nation::parse("USA").unwrap()),
    )
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("seconds"))
        .unwrap_or(10);
    let users = [User {
        name: "admin".into(),
        password: "pw".into(),
        role: Role::Admin,
    }];
    let auth = accounts_config(&users).unwrap();
    let cluster = tokio::task::spawn_blocking(move || NatsCluster::start(3, &auth))
        .await
        .unwrap();
    let bus = Bus::connect(&cluster.urls(), Some(("admin", "pw")), None)
        .await
        .unwrap();
    bus.provision(&[], &Default::default(), Duration::from_secs(5))
        .await
        .unwrap();
    let mut n = 0u64;

    // 1a. One at a time: each publish waits for its ack.
    let t = Instant::now();
    let mut one = 0u64;
    while t.elapsed() < Duration::from_secs(secs.min(5)) {
        n += 1;
        bus.publish_observation(&obs(n, 0), &RecordId::feed_seq("bench", n))
            .await
            .unwrap();
        one += 1;
    }
    let one_rate = one as f64 / t.elapsed().as_secs_f64();
    println!(
        "acked publishes, one at a time: {one} in {:.1} s = {one_rate:.0}/s",
        t.elapsed().as_secs_f64()
    );

    // 1b. Batches with their acks in flight together.
    for batch in [100usize, 500, 2000] {
        let t = Instant::now();
        let mut count = 0u64;
        while t.elapsed() < Duration::from_secs(secs) {
            let recs: Vec<_> = (0..batch)
                .map(|_| {
                    n += 1;
                    (obs(n, 0), RecordId::feed_seq("bench", n))
                })
                .collect();
            let acks = bus.publish_observations(&recs).await.unwrap();
            assert!(acks.iter().all(|a| !a.duplicate));
            count += acks.len() as u64;
        }
        println!(
            "acked publishes, batches of {batch}: {count} in {:.1} s = {:.0}/s",
            t.elapsed().as_secs_f64(),
            count as f64 / t.elapsed().as_secs_f64()
        );
    }

    // 2. Latency at 5,000/s: 50 observations every 10 ms, stamped with their send time.
    let stream = bus.jetstream().get_stream(OBS_STREAM).await.unwrap();
    let c = stream
        .create_consumer(consumer::pull::OrderedConfig {
            deliver_policy: consumer::DeliverPolicy::New,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut msgs = c.messages().await.unwrap();
    let epoch = Instant::now();
    let total = 5_000 * secs;
    let reader = tokio::spawn(async move {
        let mut lat_ms = Vec::with_capacity(total as usize);
        while (lat_ms.len() as u64) < total {
            let m = tokio::time::timeout(Duration::from_secs(30), msgs.next())
                .await
                .expect("consumer stalled")
                .unwrap()
                .unwrap();
            let o = biac_bus::codec::decode_observation(&m.payload).unwrap();
            let now_us = epoch.elapsed().as_micros() as i64;
            lat_ms.push((now_us - o.time_ms) as f64 / 1000.0);
        }
        lat_ms
    });
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let t = Instant::now();
    let mut sent = 0u64;
    while sent < total {
        tick.tick().await;
        let recs: Vec<_> = (0..50)
            .map(|_| {
                n += 1;
                let stamp = epoch.elapsed().as_micros() as i64;
                (obs(n, stamp), RecordId::feed_seq("bench", n))
            })
            .collect();
        bus.publish_observations(&recs).await.unwrap();
        sent += 50;
    }
    let send_secs = t.elapsed().as_secs_f64();
    let mut lat = reader.await.unwrap();
    lat.sort_by(|a, b| a.total_cmp(b));
    println!(
        "publish-to-consumer at {:.0}/s offered ({sent} in {send_secs:.1} s): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        sent as f64 / send_secs,
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        lat[lat.len() - 1]
    );
    drop(cluster);
}
