//! A radar's CAT048 plots reach the tracker as range/azimuth measurements and make
//! tracks where the objects are: a Mode S aircraft at FL300 some 120 km out and a
//! ship seen only by the primary radar, plotted every 4 s for five minutes with the
//! radar's errors, encoded as CAT048, sent as one TCP stream through
//! `Framer::asterix` and `FeedDecoder`, and fused by `biac_fusion::Tracker`. The
//! truth and the measurements are computed with `biac_fusion::geo` (WGS84 through
//! ECEF), independently of the decoder's own geometry.

use biac_formats::asterix::{
    encode_block, encode_record, AircraftId, Cat048, DataSource, Descriptor, FlightLevel,
    MeasuredPolar,
};
use biac_formats::framing::Frame;
use biac_formats::FeedDecoder;
use biac_fusion::geo::{geodetic_to_ecef, EnuFrame};
use biac_fusion::{Tracker, TrackerConfig};
use biac_model::{Domain, FeedConfig, ObservationKind, RadarSite, TimeMs};
use peers_common::{asterix_feed, Rng, MIYAKO};

mod peers_common;

const SITE: RadarSite = MIYAKO;
const T0: TimeMs = 1_767_225_600_000 + 36_000_000; // 2026-01-01T10:00:00Z
const SCAN_MS: i64 = 4_000;
const ICAO: u32 = 0x86_abcd;
const FL300_M: f64 = 30_000.0 * 0.3048;

/// Straight-line motion in the site's east-north plane, at a fixed height.
struct Object {
    start_en: [f64; 2],
    vel_en: [f64; 2],
    height_m: f64,
}

impl Object {
    fn at(&self, frame: &EnuFrame, t: TimeMs) -> (f64, f64, f64) {
        let dt = (t - T0) as f64 / 1000.0;
        let (lat, lon) = frame.en_to_geodetic(
            self.start_en[0] + self.vel_en[0] * dt,
            self.start_en[1] + self.vel_en[1] * dt,
        );
        (lat, lon, self.height_m)
    }
}

fn feed() -> FeedConfig {
    asterix_feed("miyako-radar", SITE)
}

/// Horizontal distance between two geodetic points, metres.
fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    let f = EnuFrame::new(a.0, a.1);
    let [e, n] = f.ecef_to_en(geodetic_to_ecef(b.0, b.1, 0.0));
    e.hypot(n)
}

