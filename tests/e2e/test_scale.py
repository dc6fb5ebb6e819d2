"""test_scale.py - a fleet of hundreds of targets on the lab's servers, as the on-call engineer
sees it: everything comes up and stays fresh, hung hosts and a DNS server that never answers
mark only their own targets, and a pane opened on one target gets its detail at once.

The lab's servers stand for many databases under many names (tests/run.sh starts the lab
with LAB_MAX_CONNECTIONS=400). Fresh means the status bar's "samples A..B old": the oldest
sample stays under two refreshes plus slack.
"""
import os
import re
import tempfile
import time

from harness import (Dbfleet, Failure, SilentDns, SilentListener, Skip, dsn, has_mariadb, lab, mdb, mysql_dsn,
                     parse_status, psql, psql_bg, write_config)

MAX_THREADS = 17  # 3 samplers, 6 + 3 pool workers, the supervisor, main, actions, the prober, AWS
STAGGER_PER_S = 200  # first connects a second (collectors/scheduler.c)
SLACK_S = 1.0        # a busy 2-core machine under ASan: drawing, the 1 s UI tick
TIMEOUT_S = 2        # write_config's
BACKOFF_S = 2        # the first retry's back-off (collectors/sampler.c), then twice that


def bring_up_bound(n):
    """Seconds for n targets to be up: their staggered starts, then room for two retries. The
    lab's two PostgreSQL servers stand in for hundreds of databases: a hundred connects in half a
    second on a busy 2-core machine take a second or more each, and some miss the 2 s timeout."""
    return n / STAGGER_PER_S + (TIMEOUT_S + BACKOFF_S) + (TIMEOUT_S + 2 * BACKOFF_S) + 2 * SLACK_S


def fleet(n_per_server):
    """n targets on each of the PostgreSQL primary and replica and the MariaDB primary
    (when the lab has it), each under its own name, given as 127.0.0.1."""
    pg = lab()
    servers = [("pgp", dsn(pg["PG_PRIMARY_PORT"])), ("pgr", dsn(pg["PG_REPLICA_PORT"]))]
    if has_mariadb():
        servers.append(("mdb", mysql_dsn("primary")))
    return [("%s-%03d" % (tag, i), d) for tag, d in servers for i in range(n_per_server)]


def need_connections(n):
    have = int(psql("SHOW max_connections"))
    if have < n + 20:
        raise Skip("the lab's max_connections is %d, %d targets need more (LAB_MAX_CONNECTIONS=400)" % (have, n))


def started(d, n):
    """Wait for the fleet pane of n targets to be drawn (ASan makes the start slow); the time then."""
    d.wait_for(r"fleet - %d targets" % n, timeout=15)
    return time.time()


def pick(d, name, timeout=5):
    """Filter the fleet pane down to the row 'name' ('/' name Enter) and wait until it is the only
    row drawn: a key sent before the rows are filtered would act on the unfiltered rows."""
    d.keys("/")
    d.type(name)
    d.keys("Enter")
    deadline = time.time() + timeout
    while True:
        s = d.screen()
        lines = s.splitlines()
        head = [i for i, l in enumerate(lines) if l.startswith("NAME ")]
        rows = [l for l in lines[head[0] + 1:-1] if l.strip()] if head else []
        if re.search(r"fleet - .*/%s\s" % re.escape(name), s) and rows and \
                all(re.match(r"%s\s" % re.escape(name), l) for l in rows):
            return s
        if time.time() > deadline:
            raise Failure("the fleet pane never showed %s alone; screen:\n%s" % (name, s))
        time.sleep(0.1)


