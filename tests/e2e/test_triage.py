"""The triage pane on the lab: an inactive slot holding WAL (and the fleet's flag for it),
the oldest xmin holder and a vacuum in progress, the lock queue as one tree with terminate
on its head blocker; MariaDB's metadata-lock tree, purge lag and binary logs."""
import os
import re
import subprocess
import time

from harness import Dbfleet, Failure, Watch, dsn, lab, mdb, mysql_dsn, psql, require_mariadb, write_config

SLOT = "dbfleet_triage_idle"


def _pid_of(app, where="true"):
    """The pid of the session whose application_name is 'app', once it is there and 'where' holds."""
    deadline = time.time() + 10
    while time.time() < deadline:
        pid = psql("SELECT pid FROM pg_stat_activity WHERE application_name = '%s' AND %s" % (app, where))
        if pid:
            return int(pid.split()[0])
        time.sleep(0.1)
    raise Failure("session %s never showed up" % app)


def _session(app, sql, db="app", user="app"):
    """psql as 'app' running 'sql' from a pipe kept open (the session stays after it)."""
    proc = subprocess.Popen([os.path.join(lab()["PG_BIN"], "psql"), "-X", "-q", "-h", "127.0.0.1", "-p",
                             lab()["PG_PRIMARY_PORT"], "-U", user, "-d", db],
                            env=dict(os.environ, PGAPPNAME=app), stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.stdin.write((sql + "\n").encode())
    proc.stdin.flush()
    return proc


def _end(procs, apps):
    for p in procs:
        p.kill()
    psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name IN (%s)"
         % ",".join("'%s'" % a for a in apps), db="postgres")


def _drop_slot():
    psql("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'" % SLOT)


def test_triage_inactive_slot_is_flagged_until_dropped():
    _drop_slot()
    psql("SELECT pg_create_physical_replication_slot('%s', true)" % SLOT)
    r = Watch([("primary", dsn(lab()["PG_PRIMARY_PORT"]))])
    try:
        # WAL written past the slot: each switch starts a new 16 MiB segment it must keep
        for _ in range(6):
            psql("CREATE TABLE IF NOT EXISTS triage_wal (x int); INSERT INTO triage_wal VALUES (1);"
                 " SELECT pg_switch_wal()", db="app")
        # the fleet's line of problems counts it (the cheap probe reads the slots)
        r.d.wait_for(r"ok\s+\S+ 1 inactive slot holding WAL", timeout=15)
        r.d.keys("9")
        s = r.d.wait_for(r"^%s\s+physical INACTIVE\s+\d+(\.\d)? MiB" % SLOT, timeout=15)
        assert re.search(r"1 replication slot, 1 inactive, max_slot_wal_keep_size unlimited", s), s
        assert re.search(r"1 inactive slot holding WAL", s), s
        retained = int(psql("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) FROM pg_replication_slots"
                            " WHERE slot_name = '%s'" % SLOT))
        mib = float(re.search(r"^%s\s+physical INACTIVE\s+([\d.]+) MiB" % SLOT, s, re.M).group(1))
        assert abs(mib * 1048576 - retained) < 32 * 1048576, (mib, retained)
        _drop_slot()
        r.d.wait_for(r"no replication slots", timeout=10)
        r.d.keys("1")
        r.d.wait_for(r"inactive slot holding WAL", timeout=10, gone=True)
    finally:
        r.close()
        _drop_slot()


def test_triage_open_transaction_holds_xmin_and_vacuum_shows_its_phase():
    apps = ["triage_xmin", "triage_vacuum"]
    procs = [_session(apps[0], "BEGIN; SELECT txid_current();")]
    r = Watch([("pg", dsn(lab()["PG_PRIMARY_PORT"], db="app"))])
    try:
        holder = _pid_of(apps[0], "backend_xid IS NOT NULL")
        # started after the transaction took its xid: the vacuum's own xmin is not older
        procs.append(_session(apps[1], "SET vacuum_cost_delay = 100; SET vacuum_cost_limit = 1;"
                                       " VACUUM (DISABLE_PAGE_SKIPPING) pgbench_accounts;"))
        vac = _pid_of(apps[1])
        r.d.wait_for(r"^pg\s+postgres\s+primary\s+ok")
        r.d.keys("9")
        s = r.d.wait_for(r"oldest xmin: session pid %d app@app triage_xmin \(\d+ xids" % holder, timeout=15)
        assert re.search(r"^OLDEST XMIN pid %d\s+session\s+\d+" % holder, s, re.M), s
        # the vacuum runs slowly (cost delay): its phase and its share done
        s = r.d.wait_for(r"^(public\.)?pgbench_accounts\s+scanning heap\s+\d+\.\d%%\s+pid %d, db app" % vac, timeout=15)
        assert re.search(r"oldest xid age \d+ \([\d.]+% of autovacuum_freeze_max_age\), \d+ running of 3"
                         r" workers", s), s
        # the horizon moves on once the transaction ends
        _end(procs[:1], apps[:1])
        r.d.wait_for(r"oldest xmin: session pid %d\b" % holder, timeout=10, gone=True)
    finally:
        r.close()
        _end(procs, apps)


