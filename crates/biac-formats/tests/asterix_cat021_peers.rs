//! ASTERIX CAT021 (ADS-B target reports) against libasterix (edition 2.6):
//!
//! 1. libasterix → us: 400 random records (every item present at random, every 8th
//!    record with all 44) in blocks among CAT023 ones: every item's octets our walker
//!    finds equal libasterix's, every value we read equals its value in physical
//!    units, our encoder writes the same octets back; the same stream through
//!    `Framer::asterix` and `FeedDecoder` gives one self-report per record with a
//!    position that is an aircraft's own report, at libasterix's position.
//! 2. us → libasterix: new records our encoder writes from those items recombined
//!    (items of different records mixed, so FSPECs libasterix did not write), read
//!    back item for item.
//!
//! The peer is installed by `scripts/install-peers.sh`; a missing peer fails the test.

mod peers_common;

use biac_formats::asterix::cat021::{
    decode_block, encode_record, item_name, walk_record, Cat021, CAT021_ITEMS,
};
use biac_formats::asterix::encode_block;
use biac_formats::framing::Frame;
use biac_formats::FeedDecoder;
use biac_model::{ObservationKind, RadarSite};
use peers_common::{asterix_feed, close_to_libasterix, hex, unhex, Rng, MIYAKO};
use serde_json::Value;

fn libasterix(args: &[&str], input: &[u8]) -> Vec<Value> {
    peers_common::libasterix(None, "libasterix_cat021.py", args, input)
}

fn close(a: Option<f64>, b: &Value, what: &str) {
    let a = a.unwrap_or_else(|| panic!("{what}: ours missing"));
    close_to_libasterix(a, b, what);
}

fn key(frn: usize) -> &'static str {
    let n = item_name(frn);
    n.strip_prefix("I021/").unwrap_or(n)
}

/// Octets per item and every value we read; the number compared.
fn compare(record: &[u8], ours: &Cat021, t: &Value, ctx: &str) -> usize {
    let walked = walk_record(record).unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
    let (items, len) = (walked.items, walked.len);
    assert_eq!(len, record.len(), "{ctx}");
    let raw = t["raw"].as_object().unwrap();
    let mut n = 0;
    for frn in 1..=CAT021_ITEMS {
        let k = key(frn);
        match (items[frn - 1], raw.get(k)) {
            (Some(b), Some(h)) => assert_eq!(hex(b), h.as_str().unwrap(), "{ctx}: {k}"),
            (None, None) => continue,
            (a, b) => panic!("{ctx}: {k}: ours {a:02x?}, libasterix {b:?}"),
        }
        n += 1;
    }
    let v = |k: &str| t.get(k).filter(|v| !v.is_null());
    if let Some(s) = v("010") {
        let d = ours.source().unwrap();
        assert_eq!(
            (u64::from(d.sac), u64::from(d.sic)),
            (s["SAC"].as_u64().unwrap(), s["SIC"].as_u64().unwrap()),
            "{ctx}"
        );
    }
    if let Some(d) = v("040") {
        for (name, mine) in [
            ("RAB", ours.rab()),
            ("SIM", ours.sim()),
            ("TST", ours.tst()),
        ] {
            assert_eq!(
                u64::from(mine),
                d.get(name).and_then(Value::as_u64).unwrap_or(0),
                "{ctx}: 040 {name}"
            );
        }
    }
    let mut eq = |a: Option<u64>, b: Option<&Value>, what: &str| {
        if let Some(b) = b {
            assert_eq!(a, b.as_u64(), "{ctx}: {what}");
            n += 1;
        }
    };
    eq(ours.track_number().map(u64::from), v("161"), "161");
    eq(ours.target_address().map(u64::from), v("080"), "080");
    eq(
        ours.nac_p().map(u64::from),
        v("090").and_then(|x| x.get("NACP")),
        "090 NACP",
    );
    if let Some(id) = v("170") {
        let mine = ours.target_id().unwrap();
        let raw = mine.0.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
        assert_eq!(Some(raw), id["raw"].as_u64(), "{ctx}: 170");
        assert_eq!(
            mine.text().as_deref(),
            id.get("text").and_then(Value::as_str),
            "{ctx}: 170 text"
        );
    }
    let sub = |k: &str, s: &str| v(k).map(|x| x[s].clone());
    let mut fl = |a: Option<f64>, b: Option<Value>, what: &str| {
        if let Some(b) = b {
            close(a, &b, &format!("{ctx}: {what}"));
            n += 1;
        }
    };
    fl(
        ours.time_128("I021/071").map(|t| f64::from(t) / 128.0),
        v("071").cloned(),
        "071",
    );
    fl(
        ours.time_128("I021/073").map(|t| f64::from(t) / 128.0),
        v("073").cloned(),
        "073",
    );
    fl(
        ours.position_deg().map(|p| p.0),
        sub("130", "LAT"),
        "130 LAT",
    );
    fl(
        ours.position_deg().map(|p| p.1),
        sub("130", "LON"),
        "130 LON",
    );
    fl(
        ours.position_hr_deg().map(|p| p.0),
        sub("131", "LAT"),
        "131 LAT",
    );
    fl(
        ours.position_hr_deg().map(|p| p.1),
        sub("131", "LON"),
        "131 LON",
    );
    fl(ours.geometric_height_ft(), v("140").cloned(), "140");
    fl(ours.flight_level(), v("145").cloned(), "145");
    fl(
        ours.ground_vector().map(|g| g.1),
        sub("160", "GS"),
        "160 GS",
    );
    fl(
        ours.ground_vector().map(|g| g.2),
        sub("160", "TA"),
        "160 TA",
    );
    n
}

