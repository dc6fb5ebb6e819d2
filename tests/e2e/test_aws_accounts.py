"""Several AWS accounts at once, against moto: profiles that assume roles in other
accounts (moto answers an assumed role's requests in the role's account), an ACCOUNT
column named from [aws] aliases, grouping by account, two profiles of one account read
once, one broken profile beside working ones, a snapshot whose prompt, API call and
audit record name the account it acts in, and costs from the management account by
LINKED_ACCOUNT or each account's own added up."""
import datetime
import json
import os
import re
import shutil
import tempfile

import awslab
from harness import Watch

PAY, DATA = "111111111111", "222222222222"


def _aws_config(home):
    """Three working profiles in two accounts (pay and pay-ro reach the same one), from one base key."""
    conf = os.path.join(home, "aws-config")
    with open(conf, "w") as f:
        f.write("[profile base]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = us-east-1\n\n"
                % (awslab.KEY["AWS_ACCESS_KEY_ID"], awslab.KEY["AWS_SECRET_ACCESS_KEY"]))
        for name, acct, role in (("pay", PAY, "dbfleet"), ("pay-ro", PAY, "dbfleet-ro"), ("data", DATA, "dbfleet")):
            f.write("[profile %s]\nrole_arn = arn:aws:iam::%s:role/%s\nsource_profile = base\nregion = us-east-1\n\n"
                    % (name, acct, role))
    return conf


def _in(account, service, region="us-east-1"):
    """boto3 on moto as a role of 'account' (moto keeps each account's resources apart)."""
    import boto3
    sts = awslab.client("sts")
    c = sts.assume_role(RoleArn="arn:aws:iam::%s:role/seed" % account, RoleSessionName="seed")["Credentials"]
    return boto3.client(service, endpoint_url=awslab.url(), region_name=region, aws_access_key_id=c["AccessKeyId"],
                        aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])


def _create(account, region, names):
    rds = _in(account, "rds", region)
    for n in names:
        rds.create_db_instance(DBInstanceIdentifier=n, Engine="postgres", DBInstanceClass="db.t3.micro",
                               AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="not-used-1")


class _Accounts(Watch):
    def __init__(self, profiles, extra=""):
        self.home = tempfile.mkdtemp(prefix="dbfleet-accounts-")
        conf = _aws_config(self.home)
        cfg = ("[aws]\nenabled = true\nprofiles = %s\nregions = us-east-1\ndiscover = 10\n"
               "aliases = %s=payments, %s=data-team\n%s" % (profiles, PAY, DATA, extra))
        super().__init__([], extra=cfg, width=170, height=45, env_of=lambda state: awslab.env(
            XDG_STATE_HOME=state, XDG_CACHE_HOME=state, AWS_CONFIG_FILE=conf, AWS_ACCESS_KEY_ID="",
            AWS_SECRET_ACCESS_KEY=""))

    def close(self):
        try:
            super().close()
        finally:
            shutil.rmtree(self.home)


def _rows(screen):
    """The fleet table's rows as (name, account) pairs, in screen order."""
    lines = screen.splitlines()
    head = next(i for i, l in enumerate(lines) if l.startswith("NAME"))
    out = []
    for l in lines[head + 1:]:
        w = l.split()
        if len(w) >= 3 and w[1] == "postgres":
            out.append((w[0], w[-1]))  # ACCOUNT is the last column
    return out


