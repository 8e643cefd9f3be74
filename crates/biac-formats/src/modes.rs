//! Mode S and ADS-B: decoding through the `rs1090` crate, CPR position
//! resolution (global from an even/odd pair, local from a reference), and the
//! result as SBS-1 BaseStation records ([`SbsMsg`]), the form the rest of biac
//! (and dump1090's port 30003) already speaks.
//!
//! Also a small encoder for DF17 extended squitters (identification, airborne
//! position, airborne velocity) and DF4/DF5 replies with their CRC, for the
//! simulator and the tests.

use std::collections::{HashMap, VecDeque};

use rs1090::decode::adsb::ME;
use rs1090::decode::bds::bds05::AirbornePosition;
use rs1090::decode::bds::bds09::AirborneVelocitySubType;
use rs1090::decode::cpr::{airborne_position, airborne_position_with_reference, CPRFormat};
use rs1090::decode::{Message, DF};

use crate::sbs::{format_line, SbsMsg, SbsNormaliser};
use crate::Fault;
use biac_model::{FeedConfig, Observation, TimeMs};

/// Largest gap between the even and odd frames of a global CPR decode (DO-260:
/// 10 s airborne).
pub const CPR_PAIR_MAX_MS: i64 = 10_000;
/// Aircraft remembered; beyond this the oldest is forgotten.
pub const MAX_AIRCRAFT: usize = 20_000;
/// An address seen in an ADS-B or all-call message stays "known" this long, for
/// replies whose address is only recovered from their parity (DF4, 5, 20, 21).
pub const KNOWN_ADDRESS_MS: i64 = 60_000;

/// What one Mode S message says.
#[derive(Clone, Debug, PartialEq)]
pub enum ModeS {
    /// DF17/18 TC 1-4.
    Identification { icao: u32, callsign: String },
    /// DF17/18 TC 9-18 and 20-22, CPR-encoded (17-bit fractions).
    AirbornePosition {
        icao: u32,
        alt_ft: Option<i32>,
        odd: bool,
        lat_cpr: u32,
        lon_cpr: u32,
    },
    /// DF17/18 TC 19 (ground speed subtypes; airspeed ones give no track).
    Velocity {
        icao: u32,
        ground_speed_kt: Option<f64>,
        track_deg: Option<f64>,
        vertical_rate_fpm: Option<i32>,
    },
    /// DF0, DF4, DF16, DF20: altitude, address from parity.
    Altitude {
        df: u8,
        icao: u32,
        alt_ft: Option<i32>,
    },
    /// DF5, DF21: identity (squawk, as its four octal digits read in decimal).
    Identity { df: u8, icao: u32, squawk: u16 },
    /// DF11.
    AllCall { icao: u32 },
    /// Other ADS-B content or formats.
    Other { df: u8, icao: Option<u32> },
}

impl ModeS {
    pub fn icao(&self) -> Option<u32> {
        match self {
            ModeS::Identification { icao, .. }
            | ModeS::AirbornePosition { icao, .. }
            | ModeS::Velocity { icao, .. }
            | ModeS::Altitude { icao, .. }
            | ModeS::Identity { icao, .. }
            | ModeS::AllCall { icao } => Some(*icao),
            ModeS::Other { icao, .. } => *icao,
        }
    }

    /// Whether the address was checked by the CRC (ADS-B, all-call) rather than
    /// recovered from an address/parity field.
    pub fn address_verified(&self) -> bool {
        matches!(
            self,
            ModeS::Identification { .. }
                | ModeS::AirbornePosition { .. }
                | ModeS::Velocity { .. }
                | ModeS::AllCall { .. }
        ) || matches!(
            self,
            ModeS::Other {
                icao: Some(_),
                df: 17 | 18
            }
        )
    }
}

/// Decode one Mode S message (7 or 14 bytes). A DF17/18 with a bad CRC is an error.
pub fn decode(msg: &[u8]) -> Result<ModeS, Fault> {
    decode_full(msg).map(|(m, _)| m)
}

