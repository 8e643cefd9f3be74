//! `biac events`' input: AIS NMEA with NMEA 4.10 tag-block receive times, through
//! biac-formats' one AIS decoder, into the rules.

use biac_formats::ais::{lat_lon_deg, speed_knots, AisDecoder, AisMessage, Sentence};

use super::{Change, Engine, Event, Fix, Geography};

/// A line that was not taken, with its 1-based number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    pub line: u64,
    pub reason: String,
}

/// Lines in, events out (each when it ends), never panicking on input.
pub struct EventsRun<G> {
    engine: Engine<G>,
    decoder: AisDecoder,
    /// Receive time of the last sentence that had one (fragment timeouts run on it).
    now_ms: i64,
    line: u64,
    fixes: u64,
}

impl<G: Geography> EventsRun<G> {
    pub fn new(engine: Engine<G>) -> Self {
        EventsRun {
            engine,
            decoder: AisDecoder::new(),
            now_ms: 0,
            line: 0,
            fixes: 0,
        }
    }

    pub fn engine(&self) -> &Engine<G> {
        &self.engine
    }

    /// Lines read so far.
    pub fn lines(&self) -> u64 {
        self.line
    }

    /// Position reports taken.
    pub fn fixes(&self) -> u64 {
        self.fixes
    }

    /// Take the next line; returns the events it closed.
    pub fn push_line(&mut self, line: &[u8]) -> Result<Vec<Event>, Malformed> {
        self.line += 1;
        // A byte-order mark before the first sentence (editors on Windows write one).
        let line = match line.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) if self.line == 1 => rest,
            _ => line,
        };
        let bad = |reason: String| Malformed {
            line: self.line,
            reason,
        };
        if line.trim_ascii().is_empty() {
            return Ok(Vec::new());
        }
        let s = Sentence::parse(line).map_err(|e| bad(e.to_string()))?;
        if let Some(t) = s.tag.as_ref().and_then(|t| t.time_ms) {
            self.now_ms = t;
        }
        let Some(d) = self
            .decoder
            .decode(s, self.now_ms)
            .map_err(|e| bad(e.to_string()))?
        else {
            return Ok(Vec::new());
        };
        let Some(t_ms) = d.tag.as_ref().and_then(|t| t.time_ms) else {
            return Err(bad("no receive time (tag block c:)".into()));
        };
        let (mmsi, pos, sog) = match &d.message {
            AisMessage::ClassAPosition(m) => {
                (m.mmsi, lat_lon_deg(m.lat, m.lon), speed_knots(m.speed))
            }
            AisMessage::ClassBPosition(m) => {
                (m.mmsi, lat_lon_deg(m.lat, m.lon), speed_knots(m.speed))
            }
            AisMessage::ClassBExtended(m) => {
                (m.mmsi, lat_lon_deg(m.lat, m.lon), speed_knots(m.speed))
            }
            AisMessage::LongRange(m) => (
                m.mmsi,
                (m.lat != 91 * 600 && m.lon != 181 * 600)
                    .then(|| (f64::from(m.lat) / 600.0, f64::from(m.lon) / 600.0)),
                (m.speed < 63).then(|| f64::from(m.speed)),
            ),
            // Static, binary, base-station and other reports carry no vessel position.
            _ => return Ok(Vec::new()),
        };
        // A unit without a position fix reports "not available": valid, nothing to use.
        let Some((lat, lon)) = pos else {
            return Ok(Vec::new());
        };
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(bad(format!("position out of range: lat {lat}, lon {lon}")));
        }
        self.fixes += 1;
        let fix = Fix {
            mmsi,
            t_ms,
            lat,
            lon,
            sog_kn: sog,
        };
        Ok(self
            .engine
            .push(&fix)
            .iter()
            .filter_map(|c| match c {
                Change::Closed(e) => Some(e.clone()),
                Change::Opened(_) => None,
            })
            .collect())
    }

    /// End of input: the events still under way.
    pub fn finish(&mut self) -> Vec<Event> {
        self.engine.finish()
    }
}
