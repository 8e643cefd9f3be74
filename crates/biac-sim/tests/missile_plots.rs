//! The missile-defence radars and the plot generator: what a radar can see, the noise it
//! adds, the PLOTS.csv contract of `biac ballistic`, and determinism per seed.

use biac_geo::{aer_of, angle_diff, point_at_aer};
use biac_sim::missile_radar::md_radars;
use biac_sim::missile_scenario::{
    generate, write_plots_csv, write_truth_csv, GenConfig, Generated, PLOTS_CSV_HEADER,
};
use biac_sim::rnd::SimRng;
use rand::SeedableRng;

fn cfg(scenario: &str, seed: u64) -> GenConfig {
    GenConfig {
        scenario: scenario.into(),
        seed,
        radars: vec![],
        range_noise_m: None,
        angle_noise_mrad: None,
        max_range_m: None,
        truth_step_s: 1.0,
    }
}

fn csv(g: &Generated) -> (String, String) {
    let (mut p, mut t) = (Vec::new(), Vec::new());
    write_plots_csv(g, &mut p).unwrap();
    write_truth_csv(g, &mut t).unwrap();
    (String::from_utf8(p).unwrap(), String::from_utf8(t).unwrap())
}

#[test]
fn a_radar_sees_only_inside_range_sector_and_above_its_mask() {
    for r in md_radars() {
        let site = r.site();
        let mask = r.min_elevation_deg;
        let at = |range: f64, az: f64, el: f64| point_at_aer(site, range, az, el);
        let az = r.boresight_deg;
        assert!(
            r.sees(at(500_000.0, az, mask + 0.05)).is_some(),
            "{}",
            r.name
        );
        assert!(
            r.sees(at(500_000.0, az, mask - 0.05)).is_none(),
            "{}",
            r.name
        );
        assert!(
            r.sees(at(500_000.0, az, -0.5)).is_none(),
            "{} below the horizon",
            r.name
        );
        assert!(
            r.sees(at(r.max_range_m + 1_000.0, az, 20.0)).is_none(),
            "{}",
            r.name
        );
        assert!(
            r.sees(at(r.max_range_m - 1_000.0, az, 20.0)).is_some(),
            "{}",
            r.name
        );
        if r.half_sector_deg < 180.0 {
            let off = r.boresight_deg + r.half_sector_deg + 1.0;
            assert!(r.sees(at(500_000.0, off, 20.0)).is_none(), "{}", r.name);
            let on = r.boresight_deg - r.half_sector_deg + 1.0;
            assert!(r.sees(at(500_000.0, on, 20.0)).is_some(), "{}", r.name);
        }
        // A point seen gives back its true geometry.
        let (range, a, e) = r.sees(at(700_000.0, az, 10.0)).unwrap();
        assert!((range - 700_000.0).abs() < 1e-6 && angle_diff(az, a).abs() < 1e-9);
        assert!((e - 10.0).abs() < 1e-9);
        // Nothing measured, nothing drawn.
        let mut rng = SimRng::seed_from_u64(1);
        let p = at(500_000.0, az, -1.0);
        assert!(r.measure(&mut rng, 0, 1, 0.0, p, [0.0; 3]).is_none());
    }
}

#[test]
fn plots_are_exactly_the_visible_truth_times() {
    let g = generate(&cfg("salvo", 3)).unwrap();
    let mut expected = 0;
    for (k, r) in g.radars.iter().enumerate() {
        for (spec, tr) in &g.missiles {
            let mut t = r.phase_s;
            while t <= tr.impact_t_s {
                if let Some((p, _)) = tr.state_at(t) {
                    let seen = r.sees(p).is_some();
                    let plotted = g
                        .plots
                        .iter()
                        .any(|q| q.radar == k && q.missile == spec.id && (q.t_s - t).abs() < 1e-9);
                    assert_eq!(seen, plotted, "{} missile {} t {t}", r.name, spec.id);
                    expected += usize::from(seen);
                }
                t += r.period_s;
            }
        }
    }
    assert_eq!(expected, g.plots.len());
    assert!(g.plots.len() > 1_000);
    // Boost is seen: plots before the first burnout.
    let burnout = g.missiles[0].1.burnout_t_s;
    assert!(g.plots.iter().any(|p| p.missile == 1 && p.t_s < burnout));
    // No plot is below its radar's mask in truth.
    for p in &g.plots {
        let r = &g.radars[p.radar];
        let tr = &g.missiles[(p.missile - 1) as usize].1;
        let (pos, _) = tr.state_at(p.t_s).unwrap();
        let (range, _, el) = aer_of(r.site(), pos);
        assert!(el >= r.min_elevation_deg && range <= r.max_range_m);
    }
}

