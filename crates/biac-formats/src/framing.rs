//! Splitting a byte stream into records: lines for NMEA and SBS, `<event>…</event>` for CoT,
//! `0x1a`-framed Beast frames, `0xbf <varint length>` TAK protocol stream frames, and ASTERIX
//! data blocks (CAT048, CAT062 and CAT021 blocks split into their records), and STANAG 4607
//! packets.
//! Bounded: a record longer than the limit is reported and skipped, never buffered forever.
//! Binary framers never drop bytes silently: bytes outside any frame become a record of
//! their own, which the decoder rejects with its offset.

use std::collections::VecDeque;

/// Incremental framer. Push bytes as they arrive; pull complete records.
pub struct Framer {
    kind: Kind,
    /// Frames already cut from the buffer (the records of one ASTERIX block).
    queue: VecDeque<Frame>,
    max_len: usize,
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already framed; dropped in bulk (amortised), so
    /// a large push framed record by record costs O(bytes), not O(bytes x records).
    head: usize,
    /// Stream offset of `buf[head]`.
    base: u64,
    /// Set while skipping the rest of an oversized record.
    discarding: bool,
    /// What earlier calls learned about `buf`, so bytes trickling in one at a time
    /// cost O(new bytes) each rather than a rescan of the whole buffer (which a
    /// hostile feed could exploit: quadratic in the 1 MiB CoT limit).
    scan: Scan,
}

/// Incremental search state, valid while `buf` only grows; reset when it is consumed.
#[derive(Default)]
struct Scan {
    /// Leading bytes of `buf` already searched.
    scanned: usize,
    /// CoT: end of the first `</event>`, the first `<event`, and the first `>` after it.
    close: Option<usize>,
    open: Option<usize>,
    gt: Option<usize>,
    /// CoT: bytes searched for that `>`.
    gt_scanned: usize,
}

#[derive(Clone, Copy)]
enum Kind {
    Lines,
    Cot,
    Beast,
    Tak,
    Asterix,
    Stanag4607,
}

/// One framed item.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete record and the stream offset of its first byte.
    Record { offset: u64, bytes: Vec<u8> },
    /// A record exceeded the length limit and was dropped.
    Oversized { offset: u64, len: usize },
}

