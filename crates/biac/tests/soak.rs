//! Randomized five-nation soak of the real `biac serve` on 127.0.0.1.
//!
//! Five audiences (JPN, USA, AUS, KOR, PHL, all SECRET), a trusted-markings CoT feed per
//! owner nation, a plain TAK listener per nation, a bearer token per nation. Clients of
//! every nation subscribe at once — a CoT TCP client, an HTTP poller of
//! `/api/v1/tracks` and a WebSocket client (a minimal RFC 6455 client over std
//! `TcpStream`) — while a seeded generator injects hundreds of objects, each far from
//! every other, each with its own random marking (REL TO subsets, NOFORN, owner-only,
//! UNCLASSIFIED, up to TOP SECRET, which no SECRET audience may see). Every object's
//! uid and callsign carry its index, so everything received maps back to what was sent.
//!
//! Asserted: no message on any channel (track events, withdrawals and deletes
//! included) ever reaches a nation the object's label excludes, judged both by the
//! marking it arrived with and by the label it was injected with; no client is sent
//! another audience's track uids; every nation received at least 80 % of the objects it
//! may see on each channel and 95 % overall (the soak flowed); tracks left the picture
//! during the soak, so withdrawals were exercised; the audit log verifies with
//! `biac audit verify` and records no `allow` for a nation the entry's marking excludes,
//! at every exit the soak used.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use biac_formats::cot::{self, CotEvent};
use biac_formats::framing::Frame;
use biac_formats::Framer;
use biac_model::{allow, Classification, Label, Nation, Subject};
use common::{start_with_lines, Ws, WsEvent};
use serde_json::Value;

const NATIONS: [&str; 5] = ["JPN", "USA", "AUS", "KOR", "PHL"];
const LEVELS: [&str; 4] = ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET"];
/// Injected objects.
const N: usize = 400;
/// Each object is reported three times, `LAG` and `2 * LAG` steps after its first.
const LAG: usize = 60;
const STEP: Duration = Duration::from_millis(30);
const SEED: u64 = 0x5eed_b1ac_2026_0005;
/// Data time advances this much per step (fusion runs on data time): objects no longer
/// reported leave the picture (surface tracks 180 s of data time after their last
/// report) during the soak, so withdrawals and deletes are exercised too.
const DATA_STEP_MS: i64 = 1_000;

use biac_testkit::now_ms;

fn token(n: usize) -> String {
    format!("soak-{}", NATIONS[n].to_lowercase())
}

/// xorshift64*: the labels are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// An injected object's label, as the test understands it.
#[derive(Clone, Debug)]
struct Spec {
    owner: usize,
    level: usize,
    /// REL TO (nation indices, owner included); empty: none.
    rel: BTreeSet<usize>,
    noforn: bool,
}

impl Spec {
    fn random(rng: &mut Rng) -> Spec {
        let owner = rng.below(5) as usize;
        let level = match rng.below(10) {
            0..=1 => 0,
            2..=4 => 1,
            5..=8 => 2,
            _ => 3,
        };
        let (rel, noforn) = match rng.below(4) {
            0 => (BTreeSet::new(), true),
            1 => (BTreeSet::new(), false),
            _ => {
                let mut rel: BTreeSet<usize> = (0..5).filter(|_| rng.below(2) == 0).collect();
                rel.insert(owner);
                (rel, false)
            }
        };
        Spec {
            owner,
            level,
            rel,
            noforn,
        }
    }

    /// The nations (indices) that may see it, by the documented rule, computed here
    /// independently of the product's code: SECRET audiences never see TOP SECRET;
    /// NOFORN is the owner only; a REL TO list is who it says; UNCLASSIFIED without
    /// one is everyone; classified without one is the owner only.
    fn allowed(&self) -> BTreeSet<usize> {
        if self.level > 2 {
            BTreeSet::new()
        } else if self.noforn {
            BTreeSet::from([self.owner])
        } else if !self.rel.is_empty() {
            self.rel.clone()
        } else if self.level == 0 {
            (0..5).collect()
        } else {
            BTreeSet::from([self.owner])
        }
    }

    fn releasable_to(&self) -> Option<String> {
        (!self.rel.is_empty()).then(|| {
            self.rel
                .iter()
                .map(|&i| NATIONS[i])
                .collect::<Vec<_>>()
                .join(",")
        })
    }
}

