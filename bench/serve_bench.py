#!/usr/bin/env python3
"""serve_bench.py - one collector and many viewers on the lab's fleet (issue 14, "Measured").

The lab's four servers (PostgreSQL primary and replica, MariaDB primary and replica, as the
monitoring user 'mon') are watched
  (a) by one local dbfleet in tmux, then
  (b) by one `dbfleet --serve` and BENCH_VIEWERS (20) `dbfleet --attach` viewers in tmux,
through a loopback redis-server with TLS and ACL users (tests/e2e/redislab.py). Printed:
  1. statements each server received from 'mon' per refresh in (a) and in (b), with the fleet
     pane shown, then with the sessions pane of pg-primary (in (b) on every viewer: their
     interest makes the collector read its sessions), from the servers' own counters (pg_stat_statements calls; performance_schema
     events_statements_summary_by_user_by_event_name COUNT_STAR), and mon's sessions;
  2. Redis bytes (INFO stats total_net_input_bytes / total_net_output_bytes) of the collector
     alone, and per viewer per refresh with the viewers attached;
  3. CPU (utime+stime of /proc/PID/stat) and peak RSS (VmHWM) of the collector, the viewers
     and the local dbfleet over the windows;
  4. the time from a PostgreSQL session opening or closing on the primary to its CONNS
     column changing on three viewers' screens and on a local dbfleet's (the baseline), p50/p99;
  5. collector fail-over: kill -9 (and SIGSTOP) the active --serve; the time until the standby's
     first stream entry against the lease, and the stream read back after each take-over: every
     entry after the standby's first carries its token, and its first snapshot of each target
     is a key frame.

usage: LAB_DIR=... bench/serve_bench.py [DBFLEET]   (make bench-serve; default build/dbfleet)
Without LAB_DIR it starts a lab of its own (tests/lab.sh, LAB_PORT_BASE) and stops it after.
Knobs: BENCH_VIEWERS (20), BENCH_SECONDS (45: each fleet-pane window, 45 refreshes of 1 s),
BENCH_DETAIL_SECONDS (30: each sessions-pane window), BENCH_SAMPLES (50: state changes timed),
BENCH_FAILOVERS (4: take-overs, the 2nd by SIGSTOP).
It ends with the issue's claims, each met or MISS; the exit status is 1 when the stream held
another collector's entry or a delta first after a take-over.
"""
import math
import os
import random
import re
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
os.environ["DBFLEET_BIN"] = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "dbfleet"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import harness  # noqa: E402
import redislab  # noqa: E402
from test_serve import Serve, attach, serve_config  # noqa: E402

VIEWERS = int(os.environ.get("BENCH_VIEWERS", "20"))
WINDOW = float(os.environ.get("BENCH_SECONDS", "45"))
DETAIL = float(os.environ.get("BENCH_DETAIL_SECONDS", "30"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "50"))
FAILOVERS = int(os.environ.get("BENCH_FAILOVERS", "4"))
REFRESH = 1.0   # harness.write_config: refresh = 1
LEASE = 2.0     # test_serve.serve_config: lease = 2
HZ = os.sysconf("SC_CLK_TCK")
SERVERS = ("pg-primary", "pg-replica", "mdb-primary", "mdb-replica")
ROW = re.compile(r"^pg-primary\s+postgres\s+primary\s+\S+\s+\S+\s+(\d+)/\d+", re.M)


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


class Resp:
    """A minimal RESP client over verified TLS, as the 'admin' user: the bench's own eyes on
    Redis (binary-safe, unlike redis-cli's output)."""

    def __init__(self, lb, user="admin"):
        ctx = ssl.create_default_context(cafile=lb.ca)
        self.s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", lb.port), timeout=10), server_hostname="localhost")
        self.f = self.s.makefile("rb")
        self.cmd("AUTH", user, lb.passwords[user])

    def cmd(self, *args):
        a = [x if isinstance(x, bytes) else str(x).encode() for x in args]
        self.s.sendall(b"*%d\r\n" % len(a) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in a))
        return self._read()

    def _read(self):
        line = self.f.readline()
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise RuntimeError("RESP: %r" % line)

    def net(self):
        """(total_net_input_bytes, total_net_output_bytes, the INFO reply's own size)."""
        text = self.cmd("INFO", "stats").decode()
        v = dict(l.split(":", 1) for l in text.split("\r\n") if ":" in l)
        return int(v["total_net_input_bytes"]), int(v["total_net_output_bytes"]), len(text) + 16

    def close(self):
        self.s.close()


