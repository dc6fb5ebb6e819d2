"""IAM Identity Center (SSO) profiles against moto and the proxy's SSO portal and OIDC routes:
a cached token discovers the fleet (sso-session, legacy and as an assume-role source), an
expiring token is refreshed once and written back the way botocore writes it, and no token
(or a session that ends mid-run) names `aws sso login` while the database panes keep working.
The proxy's routes are checked with the real aws CLI and botocore first."""
import datetime
import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
import time

import awslab
from harness import Dbfleet, SilentListener, lab_env, write_config
from test_aws import _hosts_line

START_URL = "https://corp.awsapps.com/start"
LEGACY_URL = "https://legacy.awsapps.com/start"
CLIENT = {"client_id": "sso-client-1", "client_secret": "sso-client-secret-1"}

CONFIG = """[profile dev]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = ReadOnly
region = us-east-1

[sso-session corp]
sso_start_url = %s
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile legacy]
sso_start_url = %s
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = Legacy
region = us-east-1

[profile ops]
role_arn = arn:aws:iam::123456789012:role/dbfleet-ro
source_profile = dev
region = us-east-1
""" % (START_URL, LEGACY_URL)


def _iso(seconds_from_now):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Home:
    """A throwaway HOME with ~/.aws/config and ~/.aws/sso/cache, as `aws sso login` leaves them."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="dbfleet-sso-home-")
        self.cache = os.path.join(self.dir, ".aws", "sso", "cache")
        os.makedirs(self.cache)
        self.config = os.path.join(self.dir, ".aws", "config")
        with open(self.config, "w") as f:
            f.write(CONFIG)

    def token_path(self, key):
        return os.path.join(self.cache, hashlib.sha1(key.encode()).hexdigest() + ".json")

    def write_token(self, key, token):
        with open(self.token_path(key), "w") as f:
            json.dump(token, f)
        os.chmod(self.token_path(key), 0o600)

    def read_token(self, key):
        with open(self.token_path(key)) as f:
            return json.load(f)

    def env(self, **extra):
        """No keys of its own: everything comes from the profile and the token cache."""
        e = {"HOME": self.dir, "AWS_CONFIG_FILE": self.config, "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
             "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
        e.update(extra)
        return e

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def _session_token(access, expires_in=3600, refresh=None, registration_in=86400 * 30):
    t = {"startUrl": START_URL, "region": "us-east-1", "accessToken": access, "expiresAt": _iso(expires_in)}
    if refresh:
        t.update(clientId=CLIENT["client_id"], clientSecret=CLIENT["client_secret"],
                 registrationExpiresAt=_iso(registration_in), refreshToken=refresh)
    return t


def _dbfleet(args, env, width=200, height=40):
    return Dbfleet(args, width=width, height=height, env=awslab.env(**env))


def _sent(op):
    return len(awslab.proxy("stats").get(op, []))


def test_aws_sso_proxy_routes_are_understood_by_the_aws_cli():
    """The emulation is trusted only once the real CLI and botocore read it: GetRoleCredentials
    and CreateToken through `aws sso`/`aws sso-oidc`, their refusals, and botocore's own SSO
    provider refreshing a cached token through the proxy and writing it back."""
    awslab.url()
    awslab.reset()
    if not shutil.which("aws"):
        raise awslab.Skip("no aws CLI")
    awslab.proxy("sso", dict(access_token="cli-access-1", refresh_token="cli-refresh-1", **CLIENT))
    env = dict(os.environ, AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    base = ["aws", "--endpoint-url", awslab.proxy_url(), "--region", "us-east-1", "--output", "json"]
    r = subprocess.run(base + ["sso", "get-role-credentials", "--role-name", "ReadOnly", "--account-id",
                               "123456789012", "--access-token", "cli-access-1"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    rc = json.loads(r.stdout)["roleCredentials"]
    assert rc["accessKeyId"].startswith("ASIA") and rc["sessionToken"], rc
    assert abs(rc["expiration"] / 1000 - time.time() - 3600) < 60, rc  # epoch milliseconds, as the model says
    r = subprocess.run(base + ["sso", "get-role-credentials", "--role-name", "ReadOnly", "--account-id",
                               "123456789012", "--access-token", "not-a-token"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "UnauthorizedException" in r.stderr, r
    create = base + ["sso-oidc", "create-token", "--client-id", CLIENT["client_id"], "--client-secret",
                     CLIENT["client_secret"], "--grant-type", "refresh_token", "--refresh-token", "cli-refresh-1"]
    r = subprocess.run(create, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    got = json.loads(r.stdout)
    assert got["accessToken"] and got["expiresIn"] == 3600 and got["refreshToken"] != "cli-refresh-1", got
    r = subprocess.run(create, env=env, capture_output=True, text=True, timeout=60)  # used up
    assert r.returncode != 0 and "InvalidGrantException" in r.stderr, r
    # botocore's SSO provider on a cached token that is past its time: refresh, write back, portal
    home = Home()
    try:
        awslab.proxy("sso", dict(refresh_token="boto-refresh-1", **CLIENT))
        home.write_token("corp", _session_token("boto-old", expires_in=-60, refresh="boto-refresh-1"))
        code = ("import botocore.session\n"
                "c = botocore.session.Session(profile='dev').get_credentials().get_frozen_credentials()\n"
                "print(c.access_key)\n")
        r = subprocess.run(["python3", "-c", code], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, **home.env(AWS_ENDPOINT_URL_SSO=awslab.proxy_url(),
                                                           AWS_ENDPOINT_URL_SSO_OIDC=awslab.proxy_url())))
        assert r.returncode == 0 and r.stdout.startswith("ASIA"), r
        t = home.read_token("corp")
        assert t["accessToken"].startswith("sso-at-") and t["refreshToken"] != "boto-refresh-1", t
    finally:
        home.close()


def test_aws_sso_profiles_with_a_cached_token_discover_the_fleet():
    """sso-session form, legacy form (token keyed by the start URL) and an assume-role profile
    whose source_profile is the SSO one; GetRoleCredentials once while its keys last."""
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["sso-1"])
    awslab.proxy("sso", {"access_token": "valid-access-1"})
    awslab.proxy("sso", {"access_token": "legacy-access-1"})
    home = Home()
    home.write_token("corp", _session_token("valid-access-1"))
    home.write_token(LEGACY_URL, {"startUrl": LEGACY_URL, "region": "us-east-1", "accessToken": "legacy-access-1",
                                  "expiresAt": _iso(3600)})
    cfg = write_config([], extra="[aws]\ndiscover = 10\n")
    try:
        d = _dbfleet(["-c", cfg, "--profile", "dev"], home.env())
        try:
            d.wait_for(r"sso-1\s.*available", timeout=30)
            d.wait_for(r"AWS profile dev \(sso ReadOnly\) us-east-1")
            deadline = time.time() + 25  # a second discovery round reuses the role's keys
            while _sent("DescribeDBInstances") < 2 and time.time() < deadline:
                time.sleep(0.5)
            assert _sent("DescribeDBInstances") >= 2 and _sent("GetRoleCredentials") == 1, awslab.proxy("stats")
            assert _sent("CreateToken") == 0
        finally:
            d.close()
        for profile, source in (("legacy", r"legacy \(sso Legacy\)"), ("ops", r"ops \(role dbfleet-ro\)")):
            d = _dbfleet(["--aws", "--profile", profile], home.env())
            try:
                d.wait_for(r"sso-1\s.*available", timeout=30)
                d.wait_for(r"AWS profile %s us-east-1" % source)
            finally:
                d.close()
        assert _sent("AssumeRole") == 1 and _sent("GetRoleCredentials") == 3, awslab.proxy("stats")
    finally:
        os.unlink(cfg)
        home.close()


def test_aws_sso_expired_token_is_refreshed_once_and_written_back():
    """An access token past its time with a refresh token: one CreateToken, the file rewritten
    in place (0600, the fields botocore writes, the fields it does not know kept), the new token
    used for GetRoleCredentials; later rounds neither refresh nor ask the portal again."""
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["refresh-1"])
    awslab.proxy("sso", dict(refresh_token="refresh-1", expires_in=28800, **CLIENT))
    home = Home()
    old = _session_token("expired-access", expires_in=-300, refresh="refresh-1")
    old["dbfleetTestField"] = {"kept": True}
    home.write_token("corp", old)
    cfg = write_config([], extra="[aws]\ndiscover = 10\n")
    try:
        d = _dbfleet(["-c", cfg, "--profile", "dev"], home.env())
        try:
            d.wait_for(r"refresh-1\s.*available", timeout=30)
            deadline = time.time() + 25
            while _sent("DescribeDBInstances") < 2 and time.time() < deadline:
                time.sleep(0.5)
            assert _sent("DescribeDBInstances") >= 2, awslab.proxy("stats")
            assert _sent("CreateToken") == 1 and _sent("GetRoleCredentials") == 1, awslab.proxy("stats")
        finally:
            d.close()
        path = home.token_path("corp")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert not [f for f in os.listdir(home.cache) if not f.endswith(".json")], os.listdir(home.cache)
        t = home.read_token("corp")
        assert t["accessToken"].startswith("sso-at-") and t["refreshToken"].startswith("sso-rt-"), t
        expires = datetime.datetime.strptime(t["expiresAt"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        assert abs(expires - time.time() - 28800) < 120, t
        assert t["dbfleetTestField"] == {"kept": True}, t
        for k in ("startUrl", "region", "clientId", "clientSecret", "registrationExpiresAt"):
            assert t[k] == old[k], (k, t)
        # the refreshed token is what a new process (or the CLI) now reads: no second refresh
        d = _dbfleet(["--aws", "--profile", "dev"], home.env())
        try:
            d.wait_for(r"refresh-1\s.*available", timeout=30)
            assert _sent("CreateToken") == 1 and _sent("GetRoleCredentials") == 2, awslab.proxy("stats")
        finally:
            d.close()
    finally:
        os.unlink(cfg)
        home.close()


def test_aws_sso_refresh_refused_names_the_login_command_once():
    """An expired token whose refresh token OIDC refuses (invalid_grant, as after a sign-out):
    the message gives OIDC's own words and the login command; the refused refresh token is not
    sent again on the next rounds, and the file is left as it was."""
    awslab.url()
    awslab.reset()
    home = Home()
    old = _session_token("expired-access", expires_in=-60, refresh="revoked-refresh")
    home.write_token("corp", old)
    cfg = write_config([], extra="[aws]\nenabled = true\ndiscover = 10\n")
    try:
        d = _dbfleet(["-c", cfg, "--profile", "dev"], home.env(), width=260)
        try:
            d.wait_for(r"SSO session sso-session 'corp' expired at \d{4}-\d\d-\d\d \d\d:\d\d UTC: run 'aws sso login"
                       r" --profile dev' \(refresh: InvalidGrantException: Invalid refresh token provided\)",
                       timeout=20)
            time.sleep(12)  # another round: the refused refresh token is not sent again
            assert _sent("CreateToken") == 1 and _sent("GetRoleCredentials") == 0, awslab.proxy("stats")
        finally:
            d.close()
        assert home.read_token("corp") == old
    finally:
        os.unlink(cfg)
        home.close()


def test_aws_sso_without_a_token_names_the_login_command_and_databases_still_work():
    """No cached token: the AWS side names `aws sso login --profile dev` (no browser, no hang)
    while the PostgreSQL target stays ok. Then a session that ends mid-run: the portal refuses
    the token, the AWS side says to sign in again, the refused token is not sent again, and
    the database side keeps sampling."""
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["mid-1"])
    lab = lab_env()
    home = Home()
    cfg = write_config([("orders", "host=127.0.0.1 port=%s user=mon dbname=postgres" % lab["PG_PRIMARY_PORT"])],
                       extra="[aws]\nenabled = true\ndiscover = 10\n")
    try:
        d = _dbfleet(["-c", cfg, "--profile", "dev"], home.env())
        try:
            s = d.wait_for(r"no SSO token for sso-session 'corp': run 'aws sso login --profile dev'", timeout=20)
            d.wait_for(r"^orders\s.*\bok\b")
            assert "AUTH ERROR" in s or "AUTH ERROR" in d.screen(), s
            assert _sent("GetRoleCredentials") == 0 and _sent("DescribeDBInstances") == 0, awslab.proxy("stats")
        finally:
            d.close()
        # a valid session whose role keys expire within dbfleet's refresh margin: each round asks
        awslab.proxy("sso", {"access_token": "ending-access", "role_seconds": 120})
        home.write_token("corp", _session_token("ending-access"))
        d = _dbfleet(["-c", cfg, "--profile", "dev"], home.env())
        try:
            d.wait_for(r"mid-1\s.*available", timeout=30)
            awslab.proxy("sso-revoke")
            s = d.wait_for(r"the SSO portal refused the token of sso-session 'corp': run 'aws sso login --profile dev'", timeout=30)
            refused_at = _sent("GetRoleCredentials")
            samples = d.wait_for(r"^orders\s.*\bok\b")
            assert "mid-1" in samples, samples  # what was discovered stays on screen
            time.sleep(12)  # another discovery round: the refused token is not sent again
            assert _sent("GetRoleCredentials") == refused_at, awslab.proxy("stats")
            d.wait_for(r"^orders\s.*\bok\b")
        finally:
            d.close()
    finally:
        os.unlink(cfg)
        home.close()


def test_aws_sso_token_that_runs_out_mid_run_is_said_on_the_aws_side():
    """A token with no refresh token that runs out while dbfleet runs (the role's keys are short
    too, so each round needs the token): the next round says the session expired and names the
    command, the instances found stay listed, the database target keeps its samples."""
    awslab.url()
    awslab.reset()
    awslab.create_instances("us-east-1", ["short-1"])
    lab = lab_env()
    home = Home()
    awslab.proxy("sso", {"access_token": "short-access", "role_seconds": 120})
    home.write_token("corp", _session_token("short-access", expires_in=8))
    cfg = write_config([("orders", "host=127.0.0.1 port=%s user=mon dbname=postgres" % lab["PG_PRIMARY_PORT"])],
                       extra="[aws]\nenabled = true\ndiscover = 10\n")
    try:
        d = _dbfleet(["-c", cfg, "--profile", "dev"], home.env())
        try:
            d.wait_for(r"short-1\s.*available", timeout=30)
            s = d.wait_for(r"SSO session sso-session 'corp' expired at .* UTC: run 'aws sso login --profile dev'",
                           timeout=30)
            assert "short-1" in s, s
            d.wait_for(r"^orders\s.*\bok\b")  # ok only while its samples are fresh
            assert _sent("GetRoleCredentials") == 1, awslab.proxy("stats")
        finally:
            d.close()
    finally:
        os.unlink(cfg)
        home.close()


def test_aws_sso_keys_sign_iam_tokens_for_discovered_databases():
    """connect_auth = iam under an SSO profile: the pool worker that connects makes its IAM token
    from the role keys the cloud thread got (one GetRoleCredentials serves both threads); the
    connection then fails only on TLS, since the lab's server has none (what verify-full asks)."""
    awslab.url()
    awslab.reset()
    lab = lab_env()
    awslab.create_instances("us-east-1", ["adopt-sso"], Port=int(lab["PG_PRIMARY_PORT"]))
    awslab.proxy("sso", {"access_token": "iam-access-1"})
    undo = _hosts_line("adopt-sso.aaaaaaaaaa.us-east-1.rds.amazonaws.com")
    home = Home()
    home.write_token("corp", _session_token("iam-access-1"))
    cfg = write_config([], extra="[aws]\nenabled = true\nregions = us-east-1\nconnect = adopt-*\n"
                                 "connect_user = mon\nconnect_auth = iam\nca_bundle = %s\n"
                                 % os.path.join(os.environ["LAB_DIR"], "tls", "ca.pem"))
    try:
        d = _dbfleet(["-c", cfg, "--profile", "dev"], home.env(), width=260)
        try:
            d.wait_for(r"fleet - 1 targets, 1 AWS instances", timeout=30)
            d.wait_for(r"^adopt-sso\s+postgres\s+DOWN", timeout=30)
            d.keys("Enter")
            s = d.wait_for(r"server does not support SSL, but SSL was required", timeout=15)
            assert "IAM token" not in s, s
            assert _sent("GetRoleCredentials") == 1, awslab.proxy("stats")
        finally:
            d.close()
    finally:
        undo()
        os.unlink(cfg)
        home.close()


