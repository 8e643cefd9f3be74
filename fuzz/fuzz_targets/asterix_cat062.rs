#![no_main]
//! Arbitrary bytes as CAT062: as one record, what decodes re-encodes to a record that
//! decodes alike, and its observation (about a fixed system reference point), if any,
//! has a valid position; then as a stream through `Framer::asterix` and the ASTERIX
//! feed decoder (never a panic, never an invalid observation).

use biac_formats::asterix::cat062::{decode_record, encode_record, observe};
use biac_model::{FeedFormat, RadarSite};
use libfuzzer_sys::fuzz_target;

const SRP: RadarSite = RadarSite {
    lat_deg: 24.78,
    lon_deg: 125.3,
    alt_m: 95.0,
    sigma_range_m: 60.0,
    sigma_azimuth_deg: 0.1,
    sac: None,
    sic: None,
};

fuzz_target!(|data: &[u8]| {
    if let Ok((rec, n)) = decode_record(data) {
        assert!(n <= data.len());
        if let Ok(enc) = encode_record(&rec) {
            assert_eq!(decode_record(&enc), Ok((rec.clone(), enc.len())));
        }
        let cfg = common::config(FeedFormat::Asterix { radar: SRP }, false);
        if let Ok(Some(o)) = observe(&cfg, &SRP, &rec, 1_704_110_400_000) {
            assert!(o.position.is_valid(), "invalid position accepted: {o:?}");
            assert!(o.pos_sigma_m.is_finite() && o.pos_sigma_m > 0.0);
        }
    }
    common::drive(FeedFormat::Asterix { radar: SRP }, false, data);
});

mod common;
