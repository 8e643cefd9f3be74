//! HTTPS with optional client certificates: a handler sees the `PeerCert` of a client
//! that presented one; a client without one is served unauthenticated by certificate;
//! a certificate that breaks the one-CA-per-nation rule is refused in the handshake;
//! a stalled handshake does not hold up others.

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::{Extension, Router};
use biac_model::Nation;
use biac_server::https::{self, HttpsListener};
use biac_server::peer::PeerCert;
use biac_server::tls::pki::{Ca, Issued};
use biac_server::tls::{self, TlsFiles};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;

async fn whoami(peer: Option<Extension<PeerCert>>) -> String {
    match peer {
        Some(Extension(c)) => format!("{} {} {:02x}", c.nation, c.common_name, c.fingerprint[0]),
        None => "anonymous".into(),
    }
}

fn client(hub_pem: &str, cert: Option<&Issued>) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(hub_pem.as_bytes()).unwrap())
        .unwrap();
    let b = rustls::ClientConfig::builder_with_provider(tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    TlsConnector::from(Arc::new(match cert {
        Some(c) => b
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(c.cert_pem.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(c.key_pem.as_bytes()).unwrap(),
            )
            .unwrap(),
        None => b.with_no_client_auth(),
    }))
}

/// GET /whoami; the response body, or an error when the connection was refused.
async fn get_whoami(addr: std::net::SocketAddr, c: TlsConnector) -> Result<String, String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let mut s = c
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .map_err(|e| e.to_string())?;
    s.write_all(b"GET /whoami HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .map_err(|_| "timeout".to_string())?
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out).into_owned();
    if !text.starts_with("HTTP/1.1 200") {
        return Err(text);
    }
    Ok(text.split("\r\n\r\n").nth(1).unwrap_or("").to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_hands_the_client_certificate_to_handlers() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Ca::hub().unwrap();
    let server = hub.issue_server(&["localhost", "127.0.0.1"]).unwrap();
    let jpn = Ca::national(Nation::JPN).unwrap();
    let w = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let files = TlsFiles {
        server_cert: w("server.pem", &server.cert_pem),
        server_key: w("server.key", &server.key_pem),
        client_cas: [(Nation::JPN, w("JPN.pem", &jpn.cert_pem))].into(),
    };
    let (cfg, verifier) = files.server_config_with(false).unwrap();
    let verifier = verifier.unwrap();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let listener = HttpsListener::new(tcp, cfg, Duration::from_secs(2));
    let router = Router::new().route("/whoami", get(whoami));
    tokio::spawn(https::serve_router(listener, router));

    // A client that never handshakes does not hold up the others.
    let _idle = TcpStream::connect(addr).await.unwrap();

    let analyst = jpn.issue_user("analyst-jpn", Nation::JPN).unwrap();
    let body = get_whoami(addr, client(&hub.cert_pem, Some(&analyst)))
        .await
        .unwrap();
    let der = CertificateDer::from_pem_slice(analyst.cert_pem.as_bytes()).unwrap();
    let fp = tls::peer_cert(&der).unwrap().fingerprint;
    assert_eq!(body, format!("JPN analyst-jpn {:02x}", fp[0]));
    assert_eq!(
        get_whoami(addr, client(&hub.cert_pem, None)).await.unwrap(),
        "anonymous"
    );
    // The JPN CA minting a U.S. national: refused, as on the TAK port.
    let spy = jpn.issue_user("spy-usa", Nation::USA).unwrap();
    let r = get_whoami(addr, client(&hub.cert_pem, Some(&spy))).await;
    assert!(r.is_err(), "served: {r:?}");
    assert_eq!(
        tls::VerifierStats::get(&verifier.stats.refused_unknown_ca)
            + tls::VerifierStats::get(&verifier.stats.refused_wrong_nation),
        1
    );
    assert_eq!(tls::VerifierStats::get(&verifier.stats.accepted), 1);
}
