#![no_main]
//! Arbitrary bytes as a `plots3d` feed (with and without a site pin), through the line
//! framer and the feed decoder; and the bytes as a PLOTS.csv row after a header: what
//! parses re-encodes to a feed line that decodes to the same plot.

use biac_formats::plots3d::{encode_line, parse_row, Columns};
use biac_model::{FeedFormat, SitePin};
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let pin = SitePin {
        lat_deg: 40.89,
        lon_deg: 140.33,
        alt_m: 80.0,
    };
    let pinned = data.first().is_some_and(|b| b & 1 == 1);
    common::drive(
        FeedFormat::Plots3d {
            site: pinned.then_some(pin),
        },
        false,
        data,
    );
    if let Ok(text) = std::str::from_utf8(data) {
        let cols = Columns::feed();
        if let Ok((t, plot)) = parse_row(text.trim_end_matches(['\r', '\n']), &cols) {
            if let Ok(ms) = t.parse::<i64>() {
                let line = encode_line(ms, &plot);
                let (t2, back) = parse_row(&line, &cols).expect("an encoded line parses");
                assert_eq!(t2, ms.to_string());
                assert_eq!(back.sensor, plot.sensor);
                assert_eq!(back.range_rate.is_some(), plot.range_rate.is_some());
            }
        }
    }
});
