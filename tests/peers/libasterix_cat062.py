"""libasterix (PyPI, pure Python) as the independent peer for biac's ASTERIX CAT062 codec.

Two modes, JSON lines on stdout:

  gen SEED N   Encode N random CAT062 system track records with libasterix's CAT062
               edition 1.20 (every item of the UAP, each present with probability 1/2,
               every 8th record with all of them; every subfield of the compound
               items likewise; random values over their raw ranges), in data blocks of
               1-5 records, with a CAT063 block now and then.
               One line per block: {"cat": 62 or 63, "block": hex, "records": [...]}
               where each record is what libasterix reads back from the bytes.
  parse        Read {"block": hex} lines on stdin (blocks written by biac) and answer
               {"records": [...]} as libasterix reads them, or {"error": "..."}.

A record is {"raw": {item: hex of the item's octets}, "sub": {item: [[subfield
number, hex], ...]},
item: values...}, the values in the physical units libasterix converts to (s, degrees,
m, m/s, ft, FL, ft/min). Used by crates/biac-formats/tests/asterix_cat062_peers.rs.
"""
import json
import random
import sys

from asterix.base import Bits, RawDatablock
import asterix.generated as gen

CAT062 = gen.Cat_062_1_20
CAT063 = gen.Cat_063_1_6
ICAO_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "
ASCII = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "
COMPOUNDS = ("380", "290", "295", "390", "110", "500", "340")


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
        """subs: {name: maker}; each subfield present with probability p (at least one)."""
        d = {k: make() for k, make in subs.items() if rng.random() < p}
        if not d:
            k = rng.choice(list(subs))
            d[k] = subs[k]()
        return d

    def text(n):
        return "".join(rng.choice(ICAO_CHARS) for _ in range(n))

    def ascii_bytes(n):
        return int.from_bytes("".join(rng.choice(ASCII) for _ in range(n)).encode(), "big")

    maybe("010", lambda: bits(16))
    maybe("015", lambda: bits(8))
    maybe("070", lambda: rng.randrange(86400 * 128))
    maybe("105", lambda: (rng.randrange(-(1 << 24), 1 << 24) & 0xFFFFFFFF) << 32
          | (rng.randrange(-(1 << 25), 1 << 25) & 0xFFFFFFFF))
    maybe("100", lambda: bits(48))
    maybe("185", lambda: bits(32))
    maybe("210", lambda: bits(16))
    maybe("060", lambda: bits(16) & 0xEFFF)
    maybe("245", lambda: (bits(2) << 54) | bits(48))
    maybe("380", lambda: compound({
        "ADR": lambda: bits(24), "ID": lambda: bits(48), "MHG": lambda: bits(16),
        "IAS": lambda: bits(16), "TAS": lambda: bits(16), "SAL": lambda: bits(16),
        "FSS": lambda: bits(16), "TIS": lambda: (bits(2) << 5,),
        "TID": lambda: [bits(120) for _ in range(rng.randint(0, 2))],
        "COM": lambda: bits(16) & 0xFCFF, "SAB": lambda: bits(16) & 0xFE07,
        "ACS": lambda: bits(56), "BVR": lambda: bits(16), "GVR": lambda: bits(16),
        "RAN": lambda: bits(16), "TAR": lambda: bits(16) & 0xC0FE, "TAN": lambda: bits(16),
        "GS": lambda: bits(16), "VUN": lambda: bits(8), "MET": lambda: bits(64) & ~(0xF << 56),
        "EMC": lambda: bits(8), "POS": lambda: bits(48), "GAL": lambda: bits(16),
        "PUN": lambda: bits(4), "BDSDATA": lambda: [bits(64) for _ in range(rng.randint(0, 2))],
        "IAR": lambda: bits(16), "MAC": lambda: bits(16), "BPS": lambda: bits(12),
    }))
    maybe("040", lambda: bits(16))
    maybe("080", lambda: extended(6))
    maybe("290", lambda: compound({
        k: (lambda: bits(16)) if k == "ADS" else (lambda: bits(8))
        for k in ("TRK", "PSR", "SSR", "MDS", "ADS", "ES", "VDL", "UAT", "LOP", "MLT")}))
    maybe("200", lambda: bits(8) & 0xFE)
    maybe("295", lambda: compound({k: (lambda: bits(8)) for k in (
        "MFL", "MD1", "MD2", "MDA", "MD4", "MD5", "MHG", "IAS", "TAS", "SAL", "FSS", "TID",
        "COM", "SAB", "ACS", "BVR", "GVR", "RAN", "TAR", "TAN", "GSP", "VUN", "MET", "EMC",
        "POS", "GAL", "PUN", "MB", "IAR", "MAC", "BPS")}))
    maybe("136", lambda: bits(16))
    maybe("130", lambda: bits(16))
    maybe("135", lambda: bits(16))
    maybe("220", lambda: bits(16))
    maybe("390", lambda: compound({
        "TAG": lambda: bits(16), "CS": lambda: ascii_bytes(7),
        "IFI": lambda: bits(32) & 0xC7FFFFFF, "FCT": lambda: bits(8) & 0xFE,
        "TAC": lambda: ascii_bytes(4), "WTC": lambda: ascii_bytes(1),
        "DEP": lambda: ascii_bytes(4), "DST": lambda: ascii_bytes(4),
        "RDS": lambda: ascii_bytes(3), "CFL": lambda: bits(16), "CTL": lambda: bits(16),
        "TOD": lambda: [bits(32) & 0xFF1F3F7F for _ in range(rng.randint(0, 2))],
        "AST": lambda: ascii_bytes(6), "STS": lambda: bits(8) & 0xF0,
        "STD": lambda: ascii_bytes(7), "STA": lambda: ascii_bytes(7),
        "PEM": lambda: bits(13), "PEC": lambda: ascii_bytes(7),
    }))
    maybe("270", lambda: extended(3))
    maybe("300", lambda: bits(8))
    maybe("110", lambda: compound({
        "SUM": lambda: bits(8), "PMN": lambda: bits(32) & 0x3FFF1F3F,
        "POS": lambda: bits(48), "GA": lambda: bits(15), "EM1": lambda: bits(12),
        "TOS": lambda: bits(8), "XP": lambda: bits(5),
    }))
    maybe("120", lambda: bits(12))
    maybe("510", lambda: [bits(23) for _ in range(rng.randint(1, 3))])
    maybe("500", lambda: compound({
        "APC": lambda: bits(32), "COV": lambda: bits(16), "APW": lambda: bits(32),
        "AGA": lambda: bits(8), "ABA": lambda: bits(8), "ATV": lambda: bits(16),
        "AA": lambda: bits(16), "ARC": lambda: bits(8),
    }))
    maybe("340", lambda: compound({
        "SID": lambda: bits(16), "POS": lambda: bits(32), "HEIGHT": lambda: bits(16),
        "MDC": lambda: bits(16), "MDA": lambda: bits(16) & 0xEFFF, "TYP": lambda: bits(8) & 0xFC,
    }))
    maybe("RE", lambda: bytes(bits(8) for _ in range(rng.randint(0, 6))))
    maybe("SP", lambda: bytes(bits(8) for _ in range(rng.randint(0, 6))))
    if not items:
        items["010"] = bits(16)
    return CAT062.cv_record.create(items)


