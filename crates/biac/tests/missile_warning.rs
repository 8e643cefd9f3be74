//! End to end against the real binary: `biac sim-missile --scenario mrbm` plots fed live
//! over a `plots3d` feed released to USA, JPN and KOR; the JPN audience gets a
//! `missile-warning` open alert for Japan's EEZ before the impact, AUS gets none (and no
//! missile). Also measures the processing latency from the plot that made the warning
//! certain to the alert (the server's own log timestamp of the alert).
//!
//! The plots are re-dated so that the flight ends about now and sent at 20× their own
//! pace; the alert's latency is the log time of the alert minus the time the test sent the
//! plot whose time the alert carries (it includes the release rule's hold until the next
//! plot time, 10 ms at this pace).

mod common;

use biac_testkit::now_ms;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{get_json, Biac};

const PACE: f64 = 20.0;

/// Unix ms of an RFC 3339 UTC time `YYYY-MM-DDTHH:MM:SS[.fff…]Z`.
fn rfc3339_ms(s: &str) -> i64 {
    let b = s.as_bytes();
    let n = |i: usize, k: usize| -> i64 { s[i..i + k].parse().unwrap() };
    let (y, mo, d) = (n(0, 4), n(5, 2), n(8, 2));
    let (h, mi, se) = (n(11, 2), n(14, 2), n(17, 2));
    let mut frac_ms = 0.0;
    if b.get(19) == Some(&b'.') {
        let end = s[20..].find(|c: char| !c.is_ascii_digit()).unwrap() + 20;
        frac_ms = format!("0.{}", &s[20..end]).parse::<f64>().unwrap() * 1000.0;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y2, m2) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 86_400 + h * 3600 + mi * 60 + se) as f64 * 1000.0 + frac_ms).round() as i64
}

fn config(dir: &Path) -> std::path::PathBuf {
    let cfg = serde_json::json!({
        "feeds": [{
            "name": "md-radars",
            "format": "plots3d",
            "nation": "USA",
            "default_label": {"classification": "SECRET", "owner": ["USA"], "rel_to": ["USA", "JPN", "KOR"]},
            "description": "Missile-defence radar plots",
            "listen": "127.0.0.1:0"
        }],
        "audiences": [
            {"nation": "JPN", "clearance": "SECRET"},
            {"nation": "AUS", "clearance": "SECRET"}
        ],
        "tokens": {
            "tok-jpn": {"nation": "JPN", "clearance": "SECRET", "roles": ["analyst"]},
            "tok-aus": {"nation": "AUS", "clearance": "SECRET", "roles": ["analyst"]}
        },
        "reorder_window_ms": 0,
        "warning": {"protect": ["JPN", "KOR"], "raise": 0.9, "withdraw": 0.1}
    });
    let p = dir.join("serve.json");
    std::fs::write(&p, serde_json::to_vec_pretty(&cfg).unwrap()).unwrap();
    p
}

/// `biac serve` with its log (stderr) in `log`.
fn serve(dir: &Path, log: &Path) -> Biac {
    let data = dir.join("data");
    let cfg = config(dir);
    let child = Command::new(common::bin())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
            "--fsync",
            "off",
        ])
        .env("RUST_LOG", "info,biac_runtime::ingest=warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("spawn biac serve");
    Biac::from_child(child, true, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("biac serve: {e}"))
}

struct Scenario {
    /// (t_s, the rest of the row) in file order.
    plots: Vec<(f64, String)>,
    impact_t_s: f64,
    impact: (f64, f64),
}

fn sim(dir: &Path) -> Scenario {
    let plots = dir.join("plots.csv");
    let truth = dir.join("truth.csv");
    let out = Command::new(common::bin())
        .args(["sim-missile", "--scenario", "mrbm", "--seed", "3"])
        .arg(&plots)
        .arg(&truth)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&plots).unwrap();
    let rows = text
        .lines()
        .skip(1)
        .map(|l| {
            let (t, rest) = l.split_once(',').unwrap();
            (t.parse::<f64>().unwrap(), rest.to_string())
        })
        .collect();
    let truth = std::fs::read_to_string(&truth).unwrap();
    let mut lines = truth.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let last: Vec<&str> = lines.last().unwrap().split(',').collect();
    let f = |n: &str| last[col(n)].parse::<f64>().unwrap();
    Scenario {
        plots: rows,
        impact_t_s: f("impact_t_s"),
        impact: (f("impact_lat"), f("impact_lon")),
    }
}

