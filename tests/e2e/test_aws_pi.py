"""Performance Insights in the queries pane (moto behind tests/awsproxy.py, which serves PI
per DbiResourceId): top SQL of an instance dbfleet has no database connection to, asked
only while the pane shows it, with the whole text of a digest PI cuts; and beside the
database's own digests for an instance that is also a target."""
import json
import os
import re
import shutil
import subprocess
import time

import awslab
from harness import Dbfleet, Skip, lab_env, write_config

# a digest longer than PI's 500 bytes: only GetDimensionKeyDetails has its end
LONG = "SELECT " + ", ".join("o.col_%d" % i for i in range(70)) + " FROM orders o WHERE o.tail_marker = $1"
LONG_FULL = LONG.replace("$1", "'end-of-the-whole-text'")


def _dbfleet(args, **env):
    return Dbfleet(args, width=200, height=50, env=awslab.env(**env))


def _sent(op):
    return len(awslab.proxy("stats").get(op, []))


def _seed_pi(instance, sql):
    awslab.proxy("pi", {"id": instance, "sql": sql,
                        "wait_types": {"IO:DataFileRead": "IO", "Lock:transactionid": "Lock"}})


def test_aws_pi_top_sql_without_a_database_connection():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["pi-orders"], klass="db.r6g.large")
    awslab.create_instances("us-east-1", ["pi-plain"])  # Performance Insights off
    assert len(LONG) > 500
    _seed_pi("pi-orders", [
        {"text": LONG, "full": LONG_FULL, "load": 1.2, "waits": {"CPU": 0.8, "IO:DataFileRead": 0.4}},
        {"text": "UPDATE accounts SET balance = balance - $1 WHERE id = $2", "load": 0.5,
         "waits": {"Lock:transactionid": 0.5}},
        # text from outside reaches the screen through the sanitiser: ESC shows as ^[
        {"text": "SELECT '\x1b[31mred' FROM hostile", "load": 0.1},
    ])
    d = _dbfleet(["--aws", "--region", "us-east-1"])
    try:
        d.wait_for(r"fleet - 0 targets, 2 AWS instances", timeout=30)
        s = d.wait_for(r"^pi-plain\s")
        # a whole round of the cloud thread (discovery, CloudWatch, then events) asks PI nothing
        # while no pane shows an instance
        deadline = time.time() + 15
        while not _sent("DescribeEvents") and time.time() < deadline:
            time.sleep(0.1)
        assert _sent("DescribeEvents") and _sent("GetMetricData"), awslab.proxy("stats")
        assert _sent("GetResourceMetrics") == 0 and _sent("DescribeDimensionKeys") == 0, awslab.proxy("stats")
        d.keys("Home")  # healthy rows go by name: pi-orders, pi-plain
        d.wait_for(r"^pi-orders\s")
        d.keys("3")
        s = d.wait_for(r"queries - pi-orders \(AWS, no database connection\)")
        s = d.wait_for(r"from Performance Insights: load 1\.80 average active sessions of 2 vCPUs \(90%\)", timeout=20)
        s = d.wait_for(r"SELECT '\^\[\[31mred' FROM hostile")
        assert "\x1b" not in s, s
        assert re.search(r"waits \(average active sessions\): CPU 0\.90, Lock:transactionid 0\.50, "
                         r"IO:DataFileRead 0\.40", s), s
        assert re.search(r"^\s*1200\s.*\bCPU\s+SELECT o\.col_0, o\.col_1", s, re.M), s
        assert re.search(r"^\s*500\s.*\bLock:transactionid\s+UPDATE accounts SET balance", s, re.M), s
        # the rows are PI's: one session for a second is 1000 ms/s; the database columns stay empty
        # Enter on the top digest: the whole statement, from GetDimensionKeyDetails
        d.keys("Down", "Enter")
        s = d.wait_for(r"end-of-the-whole-text")
        assert re.search(r"digest [0-9A-F]+: 1\.20 average active sessions over the last 5 min, most in CPU", s), s
        assert _sent("GetDimensionKeyDetails") == 1, awslab.proxy("stats")
        # on PI's header: every wait event with its type
        d.keys("Escape", "Home", "Enter")
        s = d.wait_for(r"IO:DataFileRead\s+IO\s+0\.40")
        assert re.search(r"Lock:transactionid\s+Lock\s+0\.50", s), s
        # an instance with PI off says so, and costs no PI request
        before = _sent("GetResourceMetrics")
        assert 1 <= before <= 2, awslab.proxy("stats")
        d.keys("Escape", "1", "End", "3")
        d.wait_for(r"queries - pi-plain \(AWS")
        d.wait_for(r"Performance Insights is off for 'pi-plain'")
        assert _sent("GetResourceMetrics") == before
        # the details overlay (Enter on the fleet row) shows the same figures, in short
        d.keys("1", "Home", "Enter")
        # its last line drawn, not its heading: a slow (TSan) build can be read between the two
        s = d.wait_for(r"^\s+1\.20\s+SELECT o\.col_0")
        assert "top SQL (average active sessions):" in s, s
        assert re.search(r"Performance Insights \(db-[A-Z2-7]{26}, last 5 min, \S+ ago\):", s), s
        assert "load 1.80 average active sessions of 2 vCPUs (90%)" in s, s
        assert re.search(r"waits: CPU 0\.90, Lock:transactionid 0\.50, IO:DataFileRead 0\.40", s), s
    finally:
        d.close()


