//! A zone set: the baseline of every state for one audience's recognition, and the
//! point queries the rules and the warning ask.

use std::collections::BTreeMap;

use crate::coast::{self, Polyline};
use crate::config::{Rights, ZoneConfig};
use crate::index::{segments, Hit, Query, Seg, SegIndex};
use crate::{
    Provenance, State, ZoneKind, CONTIGUOUS_ZONE_M, EEZ_M, STRAIT_TERRITORIAL_SEA_M,
    TERRITORIAL_SEA_M,
};

/// Code of a feature that no state holds for this audience: it is shore, not baseline.
pub(crate) const UNHELD: State = State(*b"XUN");

fn tag(segs: &mut [Seg], feature: Option<usize>) {
    for s in segs {
        s.feature = feature.and_then(|i| u16::try_from(i).ok());
    }
}

/// A baseline segment: its ends `(lat, lon)` (equal for a point) and what it generates.
pub type BaselineSegment = ((f64, f64), (f64, f64), Rights);

/// The nearest shore (any land).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shore {
    /// Geodesic distance to the coast, metres; 0 on land.
    pub distance_m: f64,
    /// The point is on land (by the side of the nearest coast).
    pub land: bool,
    /// Whose coast it is ([`WORLD_LAND`](crate::WORLD_LAND) outside the theatre's extract).
    pub state: State,
}

/// The zones a point lies in. At most one state per kind (median lines); the contiguous
/// zone lies inside the EEZ, so a point can be in both.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ZoneAt {
    /// On land, of this state (the nearest coast's; approximate inland near land borders).
    pub land: Option<State>,
    pub territorial_sea: Option<State>,
    pub contiguous_zone: Option<State>,
    pub eez: Option<State>,
}

impl ZoneAt {
    /// The zones as `(state, kind)` pairs.
    pub fn zones(&self) -> impl Iterator<Item = (State, ZoneKind)> {
        [
            self.territorial_sea.map(|s| (s, ZoneKind::TerritorialSea)),
            self.contiguous_zone.map(|s| (s, ZoneKind::ContiguousZone)),
            self.eez.map(|s| (s, ZoneKind::Eez)),
        ]
        .into_iter()
        .flatten()
    }

    pub fn contains(&self, state: State, kind: ZoneKind) -> bool {
        self.zones().any(|z| z == (state, kind))
    }
}

/// The zones of the theatre for one recognition.
pub struct ZoneSet {
    pub(crate) segs: Vec<Seg>,
    coast: SegIndex,
    /// Baselines with full rights (EEZ), every state.
    full: SegIndex,
    /// Every baseline (territorial sea and contiguous zone), every state.
    all: SegIndex,
    by_state: BTreeMap<State, SegIndex>,
    pub(crate) config: ZoneConfig,
    provenance: Provenance,
}

impl ZoneSet {
    /// Builds the set from the embedded coastline extract and `config`.
    pub fn build(config: ZoneConfig) -> ZoneSet {
        // The extract is committed and checked by a test; a broken one is a build defect.
        let extract = coast::parse(coast::EXTRACT).expect("the embedded coastline extract parses");
        let mut segs = Vec::new();
        let rec = &config.recognition;
        let mut notes = Vec::new();
        let near = |f: &crate::BaselineFeature, l: &Polyline| {
            f.replaces_within_m > 0.0
                && l.pts.iter().any(|&(la, lo)| {
                    f.points
                        .iter()
                        .chain(f.outlines.iter().flatten())
                        .any(|&(fa, fo)| {
                            // Cheap box first: 0.2° is over 20 km at these latitudes.
                            (la - fa).abs() < 0.2
                                && (lo - fo).abs() < 0.2
                                && biac_geo::distance_m(la, lo, fa, fo) <= f.replaces_within_m
                        })
                })
        };
        for l in &extract.lines {
            let owner = config
                .features
                .iter()
                .position(|f| f.data_code == Some(l.code));
            let replaced = config.features.iter().any(|f| near(f, l));
            if replaced {
                continue;
            }
            let (state, rights) = match owner.map(|i| &config.features[i]) {
                Some(f) => match rec.holder(f) {
                    Some(h) => (h, Some(rec.rights(f))),
                    None => (UNHELD, None),
                },
                None => (l.code, Some(Rights::Full)),
            };
            let from = segs.len();
            segments(&l.pts, state, true, rights, &mut segs);
            tag(&mut segs[from..], owner);
        }
        // The rest of the world: shore only (no rights, so in no baseline index).
        let world = coast::parse(coast::WORLD).expect("the embedded world extract parses");
        for l in &world.lines {
            segments(&l.pts, l.code, true, None, &mut segs);
        }
        for (i, f) in config.features.iter().enumerate() {
            let from = segs.len();
            let holder = rec.holder(f);
            let rights = holder.map(|_| rec.rights(f));
            let state = holder.unwrap_or(UNHELD);
            for o in &f.outlines {
                segments(o, state, true, rights, &mut segs);
            }
            for &p in &f.points {
                segs.push(Seg::new(p, p, state, false, rights));
            }
            tag(&mut segs[from..], Some(i));
            let held = match (holder, rights) {
                (None, _) | (_, None) => "held by none (shore only)".to_string(),
                (Some(h), Some(Rights::Full)) => format!("{h}"),
                (Some(h), Some(Rights::NoEez)) => format!("{h}, no EEZ"),
            };
            let disputed = if f.claimants.is_empty() {
                String::new()
            } else {
                let c: Vec<_> = f.claimants.iter().map(State::as_str).collect();
                format!(" (disputed: {})", c.join(", "))
            };
            notes.push(format!("{}: {held}{disputed}", f.name));
        }
        let coast = SegIndex::new(&segs, |_| true);
        let full = SegIndex::new(&segs, |s| s.rights == Some(Rights::Full));
        let all = SegIndex::new(&segs, |s| s.rights.is_some());
        let mut states: Vec<State> = segs
            .iter()
            .filter(|s| s.rights.is_some())
            .map(|s| s.state)
            .collect();
        states.sort();
        states.dedup();
        let by_state = states
            .into_iter()
            .map(|st| {
                (
                    st,
                    SegIndex::new(&segs, |s| s.state == st && s.rights.is_some()),
                )
            })
            .collect();
        let provenance = Provenance {
            dataset: format!("{}; shore elsewhere: {}", extract.source, world.source),
            method: "geodesic distance on WGS84 (Karney) to normal baselines along the coast \
                     (low-water line approximated by the map's coastline) and configured features; \
                     median (equidistance) line with every neighbour; Japan's specified straits 3 nm"
                .into(),
            features: notes,
        };
        ZoneSet {
            segs,
            coast,
            full,
            all,
            by_state,
            config,
            provenance,
        }
    }

