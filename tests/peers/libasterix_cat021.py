"""libasterix (PyPI, pure Python) as the independent peer for biac's ASTERIX CAT021
(ADS-B target reports) codec.

  gen SEED N   Encode N random CAT021 records with libasterix's edition 2.6 (every
               UAP item present with probability 1/2, every 8th record with all of
               them; random values), in blocks of 1-5 records, a CAT023 block now and
               then. One line per block: {"cat": 21 or 23, "block": hex, "records": [...]}.
  parse        Read {"block": hex} lines (blocks written by biac); answer
               {"records": [...]} as libasterix reads them, or {"error": "..."}.

A record is {"raw": {item: hex of the item's octets}, item: values...} in libasterix's
physical units (degrees, s, ft, FL, NM/s). Used by
crates/biac-formats/tests/asterix_cat021_peers.rs.
"""
import json
import random
import sys

from asterix.base import Bits, RawDatablock
import asterix.generated as gen

CAT021 = gen.Cat_021_2_6
CAT023 = gen.Cat_023_1_3


def rand_record(rng, full):
    items = {}
    p = 1.0 if full else 0.5

    def maybe(name, make):
        if rng.random() < p:
            items[name] = make()

    def bits(n):
        return rng.getrandbits(n)

    def extended(groups):
        return tuple(bits(7) for _ in range(rng.randint(1, groups)))

    def compound(subs):
        d = {k: make() for k, make in subs.items() if rng.random() < p}
        if not d:
            k = rng.choice(list(subs))
            d[k] = subs[k]()
        return d

    fixed = {"010": 16, "161": 16, "015": 8, "071": 24, "072": 24, "150": 16, "151": 16,
             "080": 24, "073": 24, "074": 32, "075": 24, "076": 32, "140": 16, "210": 8,
             "070": 16, "230": 16, "145": 16, "152": 16, "200": 8, "155": 16, "157": 16,
             "160": 32, "165": 16, "077": 24, "170": 48, "020": 8, "146": 16, "148": 16,
             "016": 8, "008": 8, "132": 8, "260": 56, "400": 8}
    masks = {"161": 0x0FFF, "210": 0x7F, "070": 0x0FFF, "165": 0x03FF,
             "071": None, "072": None, "073": None, "075": None, "077": None}
    for name in ("010", "040", "161", "015", "071", "130", "131", "072", "150", "151",
                 "080", "073", "074", "075", "076", "140", "090", "210", "070", "230",
                 "145", "152", "200", "155", "157", "160", "165", "077", "170", "020",
                 "220", "146", "148", "110", "016", "008", "271", "132", "250", "260",
                 "400", "295", "RE", "SP"):
        if name in fixed:
            n = fixed[name]
            if name in ("071", "072", "073", "075", "077"):
                maybe(name, lambda: rng.randrange(86400 * 128))
            elif name in masks:
                m = masks[name]
                maybe(name, lambda n=n, m=m: bits(n) & m)
            else:
                maybe(name, lambda n=n: bits(n))
        elif name == "040":
            maybe(name, lambda: extended(5))
        elif name == "090":
            maybe(name, lambda: extended(4))
        elif name == "271":
            maybe(name, lambda: extended(2))
        elif name == "130":
            maybe(name, lambda: ((rng.randrange(-(1 << 21), 1 << 21) & 0xFFFFFF) << 24)
                  | (rng.randrange(-(1 << 22), 1 << 22) & 0xFFFFFF))
        elif name == "131":
            maybe(name, lambda: ((rng.randrange(-(1 << 29), 1 << 29) & 0xFFFFFFFF) << 32)
                  | (rng.randrange(-(1 << 30), 1 << 30) & 0xFFFFFFFF))
        elif name == "220":
            maybe(name, lambda: compound({"WS": lambda: bits(16), "WD": lambda: bits(16),
                                          "TMP": lambda: bits(16), "TRB": lambda: bits(8)}))
        elif name == "110":
            maybe(name, lambda: compound({"TIS": lambda: (bits(2) << 5,),
                                          "TID": lambda: [bits(120) for _ in range(rng.randint(0, 2))]}))
        elif name == "295":
            maybe(name, lambda: compound({k: (lambda: bits(8)) for k in (
                "AOS", "TRD", "M3A", "QI", "TI1", "MAM", "GH", "FL", "SAL", "FSA", "AS", "TAS",
                "MH", "BVR", "GVR", "GV", "TAR", "TI2", "TS", "MET", "ROA", "ARA", "SCC")}))
        elif name == "250":
            maybe(name, lambda: [bits(64) for _ in range(rng.randint(0, 2))])
        elif name in ("RE", "SP"):
            maybe(name, lambda: bytes(bits(8) for _ in range(rng.randint(0, 5))))
    if not items:
        items["010"] = bits(16)
    return CAT021.cv_record.create(items)


