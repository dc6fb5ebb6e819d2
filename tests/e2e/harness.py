"""harness.py - drive the real dbfleet binary in tmux and the lab's servers.

Every wait polls for what a person would see, with a deadline; nothing
sleeps a fixed time and hopes. Standard library only.
"""
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("DBFLEET_BIN", os.path.join(ROOT, "build-asan", "dbfleet"))


class Failure(AssertionError):
    pass


class Skip(Exception):
    """A test that cannot run here: run.py prints SKIP with the reason, never PASS."""


def lab_env():
    """The running lab's ports and paths (tests/lab.sh writes LAB_DIR/env)."""
    path = os.path.join(os.environ["LAB_DIR"], "env")
    env = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            env[k] = v
    return env


LAB = None


def lab():
    global LAB
    if LAB is None:
        LAB = lab_env()
    return LAB


def psql(sql, port=None, db="postgres", user="postgres", check=True):
    """Run SQL with the real psql; returns stdout stripped (unaligned, no headers)."""
    port = port or lab()["PG_PRIMARY_PORT"]
    cmd = [os.path.join(lab()["PG_BIN"], "psql"), "-X", "-A", "-t", "-q", "-h", "127.0.0.1",
           "-p", str(port), "-U", user, "-d", db, "-v", "ON_ERROR_STOP=1", "-c", sql]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise Failure("psql failed: %s\n%s" % (sql, r.stderr))
    return r.stdout.strip()


def dsn(port, user="mon", db="postgres"):
    return "host=127.0.0.1 port=%s user=%s dbname=%s" % (port, user, db)


def write_config(targets, extra=""):
    """targets: list of (name, dsn[, options dict]); returns the config path."""
    fd, path = tempfile.mkstemp(prefix="dbfleet-test-", suffix=".conf")
    with os.fdopen(fd, "w") as f:
        f.write("[dbfleet]\nrefresh = 1\ntimeout = 2\n%s\n" % extra)
        for t in targets:
            engine = "mysql" if t[1].startswith("mysql://") else "odbc" if t[1].startswith("odbc:") else "postgres"
            f.write("[target %s]\nengine = %s\ndsn = %s\n" % (t[0], engine, t[1]))
            for k, v in (t[2] if len(t) > 2 else {}).items():
                f.write("%s = %s\n" % (k, v))
    return path


LSAN_OPTIONS = "suppressions=%s:print_suppressions=0" % os.path.join(ROOT, "tests", "lsan.supp")


