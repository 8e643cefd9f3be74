//! CAT021 ADS-B reports by hand: a report becomes a self-report with its address,
//! callsign, high-resolution position, geometric height, ground vector and a sigma
//! from its NACp; field monitors, simulated and test reports are skipped; malformed
//! items are refused by the encoder and the walker.

use biac_formats::asterix::cat021::{
    decode_record, encode_record, nac_p_epu_m, observe, walk_record, Cat021,
};
use biac_formats::asterix::AircraftId;
use biac_model::{Domain, ObservationKind};
use peers_common::{asterix_feed, MIYAKO};
use proptest::prelude::*;

mod peers_common;

const NOW: i64 = 1_767_225_600_000 + 43_200_000;

fn report() -> Cat021 {
    let mut r = Cat021::default();
    r.set("I021/010", Some(vec![25, 30]));
    r.set("I021/040", Some(vec![0x01, 0x00])); // ATP 0, first extension all clear
    r.set("I021/073", Some(vec![0x54, 0x60, 0x00])); // 12:00:00
    let lsb = 180.0 / f64::from(1u32 << 30);
    let lat = ((26.2 / lsb).round() as i32).to_be_bytes();
    let lon = ((127.7 / lsb).round() as i32).to_be_bytes();
    r.set("I021/131", Some([lat, lon].concat()));
    r.set("I021/080", Some(vec![0x86, 0x12, 0x34]));
    r.set("I021/140", Some(5_600i16.to_be_bytes().to_vec())); // 35,000 ft
    r.set("I021/090", Some(vec![0x01, 0x13, 0x00])); // NACp 9 (< 30 m)
                                                     // 0.0625 NM/s (225 kt), track 90°.
    r.set("I021/160", Some(vec![0x04, 0x00, 0x40, 0x00]));
    r.set(
        "I021/170",
        Some(AircraftId::from_text("JAL917").unwrap().0.to_vec()),
    );
    r
}

#[test]
fn a_report_becomes_a_self_report() {
    let r = report();
    let bytes = encode_record(&r).unwrap();
    let (back, n) = decode_record(&bytes).unwrap();
    assert_eq!((back.clone(), n), (r, bytes.len()));
    let o = observe(&asterix_feed("adsb", MIYAKO), &back, NOW)
        .unwrap()
        .unwrap();
    assert_eq!(
        (o.kind, o.domain),
        (ObservationKind::SelfReport, Domain::Air)
    );
    assert_eq!(o.time_ms, NOW);
    assert_eq!(o.identity.icao, Some(0x861234));
    assert_eq!(o.identity.callsign.as_deref(), Some("JAL917"));
    assert!((o.position.lat_deg - 26.2).abs() < 1e-6 && (o.position.lon_deg - 127.7).abs() < 1e-6);
    assert!((o.position.alt_m.unwrap() - 35_000.0 * 0.3048).abs() < 1e-6);
    assert!((o.pos_sigma_m - 30.0 / 2.45).abs() < 1e-9);
    let v = o.velocity.unwrap();
    assert!((v.east_mps - 0.0625 * 1852.0).abs() < 1e-9 && v.north_mps.abs() < 1e-9);
    assert_eq!(o.sensor, "25/30");
    assert_eq!(nac_p_epu_m(0), None);
    // Not an aircraft's own report: field monitor (RAB), simulated, test.
    for (d, what) in [
        (vec![0x02], "RAB"),
        (vec![0x01, 0x20], "SIM"),
        (vec![0x01, 0x10], "TST"),
    ] {
        let mut r = report();
        r.set("I021/040", Some(d));
        assert_eq!(
            observe(&asterix_feed("adsb", MIYAKO), &r, NOW),
            Ok(None),
            "{what}"
        );
    }
}

#[test]
fn malformed_items_are_refused() {
    let mut r = report();
    r.set("I021/080", Some(vec![1, 2]));
    assert!(encode_record(&r)
        .unwrap_err()
        .to_string()
        .contains("I021/080"));
    // FRN 43 (seventh FSPEC octet, bit 8) is spare.
    let e = walk_record(&[1, 1, 1, 1, 1, 1, 0x80]).unwrap_err();
    assert!(e.reason.to_string().contains("spare FRN 43"), "{e:?}");
    assert!(encode_record(&Cat021::default()).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Random bytes and the hand-built report mutated: never a panic; what decodes
    /// re-encodes to a record that decodes alike (the same octets when its FSPEC and
    /// primaries were minimal), and its self-report, if any, is valid.
    #[test]
    fn random_and_mutated_reports_never_panic(
        data in proptest::collection::vec(any::<u8>(), 0..120),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..5),
    ) {
        let mut good = encode_record(&report()).unwrap();
        for (i, b) in edits {
            let n = good.len();
            good[i % n] = b;
        }
        for bytes in [data, good] {
            if let Ok((r, n)) = decode_record(&bytes) {
                let enc = encode_record(&r).unwrap();
                prop_assert_eq!(decode_record(&enc), Ok((r.clone(), enc.len())));
                // The same octets unless an FSPEC or primary subfield was longer than
                // needed (the encoder writes them minimal).
                if enc.len() == n {
                    prop_assert_eq!(&enc[..], &bytes[..n]);
                }
                if let Ok(Some(o)) = observe(&asterix_feed("adsb", MIYAKO), &r, NOW) {
                    prop_assert!(o.position.is_valid() && o.pos_sigma_m > 0.0);
                }
            }
        }
    }
}
