//! The live form: the same [`Engine`] evaluated on one audience's picture, its changes
//! raised as alerts labelled with the join of everything they were derived from.
//!
//! Late reports — released to the audience wholly behind its clock (a delayed partner
//! file, an hours-old satellite AIS dump) — reach the picture only as its tracks' last
//! state, so they are also handed to the watch as reports ([`BehaviourWatch::observe`])
//! and replayed at the next evaluation, in time order: into the live engine where they
//! are newer than their MMSI's last report there (a vessel not seen, or silent, since),
//! else into a second engine of the same rules (the late engine) whose events are raised
//! only where no episode of the same type, MMSIs and zone already raised overlaps them.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use biac_model::{Alert, AlertState, Domain, Label, Observation, Position, Track};

use super::picture::{LiveRules, PictureRules};
use super::{Area, Change, Engine, Event, EventKind, FastMap, Fix, Geography, Ms, Thresholds};

/// Behaviour rules over one audience's tracks (those with an MMSI, surface only). Each
/// evaluation feeds every track updated since the last as a report; an event that
/// begins to qualify raises an `open` alert of kind `<type>`, one that ends its `close`, both
/// with the same episode key (type, MMSIs, start).
///
/// Labels: an alert carries the join of every label seen on the tracks and late reports
/// of its MMSIs (conservatively, since the watch began: never lower than any input it
/// may derive from) and, for zone entry, the zone's label. Built per audience from that
/// audience's picture and released reports only, so a partner never sees a behaviour
/// derived from data it may not see.
pub struct BehaviourWatch<G> {
    engine: Engine<Arc<G>>,
    zone_labels: Vec<Label>,
    /// Per MMSI, by its slot in the live engine (one hash lookup per track and
    /// picture, the engine's).
    slots: Vec<Seen>,
    /// The live-only rules (dark vessel, radar-only in zone, identity change, AIS/radar
    /// mismatch): see [`LiveRules`].
    picture: PictureRules,
    late: Late<G>,
}

/// A late MMSI is forgotten by the late engine (what it has under way closes, marked
/// `late_reports_ended`) once the audience's clock is this far past its latest late
/// report: a backlog posted in several bodies is one stream, and a later, older one
/// starts afresh.
const LATE_SETTLE_MS: Ms = 60_000;
/// Raised episodes are remembered (to deduplicate late ones against) this long after
/// they end, in data time.
const RAISED_KEPT_MS: Ms = 7 * 24 * 3_600_000;
/// Raised episodes remembered per type, MMSIs and zone at most.
const RAISED_PER_KEY: usize = 16;

/// Type, MMSIs and zone of an episode.
type EpisodeKey = (EventKind, Vec<u32>, Option<String>);

fn episode_key(e: &Event) -> EpisodeKey {
    (e.kind, e.mmsi.clone(), e.zone.clone())
}

/// A late report: the fix, and what it tells of its MMSI beyond it.
struct LateReport {
    fix: Fix,
    label: Label,
    ship_type: Option<u8>,
}

/// The late reports' state (see the module's documentation).
struct Late<G> {
    /// Data time of the latest picture evaluated: the audience's clock.
    clock: Option<Ms>,
    /// A report this far behind the clock or more is late (`LiveThresholds::late_min_s`).
    min_ms: Ms,
    /// Late reports observed since the last evaluation.
    held: Vec<LateReport>,
    /// Reports older than their MMSI's last in the live engine; made at the first.
    engine: Option<Engine<Arc<G>>>,
    /// MMSIs in `engine`: the clock at the evaluation that took their latest report.
    active: FastMap<u32, Ms>,
    /// Episodes raised, live or late: (start, end; `Ms::MAX` while open).
    raised: FastMap<EpisodeKey, VecDeque<(Ms, Ms)>>,
    /// Late episodes opened but not raised (an episode raised covers them), by start.
    suppressed: HashSet<(EpisodeKey, Ms)>,
    pruned_at: Ms,
}

impl<G> Late<G> {
    /// Remember a raised change.
    fn record(&mut self, c: &Change) {
        let (e, open) = match c {
            Change::Opened(e) => (e, true),
            Change::Closed(e) => (e, false),
        };
        let list = self.raised.entry(episode_key(e)).or_default();
        let end = if open { Ms::MAX } else { e.end_ms };
        match list
            .iter_mut()
            .find(|(s, x)| *s == e.start_ms && *x == Ms::MAX)
        {
            Some(slot) => slot.1 = end,
            None => {
                list.push_back((e.start_ms, end));
                if list.len() > RAISED_PER_KEY {
                    list.pop_front();
                }
            }
        }
    }

