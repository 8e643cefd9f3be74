#![no_main]
//! Arbitrary bytes as a STANAG 4607 capture: split into packets (in order, within the
//! input, each error at an offset inside it), every packet decoded (never a panic; every
//! error and segment at an offset inside its packet), and every packet that decodes
//! whole re-encodes to the same bytes.

use biac_formats::stanag4607::{decode_packet, encode_packet, Packets};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut next_min = 0u64;
    for p in Packets::new(data, 0) {
        let (offset, bytes) = match p {
            Ok(p) => p,
            Err(e) => {
                assert!(e.offset >= next_min && e.offset < data.len() as u64);
                next_min = e.offset + 1;
                continue;
            }
        };
        assert!(offset >= next_min, "packets out of order");
        let end = offset + bytes.len() as u64;
        assert!(end <= data.len() as u64);
        next_min = end;
        let Ok(packet) = decode_packet(bytes, offset) else {
            continue;
        };
        let mut whole = Vec::new();
        for s in &packet.segments {
            match s {
                Ok(s) => {
                    assert!(s.offset >= offset && s.offset + u64::from(s.size) <= end);
                    whole.push(s.segment.clone());
                }
                Err(e) => assert!(e.offset >= offset && e.offset < end),
            }
        }
        if whole.len() == packet.segments.len() {
            assert_eq!(encode_packet(&packet.header, &whole), bytes);
        }
    }
});
