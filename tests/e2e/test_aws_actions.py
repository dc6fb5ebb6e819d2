"""AWS actions against moto and the project's proxy (which adds the creating and
failing-over states moto skips, the events, throttling and ambiguous errors):
snapshots with progress, Aurora failover and its refusals, no double sends."""
import json
import re
import time

import awslab
from harness import Watch


class _Aws(Watch):
    def __init__(self, extra="", args=()):
        super().__init__([], extra="[aws]\nenabled = true\nregions = us-east-1\ndiscover = 10\n" + extra, width=170,
                         args=args, env_of=lambda state: awslab.env(XDG_STATE_HOME=state, XDG_CACHE_HOME=state))

    def select(self, name):
        """Put the fleet cursor on the row named 'name'."""
        self.d.keys("1")
        s = self.d.wait_for(r"^%s\s" % re.escape(name), timeout=30)
        lines = s.splitlines()
        head = next(i for i, l in enumerate(lines) if l.startswith("NAME"))
        idx = next(i for i, l in enumerate(lines[head + 1:]) if l.split() and l.split()[0] == name)
        self.d.keys("Home")
        for _ in range(idx):
            self.d.keys("Down")


def _sent(op):
    return len(awslab.proxy("stats").get(op, []))


def test_aws_snapshot_goes_creating_to_available_with_progress_and_one_retry():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["snap-1"], MultiAZ=True)
    awslab.proxy("transition", {"snapshot_seconds": 6})
    awslab.proxy("fault", {"action": "CreateDBSnapshot", "mode": "throttle", "count": 1})
    a = _Aws()
    try:
        a.select("snap-1")
        a.d.keys("S")
        a.d.wait_for(r"Take a manual snapshot (dbfleet-snap-1-\d{8}-\d{6}) of instance snap-1 \(us-east-1\)\?")
        s = a.d.wait_for(r"Esc aborts\.")  # the prompt's last line: all of it is drawn
        snap = re.search(r"(dbfleet-snap-1-\d{8}-\d{6})", s).group(1)
        assert "sends: RDS CreateDBSnapshot DBInstanceIdentifier=snap-1 DBSnapshotIdentifier=%s" % snap in s, s
        assert "Type the reason" in s, s
        a.d.keys(*"before the migration")
        a.d.keys("Enter")
        a.d.keys("6")
        a.d.wait_for(r"snapshot\s+instance snap-1\s+running\s+.*creating \d+%", timeout=20)
        s = a.d.wait_for(r"snapshot\s+instance snap-1\s+done\s+.*snapshot %s available; event: Manual snapshot"
                         r" created" % snap, timeout=30)
        # the throttled request was retried; the identifier made it one snapshot
        assert _sent("CreateDBSnapshot") == 2, _sent("CreateDBSnapshot")
        snaps = awslab.client("rds").describe_db_snapshots(DBInstanceIdentifier="snap-1",
                                                          SnapshotType="manual")["DBSnapshots"]
        ours = [x for x in snaps if x["DBSnapshotIdentifier"].startswith("dbfleet-")]
        assert len(ours) == 1, ours
        tags = {t["Key"]: t["Value"] for t in ours[0]["TagList"]}
        assert tags["dbfleet:reason"] == "before the migration" and "@" in tags["dbfleet:taken-by"], tags
        audit = a.audit()
        assert [x["phase"] for x in audit] == ["intent", "outcome"] and audit[1]["result"] == "done", audit
        assert audit[0]["object"]["snapshot"] == snap and audit[0]["object"]["reason"] == "before the migration"
        raw = json.dumps(audit)
        assert awslab.KEY["AWS_SECRET_ACCESS_KEY"] not in raw and awslab.KEY["AWS_ACCESS_KEY_ID"] not in raw
    finally:
        a.close()


