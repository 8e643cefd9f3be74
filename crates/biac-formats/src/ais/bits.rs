//! The AIS 6-bit ASCII armour (IEC 61162-1) and MSB-first bit-field access
//! (ITU-R M.1371).

use crate::Fault;

/// The largest message accepted, in bits. Five slots carry at most 1008 data bits;
/// a little slack covers transmitters that pad, while still bounding memory.
pub const MAX_MESSAGE_BITS: usize = 1024;

/// The 6-bit text alphabet (ITU-R M.1371 table 47): value -> character.
const SIXBIT_TEXT: &[u8; 64] =
    b"@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?";

/// Payload character -> 6-bit value, 0xff for characters outside the armour.
const DEARMOUR: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = match c as u8 {
            b'0'..=b'W' => c as u8 - b'0',
            b'`'..=b'w' => c as u8 - b'`' + 40,
            _ => 0xff,
        };
        c += 1;
    }
    t
};

/// De-armour one payload character to its 6-bit value.
pub fn dearmour_char(c: u8) -> Option<u8> {
    let v = DEARMOUR[usize::from(c)];
    (v != 0xff).then_some(v)
}

/// Armour one 6-bit value (the low six bits of `v`).
pub fn armour_char(v: u8) -> char {
    let v = v & 0x3f;
    char::from(if v < 40 { v + b'0' } else { v - 40 + b'`' })
}

/// Words of packed bits: room for the longest accepted payload (171 characters).
const WORDS: usize = (MAX_MESSAGE_BITS + 5).div_ceil(64);

/// A message's bits, most significant first.
///
/// Packed into 64-bit words (bit `i` is bit `63 - i % 64` of word `i / 64`), fill
/// bits included, zero past the payload, so a field is one or two shifts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bits {
    words: [u64; WORDS],
    /// Message bits (payload bits less fill bits).
    len: usize,
}

impl Default for Bits {
    fn default() -> Self {
        Bits {
            words: [0; WORDS],
            len: 0,
        }
    }
}

impl Bits {
    /// De-armour a complete payload. `fill_bits` (0..=5) are dropped from the end.
    pub fn from_payload(payload: &[u8], fill_bits: u8) -> Result<Bits, Fault> {
        if fill_bits > 5 {
            return Err(Fault::field(
                "fill bits",
                format!("fill bits {fill_bits} out of range 0..5"),
            ));
        }
        let total = payload.len().saturating_mul(6);
        if total > MAX_MESSAGE_BITS + 5 {
            return Err(Fault::field(
                "payload",
                format!(
                    "payload of {} characters exceeds the {MAX_MESSAGE_BITS}-bit message limit",
                    payload.len()
                ),
            ));
        }
        let mut words = [0u64; WORDS];
        // Bits accumulate in `acc` (its low `n` bits) and leave it a word at a time.
        let (mut acc, mut n, mut wi) = (0u128, 0u32, 0usize);
        for (i, &c) in payload.iter().enumerate() {
            let v = DEARMOUR[usize::from(c)];
            if v == 0xff {
                return Err(Fault::Encoding(format!(
                    "bad armour character {:?} at payload position {i}",
                    char::from(c)
                )));
            }
            acc = (acc << 6) | u128::from(v);
            n += 6;
            if n >= 64 {
                n -= 64;
                words[wi] = (acc >> n) as u64;
                wi += 1;
                acc &= (1u128 << n) - 1;
            }
        }
        if n > 0 {
            words[wi] = (acc << (64 - n)) as u64;
        }
        let len = total.checked_sub(usize::from(fill_bits)).ok_or_else(|| {
            Fault::field(
                "fill bits",
                format!("{fill_bits} fill bits on an empty payload"),
            )
        })?;
        Ok(Bits { words, len })
    }

    /// Number of message bits.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `w` (1..=64) bits at `start` from the packed buffer, zero past its end.
    fn extract(&self, start: usize, w: usize) -> u64 {
        let word = |k: usize| self.words.get(k).copied().unwrap_or(0);
        let (wi, off) = (start / 64, start % 64);
        let mut v = word(wi) << off;
        if off > 0 {
            v |= word(wi + 1) >> (64 - off);
        }
        v >> (64 - w)
    }