def test_triage_lock_queue_is_one_tree_and_its_head_can_be_terminated():
    apps = ["triage_holder", "triage_ddl", "triage_sel1", "triage_sel2"]
    psql("DROP TABLE IF EXISTS triage_t; CREATE TABLE triage_t (id int)", db="app", user="app")
    procs = [_session(apps[0], "BEGIN; SELECT count(*) FROM triage_t;")]
    holder = _pid_of(apps[0], "state = 'idle in transaction'")
    procs.append(_session(apps[1], "ALTER TABLE triage_t ADD COLUMN x int;"))
    ddl = _pid_of(apps[1], "wait_event_type = 'Lock'")
    procs += [_session(a, "SELECT count(*) FROM triage_t;") for a in apps[2:]]
    sel = sorted(_pid_of(a, "wait_event_type = 'Lock'") for a in apps[2:])
    r = Watch([("pg", dsn(lab()["PG_PRIMARY_PORT"], db="app"))], width=160, height=45)
    try:
        r.d.wait_for(r"^pg\s+postgres\s+primary\s+ok")
        r.d.keys(":", *"triage", "Enter")
        r.d.keys("f", "f", "f")  # the locks section alone
        tree = (r"triage - pg \[locks\][\s\S]*^HOLDER %d\s+idle in transaction.*\n"
                r"[└`]\S* %d\s+waits.*AccessExclusiveLock on triage_t.*\n"
                r"\s+[├|]\S* (\d+)\s+waits.*AccessShareLock on triage_t.*\n"
                r"\s+[└`]\S* (\d+)\s+waits.*AccessShareLock on triage_t") % (holder, ddl)
        s = r.d.wait_for(tree, timeout=15)
        m = re.search(tree, s, re.M)
        assert sorted(int(x) for x in m.groups()) == sel, (sel, s)
        assert "lock queue: 3 waiting behind 1 head blocker" in s, s
        # terminate the head blocker from its row: the prompt names it, the typed name confirms
        lines = s.splitlines()
        head = next(i for i, l in enumerate(lines) if l.startswith("ITEM"))
        idx = next(i for i, l in enumerate(lines[head + 1:]) if l.startswith("HOLDER %d" % holder))
        r.d.keys("Home", *["Down"] * idx)
        r.d.keys("F9")
        s = r.d.wait_for(r"Esc aborts\.", timeout=5)
        assert re.search(r"Terminate pid %d \(app, idle in transaction" % holder, s), s
        assert "blocks: 1 session" in s, s
        r.d.keys("p", "g", "Enter")
        r.d.wait_for(r"no session waits on a lock", timeout=15)
        assert not psql("SELECT pid FROM pg_stat_activity WHERE pid = %d" % holder, db="postgres")
        out = [a for a in r.audit() if a["phase"] == "outcome"]
        assert [(a["result"], a["object"]["pid"]) for a in out] == [("done", holder)], out
    finally:
        r.close()
        _end(procs, apps)
        psql("DROP TABLE IF EXISTS triage_t", db="app")


