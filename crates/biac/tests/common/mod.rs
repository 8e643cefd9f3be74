//! Helpers for tests that run the real `biac` binary.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `biac` process, killed on drop.
pub struct Biac {
    pub child: Child,
    pub http: SocketAddr,
    /// Feed name -> listener address, from the startup lines.
    pub feeds: Vec<(String, SocketAddr)>,
    pub stdout_rx: mpsc::Receiver<String>,
}

impl Drop for Biac {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_biac")
}

/// Start `biac ARGS...` and wait for `biac: serving http://ADDR/`.
pub fn start(args: &[&str]) -> Biac {
    start_with_lines(args).0
}

/// A minimal HTTP/1.1 GET; returns (status, body).
pub fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> (u16, String) {
    let (status, _, body) = request(addr, "GET", path, token, None);
    (status, body)
}

/// A TCP connection to `to` from the loopback address `from`, to play another peer
/// (std cannot bind a client socket; tokio's `TcpSocket` can).
pub fn connect_from(from: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(async {
        let sock = tokio::net::TcpSocket::new_v4()?;
        sock.bind(SocketAddr::from((from, 0)))?;
        let s = sock.connect(to).await?.into_std()?;
        s.set_nonblocking(false)?;
        Ok(s)
    })
}

/// One HTTP/1.1 exchange: (status, head, body).
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String, String) {
    request_from([127, 0, 0, 1], addr, method, path, token, body)
}

/// [`request`] from the loopback address `from`.
pub fn request_from(
    from: [u8; 4],
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String, String) {
    let mut s = connect_from(from, addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).expect("read response");
    let resp = String::from_utf8_lossy(&resp).to_string();
    let (head, body) = resp.split_once("\r\n\r\n").expect("http response");
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, head.to_string(), body)
}

pub fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((len, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(len.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

pub fn get_json(addr: SocketAddr, path: &str, token: &str) -> serde_json::Value {
    let (status, body) = get(addr, path, Some(token));
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).expect("json")
}

/// Great-circle distance in metres.
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().asin()
}

/// Like [`start`], but also returns every line printed before the URL (the startup
/// lines: feeds, audit log, CoT listeners).
pub fn start_with_lines(args: &[&str]) -> (Biac, Vec<String>) {
    let child = Command::new(bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn biac");
    // From here on the guard kills and reaps the process, also when a wait below fails.
    let mut b = Biac {
        child,
        http: SocketAddr::from(([127, 0, 0, 1], 0)),
        feeds: Vec::new(),
        stdout_rx: mpsc::channel().1,
    };
    let stdout = b.child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("biac did not print its URL within 60 s");
        // "  feed NAME  FORMAT on ADDR (LABEL)"
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() == Some(&"feed") {
            if let Some(i) = words.iter().position(|w| *w == "on") {
                b.feeds.push((
                    words[1].to_string(),
                    words[i + 1].parse().expect("feed addr"),
                ));
            }
        }
        if let Some(url) = line.strip_prefix("biac: serving http://") {
            b.http = url.trim_end_matches('/').parse().expect("http addr");
            b.stdout_rx = rx;
            return (b, lines);
        }
        lines.push(line);
    }
}

/// The addresses of the startup lines that begin with `prefix` (after indentation) and end
/// `on ADDR`, in order: listeners configured on port 0 say here which port they took, so a
/// test never guesses a free port (binding a probe and releasing it races other tests).
pub fn listeners(lines: &[String], prefix: &str) -> Vec<SocketAddr> {
    lines
        .iter()
        .filter(|l| l.trim_start().starts_with(prefix))
        .filter_map(|l| l.rsplit_once(" on ")?.1.trim().parse().ok())
        .collect()
}

const PYTAK_INSTALL: &str = "run scripts/install-peers.sh (installs pytak into .venv-peers)";

pub fn repo_root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The peers' Python with PyTAK importable, or a failed test naming the installer.
pub fn pytak_python() -> std::path::PathBuf {
    let venv = std::env::var_os("BIAC_PEERS_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv-peers"));
    let py = venv.join("bin/python");
    assert!(
        py.exists(),
        "peer venv missing: {} not found; {PYTAK_INSTALL}",
        py.display()
    );
    let ok = Command::new(&py)
        .args(["-W", "ignore", "-c", "import pytak"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "pytak is not installed in {}; {PYTAK_INSTALL}",
        py.display()
    );
    py
}

/// `biac certs` for `nations` into `out` (CAs in `ca/`, users `users/analyst-<n>`).
pub fn certs(out: &Path, nations: &str) {
    let o = Command::new(bin())
        .args([
            "certs",
            "--out",
            out.to_str().unwrap(),
            "--nations",
            nations,
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "biac certs: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}
