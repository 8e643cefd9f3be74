//! Beast binary framing (Mode-S receivers' port 30005 output, dump1090's
//! `--net-bo-port`/`--net-bi-port`).
//!
//! A frame is `0x1a`, a type byte (`'1'` Mode A/C, `'2'` Mode S short, `'3'` Mode S
//! long, `'4'` receiver status), a 6-byte big-endian MLAT timestamp (a 12 MHz
//! counter), one signal-level byte, and the message (2, 7, 14 or 14 bytes). Every
//! `0x1a` byte after the type is sent twice. Decoding never panics; garbage is
//! skipped to the next frame start and reported once.

use crate::Fault;

/// Frame start and escape byte.
pub const ESC: u8 = 0x1a;
/// Longest frame body (timestamp, signal, 14-byte message) before unescaping.
const MAX_BODY: usize = 6 + 1 + 14;

/// What a frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    /// Mode A/C reply (2 bytes).
    ModeAc,
    /// Mode S short (56-bit) reply.
    ModeSShort,
    /// Mode S long (112-bit) reply.
    ModeSLong,
    /// Receiver status (14 bytes, vendor defined).
    Status,
}

impl FrameKind {
    pub fn type_byte(self) -> u8 {
        match self {
            FrameKind::ModeAc => b'1',
            FrameKind::ModeSShort => b'2',
            FrameKind::ModeSLong => b'3',
            FrameKind::Status => b'4',
        }
    }

    pub fn from_type_byte(b: u8) -> Option<FrameKind> {
        Some(match b {
            b'1' => FrameKind::ModeAc,
            b'2' => FrameKind::ModeSShort,
            b'3' => FrameKind::ModeSLong,
            b'4' => FrameKind::Status,
            _ => return None,
        })
    }

    /// Message length in bytes.
    pub fn message_len(self) -> usize {
        match self {
            FrameKind::ModeAc => 2,
            FrameKind::ModeSShort => 7,
            FrameKind::ModeSLong | FrameKind::Status => 14,
        }
    }
}

/// One Beast frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BeastFrame {
    pub kind: FrameKind,
    /// MLAT timestamp: 48-bit 12 MHz counter (0 when the receiver has none).
    pub timestamp: u64,
    /// Signal level byte: RSSI as amplitude, 255 = full scale.
    pub signal: u8,
    pub message: Vec<u8>,
}

impl BeastFrame {
    /// The signal as power relative to full scale, in dBFS (dump1090's scale:
    /// (level/255)^2), `None` for level 0.
    pub fn signal_dbfs(&self) -> Option<f64> {
        (self.signal > 0).then(|| 20.0 * (f64::from(self.signal) / 255.0).log10())
    }

    /// The MLAT timestamp in seconds of the 12 MHz counter.
    pub fn timestamp_seconds(&self) -> f64 {
        self.timestamp as f64 / 12e6
    }

    /// The frame on the wire, with `0x1a` escaped.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + 2 * (7 + self.message.len()));
        out.push(ESC);
        out.push(self.kind.type_byte());
        let ts = self.timestamp.to_be_bytes();
        for &b in ts[2..]
            .iter()
            .chain(std::iter::once(&self.signal))
            .chain(&self.message)
        {
            out.push(b);
            if b == ESC {
                out.push(ESC);
            }
        }
        out
    }
}

/// Incremental Beast decoder over a byte stream.
#[derive(Default)]
pub struct BeastDecoder {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already consumed (dropped in bulk).
    head: usize,
    /// Bytes consumed so far, for error offsets.
    consumed: u64,
}

impl BeastDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.head > 0 && self.head * 2 >= self.buf.len() {
            self.buf.drain(..self.head);
            self.head = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    fn drop_front(&mut self, n: usize) {
        let n = n.min(self.buf.len() - self.head);
        self.head += n;
        self.consumed += n as u64;
    }