/// [`decode`], with rs1090's airborne position for CPR resolution.
fn decode_full(msg: &[u8]) -> Result<(ModeS, Option<AirbornePosition>), Fault> {
    if msg.len() != 7 && msg.len() != 14 {
        return Err(Fault::Syntax(format!(
            "Mode S message of {} bytes (7 or 14)",
            msg.len()
        )));
    }
    let df_bits = msg[0] >> 3;
    let long = matches!(df_bits, 16..=24) || df_bits >= 24;
    if long != (msg.len() == 14) {
        return Err(Fault::Syntax(format!(
            "DF{df_bits} message of {} bytes has the wrong length",
            msg.len()
        )));
    }
    // rs1090 never panics on its own account, but guard the boundary anyway: a
    // decoder here must not take the process down.
    let decoded = std::panic::catch_unwind(|| Message::try_from(msg))
        .map_err(|_| Fault::Syntax("Mode S decoder panicked".into()))?
        .map_err(|e| {
            // rs1090 reports a bad ADS-B CRC as an assertion naming the CRC.
            let text = format!("DF{df_bits}: {e}");
            if text.contains("CRC") {
                Fault::Checksum(text)
            } else {
                Fault::Syntax(text)
            }
        })?;
    let crc = decoded.crc;
    let mut position = None;
    let m = match decoded.df {
        DF::ExtendedSquitterADSB(adsb) => {
            let icao = adsb.icao24.0;
            match adsb.message {
                ME::BDS08 { inner, .. } => ModeS::Identification {
                    icao,
                    callsign: inner.callsign.trim_end_matches([' ', '_', '#']).to_string(),
                },
                ME::BDS05 { inner, .. } => {
                    position = Some(inner);
                    airborne(icao, &inner)
                }
                ME::BDS09(v) => {
                    let (gs, track) = match &v.velocity {
                        AirborneVelocitySubType::GroundSpeedDecoding(g) => {
                            (Some(g.groundspeed), Some(g.track))
                        }
                        _ => (None, None),
                    };
                    ModeS::Velocity {
                        icao,
                        ground_speed_kt: gs,
                        track_deg: track,
                        vertical_rate_fpm: v.vertical_rate.map(i32::from),
                    }
                }
                _ => ModeS::Other {
                    df: 17,
                    icao: Some(icao),
                },
            }
        }
        DF::SurveillanceAltitudeReply { ac, .. } => ModeS::Altitude {
            df: 4,
            icao: crc,
            alt_ft: ac.0,
        },
        DF::CommBAltitudeReply { ac, .. } => ModeS::Altitude {
            df: 20,
            icao: crc,
            alt_ft: ac.0,
        },
        DF::ShortAirAirSurveillance { ac, .. } => ModeS::Altitude {
            df: 0,
            icao: crc,
            alt_ft: ac.0,
        },
        DF::LongAirAirSurveillance { ac, .. } => ModeS::Altitude {
            df: 16,
            icao: crc,
            alt_ft: ac.0,
        },
        DF::SurveillanceIdentityReply { id, .. } => ModeS::Identity {
            df: 5,
            icao: crc,
            squawk: squawk(id.0),
        },
        DF::CommBIdentityReply { id, .. } => ModeS::Identity {
            df: 21,
            icao: crc,
            squawk: squawk(id.0),
        },
        DF::AllCallReply { icao, .. } => ModeS::AllCall { icao: icao.0 },
        _ => ModeS::Other {
            df: df_bits,
            icao: None,
        },
    };
    Ok((m, position))
}

/// rs1090 gives the identity code's four octal digits as hex digits (7500 as
/// 0x7500); SBS writes them as the decimal number 7500.
fn squawk(code: u16) -> u16 {
    (0..4)
        .rev()
        .fold(0, |acc, k| acc * 10 + ((code >> (4 * k)) & 0xf))
}

