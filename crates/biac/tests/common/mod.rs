//! Helpers for tests that run the real `biac` binary.

#![allow(dead_code, unused_imports)] // each test binary uses a part

pub mod gmti;
/// `biac` with its standard error captured (what the server logs is part of a finding).
pub mod logged;
/// `biac serve` from a JSON configuration; HTTP, CoT and TLS clients.
pub mod server;

pub use biac_testkit::{now_ms, wait_for};

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `biac` process, killed and reaped on drop: the addresses its startup lines
/// name, those lines, standard output after them and, when it was piped, every line of
/// standard error (what the server logs is part of some findings).
pub struct Biac {
    pub child: Child,
    /// The API's address (`biac: serving http://…` or `https://…`); port 0 for a
    /// fusion node, which serves no HTTP.
    pub http: SocketAddr,
    /// Feed name -> listener address, from the startup lines.
    pub feeds: Vec<(String, SocketAddr)>,
    /// Standard output before the serving line.
    pub startup: Vec<String>,
    /// Standard output after the serving line.
    pub stdout_rx: mpsc::Receiver<String>,
    /// Standard error, line by line, when it was piped (else empty).
    pub stderr: Arc<Mutex<Vec<String>>>,
}

impl Drop for Biac {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `biac` started: serving, or exited before it served.
pub enum Started {
    Serving(Biac),
    /// It exited first: its status and standard error (empty unless piped).
    Exited(ExitStatus, String),
}

impl Started {
    /// The server, which must have come up.
    pub fn serving(self) -> Biac {
        match self {
            Started::Serving(b) => b,
            Started::Exited(s, err) => panic!("biac exited ({s}) before serving: {err}"),
        }
    }
}

impl Biac {
    /// Watch a spawned `biac` (standard output piped; standard error piped to capture it)
    /// until it is up — with `http`, its `biac: serving http(s)://ADDR/` line; without, its
    /// `biac: fusion node` line — or has exited. `Err` when neither happens within `limit`.
    pub fn attach(mut child: Child, http: bool, limit: Duration) -> Result<Started, String> {
        let stdout = child.stdout.take().expect("stdout piped");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(err) = child.stderr.take() {
            let sink = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    sink.lock().unwrap().push(line);
                }
            });
        }
        // From here on the guard kills and reaps the process, also when a wait fails.
        let mut b = Biac {
            child,
            http: SocketAddr::from(([127, 0, 0, 1], 0)),
            feeds: Vec::new(),
            startup: Vec::new(),
            stdout_rx: mpsc::channel().1,
            stderr,
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match rx.recv_timeout(left) {
                Ok(l) => l,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = b.child.wait().expect("wait for biac");
                    // Let the reader take the last lines of standard error.
                    std::thread::sleep(Duration::from_millis(200));
                    return Ok(Started::Exited(status, b.stderr_text()));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "did not start within {limit:?}: {}",
                        b.stderr_text()
                    ))
                }
            };
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
            let url = line
                .strip_prefix("biac: serving http://")
                .or_else(|| line.strip_prefix("biac: serving https://"));
            let ready = match url {
                Some(url) if http => {
                    b.http = url.trim_end_matches('/').parse().expect("http addr");
                    true
                }
                _ => !http && line.starts_with("biac: fusion node"),
            };
            if ready {
                b.stdout_rx = rx;
                return Ok(Started::Serving(b));
            }
            b.startup.push(line);
        }
    }

    /// [`Biac::attach`] for a process that must come up.
    pub fn from_child(child: Child, http: bool, limit: Duration) -> Result<Biac, String> {
        match Biac::attach(child, http, limit)? {
            Started::Serving(b) => Ok(b),
            Started::Exited(s, err) => Err(format!("exited ({s}) before serving: {err}")),
        }
    }

    /// The listener of feed `name`.
    pub fn feed(&self, name: &str) -> SocketAddr {
        self.feeds
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no feed {name} in {:?}", self.startup))
            .1
    }

    /// Whether a line of standard error contains every one of `parts`.
    pub fn logged(&self, parts: &[&str]) -> bool {
        self.stderr
            .lock()
            .unwrap()
            .iter()
            .any(|l| parts.iter().all(|p| l.contains(p)))
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }
}

/// The binary under test: this build's, or `BIAC_BIN` (to replay a test against another
/// build, e.g. one from before a fix).
pub fn bin() -> &'static str {
    static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        std::env::var("BIAC_BIN")
            .ok()
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_biac").to_string())
    })
}

/// One AIS position report (type 1, 10 kn due east) of `mmsi` at `t_ms` as NMEA lines with
/// a tag block receive time, as a shore station sends it.
pub fn ais_report(mmsi: u32, t_ms: i64, lat: f64, lon: f64) -> String {
    use biac_formats::ais::{encode_position_report, to_sentences, PositionReport};
    let (p, f) = encode_position_report(&PositionReport {
        msg_type: 1,
        mmsi,
        nav_status: 0,
        sog_knots: Some(10.0),
        position_accuracy: true,
        lat_deg: lat,
        lon_deg: lon,
        cog_deg: Some(90.0),
        heading_deg: Some(90),
        second: ((t_ms / 1000) % 60) as u8,
    });
    to_sentences(&p, f, 'A', 0, Some(("rx1", t_ms / 1000)))
        .into_iter()
        .map(|l| l + "\r\n")
        .collect()
}

/// Start `biac ARGS...` (standard error inherited) and wait for its serving line.
pub fn start(args: &[&str]) -> Biac {
    start_with_lines(args).0
}

