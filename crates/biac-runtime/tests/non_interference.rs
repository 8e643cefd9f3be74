//! Non-interference: changing, adding or deleting only inputs an audience may not see
//! must leave everything that audience receives byte-identical.
//!
//! Deterministic through journal replay (the runtime replays its journal at start):
//! journal A holds a simulated scenario's observations from all the demo feeds (the
//! missile-defence radars' plots of the demo's first launches included);
//! journal B is A with the inputs hidden from the target audiences perturbed (moved,
//! re-timed, deleted, and extra ones added — interleaved in time with the visible ones
//! and reusing the MMSIs of visible ships). Each journal ends with a sentinel
//! observation visible to everyone and a flush marker, so replay is complete when every
//! audience's picture reaches the sentinel's time. The targets' pictures (time,
//! generation, tracks with ids/timestamps/covariances, alerts) and their stored history
//! (snapshots, alerts), serialised with serde_json, must be equal byte for byte; JPN
//! (who sees everything) must differ, so the test can fail.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use biac_analytics::{Zone, ZoneRule};
use biac_formats::framing::Frame;
use biac_formats::FeedDecoder;
use biac_model::{
    allow, Classification, FeedConfig, Label, Nation, Observation, ObservationKind, Position,
    Subject,
};
use biac_runtime::{Audience, RuntimeConfig, RuntimeHandle};
use biac_sim::{demo_feeds, Scenario, SimConfig};
use biac_store::{Store, SyncPolicy};

/// Simulated duration of the scenario.
const SIM_MS: i64 = 180_000;
/// Journal batch = one simulated step.
const STEP_MS: i64 = 1_000;
/// Perturbed hidden inputs stay at or before `end + HIDDEN_TAIL_MS`.
const HIDDEN_TAIL_MS: i64 = 8_000;
/// The sentinel comes this long after the scenario's end.
const SENTINEL_AFTER_MS: i64 = 10_000;
const SEEDS: [u64; 6] = [1, 2, 3, 4, 5, 6];

// ---------------------------------------------------------------------------------------
// A tiny deterministic PRNG (splitmix64): no extra dev-dependency.

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------------
// Scenario -> journal

fn sim_config() -> SimConfig {
    SimConfig {
        merchants: 40,
        fishing: 30,
        naval: 8,
        airliners: 20,
        military_aircraft: 4,
        // The scripted gray-zone vessels (a spoofed MMSI within the first two minutes).
        scripted: true,
        ..SimConfig::default()
    }
}

/// The scenario's observations, one batch per step, decoded by the feeds' own decoders.
fn scenario_batches() -> (Vec<Vec<Observation>>, i64) {
    let cfg = sim_config();
    let start = cfg.start_ms;
    let mut sim = Scenario::new(cfg);
    let mut decoders: Vec<_> = demo_feeds()
        .into_iter()
        .map(|f| {
            let d = FeedDecoder::new(f);
            let fr = d.framer();
            (d, fr)
        })
        .collect();
    let mut batches = Vec::new();
    for _ in 0..SIM_MS / STEP_MS {
        let mut batch = Vec::new();
        for e in sim.step(STEP_MS) {
            let (dec, framer) = decoders
                .iter_mut()
                .find(|(d, _)| d.config().name == e.feed)
                .expect("demo feed");
            framer.push(&e.bytes);
            while let Some(frame) = framer.next_frame() {
                if let Frame::Record { offset, bytes } = frame {
                    if let Ok(obs) = dec.decode(&bytes, offset, e.time_ms) {
                        batch.extend(obs);
                    }
                }
            }
        }
        batches.push(batch);
    }
    (batches, start + SIM_MS)
}

