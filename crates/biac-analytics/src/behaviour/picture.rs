//! The live-only rules: they need what only a fused picture holds (radar, GMTI and
//! partner tracks beside AIS), so `biac events` (AIS alone) has no form of them.
//!
//! - `dark_vessel`: a track with an MMSI whose AIS feeds have been silent for at least
//!   [`LiveThresholds::dark_min_s`] while another feed (radar, GMTI, a partner's track)
//!   still updates it. Needs each feed's time of last contribution ([`FeedTimes`]); while
//!   the model carries only the set of feed names it cannot tell and raises nothing.
//! - `radar_only_in_zone`: a surface track confirmed without an MMSI for at least
//!   [`LiveThresholds::radar_only_min_s`] inside a territorial sea or contiguous zone
//!   (biac-zones `zone_at`, exact geodesic distance to the baseline), once per entry into
//!   each zone, first sight inside included (a dark track found inside has not "entered"
//!   by AIS's rule, but it is there). The age keeps out the radar's short-lived tracks
//!   (clutter, a vessel's plots before the tracker joins them to its AIS track); a track
//!   coasting through a scan it was missed in keeps its episode, and so does one within
//!   [`LiveThresholds::zone_margin_m`] beyond its zone's line (no episode per flip
//!   across the 12 nm line).
//! - `identity_change`: one MMSI whose vessel name or ship type, once known, changes
//!   (one-shot).
//! - `ais_radar_mismatch`: an AIS track and a track without an MMSI that move alike
//!   (velocities within [`LiveThresholds::mismatch_velocity_mps`], both at least
//!   [`LiveThresholds::mismatch_min_kn`]) apart by more than noise — more than
//!   `mismatch_noise_m` and more than `mismatch_sigmas` combined one-sigma position
//!   errors — and less than `mismatch_max_m`, for at least `mismatch_min_s`: the
//!   signature of an AIS position offset from where the radar sees the vessel (the
//!   tracker gates the radar plots away from the spoofed AIS track, so the vessel splits
//!   in two). When feed times are known, an AIS track that a non-AIS feed updated within
//!   `mismatch_min_s` is radar-confirmed and never matches, and one whose AIS is silent
//!   as long is a dark vessel instead.
//!
//! State is derived only from the pictures shown; time is the pictures' data time.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use biac_model::{Alert, AlertState, Domain, Label, Position, Track, TrackStatus};
use biac_zones::{State, ZoneKind, ZoneSet};

use super::{approx_distance_m, FastMap, ThresholdError};

/// Thresholds of the live-only rules.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveThresholds {
    /// Dark vessel: AIS silent at least this long (s) while another feed follows. A
    /// class A transponder reports every 2–10 s under way and every 3 min at anchor.
    pub dark_min_s: f64,
    /// Mismatch: more than this far apart (m; spoofing's "beyond noise")…
    pub mismatch_noise_m: f64,
    /// …and more than this many combined one-sigma position errors…
    pub mismatch_sigmas: f64,
    /// …but at most this far (m: farther, the two are not taken for one vessel)…
    pub mismatch_max_m: f64,
    /// …velocities within this (m/s)…
    pub mismatch_velocity_mps: f64,
    /// …both at least this fast (kn: vessels at rest all "move alike")…
    pub mismatch_min_kn: f64,
    /// …for at least this long (s).
    pub mismatch_min_s: f64,
    /// Radar only in zone: confirmed without an MMSI for at least this long (s).
    pub radar_only_min_s: f64,
    /// Radar only in zone: an episode keeps its zone until the track is this far (m)
    /// beyond that zone's line (the 12 nm line between territorial sea and contiguous
    /// zone, the 24 nm line outside): a track on a line flips between the two with
    /// the tracker's noise. The zones are approximate to ±0.5 nm anyway.
    pub zone_margin_m: f64,
    /// Late reports: a report released at least this far (s) behind the audience's
    /// clock is replayed into the rules (`BehaviourWatch::observe`); a nearer one is
    /// taken, like every report, by the next picture.
    pub late_min_s: f64,
}

