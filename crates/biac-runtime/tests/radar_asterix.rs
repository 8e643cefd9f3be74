//! A radar feed in ASTERIX CAT048 over the runtime's TCP listener: three vessels seen
//! by a coastal radar 20–40 km away, range and azimuth with the radar's errors, make
//! three tracks where the vessels are, visible to the audiences the feed's label allows
//! and to no other. CAT048 carries only the time of day, so the scenario runs on the
//! receive clock's day (the last few minutes before now).

use std::time::Duration;

use biac_formats::asterix::{
    encode_block, encode_record, Cat048, DataSource, Descriptor, MeasuredPolar,
};
use biac_fusion::geo::{geodetic_to_ecef, EnuFrame};
use biac_model::{
    Classification, FeedConfig, FeedFormat, Label, Nation, ObservationKind, RadarSite, Subject,
};
use biac_runtime::{Audience, RuntimeConfig};
use biac_sim::rnd::{gauss, SimRng};
use biac_store::SyncPolicy;
use rand::SeedableRng;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const SITE: RadarSite = RadarSite {
    lat_deg: 24.78,
    lon_deg: 125.3,
    alt_m: 95.0,
    sigma_range_m: 30.0,
    sigma_azimuth_deg: 0.1,
    sac: Some(25),
    sic: Some(10),
};
const SCAN_MS: i64 = 4_000;
const SCANS: i64 = 40;

/// Vessel k at time offset dt (s): start point east/north of the site (m) and velocity.
fn vessel(frame: &EnuFrame, k: usize, dt: f64) -> (f64, f64) {
    let start = [
        [20_000.0, 5_000.0],
        [-15_000.0, 30_000.0],
        [2_000.0, -38_000.0],
    ][k];
    let vel = [[-8.0, 3.0], [5.0, 5.0], [0.0, 9.0]][k];
    frame.en_to_geodetic(start[0] + vel[0] * dt, start[1] + vel[1] * dt)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cat048_plots_over_tcp_make_tracks_where_the_vessels_are() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    // Whole seconds, ending a little before now (reports from the future are refused).
    let t0 = (now / 1000 - SCANS * SCAN_MS / 1000 - 30) * 1000;
    let dir = tempfile::tempdir().unwrap();
    let feed = FeedConfig {
        name: "jpn-radar-cat048".into(),
        format: FeedFormat::Asterix { radar: SITE },
        nation: Nation::JPN,
        default_label: Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]),
        trusted_markings: false,
        cot_kind: ObservationKind::Plot,
        description: String::new(),
        limits: Default::default(),
    };
    let rt = biac_runtime::start(RuntimeConfig {
        sync: SyncPolicy::Off,
        feeds: vec![(feed, "127.0.0.1:0".parse().unwrap())],
        audiences: [Nation::USA, Nation::PHL]
            .map(|n| Subject::new(n, Classification::Secret))
            .to_vec(),
        reorder_window_ms: 1_000,
        max_future_ms: 60_000,
        ..RuntimeConfig::new(dir.path().to_path_buf())
    })
    .await
    .unwrap();

    let frame = EnuFrame::new(SITE.lat_deg, SITE.lon_deg);
    let site = geodetic_to_ecef(SITE.lat_deg, SITE.lon_deg, SITE.alt_m);
    let mut rng = SimRng::seed_from_u64(48);
    let mut tcp = TcpStream::connect(rt.feeds[0].addr).await.unwrap();
    for s in 0..SCANS {
        let t = t0 + s * SCAN_MS;
        let mut records = Vec::new();
        for k in 0..3 {
            let (lat, lon) = vessel(&frame, k, (t - t0) as f64 / 1000.0);
            let p = geodetic_to_ecef(lat, lon, 0.0);
            let range =
                ((p[0] - site[0]).powi(2) + (p[1] - site[1]).powi(2) + (p[2] - site[2]).powi(2))
                    .sqrt();
            let [e, n] = frame.ecef_to_en(p);
            let az = e.atan2(n).to_degrees().rem_euclid(360.0);
            let range = range + gauss(&mut rng, SITE.sigma_range_m);
            let az = (az + gauss(&mut rng, SITE.sigma_azimuth_deg)).rem_euclid(360.0);
            let rec = Cat048 {
                source: Some(DataSource { sac: 25, sic: 10 }),
                time_of_day: Some((t.rem_euclid(86_400_000) * 128 / 1000) as u32),
                // A single primary-radar (PSR) detection.
                descriptor: Some(Descriptor(vec![0x20])),
                polar: Some(MeasuredPolar {
                    rho: (range / 1852.0 * 256.0).round() as u16,
                    theta: ((az / 360.0 * 65536.0).round() as u32 % 65536) as u16,
                }),
                ..Cat048::default()
            };
            records.push(encode_record(&rec).unwrap());
        }
        tcp.write_all(&encode_block(48, &records).unwrap())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tcp.flush().await.unwrap();

    let usa = Audience::of(&Subject::new(Nation::USA, Classification::Secret));
    let t_last = t0 + (SCANS - 1) * SCAN_MS;
    let mut tracks = Vec::new();
    for _ in 0..200 {
        let p = rt.picture(&usa).unwrap();
        if p.time_ms >= t_last && p.tracks.len() >= 3 {
            tracks = p.tracks.iter().map(|t| (**t).clone()).collect::<Vec<_>>();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let st = &rt.feeds[0].stats;
    assert_eq!(
        (st.accepted(), st.rejected()),
        (3 * SCANS as u64, 0),
        "{:?}",
        st.last_error()
    );
    assert_eq!(tracks.len(), 3, "{tracks:?}");
    // Each vessel has one track within 100 m (the beam is ~35–70 m wide at these ranges,
    // 30 m deep; the filter averages 40 scans).
    for k in 0..3 {
        let (lat, lon) = vessel(&frame, k, (t_last - t0) as f64 / 1000.0);
        let truth = geodetic_to_ecef(lat, lon, 0.0);
        let best = tracks
            .iter()
            .map(|t| {
                let p = geodetic_to_ecef(t.position.lat_deg, t.position.lon_deg, 0.0);
                ((p[0] - truth[0]).powi(2) + (p[1] - truth[1]).powi(2) + (p[2] - truth[2]).powi(2))
                    .sqrt()
            })
            .fold(f64::INFINITY, f64::min);
        assert!(best < 100.0, "vessel {k}: nearest track {best:.0} m away");
    }
    // The feed is SECRET REL TO USA: the Philippines sees none of it.
    let phl = Audience::of(&Subject::new(Nation::PHL, Classification::Secret));
    assert!(rt.picture(&phl).unwrap().tracks.is_empty());
}
