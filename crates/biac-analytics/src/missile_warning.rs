//! The missile warning: for each ballistic track with an impact prediction, the
//! probability that it threatens a protected state — the impact in its land territory,
//! territorial sea or EEZ, or the remaining flight over its land — raised as an alert
//! episode (`open` past `raise`, `update` as the prediction changes, `close` below
//! `withdraw`, at the predicted impact time or when the track goes).
//!
//! The probability is an integral of the 95 % impact ellipse read as a 2-D Gaussian
//! (σ = semi-axis / √χ²₂(0.95)) over the zones of `biac-zones`, by a fixed set of
//! [`SAMPLES`] equal-weight points (a Fibonacci lattice mapped through the Gaussian's
//! polar form: no randomness, the same prediction gives the same figure). Against a
//! straight boundary the set's error is below 0.02 at any offset and angle
//! (`half_plane_error_is_small`). Membership is the zone set's exact geodesic query.
//!
//! Overflight: the predicted ground track from now to impact, each point displaced by
//! the sample's impact offset scaled by the fraction of the remaining ground distance
//! flown there (the spread grows from the present position, which is known, to the
//! impact ellipse); a sample overflies a state when a displaced point of it lies on that
//! state's land. The track is searched by bisection down to [`OVERFLIGHT_STEP_M`]: a
//! stretch is settled without per-sample queries when the land-free (or land-only)
//! discs around its ends cover it with room for the largest displacement.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use biac_model::{
    Alert, AlertState, ConfigError, Label, Missile, Nation, Position, TimeMs, Track, TrackId,
};
use biac_zones::{SharedZoneSet, State, ZoneAt, ZoneConfig, ZoneSet, EEZ_M};
use serde::Deserialize;

/// Points of the impact distribution's quadrature.
pub const SAMPLES: usize = 256;
/// √χ²₂(0.95) = √(−2 ln 0.05): the 95 % ellipse's semi-axes over the Gaussian's σ.
pub const ELLIPSE_95_SIGMAS: f64 = 2.447_746_830_680_816;
/// Resolution of the overflight search along the ground track.
pub const OVERFLIGHT_STEP_M: f64 = 5_000.0;
/// Updates of an open episode at most this often (data time), except a change of zone.
pub const UPDATE_EVERY_MS: i64 = 1_000;

/// The `warning` section of the serve configuration.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WarningConfig {
    /// States warned for (ISO alpha-3, nations of the label policy with zones); empty:
    /// no missile warning.
    pub protect: Vec<String>,
    /// Open a warning when the probability reaches this.
    pub raise: f64,
    /// Withdraw an open warning when the probability falls below this.
    pub withdraw: f64,
    /// Count the remaining flight over a protected state's land, not only the impact.
    pub overflight: bool,
}

impl Default for WarningConfig {
    fn default() -> Self {
        WarningConfig {
            protect: vec!["JPN".into(), "KOR".into()],
            raise: 0.9,
            withdraw: 0.1,
            overflight: true,
        }
    }
}

impl WarningConfig {
    /// Every value checked: thresholds `0 < withdraw < raise <= 1`, known states and
    /// nations.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.withdraw > 0.0 && self.withdraw < self.raise && self.raise <= 1.0) {
            return Err(ConfigError::new(
                if self.withdraw > 0.0 && self.withdraw < self.raise {
                    "warning.raise"
                } else {
                    "warning.withdraw"
                },
                format!(
                    "warning: need 0 < withdraw < raise <= 1, got withdraw {} raise {}",
                    self.withdraw, self.raise
                ),
            ));
        }
        self.protected()?;
        Ok(())
    }

    /// The protected states with their zones' labels (zones are public data).
    fn protected(&self) -> Result<Vec<(State, Label)>, ConfigError> {
        self.protect
            .iter()
            .map(|code| {
                let nation = Nation::parse(code).map_err(|_| {
                    ConfigError::new(
                        "warning.protect",
                        format!("warning.protect: {code:?} is not a nation of the policy"),
                    )
                })?;
                let state = State::parse(code)
                    .filter(|s| ZoneConfig::default().zone_states.contains(s))
                    .ok_or_else(|| {
                        ConfigError::new(
                            "warning.protect",
                            format!("warning.protect: {code:?} has no zones in biac-zones"),
                        )
                    })?;
                Ok((state, Label::unclassified_public(nation)))
            })
            .collect()
    }
}

