"""The AWS side against moto (behind the project's proxy): discovery over pages and
regions, Aurora roles, CloudWatch figures, links to real databases, auth errors
shown plainly, costs and their disk cache, throttling, slow and broken answers."""
import datetime
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import awslab
from harness import Dbfleet, Failure, lab_env, write_config


def _dbfleet(args, width=160, height=50, **env):
    return Dbfleet(args, width=width, height=height, env=awslab.env(**env))


def test_aws_discovers_250_instances_in_two_regions():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["east-%03d" % i for i in range(130)])
    awslab.create_instances("eu-west-1", ["west-%03d" % i for i in range(120)], engine="mysql")
    d = _dbfleet(["--aws", "--region", "us-east-1,eu-west-1"])
    try:
        d.wait_for(r"fleet - 0 targets, 250 AWS instances", timeout=30)
        # the status bar (drawn last) names the credentials, both regions and the emulator
        s = d.wait_for(r"AWS environment us-east-1,eu-west-1 \(emulator at http://127\.0\.0\.1:\d+\)")
        assert "east-000" in s and "postgres" in s, s
        d.keys("End")
        s = d.wait_for(r"west-119")
        assert "mysql" in s, s
    finally:
        d.close()


def test_aws_roles_and_cloudwatch_figures():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["pg1"], MultiAZ=True)
    awslab.client("rds").create_db_instance_read_replica(DBInstanceIdentifier="pg1-r",
                                                         SourceDBInstanceIdentifier="pg1")
    awslab.create_aurora("us-east-1", "au1", ["au1-a", "au1-b"])
    awslab.put_metric("us-east-1", "pg1", "CPUUtilization", 42.0)
    awslab.put_metric("us-east-1", "pg1-r", "ReplicaLag", 7.0)
    awslab.put_metric("us-east-1", "au1-b", "AuroraReplicaLag", 2500.0)
    awslab.put_metric("us-east-1", "pg1", "FreeStorageSpace", 5.0e9)
    # what AWS will do at the next maintenance window: to pg1, and to au1's instances through their cluster
    rds = awslab.client("rds")
    awslab.proxy("maintenance", {"resource": rds.describe_db_instances(DBInstanceIdentifier="pg1")[
        "DBInstances"][0]["DBInstanceArn"], "action": "system-update", "description": "New OS patch"})
    awslab.proxy("maintenance", {"resource": rds.describe_db_clusters(DBClusterIdentifier="au1")[
        "DBClusters"][0]["DBClusterArn"], "action": "db-upgrade", "description": "Aurora 3.06"})
    d = _dbfleet(["--aws", "--region", "us-east-1"])
    try:
        d.wait_for(r"4 AWS instances", timeout=30)
        s = d.wait_for(r"^au1-b\s.*2\.5s")  # the last row: the whole table is drawn
        rows = {l.split()[0]: l for l in s.splitlines() if l.split() and l.split()[0] in
                ("pg1", "pg1-r", "au1-a", "au1-b")}
        assert len(rows) == 4, s
        assert re.search(r"\bprimary\b.*\bavailable\b.*\b42%", rows["pg1"]), rows["pg1"]
        assert re.search(r"\breplica\b.*\b7s\b", rows["pg1-r"]), rows["pg1-r"]
        assert re.search(r"\bwriter\b", rows["au1-a"]), rows["au1-a"]
        assert re.search(r"\breader\b.*\b2\.5s\b", rows["au1-b"]), rows["au1-b"]
        # Enter on pg1: what AWS says, with the metric's own age
        d.keys("Home", "Down", "Down", "Enter")  # healthy rows go by name: au1-a, au1-b, pg1, pg1-r
        s = d.wait_for(r"FreeStorageSpace bytes")  # the overlay's last metric line: all of it is drawn
        assert "Multi-AZ" in s and re.search(r"CPUUtilization %\s+42\.00\s+\(\d+m?\d*s old\)", s), s
        assert re.search(r"FreeStorageSpace bytes\s+5000000000\.00", s), s
        d.wait_for(r"pg1 \(AWS RDS[\s\S]*pending maintenance: system-update: New OS patch \(\d{4}-\d\d-\d\d\)")
        # (one overlay replaces another cell by cell: wait for the line itself, not just the title)
        d.keys("Escape", "End", "k", "k", "Enter")  # au1-b: its cluster's action
        d.wait_for(r"au1-b \(AWS RDS[\s\S]*pending maintenance: db-upgrade: Aurora 3\.06 \(\d{4}-")
        d.keys("Escape", "End", "Enter")  # pg1-r, the last row: nothing pending
        d.wait_for(r"pg1-r \(AWS RDS[\s\S]*pending maintenance: none\s")
        # the lag pane draws the AWS topology with CloudWatch's lag figures
        d.keys("Escape", "2")
        s = d.wait_for(r"au1-b")
        assert re.search(r"^pg1\s+primary\s+available", s, re.M), s
        assert re.search(r"^\S+ pg1-r\s+replica\s+available\s+7s", s, re.M), s
        assert re.search(r"^au1-a\s+writer\s+available", s, re.M), s
        assert re.search(r"^\S+ au1-b\s+reader\s+available\s+2\.5s", s, re.M), s
    finally:
        d.close()


