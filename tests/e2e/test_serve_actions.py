"""Actions from a viewer of a shared collector (issue 14): a viewer's confirmed cancel goes to
the collector on the viewer's own request stream, runs there once (a request sent twice is not
run again), the collector's audit log names both identities (the Redis ACL user, trusted, and
the OS user and host the viewer claims), and the viewer's actions pane shows the outcome; with
viewer_actions off the viewer says so and sends nothing. Real parts: the lab's PostgreSQL, a
TLS redis-server with the ACL users of dbfleet.conf(5) (redislab.py), dbfleet --serve as a
process and dbfleet --attach in tmux."""
import getpass
import os
import re
import socket
import time

import redislab
from harness import Failure, dsn, lab, psql, read_audit, run_cli, write_config
from test_actions import _prompt_on, _victim
from test_serve import Serve, attach, close_all, serve_config

FLEET = "acts"


class _Shared:
    """redis-server, dbfleet --serve on the lab's PostgreSQL primary (target 'pg'), and one
    viewer attached as ACL user 'viewer' (test_serve.py's helpers)."""

    def __init__(self, actions=True, viewer_timeout=None):
        self.r = redislab.start(FLEET)
        self.serve = self.viewer = None
        try:
            self.serve = Serve(serve_config(self.r, [("pg", dsn(lab()["PG_PRIMARY_PORT"], db="app"))],
                                            extra="viewer_actions = %s\naction_users = viewer"
                                            % ("on" if actions else "off")))
            self.serve.wait_log(r"active: the lease")
            self.viewer = attach(self.r, extra="timeout = %s" % viewer_timeout if viewer_timeout else "")
            self.viewer.wait_for(r"^pg\s+postgres\s+primary\s+ok")
        except Exception:
            self.close()
            raise

    def log(self):
        return self.serve.log()

    def wait_log(self, pattern, timeout=10):
        return self.serve.wait_log(pattern, timeout=timeout)

    def audit(self):
        return read_audit(self.serve.state)

    def requests(self):
        """The viewer's request stream, as redis-cli prints XRANGE."""
        return self.r.cli("viewer", "XRANGE", self.r.key("req:viewer"), "-", "+")

    def close(self):
        """Stop both; a sanitizer report of the collector fails the test, as the viewer's does."""
        close_all([self.viewer], [self.serve], self.r)


def _session(pid):
    """(state, query_start) of 'pid' on the primary, ('', '') once it has gone."""
    row = psql("SELECT state || '|' || query_start FROM pg_stat_activity WHERE pid = %d" % pid, db="postgres")
    return tuple(row.split("|", 1)) if row else ("", "")


