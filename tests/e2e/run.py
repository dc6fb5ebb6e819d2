"""run.py - run every test_* function of tests/e2e/test_*.py; print PASS/FAIL lines.

usage: python3 tests/e2e/run.py [-k SUBSTRING[,SUBSTRING...]]
"""
import importlib
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    only = sys.argv[sys.argv.index("-k") + 1].split(",") if "-k" in sys.argv else []
    here = os.path.dirname(os.path.abspath(__file__))
    failed = 0
    for fname in sorted(os.listdir(here)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        mod = importlib.import_module(fname[:-3])
        for name in [n for n in dir(mod) if n.startswith("test_")]:
            if only and not any(o in name for o in only):
                continue
            t0 = time.time()
            try:
                getattr(mod, name)()
                print("PASS %s.%s (%.1fs)" % (fname[:-3], name, time.time() - t0), flush=True)
            except Exception as e:
                if type(e).__name__ == "Skip":
                    print("SKIP %s.%s: %s" % (fname[:-3], name, e), flush=True)
                    continue
                failed += 1
                print("FAIL %s.%s (%.1fs)" % (fname[:-3], name, time.time() - t0), flush=True)
                traceback.print_exc(file=sys.stdout)
                sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
