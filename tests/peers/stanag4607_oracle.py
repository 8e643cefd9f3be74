"""STANAG 4607 through the PyPI `stanag4607` package (MIT), for
crates/biac-formats/tests/stanag4607_peers.rs.

  encode SEED OUT   random packets built with stanag4607's encoder, written to OUT;
                    prints, one JSON line per segment, the values stanag4607 reads
                    back from those bytes
  decode FILE       stanag4607's reading of every segment of the packets in FILE
                    (written by biac's encoder), one JSON line per segment

A line: {"packet": i, "type": S1, "size": S2, ...fields}, raw wire integers under
biac's field names, scaled values (exact fractions as floats) beside them. Dwells
cover every combination of the mask's field groups (see `dwell_masks`) plus random
single-bit masks.
"""

import json
import random
import sys

import stanag4607 as s

DWELL_OPT_GROUPS = [(10, 11), (12, 13, 14), (15, 16, 17), (18, 19, 20), (21, 22, 23), (28, 29, 30), (31,)]
TARGET_GROUPS = [(1,), (6,), (7, 8), (9,), (10, 11), (12, 13, 14, 15), (16, 17), (18,)]
MANDATORY = (2, 3, 4, 5, 6, 7, 8, 9, 24, 25, 26, 27)
DWELL_W = {2: 2, 3: 2, 4: 1, 5: 2, 6: 4, 7: 4, 8: 4, 9: 4, 10: 4, 11: 4, 12: 4, 13: 4, 14: 2, 15: 2,
           16: 4, 17: 1, 18: 1, 19: 2, 20: 2, 21: 2, 22: 2, 23: 2, 24: 4, 25: 4, 26: 2, 27: 2,
           28: 2, 29: 2, 30: 2, 31: 1}
TARGET_W = {1: 2, 2: 4, 3: 4, 4: 2, 5: 2, 6: 2, 7: 2, 8: 2, 9: 1, 10: 1, 11: 1, 12: 2, 13: 2,
            14: 1, 15: 2, 16: 1, 17: 4, 18: 1}
# Signed fields (two's complement) of the dwell and of the target report.
DWELL_SIGNED = {7, 9, 10, 17, 22, 23, 24, 29, 30}
TARGET_SIGNED = {2, 4, 5, 6, 7, 9, 18}

DWELL_NAMES = {2: "revisit_index", 3: "dwell_index", 4: "last_dwell", 5: "count", 6: "dwell_time_ms",
               7: "sensor_lat", 8: "sensor_lon", 9: "sensor_alt_cm", 10: "lat_scale", 11: "lon_scale",
               12: "sensor_along_track_uncertainty_cm", 13: "sensor_cross_track_uncertainty_cm",
               14: "sensor_altitude_uncertainty_cm", 15: "sensor_track", 16: "sensor_speed_mm_s",
               17: "sensor_vertical_velocity_dm_s", 18: "sensor_track_uncertainty_deg",
               19: "sensor_speed_uncertainty_mm_s", 20: "sensor_vertical_velocity_uncertainty_cm_s",
               21: "platform_heading", 22: "platform_pitch", 23: "platform_roll", 24: "center_lat",
               25: "center_lon", 26: "range_half_extent", 27: "angle_half_extent", 28: "sensor_heading",
               29: "sensor_pitch", 30: "sensor_roll", 31: "mdv_dm_s"}
TARGET_NAMES = {1: "report_index", 2: "lat", 3: "lon", 4: "delta_lat", 5: "delta_lon", 6: "height_m",
                7: "radial_velocity_cm_s", 8: "wrap_velocity_cm_s", 9: "snr_db", 10: "classification",
                11: "class_probability_pct", 12: "slant_range_uncertainty_cm",
                13: "cross_range_uncertainty_dm", 14: "height_uncertainty_m",
                15: "radial_velocity_uncertainty_cm_s", 16: "truth_tag_application",
                17: "truth_tag_entity", 18: "rcs_half_db"}


def dbit(n):
    return 1 << (65 - n)


def tbit(n):
    return 1 << (34 - n)