def test_aws_instance_linked_to_a_real_database():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["orders-db", "other-db"])
    awslab.put_metric("us-east-1", "orders-db", "CPUUtilization", 63.0)
    lab = lab_env()
    cfg = write_config([("orders", "host=127.0.0.1 port=%s user=mon dbname=postgres" % lab["PG_PRIMARY_PORT"],
                         {"aws_instance": "orders-db"})], extra="[aws]\nenabled = true\nregions = us-east-1\n")
    d = _dbfleet(["-c", cfg])
    try:
        d.wait_for(r"^orders .*\bok\b.*\b63%", timeout=30)
        s = d.wait_for(r"^other-db\s")  # the row below: the whole table is drawn
        assert "1 targets, 2 AWS instances" in s and re.search(r"^orders .*\b63%", s, re.M), s
        assert "orders-db" not in s and "other-db" in s, s
    finally:
        d.close()
        os.unlink(cfg)


def _sent(op):
    return len(awslab.proxy("stats").get(op, []))


def test_aws_signatures_checked_and_wrong_secret_is_a_clear_auth_error():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["signed-1"])
    iam = awslab.client("iam")
    iam.create_user(UserName="oncall")
    key = iam.create_access_key(UserName="oncall")["AccessKey"]
    iam.put_user_policy(UserName="oncall", PolicyName="ro", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["rds:Describe*",'
        '"cloudwatch:GetMetricData"],"Resource":"*"}]}'))
    iam.create_user(UserName="costonly")
    key2 = iam.create_access_key(UserName="costonly")["AccessKey"]
    iam.put_user_policy(UserName="costonly", PolicyName="ce", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ce:*"],"Resource":"*"}]}'))
    awslab.enable_auth()
    try:
        good = _dbfleet(["--aws", "--region", "us-east-1"], AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                        AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
        try:
            good.wait_for(r"signed-1\s.*available", timeout=30)
        finally:
            good.close()
        before = _sent("DescribeDBInstances")
        bad = _dbfleet(["--aws", "--region", "us-east-1"], AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                       AWS_SECRET_ACCESS_KEY="wrong-secret")
        try:
            s = bad.wait_for(r"SignatureDoesNotMatch", timeout=30)
            assert "AUTH ERROR" in s, s
            assert "wrong-secret" not in s and key["SecretAccessKey"] not in s, s
            time.sleep(4)
            sent = _sent("DescribeDBInstances") - before
            if sent > 1:
                raise Failure("%d requests with a bad secret: an auth error must not be retried" % sent)
        finally:
            bad.close()
        # a key without rds:DescribeDBInstances: AccessDenied, said plainly
        denied = _dbfleet(["--aws", "--region", "us-east-1"], AWS_ACCESS_KEY_ID=key2["AccessKeyId"],
                          AWS_SECRET_ACCESS_KEY=key2["SecretAccessKey"])
        try:
            s = denied.wait_for(r"AWS: DescribeDBInstances: AccessDenied.*not authorized to perform", timeout=30)
            assert "AUTH ERROR" in s, s
        finally:
            denied.close()
    finally:
        awslab.disable_auth()


def _cost_results(today):
    d = today.isoformat()
    e = (today + datetime.timedelta(days=1)).isoformat()

    def grp(k, amt):
        return {"Keys": [k], "Metrics": {"UnblendedCost": {"Amount": amt, "Unit": "USD"}}}
    by_service = {"ResultsByTime": [{"TimePeriod": {"Start": d, "End": e}, "Total": {}, "Estimated": True, "Groups": [
        grp("Amazon Relational Database Service", "1234.56"), grp("Amazon CloudWatch", "15.44"),
        grp("AWS Cost Explorer", "100.00")]}], "GroupDefinitions": [{"Type": "DIMENSION", "Key": "SERVICE"}]}
    by_tag = {"ResultsByTime": [{"TimePeriod": {"Start": d, "End": e}, "Total": {}, "Estimated": True, "Groups": [
        grp("team$payments", "800.00"), grp("team$search", "400.00"), grp("team$", "150.00")]}],
        "GroupDefinitions": [{"Type": "TAG", "Key": "team"}]}
    return [by_service, by_tag]


def test_aws_cost_pane_matches_seeded_costs_and_caches_on_disk():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["pay-db"], klass="db.r6g.large", MultiAZ=True)
    awslab.seed_costs(_cost_results(datetime.datetime.now(datetime.timezone.utc).date()))
    awslab.proxy("forecast", {"amount": "1650.00"})
    cache = tempfile.mkdtemp(prefix="dbfleet-cache-")
    cfg = write_config([], extra="[aws]\nenabled = true\nregions = us-east-1\ncost_tag = team\n"
                                 "[prices]\ndb.r6g.large = 0.5\n")
    try:
        d = _dbfleet(["-c", cfg], XDG_CACHE_HOME=cache)
        try:
            d.wait_for(r"1 AWS instances", timeout=30)
            d.keys("5")
            d.wait_for(r"month to date 1350\.00 USD, forecast 3000\.00 USD", timeout=30)
            s = d.wait_for(r"INSTANCE\s+pay-db")  # below the breakdowns: the table is drawn
            assert re.search(r"SERVICE\s+Amazon Relational Database Service\s+1234\.56", s), s
            assert re.search(r"TAG team\s+payments\s+800\.00", s), s
            assert re.search(r"TAG team\s+\(untagged\)\s+150\.00", s), s
            # Multi-AZ doubles the overridden 0.5/h: 730 h * 1.0
            assert re.search(r"INSTANCE\s+pay-db \(db\.r6g\.large, Multi-AZ\)\s+~730/mo", s), s
        finally:
            d.close()
        asked = _sent("GetCostAndUsage")
        assert asked == 2, "want 2 GetCostAndUsage requests, proxy saw %d" % asked
        # what the account spends is readable by its owner only, whatever the umask (022 here)
        files = [os.path.join(r, f) for r, _, fs in os.walk(cache) for f in fs]
        assert files, "no cost cache written under %s" % cache
        for f in files:
            assert os.stat(f).st_mode & 0o777 == 0o600, "%s is %o" % (f, os.stat(f).st_mode & 0o777)
        # a second run within the hour reads the disk cache: Cost Explorer is billed per request
        d = _dbfleet(["-c", cfg], XDG_CACHE_HOME=cache)
        try:
            d.keys("5")
            s = d.wait_for(r"month to date 1350\.00 USD.*\n.*disk cache|disk cache", timeout=30)
            assert "forecast 3000.00 USD" in s, s
            assert _sent("GetCostAndUsage") == asked, "the cache was not used"
            # R asks Cost Explorer now, whatever the cache says
            d.keys("R")
            d.wait_for(r"asking Cost Explorer for fresh costs")
            d.wait_for(r"Cost Explorer \d+(\.\d)?s ago\s*$", timeout=30)
            assert _sent("GetCostAndUsage") == asked + 2, _sent("GetCostAndUsage")
        finally:
            d.close()
    finally:
        os.unlink(cfg)
        shutil.rmtree(cache)


def test_aws_throttling_is_retried_with_backoff_and_loses_nothing():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["t-%03d" % i for i in range(150)])
    awslab.proxy("fault", {"action": "DescribeDBInstances", "mode": "throttle", "count": 2})
    d = _dbfleet(["--aws", "--region", "us-east-1"])
    try:
        d.wait_for(r"150 AWS instances", timeout=30)
    finally:
        d.close()
    t = awslab.proxy("stats")["DescribeDBInstances"]
    assert len(t) == 4, "2 throttled + 2 pages, got %d requests" % len(t)
    assert t[2] - t[0] >= 0.02, "no back-off between retries: %r" % t


