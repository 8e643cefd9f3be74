//! `plots3d`: missile-defence radar plots, one per line — the PLOTS.csv row of
//! `biac ballistic` (issue 15 part 8) with Unix-millisecond time, for live feeds.
//!
//! A feed line has the fixed columns [`FEED_COLUMNS`] (the last two, range-rate and its
//! sigma, optional: 11 or 13 fields). A file (`biac ballistic`) has a header naming its
//! columns in any order ([`Columns::from_header`]). Both go through [`parse_row`], so the
//! offline command and the live feed accept exactly the same plots; each caller reads
//! the time on its own clock (seconds with any origin offline, Unix ms live).
//!
//! Units and conventions: sensor position WGS84 degrees and metres above the ellipsoid;
//! slant range; azimuth clockwise from true north; elevation above the plane normal to
//! the ellipsoid at the antenna; range-rate positive opening; sigmas 1-σ.

use crate::Fault;
use biac_model::{
    Domain, Elevation, FeedConfig, Label, Observation, PolarMeasurement, Position, SitePin, TimeMs,
};

/// The columns of a feed line, in order (the last two optional).
pub const FEED_COLUMNS: [&str; 13] = [
    "time_ms",
    "sensor",
    "sensor_lat",
    "sensor_lon",
    "sensor_alt_m",
    "range_m",
    "azimuth_deg",
    "elevation_deg",
    "sigma_range_m",
    "sigma_azimuth_deg",
    "sigma_elevation_deg",
    "range_rate_mps",
    "sigma_range_rate_mps",
];

/// The measurement columns (all but the time), in [`FEED_COLUMNS`] order.
const MEASURED: [&str; 10] = [
    "sensor",
    "sensor_lat",
    "sensor_lon",
    "sensor_alt_m",
    "range_m",
    "azimuth_deg",
    "elevation_deg",
    "sigma_range_m",
    "sigma_azimuth_deg",
    "sigma_elevation_deg",
];

/// No radar measures beyond this slant range (m): a larger one is a unit mistake.
pub const MAX_RANGE_M: f64 = 50_000_000.0;
/// A feed's site pin: rows whose site is further than this (m) are refused.
pub const SITE_TOLERANCE_M: f64 = 1.0;

/// One radar plot, without its time.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot3d {
    pub sensor: String,
    pub sensor_lat: f64,
    pub sensor_lon: f64,
    pub sensor_alt_m: f64,
    pub range_m: f64,
    pub azimuth_deg: f64,
    pub elevation_deg: f64,
    pub sigma_range_m: f64,
    pub sigma_azimuth_deg: f64,
    pub sigma_elevation_deg: f64,
    /// Range-rate and its sigma, m/s, where the radar measures it.
    pub range_rate: Option<(f64, f64)>,
}

/// Where a row's fields are: fixed for a feed line, from the header for a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    time: usize,
    measured: [usize; 10],
    rate: Option<(usize, usize)>,
    /// Field counts a row may have.
    widths: (usize, usize),
}

impl Columns {
    /// A feed line's columns: [`FEED_COLUMNS`], with or without the range-rate pair.
    pub fn feed() -> Columns {
        Columns {
            time: 0,
            measured: std::array::from_fn(|k| k + 1),
            rate: Some((11, 12)),
            widths: (11, 13),
        }
    }

    /// A file's columns, found by name in its header line; `time` names the time column
    /// (`t_s` for `biac ballistic`). The range-rate pair is used when both are present.
    pub fn from_header(header: &str, time: &str) -> Result<Columns, Fault> {
        let names: Vec<&str> = header
            .trim_start_matches('\u{feff}')
            .split(',')
            .map(str::trim)
            .collect();
        let col = |n: &str| {
            names
                .iter()
                .position(|h| *h == n)
                .ok_or_else(|| Fault::Syntax(format!("header has no column `{n}`")))
        };
        let mut measured = [0; 10];
        for (k, n) in MEASURED.iter().enumerate() {
            measured[k] = col(n)?;
        }
        Ok(Columns {
            time: col(time)?,
            measured,
            rate: col("range_rate_mps")
                .ok()
                .zip(col("sigma_range_rate_mps").ok()),
            widths: (names.len(), names.len()),
        })
    }
}

