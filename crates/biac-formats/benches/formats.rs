//! Events per second, one thread: CoT XML parse and serialise, TAK protocol v1
//! (XML -> protobuf, protobuf encode/decode in stream framing, protobuf -> XML),
//! and AIS sentence decoding in-process. No harness crate: `cargo bench -p
//! biac-formats --bench formats` prints a Markdown table (best of 5 rounds).

use std::hint::black_box;
use std::time::Instant;

use biac_formats::ais::{AisDecoder, GpsdJsonWriter};
use biac_formats::beast::{BeastDecoder, BeastFrame, FrameKind};
use biac_formats::modes::{self, ModeSDecoder};
use biac_formats::{cot, tak};

fn event(k: usize) -> String {
    format!(
        r#"<event version="2.0" uid="biac-track-{k}" type="a-h-S" how="m-f" time="2026-11-22T01:02:03.456Z" start="2026-11-22T01:02:03.456Z" stale="2026-11-22T01:07:03.456Z" access="Undefined" caveat="FOUO" releasableTo="USA JPN"><point lat="{}" lon="{}" hae="0" ce="25.5" le="9999999"/><detail><contact callsign="TRACK {k}"/><__group name="Cyan" role="Team Member"/><status battery="87"/><track speed="7.5" course="{}"/><remarks>fused from AIS and radar</remarks><link uid="biac" relation="p-p" type="a-f-G"/></detail></event>"#,
        24.0 + (k % 1000) as f64 * 0.01,
        122.0 + (k % 777) as f64 * 0.01,
        (k * 7) % 360
    )
}

/// Best events/s over 5 rounds of `f` over `n` items.
fn rate(n: usize, mut f: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            n as f64 / t.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn main() {
    let n = 20_000;
    let xml: Vec<String> = (0..n).map(event).collect();
    let parsed: Vec<cot::CotEvent> = xml
        .iter()
        .map(|x| cot::parse_event(x.as_bytes()).expect("valid"))
        .collect();
    let msgs: Vec<tak::TakMessage> = xml
        .iter()
        .map(|x| tak::xml_to_proto(x.as_bytes()).expect("valid"))
        .collect();
    let frames: Vec<u8> = msgs.iter().flat_map(tak::encode_stream).collect();
    let avg_xml = xml.iter().map(String::len).sum::<usize>() / n;
    let avg_pb = frames.len() / n;

    let mut rows: Vec<(String, f64)> = Vec::new();
    rows.push((
        "CoT XML parse (cot::parse_event)".into(),
        rate(n, || {
            for x in &xml {
                black_box(cot::parse_event(black_box(x.as_bytes())).ok());
            }
        }),
    ));
    rows.push((
        "CoT XML serialise (CotEvent::to_xml)".into(),
        rate(n, || {
            for e in &parsed {
                black_box(e.to_xml());
            }
        }),
    ));
    rows.push((
        "CoT XML -> TAK protobuf (tak::xml_to_proto)".into(),
        rate(n, || {
            for x in &xml {
                black_box(tak::xml_to_proto(black_box(x.as_bytes())).ok());
            }
        }),
    ));
    rows.push((
        "TAK protobuf serialise (encode_stream)".into(),
        rate(n, || {
            for m in &msgs {
                black_box(tak::encode_stream(black_box(m)));
            }
        }),
    ));
    rows.push((
        "TAK protobuf parse (StreamDecoder)".into(),
        rate(n, || {
            let mut d = tak::StreamDecoder::new();
            d.push(black_box(&frames));
            while let Ok(Some(m)) = d.next_message() {
                black_box(m);
            }
        }),
    ));
    rows.push((
        "TAK protobuf -> CoT XML (tak::proto_to_xml, validated)".into(),
        rate(n, || {
            for m in &msgs {
                black_box(tak::proto_to_xml(black_box(m)).ok());
            }
        }),
    ));

    // AIS in-process (no I/O): gpsd's sample plus generated positions.
    let sample = include_str!("../tests/data/gpsd/sample.aivdm");
    let lines: Vec<&str> = sample.lines().filter(|l| l.starts_with('!')).collect();
    let reps = 200;
    let ais_n = lines.len() * reps;
    rows.push((
        "AIS sentences decode (AisDecoder, gpsd sample)".into(),
        rate(ais_n, || {
            let mut d = AisDecoder::new();
            for _ in 0..reps {
                for l in &lines {
                    black_box(d.decode_line(black_box(l.as_bytes()), 0).ok());
                }
            }
        }),
    ));
    rows.push((
        "AIS sentences to gpsd JSON (gpsd sample)".into(),
        rate(ais_n, || {
            let mut d = AisDecoder::new();
            let mut w = GpsdJsonWriter::new();
            for _ in 0..reps {
                for l in &lines {
                    if let Ok(Some(m)) = d.decode_line(l.as_bytes(), 0) {
                        black_box(w.write(&m.message));
                    }
                }
            }
        }),
    ));

    // Mode S: Beast frames of ADS-B traffic (identification, positions, velocity)
    // through the Beast framer and the rs1090-based decoder with CPR.
    let mut beast = Vec::new();
    for k in 0..n {
        let icao = 0x84_0000 + (k % 500) as u32;
        let lat = 35.0 + (k % 100) as f64 * 0.01;
        let me = match k % 4 {
            0 => modes::identification_me("JAL123"),
            1 | 2 => modes::airborne_position_me(12_000, lat, 139.8, k % 4 == 2),
            _ => modes::velocity_me(250.0, 90.0, -640),
        };
        let f = BeastFrame {
            kind: FrameKind::ModeSLong,
            timestamp: k as u64 * 12_000,
            signal: 0x80,
            message: modes::df17(icao, me).to_vec(),
        };
        beast.extend(f.encode());
    }
    rows.push((
        "Beast frames -> Mode S decode + CPR (BeastDecoder, ModeSDecoder)".into(),
        rate(n, || {
            let mut framer = BeastDecoder::new();
            framer.push(black_box(&beast));
            let mut d = ModeSDecoder::new();
            let mut t = 0;
            while let Ok(Some(f)) = framer.next_frame() {
                t += 1;
                black_box(d.decode(&f.message, t).ok());
            }
        }),
    ));

    println!("events: CoT XML {avg_xml} bytes, TAK stream frame {avg_pb} bytes on average");
    println!();
    println!("| operation | per second |");
    println!("|---|---:|");
    for (name, r) in rows {
        println!("| {name} | {:.0} |", r);
    }
}
