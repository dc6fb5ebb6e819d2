"""One collector, many viewers (issue 14): dbfleet --serve on the lab's real servers publishing
through a TLS redis-server with ACL users (tests/e2e/redislab.py), and dbfleet --attach viewers
in tmux. What a user sees on the viewers' screens, what the servers see (no connection from a
viewer), what the collector's log says."""
import os
import re
import signal
import subprocess
import tempfile
import time

import redislab
from harness import (BINARY, LSAN_OPTIONS, Dbfleet, Failure, dsn, has_mariadb, lab, mdb, mysql_dsn, psql,
                     write_config)


class Serve:
    """dbfleet --serve in the background, its log in a file of its own."""

    def __init__(self, cfg, name="serve", env=None):
        self.log_path = tempfile.mktemp(prefix="dbfleet-%s-" % name, suffix=".log")
        self.san_log = tempfile.mktemp(prefix="dbfleet-asan-serve-")
        extra_env = env
        env = dict(os.environ, ASAN_OPTIONS="log_path=%s:detect_leaks=1" % self.san_log, LSAN_OPTIONS=LSAN_OPTIONS,
                   UBSAN_OPTIONS="log_path=%s:print_stacktrace=1:halt_on_error=1" % self.san_log,
                   TSAN_OPTIONS="log_path=%s:halt_on_error=0:atexit_sleep_ms=0" % self.san_log,
                   XDG_STATE_HOME=tempfile.mkdtemp(prefix="dbfleet-serve-state-"))
        env.pop("DBFLEET_REDIS_PASSWORD", None)
        env.update(extra_env or {})
        self.state = env["XDG_STATE_HOME"]
        self.out = open(self.log_path, "w")
        self.proc = subprocess.Popen([BINARY, "-c", cfg, "--serve"], stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, env=env)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_log(self, pattern, timeout=10, after=0):
        """The log once 'pattern' is in it (past byte 'after')."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            text = self.log()
            if re.search(pattern, text[after:], re.M):
                return text
            time.sleep(0.1)
        raise Failure("the collector's log never said %r within %ds:\n%s" % (pattern, timeout, self.log()[-3000:]))

    def pid(self):
        return self.proc.pid

    def stop(self, sig=signal.SIGTERM, check=True):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise Failure("--serve did not stop within 10 s of signal %d:\n%s" % (sig, self.log()[-2000:]))
        self.out.close()
        reports = ""
        d, base = os.path.dirname(self.san_log), os.path.basename(self.san_log)
        for f in os.listdir(d):
            if f.startswith(base):
                with open(os.path.join(d, f), errors="replace") as fh:
                    reports += fh.read()
                os.unlink(os.path.join(d, f))
        if check and reports:
            raise Failure("sanitizer report from --serve:\n" + reports[:4000])
        return self.proc.returncode


def serve_config(rl, targets, extra="", user="collector"):
    """A config with the lab's targets and a [redis] section for 'rl' as 'user'."""
    red = ("[redis]\nurl = %s\nuser = %s\npassword_file = %s\nca_file = %s\nlease = 2\n%s\n"
           % (rl.url, user, rl.password_file(user), rl.ca, extra))
    return write_config(targets, extra="\n" + red)


def attach(rl, user="viewer", width=150, height=40, extra=""):
    """dbfleet --attach as 'user' (its [redis] section in a config of its own, no targets)."""
    cfg = write_config([], extra="\n[redis]\nuser = %s\npassword_file = %s\nca_file = %s\n%s\n"
                       % (user, rl.password_file(user), rl.ca, extra))
    return Dbfleet(["-c", cfg, "--attach", rl.url], width=width, height=height)


