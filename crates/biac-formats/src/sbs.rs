//! SBS-1 BaseStation CSV (the port 30003 format of dump1090 and friends).
//!
//! `MSG,<type>,<session>,<aircraft>,<hex ident>,<flight>,<date gen>,<time gen>,
//! <date logged>,<time logged>,<callsign>,<altitude>,<ground speed>,<track>,<lat>,
//! <lon>,<vertical rate>,<squawk>,<alert>,<emergency>,<spi>,<on ground>` — 22 fields,
//! fewer when a writer drops empty trailing ones. Other record kinds (`SEL`, `ID`,
//! `AIR`, `STA`, `CLK`) are valid and carry nothing biac uses.

use std::collections::{HashMap, VecDeque};

use crate::Fault;

use biac_model::{
    Domain, FeedConfig, Identity, Observation, ObservationKind, Position, TimeMs, Velocity,
};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

const FEET_M: f64 = 0.3048;
const KNOT_MPS: f64 = 1852.0 / 3600.0;
/// SBS carries no NACp, so the position quality is unknown; 50 m one-sigma covers
/// the NACp 8 (< 93 m at 95%) that nearly all airliners report, plus latency.
const POS_SIGMA_M: f64 = 50.0;
/// No NACv either; ground speed and track are rounded to whole knots and degrees by
/// most writers, and NACv 1 is < 10 m/s at 95%: 1.5 m/s one-sigma per axis.
const VEL_SIGMA_MPS: f64 = 1.5;
/// A velocity from an MSG,4 older than this is not applied to a new position.
pub const VELOCITY_MAX_AGE_MS: TimeMs = 10_000;
/// An altitude from another message (MSG,5/6/7) is used this long.
const ALTITUDE_MAX_AGE_MS: TimeMs = 30_000;
/// An aircraft unheard for this long starts afresh (a new flight may bring a new
/// callsign).
const STALE_MS: TimeMs = 30 * 60_000;
/// Aircraft remembered per feed; beyond this the oldest is forgotten.
pub const MAX_AIRCRAFT: usize = 100_000;
/// Longest field accepted (the longest legitimate one is a date or a timestamp).
const MAX_FIELD_LEN: usize = 32;
const FIELDS: usize = 22;

#[derive(Default)]
struct Aircraft {
    callsign: Option<String>,
    altitude: Option<(i32, TimeMs)>,
    /// Ground speed (kt), track (deg), time.
    velocity: Option<(f64, f64, TimeMs)>,
    on_ground: Option<bool>,
    last_seen_ms: TimeMs,
}

/// Stateful SBS decoder for one feed: remembers callsign and velocity per ICAO address,
/// since they arrive in other message types than the position.
#[derive(Default)]
pub struct SbsNormaliser {
    aircraft: HashMap<u32, Aircraft>,
    order: VecDeque<u32>,
}

impl SbsNormaliser {
    pub fn decode(
        &mut self,
        cfg: &FeedConfig,
        line: &[u8],
        now_ms: TimeMs,
    ) -> Result<Vec<Observation>, Fault> {
        let Some(m) = parse_line(line, now_ms)? else {
            return Ok(vec![]);
        };
        let t = m.time_ms;
        let a = self.entry(m.icao, t);
        if let Some(c) = &m.callsign {
            a.callsign = Some(c.clone());
        }
        if let Some(alt) = m.altitude_ft {
            a.altitude = Some((alt, t));
        }
        if let (Some(gs), Some(trk)) = (m.ground_speed_kt, m.track_deg) {
            a.velocity = Some((gs, trk, t));
        }
        if m.on_ground.is_some() {
            a.on_ground = m.on_ground;
        }
        let (Some(lat), Some(lon)) = (m.lat_deg, m.lon_deg) else {
            return Ok(vec![]);
        };
        if !matches!(m.transmission, 2 | 3) {
            return Ok(vec![]);
        }
        let surface = m.transmission == 2 || a.on_ground == Some(true);
        let recent = |at: TimeMs, max: TimeMs| t.abs_diff(at) < max as u64;
        // On the surface the reported altitude is meaningless (writers force 0).
        let alt_ft = if surface {
            None
        } else {
            m.altitude_ft.or(a
                .altitude
                .filter(|(_, at)| recent(*at, ALTITUDE_MAX_AGE_MS))
                .map(|(alt, _)| alt))
        };
        let velocity = a
            .velocity
            .filter(|(_, _, at)| recent(*at, VELOCITY_MAX_AGE_MS))
            .map(|(gs, trk, _)| Velocity::from_sog_cog(gs * KNOT_MPS, trk));
        let position = Position {
            lat_deg: lat,
            lon_deg: lon,
            alt_m: alt_ft.map(|ft| f64::from(ft) * FEET_M),
        };
        Ok(vec![Observation {
            time_ms: t,
            position,
            pos_sigma_m: POS_SIGMA_M,
            vel_sigma_mps: velocity.map(|_| VEL_SIGMA_MPS),
            velocity,
            identity: Identity {
                icao: Some(m.icao),
                callsign: a.callsign.clone(),
                ..Identity::default()
            },
            domain: if surface {
                Domain::Surface
            } else {
                Domain::Air
            },
            affiliation: None,
            kind: ObservationKind::SelfReport,
            feed: cfg.name.clone(),
            sensor: String::new(),
            label: cfg.default_label.clone(),
            polar: None,
        }])
    }

