//! `biac ballistic PLOTS.csv OUT.csv`: the work is in `biac_harness::ballistic`.

pub fn run(a: biac_harness::ballistic::BallisticArgs) -> Result<(), String> {
    biac_harness::ballistic::run(a).map_err(|e| e.to_string())
}
