"""run.py - run every test_* function of tests/e2e/test_*.py; print PASS/FAIL/SKIP lines.

usage: python3 tests/e2e/run.py [-k SUBSTRING[,SUBSTRING...]] [--exact NAME[,NAME...]]

-k runs the tests whose name contains one of the substrings. --exact runs the tests of exactly
these names (test_x or module.test_x) and prints a FAIL line for each name that names no test,
so a renamed test cannot drop out of a list silently. A test that cannot run here raises
harness.Skip: it prints SKIP with the reason and counts neither as passed nor as failed.
"""
import importlib
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Skip  # noqa: E402


def option(flag):
    if flag not in sys.argv:
        return []
    i = sys.argv.index(flag)
    if i + 1 >= len(sys.argv):
        sys.exit("run.py: %s needs a comma-separated list" % flag)
    return [w for w in sys.argv[i + 1].split(",") if w]


def all_tests():
    """(module name, test name, function) for every test, in file and name order."""
    here = os.path.dirname(os.path.abspath(__file__))
    for fname in sorted(os.listdir(here)):
        if fname.startswith("test_") and fname.endswith(".py"):
            mod = importlib.import_module(fname[:-3])
            for name in sorted(n for n in dir(mod) if n.startswith("test_")):
                yield fname[:-3], name, getattr(mod, name)


def run_one(modname, name, fn):
    """Run one test and print its line; 1 if it failed."""
    t0 = time.time()
    try:
        fn()
    except Skip as e:
        print("SKIP %s.%s: %s" % (modname, name, e), flush=True)
        return 0
    except Exception:
        print("FAIL %s.%s (%.1fs)" % (modname, name, time.time() - t0), flush=True)
        traceback.print_exc(file=sys.stdout)
        sys.stdout.flush()
        return 1
    print("PASS %s.%s (%.1fs)" % (modname, name, time.time() - t0), flush=True)
    return 0


def main():
    only, exact = option("-k"), option("--exact")
    failed = 0
    found = set()
    for modname, name, fn in all_tests():
        if exact:
            hits = {e for e in exact if e in (name, modname + "." + name)}
            if not hits:
                continue
            found |= hits
        elif only and not any(o in name for o in only):
            continue
        failed += run_one(modname, name, fn)
    for missing in [e for e in exact if e not in found]:
        print("FAIL %s: no such test (renamed? fix the list that names it)" % missing, flush=True)
        failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