    /// The state for `icao`, created (and the oldest evicted) as needed; reset when
    /// it has gone stale.
    fn entry(&mut self, icao: u32, t: TimeMs) -> &mut Aircraft {
        if !self.aircraft.contains_key(&icao) {
            while self.aircraft.len() >= MAX_AIRCRAFT {
                let Some(old) = self.order.pop_front() else {
                    break;
                };
                self.aircraft.remove(&old);
            }
            self.order.push_back(icao);
        }
        let a = self.aircraft.entry(icao).or_default();
        if t.saturating_sub(a.last_seen_ms) > STALE_MS {
            *a = Aircraft::default();
        }
        a.last_seen_ms = a.last_seen_ms.max(t);
        a
    }

    /// Aircraft currently remembered.
    pub fn tracked(&self) -> usize {
        self.aircraft.len()
    }
}

/// An SBS `MSG` line. Fields not given are written empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SbsMsg {
    /// Transmission type 1..8 (1 identity, 3 airborne position, 4 airborne velocity).
    pub transmission: u8,
    pub icao: u32,
    /// Time generated/logged, ms since the Unix epoch (written as date and time fields).
    pub time_ms: i64,
    pub callsign: Option<String>,
    pub altitude_ft: Option<i32>,
    pub ground_speed_kt: Option<f64>,
    pub track_deg: Option<f64>,
    pub lat_deg: Option<f64>,
    pub lon_deg: Option<f64>,
    pub vertical_rate_fpm: Option<i32>,
    pub squawk: Option<u16>,
    pub on_ground: Option<bool>,
}

/// Which of fields 11..22 each transmission type carries (BaseStation's layout).
struct Carries {
    callsign: bool,
    altitude: bool,
    velocity: bool,
    position: bool,
    vertical_rate: bool,
    squawk: bool,
    alert: bool,
    emergency: bool,
    spi: bool,
    ground: bool,
}

fn carries(transmission: u8) -> Carries {
    let none = Carries {
        callsign: false,
        altitude: false,
        velocity: false,
        position: false,
        vertical_rate: false,
        squawk: false,
        alert: false,
        emergency: false,
        spi: false,
        ground: false,
    };
    match transmission {
        1 => Carries {
            callsign: true,
            ..none
        },
        2 => Carries {
            altitude: true,
            velocity: true,
            position: true,
            ground: true,
            ..none
        },
        3 => Carries {
            altitude: true,
            position: true,
            alert: true,
            emergency: true,
            spi: true,
            ground: true,
            ..none
        },
        4 => Carries {
            velocity: true,
            vertical_rate: true,
            ..none
        },
        5 => Carries {
            altitude: true,
            alert: true,
            spi: true,
            ground: true,
            ..none
        },
        6 => Carries {
            altitude: true,
            squawk: true,
            alert: true,
            emergency: true,
            spi: true,
            ground: true,
            ..none
        },
        7 => Carries {
            altitude: true,
            ground: true,
            ..none
        },
        8 => Carries {
            ground: true,
            ..none
        },
        _ => none,
    }
}

/// Squawks that declare an emergency (hijack, radio failure, general).
fn is_emergency(squawk: u16) -> bool {
    matches!(squawk, 7500 | 7600 | 7700)
}

