//! Conformance with gpsd: decode gpsd's AIVDM regression sample and compare our
//! unscaled JSON with `gpsdecode -u -j`'s, field by field, for all 97 messages of
//! the sample (every type 1–27, with the type 6/8 application payloads gpsd takes
//! apart, and type 24 parts A and B merged). Data and notice: tests/data/gpsd/.

use std::collections::BTreeMap;

use biac_formats::ais::{AisDecoder, GpsdJsonWriter, Sentence};
use serde_json::{Map, Value};

const SAMPLE: &str = include_str!("data/gpsd/sample.aivdm");
const CHECK: &str = include_str!("data/gpsd/sample.aivdm.ju.chk");
/// Messages in gpsd's reference output.
const REFERENCE_MESSAGES: usize = 97;

fn object(line: &str) -> Map<String, Value> {
    match serde_json::from_str(line) {
        Ok(Value::Object(mut m)) => {
            // gpsd names its input device; we have none.
            m.remove("device");
            m
        }
        other => panic!("not a JSON object: {line}: {other:?}"),
    }
}

fn msg_type(m: &Map<String, Value>) -> u64 {
    m.get("type").and_then(Value::as_u64).unwrap_or(0)
}

#[test]
fn unscaled_json_matches_gpsd() {
    let mut decoder = AisDecoder::new();
    let mut writer = GpsdJsonWriter::new();
    let mut ours = Vec::new();
    let mut trailers = Vec::new();
    // The lines as they are: one message's two lines spell their CR LF out literally
    // after the checksum, which gpsd ignores, and so must we.
    for (n, line) in SAMPLE.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Ok(s) = Sentence::parse(line.as_bytes()) {
            if let Some(t) = s.trailer {
                trailers.push((n + 1, t));
            }
        }
        // Errors are gpsd's own invalid-packet tests, which gpsd rejects too.
        if let Ok(Some(d)) = decoder.decode_line(line.as_bytes(), 0) {
            if let Some(json) = writer.write(&d.message) {
                ours.push(object(&json));
            }
        }
    }
    let theirs: Vec<_> = CHECK.lines().map(object).collect();
    assert_eq!(theirs.len(), REFERENCE_MESSAGES);
    let spelled = "\\x0d\\x0a".to_string();
    assert_eq!(trailers, [(1080, spelled.clone()), (1081, spelled)]);

    // Per type: (messages, matching).
    let mut tally: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, want) in theirs.iter().enumerate() {
        let t = msg_type(want);
        let entry = tally.entry(t).or_default();
        entry.0 += 1;
        let Some(got) = ours.get(i) else {
            failures.push(format!("#{i} type {t}: missing"));
            continue;
        };
        let mut diffs = Vec::new();
        for (k, v) in want {
            if got.get(k) != Some(v) {
                diffs.push(format!("{k}: gpsd {v}, ours {:?}", got.get(k)));
            }
        }
        for k in got.keys().filter(|k| !want.contains_key(*k)) {
            diffs.push(format!("{k}: not in gpsd's output"));
        }
        if diffs.is_empty() {
            entry.1 += 1;
        } else {
            failures.push(format!("#{i} type {t}: {}", diffs.join("; ")));
        }
    }
    for (t, (n, ok)) in &tally {
        eprintln!("type {t:2}: {ok}/{n} match gpsd");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(ours.len(), theirs.len(), "message count differs");
    // The sample covers every message type.
    for t in 1..=27 {
        assert!(tally.contains_key(&t), "no sample of type {t}");
    }
}
