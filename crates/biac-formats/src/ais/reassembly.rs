//! Multi-fragment reassembly, keyed by (channel, sequential message id).

use std::collections::VecDeque;

use biac_model::TimeMs;

use super::bits::{Bits, MAX_MESSAGE_BITS};
use super::nmea::{Sentence, TagBlock};
use crate::Fault;

/// Fragments of one message go out in consecutive slots (well under a second
/// apart); a receiver that lost the rest will never send it, so give up after this.
pub const FRAGMENT_TIMEOUT_MS: TimeMs = 10_000;
/// Messages being reassembled at once. The sequential id is one digit per channel,
/// so a sane feed never has more than ~40 open; the bound stops a hostile one from
/// growing memory.
pub const MAX_PENDING: usize = 64;

/// A complete message's bits and the metadata of its first fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assembled {
    pub bits: Bits,
    pub tag: Option<TagBlock>,
    pub channel: Option<char>,
    pub own_ship: bool,
}

struct Pending {
    channel: Option<char>,
    sequence_id: Option<u8>,
    total: u8,
    next: u8,
    payload: String,
    tag: Option<TagBlock>,
    own_ship: bool,
    started_ms: TimeMs,
}

/// Joins fragments into messages. Bounded in count and in age.
#[derive(Default)]
pub struct Reassembler {
    pending: VecDeque<Pending>,
}

impl Reassembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Messages currently awaiting fragments.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Add one sentence; a complete message is returned when this was its last part.
    pub fn push(&mut self, s: Sentence, now_ms: TimeMs) -> Result<Option<Assembled>, Fault> {
        // Drop stale partial messages (also when the clock went backwards).
        self.pending
            .retain(|p| now_ms.abs_diff(p.started_ms) <= FRAGMENT_TIMEOUT_MS as u64);

        if s.fragment_count == 1 {
            let bits = Bits::from_payload(s.payload.as_bytes(), s.fill_bits)?;
            return Ok(Some(Assembled {
                bits,
                tag: s.tag,
                channel: s.channel,
                own_ship: s.own_ship,
            }));
        }
        let pos = self
            .pending
            .iter()
            .position(|p| p.channel == s.channel && p.sequence_id == s.sequence_id);

        if s.fragment_number == 1 {
            if s.fill_bits != 0 {
                return Err(Fault::field(
                    "fill bits",
                    "fill bits on a fragment that is not the last",
                ));
            }
            // A new first fragment replaces an unfinished message with the same key:
            // the sender has moved on and the old one will never complete.
            if let Some(i) = pos {
                self.pending.remove(i);
            }
            if self.pending.len() >= MAX_PENDING {
                self.pending.pop_front();
            }
            self.pending.push_back(Pending {
                channel: s.channel,
                sequence_id: s.sequence_id,
                total: s.fragment_count,
                next: 2,
                payload: s.payload,
                tag: s.tag,
                own_ship: s.own_ship,
                started_ms: now_ms,
            });
            return Ok(None);
        }

        let Some(i) = pos else {
            return Err(Fault::Sequence(format!(
                "fragment {} of {} without its earlier fragments",
                s.fragment_number, s.fragment_count
            )));
        };
        let p = &mut self.pending[i];
        if p.total != s.fragment_count || p.next != s.fragment_number {
            let msg = format!(
                "fragment {} of {} out of sequence (expected {} of {})",
                s.fragment_number, s.fragment_count, p.next, p.total
            );
            self.pending.remove(i);
            return Err(Fault::Sequence(msg));
        }
        if (p.payload.len() + s.payload.len()) * 6 > MAX_MESSAGE_BITS + 5 {
            self.pending.remove(i);
            return Err(Fault::field(
                "payload",
                format!("reassembled message exceeds {MAX_MESSAGE_BITS} bits"),
            ));
        }
        if s.fragment_number < s.fragment_count && s.fill_bits != 0 {
            self.pending.remove(i);
            return Err(Fault::field(
                "fill bits",
                "fill bits on a fragment that is not the last",
            ));
        }
        p.payload.push_str(&s.payload);
        p.next += 1;
        if p.tag.is_none() {
            p.tag = s.tag;
        }
        if s.fragment_number < s.fragment_count {
            return Ok(None);
        }
        let p = self
            .pending
            .remove(i)
            .ok_or_else(|| Fault::Sequence("internal: pending message vanished".into()))?;
        let bits = Bits::from_payload(p.payload.as_bytes(), s.fill_bits)?;
        Ok(Some(Assembled {
            bits,
            tag: p.tag,
            channel: p.channel,
            own_ship: p.own_ship,
        }))
    }
}
