//! A `biac serve` from a JSON configuration (the `security_*` regression tests and
//! others), raw HTTP with any method, a WebSocket reader, CoT readers over plain
//! TCP and over mutual TLS (`openssl s_client`, an independent TLS client).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use biac_formats::cot::CotEvent;
use serde_json::Value;

pub use super::certs;
pub use super::request;
use super::{bin, start_with_lines, Biac};

pub struct Server {
    pub b: Biac,
    pub lines: Vec<String>,
    pub dir: tempfile::TempDir,
}

impl Server {
    pub fn http(&self) -> SocketAddr {
        self.b.http
    }
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    /// The plain CoT listener of `nation` (its startup line).
    pub fn cot(&self, nation: &str) -> SocketAddr {
        self.lines
            .iter()
            .find_map(|l| {
                let w: Vec<&str> = l
                    .strip_prefix("TAK (CoT over TCP): ")?
                    .split_whitespace()
                    .collect();
                (w[0] == nation).then(|| w[3].parse().unwrap())
            })
            .unwrap_or_else(|| panic!("no CoT listener for {nation}: {:?}", self.lines))
    }
    /// The TLS CoT listener.
    pub fn cot_tls(&self) -> SocketAddr {
        self.lines
            .iter()
            .find_map(|l| {
                l.strip_prefix("TAK (CoT over mutual TLS): ")?
                    .rsplit(' ')
                    .next()?
                    .parse()
                    .ok()
            })
            .unwrap_or_else(|| panic!("no TLS CoT listener: {:?}", self.lines))
    }
    /// The audit log's entries as JSON.
    pub fn audit(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.data().join("audit/log.jsonl")).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

/// `biac serve` with `cfg` (written into a new temporary directory, with `pki` made
/// there first for these nations when given).
pub fn serve(cfg: &Value, pki_nations: Option<&str>) -> Server {
    let dir = tempfile::tempdir().unwrap();
    if let Some(n) = pki_nations {
        certs(&dir.path().join("pki"), n);
    }
    let path = dir.path().join("biac.json");
    std::fs::write(&path, cfg.to_string()).unwrap();
    let (b, lines) = start_with_lines(&[
        "serve",
        "--config",
        path.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        dir.path().join("data").to_str().unwrap(),
        "--fsync",
        "off",
    ]);
    Server { b, lines, dir }
}

/// An argon2 hash of `password` by `biac hash-password`.
pub fn hash_password(password: &str) -> String {
    let mut c = Command::new(bin())
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(c.stdin.take().unwrap(), "{password}").unwrap();
    let o = c.wait_with_output().unwrap();
    assert!(o.status.success());
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

pub use super::{now_ms, wait_for};

pub fn json(addr: SocketAddr, path: &str, token: &str) -> Value {
    let (status, _, body) = request(addr, "GET", path, Some(token), None);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).expect("json")
}

/// A CoT event with a marking, as a feed sends it.
pub fn event(
    uid: &str,
    callsign: &str,
    (lat, lon): (f64, f64),
    marking: (Option<&str>, Option<&str>, Option<&str>),
) -> String {
    let t = now_ms();
    CotEvent::new(uid, "a-h-S", t, lat, lon)
        .with_hae(0.0)
        .with_errors(20.0, 9_999_999.0)
        .with_callsign(callsign)
        .with_marking(marking.0, marking.1, marking.2)
        .to_xml()
}

/// Ingest `body` into `feed` over HTTP as `token`; the report.
pub fn ingest(addr: SocketAddr, feed: &str, token: &str, body: &str) -> Value {
    let (status, _, b) = request(
        addr,
        "POST",
        &format!("/api/v1/feeds/{feed}/ingest"),
        Some(token),
        Some(body),
    );
    assert_eq!(status, 200, "ingest into {feed}: {b}");
    serde_json::from_str(&b).unwrap()
}

/// Everything a plain CoT client reads in `secs`.
pub fn cot_read(addr: SocketAddr, secs: u64) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let end = Instant::now() + Duration::from_secs(secs);
    let mut out = Vec::new();
    let mut b = [0u8; 65536];
    while Instant::now() < end {
        match s.read(&mut b) {
            Ok(0) => break,
            Ok(k) => out.extend_from_slice(&b[..k]),
            Err(_) => {}
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Everything a mutual-TLS CoT client of `user` (e.g. `analyst-jpn`) reads in `secs`,
/// through `openssl s_client` verifying the server by the PKI's hub CA.
pub fn cot_tls_read(pki: &Path, user: &str, addr: SocketAddr, secs: u64) -> String {
    let mut c = Command::new("openssl")
        .args(["s_client", "-quiet", "-connect", &addr.to_string()])
        .arg("-cert")
        .arg(pki.join(format!("users/{user}.pem")))
        .arg("-key")
        .arg(pki.join(format!("users/{user}.key")))
        .arg("-CAfile")
        .arg(pki.join("ca/hub.pem"))
        .args(["-verify_return_error"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_client (apt-get install openssl)");
    let stdin = c.stdin.take();
    std::thread::sleep(Duration::from_secs(secs));
    drop(stdin);
    let _ = c.kill();
    let o = c.wait_with_output().unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}
