//! Wire formats spoken by allied sensors and clients.
//!
//! - [`ais`]: NMEA 0183 AIVDM/AIVDO, every message type 1–27 (type 6/8 with
//!   DAC/FID, payload and the application messages gpsd decodes), gpsd's unscaled
//!   JSON (conformant with gpsd's regression sample), encoders.
//! - [`sbs`]: SBS-1 BaseStation (port 30003) CSV.
//! - [`beast`] and [`modes`]: Beast binary framing; Mode S / ADS-B decoding through
//!   the `rs1090` crate with global and local CPR, to SBS records and observations.
//! - [`cot`]: Cursor-on-Target XML with the TAK markings.
//! - [`tak`]: TAK protocol version 1 (protobuf, stream and mesh framing, XML ⇄
//!   protobuf).
//! - [`asterix`]: EUROCONTROL ASTERIX data blocks; CAT048 monoradar target reports to
//!   observations in the radar's range and azimuth; CAT062 system tracks to national
//!   tracks.
//! - [`stanag4607`]: STANAG 4607 GMTI (Editions 3 and 4), packets and segments, both ways;
//!   dwells to observations in the sensor's space (`stanag4607::feed`).
//! - [`plots3d`]: missile-defence radar plots (range, azimuth, elevation, range-rate),
//!   one CSV line each; the same row parser serves `biac ballistic`'s PLOTS.csv.
//!
//! Each format has a decoder (bytes -> typed message -> [`Observation`]) and an encoder.
//! Invariants: no I/O; decoders never panic on any input; a malformed record yields a
//! [`DecodeError`] naming the feed, the byte offset and the reason, and decoding of the
//! stream goes on with the next record (ASTERIX: records carry no length, so a CAT048
//! record that does not parse loses the rest of its data block; the next block decodes).

use biac_model::{FeedConfig, FeedFormat, Observation, TimeMs};

pub mod ais;
pub mod asterix;
pub mod beast;
pub mod cot;
mod error;
pub mod framing;
pub mod modes;
pub mod plots3d;
pub mod sbs;
pub mod stanag4607;
pub mod tak;

pub use error::{DecodeError, EncodeError, Fault, Reason, Wire};
pub use framing::Framer;

/// Turns one feed's framed records into labelled observations.
///
/// Stateful where the format needs it (AIS multi-fragment reassembly, ADS-B identity
/// and velocity remembered per aircraft), one per feed connection.
pub struct FeedDecoder {
    cfg: FeedConfig,
    state: FormatState,
}

enum FormatState {
    Ais(ais::AisNormaliser),
    Sbs(sbs::SbsNormaliser),
    Cot,
    // Boxed: the Mode S decoder keeps per-aircraft CPR state.
    Beast(Box<modes::ModeSNormaliser>),
    Tak,
    Asterix(asterix::AsterixNormaliser),
    Stanag4607(stanag4607::feed::GmtiNormaliser),
    Plots3d(Option<biac_model::SitePin>),
}

impl FeedDecoder {
    pub fn new(cfg: FeedConfig) -> Self {
        let state = match cfg.format {
            FeedFormat::Ais => FormatState::Ais(ais::AisNormaliser::default()),
            FeedFormat::Sbs => FormatState::Sbs(sbs::SbsNormaliser::default()),
            FeedFormat::Cot => FormatState::Cot,
            FeedFormat::Beast => FormatState::Beast(Box::new(modes::ModeSNormaliser::new(
                modes::ModeSDecoder::new(),
            ))),
            FeedFormat::Tak => FormatState::Tak,
            FeedFormat::Asterix { radar } => {
                FormatState::Asterix(asterix::AsterixNormaliser::new(radar))
            }
            FeedFormat::Stanag4607 { .. } => {
                FormatState::Stanag4607(stanag4607::feed::GmtiNormaliser::new())
            }
            FeedFormat::Plots3d { site } => FormatState::Plots3d(site),
        };
        FeedDecoder { cfg, state }
    }

    pub fn config(&self) -> &FeedConfig {
        &self.cfg
    }

    /// The framer for this feed's format.
    pub fn framer(&self) -> Framer {
        match self.cfg.format {
            FeedFormat::Ais | FeedFormat::Sbs | FeedFormat::Plots3d { .. } => Framer::lines(),
            FeedFormat::Cot => Framer::cot(),
            FeedFormat::Beast => Framer::beast(),
            FeedFormat::Tak => Framer::tak(),
            FeedFormat::Asterix { .. } => Framer::asterix(),
            FeedFormat::Stanag4607 { .. } => Framer::stanag4607(),
        }
    }

    /// For an ASTERIX feed: what it carried besides target reports (other categories,
    /// reports that are not measurements).
    pub fn asterix_stats(&self) -> Option<asterix::AsterixStats> {
        match &self.state {
            FormatState::Asterix(n) => Some(n.stats()),
            _ => None,
        }
    }

    /// For a STANAG 4607 feed: packets, dwells and target reports seen, and the
    /// reports that were no observation.
    pub fn gmti_stats(&self) -> Option<stanag4607::feed::GmtiStats> {
        match &self.state {
            FormatState::Stanag4607(n) => Some(n.stats()),
            _ => None,
        }
    }

