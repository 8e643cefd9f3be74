//! Analytics: zones and rules evaluated on one audience's fused picture.
//!
//! Invariants: pure (no I/O, no clock); the state of a [`ZoneWatch`] is derived only from
//! the pictures it is shown, so one audience's alerts depend only on what that audience
//! may see.

pub mod behaviour;
pub mod missile_warning;
pub mod recognition;

use std::collections::BTreeSet;
use std::sync::Arc;

use biac_model::{Affiliation, Alert, Domain, Label, Nation, Observation, Position, Track};
use serde::{Deserialize, Serialize};

/// A named polygon (lon, lat vertices, not closed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    pub name: String,
    /// Exterior ring as `[lon, lat]` pairs.
    pub polygon: Vec<[f64; 2]>,
    /// True when the geometry is an approximation of the legal line.
    pub approximate: bool,
    /// Where the geometry comes from.
    pub provenance: String,
    /// Which tracks the zone watches.
    pub rule: ZoneRule,
    /// Zones are data like any other: their existence and shape leave through the guard.
    pub label: Label,
}

/// Who raises an alert on entering a zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneRule {
    /// Surface tracks that carry no AIS identity ("dark" vessels) or are suspect/hostile.
    DarkOrHostileSurface,
    /// Any track.
    Any,
}

impl Zone {
    /// A circle of `radius_m` (geodesic, on WGS84) around a point, as a 64-gon (a
    /// stand-in for a legal line drawn from baselines; marked approximate).
    pub fn circle(
        name: &str,
        center: Position,
        radius_m: f64,
        provenance: &str,
        label: Label,
    ) -> Zone {
        let polygon = (0..64)
            .map(|i| {
                let (lat, lon) = biac_geo::destination(
                    center.lat_deg,
                    center.lon_deg,
                    i as f64 * 360.0 / 64.0,
                    radius_m,
                );
                [lon, lat]
            })
            .collect();
        Zone {
            name: name.to_string(),
            polygon,
            approximate: true,
            provenance: provenance.to_string(),
            rule: ZoneRule::DarkOrHostileSurface,
            label,
        }
    }

    /// Even-odd point-in-polygon in lon/lat (zones here are small and far from the
    /// antimeridian, where this is accurate enough).
    pub fn contains(&self, p: &Position) -> bool {
        behaviour::ring_contains(&self.polygon, p.lon_deg, p.lat_deg)
    }

    fn watches(&self, t: &Track) -> bool {
        match self.rule {
            ZoneRule::Any => true,
            ZoneRule::DarkOrHostileSurface => {
                t.domain == Domain::Surface
                    && (t.identity.mmsi.is_none()
                        || matches!(t.affiliation, Affiliation::Hostile | Affiliation::Suspect))
            }
        }
    }
}

/// A rule set evaluated on one audience's picture, at points fixed by that audience's data
/// (each new data second and each quiet-feed flush), never by wall-clock time, so replay
/// gives the same alerts. Implementations keep only state derived from the pictures they
/// are shown (and the observations released to that audience, [`Watch::observe`]): one
/// audience's alerts depend only on what that audience may see.
pub trait Watch: Send {
    /// The alerts this picture raises.
    fn evaluate(&mut self, tracks: &[Arc<Track>]) -> Vec<Alert>;

    /// The observations of one release, before they are fused: a rule that needs the
    /// reports a picture does not show (those behind the picture's time) takes them here
    /// and raises what they imply at its next evaluation.
    fn observe(&mut self, _released: &[Observation]) {}

    /// Whether to evaluate also at every release that updated a ballistic track, not
    /// only each data second (a missile warning must not wait for the next second).
    fn on_missile_update(&self) -> bool {
        false
    }
}

impl Watch for ZoneWatch {
    fn evaluate(&mut self, tracks: &[Arc<Track>]) -> Vec<Alert> {
        ZoneWatch::evaluate(self, tracks.iter().map(|t| &**t))
    }
}

impl<G: behaviour::Geography + Send + Sync> Watch for behaviour::BehaviourWatch<G> {
    fn evaluate(&mut self, tracks: &[Arc<Track>]) -> Vec<Alert> {
        behaviour::BehaviourWatch::evaluate(self, tracks.iter().map(|t| &**t))
    }

    fn observe(&mut self, released: &[Observation]) {
        behaviour::BehaviourWatch::observe(self, released)
    }
}

/// Raises an alert when a watched track enters a zone (once per entry).
#[derive(Default)]
pub struct ZoneWatch {
    zones: Vec<Zone>,
    inside: BTreeSet<(u64, usize)>,
}