def test_aws_slow_endpoint_never_blocks_the_ui():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["slow-1"])
    awslab.proxy("fault", {"action": "DescribeDBInstances", "mode": "slow", "seconds": 6})
    d = _dbfleet(["--aws", "--region", "us-east-1"])
    try:
        d.wait_for(r"AWS: discovering")
        t0 = time.time()
        d.keys("2")
        d.wait_for(r"^ replication lag", timeout=1)
        d.keys("1")
        d.wait_for(r"^ fleet", timeout=1)
        assert time.time() - t0 < 2, "the UI waited for AWS"
        d.wait_for(r"slow-1\s", timeout=20)
    finally:
        d.close()


def test_aws_html_500_and_truncated_answers_are_clear_errors():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["broken-1"])
    awslab.proxy("fault", {"action": "DescribeDBInstances", "mode": "truncate", "count": 1})
    d = _dbfleet(["--aws", "--region", "us-east-1"], AWS_MAX_ATTEMPTS="2")
    try:
        d.wait_for(r"AWS: DescribeDBInstances: BadResponse: .*malformed XML", timeout=30)
    finally:
        d.close()
    awslab.reset()
    awslab.create_instances("us-east-1", ["broken-1"])
    awslab.proxy("fault", {"action": "DescribeDBInstances", "mode": "500", "count": 5})
    d = _dbfleet(["--aws", "--region", "us-east-1"], AWS_MAX_ATTEMPTS="2")
    try:
        s = d.wait_for(r"AWS: DescribeDBInstances: HTTP 500: .*Internal Server Error", timeout=30)
        assert "<h1>" not in s and "doctype" not in s, s
    finally:
        d.close()
    assert _sent("DescribeDBInstances") == 2, "AWS_MAX_ATTEMPTS=2 not honoured"


