//! The ballistic filter alone (no tracker): consistency (NEES), burnout detection and
//! the impact prediction's accuracy and honesty, on arcs of the shared physics.

mod ballistic_support;

use ballistic_support::*;
use biac_fusion::ballistic::impact::{inside95, predict_impact};
use biac_fusion::ballistic::{BallisticParams, Estimate, Phase, RadarPlot};
use biac_geo::ecef_to_geodetic;

fn radar_plot(p: &Plot, r: &Radar) -> RadarPlot {
    RadarPlot::new(
        r.site,
        p.range,
        p.az_rad,
        p.el_rad,
        [r.sigma_r, r.sigma_ang, r.sigma_ang],
        None,
    )
    .unwrap()
}

struct Run {
    /// (time since first plot, 6-D NEES, phase)
    nees: Vec<(f64, f64, Phase)>,
    /// Time of the first midcourse estimate (since first plot).
    burnout_at: Option<f64>,
    /// (time since first plot, impact error m, inside 95 %, time error s)
    ipp: Vec<(f64, f64, bool, f64)>,
}

fn run(arc: &Arc, radars: &[Radar], seed: u64, ipp_at: &[f64]) -> Run {
    let prm = BallisticParams::default();
    let mut noise = Noise::new(seed);
    let plots = plots(arc, radars, &mut noise);
    let t0 = plots[0].t;
    let mut est: Option<(f64, Estimate)> = None;
    let mut out = Run {
        nees: vec![],
        burnout_at: None,
        ipp: vec![],
    };
    let mut next_ipp = 0;
    let (impact, t_impact) = arc.impact();
    for p in &plots {
        let m = radar_plot(p, &radars[p.radar]);
        let e = match est.take() {
            None => Estimate::from_plot(&m, &prm),
            Some((t, e)) => e.predict(p.t - t, &prm).update(&m, &prm).unwrap(),
        };
        let k = arc.at(p.t);
        let err: Vec<f64> = (0..6)
            .map(|i| {
                if i < 3 {
                    e.x[i] - arc.p[k][i]
                } else {
                    e.x[i] - arc.v[k][i - 3]
                }
            })
            .collect();
        let p6: [[f64; 6]; 6] = std::array::from_fn(|i| std::array::from_fn(|j| e.p[i][j]));
        if let Some(inv) = biac_fusion::kf::invert(&p6) {
            let d2: f64 = (0..6)
                .map(|i| (0..6).map(|j| err[i] * inv[i][j] * err[j]).sum::<f64>())
                .sum();
            out.nees.push((p.t - t0, d2, e.phase));
        }
        if e.phase != Phase::Boost && out.burnout_at.is_none() {
            out.burnout_at = Some(p.t - t0);
        }
        if let Some(b) = out.burnout_at {
            if next_ipp < ipp_at.len() && p.t - t0 >= b + ipp_at[next_ipp] {
                if let Some(imp) = predict_impact(&e, &prm) {
                    let (lat, lon, _) = ecef_to_geodetic(impact);
                    let g = biac_geo::geodetic_to_ecef(imp.lat_deg, imp.lon_deg, 0.0);
                    out.ipp.push((
                        ipp_at[next_ipp],
                        ground_dist(g, impact),
                        inside95(&imp, lat, lon),
                        p.t + imp.dt_s - t_impact,
                    ));
                }
                next_ipp += 1;
            }
        }
        est = Some((p.t, e));
    }
    out
}