fn position(id: usize) -> (f64, f64) {
    // 0.3 degrees apart: more than 30 km between any two objects.
    (
        10.0 + (id / 20) as f64 * 0.3,
        120.0 + (id % 20) as f64 * 0.3,
    )
}

fn callsign(id: usize) -> String {
    format!("SOAK-{id:04}")
}

fn id_of_callsign(c: &str) -> Option<usize> {
    c.strip_prefix("SOAK-")?.parse().ok()
}

fn event_xml(id: usize, spec: &Spec, report: usize, t: i64) -> String {
    let (lat, lon) = position(id);
    CotEvent::new(
        format!("soak-{id:04}"),
        "a-u-S",
        t,
        lat + report as f64 * 1e-4,
        lon,
    )
    .with_hae(0.0)
    .with_errors(50.0, 9_999_999.0)
    .with_callsign(callsign(id))
    .with_marking(
        Some(LEVELS[spec.level]),
        spec.noforn.then_some("NOFORN"),
        spec.releasable_to().as_deref(),
    )
    .to_xml()
}

/// What may be concluded from a marking string alone about whether nation `n` may see
/// the item: `Some(false)` excluded, `Some(true)` included, `None` owner-only (the
/// marking does not name the owner).
fn marking_admits(marking: &str, n: usize) -> Option<bool> {
    let level = marking.split("//").next().unwrap_or_default();
    if level == "TOP SECRET" {
        return Some(false);
    }
    if let Some(list) = marking.split("//").find_map(|b| b.strip_prefix("REL TO ")) {
        return Some(list.split(", ").any(|t| t == NATIONS[n]));
    }
    if marking.split("//").any(|b| b == "NOFORN") || level != "UNCLASSIFIED" {
        return None;
    }
    Some(true)
}

/// The same for CoT wire markings.
fn wire_admits(ev: &CotEvent, n: usize) -> Option<bool> {
    let access = ev.access.as_deref().unwrap_or("");
    if access == "TOP SECRET" || access.is_empty() {
        return Some(false);
    }
    if let Some(rel) = ev.releasable_to.as_deref() {
        return Some(
            rel.split(|c: char| c == ',' || c.is_ascii_whitespace())
                .any(|t| t == NATIONS[n]),
        );
    }
    if ev.caveat.as_deref() == Some("NOFORN") || access != "UNCLASSIFIED" {
        return None;
    }
    Some(true)
}

/// What one client of one nation saw.
#[derive(Default)]
struct Seen {
    /// Injected objects received.
    ids: BTreeSet<usize>,
    /// Messages received.
    messages: u64,
    /// Withdrawals and deletes received.
    withdrawals: u64,
    /// The nation's opaque track ids -> injected object.
    track_ids: HashMap<String, usize>,
    violations: Vec<String>,
}

impl Seen {
    /// One received object `id` (from its callsign) under `marking_ok` (what its
    /// arriving marking says about nation `n`).
    fn object(
        &mut self,
        what: &str,
        n: usize,
        id: usize,
        marking_ok: Option<bool>,
        specs: &[Spec],
    ) {
        let Some(spec) = specs.get(id) else {
            self.violations
                .push(format!("{} {what}: unknown object {id}", NATIONS[n]));
            return;
        };
        let may = spec.allowed().contains(&n);
        let by_marking = marking_ok.unwrap_or(n == spec.owner);
        if !may || !by_marking {
            self.violations.push(format!(
                "{} received {what} of object {id} labelled {spec:?} (arriving marking admits: {marking_ok:?})",
                NATIONS[n]
            ));
        }
        self.ids.insert(id);
    }

