//! The demo's scripted vessels: each gray-zone behaviour the rules look for, played in
//! the first minutes of a run so that a new user sees every alert at `--speed 1` (with
//! the demo's time-compressed thresholds: hours read as minutes).
//!
//! - a coast-guard vessel without AIS entering the Senkakus' territorial sea from the
//!   south, seen by the radar of a second P-1 sortie flying a racetrack south of the
//!   islands (the standing P-1's racetrack west of Okinawa is out of radar range of the
//!   Senkakus; the sortie is a radar of its own, so the other feeds are unchanged);
//! - a fishing vessel north of Amami that switches its AIS off for seven minutes (a gap),
//!   out of every radar's reach, so that nothing else follows it;
//! - a tanker and a small vessel meeting north-east of Miyako, alongside for five minutes
//!   (an encounter);
//! - a fishing vessel drifting at 1 kn north of Miyako (loitering);
//! - a vessel whose MMSI a second transmitter also sends from 25 km away (spoofing).
//!
//! Scripted vessels move on timelines fixed in time from the start (no random stream is
//! drawn for their motion, so the world's objects move as before) and their AIS goes to
//! a shore receiver of its own with a random stream of its own (`SCRIPT_AIS_STREAM`), so
//! the other objects' AIS reception is unchanged. They are world objects (the radars see
//! them), with ids from [`FIRST_ID`] (the world's own ids are unchanged).

use biac_formats::ais::{PositionReport, StaticVoyage};
use biac_geo::{bearing_deg, destination, distance_m, KNOT};

use crate::rnd::SimRng;
use crate::world::{jitter, AisClass, Behaviour, Object, ObjectKind, ShipStatic, Tx, TxMsg};

/// Ids of scripted objects start here (the world numbers its own from 1).
pub(crate) const FIRST_ID: u32 = 900_001;

/// A vessel's track in time: `(ms after the start, lat, lon)`, held at the last point.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Timeline {
    pub points: Vec<(i64, f64, f64)>,
}

impl Timeline {
    /// Position, course (degrees) and speed (m/s) at `t_ms` after the start.
    pub fn at(&self, t_ms: i64) -> (f64, f64, f64, f64) {
        let p = &self.points;
        let last = p[p.len() - 1];
        if t_ms >= last.0 {
            let (c, _) = self.leg(p.len().saturating_sub(2));
            return (last.1, last.2, c, 0.0);
        }
        let i = p.iter().rposition(|q| q.0 <= t_ms).unwrap_or(0);
        let (a, b) = (p[i], p[i + 1]);
        let d = distance_m(a.1, a.2, b.1, b.2);
        let (course, speed) = self.leg(i);
        let f = ((t_ms - a.0) as f64 / (b.0 - a.0).max(1) as f64).clamp(0.0, 1.0);
        let (lat, lon) = destination(a.1, a.2, course, d * f);
        (lat, lon, course, speed)
    }

    fn leg(&self, i: usize) -> (f64, f64) {
        let p = &self.points;
        if i + 1 >= p.len() {
            return (0.0, 0.0);
        }
        let (a, b) = (p[i], p[i + 1]);
        let d = distance_m(a.1, a.2, b.1, b.2);
        let course = if d > 0.1 {
            bearing_deg(a.1, a.2, b.1, b.2)
        } else {
            0.0
        };
        (course, d / ((b.0 - a.0).max(1) as f64 / 1000.0))
    }
}

/// Build a timeline from a start point and legs of (course, knots, seconds).
fn legs(start: (f64, f64), legs: &[(f64, f64, i64)]) -> Timeline {
    let mut points = vec![(0, start.0, start.1)];
    let (mut t, mut lat, mut lon) = (0i64, start.0, start.1);
    for &(course, kn, s) in legs {
        let (la, lo) = destination(lat, lon, course, kn * KNOT * s as f64);
        t += s * 1000;
        (lat, lon) = (la, lo);
        points.push((t, lat, lon));
    }
    Timeline { points }
}

/// One scripted vessel's AIS: its MMSI, and when its transponder is on (ms after the
/// start, half-open intervals); `spoof`: a second transmitter's timeline sending the same
/// MMSI, and when.
pub(crate) struct ScriptedAis {
    pub obj_id: u32,
    pub mmsi: u32,
    pub on: Vec<(i64, i64)>,
    pub spoof: Option<(Timeline, i64, i64)>,
    pub next_ms: i64,
    /// The spoofer's next report, 5 s after the vessel's.
    pub spoof_next_ms: i64,
}

/// The scripted part of the world.
pub(crate) struct Script {
    pub start_ms: i64,
    pub ais: Vec<ScriptedAis>,
}

const DAY_MS: i64 = 86_400_000;

