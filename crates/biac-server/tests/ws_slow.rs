//! A WebSocket client that stops reading is closed after the send timeout, while the
//! pipeline and the other clients go on. (Its own test binary: the client gauge is
//! process-wide.)

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use biac_formats::ais::{encode_position_report, to_sentences, PositionReport};
use biac_model::{Classification, FeedConfig, FeedFormat, Label, Nation, ObservationKind, Subject};
use biac_runtime::RuntimeConfig;
use biac_server::{AppState, Authenticator};
use biac_store::{Store, SyncPolicy};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use biac_testkit::now_ms;

async fn post(addr: SocketAddr, path: &str, token: &str, body: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    String::from_utf8_lossy(&raw[9..12]).parse().unwrap()
}

/// The metrics' `biac_ws_clients` value.
async fn ws_clients(addr: SocketAddr) -> u64 {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "GET /api/v1/metrics HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer demo-jpn\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    raw.lines()
        .find_map(|l| l.strip_prefix("biac_ws_clients "))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_websocket_client_is_closed_and_the_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = RuntimeConfig {
        sync: SyncPolicy::Off,
        feeds: vec![(
            FeedConfig {
                name: "jpn-ais".into(),
                format: FeedFormat::Ais,
                nation: Nation::JPN,
                default_label: Label::unclassified_public(Nation::JPN),
                trusted_markings: false,
                cot_kind: ObservationKind::Plot,
                description: String::new(),
                limits: Default::default(),
            },
            "127.0.0.1:0".parse().unwrap(),
        )],
        audiences: vec![Subject::new(Nation::JPN, Classification::Secret)],
        reorder_window_ms: 500,
        snapshot_every_ms: 1_000_000,
        max_future_ms: 60_000,
        ..RuntimeConfig::new(dir.path().to_path_buf())
    };
    let rt = biac_runtime::start(cfg).await.unwrap();
    let state = AppState::new(
        rt,
        Authenticator::demo(),
        Store::open(dir.path(), SyncPolicy::Off).unwrap(),
        None,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(biac_server::serve(listener, state));

    // The stalled client: completes the handshake, then never reads again.
    let sock = TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let mut stalled = sock.connect(addr).await.unwrap();
    stalled
        .write_all(
            format!(
                "GET /api/v1/ws HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer demo-jpn\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut head = [0u8; 12];
    stalled.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 101");

    // A healthy client that keeps reading.
    let mut req = format!("ws://{addr}/api/v1/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", "Bearer demo-jpn".parse().unwrap());
    let (mut healthy, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let received = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let r2 = received.clone();
    tokio::spawn(async move {
        while let Some(Ok(_)) = healthy.next().await {
            r2.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    for _ in 0..100 {
        if ws_clients(addr).await == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(ws_clients(addr).await, 2);

    // Many generations of a picture of 150 moving ships: far more than the stalled
    // socket's buffers hold.
    let t0 = now_ms() - 600_000;
    let started = Instant::now();
    let mut step = 0i64;
    let mut dropped = false;
    while started.elapsed() < Duration::from_secs(60) {
        let t = t0 + step * 1_000;
        let mut body = String::new();
        for k in 0..150u32 {
            let (p, f) = encode_position_report(&PositionReport {
                msg_type: 1,
                mmsi: 431_000_000 + k,
                nav_status: 0,
                sog_knots: Some(19.44),
                position_accuracy: true,
                lat_deg: 20.0 + 0.05 * k as f64,
                lon_deg: 125.0 + step as f64 * 1e-4,
                cog_deg: Some(90.0),
                heading_deg: Some(90),
                second: ((t / 1000) % 60) as u8,
            });
            for line in to_sentences(&p, f, 'A', 0, Some(("rx1", t / 1000))) {
                body.push_str(&line);
                body.push_str("\r\n");
            }
        }
        assert_eq!(
            post(
                addr,
                "/api/v1/feeds/jpn-ais/ingest",
                "demo-jpn",
                body.as_bytes()
            )
            .await,
            200
        );
        step += 1;
        if ws_clients(addr).await == 1 {
            dropped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        dropped,
        "the stalled client was never dropped ({step} generations)"
    );
    // Ingest was never held up by it, and the healthy client kept receiving.
    let got = received.load(std::sync::atomic::Ordering::Relaxed);
    assert!(got > 10, "healthy client received {got} messages");
    let before = got;
    let t = t0 + step * 1_000 + 5_000;
    let (p, f) = encode_position_report(&PositionReport {
        msg_type: 1,
        mmsi: 431_000_000,
        nav_status: 0,
        sog_knots: Some(19.44),
        position_accuracy: true,
        lat_deg: 20.0,
        lon_deg: 125.0 + step as f64 * 1e-4,
        cog_deg: Some(90.0),
        heading_deg: Some(90),
        second: ((t / 1000) % 60) as u8,
    });
    let body: String = to_sentences(&p, f, 'A', 0, Some(("rx1", t / 1000)))
        .into_iter()
        .map(|l| l + "\r\n")
        .collect();
    assert_eq!(
        post(
            addr,
            "/api/v1/feeds/jpn-ais/ingest",
            "demo-jpn",
            body.as_bytes()
        )
        .await,
        200
    );
    for _ in 0..100 {
        if received.load(std::sync::atomic::Ordering::Relaxed) > before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the healthy client stopped receiving after the stalled one was dropped");
}
