"""The command line: help, version, bad input, keys and the man page agree."""
import os
import re
import shutil
import tempfile

from harness import ROOT, Failure, run_cli


def test_version_and_help():
    r = run_cli(["--version"])
    assert r.returncode == 0 and re.match(r"dbfleet \d+\.\d+\.\d+", r.stdout), r
    r = run_cli(["--help"])
    assert r.returncode == 0 and "--refresh SECONDS" in r.stdout and "--list-keys" in r.stdout


def test_bad_config_exits_2_with_file_and_line(tmp="/tmp/dbfleet-bad.conf"):
    with open(tmp, "w") as f:
        f.write("[dbfleet]\nrefresh = 1\n[target a]\ndsn = host=x\ncolour = red\n")
    r = run_cli(["-c", tmp])
    os.unlink(tmp)
    if r.returncode != 2 or "%s:5: unknown key 'colour'" % tmp not in r.stderr:
        raise Failure("want exit 2 and FILE:LINE, got %d %r" % (r.returncode, r.stderr))


def test_error_in_included_file_names_that_file_and_line():
    d = tempfile.mkdtemp(prefix="dbfleet-include-")
    try:
        os.makedirs(os.path.join(d, "conf.d"))
        main = os.path.join(d, "config")
        files = {
            "config": "[dbfleet]\nrefresh = 1\ninclude = conf.d/*.conf\n",
            "conf.d/10-orders.conf": "[defaults]\nengine = postgres\n[target orders]\ndsn = host=x\n",
            "conf.d/20-payments.conf": "# team payments\n[target pay]\ndsn = host=y\n\ncolour = red\n",
        }
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        r = run_cli(["-c", main])
        want = "%s/conf.d/20-payments.conf:5: unknown key 'colour'" % d
        if r.returncode != 2 or want not in r.stderr:
            raise Failure("want exit 2 and %r, got %d %r" % (want, r.returncode, r.stderr))
        with open(main, "a") as f:
            f.write("include = missing.conf\n")
        os.unlink(os.path.join(d, "conf.d/20-payments.conf"))
        r = run_cli(["-c", main])
        want = "%s:4: include: %s/missing.conf: No such file or directory" % (main, d)
        if r.returncode != 2 or want not in r.stderr:
            raise Failure("want exit 2 and %r, got %d %r" % (want, r.returncode, r.stderr))
    finally:
        shutil.rmtree(d)


def test_fleet_from_conf_d_with_defaults_and_a_service():
    """A fleet split over conf.d/, [defaults] after the include, one target by pg_service.conf:
    both rows come up ok on the lab's servers."""
    from harness import Dbfleet, lab
    L = lab()
    d = tempfile.mkdtemp(prefix="dbfleet-fleet-")
    files = {
        "pg_service.conf": "[lab-primary]\nhost=127.0.0.1\nport=%s\nuser=mon\ndbname=postgres\n"
                           % L["PG_PRIMARY_PORT"],
        "config": "[dbfleet]\nrefresh = 1\ntimeout = 2\ninclude = conf.d/*.conf\n"
                  "[defaults]\nengine = postgres\ntags = env=lab\n",
        "conf.d/20-replica.conf": "[target inc-replica]\ndsn = host=127.0.0.1 port=%s user=mon dbname=postgres\n"
                                  % L["PG_REPLICA_PORT"],
        "conf.d/10-primary.conf": "[target svc-primary]\nservice = lab-primary\n",
    }
    os.makedirs(os.path.join(d, "conf.d"))
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    fleet = Dbfleet(["-c", os.path.join(d, "config")], env={"PGSERVICEFILE": os.path.join(d, "pg_service.conf")})
    try:
        fleet.wait_for(r"^svc-primary\s+postgres\s+primary\s+ok")
        fleet.wait_for(r"^inc-replica\s+postgres\s+replica\s+ok")
    finally:
        fleet.close()
        shutil.rmtree(d)


