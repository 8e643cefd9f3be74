//! NMEA 0183 `!--VDM` / `!--VDO` sentences and NMEA 4.10 tag blocks.

use crate::Fault;
use biac_model::TimeMs;

/// Longest tag-block `s:` source kept (receiver ids are short; a longer one is cut here
/// rather than carried whole into every observation).
pub const MAX_SOURCE_LEN: usize = 64;

/// Tag-block `c:` values at or above this are milliseconds, below it seconds:
/// 1e11 s is the year 5138 while 1e11 ms is 1973, so the two never overlap in
/// practice.
const MS_THRESHOLD: i64 = 100_000_000_000;

/// The fields of an NMEA 4.10 tag block that biac uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagBlock {
    /// `s:` — the receiver or station that heard the sentence.
    pub source: Option<String>,
    /// `c:` — receive time, normalised to milliseconds (the wire may carry seconds
    /// or milliseconds).
    pub time_ms: Option<TimeMs>,
}

impl TagBlock {
    /// Parse the inside of `\...\` (without the backslashes).
    pub fn parse(inner: &[u8]) -> Result<TagBlock, Fault> {
        let star = inner
            .iter()
            .rposition(|b| *b == b'*')
            .ok_or_else(|| Fault::Syntax("tag block without checksum".into()))?;
        let (body, cs) = (&inner[..star], &inner[star + 1..]);
        verify_checksum(body, cs).map_err(|e| e.context("tag block"))?;
        let body = std::str::from_utf8(body)
            .map_err(|_| Fault::Encoding("tag block is not ASCII".into()))?;
        let mut tag = TagBlock::default();
        // Providers add fields of their own (ORBCOMM's `q:`, `T:`, `i:` …) and some leave an
        // empty one (a trailing comma): neither makes the sentence worse, so, as gpsd does,
        // only `c:` and `s:` are read and the rest is skipped.
        for field in body.split(',').filter(|f| !f.is_empty()) {
            let (key, value) = field
                .split_once(':')
                .ok_or_else(|| Fault::Syntax(format!("malformed tag block field {field:?}")))?;
            match key {
                "s" if !value.is_empty() => {
                    let cut = value
                        .char_indices()
                        .nth(MAX_SOURCE_LEN)
                        .map_or(value.len(), |(i, _)| i);
                    tag.source = Some(value[..cut].to_string());
                }
                "c" => {
                    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(Fault::field(
                            "tag block time",
                            format!("tag block time {value:?} is not an integer"),
                        ));
                    }
                    let v: i64 = value.parse().map_err(|_| {
                        Fault::field(
                            "tag block time",
                            format!("tag block time {value:?} out of range"),
                        )
                    })?;
                    tag.time_ms = Some(if v >= MS_THRESHOLD { v } else { v * 1000 });
                }
                _ => {}
            }
        }
        Ok(tag)
    }

    /// `\s:<source>,c:<seconds>*hh\`. Characters that would break the syntax are
    /// dropped from the source.
    pub fn write(source: &str, unix_seconds: i64) -> String {
        let clean: String = source
            .chars()
            .filter(|c| c.is_ascii_graphic() && !matches!(c, ',' | '*' | '\\' | '!' | '$'))
            .take(MAX_SOURCE_LEN)
            .collect();
        let body = format!("s:{clean},c:{unix_seconds}");
        format!("\\{body}*{:02X}\\", checksum(body.as_bytes()))
    }
}

/// One VDM/VDO sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sentence {
    pub tag: Option<TagBlock>,
    /// Two-letter talker (`AI`, `AB`, `BS`, ...).
    pub talker: String,
    /// `VDO`: the receiver's own ship.
    pub own_ship: bool,
    pub fragment_count: u8,
    pub fragment_number: u8,
    /// Sequential message id, 0..=9, for multi-fragment messages.
    pub sequence_id: Option<u8>,
    /// Radio channel (`A`, `B`, `1`, `2`), when given.
    pub channel: Option<char>,
    pub payload: String,
    pub fill_bits: u8,
    /// Characters after the checksum other than a USCG trailer (which is read into
    /// `tag`): accepted and ignored, as gpsd does, and kept so a caller can report them.
    pub trailer: Option<String>,
}