    /// A GeoJSON feature from the API or the WebSocket.
    fn feature(&mut self, what: &str, n: usize, f: &Value, specs: &[Spec]) {
        let p = &f["properties"];
        let subject = Subject::new(Nation::parse(NATIONS[n]).unwrap(), Classification::Secret);
        // The API's label is the label's JSON form plus `releasable_to` (derived from it).
        let mut lj = p["label"].clone();
        if let Some(o) = lj.as_object_mut() {
            o.remove("releasable_to");
        }
        match serde_json::from_value::<Label>(lj) {
            Ok(l) if allow(&subject, &l) => {}
            Ok(l) => self.violations.push(format!(
                "{} {what}: feature labelled {} not releasable to it: {f}",
                NATIONS[n],
                l.marking()
            )),
            Err(e) => self.violations.push(format!(
                "{} {what}: unreadable label ({e}): {f}",
                NATIONS[n]
            )),
        }
        let marking = p["marking"].as_str().unwrap_or_default();
        let Some(id) = p["callsign"].as_str().and_then(id_of_callsign) else {
            self.violations.push(format!(
                "{} {what}: feature without a soak callsign: {f}",
                NATIONS[n]
            ));
            return;
        };
        if let Some(tid) = f["id"].as_str() {
            self.track_ids.insert(tid.to_string(), id);
        }
        self.object(what, n, id, marking_admits(marking, n), specs);
    }
}