/// An observation every audience may see, after everything else: replay is complete
/// when every audience's picture reaches its time.
fn sentinel(time_ms: i64) -> Observation {
    let ais = &demo_feeds()[0];
    Observation::new(
        time_ms,
        Position::new(20.0, 118.0),
        10.0,
        ais.name.clone(),
        ais.default_label.clone(),
    )
    .with_identity(biac_model::Identity {
        mmsi: Some(999_000_001),
        ..Default::default()
    })
    .with_domain(biac_model::Domain::Surface)
    .with_kind(ObservationKind::SelfReport)
    .with_sensor("sentinel")
}

fn write_journal(dir: &Path, batches: &[Vec<Observation>], end_ms: i64) {
    let mut store = Store::open(dir, SyncPolicy::Off).unwrap();
    for (i, b) in batches.iter().enumerate() {
        if !b.is_empty() {
            store.append(i as i64, b).unwrap();
        }
        // A few quiet-feed flush points, at the same places in every journal.
        if i % 50 == 49 {
            store.append_flush(i as i64).unwrap();
        }
    }
    let t = end_ms + SENTINEL_AFTER_MS;
    store.append(t, &[sentinel(t)]).unwrap();
    store.append_flush(t).unwrap();
}

/// Journal B: only observations no target may see are changed, deleted or added.
fn perturb(
    batches: &[Vec<Observation>],
    targets: &[Subject],
    end_ms: i64,
    seed: u64,
) -> (Vec<Vec<Observation>>, usize) {
    let mut rng = Rng(seed.wrapping_mul(0x1234_5678_9ABC_DEF1) ^ 0xA5A5);
    let hidden = |l: &Label| targets.iter().all(|s| !allow(s, l));
    let hidden_feeds: Vec<FeedConfig> = demo_feeds()
        .into_iter()
        .filter(|f| hidden(&f.default_label))
        .collect();
    assert!(!hidden_feeds.is_empty());
    let last = end_ms + HIDDEN_TAIL_MS;
    let mut changes = 0;
    let mut out = Vec::new();
    for batch in batches {
        let visible_mmsi: Vec<&Observation> = batch
            .iter()
            .filter(|o| !hidden(&o.label) && o.identity.mmsi.is_some())
            .collect();
        let mut b = Vec::new();
        for o in batch {
            if !hidden(&o.label) {
                b.push(o.clone());
                continue;
            }
            changes += 1;
            if rng.chance(0.2) {
                continue; // deleted
            }
            let mut o = o.clone();
            if rng.chance(0.6) {
                o.position.lat_deg += (rng.unit() - 0.5) * 0.1;
                o.position.lon_deg += (rng.unit() - 0.5) * 0.1;
                o.time_ms = (o.time_ms + rng.range(-3_000, 3_000)).min(last);
                o.pos_sigma_m *= 0.5 + rng.unit();
            } else {
                changes -= 1;
            }
            b.push(o);
        }
        // Extra hidden inputs: some on the identity of a visible ship, at times
        // interleaved with (and ahead of) the visible ones; some brand new tracks.
        for _ in 0..rng.range(0, 4) {
            let f = rng.pick(&hidden_feeds);
            let mut o = match visible_mmsi.is_empty() || rng.chance(0.3) {
                true => {
                    let mut o = sentinel(0);
                    o.identity = Default::default();
                    o.position = Position::new(24.0 + rng.unit() * 4.0, 122.0 + rng.unit() * 6.0);
                    o.time_ms = batch.first().map(|o| o.time_ms).unwrap_or(end_ms - SIM_MS);
                    o
                }
                false => (*rng.pick(&visible_mmsi)).clone(),
            };
            o.feed = f.name.clone();
            o.label = f.default_label.clone();
            o.kind = f.cot_kind;
            o.sensor = "injected".into();
            o.position.lat_deg += (rng.unit() - 0.5) * 0.02;
            o.position.lon_deg += (rng.unit() - 0.5) * 0.02;
            o.time_ms = (o.time_ms + rng.range(-2_000, 5_000)).min(last);
            let at = rng.range(0, b.len() as i64) as usize;
            b.insert(at, o);
            changes += 1;
        }
        out.push(b);
    }
    (out, changes)
}

// ---------------------------------------------------------------------------------------
// Runtime