def test_aws_accounts_three_profiles_two_accounts_column_grouping_and_snapshot():
    awslab.url()
    awslab.reset()
    _create(PAY, "us-east-1", ["orders-db"])
    _create(PAY, "eu-west-1", ["ledger-db"])
    _create(DATA, "us-east-1", ["orders-db", "etl-db"])
    # pay reads two regions of its own; pay-ro reaches the same account (nothing left to read);
    # ghost has no credentials at all: its error shows beside the others' instances
    a = _Accounts("pay:us-east-1+eu-west-1, pay-ro, data, ghost")
    try:
        s = a.d.wait_for(r"fleet - 0 targets, 4 AWS instances", timeout=30)
        s = a.d.wait_for(r"^(orders-db|etl-db|ledger-db)\s.*\n(.*\n)*.*(orders-db|etl-db|ledger-db)\s(.*\n)*.*"
                         r"(orders-db|etl-db|ledger-db)\s(.*\n)*.*(orders-db|etl-db|ledger-db)\s", timeout=30)
        assert re.search(r"^NAME\s+ENGINE\s.*\sACCOUNT\s*$", s, re.M), s
        rows = sorted(_rows(s))
        assert rows == [("etl-db", "data-team"), ("ledger-db", "payments"), ("orders-db", "data-team"),
                        ("orders-db", "payments")], rows
        s = a.d.wait_for(r"AWS: ghost \(profile ghost\): credentials: [^\n]*ghost", timeout=30)
        # grouped by account: one header per account, each row under its own
        a.d.keys(":", *"group account", "Enter")
        s = a.d.wait_for(r"payments \(2\)[\s\S]*|data-team \(2\)", timeout=10)
        s = a.d.wait_for(r"data-team \(2\)[\s\S]*payments \(2\)|payments \(2\)[\s\S]*data-team \(2\)", timeout=10)
        lines = s.splitlines()
        head = {("payments" if "payments (2)" in l else "data-team"): i for i, l in enumerate(lines)
                if "payments (2)" in l or "data-team (2)" in l}
        first, second = sorted(head, key=head.get)
        between = "\n".join(lines[head[first]:head[second]])
        after = "\n".join(lines[head[second]:])
        mine = {"payments": ("ledger-db", "orders-db"), "data-team": ("etl-db", "orders-db")}
        for n in mine[first]:
            assert re.search(r"^\s+%s\s+postgres\s.*\s%s\s*$" % (n, first), between, re.M), (first, s)
        for n in mine[second]:
            assert re.search(r"^\s+%s\s+postgres\s.*\s%s\s*$" % (n, second), after, re.M), (second, s)
        # a snapshot of data-team's orders-db: the prompt names the account, it is made there only
        idx = next(i for i, l in enumerate(lines) if re.match(r"^\s+orders-db\s+postgres\s.*\sdata-team\s*$", l))
        top = next(i for i, l in enumerate(lines) if l.startswith("NAME"))
        a.d.keys("Home")
        for _ in range(idx - top - 1):
            a.d.keys("Down")
        a.d.keys("S")
        a.d.wait_for(r"Take a manual snapshot (dbfleet-orders-db-\d{8}-\d{6}) of instance orders-db "
                     r"\(us-east-1, account data-team %s\)\?" % DATA, timeout=10)
        s = a.d.wait_for(r"Esc aborts\.")
        snap = re.search(r"(dbfleet-orders-db-\d{8}-\d{6})", s).group(1)
        a.d.keys(*"before the move")
        a.d.keys("Enter")
        a.d.keys("6")
        a.d.wait_for(r"snapshot\s+instance orders-db\s+done\s+.*snapshot %s available" % snap, timeout=40)
        ids = [x["DBSnapshotIdentifier"] for x in _in(DATA, "rds").describe_db_snapshots(
            DBInstanceIdentifier="orders-db", SnapshotType="manual")["DBSnapshots"]]
        assert snap in ids, ids
        ids = [x["DBSnapshotIdentifier"] for x in _in(PAY, "rds").describe_db_snapshots(
            DBInstanceIdentifier="orders-db", SnapshotType="manual")["DBSnapshots"]]
        assert snap not in ids, "made in the wrong account: %s" % ids
        audit = a.audit()
        assert [x["phase"] for x in audit] == ["intent", "outcome"] and audit[1]["result"] == "done", audit
        ob = audit[0]["object"]
        assert ob["account"] == DATA and ob["account_alias"] == "data-team" and ob["profile"] == "data", ob
        assert 0 <= audit[1]["elapsed_s"] < 60, audit[1]
        assert awslab.KEY["AWS_SECRET_ACCESS_KEY"] not in json.dumps(audit)
    finally:
        a.close()


def _usage(today, groups):
    d, e = today.isoformat(), (today + datetime.timedelta(days=1)).isoformat()
    return {"ResultsByTime": [{"TimePeriod": {"Start": d, "End": e}, "Total": {}, "Estimated": True, "Groups": [
        {"Keys": [k], "Metrics": {"UnblendedCost": {"Amount": v, "Unit": "USD"}}} for k, v in groups]}]}