def q(group, name, unit):
    return group.get_item(name).variation.content.as_quantity(unit)


def hexof(x):
    return x.unparse().to_bytes().hex()


def values(rec):
    """What libasterix reads in a record: every item's octets, every compound
    subfield's octets, and the values of the items biac interprets, in physical units."""
    out = {"raw": {}, "sub": {}}
    for name in list(rec.items_regular) + ["RE", "SP"]:
        it = rec.get_item(name)
        if it is not None:
            out["raw"][name] = hexof(it)
    for name in ("RE", "SP"):
        it = rec.get_item(name)
        if it is not None:
            out[name] = it.variation.get_bytes().hex()

    def item(name):
        it = rec.get_item(name)
        return None if it is None else it.variation

    for name in COMPOUNDS:
        v = item(name)
        if v is not None:
            out["sub"][name] = []
            for k, ns in enumerate(v.cv_items_list):
                if ns is None:
                    continue
                s = v.get_item(ns.cv_name)
                if s is not None:
                    out["sub"][name].append([k + 1, hexof(s)])

    if (v := item("010")) is not None:
        out["010"] = {"SAC": v.get_item("SAC").as_uint(), "SIC": v.get_item("SIC").as_uint()}
    if (v := item("015")) is not None:
        out["015"] = v.as_uint()
    if (v := item("070")) is not None:
        out["070"] = v.content.as_quantity("s")
    if (v := item("105")) is not None:
        out["105"] = {"LAT": q(v, "LAT", "°"), "LON": q(v, "LON", "°")}
    if (v := item("100")) is not None:
        out["100"] = {"X": q(v, "X", "m"), "Y": q(v, "Y", "m")}
    if (v := item("185")) is not None:
        out["185"] = {"VX": q(v, "VX", "m/s"), "VY": q(v, "VY", "m/s")}
    if (v := item("210")) is not None:
        out["210"] = {"AX": q(v, "AX", "m/s²"), "AY": q(v, "AY", "m/s²")}
    if (v := item("060")) is not None:
        out["060"] = {"V": v.get_item("V").as_uint(), "G": v.get_item("G").as_uint(),
                      "CH": v.get_item("CH").as_uint(),
                      "MODE3A": v.get_item("MODE3A").variation.content.as_string()}
    if (v := item("245")) is not None:
        chr_ = v.get_item("CHR").variation
        out["245"] = {"STI": v.get_item("STI").as_uint(), "raw": chr_.as_uint()}
        codes = [(chr_.as_uint() >> (42 - 6 * i)) & 0x3F for i in range(8)]
        if all(c in range(1, 27) or c == 32 or c in range(48, 58) for c in codes):
            out["245"]["text"] = chr_.content.as_string()
    if (v := item("380")) is not None:
        d = {}
        if (s := v.get_item("ADR")) is not None:
            d["ADR"] = s.as_uint()
        if (s := v.get_item("GAL")) is not None:
            d["GAL"] = s.variation.content.as_quantity("ft")
        out["380"] = d
    if (v := item("040")) is not None:
        out["040"] = v.as_uint()
    if (v := item("080")) is not None:
        d = {}
        for grp in v.cv_items_list:
            for x in grp:
                if x is None or not hasattr(x[0], "cv_non_spare"):
                    continue
                n = x[0].cv_non_spare.cv_name
                s = v.get_item(n)
                if s is not None:
                    d[n] = s.as_uint()
        out["080"] = d
    if (v := item("136")) is not None:
        out["136"] = v.content.as_quantity("FL")
    if (v := item("130")) is not None:
        out["130"] = v.content.as_quantity("ft")
    if (v := item("135")) is not None:
        out["135"] = {"QNH": v.get_item("QNH").as_uint(), "CTB": q(v, "CTB", "FL")}
    if (v := item("220")) is not None:
        out["220"] = v.content.as_quantity("ft/min")
    if (v := item("390")) is not None:
        if (s := v.get_item("CS")) is not None:
            out["390"] = {"CS": s.variation.content.as_string()}
    if (v := item("120")) is not None:
        out["120"] = v.get_item("MODE2").variation.content.as_string()
    if (v := item("510")) is not None:
        out["510"] = [[e.get_item("IDENT").as_uint(), e.get_item("TRACK").as_uint()]
                      for e in v.get_list()]
    if (v := item("500")) is not None:
        d = {}
        if (s := v.get_item("APC")) is not None:
            d["APC"] = [q(s.variation, "X", "m"), q(s.variation, "Y", "m")]
        if (s := v.get_item("COV")) is not None:
            d["COV"] = s.variation.content.as_quantity("m")
        if (s := v.get_item("APW")) is not None:
            d["APW"] = [q(s.variation, "LAT", "°"), q(s.variation, "LON", "°")]
        if (s := v.get_item("AGA")) is not None:
            d["AGA"] = s.variation.content.as_quantity("ft")
        if (s := v.get_item("ABA")) is not None:
            d["ABA"] = s.variation.content.as_quantity("FL")
        if (s := v.get_item("ATV")) is not None:
            d["ATV"] = [q(s.variation, "X", "m/s"), q(s.variation, "Y", "m/s")]
        if (s := v.get_item("AA")) is not None:
            d["AA"] = [q(s.variation, "X", "m/s²"), q(s.variation, "Y", "m/s²")]
        if (s := v.get_item("ARC")) is not None:
            d["ARC"] = s.variation.content.as_quantity("ft/min")
        out["500"] = d
    if (v := item("340")) is not None:
        if (s := v.get_item("SID")) is not None:
            out["340"] = {"SAC": s.variation.get_item("SAC").as_uint(),
                          "SIC": s.variation.get_item("SIC").as_uint()}
    return out