class Dbfleet:
    """dbfleet running in its own tmux server at a fixed size."""

    def __init__(self, args, width=120, height=40, env=None, prefix=()):
        """'prefix': a command line dbfleet runs under (e.g. unshare), given the rest as arguments."""
        self.sock = "dbfleet-test-%d-%d" % (os.getpid(), int(time.time() * 1000) % 100000)
        self.asan_log = tempfile.mktemp(prefix="dbfleet-asan-")
        e = {"DBFLEET_KEYMAPS": os.path.join(ROOT, "keymaps"), "LANG": "C.UTF-8",
             "LC_ALL": "C.UTF-8", "TERM": "tmux-256color", "HOME": os.environ.get("HOME", "/root"),
             "ASAN_OPTIONS": "log_path=%s:detect_leaks=1" % self.asan_log,
             "LSAN_OPTIONS": LSAN_OPTIONS,
             # atexit_sleep_ms=0: TSan otherwise sleeps 1 s at exit while any thread lives
             # (a pool worker stuck on a hung host), which the quit-time tests would measure
             "TSAN_OPTIONS": "log_path=%s:halt_on_error=0:atexit_sleep_ms=0:suppressions=%s" % (
                 self.asan_log, os.path.join(ROOT, "tests", "tsan.supp")),
             "UBSAN_OPTIONS": "log_path=%s:print_stacktrace=1:halt_on_error=1" % self.asan_log,
             "XDG_CONFIG_HOME": tempfile.mkdtemp(prefix="dbfleet-xdg-")}
        e.update(env or {})
        envs = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in e.items())
        self.cmdline_tag = " ".join([BINARY] + list(args))
        cmd = "%s env %s %s %s; echo EXITED $?; sleep 600" % (
            " ".join(shlex.quote(a) for a in prefix), envs, shlex.quote(BINARY),
            " ".join(shlex.quote(a) for a in args))
        self.tmux("new-session", "-d", "-x", str(width), "-y", str(height), cmd)
        self.tmux("set-option", "-g", "remain-on-exit", "on")

    def tmux(self, *args):
        r = subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null"] + list(args),
                           capture_output=True, text=True, timeout=20)
        if r.returncode != 0 and args[0] not in ("kill-server",):
            raise Failure("tmux %s: %s" % (args[0], r.stderr.strip()))
        return r.stdout

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "0")

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "0", *keys)

    def wait_for(self, pattern, timeout=15.0, gone=False):
        """Poll the screen until the regex matches (or stops matching, with gone)."""
        deadline = time.time() + timeout
        while True:
            s = self.screen()
            found = re.search(pattern, s, re.M) is not None
            if found != gone:
                return s
            if time.time() > deadline:
                raise Failure("%s %r within %.0fs; screen:\n%s" % (
                    "still saw" if gone else "never saw", pattern, timeout, s))
            time.sleep(0.1)

    def type(self, text):
        """Type 'text' literally (no key names)."""
        self.tmux("send-keys", "-t", "0", "-l", text)

    def pid(self):
        """The dbfleet process's pid (below the pane's shell, and any prefix), or None."""
        exe = os.path.realpath(BINARY)
        walk = [int(self.tmux("display-message", "-p", "-t", "0", "#{pane_pid}").strip())]
        while walk:
            pid = walk.pop()
            try:
                if os.path.realpath("/proc/%d/exe" % pid) == exe:
                    return pid
                with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                    walk += [int(c) for c in f.read().split()]
            except OSError:
                continue
        return None

    def threads(self):
        """How many threads dbfleet has now."""
        pid = self.pid()
        if pid is None:
            raise Failure("no dbfleet process; screen:\n" + self.screen())
        return len(os.listdir("/proc/%d/task" % pid))

    def status(self):
        """The status bar's figures: dict up, stalled, down, newest, oldest (seconds; None for "-")."""
        return parse_status(self.screen())

    def resize(self, w, h):
        self.tmux("resize-window", "-t", "0", "-x", str(w), "-y", str(h))

    def log_output(self, path):
        """Copy every byte dbfleet writes to the terminal into 'path' from now on."""
        self.tmux("pipe-pane", "-t", "0", "-o", "cat >> %s" % shlex.quote(path))

    def quit_and_wait(self, timeout=3.0):
        """Press q; the time until the process has exited."""
        t0 = time.time()
        self.keys("q")
        self.wait_for(r"^EXITED \d+", timeout=timeout)
        return time.time() - t0

    def exit_status(self):
        m = re.search(r"^EXITED (\d+)", self.screen(), re.M)
        return int(m.group(1)) if m else None

    def close(self):
        """Quit as a user would (any overlay closed first); a dbfleet that
        does not leave within 3 s is a failure, and is killed."""
        stuck = False
        if self.exit_status() is None:
            self.keys("Escape")
            time.sleep(0.05)
            self.keys("q")
            deadline = time.time() + 3
            while self.exit_status() is None and time.time() < deadline:
                time.sleep(0.05)
            stuck = self.exit_status() is None
        self.tmux("kill-server")
        if stuck:
            subprocess.run(["pkill", "-9", "-f", self.cmdline_tag])
            raise Failure("dbfleet did not exit within 3s of q")
        reports = [f for f in os.listdir(os.path.dirname(self.asan_log))
                   if f.startswith(os.path.basename(self.asan_log))]
        text = ""
        for f in reports:
            p = os.path.join(os.path.dirname(self.asan_log), f)
            with open(p, errors="replace") as fh:
                text += fh.read()
            os.unlink(p)
        if text:
            raise Failure("sanitizer report:\n" + text[:4000])


