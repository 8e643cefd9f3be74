//! The tracker: scans, association, track management.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use biac_model::{
    Affiliation, Domain, Identity, Label, Observation, ObservationKind, Position, TimeMs, Track,
    TrackStatus, Velocity,
};

use crate::geo::{geodetic_to_ecef, EnuFrame};
use crate::grid::BallIndex;
use crate::kf::{self, Mat2, Mat4, Vec4};
use crate::motion::{Imm, ImmParams};
use crate::t2t::{covariance_intersection, CiCriterion, NationalTrack, Offer, T2tFusion};
use crate::{assign, DomainParams, FusionStats, MotionModel, TrackerConfig};

mod polar;
use polar::{Gates, PolarPrep};

/// An identity a track can hold exclusively.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum IdKey {
    Mmsi(u32),
    Icao(u32),
    /// (feed, track number): track numbers are only unique within the feed that issues them.
    TrackNumber(String, String),
}

impl IdKey {
    /// Same kind of key (and same feed for track numbers) with a different value: the
    /// two cannot be the same object.
    fn conflicts(&self, other: &IdKey) -> bool {
        match (self, other) {
            (IdKey::Mmsi(a), IdKey::Mmsi(b)) | (IdKey::Icao(a), IdKey::Icao(b)) => a != b,
            (IdKey::TrackNumber(fa, a), IdKey::TrackNumber(fb, b)) => fa == fb && a != b,
            _ => false,
        }
    }
}

fn keys_compatible<'a>(a: impl IntoIterator<Item = &'a IdKey>, b: &BTreeSet<IdKey>) -> bool {
    a.into_iter().all(|k| !b.iter().any(|o| k.conflicts(o)))
}

fn domains_compatible(a: Domain, b: Domain) -> bool {
    a == Domain::Unknown || b == Domain::Unknown || a == b
}

/// [`obs_order`] with its leading fields precomputed as integers. An empty identity is
/// the least one (all fields `None`), so for plots the order goes straight from kind to
/// latitude and longitude, compared as integers with `f64::total_cmp`'s mapping.
struct SortKey {
    scan: (TimeMs, u32, u32),
    kind: u8,
    identified: bool,
    lat: i64,
    lon: i64,
    index: u32,
}

impl SortKey {
    fn cmp(&self, other: &SortKey, batch: &[Observation]) -> Ordering {
        let (a, b) = (&batch[self.index as usize], &batch[other.index as usize]);
        (self.scan, self.kind, self.identified)
            .cmp(&(other.scan, other.kind, other.identified))
            .then_with(|| {
                if self.identified {
                    Ordering::Equal
                } else {
                    (self.lat, self.lon).cmp(&(other.lat, other.lon))
                }
            })
            .then_with(|| obs_tail_order(a, b))
    }
}

/// The integer whose order is `f64::total_cmp`'s.
fn total_key(x: f64) -> i64 {
    let b = x.to_bits() as i64;
    b ^ ((((b >> 63) as u64) >> 1) as i64)
}

/// For each name, its rank among the distinct names (string order). Batches carry few
/// distinct feeds and sensors, usually in runs, so the last one is tried first.
fn name_ranks<'a>(names: impl Iterator<Item = &'a str>) -> Vec<u32> {
    let mut distinct: BTreeMap<&str, u32> = BTreeMap::new();
    let mut ids = Vec::new();
    let mut last: Option<(&str, u32)> = None;
    for n in names {
        let id = match last {
            Some((l, id)) if l == n => id,
            _ => {
                let next = distinct.len() as u32;
                *distinct.entry(n).or_insert(next)
            }
        };
        last = Some((n, id));
        ids.push(id);
    }
    // Ids are in order of first appearance; map them to ranks in string order.
    let mut rank = vec![0u32; distinct.len()];
    for (r, &id) in distinct.values().enumerate() {
        rank[id as usize] = r as u32;
    }
    ids.into_iter().map(|id| rank[id as usize]).collect()
}

/// A validated observation with its geometry precomputed.
struct Prep<'a> {
    obs: &'a Observation,
    ecef: [f64; 3],
    keys: Vec<IdKey>,
    /// Position variance per axis, m² (for a sensor-space measurement: the largest
    /// axis of the converted plot's ellipse, a bound used by coarse gating).
    r_pos: f64,
    /// Velocity as an ECEF vector (so it can be expressed in any track's frame) and its
    /// per-axis variance.
    vel: Option<([f64; 3], f64)>,
    /// Self-reports with an identity and track-feed reports confirm a track at once.
    confirms: bool,
    /// The feed, as an id into [`Tracker::feeds`].
    feed: u32,
    /// The measurement in the sensor's own space, when the observation carries one.
    polar: Option<Box<PolarPrep>>,
}

/// The identity keys an observation binds by: MMSI, ICAO address, and a national track
/// number within its feed.
fn id_keys(obs: &Observation) -> Vec<IdKey> {
    let mut keys = Vec::new();
    if let Some(m) = obs.identity.mmsi {
        keys.push(IdKey::Mmsi(m));
    }
    if let Some(i) = obs.identity.icao {
        keys.push(IdKey::Icao(i));
    }
    if obs.kind == ObservationKind::Track {
        if let Some(tn) = &obs.identity.track_number {
            keys.push(IdKey::TrackNumber(obs.feed.clone(), tn.clone()));
        }
    }
    keys
}

fn prepare<'a>(obs: &'a Observation, feed: u32, cfg: &TrackerConfig) -> Option<Prep<'a>> {
    if !(obs.position.is_valid() && obs.pos_sigma_m.is_finite() && obs.pos_sigma_m > 0.0) {
        return None;
    }
    let vel = match obs.velocity {
        None => None,
        Some(v) => {
            let s = obs.vel_sigma_mps.unwrap_or(cfg.default_vel_sigma_mps);
            if !(v.east_mps.is_finite() && v.north_mps.is_finite() && s.is_finite() && s > 0.0) {
                return None;
            }
            let local = EnuFrame::new(obs.position.lat_deg, obs.position.lon_deg);
            Some((local.vec_to_ecef(v.east_mps, v.north_mps), s * s))
        }
    };
    let keys = id_keys(obs);
    let confirms = match obs.kind {
        ObservationKind::Track => true,
        ObservationKind::SelfReport => obs.identity.mmsi.is_some() || obs.identity.icao.is_some(),
        ObservationKind::Plot => false,
    };
    let sigma = obs.pos_sigma_m.max(cfg.min_pos_sigma_m);
    // An invalid sensor-space measurement rejects the observation, as a bad velocity does.
    let polar = match &obs.polar {
        None => None,
        Some(m) => Some(Box::new(PolarPrep::new(m, obs)?)),
    };
    let r_pos = sigma * sigma;
    Some(Prep {
        // Horizontal tracking on the ellipsoid surface: altitude is kept separately.
        ecef: geodetic_to_ecef(obs.position.lat_deg, obs.position.lon_deg, 0.0),
        keys,
        r_pos: polar
            .as_ref()
            .map_or(r_pos, |pp| pp.max_pos_var(r_pos).max(r_pos)),
        vel,
        confirms,
        feed,
        obs,
        polar,
    })
}

fn kind_rank(k: ObservationKind) -> u8 {
    match k {
        ObservationKind::Plot => 0,
        ObservationKind::SelfReport => 1,
        ObservationKind::Track => 2,
    }
}

fn domain_rank(d: Domain) -> u8 {
    match d {
        Domain::Unknown => 0,
        Domain::Surface => 1,
        Domain::Air => 2,
        Domain::Ground => 3,
    }
}

