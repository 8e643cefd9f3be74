#![no_main]
//! The framers alone, on arbitrary bytes in arbitrary pieces: records come out in
//! stream order, within the length limit, and (for lines) exactly as in the input.

use biac_formats::framing::{Frame, Framer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte sets the push size, so splits land everywhere.
    let Some((&step, data)) = data.split_first() else {
        return;
    };
    let step = usize::from(step).max(1);
    for (lines, max) in [(true, 4096usize), (false, 1 << 20)] {
        let mut f = if lines {
            Framer::lines()
        } else {
            Framer::cot()
        };
        let mut next_min = 0u64;
        for piece in data.chunks(step) {
            f.push(piece);
            while let Some(frame) = f.next_frame() {
                match frame {
                    Frame::Record { offset, bytes } => {
                        assert!(offset >= next_min, "records out of order");
                        assert!(bytes.len() <= max, "record over the limit");
                        if lines {
                            let start = offset as usize;
                            assert_eq!(data.get(start..start + bytes.len()), Some(&bytes[..]));
                        }
                        next_min = offset + bytes.len() as u64;
                    }
                    Frame::Oversized { offset, len } => {
                        assert!(offset >= next_min);
                        next_min = offset + len as u64;
                    }
                }
            }
        }
        assert!(f.pending() <= max + step);
    }
    // And the same bytes through every decoder.
    for format in [
        biac_model::FeedFormat::Ais,
        biac_model::FeedFormat::Sbs,
        biac_model::FeedFormat::Cot,
    ] {
        common::drive(format, true, data);
    }
});

mod common;