/// Where a threat to a state lies, most specific first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    Land,
    TerritorialSea,
    ContiguousZone,
    Eez,
    /// The flight passes over its land (the impact is elsewhere).
    Overflight,
}

impl Place {
    /// The zone's name as alerts give it.
    pub fn zone_name(self, state: State) -> String {
        let s = state_name(state);
        match self {
            Place::Land => format!("{s} land territory (approximate)"),
            Place::TerritorialSea => format!("{s} territorial sea (approximate)"),
            Place::ContiguousZone => format!("{s} contiguous zone (approximate)"),
            Place::Eez => format!("{s} EEZ (approximate)"),
            Place::Overflight => format!("{s} land territory (overflight, approximate)"),
        }
    }

    fn of(z: &ZoneAt, s: State) -> Option<Place> {
        if z.land == Some(s) {
            Some(Place::Land)
        } else if z.territorial_sea == Some(s) {
            Some(Place::TerritorialSea)
        } else if z.eez == Some(s) {
            Some(if z.contiguous_zone == Some(s) {
                Place::ContiguousZone
            } else {
                Place::Eez
            })
        } else {
            None
        }
    }
}

fn state_name(s: State) -> &'static str {
    match s.as_str() {
        "JPN" => "Japan",
        "KOR" => "Korea",
        "PHL" => "Philippines",
        "TWN" => "Taiwan",
        "CHN" => "China",
        _ => "the state",
    }
}

/// The threat to one state from one prediction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Assessment {
    pub state: State,
    /// Probability of the impact in its land, territorial sea or EEZ, or of overflight.
    pub probability: f64,
    pub impact_probability: f64,
    pub overflight_probability: f64,
    /// The most specific place: the zone at the predicted impact point when it is the
    /// state's, else overflight or the zone kind holding most of the probability.
    pub place: Option<Place>,
}

/// The quadrature's points in σ units, `[along major, along minor]`, equal weights.
pub fn unit_samples() -> &'static [[f64; 2]] {
    static S: OnceLock<Vec<[f64; 2]>> = OnceLock::new();
    S.get_or_init(|| {
        let phi = (5f64.sqrt() - 1.0) / 2.0;
        (0..SAMPLES)
            .map(|i| {
                let u1 = (i as f64 + 0.5) / SAMPLES as f64;
                let u2 = (i as f64 * phi).fract();
                let r = (-2.0 * (1.0 - u1).ln()).sqrt();
                let th = std::f64::consts::TAU * u2;
                [r * th.cos(), r * th.sin()]
            })
            .collect()
    })
}

/// The largest radius of [`unit_samples`], σ units.
fn max_unit_radius() -> f64 {
    (-2.0 * (0.5 / SAMPLES as f64).ln()).sqrt()
}

/// One sample's impact offset: bearing (degrees from north) and distance (m).
#[derive(Clone, Copy)]
struct Offset {
    bearing_deg: f64,
    dist_m: f64,
}

/// A point of the ground track: position, fraction of the spread, what is under it and
/// how far that stays so (land of a state, or sea, within `rho_m`).
#[derive(Clone, Copy)]
struct Site {
    lat: f64,
    lon: f64,
    w: f64,
    land: Option<State>,
    rho_m: f64,
}