impl Sentence {
    /// Parse and check one sentence, with or without a leading tag block.
    pub fn parse(line: &[u8]) -> Result<Sentence, Fault> {
        let line = line.trim_ascii_end();
        if let Some(b) = line.iter().find(|b| !(b.is_ascii_graphic() || **b == b' ')) {
            return Err(Fault::Encoding(format!(
                "non-printable byte 0x{b:02x} in sentence"
            )));
        }
        let (tag, rest) = match line.strip_prefix(b"\\") {
            Some(after) => {
                let end = after
                    .iter()
                    .position(|b| *b == b'\\')
                    .ok_or_else(|| Fault::Syntax("unterminated tag block".into()))?;
                (Some(TagBlock::parse(&after[..end])?), &after[end + 1..])
            }
            None => (None, line),
        };
        let rest = match rest.first() {
            Some(b'!') | Some(b'$') => &rest[1..],
            Some(_) => return Err(Fault::Syntax("sentence does not start with '!'".into())),
            None => return Err(Fault::Truncated("empty sentence".into())),
        };
        // No armour character is '*', so the first one ends the sentence body.
        let star = rest
            .iter()
            .position(|b| *b == b'*')
            .ok_or_else(|| Fault::Syntax("sentence without checksum".into()))?;
        let body = &rest[..star];
        let after = &rest[star + 1..];
        let (cs, trailer) = after.split_at(after.len().min(2));
        verify_checksum(body, cs)?;
        // Like gpsd, the checksum is the two hex digits after the '*' and whatever
        // follows is not part of the sentence: receivers append fields of their own, and
        // gpsd's regression sample spells a CR LF out literally (`\x0d\x0a`).
        let (tag, trailer) = match trailer {
            [] => (tag, None),
            [b',', meta @ ..] => (tag.or(Some(uscg_metadata(meta)?)), None),
            // Printable ASCII was checked above.
            other => (tag, Some(String::from_utf8_lossy(other).into_owned())),
        };
        // Printable ASCII was checked above.
        let body = std::str::from_utf8(body)
            .map_err(|_| Fault::Encoding("sentence is not ASCII".into()))?;
        let mut f = [""; 7];
        let mut n = 0;
        for (i, field) in body.split(',').enumerate() {
            if let Some(slot) = f.get_mut(i) {
                *slot = field;
            }
            n = i + 1;
        }
        if n != 7 {
            return Err(Fault::Syntax(format!(
                "expected 7 comma-separated fields, found {n}"
            )));
        }
        let [addr, count, number, seq, chan, payload, fill] = f;
        let (talker, kind) = match (addr.get(..2), addr.get(2..)) {
            (Some(t), Some(k)) if addr.len() == 5 && t.bytes().all(|b| b.is_ascii_uppercase()) => {
                (t, k)
            }
            _ => {
                return Err(Fault::field(
                    "address",
                    format!("unexpected sentence address {addr:?}"),
                ))
            }
        };
        let own_ship = match kind {
            "VDM" => false,
            "VDO" => true,
            _ => return Err(Fault::Unsupported(format!("not an AIS sentence: {addr:?}"))),
        };
        let fragment_count = digit(count, "fragment count")?;
        let fragment_number = digit(number, "fragment number")?;
        if fragment_count == 0 || fragment_number == 0 || fragment_number > fragment_count {
            return Err(Fault::field(
                "fragment number",
                format!("fragment {fragment_number} of {fragment_count} is out of range"),
            ));
        }
        let sequence_id = if seq.is_empty() {
            None
        } else {
            Some(digit(seq, "sequential message id")?)
        };
        let channel = match chan.as_bytes() {
            [] => None,
            [c @ (b'A' | b'B' | b'1' | b'2')] => Some(char::from(*c)),
            _ => {
                return Err(Fault::field(
                    "channel",
                    format!("unknown radio channel {chan:?}"),
                ))
            }
        };
        let fill_bits = digit(fill, "fill bits")?;
        if fill_bits > 5 {
            return Err(Fault::field(
                "fill bits",
                format!("fill bits {fill_bits} out of range 0..5"),
            ));
        }
        if payload.is_empty() {
            return Err(Fault::field("payload", "empty payload"));
        }
        if let Some((i, c)) = payload
            .bytes()
            .enumerate()
            .find(|(_, c)| super::bits::dearmour_char(*c).is_none())
        {
            return Err(Fault::Encoding(format!(
                "bad armour character {:?} at payload position {i}",
                char::from(c)
            )));
        }
        Ok(Sentence {
            tag,
            talker: talker.to_string(),
            own_ship,
            fragment_count,
            fragment_number,
            sequence_id,
            channel,
            payload: payload.to_string(),
            fill_bits,
            trailer,
        })
    }
}

/// The USCG NAIS trailer after the checksum (`,s28089,d-103,T39.4,x147521,r08TPHI1,1242958962`):
/// `r` names the receiving station and the last field is the receive time in Unix
/// seconds; the signal fields are not used. Read as a tag block.
fn uscg_metadata(meta: &[u8]) -> Result<TagBlock, Fault> {
    let meta =
        std::str::from_utf8(meta).map_err(|_| Fault::Encoding("metadata is not ASCII".into()))?;
    let mut tag = TagBlock::default();
    let fields: Vec<&str> = meta.split(',').collect();
    for (i, f) in fields.iter().enumerate() {
        if let Some(station) = f.strip_prefix('r') {
            if station.is_empty() || station.len() > MAX_SOURCE_LEN {
                return Err(Fault::field(
                    "trailer station",
                    format!("station id in trailer must be 1..{MAX_SOURCE_LEN} characters"),
                ));
            }
            tag.source = Some(station.to_string());
        } else if i + 1 == fields.len() && !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) {
            let secs: i64 = f.parse().map_err(|_| {
                Fault::field("trailer time", format!("trailer time {f:?} out of range"))
            })?;
            tag.time_ms = Some(secs.saturating_mul(1000));
        }
    }
    Ok(tag)
}

