//! Shared by the differential tests against independent implementations: where the
//! peers are, and a seeded generator of AIS corpora covering every message type; and by
//! the ASTERIX tests: their radar, its feed, hex and normal deviates.
//!
//! The peers are installed by `scripts/install-peers.sh` (Debian `gpsd-clients`,
//! `dump1090-mutability`; PyPI `pyais`, `takproto` in a venv). A missing peer fails
//! the test with that instruction: these tests never skip.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use biac_formats::ais::{to_sentences, BitWriter};
use biac_model::{FeedConfig, FeedFormat, Label, Nation, ObservationKind, RadarSite};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const INSTALL: &str = "run scripts/install-peers.sh (installs gpsd-clients, dump1090-mutability, \
                       and pyais/takproto into .venv-peers)";

/// The peers' Python: `$BIAC_PEERS_VENV/bin/python`, default `.venv-peers` at the repo root.
pub fn venv_python() -> PathBuf {
    let venv = std::env::var_os("BIAC_PEERS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv-peers"));
    let py = venv.join("bin/python");
    assert!(
        py.exists(),
        "peer venv missing: {} not found; {INSTALL}",
        py.display()
    );
    py
}

/// A peer binary on PATH or in /usr/bin or /usr/sbin.
pub fn peer_binary(name: &str) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/bin", "/usr/sbin", "/usr/local/bin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("peer `{name}` not found on PATH; {INSTALL}"))
}

