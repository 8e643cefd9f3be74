//! The WebSocket stage: one audience's picture as GeoJSON features, rendered once.
//!
//! Messages are assembled from the features' JSON text as `serde_json` writes the
//! documented messages (`crate::ws`): the same keys in the same order, compact.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use biac_model::{Label, Subject, TimeMs, Track, TrackId};
use biac_runtime::Picture;
use serde_json::json;

use super::table::{Exit, Items, Table};
use super::Stage;
use crate::guard::{self, Egress, Labelled};
use crate::render::{alert_json, feature_text, iso, view_marking, LabelText, Sources};

/// A released track's feature, serialized once.
#[derive(Debug)]
pub struct WsItem {
    pub feature: Box<str>,
}

/// A track that left the released picture.
#[derive(Debug)]
struct WsTombstone {
    id: String,
    added_at: u64,
    removed_at: u64,
}

/// One publication of a WebSocket stage: one per picture generation.
#[derive(Debug)]
pub struct WsSnapshot {
    /// Who every feature was released for.
    pub subject: Subject,
    pub seq: u64,
    /// The `seq` of the snapshot before it (`None`: the stage's first).
    pub prev: Option<u64>,
    pub generation: u64,
    pub time_ms: TimeMs,
    time: String,
    /// The marking of the whole view.
    pub marking: String,
    /// `{"nation":…,"clearance":…}`.
    audience: Arc<str>,
    /// Released features in id order, with the `seq` each last changed at.
    items: Items<WsItem>,
    tombstones: Arc<[WsTombstone]>,
    /// The newest released alerts (oldest first), each with the `seq` it was first
    /// published at, rendered once.
    alerts: Arc<[(u64, Arc<str>)]>,
    /// The `snapshot` message, and the `update` since `prev`: shared by all who send it.
    shared: [OnceLock<Utf8Bytes>; 2],
}

fn push_json_str(out: &mut String, s: &str) {
    out.push_str(&serde_json::Value::from(s).to_string());
}