impl Default for LiveThresholds {
    fn default() -> Self {
        LiveThresholds {
            dark_min_s: 600.0,
            mismatch_noise_m: 1_000.0,
            mismatch_sigmas: 3.0,
            mismatch_max_m: 10_000.0,
            mismatch_velocity_mps: 1.5,
            mismatch_min_kn: 2.0,
            mismatch_min_s: 120.0,
            radar_only_min_s: 60.0,
            zone_margin_m: 0.5 * biac_geo::NM,
            late_min_s: 10.0,
        }
    }
}

impl LiveThresholds {
    /// Reject values no rule can work with (negative, NaN).
    pub fn validate(&self) -> Result<(), ThresholdError> {
        super::check(&[
            ("dark_min_s", self.dark_min_s),
            ("mismatch_noise_m", self.mismatch_noise_m),
            ("mismatch_sigmas", self.mismatch_sigmas),
            ("mismatch_max_m", self.mismatch_max_m),
            ("mismatch_velocity_mps", self.mismatch_velocity_mps),
            ("mismatch_min_kn", self.mismatch_min_kn),
            ("mismatch_min_s", self.mismatch_min_s),
            ("radar_only_min_s", self.radar_only_min_s),
            ("zone_margin_m", self.zone_margin_m),
            ("late_min_s", self.late_min_s),
        ])
    }
}

/// What the live-only rules need beyond the picture.
#[derive(Clone, Default)]
pub struct LiveRules {
    pub th: LiveThresholds,
    /// The audience's AIS feeds by name: the dark vessel and mismatch rules tell AIS
    /// from other sources by them (without them, no dark vessel is raised).
    pub ais_feeds: BTreeSet<String>,
    /// Territorial seas and contiguous zones for `radar_only_in_zone`, with the label of
    /// the zones' geometry (joined into the alert's).
    pub zones: Option<(Arc<ZoneSet>, Label)>,
}

/// A track's contributing feeds with the data time of each one's latest contribution,
/// where the model carries it (`None` where it holds the feed names alone).
pub trait FeedTimes {
    fn feed_times(&self) -> impl Iterator<Item = (&str, Option<i64>)>;
}

impl FeedTimes for BTreeSet<String> {
    fn feed_times(&self) -> impl Iterator<Item = (&str, Option<i64>)> {
        self.iter().map(|n| (n.as_str(), None))
    }
}

/// `i64::MIN` is the model's "stored before times were kept".
impl FeedTimes for BTreeMap<String, i64> {
    fn feed_times(&self) -> impl Iterator<Item = (&str, Option<i64>)> {
        self.iter()
            .map(|(n, t)| (n.as_str(), (*t != i64::MIN).then_some(*t)))
    }
}

/// Latest known contribution of AIS feeds and of every other feed.
fn ais_and_other(t: &Track, ais: &BTreeSet<String>) -> (Option<i64>, Option<i64>) {
    let (mut a, mut o) = (None::<i64>, None::<i64>);
    for (name, time) in t.sources.feed_times() {
        let Some(time) = time else { continue };
        let slot = if ais.contains(name) { &mut a } else { &mut o };
        *slot = Some(slot.map_or(time, |s| s.max(time)));
    }
    (a, o)
}

/// An episode under way: its key, the label of what it derives from (kept for the
/// close alert when a track has left the picture), and where it stands.
#[derive(Debug)]
struct Ep {
    key: String,
    label: Label,
    tracks: Vec<u64>,
    last_ms: i64,
}

#[derive(Debug)]
struct Dark {
    ep: Ep,
    /// AIS's last contribution when the episode opened.
    ais_ms: i64,
    /// The other feeds' latest contribution.
    other_ms: i64,
}

#[derive(Debug)]
struct Mismatch {
    /// The track without an MMSI it is paired with.
    radar: u64,
    since_ms: i64,
    /// Set once opened.
    ep: Option<Ep>,
}

/// Per track: what the rules remember between pictures. The episodes, rare, are boxed:
/// every track's memo is touched on every picture.
#[derive(Debug)]
struct Memo {
    generation: u64,
    /// Where the zones were last asked, and the answer.
    zone_query: Option<(f64, f64, Option<Zone>)>,
    in_zone: Option<Box<(Zone, Ep)>>,
    /// Since when (data time) the track has been confirmed without an MMSI.
    radar_since: Option<i64>,
    dark: Option<Box<Dark>>,
    mismatch: Option<Box<Mismatch>>,
    position: Position,
}

/// A zone: whose, and which kind.
type Zone = (State, ZoneKind);