impl Framer {
    /// NMEA and SBS: one record per line (`\n`, with `\r` stripped); at most 4 KiB a line.
    pub fn lines() -> Self {
        Self::new(Kind::Lines, 4096)
    }
    /// CoT XML: one record per `<event …>…</event>` (or self-closed `<event …/>`); at most 1 MiB.
    pub fn cot() -> Self {
        Self::new(Kind::Cot, 1 << 20)
    }
    /// Beast binary: one record per frame, escaped as on the wire (`0x1a`, type, body).
    pub fn beast() -> Self {
        Self::new(Kind::Beast, 64)
    }
    /// TAK protocol v1 stream framing: one record per `0xbf <varint length> <protobuf>`
    /// frame, header included; at most 1 MiB.
    pub fn tak() -> Self {
        Self::new(Kind::Tak, 1 << 20)
    }
    /// ASTERIX over a byte stream: data blocks (CAT, LEN, records), each found by
    /// its length field, LEN at most [`crate::asterix::MAX_BLOCK_LEN`].
    ///
    /// A CAT048, CAT062 or CAT021 block is split into its records, each handed over
    /// on its own as a one-record block (its category, LEN, the record) whose offset
    /// is the record's first octet in the stream, so each is decoded or rejected alone. A record whose
    /// structure does not parse ends its block: the rest of the block is one frame
    /// (rejected by the decoder with the reason); the next block is framed as usual.
    /// Blocks of other categories are one frame each, as on the wire.
    ///
    /// Recovery from a header out of bounds — LEN below 3 or above the limit, or
    /// category 0, which is not assigned (a byte slip, garbage): the octets from there
    /// up to the next `0x30` octet (a CAT048 block start) are one frame, which the
    /// decoder rejects with its offset; framing goes on at that octet. Waiting for such
    /// an octet is bounded by the limit too. A wrong LEN within the limit cannot be
    /// told from a real one: the block swallows what follows it (at most the limit),
    /// and framing goes on from there, off the block boundaries, until a header is out
    /// of bounds and the stream resynchronises as above (tested: a few hundred octets
    /// for one wrong length in a stream of small blocks whose records hold few `0x30`
    /// octets; a `0x30` inside a record followed by a plausible length is taken for a
    /// header, so real streams may lose up to the limit per such false start — checking
    /// that a candidate block's records walk exactly to its LEN would avoid it, not done).
    pub fn asterix() -> Self {
        Self::new(Kind::Asterix, crate::asterix::MAX_BLOCK_LEN)
    }
    /// STANAG 4607 over a byte stream: one record per packet, found by its size (P2),
    /// at most [`crate::stanag4607::feed::MAX_PACKET_LEN`] bytes. Bytes where no
    /// plausible packet header starts (two version digits, a size from the header's 32
    /// bytes to the limit) up to the next place one does are a record of their own,
    /// which the decoder rejects with its offset. A wrong size within the limit cannot
    /// be told from a real one: the packet swallows what follows it, the decoder
    /// rejects it, and framing goes on after it.
    pub fn stanag4607() -> Self {
        Self::new(Kind::Stanag4607, crate::stanag4607::feed::MAX_PACKET_LEN)
    }
    fn new(kind: Kind, max_len: usize) -> Self {
        Framer {
            kind,
            queue: VecDeque::new(),
            max_len,
            buf: Vec::new(),
            head: 0,
            base: 0,
            discarding: false,
            scan: Scan::default(),
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.compact();
        self.buf.extend_from_slice(bytes);
    }

    /// Drop the framed bytes once they are at least half the buffer.
    fn compact(&mut self) {
        if self.head > 0 && self.head * 2 >= self.buf.len() {
            self.buf.drain(..self.head);
            self.head = 0;
        }
    }

    /// The next complete frame, if any.
    pub fn next_frame(&mut self) -> Option<Frame> {
        if let Some(f) = self.queue.pop_front() {
            return Some(f);
        }
        loop {
            let end = match self.kind {
                Kind::Lines => {
                    let buf = &self.buf[self.head..];
                    let from = self.scan.scanned.min(buf.len());
                    self.scan.scanned = buf.len();
                    buf[from..]
                        .iter()
                        .position(|b| *b == b'\n')
                        .map(|i| (from + i, from + i + 1))
                }
                Kind::Cot => find_cot_end(&self.buf[self.head..], &mut self.scan),
                Kind::Beast => find_beast_end(&self.buf[self.head..]),
                Kind::Tak => find_tak_end(&self.buf[self.head..], self.max_len),
                Kind::Asterix => find_asterix_end(&self.buf[self.head..], self.max_len),
                Kind::Stanag4607 => {
                    find_4607_end(&self.buf[self.head..], self.max_len, &mut self.scan)
                }
            };
            match end {
                Some((rec_end, consumed)) => {
                    let offset = self.base;
                    self.scan = Scan::default();
                    let mut rec: Vec<u8> = self.buf[self.head..self.head + rec_end].to_vec();
                    self.head += consumed;
                    self.compact();
                    self.base += consumed as u64;
                    if self.discarding {
                        self.discarding = false;
                        continue;
                    }
                    if rec.len() > self.max_len {
                        return Some(Frame::Oversized {
                            offset,
                            len: rec.len(),
                        });
                    }
                    match self.kind {
                        Kind::Lines => {
                            while rec.last() == Some(&b'\r') {
                                rec.pop();
                            }
                            if rec.is_empty() {
                                continue;
                            }
                        }
                        Kind::Cot => {
                            let start = rec
                                .iter()
                                .position(|b| !b.is_ascii_whitespace())
                                .unwrap_or(rec.len());
                            rec.drain(..start);
                        }
                        Kind::Beast | Kind::Tak | Kind::Stanag4607 => {}
                        Kind::Asterix => {
                            // A whole CAT048, CAT062 or CAT021 block (not garbage
                            // that starts with 0x30).
                            let walked = crate::asterix::block_header(&rec)
                                .ok()
                                .filter(|&(cat, _)| crate::asterix::record_len(cat, &[]).is_some());
                            if let Some((cat, _)) = walked {
                                self.queue = split_records(offset, cat, &rec);
                                return self.queue.pop_front();
                            }
                        }
                    }
                    return Some(Frame::Record { offset, bytes: rec });
                }
                // Binary frames carry their length: an incomplete one is never over
                // the limit by more than its header, and no tail needs skipping.
                None if self.buf.len() - self.head > self.max_len + self.header_slack() => {
                    // Drop what we have; keep dropping until the record ends.
                    let offset = self.base;
                    let len = self.buf.len() - self.head;
                    self.base += len as u64;
                    self.buf.clear();
                    self.head = 0;
                    self.scan = Scan::default();
                    let first = !self.discarding;
                    self.discarding = matches!(self.kind, Kind::Lines | Kind::Cot);
                    if first {
                        return Some(Frame::Oversized { offset, len });
                    }
                    return None;
                }
                None => return None,
            }
        }
    }

    fn header_slack(&self) -> usize {
        match self.kind {
            Kind::Lines | Kind::Cot | Kind::Beast | Kind::Asterix | Kind::Stanag4607 => 0,
            Kind::Tak => crate::tak::MAX_STREAM_HEADER,
        }
    }

    /// Bytes buffered but not yet framed (an incomplete last record at end of stream).
    /// Whitespace after the last CoT event (a body ending in a newline) is no record.
    pub fn pending(&self) -> usize {
        let rest = &self.buf[self.head..];
        if matches!(self.kind, Kind::Cot) && rest.iter().all(u8::is_ascii_whitespace) {
            return 0;
        }
        rest.len()
    }
}

/// First occurrence of `pat` in `buf` at or after `from`.
fn find_from(buf: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    buf.get(from..)?
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|i| from + i)
}