def _mdb_session(sql):
    """The mariadb client as root on the primary, running 'sql' from a pipe kept open."""
    proc = subprocess.Popen(["mariadb", "--no-defaults", "-uroot", "--socket=%s/mdb-primary.sock" % lab()["LAB_DIR"]],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.stdin.write((sql + "\n").encode())
    proc.stdin.flush()
    return proc


def _mdb_id(info_like, state_like="%"):
    deadline = time.time() + 10
    while time.time() < deadline:
        got = mdb("SELECT ID FROM information_schema.PROCESSLIST WHERE COALESCE(INFO, '') LIKE '%s'"
                  " AND COALESCE(STATE, '') LIKE '%s' AND ID <> CONNECTION_ID()" % (info_like, state_like))
        if got:
            return [int(x) for x in got.split()]
        time.sleep(0.1)
    raise Failure("no session running %s" % info_like)


def _mdl_queue():
    """An idle transaction holding triage.t, an ALTER TABLE behind it, two SELECTs behind that:
    (processes, holder id, ALTER's id, the SELECTs' ids)."""
    mdb("DROP DATABASE IF EXISTS triage; CREATE DATABASE triage; CREATE TABLE triage.t (id int) ENGINE=InnoDB")
    procs = [_mdb_session("BEGIN; INSERT INTO triage.t VALUES (1);")]
    deadline = time.time() + 10
    holder = None
    while not holder and time.time() < deadline:
        holder = mdb("SELECT t.trx_mysql_thread_id FROM information_schema.INNODB_TRX t"
                     " JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id"
                     " WHERE p.COMMAND = 'Sleep' ORDER BY t.trx_started DESC LIMIT 1")
        time.sleep(0.1)
    if not holder:
        raise Failure("the holder's transaction never showed")
    procs.append(_mdb_session("ALTER TABLE triage.t ADD COLUMN x int;"))
    ddl = _mdb_id("ALTER TABLE triage.t%", "Waiting for table metadata lock")[0]
    procs += [_mdb_session("SELECT COUNT(*) FROM triage.t;") for _ in range(2)]
    deadline = time.time() + 10
    while time.time() < deadline:
        sel = _mdb_id("SELECT COUNT(*) FROM triage.t%", "Waiting for table metadata lock")
        if len(sel) == 2:
            return procs, int(holder.split()[0]), ddl, sorted(sel)
        time.sleep(0.1)
    raise Failure("the SELECTs never queued")


def _mdl_end(procs):
    for p in procs:
        p.kill()
    for i in mdb("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'root' AND ID <> CONNECTION_ID()"
                 " AND COMMAND <> 'Daemon'").split():
        try:
            mdb("KILL %s" % i)  # a killed client's connection can linger
        except Failure:
            pass  # it went away on its own meanwhile
    mdb("DROP DATABASE IF EXISTS triage")


MDL_TREE = (r"triage - primary \[locks\][\s\S]*^HOLDER %d\s+idle in transaction.*\n"
            r"[└`]\S* %d\s+waits.*MDL (?:EXCLUSIVE|upgrade) on triage\.t.*\n"
            r"\s+[├|]\S* (\d+)\s+waits.*MDL (?:SHARED_READ )?on triage\.t.*\n"
            r"\s+[└`]\S* (\d+)\s+waits.*MDL (?:SHARED_READ )?on triage\.t")


def _mdl_tree(r, holder, ddl, sel):
    r.d.keys(":", *"triage primary", "Enter")
    r.d.keys("f", "f", "f")  # the locks section alone
    s = r.d.wait_for(MDL_TREE % (holder, ddl), timeout=15)
    m = re.search(MDL_TREE % (holder, ddl), s, re.M)
    assert sorted(int(x) for x in m.groups()) == sel, (sel, s)
    return s


def test_triage_mariadb_metadata_locks_from_performance_schema():
    require_mariadb()
    instrument = "UPDATE performance_schema.setup_instruments SET ENABLED = '%s', TIMED = '%s'" \
                 " WHERE NAME = 'wait/lock/metadata/sql/mdl'"
    mdb(instrument % ("YES", "YES"))
    procs = []
    r = Watch([("primary", mysql_dsn("primary"))])
    try:
        procs, holder, ddl, sel = _mdl_queue()
        s = _mdl_tree(r, holder, ddl, sel)
        assert "lock queue: 3 waiting behind 1 head blocker" in s, s
        assert "MDL EXCLUSIVE on triage.t" in s, s
        # purge lag: the history list and the oldest transaction, which is the holder's
        r.d.keys("f")
        s = r.d.wait_for(r"InnoDB history list length \(purge lag\) \d", timeout=10)
        assert re.search(r"oldest transaction: id %d root@localhost" % holder, s), s
        # terminate the head blocker from its row: MariaDB's KILL, audited; the queue drains
        r.d.keys("f", "f", "f")
        s = r.d.wait_for(r"triage - primary \[locks\][\s\S]*^HOLDER %d" % holder, timeout=10)
        lines = s.splitlines()
        head = next(i for i, l in enumerate(lines) if l.startswith("ITEM"))
        idx = next(i for i, l in enumerate(lines[head + 1:]) if l.startswith("HOLDER %d" % holder))
        r.d.keys("Home", *["Down"] * idx)
        r.d.keys("F9")
        s = r.d.wait_for(r"Esc aborts\.", timeout=5)
        assert re.search(r"Terminate pid %d \(root, idle in transaction" % holder, s), s
        r.d.keys(*"primary", "Enter")
        r.d.wait_for(r"no session waits on a lock", timeout=15)
        out = [a for a in r.audit() if a["phase"] == "outcome"]
        assert [(a["result"], a["object"]["pid"]) for a in out] == [("done", holder)], out
    finally:
        r.close()
        _mdl_end(procs)
        mdb(instrument % ("NO", "NO"))


def test_triage_mariadb_says_how_to_read_metadata_locks_then_uses_the_plugin():
    require_mariadb()
    if not mdb("SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO'") == "0":
        mdb("UNINSTALL SONAME 'metadata_lock_info'")
    procs = []
    r = Watch([("primary", mysql_dsn("primary"))])
    try:
        r.d.wait_for(r"^primary\s+mysql\s+primary\s+ok")
        r.d.keys(":", *"triage primary", "Enter")
        s = r.d.wait_for(r"metadata locks cannot be read: performance_schema's instrument is off", timeout=15)
        assert re.search(r"^fix: UPDATE performance_schema.setup_instruments SET ENABLED = 'YES' WHERE"
                         r" NAME = 'wait/lock/metadata/sql/mdl'; or INSTALL SONAME 'metadata_lock_info';", s, re.M), s
        assert "lock queue unknown" in s, s
        mdb("INSTALL SONAME 'metadata_lock_info'")
        procs, holder, ddl, sel = _mdl_queue()
        s = _mdl_tree(r, holder, ddl, sel)
        assert "metadata locks cannot be read" not in s, s
    finally:
        r.close()
        _mdl_end(procs)
        if mdb("SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO'") != "0":
            mdb("UNINSTALL SONAME 'metadata_lock_info'")


def test_triage_mariadb_binary_logs_and_the_oldest_a_replica_needs():
    require_mariadb()
    r = Watch([("primary", mysql_dsn("primary")), ("replica", mysql_dsn("replica"))])
    try:
        r.d.wait_for(r"^replica\s+mysql\s+replica\s+ok")
        r.d.keys(":", *"triage primary", "Enter")
        needed = mdb("SHOW REPLICA STATUS", which="replica").split("\t")[9]  # Relay_Master_Log_File
        s = r.d.wait_for(r"\d+ binary logs?, [\d.]+ \S+; replicas still read from %s"
                         % re.escape(needed), timeout=15)
        logs = mdb("SHOW BINARY LOGS").splitlines()
        assert re.search(r"^%s\s+binary log\s+[\d.]+ \S+\s+a replica still needs it" % re.escape(logs[-1].split()[0]),
                         s, re.M), s
    finally:
        r.close()


def test_triage_cloudwatch_wal_figures_beside_the_slots():
    import awslab
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["orders-db"])
    awslab.put_metric("us-east-1", "orders-db", "TransactionLogsDiskUsage", 1.5 * 1024 ** 3)
    awslab.put_metric("us-east-1", "orders-db", "OldestReplicationSlotLag", 80 * 1024 ** 2)
    cfg = write_config([("orders", dsn(lab()["PG_PRIMARY_PORT"]), {"aws_instance": "orders-db"})],
                       extra="[aws]\nenabled = true\nregions = us-east-1\n")
    d = Dbfleet(["-c", cfg], width=160, height=45, env=awslab.env())
    try:
        d.wait_for(r"^orders\s+postgres\s+primary\s+ok", timeout=30)
        d.keys(":", *"triage orders", "Enter")
        s = d.wait_for(r"^CloudWatch\s+AWS/RDS\s+1\.5 GiB\s+\S+\s+orders-db: TransactionLogsDiskUsage 1\.5 GiB,"
                       r" OldestReplicationSlotLag 80 MiB", timeout=30)
        assert re.search(r"slots/WAL\s+\d+ replication slots?", s), s
    finally:
        d.close()
        os.unlink(cfg)


def test_triage_small_and_resized_terminal():
    r = Watch([("primary", dsn(lab()["PG_PRIMARY_PORT"]))], width=80, height=24)
    try:
        r.d.wait_for(r"^primary\s")
        r.d.keys("9")
        s = r.d.wait_for(r"^. slots/WAL\s+\d+ replicat", timeout=15)
        assert all(len(line) <= 80 for line in s.splitlines()), s
        r.d.keys("End")  # scrolled to the last row: the lock section's
        r.d.wait_for(r"^(no session waits on a lock|\S* ?\d+\s+waits)", timeout=10)
        r.d.resize(60, 20)
        r.d.wait_for(r"terminal too small: 60x20, dbfleet needs at least 80x24")
        r.d.resize(100, 30)
        s = r.d.wait_for(r"triage - primary \[all\]")
        assert re.search(r"^(no session waits on a lock|\S* ?\d+\s+waits)", s, re.M), s  # still at the end
    finally:
        r.close()
