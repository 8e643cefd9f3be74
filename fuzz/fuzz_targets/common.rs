//! Shared by the fuzz targets: a feed configuration and a driver that frames the
//! input and decodes every record.

use biac_formats::framing::Frame;
use biac_formats::FeedDecoder;
use biac_model::{FeedConfig, FeedFormat, Label, Nation, ObservationKind};

pub fn config(format: FeedFormat, trusted: bool) -> FeedConfig {
    FeedConfig {
        name: "fuzz".into(),
        format,
        nation: Nation::USA,
        default_label: Label::unclassified_public(Nation::USA),
        trusted_markings: trusted,
        cot_kind: ObservationKind::Track,
        description: String::new(),
        limits: Default::default(),
    }
}

/// Frame `data` (pushed in two pieces, to exercise records split across pushes)
/// and decode every record. Panics only if a decoder breaks its contract.
pub fn drive(format: FeedFormat, trusted: bool, data: &[u8]) {
    let mut decoder = FeedDecoder::new(config(format, trusted));
    let mut framer = decoder.framer();
    let (a, b) = data.split_at(data.len() / 2);
    for piece in [a, b] {
        framer.push(piece);
        while let Some(frame) = framer.next_frame() {
            if let Frame::Record { offset, bytes } = frame {
                if let Ok(obs) = decoder.decode(&bytes, offset, 1_704_110_400_000) {
                    for o in obs {
                        assert!(o.position.is_valid(), "invalid position accepted: {o:?}");
                        assert!(o.pos_sigma_m.is_finite() && o.pos_sigma_m > 0.0);
                    }
                }
            }
        }
    }
}
