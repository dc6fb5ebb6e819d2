"""The AWS side against moto: discovery over pages and regions, Aurora roles,
CloudWatch figures, links to real databases, and auth errors shown plainly."""
import os
import re
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
        s = d.wait_for(r"fleet - 0 targets, 250 AWS instances", timeout=30)
        assert "east-000" in s and "postgres" in s, s
        # the status bar names the credentials, both regions and the emulator
        assert re.search(r"AWS environment us-east-1,eu-west-1 \(emulator at http://127\.0\.0\.1:\d+\)", s), s
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
    d = _dbfleet(["--aws", "--region", "us-east-1"])
    try:
        s = d.wait_for(r"4 AWS instances", timeout=30)
        rows = {l.split()[0]: l for l in s.splitlines() if l.split() and l.split()[0] in
                ("pg1", "pg1-r", "au1-a", "au1-b")}
        assert len(rows) == 4, s
        assert re.search(r"\bprimary\b.*\bavailable\b.*\b42%", rows["pg1"]), rows["pg1"]
        assert re.search(r"\breplica\b.*\b7s\b", rows["pg1-r"]), rows["pg1-r"]
        assert re.search(r"\bwriter\b", rows["au1-a"]), rows["au1-a"]
        assert re.search(r"\breader\b.*\b2\.5s\b", rows["au1-b"]), rows["au1-b"]
        # Enter on pg1: what AWS says, with the metric's own age
        d.keys("Home", "Enter")
        s = d.wait_for(r"CloudWatch \(AWS/RDS")
        assert "Multi-AZ" in s and re.search(r"CPUUtilization %\s+42\.00\s+\(\d+m?\d*s old\)", s), s
        assert re.search(r"FreeStorageSpace bytes\s+5000000000\.00", s), s
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
        s = d.wait_for(r"^orders .*\bok\b.*\b63%", timeout=30)
        assert "1 targets, 2 AWS instances" in s, s
        assert "orders-db" not in s and "other-db" in s, s
    finally:
        d.close()
        os.unlink(cfg)


def _requests_logged(status):
    with open(awslab.log_path()) as f:
        return sum(1 for l in f if '"POST / HTTP/1.1" %d' % status in l)


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
    awslab.enable_auth()
    try:
        good = _dbfleet(["--aws", "--region", "us-east-1"], AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                        AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
        try:
            good.wait_for(r"signed-1\s.*available", timeout=30)
        finally:
            good.close()
        before = _requests_logged(403)
        bad = _dbfleet(["--aws", "--region", "us-east-1"], AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                       AWS_SECRET_ACCESS_KEY="wrong-secret")
        try:
            s = bad.wait_for(r"SignatureDoesNotMatch", timeout=30)
            assert "AUTH ERROR" in s, s
            assert "wrong-secret" not in s and key["SecretAccessKey"] not in s, s
            time.sleep(4)
            sent = _requests_logged(403) - before
            if sent > 1:
                raise Failure("%d requests with a bad secret: an auth error must not be retried" % sent)
        finally:
            bad.close()
    finally:
        awslab.disable_auth()
