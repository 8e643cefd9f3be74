//! The rules that need one MMSI's reports only: gap, loitering, spoofing, zone entry.

use super::area::Lattice;
use super::{
    approx_distance_m, dlon, exceeds_m, Area, Change, Event, EventKind, Fix, Geography, Ms,
    Thresholds,
};

/// A loitering run: consecutive slow reports far from shore without a long silence.
#[derive(Clone, Debug)]
struct LoiterRun {
    first: Fix,
    last_ms: Ms,
    n: u32,
    /// Sums relative to the first fix (longitude wrapped) for the mean position.
    sum_dlat: f64,
    sum_dlon: f64,
    sum_sog: f64,
    opened: bool,
}

/// A spoofing episode: inconsistent reports until an hour of consistent ones.
#[derive(Clone, Debug)]
struct Episode {
    first: Fix,
    last_ms: Ms,
    reports: u32,
    max_kn: f64,
}

/// Per vessel and area, read on every report: kept small (the entries under way, rare,
/// are kept apart), so a picture's thousands of vessels × zones stay in cache.
#[derive(Clone, Copy, Debug, Default)]
struct ZoneState {
    /// `None` until the first fix: a vessel first seen inside has not entered.
    inside: Option<bool>,
    /// The area's grid cell of the last fix, when no edge touches it (its answer then
    /// holds anywhere in it): most reports skip the test.
    settled_cell: Option<u32>,
}

/// An entry under way: the area's index, the first fix inside and the time of the last.
type Entry = (usize, Fix, Ms);

/// The per-MMSI rule state.
#[derive(Clone, Debug)]
pub struct VesselRules {
    last: Option<Fix>,
    /// Last computed shore distance and where: a vessel that moved `d` since is within
    /// `d` of it, so most reports need no new query.
    shore: Option<(f64, f64, f64)>,
    /// Boxed: every report looks the vessel up, so its state is kept compact.
    loiter: Option<Box<LoiterRun>>,
    spoof: Option<Box<Episode>>,
    zones: Vec<ZoneState>,
    /// Entries under way, by area index ascending.
    entries: Vec<Entry>,
    /// The [`Lattice`] cell of the last report, when settled: no area's answer changes
    /// while the vessel stays in it.
    lattice_cell: Option<u32>,
}

impl VesselRules {
    pub fn new(areas: usize) -> Self {
        VesselRules {
            last: None,
            shore: None,
            loiter: None,
            spoof: None,
            zones: vec![ZoneState::default(); areas],
            entries: Vec::new(),
            lattice_cell: None,
        }
    }

    /// The last report taken.
    pub fn last(&self) -> Option<&Fix> {
        self.last.as_ref()
    }

    /// Take one report (not older than the last one: the caller orders them).
    pub(crate) fn push(
        &mut self,
        f: &Fix,
        th: &Thresholds,
        geo: &dyn Geography,
        (areas, lattice): (&[Area], &Lattice),
        out: &mut Vec<Change>,
    ) {
        if let Some(l) = self.last {
            self.gap(&l, f, th, geo, out);
            self.spoofing(&l, f, th, out);
        }
        self.loitering(f, th, geo, out);
        self.zone_entry(f, areas, lattice, out);
        self.last = Some(*f);
    }

    /// The live form's zone presence: after a vessel's first report, an entry opens in
    /// each zone it was first seen inside (the offline rule counts only entries from
    /// outside; a live picture starts with vessels already in the zones).
    pub(crate) fn open_present(&mut self, f: &Fix, areas: &[Area], out: &mut Vec<Change>) {
        for (i, (z, a)) in self.zones.iter().zip(areas).enumerate() {
            if z.inside == Some(true) && !self.entries.iter().any(|e| e.0 == i) {
                let at = self.entries.partition_point(|e| e.0 < i);
                self.entries.insert(at, (i, *f, f.t_ms));
                let mut e = zone_event(f, f.t_ms, a);
                e.extra.push(("first_seen_inside", 1.0));
                out.push(Change::Opened(e));
            }
        }
    }

