"""dbfleet --once: one snapshot as JSON or CSV, the screen's own figures, exit codes a script can use."""
import csv
import io
import json
import os
import re
import shutil
import socket
import tempfile
import time

from harness import (Dbfleet, Failure, SilentListener, dsn, has_mariadb, lab, mdb, mysql_dsn, psql_bg, run_cli,
                     write_config)


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def lab_targets():
    L = lab()
    t = [("primary", dsn(L["PG_PRIMARY_PORT"])), ("replica", dsn(L["PG_REPLICA_PORT"]))]
    if has_mariadb():
        t.append(("mdb-replica", mysql_dsn("replica")))
    return t


def screen_rows(screen, names):
    """name -> the fleet row's cells as the screen shows them (NAME ENGINE ROLE STATE TLS CONNS ...)."""
    rows = {}
    for line in screen.splitlines():
        cells = line.split()
        if cells and cells[0] in names:
            rows[cells[0]] = cells
    return rows


def conns_close(a, b):
    """'3/397' and '4/397': the same maximum, the used count within the two dashboards' own connections."""
    ua, ma = a.split("/")
    ub, mb = b.split("/")
    return ma == mb and abs(int(ua) - int(ub)) <= 2


def once(args, timeout=20):
    t0 = time.time()
    r = run_cli(["--once"] + args, timeout=timeout)
    return r, time.time() - t0


def test_once_json_and_csv_match_the_screen():
    targets = lab_targets()
    names = [t[0] for t in targets]
    cfg = write_config(targets)
    d = Dbfleet(["-c", cfg], width=160)
    try:
        for n in names:
            d.wait_for(r"^%s\s+\S+\s+(primary|replica)\s+ok\s" % re.escape(n))
        r, took = once(["-c", cfg, "--format", "json"])
        assert r.returncode == 0, r
        assert took < 8, took
        assert not re.search(r"\x1b", r.stdout), "terminal control sequences in --once output"
        doc = json.loads(r.stdout)
        screen = screen_rows(d.screen(), names)
        assert doc["version"] == 1 and doc["pane"] == "fleet" and doc["exit"] == 0, doc
        assert doc["fleet"] == os.path.basename(cfg).split(".")[0], doc["fleet"]
        assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$", doc["generated_at"]), doc["generated_at"]
        assert doc["columns"][:6] == ["name", "engine", "role", "state", "tls", "conns"], doc["columns"]
        rows = {row["target"]: row for row in doc["rows"]}
        assert sorted(rows) == sorted(names), rows
        for n in names:
            row, cells = rows[n], screen[n]
            assert [row["name"], row["engine"], row["role"], row["state"], row["tls"]] == cells[:5], (row, cells)
            assert conns_close(row["conns"], cells[5]), (row["conns"], cells[5])
        assert {t["name"]: t["state"] for t in doc["targets"]} == {n: "ok" for n in names}, doc["targets"]

        r, _ = once(["-c", cfg, "--format", "csv"])
        assert r.returncode == 0, r
        table = list(csv.reader(io.StringIO(r.stdout)))
        assert table[0][:4] == ["version", "fleet", "pane", "target"] and table[0][4:] == doc["columns"], table[0]
        for line in table[1:]:
            cells = screen[line[3]]
            assert line[0] == "1" and line[2] == "fleet", line
            assert line[4:9] == cells[:5], (line, cells)
            assert conns_close(line[9], cells[5]), (line, cells)
        assert len(table) == 1 + len(names), table
    finally:
        d.close()
        os.unlink(cfg)


def test_once_lag_pane_and_target_restriction():
    targets = lab_targets()
    cfg = write_config(targets)
    try:
        r, _ = once(["-c", cfg, "--pane", "lag", "--target", "replica"])
        assert r.returncode == 0, r
        doc = json.loads(r.stdout)
        assert [row["target"] for row in doc["rows"]] == ["replica"], doc["rows"]
        row = doc["rows"][0]
        assert row["role"] == "replica" and row["state"] == "streaming", row
        assert re.match(r"^[\d.]+ (B|KiB|MiB)$", row["lag_bytes"]), row
        assert [t["name"] for t in doc["targets"]] == ["replica"], doc["targets"]
        # queries: a second sample gives the rates and the statement texts, as the screen's second refresh
        r, took = once(["-c", cfg, "--pane", "queries", "--target", "primary", "--format", "csv"])
        assert r.returncode == 0 and took < 8, (r, took)
        table = list(csv.reader(io.StringIO(r.stdout)))
        # top_wait: Performance Insights' wait event of a digest (empty for the database's own rows)
        assert table[0][4:] == ["time_ms_s", "calls_s", "mean_ms", "rows_s", "calls", "top_wait", "query"], table[0]
        assert all(line[3] == "primary" for line in table[1:]) and len(table) > 1, table
        assert any(re.match(r"^[\d.]+k?$", line[5]) and "not fetched" not in line[10] for line in table[1:]), table
        r = run_cli(["--once", "-c", cfg, "--target", "nosuch"])
        assert r.returncode == 2 and "no target named 'nosuch'" in r.stderr, r
    finally:
        os.unlink(cfg)


