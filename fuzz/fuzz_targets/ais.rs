#![no_main]
//! Arbitrary bytes as a Ais feed, through the framer and the feed decoder.

use biac_model::FeedFormat;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    // The first byte picks whether wire markings are honoured.
    let trusted = data.first().is_some_and(|b| b & 1 == 1);
    common::drive(FeedFormat::Ais, trusted, data);
});
