//! The harness on its own, for the benchmarks: `track-csv` (as `biac track-csv`) and
//! `gmti-scenario` (the GMTI tier's dwells), without building the server.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "biac-harness",
    about = "biac: offline benchmark runs of the fusion core"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the tracker on a detection stream (as `biac track-csv`).
    TrackCsv(biac_harness::track_csv::TrackCsvArgs),
    /// Write a GMTI scenario: truth (for gospa_score.py) and the dwells as STANAG 4607.
    GmtiScenario(biac_harness::gmti::ScenarioArgs),
}

fn main() {
    let r = match Cli::parse().cmd {
        Cmd::TrackCsv(a) => biac_harness::track_csv::run(a),
        Cmd::GmtiScenario(a) => biac_harness::gmti::scenario(&a).map(|line| println!("{line}")),
    };
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
