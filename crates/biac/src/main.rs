//! The `biac` binary: command-line parsing only; the work is in the library crates.

mod audit_cmd;
mod ballistic;
mod bus_ingest;
mod certs;
mod cluster;
mod decode;
mod demo;
mod events_cmd;
mod serve;
mod serve_store;
mod sim_missile;
mod zones_cmd;

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "biac",
    version,
    about = "Coalition ISR fusion and releasable-sharing hub"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server on the embedded default and drive it with the scenario simulator.
    Demo(demo::DemoArgs),
    /// Run the server: feed listeners, fusion, the API and the web page.
    Serve(serve::ServeArgs),
    /// Run the scenario simulator against a running server's feed listeners.
    Sim(SimArgs),
    /// Decode a wire-format file to one JSON observation per line (errors to stderr).
    Decode(decode::DecodeArgs),
    /// Track a planar detection stream (`step,t_s,x,y`) and write the confirmed tracks
    /// after each scan (`step,track_id,x,y,vx,vy`): the Stone Soup side-by-side bench.
    TrackCsv(biac_harness::track_csv::TrackCsvArgs),
    /// Track missiles from 3-D radar plots (`PLOTS.csv`) and write each confirmed track's
    /// state, phase, predicted impact point with its 95 % ellipse, and launch point
    /// per plot time (`OUT.csv`).
    Ballistic(biac_harness::ballistic::BallisticArgs),
    /// Check the tamper-evident audit log of release decisions (`audit verify`, `audit proof`).
    Audit(audit_cmd::AuditArgs),
    /// Hash a password read from standard input (one line) for an account's
    /// `password_hash` in the serve configuration (argon2id).
    HashPassword,
    /// Create a demo PKI for mutual TLS: one CA per nation, a server certificate and
    /// user certificates (see docs/CONFIG.md for the layout).
    Certs(certs::CertsArgs),
    /// Fly a missile scenario and write the missile-defence radars' plots (the `biac
    /// ballistic` PLOTS.csv input) and the truth.
    SimMissile(sim_missile::SimMissileArgs),
    /// Write the approximate maritime zones (territorial sea, contiguous zone, EEZ) of the
    /// theatre as GeoJSON, for one audience's recognition of disputed features.
    Zones(zones_cmd::ZonesArgs),
    /// Behaviour events (gap, encounter, loitering, spoofing, zone entry) from an AIS
    /// NMEA capture with tag-block receive times, one JSON line per event.
    Events(events_cmd::EventsArgs),
    /// Set up the distributed mode's bus: provision its streams, write its accounts.
    Bus(cluster::BusCmdArgs),
}

#[derive(clap::Args)]
struct SimArgs {
    /// Host of the server's feed listeners.
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// Port of the first feed; the others follow in the order of the demo feed table.
    #[arg(long, default_value_t = serve::DEFAULT_FEED_PORT_BASE)]
    port_base: u16,
    #[command(flatten)]
    sim: demo::SimOptions,
}

fn hash_password() -> Result<(), String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("reading the password: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err("empty password".into());
    }
    let hash = biac_server::auth::hash_password(password)
        .map_err(|e| format!("hashing the password: {e}"))?;
    println!("{hash}");
    Ok(())
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,biac_runtime::ingest=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = rt.block_on(async {
        match cli.command {
            Command::Demo(a) => demo::run(a).await,
            Command::Serve(a) => serve::run(a).await,
            Command::Sim(a) => sim(a).await,
            Command::Decode(a) => decode::run(a),
            Command::TrackCsv(a) => biac_harness::track_csv::run(a).map_err(|e| e.to_string()),
            Command::Ballistic(a) => ballistic::run(a),
            Command::Audit(a) => audit_cmd::run(a),
            Command::HashPassword => hash_password(),
            Command::Certs(a) => certs::run(a),
            Command::SimMissile(a) => sim_missile::run(a),
            Command::Zones(a) => zones_cmd::run(a),
            Command::Events(a) => events_cmd::run(a),
            Command::Bus(a) => cluster::bus_cmd(a).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("biac: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn sim(a: SimArgs) -> Result<(), String> {
    let endpoints = biac_sim::demo_feeds()
        .into_iter()
        .enumerate()
        .map(|(i, f)| (f.name, SocketAddr::new(a.host, a.port_base + i as u16)))
        .collect();
    let cfg = a.sim.driver(endpoints);
    biac_sim::driver::run(cfg).await.map_err(|e| e.to_string())
}
