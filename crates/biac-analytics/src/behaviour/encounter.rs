//! Encounters: two vessels within a distance for a time, slow, away from ports.
//!
//! Each vessel's track is linear between its reports, so between any two consecutive
//! report times of a pair the relative position is linear in time and the times it is
//! within the distance solve a quadratic: start and end are exact crossing times, not
//! report times. A pair can be evaluated only up to the earlier of the two vessels' last
//! reports; each vessel keeps the reports its pairs still need. Pairs are found through
//! a grid of last positions and dropped when far apart.
//!
//! Vessels are held by the engine's slot index (one hash lookup per report, in the
//! engine): partners, grid cells and pairs name slots, and a pair's first slot is the
//! vessel with the lower MMSI (the event's order).

use std::collections::VecDeque;

use super::{
    approx_distance_m, dlon, metres_per_degree, Change, Event, EventKind, FastMap, Fix, Geography,
    Ms, Thresholds,
};

/// A pair is created when two vessels' last reports are this much beyond the encounter
/// distance apart or closer, and dropped (outside a run) at twice that.
const DISCOVER_SLACK_M: f64 = 2_500.0;
/// A partner silent this long ends the pair (and its run): nothing interpolates it.
const STALE_MS: Ms = 12 * 3_600_000;
/// Reports kept per vessel at most (a long encounter of a chatty transponder).
const MAX_HISTORY: usize = 50_000;
/// A vessel looks for new neighbours when it changes grid cell and at least this often
/// (its data time): a pair must exist before the two are within the encounter
/// distance, and from the discovery radius that takes 2,500 m of closing — more than
/// 30 s even at a closing speed of 160 kn. Most 1 Hz reports skip the nine-cell scan.
const DISCOVER_EVERY_MS: Ms = 30_000;
/// How often an unopened run re-checks whether it qualifies (median speed is a scan).
const OPEN_CHECK_MS: f64 = 600_000.0;

#[derive(Debug, Default)]
struct Vessel {
    mmsi: u32,
    hist: VecDeque<Fix>,
    cell: Option<(i32, i32)>,
    partners: Vec<u32>,
    /// Data time of the last neighbour scan.
    discovered_ms: Option<Ms>,
}

#[derive(Debug)]
struct Run {
    start: f64,
    last: f64,
    /// Time-weighted sums of the midpoint, relative to `origin`.
    origin: (f64, f64),
    sum_w: f64,
    sum_dlat: f64,
    sum_dlon: f64,
    min_m: f64,
    opened: bool,
    next_open_check: f64,
}

#[derive(Debug)]
struct Pair {
    /// Evaluated up to this time (ms).
    upto: f64,
    run: Option<Run>,
}

/// The encounter rule over every vessel, by slot.
#[derive(Debug, Default)]
pub(crate) struct Encounters {
    vessels: Vec<Vessel>,
    grid: FastMap<(i32, i32), Vec<u32>>,
    pairs: FastMap<(u32, u32), Pair>,
}

impl Encounters {
    pub fn new() -> Self {
        Self::default()
    }

    /// Pairs under evaluation (for the memory figures).
    pub fn pairs(&self) -> usize {
        self.pairs.len()
    }

    fn radius_m(th: &Thresholds) -> f64 {
        th.encounter_max_m + DISCOVER_SLACK_M
    }

    /// Grid cell size in degrees (lat, lon): at least the discovery radius on a side up to
    /// 60° of latitude.
    fn cell_deg(th: &Thresholds) -> (f64, f64) {
        let r = Self::radius_m(th);
        (r / 110_000.0, 2.0 * r / 111_000.0)
    }

    /// Grid cell; columns count from the antimeridian eastwards.
    fn cell(th: &Thresholds, lat: f64, lon: f64) -> (i32, i32) {
        let (clat, clon) = Self::cell_deg(th);
        let col = ((lon + 180.0).rem_euclid(360.0) / clon).floor() as i32;
        ((lat / clat).floor() as i32, col)
    }

    /// Columns around the globe: the last (narrower) one neighbours the first, so a pair
    /// across the antimeridian is found.
    fn columns(th: &Thresholds) -> i32 {
        (360.0 / Self::cell_deg(th).1).ceil() as i32
    }

    /// The pair of two slots, the lower MMSI's first.
    fn key(&self, a: u32, b: u32) -> (u32, u32) {
        if self.vessels[a as usize].mmsi <= self.vessels[b as usize].mmsi {
            (a, b)
        } else {
            (b, a)
        }
    }