def pg_backends(port=None):
    """dbfleet's sessions on the lab's PostgreSQL primary."""
    return int(psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbfleet'", port=port))


def close_all(viewers, servers, rl):
    """Close the viewers and stop the collectors, all of them, then the redis-server; the first
    failure is raised after (a sanitizer report at a viewer's exit must not leave a collector)."""
    first = None
    for x in list(viewers) + list(servers):
        if x is None:
            continue
        try:
            x.close() if isinstance(x, Dbfleet) else x.stop()
        except Exception as e:  # noqa: BLE001 - each is tried, the first is raised
            first = first or e
    rl.close()
    if first:
        raise first


def lab_targets():
    t = [("primary", dsn(lab()["PG_PRIMARY_PORT"]))]
    if has_mariadb():
        t.append(("mdb", mysql_dsn()))
    return t


def test_serve_and_two_viewers_show_the_fleet_and_viewers_open_no_connection():
    """A collector and two viewers: both viewers show the fleet's rows and the active collector;
    the database servers see the collector's sessions only, the same number before and after
    the viewers attach."""
    rl = redislab.start("lab")
    srv = Serve(serve_config(rl, lab_targets()))
    v1 = v2 = None
    try:
        srv.wait_log(r"active: the lease of fleet lab is ours")
        deadline = time.time() + 10
        while pg_backends() < 1 and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)
        before = pg_backends()
        mdb_before = has_mariadb() and mdb("SELECT count(*) FROM information_schema.processlist WHERE user = 'mon'")
        v1, v2 = attach(rl), attach(rl)
        for v in (v1, v2):
            v.wait_for(r"^primary\s+postgres\s+primary\s+ok", timeout=10)
            v.wait_for(r"ATTACHED lab@localhost:\d+ \| collector [^ ]+/%d \| snapshot \d" % srv.pid(), timeout=3)
            if has_mariadb():
                v.wait_for(r"^mdb\s+mysql\s+primary\s+ok", timeout=10)
        time.sleep(2)
        assert pg_backends() == before, "a viewer opened a PostgreSQL session: %d before, %d now" % (before, pg_backends())
        if has_mariadb():
            now = mdb("SELECT count(*) FROM information_schema.processlist WHERE user = 'mon'")
            assert now == mdb_before, "a viewer opened a MariaDB session: %s before, %s now" % (mdb_before, now)
    finally:
        close_all([v1, v2], [srv], rl)
    assert "released the lease" in srv.log(), srv.log()


def test_viewer_started_late_shows_the_current_state_and_the_timeline_history():
    """A target goes down while no viewer watches; a viewer attached afterwards shows it down at
    once (from the state), and the timeline has the event from the stream's history."""
    rl = redislab.start("lab")
    gone = ("gone", "postgresql://mon@127.0.0.1:1/postgres?connect_timeout=1")
    srv = Serve(serve_config(rl, [("primary", dsn(lab()["PG_PRIMARY_PORT"])), gone]))
    v = None
    try:
        srv.wait_log(r"active: the lease")
        time.sleep(4)  # the down target's event is on the stream before anyone attaches
        t0 = time.time()
        v = attach(rl)
        v.wait_for(r"^primary\s+postgres\s+primary\s+ok", timeout=10)
        s = v.wait_for(r"^gone\s+postgres\s+DOWN", timeout=5)
        took = time.time() - t0
        assert took < 6, "the late viewer took %.1fs to show the fleet" % took
        v.keys("8")
        s = v.wait_for(r"gone.*(down|refused|connect)", timeout=5)
    finally:
        close_all([v], [srv], rl)


def test_redis_restart_makes_viewers_say_stale_then_recover():
    """redis-server stops: the viewer says STALE since ... and reconnects with back-off; when it
    is back the collector (its lease gone with the data) starts again as a standby, takes the
    lease and publishes, and the viewer shows the fleet again from the new collector."""
    rl = redislab.start("lab")
    srv = Serve(serve_config(rl, [("primary", dsn(lab()["PG_PRIMARY_PORT"]))]))
    v = None
    try:
        srv.wait_log(r"active: the lease")
        v = attach(rl)
        v.wait_for(r"^primary\s+postgres\s+primary\s+ok", timeout=10)
        rl.stop()
        s = v.wait_for(r"STALE since \d\d:\d\d:\d\dZ: Redis at localhost:\d+ unreachable", timeout=10)
        mark = len(srv.log())
        rl.start()
        srv.wait_log(r"starting again as a standby", timeout=15, after=mark)
        srv.wait_log(r"active: the lease of fleet lab is ours", timeout=15, after=mark)
        s = v.wait_for(r"ATTACHED lab@localhost:\d+ \| collector [^ ]+/%d \| snapshot" % srv.pid(), timeout=15)
        v.wait_for(r"^primary\s+postgres\s+primary\s+ok", timeout=10)
    finally:
        close_all([v], [srv], rl)