def test_aws_failover_swaps_the_writer_and_the_fleet_shows_it():
    awslab.url()
    awslab.reset()
    awslab.create_aurora("us-east-1", "au1", ["au1-a", "au1-b"])
    awslab.proxy("transition", {"failover_seconds": 8})
    awslab.proxy("fault", {"action": "FailoverDBCluster", "mode": "throttle", "count": 1})
    a = _Aws()
    try:
        a.select("au1-b")
        a.d.keys("C-f")
        a.d.wait_for(r"Fail over Aurora cluster au1: writer au1-a -> au1-b\?")
        s = a.d.wait_for(r"Esc aborts\.")
        assert "expected write outage" in s and 'Type the name "au1"' in s, s
        assert "sends: RDS FailoverDBCluster DBClusterIdentifier=au1 TargetDBInstanceIdentifier=au1-b" in s, s
        a.d.keys(*"au1")
        a.d.keys("Enter")
        a.d.keys("6")
        a.d.wait_for(r"failover\s+cluster au1\s+running\s+.*cluster failing-over", timeout=20)
        # a second confirmed failover of the same cluster while this one runs is not started
        a.select("au1-b")
        a.d.keys("C-f")
        a.d.wait_for(r"Esc aborts\.")
        a.d.keys(*"au1")
        a.d.keys("Enter")
        a.d.wait_for(r"an action on cluster au1 is already in flight: not started again")
        a.d.keys("6")
        a.d.wait_for(r"failover\s+cluster au1\s+done\s+.*writer is now au1-b \(was au1-a\); event: Completed"
                     r" failover to DB instance: au1-b", timeout=30)
        assert _sent("FailoverDBCluster") == 2, "throttled once, sent once: %d" % _sent("FailoverDBCluster")
        a.d.keys("1")
        a.d.wait_for(r"^au1-b\s+\S+\s+writer\b", timeout=30)
        a.d.wait_for(r"^au1-a\s+\S+\s+reader\b", timeout=5)
    finally:
        a.close()


def test_aws_failover_refused_while_one_is_in_progress_and_never_resent():
    awslab.url()
    awslab.reset()
    awslab.create_aurora("us-east-1", "au2", ["au2-a", "au2-b", "au2-c"])
    awslab.proxy("transition", {"failover_seconds": 30})
    a = _Aws()
    try:
        a.select("au2-b")
        # someone else starts a failover after dbfleet showed the cluster
        awslab.client("rds", via_proxy=True).failover_db_cluster(DBClusterIdentifier="au2", TargetDBInstanceIdentifier="au2-c")
        a.d.keys("C-f")
        a.d.wait_for(r"Fail over Aurora cluster au2: writer au2-a -> au2-b\?")
        a.d.keys(*"au2")
        a.d.keys("Enter")
        a.d.keys("6")
        a.d.wait_for(r"failover\s+cluster au2\s+REFUSED\s+.*refused: cluster au2 is failing-over", timeout=20)
        assert _sent("FailoverDBCluster") == 1, "dbfleet must not have sent one (the other was boto3's)"
    finally:
        a.close()
    # an answer lost after AWS acted (500 after the fact): look, do not send again
    awslab.reset()
    awslab.create_aurora("us-east-1", "au3", ["au3-a", "au3-b"])
    awslab.proxy("transition", {"failover_seconds": 30})
    awslab.proxy("fault", {"action": "FailoverDBCluster", "mode": "500-after", "count": 1})
    a = _Aws()
    try:
        a.select("au3-b")
        a.d.keys("C-f")
        a.d.wait_for(r"Fail over Aurora cluster au3")
        a.d.keys(*"au3")
        a.d.keys("Enter")
        a.d.keys("6")
        a.d.wait_for(r"failover\s+cluster au3\s+FAILED\s+.*not re-sent; cluster now failing-over", timeout=20)
        time.sleep(2)
        assert _sent("FailoverDBCluster") == 1, "sent %d times" % _sent("FailoverDBCluster")
    finally:
        a.close()


