"""awslab.py - the AWS side of the lab: moto (the open-source AWS emulator) on loopback,
behind tests/awsproxy.py (what moto lacks: GetCostForecast, faults, request counts).

Tests skip cleanly (SKIP lines) when moto or boto3 is not installed. One moto
and one proxy per test run; reset() between tests clears both. dbfleet is
pointed at the proxy; tests seed moto directly with boto3.
"""
import atexit
import datetime
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

_server = None

KEY = {"AWS_ACCESS_KEY_ID": "AKIDDBFLEETTEST", "AWS_SECRET_ACCESS_KEY": "dbfleet-test-secret"}


from harness import Skip  # noqa: E402,F401  (one Skip class: run.py prints SKIP for it)


def available():
    try:
        import boto3  # noqa: F401
        import moto  # noqa: F401
        return True
    except ImportError:
        return False


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def url():
    """Start moto once (or raise Skip); its base URL."""
    global _server
    if not available():
        raise Skip("moto/boto3 not installed (pip install 'moto[server]')")
    if _server is None:
        port = _free_port()
        log = open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "dbfleet-moto-%d.log" % port), "w")
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=log, stderr=subprocess.STDOUT)
        atexit.register(proc.kill)
        base = "http://127.0.0.1:%d" % port
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/moto-api/", timeout=1)
                break
            except Exception:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("moto did not start; see " + log.name)
                time.sleep(0.2)
        pport = _free_port()
        here = os.path.dirname(os.path.abspath(__file__))
        pproc = subprocess.Popen([sys.executable, os.path.join(here, "..", "awsproxy.py"), "--port", str(pport),
                                  "--upstream", base], stdout=log, stderr=subprocess.STDOUT)
        atexit.register(pproc.kill)
        pbase = "http://127.0.0.1:%d" % pport
        while True:
            try:
                urllib.request.urlopen(pbase + "/dbfleet-proxy/stats", timeout=1)
                break
            except Exception:
                if pproc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("the AWS proxy did not start; see " + log.name)
                time.sleep(0.1)
        _server = (proc, base, log.name, pbase)
    return _server[1]


def proxy_url():
    url()
    return _server[3]


def proxy(path, obj=None):
    """POST a control command to the proxy (fault, forecast, reset), or GET stats."""
    if obj is None and path == "stats":
        return json.loads(urllib.request.urlopen(proxy_url() + "/dbfleet-proxy/stats", timeout=5).read())
    req = urllib.request.Request(proxy_url() + "/dbfleet-proxy/" + path, data=json.dumps(obj or {}).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    return urllib.request.urlopen(req, timeout=5).read()


def log_path():
    url()
    return _server[2]


def control(path, body=b"", ctype="application/json"):
    req = urllib.request.Request(url() + path, data=body, method="POST", headers={"Content-Type": ctype})
    return urllib.request.urlopen(req, timeout=10).read()


def reset():
    control("/moto-api/reset")
    proxy("reset")


def client(service, region="us-east-1", via_proxy=False):
    """boto3 on moto itself (seeding), or through the proxy (to be seen by it)."""
    import boto3
    return boto3.client(service, endpoint_url=proxy_url() if via_proxy else url(), region_name=region,
                        aws_access_key_id=KEY["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=KEY["AWS_SECRET_ACCESS_KEY"])


def env(**extra):
    """What dbfleet needs to reach moto as if it were AWS."""
    e = dict(KEY)
    e.update({"AWS_ENDPOINT_URL": proxy_url(), "AWS_EC2_METADATA_DISABLED": "true",
              "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"})
    e.update(extra)
    return e


def create_instances(region, names, engine="postgres", klass="db.t3.micro", **kw):
    rds = client("rds", region)
    for n in names:
        rds.create_db_instance(DBInstanceIdentifier=n, Engine=engine, DBInstanceClass=klass,
                               AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="not-used-1",
                               **kw)


def create_aurora(region, cluster, members, engine="aurora-postgresql"):
    rds = client("rds", region)
    rds.create_db_cluster(DBClusterIdentifier=cluster, Engine=engine, MasterUsername="admin",
                          MasterUserPassword="not-used-1")
    for m in members:
        rds.create_db_instance(DBInstanceIdentifier=m, Engine=engine, DBInstanceClass="db.r6g.large",
                               DBClusterIdentifier=cluster)


def put_metric(region, instance, name, value, seconds_ago=60):
    ts = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds_ago)
    client("cloudwatch", region).put_metric_data(Namespace="AWS/RDS", MetricData=[{
        "MetricName": name, "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": instance}],
        "Timestamp": ts, "Value": value}])


def seed_costs(results):
    control("/moto-api/static/ce/cost-and-usage-results", json.dumps({"results": results}).encode())


def enable_auth():
    """Turn on moto's SigV4 and IAM checking from the next request (after users exist)."""
    control("/moto-api/reset-auth", b"0", "text/plain")


def disable_auth():
    control("/moto-api/reset-auth", b"inf", "text/plain")
