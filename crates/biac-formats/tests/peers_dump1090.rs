//! ADS-B against Debian's `dump1090-mutability` on 127.0.0.1: we generate Mode S
//! traffic (DF17 identification, airborne positions as even/odd CPR pairs,
//! velocities; DF4 altitude and DF5 identity replies), frame it as Beast binary,
//! feed it to dump1090's Beast input port, and check that
//!
//! - its SBS (port 30003 format) output agrees with our decoding of the same
//!   messages: callsign, altitude, vertical rate and squawk exactly, ground speed
//!   to its whole knot, position to its 5 printed decimals, track within 1.5
//!   degrees of its whole-degree figure;
//! - its Beast output decodes with our Beast framer to the messages we sent.
//!
//! The peer comes from `scripts/install-peers.sh`; a missing peer fails the test.

mod peers_common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use biac_formats::beast::{BeastDecoder, BeastFrame, FrameKind};
use biac_formats::modes::{
    airborne_position_me, df17, df4, df5, identification_me, velocity_me, ModeSDecoder,
};
use biac_formats::sbs::{parse_line, SbsMsg};
use peers_common::{peer_binary, Rng};

/// Receiver position given to dump1090 (Tokyo Bay).
const RX: (f64, f64) = (35.5, 139.8);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Start dump1090 on five ports that were free a moment ago; another process can take
/// one in between (a probe must be released before dump1090 binds), and then dump1090
/// exits, so try again with new ports until it is up listening on all five.
fn start_dump1090(bin: std::path::PathBuf) -> (Peer, [u16; 5]) {
    for _ in 0..5 {
        let ports = [(); 5].map(|_| free_port());
        let [bi, sbs, bo, ri, ro] = ports;
        let child = Command::new(&bin)
            .args(["--net-only", "--net-bind-address", "127.0.0.1", "--quiet"])
            .args(["--net-heartbeat", "0", "--no-fix"])
            .args(["--net-bi-port", &bi.to_string()])
            .args(["--net-sbs-port", &sbs.to_string()])
            .args(["--net-bo-port", &bo.to_string()])
            .args(["--net-ri-port", &ri.to_string()])
            .args(["--net-ro-port", &ro.to_string()])
            .args(["--lat", &RX.0.to_string(), "--lon", &RX.1.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dump1090-mutability");
        let mut peer = Peer(child);
        // Up when all five answer and it is still running (a connection that a port
        // taken by another process answered would not keep dump1090 alive).
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if peer.0.try_wait().expect("dump1090 status").is_some() {
                break; // a port was taken: new ports
            }
            if ports
                .iter()
                .all(|&p| TcpStream::connect(("127.0.0.1", p)).is_ok())
                && peer.0.try_wait().expect("dump1090 status").is_none()
            {
                return (peer, ports);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = peer.0.kill();
    }
    panic!("dump1090-mutability did not start on free ports in five tries");
}

struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn connect(port: u16) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => return s,
            Err(e) if Instant::now() > deadline => panic!("dump1090 port {port}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Collect everything a socket sends until it is closed or `stop` is set.
fn collector(mut s: TcpStream) -> (Arc<Mutex<Vec<u8>>>, std::thread::JoinHandle<()>) {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let b = buf.clone();
    s.set_read_timeout(Some(Duration::from_millis(200))).ok();
    let h = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut chunk = [0u8; 65536];
        while Instant::now() < deadline {
            match s.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => b.lock().expect("lock").extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
    });
    (buf, h)
}

/// Generated traffic: (message, time in ms) for `n` aircraft near the receiver.
fn traffic(n: usize) -> Vec<(Vec<u8>, i64)> {
    let mut rng = Rng::new(1090);
    let mut out = Vec::new();
    let mut t = 0i64;
    let mut push = |m: Vec<u8>, out: &mut Vec<(Vec<u8>, i64)>| {
        t += 100;
        out.push((m, t));
    };
    let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for k in 0..n {
        let icao = 0x84_0000 + k as u32 * 7 + 1;
        let callsign = format!(
            "{}{}{}{}",
            char::from(letters[rng.below(26) as usize]),
            char::from(letters[rng.below(26) as usize]),
            char::from(letters[rng.below(26) as usize]),
            rng.below(10_000)
        );
        let mut lat = RX.0 - 1.0 + rng.below(2000) as f64 / 1000.0;
        let mut lon = RX.1 - 1.0 + rng.below(2000) as f64 / 1000.0;
        let alt = 1000 + 25 * rng.below(1500) as i32;
        let gs = 120.0 + rng.below(380) as f64;
        let track = rng.below(3600) as f64 / 10.0;
        let vr = 64 * (rng.below(61) as i32 - 30);
        let squawk = [1200u16, 7500, 2000, 4321, 7777][k % 5];
        for _ in 0..2 {
            push(df17(icao, identification_me(&callsign)).to_vec(), &mut out);
        }
        for j in 0..6 {
            push(
                df17(icao, airborne_position_me(alt, lat, lon, j % 2 == 1)).to_vec(),
                &mut out,
            );
            lat += 0.002;
            lon += 0.003;
        }
        for _ in 0..2 {
            push(df17(icao, velocity_me(gs, track, vr)).to_vec(), &mut out);
        }
        for _ in 0..2 {
            push(df5(icao, squawk).to_vec(), &mut out);
            push(df4(icao, alt).to_vec(), &mut out);
        }
    }
    out
}

fn beast(msg: &[u8], t_ms: i64) -> BeastFrame {
    BeastFrame {
        kind: if msg.len() == 14 {
            FrameKind::ModeSLong
        } else {
            FrameKind::ModeSShort
        },
        timestamp: t_ms as u64 * 12_000,
        signal: 0x80,
        message: msg.to_vec(),
    }
}

#[test]
fn dump1090_agrees_with_our_mode_s_decoding() {
    let bin = peer_binary("dump1090-mutability");
    let (_peer, [bi, sbs, bo, ..]) = start_dump1090(bin);
    let (sbs_buf, sbs_thread) = collector(connect(sbs));
    let (bo_buf, bo_thread) = collector(connect(bo));
    let mut input = connect(bi);

    let sent = traffic(40);
    for chunk in sent.chunks(20) {
        let bytes: Vec<u8> = chunk
            .iter()
            .flat_map(|(m, t)| beast(m, *t).encode())
            .collect();
        input.write_all(&bytes).expect("feed dump1090");
        std::thread::sleep(Duration::from_millis(20));
    }
    input.flush().expect("flush");
    // Let dump1090 work through its input and flush its outputs.
    let expect_lines = sent.len();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        let lines = sbs_buf
            .lock()
            .expect("lock")
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        if lines >= expect_lines {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    drop(_peer);
    let _ = sbs_thread.join();
    let _ = bo_thread.join();

    // Our decoding of the same messages, in order, per aircraft.
    let mut ours: HashMap<u32, Vec<SbsMsg>> = HashMap::new();
    // Like dump1090, with the receiver's position for local CPR decoding.
    let mut d = ModeSDecoder::with_reference(RX.0, RX.1);
    for (m, t) in &sent {
        if let Some(r) = d.decode(m, *t).expect("we decode our traffic") {
            ours.entry(r.icao).or_default().push(r);
        }
    }
    let text = String::from_utf8_lossy(&sbs_buf.lock().expect("lock")).into_owned();
    let mut theirs: HashMap<u32, Vec<SbsMsg>> = HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(m) = parse_line(line.as_bytes(), 0).unwrap_or_else(|e| panic!("{e}: {line}")) {
            theirs.entry(m.icao).or_default().push(m);
        }
    }
    assert!(!theirs.is_empty(), "dump1090 wrote no SBS output");

    let mut failures = Vec::new();
    let (mut compared, mut positions, mut tracks) = (0usize, 0usize, 0usize);
    for (icao, list) in &theirs {
        let Some(mine) = ours.get(icao) else {
            failures.push(format!("{icao:06X}: dump1090 reports it, we do not"));
            continue;
        };
        // dump1090 writes one line per message; we report the same messages.
        let (mut i, mut j) = (0, 0);
        while i < list.len() && j < mine.len() {
            let (a, b) = (&list[i], &mine[j]);
            if a.transmission != b.transmission {
                // dump1090 may leave out a reply; skip ours to resynchronise.
                j += 1;
                continue;
            }
            compared += 1;
            let mut diffs = Vec::new();
            if a.callsign.as_deref().map(str::trim) != b.callsign.as_deref().map(str::trim)
                && a.callsign.is_some()
            {
                diffs.push(format!("callsign {:?} vs {:?}", a.callsign, b.callsign));
            }
            if a.altitude_ft.is_some() && a.altitude_ft != b.altitude_ft {
                diffs.push(format!(
                    "altitude {:?} vs {:?}",
                    a.altitude_ft, b.altitude_ft
                ));
            }
            if let (Some(x), y) = (a.ground_speed_kt, b.ground_speed_kt) {
                // dump1090 prints the speed truncated to a whole knot.
                if y.map(f64::trunc) != Some(x.trunc()) {
                    diffs.push(format!("speed {x} vs {y:?}"));
                }
            }
            if let (Some(x), y) = (a.track_deg, b.track_deg) {
                tracks += 1;
                // dump1090-mutability prints a whole-degree track computed from
                // the integer velocity components.
                let off = y.map_or(f64::INFINITY, |y| ((x - y + 540.0) % 360.0 - 180.0).abs());
                if off > 1.5 {
                    diffs.push(format!("track {x} vs {y:?}"));
                }
            }
            if a.vertical_rate_fpm.is_some() && a.vertical_rate_fpm != b.vertical_rate_fpm {
                diffs.push(format!(
                    "vrate {:?} vs {:?}",
                    a.vertical_rate_fpm, b.vertical_rate_fpm
                ));
            }
            if a.squawk.is_some() && a.squawk != b.squawk {
                diffs.push(format!("squawk {:?} vs {:?}", a.squawk, b.squawk));
            }
            if let (Some(la), Some(lo)) = (a.lat_deg, a.lon_deg) {
                positions += 1;
                match (b.lat_deg, b.lon_deg) {
                    (Some(bla), Some(blo))
                        if (la - bla).abs() <= 6e-6 && (lo - blo).abs() <= 6e-6 => {}
                    other => diffs.push(format!("position ({la}, {lo}) vs {other:?}")),
                }
            }
            if !diffs.is_empty() {
                failures.push(format!(
                    "{icao:06X} MSG,{}: {}",
                    a.transmission,
                    diffs.join("; ")
                ));
            }
            i += 1;
            j += 1;
        }
        if i < list.len() {
            failures.push(format!(
                "{icao:06X}: {} dump1090 lines unmatched",
                list.len() - i
            ));
        }
    }
    eprintln!(
        "{} aircraft, {compared} SBS records compared ({positions} positions, {tracks} tracks), \
         {} messages sent",
        theirs.len(),
        sent.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(theirs.len(), 40, "every aircraft reported");
    assert!(positions >= 40, "positions compared: {positions}");
    assert!(tracks >= 40, "tracks compared: {tracks}");

    // dump1090's Beast output: our framer reads back the messages we sent.
    let mut framer = BeastDecoder::new();
    framer.push(&bo_buf.lock().expect("lock"));
    let mut forwarded = Vec::new();
    while let Some(f) = framer.next_frame().expect("dump1090's Beast output frames") {
        forwarded.push(f.message);
    }
    let sent_msgs: Vec<Vec<u8>> = sent.iter().map(|(m, _)| m.clone()).collect();
    assert_eq!(
        forwarded, sent_msgs,
        "Beast output differs from what we sent"
    );
}