def _wait_session(pid, cond, what, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = _session(pid)
        if cond(s):
            return s
        time.sleep(0.1)
    raise Failure("pid %d: %s within %d s; it is %r" % (pid, what, timeout, _session(pid)))


def test_viewer_cancel_runs_once_on_the_collector():
    # two sleeps in a row: one cancel ends the first and the second runs on; a second cancel
    # would end that one too
    proc, pid = _victim("victim-viewer", sql="SELECT pg_sleep(60);\nSELECT pg_sleep(60)")
    first = _session(pid)
    sh = None
    try:
        sh = _Shared()
        v = sh.viewer
        s = _prompt_on(v, pid, "c")
        assert "sends: SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = %d AND backend_start" % pid in s, s
        v.keys("y")
        v.wait_for(r"action on pid %d \(victim\) sent to the collector" % pid)
        # cancelled on the server: the second sleep runs, started after the first
        after = _wait_session(pid, lambda x: x[0] == "active" and x[1] != first[1], "the first sleep cancelled")
        # its outcome, on the viewer's status line once it comes back
        v.wait_for(r"the collector: cancel pid %d \(victim\) on pg done: cancel sent to pid %d" % (pid, pid))
        # the collector's audit log: one intent, one outcome, both identities
        sh.wait_log(r"request [0-9a-f]{32} \(entry \S+\) from ACL user viewer \(claimed %s@\S+\): action #1, cancel pid %d"
                    % (re.escape(getpass.getuser()), pid))
        deadline = time.time() + 10
        while len(sh.audit()) < 2 and time.time() < deadline:
            time.sleep(0.1)
        audit = sh.audit()
        assert [a["phase"] for a in audit] == ["intent", "outcome"], audit
        by = audit[0]["requested_by"]
        assert by["acl_user"] == "viewer", by
        assert by["claimed_os_user"] == getpass.getuser() and by["claimed_host"] == socket.gethostname()[:63], by
        assert re.fullmatch(r"[0-9a-f]{32}", by["request_id"]), by
        assert audit[1]["result"] == "done" and audit[1]["object"]["pid"] == pid, audit
        assert audit[1]["requested_by"] == by, audit
        # the viewer's actions pane: the collector's outcome, through the stream
        v.keys("6")
        v.wait_for(r"pg\s+cancel\s+pid %d \(victim\)\s+done\s+.*cancel sent to pid %d" % (pid, pid))
        # the same request written again (as 'viewer', on its own stream): not run again
        entries = sh.requests()
        assert entries.count(by["request_id"]) == 1, entries
        fields = [line for line in entries.splitlines()[1:]]
        assert fields[0] == "v", entries
        sh.r.cli("viewer", "XADD", sh.r.key("req:viewer"), "*", *fields)
        seen = sh.wait_log(r"request %s \(entry \S+\) from ACL user viewer \(claimed [^)]*\): (taken already|action #2)"
                           % by["request_id"])
        time.sleep(0.5)  # a second cancel, had it been sent, was sent before that line
        assert _session(pid) == after, "a second cancel reached the session: %r then %r" % (after, _session(pid))
        assert [a["phase"] for a in sh.audit()] == ["intent", "outcome"], sh.audit()
        assert re.search(r"request %s \(entry \S+\) from ACL user viewer \(claimed [^)]*\): taken already: not run "
                         r"again" % by["request_id"], seen), seen
    finally:
        if sh:
            sh.close()
        proc.kill()


def test_viewer_actions_off_sends_nothing():
    proc, pid = _victim("victim-viewer-off")
    sh = None
    try:
        sh = _Shared(actions=False)
        v = sh.viewer
        v.keys("4")
        v.wait_for(r"^\s*\*?%d\s" % pid)
        v.keys("c")
        v.wait_for(r"actions are off: the collector does not take viewers' actions \(\[redis\] viewer_actions\)")
        assert "confirm" not in v.screen(), v.screen()
        time.sleep(1)
        assert _session(pid)[0] == "active", "the session should keep running: %r" % (_session(pid),)
        assert sh.requests().strip() == "", "nothing is sent: %r" % sh.requests()
        assert "viewer requests" not in sh.log(), sh.log()
        assert sh.audit() == [], sh.audit()
    finally:
        if sh:
            sh.close()
        proc.kill()


def _request_ids(sh):
    """The request ids on the viewer's request stream, in order."""
    lines = sh.requests().splitlines()
    return [lines[i + 1] for i, line in enumerate(lines[:-1]) if line == "id"]


def test_viewer_request_resent_after_reconnect_runs_once_when_a_collector_takes_over():
    """A viewer confirms a cancel while no collector reads requests (the active one was killed);
    Redis restarts and loses the stream: the viewer writes the request again, with the same id,
    on its new connection; the collector that takes over reads requests from before it held the
    lease and runs it, once."""
    proc, pid = _victim("victim-viewer-resend", sql="SELECT pg_sleep(60);\nSELECT pg_sleep(60)")
    first = _session(pid)
    sh = None
    killed = None
    try:
        sh = _Shared(viewer_timeout=1)  # it sees Redis go within a second
        v = sh.viewer
        v.keys("4")
        v.wait_for(r"^\s*\*?%d\s" % pid)
        killed, sh.serve = sh.serve, None
        killed.proc.kill()
        killed.proc.wait()
        _prompt_on(v, pid, "c")
        v.keys("y")
        v.wait_for(r"action on pid %d \(victim\) sent to the collector" % pid)
        deadline = time.time() + 5
        while not _request_ids(sh) and time.time() < deadline:
            time.sleep(0.1)
        ids = _request_ids(sh)
        assert len(ids) == 1, sh.requests()
        sh.r.stop()  # the viewer's connection goes with it
        sh.r.start()  # no persistence: the stream is gone
        deadline = time.time() + 10
        while not _request_ids(sh) and time.time() < deadline:
            time.sleep(0.1)
        assert _request_ids(sh) == ids, "the viewer should write the same request again: %r" % sh.requests()
        assert _session(pid) == first, "nothing ran it yet"
        sh.serve = Serve(killed.proc.args[2])
        sh.wait_log(r"from ACL user viewer \(claimed [^)]*\): action #1, cancel pid %d" % pid)
        after = _wait_session(pid, lambda x: x[0] == "active" and x[1] != first[1], "the first sleep cancelled")
        v.keys("6")
        v.wait_for(r"pg\s+cancel\s+pid %d \(victim\)\s+done" % pid)
        deadline = time.time() + 10
        while len(sh.audit()) < 2 and time.time() < deadline:
            time.sleep(0.1)
        audit = sh.audit()
        assert [a["phase"] for a in audit] == ["intent", "outcome"], audit
        assert audit[0]["requested_by"]["request_id"] == ids[0], audit
        assert _session(pid) == after, "one cancel: %r then %r" % (after, _session(pid))
    finally:
        if killed:
            killed.stop(check=False)  # killed: no report to read
        if sh:
            sh.close()
        proc.kill()


def test_read_only_collector_with_viewer_actions_does_not_start():
    """--read-only wins: a collector told both to take viewers' actions and to be read-only
    says so and exits 2 before it connects anywhere."""
    cfg = write_config([("pg", dsn(lab()["PG_PRIMARY_PORT"], db="app"))],
                       extra="\n[redis]\nurl = rediss://localhost:1/%s\nviewer_actions = on\naction_users = viewer\n"
                       % FLEET)
    try:
        r = run_cli(["-c", cfg, "--serve", "--read-only"])
    finally:
        os.unlink(cfg)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "viewer_actions = on runs viewers' actions, and this collector is read-only" in r.stderr, r.stderr


def test_hostile_requests_are_refused_named_and_shown():
    """What any ACL user allowed to act can write to its stream is outside input: an unknown
    action, a forged identity field, a screen escape in a value, a target the collector does
    not have. Each is refused, the collector's log says which field (quoting no value), nothing
    runs, and the refusal reaches the viewer's actions pane."""
    sh = _Shared()
    try:
        key = sh.r.key("req:viewer")
        base = ["v", "1", "os_user", "mallory", "host", "h", "object", "pid 1 (x)", "a.pid", "1"]
        cases = [
            ("%032x" % 1, ["kind", "drop", "target", "pg"], r"refused: unknown action kind"),
            ("%032x" % 2, ["kind", "cancel", "target", "pg", "acl_user", "collector"],
             r"refused: unknown field 'acl_user'"),
            ("%032x" % 3, ["kind", "cancel", "target", "pg\x1b[2J"], r"refused: field 'target' holds a control character"),
            ("%032x" % 4, ["kind", "cancel", "target", "nosuch"], r"refused: no target named 'nosuch' on this collector"),
        ]
        for rid, fields, _ in cases:
            sh.r.cli("viewer", "XADD", key, "*", "id", rid, *(base + fields))
        for rid, _, said in cases:
            log = sh.wait_log(r"request (%s|\?) \(entry \S+\) from ACL user viewer \(claimed mallory@h\)[^\n]*%s"
                              % (rid, said))
        assert "\x1b" not in log, "a value's escape reached the log"
        v = sh.viewer
        v.keys("6")
        v.wait_for(r"REFUSED\s+.*refused: no target named 'nosuch' on this collector")
        s = v.wait_for(r"REFUSED\s+.*refused: unknown field 'acl_user'")
        assert "[2J" not in s, s
        assert sh.audit() == [], sh.audit()
    finally:
        sh.close()


def _select(v, name):
    """Put the viewer's fleet cursor on the row named 'name'."""
    v.keys("1")
    s = v.wait_for(r"^%s\s" % re.escape(name), timeout=30)
    lines = s.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("NAME"))
    idx = next(i for i, line in enumerate(lines[head + 1:]) if line.split() and line.split()[0] == name)
    v.keys("Home")
    for _ in range(idx):
        v.keys("Down")


