//! A throwaway PostgreSQL server with PostGIS for tests: `initdb` in a temporary
//! directory, the server on 127.0.0.1 on a free port with its unix socket in that
//! directory, stopped and removed on drop. The binaries come from `pg_config --bindir`
//! (or Debian's /usr/lib/postgresql/15/bin); `scripts/install-pg.sh` installs them, and
//! a test never skips when they are missing: it fails saying so.
//!
//! PostgreSQL refuses to run as root: under root (CI containers) the server runs as the
//! `postgres` account the Debian package creates, through `runuser`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running server; stopped (immediately: nothing in it is worth a clean shutdown) and
/// its directory removed when dropped.
pub struct PgServer {
    dir: tempfile::TempDir,
    bindir: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// The superuser the cluster is made with (and tests connect as).
pub const SUPERUSER: &str = "postgres";

impl PgServer {
    /// Start a server whose `template1` and `postgres` databases have PostGIS, so every
    /// database created later has it too. Panics, with the server's log, when it cannot.
    pub fn start() -> PgServer {
        let bindir = bindir();
        assert!(
            bindir.join("initdb").exists(),
            "no PostgreSQL at {} (run scripts/install-pg.sh)",
            bindir.display()
        );
        let dir = tempfile::Builder::new()
            .prefix("biac-pg")
            .tempdir()
            .expect("temp dir");
        let as_postgres = running_as_root();
        if as_postgres {
            chown_postgres(dir.path());
        }
        let mut server = PgServer {
            dir,
            bindir,
            port: 0,
            as_postgres,
        };
        let data = server.data_dir();
        server.run(
            "initdb",
            &[
                "-D",
                path_str(&data),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        // A port from the kernel, released just before the server binds it: another
        // process may take it between, so a failed start tries another (three times).
        let mut last = None;
        for _ in 0..3 {
            server.port = free_port();
            let log = server.dir.path().join("server.log");
            let out = output(&mut server.start_command());
            if out.status.success() {
                last = None;
                break;
            }
            last = Some(format!(
                "{}\n{}",
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            ));
        }
        if let Some(why) = last {
            panic!("PostgreSQL did not start: {why}");
        }
        for db in ["template1", "postgres"] {
            server.psql(db, "CREATE EXTENSION IF NOT EXISTS postgis");
        }
        server
    }

    /// SIGKILL the server: the postmaster and every backend, as a machine losing power
    /// would stop them (no shutdown checkpoint; the next start recovers from its log).
    pub fn kill(&self) {
        let pid_file = self.data_dir().join("postmaster.pid");
        let text = std::fs::read_to_string(&pid_file).expect("postmaster.pid");
        let pid: i32 = text
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .expect("a pid");
        let mut pids = vec![pid];
        for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            // "pid (comm) state ppid ...": the fields after the last ')'.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<i32>().ok());
            if ppid == Some(pid) {
                if let Ok(child) = e.file_name().to_string_lossy().parse() {
                    pids.push(child);
                }
            }
        }
        for p in pids {
            let _ = Command::new("kill").args(["-9", &p.to_string()]).status();
        }
        // Until the postmaster is gone.
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while proc_dir.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Start the server again after [`kill`](Self::kill), on the same port.
    pub fn restart(&self) {
        let out = output(&mut self.start_command());
        assert!(
            out.status.success(),
            "PostgreSQL did not restart: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `pg_ctl start` on this server's data directory, port and socket directory, waiting
    /// (up to 60 s) until it accepts connections; its log in `server.log`.
    fn start_command(&self) -> Command {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            path_str(self.dir.path())
        );
        let log = self.dir.path().join("server.log");
        let mut c = self.command("pg_ctl");
        c.args([
            "-D",
            path_str(&self.data_dir()),
            "-l",
            path_str(&log),
            "-w",
            "-t",
            "60",
            "-o",
            &opts,
            "start",
        ]);
        c
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory of the server's unix socket.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A libpq connection string for `dbname` over the unix socket.
    pub fn conninfo(&self, dbname: &str) -> String {
        format!(
            "host={} port={} user={SUPERUSER} dbname={dbname}",
            path_str(self.dir.path()),
            self.port
        )
    }

    /// A libpq connection string for `dbname` over TCP on 127.0.0.1.
    pub fn tcp_conninfo(&self, dbname: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user={SUPERUSER} dbname={dbname}",
            self.port
        )
    }

    /// Create a database (with PostGIS, from `template1`); its connection string.
    pub fn create_database(&self, name: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        self.conninfo(name)
    }

    /// Run one SQL command through `psql` as the superuser; its output (unaligned, no
    /// headers). Panics when it fails.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = self.run(
            "psql",
            &[
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                path_str(self.dir.path()),
                "-p",
                &self.port.to_string(),
                "-U",
                SUPERUSER,
                "-d",
                db,
                "-c",
                sql,
            ],
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bindir.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        let mut c = self.command(program);
        c.args(args);
        let out = output(&mut c);
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if self.port != 0 {
            let data = self.data_dir();
            let _ = self
                .command("pg_ctl")
                .args(["-D", path_str(&data), "-m", "immediate", "-w", "stop"])
                .output();
        }
        // The TempDir removes the directory.
    }
}

fn output(c: &mut Command) -> Output {
    c.output()
        .unwrap_or_else(|e| panic!("cannot run {c:?}: {e}"))
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// The PostgreSQL binaries: `pg_config --bindir`, else Debian's PostgreSQL 15.
fn bindir() -> PathBuf {
    Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|p| p.join("initdb").exists())
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"))
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn chown_postgres(dir: &Path) {
    let id = |flag: &str| -> u32 {
        let o = output(Command::new("id").args([flag, "postgres"]));
        String::from_utf8_lossy(&o.stdout)
            .trim()
            .parse()
            .expect("the postgres account (scripts/install-pg.sh creates it)")
    };
    std::os::unix::fs::chown(dir, Some(id("-u")), Some(id("-g"))).expect("chown temp dir");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_with_postgis_starts_and_is_gone_after_drop() {
        let server = PgServer::start();
        let dir = server.socket_dir().to_path_buf();
        server.create_database("t");
        let version = server.psql("t", "SELECT postgis_lib_version()");
        assert!(version.trim().starts_with('3'), "PostGIS {version}");
        let port = server.port();
        drop(server);
        assert!(!dir.exists(), "the directory is removed");
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "the server is stopped"
        );
    }
}
