//! The motion filter: how a track's estimate is predicted, updated with a measurement
//! and carried from one tangent frame to another.
//!
//! [`MotionFilter`] is the model (chosen once per domain, from [`MotionModel`], with the
//! ballistic model's parameters); [`Kinematics`] is one track's estimate under it. Every estimate
//! exposes a planar view — `[e, n, ve, vn]` and its covariance in the track's tangent
//! plane — which is what gating of horizontal plots, track-to-track fusion, merging
//! and output read; a model with more state keeps it in its own [`Model`] variant and
//! keeps the planar view in step (the IMM its moment-matched combination, the 3-D
//! ballistic model the point below the missile).
//!
//! A track started from a 3-D radar plot (a [`biac_model::PolarMeasurement`] with an
//! elevation, when `TrackerConfig::ballistic` is set) runs the ballistic model for its
//! whole life, whatever the planar model of the others: the model is the track's, so
//! every method here dispatches on the track's [`Model`] first.

// Index loops read better than iterator chains for small fixed-size matrices.
#![allow(clippy::needless_range_loop)]

use crate::ballistic::BallisticParams;
use crate::geo::{geodetic_to_ecef, EnuFrame};
use crate::kf::{self, Mat2, Mat4, Vec4};
use crate::motion::{update_ekf, Imm, ImmParams, Mat5, Vec5};
use crate::{MotionModel, TrackerConfig};
use biac_model::Domain;

use super::ballistic::BallisticKin;
use super::prep::Prep;

/// The planar model a non-ballistic track runs, chosen per domain (a track's domain
/// can change, so every call names it).
#[derive(Clone, Copy, Debug)]
enum Planar {
    /// Constant velocity: white acceleration of spectral density `q`.
    Cv,
    /// CV/coordinated-turn IMM with its own noise levels. A track runs it from its
    /// first update on; until then (and after a restart) it is a CV estimate.
    Imm(ImmParams),
}

/// The tracker's motion filter: each domain's planar model with its process noise
/// `q` (of [`crate::DomainParams`]), and the ballistic model's parameters.
#[derive(Clone, Copy, Debug)]
pub(super) struct MotionFilter {
    /// By [`domain_index`].
    planar: [(Planar, f64); 4],
    ballistic: BallisticParams,
}

fn domain_index(d: Domain) -> usize {
    match d {
        Domain::Unknown => 0,
        Domain::Surface => 1,
        Domain::Air => 2,
        Domain::Ground => 3,
    }
}

/// Model-specific state beside the planar view.
#[derive(Clone, Debug)]
pub(super) enum Model {
    /// The planar view is the whole state.
    Planar,
    /// Per-model IMM state; the planar view is its combination (re-expressed with the
    /// frame on a rebase, replaced on a merge).
    Imm(Box<Imm>),
    /// The 3-D ballistic estimate in ECEF; the planar view is the point below it.
    Ballistic(Box<BallisticKin>),
}

/// One track's estimate: the planar view and the model's own state.
#[derive(Clone, Debug)]
pub(super) struct Kinematics {
    pub x: Vec4,
    pub p: Mat4,
    pub model: Model,
}

/// A track's estimate predicted to a measurement's time, ready for [`MotionFilter::update`].
pub(super) struct Predicted {
    pub x: Vec4,
    pub p: Mat4,
    imm: Option<Imm>,
    ballistic: Option<Box<BallisticKin>>,
}

impl Predicted {
    /// (E)KF update with a measurement model in the common `[e, n, ve, vn, ω]` form:
    /// `meas(x)` gives the innovation and Jacobian at a predicted state. The IMM
    /// updates each model; a CV prediction is lifted to the 5-state with a
    /// zero-variance turn rate, which the measurement models never read (the update is
    /// then the 4-state one exactly). `None` if the update failed.
    pub fn update_ekf<const M: usize>(
        &self,
        meas: impl Fn(&Vec5) -> Option<([f64; M], [[f64; 5]; M])>,
        r: &[[f64; M]; M],
    ) -> Option<Kinematics> {
        match &self.imm {
            Some(imm) => {
                // A model whose prediction sits on the sensor (never within the 10 m
                // that a sensor-space measurement excludes) takes no information.
                let total = |x: &Vec5| meas(x).unwrap_or(([0.0; M], [[0.0; 5]; M]));
                imm.update(total, r).map(|(u, _)| {
                    let (x, p) = u.combined4();
                    Kinematics {
                        x,
                        p,
                        model: Model::Imm(Box::new(u)),
                    }
                })
            }
            None => {
                let mut x5 = [0.0; 5];
                x5[..4].copy_from_slice(&self.x);
                let mut p5: Mat5 = [[0.0; 5]; 5];
                for i in 0..4 {
                    p5[i][..4].copy_from_slice(&self.p[i]);
                }
                let (nu, h) = meas(&x5)?;
                let u = update_ekf(&x5, &p5, &nu, &h, r)?;
                let mut p = [[0.0; 4]; 4];
                for i in 0..4 {
                    p[i].copy_from_slice(&u.p[i][..4]);
                }
                Some(Kinematics::planar([u.x[0], u.x[1], u.x[2], u.x[3]], p))
            }
        }
    }
}