    fn mmsis(&self, k: (u32, u32)) -> (u32, u32) {
        (
            self.vessels[k.0 as usize].mmsi,
            self.vessels[k.1 as usize].mmsi,
        )
    }

    /// Take one report of the vessel in `slot` (not older than its last: the caller
    /// orders them). A slot not seen before, or forgotten, starts empty.
    pub fn push(
        &mut self,
        slot: u32,
        f: &Fix,
        th: &Thresholds,
        geo: &dyn Geography,
        out: &mut Vec<Change>,
    ) {
        let s = slot as usize;
        if s >= self.vessels.len() {
            self.vessels.resize_with(s + 1, Vessel::default);
        }
        let cell = Self::cell(th, f.lat, f.lon);
        let v = &mut self.vessels[s];
        v.mmsi = f.mmsi;
        v.hist.push_back(*f);
        let old = v.cell.replace(cell);
        let due = old != Some(cell)
            || v.discovered_ms
                .is_none_or(|d| f.t_ms - d >= DISCOVER_EVERY_MS || f.t_ms < d);
        if due {
            v.discovered_ms = Some(f.t_ms);
        } else if v.partners.is_empty() {
            // Nothing to find or advance: keep the last two reports for a future pair.
            while v.hist.len() > 2 {
                v.hist.pop_front();
            }
            return;
        }
        if old != Some(cell) {
            if let Some(oc) = old {
                if let Some(list) = self.grid.get_mut(&oc) {
                    if let Some(i) = list.iter().position(|m| *m == slot) {
                        list.swap_remove(i);
                    }
                    if list.is_empty() {
                        self.grid.remove(&oc);
                    }
                }
            }
            self.grid.entry(cell).or_default().push(slot);
        }
        if due {
            self.discover(slot, f, cell, th);
        }
        // Indexed, not cloned: `advance` may drop the partner at `i` (the list keeps
        // its order).
        let mut i = 0;
        while let Some(&b) = self.vessels[s].partners.get(i) {
            if !self.advance(slot, b, f.t_ms, th, geo, out) {
                i += 1;
            }
        }
        self.trim(slot);
    }

    fn discover(&mut self, a: u32, f: &Fix, (ci, cj): (i32, i32), th: &Thresholds) {
        let r = Self::radius_m(th);
        let cols = Self::columns(th);
        let mut found = Vec::new();
        for di in -1..=1 {
            for dj in -1..=1 {
                let Some(list) = self.grid.get(&(ci + di, (cj + dj).rem_euclid(cols))) else {
                    continue;
                };
                for &b in list {
                    if b == a || self.pairs.contains_key(&self.key(a, b)) {
                        continue;
                    }
                    let Some(bl) = self.vessels[b as usize].hist.back() else {
                        continue;
                    };
                    if f.t_ms - bl.t_ms <= STALE_MS
                        && approx_distance_m(f.lat, f.lon, bl.lat, bl.lon) <= r
                    {
                        found.push(b);
                    }
                }
            }
        }
        for b in found {
            // From the first report each history interpolates: never across a silence
            // longer than a partner may be stale (a pair that was dropped for it is not
            // resumed inside that silence).
            let first = |x: u32| {
                let h = &self.vessels[x as usize].hist;
                let mut t = h.back().map_or(f.t_ms, |x| x.t_ms);
                for k in (0..h.len().saturating_sub(1)).rev() {
                    if h[k + 1].t_ms - h[k].t_ms > STALE_MS {
                        break;
                    }
                    t = h[k].t_ms;
                }
                t
            };
            let upto = first(a).max(first(b)) as f64;
            self.pairs.insert(self.key(a, b), Pair { upto, run: None });
            self.vessels[a as usize].partners.push(b);
            self.vessels[b as usize].partners.push(a);
        }
    }