#[test]
fn japan_is_warned_of_an_mrbm_into_its_eez_before_impact_and_australia_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let s = sim(dir.path());
    let log = dir.path().join("serve.log");
    let b = serve(dir.path(), &log);
    let feed = b
        .feeds
        .iter()
        .find(|(n, _)| n == "md-radars")
        .expect("the plots3d feed's listener")
        .1;
    // Re-dated so that the last plot is stamped 1 s before it is sent (every plot is in
    // the past when sent: the server refuses records stamped ahead of its clock).
    let (first_t, last_t) = (s.plots[0].0, s.plots.last().unwrap().0);
    let t0_ms =
        now_ms() + ((last_t - first_t) / PACE * 1000.0) as i64 - 1_000 - (last_t * 1000.0) as i64;
    let unix = |t_s: f64| t0_ms + (t_s * 1000.0).round() as i64;
    let impact_ms = unix(s.impact_t_s);
    let mut conn = TcpStream::connect(feed).unwrap();
    conn.set_nodelay(true).unwrap();
    let start = Instant::now();
    // Send time (Unix ms) of each plot time.
    let mut sent: BTreeMap<i64, i64> = BTreeMap::new();
    for (t, rest) in &s.plots {
        let due = Duration::from_secs_f64((t - first_t) / PACE);
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        let ms = unix(*t);
        writeln!(conn, "{ms},{rest}").unwrap();
        sent.entry(ms).or_insert_with(now_ms);
    }
    conn.flush().unwrap();
    drop(conn);

    // The JPN audience's alerts: one open missile-warning episode for Japan's EEZ.
    let deadline = Instant::now() + Duration::from_secs(30);
    let open = loop {
        let a = get_json(b.http, "/api/v1/alerts", "tok-jpn");
        let found = a["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|al| al["kind"] == "missile-warning" && al["state"] == "open");
        if let Some(f) = found {
            break f.clone();
        }
        assert!(Instant::now() < deadline, "no missile warning for JPN: {a}");
        std::thread::sleep(Duration::from_millis(300));
    };
    let zone = open["zone"].as_str().unwrap();
    assert!(zone.starts_with("Japan "), "{open}");
    let p = open["detail"]["probability"].as_f64().unwrap();
    assert!(p >= 0.9, "{open}");
    let at_ms = rfc3339_ms(open["time"].as_str().unwrap());
    assert!(
        at_ms < impact_ms,
        "warned at {at_ms}, impact at {impact_ms} ({} s late)",
        (at_ms - impact_ms) / 1000
    );
    let warn_s = (impact_ms - at_ms) as f64 / 1000.0;
    // The alert's impact point is the truth's within its ellipse's reach.
    let (ilat, ilon) = (
        open["detail"]["ipp_lat"].as_f64().unwrap(),
        open["detail"]["ipp_lon"].as_f64().unwrap(),
    );
    let miss = common::distance_m(ilat, ilon, s.impact.0, s.impact.1);
    let semi = open["detail"]["semi_major_m"].as_f64().unwrap();
    assert!(
        miss < 3.0 * semi + 5_000.0,
        "IPP {miss} m from the truth, ellipse {semi} m"
    );
    assert!(
        open["marking"].as_str().unwrap().starts_with("SECRET"),
        "{open}"
    );

    // AUS may not see the radars: no missile, no warning.
    let a = get_json(b.http, "/api/v1/alerts", "tok-aus");
    assert!(
        a["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|al| al["kind"] != "missile-warning"),
        "{a}"
    );
    let tracks = get_json(b.http, "/api/v1/tracks", "tok-aus");
    assert!(
        !tracks.to_string().contains("\"missile\""),
        "AUS sees a missile: {tracks}"
    );

    // Latency: the server's log line of the alert against the send time of its plot.
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("JPN-SECRET") && l.contains("kind=missile-warning"))
        .expect("the alert's log line");
    let stamp: String = line
        .split_whitespace()
        .next()
        .unwrap()
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| *c != '\u{1b}')
        .collect();
    let logged_ms = rfc3339_ms(&stamp);
    // The plot at the alert's time (the newest sent at or before it).
    let (_, &sent_ms) = sent
        .range(..=at_ms)
        .next_back()
        .expect("a plot before the alert");
    let latency = logged_ms - sent_ms;
    eprintln!(
        "missile warning: {zone}, p {p}, {warn_s:.1} s before impact; latency from the plot's send to the alert {latency} ms (plot {at_ms})"
    );
    assert!(
        (0..=1_000).contains(&latency),
        "latency {latency} ms: {line}"
    );
}