/// Parse one row (no terminator): the time field as written, and the plot. Refuses a
/// wrong field count, a value that is not a finite number, a position or angle out of
/// range, a range beyond [`MAX_RANGE_M`], a sigma that is not positive, and a range-rate
/// without its sigma.
pub fn parse_row<'a>(line: &'a str, cols: &Columns) -> Result<(&'a str, Plot3d), Fault> {
    let f: Vec<&str> = line.split(',').map(str::trim).collect();
    if f.len() != cols.widths.0 && f.len() != cols.widths.1 {
        return Err(Fault::Syntax(if cols.widths.0 == cols.widths.1 {
            format!("{} fields, the header has {}", f.len(), cols.widths.0)
        } else {
            format!(
                "{} fields, a plots3d line has {} or {}",
                f.len(),
                cols.widths.0,
                cols.widths.1
            )
        }));
    }
    let num = |k: usize| -> Result<f64, Fault> {
        let s = f[cols.measured[k]];
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                Fault::field(
                    MEASURED[k],
                    format!("{}: not a finite number: `{s}`", MEASURED[k]),
                )
            })
    };
    let positive = |k: usize| -> Result<f64, Fault> {
        let v = num(k)?;
        if v > 0.0 {
            Ok(v)
        } else {
            Err(Fault::field(
                MEASURED[k],
                format!("{} must be positive, got {v}", MEASURED[k]),
            ))
        }
    };
    let sensor = f[cols.measured[0]];
    if sensor.is_empty() {
        return Err(Fault::field(MEASURED[0], "sensor: empty"));
    }
    let (lat, lon) = (num(1)?, num(2)?);
    if lat.abs() > 90.0 || lon.abs() > 360.0 {
        return Err(Fault::field(
            if lat.abs() > 90.0 {
                MEASURED[1]
            } else {
                MEASURED[2]
            },
            format!("sensor position out of range: {lat}, {lon}"),
        ));
    }
    let alt = num(3)?;
    if alt.abs() > 100_000.0 {
        return Err(Fault::field(
            MEASURED[3],
            format!("sensor_alt_m {alt} is not within ±100 km"),
        ));
    }
    let range_m = positive(4)?;
    if range_m > MAX_RANGE_M {
        return Err(Fault::field(
            MEASURED[4],
            format!("range_m {range_m} is beyond {MAX_RANGE_M} m"),
        ));
    }
    let el = num(6)?;
    if el.abs() > 90.0 {
        return Err(Fault::field(
            MEASURED[6],
            format!("elevation_deg out of range: {el}"),
        ));
    }
    let field = |i: usize| f.get(i).copied().unwrap_or("");
    let range_rate = match cols.rate {
        Some((a, b)) if !field(a).is_empty() => {
            let rr = field(a).parse::<f64>().ok().filter(|v| v.is_finite());
            let s = field(b)
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0);
            match (rr, s) {
                (Some(rr), Some(s)) => Some((rr, s)),
                _ => {
                    return Err(Fault::field(
                        "range_rate_mps",
                        "range_rate_mps needs a finite value and a positive sigma",
                    ))
                }
            }
        }
        _ => None,
    };
    let plot = Plot3d {
        sensor: sensor.to_string(),
        sensor_lat: lat,
        sensor_lon: lon,
        sensor_alt_m: alt,
        range_m,
        azimuth_deg: num(5)?,
        elevation_deg: el,
        sigma_range_m: positive(7)?,
        sigma_azimuth_deg: positive(8)?,
        sigma_elevation_deg: positive(9)?,
        range_rate,
    };
    Ok((f[cols.time], plot))
}

impl Plot3d {
    /// The plot as the tracker's observation of an air target: `polar` holds range,
    /// azimuth, elevation (and range-rate); `position` is where they put the target
    /// (altitude included), with a circular sigma of the larger cross-range error.
    pub fn observation(&self, time_ms: TimeMs, feed: &str, label: Label) -> Observation {
        let site = (self.sensor_lat, self.sensor_lon, self.sensor_alt_m);
        let p = biac_geo::point_at_aer(site, self.range_m, self.azimuth_deg, self.elevation_deg);
        let (lat, lon, h) = biac_geo::ecef_to_geodetic(p);
        let ang = self
            .sigma_azimuth_deg
            .max(self.sigma_elevation_deg)
            .to_radians();
        let pos = Position {
            lat_deg: lat,
            lon_deg: lon,
            alt_m: Some(h),
        };
        let sigma = (self.range_m * ang).max(self.sigma_range_m);
        Observation::new(time_ms, pos, sigma, feed, label)
            .with_domain(Domain::Air)
            .with_sensor(self.sensor.clone())
            .with_polar(PolarMeasurement {
                sensor_position: Position {
                    lat_deg: self.sensor_lat,
                    lon_deg: self.sensor_lon,
                    alt_m: Some(self.sensor_alt_m),
                },
                sensor_velocity: None,
                range_m: self.range_m,
                range_sigma_m: self.sigma_range_m,
                azimuth_rad: self.azimuth_deg.to_radians(),
                azimuth_sigma_rad: self.sigma_azimuth_deg.to_radians(),
                range_rate_mps: self.range_rate.map(|x| x.0),
                range_rate_sigma_mps: self.range_rate.map(|x| x.1),
                ground_fix: false,
                elevation: Some(Elevation {
                    rad: self.elevation_deg.to_radians(),
                    sigma_rad: self.sigma_elevation_deg.to_radians(),
                }),
            })
    }

