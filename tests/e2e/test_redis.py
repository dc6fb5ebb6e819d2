"""The shared collector's foundation (issue 14) against a real redis-server with TLS and ACLs
(tests/e2e/redislab.py): the client (collectors/redis.c) and the fleet's lease (lease.c),
driven by tests/drivers/redis_lease. No lab databases needed."""
import os
import random
import signal
import subprocess
import sys
import threading
import time

import redislab
from harness import BINARY, LSAN_OPTIONS, Failure, SilentListener, Skip

DRIVER = os.path.join(os.path.dirname(BINARY), "tests", "drivers", "redis_lease")
HERE = os.path.dirname(os.path.abspath(__file__))
_lab = None
# the driver is an ASan+UBSan build: leaks and undefined behaviour fail the test
SAN_ENV = {"ASAN_OPTIONS": "detect_leaks=1", "LSAN_OPTIONS": LSAN_OPTIONS,
           "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}


def clean(out):
    """Output with no sanitizer report in it."""
    if "Sanitizer" in out or "runtime error" in out:
        raise Failure("sanitizer report from the driver:\n%s" % out)
    return out


def lab():
    """One redis-server for the module; keys of each test's own fleet do not meet."""
    global _lab
    if _lab is None:
        if not os.path.exists(DRIVER):
            raise Skip("%s not built (make asan)" % DRIVER)
        _lab = redislab.start("lab")
        import atexit
        atexit.register(_lab.close)
    elif _lab.proc is None or _lab.proc.poll() is not None:
        _lab.start()
    return _lab


def drive(*args, user="collector", password=None, ca=None, env=None, timeout=30):
    """Run the driver as USER against the lab; (exit status, output)."""
    lb = lab()
    opts = ["-u", user, "-c", ca or lb.ca]
    if password is None:
        opts += ["-p", lb.password_file(user)]
    e = dict(os.environ, **SAN_ENV, **(env or {}))
    if password is not None:
        e["DBFLEET_REDIS_PASSWORD"] = password
    p = subprocess.run([DRIVER] + opts + list(args), capture_output=True, text=True, timeout=timeout, env=e)
    return p.returncode, clean(p.stdout + p.stderr)


def expect(cond, what, out):
    if not cond:
        raise Failure("%s; output:\n%s" % (what, out))


# ---- the client ----

def test_redis_tls_acl_connect():
    lb = lab()
    rc, out = drive(lb.url, "cmd", "PING")
    expect(rc == 0 and "STATUS PONG" in out, "PING over TLS as 'collector' (password file)", out)
    # the password from the environment when no file is named
    rc, out = drive(lb.url, "cmd", "PING", password=lb.passwords["viewer"], user="viewer")
    expect(rc == 0 and "STATUS PONG" in out, "PING as 'viewer' (DBFLEET_REDIS_PASSWORD)", out)
    # the same server without TLS in the URL: the client speaks plain RESP to a TLS port
    rc, out = drive(lb.url.replace("rediss://", "redis://"), "cmd", "PING", timeout=20)
    expect(rc == 1 and "ERROR:" in out, "plain RESP to a TLS-only port fails", out)


def test_redis_wrong_ca_refused():
    lb = lab()
    rc, out = drive(lb.url, "cmd", "PING", ca=lb.wrong_ca)
    expect(rc == 1 and "is not trusted" in out and "wrongca.crt" in out, "a server certificate from another CA is refused", out)
    expect("PONG" not in out, "no command ran", out)


def test_redis_certificate_for_another_host_refused():
    """The lab also listens on 127.0.0.2, which its certificate (localhost, 127.0.0.1) does not name."""
    lb = lab()
    rc, out = drive("rediss://127.0.0.2:%d/lab" % lb.port, "cmd", "PING")
    expect(rc == 1 and "is not trusted: IP address mismatch" in out, "a certificate for another address is refused", out)


def test_redis_wrong_password_refused():
    lb = lab()
    rc, out = drive(lb.url, "cmd", "PING", password="not-the-password", user="collector",
                    env={"DBFLEET_REDIS_PASSWORD": "not-the-password"})
    expect(rc == 1 and "refused the password of user 'collector'" in out and "WRONGPASS" in out,
           "a wrong password says so", out)


def test_redis_password_file_must_be_private():
    lb = lab()
    path = lb.password_file("collector")
    os.chmod(path, 0o644)
    try:
        p = subprocess.run([DRIVER, "-u", "collector", "-c", lb.ca, "-p", path, lb.url, "cmd", "PING"],
                           capture_output=True, text=True, timeout=20, env=dict(os.environ, **SAN_ENV))
        clean(p.stdout + p.stderr)
    finally:
        os.chmod(path, 0o600)
    expect(p.returncode == 1 and "readable by others" in p.stdout, "a group/world-readable password file is refused",
           p.stdout)


def test_redis_password_in_url_refused():
    lb = lab()
    url = lb.url.replace("rediss://", "rediss://collector:%s@" % lb.passwords["collector"])
    rc, out = drive(url, "cmd", "PING")
    expect(rc == 1 and "no password in the URL" in out, "a password in the URL is refused", out)
    expect(lb.passwords["collector"] not in out, "the refusal does not echo the password", out)


def test_redis_reply_cap():
    lb = lab()
    key = lb.key("big")
    lb.cli("collector", "-x", "SET", key, stdin="x" * 200000)
    rc, out = drive("-m", "65536", lb.url, "cmd", "GET", key)
    expect(rc == 1 and "reply larger than 65536 bytes refused (a string of 200000)" in out,
           "a reply over the cap is refused at its header", out)
    rc, out = drive(lb.url, "cmd", "GET", key)
    expect(rc == 0 and "STRING 200000" in out, "the same reply under the default cap (16 MiB) is read", out)


def test_redis_silent_server_times_out():
    """A port that accepts and never answers: TLS handshake and AUTH both end at the deadline."""
    lb = lab()
    s = SilentListener()
    try:
        for scheme in ("rediss", "redis"):
            t0 = time.time()
            rc, out = drive("-t", "1", "%s://127.0.0.1:%d/lab" % (scheme, s.port), "cmd", "PING")
            took = time.time() - t0
            expect(rc == 1 and ("timeout" in out or "no reply within 1s" in out), "%s: a timeout is reported" % scheme, out)
            expect(took < 5, "%s: gave up in %.1fs, not hung" % (scheme, took), out)
    finally:
        s.close()
    del lb


# ---- the lease ----

class Server:
    """The driver in 'serve' mode, its lines read as they come."""

    def __init__(self, fleet, *opts, user="collector"):
        lb = lab()
        self.lines = []
        self.proc = subprocess.Popen([DRIVER, "-u", user, "-c", lb.ca, "-p", lb.password_file(user)] + list(opts) +
                                     ["rediss://localhost:%d/%s" % (lb.port, fleet), "serve", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=dict(os.environ, **SAN_ENV))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, prefix, timeout=10.0, after=0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for i, line in enumerate(self.lines[after:]):
                if line.startswith(prefix):
                    return after + i, line
            time.sleep(0.02)
        raise Failure("no line starting %r within %.1fs; got:\n%s" % (prefix, timeout, "\n".join(self.lines[-20:])))

    def token(self):
        return self.wait_for("ACTIVE token=")[1].split("=", 1)[1]

    def close(self):
        """Stop it (SIGTERM: it releases the lease and exits, LSan looks at it) and check its output."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.wait()
        time.sleep(0.05)  # the reader thread takes the last lines
        clean("\n".join(self.lines))


def fresh_fleet(lb):
    """The lab's fleet with no lease and no stream left from an earlier test."""
    lb.cli("collector", "DEL", lb.key("lease"), lb.key("stream"))
    return lb.fleet


def stream_tokens(lb, fleet):
    """The collector token of every stream entry, oldest first."""
    out = lb.cli("collector", "--raw", "XRANGE", "dbfleet:{%s}:stream" % fleet, "-", "+")
    lines = out.split("\n")
    return [lines[i + 1] for i, w in enumerate(lines[:-1]) if w == "c"]


def test_redis_lease_standby_takes_over():
    """One active collector; the standby takes over within the lease time when the first stops
    renewing (SIGSTOP: a partition); the first, resumed, is refused and stops."""
    lb = lab()
    fleet = fresh_fleet(lb)
    ttl = 1500
    a = Server(fleet, "-l", str(ttl), "-i", "0.1")
    b = None
    try:
        ta = a.token()
        a.wait_for("PUBLISHED n=3")
        b = Server(fleet, "-l", str(ttl), "-i", "0.1")
        _, line = b.wait_for("STANDBY holder=")
        expect(line == "STANDBY holder=" + ta, "the standby names the active collector", line)
        os.kill(a.proc.pid, signal.SIGSTOP)
        stopped = time.time()
        tb = b.token()
        took = time.time() - stopped
        # the lease runs out at most ttl after A's last renewal, and B tries again just then
        expect(took < ttl / 1000.0 + 0.4, "took over in %.2fs (lease %.1fs)" % (took, ttl / 1000.0), "")
        expect(tb != ta, "a new token", tb)
        b.wait_for("PUBLISHED n=2")
        os.kill(a.proc.pid, signal.SIGCONT)
        _, lost = a.wait_for("LOST:")
        expect("lease on" in lost and "lost" in lost and "stopped publishing" in lost, "the old collector says so", lost)
        expect(a.proc.wait(5) == 3, "the old collector exits with 3", lost)
        b.wait_for("PUBLISHED n=4")
        toks = stream_tokens(lb, fleet)
        first_b = toks.index(tb)
        expect(all(t == ta for t in toks[:first_b]) and all(t == tb for t in toks[first_b:]),
               "the stream never interleaves two collectors", "\n".join(toks))
    finally:
        a.close()
        if b:
            b.close()
    print("  takeover after SIGSTOP: %.2fs (lease %d ms)" % (took, ttl))


def test_redis_lease_released_on_exit():
    lb = lab()
    fleet = fresh_fleet(lb)
    a = Server(fleet, "-l", "30000", "-i", "0.05")
    try:
        a.token()
        a.wait_for("PUBLISHED n=2")
        expect(lb.cli("collector", "PTTL", "dbfleet:{%s}:lease" % fleet).strip() not in ("-2", ""), "lease held", "")
        a.proc.terminate()
        a.wait_for("RELEASED")
        expect(a.proc.wait(5) == 0, "a clean exit", "\n".join(a.lines))
        expect(lb.cli("collector", "PTTL", "dbfleet:{%s}:lease" % fleet).strip() == "-2",
               "the lease key is gone at once (not left to expire)", "")
        # so a second collector takes it at once, without waiting out the 30 s lease
        b = Server(fleet, "-l", "30000")
        try:
            _, line = b.wait_for("ACTIVE", timeout=3)
        finally:
            b.close()
    finally:
        a.close()


def test_redis_server_gone_is_an_error_not_a_signal():
    """redis-server killed under a publishing collector that keeps SIGPIPE's default action: its
    next publish fails with a message, the process is not killed by SIGPIPE."""
    lb = lab()
    fleet = fresh_fleet(lb)
    a = Server(fleet, "-P", "-l", "5000", "-i", "0.05")
    try:
        a.token()
        a.wait_for("PUBLISHED n=3")
        lb.proc.kill()
        lb.proc.wait()
        rc = a.proc.wait(10)
        expect(rc == 1, "exit status %d (-13 is SIGPIPE)" % rc, "\n".join(a.lines[-5:]))
        _, line = a.wait_for("ERROR:", timeout=2)
        expect("closed the connection" in line or "failed while sending" in line, "says the server went away", line)
    finally:
        a.close()
        lb.stop()
        lb.start()


def test_redis_lease_script_reloaded_after_a_restart():
    """A restarted server has forgotten the scripts: EVALSHA answers NOSCRIPT and the publish goes
    through EVAL, once; the next ones are EVALSHA again."""
    lb = lab()
    lb.stop()
    lb.start()
    rc, out = drive("-i", "0", lb.url, "serve", "5")
    expect(rc == 0 and "PUBLISHED n=5" in out and "RELEASED" in out, "five entries after a restart", out)
    stats = lb.cli("admin", "INFO", "commandstats")
    calls = {}
    for line in stats.splitlines():
        if line.startswith("cmdstat_eval"):
            name, rest = line.split(":", 1)
            calls[name] = dict(kv.split("=") for kv in rest.strip().split(","))
    expect(calls.get("cmdstat_eval", {}).get("calls") == "2", "EVAL once for publish, once for release", stats)
    # 5 publishes and a release: the first of each script NOSCRIPT (a failed call), then EVAL
    expect(calls.get("cmdstat_evalsha", {}).get("calls") == "6" and
           calls["cmdstat_evalsha"].get("failed_calls") == "2", "EVALSHA: 6 calls, 2 of them NOSCRIPT", stats)


def test_redis_lease_stream_bounded():
    lb = lab()
    fleet = fresh_fleet(lb)
    rc, out = drive("-n", "100", "-i", "0", "rediss://localhost:%d/%s" % (lb.port, fleet), "serve", "1000", timeout=60)
    expect(rc == 0 and "PUBLISHED n=1000" in out, "1000 entries published", out[-500:])
    n = int(lb.cli("collector", "XLEN", "dbfleet:{%s}:stream" % fleet).strip())
    # MAXLEN ~ trims whole macro nodes (100 entries each by default): between 100 and 200 stay
    expect(100 <= n < 200, "XLEN %d after 1000 entries with MAXLEN ~ 100" % n, "")


def test_redis_viewer_cannot_publish():
    """The viewer ACL user reads the fleet and writes only its own request stream."""
    lb = lab()
    stream = lb.key("stream")
    rc, out = drive(lb.url, "cmd", "XADD", stream, "*", "c", "forged", user="viewer")
    expect("ERROR-REPLY NOPERM" in out, "the viewer cannot XADD a snapshot", out)
    rc, out = drive(lb.url, "cmd", "EVAL", "return redis.call('XADD', KEYS[1], '*', 'c', 'x')", "1", stream,
                    user="viewer")
    expect("ERROR-REPLY NOPERM" in out, "nor run a script", out)
    rc, out = drive("-i", "0.05", lb.url, "serve", "1", user="viewer")
    expect(rc == 1 and "NOPERM" in out, "nor take the lease", out)
    rc, out = drive(lb.url, "cmd", "XADD", lb.key("req:viewer"), "*", "op", "cancel", user="viewer")
    expect(rc == 0 and out.startswith("STRING"), "its own request stream takes an entry", out)
    rc, out = drive(lb.url, "cmd", "XADD", lb.key("req:collector"), "*", "op", "cancel", user="viewer")
    expect("ERROR-REPLY NOPERM" in out, "another user's request stream does not", out)
    rc, out = drive(lb.url, "cmd", "XLEN", stream, user="viewer")
    expect(rc == 0 and out.startswith("INTEGER"), "the viewer reads the stream", out)


def test_redis_elasticache_token_matches_botocore():
    """ElastiCache IAM cannot be tried against redis-server: the token is checked against the one
    botocore makes for the same credentials and time (random ones, each run)."""
    try:
        import botocore  # noqa: F401
    except ImportError:
        raise Skip("botocore not installed")
    tool = os.path.join(os.path.dirname(BINARY), "tests", "test_elasticache_token")
    if not os.path.exists(tool):
        raise Skip("%s not built (make asan)" % tool)
    rnd = random.Random()
    for session in ("", "IQoJb3JpZ2luX2VjE" + "".join(rnd.choice("abcXYZ019+/=") for _ in range(40))):
        args = ["AKIA" + "".join(rnd.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)),
                "".join(rnd.choice("abcdefXYZ0123456789+/") for _ in range(40)), session,
                "group-%d" % rnd.randrange(1000), "app user@%d" % rnd.randrange(1000),
                rnd.choice(["us-east-1", "eu-west-3", "ap-south-1"]), str(rnd.randrange(1500000000, 1900000000))]
        ours = subprocess.run([tool] + args, capture_output=True, text=True, timeout=10).stdout.strip()
        theirs = subprocess.run([sys.executable, os.path.join(HERE, "elasticache_token.py")] + args,
                                capture_output=True, text=True, timeout=30).stdout.strip()
        # the same host and parameters (botocore writes the session token last), the same signature
        split = (lambda t: (t.split("/?")[0], sorted(t.split("/?", 1)[1].split("&"))))
        expect(ours and split(ours) == split(theirs), "token for %r" % (args[3:],), "ours:   %s\nbotocore: %s" % (ours, theirs))


class FakeElastiCache:
    """A TLS port (the lab's certificate) that answers AUTH and PING with OK and keeps what it was
    sent: what an ElastiCache endpoint would check, seen from outside."""

    def __init__(self, lb):
        import socket
        import ssl
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(os.path.join(lb.dir, "server.crt"), os.path.join(lb.dir, "server.key"))
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(10)
        self.port = self.sock.getsockname()[1]
        self.commands = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
            f = self.ctx.wrap_socket(conn, server_side=True).makefile("rwb")
            while True:
                line = f.readline()
                if not line.startswith(b"*"):
                    return
                args = []
                for _ in range(int(line[1:])):
                    n = int(f.readline()[1:])
                    args.append(f.read(n + 2)[:-2].decode())
                self.commands.append(args)
                f.write(b"+PONG\r\n" if args[0] == "PING" else b"+OK\r\n")
                f.flush()
        except Exception:
            return

    def close(self):
        self.sock.close()


def test_redis_elasticache_iam_auth_on_the_wire():
    """With -I the client sends AUTH USER TOKEN, the token botocore makes for the same
    credentials, cluster, user, region and second."""
    try:
        import botocore  # noqa: F401
    except ImportError:
        raise Skip("botocore not installed")
    lb = lab()
    srv = FakeElastiCache(lb)
    env = {"AWS_ACCESS_KEY_ID": "AKIDDBFLEETREDIS", "AWS_SECRET_ACCESS_KEY": "redis-iam-secret",
           "AWS_SESSION_TOKEN": "sess/+=token", "AWS_REGION": "eu-west-1",
           "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}
    try:
        e = dict(os.environ, **SAN_ENV, **env)
        e.pop("AWS_PROFILE", None)
        e.pop("DBFLEET_REDIS_PASSWORD", None)
        p = subprocess.run([DRIVER, "-u", "iam-viewer", "-c", lb.ca, "-I", "my-valkey-group",
                            "rediss://localhost:%d/lab" % srv.port, "cmd", "PING"],
                           capture_output=True, text=True, timeout=20, env=e)
        expect(p.returncode == 0 and "STATUS PONG" in p.stdout, "connected with IAM", clean(p.stdout + p.stderr))
        auth = srv.commands[0]
        expect(auth[:2] == ["AUTH", "iam-viewer"] and len(auth) == 3, "AUTH user token", repr(auth))
        tok = auth[2]
        stamp = tok.split("X-Amz-Date=")[1][:16]
        import calendar
        epoch = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
        expect(abs(epoch - time.time()) < 60, "a token made now", tok)
        theirs = subprocess.run([sys.executable, os.path.join(HERE, "elasticache_token.py"), env["AWS_ACCESS_KEY_ID"],
                                 env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"], "my-valkey-group", "iam-viewer",
                                 "eu-west-1", str(epoch)], capture_output=True, text=True, timeout=30).stdout.strip()
        split = (lambda t: (t.split("/?")[0], sorted(t.split("/?", 1)[1].split("&"))))
        expect(split(tok) == split(theirs), "the token botocore makes", "ours:     %s\nbotocore: %s" % (tok, theirs))
        # and never over plain TCP
        p = subprocess.run([DRIVER, "-u", "iam-viewer", "-I", "my-valkey-group", "redis://localhost:%d/lab" % srv.port,
                            "cmd", "PING"], capture_output=True, text=True, timeout=20, env=e)
        expect(p.returncode == 1 and "needs rediss://" in p.stdout, "IAM without TLS refused", clean(p.stdout + p.stderr))
    finally:
        srv.close()


def test_redis_acl_rules_match_the_man_page():
    """The ACL users the lab runs are the ones dbfleet.conf(5) documents."""
    path = os.path.join(os.path.dirname(os.path.dirname(HERE)), "man", "dbfleet.conf.5")
    with open(path) as f:
        man = f.read()
    block = man[man.index("user default off"):]
    block = block[:block.index(".fi")].replace("\\-", "-").replace("\\fIPASSWORD\\fR", "PASSWORD")
    users, cur = [], ""
    for line in block.split("\n"):
        if line.startswith("user "):
            if cur:
                users.append(cur)
            cur = line.strip()
        elif line.strip():
            cur += " " + line.strip()
    users.append(cur)
    want = redislab.acl_rules("prod", {"collector": "PASSWORD", "viewer": "PASSWORD", "reader": "PASSWORD"})
    expect(users == want, "the man page's ACL users", "man:\n%s\nlab:\n%s" % ("\n".join(users), "\n".join(want)))


def test_redis_name_lookup_that_never_answers_times_out():
    """The Redis host's name goes to a DNS server that never answers (glibc would wait 15 s): the
    lookup gives up at the deadline, with a message."""
    from test_scale import NAME, dns_sandbox
    lab()
    dns, conf, script = dns_sandbox()
    try:
        t0 = time.time()
        p = subprocess.run(["unshare", "-m", "sh", script, DRIVER, "-t", "1", "rediss://%s:6379/lab" % NAME, "cmd", "PING"],
                           capture_output=True, text=True, timeout=30, env=dict(os.environ, **SAN_ENV))
        took = time.time() - t0
        out = clean(p.stdout + p.stderr)
        expect(p.returncode == 1 and "cannot look up '%s': no answer within 1s" % NAME in out, "the lookup timed out", out)
        expect(took < 4, "gave up in %.1fs" % took, out)
        expect(dns.queries > 0, "the query went to the silent DNS server", out)
    finally:
        dns.close()
        os.unlink(conf)
        os.unlink(script)


def test_redis_cluster_moved_is_followed():
    """Cluster-mode Redis: the driver is pointed at a node that does not serve the fleet's hash
    slot; it follows MOVED to the one that does, takes the lease and publishes there, and a
    standby pointed at the third node sees it as the holder."""
    if not os.path.exists(DRIVER):
        raise Skip("%s not built (make asan)" % DRIVER)
    cl = redislab.Cluster("lab")
    try:
        owner = cl.owner("dbfleet:{lab}:lease")
        others = [x for x in cl.nodes if x is not owner]
        base = [DRIVER, "-u", "collector", "-c", owner.ca, "-p", owner.password_file("collector")]
        env = dict(os.environ, **SAN_ENV)
        p = subprocess.run(base + ["-i", "0", others[0].url, "serve", "3"], capture_output=True, text=True,
                           timeout=30, env=env)
        out = clean(p.stdout + p.stderr)
        expect(p.returncode == 0 and "PUBLISHED n=3" in out and "RELEASED" in out, "published through MOVED", out)
        n = owner.cli("admin", "XLEN", "dbfleet:{lab}:stream").strip()
        expect(n == "3", "the three entries are on the slot's node (XLEN %s)" % n, out)
        holder = subprocess.Popen(base + ["-l", "5000", "-i", "0.1", others[0].url, "serve", "0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        try:
            line = holder.stdout.readline()
            expect(line.startswith("ACTIVE token="), "the holder is active", line)
            p = subprocess.run(base + ["-l", "5000", others[1].url, "cmd", "GET", "dbfleet:{lab}:lease"],
                               capture_output=True, text=True, timeout=30, env=env)
            out = clean(p.stdout + p.stderr)
            expect(line.split("=", 1)[1].strip() in out, "read through the third node", out)
        finally:
            holder.terminate()
            holder.wait(5)
    finally:
        cl.close()
