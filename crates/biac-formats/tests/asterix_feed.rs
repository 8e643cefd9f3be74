//! ASTERIX over TCP through the path a live connection takes (`FeedDecoder::framer`,
//! then `FeedDecoder::decode` per frame): each CAT048 record decodes or fails alone, a
//! malformed record loses the rest of its block only, blocks of other categories are
//! skipped and counted, bad length fields are rejected with their offset and framing
//! recovers — however the stream is split into reads. Random and mutated input never
//! panics.

use biac_formats::asterix::{
    decode_record, encode_block, encode_record, Cat048, DataSource, Descriptor, MeasuredPolar,
    MAX_BLOCK_LEN,
};
use biac_formats::framing::Frame;
use biac_formats::{DecodeError, FeedDecoder};
use biac_model::{FeedConfig, FeedFormat, Observation, RadarSite};
use peers_common::{asterix_feed, MIYAKO};
use proptest::prelude::*;

mod peers_common;

const NOW: i64 = 1_767_225_600_000 + 1_000_500;

fn feed() -> FeedConfig {
    asterix_feed("miyako-radar", MIYAKO)
}

/// An SSR plot at `rho` NM (its encoding holds no 0x30 octet for the values used).
fn plot(rho_nm: u16, theta: u16) -> Vec<u8> {
    encode_record(&Cat048 {
        source: Some(DataSource { sac: 25, sic: 10 }),
        time_of_day: Some(1_000 * 128),
        descriptor: Some(Descriptor(vec![2 << 5])),
        polar: Some(MeasuredPolar {
            rho: rho_nm * 256,
            theta,
        }),
        ..Cat048::default()
    })
    .unwrap()
}

fn block(recs: &[Vec<u8>]) -> Vec<u8> {
    encode_block(48, recs).unwrap()
}

struct Run {
    obs: Vec<Observation>,
    errors: Vec<DecodeError>,
    oversized: Vec<(u64, usize)>,
    frames: Vec<(u64, Vec<u8>)>,
    other_blocks: u64,
}

/// Push `stream` in pieces of `chunk` bytes and decode every frame.
fn run(stream: &[u8], chunk: usize) -> Run {
    let mut dec = FeedDecoder::new(feed());
    let mut framer = dec.framer();
    let mut r = Run {
        obs: vec![],
        errors: vec![],
        oversized: vec![],
        frames: vec![],
        other_blocks: 0,
    };
    for part in stream.chunks(chunk.max(1)) {
        framer.push(part);
        while let Some(frame) = framer.next_frame() {
            match frame {
                Frame::Record { offset, bytes } => {
                    match dec.decode(&bytes, offset, NOW) {
                        Ok(o) => r.obs.extend(o),
                        Err(e) => {
                            assert_eq!(e.offset, offset);
                            assert_eq!(e.feed, "miyako-radar");
                            r.errors.push(e);
                        }
                    }
                    r.frames.push((offset, bytes));
                }
                Frame::Oversized { offset, len } => r.oversized.push((offset, len)),
            }
        }
    }
    r.other_blocks = dec.asterix_stats().unwrap().other_blocks;
    r
}

fn ranges_nm(obs: &[Observation]) -> Vec<u32> {
    obs.iter()
        .map(|o| (o.polar.as_ref().unwrap().range_m / 1852.0).round() as u32)
        .collect()
}

