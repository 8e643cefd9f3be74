#![no_main]
//! The framers alone, on arbitrary bytes in arbitrary pieces: records come out in
//! stream order, within the length limit, and (for lines and the binary framers)
//! exactly as in the input; the binary framers account for every byte.

use biac_formats::framing::{Frame, Framer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte sets the push size, so splits land everywhere.
    let Some((&step, data)) = data.split_first() else {
        return;
    };
    let step = usize::from(step).max(1);
    // (framer, limit, records are verbatim slices, every byte is accounted for)
    let framers: [(fn() -> Framer, usize, bool, bool); 5] = [
        (Framer::lines, 4096, true, false),
        (Framer::cot, 1 << 20, false, false),
        (Framer::beast, 64, true, true),
        (Framer::tak, (1 << 20) + 11, true, true),
        (Framer::stanag4607, 1 << 20, true, true),
    ];
    for (make, max, verbatim, contiguous) in framers {
        let mut f = make();
        let mut next_min = 0u64;
        for piece in data.chunks(step) {
            f.push(piece);
            while let Some(frame) = f.next_frame() {
                match frame {
                    Frame::Record { offset, bytes } => {
                        assert!(offset >= next_min, "records out of order");
                        assert!(!contiguous || offset == next_min, "bytes lost");
                        assert!(bytes.len() <= max, "record over the limit");
                        if verbatim {
                            let start = offset as usize;
                            assert_eq!(data.get(start..start + bytes.len()), Some(&bytes[..]));
                        }
                        next_min = offset + bytes.len() as u64;
                    }
                    Frame::Oversized { offset, len } => {
                        assert!(offset >= next_min);
                        assert!(!contiguous || offset == next_min, "bytes lost");
                        next_min = offset + len as u64;
                    }
                }
            }
        }
        assert!(f.pending() <= max + step);
        if contiguous {
            assert_eq!(next_min + f.pending() as u64, data.len() as u64, "bytes lost");
        }
    }
    // And the same bytes through every decoder.
    for format in [
        biac_model::FeedFormat::Ais,
        biac_model::FeedFormat::Sbs,
        biac_model::FeedFormat::Cot,
        biac_model::FeedFormat::Beast,
        biac_model::FeedFormat::Tak,
        biac_model::FeedFormat::Stanag4607,
    ] {
        common::drive(format, true, data);
    }
});

mod common;
