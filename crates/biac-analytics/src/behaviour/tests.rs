//! Every rule at its thresholds: a case just inside and one just outside each.

use super::*;

const H: i64 = 3_600_000;
const MIN: i64 = 60_000;
const T0: i64 = 1_700_000_000_000;
/// Open sea in the North Pacific (shore and ports come from the closures below).
const LAT: f64 = 32.0;
const LON: f64 = 152.0;

fn fix(mmsi: u32, t_ms: i64, lat: f64, lon: f64, sog: f64) -> Fix {
    Fix {
        mmsi,
        t_ms,
        lat,
        lon,
        sog_kn: Some(sog),
    }
}

/// A point `d` metres from (LAT, LON) along `bearing`.
fn off(bearing: f64, d: f64) -> (f64, f64) {
    biac_geo::destination(LAT, LON, bearing, d)
}

/// Shore: a coast along the meridian 150 E (metres east of it, 1 degree = 100 km);
/// ports: one at (LAT, LON).
fn geo() -> impl Geography {
    FnGeography {
        shore: |_lat: f64, lon: f64| (lon - 150.0) * 100_000.0,
        port: |lat: f64, lon: f64| biac_geo::distance_m(LAT, LON, lat, lon),
    }
}

fn run_with(th: Thresholds, areas: Vec<Area>, fixes: &[Fix]) -> Vec<Event> {
    run_in(th, geo(), areas, fixes)
}

/// The offline engine's events on `fixes` (sorted by time first), closed and finished.
pub(super) fn run_in<G: Geography>(
    th: Thresholds,
    geo: G,
    areas: Vec<Area>,
    fixes: &[Fix],
) -> Vec<Event> {
    let mut fixes = fixes.to_vec();
    fixes.sort_by_key(|f| f.t_ms);
    let mut e = Engine::new(th, geo, areas);
    let mut out = Vec::new();
    for f in &fixes {
        for c in e.push(f) {
            if let Change::Closed(ev) = c {
                out.push(ev.clone());
            }
        }
    }
    out.extend(e.finish());
    out
}

fn run(fixes: &[Fix]) -> Vec<Event> {
    // Ports far away unless a test puts the encounter near (LAT, LON).
    run_with(Thresholds::default(), vec![], fixes)
}

fn of(events: &[Event], kind: EventKind) -> Vec<Event> {
    events.iter().filter(|e| e.kind == kind).cloned().collect()
}

/// Reports every `step` from `from` to `to` inclusive at one place.
fn still(mmsi: u32, from: i64, to: i64, step: i64, p: (f64, f64), sog: f64) -> Vec<Fix> {
    (0..)
        .map(|i| from + i * step)
        .take_while(|t| *t <= to)
        .map(|t| fix(mmsi, t, p.0, p.1, sog))
        .collect()
}

// ---- gap -------------------------------------------------------------------------

fn gap_case(silence_ms: i64, lon: f64) -> Vec<Event> {
    let mut f = still(1, T0, T0 + H, 10 * MIN, (LAT, lon), 10.0);
    f.extend(still(
        1,
        T0 + H + silence_ms,
        T0 + 2 * H + silence_ms,
        10 * MIN,
        (LAT, lon),
        10.0,
    ));
    of(&run(&f), EventKind::Gap)
}

#[test]
fn gap_of_twelve_hours_is_an_event_and_eleven_point_nine_nine_is_not() {
    let g = gap_case(12 * H, 153.0);
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!((g[0].start_ms, g[0].end_ms), (T0 + H, T0 + 13 * H));
    assert!(!g[0].open);
    assert!(gap_case(12 * H - 36_000, 153.0).is_empty());
}

#[test]
fn gap_needs_both_ends_fifty_nm_from_shore() {
    // 50 nm = 92.6 km: 0.93 degrees east of the coast is outside, 0.92 inside.
    assert_eq!(gap_case(12 * H, 150.93).len(), 1);
    assert!(gap_case(12 * H, 150.92).is_empty());
}

// ---- encounter -------------------------------------------------------------------

/// Two vessels still at `sep` metres apart, 30 km from the port, for `dur`.
fn encounter_case(sep: f64, dur: i64, sog: f64, port_m: f64) -> Vec<Event> {
    let a = biac_geo::destination(LAT, LON, 0.0, port_m);
    let b = biac_geo::destination(a.0, a.1, 90.0, sep);
    let mut f = still(10, T0, T0 + dur, 10 * MIN, a, sog);
    f.extend(still(20, T0, T0 + dur, 10 * MIN, b, sog));
    // Both go on far apart afterwards, so the encounter closes.
    let c = biac_geo::destination(a.0, a.1, 180.0, 20_000.0);
    f.push(fix(10, T0 + dur + 10 * MIN, c.0, c.1, sog));
    f.push(fix(20, T0 + dur + 10 * MIN, b.0, b.1, sog));
    of(&run(&f), EventKind::Encounter)
}