fn airborne(icao: u32, p: &AirbornePosition) -> ModeS {
    ModeS::AirbornePosition {
        icao,
        alt_ft: p.alt,
        odd: p.parity == CPRFormat::Odd,
        lat_cpr: p.lat_cpr,
        lon_cpr: p.lon_cpr,
    }
}

#[derive(Default)]
struct Aircraft {
    last_seen_ms: TimeMs,
    /// Last even and odd airborne positions with their times.
    even: Option<(AirbornePosition, TimeMs)>,
    odd: Option<(AirbornePosition, TimeMs)>,
    /// Last resolved position (for local decoding).
    position: Option<(f64, f64, TimeMs)>,
}

/// Per-receiver decoding state: CPR pairs and last positions per aircraft, the
/// addresses recently seen (to accept address/parity replies), an optional
/// receiver position for local CPR decoding.
#[derive(Default)]
pub struct ModeSDecoder {
    aircraft: HashMap<u32, Aircraft>,
    order: VecDeque<u32>,
    reference: Option<(f64, f64)>,
}

/// A resolved position older than this is not used as a local CPR reference.
const LOCAL_REFERENCE_MAX_MS: i64 = 60_000;

impl ModeSDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// With a receiver position (degrees), single frames of aircraft within
    /// 180 NM of it resolve locally.
    pub fn with_reference(lat: f64, lon: f64) -> Self {
        ModeSDecoder {
            reference: Some((lat, lon)),
            ..Self::default()
        }
    }

    fn entry(&mut self, icao: u32) -> &mut Aircraft {
        if !self.aircraft.contains_key(&icao) {
            self.order.push_back(icao);
            while self.aircraft.len() >= MAX_AIRCRAFT {
                match self.order.pop_front() {
                    Some(old) => {
                        self.aircraft.remove(&old);
                    }
                    None => break,
                }
            }
        }
        self.aircraft.entry(icao).or_default()
    }

    fn known(&self, icao: u32, now_ms: TimeMs) -> bool {
        self.aircraft
            .get(&icao)
            .is_some_and(|a| now_ms - a.last_seen_ms <= KNOWN_ADDRESS_MS)
    }

    /// Decode one message received at `now_ms` into the SBS record dump1090 would
    /// write for it. `Ok(None)` for messages with nothing to report (an unknown
    /// address/parity reply, a lone CPR frame not yet resolvable, other content).
    pub fn decode(&mut self, msg: &[u8], now_ms: TimeMs) -> Result<Option<SbsMsg>, Fault> {
        let (m, airborne) = decode_full(msg)?;
        let Some(icao) = m.icao() else {
            return Ok(None);
        };
        if m.address_verified() {
            self.entry(icao).last_seen_ms = now_ms;
        } else if !self.known(icao, now_ms) {
            return Ok(None);
        }
        let mut out = SbsMsg {
            transmission: 8,
            icao,
            time_ms: now_ms,
            callsign: None,
            altitude_ft: None,
            ground_speed_kt: None,
            track_deg: None,
            lat_deg: None,
            lon_deg: None,
            vertical_rate_fpm: None,
            squawk: None,
            on_ground: None,
        };
        match m {
            ModeS::Identification { callsign, .. } => {
                out.transmission = 1;
                out.callsign = Some(callsign);
            }
            ModeS::AirbornePosition { alt_ft, .. } => {
                out.transmission = 3;
                out.altitude_ft = alt_ft;
                let pos = airborne.and_then(|p| self.resolve(icao, p, now_ms));
                out.lat_deg = pos.map(|p| p.0);
                out.lon_deg = pos.map(|p| p.1);
            }
            ModeS::Velocity {
                ground_speed_kt,
                track_deg,
                vertical_rate_fpm,
                ..
            } => {
                out.transmission = 4;
                out.ground_speed_kt = ground_speed_kt;
                out.track_deg = track_deg;
                out.vertical_rate_fpm = vertical_rate_fpm;
            }
            ModeS::Altitude { df, alt_ft, .. } => {
                out.transmission = if df == 20 || df == 4 { 5 } else { 7 };
                out.altitude_ft = alt_ft;
            }
            ModeS::Identity { squawk, .. } => {
                out.transmission = 6;
                out.squawk = Some(squawk);
            }
            ModeS::AllCall { .. } => out.transmission = 8,
            ModeS::Other { .. } => return Ok(None),
        }
        Ok(Some(out))
    }

    /// Resolve the CPR position of the airborne position `p`: globally
    /// from the last frame of the other parity within [`CPR_PAIR_MAX_MS`], else
    /// locally from the aircraft's last position or the receiver's.
    fn resolve(&mut self, icao: u32, p: AirbornePosition, now_ms: TimeMs) -> Option<(f64, f64)> {
        let reference = self.reference;
        let a = self.entry(icao);
        let odd = p.parity == CPRFormat::Odd;
        if odd {
            a.odd = Some((p, now_ms));
        } else {
            a.even = Some((p, now_ms));
        }
        let other = if odd { a.even } else { a.odd };
        let global = other
            .filter(|(_, t)| (now_ms - t).abs() <= CPR_PAIR_MAX_MS)
            .and_then(|(o, _)| airborne_position(&o, &p));
        let local = || {
            let r = a
                .position
                .filter(|(_, _, t)| now_ms - t <= LOCAL_REFERENCE_MAX_MS)
                .map(|(la, lo, _)| (la, lo))
                .or(reference)?;
            airborne_position_with_reference(&p, r.0, r.1)
        };
        let pos = global.or_else(local)?;
        if !(-90.0..=90.0).contains(&pos.latitude) || !(-180.0..=180.0).contains(&pos.longitude) {
            return None;
        }
        a.position = Some((pos.latitude, pos.longitude, now_ms));
        Some((pos.latitude, pos.longitude))
    }
}