/// A track's prediction for gating: mean, position covariance, and the full covariance
/// when the scan has measurements of velocity (range-rate) to gate; a ballistic
/// track's 3-D prediction (3-D plots are gated against it in the radar's space).
pub(super) struct GateView {
    pub x: Vec4,
    pub pos_cov: Mat2,
    pub full: Option<Mat4>,
    pub ballistic: Option<Box<crate::ballistic::Estimate>>,
}

fn pos_block(p: &Mat4) -> Mat2 {
    [[p[0][0], p[0][1]], [p[1][0], p[1][1]]]
}

impl Kinematics {
    pub fn planar(x: Vec4, p: Mat4) -> Kinematics {
        Kinematics {
            x,
            p,
            model: Model::Planar,
        }
    }

    /// A ballistic track's estimate (its planar view computed in `frame`).
    pub fn ballistic(b: BallisticKin) -> Kinematics {
        let (x, p) = b.planar();
        Kinematics {
            x,
            p,
            model: Model::Ballistic(Box::new(b)),
        }
    }

    pub fn imm(&self) -> Option<&Imm> {
        match &self.model {
            Model::Imm(imm) => Some(imm),
            _ => None,
        }
    }

    pub fn ballistic_kin(&self) -> Option<&BallisticKin> {
        match &self.model {
            Model::Ballistic(b) => Some(b),
            _ => None,
        }
    }

    pub fn is_ballistic(&self) -> bool {
        matches!(self.model, Model::Ballistic(_))
    }

    /// Replace the planar view by another estimate of the same object (a merge): the
    /// model's own state follows it where it can.
    pub fn reset_to(&mut self, x: Vec4, p: Mat4) {
        if self.is_ballistic() {
            // The planar view of a 3-D state is derived, never set (ballistic tracks
            // take no part in merges).
            return;
        }
        (self.x, self.p) = (x, p);
        if let Model::Imm(imm) = &mut self.model {
            imm.reset_to(&x, &p);
        }
    }

    /// The model's own state moved to the planar estimate `to`, or dropped when
    /// there is none (the planar view is left as it is).
    pub fn reset_model(&mut self, to: Option<&(Vec4, Mat4)>) {
        match (to, &mut self.model) {
            (Some((x, p)), Model::Imm(imm)) => imm.reset_to(x, p),
            (_, Model::Ballistic(_)) => {}
            _ => self.model = Model::Planar,
        }
    }

    /// The estimate re-expressed in frame `to` (from `from`).
    pub fn rebase(&mut self, from: &EnuFrame, to: &EnuFrame) {
        if let Model::Ballistic(b) = &mut self.model {
            b.frame = *to;
            (self.x, self.p) = b.planar();
            return;
        }
        let old = self.x;
        (self.x, self.p) = transfer(from, &self.x, &self.p, to);
        if let Model::Imm(imm) = &mut self.model {
            // Each model moves with the combined estimate (the frames differ by a
            // rotation and a shift; the models' spread is metres, the rebase is km).
            let j = from.horizontal_rotation_to(to);
            let shift = [
                self.x[0] - (j[0][0] * old[0] + j[0][1] * old[1]),
                self.x[1] - (j[1][0] * old[0] + j[1][1] * old[1]),
            ];
            imm.rotate(&j, shift);
        }
    }
}

impl MotionFilter {
    pub fn new(cfg: &TrackerConfig) -> MotionFilter {
        MotionFilter {
            planar: [
                Domain::Unknown,
                Domain::Surface,
                Domain::Air,
                Domain::Ground,
            ]
            .map(|d| {
                let planar = match cfg.motion_of(d) {
                    MotionModel::Cv => Planar::Cv,
                    MotionModel::Imm(p) => Planar::Imm(p),
                };
                (planar, cfg.domain(d).q)
            }),
            ballistic: cfg.ballistic.unwrap_or_default(),
        }
    }