    /// Built with the default configuration (administering states' view).
    pub fn theatre() -> ZoneSet {
        ZoneSet::build(ZoneConfig::default())
    }

    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    pub fn config(&self) -> &ZoneConfig {
        &self.config
    }

    /// The number of baseline and coast segments (data size).
    pub fn segment_count(&self) -> usize {
        self.segs.len()
    }

    fn hit(&self, index: &SegIndex, lat: f64, lon: f64) -> Option<Hit> {
        if !(lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(&lat)) {
            return None;
        }
        index.nearest(&self.segs, &Query::new(lat, lon))
    }

    /// The nearest shore of any land, with whether the point is on land.
    pub fn shore(&self, lat: f64, lon: f64) -> Option<Shore> {
        let h = self.hit(&self.coast, lat, lon)?;
        Some(Shore {
            distance_m: if h.land { 0.0 } else { h.distance_m },
            land: h.land,
            state: self.segs[h.seg as usize].state,
        })
    }

    /// Geodesic distance to the nearest shore of any land, metres (0 on land; infinite
    /// for a point that is not a position).
    pub fn distance_to_shore_m(&self, lat: f64, lon: f64) -> f64 {
        self.shore(lat, lon).map_or(f64::INFINITY, |s| s.distance_m)
    }

    /// Geodesic distance from the point to `state`'s baseline, metres; `None` when the
    /// state has no baseline in the set (or the point is not a position).
    pub fn distance_to_baseline_m(&self, state: State, lat: f64, lon: f64) -> Option<f64> {
        let index = self.by_state.get(&state)?;
        Some(self.hit(index, lat, lon)?.distance_m)
    }

    /// The territorial sea's breadth for `state` at a point (3 nm in its specified straits).
    pub fn territorial_sea_m(&self, state: State, lat: f64, lon: f64) -> f64 {
        if self
            .config
            .straits
            .iter()
            .any(|s| s.state == state && s.contains(lat, lon))
        {
            STRAIT_TERRITORIAL_SEA_M
        } else {
            TERRITORIAL_SEA_M
        }
    }

    fn reported(&self, s: State) -> Option<State> {
        self.config.zone_states.contains(&s).then_some(s)
    }

    /// Which zones of which state the point lies in.
    pub fn zone_at(&self, lat: f64, lon: f64) -> ZoneAt {
        let mut z = ZoneAt::default();
        let Some(shore) = self.hit(&self.coast, lat, lon) else {
            return z;
        };
        if shore.land {
            z.land = Some(self.segs[shore.seg as usize].state);
            return z;
        }
        let Some(near) = self.hit(&self.all, lat, lon) else {
            return z;
        };
        let s = self.segs[near.seg as usize].state;
        let ts = near.distance_m <= self.territorial_sea_m(s, lat, lon);
        if ts {
            z.territorial_sea = self.reported(s);
            return z;
        }
        if near.distance_m <= CONTIGUOUS_ZONE_M {
            z.contiguous_zone = self.reported(s);
        }
        let full = if self.segs[near.seg as usize].rights == Some(Rights::Full) {
            Some(near)
        } else {
            self.hit(&self.full, lat, lon)
        };
        if let Some(f) = full.filter(|f| f.distance_m <= EEZ_M) {
            z.eez = self.reported(self.segs[f.seg as usize].state);
        }
        z
    }

    /// The states with a baseline in the set.
    pub fn states(&self) -> impl Iterator<Item = State> + '_ {
        self.by_state.keys().copied()
    }

    /// The baseline of `state` as segments `((lat, lon), (lat, lon))`, points as
    /// degenerate segments, with each segment's rights (for references and displays).
    pub fn baseline(&self, state: State) -> Vec<BaselineSegment> {
        self.segs
            .iter()
            .filter(|s| s.state == state)
            .filter_map(|s| Some((s.a, s.b, s.rights?)))
            .collect()
    }
}
