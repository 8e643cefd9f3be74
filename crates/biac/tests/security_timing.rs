//! Issue 20 finding 10, against the real `biac serve`: ingest into a feed that exists
//! but is hidden from the caller must take as long as ingest into a name that is no
//! feed (before the fix the hidden feed's answer came ~150 µs later: only it was
//! evaluated by the request policy).
//!
//! The fix makes both paths do the same work by construction (one policy evaluation,
//! one log line, the same 404). This test measures it: the median of many interleaved
//! requests over one keep-alive connection each way, with a bound generous enough for
//! a loaded 2-core machine yet tight enough to catch the old path (the difference must
//! stay under 30 µs or a tenth of the median, whichever is larger; the build before the
//! fix showed 83 µs here in a debug build). The figures are printed.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::json;

use common::server::serve;

/// A keep-alive HTTP/1.1 connection.
struct Conn(TcpStream, SocketAddr);

impl Conn {
    fn new(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Conn(s, addr)
    }

    /// POST `path` with a small body; (status, microseconds to the whole answer).
    fn post(&mut self, path: &str, token: &str) -> (u16, f64) {
        let body = "<event/>";
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
             Content-Length: {}\r\n\r\n{body}",
            self.1,
            body.len()
        );
        let t = Instant::now();
        self.0.write_all(req.as_bytes()).unwrap();
        let mut buf = Vec::new();
        let mut b = [0u8; 4096];
        loop {
            let k = self.0.read(&mut b).unwrap();
            assert!(k > 0, "connection closed");
            buf.extend_from_slice(&b[..k]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if buf.len() >= i + 4 + len {
                    let us = t.elapsed().as_secs_f64() * 1e6;
                    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
                    return (status, us);
                }
            }
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[test]
fn a_hidden_feed_answers_as_fast_as_no_feed() {
    let s = serve(
        &json!({
            "feeds": [{"name": "jpn-hidden", "format": "cot", "nation": "JPN",
                       "default_label": {"classification": "SECRET", "owner": ["JPN"]},
                       "listen": "127.0.0.1:0"}],
            "audiences": [{"nation": "JPN", "clearance": "SECRET"},
                          {"nation": "PHL", "clearance": "SECRET"}],
            // A PHL feed operator: may ingest into PHL's feeds, sees no JPN feed.
            "tokens": {"t-phl": {"nation": "PHL", "clearance": "SECRET",
                                 "roles": ["analyst", "feed-operator"]}},
        }),
        None,
    );
    let mut a = Conn::new(s.http());
    let mut b = Conn::new(s.http());
    let (hidden, none) = (
        "/api/v1/feeds/jpn-hidden/ingest",
        "/api/v1/feeds/jpn-hiddem/ingest",
    );
    // Warm up both paths (and the audit/log machinery).
    for _ in 0..100 {
        assert_eq!(a.post(hidden, "t-phl").0, 404);
        assert_eq!(b.post(none, "t-phl").0, 404);
    }
    let n = 1500;
    let (mut th, mut tn) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        // Interleaved, alternating which goes first, so drifting load hits both alike.
        let (x, y) = if i % 2 == 0 {
            let x = a.post(hidden, "t-phl");
            (x, b.post(none, "t-phl"))
        } else {
            let y = b.post(none, "t-phl");
            (a.post(hidden, "t-phl"), y)
        };
        assert_eq!((x.0, y.0), (404, 404));
        th.push(x.1);
        tn.push(y.1);
    }
    let (mh, mn) = (median(th), median(tn));
    println!("ingest 404, median of {n}: hidden feed {mh:.1} µs, no feed {mn:.1} µs, difference {:.1} µs", mh - mn);
    assert!(
        (mh - mn).abs() < 30.0_f64.max(0.1 * mn),
        "hidden {mh:.1} µs vs none {mn:.1} µs"
    );
}
