//! Golden tests of the TAK protocol v1 codec against `takproto` (PyPI), byte for
//! byte, in both directions:
//!
//! 1. XML → protobuf: our mesh and stream framings of each event equal
//!    `takproto.xml2proto`'s bytes;
//! 2. protobuf → takproto: takproto parses our frames (including the marking
//!    fields caveat = 16 and releaseableTo = 17, which takproto's schema lacks and
//!    protobuf keeps as unknown fields) and re-serialises them to the same bytes,
//!    with the same field values;
//! 3. takproto's protobuf → us: we decode takproto's frames, and re-encode them,
//!    and take them through XML and back, to the same bytes.
//!
//! Inputs write unknown `<detail>` children the way takproto's ElementTree writes
//! them (`<link uid="x" />`): takproto re-serialises xmlDetail, we keep it verbatim.
//! The peer comes from `scripts/install-peers.sh`; a missing peer fails the test.

mod peers_common;

use std::process::Command;

use biac_formats::tak::{
    decode_mesh, decode_stream, encode_mesh, encode_stream, proto_to_xml, xml_to_proto,
};
use peers_common::{hex, repo_root, run_with_stdin, unhex, venv_python, Rng};
use prost::Message;
use serde_json::{json, Value};

fn takproto(requests: &[Value]) -> Vec<Value> {
    let script = repo_root().join("tests/peers/takproto_golden.py");
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let out = run_with_stdin(Command::new(venv_python()).arg(script), input.as_bytes());
    let answers: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("takproto helper writes JSON"))
        .collect();
    assert_eq!(answers.len(), requests.len(), "one answer per request");
    answers
}

