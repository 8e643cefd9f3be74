//! Splitting a byte stream into records: lines for NMEA and SBS, `<event>…</event>` for CoT.
//! Bounded: a record longer than the limit is reported and skipped, never buffered forever.

/// Incremental framer. Push bytes as they arrive; pull complete records.
pub struct Framer {
    kind: Kind,
    max_len: usize,
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Set while skipping the rest of an oversized record.
    discarding: bool,
}

#[derive(Clone, Copy)]
enum Kind {
    Lines,
    Cot,
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
    fn new(kind: Kind, max_len: usize) -> Self {
        Framer {
            kind,
            max_len,
            buf: Vec::new(),
            base: 0,
            discarding: false,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame, if any.
    pub fn next_frame(&mut self) -> Option<Frame> {
        loop {
            let end = match self.kind {
                Kind::Lines => self
                    .buf
                    .iter()
                    .position(|b| *b == b'\n')
                    .map(|i| (i, i + 1)),
                Kind::Cot => find_cot_end(&self.buf),
            };
            match end {
                Some((rec_end, consumed)) => {
                    let offset = self.base;
                    let mut rec: Vec<u8> = self.buf.drain(..consumed).collect();
                    rec.truncate(rec_end);
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
                    if matches!(self.kind, Kind::Lines) {
                        while rec.last() == Some(&b'\r') {
                            rec.pop();
                        }
                        if rec.is_empty() {
                            continue;
                        }
                    } else {
                        let start = rec
                            .iter()
                            .position(|b| !b.is_ascii_whitespace())
                            .unwrap_or(rec.len());
                        rec.drain(..start);
                    }
                    return Some(Frame::Record { offset, bytes: rec });
                }
                None if self.buf.len() > self.max_len => {
                    // Drop what we have; keep dropping until the record ends.
                    let offset = self.base;
                    let len = self.buf.len();
                    self.base += len as u64;
                    self.buf.clear();
                    let first = !self.discarding;
                    self.discarding = true;
                    if first {
                        return Some(Frame::Oversized { offset, len });
                    }
                    return None;
                }
                None => return None,
            }
        }
    }

    /// Bytes buffered but not yet framed (an incomplete last record at end of stream).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

/// End of the first CoT event: `(record_end, consumed)`.
fn find_cot_end(buf: &[u8]) -> Option<(usize, usize)> {
    const CLOSE: &[u8] = b"</event>";
    let close = buf
        .windows(CLOSE.len())
        .position(|w| w == CLOSE)
        .map(|i| i + CLOSE.len());
    // A self-closed `<event .../>` before any `</event>`.
    let start = buf.windows(6).position(|w| w == b"<event")?;
    let gt = buf[start..]
        .iter()
        .position(|b| *b == b'>')
        .map(|i| start + i)?;
    if gt > 0 && buf[gt - 1] == b'/' && close.is_none_or(|c| gt < c) {
        return Some((gt + 1, gt + 1));
    }
    close.map(|c| (c, c))
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
    fn cot_events() {
        let mut f = Framer::cot();
        f.push(b"<?xml version='1.0'?>\n<event uid='a'><point/></event><event uid='b'/>");
        let frames = all(&mut f);
        assert_eq!(frames.len(), 2);
    }
}
