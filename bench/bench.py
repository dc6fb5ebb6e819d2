"""bench.py - dbfleet against pg_activity on the same lab server, in one run.

Each tool runs for DURATION seconds at a 1 s refresh in tmux (200x50), under
pgbench load, as its own role (pg_monitor), with pg_stat_statements reset
before each run. Printed per tool: CPU seconds (user+sys), peak RSS, bytes
written to the terminal per refresh, and the server time of its own
monitoring statements. Then the issue's targets, each met or missed.
"""
import os
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DURATION = float(os.environ.get("BENCH_SECONDS", "60"))
LAB = dict(l.strip().split("=", 1) for l in open(os.path.join(os.environ["LAB_DIR"], "env")))
PORT = LAB["PG_PRIMARY_PORT"]


def psql(sql, user="postgres"):
    return subprocess.run([os.path.join(LAB["PG_BIN"], "psql"), "-X", "-A", "-t", "-q", "-h", "127.0.0.1",
                           "-p", PORT, "-U", user, "-d", "app", "-c", sql],
                          capture_output=True, text=True, check=True).stdout.strip()


def tmux(sock, *args):
    return subprocess.run(["tmux", "-L", sock, "-f", "/dev/null"] + list(args),
                          capture_output=True, text=True).stdout


def run(name, cmd, role, after_start=()):
    psql("SELECT pg_stat_statements_reset()")
    sock = "dbfleet-bench-%s-%d" % (name, os.getpid())
    ru = tempfile.mktemp(prefix="bench-ru-")
    raw = tempfile.mktemp(prefix="bench-raw-")
    full = "env TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 python3 %s %s %s" % (
        shlex.quote(os.path.join(HERE, "rusage.py")), ru, " ".join(shlex.quote(c) for c in cmd))
    tmux(sock, "new-session", "-d", "-x", "200", "-y", "50", full + "; sleep 600")
    tmux(sock, "pipe-pane", "-t", "0", "-o", "cat >> %s" % raw)
    time.sleep(1.5)
    for k in after_start:
        tmux(sock, "send-keys", "-t", "0", k)
    time.sleep(DURATION - 1.5)
    tmux(sock, "send-keys", "-t", "0", "q")
    deadline = time.time() + 10
    while not os.path.exists(ru) or not open(ru).read().strip():
        if time.time() > deadline:
            raise SystemExit("%s did not quit" % name)
        time.sleep(0.1)
    screen = tmux(sock, "capture-pane", "-p", "-t", "0")
    tmux(sock, "kill-server")
    user, sys_, rss = open(ru).read().split()
    nbytes = os.path.getsize(raw) if os.path.exists(raw) else 0
    db_ms = float(psql("SELECT coalesce(sum(total_exec_time), 0) FROM pg_stat_statements s "
                       "JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = '%s'" % role) or 0)
    calls = int(psql("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s "
                     "JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = '%s'" % role) or 0)
    for f in (ru, raw):
        if os.path.exists(f):
            os.unlink(f)
    return {"cpu": float(user) + float(sys_), "rss_mb": int(rss) / 1024.0,
            "bytes_per_refresh": nbytes / DURATION, "db_ms": db_ms, "statements": calls}


def main():
    for role in ("bench_dbfleet", "bench_pgactivity"):
        psql("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN "
             "CREATE ROLE %s LOGIN; GRANT pg_monitor TO %s; END IF; END$$" % (role, role, role))
    dbfleet = os.environ.get("DBFLEET_BIN", os.path.join(ROOT, "dbfleet"))
    res = {}
    res["dbfleet"] = run("dbfleet", ["env", "DBFLEET_KEYMAPS=" + os.path.join(ROOT, "keymaps"), dbfleet,
                                     "--refresh", "1",
                                     "host=127.0.0.1 port=%s user=bench_dbfleet dbname=app" % PORT],
                         "bench_dbfleet")
    # pg_activity starts at 2 s; '-' lowers its refresh to 1 s
    res["pg_activity"] = run("pg_activity", ["pg_activity", "-h", "127.0.0.1", "-p", PORT, "-U",
                                             "bench_pgactivity", "-d", "app"],
                             "bench_pgactivity", after_start=["-"])
    print("%-12s %10s %10s %16s %12s %12s" % ("tool", "CPU s", "peak RSS", "bytes/refresh",
                                               "DB ms", "statements"))
    for name, r in res.items():
        print("%-12s %10.2f %8.1fMB %16.0f %12.1f %12d" % (name, r["cpu"], r["rss_mb"],
                                                          r["bytes_per_refresh"], r["db_ms"], r["statements"]))
    d, p = res["dbfleet"], res["pg_activity"]
    checks = [
        ("CPU <= 1/4 of pg_activity", d["cpu"] <= p["cpu"] / 4, "%.2f vs %.2f" % (d["cpu"], p["cpu"])),
        ("bytes/refresh <= 1/2", d["bytes_per_refresh"] <= p["bytes_per_refresh"] / 2,
         "%.0f vs %.0f" % (d["bytes_per_refresh"], p["bytes_per_refresh"])),
        ("DB time <= 1/2", d["db_ms"] <= p["db_ms"] / 2, "%.1f ms vs %.1f ms" % (d["db_ms"], p["db_ms"])),
        ("RSS <= 20 MB", d["rss_mb"] <= 20, "%.1f MB" % d["rss_mb"]),
    ]
    for what, ok, fig in checks:
        print("%-4s %-28s %s" % ("met" if ok else "MISS", what, fig))
    return 0 if all(c[1] for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
