//! Helpers of the `security_*` tests of clocks, audit, connections and feeds: the real
//! `biac` binary ([`super::Biac`]) with its standard error captured (the findings are
//! also about what the server logs), and raw sockets.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

pub use super::{bin, now_ms, Biac, Started};

/// Start `biac ARGS…` logging at `info` with standard error captured, and wait (at most
/// 60 s) for its serving line, or its exit.
pub fn spawn(args: &[&str]) -> Started {
    let child = Command::new(bin())
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn biac");
    Biac::attach(child, true, Duration::from_secs(60)).unwrap_or_else(|e| panic!("biac {e}"))
}

/// Start `biac ARGS…`, which must come up.
pub fn start(args: &[&str]) -> Biac {
    spawn(args).serving()
}

/// Write a `biac serve` configuration into `dir`; its path.
pub fn write_config(dir: &Path, cfg: &serde_json::Value) -> String {
    let p = dir.join("config.json");
    std::fs::write(&p, serde_json::to_vec_pretty(cfg).unwrap()).unwrap();
    p.to_str().unwrap().to_string()
}
