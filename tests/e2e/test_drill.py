"""Drills and objectives: measured RTO through a read-write host list on a throwaway pair, SLO
burn on the fleet pane, the state file set aside when corrupt."""
import atexit
import getpass
import glob
import json
import os
import re
import shutil
import socket
import tempfile
import time

from harness import Dbfleet, Failure, dsn, write_config
from pgpair import PgPair


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def state_env():
    """A state folder of the test's own ($XDG_STATE_HOME), removed when the run ends."""
    d = tempfile.mkdtemp(prefix="dbfleet-state-")
    atexit.register(shutil.rmtree, d, True)
    return d, {"XDG_STATE_HOME": d}


def heartbeat(pair, port):
    """The heartbeat row's time (epoch seconds) on the server at 'port', None if none."""
    v = pair.psql("SELECT extract(epoch FROM ts) FROM heartbeat WHERE id = 1", port)
    return float(v) if v else None


def test_drill_measures_rto_through_a_read_write_host_list():
    pair = PgPair()
    state, env = state_env()
    d = None
    try:
        pair.psql("CREATE TABLE heartbeat (id int PRIMARY KEY, ts timestamptz)", pair.primary_port)
        pair.wait_streaming()
        app = ("host=127.0.0.1,127.0.0.1 port=%d,%d user=postgres dbname=postgres target_session_attrs=read-write"
               % (pair.primary_port, pair.replica_port))
        cfg = write_config([
            ("app", app, {"app_endpoint": "yes", "heartbeat_table": "heartbeat", "rto_s": 30, "rpo_s": 5}),
            ("old-primary", dsn(pair.primary_port, user="postgres")),
            ("new-primary", dsn(pair.replica_port, user="postgres")),
        ], extra="fleet = pairfleet")
        d = Dbfleet(["-c", cfg, "--drill", "gameday"], width=200, env=env)
        d.wait_for(r"DRILL gameday 00:00:\d\d \|")
        d.wait_for(r"^new-primary\s+postgres\s+replica\s+ok")
        # a write went through the app endpoint: the heartbeat moves
        deadline = time.time() + 15
        while heartbeat(pair, pair.primary_port) is None and time.time() < deadline:
            time.sleep(0.2)
        d.keys(":")
        d.type("mark inject: primary stopped")
        d.keys("Enter")
        last_seen = heartbeat(pair, pair.primary_port)
        t_stop0 = time.time()
        pair.stop("primary")
        t_stop1 = time.time()
        d.keys("8")
        d.wait_for(r"observed\s+state\s+app\s+writes fail", timeout=10)
        time.sleep(3)
        t_promote0 = time.time()
        pair.promote()
        # the first write through the endpoint after: the heartbeat row on the new primary moves on
        deadline = time.time() + 20
        while True:
            hb = heartbeat(pair, pair.replica_port)
            if hb is not None and hb > t_promote0 - 1:
                t_seen = time.time()
                break
            if time.time() > deadline:
                raise Failure("no write reached the promoted replica; screen:\n" + d.screen())
            time.sleep(0.05)
        d.wait_for(r"observed\s+state\s+app\s+writes go through again", timeout=10)
        d.wait_for(r"observed\s+role\s+new-primary", timeout=10)
        d.keys(":")
        d.type("drill stop")
        d.keys("Enter")
        s = d.wait_for(r"drill report: \S+\.md \(and \.json\)", timeout=10)
        assert "DRILL gameday" not in s, s
        md = glob.glob(os.path.join(state, "dbfleet", "drills", "pairfleet-gameday-*.md"))
        js = glob.glob(os.path.join(state, "dbfleet", "drills", "pairfleet-gameday-*.json"))
        assert len(md) == 1 and len(js) == 1, (md, js)
        assert os.stat(js[0]).st_mode & 0o777 == 0o600
        with open(js[0]) as f:
            r = json.load(f)
        with open(md[0]) as f:
            text = f.read()
        # the RTO measured lies between what this test saw: at least the time between the stop
        # ending and the promotion starting; at most from the last heartbeat it read before the
        # stop to the first it saw after (plus the probe's own close)
        out = [o for o in r["outages"] if o["endpoint"] == "app"]
        assert len(out) == 1, r["outages"]
        rto = out[0]["rto_s"]
        low, high = t_promote0 - t_stop1, t_seen + 0.5 - last_seen
        assert low <= rto <= high, (low, rto, high)
        print("  RTO measured %.2fs, the test's bounds [%.2f, %.2f]; RPO estimate %s s of lag"
              % (rto, low, high, out[0]["rpo_estimate_lag_s"]))
        assert out[0]["rto_objective_s"] == 30 and out[0]["rto_verdict"] == "met", out[0]
        assert out[0]["rpo_estimate_lag_s"] is not None and out[0]["rpo_objective_s"] == 5, out[0]
        # the estimate comes from the standbys of the writer 'app' pointed at, not the fleet's worst
        assert out[0]["rpo_estimate_from"] == "endpoint_replication_set", out[0]
        assert "(estimate, the endpoint's writer's standbys)" in text, text
        assert t_stop0 - 3 <= out[0]["last_write_before"] <= t_stop1, (out[0], t_stop0, t_stop1)
        sw = [x for x in r["switches"] if x["object"] == "new-primary"]
        assert sw and sw[0]["rto"] == "measured" and sw[0]["rto_s"] == rto, r["switches"]
        assert r["run_by"]["user"] == getpass.getuser() and r["run_by"]["host"] == socket.gethostname()
        assert any(e["source"] == "drill" and e["text"] == "inject: primary stopped" for e in r["timeline"])
        assert re.search(r"\| app \| .* \| %.1f s \| 30 s met \|" % rto, text), text
        assert "## Failovers, switchovers and promotions seen" in text and "inject: primary stopped" in text
    finally:
        if d:
            d.close()
        pair.close()