    /// `k` predicted `dt` seconds ahead for an update. An IMM track without its model
    /// state yet starts it here from the planar estimate.
    pub fn predict(&self, k: &Kinematics, dt: f64, d: Domain) -> Predicted {
        if let Model::Ballistic(b) = &k.model {
            let b = b.predict(dt, &self.ballistic);
            let (x, p) = b.planar();
            return Predicted {
                x,
                p,
                imm: None,
                ballistic: Some(Box::new(b)),
            };
        }
        let (planar, q) = self.planar[domain_index(d)];
        match planar {
            Planar::Cv => {
                let (x, p) = kf::predict(&k.x, &k.p, dt, q);
                Predicted {
                    x,
                    p,
                    imm: None,
                    ballistic: None,
                }
            }
            Planar::Imm(prm) => {
                let imm = k
                    .imm()
                    .copied()
                    .unwrap_or_else(|| Imm::from_cv(&k.x, &k.p, &prm))
                    .predict(dt, &prm);
                let (x, p) = imm.combined4();
                Predicted {
                    x,
                    p,
                    imm: Some(imm),
                    ballistic: None,
                }
            }
        }
    }

    /// The prediction gating reads: a track's own model when it has one (`own`: its
    /// model state is the estimate the planar view shows), else constant velocity;
    /// the full covariance only when `full` (else only the cheap position block).
    pub fn gate_view(&self, k: &Kinematics, own: bool, dt: f64, d: Domain, full: bool) -> GateView {
        if let Model::Ballistic(b) = &k.model {
            let est = b.est.predict(dt, &self.ballistic);
            let (x, p) = b.planar_of(&est);
            return GateView {
                x,
                pos_cov: pos_block(&p),
                full: full.then_some(p),
                ballistic: Some(Box::new(est)),
            };
        }
        let (planar, q) = self.planar[domain_index(d)];
        match (planar, k.imm().filter(|_| own)) {
            (Planar::Imm(prm), Some(imm)) => {
                let (x, p) = imm.predict(dt, &prm).combined4();
                GateView {
                    x,
                    pos_cov: pos_block(&p),
                    full: full.then_some(p),
                    ballistic: None,
                }
            }
            _ if full => {
                let (x, p) = kf::predict(&k.x, &k.p, dt, q);
                GateView {
                    x,
                    pos_cov: pos_block(&p),
                    full: Some(p),
                    ballistic: None,
                }
            }
            _ => GateView {
                x: cv_mean_at(&k.x, dt),
                pos_cov: kf::predict_pos_cov(&k.p, dt, q),
                full: None,
                ballistic: None,
            },
        }
    }

    /// The planar view predicted `dt` seconds ahead (display, merging); `own` as
    /// for [`MotionFilter::gate_view`]: a model's own prediction where it has one.
    pub fn predict_planar(&self, k: &Kinematics, own: bool, dt: f64, d: Domain) -> (Vec4, Mat4) {
        if let Model::Ballistic(b) = &k.model {
            return b.planar_of(&b.est.predict(dt, &self.ballistic));
        }
        let (planar, q) = self.planar[domain_index(d)];
        match (planar, k.imm().filter(|_| own)) {
            (Planar::Imm(prm), Some(imm)) => imm.predict(dt, &prm).combined4(),
            _ => kf::predict(&k.x, &k.p, dt, q),
        }
    }

    /// The planar mean and position covariance `dt` seconds ahead (coarse merge
    /// distances): one prediction for both.
    pub fn position_at(&self, k: &Kinematics, own: bool, dt: f64, d: Domain) -> (Vec4, Mat2) {
        if k.is_ballistic() {
            let (x, p) = self.predict_planar(k, own, dt, d);
            return (x, pos_block(&p));
        }
        let (planar, q) = self.planar[domain_index(d)];
        match (planar, k.imm().filter(|_| own)) {
            (Planar::Imm(prm), Some(imm)) => {
                let (x, p) = imm.predict(dt, &prm).combined4();
                (x, pos_block(&p))
            }
            _ => (cv_mean_at(&k.x, dt), kf::predict_pos_cov(&k.p, dt, q)),
        }
    }

    /// The position covariance `dt` seconds ahead (deletion by covariance growth).
    pub fn pos_cov_at(&self, k: &Kinematics, own: bool, dt: f64, d: Domain) -> Mat2 {
        if k.is_ballistic() {
            return self.position_at(k, own, dt, d).1;
        }
        let (planar, q) = self.planar[domain_index(d)];
        match (planar, k.imm().filter(|_| own)) {
            (Planar::Imm(prm), Some(imm)) => {
                let (_, p) = imm.predict(dt, &prm).combined4();
                pos_block(&p)
            }
            _ => kf::predict_pos_cov(&k.p, dt, q),
        }
    }

