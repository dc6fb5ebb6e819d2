#!/usr/bin/env python3
"""awsdemo.py - the emulated AWS side of `make demo`.

Starts moto and the project's proxy (tests/e2e/awslab.py), creates an RDS
fleet whose instances are named like the lab's real servers (so dbfleet links
them by name) plus an Aurora cluster that exists only in the emulator, seeds
Cost Explorer and a forecast, writes the environment dbfleet needs to
ENVFILE, gives two instances Performance Insights, then keeps CloudWatch fed with fresh points every 30 s until it is
terminated. Exits 3 when moto is not installed.
"""
import math
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e"))
import awslab  # noqa: E402
from test_aws import _cost_results  # noqa: E402


def main():
    envfile = sys.argv[1]
    if not awslab.available():
        return 3
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    awslab.url()
    awslab.reset()
    rds = awslab.client("rds")
    awslab.create_instances("us-east-1", ["pg-primary"], klass="db.r6g.large", MultiAZ=True)
    rds.create_db_instance_read_replica(DBInstanceIdentifier="pg-replica", SourceDBInstanceIdentifier="pg-primary")
    # moto has no defaults for engine "mariadb" (KeyError): the emulated instance says mysql
    awslab.create_instances("us-east-1", ["mdb-primary"], engine="mysql", klass="db.m6g.large")
    rds.create_db_instance_read_replica(DBInstanceIdentifier="mdb-replica", SourceDBInstanceIdentifier="mdb-primary")
    awslab.create_aurora("us-east-1", "analytics", ["analytics-1", "analytics-2"])
    import datetime
    awslab.seed_costs(_cost_results(datetime.datetime.now(datetime.timezone.utc).date()))
    awslab.proxy("forecast", {"amount": "1650.00"})
    # a night's worth of RDS events for the events pane (7)
    for src, kind, msg, ago in (("pg-primary", "db-instance", "Backing up DB instance", 7200),
                                ("pg-primary", "db-instance", "Finished DB instance backup", 6900),
                                ("analytics", "db-cluster", "Started cross AZ failover to DB instance: analytics-1", 3600),
                                ("analytics", "db-cluster", "Completed failover to DB instance: analytics-1", 3540)):
        awslab.proxy("event", {"id": src, "type": kind, "msg": msg, "ago": ago})
    # Performance Insights: beside the lab's own digests on pg-primary, alone on the Aurora writer
    # (the queries pane, 3, with the fleet cursor on the instance)
    waits = {"IO:DataFileRead": "IO", "Lock:transactionid": "Lock", "LWLock:WALWrite": "LWLock"}
    awslab.proxy("pi", {"id": "pg-primary", "wait_types": waits, "sql": [
        {"text": "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2", "load": 0.62,
         "waits": {"CPU": 0.3, "Lock:transactionid": 0.22, "LWLock:WALWrite": 0.1}},
        {"text": "SELECT abalance FROM pgbench_accounts WHERE aid = $1", "load": 0.21, "waits": {"CPU": 0.21}}]})
    awslab.proxy("pi", {"id": "analytics-1", "wait_types": waits, "sql": [
        {"text": "SELECT region, sum(amount) FROM orders o JOIN customers c ON c.id = o.customer_id "
                 "WHERE o.created_at > $1 GROUP BY region ORDER BY 2 DESC", "load": 1.4,
         "waits": {"CPU": 0.5, "IO:DataFileRead": 0.9}},
        {"text": "INSERT INTO events (kind, payload) VALUES ($1, $2)", "load": 0.3, "waits": {"CPU": 0.3}}]})
    with open(envfile, "w") as f:
        for k, v in awslab.env().items():
            f.write("%s=%s\n" % (k, v))
    ids = ["pg-primary", "pg-replica", "mdb-primary", "mdb-replica", "analytics-1", "analytics-2"]
    while True:
        t = time.time() / 60
        for i, n in enumerate(ids):
            awslab.put_metric("us-east-1", n, "CPUUtilization", 30 + 25 * math.sin(t + i) + random.random() * 5, 5)
            awslab.put_metric("us-east-1", n, "DatabaseConnections", 20 + i * 3, 5)
            awslab.put_metric("us-east-1", n, "FreeStorageSpace", 40e9 - i * 3e9, 5)
        awslab.put_metric("us-east-1", "pg-replica", "ReplicaLag", random.random() * 2, 5)
        awslab.put_metric("us-east-1", "analytics-2", "AuroraReplicaLag", 15 + random.random() * 10, 5)
        time.sleep(30)


if __name__ == "__main__":
    sys.exit(main())