/// End of the first CoT event: `(record_end, consumed)`. Each first occurrence is
/// searched for only in bytes not searched before (with overlap for a pattern
/// split across pushes) and remembered in `scan`.
fn find_cot_end(buf: &[u8], scan: &mut Scan) -> Option<(usize, usize)> {
    const CLOSE: &[u8] = b"</event>";
    const OPEN: &[u8] = b"<event";
    let from = |pat: &[u8]| scan.scanned.saturating_sub(pat.len() - 1);
    if scan.close.is_none() {
        scan.close = find_from(buf, from(CLOSE), CLOSE).map(|i| i + CLOSE.len());
    }
    if scan.open.is_none() {
        scan.open = find_from(buf, from(OPEN), OPEN);
    }
    scan.scanned = buf.len();
    let close = scan.close;
    // A self-closed `<event .../>` before any `</event>`.
    let start = scan.open?;
    if scan.gt.is_none() {
        let f = scan.gt_scanned.max(start);
        scan.gt = buf
            .get(f..)
            .and_then(|b| b.iter().position(|b| *b == b'>'))
            .map(|i| f + i);
        scan.gt_scanned = buf.len();
    }
    let gt = scan.gt?;
    if gt > 0 && buf.get(gt - 1) == Some(&b'/') && close.is_none_or(|c| gt < c) {
        return Some((gt + 1, gt + 1));
    }
    close.map(|c| (c, c))
}

/// Bytes up to the next frame start: a record the decoder rejects. Until a start
/// byte arrives they wait (so framing does not depend on how the bytes were split),
/// bounded by the framer's length limit.
fn garbage_until(buf: &[u8], start: u8) -> Option<(usize, usize)> {
    let end = buf.iter().skip(1).position(|&b| b == start)? + 1;
    Some((end, end))
}

/// End of the first Beast frame. A frame cut short by an unescaped `0x1a` ends
/// there (the decoder reports it truncated) and the new frame starts at that byte.
fn find_beast_end(buf: &[u8]) -> Option<(usize, usize)> {
    use crate::beast::{FrameKind, ESC};
    match buf {
        [] => None,
        [b, ..] if *b != ESC => garbage_until(buf, ESC),
        [_] => None,
        [_, t, ..] => {
            let Some(kind) = FrameKind::from_type_byte(*t) else {
                return garbage_until(buf, ESC);
            };
            let want = 6 + 1 + kind.message_len();
            let (mut have, mut i) = (0, 2);
            while have < want {
                match (buf.get(i), buf.get(i + 1)) {
                    (None, _) | (Some(&ESC), None) => return None,
                    (Some(&ESC), Some(&ESC)) => i += 2,
                    (Some(&ESC), Some(_)) => return Some((i, i)),
                    (Some(_), _) => i += 1,
                }
                have += 1;
            }
            Some((i, i))
        }
    }
}