def test_aws_actions_respect_read_only():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["ro-1"], MultiAZ=True)
    a = _Aws(args=["--read-only"])
    try:
        a.select("ro-1")
        for key in ("S", "C-f"):
            a.d.keys(key)
            s = a.d.wait_for(r"read-only: actions are off")
            assert "confirm" not in s, s
        assert _sent("CreateDBSnapshot") == 0 and _sent("RebootDBInstance") == 0
    finally:
        a.close()


def test_aws_global_database_switchover_to_a_secondary_region():
    awslab.url()
    awslab.reset()
    east, west = awslab.client("rds", "us-east-1"), awslab.client("rds", "eu-west-1")
    east.create_global_cluster(GlobalClusterIdentifier="g1", Engine="aurora-postgresql")
    east.create_db_cluster(DBClusterIdentifier="ga", Engine="aurora-postgresql", MasterUsername="admin",
                           MasterUserPassword="not-used-1", GlobalClusterIdentifier="g1")
    west.create_db_cluster(DBClusterIdentifier="gb", Engine="aurora-postgresql", GlobalClusterIdentifier="g1")
    east.create_db_instance(DBInstanceIdentifier="ga-1", Engine="aurora-postgresql", DBInstanceClass="db.r6g.large",
                            DBClusterIdentifier="ga")
    west.create_db_instance(DBInstanceIdentifier="gb-1", Engine="aurora-postgresql", DBInstanceClass="db.r6g.large",
                            DBClusterIdentifier="gb")
    awslab.proxy("transition", {"failover_seconds": 4})
    a = _Aws(extra="regions = us-east-1, eu-west-1\n")
    try:
        a.select("gb-1")
        a.d.keys("C-f")
        a.d.wait_for(r"Switch over Aurora global database g1: writer us-east-1/ga -> eu-west-1/gb\?")
        s = a.d.wait_for(r"Esc aborts\.")
        assert 'Type the name "g1"' in s and "no data loss" in s, s
        assert "sends: RDS SwitchoverGlobalCluster GlobalClusterIdentifier=g1" in s, s
        a.d.keys(*"g1")
        a.d.keys("Enter")
        a.d.keys("6")
        a.d.wait_for(r"failover\s+global g1\s+running\s+.*global database switching-over", timeout=20)
        a.d.wait_for(r"failover\s+global g1\s+done\s+.*global writer is now eu-west-1/gb \(was us-east-1/ga\)",
                     timeout=30)
        assert _sent("SwitchoverGlobalCluster") == 1
        g = awslab.client("rds", via_proxy=True).describe_global_clusters(GlobalClusterIdentifier="g1")
        writers = [m["DBClusterArn"] for m in g["GlobalClusters"][0]["GlobalClusterMembers"] if m["IsWriter"]]
        assert writers == ["arn:aws:rds:eu-west-1:123456789012:cluster:gb"], writers
    finally:
        a.close()


def test_aws_multi_az_failover_reboots_and_comes_back():
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["maz-1"], MultiAZ=True)
    awslab.create_instances("us-east-1", ["single-1"])
    awslab.proxy("transition", {"failover_seconds": 4})
    a = _Aws()
    try:
        a.select("single-1")
        a.d.keys("C-f")
        a.d.wait_for(r"single-1 is neither in an Aurora cluster nor Multi-AZ: nothing to fail over to")
        a.select("maz-1")
        a.d.keys("C-f")
        a.d.wait_for(r"Fail over maz-1 to its Multi-AZ standby \(reboot with failover\)\?")
        s = a.d.wait_for(r"Esc aborts\.")
        assert "sends: RDS RebootDBInstance DBInstanceIdentifier=maz-1 ForceFailover=true" in s, s
        a.d.keys(*"maz-1")
        a.d.keys("Enter")
        a.d.keys("6")
        a.d.wait_for(r"failover\s+instance maz-1\s+running\s+.*rebooting", timeout=20)
        a.d.wait_for(r"failover\s+instance maz-1\s+done\s+.*failed over to the standby; maz-1 available; event:"
                     r" Multi-AZ instance failover completed", timeout=30)
        assert _sent("RebootDBInstance") == 1
    finally:
        a.close()
