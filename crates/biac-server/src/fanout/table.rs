//! What a stage remembers of the tracks it released, and the walk that brings it up to
//! a new picture: the bookkeeping the CoT and WebSocket stages share.
//!
//! Publishing every 20 ms at 10,000 tracks, every generation is walked and few of its
//! tracks changed, so the walk is kept to sequential reads: the table is a vector sorted
//! by id, like the picture (see [`Picture::tracks`](biac_runtime::Picture)); a track
//! that is the very `Arc` released before (decided recently, no refresh due) is
//! recognised by its pointer alone — no dereference, no hashing, no reference count
//! touched. The snapshot's items are shared in chunks of 32 ids, so an unchanged
//! chunk is one reference count, not one per track (on a busy server each of those was
//! a cache miss, and they were most of a generation's cost).

use std::sync::Arc;

use biac_model::{TimeMs, Track};

/// Track ids per chunk of items: 2^CHUNK_BITS.
const CHUNK_BITS: u32 = 5;

/// The items of the released tracks whose ids fall in one 32-id range, in id
/// order, each with the `seq` it last changed at.
type Chunk<I> = Arc<[(u64, Arc<I>)]>;

/// A released track.
pub(super) struct Cur<I> {
    pub id: u64,
    /// Its last released value, shared with the picture it came from.
    pub track: Arc<Track>,
    /// When it was last rendered (for refreshes).
    pub at_ms: TimeMs,
    /// When the guard last decided on it.
    pub checked_ms: TimeMs,
    /// The snapshot it appeared in, and the one its rendering last changed in.
    pub added_at: u64,
    pub changed_at: u64,
    pub item: Arc<I>,
}

/// Every released track's item, in id order: a snapshot's view of the table.
pub(super) struct Items<I> {
    chunks: Vec<Chunk<I>>,
    len: usize,
}

impl<I> Items<I> {
    pub fn len(&self) -> usize {
        self.len
    }

    /// `(seq it last changed at, item)`, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &(u64, Arc<I>)> {
        self.chunks.iter().flat_map(|c| c.iter())
    }
}

impl<I> std::fmt::Debug for Items<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Items({} in {} chunks)", self.len, self.chunks.len())
    }
}

/// The outcome of one walk.
pub(super) struct Walk<I> {
    /// Tracks released before and not now (gone from the picture, or refused by the
    /// guard), in id order: the stage writes their withdrawals.
    pub gone: Vec<Cur<I>>,
    /// Ids released now and not before.
    pub added: Vec<u64>,
    /// Whether any item changed, appeared or went.
    pub changed: bool,
    /// Whether the set of released labels may have changed (a track came or went, or
    /// one was released with a different label).
    pub labels_changed: bool,
}

/// How an exit decides and renders.
pub(super) struct Exit<R, D, S> {
    /// Re-render an unchanged track this often (CoT: stale times move on), if at all.
    pub refresh_ms: Option<TimeMs>,
    /// The guard: may this track leave here?
    pub release: R,
    /// Render a released track (`None`: withheld, e.g. the audit log refused; the old
    /// item stays and the next step tries again).
    pub render: D,
    /// Whether a new rendering says the same as the old one (kept, with its `seq`).
    pub same: S,
}

/// The released tracks, sorted by id, and their items in chunks.
pub(super) struct Table<I> {
    curs: Vec<Cur<I>>,
    /// `(chunk key, chunk)`, by key.
    chunks: Vec<(u64, Chunk<I>)>,
}

impl<I> Default for Table<I> {
    fn default() -> Self {
        Table {
            curs: Vec::new(),
            chunks: Vec::new(),
        }
    }
}

impl<I> Table<I> {
    /// The tracks released by the last walk, by id.
    pub fn released(&self) -> impl Iterator<Item = &Arc<Track>> {
        self.curs.iter().map(|c| &c.track)
    }

    /// The items after the last walk.
    pub fn items(&self) -> Items<I> {
        Items {
            chunks: self.chunks.iter().map(|(_, c)| c.clone()).collect(),
            len: self.curs.len(),
        }
    }