/// Within this of the last zone query a track keeps its answer: a boundary is crossed
/// at most this late (the zones are approximate to ±0.5 nm anyway).
const ZONE_REQUERY_M: f64 = 100.0;

/// The live-only rules over successive pictures of one audience.
pub(crate) struct PictureRules {
    rules: LiveRules,
    generation: u64,
    memo: FastMap<u64, Memo>,
    /// Per MMSI: last known name and ship type.
    identity: FastMap<u32, (Option<String>, Option<u8>)>,
    /// Episodes opened, for keys that name no track id (ids are per-tracker internals).
    episodes: u64,
    /// The mismatch rule's grid: each confirmed moving track without an MMSI under the
    /// nine cells around its own (reused between pictures; there are few such tracks).
    grid: FastMap<(i32, i32), Vec<u32>>,
}

fn alert(kind: &str, state: AlertState, id: u64, pos: Position, ep: &Ep, message: String) -> Alert {
    let mut a = Alert::event(ep.last_ms, kind, id, pos, message, ep.label.clone());
    a.state = state;
    a.episode = ep.key.clone();
    a.tracks = ep.tracks.clone();
    a
}

impl PictureRules {
    pub fn new(rules: LiveRules) -> Self {
        PictureRules {
            rules,
            generation: 0,
            memo: FastMap::default(),
            identity: FastMap::default(),
            episodes: 0,
            grid: FastMap::default(),
        }
    }

    pub fn evaluate(&mut self, tracks: &[&Track], out: &mut Vec<Alert>) {
        self.generation += 1;
        let gen = self.generation;
        let now = tracks.iter().map(|t| t.time_ms).max().unwrap_or(i64::MIN);
        for t in tracks {
            self.identity_change(t, out);
            let m = self.memo.entry(t.id).or_insert_with(|| Memo {
                generation: gen,
                zone_query: None,
                in_zone: None,
                radar_since: None,
                dark: None,
                mismatch: None,
                position: t.position,
            });
            m.generation = gen;
            m.position = t.position;
            if t.domain != Domain::Surface {
                continue;
            }
            if t.identity.mmsi.is_some() {
                m.radar_since = None;
                dark_vessel(&self.rules, m, t, now, out);
            } else {
                radar_only_in_zone(&self.rules, &mut self.episodes, m, t, out);
            }
        }
        self.mismatch(tracks, now, out);
        self.forget_gone(gen, out);
    }

    fn identity_change(&mut self, t: &Track, out: &mut Vec<Alert>) {
        let Some(mmsi) = t.identity.mmsi else { return };
        let ty = t.identity.ship_type;
        let known = self.identity.entry(mmsi).or_default();
        // The common case, the very same name, without trimming.
        let raw_same = known.0.is_some() && known.0 == t.identity.name;
        if raw_same && (ty.is_none() || known.1 == ty) {
            return;
        }
        let name = t
            .identity
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let same_name = match (known.0.as_deref().map(str::trim), name) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => true,
        };
        let same_type = match (known.1, ty) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        if same_name && same_type {
            if known.0.is_none() && name.is_some() {
                known.0.clone_from(&t.identity.name);
            }
            known.1 = known.1.or(ty);
            return;
        }
        let mut what = Vec::new();
        let mut detail = BTreeMap::new();
        if !same_name {
            what.push(format!(
                "name {:?} -> {:?}",
                known.0.as_deref().map(str::trim).unwrap_or_default(),
                name.unwrap_or_default()
            ));
            known.0.clone_from(&t.identity.name);
        }
        if !same_type {
            let (a, b) = (known.1.unwrap_or_default(), ty.unwrap_or_default());
            what.push(format!("ship type {a} -> {b}"));
            detail.insert("ship_type_from".to_string(), f64::from(a));
            detail.insert("ship_type_to".to_string(), f64::from(b));
            known.1 = ty;
        }
        let mut a = Alert::event(
            t.time_ms,
            "identity_change",
            t.id,
            t.position,
            format!("identity change MMSI {mmsi}: {}", what.join(", ")),
            t.label.clone(),
        );
        a.tracks = vec![t.id];
        a.detail = detail;
        out.push(a);
    }
}