    /// Update of a prediction with the sensor measurement `p` (at `z` in `frame`, the
    /// converted position): in the sensor's space for a sensor-space measurement
    /// (the converted plot stands in only if its geometry degenerates), else position
    /// or position and velocity. A ballistic prediction takes only 3-D plots (anything
    /// else leaves it as predicted). `None` if the update failed numerically.
    pub fn update(
        &self,
        frame: &EnuFrame,
        pred: &Predicted,
        z: [f64; 2],
        p: &Prep,
    ) -> Option<Kinematics> {
        if let Some(b) = &pred.ballistic {
            return match &p.b3 {
                Some(m) => b.update(m, &self.ballistic).map(Kinematics::ballistic),
                None => Some(Kinematics::ballistic((**b).clone())),
            };
        }
        let (xp, pp, imm) = (&pred.x, &pred.p, pred.imm.as_ref());
        if let Some(m) = &p.polar {
            if let Some(k) = m.update(frame, pred, z, p.r_pos) {
                return Some(k);
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
                Kinematics {
                    x,
                    p: pm,
                    model: Model::Imm(Box::new(u)),
                }
            })
        } else {
            match p.vel {
                Some((v, rv)) => {
                    let zv = frame.ecef_vec_to_en(v);
                    kf::update_pos_vel(xp, pp, [z[0], z[1], zv[0], zv[1]], p.r_pos, rv)
                }
                None => kf::update_pos(xp, pp, z, p.r_pos),
            }
            .map(|(x, pm)| Kinematics::planar(x, pm))
        }
    }

    /// A ballistic track's life-cycle `age_s` after its last update: (coast after, delete
    /// after, gone) with gone = its predicted path has reached the ground, or it is in
    /// boost and has coasted. `None` for a
    /// planar track (its domain's rules apply).
    pub fn ballistic_life(&self, k: &Kinematics, age_s: f64) -> Option<(i64, i64, bool)> {
        let b = k.ballistic_kin()?;
        let prm = &self.ballistic;
        // In boost the thrust is unknown: a track without plots for longer than the
        // coast time cannot be predicted and is dropped.
        // Past the delete time the answer is known without flying the prediction, whose
        // cost grows with the age (a time jump in the input must not become hours of
        // integration).
        let gone = age_s > 0.0
            && (age_s * 1000.0 > prm.delete_after_ms as f64
                || b.est.phase == crate::ballistic::Phase::Boost
                    && age_s * 1000.0 > prm.coast_after_ms as f64
                || crate::ballistic::height(b.est.position_at(age_s)) < 0.0);
        Some((prm.coast_after_ms, prm.delete_after_ms, gone))
    }

    /// The estimate a measurement alone gives in `frame`: a ballistic one for a 3-D
    /// plot, else [`initial_state`].
    pub fn initial(&self, p: &Prep, frame: &EnuFrame, init_vel_sigma: f64) -> Kinematics {
        match &p.b3 {
            Some(m) => Kinematics::ballistic(BallisticKin::from_plot(m, *frame, &self.ballistic)),
            None => {
                let (x, pm) = initial_state(p, frame, init_vel_sigma);
                Kinematics::planar(x, pm)
            }
        }
    }
}

/// The constant-velocity mean `dt` seconds ahead.
fn cv_mean_at(x: &Vec4, dt: f64) -> Vec4 {
    [x[0] + dt * x[2], x[1] + dt * x[3], x[2], x[3]]
}

/// Express a state (`x`, `p` in `from`) in frame `to`. Position goes through the
/// geodetic point; velocity and covariance are rotated by the horizontal rotation
/// between the frames (the Jacobian of the position map is that rotation to first order).
pub(super) fn transfer(from: &EnuFrame, x: &Vec4, p: &Mat4, to: &EnuFrame) -> (Vec4, Mat4) {
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

/// The estimate a measurement alone gives in `frame`: its position (for a
/// sensor-space plot, where it places the target, with the beam ellipse as covariance)
/// and its velocity if it has one, else zero with the prior sigma `init_vel_sigma`.
pub(super) fn initial_state(p: &Prep, frame: &EnuFrame, init_vel_sigma: f64) -> (Vec4, Mat4) {
    let [e, n] = frame.ecef_to_en(p.ecef);
    let (v, rv) = match p.vel {
        Some((v, rv)) => (frame.ecef_vec_to_en(v), rv),
        None => ([0.0, 0.0], init_vel_sigma * init_vel_sigma),
    };
    let mut pm = [[0.0; 4]; 4];
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
