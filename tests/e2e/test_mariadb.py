"""MariaDB beside PostgreSQL: the same panes for every engine in the fleet."""
import re
import time

from harness import (assert_rates_sane, Dbfleet, Failure, Skip, dsn, lab, mdb, mysql_dsn, require_mariadb,
                     write_config)


def fleet4():
    L = lab()
    cfg = write_config([("pg-primary", dsn(L["PG_PRIMARY_PORT"])), ("pg-replica", dsn(L["PG_REPLICA_PORT"])),
                        ("mdb-primary", mysql_dsn("primary")), ("mdb-replica", mysql_dsn("replica"))])
    return Dbfleet(["-c", cfg], width=140)


def require():
    require_mariadb()


def test_fleet_lists_postgres_and_mariadb_with_the_same_columns():
    require()
    d = fleet4()
    try:
        s = d.wait_for(r"^mdb-replica\s+mysql\s+replica\s+ok")
        d.wait_for(r"^mdb-primary\s+mysql\s+primary\s+ok\s+no\s+\d+/\d+")
        s = d.wait_for(r"^pg-replica\s+postgres\s+replica\s+ok\s+no\s+\d+/\d+")
        rows = [l for l in s.splitlines() if re.match(r"^(pg|mdb)-", l)]
        assert len(rows) == 4, s
        # the same columns: every row fills name..own cost
        for row in rows:
            assert re.search(r"\s(ok)\s+(no|yes)\s+\d+/\d+\s+\S+\s+\S+\s+.+\s+\S+s\s+\d+q \S+ms/s$", row), row
    finally:
        d.close()


def test_lag_pane_shows_both_topologies():
    require()
    d = fleet4()
    try:
        d.wait_for(r"^mdb-replica\s+mysql\s+replica\s+ok")
        d.keys("2")
        d.wait_for(r"^pg-primary\s+primary\s+ok\s*\n\S+ pg-replica\s+replica\s+streaming")
        d.wait_for(r"^mdb-primary\s+primary\s+ok\s*\n\S+ mdb-replica\s+replica\s+streaming")
    finally:
        d.close()


# the details overlay, whole: it is rewritten every sample, so a screen is
# read only when every figure the tests want is on it at once
DETAILS = (r"version: (?P<version>.+?)\s*\n[\s\S]*uptime: (?P<up>\d+)(?P<unit>s|m)[\s\S]*"
           r"connections: (?P<conns>\d+) of (?P<max>\d+) usable[\s\S]*"
           r"transactions/s: (?P<tps>[\d.]+|-)\s[\s\S]*statements/s: (?P<qps>[\d.]+|-)\s[\s\S]*"
           r"connection encryption: (?P<tls>\S+)")


def test_mariadb_health_matches_the_client():
    require()
    d = Dbfleet(["-c", write_config([("mdb", mysql_dsn("primary"))])])
    try:
        d.wait_for(r"^mdb\s+mysql\s+primary\s+ok")
        d.keys("Enter")
        m = re.search(DETAILS, d.wait_for(DETAILS))
        version = mdb("SELECT @@version").split("-")[0]
        assert m["version"] == "MariaDB %s" % version, (version, m.group(0))
        assert m["max"] == mdb("SELECT @@max_connections"), m.group(0)
        up = int(mdb("SHOW GLOBAL STATUS LIKE 'Uptime'").split()[1])
        got = int(m["up"]) * (60 if m["unit"] == "m" else 1)
        assert abs(got - up) <= 61, (got, up, m.group(0))
        assert m["tls"] == "plaintext", m.group(0)
        # between SHOW GLOBAL STATUS reads (every 10th sample) the figures come
        # from the sample's own rows: connections as the server counts them,
        # rates that stand, uptime that moves on (the overlay follows the samples)
        time.sleep(3)
        m = re.search(DETAILS, d.wait_for(DETAILS.replace("[\\d.]+|-", "[\\d.]+")))
        server = int(mdb("SHOW GLOBAL STATUS LIKE 'Threads_connected'").split()[1])
        assert abs(int(m["conns"]) - server) <= 1, (m["conns"], server, m.group(0))  # the mdb() client itself
        assert float(m["qps"]) > 0, m.group(0)
        later = int(m["up"]) * (60 if m["unit"] == "m" else 1)
        assert got <= later <= got + 61, (got, later, m.group(0))
    finally:
        d.close()


def lag_row(screen):
    return re.search(r"mdb-replica\s+replica\s+(.*?)\s{2,}([\d.]+ (?:B|KiB|MiB))", screen)