#[test]
fn radar_plots_make_tracks_where_the_objects_are() {
    let frame = EnuFrame::new(SITE.lat_deg, SITE.lon_deg);
    let site = geodetic_to_ecef(SITE.lat_deg, SITE.lon_deg, SITE.alt_m);
    let aircraft = Object {
        start_en: [80_000.0, 90_000.0],
        vel_en: [-230.0, 0.0],
        height_m: FL300_M,
    };
    let ship = Object {
        start_en: [-30_000.0, 20_000.0],
        vel_en: [3.0, 8.0],
        height_m: 0.0,
    };
    let mut rng = Rng::new(0x0048_5eed);
    let mut stream = Vec::new();
    let mut scans = Vec::new();
    for k in 0..75 {
        let scan_start = T0 + k * SCAN_MS;
        let mut recs = Vec::new();
        for (i, o) in [&aircraft, &ship].into_iter().enumerate() {
            // Where the beam finds it: its azimuth decides when in the scan.
            let (lat0, lon0, _) = o.at(&frame, scan_start);
            let [e0, n0] = frame.ecef_to_en(geodetic_to_ecef(lat0, lon0, 0.0));
            let az0 = e0.atan2(n0).rem_euclid(std::f64::consts::TAU);
            let t = scan_start + (az0 / std::f64::consts::TAU * SCAN_MS as f64) as i64;
            let (lat, lon, h) = o.at(&frame, t);
            let p = geodetic_to_ecef(lat, lon, h);
            let slant = (0..3).map(|j| (p[j] - site[j]).powi(2)).sum::<f64>().sqrt();
            let [e, n] = frame.ecef_to_en(p);
            let az = e.atan2(n);
            let slant = slant + SITE.sigma_range_m * rng.normal();
            let az_deg =
                (az.to_degrees() + SITE.sigma_azimuth_deg * rng.normal()).rem_euclid(360.0);
            let tod = (t.rem_euclid(86_400_000) as f64 / 1000.0 * 128.0).round() as u32;
            let mut r = Cat048 {
                source: Some(DataSource { sac: 25, sic: 10 }),
                time_of_day: Some(tod),
                polar: Some(MeasuredPolar {
                    rho: (slant / 1852.0 * 256.0).round() as u16,
                    theta: ((az_deg / 360.0 * 65_536.0).round() as u32 % 65_536) as u16,
                }),
                ..Cat048::default()
            };
            if i == 0 {
                // Mode S roll-call with PSR, FL300, address and callsign.
                r.descriptor = Some(Descriptor(vec![7 << 5]));
                r.flight_level = Some(FlightLevel(1_200));
                r.aircraft_address = Some(ICAO);
                r.aircraft_id = AircraftId::from_text("JAL915");
            } else {
                // Primary radar only: no height, no identity.
                r.descriptor = Some(Descriptor(vec![1 << 5]));
            }
            recs.push((t, encode_record(&r).unwrap()));
        }
        recs.sort_by_key(|(t, _)| *t);
        let block: Vec<Vec<u8>> = recs.into_iter().map(|(_, r)| r).collect();
        stream.extend(encode_block(48, &block).unwrap());
        scans.push((stream.len(), scan_start + SCAN_MS));
    }

    // One TCP stream, read in odd pieces; each scan fused when its bytes are in.
    let mut dec = FeedDecoder::new(feed());
    let mut framer = dec.framer();
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut fed = 0;
    let (mut n_obs, mut start) = (0, 0);
    for (end, now) in scans {
        let mut batch = Vec::new();
        for piece in stream[start..end].chunks(61) {
            framer.push(piece);
            while let Some(frame) = framer.next_frame() {
                let Frame::Record { offset, bytes } = frame else {
                    panic!("{frame:?}")
                };
                batch.extend(dec.decode(&bytes, offset, now).expect("a valid record"));
            }
        }
        start = end;
        for o in &batch {
            assert_eq!(o.kind, ObservationKind::Plot);
            let m = o.polar.as_deref().expect("a polar measurement");
            assert!(m.is_valid());
            assert_eq!(m.sensor_position, SITE.position());
            if o.identity.icao == Some(ICAO) {
                assert_eq!(o.domain, Domain::Air);
                assert!((o.position.alt_m.unwrap() - FL300_M).abs() < 1e-6);
            } else {
                assert_eq!(o.position.alt_m, None);
            }
            assert!(
                o.time_ms <= now && o.time_ms > now - 2 * SCAN_MS,
                "{}",
                o.time_ms
            );
        }
        n_obs += batch.len();
        fed += 1;
        tracker.process_batch(batch);
    }
    assert_eq!((fed, n_obs), (75, 150));
    let tracks = tracker.tracks();
    assert_eq!(tracks.len(), 2, "{tracks:#?}");
    for t in &tracks {
        let (obj, name, bound_m) = if t.identity.icao == Some(ICAO) {
            assert_eq!(t.identity.callsign.as_deref(), Some("JAL915"));
            (&aircraft, "aircraft", 150.0)
        } else {
            assert!(t.identity.icao.is_none());
            (&ship, "ship", 100.0)
        };
        let (lat, lon, _) = obj.at(&frame, t.time_ms);
        let err = distance((lat, lon), (t.position.lat_deg, t.position.lon_deg));
        let dv = (t.velocity.east_mps - obj.vel_en[0]).hypot(t.velocity.north_mps - obj.vel_en[1]);
        println!(
            "{name}: position error {err:.0} m, velocity error {dv:.1} m/s, {} updates",
            t.updates
        );
        assert!(err < bound_m, "{name}: {err} m off");
        assert!(dv < 10.0, "{name}: velocity {dv} m/s off");
        assert!(t.updates >= 70, "{name}: {} updates", t.updates);
        assert!(t.sources.contains_key("miyako-radar"));
    }
}