fn audiences() -> Vec<Subject> {
    use Classification::*;
    use Nation::*;
    [
        (PHL, Unclassified),
        (PHL, Secret),
        (KOR, Secret),
        (AUS, Secret),
        (JPN, Secret),
        (USA, Secret),
    ]
    .map(|(nation, clearance)| Subject::new(nation, clearance))
    .to_vec()
}

fn config(dir: &Path) -> RuntimeConfig {
    config_w(dir, 2_000)
}

fn config_w(dir: &Path, reorder_window_ms: i64) -> RuntimeConfig {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut zone = Zone::circle(
        "miyako",
        Position::new(24.8, 125.3),
        60_000.0,
        "test",
        Label::unclassified_public(Nation::JPN),
    );
    zone.rule = ZoneRule::Any;
    RuntimeConfig {
        sync: SyncPolicy::Off,
        feeds: demo_feeds().into_iter().map(|f| (f, any)).collect(),
        audiences: audiences(),
        zones: vec![zone],
        reorder_window_ms,
        max_future_ms: i64::MAX / 4,
        behaviour: Some(behaviour()),
        ..RuntimeConfig::new(dir.to_path_buf())
    }
}

/// The demo's behaviour rules (time-compressed, so that they fire within the scenario),
/// built once for every replay (no zones: the ZoneWatch above has one).
fn behaviour() -> std::sync::Arc<biac_runtime::behaviour::Behaviour> {
    static B: std::sync::OnceLock<std::sync::Arc<biac_runtime::behaviour::Behaviour>> =
        std::sync::OnceLock::new();
    B.get_or_init(|| {
        let cfg = biac_runtime::behaviour::BehaviourConfig {
            zones: biac_runtime::behaviour::ZonesSource::None,
            ..biac_runtime::behaviour::BehaviourConfig::demo()
        };
        std::sync::Arc::new(
            biac_runtime::behaviour::Behaviour::build(&cfg, &Default::default(), &audiences())
                .unwrap(),
        )
    })
    .clone()
}

