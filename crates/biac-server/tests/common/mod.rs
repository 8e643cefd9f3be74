//! Helpers shared by the server's integration tests.

#![allow(dead_code)]

use std::net::SocketAddr;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[allow(unused_imports)] // not every test binary uses it
pub use biac_testkit::now_ms;

/// Unix milliseconds as RFC 3339 (CoT's time form).
pub fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(t as i128 * 1_000_000)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// An untrusted plot feed on a free loopback port.
pub fn plot_feed(
    name: &str,
    format: biac_model::FeedFormat,
    nation: biac_model::Nation,
    label: biac_label::Label,
) -> (biac_model::FeedConfig, SocketAddr) {
    (
        biac_model::FeedConfig {
            name: name.into(),
            format,
            nation,
            default_label: label,
            trusted_markings: false,
            cot_kind: biac_model::ObservationKind::Plot,
            description: String::new(),
            limits: Default::default(),
        },
        "127.0.0.1:0".parse().unwrap(),
    )
}

pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// A minimal HTTP/1.1 client (one request per connection).
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &[u8],
) -> Reply {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (headers, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = headers[9..12].parse().unwrap();
    let body = if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        loop {
            let (len, after) = rest.split_once("\r\n").unwrap();
            let len = usize::from_str_radix(len.trim(), 16).unwrap();
            if len == 0 {
                break;
            }
            out.push_str(&after[..len]);
            rest = &after[len + 2..];
        }
        out
    } else {
        body.to_string()
    };
    Reply {
        status,
        headers: headers.to_string(),
        body,
    }
}

/// [`http`] with a JSON body (`Content-Type: application/json`).
pub async fn http_json(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> Reply {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (headers, body) = raw.split_once("\r\n\r\n").unwrap();
    Reply {
        status: headers[9..12].parse().unwrap(),
        headers: headers.to_string(),
        body: body.to_string(),
    }
}

/// A server under test: its runtime, data directory and audit sink.
pub struct TestServer {
    pub addr: SocketAddr,
    pub rt: biac_runtime::RuntimeHandle,
    pub dir: tempfile::TempDir,
    pub audit: biac_audit::AuditSink,
    _worker: biac_audit::AuditWorker,
}

/// Runtime `cfg` (data in `dir`), the demo credentials, an audit log in `dir`, served on
/// a free loopback port; `with` adjusts the state (maritime zones, …) before serving.
pub async fn serve(
    dir: tempfile::TempDir,
    cfg: biac_runtime::RuntimeConfig,
    with: impl FnOnce(biac_server::AppState) -> biac_server::AppState,
) -> TestServer {
    let sync = cfg.sync;
    let rt = biac_runtime::start(cfg).await.unwrap();
    let store = biac_store::Store::open(dir.path(), sync).unwrap();
    let log = biac_audit::AuditLog::open(&biac_audit::audit_dir(dir.path())).unwrap();
    let (audit, worker) =
        biac_audit::AuditSink::spawn(log, biac_audit::SinkConfig::default()).unwrap();
    let state = with(biac_server::AppState::new(
        rt.clone(),
        biac_server::Authenticator::demo(),
        store,
        Some(biac_server::guard::Auditor::new(audit.clone())),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(biac_server::serve(listener, state));
    TestServer {
        addr,
        rt,
        dir,
        audit,
        _worker: worker,
    }
}