#[test]
fn encounter_at_five_hundred_metres_for_two_hours() {
    let e = encounter_case(500.0, 2 * H, 0.5, 30_000.0);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].mmsi, vec![10, 20]);
    assert_eq!(e[0].start_ms, T0);
    // They part between the last two reports: the end is where the interpolated
    // distance crosses 500 m, just after the last report together.
    assert!(
        e[0].end_ms >= T0 + 2 * H && e[0].end_ms < T0 + 2 * H + MIN,
        "{e:?}"
    );
    assert!(!e[0].open);
    assert!(encounter_case(501.0, 2 * H, 0.5, 30_000.0).is_empty());
}

#[test]
fn encounter_needs_two_hours() {
    // Parting starts right after the last report together: one minute short of 2 h
    // leaves the crossing still before 2 h.
    assert_eq!(encounter_case(400.0, 2 * H, 1.0, 30_000.0).len(), 1);
    assert!(encounter_case(400.0, 2 * H - 10 * MIN, 1.0, 30_000.0).is_empty());
}

#[test]
fn encounter_needs_median_speed_below_two_knots() {
    assert_eq!(encounter_case(400.0, 3 * H, 1.99, 30_000.0).len(), 1);
    assert!(encounter_case(400.0, 3 * H, 2.0, 30_000.0).is_empty());
}

#[test]
fn encounter_needs_ten_km_from_a_port() {
    assert_eq!(encounter_case(100.0, 3 * H, 0.5, 10_300.0).len(), 1);
    assert!(encounter_case(100.0, 3 * H, 0.5, 9_700.0).is_empty());
}

#[test]
fn encounter_start_is_the_interpolated_crossing() {
    // B sits still; A comes in from 2 km west at 1 m/s, reporting every 10 minutes, and
    // stops 100 m west of B. A crosses 500 m from B at 1,500 s.
    let b = off(0.0, 50_000.0);
    let mut f = still(2, T0, T0 + 5 * H, 10 * MIN, b, 0.0);
    for i in 0..=30 {
        let t = i * 10 * MIN;
        let d = (2_000.0 - t as f64 / 1000.0).max(100.0);
        let p = biac_geo::destination(b.0, b.1, 270.0, d);
        f.push(fix(1, T0 + t, p.0, p.1, 1.9));
    }
    let e = run(&f);
    let enc = of(&e, EventKind::Encounter);
    assert_eq!(enc.len(), 1, "{e:?}");
    assert!(
        (enc[0].start_ms - (T0 + 1_500_000)).abs() < 2_000,
        "{enc:?}"
    );
    // Still together at the end of the input: open, ending at the last joint report.
    assert!(enc[0].open);
    assert_eq!(enc[0].end_ms, T0 + 5 * H);
}

// ---- loitering -------------------------------------------------------------------

#[test]
fn loitering_for_four_hours_with_an_hour_of_silence_inside() {
    let p = off(0.0, 50_000.0);
    let mut f = still(3, T0, T0 + H, 10 * MIN, p, 1.0);
    f.extend(still(3, T0 + 2 * H, T0 + 4 * H, 10 * MIN, p, 1.0));
    f.push(fix(3, T0 + 4 * H + 10 * MIN, p.0, p.1, 8.0));
    let l = of(&run(&f), EventKind::Loitering);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!((l[0].start_ms, l[0].end_ms), (T0, T0 + 4 * H));
    assert!(!l[0].open);

    // A silence of an hour and a second splits the run into two short ones.
    let mut f = still(3, T0, T0 + H, 10 * MIN, p, 1.0);
    f.extend(still(3, T0 + 2 * H + 1_000, T0 + 4 * H, 10 * MIN, p, 1.0));
    assert!(of(&run(&f), EventKind::Loitering).is_empty());
    // Just short of four hours.
    let f = still(3, T0, T0 + 4 * H - MIN, MIN, p, 1.0);
    assert!(of(&run(&f), EventKind::Loitering).is_empty());
}

