"""A server that sends far more rows than dbfleet asks for (it ignores LIMIT, or what
dbfleet reads is shadowed): reading stops at the bound of engines/rs.h, the connection
is dropped, the target says why on screen, and dbfleet's memory stays bounded."""
import re
import socket
import tempfile
import threading
import time

from harness import Dbfleet, Failure, dsn, lab, psql, require_mariadb, write_config

ROWS = 500000  # ten times the bound; read whole they take 170 MiB and more


def _peak_rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) / 1024


def _until(cond, why, timeout=10):
    deadline = time.time() + timeout
    while not cond():
        if time.time() > deadline:
            raise Failure(why)
        time.sleep(0.1)


def _dbfleet(cfg):
    """dbfleet on 'cfg' with ASan's quarantine of freed memory kept small: it would
    otherwise hold 256 MiB of freed rows in the RSS that the test measures."""
    log = tempfile.mktemp(prefix="dbfleet-asan-")
    d = Dbfleet(["-c", cfg], width=160, env={"ASAN_OPTIONS": "log_path=%s:detect_leaks=1:quarantine_size_mb=8" % log,
                                  "UBSAN_OPTIONS": "log_path=%s:print_stacktrace=1:halt_on_error=1" % log})
    d.asan_log = log  # where the harness looks for reports at close
    return d


def _refused_on_screen(d, pane_key, pattern):
    """Open the pane that asks for the detailed sample; the refusal shows on screen within
    its refresh; dbfleet's peak RSS before and after."""
    before = _peak_rss_mib(d.pid())
    d.keys(pane_key)
    s = d.wait_for(pattern, timeout=20)
    return s, before, _peak_rss_mib(d.pid())


def test_pg_statement_statistics_past_the_bound_are_refused():
    """pg_stat_statements(false) shadowed by a function of the same name that returns half
    a million rows (the statement dbfleet sends has no LIMIT: the table is bounded by
    pg_stat_statements.max on a real server): the queries pane's sample stops at 50,000
    rows, the connection is dropped (its backend is gone) with the reason on screen, and
    the peak RSS grows by far less than the rows would take read whole."""
    psql("DROP DATABASE IF EXISTS bigresult")
    psql("CREATE DATABASE bigresult")
    psql("CREATE SCHEMA stats; CREATE EXTENSION pg_stat_statements SCHEMA stats;"
         " ALTER EXTENSION pg_stat_statements DROP VIEW stats.pg_stat_statements;"
         " DROP VIEW stats.pg_stat_statements;"
         " ALTER EXTENSION pg_stat_statements DROP FUNCTION stats.pg_stat_statements(boolean);"
         " DROP FUNCTION stats.pg_stat_statements(boolean);"
         " CREATE FUNCTION stats.pg_stat_statements(showtext boolean, OUT userid oid, OUT dbid oid,"
         "  OUT toplevel bool, OUT queryid bigint, OUT calls bigint, OUT total_exec_time float8, OUT rows bigint)"
         " RETURNS SETOF record LANGUAGE sql AS $$ SELECT 10::oid, 1::oid, true, g::bigint, 1::bigint,"
         " 1.0::float8, 1::bigint FROM generate_series(1, %d) g $$" % ROWS, db="bigresult")
    cfg = write_config([("shadowed", dsn(lab()["PG_PRIMARY_PORT"], user="postgres", db="bigresult"),
                         {"timeout": "10"})])
    d = _dbfleet(cfg)
    try:
        d.wait_for(r"^shadowed\s+postgres\s+primary\s+ok")
        backend = psql("SELECT pid FROM pg_stat_activity WHERE datname = 'bigresult'"
                       " AND application_name = 'dbfleet'")
        s, before, after = _refused_on_screen(
            d, "3", r"result over 50000 rows: the server ignored LIMIT; connection dropped")
        print("  peak RSS %.0f MiB before the queries pane, %.0f MiB after the refusal" % (before, after))
        assert after - before < 40, (before, after)
        _until(lambda: not psql("SELECT pid FROM pg_stat_activity WHERE pid = %s" % backend),
               "dbfleet's connection %s was not dropped" % backend)
    finally:
        d.close()
        psql("DROP DATABASE IF EXISTS bigresult WITH (FORCE)")


class _IgnoresLimit:
    """A MariaDB server that ignores LIMIT, made of the lab's primary behind a proxy on
    loopback: the sessions statement of each sample reaches it as one that returns
    ROWS rows; everything else passes unchanged (plaintext: the primary offers no TLS)."""

    SESSIONS = re.compile(rb"SELECT PROCESSLIST_ID, .*? LIMIT 500")
    ROWS_SQL = (b"SET STATEMENT max_recursive_iterations = 4294967295 FOR WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
                b" SELECT i, 'app', '127.0.0.1:1', '', 'Sleep', 0, '', '', -1 FROM n" % ROWS)

    def __init__(self):
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(16)
        self.port = self.ls.getsockname()[1]
        self.rewritten = 0
        self.dropped = 0  # connections dbfleet closed after a rewritten statement
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            s = socket.create_connection(("127.0.0.1", int(lab()["MDB_PRIMARY_PORT"])))
            threading.Thread(target=self._pipe, args=(s, c), daemon=True).start()
            threading.Thread(target=self._client, args=(c, s), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                b = src.recv(65536)
                if not b:
                    break
                dst.sendall(b)
        except OSError:
            pass
        for x in (src, dst):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _client(self, c, s):
        """Client packets (3-byte length, sequence, payload), COM_QUERY rewritten."""
        buf, mine = b"", 0
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                buf += b
                while len(buf) >= 4 and len(buf) >= 4 + int.from_bytes(buf[:3], "little"):
                    n = int.from_bytes(buf[:3], "little")
                    seq, payload, buf = buf[3:4], buf[4:4 + n], buf[4 + n:]
                    if payload[:1] == b"\x03" and self.SESSIONS.search(payload):
                        payload = self.SESSIONS.sub(self.ROWS_SQL, payload)
                        self.rewritten += 1
                        mine += 1
                    s.sendall(len(payload).to_bytes(3, "little") + seq + payload)
        except OSError:
            pass
        self.dropped += mine > 0
        for x in (c, s):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.ls.close()


def test_mariadb_sessions_past_the_bound_are_refused():
    """The sessions statement answered with half a million rows despite its LIMIT 500: the
    sampler reads them one at a time (mysql_fetch_row_start/_cont), stops at 50,000,
    drops the connection (the proxy sees dbfleet close it) and says why on screen; the peak RSS
    stays far below what the rows would take read whole."""
    require_mariadb()
    proxy = _IgnoresLimit()
    cfg = write_config([("ignores-limit", "mysql://mon@127.0.0.1:%d/" % proxy.port, {"timeout": "10"})])
    d = _dbfleet(cfg)
    try:
        d.wait_for(r"^ignores-limit\s+mysql\s+primary\s+ok")
        s, before, after = _refused_on_screen(
            d, "4", r"result over 50000 rows: the server ignored LIMIT; connection dropped")
        print("  peak RSS %.0f MiB before the sessions pane, %.0f MiB after the refusal" % (before, after))
        assert proxy.rewritten >= 1
        assert after - before < 40, (before, after)
        _until(lambda: proxy.dropped >= 1, "dbfleet kept the connection that sent too many rows")
    finally:
        d.close()
        proxy.close()
