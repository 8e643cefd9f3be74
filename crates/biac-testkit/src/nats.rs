//! A real NATS cluster with JetStream on 127.0.0.1 for the bus's tests: N `nats-server`
//! processes, each with its own config file and store directory in a temp dir, client and
//! monitor ports chosen by the servers (`-1`, read back from each node's log; a restart reuses
//! them), route ports found free just before the start (a start that finds one taken meanwhile
//! is made again on new ports), ready only when every
//! node's `/healthz` says JetStream is current (a metadata leader is elected). A node can be
//! SIGKILLed and restarted on the same ports with the same store; every node stops on drop.
//!
//! The binary: `$BIAC_NATS_SERVER`, else `nats-server` in the peers' venv
//! (`$BIAC_PEERS_VENV`, default `.venv-peers` at the repo root; `scripts/install-nats.sh`
//! installs it there). A missing binary is a panic naming the script, never a skipped test.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `nats-server` binary the tests run.
pub fn nats_server_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("BIAC_NATS_SERVER") {
        return PathBuf::from(p);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = std::env::var_os("BIAC_PEERS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv-peers"));
    let bin = venv.join("bin/nats-server");
    assert!(
        bin.is_file(),
        "no nats-server at {} (run scripts/install-nats.sh, or set BIAC_NATS_SERVER)",
        bin.display()
    );
    bin
}

/// One node's fixed facts once it has started the first time.
struct Node {
    name: String,
    dir: PathBuf,
    client_port: u16,
    cluster_port: u16,
    http_port: u16,
    child: Option<Child>,
}

/// `n` route ports for a cluster's nodes (none is used by one node alone). A JetStream cluster
/// needs its routes configured at start, so they are chosen first: bound to port 0 together
/// (so they differ), read, and released just before the servers bind them. Client and monitor
/// ports the servers choose (`-1`).
fn free_route_ports(n: usize) -> Vec<u16> {
    if n == 1 {
        return vec![0];
    }
    let ls: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port"))
        .collect();
    ls.iter()
        .map(|l| l.local_addr().expect("local addr").port())
        .collect()
}

/// A start that failed because a node could not bind its route port (its log).
struct PortTaken(String);

/// A running cluster; every node is killed when it drops.
pub struct NatsCluster {
    nodes: Vec<Node>,
    /// Text inserted into every node's config (accounts and users), or empty.
    auth: String,
    _tmp: TempDir,
}

/// How long a node may take to start and report healthy.
const START_SECS: u64 = 30;

impl NatsCluster {
    /// Starts `n` nodes (n ≥ 1) named `n0`, `n1`, … in cluster `biac`, each with JetStream
    /// on file storage, and waits until all are healthy. `auth` is config text inserted into
    /// every node (e.g. an `accounts { … }` block); empty for an open cluster. One node runs
    /// JetStream alone (no cluster block: a JetStream cluster needs routes to other nodes).
    pub fn start(n: usize, auth: &str) -> NatsCluster {
        assert!(n >= 1);
        // The route ports are found free and released before the servers bind them, so another
        // process may take one in between: the node then exits at once, and the whole cluster
        // is started again on new ports (the only failure retried).
        const ATTEMPTS: usize = 4;
        for attempt in 1..=ATTEMPTS {
            match Self::try_start(n, auth, free_route_ports(n)) {
                Ok(c) => return c,
                Err(PortTaken(log)) if attempt < ATTEMPTS => {
                    eprintln!("nats cluster start {attempt}: a route port was taken; again\n{log}")
                }
                Err(PortTaken(log)) => {
                    panic!("nats cluster: a route port taken {ATTEMPTS} times; log:\n{log}")
                }
            }
        }
        unreachable!()
    }