/// The threat of `m`'s prediction to each of `states` (in that order); empty when the
/// missile has no usable impact prediction.
pub fn assess(zones: &ZoneSet, m: &Missile, states: &[State], overflight: bool) -> Vec<Assessment> {
    let Some(ipp) = m.ipp else {
        return Vec::new();
    };
    let finite = [
        ipp.lat,
        ipp.lon,
        ipp.semi_major_m,
        ipp.semi_minor_m,
        ipp.major_bearing_deg,
    ];
    if finite.iter().any(|v| !v.is_finite()) || states.is_empty() || states.len() > 64 {
        return Vec::new();
    }
    let s_major = ipp.semi_major_m.abs() / ELLIPSE_95_SIGMAS;
    let s_minor = ipp.semi_minor_m.abs() / ELLIPSE_95_SIGMAS;
    let offsets: Vec<Offset> = unit_samples()
        .iter()
        .map(|[a, b]| {
            let (a, b) = (a * s_major, b * s_minor);
            Offset {
                bearing_deg: ipp.major_bearing_deg + b.atan2(a).to_degrees(),
                dist_m: a.hypot(b),
            }
        })
        .collect();
    let reach_m = max_unit_radius() * s_major.max(s_minor);
    // Bit i: the sample threatens states[i].
    let mut hit = vec![0u64; SAMPLES];
    let mut places = vec![[0usize; 4]; states.len()];
    // A state whose baseline is farther than the EEZ from every sample cannot be hit
    // (Japan's and Korea's land lies within 200 nm of their coasts).
    let near: Vec<bool> = states
        .iter()
        .map(|s| {
            zones
                .distance_to_baseline_m(*s, ipp.lat, ipp.lon)
                .is_some_and(|d| d - reach_m <= EEZ_M)
        })
        .collect();
    if near.iter().any(|n| *n) {
        for (j, o) in offsets.iter().enumerate() {
            let (lat, lon) = biac_geo::destination(ipp.lat, ipp.lon, o.bearing_deg, o.dist_m);
            let z = zones.zone_at(lat, lon);
            for (i, s) in states.iter().enumerate() {
                if let Some(p) = near[i].then(|| Place::of(&z, *s)).flatten() {
                    hit[j] |= 1 << i;
                    places[i][p as usize] += 1;
                }
            }
        }
    }
    let impact: Vec<usize> = (0..states.len())
        .map(|i| hit.iter().filter(|h| *h & (1 << i) != 0).count())
        .collect();
    let mut over = vec![0u64; SAMPLES];
    if overflight {
        overflown(zones, m, states, &offsets, reach_m, &mut over);
    }
    let centre = zones.zone_at(ipp.lat, ipp.lon);
    let n = SAMPLES as f64;
    states
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let bit = 1u64 << i;
            let both = (0..SAMPLES)
                .filter(|&j| (hit[j] | over[j]) & bit != 0)
                .count();
            let flown = over.iter().filter(|o| *o & bit != 0).count();
            let place = Place::of(&centre, *s).or_else(|| {
                let best = (0..4).max_by_key(|&k| (places[i][k], std::cmp::Reverse(k)))?;
                if flown > 0 && flown >= places[i][best] {
                    Some(Place::Overflight)
                } else if places[i][best] > 0 {
                    Some(
                        [
                            Place::Land,
                            Place::TerritorialSea,
                            Place::ContiguousZone,
                            Place::Eez,
                        ][best],
                    )
                } else {
                    None
                }
            });
            Assessment {
                state: *s,
                probability: both as f64 / n,
                impact_probability: impact[i] as f64 / n,
                overflight_probability: flown as f64 / n,
                place,
            }
        })
        .collect()
}

fn site(zones: &ZoneSet, lat: f64, lon: f64, w: f64) -> Site {
    match zones.shore(lat, lon) {
        // On land the nearest coast is the land's state's, so the distance to its
        // baseline is the depth inland.
        Some(s) if s.land => Site {
            lat,
            lon,
            w,
            land: Some(s.state),
            rho_m: zones
                .distance_to_baseline_m(s.state, lat, lon)
                .unwrap_or(0.0),
        },
        Some(s) => Site {
            lat,
            lon,
            w,
            land: None,
            rho_m: s.distance_m,
        },
        None => Site {
            lat,
            lon,
            w,
            land: None,
            rho_m: 0.0,
        },
    }
}

