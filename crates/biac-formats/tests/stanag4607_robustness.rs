//! STANAG 4607 decoding never panics and reports where it failed: arbitrary bytes, and
//! valid captures with bytes overwritten or cut short. Good packets around a bad one
//! still decode; every error and segment lies inside the input. Encoding what decoded
//! gives back the same bytes. (The fuzz target `stanag4607` does the same with coverage
//! guidance.)

use biac_formats::stanag4607::{
    decode_packet, deg_ba32, deg_sa32, encode_packet, Dwell, FreeText, Mission, PacketHeader,
    Packets, Segment, TargetReport,
};
use proptest::prelude::*;

struct Walk {
    segments: usize,
    errors: Vec<u64>,
}

/// Splits and decodes `data` checking the invariants; what it found.
fn walk(data: &[u8]) -> Walk {
    let mut w = Walk {
        segments: 0,
        errors: Vec::new(),
    };
    let len = data.len() as u64;
    let mut next_min = 0;
    for p in Packets::new(data, 0) {
        let (offset, bytes) = match p {
            Ok(p) => p,
            Err(e) => {
                assert!(e.offset >= next_min && e.offset < len, "{e}");
                next_min = e.offset + 1;
                w.errors.push(e.offset);
                continue;
            }
        };
        assert!(offset >= next_min);
        let end = offset + bytes.len() as u64;
        next_min = end;
        let packet = match decode_packet(bytes, offset) {
            Ok(p) => p,
            Err(e) => {
                assert_eq!(e.offset, offset);
                w.errors.push(e.offset);
                continue;
            }
        };
        let mut whole = Vec::new();
        for s in &packet.segments {
            match s {
                Ok(s) => {
                    assert!(s.offset >= offset + 32 && s.offset + u64::from(s.size) <= end);
                    whole.push(s.segment.clone());
                    w.segments += 1;
                }
                Err(e) => {
                    assert!(e.offset >= offset + 32 && e.offset < end, "{e}");
                    w.errors.push(e.offset);
                }
            }
        }
        if whole.len() == packet.segments.len() {
            assert_eq!(encode_packet(&packet.header, &whole), bytes);
        }
    }
    w
}

fn packet(k: u32) -> Vec<u8> {
    let header = PacketHeader {
        version: *b"41",
        mission_id: k,
        ..PacketHeader::default()
    };
    let mut d = Dwell {
        dwell_index: k as u16,
        sensor_lat: deg_sa32(31.0),
        sensor_lon: deg_ba32(130.0),
        center_lat: deg_sa32(30.8),
        center_lon: deg_ba32(130.2),
        lat_scale: Some(100),
        lon_scale: Some(100),
        targets: (0..3)
            .map(|i| TargetReport {
                report_index: Some(i),
                delta_lat: Some(i as i16 * 10),
                delta_lon: Some(-(i as i16)),
                radial_velocity_cm_s: Some(250),
                wrap_velocity_cm_s: Some(5000),
                snr_db: Some(12),
                ..TargetReport::default()
            })
            .collect(),
        ..Dwell::default()
    };
    d.fit_mask();
    let free = FreeText {
        originator: *b"ORIGINATOR",
        recipient: *b"RECIPIENT ",
        text: b"contact".to_vec(),
    };
    encode_packet(
        &header,
        &[
            Segment::Mission(Mission::default()),
            Segment::Dwell(d),
            Segment::FreeText(free),
        ],
    )
}

fn capture(n: u32) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::new();
    let mut starts = Vec::new();
    for k in 0..n {
        starts.push(out.len());
        out.extend(packet(k));
    }
    (out, starts)
}

#[test]
fn a_clean_capture_decodes_whole() {
    let (bytes, _) = capture(5);
    let w = walk(&bytes);
    assert_eq!((w.segments, w.errors.len()), (15, 0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        walk(&data);
    }

    /// Bytes overwritten inside one packet: the packets before and after it decode whole.
    #[test]
    fn damage_stays_in_its_packet(victim in 1usize..4, at in 0usize..200, junk in proptest::collection::vec(any::<u8>(), 1..8)) {
        let (mut bytes, starts) = capture(5);
        let plen = starts[1];
        // Leave the victim's packet size alone (bytes 2..6): a corrupted size is a
        // different story (resynchronisation), covered by the arbitrary-bytes case.
        let at = (at % (plen - 6)) + 6;
        for (i, b) in junk.iter().enumerate() {
            if let Some(x) = bytes.get_mut(starts[victim] + (at + i).min(plen - 1)) {
                *x = *b;
            }
        }
        let w = walk(&bytes);
        // At least the 4 undamaged packets' 12 segments.
        prop_assert!(w.segments >= 12, "{} segments", w.segments);
        for e in &w.errors {
            let e = *e as usize;
            prop_assert!(e >= starts[victim] && e < starts[victim] + plen, "error at {} outside the damaged packet", e);
        }
    }

    /// A capture cut anywhere: every packet before the cut decodes, the cut one is one
    /// error at its first byte.
    #[test]
    fn a_cut_capture_reports_the_cut_packet(cut in 1usize..1000) {
        let (bytes, starts) = capture(5);
        let cut = cut % bytes.len();
        let w = walk(&bytes[..cut]);
        let whole = starts.iter().filter(|&&s| s + starts[1] <= cut).count();
        prop_assert_eq!(w.segments, whole * 3);
        if cut % starts[1] == 0 {
            prop_assert!(w.errors.is_empty());
        } else {
            prop_assert_eq!(w.errors, vec![(whole * starts[1]) as u64]);
        }
    }
}
