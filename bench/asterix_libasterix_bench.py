"""libasterix's decode rate on a capture of ASTERIX blocks (CAT048 or CAT062, as
written by `cargo bench -p biac-formats --bench asterix`): every block parsed and
every record's items read by the category's UAP, as its decoder does. Prints
"records seconds" for the best of 3 rounds. Needs scripts/install-peers.sh."""
import sys
import time

from asterix.base import Bits, RawDatablock
import asterix.generated as gen

UAPS = {48: gen.Cat_048_1_32, 62: gen.Cat_062_1_20}


def decode(data):
    n = 0
    pos = 0
    # Block by block: libasterix parses a list of blocks recursively, one frame per
    # block, past Python's recursion limit for a capture of a thousand.
    while pos < len(data):
        size = int.from_bytes(data[pos + 1:pos + 3], "big")
        for db in RawDatablock.parse(Bits.from_bytes(data[pos:pos + size])):
            cat = UAPS[db.get_category()]
            recs = cat.cv_uap.parse(db.get_raw_records())
            if isinstance(recs, ValueError):
                raise recs
            n += len(recs)
        pos += size
    return n


def main():
    data = open(sys.argv[1], "rb").read()
    best = None
    for _ in range(3):
        t = time.process_time()
        n = decode(data)
        dt = time.process_time() - t
        best = dt if best is None else min(best, dt)
    print(n, best)


if __name__ == "__main__":
    main()