    /// End of input at `end_ms`: what is still under way is reported open, except a
    /// loitering run whose vessel has been silent longer than a run allows (it ended).
    pub fn finish(&mut self, end_ms: Ms, th: &Thresholds, areas: &[Area], out: &mut Vec<Change>) {
        if let Some(run) = self.loiter.take() {
            if let Some(mut e) = loiter_event(&run, th) {
                e.open = (end_ms - run.last_ms) as f64 <= th.loiter_max_silence_h * 3.6e6;
                out.push(Change::Closed(e));
            }
        }
        if let Some(ep) = self.spoof.take() {
            let mut e = spoof_event(&ep);
            e.open = true;
            out.push(Change::Closed(e));
        }
        for (i, first, last_ms) in self.entries.drain(..) {
            let mut e = zone_event(&first, last_ms, &areas[i]);
            e.open = true;
            out.push(Change::Closed(e));
        }
    }

    fn gap(
        &mut self,
        l: &Fix,
        f: &Fix,
        th: &Thresholds,
        geo: &dyn Geography,
        out: &mut Vec<Change>,
    ) {
        let dt = (f.t_ms - l.t_ms) as f64;
        if dt < th.gap_min_ms() {
            return;
        }
        let shore = th.gap_shore_m();
        if geo.distance_to_shore_m(l.lat, l.lon) >= shore
            && geo.distance_to_shore_m(f.lat, f.lon) >= shore
        {
            out.push(Change::Closed(Event {
                kind: EventKind::Gap,
                mmsi: vec![f.mmsi],
                start_ms: l.t_ms,
                end_ms: f.t_ms,
                lat: l.lat,
                lon: l.lon,
                zone: None,
                open: false,
                extra: vec![
                    ("hours", dt / 3.6e6),
                    ("end_lat", f.lat),
                    ("end_lon", f.lon),
                ],
            }));
        }
    }

    fn spoofing(&mut self, l: &Fix, f: &Fix, th: &Thresholds, out: &mut Vec<Change>) {
        let dt_s = (f.t_ms - l.t_ms) as f64 / 1000.0;
        let allowed = th.spoof_mps() * dt_s + th.spoof_noise_m;
        if exceeds_m(l.lat, l.lon, f.lat, f.lon, allowed) {
            let kn = if dt_s > 0.0 {
                approx_distance_m(l.lat, l.lon, f.lat, f.lon) / dt_s / biac_geo::KNOT
            } else {
                f64::INFINITY
            };
            match &mut self.spoof {
                Some(ep) => {
                    ep.last_ms = f.t_ms;
                    ep.reports += 1;
                    ep.max_kn = ep.max_kn.max(kn);
                }
                None => {
                    let ep = Episode {
                        first: *f,
                        last_ms: f.t_ms,
                        reports: 1,
                        max_kn: kn,
                    };
                    out.push(Change::Opened(spoof_event(&ep)));
                    self.spoof = Some(Box::new(ep));
                }
            }
        } else if let Some(ep) = &self.spoof {
            if (f.t_ms - ep.last_ms) as f64 >= th.spoof_episode_gap_h * 3.6e6 {
                out.push(Change::Closed(spoof_event(ep)));
                self.spoof = None;
            }
        }
    }

    /// Whether a slow report is far enough from shore, from the cached distance when
    /// the vessel has not moved enough since to change the answer.
    fn far_from_shore(&mut self, f: &Fix, geo: &dyn Geography, min_m: f64) -> bool {
        if let Some((lat, lon, d)) = self.shore {
            // 2 % and 10 m of slack cover the plane approximation.
            let moved = approx_distance_m(lat, lon, f.lat, f.lon) * 1.02 + 10.0;
            if d - moved >= min_m {
                return true;
            }
            if d + moved < min_m {
                return false;
            }
        }
        let d = geo.distance_to_shore_m(f.lat, f.lon);
        self.shore = Some((f.lat, f.lon, d));
        d >= min_m
    }

    fn loitering(&mut self, f: &Fix, th: &Thresholds, geo: &dyn Geography, out: &mut Vec<Change>) {
        let slow = f.sog_kn.is_some_and(|s| s < th.loiter_max_kn);
        let qualifies = slow && self.far_from_shore(f, geo, th.loiter_shore_m());
        let silence_ok =
            |run: &LoiterRun| (f.t_ms - run.last_ms) as f64 <= th.loiter_max_silence_h * 3.6e6;
        if qualifies {
            if let Some(run) = self.loiter.as_mut().filter(|r| silence_ok(r)) {
                run.last_ms = f.t_ms;
                run.n += 1;
                run.sum_dlat += f.lat - run.first.lat;
                run.sum_dlon += dlon(run.first.lon, f.lon);
                run.sum_sog += f.sog_kn.unwrap_or(0.0);
                if !run.opened {
                    if let Some(e) = loiter_event(run, th) {
                        run.opened = true;
                        out.push(Change::Opened(e));
                    }
                }
                return;
            }
        }
        if let Some(run) = self.loiter.take() {
            if let Some(e) = loiter_event(&run, th) {
                out.push(Change::Closed(e));
            }
        }
        if qualifies {
            let run = LoiterRun {
                first: *f,
                last_ms: f.t_ms,
                n: 1,
                sum_dlat: 0.0,
                sum_dlon: 0.0,
                sum_sog: f.sog_kn.unwrap_or(0.0),
                opened: false,
            };
            // A zero threshold makes a single report a run.
            if let Some(e) = loiter_event(&run, th) {
                out.push(Change::Opened(e));
            }
            self.loiter = Some(Box::new(run));
        }
    }

