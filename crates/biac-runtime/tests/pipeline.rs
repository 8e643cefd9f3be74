//! The runtime over real sockets: feeds in, per-audience pictures out, journal replay.

use std::net::SocketAddr;
use std::time::Duration;

use biac_formats::ais::{encode_position_report, to_sentences, PositionReport};
use biac_formats::cot::CotEvent;
use biac_model::{Classification, FeedConfig, FeedFormat, Label, Nation, ObservationKind, Subject};
use biac_runtime::{Audience, RuntimeConfig, RuntimeHandle};
use biac_store::SyncPolicy;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const T0: i64 = 1_800_000_000_000;

fn feeds() -> Vec<(FeedConfig, SocketAddr)> {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    vec![
        (
            FeedConfig {
                name: "ais".into(),
                format: FeedFormat::Ais,
                nation: Nation::JPN,
                default_label: Label::unclassified_public(Nation::JPN),
                trusted_markings: false,
                cot_kind: ObservationKind::Track,
                description: String::new(),
                limits: Default::default(),
            },
            any,
        ),
        (
            FeedConfig {
                name: "radar".into(),
                format: FeedFormat::Cot,
                nation: Nation::USA,
                default_label: Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]),
                trusted_markings: false,
                cot_kind: ObservationKind::Plot,
                description: String::new(),
                limits: Default::default(),
            },
            any,
        ),
    ]
}

fn config(dir: &std::path::Path) -> RuntimeConfig {
    config_w(dir, 1_000)
}

fn config_w(dir: &std::path::Path, reorder_window_ms: i64) -> RuntimeConfig {
    RuntimeConfig {
        sync: SyncPolicy::Off,
        feeds: feeds(),
        audiences: [Nation::JPN, Nation::PHL]
            .map(|nation| Subject::new(nation, Classification::Secret))
            .to_vec(),
        reorder_window_ms,
        max_future_ms: i64::MAX / 4,
        ..RuntimeConfig::new(dir.to_path_buf())
    }
}

fn addr(rt: &RuntimeHandle, feed: &str) -> SocketAddr {
    rt.feeds
        .iter()
        .find(|f| f.config.name == feed)
        .unwrap()
        .addr
}

fn audience(n: Nation) -> Audience {
    Audience::of(&Subject::new(n, Classification::Secret))
}

/// Ship k at step s: 10 m/s east from its own start point.
fn ship(k: u32, s: i64) -> (f64, f64) {
    let lat = 24.0 + 0.2 * k as f64;
    let lon = 125.0 + (10.0 * s as f64 * 10.0) / (111_320.0 * lat.to_radians().cos());
    (lat, lon)
}

