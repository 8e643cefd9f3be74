//! `biac events`: every rule just inside and just outside its thresholds, on AIS NMEA
//! generated here (tag-block receive times, positions quantised as AIS sends them);
//! zones with holes and multipolygons; multi-fragment messages and malformed lines; and
//! the same events as the independent Python reference on a generated day.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use biac_formats::ais::{
    encode_position_report, encode_static_voyage, to_sentences, PositionReport, StaticVoyage,
};
use serde_json::Value;

const T0: i64 = 1_767_225_600;
const H: i64 = 3_600;
/// Open sea east of Japan: no land (and no port) within hundreds of km.
const LAT: f64 = 32.0;
const LON: f64 = 152.0;

fn biac() -> Command {
    Command::new(env!("CARGO_BIN_EXE_biac"))
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// AIS lines with receive times, sorted by time when written.
#[derive(Default)]
struct Nmea {
    lines: Vec<(i64, String)>,
    seq: u8,
}

impl Nmea {
    fn fix(&mut self, mmsi: u32, t: i64, (lat, lon): (f64, f64), sog: f64) -> &mut Self {
        let (payload, fill) = encode_position_report(&PositionReport {
            msg_type: 1,
            mmsi,
            nav_status: 0,
            sog_knots: Some(sog),
            position_accuracy: true,
            lat_deg: lat,
            lon_deg: lon,
            cog_deg: Some(0.0),
            heading_deg: None,
            second: (t % 60) as u8,
        });
        for s in to_sentences(&payload, fill, 'A', 0, Some(("test", t))) {
            self.lines.push((t, s));
        }
        self
    }

    /// Reports every `step` s from `from` to `to` inclusive at one place.
    fn still(
        &mut self,
        mmsi: u32,
        from: i64,
        to: i64,
        step: i64,
        p: (f64, f64),
        sog: f64,
    ) -> &mut Self {
        let mut t = from;
        while t <= to {
            self.fix(mmsi, t, p, sog);
            t += step;
        }
        self
    }

    fn static_voyage(&mut self, mmsi: u32, t: i64) -> &mut Self {
        let (payload, fill) = encode_static_voyage(&StaticVoyage {
            mmsi,
            imo: 9_000_001,
            callsign: "ABCD".into(),
            shipname: "TEST SHIP".into(),
            shiptype: 70,
            to_bow: 100,
            to_stern: 20,
            to_port: 10,
            to_starboard: 10,
            destination: "NOWHERE".into(),
            draught_dm: 60,
        });
        self.seq = (self.seq + 1) % 10;
        let s = to_sentences(&payload, fill, 'B', self.seq, Some(("test", t)));
        assert_eq!(s.len(), 2, "type 5 takes two fragments");
        for line in s {
            self.lines.push((t, line));
        }
        self
    }

    fn raw(&mut self, t: i64, line: &str) -> &mut Self {
        self.lines.push((t, line.to_string()));
        self
    }

    fn write(&mut self, path: &Path) {
        self.lines.sort_by_key(|(t, _)| *t);
        let mut f = std::fs::File::create(path).unwrap();
        for (_, l) in &self.lines {
            writeln!(f, "{l}").unwrap();
        }
    }
}

fn events_of(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "biac events failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn run(n: &mut Nmea, args: &[&str]) -> (Vec<Value>, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.nmea");
    n.write(&file);
    let out = biac().arg("events").arg(&file).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (events_of(&out), stderr)
}

fn of<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

fn mmsis(e: &Value) -> Vec<u64> {
    e["mmsi"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_u64().unwrap())
        .collect()
}

/// A point `d` m from (lat, lon) along `bearing`.
fn at(p: (f64, f64), bearing: f64, d: f64) -> (f64, f64) {
    biac_geo::destination(p.0, p.1, bearing, d)
}

/// Latitude on AIS's grid (1/10,000 minute).
fn q(x: f64) -> f64 {
    (x * 600_000.0).round() / 600_000.0
}

