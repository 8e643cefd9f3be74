#![no_main]
//! Arbitrary bytes as a Beast binary stream (split at varying sizes), each Mode S
//! frame through the Mode S decoder with CPR resolution. Nothing may panic; an
//! encoded frame decodes to itself.

use biac_formats::beast::{BeastDecoder, FrameKind};
use biac_formats::modes::ModeSDecoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(1, |b| usize::from(*b % 23) + 1);
    let mut framer = BeastDecoder::new();
    let mut modes = ModeSDecoder::with_reference(35.5, 139.8);
    let mut t = 0;
    for chunk in data.chunks(split) {
        framer.push(chunk);
        for _ in 0..256 {
            match framer.next_frame() {
                Ok(Some(f)) => {
                    let mut again = BeastDecoder::new();
                    again.push(&f.encode());
                    assert_eq!(again.next_frame().ok().flatten().as_ref(), Some(&f));
                    if matches!(f.kind, FrameKind::ModeSShort | FrameKind::ModeSLong) {
                        t += 50;
                        let _ = modes.decode(&f.message, t);
                    }
                }
                Ok(None) => break,
                Err(_) => {}
            }
        }
    }
});