/// An MRBM-like arc from near Sunan towards the Sea of Japan: free flight from 80 km
/// at 3.3 km/s.
fn mrbm(beta: f64) -> Arc {
    arc(
        39.6,
        126.5,
        80_000.0,
        [2_300.0, 400.0, 2_300.0],
        0.0,
        0.0,
        beta,
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Midcourse NEES (6-D position and velocity) and the impact prediction at 30, 60 and
/// 120 s after burnout detection over 20 MRBM arcs with random β, three radars at
/// 20 m / 1 mrad: the targets (≤ 10 km, 2 km, 0.5 km median; time ≤ 3 s at
/// 30 s) and an honest 95 % ellipse.
#[test]
fn filter_is_consistent_and_impact_prediction_meets_the_targets() {
    let radars = radars(20.0, 1e-3);
    let mut noise = Noise::new(99);
    let mut nees = vec![];
    let mut err: [Vec<f64>; 3] = Default::default();
    let mut terr = vec![];
    let (mut inside, mut n) = (0, 0);
    for seed in 0..20 {
        let beta = noise.uniform(1e4f64.ln(), 1e5f64.ln()).exp();
        let a = mrbm(beta);
        let r = run(&a, &radars, seed, &[30.0, 60.0, 120.0]);
        nees.extend(
            r.nees
                .iter()
                .filter(|(t, _, ph)| *t > 30.0 && *ph == Phase::Midcourse)
                .map(|x| x.1),
        );
        assert_eq!(r.ipp.len(), 3, "seed {seed}: {:?}", r.burnout_at);
        for (k, x) in r.ipp.iter().enumerate() {
            err[k].push(x.1);
            inside += usize::from(x.2);
            n += 1;
        }
        terr.push(r.ipp[0].3.abs());
    }
    let mean = nees.iter().sum::<f64>() / nees.len() as f64;
    let med: Vec<f64> = err.iter().map(|e| median(e.clone())).collect();
    let cover = inside as f64 / n as f64;
    println!(
        "NEES {mean:.2} (6 dof); IPP median {:.0} / {:.0} / {:.0} m; 95% coverage {cover:.3}; \
         time error median {:.2} s",
        med[0],
        med[1],
        med[2],
        median(terr.clone())
    );
    // Consistent: neither overconfident (NEES well above 6) nor uselessly loose.
    assert!((2.5..8.0).contains(&mean), "NEES {mean}");
    assert!(
        med[0] <= 10_000.0 && med[1] <= 2_000.0 && med[2] <= 500.0,
        "{med:?}"
    );
    assert!((0.85..=1.0).contains(&cover), "{cover}");
    assert!(median(terr) <= 3.0);
}

/// A missile under thrust stays in boost; after burnout the detector says midcourse
/// within seconds, and the filter follows the thrust (no divergence).
#[test]
fn burnout_is_detected_after_the_thrust_ends_and_not_before() {
    let radars = radars(15.0, 0.7e-3);
    for seed in 0..5 {
        // 80 s of 30 m/s² along the velocity from 30 km up, then free flight.
        let a = arc(
            39.2,
            125.67,
            30_000.0,
            [500.0, 100.0, 1_200.0],
            80.0,
            30.0,
            30_000.0,
        );
        let t_burnout = a.t[a.burnout];
        let prm = BallisticParams::default();
        let mut noise = Noise::new(100 + seed);
        let plots = plots(&a, &radars, &mut noise);
        assert!(plots[0].t < t_burnout - 20.0, "the radars see the boost");
        let mut est: Option<(f64, Estimate)> = None;
        let mut detected = None;
        for p in &plots {
            let m = radar_plot(p, &radars[p.radar]);
            let e = match est.take() {
                None => Estimate::from_plot(&m, &prm),
                Some((t, e)) => e.predict(p.t - t, &prm).update(&m, &prm).unwrap(),
            };
            if e.phase != Phase::Boost && detected.is_none() {
                detected = Some(p.t);
            }
            let k = a.at(p.t);
            let pe = (0..3)
                .map(|i| (e.x[i] - a.p[k][i]).powi(2))
                .sum::<f64>()
                .sqrt();
            assert!(pe < 2_000.0, "seed {seed} t {}: {pe} m", p.t);
            est = Some((p.t, e));
        }
        let d = detected.expect("burnout detected");
        println!(
            "seed {seed}: burnout detected {:.1} s after it",
            d - t_burnout
        );
        // The likelihood-ratio detector takes 7–15 s here (the quiet-thrust detector
        // before it took 16–26 s); never before the cut.
        assert!(
            d > t_burnout && d < t_burnout + 30.0,
            "seed {seed}: burnout {t_burnout}, detected {d}"
        );
    }
}

/// χ² quantile of `k` degrees of freedom at the standard normal quantile `z`
/// (Wilson–Hilferty: within 0.1 % above 50 dof).
fn chi2_quantile(k: f64, z: f64) -> f64 {
    let c = 2.0 / (9.0 * k);
    k * (1.0 - c + z * c.sqrt()).powi(3)
}

/// Filter consistency over the free flight, Monte-Carlo: the 6-D NEES (position and
/// velocity) averaged over N runs at each plot time of the midcourse phase, against the
/// two-sided 95 % χ² interval of 6N degrees of freedom (divided by N). The runs share
/// the MRBM arc (their plot times align; β drawn from the filter's prior) with
/// independent noise; the track starts in
/// boost from its first plot, so the burnout detector's hand-over is part of what is
/// tested. Asserted: never over-confident (the average above the upper bound at no more
/// than 5 % of the times, as chance allows) and not uselessly loose (grand mean over
/// 2.5). Measured and printed, not yet met: the lower bound — the filter is
/// conservative (grand mean about 3.8 of 6; most times under the lower bound).
#[test]
fn nees_is_never_over_confident_over_the_free_flight() {
    let radars = radars(20.0, 1e-3);
    let n_runs = 24;
    // β drawn from the prior the filter assumes (log-uniform over its range).
    let mut draw = Noise::new(77);
    // Plot time (ms) → NEES of the runs in midcourse at that time.
    let mut at: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
    let mut delays = vec![];
    for seed in 0..n_runs {
        let a = mrbm(draw.uniform(1e4f64.ln(), 1e5f64.ln()).exp());
        let r = run(&a, &radars, 500 + seed, &[]);
        delays.push(r.burnout_at.expect("burnout detected"));
        for (t, d2, ph) in r.nees {
            if ph == Phase::Midcourse {
                at.entry((t * 1000.0).round() as i64).or_default().push(d2);
            }
        }
    }
    // Times every run has reached midcourse, 10 s after the last detection (the
    // hand-over's own transient is tested by the first 10 s being allowed to be high).
    let (mut inside, mut total, mut high, mut low) = (0, 0, 0, 0);
    let mut means = vec![];
    for v in at.values().filter(|v| v.len() == n_runs as usize) {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let lo = chi2_quantile(6.0 * n, -1.959_964) / n;
        let hi = chi2_quantile(6.0 * n, 1.959_964) / n;
        total += 1;
        if mean < lo {
            low += 1;
        } else if mean > hi {
            high += 1;
        } else {
            inside += 1;
        }
        means.push(mean);
    }
    let frac = inside as f64 / total.max(1) as f64;
    let grand = means.iter().sum::<f64>() / means.len().max(1) as f64;
    println!(
        "NEES over {total} midcourse plot times ({n_runs} runs): {:.1} % inside the 95 % \
         bounds ({high} above, {low} below), mean {grand:.2} (6 dof); burnout declared \
         after {:.1}–{:.1} s of plots",
        100.0 * frac,
        delays.iter().cloned().fold(f64::INFINITY, f64::min),
        delays.iter().cloned().fold(0.0, f64::max),
    );
    assert!(total > 100, "{total} midcourse times");
    assert!(
        high as f64 <= 0.05 * total as f64,
        "over-confident: {high} of {total} above the bound"
    );
    assert!((2.5..7.6).contains(&grand), "{grand}");
}

/// The impact ellipse 30 s after the thrust ends, when the boost was steered off the
/// velocity (a pitch programme, as the simulator's and real boosters fly; the boost
/// model thrusts along the velocity) and one radar sees it: the hand-over carries the
/// boost estimate's velocity error into the first prediction, which must be honest.
/// 24 runs, Green Pine alone at 20 m / 1 mrad, thrust 30 → 70 m/s² over 70 s steered
/// 0 → 12° below the velocity (15 m/s² across it at the end), β from the prior. Also
/// the 6-D NEES over the last 10 s of boost (averaged over the runs): a boost model
/// whose covariance ignores the steering is over-confident there (mean over 20, 6 dof).
#[test]
fn impact_ellipse_is_honest_30_s_after_a_steered_boost() {
    let radar = vec![radars(20.0, 1e-3).swap_remove(0)];
    let prm = BallisticParams::default();
    let mut draw = Noise::new(15);
    let (mut inside, mut n, mut errs) = (0, 0, vec![]);
    let (mut nees_sum, mut nees_n) = (0.0, 0);
    for seed in 0..24 {
        let beta = draw.uniform(1e4f64.ln(), 1e5f64.ln()).exp();
        let a = arc_steered(
            39.3,
            125.6,
            20_000.0,
            [500.0, 150.0, 900.0],
            Boost {
                s: 70.0,
                thrust: (30.0, 70.0),
                steer_deg: (0.0, -12.0),
                rocket: false,
            },
            beta,
        );
        let t_burnout = a.t[a.burnout];
        let mut noise = Noise::new(1_500 + seed);
        let plots = plots(&a, &radar, &mut noise);
        assert!(plots[0].t < t_burnout - 30.0, "the radar sees the boost");
        let (impact, _) = a.impact();
        let (lat, lon, _) = ecef_to_geodetic(impact);
        let mut est: Option<(f64, Estimate)> = None;
        for p in plots.iter().take_while(|p| p.t <= t_burnout + 30.0) {
            let m = radar_plot(p, &radar[0]);
            let e = match est.take() {
                None => Estimate::from_plot(&m, &prm),
                Some((t, e)) => e.predict(p.t - t, &prm).update(&m, &prm).unwrap(),
            };
            if p.t > t_burnout - 10.0 && p.t <= t_burnout {
                let k = a.at(p.t);
                let err: [f64; 6] = std::array::from_fn(|i| {
                    if i < 3 {
                        e.x[i] - a.p[k][i]
                    } else {
                        e.x[i] - a.v[k][i - 3]
                    }
                });
                let p6: [[f64; 6]; 6] = std::array::from_fn(|i| std::array::from_fn(|j| e.p[i][j]));
                let inv = biac_fusion::kf::invert(&p6).unwrap();
                nees_sum += (0..6)
                    .map(|i| (0..6).map(|j| err[i] * inv[i][j] * err[j]).sum::<f64>())
                    .sum::<f64>();
                nees_n += 1;
            }
            est = Some((p.t, e));
        }
        let (_, e) = est.expect("plots");
        if e.phase == Phase::Boost {
            // Burnout not yet declared: no prediction (counted, not scored).
            continue;
        }
        let imp = predict_impact(&e, &prm).expect("an impact prediction");
        let g = biac_geo::geodetic_to_ecef(imp.lat_deg, imp.lon_deg, 0.0);
        errs.push(ground_dist(g, impact));
        inside += usize::from(inside95(&imp, lat, lon));
        n += 1;
    }
    let cover = inside as f64 / n as f64;
    let nees = nees_sum / nees_n as f64;
    println!(
        "steered boost, 1 radar: 30 s after burnout coverage {cover:.3} ({inside}/{n} runs \
         with a prediction), \
         median impact error {:.0} m; boost NEES (last 10 s) {nees:.1} (6 dof)",
        median(errs.clone())
    );
    assert!(
        n >= 20,
        "burnout declared within 30 s in only {n} of 24 runs"
    );
    assert!(cover >= 0.85, "over-confident ellipse: {cover}");
    assert!(nees < 12.0, "over-confident boost: NEES {nees}");
}

/// A lofted ICBM's upper stage (the simulator's Hwasong-17 class shot): its last 40 s
/// of thrust, 46 → 114 m/s² as the stage's mass burns away (4 m/s³ at the end), seen by
/// a TPY-2 at Shariki 1,300–1,500 km away until the missile climbs out of its reach
/// ~20 s after the cut. The midcourse estimate the hand-over gives (from the boost
/// model's) must be honest: its 6-D NEES against the truth, and the impact ellipse an
/// hour ahead at the last plot.
#[test]
fn lofted_upper_stage_hands_over_an_honest_estimate() {
    let radar = vec![radars(20.0, 1e-3).swap_remove(2)];
    let prm = BallisticParams::default();
    let a = arc_steered(
        39.2952,
        126.0011,
        436_000.0,
        [451.6, 164.8, 4_430.8],
        Boost {
            s: 40.0,
            thrust: (46.4, 114.0),
            steer_deg: (0.0, 0.0),
            rocket: true,
        },
        50_000.0,
    );
    let t_cut = a.t[a.burnout];
    let (impact, _) = a.impact();
    let (lat, lon, _) = ecef_to_geodetic(impact);
    assert!(
        a.p.iter()
            .map(|p| ecef_to_geodetic(*p).2)
            .fold(0.0, f64::max)
            > 5_000e3,
        "lofted"
    );
    let (mut boost_nees, mut mid_nees) = (vec![], vec![]);
    let (mut inside, mut n, mut errs) = (0, 0, vec![]);
    for seed in 0..20 {
        let mut noise = Noise::new(4_000 + seed);
        let plots = plots(&a, &radar, &mut noise);
        assert!(plots[0].t < 1.0 && plots.last().unwrap().t > t_cut + 15.0);
        let mut est: Option<(f64, Estimate)> = None;
        // The plots of the ascent (the radar sees the missile again only at re-entry).
        for p in plots.iter().take_while(|p| p.t < t_cut + 100.0) {
            let m = radar_plot(p, &radar[0]);
            let e = match est.take() {
                None => Estimate::from_plot(&m, &prm),
                Some((t, e)) => e.predict(p.t - t, &prm).update(&m, &prm).unwrap(),
            };
            let k = a.at(p.t);
            let err: [f64; 6] = std::array::from_fn(|i| {
                if i < 3 {
                    e.x[i] - a.p[k][i]
                } else {
                    e.x[i] - a.v[k][i - 3]
                }
            });
            let p6: [[f64; 6]; 6] = std::array::from_fn(|i| std::array::from_fn(|j| e.p[i][j]));
            let inv = biac_fusion::kf::invert(&p6).unwrap();
            let d2: f64 = (0..6)
                .map(|i| (0..6).map(|j| err[i] * inv[i][j] * err[j]).sum::<f64>())
                .sum();
            if e.phase == Phase::Boost && p.t > t_cut - 10.0 && p.t <= t_cut {
                boost_nees.push(d2);
            }
            if e.phase == Phase::Midcourse && p.t > t_cut {
                mid_nees.push(d2);
            }
            est = Some((p.t, e));
        }
        let (_, e) = est.expect("plots");
        if e.phase == Phase::Boost {
            continue;
        }
        let imp = predict_impact(&e, &prm).expect("an impact prediction");
        let g = biac_geo::geodetic_to_ecef(imp.lat_deg, imp.lon_deg, 0.0);
        errs.push(ground_dist(g, impact));
        inside += usize::from(inside95(&imp, lat, lon));
        n += 1;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (bn, mn) = (mean(&boost_nees), mean(&mid_nees));
    let cover = inside as f64 / n.max(1) as f64;
    println!(
        "lofted upper stage, 1 radar: boost NEES (last 10 s) {bn:.1}, midcourse NEES \
         (after the hand-over, {} plots) {mn:.1} (6 dof); impact ellipse at the last plot \
         covers {inside}/{n}, median error {:.0} m",
        mid_nees.len(),
        median(errs.clone())
    );
    assert!(
        n >= 18,
        "burnout declared before the missile left in {n} of 20 runs"
    );
    assert!(bn < 8.0, "over-confident boost: NEES {bn}");
    assert!(
        mn < 8.0,
        "over-confident midcourse after the hand-over: NEES {mn}"
    );
    assert!(cover >= 0.85, "over-confident ellipse: {cover}");
}
