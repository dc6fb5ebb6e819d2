#!/usr/bin/env python3
"""awsproxy.py - the project's proxy in front of moto: what moto lacks, in AWS's wire formats.

    python3 tests/awsproxy.py --port P --upstream http://127.0.0.1:MOTO_PORT

Forwards every request to moto unchanged (Host header included, so moto's
SigV4 check still sees what the client signed) and adds:
  - GetCostForecast (Cost Explorer, JSON 1.1), which moto does not have;
  - faults on command, per operation: throttle (Query 400 Throttling / JSON
    400 ThrottlingException), 500 (an HTML page, as a broken front end
    sends), slow (answer after N seconds), truncate (cut the body in half);
  - per-operation request counts with timestamps, to check retries/back-off.

Control (JSON bodies, loopback only):
  POST /dbfleet-proxy/fault     {"action": "DescribeDBInstances", "mode": "throttle", "count": 2, "seconds": 0}
  POST /dbfleet-proxy/forecast  {"amount": "123.45"}
  POST /dbfleet-proxy/reset     faults, forecast and counts cleared
  GET  /dbfleet-proxy/stats     {"DescribeDBInstances": [t0, t1, ...], ...}
Standard library only.
"""
import argparse
import http.client
import json
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"faults": {}, "forecast": None, "stats": {}}

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


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
        with LOCK:
            if path == "/dbfleet-proxy/fault":
                STATE["faults"][req["action"]] = {"mode": req["mode"], "count": int(req.get("count", 1)),
                                                  "seconds": float(req.get("seconds", 0))}
            elif path == "/dbfleet-proxy/forecast":
                STATE["forecast"] = str(req["amount"])
            elif path == "/dbfleet-proxy/reset":
                STATE.update(faults={}, forecast=None, stats={})
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

    def do_GET(self):
        if self.path.startswith("/dbfleet-proxy/"):
            return self.control(b"")
        self.forward(b"")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/dbfleet-proxy/"):
            return self.control(body)
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
        self.forward(body, truncate)

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

    def forward(self, body, truncate=False):
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
        if truncate:
            data = data[: len(data) // 2]
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


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