/// Two points on one meridian, on AIS's grid, the largest separation <= `max_m` (or
/// the smallest >= `min_m`): the distance the decoder will see.
fn pair_at(
    lat: f64,
    lon: f64,
    max_m: Option<f64>,
    min_m: Option<f64>,
) -> ((f64, f64), (f64, f64), f64) {
    let (lat, lon) = (q(lat), q(lon));
    let mut k = 0i64;
    loop {
        let lat2 = lat + k as f64 / 600_000.0;
        let d = biac_geo::distance_m(lat, lon, lat2, lon);
        match (max_m, min_m) {
            (Some(m), _) if d > m => {
                let lat2 = lat + (k - 1) as f64 / 600_000.0;
                return (
                    (lat, lon),
                    (lat2, lon),
                    biac_geo::distance_m(lat, lon, lat2, lon),
                );
            }
            (_, Some(m)) if d >= m => return ((lat, lon), (lat2, lon), d),
            _ => k += 1,
        }
    }
}

#[test]
fn gap_at_twelve_hours_not_at_eleven_point_nine_nine() {
    let mut n = Nmea::default();
    let (a, b) = ((LAT, LON), (LAT, LON + 1.0));
    n.still(1, T0, T0 + H, 600, a, 10.0)
        .still(1, T0 + 13 * H, T0 + 14 * H, 600, a, 10.0)
        // 11.99 h = 43,164 s.
        .still(2, T0, T0 + H, 600, b, 10.0)
        .still(2, T0 + H + 43_164, T0 + 14 * H, 600, b, 10.0);
    let (ev, _) = run(&mut n, &[]);
    let g = of(&ev, "gap");
    assert_eq!(g.len(), 1, "{ev:?}");
    assert_eq!(mmsis(g[0]), vec![1]);
    assert_eq!(g[0]["start"], T0 + H);
    assert_eq!(g[0]["end"], T0 + 13 * H);
    assert_eq!(g[0]["open"], false);
    assert!((g[0]["lat"].as_f64().unwrap() - LAT).abs() < 1e-5);
    // The threshold is a flag.
    let (ev, _) = run(&mut n, &["--gap-min-h", "11.99"]);
    assert_eq!(of(&ev, "gap").len(), 2, "{ev:?}");
}

/// Two vessels still `a`/`b` from `T0` to `until`, then apart; both report every 60 s.
fn encounter(n: &mut Nmea, m: (u32, u32), a: (f64, f64), b: (f64, f64), until: i64, sog: f64) {
    // The higher MMSI first: the output lists them ascending anyway.
    n.still(m.1, T0, until, 60, b, sog)
        .still(m.0, T0, until, 60, a, sog);
    n.fix(m.0, until + 60, at(a, 180.0, 20_000.0), sog)
        .fix(m.1, until + 60, b, sog);
    // Both go on reporting so nothing is open at the end.
    n.fix(m.0, until + 2 * H, at(a, 180.0, 20_000.0), sog)
        .fix(m.1, until + 2 * H, b, sog);
}

#[test]
fn encounter_at_500_m_not_501_and_ascending_mmsis() {
    let mut n = Nmea::default();
    let (a1, b1, d1) = pair_at(LAT, LON, Some(500.0), None);
    let (a2, b2, d2) = pair_at(LAT, LON + 1.0, None, Some(501.0));
    assert!(
        (499.5..=500.0).contains(&d1) && (501.0..501.5).contains(&d2),
        "{d1} {d2}"
    );
    encounter(&mut n, (11, 12), a1, b1, T0 + 2 * H, 0.5);
    encounter(&mut n, (13, 14), a2, b2, T0 + 2 * H, 0.5);
    let (ev, _) = run(&mut n, &[]);
    let e = of(&ev, "encounter");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert_eq!(mmsis(e[0]), vec![11, 12]);
    assert_eq!(e[0]["start"], T0);
    let end = e[0]["end"].as_f64().unwrap();
    // They part right after the last report together (20 km in the next minute).
    assert!(
        end >= (T0 + 2 * H) as f64 && end < (T0 + 2 * H + 60) as f64,
        "{end}"
    );
    assert_eq!(e[0]["open"], false);
    // The distance is a flag.
    let (ev, _) = run(&mut n, &["--encounter-max-m", "501.5"]);
    assert_eq!(of(&ev, "encounter").len(), 2, "{ev:?}");
}