/// End of the first STANAG 4607 packet, or of the bytes before the next plausible
/// header. Positions already found not to start a header are remembered in `scan`, so
/// garbage trickling in costs O(new bytes).
fn find_4607_end(buf: &[u8], max_len: usize, scan: &mut Scan) -> Option<(usize, usize)> {
    use crate::stanag4607::plausible_header;
    let starts = |b: &[u8]| plausible_header(b).is_some_and(|(size, _)| size <= max_len);
    // Six bytes (version, size) decide whether a header starts here.
    let header = buf.get(..6)?;
    if let Some((size, _)) = plausible_header(header).filter(|&(size, _)| size <= max_len) {
        return (buf.len() >= size).then_some((size, size));
    }
    let from = scan.scanned.max(1);
    let last = buf.len().saturating_sub(6);
    for q in from..=last {
        if starts(&buf[q..]) {
            return Some((q, q));
        }
    }
    scan.scanned = last.max(from - 1) + 1;
    None
}

/// End of the first TAK stream frame. A length over `max_len` or a runaway varint
/// makes the header a record of its own (rejected), and framing resynchronises at
/// the next `0xbf`.
fn find_tak_end(buf: &[u8], max_len: usize) -> Option<(usize, usize)> {
    match buf.first() {
        None => return None,
        Some(&b) if b != crate::tak::MAGIC => return garbage_until(buf, crate::tak::MAGIC),
        Some(_) => {}
    }
    match crate::tak::stream_header(buf) {
        Ok(None) => None,
        Err(_) => Some((crate::tak::MAX_STREAM_HEADER, crate::tak::MAX_STREAM_HEADER)),
        Ok(Some((h, len))) => match usize::try_from(len).ok().filter(|&l| l <= max_len) {
            Some(l) if buf.len() >= h + l => Some((h + l, h + l)),
            Some(_) => None,
            None => Some((h, h)),
        },
    }
}

/// End of the first ASTERIX data block, or of the garbage before the next CAT048
/// block start when the header is out of bounds (category 0, length below 3 or above
/// the limit).
fn find_asterix_end(buf: &[u8], max_len: usize) -> Option<(usize, usize)> {
    let [_, hi, lo, ..] = *buf else {
        return None;
    };
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    // Category 0 is not assigned: such a header is out of sync (a zero octet is the
    // likeliest misread, the high octet of a real block's length).
    if buf[0] != 0 && (3..=max_len).contains(&len) {
        (buf.len() >= len).then_some((len, len))
    } else {
        garbage_until(buf, crate::asterix::CAT048)
    }
}