    /// Evaluate the pair over the newly known time; drop it when far apart or stale
    /// (then returns true).
    fn advance(
        &mut self,
        a: u32,
        b: u32,
        now: Ms,
        th: &Thresholds,
        geo: &dyn Geography,
        out: &mut Vec<Change>,
    ) -> bool {
        let k = self.key(a, b);
        let mmsi = self.mmsis(k);
        let (va, vb) = (&self.vessels[k.0 as usize], &self.vessels[k.1 as usize]);
        let Some(pair) = self.pairs.get_mut(&k) else {
            return false;
        };
        let (ha, hb) = (&va.hist, &vb.hist);
        let (Some(la), Some(lb)) = (ha.back(), hb.back()) else {
            return false;
        };
        let end = la.t_ms.min(lb.t_ms) as f64;
        if end > pair.upto {
            // The report times of either vessel after `upto` and before `end`, then
            // `end`, ascending and distinct: a merge of the two histories' tails, found
            // from the back (a long encounter keeps hours of reports per vessel; a pair
            // is advanced at each report, so the tails are a report or two).
            let upto = pair.upto;
            let tail = |h: &VecDeque<Fix>| {
                let mut i = h.len();
                while i > 0 && h[i - 1].t_ms as f64 > upto {
                    i -= 1;
                }
                i
            };
            let (mut i, mut j) = (tail(ha), tail(hb));
            let mut s = upto;
            loop {
                let ta = ha.get(i).map_or(end, |x| (x.t_ms as f64).min(end));
                let tb = hb.get(j).map_or(end, |x| (x.t_ms as f64).min(end));
                let e = ta.min(tb);
                if e > s {
                    step(pair, ha, hb, s, e, mmsi, th, geo, out);
                    s = e;
                }
                if e >= end {
                    break;
                }
                if ta == e {
                    i += 1;
                }
                if tb == e {
                    j += 1;
                }
            }
            pair.upto = end;
        }
        let stale = (now - la.t_ms.min(lb.t_ms)) > STALE_MS;
        let far = pair.run.is_none() && {
            let (pa, pb) = (at(ha, pair.upto), at(hb, pair.upto));
            approx_distance_m(pa.0, pa.1, pb.0, pb.1) > 2.0 * Self::radius_m(th)
        };
        if !(stale || far) {
            return false;
        }
        if let Some(run) = pair.run.take() {
            if let Some(e) = run_event(&run, ha, hb, mmsi, th, geo) {
                out.push(Change::Closed(e));
            }
        }
        self.pairs.remove(&k);
        for (x, y) in [(k.0, k.1), (k.1, k.0)] {
            self.vessels[x as usize].partners.retain(|p| *p != y);
        }
        true
    }

    /// Forget the reports no pair of this vessel needs any more.
    fn trim(&mut self, slot: u32) {
        let v = &self.vessels[slot as usize];
        let need = v
            .partners
            .iter()
            .filter_map(|&b| self.pairs.get(&self.key(slot, b)))
            .map(|p| p.run.as_ref().map_or(p.upto, |r| r.start.min(p.upto)))
            .fold(f64::INFINITY, f64::min);
        let v = &mut self.vessels[slot as usize];
        while v.hist.len() > 2 && (v.hist[1].t_ms as f64 <= need || v.hist.len() > MAX_HISTORY) {
            v.hist.pop_front();
        }
    }

    /// Forget the vessel in `slot` (which then starts empty): its runs still within at
    /// their pair's last known time are reported open (as at the end of input), its
    /// pairs and reports dropped.
    pub fn forget(
        &mut self,
        slot: u32,
        th: &Thresholds,
        geo: &dyn Geography,
        out: &mut Vec<Change>,
    ) {
        let Some(v) = self.vessels.get_mut(slot as usize).map(std::mem::take) else {
            return;
        };
        let mut partners = v.partners.clone();
        partners.sort_unstable_by_key(|&b| self.vessels[b as usize].mmsi);
        for b in partners {
            let first = v.mmsi <= self.vessels[b as usize].mmsi;
            let run = self
                .pairs
                .remove(&if first { (slot, b) } else { (b, slot) })
                .and_then(|p| p.run);
            let vb = &mut self.vessels[b as usize];
            vb.partners.retain(|p| *p != slot);
            if let Some(run) = run {
                let (ha, hb, mmsi) = if first {
                    (&v.hist, &vb.hist, (v.mmsi, vb.mmsi))
                } else {
                    (&vb.hist, &v.hist, (vb.mmsi, v.mmsi))
                };
                if let Some(mut e) = run_event(&run, ha, hb, mmsi, th, geo) {
                    e.open = true;
                    out.push(Change::Closed(e));
                }
            }
        }
        if let Some(c) = v.cell {
            if let Some(list) = self.grid.get_mut(&c) {
                list.retain(|x| *x != slot);
                if list.is_empty() {
                    self.grid.remove(&c);
                }
            }
        }
    }

