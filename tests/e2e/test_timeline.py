"""The timeline pane: what changed, in order, with UTC times, by scope and kind."""
import os
import re
import socket

from harness import Dbfleet, dsn, lab, mdb, mysql_dsn, psql, require_mariadb, write_config

UTC = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ"


def line_of(screen, text):
    """The screen line number of the first line holding 'text' (-1 none)."""
    for i, line in enumerate(screen.splitlines()):
        if text in line:
            return i
    return -1


def test_paused_replay_gives_timeline_entries_in_order():
    L = lab()
    cfg = write_config([("primary", dsn(L["PG_PRIMARY_PORT"])), ("replica", dsn(L["PG_REPLICA_PORT"]))])
    d = Dbfleet(["-c", cfg], width=150)
    try:
        d.wait_for(r"^replica\s+postgres\s+replica\s+ok")
        d.keys("8")
        d.wait_for(r"timeline - fleet dbfleet-test-\S+, 0 of 0")
        psql("SELECT pg_wal_replay_pause()", port=L["PG_REPLICA_PORT"])
        d.wait_for(r"^%s\s+observed\s+replication\s+replica\s+replication halted: REPLAY PAUSED" % UTC, timeout=10)
        psql("SELECT pg_wal_replay_resume()", port=L["PG_REPLICA_PORT"])
        s = d.wait_for(r"^%s\s+observed\s+replication\s+replica\s+replication running again \(was REPLAY PAUSED\)"
                       % UTC, timeout=10)
        # newest first: the resume above the pause; r puts the oldest first
        assert 0 <= line_of(s, "running again") < line_of(s, "halted: REPLAY PAUSED"), s
        d.keys("r")
        s = d.wait_for(r"halted: REPLAY PAUSED(.|\n)*running again")
        # scope: the selected target (the fleet cursor is on primary) has none of the replica's entries
        d.keys("w")
        s = d.wait_for(r"timeline - target primary, 0 of 2")
        assert "REPLAY PAUSED" not in s and "nothing of this kind here yet" in s, s
        # its group (the replication set: the replica streams from it) has them
        d.keys("w")
        d.wait_for(r"timeline - group \S+, 2 of 2")
        d.wait_for(r"halted: REPLAY PAUSED")
        # the kind: state (none here), then role, then replication
        d.keys("w", "f")
        s = d.wait_for(r"timeline - fleet \S+, state, 0 of 2")
        d.keys("f", "f")
        d.wait_for(r"timeline - fleet \S+, replication, 2 of 2")
    finally:
        psql("SELECT pg_wal_replay_resume()", port=L["PG_REPLICA_PORT"])
        d.close()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_stopped_mariadb_replication_and_a_dead_target_on_the_timeline():
    require_mariadb()
    dead = closed_port()
    cfg = write_config([("mdb-replica", mysql_dsn("replica")), ("gone", dsn(dead))])
    d = Dbfleet(["-c", cfg], width=150)
    try:
        d.wait_for(r"^mdb-replica\s+mysql\s+replica\s+ok")
        d.keys("8")
        d.wait_for(r"^%s\s+observed\s+state\s+gone\s+down: .*refused" % UTC)
        mdb("STOP REPLICA", "replica")
        d.wait_for(r"observed\s+replication\s+mdb-replica\s+replication halted: (SQL|IO) THREAD STOPPED", timeout=10)
        mdb("START REPLICA", "replica")
        s = d.wait_for(r"observed\s+replication\s+mdb-replica\s+replication running again", timeout=10)
        assert 0 <= line_of(s, "running again") < line_of(s, "replication halted") < line_of(s, "down: "), s
        # "/" narrows to the lines holding a text, as in every pane
        d.keys("/")
        d.type("gone")
        d.keys("Enter")
        s = d.wait_for(r"down: .*refused")
        assert "replication halted" not in s, s
    finally:
        mdb("START REPLICA", "replica")
        d.close()


def test_an_action_outcome_is_on_the_timeline_as_in_the_audit_log():
    from test_actions import _Run, _prompt_on, _victim
    proc, pid = _victim("victim-timeline")
    r = _Run()
    try:
        _prompt_on(r.d, pid, "c")
        r.d.keys("y")
        r.d.wait_for(r"action #1 on pid %d \(victim\) started" % pid)
        r.d.keys("8")
        r.d.wait_for(r"^%s\s+action\s+action\s+pg\s+cancel pid %d \(victim\): done - cancel sent to pid %d"
                     % (UTC, pid, pid), timeout=10)
        outcome = [a for a in r.audit() if a["phase"] == "outcome"]
        assert len(outcome) == 1 and outcome[0]["result"] == "done", outcome
        # the kind filter keeps it under "action" and drops it under "state"
        r.d.keys("f")
        r.d.wait_for(r"timeline - fleet \S+, state, 0 of 1")
        for _ in range(5):
            r.d.keys("f")
        r.d.wait_for(r"timeline - fleet \S+, action, 1 of 1")
    finally:
        r.close()
        proc.kill()


