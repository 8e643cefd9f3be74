"""pyais throughput on an NMEA file: decode every message to a dict (pyais's
`decode()` then `asdict()`), as our decoder produces typed fields. One core.
Usage: python pyais_decode_bench.py FILE  -> prints "<messages> <seconds>"."""
import sys
import time

from pyais.stream import FileReaderStream

path = sys.argv[1]
t0 = time.perf_counter()
n = 0
for msg in FileReaderStream(path):
    try:
        msg.decode().asdict()
        n += 1
    except Exception:  # noqa: BLE001 - malformed traffic is part of the corpus
        pass
print(n, time.perf_counter() - t0)