/// Format one `MSG,...` line (no line terminator).
///
/// The layout is BaseStation's as dump1090 writes it: session, aircraft and flight
/// ids 1; generated and logged times both `time_ms`; only the fields the
/// transmission type defines are written (others stay empty, whatever `m` holds);
/// alert and SPI are 0, emergency is -1 for squawk 7500/7600/7700, on-ground -1/0
/// (empty when unknown). Latitude and longitude have five decimals; the squawk is
/// written as its four digits.
pub fn format_line(m: &SbsMsg) -> String {
    let c = carries(m.transmission);
    let when = OffsetDateTime::from_unix_timestamp_nanos(i128::from(m.time_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let date = format!(
        "{:04}/{:02}/{:02}",
        when.year(),
        u8::from(when.month()),
        when.day()
    );
    let time = format!(
        "{:02}:{:02}:{:02}.{:03}",
        when.hour(),
        when.minute(),
        when.second(),
        when.millisecond()
    );
    let opt = |on: bool, v: Option<String>| {
        if on {
            v.unwrap_or_default()
        } else {
            String::new()
        }
    };
    let num = |v: Option<f64>| v.filter(|x| x.is_finite()).map(|x| format!("{x}"));
    let deg5 = |v: Option<f64>| v.filter(|x| x.is_finite()).map(|x| format!("{x:.5}"));
    let flag = |b: bool| if b { "-1" } else { "0" }.to_string();
    let fields = [
        opt(c.callsign, m.callsign.clone()),
        opt(c.altitude, m.altitude_ft.map(|a| a.to_string())),
        opt(c.velocity, num(m.ground_speed_kt)),
        opt(c.velocity, num(m.track_deg)),
        opt(c.position, deg5(m.lat_deg)),
        opt(c.position, deg5(m.lon_deg)),
        opt(c.vertical_rate, m.vertical_rate_fpm.map(|v| v.to_string())),
        opt(c.squawk, m.squawk.map(|s| format!("{s:04}"))),
        opt(c.alert, Some(flag(false))),
        opt(c.emergency, Some(flag(m.squawk.is_some_and(is_emergency)))),
        opt(c.spi, Some(flag(false))),
        opt(c.ground, m.on_ground.map(flag)),
    ];
    format!(
        "MSG,{},1,1,{:06X},1,{date},{time},{date},{time},{}",
        m.transmission,
        m.icao & 0x00ff_ffff,
        fields.join(",")
    )
}

/// Parse one line. `Ok(None)` for valid non-`MSG` records (`SEL`, `ID`, `AIR`,
/// `STA`, `CLK`). Times come from the generated date/time fields, else the logged
/// ones, else `now_ms`.
pub fn parse_line(line: &[u8], now_ms: TimeMs) -> Result<Option<SbsMsg>, Fault> {
    let line = line.trim_ascii();
    if let Some(b) = line.iter().find(|b| !(b.is_ascii_graphic() || **b == b' ')) {
        return Err(Fault::Encoding(format!("non-printable byte 0x{b:02x}")));
    }
    let line =
        std::str::from_utf8(line).map_err(|_| Fault::Encoding("line is not ASCII".into()))?;
    let f: Vec<&str> = line.split(',').map(str::trim).collect();
    if f.len() > FIELDS {
        return Err(Fault::Syntax(format!(
            "{} fields, at most {FIELDS} expected",
            f.len()
        )));
    }
    if let Some((i, _)) = f.iter().enumerate().find(|(_, s)| s.len() > MAX_FIELD_LEN) {
        return Err(Fault::Syntax(format!(
            "field {} longer than {MAX_FIELD_LEN} characters",
            i + 1
        )));
    }
    match f[0] {
        "MSG" => {}
        "SEL" | "ID" | "AIR" | "STA" | "CLK" => return Ok(None),
        "" => return Err(Fault::Truncated("empty record".into())),
        other => return Err(Fault::Unsupported(format!("unknown record type {other:?}"))),
    }
    // Missing trailing fields read as empty.
    let get = |i: usize| f.get(i - 1).copied().unwrap_or("");
    let transmission = match get(2) {
        t @ ("1" | "2" | "3" | "4" | "5" | "6" | "7" | "8") => t.as_bytes()[0] - b'0',
        t => {
            return Err(Fault::field(
                "transmission type",
                format!("transmission type {t:?} is not 1..8"),
            ))
        }
    };
    let hex = get(5);
    if hex.starts_with('~') {
        return Err(Fault::Unsupported(format!(
            "non-ICAO address {hex:?} (TIS-B/anonymous) not accepted"
        )));
    }
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Fault::field(
            "hex ident",
            format!("hex ident {hex:?} is not a 24-bit ICAO address"),
        ));
    }
    let icao = u32::from_str_radix(hex, 16)
        .map_err(|e| Fault::field("hex ident", format!("hex ident {hex:?}: {e}")))?;
    let time_ms = match parse_time(get(7), get(8))? {
        Some(t) => t,
        None => parse_time(get(9), get(10))?.unwrap_or(now_ms),
    };
    let callsign = match get(11) {
        "" => None,
        c if c.len() <= 8 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ') => {
            Some(c.trim().to_string()).filter(|c| !c.is_empty())
        }
        c => {
            return Err(Fault::field(
                "callsign",
                format!("callsign {c:?} is not 1..8 letters and digits"),
            ))
        }
    };
    let altitude_ft = int(get(12), "altitude", -2_000, 200_000)?;
    let ground_speed_kt = float(get(13), "ground speed", 0.0, 5_000.0)?;
    let track_deg = float(get(14), "track", 0.0, 360.0)?;
    let lat_deg = float(get(15), "latitude", -90.0, 90.0)?;
    let lon_deg = float(get(16), "longitude", -180.0, 180.0)?;
    if lat_deg.is_some() != lon_deg.is_some() {
        return Err(Fault::field(
            "longitude",
            "latitude without longitude or the reverse",
        ));
    }
    let vertical_rate_fpm = int(get(17), "vertical rate", -100_000, 100_000)?;
    let squawk = match get(18) {
        "" => None,
        s if s.len() == 4 && s.bytes().all(|b| (b'0'..=b'7').contains(&b)) => Some(
            s.parse()
                .map_err(|_| Fault::field("squawk", format!("squawk {s:?}")))?,
        ),
        s => {
            return Err(Fault::field(
                "squawk",
                format!("squawk {s:?} is not four octal digits"),
            ))
        }
    };
    for i in 19..=21 {
        flag(get(i), i)?;
    }
    let on_ground = flag(get(22), 22)?;
    Ok(Some(SbsMsg {
        transmission,
        icao,
        time_ms,
        callsign,
        altitude_ft,
        ground_speed_kt,
        track_deg,
        lat_deg,
        lon_deg,
        vertical_rate_fpm,
        squawk,
        on_ground,
    }))
}

