"""libasterix (PyPI, pure Python) as the independent peer for biac's ASTERIX CAT048 codec.

Two modes, JSON lines on stdout:

  gen SEED N   Encode N random CAT048 records (random subsets of all 28 UAP items,
               random values, every item shape) with libasterix's CAT048 edition
               1.32, in data blocks of 1-5 records, with a CAT034 block now and then.
               One line per block: {"cat": 48 or 34, "block": hex, "records": [...]}
               where each record is what libasterix reads back from the bytes.
  parse        Read {"block": hex} lines on stdin (blocks written by biac) and answer
               {"records": [...]} as libasterix reads them, or {"error": "..."}.

A record is {"raw": {item: hex of the item's octets}, item: values...}, the values in
the physical units libasterix converts to (NM, degrees, seconds, FL, NM/s, ft, m/s).
Used by crates/biac-formats/tests/asterix_peers.rs.
"""
import json
import random
import sys

from asterix.base import Bits, RawDatablock
import asterix.generated as gen

CAT048 = gen.Cat_048_1_32
CAT034 = gen.Cat_034_1_29
ICAO_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "


def rand_record(rng):
    """A random CAT048 record: each item present with probability 1/2 (I048/040
    with 3/4), values over their whole raw range."""
    items = {}

    def maybe(name, make, p=0.5):
        if rng.random() < p:
            items[name] = make()

    def bits(n):
        return rng.getrandbits(n)

    def extended(max_extents):
        return tuple(bits(7) for _ in range(rng.randint(1, max_extents)))

    maybe("010", lambda: bits(16))
    maybe("140", lambda: rng.randrange(86400 * 128))
    maybe("020", lambda: extended(6))
    maybe("040", lambda: bits(32), p=0.75)
    maybe("070", lambda: bits(16))
    maybe("090", lambda: bits(16))
    maybe("130", lambda: {k: bits(8) for k in ("SRL", "SRR", "SAM", "PRL", "PAM", "RPD", "APD")
                          if rng.random() < 0.5})
    maybe("220", lambda: bits(24))
    maybe("240", lambda: (
        "".join(rng.choice(ICAO_CHARS) for _ in range(rng.randint(0, 8)))
        if rng.random() < 0.8 else bits(48)))
    maybe("250", lambda: [bits(64) for _ in range(rng.randint(0, 3))])
    maybe("161", lambda: bits(16))
    maybe("042", lambda: bits(32))
    maybe("200", lambda: bits(32))
    maybe("170", lambda: extended(2))
    maybe("210", lambda: bits(32))
    maybe("030", lambda: [bits(7) for _ in range(rng.randint(1, 4))])
    maybe("080", lambda: bits(16))
    maybe("100", lambda: bits(32))
    maybe("110", lambda: bits(16))

    def i120():
        v = {}
        if rng.random() < 0.6:
            v["CAL"] = bits(16)
        if rng.random() < 0.6:
            v["RDS"] = [bits(48) for _ in range(rng.randint(0, 3))]
        return v
    maybe("120", i120)
    maybe("230", lambda: bits(16))
    maybe("260", lambda: bits(56))
    maybe("055", lambda: bits(8))
    maybe("050", lambda: bits(16))
    maybe("065", lambda: bits(8))
    maybe("060", lambda: bits(16))
    maybe("SP", lambda: bytes(bits(8) for _ in range(rng.randint(0, 6))))
    maybe("RE", lambda: bytes(bits(8) for _ in range(rng.randint(0, 6))))
    if not items:
        items["010"] = bits(16)
    return CAT048.cv_record.create(items)


def uint(v):
    return v.as_uint()


def sub(group, name):
    """A group's or extended item's subitem as an unsigned integer."""
    return group.get_item(name).as_uint()


def q(group, name, unit):
    return group.get_item(name).variation.content.as_quantity(unit)