/// A whole CAT048, CAT062 or CAT021 block (starting at stream `offset`) as one frame per
/// record, each a one-record block; from a record that does not parse, the rest of the
/// block as one.
fn split_records(offset: u64, cat: u8, block: &[u8]) -> VecDeque<Frame> {
    let mut out = VecDeque::new();
    let mut pos = 3;
    let one = |from: usize, to: usize| {
        let mut b = Vec::with_capacity(3 + to - from);
        b.push(cat);
        // At most the block's own length, which fits (the framer checked it).
        b.extend_from_slice(
            &u16::try_from(3 + to - from)
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        b.extend_from_slice(&block[from..to]);
        Frame::Record {
            offset: offset + from as u64,
            bytes: b,
        }
    };
    while pos < block.len() {
        match crate::asterix::record_len(cat, &block[pos..]) {
            Some(Ok(len)) => {
                out.push_back(one(pos, pos + len));
                pos += len;
            }
            _ => {
                out.push_back(one(pos, block.len()));
                break;
            }
        }
    }
    if out.is_empty() {
        // An empty block (LEN 3): valid, nothing in it.
        out.push_back(Frame::Record {
            offset,
            bytes: block.to_vec(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(f: &mut Framer) -> Vec<Frame> {
        std::iter::from_fn(|| f.next_frame()).collect()
    }

    #[test]
    fn lines_split_across_pushes() {
        let mut f = Framer::lines();
        f.push(b"abc\r\nde");
        assert_eq!(
            all(&mut f),
            vec![Frame::Record {
                offset: 0,
                bytes: b"abc".to_vec()
            }]
        );
        f.push(b"f\n\n");
        assert_eq!(
            all(&mut f),
            vec![Frame::Record {
                offset: 5,
                bytes: b"def".to_vec()
            }]
        );
    }

    #[test]
    fn oversized_line_is_reported_once_and_skipped() {
        let mut f = Framer::lines();
        f.push(&vec![b'x'; 5000]);
        f.push(&vec![b'x'; 5000]);
        let frames = all(&mut f);
        assert!(matches!(frames[..], [Frame::Oversized { offset: 0, .. }]));
        f.push(b"tail\nok\n");
        assert_eq!(
            all(&mut f),
            vec![Frame::Record {
                offset: 10005,
                bytes: b"ok".to_vec()
            }]
        );
    }

    #[test]
    fn trickled_bytes_cost_linear_time() {
        // One byte per push over the whole 1 MiB limit: a rescan per push would take
        // minutes; the incremental search takes well under a second.
        let mut f = Framer::cot();
        let start = std::time::Instant::now();
        f.push(b"<event uid='a'>");
        for _ in 0..(1 << 20) - 100 {
            f.push(b"x");
            assert_eq!(f.next_frame(), None);
        }
        f.push(b"</event>");
        assert!(matches!(
            f.next_frame(),
            Some(Frame::Record { offset: 0, .. })
        ));
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn whitespace_after_the_last_cot_event_is_no_record() {
        let mut f = Framer::cot();
        f.push(b"<event uid='a'/>\r\n \t\n");
        assert!(matches!(f.next_frame(), Some(Frame::Record { .. })));
        assert_eq!(f.next_frame(), None);
        assert_eq!(f.pending(), 0);
        // A real fragment after it still counts.
        f.push(b"<event uid='b'>");
        assert_eq!(f.next_frame(), None);
        assert!(f.pending() > 0);
    }

    #[test]
    fn patterns_split_across_pushes() {
        let mut f = Framer::cot();
        let stream = b"junk</event><event uid='a'/><event uid='b'><x/></event>";
        let mut got = Vec::new();
        for b in stream {
            f.push(&[*b]);
            while let Some(Frame::Record { bytes, .. }) = f.next_frame() {
                got.push(String::from_utf8(bytes).unwrap());
            }
        }
        // Same framing as one push of the whole stream.
        let mut g = Framer::cot();
        g.push(stream);
        let whole: Vec<String> = all(&mut g)
            .into_iter()
            .map(|fr| match fr {
                Frame::Record { bytes, .. } => String::from_utf8(bytes).unwrap(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(got, whole);
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn cot_events() {
        let mut f = Framer::cot();
        f.push(b"<?xml version='1.0'?>\n<event uid='a'><point/></event><event uid='b'/>");
        let frames = all(&mut f);
        assert_eq!(frames.len(), 2);
    }

    fn records(f: &mut Framer) -> Vec<(u64, Vec<u8>)> {
        all(f)
            .into_iter()
            .map(|fr| match fr {
                Frame::Record { offset, bytes } => (offset, bytes),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn beast_frames_garbage_and_escapes() {
        // A Mode S short frame whose timestamp holds an escaped 0x1a, garbage, then a
        // frame cut short by a new frame start.
        let short = [
            0x1a, b'2', 0, 0, 0, 0x1a, 0x1a, 1, 2, 0x5d, 0x3c, 0x48, 0x6d, 0x8a, 0xf5, 0x7a, 0x11,
        ];
        let mut stream = short.to_vec();
        stream.extend_from_slice(b"xyz");
        stream.extend_from_slice(&[0x1a, b'3', 1, 2, 3]);
        stream.extend_from_slice(&short);
        let mut f = Framer::beast();
        for b in &stream {
            f.push(&[*b]);
        }
        let got = records(&mut f);
        let lens: Vec<(u64, usize)> = got.iter().map(|(o, b)| (*o, b.len())).collect();
        assert_eq!(lens, vec![(0, 17), (17, 3), (20, 5), (25, 17)]);
        assert_eq!(got[0].1, short.to_vec());
        // Pushed whole, the same records.
        let mut g = Framer::beast();
        g.push(&stream);
        assert_eq!(records(&mut g), got);
    }

    #[test]
    fn tak_frames_resync_after_garbage_and_bad_lengths() {
        let mut stream = vec![0xbf, 3, 1, 2, 3];
        stream.extend_from_slice(b"junk");
        // A declared length of 2^40: its header is rejected, then resync.
        stream.extend_from_slice(&[0xbf, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
        stream.extend_from_slice(&[0xbf, 1, 9]);
        let mut f = Framer::tak();
        f.push(&stream);
        let got = records(&mut f);
        let lens: Vec<(u64, usize)> = got.iter().map(|(o, b)| (*o, b.len())).collect();
        assert_eq!(lens, vec![(0, 5), (5, 4), (9, 7), (16, 3)]);
        // An incomplete frame waits for its bytes.
        let mut f = Framer::tak();
        f.push(&[0xbf, 4, 1]);
        assert_eq!(f.next_frame(), None);
        f.push(&[2, 3, 4]);
        assert_eq!(records(&mut f), vec![(0, vec![0xbf, 4, 1, 2, 3, 4])]);
    }
}
