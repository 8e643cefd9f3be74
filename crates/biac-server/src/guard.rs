//! The egress guard: the only way labelled data reaches a response.
//!
//! Every exit — HTTP handlers, the WebSocket, the CoT stream — passes what it is about to
//! disclose through [`release`] or [`release_all`] with an [`Egress`] (who is asking, at
//! which exit, for what action). They call `biac_label::allow_action` with the exit's
//! action — `view` for a query answer, `subscribe` for a standing stream (CoT, the
//! WebSocket) — so a dissemination control that limits the action (DISPLAY ONLY
//! forbids subscribe) is honoured, and record every decision, allow and deny, with
//! that action in the audit log when one is configured. Anything without a label
//! cannot be passed here.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use biac_audit::{AuditSink, Decision, Entry};
pub use biac_label::Action;
use biac_model::{Alert, FeedConfig, Label, Subject, Track, TrackId};

/// Something that carries a security label.
pub trait Labelled {
    fn label(&self) -> &Label;
    /// What the audit log calls this item: its kind and id.
    fn audit_object(&self) -> (&'static str, String);
    /// Feeds what identifies [`Labelled::audit_object`] to the coalescing key, without
    /// rendering it when that can be avoided (the guard's hot path: every track of every
    /// picture generation). Two items with the same audit object must hash alike.
    fn audit_key(&self, h: &mut DefaultHasher) {
        self.audit_object().hash(h);
    }
}

impl Labelled for Track {
    fn label(&self) -> &Label {
        &self.label
    }
    fn audit_object(&self) -> (&'static str, String) {
        ("track", TrackId(self.id).to_string())
    }
    fn audit_key(&self, h: &mut DefaultHasher) {
        ("track", self.id).hash(h);
    }
}

impl Labelled for Alert {
    fn label(&self) -> &Label {
        &self.label
    }
    fn audit_object(&self) -> (&'static str, String) {
        ("alert", self.id())
    }
}

impl Labelled for biac_analytics::Zone {
    fn label(&self) -> &Label {
        &self.label
    }
    fn audit_object(&self) -> (&'static str, String) {
        ("zone", self.name.clone())
    }
}

/// A feed's existence, name and counters are as sensitive as its default label.
impl Labelled for FeedConfig {
    fn label(&self) -> &Label {
        &self.default_label
    }
    fn audit_object(&self) -> (&'static str, String) {
        ("feed", self.name.clone())
    }
}

/// One exit's view of a caller: the subject, the exit (`http:/api/v1/tracks`,
/// `ws:/api/v1/ws`, `cot:127.0.0.1:8087`) and the label action the exit performs
/// (what the decision and the audit log name), plus the audit log.
#[derive(Clone, Debug)]
pub struct Egress {
    pub subject: Subject,
    pub point: String,
    pub action: Action,
    /// Who asked (account, `token:…`), for the audit entry; `None` for a shared stream,
    /// recorded as `shared:<point>`.
    pub principal: Option<String>,
    audit: Option<Auditor>,
}

impl Egress {
    pub fn new(
        subject: Subject,
        point: impl Into<String>,
        action: Action,
        audit: Option<Auditor>,
    ) -> Self {
        Egress {
            subject,
            point: point.into(),
            action,
            principal: None,
            audit,
        }
    }

    /// The same exit for a named principal.
    pub fn with_principal(mut self, principal: impl Into<String>) -> Self {
        self.principal = Some(principal.into());
        self
    }
}

impl Deref for Egress {
    type Target = Subject;
    fn deref(&self) -> &Subject {
        &self.subject
    }
}

/// `Some(item)` when the caller may see it. The decision is audited first; if the
/// audit log cannot take it, the item is withheld.
pub fn release<'a, T: Labelled + ?Sized>(e: &Egress, item: &'a T) -> Option<&'a T> {
    let allowed = biac_label::allow_action(&e.subject, e.action, item.label());
    let recorded = e.audit.as_ref().is_none_or(|a| a.record(e, item, allowed));
    (allowed && recorded).then_some(item)
}

/// The items the caller may see, in order.
pub fn release_all<'a, T: Labelled + 'a>(
    e: &'a Egress,
    items: impl IntoIterator<Item = &'a T> + 'a,
) -> impl Iterator<Item = &'a T> + 'a {
    items.into_iter().filter_map(move |i| release(e, i))
}

/// Writes release decisions to the audit log. A decision identical to one recorded at
/// the same exit less than [`Auditor::COALESCE_MS`] ago (same subject, action, object,
/// label and outcome) is not written again: a browser polling the picture every two
/// seconds would otherwise write the same hundreds of lines each time.
///
/// The coalescing check is the hot path (the fan-out stages pass every track of every
/// picture generation through it): it hashes the decision without allocating and takes
/// one of [`Auditor::SHARDS`] locks chosen by that hash, not one process-wide lock; the
/// entry itself is rendered only when it is written.
#[derive(Clone)]
pub struct Auditor {
    sink: AuditSink,
    recent: Arc<[Mutex<Recent>]>,
}

/// Decisions recently written, by coalescing key (already a hash: not hashed again).
type Recent = HashMap<u64, i64, BuildHasherDefault<KeyHasher>>;

/// The identity hasher for keys that are hashes already.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, k: u64) {
        self.0 = k;
    }
}

impl std::fmt::Debug for Auditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Auditor")
    }
}