fn dark_vessel(rules: &LiveRules, m: &mut Memo, t: &Track, now: i64, out: &mut Vec<Alert>) {
    let (ais, other) = ais_and_other(t, &rules.ais_feeds);
    let min_ms = rules.th.dark_min_s * 1000.0;
    let mmsi = t.identity.mmsi.unwrap_or_default();
    let Some(d) = &mut m.dark else {
        let (Some(a), Some(o)) = (ais, other) else {
            return;
        };
        if (o - a) as f64 >= min_ms && ((now - o) as f64) < min_ms {
            let ep = Ep {
                key: format!("dark_vessel:{mmsi}:{o}"),
                label: t.label.clone(),
                tracks: vec![t.id],
                last_ms: o,
            };
            let silent = (o - a) as f64 / 1000.0;
            let mut al = alert(
                "dark_vessel",
                AlertState::Open,
                t.id,
                t.position,
                &ep,
                format!(
                    "dark vessel: AIS of MMSI {mmsi}{} silent for {silent:.0} s while other sources follow",
                    named(t)
                ),
            );
            al.detail.insert("ais_silent_s".into(), silent);
            al.detail.insert("last_ais_ms".into(), a as f64);
            out.push(al);
            m.dark = Some(Box::new(Dark {
                ep,
                ais_ms: a,
                other_ms: o,
            }));
        }
        return;
    };
    d.other_ms = other.unwrap_or(d.other_ms).max(d.other_ms);
    d.ep.last_ms = d.other_ms;
    d.ep.label = t.label.clone();
    let ais_back = ais.is_some_and(|a| a > d.ais_ms);
    let unfollowed = (now - d.other_ms) as f64 >= min_ms;
    if ais_back || unfollowed {
        let mut al = alert(
            "dark_vessel",
            AlertState::Close,
            t.id,
            t.position,
            &d.ep,
            format!(
                "dark vessel MMSI {mmsi}{}: {}",
                named(t),
                if ais_back {
                    "AIS heard again"
                } else {
                    "no longer followed"
                }
            ),
        );
        al.detail.insert(
            "ais_silent_s".into(),
            (d.other_ms - d.ais_ms) as f64 / 1000.0,
        );
        out.push(al);
        m.dark = None;
    }
}

fn radar_only_in_zone(
    rules: &LiveRules,
    episodes: &mut u64,
    m: &mut Memo,
    t: &Track,
    out: &mut Vec<Alert>,
) {
    let Some((set, zone_label)) = &rules.zones else {
        return;
    };
    let (lat, lon) = (t.position.lat_deg, t.position.lon_deg);
    match t.status {
        // Missed a scan: its position is a prediction; the episode stands.
        TrackStatus::Coasting => return,
        TrackStatus::Tentative => m.radar_since = None,
        TrackStatus::Confirmed => {
            m.radar_since.get_or_insert(t.time_ms);
        }
    }
    let min_ms = rules.th.radar_only_min_s * 1000.0;
    let aged = m
        .radar_since
        .is_some_and(|since| (t.time_ms - since) as f64 >= min_ms);
    let zone = if !aged {
        None
    } else {
        match m.zone_query {
            Some((qlat, qlon, z)) if approx_distance_m(qlat, qlon, lat, lon) < ZONE_REQUERY_M => z,
            _ => {
                let at = set.zone_at(lat, lon);
                let z = at
                    .territorial_sea
                    .map(|s| (s, ZoneKind::TerritorialSea))
                    .or(at.contiguous_zone.map(|s| (s, ZoneKind::ContiguousZone)));
                m.zone_query = Some((lat, lon, z));
                z
            }
        }
    };
    if let Some(b) = &mut m.in_zone {
        let (z, ep) = &mut **b;
        if Some(*z) == zone || (aged && within_margin(set, *z, lat, lon, rules.th.zone_margin_m)) {
            ep.last_ms = t.time_ms;
            ep.label = t.label.join(zone_label);
            return;
        }
    }
    if let Some(b) = m.in_zone.take() {
        let (z, ep) = *b;
        out.push(zone_alert(AlertState::Close, t.id, t.position, z, &ep));
    }
    if let Some(z) = zone {
        *episodes += 1;
        let ep = Ep {
            key: format!("radar_only_in_zone:{}:{}", t.time_ms, episodes),
            label: t.label.join(zone_label),
            tracks: vec![t.id],
            last_ms: t.time_ms,
        };
        out.push(zone_alert(AlertState::Open, t.id, t.position, z, &ep));
        m.in_zone = Some(Box::new((z, ep)));
    }
}

