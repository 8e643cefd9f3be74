//! An audience's picture on the bus as keyframes and deltas: a keyframe (the whole picture,
//! in parts of at most [`PART_TRACKS`] tracks so that no message nears the server's payload
//! limit) every [`KEYFRAME_EVERY`], and in between only the tracks that changed. A reader
//! starts at the latest keyframe and applies each delta on top of exactly the generation it
//! was computed from; one it cannot place (a lost message, a node taking the audience over)
//! is ignored until the next keyframe. Pure: the publishing and reading are in [`crate::Bus`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use biac_model::{TimeMs, Track};
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use crate::codec::{PictureDelta, PictureMsg};

/// Tracks per keyframe part at most (a track is ~0.5 kB of JSON); a part that would still
/// exceed three quarters of the server's payload limit is split further.
pub const PART_TRACKS: usize = 1_000;
/// A whole picture at least this often, so that a reader that starts (or lost a delta)
/// is current within it; also the shortest the picture stream may keep messages.
pub const KEYFRAME_EVERY: Duration = Duration::from_secs(5);
/// A change this large goes as a keyframe: it would cost as much, and a keyframe can be split
/// (a delta is one message).
pub const MAX_DELTA_TRACKS: usize = PART_TRACKS;

/// The publisher's view of one publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub epoch: u64,
    pub generation: u64,
    pub time_ms: TimeMs,
    pub obs_seq: u64,
}

/// The tracks of `next` that are new or differ from `prev`, and the ids of `prev`'s tracks
/// that `next` lacks. Both sorted by id; a track unchanged is usually the same `Arc`.
pub fn diff(prev: &[Arc<Track>], next: &[Arc<Track>]) -> (Vec<Arc<Track>>, Vec<u64>) {
    let (mut upserts, mut removed) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < prev.len() || j < next.len() {
        match (prev.get(i), next.get(j)) {
            (Some(p), Some(n)) if p.id == n.id => {
                if !Arc::ptr_eq(p, n) && p != n {
                    upserts.push(n.clone());
                }
                i += 1;
                j += 1;
            }
            (Some(p), Some(n)) if p.id < n.id => {
                removed.push(p.id);
                i += 1;
            }
            (Some(p), None) => {
                removed.push(p.id);
                i += 1;
            }
            (_, Some(n)) => {
                upserts.push(n.clone());
                j += 1;
            }
            (None, None) => unreachable!("the loop's condition"),
        }
    }
    (upserts, removed)
}

struct Tracks<'a>(&'a [Arc<Track>]);

impl Serialize for Tracks<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for t in self.0 {
            seq.serialize_element(&**t)?;
        }
        seq.end()
    }
}

/// [`PictureMsg`]'s encoding from shared tracks (no copy of them).
#[derive(Serialize)]
struct KeyOut<'a> {
    audience: &'a str,
    epoch: u64,
    time_ms: TimeMs,
    generation: u64,
    obs_seq: u64,
    part: u32,
    last: bool,
    first_seq: u64,
    tracks: Tracks<'a>,
}

/// Part `part` of a keyframe: its first tracks of `rest` (at most [`PART_TRACKS`], fewer
/// while the encoding exceeds `limit` bytes) and how many it took. `first_seq` is the stream
/// sequence of part 0 (0 in part 0 itself).
pub fn next_part(
    audience: &str,
    h: &Head,
    part: u32,
    first_seq: u64,
    rest: &[Arc<Track>],
    limit: usize,
) -> (Vec<u8>, usize) {
    let mut n = rest.len().min(PART_TRACKS);
    loop {
        let b = encode_part(audience, h, (part, n == rest.len()), first_seq, &rest[..n]);
        if b.len() <= limit || n <= 1 {
            return (b, n);
        }
        n /= 2;
    }
}

fn encode_part(
    audience: &str,
    h: &Head,
    (part, last): (u32, bool),
    first_seq: u64,
    tracks: &[Arc<Track>],
) -> Vec<u8> {
    serde_json::to_vec(&KeyOut {
        audience,
        epoch: h.epoch,
        time_ms: h.time_ms,
        generation: h.generation,
        obs_seq: h.obs_seq,
        part,
        last,
        first_seq,
        tracks: Tracks(tracks),
    })
    .expect("a keyframe serialises")
}

#[derive(Serialize)]
struct DeltaOut<'a> {
    audience: &'a str,
    epoch: u64,
    base: u64,
    generation: u64,
    time_ms: TimeMs,
    obs_seq: u64,
    upserts: Tracks<'a>,
    removed: &'a [u64],
}

/// [`PictureDelta`]'s encoding from shared tracks.
pub fn encode_delta(
    audience: &str,
    h: &Head,
    base: u64,
    upserts: &[Arc<Track>],
    removed: &[u64],
) -> Vec<u8> {
    serde_json::to_vec(&DeltaOut {
        audience,
        epoch: h.epoch,
        base,
        generation: h.generation,
        time_ms: h.time_ms,
        obs_seq: h.obs_seq,
        upserts: Tracks(upserts),
        removed,
    })
    .expect("a delta serialises")
}

