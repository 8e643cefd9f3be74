//! `biac zones [--recognise LIST] OUT.geojson`: the approximate maritime zones of the
//! theatre as a GeoJSON FeatureCollection (biac-zones), for the COP and `biac events --zones`.

use std::path::PathBuf;

use biac_zones::{display, Recognition, State, ZoneConfig, ZoneSet};

#[derive(clap::Args)]
pub struct ZonesArgs {
    /// Disputed features as this audience recognises them, comma-separated, applied over
    /// the administering states' view: `none`, `senkakus=CHN`, `takeshima=JPN`,
    /// `okinotorishima:no-eez`, `scarborough=PHL`, …
    #[arg(long, value_name = "LIST", default_value = "administered")]
    recognise: String,
    /// States whose zones to write (ISO alpha-3, comma-separated); the others' coasts
    /// still cut them at the median line.
    #[arg(long, value_name = "LIST", default_value = "JPN,PHL,KOR,TWN,CHN")]
    states: String,
    /// The GeoJSON file to write.
    out: PathBuf,
}

pub fn run(a: ZonesArgs) -> Result<(), String> {
    let defaults = ZoneConfig::default();
    let recognition =
        Recognition::parse(&a.recognise, &defaults.features).map_err(|e| e.to_string())?;
    let zone_states = a
        .states
        .split(',')
        .map(|s| State::parse(s.trim()).ok_or_else(|| format!("bad state code {s:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    let set = ZoneSet::build(ZoneConfig {
        zone_states,
        recognition,
        ..defaults
    });
    let fc = display::feature_collection(&set);
    let n = fc["features"].as_array().map_or(0, Vec::len);
    let text = serde_json::to_string(&fc).map_err(|e| e.to_string())?;
    std::fs::write(&a.out, text).map_err(|e| format!("writing {}: {e}", a.out.display()))?;
    eprintln!(
        "biac zones: {n} zones written to {} (approximate)",
        a.out.display()
    );
    Ok(())
}
