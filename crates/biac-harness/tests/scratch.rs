use biac_harness::ballistic::{config, observation, parse_plots};
use biac_fusion::Tracker;

#[test]
fn scratch() {
    let text = std::fs::read_to_string("/tmp/bmt/mrbm-plots.csv").unwrap();
    let (rows, _) = parse_plots(&text).unwrap();
    let mut tr = Tracker::new(config());
    for r in &rows {
        tr.process_batch(vec![observation(r)]);
        if r.t_s > 118.0 && r.t_s < 125.0 {
            let st = tr.stats().clone();
            let bt: Vec<_> = tr.ballistic_tracks().iter().map(|b| (b.id, b.time_ms, b.estimate.x[6])).collect();
            println!("{} {} new {} gated_out {} supp {} assoc {} {:?}", r.t_s, r.sensor, st.new_tracks, st.gated_out, st.suppressed, st.associated, bt);
        }
    }
}