def values(rec):
    out = {"raw": {}}
    for name in list(rec.items_regular) + ["RE", "SP"]:
        it = rec.get_item(name)
        if it is not None:
            out["raw"][name] = it.unparse().to_bytes().hex()

    def item(name):
        it = rec.get_item(name)
        return None if it is None else it.variation

    def q(v, name, unit):
        return v.get_item(name).variation.content.as_quantity(unit)

    if (v := item("010")) is not None:
        out["010"] = {"SAC": v.get_item("SAC").as_uint(), "SIC": v.get_item("SIC").as_uint()}
    if (v := item("040")) is not None:
        out["040"] = {n: v.get_item(n).as_uint() for n in ("RAB", "SIM", "TST")
                      if v.get_item(n) is not None}
    if (v := item("161")) is not None:
        out["161"] = v.get_item("TRNUM").as_uint()
    for t in ("071", "073"):
        if (v := item(t)) is not None:
            out[t] = v.content.as_quantity("s")
    if (v := item("130")) is not None:
        out["130"] = {"LAT": q(v, "LAT", "°"), "LON": q(v, "LON", "°")}
    if (v := item("131")) is not None:
        out["131"] = {"LAT": q(v, "LAT", "°"), "LON": q(v, "LON", "°")}
    if (v := item("080")) is not None:
        out["080"] = v.as_uint()
    if (v := item("140")) is not None:
        out["140"] = v.content.as_quantity("ft")
    if (v := item("145")) is not None:
        out["145"] = v.content.as_quantity("FL")
    if (v := item("090")) is not None:
        x = v.get_item("NACP")
        if x is not None:
            out["090"] = {"NACP": x.as_uint()}
    if (v := item("160")) is not None:
        out["160"] = {"RE": v.get_item("RE").as_uint(), "GS": q(v, "GS", "NM/s"),
                      "TA": q(v, "TA", "°")}
    if (v := item("170")) is not None:
        raw = v.as_uint()
        out["170"] = {"raw": raw}
        codes = [(raw >> (42 - 6 * i)) & 0x3F for i in range(8)]
        if all(c in range(1, 27) or c == 32 or c in range(48, 58) for c in codes):
            out["170"]["text"] = v.content.as_string()
    return out


def parse_block(data):
    blocks = RawDatablock.parse(Bits.from_bytes(data))
    if isinstance(blocks, ValueError):
        raise ValueError(f"datablocks: {blocks}")
    out = []
    for db in blocks:
        if db.get_category() != 21:
            continue
        recs = CAT021.cv_uap.parse(db.get_raw_records())
        if isinstance(recs, ValueError):
            raise ValueError(f"records: {recs}")
        out.extend(values(r) for r in recs)
    return out


def gen_blocks(seed, n):
    rng = random.Random(seed)
    made = 0
    while made < n:
        if rng.random() < 0.1:
            rec = CAT023.cv_record.create({"010": rng.getrandbits(16), "000": 1,
                                           "070": rng.randrange(86400 * 128)})
            data = CAT023.create([rec]).unparse().to_bytes()
            print(json.dumps({"cat": 23, "block": data.hex()}))
            continue
        k = min(rng.randint(1, 5), n - made)
        recs = [rand_record(rng, (made + i) % 8 == 0) for i in range(k)]
        data = CAT021.create(recs).unparse().to_bytes()
        made += k
        print(json.dumps({"cat": 21, "block": data.hex(), "records": parse_block(data)}))


def main():
    if sys.argv[1:2] == ["gen"]:
        gen_blocks(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1:2] == ["parse"]:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                print(json.dumps({"records": parse_block(bytes.fromhex(json.loads(line)["block"]))}))
            except Exception as e:
                print(json.dumps({"error": repr(e)}))
    else:
        sys.exit("usage: libasterix_cat021.py gen SEED N | parse")


if __name__ == "__main__":
    main()
