//! The tracker, composed as Stone Soup composes its `MultiTargetTracker`. Per scan:
//! observations bound by identity update their track; the [`hypothesise`]r predicts
//! every track to the scan time with the motion [`filter`] and gates the remaining
//! observations into clusters; the [`associate`]or (GNN or JPDA) decides which
//! observation updates which track, and the filter updates them; the [`initiate`]or
//! starts tracks from what is left; the [`delete`]r removes tracks whose time is up.
//! Duplicate tracks are [`merge`]d; national track reports are fused track-to-track
//! ([`national`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use biac_model::{Observation, ObservationKind, TimeMs, Track, TrackStatus};

use crate::geo::EnuFrame;
use crate::kf;
use crate::{FusionStats, TrackerConfig};

mod associate;
mod ballistic;
mod delete;
mod filter;
mod hypothesise;
mod initiate;
mod merge;
mod national;
mod order;
mod polar;
mod prep;
mod state;

use associate::{Assignment, Associator};
use filter::{Kinematics, MotionFilter};
use hypothesise::Hypothesiser;
use initiate::Initiator;
use polar::Gates;
use prep::{id_keys, prepare, IdKey, Prep};
use state::{absorb, shown, TrackState};

/// The multi-sensor multi-target tracker. See the crate documentation.
pub struct Tracker {
    cfg: TrackerConfig,
    filter: MotionFilter,
    associator: Associator,
    /// Gates by degrees of freedom (sensor-space measurements), from `cfg`.
    gates: Gates,
    /// Boxed: a track is large, and the map shifts its values on every insert and
    /// removal (tentative tracks come and go by the thousand in clutter).
    tracks: BTreeMap<u64, Box<TrackState>>,
    initiator: Initiator,
    /// Which track holds each identity key.
    index: BTreeMap<IdKey, u64>,
    /// Latest time seen (scan times and `advance_to`); drives timeouts.
    now_ms: Option<TimeMs>,
    /// When maintenance last ran, and the tracks updated since that want a merge check
    /// (see [`TrackerConfig::maintenance_every_ms`]).
    last_maintenance: Option<TimeMs>,
    merge_pending: Vec<u64>,
    /// Consecutive mutual-gate passes per candidate pair (lower id first).
    merge_counts: BTreeMap<(u64, u64), u32>,
    /// Feed names seen, interned: tracks keep their sources as ids into this.
    feeds: Vec<String>,
    feed_ids: BTreeMap<String, u32>,
    stats: FusionStats,
}

impl Tracker {
    pub fn new(cfg: TrackerConfig) -> Self {
        let filter = MotionFilter::new(&cfg);
        Tracker {
            gates: Gates::new(
                cfg.gate,
                cfg.init_exclusion_gate,
                cfg.clutter_range_rate_span_mps,
            ),
            filter,
            associator: Associator::new(&cfg.association),
            cfg,
            tracks: BTreeMap::new(),
            initiator: Initiator::new(filter),
            index: BTreeMap::new(),
            now_ms: None,
            last_maintenance: None,
            merge_pending: Vec::new(),
            merge_counts: BTreeMap::new(),
            feeds: Vec::new(),
            feed_ids: BTreeMap::new(),
            stats: FusionStats::default(),
        }
    }