fn opt_cmp(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

/// Batch order: (time, feed, sensor), then every other field so that the order — and
/// hence the output — does not depend on the order the batch arrived in. Observations
/// equal in all compared fields are interchangeable.
#[cfg(test)]
fn obs_order(a: &Observation, b: &Observation) -> Ordering {
    a.time_ms
        .cmp(&b.time_ms)
        .then_with(|| a.feed.cmp(&b.feed))
        .then_with(|| a.sensor.cmp(&b.sensor))
        .then_with(|| obs_tail_order(a, b))
}

/// [`obs_order`] after (time, feed, sensor).
fn obs_tail_order(a: &Observation, b: &Observation) -> Ordering {
    kind_rank(a.kind)
        .cmp(&kind_rank(b.kind))
        .then_with(|| a.identity.cmp(&b.identity))
        .then_with(|| a.position.lat_deg.total_cmp(&b.position.lat_deg))
        .then_with(|| a.position.lon_deg.total_cmp(&b.position.lon_deg))
        .then_with(|| opt_cmp(a.position.alt_m, b.position.alt_m))
        .then_with(|| a.pos_sigma_m.total_cmp(&b.pos_sigma_m))
        .then_with(|| {
            opt_cmp(
                a.velocity.map(|v| v.east_mps),
                b.velocity.map(|v| v.east_mps),
            )
        })
        .then_with(|| {
            opt_cmp(
                a.velocity.map(|v| v.north_mps),
                b.velocity.map(|v| v.north_mps),
            )
        })
        .then_with(|| opt_cmp(a.vel_sigma_mps, b.vel_sigma_mps))
        .then_with(|| domain_rank(a.domain).cmp(&domain_rank(b.domain)))
        .then_with(|| {
            a.affiliation
                .map(Affiliation::cot_atom)
                .cmp(&b.affiliation.map(Affiliation::cot_atom))
        })
        .then_with(|| a.label.classification().cmp(&b.label.classification()))
        .then_with(|| a.label.owner().iter().cmp(b.label.owner().iter()))
        .then_with(|| {
            a.label
                .rel_to_list()
                .iter()
                .cmp(b.label.rel_to_list().iter())
        })
        .then_with(|| a.label.noforn().cmp(&b.label.noforn()))
        .then_with(|| polar::polar_cmp(a.polar.as_deref(), b.polar.as_deref()))
}

/// A set of feed ids: a bitmask for the first 64 feeds (no allocation per track), a
/// set for any beyond.
#[derive(Clone, Debug, Default)]
struct Sources {
    low: u64,
    high: BTreeSet<u32>,
}

impl Sources {
    fn insert(&mut self, id: u32) {
        if id < 64 {
            self.low |= 1 << id;
        } else {
            self.high.insert(id);
        }
    }

    fn union(&mut self, other: &Sources) {
        self.low |= other.low;
        self.high.extend(other.high.iter().copied());
    }

    fn names(&self, feeds: &[String]) -> BTreeSet<String> {
        (0..64u32)
            .filter(|i| self.low & (1 << i) != 0)
            .chain(self.high.iter().copied())
            .map(|i| feeds[i as usize].clone())
            .collect()
    }
}

/// One track's full internal state.
#[derive(Clone, Debug)]
struct TrackState {
    id: u64,
    /// The track's own tangent plane; `x` and `p` are expressed in it.
    frame: EnuFrame,
    x: Vec4,
    p: Mat4,
    time_ms: TimeMs,
    created_ms: TimeMs,
    status: TrackStatus,
    domain: Domain,
    affiliation: Affiliation,
    identity: Identity,
    keys: BTreeSet<IdKey>,
    /// Contributing feeds, as ids into [`Tracker::feeds`].
    sources: Sources,
    updates: u64,
    label: Label,
    alt_m: Option<f64>,
    /// IMM state when [`MotionModel::Imm`] is in use (`x`, `p` are then its
    /// moment-matched combination). Created at the first IMM update.
    imm: Option<Box<Imm>>,
    /// Updates while tentative (for M-of-window confirmation). A tentative track
    /// lives at most `confirm_window_ms` from its creation, so every such update is
    /// within the window and a count suffices.
    hits: u32,
    /// Fading-memory average of the normalised innovation squared of the sensor plots
    /// that updated the track (2-dof units; by gating, or by identity for a Mode S plot),
    /// the classic manoeuvre detector: about 2 for a track that follows its object, well
    /// above while it lags a turn.
    nis_avg: f64,
    /// Track-to-track fusion state, from the first national track report on (then `x`
    /// and `p` are the fused estimate, and `imm` belongs to the local-only estimate).
    t2t: Option<Box<T2tState>>,
}

/// What the CI weight of track-to-track fusion minimises: the determinant does not
/// depend on the units of position against velocity (the trace would).
const CI_CRITERION: CiCriterion = CiCriterion::Determinant;

/// A track that national track reports have updated: the estimates it is fused from,
/// all in the track's frame. The fused estimate (the track's `x`, `p`) is always the
/// covariance intersection of the local-only estimate with the latest estimate of each
/// national source, predicted to the fusion time: re-sent or updated national tracks
/// replace their source's estimate and can never shrink the covariance twice.
#[derive(Clone, Debug)]
struct T2tState {
    /// The local-only estimate (this tracker's sensor measurements only: plots,
    /// self-reports) and its time; `None` while the track is known only from national
    /// feeds.
    local: Option<(Vec4, Mat4, TimeMs)>,
    /// Latest estimate per national source (feed and national track number).
    national: T2tFusion,
}

/// The provenance key of a national track report: its feed and its track number (track
/// numbers are unique only within a feed; NUL cannot occur in a feed name).
fn source_key(o: &Observation) -> String {
    format!(
        "{}\0{}",
        o.feed,
        o.identity.track_number.as_deref().unwrap_or("")
    )
}

/// A national track report as a state estimate in `frame`. Position (and velocity when
/// reported) with their stated sigmas; without a reported velocity, the velocity is the
/// difference with the same source's previous report (`prev`) with its exact covariance for independent report errors plus the
/// process noise over the interval (positively correlated errors, as a tracker's are,
/// make it conservative), else the domain's velocity prior. Only this report and the
/// one before enter, so nothing accumulates across reports.
fn national_estimate(
    p: &Prep,
    frame: &EnuFrame,
    prev: Option<&NationalTrack>,
    t: TimeMs,
    dp: &DomainParams,
) -> (Vec4, Mat4) {
    let (x, mut pm) = initial_state(p, frame, dp.init_vel_sigma_mps);
    let Some(pr) = prev.filter(|pr| p.vel.is_none() && pr.time_ms < t) else {
        return (x, pm);
    };
    let dt = (t - pr.time_ms) as f64 / 1000.0;
    let mut out = pm;
    for r in 0..2 {
        for c in 0..2 {
            out[r][c + 2] = pm[r][c] / dt;
            out[c + 2][r] = pm[r][c] / dt;
            out[r + 2][c + 2] = (pm[r][c] + pr.p[r][c]) / (dt * dt);
        }
        out[r + 2][r + 2] += dp.q * dt / 3.0;
    }
    let prior = dp.init_vel_sigma_mps * dp.init_vel_sigma_mps;
    if out[2][2].max(out[3][3]) >= prior {
        return (x, pm);
    }
    pm = out;
    let v = [(x[0] - pr.x[0]) / dt, (x[1] - pr.x[1]) / dt];
    ([x[0], x[1], v[0], v[1]], pm)
}

/// Express a state (`x`, `p` in `from`) in frame `to`. Position goes through the
/// geodetic point; velocity and covariance are rotated by the horizontal rotation
/// between the frames (the Jacobian of the position map is that rotation to first order).
fn transfer(from: &EnuFrame, x: &Vec4, p: &Mat4, to: &EnuFrame) -> (Vec4, Mat4) {
    let (lat, lon) = from.en_to_geodetic(x[0], x[1]);
    let [e, n] = to.ecef_to_en(geodetic_to_ecef(lat, lon, 0.0));
    let j = from.horizontal_rotation_to(to);
    let xv = [
        j[0][0] * x[2] + j[0][1] * x[3],
        j[1][0] * x[2] + j[1][1] * x[3],
    ];
    let mut t = [[0.0; 4]; 4];
    for r in 0..2 {
        for c in 0..2 {
            t[r][c] = j[r][c];
            t[r + 2][c + 2] = j[r][c];
        }
    }
    let mut pn = kf::matmul(&kf::matmul(&t, p), &kf::transpose(&t));
    kf::symmetrize(&mut pn);
    ([e, n, xv[0], xv[1]], pn)
}

fn initial_state(p: &Prep, frame: &EnuFrame, init_vel_sigma: f64) -> (Vec4, Mat4) {
    let [e, n] = frame.ecef_to_en(p.ecef);
    let (v, rv) = match p.vel {
        Some((v, rv)) => (frame.ecef_vec_to_en(v), rv),
        None => ([0.0, 0.0], init_vel_sigma * init_vel_sigma),
    };
    let mut pm = [[0.0; 4]; 4];
    // A sensor-space plot replaces this circle by its beam ellipse (below).
    pm[0][0] = p.r_pos;
    pm[1][1] = p.r_pos;
    pm[2][2] = rv;
    pm[3][3] = rv;
    let mut x = [e, n, v[0], v[1]];
    if let Some(pp) = &p.polar {
        pp.initialize(frame, &mut x, &mut pm);
    }
    (x, pm)
}

/// The mean of `x` predicted `dt` seconds ahead (constant velocity).
fn mean_at(x: &Vec4, dt: f64) -> Vec4 {
    [x[0] + dt * x[2], x[1] + dt * x[3], x[2], x[3]]
}

/// A tentative track started from one plot that carries no identity, kept compactly:
/// in clutter such tracks are started and dropped by the thousand every scan. At its
/// second update it is promoted to the [`TrackState`] that `new_track` would have
/// made, so the two forms behave identically.
struct Seed {
    id: u64,
    frame: EnuFrame,
    x: Vec4,
    p: Mat4,
    time_ms: TimeMs,
    domain: Domain,
    affiliation: Affiliation,
    label: Label,
    feed: u32,
    alt_m: Option<f64>,
    /// Promoted (now in `tracks`): removed at the next housekeeping.
    promoted: bool,
}

impl TrackState {
    /// Adds a plot's normalised innovation squared (2-dof units) to `nis_avg`.
    fn note_nis(&mut self, nis: f64) {
        self.nis_avg = NIS_MEMORY * self.nis_avg + (1.0 - NIS_MEMORY) * nis;
    }

    fn mean_at(&self, t: TimeMs) -> Vec4 {
        mean_at(&self.x, (t - self.time_ms) as f64 / 1000.0)
    }

    fn to_track(
        &self,
        x: &Vec4,
        p: &Mat4,
        time_ms: TimeMs,
        status: TrackStatus,
        feeds: &[String],
    ) -> Track {
        let (lat, lon) = self.frame.en_to_geodetic(x[0], x[1]);
        // Velocity and covariance are reported in the east/north axes at the track's
        // position, not at the frame origin (they differ by meridian convergence).
        let j = self.frame.horizontal_rotation_to(&EnuFrame::new(lat, lon));
        let v = [
            j[0][0] * x[2] + j[0][1] * x[3],
            j[1][0] * x[2] + j[1][1] * x[3],
        ];
        let pp: Mat2 = [[p[0][0], p[0][1]], [p[1][0], p[1][1]]];
        let c = kf::matmul(&kf::matmul(&j, &pp), &kf::transpose(&j));
        Track {
            id: self.id,
            time_ms,
            position: Position {
                lat_deg: lat,
                lon_deg: lon,
                alt_m: self.alt_m,
            },
            velocity: Velocity {
                east_mps: v[0],
                north_mps: v[1],
            },
            pos_cov_en: [c[0][0], 0.5 * (c[0][1] + c[1][0]), c[1][1]],
            status,
            domain: self.domain,
            affiliation: self.affiliation,
            identity: self.identity.clone(),
            sources: self.sources.names(feeds),
            updates: self.updates,
            label: self.label.clone(),
        }
    }
}

/// Fold an observation's non-kinematic content into a track: label, provenance,
/// identity, domain, affiliation, altitude, update count and confirmation.
fn absorb(
    tr: &mut TrackState,
    p: &Prep,
    cfg: &TrackerConfig,
    index: &mut BTreeMap<IdKey, u64>,
    stats: &mut FusionStats,
) {
    let o = &p.obs;
    tr.label = tr.label.join(&o.label);
    tr.sources.insert(p.feed);
    for k in &p.keys {
        // Never take a key that conflicts with one already held, nor one another track
        // holds (possible only when an observation carries two keys bound to two tracks).
        if !tr.keys.iter().any(|o| k.conflicts(o)) && !index.contains_key(k) {
            tr.keys.insert(k.clone());
            index.insert(k.clone(), tr.id);
        }
    }
    if !o.identity.is_empty() {
        let mut ident = o.identity.clone();
        if o.kind == ObservationKind::Plot {
            // A plot's "track number" (e.g. a fresh CoT uid per detection) names nothing.
            ident.track_number = None;
        }
        // Identity::merge keeps known fields; drop conflicting mmsi/icao defensively.
        if tr.identity.mmsi.is_some() {
            ident.mmsi = None;
        }
        if tr.identity.icao.is_some() {
            ident.icao = None;
        }
        tr.identity.merge(&ident);
    }
    if tr.domain == Domain::Unknown {
        tr.domain = o.domain;
    }
    // The most recent assessment wins (a track feed may re-classify an object).
    if let Some(a) = o.affiliation {
        tr.affiliation = a;
    }
    if let Some(alt) = o.position.alt_m {
        tr.alt_m = Some(alt);
    }
    tr.updates += 1;
    match tr.status {
        TrackStatus::Tentative => {
            tr.hits += 1;
            if p.confirms || tr.hits >= cfg.confirm_m.max(1) {
                tr.status = TrackStatus::Confirmed;
                tr.hits = 0;
                stats.confirmed += 1;
            }
        }
        TrackStatus::Coasting => tr.status = TrackStatus::Confirmed,
        TrackStatus::Confirmed => {}
    }
}

/// Move a track's frame to its position once it is farther than
/// `rebase_distance_m` from the origin; every estimate it keeps moves with it.
fn rebase(tr: &mut TrackState, cfg: &TrackerConfig) {
    if tr.x[0].hypot(tr.x[1]) <= cfg.rebase_distance_m {
        return;
    }
    let (lat, lon) = tr.frame.en_to_geodetic(tr.x[0], tr.x[1]);
    let to = EnuFrame::new(lat, lon);
    let old = tr.x;
    (tr.x, tr.p) = transfer(&tr.frame, &tr.x, &tr.p, &to);
    if let Some(imm) = tr.imm.as_deref_mut() {
        // Each model moves with the combined estimate (the frames differ by a
        // rotation and a shift; the models' spread is metres, the rebase is km).
        let j = tr.frame.horizontal_rotation_to(&to);
        let shift = [
            tr.x[0] - (j[0][0] * old[0] + j[0][1] * old[1]),
            tr.x[1] - (j[1][0] * old[0] + j[1][1] * old[1]),
        ];
        imm.rotate(&j, shift);
    }
    if let Some(st) = tr.t2t.as_deref_mut() {
        if let Some((x, p, _)) = &mut st.local {
            (*x, *p) = transfer(&tr.frame, x, p, &to);
        }
        for nt in st.national.tracks_mut() {
            (nt.x, nt.p) = transfer(&tr.frame, &nt.x, &nt.p, &to);
        }
    }
    tr.frame = to;
}

/// Kalman update (IMM when `imm` is given, already predicted) of the predicted state
/// `xp`, `pp` with a sensor measurement at `z` (in `frame`). Returns the updated state
/// and, for the IMM, its updated form; `None` if the update failed numerically.
fn measurement_update(
    frame: &EnuFrame,
    imm: Option<&Imm>,
    xp: &Vec4,
    pp: &Mat4,
    z: [f64; 2],
    p: &Prep,
) -> Option<(Vec4, Mat4, Option<Imm>)> {
    // A sensor-space measurement is applied in the sensor's space; only if its geometry
    // degenerates (or the update fails) does the converted plot stand in for it.
    if let Some(m) = &p.polar {
        if let Some(u) = m.update(frame, imm, xp, pp, z, p.r_pos) {
            return Some(u);
        }
    }
    if let Some(imm) = imm {
        let upd = match p.vel {
            Some((v, rv)) => {
                let zv = frame.ecef_vec_to_en(v);
                let zz = [z[0], z[1], zv[0], zv[1]];
                let mut h = [[0.0; 5]; 4];
                let mut r = [[0.0; 4]; 4];
                for i in 0..4 {
                    h[i][i] = 1.0;
                    r[i][i] = if i < 2 { p.r_pos } else { rv };
                }
                imm.update(|x| (std::array::from_fn(|i| zz[i] - x[i]), h), &r)
            }
            None => imm.update_pos(z, p.r_pos),
        };
        upd.map(|(u, _)| {
            let (x, pm) = u.combined4();
            (x, pm, Some(u))
        })
    } else {
        match p.vel {
            Some((v, rv)) => {
                let zv = frame.ecef_vec_to_en(v);
                kf::update_pos_vel(xp, pp, [z[0], z[1], zv[0], zv[1]], p.r_pos, rv)
            }
            None => kf::update_pos(xp, pp, z, p.r_pos),
        }
        .map(|(x, pm)| (x, pm, None))
    }
}

/// Update of a track with track-to-track state (or its first national track report).
/// A national report replaces its source's latest estimate; a sensor measurement
/// updates the local-only estimate (Kalman or IMM). Then the track's state is the
/// covariance intersection of the local-only estimate and every source's latest one,
/// all predicted (constant velocity) to `t`. Returns whether an identity jump restarted
/// the track (as in the plain update: local estimate and national sources are dropped
/// and the track starts again at the observation).
fn t2t_update(
    tr: &mut TrackState,
    p: &Prep,
    t: TimeMs,
    by_identity: bool,
    cfg: &TrackerConfig,
) -> bool {
    let dp = cfg.domain(tr.domain);
    let dt = (t - tr.time_ms) as f64 / 1000.0;
    let (xp, pp) = kf::predict(&tr.x, &tr.p, dt, dp.q);
    let z = tr.frame.ecef_to_en(p.ecef);
    let reset = by_identity && {
        let s = [
            [pp[0][0] + p.r_pos, pp[0][1]],
            [pp[1][0], pp[1][1] + p.r_pos],
        ];
        let nu = [z[0] - xp[0], z[1] - xp[1]];
        kf::mahalanobis2(nu, &s).is_none_or(|(d2, _)| d2 > cfg.identity_reset_gate)
    };
    // A track without national sources so far: everything up to now was local.
    let st = tr.t2t.get_or_insert_with(|| {
        Box::new(T2tState {
            local: Some((tr.x, tr.p, tr.time_ms)),
            national: T2tFusion::default(),
        })
    });
    if reset {
        tr.frame = EnuFrame::new(p.obs.position.lat_deg, p.obs.position.lon_deg);
        st.local = None;
        st.national.clear();
        tr.imm = None;
    }
    let z = tr.frame.ecef_to_en(p.ecef);
    if p.obs.kind == ObservationKind::Track {
        let key = source_key(p.obs);
        let (x, pm) = national_estimate(p, &tr.frame, st.national.get(&key), t, dp);
        let offer = st.national.offer(NationalTrack {
            source: key,
            time_ms: t,
            x,
            p: pm,
        });
        if offer != Offer::Accepted {
            // The same report again (or an older one): it was counted already. The
            // track is at least as new as the source's latest, so nothing changes.
            return reset;
        }
    } else {
        let imm_prm = imm_params(cfg);
        let updated = st.local.and_then(|(lx, lp, lt)| {
            let dtl = (t - lt) as f64 / 1000.0;
            let imm_pred = imm_prm.as_ref().map(|prm| {
                let imm = tr
                    .imm
                    .as_deref()
                    .copied()
                    .unwrap_or_else(|| Imm::from_cv(&lx, &lp, prm));
                imm.predict(dtl, prm)
            });
            let (xl, pl) = match &imm_pred {
                Some(imm) => imm.combined4(),
                None => kf::predict(&lx, &lp, dtl, dp.q),
            };
            measurement_update(&tr.frame, imm_pred.as_ref(), &xl, &pl, z, p)
        });
        st.local = Some(match updated {
            Some((x, pm, u)) => {
                tr.imm = u.map(Box::new);
                (x, pm, t)
            }
            None => {
                // First local measurement (or a failed update): the local-only
                // estimate starts at the observation.
                tr.imm = None;
                let (x, pm) = initial_state(p, &tr.frame, dp.init_vel_sigma_mps);
                (x, pm, t)
            }
        });
    }
    // Sources silent for longer than the coast time no longer count.
    st.national.forget_before(t - dp.coast_after_ms);
    let local = st
        .local
        .map(|(lx, lp, lt)| kf::predict(&lx, &lp, (t - lt) as f64 / 1000.0, dp.q));
    (tr.x, tr.p) = st
        .national
        .fuse_with(local.as_ref().map(|(x, p)| (x, p)), t, dp.q, CI_CRITERION)
        .map_or((xp, pp), |f| (f.x, f.p));
    tr.time_ms = t;
    reset
}

/// Merge kinematics of two tracks without national sources: covariance intersection
/// with the weight by position trace (`xk`, `pk` and `xg`, `pg` at the same time, in
/// `k`'s frame).
fn merge_plain(k: &mut TrackState, (xk, pk): (Vec4, Mat4), (xg, pg): (Vec4, Mat4)) {
    let (trk, trg) = (pk[0][0] + pk[1][1], pg[0][0] + pg[1][1]);
    let w = trg / (trk + trg);
    let fused = kf::invert(&pk).zip(kf::invert(&pg)).and_then(|(ik, ig)| {
        let mut info = [[0.0; 4]; 4];
        let mut iv = [0.0; 4];
        for r in 0..4 {
            for c in 0..4 {
                info[r][c] = w * ik[r][c] + (1.0 - w) * ig[r][c];
                iv[r] += w * ik[r][c] * xk[c] + (1.0 - w) * ig[r][c] * xg[c];
            }
        }
        let mut p = kf::invert(&info)?;
        kf::symmetrize(&mut p);
        let x: Vec4 = std::array::from_fn(|r| (0..4).map(|c| p[r][c] * iv[c]).sum());
        Some((x, p))
    });
    (k.x, k.p) = fused.unwrap_or((xk, pk));
    if let Some(imm) = k.imm.as_deref_mut() {
        imm.reset_to(&k.x, &k.p);
    }
}

/// Merge kinematics when either track has national sources: the local-only estimates
/// are fused by covariance intersection, the national sources are pooled (per source
/// the newer one), and the track's state is fused from them again at `tm` (`pk` is
/// `k`'s state predicted to `tm`, the fallback).
fn merge_t2t(
    k: &mut TrackState,
    g: &mut TrackState,
    tm: TimeMs,
    cfg: &TrackerConfig,
    (xk, pk): (Vec4, Mat4),
) {
    let local_at = |tr: &TrackState| {
        let local = match &tr.t2t {
            Some(st) => st.local,
            None => Some((tr.x, tr.p, tr.time_ms)),
        };
        local.map(|(x, p, t)| {
            let dt = (tm - t) as f64 / 1000.0;
            kf::predict(&x, &p, dt, cfg.domain(tr.domain).q)
        })
    };
    let lk = local_at(k);
    let lg = local_at(g).map(|(x, p)| transfer(&g.frame, &x, &p, &k.frame));
    let local = match (lk, lg) {
        (Some((xa, pa)), Some((xb, pb))) => Some(
            covariance_intersection(&xa, &pa, &xb, &pb, CI_CRITERION)
                .map_or((xa, pa), |c| (c.x, c.p)),
        ),
        (a, b) => a.or(b),
    };
    let mut national = k.t2t.take().map(|st| st.national).unwrap_or_default();
    if let Some(st) = g.t2t.take() {
        let mut other = st.national;
        for nt in other.tracks_mut() {
            (nt.x, nt.p) = transfer(&g.frame, &nt.x, &nt.p, &k.frame);
        }
        national.absorb(other);
    }
    let dp = cfg.domain(k.domain);
    national.forget_before(tm - dp.coast_after_ms);
    (k.x, k.p) = national
        .fuse_with(local.as_ref().map(|(x, p)| (x, p)), tm, dp.q, CI_CRITERION)
        .map_or((xk, pk), |f| (f.x, f.p));
    match (&local, k.imm.as_deref_mut()) {
        (Some((x, p)), Some(imm)) => imm.reset_to(x, p),
        _ => k.imm = None,
    }
    k.t2t = Some(Box::new(T2tState {
        local: local.map(|(x, p)| (x, p, tm)),
        national,
    }));
}

/// A track predicted to the scan time, for gating.
struct Pred<'a> {
    id: u64,
    frame: &'a EnuFrame,
    domain: Domain,
    /// `None` for a seed (no identity keys).
    keys: Option<&'a BTreeSet<IdKey>>,
    /// A seed, to be promoted to a full track if assigned.
    seed: bool,
    x: Vec4,
    pos_cov: Mat2,
    ecef: [f64; 3],
    radius: f64,
    /// A confirmed track that follows its object: plots left in its exclusion gate
    /// start no track.
    excludes: bool,
    assignable: bool,
}

