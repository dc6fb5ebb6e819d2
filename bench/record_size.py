"""record_size.py - how big a --record file grows: 100 targets on the lab at a 2 s refresh.

usage: LAB_DIR=... [DBFLEET_BIN=./dbfleet] [BENCH_TARGETS=100] [BENCH_SECONDS=180] python3 bench/record_size.py

The lab's servers stand for 100 databases under their own names (as tests/e2e/test_scale.py
makes them). Once every target is up, the file's growth over BENCH_SECONDS is measured and
extrapolated to an hour; the frames are counted by type (key frames against deltas).
"""
import os
import re
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
os.environ.setdefault("DBFLEET_BIN", os.path.join(ROOT, "dbfleet"))

from harness import Dbfleet, record_frames, varint, write_config  # noqa: E402
from test_scale import fleet  # noqa: E402

TYPES = {1: "header", 2: "target", 3: "snapshot", 4: "state", 5: "action", 6: "cloud", 8: "end"}


def is_key_frame(payload):
    """A snapshot whose base_seq is 0: its key fields come first (idx, seq, base_seq: tags 1-3, varints)."""
    pos = 0
    while pos < len(payload):
        key, pos = varint(payload, pos)
        value, pos = varint(payload, pos)
        if key == (3 << 3):
            return value == 0
    return False


def main():
    n = int(os.environ.get("BENCH_TARGETS", "100"))
    seconds = float(os.environ.get("BENCH_SECONDS", "180"))
    targets = fleet((n + 2) // 3)[:n]
    cfg = write_config(targets)
    tmp = tempfile.mkdtemp(prefix="dbfleet-recbench-")
    path = os.path.join(tmp, "fleet.rec")
    d = Dbfleet(["-c", cfg, "-r", "2", "-t", "3", "--record", path], width=200, height=60)
    try:
        d.wait_for(r"fleet - %d targets - %d up" % (n, n), timeout=60)
        time.sleep(5)  # past the first samples (rates need two)
        t1, s1 = time.time(), os.path.getsize(path)
        time.sleep(seconds)
        t2, s2 = time.time(), os.path.getsize(path)
        screen = d.screen()
    finally:
        d.close()
        os.unlink(cfg)
    per_hour = (s2 - s1) / (t2 - t1) * 3600
    fr = [(t, end - start, payload) for start, t, end, payload in record_frames(open(path, "rb").read())]
    snaps = [f for f in fr if f[0] == 3]
    keys = [f for f in snaps if is_key_frame(f[2])]
    deltas = [f for f in snaps if not is_key_frame(f[2])]
    up = re.search(r"(\d+) up", screen)
    print("targets %d (%s up at the end), refresh 2 s, measured %.0f s" % (n, up.group(1) if up else "?", t2 - t1))
    print("file grew %d bytes: %.0f bytes/s, %.1f MiB an hour (%.0f bytes/hour)" % (
        s2 - s1, (s2 - s1) / (t2 - t1), per_hour / 1048576, per_hour))
    print("records: " + ", ".join("%s %d" % (TYPES.get(t, t), sum(1 for f in fr if f[0] == t))
                                  for t in sorted({f[0] for f in fr})))
    if snaps:
        print("snapshot frames: %d key frames averaging %.0f bytes, %d deltas averaging %.0f bytes" % (
            len(keys), sum(f[1] for f in keys) / max(len(keys), 1), len(deltas),
            sum(f[1] for f in deltas) / max(len(deltas), 1)))
    os.unlink(path)
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
