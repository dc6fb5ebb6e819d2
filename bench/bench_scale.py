"""bench_scale.py - dbfleet on a fleet of a thousand targets, and the probe's server cost.

  python3 bench/bench_scale.py scale        (LAB_DIR set: a lab started by bench_scale.sh)
  python3 bench/bench_scale.py probe BIN... (the same lab; each BIN on the 4 lab servers)

scale: BENCH_TARGETS healthy targets (the lab's PostgreSQL primary and replica and
MariaDB primary and replica, each under many names, round robin) plus BENCH_HUNG
targets on a loopback port that accepts TCP and never answers (half PostgreSQL,
half MySQL: BENCH_HUNG_MYSQL), listed first in the config so their first connects
start within the first 0.25 s (the collector staggers first connects by index,
200 a second). Refresh BENCH_REFRESH s, BENCH_SECONDS long, in tmux (200x50),
the optimised build as its own user 'bench_scale'. With BENCH_TLS=1 every
connection is verified TLS (PostgreSQL verify-full, MariaDB VERIFY_IDENTITY): the
lab's MariaDB primary has no TLS, so MariaDB targets then all go to its replica.

Each second: the status bar (up/stalled/down and the range of sample ages) from
capture-pane, and CPU ticks, VmRSS, threads and descriptors of the dbfleet process
from /proc. Every other second a keypress that changes the screen ('2' then '1':
lag and fleet panes) timed until capture-pane shows it (the time includes one
tmux client run per poll: an upper bound). The hung targets hold no sample, so
the status bar's oldest sample age is the oldest of the targets that answered:
its p99 and max over the run after every healthy target is up. Server CPU of the
bench user's connections per server, as bench.py measures it (schedstat of the
PostgreSQL backends and MariaDB threads), over the same window.

probe: each BIN watches only the 4 lab servers (a normal number of backends) at
BENCH_REFRESH for BENCH_PROBE_SECONDS, BENCH_PROBE_ROUNDS times in turn; printed
is each engine's server CPU per target per refresh (bench.py's measure).
"""
import os
import re
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import bench  # bench.py: its lab env, tmux and server-CPU helpers

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LAB = bench.LAB
TARGETS = int(os.environ.get("BENCH_TARGETS", "1000"))
HUNG = int(os.environ.get("BENCH_HUNG", "50"))
HUNG_MYSQL = int(os.environ.get("BENCH_HUNG_MYSQL", str(HUNG // 2)))
REFRESH = float(os.environ.get("BENCH_REFRESH", "2"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "600"))
TLS = os.environ.get("BENCH_TLS", "0") == "1"
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "3"))
SAMPLERS = os.environ.get("BENCH_SAMPLERS", "")
BIN = os.environ.get("DBFLEET_BIN", os.path.join(ROOT, "dbfleet"))
USER = "bench_scale"
CLK = os.sysconf("SC_CLK_TCK")
STATUS = re.compile(r" (\d+) up  (\d+) stalled  (\d+) down \| samples (\S+)\.\.(\S+) old")


class Silent:
    """A loopback port that accepts TCP and never says a word; closes what the peer closes.
    Lives at most 'lifetime' seconds."""

    def __init__(self, lifetime):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        self.until = time.time() + lifetime
        self.accepted = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ)
        while time.time() < self.until:
            for key, _ in sel.select(0.5):
                if key.fileobj is self.sock:
                    c, _ = self.sock.accept()
                    self.accepted += 1
                    sel.register(c, selectors.EVENT_READ)
                else:
                    try:
                        data = key.fileobj.recv(4096)
                    except OSError:
                        data = b""
                    if not data:  # the client gave up: let the socket go
                        sel.unregister(key.fileobj)
                        key.fileobj.close()
        for key in list(sel.get_map().values()):
            key.fileobj.close()


# ---- the lab's four servers: SQL as superuser, and bench.py's server-CPU measure on each ----