def values(rec):
    """What libasterix reads in a record: every item's octets, and the values of the
    items biac interprets, converted to physical units."""
    out = {"raw": {}}
    for name in rec.items_regular:
        out["raw"][name] = rec.get_item(name).unparse().to_bytes().hex()
    for name in ("SP", "RE"):
        it = rec.get_item(name)
        if it is not None:
            out["raw"][name] = it.unparse().to_bytes().hex()
            out[name] = it.variation.get_bytes().hex()

    def item(name):
        it = rec.get_item(name)
        return None if it is None else it.variation

    if (v := item("010")) is not None:
        out["010"] = {"SAC": sub(v, "SAC"), "SIC": sub(v, "SIC")}
    if (v := item("140")) is not None:
        out["140"] = v.content.as_quantity("s")
    if (v := item("020")) is not None:
        d = {}
        for n in ("TYP", "SIM", "RDP", "SPI", "RAB", "TST", "ERR", "XPP", "ME", "MI", "FOEFRI"):
            x = v.get_item(n)
            if x is not None:
                d[n] = x.as_uint()
        out["020"] = d
    if (v := item("040")) is not None:
        out["040"] = {"RHO": q(v, "RHO", "NM"), "THETA": q(v, "THETA", "°")}
    if (v := item("070")) is not None:
        out["070"] = {"V": sub(v, "V"), "G": sub(v, "G"), "L": sub(v, "L"),
                      "MODE3A": v.get_item("MODE3A").variation.content.as_string()}
    if (v := item("090")) is not None:
        out["090"] = {"V": sub(v, "V"), "G": sub(v, "G"), "FL": q(v, "FL", "FL")}
    if (v := item("130")) is not None:
        out["130"] = {n: uint(v.get_item(n).variation)
                      for n in ("SRL", "SRR", "SAM", "PRL", "PAM", "RPD", "APD")
                      if v.get_item(n) is not None}
    if (v := item("220")) is not None:
        out["220"] = v.as_uint()
    if (v := item("240")) is not None:
        out["240"] = {"raw": v.as_uint()}
        codes = [(v.as_uint() >> (42 - 6 * i)) & 0x3F for i in range(8)]
        if all(c in range(1, 27) or c == 32 or c in range(48, 58) for c in codes):
            out["240"]["text"] = v.content.as_string()
    if (v := item("250")) is not None:
        out["250"] = [[sub(e, "MBDATA"), sub(e, "BDS1"), sub(e, "BDS2")] for e in v.get_list()]
    if (v := item("161")) is not None:
        out["161"] = sub(v, "TRN")
    if (v := item("042")) is not None:
        out["042"] = {"X": q(v, "X", "NM"), "Y": q(v, "Y", "NM")}
    if (v := item("200")) is not None:
        out["200"] = {"GSP": q(v, "GSP", "NM/s"), "HDG": q(v, "HDG", "°")}
    if (v := item("170")) is not None:
        d = {}
        for n in ("CNF", "RAD", "DOU", "MAH", "CDM", "TRE", "GHO", "SUP", "TCC"):
            x = v.get_item(n)
            if x is not None:
                d[n] = x.as_uint()
        out["170"] = d
    if (v := item("030")) is not None:
        out["030"] = [e.as_uint() for e in v.get_list()]
    if (v := item("110")) is not None:
        out["110"] = q(v, "3DH", "ft")
    if (v := item("120")) is not None:
        d = {}
        cal = v.get_item("CAL")
        if cal is not None:
            d["CAL"] = {"D": sub(cal.variation, "D"), "CAL": q(cal.variation, "CAL", "m/s")}
        rds = v.get_item("RDS")
        if rds is not None:
            d["RDS"] = [[sub(e, "DOP"), sub(e, "AMB"), sub(e, "FRQ")]
                        for e in rds.variation.get_list()]
        out["120"] = d
    return out


def parse_block(data):
    blocks = RawDatablock.parse(Bits.from_bytes(data))
    if isinstance(blocks, ValueError):
        raise ValueError(f"datablocks: {blocks}")
    out = []
    for db in blocks:
        if db.get_category() != 48:
            continue
        recs = CAT048.cv_uap.parse(db.get_raw_records())
        if isinstance(recs, ValueError):
            raise ValueError(f"records: {recs}")
        out.extend(values(r) for r in recs)
    return out


def gen_blocks(seed, n):
    rng = random.Random(seed)
    made = 0
    while made < n:
        if rng.random() < 0.1:
            rec = CAT034.cv_record.create({
                "000": rng.choice([1, 2]),
                "010": rng.getrandbits(16),
                "020": rng.getrandbits(8),
            })
            data = CAT034.create([rec]).unparse().to_bytes()
            print(json.dumps({"cat": 34, "block": data.hex()}))
            continue
        k = min(rng.randint(1, 5), n - made)
        data = CAT048.create([rand_record(rng) for _ in range(k)]).unparse().to_bytes()
        made += k
        print(json.dumps({"cat": 48, "block": data.hex(), "records": parse_block(data)}))


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
        sys.exit("usage: libasterix_cat048.py gen SEED N | parse")


if __name__ == "__main__":
    main()