def dwell_masks(rng):
    """Every combination of target field groups, with high- or low-resolution
    positions, each with a cycling set of optional dwell groups (low resolution always
    with its scale factors); then random masks bit by bit."""
    masks = []
    for combo in range(1 << len(TARGET_GROUPS)):
        for lowres in (False, True):
            m = 0
            for f in MANDATORY:
                m |= dbit(f)
            opt = (combo * 2 + lowres) % (1 << len(DWELL_OPT_GROUPS))
            for i, g in enumerate(DWELL_OPT_GROUPS):
                if opt >> i & 1:
                    for f in g:
                        m |= dbit(f)
            for i, g in enumerate(TARGET_GROUPS):
                if combo >> i & 1:
                    for f in g:
                        m |= tbit(f)
            if lowres:
                m |= dbit(10) | dbit(11) | tbit(4) | tbit(5)
            else:
                m |= tbit(2) | tbit(3)
            masks.append(m)
    for _ in range(200):
        m = 0
        for f in MANDATORY:
            m |= dbit(f)
        for f in DWELL_W:
            if f not in MANDATORY and rng.random() < 0.5:
                m |= dbit(f)
        for f in TARGET_W:
            if rng.random() < 0.5:
                m |= tbit(f)
        m |= rng.getrandbits(16)  # spare bits travel unchanged
        masks.append(m)
    return masks


def rand_field(rng, width, signed):
    v = rng.getrandbits(width * 8)
    b = v.to_bytes(width, "big")
    return b


def build_dwell(rng, mask):
    m = s.DwellExistenceMask(mask)
    n_targets = rng.choice([0, 1, 2, 3, 5]) if m.target_report_size else 0
    fields = []
    for f in m.present_dwell_fields:
        w = DWELL_W[f]
        if f == 4:
            b = bytes([rng.randint(0, 1)])
        elif f == 5:
            b = n_targets.to_bytes(2, "big")
        elif f in (10, 11):
            # Scale factors small enough that centre + delta x scale stays in range.
            b = rng.randint(1, 3000).to_bytes(4, "big")
        elif f == 24:
            b = rng.randint(-(2**30), 2**30 - 1).to_bytes(4, "big", signed=True)
        else:
            b = rand_field(rng, w, f in DWELL_SIGNED)
        fields.append(b)
    targets = []
    for _ in range(n_targets):
        tf = tuple(rand_field(rng, TARGET_W[f], f in TARGET_SIGNED) for f in m.present_target_fields)
        targets.append(s.TargetReport(m, tf))
    return s.DwellSegment(m, tuple(fields), tuple(targets)).to_segment()


