//! Helpers of the `security_*` tests of clocks, audit, connections and feeds: the real
//! `biac` binary with its standard error captured (the findings are also about what
//! the server logs), and raw sockets.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `biac`, killed on drop, with every line it wrote.
pub struct Proc {
    pub child: Child,
    /// The API's address (`biac: serving http://…` or `https://…`).
    pub http: SocketAddr,
    /// Feed name -> listener address, from the startup lines.
    pub feeds: Vec<(String, SocketAddr)>,
    /// Standard output up to the serving line.
    pub startup: Vec<String>,
    pub stderr: Arc<Mutex<Vec<String>>>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    pub fn feed(&self, name: &str) -> SocketAddr {
        self.feeds
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no feed {name} in {:?}", self.startup))
            .1
    }
    /// Whether a line of standard error contains every one of `parts`.
    pub fn logged(&self, parts: &[&str]) -> bool {
        self.stderr
            .lock()
            .unwrap()
            .iter()
            .any(|l| parts.iter().all(|p| l.contains(p)))
    }
    pub fn stderr_text(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }
}

/// The outcome of running `biac ARGS…` to its serving line.
pub enum Started {
    Serving(Proc),
    /// It exited first: its status and standard error.
    Exited(std::process::ExitStatus, String),
}

pub use super::{bin, now_ms};

/// Start `biac ARGS…` and wait (at most 60 s) for its serving line, or its exit.
pub fn spawn(args: &[&str]) -> Started {
    let mut child = Command::new(bin())
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn biac");
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let err = child.stderr.take().unwrap();
    let sink = stderr.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut p = Proc {
        child,
        http: SocketAddr::from(([127, 0, 0, 1], 0)),
        feeds: Vec::new(),
        startup: Vec::new(),
        stderr,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match rx.recv_timeout(left) {
            Ok(l) => l,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = p.child.wait().unwrap();
                std::thread::sleep(Duration::from_millis(200));
                return Started::Exited(status, p.stderr_text());
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("biac did not serve within 60 s: {}", p.stderr_text())
            }
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() == Some(&"feed") {
            if let Some(i) = words.iter().position(|w| *w == "on") {
                p.feeds.push((
                    words[1].to_string(),
                    words[i + 1].parse().expect("feed addr"),
                ));
            }
        }
        let url = line
            .strip_prefix("biac: serving http://")
            .or_else(|| line.strip_prefix("biac: serving https://"));
        if let Some(url) = url {
            p.http = url.trim_end_matches('/').parse().expect("http addr");
            // Keep draining standard output so the process never blocks on it.
            std::thread::spawn(move || while rx.recv().is_ok() {});
            return Started::Serving(p);
        }
        p.startup.push(line);
    }
}

/// Start `biac ARGS…`, which must come up.
pub fn start(args: &[&str]) -> Proc {
    match spawn(args) {
        Started::Serving(p) => p,
        Started::Exited(s, err) => panic!("biac exited ({s}) before serving: {err}"),
    }
}

/// Write a `biac serve` configuration into `dir`; its path.
pub fn write_config(dir: &Path, cfg: &serde_json::Value) -> String {
    let p = dir.join("config.json");
    std::fs::write(&p, serde_json::to_vec_pretty(cfg).unwrap()).unwrap();
    p.to_str().unwrap().to_string()
}

/// The startup lines `biac serve` prints per listener.
pub fn startup_text(p: &Proc) -> String {
    p.startup.join("\n")
}
