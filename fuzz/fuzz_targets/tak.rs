#![no_main]
//! Arbitrary bytes as TAK protocol v1: stream frames (whole and split), a mesh
//! datagram, and CoT XML to protobuf and back. Nothing may panic, and whatever
//! decodes must re-encode and decode to the same message.

use biac_formats::tak::{self, StreamDecoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = tak::decode_mesh(data) {
        assert_eq!(tak::decode_mesh(&tak::encode_mesh(&m)).ok(), Some(m.clone()));
        let _ = tak::proto_to_xml(&m);
    }
    let split = data.first().map_or(1, |b| usize::from(*b % 17) + 1);
    let mut d = StreamDecoder::new();
    for chunk in data.chunks(split) {
        d.push(chunk);
        for _ in 0..64 {
            match d.next_message() {
                Ok(Some(m)) => {
                    if let Ok(xml) = tak::proto_to_xml(&m) {
                        let _ = tak::xml_to_proto(xml.as_bytes());
                    }
                }
                Ok(None) => break,
                Err(_) => {}
            }
        }
    }
    if let Ok(m) = tak::xml_to_proto(data) {
        let _ = tak::proto_to_xml(&m);
    }
});