#[test]
fn plot_errors_have_the_configured_sigma() {
    let mut c = cfg("all", 11);
    c.range_noise_m = Some(25.0);
    c.angle_noise_mrad = Some(1.5);
    let g = generate(&c).unwrap();
    for (k, r) in g.radars.iter().enumerate() {
        assert_eq!(r.sigma_range_m, 25.0);
        assert_eq!(r.sigma_angle_mrad, 1.5);
        let mut err: [Vec<f64>; 4] = Default::default();
        for p in g.plots.iter().filter(|p| p.radar == k) {
            let tr = &g.missiles[(p.missile - 1) as usize].1;
            let (pos, vel) = tr.state_at(p.t_s).unwrap();
            let (range, az, el) = aer_of(r.site(), pos);
            err[0].push((p.range_m - range) / p.sigma_range_m);
            err[1].push(angle_diff(az, p.azimuth_deg) / p.sigma_azimuth_deg);
            err[2].push((p.elevation_deg - el) / p.sigma_elevation_deg);
            assert!((p.sigma_azimuth_deg - 1.5e-3f64.to_degrees()).abs() < 1e-12);
            if let (Some(rr), Some(s)) = (p.range_rate_mps, p.sigma_range_rate_mps) {
                let o = biac_geo::geodetic_to_ecef(r.lat_deg, r.lon_deg, r.alt_m);
                let d: [f64; 3] = std::array::from_fn(|i| pos[i] - o[i]);
                let true_rr = (d[0] * vel[0] + d[1] * vel[1] + d[2] * vel[2]) / range;
                err[3].push((rr - true_rr) / s);
            }
        }
        for (i, e) in err.iter().enumerate() {
            if i == 3 && r.sigma_range_rate_mps.is_none() {
                assert!(e.is_empty());
                continue;
            }
            let n = e.len() as f64;
            assert!(n > 500.0, "{} component {i}: {n} plots", r.name);
            let mean = e.iter().sum::<f64>() / n;
            let sd = (e.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            // Normalised errors: mean 0 within 4 standard errors, σ 1 within ~4 of its own.
            assert!(
                mean.abs() < 4.0 / n.sqrt(),
                "{} component {i}: mean {mean}",
                r.name
            );
            assert!(
                (sd - 1.0).abs() < 4.0 / (2.0 * n).sqrt(),
                "{} component {i}: sd {sd} over {n}",
                r.name
            );
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_files_and_another_seed_does_not() {
    let a = csv(&generate(&cfg("mrbm", 5)).unwrap());
    let b = csv(&generate(&cfg("mrbm", 5)).unwrap());
    assert_eq!(a, b);
    let c = csv(&generate(&cfg("mrbm", 6)).unwrap());
    assert_ne!(a.0, c.0);
    assert_ne!(a.1, c.1, "the seed perturbs the launch too");
    // A radar's noise does not depend on which other radars are in the run.
    let mut one = cfg("mrbm", 5);
    one.radars = vec!["greenpine-seongju".into()];
    let solo = csv(&generate(&one).unwrap()).0;
    let in_all: Vec<&str> =
        a.0.lines()
            .filter(|l| l.contains(",greenpine-seongju,"))
            .collect();
    let alone: Vec<&str> = solo.lines().skip(1).collect();
    assert_eq!(in_all, alone);
}

#[test]
fn plots_csv_follows_the_ballistic_contract() {
    let (plots, truth) = csv(&generate(&cfg("all", 2)).unwrap());
    assert_eq!(
        PLOTS_CSV_HEADER,
        "t_s,sensor,sensor_lat,sensor_lon,sensor_alt_m,range_m,azimuth_deg,elevation_deg,sigma_range_m,sigma_azimuth_deg,sigma_elevation_deg\n"
    );
    let mut lines = plots.lines();
    assert_eq!(lines.next(), Some(PLOTS_CSV_HEADER.trim_end()));
    let mut last_t = f64::NEG_INFINITY;
    let mut sensors = std::collections::BTreeSet::new();
    let mut switches = 0;
    let mut prev_sensor = String::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), 11, "{l}");
        let t: f64 = f[0].parse().unwrap();
        assert!(t >= last_t, "not in time order: {l}");
        last_t = t;
        for v in &f[2..] {
            let x: f64 = v.parse().unwrap();
            assert!(x.is_finite());
        }
        let az: f64 = f[6].parse().unwrap();
        assert!((0.0..360.0).contains(&az));
        for s in &f[8..] {
            assert!(s.parse::<f64>().unwrap() > 0.0);
        }
        if f[1] != prev_sensor {
            switches += 1;
            prev_sensor = f[1].to_string();
        }
        sensors.insert(f[1].to_string());
    }
    assert_eq!(sensors.len(), 5);
    assert!(switches > 1_000, "sensors interleave ({switches} switches)");
    // The truth: its header and per-missile launch and impact rows.
    let mut tl = truth.lines();
    assert_eq!(
        tl.next().unwrap(),
        "t_s,missile,class,x_m,y_m,z_m,vx_mps,vy_mps,vz_mps,lat,lon,alt_m,phase,launch_t_s,launch_lat,launch_lon,burnout_t_s,apogee_t_s,apogee_m,impact_t_s,impact_lat,impact_lon"
    );
    let rows: Vec<Vec<&str>> = tl.map(|l| l.split(',').collect()).collect();
    for id in 1..=4 {
        let mine: Vec<&Vec<&str>> = rows.iter().filter(|r| r[1] == id.to_string()).collect();
        let (first, last) = (mine[0], mine[mine.len() - 1]);
        assert_eq!(first[0], first[13], "first row at launch");
        assert_eq!(first[12], "boost");
        assert_eq!(last[0], last[19], "last row at impact");
        assert_eq!(last[12], "terminal");
        assert!(last[11].parse::<f64>().unwrap().abs() < 0.01);
        assert_eq!(last[9], last[20]);
    }
}

#[test]
fn bad_requests_are_refused() {
    let mut c = cfg("nope", 1);
    assert!(generate(&c).is_err());
    c.scenario = "srbm".into();
    c.radars = vec!["tpy2-nowhere".into()];
    let e = generate(&c).unwrap_err().to_string();
    assert!(
        e.contains("tpy2-nowhere") && e.contains("tpy2-shariki"),
        "{e}"
    );
    c.radars = vec![];
    c.range_noise_m = Some(-1.0);
    assert!(generate(&c).is_err());
    c.range_noise_m = Some(f64::NAN);
    assert!(generate(&c).is_err());
}