/// Whether the point is still in `zone` widened by `margin_m` on each side (its state's
/// baseline distance within the zone's band, give or take the margin).
fn within_margin(set: &ZoneSet, (state, kind): Zone, lat: f64, lon: f64, margin_m: f64) -> bool {
    let Some(d) = set.distance_to_baseline_m(state, lat, lon) else {
        return false;
    };
    let ts = set.territorial_sea_m(state, lat, lon);
    match kind {
        ZoneKind::TerritorialSea => d <= ts + margin_m,
        ZoneKind::ContiguousZone => {
            d + margin_m >= ts && d <= biac_zones::CONTIGUOUS_ZONE_M + margin_m
        }
        ZoneKind::Eez => false,
    }
}

impl PictureRules {
    fn mismatch(&mut self, tracks: &[&Track], now: i64, out: &mut Vec<Alert>) {
        let th = self.rules.th.clone();
        let min_mps = th.mismatch_min_kn * biac_geo::KNOT;
        let min_ms = th.mismatch_min_s * 1000.0;
        let moving = |t: &Track| {
            let v = &t.velocity;
            t.domain == Domain::Surface
                && v.east_mps * v.east_mps + v.north_mps * v.north_mps >= min_mps * min_mps
        };
        // Best partner per AIS track, by AIS index ascending: (AIS, radar, distance).
        let mut best: Vec<(usize, usize, f64)> = Vec::new();
        for v in self.grid.values_mut() {
            v.clear();
        }
        // Cells at least the pairing distance on a side up to 60° of latitude.
        let c = th.mismatch_max_m.max(1.0) / 110_000.0;
        let cell = |p: &Position| {
            (
                (p.lat_deg / c).floor() as i32,
                (p.lon_deg / (2.0 * c)).floor() as i32,
            )
        };
        // The few radar tracks under the nine cells around theirs (ascending index), so
        // each AIS track looks in its own cell only: the same pairs as the AIS tracks
        // under their cells and each radar track looking in the nine.
        let mut any_radar = false;
        for (r, rt) in tracks.iter().enumerate() {
            if !(moving(rt) && rt.identity.mmsi.is_none() && rt.status == TrackStatus::Confirmed) {
                continue;
            }
            any_radar = true;
            let (ci, cj) = cell(&rt.position);
            for di in -1..=1 {
                for dj in -1..=1 {
                    self.grid
                        .entry((ci + di, cj + dj))
                        .or_default()
                        .push(r as u32);
                }
            }
        }
        if any_radar {
            for (a, at) in tracks.iter().enumerate() {
                if !(moving(at) && at.identity.mmsi.is_some()) {
                    continue;
                }
                let Some(list) = self.grid.get(&cell(&at.position)) else {
                    continue;
                };
                if list.is_empty() {
                    continue;
                }
                // Radar-confirmed (a non-AIS feed updated it lately) or dark: not this rule.
                let (ais, other) = ais_and_other(at, &self.rules.ais_feeds);
                if other.is_some_and(|o| ((now - o) as f64) < min_ms)
                    || ais.is_some_and(|a| (now - a) as f64 >= min_ms)
                {
                    continue;
                }
                let mut pick: Option<(usize, f64)> = None;
                for &r in list {
                    let rt = tracks[r as usize];
                    let d = approx_distance_m(
                        at.position.lat_deg,
                        at.position.lon_deg,
                        rt.position.lat_deg,
                        rt.position.lon_deg,
                    );
                    let sigma = at.pos_sigma_m().hypot(rt.pos_sigma_m());
                    let noise = th.mismatch_noise_m.max(th.mismatch_sigmas * sigma);
                    let dv = (at.velocity.east_mps - rt.velocity.east_mps)
                        .hypot(at.velocity.north_mps - rt.velocity.north_mps);
                    if d > noise
                        && d <= th.mismatch_max_m
                        && dv <= th.mismatch_velocity_mps
                        && pick.is_none_or(|(_, pd)| d < pd)
                    {
                        pick = Some((r as usize, d));
                    }
                }
                if let Some((r, d)) = pick {
                    best.push((a, r, d));
                }
            }
        }
        self.grid.retain(|_, v| !v.is_empty());
        // AIS tracks paired before and not now: their episodes end.
        let paired: HashSet<u64> = best.iter().map(|&(a, _, _)| tracks[a].id).collect();
        let mut ended: Vec<u64> = self
            .memo
            .iter()
            .filter(|(id, m)| m.mismatch.is_some() && !paired.contains(id))
            .map(|(id, _)| *id)
            .collect();
        ended.sort_unstable();
        for id in ended {
            self.end_mismatch(id, out);
        }
        for (a, r, d) in best {
            let (at, rt) = (tracks[a], tracks[r]);
            let switched = self
                .memo
                .get(&at.id)
                .and_then(|m| m.mismatch.as_ref())
                .is_some_and(|x| x.radar != rt.id);
            if switched {
                self.end_mismatch(at.id, out);
            }
            let Some(m) = self.memo.get_mut(&at.id) else {
                continue;
            };
            let x = m.mismatch.get_or_insert_with(|| {
                Box::new(Mismatch {
                    radar: rt.id,
                    since_ms: now,
                    ep: None,
                })
            });
            let label = at.label.join(&rt.label);
            if let Some(ep) = &mut x.ep {
                ep.last_ms = now;
                ep.label = label;
                continue;
            }
            if ((now - x.since_ms) as f64) < min_ms {
                continue;
            }
            let mmsi = at.identity.mmsi.unwrap_or_default();
            let ep = Ep {
                key: format!("ais_radar_mismatch:{mmsi}:{}", x.since_ms),
                label,
                tracks: vec![at.id, rt.id],
                last_ms: now,
            };
            let mut al = alert(
                "ais_radar_mismatch",
                AlertState::Open,
                at.id,
                at.position,
                &ep,
                format!(
                    "AIS position of MMSI {mmsi}{} is {d:.0} m from a track without AIS moving alike",
                    named(at)
                ),
            );
            al.detail.insert("distance_m".into(), d);
            al.detail.insert("since_ms".into(), x.since_ms as f64);
            out.push(al);
            x.ep = Some(ep);
        }
    }