/// Block A (2 records), a CAT034 block, block B (a good record, a malformed one, a
/// good one behind it), block C: A's, B's first and C's records decode; the malformed
/// record is one error at its own offset, and takes the record behind it along.
#[test]
fn a_malformed_record_loses_the_rest_of_its_block_only() {
    let a = block(&[plot(10, 0x1000), plot(11, 0x1000)]);
    let cat034 = vec![34, 0, 6, 0xc0, 1, 2];
    // A record whose I048/120 names spare subfield 3: no length can be known for it.
    let bad = vec![0x01, 0x01, 0x04, 0x20, 0x00];
    let b = block(&[plot(20, 0x2000), bad.clone(), plot(21, 0x2000)]);
    let c = block(&[plot(40, 0x4000)]);
    let stream = [a.clone(), cat034.clone(), b.clone(), c.clone()].concat();
    let bad_at = (a.len() + cat034.len() + 3 + plot(20, 0).len()) as u64;
    let whole = run(&stream, stream.len());
    for chunk in [1, 2, 5, 13] {
        let r = run(&stream, chunk);
        assert_eq!(r.frames, whole.frames, "chunk {chunk}");
    }
    assert_eq!(ranges_nm(&whole.obs), vec![10, 11, 20, 40]);
    assert_eq!(whole.other_blocks, 1);
    let [e] = &whole.errors[..] else {
        panic!("{:?}", whole.errors)
    };
    assert_eq!(e.offset, bad_at);
    assert!(
        e.reason
            .to_string()
            .starts_with("CAT048 record: I048/120 at record octet 3: primary subfield sets spare")
            && e.reason
                .to_string()
                .ends_with("the rest of its block is lost"),
        "{e}"
    );
    // Each CAT048 record is its own frame at its own offset; the CAT034 block is one.
    let offsets: Vec<u64> = whole.frames.iter().map(|f| f.0).collect();
    let a0 = 3u64;
    let p = plot(10, 0).len() as u64;
    let b0 = (a.len() + cat034.len()) as u64;
    assert_eq!(
        offsets,
        vec![
            a0,
            a0 + p,
            a.len() as u64,
            b0 + 3,
            bad_at,
            (b0 as usize + b.len() + 3) as u64
        ]
    );
    assert_eq!(whole.frames[4].1[3..], [bad, plot(21, 0x2000)].concat()[..]);
}

/// A length field below 3 or above the limit, or category 0: the octets from it to the
/// next CAT048 block start are one rejected frame, and the next block decodes.
#[test]
fn bad_length_fields_are_rejected_and_framing_recovers() {
    let good = block(&[plot(30, 0x1234)]);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            vec![0x30, 0x00, 0x01, 0xaa, 0xbb],
            "length field 1 is less than its 3-octet header",
        ),
        (vec![0x30, 0x00, 0x00], "length field 0 is less than"),
        (
            vec![0x30, 0xff, 0xff, 1, 2, 3, 4],
            "length field 65535, 7 octets framed",
        ),
        (b"hello".to_vec(), "length field 25964, 5 octets framed"),
        (
            vec![0x22, 0x21, 0x00, 9],
            "length field 8448, 4 octets framed",
        ),
        (vec![0x00, 0x00, 0x10, 9], "category 0 is not assigned"),
    ];
    for (garbage, why) in cases {
        let stream = [good.clone(), garbage.clone(), good.clone(), good.clone()].concat();
        for chunk in [1, 3, stream.len()] {
            let r = run(&stream, chunk);
            assert_eq!(ranges_nm(&r.obs), vec![30, 30, 30], "{garbage:02x?}");
            let [e] = &r.errors[..] else {
                panic!("{garbage:02x?}: {:?}", r.errors)
            };
            assert_eq!(e.offset, good.len() as u64);
            assert!(e.reason.to_string().contains(why), "{garbage:02x?}: {e}");
        }
    }
}

/// Garbage without a CAT048 block start is dropped once it passes the block limit
/// (reported once as oversized), and framing goes on.
#[test]
fn endless_garbage_is_bounded() {
    let good = block(&[plot(30, 0x1234)]);
    let stream = [vec![0x22; MAX_BLOCK_LEN + 100], good.clone()].concat();
    let r = run(&stream, 1000);
    assert_eq!(r.oversized.len(), 1, "{:?}", r.oversized);
    assert_eq!(r.oversized[0].0, 0);
    assert_eq!(ranges_nm(&r.obs), vec![30]);
}

