//! The live form: the same [`Engine`] evaluated on one audience's picture, its changes
//! raised as alerts labelled with the join of everything they were derived from.

use biac_model::{Alert, AlertState, Domain, Label, Position, Track};

use super::picture::{LiveRules, PictureRules};
use super::{Area, Change, Engine, Event, EventKind, FastMap, Fix, Geography, Thresholds};

/// Behaviour rules over one audience's tracks (those with an MMSI, surface only). Each
/// evaluation feeds every track updated since the last as a report; an event that
/// begins to qualify raises an `open` alert of kind `<type>`, one that ends its `close`, both
/// with the same episode key (type, MMSIs, start).
///
/// Labels: an alert carries the join of every label seen on the tracks of its MMSIs
/// (conservatively, since the watch began: never lower than any input it may derive
/// from) and, for zone entry, the zone's label. Built per audience from that audience's
/// picture only, so a partner never sees a behaviour derived from data it may not see.
pub struct BehaviourWatch<G> {
    engine: Engine<G>,
    zone_labels: Vec<Label>,
    /// Per MMSI: its slot in `slots` (one hash lookup per track and picture).
    seen: FastMap<u32, usize>,
    slots: Vec<Seen>,
    /// The live-only rules (dark vessel, radar-only in zone, identity change, AIS/radar
    /// mismatch): see [`LiveRules`].
    picture: PictureRules,
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
        BehaviourWatch {
            engine: Engine::new(th, geo, areas).with_presence(),
            zone_labels,
            seen: FastMap::default(),
            slots: Vec::new(),
            picture: PictureRules::new(LiveRules::default()),
        }
    }

    /// The live-only rules' configuration (AIS feed names, zones, thresholds); without
    /// it, identity change and mismatch run on defaults, and dark vessel and radar-only
    /// in zone raise nothing.
    pub fn with_live(mut self, rules: LiveRules) -> Self {
        self.picture = PictureRules::new(rules);
        self
    }

    /// Evaluate a picture; returns the alerts for events opened and closed.
    pub fn evaluate<'a>(&mut self, tracks: impl IntoIterator<Item = &'a Track>) -> Vec<Alert> {
        let all: Vec<&Track> = tracks.into_iter().collect();
        let mut alerts = Vec::new();
        self.picture.evaluate(&all, &mut alerts);
        // Fresh: newer than the last report of its MMSI before this picture (two tracks
        // of one MMSI in one picture both are: one MMSI in two places).
        let mut fresh: Vec<(&Track, usize)> = Vec::new();
        for t in all.iter().copied() {
            let Some(m) = t.identity.mmsi.filter(|_| t.domain == Domain::Surface) else {
                continue;
            };
            let slots = &mut self.slots;
            let i = *self.seen.entry(m).or_insert_with(|| {
                slots.push(Seen {
                    track: t.id,
                    time_ms: None,
                    label: None,
                    ship_type: None,
                });
                slots.len() - 1
            });
            if self.slots[i].time_ms.is_none_or(|time| t.time_ms > time) {
                fresh.push((t, i));
            }
        }
        // Reports in time order, as the rules take them.
        // (A picture whose tracks share one time, in id order, is sorted already.)
        if !fresh.is_sorted_by_key(|(t, _)| (t.time_ms, t.id)) {
            fresh.sort_unstable_by_key(|(t, _)| (t.time_ms, t.id));
        }
        for (t, i) in fresh {
            let m = t.identity.mmsi.unwrap_or_default();
            let s = &mut self.slots[i];
            (s.track, s.time_ms) = (t.id, Some(t.time_ms));
            s.ship_type = t.identity.ship_type.or(s.ship_type);
            match &mut s.label {
                // Labels rarely change: join (and allocate) only when this one does.
                Some(l) if *l != t.label => *l = l.join(&t.label),
                Some(_) => {}
                None => s.label = Some(t.label.clone()),
            }
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
            let changes: Vec<Change> = self.engine.push(&fix).to_vec();
            for c in changes {
                let (e, state) = match c {
                    Change::Opened(e) => (e, AlertState::Open),
                    Change::Closed(e) => (e, AlertState::Close),
                };
                alerts.push(self.alert(&e, state));
            }
        }
        alerts
    }

    fn slot(&self, mmsi: u32) -> Option<&Seen> {
        self.seen.get(&mmsi).map(|&i| &self.slots[i])
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
    use biac_model::{Affiliation, Classification, Identity, Nation, TrackStatus, Velocity};

    fn track(id: u64, mmsi: u32, t_ms: i64, lat: f64, lon: f64, label: Label) -> Track {
        Track {
            missile: None,
            id,
            time_ms: t_ms,
            position: Position::new(lat, lon),
            velocity: Velocity {
                east_mps: 0.2,
                north_mps: 0.0,
            },
            pos_cov_en: [1.0, 0.0, 1.0],
            status: TrackStatus::Confirmed,
            domain: Domain::Surface,
            affiliation: Affiliation::Unknown,
            identity: Identity {
                mmsi: Some(mmsi),
                ..Default::default()
            },
            sources: Default::default(),
            updates: 1,
            label,
        }
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
}
