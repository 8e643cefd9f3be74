//! The committed coastline extract (`data/coast-ne10m.txt`, see its header).

use crate::State;

/// The extract, embedded: the crate does no I/O.
pub(crate) const EXTRACT: &str = include_str!("../data/coast-ne10m.txt");

/// One coastline polyline, land on its left.
pub(crate) struct Polyline {
    pub code: State,
    /// `(lat, lon)` degrees.
    pub pts: Vec<(f64, f64)>,
}

pub(crate) struct Extract {
    /// The header's source line (data set, package, version).
    pub source: String,
    pub lines: Vec<Polyline>,
}

/// Parses the extract format; an error names the line.
pub(crate) fn parse(text: &str) -> Result<Extract, String> {
    let mut source = String::new();
    let mut lines: Vec<Polyline> = Vec::new();
    let mut want = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        if let Some(c) = raw.strip_prefix('#') {
            if let Some(s) = c.trim().strip_prefix("Source:") {
                source = s.trim().to_string();
            }
            continue;
        }
        if let Some(rest) = raw.strip_prefix("L ") {
            if want != 0 {
                return Err(format!("line {n}: polyline starts before the last one ended"));
            }
            let mut it = rest.split_whitespace();
            let code = it.next().and_then(State::parse).ok_or(format!("line {n}: bad code"))?;
            want = it
                .next()
                .and_then(|s| s.parse().ok())
                .filter(|&k: &usize| k >= 2)
                .ok_or(format!("line {n}: bad point count"))?;
            lines.push(Polyline {
                code,
                pts: Vec::with_capacity(want),
            });
            continue;
        }
        let mut it = raw.split_whitespace().map(str::parse::<f64>);
        let (Some(Ok(lat)), Some(Ok(lon)), None) = (it.next(), it.next(), it.next()) else {
            return Err(format!("line {n}: expected \"lat lon\""));
        };
        if want == 0 || !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(format!("line {n}: point outside a polyline or off the globe"));
        }
        lines.last_mut().expect("want > 0 implies a polyline").pts.push((lat, lon));
        want -= 1;
    }
    if want != 0 {
        return Err("the last polyline is short of points".into());
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
    fn malformed_extracts_are_refused_with_the_line() {
        assert!(parse("L JPN 2\n1 2\n").unwrap_err().contains("short"));
        assert!(parse("L JPN 2\n1 x\n2 3\n").unwrap_err().starts_with("line 2"));
        assert!(parse("1 2\n").unwrap_err().starts_with("line 1"));
        assert!(parse("L JPN 1\n").unwrap_err().starts_with("line 1"));
        assert!(parse("L JPN 2\n95 2\n").unwrap_err().starts_with("line 2"));
    }
}