#[test]
fn loitering_needs_speed_below_two_knots_and_twenty_nm_from_shore() {
    let p = off(0.0, 50_000.0);
    assert!(of(
        &run(&still(3, T0, T0 + 5 * H, 10 * MIN, p, 2.0)),
        EventKind::Loitering
    )
    .is_empty());
    let l = of(
        &run(&still(3, T0, T0 + 5 * H, 10 * MIN, p, 1.99)),
        EventKind::Loitering,
    );
    assert_eq!(l.len(), 1);
    // Still reporting at the end of the input: open.
    assert!(l[0].open);
    // 20 nm = 37.04 km from the coast at 150 E.
    let near = |lon: f64| {
        of(
            &run(&still(3, T0, T0 + 5 * H, 10 * MIN, (LAT, lon), 1.0)),
            EventKind::Loitering,
        )
    };
    assert_eq!(near(150.371).len(), 1);
    assert!(near(150.370).is_empty());
}

#[test]
fn loitering_whose_vessel_fell_silent_before_the_end_is_closed() {
    let p = off(0.0, 50_000.0);
    let mut f = still(3, T0, T0 + 5 * H, 10 * MIN, p, 1.0);
    // Another vessel keeps the input going for two more hours.
    f.extend(still(
        4,
        T0,
        T0 + 7 * H,
        10 * MIN,
        off(90.0, 300_000.0),
        12.0,
    ));
    let l = of(&run(&f), EventKind::Loitering);
    assert_eq!(l.len(), 1);
    assert!(!l[0].open);
}

// ---- spoofing --------------------------------------------------------------------

/// Reports every 10 min along a line; `jumps` are (report index, metres) displacements.
fn spoof_case(jumps: &[(i64, f64)], n: i64) -> Vec<Event> {
    let mut f = Vec::new();
    let mut d = 0.0;
    for i in 0..n {
        if let Some((_, j)) = jumps.iter().find(|(k, _)| *k == i) {
            d += j;
        }
        let p = off(90.0, 100_000.0 + d);
        f.push(fix(5, T0 + i * 10 * MIN, p.0, p.1, 0.0));
    }
    of(&run(&f), EventKind::Spoofing)
}

#[test]
fn spoofing_is_more_than_twenty_five_knots_beyond_a_kilometre() {
    // 10 minutes at 25 kn = 7,716.7 m, plus 1 km of noise.
    let limit = 25.0 * biac_geo::KNOT * 600.0 + 1_000.0;
    assert!(spoof_case(&[(5, limit - 0.5)], 20).is_empty());
    let s = spoof_case(&[(5, limit + 5.0)], 20);
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!((s[0].start_ms, s[0].end_ms), (T0 + 50 * MIN, T0 + 50 * MIN));
    assert!(
        !s[0].open,
        "closed by the hour of consistent reports after it"
    );
}

#[test]
fn a_new_spoofing_episode_only_after_an_hour_of_consistent_reports() {
    // Jump at report 5 (50 min): the consistent report at 110 min completes the hour,
    // so a jump at 120 min is a new episode; one at 110 min is the same episode.
    let s = spoof_case(&[(5, 50_000.0), (12, 50_000.0)], 30);
    assert_eq!(s.len(), 2, "{s:?}");
    assert_eq!((s[0].start_ms, s[0].end_ms), (T0 + 50 * MIN, T0 + 50 * MIN));
    let s = spoof_case(&[(5, 50_000.0), (11, 50_000.0)], 30);
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(
        (s[0].start_ms, s[0].end_ms),
        (T0 + 50 * MIN, T0 + 110 * MIN)
    );
    // The last jump 50 minutes before the end: the episode is still open.
    let s = spoof_case(&[(25, 50_000.0)], 30);
    assert_eq!(s.len(), 1);
    assert!(s[0].open);
}

#[test]
fn two_places_at_once_is_spoofing() {
    let (a, b) = (off(0.0, 100_000.0), off(0.0, 300_000.0));
    let f = vec![
        fix(6, T0, a.0, a.1, 0.0),
        fix(6, T0 + 10 * MIN, a.0, a.1, 0.0),
        fix(6, T0 + 10 * MIN, b.0, b.1, 0.0),
    ];
    let s = of(&run(&f), EventKind::Spoofing);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].start_ms, T0 + 10 * MIN);
}

// ---- zone entry ------------------------------------------------------------------

fn zones() -> Vec<Area> {
    parse_zones_geojson(
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"name":"ring"},"geometry":{"type":"Polygon","coordinates":[
          [[151,31],[153,31],[153,33],[151,33],[151,31]],
          [[151.5,31.5],[152.5,31.5],[152.5,32.5],[151.5,32.5],[151.5,31.5]]]}},
        {"type":"Feature","properties":{"name":"two"},"geometry":{"type":"MultiPolygon","coordinates":[
          [[[140,20],[141,20],[141,21],[140,21],[140,20]]],
          [[[142,20],[143,20],[143,21],[142,21],[142,20]]]]}}]}"#,
    )
    .unwrap()
    .areas
}