/// One message of an audience's picture stream.
#[derive(Debug, Clone, PartialEq)]
pub enum PictureEvent {
    Key(PictureMsg),
    Delta(PictureDelta),
}

/// A keyframe being read part by part.
struct Pending {
    epoch: u64,
    generation: u64,
    next: u32,
    tracks: Vec<Track>,
}

/// An audience's picture rebuilt from its keyframes and deltas.
#[derive(Default)]
pub struct Assembler {
    epoch: u64,
    /// None until a whole keyframe was read.
    generation: Option<u64>,
    time_ms: TimeMs,
    obs_seq: u64,
    tracks: BTreeMap<u64, Arc<Track>>,
    pending: Option<Pending>,
}

/// The picture as an [`Assembler`] holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Assembled {
    pub generation: u64,
    pub time_ms: TimeMs,
    pub obs_seq: u64,
    /// Sorted by id; a track unchanged by the last message is the same `Arc` as before.
    pub tracks: Vec<Arc<Track>>,
}

impl Assembler {
    /// Applies one message; true when the picture changed.
    pub fn apply(&mut self, e: PictureEvent) -> bool {
        match e {
            PictureEvent::Key(k) => self.key(k),
            PictureEvent::Delta(d) => self.delta(d),
        }
    }

    fn key(&mut self, k: PictureMsg) -> bool {
        if k.epoch < self.epoch {
            return false;
        }
        if k.part == 0 {
            self.pending = Some(Pending {
                epoch: k.epoch,
                generation: k.generation,
                next: 0,
                tracks: Vec::new(),
            });
        }
        let Some(p) = self.pending.as_mut() else {
            return false;
        };
        if (p.epoch, p.generation, p.next) != (k.epoch, k.generation, k.part) {
            self.pending = None;
            return false;
        }
        p.next += 1;
        p.tracks.extend(k.tracks);
        if !k.last {
            return false;
        }
        let p = self.pending.take().expect("just read");
        let mut tracks = BTreeMap::new();
        for t in p.tracks {
            // Keep the shared track where nothing changed (readers compare pointers first).
            let t = match self.tracks.remove(&t.id) {
                Some(old) if *old == t => old,
                _ => Arc::new(t),
            };
            tracks.insert(t.id, t);
        }
        self.tracks = tracks;
        self.epoch = p.epoch;
        self.generation = Some(p.generation);
        self.time_ms = k.time_ms;
        self.obs_seq = k.obs_seq;
        true
    }

    fn delta(&mut self, d: PictureDelta) -> bool {
        if d.epoch != self.epoch || self.generation != Some(d.base) {
            return false;
        }
        for id in d.removed {
            self.tracks.remove(&id);
        }
        for t in d.upserts {
            self.tracks.insert(t.id, Arc::new(t));
        }
        self.generation = Some(d.generation);
        self.time_ms = d.time_ms;
        self.obs_seq = d.obs_seq;
        true
    }