/// Marks in `over` (bit per state) the samples whose displaced ground track crosses a
/// protected state's land.
fn overflown(
    zones: &ZoneSet,
    m: &Missile,
    states: &[State],
    offsets: &[Offset],
    reach_m: f64,
    over: &mut [u64],
) {
    let pts: Vec<(f64, f64)> = m
        .trajectory
        .iter()
        .filter(|p| p[0].is_finite() && p[1].is_finite() && (-90.0..=90.0).contains(&p[1]))
        .map(|p| (p[1], p[0]))
        .collect();
    if pts.len() < 2 {
        return;
    }
    let mut cum = vec![0.0];
    for w in pts.windows(2) {
        let d = biac_geo::distance_m(w[0].0, w[0].1, w[1].0, w[1].1);
        cum.push(cum.last().copied().unwrap_or(0.0) + d);
    }
    let total = cum.last().copied().unwrap_or(0.0);
    if total.is_nan() || total <= 0.0 {
        return;
    }
    let bits = |land: Option<State>| -> u64 {
        states
            .iter()
            .enumerate()
            .filter(|(_, s)| land == Some(**s))
            .fold(0, |acc, (i, _)| acc | 1 << i)
    };
    // Stretches settled for every sample, and the points to try sample by sample.
    let mut all = 0u64;
    let mut ambiguous: Vec<Site> = Vec::new();
    let sites: Vec<Site> = pts
        .iter()
        .zip(&cum)
        .map(|(&(lat, lon), c)| site(zones, lat, lon, c / total))
        .collect();
    let mut stack: Vec<(Site, Site, u8)> = sites.windows(2).map(|w| (w[0], w[1], 0)).collect();
    stack.reverse();
    while let Some((a, b, depth)) = stack.pop() {
        let (len, az, _) = biac_geo::inverse(a.lat, a.lon, b.lat, b.lon);
        let spread = a.w.max(b.w) * reach_m;
        if a.land == b.land && a.rho_m + b.rho_m > len + 2.0 * spread {
            all |= bits(a.land);
            continue;
        }
        if len <= OVERFLIGHT_STEP_M || depth >= 16 {
            for s in [a, b] {
                if s.rho_m > s.w * reach_m {
                    all |= bits(s.land);
                } else {
                    ambiguous.push(s);
                }
            }
            continue;
        }
        let (lat, lon) = biac_geo::destination(a.lat, a.lon, az, len / 2.0);
        let mid = site(zones, lat, lon, (a.w + b.w) / 2.0);
        stack.push((mid, b, depth + 1));
        stack.push((a, mid, depth + 1));
    }
    let wanted = states
        .iter()
        .enumerate()
        .fold(0u64, |acc, (i, _)| acc | 1 << i);
    ambiguous.dedup_by(|x, y| x.lat == y.lat && x.lon == y.lon);
    for (j, o) in offsets.iter().enumerate() {
        over[j] |= all;
        for s in &ambiguous {
            if over[j] == wanted {
                break;
            }
            let d = s.w * o.dist_m;
            let land = if d < s.rho_m {
                s.land
            } else {
                let (lat, lon) = biac_geo::destination(s.lat, s.lon, o.bearing_deg, d);
                zones.shore(lat, lon).filter(|h| h.land).map(|h| h.state)
            };
            over[j] |= bits(land);
        }
    }
}

/// An open warning episode of one track for one state.
struct Episode {
    key: String,
    /// The join of every label it was derived from.
    label: Label,
    /// What the last alert said.
    probability: f64,
    place: Option<Place>,
    ipp: (f64, f64),
    semi_major_m: f64,
    impact_t_ms: TimeMs,
    sent_ms: TimeMs,
    position: Position,
}

/// The missile warning over one audience's picture (see the module documentation).
///
/// Pure: its state derives only from the tracks it is shown, so an audience's warnings
/// depend only on what it may see; the alert's label is the join of the track's labels
/// over the episode and the zone's.
pub struct MissileWarningWatch {
    zones: Arc<SharedZoneSet>,
    states: Vec<State>,
    zone_labels: Vec<Label>,
    raise: f64,
    withdraw: f64,
    overflight: bool,
    episodes: BTreeMap<(u64, usize), Episode>,
    /// Per missile track: the (time, updates) last assessed.
    assessed: BTreeMap<u64, (TimeMs, u64)>,
    /// The newest data time shown.
    now: TimeMs,
}

