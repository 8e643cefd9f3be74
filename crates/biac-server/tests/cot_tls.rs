//! The TLS CoT listener (TAK's 8089) over real sockets with a PKI made by
//! `biac_server::tls::pki`: one CA per nation, each client served its certificate
//! nation's picture, its events ingested as that nation's records, and every
//! certificate that is not a national's own CA's refused in the handshake.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use biac_formats::cot::{self, CotEvent};
use biac_formats::framing::Frame;
use biac_formats::Framer;
use biac_model::{Classification, FeedConfig, FeedFormat, Label, Nation, ObservationKind, Subject};
use biac_server::cot_stream::{self, CotStreamOptions, CotStreamStats, CotTlsListenerConfig};
use biac_server::tls::pki::{Ca, Issued};
use biac_server::tls::{self, TlsFiles, VerifierStats};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use biac_testkit::now_ms;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn client_config(hub_pem: &str, cert: Option<&Issued>) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(hub_pem.as_bytes()).unwrap())
        .unwrap();
    let b = rustls::ClientConfig::builder_with_provider(tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    Arc::new(match cert {
        Some(c) => b
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(c.cert_pem.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(c.key_pem.as_bytes()).unwrap(),
            )
            .unwrap(),
        None => b.with_no_client_auth(),
    })
}

async fn connect(
    addr: std::net::SocketAddr,
    cfg: Arc<rustls::ClientConfig>,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    TlsConnector::from(cfg)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
}

/// The server refuses: the handshake fails, or (TLS 1.3: the client finishes first)
/// the first read fails or ends — without a single byte of CoT.
async fn assert_refused(what: &str, addr: std::net::SocketAddr, cfg: Arc<rustls::ClientConfig>) {
    let Ok(mut s) = connect(addr, cfg).await else {
        return;
    };
    let mut buf = [0u8; 4096];
    match tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => {}
        Ok(Ok(n)) => panic!(
            "{what}: served {n} bytes: {}",
            String::from_utf8_lossy(&buf[..n])
        ),
        Err(_) => panic!("{what}: connection neither served nor closed"),
    }
}

/// Collects XML CoT events from any stream.
struct Reader<S> {
    s: S,
    framer: Framer,
    events: Vec<CotEvent>,
}

