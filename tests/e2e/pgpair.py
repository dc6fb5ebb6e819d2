"""A throwaway PostgreSQL primary and streaming replica of a test's own, in a temp dir, on free
ports (the lab's pair is shared: tests must not stop or promote it). Made as tests/lab.sh makes
the lab's: initdb, pg_basebackup -R; as root the servers run as 'nobody'. A few seconds."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

from harness import Failure, lab


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _as_lab(cmd):
    return (["runuser", "-u", "nobody", "--"] if os.getuid() == 0 else []) + cmd


CONF = """port = {port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '{dir}'
wal_level = replica
max_wal_senders = 5
hot_standby = on
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 40
shared_buffers = 16MB
wal_receiver_status_interval = 1s
log_min_messages = warning
"""


class PgPair:
    def __init__(self):
        self.bin = lab()["PG_BIN"]
        self.dir = tempfile.mkdtemp(prefix="dbfleet-pair-")
        os.chmod(self.dir, 0o755)
        if os.getuid() == 0:
            shutil.chown(self.dir, "nobody")
        self.primary_port, self.replica_port = _free_port(), _free_port()
        self.started = []
        try:
            self._make()
        except Exception:
            self.close()
            raise

    def _run(self, cmd, log):
        with open(os.path.join(self.dir, log), "ab") as f:
            r = subprocess.run(_as_lab(cmd), stdout=f, stderr=subprocess.STDOUT, timeout=60)
        if r.returncode != 0:
            with open(os.path.join(self.dir, log), errors="replace") as f:
                raise Failure("%s failed:\n%s" % (cmd[0], f.read()[-2000:]))

    def _conf(self, data, port):
        with open(os.path.join(data, "postgresql.conf"), "a") as f:
            f.write(CONF.format(port=port, dir=self.dir))

    def _make(self):
        p, r = os.path.join(self.dir, "primary"), os.path.join(self.dir, "replica")
        self._run([self.bin + "/initdb", "-D", p, "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8",
                   "--no-sync"], "initdb.log")
        self._conf(p, self.primary_port)
        with open(os.path.join(p, "pg_hba.conf"), "a") as f:
            f.write("host replication all 127.0.0.1/32 trust\n")
        self.start("primary")
        self._run([self.bin + "/pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
                   "-D", r, "-X", "stream", "-R", "-c", "fast", "--no-sync"], "basebackup.log")
        self._conf(r, self.replica_port)
        with open(os.path.join(r, "postgresql.auto.conf"), "a") as f:
            f.write("primary_conninfo = 'host=127.0.0.1 port=%d user=postgres application_name=replica'\n"
                    % self.primary_port)
        self.start("replica")

    def start(self, name):
        d = os.path.join(self.dir, name)
        self._run([self.bin + "/pg_ctl", "-D", d, "-l", os.path.join(self.dir, name + ".log"), "-w", "-t", "60",
                   "start"], "pg_ctl.log")
        if name not in self.started:
            self.started.append(name)

    def stop(self, name, mode="immediate"):
        self._run([self.bin + "/pg_ctl", "-D", os.path.join(self.dir, name), "-m", mode, "-w", "stop"], "pg_ctl.log")
        self.started.remove(name)

    def promote(self):
        self._run([self.bin + "/pg_ctl", "-D", os.path.join(self.dir, "replica"), "-w", "promote"], "pg_ctl.log")

    def psql(self, sql, port):
        r = subprocess.run([self.bin + "/psql", "-X", "-A", "-t", "-q", "-h", "127.0.0.1", "-p", str(port),
                            "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql],
                           capture_output=True, text=True, timeout=20)
        if r.returncode != 0:
            raise Failure("psql failed: %s\n%s" % (sql, r.stderr))
        return r.stdout.strip()

    def wait_streaming(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.psql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
                         self.primary_port) == "1":
                return
            time.sleep(0.1)
        raise Failure("the throwaway replica never streamed")

    def close(self):
        for name in list(self.started):
            try:
                self.stop(name)
            except Exception:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