    /// Close the AIS track's mismatch episode (if it opened) and forget the pairing.
    fn end_mismatch(&mut self, ais_id: u64, out: &mut Vec<Alert>) {
        let Some(m) = self.memo.get_mut(&ais_id) else {
            return;
        };
        if let Some(ep) = m.mismatch.take().and_then(|x| x.ep) {
            out.push(alert(
                "ais_radar_mismatch",
                AlertState::Close,
                ais_id,
                m.position,
                &ep,
                "AIS and the track without AIS no longer disagree (or one is gone)".to_string(),
            ));
        }
    }

    /// Tracks not in this picture: their episodes close, their memory goes.
    fn forget_gone(&mut self, gen: u64, out: &mut Vec<Alert>) {
        let mut gone: Vec<u64> = self
            .memo
            .iter()
            .filter(|(_, m)| m.generation != gen)
            .map(|(id, _)| *id)
            .collect();
        gone.sort_unstable();
        for id in gone {
            self.end_mismatch(id, out);
            let Some(m) = self.memo.remove(&id) else {
                continue;
            };
            if let Some(b) = m.in_zone {
                let (z, ep) = *b;
                out.push(zone_alert(AlertState::Close, id, m.position, z, &ep));
            }
            if let Some(d) = m.dark {
                out.push(alert(
                    "dark_vessel",
                    AlertState::Close,
                    id,
                    m.position,
                    &d.ep,
                    "dark vessel: track no longer in the picture".to_string(),
                ));
            }
        }
    }
}

fn zone_alert(state: AlertState, id: u64, pos: Position, z: Zone, ep: &Ep) -> Alert {
    let name = biac_zones::display::zone_name(z.0, z.1);
    let mut a = alert(
        "radar_only_in_zone",
        state,
        id,
        pos,
        ep,
        format!(
            "surface track without AIS {} {name} (approximate zone)",
            if state == AlertState::Open {
                "inside"
            } else {
                "left"
            }
        ),
    );
    a.zone = name;
    a
}

/// ` (NAME)` when the track has a vessel name.
fn named(t: &Track) -> String {
    t.identity
        .name
        .as_deref()
        .map(|n| format!(" ({})", n.trim()))
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "picture_tests.rs"]
mod tests;
