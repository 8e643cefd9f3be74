//! `biac events`' library path over a capture: the lines of $BIAC_EVENTS_FILE (or, when
//! unset, a generated day of AIS for $BIAC_EVENTS_VESSELS vessels, default 10,000, one
//! report each 86 s: about 10 million sentences) through [`EventsRun`] with the
//! theatre's coastline and ports, as the command runs them (the command adds only
//! writing the events). Prints wall time, the span of receive times covered, their
//! ratio, and peak resident memory (VmHWM).
//!
//!   cargo bench -p biac-analytics --bench events_file

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Instant;

use biac_analytics::behaviour::{theatre_geography, Engine, EventsRun, Thresholds};
use biac_formats::ais::{encode_position_report, to_sentences, PositionReport};

const T0: i64 = 1_767_225_600;
const KN_DEG_S: f64 = 1852.0 / 3600.0 / 111_000.0;

/// A day of AIS with the behaviours of bench/events_gen.py by vessel index (i % 20):
/// transits, dark for 13 h (10), loitering 5 h (12), pairs meeting for 3 h (14+15), one
/// report 60 km off (18). Spread over 20–40 N, 122–150 E (coasts included, so shore
/// distances are really queried).
fn generate(path: &std::path::Path, vessels: u32, interval: i64) -> u64 {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    struct V {
        lat: f64,
        lon: f64,
        vlat: f64,
        vlon: f64,
        sog: f64,
        phase: i64,
        kind: u32,
        t1: i64,
    }
    let mut vs: Vec<V> = (0..vessels)
        .map(|i| {
            let sog = 6.0 + 6.0 * rnd();
            let c = rnd() * std::f64::consts::TAU;
            V {
                lat: 20.0 + 20.0 * rnd(),
                lon: 122.0 + 28.0 * rnd(),
                vlat: sog * KN_DEG_S * c.cos(),
                vlon: sog * KN_DEG_S * c.sin(),
                sog,
                phase: (rnd() * interval as f64) as i64,
                kind: i % 20,
                t1: (rnd() * 0.3 * 86_400.0) as i64 + 4 * 3600,
            }
        })
        .collect();
    // Pairs: 15 sits 150 m north of 14 (same motion).
    for i in 1..vs.len() {
        if vs[i].kind == 15 {
            let (lat, lon, vlat, vlon, t1) = (
                vs[i - 1].lat,
                vs[i - 1].lon,
                vs[i - 1].vlat,
                vs[i - 1].vlon,
                vs[i - 1].t1,
            );
            let v = &mut vs[i];
            (v.lat, v.lon, v.vlat, v.vlon, v.t1) = (lat + 150.0 / 111_000.0, lon, vlat, vlon, t1);
        }
    }
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut lines = 0u64;
    for t in 0..86_400i64 {
        for (i, v) in vs.iter_mut().enumerate() {
            if (t + v.phase) % interval != 0 {
                continue;
            }
            let slow = matches!(v.kind, 12 | 14 | 15)
                && t >= v.t1
                && t < v.t1 + if v.kind == 12 { 5 * 3600 } else { 3 * 3600 };
            let speed = if slow { 0.05 } else { 1.0 };
            v.lat += v.vlat * interval as f64 * speed;
            v.lon += v.vlon * interval as f64 * speed;
            if v.kind == 10 && t >= v.t1 && t < v.t1 + 13 * 3600 {
                continue;
            }
            let mut lat = v.lat;
            if v.kind == 18 && t >= v.t1 && t < v.t1 + interval {
                lat += 60_000.0 / 111_000.0;
            }
            let (payload, fill) = encode_position_report(&PositionReport {
                msg_type: 1,
                mmsi: 200_000_000 + i as u32,
                nav_status: 0,
                sog_knots: Some(v.sog * speed),
                position_accuracy: true,
                lat_deg: lat,
                lon_deg: v.lon,
                cog_deg: Some(0.0),
                heading_deg: None,
                second: ((T0 + t) % 60) as u8,
            });
            for s in to_sentences(&payload, fill, 'A', 0, Some(("gen", T0 + t))) {
                writeln!(out, "{s}").unwrap();
                lines += 1;
            }
        }
    }
    out.flush().unwrap();
    lines
}

fn main() {
    // `cargo test --benches` runs bench targets without `--bench`: skip the 10M-line day.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let generated =
        std::env::temp_dir().join(format!("biac-events-bench-{}.nmea", std::process::id()));
    let path = match std::env::var("BIAC_EVENTS_FILE") {
        Ok(p) => std::path::PathBuf::from(p),
        Err(_) => {
            let n = std::env::var("BIAC_EVENTS_VESSELS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(10_000);
            let t = Instant::now();
            let lines = generate(&generated, n, 86);
            eprintln!(
                "events_file: generated {lines} lines for {n} vessels in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            generated.clone()
        }
    };
    let t = Instant::now();
    let mut run = EventsRun::new(Engine::new(
        Thresholds::default(),
        theatre_geography(),
        vec![],
    ));
    let setup = t.elapsed();
    let mut input = BufReader::with_capacity(1 << 20, std::fs::File::open(&path).unwrap());
    let (mut lines, mut bad, mut events) = (0u64, 0u64, 0usize);
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    let mut buf = Vec::with_capacity(256);
    let t = Instant::now();
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf).unwrap() == 0 {
            break;
        }
        lines += 1;
        // The receive time span, read off the tag block as the events' times are.
        if let Some(c) = buf.windows(2).position(|w| w == b"c:") {
            let digits: Vec<u8> = buf[c + 2..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .copied()
                .collect();
            if let Ok(s) = std::str::from_utf8(&digits).unwrap_or("").parse::<i64>() {
                first = first.min(s);
                last = last.max(s);
            }
        }
        match run.push_line(&buf) {
            Ok(e) => events += e.len(),
            Err(_) => bad += 1,
        }
    }
    events += run.finish().len();
    let wall = t.elapsed().as_secs_f64();
    let span = (last - first).max(0) as f64;
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(str::to_string)
        })
        .unwrap_or_default();
    println!(
        "events_file: {lines} lines ({} reports, {bad} malformed) from {} MMSIs in {wall:.2} s \
         ({:.0} lines/s; coastline setup {:.2} s): {span:.0} s of AIS, {:.0}x real time; \
         {events} events; peak memory {hwm}",
        run.fixes(),
        run.engine().vessels(),
        lines as f64 / wall,
        setup.as_secs_f64(),
        span / wall,
    );
    let _ = std::fs::remove_file(&generated);
}