def test_aws_proxy_is_understood_by_the_aws_cli():
    awslab.url()
    awslab.reset()
    if not shutil.which("aws"):
        raise awslab.Skip("no aws CLI")
    awslab.create_instances("us-east-1", ["cli-1"])
    awslab.proxy("forecast", {"amount": "42.00"})
    awslab.proxy("fault", {"action": "DescribeDBInstances", "mode": "throttle", "count": 2})
    env = dict(os.environ, **awslab.KEY, AWS_DEFAULT_REGION="us-east-1", AWS_MAX_ATTEMPTS="5",
               AWS_RETRY_MODE="standard", AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    base = ["aws", "--endpoint-url", awslab.proxy_url(), "--output", "json"]
    r = subprocess.run(base + ["rds", "describe-db-instances"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and '"DBInstanceIdentifier": "cli-1"' in r.stdout, r
    assert len(awslab.proxy("stats")["DescribeDBInstances"]) == 3, "the CLI should retry Throttling twice"
    r = subprocess.run(base + ["ce", "get-cost-forecast", "--time-period", "Start=2026-11-28,End=2026-12-01",
                               "--metric", "UNBLENDED_COST", "--granularity", "MONTHLY"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and '"Amount": "42.00"' in r.stdout, r
    # the CLI takes its keys from the proxy's instance metadata (IMDSv2) too
    imds = {k: v for k, v in env.items() if k not in awslab.KEY}
    imds.update(AWS_EC2_METADATA_SERVICE_ENDPOINT=awslab.proxy_url(), AWS_EC2_METADATA_DISABLED="false")
    r = subprocess.run(base + ["rds", "describe-db-instances"], env=imds, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and '"DBInstanceIdentifier": "cli-1"' in r.stdout, r
    assert awslab.proxy("stats").get("IMDS token"), "the CLI did not use the metadata service"
    # what moto lacks, in the shapes the CLI parses: pending maintenance, Performance Insights
    arn = "arn:aws:rds:us-east-1:123456789012:db:cli-1"
    awslab.proxy("maintenance", {"resource": arn, "action": "system-update", "description": "New OS patch"})
    r = subprocess.run(base + ["rds", "describe-pending-maintenance-actions"], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and '"Action": "system-update"' in r.stdout and arn in r.stdout, r
    now = int(time.time())
    awslab.proxy("pi", {"id": "cli-1", "sql": [{"text": t, "load": 1.0 / (i + 1)} for i, t in enumerate((
        "SELECT * FROM orders WHERE id = ?", "UPDATE accounts SET balance = balance - ? WHERE id = ?",
        "INSERT INTO events (kind, payload) VALUES (?, ?)"))]})
    rid = awslab.client("rds", via_proxy=True).describe_db_instances(DBInstanceIdentifier="cli-1")[
        "DBInstances"][0]["DbiResourceId"]  # PI names an instance by it
    r = subprocess.run(base + ["pi", "get-resource-metrics", "--service-type", "RDS", "--identifier", rid,
                               "--metric-queries", '[{"Metric": "db.load.avg", "GroupBy": {"Group": "db.sql_tokenized"}}]',
                               "--start-time", str(now - 600), "--end-time", str(now), "--period-in-seconds", "60"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    got = json.loads(r.stdout)
    assert len(got["MetricList"]) == 3 and got["MetricList"][0]["DataPoints"], got
    r = subprocess.run(base + ["pi", "describe-dimension-keys", "--service-type", "RDS", "--identifier", rid,
                               "--metric", "db.load.avg", "--group-by", "Group=db.sql_tokenized",
                               "--start-time", str(now - 600), "--end-time", str(now)],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "UPDATE accounts" in r.stdout, r


def test_aws_assume_role_and_credential_process_profiles():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["role-1"])
    home = tempfile.mkdtemp(prefix="dbfleet-aws-home-")
    conf = os.path.join(home, "config")
    with open(conf, "w") as f:
        f.write("[profile base]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = us-east-1\n\n"
                "[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/dbfleet-ro\nsource_profile = base\n"
                "region = us-east-1\n\n"
                "[profile proc]\nregion = us-east-1\ncredential_process = printf '{\"Version\": 1, "
                "\"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\"}'\n"
                % (awslab.KEY["AWS_ACCESS_KEY_ID"], awslab.KEY["AWS_SECRET_ACCESS_KEY"],
                   awslab.KEY["AWS_ACCESS_KEY_ID"], awslab.KEY["AWS_SECRET_ACCESS_KEY"]))
    cfg = write_config([], extra="[aws]\ndiscover = 10\n")
    noenv = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_CONFIG_FILE": conf}
    try:
        d = _dbfleet(["-c", cfg, "--profile", "ops"], **noenv)
        try:
            d.wait_for(r"role-1\s.*available", timeout=30)
            d.wait_for(r"AWS profile ops \(role dbfleet-ro\) us-east-1")
            # a second discovery round 10 s later reuses the assumed role's keys
            deadline = time.time() + 25
            while len(awslab.proxy("stats").get("DescribeDBInstances", [])) < 2 and time.time() < deadline:
                time.sleep(0.5)
            stats = awslab.proxy("stats")
            assert len(stats.get("DescribeDBInstances", [])) >= 2, stats.keys()
            assert len(stats.get("AssumeRole", [])) == 1, "STS asked %d times" % len(stats.get("AssumeRole", []))
        finally:
            d.close()
        d = _dbfleet(["-c", cfg, "--profile", "proc"], **noenv)
        try:
            d.wait_for(r"role-1\s.*available", timeout=30)
            d.wait_for(r"AWS profile proc \(credential_process\) us-east-1")
        finally:
            d.close()
        # a role with no way to get source keys says so
        d = _dbfleet(["-c", cfg, "--profile", "nosuch"], **noenv)
        try:
            d.wait_for(r"AWS: credentials: .*nosuch", timeout=15)
        finally:
            d.close()
    finally:
        os.unlink(cfg)
        shutil.rmtree(home)


def test_aws_instance_role_through_imdsv2():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["ec2-role-1"])
    env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_EC2_METADATA_DISABLED": "false",
           "AWS_EC2_METADATA_SERVICE_ENDPOINT": awslab.proxy_url()}
    d = _dbfleet(["--aws"], **env)  # no keys, no profile, no region: all from the instance
    try:
        d.wait_for(r"ec2-role-1\s.*available", timeout=30)
        d.wait_for(r"AWS instance role dbfleet-ec2-role us-east-1")
        assert len(awslab.proxy("stats").get("IMDS token", [])) == 1
    finally:
        d.close()
    # IMDS turned off: a clear message, not a hang
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    d = _dbfleet(["--aws"], **env)
    try:
        d.wait_for(r"no AWS credentials in the environment or ~/\.aws, and no instance role \(instance"
                   r" metadata is off", timeout=15)
    finally:
        d.close()


def test_aws_events_pane_shows_recent_rds_events_newest_first():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["ev-1"])
    awslab.proxy("event", {"id": "ev-1", "msg": "Multi-AZ instance failover started.", "ago": 120})
    awslab.proxy("event", {"id": "ev-1", "msg": "Multi-AZ instance failover completed.", "ago": 30})
    # XML cannot carry ESC; a right-to-left override it can, and it must not reorder the screen
    awslab.proxy("event", {"id": "ev-1", "msg": "evil \u202etxet desrever", "ago": 300})
    d = _dbfleet(["--aws", "--region", "us-east-1"])
    try:
        d.wait_for(r"ev-1\s", timeout=30)
        d.keys("7")
        s = d.wait_for(r"events - RDS, last 24 hours, 3", timeout=30)
        s = d.wait_for(r"evil")
        lines = [l for l in s.splitlines() if "ev-1" in l]
        assert "completed" in lines[0] and "started" in lines[1] and "evil" in lines[2], s
        assert "us-east-1" in lines[0] and "failover" in lines[0], lines[0]
        assert "<U+202E>" in lines[2], lines[2]  # shown escaped, never sent to the terminal
    finally:
        d.close()


def _hosts_line(host):
    """Point 'host' at loopback in /etc/hosts (root only); returns the undo."""
    if os.geteuid() != 0 or not os.access("/etc/hosts", os.W_OK):
        raise awslab.Skip("needs root to map an RDS host name to the lab")
    with open("/etc/hosts") as f:
        saved = f.read()
    with open("/etc/hosts", "a") as f:
        f.write("127.0.0.1 %s # dbfleet test\n" % host)

    def undo():
        with open("/etc/hosts", "w") as f:
            f.write(saved)
    return undo


def test_aws_discovered_instances_get_database_connections():
    """[aws] connect: a discovered instance whose id matches becomes a database target of
    its own (its RDS host name is mapped to the lab's PostgreSQL here)."""
    awslab.url()
    awslab.reset()
    lab = lab_env()
    awslab.create_instances("us-east-1", ["adopt-pg"], Port=int(lab["PG_PRIMARY_PORT"]))
    awslab.create_instances("us-east-1", ["not-adopted"])
    undo = _hosts_line("adopt-pg.aaaaaaaaaa.us-east-1.rds.amazonaws.com")
    try:
        # the lab's PostgreSQL has no TLS: prefer, said explicitly (verify-full is the default);
        # an IAM token is never sent without verification (test_aws_connect_verifies_tls_by_default)
        for auth in ("pgpass",):
            cfg = write_config([], extra="[aws]\nenabled = true\nregions = us-east-1\nconnect = adopt-*\n"
                                         "connect_user = mon\nconnect_db = postgres\nconnect_tls = prefer\n"
                                         "connect_auth = %s\n" % auth)
            d = _dbfleet(["-c", cfg])
            try:
                # the database's own figures (a CONNS used/max) on the instance's row
                d.wait_for(r"^adopt-pg\s+postgres\s+primary\s+ok\s+no\s+\d+/\d+", timeout=30)
                s = d.wait_for(r"^not-adopted\s+postgres\s+primary\s+available")
                assert "fleet - 1 targets, 2 AWS instances" in s, s
                d.keys("4")
                d.wait_for(r"sessions - adopt-pg")
            finally:
                d.close()
                os.unlink(cfg)
    finally:
        undo()


def test_aws_tag_filter_and_connect_by_tag():
    awslab.url()
    awslab.reset()
    lab = lab_env()
    awslab.create_instances("us-east-1", ["pay-1"], Port=int(lab["PG_PRIMARY_PORT"]),
                            Tags=[{"Key": "team", "Value": "payments"}, {"Key": "env", "Value": "prod"}])
    awslab.create_instances("us-east-1", ["pay-2"], Tags=[{"Key": "team", "Value": "payments"}])
    awslab.create_instances("us-east-1", ["search-1"], Tags=[{"Key": "team", "Value": "search"}])
    undo = _hosts_line("pay-1.aaaaaaaaaa.us-east-1.rds.amazonaws.com")
    cfg = write_config([], extra="[aws]\nenabled = true\nregions = us-east-1\ntags = team=payments\n"
                                 "connect = tag:env=prod\nconnect_user = mon\nconnect_tls = prefer\n")
    d = _dbfleet(["-c", cfg])
    try:
        d.wait_for(r"^pay-1\s+postgres\s+primary\s+ok\s", timeout=30)  # tagged env=prod: connected
        s = d.wait_for(r"^pay-2\s+postgres\s+primary\s+available")  # team=payments, not prod: AWS only
        assert "search-1" not in s and "1 targets, 2 AWS instances" in s, s
    finally:
        d.close()
        os.unlink(cfg)
        undo()


def _proc_profile(home, script):
    """An AWS config whose profile 'proc' runs 'script' as its credential_process."""
    path = os.path.join(home, "helper.sh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + script)
    os.chmod(path, 0o755)
    conf = os.path.join(home, "config")
    with open(conf, "w") as f:
        f.write("[profile proc]\nregion = us-east-1\ncredential_process = %s\n" % path)
    return conf


def test_aws_credential_process_stderr_is_shown_escaped_and_never_reaches_the_terminal():
    """A helper that writes OSC 52 (set the clipboard) and a bidi override to stderr and reads
    the keyboard: its stderr is in the error, escaped; no raw byte of it reaches the terminal;
    it reads /dev/null, so it does not wait for a key."""
    awslab.url()
    home = tempfile.mkdtemp(prefix="dbfleet-aws-home-")
    conf = _proc_profile(home, "printf '\\033]52;c;aGk=\\007' >&2\n"
                               "printf 'evil \\342\\200\\256txet\\n' >&2\n"
                               "read line\n"
                               "echo \"read:[$line]\" >&2\n"
                               "exit 3\n")
    tty = os.path.join(home, "tty.out")
    d = _dbfleet(["--aws", "--profile", "proc"], AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="",
                 AWS_CONFIG_FILE=conf)
    try:
        d.log_output(tty)
        s = d.wait_for(r"credential_process: exited with status 3", timeout=15)
        s = d.wait_for(r"\^\[\]52;c;aGk=\^G")
        assert "<U+202E>" in s and "read:[]" in s, s
    finally:
        d.close()
        with open(tty, "rb") as f:
            raw = f.read()
        shutil.rmtree(home)
    assert b"\x1b]52" not in raw and "\u202e".encode() not in raw, raw[-400:]


def test_aws_credential_process_that_hangs_is_killed_with_its_children():
    awslab.url()
    home = tempfile.mkdtemp(prefix="dbfleet-aws-home-")
    pids = os.path.join(home, "pids")
    conf = _proc_profile(home, "sleep 1000 &\necho $! >> %s\necho $$ >> %s\nwait\n" % (pids, pids))
    d = _dbfleet(["--aws", "--profile", "proc"], AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="",
                 AWS_CONFIG_FILE=conf)
    try:
        d.wait_for(r"credential_process: no answer within 10 s", timeout=25)
        with open(pids) as f:
            started = [int(p) for p in f.read().split()]
        assert len(started) >= 2, started
        deadline = time.time() + 5
        alive = started
        while alive and time.time() < deadline:
            alive = [p for p in started if os.path.exists("/proc/%d" % p) and
                     open("/proc/%d/stat" % p).read().split()[2] != "Z"]
            time.sleep(0.1)
        assert not alive, "still running: %s" % alive
    finally:
        d.close()
        shutil.rmtree(home)


def test_aws_plain_http_endpoint_is_refused_except_to_loopback():
    """AWS_ENDPOINT_URL_STS=http://<not loopback>: STS would send keys in clear; refused with a
    message (192.0.2.1 is TEST-NET: never contacted), and the status line names the override."""
    awslab.url()
    awslab.reset()
    home = tempfile.mkdtemp(prefix="dbfleet-aws-home-")
    conf = os.path.join(home, "config")
    with open(conf, "w") as f:
        f.write("[profile base]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = us-east-1\n\n"
                "[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/dbfleet-ro\nsource_profile = base\n"
                "region = us-east-1\n" % (awslab.KEY["AWS_ACCESS_KEY_ID"], awslab.KEY["AWS_SECRET_ACCESS_KEY"]))
    d = _dbfleet(["--aws", "--profile", "ops"], width=260, AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="",
                 AWS_CONFIG_FILE=conf, AWS_ENDPOINT_URL_STS="http://192.0.2.1")
    try:
        d.wait_for(r"refusing plain http to 'http://192\.0\.2\.1' \(AWS_ENDPOINT_URL_STS\)", timeout=15)
        assert not awslab.proxy("stats").get("AssumeRole"), "STS was asked elsewhere"
    finally:
        d.close()
        shutil.rmtree(home)
    # an override of STS alone is named on the status line too (only RDS's was looked at)
    awslab.create_instances("us-east-1", ["http-1"])
    d = _dbfleet(["--aws", "--region", "us-east-1"], width=200, AWS_ENDPOINT_URL_STS="https://sts.example.invalid")
    try:
        d.wait_for(r"http-1\s", timeout=30)
        d.wait_for(r"\(emulator at http://127\.0\.0\.1:\d+, sts: endpoint https://sts\.example\.invalid\)")
    finally:
        d.close()


def test_aws_max_instances_caps_discovery_and_says_so():
    """A server can list any number of instances; dbfleet keeps [aws] max_instances of them
    (after the tag filter) and says on screen that more were found."""
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["cap-%02d" % i for i in range(8)],
                            Tags=[{"Key": "team", "Value": "payments"}])
    awslab.create_instances("us-east-1", ["other-%02d" % i for i in range(3)])
    cfg = write_config([], extra="[aws]\nenabled = true\nregions = us-east-1\nmax_instances = 5\n")
    d = _dbfleet(["-c", cfg], width=200)
    try:
        d.wait_for(r"fleet - 0 targets, 5 AWS instances", timeout=30)
        d.wait_for(r"showing the first 5 instances: more were found \(\[aws\] max_instances = 5\)")
    finally:
        d.close()
        os.unlink(cfg)
    # the tag filter comes first: 8 tagged, all within a cap of 10, and no note
    cfg = write_config([], extra="[aws]\nenabled = true\nregions = us-east-1\nmax_instances = 10\n"
                                 "tags = team=payments\n")
    d = _dbfleet(["-c", cfg], width=200)
    try:
        s = d.wait_for(r"fleet - 0 targets, 8 AWS instances", timeout=30)
        assert "max_instances" not in s, s
    finally:
        d.close()
        os.unlink(cfg)


def test_aws_connect_verifies_tls_by_default():
    """[aws] connect verifies the server's certificate unless told otherwise: without a CA bundle
    nothing connects, and says why; an IAM token is never sent over unverified TLS; a host name
    from AWS that could add conninfo keys is refused."""
    awslab.url()
    awslab.reset()
    lab = lab_env()
    awslab.create_instances("us-east-1", ["adopt-pg"], Port=int(lab["PG_PRIMARY_PORT"]))
    undo = _hosts_line("adopt-pg.aaaaaaaaaa.us-east-1.rds.amazonaws.com")
    base = "[aws]\nenabled = true\nregions = us-east-1\nconnect = adopt-*\nconnect_user = mon\n"
    cases = [
        ("", r"connect: cannot watch 'adopt-pg': connect_tls = verify-full needs \[aws\] ca_bundle = FILE"),
        ("ca_bundle = /nonexistent/rds.pem\n", r"cannot read \[aws\] ca_bundle '/nonexistent/rds\.pem'"),
        ("connect_auth = iam\nconnect_tls = require\n",
         r"connect_auth = iam sends a token: it needs connect_tls = verify-full"),
        ("connect_auth = iam\nconnect_tls = prefer\n",
         r"connect_auth = iam sends a token: it needs connect_tls = verify-full"),
    ]
    try:
        for extra, want in cases:
            cfg = write_config([], extra=base + extra)
            d = _dbfleet(["-c", cfg], width=260)
            try:
                s = d.wait_for(want, timeout=30)
                assert "fleet - 0 targets, 1 AWS instances" in s, s
            finally:
                d.close()
                os.unlink(cfg)
        # with the bundle, verification is what libpq is asked for: the lab's server has no TLS
        cfg = write_config([], extra=base + "connect_auth = iam\nca_bundle = %s\n"
                           % os.path.join(os.environ["LAB_DIR"], "tls", "ca.pem"))
        d = _dbfleet(["-c", cfg], width=260)
        try:
            d.wait_for(r"fleet - 1 targets, 1 AWS instances", timeout=30)
            d.wait_for(r"^adopt-pg\s+postgres\s+DOWN", timeout=30)
            d.keys("Enter")  # the target's own error: verification was asked for and TLS is missing
            d.wait_for(r"server does not support SSL, but SSL was required", timeout=15)
        finally:
            d.close()
            os.unlink(cfg)
        # a host that would add conninfo keys ("host=x sslmode=disable") is refused
        awslab.proxy("address", {"id": "adopt-pg", "address": "127.0.0.1 sslmode=disable"})
        cfg = write_config([], extra=base + "connect_tls = prefer\n")
        d = _dbfleet(["-c", cfg], width=260)
        try:
            s = d.wait_for(r"connect: cannot watch 'adopt-pg': the host name AWS gave is not a DNS name",
                           timeout=30)
            assert "fleet - 0 targets, 1 AWS instances" in s, s
        finally:
            d.close()
            os.unlink(cfg)
    finally:
        undo()
