"""Viewers' interest (issue 14, collectors/interest.c): sampling on demand across the viewers of
a shared collector. A viewer publishes what its panes watch to dbfleet:{F}:interest; the
collector's interest thread watches the union in its own store while it is renewed.

The first tests drive interest.c through tests/drivers/redis_interest (a collector's store and a
viewer's store of its own) on tests/e2e/redislab.py's TLS redis-server with the ACL users of
dbfleet.conf(5): no lab databases needed. The last runs dbfleet --serve on the lab's PostgreSQL
primary and an --attach viewer in tmux (test_serve.py's helpers)."""
import os
import re
import subprocess
import threading
import time

import redislab
from harness import BINARY, Failure, Skip, dsn, psql, psql_bg
from harness import lab as db_lab
from test_redis import SAN_ENV, clean, expect, lab
from test_serve import Serve, attach, close_all, serve_config

DRIVER = os.path.join(os.path.dirname(BINARY), "tests", "drivers", "redis_interest")
INTEREST_S = 10.0  # SERVE_INTEREST_S


def driver_lab():
    if not os.path.exists(DRIVER):
        raise Skip("%s not built (make asan)" % DRIVER)
    return lab()


class Collector:
    """The driver's 'collect' mode: a store with these targets and the interest thread."""

    def __init__(self, *names, user="collector", timeout=None):
        lb = driver_lab()
        self.lines = []
        opts = ["-u", user, "-c", lb.ca, "-p", lb.password_file(user)] + (["-t", str(timeout)] if timeout else [])
        self.proc = subprocess.Popen([DRIVER] + opts + [lb.url, "collect"] + list(names),
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=dict(os.environ, **SAN_ENV))
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for(lambda line: line == "STARTED", "started")

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def state(self):
        """The latest 'STATE ...' line's words as a dict: watch, triage, pi -> sets."""
        st = [line for line in self.lines if line.startswith("STATE ")]
        words = dict(w.split("=", 1) for w in st[-1][6:].split()) if st else {}
        return {k: set(v.split(",")) - {""} for k, v in words.items()}

    def wait_for(self, cond, what, timeout=5.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(cond(line) for line in self.lines):
                return
            time.sleep(0.02)
        raise Failure("no %s within %.1fs; output:\n%s" % (what, timeout, "\n".join(self.lines[-30:])))

    def wait_state(self, timeout=5.0, **want):
        """Wait until the store is watched for exactly WANT (watch=..., triage=..., pi=...); the seconds taken."""
        t0 = time.time()
        want = {k: set(v) for k, v in want.items()}
        while time.time() < t0 + timeout:
            st = self.state()
            if all(st.get(k, set()) == v for k, v in want.items()):
                return time.time() - t0
            time.sleep(0.02)
        raise Failure("the collector's store is not watched for %r within %.1fs; output:\n%s" %
                      (want, timeout, "\n".join(self.lines[-30:])))

    def close(self):
        """SIGTERM: interest_stop, then exit (LSan looks); how long interest_stop took."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.wait()
        time.sleep(0.05)
        out = clean("\n".join(self.lines))
        stopped = [line for line in self.lines if line.startswith("STOPPED in ")]
        return float(stopped[0].split()[2]) if stopped else None


def publish(viewer, *what, user="viewer"):
    """One interest_publish from a viewer store watched for WHAT; (exit status, output)."""
    lb = driver_lab()
    p = subprocess.run([DRIVER, "-u", user, "-c", lb.ca, "-p", lb.password_file(user), lb.url, "publish", viewer] +
                       list(what), capture_output=True, text=True, timeout=30, env=dict(os.environ, **SAN_ENV))
    return p.returncode, clean(p.stdout + p.stderr)


def published(viewer, *what):
    rc, out = publish(viewer, *what)
    expect(rc == 0 and "PUBLISHED" in out, "the viewer publishes its interest", out)


def test_interest_union_of_viewers_and_drop():
    """Two viewers' sets are watched together; a viewer that leaves a pane (an empty set) drops
    its part at once; interest that is not renewed lapses after SERVE_INTEREST_S."""
    c = Collector("orders-db", "billing", "quiet", "eu-west-1/orders-prod")
    try:
        c.wait_state(watch=[], triage=[], pi=[])
        published("alice@h1/1", "watch:orders-db", "pi:eu-west-1/orders-prod")
        took = c.wait_state(watch=["orders-db"], triage=[], pi=["eu-west-1/orders-prod"])
        expect(took < 2.0, "a new set is watched within a second (%.2fs)" % took, "\n".join(c.lines))
        published("bob@h2/2", "triage:billing", "watch:billing")
        c.wait_state(watch=["orders-db", "billing"], triage=["billing"], pi=["eu-west-1/orders-prod"])
        published("alice@h1/1")  # alice left her pane: nothing now
        took = c.wait_state(watch=["billing"], triage=["billing"], pi=[])
        expect(took < 2.0, "a left pane is dropped within a second (%.2fs)" % took, "\n".join(c.lines))
        # bob goes away without a word: his interest lapses SERVE_INTEREST_S after his last renewal
        t0 = time.time()
        c.wait_state(timeout=INTEREST_S + 4, watch=[], triage=[], pi=[])
        lapsed = time.time() - t0
        expect(INTEREST_S - 3 < lapsed < INTEREST_S + 3, "bob's interest lapsed after %.1fs" % lapsed,
               "\n".join(c.lines))
    finally:
        stop_s = c.close()
    expect(stop_s is not None and stop_s < 1.6, "interest_stop returned within about a second (%s s)" % stop_s,
           "\n".join(c.lines))


def test_interest_hostile_text_ignored():
    """What any viewer ACL user writes is outside input: unknown names, control bytes, long names,
    too many lines, a huge entry and entries without fields change nothing and break nothing."""
    lb = driver_lab()
    key = lb.key("interest")
    c = Collector("orders-db", "billing")
    try:
        def xadd(*fields, stdin=None):
            out = lb.cli("viewer", "XADD", key, "*", *fields, stdin=stdin)
            expect(out.strip() and "ERR" not in out and "NOPERM" not in out, "the viewer may XADD %r" % (fields,), out)
        xadd("v", "mallory", "w", "watch no-such-target\ntriage also-unknown\npi us-east-1/no-such-instance\n")
        xadd("v", "mallory", "w", "watch orders-db\x1b[2J\nwatch " + "o" * 300 + "\nexplain orders-db\n")
        xadd("v", "mallory")  # no w
        xadd("w", "watch orders-db\n")  # no v
        xadd("v", "m" * 500, "w", "watch orders-db\n")  # a viewer id past the cap
        xadd("v", "mallory", "w", "".join("watch t%d\n" % i for i in range(5000)) + "watch billing\n")
        lb.cli("viewer", "-x", "XADD", key, "*", "v", "mallory", "w", stdin="x" * 3000000)
        # past the 8 KiB read, a line cut in two must not name another target ("orders-db" of "orders-db-2")
        pad = 8192 - len("watch orders-db")
        lb.cli("viewer", "-x", "XADD", key, "*", "v", "mallory", "w", stdin="\n" * pad + "watch orders-db-2\n")
        time.sleep(1.5)
        expect(c.state() == {"watch": set(), "triage": set(), "pi": set()}, "nothing is watched for any of them",
               "\n".join(c.lines))
        # the thread still reads: a good set after all that is taken at once
        published("alice@h1/1", "watch:billing")
        c.wait_state(watch=["billing"], triage=[])
    finally:
        c.close()


def test_interest_reader_cannot_publish():
    """A 'reader' ACL user (no XADD at all) gets the server's NOPERM as a message, not a crash;
    the collector's store is not watched."""
    c = Collector("orders-db")
    try:
        rc, out = publish("reader@h/1", "watch:orders-db", user="reader")
        expect(rc == 1 and "ERROR: interest on" in out and "NOPERM" in out, "the refusal is reported", out)
        time.sleep(1.2)
        expect(not c.state().get("watch"), "nothing watched", "\n".join(c.lines))
    finally:
        c.close()


def test_interest_survives_redis_restart():
    """redis-server goes away and comes back: the interest thread reconnects on its own (back-off)
    and takes the next renewal; what was watched stays until it lapses, never longer."""
    lb = driver_lab()
    c = Collector("orders-db", "billing", timeout=1)
    try:
        published("alice@h1/1", "watch:orders-db")
        c.wait_state(watch=["orders-db"])
        lb.stop()
        time.sleep(1.0)
        lb.start()
        deadline = time.time() + 15
        while True:  # renewed as a viewer does (its entries before the reconnect are not read)
            published("alice@h1/1", "watch:billing")
            try:
                c.wait_state(timeout=1.0, watch=["billing"])
                break
            except Failure:
                if time.time() > deadline:
                    raise
        expect(any("viewers' interest:" in line for line in c.lines), "the lost connection is in the log", "\n".join(c.lines))
    finally:
        if lb.proc is None:
            lb.start()
        c.close()


# ---- --serve and --attach on the lab ----

def sessions_reads():
    """How many times the lab's primary ran dbfleet's sessions query (pg_stat_statements)."""
    return int(psql("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements"
                    " WHERE query LIKE '%FROM pg_locks WHERE granted GROUP BY pid%'"
                    " AND query NOT LIKE '%pg_stat_statements%'"))


def test_viewer_sessions_pane_makes_the_collector_read_sessions_until_it_leaves():
    """No viewer shows sessions: the collector does not read them. A viewer opens the sessions
    pane: the collector reads them (it is the only one connected) and the viewer shows a session
    with its application_name. The viewer goes back to the fleet pane: the collector stops
    reading them once the viewer's own watch ends. The triage pane's reads come the same way."""
    rl = redislab.start("lab")
    srv = Serve(serve_config(rl, [("primary", dsn(db_lab()["PG_PRIMARY_PORT"]))]))
    app = "vi%d" % (os.getpid() % 100000)  # within the sessions pane's APP column
    bg = psql_bg("SELECT pg_sleep(60)", app)
    v = None
    try:
        srv.wait_log(r"active: the lease")
        v = attach(rl)
        v.wait_for(r"^primary\s+postgres\s+primary\s+ok", timeout=10)
        before = sessions_reads()
        time.sleep(2.5)
        assert sessions_reads() == before, "the collector read sessions that no viewer shows"
        t0 = time.time()
        v.keys("4")
        v.wait_for(re.escape(app), timeout=8)
        took = time.time() - t0
        assert sessions_reads() > before, "the viewer shows sessions the collector did not read"
        # heard at once (not at the next 2 s renewal): one XREAD block, one refresh, one entry
        assert took < 4, "the sessions reached the viewer %.1fs after it opened the pane" % took
        v.keys("1")
        left = time.time()
        last, last_at = sessions_reads(), left
        while time.time() - last_at < 3.0:  # until no read for three refreshes
            time.sleep(0.25)
            n = sessions_reads()
            if n != last:
                last, last_at = n, time.time()
            assert time.time() - left < INTEREST_S + 5, "the collector still reads sessions %.0fs after the " \
                "viewer left the pane" % (time.time() - left)
        took = last_at - left
        # the viewer's own watch lasts 3 refreshes (3 s), then it says so at once
        assert took < 6, "the collector read sessions for %.1fs after the viewer left" % took
        # the triage pane has a watch of its own: the collector reads slots, vacuum and the lock queue
        v.keys("9")
        v.wait_for(r"no session waits on a lock", timeout=6)
    finally:
        bg.kill()
        bg.wait()
        psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '%s'" % app)
        close_all([v], [srv], rl)


def test_reader_viewer_is_refused_interest_and_still_shows_the_fleet():
    """A 'reader' ACL user may not write the interest stream: its viewer says so once (Redis's
    NOPERM) and goes on showing the fleet from the collector."""
    rl = redislab.start("lab")
    srv = Serve(serve_config(rl, [("primary", dsn(db_lab()["PG_PRIMARY_PORT"]))]))
    v = None
    try:
        srv.wait_log(r"active: the lease")
        v = attach(rl, user="reader")
        v.wait_for(r"^primary\s+postgres\s+primary\s+ok", timeout=10)
        v.keys("4")
        v.wait_for(r"details only for what other viewers show: interest on '[^']+': NOPERM", timeout=6)
        v.keys("1")
        v.wait_for(r"^primary\s+postgres\s+primary\s+ok", timeout=5)
    finally:
        close_all([v], [srv], rl)