fn digit(s: &str, what: &'static str) -> Result<u8, Fault> {
    match s.as_bytes() {
        [d @ b'0'..=b'9'] => Ok(d - b'0'),
        _ => Err(Fault::field(
            what,
            format!("{what} {s:?} is not a single digit"),
        )),
    }
}

/// XOR of the bytes between the start character and `*`.
pub fn checksum(body: &[u8]) -> u8 {
    body.iter().fold(0, |a, b| a ^ b)
}

fn verify_checksum(body: &[u8], cs: &[u8]) -> Result<(), Fault> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let given = match cs {
        [h, l] => hex(*h).zip(hex(*l)).map(|(h, l)| (h * 16 + l) as u8),
        _ => None,
    }
    .ok_or_else(|| {
        Fault::Syntax(format!(
            "malformed checksum {:?} (want two hex digits at the end)",
            String::from_utf8_lossy(cs)
        ))
    })?;
    let computed = checksum(body);
    if computed != given {
        return Err(Fault::Checksum(format!(
            "bad checksum: sentence says {given:02X}, computed {computed:02X}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_tag_block() {
        let line = format!(
            "{}!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A",
            TagBlock::write("rx1", 1_700_000_000)
        );
        let s = Sentence::parse(line.as_bytes()).unwrap();
        let t = s.tag.unwrap();
        assert_eq!(t.source.as_deref(), Some("rx1"));
        assert_eq!(t.time_ms, Some(1_700_000_000_000));
        assert_eq!(s.channel, Some('A'));
        assert_eq!(s.fragment_count, 1);
        assert!(!s.own_ship);
    }

    #[test]
    fn tag_time_in_milliseconds() {
        let body = b"c:1700000000123";
        let inner = format!("c:1700000000123*{:02X}", checksum(body));
        let t = TagBlock::parse(inner.as_bytes()).unwrap();
        assert_eq!(t.time_ms, Some(1_700_000_000_123));
    }

    /// Receivers' own fields, empty fields and an overlong source do not cost the sentence.
    #[test]
    fn unknown_and_empty_tag_block_fields_are_skipped() {
        let long = "r".repeat(80);
        for (body, source) in [
            (
                "s:rORBCOMM000,q:u,c:1700000000,T:2023-11-14 22.13.20",
                Some("rORBCOMM000"),
            ),
            ("c:1700000000,i:<T>A:1 B:2</T>,x:1", None),
            ("c:1700000000,", None),
            ("s:,c:1700000000", None),
            (
                &format!("s:{long},c:1700000000"),
                Some(&long[..MAX_SOURCE_LEN]),
            ),
        ] {
            let inner = format!("{body}*{:02X}", checksum(body.as_bytes()));
            let t = TagBlock::parse(inner.as_bytes()).unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(t.time_ms, Some(1_700_000_000_000), "{body}");
            assert_eq!(t.source.as_deref(), source, "{body}");
        }
        // Still refused: a field without a key, a time that is not one, a bad checksum.
        for body in ["c:1700000000,junk", "c:17e8", "c:"] {
            let inner = format!("{body}*{:02X}", checksum(body.as_bytes()));
            assert!(TagBlock::parse(inner.as_bytes()).is_err(), "{body}");
        }
        assert!(TagBlock::parse(b"c:1700000000*00").is_err());
    }

    /// gpsd ignores what follows the checksum's two hex digits; so do we, and say what
    /// it was.
    #[test]
    fn characters_after_the_checksum_are_kept_aside() {
        let good = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A";
        for trailer in ["\\x0d\\x0a", "junk", "*7F", " x"] {
            let line = format!("{good}{trailer}");
            let s = Sentence::parse(line.as_bytes()).unwrap();
            assert_eq!(s.trailer.as_deref(), Some(trailer));
            assert_eq!(s.payload, "15RTgt0PAso;90TKcjM8h6g208CQ");
        }
        assert_eq!(Sentence::parse(good.as_bytes()).unwrap().trailer, None);
        // Trailing whitespace is the line's end, not a trailer.
        let s = Sentence::parse(format!("{good} \r").as_bytes()).unwrap();
        assert_eq!(s.trailer, None);
        // The checksum still has to be right.
        assert!(Sentence::parse(b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4Bjunk").is_err());
    }

    #[test]
    fn rejects() {
        let bad: &[&[u8]] = &[
            b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B", // checksum
            b"!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0",    // no checksum
            b"AIVDM,2,2,1,B,00000000000,2*26",                  // no '!'
            b"!GPGGA,1,1,,A,15RT,0*00",
            b"\\s:x*00\\!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A",
            b"\\s:x",
            b"",
            b"!",
            b"!*",
        ];
        for b in bad {
            assert!(
                Sentence::parse(b).is_err(),
                "{:?}",
                String::from_utf8_lossy(b)
            );
        }
    }
}
