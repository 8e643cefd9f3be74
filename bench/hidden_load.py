#!/usr/bin/env python3
"""Publication latency of one audience against the load of feeds it may not see.

Issue 20 (weak): "publication speed depends on the load from hidden feeds". Starts the
real `biac serve` on 127.0.0.1 with two SBS feeds: `pub-adsb` (UNCLASSIFIED, everyone may
see it) and `hidden-adsb` (SECRET//REL TO USA, JPN: PHL may not see it), audiences PHL and
JPN (SECRET). For each hidden load (reports/s over as many aircraft, one report each per
second), a probe aircraft on the public feed reports every 250 ms; the latency is from
writing a report to the first PHL `GET /api/v1/tracks` (polled every 5 ms) whose probe
track carries that report's time.

Usage: bench/hidden_load.py [--biac target/debug/biac] [--loads 0,1000,4000]
                            [--seconds 15] [--window 0]
Prints one line per load: probes, median, p90 and max latency in ms.
"""

from datetime import datetime
import argparse, json, os, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.request


def sbs(icao, t_ms, lat, lon):
    t = time.gmtime(t_ms / 1000)
    d = time.strftime("%Y/%m/%d", t)
    hms = time.strftime("%H:%M:%S", t) + ".%03d" % (t_ms % 1000)
    return "MSG,3,1,1,%06X,1,%s,%s,%s,%s,,30000,,,%.5f,%.5f,,,0,,0,0\r\n" % (icao, d, hms, d, hms, lat, lon)


def start(biac, window):
    d = tempfile.mkdtemp(prefix="biac-hidden-")
    feed = lambda name, marking: {"name": name, "format": "sbs", "nation": "JPN",
                                  "default_label": marking, "listen": "127.0.0.1:0"}
    cfg = {
        "feeds": [feed("pub-adsb", {"classification": "UNCLASSIFIED", "owner": ["JPN"]}),
                  feed("hidden-adsb", {"classification": "SECRET", "owner": ["JPN"], "rel_to": ["USA", "JPN"]})],
        "audiences": [{"nation": "PHL", "clearance": "SECRET"}, {"nation": "JPN", "clearance": "SECRET"}],
        "tokens": {"b-phl": {"nation": "PHL", "clearance": "SECRET"}},
        "reorder_window_ms": window,
    }
    path = os.path.join(d, "config.json")
    json.dump(cfg, open(path, "w"))
    p = subprocess.Popen([biac, "serve", "--listen", "127.0.0.1:0", "--data-dir", os.path.join(d, "data"),
                          "--config", path, "--fsync", "off"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    feeds, http = {}, None
    for line in p.stdout:
        w = line.split()
        if w[:1] == ["feed"]:
            h, port = w[w.index("on") + 1].rsplit(":", 1)
            feeds[w[1]] = (h, int(port))
        if line.startswith("biac: serving http://"):
            http = line.strip().split("http://")[1].rstrip("/")
            break
    threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
    return p, feeds, http


def tracks(http):
    req = urllib.request.Request("http://%s/api/v1/tracks" % http, headers={"Authorization": "Bearer b-phl"})
    return json.load(urllib.request.urlopen(req, timeout=5))


def run(biac, load, seconds, window):
    p, feeds, http = start(biac, window)
    stop = threading.Event()

    def hidden():
        if load == 0:
            return
        s = socket.create_connection(feeds["hidden-adsb"])
        n_air = max(1, load)  # one report per aircraft per second
        while not stop.is_set():
            t0 = time.time()
            now = int(t0 * 1000)
            batch = "".join(sbs(0x100000 + i, now, 20 + (i % 100) * 0.05, 120 + (i // 100) * 0.05)
                            for i in range(n_air))
            s.sendall(batch.encode())
            time.sleep(max(0.0, 1.0 - (time.time() - t0)))

    th = threading.Thread(target=hidden, daemon=True)
    th.start()
    time.sleep(3)
    probe = socket.create_connection(feeds["pub-adsb"])
    lat_ms = []
    end = time.time() + seconds
    k = 0
    while time.time() < end:
        k += 1
        sent = time.time()
        t_ms = int(sent * 1000)
        probe.sendall(sbs(0xABCDEF, t_ms, 26.0, 127.5).encode())
        while time.time() - sent < 5:
            feats = tracks(http)["features"]
            if any(f["properties"].get("icao") == "ABCDEF" and
                   abs(datetime.fromisoformat(f["properties"]["time"]).timestamp() * 1000 - t_ms) < 1
                   for f in feats):
                # The first probes make and confirm the track: not publication latency.
                if k > 8:
                    lat_ms.append((time.time() - sent) * 1000)
                break
            time.sleep(0.005)
        time.sleep(max(0.0, 0.25 - (time.time() - sent)))
    stop.set()
    p.kill()
    p.wait()
    lat_ms.sort()
    if not lat_ms:
        return "load %6d/s: no probe seen" % load
    p90 = lat_ms[int(0.9 * (len(lat_ms) - 1))]
    return "load %6d/s hidden: %3d probes, latency median %6.1f ms, p90 %6.1f ms, max %6.1f ms" % (
        load, len(lat_ms), statistics.median(lat_ms), p90, lat_ms[-1])


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--biac", default=os.path.join(os.path.dirname(__file__), "..", "target", "debug", "biac"))
    a.add_argument("--loads", default="0,1000,4000")
    a.add_argument("--seconds", type=float, default=15)
    a.add_argument("--window", type=int, default=0)
    o = a.parse_args()
    for load in [int(x) for x in o.loads.split(",")]:
        print(run(o.biac, load, o.seconds, o.window), flush=True)


if __name__ == "__main__":
    main()