def test_missing_config_and_no_targets():
    r = run_cli(["-c", "/nonexistent/x.conf"])
    assert r.returncode == 2 and "/nonexistent/x.conf" in r.stderr, r
    r = run_cli([])
    assert r.returncode == 2 and "no targets" in r.stderr, r


def test_password_on_command_line_refused():
    for dsn, hint in [("postgresql://mon:hunter2@127.0.0.1/db", "pgpass"),
                      ("host=127.0.0.1 password = hunter2", "pgpass"),
                      ("postgresql://127.0.0.1/db?passw%6Frd=hunter2", "pgpass"),
                      ("host=127.0.0.1 sslpassword=hunter2", "sslpassword"),
                      ("odbc:Driver=FreeTDS;Server=127.0.0.1;PWD=hunter2", "odbc.ini"),
                      ("odbc:Driver=FreeTDS;Server=127.0.0.1;Password=hunter2", "odbc.ini"),
                      ("odbc:Driver=FreeTDS;Server=127.0.0.1; pwd =hunter2", "odbc.ini"),
                      ("mysql://mon:hunter2@127.0.0.1/db", "my.cnf"),
                      ("mysql://127.0.0.1/db?passw%6Frd=hunter2", "my.cnf")]:
        r = run_cli([dsn])
        assert r.returncode == 2 and hint in r.stderr and "hunter2" not in r.stderr, (dsn, r)
    # a DSN without one is not refused for it
    r = run_cli(["--list-keys", "host=127.0.0.1 application_name=password"])
    assert r.returncode == 0, r


def test_bad_refresh():
    r = run_cli(["--refresh", "0", "host=x"])
    assert r.returncode == 2 and "--refresh" in r.stderr, r


def test_user_key_file_errors_name_file_and_line():
    xdg = "/tmp/dbfleet-xdg-keys"
    os.makedirs(xdg + "/dbfleet", exist_ok=True)
    with open(xdg + "/dbfleet/keys", "w") as f:
        f.write("x quit\nz pane.explode\n")
    r = run_cli(["--list-keys"], env={"XDG_CONFIG_HOME": xdg})
    assert r.returncode == 2 and "keys:2: unknown command 'pane.explode'" in r.stderr, r
    with open(xdg + "/dbfleet/keys", "w") as f:
        f.write("x quit\n")
    r = run_cli(["--list-keys"], env={"XDG_CONFIG_HOME": xdg})
    assert r.returncode == 0 and re.search(r"^q x\s+quit", r.stdout, re.M), r.stdout


def man_keys():
    """(keys, command) pairs from man/dbfleet.1's KEYS section."""
    text = open(os.path.join(ROOT, "man", "dbfleet.1")).read()
    section = text.split('.SH KEYS', 1)[1].split("\n.SH ", 1)[0]
    pairs = re.findall(r'^\.TP\n\\fB(.+?)\\fR \(\\fI(.+?)\\fR\)$', section, re.M)
    return [(k.replace("\\-", "-"), c) for k, c in pairs]


def test_man_page_keys_match_list_keys():
    r = run_cli(["--list-keys"])
    assert r.returncode == 0, r
    listed = []
    for line in r.stdout.splitlines():
        m = re.match(r"^(.{26}) (\S+)\s", line)
        keys = m.group(1).strip()
        if keys != "-":
            listed.append((", ".join(keys.split(" ")), m.group(2)))
    documented = man_keys()
    if listed != documented:
        raise Failure("--list-keys and the man page disagree:\n list: %s\n man:  %s" % (listed, documented))


