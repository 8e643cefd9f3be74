//! The JSON line `biac decode gmti` prints for a segment (its contract is fixed: the
//! keys, their order, `null` for a field the mask leaves out).

use serde_json::{json, Value};

use super::{ba16_deg, ba32_deg, sa32_deg, segment_name, text, Dwell, Point, Segment};

fn area(points: &[Point; 4]) -> Value {
    points
        .iter()
        .map(|p| json!([p.lat_deg(), p.lon_deg()]))
        .collect()
}

fn dwell(d: &Dwell) -> Value {
    let targets: Vec<Value> = d
        .targets
        .iter()
        .map(|t| {
            let pos = d.target_position(t);
            json!({
                "report_index": t.report_index,
                "lat": pos.map(|p| p.0),
                "lon": pos.map(|p| p.1),
                "height_m": t.height_m.map(f64::from),
                "radial_velocity_mps": t.radial_velocity_cm_s.map(|v| f64::from(v) / 100.0),
                "wrap_velocity_mps": t.wrap_velocity_cm_s.map(|v| f64::from(v) / 100.0),
                "snr_db": t.snr_db,
                "classification": t.classification,
                "rcs_dbsm": t.rcs_half_db.map(|v| f64::from(v) / 2.0),
            })
        })
        .collect();
    json!({
        "kind": "dwell",
        "revisit_index": d.revisit_index,
        "dwell_index": d.dwell_index,
        "last_dwell_of_revisit": d.last_dwell != 0,
        "target_report_count": d.targets.len(),
        "dwell_time_ms": d.dwell_time_ms,
        "sensor_lat": d.sensor_lat_deg(),
        "sensor_lon": d.sensor_lon_deg(),
        "sensor_alt_m": f64::from(d.sensor_alt_cm) / 100.0,
        "dwell_center_lat": d.center_lat_deg(),
        "dwell_center_lon": d.center_lon_deg(),
        "targets": targets,
    })
}

/// One segment as its `biac decode gmti` line. `size`: the segment's S2 (bytes,
/// header included), printed for the segments shown only by type and size.
pub fn segment_json(s: &Segment, size: u64) -> Value {
    match s {
        Segment::Mission(m) => json!({
            "kind": "mission",
            "mission_plan": text(&m.mission_plan),
            "flight_plan": text(&m.flight_plan),
            "platform_type": m.platform_type,
            "platform_configuration": text(&m.platform_configuration),
            "date": format!("{:04}-{:02}-{:02}", m.year, m.month, m.day),
        }),
        Segment::Dwell(d) => dwell(d),
        Segment::JobDefinition(j) => json!({
            "kind": "job_definition",
            "job_id": j.job_id,
            "sensor_id_type": j.sensor_id_type,
            "sensor_id_model": text(&j.sensor_id_model),
            "target_filtering": j.target_filtering,
            "priority": j.priority,
            "bounding_area": area(&j.bounding_area),
            "radar_mode": j.radar_mode,
            "revisit_interval_ds": j.revisit_interval_ds,
            "along_track_uncertainty_m": j.along_track_uncertainty_m,
            "cross_track_uncertainty_m": j.cross_track_uncertainty_m,
            "altitude_uncertainty_m": j.altitude_uncertainty_m,
            "track_heading_uncertainty_deg": j.track_heading_uncertainty_deg,
            "speed_uncertainty_mm_s": j.speed_uncertainty_mm_s,
            "slant_range_sd_cm": j.slant_range_sd_cm,
            "cross_range_sd_deg": ba16_deg(j.cross_range_sd),
            "radial_velocity_sd_cm_s": j.radial_velocity_sd_cm_s,
            "mdv_dm_s": j.mdv_dm_s,
            "detection_probability_pct": j.detection_probability_pct,
            "false_alarm_density": j.false_alarm_density,
            "terrain_model": j.terrain_model,
            "geoid_model": j.geoid_model,
        }),
        Segment::PlatformLocation(p) => json!({
            "kind": "platform_location",
            "time_ms": p.time_ms,
            "lat": sa32_deg(p.lat),
            "lon": ba32_deg(p.lon),
            "alt_m": f64::from(p.alt_cm) / 100.0,
            "track_deg": ba16_deg(p.track),
            "speed_mps": f64::from(p.speed_mm_s) / 1000.0,
            "vertical_velocity_mps": f64::from(p.vertical_velocity_dm_s) / 10.0,
        }),
        Segment::FreeText(f) => json!({
            "kind": "free_text",
            "originator": text(&f.originator),
            "recipient": text(&f.recipient),
            "text": text(&f.text),
        }),
        other => json!({
            "kind": segment_name(other.type_code()),
            "type": other.type_code(),
            "bytes": size,
        }),
    }
}
