//! The committed coastline extracts (`data/coast-ne10m.txt` for the theatre's zones,
//! `data/land-ne50m.txt` for the distance to shore elsewhere; see their headers).

use crate::State;

/// The theatre's extract, embedded: the crate does no I/O.
pub(crate) const EXTRACT: &str = include_str!("../data/coast-ne10m.txt");

/// The rest of the world's coast (shore only, coarser), embedded. Its lines are `WLD`.
pub(crate) const WORLD: &str = include_str!("../data/land-ne50m.txt");

/// The state code of the world extract's lines: land that names no state.
pub const WORLD_LAND: State = State(*b"WLD");

/// One coastline polyline, land on its left.
#[derive(Debug)]
pub(crate) struct Polyline {
    pub code: State,
    /// `(lat, lon)` degrees.
    pub pts: Vec<(f64, f64)>,
}

#[derive(Debug)]
pub(crate) struct Extract {
    /// The header's source line (data set, package, version).
    pub source: String,
    pub lines: Vec<Polyline>,
}

/// What is wrong with an extract: the line (1-based) when one is at fault, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExtractError {
    pub line: Option<usize>,
    pub what: &'static str,
}

impl std::fmt::Display for ExtractError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(n) => write!(f, "line {n}: {}", self.what),
            None => f.write_str(self.what),
        }
    }
}

impl std::error::Error for ExtractError {}

/// Parses the extract format; an error names the line.
pub(crate) fn parse(text: &str) -> Result<Extract, ExtractError> {
    let mut source = String::new();
    let mut lines: Vec<Polyline> = Vec::new();
    let mut want = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let at = |what| ExtractError {
            line: Some(n),
            what,
        };
        if let Some(c) = raw.strip_prefix('#') {
            if let Some(s) = c.trim().strip_prefix("Source:") {
                source = s.trim().to_string();
            }
            continue;
        }
        if let Some(rest) = raw.strip_prefix("L ") {
            if want != 0 {
                return Err(at("polyline starts before the last one ended"));
            }
            let mut it = rest.split_whitespace();
            let code = it.next().and_then(State::parse).ok_or(at("bad code"))?;
            want = it
                .next()
                .and_then(|s| s.parse().ok())
                .filter(|&k: &usize| k >= 2)
                .ok_or(at("bad point count"))?;
            lines.push(Polyline {
                code,
                pts: Vec::with_capacity(want),
            });
            continue;
        }
        let mut it = raw.split_whitespace().map(str::parse::<f64>);
        let (Some(Ok(lat)), Some(Ok(lon)), None) = (it.next(), it.next(), it.next()) else {
            return Err(at("expected \"lat lon\""));
        };
        if want == 0 || !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(at("point outside a polyline or off the globe"));
        }
        lines
            .last_mut()
            .expect("want > 0 implies a polyline")
            .pts
            .push((lat, lon));
        want -= 1;
    }
    if want != 0 {
        return Err(ExtractError {
            line: None,
            what: "the last polyline is short of points",
        });
    }
    // Hong Kong and Macao are China's for zones.
    for l in &mut lines {
        if l.code == State(*b"HKG") || l.code == State(*b"MAC") {
            l.code = State::CHN;
        }
    }
    Ok(Extract { source, lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_extract_parses() {
        let e = parse(EXTRACT).unwrap();
        assert!(e.source.contains("world-atlas"), "{}", e.source);
        assert!(e.lines.len() > 500);
        assert!(e.lines.iter().any(|l| l.code == State::JPN));
    }

    #[test]
    fn the_world_extract_parses_and_names_no_state() {
        let e = parse(WORLD).unwrap();
        assert!(e.source.contains("land-50m"), "{}", e.source);
        assert!(e.lines.len() > 1000);
        assert!(e.lines.iter().all(|l| l.code == WORLD_LAND));
    }

    #[test]
    fn malformed_extracts_are_refused_with_the_line() {
        let err = |text| parse(text).unwrap_err();
        assert_eq!(err("L JPN 2\n1 2\n").line, None);
        assert!(err("L JPN 2\n1 2\n").to_string().contains("short"));
        assert_eq!(
            err("L JPN 2\n1 x\n2 3\n").to_string(),
            "line 2: expected \"lat lon\""
        );
        assert_eq!(err("1 2\n").line, Some(1));
        assert_eq!(err("L JPN 1\n").to_string(), "line 1: bad point count");
        assert_eq!(err("L JPN 2\n95 2\n").line, Some(2));
    }
}
