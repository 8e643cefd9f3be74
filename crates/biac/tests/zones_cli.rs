//! `biac zones`: the zones as a GeoJSON FeatureCollection the COP and `biac events
//! --zones` read (name, state, kind, approximate, provenance; MultiPolygon), and a bad
//! recognition list refused with the reason.

use std::process::Command;

use biac_zones::display::Polygon;

fn biac() -> Command {
    Command::new(env!("CARGO_BIN_EXE_biac"))
}

fn polygons(geometry: &serde_json::Value) -> Vec<Polygon> {
    let ring = |r: &serde_json::Value| -> Vec<(f64, f64)> {
        r.as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect()
    };
    assert_eq!(geometry["type"], "MultiPolygon");
    geometry["coordinates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let rings = p.as_array().unwrap();
            Polygon {
                exterior: ring(&rings[0]),
                holes: rings[1..].iter().map(ring).collect(),
            }
        })
        .collect()
}

#[test]
fn writes_korea_zones_as_geojson() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("zones.geojson");
    let o = biac()
        .args(["zones", "--states", "KOR"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    let all = fc["features"].as_array().unwrap();
    // Korea's three zones, then the territorial sea of the disputed feature it holds.
    let (features, disputed): (Vec<_>, Vec<_>) = all
        .iter()
        .partition(|f| f["properties"].get("feature").is_none());
    let kinds: Vec<_> = features
        .iter()
        .map(|f| f["properties"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["territorial_sea", "contiguous_zone", "eez"]);
    assert_eq!(disputed.len(), 1);
    assert_eq!(disputed[0]["properties"]["feature"], "takeshima");
    assert_eq!(
        disputed[0]["properties"]["name"],
        "Takeshima / Dokdo territorial sea"
    );
    for f in &features {
        assert!(f["properties"]["name"]
            .as_str()
            .unwrap()
            .starts_with("Korea "));
    }
    for f in all {
        let p = &f["properties"];
        assert_eq!(p["state"], "KOR");
        assert_eq!(p["approximate"], true);
        assert!(p["provenance"]["dataset"]
            .as_str()
            .unwrap()
            .contains("world-atlas"));
        assert!(p["provenance"]["method"]
            .as_str()
            .unwrap()
            .contains("median"));
    }
    let eez = polygons(&features[2]["geometry"]);
    let inside = |lat, lon| eez.iter().any(|p| p.contains(lat, lon));
    // Off Pohang: Korea's; the Yamato Bank: Japan's; Tsushima: Japan's land.
    assert!(inside(36.3, 130.3));
    assert!(!inside(39.0, 136.5));
    assert!(!inside(34.4, 129.3));
    let ts = polygons(&features[0]["geometry"]);
    // 5 nm off Ulleungdo is in its territorial sea, 20 nm is not.
    let (la, lo) = biac_geo::destination(37.50, 130.87, 0.0, 5.0 * biac_geo::NM);
    assert!(ts.iter().any(|p| p.contains(la, lo)));
    let (la, lo) = biac_geo::destination(37.50, 130.87, 0.0, 20.0 * biac_geo::NM);
    assert!(!ts.iter().any(|p| p.contains(la, lo)));
}

#[test]
fn refuses_an_unknown_feature() {
    let dir = tempfile::tempdir().unwrap();
    let o = biac()
        .args(["zones", "--recognise", "atlantis=JPN"])
        .arg(dir.path().join("z.geojson"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown feature \"atlantis\""));
}