    fn try_start(n: usize, auth: &str, cluster_ports: Vec<u16>) -> Result<NatsCluster, PortTaken> {
        let tmp = TempDir::new("biac-nats");
        let mut c = NatsCluster {
            nodes: Vec::new(),
            auth: auth.to_string(),
            _tmp: tmp,
        };
        for (i, &cluster_port) in cluster_ports.iter().enumerate() {
            let dir = c._tmp.0.join(format!("n{i}"));
            std::fs::create_dir_all(&dir).expect("node dir");
            c.nodes.push(Node {
                name: format!("n{i}"),
                dir,
                client_port: 0,
                cluster_port,
                http_port: 0,
                child: None,
            });
        }
        for i in 0..n {
            c.spawn(i);
        }
        for i in 0..n {
            c.read_ports(i)?;
        }
        for i in 0..n {
            c.wait_healthy(i)?;
        }
        Ok(c)
    }

    /// Client URLs of every node (`nats://127.0.0.1:PORT`).
    pub fn urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.client_port))
            .collect()
    }

    /// Client URL of node `i`.
    pub fn url(&self, i: usize) -> String {
        format!("nats://127.0.0.1:{}", self.nodes[i].client_port)
    }

    /// Client port of node `i`.
    pub fn client_port(&self, i: usize) -> u16 {
        self.nodes[i].client_port
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// SIGKILLs node `i` (no shutdown, no flush) and reaps it.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            let _ = child.kill(); // SIGKILL on Unix
            let _ = child.wait();
        }
    }

    /// Restarts node `i` on its ports with its store, and waits until it is healthy.
    pub fn restart(&mut self, i: usize) {
        assert!(self.nodes[i].child.is_none(), "node {i} is running");
        self.spawn(i);
        let log = self.log_path(i);
        crate::wait_for(START_SECS, "the restarted node's listener", || {
            std::fs::read_to_string(&log)
                .is_ok_and(|t| t.contains("Listening for client connections on "))
        });
        if let Err(PortTaken(log)) = self.wait_healthy(i) {
            panic!("nats node {i} restarted on a port taken meanwhile; log:\n{log}");
        }
    }

    /// Whether node `i`'s `/healthz` answers 200 (JetStream current).
    pub fn healthy(&self, i: usize) -> bool {
        http_get_status(self.nodes[i].http_port, "/healthz") == Some(200)
    }

    fn config(&self, i: usize) -> String {
        let node = &self.nodes[i];
        let port = |p: u16| {
            if p == 0 {
                "-1".to_string()
            } else {
                p.to_string()
            }
        };
        let routes: Vec<String> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, m)| format!("    \"nats-route://127.0.0.1:{}\"", m.cluster_port))
            .collect();
        let store = node.dir.join("js");
        let cluster = if self.nodes.len() == 1 {
            String::new()
        } else {
            format!(
                "cluster {{\n  name: biac\n  listen: \"127.0.0.1:{}\"\n  routes: [\n{}\n  ]\n}}\n",
                port(node.cluster_port),
                routes.join(",\n")
            )
        };
        format!(
            "server_name: {name}\n\
             listen: \"127.0.0.1:{client}\"\n\
             http: \"127.0.0.1:{http}\"\n\
             log_file: \"{log}\"\n\
             jetstream {{\n  store_dir: \"{store}\"\n}}\n\
             {cluster}\
             {auth}\n",
            name = node.name,
            client = port(node.client_port),
            http = port(node.http_port),
            log = self.log_path(i).display(),
            store = store.display(),
            auth = self.auth,
        )
    }

    fn log_path(&self, i: usize) -> PathBuf {
        self.nodes[i].dir.join("nats.log")
    }

    fn spawn(&mut self, i: usize) {
        let conf = self.nodes[i].dir.join("nats.conf");
        std::fs::write(&conf, self.config(i)).expect("write nats config");
        // A fresh log per start, so the port lines read are this start's.
        let _ = std::fs::remove_file(self.log_path(i));
        let child = Command::new(nats_server_bin())
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        self.nodes[i].child = Some(child);
    }

    /// Reads the ports the server chose from its log's listener lines.
    fn read_ports(&mut self, i: usize) -> Result<(), PortTaken> {
        let log = self.log_path(i);
        let end = Instant::now() + Duration::from_secs(START_SECS);
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let client = port_after(&text, "Listening for client connections on ");
            let http = port_after(&text, "Starting http monitor on ");
            if let (Some(c), Some(h)) = (client, http) {
                let node = &mut self.nodes[i];
                node.client_port = c;
                node.http_port = h;
                return Ok(());
            }
            self.port_taken()?;
            self.assert_running(i, &text);
            assert!(
                Instant::now() < end,
                "nats node {i} did not report its ports within {START_SECS} s; log:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A node that has exited because a port it was given was taken (any node: the others
    /// wait for it).
    fn port_taken(&mut self) -> Result<(), PortTaken> {
        for i in 0..self.nodes.len() {
            let child = self.nodes[i].child.as_mut();
            if child.is_some_and(|c| matches!(c.try_wait(), Ok(Some(_)))) {
                let log = std::fs::read_to_string(self.log_path(i)).unwrap_or_default();
                if log.contains("address already in use") {
                    return Err(PortTaken(log));
                }
            }
        }
        Ok(())
    }

    /// Panics with its log when node `i` has exited (a fatal config error, a port taken).
    fn assert_running(&mut self, i: usize, log: &str) {
        if let Some(child) = self.nodes[i].child.as_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("nats node {i} exited ({status}); log:\n{log}");
            }
        }
    }

    fn wait_healthy(&mut self, i: usize) -> Result<(), PortTaken> {
        let end = Instant::now() + Duration::from_secs(START_SECS);
        while !self.healthy(i) {
            let log = std::fs::read_to_string(self.log_path(i)).unwrap_or_default();
            self.port_taken()?;
            self.assert_running(i, &log);
            assert!(
                Instant::now() < end,
                "nats node {i} not healthy within {START_SECS} s; log:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

/// The port in the first `…HOST:PORT` that follows `marker` in `text`.
fn port_after(text: &str, marker: &str) -> Option<u16> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let line = rest.lines().next()?;
    let addr = line.trim().trim_start_matches("http://");
    addr.rsplit(':').next()?.trim().parse().ok()
}

/// The status code of `GET path` on 127.0.0.1:`port`, or None when it does not answer.
fn http_get_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// A directory removed on drop (the kit has no dependencies; tempfile is for the tests).
struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> TempDir {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "{prefix}-{}-{}-{}",
            std::process::id(),
            crate::now_ms(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_after_reads_listener_lines() {
        let log = "[1] 2026/12/06 [INF] Listening for client connections on 127.0.0.1:41234\n\
                   [1] [INF] Starting http monitor on 127.0.0.1:8222\n";
        assert_eq!(
            port_after(log, "Listening for client connections on "),
            Some(41234)
        );
        assert_eq!(port_after(log, "Starting http monitor on "), Some(8222));
        assert_eq!(port_after(log, "Listening for route connections on "), None);
    }

    #[test]
    fn one_node_runs_jetstream_alone() {
        let c = NatsCluster::start(1, "");
        assert!(c.healthy(0));
        let log = std::fs::read_to_string(c.log_path(0)).unwrap();
        assert!(log.contains("Starting JetStream"), "{log}");
    }

    #[test]
    fn a_route_port_taken_before_the_start_is_reported_for_a_retry() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut ports = free_route_ports(2);
        ports[1] = taken.local_addr().unwrap().port();
        match NatsCluster::try_start(2, "", ports) {
            Err(PortTaken(log)) => assert!(log.contains("address already in use"), "{log}"),
            Ok(_) => panic!("a node started on a taken route port"),
        }
    }

    #[test]
    fn a_three_node_cluster_starts_survives_a_kill_and_restarts() {
        let mut c = NatsCluster::start(3, "");
        assert_eq!(c.urls().len(), 3);
        assert!((0..3).all(|i| c.healthy(i)));
        let port = c.client_port(1);
        c.kill(1);
        assert!(!c.healthy(1));
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
        c.restart(1);
        assert!(c.healthy(1));
        assert_eq!(c.client_port(1), port);
    }
}