    /// Whether a raised episode of the event's type, MMSIs and zone overlaps it.
    fn covered(&self, e: &Event) -> bool {
        self.raised.get(&episode_key(e)).is_some_and(|l| {
            l.iter()
                .any(|&(s, x)| s <= e.end_ms.max(e.start_ms) && e.start_ms <= x)
        })
    }

    /// Whether this late change is raised (and remember it if so).
    fn admit(&mut self, c: &Change) -> bool {
        match c {
            Change::Opened(e) => {
                if self.covered(e) {
                    self.suppressed.insert((episode_key(e), e.start_ms));
                    return false;
                }
            }
            Change::Closed(e) => {
                let k = episode_key(e);
                if self.suppressed.remove(&(k.clone(), e.start_ms)) {
                    return false;
                }
                let opened_here = self
                    .raised
                    .get(&k)
                    .is_some_and(|l| l.contains(&(e.start_ms, Ms::MAX)));
                if !opened_here && self.covered(e) {
                    return false;
                }
            }
        }
        self.record(c);
        true
    }

    /// Forget episodes that ended long before `now` (once an hour of data time).
    fn prune(&mut self, now: Ms) {
        if now.saturating_sub(self.pruned_at) < 3_600_000 {
            return;
        }
        self.pruned_at = now;
        let horizon = now.saturating_sub(RAISED_KEPT_MS);
        self.raised.retain(|_, l| {
            l.retain(|&(_, x)| x >= horizon);
            !l.is_empty()
        });
        self.suppressed.retain(|(_, s)| *s >= horizon);
    }
}

/// One MMSI as last fed to the rules: the track last seen with it and its time (`None`
/// until its first report), and the join of its tracks' labels.
struct Seen {
    track: u64,
    time_ms: Option<i64>,
    label: Option<Label>,
    /// The AIS ship and cargo type last known.
    ship_type: Option<u8>,
}

impl Seen {
    fn join(&mut self, label: &Label) {
        match &mut self.label {
            // Labels rarely change: join (and allocate) only when this one does.
            Some(l) if l != label => *l = l.join(label),
            Some(_) => {}
            None => self.label = Some(label.clone()),
        }
    }
}

/// A vessel's class for zone entry and presence, from its AIS ship and cargo type
/// (ITU-R M.1371 table 53): `government` (35 military operations, 51 search and
/// rescue, 55 law enforcement — coast guards and navies), `fishing` (30), `other`
/// (any other type), `unknown` (none known, or 0 "not available").
pub fn vessel_class(ship_type: Option<u8>) -> &'static str {
    match ship_type {
        Some(35 | 51 | 55) => "government",
        Some(30) => "fishing",
        None | Some(0) => "unknown",
        Some(_) => "other",
    }
}

impl<G: Geography> BehaviourWatch<G> {
    pub fn new(th: Thresholds, geo: G, zones: Vec<(Area, Label)>) -> Self {
        let (areas, zone_labels) = zones.into_iter().unzip();
        let rules = LiveRules::default();
        BehaviourWatch {
            engine: Engine::new(th, Arc::new(geo), areas).with_presence(),
            zone_labels,
            slots: Vec::new(),
            late: Late {
                clock: None,
                min_ms: (rules.th.late_min_s * 1000.0) as Ms,
                held: Vec::new(),
                engine: None,
                active: FastMap::default(),
                raised: FastMap::default(),
                suppressed: HashSet::new(),
                pruned_at: Ms::MIN,
            },
            picture: PictureRules::new(rules),
        }
    }

    /// The live-only rules' configuration (AIS feed names, zones, thresholds); without
    /// it, identity change and mismatch run on defaults, and dark vessel and radar-only
    /// in zone raise nothing.
    pub fn with_live(mut self, rules: LiveRules) -> Self {
        self.late.min_ms = (rules.th.late_min_s * 1000.0) as Ms;
        self.picture = PictureRules::new(rules);
        self
    }

