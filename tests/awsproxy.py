#!/usr/bin/env python3
"""awsproxy.py - the project's proxy in front of moto: what moto lacks, in AWS's wire formats.

    python3 tests/awsproxy.py --port P --upstream http://127.0.0.1:MOTO_PORT

Forwards every request to moto unchanged (Host header included, so moto's
SigV4 check still sees what the client signed) and adds:
  - GetCostForecast (Cost Explorer, JSON 1.1), which moto does not have;
  - faults on command, per operation: throttle (Query 400 Throttling / JSON
    400 ThrottlingException), 500 (an HTML page, as a broken front end
    sends), slow (answer after N seconds), truncate (cut the body in half);
  - per-operation request counts with timestamps, to check retries/back-off;
  - transitional states moto skips (it makes everything available at once): a new
    snapshot is "creating" with a growing PercentProgress, a cluster that fails over is
    "failing-over" with its old writer, for a set number of seconds; a failover asked
    during one is refused (InvalidDBClusterStateFault), as AWS does;
  - DescribeEvents for those actions;
  - RebootDBInstance: "rebooting" for failover_seconds, with Multi-AZ failover events;
    ForceFailover on an instance that is not Multi-AZ is refused (InvalidParameterCombination)
    as AWS does and moto does not;
  - SwitchoverGlobalCluster and FailoverGlobalCluster (moto has neither): the global
    database is "switching-over"/"failing-over" for failover_seconds, then its writer is
    the target in DescribeGlobalClusters; a second one meanwhile is refused;
  - Performance Insights (JSON 1.1: GetResourceMetrics, DescribeDimensionKeys,
    GetDimensionKeyDetails) per Identifier, from digests set on command: db.load.avg in all,
    by db.sql_tokenized (text cut at 500 bytes, as PI does), db.sql and db.wait_event, with
    partitions; the whole text only from GetDimensionKeyDetails (db.sql by db.sql.id);
    epoch-second times; DescribeDBInstances gets each instance a DbiResourceId of its own
    and PerformanceInsightsEnabled (moto has neither);
  - DescribePendingMaintenanceActions, from actions set on command;
  - the EC2 instance metadata service, IMDSv2 only (a GET without the session token
    from PUT /latest/api/token is refused 401): role "dbfleet-ec2-role", its
    credentials, placement/region "us-east-1";
  - IAM Identity Center (class SSO below): the portal's GetRoleCredentials and SSO OIDC's
    CreateToken (refresh_token grant), for the access and refresh tokens set on command.

Control (JSON bodies, loopback only):
  POST /dbfleet-proxy/fault     {"action": "DescribeDBInstances", "mode": "throttle", "count": 2, "seconds": 0}
  POST /dbfleet-proxy/forecast  {"amount": "123.45"}
  POST /dbfleet-proxy/event     {"id": "pg1", "type": "db-instance", "msg": "...", "ago": 60}
  POST /dbfleet-proxy/transition {"snapshot_seconds": 6, "failover_seconds": 6}
  POST /dbfleet-proxy/maintenance {"resource": ARN, "action": "system-update", "description": "..."}
  POST /dbfleet-proxy/address   {"id": "pg1", "address": "..."}  (a hostile Endpoint/Address for pg1)
  POST /dbfleet-proxy/pi        {"id": "pg1", "enabled": true, "sql": [{"text": "...", "load": 1.2,
                                 "waits": {"CPU": 0.8, "IO:DataFileRead": 0.4}, "full": "..."}],
                                 "wait_types": {"IO:DataFileRead": "IO"}}
  POST /dbfleet-proxy/sso       {"access_token": T, "refresh_token": R, "client_id": C, "client_secret": S,
                                 "role_seconds": 3600, "expires_in": 3600}  (tokens the SSO side accepts)
  POST /dbfleet-proxy/sso-revoke {}  (every access token is refused from now on: the session ended)
  fault modes: throttle, 500, slow, truncate, and 500-after (moto acts, the client sees a 500)
  POST /dbfleet-proxy/reset     faults, forecast and counts cleared
  GET  /dbfleet-proxy/stats     {"DescribeDBInstances": [t0, t1, ...], ...}
Standard library only.
"""
import argparse
import base64
import hashlib
import http.client
import json
import re
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"faults": {}, "forecast": None, "stats": {}, "transition": {"snapshot_seconds": 0, "failover_seconds": 0},
         "snapshots": {}, "failovers": {}, "events": [], "globals": {}, "maintenance": [], "reboots": {},
         "addresses": {}, "pi": {}}