def test_burn_rate_of_an_unreachable_target_and_a_healthy_one():
    state, env = state_env()
    cfg = write_config([("gone", dsn(closed_port()), {"slo_availability": "99.9", "tags": "team=pay"}),
                        ("fine", dsn(PgPairless.port()), {"slo_availability": "99.9", "slo_window": 1,
                                                          "tags": "team=pay"})])
    d = Dbfleet(["-c", cfg], width=200, env=env)
    try:
        # every second of 'gone' is bad: 100 % over a 0.1 % budget burns at 1000, both windows: FAST, red
        s = d.wait_for(r"^gone\s.*FAST 1000/1000", timeout=15)
        # its 7-day budget: 604.8 s; each bad second spends 0.17 % of it
        s = d.wait_for(r"^gone\s.*\s9\d\.\d%\s+FAST", timeout=15)
        s = d.wait_for(r"^fine\s.*100%\s+0\.0/0\.0", timeout=15)
        # its detail: the probe's round trip measured on the socket, and the objective's figures
        d.keys(":")
        d.type("target fine")
        d.keys("Enter", "Enter")
        s = d.wait_for(r"probe round trip: \d+\.\d\d ms, sent to first byte on the socket \(the last \d+: min")
        print("  " + re.search(r"probe round trip: [^\n]*\)", s).group(0))
        assert re.search(r"objective: 99.9% of the time good; over 1 days 100.0% of the error budget left; burn"
                         r" 0.00 over 1 h, 0.00 over 6 h\n", s), s
        d.keys("Escape")
        # the group's own SLO: its members' seconds summed, about half of them bad: a burn near 500
        d.keys(":")
        d.type("group tag:team")
        d.keys("Enter")
        # (once both members' probes have covered some seconds: on a loaded machine 'fine' may have
        # none yet at first, and the group burns at 'gone's rate alone)
        s = d.wait_for(r"pay \(2\)\s.*FAST [2-7]\d\d/[2-7]\d\d", timeout=10)
        m = re.search(r"pay \(2\)\s.*?([\d.]+)%\s+FAST (\d+)/(\d+)", s)
        assert m and 250 < int(m.group(2)) < 750 and 250 < int(m.group(3)) < 750, s
        # budget: 604.8 s (gone, 7 days) + 86.4 s (fine, 1 day) against gone's bad seconds
        assert 90 < float(m.group(1)) < 100, s
        # a file for the windows: after a restart they go on from it
        assert os.path.exists(os.path.join(state, "dbfleet", os.path.basename(cfg)[:-5] + ".state"))
    finally:
        d.close()


