"""Actions on the lab's real servers: cancel, terminate, refusal of a session that
changed, confirmations (typed name, y/N, Esc, type-ahead), read-only, dry run, the
audit log; MariaDB KILL QUERY / KILL and the RDS procedures."""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from harness import (BINARY, Dbfleet, Failure, Skip, Watch, dsn, has_mariadb, lab, mdb, mysql_dsn, psql, read_audit,
                     require_mariadb, write_config)


def _victim_role():
    psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'victim'", db="postgres")
    psql("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'victim') THEN "
         "CREATE ROLE victim LOGIN; END IF; END$$")


def _victim(app, sql="SELECT pg_sleep(60)"):
    """A session of role 'victim' running 'sql'; its pid once it shows up active.
    Victims left by earlier runs are ended first (a killed psql's backend sleeps on)."""
    _victim_role()
    # psql reading a pipe we keep open: after a cancel the session stays, idle
    proc = subprocess.Popen([os.path.join(lab()["PG_BIN"], "psql"), "-X", "-q", "-h", "127.0.0.1", "-p",
                             lab()["PG_PRIMARY_PORT"], "-U", "victim", "-d", "app"],
                            env=dict(os.environ, PGAPPNAME=app), stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.stdin.write((sql + ";\n").encode())
    proc.stdin.flush()
    deadline = time.time() + 10
    while time.time() < deadline:
        pid = psql("SELECT pid FROM pg_stat_activity WHERE application_name = '%s' AND state = 'active'" % app,
                   db="postgres")
        if pid:
            return proc, int(pid)
        time.sleep(0.1)
    raise Failure("the victim session never became active")


def _alive(pid):
    return psql("SELECT state FROM pg_stat_activity WHERE pid = %d" % pid, db="postgres")


class _Run(Watch):
    def __init__(self, args=(), target="pg", port=None, extra="", engine_dsn=None, options=None, env=None):
        super().__init__([(target, engine_dsn or dsn(port or lab()["PG_PRIMARY_PORT"], db="app"), options or {})],
                         extra=extra, args=args, env_of=lambda state: dict({"XDG_STATE_HOME": state}, **(env or {})))
        self.target = target


def _prompt_on(d, pid, key):
    """Put the sessions pane's cursor on 'pid' and press 'key'; the prompt's screen."""
    d.keys("4")
    for _ in range(8):
        s = d.wait_for(r"^\s*\*?%d\s" % pid, timeout=10)
        lines = s.splitlines()
        head = next(i for i, l in enumerate(lines) if re.match(r"^\s*PID\s", l))
        rows = lines[head + 1:]
        idx = next(i for i, l in enumerate(rows) if re.match(r"^\s*\*?%d\s" % pid, l))
        d.keys("Home")
        for _ in range(idx):
            d.keys("Down")
        d.keys(key)
        s = d.wait_for(r"confirm|select a session|not in the latest sample|waits for no one", timeout=5)
        if "confirm" in s and re.search(r"pid %d\b" % pid, s):
            # the instructions are the prompt's last line: once seen, all of it is drawn
            return d.wait_for(r"Esc aborts\.|any other key aborts\.", timeout=5)
        if "confirm" in s:
            d.keys("Escape")  # the rows moved under us: try again
        time.sleep(0.3)
    raise Failure("could not open a prompt on pid %d:\n%s" % (pid, d.screen()))


def test_cancel_ends_the_query_and_keeps_the_session():
    proc, pid = _victim("victim-cancel")
    r = _Run()
    try:
        s = _prompt_on(r.d, pid, "c")
        assert re.search(r"Cancel the query of pid %d \(victim, running \S+: SELECT pg_sleep\(60\);?\) on pg\?" % pid, s), s
        assert "sends: SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = %d AND backend_start" % pid in s, s
        assert "[y/N]" in s, s
        r.d.keys("y")
        r.d.wait_for(r"action #1 on pid %d \(victim\) started" % pid)
        deadline = time.time() + 10
        while _alive(pid) == "active" and time.time() < deadline:
            time.sleep(0.1)
        assert _alive(pid) == "idle", "the session should stay, idle: %r" % _alive(pid)
        r.d.keys("6")
        s = r.d.wait_for(r"pg\s+cancel\s+pid %d \(victim\)\s+done\s+.*cancel sent to pid %d" % (pid, pid))
        audit = r.audit()
        assert [a["phase"] for a in audit] == ["intent", "outcome"], audit
        assert audit[1]["result"] == "done" and audit[1]["object"]["pid"] == pid, audit
        assert audit[0]["sql"].startswith("SELECT pg_cancel_backend(pid)") and audit[0]["target"] == "pg", audit
        raw = json.dumps(audit)
        assert "dbname" not in raw and "password" not in raw.lower(), "the DSN must not reach the audit log"
    finally:
        r.close()
        proc.kill()


def test_a_session_named_dbfleet_is_listed_and_can_be_cancelled():
    """application_name is the client's to choose: a session calling itself dbfleet is
    anyone's, listed like any other and cancelled like any other (only the backend
    whose pid dbfleet knows is its own)."""
    _victim_role()
    proc = subprocess.Popen([os.path.join(lab()["PG_BIN"], "psql"), "-X", "-q", "-h", "127.0.0.1", "-p",
                             lab()["PG_PRIMARY_PORT"], "-U", "victim", "-d", "app"],
                            env=dict(os.environ, PGAPPNAME="dbfleet"), stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.stdin.write(b"SELECT pg_sleep(60);\n")
    proc.stdin.flush()
    pid = None
    deadline = time.time() + 10
    while not pid and time.time() < deadline:
        pid = psql("SELECT pid FROM pg_stat_activity WHERE usename = 'victim' AND application_name = 'dbfleet'"
                   " AND state = 'active'", db="postgres")
        time.sleep(0.1)
    if not pid:
        proc.kill()
        raise Failure("the session named dbfleet never became active")
    pid = int(pid)
    r = _Run()
    try:
        s = _prompt_on(r.d, pid, "c")
        assert "dbfleet's own" not in s, s
        assert re.search(r"Cancel the query of pid %d \(victim, running" % pid, s), s
        r.d.keys("y")
        deadline = time.time() + 10
        while _alive(pid) == "active" and time.time() < deadline:
            time.sleep(0.1)
        assert _alive(pid) == "idle", "the session should be cancelled, and stay: %r" % _alive(pid)
        out = [a for a in r.audit() if a["phase"] == "outcome"]
        assert out and out[0]["result"] == "done" and out[0]["object"]["pid"] == pid, out
    finally:
        r.close()
        proc.kill()


def test_terminate_needs_the_typed_name_and_esc_aborts():
    proc, pid = _victim("victim-term")
    r = _Run()
    try:
        s = _prompt_on(r.d, pid, "F9")
        assert re.search(r"Terminate pid %d \(victim, running .*\) on pg\?" % pid, s), s
        assert 'Type the name "pg" and Enter' in s and "blocks: 0 sessions" in s, s
        assert re.search(r"locks held: [1-9]\d*", s), s  # its own virtualxid lock at least
        r.d.keys("p", "x", "Enter")
        r.d.wait_for(r"aborted: the name typed was not pg; nothing sent")
        s = _prompt_on(r.d, pid, "F9")
        r.d.keys("Escape")
        r.d.wait_for(r"aborted: nothing sent")
        time.sleep(0.5)
        assert _alive(pid) == "active", "an aborted prompt must send nothing"
        assert r.audit() == [], "nothing confirmed, nothing audited"
        _prompt_on(r.d, pid, "F9")
        r.d.keys("p", "g", "Enter")
        deadline = time.time() + 10
        while _alive(pid) and time.time() < deadline:
            time.sleep(0.1)
        assert not _alive(pid), "the session should be gone"
        assert [a["result"] for a in r.audit() if a["phase"] == "outcome"] == ["done"]
    finally:
        r.close()
        proc.kill()


def test_prompt_keys_come_from_the_key_table():
    """The prompt's keys are prompt.* commands: a user's keys file rebinds them (j answers yes, y
    no longer does), and BSpace (prompt.erase) edits a typed name."""
    import tempfile
    xdg = tempfile.mkdtemp(prefix="dbfleet-xdg-")
    os.makedirs(os.path.join(xdg, "dbfleet"))
    with open(os.path.join(xdg, "dbfleet", "keys"), "w") as f:
        f.write("prompt:y none\nprompt:Y none\nprompt:j prompt.yes\n")
    proc, pid = _victim("victim-keys")
    r = _Run(env={"XDG_CONFIG_HOME": xdg})
    try:
        _prompt_on(r.d, pid, "c")
        r.d.keys("y")
        r.d.wait_for(r"aborted: nothing sent")
        assert r.audit() == [], "y is unbound in the prompt: it answers No"
        _prompt_on(r.d, pid, "F9")
        r.d.keys("p", "x", "BSpace", "g", "Enter")
        deadline = time.time() + 10
        while _alive(pid) and time.time() < deadline:
            time.sleep(0.1)
        assert not _alive(pid), "px, BSpace, g is pg: the session should be gone"
    finally:
        r.close()
        proc.kill()
    proc, pid = _victim("victim-keys2")
    r = _Run(env={"XDG_CONFIG_HOME": xdg})
    try:
        _prompt_on(r.d, pid, "c")
        r.d.keys("j")
        r.d.wait_for(r"action #1 on pid %d \(victim\) started" % pid)
    finally:
        r.close()
        proc.kill()
        shutil.rmtree(xdg)


def test_a_session_that_changed_since_it_was_shown_is_refused():
    proc, pid = _victim("victim-recycled")
    r = _Run()
    try:
        _prompt_on(r.d, pid, "F9")
        # between display and confirmation the session goes and another takes its place:
        # the pid shown is no longer that session (the same check refuses a reused pid)
        psql("SELECT pg_terminate_backend(%d)" % pid, db="postgres")
        proc2, pid2 = _victim("victim-recycled-2")
        r.d.keys("p", "g", "Enter")
        r.d.keys("6")
        r.d.wait_for(r"terminate\s+pid %d \(victim\)\s+REFUSED\s+.*refused: pid %d is not the session shown" % (pid, pid))
        assert _alive(pid2) == "active", "the other session must be untouched"
        outcome = [a for a in r.audit() if a["phase"] == "outcome"]
        assert outcome and outcome[0]["result"] == "REFUSED", outcome
        proc2.kill()
    finally:
        r.close()
        proc.kill()


def test_typeahead_cannot_answer_a_prompt():
    proc, pid = _victim("victim-typeahead")
    r = _Run()
    try:
        r.d.keys("4")
        r.d.wait_for(r"^\s*\*?%d\s" % pid)
        # 'c' then 'y' in one burst, as a nervous double key press would send them
        r.d.tmux("send-keys", "-t", "0", "c", "y")
        time.sleep(1)
        s = r.d.screen()
        assert "confirm" in s and "[y/N]" in s, "the prompt should still be waiting:\n" + s
        r.d.keys("Escape")
        assert _alive(pid) == "active", "a buffered 'y' answered the prompt"
        assert r.audit() == []
    finally:
        r.close()
        proc.kill()


def test_read_only_offers_no_action():
    proc, pid = _victim("victim-ro")
    r = _Run(args=["--read-only"])
    try:
        r.d.keys("4")
        r.d.wait_for(r"^\s*\*?%d\s" % pid)
        for key in ("c", "F9", "C-p"):
            r.d.keys(key)
            s = r.d.wait_for(r"read-only: actions are off")
            assert "confirm" not in s, s
        assert _alive(pid) == "active"
    finally:
        r.close()
        proc.kill()


def test_dry_run_shows_and_logs_the_sql_and_sends_nothing():
    proc, pid = _victim("victim-dry")
    r = _Run(args=["--dry-run"])
    try:
        s = _prompt_on(r.d, pid, "c")
        assert "--dry-run: it will be logged and shown, not sent" in s, s
        r.d.keys("y")
        r.d.keys("6")
        r.d.wait_for(r"cancel\s+pid %d \(victim\)\s+dry run\s+.*would send: SELECT pg_cancel_backend" % pid)
        time.sleep(0.5)
        assert _alive(pid) == "active"
        assert [a["dry_run"] for a in r.audit()] == [True, True]
    finally:
        r.close()
        proc.kill()


def test_unwritable_audit_log_means_no_action():
    proc, pid = _victim("victim-noaudit")
    r = _Run(extra="audit_log = /proc/dbfleet-cannot-write/audit.log\n")
    try:
        _prompt_on(r.d, pid, "c")
        r.d.keys("y")
        r.d.keys("6")
        r.d.wait_for(r"REFUSED\s+.*audit log cannot be written")
        time.sleep(0.5)
        assert _alive(pid) == "active"
    finally:
        r.close()
        proc.kill()


def _mdb_victim(tag):
    mdb("CREATE USER IF NOT EXISTS victim@'%'")
    proc = subprocess.Popen(["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", lab()["MDB_PRIMARY_PORT"],
                             "-u", "victim", "-e", "SELECT SLEEP(60) AS %s" % tag],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        ids = mdb("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'victim' AND INFO LIKE '%%%s%%'" % tag)
        if ids:
            return proc, int(ids.split()[0])
        time.sleep(0.1)
    raise Failure("no MariaDB victim")


def _mdb_state(cid):
    return mdb("SELECT COMMAND FROM information_schema.PROCESSLIST WHERE ID = %d" % cid)


def test_mariadb_kill_query_then_kill():
    require_mariadb()
    proc, cid = _mdb_victim("kq_victim")
    r = _Run(target="mdb", engine_dsn=mysql_dsn())
    try:
        s = _prompt_on(r.d, cid, "c")
        assert "sends: KILL QUERY %d" % cid in s, s
        r.d.keys("y")
        deadline = time.time() + 10
        while _mdb_state(cid) == "Query" and time.time() < deadline:
            time.sleep(0.1)
        assert _mdb_state(cid) in ("Sleep", ""), _mdb_state(cid)
    finally:
        r.close()
        proc.kill()
    proc, cid = _mdb_victim("kill_victim")
    r = _Run(target="mdb", engine_dsn=mysql_dsn())
    try:
        s = _prompt_on(r.d, cid, "F9")
        assert "sends: KILL %d" % cid in s, s
        r.d.keys("m", "d", "b", "Enter")
        deadline = time.time() + 10
        while _mdb_state(cid) and time.time() < deadline:
            time.sleep(0.1)
        assert not _mdb_state(cid), "connection %d should be gone" % cid
        out = [a for a in r.audit() if a["phase"] == "outcome"]
        assert out[0]["result"] == "done" and out[0]["object"]["server_id"], out
    finally:
        r.close()
        proc.kill()


def test_mariadb_action_connection_takes_one_statement_at_a_time():
    """The connection an action opens refuses "SELECT ...; SELECT ...": text that reaches
    its SQL can never start a second statement (tests/unit/test_mysql_action.c on the lab)."""
    if not has_mariadb():
        raise Skip("no MariaDB in the lab")
    binary = os.path.join(os.path.dirname(BINARY), "tests", "test_mysql_action")
    if not os.path.exists(binary):
        raise Skip("%s is not built" % binary)
    r = subprocess.run([binary, mysql_dsn()], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "PASS action_connection_refuses_a_second_statement" in r.stdout, r.stdout + r.stderr


def test_mariadb_on_rds_kills_through_the_rds_procedures():
    """RDS users cannot KILL other users' threads; they CALL mysql.rds_kill(_query).
    The lab emulates RDS with procedures of those names that record their calls."""
    require_mariadb()
    mdb("CREATE TABLE IF NOT EXISTS mysql.dbfleet_rds_calls (proc VARCHAR(20), id BIGINT)")
    mdb("DELETE FROM mysql.dbfleet_rds_calls")
    for name, verb in (("rds_kill", "KILL"), ("rds_kill_query", "KILL QUERY")):
        body = ("DELIMITER //\nCREATE OR REPLACE PROCEDURE mysql.%s(IN thread BIGINT) SQL SECURITY DEFINER BEGIN "
                "INSERT INTO mysql.dbfleet_rds_calls VALUES ('%s', thread); "
                "SET @dbfleet_kill = CONCAT('%s ', thread); PREPARE s FROM @dbfleet_kill; EXECUTE s; "
                "DEALLOCATE PREPARE s; END //\n" % (name, name, verb))
        subprocess.run(["mariadb", "--no-defaults", "-uroot", "--socket=%s/mdb-primary.sock" % lab()["LAB_DIR"]],
                       input=body, text=True, check=True, capture_output=True)
        mdb("GRANT EXECUTE ON PROCEDURE mysql.%s TO mon@'%%'" % name)
    proc, cid = _mdb_victim("rds_victim")
    r = _Run(target="mdb", engine_dsn=mysql_dsn())
    try:
        s = _prompt_on(r.d, cid, "c")
        assert "sends: CALL mysql.rds_kill_query(%d)" % cid in s, s
        r.d.keys("y")
        deadline = time.time() + 10
        while _mdb_state(cid) == "Query" and time.time() < deadline:
            time.sleep(0.1)
        assert mdb("SELECT proc, id FROM mysql.dbfleet_rds_calls").split() == ["rds_kill_query", str(cid)]
    finally:
        r.close()
        proc.kill()
        for name in ("rds_kill", "rds_kill_query"):
            mdb("DROP PROCEDURE IF EXISTS mysql.%s" % name)
        mdb("DROP TABLE IF EXISTS mysql.dbfleet_rds_calls")


def test_pg_promote_turns_a_replica_into_a_primary():
    """A replica made for this test (the lab's own keeps serving the others)."""
    here = os.path.dirname(os.path.abspath(__file__))
    lab_sh = os.path.join(here, "..", "lab.sh")
    port = subprocess.run(["sh", lab_sh, "replica", lab()["LAB_DIR"], "promote-me"], capture_output=True,
                          text=True, timeout=120, check=True).stdout.strip()
    state = tempfile.mkdtemp(prefix="dbfleet-state-")
    cfg = write_config([("primary", dsn(lab()["PG_PRIMARY_PORT"])), ("promote-me", dsn(port))])
    d = Dbfleet(["-c", cfg], width=160, height=45, env={"XDG_STATE_HOME": state})
    try:
        d.wait_for(r"^promote-me\s+postgres\s+replica\s+ok")
        d.keys("1", "Home", "Down")  # both healthy: the fleet lists them by name, primary first
        d.keys("C-p")
        d.wait_for(r"Promote the replica promote-me \(127\.0\.0\.1:%s\) to a primary\?" % port)
        s = d.wait_for(r"Esc aborts\.")
        assert "current primary: " in s and "split brain" in s and "sends: SELECT CASE WHEN pg_is_in_recovery()" in s, s
        d.keys(*"promote-me")
        d.keys("Enter")
        d.wait_for(r"^promote-me\s+postgres\s+primary\s+ok", timeout=60)
        assert psql("SELECT pg_is_in_recovery()", port=port) == "f"
        # the lag pane shows the new topology: promote-me is a primary of its own now
        d.keys("2")
        s = d.wait_for(r"promote-me")
        tree = [l for l in s.splitlines() if "promote-me" in l]
        assert tree and not re.search(r"[└├]", tree[0]), s
        # promoting it again is refused: it is not a replica any more
        d.keys("1")
        d.keys("C-p")
        d.wait_for(r"promote-me is a primary: only a replica can be promoted")
    finally:
        d.close()
        os.unlink(cfg)
        shutil.rmtree(state)
        subprocess.run(["sh", lab_sh, "drop", lab()["LAB_DIR"], "promote-me"], timeout=60)


class _Switch:
    """A TCP forwarder on loopback, as a VIP or a DNS name: each new connection goes to
    'port' as it is when the connection comes; connections already made stay where they are."""

    def __init__(self, port):
        self.port = port
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.listen_port = self.srv.getsockname()[1]
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
                s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                s.settimeout(None)
            except OSError:
                return
            self.socks += [c, s]
            for a, b in ((c, s), (s, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.srv.close()
        for x in self.socks:
            x.close()


def test_pg_promote_refused_when_another_replica_answers():
    """Behind a VIP (here a forwarder) the replica shown is the lab's; by the time the
    promote is confirmed the name leads to another replica of the same primary (same
    system_identifier, another postmaster start): refused, and no server promoted."""
    here = os.path.dirname(os.path.abspath(__file__))
    lab_sh = os.path.join(here, "..", "lab.sh")
    other = subprocess.run(["sh", lab_sh, "replica", lab()["LAB_DIR"], "promote-other"], capture_output=True,
                           text=True, timeout=120, check=True).stdout.strip()
    sw = _Switch(int(lab()["PG_REPLICA_PORT"]))
    state = tempfile.mkdtemp(prefix="dbfleet-state-")
    cfg = write_config([("primary", dsn(lab()["PG_PRIMARY_PORT"])), ("replica-vip", dsn(sw.listen_port))])
    d = Dbfleet(["-c", cfg], width=160, height=45, env={"XDG_STATE_HOME": state})
    try:
        d.wait_for(r"^replica-vip\s+postgres\s+replica\s+ok")
        d.keys("1", "Home", "Down")
        d.keys("C-p")
        d.wait_for(r"Promote the replica replica-vip \(127\.0\.0\.1:%d\) to a primary\?" % sw.listen_port)
        d.wait_for(r"Esc aborts\.")
        sw.port = int(other)  # the VIP moves: the action's fresh connection reaches the other replica
        d.keys(*"replica-vip")
        d.keys("Enter")
        d.keys("6")
        d.wait_for(r"REFUSED", timeout=30)
        out = [a for a in read_audit(state) if a["phase"] == "outcome"]
        assert out and out[0]["result"] == "REFUSED", out
        assert "not the replica shown" in out[0]["message"] and "nothing promoted" in out[0]["message"], out
        assert psql("SELECT pg_is_in_recovery()", port=other) == "t", "the other replica was promoted"
        assert psql("SELECT pg_is_in_recovery()", port=lab()["PG_REPLICA_PORT"]) == "t"
    finally:
        d.close()
        sw.close()
        os.unlink(cfg)
        shutil.rmtree(state)
        subprocess.run(["sh", lab_sh, "drop", lab()["LAB_DIR"], "promote-other"], timeout=60)


def _psql_session(app, *statements):
    """A psql session as 'victim' fed statements one by one (the pipe stays open)."""
    proc = subprocess.Popen([os.path.join(lab()["PG_BIN"], "psql"), "-X", "-q", "-h", "127.0.0.1", "-p",
                             lab()["PG_PRIMARY_PORT"], "-U", "victim", "-d", "app"],
                            env=dict(os.environ, PGAPPNAME=app), stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for st in statements:
        proc.stdin.write((st + ";\n").encode())
    proc.stdin.flush()
    return proc


def _pid_of(app, state=None):
    deadline = time.time() + 10
    while time.time() < deadline:
        pid = psql("SELECT pid FROM pg_stat_activity WHERE application_name = '%s'%s" % (
            app, " AND wait_event_type = 'Lock'" if state == "waiting" else ""), db="postgres")
        if pid:
            return int(pid)
        time.sleep(0.1)
    raise Failure("no session %s" % app)


def test_terminate_the_blocker_chain_frees_the_waiting_session():
    _victim_role()
    psql("CREATE TABLE IF NOT EXISTS chain_t (id int PRIMARY KEY, v int)", db="app")
    psql("INSERT INTO chain_t VALUES (1, 0), (2, 0) ON CONFLICT DO NOTHING", db="app")
    psql("GRANT ALL ON chain_t TO victim", db="app")
    # A holds row 1; B holds row 2 and waits for row 1; C waits for row 2: C <- B <- A
    a = _psql_session("chain-a", "BEGIN", "UPDATE chain_t SET v = 1 WHERE id = 1")
    pa = _pid_of("chain-a")
    time.sleep(0.3)
    b = _psql_session("chain-b", "BEGIN", "UPDATE chain_t SET v = 2 WHERE id = 2", "UPDATE chain_t SET v = 2 WHERE id = 1")
    pb = _pid_of("chain-b", "waiting")
    c = _psql_session("chain-c", "UPDATE chain_t SET v = 3 WHERE id = 2")
    pc = _pid_of("chain-c", "waiting")
    r = _Run()
    try:
        s = _prompt_on(r.d, pc, "C-t")
        assert "Terminate 2 sessions (the blocker chain of pid %d) on pg?" % pc in s, s
        assert re.search(r"pid %d\s" % pa, s) and re.search(r"pid %d\s" % pb, s), s
        assert "2 statements, one per session, each like: SELECT pg_terminate_backend(pid)" in s, s
        r.d.keys("p", "g", "Enter")
        deadline = time.time() + 10
        while (_alive(pa) or _alive(pb)) and time.time() < deadline:
            time.sleep(0.1)
        assert not _alive(pa) and not _alive(pb), "the chain should be gone"
        # C got its lock and finished its update: idle now
        deadline = time.time() + 10
        while _alive(pc) != "idle" and time.time() < deadline:
            time.sleep(0.1)
        assert _alive(pc) == "idle", _alive(pc)
        out = [x for x in r.audit() if x["phase"] == "outcome"][0]
        assert out["result"] == "done" and sorted(p["pid"] for p in out["object"]["sessions"]) == sorted([pa, pb])
        assert "2 of 2 done" in out["message"], out
    finally:
        r.close()
        for p in (a, b, c):
            p.kill()


def test_cancel_through_odbc_uses_the_servers_dialect():
    """An ODBC target (odbc-postgresql): the action speaks the dialect the sample found."""
    from test_odbc import odbc_ini
    proc, pid = _victim("victim-odbc")
    ini = odbc_ini()
    r = _Run(target="odbc-pg", engine_dsn="odbc:lab-pg", env={"ODBCINI": ini})
    try:
        s = _prompt_on(r.d, pid, "c")
        assert "sends: SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = %d" % pid in s, s
        r.d.keys("y")
        deadline = time.time() + 10
        while _alive(pid) == "active" and time.time() < deadline:
            time.sleep(0.1)
        assert _alive(pid) == "idle", _alive(pid)
        out = [a for a in r.audit() if a["phase"] == "outcome"]
        assert out and out[0]["result"] == "done" and out[0]["engine"] == "odbc", out
    finally:
        r.close()
        proc.kill()
        os.unlink(ini)


class _FrozenPostmaster:
    """SIGSTOP the lab primary's postmaster: connections already open go on, a new one (an
    action's) waits until thaw(). No psql from the test while frozen: it would wait too."""

    def __init__(self):
        import signal
        with open(os.path.join(lab()["LAB_DIR"], "primary", "postmaster.pid")) as f:
            self.pid = int(f.readline())
        os.kill(self.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self):
        import signal
        if self.frozen:
            os.kill(self.pid, signal.SIGCONT)
            self.frozen = False


def _wait_audit(r, phases, timeout=10):
    deadline = time.time() + timeout
    while [a["phase"] for a in r.audit()] != phases:
        if time.time() > deadline:
            raise Failure("audit phases %r, want %r" % ([a["phase"] for a in r.audit()], phases))
        time.sleep(0.1)
    return r.audit()


def _cancel_waiting_on_connect(app):
    """A cancel confirmed while the primary takes no new connection: the action sits in its
    connect (the target's timeout is 15 s). The victim, the run, the frozen postmaster."""
    proc, pid = _victim(app)
    r = _Run(options={"timeout": "15"})
    try:
        _prompt_on(r.d, pid, "c")
        frozen = _FrozenPostmaster()
        r.d.keys("y")
        r.d.wait_for(r"action #1 on pid %d \(victim\) started" % pid)
        _wait_audit(r, ["intent"])
    except Exception:
        if "frozen" in locals():
            frozen.thaw()
        r.close()
        proc.kill()
        raise
    return proc, pid, r, frozen


def test_signal_during_an_action_lets_it_finish_and_records_the_outcome():
    """SIGHUP (the SSH session drops) and SIGTERM while an action runs: the terminal is
    restored, the action finishes headless and its outcome reaches the audit log."""
    import signal
    for sig, app in ((signal.SIGHUP, "victim-hup"), (signal.SIGTERM, "victim-term")):
        proc, pid, r, frozen = _cancel_waiting_on_connect(app)
        try:
            dbfleet = r.d.pid()
            os.kill(dbfleet, sig)
            # the terminal is given back at once; dbfleet itself waits for the action
            s = r.d.wait_for(r"waiting for cancel pid %d \(victim\) on pg to finish" % pid, timeout=3)
            assert "EXITED" not in s and r.d.pid() == dbfleet, s
            frozen.thaw()
            s = r.d.wait_for(r"^EXITED \d+", timeout=20)
            assert "EXITED %d" % (128 + sig) in s, s
            audit = r.audit()
            assert [a["phase"] for a in audit] == ["intent", "outcome"], audit
            assert audit[1]["result"] == "done" and audit[1]["id"] == audit[0]["id"], audit
            assert _alive(pid) == "idle", "the cancel should have reached the session"
        finally:
            frozen.thaw()
            r.close()
            proc.kill()


def test_quit_during_an_action_asks_and_no_keeps_it_running():
    """q with an action running asks first; N keeps dbfleet (and the action) going; y quits
    and the audit log says the action was abandoned, and that nothing was sent."""
    proc, pid, r, frozen = _cancel_waiting_on_connect("victim-quit")
    try:
        r.d.keys("q")
        s = r.d.wait_for(r"any other key keeps dbfleet running")
        assert re.search(r"An action is running: cancel pid %d \(victim\) on pg\." % pid, s), s
        assert "Quit anyway? The outcome may not be recorded" in s and "[y/N]" in s, s
        r.d.keys("n")
        s = r.d.wait_for(r"not quitting: the action goes on")
        assert r.d.exit_status() is None, s
        r.d.keys("q")
        r.d.wait_for(r"Quit anyway\?")
        r.d.keys("y")
        s = r.d.wait_for(r"^EXITED \d+", timeout=5)
        assert "EXITED 0" in s, s
        audit = r.audit()
        assert [a["phase"] for a in audit] == ["intent", "abandoned"], audit
        assert audit[1]["result"] == "abandoned" and audit[1]["id"] == audit[0]["id"], audit
        assert "nothing was sent" in audit[1]["message"], audit
        frozen.thaw()
        time.sleep(1)  # an abandoned action sends nothing, even once it could
        assert _alive(pid) == "active", "an abandoned action must not be sent"
    finally:
        frozen.thaw()
        r.close()
        proc.kill()
