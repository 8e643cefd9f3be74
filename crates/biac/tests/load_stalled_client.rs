//! A small, bounded version of the load test (`bench/load.sh`, issue 6): the real
//! `biac serve`, 2,000 AIS tracks at 1 Hz, one CoT client that reads and one that never
//! reads. The reader keeps receiving current tracks while the other is stalled, the
//! server drops the stalled one (write timeout) instead of queueing for it, and its
//! memory stays bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use biac_formats::ais::{encode_position_report, to_sentences, PositionReport};

const TRACKS: u32 = 2_000;
const SEND_S: u64 = 24;
const MMSI_BASE: u32 = 431_000_000;

use biac_testkit::now_ms;

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// Kills the server when the test ends, however it ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The address after `marker` in one of the startup lines.
fn addr_after(lines: &[String], prefix: &str, marker: &str) -> String {
    let l = lines
        .iter()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no startup line {prefix:?} in {lines:?}"));
    let rest = &l[l.find(marker).expect("marker") + marker.len()..];
    rest.split([' ', '/'])
        .next()
        .expect("address")
        .trim_end_matches('/')
        .to_string()
}

/// Newest track time (`start`, ms) of any `MMSI` track in the CoT events of `text`.
fn newest_start(text: &str) -> Option<i64> {
    let mut best = None;
    for ev in text.split("</event>") {
        if !ev.contains("callsign=\"MMSI ") {
            continue;
        }
        let Some(i) = ev.find(" start=\"") else {
            continue;
        };
        let t = &ev[i + 8..];
        let t = &t[..t.find('"').unwrap_or(t.len())];
        // 2026-11-30T15:20:30.000Z
        if t.len() < 19 {
            continue;
        }
        let n = |a: usize, b: usize| t[a..b].parse::<i64>().ok();
        let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) =
            (n(0, 4), n(5, 7), n(8, 10), n(11, 13), n(14, 16), n(17, 19))
        else {
            continue;
        };
        let y2 = if mo <= 2 { y - 1 } else { y };
        let era = y2.div_euclid(400);
        let yoe = y2 - era * 400;
        let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
        let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
        let ms = ((days * 24 + h) * 60 + mi) * 60_000 + s * 1000;
        best = best.max(Some(ms));
    }
    best
}

#[test]
fn a_stalled_cot_client_does_not_stop_the_others_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        r#"{
          "feeds": [{"name": "load-ais", "format": "ais", "nation": "JPN",
                     "default_label": {"classification": "UNCLASSIFIED", "owner": ["JPN"]},
                     "listen": "127.0.0.1:0"}],
          "audiences": [{"nation": "JPN", "clearance": "SECRET"}],
          "cot_listeners": [{"listen": "127.0.0.1:0", "nation": "JPN", "clearance": "SECRET"}]
        }"#,
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_biac"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--fsync",
            "off",
            "--config",
        ])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let pid = server.0.id();
    let mut lines = Vec::new();
    for l in BufReader::new(stdout).lines() {
        let l = l.unwrap();
        let done = l.starts_with("biac: serving");
        lines.push(l);
        if done {
            break;
        }
    }
    let feed = addr_after(&lines, "feed load-ais", " on ");
    let cot = addr_after(&lines, "TAK (CoT over TCP)", " on ");

    // The stalled client: connects, never reads.
    let mut stalled = TcpStream::connect(&cot).unwrap();
    // The reader: the newest track time it has received, and when.
    let newest = Arc::new(AtomicI64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (newest, stop) = (newest.clone(), stop.clone());
        let mut s = TcpStream::connect(&cot).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 256 * 1024];
            let mut carry = String::new();
            while !stop.load(Ordering::Relaxed) {
                match s.read(&mut buf) {
                    Ok(0) => return false,
                    Ok(n) => {
                        carry.push_str(&String::from_utf8_lossy(&buf[..n]));
                        if let Some(cut) = carry.rfind("</event>") {
                            if let Some(t) = newest_start(&carry[..cut + 8]) {
                                newest.fetch_max(t, Ordering::Relaxed);
                            }
                            carry.drain(..cut + 8);
                        }
                    }
                    Err(_) => {}
                }
            }
            true
        })
    };

    // 2,000 tracks, each once a second, in 20 slots of 50 ms.
    let mut feed = TcpStream::connect(&feed).unwrap();
    let start = Instant::now();
    let mut worst_lag_ms = 0i64;
    let mut max_rss = 0;
    let mut slot = 0u64;
    while start.elapsed() < Duration::from_secs(SEND_S) {
        let due = start + Duration::from_millis(50 * slot);
        if let Some(d) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
        let now = now_ms();
        let t = start.elapsed().as_secs_f64();
        let mut out = String::new();
        for i in ((slot % 20) as u32..TRACKS).step_by(20) {
            let r = PositionReport {
                msg_type: 1,
                mmsi: MMSI_BASE + i,
                nav_status: 0,
                sog_knots: Some(10.0),
                position_accuracy: true,
                lat_deg: 24.0 + f64::from(i / 50) * 0.05 + t * 1.4e-5,
                lon_deg: 122.0 + f64::from(i % 50) * 0.05,
                cog_deg: Some(0.0),
                heading_deg: Some(0),
                second: (now.div_euclid(1000) % 60) as u8,
            };
            let (payload, fill) = encode_position_report(&r);
            for s in to_sentences(&payload, fill, 'A', 0, Some(("t", now.div_euclid(1000)))) {
                out.push_str(&s);
                out.push_str("\r\n");
            }
        }
        feed.write_all(out.as_bytes()).unwrap();
        slot += 1;
        if slot.is_multiple_of(20) {
            max_rss = max_rss.max(rss_kb(pid));
            // After tracks confirm and a few seconds of data: the reader is current
            // (2 s re-ordering hold, data in whole seconds, plus slack for a debug build).
            if start.elapsed() > Duration::from_secs(8) {
                let lag = now_ms() - newest.load(Ordering::Relaxed);
                worst_lag_ms = worst_lag_ms.max(lag);
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let reader_alive = reader.join().unwrap();

    // The server dropped the stalled client: what it had buffered, then end of stream.
    stalled
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let (mut buffered, mut closed) = (0usize, false);
    loop {
        match stalled.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => buffered += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                closed = true;
                break;
            }
            Err(_) => break,
        }
    }

    assert!(reader_alive, "the reading client was disconnected");
    assert!(
        worst_lag_ms < 6_000,
        "the reading client fell behind while another was stalled: newest track {worst_lag_ms} ms old"
    );
    assert!(
        closed,
        "the stalled client was not dropped ({buffered} bytes were waiting for it)"
    );
    assert!(
        max_rss < 512 * 1024,
        "server RSS {max_rss} kB with one stalled client"
    );
    drop(server);
}