/// Mode S messages (e.g. from Beast frames) to observations: decoded here, then
/// normalised exactly as an SBS feed is (identity and velocity remembered per
/// aircraft), so a Beast feed and a port-30003 feed of the same traffic give the
/// same observations.
#[derive(Default)]
pub struct ModeSNormaliser {
    decoder: ModeSDecoder,
    sbs: SbsNormaliser,
}

impl ModeSNormaliser {
    pub fn new(decoder: ModeSDecoder) -> Self {
        ModeSNormaliser {
            decoder,
            sbs: SbsNormaliser::default(),
        }
    }

    pub fn decode(
        &mut self,
        cfg: &FeedConfig,
        msg: &[u8],
        now_ms: TimeMs,
    ) -> Result<Vec<Observation>, Fault> {
        match self.decoder.decode(msg, now_ms)? {
            Some(m) => self.sbs.decode(cfg, format_line(&m).as_bytes(), now_ms),
            None => Ok(vec![]),
        }
    }
}

// ---------------------------------------------------------------------------
// Encoding

/// The Mode S CRC-24 (generator 0x1FFF409) of `data`.
pub fn crc24(data: &[u8]) -> u32 {
    let mut crc: u32 = 0;
    for &b in data {
        crc ^= u32::from(b) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x100_0000 != 0 {
                crc ^= 0x1ff_f409;
            }
        }
    }
    crc & 0xff_ffff
}

/// A DF17 extended squitter with capability 5 (airborne): ICAO and a 56-bit ME
/// field, with its parity.
pub fn df17(icao: u32, me: u64) -> [u8; 14] {
    let mut m = [0u8; 14];
    m[0] = (17 << 3) | 5;
    m[1..4].copy_from_slice(&icao.to_be_bytes()[1..]);
    m[4..11].copy_from_slice(&me.to_be_bytes()[1..]);
    let crc = crc24(&m[..11]);
    m[11..].copy_from_slice(&crc.to_be_bytes()[1..]);
    m
}

