"""redislab.py - a throwaway redis-server on loopback for the shared-collector tests: TLS only
(a CA and a server certificate made with openssl in a temporary directory), ACL users as
dbfleet.conf(5) "Shared collector (Redis)" documents them, the default user off.

    lab = redislab.start("lab")     # raises harness.Skip without redis-server or openssl
    lab.url                         # rediss://localhost:PORT/lab
    lab.password_file("collector")  # a 0600 file holding that user's password
    lab.cli("collector", "GET", lab.key("lease"))  # redis-cli as that user, its output
    lab.stop()

Users: 'collector' publishes (every command the lease and the stream need, on the fleet's
keys); 'viewer' reads the fleet's keys and writes only its own request stream; 'admin' (the
tests' own eyes: INFO, SCRIPT) can do anything.
"""
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time

from harness import Skip


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _free_cluster_port():
    """A free port P with P + 10000 (the cluster bus) free too; P <= 55535."""
    for _ in range(200):
        p = _free_port()
        if p > 55535:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p + 10000))
            return p
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port pair for a cluster node")


def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True, timeout=30)


def make_ca(d, name):
    """A CA key and certificate in d: NAME.key, NAME.crt."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=dbfleet test %s" % name,
             "-keyout", name + ".key", "-out", name + ".crt", cwd=d)
    return os.path.join(d, name + ".crt")


def make_server_cert(d, ca):
    """server.key/server.crt signed by CA, for localhost and 127.0.0.1."""
    with open(os.path.join(d, "san.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
             "-keyout", "server.key", "-out", "server.csr", cwd=d)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
             "-CAcreateserial", "-days", "2", "-extfile", "san.cnf", "-out", "server.crt", cwd=d)


# The ACL rules of dbfleet.conf(5): keys of one fleet share the {FLEET} hash tag.
def acl_rules(fleet, passwords):
    k = "dbfleet:{%s}:" % fleet
    return [
        "user default off",
        # the collector: the lease (SET NX, the scripts) and the streams, nothing else
        "user collector on >%s resetkeys ~%s* resetchannels -@all +ping +get +set +del "
        "+pexpire +pttl +xadd +xrange +xrevrange +xread +xlen +hset +hget +hgetall +evalsha +eval +script|load"
        % (passwords["collector"], k),
        # the viewer: reads the fleet's keys; writes only what it shows (the interest stream)
        # and its own request stream
        "user viewer on >%s resetkeys %%R~%s* %%W~%sinterest ~%sreq:viewer resetchannels -@all +ping +get +pttl "
        "+xrange +xrevrange +xread +xlen +xadd +hget +hgetall" % (passwords["viewer"], k, k, k),
        # a viewer with no write at all (not even interest): what a read-only user can do
        "user reader on >%s resetkeys %%R~%s* resetchannels -@all +ping +get +pttl +xrange +xrevrange +xread"
        " +xlen +hget +hgetall" % (passwords["reader"], k),
    ]


class Lab:
    def __init__(self, fleet):
        if not shutil.which("redis-server") or not shutil.which("redis-cli"):
            raise Skip("redis-server not installed (apt-get install redis-server)")
        if not shutil.which("openssl"):
            raise Skip("openssl not installed")
        self.fleet = fleet
        self.dir = tempfile.mkdtemp(prefix="dbfleet-redis-")
        self.ca = make_ca(self.dir, "ca")
        make_server_cert(self.dir, "ca")
        self.wrong_ca = make_ca(self.dir, "wrongca")
        self.passwords = {u: secrets.token_hex(12) for u in ("collector", "viewer", "reader", "admin")}
        self.port = _free_port()
        self.url = "rediss://localhost:%d/%s" % (self.port, fleet)
        self.proc = None
        self._write_conf()
        self.start()

    def _write_conf(self, cluster=False):
        acl = os.path.join(self.dir, "users.acl")
        with open(acl, "w") as f:
            f.write("\n".join(acl_rules(self.fleet, self.passwords)) + "\n")
            f.write("user admin on >%s ~* &* +@all\n" % self.passwords["admin"])
        d = self.dir
        conf = ["port 0", "bind 127.0.0.1 127.0.0.2", "tls-port %d" % self.port,
                "tls-cert-file %s/server.crt" % d, "tls-key-file %s/server.key" % d,
                "tls-ca-cert-file %s/ca.crt" % d, "tls-auth-clients no",
                "aclfile %s" % acl, "dir %s" % d, "save \"\"", "appendonly no",
                "logfile %s/redis-%d.log" % (d, self.port), "daemonize no"]
        if cluster:
            conf += ["cluster-enabled yes", "cluster-config-file nodes-%d.conf" % self.port, "tls-cluster yes",
                     "tls-replication yes", "masteruser admin", "masterauth %s" % self.passwords["admin"]]
        with open(os.path.join(d, "redis-%d.conf" % self.port), "w") as f:
            f.write("\n".join(conf) + "\n")

    def start(self):
        """Start (or start again) the server; wait until it answers PING."""
        self.proc = subprocess.Popen(["redis-server", os.path.join(self.dir, "redis-%d.conf" % self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited: %s" % self.log())
            try:
                if self.cli("collector", "PING").strip() == "PONG":
                    return
            except subprocess.SubprocessError:
                pass
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer within 10 s: %s" % self.log())

    def log(self):
        try:
            with open(os.path.join(self.dir, "redis-%d.log" % self.port)) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def key(self, name):
        return "dbfleet:{%s}:%s" % (self.fleet, name)

    def password_file(self, user, password=None):
        path = os.path.join(self.dir, "%s.pass" % user)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write((password if password is not None else self.passwords[user]) + "\n")
        return path

    def cli(self, user, *args, stdin=None, port=None):
        """redis-cli as USER (password through REDISCLI_AUTH, not argv); its stdout."""
        env = dict(os.environ, REDISCLI_AUTH=self.passwords[user])
        p = subprocess.run(["redis-cli", "--tls", "--cacert", self.ca, "-h", "127.0.0.1", "-p", str(port or self.port),
                            "--user", user, "--no-auth-warning"] + list(args),
                           env=env, capture_output=True, text=True, timeout=10, input=stdin)
        return p.stdout

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def start(fleet="lab"):
    return Lab(fleet)


class Cluster:
    """Three cluster-mode masters (TLS between them too) with the same users and certificates;
    'nodes' are Lab objects sharing one directory; 'owner(key)' is the node that serves a key."""

    def __init__(self, fleet="lab", n=3):
        first = Lab.__new__(Lab)
        self.nodes = []
        self.dir = None
        try:
            for i in range(n):
                node = Lab.__new__(Lab)
                if i == 0:
                    if not shutil.which("redis-server") or not shutil.which("redis-cli"):
                        raise Skip("redis-server not installed (apt-get install redis-server)")
                    node.fleet, node.dir = fleet, tempfile.mkdtemp(prefix="dbfleet-rcluster-")
                    self.dir = node.dir
                    node.ca = make_ca(node.dir, "ca")
                    make_server_cert(node.dir, "ca")
                    node.wrong_ca = None
                    node.passwords = {u: secrets.token_hex(12) for u in ("collector", "viewer", "reader", "admin")}
                    first = node
                else:
                    node.fleet, node.dir, node.ca, node.wrong_ca = fleet, first.dir, first.ca, None
                    node.passwords = first.passwords
                node.port = _free_cluster_port()
                node.url = "rediss://localhost:%d/%s" % (node.port, fleet)
                node.proc = None
                node._write_conf(cluster=True)
                self.nodes.append(node)
                node.start()
            env = dict(os.environ, REDISCLI_AUTH=first.passwords["admin"])
            subprocess.run(["redis-cli", "--tls", "--cacert", first.ca, "--user", "admin", "--no-auth-warning",
                            "--cluster", "create"] + ["127.0.0.1:%d" % x.port for x in self.nodes] +
                           ["--cluster-yes"], env=env, check=True, capture_output=True, timeout=60)
            deadline = time.time() + 20
            while any("cluster_state:ok" not in x.cli("admin", "CLUSTER", "INFO") for x in self.nodes):
                if time.time() > deadline:
                    raise RuntimeError("the cluster did not come up: %s" % first.cli("admin", "CLUSTER", "INFO"))
                time.sleep(0.1)
        except BaseException:
            self.close()
            raise

    def owner(self, key):
        """The node whose slots hold KEY."""
        slot = int(self.nodes[0].cli("admin", "CLUSTER", "KEYSLOT", key).strip())
        for line in self.nodes[0].cli("admin", "CLUSTER", "NODES").splitlines():
            f = line.split()
            port = int(f[1].split("@")[0].rsplit(":", 1)[1])
            for rng in f[8:]:
                lo, _, hi = rng.partition("-")
                if lo.isdigit() and int(lo) <= slot <= int(hi or lo):
                    return next(x for x in self.nodes if x.port == port)
        raise RuntimeError("no node serves slot %d" % slot)

    def close(self):
        for x in self.nodes:
            x.stop()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