fn records(block: &[u8]) -> Vec<(Vec<u8>, Cat021)> {
    let recs = decode_block(block).unwrap().expect("a CAT021 block");
    let mut pos = 3;
    recs.into_iter()
        .map(|r| {
            let len = walk_record(&block[pos..]).unwrap().len;
            pos += len;
            (block[pos - len..pos].to_vec(), r)
        })
        .collect()
}

#[test]
fn libasterix_adsb_reports_decode_alike_both_ways() {
    let blocks = libasterix(&["gen", "2121", "400"], b"");
    let (mut n_records, mut n_values, mut other, mut full) = (0, 0, 0, 0);
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    let mut pool: Vec<Cat021> = Vec::new();
    for (i, b) in blocks.iter().enumerate() {
        let bytes = unhex(b["block"].as_str().unwrap());
        stream.extend_from_slice(&bytes);
        if b["cat"] != 21 {
            assert_eq!(decode_block(&bytes), Ok(None));
            other += 1;
            continue;
        }
        let theirs = b["records"].as_array().unwrap();
        let ours = records(&bytes);
        assert_eq!(ours.len(), theirs.len(), "block {i}");
        for (k, ((raw, rec), t)) in ours.iter().zip(theirs).enumerate() {
            let ctx = format!("block {i} record {k}: {}", hex(raw));
            n_values += compare(raw, rec, t, &ctx);
            assert_eq!(encode_record(rec).unwrap(), *raw, "{ctx}: re-encoded");
            if t["raw"].as_object().unwrap().len() == 44 {
                full += 1;
            }
            let bit = |s: &str| t.get("040").and_then(|d| d.get(s)).and_then(Value::as_u64);
            let own = bit("RAB") != Some(1) && bit("SIM") != Some(1) && bit("TST") != Some(1);
            let pos = t.get("131").or_else(|| t.get("130"));
            if let (true, Some(p)) = (own, pos) {
                expected.push((p["LAT"].as_f64().unwrap(), p["LON"].as_f64().unwrap()));
            }
            pool.push(rec.clone());
        }
        n_records += ours.len();
    }
    assert_eq!(n_records, 400);
    assert!(
        full >= 40 && other > 10 && n_values > 10_000,
        "{full} {other} {n_values}"
    );

    let feed = asterix_feed(
        "adsb",
        RadarSite {
            sac: None,
            sic: None,
            ..MIYAKO
        },
    );
    let mut dec = FeedDecoder::new(feed);
    let mut framer = dec.framer();
    let (mut obs, mut errors) = (Vec::new(), Vec::new());
    for part in stream.chunks(47) {
        framer.push(part);
        while let Some(Frame::Record { offset, bytes }) = framer.next_frame() {
            match dec.decode(&bytes, offset, 1_767_225_600_000) {
                Ok(o) => obs.extend(o),
                Err(e) => errors.push(e),
            }
        }
    }
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(dec.asterix_stats().unwrap().adsb_reports, 400);
    assert_eq!(obs.len(), expected.len());
    for (o, (lat, lon)) in obs.iter().zip(&expected) {
        assert_eq!(o.kind, ObservationKind::SelfReport);
        assert_eq!((o.position.lat_deg, o.position.lon_deg), (*lat, *lon));
    }

    // Our encoder: items of different records recombined.
    let mut rng = Rng::new(21);
    let mut input = String::new();
    let mut sent = Vec::new();
    for _ in 0..60 {
        let recs: Vec<Cat021> = (0..1 + rng.below(4))
            .map(|_| {
                let mut r = Cat021::default();
                for frn in 0..CAT021_ITEMS {
                    if rng.below(2) == 0 {
                        r.items[frn] =
                            pool[rng.below(pool.len() as u64) as usize].items[frn].clone();
                    }
                }
                if r.items.iter().all(Option::is_none) {
                    r.items[0] = Some(vec![1, 2]);
                }
                r
            })
            .collect();
        let enc: Vec<Vec<u8>> = recs.iter().map(|r| encode_record(r).unwrap()).collect();
        let block = encode_block(21, &enc).unwrap();
        input.push_str(&format!("{{\"block\": \"{}\"}}\n", hex(&block)));
        sent.push((enc, recs));
    }
    let answers = libasterix(&["parse"], input.as_bytes());
    let mut n_ours = 0;
    for (i, ((enc, recs), a)) in sent.iter().zip(&answers).enumerate() {
        assert!(a.get("error").is_none(), "block {i}: {a}");
        let theirs = a["records"].as_array().unwrap();
        assert_eq!(theirs.len(), recs.len());
        for (k, ((raw, rec), t)) in enc.iter().zip(recs).zip(theirs).enumerate() {
            n_ours += compare(raw, rec, t, &format!("ours: block {i} record {k}"));
        }
    }
    println!(
        "CAT021: libasterix → biac {n_records} records ({full} with every item), {n_values} \
         values, {} self-reports; biac → libasterix {n_ours} values",
        obs.len()
    );
}