    /// The next frame; `Ok(None)` when more bytes are needed. An error names the
    /// stream offset and the reason; the bytes up to the next frame start are
    /// dropped and decoding goes on.
    pub fn next_frame(&mut self) -> Result<Option<BeastFrame>, Fault> {
        // Skip to a frame start: 0x1a followed by something other than 0x1a.
        let buf = &self.buf[self.head..];
        let Some(start) = buf.iter().position(|&b| b == ESC) else {
            let n = buf.len();
            if n > 0 {
                let at = self.consumed;
                self.drop_front(n);
                return Err(Fault::Syntax(format!(
                    "byte {at}: {n} bytes outside any frame"
                )));
            }
            return Ok(None);
        };
        if start > 0 {
            let at = self.consumed;
            self.drop_front(start);
            return Err(Fault::Syntax(format!(
                "byte {at}: {start} bytes outside any frame"
            )));
        }
        let Some(&t) = buf.get(1) else {
            return Ok(None);
        };
        let Some(kind) = FrameKind::from_type_byte(t) else {
            let at = self.consumed;
            self.drop_front(2);
            return Err(Fault::Unsupported(format!(
                "byte {at}: unknown Beast frame type 0x{t:02x}"
            )));
        };
        let want = 6 + 1 + kind.message_len();
        let mut body = Vec::with_capacity(MAX_BODY);
        let mut i = 2;
        while body.len() < want {
            let Some(&b) = buf.get(i) else {
                return Ok(None);
            };
            if b == ESC {
                match buf.get(i + 1) {
                    None => return Ok(None),
                    Some(&ESC) => {
                        body.push(ESC);
                        i += 2;
                    }
                    Some(_) => {
                        // An unescaped 0x1a: a new frame starts; this one is cut.
                        let at = self.consumed;
                        self.drop_front(i);
                        return Err(Fault::Truncated(format!(
                            "byte {at}: Beast frame cut short after {} of {want} bytes",
                            body.len()
                        )));
                    }
                }
            } else {
                body.push(b);
                i += 1;
            }
        }
        self.drop_front(i);
        let mut ts = [0u8; 8];
        ts[2..].copy_from_slice(&body[..6]);
        Ok(Some(BeastFrame {
            kind,
            timestamp: u64::from_be_bytes(ts),
            signal: body[6],
            message: body[7..].to_vec(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: FrameKind, msg: &[u8]) -> BeastFrame {
        BeastFrame {
            kind,
            timestamp: 0x1a_0102_1a1a,
            signal: 0x1a,
            message: msg.to_vec(),
        }
    }

    #[test]
    fn escapes_round_trip() {
        let f = frame(
            FrameKind::ModeSLong,
            &[0x8d, 0x1a, 0x1a, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x1a],
        );
        let wire = f.encode();
        // 0x1a in timestamp (3), signal (1) and message (3) are doubled.
        assert_eq!(wire.len(), 2 + 6 + 1 + 14 + 7);
        let mut d = BeastDecoder::new();
        for b in &wire {
            assert_eq!(d.next_frame().unwrap(), None);
            d.push(&[*b]);
        }
        assert_eq!(d.next_frame().unwrap(), Some(f));
        assert_eq!(d.next_frame().unwrap(), None);
    }

    #[test]
    fn garbage_and_cut_frames_are_reported_and_skipped() {
        let good = frame(
            FrameKind::ModeSShort,
            &[0x5d, 0x48, 0x40, 0xd6, 0x20, 0x2c, 0xc3],
        );
        let mut wire = b"xyz".to_vec();
        wire.extend_from_slice(&good.encode()[..6]);
        wire.extend_from_slice(&[ESC, b'9']);
        wire.extend_from_slice(&good.encode());
        let mut d = BeastDecoder::new();
        d.push(&wire);
        let mut frames = Vec::new();
        let mut errors = Vec::new();
        for _ in 0..10 {
            match d.next_frame() {
                Ok(Some(f)) => frames.push(f),
                Ok(None) => break,
                Err(e) => errors.push(e),
            }
        }
        assert_eq!(frames, vec![good]);
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(matches!(&errors[0], Fault::Syntax(d) if d.starts_with("byte 0:")));
        assert!(matches!(&errors[1], Fault::Truncated(d) if d.contains("cut short")));
        assert!(
            matches!(&errors[2], Fault::Unsupported(d) if d.contains("unknown Beast frame type 0x39"))
        );
    }

    #[test]
    fn signal_scale() {
        let mut f = frame(FrameKind::ModeAc, &[0, 0]);
        f.signal = 255;
        assert_eq!(f.signal_dbfs(), Some(0.0));
        f.signal = 0;
        assert_eq!(f.signal_dbfs(), None);
        f.timestamp = 12_000_000;
        assert_eq!(f.timestamp_seconds(), 1.0);
    }
}