    /// End of input: runs still within at their pair's last known time are open.
    pub fn finish(&mut self, th: &Thresholds, geo: &dyn Geography, out: &mut Vec<Change>) {
        let mut keys: Vec<((u32, u32), (u32, u32))> =
            self.pairs.keys().map(|&k| (self.mmsis(k), k)).collect();
        keys.sort_unstable();
        for (mmsi, k) in keys {
            let Some(run) = self.pairs.get_mut(&k).and_then(|p| p.run.take()) else {
                continue;
            };
            let (va, vb) = (&self.vessels[k.0 as usize], &self.vessels[k.1 as usize]);
            if let Some(mut e) = run_event(&run, &va.hist, &vb.hist, mmsi, th, geo) {
                e.open = true;
                out.push(Change::Closed(e));
            }
        }
    }
}

/// Position (lat, lon) at time `t` on the track through the reports (held at the ends).
fn at(h: &VecDeque<Fix>, t: f64) -> (f64, f64) {
    // Pairs ask about their newest interval: look at the last few reports first.
    let n = h.len();
    let recent = n.saturating_sub(4);
    let i = match (recent..n).rev().find(|&k| (h[k].t_ms as f64) <= t) {
        Some(k) => k + 1,
        None if recent == 0 => 0,
        None => h.partition_point(|f| (f.t_ms as f64) <= t),
    };
    if i == 0 {
        return h.front().map_or((0.0, 0.0), |f| (f.lat, f.lon));
    }
    let p = h[i - 1];
    match h.get(i) {
        Some(q) if q.t_ms > p.t_ms => {
            let u = (t - p.t_ms as f64) / (q.t_ms - p.t_ms) as f64;
            (p.lat + u * (q.lat - p.lat), p.lon + u * dlon(p.lon, q.lon))
        }
        _ => (p.lat, p.lon),
    }
}

/// One interval [s, e] over which both tracks are linear.
#[allow(clippy::too_many_arguments)]
fn step(
    pair: &mut Pair,
    ha: &VecDeque<Fix>,
    hb: &VecDeque<Fix>,
    s: f64,
    e: f64,
    mmsi: (u32, u32),
    th: &Thresholds,
    geo: &dyn Geography,
    out: &mut Vec<Change>,
) {
    let (a0, b0, a1, b1) = (at(ha, s), at(hb, s), at(ha, e), at(hb, e));
    let (my, mx) = metres_per_degree(0.25 * (a0.0 + b0.0 + a1.0 + b1.0));
    let rel = |a: (f64, f64), b: (f64, f64)| (dlon(b.1, a.1) * mx, (a.0 - b.0) * my);
    let (r0, r1) = (rel(a0, b0), rel(a1, b1));
    let d = (r1.0 - r0.0, r1.1 - r0.1);
    // A micrometre of slack: "at most 500 m" holds at 500 m despite rounding.
    let max = th.encounter_max_m + 1e-6;
    let qa = d.0 * d.0 + d.1 * d.1;
    let qb = 2.0 * (r0.0 * d.0 + r0.1 * d.1);
    let qc = r0.0 * r0.0 + r0.1 * r0.1 - max * max;
    let within = if qa <= 1e-12 {
        (qc <= 0.0).then_some((0.0, 1.0))
    } else {
        let disc = qb * qb - 4.0 * qa * qc;
        if disc < 0.0 {
            None
        } else {
            let sq = disc.sqrt();
            let (u1, u2) = ((-qb - sq) / (2.0 * qa), (-qb + sq) / (2.0 * qa));
            (u1 <= 1.0 && u2 >= 0.0).then(|| (u1.max(0.0), u2.min(1.0)))
        }
    };
    let Some((u1, u2)) = within else {
        close(pair, ha, hb, mmsi, th, geo, out);
        return;
    };
    let (ws, we) = (s + u1 * (e - s), s + u2 * (e - s));
    // A run goes on only if it was within right up to this interval.
    if pair.run.as_ref().is_some_and(|r| ws > r.last + 1.0) {
        close(pair, ha, hb, mmsi, th, geo, out);
    }
    let run = pair.run.get_or_insert(Run {
        start: ws,
        last: ws,
        origin: a0,
        sum_w: 0.0,
        sum_dlat: 0.0,
        sum_dlon: 0.0,
        min_m: f64::INFINITY,
        opened: false,
        next_open_check: ws,
    });
    run.last = we;
    let tm = 0.5 * (ws + we);
    let (am, bm) = (at(ha, tm), at(hb, tm));
    let w = (we - ws).max(1e-9);
    run.sum_w += w;
    run.sum_dlat += w * (0.5 * (am.0 + bm.0) - run.origin.0);
    run.sum_dlon += w * (dlon(run.origin.1, am.1) + 0.5 * dlon(am.1, bm.1));
    // Closest approach within the interval (the quadratic's vertex, clamped).
    let uc = if qa > 1e-12 {
        (-qb / (2.0 * qa)).clamp(u1, u2)
    } else {
        u1
    };
    let dmin = ((r0.0 + d.0 * uc).powi(2) + (r0.1 + d.1 * uc).powi(2)).sqrt();
    run.min_m = run.min_m.min(dmin);
    if !run.opened
        && run.last - run.start >= th.encounter_min_h * 3.6e6
        && run.last >= run.next_open_check
    {
        run.next_open_check = run.last + OPEN_CHECK_MS;
        if let Some(e) = run_event(run, ha, hb, mmsi, th, geo) {
            run.opened = true;
            out.push(Change::Opened(e));
        }
    }
    if u2 < 1.0 {
        close(pair, ha, hb, mmsi, th, geo, out);
    }
}