def varint(data, pos):
    """A varint at data[pos:]: (value, the position after it)."""
    v, shift = 0, 0
    while pos < len(data):
        b = data[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return v, pos


def record_frames(data):
    """The whole frames of a --record file (collectors/codec.h: 0xDB 0xF1, type, varint length,
    CRC32C, payload) as (start, type, end, payload); stops at a cut or at bytes that are no frame."""
    out, pos = [], 0
    while pos + 3 <= len(data) and data[pos:pos + 2] == b"\xdb\xf1":
        length, p = varint(data, pos + 3)
        end = p + 4 + length
        if end > len(data):
            break
        out.append((pos, data[pos + 2], end, data[p + 4:end]))
        pos = end
    return out


def parse_age(text):
    """Seconds from what fmt_age prints ("0.4s", "42s", "3m05s", "2h10m", "3d04h"); None for "-"."""
    if text == "-":
        return None
    m = re.fullmatch(r"(\d+)d(\d+)h|(\d+)h(\d+)m|(\d+)m(\d+)s|([\d.]+)s", text)
    if not m:
        raise Failure("not an age: %r" % text)
    g = m.groups()
    if g[0]:
        return int(g[0]) * 86400 + int(g[1]) * 3600
    if g[2]:
        return int(g[2]) * 3600 + int(g[3]) * 60
    if g[4]:
        return int(g[4]) * 60 + int(g[5])
    return float(g[6])


STATUS = re.compile(r"^ (\d+) up  (\d+) stalled  (\d+) down \| samples (\S+)\.\.(\S+) old \|", re.M)


def parse_status(screen):
    """The status bar's " N up  N stalled  N down | samples A..B old |" as a dict, or None
    (a message can stand in its place for a moment)."""
    m = STATUS.search(screen)
    if not m:
        return None
    return {"up": int(m[1]), "stalled": int(m[2]), "down": int(m[3]),
            "newest": parse_age(m[4]), "oldest": parse_age(m[5])}


class _Silent:
    """A socket a thread reads from and never answers: 'self.sock' set up by the subclass,
    '_once' takes one thing from it (times out every 0.2 s so close() is prompt)."""

    def _start(self):
        self.stop = False
        self.sock.settimeout(0.2)
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while not self.stop:
            try:
                self._once()
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.sock.close()


class SilentListener(_Silent):
    """A TCP port that accepts connections and never says a word."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self._start()

    def _once(self):
        c, _ = self.sock.accept()
        self.conns.append(c)

    def close(self):
        for c in self.conns:
            c.close()
        super().close()


class SilentDns(_Silent):
    """A DNS server that never answers: a UDP socket on 127.0.0.x port 53 (root only) whose
    queries a thread reads and drops. 'queries' counts them."""

    def __init__(self):
        import random
        self.sock = None
        for x in random.sample(range(2, 250), 20):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.bind(("127.0.0.%d" % x, 53))
            except OSError:
                s.close()
                continue
            self.sock, self.addr = s, "127.0.0.%d" % x
            break
        if self.sock is None:
            raise Skip("cannot bind a UDP socket on port 53 of 127.0.0.x (needs root)")
        self.queries = 0
        self._start()

    def _once(self):
        self.sock.recv(4096)
        self.queries += 1


class Watch:
    """dbfleet in tmux on a config file of its own, with its own XDG state directory
    (the audit log): what the action tests share. 'env_of(state)', when given, makes
    the environment from that directory."""

    def __init__(self, targets, extra="", width=160, height=45, args=(), env_of=None):
        self.state = tempfile.mkdtemp(prefix="dbfleet-state-")
        self.cfg = write_config(targets, extra=extra)
        env = env_of(self.state) if env_of else {"XDG_STATE_HOME": self.state}
        self.d = Dbfleet(["-c", self.cfg] + list(args), width=width, height=height, env=env)

    def audit(self):
        return read_audit(self.state)

    def close(self):
        try:
            self.d.close()
        finally:
            os.unlink(self.cfg)
            shutil.rmtree(self.state)


def read_audit(state_dir):
    """The audit log dbfleet wrote under XDG_STATE_HOME=state_dir, as a list of records."""
    path = os.path.join(state_dir, "dbfleet", "audit.log")
    if not os.path.exists(path):
        return []
    import json
    with open(path) as f:
        return [json.loads(line) for line in f]


def run_cli(args, env=None, timeout=10):
    e = dict(os.environ)
    e["DBFLEET_KEYMAPS"] = os.path.join(ROOT, "keymaps")
    e["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="dbfleet-xdg-")
    e["LSAN_OPTIONS"] = LSAN_OPTIONS
    e.update(env or {})
    return subprocess.run([BINARY] + args, capture_output=True, text=True, timeout=timeout, env=e)


def psql_bg(sql, app, db="app", user="app", port=None):
    """Start psql in the background as application 'app' (a session to look at)."""
    port = port or lab()["PG_PRIMARY_PORT"]
    return subprocess.Popen([os.path.join(lab()["PG_BIN"], "psql"), "-X", "-h", "127.0.0.1", "-p", str(port),
                             "-U", user, "-d", db, "-c", sql], env=dict(os.environ, PGAPPNAME=app),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def watch(name, port, role="primary", **dsn_args):
    """dbfleet on one lab target, once its fleet row says ok."""
    d = Dbfleet(["-c", write_config([(name, dsn(port, **dsn_args))])])
    try:
        d.wait_for(r"^%s\s+postgres\s+%s\s+ok" % (re.escape(name), role))
    except Exception:
        d.close()
        raise
    return d


def has_mariadb():
    return "MDB_PRIMARY_PORT" in lab()


def require_mariadb():
    """Skip the calling test where the lab has no MariaDB."""
    if not has_mariadb():
        raise Skip("the lab has no MariaDB (is mariadb-server installed?)")


def mdb(sql, which="primary", user=None):
    """Run SQL with the real mariadb client: as root over the lab's socket, or as 'user' over TCP."""
    if user:
        args = ["-h", "127.0.0.1", "-P", lab()["MDB_%s_PORT" % which.upper()], "-u", user]
    else:
        args = ["-uroot", "--socket=%s/mdb-%s.sock" % (lab()["LAB_DIR"], which)]
    r = subprocess.run(["mariadb", "--no-defaults", "-N", "-B"] + args + ["-e", sql],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise Failure("mariadb failed: %s\n%s" % (sql, r.stderr))
    return r.stdout.strip()


def mysql_dsn(which="primary", user="mon"):
    return "mysql://%s@127.0.0.1:%s/" % (user, lab()["MDB_%s_PORT" % which.upper()])


def assert_rates_sane(d, seconds=6):
    """Watch the queries pane: every rate is a number >= 0 and not absurd."""
    seen = 0
    deadline = time.time() + seconds
    while time.time() < deadline:
        for line in d.screen().splitlines()[3:-1]:
            cells = line.split()
            if len(cells) < 6 or not re.match(r"^[\d.]+k?$|^-$", cells[0]):
                continue
            for c in cells[:4]:
                v = 0 if c == "-" else float(c[:-1]) * 1000 if c.endswith("k") else float(c)
                assert 0 <= v < 100000, "negative or absurd rate: " + line
            seen += 1
        time.sleep(0.3)
    assert seen > 0, "no statement rows seen"


def dbfleet_backends(port=None):
    """PostgreSQL backends whose application_name is dbfleet, as a set of pid strings."""
    return set(psql("SELECT pid FROM pg_stat_activity WHERE application_name = 'dbfleet'", port=port).split())


def freeze_new_backend(before, port=None):
    """SIGSTOP the dbfleet backend that appeared since 'before'; its pid (SIGCONT it after)."""
    import signal
    pid = int((dbfleet_backends(port) - before).pop())
    os.kill(pid, signal.SIGSTOP)
    return pid