    /// Distance (m, straight line) from the plot's site to `pin`.
    pub fn site_offset_m(&self, pin: &SitePin) -> f64 {
        let a = biac_geo::geodetic_to_ecef(self.sensor_lat, self.sensor_lon, self.sensor_alt_m);
        let b = biac_geo::geodetic_to_ecef(pin.lat_deg, pin.lon_deg, pin.alt_m);
        ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
    }
}

/// Earliest and latest accepted feed time (Unix ms): 1970 to 2400, so a seconds or
/// microseconds clock is refused rather than read as another era.
const FEED_TIME_MS: std::ops::RangeInclusive<i64> = 0..=13_569_465_600_000;

/// Decode one feed line (no terminator) to its observation, labelled by the feed (a
/// plot carries no markings). With a site pin, a row from another site is refused.
pub fn decode_line(
    cfg: &FeedConfig,
    pin: Option<&SitePin>,
    line: &[u8],
) -> Result<Observation, Fault> {
    let text = std::str::from_utf8(line).map_err(|e| Fault::Encoding(format!("not UTF-8: {e}")))?;
    let text = text.trim_end_matches('\r');
    let (t, plot) = parse_row(text, &Columns::feed())?;
    let time_ms: i64 = t
        .parse()
        .ok()
        .filter(|v| FEED_TIME_MS.contains(v))
        .ok_or_else(|| {
            Fault::field(
                "time_ms",
                format!("time_ms: not Unix milliseconds (1970–2400): `{t}`"),
            )
        })?;
    if let Some(pin) = pin {
        let off = plot.site_offset_m(pin);
        if off.is_nan() || off > SITE_TOLERANCE_M {
            return Err(Fault::field(
                "sensor",
                format!(
                    "sensor site {}, {}, {} m is {off:.1} m from the feed's site",
                    plot.sensor_lat, plot.sensor_lon, plot.sensor_alt_m
                ),
            ));
        }
    }
    let obs = plot.observation(time_ms, &cfg.name, cfg.default_label.clone());
    if !obs.position.is_valid() {
        return Err(Fault::field(
            "range_m",
            "range, azimuth and elevation put the target at no valid position",
        ));
    }
    Ok(obs)
}

/// One framed feed record to observations: none for a blank line or a header line
/// (starting `time_ms,`, as a replayed file may carry), else [`decode_line`]'s one.
pub fn decode_record(
    cfg: &FeedConfig,
    pin: Option<&SitePin>,
    record: &[u8],
) -> Result<Vec<Observation>, Fault> {
    if record.trim_ascii().is_empty() || record.starts_with(b"time_ms,") {
        return Ok(vec![]);
    }
    decode_line(cfg, pin, record).map(|o| vec![o])
}