def rbytes(rng, n, text=False):
    if text:
        return bytes(rng.choice(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ") for _ in range(n))
    return bytes(rng.getrandbits(8) for _ in range(n))


def area(rng):
    return tuple((s.SignedBinaryAngle(rng.randint(-(2**31), 2**31 - 1), 32),
                  s.BinaryAngle(rng.getrandbits(32), 32)) for _ in range(4))


def build_others(rng):
    u = rng.getrandbits
    out = [
        s.MissionSegment(rbytes(rng, 12, True), rbytes(rng, 12, True), u(8), rbytes(rng, 10, True),
                         u(16), rng.randint(1, 12), rng.randint(1, 31)).to_segment(),
        s.JobDefinitionSegment(u(32), u(8), rbytes(rng, 6, True), u(8), u(8), area(rng), u(8), u(16),
                               u(16), u(16), u(16), u(8), u(16), u(16), u(16), u(16), u(8), u(8), u(8),
                               u(8), u(8)).to_segment(),
        s.PlatformLocationSegment(u(32), s.SignedBinaryAngle(rng.randint(-(2**31), 2**31 - 1), 32),
                                  s.BinaryAngle(u(32), 32), rng.randint(-(2**31), 2**31 - 1),
                                  s.BinaryAngle(u(16), 16), u(32), rng.randint(-128, 127)).to_segment(),
        s.FreeTextSegment(rbytes(rng, 10, True), rbytes(rng, 10, True),
                          rbytes(rng, rng.randint(1, 60), True)).to_segment(),
        s.TestStatusSegment(u(32), u(16), u(16), u(32), u(8), u(8)).to_segment(),
        s.ProcessingHistorySegment(rbytes(rng, 2, True), rbytes(rng, 10, True), u(32), u(32), tuple(
            s.ProcessingRecord(u(8), rbytes(rng, 2, True), rbytes(rng, 10, True), u(32), u(32), u(16))
            for _ in range(rng.randint(1, 3)))).to_segment(),
        s.JobRequestSegment(rbytes(rng, 10, True), rbytes(rng, 10, True), u(8), area(rng), u(8), u(16),
                            u(16), u(16), u(8), u(8), u(8), u(8), u(8), u(16), u(16), u(16), u(8),
                            rbytes(rng, 6, True), u(8)).to_segment(),
        s.JobAcknowledgeSegment(u(32), rbytes(rng, 10, True), rbytes(rng, 10, True), u(8),
                                rbytes(rng, 6, True), u(8), area(rng), u(8), u(16), u(16), u(8), u(16),
                                u(8), u(8), u(8), u(8), u(8), rbytes(rng, 2, True)).to_segment(),
        s.Segment(rng.choice([7, 8, 9, 11, 200]), rbytes(rng, rng.randint(0, 20))),
    ]
    return out


def fr(x):
    return None if x is None else float(x)


def txt(b):
    return b.decode("latin-1")


def pts(a):
    return [[p[0].raw, p[1].raw] for p in a]


def describe(seg):
    """stanag4607's reading of one segment, under biac's names."""
    t = seg.segment_type
    d = {"type": t, "size": 5 + len(seg.payload)}
    if t == 1:
        m = s.decode_mission_segment(seg)
        d.update(mission_plan=txt(m.mission_plan), flight_plan=txt(m.flight_plan),
                 platform_type=m.platform_type, platform_configuration=txt(m.platform_configuration),
                 year=m.reference_year, month=m.reference_month, day=m.reference_day)
    elif t == 2:
        w = s.decode_dwell_segment(seg)
        d["mask"] = w.mask.raw
        for f, name in DWELL_NAMES.items():
            b = w.field_bytes(f)
            d[name] = None if b is None else int.from_bytes(b, "big", signed=f in DWELL_SIGNED)
        d["sensor_lat_deg"] = float(w.sensor_latitude.degrees)
        d["sensor_lon_deg"] = float(w.sensor_longitude.degrees)
        d["center_lat_deg"] = float(w.center_latitude.degrees)
        d["center_lon_deg"] = float(w.center_longitude.degrees)
        d["range_half_extent_km"] = float(w.range_half_extent_kilometers)
        d["angle_half_extent_deg"] = float(w.angle_half_extent.degrees)
        targets = []
        for i, tr in enumerate(w.targets):
            x = {}
            for f, name in TARGET_NAMES.items():
                b = tr.field_bytes(f)
                x[name] = None if b is None else int.from_bytes(b, "big", signed=f in TARGET_SIGNED)
            loc = w.target_location(i)
            x["lat_deg"] = None if loc is None else float(loc.latitude.degrees)
            x["lon_deg"] = None if loc is None else float(loc.longitude.degrees)
            x["rcs_dbsm"] = fr(tr.radar_cross_section_decibels)
            targets.append(x)
        d["targets"] = targets
    elif t == 5:
        j = s.decode_job_definition_segment(seg)
        d.update(job_id=j.job_id, sensor_id_type=j.sensor_type, sensor_id_model=txt(j.sensor_model),
                 target_filtering=j.target_filtering, priority=j.priority, bounding_area=pts(j.bounding_area),
                 radar_mode=j.radar_mode, revisit_interval_ds=j.nominal_revisit_interval_deciseconds,
                 along_track_uncertainty_m=j.nominal_sensor_position_along_track_uncertainty_raw,
                 cross_track_uncertainty_m=j.nominal_sensor_position_cross_track_uncertainty_raw,
                 altitude_uncertainty_m=j.nominal_sensor_position_altitude_uncertainty_raw,
                 track_heading_uncertainty_deg=j.nominal_sensor_track_uncertainty_raw,
                 speed_uncertainty_mm_s=j.nominal_sensor_speed_uncertainty_raw,
                 slant_range_sd_cm=j.nominal_slant_range_standard_deviation_raw,
                 cross_range_sd=j.nominal_cross_range_standard_deviation_raw,
                 radial_velocity_sd_cm_s=j.nominal_radial_velocity_standard_deviation_raw,
                 mdv_dm_s=j.nominal_minimum_detectable_velocity_raw,
                 detection_probability_pct=j.nominal_detection_probability_raw,
                 false_alarm_density=j.nominal_false_alarm_density_raw,
                 terrain_model=j.terrain_elevation_model, geoid_model=j.geoid_model)
    elif t == 6:
        f = s.decode_free_text_segment(seg)
        d.update(originator=txt(f.originator_id), recipient=txt(f.recipient_id), text=txt(f.free_text))
    elif t == 10:
        x = s.decode_test_status_segment(seg)
        d.update(job_id=x.job_id, revisit_index=x.revisit_index, dwell_index=x.dwell_index,
                 dwell_time_ms=x.dwell_time_milliseconds, hardware_status=x.hardware_status,
                 mode_status=x.mode_status)
    elif t == 12:
        h = s.decode_processing_history_segment(seg)
        d.update(nationality=txt(h.based_on_nationality), platform_id=txt(h.based_on_platform_id),
                 mission_id=h.based_on_mission_id, job_id=h.based_on_job_id,
                 records=[[r.sequence_number, txt(r.modifying_nationality), txt(r.modifying_platform_id),
                           r.modifying_mission_id, r.modifying_job_id, r.processing_performed]
                          for r in h.records])
    elif t == 13:
        p = s.decode_platform_location_segment(seg)
        d.update(time_ms=p.location_time_milliseconds, lat=p.latitude.raw, lon=p.longitude.raw,
                 lat_deg=float(p.latitude.degrees), lon_deg=float(p.longitude.degrees),
                 alt_cm=p.altitude_centimeters, track=p.track.raw, track_deg=float(p.track.degrees),
                 speed_mm_s=p.speed_millimeters_per_second,
                 vertical_velocity_dm_s=p.vertical_velocity_decimeters_per_second)
    elif t in (101, 102):
        from stanag4607.tasking import decode_job_request_segment, decode_job_acknowledge_segment
        x = (decode_job_request_segment if t == 101 else decode_job_acknowledge_segment)(seg)
        d["fields"] = {k: (txt(v) if isinstance(v, bytes) else pts(v) if k == "bounding_area" else v)
                       for k, v in ((f, getattr(x, f)) for f in x.__dataclass_fields__)}
    else:
        d["payload"] = seg.payload.hex()
    return d


def packets(data):
    off = 0
    while off < len(data):
        h = s.decode_packet_header(data[off:off + 32])
        yield off, s.decode_packet(data[off:off + h.packet_size])
        off += h.packet_size


def main():
    if sys.argv[1] == "encode":
        rng = random.Random(int(sys.argv[2]))
        segs = [build_dwell(rng, m) for m in dwell_masks(rng)]
        segs += [x for _ in range(20) for x in build_others(rng)]
        out = bytearray()
        i = 0
        while i < len(segs):
            n = rng.randint(1, 4)
            group = tuple(segs[i:i + n])
            i += n
            body = sum(len(x.to_bytes()) for x in group)
            version = rng.choice([b"30", b"40", b"41"])
            hdr = s.PacketHeader(version, 32 + body, rbytes(rng, 2, True), rng.randint(1, 5), b"  ",
                                 rng.getrandbits(16), rng.choice([0, 1, 128]), rbytes(rng, 10, True),
                                 rng.getrandbits(32), rng.getrandbits(32))
            out += s.Packet(hdr, group).to_bytes()
        open(sys.argv[3], "wb").write(out)
        data = bytes(out)
    else:
        data = open(sys.argv[2], "rb").read()
    for n, (off, p) in enumerate(packets(data)):
        h = p.header
        head = {"packet": n, "offset": off, "version": txt(h.version_id), "packet_size": h.packet_size,
                "nationality": txt(h.nationality), "classification": h.security_classification,
                "class_system": txt(h.classification_system), "security_code": h.security_codes,
                "exercise": h.exercise_indicator, "platform_id": txt(h.platform_id),
                "mission_id": h.mission_id, "job_id": h.job_id}
        print(json.dumps({"header": head}))
        for seg in p.segments:
            d = describe(seg)
            d["packet"] = n
            print(json.dumps(d))


if __name__ == "__main__":
    main()