def parse_block(data):
    blocks = RawDatablock.parse(Bits.from_bytes(data))
    if isinstance(blocks, ValueError):
        raise ValueError(f"datablocks: {blocks}")
    out = []
    for db in blocks:
        if db.get_category() != 62:
            continue
        recs = CAT062.cv_uap.parse(db.get_raw_records())
        if isinstance(recs, ValueError):
            raise ValueError(f"records: {recs}")
        out.extend(values(r) for r in recs)
    return out


def gen_blocks(seed, n):
    rng = random.Random(seed)
    made = 0
    while made < n:
        if rng.random() < 0.1:
            rec = CAT063.cv_record.create({"010": rng.getrandbits(16), "015": 1,
                                           "030": rng.getrandbits(24), "050": rng.getrandbits(16)})
            data = CAT063.create([rec]).unparse().to_bytes()
            print(json.dumps({"cat": 63, "block": data.hex()}))
            continue
        k = min(rng.randint(1, 5), n - made)
        recs = [rand_record(rng, (made + i) % 8 == 0) for i in range(k)]
        data = CAT062.create(recs).unparse().to_bytes()
        made += k
        print(json.dumps({"cat": 62, "block": data.hex(), "records": parse_block(data)}))


def main():
    if sys.argv[1:2] == ["gen"]:
        gen_blocks(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1:2] == ["parse"]:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                recs = parse_block(bytes.fromhex(json.loads(line)["block"]))
                print(json.dumps({"records": recs}))
            except Exception as e:  # answered per line, the test names it
                print(json.dumps({"error": repr(e)}))
    else:
        sys.exit("usage: libasterix_cat062.py gen SEED N | parse")


if __name__ == "__main__":
    main()