    /// The picture, once a whole keyframe was read.
    pub fn picture(&self) -> Option<Assembled> {
        Some(Assembled {
            generation: self.generation?,
            time_ms: self.time_ms,
            obs_seq: self.obs_seq,
            tracks: self.tracks.values().cloned().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{decode_delta, decode_picture};
    use biac_label::{Label, Nation};
    use biac_model::{Position, Velocity};

    fn track(id: u64, lat: f64) -> Arc<Track> {
        Arc::new(
            Track::new(
                id,
                1_000,
                Position::new(lat, 139.0),
                Label::unclassified_public(Nation::parse("USA").unwrap()),
            )
            .with_velocity(Velocity::from_sog_cog(5.0, 90.0))
            .with_cov([400.0, 0.0, 400.0])
            .with_source("feed", 0),
        )
    }

    fn head(epoch: u64, generation: u64) -> Head {
        Head {
            epoch,
            generation,
            time_ms: generation as i64 * 1_000,
            obs_seq: generation,
        }
    }

    /// The keyframe's parts as a reader decodes them.
    fn key_events(epoch: u64, generation: u64, tracks: &[Arc<Track>]) -> Vec<PictureEvent> {
        let mut out = Vec::new();
        let mut rest = tracks;
        loop {
            let h = head(epoch, generation);
            let (b, n) = next_part("USA-SECRET", &h, out.len() as u32, 7, rest, 1 << 20);
            rest = &rest[n..];
            out.push(PictureEvent::Key(decode_picture(&b).unwrap()));
            if rest.is_empty() {
                return out;
            }
        }
    }

    fn delta_event(
        epoch: u64,
        base: u64,
        generation: u64,
        prev: &[Arc<Track>],
        next: &[Arc<Track>],
    ) -> PictureEvent {
        let (up, rm) = diff(prev, next);
        let b = encode_delta("USA-SECRET", &head(epoch, generation), base, &up, &rm);
        PictureEvent::Delta(decode_delta(&b).unwrap())
    }

    fn values(a: &Assembler) -> Vec<Track> {
        a.picture()
            .unwrap()
            .tracks
            .iter()
            .map(|t| (**t).clone())
            .collect()
    }

    #[test]
    fn diff_lists_the_new_the_changed_and_the_gone() {
        let (a, b, c) = (track(1, 30.0), track(2, 31.0), track(3, 32.0));
        let b2 = track(2, 31.5);
        let same_value_new_arc = track(3, 32.0);
        let d = track(4, 33.0);
        let (up, rm) = diff(&[a, b, c], &[b2.clone(), same_value_new_arc, d.clone()]);
        assert_eq!(up, vec![b2, d]);
        assert_eq!(rm, vec![1]);
        assert_eq!(diff(&[], &[]), (vec![], vec![]));
    }

    #[test]
    fn a_reader_rebuilds_the_picture_from_a_keyframe_in_parts_and_deltas() {
        let first: Vec<_> = (0..(2 * PART_TRACKS as u64 + 5))
            .map(|i| track(i, 30.0))
            .collect();
        let mut a = Assembler::default();
        let keys = key_events(3, 10, &first);
        assert_eq!(keys.len(), 3);
        let n = keys.len();
        for (i, k) in keys.into_iter().enumerate() {
            assert_eq!(a.apply(k), i == n - 1, "complete only with the last part");
        }
        assert_eq!(values(&a).len(), first.len());
        // A delta on top of generation 10: one moved, one gone, one new.
        let mut second = first.clone();
        second[0] = track(0, 35.0);
        second.remove(1);
        second.push(track(99_999, 1.0));
        let kept = a.picture().unwrap().tracks[2].clone();
        assert!(a.apply(delta_event(3, 10, 11, &first, &second)));
        let p = a.picture().unwrap();
        assert_eq!(p.generation, 11);
        let want: Vec<Track> = second.iter().map(|t| (**t).clone()).collect();
        assert_eq!(values(&a), want);
        assert!(
            Arc::ptr_eq(&p.tracks[1], &kept),
            "unchanged tracks stay shared"
        );
    }

    #[test]
    fn a_delta_that_does_not_follow_waits_for_the_next_keyframe() {
        let g1: Vec<_> = (0..3).map(|i| track(i, 30.0)).collect();
        let g2: Vec<_> = (0..3).map(|i| track(i, 31.0)).collect();
        let g3: Vec<_> = (0..4).map(|i| track(i, 32.0)).collect();
        let mut a = Assembler::default();
        // Nothing before a keyframe.
        assert!(!a.apply(delta_event(1, 1, 2, &g1, &g2)));
        assert!(a.picture().is_none());
        for k in key_events(1, 1, &g1) {
            a.apply(k);
        }
        // Generation 2's delta was lost: 3's (on top of 2) is not applied.
        assert!(!a.apply(delta_event(1, 2, 3, &g2, &g3)));
        assert_eq!(a.picture().unwrap().generation, 1);
        // A node that lost the audience (a lower epoch) is not heard once a newer one was.
        for k in key_events(2, 40, &g3) {
            a.apply(k);
        }
        assert_eq!(a.picture().unwrap().generation, 40);
        assert!(!a.apply(delta_event(1, 40, 41, &g3, &g1)));
        for k in key_events(1, 50, &g1) {
            assert!(!a.apply(k));
        }
        assert_eq!(values(&a).len(), 4);
    }

    #[test]
    fn a_part_is_split_until_it_fits_the_limit() {
        let tracks: Vec<_> = (0..100).map(|i| track(i, 30.0)).collect();
        let one = encode_part("USA-SECRET", &head(1, 1), (0, false), 0, &tracks[..1]).len();
        let (b, n) = next_part("USA-SECRET", &head(1, 1), 0, 0, &tracks, one * 30);
        assert!(
            b.len() <= one * 30 && (12..30).contains(&n),
            "{n} tracks, {} bytes",
            b.len()
        );
        assert!(!decode_picture(&b).unwrap().last);
        let (b, n) = next_part("USA-SECRET", &head(1, 1), 3, 0, &tracks[90..], 1 << 20);
        let k = decode_picture(&b).unwrap();
        assert!(k.last && n == 10 && k.part == 3);
    }

    #[test]
    fn parts_of_two_keyframes_mixed_are_not_assembled() {
        let big: Vec<_> = (0..(PART_TRACKS as u64 + 1))
            .map(|i| track(i, 30.0))
            .collect();
        let k1 = key_events(1, 1, &big);
        let k2 = key_events(1, 2, &big);
        let mut a = Assembler::default();
        assert!(!a.apply(k1[0].clone()));
        assert!(!a.apply(k2[1].clone()));
        assert!(a.picture().is_none());
        assert!(
            !a.apply(k1[1].clone()),
            "the first part was dropped with the mix"
        );
        assert!(a.picture().is_none());
        // An empty picture is one part with no tracks.
        for k in key_events(1, 3, &[]) {
            assert!(a.apply(k));
        }
        assert_eq!(a.picture().unwrap().tracks.len(), 0);
    }
}
