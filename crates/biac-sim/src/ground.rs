//! Ground vehicles on roads of southern Kyushu and Yakushima, under the MQ-9's orbit:
//! what its GMTI radar sees on land (the rest of the world is ships and aircraft).
//!
//! Each vehicle loops its road at a constant cruise speed (the world's route-following
//! motion, with a tight turn rate for road bends). They use no randomness — so no
//! random stream is shared with, or taken from, the rest of the world — and their ids
//! come from their own range ([`GROUND_ID_BASE`]), so the ids of the objects the world
//! creates and replaces are those of a world without them. Only a STANAG 4607 (GMTI)
//! sensor sees them: every other feed's output is what it was without them.

use biac_geo::KNOT;

use crate::world::{point_along, AisClass, Behaviour, Object, ObjectKind};

/// Ids of ground vehicles start here (the world numbers its objects from 1).
pub const GROUND_ID_BASE: u32 = 950_000;

type LatLon = (f64, f64);

struct Road {
    name: &'static str,
    /// A closed loop (the last point joins the first).
    wps: &'static [LatLon],
}

/// Yakushima's coastal ring road (prefectural roads 77/78): Miyanoura, Anbo,
/// Onoaida, Kurio, Nagata.
const YAKUSHIMA_RING: Road = Road {
    name: "YAKUSHIMA RING",
    wps: &[
        (30.425, 130.570),
        (30.383, 130.655),
        (30.310, 130.660),
        (30.255, 130.600),
        (30.235, 130.540),
        (30.265, 130.430),
        (30.330, 130.385),
        (30.395, 130.420),
        (30.432, 130.500),
    ],
};

/// Southern Satsuma peninsula: route 226 along the south coast from Makurazaki to
/// Ibusuki, back inland by route 226/269 through Kiire and Chiran.
const SATSUMA_LOOP: Road = Road {
    name: "SATSUMA 226",
    wps: &[
        (31.272, 130.297),
        (31.238, 130.420),
        (31.193, 130.520),
        (31.236, 130.643),
        (31.385, 130.545),
        (31.377, 130.440),
        (31.330, 130.340),
    ],
};

/// The vehicles: (road, callsign, truth CoT type, nation, speed in km/h, count).
const FLEETS: &[(&Road, &str, &str, &str, f64, usize)] = &[
    (&YAKUSHIMA_RING, "YAKU CAR", "a-n-G", "JPN", 45.0, 3),
    (&SATSUMA_LOOP, "JGSDF TRUCK", "a-f-G", "JPN", 50.0, 3),
    (&SATSUMA_LOOP, "SATSUMA CAR", "a-n-G", "JPN", 55.0, 2),
];

/// Number of ground vehicles in the world.
pub fn count() -> usize {
    FLEETS.iter().map(|f| f.5).sum()
}

/// The ground vehicles, spread evenly along their roads.
pub(crate) fn vehicles() -> Vec<Object> {
    let mut out = Vec::with_capacity(count());
    for &(road, callsign, cot_type, nation, kmh, n) in FLEETS {
        let total = biac_geo_loop_length(road.wps);
        for j in 0..n {
            let (lat, lon, course, next) = point_along(road.wps, true, total * j as f64 / n as f64);
            let speed = kmh / 3.6;
            let id = GROUND_ID_BASE + out.len() as u32;
            out.push(Object {
                id,
                kind: ObjectKind::GroundVehicle,
                cot_type,
                name: format!("{} {}", road.name, j + 1),
                callsign: format!("{callsign} {}", j + 1),
                nation,
                mmsi: None,
                icao: None,
                ais: AisClass::None,
                adsb: false,
                ship: None,
                lat,
                lon,
                alt_m: 0.0,
                speed_mps: speed,
                course_deg: course,
                vrate_mps: 0.0,
                cruise_mps: speed,
                cruise_alt_m: 0.0,
                // Road bends: a car turns in seconds, not minutes.
                turn_rate_dps: 20.0,
                accel_mps2: 1.5,
                // Radar horizon: a vehicle's roof.
                mast_m: 2.5,
                nav_status: 0,
                behaviour: Behaviour::Route {
                    wps: road.wps.to_vec(),
                    next,
                    loop_from: Some(0),
                    accept_m: 150.0,
                    origin_airport: None,
                    dest_airport: None,
                },
                platform: false,
                next_pos_ms: i64::MAX,
                next_static_ms: i64::MAX,
                next_vel_ms: i64::MAX,
                next_ident_ms: i64::MAX,
            });
        }
    }
    debug_assert!(out.iter().all(|o| o.speed_mps > 5.0 * KNOT));
    out
}