fn close(
    pair: &mut Pair,
    ha: &VecDeque<Fix>,
    hb: &VecDeque<Fix>,
    mmsi: (u32, u32),
    th: &Thresholds,
    geo: &dyn Geography,
    out: &mut Vec<Change>,
) {
    if let Some(run) = pair.run.take() {
        if let Some(e) = run_event(&run, ha, hb, mmsi, th, geo) {
            out.push(Change::Closed(e));
        }
    }
}

/// Median speed over ground of both vessels' reports inside [start, end] (the reports
/// around it when none fall inside).
fn median_kn(ha: &VecDeque<Fix>, hb: &VecDeque<Fix>, start: f64, end: f64) -> Option<f64> {
    let inside = |h: &VecDeque<Fix>| -> Vec<f64> {
        h.iter()
            .filter(|f| (f.t_ms as f64) >= start && (f.t_ms as f64) <= end)
            .filter_map(|f| f.sog_kn)
            .collect()
    };
    let mut v: Vec<f64> = inside(ha);
    v.extend(inside(hb));
    if v.is_empty() {
        for h in [ha, hb] {
            let i = h.partition_point(|f| (f.t_ms as f64) <= start);
            v.extend(h.get(i.wrapping_sub(1)).and_then(|f| f.sog_kn));
            v.extend(h.get(i).and_then(|f| f.sog_kn));
        }
    }
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

/// The run as an event, if it qualifies: long enough, slow enough, far from ports.
fn run_event(
    run: &Run,
    ha: &VecDeque<Fix>,
    hb: &VecDeque<Fix>,
    mmsi: (u32, u32),
    th: &Thresholds,
    geo: &dyn Geography,
) -> Option<Event> {
    let (start, end) = (run.start.round() as Ms, run.last.round() as Ms);
    if ((end - start) as f64) < th.encounter_min_h * 3.6e6 {
        return None;
    }
    let median = median_kn(ha, hb, run.start, run.last)?;
    if median >= th.encounter_max_kn {
        return None;
    }
    let lat = run.origin.0 + run.sum_dlat / run.sum_w;
    let mut lon = run.origin.1 + run.sum_dlon / run.sum_w;
    if lon > 180.0 {
        lon -= 360.0;
    } else if lon <= -180.0 {
        lon += 360.0;
    }
    let port_m = geo.distance_to_port_m(lat, lon);
    if port_m < th.encounter_port_km * 1000.0 {
        return None;
    }
    let mut extra = vec![
        ("hours", (end - start) as f64 / 3.6e6),
        ("median_kn", median),
        ("min_m", run.min_m),
    ];
    if port_m.is_finite() {
        extra.push(("port_km", port_m / 1000.0));
    }
    Some(Event {
        kind: EventKind::Encounter,
        mmsi: vec![mmsi.0, mmsi.1],
        start_ms: start,
        end_ms: end,
        lat,
        lon,
        zone: None,
        open: false,
        extra,
    })
}
