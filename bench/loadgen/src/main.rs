//! `loadgen`: a bounded load test of a running `biac serve` on this machine.
//!
//! In: `--tracks` AIS vessels (MMSI `MMSI_BASE + i`), each reporting once per
//! `1/--rate-hz` seconds as an NMEA 0183 type 1 position report over the AIS feed's TCP
//! socket, spread evenly over the period. Out: `--cot-clients` TAK streaming clients
//! (round-robin over the `--cot` listeners, one audience each) and `--ws-clients`
//! WebSocket clients (round-robin over `--ws-tokens`, one audience each), plus, with
//! `--stall`, one CoT and one WebSocket client that connect and never read.
//!
//! Latency, ingest to client: the generator remembers the wall-clock time it wrote each
//! object's report of each data second. A client that receives a track (CoT `start` =
//! the track's time, WebSocket `properties.time`) newer than what it had for that object
//! looks up when the report of that time was written: latency = receive − write, for
//! every object and every client (not a sample). A track whose time jumps by more than
//! one period was *superseded* (the client skipped a generation): counted apart.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use biac_formats::ais::{encode_position_report, to_sentences, PositionReport};
use clap::{Parser, ValueEnum};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// First MMSI (431 = Japan's MID); object `i` is `MMSI_BASE + i`.
const MMSI_BASE: u32 = 431_000_000;
/// Send times remembered per object (data seconds, ring).
const RING: usize = 8;
/// Latency histogram: 1 ms buckets up to this, the last one catches the rest.
const HIST_MS: usize = 120_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum TimeRes {
    /// Whole seconds: the report's UTC second and a tag block `c:<unix seconds>`
    /// (what a shore station sends; all reports of one second are one fusion scan).
    S,
    /// Milliseconds: tag block `c:<unix ms>`, UTC second "not available".
    Ms,
}