    /// Reports released to the audience (in release order): the surface ones with an
    /// MMSI at least `late_min_s` behind the audience's clock are held and replayed at
    /// the next evaluation. Before the first picture nothing is late.
    pub fn observe<'a>(&mut self, released: impl IntoIterator<Item = &'a Observation>) {
        let Some(clock) = self.late.clock else {
            return;
        };
        for o in released {
            let Some(mmsi) = o.identity.mmsi.filter(|_| o.domain == Domain::Surface) else {
                continue;
            };
            if o.time_ms.saturating_add(self.late.min_ms) > clock {
                continue;
            }
            let sog_kn = o
                .velocity
                .map(|v| v.east_mps.hypot(v.north_mps) / biac_geo::KNOT);
            self.late.held.push(LateReport {
                fix: Fix {
                    mmsi,
                    t_ms: o.time_ms,
                    lat: o.position.lat_deg,
                    lon: o.position.lon_deg,
                    sog_kn,
                },
                label: o.label.clone(),
                ship_type: o.identity.ship_type,
            });
        }
    }

    /// The live engine's slot of this MMSI, made for `track` when new.
    fn slot_index(&mut self, mmsi: u32, track: u64) -> u32 {
        let (s, new) = self.engine.slot(mmsi);
        let seen = Seen {
            track,
            time_ms: None,
            label: None,
            ship_type: None,
        };
        match self.slots.get_mut(s as usize) {
            Some(old) if new => *old = seen,
            Some(_) => {}
            None => {
                // Slots are made one at a time: this one is next.
                debug_assert_eq!(s as usize, self.slots.len());
                self.slots.push(seen);
            }
        }
        s
    }

    /// One report (of the MMSI in `slot`) into the live engine; its changes raised.
    fn push_live(&mut self, slot: u32, fix: &Fix, alerts: &mut Vec<Alert>) {
        let changes = self.engine.push_at(slot, fix);
        if changes.is_empty() {
            return;
        }
        // Owned: raising them reads the watch.
        let changes: Vec<Change> = changes.to_vec();
        for c in &changes {
            self.late.record(c);
            alerts.push(self.alert_of(c, false));
        }
    }

    /// A late engine's change, raised unless an episode raised covers it.
    fn push_late_change(&mut self, c: &Change, alerts: &mut Vec<Alert>) {
        if self.late.admit(c) {
            alerts.push(self.alert_of(c, true));
        }
    }

    /// The late reports held, in time order (arrival order among equal times).
    fn replay_late(&mut self, now: Ms, alerts: &mut Vec<Alert>) {
        let mut held = std::mem::take(&mut self.late.held);
        held.sort_by_key(|r| r.fix.t_ms);
        for r in &held {
            let m = r.fix.mmsi;
            let i = self.slot_index(m, 0);
            let s = &mut self.slots[i as usize];
            s.join(&r.label);
            s.ship_type = r.ship_type.or(s.ship_type);
            if s.time_ms.is_none_or(|t| r.fix.t_ms > t) {
                s.time_ms = Some(r.fix.t_ms);
                self.push_live(i, &r.fix, alerts);
            }
            // Every late report also goes to the late engine: an encounter between a
            // vessel whose late reports continue its live history and one whose late
            // reports are behind it is found only there. What the late engine finds of
            // the first alone the live one raised already, and covers.
            let live = &self.engine;
            let engine = self.late.engine.get_or_insert_with(|| live.blank());
            let changes: Vec<Change> = engine.push(&r.fix).to_vec();
            self.late.active.insert(m, now);
            for c in changes {
                self.push_late_change(&c, alerts);
            }
        }
        held.clear();
        self.late.held = held;
    }

    /// Forget the late MMSIs whose reports stopped coming (see [`LATE_SETTLE_MS`]).
    fn settle_late(&mut self, now: Ms, alerts: &mut Vec<Alert>) {
        let mut done: Vec<u32> = self
            .late
            .active
            .iter()
            .filter(|(_, &at)| now - at >= LATE_SETTLE_MS)
            .map(|(m, _)| *m)
            .collect();
        done.sort_unstable();
        for m in done {
            self.late.active.remove(&m);
            let Some(engine) = self.late.engine.as_mut() else {
                continue;
            };
            let changes: Vec<Change> = engine.forget(m).to_vec();
            for c in changes {
                self.push_late_change(&c, alerts);
            }
        }
        if self.late.active.is_empty() {
            self.late.engine = None;
        }
    }

    /// Evaluate a picture; returns the alerts for events opened and closed.
    pub fn evaluate<'a>(&mut self, tracks: impl IntoIterator<Item = &'a Track>) -> Vec<Alert> {
        let all: Vec<&Track> = tracks.into_iter().collect();
        let mut alerts = Vec::new();
        self.picture.evaluate(&all, &mut alerts);
        let now = all
            .iter()
            .map(|t| t.time_ms)
            .max()
            .into_iter()
            .chain(self.late.clock)
            .max();
        // Late reports first: a vessel they bring up to date is not fresh below.
        if let Some(now) = now {
            if !self.late.held.is_empty() {
                self.replay_late(now, &mut alerts);
            }
        }
        // Fresh: newer than the last report of its MMSI before this picture (two tracks
        // of one MMSI in one picture both are: one MMSI in two places).
        let mut fresh: Vec<(&Track, u32)> = Vec::new();
        for t in all.iter().copied() {
            let Some(m) = t.identity.mmsi.filter(|_| t.domain == Domain::Surface) else {
                continue;
            };
            let i = self.slot_index(m, t.id);
            let s = &mut self.slots[i as usize];
            if s.time_ms.is_none_or(|time| t.time_ms > time) {
                fresh.push((t, i));
            } else if s.time_ms == Some(t.time_ms) {
                // Late reports brought it here: the track is theirs.
                s.track = t.id;
            }
        }
        // Reports in time order, as the rules take them.
        // (A picture whose tracks share one time, in id order, is sorted already.)
        if !fresh.is_sorted_by_key(|(t, _)| (t.time_ms, t.id)) {
            fresh.sort_unstable_by_key(|(t, _)| (t.time_ms, t.id));
        }
        for (t, i) in fresh {
            let m = t.identity.mmsi.unwrap_or_default();
            let s = &mut self.slots[i as usize];
            (s.track, s.time_ms) = (t.id, Some(t.time_ms));
            s.ship_type = t.identity.ship_type.or(s.ship_type);
            s.join(&t.label);
            let fix = Fix {
                mmsi: m,
                t_ms: t.time_ms,
                lat: t.position.lat_deg,
                lon: t.position.lon_deg,
                sog_kn: Some(
                    (t.velocity.east_mps * t.velocity.east_mps
                        + t.velocity.north_mps * t.velocity.north_mps)
                        .sqrt()
                        / biac_geo::KNOT,
                ),
            };
            self.push_live(i, &fix, &mut alerts);
        }
        if let Some(now) = now {
            self.late.clock = Some(now);
            if !self.late.active.is_empty() {
                self.settle_late(now, &mut alerts);
            }
            self.late.prune(now);
        }
        alerts
    }

    fn slot(&self, mmsi: u32) -> Option<&Seen> {
        self.engine.slot_of(mmsi).map(|i| &self.slots[i as usize])
    }

    /// The alert of a change; `late`: from the late engine.
    fn alert_of(&self, c: &Change, late: bool) -> Alert {
        let (e, state) = match c {
            Change::Opened(e) => (e, AlertState::Open),
            Change::Closed(e) => (e, AlertState::Close),
        };
        let mut a = self.alert(e, state);
        if late {
            a.message.push_str(" (from late reports)");
            a.detail.insert("late".into(), 1.0);
            if e.open {
                // Forgotten with its late reports while still under way.
                a.detail.insert("late_reports_ended".into(), 1.0);
            }
        }
        a
    }

    fn alert(&self, e: &Event, state: AlertState) -> Alert {
        let mut label: Option<Label> = None;
        for m in &e.mmsi {
            if let Some(l) = self.slot(*m).and_then(|s| s.label.as_ref()) {
                label = Some(match label {
                    Some(acc) => acc.join(l),
                    None => l.clone(),
                });
            }
        }
        if let Some(z) = &e.zone {
            if let Some(i) = self.engine.area_index(z) {
                let zl = &self.zone_labels[i];
                label = Some(label.map_or_else(|| zl.clone(), |l| l.join(zl)));
            }
        }
        let track_id = e
            .mmsi
            .first()
            .and_then(|m| self.slot(*m))
            .map_or(0, |s| s.track);
        let mmsis: Vec<String> = e.mmsi.iter().map(u32::to_string).collect();
        let open = state == AlertState::Open;
        let mut detail: std::collections::BTreeMap<String, f64> =
            e.extra.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        // Zone entry and presence by class: a government vessel inside the Senkakus'
        // territorial sea is the pattern the analysts look for.
        let class = if e.kind == EventKind::ZoneEntry {
            let ty = e.mmsi.first().and_then(|m| self.slot(*m)?.ship_type);
            if let Some(ty) = ty {
                detail.insert("ship_type".into(), f64::from(ty));
            }
            format!(" ({} vessel)", vessel_class(ty))
        } else {
            String::new()
        };
        let tracks = e
            .mmsi
            .iter()
            .filter_map(|m| self.slot(*m).map(|s| s.track))
            .collect();
        Alert {
            time_ms: if open { e.start_ms } else { e.end_ms },
            kind: e.kind.as_str().to_string(),
            zone: e.zone.clone().unwrap_or_default(),
            track_id,
            position: Position::new(e.lat, e.lon),
            message: format!(
                "{} {} MMSI {}{class}",
                e.kind.as_str().replace('_', " "),
                if open { "began" } else { "ended" },
                mmsis.join(" and ")
            ),
            label: label.unwrap_or_else(|| Label::unclassified_public(biac_model::Nation::JPN)),
            state,
            episode: format!("{}:{}:{}", e.kind.as_str(), mmsis.join("-"), e.start_ms),
            tracks,
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behaviour::{open_sea, parse_zones_geojson};
    use biac_model::{Classification, Identity, Nation, Velocity};

    fn track(id: u64, mmsi: u32, t_ms: i64, lat: f64, lon: f64, label: Label) -> Track {
        Track::new(id, t_ms, Position::new(lat, lon), label)
            .with_velocity(Velocity {
                east_mps: 0.2,
                north_mps: 0.0,
            })
            .with_identity(Identity {
                mmsi: Some(mmsi),
                ..Default::default()
            })
    }

    #[test]
    fn an_encounter_alert_joins_both_tracks_labels_and_opens_then_closes() {
        let secret = Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]);
        let public = Label::unclassified_public(Nation::JPN);
        let mut w = BehaviourWatch::new(Thresholds::default(), open_sea(), vec![]);
        let mut alerts = Vec::new();
        let t0 = 1_700_000_000_000;
        for k in 0..=130 {
            let t = t0 + k * 60_000;
            // Apart after two hours.
            let lat_b = if k < 125 { 30.001 } else { 30.5 };
            alerts.extend(w.evaluate(&[
                track(1, 111, t, 30.0, 150.0, public.clone()),
                track(2, 222, t, lat_b, 150.0, secret.clone()),
            ]));
        }
        // (B's jump away is also a spoofing episode.)
        alerts.retain(|a| a.kind == "encounter");
        let kinds: Vec<&str> = alerts.iter().map(|a| a.state.as_str()).collect();
        assert_eq!(kinds, vec!["open", "close"], "{alerts:?}");
        for a in &alerts {
            assert_eq!(a.label, public.join(&secret), "the join of both inputs");
        }
        // A picture re-shown unchanged adds no reports.
        let again = w.evaluate(&[track(
            1,
            111,
            t0 + 130 * 60_000,
            30.0,
            150.0,
            public.clone(),
        )]);
        assert!(again.is_empty());
    }

    #[test]
    fn a_zone_alert_carries_the_zones_label() {
        let ts = Label::rel_to(Classification::TopSecret, Nation::JPN, &[]);
        let public = Label::unclassified_public(Nation::JPN);
        let zone = parse_zones_geojson(
            r#"{"type":"Feature","properties":{"name":"z"},"geometry":{"type":"Polygon","coordinates":[[[149,29],[151,29],[151,31],[149,31]]]}}"#,
        )
        .unwrap()
        .areas
        .remove(0);
        let mut w =
            BehaviourWatch::new(Thresholds::default(), open_sea(), vec![(zone, ts.clone())]);
        let t0 = 1_700_000_000_000;
        assert!(w
            .evaluate(&[track(1, 111, t0, 28.0, 150.0, public.clone())])
            .is_empty());
        // Two degrees in a minute is also a spoofing episode.
        let mut a = w.evaluate(&[track(1, 111, t0 + 60_000, 30.0, 150.0, public.clone())]);
        a.retain(|a| a.kind == "zone_entry");
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(a[0].state, AlertState::Open);
        assert_eq!(a[0].zone, "z");
        assert_eq!(a[0].label, public.join(&ts));
    }

    fn square_zone() -> Area {
        parse_zones_geojson(
            r#"{"type":"Feature","properties":{"name":"z"},"geometry":{"type":"Polygon","coordinates":[[[149,29],[151,29],[151,31],[149,31]]]}}"#,
        )
        .unwrap()
        .areas
        .remove(0)
    }

    fn typed(id: u64, mmsi: u32, t_ms: i64, lat: f64, ship_type: Option<u8>) -> Track {
        let mut t = track(
            id,
            mmsi,
            t_ms,
            lat,
            150.0,
            Label::unclassified_public(Nation::JPN),
        );
        t.identity.ship_type = ship_type;
        t
    }

    #[test]
    fn vessel_classes_from_the_ais_ship_type() {
        assert_eq!(vessel_class(Some(55)), "government");
        assert_eq!(vessel_class(Some(35)), "government");
        assert_eq!(vessel_class(Some(51)), "government");
        assert_eq!(vessel_class(Some(30)), "fishing");
        assert_eq!(vessel_class(Some(70)), "other");
        assert_eq!(vessel_class(Some(52)), "other");
        assert_eq!(vessel_class(Some(0)), "unknown");
        assert_eq!(vessel_class(None), "unknown");
    }

    #[test]
    fn zone_entry_and_presence_by_class_with_the_time_inside() {
        let public = Label::unclassified_public(Nation::JPN);
        let mut w = BehaviourWatch::new(
            Thresholds::default(),
            open_sea(),
            vec![(square_zone(), public.clone())],
        );
        let t0 = 1_700_000_000_000;
        let min = 60_000;
        let mut alerts = Vec::new();
        // 1: a law-enforcement vessel already inside when the watch starts (present, not
        // entered); 2: a fishing vessel entering from outside; 3: no type, outside; both
        // 1 and 2 leave at 30 minutes.
        for k in 0..=40 {
            let t = t0 + k * min;
            // (Leaving in one step is also a spoofing episode.)
            let lat1 = if k < 30 { 30.0 } else { 31.5 };
            let lat2 = match k {
                0 => 28.5,
                1..30 => 29.5,
                _ => 31.5,
            };
            alerts.extend(w.evaluate(&[
                typed(1, 111, t, lat1, Some(55)),
                typed(2, 222, t, lat2, Some(30)),
                typed(3, 333, t, 28.0, None),
            ]));
        }
        alerts.retain(|a| a.kind == "zone_entry");
        let got: Vec<(u64, AlertState, &str)> = alerts
            .iter()
            .map(|a| (a.track_id, a.state, a.message.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    1,
                    AlertState::Open,
                    "zone entry began MMSI 111 (government vessel)"
                ),
                (
                    2,
                    AlertState::Open,
                    "zone entry began MMSI 222 (fishing vessel)"
                ),
                (
                    1,
                    AlertState::Close,
                    "zone entry ended MMSI 111 (government vessel)"
                ),
                (
                    2,
                    AlertState::Close,
                    "zone entry ended MMSI 222 (fishing vessel)"
                ),
            ],
            "{alerts:?}"
        );
        // Present from its first report (t0), entered at its first fix inside (t0 + 1 min);
        // both last inside at t0 + 29 min.
        let hours = |a: &Alert| a.detail.get("hours").copied().unwrap_or(f64::NAN);
        assert_eq!(alerts[0].time_ms, t0);
        assert_eq!(alerts[0].detail.get("first_seen_inside"), Some(&1.0));
        assert_eq!(alerts[0].detail.get("ship_type"), Some(&55.0));
        assert_eq!(alerts[1].time_ms, t0 + min);
        assert_eq!(alerts[1].detail.get("first_seen_inside"), None);
        assert!((hours(&alerts[2]) - 29.0 / 60.0).abs() < 1e-9);
        assert!((hours(&alerts[3]) - 28.0 / 60.0).abs() < 1e-9);
    }

    #[test]
    fn one_mmsi_in_two_places_at_once_is_spoofing() {
        let public = Label::unclassified_public(Nation::JPN);
        let mut w = BehaviourWatch::new(Thresholds::default(), open_sea(), vec![]);
        let t0 = 1_700_000_000_000;
        let mut alerts = Vec::new();
        for k in 0..10 {
            let t = t0 + k * 10_000;
            let mut picture = vec![track(1, 111, t, 30.0, 150.0, public.clone())];
            // From the fifth picture on, a second track reports the same MMSI 100 km
            // away at the same times (two transmitters, or two feeds' tracks).
            if k >= 5 {
                picture.push(track(2, 111, t, 30.9, 150.0, public.clone()));
            }
            alerts.extend(w.evaluate(&picture));
        }
        let spoof: Vec<&Alert> = alerts.iter().filter(|a| a.kind == "spoofing").collect();
        assert_eq!(spoof.len(), 1, "one episode opened: {alerts:?}");
        assert_eq!(spoof[0].state, AlertState::Open);
        assert_eq!(spoof[0].time_ms, t0 + 50_000);
        assert!(spoof[0].message.contains("MMSI 111"));
    }

    /// An AIS report of `mmsi` as released to the audience (speed `sog` kn due east).
    fn report(
        mmsi: u32,
        t_ms: i64,
        (lat, lon): (f64, f64),
        sog: f64,
        label: &Label,
    ) -> Observation {
        Observation::new(t_ms, Position::new(lat, lon), 10.0, "ais", label.clone())
            .with_identity(Identity {
                mmsi: Some(mmsi),
                ..Default::default()
            })
            .with_domain(Domain::Surface)
            .with_velocity(
                Velocity {
                    east_mps: sog * biac_geo::KNOT,
                    north_mps: 0.0,
                },
                0.5,
            )
    }

    fn fix_of(o: &Observation) -> Fix {
        Fix {
            mmsi: o.identity.mmsi.unwrap(),
            t_ms: o.time_ms,
            lat: o.position.lat_deg,
            lon: o.position.lon_deg,
            sog_kn: o
                .velocity
                .map(|v| v.east_mps.hypot(v.north_mps) / biac_geo::KNOT),
        }
    }

    /// What the offline engine (`biac events`) finds in these reports: the true events.
    fn offline(reports: &[Observation]) -> Vec<Event> {
        let fixes: Vec<Fix> = reports.iter().map(fix_of).collect();
        crate::behaviour::tests::run_in(Thresholds::default(), open_sea(), vec![], &fixes)
    }

    const T0: i64 = 1_700_000_000_000;
    const H: i64 = 3_600_000;
    const MIN: i64 = 60_000;

    /// The watch's live picture: `mmsis` at `t` (open sea), then one more second.
    fn live_pictures(w: &mut BehaviourWatch<impl Geography>, mmsis: &[u32], t: i64) -> Vec<Alert> {
        let public = Label::unclassified_public(Nation::JPN);
        let mut alerts = Vec::new();
        for dt in [0, 1_000] {
            let picture: Vec<Track> = mmsis
                .iter()
                .enumerate()
                .map(|(i, &m)| {
                    track(
                        i as u64 + 1,
                        m,
                        t + dt,
                        20.0 + i as f64,
                        160.0,
                        public.clone(),
                    )
                })
                .collect();
            alerts.extend(w.evaluate(&picture));
        }
        alerts
    }

    #[test]
    fn a_late_batch_with_a_gap_yields_it_with_its_true_times() {
        let public = Label::unclassified_public(Nation::JPN);
        let secret = Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]);
        let mut w = BehaviourWatch::new(Thresholds::default(), open_sea(), vec![]);
        let now = T0 + 24 * H;
        // 111 is live (its engine state is ahead of the batch); 222 was never seen.
        assert!(live_pictures(&mut w, &[111], now).is_empty());
        // A delayed file: each vessel silent 14 h, far out at sea.
        let batch: Vec<Observation> = [111, 222]
            .into_iter()
            .flat_map(|m| {
                [
                    report(m, T0, (25.0, 150.0), 8.0, &secret),
                    report(m, T0 + 14 * H, (25.5, 150.0), 8.0, &secret),
                ]
            })
            .collect();
        w.observe(&batch);
        let mut alerts = w.evaluate(&[track(1, 111, now + 2_000, 20.0, 160.0, public.clone())]);
        alerts.retain(|a| a.kind == "gap");
        assert_eq!(alerts.len(), 2, "{alerts:?}");
        for a in &alerts {
            assert_eq!(a.state, AlertState::Close, "a gap is raised closed");
            assert_eq!(a.time_ms, T0 + 14 * H, "its true end");
            assert!(
                a.episode.ends_with(&format!(":{T0}")),
                "its true start: {}",
                a.episode
            );
            assert_eq!(
                a.label,
                public.join(&secret),
                "joins the late reports' label"
            );
        }
        // 111's went through the late engine, 222's straight into the live one.
        let late: Vec<bool> = alerts
            .iter()
            .map(|a| a.detail.contains_key("late"))
            .collect();
        assert_eq!(late, vec![true, false], "{alerts:?}");
        // The same batch again raises nothing.
        w.observe(&batch);
        let again = w.evaluate(&[track(1, 111, now + 3_000, 20.0, 160.0, public.clone())]);
        assert!(again.is_empty(), "{again:?}");
    }

    /// Two vessels side by side for three hours, then one leaves at 5 kn.
    fn encounter_reports(a: u32, b: u32, t0: i64, label: &Label) -> Vec<Observation> {
        let mut out = Vec::new();
        for k in 0..=200 {
            let t = t0 + k * MIN;
            let leave_m = if k > 180 {
                (k - 180) as f64 * 5.0 * biac_geo::KNOT * 60.0
            } else {
                0.0
            };
            let (sa, sb) = (0.5, if k > 180 { 5.0 } else { 0.5 });
            out.push(report(a, t, (25.0, 150.0), sa, label));
            let (lat, lon) = biac_geo::destination(25.0, 150.0, 90.0, 300.0 + leave_m);
            out.push(report(b, t, (lat, lon), sb, label));
        }
        out
    }

    #[test]
    fn a_late_batch_with_an_encounter_opens_and_closes_it_at_its_true_times() {
        let public = Label::unclassified_public(Nation::JPN);
        let mut w = BehaviourWatch::new(Thresholds::default(), open_sea(), vec![]);
        let now = T0 + 24 * H;
        assert!(live_pictures(&mut w, &[111, 222], now).is_empty());
        let batch = encounter_reports(111, 222, T0, &public);
        let truth: Vec<Event> = offline(&batch)
            .into_iter()
            .filter(|e| e.kind == EventKind::Encounter)
            .collect();
        assert_eq!(truth.len(), 1, "{truth:?}");
        assert!(!truth[0].open);
        // Released in three bodies, as a backlog posted in parts.
        for part in batch.chunks(150) {
            w.observe(part);
        }
        let alerts = w.evaluate(&[track(1, 111, now + 2_000, 20.0, 160.0, public.clone())]);
        let enc: Vec<&Alert> = alerts.iter().filter(|a| a.kind == "encounter").collect();
        assert_eq!(enc.len(), 2, "{alerts:?}");
        assert_eq!(enc[0].state, AlertState::Open);
        assert_eq!(enc[0].time_ms, truth[0].start_ms);
        assert_eq!(enc[1].state, AlertState::Close);
        assert_eq!(enc[1].time_ms, truth[0].end_ms);
        assert_eq!(enc[0].episode, enc[1].episode);
        assert!(enc.iter().all(|a| a.detail.get("late") == Some(&1.0)));
        // A minute of the clock later the late engine forgets them: nothing is left open.
        let later = w.evaluate(&[track(1, 111, now + 2 * MIN, 20.0, 160.0, public.clone())]);
        assert!(later.iter().all(|a| a.kind != "encounter"), "{later:?}");
        assert!(w.late.engine.is_none());
    }

    #[test]
    fn a_late_encounter_of_a_vessel_continuing_its_history_and_one_behind_it_is_found() {
        let public = Label::unclassified_public(Nation::JPN);
        let mut w = BehaviourWatch::new(Thresholds::default(), open_sea(), vec![]);
        // 111 seen live where the backlog will find it, then silent; 222 live now.
        assert!(w
            .evaluate(&[track(1, 111, T0, 25.0, 150.0, public.clone())])
            .is_empty());
        let now = T0 + 24 * H;
        assert!(w
            .evaluate(&[track(2, 222, now, 20.0, 160.0, public.clone())])
            .is_empty());
        // The backlog: the two side by side for three hours from T0 + 1 h. 111's reports
        // continue its live history (the live engine takes them); 222's are behind its.
        let batch = encounter_reports(111, 222, T0 + H, &public);
        let truth: Vec<Event> = offline(&batch)
            .into_iter()
            .filter(|e| e.kind == EventKind::Encounter)
            .collect();
        assert_eq!(truth.len(), 1, "{truth:?}");
        w.observe(&batch);
        let alerts = w.evaluate(&[track(2, 222, now + 2_000, 20.0, 160.0, public.clone())]);
        let enc: Vec<&Alert> = alerts.iter().filter(|a| a.kind == "encounter").collect();
        assert_eq!(enc.len(), 2, "{alerts:?}");
        assert_eq!(
            (enc[0].state, enc[0].time_ms),
            (AlertState::Open, truth[0].start_ms)
        );
        assert_eq!(
            (enc[1].state, enc[1].time_ms),
            (AlertState::Close, truth[0].end_ms)
        );
        assert!(enc.iter().all(|a| a.detail.get("late") == Some(&1.0)));
        // Nothing else twice: every other episode once.
        let mut keys: Vec<(&str, &str)> = alerts
            .iter()
            .map(|a| {
                (
                    a.episode.as_str(),
                    if a.state == AlertState::Open {
                        "open"
                    } else {
                        "close"
                    },
                )
            })
            .collect();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n, "{alerts:?}");
    }

    #[test]
    fn a_late_duplicate_of_what_was_live_raises_nothing_new() {
        let public = Label::unclassified_public(Nation::JPN);
        let mut w = BehaviourWatch::new(Thresholds::default(), open_sea(), vec![]);
        let batch = encounter_reports(111, 222, T0, &public);
        // Live: the same reports as pictures, a minute apart.
        let mut live = Vec::new();
        for pair in batch.chunks(2) {
            let picture: Vec<Track> = pair
                .iter()
                .map(|o| {
                    let m = o.identity.mmsi.unwrap();
                    let mut t = track(
                        u64::from(m),
                        m,
                        o.time_ms,
                        o.position.lat_deg,
                        o.position.lon_deg,
                        public.clone(),
                    );
                    t.velocity = o.velocity.unwrap();
                    t
                })
                .collect();
            live.extend(w.evaluate(&picture));
        }
        let kinds: Vec<(&str, AlertState)> =
            live.iter().map(|a| (a.kind.as_str(), a.state)).collect();
        assert_eq!(
            kinds,
            vec![
                ("encounter", AlertState::Open),
                ("encounter", AlertState::Close)
            ]
        );
        // The same reports again, late (a feed's backlog re-sent): nothing new, now or
        // when the late engine forgets them.
        w.observe(&batch);
        let end = T0 + 200 * MIN;
        let mut again = Vec::new();
        for k in 1..=3 {
            again.extend(w.evaluate(&[track(
                111,
                111,
                end + k * MIN,
                25.0,
                150.0,
                public.clone(),
            )]));
        }
        assert!(again.is_empty(), "{again:?}");
        assert!(
            w.late.engine.is_none(),
            "the late engine was used and forgotten"
        );
    }

    #[test]
    fn reports_near_the_clock_are_not_late() {
        let public = Label::unclassified_public(Nation::JPN);
        let mut w = BehaviourWatch::new(Thresholds::default(), open_sea(), vec![]);
        // Before any picture nothing is late.
        w.observe(&[report(111, T0, (25.0, 150.0), 1.0, &public)]);
        assert!(w.late.held.is_empty());
        live_pictures(&mut w, &[111], T0 + H);
        let clock = T0 + H + 1_000;
        w.observe(&[
            report(111, clock - 9_999, (25.0, 150.0), 1.0, &public),
            report(111, clock - 10_000, (25.0, 150.0), 1.0, &public),
        ]);
        assert_eq!(w.late.held.len(), 1, "only the one 10 s behind");
    }
}