def test_aws_sso_portal_that_never_answers_holds_up_neither_the_ui_nor_quitting():
    """The portal accepts and never answers: the UI and the database target go on, the AWS side
    is still discovering, and q ends dbfleet at once."""
    awslab.url()
    awslab.reset()
    lab = lab_env()
    home = Home()
    home.write_token("corp", _session_token("hung-access"))
    silent = SilentListener()
    cfg = write_config([("orders", "host=127.0.0.1 port=%s user=mon dbname=postgres" % lab["PG_PRIMARY_PORT"])],
                       extra="[aws]\nenabled = true\n")
    try:
        d = _dbfleet(["-c", cfg, "--profile", "dev"],
                     home.env(AWS_ENDPOINT_URL_SSO="http://127.0.0.1:%d" % silent.port))
        try:
            d.wait_for(r"^orders\s.*\bok\b", timeout=20)
            deadline = time.time() + 10
            while not silent.conns and time.time() < deadline:
                time.sleep(0.1)
            assert silent.conns, "GetRoleCredentials never reached the portal"
            t0 = time.time()
            d.keys("2")
            d.wait_for(r"^ replication lag", timeout=1)
            d.keys("1")
            s = d.wait_for(r"^ fleet", timeout=1)
            assert time.time() - t0 < 2, "the UI waited for the portal"
            assert "AWS: discovering" in s, s
            assert d.quit_and_wait(timeout=2) < 2
        finally:
            d.close()
    finally:
        silent.close()
        os.unlink(cfg)
        home.close()


def test_aws_sso_plain_http_portal_is_refused_and_named():
    """AWS_ENDPOINT_URL_SSO in plain http to a host that is not loopback would carry the bearer
    token in clear: refused with the variable named, nothing sent (192.0.2.1 is TEST-NET)."""
    awslab.url()
    awslab.reset()
    home = Home()
    home.write_token("corp", _session_token("valid-access-2"))
    d = _dbfleet(["--aws", "--profile", "dev"], home.env(AWS_ENDPOINT_URL_SSO="http://192.0.2.1"), width=260)
    try:
        d.wait_for(r"refusing plain http to 'http://192\.0\.2\.1' \(AWS_ENDPOINT_URL_SSO\)", timeout=20)
    finally:
        d.close()
        home.close()