#[test]
fn encounter_needs_two_hours_and_median_below_two_knots() {
    let mut n = Nmea::default();
    let a = (LAT, LON);
    // Together 2 h (the parting crossing comes after), and 2 h minus 2 min.
    encounter(&mut n, (21, 22), a, at(a, 90.0, 300.0), T0 + 2 * H, 1.9);
    let c = (LAT, LON + 1.0);
    encounter(
        &mut n,
        (23, 24),
        c,
        at(c, 90.0, 300.0),
        T0 + 2 * H - 120,
        1.0,
    );
    // Long enough but at 2.0 kn.
    let d = (LAT, LON + 2.0);
    encounter(&mut n, (25, 26), d, at(d, 90.0, 300.0), T0 + 3 * H, 2.0);
    let (ev, _) = run(&mut n, &[]);
    let e = of(&ev, "encounter");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert_eq!(mmsis(e[0]), vec![21, 22]);
    let (ev, _) = run(
        &mut n,
        &["--encounter-max-kn", "2.05", "--encounter-min-h", "1.9"],
    );
    assert_eq!(of(&ev, "encounter").len(), 3, "{ev:?}");
}

#[test]
fn encounter_ten_km_from_a_port_of_the_embedded_list() {
    // Muara (Brunei), 5.033321 N 115.073288 E in the embedded list: a meeting 10.3 km
    // out to sea is an encounter, one 9.7 km out is not.
    let port = (5.033321, 115.073288);
    let mut n = Nmea::default();
    let far = at(port, 0.0, 10_300.0);
    let near = at(port, 0.0, 9_700.0);
    // The pair's mean position is 100 m east of `a`.
    encounter(
        &mut n,
        (31, 32),
        at(far, 270.0, 100.0),
        at(far, 90.0, 100.0),
        T0 + 3 * H,
        0.5,
    );
    encounter(
        &mut n,
        (33, 34),
        at(near, 270.0, 100.0),
        at(near, 90.0, 100.0),
        T0 + 3 * H,
        0.5,
    );
    let (ev, _) = run(&mut n, &[]);
    let e = of(&ev, "encounter");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert_eq!(mmsis(e[0]), vec![31, 32]);
    let (ev, _) = run(&mut n, &["--encounter-port-km", "9"]);
    assert_eq!(of(&ev, "encounter").len(), 2, "{ev:?}");
}

#[test]
fn loitering_four_hours_with_an_hour_of_silence_inside() {
    let mut n = Nmea::default();
    let a = (LAT, LON);
    n.still(41, T0, T0 + H, 600, a, 1.0)
        .still(41, T0 + 2 * H, T0 + 4 * H, 600, a, 1.0)
        .fix(41, T0 + 4 * H + 600, a, 8.0);
    let b = (LAT, LON + 1.0);
    // An hour and a second of silence splits the run.
    n.still(42, T0, T0 + H, 600, b, 1.0)
        .still(42, T0 + 2 * H + 1, T0 + 5 * H, 600, b, 1.0)
        .fix(42, T0 + 5 * H + 600, b, 8.0);
    let c = (LAT, LON + 2.0);
    // 3 h 59 min, then 1.9 kn is slow but 2.0 is not.
    n.still(43, T0, T0 + 4 * H - 60, 60, c, 1.9)
        .fix(43, T0 + 4 * H, c, 2.0)
        .fix(43, T0 + 5 * H, c, 9.0);
    let (ev, _) = run(&mut n, &[]);
    let l = of(&ev, "loitering");
    assert_eq!(l.len(), 1, "{ev:?}");
    assert_eq!(mmsis(l[0]), vec![41]);
    assert_eq!(
        (l[0]["start"].as_i64(), l[0]["end"].as_i64()),
        (Some(T0), Some(T0 + 4 * H))
    );
    // 43 qualifies once 2.0 kn counts as slow; 42's runs stay short of four hours.
    let (ev, _) = run(&mut n, &["--loiter-max-kn", "2.05"]);
    let l = of(&ev, "loitering");
    assert_eq!(
        l.iter().map(|e| mmsis(e)[0]).collect::<Vec<_>>(),
        vec![41, 43],
        "{ev:?}"
    );
}

