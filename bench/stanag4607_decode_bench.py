"""PyPI `stanag4607` decoding throughput on a STANAG 4607 capture: every packet
framed and decoded (`decode_packet`), every dwell decoded (`decode_dwell_segment`)
and every target report's fields read, as biac's decoder produces typed fields.
One core. Usage: python stanag4607_decode_bench.py FILE -> "<target reports> <seconds>"."""
import sys
import time

import stanag4607 as s

data = open(sys.argv[1], "rb").read()
t0 = time.perf_counter()
n = 0
off = 0
while off < len(data):
    h = s.decode_packet_header(data[off:off + 32])
    p = s.decode_packet(data[off:off + h.packet_size])
    off += h.packet_size
    for seg in p.segments:
        if seg.segment_type == s.DWELL_SEGMENT_TYPE:
            d = s.decode_dwell_segment(seg)
            for t in d.targets:
                (t.report_index, t.high_resolution_latitude, t.high_resolution_longitude,
                 t.geodetic_height_meters, t.radial_velocity_centimeters_per_second,
                 t.wrap_velocity_centimeters_per_second, t.signal_to_noise_ratio_decibels,
                 t.classification, t.radar_cross_section_decibels)
                n += 1
print(n, time.perf_counter() - t0)