    /// Bit `i` as the de-armoured buffer holds it: the fill bits of the last
    /// character included, zero past the payload (gpsd reads fields this way).
    fn raw_bit(&self, i: usize) -> bool {
        self.extract(i, 1) == 1
    }

    /// Unsigned field of `width` (<= 64) bits at `start`. A field running past the
    /// end of the message yields the bits that are there, right-aligned (as gpsd
    /// does for the short 163/165-bit position reports seen in the wild); a field
    /// wholly past the end is 0. Callers check the length they need first.
    pub fn u(&self, start: usize, width: usize) -> u64 {
        let end = start.saturating_add(width.min(64)).min(self.len);
        if end <= start {
            return 0;
        }
        self.extract(start, end - start)
    }

    /// Two's complement signed field (same truncation rule as [`Bits::u`]).
    pub fn i(&self, start: usize, width: usize) -> i64 {
        let end = start.saturating_add(width.min(64)).min(self.len);
        let w = end.saturating_sub(start);
        if w == 0 {
            return 0;
        }
        let raw = self.u(start, w);
        if w < 64 && (raw >> (w - 1)) & 1 == 1 {
            (raw | (!0u64 << w)) as i64
        } else {
            raw as i64
        }
    }

    pub fn flag(&self, start: usize) -> bool {
        self.u(start, 1) == 1
    }

    /// Unsigned field read as gpsd reads it: bits past the message end are the
    /// fill bits and then zeros, so a field running past the end is left-aligned.
    pub fn raw_u(&self, start: usize, width: usize) -> u64 {
        let w = width.min(64);
        if w == 0 {
            return 0;
        }
        self.extract(start, w)
    }

    /// Two's complement counterpart of [`Bits::raw_u`].
    pub fn raw_i(&self, start: usize, width: usize) -> i64 {
        let w = width.min(64);
        if w == 0 {
            return 0;
        }
        let raw = self.raw_u(start, w);
        if w < 64 && (raw >> (w - 1)) & 1 == 1 {
            (raw | (!0u64 << w)) as i64
        } else {
            raw as i64
        }
    }

    /// 6-bit text read as gpsd reads it: up to `nchars` characters, stopping at
    /// the first `@`, trailing spaces trimmed; reads past the end like [`Bits::raw_u`].
    pub fn raw_text(&self, start: usize, nchars: usize) -> String {
        let mut s = String::with_capacity(nchars);
        for k in 0..nchars {
            let v = self.raw_u(start.saturating_add(k.saturating_mul(6)), 6) as usize;
            let c = SIXBIT_TEXT[v & 0x3f];
            if c == b'@' {
                break;
            }
            s.push(char::from(c));
        }
        s.truncate(s.trim_end_matches(' ').len());
        s
    }

    /// The whole 6-bit characters from `start` to the message end, gpsd style.
    pub fn text_to_end(&self, start: usize) -> String {
        if self.len <= start {
            return String::new();
        }
        self.raw_text(start, (self.len - start) / 6)
    }

    /// `count` bits from `start` packed MSB first into bytes; bits at or past
    /// `limit` read as zero, bits before it as [`Bits::raw_u`] reads them.
    pub fn bytes(&self, start: usize, count: usize, limit: usize) -> Vec<u8> {
        (0..count.div_ceil(8))
            .map(|k| {
                (0..8).fold(0u8, |acc, j| {
                    let i = start + 8 * k + j;
                    (acc << 1) | u8::from(i < limit && self.raw_bit(i))
                })
            })
            .collect()
    }

    /// `nchars` 6-bit text characters at `start`, raw (padding `@` included);
    /// characters past the end of the message are left out.
    pub fn text_raw(&self, start: usize, nchars: usize) -> String {
        (0..nchars)
            .map(|k| start.saturating_add(k.saturating_mul(6)))
            .take_while(|&s| s.saturating_add(6) <= self.len)
            .map(|s| char::from(SIXBIT_TEXT[(self.u(s, 6) & 0x3f) as usize]))
            .collect()
    }