def test_standby_collector_takes_over_when_the_active_one_is_killed():
    """Two --serve on one fleet: the second waits as a standby naming the first; kill -9 the
    first and the second publishes within the lease time (2 s here, plus a refresh); the viewer
    names the new collector and says it took over."""
    rl = redislab.start("lab")
    cfg = serve_config(rl, [("primary", dsn(lab()["PG_PRIMARY_PORT"]))])
    a = Serve(cfg, "active")
    b = None
    v = None
    try:
        a.wait_log(r"active: the lease")
        time.sleep(1.5)
        active_only = pg_backends()
        b = Serve(cfg, "standby")
        b.wait_log(r"standby: collector [^ ]+/%d/[0-9a-f]+ holds the lease" % a.pid())
        time.sleep(1.5)
        assert pg_backends() == active_only, "the standby reads the fleet while it stands by"
        v = attach(rl)
        v.wait_for(r"collector [^ ]+/%d \|" % a.pid(), timeout=10)
        a.proc.kill()
        t0 = time.time()
        b.wait_log(r"active: the lease of fleet lab is ours", timeout=6)
        v.wait_for(r"collector [^ ]+/%d took over from [^ ]+/%d" % (b.pid(), a.pid()), timeout=8)
        took = time.time() - t0
        assert took < 2 + 4, "the viewer showed the standby's snapshots %.1fs after the kill" % took
        v.wait_for(r"ATTACHED lab@localhost:\d+ \| collector [^ ]+/%d \| snapshot \d" % b.pid(), timeout=8)
        v.wait_for(r"^primary\s+postgres\s+primary\s+ok", timeout=5)
    finally:
        close_all([v], [b, a], rl)


def test_viewer_with_a_read_only_acl_user_watches_and_cannot_publish():
    """The 'reader' ACL user (reads only) attaches and shows the fleet; the same user cannot
    append to the stream, rewrite the state or take the lease."""
    rl = redislab.start("lab")
    srv = Serve(serve_config(rl, [("primary", dsn(lab()["PG_PRIMARY_PORT"]))]))
    v = None
    try:
        srv.wait_log(r"active: the lease")
        v = attach(rl, user="reader")
        v.wait_for(r"^primary\s+postgres\s+primary\s+ok", timeout=10)
        for cmd in (["XADD", rl.key("stream"), "*", "c", "forged", "t", "f", "d", "x"],
                    ["HSET", rl.key("state"), "d", "forged"], ["SET", rl.key("lease"), "forged"]):
            out = rl.cli("reader", *cmd)
            assert "NOPERM" in out, (cmd, out)
    finally:
        close_all([v], [srv], rl)


def test_viewer_shows_performance_insights_the_collector_reads_for_it():
    """An RDS instance with Performance Insights and no database connection: the collector asks
    PI nothing until a viewer's queries pane shows the instance; then the viewer shows PI's load
    and top SQL, read by the collector and carried on the stream."""
    import awslab
    from test_aws_pi import _seed_pi, _sent
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["pi-orders"], klass="db.r6g.large")
    _seed_pi("pi-orders", [{"text": "UPDATE accounts SET balance = balance - $1 WHERE id = $2", "load": 0.5,
                            "waits": {"Lock:transactionid": 0.5}}])
    rl = redislab.start("lab")
    srv = Serve(write_config([], extra="\n[aws]\nenabled = true\nregions = us-east-1\n\n[redis]\nurl = %s\nuser = collector\n"
                             "password_file = %s\nca_file = %s\nlease = 2\n" % (rl.url, rl.password_file("collector"), rl.ca)),
                env=awslab.env())
    v = None
    try:
        srv.wait_log(r"active: the lease")
        v = attach(rl, width=200, height=50)
        v.wait_for(r"^pi-orders\s", timeout=30)
        assert _sent("GetResourceMetrics") == 0, awslab.proxy("stats")
        v.keys("3")
        v.wait_for(r"queries - pi-orders \(AWS, no database connection\)")
        s = v.wait_for(r"from Performance Insights: load 0\.50 average active sessions of 2 vCPUs", timeout=20)
        assert re.search(r"^\s*500\s.*\bLock:transactionid\s+UPDATE accounts SET balance", s, re.M), s
        assert _sent("GetResourceMetrics") >= 1, awslab.proxy("stats")
    finally:
        close_all([v], [srv], rl)