const CALLSIGN_CHARS: &[u8; 64] =
    b"#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######";

/// ME of an identification message (TC 4, category 0): up to 8 characters of
/// A-Z, 0-9 and space.
pub fn identification_me(callsign: &str) -> u64 {
    let mut me: u64 = 4 << 51;
    let chars: Vec<u8> = callsign.bytes().map(|c| c.to_ascii_uppercase()).collect();
    for k in 0..8 {
        let c = chars.get(k).copied().unwrap_or(b' ');
        let v = CALLSIGN_CHARS
            .iter()
            .position(|&x| x == c && x != b'#')
            .unwrap_or(32) as u64;
        me |= v << (42 - 6 * k);
    }
    me
}

/// The 12-bit altitude field for a barometric altitude in feet (25 ft steps,
/// -1000..50175 ft).
pub fn altitude_code(alt_ft: i32) -> u16 {
    let n = ((alt_ft.clamp(-1000, 50_175) + 1000) / 25) as u16;
    ((n & 0x7f0) << 1) | 0x010 | (n & 0x00f)
}

fn nl(lat: f64) -> u32 {
    if lat.abs() >= 87.0 {
        return 1;
    }
    let nz = 15.0f64;
    let a = 1.0 - (std::f64::consts::PI / (2.0 * nz)).cos();
    let b = (std::f64::consts::PI / 180.0 * lat.abs()).cos().powi(2);
    let x = 1.0 - a / b;
    if !(-1.0..=1.0).contains(&x) {
        return 1;
    }
    (2.0 * std::f64::consts::PI / x.acos()).floor() as u32
}

/// CPR-encode a position: the 17-bit latitude and longitude fractions for the
/// even (`odd` false) or odd format.
pub fn cpr_encode(lat: f64, lon: f64, odd: bool) -> (u32, u32) {
    let i = f64::from(u8::from(odd));
    let scale = f64::from(1u32 << 17);
    let dlat = 360.0 / (60.0 - i);
    let yz = (scale * lat.rem_euclid(dlat) / dlat + 0.5).floor();
    let rlat = dlat * (yz / scale + (lat / dlat).floor());
    let ni = (f64::from(nl(rlat)) - i).max(1.0);
    let dlon = 360.0 / ni;
    let xz = (scale * lon.rem_euclid(dlon) / dlon + 0.5).floor();
    ((yz as u32) & 0x1ffff, (xz as u32) & 0x1ffff)
}

/// ME of an airborne position with barometric altitude (TC 11).
pub fn airborne_position_me(alt_ft: i32, lat: f64, lon: f64, odd: bool) -> u64 {
    let (y, x) = cpr_encode(lat, lon, odd);
    (11u64 << 51)
        | (u64::from(altitude_code(alt_ft)) << 36)
        | (u64::from(odd) << 34)
        | (u64::from(y) << 17)
        | u64::from(x)
}

/// ME of an airborne velocity over ground (TC 19, subtype 1): knots, degrees
/// true, feet per minute (barometric).
pub fn velocity_me(ground_speed_kt: f64, track_deg: f64, vertical_rate_fpm: i32) -> u64 {
    let (s, c) = track_deg.to_radians().sin_cos();
    let (vx, vy) = (ground_speed_kt * s, ground_speed_kt * c);
    let ew = (vx.abs().round() as u64 + 1).min(1023);
    let ns = (vy.abs().round() as u64 + 1).min(1023);
    let vr = ((vertical_rate_fpm.unsigned_abs() as f64 / 64.0).round() as u64 + 1).min(511);
    (19u64 << 51)
        | (1 << 48)
        | (u64::from(vx < 0.0) << 42)
        | (ew << 32)
        | (u64::from(vy < 0.0) << 31)
        | (ns << 21)
        | (1 << 20) // vertical rate source: barometric
        | (u64::from(vertical_rate_fpm < 0) << 19)
        | (vr << 10)
}