RDS_NS = "http://rds.amazonaws.com/doc/2014-10-31/"

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


def resource_id(instance):
    """A DbiResourceId of its own for each instance (moto gives every instance the same one)."""
    return "db-" + base64.b32encode(hashlib.sha1(instance.encode()).digest()).decode()[:26]


def pi_instance(req):
    """/dbfleet-proxy/pi {"id", "enabled", "sql": [{"text", "load", "waits": {name: load}, "full"?}],
    "wait_types": {name: type}}: an instance's Performance Insights, digests numbered in order."""
    sql = []
    for i, q in enumerate(req.get("sql", [])):
        sql.append({"id": "%040X" % (i + 1), "text": q["text"], "full": q.get("full", q["text"]),
                    "load": float(q["load"]), "waits": {k: float(v) for k, v in q.get("waits", {"CPU": q["load"]}).items()}})
    return {"rid": resource_id(req["id"]), "enabled": bool(req.get("enabled", True)), "sql": sql,
            "wait_types": req.get("wait_types", {})}


def operation(headers, body):
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1], True
    q = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    return (q.get("Action") or ["?"])[0], False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, ctype, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def control(self, body):
        path = self.path
        if path == "/dbfleet-proxy/stats":
            with LOCK:
                return self.send(200, json.dumps(STATE["stats"]).encode(), "application/json")
        req = json.loads(body or b"{}")
        if path.startswith("/dbfleet-proxy/sso"):
            return self.send(*SSO.control(path, req))
        with LOCK:
            if path == "/dbfleet-proxy/fault":
                STATE["faults"][req["action"]] = {"mode": req["mode"], "count": int(req.get("count", 1)),
                                                  "seconds": float(req.get("seconds", 0))}
            elif path == "/dbfleet-proxy/forecast":
                STATE["forecast"] = str(req["amount"])
            elif path == "/dbfleet-proxy/maintenance":
                STATE["maintenance"].append(req)
            elif path == "/dbfleet-proxy/event":
                STATE["events"].append({"id": req["id"], "type": req.get("type", "db-instance"), "msg": req["msg"],
                                        "t": time.time() - float(req.get("ago", 0))})
            elif path == "/dbfleet-proxy/pi":
                STATE["pi"][req["id"]] = pi_instance(req)
            elif path == "/dbfleet-proxy/address":
                STATE["addresses"][req["id"]] = req["address"]
            elif path == "/dbfleet-proxy/transition":
                STATE["transition"].update({k: float(v) for k, v in req.items()})
            elif path == "/dbfleet-proxy/reset":
                STATE.update(faults={}, forecast=None, stats={}, snapshots={}, failovers={}, events=[], globals={},
                             maintenance=[], reboots={}, addresses={}, pi={},
                             transition={"snapshot_seconds": 0, "failover_seconds": 0})
                SSO.reset()
            else:
                return self.send(404, b"no such control", "text/plain")
        self.send(200, b"{}", "application/json")

    def fault(self, op, is_json):
        with LOCK:
            f = STATE["faults"].get(op)
            if not f or f["count"] == 0:
                return None
            f["count"] -= 1
            return dict(f)

    def error(self, is_json, status, code, msg):
        if is_json:
            body = json.dumps({"__type": code, "message": msg}).encode()
            return self.send(status, body, "application/x-amz-json-1.1", {"x-amzn-ErrorType": code})
        body = ("<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\"><Error><Type>Sender</Type>"
                "<Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>"
                % (code, msg, uuid.uuid4())).encode()
        self.send(status, body, "text/xml")

    IMDS_TOKEN = uuid.uuid4().hex

    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            with LOCK:
                STATE["stats"].setdefault("IMDS token", []).append(time.time())
            return self.send(200, self.IMDS_TOKEN.encode(), "text/plain")
        self.send(400, b"bad request", "text/plain")

    def imds(self):
        if self.headers.get("X-aws-ec2-metadata-token") != self.IMDS_TOKEN:
            return self.send(401, b"", "text/plain")  # IMDSv1 is off, as it should be
        p = self.path
        if p == "/latest/meta-data/iam/security-credentials/":
            return self.send(200, b"dbfleet-ec2-role", "text/plain")
        if p == "/latest/meta-data/iam/security-credentials/dbfleet-ec2-role":
            exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 6 * 3600))
            body = {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIADBFLEETEC2ROLE",
                    "SecretAccessKey": "ec2-role-secret", "Token": "ec2-role-session-token", "Expiration": exp}
            return self.send(200, json.dumps(body).encode(), "application/json")
        if p == "/latest/meta-data/placement/region":
            return self.send(200, b"us-east-1", "text/plain")
        self.send(404, b"", "text/plain")

    def do_GET(self):
        if self.path.startswith("/dbfleet-proxy/"):
            return self.control(b"")
        if self.path.startswith("/latest/"):
            return self.imds()
        if self.path.startswith("/federation/credentials"):
            return self.send(*SSO.role_credentials(self.path, self.headers))
        self.forward(b"")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/dbfleet-proxy/"):
            return self.control(body)
        if self.path == "/token":
            return self.send(*SSO.create_token(body))
        op, is_json = operation(self.headers, body)
        with LOCK:
            STATE["stats"].setdefault(op, []).append(time.time())
        f = self.fault(op, is_json)
        truncate = False
        if f:
            if f["mode"] == "throttle":
                return self.error(is_json, 400, "ThrottlingException" if is_json else "Throttling", "Rate exceeded")
            if f["mode"] == "500":
                page = b"<!doctype html>\n<html><title>500 Internal Server Error</title><h1>Internal Server Error</h1></html>"
                return self.send(500, page, "text/html")
            if f["mode"] == "slow":
                time.sleep(f["seconds"])
            truncate = f["mode"] == "truncate"
        if op == "GetCostForecast":
            return self.forecast(body)
        if op in ("GetResourceMetrics", "DescribeDimensionKeys", "GetDimensionKeyDetails"):
            return self.pi(op, json.loads(body or b"{}"))
        params = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}
        if op == "DescribeEvents":
            return self.describe_events(params)
        if op == "DescribePendingMaintenanceActions":
            return self.pending_maintenance(params)
        if op in ("SwitchoverGlobalCluster", "FailoverGlobalCluster"):
            return self.global_switch(op, params)
        if op == "RebootDBInstance" and params.get("ForceFailover") == "true":
            desc = urllib.parse.urlencode({"Action": "DescribeDBInstances", "Version": "2014-10-31",
                                           "DBInstanceIdentifier": params.get("DBInstanceIdentifier", "")}).encode()
            _, _, d = self.upstream_call(desc)
            if b"<MultiAZ>true</MultiAZ>" not in d:
                return self.error(False, 400, "InvalidParameterCombination",
                                  "Cannot force a failover for a DB instance that is not configured as Multi-AZ.")
        old = None
        if op == "FailoverDBCluster":
            cid = params.get("DBClusterIdentifier", "")
            with LOCK:
                f0 = STATE["failovers"].get(cid)
                busy = f0 and time.time() - f0["t"] < STATE["transition"]["failover_seconds"]
            if busy:
                return self.error(False, 400, "InvalidDBClusterStateFault",
                                  "DbCluster %s is in failing-over state, not available." % cid)
            old = self.writer_of(cid)
        status, hdrs, data = self.upstream_call(body)
        if 200 <= status < 300:
            self.after(op, params, old)
        data = self.rewrite(op, data)
        if f and f["mode"] == "500-after":
            page = b"<!doctype html>\n<html><title>500 Internal Server Error</title></html>"
            return self.send(500, page, "text/html")
        self.reply(status, hdrs, data, truncate)

    def forecast(self, body):
        with LOCK:
            amount = STATE["forecast"]
        if amount is None:
            return self.error(True, 400, "DataUnavailableException", "Insufficient amount of historical data to generate forecast.")
        req = json.loads(body or b"{}")
        tp = req.get("TimePeriod", {})
        out = {"Total": {"Amount": amount, "Unit": "USD"},
               "ForecastResultsByTime": [{"TimePeriod": tp, "MeanValue": amount}]}
        self.send(200, json.dumps(out).encode(), "application/x-amz-json-1.1")

    def global_switch(self, op, p):
        gid, target = p.get("GlobalClusterIdentifier", ""), p.get("TargetDbClusterIdentifier", "")
        now = time.time()
        with LOCK:
            g = STATE["globals"].get(gid)
            busy = g and now - g["t"] < STATE["transition"]["failover_seconds"]
        if busy:
            return self.error(False, 400, "InvalidGlobalClusterStateFault",
                              "Global cluster %s is %s." % (gid, g["state"]))
        body = urllib.parse.urlencode({"Action": "DescribeGlobalClusters", "Version": "2014-10-31",
                                       "GlobalClusterIdentifier": gid}).encode()
        _, _, data = self.upstream_call(body)
        data = self.rewrite("DescribeGlobalClusters", data)
        old = re.search(rb"<DBClusterArn>([^<]*)</DBClusterArn>(?:<Readers>.*?</Readers>|<Readers/>)<IsWriter>true",
                        data, re.S)
        if not re.search(rb"<GlobalClusterIdentifier>%s<" % re.escape(gid.encode()), data):
            return self.error(False, 404, "GlobalClusterNotFoundFault", "Global cluster %s not found." % gid)
        state = "switching-over" if op == "SwitchoverGlobalCluster" else "failing-over"
        with LOCK:
            STATE["globals"][gid] = {"t": now, "old": old.group(1).decode() if old else "", "target": target,
                                     "state": state}
        self.event(gid, "global-cluster", "%s to %s started" % (op, target))
        out = ('<%sResponse xmlns="%s"><%sResult><GlobalCluster><GlobalClusterIdentifier>%s</GlobalClusterIdentifier>'
               "<Status>%s</Status><FailoverState><Status>pending</Status><FromDbClusterArn>%s</FromDbClusterArn>"
               "<ToDbClusterArn>%s</ToDbClusterArn><IsDataLossAllowed>%s</IsDataLossAllowed></FailoverState>"
               "</GlobalCluster></%sResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>"
               % (op, RDS_NS, op, gid, state, old.group(1).decode() if old else "", target,
                  "true" if p.get("AllowDataLoss") == "true" else "false", op, uuid.uuid4(), op))
        self.send(200, out.encode(), "text/xml")

    def pi_fields(self, data):
        """What moto leaves out of an instance: a DbiResourceId of its own and PerformanceInsightsEnabled."""
        def inst(m):
            block = m.group(0)
            iid = re.search(rb"<DBInstanceIdentifier>([^<]*)<", block)
            if not iid:
                return block
            with LOCK:
                pi = STATE["pi"].get(iid.group(1).decode())
            rid = resource_id(iid.group(1).decode()).encode()
            block = re.sub(rb"<DbiResourceId>[^<]*</DbiResourceId>", b"<DbiResourceId>" + rid + b"</DbiResourceId>",
                           block, count=1)
            flag = b"true" if pi and pi["enabled"] else b"false"
            return block.replace(b"</DBInstance>", b"<PerformanceInsightsEnabled>" + flag +
                                 b"</PerformanceInsightsEnabled></DBInstance>")
        return re.sub(rb"<DBInstance>.*?</DBInstance>", inst, data, flags=re.S)

    def writer_of(self, cid):
        body = urllib.parse.urlencode({"Action": "DescribeDBClusters", "Version": "2014-10-31",
                                       "DBClusterIdentifier": cid}).encode()
        _, _, data = self.upstream_call(body)
        m = re.search(rb"<DBInstanceIdentifier>([^<]*)</DBInstanceIdentifier><IsClusterWriter>true", data)
        return m.group(1).decode() if m else ""

    def event(self, source, stype, msg):
        with LOCK:
            STATE["events"].append({"id": source, "type": stype, "msg": msg, "t": time.time()})

    def after(self, op, p, old_writer):
        now = time.time()
        if op == "RebootDBInstance":
            iid = p.get("DBInstanceIdentifier", "")
            with LOCK:
                STATE["reboots"][iid] = {"t": now, "done": False, "failover": p.get("ForceFailover") == "true"}
            self.event(iid, "db-instance", "Multi-AZ instance failover started." if p.get("ForceFailover") == "true"
                       else "DB instance restarted")
        if op in ("CreateDBSnapshot", "CreateDBClusterSnapshot"):
            sid = p.get("DBSnapshotIdentifier") or p.get("DBClusterSnapshotIdentifier", "")
            src = p.get("DBInstanceIdentifier") or p.get("DBClusterIdentifier", "")
            with LOCK:
                STATE["snapshots"][sid] = {"t": now, "src": src, "done": False}
            self.event(src, "db-instance" if op == "CreateDBSnapshot" else "db-cluster", "Creating manual snapshot")
        elif op == "FailoverDBCluster":
            cid = p.get("DBClusterIdentifier", "")
            with LOCK:
                STATE["failovers"][cid] = {"t": now, "old": old_writer, "done": False}
            self.event(cid, "db-cluster", "Started cross AZ failover to DB instance: %s" %
                       p.get("TargetDBInstanceIdentifier", "(chosen by RDS)"))

    def rewrite(self, op, data):
        """Show the transitional states moto skips."""
        now = time.time()
        tr = STATE["transition"]
        if op == "DescribeDBInstances":
            data = self.pi_fields(data)
        if op == "DescribeDBInstances" and STATE["addresses"]:
            from xml.sax.saxutils import escape

            def address(m):
                block = m.group(0)
                iid = re.search(rb"<DBInstanceIdentifier>([^<]*)<", block)
                with LOCK:
                    a = STATE["addresses"].get(iid.group(1).decode()) if iid else None
                if a is None:
                    return block
                return re.sub(rb"<Address>[^<]*</Address>", b"<Address>" + escape(a).encode() + b"</Address>",
                              block, count=1)
            data = re.sub(rb"<DBInstance>.*?</DBInstance>", address, data, flags=re.S)
        if op in ("DescribeDBSnapshots", "DescribeDBClusterSnapshots"):
            tag = b"DBSnapshot" if op == "DescribeDBSnapshots" else b"DBClusterSnapshot"
            idtag = tag + b"Identifier"

            def snap(m):
                block = m.group(0)
                sid = re.search(rb"<" + idtag + rb">([^<]*)<", block)
                with LOCK:
                    st = STATE["snapshots"].get(sid.group(1).decode()) if sid else None
                if not st:
                    return block
                age = now - st["t"]
                if age < tr["snapshot_seconds"]:
                    pct = int(100 * age / tr["snapshot_seconds"])
                    return block.replace(b"<Status>available</Status>",
                                         b"<Status>creating</Status><PercentProgress>%d</PercentProgress>" % pct)
                if not st["done"]:
                    st["done"] = True
                    self.event(st["src"], "db-instance" if tag == b"DBSnapshot" else "db-cluster",
                               "Manual snapshot created")
                return block
            return re.sub(rb"<" + tag + rb">.*?</" + tag + rb">", snap, data, flags=re.S)
        if op == "DescribeDBInstances" and STATE["reboots"]:
            def inst(m):
                block = m.group(0)
                iid = re.search(rb"<DBInstanceIdentifier>([^<]*)<", block)
                with LOCK:
                    rb = STATE["reboots"].get(iid.group(1).decode()) if iid else None
                if not rb:
                    return block
                if now - rb["t"] < tr["failover_seconds"]:
                    return block.replace(b"<DBInstanceStatus>available</DBInstanceStatus>",
                                         b"<DBInstanceStatus>rebooting</DBInstanceStatus>")
                if not rb["done"] and rb["failover"]:
                    rb["done"] = True
                    self.event(iid.group(1).decode(), "db-instance", "Multi-AZ instance failover completed.")
                return block
            return re.sub(rb"<DBInstance>.*?</DBInstance>", inst, data, flags=re.S)
        if op == "DescribeGlobalClusters" and STATE["globals"]:
            import xml.etree.ElementTree as ET
            ET.register_namespace("", RDS_NS)
            try:
                root = ET.fromstring(data)
            except ET.ParseError:
                return data
            q = "{%s}" % RDS_NS
            items = root.find(q + "DescribeGlobalClustersResult/" + q + "GlobalClusters")
            for g in list(items) if items is not None else []:
                gid = g.findtext(q + "GlobalClusterIdentifier")
                with LOCK:
                    sw = STATE["globals"].get(gid)
                if not sw:
                    continue
                going = now - sw["t"] < tr["failover_seconds"]
                writer = sw["old"] if going else sw["target"]
                if going:
                    g.find(q + "Status").text = sw["state"]
                for m in g.iter(q + "GlobalClusterMember"):
                    arn = m.findtext(q + "DBClusterArn")
                    w = m.find(q + "IsWriter")
                    if arn and w is not None:
                        w.text = "true" if arn == writer else "false"
            return ET.tostring(root)
        if op == "DescribeDBClusters":
            def cluster(m):
                block = m.group(0)
                cid = re.search(rb"<DBClusterIdentifier>([^<]*)<", block)
                with LOCK:
                    f = STATE["failovers"].get(cid.group(1).decode()) if cid else None
                if not f:
                    return block
                if now - f["t"] < tr["failover_seconds"]:
                    block = block.replace(b"<Status>available</Status>", b"<Status>failing-over</Status>")
                    # the old writer stays the writer until the failover completes
                    block = re.sub(rb"(<DBInstanceIdentifier>([^<]*)</DBInstanceIdentifier><IsClusterWriter>)(true|false)",
                                   lambda x: x.group(1) + (b"true" if x.group(2).decode() == f["old"] else b"false"),
                                   block)
                elif not f["done"]:
                    f["done"] = True
                    w = re.search(rb"<DBInstanceIdentifier>([^<]*)</DBInstanceIdentifier><IsClusterWriter>true", block)
                    self.event(cid.group(1).decode(), "db-cluster", "Completed failover to DB instance: %s" %
                               (w.group(1).decode() if w else "?"))
                return block
            return re.sub(rb"<DBCluster>.*?</DBCluster>", cluster, data, flags=re.S)
        return data

    PI_CUT = 500  # PI gives a digest's first 500 bytes; GetDimensionKeyDetails the whole statement

    @staticmethod
    def pi_cut(text):
        return text.encode()[:Handler.PI_CUT].decode("utf-8", "ignore")

    @staticmethod
    def pi_dims(group, dims, asked):
        """A key's dimensions as PI sends them: only those asked for (all of the group when none are)."""
        return {k: v for k, v in dims.items() if k.startswith(group + ".") and (not asked or k in asked)}

    def pi_keys(self, inst, group):
        """Every key of a dimension group with its load: [(dimensions, load, {wait: load})], biggest first."""
        sql = inst["sql"]
        if group == "db.sql_tokenized":
            keys = [({"db.sql_tokenized.id": q["id"], "db.sql_tokenized.db_id": "pi-%s" % q["id"],
                      "db.sql_tokenized.statement": self.pi_cut(q["text"])}, q["load"], q["waits"]) for q in sql]
        elif group == "db.sql":
            keys = [({"db.sql.id": "%s-1" % q["id"], "db.sql.db_id": "pi-%s-1" % q["id"],
                      "db.sql.tokenized_id": q["id"], "db.sql.statement": self.pi_cut(q["full"])},
                     q["load"], q["waits"]) for q in sql]
        elif group == "db.wait_event":
            loads = {}
            for q in sql:
                for w, v in q["waits"].items():
                    loads[w] = loads.get(w, 0) + v
            keys = [({"db.wait_event.name": w, "db.wait_event.type": inst["wait_types"].get(w, "CPU" if w == "CPU"
                                                                                         else "Other")}, v, {w: v})
                    for w, v in loads.items()]
        else:
            keys = []
        return sorted(keys, key=lambda k: -k[1])

    def pi(self, op, req):
        """Performance Insights in its JSON 1.1 shapes (botocore's pi 2018-02-27 model), per Identifier
        (the DbiResourceId this proxy gives the instance), from what /dbfleet-proxy/pi set."""
        rid = req.get("Identifier", "")
        with LOCK:
            inst = next((v for v in STATE["pi"].values() if v["rid"] == rid and v["enabled"]), None)
        if req.get("ServiceType") != "RDS" or inst is None:
            return self.error(True, 400, "InvalidArgumentException",
                              "No Performance Insights data for %s" % rid if inst is None else "ServiceType")
        start, end = int(req.get("StartTime", time.time() - 3600)), int(req.get("EndTime", time.time()))
        period = int(req.get("PeriodInSeconds", 60)) or 60
        start -= start % period
        total = round(sum(q["load"] for q in inst["sql"]), 3)
        if op == "GetResourceMetrics":
            out = []
            for q in req.get("MetricQueries", []):
                g = q.get("GroupBy") or {}
                keys = [({}, total)] if not g else [
                    (self.pi_dims(g["Group"], d, g.get("Dimensions")), v)
                    for d, v, _ in self.pi_keys(inst, g["Group"])[: int(g.get("Limit", 10))]]
                for dims, v in keys:
                    key = {"Metric": q.get("Metric", "db.load.avg")}
                    if dims:
                        key["Dimensions"] = dims
                    out.append({"Key": key, "DataPoints": [{"Timestamp": t, "Value": v}
                                                           for t in range(start, end, period)]})
            body = {"AlignedStartTime": start, "AlignedEndTime": end, "Identifier": rid, "MetricList": out}
        elif op == "DescribeDimensionKeys":
            g, pb = req.get("GroupBy") or {}, req.get("PartitionBy")
            keys = self.pi_keys(inst, g.get("Group", ""))[: int(g.get("Limit", 10))]
            body = {"AlignedStartTime": start, "AlignedEndTime": end, "Keys": []}
            waits = []
            if pb:
                waits = [d for d, _, _ in self.pi_keys(inst, pb["Group"])][: int(pb.get("Limit", 10))]
                body["PartitionKeys"] = [{"Dimensions": self.pi_dims(pb["Group"], d, pb.get("Dimensions"))}
                                         for d in waits]
            for d, v, by_wait in keys:
                k = {"Dimensions": self.pi_dims(g["Group"], d, g.get("Dimensions")), "Total": v}
                if pb:
                    k["Partitions"] = [by_wait.get(w["db.wait_event.name"], 0.0) for w in waits]
                body["Keys"].append(k)
        else:
            if req.get("Group") != "db.sql":
                return self.error(True, 400, "InvalidArgumentException", "Group must be db.sql")
            q = next((q for q in inst["sql"] if "%s-1" % q["id"] == req.get("GroupIdentifier")), None)
            if q is None:
                return self.error(True, 400, "InvalidArgumentException",
                                  "No statement %s" % req.get("GroupIdentifier"))
            body = {"Dimensions": [{"Dimension": "db.sql.statement", "Value": q["full"], "Status": "AVAILABLE"}
                                   for d in req.get("RequestedDimensions") or ["statement"]
                                   if d in ("statement", "db.sql.statement")]}
        self.send(200, json.dumps(body).encode(), self.headers.get("Content-Type") or "application/x-amz-json-1.1")

    def pending_maintenance(self, p):
        from xml.sax.saxutils import escape
        rid = p.get("ResourceIdentifier")
        with LOCK:
            acts = [m for m in STATE["maintenance"] if not rid or m["resource"] == rid]
        soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 7 * 86400))
        items = "".join(
            "<ResourcePendingMaintenanceActions><ResourceIdentifier>%s</ResourceIdentifier>"
            "<PendingMaintenanceActionDetails><PendingMaintenanceAction><Action>%s</Action>"
            "<AutoAppliedAfterDate>%s</AutoAppliedAfterDate><ForcedApplyDate>%s</ForcedApplyDate>"
            "<OptInStatus>%s</OptInStatus><CurrentApplyDate>%s</CurrentApplyDate><Description>%s</Description>"
            "</PendingMaintenanceAction></PendingMaintenanceActionDetails></ResourcePendingMaintenanceActions>" % (
                escape(m["resource"]), escape(m.get("action", "system-update")), soon, soon,
                escape(m.get("opt_in", "next-maintenance")), soon, escape(m.get("description", ""))) for m in acts)
        body = ('<DescribePendingMaintenanceActionsResponse xmlns="%s"><DescribePendingMaintenanceActionsResult>'
                "<PendingMaintenanceActions>%s</PendingMaintenanceActions></DescribePendingMaintenanceActionsResult>"
                "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>"
                "</DescribePendingMaintenanceActionsResponse>" % (RDS_NS, items, uuid.uuid4())).encode()
        self.send(200, body, "text/xml")

    def describe_events(self, p):
        from xml.sax.saxutils import escape
        src = p.get("SourceIdentifier")
        with LOCK:
            evs = [e for e in STATE["events"] if not src or e["id"] == src]
        items = "".join(
            "<Event><SourceIdentifier>%s</SourceIdentifier><SourceType>%s</SourceType><Message>%s</Message>"
            "<EventCategories><EventCategory>%s</EventCategory></EventCategories><Date>%s</Date>"
            "<SourceArn>arn:aws:rds:us-east-1:123456789012:%s:%s</SourceArn></Event>" % (
                e["id"], e["type"], escape(e["msg"]), "failover" if "failover" in e["msg"] else "backup",
                time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(e["t"])),
                "cluster" if e["type"] == "db-cluster" else "db", e["id"]) for e in evs)
        body = ('<DescribeEventsResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeEventsResult>'
                "<Events>%s</Events></DescribeEventsResult><ResponseMetadata><RequestId>%s</RequestId>"
                "</ResponseMetadata></DescribeEventsResponse>" % (items, uuid.uuid4())).encode()
        self.send(200, body, "text/xml")

    def upstream_call(self, body):
        u = urllib.parse.urlparse(self.upstream)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            if k.lower() not in HOP:
                conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, r.getheaders(), data

    def reply(self, status, hdrs, data, truncate=False):
        if truncate:
            data = data[: len(data) // 2]
        self.send_response(status)
        for k, v in hdrs:
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def forward(self, body, truncate=False):
        status, hdrs, data = self.upstream_call(body)
        self.reply(status, hdrs, data, truncate)


class SSO:
    """IAM Identity Center in its rest-json shapes (botocore's sso and sso-oidc 2019-06-10 models):
    GET /federation/credentials?account_id=..&role_name=.. with header x-amz-sso_bearer_token ->
    {"roleCredentials": {accessKeyId, secretAccessKey, sessionToken, expiration (epoch ms)}};
    POST /token {"grantType": "refresh_token", clientId, clientSecret, refreshToken} ->
    {accessToken, tokenType, expiresIn, refreshToken}; the refresh token is used up (rotated).
    Errors: the code in x-amzn-ErrorType, the text in "message" (portal) or OIDC's
    {"error", "error_description"}. Each answer is (status, body, content type, headers) for
    Handler.send; calls are counted in the stats as GetRoleCredentials and CreateToken."""
    state = {}

    @classmethod
    def reset(cls):
        cls.state = {"access": set(), "refresh": {}, "role_seconds": 3600, "expires_in": 3600}

    @classmethod
    def control(cls, path, req):
        with LOCK:
            if path == "/dbfleet-proxy/sso":
                if req.get("access_token"):
                    cls.state["access"].add(req["access_token"])
                if req.get("refresh_token"):
                    cls.state["refresh"][req["refresh_token"]] = (req.get("client_id"), req.get("client_secret"))
                for k in ("role_seconds", "expires_in"):
                    if k in req:
                        cls.state[k] = int(req[k])
            elif path == "/dbfleet-proxy/sso-revoke":
                cls.state["access"].clear()
            else:
                return 404, b"no such control", "text/plain"
        return 200, b"{}", "application/json"

    @staticmethod
    def error(status, code, body):
        return status, json.dumps(body).encode(), "application/json", {"x-amzn-ErrorType": code}

    @classmethod
    def role_credentials(cls, path, headers):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)
        token = headers.get("x-amz-sso_bearer_token")
        with LOCK:
            STATE["stats"].setdefault("GetRoleCredentials", []).append(time.time())
            ok, seconds = token in cls.state["access"], cls.state["role_seconds"]
        if not q.get("account_id") or not q.get("role_name") or not token:
            return cls.error(400, "InvalidRequestException", {"message": "account_id, role_name and the token are required"})
        if not ok:
            return cls.error(401, "UnauthorizedException", {"message": "Session token not found or invalid"})
        creds = {"accessKeyId": "ASIASSO" + uuid.uuid4().hex[:13].upper(), "secretAccessKey": uuid.uuid4().hex,
                 "sessionToken": "sso-session-" + uuid.uuid4().hex, "expiration": int((time.time() + seconds) * 1000)}
        return 200, json.dumps({"roleCredentials": creds}).encode(), "application/json"

    @classmethod
    def create_token(cls, body):
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            req = {}
        with LOCK:
            STATE["stats"].setdefault("CreateToken", []).append(time.time())
            client = cls.state["refresh"].get(req.get("refreshToken"))
            if req.get("grantType") != "refresh_token":
                return cls.error(400, "UnsupportedGrantTypeException", {"error": "unsupported_grant_type",
                                                                        "error_description": "grant type not supported"})
            if not client or client != (req.get("clientId"), req.get("clientSecret")):
                return cls.error(400, "InvalidGrantException", {"error": "invalid_grant",
                                                                "error_description": "Invalid refresh token provided"})
            del cls.state["refresh"][req["refreshToken"]]
            access, refresh = "sso-at-" + uuid.uuid4().hex, "sso-rt-" + uuid.uuid4().hex
            cls.state["access"].add(access)
            cls.state["refresh"][refresh] = client
            out = {"accessToken": access, "tokenType": "Bearer", "expiresIn": cls.state["expires_in"],
                   "refreshToken": refresh}
        return 200, json.dumps(out).encode(), "application/json"


SSO.reset()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", required=True)
    a = ap.parse_args()
    Handler.upstream = a.upstream
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.serve_forever()


if __name__ == "__main__":
    main()