impl<S: AsyncRead + Unpin> Reader<S> {
    fn new(s: S) -> Self {
        Reader {
            s,
            framer: Framer::cot(),
            events: Vec::new(),
        }
    }
    /// Read until `pred` holds of everything received, or panic after `secs`.
    async fn until(&mut self, what: &str, secs: u64, pred: impl Fn(&[CotEvent]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut buf = vec![0u8; 65536];
        while !pred(&self.events) {
            let left = deadline.saturating_duration_since(Instant::now());
            let n = tokio::time::timeout(left, self.s.read(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
                .unwrap();
            assert!(n > 0, "server closed while waiting for {what}");
            self.framer.push(&buf[..n]);
            while let Some(f) = self.framer.next_frame() {
                let Frame::Record { bytes, .. } = f else {
                    panic!("oversized event")
                };
                self.events
                    .push(cot::parse_event(&bytes).expect("valid CoT"));
            }
        }
    }
    /// Collect whatever arrives in `dur`.
    async fn pump(&mut self, dur: Duration) {
        let deadline = Instant::now() + dur;
        let mut buf = vec![0u8; 65536];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(r) = tokio::time::timeout(left, self.s.read(&mut buf)).await else {
                return;
            };
            let n = r.unwrap();
            assert!(n > 0, "server closed");
            self.framer.push(&buf[..n]);
            while let Some(Frame::Record { bytes, .. }) = self.framer.next_frame() {
                self.events
                    .push(cot::parse_event(&bytes).expect("valid CoT"));
            }
        }
    }
    fn callsign(&self, c: &str) -> Option<&CotEvent> {
        self.events
            .iter()
            .find(|e| e.callsign.as_deref() == Some(c) && e.how == "m-f")
    }
}

/// A position report with a marking (the feed trusts wire markings).
fn report(uid: &str, callsign: &str, lat: f64, releasable_to: &str) -> String {
    CotEvent::new(uid, "a-f-S", now_ms(), lat, 124.1)
        .with_how("h-e")
        .with_stale_after(60_000)
        .with_errors(10.0, cot::UNKNOWN)
        .with_callsign(callsign)
        .with_marking(Some("SECRET"), None, Some(releasable_to))
        .to_xml()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_nation_sees_its_own_releasable_picture_and_foreign_cas_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The PKI: a CA per nation (KOR's clients have no audience here), the hub's CA.
    let hub = Ca::hub().unwrap();
    let server = hub.issue_server(&["localhost", "127.0.0.1"]).unwrap();
    let cas: BTreeMap<Nation, Ca> = [Nation::JPN, Nation::USA, Nation::KOR]
        .into_iter()
        .map(|n| (n, Ca::national(n).unwrap()))
        .collect();
    let files = TlsFiles {
        server_cert: write(d, "server.pem", &server.cert_pem),
        server_key: write(d, "server.key", &server.key_pem),
        client_cas: cas
            .iter()
            .map(|(n, ca)| (*n, write(d, &format!("{n}.pem"), &ca.cert_pem)))
            .collect(),
    };

    // One CoT feed for the clients' reports; its own nation (PHL) is overridden by
    // each client's certificate.
    let feed = FeedConfig {
        name: "tak-clients".into(),
        format: FeedFormat::Cot,
        nation: Nation::PHL,
        // The widest the clients' markings may make a report: they only restrict it
        // (a wire marking is joined with the feed's label).
        default_label: Label::rel_to(
            Classification::Secret,
            Nation::PHL,
            &[Nation::USA, Nation::JPN],
        ),
        trusted_markings: true,
        cot_kind: ObservationKind::Track,
        description: "TAK clients over mutual TLS".into(),
        limits: Default::default(),
    };
    let (jpn, usa) = (
        Subject::new(Nation::JPN, Classification::Secret),
        Subject::new(Nation::USA, Classification::Secret),
    );
    let rt = biac_runtime::start(biac_runtime::RuntimeConfig {
        sync: biac_store::SyncPolicy::Off,
        feeds: vec![(feed, "127.0.0.1:0".parse().unwrap())],
        audiences: vec![jpn, usa],
        reorder_window_ms: 300,
        max_future_ms: 60_000,
        ..biac_runtime::RuntimeConfig::new(d.join("data"))
    })
    .await
    .unwrap();
    let cfg = CotTlsListenerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        clearance: Classification::Secret,
        tls: files.clone(),
        ingest_feed: Some("tak-clients".into()),
    };
    let opts = CotStreamOptions {
        handshake_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let l = cot_stream::start_tls(&cfg, &rt, opts).await.unwrap();
    let stat = |c: &std::sync::atomic::AtomicU64| CotStreamStats::get(c);
    let vstat = |c: &std::sync::atomic::AtomicU64| VerifierStats::get(c);

    // A connection that never starts its handshake holds up no one ...
    let mut idle = TcpStream::connect(l.addr).await.unwrap();

    let jpn_user = cas[&Nation::JPN]
        .issue_user("analyst-jpn", Nation::JPN)
        .unwrap();
    let usa_user = cas[&Nation::USA]
        .issue_user("analyst-usa", Nation::USA)
        .unwrap();
    let mut j = Reader::new(
        connect(l.addr, client_config(&hub.cert_pem, Some(&jpn_user)))
            .await
            .unwrap(),
    );
    let mut u = Reader::new(
        connect(l.addr, client_config(&hub.cert_pem, Some(&usa_user)))
            .await
            .unwrap(),
    );
    j.until("JPN offer", 10, |e| {
        e.iter().any(|e| e.cot_type == "t-x-takp-v")
    })
    .await;
    u.until("USA offer", 10, |e| {
        e.iter().any(|e| e.cot_type == "t-x-takp-v")
    })
    .await;
    assert_eq!(
        stat(&l.stats.clients),
        3,
        "two clients and the idle connection"
    );

    // Both report until each sees what it may: USA both tracks, JPN its own.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut k = 0;
    loop {
        k += 1;
        let lat = 24.3 + k as f64 * 1e-4;
        // USA-only (owner USA from the certificate) and JPN's own, shared with USA.
        u.s.write_all(report("ANDROID-eagle", "EAGLE", lat, "USA").as_bytes())
            .await
            .unwrap();
        j.s.write_all(report("ANDROID-sakura", "SAKURA", lat + 0.5, "JPN,USA").as_bytes())
            .await
            .unwrap();
        u.pump(Duration::from_millis(300)).await;
        j.pump(Duration::from_millis(50)).await;
        if u.callsign("EAGLE").is_some()
            && u.callsign("SAKURA").is_some()
            && j.callsign("SAKURA").is_some()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "fused reports never came back: USA {} JPN {}",
            u.events.len(),
            j.events.len()
        );
    }
    // A few more generations for JPN, then: never the USA-only track.
    u.s.write_all(report("ANDROID-eagle", "EAGLE", 24.6, "USA").as_bytes())
        .await
        .unwrap();
    j.pump(Duration::from_secs(2)).await;
    assert!(
        j.events
            .iter()
            .all(|e| e.callsign.as_deref() != Some("EAGLE")),
        "JPN received the USA-only track"
    );
    let eagle = u.callsign("EAGLE").unwrap();
    assert!(eagle.uid.starts_with("biac-USA-SECRET-T"), "{}", eagle.uid);
    assert_eq!(eagle.releasable_to.as_deref(), Some("USA"));
    let sakura = j.callsign("SAKURA").unwrap();
    assert!(
        sakura.uid.starts_with("biac-JPN-SECRET-T"),
        "{}",
        sakura.uid
    );
    assert_eq!(sakura.releasable_to.as_deref(), Some("USA,JPN"));
    // Every picture event either client received is releasable to its nation.
    for (who, r) in [("JPN", &j), ("USA", &u)] {
        for e in r.events.iter().filter(|e| e.cot_type.starts_with("a-")) {
            let rel = e.releasable_to.as_deref().unwrap_or("");
            assert!(rel.split(',').any(|n| n == who), "{who} received {e:?}");
        }
    }
    // The records are the certificate nation's: the journalled EAGLE track is owned by USA.
    let usa_pic = rt.picture(&biac_runtime::Audience::of(&usa)).unwrap();
    let t = usa_pic
        .tracks
        .iter()
        .find(|t| t.identity.callsign.as_deref() == Some("EAGLE"))
        .unwrap();
    assert_eq!(t.label.owner(), biac_model::NationSet::single(Nation::USA));
    let jpn_pic = rt.picture(&biac_runtime::Audience::of(&jpn)).unwrap();
    assert!(jpn_pic
        .tracks
        .iter()
        .all(|t| t.identity.callsign.as_deref() != Some("EAGLE")));
    assert!(stat(&l.stats.ingested) >= 2);
    assert_eq!(vstat(&l.verifier.accepted), 2);

    // A certificate from the JPN CA claiming a U.S. national: refused.
    let spy = cas[&Nation::JPN]
        .issue_user("spy-usa", Nation::USA)
        .unwrap();
    assert_refused(
        "JPN CA, C=US",
        l.addr,
        client_config(&hub.cert_pem, Some(&spy)),
    )
    .await;
    assert_eq!(vstat(&l.verifier.refused_wrong_nation), 1);
    // A certificate from a CA the server does not know, naming JPN: refused.
    let rogue = Ca::national(Nation::JPN)
        .unwrap()
        .issue_user("analyst-jpn", Nation::JPN)
        .unwrap();
    assert_refused(
        "unknown CA",
        l.addr,
        client_config(&hub.cert_pem, Some(&rogue)),
    )
    .await;
    assert_eq!(vstat(&l.verifier.refused_unknown_ca), 1);
    // No client certificate: refused.
    assert_refused("no certificate", l.addr, client_config(&hub.cert_pem, None)).await;
    // A valid KOR national, but no KOR audience is configured: refused after the handshake.
    let kor_user = cas[&Nation::KOR]
        .issue_user("analyst-kor", Nation::KOR)
        .unwrap();
    assert_refused(
        "KOR without audience",
        l.addr,
        client_config(&hub.cert_pem, Some(&kor_user)),
    )
    .await;
    assert_eq!(stat(&l.stats.tls_no_audience), 1);

    // The idle connection is dropped after the handshake timeout.
    let mut b = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(10), idle.read(&mut b))
        .await
        .expect("idle connection never dropped");
    assert!(matches!(n, Ok(0) | Err(_)));
    let deadline = Instant::now() + Duration::from_secs(5);
    // spy, rogue, no certificate, idle.
    while stat(&l.stats.tls_refused) < 4 {
        assert!(
            Instant::now() < deadline,
            "tls_refused = {}",
            stat(&l.stats.tls_refused)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(stat(&l.stats.tls_refused), 4);
    // The two good clients are still served.
    assert_eq!(stat(&l.stats.clients), 2);
    u.s.write_all(report("ANDROID-eagle", "EAGLE", 24.5, "USA").as_bytes())
        .await
        .unwrap();
    let seen = u.events.len();
    u.until("USA still served", 10, |e| e.len() > seen).await;

    // A misfiled CA (the JPN CA configured for USA) is a configuration error.
    let mut bad = files.clone();
    bad.client_cas
        .insert(Nation::USA, files.client_cas[&Nation::JPN].clone());
    let err = bad.server_config().unwrap_err();
    assert!(
        matches!(
            err,
            tls::TlsError::MisfiledCa {
                nation: Nation::USA,
                named: Nation::JPN
            }
        ),
        "{err}"
    );
}