/// Run `cmd` with `input` on stdin; its stdout. Fails the test on a non-zero exit.
pub fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}; {INSTALL}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("peer output");
    let _ = writer.join();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// xorshift64*: small, seeded, reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
    /// Uniform in (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Standard normal (Box-Muller, one of the pair).
    pub fn normal(&mut self) -> f64 {
        (-2.0 * self.uniform().ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// The ASTERIX tests' radar: on Miyako-jima, SAC/SIC 25/10.
pub const MIYAKO: RadarSite = RadarSite {
    lat_deg: 24.78,
    lon_deg: 125.3,
    alt_m: 95.0,
    sigma_range_m: 60.0,
    sigma_azimuth_deg: 0.1,
    sac: Some(25),
    sic: Some(10),
};

/// An unclassified Japanese ASTERIX plot feed from `radar`.
pub fn asterix_feed(name: &str, radar: RadarSite) -> FeedConfig {
    FeedConfig {
        name: name.into(),
        format: FeedFormat::Asterix { radar },
        nation: Nation::JPN,
        default_label: Label::unclassified_public(Nation::JPN),
        trusted_markings: false,
        cot_kind: ObservationKind::Plot,
        description: String::new(),
        limits: Default::default(),
    }
}

/// One generated message: its sentences and the MMSI that identifies it.
pub struct Case {
    pub msg_type: u8,
    pub mmsi: u32,
    pub sentences: Vec<String>,
    /// Short description (type, and DAC/FID or part for binary and static messages).
    pub what: String,
}

/// A message's bits under construction: random, then fields set.
struct Msg(Vec<bool>);

impl Msg {
    fn random(rng: &mut Rng, len: usize) -> Msg {
        Msg((0..len).map(|_| rng.next() & 1 == 1).collect())
    }
    fn set(&mut self, start: usize, width: usize, value: u64) -> &mut Self {
        for k in 0..width {
            if let Some(b) = self.0.get_mut(start + k) {
                *b = (value >> (width - 1 - k)) & 1 == 1;
            }
        }
        self
    }
    fn payload(&self) -> (String, u8) {
        let mut w = BitWriter::new();
        for &b in &self.0 {
            w.flag(b);
        }
        w.armour()
    }
}

/// Sets the fields a generated message needs (type 24 part, DAC/FID, counts).
type Patch = Box<dyn Fn(&mut Msg, &mut Rng)>;

/// Application payloads of types 6 and 8 to generate: (DAC, FID, bit lengths).
/// Lengths keep within the bounds of gpsd's fixed arrays (3 tidal windows, 16
/// waypoints, 4 VTS targets, 28 cargos).
const TYPE6_APPS: &[(u16, u8, &[usize])] = &[
    (200, 21, &[248]),
    (200, 22, &[232]),
    (200, 55, &[168]),
    (235, 10, &[136]),
    (250, 10, &[136]),
    (1, 12, &[360]),
    (1, 14, &[190, 283]),
    (1, 15, &[104]),
    (1, 16, &[104, 224]),
    (1, 18, &[360]),
    (1, 20, &[360]),
    (1, 25, &[117, 168, 300]),
    (1, 28, &[149, 204, 424]),
    (1, 30, &[98, 152, 302]),
    (1, 32, &[185, 273, 360]),
    (1, 40, &[104]),
    (669, 11, &[136, 201]),
    (200, 3, &[104]),
];

const TYPE8_APPS: &[(u16, u8, &[usize])] = &[
    (1, 11, &[352]),
    (1, 13, &[472]),
    (1, 15, &[72]),
    (1, 16, &[156]),
    (1, 17, &[178, 300, 422]),
    (1, 21, &[360]),
    (1, 22, &[400]),
    (1, 24, &[360]),
    (1, 27, &[117, 227, 392]),
    (1, 29, &[66, 120, 402]),
    (1, 31, &[360]),
    (200, 10, &[168, 200]),
    (200, 24, &[168]),
    (200, 40, &[168]),
    (366, 56, &[312, 566]),
];

/// A corpus of `per_type` messages of every type 1–27 (type 24 as A/B pairs; types
/// 6 and 8 over the application list), seeded.
pub fn corpus(seed: u64, per_type: usize) -> Vec<Case> {
    let mut rng = Rng::new(seed);
    let mut cases = Vec::new();
    let mut next_mmsi = 200_000_000u32;
    let mut seq = 0u8;
    for t in 1u8..=27 {
        for k in 0..per_type {
            next_mmsi += 1;
            let mmsi = if t == 24 && k % 4 == 3 {
                // An auxiliary craft: part B names its mother ship.
                980_000_000 + next_mmsi % 10_000_000
            } else {
                next_mmsi
            };
            let mut what = format!("type {t}");
            let (len, patch): (usize, Patch) = match t {
                1..=4 | 9 | 11 | 18 => (168, Box::new(|_, _| {})),
                5 => (424, Box::new(|_, _| {})),
                7 | 13 => (rng.pick(&[72, 104, 136, 168]), Box::new(|_, _| {})),
                10 => (72, Box::new(|_, _| {})),
                12 => (72 + 6 * (1 + rng.below(40) as usize), Box::new(|_, _| {})),
                14 => (40 + 6 * (1 + rng.below(40) as usize), Box::new(|_, _| {})),
                15 => (rng.pick(&[88, 110, 160]), Box::new(|_, _| {})),
                16 => (rng.pick(&[96, 144]), Box::new(|_, _| {})),
                17 => (80 + rng.below(737) as usize, Box::new(|_, _| {})),
                19 => (312, Box::new(|_, _| {})),
                20 => (rng.pick(&[72, 104, 136, 160]), Box::new(|_, _| {})),
                21 => (272 + 6 * rng.below(15) as usize, Box::new(|_, _| {})),
                22 => (168, Box::new(|_, _| {})),
                23 => (160, Box::new(|_, _| {})),
                24 => (
                    160,
                    Box::new(|m, _| {
                        m.set(38, 2, 0);
                    }),
                ),
                25 => (40 + 46 + rng.below(83) as usize, Box::new(|_, _| {})),
                26 => (60 + 46 + rng.below(899) as usize, Box::new(|_, _| {})),
                27 => (96, Box::new(|_, _| {})),
                6 => {
                    let (dac, fid, lens) = TYPE6_APPS[k % TYPE6_APPS.len()];
                    what = format!("type 6 dac {dac} fid {fid}");
                    let len = rng.pick(lens);
                    (
                        len,
                        Box::new(move |m, rng| {
                            m.set(72, 10, u64::from(dac)).set(82, 6, u64::from(fid));
                            if (dac, fid) == (1, 28) {
                                m.set(144, 5, ((len - 149) / 55) as u64);
                            }
                            if (dac, fid) == (200, 10) {
                                m.set(141, 3, rng.below(6));
                            }
                        }),
                    )
                }
                8 => {
                    let (dac, fid, lens) = TYPE8_APPS[k % TYPE8_APPS.len()];
                    what = format!("type 8 dac {dac} fid {fid}");
                    let len = rng.pick(lens);
                    (
                        len,
                        Box::new(move |m, rng| {
                            m.set(40, 10, u64::from(dac)).set(50, 6, u64::from(fid));
                            if (dac, fid) == (1, 27) {
                                m.set(112, 5, ((len - 117) / 55) as u64);
                            }
                            if (dac, fid) == (200, 10) && rng.below(4) > 0 {
                                m.set(141, 3, rng.below(6));
                            }
                        }),
                    )
                }
                _ => unreachable!(),
            };
            let mut m = Msg::random(&mut rng, len);
            m.set(0, 6, u64::from(t)).set(8, 30, u64::from(mmsi));
            patch(&mut m, &mut rng);
            let mut sentences = Vec::new();
            // Both parts of a type 24 on one radio channel: gpsd 3.22 pairs them
            // per channel (newer gpsd, like us, pairs them by MMSI alone).
            let channel = if k % 2 == 0 { 'A' } else { 'B' };
            let mut push = |m: &Msg, sentences: &mut Vec<String>| {
                let (p, fill) = m.payload();
                seq = (seq + 1) % 10;
                sentences.extend(to_sentences(&p, fill, channel, seq, None));
            };
            push(&m, &mut sentences);
            if t == 24 {
                what = "type 24 A+B".into();
                let mut b = Msg::random(&mut rng, 168);
                b.set(0, 6, 24).set(8, 30, u64::from(mmsi)).set(38, 2, 1);
                push(&b, &mut sentences);
            }
            cases.push(Case {
                msg_type: t,
                mmsi,
                sentences,
                what,
            });
        }
    }
    cases
}

/// The corpus as one NMEA text.
pub fn corpus_text(cases: &[Case]) -> String {
    let mut s = String::new();
    for c in cases {
        for line in &c.sentences {
            s.push_str(line);
            s.push('\n');
        }
    }
    s
}

/// libasterix, from the peer venv, running `tests/peers/<script>` with `args` and `input`
/// on stdin: one JSON value per line. With `uap` (a generated edition such as
/// `Cat_062_1_20`), first checks that the installed libasterix has it, so a missing
/// install says how to fix it.
pub fn libasterix(
    uap: Option<&str>,
    script: &str,
    args: &[&str],
    input: &[u8],
) -> Vec<serde_json::Value> {
    let py = venv_python();
    if let Some(uap) = uap {
        let probe = Command::new(&py)
            .args(["-c", &format!("import asterix.generated as g; g.{uap}")])
            .output()
            .expect("run the peer venv's python");
        assert!(
            probe.status.success(),
            "libasterix missing from the peer venv ({}): run scripts/install-peers.sh \
             (installs libasterix into .venv-peers)",
            String::from_utf8_lossy(&probe.stderr)
        );
    }
    let script = repo_root().join("tests/peers").join(script);
    let out = run_with_stdin(Command::new(py).arg(script).args(args), input);
    out.lines()
        .map(|l| serde_json::from_str(l).expect("the peer script writes JSON"))
        .collect()
}

/// Ours `a` equals libasterix's `b` to 1e-9 relative (both decode the same integers).
pub fn close_to_libasterix(a: f64, b: &serde_json::Value, what: &str) {
    let b = b.as_f64().unwrap_or_else(|| panic!("{what}: {b}"));
    assert!(
        (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        "{what}: ours {a}, libasterix {b}"
    );
}

/// A JSON unsigned integer, or a panic naming `what`.
pub fn uint(v: &serde_json::Value, what: &str) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("{what}: {v}"))
}