def test_aws_pi_beside_the_database():
    awslab.url()
    awslab.reset()
    lab = lab_env()
    awslab.create_instances("us-east-1", ["pi-db"], klass="db.m5.xlarge")
    _seed_pi("pi-db", [{"text": "SELECT pi_side_marker FROM ledger WHERE id = $1", "load": 3.0,
                        "waits": {"CPU": 2.0, "IO:DataFileRead": 1.0}}])
    cfg = write_config([("orders", "host=127.0.0.1 port=%s user=mon dbname=postgres" % lab["PG_PRIMARY_PORT"],
                         {"aws_instance": "pi-db"})],
                       extra="[aws]\nenabled = true\nregions = us-east-1\n[vcpus]\ndb.m5.xlarge = 6\n")
    d = _dbfleet(["-c", cfg])
    try:
        d.wait_for(r"^orders .*\bok\b", timeout=30)
        d.wait_for(r"1 targets, 1 AWS instances")
        d.keys("3")
        s = d.wait_for(r"queries - orders \+ Performance Insights", timeout=20)
        # each source under its own header: the database's digests, then PI's ([vcpus] overrides the table's 4)
        s = d.wait_for(r"from Performance Insights: load 3\.00 average active sessions of 6 vCPUs \(50%\)", timeout=20)
        s = d.wait_for(r"SELECT pi_side_marker FROM ledger")
        assert "from the database (its own statement digests)" in s, s
        # PI's few digests first, then the database's own (the lab's pgbench load, texts from its second sample)
        s = d.wait_for(r"UPDATE pgbench_\w+ SET")
        lines = s.splitlines()
        pi_at = next(i for i, l in enumerate(lines) if "from Performance Insights" in l)
        db_at = next(i for i, l in enumerate(lines) if "from the database" in l)
        assert pi_at < db_at and re.search(r"^\s*3000\s.*\bCPU\s+SELECT pi_side_marker", lines[pi_at + 1]), s
        assert any("UPDATE pgbench_" in l for l in lines[db_at + 1:]), s
        # e (EXPLAIN) is for the database's own statements: on PI's row it says so and asks nothing
        d.keys("Home", "Down", "e")
        d.wait_for(r"e explains the database's own statements: Performance Insights' rows have no connection")
        # the target's details overlay adds what PI sees of it
        d.keys("1", "Enter")
        s = d.wait_for(r"top SQL \(average active sessions\):")
        assert "load 3.00 average active sessions of 6 vCPUs (50%)" in s, s
        assert re.search(r"^\s+3\.00\s+SELECT pi_side_marker FROM ledger", s, re.M), s
    finally:
        d.close()
        os.unlink(cfg)


def test_aws_pi_error_is_said_plainly():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["pi-denied"])
    _seed_pi("pi-denied", [{"text": "SELECT 1", "load": 0.5}])
    # a broken front end's HTML page where PI's JSON should be
    awslab.proxy("fault", {"action": "GetResourceMetrics", "mode": "500", "count": 10})
    d = _dbfleet(["--aws", "--region", "us-east-1"], AWS_MAX_ATTEMPTS="1")
    try:
        d.wait_for(r"^pi-denied\s", timeout=30)
        d.keys("Home", "3")
        s = d.wait_for(r"Performance Insights: HTTP 500", timeout=20)
        assert "from Performance Insights: no figures (see above)" in s, s
        assert "<html" not in s.lower(), s
    finally:
        d.close()


def test_aws_pi_proxy_answers_as_the_cli_reads_them():
    """The proxy's PI shapes against the AWS CLI's own model: every field it sends is one the CLI keeps."""
    aws = shutil.which("aws")
    if not aws:
        raise Skip("the AWS CLI (aws) is not installed")
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["pi-cli"])
    _seed_pi("pi-cli", [{"text": "SELECT 1", "load": 0.25, "waits": {"CPU": 0.25}}])
    rid = awslab.client("rds", via_proxy=True).describe_db_instances(DBInstanceIdentifier="pi-cli")[
        "DBInstances"][0]["DbiResourceId"]
    now = int(time.time())
    env = dict(os.environ, **awslab.env(AWS_DEFAULT_REGION="us-east-1"))
    out = subprocess.run([aws, "pi", "describe-dimension-keys", "--endpoint-url", awslab.proxy_url(),
                          "--service-type", "RDS", "--identifier", rid, "--start-time", str(now - 300),
                          "--end-time", str(now), "--metric", "db.load.avg", "--group-by",
                          json.dumps({"Group": "db.sql_tokenized", "Dimensions": ["db.sql_tokenized.id",
                                                                                 "db.sql_tokenized.statement"]}),
                          "--partition-by", json.dumps({"Group": "db.wait_event"}), "--output", "json"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert set(got) == {"AlignedStartTime", "AlignedEndTime", "PartitionKeys", "Keys"}, got
    assert got["Keys"] == [{"Dimensions": {"db.sql_tokenized.id": "%040X" % 1, "db.sql_tokenized.statement": "SELECT 1"},
                            "Total": 0.25, "Partitions": [0.25]}], got
    assert got["PartitionKeys"] == [{"Dimensions": {"db.wait_event.name": "CPU", "db.wait_event.type": "CPU"}}], got