impl MissileWarningWatch {
    /// A watch over `zones` (its audience's recognition of the disputed features:
    /// [`crate::recognition::Recognitions::zones_of`]); `Err` for an invalid configuration.
    pub fn new(cfg: &WarningConfig, zones: Arc<SharedZoneSet>) -> Result<Self, ConfigError> {
        cfg.validate()?;
        let (states, zone_labels) = cfg.protected()?.into_iter().unzip();
        Ok(MissileWarningWatch {
            zones,
            states,
            zone_labels,
            raise: cfg.raise,
            withdraw: cfg.withdraw,
            overflight: cfg.overflight,
            episodes: BTreeMap::new(),
            assessed: BTreeMap::new(),
            now: TimeMs::MIN,
        })
    }

    /// The zone set this watch reads (to build it ahead of the first missile).
    pub fn zones(&self) -> &Arc<SharedZoneSet> {
        &self.zones
    }

    /// Evaluate a picture: the alerts for warnings opened, updated and closed.
    pub fn evaluate<'a>(&mut self, tracks: impl IntoIterator<Item = &'a Track>) -> Vec<Alert> {
        let mut alerts = Vec::new();
        let mut now = self.now;
        let mut present = BTreeSet::new();
        for t in tracks {
            now = now.max(t.time_ms);
            let Some(m) = &t.missile else { continue };
            present.insert(t.id);
            let version = (t.time_ms, t.updates);
            if self.assessed.get(&t.id) == Some(&version) {
                continue;
            }
            self.assessed.insert(t.id, version);
            let Some(ipp) = m.ipp else { continue };
            if ipp.t_ms <= t.time_ms {
                continue;
            }
            let found = assess(self.zones.get(), m, &self.states, self.overflight);
            for (i, a) in found.iter().enumerate() {
                self.step(t, m, i, a, &mut alerts);
            }
        }
        // Tracks gone, and impacts past: their episodes end.
        let ended: Vec<(u64, usize)> = self
            .episodes
            .iter()
            .filter(|((id, _), e)| !present.contains(id) || e.impact_t_ms <= now)
            .map(|(k, _)| *k)
            .collect();
        for k in ended {
            if let Some(e) = self.episodes.remove(&k) {
                let why = if present.contains(&k.0) {
                    "predicted impact time reached"
                } else {
                    "track ended"
                };
                alerts.push(self.close(k, e, now, why));
            }
        }
        self.assessed.retain(|id, _| present.contains(id));
        self.now = now;
        alerts
    }

    fn step(&mut self, t: &Track, m: &Missile, i: usize, a: &Assessment, out: &mut Vec<Alert>) {
        let Some(ipp) = m.ipp else { return };
        let key = (t.id, i);
        let state = self.states[i];
        match self.episodes.get_mut(&key) {
            None if a.probability >= self.raise => {
                let label = t.label.join(&self.zone_labels[i]);
                let e = Episode {
                    key: format!("missile-warning:{}:{}:{}", TrackId(t.id), state, t.time_ms),
                    label,
                    probability: a.probability,
                    place: a.place,
                    ipp: (ipp.lat, ipp.lon),
                    semi_major_m: ipp.semi_major_m,
                    impact_t_ms: ipp.t_ms,
                    sent_ms: t.time_ms,
                    position: Position::new(ipp.lat, ipp.lon),
                };
                out.push(alert(t, m, state, a, &e, AlertState::Open));
                self.episodes.insert(key, e);
            }
            None => {}
            Some(e) => {
                e.label = e.label.join(&t.label);
                e.impact_t_ms = ipp.t_ms;
                e.position = Position::new(ipp.lat, ipp.lon);
                if a.probability < self.withdraw {
                    if let Some(e) = self.episodes.remove(&key) {
                        let why = format!("probability {:.2}", a.probability);
                        out.push(self.close(key, e, t.time_ms, &why));
                    }
                    return;
                }
                let moved = biac_geo::distance_m(e.ipp.0, e.ipp.1, ipp.lat, ipp.lon);
                let material = (a.probability - e.probability).abs() >= 0.05
                    || moved >= (0.5 * ipp.semi_minor_m).max(1_000.0)
                    || ipp.semi_major_m <= 0.7 * e.semi_major_m;
                let due = t.time_ms - e.sent_ms >= UPDATE_EVERY_MS;
                if a.place != e.place || (material && due) {
                    e.probability = a.probability;
                    e.place = a.place;
                    e.ipp = (ipp.lat, ipp.lon);
                    e.semi_major_m = ipp.semi_major_m;
                    e.sent_ms = t.time_ms;
                    out.push(alert(t, m, state, a, e, AlertState::Update));
                }
            }
        }
    }

    fn close(&self, (track, i): (u64, usize), e: Episode, at: TimeMs, why: &str) -> Alert {
        let state = self.states[i];
        let zone = e.place.map(|p| p.zone_name(state)).unwrap_or_default();
        let mut a = Alert::event(
            at,
            "missile-warning",
            track,
            e.position,
            format!("Missile warning for {} withdrawn: {why}", state_name(state)),
            e.label,
        );
        a.state = AlertState::Close;
        a.zone = zone;
        a.episode = e.key;
        a.tracks = vec![track];
        a.detail.insert("probability".into(), e.probability);
        a.detail.insert("impact_t_ms".into(), e.impact_t_ms as f64);
        a
    }
}