    fn zone_entry(&mut self, f: &Fix, areas: &[Area], lattice: &Lattice, out: &mut Vec<Change>) {
        let cell = lattice.settled_cell(f.lat, f.lon);
        if cell.is_some() && cell == self.lattice_cell {
            // Every area answers as at the last report: the entries under way go on.
            for e in &mut self.entries {
                e.2 = f.t_ms;
            }
            return;
        }
        self.lattice_cell = cell;
        let entries = &mut self.entries;
        for (i, (z, a)) in self.zones.iter_mut().zip(areas).enumerate() {
            let inside = match z.settled_cell {
                Some(c) if z.inside.is_some() && a.cell_of(f.lat, f.lon) == c => {
                    z.inside == Some(true)
                }
                _ => {
                    let (cell, inside, settled) = a.locate(f.lat, f.lon);
                    z.settled_cell = settled.then_some(cell);
                    inside
                }
            };
            match (z.inside, inside) {
                (Some(false), true) => {
                    let at = entries.partition_point(|e| e.0 < i);
                    entries.insert(at, (i, *f, f.t_ms));
                    out.push(Change::Opened(zone_event(f, f.t_ms, a)));
                }
                (Some(true), true) => {
                    if let Some(e) = entries.iter_mut().find(|e| e.0 == i) {
                        e.2 = f.t_ms;
                    }
                }
                (_, false) => {
                    if let Some(k) = entries.iter().position(|e| e.0 == i) {
                        let (_, first, last_ms) = entries.remove(k);
                        out.push(Change::Closed(zone_event(&first, last_ms, a)));
                    }
                }
                // First fix: no entry.
                (None, true) => {}
            }
            z.inside = Some(inside);
        }
    }
}

fn loiter_event(run: &LoiterRun, th: &Thresholds) -> Option<Event> {
    let dur = (run.last_ms - run.first.t_ms) as f64;
    (dur >= th.loiter_min_h * 3.6e6).then(|| {
        let n = f64::from(run.n);
        let lon = run.first.lon + run.sum_dlon / n;
        Event {
            kind: EventKind::Loitering,
            mmsi: vec![run.first.mmsi],
            start_ms: run.first.t_ms,
            end_ms: run.last_ms,
            lat: run.first.lat + run.sum_dlat / n,
            lon: if lon > 180.0 {
                lon - 360.0
            } else if lon <= -180.0 {
                lon + 360.0
            } else {
                lon
            },
            zone: None,
            open: false,
            extra: vec![("hours", dur / 3.6e6), ("mean_kn", run.sum_sog / n)],
        }
    })
}

fn spoof_event(ep: &Episode) -> Event {
    Event {
        kind: EventKind::Spoofing,
        mmsi: vec![ep.first.mmsi],
        start_ms: ep.first.t_ms,
        end_ms: ep.last_ms,
        lat: ep.first.lat,
        lon: ep.first.lon,
        zone: None,
        open: false,
        extra: vec![
            ("reports", f64::from(ep.reports)),
            // Infinite when two places were reported at the same second.
            (
                "max_kn",
                if ep.max_kn.is_finite() {
                    ep.max_kn
                } else {
                    -1.0
                },
            ),
        ],
    }
}

fn zone_event(first: &Fix, last_ms: Ms, a: &Area) -> Event {
    Event {
        kind: EventKind::ZoneEntry,
        mmsi: vec![first.mmsi],
        start_ms: first.t_ms,
        end_ms: last_ms,
        lat: first.lat,
        lon: first.lon,
        zone: Some(a.name.clone()),
        open: false,
        extra: vec![("hours", (last_ms - first.t_ms) as f64 / 3.6e6)],
    }
}