def test_stopped_sql_thread_is_stopped_not_zero_and_backlog_grows():
    require()
    d = fleet4()
    try:
        d.wait_for(r"^mdb-replica\s+mysql\s+replica\s+ok")
        mdb("STOP REPLICA SQL_THREAD", "replica")
        s = d.wait_for(r"^mdb-replica\s+mysql\s+replica\s+ok\s.*\sstopped\s", timeout=10)
        d.keys("2")
        s = d.wait_for(r"mdb-replica\s+replica\s+SQL THREAD STOPPED")

        def backlog(screen):
            m = re.search(r"SQL THREAD STOPPED\s+([\d.]+) (B|KiB|MiB)", screen)
            return float(m.group(1)) * {"B": 1, "KiB": 1024, "MiB": 1 << 20}[m.group(2)] if m else -1

        first = backlog(s)
        deadline, later = time.time() + 10, first
        while time.time() < deadline and later <= first:
            time.sleep(0.3)
            later = backlog(d.screen())
        assert later > first, (first, later)
    finally:
        mdb("START REPLICA SQL_THREAD", "replica")
        d.close()


def test_digest_truncate_gives_no_negative_rates():
    require()
    d = Dbfleet(["-c", write_config([("mdb", mysql_dsn("primary"))])])
    try:
        d.wait_for(r"^mdb\s+mysql\s+primary\s+ok")
        d.keys("3")
        d.wait_for(r"INSERT INTO `app`")
        mdb("TRUNCATE performance_schema.events_statements_summary_by_digest")
        assert_rates_sane(d)
    finally:
        d.close()


def test_missing_process_privilege_names_the_grant():
    require()
    mdb("CREATE USER IF NOT EXISTS weak@'%'")
    d = Dbfleet(["-c", write_config([("weak", mysql_dsn("primary", user="weak"))])])
    try:
        d.wait_for(r"^weak\s+mysql\s+primary\s+ok")
        d.keys("4")
        d.wait_for(r"no PROCESS: others' sessions hidden \(GRANT PROCESS ON \*\.\* TO 'weak'@'%';\)")
        d.keys("3")
        d.wait_for(r"GRANT SELECT ON performance_schema\.\* TO 'weak'@'%';")
    finally:
        d.close()


def test_silent_port_and_frozen_server_are_stalled_others_keep_going():
    """A MariaDB port that never answers, and a MariaDB server frozen with SIGSTOP."""
    import os
    import signal
    from harness import SilentListener
    require()
    hung = SilentListener()
    L = lab()
    cfg = write_config([("pg-primary", dsn(L["PG_PRIMARY_PORT"])),
                        ("mdb-hole", "mysql://mon@127.0.0.1:%d/" % hung.port),
                        ("mdb-replica", mysql_dsn("replica"))])
    d = Dbfleet(["-c", cfg], width=140)
    pid = int(open(os.path.join(L["LAB_DIR"], "mdb-replica.pid")).read())
    try:
        t0 = time.time()
        d.wait_for(r"^mdb-hole\s+mysql\s+STALLED", timeout=8)
        assert time.time() - t0 < 6, time.time() - t0
        d.wait_for(r"^mdb-replica\s+mysql\s+replica\s+ok")
        os.kill(pid, signal.SIGSTOP)
        t0 = time.time()
        d.wait_for(r"^mdb-replica\s+mysql\s+(replica\s+)?STALLED", timeout=10)
        assert time.time() - t0 < 2 + 2 + 3, time.time() - t0
        d.wait_for(r"^pg-primary\s+postgres\s+primary\s+ok\s.*\s(0\.\ds|1\.\ds)\s+\d+q", timeout=5)
        d.keys("2")
        d.wait_for(r"replication lag")
        assert d.quit_and_wait() < 1.5
    finally:
        os.kill(pid, signal.SIGCONT)
        d.close()
        hung.close()


def test_required_tls_is_enforced_not_silently_plaintext():
    """Connector/C 3.3 would fall back to plaintext; ssl-mode=REQUIRED must refuse instead."""
    require()
    if mdb("SELECT @@have_ssl") == "YES":
        return  # the lab server speaks TLS: nothing to refuse
    d = Dbfleet(["-c", write_config([("tls", mysql_dsn("primary") + "?ssl-mode=REQUIRED"),
                                     ("plain", mysql_dsn("primary"))])])
    try:
        d.wait_for(r"^plain\s+mysql\s+primary\s+ok\s+no\s")
        d.wait_for(r"^tls\s+mysql\s+DOWN")
        d.keys(":")  # tls is down, so listed first; picked by name all the same
        d.tmux("send-keys", "-t", "0", "-l", "target tls")
        d.keys("Enter", "4")
        d.wait_for(r"sessions - tls .*DOWN: connect to 127\.0\.0\.1:\d+: TLS is required")
    finally:
        d.close()