def _seed(account, results):
    awslab.control("/moto-api/static/ce/cost-and-usage-results",
                   json.dumps({"account_id": account, "results": results}).encode())


def test_aws_accounts_costs_from_the_management_account_by_linked_account():
    awslab.url()
    awslab.reset()
    _create(PAY, "us-east-1", ["pay-db"])
    _create(DATA, "us-east-1", ["etl-db"])
    _in(PAY, "organizations").create_organization(FeatureSet="ALL")
    today = datetime.datetime.now(datetime.timezone.utc).date()
    svc = [("Amazon Relational Database Service", "300.00"), ("Amazon CloudWatch", "23.45")]
    # in the order dbfleet asks: by service this month, daily by service, by linked account
    _seed(PAY, [_usage(today, svc), _usage(today, svc), _usage(today, [(PAY, "200.00"), (DATA, "123.45")])])
    awslab.proxy("forecast", {"amount": "100.00"})
    a = _Accounts("pay, data")
    try:
        a.d.wait_for(r"2 AWS instances", timeout=30)
        a.d.keys("5")
        a.d.wait_for(r"month to date 323\.45 USD", timeout=30)
        s = a.d.wait_for(r"management account payments \(profile pay\), by linked account", timeout=10)
        assert re.search(r"ACCOUNT\s+payments\s+200\.00", s), s
        assert re.search(r"ACCOUNT\s+data-team\s+123\.45", s), s
        assert re.search(r"SERVICE\s+Amazon Relational Database Service\s+300\.00", s), s
    finally:
        a.close()


def test_aws_accounts_costs_summed_without_a_management_account():
    awslab.url()
    awslab.reset()
    _create(PAY, "us-east-1", ["pay-db"])
    _create(DATA, "us-east-1", ["etl-db"])
    today = datetime.datetime.now(datetime.timezone.utc).date()
    for acct, amt in ((PAY, "200.00"), (DATA, "123.45")):
        rows = [("Amazon Relational Database Service", amt)]
        _seed(acct, [_usage(today, rows), _usage(today, rows)])
    awslab.proxy("forecast", {"amount": "100.00"})
    # the proxy answers every account's DescribeEvents with it: one row per account, named
    awslab.proxy("event", {"id": "etl-db", "msg": "DB instance restarted", "ago": 60})
    # pay-ro reaches pay's account again: its costs count once
    a = _Accounts("pay, pay-ro, data")
    try:
        a.d.wait_for(r"2 AWS instances", timeout=30)
        a.d.keys("7")
        s = a.d.wait_for(r"events - RDS, last 24 hours, 2", timeout=30)
        assert re.search(r"us-east-1\s+payments/etl-db\s", s) and re.search(r"us-east-1\s+data-team/etl-db\s", s), s
        a.d.keys("5")
        s = a.d.wait_for(r"month to date 323\.45 USD", timeout=30)
        s = a.d.wait_for(r"sum of 2 accounts' own figures \(no management account\)", timeout=10)
        assert re.search(r"ACCOUNT\s+payments\s+200\.00", s), s
        assert re.search(r"ACCOUNT\s+data-team\s+123\.45", s), s
        assert re.search(r"SERVICE\s+Amazon Relational Database Service\s+323\.45", s), s
    finally:
        a.close()


def test_aws_accounts_payer_profile_only_for_costs():
    """[aws] payer_profile names the management account's profile: its Cost Explorer is asked
    (by linked account) though it is not one of the profiles whose instances are shown."""
    awslab.url()
    awslab.reset()
    _create(PAY, "us-east-1", ["pay-db"])
    _create(DATA, "us-east-1", ["etl-db"])
    today = datetime.datetime.now(datetime.timezone.utc).date()
    svc = [("Amazon Relational Database Service", "50.00")]
    _seed(PAY, [_usage(today, svc), _usage(today, svc), _usage(today, [(DATA, "42.00"), ("333333333333", "8.00")])])
    awslab.proxy("forecast", {"amount": "10.00"})
    a = _Accounts("data", extra="payer_profile = pay\n")
    try:
        s = a.d.wait_for(r"fleet - 0 targets, 1 AWS instances", timeout=30)
        a.d.wait_for(r"^etl-db\s")
        assert "pay-db" not in s, s
        a.d.keys("Home", "Enter")  # what AWS says of it: the account by id and name
        s = a.d.wait_for(r"account: %s \(data-team\)" % DATA, timeout=10)
        assert "etl-db (AWS RDS, us-east-1)" in s, s
        a.d.keys("Escape", "5")
        s = a.d.wait_for(r"management account payments \(profile pay\), by linked account", timeout=30)
        s = a.d.wait_for(r"ACCOUNT\s+333333333333\s+8\.00", timeout=10)  # no alias: its id
        assert re.search(r"ACCOUNT\s+data-team\s+42\.00", s), s
        assert "month to date 50.00 USD" in s, s
    finally:
        a.close()