impl WsSnapshot {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.len() == 0
    }

    fn head(&self, kind: &str, size: usize) -> String {
        let mut out = String::with_capacity(256 + size);
        let _ = write!(
            out,
            r#"{{"type":"{kind}","audience":{},"generation":{},"time_ms":{},"time":"#,
            self.audience, self.generation, self.time_ms
        );
        push_json_str(&mut out, &self.time);
        out.push_str(r#","marking":"#);
        push_json_str(&mut out, &self.marking);
        out
    }

    fn alerts_since(&self, out: &mut String, since: Option<u64>) {
        out.push_str(r#","alerts":["#);
        let new = self
            .alerts
            .iter()
            .filter(|(at, _)| since.is_none_or(|s| *at > s));
        for (i, (_, a)) in new.enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(a);
        }
        out.push(']');
    }

    fn features<'a>(out: &mut String, fs: impl Iterator<Item = &'a WsItem>) {
        out.push('[');
        for (i, f) in fs.enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&f.feature);
        }
        out.push(']');
    }

    /// The first message a client gets: every released feature.
    pub fn snapshot_message(&self) -> Utf8Bytes {
        self.shared[0]
            .get_or_init(|| {
                let size = self.items.iter().map(|(_, i)| i.feature.len() + 1).sum();
                let mut out = self.head("snapshot", size);
                out.push_str(r#","features":"#);
                Self::features(&mut out, self.items.iter().map(|(_, i)| &**i));
                self.alerts_since(&mut out, None);
                out.push('}');
                out.into()
            })
            .clone()
    }

    /// The `update` for a client that was last sent snapshot `since`: the features
    /// changed since, the ids gone since (sorted).
    pub fn update_message(&self, since: u64) -> Utf8Bytes {
        if Some(since) == self.prev {
            self.shared[1]
                .get_or_init(|| self.render_update(since).into())
                .clone()
        } else {
            self.render_update(since).into()
        }
    }

    fn render_update(&self, since: u64) -> String {
        let upserts: Vec<&WsItem> = self
            .items
            .iter()
            .filter(|(c, _)| *c > since)
            .map(|(_, i)| &**i)
            .collect();
        let mut deletes: Vec<&str> = self
            .tombstones
            .iter()
            .filter(|t| t.added_at <= since && since < t.removed_at)
            .map(|t| t.id.as_str())
            .collect();
        deletes.sort_unstable();
        let size = upserts.iter().map(|i| i.feature.len() + 1).sum();
        let mut out = self.head("update", size);
        out.push_str(r#","upserts":"#);
        Self::features(&mut out, upserts.into_iter());
        out.push_str(r#","deletes":"#);
        out.push_str(&serde_json::Value::from(deletes).to_string());
        self.alerts_since(&mut out, Some(since));
        out.push('}');
        out
    }
}

/// The WebSocket stage of one audience.
pub struct WsStage {
    egress: Egress,
    /// The feeds the subject may see named in `sources`.
    sources: Sources,
    audience: Arc<str>,
    seq: u64,
    table: Table<WsItem>,
    tombstones: HashMap<u64, WsTombstone>,
    /// The marking of the released view, kept while its labels stay the same.
    marking: Option<String>,
    labels: LabelTexts,
    /// The ids of the alerts in the last picture seen: the others are new.
    alert_ids: HashSet<String>,
    /// The newest released alerts with the `seq` each was published at.
    alerts: VecDeque<(u64, Arc<str>)>,
}

/// Alerts a WebSocket stage keeps for its snapshot message (a client wanting more asks
/// `/api/v1/alerts`).
const MAX_WS_ALERTS: usize = 200;

/// The label parts of features for the last few distinct labels (a picture has few).
#[derive(Default)]
struct LabelTexts {
    kept: Vec<(Label, LabelText)>,
    /// The entry to replace next when full.
    next: usize,
}

impl LabelTexts {
    const KEPT: usize = 16;

    fn of(&mut self, l: &Label) -> &LabelText {
        let i = match self.kept.iter().position(|(k, _)| k == l) {
            Some(i) => i,
            None if self.kept.len() < Self::KEPT => {
                self.kept.push((l.clone(), LabelText::of(l)));
                self.kept.len() - 1
            }
            None => {
                let i = self.next;
                self.next = (i + 1) % Self::KEPT;
                self.kept[i] = (l.clone(), LabelText::of(l));
                i
            }
        };
        &self.kept[i].1
    }
}

impl WsStage {
    /// The stage of `egress`'s subject, naming in `sources` only the feeds it may see.
    pub fn new(egress: Egress, sources: Sources) -> Self {
        let audience =
            json!({"nation": egress.subject.nation, "clearance": egress.subject.clearance})
                .to_string()
                .into();
        WsStage {
            egress,
            sources,
            audience,
            seq: 0,
            table: Table::default(),
            tombstones: HashMap::new(),
            marking: None,
            labels: LabelTexts::default(),
            alert_ids: HashSet::new(),
            alerts: VecDeque::new(),
        }
    }
}

impl Stage for WsStage {
    type Snapshot = WsSnapshot;

    fn step(
        &mut self,
        picture: &Picture,
        new_generation: bool,
        now: TimeMs,
        keep_after: u64,
    ) -> Option<Arc<WsSnapshot>> {
        // One update per generation, as clients always had; nothing to refresh.
        if !new_generation && self.seq > 0 {
            return None;
        }
        let next = self.seq + 1;
        let WsStage {
            egress,
            sources,
            table,
            tombstones,
            marking,
            labels,
            ..
        } = self;
        let walk = table.walk(
            &picture.tracks,
            now,
            next,
            &mut Exit {
                refresh_ms: None,
                release: |t: &Track| guard::release(egress, t).is_some(),
                render: |t: &Track| {
                    Some(WsItem {
                        feature: feature_text(t, labels.of(&t.label), sources).into_boxed_str(),
                    })
                },
                same: |a: &WsItem, b: &WsItem| a.feature == b.feature,
            },
        );
        // The join of every released label: again only when the labels may differ.
        if walk.labels_changed || marking.is_none() {
            *marking = Some(view_marking(table.released().map(|t| &t.label)));
        }
        let marking = marking.clone().unwrap_or_default();
        for id in &walk.added {
            tombstones.remove(id);
        }
        for c in walk.gone {
            tombstones.insert(
                c.track.id,
                WsTombstone {
                    id: TrackId(c.track.id).to_string(),
                    added_at: c.added_at,
                    removed_at: next,
                },
            );
        }
        tombstones.retain(|_, t| t.removed_at > keep_after);
        // New alerts, each through the guard as tracks are, rendered once.
        let mut ids = HashSet::with_capacity(picture.alerts.len());
        for a in &picture.alerts {
            let id = a.audit_object().1;
            if !self.alert_ids.contains(&id) && guard::release(&self.egress, a).is_some() {
                let text = alert_json(a).to_string();
                self.alerts.push_back((next, text.into()));
                if self.alerts.len() > MAX_WS_ALERTS {
                    self.alerts.pop_front();
                }
            }
            ids.insert(id);
        }
        self.alert_ids = ids;
        let prev = (self.seq > 0).then_some(self.seq);
        self.seq = next;
        let tombs: Arc<[WsTombstone]> = self
            .tombstones
            .values()
            .map(|t| WsTombstone {
                id: t.id.clone(),
                added_at: t.added_at,
                removed_at: t.removed_at,
            })
            .collect();
        Some(Arc::new(WsSnapshot {
            subject: self.egress.subject,
            seq: next,
            prev,
            generation: picture.generation,
            time_ms: picture.time_ms,
            time: iso(picture.time_ms),
            marking,
            audience: self.audience.clone(),
            items: table.items(),
            tombstones: tombs,
            alerts: self.alerts.iter().cloned().collect(),
            shared: Default::default(),
        }))
    }

    fn tick(&self) -> Option<Duration> {
        None
    }
}