/// The TAK listener client: every event it is sent.
fn cot_client(n: usize, addr: SocketAddr, specs: Arc<Vec<Spec>>, stop: Arc<AtomicBool>) -> Seen {
    let mut seen = Seen::default();
    let mut s = TcpStream::connect(addr).expect("connect to CoT listener");
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let prefix = format!("biac-{}-SECRET-T", NATIONS[n]);
    let mut framer = Framer::cot();
    let mut uids: HashMap<String, usize> = HashMap::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut last = false;
    loop {
        match s.read(&mut buf) {
            Ok(0) => {
                seen.violations.push(format!(
                    "{}: CoT listener closed the connection",
                    NATIONS[n]
                ));
                break;
            }
            Ok(k) => framer.push(&buf[..k]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("CoT read: {e}"),
        }
        while let Some(f) = framer.next_frame() {
            let Frame::Record { bytes, .. } = f else {
                seen.violations
                    .push(format!("{}: oversized CoT record", NATIONS[n]));
                continue;
            };
            seen.messages += 1;
            let ev = match cot::parse_event(&bytes) {
                Ok(ev) => ev,
                Err(e) => {
                    seen.violations
                        .push(format!("{}: invalid CoT ({e})", NATIONS[n]));
                    continue;
                }
            };
            if ev.cot_type.starts_with("t-x-takp") || ev.cot_type.starts_with("t-x-c-t") {
                continue; // control events: no picture data
            }
            if ev.cot_type == "t-x-d-d" {
                // A delete: names the withdrawn track's uid in <link uid=...>.
                let link = ev
                    .extra_detail
                    .split("uid=\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .unwrap_or_default()
                    .to_string();
                if !link.starts_with(&prefix) {
                    seen.violations.push(format!(
                        "{}: delete of another audience's uid {link:?}",
                        NATIONS[n]
                    ));
                }
                seen.withdrawals += 1;
                match uids.get(&link) {
                    Some(&id) => seen.object("CoT delete", n, id, wire_admits(&ev, n), &specs),
                    None => seen.violations.push(format!(
                        "{}: delete of a uid never sent: {link:?}",
                        NATIONS[n]
                    )),
                }
                continue;
            }
            if !ev.uid.starts_with(&prefix) {
                seen.violations.push(format!(
                    "{}: event with another audience's uid {:?}",
                    NATIONS[n], ev.uid
                ));
            }
            let id = ev.callsign.as_deref().and_then(id_of_callsign);
            match id.or_else(|| uids.get(&ev.uid).copied()) {
                Some(id) => {
                    uids.insert(ev.uid.clone(), id);
                    let what = if ev.stale_ms <= ev.time_ms {
                        "CoT withdrawal"
                    } else {
                        "CoT event"
                    };
                    seen.object(what, n, id, wire_admits(&ev, n), &specs);
                }
                None => seen.violations.push(format!(
                    "{}: CoT event without a soak callsign: {}",
                    NATIONS[n],
                    String::from_utf8_lossy(&bytes)
                )),
            }
        }
        if last {
            break;
        }
        // One more read after the stop, to take what was already in flight.
        last = stop.load(Ordering::Relaxed);
    }
    seen
}

/// Polls `/api/v1/tracks` as nation `n` until stopped, then once more.
fn http_client(n: usize, addr: SocketAddr, specs: Arc<Vec<Spec>>, stop: Arc<AtomicBool>) -> Seen {
    let mut seen = Seen::default();
    let tok = token(n);
    loop {
        let last = stop.load(Ordering::Relaxed);
        let (status, body) = common::get(addr, "/api/v1/tracks", Some(&tok));
        seen.messages += 1;
        if status != 200 {
            seen.violations
                .push(format!("{}: GET tracks {status}: {body}", NATIONS[n]));
        } else {
            let v: Value = serde_json::from_str(&body).expect("tracks JSON");
            if v["audience"]["nation"] != NATIONS[n] {
                seen.violations.push(format!(
                    "{}: served another audience: {}",
                    NATIONS[n], v["audience"]
                ));
            }
            for f in v["features"].as_array().unwrap() {
                seen.feature("HTTP feature", n, f, &specs);
            }
        }
        if last {
            break;
        }
        std::thread::sleep(Duration::from_millis(700));
    }
    seen
}

/// The WebSocket client of nation `n`: the snapshot, then every update.
fn ws_client(n: usize, addr: SocketAddr, specs: Arc<Vec<Spec>>, stop: Arc<AtomicBool>) -> Seen {
    let mut seen = Seen::default();
    let mut ws = Ws::connect_as(addr, &token(n));
    let mut last = false;
    loop {
        match ws.next() {
            WsEvent::Text(text) => {
                seen.messages += 1;
                let v: Value = serde_json::from_str(&text).expect("ws JSON");
                if v["audience"]["nation"] != NATIONS[n] {
                    seen.violations.push(format!(
                        "{}: ws of another audience: {}",
                        NATIONS[n], v["audience"]
                    ));
                }
                let features = match v["type"].as_str() {
                    Some("snapshot") => &v["features"],
                    Some("update") => &v["upserts"],
                    _ => {
                        seen.violations
                            .push(format!("{}: unexpected ws message {text}", NATIONS[n]));
                        continue;
                    }
                };
                for f in features.as_array().into_iter().flatten() {
                    seen.feature("ws feature", n, f, &specs);
                }
                for d in v["deletes"].as_array().into_iter().flatten() {
                    seen.withdrawals += 1;
                    let d = d.as_str().unwrap_or_default();
                    match seen.track_ids.get(d).copied() {
                        Some(id) => {
                            let spec_ok = specs[id].allowed().contains(&n);
                            if !spec_ok {
                                seen.violations.push(format!(
                                    "{}: ws delete of object {id} labelled {:?}",
                                    NATIONS[n], specs[id]
                                ));
                            }
                        }
                        None => seen.violations.push(format!(
                            "{}: ws delete of an id never sent: {d}",
                            NATIONS[n]
                        )),
                    }
                }
                continue;
            }
            WsEvent::Idle => {}
            WsEvent::Closed(e) => {
                seen.violations
                    .push(format!("{}: ws ended during the soak: {e}", NATIONS[n]));
                break;
            }
        }
        if last {
            break;
        }
        last = stop.load(Ordering::Relaxed);
    }
    seen
}

fn config() -> String {
    let feeds: Vec<Value> = NATIONS
        .iter()
        .map(|n| {
            serde_json::json!({
                "name": format!("feed-{n}"),
                "format": "cot",
                "nation": n,
                // Every event is marked; the feed's label is what a marking may only
                // restrict (public, so the random markings stand as sent).
                "default_label": {"classification": "UNCLASSIFIED", "owner": [n]},
                "trusted_markings": true,
                "cot_kind": "track",
                "listen": "127.0.0.1:0",
            })
        })
        .collect();
    let audiences: Vec<Value> = NATIONS
        .iter()
        .map(|n| serde_json::json!({"nation": n, "clearance": "SECRET"}))
        .collect();
    let tokens: serde_json::Map<String, Value> = (0..5)
        .map(|i| {
            (
                token(i),
                serde_json::json!({"nation": NATIONS[i], "clearance": "SECRET"}),
            )
        })
        .collect();
    let cot: Vec<Value> = NATIONS
        .iter()
        .map(|n| serde_json::json!({"listen": "127.0.0.1:0", "nation": n, "clearance": "SECRET"}))
        .collect();
    serde_json::json!({
        "feeds": feeds,
        "audiences": audiences,
        "tokens": tokens,
        "cot_listeners": cot,
    })
    .to_string()
}

#[test]
fn five_nations_randomized_soak_never_leaks() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("biac.json");
    std::fs::write(&cfg_path, config()).unwrap();
    let data = dir.path().join("data");
    let (b, lines) = start_with_lines(&[
        "serve",
        "--config",
        cfg_path.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
        "--fsync",
        "off",
    ]);
    // "TAK (CoT over TCP): JPN SECRET on 127.0.0.1:PORT"
    let mut cot_addrs: BTreeMap<usize, SocketAddr> = BTreeMap::new();
    for l in &lines {
        if let Some(rest) = l.strip_prefix("TAK (CoT over TCP): ") {
            let w: Vec<&str> = rest.split_whitespace().collect();
            let n = NATIONS.iter().position(|x| *x == w[0]).expect("nation");
            cot_addrs.insert(n, w[3].parse().expect("CoT addr"));
        }
    }
    assert_eq!(cot_addrs.len(), 5, "CoT listener lines: {lines:?}");
    let feed_addr = |n: usize| {
        b.feeds
            .iter()
            .find(|(name, _)| *name == format!("feed-{}", NATIONS[n]))
            .map(|(_, a)| *a)
            .expect("feed line")
    };

    let mut rng = Rng(SEED);
    let specs: Arc<Vec<Spec>> = Arc::new((0..N).map(|_| Spec::random(&mut rng)).collect());
    for (n, name) in NATIONS.iter().enumerate() {
        let may = specs.iter().filter(|s| s.allowed().contains(&n)).count();
        assert!(
            may > 20 && may < N - 20,
            "the labels must both admit and exclude {name}: {may}"
        );
    }
    assert!(specs.iter().any(|s| s.level == 3));

    // Subscribe every nation on every channel before anything is injected.
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for n in 0..5 {
        let (sp, st) = (specs.clone(), stop.clone());
        let a = cot_addrs[&n];
        clients.push((
            "CoT",
            n,
            std::thread::spawn(move || cot_client(n, a, sp, st)),
        ));
        let (sp, st, a) = (specs.clone(), stop.clone(), b.http);
        clients.push((
            "HTTP",
            n,
            std::thread::spawn(move || http_client(n, a, sp, st)),
        ));
        let (sp, st, a) = (specs.clone(), stop.clone(), b.http);
        clients.push(("WS", n, std::thread::spawn(move || ws_client(n, a, sp, st))));
    }

    // Inject: object k first at step k, again at k + LAG and k + 2 LAG.
    let mut feeds: Vec<TcpStream> = (0..5)
        .map(|n| TcpStream::connect(feed_addr(n)).expect("connect feed"))
        .collect();
    let steps = N + 2 * LAG;
    // Data time runs from the past to 20 s ahead of the clock (60 s is refused).
    let t0 = now_ms() - steps as i64 * DATA_STEP_MS + 20_000;
    for step in 0..steps {
        let t = t0 + step as i64 * DATA_STEP_MS;
        for (report, k) in [
            (0, Some(step)),
            (1, step.checked_sub(LAG)),
            (2, step.checked_sub(2 * LAG)),
        ] {
            let Some(k) = k.filter(|&k| k < N) else {
                continue;
            };
            let spec = &specs[k];
            feeds[spec.owner]
                .write_all(event_xml(k, spec, report, t).as_bytes())
                .expect("write feed");
        }
        std::thread::sleep(STEP);
    }
    for f in &mut feeds {
        f.flush().unwrap();
    }
    let injected_at = started.elapsed();
    // Let the reorder window pass and the last reports reach every client.
    std::thread::sleep(Duration::from_secs(4));
    stop.store(true, Ordering::Relaxed);

    let mut violations = Vec::new();
    let mut per_nation: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    let mut track_ids: BTreeMap<usize, HashMap<String, usize>> = BTreeMap::new();
    let mut summary = Vec::new();
    let mut withdrawals = 0;
    for (channel, n, h) in clients {
        let seen = h.join().expect("client thread");
        let may = specs.iter().filter(|s| s.allowed().contains(&n)).count();
        summary.push(format!(
            "{} {channel}: {} messages, {} of {may} objects, {} withdrawals",
            NATIONS[n],
            seen.messages,
            seen.ids.len(),
            seen.withdrawals
        ));
        if channel != "HTTP" {
            withdrawals += seen.withdrawals;
        }
        // Objects live for seconds in the picture, so every channel sees nearly all.
        assert!(
            seen.ids.len() * 10 >= may * 8,
            "{} received only {} of the {may} objects it may see on {channel}: the soak \
             did not flow",
            NATIONS[n],
            seen.ids.len()
        );
        violations.extend(seen.violations);
        per_nation.entry(n).or_default().extend(seen.ids);
        track_ids.entry(n).or_default().extend(seen.track_ids);
    }
    if !violations.is_empty() {
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        for v in &violations {
            // "PHL received CoT delete of object 7 ..." -> "PHL received CoT delete".
            let k = v.split([':', '{']).next().unwrap_or_default();
            let k = k.split(" of object").next().unwrap_or_default().to_string();
            *kinds.entry(k).or_default() += 1;
        }
        panic!(
            "{} violations by kind {kinds:#?}, first: {:#?}",
            violations.len(),
            &violations[..violations.len().min(10)]
        );
    }
    for (n, ids) in &per_nation {
        let may = specs.iter().filter(|s| s.allowed().contains(n)).count();
        assert!(
            ids.len() * 20 >= may * 19,
            "{} received only {} of the {may} objects it may see",
            NATIONS[*n],
            ids.len()
        );
    }

    assert!(
        withdrawals > 0,
        "no track left the picture during the soak: withdrawals were not exercised\n{}",
        summary.join("\n")
    );

    // The audit log: give the signer a moment to seal, stop the server, verify.
    std::thread::sleep(Duration::from_millis(1500));
    drop(b);
    let out = Command::new(common::bin())
        // Killed: entries after the last checkpoint are expected.
        .args([
            "audit",
            "verify",
            "--allow-unsealed",
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .env("RUST_LOG", "error")
        .output()
        .expect("run biac audit verify");
    assert!(
        out.status.success(),
        "biac audit verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let log = std::fs::read_to_string(data.join("audit/log.jsonl")).expect("audit log");
    let mut exits: BTreeSet<String> = BTreeSet::new();
    let (mut allows, mut owner_only_checked, mut owner_only_unmapped) = (0u64, 0u64, 0u64);
    let mut bad = Vec::new();
    for line in log.lines() {
        let e = biac_audit::Entry::from_line(line.as_bytes()).expect("audit entry");
        exits.insert(e.egress.clone());
        if e.decision != biac_audit::Decision::Allow {
            continue;
        }
        allows += 1;
        let n = NATIONS
            .iter()
            .position(|x| *x == e.subject.nation)
            .unwrap_or_else(|| panic!("audit subject of no audience: {line}"));
        match marking_admits(&e.marking, n) {
            Some(true) => {}
            Some(false) => bad.push(line.to_string()),
            None => {
                // Owner-only: the marking does not name the owner; find the object.
                let owner = match e.object.kind.as_str() {
                    "feed" => e
                        .object
                        .id
                        .strip_prefix("feed-")
                        .and_then(|x| NATIONS.iter().position(|y| *y == x)),
                    "track" => track_ids[&n].get(&e.object.id).map(|&id| specs[id].owner),
                    "cot-event" => e
                        .object
                        .id
                        .split_whitespace()
                        .nth(1)
                        .map(|uid| uid.trim_end_matches("-delete"))
                        .and_then(|uid| uid.rsplit('-').next())
                        .and_then(|tid| track_ids[&n].get(tid))
                        .map(|&id| specs[id].owner),
                    _ => None,
                };
                match owner {
                    Some(o) if o == n => owner_only_checked += 1,
                    Some(_) => bad.push(line.to_string()),
                    None => owner_only_unmapped += 1,
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} audit allows for a nation the marking excludes, first: {:#?}",
        bad.len(),
        &bad[..bad.len().min(10)]
    );
    for must in ["http:/api/v1/tracks", "ws:/api/v1/ws"] {
        assert!(exits.contains(must), "no audit entry at {must}: {exits:?}");
    }
    for a in cot_addrs.values() {
        let must = format!("cot:{a}");
        assert!(exits.contains(&must), "no audit entry at {must}: {exits:?}");
    }
    assert!(
        allows > 0 && owner_only_checked > 0,
        "audit allows {allows}"
    );
    eprintln!(
        "soak: {N} objects injected in {injected_at:?}, total {:?}; audit: {} lines, {allows} allows, \
         {owner_only_checked} owner-only checked, {owner_only_unmapped} unmapped\n{}",
        started.elapsed(),
        log.lines().count(),
        summary.join("\n")
    );
}
