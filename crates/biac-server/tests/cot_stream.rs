//! The CoT streaming server over real sockets, with a fabricated picture channel:
//! the initial picture and diffs through the guard, TAK protocol negotiation to v1,
//! and a stalled client dropped while another keeps receiving.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use biac_formats::cot::{self, CotEvent};
use biac_formats::framing::Frame;
use biac_formats::tak::StreamDecoder;
use biac_formats::{tak, Framer};
use biac_model::{Classification, Identity, Label, Nation, Position, Subject, Track, Velocity};
use biac_runtime::Picture;
use biac_server::cot_stream::{self, CotListener, CotStreamOptions, CotStreamStats};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

fn track(id: u64, label: Label, t_ms: i64) -> Track {
    Track::new(
        id,
        t_ms,
        Position::new(24.0 + id as f64 * 1e-3, 124.0),
        label,
    )
    .with_velocity(Velocity::from_sog_cog(5.0, 90.0))
    .with_cov([400.0, 0.0, 400.0])
    .with_identity(Identity {
        name: Some(format!("SHIP {id}")),
        ..Identity::default()
    })
    .with_source("feed", 0)
}

fn picture(generation: u64, tracks: Vec<Track>) -> Arc<Picture> {
    Arc::new(Picture {
        time_ms: tracks.iter().map(|t| t.time_ms).max().unwrap_or(0),
        generation,
        tracks: tracks.into_iter().map(Arc::new).collect(),
        alerts: Default::default(),
    })
}

fn phl() -> Subject {
    Subject::new(Nation::PHL, Classification::Secret)
}

fn public() -> Label {
    Label::unclassified_public(Nation::JPN)
}

fn jpn_usa() -> Label {
    Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA])
}

use biac_testkit::now_ms;

async fn listen(
    subject: Subject,
    rx: watch::Receiver<Arc<Picture>>,
    opts: CotStreamOptions,
) -> CotListener {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let key = format!("{}-{}", subject.nation, subject.clearance.as_str());
    cot_stream::spawn(l, subject, &key, rx, opts).unwrap()
}

/// Reads XML events from a stream until `pred` holds for what was read (or times out).
struct XmlReader {
    s: TcpStream,
    framer: Framer,
    events: Vec<CotEvent>,
}

