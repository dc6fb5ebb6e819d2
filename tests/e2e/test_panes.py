"""The panes on the lab: what an on-call engineer sees."""
import re
import time

from harness import Dbfleet, dsn, lab, psql, psql_bg, watch, write_config


def start(extra_targets=(), **kw):
    L = lab()
    cfg = write_config([("primary", dsn(L["PG_PRIMARY_PORT"])),
                        ("replica", dsn(L["PG_REPLICA_PORT"]))] + list(extra_targets))
    return Dbfleet(["-c", cfg], **kw)


def test_fleet_lists_both_servers():
    d = start()
    try:
        s = d.wait_for(r"^primary\s+postgres\s+primary\s+ok")
        d.wait_for(r"^replica\s+postgres\s+replica\s+ok")
        assert "dbfleet" in s and "1 fleet" in s
        d.wait_for(r"2 up\s+0 stalled\s+0 down")
        assert d.quit_and_wait() < 2
        assert d.exit_status() == 0
    finally:
        d.close()


def test_lag_pane_shows_replica_under_primary():
    d = start()
    try:
        d.wait_for(r"^replica\s+postgres\s+replica\s+ok")
        d.keys("2")
        s = d.wait_for(r"^primary\s+primary\s+ok\s*\n[└`]\S* replica\s+replica\s+streaming")
        assert "TREND" in s
    finally:
        d.close()


def test_help_overlay_from_key_table():
    d = start()
    try:
        d.wait_for(r"^primary\s+postgres")
        d.keys("?")
        s = d.wait_for(r"help: keys")
        assert re.search(r"q\s+quit\s+quit dbfleet", s), s
        assert re.search(r"Tab\s+pane.next", s), s
        d.keys("Escape")
        d.wait_for(r"help: keys", gone=True)
        d.wait_for(r"^primary\s+postgres")
    finally:
        d.close()


def test_resize_too_small_and_back():
    d = start()
    try:
        d.wait_for(r"^primary\s+postgres")
        d.resize(60, 20)
        d.wait_for(r"terminal too small: 60x20, dbfleet needs at least 80x24")
        d.resize(120, 40)
        s = d.wait_for(r"^primary\s+postgres\s+primary")
        assert "too small" not in s
        assert re.search(r"up\s+\d+ stalled", s.splitlines()[-1]), s
    finally:
        d.close()


def test_health_matches_psql():
    d = start()
    try:
        d.wait_for(r"^primary\s+postgres\s+primary\s+ok")
        d.keys("Enter")
        # the details are rewritten every sample: a screen with every figure read here
        s = d.wait_for(r"version: .+\n[\s\S]*role: \S+[\s\S]*uptime: \S+[\s\S]*connections: \d+ of \d+ usable"
                       r"[\s\S]*xid age: \d+")
        version = psql("SELECT split_part(version(), ' on ', 1)")
        usable = psql("SELECT current_setting('max_connections')::int - "
                      "current_setting('superuser_reserved_connections')::int")
        assert "version: %s" % version in s, (version, s)
        assert re.search(r"connections: \d+ of %s usable" % usable, s), (usable, s)
        xid = int(psql("SELECT max(age(datfrozenxid)) FROM pg_database"))
        got = int(re.search(r"xid age: (\d+)", s).group(1))
        assert abs(got - xid) < 5000, (got, xid)
        assert "role: primary" in s
        # the details keep moving while open, like the rows behind them
        up = re.search(r"uptime: (\S+)", s).group(1)
        d.wait_for(r"uptime: (?!%s\s)\S+" % re.escape(up), timeout=5)
        assert "connections:" in d.screen()
    finally:
        d.close()


def test_sessions_pane_shows_waiting_chain():
    """An idle-in-transaction lock holder blocks an UPDATE: both show, the blocker marked."""
    psql("CREATE TABLE IF NOT EXISTS lockme(id int); INSERT INTO lockme VALUES (1)", db="app", user="app")
    holder = psql_bg("BEGIN; LOCK TABLE lockme; SELECT pg_sleep(30);", "holder")
    deadline = time.time() + 10
    while psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'holder' "
               "AND query LIKE '%pg_sleep%' AND state = 'active'") != "1":
        assert time.time() < deadline, "the lock holder never started"
        time.sleep(0.1)
    waiter = psql_bg("UPDATE lockme SET id = 2", "waiter")
    d = start()
    try:
        d.wait_for(r"^primary\s+postgres\s+primary\s+ok")
        d.keys("4")
        hpid = psql("SELECT pid FROM pg_stat_activity WHERE application_name = 'holder'")
        s = d.wait_for(r"^\s+\*%s\s+app\s+app\s+holder" % hpid)
        assert re.search(r"waiter .*Lock:relation.*\b%s\b" % hpid, s), s
    finally:
        holder.kill()
        waiter.kill()
        psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             "WHERE application_name IN ('holder', 'waiter')")
        d.close()


def test_missing_pg_stat_statements_says_how():
    psql("DROP DATABASE IF EXISTS nopss")
    psql("CREATE DATABASE nopss")
    d = watch("bare", lab()["PG_PRIMARY_PORT"], db="nopss")
    try:
        d.keys("3")
        d.wait_for(r"pg_stat_statements is not installed: add it to shared_preload_libraries")
    finally:
        d.close()


def test_missing_pg_monitor_names_the_grant():
    d = watch("noprivs", lab()["PG_PRIMARY_PORT"], user="app", db="app")
    try:
        d.keys("4")
        d.wait_for(r"role 'app' lacks pg_monitor.*GRANT pg_monitor TO app;")
    finally:
        d.close()


def test_narrow_terminal_drops_columns_instead_of_cutting_them():
    d = start(width=80, height=24)
    try:
        s = d.wait_for(r"^primary\s+primary\s+ok")
        header = [l for l in s.splitlines() if l.startswith("NAME")][0]
        assert header.rstrip().endswith("AGE") and "OWN COST" not in header, header
        d.resize(140, 30)
        s = d.wait_for(r"^NAME\s+ENGINE\s+ROLE\s+STATE\s+TLS\s.*OWN COST")
    finally:
        d.close()


def test_text_filter_keeps_matching_rows_and_esc_clears_it():
    """'/' then a text: only rows containing it (any column, case aside), as it is typed;
    Enter keeps it (and keys work again), Esc clears it."""
    d = start()
    try:
        d.wait_for(r"^replica\s+postgres\s+replica\s+ok")
        d.keys("/", "R", "E", "P")
        s = d.wait_for(r"fleet - .*/REP_")
        d.wait_for(r"(?m)^replica\s+postgres")
        assert not re.search(r"(?m)^primary\s", d.screen()), d.screen()
        d.keys("Enter")
        s = d.wait_for(r"fleet - .*/REP\s")
        assert "/REP_" not in s
        d.keys("4")  # keys are commands again; the filter belongs to the fleet pane
        d.wait_for(r"sessions - ")
        assert "/REP" not in d.screen()
        d.keys("1")
        d.wait_for(r"fleet - .*/REP\s")
        assert not re.search(r"(?m)^primary\s", d.screen())
        d.keys("/", "Escape")
        d.wait_for(r"(?m)^primary\s+postgres")
        d.wait_for(r"(?m)^replica\s+postgres")
        assert "/REP" not in d.screen()
    finally:
        d.close()