# ---- the servers' own statement counters -----------------------------------------------------

def pg_calls(port):
    """{statement: calls} of mon's statements on the server at 'port'."""
    out = {}
    for line in harness.psql("SELECT calls, regexp_replace(left(query, 70), '\\s+', ' ', 'g') FROM pg_stat_statements s "
                             "JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'mon'", port=port).splitlines():
        calls, _, q = line.partition("|")
        out[q] = out.get(q, 0) + int(calls)
    return out


def mdb_calls(which):
    """{statement kind: count} of mon's statements on the MariaDB server 'which'."""
    out = {}
    for line in harness.mdb("SELECT EVENT_NAME, COUNT_STAR FROM performance_schema."
                            "events_statements_summary_by_user_by_event_name WHERE USER = 'mon' AND COUNT_STAR > 0",
                            which).splitlines():
        name, n = line.split("\t")
        out[name] = int(n)
    return out


def statements():
    """{server: {statement: count so far}}."""
    L = harness.lab()
    return {"pg-primary": pg_calls(L["PG_PRIMARY_PORT"]), "pg-replica": pg_calls(L["PG_REPLICA_PORT"]),
            "mdb-primary": mdb_calls("primary"), "mdb-replica": mdb_calls("replica")}


def per_refresh(c0, c1, refreshes):
    """{server: {statement: per refresh}} between two statements() readings."""
    return {k: {q: (c1[k][q] - c0[k].get(q, 0)) / refreshes for q in c1[k] if c1[k][q] != c0[k].get(q, 0)}
            for k in c1}


def sessions():
    """mon's sessions on each server now."""
    L = harness.lab()
    q = "SELECT count(*) FROM pg_stat_activity WHERE usename = 'mon'"
    m = "SELECT count(*) FROM information_schema.processlist WHERE user = 'mon'"
    return {"pg-primary": int(harness.psql(q, port=L["PG_PRIMARY_PORT"])),
            "pg-replica": int(harness.psql(q, port=L["PG_REPLICA_PORT"])),
            "mdb-primary": int(harness.mdb(m, "primary")), "mdb-replica": int(harness.mdb(m, "replica"))}


# ---- processes -------------------------------------------------------------------------------

def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def hwm_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def targets():
    L = harness.lab()
    return [("pg-primary", harness.dsn(L["PG_PRIMARY_PORT"])), ("pg-replica", harness.dsn(L["PG_REPLICA_PORT"])),
            ("mdb-primary", harness.mysql_dsn("primary")), ("mdb-replica", harness.mysql_dsn("replica"))]


def wait_fleet(d, timeout=20):
    for name in SERVERS:
        d.wait_for(r"^%s\s+\S+\s+\S+\s+ok" % re.escape(name), timeout=timeout)


def show_sessions(d):
    """The sessions pane of pg-primary on 'd'."""
    d.keys(":")
    d.type("target pg-primary")
    d.keys("Enter")
    d.keys("4")
    d.wait_for(r"^ sessions - pg-primary", timeout=10)


def measure(pids, seconds):
    """Statements each server took from mon, CPU of each pid, over 'seconds'; and mon's sessions."""
    c0, cpu0, t0 = statements(), {p: cpu_s(p) for p in pids}, time.time()
    time.sleep(seconds)
    c1, cpu1, t1 = statements(), {p: cpu_s(p) for p in pids}, time.time()
    refreshes = (t1 - t0) / REFRESH
    return per_refresh(c0, c1, refreshes), {p: cpu1[p] - cpu0[p] for p in pids}, t1 - t0, sessions()


# ---- change to screen -------------------------------------------------------------------------