    /// Decode one framed record (a line without its terminator, one CoT `<event>`, one
    /// escaped Beast frame, one TAK stream frame with its header, one ASTERIX data
    /// block — for CAT048, one record as a one-record block — or one STANAG 4607
    /// packet). A 4607 error names the offset of the segment at fault.
    /// `now_ms` is the receive time, used when the record carries no time of its own.
    /// Returns zero observations for records that are valid but carry no position
    /// (an AIS fragment awaiting its partner, static data, an SBS identity message).
    pub fn decode(
        &mut self,
        record: &[u8],
        offset: u64,
        now_ms: TimeMs,
    ) -> Result<Vec<Observation>, DecodeError> {
        let wire = Wire::of(&self.cfg.format);
        let err = |fault: Fault| DecodeError {
            feed: self.cfg.name.clone(),
            offset,
            reason: Reason::Malformed {
                format: wire,
                fault,
            },
        };
        let feed = &self.cfg.name;
        let obs = match &mut self.state {
            FormatState::Ais(n) => n.decode(&self.cfg, record, now_ms).map_err(err),
            FormatState::Sbs(n) => n.decode(&self.cfg, record, now_ms).map_err(err),
            FormatState::Cot => cot::decode_observation(&self.cfg, record, now_ms).map_err(err),
            FormatState::Beast(n) => {
                decode_beast(n, &self.cfg, record, now_ms).map_err(|r| DecodeError {
                    feed: feed.clone(),
                    offset,
                    reason: r.into_reason(wire),
                })
            }
            FormatState::Tak => decode_tak(&self.cfg, record, now_ms).map_err(|r| DecodeError {
                feed: feed.clone(),
                offset,
                reason: r.into_reason(wire),
            }),
            FormatState::Asterix(n) => n.decode(&self.cfg, record, now_ms).map_err(err),
            FormatState::Plots3d(pin) => {
                plots3d::decode_record(&self.cfg, pin.as_ref(), record).map_err(err)
            }
            FormatState::Stanag4607(n) => {
                n.decode(&self.cfg, record, offset)
                    .map_err(|e| DecodeError {
                        feed: feed.clone(),
                        offset: e.offset,
                        reason: Reason::Malformed {
                            format: wire,
                            fault: e.reason,
                        },
                    })
            }
        }?;
        // The ceiling applies to the record's final label, wire marking included.
        let limits = &self.cfg.limits;
        if let Some(o) = obs
            .iter()
            .find(|o| limits.above_ceiling(o.label.classification()))
        {
            return Err(DecodeError {
                feed: self.cfg.name.clone(),
                offset,
                reason: Reason::AboveFeedCeiling {
                    level: o.label.classification(),
                    max: limits
                        .max_classification
                        .unwrap_or(o.label.classification()),
                },
            });
        }
        Ok(obs)
    }
}

/// A frame-level failure of the formats decoded here, typed before it gets its format.
enum FrameFault {
    Truncated(usize),
    Trailing(usize),
    Malformed(Fault),
}

impl From<Fault> for FrameFault {
    fn from(f: Fault) -> Self {
        FrameFault::Malformed(f)
    }
}

impl FrameFault {
    fn into_reason(self, format: Wire) -> Reason {
        match self {
            FrameFault::Truncated(len) => Reason::Truncated { format, len },
            FrameFault::Trailing(count) => Reason::TrailingBytes { format, count },
            FrameFault::Malformed(fault) => Reason::Malformed { format, fault },
        }
    }
}

/// One escaped Beast frame to observations. Receive time stamps the observation: the
/// frame's MLAT counter is relative to the receiver's clock, not to UTC.
fn decode_beast(
    n: &mut modes::ModeSNormaliser,
    cfg: &FeedConfig,
    record: &[u8],
    now_ms: TimeMs,
) -> Result<Vec<Observation>, FrameFault> {
    let mut d = beast::BeastDecoder::new();
    d.push(record);
    match d.next_frame()? {
        Some(f)
            if matches!(
                f.kind,
                beast::FrameKind::ModeSShort | beast::FrameKind::ModeSLong
            ) =>
        {
            Ok(n.decode(cfg, &f.message, now_ms)?)
        }
        // Mode A/C replies and receiver status carry no position.
        Some(_) => Ok(vec![]),
        None => Err(FrameFault::Truncated(record.len())),
    }
}

/// One TAK stream frame to observations, through the same CoT rules as XML feeds
/// (the protobuf is rendered to its CoT XML, so markings and atoms are read once, alike).
fn decode_tak(
    cfg: &FeedConfig,
    record: &[u8],
    now_ms: TimeMs,
) -> Result<Vec<Observation>, FrameFault> {
    let (msg, used) = tak::decode_stream(record)?.ok_or(FrameFault::Truncated(record.len()))?;
    if used != record.len() {
        return Err(FrameFault::Trailing(record.len() - used));
    }
    if msg.cot_event.is_none() {
        // A TakControl message (protocol negotiation): nothing to observe.
        return Ok(vec![]);
    }
    let xml = tak::proto_to_xml(&msg)?;
    Ok(cot::decode_observation(cfg, xml.as_bytes(), now_ms)?)
}
