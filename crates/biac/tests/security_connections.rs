//! Issue 20, findings 7 and 8, against the real `biac serve`.
//!
//! 7. Idle HTTP connections exhausted the file descriptors (no header-read or idle
//!    timeout): now a connection that does not send its headers in time is closed, and
//!    one peer holds at most its share of connections.
//! 8. 256 silent TCP connections locked everyone out of the TAK TLS port (half-open
//!    handshakes counted against the 256-client limit for the 10 s handshake timeout):
//!    now handshakes are limited per peer and in all, with a reserve for completed ones.
//!
//! Loopback has the whole of 127/8: the attacker and the honest client use different
//! source addresses, as two hosts would.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use common::connect_from;
use serde_json::json;

/// Whether the server has closed `s` (EOF or reset) within `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut b = [0u8; 512];
    loop {
        match s.read(&mut b) {
            Ok(0) => return true,
            Ok(_) => continue, // a 408 or similar before the close
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false
            }
            Err(_) => return true,
        }
    }
}

fn health_from(from: [u8; 4], http: SocketAddr) -> Result<String, String> {
    let mut s = connect_from(from, http).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("write: {e}"))?;
    let mut r = String::new();
    s.read_to_string(&mut r).map_err(|e| format!("read: {e}"))?;
    Ok(r)
}

fn serve(dir: &std::path::Path, extra: serde_json::Value) -> common::Biac {
    let mut cfg = json!({
        "feeds": [],
        "audiences": [{"nation": "JPN", "clearance": "SECRET"}],
        "tokens": {"t-jpn": {"nation": "JPN", "clearance": "SECRET"}},
    });
    for (k, v) in extra.as_object().unwrap() {
        cfg[k] = v.clone();
    }
    let path = common::logged::write_config(dir, &cfg);
    let data = dir.join("data");
    common::logged::start(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
        "--config",
        &path,
        "--fsync",
        "off",
    ])
}

#[test]
fn idle_http_connections_are_closed_and_one_peer_cannot_take_them_all() {
    let dir = tempfile::tempdir().unwrap();
    // The defaults: a 10 s header-read timeout, 256 connections per peer.
    let p = serve(dir.path(), json!({}));
    let attacker = [127, 0, 0, 1];
    // 300 idle connections from one peer, and one that sends its headers slowly.
    let mut idle: Vec<TcpStream> = (0..300)
        .map(|_| connect_from(attacker, p.http).expect("connect"))
        .collect();
    let mut slow = connect_from(attacker, p.http).unwrap();
    slow.write_all(b"GET /api/v1/health HTTP/1.1\r\n").unwrap();
    let started = Instant::now();

    // Another peer is served at once.
    let r = health_from([127, 0, 0, 2], p.http).expect("health from another peer");
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    // The slow one keeps sending a header line every 500 ms: it is closed all the same.
    let drip = std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(14);
        while Instant::now() < until {
            std::thread::sleep(Duration::from_millis(500));
            if slow.write_all(b"X-Drip: 1\r\n").is_err() {
                return true;
            }
            if closed_within(&mut slow, Duration::from_millis(1)) {
                return true;
            }
        }
        false
    });
    // The idle ones are all closed once the header-read timeout has passed.
    let deadline = started + Duration::from_millis(10_000 + 3_500);
    let mut open = 0;
    for s in &mut idle {
        let left = deadline.saturating_duration_since(Instant::now());
        if !closed_within(s, left.max(Duration::from_millis(1))) {
            open += 1;
        }
    }
    assert_eq!(
        open, 0,
        "idle connections still open 13.5 s after connecting"
    );
    assert!(
        drip.join().unwrap(),
        "a slow-header connection was kept 14 s"
    );
    // And the attacker's own places are free again afterwards.
    let r = health_from(attacker, p.http).expect("health after the timeout");
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    // Beyond 256 from one peer, connections were refused at once, and said so.
    assert!(
        p.logged(&["HTTP connection refused", "connection limit"]),
        "the refusals were not logged: {}",
        p.stderr_text()
    );
}

/// The mutual-TLS address from `biac serve`'s startup line.
fn tls_addr(p: &common::Biac) -> SocketAddr {
    let line = p
        .startup
        .iter()
        .find(|l| l.starts_with("TAK (CoT over mutual TLS)"))
        .unwrap_or_else(|| panic!("no TLS listener: {:?}", p.startup));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// Python's ssl module as the honest TAK client: handshake from `from` with the JPN
/// analyst's certificate and read the server's first bytes (the TAK protocol offer).
const CLIENT: &str = r#"
import socket, ssl, sys
host, port, src, ca, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca)
ctx.load_cert_chain(cert, key)
s = socket.create_connection((host, port), timeout=5, source_address=(src, 0))
t = ctx.wrap_socket(s, server_hostname="localhost")
data = b""
while b"TakProtocolSupport" not in data:
    chunk = t.recv(4096)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode("utf-8", "replace"))
"#;

#[test]
fn silent_connections_do_not_lock_clients_out_of_the_tls_port() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let out = Command::new(common::logged::bin())
        .args(["certs", "--out", pki.to_str().unwrap(), "--nations", "JPN"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let p = serve(
        dir.path(),
        json!({"cot_tls_listeners": [{"listen": "127.0.0.1:0", "clearance": "SECRET",
            "server_cert": pki.join("server/cert.pem"), "server_key": pki.join("server/key.pem"),
            "client_cas": {"JPN": pki.join("ca/JPN.pem")}}]}),
    );
    let tls = tls_addr(&p);
    // 256 silent connections from one address and 150 more from 50 others: more than
    // the listener's 256 places, none ever sending a byte.
    let mut silent = Vec::new();
    for _ in 0..256 {
        silent.push(connect_from([127, 0, 0, 1], tls).unwrap());
    }
    for i in 0..150u8 {
        silent.push(connect_from([127, 0, 1, 10 + i / 3], tls).unwrap());
    }
    std::thread::sleep(Duration::from_millis(300));
    // An honest client elsewhere completes its handshake and is served.
    let started = Instant::now();
    let out = Command::new("python3")
        .args([
            "-c",
            CLIENT,
            &tls.ip().to_string(),
            &tls.port().to_string(),
            "127.0.0.2",
            pki.join("ca/hub.pem").to_str().unwrap(),
            pki.join("users/analyst-jpn.pem").to_str().unwrap(),
            pki.join("users/analyst-jpn.key").to_str().unwrap(),
        ])
        .output()
        .expect("python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("TakProtocolSupport"),
        "the honest client was not served while {} silent connections were open: {}\n{}",
        silent.len(),
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        p.logged(&["TAK TLS handshake refused", "connection limit"]),
        "{}",
        p.stderr_text()
    );
    drop(silent);
}