class Watcher(threading.Thread):
    """Polls one dbfleet's screen every 20 ms; keeps (time, pg-primary CONNS used) at each change."""

    def __init__(self, d, name):
        super().__init__(daemon=True)
        self.d, self.name, self.changes, self.stop, self.lock = d, name, [], False, threading.Lock()

    def run(self):
        last = None
        while not self.stop:
            try:
                s = self.d.screen()
            except harness.Failure:
                s = ""
            t = time.time()
            m = ROW.search(s)
            if m and int(m[1]) != last:
                last = int(m[1])
                with self.lock:
                    self.changes.append((t, last))
            time.sleep(0.02)

    def value(self):
        with self.lock:
            return self.changes[-1][1] if self.changes else None

    def seen(self, value, since):
        """When it first showed 'value' at or after 'since' (None: not yet)."""
        with self.lock:
            for t, v in self.changes:
                if t >= since - 0.05 and v == value:
                    return t
        return None


def pm_children(pm):
    try:
        with open("/proc/%d/task/%d/children" % (pm, pm)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def app_backends(pm):
    return {p for p in pm_children(pm) if cmdline(p).startswith("postgres: app app ")}


def latency(watchers, samples):
    """Open and close a psql session on pg-primary in turn; for each, the time from the backend
    appearing (or going) in /proc to each watcher's screen showing the new CONNS figure."""
    L = harness.lab()
    with open(os.path.join(L["LAB_DIR"], "primary", "postmaster.pid")) as f:
        pm = int(f.readline())
    out = {w.name: [] for w in watchers}
    missed = {w.name: 0 for w in watchers}
    held = None
    for i in range(samples):
        time.sleep(random.uniform(0, REFRESH))  # the change falls anywhere in a refresh
        before = {w.name: w.value() for w in watchers}
        if held is None:
            old = app_backends(pm)
            proc = subprocess.Popen([os.path.join(L["PG_BIN"], "psql"), "-X", "-q", "-h", "127.0.0.1", "-p",
                                     L["PG_PRIMARY_PORT"], "-U", "app", "-d", "app"], stdin=subprocess.PIPE,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 5
            new = set()
            while not new and time.time() < deadline:
                new = app_backends(pm) - old
                if not new:
                    time.sleep(0.001)
            t0 = time.time()
            if not new:
                raise SystemExit("psql's backend never appeared")
            held, step = (proc, new.pop()), +1
        else:
            proc, pid = held
            proc.stdin.close()
            while cmdline(pid).startswith("postgres: app app "):
                time.sleep(0.001)
            t0 = time.time()
            proc.wait()
            held, step = None, -1
        deadline = t0 + 5
        pending = {w.name: w for w in watchers}
        while pending and time.time() < deadline:
            for name, w in list(pending.items()):
                if before[name] is None:
                    del pending[name]
                    continue
                t = w.seen(before[name] + step, t0)
                if t is not None:
                    out[name].append(max(0.0, t - t0))
                    del pending[name]
            time.sleep(0.005)
        for name in pending:
            missed[name] += 1
    if held:
        held[0].stdin.close()
        held[0].wait()
    return out, missed


def pct(xs, p):
    xs = sorted(xs)
    return xs[max(0, math.ceil(p / 100.0 * len(xs)) - 1)] if xs else float("nan")


# ---- fail-over --------------------------------------------------------------------------------

def varint(b, pos):
    return harness.varint(b, pos)


def snapshot_keys(payload):
    """(idx, seq, base_seq) of a snapshot record's payload (tags 1, 2, 3, always written)."""
    got, pos = {}, 0
    while pos < len(payload) and len(got) < 3:
        key, pos = varint(payload, pos)
        tag, wire = key >> 3, key & 7
        if wire == 0:
            v, pos = varint(payload, pos)
            if tag in (1, 2, 3):
                got[tag] = v
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            n, pos = varint(payload, pos)
            pos += n
        else:
            break
    return got.get(1), got.get(2), got.get(3)


def entries(r, key, start="-", end="+"):
    """[(id, {field: value})] of the stream from 'start'."""
    out = []
    for eid, fields in r.cmd("XRANGE", key, start, end) or []:
        out.append((eid.decode(), {fields[i].decode(): fields[i + 1] for i in range(0, len(fields), 2)}))
    return out


def check_after(r, lb, first_id, token):
    """Every entry from 'first_id' on is the new collector's and its first snapshot of each target
    is a key frame. (entries read, targets with a key frame first, problems)"""
    es = entries(r, lb.key("stream"), first_id)
    first_base, problems = {}, []
    for eid, f in es:
        c = f.get("c", b"").decode(errors="replace")
        if c != token:
            problems.append("entry %s is collector %s's, not the new one's" % (eid, c))
        for _, typ, _, payload in harness.record_frames(f.get("d", b"")):
            if typ == 3:
                idx, seq, base = snapshot_keys(payload)
                first_base.setdefault(idx, base)
    for idx, base in first_base.items():
        if base:
            problems.append("target %s: the new collector's first snapshot is a delta against %s" % (idx, base))
    return len(es), sum(1 for b in first_base.values() if not b), problems


def newest(r, lb):
    e = r.cmd("XREVRANGE", lb.key("stream"), "+", "-", "COUNT", "1")
    if not e:
        return None, None
    fields = e[0][1]
    f = {fields[i].decode(): fields[i + 1] for i in range(0, len(fields), 2)}
    return e[0][0].decode(), f.get("c")


def failover(lb, r, cfg, active, viewers, rounds):
    """Take-overs: kill -9 or SIGSTOP the active collector with a standby waiting. Rows of
    (how, seconds to the standby's first entry, seconds to every viewer naming it, checks)."""
    rows, procs = [], [active]
    standby, mark = Serve(cfg, "standby1"), 0
    procs.append(standby)
    try:
        for n in range(rounds):
            standby.wait_log(r"standby: collector \S+ holds the lease", timeout=15, after=mark)
            time.sleep(random.uniform(0, 1))
            _, tok_old = newest(r, lb)
            how = "SIGSTOP" if n % 3 == 1 else "kill -9"
            stopped = active
            t0 = time.time()
            if how == "kill -9":
                active.proc.kill()
            else:
                os.kill(active.pid(), signal.SIGSTOP)
            first, leased = None, None
            while time.time() < t0 + 3 * LEASE + 5:
                if leased is None:
                    holder = r.cmd("GET", lb.key("lease"))
                    if holder is not None and holder != tok_old:
                        leased = time.time() - t0
                eid, tok = newest(r, lb)
                if tok is not None and tok != tok_old:
                    first = eid
                    break
                time.sleep(0.01)
            if first is None:
                raise SystemExit("no standby entry within %.0f s of the %s:\n%s" % (3 * LEASE + 5, how, standby.log()[-2000:]))
            took = int(first.split("-")[0]) / 1000.0 - t0
            new_tok = tok.decode()
            pid = int(new_tok.split("/")[1])
            seen_all = None
            pend = list(viewers)
            while pend and time.time() < t0 + 15:
                pend = [v for v in pend if not re.search(r"collector [^ /]+/%d( |$)" % pid, v.screen(), re.M)]
                if not pend:
                    seen_all = time.time() - t0
            old_publish = ""
            if how == "SIGSTOP":
                mark = len(stopped.log())  # from here on it is a standby again
                os.kill(stopped.pid(), signal.SIGCONT)
                stopped.wait_log(r"stopped publishing; starting again as a standby", timeout=10, after=mark)
                old_publish = re.findall(r"^.*(?:lease|LEASE).*$", stopped.log()[mark:], re.M)
            time.sleep(2 * REFRESH)
            n_entries, keyed, problems = check_after(r, lb, first, new_tok)
            old_pid = int(tok_old.decode().split("/")[1])
            for i, v in enumerate(viewers):
                sc = v.screen()
                if re.search(r"collector [^ /]+/%d( |$)" % old_pid, sc, re.M) or \
                        not re.search(r"collector [^ /]+/%d( |$)" % pid, sc, re.M):
                    problems.append("viewer %d does not name the new collector alone:\n%s" % (i + 1, sc))
            rows.append((how, leased, took, seen_all, n_entries, keyed, problems, old_publish))
            log("take-over %d (%s): lease taken %s s, standby's first entry %.2f s after, all viewers %s; %d entries checked, "
                "%d targets keyed first, problems %s" % (n + 1, how, "%.2f" % leased if leased else "?", took, "%.2f s" % seen_all if seen_all else "never",
                                                          n_entries, keyed, problems or "none"))
            # the old active is dead (or a standby again): the new one is active; a new standby
            if how == "kill -9":
                active = standby
                standby, mark = Serve(cfg, "standby%d" % (n + 2)), 0
                procs.append(standby)
            else:
                active, standby = standby, stopped
    finally:
        for p in procs:
            if p.proc.poll() is None:
                p.stop(check=False)
    return rows


# ---- the run ----------------------------------------------------------------------------------

def main():
    own_lab = None
    if "LAB_DIR" not in os.environ:
        env = dict(os.environ, LAB_MAX_CONNECTIONS=os.environ.get("LAB_MAX_CONNECTIONS", "400"))
        own_lab = subprocess.run(["sh", os.path.join(ROOT, "tests", "lab.sh"), "start"], env=env, check=True,
                                 capture_output=True, text=True).stdout.strip()
        os.environ["LAB_DIR"] = own_lab
    try:
        run()
    finally:
        if own_lab:
            subprocess.run(["sh", os.path.join(ROOT, "tests", "lab.sh"), "stop", own_lab])


def run():
    if not harness.has_mariadb():
        raise SystemExit("the lab has no MariaDB: the bench needs all four servers")
    started = time.time()
    binary = os.environ["DBFLEET_BIN"]
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print("dbfleet: %s (tree at %s); %d viewers; windows of %.0f s at a %.0f s refresh; lease %.0f s; %s; load average %.1f"
          % (binary, head, VIEWERS, WINDOW, REFRESH, LEASE, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
             os.getloadavg()[0]))
    # (a) one local dbfleet
    log("(a) one local dbfleet")
    local = harness.Dbfleet(["-c", harness.write_config(targets())], width=160, height=30)
    wait_fleet(local)
    time.sleep(2 * REFRESH)
    lpid = local.pid()
    st_a, cpu_a, secs_a, ses_a = measure([lpid], WINDOW)
    log("(a) the sessions pane of pg-primary, %.0f s" % DETAIL)
    show_sessions(local)
    time.sleep(3 * REFRESH)
    st_a2, _, _, _ = measure([lpid], DETAIL)
    hwm_local = hwm_mib(lpid)
    local.close()
    time.sleep(1)

    # (b) one --serve and the viewers
    lb = redislab.start("lab")
    r = Resp(lb)
    cfg = serve_config(lb, targets())
    srv = Serve(cfg)
    viewers, local, watchers = [], None, []
    try:
        srv.wait_log(r"active: the lease of fleet lab is ours", timeout=15)
        deadline = time.time() + 20
        while sum(sessions().values()) < 4 and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(2 * REFRESH)
        alone_s = min(15.0, WINDOW)
        log("(b) the collector alone, %.0f s" % alone_s)
        i0, o0, own = r.net()
        cpu0, t0 = cpu_s(srv.pid()), time.time()
        time.sleep(alone_s)
        i1, o1, _ = r.net()
        alone = ((i1 - i0) / (time.time() - t0) * REFRESH, (o1 - o0 - own) / (time.time() - t0) * REFRESH)
        cpu_alone = (cpu_s(srv.pid()) - cpu0) / (time.time() - t0)
        log("(b) %d viewers attach" % VIEWERS)
        socks, born = set(), {}
        for _ in range(VIEWERS):
            born_at = time.time()
            v = attach(lb, width=150, height=30)
            if v.sock in socks:
                raise SystemExit("two viewers on one tmux socket")
            socks.add(v.sock)
            viewers.append(v)
            born[v.sock] = born_at
            time.sleep(0.01)
        # how long a viewer takes from its start to the whole fleet on its screen
        joined, pend = [], list(viewers)
        while pend and time.time() < born[pend[0].sock] + 30:
            for v in list(pend):
                sc = v.screen()
                if all(re.search(r"^%s\s+\S+\s+\S+\s+ok" % re.escape(n), sc, re.M) for n in SERVERS):
                    joined.append(time.time() - born[v.sock])
                    pend.remove(v)
        if pend:
            raise SystemExit("a viewer never showed the fleet:\n" + pend[0].screen())
        time.sleep(2 * REFRESH)
        vpids = [v.pid() for v in viewers]
        log("(b) %.0f s window" % WINDOW)
        i0, o0, own = r.net()
        first_b = newest(r, lb)[0]
        rpid = lb.proc.pid
        st_b, cpu_b, secs_b, ses_b = measure([srv.pid(), rpid] + vpids, WINDOW)
        i1, o1, _ = r.net()
        es = entries(r, lb.key("stream"), "(" + first_b, newest(r, lb)[0])
        entry_b = statistics.mean(len(f.get("d", b"")) for _, f in es) if es else 0
        state_b = len(r.cmd("HGET", lb.key("state"), "d") or b"")
        hwm_srv = hwm_mib(srv.pid())
        hwm_v = [hwm_mib(p) for p in vpids]
        n_ref_b = secs_b / REFRESH
        in_b, out_b = (i1 - i0) / n_ref_b, (o1 - o0 - own) / n_ref_b
        xlen = r.cmd("XLEN", lb.key("stream"))
        log("(b) every viewer on the sessions pane of pg-primary, %.0f s" % DETAIL)
        for v in viewers:
            show_sessions(v)
        time.sleep(3 * REFRESH)
        i0, o0, own = r.net()
        st_b2, _, secs_b2, _ = measure([srv.pid()], DETAIL)
        i1, o1, _ = r.net()
        in_b2, out_b2 = (i1 - i0) / (secs_b2 / REFRESH), (o1 - o0 - own) / (secs_b2 / REFRESH)
        for v in viewers:
            v.keys("1")
        for v in viewers:
            wait_fleet(v)

        # 4. change to screen: three viewers and a local dbfleet (the baseline), side by side
        log("change to screen, %d changes" % SAMPLES)
        local = harness.Dbfleet(["-c", harness.write_config(targets())], width=160, height=30)
        wait_fleet(local)
        pick = sorted({0, VIEWERS // 2, VIEWERS - 1})
        watchers = [Watcher(local, "local")] + [Watcher(viewers[i], "viewer %d" % (i + 1)) for i in pick]
        for w in watchers:
            w.start()
        time.sleep(2 * REFRESH)
        lat, missed = latency(watchers, SAMPLES)
        for w in watchers:
            w.stop = True
        local.close()
        local = None

        # 5. fail-over
        log("fail-over, %d take-overs" % FAILOVERS)
        fo = failover(lb, r, cfg, srv, viewers, FAILOVERS)
    finally:
        for w in watchers:
            w.stop = True
        if local:
            local.close()
        for v in viewers:
            try:
                v.close()
            except harness.Failure as e:
                log("viewer: %s" % str(e)[:300])
        if srv.proc.poll() is None:
            srv.stop(check=False)
        r.close()
        lb.close()

    # ---- the report ----
    by_a, by_b = st_a, st_b
    st_a = {k: sum(v.values()) for k, v in by_a.items()}
    st_b = {k: sum(v.values()) for k, v in by_b.items()}
    by_a2, by_b2 = st_a2, st_b2
    st_a2 = {k: sum(v.values()) for k, v in by_a2.items()}
    st_b2 = {k: sum(v.values()) for k, v in by_b2.items()}
    print()
    print("1. Statements each server received from 'mon', per refresh (%.0f s windows)" % WINDOW)
    print()
    print("| watched by | " + " | ".join(SERVERS) + " |")
    print("|---|" + "---:|" * len(SERVERS))
    print("| (a) one local dbfleet | " + " | ".join("%.2f" % st_a[k] for k in SERVERS) + " |")
    print("| (b) one --serve + %d --attach | " % VIEWERS + " | ".join("%.2f" % st_b[k] for k in SERVERS) + " |")
    print("| (b) / (a) | " + " | ".join("%.2f" % (st_b[k] / st_a[k] if st_a[k] else float("nan")) for k in SERVERS) + " |")
    print("| (a) the sessions pane of pg-primary (%.0f s) | " % DETAIL + " | ".join("%.2f" % st_a2[k] for k in SERVERS) + " |")
    print("| (b) every viewer on it (%.0f s) | " % DETAIL + " | ".join("%.2f" % st_b2[k] for k in SERVERS) + " |")
    print("| (b) / (a), sessions pane | " + " | ".join("%.2f" % (st_b2[k] / st_a2[k] if st_a2[k] else float("nan")) for k in SERVERS) + " |")
    print("| mon's sessions at the end, (a) | " + " | ".join(str(ses_a[k]) for k in SERVERS) + " |")
    print("| mon's sessions at the end, (b) | " + " | ".join(str(ses_b[k]) for k in SERVERS) + " |")
    diff = [(pane, k, q, x[k].get(q, 0), y[k].get(q, 0)) for pane, x, y in (("fleet", by_a, by_b), ("sessions", by_a2, by_b2))
            for k in SERVERS for q in set(x[k]) | set(y[k]) if abs(x[k].get(q, 0) - y[k].get(q, 0)) >= 0.05]
    if diff:
        print()
        print("Statements whose rate differs by 0.05 a refresh or more:")
        print()
        print("| pane | server | statement | (a) | (b) |")
        print("|---|---|---|---:|---:|")
        for pane, k, q, a, b in sorted(diff):
            print("| %s | %s | `%s` | %.2f | %.2f |" % (pane, k, q.replace("|", "\\|"), a, b))
    print()
    print("2. Redis bytes (INFO stats, TLS payload; the XLEN after the window: %d)" % xlen)
    print()
    print("| | per refresh |")
    print("|---|---:|")
    print("| the collector alone, into Redis (its publishing) | %.0f B |" % alone[0])
    print("| the collector alone, out of Redis (replies to it) | %.0f B |" % alone[1])
    print("| with %d viewers, out of Redis, all | %.0f B |" % (VIEWERS, out_b))
    print("| with %d viewers, into Redis, all | %.0f B |" % (VIEWERS, in_b))
    print("| **per viewer**, out of Redis ((all - collector alone) / viewers) | %.0f B |" % ((out_b - alone[1]) / VIEWERS))
    print("| per viewer, into Redis (its XREADs and interest) | %.0f B |" % ((in_b - alone[0]) / VIEWERS))
    print("| every viewer on the sessions pane of pg-primary: out of Redis, all | %.0f B |" % out_b2)
    print("| every viewer on the sessions pane: into Redis, all (the collector's and the viewers' interest) | %.0f B |" % in_b2)
    print("| **per viewer, sessions pane**, out of Redis ((all - collector alone) / viewers) | %.0f B |" % ((out_b2 - alone[1]) / VIEWERS))
    print()
    print("In the window: %.2f stream entries a refresh, %.0f B of frames each (mean); the state hash's "
          "frames %d B (rewritten every 5 s); redis-server CPU %.2f %% of a core (%.2f ms a refresh)."
          % (len(es) / (secs_b / REFRESH), entry_b, state_b, 100 * cpu_b[rpid] / secs_b,
             1000 * cpu_b[rpid] / secs_b * REFRESH))
    print()
    print("3. CPU and peak RSS")
    print()
    vc = [cpu_b[p] / secs_b for p in vpids]
    print("| process | CPU, % of a core | CPU per refresh | VmHWM |")
    print("|---|---:|---:|---:|")
    print("| (a) local dbfleet | %.2f %% | %.2f ms | %.1f MiB |" % (100 * cpu_a[lpid] / secs_a, 1000 * cpu_a[lpid] / secs_a * REFRESH, hwm_local))
    print("| (b) --serve, no viewer | %.2f %% | %.2f ms | |" % (100 * cpu_alone, 1000 * cpu_alone * REFRESH))
    c = cpu_b[srv.pid()] / secs_b
    print("| (b) --serve, %d viewers | %.2f %% | %.2f ms | %.1f MiB |" % (VIEWERS, 100 * c, 1000 * c * REFRESH, hwm_srv))
    print("| (b) one --attach viewer, median of %d | %.2f %% | %.2f ms | %.1f MiB |" % (
        VIEWERS, 100 * statistics.median(vc), 1000 * statistics.median(vc) * REFRESH, statistics.median(hwm_v)))
    print("| (b) one --attach viewer, the most | %.2f %% | %.2f ms | %.1f MiB |" % (100 * max(vc), 1000 * max(vc) * REFRESH, max(hwm_v)))
    print()
    print("A viewer's start (tmux, the process, TLS, the state hash) to all four rows on its screen, %d viewers "
          "started 0.01 s apart (screens polled one after another): median %.2f s, max %.2f s."
          % (VIEWERS, statistics.median(joined), max(joined)))
    print()
    print("4. A session opened or closed on pg-primary to its CONNS figure on the screen (%d changes)" % SAMPLES)
    print()
    print("| screen | samples | p50 | p99 | max | missed (5 s) |")
    print("|---|---:|---:|---:|---:|---:|")
    pooled = []
    for w in watchers:
        xs = lat[w.name]
        if w.name != "local":
            pooled += xs
        print("| %s | %d | %.0f ms | %.0f ms | %.0f ms | %d |" % (w.name, len(xs), 1000 * pct(xs, 50), 1000 * pct(xs, 99),
                                                                 1000 * max(xs) if xs else float("nan"), missed[w.name]))
    print("| the %d viewers pooled | %d | %.0f ms | %.0f ms | %.0f ms | |" % (len(watchers) - 1, len(pooled), 1000 * pct(pooled, 50),
                                                                           1000 * pct(pooled, 99), 1000 * max(pooled) if pooled else float("nan")))
    print()
    print("5. Fail-over (lease %.0f s)" % LEASE)
    print()
    print("| take-over | standby holds the lease after | its first entry after | all %d viewers name it after | entries read back | targets whose first snapshot is a key frame | interleaved or delta-first |" % VIEWERS)
    print("|---|---:|---:|---:|---:|---:|---|")
    for i, (how, leased, took, seen, n, keyed, problems, _) in enumerate(fo):
        print("| %d: %s | %s | %.2f s | %s | %d | %d of %d | %s |" % (
            i + 1, how, "%.2f s" % leased if leased else "not seen", took, "%.2f s" % seen if seen else "never", n, keyed,
            len(SERVERS), "; ".join(problems) if problems else "none"))
    print()
    for i, (how, _, _, _, _, _, _, old) in enumerate(fo):
        if old:
            print("Take-over %d: the SIGSTOPped collector, continued, logged: %s" % (
                i + 1, " / ".join(x.split(": ", 1)[-1] for x in old)))
    print()
    print("The issue's claims:")
    print()
    checks = [
        (all(st_b[k] <= 1.05 * st_a[k] for k in SERVERS), "%d viewers cost each server what one dbfleet does" % VIEWERS,
         "(b)/(a) " + " ".join("%.2f" % (st_b[k] / st_a[k] if st_a[k] else float("nan")) for k in SERVERS)),
        (all(st_b2[k] <= 1.05 * st_a2[k] for k in SERVERS), "%d viewers on the sessions pane cost what one dbfleet's does" % VIEWERS,
         "(b)/(a) " + " ".join("%.2f" % (st_b2[k] / st_a2[k] if st_a2[k] else float("nan")) for k in SERVERS)),
        (all(ses_b[k] == ses_a[k] for k in SERVERS), "no viewer opens a database session",
         "mon's sessions (a) %s, (b) %s" % ([ses_a[k] for k in SERVERS], [ses_b[k] for k in SERVERS])),
        (all(x[1] is not None and x[1] <= LEASE for x in fo), "the standby takes the lease within the lease time",
         "at most %.2f s (lease %.0f s)" % (max(x[1] or float("inf") for x in fo), LEASE)),
        (all(x[2] <= LEASE for x in fo), "the standby publishes within the lease time",
         "first entries %s s after" % ", ".join("%.2f" % x[2] for x in fo)),
        (all(not x[6] and x[5] == len(SERVERS) for x in fo), "no interleaving; the standby starts from key frames",
         "%d take-overs checked" % len(fo)),
    ]
    for ok, what, fig in checks:
        print("- %s %s: %s" % ("met" if ok else "MISS", what, fig))
    print("\nThe run took %.0f s; load average at the end %.1f." % (time.time() - started, os.getloadavg()[0]))
    if not checks[-1][0]:
        sys.exit(1)


if __name__ == "__main__":
    main()
