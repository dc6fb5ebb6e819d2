"""bench.py - dbfleet against pg_activity, innotop and mytop on the lab, in one run.

Each tool runs for DURATION seconds at a 1 s refresh in tmux (200x50), under
the lab's load, as its own user: on PostgreSQL (pg_monitor) beside
pg_activity, with pg_stat_statements reset before each run; on MariaDB
(PROCESS, SLAVE MONITOR, SELECT on performance_schema) beside innotop and
mytop, with performance_schema's per-account statement summary truncated
before each run. Printed per tool: CPU seconds (user+sys), peak RSS, bytes
written to the terminal per refresh, the server time of its own monitoring
statements, and the server CPU its connections used. Then the issues'
targets, each met or missed.

Two ways of measuring what a tool costs the server:
- statement timers, each server's own: pg_stat_statements' execution and
  planning time (track_planning is turned on in the lab for this; parsing is
  in neither) and performance_schema's SUM_TIMER_WAIT (parsing included).
- server CPU: the CPU time the server spent in the process (PostgreSQL) or
  thread (MariaDB, performance_schema.threads.THREAD_OS_ID) serving the
  tool's connections, from /proc/.../schedstat, over the same window on
  both servers: the like-for-like figure across the two servers.
  Connections that end before the window closes are not counted (none of
  these tools do).
The MariaDB-against-PostgreSQL target is met when both say so.
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


def mdb(sql):
    return subprocess.run(["mariadb", "--no-defaults", "-N", "-B", "-uroot",
                           "--socket=%s/mdb-primary.sock" % LAB["LAB_DIR"], "-e", sql],
                          capture_output=True, text=True, check=True).stdout.strip()


def pg_cost(role):
    ms = psql("SELECT coalesce(sum(total_exec_time + total_plan_time), 0) FROM pg_stat_statements s "
              "JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = '%s'" % role)
    calls = psql("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s "
                 "JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = '%s'" % role)
    return float(ms or 0), int(calls or 0)


def mdb_cost(user):
    row = mdb("SELECT COALESCE(SUM(SUM_TIMER_WAIT), 0) / 1e9, COALESCE(SUM(COUNT_STAR), 0) FROM "
              "performance_schema.events_statements_summary_by_account_by_event_name "
              "WHERE USER = '%s'" % user).split()
    return float(row[0]), int(float(row[1]))


def server_cpu_ns(user, server):
    """{id: CPU ns so far} of the server processes/threads serving 'user'."""
    out = {}
    if server == "pg":
        ids = psql("SELECT pid FROM pg_stat_activity WHERE usename = '%s'" % user).split()
        paths = {i: "/proc/%s/schedstat" % i for i in ids}
    else:
        mpid = open(os.path.join(LAB["LAB_DIR"], "mdb-primary.pid")).read().strip()
        ids = mdb("SELECT THREAD_OS_ID FROM performance_schema.threads WHERE PROCESSLIST_USER = '%s'" % user).split()
        paths = {i: "/proc/%s/task/%s/schedstat" % (mpid, i) for i in ids}
    for i, path in paths.items():
        try:
            out[i] = int(open(path).read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return out


def run(name, cmd, role, after_start=(), server="pg"):
    if server == "pg":
        psql("SELECT pg_stat_statements_reset()")
    else:
        mdb("TRUNCATE performance_schema.events_statements_summary_by_account_by_event_name")
    sock = "dbfleet-bench-%s-%d" % (name, os.getpid())
    ru = tempfile.mktemp(prefix="bench-ru-")
    raw = tempfile.mktemp(prefix="bench-raw-")
    home = tempfile.mkdtemp(prefix="bench-home-")  # innotop writes its config there
    full = "env HOME=%s TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 python3 %s %s %s" % (home,
        shlex.quote(os.path.join(HERE, "rusage.py")), ru, " ".join(shlex.quote(c) for c in cmd))
    tmux(sock, "new-session", "-d", "-x", "200", "-y", "50", full + "; sleep 600")
    tmux(sock, "pipe-pane", "-t", "0", "-o", "cat >> %s" % raw)
    time.sleep(1.5)
    for k in after_start:
        tmux(sock, "send-keys", "-t", "0", k)
    time.sleep(0.5)
    cpu0, t0 = server_cpu_ns(role, server), time.time()
    time.sleep(DURATION - 2)
    cpu1, t1 = server_cpu_ns(role, server), time.time()
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
    db_ms, calls = pg_cost(role) if server == "pg" else mdb_cost(role)
    for f in (ru, raw):
        if os.path.exists(f):
            os.unlink(f)
    server_ms_s = sum(v - cpu0.get(i, 0) for i, v in cpu1.items()) / 1e6 / (t1 - t0)
    return {"cpu": float(user) + float(sys_), "rss_mb": int(rss) / 1024.0,
            "bytes_per_refresh": nbytes / DURATION, "db_ms": db_ms, "statements": calls,
            "server_cpu_ms": server_ms_s}


def main():
    # planning is part of what a monitoring query costs PostgreSQL: count it
    psql("ALTER SYSTEM SET pg_stat_statements.track_planning = on")
    psql("SELECT pg_reload_conf()")
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
    checks = []
    if "MDB_PRIMARY_PORT" in LAB:
        for user in ("bench_dbfleet", "bench_innotop", "bench_mytop"):
            mdb("CREATE USER IF NOT EXISTS %s@'%%'; GRANT PROCESS, SLAVE MONITOR, REPLICA MONITOR ON *.* "
                "TO %s@'%%'; GRANT SELECT ON performance_schema.* TO %s@'%%'" % (user, user, user))
        mport = LAB["MDB_PRIMARY_PORT"]
        res["dbfleet/mdb"] = run("dbfleet-mdb", ["env", "DBFLEET_KEYMAPS=" + os.path.join(ROOT, "keymaps"),
                                                 dbfleet, "--refresh", "1",
                                                 "mysql://bench_dbfleet@127.0.0.1:%s/" % mport],
                                 "bench_dbfleet", server="mdb")
        res["innotop"] = run("innotop", ["innotop", "-h", "127.0.0.1", "-P", mport, "-u", "bench_innotop",
                                         "-d", "1", "-m", "Q"], "bench_innotop", server="mdb")
        res["mytop"] = run("mytop", ["mytop", "-h", "127.0.0.1", "-P", mport, "-u", "bench_mytop",
                                     "-d", "performance_schema", "-s", "1"], "bench_mytop", server="mdb")
    print("%-12s %10s %10s %16s %12s %12s %14s %18s" % ("tool", "CPU s", "peak RSS", "bytes/refresh",
                                                         "DB ms", "statements", "DB ms/refresh",
                                                         "server CPU ms/s"))
    for name, r in res.items():
        print("%-12s %10.2f %8.1fMB %16.0f %12.1f %12d %14.3f %18.3f" % (
            name, r["cpu"], r["rss_mb"], r["bytes_per_refresh"], r["db_ms"], r["statements"],
            r["db_ms"] / DURATION, r["server_cpu_ms"]))
    d, p = res["dbfleet"], res["pg_activity"]
    checks += [
        ("CPU <= 1/4 of pg_activity", d["cpu"] <= p["cpu"] / 4, "%.2f vs %.2f" % (d["cpu"], p["cpu"])),
        ("bytes/refresh <= 1/2", d["bytes_per_refresh"] <= p["bytes_per_refresh"] / 2,
         "%.0f vs %.0f" % (d["bytes_per_refresh"], p["bytes_per_refresh"])),
        ("DB time <= 1/2", d["db_ms"] <= p["db_ms"] / 2, "%.1f ms vs %.1f ms" % (d["db_ms"], p["db_ms"])),
        ("RSS <= 20 MB", d["rss_mb"] <= 20, "%.1f MB" % d["rss_mb"]),
    ]
    if "dbfleet/mdb" in res:
        m = res["dbfleet/mdb"]
        checks.append(("MariaDB probe <= PostgreSQL probe",
                       m["server_cpu_ms"] <= d["server_cpu_ms"] and m["db_ms"] <= d["db_ms"],
                       "%.2f vs %.2f ms of server CPU, %.2f vs %.2f ms of statement time per refresh"
                       % (m["server_cpu_ms"], d["server_cpu_ms"], m["db_ms"] / DURATION, d["db_ms"] / DURATION)))
    for what, ok, fig in checks:
        print("%-4s %-34s %s" % ("met" if ok else "MISS", what, fig))
    return 0 if all(c[1] for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
