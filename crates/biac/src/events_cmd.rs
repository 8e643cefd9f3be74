//! `biac events FILE.nmea [--zones ZONES.geojson] [thresholds]`: behaviour events from
//! an AIS capture, one JSON line per event when it ends (those still under way at the
//! end of the input with `"open": true`). The rules live in `biac_analytics::behaviour`.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use biac_analytics::behaviour::{
    parse_zones_geojson, theatre_geography, Engine, Event, EventsRun, Thresholds,
};

#[derive(clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct EventsArgs {
    /// AIS NMEA with NMEA 4.10 tag blocks giving the receive time (`\c:UNIX_SECONDS*hh\!AIVDM,...`),
    /// or - for standard input.
    file: PathBuf,
    /// GeoJSON FeatureCollection of zones (Polygon/MultiPolygon, holes allowed), named by
    /// `properties.name`, for zone_entry events.
    #[arg(long)]
    zones: Option<PathBuf>,
    /// Gap: no position for at least this many hours…
    #[arg(long, default_value_t = 12.0)]
    gap_min_h: f64,
    /// …with both ends at least this far from shore (nautical miles).
    #[arg(long, default_value_t = 50.0)]
    gap_shore_nm: f64,
    /// Encounter: two vessels at most this far apart (metres)…
    #[arg(long, default_value_t = 500.0)]
    encounter_max_m: f64,
    /// …for at least this many hours…
    #[arg(long, default_value_t = 2.0)]
    encounter_min_h: f64,
    /// …at a median speed below this (knots)…
    #[arg(long, default_value_t = 2.0)]
    encounter_max_kn: f64,
    /// …at least this far from a port (km).
    #[arg(long, default_value_t = 10.0)]
    encounter_port_km: f64,
    /// Loitering: speed over ground below this (knots)…
    #[arg(long, default_value_t = 2.0)]
    loiter_max_kn: f64,
    /// …for at least this many hours…
    #[arg(long, default_value_t = 4.0)]
    loiter_min_h: f64,
    /// …at least this far from shore (nautical miles).
    #[arg(long, default_value_t = 20.0)]
    loiter_shore_nm: f64,
    /// Spoofing: consecutive reports implying more than this speed (knots) beyond 1 km.
    #[arg(long, default_value_t = 25.0)]
    spoof_kn: f64,
}

/// Malformed lines reported one by one on stderr up to this many; the rest are counted.
const MAX_REPORTED: u64 = 1_000;

pub fn run(a: EventsArgs) -> Result<(), String> {
    let th = Thresholds {
        gap_min_h: a.gap_min_h,
        gap_shore_nm: a.gap_shore_nm,
        encounter_max_m: a.encounter_max_m,
        encounter_min_h: a.encounter_min_h,
        encounter_max_kn: a.encounter_max_kn,
        encounter_port_km: a.encounter_port_km,
        loiter_max_kn: a.loiter_max_kn,
        loiter_min_h: a.loiter_min_h,
        loiter_shore_nm: a.loiter_shore_nm,
        spoof_kn: a.spoof_kn,
        ..Thresholds::default()
    };
    th.validate().map_err(|e| {
        // Named by its flag.
        let flag = format!("--{}", e.name.replace('_', "-"));
        e.to_string().replacen(e.name, &flag, 1)
    })?;
    let areas = match &a.zones {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let zones = parse_zones_geojson(&text).map_err(|e| format!("{}: {e}", p.display()))?;
            for s in &zones.skipped {
                eprintln!(
                    "biac events: {}: feature {:?} skipped: {} is not an area",
                    p.display(),
                    s.name,
                    s.geometry
                );
            }
            zones.areas
        }
        None => Vec::new(),
    };
    let mut run = EventsRun::new(Engine::new(th, theatre_geography(), areas));
    let input: Box<dyn BufRead> = if a.file.as_os_str() == "-" {
        Box::new(BufReader::new(std::io::stdin().lock()))
    } else {
        let f = std::fs::File::open(&a.file).map_err(|e| format!("{}: {e}", a.file.display()))?;
        Box::new(BufReader::with_capacity(1 << 20, f))
    };
    let source = if a.file.as_os_str() == "-" {
        "stdin".to_string()
    } else {
        a.file.display().to_string()
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    let write = |out: &mut BufWriter<_>, e: &Event| -> Result<(), String> {
        writeln!(out, "{}", e.to_json()).map_err(|e| format!("writing: {e}"))
    };
    let (mut malformed, mut late, mut events) = (0u64, 0u64, 0u64);
    let mut input = input;
    let mut buf = Vec::with_capacity(256);
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("{}: {e}", a.file.display()))?;
        if n == 0 {
            break;
        }
        let late_before = run.engine().out_of_order();
        match run.push_line(&buf) {
            Ok(closed) => {
                // A report older than its MMSI's last is not used: said, with its line.
                if run.engine().out_of_order() > late_before {
                    late += 1;
                    if late <= MAX_REPORTED {
                        eprintln!(
                            "biac events: {source}: line {}: out of order (older than the MMSI's last report), not used",
                            run.lines()
                        );
                    }
                }
                for e in &closed {
                    write(&mut out, e)?;
                    events += 1;
                }
                // Written when it ends: a reader of a live pipe sees each event then.
                if !closed.is_empty() {
                    out.flush().map_err(|e| format!("writing: {e}"))?;
                }
            }
            Err(m) => {
                malformed += 1;
                if malformed <= MAX_REPORTED {
                    eprintln!("biac events: {source}: line {}: {}", m.line, m.reason);
                }
            }
        }
    }
    for e in run.finish() {
        write(&mut out, &e)?;
        events += 1;
    }
    out.flush().map_err(|e| format!("writing: {e}"))?;
    let eng = run.engine();
    eprintln!(
        "biac events: {} position reports from {} MMSIs, {malformed} malformed lines{}, {} out of order, {events} events",
        run.fixes(),
        eng.vessels(),
        if malformed > MAX_REPORTED {
            format!(" ({} not listed)", malformed - MAX_REPORTED)
        } else {
            String::new()
        },
        eng.out_of_order(),
    );
    Ok(())
}