    fn feed_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.feed_ids.get(name) {
            return id;
        }
        let id = self.feeds.len() as u32;
        self.feeds.push(name.to_string());
        self.feed_ids.insert(name.to_string(), id);
        id
    }

    pub fn config(&self) -> &TrackerConfig {
        &self.cfg
    }

    /// Counters since creation.
    pub fn stats(&self) -> &FusionStats {
        &self.stats
    }

    /// Whether `o` would bind to a track it already has by identity (MMSI, ICAO address,
    /// national track number): then it is associated alone, without gating.
    pub fn binds(&self, o: &Observation) -> bool {
        id_keys(o).iter().any(|k| self.index.contains_key(k))
    }

    /// Number of live tracks, tentative ones included.
    /// Number of live tracks, tentative ones included.
    pub fn live_track_count(&self) -> usize {
        self.tracks.len() + self.initiator.live_seeds()
    }

    /// Process a batch of observations (any order, any mix of feeds and sensors).
    ///
    /// The batch is sorted by (time, feed, sensor, content) and cut into scans of equal
    /// (time, feed, sensor); scans are processed in order. Timeouts are applied at each
    /// scan's time (never going back), so splitting a time-ordered stream into batches
    /// differently gives the same result.
    pub fn process_batch(&mut self, batch: Vec<Observation>) {
        let order = order::scan_order(&batch);
        let mut scan: Vec<&Observation> = Vec::new();
        for (k, &(key, index)) in order.iter().enumerate() {
            if k > 0 && order[k - 1].0 != key {
                self.process_scan(&scan);
                scan.clear();
            }
            scan.push(&batch[index as usize]);
        }
        if !scan.is_empty() {
            self.process_scan(&scan);
        }
    }

    /// Delete tracks not updated for too long as of `now_ms`, and mark coasting ones.
    pub fn advance_to(&mut self, now_ms: TimeMs) {
        let now = self.now_ms.map_or(now_ms, |n| n.max(now_ms));
        self.maintain(now);
    }

    /// Housekeeping at `now` if it is due; whether it was.
    fn maintain(&mut self, now: TimeMs) -> bool {
        let every = self.cfg.maintenance_every_ms;
        let due = every <= 0 || self.last_maintenance.is_none_or(|last| now - last >= every);
        if due {
            self.last_maintenance = Some(now);
            self.housekeep(now);
        } else {
            self.now_ms = Some(now);
        }
        due
    }

    /// Confirmed tracks (and coasting ones), at their last update time, sorted by id.
    pub fn tracks(&self) -> Vec<Track> {
        self.tracks
            .values()
            .filter(|t| t.status != TrackStatus::Tentative)
            .map(|t| self.output(t, &t.kin.x, &t.kin.p, t.time_ms, t.status))
            .collect()
    }

    /// A track's output: its planar view, and for a ballistic track its missile view
    /// (3-D state, impact prediction, launch, path).
    fn output(
        &self,
        t: &TrackState,
        x: &kf::Vec4,
        p: &kf::Mat4,
        time_ms: TimeMs,
        status: TrackStatus,
    ) -> Track {
        let mut out = t.to_track(x, p, time_ms, status, &self.feeds);
        if let Some(b) = t.kin.ballistic_kin() {
            let prm = self.cfg.ballistic.unwrap_or_default();
            out.missile = Some(Box::new(ballistic::missile_of(
                b,
                t.time_ms,
                t.created_ms,
                &prm,
            )));
        }
        out
    }

    /// The confirmed (and coasting) ballistic tracks with their 3-D state, at their
    /// last update, sorted by id (the planar view of each is in [`Tracker::tracks`]).
    pub fn ballistic_tracks(&self) -> Vec<crate::ballistic::BallisticTrack> {
        self.tracks
            .values()
            .filter(|t| t.status != TrackStatus::Tentative)
            .filter_map(|t| {
                let b = t.kin.ballistic_kin()?;
                Some(crate::ballistic::BallisticTrack {
                    id: t.id,
                    time_ms: t.time_ms,
                    created_ms: t.created_ms,
                    status: t.status,
                    estimate: b.est.clone(),
                    early: b.early.as_ref().map(|(age, e)| {
                        (t.created_ms + (age * 1000.0).round() as TimeMs, e.clone())
                    }),
                    label: t.label.clone(),
                })
            })
            .collect()
    }

    /// [`Tracker::tracks`], shared: a track unchanged since `prev` (an earlier result of
    /// this call, sorted by id) is the same `Arc`, so a picture of 10,000 tracks of which
    /// a few changed costs a few conversions. Unchanged means the same time, update count
    /// and status: every change of a track's output changes one of them (an update or a
    /// merge adds updates, housekeeping changes the status), a frame re-base none.
    pub fn tracks_reusing(&self, prev: &[Arc<Track>]) -> Vec<Arc<Track>> {
        let mut out = Vec::with_capacity(self.tracks.len());
        let mut old = prev.iter().peekable();
        for t in self.tracks.values() {
            if t.status == TrackStatus::Tentative {
                continue;
            }
            while old.next_if(|o| o.id < t.id).is_some() {}
            match old.peek() {
                Some(o)
                    if o.id == t.id
                        && o.time_ms == t.time_ms
                        && o.updates == t.updates
                        && o.status == t.status =>
                {
                    out.push(Arc::clone(o))
                }
                _ => out.push(Arc::new(
                    self.output(t, &t.kin.x, &t.kin.p, t.time_ms, t.status),
                )),
            }
        }
        out
    }

    /// Like [`Tracker::tracks`], but each track predicted forward to `now_ms` (tracks
    /// already newer than `now_ms` are returned as they are). Status is `Coasting` when
    /// the track is older than its domain's coast time at `now_ms`. Does not change
    /// the tracker.
    /// Like [`Tracker::tracks`], but each track predicted forward to `now_ms` by its
    /// motion filter (tracks already newer than `now_ms` are returned as they are).
    /// Status is `Coasting` when the track is older than its domain's coast time at
    /// `now_ms`. Does not change the tracker.
    pub fn tracks_at(&self, now_ms: TimeMs) -> Vec<Track> {
        let n = self.tracks.values().filter(|t| shown(t.status)).count();
        let mut out = Vec::with_capacity(n);
        out.extend(
            self.tracks
                .values()
                .filter(|t| t.status != TrackStatus::Tentative)
                .map(|t| {
                    if now_ms <= t.time_ms {
                        return self.output(t, &t.kin.x, &t.kin.p, t.time_ms, t.status);
                    }
                    let dp = self.cfg.domain(t.domain);
                    let (x, p) = self.filter.predict_planar(
                        &t.kin,
                        t.own_model(),
                        t.age_s(now_ms),
                        t.domain,
                    );
                    let status = if now_ms - t.time_ms > dp.coast_after_ms {
                        TrackStatus::Coasting
                    } else {
                        t.status
                    };
                    self.output(t, &x, &p, now_ms, status)
                }),
        );
        out
    }

    /// Deletions and coasting at `now` (the deleter), seeds included.
    fn housekeep(&mut self, now: TimeMs) {
        self.now_ms = Some(now);
        self.stats.deleted += self.initiator.sweep(now, &self.cfg);
        for id in delete::sweep(now, &self.cfg, &self.filter, &mut self.tracks) {
            self.remove(id);
            self.stats.deleted += 1;
        }
    }

    fn remove(&mut self, id: u64) -> Option<TrackState> {
        let tr = self.tracks.remove(&id)?;
        for k in &tr.keys {
            if self.index.get(k) == Some(&id) {
                self.index.remove(k);
            }
        }
        if !self.merge_counts.is_empty() {
            self.merge_counts.retain(|&(a, b), _| a != id && b != id);
        }
        Some(*tr)
    }

    fn process_scan(&mut self, scan: &[&Observation]) {
        let t = scan[0].time_ms;
        self.stats.scans += 1;
        let now = self.now_ms.map_or(t, |n| n.max(t));
        let due = self.maintain(now);
        let mut pending = Vec::with_capacity(scan.len());
        // One scan is one feed.
        let feed = self.feed_id(&scan[0].feed);
        for &obs in scan {
            self.stats.observations += 1;
            match prepare(obs, feed, &self.cfg) {
                Some(p) => pending.push(p),
                None => self.stats.invalid += 1,
            }
        }
        let mut updated = Vec::new();
        // A pass defers observations repeating an identity another unbound observation
        // of the scan carries; the next pass binds them to the track it went to.
        while !pending.is_empty() {
            pending = self.scan_pass(t, pending, &mut updated);
        }
        if self.cfg.maintenance_every_ms > 0 {
            self.merge_pending.append(&mut updated);
            if !due {
                return;
            }
            updated = std::mem::take(&mut self.merge_pending);
        }
        self.check_merges(t, updated);
    }

    /// One association pass over (part of) a scan; returns deferred observations.
    /// Updated tracks that are not tentative are collected in `updated` (for merging).
    fn scan_pass<'a>(
        &mut self,
        t: TimeMs,
        preps: Vec<Prep<'a>>,
        updated: &mut Vec<u64>,
    ) -> Vec<Prep<'a>> {
        let mut bound = Vec::new();
        let mut free = Vec::new();
        let mut deferred = Vec::new();
        let mut seen: BTreeSet<IdKey> = BTreeSet::new();
        for p in preps {
            if let Some(&id) = p.keys.iter().find_map(|k| self.index.get(k)) {
                bound.push((id, p));
            } else if p.keys.iter().any(|k| seen.contains(k)) {
                deferred.push(p);
            } else {
                seen.extend(p.keys.iter().cloned());
                free.push(p);
            }
        }

        // (1) Identity binding.
        let mut taken = BTreeSet::new();
        for (id, p) in &bound {
            if self.update_track(*id, p, t, true, None).is_some_and(shown) {
                updated.push(*id);
            }
            taken.insert(*id);
        }
        if free.is_empty() {
            return deferred;
        }

        // (2) Hypotheses (prediction and gating) and association for everything else.
        let hyps = Hypothesiser {
            cfg: &self.cfg,
            gates: &self.gates,
            filter: &self.filter,
        }
        .hypothesise(
            t,
            &self.tracks,
            self.initiator.seeds(),
            &free,
            &taken,
            self.associator.wants_full(),
        );
        let assignments = self.associator.associate(&hyps, &free, &self.cfg);
        let (in_confirmed_gate, gated) = (hyps.in_confirmed_gate, hyps.gated);
        let mut assigned = vec![false; free.len()];
        for a in assignments {
            let Assignment {
                obs: j,
                id,
                seed,
                nis,
                posterior,
            } = a;
            assigned[j] = true;
            if seed {
                self.initiator.promote(id, &mut self.tracks);
            }
            // Sensor plots only: a national track's innovation is not χ²-distributed
            // (its errors are correlated in time), and a self-report is its own track.
            if free[j].obs.kind == ObservationKind::Plot {
                if let Some(tr) = self.tracks.get_mut(&id) {
                    tr.note_nis(nis);
                }
            }
            if self
                .update_track(id, &free[j], t, false, posterior)
                .is_some_and(shown)
            {
                updated.push(id);
            }
        }

        // (3) Leftovers: the initiator.
        for (j, p) in free.iter().enumerate() {
            if assigned[j] {
                continue;
            }
            if !gated[j] {
                self.stats.gated_out += 1;
            }
            if p.keys.is_empty() && in_confirmed_gate[j] {
                // Most likely the same object as a confirmed track (that got a better
                // plot this scan, or whose gate the plot just missed), or clutter next to
                // it: never start a duplicate track from it.
                self.stats.suppressed += 1;
                continue;
            }
            let (id, status) = self.initiator.initiate(
                p,
                t,
                &self.cfg,
                &mut self.tracks,
                &mut self.index,
                &mut self.stats,
            );
            if shown(status) {
                updated.push(id);
            }
        }
        deferred
    }

    /// Update of track `id` with `p` (the motion filter for a sensor measurement of a
    /// track that never had a national report, or the associator's `posterior` when
    /// it computed one; else [`national::t2t_update`]), returning the track's status
    /// after it; `None` (and counted late) if `p` is older than the track.
    fn update_track(
        &mut self,
        id: u64,
        p: &Prep,
        t: TimeMs,
        by_identity: bool,
        posterior: Option<(kf::Vec4, kf::Mat4)>,
    ) -> Option<TrackStatus> {
        let cfg = &self.cfg;
        let tr = self.tracks.get_mut(&id)?;
        if t < tr.time_ms {
            self.stats.late += 1;
            return None;
        }
        absorb(tr, p, cfg, &mut self.index, &mut self.stats);
        self.stats.associated += 1;
        if by_identity {
            self.stats.identity_bound += 1;
        }
        if p.obs.kind == ObservationKind::Track || tr.t2t.is_some() {
            let reset = national::t2t_update(tr, p, t, by_identity, cfg, &self.filter);
            self.stats.identity_resets += u64::from(reset);
            tr.rebase(cfg.rebase_distance_m);
            return Some(tr.status);
        }
        let dp = cfg.domain(tr.domain);
        let pred = self.filter.predict(&tr.kin, tr.age_s(t), tr.domain);
        let z = tr.frame.ecef_to_en(p.ecef);
        let mut reset = false;
        if by_identity {
            let pp = &pred.p;
            let s = [
                [pp[0][0] + p.r_pos, pp[0][1]],
                [pp[1][0], pp[1][1] + p.r_pos],
            ];
            let nu = [z[0] - pred.x[0], z[1] - pred.x[1]];
            let d2 = kf::mahalanobis2(nu, &s).map(|(d2, _)| d2);
            reset = d2.is_none_or(|d2| d2 > cfg.identity_reset_gate);
            // A sensor plot bound by identity (Mode S) is still a measurement of how
            // well the track follows: position d², the circle's approximation for a
            // range/azimuth plot.
            if let (Some(d2), false, ObservationKind::Plot) = (d2, reset, p.obs.kind) {
                tr.note_nis(d2);
            }
        }
        let res = if reset {
            None
        } else if let Some((x, pm)) = posterior {
            Some(Kinematics::planar(x, pm))
        } else {
            self.filter.update(&tr.frame, &pred, z, p)
        };
        match res {
            Some(k) => tr.kin = k,
            None => {
                // Restart the kinematics at the observation (identity jump, or a
                // numerically failed update).
                self.stats.identity_resets += u64::from(reset);
                tr.frame = EnuFrame::new(p.obs.position.lat_deg, p.obs.position.lon_deg);
                tr.kin = self.filter.initial(p, &tr.frame, dp.init_vel_sigma_mps);
            }
        }
        tr.time_ms = t;
        tr.rebase(cfg.rebase_distance_m);
        Some(tr.status)
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod t2t_tests;