fn zone_run(track: &[(f64, f64)]) -> Vec<Event> {
    let f: Vec<Fix> = track
        .iter()
        .enumerate()
        .map(|(i, (lat, lon))| fix(7, T0 + i as i64 * 10 * MIN, *lat, *lon, 5.0))
        .collect();
    of(
        &run_with(Thresholds::default(), zones(), &f),
        EventKind::ZoneEntry,
    )
}

#[test]
fn zone_entry_first_fix_inside_after_outside_to_last_inside() {
    let z = zone_run(&[(30.5, 152.0), (31.2, 152.0), (31.3, 152.0), (30.5, 152.0)]);
    assert_eq!(z.len(), 1, "{z:?}");
    assert_eq!(z[0].zone.as_deref(), Some("ring"));
    assert_eq!((z[0].start_ms, z[0].end_ms), (T0 + 10 * MIN, T0 + 20 * MIN));
    assert!(!z[0].open);
}

#[test]
fn first_seen_inside_is_no_entry_and_each_reentry_is_one() {
    assert!(zone_run(&[(31.2, 152.0), (31.3, 152.0), (30.5, 152.0)]).is_empty());
    let z = zone_run(&[(30.5, 152.0), (31.2, 152.0), (30.5, 152.0), (31.2, 152.0)]);
    assert_eq!(z.len(), 2, "{z:?}");
    assert!(!z[0].open);
    assert!(z[1].open, "still inside at the end of the input");
}

#[test]
fn a_hole_is_outside_and_multipolygons_count() {
    // Outside, then into the hole: not inside; then into the ring: an entry.
    assert!(zone_run(&[(30.5, 152.0), (32.0, 152.0)]).is_empty());
    let z = zone_run(&[(32.0, 152.0), (31.2, 152.0)]);
    assert_eq!(z.len(), 1, "from the hole into the ring is an entry");
    let z = zone_run(&[(20.5, 141.5), (20.5, 142.5), (20.5, 141.5), (20.5, 140.5)]);
    assert_eq!(z.len(), 2, "{z:?}");
    assert!(z.iter().all(|e| e.zone.as_deref() == Some("two")));
}