def test_once_exit_status_for_a_dead_target_and_failed_authentication():
    L = lab()
    dead = closed_port()
    cfg = write_config([("primary", dsn(L["PG_PRIMARY_PORT"])), ("gone", dsn(dead))], extra="fleet = night-shift")
    try:
        r, took = once(["-c", cfg])
        assert r.returncode == 1, r
        assert took < 8, took
        doc = json.loads(r.stdout)
        assert doc["exit"] == 1 and doc["fleet"] == "night-shift", doc
        states = {t["name"]: t for t in doc["targets"]}
        assert states["gone"]["state"] == "DOWN" and "refused" in states["gone"]["error"], states
        assert states["primary"]["state"] == "ok", states
        # the timeline of that one snapshot says so too
        r, _ = once(["-c", cfg, "--pane", "timeline", "--format", "csv"])
        assert r.returncode == 1, r
        table = list(csv.reader(io.StringIO(r.stdout)))
        assert table[0][4:] == ["when_utc", "source", "kind", "object", "event"], table[0]
        assert any(line[4:8][1:] == ["observed", "state", "gone"] and "down: " in line[8] for line in table[1:]), table
    finally:
        os.unlink(cfg)
    cfg = write_config([("primary", dsn(L["PG_PRIMARY_PORT"])), ("ghost", dsn(L["PG_PRIMARY_PORT"], user="ghost")),
                        ("gone", dsn(dead))])
    try:
        r, _ = once(["-c", cfg])
        assert r.returncode == 3, r  # authentication failed outranks down
        doc = json.loads(r.stdout)
        assert {t["name"]: t["state"] for t in doc["targets"]}["ghost"] == "AUTH FAILED", doc["targets"]
    finally:
        os.unlink(cfg)


def test_once_wrong_mariadb_password_is_an_authentication_failure():
    if not has_mariadb():
        from harness import Skip
        raise Skip("the lab has no MariaDB (is mariadb-server installed?)")
    mdb("CREATE USER IF NOT EXISTS pwcheck@'%' IDENTIFIED BY 'right-one'")
    home = tempfile.mkdtemp(prefix="dbfleet-home-")
    try:
        with open(os.path.join(home, ".my.cnf"), "w") as f:
            f.write("[client]\npassword=wrong-one\n")
        cfg = write_config([("mdb", mysql_dsn("primary", user="pwcheck"))])
        try:
            r = run_cli(["--once", "-c", cfg], env={"HOME": home}, timeout=20)
            assert r.returncode == 3, r
            doc = json.loads(r.stdout)
            assert doc["targets"][0]["state"] == "AUTH FAILED", doc["targets"]
            assert "wrong-one" not in r.stdout + r.stderr, "the password leaked into the output"
            with open(os.path.join(home, ".my.cnf"), "w") as f:
                f.write("[client]\npassword=right-one\n")
            r = run_cli(["--once", "-c", cfg], env={"HOME": home}, timeout=20)
            assert r.returncode == 0, r
        finally:
            os.unlink(cfg)
    finally:
        shutil.rmtree(home)
        mdb("DROP USER IF EXISTS pwcheck@'%'")


def test_once_waits_no_longer_than_the_timeout_for_a_hung_host():
    hung = SilentListener()
    cfg = write_config([("primary", dsn(lab()["PG_PRIMARY_PORT"])), ("hung", dsn(hung.port))])
    try:
        # TERM names no terminal: --once never starts curses, so it does not care
        r = run_cli(["--once", "-c", cfg], env={"TERM": "no-such-terminal"}, timeout=20)
        t0 = time.time()
        r = run_cli(["--once", "-c", cfg, "--format", "csv"], env={"TERM": "no-such-terminal"}, timeout=20)
        took = time.time() - t0
        assert r.returncode == 1, r
        assert took < 2 + 1 + 1.5, took  # the config's timeout (2 s), the second of grace, start and exit
        table = list(csv.reader(io.StringIO(r.stdout)))
        states = {line[3]: line[table[0].index("state")] for line in table[1:]}
        assert states == {"primary": "ok", "hung": "STALLED"}, states
    finally:
        hung.close()
        os.unlink(cfg)