#[derive(Parser, Clone, Debug)]
#[command(about = "Load generator for biac serve (see bench/load.sh)")]
struct Args {
    /// The AIS feed's TCP address.
    #[arg(long)]
    ais: SocketAddr,
    /// TCP connections the reports are spread over.
    #[arg(long, default_value_t = 2)]
    senders: usize,
    #[arg(long, default_value_t = 10_000)]
    tracks: usize,
    /// Reports per second per track.
    #[arg(long, default_value_t = 1.0)]
    rate_hz: f64,
    /// Seconds measured (after the warm-up).
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Seconds of load before measuring (tracks confirm, clients catch up).
    #[arg(long, default_value_t = 15)]
    warmup: u64,
    /// CoT listener addresses, comma-separated (one audience each).
    #[arg(long, value_delimiter = ',')]
    cot: Vec<SocketAddr>,
    #[arg(long, default_value_t = 200)]
    cot_clients: usize,
    /// The HTTP address of biac serve.
    #[arg(long)]
    http: SocketAddr,
    /// WebSocket bearer tokens, comma-separated (one audience each); the first also
    /// reads `/api/v1/metrics`.
    #[arg(long, value_delimiter = ',')]
    ws_tokens: Vec<String>,
    #[arg(long, default_value_t = 100)]
    ws_clients: usize,
    /// Add one CoT and one WebSocket client that never read.
    #[arg(long)]
    stall: bool,
    /// The server's pid, for RSS and CPU from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    #[arg(long, value_enum, default_value_t = TimeRes::S)]
    time_res: TimeRes,
    /// Write the JSON summary here (it is printed too).
    #[arg(long)]
    json: Option<PathBuf>,
    /// A name for this run in the summary.
    #[arg(long, default_value = "")]
    name: String,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A 1 ms latency histogram shared by clients.
struct Hist {
    b: Vec<AtomicU64>,
    max: AtomicI64,
}

impl Hist {
    fn new() -> Self {
        Hist {
            b: (0..=HIST_MS).map(|_| AtomicU64::new(0)).collect(),
            max: AtomicI64::new(i64::MIN),
        }
    }
    fn add(&self, ms: i64) {
        let i = ms.clamp(0, HIST_MS as i64) as usize;
        self.b[i].fetch_add(1, Ordering::Relaxed);
        self.max.fetch_max(ms, Ordering::Relaxed);
    }
    fn counts(&self) -> Vec<u64> {
        self.b.iter().map(|c| c.load(Ordering::Relaxed)).collect()
    }
}

/// Percentiles of a 1 ms histogram (bucket value, i.e. floor in ms).
fn summary(counts: &[u64], max: Option<i64>) -> serde_json::Value {
    let n: u64 = counts.iter().sum();
    if n == 0 {
        return json!({"n": 0});
    }
    let pct = |p: f64| -> u64 {
        let rank = ((p * n as f64).ceil() as u64).max(1);
        let mut acc = 0;
        for (i, c) in counts.iter().enumerate() {
            acc += c;
            if acc >= rank {
                return i as u64;
            }
        }
        (counts.len() - 1) as u64
    };
    let mean = counts
        .iter()
        .enumerate()
        .map(|(i, c)| i as f64 * *c as f64)
        .sum::<f64>()
        / n as f64;
    let max = max.unwrap_or_else(|| counts.iter().rposition(|c| *c > 0).unwrap_or(0) as i64);
    json!({"n": n, "mean": (mean * 10.0).round() / 10.0, "p50": pct(0.50), "p90": pct(0.90),
           "p99": pct(0.99), "max": max})
}

struct Shared {
    args: Args,
    /// Write time (unix ms) of each object's report, by data second modulo RING.
    sent: Vec<AtomicI64>,
    measuring: AtomicBool,
    stop: AtomicBool,
    lines: AtomicU64,
    lines_measured: AtomicU64,
    hist_cot: Hist,
    hist_ws: Hist,
    /// WebSocket: receive time − the picture's `time_ms` (its watermark).
    hist_ws_picture_age: Hist,
}

impl Shared {
    /// Latency of the report of object `idx` with data time `t_ms`, received at `recv_ms`.
    fn latency(&self, idx: usize, t_ms: i64, recv_ms: i64) -> Option<i64> {
        let s = t_ms.div_euclid(1000);
        let v = self.sent[idx * RING + s.rem_euclid(RING as i64) as usize].load(Ordering::Relaxed);
        let ok = match self.args.time_res {
            TimeRes::S => v.div_euclid(1000) == s,
            TimeRes::Ms => v == t_ms,
        };
        ok.then_some(recv_ms - v)
    }
    fn period_ms(&self) -> i64 {
        (1000.0 / self.args.rate_hz).round() as i64
    }
}

/// Where object `i` is at `t` seconds after the start: a 5.5 km grid from 24N 122E,
/// each moving straight at 10 kn on its own course.
fn position(i: usize, n: usize, t: f64) -> (f64, f64, f64) {
    let cols = (n as f64).sqrt().ceil() as usize;
    let (row, col) = (i / cols, i % cols);
    let (lat0, lon0) = (24.0 + row as f64 * 0.05, 122.0 + col as f64 * 0.05);
    let course = ((i * 37) % 360) as f64;
    let v = 10.0 * 1852.0 / 3600.0;
    let (n_m, e_m) = (
        v * t * course.to_radians().cos(),
        v * t * course.to_radians().sin(),
    );
    let lat = lat0 + n_m / 111_320.0;
    let lon = lon0 + e_m / (111_320.0 * lat0.to_radians().cos());
    (lat, lon, course)
}

/// One NMEA line (with tag block) for object `i` at write time `now`.
fn ais_line(i: usize, n: usize, start_ms: i64, now: i64, res: TimeRes, out: &mut Vec<u8>) {
    let (lat, lon, course) = position(i, n, (now - start_ms) as f64 / 1000.0);
    let (second, tag_time) = match res {
        TimeRes::S => ((now.div_euclid(1000) % 60) as u8, now.div_euclid(1000)),
        // Values >= 1e11 in `c:` are read as milliseconds.
        TimeRes::Ms => (60, now),
    };
    let r = PositionReport {
        msg_type: 1,
        mmsi: MMSI_BASE + i as u32,
        nav_status: 0,
        sog_knots: Some(10.0),
        position_accuracy: true,
        lat_deg: lat,
        lon_deg: lon,
        cog_deg: Some(course),
        heading_deg: Some(course as u16),
        second,
    };
    let (payload, fill) = encode_position_report(&r);
    for s in to_sentences(&payload, fill, 'A', 0, Some(("loadgen", tag_time))) {
        out.extend_from_slice(s.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// One sender connection: objects `k, k+senders, …`, each once per period, spread
/// over 100 slots of the period.
async fn sender(sh: Arc<Shared>, k: usize, start: Instant, start_ms: i64) -> Result<(), String> {
    let a = &sh.args;
    let mut sock = TcpStream::connect(a.ais)
        .await
        .map_err(|e| format!("AIS feed {}: {e}", a.ais))?;
    let _ = sock.set_nodelay(true);
    const SLOTS: usize = 100;
    let slot = Duration::from_secs_f64(1.0 / a.rate_hz / SLOTS as f64);
    let mine: Vec<usize> = (k..a.tracks).step_by(a.senders).collect();
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut c: u64 = 0;
    while !sh.stop.load(Ordering::Relaxed) {
        tokio::time::sleep_until((start + slot * c as u32).into()).await;
        let s = (c as usize) % SLOTS;
        buf.clear();
        let now = now_ms();
        let mut n = 0;
        for &i in mine.iter().skip(s).step_by(SLOTS) {
            ais_line(i, a.tracks, start_ms, now, a.time_res, &mut buf);
            let sec = now.div_euclid(1000);
            sh.sent[i * RING + sec.rem_euclid(RING as i64) as usize].store(now, Ordering::Relaxed);
            n += 1;
        }
        if !buf.is_empty() {
            sock.write_all(&buf)
                .await
                .map_err(|e| format!("AIS feed write: {e}"))?;
        }
        sh.lines.fetch_add(n, Ordering::Relaxed);
        if sh.measuring.load(Ordering::Relaxed) {
            sh.lines_measured.fetch_add(n, Ordering::Relaxed);
        }
        c += 1;
    }
    Ok(())
}

/// What one subscriber saw.
#[derive(Default, Debug)]
struct ClientResult {
    kind: &'static str,
    /// Messages (CoT events / WebSocket messages) while measuring.
    msgs: u64,
    /// Track updates (CoT track events / WebSocket features) while measuring.
    tracks: u64,
    bytes: u64,
    /// Track updates newer than what the client had, matched to a report.
    matched: u64,
    /// Of those, how many jumped more than one period (the client skipped reports).
    superseded: u64,
    unmatched: u64,
    /// 10 ms buckets of this client's latencies.
    hist10: Vec<u32>,
    /// Ended before the stop (closed by the server or an error): why.
    ended_early: Option<String>,
}

impl ClientResult {
    fn new(kind: &'static str) -> Self {
        ClientResult {
            kind,
            hist10: vec![0; HIST_MS / 10 + 1],
            ..Default::default()
        }
    }
    fn p99(&self) -> Option<u64> {
        let n: u64 = self.hist10.iter().map(|c| u64::from(*c)).sum();
        if n == 0 {
            return None;
        }
        let rank = ((0.99 * n as f64).ceil() as u64).max(1);
        let mut acc = 0;
        for (i, c) in self.hist10.iter().enumerate() {
            acc += u64::from(*c);
            if acc >= rank {
                return Some(i as u64 * 10);
            }
        }
        None
    }
}

/// Per-object "newest track time this client has", for dedupe and supersession.
struct Seen {
    last: Vec<i64>,
}

impl Seen {
    fn new(n: usize) -> Self {
        Seen {
            last: vec![i64::MIN; n],
        }
    }
}

/// Record one received track state of object `mmsi` at data time `t`.
fn observe(
    sh: &Shared,
    hist: &Hist,
    r: &mut ClientResult,
    seen: &mut Seen,
    mmsi: u32,
    t: i64,
    recv: i64,
) {
    let Some(idx) = mmsi
        .checked_sub(MMSI_BASE)
        .map(|d| d as usize)
        .filter(|d| *d < seen.last.len())
    else {
        return;
    };
    let prev = seen.last[idx];
    if t <= prev {
        return; // a refresh or repeat: not a new report
    }
    seen.last[idx] = t;
    if prev == i64::MIN || !sh.measuring.load(Ordering::Relaxed) {
        return; // first sighting (join snapshot, confirmation): not a delivery of one report
    }
    match sh.latency(idx, t, recv) {
        Some(l) => {
            r.matched += 1;
            if t - prev > sh.period_ms() * 3 / 2 {
                r.superseded += 1;
            }
            hist.add(l);
            let b = (l.max(0) as usize / 10).min(r.hist10.len() - 1);
            r.hist10[b] += 1;
        }
        None => r.unmatched += 1,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DDTHH:MM:SS[.fff…]Z` to unix ms.
fn parse_time(s: &[u8]) -> Option<i64> {
    if s.len() < 20 || s[4] != b'-' || s[10] != b'T' {
        return None;
    }
    let num = |a: usize, b: usize| -> Option<i64> {
        let mut v = 0i64;
        for &c in &s[a..b] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    let days = days_from_civil(num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let secs = days * 86_400 + num(11, 13)? * 3600 + num(14, 16)? * 60 + num(17, 19)?;
    let mut ms = 0;
    if s[19] == b'.' {
        let mut scale = 100;
        for &c in s[20..].iter().take_while(|c| c.is_ascii_digit()) {
            ms += i64::from(c - b'0') * scale;
            scale /= 10;
        }
    }
    Some(secs * 1000 + ms)
}

fn find(h: &[u8], needle: &[u8]) -> Option<usize> {
    // A byte search: the buffer is not validated as UTF-8 on every call (that made
    // splitting a read into events quadratic in the read's size).
    memchr::memmem::find(h, needle)
}

/// Pick `(mmsi, start)` from one CoT track event.
fn cot_track(ev: &[u8]) -> Option<(u32, i64)> {
    if find(ev, b"type=\"t-x-").is_some() {
        return None;
    }
    let st = find(ev, b" start=\"")? + 8;
    let t = parse_time(&ev[st..])?;
    let cs = find(ev, b"callsign=\"MMSI ")? + 15;
    let digits = ev[cs..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mmsi = std::str::from_utf8(&ev[cs..cs + digits])
        .ok()?
        .parse()
        .ok()?;
    Some((mmsi, t))
}

async fn cot_client(sh: Arc<Shared>, addr: SocketAddr) -> ClientResult {
    let mut r = ClientResult::new("cot");
    let mut sock = match TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(e) => {
            r.ended_early = Some(format!("connect {addr}: {e}"));
            return r;
        }
    };
    let mut seen = Seen::new(sh.args.tracks);
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut chunk = vec![0u8; 256 * 1024];
    while !sh.stop.load(Ordering::Relaxed) {
        let n = match tokio::time::timeout(Duration::from_millis(500), sock.read(&mut chunk)).await
        {
            Err(_) => continue,
            Ok(Ok(0)) => {
                r.ended_early = Some("closed by the server".into());
                break;
            }
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                r.ended_early = Some(format!("read: {e}"));
                break;
            }
        };
        let recv = now_ms();
        let measuring = sh.measuring.load(Ordering::Relaxed);
        if measuring {
            r.bytes += n as u64;
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut at = 0;
        while let Some(end) = find(&buf[at..], b"</event>") {
            let ev = &buf[at..at + end + 8];
            if measuring {
                r.msgs += 1;
            }
            if let Some((mmsi, t)) = cot_track(ev) {
                if measuring {
                    r.tracks += 1;
                }
                observe(&sh, &sh.hist_cot, &mut r, &mut seen, mmsi, t, recv);
            }
            at += end + 8;
        }
        buf.drain(..at);
    }
    r
}

#[derive(Deserialize)]
struct WsMsg<'a> {
    time_ms: i64,
    #[serde(default, borrow)]
    features: Vec<WsFeature<'a>>,
    #[serde(default, borrow)]
    upserts: Vec<WsFeature<'a>>,
}

#[derive(Deserialize)]
struct WsFeature<'a> {
    #[serde(borrow)]
    properties: WsProps<'a>,
}

#[derive(Deserialize)]
struct WsProps<'a> {
    mmsi: Option<u32>,
    time: &'a str,
}

/// The upgrade request, the token offered as the page offers it (the `bearer.`
/// subprotocol): the server refuses a token in the URL.
fn ws_url(
    http: SocketAddr,
    token: &str,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{http}/api/v1/ws")
        .into_client_request()
        .expect("a ws URL");
    req.headers_mut().insert(
        "sec-websocket-protocol",
        format!("biac.v1, bearer.{token}")
            .parse()
            .expect("a token is a header value"),
    );
    req
}

async fn ws_client(sh: Arc<Shared>, token: String) -> ClientResult {
    let mut r = ClientResult::new("ws");
    let (mut ws, _) = match tokio_tungstenite::connect_async(ws_url(sh.args.http, &token)).await {
        Ok(c) => c,
        Err(e) => {
            r.ended_early = Some(format!("connect: {e}"));
            return r;
        }
    };
    let mut seen = Seen::new(sh.args.tracks);
    while !sh.stop.load(Ordering::Relaxed) {
        let msg = match tokio::time::timeout(Duration::from_millis(500), ws.next()).await {
            Err(_) => continue,
            Ok(None) => {
                r.ended_early = Some("closed by the server".into());
                break;
            }
            Ok(Some(Err(e))) => {
                r.ended_early = Some(format!("read: {e}"));
                break;
            }
            Ok(Some(Ok(m))) => m,
        };
        let recv = now_ms();
        let text = match &msg {
            Message::Text(t) => t.as_str(),
            Message::Close(_) => {
                r.ended_early = Some("close frame".into());
                break;
            }
            _ => continue,
        };
        let measuring = sh.measuring.load(Ordering::Relaxed);
        let m: WsMsg = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(e) => {
                r.ended_early = Some(format!("bad message: {e}"));
                break;
            }
        };
        if measuring {
            r.msgs += 1;
            r.bytes += text.len() as u64;
            sh.hist_ws_picture_age.add(recv - m.time_ms);
        }
        for f in m.features.iter().chain(&m.upserts) {
            if measuring {
                r.tracks += 1;
            }
            if let (Some(mmsi), Some(t)) =
                (f.properties.mmsi, parse_time(f.properties.time.as_bytes()))
            {
                observe(&sh, &sh.hist_ws, &mut r, &mut seen, mmsi, t, recv);
            }
        }
    }
    let _ = ws.close(None).await;
    r
}

/// What a client that never read got, read at the end: whether the server had closed
/// it (after its write timeout) and how many bytes were left in the socket buffers.
async fn stalled_cot(sh: Arc<Shared>, addr: SocketAddr) -> serde_json::Value {
    let mut sock = match TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(e) => return json!({"error": e.to_string()}),
    };
    while !sh.stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut bytes = 0u64;
    let mut chunk = vec![0u8; 256 * 1024];
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(2), sock.read(&mut chunk)).await {
            Ok(Ok(0)) => break "closed by the server",
            Ok(Ok(n)) => bytes += n as u64,
            Ok(Err(_)) => break "reset by the server",
            Err(_) => break "still open",
        }
    };
    json!({"connection": closed, "bytes_buffered": bytes})
}

async fn stalled_ws(sh: Arc<Shared>, token: String) -> serde_json::Value {
    let (mut ws, _) = match tokio_tungstenite::connect_async(ws_url(sh.args.http, &token)).await {
        Ok(c) => c,
        Err(e) => return json!({"error": e.to_string()}),
    };
    while !sh.stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut msgs = 0u64;
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(2), ws.next()).await {
            Ok(None) => break "closed by the server",
            Ok(Some(Ok(Message::Close(_)))) => break "closed by the server",
            Ok(Some(Ok(_))) => msgs += 1,
            Ok(Some(Err(_))) => break "closed by the server (error)",
            Err(_) => break "still open",
        }
    };
    json!({"connection": closed, "messages_buffered": msgs})
}

/// `(VmRSS kB, VmHWM kB, utime+stime ticks)` of a process.
fn proc_sample(pid: &str) -> Option<(u64, u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |key: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(key))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the ")" of the command name: state is field 3; utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some((kb("VmRSS:")?, kb("VmHWM:")?, ticks))
}

/// `GET /api/v1/metrics`: (accepted records, rejected records, generation by audience).
async fn metrics(http: SocketAddr, token: &str) -> Option<(u64, u64, Vec<(String, u64)>)> {
    tokio::time::timeout(Duration::from_secs(5), metrics_once(http, token))
        .await
        .ok()
        .flatten()
}

async fn metrics_once(http: SocketAddr, token: &str) -> Option<(u64, u64, Vec<(String, u64)>)> {
    let mut s = TcpStream::connect(http).await.ok()?;
    let req = format!(
        "GET /api/v1/metrics HTTP/1.1\r\nHost: {http}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).await.ok()?;
    let (mut acc, mut rej, mut gens) = (0, 0, Vec::new());
    for l in body.lines() {
        let Some((k, v)) = l.rsplit_once(' ') else {
            continue;
        };
        let Ok(v) = v.parse::<f64>() else { continue };
        if k.starts_with("biac_feed_accepted_total") {
            acc += v as u64;
        } else if k.starts_with("biac_feed_rejected_total") {
            rej += v as u64;
        } else if let Some(a) = k.strip_prefix("biac_picture_generation{audience=\"") {
            gens.push((a.trim_end_matches("\"}").to_string(), v as u64));
        }
    }
    Some((acc, rej, gens))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(e) = run(args).await {
        eprintln!("loadgen: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), String> {
    if args.senders == 0 || args.tracks == 0 || !args.rate_hz.is_finite() || args.rate_hz <= 0.0 {
        return Err("--senders, --tracks and --rate-hz must be positive".into());
    }
    let sh = Arc::new(Shared {
        sent: (0..args.tracks * RING)
            .map(|_| AtomicI64::new(i64::MIN))
            .collect(),
        measuring: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        lines: AtomicU64::new(0),
        lines_measured: AtomicU64::new(0),
        hist_cot: Hist::new(),
        hist_ws: Hist::new(),
        hist_ws_picture_age: Hist::new(),
        args: args.clone(),
    });
    let pid = args.server_pid.map(|p| p.to_string());
    let loadavg = || {
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let loadavg_start = loadavg();
    let metrics_token = args.ws_tokens.first().cloned().unwrap_or_default();

    // Subscribers first, so they see the picture grow.
    let mut clients = Vec::new();
    for i in 0..args.cot_clients {
        if args.cot.is_empty() {
            break;
        }
        let addr = args.cot[i % args.cot.len()];
        clients.push(tokio::spawn(cot_client(sh.clone(), addr)));
    }
    for i in 0..args.ws_clients {
        if args.ws_tokens.is_empty() {
            break;
        }
        let tok = args.ws_tokens[i % args.ws_tokens.len()].clone();
        clients.push(tokio::spawn(ws_client(sh.clone(), tok)));
    }
    let mut stalled = Vec::new();
    if args.stall {
        if let Some(a) = args.cot.first() {
            stalled.push(("cot", tokio::spawn(stalled_cot(sh.clone(), *a))));
        }
        if let Some(t) = args.ws_tokens.first() {
            stalled.push(("ws", tokio::spawn(stalled_ws(sh.clone(), t.clone()))));
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let start = Instant::now();
    let start_ms = now_ms();
    let mut senders = Vec::new();
    for k in 0..args.senders {
        senders.push(tokio::spawn(sender(sh.clone(), k, start, start_ms)));
    }
    eprintln!(
        "loadgen: {} tracks at {} Hz over {} connections; {} CoT + {} WS clients{}; warm-up {} s, measuring {} s",
        args.tracks, args.rate_hz, args.senders, args.cot_clients, args.ws_clients,
        if args.stall { " + 2 stalled" } else { "" }, args.warmup, args.duration
    );

    // Server memory over the whole run, every second.
    let mut rss_series: Vec<(f64, u64)> = Vec::new();
    let total = args.warmup + args.duration;
    let mut m0 = None;
    let (mut cpu0, mut self0, mut t_measure) = (None, None, None);
    for sec in 0..total {
        tokio::time::sleep_until((start + Duration::from_secs(sec + 1)).into()).await;
        if let Some(p) = &pid {
            match proc_sample(p) {
                Some((rss, _, _)) => rss_series.push(((sec + 1) as f64, rss)),
                None => return Err(format!("server pid {p} is gone")),
            }
        }
        for s in &senders {
            if s.is_finished() {
                return Err("a sender stopped (the feed connection failed)".into());
            }
        }
        if sec + 1 == args.warmup {
            cpu0 = pid.as_deref().and_then(proc_sample).map(|s| s.2);
            self0 = proc_sample("self").map(|s| s.2);
            t_measure = Some(Instant::now());
            sh.measuring.store(true, Ordering::Relaxed);
            eprintln!("loadgen: measuring");
            m0 = metrics(args.http, &metrics_token).await;
        }
    }
    sh.measuring.store(false, Ordering::Relaxed);
    let secs = t_measure.map_or(1.0, |t| t.elapsed().as_secs_f64());
    let cpu1 = pid.as_deref().and_then(proc_sample);
    let self1 = proc_sample("self").map(|s| s.2);
    let m1 = metrics(args.http, &metrics_token).await;
    // The accepted count is read at both ends of the window; a slow answer skews it.
    let metrics_lag_s = t_measure.map(|t| t.elapsed().as_secs_f64() - secs);
    let ticks = 100.0; // USER_HZ
    let cpu_pct = |a: Option<u64>, b: Option<u64>| -> Option<f64> {
        Some(((b? - a?) as f64 / ticks / secs * 1000.0).round() / 10.0)
    };
    sh.stop.store(true, Ordering::Relaxed);

    let mut results = Vec::new();
    for c in clients {
        if let Ok(r) = c.await {
            results.push(r);
        }
    }
    let mut stalled_out = serde_json::Map::new();
    for (k, h) in stalled {
        stalled_out.insert(k.into(), h.await.unwrap_or(json!(null)));
    }
    let rss_after = pid.as_deref().and_then(proc_sample);

    let per_kind = |kind: &str| -> serde_json::Value {
        let rs: Vec<&ClientResult> = results.iter().filter(|r| r.kind == kind).collect();
        let sum = |f: fn(&ClientResult) -> u64| rs.iter().map(|r| f(r)).sum::<u64>();
        let mut p99s: Vec<u64> = rs.iter().filter_map(|r| r.p99()).collect();
        p99s.sort_unstable();
        let ended: Vec<&String> = rs.iter().filter_map(|r| r.ended_early.as_ref()).collect();
        json!({
            "clients": rs.len(),
            "ended_early": ended.len(),
            "ended_early_reasons": ended.iter().take(5).collect::<Vec<_>>(),
            "messages_per_s": (sum(|r| r.msgs) as f64 / secs).round(),
            "track_updates_per_s": (sum(|r| r.tracks) as f64 / secs).round(),
            "bytes_per_s": (sum(|r| r.bytes) as f64 / secs).round(),
            "matched": sum(|r| r.matched),
            "superseded": sum(|r| r.superseded),
            "unmatched": sum(|r| r.unmatched),
            "per_client_p99_ms": {
                "min": p99s.first(), "median": p99s.get(p99s.len() / 2), "max": p99s.last()
            },
        })
    };
    let hist = |h: &Hist| summary(&h.counts(), Some(h.max.load(Ordering::Relaxed)));
    let mut all = sh.hist_cot.counts();
    for (a, b) in all.iter_mut().zip(sh.hist_ws.counts()) {
        *a += b;
    }
    let all_max = sh
        .hist_cot
        .max
        .load(Ordering::Relaxed)
        .max(sh.hist_ws.max.load(Ordering::Relaxed));
    let gens_per_s = match (&m0, &m1) {
        (Some((_, _, g0)), Some((_, _, g1))) => g1
            .iter()
            .map(|(a, v)| {
                let v0 = g0.iter().find(|(b, _)| b == a).map_or(0, |x| x.1);
                (
                    a.clone(),
                    json!(((v - v0) as f64 / secs * 10.0).round() / 10.0),
                )
            })
            .collect::<serde_json::Map<_, _>>(),
        _ => Default::default(),
    };
    let rss_kb: Vec<u64> = rss_series.iter().map(|x| x.1).collect();
    let rss_measured: Vec<u64> = rss_series
        .iter()
        .filter(|x| x.0 > args.warmup as f64)
        .map(|x| x.1)
        .collect();
    let summary = json!({
        "name": args.name,
        "config": {
            "tracks": args.tracks, "rate_hz": args.rate_hz, "senders": args.senders,
            "warmup_s": args.warmup, "duration_s": args.duration, "cot_clients": args.cot_clients,
            "ws_clients": args.ws_clients, "cot_listeners": args.cot.len(),
            "ws_audiences": args.ws_tokens.len(), "stalled_clients": args.stall,
            "time_res": args.time_res,
        },
        "measured_s": (secs * 10.0).round() / 10.0,
        "in": {
            "records_sent_per_s": (sh.lines_measured.load(Ordering::Relaxed) as f64 / secs).round(),
            "records_accepted_per_s": match (&m0, &m1) {
                (Some(a), Some(b)) => json!(((b.0 - a.0) as f64 / secs).round()),
                _ => json!(null),
            },
            "records_rejected": m1.as_ref().map(|m| m.1),
            "metrics_answer_s": metrics_lag_s.map(|s| (s * 10.0).round() / 10.0),
        },
        "out": {"cot": per_kind("cot"), "ws": per_kind("ws")},
        "latency_ms": {
            "all": summary(&all, Some(all_max)),
            "cot": hist(&sh.hist_cot),
            "ws": hist(&sh.hist_ws),
            "ws_picture_age": hist(&sh.hist_ws_picture_age),
        },
        "picture_generations_per_s": gens_per_s,
        "stalled": stalled_out,
        "server": {
            "pid": args.server_pid,
            "cpu_pct": cpu_pct(cpu0, cpu1.map(|s| s.2)),
            "rss_kb_after_warmup": rss_measured.first(),
            "rss_kb_max_measured": rss_measured.iter().max(),
            "rss_kb_end": rss_kb.last(),
            "vm_hwm_kb": rss_after.map(|s| s.1),
            "rss_kb_series": rss_kb,
        },
        "loadgen_cpu_pct": cpu_pct(self0, self1),
        "machine": {
            "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
            "loadavg_start": loadavg_start,
            "loadavg_end": loadavg(),
        },
    });
    let text = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?;
    if let Some(p) = &args.json {
        std::fs::write(p, &text).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    print_table(&summary);
    Ok(())
}

fn print_table(s: &serde_json::Value) {
    let g = |p: &str| s.pointer(p).cloned().unwrap_or(json!(null));
    println!("== biac load: {} ==", g("/name"));
    println!(
        "in : {} tracks @ {} Hz; records sent {}/s, accepted {}/s, rejected {}",
        g("/config/tracks"),
        g("/config/rate_hz"),
        g("/in/records_sent_per_s"),
        g("/in/records_accepted_per_s"),
        g("/in/records_rejected")
    );
    for k in ["cot", "ws"] {
        println!(
            "out {k:<3}: {} clients ({} ended early), {} msgs/s, {} track updates/s, {} B/s; superseded {} of {}",
            g(&format!("/out/{k}/clients")),
            g(&format!("/out/{k}/ended_early")),
            g(&format!("/out/{k}/messages_per_s")),
            g(&format!("/out/{k}/track_updates_per_s")),
            g(&format!("/out/{k}/bytes_per_s")),
            g(&format!("/out/{k}/superseded")),
            g(&format!("/out/{k}/matched")),
        );
    }
    println!(
        "{:<16} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "latency (ms)", "n", "p50", "p90", "p99", "max", "mean"
    );
    for k in ["all", "cot", "ws", "ws_picture_age"] {
        let h = |f: &str| g(&format!("/latency_ms/{k}/{f}"));
        println!(
            "{:<16} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}",
            k,
            h("n"),
            h("p50"),
            h("p90"),
            h("p99"),
            h("max"),
            h("mean")
        );
    }
    println!(
        "per-client p99 (ms): cot {} ws {}",
        g("/out/cot/per_client_p99_ms"),
        g("/out/ws/per_client_p99_ms")
    );
    println!("picture generations/s: {}", g("/picture_generations_per_s"));
    println!("stalled: {}", g("/stalled"));
    println!(
        "server: cpu {}% (of 200), RSS after warm-up {} kB, max {} kB, end {} kB, VmHWM {} kB; loadgen cpu {}%",
        g("/server/cpu_pct"),
        g("/server/rss_kb_after_warmup"),
        g("/server/rss_kb_max_measured"),
        g("/server/rss_kb_end"),
        g("/server/vm_hwm_kb"),
        g("/loadgen_cpu_pct")
    );
    println!(
        "machine: {} cpus, loadavg at start {}, at end {}",
        g("/machine/cpus"),
        g("/machine/loadavg_start"),
        g("/machine/loadavg_end")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cot_and_rfc3339_times() {
        let t = parse_time(b"2026-11-30T15:20:30.123Z").unwrap();
        assert_eq!(t, 1_796_052_030_123);
        assert_eq!(parse_time(b"2026-11-30T15:20:30Z"), Some(1_796_052_030_000));
        let ev = br#"<event version="2.0" uid="biac-JPN-SECRET-T000001" type="a-u-S" how="m-f" time="2026-11-30T15:20:31.000Z" start="2026-11-30T15:20:30.123Z" stale="x"><detail><contact callsign="MMSI 431000007"/></detail></event>"#;
        assert_eq!(cot_track(ev), Some((431_000_007, 1_796_052_030_123)));
    }

    #[test]
    fn ais_lines_decode_to_the_time_written() {
        let cfg: biac_model::FeedConfig = serde_json::from_value(json!({
            "name": "ais", "format": "ais", "nation": "JPN",
            "default_label": {"classification": "UNCLASSIFIED", "owner": ["JPN"]}
        }))
        .unwrap();
        let now = 1_796_052_030_456;
        for (res, want) in [(TimeRes::S, 1_796_052_030_000), (TimeRes::Ms, now)] {
            let mut out = Vec::new();
            ais_line(7, 100, now - 5_000, now, res, &mut out);
            let line = std::str::from_utf8(&out).unwrap().trim_end();
            let mut d = biac_formats::FeedDecoder::new(cfg.clone());
            // Received 300 ms later: the time is the report's, not the receipt's.
            let obs = d.decode(line.as_bytes(), 0, now + 300).unwrap();
            assert_eq!(obs.len(), 1);
            assert_eq!(obs[0].time_ms, want, "{res:?}");
            assert_eq!(obs[0].identity.mmsi, Some(MMSI_BASE + 7));
        }
    }
}