def test_iam_token_matches_botocore_live():
    """aws/iam_token.c against botocore's generate_db_auth_token, where botocore is installed:
    odd credentials, a user with a space, another region; same timestamp, same token."""
    import calendar
    import subprocess
    import time
    try:
        import botocore.session
    except ImportError:
        return  # the fixed vectors in tests/unit/test_iam_token.c still run
    from harness import BINARY
    sess = botocore.session.get_session()
    sess.set_credentials("AKIDRANDOM123", "s3cr3t/with+chars=", "tok/en+==")
    client = sess.create_client("rds", region_name="eu-west-3")
    theirs = client.generate_db_auth_token("db.example.internal", 3306, "app user")
    stamp = re.search(r"X-Amz-Date=(\d{8}T\d{6}Z)", theirs).group(1)
    epoch = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
    tool = os.path.join(os.path.dirname(BINARY), "tests", "test_iam_token")
    ours = subprocess.run([tool, "AKIDRANDOM123", "s3cr3t/with+chars=", "tok/en+==", "db.example.internal",
                           "3306", "app user", "eu-west-3", str(epoch)],
                          capture_output=True, text=True, check=True).stdout.strip()
    sig = lambda t: re.search(r"X-Amz-Signature=([0-9a-f]{64})", t).group(1)
    params = lambda t: sorted(t.split("?", 1)[1].split("&"))
    assert sig(ours) == sig(theirs), (ours, theirs)
    assert params(ours) == params(theirs), (ours, theirs)


def _dashboard(prefix=(), env=None):
    """dbfleet on a target nothing listens on (no lab needed), once the dashboard is drawn."""
    from harness import Dbfleet
    d = Dbfleet(["--refresh", "1", "host=127.0.0.1 port=9 user=mon dbname=postgres"], prefix=prefix, env=env)
    try:
        d.wait_for(r"q:quit")
    except Exception:
        d.close()
        raise
    return d


def test_ctrl_backslash_quits_and_restores_the_terminal():
    d = _dashboard()
    try:
        d.keys("C-\\")  # SIGQUIT from the terminal
        s = d.wait_for(r"^EXITED \d+", timeout=3)
        assert "EXITED 131" in s, s
        # curses left the alternate screen: the dashboard is gone, the shell line is back
        assert "q:quit" not in s and "1 fleet" not in s, s
    finally:
        d.close()


def test_no_core_dump_and_not_dumpable():
    from harness import Skip
    d = _dashboard()
    try:
        limits = open("/proc/%d/limits" % d.pid()).read()
        assert re.search(r"^Max core file size\s+0\s+0\s", limits, re.M), limits
    finally:
        d.close()
    # PR_SET_DUMPABLE 0: the kernel then gives /proc/PID's files to root, not to the user
    # dbfleet runs as; seen only when that user is not root
    if os.getuid() != 0 or not shutil.which("setpriv"):
        raise Skip("the dumpable flag is seen only by running dbfleet as another user (root and setpriv)")
    from harness import BINARY
    if not all(os.access(p, os.X_OK) for p in (os.path.dirname(BINARY), BINARY)):
        raise Skip("the binary is not reachable by user nobody")
    d = _dashboard(prefix=("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
                   env={"XDG_CONFIG_HOME": "/nonexistent", "XDG_STATE_HOME": "/tmp", "HOME": "/nonexistent"})
    try:
        pid = d.pid()
        uid = [l for l in open("/proc/%d/status" % pid) if l.startswith("Uid:")][0].split()[1]
        assert uid == "65534", uid
        assert os.stat("/proc/%d/status" % pid).st_uid == 0, "dbfleet is dumpable: its /proc files are its user's"
    finally:
        d.close()


def test_open_files_limit_raised_for_a_big_fleet():
    """A socket a target: dbfleet takes the hard limit on descriptors, not the soft 1,024."""
    import shutil
    from harness import Skip
    if not shutil.which("prlimit"):
        raise Skip("no prlimit(1) to start dbfleet under a low soft limit")
    d = _dashboard(prefix=("prlimit", "--nofile=256:8192", "--"))
    try:
        limits = open("/proc/%d/limits" % d.pid()).read()
        assert re.search(r"^Max open files\s+8192\s+8192\s", limits, re.M), limits
    finally:
        d.close()