/// A length field that is wrong but within the limit cannot be told from a right one:
/// the block swallows octets of what follows, and framing goes on from there, off the
/// block boundaries until a header's length is out of bounds (then it resynchronises
/// at the next CAT048 block start) or a misread block happens to end on a boundary.
/// The damage is counted (errors, or blocks of other categories skipped) and the
/// stream is back on its blocks within a few hundred octets.
#[test]
fn a_wrong_length_within_the_limit_costs_a_few_blocks() {
    // 300 one-plot blocks, told apart by azimuth.
    let good: Vec<Vec<u8>> = (0..300u16)
        .map(|k| block(&[plot(30, k * 200 + 7)]))
        .collect();
    let mut stream: Vec<u8> = good.concat();
    // Claim 5 octets more than there are in the first block.
    let len = good[0].len() as u16 + 5;
    stream[1..3].copy_from_slice(&len.to_be_bytes());
    let whole = run(&stream, stream.len());
    for chunk in [1, 7] {
        assert_eq!(run(&stream, chunk).frames, whole.frames, "chunk {chunk}");
    }
    let got: Vec<u16> = whole
        .obs
        .iter()
        .map(|o| {
            ((o.polar.as_ref().unwrap().azimuth_rad.to_degrees() * 65_536.0 / 360.0).round() as u16
                - 7)
                / 200
        })
        .collect();
    assert_eq!(got[0], 0, "the first block's record is whole");
    // Back on the blocks: every block from the 60th (~840 octets in) decodes.
    let tail: Vec<u16> = (60..300).collect();
    assert!(got.ends_with(&tail), "{got:?}");
    assert!(!whole.errors.is_empty() || whole.other_blocks > 0);
    let lost = 300 - got.len();
    println!(
        "wrong length: {lost} blocks lost, {} errors, {} misread blocks of other categories",
        whole.errors.len(),
        whole.other_blocks
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]

    /// Random bytes, in random reads: no panic, every observation valid, frames in
    /// stream order, bounded, and nothing buffered beyond the limit.
    #[test]
    fn random_bytes_never_panic(
        data in prop::collection::vec(any::<u8>(), 0..800),
        chunk in 1usize..64,
        bias in any::<bool>(),
    ) {
        // Half the cases start with a CAT048 header, so records get walked.
        let mut data = data;
        if bias && data.len() > 3 {
            data[0] = 48;
            data[1] = 0;
            data[2] = data[2].max(3);
        }
        let r = run(&data, chunk);
        for o in &r.obs {
            prop_assert!(o.position.is_valid() && o.pos_sigma_m > 0.0);
            // A mutated category byte can make the block CAT062 or CAT021, whose
            // observations carry no radar measurement: only a present one must be valid.
            if let Some(p) = &o.polar {
                prop_assert!(p.is_valid());
            }
        }
        let mut last = 0;
        for (off, bytes) in &r.frames {
            prop_assert!(*off >= last);
            prop_assert!(bytes.len() <= MAX_BLOCK_LEN + 3);
            last = *off;
        }
    }

    /// Any octets that decode as a record re-encode to a record that decodes to the
    /// same value.
    #[test]
    fn decoded_records_re_encode(data in prop::collection::vec(any::<u8>(), 1..200)) {
        if let Ok((rec, _)) = decode_record(&data) {
            let enc = encode_record(&rec).unwrap();
            prop_assert_eq!(decode_record(&enc), Ok((rec, enc.len())));
        }
    }

    /// A valid stream with octets changed, inserted or removed: no panic, and the
    /// observations that come out are valid.
    #[test]
    fn mutated_streams_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
        chunk in 1usize..40,
    ) {
        let mut stream = [
            block(&[plot(10, 0x1000), plot(11, 0x2000)]),
            vec![34, 0, 6, 0xc0, 1, 2],
            block(&[plot(20, 0x3000)]),
        ]
        .concat();
        for (at, byte, op) in edits {
            let i = at.index(stream.len());
            match op {
                0 => stream[i] = byte,
                1 => stream.insert(i, byte),
                _ => {
                    stream.remove(i);
                }
            }
            if stream.is_empty() {
                break;
            }
        }
        let r = run(&stream, chunk);
        for o in &r.obs {
            prop_assert!(o.position.is_valid());
            // A mutated category byte can make the block CAT062 or CAT021, whose
            // observations carry no radar measurement: only a present one must be valid.
            if let Some(p) = &o.polar {
                prop_assert!(p.is_valid());
            }
        }
    }
}

/// Decoded through the feed, the CAT048 record of libasterix's README example (the
/// peer's own test vector) is a plot at 10 NM, 45°.
#[test]
fn readme_vector_through_the_feed() {
    let stream = hex_bytes("30000c9801020a0020000fff");
    let mut cfg = feed();
    cfg.format = FeedFormat::Asterix {
        radar: RadarSite {
            sac: Some(1),
            sic: Some(2),
            ..match feed().format {
                FeedFormat::Asterix { radar } => radar,
                _ => unreachable!(),
            }
        },
    };
    let mut dec = FeedDecoder::new(cfg);
    let obs = dec.decode(&stream, 0, NOW).unwrap();
    let [o] = &obs[..] else { panic!("{obs:?}") };
    let m = o.polar.as_ref().unwrap();
    assert_eq!(
        (m.range_m, m.azimuth_rad),
        (10.0 * 1852.0, 45f64.to_radians())
    );
    // No I048/140: the receive time. No I048/020: of unknown type.
    assert_eq!(o.time_ms, NOW);
    assert_eq!(o.sensor, "1/2");
    assert_eq!(o.position.alt_m, None);
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}
