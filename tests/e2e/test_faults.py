"""Hung hosts, frozen backends, paused replay, resets and hostile text."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time

from harness import (assert_rates_sane, dbfleet_backends, freeze_new_backend, Dbfleet, Failure, SilentListener, Skip, Watch,
                     dsn, lab, psql, psql_bg, watch, write_config)


def fleet_row(screen, name):
    m = re.search(r"^%s\s.*$" % re.escape(name), screen, re.M)
    return m.group(0) if m else ""


def test_silent_port_is_stalled_others_keep_updating():
    L = lab()
    hung = SilentListener()
    cfg = write_config([("primary", dsn(L["PG_PRIMARY_PORT"])), ("blackhole", dsn(hung.port))])
    d = Dbfleet(["-c", cfg])
    try:
        t0 = time.time()
        s = d.wait_for(r"^blackhole\s+postgres\s+STALLED", timeout=8)
        assert time.time() - t0 < 2 + 1 + 3, "stalled only after %.1fs" % (time.time() - t0)
        assert "ok" in fleet_row(s, "primary")
        # the healthy target keeps updating while the other hangs
        d.wait_for(r"^primary\s+postgres\s+primary\s+ok\s.*\s(0\.\ds|1\.\ds)\s+\d+q", timeout=5)
        d.keys(":")  # blackhole is listed first (problems first): primary is picked by name
        d.tmux("send-keys", "-t", "0", "-l", "target primary")
        d.keys("Enter", "4")
        d.wait_for(r"sessions - primary")
        d.keys("1")
        d.wait_for(r"fleet - 2 targets")
        assert d.quit_and_wait() < 1.5
    finally:
        d.close()
        hung.close()


def test_frozen_backend_is_stalled_and_abandoned():
    L = lab()
    cfg = write_config([("primary", dsn(L["PG_PRIMARY_PORT"])), ("replica", dsn(L["PG_REPLICA_PORT"]))])
    before = dbfleet_backends(L["PG_REPLICA_PORT"])
    d = Dbfleet(["-c", cfg])
    pid = None
    try:
        d.wait_for(r"^replica\s+postgres\s+replica\s+ok")
        # this dbfleet's backend, not one another run left behind
        pid = freeze_new_backend(before, L["PG_REPLICA_PORT"])
        t0 = time.time()
        s = d.wait_for(r"^replica\s+postgres\s+replica\s+STALLED", timeout=8)
        assert time.time() - t0 < 2 + 1 + 3
        assert "ok" in fleet_row(s, "primary"), s
        d.keys("2")
        d.wait_for(r"replication lag")
        d.keys("1")
        # a fresh worker reconnects (a new backend) while the frozen one stays frozen
        d.wait_for(r"^replica\s+postgres\s+replica\s+ok", timeout=15)
        assert d.quit_and_wait() < 1.5
    finally:
        if pid:
            os.kill(pid, signal.SIGCONT)
        d.close()


def lag_bytes(screen):
    m = re.search(r"replica\s+replica\s+REPLAY PAUSED\s+([\d.]+) (B|KiB|MiB|GiB)", screen)
    if not m:
        return None
    return float(m.group(1)) * {"B": 1, "KiB": 1024, "MiB": 1 << 20, "GiB": 1 << 30}[m.group(2)]


def test_paused_replay_shows_growing_lag():
    L = lab()
    cfg = write_config([("primary", dsn(L["PG_PRIMARY_PORT"])), ("replica", dsn(L["PG_REPLICA_PORT"]))])
    d = Dbfleet(["-c", cfg])
    try:
        d.wait_for(r"^replica\s+postgres\s+replica\s+ok")
        d.keys("2")
        psql("SELECT pg_wal_replay_pause()", port=L["PG_REPLICA_PORT"])
        first = lag_bytes(d.wait_for(r"REPLAY PAUSED\s+[\d.]+ \w+", timeout=10))
        psql("CREATE TABLE IF NOT EXISTS filler AS SELECT generate_series(1, 20000) AS x; "
             "INSERT INTO filler SELECT generate_series(1, 20000)", db="app", user="app")
        deadline = time.time() + 10
        later = first
        while time.time() < deadline and later <= first:
            later = lag_bytes(d.screen()) or first
            time.sleep(0.2)
        assert later > first, (first, later)
    finally:
        psql("SELECT pg_wal_replay_resume()", port=L["PG_REPLICA_PORT"])
        d.close()


def test_stat_statements_reset_gives_no_negative_rates():
    d = watch("primary", lab()["PG_PRIMARY_PORT"], db="app")
    try:
        d.keys("3")
        d.wait_for(r"UPDATE pgbench_accounts")
        psql("SELECT pg_stat_statements_reset()")
        assert_rates_sane(d)
    finally:
        d.close()


def test_hostile_text_is_shown_escaped_never_sent():
    sleeper = psql_bg("SELECT pg_sleep(30) /* \x1b[2J\x1b]52;c;Ym9v\x07 */", "evil\x1b[2J\x1b]52;c;aGVsbG8=\x07app")
    d = watch("primary", lab()["PG_PRIMARY_PORT"])
    raw = tempfile.mktemp(prefix="dbfleet-raw-")
    try:
        d.resize(200, 40)
        d.log_output(raw)
        d.keys("4")
        # PostgreSQL itself turns non-printable ASCII in application_name into '?';
        # the query text arrives raw and must be shown escaped
        s = d.wait_for(r"pg_sleep\(30\) /\* \^\[\[2J\^\[\]52;c;Ym9v\^G \*/", timeout=10)
        assert "evil?[2J?]52" in s, s
        d.keys("4")  # one more refresh through the log
        time.sleep(1.5)
        data = open(raw, "rb").read()
        assert b"\x1b]52" not in data, "OSC 52 reached the terminal"
        assert b"\x07" not in data, "a bell reached the terminal"
        assert b"\x1b[2J" not in data, "a clear-screen reached the terminal"
    finally:
        sleeper.kill()
        psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' "
             "AND pid <> pg_backend_pid()")
        d.close()
        if os.path.exists(raw):
            os.unlink(raw)


def test_sigterm_and_sighup_restore_the_terminal():
    L = lab()
    for sig, status in ((signal.SIGTERM, 143), (signal.SIGHUP, 129)):
        d = watch("primary", L["PG_PRIMARY_PORT"])
        try:
            pid = int(d.tmux("list-panes", "-F", "#{pane_pid}").split()[0])
            # the pane runs env -> dbfleet; signal the dbfleet child
            child = subprocess.run(["pgrep", "-P", str(pid), "-f", "dbfleet"], capture_output=True,
                                   text=True).stdout.split()
            os.kill(int(child[0]), sig)
            s = d.wait_for(r"^EXITED \d+", timeout=3)
            assert "EXITED %d" % status in s, s
            # curses left the alternate screen: the dashboard is gone, the shell line is back
            assert "1 fleet" not in s, s
        finally:
            d.close()


def test_unknown_role_is_auth_failed_not_a_retry_storm():
    L = lab()
    d = Dbfleet(["-c", write_config([("primary", dsn(L["PG_PRIMARY_PORT"])),
                                      ("nobody", dsn(L["PG_PRIMARY_PORT"], user="ghost"))])])
    try:
        d.wait_for(r"^nobody\s+postgres\s+AUTH FAILED")
        d.wait_for(r"^primary\s+postgres\s+primary\s+ok")
        d.keys("4")  # nobody is listed first (problems first): the cursor, so the selected target, is on it
        d.wait_for(r'AUTH FAILED: connect: .*role "ghost" does not exist')
    finally:
        d.close()


# ---- faults on a replica of the lab's own (tests/lab.sh replica): restarted, promoted, TLS that fails

LAB_SH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab.sh")


def _as_lab(*cmd):
    """Run a PostgreSQL tool as the lab's servers run (nobody when we are root)."""
    pre = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
    r = subprocess.run(pre + list(cmd), capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise Failure("%s: %s" % (" ".join(cmd), (r.stderr or r.stdout).strip()))


def _pg_ctl(name, *args):
    L = lab()
    d = os.path.join(L["LAB_DIR"], name)
    _as_lab(os.path.join(L["PG_BIN"], "pg_ctl"), "-D", d, "-l", d + ".log", "-w", "-t", "60", *args)


class _ExtraReplica:
    """Another replica of the lab's primary, for a test to break; dropped on close."""

    def __init__(self, name):
        self.name = name
        r = subprocess.run(["sh", LAB_SH, "replica", lab()["LAB_DIR"], name], capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0 or not r.stdout.strip().isdigit():
            self.close()
            raise Failure("lab.sh replica %s: %s" % (name, r.stderr.strip()))
        self.port = r.stdout.strip()

    def close(self):
        subprocess.run(["sh", LAB_SH, "drop", lab()["LAB_DIR"], self.name], capture_output=True, timeout=60)


def _keys_answer(d, name):
    """Keys are answered at once while a target is in trouble: the lag pane and back."""
    t0 = time.time()
    d.keys("2")
    d.wait_for(r"replication lag", timeout=3)
    d.keys("1")
    d.wait_for(r"fleet - 2 targets", timeout=3)
    d.wait_for(r"^%s\s" % re.escape(name), timeout=3)
    assert time.time() - t0 < 3, "keys took %.1fs to be answered" % (time.time() - t0)


def test_restarted_server_goes_down_and_comes_back_by_itself():
    """A server stopped under dbfleet (immediate: its connection dies mid-refresh) shows DOWN or
    STALLED with the keys still answered, and ok again by itself once the server is back."""
    L = lab()
    rep = _ExtraReplica("fault-restart")
    d = None
    try:
        d = Dbfleet(["-c", write_config([("primary", dsn(L["PG_PRIMARY_PORT"])), ("fault-restart", dsn(rep.port))])])
        d.wait_for(r"^fault-restart\s+postgres\s+replica\s+ok", timeout=15)
        _pg_ctl("fault-restart", "-m", "immediate", "stop")
        d.wait_for(r"^fault-restart\s+postgres\s+(replica\s+)?(DOWN|STALLED)", timeout=10)
        _keys_answer(d, "fault-restart")
        assert "ok" in fleet_row(d.screen(), "primary"), d.screen()
        _pg_ctl("fault-restart", "start")
        # the retry back-off is 2 s doubling to 30 s: back within its next steps, with no key pressed
        d.wait_for(r"^fault-restart\s+postgres\s+replica\s+ok", timeout=20)
    finally:
        if d:
            d.close()
        rep.close()


def test_replica_promoted_under_dbfleet_shows_primary_by_itself():
    L = lab()
    rep = _ExtraReplica("fault-promote")
    d = None
    try:
        d = Dbfleet(["-c", write_config([("primary", dsn(L["PG_PRIMARY_PORT"])), ("fault-promote", dsn(rep.port))])])
        d.wait_for(r"^fault-promote\s+postgres\s+replica\s+ok", timeout=15)
        _pg_ctl("fault-promote", "promote")
        d.wait_for(r"^fault-promote\s+postgres\s+primary\s+ok", timeout=10)
        _keys_answer(d, "fault-promote")
    finally:
        if d:
            d.close()
        rep.close()


def test_tls_that_fails_verification_is_a_clear_error():
    """verify-full against a CA that did not sign the server's certificate: DOWN with libpq's
    reason in the row's details, no crash; the same server checked against its own CA is ok."""
    L = lab()
    tls = os.path.join(L["LAB_DIR"], "tls")
    if not os.path.exists(os.path.join(tls, "server.pem")):
        raise Skip("the lab has no certificates (is openssl installed?)")
    rep = _ExtraReplica("fault-tls")
    d = None
    try:
        with open(os.path.join(L["LAB_DIR"], "fault-tls", "postgresql.auto.conf"), "a") as f:
            f.write("ssl = on\nssl_cert_file = '%s/server.pem'\nssl_key_file = '%s/server-key.pem'\n" % (tls, tls))
        _pg_ctl("fault-tls", "reload")
        good = dsn(rep.port) + " sslmode=verify-full sslrootcert=%s/ca.pem" % tls
        bad = dsn(rep.port) + " sslmode=verify-full sslrootcert=%s/other-ca.pem" % tls
        d = Dbfleet(["-c", write_config([("verified", good), ("wrong-ca", bad)])])
        d.wait_for(r"^verified\s+postgres\s+replica\s+ok", timeout=15)
        d.wait_for(r"^wrong-ca\s+postgres\s+DOWN", timeout=10)
        d.keys(":")  # problems first: wrong-ca is listed above verified; picked by name anyway
        d.type("target wrong-ca")
        d.keys("Enter", "Enter")
        d.wait_for(r"state: DOWN [^\n]*certificate verify failed")
        d.keys("Escape")
        _keys_answer(d, "wrong-ca")
        assert "ok" in fleet_row(d.screen(), "verified"), d.screen()
    finally:
        if d:
            d.close()
        rep.close()


# A role whose name turns text around (U+202E), hides a character (U+200B), carries a C1
# control (U+009B, CSI to some terminals) and a byte that is not UTF-8 (0xff). PostgreSQL keeps
# such bytes when they come from a SQL_ASCII database: the shared catalog and
# pg_stat_activity hand them on as they are.
HOSTILE_ROLE = b"rev\xe2\x80\xaeal\xe2\x80\x8bx\xc2\x9by\xff"
HOSTILE_SHOWN = "rev<U+202E>al<U+200B>x<U+009B>y\ufffd"


def _rawbytes_db():
    """A SQL_ASCII database, where a session's query and a new role's name can be any bytes."""
    if not psql("SELECT 1 FROM pg_database WHERE datname = 'rawbytes'"):
        psql("CREATE DATABASE rawbytes ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    # its statements stay out of pg_stat_statements: an entry with invalid UTF-8 fails the
    # statement-text read of every later test (a finding of its own, not this test's)
    psql("ALTER DATABASE rawbytes SET pg_stat_statements.track = 'none'")
    sql = b"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + HOSTILE_ROLE + \
        b"') THEN CREATE ROLE \"" + HOSTILE_ROLE + b"\" LOGIN; END IF; END$$;\n"
    _raw_psql(b"postgres", sql).communicate(timeout=20)


def _raw_psql(user, sql_bytes, app="hostile"):
    """psql as 'user' (bytes) on the SQL_ASCII database, reading 'sql_bytes' from a pipe kept open."""
    p = subprocess.Popen([os.path.join(lab()["PG_BIN"], "psql").encode(), b"-X", b"-q", b"-h", b"127.0.0.1",
                          b"-p", lab()["PG_PRIMARY_PORT"].encode(), b"-U", user, b"-d", b"rawbytes"],
                         env=dict(os.environ, PGAPPNAME=app, PGCLIENTENCODING="SQL_ASCII"),
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p.stdin.write(sql_bytes)
    p.stdin.flush()
    return p


def _hostile_session(marker, query):
    """A session of the hostile role running 'query' (bytes), as application 'marker'; the psql process."""
    _rawbytes_db()
    p = _raw_psql(HOSTILE_ROLE, query + b";\n", app=marker)
    deadline = time.time() + 10
    while time.time() < deadline:
        if psql("SELECT pid FROM pg_stat_activity WHERE application_name = '%s' AND state = 'active'" % marker):
            return p
        time.sleep(0.1)
    p.kill()
    raise AssertionError("the hostile session never became active")


def _end_hostile(p, marker):
    p.kill()
    psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '%s'" % marker)
    psql("SELECT pg_stat_statements_reset(0, oid, 0) FROM pg_database WHERE datname = 'rawbytes'")


def test_hostile_role_and_target_names_are_escaped_in_titles_and_notes():
    """A target named with U+202E and U+200B (the pane title), reached as a role with such a
    name and no pg_monitor (the note above the sessions): each shown as <U+ and its hex code>, none sent."""
    L = lab()
    _rawbytes_db()
    raw = tempfile.mktemp(prefix="dbfleet-raw-")
    cfg = tempfile.mktemp(prefix="dbfleet-test-", suffix=".conf")
    with open(cfg, "wb") as f:
        f.write(b"[dbfleet]\nrefresh = 1\ntimeout = 2\n[target pg\xe2\x80\xaegp\xe2\x80\x8b]\nengine = postgres\n"
                b"dsn = host=127.0.0.1 port=" + L["PG_PRIMARY_PORT"].encode() + b" dbname=postgres user=" +
                HOSTILE_ROLE + b"\n")
    d = Dbfleet(["-c", cfg], width=200)
    try:
        d.log_output(raw)
        d.wait_for(r"^pg<U\+202E>gp<U\+200B>\s+postgres\s", timeout=10)
        d.keys("4")
        s = d.wait_for(r"sessions - pg<U\+202E>gp<U\+200B> \[", timeout=10)
        s = d.wait_for(r"role '%s' lacks pg_monitor" % re.escape(HOSTILE_SHOWN), timeout=10)
        d.keys("4")  # one more repaint through the log
        time.sleep(1.5)
        data = open(raw, "rb").read()
        for bad in (b"\xe2\x80\xae", b"\xe2\x80\x8b", b"\xc2\x9b", b"\xff"):
            assert bad not in data, "%r reached the terminal" % bad
    finally:
        d.close()
        os.unlink(cfg)
        if os.path.exists(raw):
            os.unlink(raw)


def test_bulk_terminate_prompt_draws_each_query_on_one_line():
    """F8's prompt lists the sessions shown: a query holding line breaks cannot draw lines
    of its own (a fake "Terminate? y") into the confirmation."""
    marker = "bulkprompt"
    # the line breaks inside the 40 bytes of a query the prompt shows
    p = _hostile_session(marker, b"SELECT /*\xe2\x80\xae\n\nTerminate? y */ pg_sleep(60)")
    d = watch("primary", lab()["PG_PRIMARY_PORT"])
    try:
        d.resize(200, 40)
        d.keys("4")
        d.wait_for(marker, timeout=10)
        d.keys("/")
        d.tmux("send-keys", "-t", "0", "-l", marker)
        d.keys("Enter")
        d.wait_for(r"sessions - primary .*/%s\s" % marker)
        d.keys("F8")
        s = d.wait_for(r"Terminate 1 session .*\n(.*\n)*.*Esc aborts\.", timeout=5)
        lines = s.splitlines()
        row = [l for l in lines if re.search(r"pid \d+ +%s" % re.escape(HOSTILE_SHOWN[:12]), l)]
        assert row, "the session's line, its user escaped:\n" + s
        assert "SELECT /*<U+202E>  Terminate? y */ pg" in row[0], s
        assert not any(re.match(r"^\s*\|?\s*Terminate\? y", l) for l in lines), "a fake line was drawn:\n" + s
        d.keys("Escape")
    finally:
        _end_hostile(p, marker)
        d.close()


def test_audit_log_escapes_hostile_text_and_stays_json():
    """A cancel of the hostile role's session: its audit lines are valid UTF-8 JSON, with
    U+202E and U+009B as \\u escapes and the invalid byte as U+FFFD; the log is 0600."""
    marker = "auditjson"
    p = _hostile_session(marker, b"SELECT pg_sleep(60) /* \xe2\x80\xae\xc2\x9b\xff */")
    pid = int(psql("SELECT pid FROM pg_stat_activity WHERE application_name = '%s'" % marker))
    w = Watch([("pg", dsn(lab()["PG_PRIMARY_PORT"], db="app"))])
    try:
        d = w.d
        # a log left readable by others (an older dbfleet, a copy) is made the user's alone
        path = os.path.join(w.state, "dbfleet", "audit.log")
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
        os.chmod(path, 0o644)
        d.wait_for(r"^pg\s+postgres\s+primary\s+ok")
        d.keys("4")
        d.wait_for(marker, timeout=10)
        d.keys("/")
        d.tmux("send-keys", "-t", "0", "-l", marker)
        d.keys("Enter")
        d.wait_for(r"(?m)^\s*\*?%d\s" % pid, timeout=10)
        d.keys("Home", "c")
        d.wait_for(r"Cancel the query of pid %d .*\n(.*\n)*.*\[y/N\]" % pid, timeout=5)
        d.keys("y")
        d.keys("6")
        d.wait_for(r"cancel\s+pid %d .*done" % pid, timeout=10)
        data = open(path, "rb").read()
        assert os.stat(path).st_mode & 0o777 == 0o600, oct(os.stat(path).st_mode)
        lines = data.splitlines()
        assert len(lines) == 2, data
        for line in lines:
            rec = json.loads(line.decode("utf-8"))  # strict: invalid UTF-8 fails here
            assert rec["object"]["user"] == HOSTILE_ROLE[:-2].decode() + "y\ufffd", rec
            assert b"\\u202e" in line and b"\\u009b" in line and b"\\u200b" in line, line
            for bad in (b"\xe2\x80\xae", b"\xc2\x9b", b"\xff"):
                assert bad not in line, line
    finally:
        _end_hostile(p, marker)
        w.close()