/// A DF4 (altitude) or DF20-less short reply: 56 bits, address/parity = CRC of
/// the first 32 bits xor the ICAO address. `alt_ft` in 25 ft steps.
pub fn df4(icao: u32, alt_ft: i32) -> [u8; 7] {
    // 13-bit AC field with M=0, Q=1 (25 ft): the 12-bit code with M inserted.
    let code = altitude_code(alt_ft);
    let ac13 = ((code & 0xfc0) << 1) | (code & 0x03f);
    let head: u32 = (4 << 27) | u32::from(ac13);
    let mut m = [0u8; 7];
    m[..4].copy_from_slice(&head.to_be_bytes());
    let ap = crc24(&m[..4]) ^ icao;
    m[4..].copy_from_slice(&ap.to_be_bytes()[1..]);
    m
}

/// A DF5 (identity) reply for a squawk given as its four octal digits (e.g.
/// 7500), address/parity over the ICAO address.
pub fn df5(icao: u32, squawk: u16) -> [u8; 7] {
    let d = |k: u32| u32::from(squawk) / 10u32.pow(k) % 10;
    let (a, b, c, dd) = (d(3), d(2), d(1), d(0));
    let bit = |v: u32, n: u32| (v >> n) & 1;
    // ID13 bit order: C1 A1 C2 A2 C4 A4 X B1 D1 B2 D2 B4 D4.
    let id13 = (bit(c, 0) << 12)
        | (bit(a, 0) << 11)
        | (bit(c, 1) << 10)
        | (bit(a, 1) << 9)
        | (bit(c, 2) << 8)
        | (bit(a, 2) << 7)
        | (bit(b, 0) << 5)
        | (bit(dd, 0) << 4)
        | (bit(b, 1) << 3)
        | (bit(dd, 1) << 2)
        | (bit(b, 2) << 1)
        | bit(dd, 2);
    let head: u32 = (5 << 27) | id13;
    let mut m = [0u8; 7];
    m[..4].copy_from_slice(&head.to_be_bytes());
    let ap = crc24(&m[..4]) ^ icao;
    m[4..].copy_from_slice(&ap.to_be_bytes()[1..]);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_known_messages() {
        // The classic examples (Junzi Sun, "The 1090 MHz Riddle").
        let id = hex("8D4840D6202CC371C32CE0576098");
        assert_eq!(
            decode(&id).unwrap(),
            ModeS::Identification {
                icao: 0x4840d6,
                callsign: "KLM1023".into()
            }
        );
        let v = hex("8D485020994409940838175B284F");
        let ModeS::Velocity {
            icao,
            ground_speed_kt: Some(gs),
            track_deg: Some(tr),
            vertical_rate_fpm,
        } = decode(&v).unwrap()
        else {
            panic!("not a velocity")
        };
        assert_eq!(icao, 0x485020);
        assert!((gs - 159.2).abs() < 0.1, "{gs}");
        assert!((tr - 182.88).abs() < 0.01, "{tr}");
        assert_eq!(vertical_rate_fpm, Some(-832));
        // Even then odd airborne position: global decode, at the odd (latest)
        // frame's position.
        let mut d = ModeSDecoder::new();
        let even = hex("8D40621D58C382D690C8AC2863A7");
        let odd = hex("8D40621D58C386435CC412692AD6");
        let first = d.decode(&even, 0).unwrap().unwrap();
        assert_eq!(first.altitude_ft, Some(38000));
        assert_eq!(first.lat_deg, None);
        let second = d.decode(&odd, 1000).unwrap().unwrap();
        let (lat, lon) = (second.lat_deg.unwrap(), second.lon_deg.unwrap());
        assert!(
            (lat - 52.26578).abs() < 1e-4 && (lon - 3.93891).abs() < 1e-4,
            "{lat} {lon}"
        );
    }

    #[test]
    fn encoder_round_trips_through_rs1090() {
        let icao = 0x86_1234;
        assert_eq!(
            decode(&df17(icao, identification_me("JAL123"))).unwrap(),
            ModeS::Identification {
                icao,
                callsign: "JAL123".into()
            }
        );
        let mut d = ModeSDecoder::new();
        let (lat, lon) = (35.5532, 139.7811);
        d.decode(
            &df17(icao, airborne_position_me(12_000, lat, lon, false)),
            0,
        )
        .unwrap();
        let r = d
            .decode(
                &df17(icao, airborne_position_me(12_000, lat, lon, true)),
                500,
            )
            .unwrap()
            .unwrap();
        assert_eq!(r.altitude_ft, Some(12_000));
        assert!((r.lat_deg.unwrap() - lat).abs() < 1e-4);
        assert!((r.lon_deg.unwrap() - lon).abs() < 1e-4);
        // A later single frame resolves locally from the last position.
        let r = d
            .decode(
                &df17(icao, airborne_position_me(12_100, lat + 0.01, lon, false)),
                30_000,
            )
            .unwrap()
            .unwrap();
        assert!((r.lat_deg.unwrap() - lat - 0.01).abs() < 1e-4);
        let r = d
            .decode(&df17(icao, velocity_me(250.0, 90.0, -640)), 31_000)
            .unwrap()
            .unwrap();
        assert!((r.ground_speed_kt.unwrap() - 250.0).abs() < 1.0);
        assert!((r.track_deg.unwrap() - 90.0).abs() < 0.5);
        assert_eq!(r.vertical_rate_fpm, Some(-640));
        // Address/parity replies from the now known aircraft.
        let r = d.decode(&df5(icao, 7500), 32_000).unwrap().unwrap();
        assert_eq!((r.transmission, r.squawk), (6, Some(7500)));
        let r = d.decode(&df4(icao, 11_975), 32_000).unwrap().unwrap();
        assert_eq!(r.altitude_ft, Some(11_975));
        // ...but not from an unknown one.
        assert_eq!(d.decode(&df5(0xabcdef, 1200), 32_000).unwrap(), None);
    }

    #[test]
    fn bad_input_is_an_error() {
        let mut m = df17(0x4840d6, identification_me("KLM1023"));
        m[5] ^= 0x10;
        assert!(decode(&m).is_err(), "bad CRC");
        assert!(decode(&m[..7]).is_err(), "DF17 needs 14 bytes");
        assert!(decode(&[]).is_err());
    }

    #[test]
    fn normaliser_gives_observations_like_an_sbs_feed() {
        use biac_model::{FeedFormat, Label, Nation, ObservationKind};
        let cfg = FeedConfig {
            name: "beast".into(),
            format: FeedFormat::Sbs,
            nation: Nation::JPN,
            default_label: Label::unclassified_public(Nation::JPN),
            trusted_markings: false,
            cot_kind: ObservationKind::Track,
            description: String::new(),
            limits: Default::default(),
        };
        let icao = 0x86_1234;
        let mut n = ModeSNormaliser::new(ModeSDecoder::with_reference(35.5, 139.8));
        let t0 = 1_795_000_000_000;
        assert!(n
            .decode(&cfg, &df17(icao, identification_me("JAL123")), t0)
            .unwrap()
            .is_empty());
        let obs = n
            .decode(
                &cfg,
                &df17(icao, airborne_position_me(12_000, 35.6, 139.9, false)),
                t0 + 500,
            )
            .unwrap();
        assert_eq!(obs.len(), 1);
        let o = &obs[0];
        assert_eq!(o.identity.icao, Some(icao));
        assert_eq!(o.identity.callsign.as_deref(), Some("JAL123"));
        assert!((o.position.lat_deg - 35.6).abs() < 1e-4);
        assert!((o.position.alt_m.unwrap() - 12_000.0 * 0.3048).abs() < 1.0);
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }
}
