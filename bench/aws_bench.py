"""aws_bench.py - discovery plus one metrics round for a 1,000-instance emulated fleet.

moto (behind the project's proxy, which counts requests per operation) holds
1,000 RDS instances; build/bench/aws_round runs one DescribeDBInstances round
and one GetMetricData round through dbfleet's aws/ code. Printed: wall time,
API requests (as the client counted them and as the proxy saw them), CPU,
peak RSS, and the issue's targets: ceil(1000/100) DescribeDBInstances pages,
ceil(metrics/500) GetMetricData calls, RSS under 50 MB.
"""
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import awslab  # noqa: E402

N = int(os.environ.get("BENCH_INSTANCES", "1000"))
METRICS_PER_INSTANCE = 10  # CW_N less the lag metric of the other kind (RDS PostgreSQL: AuroraReplicaLag)


def main():
    if not awslab.available():
        print("moto is not installed: skipping the AWS benchmark")
        return 0
    awslab.url()
    awslab.reset()
    t = time.time()
    awslab.create_instances("us-east-1", ["bench-%04d" % i for i in range(N)])
    for i in range(0, N, 50):
        awslab.put_metric("us-east-1", "bench-%04d" % i, "CPUUtilization", 10.0 + i % 80)
    print("fleet of %d created in %.1fs" % (N, time.time() - t))
    awslab.proxy("reset")
    env = dict(os.environ, **awslab.env())
    binary = os.environ.get("AWS_ROUND_BIN", os.path.join(HERE, "..", "build", "bench", "aws_round"))
    r = subprocess.run([binary, "us-east-1"], env=env, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        print(r.stderr)
        return 1
    fig = dict(l.split() for l in r.stdout.splitlines())
    stats = awslab.proxy("stats")
    pages, gmd = len(stats.get("DescribeDBInstances", [])), len(stats.get("GetMetricData", []))
    want_pages, want_gmd = math.ceil(N / 100), math.ceil(N * METRICS_PER_INSTANCE / 500)
    rss = int(fig["maxrss_kb"]) / 1024.0
    print("instances found          %s (%s with the seeded CPU point)" % (fig["instances"], fig["with_cpu"]))
    print("discovery wall time      %.2f s" % float(fig["discovery_s"]))
    print("metrics round wall time  %.2f s" % float(fig["metrics_s"]))
    print("API requests             %s discovery + %s metrics (client count); proxy saw %d DescribeDBInstances,"
          " %d GetMetricData, %d other" % (fig["requests_discovery"], fig["requests_metrics"], pages, gmd,
                                           sum(len(v) for k, v in stats.items()) - pages - gmd))
    print("CPU                      %.2f s" % float(fig["cpu_s"]))
    print("peak RSS                 %.1f MB" % rss)
    # the whole program, showing that fleet: peak RSS once discovery and metrics are in
    dbfleet = os.environ.get("DBFLEET_BIN", os.path.join(HERE, "..", "dbfleet"))
    sock = "dbfleet-awsbench-%d" % os.getpid()
    envs = " ".join("%s=%s" % kv for kv in awslab.env().items())
    subprocess.run(["tmux", "-L", sock, "-f", "/dev/null", "new-session", "-d", "-x", "200", "-y", "50",
                    "env %s DBFLEET_KEYMAPS=%s %s --aws --region us-east-1; sleep 60" % (
                        envs, os.path.join(HERE, "..", "keymaps"), dbfleet)])
    time.sleep(1)
    pid = subprocess.run(["pgrep", "-n", "-f", dbfleet + " --aws"], capture_output=True, text=True).stdout.split()
    deadline = time.time() + 90
    while time.time() < deadline and len(awslab.proxy("stats").get("GetMetricData", [])) < 2 * want_gmd:
        time.sleep(0.5)
    time.sleep(2)
    hwm = -1.0
    if pid:
        for line in open("/proc/%s/status" % pid[0]):
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024.0
    subprocess.run(["tmux", "-L", sock, "-f", "/dev/null", "send-keys", "q"])
    time.sleep(1)
    subprocess.run(["tmux", "-L", sock, "-f", "/dev/null", "kill-server"])
    print("dbfleet --aws peak RSS   %.1f MB (1,000 instances discovered and their metrics in)" % hwm)
    checks = [
        ("DescribeDBInstances pages == ceil(N/100)", pages == want_pages, "%d vs %d" % (pages, want_pages)),
        ("GetMetricData calls == ceil(metrics/500)", gmd == want_gmd, "%d vs %d" % (gmd, want_gmd)),
        ("RSS < 50 MB (one round through aws/)", rss < 50, "%.1f MB" % rss),
        ("RSS < 50 MB (dbfleet --aws)", 0 < hwm < 50, "%.1f MB" % hwm),
        ("every instance found", int(fig["instances"]) == N, fig["instances"]),
    ]
    for what, ok, f in checks:
        print("%-4s %-42s %s" % ("met" if ok else "MISS", what, f))
    return 0 if all(c[1] for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
