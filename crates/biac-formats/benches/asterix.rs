//! ASTERIX decoding throughput, one thread (criterion): CAT048 monoradar plots and
//! CAT062 system tracks as a radar and an SDPS send them (20 records a block), each
//! (a) walked and typed (`decode_block`) and (b) the whole feed path, framed record
//! by record and turned into observations (`Framer::asterix` + `FeedDecoder`).
//! Writes both captures to `target/asterix-bench-cat048.ast` and `-cat062.ast`
//! for a peer's timing over the same bytes.

use std::hint::black_box;

use biac_formats::asterix::cat062::{self, Cat062, Subfields, TargetId, TrackStatus, Wgs84};
use biac_formats::asterix::{
    decode_block, encode_block, encode_record, AircraftId, Cat048, DataSource, Descriptor,
    FlightLevel, MeasuredPolar, Mode3A,
};
use biac_formats::framing::Frame;
use biac_formats::FeedDecoder;
use biac_model::{FeedConfig, FeedFormat, Label, Nation, ObservationKind, RadarSite};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const RECORDS: usize = 20_000;
const PER_BLOCK: usize = 20;
const TOD: u32 = 36_000 * 128;

fn plot(i: usize) -> Vec<u8> {
    encode_record(&Cat048 {
        source: Some(DataSource { sac: 25, sic: 10 }),
        time_of_day: Some(TOD + i as u32),
        descriptor: Some(Descriptor(vec![0xA0])),
        polar: Some(MeasuredPolar {
            rho: 10_000 + (i % 20_000) as u16,
            theta: (i * 37 % 65_536) as u16,
        }),
        mode3a: Some(Mode3A(0o2345)),
        flight_level: Some(FlightLevel(1_200)),
        aircraft_address: Some(0x86_0000 + i as u32 % 4096),
        aircraft_id: AircraftId::from_text("JAL123"),
        track_number: Some((i % 4096) as u16),
        ..Cat048::default()
    })
    .unwrap()
}

fn track(i: usize) -> Vec<u8> {
    let lsb = cat062::WGS84_LSB_DEG;
    let mut adr = Subfields(vec![None; 28]);
    adr.0[0] = Some(vec![0x86, (i >> 8) as u8, i as u8]); // ADR
    adr.0[1] = Some(AircraftId::from_text("ANA456").unwrap().0.to_vec()); // ID
    adr.0[22] = Some(vec![0x06, 0x40]); // GAL
    let mut ages = Subfields(vec![None; 10]);
    ages.0[0] = Some(vec![4]);
    ages.0[2] = Some(vec![4]);
    let mut acc = Subfields(vec![None; 8]);
    acc.0[0] = Some(vec![0, 200, 0, 200]);
    acc.0[5] = Some(vec![8, 8]);
    cat062::encode_record(&Cat062 {
        source: Some(DataSource { sac: 25, sic: 20 }),
        service_id: Some(1),
        time_of_track: Some(TOD + i as u32),
        wgs84: Some(Wgs84 {
            lat: ((24.0 + (i % 100) as f64 * 0.02) / lsb) as i32,
            lon: ((125.0 + (i % 77) as f64 * 0.02) / lsb) as i32,
        }),
        velocity: Some([800, -120]),
        mode3a: Some(cat062::TrackMode3A(0o2345)),
        target_id: Some(TargetId {
            sti_octet: 0,
            chars: AircraftId::from_text("ANA456").unwrap(),
        }),
        aircraft_derived: Some(adr),
        track_number: Some(i as u16),
        track_status: Some(TrackStatus(vec![0x41, 0x00])),
        update_ages: Some(ages),
        measured_fl: Some(1_400),
        geometric_alt: Some(5_760),
        barometric_alt: Some(1_400),
        accuracies: Some(acc),
        ..Cat062::default()
    })
    .unwrap()
}

fn capture(cat: u8, make: fn(usize) -> Vec<u8>) -> Vec<u8> {
    let recs: Vec<Vec<u8>> = (0..RECORDS).map(make).collect();
    recs.chunks(PER_BLOCK)
        .flat_map(|c| encode_block(cat, c).unwrap())
        .collect()
}

fn blocks(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 3 <= bytes.len() {
        let len = usize::from(u16::from_be_bytes([bytes[pos + 1], bytes[pos + 2]]));
        out.push(&bytes[pos..pos + len]);
        pos += len;
    }
    out
}

fn feed() -> FeedConfig {
    FeedConfig {
        name: "bench".into(),
        format: FeedFormat::Asterix {
            radar: RadarSite {
                lat_deg: 24.78,
                lon_deg: 125.3,
                alt_m: 95.0,
                sigma_range_m: 60.0,
                sigma_azimuth_deg: 0.1,
                sac: None,
                sic: None,
            },
        },
        nation: Nation::JPN,
        default_label: Label::unclassified_public(Nation::JPN),
        trusted_markings: false,
        cot_kind: ObservationKind::Plot,
        description: String::new(),
        limits: Default::default(),
    }
}

/// The feed path: framed record by record, each to observations.
fn feed_path(bytes: &[u8]) -> usize {
    let mut dec = FeedDecoder::new(feed());
    let mut framer = dec.framer();
    framer.push(bytes);
    let mut n = 0;
    while let Some(Frame::Record { offset, bytes }) = framer.next_frame() {
        n += dec
            .decode(&bytes, offset, 1_767_225_600_000 + 36_000_000)
            .map_or(0, |o| o.len());
    }
    n
}

fn bench(c: &mut Criterion) {
    let c048 = capture(48, plot);
    let c062 = capture(62, track);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target");
    let _ = std::fs::write(dir.join("asterix-bench-cat048.ast"), &c048);
    let _ = std::fs::write(dir.join("asterix-bench-cat062.ast"), &c062);
    let (b048, b062) = (blocks(&c048), blocks(&c062));
    assert_eq!(feed_path(&c048), RECORDS);
    assert_eq!(feed_path(&c062), RECORDS);
    let mut g = c.benchmark_group("asterix");
    g.throughput(Throughput::Elements(RECORDS as u64));
    g.bench_function("cat048 decode_block", |b| {
        b.iter(|| {
            b048.iter()
                .map(|x| decode_block(black_box(x)).unwrap().unwrap().len())
                .sum::<usize>()
        })
    });
    g.bench_function("cat062 decode_block", |b| {
        b.iter(|| {
            b062.iter()
                .map(|x| cat062::decode_block(black_box(x)).unwrap().unwrap().len())
                .sum::<usize>()
        })
    });
    g.bench_function("cat048 feed path", |b| {
        b.iter(|| feed_path(black_box(&c048)))
    });
    g.bench_function("cat062 feed path", |b| {
        b.iter(|| feed_path(black_box(&c062)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
