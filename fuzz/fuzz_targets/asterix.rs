#![no_main]
//! Arbitrary bytes as an ASTERIX feed: framed by `Framer::asterix` in pieces of
//! varying size (frames in stream order, within the block limit, each a slice of the
//! input as it was, or a CAT048, CAT062 or CAT021 record re-wrapped as a one-record
//! block), every frame through the ASTERIX decoder (never a panic, never an invalid
//! observation), and the bytes as one CAT048 record: what decodes re-encodes to a
//! record that decodes alike.

use biac_formats::asterix::cat021::CAT021;
use biac_formats::asterix::cat062::CAT062;
use biac_formats::asterix::{decode_record, encode_record, CAT048, MAX_BLOCK_LEN};
use biac_formats::framing::{Frame, Framer};
use biac_model::{FeedFormat, RadarSite};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&step, data)) = data.split_first() else {
        return;
    };
    let step = usize::from(step % 64).max(1);
    let mut f = Framer::asterix();
    let mut next_min = 0u64;
    for piece in data.chunks(step) {
        f.push(piece);
        while let Some(frame) = f.next_frame() {
            match frame {
                Frame::Record { offset, bytes } => {
                    assert!(offset >= next_min, "frames out of order");
                    assert!(bytes.len() <= MAX_BLOCK_LEN, "frame over the limit");
                    let start = offset as usize;
                    let verbatim = data.get(start..start + bytes.len()) == Some(&bytes[..]);
                    let record = bytes.len() > 3
                        && [CAT048, CAT062, CAT021].contains(&bytes[0])
                        && data.get(start..start + bytes.len() - 3) == Some(&bytes[3..]);
                    assert!(verbatim || record, "frame is not the input's bytes");
                    next_min = offset + bytes.len() as u64 - if verbatim { 0 } else { 3 };
                }
                Frame::Oversized { offset, len } => {
                    assert!(offset >= next_min);
                    next_min = offset + len as u64;
                }
            }
        }
    }
    assert!(f.pending() <= MAX_BLOCK_LEN + step);

    let radar = RadarSite {
        lat_deg: 24.78,
        lon_deg: 125.3,
        alt_m: 95.0,
        sigma_range_m: 60.0,
        sigma_azimuth_deg: 0.1,
        sac: None,
        sic: None,
    };
    common::drive(FeedFormat::Asterix { radar }, false, data);

    if let Ok((rec, _)) = decode_record(data) {
        let enc = encode_record(&rec).expect("a decoded record fits its encoding");
        assert_eq!(decode_record(&enc), Ok((rec, enc.len())));
    }
});

mod common;