#[test]
fn spoofing_beyond_25_kn_plus_a_km_and_episodes() {
    let mut n = Nmea::default();
    // 600 s at 25 kn is 7,716.7 m; plus 1 km of noise. Jumps on one meridian, on AIS's grid.
    let limit = 25.0 * 1852.0 / 3600.0 * 600.0 + 1_000.0;
    let (_, inside, _) = pair_at(LAT, LON, Some(limit - 2.0), None);
    let (_, outside, _) = pair_at(LAT, LON + 1.0, None, Some(limit + 2.0));
    let a = (q(LAT), q(LON));
    let b = (q(LAT), q(LON + 1.0));
    n.still(51, T0, T0 + H, 600, a, 0.0)
        .still(51, T0 + H + 600, T0 + 3 * H, 600, inside, 0.0)
        .still(52, T0, T0 + H, 600, b, 0.0)
        .still(52, T0 + H + 600, T0 + 3 * H, 600, outside, 0.0);
    // Jumps 60 min apart with consistent reports between: the consistent report 60 min
    // after the first jump ends its episode; the jump after that is a second one.
    let c = (LAT, LON + 2.0);
    let far = at(c, 0.0, 50_000.0);
    n.still(53, T0, T0 + H, 600, c, 0.0)
        .still(53, T0 + H + 600, T0 + 2 * H + 600, 600, far, 0.0)
        .still(53, T0 + 2 * H + 1200, T0 + 3 * H, 600, c, 0.0);
    let (ev, _) = run(&mut n, &[]);
    let s = of(&ev, "spoofing");
    let by = |m: u64| s.iter().filter(|e| mmsis(e) == vec![m]).collect::<Vec<_>>();
    assert!(by(51).is_empty(), "{s:?}");
    assert_eq!(by(52).len(), 1, "{s:?}");
    assert_eq!(by(52)[0]["start"], T0 + H + 600);
    assert_eq!(by(52)[0]["end"], T0 + H + 600);
    let e53 = by(53);
    assert_eq!(e53.len(), 2, "{s:?}");
    assert_eq!(
        (e53[0]["start"].as_i64(), e53[0]["end"].as_i64()),
        (Some(T0 + H + 600), Some(T0 + H + 600))
    );
    assert_eq!(e53[1]["start"], T0 + 2 * H + 1200);
    // The last episode had under an hour of consistent reports after it: open.
    assert_eq!(e53[1]["open"], true);
}

const ZONES: &str = r#"{"type":"FeatureCollection","features":[
  {"type":"Feature","properties":{"name":"Ring"},"geometry":{"type":"Polygon","coordinates":[
    [[151,31],[153,31],[153,33],[151,33],[151,31]],
    [[151.5,31.5],[152.5,31.5],[152.5,32.5],[151.5,32.5],[151.5,31.5]]]}},
  {"type":"Feature","properties":{"name":"Pair"},"geometry":{"type":"MultiPolygon","coordinates":[
    [[[140,20],[141,20],[141,21],[140,21],[140,20]]],
    [[[142,20],[143,20],[143,21],[142,21],[142,20]]]]}}]}"#;