def test_row_lock_wait_names_the_blocker():
    """A session waiting for an InnoDB row lock: counted as waiting, its blocker named and marked."""
    import subprocess
    require()
    mdb("CREATE TABLE IF NOT EXISTS app.lk (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;"
        " INSERT IGNORE INTO app.lk VALUES (1, 0); CREATE USER IF NOT EXISTS victim@'%';"
        " GRANT ALL ON app.lk TO victim@'%'")

    def session(tag, sql):
        return subprocess.Popen(["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", lab()["MDB_PRIMARY_PORT"],
                                 "-u", "victim", "-e", "SELECT '%s'; %s" % (tag, sql)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def cid(like):
        deadline = time.time() + 10
        while time.time() < deadline:
            got = mdb("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'victim' AND INFO LIKE '%s'" % like)
            if got:
                return int(got.split()[0])
            time.sleep(0.1)
        raise Failure("no session doing %s" % like)

    holder = session("lk_holder", "BEGIN; UPDATE app.lk SET v = 1 WHERE id = 1; SELECT SLEEP(60)")
    h = cid("SELECT SLEEP(60)")
    waiter = session("lk_waiter", "UPDATE app.lk SET v = 2 WHERE id = 1")
    w = cid("UPDATE app.lk SET v = 2%")
    d = Dbfleet(["-c", write_config([("mdb", mysql_dsn("primary"))])])
    try:
        d.wait_for(r"^mdb\s+mysql\s+primary\s+ok")
        d.keys("4")
        d.wait_for(r"(?m)^\s*\*%d\s" % h)
        d.wait_for(r"(?m)^\s*%d\s.*\s%d\s+UPDATE app\.lk" % (w, h))
        d.keys("1", "Enter")
        d.wait_for(r"waiting on a lock: 1\b")
    finally:
        d.close()
        holder.kill()
        waiter.kill()
        mdb("KILL %d" % h) if mdb("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %d" % h) == "1" else None


def test_tls_verified_against_the_ca_and_refused_against_another():
    """The lab replica speaks TLS with a certificate from the lab's CA: verified, it is encrypted;
    checked against a CA that did not sign it, the connection is refused, not made."""
    import os
    require()
    tls = os.path.join(lab()["LAB_DIR"], "tls")
    if not os.path.exists(os.path.join(tls, "server.pem")):
        raise Skip("the lab replica has no certificate (is openssl installed?)")
    good = mysql_dsn("replica") + "?ssl-mode=VERIFY_IDENTITY&ssl-ca=" + os.path.join(tls, "ca.pem")
    bad = mysql_dsn("replica") + "?ssl-mode=VERIFY_CA&ssl-ca=" + os.path.join(tls, "other-ca.pem")
    d = Dbfleet(["-c", write_config([("verified", good), ("wrong-ca", bad)])])
    try:
        d.wait_for(r"^verified\s+mysql\s+replica\s+ok\s+yes\s")
        s = d.wait_for(r"^wrong-ca\s+mysql\s+DOWN")
        # the fleet lists problems first (wrong-ca above verified): each is picked by name
        d.keys(":")
        d.tmux("send-keys", "-t", "0", "-l", "target verified")
        d.keys("Enter", "Enter")
        s = d.wait_for(r"connection encryption: TLS\S+")
        assert "connection encryption: plaintext" not in s, s
        d.keys("Escape", ":")
        d.tmux("send-keys", "-t", "0", "-l", "target wrong-ca")
        d.keys("Enter", "Enter")
        d.wait_for(r"wrong-ca \(mysql[^\n]*\n[^\n]*state: DOWN connect to [^\n]*TLS/SSL error: [^\n]*certificate")
    finally:
        d.close()


def test_delayed_replica_shows_its_lag_in_seconds():
    """MASTER_DELAY holds the replica's SQL thread behind: under the lab's load its lag grows to
    the delay, in seconds, and the lag pane says so too."""
    require()
    mdb("STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 5; START SLAVE", "replica")
    d = Dbfleet(["-c", write_config([("mdb-replica", mysql_dsn("replica"))])])
    try:
        def lag(screen):
            m = re.search(r"^mdb-replica\s+mysql\s+replica\s+ok\s.*\s([\d.]+)s\s+[\d.]+s\s+\d+q", screen, re.M)
            return float(m.group(1)) if m else -1

        deadline, seen = time.time() + 15, -1
        while time.time() < deadline and seen < 3:
            time.sleep(0.3)
            seen = lag(d.screen())
        assert 3 <= seen <= 8, (seen, d.screen())
        d.keys("2")
        d.wait_for(r"mdb-replica\s+replica\s+\S+\s+[\d.]+ (B|KiB|MiB)\s+[3-8](\.\d)?s\s")
    finally:
        mdb("STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0; START SLAVE", "replica")
        d.close()


def test_digests_consumer_off_is_named_with_the_fix():
    """performance_schema on but its statements_digest consumer off: the queries pane says how to
    turn it on (not an empty pane), and statements/s still comes, from Questions."""
    require()
    mdb("UPDATE performance_schema.setup_consumers SET ENABLED = 'NO' WHERE NAME = 'statements_digest';"
        " TRUNCATE performance_schema.events_statements_summary_by_digest")
    d = Dbfleet(["-c", write_config([("mdb", mysql_dsn("primary"))])])
    try:
        d.wait_for(r"^mdb\s+mysql\s+primary\s+ok")
        d.keys("3")
        d.wait_for(r"no statement digests: turn the consumer on \(UPDATE performance_schema\.setup_consumers")
        d.keys("1", "Enter")
        d.wait_for(r"statements/s: [\d.]+\s")
    finally:
        mdb("UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME = 'statements_digest'")
        d.close()


# ---- the engine's non-blocking sample, driven as a sampler thread drives it (tests/drivers/mysql_nb.c)

def mysql_nb(*args, stdin=None):
    """The driver beside the binary under test; its sample lines as dicts of words."""
    import os
    import subprocess
    from harness import BINARY, LSAN_OPTIONS
    path = os.path.join(os.path.dirname(BINARY), "tests", "drivers", "mysql_nb")
    if not os.path.exists(path):
        raise Failure("no %s: build it (make asan, or make BUILD=... %s)" % (path, path))
    return subprocess.Popen([path] + list(args), stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, LSAN_OPTIONS=LSAN_OPTIONS))


def words(line):
    return dict(w.split("=", 1) for w in line.split()[1:] if "=" in w)


def nb_samples(which, *levels):
    p = mysql_nb(mysql_dsn(which), "-d", "2", *levels)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 0, (out, err)
    got = [words(l) for l in out.splitlines() if l.startswith("sample ")]
    assert [s["level"] for s in got] == list(levels), out
    for s in got:
        assert s["rc"] == "done", out
        # a step reads what the socket has and returns: it never waits on the server
        assert float(s["longest_step_ms"]) < 100, out
    return got


def test_nonblocking_health_and_detail_samples_on_primary_and_replica():
    """The health probe gives the fleet's and lag pane's figures without the sessions and digests;
    a full sample gives those too; rates stay right across a mix of the two."""
    require()
    t0 = time.time()
    levels = ("health", "detail", "health", "health", "detail", "health")
    max_conns = int(mdb("SELECT @@max_connections"))
    # connections as Threads_connected counts them (the lab's load, the replica's dump thread); the
    # mariadb client counted here stands in for the driver, not yet connected
    server = int(mdb("SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                     " WHERE USER <> 'system user' AND COMMAND <> 'Daemon'"))
    for s in nb_samples("primary", *levels):
        assert s["role"] == "primary" and int(s["max"]) == max_conns, s
        assert int(s["conns"]) > 0 and abs(int(s["conns"]) - server) <= 1, (s, server)
        assert int(s["replicas"]) >= 1, s  # the replica's dump thread
        assert s["version"].startswith("MariaDB"), s
        if s["level"] == "health":
            assert s["sessions"] == "0" and s["queries"] == "0", s
        else:
            assert int(s["sessions"]) > 0 and int(s["queries"]) > 0, s
    assert float(s["qps"]) > 0 and float(s["tps"]) > 0, s  # the lab's load, across health and full samples
    port = int(lab()["MDB_PRIMARY_PORT"])
    for s in nb_samples("replica", "health", "detail", "health"):
        assert s["role"] == "replica" and s["streaming"] == "1" and s["halted"] == "no", s
        assert float(s["lag"]) >= 0 and int(s["sender_port"]) == port, s
        assert (int(s["sessions"]) > 0) == (s["level"] == "detail"), s
    assert time.time() - t0 < 10, time.time() - t0


def test_nonblocking_sample_waits_on_a_frozen_server_and_abandon_ends_in_time():
    """SIGSTOP the server after the connect: the steps return at once (WAIT), the deadline is the
    caller's, and abandon() (KILL QUERY on a second connection, then close) ends within its timeout."""
    import os
    import signal
    import subprocess
    require()
    pid = int(open(os.path.join(lab()["LAB_DIR"], "mdb-replica.pid")).read())
    p = mysql_nb(mysql_dsn("replica"), "-t", "1", "-d", "0.5", "stall", stdin=subprocess.PIPE)
    try:
        assert p.stdout.readline().strip() == "ready"
        os.kill(pid, signal.SIGSTOP)
        t0 = time.time()
        out, err = p.communicate("go\n", timeout=10)
        took = time.time() - t0
    finally:
        os.kill(pid, signal.SIGCONT)
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, (out, err)
    s = words(out.strip().splitlines()[-1])
    assert s["rc"] == "deadline", out
    assert float(s["longest_step_ms"]) < 100, out
    assert 0.45 <= float(s["waited_s"]) < 0.8, out
    assert float(s["abandon_s"]) <= 1.5, out
    assert took < 3, (took, out)
