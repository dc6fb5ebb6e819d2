"""ODBC targets through Debian's drivers (odbc-postgresql, odbc-mariadb) against the lab."""
import re
import tempfile

import subprocess

from harness import Dbfleet, Skip, dsn, has_mariadb, lab, mysql_dsn, require_mariadb, write_config


def require_driver(name):
    """Skip the calling test where unixODBC does not know the driver."""
    try:
        drivers = subprocess.run(["odbcinst", "-q", "-d"], capture_output=True, text=True, timeout=10).stdout
    except FileNotFoundError:
        raise Skip("no odbcinst (apt-get install unixodbc)")
    if "[%s]" % name not in drivers:
        raise Skip("the ODBC driver '%s' is not installed" % name)


def odbc_ini():
    L = lab()
    require_driver("PostgreSQL Unicode")
    if has_mariadb():
        require_driver("MariaDB Unicode")
    fd, path = tempfile.mkstemp(prefix="dbfleet-odbc-", suffix=".ini")
    with open(fd, "w") as f:
        f.write("[lab-pg]\nDriver = PostgreSQL Unicode\nServername = 127.0.0.1\nPort = %s\n"
                "Database = app\nUsername = mon\n\n" % L["PG_PRIMARY_PORT"])
        if has_mariadb():
            f.write("[lab-mdb]\nDriver = MariaDB Unicode\nServer = 127.0.0.1\nPort = %s\nUser = mon\n"
                    % L["MDB_PRIMARY_PORT"])
    return path


def test_odbc_targets_side_by_side_with_native_ones():
    L = lab()
    targets = [("pg", dsn(L["PG_PRIMARY_PORT"])), ("odbc-pg", "odbc:lab-pg")]
    if has_mariadb():
        targets += [("mdb", mysql_dsn("primary")), ("odbc-mdb", "odbc:lab-mdb")]
    cfg = write_config(targets)
    d = Dbfleet(["-c", cfg], width=140, env={"ODBCINI": odbc_ini()})
    try:
        d.wait_for(r"^odbc-pg\s+odbc\s+primary\s+ok\s+\?\s+\d+/\d+")
        if has_mariadb():
            d.wait_for(r"^odbc-mdb\s+odbc\s+primary\s+ok\s+\?\s+\d+/\d+")
        s = d.wait_for(r"^pg\s+postgres\s+primary\s+ok")
        rows = [l for l in s.splitlines() if re.match(r"^(pg|odbc-pg|mdb|odbc-mdb)\s", l)]
        assert len(rows) == len(targets), s
        for row in rows:
            assert re.search(r"\sok\s+(no|yes|\?)\s+\d+/\d+\s+.*\s\d+q \S+ms/s$", row), row
        # health through ODBC: the same usable-connections figure as the native engine
        native = re.search(r"^pg\s.*?\s(\d+/\d+)\s", s, re.M).group(1).split("/")[1]
        via = re.search(r"^odbc-pg\s.*?\s(\d+/\d+)\s", s, re.M).group(1).split("/")[1]
        assert native == via, (native, via)
    finally:
        d.close()


def sessions_of(name, want):
    cfg = write_config([(name, "odbc:" + name.replace("odbc-", "lab-"))])
    d = Dbfleet(["-c", cfg], width=140, env={"ODBCINI": odbc_ini()})
    try:
        d.wait_for(r"^%s\s+odbc\s+primary\s+ok" % name)
        d.keys("4", "f", "f", "f", "f", "f")  # the filter cycles to "all"
        d.wait_for(r"sessions - %s \[all\]" % name)
        d.wait_for(want)
        d.keys("a")  # dbfleet's own session shows when asked
        d.wait_for(r"with dbfleet's own")
    finally:
        d.close()


def test_odbc_postgres_sessions():
    sessions_of("odbc-pg", r"^\s+\d+\s+app\s+app\s+pgbench")


def test_odbc_mariadb_sessions():
    require_mariadb()
    sessions_of("odbc-mdb", r"^\s+\d+\s+app\s+app\s+.*DO SLEEP")