    /// Bring the table up to `tracks` (sorted by id) at `now`; `next` is the `seq` the
    /// resulting snapshot will have.
    pub fn walk<R, D, S>(
        &mut self,
        tracks: &[Arc<Track>],
        now: TimeMs,
        next: u64,
        exit: &mut Exit<R, D, S>,
    ) -> Walk<I>
    where
        R: FnMut(&Track) -> bool,
        D: FnMut(&Track) -> Option<I>,
        S: Fn(&I, &I) -> bool,
    {
        debug_assert!(
            tracks.windows(2).all(|w| w[0].id < w[1].id),
            "a picture's tracks are sorted by id"
        );
        let mut out = Walk {
            gone: Vec::new(),
            added: Vec::new(),
            changed: false,
            labels_changed: false,
        };
        // Chunk keys whose items changed, ascending (with repeats).
        let mut dirty: Vec<u64> = Vec::new();
        let fresh = |c: &Cur<I>| {
            now - c.checked_ms < super::RECHECK_MS
                && exit.refresh_ms.is_none_or(|r| now - c.at_ms < r)
        };
        let mut old = std::mem::take(&mut self.curs).into_iter().peekable();
        let mut curs = Vec::with_capacity(tracks.len());
        for t in tracks {
            // The very value released before, its guard decision recent (within half
            // the audit coalescing window, so asking again would audit nothing) and no
            // refresh due: kept as it is, recognised by pointer.
            if let Some(c) = old.next_if(|c| Arc::ptr_eq(&c.track, t) && fresh(c)) {
                curs.push(c);
                continue;
            }
            let id = t.id;
            while let Some(c) = old.next_if(|c| c.id < id) {
                dirty.push(c.id >> CHUNK_BITS);
                out.gone.push(c);
            }
            let prev = old.next_if(|c| c.id == id);
            // Unchanged after all (the head was a track that left): as above.
            let prev = match prev {
                Some(c) if Arc::ptr_eq(&c.track, t) && fresh(&c) => {
                    curs.push(c);
                    continue;
                }
                prev => prev,
            };
            if !(exit.release)(t) {
                if let Some(c) = prev {
                    dirty.push(id >> CHUNK_BITS);
                    out.gone.push(c);
                }
                continue;
            }
            match prev {
                Some(mut c) => {
                    c.checked_ms = now;
                    let due = exit.refresh_ms.is_some_and(|r| now - c.at_ms >= r);
                    if *c.track != **t || due {
                        if let Some(item) = (exit.render)(t) {
                            if due || !(exit.same)(&c.item, &item) {
                                c.item = Arc::new(item);
                                c.changed_at = next;
                                out.changed = true;
                                dirty.push(id >> CHUNK_BITS);
                            }
                            out.labels_changed |= c.track.label != t.label;
                            c.track = t.clone();
                            c.at_ms = now;
                        }
                    } else {
                        c.track = t.clone();
                    }
                    curs.push(c);
                }
                None => {
                    if let Some(item) = (exit.render)(t) {
                        out.added.push(id);
                        out.changed = true;
                        dirty.push(id >> CHUNK_BITS);
                        curs.push(Cur {
                            id,
                            track: t.clone(),
                            at_ms: now,
                            checked_ms: now,
                            added_at: next,
                            changed_at: next,
                            item: Arc::new(item),
                        });
                    }
                }
            }
        }
        for c in old {
            dirty.push(c.id >> CHUNK_BITS);
            out.gone.push(c);
        }
        out.changed |= !out.gone.is_empty();
        out.labels_changed |= !out.added.is_empty() || !out.gone.is_empty();
        self.curs = curs;
        dirty.sort_unstable();
        dirty.dedup();
        self.rechunk(&dirty);
        out
    }