/// Everything one audience receives, serialised, component by component.
type View = Vec<(&'static str, String)>;

fn view(rt: &RuntimeHandle, dir: &Path, a: Audience) -> View {
    let p = rt.picture(&a).unwrap();
    let store = Store::open(dir, SyncPolicy::Off).unwrap();
    let history = store
        .query_history(&a.key(), i64::MIN, i64::MAX, None, 1_000_000)
        .unwrap();
    let alerts = store
        .query_alerts(&a.key(), i64::MIN, i64::MAX, 1_000_000)
        .unwrap();
    let j = |v: serde_json::Value| serde_json::to_string_pretty(&v).unwrap();
    vec![
        ("picture.time_ms", j(serde_json::json!(p.time_ms))),
        ("picture.generation", j(serde_json::json!(p.generation))),
        ("picture.tracks", j(serde_json::json!(plain(&p.tracks)))),
        ("picture.alerts", j(serde_json::json!(p.alerts))),
        (
            "history (snapshots)",
            j(serde_json::json!(history
                .iter()
                .map(|s| serde_json::json!({"time_ms": s.time_ms, "track": s.track}))
                .collect::<Vec<_>>())),
        ),
        ("history (alerts)", j(serde_json::json!(alerts))),
    ]
}

/// The differing components of two views, with where each first differs.
fn diff_views(a: &View, b: &View) -> Vec<String> {
    a.iter()
        .zip(b)
        .filter(|(x, y)| x.1 != y.1)
        .map(|(x, y)| format!("{}: {}", x.0, first_diff(&x.1, &y.1)))
        .collect()
}

/// Start a runtime on `dir`, wait until it has replayed its journal (every audience's
/// picture at the sentinel's time), return every audience's view.
async fn replay(dir: &Path, end_ms: i64, window_ms: i64) -> Vec<(Audience, View)> {
    let rt = biac_runtime::start(config_w(dir, window_ms)).await.unwrap();
    let t_end = end_ms + SENTINEL_AFTER_MS;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = rt
            .audiences
            .iter()
            .all(|a| rt.picture(a).unwrap().time_ms >= t_end);
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "replay did not finish: {:?}",
            rt.audiences
                .iter()
                .map(|a| (a.key(), rt.picture(a).unwrap().time_ms))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for a in &rt.audiences {
        rt.history_settled(a).await;
    }
    rt.audiences
        .iter()
        .map(|a| (*a, view(&rt, dir, *a)))
        .collect()
}

fn get(v: &[(Audience, View)], s: &Subject) -> View {
    v.iter()
        .find(|(a, _)| *a == Audience::of(s))
        .unwrap()
        .1
        .clone()
}

/// Where two serialised views first differ, with some context.
fn first_diff(a: &str, b: &str) -> String {
    let (al, bl): (Vec<_>, Vec<_>) = (a.lines().collect(), b.lines().collect());
    for i in 0..al.len().max(bl.len()) {
        if al.get(i) != bl.get(i) {
            let lo = i.saturating_sub(6);
            let ctx = |l: &[&str]| l[lo.min(l.len())..(i + 3).min(l.len())].join("\n");
            return format!(
                "line {i} ({} vs {} lines)\n--- A:\n{}\n--- B:\n{}",
                al.len(),
                bl.len(),
                ctx(&al),
                ctx(&bl)
            );
        }
    }
    "identical".into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_inputs_do_not_interfere_with_what_an_audience_receives() {
    hidden_inputs_do_not_interfere(2_000).await;
}

/// The same with no re-ordering window: reports bound by identity fused on arrival.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_inputs_do_not_interfere_without_a_reordering_window() {
    hidden_inputs_do_not_interfere(0).await;
}

async fn hidden_inputs_do_not_interfere(window_ms: i64) {
    let started = Instant::now();
    let (batches, end_ms) = scenario_batches();
    let total: usize = batches.iter().map(Vec::len).sum();
    assert!(total > 1_000, "scenario too small: {total}");

    let dir_a = tempfile::tempdir().unwrap();
    write_journal(dir_a.path(), &batches, end_ms);
    let view_a = replay(dir_a.path(), end_ms, window_ms).await;

    // Replay is deterministic: a second journal with the same records gives the same
    // views for everyone.
    let dir_a2 = tempfile::tempdir().unwrap();
    write_journal(dir_a2.path(), &batches, end_ms);
    let view_a2 = replay(dir_a2.path(), end_ms, window_ms).await;
    for ((a, x), (_, y)) in view_a.iter().zip(&view_a2) {
        assert!(
            x == y,
            "replay is not deterministic for {}: {:#?}",
            a.key(),
            diff_views(x, y)
        );
    }

    use Classification::*;
    use Nation::*;
    let s = |nation, clearance| Subject::new(nation, clearance);
    // The behaviour rules fire for the target audiences too (the scripted spoofed MMSI
    // is on the public shore AIS feed), so their alerts are part of what is compared.
    let phl_alerts = get(&view_a, &s(PHL, Secret));
    let stored = &phl_alerts
        .iter()
        .find(|c| c.0 == "history (alerts)")
        .unwrap()
        .1;
    assert!(
        stored.contains(r#""kind": "spoofing""#),
        "no behaviour alert for PHL: the comparison would not cover them"
    );
    let families: [Vec<Subject>; 2] = [
        vec![s(PHL, Unclassified), s(PHL, Secret), s(KOR, Secret)],
        vec![s(PHL, Unclassified), s(PHL, Secret)],
    ];
    let jpn = s(JPN, Secret);

    let mut failures = Vec::new();
    for (i, seed) in SEEDS.iter().enumerate() {
        let targets = &families[i % families.len()];
        let (b, changes) = perturb(&batches, targets, end_ms, *seed);
        assert!(changes > 100, "seed {seed}: too few changes ({changes})");
        let dir_b = tempfile::tempdir().unwrap();
        write_journal(dir_b.path(), &b, end_ms);
        let view_b = replay(dir_b.path(), end_ms, window_ms).await;

        // Control: an audience that sees the perturbed inputs does see a difference.
        assert_ne!(
            get(&view_a, &jpn),
            get(&view_b, &jpn),
            "seed {seed}: the perturbation changed nothing JPN can see: the test is vacuous"
        );
        for t in targets {
            let (x, y) = (get(&view_a, t), get(&view_b, t));
            if x != y {
                failures.push(format!(
                    "seed {seed}, audience {} ({changes} hidden inputs changed), differing: {}\n{}",
                    Audience::of(t).key(),
                    diff_views(&x, &y)
                        .iter()
                        .map(|d| d.split(':').next().unwrap().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    diff_views(&x, &y).join("\n")
                ));
            }
        }
    }
    eprintln!(
        "non-interference: {} seeds, {total} observations, {:?}",
        SEEDS.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "non-interference violated in {} case(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

// ---------------------------------------------------------------------------------------
// Ballistic tracks: the missile-defence radars' plots (SECRET//REL TO USA, JPN, KOR).

/// Whether `o` is a missile-defence radar plot (it carries an elevation).
fn is_3d_plot(o: &Observation) -> bool {
    o.polar.as_ref().is_some_and(|p| p.elevation.is_some())
}

/// The demo's missile plots (an SRBM from ~30 s, an MRBM from ~120 s) make ballistic
/// tracks for JPN; AUS and PHL, who may see none of the radars, receive exactly the same
/// whether the plots are fed, left out, or replaced by other plots of other missiles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_missile_plots_do_not_interfere() {
    let (batches, end_ms) = scenario_batches();
    let plots: usize = batches.iter().flatten().filter(|o| is_3d_plot(o)).count();
    assert!(plots > 200, "{plots} missile plots");
    use Classification::*;
    use Nation::*;
    let targets = [
        Subject::new(PHL, Unclassified),
        Subject::new(PHL, Secret),
        Subject::new(AUS, Secret),
    ];
    for o in batches.iter().flatten().filter(|o| is_3d_plot(o)) {
        assert!(targets.iter().all(|t| !allow(t, &o.label)), "{o:?}");
    }
    // B: no missile plots at all. C: each plot moved 30 km further out and 2 s later
    // (another missile on another path), and twice as many.
    let without: Vec<Vec<Observation>> = batches
        .iter()
        .map(|b| b.iter().filter(|o| !is_3d_plot(o)).cloned().collect())
        .collect();
    let other: Vec<Vec<Observation>> = batches
        .iter()
        .map(|b| {
            let mut out = Vec::new();
            for o in b {
                out.push(o.clone());
                if is_3d_plot(o) {
                    let mut x = o.clone();
                    let p = x.polar.as_mut().unwrap();
                    p.range_m += 30_000.0;
                    p.azimuth_rad += 0.01;
                    x.time_ms = (x.time_ms + 2_000).min(end_ms);
                    out.push(x);
                }
            }
            out
        })
        .collect();
    let mut views = Vec::new();
    for journal in [&batches, &without, &other] {
        let dir = tempfile::tempdir().unwrap();
        write_journal(dir.path(), journal, end_ms);
        views.push(replay(dir.path(), end_ms, 2_000).await);
    }
    let jpn = Subject::new(JPN, Secret);
    let with_missiles = get(&views[0], &jpn);
    let tracks = &with_missiles
        .iter()
        .find(|(k, _)| *k == "picture.tracks")
        .unwrap()
        .1;
    assert!(
        tracks.contains("\"missile\""),
        "JPN has no ballistic track: the test would not cover them"
    );
    assert_ne!(
        with_missiles,
        get(&views[1], &jpn),
        "control: JPN sees the plots"
    );
    assert_ne!(
        with_missiles,
        get(&views[2], &jpn),
        "control: JPN sees the plots"
    );
    for t in &targets {
        let x = get(&views[0], t);
        for (name, v) in [("without", &views[1]), ("with others", &views[2])] {
            let y = get(v, t);
            assert!(
                x == y,
                "{}: missile plots {name} changed what it receives: {:#?}",
                Audience::of(t).key(),
                diff_views(&x, &y)
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Minimal reproduction: one hidden record.

/// A hand-made observation on demo feed `feed` (an index into [`demo_feeds`]).
fn obs(feed: usize, time_ms: i64, lat: f64, lon: f64, mmsi: Option<u32>) -> Observation {
    let f = &demo_feeds()[feed];
    let mut o = sentinel(time_ms);
    o.position = Position::new(lat, lon);
    o.identity.mmsi = mmsi;
    o.feed = f.name.clone();
    o.label = f.default_label.clone();
    o.kind = f.cot_kind;
    o.sensor = "repro".into();
    o
}

/// Journal `records` (then a flush marker), replay, and wait until the fusion thread
/// has published its last input to every audience.
async fn replay_small(records: &[Observation]) -> Vec<(Audience, View)> {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(dir.path(), SyncPolicy::Off).unwrap();
        store.append(0, records).unwrap();
        store.append_flush(0).unwrap();
    }
    let newest = records.iter().map(|o| o.time_ms).max().unwrap();
    let rt = biac_runtime::start(config(dir.path())).await.unwrap();
    let jpn = Audience::of(&Subject::new(Nation::JPN, Classification::Secret));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // The final flush releases everything: each audience's picture reaches the
        // newest time among the records it may see (JPN sees every record).
        let g = rt.picture(&jpn).unwrap();
        let all = rt.audiences.iter().all(|a| {
            let mine = records
                .iter()
                .filter(|o| biac_model::allow(&a.subject(), &o.label))
                .map(|o| o.time_ms)
                .max();
            mine.is_none_or(|t| rt.picture(a).unwrap().time_ms == t)
        });
        if g.time_ms == newest && all {
            break;
        }
        assert!(Instant::now() < deadline, "replay did not finish");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for a in &rt.audiences {
        rt.history_settled(a).await;
    }
    rt.audiences
        .iter()
        .map(|a| (*a, view(&rt, dir.path(), *a)))
        .collect()
}

/// One SECRET//REL USA radar plot (never releasable to PHL) dated after PHL's newest
/// AIS report must not change PHL's picture (its time was once the plot's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hidden_record_does_not_change_a_phl_picture() {
    const T: i64 = 1_748_736_000_000;
    // Feed 0: jpn-ais-shore (UNCLASSIFIED, public); feed 4: jpn-p1-radar (SECRET//REL USA).
    let v1 = obs(0, T, 24.0, 125.0, Some(431_000_001));
    let v2 = obs(0, T + 5_000, 24.0, 125.0005, Some(431_000_001));
    let hidden = obs(4, T + 20_000, 26.0, 127.0, None);
    let phl = Subject::new(Nation::PHL, Classification::Secret);
    assert!(!allow(&phl, &hidden.label) && allow(&phl, &v1.label));

    let a = replay_small(&[v1.clone(), v2.clone()]).await;
    let b = replay_small(&[v1, v2, hidden]).await;
    let (x, y) = (get(&a, &phl), get(&b, &phl));
    let diffs = diff_views(&x, &y);
    assert!(
        diffs.is_empty(),
        "a SECRET//REL USA plot changed what PHL-SECRET receives:\n{}",
        x.iter()
            .zip(&y)
            .filter(|(p, q)| p.1 != q.1)
            .map(|(p, q)| format!(
                "== {}\n--- without it:\n{}\n--- with it:\n{}",
                p.0, p.1, q.1
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// The live path: HTTP-style ingest (`RuntimeHandle::ingest`), same wire bytes in the
// same order, plus hidden records in run B.

fn ais_wire(mmsi: u32, t: i64, lat: f64, lon: f64) -> Vec<u8> {
    use biac_formats::ais::{encode_position_report, to_sentences, PositionReport};
    let (p, f) = encode_position_report(&PositionReport {
        msg_type: 1,
        mmsi,
        nav_status: 0,
        sog_knots: Some(19.44),
        position_accuracy: true,
        lat_deg: lat,
        lon_deg: lon,
        cog_deg: Some(90.0),
        heading_deg: Some(90),
        second: ((t / 1000) % 60) as u8,
    });
    let mut bytes = Vec::new();
    for line in to_sentences(&p, f, 'A', 0, Some(("rx1", t / 1000))) {
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    bytes
}

fn cot_wire(uid: &str, t: i64, lat: f64, lon: f64) -> Vec<u8> {
    biac_formats::cot::CotEvent::new(uid, "a-u-S", t, lat, lon)
        .with_how("m-r")
        .with_stale_after(30_000)
        .with_hae(0.0)
        .with_errors(50.0, 9_999_999.0)
        .to_xml()
        .into_bytes()
}

/// Ingest `bodies` one by one (each acknowledged before the next), then wait for the
/// quiet-feed flush to release everything: every audience's picture. `newest` is the
/// newest record, `newest_public` the newest one every audience may see; each picture
/// ends at one of the two.
async fn ingest_run(
    bodies: &[(&str, Vec<u8>)],
    newest: i64,
    newest_public: i64,
) -> Vec<(Audience, (i64, u64, String))> {
    let dir = tempfile::tempdir().unwrap();
    let rt = biac_runtime::start(config(dir.path())).await.unwrap();
    for (feed, bytes) in bodies {
        let r = rt.ingest(feed, bytes).await.unwrap();
        assert_eq!((r.rejected_count, r.observations), (0, 1), "{feed}: {r:?}");
    }
    let jpn = Audience::of(&Subject::new(Nation::JPN, Classification::Secret));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let g = rt.picture(&jpn).unwrap();
        let all = rt.audiences.iter().all(|a| {
            let t = rt.picture(a).unwrap().time_ms;
            t == newest || t == newest_public
        });
        if g.time_ms == newest && all {
            break;
        }
        assert!(Instant::now() < deadline, "the quiet-feed flush never came");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    rt.audiences
        .iter()
        .map(|a| {
            let p = rt.picture(a).unwrap();
            (
                *a,
                (
                    p.time_ms,
                    p.generation,
                    serde_json::to_string(
                        &serde_json::json!({"tracks": plain(&p.tracks), "alerts": p.alerts}),
                    )
                    .unwrap(),
                ),
            )
        })
        .collect()
}

/// Live: hidden radar plots ingested between PHL-visible AIS reports must not change
/// PHL's picture time or generation (the re-ordering watermark is per audience).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_ingest_of_hidden_records_does_not_change_a_phl_picture() {
    const T: i64 = 1_748_736_000_000;
    let (ais, radar) = (biac_sim::FEED_JPN_AIS_SHORE, biac_sim::FEED_JPN_P1_RADAR);
    let v = |s: i64| {
        (
            ais,
            ais_wire(431_000_001, T + s * 5_000, 24.0, 125.0 + 0.0005 * s as f64),
        )
    };
    let a_bodies = vec![v(0), v(1), v(2)];
    let b_bodies = vec![
        v(0),
        v(1),
        (radar, cot_wire("H1", T + 7_000, 26.0, 127.0)),
        v(2),
        (radar, cot_wire("H2", T + 30_000, 26.0, 127.01)),
    ];
    let a = ingest_run(&a_bodies, T + 10_000, T + 10_000).await;
    let a2 = ingest_run(&a_bodies, T + 10_000, T + 10_000).await;
    assert_eq!(a, a2, "the live path is not deterministic for this input");
    let b = ingest_run(&b_bodies, T + 30_000, T + 10_000).await;

    let phl = Audience::of(&Subject::new(Nation::PHL, Classification::Secret));
    let jpn = Audience::of(&Subject::new(Nation::JPN, Classification::Secret));
    let find = |v: &[(Audience, (i64, u64, String))], a: Audience| {
        v.iter().find(|(x, _)| *x == a).unwrap().1.clone()
    };
    assert_ne!(find(&a, jpn), find(&b, jpn), "control: JPN sees the radar");
    let (x, y) = (find(&a, phl), find(&b, phl));
    assert!(
        x == y,
        "PHL-SECRET's live picture depends on SECRET//REL USA radar plots:\n  \
         time_ms:    {} vs {}\n  generation: {} vs {}\n  tracks+alerts equal: {}",
        x.0,
        y.0,
        x.1,
        y.1,
        x.2 == y.2
    );
}

/// Live: a hidden feed that keeps sending must not delay the quiet-feed flush of an
/// audience that may not see it. PHL's public reports stop; JPN's hidden radar keeps
/// reporting every 300 ms for 8 s. PHL's held reports must be released within the same
/// bound as when nothing hidden arrives (each audience's quiet timer is reset only by its
/// releasable inputs), and what it then holds must be identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_hidden_feed_does_not_delay_the_flush_of_a_phl_picture() {
    const T: i64 = 1_748_736_000_000;
    let (ais, radar) = (biac_sim::FEED_JPN_AIS_SHORE, biac_sim::FEED_JPN_P1_RADAR);
    let phl = Audience::of(&Subject::new(Nation::PHL, Classification::Secret));
    let public: Vec<Vec<u8>> = (0..3)
        .map(|s| ais_wire(431_000_001, T + s * 1_000, 24.0, 125.0 + 0.0005 * s as f64))
        .collect();
    let newest_public = T + 2_000;

    async fn run(
        public: &[Vec<u8>],
        ais: &str,
        radar: &str,
        busy_hidden: bool,
        phl: Audience,
        newest_public: i64,
    ) -> (Duration, (i64, u64, String)) {
        let dir = tempfile::tempdir().unwrap();
        let rt = biac_runtime::start(config(dir.path())).await.unwrap();
        for body in public {
            rt.ingest(ais, body).await.unwrap();
        }
        let started = Instant::now();
        let mut k = 0;
        let mut next_hidden = Instant::now();
        loop {
            let p = rt.picture(&phl).unwrap();
            if p.time_ms == newest_public {
                let state = (
                    p.time_ms,
                    p.generation,
                    serde_json::to_string(&serde_json::json!({"tracks": plain(&p.tracks)}))
                        .unwrap(),
                );
                return (started.elapsed(), state);
            }
            assert!(
                started.elapsed() < Duration::from_secs(8),
                "PHL's picture was not flushed within 8 s (busy hidden feed: {busy_hidden})"
            );
            if busy_hidden && Instant::now() >= next_hidden {
                let t = T + 3_000 + k * 300;
                let r = rt
                    .ingest(radar, &cot_wire(&format!("H{k}"), t, 26.0, 127.0))
                    .await
                    .unwrap();
                assert_eq!(r.observations, 1);
                k += 1;
                next_hidden += Duration::from_millis(300);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    let (quiet, a) = run(&public, ais, radar, false, phl, newest_public).await;
    let (busy, b) = run(&public, ais, radar, true, phl, newest_public).await;
    // The flush comes after ~2 s of quiet (ticks are 1 s apart) in both runs; with a shared
    // timer the busy run would never flush while the hidden feed keeps sending.
    assert!(
        quiet < Duration::from_secs(5),
        "quiet run flushed after {quiet:?}"
    );
    assert!(
        busy < Duration::from_secs(5),
        "busy run flushed after {busy:?}"
    );
    assert_eq!(a, b, "PHL's flushed picture depends on the hidden feed");
}

/// A picture's shared tracks as plain values (for serialising).
fn plain(ts: &[std::sync::Arc<biac_model::Track>]) -> Vec<&biac_model::Track> {
    ts.iter().map(|t| &**t).collect()
}
