//! Per-generation fan-out cost: 10,000 tracks, every one changed, to 150 clients of one
//! audience, through a guard with an audit log (as `biac serve` runs it).
//!
//! - `old_per_client`: the algorithm before `biac_server::fanout`, copied here: every
//!   client passes every track through the guard, compares it with its own copy, renders
//!   its changed tracks (CoT: event, XML frame, guard again; WebSocket: a
//!   `serde_json::Value` feature per track, compared, then the message serialized).
//! - `new_shared`: the stage releases and renders the generation once; each client, having
//!   consumed the previous snapshot, takes the one shared batch / message.
//! - `new_skipped`: the same, but every client is one snapshot behind, so each builds its
//!   own batch / message from the shared items (the slow path).
//! - `new_stage_only`: the stage's release and render alone (no client).
//! - `{cot,ws}_stage_10k_tracks_2pct_changed`: the stage alone when 200 of the 10,000
//!   tracks changed since the last generation (the load test's case).
//!
//! `cargo bench -p biac-server --bench fanout` (the old paths take about 10 s (CoT) and
//! 70 s (WebSocket) per generation: `-- new_` runs the new ones only).
//!
//! Socket writes are not included in any variant (they are the same bytes either way).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use biac_formats::cot;
use biac_model::{Classification, Identity, Label, Nation, Position, Subject, Track, Velocity};
use biac_runtime::Picture;
use biac_server::bench_support::{feature, iso, view_marking};
use biac_server::cot_stream::{self, track_uid, CotStreamOptions, Outgoing};
use biac_server::fanout::{CotStage, Stage, WsStage};
use biac_server::guard::{self, Auditor, Egress};
use criterion::{black_box, criterion_group, criterion_main, Criterion, SamplingMode};
use serde_json::{json, Value};

const TRACKS: u64 = 10_000;
const CLIENTS: usize = 150;
const PREFIX: &str = "biac-JPN-SECRET";