def test_rds_events_and_a_writer_moved_by_someone_else_are_on_the_timeline():
    import awslab
    from harness import Dbfleet
    awslab.url()
    awslab.reset()
    awslab.create_aurora("us-east-1", "tl1", ["tl1-a", "tl1-b"])
    awslab.proxy("event", {"id": "tl1-a", "msg": "DB instance restarted", "ago": 90})
    awslab.proxy("transition", {"failover_seconds": 2})
    cfg = write_config([], extra="[aws]\nenabled = true\nregions = us-east-1\ndiscover = 10\nmetrics = 10\n")
    d = Dbfleet(["-c", cfg], width=170, env=awslab.env())
    try:
        d.wait_for(r"^tl1-a\s+\S+\s+writer\b", timeout=30)
        d.keys("8")
        # the day's events as AWS dated them, with the instance's cluster for the group scope
        d.wait_for(r"^%s\s+rds\s+rds event\s+tl1-a\s+.*DB instance restarted" % UTC, timeout=30)
        # someone else fails the cluster over: the writer moves, seen at the next discovery
        awslab.client("rds", via_proxy=True).failover_db_cluster(DBClusterIdentifier="tl1",
                                                                 TargetDBInstanceIdentifier="tl1-b")
        s = d.wait_for(r"rds\s+role\s+tl1-b\s+role: reader -> writer in cluster tl1", timeout=40)
        assert re.search(r"rds\s+role\s+tl1-a\s+role: writer -> reader in cluster tl1", s), s
        s = d.wait_for(r"rds\s+rds event\s+tl1\s+failover: Completed failover to DB instance: tl1-b", timeout=30)
        assert 0 <= line_of(s, "Completed failover") < line_of(s, "Started cross AZ failover"), s
    finally:
        d.close()
        os.unlink(cfg)


def test_a_promoted_replica_is_a_role_change_and_its_primary_loses_a_standby():
    """A replica made for this test (the lab's own keeps serving the others), promoted behind dbfleet's back."""
    import subprocess
    lab_sh = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab.sh")
    port = subprocess.run(["sh", lab_sh, "replica", lab()["LAB_DIR"], "tl-promote"], capture_output=True,
                          text=True, timeout=120, check=True).stdout.strip()
    cfg = write_config([("primary", dsn(lab()["PG_PRIMARY_PORT"])), ("tl-promote", dsn(port))])
    d = Dbfleet(["-c", cfg], width=160)
    try:
        d.wait_for(r"^tl-promote\s+postgres\s+replica\s+ok")
        d.keys("8")
        psql("SELECT pg_promote()", port=port)
        s = d.wait_for(r"^%s\s+observed\s+role\s+tl-promote\s+role: replica -> primary \(promoted\)" % UTC, timeout=20)
        s = d.wait_for(r"observed\s+replication\s+primary\s+standby 'tl-promote' \(\S+\) disconnected", timeout=20)
        # the kind filter: role alone
        d.keys("f", "f")
        s = d.wait_for(r"timeline - fleet \S+, role, 1 of \d+")
        assert "promoted" in s and "disconnected" not in s, s
    finally:
        d.close()
        os.unlink(cfg)
        subprocess.run(["sh", lab_sh, "drop", lab()["LAB_DIR"], "tl-promote"], timeout=60)


def test_lag_crossing_64_mib_either_way_is_on_the_timeline():
    L = lab()
    cfg = write_config([("primary", dsn(L["PG_PRIMARY_PORT"])), ("replica", dsn(L["PG_REPLICA_PORT"]))])
    d = Dbfleet(["-c", cfg], width=150)
    try:
        d.wait_for(r"^replica\s+postgres\s+replica\s+ok")
        d.keys("8")
        psql("SELECT pg_wal_replay_pause()", port=L["PG_REPLICA_PORT"])
        # about 100 MiB of WAL the paused standby receives and does not replay
        psql("DROP TABLE IF EXISTS tl_filler; CREATE TABLE tl_filler AS "
             "SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 400000) g", db="app", user="app")
        d.wait_for(r"observed\s+lag\s+replica\s+lag above 64 MiB: [\d.]+ MiB", timeout=20)
        psql("SELECT pg_wal_replay_resume()", port=L["PG_REPLICA_PORT"])
        s = d.wait_for(r"observed\s+lag\s+replica\s+lag back under 64 MiB: [\d.]+ MiB", timeout=20)
        assert 0 <= line_of(s, "lag back under") < line_of(s, "lag above") < line_of(s, "halted: REPLAY PAUSED"), s
    finally:
        psql("SELECT pg_wal_replay_resume()", port=L["PG_REPLICA_PORT"])
        psql("DROP TABLE IF EXISTS tl_filler", db="app", user="app")
        d.close()
        os.unlink(cfg)