/// `biac demo` under `dir` as the end-to-end tests run it (seed 7, 4× speed, no fsync),
/// writing the simulator's truth: the server, the truth file and the data directory.
pub fn start_demo_with_truth(dir: &Path) -> (Biac, PathBuf, PathBuf) {
    let truth = dir.join("truth.csv");
    let data = dir.join("data");
    let b = start(&[
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
        "--seed",
        "7",
        "--speed",
        "4",
        "--fsync",
        "off",
        "--truth",
        truth.to_str().unwrap(),
    ]);
    (b, truth, data)
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
/// lines: feeds, audit log, CoT listeners; also in [`Biac::startup`]).
pub fn start_with_lines(args: &[&str]) -> (Biac, Vec<String>) {
    let child = Command::new(bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn biac");
    let b = Biac::attach(child, true, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("biac {e}"))
        .serving();
    let lines = b.startup.clone();
    (b, lines)
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

/// A minimal WebSocket client (RFC 6455) over std: the upgrade, then unmasked server
/// frames reassembled into text messages; a close frame ends it.
pub struct Ws {
    s: TcpStream,
    buf: Vec<u8>,
    partial: Vec<u8>,
}

pub enum WsEvent {
    Text(String),
    Closed(String),
    Idle,
}

impl Ws {
    /// The upgrade of `path` with no credential (one in `path`'s query, if any).
    pub fn connect(addr: SocketAddr, path: &str) -> Ws {
        Ws::open(addr, path, "").unwrap_or_else(|head| panic!("ws upgrade refused: {head}"))
    }

    /// `/api/v1/ws` as `token`, offered as the page offers it: the subprotocols
    /// `biac.v1, bearer.<token>` (never in the URL).
    pub fn connect_as(addr: SocketAddr, token: &str) -> Ws {
        Ws::open(
            addr,
            "/api/v1/ws",
            &format!("Sec-WebSocket-Protocol: biac.v1, bearer.{token}\r\n"),
        )
        .unwrap_or_else(|head| panic!("ws upgrade refused: {head}"))
    }

    /// The upgrade of `path` with `headers` (each line ending in CRLF) added: the socket,
    /// or the response head when the server did not switch protocols.
    pub fn open(addr: SocketAddr, path: &str, headers: &str) -> Result<Ws, String> {
        let mut s = TcpStream::connect(addr).expect("connect ws");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{headers}\r\n"
        )
        .unwrap();
        let mut buf = Vec::new();
        let mut b = [0u8; 4096];
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let k = s.read(&mut b).expect("ws handshake");
            assert!(k > 0, "ws: closed during handshake");
            buf.extend_from_slice(&b[..k]);
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        if !head.starts_with("HTTP/1.1 101") {
            return Err(head);
        }
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        Ok(Ws {
            s,
            buf: buf[end..].to_vec(),
            partial: Vec::new(),
        })
    }

    pub fn next(&mut self) -> WsEvent {
        loop {
            if let Some((fin, op, payload, used)) = parse_frame(&self.buf) {
                self.buf.drain(..used);
                match op {
                    0 | 1 => {
                        self.partial.extend_from_slice(&payload);
                        if fin {
                            let m = String::from_utf8_lossy(&std::mem::take(&mut self.partial))
                                .into_owned();
                            return WsEvent::Text(m);
                        }
                    }
                    8 => {
                        let reason = String::from_utf8_lossy(payload.get(2..).unwrap_or_default())
                            .into_owned();
                        return WsEvent::Closed(format!("close frame: {reason}"));
                    }
                    _ => {}
                }
                continue;
            }
            let mut b = [0u8; 1 << 16];
            match self.s.read(&mut b) {
                Ok(0) => return WsEvent::Closed("connection closed".into()),
                Ok(k) => self.buf.extend_from_slice(&b[..k]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return WsEvent::Idle
                }
                Err(e) => return WsEvent::Closed(e.to_string()),
            }
        }
    }

    /// Every text message for `secs` (stops early when the server closes).
    pub fn read_for(&mut self, secs: u64) -> (Vec<String>, Option<String>) {
        let end = Instant::now() + Duration::from_secs(secs);
        let mut out = Vec::new();
        while Instant::now() < end {
            match self.next() {
                WsEvent::Text(t) => out.push(t),
                WsEvent::Closed(why) => return (out, Some(why)),
                WsEvent::Idle => {}
            }
        }
        (out, None)
    }
}

/// (fin, opcode, payload, bytes used) of the first complete frame in `b`.
fn parse_frame(b: &[u8]) -> Option<(bool, u8, Vec<u8>, usize)> {
    if b.len() < 2 {
        return None;
    }
    let (fin, op) = (b[0] & 0x80 != 0, b[0] & 0x0f);
    let (len, at) = match b[1] & 0x7f {
        126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
        127 if b.len() >= 10 => (
            u64::from_be_bytes(b[2..10].try_into().unwrap()) as usize,
            10,
        ),
        126 | 127 => return None,
        l => (l as usize, 2),
    };
    let payload = b.get(at..at + len)?.to_vec();
    Some((fin, op, payload, at + len))
}

/// Run the PyTAK client (`tests/peers/pytak_client.py`, with the interpreter of
/// [`pytak_python`]) against `port` on 127.0.0.1 for `secs`; its JSON report. With `v1`,
/// the script negotiates TAK protocol v1 and decodes frames with takproto.
pub fn pytak_client(
    py: PathBuf,
    port: u16,
    secs: u32,
    v1: bool,
) -> std::thread::JoinHandle<serde_json::Value> {
    std::thread::spawn(move || {
        let out = Command::new(py)
            .arg(repo_root().join("tests/peers/pytak_client.py"))
            .arg(format!("tcp://127.0.0.1:{port}"))
            .arg(secs.to_string())
            .args(v1.then_some("v1"))
            .output()
            .expect("run pytak_client.py");
        assert!(
            out.status.success(),
            "pytak_client.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "pytak_client.py output is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    })
}
