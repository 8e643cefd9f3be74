//! The CoT stage: one audience's picture as TAK events, rendered once per listener.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use biac_model::{AlertState, Subject, TimeMs, Track};
use biac_runtime::Picture;

use super::cot_events::{self as events, emit, Outgoing};
use super::table::{Exit, Items, Table};
use super::Stage;
use crate::guard::{self, Egress, Labelled};

/// One or more rendered events (a track's state; a withdrawal's two events), every one
/// released by the guard for the stage's subject.
#[derive(Debug)]
pub struct CotItem {
    /// Legacy XML frames, one after the other.
    xml: Box<[u8]>,
    /// Where each event's XML (without its declaration) lies in `xml`.
    events: Vec<(usize, usize)>,
    /// The TAK protocol v1 frames and their count, rendered for the first client that
    /// negotiated v1 (an event that does not convert is left out, as it always was).
    proto: OnceLock<(Box<[u8]>, u64)>,
}

impl CotItem {
    /// The events of `outs` the guard releases; `None` when it releases none.
    fn render(egress: &Egress, outs: &[Outgoing]) -> Option<CotItem> {
        let mut xml = Vec::new();
        let mut spans = Vec::with_capacity(outs.len());
        for out in outs {
            let Some(out) = emit(egress, out) else {
                continue;
            };
            xml.extend_from_slice(events::XML_DECL);
            let start = xml.len();
            xml.extend_from_slice(out.event.to_xml().as_bytes());
            spans.push((start, xml.len()));
        }
        (!spans.is_empty()).then(|| CotItem {
            xml: xml.into_boxed_slice(),
            events: spans,
            proto: OnceLock::new(),
        })
    }

    fn proto(&self) -> &(Box<[u8]>, u64) {
        self.proto.get_or_init(|| {
            let mut out = Vec::new();
            let mut n = 0;
            for &(a, b) in &self.events {
                match events::proto_frame_of_xml(&self.xml[a..b]) {
                    Ok(f) => {
                        out.extend_from_slice(&f);
                        n += 1;
                    }
                    Err(e) => tracing::error!(error = %e,
                        "CoT event not convertible to TAK protocol"),
                }
            }
            (out.into_boxed_slice(), n)
        })
    }

    /// Append this item in the client's framing; the number of events appended.
    pub fn write(&self, proto: bool, buf: &mut Vec<u8>) -> u64 {
        if proto {
            let (b, n) = self.proto();
            buf.extend_from_slice(b);
            *n
        } else {
            buf.extend_from_slice(&self.xml);
            self.events.len() as u64
        }
    }
}

/// A track that left the released picture (or that the guard stopped releasing).
#[derive(Debug)]
pub struct CotTombstone {
    pub id: u64,
    /// The snapshot it first appeared in (this time).
    pub added_at: u64,
    /// The first snapshot without it.
    pub removed_at: u64,
    /// Its withdrawal: its last state, stale now, then `t-x-d-d`.
    pub item: CotItem,
}

/// Bytes shared by every client that writes the same thing for a snapshot.
#[derive(Debug, Default)]
pub struct Batch {
    pub bytes: Vec<u8>,
    pub events: u64,
}

/// One publication of a CoT stage.
#[derive(Debug)]
pub struct CotSnapshot {
    /// Who every item was released for.
    pub subject: Subject,
    pub seq: u64,
    /// The `seq` of the snapshot before it (`None`: the stage's first).
    pub prev: Option<u64>,
    /// The released tracks in id order, with the `seq` each last changed at.
    items: Items<CotItem>,
    /// Withdrawals some client may still owe.
    pub(super) tombstones: Vec<Arc<CotTombstone>>,
    /// Alert events, the latest of each episode, with the `seq` each was rendered at.
    alerts: Vec<(u64, Arc<CotItem>)>,
    /// Shared batches: [since prev XML, since prev v1, everything XML, everything v1].
    shared: [OnceLock<Batch>; 4],
}

impl CotSnapshot {
    /// Released tracks in this snapshot.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.len() == 0
    }

    /// Append what a client that consumed snapshot `since` (`None`: nothing yet) has not
    /// been sent: the tracks changed since, then the withdrawals of the tracks it was
    /// sent that are gone. The number of events appended.
    pub fn write_since(&self, since: Option<u64>, proto: bool, buf: &mut Vec<u8>) -> u64 {
        let mut n = 0;
        for (changed_at, item) in self.items.iter() {
            if since.is_none_or(|s| *changed_at > s) {
                n += item.write(proto, buf);
            }
        }
        for (at, item) in &self.alerts {
            if since.is_none_or(|s| *at > s) {
                n += item.write(proto, buf);
            }
        }
        if let Some(s) = since {
            for t in &self.tombstones {
                if t.added_at <= s && s < t.removed_at {
                    n += t.item.write(proto, buf);
                }
            }
        }
        n
    }

    /// The batch shared by every client at `since`, when there is one: clients that
    /// consumed the previous snapshot and clients that consumed none. Rendered by the
    /// first client that asks.
    pub fn shared(&self, since: Option<u64>, proto: bool) -> Option<&Batch> {
        let i = match since {
            None => 2,
            Some(s) if Some(s) == self.prev => 0,
            Some(_) => return None,
        } + usize::from(proto);
        Some(self.shared[i].get_or_init(|| {
            let mut bytes = Vec::new();
            let events = self.write_since(since, proto, &mut bytes);
            Batch { bytes, events }
        }))
    }
}