#[allow(clippy::too_many_arguments)]
fn vessel(
    id: u32,
    kind: ObjectKind,
    cot_type: &'static str,
    nation: &'static str,
    name: &str,
    mmsi: Option<u32>,
    shiptype: u8,
    start_ms: i64,
    timeline: Timeline,
) -> Object {
    let (lat, lon, course, speed) = timeline.at(0);
    Object {
        id,
        kind,
        cot_type,
        name: name.to_string(),
        callsign: name.to_string(),
        nation,
        mmsi,
        icao: None,
        // The world does not transmit for it: the script does.
        ais: AisClass::None,
        adsb: false,
        ship: mmsi.map(|_| ShipStatic {
            imo: 0,
            shiptype,
            to_bow: 20,
            to_stern: 10,
            to_port: 5,
            to_starboard: 5,
            destination: String::new(),
            draught_dm: 40,
        }),
        lat,
        lon,
        alt_m: 0.0,
        speed_mps: speed,
        course_deg: course,
        vrate_mps: 0.0,
        cruise_mps: speed,
        cruise_alt_m: 0.0,
        turn_rate_dps: 3.0,
        accel_mps2: 1.0,
        mast_m: 15.0,
        nav_status: 0,
        behaviour: Behaviour::Scripted { start_ms, timeline },
        platform: false,
        next_pos_ms: i64::MAX,
        next_static_ms: i64::MAX,
        next_vel_ms: i64::MAX,
        next_ident_ms: i64::MAX,
    }
}

/// MMSIs of the scripted vessels (Japanese and Chinese MIDs, unused by the world's
/// generator, which draws from the registry's blocks at random).
pub const MMSI_DARK_FISHING: u32 = 412_990_001;
pub const MMSI_TANKER: u32 = 477_990_002;
pub const MMSI_SMALL: u32 = 412_990_003;
pub const MMSI_LOITERER: u32 = 412_990_004;
pub const MMSI_SPOOFED: u32 = 431_990_005;

