"""A MariaDB promote is three statements sent one at a time: when dbfleet quits or a
statement hangs part way, the audit log names the statements answered, the one sent
without an answer and the ones never sent, and the replica's real state matches."""
import os
import re
import select
import signal
import subprocess
import time

from harness import Failure, Watch, lab, mdb, require_mariadb


def _replica_dsn():
    # root over the replica's socket: the promote needs SUPER (the lab's mon cannot)
    return "mysql://root@localhost/?socket=%s/mdb-replica.sock" % lab()["LAB_DIR"]


class _ReadLock:
    """FLUSH TABLES WITH READ LOCK held on the replica, then one write on the primary:
    the replica's SQL thread waits for the lock, so STOP REPLICA waits for it too."""

    def __init__(self):
        self.p = subprocess.Popen(["mariadb", "--no-defaults", "-uroot", "-N", "-B", "--unbuffered",
                                   "--socket=%s/mdb-replica.sock" % lab()["LAB_DIR"]],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            self.p.stdin.write(b"FLUSH TABLES WITH READ LOCK; SELECT 'locked';\n")
            self.p.stdin.flush()
            # the lock held before the write it must hold up is sent
            if not select.select([self.p.stdout], [], [], 30)[0] or self.p.stdout.readline() != b"locked\n":
                raise Failure("FLUSH TABLES WITH READ LOCK did not answer on the replica")
            mdb("INSERT INTO app.t (v, pad) VALUES (-1, 'held by the read lock')")
            _until(lambda: re.search(r"Slave_SQL\s+\d+\s+Waiting for (backup|global read) lock",
                                     mdb("SHOW PROCESSLIST", "replica")),
                   "the replica's SQL thread never waited for the read lock")
        except Exception:
            self.release()
            raise

    def release(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            self.p.wait(timeout=10)


def _until(cond, why, timeout=30):
    deadline = time.time() + timeout
    while not cond():
        if time.time() > deadline:
            raise Failure(why)
        time.sleep(0.1)


def _replica_state():
    """(replication configured, SQL thread running, read_only) as the server says."""
    st = subprocess.run(["mariadb", "--no-defaults", "-uroot", "--socket=%s/mdb-replica.sock" % lab()["LAB_DIR"],
                         "-e", "SHOW REPLICA STATUS\\G"], capture_output=True, text=True, timeout=30).stdout
    running = re.search(r"Slave_SQL_Running: (\w+)", st)
    return bool(re.search(r"Master_Host: 127\.0\.0\.1", st)), running and running.group(1) == "Yes", \
        mdb("SELECT @@read_only", "replica") == "1"


def _restore():
    """The lab's replica as it was: replicating from the primary, read-only."""
    mdb("STOP SLAVE", "replica")
    if not _replica_state()[0]:
        mdb("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%s, MASTER_USER='repl', "
            "MASTER_USE_GTID=slave_pos" % lab()["MDB_PRIMARY_PORT"], "replica")
    mdb("SET GLOBAL read_only = ON; START SLAVE", "replica")
    _until(lambda: _replica_state() == (True, True, True), "the lab's replica did not come back")


def _replicating():
    """The lab's replica running and caught up with the primary (an earlier test may have left
    it stopped or behind): the write the read lock holds up must be the next it applies."""
    if not _replica_state()[1]:
        mdb("START SLAVE", "replica")
    pos = mdb("SELECT @@gtid_current_pos")
    _until(lambda: _replica_state()[1] and mdb("SELECT @@gtid_slave_pos", "replica") == pos,
           "the lab's replica is not replicating")


def _promote_hung_on_stop(timeout):
    """dbfleet on the replica, the promote confirmed while STOP REPLICA waits on the read lock."""
    _replicating()
    r = Watch([("mdb-replica", _replica_dsn(), {"timeout": str(timeout)})])
    lock = None
    try:
        r.d.wait_for(r"^mdb-replica\s+mysql\s+replica\s+ok")
        r.d.keys("1", "Home", "C-p")
        r.d.wait_for(r"Promote the replica mdb-replica .* to a primary\?")
        r.d.wait_for(r"Esc aborts\.")
        lock = _ReadLock()
        r.d.keys(*"mdb-replica")
        r.d.keys("Enter")
        _until(lambda: "Killing slave" in mdb("SHOW PROCESSLIST", "replica"), "STOP REPLICA was never sent")
    except Exception:
        if lock:
            lock.release()
        r.close()
        _restore()
        raise
    return r, lock


def test_mariadb_promote_quit_part_way_names_each_statement():
    """Quit (q, y) while STOP REPLICA waits: the abandoned record says it was sent without
    an answer and the other two were never sent; the server agrees: still configured as a
    replica and read-only."""
    require_mariadb()
    r, lock = _promote_hung_on_stop(30)
    try:
        # the actions pane says how far it got while it waits
        r.d.keys("6")
        r.d.wait_for(r"so far: STOP REPLICA sent, no answer")
        r.d.keys("q")
        r.d.wait_for(r"Quit anyway\?")
        r.d.keys("y")
        r.d.wait_for(r"^EXITED \d+", timeout=5)
        audit = r.audit()
        assert [a["phase"] for a in audit] == ["intent", "abandoned"], audit
        m = audit[1]["message"]
        assert ("abandoned: dbfleet quit part way: STOP REPLICA sent, no answer; RESET REPLICA ALL not sent;"
                " SET GLOBAL read_only = OFF not sent: replication may be stopped; the server is still"
                " read-only") == m, m
        lock.release()
        # STOP REPLICA ends once the lock goes; the two never sent did not run
        _until(lambda: not _replica_state()[1], "STOP REPLICA never ended")
        assert _replica_state() == (True, False, True), _replica_state()
    finally:
        lock.release()
        r.close()
        _restore()


def test_mariadb_promote_hung_then_sighup_records_each_statement():
    """SIGHUP while STOP REPLICA waits: dbfleet waits for the action headless; the
    statement's read timeout (the target's 3 s) ends it, and the outcome names the one
    sent without an answer and the two never sent."""
    require_mariadb()
    r, lock = _promote_hung_on_stop(3)
    try:
        os.kill(r.d.pid(), signal.SIGHUP)
        s = r.d.wait_for(r"^EXITED \d+", timeout=30)
        assert "EXITED %d" % (128 + signal.SIGHUP) in s, s
        audit = r.audit()
        assert [a["phase"] for a in audit] == ["intent", "outcome"], audit
        assert audit[1]["result"] == "FAILED", audit
        m = audit[1]["message"]
        assert m.startswith("STOP REPLICA sent, no answer (") and m.endswith(
            "; RESET REPLICA ALL not sent; SET GLOBAL read_only = OFF not sent: replication may be stopped;"
            " the server is still read-only"), m
        lock.release()
        _until(lambda: not _replica_state()[1], "STOP REPLICA never ended")
        assert _replica_state() == (True, False, True), _replica_state()
    finally:
        lock.release()
        r.close()
        _restore()