fn int(s: &str, what: &'static str, min: i32, max: i32) -> Result<Option<i32>, Fault> {
    if s.is_empty() {
        return Ok(None);
    }
    let v: i32 = s
        .parse()
        .map_err(|_| Fault::field(what, format!("{what} {s:?} is not an integer")))?;
    if !(min..=max).contains(&v) {
        return Err(Fault::field(
            what,
            format!("{what} {v} out of range {min}..{max}"),
        ));
    }
    Ok(Some(v))
}

fn float(s: &str, what: &'static str, min: f64, max: f64) -> Result<Option<f64>, Fault> {
    if s.is_empty() {
        return Ok(None);
    }
    // Plain decimals only: no exponents, infinities or NaN.
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'))
    {
        return Err(Fault::field(what, format!("{what} {s:?} is not a number")));
    }
    let v: f64 = s
        .parse()
        .map_err(|_| Fault::field(what, format!("{what} {s:?} is not a number")))?;
    if !(min..=max).contains(&v) {
        return Err(Fault::field(
            what,
            format!("{what} {v} out of range {min}..{max}"),
        ));
    }
    Ok(Some(v))
}

/// BaseStation flags: empty, 0, or -1 (some writers use 1) for set.
fn flag(s: &str, field: usize) -> Result<Option<bool>, Fault> {
    match s {
        "" => Ok(None),
        "0" => Ok(Some(false)),
        "-1" | "1" => Ok(Some(true)),
        _ => Err(Fault::field(
            "flag",
            format!("flag field {field} is {s:?}, expected 0 or -1"),
        )),
    }
}

/// `YYYY/MM/DD` and `HH:MM:SS[.fff]` (UTC) to ms; `None` when both are empty.
fn parse_time(date: &str, time: &str) -> Result<Option<TimeMs>, Fault> {
    if date.is_empty() && time.is_empty() {
        return Ok(None);
    }
    let bad = || {
        Fault::field(
            "date/time",
            format!("date/time {date:?} {time:?} is not YYYY/MM/DD HH:MM:SS.fff"),
        )
    };
    let nums = |s: &str, sep: char, n: usize| -> Option<Vec<u32>> {
        let v: Vec<u32> = s
            .split(sep)
            .map(|p| {
                (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| p.parse().ok())
                    .flatten()
            })
            .collect::<Option<_>>()?;
        (v.len() == n).then_some(v)
    };
    let d = nums(date, '/', 3).ok_or_else(bad)?;
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let t = nums(hms, ':', 3).ok_or_else(bad)?;
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    // Milliseconds from the first three fraction digits.
    let ms = format!("{frac:0<3}")
        .get(..3)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(bad)?;
    let month = u8::try_from(d[1])
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let small = |v: u32| u8::try_from(v).map_err(|_| bad());
    let year = i32::try_from(d[0]).map_err(|_| bad())?;
    let date = Date::from_calendar_date(year, month, small(d[2])?).map_err(|_| bad())?;
    let time =
        Time::from_hms_milli(small(t[0])?, small(t[1])?, small(t[2])?, ms).map_err(|_| bad())?;
    let at = PrimitiveDateTime::new(date, time).assume_utc();
    Ok(Some((at.unix_timestamp_nanos() / 1_000_000) as TimeMs))
}

#[cfg(test)]
mod tests;
