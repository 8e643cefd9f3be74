//! What a stage remembers of the tracks it released, and the walk that brings it up to
//! a new picture: the bookkeeping the CoT and WebSocket stages share.
//!
//! The table is a vector sorted by track id, like the picture (the tracker lists its
//! tracks by id), so a step is one merge walk: a track that is the very `Arc` released
//! before, decided recently and not due for a refresh costs a pointer comparison — no
//! hashing, no guard call, no rendering. Publishing every 20 ms at 10,000 tracks, the
//! walk is what every generation costs; the per-track work is kept with what changed.

use std::sync::Arc;

use biac_model::{TimeMs, Track};

/// A released track.
pub(super) struct Cur<I> {
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

/// The outcome of one walk.
pub(super) struct Walk<I> {
    /// Every released track's item in picture order, with the `seq` it changed at.
    pub items: Vec<(u64, Arc<I>)>,
    /// Tracks released before and not now (gone from the picture, or refused by the
    /// guard), in id order: the stage writes their withdrawals.
    pub gone: Vec<Cur<I>>,
    /// Ids released now and not before.
    pub added: Vec<u64>,
    /// Whether any item changed, appeared or went.
    pub changed: bool,
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

/// The released tracks, sorted by id.
pub(super) struct Table<I> {
    curs: Vec<Cur<I>>,
}

impl<I> Default for Table<I> {
    fn default() -> Self {
        Table { curs: Vec::new() }
    }
}

impl<I> Table<I> {
    /// The tracks released by the last walk, by id.
    pub fn released(&self) -> impl Iterator<Item = &Arc<Track>> {
        self.curs.iter().map(|c| &c.track)
    }

    /// Bring the table up to `tracks` at `now`; `next` is the `seq` the resulting
    /// snapshot will have.
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
        // Pictures come sorted by id; anything else is walked in id order all the same
        // and its items put back in picture order at the end.
        let sorted = tracks.windows(2).all(|w| w[0].id < w[1].id);
        let mut order: Vec<(usize, &Arc<Track>)> = tracks.iter().enumerate().collect();
        if !sorted {
            order.sort_by_key(|(_, t)| t.id);
            order.dedup_by_key(|(_, t)| t.id);
        }
        let mut positions = Vec::new();
        let mut out = Walk {
            items: Vec::with_capacity(order.len()),
            gone: Vec::new(),
            added: Vec::new(),
            changed: false,
        };
        let mut old = std::mem::take(&mut self.curs).into_iter().peekable();
        let mut curs = Vec::with_capacity(order.len());
        for (pos, t) in order {
            while let Some(c) = old.next_if(|c| c.track.id < t.id) {
                out.gone.push(c);
            }
            let prev = old.next_if(|c| c.track.id == t.id);
            let due = |c: &Cur<I>| exit.refresh_ms.is_some_and(|r| now - c.at_ms >= r);
            let cur = match prev {
                // The very value released before, its guard decision recent (within
                // half the audit coalescing window, so asking again would audit
                // nothing) and no refresh due: the same item.
                Some(c)
                    if Arc::ptr_eq(&c.track, t)
                        && now - c.checked_ms < super::RECHECK_MS
                        && !due(&c) =>
                {
                    Some(c)
                }
                prev => {
                    if !(exit.release)(t) {
                        out.gone.extend(prev);
                        continue;
                    }
                    match prev {
                        Some(mut c) => {
                            c.checked_ms = now;
                            let due = due(&c);
                            if *c.track != **t || due {
                                if let Some(item) = (exit.render)(t) {
                                    if due || !(exit.same)(&c.item, &item) {
                                        c.item = Arc::new(item);
                                        c.changed_at = next;
                                        out.changed = true;
                                    }
                                    c.track = t.clone();
                                }
                                c.at_ms = now;
                            } else {
                                c.track = t.clone();
                            }
                            Some(c)
                        }
                        None => (exit.render)(t).map(|item| {
                            out.added.push(t.id);
                            out.changed = true;
                            Cur {
                                track: t.clone(),
                                at_ms: now,
                                checked_ms: now,
                                added_at: next,
                                changed_at: next,
                                item: Arc::new(item),
                            }
                        }),
                    }
                }
            };
            if let Some(c) = cur {
                out.items.push((c.changed_at, c.item.clone()));
                if !sorted {
                    positions.push(pos);
                }
                curs.push(c);
            }
        }
        if !sorted {
            let mut by_pos: Vec<_> = positions.into_iter().zip(out.items).collect();
            by_pos.sort_by_key(|(p, _)| *p);
            out.items = by_pos.into_iter().map(|(_, i)| i).collect();
        }
        out.gone.extend(old);
        out.changed |= !out.gone.is_empty();
        self.curs = curs;
        out
    }
}