def test_group_section_gives_its_tagged_targets_their_objective():
    # [group payments] gives the team=pay targets their objective; 'gone' has a stricter one of its own
    state, env = state_env()
    cfg = write_config([("gone", dsn(closed_port()), {"tags": "team=pay", "slo_availability": "99.99"}),
                        ("fine", dsn(PgPairless.port()), {"tags": "team=pay"}),
                        ("other", dsn(PgPairless.port()), {"tags": "team=web"})],
                       extra="[group payments]\nmatch = tag:team=pay\nslo_availability = 99.9\nslo_window = 1")
    d = Dbfleet(["-c", cfg], width=200, env=env)
    try:
        # its own 99.99 %: every second of 'gone' bad burns at 10000
        s = d.wait_for(r"^gone\s.*FAST 10000/", timeout=15)  # the column cuts the 6 h figure
        s = d.wait_for(r"^fine\s.*100%\s+0\.0/0\.0", timeout=15)
        assert not re.search(r"^other\s.*%", s, re.M), s  # no objective: no budget, no burn
        d.keys(":")
        d.type("group tag:team")
        d.keys("Enter")
        # (once both members' probes have covered some seconds: on a loaded machine 'fine' may have
        # none yet at first, and the group burns at 'gone's rate alone)
        s = d.wait_for(r"pay \(2\)\s.*FAST [2-7]\d\d/[2-7]\d\d", timeout=10)
        m = re.search(r"pay \(2\)\s.*?([\d.]+)%\s+FAST (\d+)/(\d+)", s)
        # the header is measured against the group's own 99.9 % (not the strictest member's 99.99 %,
        # which burns in the thousands): about half their seconds bad, a burn near 500
        assert m and 250 < int(m.group(2)) < 750, s
        assert not re.search(r"web \(1\)\s.*%", s), s
    finally:
        d.close()


class PgPairless:
    """The lab's primary, for a healthy target (read only: nothing is stopped)."""

    @staticmethod
    def port():
        from harness import lab
        return lab()["PG_PRIMARY_PORT"]


def test_corrupt_state_file_is_set_aside_with_a_message():
    state, env = state_env()
    os.makedirs(os.path.join(state, "dbfleet"))
    path = os.path.join(state, "dbfleet", "slofleet.state")
    with open(path, "wb") as f:
        f.write(b"dbfleet-slo 1\norders 30000000 60.000 0.000 deadbeef\n\x1b[31mgarbage\n")
    cfg = write_config([("fine", dsn(PgPairless.port()), {"slo_availability": "99.5"})], extra="fleet = slofleet")
    d = Dbfleet(["-c", cfg], width=220, env=env)
    try:
        s = d.wait_for(r"state file '.*slofleet\.state': line 2: a record that does not read or whose checksum"
                       r" fails; set aside as \.corrupt-TIMESTAMP, starting afresh")
        assert "\x1b" not in s
        aside = glob.glob(path + ".corrupt-*")
        assert len(aside) == 1, aside
        with open(aside[0], "rb") as f:
            assert b"garbage" in f.read()
        with open(path) as f:
            assert f.readline() == "dbfleet-slo 1\n"
        d.wait_for(r"^fine\s+postgres\s+primary\s+ok")
    finally:
        d.close()


def test_aws_failover_during_a_drill_is_in_the_report_beside_dbfleets_observations():
    """FailoverDBCluster (moto, through the proxy) during a drill; quitting with the drill running
    writes its report: the RDS events and the writer's move are there, with RTO "not measured"
    (no application endpoint is probed), beside the drill's own marks."""
    import awslab
    awslab.url()
    awslab.reset()
    awslab.create_aurora("us-east-1", "dr1", ["dr1-a", "dr1-b"])
    awslab.proxy("transition", {"failover_seconds": 2})
    state, env = state_env()
    env.update(awslab.env())
    cfg = write_config([], extra="fleet = awsfleet\n[aws]\nenabled = true\nregions = us-east-1\ndiscover = 10\n"
                                 "metrics = 10\n")
    d = Dbfleet(["-c", cfg, "--drill", "aws-gameday"], width=200, env=env)
    try:
        d.wait_for(r"^dr1-a\s+\S+\s+writer\b", timeout=30)
        d.keys(":")
        d.type("mark inject: failover of dr1")
        d.keys("Enter")
        awslab.client("rds", via_proxy=True).failover_db_cluster(DBClusterIdentifier="dr1",
                                                                 TargetDBInstanceIdentifier="dr1-b")
        d.keys("8")
        d.wait_for(r"rds\s+role\s+dr1-b\s+role: reader -> writer in cluster dr1", timeout=40)
        d.wait_for(r"rds\s+rds event\s+dr1\s+failover: Completed failover to DB instance: dr1-b", timeout=30)
        d.keys("q")
        s = d.wait_for(r"^EXITED 0", timeout=10)
        m = re.search(r"dbfleet: drill report: (\S+\.md)", s)
        assert m, s
        with open(m.group(1)) as f:
            text = f.read()
        with open(m.group(1)[:-3] + ".json") as f:
            r = json.load(f)
    finally:
        d.close()
    assert r["drill"] == "aws-gameday" and r["fleet"] == "awsfleet" and r["endpoints_probed"] == 0
    assert r["outages"] == []
    rds = [x for x in r["switches"] if x["source"] == "rds"]
    assert any(x["kind"] == "role" and x["object"] == "dr1-b" for x in rds), r["switches"]
    assert any(x["kind"] == "rds event" and "Completed failover" in x["text"] for x in rds), r["switches"]
    assert all(x["rto"] == "not measured" and x["rto_s"] is None for x in r["switches"]), r["switches"]
    marks = [e["text"] for e in r["timeline"] if e["source"] == "drill"]
    assert marks[0].startswith("drill 'aws-gameday' started by ") and "inject: failover of dr1" in marks, marks
    assert marks[-1] == "drill 'aws-gameday' ended", marks
    assert "not measured (no application endpoint probed)" in text, text
    assert "Not measured: no target is marked app_endpoint = yes." in text, text