fn time(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .expect("time in range");
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Seeded events covering every typed detail child and unknown ones.
fn events(n: usize, with_markings: bool) -> Vec<String> {
    let mut rng = Rng::new(0x7a4_u64 + u64::from(with_markings));
    let types = [
        "a-h-S",
        "a-f-G-U-C",
        "a-u-A",
        "a-n-S-X",
        "b-m-p-s-p-i",
        "a-h-A-M-F",
    ];
    let hows = ["m-g", "m-r", "m-f", "h-e", "h-g-i-g-o"];
    let words = ["ALPHA", "Bravo 2", "ship & co", "<gull>", "JPN-01", "USA 7"];
    let mut out = Vec::new();
    for k in 0..n {
        let t0 = 1_795_000_000_000 + rng.below(100_000_000_000) as i64;
        let lat = (rng.below(180_000_000) as f64 / 1e6) - 90.0;
        let lon = (rng.below(360_000_000) as f64 / 1e6) - 180.0;
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let mut ev = format!(
            r#"<event version="2.0" uid="biac-{k}-{}" type="{}" how="{}" time="{}" start="{}" stale="{}""#,
            rng.below(1 << 40),
            rng.pick(&types),
            rng.pick(&hows),
            time(t0),
            time(t0 + rng.below(1000) as i64),
            time(t0 + 60_000 + rng.below(600_000) as i64),
        );
        if rng.below(2) == 0 {
            ev.push_str(r#" access="Undefined""#);
        }
        if rng.below(3) == 0 {
            ev.push_str(r#" qos="1-r-c""#);
        }
        if with_markings {
            ev.push_str(r#" caveat="FOUO" releasableTo="USA JPN AUS""#);
        }
        ev.push_str(&format!(
            r#"><point lat="{lat}" lon="{lon}" hae="{}" ce="{}" le="9999999.0"/>"#,
            rng.below(20_000) as f64 / 10.0,
            rng.below(1000) as f64 / 4.0
        ));
        let mut detail = String::new();
        if rng.below(4) > 0 {
            detail.push_str(&format!(
                r#"<contact endpoint="192.168.1.{}:4242:tcp" callsign="{}"/>"#,
                rng.below(255),
                esc(rng.pick(&words))
            ));
        }
        if rng.below(2) == 0 {
            detail.push_str(r#"<__group name="Cyan" role="Team Lead"/>"#);
        }
        if rng.below(2) == 0 {
            detail.push_str(r#"<precisionlocation geopointsrc="GPS" altsrc="DTED0"/>"#);
        }
        if rng.below(2) == 0 {
            detail.push_str(&format!(r#"<status battery="{}"/>"#, rng.below(101)));
        }
        if rng.below(2) == 0 {
            detail.push_str(r#"<takv device="SAMSUNG SM-G998U" platform="ATAK-CIV" os="33" version="5.1.0.8"/>"#);
        }
        if rng.below(4) > 0 {
            detail.push_str(&format!(
                r#"<track speed="{}" course="{}"/>"#,
                rng.below(4000) as f64 / 100.0,
                rng.below(36000) as f64 / 100.0
            ));
        }
        if rng.below(2) == 0 {
            detail.push_str(&format!("<remarks>{}</remarks>", esc(rng.pick(&words))));
        }
        if rng.below(3) == 0 {
            detail.push_str(r#"<link uid="biac-parent" relation="p-p" type="a-f-G" />"#);
        }
        if rng.below(5) > 0 {
            ev.push_str(&format!("<detail>{detail}</detail>"));
        }
        ev.push_str("</event>");
        out.push(ev);
    }
    out
}

#[test]
fn xml_to_protobuf_matches_takproto_byte_for_byte() {
    let evs = events(200, false);
    let requests: Vec<Value> = evs.iter().map(|x| json!({ "xml": x })).collect();
    let answers = takproto(&requests);
    let mut failures = Vec::new();
    for (xml, a) in evs.iter().zip(&answers) {
        let msg = xml_to_proto(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}: {xml}"));
        let (mesh, stream) = (hex(&encode_mesh(&msg)), hex(&encode_stream(&msg)));
        if a["mesh"] != mesh.as_str() || a["stream"] != stream.as_str() {
            failures.push(format!("{xml}\n  takproto {a}\n  ours mesh {mesh}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        evs.len(),
        failures.join("\n")
    );
}

#[test]
fn takproto_reads_our_protobuf_including_markings() {
    let evs = events(100, true);
    let msgs: Vec<_> = evs
        .iter()
        .map(|x| xml_to_proto(x.as_bytes()).expect("valid event"))
        .collect();
    let mut requests = Vec::new();
    for m in &msgs {
        requests.push(json!({ "parse": hex(&encode_mesh(m)) }));
        requests.push(json!({ "parse": hex(&encode_stream(m)) }));
    }
    let answers = takproto(&requests);
    for (i, m) in msgs.iter().enumerate() {
        let body = hex(&m.encode_to_vec());
        let ev = m.cot_event.as_ref().expect("event");
        for a in &answers[2 * i..2 * i + 2] {
            assert_eq!(
                a["body"],
                body.as_str(),
                "takproto re-serialised differently: {a}"
            );
            let e = &a["event"];
            assert_eq!(e["uid"], ev.uid.as_str());
            assert_eq!(e["type"], ev.r#type.as_str());
            assert_eq!(e["sendTime"], ev.send_time);
            assert_eq!(e["staleTime"], ev.stale_time);
            assert_eq!(e["lat"], ev.lat);
            assert_eq!(e["lon"], ev.lon);
            let d = ev.detail.clone().unwrap_or_default();
            assert_eq!(e["xmlDetail"], d.xml_detail.as_str());
            assert_eq!(
                e["callsign"],
                d.contact.map(|c| c.callsign).unwrap_or_default().as_str()
            );
            assert_eq!(e["battery"], d.status.map_or(0, |s| s.battery));
        }
        // The markings travel as fields 16 and 17, which takproto kept.
        assert_eq!(ev.caveat, "FOUO");
        assert_eq!(ev.releaseable_to, "USA JPN AUS");
    }
}

#[test]
fn we_read_takproto_protobuf_and_reproduce_it() {
    let evs = events(200, false);
    let requests: Vec<Value> = evs.iter().map(|x| json!({ "xml": x })).collect();
    for a in takproto(&requests) {
        let mesh = unhex(a["mesh"].as_str().expect("mesh"));
        let stream = unhex(a["stream"].as_str().expect("stream"));
        let m = decode_mesh(&mesh).expect("takproto mesh decodes");
        let (s, used) = decode_stream(&stream)
            .expect("stream decodes")
            .expect("whole frame");
        assert_eq!(used, stream.len());
        assert_eq!(s, m);
        assert_eq!(encode_mesh(&m), mesh);
        assert_eq!(encode_stream(&m), stream);
        // Through CoT XML and back: the same bytes again.
        let xml = proto_to_xml(&m).expect("to XML");
        let back = xml_to_proto(xml.as_bytes()).expect("from XML");
        assert_eq!(encode_mesh(&back), mesh, "{xml}");
    }
}

/// biac's own track events as they leave a CoT listener (numbers without noise, known
/// and unknown heights, `<precisionlocation>`, markings): takproto converts their XML
/// to the same protobuf bytes as we do, and reads our frames back to the same values.
#[test]
fn our_track_events_convert_and_parse_as_takproto_does() {
    use biac_formats::cot::track_event;
    use biac_model::{Classification, Domain, Identity, Label, Nation, Position, Track, Velocity};
    let mut xmls = Vec::new();
    for (i, alt) in [None, Some(36_000.0 * 0.3048), Some(0.0)]
        .into_iter()
        .enumerate()
    {
        let at = Position {
            lat_deg: 24.123_456_789_012,
            lon_deg: 123.987_654_321_098,
            alt_m: alt,
        };
        let label = Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]);
        let t = Track::new(7 + i as u64, 1_795_000_000_000, at, label)
            .with_velocity(Velocity::from_sog_cog(0.1 + 0.2 + i as f64, 45.0))
            .with_cov([100.0, 3.0, 100.0])
            .with_domain(if alt.is_some() {
                Domain::Air
            } else {
                Domain::Surface
            })
            .with_identity(Identity {
                icao: (i == 1).then_some(0x86d4a1),
                ..Identity::default()
            })
            .with_source("jpn-adsb", 0)
            .with_updates(3);
        let ev = track_event(
            &t,
            &format!("biac-JPN-SECRET-T{:06}", t.id),
            t.time_ms + 900,
            120_000,
        );
        xmls.push(ev.to_xml());
    }
    assert!(xmls[1].contains(r#"hae="10972.8""#), "{}", xmls[1]);
    assert!(xmls[0].contains(r#"hae="9999999""#) && xmls[0].contains(r#"le="9999999""#));
    let mut requests: Vec<Value> = xmls.iter().map(|x| json!({ "xml": x })).collect();
    let msgs: Vec<_> = xmls
        .iter()
        .map(|x| xml_to_proto(x.as_bytes()).expect("our own event"))
        .collect();
    requests.extend(
        msgs.iter()
            .map(|m| json!({ "parse": hex(&encode_stream(m)) })),
    );
    let answers = takproto(&requests);
    for (i, m) in msgs.iter().enumerate() {
        let a = &answers[i];
        // XML → protobuf: the same bytes, markings aside (takproto knows no 16/17).
        let mut plain = m.clone();
        if let Some(e) = plain.cot_event.as_mut() {
            e.caveat.clear();
            e.releaseable_to.clear();
        }
        assert_eq!(
            a["stream"],
            hex(&encode_stream(&plain)).as_str(),
            "{}",
            xmls[i]
        );
        // Our frame → takproto: every value as we meant it, 16/17 kept as unknowns.
        let p = &answers[msgs.len() + i];
        assert_eq!(p["body"], hex(&m.encode_to_vec()).as_str(), "{p}");
        let ev = m.cot_event.as_ref().unwrap();
        let e = &p["event"];
        assert_eq!(
            (e["hae"].as_f64(), e["le"].as_f64()),
            (Some(ev.hae), Some(ev.le))
        );
        assert_eq!(e["staleTime"], ev.start_time + 120_000);
        assert_eq!(ev.releaseable_to, "USA,JPN");
    }
}