def psql(port, sql):
    return subprocess.run([os.path.join(LAB["PG_BIN"], "psql"), "-X", "-A", "-t", "-q", "-h", "127.0.0.1",
                           "-p", str(port), "-U", "postgres", "-d", "postgres", "-c", sql],
                          capture_output=True, text=True, check=True).stdout.strip()


def mdb(name, sql):
    return subprocess.run(["mariadb", "--no-defaults", "-N", "-B", "-uroot",
                           "--socket=%s/%s.sock" % (LAB["LAB_DIR"], name), "-e", sql],
                          capture_output=True, text=True, check=True).stdout.strip()


SERVERS = {  # name: (engine, port, MariaDB server name)
    "pg-primary": ("postgres", LAB["PG_PRIMARY_PORT"], None),
    "pg-replica": ("postgres", LAB["PG_REPLICA_PORT"], None),
    "mdb-primary": ("mysql", LAB.get("MDB_PRIMARY_PORT"), "mdb-primary"),
    "mdb-replica": ("mysql", LAB.get("MDB_REPLICA_PORT"), "mdb-replica"),
}
# more PostgreSQL replicas (lab.sh replica) that bench_scale.sh started: BENCH_PG_EXTRA="port..."
for _i, _p in enumerate(os.environ.get("BENCH_PG_EXTRA", "").split()):
    SERVERS["pg-r%d" % (_i + 2)] = ("postgres", _p, None)