def test_aws_accounts_action_refused_when_the_profile_now_reaches_another_account():
    """The profile is edited while the prompt is open: its keys now reach another account. The
    snapshot is refused before anything is sent, and the message names both accounts."""
    awslab.url()
    awslab.reset()
    _create(PAY, "us-east-1", ["pay-db"])
    _create(DATA, "us-east-1", ["etl-db"])
    a = _Accounts("pay, data")
    try:
        s = a.d.wait_for(r"^(etl-db|pay-db)\s[\s\S]*^(etl-db|pay-db)\s", timeout=30)
        names = [w[0] for w in (l.split() for l in s.splitlines()) if w and w[0] in ("etl-db", "pay-db")]
        a.d.keys("Home")
        for _ in range(names.index("etl-db")):
            a.d.keys("Down")
        a.d.keys("S")
        a.d.wait_for(r"of instance etl-db \(us-east-1, account data-team %s\)\?" % DATA, timeout=10)
        conf = os.path.join(a.home, "aws-config")
        with open(conf) as f:
            text = f.read()
        with open(conf, "w") as f:  # data's role is now in the payments account
            f.write(text.replace("arn:aws:iam::%s:role/dbfleet" % DATA, "arn:aws:iam::%s:role/moved" % PAY))
        a.d.keys(*"routine")
        a.d.keys("Enter")
        a.d.keys("6")
        a.d.wait_for(r"REFUSED\s.*refused: profile data now reaches account %s, not %s where etl-db" % (PAY, DATA),
                     timeout=20)
        assert not awslab.proxy("stats").get("CreateDBSnapshot"), "a snapshot was asked for"
        audit = a.audit()
        assert [x["phase"] for x in audit] == ["intent", "outcome"] and audit[1]["result"] == "REFUSED", audit
        assert audit[1]["message"].endswith("was shown; nothing sent"), audit[1]
        assert 0 <= audit[1]["elapsed_s"] < 20, audit[1]
    finally:
        a.close()


def test_aws_accounts_same_instance_id_in_two_accounts_adopted_as_two_targets():
    """[aws] connect with two accounts that each have an "orders-db": two database targets, the
    second named ID@ACCOUNT, each linked to its own account's instance (its host is the lab's)."""
    from harness import lab_env
    from test_aws import _hosts_line
    awslab.url()
    awslab.reset()
    port = int(lab_env()["PG_PRIMARY_PORT"])
    for acct in (PAY, DATA):
        _in(acct, "rds").create_db_instance(DBInstanceIdentifier="orders-db", Engine="postgres", Port=port,
                                            DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                                            MasterUsername="admin", MasterUserPassword="not-used-1")
    undo = _hosts_line("orders-db.aaaaaaaaaa.us-east-1.rds.amazonaws.com")
    a = None
    try:
        a = _Accounts("pay, data", extra="connect = orders-*\nconnect_user = mon\nconnect_db = postgres\n"
                                         "connect_tls = prefer\n")
        s = a.d.wait_for(r"fleet - 2 targets, 2 AWS instances", timeout=30)
        s = a.d.wait_for(r"^orders-db\s+postgres\s+primary\s+ok\s.*\spayments\s*$[\s\S]*"
                         r"|^orders-db@data-team\s+postgres\s+primary\s+ok\s.*\sdata-team\s*$", timeout=30)
        s = a.d.wait_for(r"^orders-db@data-team\s+postgres\s+primary\s+ok\s.*\sdata-team\s*$", timeout=30)
        assert re.search(r"^orders-db\s+postgres\s+primary\s+ok\s.*\spayments\s*$", s, re.M), s
    finally:
        if a:
            a.close()
        undo()