/// One feed line for `plot` at `time_ms`, without its terminator (the encoder of
/// [`decode_line`]; the simulator's missile-defence radars speak it).
pub fn encode_line(time_ms: TimeMs, p: &Plot3d) -> String {
    let mut s = format!(
        "{time_ms},{},{:.6},{:.6},{:.1},{:.3},{:.7},{:.7},{},{:.7},{:.7}",
        p.sensor,
        p.sensor_lat,
        p.sensor_lon,
        p.sensor_alt_m,
        p.range_m,
        p.azimuth_deg,
        p.elevation_deg,
        p.sigma_range_m,
        p.sigma_azimuth_deg,
        p.sigma_elevation_deg
    );
    if let Some((rr, s_rr)) = p.range_rate {
        s.push_str(&format!(",{rr:.3},{s_rr}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use biac_model::{Classification, FeedFormat, Nation, ObservationKind};

    fn cfg(site: Option<SitePin>) -> FeedConfig {
        FeedConfig {
            name: "tpy2".into(),
            format: FeedFormat::Plots3d { site },
            nation: Nation::USA,
            default_label: Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]),
            trusted_markings: false,
            cot_kind: ObservationKind::Plot,
            description: String::new(),
            limits: Default::default(),
        }
    }

    fn plot() -> Plot3d {
        Plot3d {
            sensor: "tpy2-shariki".into(),
            sensor_lat: 40.89,
            sensor_lon: 140.33,
            sensor_alt_m: 80.0,
            range_m: 812_345.678,
            azimuth_deg: 265.1234567,
            elevation_deg: 12.3456789,
            sigma_range_m: 10.0,
            sigma_azimuth_deg: 0.0286479,
            sigma_elevation_deg: 0.0286479,
            range_rate: Some((-2_345.5, 0.5)),
        }
    }

    #[test]
    fn line_round_trips_with_and_without_range_rate() {
        for rr in [Some((-2_345.5, 0.5)), None] {
            let p = Plot3d {
                range_rate: rr,
                ..plot()
            };
            let line = encode_line(1_748_736_030_000, &p);
            let (t, back) = parse_row(&line, &Columns::feed()).unwrap();
            assert_eq!(t, "1748736030000");
            assert_eq!(back, p);
            let o = decode_line(&cfg(None), None, line.as_bytes()).unwrap();
            assert_eq!(o.time_ms, 1_748_736_030_000);
            assert_eq!(o.domain, Domain::Air);
            assert_eq!(o.feed, "tpy2");
            let polar = o.polar.unwrap();
            assert!((polar.elevation.unwrap().rad - 12.3456789f64.to_radians()).abs() < 1e-12);
            assert_eq!(polar.range_rate_mps, rr.map(|x| x.0));
            // The converted point is ~812 km out at ~12° elevation: well above 100 km.
            assert!(o.position.alt_m.unwrap() > 100_000.0);
        }
    }

    #[test]
    fn malformed_lines_are_refused_with_a_reason() {
        let good = encode_line(1_748_736_030_000, &plot());
        let bad = [
            "",
            "1748736030000,tpy2",
            &good.replacen("1748736030000", "1748736030.5", 1),
            &good.replacen("1748736030000", "99999999999999999", 1),
            &good.replacen("tpy2-shariki", "", 1),
            &good.replacen("812345.678", "-1", 1),
            &good.replacen("812345.678", "1e12", 1),
            &good.replacen("812345.678", "NaN", 1),
            &good.replacen("12.3456789", "91", 1),
            &good.replacen("40.890000", "95", 1),
            &good.replacen(",10,", ",0,", 1),
            &good.replacen(",0.5", ",", 1),
            &format!("{good},7"),
        ];
        for l in bad {
            assert!(
                decode_line(&cfg(None), None, l.as_bytes()).is_err(),
                "accepted: {l}"
            );
        }
        assert!(decode_line(&cfg(None), None, &[0xff, b',', 0xfe]).is_err());
    }

    #[test]
    fn a_pinned_feed_refuses_another_site() {
        let pin = SitePin {
            lat_deg: 40.89,
            lon_deg: 140.33,
            alt_m: 80.0,
        };
        let line = encode_line(1_748_736_030_000, &plot());
        assert!(decode_line(&cfg(Some(pin)), Some(&pin), line.as_bytes()).is_ok());
        // 2 m higher: another antenna.
        let moved = SitePin { alt_m: 82.0, ..pin };
        let e = decode_line(&cfg(Some(moved)), Some(&moved), line.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("from the feed's site"), "{e}");
        // Within the tolerance (0.5 m).
        let near = SitePin { alt_m: 80.5, ..pin };
        assert!(decode_line(&cfg(Some(near)), Some(&near), line.as_bytes()).is_ok());
    }

    #[test]
    fn header_columns_in_any_order() {
        let cols = Columns::from_header(
            "sensor,t_s,sensor_lat,sensor_lon,sensor_alt_m,range_m,azimuth_deg,elevation_deg,sigma_range_m,sigma_azimuth_deg,sigma_elevation_deg",
            "t_s",
        )
        .unwrap();
        let (t, p) = parse_row("s1,12.5,40,140,0,1000,10,5,10,0.1,0.1", &cols).unwrap();
        assert_eq!(t, "12.5");
        assert_eq!(p.sensor, "s1");
        assert_eq!(p.range_rate, None);
        assert!(parse_row("s1,12.5,40,140,0,1000,10,5,10,0.1", &cols).is_err());
        assert!(Columns::from_header("t_s,sensor", "t_s").is_err());
    }
}