async fn send_scenario(rt: &RuntimeHandle) {
    let mut ais = TcpStream::connect(addr(rt, "ais")).await.unwrap();
    let mut radar = TcpStream::connect(addr(rt, "radar")).await.unwrap();
    for s in 0..30i64 {
        let t = T0 + s * 10_000;
        let mut bytes = Vec::new();
        for k in 0..3u32 {
            let (lat, lon) = ship(k, s);
            let (p, f) = encode_position_report(&PositionReport {
                msg_type: 1,
                mmsi: 431_000_100 + k,
                nav_status: 0,
                sog_knots: Some(19.44),
                position_accuracy: true,
                lat_deg: lat,
                lon_deg: lon,
                cog_deg: Some(90.0),
                heading_deg: Some(90),
                second: ((t / 1000) % 60) as u8,
            });
            for line in to_sentences(&p, f, 'A', 0, Some(("rx1", t / 1000))) {
                bytes.extend_from_slice(line.as_bytes());
                bytes.extend_from_slice(b"\r\n");
            }
        }
        ais.write_all(&bytes).await.unwrap();
        // The radar sees ship 0 and a fourth, non-AIS vessel.
        let mut xml = String::new();
        for (i, (lat, lon)) in [ship(0, s), ship(3, s)].into_iter().enumerate() {
            xml.push_str(
                &CotEvent::new(format!("R.{s}.{i}"), "a-u-S", t, lat, lon)
                    .with_how("m-r")
                    .with_stale_after(30_000)
                    .with_hae(0.0)
                    .with_errors(50.0, 9_999_999.0)
                    .to_xml(),
            );
        }
        radar.write_all(xml.as_bytes()).await.unwrap();
        // Feeds deliver in step with time, as live ones do.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ais.flush().await.unwrap();
    radar.flush().await.unwrap();
}

async fn wait_for(rt: &RuntimeHandle, a: Audience, n: usize) -> Vec<biac_model::Track> {
    for _ in 0..200 {
        let p = rt.picture(&a).unwrap();
        if p.tracks.len() >= n && p.time_ms >= T0 + 29 * 10_000 {
            return p.tracks.iter().map(|t| (**t).clone()).collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stats: Vec<_> = rt
        .feeds
        .iter()
        .map(|f| {
            (
                f.config.name.clone(),
                f.stats.accepted(),
                f.stats.rejected(),
                f.stats.last_error(),
            )
        })
        .collect();
    panic!(
        "{a:?} never reached {n} tracks: {} {stats:?}",
        rt.picture(&a).unwrap().tracks.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audiences_see_what_is_releasable_and_replay_rebuilds_the_picture() {
    let dir = tempfile::tempdir().unwrap();
    let rt = biac_runtime::start(config(dir.path())).await.unwrap();
    send_scenario(&rt).await;

    let jpn = wait_for(&rt, audience(Nation::JPN), 4).await;
    assert_eq!(
        jpn.len(),
        4,
        "3 AIS ships (one also on radar) and one radar-only vessel"
    );
    let fused = jpn
        .iter()
        .find(|t| t.identity.mmsi == Some(431_000_100))
        .unwrap();
    assert_eq!(
        fused.sources.keys().map(String::as_str).collect::<Vec<_>>(),
        ["ais", "radar"]
    );
    assert_eq!(fused.label.marking(), "SECRET//REL TO USA, JPN");

    // PHL: the radar is not releasable to it, so it sees the three AIS ships only, and
    // their labels stay unclassified (nothing of the radar went into its picture).
    let phl = wait_for(&rt, audience(Nation::PHL), 3).await;
    assert_eq!(phl.len(), 3);
    for t in &phl {
        assert_eq!(
            t.sources.keys().map(String::as_str).collect::<Vec<_>>(),
            ["ais"]
        );
        assert_eq!(t.label.classification(), Classification::Unclassified);
    }

    // The history (written on its own thread) holds the snapshots behind the picture.
    let history = |a: Audience| {
        let store = biac_store::Store::open(dir.path(), SyncPolicy::Off).unwrap();
        store
            .query_history(&a.key(), i64::MIN, i64::MAX, None, 1_000_000)
            .unwrap()
    };
    rt.history_settled(&audience(Nation::JPN)).await;
    let before = history(audience(Nation::JPN));
    assert!(
        before.iter().any(|s| s.time_ms >= T0 + 20 * 10_000),
        "snapshots every 10 s of data time: {}",
        before.len()
    );

    // A second runtime on the same data dir replays the journal to the same picture,
    // and writes no snapshot twice.
    let rt2 = biac_runtime::start(config(dir.path())).await.unwrap();
    let again = wait_for(&rt2, audience(Nation::JPN), 4).await;
    assert_eq!(again, jpn, "replay must rebuild the identical picture");
    rt2.history_settled(&audience(Nation::JPN)).await;
    let after = history(audience(Nation::JPN));
    assert!(
        after == before,
        "a replay must not store the history again: {} snapshot rows before, {} after",
        before.len(),
        after.len()
    );
}

/// Without a re-ordering window the live run's journal commits are cut where the feeds'
/// timing put them and the replay's where its reads do: the tracker must still get the
/// same calls (same tracks, same generation: the number of releases).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_rebuilds_the_picture_without_a_reordering_window() {
    let dir = tempfile::tempdir().unwrap();
    let rt = biac_runtime::start(config_w(dir.path(), 0)).await.unwrap();
    send_scenario(&rt).await;
    wait_for(&rt, audience(Nation::JPN), 4).await;
    // Let the quiet-feed flush release the last plots (2 s quiet + the 1 s tick).
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    let live: Vec<_> = [Nation::JPN, Nation::PHL]
        .map(|n| rt.picture(&audience(n)).unwrap())
        .to_vec();
    assert!(live[0].generation > 30, "releases: {}", live[0].generation);

    let rt2 = biac_runtime::start(config_w(dir.path(), 0)).await.unwrap();
    for (n, want) in [Nation::JPN, Nation::PHL].into_iter().zip(&live) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let got = loop {
            let p = rt2.picture(&audience(n)).unwrap();
            if p.generation >= want.generation || std::time::Instant::now() > deadline {
                break p;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(
            got.generation, want.generation,
            "{n}: releases differ on replay"
        );
        assert_eq!(
            got.tracks, want.tracks,
            "{n}: replay must rebuild the identical picture"
        );
    }
}

/// Audiences are classes of the same nation, clearance *and holdings*: a record whose label
/// names a restrictive category reaches the picture of the audience read into it, never
/// that of the same nation and clearance without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holdings_partition_audiences() {
    use biac_label::{CategorySet, Holdings};
    let dir = tempfile::tempdir().unwrap();
    let si = Label::parse_marking(
        "SECRET//SI//REL TO USA, JPN",
        biac_model::NationSet::single(Nation::USA),
    )
    .unwrap();
    let feed = |name: &str, label: Label| {
        (
            FeedConfig {
                name: name.into(),
                format: FeedFormat::Cot,
                nation: Nation::USA,
                default_label: label,
                trusted_markings: false,
                cot_kind: ObservationKind::Plot,
                description: String::new(),
                limits: Default::default(),
            },
            "127.0.0.1:0".parse().unwrap(),
        )
    };
    let plain = Subject::new(Nation::JPN, Classification::Secret);
    let read_in = plain.with_holdings(Holdings {
        categories: CategorySet::parse_names(&["SI".to_string()]).unwrap(),
        releasing_official: false,
    });
    let rt = biac_runtime::start(biac_runtime::RuntimeConfig {
        sync: biac_store::SyncPolicy::Off,
        feeds: vec![
            feed("usa-si", si),
            feed(
                "usa-open",
                Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]),
            ),
        ],
        audiences: vec![plain, read_in],
        reorder_window_ms: 500,
        max_future_ms: 60_000,
        ..RuntimeConfig::new(dir.path().to_path_buf())
    })
    .await
    .unwrap();
    let a_plain = rt.audience_of(&plain).unwrap();
    let a_si = rt.audience_of(&read_in).unwrap();
    assert_ne!(a_plain, a_si);
    assert_eq!(a_plain.key(), "JPN-SECRET");
    assert_eq!(a_si.key(), "JPN-SECRET+SI");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let event = |uid: &str, t: i64, lat: f64| {
        CotEvent::new(uid, "a-u-S", t, lat, 125.0)
            .with_how("m-r")
            .with_stale_after(30_000)
            .with_hae(0.0)
            .with_errors(50.0, 9_999_999.0)
            .to_xml()
            .into_bytes()
    };
    // Three scans of one SI-only object and one object both may see, far apart.
    for k in 0..3 {
        let t = now - 10_000 + k * 1_000;
        rt.ingest("usa-si", &event("si-1", t, 24.0)).await.unwrap();
        rt.ingest("usa-open", &event("open-1", t, 26.0))
            .await
            .unwrap();
    }
    let sources = |a: &Audience| -> Vec<String> {
        let mut v: Vec<String> = rt
            .picture(a)
            .unwrap()
            .tracks
            .iter()
            .flat_map(|t| t.sources.keys().cloned())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while sources(&a_si) != ["usa-open", "usa-si"] || sources(&a_plain) != ["usa-open"] {
        assert!(
            std::time::Instant::now() < deadline,
            "SI audience {:?}, plain audience {:?}",
            sources(&a_si),
            sources(&a_plain)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A subject with holdings no audience has gets no picture (404 at the API), never a
    // neighbour's.
    let other = plain.with_holdings(Holdings {
        categories: CategorySet::parse_names(&["TK".to_string()]).unwrap(),
        releasing_official: false,
    });
    assert!(rt.audience_of(&other).is_none());
}