    /// Rebuild the chunks named in `dirty` (sorted) from the table; keep the others.
    fn rechunk(&mut self, dirty: &[u64]) {
        if dirty.is_empty() {
            return;
        }
        let mut old = std::mem::take(&mut self.chunks).into_iter().peekable();
        let mut chunks = Vec::with_capacity(old.len() + 1);
        let mut i = 0;
        while i < self.curs.len() {
            let key = self.curs[i].id >> CHUNK_BITS;
            let end = i + self.curs[i..].partition_point(|c| c.id >> CHUNK_BITS == key);
            while old.next_if(|(k, _)| *k < key).is_some() {}
            let kept = old.next_if(|(k, _)| *k == key);
            match kept {
                Some(chunk) if dirty.binary_search(&key).is_err() => chunks.push(chunk),
                _ => chunks.push((
                    key,
                    self.curs[i..end]
                        .iter()
                        .map(|c| (c.changed_at, c.item.clone()))
                        .collect(),
                )),
            }
            i = end;
        }
        self.chunks = chunks;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use biac_model::{Label, Nation, Position, Velocity};

    fn track(id: u64, updates: u64) -> Arc<Track> {
        let label = Label::unclassified_public(Nation::JPN);
        Arc::new(
            Track::new(id, 0, Position::new(24.0, 125.0), label)
                .with_velocity(Velocity::from_sog_cog(0.0, 0.0))
                .with_domain(Default::default())
                .with_updates(updates),
        )
    }

    /// The guard's decision is a function of the track's value (as label and subject
    /// make it): here, every fourth update is refused.
    fn refused(t: &Track) -> bool {
        t.updates % 4 == 3
    }

    fn walk(t: &mut Table<u64>, p: &[Arc<Track>], next: u64) -> Walk<u64> {
        t.walk(
            p,
            0,
            next,
            &mut Exit {
                refresh_ms: None,
                release: |t: &Track| !refused(t),
                render: |t: &Track| Some(t.updates),
                same: |a: &u64, b: &u64| a == b,
            },
        )
    }

    /// Refreshes come due with time, a withheld rendering is retried at the next step,
    /// and the re-check of an unchanged track waits for its window.
    #[test]
    fn refreshes_and_withheld_renders_are_retried() {
        let mut table: Table<u64> = Table::default();
        let (a, b) = (track(1, 0), track(2, 0));
        let mut withhold = false;
        let guard_calls = std::cell::Cell::new(0);
        let step = |table: &mut Table<u64>, p: &[Arc<Track>], now, next, withhold: bool| {
            let mut calls = 0;
            let w = table.walk(
                p,
                now,
                next,
                &mut Exit {
                    refresh_ms: Some(1_000),
                    release: |_: &Track| {
                        calls += 1;
                        true
                    },
                    render: |t: &Track| (!withhold).then_some(t.updates * 1_000 + now as u64),
                    same: |_: &u64, _: &u64| false,
                },
            );
            guard_calls.set(guard_calls.get() + calls);
            w
        };
        let items = |t: &Table<u64>| t.items().iter().map(|(s, i)| (*s, **i)).collect::<Vec<_>>();
        step(&mut table, &[a.clone(), b.clone()], 0, 1, withhold);
        assert_eq!(items(&table), [(1, 0), (1, 0)]);
        // Same Arcs, no refresh due: nothing asked, nothing changed.
        let w = step(&mut table, &[a.clone(), b.clone()], 500, 2, withhold);
        assert!(!w.changed);
        assert_eq!(
            guard_calls.get(),
            2,
            "unchanged tracks are not decided again"
        );
        // Track 2 changes but its rendering is withheld: the old item stays ...
        withhold = true;
        let b1 = track(2, 1);
        let w = step(&mut table, &[a.clone(), b1.clone()], 600, 3, withhold);
        assert!(!w.changed);
        assert_eq!(items(&table), [(1, 0), (1, 0)]);
        // ... and the next step renders it.
        withhold = false;
        let w = step(&mut table, &[a.clone(), b1.clone()], 700, 4, withhold);
        assert!(w.changed);
        assert_eq!(items(&table), [(1, 0), (4, 1_700)]);
        // A refresh comes due for track 1 (rendered at 0); withheld, it is retried.
        let w = step(&mut table, &[a.clone(), b1.clone()], 1_000, 5, true);
        assert!(!w.changed);
        let w = step(&mut table, &[a.clone(), b1.clone()], 1_100, 6, false);
        assert!(w.changed);
        assert_eq!(items(&table), [(6, 1_100), (4, 1_700)]);
    }

    /// Random pictures (tracks come, go, change, are refused): after each walk the
    /// items are exactly the released tracks in id order with their latest rendering,
    /// and a chunk nothing changed in is the same allocation as before.
    #[test]
    fn items_follow_the_picture_and_unchanged_chunks_are_shared() {
        let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
        let mut rand = move |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let mut table = Table::default();
        let mut picture: Vec<Arc<Track>> = (0..300).map(|id| track(id, 0)).collect();
        for next in 1..200u64 {
            let before: Vec<(u64, Chunk<u64>)> = table.chunks.clone();
            let w = walk(&mut table, &picture, next);
            let want: Vec<u64> = picture
                .iter()
                .filter(|t| !refused(t))
                .map(|t| t.updates)
                .collect();
            let got: Vec<u64> = table.items().iter().map(|(_, i)| **i).collect();
            assert_eq!(got, want, "step {next}");
            assert_eq!(table.items().len(), want.len());
            let touched: Vec<u64> = w
                .added
                .iter()
                .copied()
                .chain(w.gone.iter().map(|c| c.id))
                .map(|id| id >> CHUNK_BITS)
                .collect();
            for (key, chunk) in &table.chunks {
                let old = before.iter().find(|(k, _)| k == key);
                if let Some((_, old)) = old {
                    let same = old.len() == chunk.len()
                        && old
                            .iter()
                            .zip(chunk.iter())
                            .all(|(a, b)| Arc::ptr_eq(&a.1, &b.1));
                    if same && !touched.contains(key) {
                        assert!(Arc::ptr_eq(old, chunk), "step {next}: chunk {key} rebuilt");
                    }
                }
            }
            // Change a few tracks, drop one, add one.
            for _ in 0..rand(12) {
                let i = rand(picture.len() as u64) as usize;
                let t = &picture[i];
                picture[i] = track(t.id, t.updates + 1);
            }
            if rand(3) == 0 && !picture.is_empty() {
                picture.remove(rand(picture.len() as u64) as usize);
            }
            if rand(3) == 0 {
                let id = rand(400);
                if let Err(i) = picture.binary_search_by_key(&id, |t| t.id) {
                    picture.insert(i, track(id, 0));
                }
            }
        }
    }
}