impl ZoneWatch {
    pub fn new(zones: Vec<Zone>) -> Self {
        ZoneWatch {
            zones,
            inside: BTreeSet::new(),
        }
    }

    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// Evaluate a picture; returns the alerts for new entries.
    pub fn evaluate<'a>(&mut self, tracks: impl IntoIterator<Item = &'a Track>) -> Vec<Alert> {
        let mut now_inside = BTreeSet::new();
        let mut alerts = Vec::new();
        for t in tracks {
            for (zi, z) in self.zones.iter().enumerate() {
                if z.watches(t) && z.contains(&t.position) {
                    now_inside.insert((t.id, zi));
                    if !self.inside.contains(&(t.id, zi)) {
                        let mut alert = Alert::event(
                            t.time_ms,
                            "zone-entry",
                            t.id,
                            t.position,
                            format!(
                                "{} {} track entered {}{}",
                                describe(t),
                                format!("{:?}", t.domain).to_lowercase(),
                                z.name,
                                if z.approximate {
                                    " (approximate zone)"
                                } else {
                                    ""
                                }
                            ),
                            // An alert discloses the zone as well as the track.
                            t.label.join(&z.label),
                        );
                        alert.zone = z.name.clone();
                        alerts.push(alert);
                    }
                }
            }
        }
        self.inside = now_inside;
        alerts
    }
}

fn describe(t: &Track) -> &'static str {
    match (t.affiliation, t.identity.mmsi) {
        (Affiliation::Hostile, _) => "hostile",
        (Affiliation::Suspect, _) => "suspect",
        (_, None) => "non-AIS",
        _ => "watched",
    }
}

/// The demo's zones: approximate 12 nm territorial seas around two islands of the
/// Sakishima group. Which islands count is configuration, not code; these are examples.
pub fn demo_zones() -> Vec<Zone> {
    use biac_geo::NM;
    vec![
        Zone::circle(
            "Senkaku (Uotsuri-jima) territorial sea",
            Position::new(25.743, 123.473),
            12.0 * NM + 2_000.0,
            "12 nm circle around the island centre; approximate, not the legal baseline-derived line",
            Label::unclassified_public(Nation::JPN),
        ),
        Zone::circle(
            "Miyako-jima territorial sea",
            Position::new(24.78, 125.33),
            12.0 * NM + 10_000.0,
            "12 nm beyond a 10 km island radius; approximate, not the legal baseline-derived line",
            Label::unclassified_public(Nation::JPN),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use biac_model::Classification;

    fn track(id: u64, p: Position, mmsi: Option<u32>) -> Track {
        let label = Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]);
        Track::new(id, 0, p, label).with_identity(biac_model::Identity {
            mmsi,
            ..Default::default()
        })
    }

    #[test]
    fn alerts_once_per_entry_for_dark_vessels() {
        let mut w = ZoneWatch::new(demo_zones());
        let inside = Position::new(25.75, 123.5);
        let outside = Position::new(25.0, 123.0);
        assert!(w.evaluate(&[track(1, outside, None)]).is_empty());
        let a = w.evaluate(&[track(1, inside, None), track(2, inside, Some(431000000))]);
        assert_eq!(a.len(), 1, "only the non-AIS track alerts");
        assert_eq!(a[0].track_id, 1);
        assert!(
            w.evaluate(&[track(1, inside, None)]).is_empty(),
            "no repeat while inside"
        );
        assert!(w.evaluate(&[track(1, outside, None)]).is_empty());
        assert_eq!(
            w.evaluate(&[track(1, inside, None)]).len(),
            1,
            "re-entry alerts again"
        );
    }

    #[test]
    fn an_alert_is_labelled_with_its_zone_too() {
        let mut zones = demo_zones();
        for z in &mut zones {
            z.label = Label::rel_to(Classification::TopSecret, Nation::JPN, &[Nation::USA]);
        }
        let mut w = ZoneWatch::new(zones);
        let a = w.evaluate(&[track(1, Position::new(25.75, 123.5), None)]);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].label.classification(), Classification::TopSecret);
        assert_eq!(
            a[0].label,
            a[0].label
                .join(&track(1, Position::new(0.0, 0.0), None).label)
        );
    }

    #[test]
    fn circle_has_its_radius() {
        let c = Position::new(25.0, 125.0);
        let z = Zone::circle(
            "z",
            c,
            20_000.0,
            "test",
            Label::unclassified_public(Nation::JPN),
        );
        let at = |d: f64| {
            let (lat, lon) = biac_geo::destination(c.lat_deg, c.lon_deg, 45.0, d);
            Position::new(lat, lon)
        };
        assert!(z.contains(&at(19_000.0)));
        assert!(!z.contains(&at(21_000.0)));
        // Every vertex is the radius away on the ellipsoid.
        for [lon, lat] in &z.polygon {
            let d = biac_geo::distance_m(c.lat_deg, c.lon_deg, *lat, *lon);
            assert!((d - 20_000.0).abs() < 1e-6, "{d}");
        }
    }
}
