//! Known points: the Senkaku territorial sea, Japan's EEZ in the Sea of Japan, Korea's
//! side of the median, a specified strait, Okinotorishima under each recognition.

use biac_geo::{destination, NM};
use biac_zones::{Recognition, State, ZoneConfig, ZoneKind, ZoneSet};

const UOTSURI: (f64, f64) = (25.74, 123.47);

fn off(p: (f64, f64), bearing: f64, nm: f64) -> (f64, f64) {
    destination(p.0, p.1, bearing, nm * NM)
}

#[test]
fn senkaku_territorial_sea_10_nm_in_14_nm_out() {
    let set = ZoneSet::theatre();
    // West, north-west and south: away from the other Senkaku islets.
    for bearing in [200.0, 250.0, 270.0, 300.0] {
        let (la, lo) = off(UOTSURI, bearing, 10.0);
        let z = set.zone_at(la, lo);
        assert_eq!(
            z.territorial_sea,
            Some(State::JPN),
            "10 nm at {bearing}°: {z:?}"
        );
        let (la, lo) = off(UOTSURI, bearing, 14.0);
        let z = set.zone_at(la, lo);
        assert_eq!(z.territorial_sea, None, "14 nm at {bearing}°: {z:?}");
        assert_eq!(
            z.contiguous_zone,
            Some(State::JPN),
            "14 nm at {bearing}°: {z:?}"
        );
    }
}

#[test]
fn senkakus_follow_the_audience_recognition() {
    let f = biac_zones::ZoneConfig::default().features;
    let (la, lo) = off(UOTSURI, 270.0, 10.0);
    let chn = ZoneSet::build(ZoneConfig::recognising(
        Recognition::parse("senkakus=CHN", &f).unwrap(),
    ));
    assert_eq!(chn.zone_at(la, lo).territorial_sea, Some(State::CHN));
    let none = ZoneSet::build(ZoneConfig::recognising(
        Recognition::parse("none", &f).unwrap(),
    ));
    let z = none.zone_at(la, lo);
    assert_eq!(z.territorial_sea, None, "{z:?}");
    // Still shore: the islands are land whoever holds them.
    assert!(none.distance_to_shore_m(la, lo) < 11.0 * NM);
    assert!(none.distance_to_baseline_m(State::JPN, la, lo).unwrap() > 50.0 * NM);
}

#[test]
fn sea_of_japan_points_on_each_side_of_the_median() {
    let set = ZoneSet::theatre();
    // Between Noto and the Yamato Bank: Japan's EEZ (the 2022 and 2023 impacts fell near).
    let z = set.zone_at(39.0, 136.5);
    assert_eq!(z.eez, Some(State::JPN), "{z:?}");
    assert_eq!(z.territorial_sea, None);
    // Off Pohang, well west of the median with Oki and Honshu: Korea's EEZ.
    let z = set.zone_at(36.3, 130.3);
    assert_eq!(z.eez, Some(State::KOR), "{z:?}");
    let dk = set.distance_to_baseline_m(State::KOR, 36.3, 130.3).unwrap();
    let dj = set.distance_to_baseline_m(State::JPN, 36.3, 130.3).unwrap();
    assert!(dk < dj, "{dk} {dj}");
}

#[test]
fn specified_strait_keeps_three_nautical_miles() {
    let set = ZoneSet::theatre();
    // Mid Tsugaru Strait, between Tappi-zaki and Shirakami-misaki.
    let (la, lo) = (41.33, 140.28);
    let d = set.distance_to_baseline_m(State::JPN, la, lo).unwrap();
    assert!(d > 3.0 * NM && d < 12.0 * NM, "{}", d / NM);
    let z = set.zone_at(la, lo);
    assert_eq!(z.territorial_sea, None, "{z:?}");
    assert_eq!(z.contiguous_zone, Some(State::JPN));
    assert!(z.contains(State::JPN, ZoneKind::Eez));
}

#[test]
fn okinotorishima_eez_depends_on_recognition() {
    let f = ZoneConfig::default().features;
    let (la, lo) = off((20.4253, 136.0806), 180.0, 100.0);
    let jp = ZoneSet::theatre();
    assert_eq!(jp.zone_at(la, lo).eez, Some(State::JPN));
    let cn = ZoneSet::build(ZoneConfig::recognising(
        Recognition::parse("okinotorishima:no-eez", &f).unwrap(),
    ));
    assert_eq!(cn.zone_at(la, lo).eez, None, "{:?}", cn.zone_at(la, lo));
    // The rock keeps its territorial sea either way.
    let (la, lo) = off((20.4253, 136.0806), 90.0, 8.0);
    assert_eq!(cn.zone_at(la, lo).territorial_sea, Some(State::JPN));
}

