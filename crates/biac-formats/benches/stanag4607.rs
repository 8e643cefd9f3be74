//! STANAG 4607 decoding throughput, one thread (criterion): a capture of dwells of 100
//! target reports each (high-resolution position, height, radial and wrap velocity,
//! SNR, class, RCS, report index, as a GMTI radar sends them), split into packets and
//! every segment decoded to typed fields. Writes the capture to
//! `target/stanag4607-bench.4607` for `bench/stanag4607_bench.sh`, which runs the PyPI
//! `stanag4607` decoder over the same bytes for the ratio.

use std::hint::black_box;

use biac_formats::stanag4607::{
    decode_packet, deg_ba32, deg_sa32, encode_packet, target_bit, Dwell, PacketHeader, Packets,
    Segment, TargetReport,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const DWELLS: usize = 1000;
const TARGETS: usize = 100;

fn capture() -> Vec<u8> {
    let header = PacketHeader {
        version: *b"41",
        nationality: *b"US",
        classification: 5,
        platform_id: *b"MQ9       ",
        ..PacketHeader::default()
    };
    let mut out = Vec::new();
    for k in 0..DWELLS {
        let targets = (0..TARGETS)
            .map(|i| TargetReport {
                report_index: Some(i as u16),
                lat: Some(deg_sa32(31.0 + i as f64 * 1e-3)),
                lon: Some(deg_ba32(130.5 + k as f64 * 1e-4)),
                height_m: Some(12),
                radial_velocity_cm_s: Some(-1500 + i as i16),
                wrap_velocity_cm_s: Some(6000),
                snr_db: Some(14),
                classification: Some(2),
                rcs_half_db: Some(20),
                ..TargetReport::default()
            })
            .collect();
        let mut d = Dwell {
            revisit_index: (k / 10) as u16,
            dwell_index: (k % 10) as u16,
            last_dwell: u8::from(k % 10 == 9),
            dwell_time_ms: 36_000_000 + k as u32 * 100,
            sensor_lat: deg_sa32(31.4),
            sensor_lon: deg_ba32(130.9),
            sensor_alt_cm: 1_500_000,
            center_lat: deg_sa32(31.05),
            center_lon: deg_ba32(130.55),
            range_half_extent: 10 * 128,
            angle_half_extent: 2000,
            targets,
            ..Dwell::default()
        };
        d.fit_mask();
        assert_ne!(d.mask & target_bit(18), 0);
        out.extend(encode_packet(&header, &[Segment::Dwell(d)]));
    }
    out
}

fn decode_all(bytes: &[u8]) -> usize {
    let mut n = 0;
    for p in Packets::new(bytes, 0) {
        let Ok((offset, packet)) = p else { continue };
        let Ok(d) = decode_packet(packet, offset) else {
            continue;
        };
        for s in d.segments.into_iter().flatten() {
            if let Segment::Dwell(d) = s.segment {
                n += d.targets.len();
                black_box(&d.targets);
            }
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let bytes = capture();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/stanag4607-bench.4607");
    if let Err(e) = std::fs::write(&path, &bytes) {
        eprintln!("cannot write {}: {e}", path.display());
    }
    assert_eq!(decode_all(&bytes), DWELLS * TARGETS);
    let mut g = c.benchmark_group("stanag4607");
    g.throughput(Throughput::Elements((DWELLS * TARGETS) as u64));
    g.bench_function("decode_target_reports", |b| {
        b.iter(|| decode_all(black_box(&bytes)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