def test_app_endpoint_on_mariadb_without_a_heartbeat_table_is_a_config_error():
    from harness import run_cli
    cfg = write_config([("mdb-rw", "mysql://mon@127.0.0.1:1/x", {"app_endpoint": "yes"})])
    r = run_cli(["-c", cfg, "--once"])
    assert r.returncode == 2, r
    assert ("target 'mdb-rw': app_endpoint on MySQL or MariaDB needs heartbeat_table = TABLE (id INT PRIMARY KEY,"
            " ts DATETIME(6))") in r.stderr, r.stderr
    cfg = write_config([("mdb-rw", "mysql://mon@127.0.0.1:1/x", {"app_endpoint": "yes", "heartbeat_table": "x;y"})])
    r = run_cli(["-c", cfg, "--once"])
    assert r.returncode == 2 and "heartbeat_table: 'x;y' is not a table name" in r.stderr, r.stderr


def state_record(name, minute, good, bad):
    import zlib
    body = "%s %d %.3f %.3f" % (name, minute, good, bad)
    return "%s %08x\n" % (body, zlib.crc32(body.encode()))


def test_windows_survive_a_restart_from_the_state_file():
    """The minutes a previous run left in the state file count: 6 bad minutes of the 59 before
    this one, against 99 %: the hour burns at 360 / 3540 / 0.01 = 10.17 (a few live good seconds
    bring it to 10.1), and a 1-day budget of 864 s has 1 - 360/864 = 58.3 % left."""
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)  # the seeded minutes stay in the hour while the test looks
    state, env = state_env()
    os.makedirs(os.path.join(state, "dbfleet"))
    now_min = int(time.time() // 60)
    with open(os.path.join(state, "dbfleet", "restart.state"), "w") as f:
        f.write("dbfleet-slo 1\n")
        for m in range(now_min - 59, now_min):
            bad = now_min - 40 <= m < now_min - 34
            f.write(state_record("fine", m, 0 if bad else 60, 60 if bad else 0))
        f.write(state_record("someone%20else", now_min - 3, 0, 60))
    cfg = write_config([("fine", dsn(PgPairless.port()), {"slo_availability": "99", "slo_window": 1})],
                       extra="fleet = restart")
    d = Dbfleet(["-c", cfg], width=200, env=env)
    try:
        d.wait_for(r"^fine\s.*\s58\.3%\s+10\.[12]/10\.[12]\s*$", timeout=15)
    finally:
        d.close()
    with open(os.path.join(state, "dbfleet", "restart.state")) as f:
        lines = f.read().splitlines()
    # rewritten at start (temporary file, rename): the target's minutes kept, one not configured dropped
    assert lines[0] == "dbfleet-slo 1" and len([x for x in lines if x.startswith("fine ")]) >= 59, lines
    assert not [x for x in lines if x.startswith("someone")], lines
    assert oct(os.stat(os.path.join(state, "dbfleet", "restart.state")).st_mode & 0o777) == "0o600"
