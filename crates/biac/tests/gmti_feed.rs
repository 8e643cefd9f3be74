//! A `stanag4607` feed of the real binary, over TCP (a stream of packets) and UDP (a
//! packet per datagram, on the same port): dwells of three movers make three tracks
//! where the movers are; garbage and a cut packet are counted as rejections with their
//! offsets (and, over UDP, the sender's address), and the packets after them decode.
//! The packet header's classification raises the observations' label above the
//! feed's, never lowers it, and a packet marked with no level is rejected and counted.

mod common;

use std::io::Write;
use std::net::{TcpStream, UdpSocket};

use common::gmti::{mover, packet, packet_of};
use common::server::{json, now_ms, serve, wait_for};
use serde_json::{json, Value};

fn config() -> Value {
    config_udp(true)
}

fn config_udp(udp: bool) -> Value {
    let mut feed = json!({"name": "mq9-gmti", "format": "stanag4607", "nation": "USA",
                   "default_label": {"classification": "SECRET", "owner": ["USA"], "rel_to": ["USA"]},
                   "listen": "127.0.0.1:0", "udp": udp});
    if udp {
        // UDP needs an allow-list of senders: this test's sockets are on 127.0.0.1.
        feed["sources"] = json!(["127.0.0.1"]);
    }
    json!({
        "feeds": [feed],
        "audiences": [{"nation": "USA", "clearance": "SECRET"}],
        "tokens": {"t-usa": {"nation": "USA", "clearance": "SECRET", "roles": ["analyst"]}},
    })
}

fn feed(addr: std::net::SocketAddr) -> Value {
    json(addr, "/api/v1/feeds", "t-usa")["feeds"][0].clone()
}

