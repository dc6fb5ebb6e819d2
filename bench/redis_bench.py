#!/usr/bin/env python3
"""redis_bench.py - the shared collector's foundation on a loopback redis-server with TLS and ACLs
(tests/e2e/redislab.py): how fast one collector publishes through the lease script, what an
entry costs Redis, and how long a standby takes to take over.

usage: bench/redis_bench.py [DRIVER]   (default build/tests/drivers/redis_lease; make bench-redis)
"""
import os
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import redislab  # noqa: E402
import test_redis  # noqa: E402

DRIVER = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build", "tests", "drivers", "redis_lease")


def base(lb):
    return [DRIVER, "-u", "collector", "-c", lb.ca, "-p", lb.password_file("collector")]


def publish_rate(lb, size, count, maxlen=1000):
    lb.cli("collector", "DEL", lb.key("lease"), lb.key("stream"))
    t0 = time.time()
    p = subprocess.run(base(lb) + ["-i", "0", "-s", str(size), "-n", str(maxlen), lb.url, "serve", str(count)],
                       capture_output=True, text=True, timeout=600)
    took = time.time() - t0
    assert p.returncode == 0 and "RELEASED" in p.stdout, p.stdout[-500:]
    n = int(lb.cli("collector", "XLEN", lb.key("stream")).strip())
    return count / took, size * count / took / 1e6, n


def takeover(lb, ttl_ms, rounds):
    times = []
    test_redis._lab = lb
    for _ in range(rounds):
        fleet = test_redis.fresh_fleet(lb)
        a = test_redis.Server(fleet, "-l", str(ttl_ms), "-i", "0.1")
        b = None
        try:
            a.token()
            a.wait_for("PUBLISHED n=2")
            b = test_redis.Server(fleet, "-l", str(ttl_ms), "-i", "0.1")
            b.wait_for("STANDBY")
            time.sleep(ttl_ms / 1000.0 * 0.37)  # a standby's poll falls anywhere in its period
            os.kill(a.proc.pid, signal.SIGSTOP)
            t0 = time.time()
            b.token()
            times.append(time.time() - t0)
            os.kill(a.proc.pid, signal.SIGCONT)
            a.wait_for("LOST:")
        finally:
            a.close()
            if b:
                b.close()
    return times


def main():
    if not os.path.exists(DRIVER):
        sys.exit("%s not built: make bench-redis builds it" % DRIVER)
    lb = redislab.start("lab")
    try:
        print("| entry size | entries/s | MB/s | XLEN after (MAXLEN ~ 1000) |")
        print("|---:|---:|---:|---:|")
        for size, count in ((1024, 5000), (16384, 3000), (262144, 400)):
            rate, mbs, n = publish_rate(lb, size, count)
            print("| %d KiB | %.0f | %.1f | %d |" % (size // 1024, rate, mbs, n))
        print()
        for ttl in (1000, 3000):
            t = takeover(lb, ttl, 5)
            print("lease %d ms: standby active %.2f s after the holder stopped (median of %d; min %.2f, max %.2f)"
                  % (ttl, statistics.median(t), len(t), min(t), max(t)))
    finally:
        lb.close()


if __name__ == "__main__":
    main()