impl Auditor {
    pub const COALESCE_MS: i64 = 60_000;
    /// Locks the remembered decisions are spread over.
    pub const SHARDS: usize = 16;
    /// Remembered decisions beyond which old ones are forgotten (over all shards).
    const MAX_RECENT: usize = 200_000;

    pub fn new(sink: AuditSink) -> Self {
        Auditor {
            sink,
            recent: (0..Self::SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    /// `false` when the record could not be written (the caller then denies).
    fn record<T: Labelled + ?Sized>(&self, e: &Egress, item: &T, allowed: bool) -> bool {
        let now = now_ms();
        // Keyed on the label itself: its marking is rendered only when it is written.
        let mut h = DefaultHasher::new();
        (&e.subject, &e.point, e.action, &e.principal).hash(&mut h);
        item.audit_key(&mut h);
        (item.label(), allowed).hash(&mut h);
        let key = h.finish();
        {
            // The high bits pick the shard; the map uses the whole key.
            let shard = &self.recent[(key >> 32) as usize % self.recent.len()];
            let mut recent = shard.lock().unwrap_or_else(|p| p.into_inner());
            if recent
                .get(&key)
                .is_some_and(|&t| now - t < Self::COALESCE_MS)
            {
                return true;
            }
            if recent.len() >= Self::MAX_RECENT / Self::SHARDS {
                recent.retain(|_, t| now - *t < Self::COALESCE_MS);
            }
            recent.insert(key, now);
        }
        let entry = entry(e, e.action.as_str(), item, allowed, now);
        match self.sink.record(entry) {
            Ok(()) => true,
            Err(err) => {
                tracing::error!(error = %err, "audit log refused a record: withholding");
                false
            }
        }
    }
}

/// The audit entry of `e`'s caller doing `action` to `item`.
fn entry<T: Labelled + ?Sized>(
    e: &Egress,
    action: &str,
    item: &T,
    allowed: bool,
    now: i64,
) -> Entry {
    let (kind, id) = item.audit_object();
    Entry {
        time_ms: now,
        subject: biac_audit::Subject {
            nation: e.subject.nation.to_string(),
            clearance: e.subject.clearance.to_string(),
            principal: Some(
                e.principal
                    .clone()
                    .unwrap_or_else(|| format!("shared:{}", e.point)),
            ),
        },
        action: action.to_string(),
        object: biac_audit::Object {
            kind: kind.to_string(),
            id,
        },
        marking: item.label().to_string(),
        decision: if allowed {
            Decision::Allow
        } else {
            Decision::Deny
        },
        egress: e.point.clone(),
    }
}

/// Record that `e`'s caller did `act` (e.g. `acknowledge`) to an item the guard released
/// to it: one line per act, never coalesced. `false` when the audit log could not take
/// it (the caller then refuses the act); `true` without an audit log (tests).
pub fn record_act<T: Labelled + ?Sized>(e: &Egress, act: &str, item: &T) -> bool {
    let Some(a) = &e.audit else {
        return true;
    };
    match a.sink.record(entry(e, act, item, true, now_ms())) {
        Ok(()) => true,
        Err(err) => {
            tracing::error!(error = %err, "audit log refused a record: refusing the act");
            false
        }
    }
}

pub(crate) use biac_model::now_ms;

#[cfg(test)]
mod tests {
    //! The guard on its own: no router, no listener, no runtime.
    use super::*;
    use biac_model::{Classification, Nation, Position};

    fn track(label: Label) -> Track {
        Track::new(7, 0, Position::new(24.5, 124.0), label).with_domain(Default::default())
    }

    #[test]
    fn release_decides_by_subject_and_label() {
        let t = track(Label::rel_to(
            Classification::Secret,
            Nation::JPN,
            &[Nation::USA],
        ));
        let jpn = Egress::new(
            Subject::new(Nation::JPN, Classification::Secret),
            "test",
            Action::View,
            None,
        );
        let phl = Egress::new(
            Subject::new(Nation::PHL, Classification::Secret),
            "test",
            Action::View,
            None,
        );
        assert!(release(&jpn, &t).is_some());
        assert!(release(&phl, &t).is_none());
        let both = [t.clone(), track(Label::unclassified_public(Nation::JPN))];
        assert_eq!(release_all(&phl, both.iter()).count(), 1);
        assert_eq!(t.audit_object(), ("track", "T000007".to_string()));
    }

    /// Issue 20 finding 1: DISPLAY ONLY may be viewed, never subscribed to. Before the
    /// fix the guard decided every action as a view.
    #[test]
    fn display_only_is_viewed_but_not_streamed() {
        let l = Label::parse_marking(
            "SECRET//DISPLAY ONLY//REL TO USA, JPN",
            biac_model::NationSet::single(Nation::JPN),
        )
        .unwrap();
        let t = track(l);
        let jpn = Subject::new(Nation::JPN, Classification::Secret);
        let usa = Subject::new(Nation::USA, Classification::Secret);
        for s in [jpn, usa] {
            let view = Egress::new(s, "http:/api/v1/tracks", Action::View, None);
            let sub = Egress::new(s, "cot:127.0.0.1:8087", Action::Subscribe, None);
            assert!(release(&view, &t).is_some(), "{s:?} view");
            assert!(release(&sub, &t).is_none(), "{s:?} subscribe");
            for a in [Action::Export, Action::Forward] {
                assert!(release(&Egress::new(s, "x", a, None), &t).is_none());
            }
        }
    }
}