impl Script {
    /// The demo script from `start_ms`; its objects, to be added to the world.
    pub fn demo(start_ms: i64) -> (Script, Vec<Object>) {
        let mut objects = Vec::new();
        let mut ais = Vec::new();
        let on_always = vec![(0, DAY_MS)];
        // Coast guard: 1.5 km outside the demo's 12 nm circle around Uotsuri-jima, north at
        // 15 kn, inside within three minutes, then slowly on towards the island.
        objects.push(vessel(
            FIRST_ID,
            ObjectKind::Naval,
            "a-s-S",
            "CHN",
            "HAIJING 2502",
            None,
            0,
            start_ms,
            legs((25.51, 123.473), &[(0.0, 15.0, 600), (0.0, 4.0, 3_000)]),
        ));
        // Dark fishing vessel north of Amami, drifting at 1.5 kn (below the MQ-9's GMTI
        // minimum speed: shore AIS is its only sensor): AIS off from 1 min to 8 min.
        objects.push(vessel(
            FIRST_ID + 1,
            ObjectKind::Fishing,
            "a-n-S",
            "CHN",
            "MIN LONG YU 60318",
            Some(MMSI_DARK_FISHING),
            30,
            start_ms,
            legs((28.75, 129.45), &[(200.0, 1.5, 3_600)]),
        ));
        ais.push(ScriptedAis {
            obj_id: FIRST_ID + 1,
            mmsi: MMSI_DARK_FISHING,
            on: vec![(0, 60_000), (480_000, DAY_MS)],
            spoof: None,
            next_ms: 0,
            spoof_next_ms: 5_000,
        });
        // Encounter north-east of Miyako: the tanker drifts north at 0.5 kn; the small
        // vessel comes down from 1.5 km north at 12 kn, lies 150 m off the tanker's
        // beam for five minutes, then leaves east at 12 kn.
        let tanker_start = (25.10, 125.75);
        let tanker = legs(tanker_start, &[(0.0, 0.5, 3_600)]);
        let meet_s = 125;
        let (tl, to, _, _) = tanker.at(meet_s * 1000);
        let (al, ao) = destination(tl, to, 90.0, 150.0);
        let (sl, so) = destination(al, ao, 0.0, 12.0 * KNOT * meet_s as f64);
        let alongside = 300;
        let (el, eo, _, _) = tanker.at((meet_s + alongside) * 1000);
        let (bl, bo) = destination(el, eo, 90.0, 150.0);
        let mut small = Timeline {
            points: vec![
                (0, sl, so),
                (meet_s * 1000, al, ao),
                ((meet_s + alongside) * 1000, bl, bo),
            ],
        };
        let (xl, xo) = destination(bl, bo, 90.0, 12.0 * KNOT * 1_800.0);
        small
            .points
            .push(((meet_s + alongside + 1_800) * 1000, xl, xo));
        objects.push(vessel(
            FIRST_ID + 2,
            ObjectKind::Merchant,
            "a-n-S",
            "SLE",
            "OCEAN GRACE",
            Some(MMSI_TANKER),
            80,
            start_ms,
            tanker,
        ));
        objects.push(vessel(
            FIRST_ID + 3,
            ObjectKind::Fishing,
            "a-n-S",
            "CHN",
            "ZHE DAI YU 02233",
            Some(MMSI_SMALL),
            30,
            start_ms,
            small,
        ));
        for (id, m) in [(FIRST_ID + 2, MMSI_TANKER), (FIRST_ID + 3, MMSI_SMALL)] {
            ais.push(ScriptedAis {
                obj_id: id,
                mmsi: m,
                on: on_always.clone(),
                spoof: None,
                next_ms: 0,
                spoof_next_ms: 5_000,
            });
        }
        // Loitering north of Miyako: 1 kn east for an hour.
        objects.push(vessel(
            FIRST_ID + 4,
            ObjectKind::Fishing,
            "a-n-S",
            "CHN",
            "LU RONG YU 58119",
            Some(MMSI_LOITERER),
            30,
            start_ms,
            legs((25.15, 125.60), &[(90.0, 1.0, 3_600)]),
        ));
        ais.push(ScriptedAis {
            obj_id: FIRST_ID + 4,
            mmsi: MMSI_LOITERER,
            on: on_always.clone(),
            spoof: None,
            next_ms: 0,
            spoof_next_ms: 5_000,
        });
        // Spoofed: a cargo ship north-west of Miyako heading away at 11 kn, its MMSI also
        // sent from a point 26 km away (both outside the territorial sea) from 90 s to 6 min.
        objects.push(vessel(
            FIRST_ID + 5,
            ObjectKind::Merchant,
            "a-n-S",
            "JPN",
            "SHINYO MARU",
            Some(MMSI_SPOOFED),
            70,
            start_ms,
            legs((25.05, 125.05), &[(330.0, 11.0, 3_600)]),
        ));
        ais.push(ScriptedAis {
            obj_id: FIRST_ID + 5,
            mmsi: MMSI_SPOOFED,
            on: on_always,
            spoof: Some((
                legs((25.2, 125.25), &[(180.0, 0.0, 3_600)]),
                90_000,
                360_000,
            )),
            next_ms: 0,
            spoof_next_ms: 5_000,
        });
        // The P-1 sortie: a racetrack south of the Senkakus at 1,500 m and 210 kn,
        // repeated for six hours. Last, so that its slot is the world's last.
        let lap = [
            (25.30, 123.10),
            (25.30, 123.90),
            (25.10, 123.90),
            (25.10, 123.10),
        ];
        let mut points = Vec::new();
        let mut t = 0i64;
        let mut prev = lap[0];
        for k in 0..(4 * 6 * 3 + 1) {
            let p = lap[k % 4];
            t += (distance_m(prev.0, prev.1, p.0, p.1) / (210.0 * KNOT) * 1000.0) as i64;
            points.push((t, p.0, p.1));
            prev = p;
        }
        let mut p1 = vessel(
            FIRST_ID + 6,
            ObjectKind::MilitaryAircraft,
            "a-f-A",
            "JPN",
            "JMSDF P-1 5507",
            None,
            0,
            start_ms,
            Timeline { points },
        );
        p1.alt_m = 1_500.0;
        p1.cruise_alt_m = 1_500.0;
        p1.mast_m = 0.0;
        objects.push(p1);
        (Script { start_ms, ais }, objects)
    }

    /// The scripted AIS transmissions in `(t0, t1]` (successive calls continue where the
    /// last ended): a class A position report every 10 s while a transponder is on (and
    /// static data every 6 min), the spoofer's interleaved 5 s after.
    pub fn transmissions(
        &mut self,
        objects: &[Object],
        t0: i64,
        t1: i64,
        rng: &mut SimRng,
    ) -> Vec<Tx> {
        let mut out = Vec::new();
        for s in &mut self.ais {
            let Some(o) = objects.iter().find(|o| o.id == s.obj_id) else {
                continue;
            };
            let Behaviour::Scripted { timeline, .. } = &o.behaviour else {
                continue;
            };
            while self.start_ms + s.next_ms <= t1 {
                let rel = s.next_ms;
                s.next_ms += 10_000;
                let t = self.start_ms + rel;
                if t > t0 && s.on.iter().any(|&(a, b)| (a..b).contains(&rel)) {
                    out.push(report(o, s.mmsi, timeline, rel, t, rng));
                    if rel % 360_000 == 0 {
                        out.push(static_data(o, s.mmsi, timeline, rel, t));
                    }
                }
            }
            if let Some((tl, from, to)) = &s.spoof {
                while self.start_ms + s.spoof_next_ms <= t1 {
                    let rel = s.spoof_next_ms;
                    s.spoof_next_ms += 10_000;
                    let t = self.start_ms + rel;
                    if t > t0 && (*from..*to).contains(&rel) {
                        out.push(report(o, s.mmsi, tl, rel, t, rng));
                    }
                }
            }
        }
        out.sort_by_key(|tx| tx.time_ms);
        out
    }
}