def test_once_output_carries_hostile_text_escaped():
    proc = psql_bg("SELECT pg_sleep(30) /* evil \x1b]52;c;aGk=\x07\x1b[2J */", "once-evil")
    cfg = write_config([("primary", dsn(lab()["PG_PRIMARY_PORT"]))])
    try:
        deadline, row = time.time() + 10, None
        while row is None and time.time() < deadline:
            r = run_cli(["--once", "-c", cfg, "--pane", "sessions"])
            assert r.returncode == 0, r
            assert "\x1b" not in r.stdout and "\\u001b" not in r.stdout, r.stdout
            row = next((x for x in json.loads(r.stdout)["rows"] if x["app"] == "once-evil"), None)
        assert row and "/* evil ^[]52;c;aGk=^G^[[2J */" in row["query"], row
        r = run_cli(["--once", "-c", cfg, "--pane", "sessions", "--format", "csv"])
        assert "\x1b" not in r.stdout and "evil ^[]52;c;aGk=^G^[[2J" in r.stdout, r.stdout
    finally:
        proc.kill()
        os.unlink(cfg)


def test_once_usage_errors_keep_status_2():
    bad = write_config([], extra="fleet = no spaces please")
    r = run_cli(["--once", "-c", bad])
    os.unlink(bad)
    if r.returncode != 2 or "fleet: 'no spaces please' is not a name of letters" not in r.stderr:
        raise Failure("bad fleet name: %r" % r)
    for args, words in ((["--once", "--format", "xml", "host=x"], "--format: give json or csv"),
                        (["--once", "--pane", "bogus", "host=x"], "--pane: give fleet"),
                        (["--pane", "lag", "host=x"], "go with --once")):
        r = run_cli(args)
        if r.returncode != 2 or words not in r.stderr:
            raise Failure("%s: %r" % (args, r))


def test_once_with_aws_prints_the_discovered_instances_and_the_costs():
    import datetime
    import awslab
    from test_aws import _cost_results
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["once-db"], klass="db.r6g.large")
    awslab.seed_costs(_cost_results(datetime.datetime.now(datetime.timezone.utc).date()))
    awslab.proxy("forecast", {"amount": "1650.00"})
    cache = tempfile.mkdtemp(prefix="dbfleet-cache-")
    cfg = write_config([], extra="[aws]\nenabled = true\nregions = us-east-1\n")
    try:
        env = awslab.env(XDG_CACHE_HOME=cache)
        r = run_cli(["--once", "-c", cfg], env=env, timeout=30)
        assert r.returncode == 0, r
        doc = json.loads(r.stdout)
        rows = {row["name"]: row for row in doc["rows"]}
        assert rows["once-db"]["state"] == "available" and rows["once-db"]["target"] == "", doc["rows"]
        assert doc["targets"] == [], doc["targets"]
        r = run_cli(["--once", "-c", cfg, "--pane", "cost"], env=env, timeout=30)
        assert r.returncode == 0, r
        doc = json.loads(r.stdout)
        assert "month to date 1350.00 USD, forecast 3000.00 USD" in doc["title"], doc["title"]
        # a wrong secret: an authentication failure, as for a database
        iam = awslab.client("iam")
        iam.create_user(UserName="once-user")
        key = iam.create_access_key(UserName="once-user")["AccessKey"]
        awslab.enable_auth()
        r = run_cli(["--once", "-c", cfg], env=dict(env, AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                                                    AWS_SECRET_ACCESS_KEY="wrong-secret"), timeout=30)
        assert r.returncode == 3, r
        assert "wrong-secret" not in r.stdout + r.stderr and key["SecretAccessKey"] not in r.stdout + r.stderr
    finally:
        awslab.disable_auth()
        os.unlink(cfg)
        shutil.rmtree(cache)


def test_once_every_pane_parses_with_unique_keys():
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), "duplicate keys: %s" % keys
        return dict(pairs)

    cfg = write_config(lab_targets())
    try:
        for pane in ("fleet", "lag", "queries", "sessions", "cost", "timeline"):
            r = run_cli(["--once", "-c", cfg, "--pane", pane])
            assert r.returncode == 0, (pane, r)
            doc = json.loads(r.stdout, object_pairs_hook=no_duplicates)
            assert doc["pane"] == pane and doc["version"] == 1, doc
            assert all(set(row) == set(doc["columns"]) | {"target"} for row in doc["rows"]), (pane, doc)
            r = run_cli(["--once", "-c", cfg, "--pane", pane, "--format", "csv"])
            header = next(csv.reader(io.StringIO(r.stdout)))
            assert len(header) == len(set(header)) and header[4:] == doc["columns"], (pane, header)
    finally:
        os.unlink(cfg)