#[test]
fn zones_geojson_errors_name_the_feature() {
    let e = parse_zones_geojson(
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Circle","coordinates":[1,2]}}]}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&e, ZonesError::Geometry { feature, .. } if feature == "x"),
        "{e}"
    );
    assert!(e.to_string().contains("\"x\""), "{e}");
    let e = parse_zones_geojson(
        r#"{"type":"Feature","properties":{"name":"y"},"geometry":{"type":"Polygon","coordinates":[[[1,2],[3]]]}}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("\"y\""), "{e}");
    assert!(parse_zones_geojson("[").is_err());
}

/// Points and lines beside the areas (labels, routes) are skipped and named, and the
/// areas still count.
#[test]
fn zones_geojson_skips_features_that_are_not_areas() {
    let z = parse_zones_geojson(
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"name":"label"},"geometry":{"type":"Point","coordinates":[1,2]}},
        {"type":"Feature","properties":{"name":"box"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
        {"type":"Feature","properties":{"name":"route"},"geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}}]}"#,
    )
    .unwrap();
    assert_eq!(z.areas.len(), 1);
    let skipped: Vec<(&str, &str)> = z
        .skipped
        .iter()
        .map(|s| (s.name.as_str(), s.geometry.as_str()))
        .collect();
    assert_eq!(skipped, [("label", "Point"), ("route", "LineString")]);
}

// ---- the rest --------------------------------------------------------------------

#[test]
fn json_has_the_contract_keys() {
    let e = Event {
        kind: EventKind::Encounter,
        mmsi: vec![1, 2],
        start_ms: T0,
        end_ms: T0 + 1_500,
        lat: 1.0,
        lon: 2.0,
        zone: None,
        open: false,
        extra: vec![],
    };
    let j = e.to_json();
    assert_eq!(j["type"], "encounter");
    assert_eq!(j["mmsi"], serde_json::json!([1, 2]));
    assert_eq!(j["start"], serde_json::json!(1_700_000_000));
    assert_eq!(j["end"], serde_json::json!(1_700_000_001.5));
    assert_eq!(j["open"], false);
}

#[test]
fn ports_list_is_embedded_and_measured_geodesically() {
    let p = PortList::theatre();
    assert!(p.len() > 100, "{}", p.len());
    let q = PortList::from_points(vec![("x".into(), 30.0, 140.0)]);
    let d = q.distance_m(30.1, 140.0);
    assert!((d - biac_geo::distance_m(30.0, 140.0, 30.1, 140.0)).abs() < 1e-6);
}

#[test]
fn reports_older_than_the_last_are_dropped() {
    let mut e = Engine::new(Thresholds::default(), open_sea(), vec![]);
    e.push(&fix(1, T0, LAT, LON, 0.0));
    e.push(&fix(1, T0 - 1, LAT, LON, 0.0));
    assert_eq!(e.out_of_order(), 1);
}

#[test]
fn banded_point_in_polygon_agrees_with_the_plain_crossing_test() {
    // A star with many vertices: every latitude band holds a few edges.
    let ring: Vec<[f64; 2]> = (0..400)
        .map(|i| {
            let a = i as f64 / 400.0 * std::f64::consts::TAU;
            let r = if i % 2 == 0 {
                1.0
            } else {
                0.4 + 0.5 * ((i * 7 % 13) as f64 / 13.0)
            };
            [150.0 + r * a.cos(), 30.0 + r * a.sin()]
        })
        .collect();
    let hole: Vec<[f64; 2]> = vec![[149.9, 29.9], [150.1, 29.9], [150.1, 30.1], [149.9, 30.1]];
    let area = Area::new("star".into(), vec![vec![ring.clone(), hole.clone()]]);
    let mut x: u64 = 88172645463325252;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let lon = 148.8 + 2.4 * ((x & 0xffff) as f64 / 65535.0);
        let lat = 28.8 + 2.4 * (((x >> 16) & 0xffff) as f64 / 65535.0);
        let plain = ring_contains(&ring, lon, lat) != ring_contains(&hole, lon, lat);
        assert_eq!(area.contains(lat, lon), plain, "{lat} {lon}");
    }
}

#[test]
fn every_area_answers_alike_throughout_a_settled_lattice_cell() {
    use super::area::Lattice;
    // Areas with different boxes (so their grids' cells do not line up), a hole, a
    // multipolygon, and a many-vertex star.
    let star: Vec<[f64; 2]> = (0..400)
        .map(|i| {
            let a = i as f64 / 400.0 * std::f64::consts::TAU;
            let r = if i % 2 == 0 { 1.0 } else { 0.45 };
            [151.03 + r * a.cos(), 31.97 + r * a.sin()]
        })
        .collect();
    let mut areas = zones();
    areas.push(Area::new("star".into(), vec![vec![star]]));
    let slanted = vec![[145.0, 25.0], [146.3, 25.4], [145.2, 26.1]];
    areas.push(Area::new("slanted".into(), vec![vec![slanted]]));
    let lattice = Lattice::build(&areas);
    let mut seen: std::collections::HashMap<u32, Vec<bool>> = Default::default();
    let (mut settled, mut x) = (0, 88172645463325252u64);
    for _ in 0..200_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let lon = 139.0 + 16.0 * ((x & 0xffffff) as f64 / 16777215.0);
        let lat = 19.0 + 16.0 * (((x >> 24) & 0xffffff) as f64 / 16777215.0);
        let Some(cell) = lattice.settled_cell(lat, lon) else {
            continue;
        };
        settled += 1;
        let answers: Vec<bool> = areas.iter().map(|a| a.contains(lat, lon)).collect();
        let first = seen.entry(cell).or_insert_with(|| answers.clone());
        assert_eq!(*first, answers, "cell {cell} at {lat} {lon}");
    }
    // Most of the sea is settled; some cells hold answers of both kinds.
    // Most of the sea is settled (cells and, near edges, sub-cells).
    assert!(settled > 190_000, "{settled}");
    assert!(seen.values().any(|a| a.iter().any(|&b| b)));
    // Densely around a corner of the slanted triangle, where cells are split: every
    // sub-cell holds many samples, and each answers alike throughout.
    let (mut sub, mut tested) = (0, 0);
    for _ in 0..200_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let lon = 144.9 + 0.5 * ((x & 0xffffff) as f64 / 16777215.0);
        let lat = 24.9 + 0.5 * (((x >> 24) & 0xffffff) as f64 / 16777215.0);
        let Some(cell) = lattice.settled_cell(lat, lon) else {
            tested += 1;
            continue;
        };
        sub += usize::from(cell % 64 != 0);
        let answers: Vec<bool> = areas.iter().map(|a| a.contains(lat, lon)).collect();
        let first = seen.entry(cell).or_insert_with(|| answers.clone());
        assert_eq!(*first, answers, "cell {cell} at {lat} {lon}");
    }
    assert!(
        sub > 100_000 && tested > 1_000,
        "{sub} in sub-cells, {tested} tested"
    );
}