impl crate::Watch for MissileWarningWatch {
    fn evaluate(&mut self, tracks: &[Arc<Track>]) -> Vec<Alert> {
        MissileWarningWatch::evaluate(self, tracks.iter().map(|t| &**t))
    }

    fn on_missile_update(&self) -> bool {
        true
    }
}

fn alert(
    t: &Track,
    m: &Missile,
    state: State,
    a: &Assessment,
    e: &Episode,
    st: AlertState,
) -> Alert {
    let ipp = m.ipp.unwrap_or(biac_model::ImpactPrediction {
        lat: e.ipp.0,
        lon: e.ipp.1,
        t_ms: e.impact_t_ms,
        semi_major_m: e.semi_major_m,
        semi_minor_m: e.semi_major_m,
        major_bearing_deg: 0.0,
    });
    let zone = a.place.map(|p| p.zone_name(state)).unwrap_or_default();
    let what = match a.place {
        Some(Place::Overflight) => format!("predicted to overfly {zone}"),
        Some(_) => format!("impact predicted in {zone}"),
        None => format!("threat to {}", state_name(state)),
    };
    let secs = (ipp.t_ms - t.time_ms).max(0) / 1000;
    let message = format!(
        "MISSILE WARNING {}: ballistic missile {what}, probability {:.2}; impact in {} min {:02} s at {:.2}{} {:.2}{} (95 % ellipse {:.1} x {:.1} km)",
        state_name(state),
        a.probability,
        secs / 60,
        secs % 60,
        ipp.lat.abs(),
        if ipp.lat >= 0.0 { "N" } else { "S" },
        ipp.lon.abs(),
        if ipp.lon >= 0.0 { "E" } else { "W" },
        ipp.semi_major_m / 1000.0,
        ipp.semi_minor_m / 1000.0,
    );
    let mut al = Alert::event(
        t.time_ms,
        "missile-warning",
        t.id,
        Position::new(ipp.lat, ipp.lon),
        message,
        e.label.clone(),
    );
    al.state = st;
    al.zone = zone;
    al.episode = e.key.clone();
    al.tracks = vec![t.id];
    let d = &mut al.detail;
    d.insert("probability".into(), a.probability);
    d.insert("impact_probability".into(), a.impact_probability);
    d.insert("overflight_probability".into(), a.overflight_probability);
    d.insert(
        "overflight".into(),
        if a.overflight_probability >= 0.5 {
            1.0
        } else {
            0.0
        },
    );
    d.insert("impact_t_ms".into(), ipp.t_ms as f64);
    d.insert("ipp_lat".into(), ipp.lat);
    d.insert("ipp_lon".into(), ipp.lon);
    d.insert("semi_major_m".into(), ipp.semi_major_m);
    d.insert("semi_minor_m".into(), ipp.semi_minor_m);
    d.insert("major_bearing_deg".into(), ipp.major_bearing_deg);
    al
}

#[cfg(test)]
mod tests;