def test_viewer_snapshot_runs_with_the_collectors_credentials():
    """An AWS action from a viewer (which has no AWS credentials at all): the collector takes
    the instance's account and profile from what it discovered, not from the request, makes
    the one snapshot the viewer's prompt named, and audits it with the viewer's identity."""
    import awslab
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["vsnap-1"])
    rl = redislab.start(FLEET)
    srv = Serve(write_config([], extra="\n[aws]\nenabled = true\nregions = us-east-1\ndiscover = 10\n\n[redis]\nurl = %s\n"
                             "user = collector\npassword_file = %s\nca_file = %s\nlease = 2\nviewer_actions = on\n"
                             "action_users = viewer\n" % (rl.url, rl.password_file("collector"), rl.ca)),
                env=awslab.env())
    v = None
    try:
        srv.wait_log(r"active: the lease")
        v = attach(rl, width=170, height=45)
        _select(v, "vsnap-1")
        v.keys("S")
        v.wait_for(r"Take a manual snapshot (dbfleet-vsnap-1-\d{8}-\d{6}) of instance vsnap-1 \(us-east-1\)\?")
        s = v.wait_for(r"Esc aborts\.")
        snap = re.search(r"(dbfleet-vsnap-1-\d{8}-\d{6})", s).group(1)
        v.keys(*"asked from a viewer")
        v.keys("Enter")
        v.wait_for(r"sent to the collector")
        v.keys("6")
        v.wait_for(r"snapshot\s+instance vsnap-1\s+done\s+.*snapshot %s available" % snap, timeout=30)
        snaps = awslab.client("rds").describe_db_snapshots(DBInstanceIdentifier="vsnap-1",
                                                          SnapshotType="manual")["DBSnapshots"]
        ours = [x for x in snaps if x["DBSnapshotIdentifier"].startswith("dbfleet-")]
        assert [x["DBSnapshotIdentifier"] for x in ours] == [snap], ours
        tags = {t["Key"]: t["Value"] for t in ours[0]["TagList"]}
        assert tags["dbfleet:reason"] == "asked from a viewer", tags
        audit = read_audit(srv.state)
        assert [x["phase"] for x in audit] == ["intent", "outcome"] and audit[1]["result"] == "done", audit
        assert audit[0]["requested_by"]["acl_user"] == "viewer", audit
        assert audit[0]["object"]["snapshot"] == snap and audit[0]["object"]["instance"] == "vsnap-1", audit
    finally:
        close_all([v], [srv], rl)