def wait_status(d, pred, timeout, what):
    """Poll the status bar until pred(status) holds; the status when it does."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        st = d.status()
        if st is not None:
            last = st
            if pred(st):
                return st
        time.sleep(0.1)
    raise Failure("never saw %s within %.1fs; last status %s; screen:\n%s" % (what, timeout, last, d.screen()))


def stay_fresh(d, seconds, refresh, up, threads=True):
    """For 'seconds', every status bar says at least 'up' targets up and the oldest sample younger
    than two refreshes plus slack; the thread count stays within MAX_THREADS. The oldest age and
    the most threads seen."""
    bound = 2 * refresh + SLACK_S
    deadline = time.time() + seconds
    oldest = most = 0
    seen = 0
    while time.time() < deadline:
        s = d.screen()
        st = parse_status(s)
        if st is not None:
            seen += 1
            assert st["up"] >= up, "only %d up of %d; screen:\n%s" % (st["up"], up, s)
            assert st["oldest"] is not None and st["oldest"] < bound, \
                "a sample %.1fs old (bound %.1fs); screen:\n%s" % (st["oldest"] or -1, bound, s)
            oldest = max(oldest, st["oldest"])
        if threads:
            n = d.threads()
            most = max(most, n)
            assert n <= MAX_THREADS, "%d threads (at most %d)" % (n, MAX_THREADS)
        time.sleep(0.2)
    assert seen >= seconds, "the status bar was readable only %d times in %.0fs" % (seen, seconds)
    return oldest, most


def test_fleet_of_300_comes_up_and_stays_fresh():
    """300 targets at a 1 s refresh: the fleet pane says 300 up within a bound that grows with the
    fleet (connects are staggered), then every sample stays fresh for several refreshes, on a
    handful of threads."""
    per = 100 if has_mariadb() else 150
    targets = fleet(per)
    n = len(targets)
    need_connections(per)
    cfg = write_config(targets)
    d = Dbfleet(["-c", cfg], width=140, height=40)
    try:
        t0 = started(d, n)
        bound = bring_up_bound(n)
        d.wait_for(r"fleet - %d targets\s+- %d up, newest" % (n, n), timeout=bound)
        took = time.time() - t0
        oldest, most = stay_fresh(d, 5, refresh=1, up=n)
        print("  %d targets up in %.1fs (bound %.1fs); oldest sample %.1fs; %d threads" %
              (n, took, bound, oldest, most))
        st = d.status()
        assert st and st["stalled"] == 0 and st["down"] == 0, d.screen()
    finally:
        d.close()
        os.unlink(cfg)


def test_hung_targets_do_not_delay_the_healthy_ones():
    """20 ports that accept TCP and never answer beside 99 healthy targets: the hung ones are
    STALLED within their timeout (plus slack), the healthy ones keep fresh samples throughout."""
    per = 33
    healthy = fleet(per)
    need_connections(per)
    hung = [SilentListener() for _ in range(4)]
    # five names on each silent port, as five hung hosts; first in the file, so their connects
    # start among the healthy ones'
    bad = [("hung-%02d" % i, dsn(hung[i % 4].port)) for i in range(20)]
    cfg = write_config(bad + healthy)
    d = Dbfleet(["-c", cfg], width=140, height=40)
    try:
        t0 = started(d, len(bad + healthy))
        # every hung target shows STALLED: timeout 2 s after its staggered start, plus slack
        wait_status(d, lambda st: st["stalled"] >= 20, len(bad) / STAGGER_PER_S + TIMEOUT_S + SLACK_S,
                    "20 stalled")
        took = time.time() - t0
        s = d.wait_for(r"^hung-\d\d\s+postgres\s+STALLED", timeout=1)
        assert not re.search(r"^hung-\d\d\s+postgres\s+(?!STALLED)\S", s, re.M), s
        wait_status(d, lambda st: st["up"] == len(healthy), bring_up_bound(len(bad + healthy)),
                    "%d up" % len(healthy))
        # through the hung targets' retries (back-off 2 s, 4 s, ...) the healthy ones stay fresh
        oldest, most = stay_fresh(d, 8, refresh=1, up=len(healthy))
        st = d.status()
        assert st["stalled"] == 20 and st["down"] == 0, d.screen()
        print("  20 hung stalled in %.1fs; %d healthy: oldest sample %.1fs; %d threads" %
              (took, len(healthy), oldest, most))
        if has_mariadb():
            # a healthy MariaDB target that loses its connection reconnects (a connect on the
            # blocking pool) while the hung hosts hang: its next sample fails, it retries after 2 s
            # and connects within its 2 s timeout
            ids = mdb("SELECT GROUP_CONCAT(ID) FROM information_schema.PROCESSLIST WHERE USER = 'mon'")
            for i in ids.split(","):
                try:
                    mdb("KILL %s" % i)
                except Failure:
                    pass  # gone already (a sample that failed for another reason)
            wait_status(d, lambda st: st["up"] < len(healthy), 3, "the MariaDB targets' connections lost")
            t1 = time.time()
            try:
                wait_status(d, lambda st: st["up"] == len(healthy), BACKOFF_S + TIMEOUT_S + 2 * SLACK_S,
                        "all healthy up again")
            except Failure:
                pick(d, "mdb-000")
                d.keys("Enter")
                raise Failure("a MariaDB target did not reconnect while 20 hosts hung; its details:\n" +
                              d.wait_for(r"mdb-000 \(mysql"))
            print("  the MariaDB targets reconnected in %.1fs" % (time.time() - t1))
    finally:
        d.close()
        os.unlink(cfg)
        for h in hung:
            h.close()


def dns_sandbox():
    """A resolv.conf naming a DNS server that never answers, and a script that runs a command
    with it bind-mounted over /etc/resolv.conf in a mount namespace of its own. Skips where
    that cannot be."""
    if os.geteuid() != 0:
        raise Skip("needs root (unshare -m, a socket on port 53)")
    import shutil
    import subprocess
    if not shutil.which("unshare"):
        raise Skip("no unshare(1)")
    hosts = open("/etc/nsswitch.conf").read() if os.path.exists("/etc/nsswitch.conf") else "hosts: files dns"
    line = re.search(r"^hosts:(.*)$", hosts, re.M)
    if not line or "dns" not in line.group(1).split() or "resolve" in line.group(1):
        raise Skip("nsswitch.conf does not send host names to DNS: %r" % (line.group(0) if line else ""))
    if NAME in open("/etc/hosts").read():
        raise Skip("/etc/hosts names %s" % NAME)
    r = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind /dev/null /etc/resolv.conf"],
                       capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        raise Skip("unshare -m with a bind mount is not usable here: %s" % r.stderr.strip())
    dns = SilentDns()
    fd, conf = tempfile.mkstemp(prefix="dbfleet-resolv-")
    with os.fdopen(fd, "w") as f:
        f.write("nameserver %s\noptions timeout:5 attempts:3\n" % dns.addr)
    os.chmod(conf, 0o644)
    fd, script = tempfile.mkstemp(prefix="dbfleet-unshare-", suffix=".sh")
    with os.fdopen(fd, "w") as f:
        f.write('mount --bind "%s" /etc/resolv.conf || exit 97\nexec "$@"\n' % conf)
    return dns, conf, script


NAME = "db.never-resolves.example"


def test_dns_that_never_answers_marks_its_target_only():
    """A target whose host name goes to a DNS server that never answers (getaddrinfo would wait
    15 s): it alone is STALLED with "name lookup" in its error within its timeout; the others keep
    fresh samples; q still quits at once while the lookup hangs on a worker."""
    dns, conf, script = dns_sandbox()
    healthy = fleet(5)
    cfg = write_config([("never", "host=%s port=5432 user=mon dbname=postgres" % NAME)] + healthy)
    d = Dbfleet(["-c", cfg], width=140, height=40, prefix=["unshare", "-m", "sh", script])
    try:
        t0 = started(d, 1 + len(healthy))
        d.wait_for(r"^never\s+postgres\s+STALLED", timeout=TIMEOUT_S + SLACK_S + 0.5)
        took = time.time() - t0
        assert dns.queries > 0, "no query reached the silent DNS server: the name went elsewhere"
        pick(d, "never")
        d.keys("Enter")
        d.wait_for(r"never \(postgres, [^)]*\)\s*\n.*state: STALLED name lookup: no answer after 2s")
        d.keys("Escape")
        d.keys("/", "Escape")
        d.wait_for(r"^pgr-004\s+postgres", timeout=5)
        wait_status(d, lambda st: st["up"] == len(healthy), bring_up_bound(len(healthy)), "%d up" % len(healthy))
        # its retries hang on the pool too (the lookup takes 15 s); the others stay fresh
        oldest, most = stay_fresh(d, 5, refresh=1, up=len(healthy))
        st = d.status()
        assert st["stalled"] == 1 and st["up"] == len(healthy), d.screen()
        quit_s = d.quit_and_wait(timeout=5)
        assert quit_s < 2, "q took %.1fs while a name lookup hung" % quit_s
        print("  the name's target stalled in %.1fs; oldest sample %.1fs; %d threads; quit in %.2fs" %
              (took, oldest, most, quit_s))
    finally:
        d.close()
        dns.close()
        for f in (cfg, conf, script):
            os.unlink(f)


def test_sessions_pane_of_a_target_picked_in_a_big_fleet_shows_its_sessions_within_a_refresh():
    """Many targets at a 2 s refresh: only a health probe each, until a pane watches one. Picked
    in the fleet pane and opened in the sessions pane (4), a session started after dbfleet's
    first look shows within one refresh, not at the next 30 s slow round."""
    per = 40
    targets = fleet(per)
    need_connections(per)
    cfg = write_config(targets, extra="refresh = 2")
    d = Dbfleet(["-c", cfg], width=140, height=40)
    app = "scl%d" % (os.getpid() % 100000)  # the APP column is 12 wide
    sess = None
    try:
        started(d, len(targets))
        d.wait_for(r"fleet - %d targets\s+- %d up, newest" % (len(targets), len(targets)),
                   timeout=bring_up_bound(len(targets)))
        # a session after every target's first (detailed) sample: only a watched target reads it soon
        sess = psql_bg("SELECT pg_sleep(30)", app)
        deadline = time.time() + 10
        while psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = '%s'" % app) != "1":
            assert time.time() < deadline, "the session never started"
            time.sleep(0.1)
        pick(d, "pgp-017")
        d.wait_for(r"^pgp-017\s+postgres\s+primary\s+ok")
        d.keys("Home")  # the cursor on the row: the target the other panes show
        t0 = time.time()
        d.keys("4")
        d.wait_for(r"sessions - pgp-017 ", timeout=2)
        d.wait_for(r"^\s+\d+\s+app\s+app\s+%s\s.*pg_sleep" % app, timeout=2 + SLACK_S + 0.5)
        print("  the session showed %.1fs after the pane opened (refresh 2s)" % (time.time() - t0))
    finally:
        if sess:
            sess.kill()
            psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '%s'" % app)
        d.close()
        os.unlink(cfg)