fn subject() -> Subject {
    Subject::new(Nation::JPN, Classification::Secret)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// AIS-like vessels on a grid; `step` moves every one of them.
fn picture(generation: u64) -> Arc<Picture> {
    let t0 = 1_800_000_000_000 + generation as i64 * 1_000;
    let tracks = (1..=TRACKS)
        .map(|id| {
            let (r, c) = ((id / 100) as f64, (id % 100) as f64);
            let at = Position::new(24.0 + r * 0.05 + generation as f64 * 1e-4, 122.0 + c * 0.05);
            let label = Label::unclassified_public(Nation::JPN);
            Arc::new(
                Track::new(id, t0, at, label)
                    .with_velocity(Velocity::from_sog_cog(5.1, 90.0))
                    .with_cov([400.0, 0.0, 400.0])
                    .with_identity(Identity {
                        mmsi: Some(431_000_000 + id as u32),
                        name: Some(format!("VESSEL {id}")),
                        ..Identity::default()
                    })
                    .with_source("ais", 0)
                    .with_updates(generation),
            )
        })
        .collect();
    Arc::new(Picture {
        time_ms: t0,
        generation,
        tracks,
        alerts: Default::default(),
    })
}

/// Changed tracks per generation in [`rolling`]: 10,000 tracks at 1 Hz published every
/// 20 ms (what `biac serve` does under the load test).
const CHANGED_PER_GENERATION: u64 = 200;

/// A second of generations as the pipeline publishes them: each shares every track with
/// the one before (the same `Arc`) except the next `CHANGED_PER_GENERATION`.
fn rolling() -> Vec<Arc<Picture>> {
    let base = picture(1);
    let next = picture(2);
    let n = (TRACKS / CHANGED_PER_GENERATION) as usize;
    let mut out = vec![base];
    for k in 0..n {
        let prev = out.last().unwrap();
        let mut tracks = prev.tracks.clone();
        let range = k * CHANGED_PER_GENERATION as usize..(k + 1) * CHANGED_PER_GENERATION as usize;
        tracks[range.clone()].clone_from_slice(&next.tracks[range]);
        out.push(Arc::new(Picture {
            time_ms: prev.time_ms + 20,
            generation: prev.generation + 1,
            tracks,
            alerts: Default::default(),
        }));
    }
    out
}

struct Audit {
    auditor: Auditor,
    _worker: biac_audit::AuditWorker,
    _dir: tempfile::TempDir,
}

fn audit() -> Audit {
    let dir = tempfile::tempdir().unwrap();
    let log = biac_audit::AuditLog::open(&biac_audit::audit_dir(dir.path())).unwrap();
    let (sink, worker) =
        biac_audit::AuditSink::spawn(log, biac_audit::SinkConfig::default()).unwrap();
    Audit {
        auditor: Auditor::new(sink),
        _worker: worker,
        _dir: dir,
    }
}

// ---- The old per-client CoT writer (`cot_stream/client.rs` `Writer::diff` + `push`). ----

struct Sent {
    track: Track,
    at_ms: i64,
}

struct OldCotClient {
    sent: HashMap<u64, Sent>,
    buf: Vec<u8>,
    events: u64,
}

fn xml_frame(ev: &cot::CotEvent) -> Vec<u8> {
    let mut out = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".to_vec();
    out.extend_from_slice(ev.to_xml().as_bytes());
    out
}

impl OldCotClient {
    fn push(&mut self, egress: &Egress, out: &Outgoing) {
        let Some(out) = cot_stream::emit(egress, out) else {
            return;
        };
        self.buf.extend_from_slice(&xml_frame(&out.event));
        self.events += 1;
    }

    fn diff(&mut self, egress: &Egress, opts: &CotStreamOptions, picture: &Picture) {
        let now = now_ms();
        let mut seen = HashSet::with_capacity(picture.tracks.len());
        for t in guard::release_all(egress, picture.tracks.iter().map(|t| &**t)) {
            seen.insert(t.id);
            let due = match self.sent.get(&t.id) {
                Some(s) => s.track != *t || now - s.at_ms >= opts.refresh_ms,
                None => true,
            };
            if due {
                let out = Outgoing {
                    event: cot::track_event(t, &track_uid(PREFIX, t.id), now, opts.stale_ms),
                    label: t.label.clone(),
                };
                self.push(egress, &out);
                self.sent.insert(
                    t.id,
                    Sent {
                        track: t.clone(),
                        at_ms: now,
                    },
                );
            }
        }
        let gone: Vec<u64> = self
            .sent
            .keys()
            .copied()
            .filter(|id| !seen.contains(id))
            .collect();
        for id in gone {
            self.sent.remove(&id);
        }
    }
}

// ---- The old per-client WebSocket (`ws.rs` `view` + `diff` + message). ----

fn old_view(s: &Egress, p: &Picture) -> (Vec<(String, Value)>, String) {
    let released: Vec<&Track> = guard::release_all(s, p.tracks.iter().map(|t| &**t)).collect();
    let marking = view_marking(released.iter().map(|t| &t.label));
    let features = released
        .into_iter()
        .map(|t| {
            let f = feature(t);
            (f["id"].as_str().unwrap_or_default().to_string(), f)
        })
        .collect();
    (features, marking)
}

fn old_diff(
    sent: &mut HashMap<String, Value>,
    now: Vec<(String, Value)>,
) -> (Vec<Value>, Vec<String>) {
    let mut next = HashMap::with_capacity(now.len());
    let mut upserts = Vec::new();
    for (id, f) in now {
        if sent.get(&id) != Some(&f) {
            upserts.push(f.clone());
        }
        next.insert(id, f);
    }
    let mut deletes: Vec<String> = sent
        .keys()
        .filter(|id| !next.contains_key(*id))
        .cloned()
        .collect();
    deletes.sort();
    *sent = next;
    (upserts, deletes)
}

fn old_ws_update(s: &Egress, sent: &mut HashMap<String, Value>, p: &Picture) -> String {
    let (features, marking) = old_view(s, p);
    let (upserts, deletes) = old_diff(sent, features);
    json!({
        "type": "update",
        "audience": {"nation": s.nation, "clearance": s.clearance},
        "generation": p.generation,
        "time_ms": p.time_ms,
        "time": iso(p.time_ms),
        "marking": marking,
        "upserts": upserts,
        "deletes": deletes,
    })
    .to_string()
}

/// A group sampled flat: the old paths take seconds per generation; ten are enough.
fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(30));
    g
}