#[test]
fn land_and_shore() {
    let set = ZoneSet::theatre();
    // Central Honshu, Tokyo, the Pacific far out.
    let z = set.zone_at(36.0, 138.5);
    assert_eq!(z.land, Some(State::JPN), "{z:?}");
    assert_eq!(set.distance_to_shore_m(36.0, 138.5), 0.0);
    assert_eq!(set.zone_at(35.68, 139.77).land, Some(State::JPN));
    let far = set.distance_to_shore_m(30.0, 150.0);
    assert!(far > 200.0 * NM, "{}", far / NM);
    assert_eq!(set.zone_at(30.0, 150.0).zones().count(), 0);
    // Not a position.
    assert_eq!(set.distance_to_shore_m(f64::NAN, 1.0), f64::INFINITY);
    assert_eq!(set.zone_at(f64::NAN, 130.0).zones().count(), 0);
}

#[test]
fn senkaku_territorial_sea_polygon_on_its_own() {
    use biac_zones::display::{feature_territorial_sea, Resolution};
    let res = Resolution::for_kind(ZoneKind::TerritorialSea);
    let set = ZoneSet::theatre();
    let z = feature_territorial_sea(&set, "senkakus", res).unwrap();
    assert_eq!(z.state, State::JPN);
    for bearing in [200.0, 250.0, 270.0, 300.0] {
        let (la, lo) = off(UOTSURI, bearing, 10.0);
        assert!(z.contains(la, lo), "10 nm at {bearing}°");
        let (la, lo) = off(UOTSURI, bearing, 14.0);
        assert!(!z.contains(la, lo), "14 nm at {bearing}°");
    }
    // Taisho-jima's waters are in it too; Yonaguni's are not.
    assert!(z.contains(25.88, 124.45));
    assert!(!z.contains(24.40, 122.90));
    let f = ZoneConfig::default().features;
    let none = ZoneSet::build(ZoneConfig::recognising(
        Recognition::parse("senkakus=none", &f).unwrap(),
    ));
    assert!(feature_territorial_sea(&none, "senkakus", res).is_none());
}

#[test]
fn a_zone_set_is_shared_across_threads() {
    fn shared<T: Send + Sync>(_: &T) {}
    let set = ZoneSet::theatre();
    shared(&set);
    let d = std::thread::scope(|s| {
        s.spawn(|| set.distance_to_shore_m(39.0, 136.5))
            .join()
            .unwrap()
    });
    assert_eq!(d, set.distance_to_shore_m(39.0, 136.5));
}

/// Outside the theatre's extract the shore is the world's (Natural Earth 50 m land): far
/// at sea is far, near a coast is near, inland is land (no state's) — no zone anywhere there.
#[test]
fn the_shore_is_known_outside_the_theatre() {
    let set = ZoneSet::theatre();
    let nm = |lat, lon| set.distance_to_shore_m(lat, lon) / NM;
    // Norwegian Sea, between Norway (~12° E) and Iceland: hundreds of nm from any land.
    assert!(nm(66.0, 0.0) > 150.0, "{}", nm(66.0, 0.0));
    // The Atlantic off New York, south of Long Island: a few nm.
    assert!(nm(40.55, -73.5) < 10.0, "{}", nm(40.55, -73.5));
    // The Singapore Strait (just west of the theatre box): within 10 nm of land.
    assert!(nm(1.22, 103.85) < 10.0, "{}", nm(1.22, 103.85));
    // Mid-Atlantic and mid-Pacific east of the box; either side of the antimeridian.
    assert!(nm(30.0, -45.0) > 300.0);
    assert!(nm(35.0, 179.9) > 300.0 && nm(35.0, -179.9) > 300.0);
    // Kansas and the Sahara are land: distance 0, whose coast none.
    for (lat, lon) in [(38.5, -98.0), (23.0, 12.0)] {
        let s = set.shore(lat, lon).unwrap();
        assert!(s.land, "({lat}, {lon}) is land");
        assert_eq!(s.distance_m, 0.0);
        assert_eq!(s.state, biac_zones::WORLD_LAND);
        let z = set.zone_at(lat, lon);
        assert_eq!(z.land, Some(biac_zones::WORLD_LAND));
        assert_eq!(
            (z.territorial_sea, z.contiguous_zone, z.eez),
            (None, None, None)
        );
    }
    // The theatre is unchanged: the Senkakus' nearest shore is Japan's 10 m coast.
    assert!(nm(UOTSURI.0, UOTSURI.1 + 0.1) < 12.0);
}