def server_cpu_ns(server):
    """bench.server_cpu_ns for any of the four servers: {id: CPU ns} of USER's connections."""
    engine, port, name = SERVERS[server]
    if engine == "postgres":
        ids = psql(port, "SELECT pid FROM pg_stat_activity WHERE usename = '%s'" % USER).split()
        paths = {i: "/proc/%s/schedstat" % i for i in ids}
    else:
        mpid = open(os.path.join(LAB["LAB_DIR"], name + ".pid")).read().strip()
        ids = mdb(name, "SELECT THREAD_OS_ID FROM performance_schema.threads "
                        "WHERE PROCESSLIST_USER = '%s'" % USER).split()
        paths = {i: "/proc/%s/task/%s/schedstat" % (mpid, i) for i in ids}
    out = {}
    for i, path in paths.items():
        try:
            out[i] = int(open(path).read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return out


def cpu_all():
    return {s: server_cpu_ns(s) for s in SERVERS if SERVERS[s][1]}


def cpu_ms(c0, c1):
    """Server CPU ms between two cpu_all() readings, per server (connections alive at both ends)."""
    return {s: sum(v - c0[s].get(i, v) for i, v in c1[s].items()) / 1e6 for s in c1}


def mdb_connections():
    """MariaDB's count of connection attempts so far, per server."""
    return {s: int(mdb(v[2], "SHOW GLOBAL STATUS LIKE 'Connections'").split()[-1])
            for s, v in SERVERS.items() if v[0] == "mysql" and v[1]}


def make_user():
    psql(LAB["PG_PRIMARY_PORT"], "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN "
         "CREATE ROLE %s LOGIN; GRANT pg_monitor TO %s; END IF; END$$" % (USER, USER, USER))
    if LAB.get("MDB_PRIMARY_PORT"):
        mdb("mdb-primary", "CREATE USER IF NOT EXISTS %s@'%%'; GRANT PROCESS, SLAVE MONITOR, REPLICA MONITOR "
            "ON *.* TO %s@'%%'; GRANT SELECT ON performance_schema.* TO %s@'%%'" % (USER, USER, USER))
    deadline = time.time() + 60  # the replicas get the user by replication
    while True:
        missing = [k for k, v in SERVERS.items() if v[0] == "postgres" and k != "pg-primary" and
                   psql(v[1], "SELECT count(*) FROM pg_roles WHERE rolname = '%s'" % USER) != "1"]
        if LAB.get("MDB_REPLICA_PORT") and mdb("mdb-replica", "SELECT count(*) FROM mysql.user "
                                                              "WHERE user = '%s'" % USER) != "1":
            missing.append("mdb-replica")
        if not missing:
            return
        if time.time() > deadline:
            raise SystemExit("bench_scale: the user did not reach %s" % ", ".join(missing))
        time.sleep(0.2)


# ---- targets and the config ----

def dsn(server):
    engine, port, _ = SERVERS[server]
    tls_dir = os.path.join(LAB["LAB_DIR"], "tls")
    if engine == "postgres":
        d = "host=127.0.0.1 port=%s user=%s dbname=postgres" % (port, USER)
        return d + (" sslmode=verify-full sslrootcert=%s/ca.pem" % tls_dir if TLS else " sslmode=disable")
    d = "mysql://%s@127.0.0.1:%s/" % (USER, port)
    return d + ("?ssl-mode=VERIFY_IDENTITY&ssl-ca=%s/ca.pem" % tls_dir if TLS else "")


def fleet(n, hung_port):
    """[(name, engine, dsn)]: the hung ones first, then n healthy: PostgreSQL and MySQL in turn,
    each engine's round robin over its servers."""
    pg = [s for s in SERVERS if SERVERS[s][0] == "postgres"]
    # the lab's MariaDB primary speaks no TLS: with TLS every MariaDB target is on the replica
    my = ["mdb-replica"] if TLS else [s for s in SERVERS if SERVERS[s][0] == "mysql" and SERVERS[s][1]]
    out = []
    for i in range(HUNG):
        if i < HUNG_MYSQL:
            out.append(("hung-my-%02d" % i, "mysql", "mysql://%s@127.0.0.1:%d/" % (USER, hung_port)))
        else:
            out.append(("hung-pg-%02d" % i, "postgres",
                        "host=127.0.0.1 port=%d user=%s dbname=postgres sslmode=disable" % (hung_port, USER)))
    for i in range(n):
        group = pg if i % 2 == 0 or not my else my
        s = group[(i // 2) % len(group)]
        out.append(("%s-%04d" % (s, i), SERVERS[s][0], dsn(s)))
    return out


def write_config(targets, refresh, home):
    path = os.path.join(home, "fleet.conf")
    with open(path, "w") as f:
        f.write("[dbfleet]\nrefresh = %g\ntimeout = %g\n" % (refresh, TIMEOUT))
        if SAMPLERS:
            f.write("samplers = %s\n" % SAMPLERS)
        for name, engine, d in targets:
            f.write("\n[target %s]\nengine = %s\ndsn = %s\n" % (name, engine, d))
    return path


# ---- dbfleet in tmux, and its process ----

class Run:
    def __init__(self, binary, args, home, extra_cmd=""):
        self.sock = "dbfleet-bench-scale-%d-%d" % (os.getpid(), int(time.time() * 1000) % 100000)
        env = {"HOME": home, "XDG_CONFIG_HOME": home, "XDG_STATE_HOME": home, "XDG_CACHE_HOME": home,
               "DBFLEET_KEYMAPS": os.path.join(ROOT, "keymaps"), "TERM": "tmux-256color",
               "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        cmd = "%sexec env %s %s %s" % (extra_cmd, " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in env.items()),
                                       shlex.quote(binary), " ".join(shlex.quote(a) for a in args))
        self.t0 = time.time()
        self.filtered = True
        bench.tmux(self.sock, "new-session", "-d", "-x", "200", "-y", "60", cmd)
        self.pid = int(bench.tmux(self.sock, "display-message", "-p", "-t", "0", "#{pane_pid}").strip())

    def screen(self):
        return bench.tmux(self.sock, "capture-pane", "-p", "-t", "0")

    def keys(self, *k):
        bench.tmux(self.sock, "send-keys", "-t", "0", *k)

    def proc(self):
        """(CPU s, RSS KiB, threads, descriptors) of dbfleet now, or None once it is gone."""
        try:
            f = open("/proc/%d/stat" % self.pid).read().rsplit(")", 1)[1].split()
            cpu = (int(f[11]) + int(f[12])) / CLK
            rss = next(int(l.split()[1]) for l in open("/proc/%d/status" % self.pid) if l.startswith("VmRSS:"))
            return cpu, rss, len(os.listdir("/proc/%d/task" % self.pid)), len(os.listdir("/proc/%d/fd" % self.pid))
        except (OSError, StopIteration, IndexError):
            return None

    def quit(self):
        self.keys("q")
        deadline = time.time() + 5
        while time.time() < deadline and os.path.exists("/proc/%d" % self.pid):
            time.sleep(0.05)
        left = os.path.exists("/proc/%d" % self.pid)
        bench.tmux(self.sock, "kill-server")
        return not left


def age_s(text):
    """fmt_age's text back to seconds (panes/format.c); None for '-'."""
    m = re.fullmatch(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:([\d.]+)s)?", text)
    if text == "-" or not m:
        return None
    d, h, mi, s = (float(x) if x else 0.0 for x in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + s


def status(screen):
    m = None
    for m in STATUS.finditer(screen):
        pass
    if not m:
        return None
    return {"up": int(m.group(1)), "stalled": int(m.group(2)), "down": int(m.group(3)),
            "newest": age_s(m.group(4)), "oldest": age_s(m.group(5))}


def keypress(run, key, want):
    """Seconds from sending 'key' until line 2 (the pane title) starts with 'want'."""
    t0 = time.time()
    run.keys(key)
    while time.time() - t0 < 5:
        lines = run.screen().split("\n")
        if len(lines) > 1 and lines[1].startswith(want):
            return time.time() - t0
    return None


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def start_up(run):
    """Seconds from launch until each kind of hung target shows STALLED (the fleet pane
    filtered to 'hung-'), and until every healthy target is up (the status bar)."""
    t_hung = {"my": None if HUNG_MYSQL else 0.0, "pg": None if HUNG - HUNG_MYSQL else 0.0}
    want = {"my": HUNG_MYSQL, "pg": HUNG - HUNG_MYSQL}
    t_up = None
    run.keys("/")
    run.keys("-l", "hung-")
    limit = min(120.0, SECONDS / 2)
    while time.time() - run.t0 < limit and (None in t_hung.values() or t_up is None):
        scr = run.screen()
        now = time.time() - run.t0
        for k in t_hung:
            n = sum(1 for l in scr.split("\n") if l.startswith("hung-%s-" % k) and " STALLED" in l)
            if t_hung[k] is None and n >= want[k]:
                t_hung[k] = now
        if None not in t_hung.values() and run.filtered:
            run.keys("Escape")  # the whole fleet again
            run.filtered = False
        st = status(scr)
        if st and t_up is None and st["up"] >= TARGETS:
            t_up = now
        time.sleep(0.05)
    if run.filtered:
        run.keys("Escape")
        run.filtered = False
    if t_up is None:
        print("bench-scale: not every healthy target came up within %.0f s: %s" % (limit, status(run.screen())))
    return t_hung, t_up


def baseline():
    """Keypress latency with 4 targets (the lab's servers): what the measure itself costs here."""
    home = tempfile.mkdtemp(prefix="bench-scale-base-")
    servers = ["pg-primary", "pg-replica", "mdb-primary", "mdb-replica"]
    run = Run(BIN, ["-c", write_config([(s + "-0", SERVERS[s][0], dsn(s)) for s in servers
                                        if SERVERS[s][1]], REFRESH, home)], home)
    time.sleep(3)
    lat = []
    for _ in range(20):
        for key, want in (("2", " replication lag"), ("1", " fleet")):
            lat.append(keypress(run, key, want))
        time.sleep(0.2)
    run.quit()
    ok = [x * 1000 for x in lat if x is not None]
    print("keypress to screen with 4 targets (the measure's own floor): p50 %.1f ms, p99 %.1f ms, %d keys" % (
        pct(ok, 50), pct(ok, 99), len(lat)), flush=True)


def scale():
    make_user()
    baseline()
    silent = Silent(SECONDS + 120)
    home = tempfile.mkdtemp(prefix="bench-scale-")
    targets = fleet(TARGETS, silent.port)
    conf = write_config(targets, REFRESH, home)
    healthy = TARGETS
    print("bench-scale: %d healthy + %d hung targets (%d MySQL), refresh %gs, timeout %gs, %ds, %s, %s" % (
        TARGETS, HUNG, HUNG_MYSQL, REFRESH, TIMEOUT, SECONDS, "TLS" if TLS else "plaintext", BIN), flush=True)
    load0 = open("/proc/loadavg").read().split()[0]
    conns0 = mdb_connections()
    run = Run(BIN, ["-c", conf], home)
    print("dbfleet pid %d" % run.pid, flush=True)
    t_hung, t_up = start_up(run)
    p0, c0, w0 = run.proc(), cpu_all(), time.time()
    rows, lat, sec = [], [], 0
    end = run.t0 + SECONDS
    while time.time() < end:
        sec += 1
        nxt = w0 + sec
        st, p = status(run.screen()), run.proc()
        if p is None:
            print("bench-scale: dbfleet is gone")
            break
        rows.append((time.time() - run.t0, st, p))
        if sec % 2 == 0:
            for key, want in (("2", " replication lag"), ("1", " fleet")):
                lat.append(keypress(run, key, want))
        if sec % 60 == 0:
            print("  %4.0fs %s CPU %.1fs RSS %.1f MiB threads %d fds %d" % (
                rows[-1][0], st, p[0], p[1] / 1024, p[2], p[3]), flush=True)
        time.sleep(max(0.0, nxt - time.time()))
    p1, c1, w1 = run.proc(), cpu_all(), time.time()
    tls_note = tls_check() if TLS else ""
    quit_ok = run.quit()
    load1 = open("/proc/loadavg").read().split()[0]
    conns1 = mdb_connections()
    print("MariaDB connections opened during the run (all users): %s" % ", ".join(
        "%s %d" % (k, conns1[k] - conns0[k]) for k in sorted(conns1)))
    report(rows, lat, p0, p1, w0, w1, cpu_ms(c0, c1), targets, t_hung, t_up, quit_ok, silent, tls_note)
    print("machine load average (1 min) at launch %s, at the end %s, on %d cores" % (load0, load1, os.cpu_count()))


def tls_check():
    """How many of the bench user's connections were encrypted, counted on the servers (at the end)."""
    try:
        n = psql(LAB["PG_PRIMARY_PORT"], "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) "
                 "WHERE usename = '%s' AND ssl" % USER)
        a = mdb("mdb-replica", "SHOW GLOBAL STATUS LIKE 'Ssl_accepts'").split()[-1]
        return "pg-primary: %s TLS connections left at the end; mdb-replica: %s TLS handshakes accepted" % (n, a)
    except (subprocess.CalledProcessError, IndexError) as e:
        return "TLS check failed: %s" % e


def hung_fig(engine, t):
    return ("hung %s targets all STALLED, from launch" % engine, "%.1f s" % t if t is not None else "never",
            "<= %g s" % (TIMEOUT + 1), t is not None and t <= TIMEOUT + 1)


def report(rows, lat, p0, p1, w0, w1, server_ms, targets, t_hung, t_up, quit_ok, silent, tls_note):
    steady = [r for r in rows if r[1]]
    oldest = [r[1]["oldest"] for r in steady if r[1]["oldest"] is not None]
    stalled_max = max((r[1]["stalled"] for r in steady), default=-1)
    down_max = max((r[1]["down"] for r in steady), default=-1)
    up_min = min((r[1]["up"] for r in steady), default=-1)
    lat_ok = [x * 1000 for x in lat if x is not None]
    fresh = sum(1 for r in steady if r[1]["up"] >= TARGETS and r[1]["oldest"] is not None
                and r[1]["oldest"] <= 2 * REFRESH)
    cpu_pct = (p1[0] - p0[0]) / (w1 - w0) * 100 if p0 and p1 else float("nan")
    rss = [r[2][1] / 1024 for r in rows]
    thr = max(r[2][2] for r in rows) if rows else -1
    fds = max(r[2][3] for r in rows) if rows else -1
    refreshes = (w1 - w0) / REFRESH
    per_engine = {}
    for s, ms in server_ms.items():
        n = sum(1 for t in targets if t[0].startswith(s + "-"))
        if n:
            e = per_engine.setdefault(SERVERS[s][0], [0.0, 0])
            e[0] += ms
            e[1] += n
    figs = [
        ("CPU, % of one core (window)", "%.1f %%" % cpu_pct, "<= 10 %", cpu_pct <= 10),
        ("RSS at window start", "%.1f MiB" % (p0[1] / 1024), "<= %d MiB" % (200 if TLS else 100),
         p0[1] / 1024 <= (200 if TLS else 100)),
        ("RSS at end", "%.1f MiB" % (p1[1] / 1024 if p1 else float("nan")),
         "<= %d MiB, flat" % (200 if TLS else 100),
         bool(p1) and p1[1] / 1024 <= (200 if TLS else 100) and p1[1] <= p0[1] * 1.1),
        ("RSS max over the run", "%.1f MiB" % max(rss, default=float("nan")), "", None),
        ("threads (max)", "%d" % thr, "<= 16", 0 < thr <= 16),
        ("open descriptors (max)", "%d" % fds, "", None),
        ("oldest healthy sample age, p99", "%.1f s" % pct(oldest, 99), "<= %g s" % (2 * REFRESH),
         pct(oldest, 99) <= 2 * REFRESH),
        ("oldest healthy sample age, max", "%.1f s" % max(oldest, default=float("nan")), "<= %g s" % (2 * REFRESH),
         bool(oldest) and max(oldest) <= 2 * REFRESH),
        ("keypress to screen, p50", "%.1f ms" % pct(lat_ok, 50), "", None),
        ("keypress to screen, p99", "%.1f ms" % pct(lat_ok, 99), "< 50 ms", pct(lat_ok, 99) < 50),
        ("keypresses (not shown within 5 s)", "%d (%d)" % (len(lat), len(lat) - len(lat_ok)), "", None),
        hung_fig("PostgreSQL", t_hung["pg"]),
        hung_fig("MySQL", t_hung["my"]),
        ("every healthy target up, from start", "%.1f s" % t_up if t_up is not None else "never", "", None),
        ("after that: min up / max stalled / max down", "%d / %d / %d" % (up_min, stalled_max, down_max),
         "%d / %d / 0" % (TARGETS, HUNG), up_min >= TARGETS and stalled_max <= HUNG and down_max == 0),
        ("seconds with every healthy target up, fresh", "%d of %d" % (fresh, len(steady)), "all",
         fresh == len(steady) and len(steady) > 0),
    ]
    for eng, (ms, n) in sorted(per_engine.items()):
        figs.append(("server CPU per %s target per refresh" % eng, "%.3f ms" % (ms / n / refreshes), "", None))
    figs.append(("quit within 5 s", "yes" if quit_ok else "no", "", quit_ok))
    print("\n%-46s %14s %18s %s" % ("figure", "value", "target", ""))
    for what, val, target, ok in figs:
        print("%-46s %14s %18s %s" % (what, val, target, "" if ok is None else "met" if ok else "MISSED"))
    print("window: %.0f s from every healthy target up (or 120 s after launch); %d status samples; server CPU ms per server: %s" % (
        w1 - w0, len(steady), ", ".join("%s %.0f" % kv for kv in sorted(server_ms.items()))))
    print("RSS by minute (MiB): %s" % " ".join("%.1f" % (r[2][1] / 1024) for r in rows[::60]))
    print("silent listener accepted %d connections" % silent.accepted)
    if tls_note:
        print(tls_note)


def probe(bins):
    make_user()
    seconds = float(os.environ.get("BENCH_PROBE_SECONDS", "120"))
    rounds = int(os.environ.get("BENCH_PROBE_ROUNDS", "2"))
    servers = [s for s in SERVERS if SERVERS[s][1]]
    res = {b: {} for b in bins}
    for r in range(rounds):
        for b in bins:
            home = tempfile.mkdtemp(prefix="bench-probe-")
            targets = [(s + "-0", SERVERS[s][0], dsn(s)) for s in servers]
            run = Run(b, ["-c", write_config(targets, REFRESH, home)], home)
            time.sleep(REFRESH * 3)  # connected, first (full) samples taken
            c0, w0 = cpu_all(), time.time()
            time.sleep(seconds)
            c1, w1 = cpu_all(), time.time()
            st = status(run.screen())
            run.quit()
            ms = cpu_ms(c0, c1)
            for s in servers:
                res[b].setdefault(s, []).append(ms[s] / ((w1 - w0) / REFRESH))
            print("round %d %s: %s; %s" % (r + 1, b, ", ".join("%s %.3f ms/refresh" % (s, ms[s] / ((w1 - w0) / REFRESH))
                                                                for s in servers), st), flush=True)
    print("\nserver CPU per target per refresh (median of %d rounds of %.0f s, refresh %gs)" % (rounds, seconds, REFRESH))
    print("%-40s %s" % ("binary", " ".join("%12s" % s for s in servers)))
    for b in bins:
        print("%-40s %s" % (b[-40:], " ".join("%9.3f ms" % statistics.median(res[b][s]) for s in servers)))


def triage(binary):
    """Server CPU per refresh of one target with each pane showing it: the fleet pane (the probe
    alone), the sessions pane (sessions, locks, digests) and the triage pane (its own reads)."""
    make_user()
    seconds = float(os.environ.get("BENCH_PROBE_SECONDS", "40"))
    rounds = int(os.environ.get("BENCH_PROBE_ROUNDS", "1"))
    servers = [s for s in SERVERS if SERVERS[s][1]]
    panes = [("fleet", ()), ("sessions", ("4",)), ("triage", ("9",))]
    res = {}
    for r in range(rounds):
        for pane, keys in panes:
            home = tempfile.mkdtemp(prefix="bench-triage-")
            run = Run(binary, ["-c", write_config([(s + "-0", SERVERS[s][0], dsn(s)) for s in servers], REFRESH, home)],
                      home)
            time.sleep(REFRESH * 3)
            for s in servers:
                run.keys(":", *("target %s-0" % s), "Enter", *keys)
                time.sleep(REFRESH * 2)  # the pane's first samples are in
                c0, w0 = server_cpu_ns(s), time.time()
                time.sleep(seconds)
                c1, w1 = server_cpu_ns(s), time.time()
                ms = sum(v - c0.get(i, v) for i, v in c1.items()) / 1e6 / ((w1 - w0) / REFRESH)
                res.setdefault((pane, s), []).append(ms)
                print("round %d %s pane on %s: %.3f ms/refresh" % (r + 1, pane, s, ms), flush=True)
                run.keys("1")
            run.quit()
    print("\nserver CPU of the shown target per refresh (median of %d rounds of %.0f s, refresh %gs)"
          % (rounds, seconds, REFRESH))
    print("%-10s %s" % ("pane", " ".join("%12s" % s for s in servers)))
    for pane, _ in panes:
        print("%-10s %s" % (pane, " ".join("%9.3f ms" % statistics.median(res[(pane, s)]) for s in servers)))


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "scale"
    if mode == "probe":
        probe(sys.argv[2:] or [BIN])
    elif mode == "triage":
        triage(sys.argv[2] if len(sys.argv) > 2 else BIN)
    else:
        scale()
