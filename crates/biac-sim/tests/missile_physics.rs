//! The missile truth's physics: conserved quantities of free flight, the presets against
//! the public figures of the flights they imitate, where they land, and the launch solver.

use biac_geo::earth::{GravityModel, GM, J2, OMEGA_EARTH};
use biac_geo::{distance_m, ecef_to_geodetic, WGS84_A};
use biac_sim::missile::{fly, fly_in, solve_launch, Aim, Phase, Trajectory, TRUTH_DT_S};
use biac_sim::missile_scenario::{nominal, preset, scenario, SUNAN};

fn norm(a: [f64; 3]) -> f64 {
    (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt()
}

/// Samples after burnout and above 200 km (where the exponential atmosphere is cut off):
/// free flight, gravity only.
fn free_flight(tr: &Trajectory) -> Vec<([f64; 3], [f64; 3])> {
    tr.samples
        .iter()
        .filter(|s| s.t_s > tr.burnout_t_s + 1.0 && ecef_to_geodetic(s.p).2 > 201_000.0)
        .map(|s| (s.p, s.v))
        .collect()
}

#[test]
fn free_flight_conserves_energy_and_angular_momentum_without_j2_or_rotation() {
    let m = preset("irbm", 1, 0.0).unwrap();
    let tr = fly_in(&GravityModel::KEPLER, &m.booster, &m.launch, TRUTH_DT_S).unwrap();
    let arc = free_flight(&tr);
    assert!(arc.len() > 10_000, "{} free-flight samples", arc.len());
    let energy = |(p, v): ([f64; 3], [f64; 3])| 0.5 * norm(v).powi(2) - GM / norm(p);
    let ang = |(p, v): ([f64; 3], [f64; 3])| {
        [
            p[1] * v[2] - p[2] * v[1],
            p[2] * v[0] - p[0] * v[2],
            p[0] * v[1] - p[1] * v[0],
        ]
    };
    let (e0, h0) = (energy(arc[0]), ang(arc[0]));
    let mut worst_e: f64 = 0.0;
    let mut worst_h: f64 = 0.0;
    for &s in &arc {
        worst_e = worst_e.max(((energy(s) - e0) / e0).abs());
        let h = ang(s);
        worst_h = worst_h.max(norm([h[0] - h0[0], h[1] - h0[1], h[2] - h0[2]]) / norm(h0));
    }
    assert!(worst_e < 1e-10, "energy drifts by {worst_e:e}");
    assert!(worst_h < 1e-10, "angular momentum drifts by {worst_h:e}");
    // The quantities are not trivially constant: thrust changed them during boost.
    let boost_end = tr
        .samples
        .iter()
        .find(|s| s.t_s > tr.launch_t_s + 60.0)
        .unwrap();
    assert!(((energy((boost_end.p, boost_end.v)) - e0) / e0).abs() > 0.01);
}

#[test]
fn full_model_free_flight_conserves_the_jacobi_integral() {
    // With J2 and the rotating frame the energy is not conserved, but the Jacobi
    // integral v²/2 − U(r) − ω²(x² + y²)/2 is (the J2 field is steady in that frame).
    let potential = |p: [f64; 3]| {
        let r = norm(p);
        let s2 = (p[2] / r).powi(2);
        GM / r * (1.0 - J2 * (WGS84_A / r).powi(2) * (3.0 * s2 - 1.0) / 2.0)
    };
    let jacobi = |(p, v): ([f64; 3], [f64; 3])| {
        0.5 * norm(v).powi(2)
            - potential(p)
            - 0.5 * OMEGA_EARTH * OMEGA_EARTH * (p[0] * p[0] + p[1] * p[1])
    };
    let m = preset("icbm-lofted", 1, 0.0).unwrap();
    let tr = fly(&m.booster, &m.launch).unwrap();
    let arc = free_flight(&tr);
    assert!(arc.len() > 50_000, "{}", arc.len());
    let c0 = jacobi(arc[0]);
    let worst = arc
        .iter()
        .map(|&s| ((jacobi(s) - c0) / c0).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-10, "Jacobi integral drifts by {worst:e}");
    // Point-mass energy alone is not conserved in that frame (the test above is not vacuous).
    let e = |(p, v): ([f64; 3], [f64; 3])| 0.5 * norm(v).powi(2) - GM / norm(p);
    let drift = arc
        .iter()
        .map(|&s| ((e(s) - e(arc[0])) / e(arc[0])).abs())
        .fold(0.0, f64::max);
    assert!(drift > 1e-4, "{drift:e}");
}

/// Range (km), apogee (km), flight time (min) of a preset's nominal flight.
fn figures(class: &str) -> (Trajectory, f64, f64, f64) {
    let m = preset(class, 1, 0.0).unwrap();
    let tr = fly(&m.booster, &m.launch).unwrap();
    let (r, a, f) = (tr.range_m() / 1e3, tr.apogee_m / 1e3, tr.flight_s() / 60.0);
    (tr, r, a, f)
}

#[test]
fn presets_match_the_public_figures() {
    // SRBM: Scud class, ~300 km; a minimum-energy shot peaks near 80 km after ~5 min.
    let (_, r, a, f) = figures("srbm");
    assert!((280.0..=320.0).contains(&r), "srbm range {r}");
    assert!((60.0..=100.0).contains(&a), "srbm apogee {a}");
    assert!((4.0..=7.0).contains(&f), "srbm flight {f} min");
    // MRBM: Nodong class into Japan's EEZ, ~1,000 km.
    let (_, r, a, f) = figures("mrbm");
    assert!((950.0..=1_200.0).contains(&r), "mrbm range {r}");
    assert!((250.0..=400.0).contains(&a), "mrbm apogee {a}");
    assert!((8.0..=13.0).contains(&f), "mrbm flight {f} min");
    // Hwasong-17, 2022-11-18: ~1,000 km, ~6,000 km apogee (6,040 reported), ~69 min.
    let (_, r, a, f) = figures("icbm-lofted");
    assert!((900.0..=1_100.0).contains(&r), "icbm range {r}");
    assert!((5_800.0..=6_200.0).contains(&a), "icbm apogee {a}");
    assert!((66.0..=72.0).contains(&f), "icbm flight {f} min");
    // Hwasong-12, 2022-10-04: ~4,600 km, ~1,000 km apogee (970 reported), ~22 min.
    let (_, r, a, f) = figures("irbm");
    assert!((4_400.0..=4_800.0).contains(&r), "irbm range {r}");
    assert!((900.0..=1_100.0).contains(&a), "irbm apogee {a}");
    assert!((20.0..=25.0).contains(&f), "irbm flight {f} min");
}

/// A rough test of Japan's EEZ in the Sea of Japan (the maritime-zones work has the real
/// polygons): within 200 NM of a Japanese coast point and nearer Japan's coast than
/// Korea's or Russia's (the median line).
fn in_japan_eez_sea_of_japan(lat: f64, lon: f64) -> bool {
    let japan = [
        (39.95, 139.70), // Oga peninsula
        (41.25, 140.35), // Cape Tappi
        (42.15, 139.43), // Okushiri
        (41.51, 139.37), // Oshima-Oshima
        (38.00, 138.22), // Sado
        (37.50, 136.90), // Noto
        (36.25, 133.20), // Oki
        (43.20, 140.40), // Shakotan
        (45.40, 141.00), // Rebun
    ];
    let others = [
        (39.90, 127.60), // Hamhung coast
        (41.80, 129.80), // Chongjin
        (38.20, 128.60), // Sokcho
        (37.50, 130.87), // Ulleungdo
        (43.10, 131.90), // Vladivostok
        (45.00, 136.60), // Primorye coast
        (47.05, 142.04), // Kholmsk, Sakhalin
    ];
    let nearest = |pts: &[(f64, f64)]| {
        pts.iter()
            .map(|&(a, b)| distance_m(lat, lon, a, b))
            .fold(f64::INFINITY, f64::min)
    };
    let dj = nearest(&japan);
    dj < 370_400.0 && dj < nearest(&others) && (128.0..142.0).contains(&lon)
}

#[test]
fn mrbm_and_lofted_icbm_land_in_japans_eez_for_every_seed() {
    assert!(in_japan_eez_sea_of_japan(40.4, 137.3));
    assert!(!in_japan_eez_sea_of_japan(40.0, 131.0), "near North Korea");
    assert!(!in_japan_eez_sea_of_japan(36.0, 150.0), "Pacific");
    for seed in 0..6 {
        for name in ["mrbm", "icbm-lofted"] {
            let m = &scenario(name, seed).unwrap()[0];
            let tr = fly(&m.booster, &m.launch).unwrap();
            assert!(
                in_japan_eez_sea_of_japan(tr.impact_lat, tr.impact_lon),
                "{name} seed {seed}: {} {}",
                tr.impact_lat,
                tr.impact_lon
            );
        }
    }
}

#[test]
fn irbm_overflies_northern_japan() {
    let (tr, ..) = figures("irbm");
    // The ground track crosses Tohoku-north / Hokkaido-south (a box over the Tsugaru
    // strait's land both sides), hundreds of kilometres up.
    let over: Vec<(f64, f64, f64)> = tr
        .samples
        .iter()
        .map(|s| ecef_to_geodetic(s.p))
        .filter(|&(lat, lon, _)| (40.2..=42.0).contains(&lat) && (139.8..=141.6).contains(&lon))
        .collect();
    assert!(!over.is_empty(), "the track misses northern Japan");
    assert!(over.iter().all(|&(_, _, h)| h > 300_000.0));
}

#[test]
fn phases_run_boost_midcourse_terminal_and_impact_is_on_the_ellipsoid() {
    for name in ["srbm", "mrbm", "icbm-lofted", "irbm"] {
        let (tr, ..) = figures(name);
        let mut seen = Vec::new();
        for s in tr.samples.iter().step_by(20) {
            let alt = ecef_to_geodetic(s.p).2;
            let ph = tr.phase_at(s.t_s, alt);
            if seen.last() != Some(&ph) {
                seen.push(ph);
            }
        }
        assert_eq!(
            seen,
            vec![Phase::Boost, Phase::Midcourse, Phase::Terminal],
            "{name}"
        );
        let last = tr.samples.last().unwrap();
        assert!(ecef_to_geodetic(last.p).2.abs() < 0.01, "{name}");
        assert_eq!(last.t_s, tr.impact_t_s);
        // Drag has slowed the vehicle in the last 20 km: it hits slower than it was at 20 km.
        let at20 = tr
            .samples
            .iter()
            .rev()
            .find(|s| ecef_to_geodetic(s.p).2 > 20_000.0)
            .unwrap();
        assert!(norm(last.v) < norm(at20.v), "{name}");
    }
}

#[test]
fn state_at_interpolates_between_samples() {
    let (tr, ..) = figures("mrbm");
    let (a, b) = (tr.samples[3000], tr.samples[3001]);
    let (p, v) = tr.state_at(a.t_s).unwrap();
    assert!(norm([p[0] - a.p[0], p[1] - a.p[1], p[2] - a.p[2]]) < 1e-6);
    assert!(norm([v[0] - a.v[0], v[1] - a.v[1], v[2] - a.v[2]]) < 1e-6);
    let (pm, _) = tr.state_at(0.5 * (a.t_s + b.t_s)).unwrap();
    let mid: [f64; 3] = std::array::from_fn(|i| 0.5 * (a.p[i] + b.p[i]));
    assert!(norm([pm[0] - mid[0], pm[1] - mid[1], pm[2] - mid[2]]) < 1.0);
    assert!(tr.state_at(tr.launch_t_s - 0.01).is_none());
    assert!(tr.state_at(tr.impact_t_s + 0.01).is_none());
}

#[test]
fn solver_finds_the_launch_for_an_aim() {
    let (lat, lon) = biac_geo::destination(SUNAN.0, SUNAN.1, 60.0, 280_000.0);
    let aim = Aim {
        target_lat: lat,
        target_lon: lon,
        apogee_m: 70_000.0,
    };
    let mut start = preset("srbm", 1, 0.0).unwrap();
    start.launch.azimuth_deg = 66.0;
    start.launch.pitch_end_deg = 20.0;
    start.launch.cutoff_s = 50.0;
    let (l, resid) = solve_launch(&start.booster, &start.launch, &aim).unwrap();
    assert!(resid < 1.0, "residual {resid} km");
    let tr = fly(&start.booster, &l).unwrap();
    assert!(distance_m(tr.impact_lat, tr.impact_lon, lat, lon) < 2_000.0);
    assert!((tr.apogee_m - 70_000.0).abs() < 2_000.0);
}

#[test]
fn every_scenario_flies() {
    for name in biac_sim::missile_scenario::SCENARIOS {
        let ms = nominal(name).unwrap();
        assert!(!ms.is_empty());
        for m in ms {
            fly(&m.booster, &m.launch).unwrap();
        }
    }
    assert!(nominal("nope").is_none());
}