/// A gated (track, plot) pair of [`Tracker::associate`].
#[derive(Clone, Copy)]
struct Pair {
    /// Index into the predictions.
    track: usize,
    /// Index into the scan's free observations.
    obs: usize,
    /// d² + ln det S: negative log-likelihood up to a constant.
    cost: f64,
    /// The cost of leaving the track unassigned that never beats this pair: gate + ln det S.
    bound: f64,
    /// d² in 2-dof units (a 3-dof d² as the 2-dof value of equal tail probability).
    nis: f64,
}

/// Whether a track is shown (confirmed or coasting) rather than tentative.
fn shown(status: TrackStatus) -> bool {
    status != TrackStatus::Tentative
}

/// Weight of the previous average in [`TrackState::nis_avg`]: short memory, so that a
/// turn is seen within two or three plots.
const NIS_MEMORY: f64 = 0.5;
/// The mean of a χ² variable with 2 degrees of freedom: a new track's `nis_avg`.
const NIS_EXPECTED: f64 = 2.0;

/// Smallest cube side of the gating index, metres.
const MIN_CELL_M: f64 = 50.0;

fn dist3(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// The IMM tuning when tracks run an IMM.
fn imm_params(cfg: &TrackerConfig) -> Option<ImmParams> {
    match cfg.motion {
        MotionModel::Cv => None,
        MotionModel::Imm(p) => Some(p),
    }
}

/// The multi-sensor multi-target tracker. See the crate documentation.
pub struct Tracker {
    cfg: TrackerConfig,
    /// Boxed: a track is large, and the map shifts its values on every insert and
    /// removal (tentative tracks come and go by the thousand in clutter).
    tracks: BTreeMap<u64, Box<TrackState>>,
    /// One-plot tentative tracks without identity, by id (see [`Seed`]).
    seeds: Vec<Seed>,
    /// Which track holds each identity key.
    index: BTreeMap<IdKey, u64>,
    next_id: u64,
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
    /// Gates by degrees of freedom (sensor-space measurements), from `cfg`.
    gates: Gates,
}

impl Tracker {
    pub fn new(cfg: TrackerConfig) -> Self {
        Tracker {
            gates: Gates::new(
                cfg.gate,
                cfg.init_exclusion_gate,
                cfg.clutter_range_rate_span_mps,
            ),
            cfg,
            tracks: BTreeMap::new(),
            seeds: Vec::new(),
            index: BTreeMap::new(),
            next_id: 1,
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
    pub fn live_track_count(&self) -> usize {
        self.tracks.len() + self.seeds.iter().filter(|s| !s.promoted).count()
    }

    /// Process a batch of observations (any order, any mix of feeds and sensors).
    ///
    /// The batch is sorted by (time, feed, sensor, content) and cut into scans of equal
    /// (time, feed, sensor); scans are processed in order. Timeouts are applied at each
    /// scan's time (never going back), so splitting a time-ordered stream into batches
    /// differently gives the same result.
    pub fn process_batch(&mut self, batch: Vec<Observation>) {
        // Sort references, not the observations: feeds and sensors are ranked once so
        // that most comparisons are of integers, then `obs_tail_order` breaks ties.
        let feed = name_ranks(batch.iter().map(|o| o.feed.as_str()));
        let sensor = name_ranks(batch.iter().map(|o| o.sensor.as_str()));
        let mut order: Vec<SortKey> = batch
            .iter()
            .enumerate()
            .map(|(i, o)| SortKey {
                scan: (o.time_ms, feed[i], sensor[i]),
                kind: kind_rank(o.kind),
                identified: !o.identity.is_empty(),
                lat: total_key(o.position.lat_deg),
                lon: total_key(o.position.lon_deg),
                index: i as u32,
            })
            .collect();
        order.sort_unstable_by(|a, b| a.cmp(b, &batch));
        let mut scan: Vec<&Observation> = Vec::new();
        for (k, key) in order.iter().enumerate() {
            if k > 0 && order[k - 1].scan != key.scan {
                self.process_scan(&scan);
                scan.clear();
            }
            scan.push(&batch[key.index as usize]);
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
            .map(|t| t.to_track(&t.x, &t.p, t.time_ms, t.status, &self.feeds))
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
                _ => out.push(Arc::new(t.to_track(
                    &t.x,
                    &t.p,
                    t.time_ms,
                    t.status,
                    &self.feeds,
                ))),
            }
        }
        out
    }

    /// Like [`Tracker::tracks`], but each track predicted forward to `now_ms` (tracks
    /// already newer than `now_ms` are returned as they are). Status is `Coasting` when
    /// the track is older than its domain's coast time at `now_ms`. Does not change
    /// the tracker.
    pub fn tracks_at(&self, now_ms: TimeMs) -> Vec<Track> {
        let n = self.tracks.values().filter(|t| shown(t.status)).count();
        let mut out = Vec::with_capacity(n);
        out.extend(
            self.tracks
                .values()
                .filter(|t| t.status != TrackStatus::Tentative)
                .map(|t| {
                    if now_ms <= t.time_ms {
                        return t.to_track(&t.x, &t.p, t.time_ms, t.status, &self.feeds);
                    }
                    let dp = self.cfg.domain(t.domain);
                    let dt = (now_ms - t.time_ms) as f64 / 1000.0;
                    let (x, p) = kf::predict(&t.x, &t.p, dt, dp.q);
                    let status = if now_ms - t.time_ms > dp.coast_after_ms {
                        TrackStatus::Coasting
                    } else {
                        t.status
                    };
                    t.to_track(&x, &p, now_ms, status, &self.feeds)
                }),
        );
        out
    }

    fn housekeep(&mut self, now: TimeMs) {
        self.now_ms = Some(now);
        let cfg = &self.cfg;
        // Seeds are tentative tracks: the same timeouts.
        let before = self.seeds.len();
        let mut promoted = 0;
        self.seeds.retain(|sd| {
            promoted += usize::from(sd.promoted);
            !sd.promoted
                && now - sd.time_ms <= cfg.tentative_timeout_ms
                && now - sd.time_ms <= cfg.confirm_window_ms
        });
        self.stats.deleted += (before - promoted - self.seeds.len()) as u64;
        let mut dead = Vec::new();
        for (&id, tr) in self.tracks.iter_mut() {
            let age = now - tr.time_ms;
            if tr.status == TrackStatus::Tentative {
                if age > cfg.tentative_timeout_ms || now - tr.created_ms > cfg.confirm_window_ms {
                    dead.push(id);
                }
                continue;
            }
            let dp = cfg.domain(tr.domain);
            if age > dp.delete_after_ms {
                dead.push(id);
                continue;
            }
            let pc = kf::predict_pos_cov(&tr.p, age.max(0) as f64 / 1000.0, dp.q);
            if kf::max_eig2(&pc).sqrt() > cfg.max_pos_sigma_m {
                dead.push(id);
            } else if age > dp.coast_after_ms {
                tr.status = TrackStatus::Coasting;
            }
        }
        for id in dead {
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
            if self.update_track(*id, p, t, true).is_some_and(shown) {
                updated.push(*id);
            }
            taken.insert(*id);
        }
        if free.is_empty() {
            return deferred;
        }

        // (2) Gating and global nearest neighbour for everything else.
        let (assignments, in_confirmed_gate, gated) = self.associate(t, &free, &taken);
        let mut assigned = vec![false; free.len()];
        for &(j, id, seed, nis) in &assignments {
            assigned[j] = true;
            if seed {
                self.promote(id);
            }
            // Sensor plots only: a national track's innovation is not χ²-distributed
            // (its errors are correlated in time), and a self-report is its own track.
            if free[j].obs.kind == ObservationKind::Plot {
                if let Some(tr) = self.tracks.get_mut(&id) {
                    tr.note_nis(nis);
                }
            }
            if self.update_track(id, &free[j], t, false).is_some_and(shown) {
                updated.push(id);
            }
        }

        // (3) Leftovers.
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
            let (id, status) = self.new_track(p, t);
            if shown(status) {
                updated.push(id);
            }
        }
        deferred
    }

    /// Returns (obs index, track id, seed, d² in 2-dof units) assignments in obs order,
    /// plus per observation whether it lies in the exclusion gate of a confirmed track
    /// that follows its object, and whether it gated with any track.
    #[allow(clippy::type_complexity)]
    fn associate(
        &self,
        t: TimeMs,
        free: &[Prep],
        taken: &BTreeSet<u64>,
    ) -> (Vec<(usize, u64, bool, f64)>, Vec<bool>, Vec<bool>) {
        let cfg = &self.cfg;
        let r_max = free.iter().map(|p| p.r_pos).fold(0.0, f64::max);
        let full = free
            .iter()
            .any(|p| p.polar.as_ref().is_some_and(|m| m.has_range_rate()));
        let gates = &self.gates;
        // A 3-dof gate bounds the position part's d² too.
        let outer = if full {
            cfg.gate
                .max(cfg.init_exclusion_gate)
                .max(gates.gate3)
                .max(gates.excl3)
        } else {
            cfg.gate.max(cfg.init_exclusion_gate)
        };
        // Tracks and live seeds, in id order (both are kept sorted by id).
        let mut preds: Vec<Pred> = Vec::with_capacity(self.tracks.len() + self.seeds.len());
        let mut seeds = self.seeds.iter().filter(|s| !s.promoted).peekable();
        let mut tracks = self.tracks.values().peekable();
        let imm_prm = imm_params(cfg);
        let pred =
            |id: u64, frame, domain, x_at: &Vec4, p: &Mat4, time_ms: TimeMs, imm: Option<&Imm>| {
                let dt = (t - time_ms) as f64 / 1000.0;
                let (x, pos_cov, p4) = match (imm, &imm_prm) {
                    (Some(imm), Some(prm)) => {
                        let (x, p) = imm.predict(dt, prm).combined4();
                        (
                            x,
                            [[p[0][0], p[0][1]], [p[1][0], p[1][1]]],
                            full.then_some(p),
                        )
                    }
                    _ if full => {
                        let (x, p) = kf::predict(x_at, p, dt, cfg.domain(domain).q);
                        (x, [[p[0][0], p[0][1]], [p[1][0], p[1][1]]], Some(p))
                    }
                    _ => (
                        mean_at(x_at, dt),
                        kf::predict_pos_cov(p, dt, cfg.domain(domain).q),
                        None,
                    ),
                };
                // Coarse radius: the gate ellipse's major semi-axis for the largest R in the
                // scan, with margin for the approximate ECEF of the prediction.
                let radius = (outer * (kf::max_eig2(&pos_cov) + r_max)).sqrt() * 1.01 + 50.0;
                (
                    Pred {
                        id,
                        frame,
                        domain,
                        keys: None,
                        seed: false,
                        x,
                        pos_cov,
                        ecef: frame.en_to_ecef_approx(x[0], x[1]),
                        radius,
                        excludes: false,
                        assignable: true,
                    },
                    p4,
                )
            };
        // The full predicted covariances, one per prediction, only when the scan has
        // measurements of velocity (range-rate) to gate (kept apart: `Pred` stays small
        // for the plot path).
        let mut p4s: Vec<Mat4> = Vec::with_capacity(if full { preds.capacity() } else { 0 });
        loop {
            let take_seed = match (tracks.peek(), seeds.peek()) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(tr), Some(sd)) => sd.id < tr.id,
            };
            if take_seed {
                let sd = seeds.next().expect("peeked");
                let (mut pr, p4) =
                    pred(sd.id, &sd.frame, sd.domain, &sd.x, &sd.p, sd.time_ms, None);
                pr.seed = true;
                preds.push(pr);
                p4s.extend(p4);
            } else {
                let tr = tracks.next().expect("peeked");
                // With national sources, the track's state is the fused one (the IMM
                // belongs to the local-only estimate).
                let imm = tr
                    .imm
                    .as_deref()
                    .filter(|_| tr.t2t.as_ref().is_none_or(|st| st.national.is_empty()));
                let (mut pr, p4) = pred(tr.id, &tr.frame, tr.domain, &tr.x, &tr.p, tr.time_ms, imm);
                pr.keys = Some(&tr.keys);
                pr.excludes =
                    tr.status != TrackStatus::Tentative && tr.nis_avg <= cfg.manoeuvre_nis;
                pr.assignable = !taken.contains(&tr.id);
                preds.push(pr);
                p4s.extend(p4);
            }
        }

        // Stage 1: spatial index on the predicted positions (ECEF: no poles, no
        // antimeridian, uniform metric), each with its coarse gate radius.
        let balls: Vec<([f64; 3], f64)> = preds.iter().map(|pr| (pr.ecef, pr.radius)).collect();
        let index = BallIndex::build(&balls, MIN_CELL_M, cfg.grid_cell_m);

        let nt = preds.len();
        // (track, obs, cost d² + ln det S, the cost of leaving the track unassigned
        // that never beats this gated pair: gate + ln det S).
        let mut pairs: Vec<Pair> = Vec::new();
        let mut in_conf = vec![false; free.len()];
        let mut gated = vec![false; free.len()];
        let mut cands: Vec<u32> = Vec::new();
        for (j, p) in free.iter().enumerate() {
            cands.clear();
            index.query_point(p.ecef, &mut cands);
            cands.sort_unstable();
            for &i in &cands {
                let i = i as usize;
                let pr = &preds[i];
                if dist3(pr.ecef, p.ecef) > pr.radius
                    || !domains_compatible(pr.domain, p.obs.domain)
                    || !pr.keys.is_none_or(|k| keys_compatible(&p.keys, k))
                {
                    continue;
                }
                // Stage 2: χ² gate in the track's own frame, or in the sensor's
                // measurement space for a sensor-space plot.
                let z = pr.frame.ecef_to_en(p.ecef);
                let gate = match &p.polar {
                    Some(m) => m.gate(pr.frame, &pr.x, &pr.pos_cov, p4s.get(i), z, p.r_pos, gates),
                    None => {
                        let nu = [z[0] - pr.x[0], z[1] - pr.x[1]];
                        let mut s = pr.pos_cov;
                        s[0][0] += p.r_pos;
                        s[1][1] += p.r_pos;
                        kf::mahalanobis2(nu, &s)
                            .map(|(d2, lndet)| (d2, lndet, cfg.gate, cfg.init_exclusion_gate))
                    }
                };
                let Some((d2, lndet, gate, excl)) = gate else {
                    continue;
                };
                if pr.excludes && d2 <= excl {
                    in_conf[j] = true;
                }
                if d2 > gate {
                    continue;
                }
                gated[j] = true;
                if pr.assignable {
                    // Negative log-likelihood up to a constant: favours the nearer and the
                    // better-known track.
                    pairs.push(Pair {
                        track: i,
                        obs: j,
                        cost: d2 + lndet,
                        bound: gate + lndet,
                        nis: if gate == gates.gate3 {
                            polar::nis_3dof_as_2dof(d2)
                        } else {
                            d2
                        },
                    });
                }
            }
        }

        // Independent clusters (connected components of the gating graph) are solved
        // separately: exact, and keeps each matrix small.
        let mut parent: Vec<usize> = (0..nt + free.len()).collect();
        for pr in &pairs {
            let (a, b) = (find(&mut parent, pr.track), find(&mut parent, nt + pr.obs));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
        let mut by_root: Vec<(usize, usize)> = pairs
            .iter()
            .enumerate()
            .map(|(k, pr)| (find(&mut parent, pr.track), k))
            .collect();
        by_root.sort_unstable();
        // Cost of leaving a track unassigned. With a detection model it is the
        // likelihood-ratio threshold: assigning plot j is worth it when
        // Pd·N(ν; 0, S) > (1 − Pd)·λ, i.e. d² + ln det S < 2 ln(Pd / ((1 − Pd) λ)) − 2 ln 2π.
        // Without one, it is the largest gate + ln det S of the track's pairs, so that
        // any gated pair (d² ≤ gate) is never worse than leaving the track unassigned.
        let model_miss = cfg.detection.map(|m| {
            2.0 * (m.pd / ((1.0 - m.pd) * m.clutter_per_m2)).ln()
                - 2.0 * (2.0 * std::f64::consts::PI).ln()
        });
        let mut out = Vec::new();
        let mut start = 0;
        while start < by_root.len() {
            let mut end = start + 1;
            while end < by_root.len() && by_root[end].0 == by_root[start].0 {
                end += 1;
            }
            let members = &by_root[start..end];
            start = end;
            if let [(_, k)] = members {
                // One track, one plot (the usual case away from crossings): the 1×2
                // problem needs no solver.
                let p = pairs[*k];
                if p.cost <= model_miss.unwrap_or(p.bound) {
                    let pr = &preds[p.track];
                    out.push((p.obs, pr.id, pr.seed, p.nis));
                }
                continue;
            }
            let mut rows: Vec<usize> = members.iter().map(|&(_, k)| pairs[k].track).collect();
            let mut cols: Vec<usize> = members.iter().map(|&(_, k)| pairs[k].obs).collect();
            rows.sort_unstable();
            rows.dedup();
            cols.sort_unstable();
            cols.dedup();
            // Columns: the cluster's observations, then one "missed" column per track.
            let nr = rows.len();
            let nc = cols.len() + nr;
            let mut cost = vec![f64::INFINITY; nr * nc];
            let mut nis = vec![0.0; nr * nc];
            let mut miss = vec![f64::NEG_INFINITY; nr];
            for &(_, k) in members {
                let p = pairs[k];
                let r = rows.binary_search(&p.track).expect("row");
                let col = cols.binary_search(&p.obs).expect("col");
                cost[r * nc + col] = p.cost;
                nis[r * nc + col] = p.nis;
                miss[r] = miss[r].max(p.bound);
            }
            for r in 0..nr {
                cost[r * nc + cols.len() + r] = model_miss.unwrap_or(miss[r]);
            }
            let sol = assign::solve(&cost, nr, nc).expect("a miss column is always feasible");
            for (r, c) in sol.into_iter().enumerate() {
                if let Some(c) = c.filter(|&c| c < cols.len()) {
                    let pr = &preds[rows[r]];
                    out.push((cols[c], pr.id, pr.seed, nis[r * nc + c]));
                }
            }
        }
        // Each observation is assigned at most once: (obs, id) orders them totally.
        out.sort_unstable_by_key(|a| (a.0, a.1));
        (out, in_conf, gated)
    }

    /// Update of track `id` with `p` (Kalman/IMM for a sensor measurement of a track that
    /// never had a national report, else [`t2t_update`]), returning the track's status
    /// after it; `None` (and counted late) if `p` is older than the track.
    fn update_track(
        &mut self,
        id: u64,
        p: &Prep,
        t: TimeMs,
        by_identity: bool,
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
            let reset = t2t_update(tr, p, t, by_identity, cfg);
            self.stats.identity_resets += u64::from(reset);
            rebase(tr, cfg);
            return Some(tr.status);
        }
        let dp = cfg.domain(tr.domain);
        let dt = (t - tr.time_ms) as f64 / 1000.0;
        let imm_prm = imm_params(cfg);
        let imm_pred = imm_prm.as_ref().map(|prm| {
            let imm = tr
                .imm
                .as_deref()
                .copied()
                .unwrap_or_else(|| Imm::from_cv(&tr.x, &tr.p, prm));
            imm.predict(dt, prm)
        });
        let (xp, pp) = match &imm_pred {
            Some(imm) => imm.combined4(),
            None => kf::predict(&tr.x, &tr.p, dt, dp.q),
        };
        let z = tr.frame.ecef_to_en(p.ecef);
        let mut reset = false;
        if by_identity {
            let s = [
                [pp[0][0] + p.r_pos, pp[0][1]],
                [pp[1][0], pp[1][1] + p.r_pos],
            ];
            let nu = [z[0] - xp[0], z[1] - xp[1]];
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
        } else {
            measurement_update(&tr.frame, imm_pred.as_ref(), &xp, &pp, z, p).map(|(x, pm, u)| {
                if let Some(u) = u {
                    tr.imm = Some(Box::new(u));
                }
                (x, pm)
            })
        };
        match res {
            Some((x, pm)) => {
                tr.x = x;
                tr.p = pm;
            }
            None => {
                // Restart the kinematics at the observation (identity jump, or a
                // numerically failed update).
                self.stats.identity_resets += u64::from(reset);
                tr.frame = EnuFrame::new(p.obs.position.lat_deg, p.obs.position.lon_deg);
                (tr.x, tr.p) = initial_state(p, &tr.frame, dp.init_vel_sigma_mps);
                tr.imm = None;
            }
        }
        tr.time_ms = t;
        rebase(tr, cfg);
        Some(tr.status)
    }

    /// Start a track at `p`; returns its id and status.
    fn new_track(&mut self, p: &Prep, t: TimeMs) -> (u64, TrackStatus) {
        let id = self.next_id;
        self.next_id += 1;
        let o = &p.obs;
        let frame = EnuFrame::new(o.position.lat_deg, o.position.lon_deg);
        let (x, pm) = initial_state(p, &frame, self.cfg.domain(o.domain).init_vel_sigma_mps);
        if p.keys.is_empty() && !p.confirms && o.identity.is_empty() && self.cfg.confirm_m > 1 {
            // Exactly what `absorb` below would make of a fresh track.
            self.seeds.push(Seed {
                id,
                frame,
                x,
                p: pm,
                time_ms: t,
                domain: o.domain,
                affiliation: o.affiliation.unwrap_or(Affiliation::Unknown),
                label: o.label.join(&o.label),
                feed: p.feed,
                alt_m: o.position.alt_m,
                promoted: false,
            });
            self.stats.new_tracks += 1;
            return (id, TrackStatus::Tentative);
        }
        let mut tr = TrackState {
            id,
            frame,
            x,
            p: pm,
            time_ms: t,
            created_ms: t,
            status: TrackStatus::Tentative,
            domain: Domain::Unknown,
            affiliation: Affiliation::Unknown,
            identity: Identity::default(),
            keys: BTreeSet::new(),
            sources: Sources::default(),
            updates: 0,
            label: o.label.clone(),
            alt_m: None,
            hits: 0,
            nis_avg: NIS_EXPECTED,
            imm: None,
            t2t: None,
        };
        if o.kind == ObservationKind::Track {
            // Known only from a national feed so far: that source is the whole estimate.
            let mut national = T2tFusion::default();
            national.offer(NationalTrack {
                source: source_key(o),
                time_ms: t,
                x,
                p: pm,
            });
            tr.t2t = Some(Box::new(T2tState {
                local: None,
                national,
            }));
        }
        absorb(&mut tr, p, &self.cfg, &mut self.index, &mut self.stats);
        let status = tr.status;
        self.tracks.insert(id, Box::new(tr));
        self.stats.new_tracks += 1;
        (id, status)
    }

    /// Turn seed `id` into a full tentative track (one update, as `new_track` makes it).
    fn promote(&mut self, id: u64) {
        let Ok(k) = self.seeds.binary_search_by_key(&id, |s| s.id) else {
            return;
        };
        let sd = &mut self.seeds[k];
        if sd.promoted {
            return;
        }
        sd.promoted = true;
        let mut sources = Sources::default();
        sources.insert(sd.feed);
        let tr = TrackState {
            id,
            frame: sd.frame,
            x: sd.x,
            p: sd.p,
            time_ms: sd.time_ms,
            created_ms: sd.time_ms,
            status: TrackStatus::Tentative,
            domain: sd.domain,
            affiliation: sd.affiliation,
            identity: Identity::default(),
            keys: BTreeSet::new(),
            sources,
            updates: 1,
            label: sd.label.clone(),
            alt_m: sd.alt_m,
            hits: 1,
            nis_avg: NIS_EXPECTED,
            imm: None,
            t2t: None,
        };
        self.tracks.insert(id, Box::new(tr));
    }

    /// Merge identity-compatible tracks that have stayed within each other's 4-D gate
    /// (position and velocity) at `merge_after` consecutive checks. A pair is checked
    /// whenever one of its tracks is updated. Requiring velocity agreement keeps
    /// crossing targets apart. Tentative tracks take no part: within a few scans they
    /// are confirmed (and from then on checked) or dropped, and leaving them out keeps
    /// this check proportional to the confirmed picture rather than to the clutter.
    /// `updated`: the confirmed and coasting tracks updated this scan.
    fn check_merges(&mut self, t: TimeMs, mut updated: Vec<u64>) {
        if self.cfg.merge_after == 0 || updated.is_empty() {
            return;
        }
        updated.sort_unstable();
        updated.dedup();
        let cfg = &self.cfg;
        // Every confirmed or coasting track at `t`: id, approximate ECEF position, own
        // reach (its share of the coarse merge distance).
        let info: Vec<(u64, [f64; 3], f64)> = self
            .tracks
            .values()
            .filter(|tr| tr.status != TrackStatus::Tentative)
            .map(|tr| {
                let x = tr.mean_at(t);
                let dt = (t - tr.time_ms) as f64 / 1000.0;
                let pc = kf::predict_pos_cov(&tr.p, dt, cfg.domain(tr.domain).q);
                let reach = (cfg.merge_gate * kf::max_eig2(&pc)).sqrt() + 25.0;
                (tr.id, tr.frame.en_to_ecef_approx(x[0], x[1]), reach)
            })
            .collect();
        // Few updated tracks (an AIS scan): scan the list. Many (a radar scan): the
        // spatial index, as in gating.
        let use_grid = updated.len() > 8;
        let index = use_grid.then(|| {
            let balls: Vec<([f64; 3], f64)> = info.iter().map(|&(_, e, r)| (e, r)).collect();
            BallIndex::build(&balls, MIN_CELL_M, cfg.grid_cell_m)
        });
        let mut checked: BTreeSet<(u64, u64)> = BTreeSet::new();
        let mut passed: BTreeSet<(u64, u64)> = BTreeSet::new();
        let mut cands: Vec<usize> = Vec::new();
        let mut found: Vec<u32> = Vec::new();
        for &a in &updated {
            let Some(ia) = info.binary_search_by_key(&a, |x| x.0).ok() else {
                continue;
            };
            let (_, ea, ra) = info[ia];
            cands.clear();
            if let Some(index) = &index {
                found.clear();
                index.query_ball(ea, ra, &mut found);
                cands.extend(found.iter().map(|&i| i as usize));
                cands.sort_unstable();
                cands.dedup();
            } else {
                cands.extend(0..info.len());
            }
            for &ib in &cands {
                let (b, eb, rb) = info[ib];
                if b == a || dist3(ea, eb) > ra + rb {
                    continue;
                }
                let pair = (a.min(b), a.max(b));
                if !checked.insert(pair) {
                    continue;
                }
                let (ta, tb) = (&self.tracks[&a], &self.tracks[&b]);
                if domains_compatible(ta.domain, tb.domain)
                    && keys_compatible(&ta.keys, &tb.keys)
                    && self.mutually_gated(ta, tb, t)
                {
                    passed.insert(pair);
                }
            }
        }
        // A pair with an updated member that did not pass starts counting again.
        let touched = |id: u64| updated.binary_search(&id).is_ok();
        self.merge_counts
            .retain(|pair, _| passed.contains(pair) || !(touched(pair.0) || touched(pair.1)));
        let mut to_merge = Vec::new();
        for pair in passed {
            let n = self.merge_counts.entry(pair).or_insert(0);
            *n += 1;
            if *n >= self.cfg.merge_after {
                to_merge.push(pair);
            }
        }
        for (a, b) in to_merge {
            if self.tracks.contains_key(&a) && self.tracks.contains_key(&b) {
                self.merge(a, b);
            }
        }
    }

    /// Both tracks predicted to `t`: is the 4-D state difference within `merge_gate`
    /// for the summed covariance?
    fn mutually_gated(&self, ta: &TrackState, tb: &TrackState, t: TimeMs) -> bool {
        let cfg = &self.cfg;
        let dta = (t - ta.time_ms) as f64 / 1000.0;
        let dtb = (t - tb.time_ms) as f64 / 1000.0;
        let (xa, pa) = kf::predict(&ta.x, &ta.p, dta, cfg.domain(ta.domain).q);
        let (xb, pb) = kf::predict(&tb.x, &tb.p, dtb, cfg.domain(tb.domain).q);
        let (xb, pb) = transfer(&tb.frame, &xb, &pb, &ta.frame);
        let mut s = pa;
        for r in 0..4 {
            for c in 0..4 {
                s[r][c] += pb[r][c];
            }
        }
        let d: Vec4 = std::array::from_fn(|k| xa[k] - xb[k]);
        kf::invert(&s).is_some_and(|si| {
            let d2: f64 = (0..4)
                .map(|r| (0..4).map(|c| d[r] * si[r][c] * d[c]).sum::<f64>())
                .sum();
            d2 <= cfg.merge_gate
        })
    }

    /// Merge two tracks: a confirmed one is kept over a tentative one, then the older
    /// (lower id). Kinematics are fused by covariance intersection (safe when the two
    /// estimates share unknown correlation, as duplicate tracks of one object do).
    fn merge(&mut self, a: u64, b: u64) {
        let conf = |id: u64| self.tracks[&id].status != TrackStatus::Tentative;
        let (keep, gone) = if conf(a) == conf(b) {
            (a.min(b), a.max(b))
        } else if conf(a) {
            (a, b)
        } else {
            (b, a)
        };
        let Some(mut g) = self.remove(gone) else {
            return;
        };
        self.stats.merged += 1;
        let cfg = &self.cfg;
        let k = self.tracks.get_mut(&keep).expect("kept track");
        let tm = k.time_ms.max(g.time_ms);
        let (xk, pk) = kf::predict(
            &k.x,
            &k.p,
            (tm - k.time_ms) as f64 / 1000.0,
            cfg.domain(k.domain).q,
        );
        let (xg, pg) = kf::predict(
            &g.x,
            &g.p,
            (tm - g.time_ms) as f64 / 1000.0,
            cfg.domain(g.domain).q,
        );
        let (xg, pg) = transfer(&g.frame, &xg, &pg, &k.frame);
        if k.t2t.is_some() || g.t2t.is_some() {
            merge_t2t(k, &mut g, tm, cfg, (xk, pk));
        } else {
            merge_plain(k, (xk, pk), (xg, pg));
        }
        k.time_ms = tm;
        k.created_ms = k.created_ms.min(g.created_ms);
        k.label = k.label.join(&g.label);
        k.sources.union(&g.sources);
        k.identity.merge(&g.identity);
        for key in g.keys {
            if !self.index.contains_key(&key) {
                self.index.insert(key.clone(), keep);
                k.keys.insert(key);
            }
        }
        if k.domain == Domain::Unknown {
            k.domain = g.domain;
        }
        if k.affiliation == Affiliation::Unknown {
            k.affiliation = g.affiliation;
        }
        k.alt_m = k.alt_m.or(g.alt_m);
        k.updates += g.updates;
        if g.status == TrackStatus::Confirmed || k.status == TrackStatus::Confirmed {
            k.status = TrackStatus::Confirmed;
        } else if k.status == TrackStatus::Tentative && g.status == TrackStatus::Coasting {
            k.status = TrackStatus::Coasting;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use biac_model::{Classification, Nation};

    fn plot(t: TimeMs, lat: f64, lon: f64) -> Observation {
        Observation {
            time_ms: t,
            position: Position::new(lat, lon),
            pos_sigma_m: 20.0,
            velocity: None,
            vel_sigma_mps: None,
            identity: Identity::default(),
            domain: Domain::Air,
            affiliation: None,
            kind: ObservationKind::Plot,
            feed: "radar".into(),
            sensor: "r1".into(),
            label: Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]),
            polar: None,
        }
    }

    /// The shared output equals `tracks()` and re-uses exactly the unchanged tracks.
    #[test]
    fn tracks_reusing_shares_the_unchanged_tracks() {
        let mut tr = Tracker::new(TrackerConfig::default());
        let ship = |k: u32, t: TimeMs| {
            let mut o = plot(t, 26.0 + f64::from(k) * 0.1, 125.0 + t as f64 * 1e-8);
            o.identity.mmsi = Some(431_000_000 + k);
            o.kind = ObservationKind::SelfReport;
            o.domain = Domain::Surface;
            o.feed = "ais".into();
            o
        };
        for t in [0, 1000, 2000] {
            tr.process_batch((0..5).map(|k| ship(k, t)).collect());
        }
        let first = tr.tracks_reusing(&[]);
        assert_eq!(first.len(), 5);
        // Two of five ships report again.
        tr.process_batch(vec![ship(1, 3000), ship(3, 3000)]);
        let second = tr.tracks_reusing(&first);
        let plain = tr.tracks();
        assert_eq!(
            second.iter().map(|t| (**t).clone()).collect::<Vec<_>>(),
            plain
        );
        let shared: Vec<bool> = first
            .iter()
            .zip(&second)
            .map(|(a, b)| Arc::ptr_eq(a, b))
            .collect();
        assert_eq!(shared, [true, false, true, false, true]);
        // A status change alone (coasting) is a change too.
        tr.advance_to(3000 + 61_000);
        let third = tr.tracks_reusing(&second);
        assert!(third.iter().all(|t| t.status == TrackStatus::Coasting));
        assert!(third.iter().zip(&second).all(|(a, b)| !Arc::ptr_eq(a, b)));
    }

    #[test]
    fn frame_is_rebased_as_the_track_moves() {
        let mut tr = Tracker::new(TrackerConfig::default());
        // An aircraft flying due east at ~200 m/s for 10 minutes: ~120 km.
        let lat: f64 = 28.0;
        let m_per_deg = 111_320.0 * lat.to_radians().cos();
        for k in 0..=120 {
            let t = k * 5_000;
            let lon = 125.0 + 200.0 * (t as f64 / 1000.0) / m_per_deg;
            tr.process_batch(vec![plot(t, lat, lon)]);
        }
        let st = tr.tracks.values().next().unwrap();
        assert_eq!(tr.tracks.len(), 1);
        assert!(st.x[0].hypot(st.x[1]) <= 20_000.0 + 2_000.0);
        assert!(
            st.frame.lon_deg > 126.0,
            "frame never moved: {}",
            st.frame.lon_deg
        );
        let out = tr.tracks();
        assert!(
            (out[0].velocity.east_mps - 200.0).abs() < 5.0,
            "{:?}",
            out[0].velocity
        );
    }

    #[test]
    fn imm_tracks_survive_rebasing_through_a_turn() {
        // 200 m/s east for 4 min, a 0.02 rad/s left turn for 78 s (90°), then north
        // for 4 min: ~110 km, several rebases, with the IMM on.
        let cfg = TrackerConfig {
            motion: MotionModel::Imm(ImmParams::default()),
            ..TrackerConfig::default()
        };
        let mut tr = Tracker::new(cfg);
        let frame = EnuFrame::new(28.0, 125.0);
        let (mut p, mut h, w) = ([0.0f64, 0.0], 0.0f64, 0.02);
        let mut worst: f64 = 0.0;
        for k in 0..=560 {
            if k > 0 {
                let turning = (240..318).contains(&k);
                if turning {
                    p[0] += 200.0 / w * ((h + w).sin() - h.sin());
                    p[1] += 200.0 / w * (h.cos() - (h + w).cos());
                    h += w;
                } else {
                    p[0] += 200.0 * h.cos();
                    p[1] += 200.0 * h.sin();
                }
            }
            if k % 2 == 0 {
                let (lat, lon) = frame.en_to_geodetic(p[0], p[1]);
                tr.process_batch(vec![plot(k * 1000, lat, lon)]);
                let imm = tr.tracks.values().next().and_then(|st| st.imm.as_deref());
                if let Some(imm) = imm {
                    for m in 0..2 {
                        assert!(
                            crate::motion::cholesky(&imm.p[m]).is_some(),
                            "model {m} covariance not PD at {k}"
                        );
                    }
                }
                if k > 20 {
                    let t = &tr.tracks()[0];
                    let q = geodetic_to_ecef(t.position.lat_deg, t.position.lon_deg, 0.0);
                    let [e, n] = frame.ecef_to_en(q);
                    worst = worst.max((e - p[0]).hypot(n - p[1]));
                }
            }
        }
        assert_eq!(tr.tracks.len(), 1, "one track throughout");
        let st = tr.tracks.values().next().unwrap();
        assert!(st.imm.is_some());
        assert!(
            st.frame.lat_deg > 28.2,
            "rebased north: {}",
            st.frame.lat_deg
        );
        let out = tr.tracks();
        assert!(
            (out[0].velocity.north_mps - 200.0).abs() < 10.0
                && out[0].velocity.east_mps.abs() < 10.0,
            "{:?}",
            out[0].velocity
        );
        assert!(worst < 150.0, "worst position error {worst} m");
    }

    /// A track started from a range/azimuth plot has the beam ellipse as its position
    /// covariance: σ_r along the line of sight, r·σ_az across it (not a circle).
    #[test]
    fn polar_plot_starts_a_track_with_the_beam_ellipse() {
        let sensor = EnuFrame::new(26.0, 125.0);
        let (r, az) = (100_000.0, 0.8f64);
        let (lat, lon) = sensor.en_to_geodetic(r * az.sin(), r * az.cos());
        // Slant range to that surface point (785 m below the sensor's plane: +3 m).
        let (a, b) = (
            geodetic_to_ecef(lat, lon, 0.0),
            geodetic_to_ecef(26.0, 125.0, 0.0),
        );
        let slant = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
        assert!((slant - r - 3.1).abs() < 0.2, "{slant}");
        let mut o = plot(0, lat, lon);
        o.polar = Some(Box::new(biac_model::PolarMeasurement {
            sensor_position: Position::new(26.0, 125.0),
            sensor_velocity: None,
            range_m: slant,
            range_sigma_m: 10.0,
            azimuth_rad: az,
            azimuth_sigma_rad: 0.003,
            range_rate_mps: None,
            range_rate_sigma_mps: None,
            ground_fix: false,
        }));
        let mut tr = Tracker::new(TrackerConfig::default());
        tr.process_batch(vec![o]);
        let sd = &tr.seeds[0];
        // The line of sight in the seed's own frame.
        let s = sd.frame.ecef_to_en(geodetic_to_ecef(26.0, 125.0, 0.0));
        let l = (sd.x[0] - s[0]).hypot(sd.x[1] - s[1]);
        let u = [(sd.x[0] - s[0]) / l, (sd.x[1] - s[1]) / l];
        let w = [-u[1], u[0]];
        let var = |v: [f64; 2]| {
            v[0] * v[0] * sd.p[0][0] + 2.0 * v[0] * v[1] * sd.p[0][1] + v[1] * v[1] * sd.p[1][1]
        };
        let cross = (r * 0.003f64).powi(2);
        assert!((var(u) - 100.0).abs() < 2.0, "along {}", var(u));
        assert!((var(w) - cross).abs() < 0.01 * cross, "across {}", var(w));
        // Placed where the measurement says (the converted plot agrees here).
        assert!(sd.x[0].hypot(sd.x[1]) < 0.5, "{:?}", sd.x);
    }

    #[test]
    fn identity_keys_conflict_only_within_kind_and_feed() {
        let a = IdKey::TrackNumber("f1".into(), "7".into());
        assert!(a.conflicts(&IdKey::TrackNumber("f1".into(), "8".into())));
        assert!(!a.conflicts(&IdKey::TrackNumber("f2".into(), "8".into())));
        assert!(IdKey::Mmsi(1).conflicts(&IdKey::Mmsi(2)));
        assert!(!IdKey::Mmsi(1).conflicts(&IdKey::Icao(2)));
    }

    #[test]
    fn keyed_batch_order_is_obs_order() {
        // A mix of feeds, sensors, kinds, identities, signs and equal coordinates.
        let mut batch = Vec::new();
        for k in 0..200u32 {
            let mut o = plot(
                i64::from(k % 3) * 1000,
                f64::from(k % 7) * 0.5 - 1.0,
                -f64::from(k % 5) * 0.25,
            );
            o.feed = ["radar", "ais", "cot"][(k % 3) as usize].into();
            o.sensor = ["", "r1", "r2", "s"][(k % 4) as usize].into();
            o.kind = [ObservationKind::Plot, ObservationKind::SelfReport][(k % 2) as usize];
            if k % 4 == 1 {
                o.identity.mmsi = Some(k % 9);
            }
            if k % 11 == 0 {
                o.position.lat_deg = -0.0;
            }
            o.pos_sigma_m = f64::from(k % 2) + 5.0;
            batch.push(o);
        }
        let feed = name_ranks(batch.iter().map(|o| o.feed.as_str()));
        let sensor = name_ranks(batch.iter().map(|o| o.sensor.as_str()));
        let mut keys: Vec<SortKey> = batch
            .iter()
            .enumerate()
            .map(|(i, o)| SortKey {
                scan: (o.time_ms, feed[i], sensor[i]),
                kind: kind_rank(o.kind),
                identified: !o.identity.is_empty(),
                lat: total_key(o.position.lat_deg),
                lon: total_key(o.position.lon_deg),
                index: i as u32,
            })
            .collect();
        keys.sort_unstable_by(|a, b| a.cmp(b, &batch));
        let mut want: Vec<&Observation> = batch.iter().collect();
        want.sort_by(|a, b| obs_order(a, b));
        for (k, w) in keys.iter().zip(&want) {
            assert_eq!(obs_order(&batch[k.index as usize], w), Ordering::Equal);
        }
    }
}

#[cfg(test)]
mod t2t_tests;