/// Found in review: every `stanag4607` feed listened for UDP, so a feed its operator
/// meant as TCP only (where a firewall rule on the sensor's address protects it) took
/// unauthenticated datagrams from any forged source. UDP is now opt-in per feed.
#[test]
fn a_feed_without_udp_takes_no_datagrams() {
    let s = serve(&config_udp(false), None);
    let addr = s.b.feeds.iter().find(|(n, _)| n == "mq9-gmti").unwrap().1;
    let t0 = now_ms() - 30_000;
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    for k in 0..3 {
        // An error (nobody listening) is the point: ignore it.
        let _ = udp.send_to(&packet(k, t0), addr);
    }
    // Then one packet over TCP: once it is counted, the datagrams had their chance.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(&packet(3, t0)).unwrap();
    tcp.flush().unwrap();
    wait_for(20, "the TCP dwell", || {
        feed(s.http())["accepted"].as_u64() == Some(3)
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    let f = feed(s.http());
    assert_eq!(f["accepted"], 3, "{f}");
    assert_eq!(f["rejected"], 0, "{f}");
}

#[test]
fn tcp_and_udp_dwells_make_tracks_where_the_movers_are_and_bad_packets_are_counted() {
    let s = serve(&config(), None);
    let addr = s.b.feeds.iter().find(|(n, _)| n == "mq9-gmti").unwrap().1;
    // A minute of data ending now (no dwell is in the future of the wall clock).
    let t0 = now_ms() - 65_000;

    // TCP: revisits 0..6 as one stream, garbage after the second packet.
    let mut tcp = TcpStream::connect(addr).unwrap();
    let mut stream = Vec::new();
    for k in 0..6 {
        stream.extend(packet(k, t0));
        if k == 1 {
            stream.extend_from_slice(b"garbage, not a packet");
        }
    }
    tcp.write_all(&stream).unwrap();
    tcp.flush().unwrap();
    wait_for(20, "the TCP dwells", || {
        feed(s.http())["accepted"].as_u64() == Some(18)
    });

    // UDP, same port: revisits 6..12, one per datagram, then a cut packet and garbage.
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let from = udp.local_addr().unwrap();
    for k in 6..12 {
        udp.send_to(&packet(k, t0), addr).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let cut = packet(12, t0);
    udp.send_to(&cut[..cut.len() - 7], addr).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    udp.send_to(&packet(13, t0), addr).unwrap();
    wait_for(20, "the UDP dwells", || {
        let f = feed(s.http());
        f["accepted"].as_u64() == Some(39) && f["rejected"].as_u64() == Some(2)
    });
    let f = feed(s.http());
    assert_eq!(f["format"], "stanag4607");
    // The last rejection names the UDP sender and the offset in what it sent: the cut
    // packet followed six whole packets.
    let last = f["last_error"].as_str().unwrap();
    let offset = 6 * packet(6, t0).len();
    assert!(
        last.contains(&from.to_string()) && last.contains(&format!("offset {offset}")),
        "{last} (from {from})"
    );

    // Three tracks, each where its mover is at the track's time.
    let mut best = Vec::new();
    wait_for(30, "three GMTI tracks on the movers", || {
        let fc = json(s.http(), "/api/v1/tracks", "t-usa");
        best = (0..3)
            .map(|i| {
                fc["features"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|t| t["properties"]["sources"][0] == "mq9-gmti")
                    .map(|t| {
                        let c = &t["geometry"]["coordinates"];
                        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
                        // Where the mover was at the track's time.
                        let at = time::OffsetDateTime::parse(
                            t["properties"]["time"].as_str().unwrap(),
                            &time::format_description::well_known::Rfc3339,
                        )
                        .unwrap();
                        let at = (at.unix_timestamp_nanos() / 1_000_000) as i64;
                        let (mlat, mlon) = mover(i, t0, at);
                        common::distance_m(lat, lon, mlat, mlon)
                    })
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        best.iter().all(|d| *d < 50.0)
    });
    eprintln!("distance of the nearest track to each mover: {best:?} m");
}

/// Issue 17: the packet header's security classification was not read. A dwell marked
/// TOP SECRET on a SECRET feed went to every SECRET audience, and a packet with no
/// valid marking was accepted with the feed's label. Now the marking raises the label
/// (the TOP SECRET audience sees those movers, the SECRET one does not), a marking
/// below the feed's leaves it (an UNCLASSIFIED packet stays SECRET: the CONFIDENTIAL
/// audience never sees it), and a packet marked with no level is rejected, counted, and
/// its offset (of P4) reported.
#[test]
fn the_packet_marking_raises_the_label_never_lowers_it_and_no_level_is_rejected() {
    let cfg = json!({
        "feeds": [{"name": "mq9-gmti", "format": "stanag4607", "nation": "USA",
                   "default_label": {"classification": "SECRET", "owner": ["USA"], "rel_to": ["USA"]},
                   "listen": "127.0.0.1:0"}],
        "audiences": [{"nation": "USA", "clearance": "TOP_SECRET"},
                      {"nation": "USA", "clearance": "SECRET"},
                      {"nation": "USA", "clearance": "CONFIDENTIAL"}],
        "tokens": {"t-ts": {"nation": "USA", "clearance": "TOP_SECRET", "roles": ["analyst"]},
                   "t-s": {"nation": "USA", "clearance": "SECRET", "roles": ["analyst"]},
                   "t-c": {"nation": "USA", "clearance": "CONFIDENTIAL", "roles": ["analyst"]}},
    });
    let s = serve(&cfg, None);
    let addr = s.b.feeds.iter().find(|(n, _)| n == "mq9-gmti").unwrap().1;
    let t0 = now_ms() - 65_000;
    // Movers 0–2 marked TOP SECRET (P4 = 1), movers 10–12 UNCLASSIFIED (P4 = 5); one
    // packet in the middle marked 9, which is no level.
    let mut stream = Vec::new();
    let mut bad_at = 0;
    for k in 0..8 {
        stream.extend(packet_of(k, t0, 0, 1));
        stream.extend(packet_of(k, t0, 10, 5));
        if k == 3 {
            bad_at = stream.len();
            stream.extend(packet_of(k, t0, 0, 9));
        }
    }
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(&stream).unwrap();
    tcp.flush().unwrap();
    let f = |tok: &str| json(s.http(), "/api/v1/feeds", tok)["feeds"][0].clone();
    wait_for(20, "the dwells", || {
        let f = f("t-ts");
        f["accepted"].as_u64() == Some(48) && f["rejected"].as_u64() == Some(1)
    });
    let last = f("t-ts")["last_error"].as_str().unwrap().to_string();
    assert!(
        last.contains("(P4) 9 is no level") && last.contains(&format!("at byte {}", bad_at + 8)),
        "{last} (bad packet at {bad_at})"
    );
    // The movers each audience's tracks are on (a track within 100 m of a mover).
    let on = |tok: &str| -> Vec<usize> {
        let fc = json(s.http(), "/api/v1/tracks", tok);
        let feats = fc["features"].as_array().unwrap().clone();
        [0, 1, 2, 10, 11, 12]
            .into_iter()
            .filter(|&i| {
                feats.iter().any(|t| {
                    let c = &t["geometry"]["coordinates"];
                    let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
                    let at = time::OffsetDateTime::parse(
                        t["properties"]["time"].as_str().unwrap(),
                        &time::format_description::well_known::Rfc3339,
                    )
                    .unwrap();
                    let (mlat, mlon) = mover(i, t0, (at.unix_timestamp_nanos() / 1_000_000) as i64);
                    common::distance_m(lat, lon, mlat, mlon) < 100.0
                })
            })
            .collect()
    };
    wait_for(30, "the TOP SECRET audience's six tracks", || {
        on("t-ts").len() == 6
    });
    wait_for(30, "the SECRET audience's three tracks", || {
        on("t-s") == vec![10, 11, 12]
    });
    // Give the pictures time to settle, then check nothing leaked.
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        on("t-s"),
        vec![10, 11, 12],
        "SECRET sees only the UNCLASSIFIED-marked movers"
    );
    assert_eq!(
        on("t-c"),
        Vec::<usize>::new(),
        "an UNCLASSIFIED marking does not lower a SECRET feed"
    );
    assert_eq!(on("t-ts"), vec![0, 1, 2, 10, 11, 12]);
}