fn biac_geo_loop_length(wps: &[LatLon]) -> f64 {
    (0..wps.len())
        .map(|i| {
            let (a, b) = (wps[i], wps[(i + 1) % wps.len()]);
            biac_geo::distance_m(a.0, a.1, b.0, b.1)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Record, Scenario, SimConfig, FEED_USA_MQ9_GMTI};
    use biac_model::Domain;

    #[test]
    fn vehicles_stay_on_their_roads_and_only_the_gmti_feed_sees_them() {
        let mut sc = Scenario::new(SimConfig::default());
        let ids: Vec<u32> = sc
            .truth()
            .iter()
            .filter(|r| r.domain == Domain::Ground)
            .map(|r| r.id)
            .collect();
        assert_eq!(ids.len(), count());
        let ground = GROUND_ID_BASE..GROUND_ID_BASE + count() as u32;
        assert!(ids.iter().all(|id| ground.contains(id)));
        let mut gmti_ground = 0;
        for _ in 0..30 {
            for e in sc.step_records(20_000) {
                if e.feed != FEED_USA_MQ9_GMTI {
                    assert!(
                        e.truth_id.is_none_or(|id| !ground.contains(&id)),
                        "{} saw ground vehicle {:?}",
                        e.feed,
                        e.truth_id
                    );
                    continue;
                }
                if let Record::Stanag4607 { segments, .. } = &e.record {
                    for s in segments {
                        if let biac_formats::stanag4607::Segment::Dwell(d) = s {
                            for t in &d.targets {
                                if t.truth_tag_entity.is_some_and(|id| ground.contains(&id)) {
                                    assert_eq!(t.classification, Some(2), "wheeled vehicle");
                                    gmti_ground += 1;
                                }
                            }
                        }
                    }
                }
            }
            // Every vehicle within 300 m of its road (a leg between two waypoints).
            for r in sc.truth().iter().filter(|r| r.domain == Domain::Ground) {
                let road = if r.name.starts_with("YAKUSHIMA") {
                    YAKUSHIMA_RING.wps
                } else {
                    SATSUMA_LOOP.wps
                };
                let off = (0..road.len())
                    .map(|i| off_leg_m((r.lat, r.lon), road[i], road[(i + 1) % road.len()]))
                    .fold(f64::INFINITY, f64::min);
                assert!(off < 300.0, "{} is {off:.0} m off its road", r.name);
                assert!(r.speed_mps > 10.0 && r.speed_mps < 16.0, "{}", r.speed_mps);
            }
        }
        assert!(
            gmti_ground > 20,
            "the MQ-9 reported {gmti_ground} ground vehicles in 10 min"
        );
    }

    /// Distance from `p` to the segment a–b on a local flat frame (fine at a few km).
    fn off_leg_m(p: LatLon, a: LatLon, b: LatLon) -> f64 {
        let k = p.0.to_radians().cos();
        let xy = |q: LatLon| ((q.1 - p.1) * 111_320.0 * k, (q.0 - p.0) * 110_574.0);
        let (ax, ay) = xy(a);
        let (bx, by) = xy(b);
        let (dx, dy) = (bx - ax, by - ay);
        let t = (-(ax * dx + ay * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
        (ax + t * dx).hypot(ay + t * dy)
    }
}
