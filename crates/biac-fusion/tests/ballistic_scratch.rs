use biac_fusion::ballistic::{BallisticParams, Estimate, RadarPlot};

#[test]
fn scratch() {
    let text = std::fs::read_to_string("/tmp/bmt/mrbm-plots.csv").unwrap();
    let prm = BallisticParams::default();
    let mut est: Option<(f64, Estimate)> = None;
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let v = |i: usize| f[i].parse::<f64>().unwrap();
        let t = v(0);
        let m = RadarPlot::new((v(2), v(3), v(4)), v(5), v(6).to_radians(), v(7).to_radians(), [v(8), v(9).to_radians(), v(10).to_radians()], None).unwrap();
        let e = match est.take() {
            None => Estimate::from_plot(&m, &prm),
            Some((t0, e)) => {
                let pr = e.predict(t - t0, &prm);
                let g = pr.gate(&m).unwrap();
                if t > 100.0 && t < 135.0 {
                    println!("t {t:.1} {} d2 {:.1} s {:.2} ss {:.2} phase {:?}", f[1], g.0, pr.x[6], pr.p[6][6].sqrt(), pr.phase);
                }
                if g.0 > 14.16 { println!("   MISS"); est = Some((t0, e)); continue; }
                pr.update(&m, &prm).unwrap()
            }
        };
        est = Some((t, e));
    }
}
