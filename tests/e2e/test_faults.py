"""Hung hosts, frozen backends, paused replay, resets and hostile text."""
import os
import re
import signal
import subprocess
import tempfile
import time

from harness import assert_rates_sane, dbfleet_backends, freeze_new_backend, Dbfleet, SilentListener, dsn, lab, psql, psql_bg, watch, write_config


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
