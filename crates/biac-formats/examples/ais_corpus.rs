//! Writes a reproducible AIS benchmark corpus to stdout: `N` sentences (default
//! 200 000) of a coastal-traffic mix — class A positions (types 1-3), class B
//! (18), static and voyage data (type 5, two sentences each), base stations (4) —
//! with every line of gpsd's regression sample (all types 1-27, multi-sentence
//! binary messages) interleaved. Used by bench/ais_throughput.sh.
//!
//! `cargo run --release -p biac-formats --example ais_corpus -- 200000 > ais.nmea`

use biac_formats::ais::{
    encode_position_report, encode_static_voyage, to_sentences, PositionReport, StaticVoyage,
};

const SAMPLE: &str = include_str!("../tests/data/gpsd/sample.aivdm");

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let sample: Vec<&str> = SAMPLE
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('!'))
        .collect();
    let mut rng = Rng(0x05ee_da15);
    let mut out = String::with_capacity(n * 60);
    let mut written = 0;
    let mut k = 0u64;
    while written < n {
        k += 1;
        let mmsi = 431_000_000 + (rng.next() % 5000) as u32;
        let roll = rng.next() % 100;
        let lines: Vec<String> = if roll < 85 {
            let r = PositionReport {
                msg_type: if roll < 10 {
                    18
                } else {
                    [1, 1, 1, 3, 2][(roll % 5) as usize]
                },
                mmsi,
                nav_status: (rng.next() % 9) as u8,
                sog_knots: Some(rng.unit() * 25.0),
                position_accuracy: rng.next().is_multiple_of(2),
                lat_deg: 24.0 + rng.unit() * 12.0,
                lon_deg: 122.0 + rng.unit() * 20.0,
                cog_deg: Some(rng.unit() * 360.0),
                heading_deg: Some((rng.next() % 360) as u16),
                second: (rng.next() % 60) as u8,
            };
            let (p, fill) = encode_position_report(&r);
            to_sentences(&p, fill, 'A', 0, None)
        } else if roll < 97 {
            let s = StaticVoyage {
                mmsi,
                imo: 9_000_000 + (rng.next() % 999_999) as u32,
                callsign: format!("JD{}", rng.next() % 10_000),
                shipname: format!("KAIYO MARU NO {}", rng.next() % 100),
                shiptype: 70,
                to_bow: 120,
                to_stern: 30,
                to_port: 10,
                to_starboard: 12,
                destination: "YOKOHAMA".into(),
                draught_dm: 95,
            };
            let (p, fill) = encode_static_voyage(&s);
            to_sentences(&p, fill, 'B', (k % 10) as u8, None)
        } else {
            // A stretch of gpsd's sample, every type and multi-sentence messages.
            let start = (rng.next() as usize) % sample.len();
            let mut v: Vec<String> = Vec::new();
            let mut i = start;
            // Start at a first fragment so multi-sentence messages stay whole.
            while i < sample.len() && !sample[i].contains(",1,") {
                i += 1;
            }
            for l in sample.iter().skip(i).take(4) {
                v.push((*l).to_string());
            }
            v
        };
        for l in lines {
            out.push_str(&l);
            out.push('\n');
            written += 1;
        }
    }
    print!("{out}");
}
