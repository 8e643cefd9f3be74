//! The live form: the same [`Engine`] evaluated on one audience's picture, its changes
//! raised as alerts labelled with the join of everything they were derived from.

use biac_model::{Alert, AlertState, Domain, Label, Position, Track};

use super::picture::{LiveRules, PictureRules};
use super::{Area, Change, Engine, Event, FastMap, Fix, Geography, Thresholds};

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
    /// Per MMSI: the track last seen with it, its time, and the join of its labels.
    seen: FastMap<u32, (u64, i64, Label)>,
    /// The live-only rules (dark vessel, radar-only in zone, identity change, AIS/radar
    /// mismatch): see [`LiveRules`].
    picture: PictureRules,
}

impl<G: Geography> BehaviourWatch<G> {
    pub fn new(th: Thresholds, geo: G, zones: Vec<(Area, Label)>) -> Self {
        let (areas, zone_labels) = zones.into_iter().unzip();
        BehaviourWatch {
            engine: Engine::new(th, geo, areas),
            zone_labels,
            seen: FastMap::default(),
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
        let mut fresh: Vec<&Track> = all
            .iter()
            .copied()
            .filter(|t| t.domain == Domain::Surface && t.identity.mmsi.is_some())
            .filter(|t| {
                let m = t.identity.mmsi.unwrap_or_default();
                self.seen
                    .get(&m)
                    .is_none_or(|(_, time, _)| t.time_ms > *time)
            })
            .collect();
        // Reports in time order, as the rules take them.
        // (A picture whose tracks share one time, in id order, is sorted already.)
        if !fresh.is_sorted_by_key(|t| (t.time_ms, t.id)) {
            fresh.sort_unstable_by_key(|t| (t.time_ms, t.id));
        }
        for t in fresh {
            let m = t.identity.mmsi.unwrap_or_default();
            match self.seen.get_mut(&m) {
                Some(s) => {
                    (s.0, s.1) = (t.id, t.time_ms);
                    // Labels rarely change: join (and allocate) only when this one does.
                    if s.2 != t.label {
                        s.2 = s.2.join(&t.label);
                    }
                }
                None => {
                    self.seen.insert(m, (t.id, t.time_ms, t.label.clone()));
                }
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

    fn alert(&self, e: &Event, state: AlertState) -> Alert {
        let mut label: Option<Label> = None;
        for m in &e.mmsi {
            if let Some((_, _, l)) = self.seen.get(m) {
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
            .and_then(|m| self.seen.get(m))
            .map_or(0, |s| s.0);
        let mmsis: Vec<String> = e.mmsi.iter().map(u32::to_string).collect();
        let open = state == AlertState::Open;
        let tracks = e
            .mmsi
            .iter()
            .filter_map(|m| self.seen.get(m).map(|s| s.0))
            .collect();
        Alert {
            time_ms: if open { e.start_ms } else { e.end_ms },
            kind: e.kind.as_str().to_string(),
            zone: e.zone.clone().unwrap_or_default(),
            track_id,
            position: Position::new(e.lat, e.lon),
            message: format!(
                "{} {} MMSI {}",
                e.kind.as_str().replace('_', " "),
                if open { "began" } else { "ended" },
                mmsis.join(" and ")
            ),
            label: label.unwrap_or_else(|| Label::unclassified_public(biac_model::Nation::JPN)),
            state,
            episode: format!("{}:{}:{}", e.kind.as_str(), mmsis.join("-"), e.start_ms),
            tracks,
            detail: e.extra.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
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
}