/// The CoT stage of one audience at one listener.
pub struct CotStage {
    egress: Egress,
    uid_prefix: String,
    stale_ms: i64,
    refresh_ms: i64,
    /// The last published `seq` (0: none yet).
    seq: u64,
    table: Table<CotItem>,
    tombstones: HashMap<u64, Arc<CotTombstone>>,
    /// The ids of the alerts in the last picture seen: the others are new.
    alert_ids: HashSet<String>,
    /// Per alert uid (episode): the `seq` its latest event was rendered at, the event,
    /// and whether the episode is over.
    alert_items: HashMap<String, (u64, Arc<CotItem>, bool)>,
}

/// Alert events kept per stage: open episodes, and closed ones until every client has
/// been sent their close.
const MAX_ALERT_ITEMS: usize = 1_000;

impl CotStage {
    /// The stage for `egress` (subject and listener), its tracks named with `uid_prefix`
    /// (`biac-<AUDIENCE>`), with the listener's stale and refresh times.
    pub fn new(egress: Egress, uid_prefix: String, stale_ms: i64, refresh_ms: i64) -> Self {
        CotStage {
            egress,
            uid_prefix,
            stale_ms,
            refresh_ms,
            seq: 0,
            table: Table::default(),
            tombstones: HashMap::new(),
            alert_ids: HashSet::new(),
            alert_items: HashMap::new(),
        }
    }

    pub fn subject(&self) -> Subject {
        self.egress.subject
    }

    /// Render the picture's new alerts (each through the guard, as tracks are); whether
    /// anything changed. An episode's later alert replaces its earlier one under the same
    /// uid; a closed episode is forgotten once every client has consumed its close.
    fn step_alerts(&mut self, picture: &Picture, now: TimeMs, next: u64, keep_after: u64) -> bool {
        let mut changed = false;
        let mut ids = HashSet::with_capacity(picture.alerts.len());
        for a in &picture.alerts {
            let id = a.audit_object().1;
            if !self.alert_ids.contains(&id) {
                let out = events::alert(&self.uid_prefix, a, now);
                if let Some(item) = CotItem::render(&self.egress, std::slice::from_ref(&out)) {
                    let closed = a.state != AlertState::Open && a.state != AlertState::Update;
                    self.alert_items
                        .insert(out.event.uid, (next, Arc::new(item), closed));
                    changed = true;
                }
            }
            ids.insert(id);
        }
        self.alert_ids = ids;
        self.alert_items
            .retain(|_, (at, _, closed)| !*closed || *at > keep_after);
        if self.alert_items.len() > MAX_ALERT_ITEMS {
            let mut ats: Vec<u64> = self.alert_items.values().map(|(at, _, _)| *at).collect();
            ats.sort_unstable();
            let cut = ats[ats.len() - MAX_ALERT_ITEMS];
            self.alert_items.retain(|_, (at, _, _)| *at >= cut);
        }
        changed
    }
}

impl Stage for CotStage {
    type Snapshot = CotSnapshot;

    fn step(
        &mut self,
        picture: &Picture,
        _new_generation: bool,
        now: TimeMs,
        keep_after: u64,
    ) -> Option<Arc<CotSnapshot>> {
        let next = self.seq + 1;
        let CotStage {
            egress,
            uid_prefix,
            stale_ms,
            refresh_ms,
            table,
            tombstones,
            ..
        } = self;
        let walk = table.walk(
            &picture.tracks,
            now,
            next,
            &mut Exit {
                refresh_ms: Some(*refresh_ms),
                release: |t: &Track| guard::release(egress, t).is_some(),
                render: |t: &Track| {
                    let outs = events::track_events(uid_prefix, t, now, *stale_ms);
                    CotItem::render(egress, &outs)
                },
                // Every rendering carries its own times.
                same: |_: &CotItem, _: &CotItem| false,
            },
        );
        for id in &walk.added {
            tombstones.remove(id);
        }
        for c in walk.gone {
            let outs = events::withdrawal(uid_prefix, &c.track, now);
            let Some(item) = CotItem::render(egress, &outs) else {
                continue;
            };
            tombstones.insert(
                c.track.id,
                Arc::new(CotTombstone {
                    id: c.track.id,
                    added_at: c.added_at,
                    removed_at: next,
                    item,
                }),
            );
        }
        tombstones.retain(|_, t| t.removed_at > keep_after);
        let alerts_changed = self.step_alerts(picture, now, next, keep_after);
        if !walk.changed && !alerts_changed && self.seq > 0 {
            return None;
        }
        let mut alerts: Vec<(u64, Arc<CotItem>)> = self
            .alert_items
            .values()
            .map(|(at, item, _)| (*at, item.clone()))
            .collect();
        alerts.sort_unstable_by_key(|(at, _)| *at);
        let (table, tombstones) = (&self.table, &self.tombstones);
        let mut tombs: Vec<Arc<CotTombstone>> = tombstones.values().cloned().collect();
        tombs.sort_unstable_by_key(|t| (t.removed_at, t.id));
        let prev = (self.seq > 0).then_some(self.seq);
        self.seq = next;
        Some(Arc::new(CotSnapshot {
            subject: self.egress.subject,
            seq: next,
            prev,
            items: table.items(),
            tombstones: tombs,
            alerts,
            shared: Default::default(),
        }))
    }

    fn tick(&self) -> Option<Duration> {
        Some(Duration::from_millis((self.refresh_ms / 4).max(100) as u64))
    }
}