fn report(o: &Object, mmsi: u32, tl: &Timeline, rel: i64, t: i64, rng: &mut SimRng) -> Tx {
    let (lat, lon, course, speed) = tl.at(rel);
    let (nlat, nlon) = jitter(rng, lat, lon, 10.0);
    let sog = speed / KNOT;
    Tx {
        obj_id: o.id,
        time_ms: t,
        lat,
        lon,
        los_h: o.mast_m,
        msg: TxMsg::AisPosition {
            report: PositionReport {
                msg_type: 1,
                mmsi,
                nav_status: if o.kind == ObjectKind::Fishing { 7 } else { 0 },
                sog_knots: Some((sog * 10.0).round() / 10.0),
                position_accuracy: false,
                lat_deg: nlat,
                lon_deg: nlon,
                cog_deg: Some(((course * 10.0).round() / 10.0).rem_euclid(360.0)),
                heading_deg: Some((course.round() as i64).rem_euclid(360) as u16),
                second: (t.div_euclid(1000).rem_euclid(60)) as u8,
            },
            interval_s: 10.0,
        },
    }
}

fn static_data(o: &Object, mmsi: u32, tl: &Timeline, rel: i64, t: i64) -> Tx {
    let (lat, lon, _, _) = tl.at(rel);
    let s = o.ship.as_ref();
    Tx {
        obj_id: o.id,
        time_ms: t,
        lat,
        lon,
        los_h: o.mast_m,
        msg: TxMsg::AisStatic(StaticVoyage {
            mmsi,
            imo: 0,
            callsign: o.callsign.chars().take(7).collect(),
            shipname: o.name.clone(),
            shiptype: s.map_or(0, |s| s.shiptype),
            to_bow: s.map_or(0, |s| s.to_bow),
            to_stern: s.map_or(0, |s| s.to_stern),
            to_port: s.map_or(0, |s| s.to_port),
            to_starboard: s.map_or(0, |s| s.to_starboard),
            destination: String::new(),
            draught_dm: s.map_or(0, |s| s.draught_dm),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_timeline_interpolates_and_holds_the_last_point() {
        let tl = legs((25.0, 125.0), &[(0.0, 10.0, 600)]);
        let (lat, _, course, speed) = tl.at(300_000);
        let half = destination(25.0, 125.0, 0.0, 10.0 * KNOT * 300.0).0;
        assert!((lat - half).abs() < 1e-6, "{lat} {half}");
        assert!(course.abs() < 1e-6);
        assert!((speed - 10.0 * KNOT).abs() < 1e-6);
        let (_, _, _, stopped) = tl.at(700_000);
        assert_eq!(stopped, 0.0);
    }

    #[test]
    fn the_dark_vessel_is_silent_between_one_and_eight_minutes_and_the_spoofer_sends() {
        let (mut s, objects) = Script::demo(0);
        let mut rng = SimRng::seed_from_u64(1);
        let txs = s.transmissions(&objects, -1, 599_999, &mut rng);
        let times = |m: u32| -> Vec<i64> {
            txs.iter()
                .filter_map(|tx| match &tx.msg {
                    TxMsg::AisPosition { report, .. } if report.mmsi == m => Some(tx.time_ms),
                    _ => None,
                })
                .collect()
        };
        let dark = times(MMSI_DARK_FISHING);
        assert!(dark.iter().all(|&t| !(60_000..480_000).contains(&t)));
        assert!(dark.contains(&50_000) && dark.contains(&480_000));
        let spoofed = times(MMSI_SPOOFED);
        assert!(spoofed.contains(&95_000) && !spoofed.contains(&365_000));
        // Cut differently, the same transmissions.
        let (mut s2, _) = Script::demo(0);
        let mut rng2 = SimRng::seed_from_u64(1);
        let mut again = Vec::new();
        for k in 0..600 {
            again.extend(s2.transmissions(&objects, k * 1000 - 1, (k + 1) * 1000 - 1, &mut rng2));
        }
        assert_eq!(again.len(), txs.len());
    }
}