    /// 6-bit text cleaned the usual way: cut at the first `@` (padding), trailing
    /// spaces trimmed.
    pub fn text(&self, start: usize, nchars: usize) -> String {
        clean_text(&self.text_raw(start, nchars))
    }
}

/// Cut at the first `@` and trim trailing spaces.
pub fn clean_text(raw: &str) -> String {
    let cut = raw.split('@').next().unwrap_or_default();
    cut.trim_end_matches(' ').to_string()
}

/// Builds a message MSB first and armours it.
#[derive(Default)]
pub struct BitWriter {
    bits: Vec<bool>,
}

impl BitWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The low `width` bits of `value`.
    pub fn u(&mut self, value: u64, width: usize) -> &mut Self {
        for k in (0..width).rev() {
            self.bits.push(k < 64 && (value >> k) & 1 == 1);
        }
        self
    }

    /// Two's complement, `width` bits.
    pub fn i(&mut self, value: i64, width: usize) -> &mut Self {
        self.u(value as u64, width)
    }

    pub fn flag(&mut self, b: bool) -> &mut Self {
        self.u(u64::from(b), 1)
    }

    /// Text as `nchars` 6-bit characters: upper-cased, characters outside the
    /// alphabet written as `?`, truncated, and padded with `@`.
    pub fn text(&mut self, s: &str, nchars: usize) -> &mut Self {
        let mut chars = s.chars().map(|c| c.to_ascii_uppercase());
        for _ in 0..nchars {
            let v = match chars.next() {
                None => 0,
                Some(c) => sixbit_value(c).unwrap_or(63),
            };
            self.u(u64::from(v), 6);
        }
        self
    }

    pub fn len(&self) -> usize {
        self.bits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// The armoured payload and its fill bits (zeros added to complete the last
    /// character).
    pub fn armour(&self) -> (String, u8) {
        let fill = (6 - self.bits.len() % 6) % 6;
        let mut out = String::with_capacity(self.bits.len().div_ceil(6));
        for chunk in self.bits.chunks(6) {
            let mut v = 0u8;
            for k in 0..6 {
                v = (v << 1) | u8::from(chunk.get(k).copied().unwrap_or(false));
            }
            out.push(armour_char(v));
        }
        (out, fill as u8)
    }
}

/// The 6-bit text value of an ASCII character, if it is in the alphabet.
fn sixbit_value(c: char) -> Option<u8> {
    let b = u8::try_from(c).ok()?;
    match b {
        b'@'..=b'_' => Some(b - b'@'),
        b' '..=b'?' => Some(b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn armour_round_trip() {
        for v in 0..64u8 {
            let c = armour_char(v);
            assert_eq!(dearmour_char(c as u8), Some(v), "{v}");
        }
        assert_eq!(dearmour_char(b'X'), None);
        assert_eq!(dearmour_char(b'x'), None);
    }

    #[test]
    fn fields_and_truncation() {
        let mut w = BitWriter::new();
        w.u(5, 6).i(-3, 8).text("AB C", 5);
        let (p, fill) = w.armour();
        let b = Bits::from_payload(p.as_bytes(), fill).unwrap();
        assert_eq!(b.len(), 44);
        assert_eq!(b.u(0, 6), 5);
        assert_eq!(b.i(6, 8), -3);
        assert_eq!(b.text(14, 5), "AB C");
        assert_eq!(b.text_raw(14, 5), "AB C@");
        // Past the end: only the available bits, right-aligned.
        assert_eq!(b.u(40, 10), b.u(40, 4));
        assert_eq!(b.u(400, 10), 0);
        assert_eq!(b.i(400, 10), 0);
    }

    #[test]
    fn bad_input() {
        assert!(Bits::from_payload(b"1X", 0).is_err());
        assert!(Bits::from_payload(b"", 2).is_err());
        assert!(Bits::from_payload(b"1", 6).is_err());
        assert!(Bits::from_payload(&[b'0'; 200], 0).is_err());
    }
}