#[test]
fn zone_entry_with_holes_multipolygons_and_open_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path().join("zones.geojson");
    // With a byte-order mark, and a point feature (a label) that is not an area.
    let label = r#"{"type":"Feature","properties":{"name":"Label"},"geometry":{"type":"Point","coordinates":[152,31]}},"#;
    let text = ZONES.replacen(r#""features":["#, &format!(r#""features":[{label}"#), 1);
    std::fs::write(&zones, format!("\u{feff}{text}")).unwrap();
    let mut n = Nmea::default();
    let track = |n: &mut Nmea, m: u32, pts: &[(f64, f64)]| {
        for (i, p) in pts.iter().enumerate() {
            n.fix(m, T0 + i as i64 * 600, *p, 5.0);
        }
    };
    // Outside, in, in, out, in (still inside at the end: open).
    track(
        &mut n,
        61,
        &[
            (30.5, 152.0),
            (31.2, 152.0),
            (31.3, 152.0),
            (30.5, 152.0),
            (31.2, 152.0),
        ],
    );
    // First seen inside: no entry; into the hole and back into the ring: an entry.
    track(
        &mut n,
        62,
        &[(31.2, 152.0), (32.0, 152.0), (31.2, 152.0), (30.0, 152.0)],
    );
    // From one polygon of the multipolygon to the other across open water: two entries.
    track(
        &mut n,
        63,
        &[
            (20.5, 139.5),
            (20.5, 140.5),
            (20.5, 141.5),
            (20.5, 142.5),
            (20.5, 143.5),
        ],
    );
    let (ev, stderr) = run(&mut n, &["--zones", zones.to_str().unwrap()]);
    assert!(
        stderr.contains(r#"feature "Label" skipped: Point is not an area"#),
        "{stderr}"
    );
    let z = of(&ev, "zone_entry");
    let by = |m: u64| z.iter().filter(|e| mmsis(e) == vec![m]).collect::<Vec<_>>();
    let e61 = by(61);
    assert_eq!(e61.len(), 2, "{z:?}");
    assert_eq!(
        (e61[0]["start"].as_i64(), e61[0]["end"].as_i64()),
        (Some(T0 + 600), Some(T0 + 1200))
    );
    assert_eq!(e61[0]["zone"], "Ring");
    assert_eq!(e61[0]["open"], false);
    assert_eq!(e61[1]["open"], true);
    assert_eq!(e61[1]["start"], T0 + 2400);
    let e62 = by(62);
    assert_eq!(e62.len(), 1, "{z:?}");
    assert_eq!(e62[0]["start"], T0 + 1200);
    let e63 = by(63);
    assert_eq!(e63.len(), 2, "{z:?}");
    assert!(e63.iter().all(|e| e["zone"] == "Pair"));
    // Closed events come out when they end, open ones at the end of the input.
    let last = ev.last().unwrap();
    assert_eq!(last["open"], true);
}

#[test]
fn multi_fragment_messages_and_malformed_lines_with_their_numbers() {
    let mut n = Nmea::default();
    let a = (LAT, LON);
    n.static_voyage(71, T0)
        .still(71, T0 + 1, T0 + H, 600, a, 10.0)
        .still(71, T0 + 13 * H, T0 + 14 * H, 600, a, 10.0)
        .raw(
            T0 + 5,
            "\\c:1767225605*00\\!AIVDM,1,1,,A,13aEOK?P00PD2wVMdLDRhgvL289?,0*26",
        )
        .raw(T0 + 6, "!AIVDM,1,1,,A,13aEOK?P00PD2wVMdLDRhgvL289?,0*26")
        .raw(T0 + 7, "garbage \u{1}\u{2} line")
        .raw(T0 + 8, "\\c:1767225608*0F\\!AIVDM,2,2,3,A,0000,2*26");
    let (ev, stderr) = run(&mut n, &[]);
    assert_eq!(
        of(&ev, "gap").len(),
        1,
        "good lines around bad ones still count: {ev:?}"
    );
    // Lines 1-2 are the type 5 fragments, 3 the first report; the four bad lines follow.
    for l in 4..=7 {
        assert!(
            stderr.contains(&format!("in.nmea: line {l}:")),
            "line {l} not reported: {stderr}"
        );
    }
    assert!(stderr.contains("4 malformed lines"), "{stderr}");
    assert!(
        !stderr.contains("line 1:") && !stderr.contains("line 2:"),
        "{stderr}"
    );
    // A report older than its MMSI's last is not used, and said with its line.
    let mut n = Nmea::default();
    n.fix(72, T0 + 600, (LAT, LON), 10.0);
    let mut late = Nmea::default();
    late.fix(72, T0, (LAT, LON), 10.0);
    n.lines
        .extend(late.lines.drain(..).map(|(_, l)| (T0 + 601, l)));
    let (_, stderr) = run(&mut n, &[]);
    assert!(stderr.contains("in.nmea: line 2: out of order"), "{stderr}");
    assert!(stderr.contains("1 out of order"), "{stderr}");
}

#[test]
fn reads_standard_input_and_refuses_bad_thresholds() {
    let mut n = Nmea::default();
    n.still(81, T0, T0 + H, 600, (LAT, LON), 10.0).still(
        81,
        T0 + 13 * H,
        T0 + 14 * H,
        600,
        (LAT, LON),
        10.0,
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.nmea");
    n.write(&file);
    let out = biac()
        .args(["events", "-"])
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    assert_eq!(of(&events_of(&out), "gap").len(), 1);
    // A negative value is a value (refused by the rule's check), spelled either way.
    for args in [&["--spoof-kn=-1"][..], &["--gap-min-h", "-1"]] {
        let out = biac().args(["events", "-"]).args(args).output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(args[0].trim_end_matches("=-1")), "{err}");
        assert!(!err.contains("unexpected argument"), "{err}");
    }
}

/// A reader of a live pipe sees each event when it ends, not at the end of the input.
#[test]
fn events_on_standard_input_are_written_as_they_end() {
    use std::io::BufRead;
    let mut n = Nmea::default();
    n.fix(91, T0, (LAT, LON), 10.0)
        .fix(91, T0 + 13 * H, (LAT, LON), 10.0);
    n.lines.sort_by_key(|(t, _)| *t);
    let mut child = biac()
        .args(["events", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for (_, l) in &n.lines {
        writeln!(stdin, "{l}").unwrap();
    }
    stdin.flush().unwrap();
    // stdin stays open: the gap closed at its second report must arrive now.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let got = rx.recv_timeout(std::time::Duration::from_secs(30));
    drop(stdin);
    let _ = child.wait();
    let line = got.expect("no event while the input was still open");
    let e: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(e["type"], "gap");
    assert_eq!(e["end"], T0 + 13 * H);
}

/// Tag blocks as receivers and providers write them: their own fields (ORBCOMM's `q:` and
/// `T:`), an empty field, a long source; a byte-order mark before the first line.
#[test]
fn tag_blocks_with_fields_of_their_own_and_a_byte_order_mark() {
    fn tagged(body: &str, sentence: &str) -> String {
        let cs = body.bytes().fold(0u8, |a, b| a ^ b);
        format!("\\{body}*{cs:02X}\\{sentence}")
    }
    let mut lines = Vec::new();
    for t in [T0, T0 + 13 * H] {
        let (payload, fill) = encode_position_report(&PositionReport {
            msg_type: 1,
            mmsi: 92,
            nav_status: 0,
            sog_knots: Some(10.0),
            position_accuracy: true,
            lat_deg: LAT,
            lon_deg: LON,
            cog_deg: Some(0.0),
            heading_deg: None,
            second: 0,
        });
        let sentence = to_sentences(&payload, fill, 'A', 0, None).remove(0);
        lines.push(tagged(
            &format!("s:rORBCOMM000,q:u,c:{t},T:2026-01-01 00.00.00,"),
            &sentence,
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.nmea");
    let mut text = "\u{feff}".to_string();
    text.push_str(&lines.join("\r\n"));
    std::fs::write(&file, text).unwrap();
    let out = biac().arg("events").arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ev = events_of(&out);
    assert_eq!(of(&ev, "gap").len(), 1, "{ev:?} {stderr}");
    assert!(stderr.contains("0 malformed lines"), "{stderr}");
}

/// Shore distance holds outside the theatre: a vessel slow for five hours in the Norwegian
/// Sea loiters, one as slow a few miles off Long Island does not.
#[test]
fn loitering_and_gaps_outside_the_theatre_use_the_world_coast() {
    let mut n = Nmea::default();
    let far = (66.0, 0.0);
    let near = (40.55, -73.5);
    n.still(93, T0, T0 + 5 * H, 600, far, 0.3)
        .fix(93, T0 + 5 * H + 600, far, 9.0)
        .fix(93, T0 + 20 * H, far, 9.0);
    n.still(94, T0, T0 + 5 * H, 600, near, 0.3)
        .fix(94, T0 + 5 * H + 600, near, 9.0)
        .fix(94, T0 + 20 * H, near, 9.0);
    let (ev, _) = run(&mut n, &[]);
    let who = |kind| {
        of(&ev, kind)
            .iter()
            .map(|e| mmsis(e)[0])
            .collect::<Vec<_>>()
    };
    assert_eq!(who("loitering"), vec![93], "{ev:?}");
    assert_eq!(who("gap"), vec![93], "{ev:?}");
}

/// Two vessels 85 m apart either side of the antimeridian meet as any others do.
#[test]
fn an_encounter_across_the_antimeridian() {
    let mut n = Nmea::default();
    let (a, b) = ((30.0, 179.9995), (30.0, -179.9995));
    encounter(&mut n, (95, 96), a, b, T0 + 4 * H, 0.5);
    let (ev, _) = run(&mut n, &[]);
    let e = of(&ev, "encounter");
    assert_eq!(e.len(), 1, "{ev:?}");
    assert_eq!(mmsis(e[0]), vec![95, 96]);
    assert_eq!(e[0]["start"], T0);
}

/// A vessel silent 13 h beside another that keeps reporting: the encounter ends at its
/// last report before the silence, and the one after starts no earlier than its first
/// report after it, whatever the partner's report rate.
#[test]
fn an_encounter_is_not_resumed_inside_a_silence() {
    for step in [60, 600, 1800] {
        let mut n = Nmea::default();
        let (a, b) = ((LAT, LON), at((LAT, LON), 90.0, 190.0));
        n.still(97, T0, T0 + 3 * H, 600, a, 0.5)
            .still(97, T0 + 16 * H, T0 + 20 * H, 600, a, 0.5)
            .still(98, T0, T0 + 20 * H, step, b, 0.5);
        let (ev, _) = run(&mut n, &[]);
        let mut e = of(&ev, "encounter");
        e.sort_by_key(|e| e["start"].as_i64());
        assert_eq!(e.len(), 2, "step {step}: {ev:?}");
        assert_eq!(e[0]["end"], T0 + 3 * H, "step {step}");
        assert!(
            e[1]["start"].as_i64() >= Some(T0 + 16 * H),
            "step {step}: {e:?}"
        );
    }
}

/// The peers' Python with pyais and geographiclib, or a failed test naming the installer.
fn peers_python() -> PathBuf {
    let venv = std::env::var_os("BIAC_PEERS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv-peers"));
    let py = venv.join("bin/python");
    let ok = Command::new(&py)
        .args(["-c", "import pyais, geographiclib"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "{} lacks pyais or geographiclib: run scripts/install-peers.sh",
        py.display()
    );
    py
}

#[test]
fn same_events_as_the_python_reference_on_a_generated_day() {
    let py = peers_python();
    let root = repo_root();
    let dir = tempfile::tempdir().unwrap();
    let (nmea, zones) = (
        dir.path().join("day.nmea"),
        dir.path().join("zones.geojson"),
    );
    let gen = Command::new("python3")
        .arg(root.join("bench/events_gen.py"))
        .args([
            "--vessels",
            "40",
            "--hours",
            "24",
            "--interval",
            "120",
            "--seed",
            "7",
        ])
        .arg("--zones-out")
        .arg(&zones)
        .stdout(std::fs::File::create(&nmea).unwrap())
        .status()
        .unwrap();
    assert!(gen.success());
    let ours = biac()
        .arg("events")
        .arg(&nmea)
        .arg("--zones")
        .arg(&zones)
        .output()
        .unwrap();
    let ev = events_of(&ours);
    let kinds: std::collections::BTreeSet<&str> =
        ev.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        vec!["encounter", "gap", "loitering", "spoofing", "zone_entry"],
        "the generated day scripts every behaviour: {ev:?}"
    );
    let ours_file = dir.path().join("biac.jsonl");
    std::fs::write(&ours_file, &ours.stdout).unwrap();
    let theirs = Command::new(&py)
        .arg(root.join("bench/events_ref.py"))
        .arg(&nmea)
        .arg("--zones")
        .arg(&zones)
        .arg("--ports")
        .arg(root.join("crates/biac-analytics/data/ports.csv"))
        .output()
        .unwrap();
    assert!(
        theirs.status.success(),
        "{}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    let theirs_file = dir.path().join("ref.jsonl");
    std::fs::write(&theirs_file, &theirs.stdout).unwrap();
    let cmp = Command::new("python3")
        .arg(root.join("bench/events_compare.py"))
        .arg(&ours_file)
        .arg(&theirs_file)
        .output()
        .unwrap();
    assert!(
        cmp.status.success(),
        "{}",
        String::from_utf8_lossy(&cmp.stdout)
    );
}