impl XmlReader {
    fn new(s: TcpStream) -> Self {
        XmlReader {
            s,
            framer: Framer::cot(),
            events: Vec::new(),
        }
    }
    async fn until(&mut self, what: &str, pred: impl Fn(&[CotEvent]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut buf = vec![0u8; 65536];
        while !pred(&self.events) {
            let left = deadline.saturating_duration_since(Instant::now());
            let n = tokio::time::timeout(left, self.s.read(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}; got {:?}", self.types()))
                .unwrap();
            assert!(n > 0, "server closed while waiting for {what}");
            self.framer.push(&buf[..n]);
            while let Some(f) = self.framer.next_frame() {
                let Frame::Record { bytes, .. } = f else {
                    panic!("oversized event")
                };
                assert!(
                    bytes.starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<event "),
                    "not a TAK streaming XML event: {}",
                    String::from_utf8_lossy(&bytes)
                );
                self.events
                    .push(cot::parse_event(&bytes).expect("valid CoT"));
            }
        }
    }
    fn types(&self) -> Vec<(String, String)> {
        self.events
            .iter()
            .map(|e| (e.cot_type.clone(), e.uid.clone()))
            .collect()
    }
}

#[tokio::test]
async fn picture_and_diffs_through_the_guard() {
    let t0 = now_ms();
    let (tx, rx) = watch::channel(picture(
        1,
        vec![
            track(1, public(), t0),
            track(2, jpn_usa(), t0),
            track(3, public(), t0),
        ],
    ));
    let l = listen(phl(), rx, CotStreamOptions::default()).await;
    let mut c = XmlReader::new(TcpStream::connect(l.addr).await.unwrap());
    c.until("initial picture", |e| e.len() >= 3).await;
    assert_eq!(c.events[0].cot_type, "t-x-takp-v");
    assert!(c.events[0]
        .extra_detail
        .contains(r#"<TakProtocolSupport version="1"/>"#));
    let uids: BTreeSet<&str> = c.events[1..].iter().map(|e| e.uid.as_str()).collect();
    assert_eq!(
        uids,
        BTreeSet::from(["biac-PHL-SECRET-T000001", "biac-PHL-SECRET-T000003"])
    );
    for e in &c.events[1..] {
        assert_eq!((e.cot_type.as_str(), e.how.as_str()), ("a-u-S", "m-f"));
        assert_eq!(e.access.as_deref(), Some("UNCLASSIFIED"));
        assert!(e.stale_ms > e.time_ms);
    }
    // Track 1 moves, track 3 goes, track 2 (not releasable) changes: one update and
    // one withdrawal (stale-now, then t-x-d-d), nothing about track 2.
    let mut moved = track(1, public(), t0 + 1000);
    moved.position.lat_deg += 0.01;
    tx.send_replace(picture(
        2,
        vec![moved.clone(), track(2, jpn_usa(), t0 + 1000)],
    ));
    c.until("diff", |e| e.len() >= 6).await;
    let diff = &c.events[3..];
    assert_eq!(diff.len(), 3, "{:?}", c.types());
    assert_eq!(diff[0].uid, "biac-PHL-SECRET-T000001");
    assert!((diff[0].lat - moved.position.lat_deg).abs() < 1e-9);
    assert_eq!(diff[1].uid, "biac-PHL-SECRET-T000003");
    assert_eq!(diff[1].stale_ms, diff[1].time_ms, "withdrawal is stale now");
    assert_eq!(diff[2].cot_type, "t-x-d-d");
    assert!(diff[2]
        .extra_detail
        .contains(r#"<link uid="biac-PHL-SECRET-T000003""#));
    assert!(diff[2].extra_detail.contains("<__forcedelete/>"));
    // An unchanged picture sends nothing; a ping gets a pong; other events are counted.
    tx.send_replace(picture(3, vec![moved, track(2, jpn_usa(), t0 + 2000)]));
    let ping = format!(
        r#"<?xml version="1.0"?><event version="2.0" uid="ANDROID-1-ping" type="t-x-c-t" how="h-g-i-g-o" time="{t}" start="{t}" stale="{t}"><point lat="0" lon="0" hae="0" ce="9999999" le="9999999"/><detail/></event><event version="2.0" uid="ANDROID-1" type="a-f-G-U-C" how="h-e" time="{t}" start="{t}" stale="{t}"><point lat="24" lon="124" hae="0" ce="10" le="10"/><detail><contact callsign="ALPHA"/></detail></event><event>broken</event>"#,
        t = "2026-11-30T00:00:00Z"
    );
    c.s.write_all(ping.as_bytes()).await.unwrap();
    c.until("pong", |e| e.iter().any(|e| e.cot_type == "t-x-c-t-r"))
        .await;
    assert_eq!(c.events.len(), 7, "{:?}", c.types());
    let deadline = Instant::now() + Duration::from_secs(5);
    while CotStreamStats::get(&l.stats.inbound_rejected) < 1 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(CotStreamStats::get(&l.stats.inbound_events), 2);
    assert_eq!(CotStreamStats::get(&l.stats.inbound_pings), 1);
    assert_eq!(CotStreamStats::get(&l.stats.inbound_rejected), 1);
    assert_eq!(CotStreamStats::get(&l.stats.clients), 1);
}

#[tokio::test]
async fn negotiates_tak_protocol_v1() {
    let t0 = now_ms();
    let (tx, rx) = watch::channel(picture(1, vec![track(7, public(), t0)]));
    let l = listen(phl(), rx, CotStreamOptions::default()).await;
    let mut c = XmlReader::new(TcpStream::connect(l.addr).await.unwrap());
    c.until("offer and picture", |e| e.len() >= 2).await;
    let offer = c.events[0].clone();
    assert_eq!(offer.cot_type, "t-x-takp-v");
    let q = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<event version="2.0" uid="{}" type="t-x-takp-q" how="m-g" time="2026-11-30T00:00:00Z" start="2026-11-30T00:00:00Z" stale="2026-11-30T00:01:00Z"><point lat="0.0" lon="0.0" hae="0.0" ce="999999" le="999999"/><detail><TakControl><TakRequest version="1"/></TakControl></detail></event>"#,
        offer.uid
    );
    c.s.write_all(q.as_bytes()).await.unwrap();
    // The response is XML; read it byte-exactly so no v1 bytes end in the XML framer.
    let mut xml = Vec::new();
    let mut b = [0u8; 1];
    while !xml.ends_with(b"</event>") {
        tokio::time::timeout(Duration::from_secs(10), c.s.read_exact(&mut b))
            .await
            .expect("t-x-takp-r in time")
            .unwrap();
        xml.push(b[0]);
    }
    let r = cot::parse_event(&xml).unwrap();
    assert_eq!(r.cot_type, "t-x-takp-r");
    assert!(r.extra_detail.contains(r#"<TakResponse status="true"/>"#));
    // From now on: 0xbf-framed protobuf, decoded by our StreamDecoder.
    let mut moved = track(7, public(), t0 + 1000);
    moved.position.lat_deg += 0.5;
    tx.send_replace(picture(
        2,
        vec![moved.clone(), track(8, jpn_usa(), t0 + 1000)],
    ));
    let mut d = StreamDecoder::new();
    let mut buf = vec![0u8; 4096];
    let msg = loop {
        if let Some(m) = d.next_message().expect("v1 frame") {
            break m;
        }
        let n = tokio::time::timeout(Duration::from_secs(10), c.s.read(&mut buf))
            .await
            .expect("a v1 frame in time")
            .unwrap();
        assert!(n > 0);
        assert!(d.pending() > 0 || buf[0] == tak::MAGIC, "not 0xbf framing");
        d.push(&buf[..n]);
    };
    let ev = msg.cot_event.as_ref().expect("a CoT event");
    assert_eq!(ev.uid, "biac-PHL-SECRET-T000007");
    assert_eq!(ev.r#type, "a-u-S");
    assert!((ev.lat - moved.position.lat_deg).abs() < 1e-9);
    assert_eq!(ev.access, "UNCLASSIFIED");
    let detail = ev.detail.as_ref().expect("detail");
    assert_eq!(detail.contact.as_ref().unwrap().callsign, "SHIP 7");
    assert!((detail.track.as_ref().unwrap().speed - 5.0).abs() < 1e-9);
    assert_eq!(CotStreamStats::get(&l.stats.negotiated), 1);
    // The client now sends v1 too: a v1 ping is answered (in v1).
    let ping = tak::xml_to_proto(br#"<event version="2.0" uid="p" type="t-x-c-t" how="m-g" time="2026-11-30T00:00:00Z" start="2026-11-30T00:00:00Z" stale="2026-11-30T00:00:10Z"><point lat="0" lon="0" hae="0" ce="9999999" le="9999999"/><detail/></event>"#).unwrap();
    c.s.write_all(&tak::encode_stream(&ping)).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match d.next_message().expect("v1 frame") {
            Some(m) if m.cot_event.as_ref().unwrap().r#type == "t-x-c-t-r" => break,
            Some(_) => continue,
            None => {}
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(left, c.s.read(&mut buf))
            .await
            .expect("pong in time")
            .unwrap();
        assert!(n > 0);
        d.push(&buf[..n]);
    }
    assert_eq!(CotStreamStats::get(&l.stats.inbound_pings), 1);
}

/// RSS of this process in bytes (Linux).
fn rss() -> u64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    s.split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(0)
        * 4096
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_client_is_dropped_and_others_go_on() {
    const N: u64 = 3000;
    let gen = |g: u64| {
        let t = now_ms();
        picture(
            g,
            (1..=N).map(|i| track(i, public(), t + g as i64)).collect(),
        )
    };
    let (tx, rx) = watch::channel(gen(1));
    let opts = CotStreamOptions {
        write_timeout: Duration::from_secs(1),
        ..CotStreamOptions::default()
    };
    let l = listen(phl(), rx, opts).await;
    // The stalled client: a small receive buffer, and it never reads.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let stalled = sock.connect(l.addr).await.unwrap();
    // The healthy client reads everything and counts bytes.
    let healthy = TcpStream::connect(l.addr).await.unwrap();
    let (count_tx, count_rx) = watch::channel(0u64);
    tokio::spawn(async move {
        let mut s = healthy;
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0u64;
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    total += n as u64;
                    count_tx.send_replace(total);
                }
            }
        }
    });
    let rss0 = rss();
    // Every generation changes every track (about 2 MB of events per generation).
    let publisher = tokio::spawn(async move {
        for g in 2..u64::MAX {
            tx.send_replace(gen(g));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while CotStreamStats::get(&l.stats.dropped_stalled) == 0 {
        assert!(Instant::now() < deadline, "stalled client never dropped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(CotStreamStats::get(&l.stats.dropped_stalled), 1);
    // The healthy one keeps receiving after the stalled one is gone.
    let before = *count_rx.borrow();
    let deadline = Instant::now() + Duration::from_secs(10);
    while *count_rx.borrow() < before + 4_000_000 {
        assert!(
            Instant::now() < deadline,
            "healthy client stopped receiving"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while CotStreamStats::get(&l.stats.clients) != 1 {
        assert!(Instant::now() < deadline, "stalled client still counted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Memory stays bounded: at most a few pictures' worth per client, never a queue
    // of generations (tens of MB were published meanwhile).
    let grown = rss().saturating_sub(rss0);
    assert!(grown < 64 << 20, "RSS grew by {grown} bytes");
    publisher.abort();
    drop(stalled);
}

/// With an `ingest_feed`, a TAK client's position reports become observations of that
/// feed: journalled, fused, and streamed back to the client as a fused track.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_reports_are_ingested_when_configured() {
    use biac_model::{FeedConfig, FeedFormat, ObservationKind};
    let dir = tempfile::tempdir().unwrap();
    let jpn = Subject::new(Nation::JPN, Classification::Secret);
    let feed = FeedConfig {
        name: "tak-clients".into(),
        format: FeedFormat::Cot,
        nation: Nation::JPN,
        default_label: Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]),
        trusted_markings: false,
        cot_kind: ObservationKind::Track,
        description: "TAK clients of the JPN CoT listener".into(),
        limits: Default::default(),
    };
    let rt = biac_runtime::start(biac_runtime::RuntimeConfig {
        sync: biac_store::SyncPolicy::Off,
        feeds: vec![(feed, "127.0.0.1:0".parse().unwrap())],
        audiences: vec![jpn, phl()],
        reorder_window_ms: 500,
        max_future_ms: 60_000,
        ..biac_runtime::RuntimeConfig::new(dir.path().to_path_buf())
    })
    .await
    .unwrap();
    let cfg = cot_stream::CotListenerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        nation: Nation::JPN,
        clearance: Classification::Secret,
        ingest_feed: Some("tak-clients".into()),
    };
    let l = cot_stream::start(&cfg, &rt, CotStreamOptions::default())
        .await
        .unwrap();
    // An unknown feed, or an audience without a picture, is a configuration error.
    let bad = cot_stream::CotListenerConfig {
        ingest_feed: Some("nope".into()),
        ..cfg.clone()
    };
    assert!(cot_stream::start(&bad, &rt, CotStreamOptions::default())
        .await
        .is_err());
    let kor = cot_stream::CotListenerConfig {
        nation: Nation::KOR,
        ingest_feed: None,
        ..cfg
    };
    assert!(cot_stream::start(&kor, &rt, CotStreamOptions::default())
        .await
        .is_err());

    let mut c = XmlReader::new(TcpStream::connect(l.addr).await.unwrap());
    c.until("offer", |e| !e.is_empty()).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut k = 0;
    loop {
        // A PLI every 200 ms, moving north.
        let t = cot::CotEvent::new(
            "ANDROID-alpha",
            "a-f-G-U-C",
            now_ms(),
            24.3 + k as f64 * 1e-4,
            124.1,
        )
        .with_how("h-e")
        .with_stale_after(60_000)
        .with_errors(10.0, cot::UNKNOWN)
        .with_callsign("ALPHA");
        k += 1;
        c.s.write_all(t.to_xml().as_bytes()).await.unwrap();
        let got = tokio::time::timeout(
            Duration::from_millis(200),
            c.until("fused ALPHA", |e| {
                e.iter()
                    .any(|e| e.callsign.as_deref() == Some("ALPHA") && e.how == "m-f")
            }),
        )
        .await;
        if got.is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "ALPHA never came back fused");
    }
    let back = c
        .events
        .iter()
        .find(|e| e.callsign.as_deref() == Some("ALPHA"))
        .unwrap();
    assert!(back.uid.starts_with("biac-JPN-SECRET-T"));
    assert_eq!(back.cot_type, "a-f-G");
    assert_eq!(back.access.as_deref(), Some("SECRET"));
    assert_eq!(back.releasable_to.as_deref(), Some("USA,JPN"));
    assert!(CotStreamStats::get(&l.stats.ingested) >= 1);
    // The Philippine audience never sees it.
    let phl_picture = rt.picture(&biac_runtime::Audience::of(&phl())).unwrap();
    assert!(phl_picture
        .tracks
        .iter()
        .all(|t| t.identity.callsign.as_deref() != Some("ALPHA")));
}

#[tokio::test]
async fn connections_beyond_the_limit_are_closed() {
    let (_tx, rx) = watch::channel(picture(1, vec![track(1, public(), now_ms())]));
    let opts = CotStreamOptions {
        max_clients: 1,
        ..CotStreamOptions::default()
    };
    let l = listen(phl(), rx, opts).await;
    let mut first = XmlReader::new(TcpStream::connect(l.addr).await.unwrap());
    first.until("picture", |e| e.len() >= 2).await;
    let mut second = TcpStream::connect(l.addr).await.unwrap();
    let mut b = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(10), second.read(&mut b))
        .await
        .expect("closed in time")
        .unwrap_or(0);
    assert_eq!(n, 0, "the second client got data");
    assert_eq!(CotStreamStats::get(&l.stats.refused), 1);
    // Once the first goes, a new client is served again.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    while CotStreamStats::get(&l.stats.clients) != 0 {
        assert!(Instant::now() < deadline, "first client still counted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut third = XmlReader::new(TcpStream::connect(l.addr).await.unwrap());
    third.until("picture", |e| e.len() >= 2).await;
}