def test_command_line_mixes_every_engine():
    """dbfleet DSN... with libpq, mysql:// and odbc: targets in one run, no config file."""
    L = lab()
    args = [dsn(L["PG_PRIMARY_PORT"]), "odbc:lab-pg"]
    if has_mariadb():
        args.append(mysql_dsn("primary"))
    d = Dbfleet(args, width=140, env={"ODBCINI": odbc_ini()})
    try:
        d.wait_for(r"^127\.0\.0\.1:%s\s+postgres\s+primary\s+ok" % L["PG_PRIMARY_PORT"])
        # an ODBC target is named from odbc.ini's Servername and Port
        d.wait_for(r"^127\.0\.0\.1:%s#2\s+odbc\s+primary\s+ok" % L["PG_PRIMARY_PORT"])
        if has_mariadb():
            d.wait_for(r"^127\.0\.0\.1:%s\s+mysql\s+primary\s+ok" % L["MDB_PRIMARY_PORT"])
    finally:
        d.close()


def test_frozen_odbc_backend_is_stalled_others_keep_going():
    """psqlODBC gets nothing back from a SIGSTOPped backend, even after SQLCancel:
    the target shows STALLED, the others keep updating, q still quits at once."""
    import os
    import signal
    import time
    from harness import dbfleet_backends, freeze_new_backend
    L = lab()
    before = dbfleet_backends()
    d = Dbfleet(["-c", write_config([("odbc-pg", "odbc:lab-pg"), ("replica", dsn(L["PG_REPLICA_PORT"]))])],
                width=140, env={"ODBCINI": odbc_ini()})
    pid = None
    try:
        d.wait_for(r"^odbc-pg\s+odbc\s+primary\s+ok")
        pid = freeze_new_backend(before)
        t0 = time.time()
        d.wait_for(r"^odbc-pg\s+odbc\s+(primary\s+)?STALLED", timeout=10)
        assert time.time() - t0 < 2 + 1 + 3, time.time() - t0
        d.wait_for(r"^replica\s+postgres\s+replica\s+ok\s.*\s(0\.\ds|1\.\ds)\s+\d+q", timeout=5)
        assert d.quit_and_wait() < 1.5
    finally:
        if pid:
            os.kill(pid, signal.SIGCONT)
        d.close()


def dbfleet_pid(d):
    """The pid of dbfleet itself: the child of the tmux pane's shell ('env' execs it)."""
    import os
    import time
    shell = d.tmux("list-panes", "-t", "0", "-F", "#{pane_pid}").split()[0]
    deadline = time.time() + 10
    while time.time() < deadline:
        with open("/proc/%s/task/%s/children" % (shell, shell)) as f:
            for pid in f.read().split():
                with open("/proc/%s/comm" % pid) as c:
                    if c.read().strip() == "dbfleet":
                        return int(pid)
        time.sleep(0.1)
    raise AssertionError("no dbfleet process under the tmux pane")


def threads_with_odbc_targets(n):
    """dbfleet's thread counts while n ODBC targets are all ok with fresh samples."""
    import os
    import time
    names = ["odbc-%d" % i for i in range(1, n + 1)]
    d = Dbfleet(["-c", write_config([(name, "odbc:lab-pg") for name in names])], width=140,
                env={"ODBCINI": odbc_ini()})
    try:
        for name in names:
            d.wait_for(r"^%s\s+odbc\s+primary\s+ok\s" % name, timeout=30)
        pid = dbfleet_pid(d)
        counts, seconds = set(), set()
        deadline = time.time() + 15
        while len(seconds) < 4:  # over several refreshes (the clock at the top right ticks)
            assert time.time() < deadline, "no fresh samples over 4 refreshes:\n" + d.screen()
            s = d.screen()
            fresh = re.search(r"\| samples [\d.]+s\.\.[01]\.\ds old", s)
            if fresh and all(re.search(r"^%s\s+odbc\s+primary\s+ok\s" % name, s, re.M) for name in names):
                seconds.add(s.splitlines()[0].split()[-1])
                counts.add(len(os.listdir("/proc/%d/task" % pid)))
            time.sleep(0.1)
        return counts
    finally:
        d.close()


def test_odbc_threads_do_not_grow_with_targets():
    """One canceller thread for every ODBC connection: 12 ODBC targets run on
    as many threads as 2 (the pool runs their blocking calls)."""
    few = threads_with_odbc_targets(2)
    many = threads_with_odbc_targets(12)
    assert len(few) == 1 and few == many, "threads with 2 ODBC targets: %s, with 12: %s" % (few, many)