fn bench_cot(c: &mut Criterion) {
    let audit = audit();
    let opts = CotStreamOptions::default();
    let egress = Egress::new(
        subject(),
        "cot:127.0.0.1:8087",
        biac_server::guard::Action::Subscribe,
        Some(audit.auditor.clone()),
    );
    let pictures = [picture(1), picture(2)];
    let mut g = group(c, "cot_generation_10k_tracks_150_clients");

    let mut clients: Vec<OldCotClient> = (0..CLIENTS)
        .map(|_| OldCotClient {
            sent: HashMap::new(),
            buf: Vec::new(),
            events: 0,
        })
        .collect();
    for cl in &mut clients {
        cl.diff(&egress, &opts, &pictures[0]);
        cl.buf.clear();
    }
    let mut i = 0usize;
    g.bench_function("old_per_client", |b| {
        b.iter(|| {
            i += 1;
            let p = &pictures[i % 2];
            for cl in &mut clients {
                cl.diff(&egress, &opts, p);
                black_box(cl.buf.len());
                cl.buf.clear();
            }
        })
    });
    drop(clients);

    for (name, behind) in [("new_shared", 0), ("new_skipped", 1)] {
        let mut stage = CotStage::new(
            egress.clone(),
            PREFIX.into(),
            opts.stale_ms,
            opts.refresh_ms,
        );
        let first = stage.step(&pictures[0], true, now_ms(), 0).unwrap();
        let mut since = vec![Some(first.seq); CLIENTS];
        let mut own = Vec::new();
        let mut i = 0usize;
        g.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                let keep = since.iter().flatten().min().copied().unwrap_or(0);
                let snap = stage
                    .step(
                        &pictures[i % 2],
                        true,
                        now_ms(),
                        keep.saturating_sub(behind),
                    )
                    .expect("every track changed");
                for s in &mut since {
                    let at = s.map(|x| x.saturating_sub(behind));
                    match snap.shared(at, false) {
                        Some(batch) => {
                            black_box((batch.bytes.len(), batch.events));
                        }
                        None => {
                            black_box(snap.write_since(at, false, &mut own));
                            own.clear();
                        }
                    }
                    *s = Some(snap.seq);
                }
            })
        });
    }

    let mut stage = CotStage::new(
        egress.clone(),
        PREFIX.into(),
        opts.stale_ms,
        opts.refresh_ms,
    );
    let mut i = 0usize;
    g.bench_function("new_stage_only", |b| {
        b.iter(|| {
            i += 1;
            black_box(stage.step(&pictures[i % 2], true, now_ms(), u64::MAX))
        })
    });
    g.finish();
    stage_rolling(
        c,
        "cot",
        CotStage::new(egress, PREFIX.into(), opts.stale_ms, opts.refresh_ms),
    );
}

/// The stage alone on generations where 2 % of the tracks changed (the common case
/// under load: every generation is walked, few tracks are rendered). Cycles through a
/// second of generations; the first is the whole picture again (all 10,000 changed
/// since the last), so the mean includes one full render per 50 steps.
fn stage_rolling<S: Stage>(c: &mut Criterion, exit: &str, mut stage: S) {
    let pictures = rolling();
    let mut g = c.benchmark_group(format!("{exit}_stage_10k_tracks_2pct_changed"));
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10));
    stage.step(&pictures[0], true, now_ms(), u64::MAX);
    let mut i = 0usize;
    g.bench_function("step", |b| {
        b.iter(|| {
            i += 1;
            black_box(
                stage
                    .step(&pictures[i % pictures.len()], true, now_ms(), u64::MAX)
                    .is_some(),
            )
        })
    });
    g.finish();
}

fn bench_ws(c: &mut Criterion) {
    let audit = audit();
    let egress = Egress::new(
        subject(),
        "ws:/api/v1/ws",
        biac_server::guard::Action::Subscribe,
        Some(audit.auditor.clone()),
    );
    let pictures = [picture(1), picture(2)];
    let mut g = group(c, "ws_generation_10k_tracks_150_clients");

    let mut sent: Vec<HashMap<String, Value>> = vec![HashMap::new(); CLIENTS];
    for s in &mut sent {
        old_ws_update(&egress, s, &pictures[0]);
    }
    let mut i = 0usize;
    g.bench_function("old_per_client", |b| {
        b.iter(|| {
            i += 1;
            for s in &mut sent {
                black_box(old_ws_update(&egress, s, &pictures[i % 2]).len());
            }
        })
    });
    drop(sent);

    for (name, behind) in [("new_shared", 0), ("new_skipped", 1)] {
        let mut stage = WsStage::new(egress.clone(), biac_server::render::Sources::all());
        let first = stage.step(&pictures[0], true, now_ms(), 0).unwrap();
        let mut since = vec![first.seq; CLIENTS];
        let mut i = 0usize;
        g.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                let keep = since.iter().min().copied().unwrap_or(0);
                let snap = stage
                    .step(
                        &pictures[i % 2],
                        true,
                        now_ms(),
                        keep.saturating_sub(behind),
                    )
                    .expect("one per generation");
                for s in &mut since {
                    black_box(snap.update_message(s.saturating_sub(behind)).len());
                    *s = snap.seq;
                }
            })
        });
    }

    let mut stage = WsStage::new(egress.clone(), biac_server::render::Sources::all());
    let mut i = 0usize;
    g.bench_function("new_stage_only", |b| {
        b.iter(|| {
            i += 1;
            black_box(stage.step(&pictures[i % 2], true, now_ms(), u64::MAX))
        })
    });
    g.finish();
    stage_rolling(
        c,
        "ws",
        WsStage::new(egress, biac_server::render::Sources::all()),
    );
}

criterion_group!(benches, bench_cot, bench_ws);
criterion_main!(benches);
