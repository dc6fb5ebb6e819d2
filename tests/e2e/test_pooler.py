"""PostgreSQL targets behind a real transaction-mode pooler (pgbouncer from Debian).

pgbouncer runs on loopback in front of the lab's primary with default_pool_size = 1,
so every dbfleet connection shares one server connection: the prepared statements
pg_async.c sends in pipeline mode collide there (42P05) or are lost when the server
connection is replaced (26000), and the engine must go on with plain queries.
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

from harness import Dbfleet, Failure, Skip, lab, psql, psql_bg, write_config


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Pgbouncer:
    """pgbouncer in a temporary directory, as 'nobody' when we are root (it refuses root)."""

    def __init__(self, server_port):
        exe = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)
        if not exe:
            raise Skip("pgbouncer is not installed (apt-get install pgbouncer)")
        self.dir = tempfile.mkdtemp(prefix="dbfleet-pgbouncer-")
        self.port = free_port()
        with open(os.path.join(self.dir, "userlist.txt"), "w") as f:
            f.write('"mon" ""\n"postgres" ""\n')  # trust still wants the user listed
        with open(os.path.join(self.dir, "pgbouncer.ini"), "w") as f:
            f.write("[databases]\npostgres = host=127.0.0.1 port=%s dbname=postgres\n\n"
                    "[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = %d\nunix_socket_dir =\n"
                    "auth_type = trust\nauth_file = %s/userlist.txt\nadmin_users = postgres\n"
                    "pool_mode = transaction\ndefault_pool_size = 1\nmax_client_conn = 50\n"
                    # dbfleet sends its timeouts as the 'options' startup parameter, which
                    # pgbouncer refuses unless told to ignore it
                    "ignore_startup_parameters = options\n"
                    "logfile = %s/pgbouncer.log\n" % (server_port, self.port, self.dir, self.dir))
        kw = {}
        if os.getuid() == 0:
            os.chown(self.dir, 65534, -1)
            kw = {"user": "nobody", "group": "nogroup", "extra_groups": []}
        self.out = open(os.path.join(self.dir, "stderr"), "w")
        self.proc = subprocess.Popen([exe, os.path.join(self.dir, "pgbouncer.ini")], stdout=self.out,
                                     stderr=subprocess.STDOUT, **kw)
        deadline = time.time() + 10
        while True:
            if self.proc.poll() is not None:
                why = open(os.path.join(self.dir, "stderr")).read().strip()[-300:]
                self.close()
                raise Skip("pgbouncer did not start: %s" % why)
            try:
                self.admin("SHOW VERSION")
                return
            except Failure:
                if time.time() > deadline:
                    self.close()
                    raise Skip("pgbouncer did not answer within 10s")
                time.sleep(0.1)

    def admin(self, sql):
        """A command on pgbouncer's admin console; its rows, '|'-separated."""
        return psql(sql, port=self.port, db="pgbouncer", user="postgres")

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def primary_log_since(offset):
    with open(os.path.join(lab()["LAB_DIR"], "primary.log"), errors="replace") as f:
        f.seek(offset)
        return f.read()


def stays_ok(d, names, ticks=5):
    """Every screen over 'ticks' refreshes (the clock at the top right) shows each
    target ok with fresh samples, and nothing DOWN or STALLED."""
    seen = set()
    deadline = time.time() + ticks * 3 + 5
    while len(seen) < ticks:
        s = d.screen()
        assert not re.search(r"\b(DOWN|STALLED)\b", s), "a target flapped:\n" + s
        for name in names:
            assert re.search(r"^%s\s+postgres\s+primary\s+ok\s" % name, s, re.M), "%s not ok:\n%s" % (name, s)
        if re.search(r"\| samples [\d.]+s\.\.[01]\.\ds old", s):
            seen.add(s.splitlines()[0].split()[-1])
        assert time.time() < deadline, "samples not fresh over %d refreshes:\n%s" % (ticks, s)
        time.sleep(0.1)


def test_targets_behind_a_transaction_pooler_stay_ok():
    L = lab()
    pgb = Pgbouncer(L["PG_PRIMARY_PORT"])
    log_at = os.path.getsize(os.path.join(L["LAB_DIR"], "primary.log"))
    names = ["pooled-%d" % i for i in range(1, 5)]
    d = Dbfleet(["-c", write_config([(n, "host=127.0.0.1 port=%d user=mon dbname=postgres" % pgb.port)
                                      for n in names])], width=140)
    try:
        for name in names:
            d.wait_for(r"^%s\s+postgres\s+primary\s+ok\s" % name, timeout=20)
        stays_ok(d, names)
        # really pooled: four clients on one server connection
        clients = [r for r in pgb.admin("SHOW CLIENTS").splitlines() if r.split("|")[1:3] == ["mon", "postgres"]]
        servers = [r for r in pgb.admin("SHOW SERVERS").splitlines() if r.split("|")[1:3] == ["mon", "postgres"]]
        assert len(clients) == 4 and len(servers) == 1, (clients, servers)
        # the later connections' prepares met the first one's on the shared server
        assert re.search(r'ERROR:  prepared statement "dbfleet_\d+_[0-9a-f]{8}" already exists', primary_log_since(log_at))

        # sessions, locks and digests too (the detail parts), through the pooler: a session
        # of our own to see, on the primary directly
        sleeper = psql_bg("SELECT pg_sleep(20)", "pooler-test")
        try:
            d.keys("4")
            d.wait_for(r"^\s+\d+\s+app\s+app\s+pooler-test\s+\S+\s+active\s", timeout=10)
        finally:
            sleeper.terminate()
            sleeper.wait()
        d.keys("1")

        # a new server connection: whatever was still prepared is gone (26000)
        log_at = os.path.getsize(os.path.join(L["LAB_DIR"], "primary.log"))
        pgb.admin("RECONNECT postgres")
        stays_ok(d, names)
        log = primary_log_since(log_at)
        assert re.search(r'ERROR:  prepared statement "dbfleet_\d+_[0-9a-f]{8}" does not exist', log), log[-2000:]
        stays_ok(d, names)
    finally:
        d.close()
        pgb.close()
