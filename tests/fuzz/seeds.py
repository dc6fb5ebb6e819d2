#!/usr/bin/env python3
"""seeds.py - write the starting corpora of the AWS and result-mapper fuzzers
(tests/fuzz/corpus/NAME/), shaped as AWS documents its answers and as the
servers answer dbfleet's SQL. Run again after changing a format below; the
fuzzers' own finds are added with `make fuzz` and merged by hand."""
import os
import sys

SEP = b"\n===\n"
here = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def q(action, result, marker=""):
    m = f"<Marker>{marker}</Marker>" if marker else ""
    return (f'<{action}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><{action}Result>{m}{result}'
            f"</{action}Result><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></{action}Response>")


INST = ("<DBInstance><DBInstanceIdentifier>{id}</DBInstanceIdentifier><DBInstanceClass>db.r6g.large</DBInstanceClass>"
        "<Engine>{eng}</Engine><EngineVersion>15.4</EngineVersion><DBInstanceStatus>available</DBInstanceStatus>"
        "<AvailabilityZone>us-east-1a</AvailabilityZone>{cl}"
        "<Endpoint><Address>{id}.abc.us-east-1.rds.amazonaws.com</Address><Port>5432</Port></Endpoint>"
        "<MultiAZ>true</MultiAZ><TagList><Tag><Key>team</Key><Value>pay</Value></Tag></TagList>{src}</DBInstance>")


def inst(i, eng="postgres", cluster="", src=""):
    return INST.format(id=i, eng=eng, cl=f"<DBClusterIdentifier>{cluster}</DBClusterIdentifier>" if cluster else "",
                       src=f"<ReadReplicaSourceDBInstanceIdentifier>arn:aws:rds:us-east-1:1:db:{src}"
                       "</ReadReplicaSourceDBInstanceIdentifier>" if src else "")


ERR_XML = ('<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type>'
           "<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>x</RequestId></ErrorResponse>")
ERR_JSON = '{"__type":"com.amazonaws.ce#LimitExceededException:http://x","Message":"slow down"}'
ERR_HTML = ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>500 Internal Server Error</title>'
            "<h1>Internal Server Error</h1><p>The server encountered an internal error</p>")


def rds():
    pages = [q("DescribeDBInstances", "<DBInstances>" + inst("pg1", src="") + inst("pg1-r", src="pg1") +
               inst("au1", "aurora-postgresql", "c1") + "</DBInstances>", marker="eyJwIjoxfQ=="),
             q("DescribeDBInstances", "<DBInstances>" + inst("au2", "aurora-postgresql", "c1") + "</DBInstances>"),
             q("DescribePendingMaintenanceActions", "<PendingMaintenanceActions><ResourcePendingMaintenanceActions>"
               "<ResourceIdentifier>arn:aws:rds:us-east-1:1:db:pg1</ResourceIdentifier>"
               "<PendingMaintenanceActionDetails><PendingMaintenanceAction><Action>system-update</Action>"
               "<Description>New OS patch</Description><CurrentApplyDate>2026-12-04T00:00:00Z</CurrentApplyDate>"
               "</PendingMaintenanceAction></PendingMaintenanceActionDetails></ResourcePendingMaintenanceActions>"
               "</PendingMaintenanceActions>"),
             q("DescribeDBClusters", "<DBClusters><DBCluster><DBClusterIdentifier>c1</DBClusterIdentifier>"
               "<Status>available</Status><DBClusterMembers><DBClusterMember><DBInstanceIdentifier>au1"
               "</DBInstanceIdentifier><IsClusterWriter>true</IsClusterWriter></DBClusterMember><DBClusterMember>"
               "<DBInstanceIdentifier>au2</DBInstanceIdentifier><IsClusterWriter>false</IsClusterWriter>"
               "</DBClusterMember></DBClusterMembers></DBCluster></DBClusters>"),
             q("DescribeGlobalClusters", "<GlobalClusters><GlobalClusterMember><GlobalClusterIdentifier>g1"
               "</GlobalClusterIdentifier><Status>available</Status><GlobalClusterMembers><GlobalClusterMember>"
               "<DBClusterArn>arn:aws:rds:us-east-1:1:cluster:c1</DBClusterArn><IsWriter>true</IsWriter>"
               "</GlobalClusterMember><GlobalClusterMember><DBClusterArn>arn:aws:rds:eu-west-1:1:cluster:c2"
               "</DBClusterArn><IsWriter>false</IsWriter></GlobalClusterMember></GlobalClusterMembers>"
               "</GlobalClusterMember></GlobalClusters>")]
    put("rds", "discover", b"\x00" + SEP.join(p.encode() for p in pages))
    put("rds", "discover_error", b"\x00" + b"!ERR" + ERR_XML.encode())
    ev = q("DescribeEvents", "<Events><Event><SourceIdentifier>pg1</SourceIdentifier><SourceType>db-instance"
           "</SourceType><Message>Multi-AZ instance failover started.</Message><EventCategories><EventCategory>"
           "failover</EventCategory></EventCategories><Date>2026-11-20T10:01:02.123Z</Date></Event></Events>",
           marker="m2")
    put("rds", "events", b"\x01" + ev.encode() + SEP + q("DescribeEvents", "<Events/>").encode())
    put("rds", "snapshot_status", b"\x02" + q("DescribeDBSnapshots", "<DBSnapshots><DBSnapshot><Status>creating"
        "</Status><PercentProgress>42</PercentProgress></DBSnapshot></DBSnapshots>").encode())
    put("rds", "cluster_state", b"\x03" + q("DescribeDBClusters", "<DBClusters><DBCluster><Status>failing-over"
        "</Status><DBClusterMembers><DBClusterMember><DBInstanceIdentifier>au2</DBInstanceIdentifier>"
        "<IsClusterWriter>true</IsClusterWriter></DBClusterMember></DBClusterMembers></DBCluster></DBClusters>")
        .encode())
    put("rds", "instance_status", b"\x04" + q("DescribeDBInstances", "<DBInstances>" + inst("db1") +
                                              "</DBInstances>").encode())
    put("rds", "global_state", b"\x06" + pages[4].replace("DescribeGlobalClusters", "DescribeGlobalClusters")
        .encode())
    put("rds", "snapshot", b"\x07" + q("CreateDBSnapshot", "<DBSnapshot><Status>creating</Status></DBSnapshot>")
        .encode())
    put("rds", "snapshot_exists", b"\x07" + b"!ERR" + ERR_XML.replace("Throttling", "DBSnapshotAlreadyExists")
        .encode() + SEP + q("DescribeDBSnapshots", "<DBSnapshots><DBSnapshot><DBInstanceIdentifier>db1"
                           "</DBInstanceIdentifier></DBSnapshot></DBSnapshots>").encode())


def cloudwatch():
    def res(members, token=""):
        t = f"<NextToken>{token}</NextToken>" if token else ""
        return ('<GetMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><GetMetricDataResult>'
                f"<MetricDataResults>{members}</MetricDataResults>{t}</GetMetricDataResult></GetMetricDataResponse>")

    def m(i, k, v, t="2026-11-20T10:00:00Z"):
        return (f"<member><Id>i{i}_{k}</Id><Label>x</Label><Timestamps><member>{t}</member><member>"
                "2026-11-20T09:59:00Z</member></Timestamps><Values><member>{v}</member><member>1</member></Values>"
                "<StatusCode>Complete</StatusCode></member>").replace("{v}", str(v))
    put("cloudwatch", "two_pages", b"\x03" + res(m(0, 0, 12.5) + m(1, 3, 0.25), "tok").encode() + SEP +
        res(m(2, 1, 99)).encode())
    put("cloudwatch", "error", b"\x02!ERR" + ERR_XML.encode())


def ce():
    def page(groups, token="", start="2026-12-15"):
        g = ",".join('{"Keys":["%s"],"Metrics":{"UnblendedCost":{"Amount":"%s","Unit":"USD"}}}' % kv
                     for kv in groups)
        t = ',"NextPageToken":"%s"' % token if token else ""
        return ('{"GroupDefinitions":[{"Type":"DIMENSION","Key":"SERVICE"}],"ResultsByTime":[{"TimePeriod":'
                '{"Start":"%s","End":"2027-01-02"},"Total":{},"Groups":[%s],"Estimated":true}]%s}' % (start, g, t))
    svc = page([("Amazon Relational Database Service", "123.45"), ("Amazon EC2", "7")], "t1")
    svc2 = page([("AWS Lambda", "0.01")])
    tag = page([("team$payments", "55.5"), ("team$", "3")])
    fc = '{"Total":{"Amount":"400.1","Unit":"USD"},"ForecastResultsByTime":[]}'
    put("ce", "tagged", b"\x11" + SEP.join(x.encode() for x in (svc, svc2, tag, fc)))
    put("ce", "by_service", b"\x10" + SEP.join(x.encode() for x in (svc2, svc2, fc)))
    put("ce", "forecast_error", b"\x10" + SEP.join(x.encode() for x in (svc2, svc2, b"!ERR".decode() + ERR_JSON)))
    put("ce", "totals_only", b"\x00" + b'{"ResultsByTime":[{"TimePeriod":{"Start":"2026-12-31"},"Total":'
        b'{"UnblendedCost":{"Amount":1e308,"Unit":"EURO_LONG"}}}]}')
    put("ce_cache", "cache", '{"version":1,"tag_key":"team","fetched_at":1798675200,"mtd":12.5,"forecast":40,'
        '"month_start":"2027-01-01","today":"2027-01-01","unit":"USD","daily_from":"2026-12-03",'
        '"service":[{"key":"Amazon RDS","usd":10},{"key":"EC2","usd":2.5}],"tag":[{"key":"pay","usd":1}],'
        '"daily":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32]}')
    put("ce_cache", "untagged", '{"version":1,"tag_key":"","fetched_at":1,"service":[],"daily":[]}')


def accounts():
    """fuzz_accounts: byte 0 % 3 picks GetCallerIdentity, DescribeOrganization or costs by LINKED_ACCOUNT."""
    who = ('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
           "<UserId>AROA:dbfleet</UserId><Account>222222222222</Account><Arn>arn:aws:sts::222222222222:assumed-role/"
           "dbfleet/s</Arn></GetCallerIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata>"
           "</GetCallerIdentityResponse>")
    put("accounts", "caller", b"\x00" + who.encode())
    put("accounts", "caller_error", b"\x00!ERR" + ERR_XML.encode())
    org = ('{"Organization":{"Id":"o-abc","Arn":"arn:aws:organizations::111111111111:organization/o-abc",'
           '"FeatureSet":"ALL","MasterAccountId":"111111111111","MasterAccountEmail":"m@example.com"}}')
    put("accounts", "organization", b"\x01" + org.encode())
    put("accounts", "not_in_org", b"\x01!ERR" + b'{"__type":"AWSOrganizationsNotInUseException","message":"no"}')
    svc = ('{"ResultsByTime":[{"TimePeriod":{"Start":"2027-01-01","End":"2027-01-02"},"Total":{},"Groups":['
           '{"Keys":["Amazon RDS"],"Metrics":{"UnblendedCost":{"Amount":"10","Unit":"USD"}}}]}]}')
    linked = ('{"ResultsByTime":[{"TimePeriod":{"Start":"2027-01-01","End":"2027-01-02"},"Total":{},"Groups":['
              '{"Keys":["111111111111"],"Metrics":{"UnblendedCost":{"Amount":"7.5","Unit":"USD"}}},'
              '{"Keys":["222222222222"],"Metrics":{"UnblendedCost":{"Amount":"2.5","Unit":"USD"}}}]}],'
              '"DimensionValueAttributes":[{"Value":"111111111111","Attributes":{"description":"payments"}}]}')
    fc = '{"Total":{"Amount":"40","Unit":"USD"},"ForecastResultsByTime":[]}'
    put("accounts", "linked", b"\x02" + SEP.join(x.encode() for x in (svc, svc, fc, linked)))


def pi():
    now = 1798675200
    pts = ",".join('{"Timestamp":%d,"Value":%s}' % (now - 300 + 60 * i, v) for i, v in enumerate((1.5, 2.0, 1.75)))
    metrics = ('{"AlignedStartTime":%d,"AlignedEndTime":%d,"Identifier":"db-FUZZ","MetricList":['
               '{"Key":{"Metric":"db.load.avg"},"DataPoints":[%s]},'
               '{"Key":{"Metric":"db.load.avg","Dimensions":{"db.wait_event.name":"CPU","db.wait_event.type":"CPU"}},'
               '"DataPoints":[%s]},{"Key":{"Metric":"db.load.avg","Dimensions":{"db.wait_event.name":'
               '"IO:DataFileRead","db.wait_event.type":"IO"}},"DataPoints":[{"Timestamp":%d,"Value":0.5}]}]}'
               % (now - 300, now, pts, pts, now - 60))
    cut = "SELECT " + "c, " * 170 + "x"
    keys = ('{"AlignedStartTime":%d,"AlignedEndTime":%d,"PartitionKeys":[{"Dimensions":{"db.wait_event.name":"CPU"}},'
            '{"Dimensions":{"db.wait_event.name":"IO:DataFileRead"}}],"Keys":['
            '{"Dimensions":{"db.sql_tokenized.id":"A1","db.sql_tokenized.statement":"%s"},"Total":1.25,'
            '"Partitions":[1.0,0.25]},{"Dimensions":{"db.sql_tokenized.id":"C3","db.sql_tokenized.statement":'
            '"UPDATE t SET x = ?"},"Total":0.5,"Partitions":[0.0,0.5]}]}' % (now - 300, now, cut[:500]))
    stmts = ('{"Keys":[{"Dimensions":{"db.sql.id":"A1-1","db.sql.tokenized_id":"A1"},"Total":1.2}]}')
    details = '{"Dimensions":[{"Dimension":"db.sql.statement","Value":"%s","Status":"AVAILABLE"}]}' % cut
    put("pi", "fetch", b"\x00" + SEP.join(x.encode() for x in (metrics, keys, stmts, details)))
    put("pi", "carried_over", b"\x01" + SEP.join(x.encode() for x in (metrics, keys)))
    put("pi", "processing", b"\x00" + SEP.join(x.encode() for x in (metrics, keys, stmts, details.replace(
        "AVAILABLE", "PROCESSING"))))
    put("pi", "error", b"\x00!ERR" + ERR_JSON.replace("ce#LimitExceeded", "pi#NotAuthorized").encode())


def aws_error():
    for n, body in (("xml", ERR_XML), ("json", ERR_JSON), ("html", ERR_HTML), ("empty", ""),
                    ("sts", '<ErrorResponse><Error><Code>ExpiredToken</Code><Message>The security token included '
                     'in the request is expired\x1b[2J</Message></Error></ErrorResponse>'),
                    ("json_message", '{"__type":"AccessDeniedException","message":"User: arn:aws:iam::1:user/x \xe2'
                     '\x80\xae is not authorized"}')):
        put("aws_error", n, b"\x00" + body.encode())
        put("xml", n, body.encode()) if body.startswith("<") else None
    put("xml", "describe", q("DescribeDBInstances", "<DBInstances>" + inst("pg1") + "</DBInstances>", "m"))
    put("xml", "cdata_entities", "<?xml version=\"1.0\"?><a><b><![CDATA[<x>&amp;]]></b><c>&lt;&#x1F600;&amp;</c>"
        "<d xmlns:p=\"urn:x\"><p:e>1</p:e></d></a>")
    put("xml", "bomb", "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;"
        "&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><l>&c;&c;</l>")
    put("xml", "deep", "<a>" * 70 + "</a>" * 70)


def sts():
    put("sts", "assume_role", b'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        b"<AssumeRoleResult><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>wJalrXUtnFEMI"
        b"</SecretAccessKey><SessionToken>FQoGZXIvYXdz</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration>"
        b"</Credentials><AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn></AssumedRoleUser>"
        b"</AssumeRoleResult></AssumeRoleResponse>")
    put("sts", "denied", b"!ERR" + ERR_XML.replace("Throttling", "AccessDenied").encode())
    put("credproc", "v1", '{"Version":1,"AccessKeyId":"AKIDEXAMPLE","SecretAccessKey":"s","SessionToken":"t",'
        '"Expiration":"2030-01-01T00:00:00Z"}')
    put("credproc", "no_token", '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"s"}')
    put("credproc", "v2", '{"Version":2,"AccessKeyId":"AKID","SecretAccessKey":"s"}')
    put("credproc", "long_key", '{"Version":1,"AccessKeyId":"' + "A" * 200 + '","SecretAccessKey":"s"}')
    # IAM Identity Center: the token cache file (0), GetRoleCredentials (1), CreateToken (2), errors (3)
    put("sso", "token_session", b"\x00" + b'{"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", '
        b'"accessToken": "aoaAAAAAGexample", "expiresAt": "2026-11-29T10:00:00Z", "clientId": "cid", '
        b'"clientSecret": "eyJraWQiOiJrZXktMTU2", "registrationExpiresAt": "2027-02-27T09:00:00Z", '
        b'"refreshToken": "Atorexample", "x-other": {"kept": [1, 2]}}')
    put("sso", "token_legacy", b"\x00" + b'{"startUrl": "https://x.awsapps.com/start", "region": "us-east-1", '
        b'"accessToken": "tok", "expiresAt": "2021-06-01T10:00:00UTC"}')
    put("sso", "token_offset", b"\x00" + b'{"accessToken": "tok", "expiresAt": "2026-11-29T12:00:00.123+02:00"}')
    put("sso", "role_credentials", b"\x01" + b'{"roleCredentials": {"accessKeyId": "ASIAEXAMPLE", '
        b'"secretAccessKey": "secret", "sessionToken": "IQoJb3JpZ2luX2Vj", "expiration": 1795944851604}}')
    put("sso", "create_token", b"\x02" + b'{"accessToken": "aoaNEW", "tokenType": "Bearer", "expiresIn": 28800, '
        b'"refreshToken": "AtorNEW"}')
    put("sso", "portal_401", b"\x03" + b"UnauthorizedException:http://internal.amazon.com/coral/" + SEP +
        b'{"message": "Session token not found or invalid"}')
    put("sso", "oidc_invalid_grant", b"\x03" + b"InvalidGrantException" + SEP +
        b'{"error": "invalid_grant", "error_description": "Invalid refresh token provided"}')


RS = "\n--\n"


def results(*rs):
    """Results as fuzz_rs.h reads them: names line, rows, tab-separated, \\N is NULL."""
    return RS.join("\n".join("\t".join(r) for r in res) for res in rs)


def imds():
    creds = ('{"Code":"Success","LastUpdated":"2026-11-20T10:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIAEXAMPLE",'
             '"SecretAccessKey":"s","Token":"FQoG","Expiration":"2030-01-01T00:00:00Z"}')
    put("imds", "role", SEP.join(x.encode() for x in ("AQAEAtoken==", "app-role\n", creds, "us-east-1")))
    put("imds", "no_role", SEP.join(x.encode() for x in ("tok", "!404<html>Not Found</html>")))
    put("imds", "token_refused", b"!401")
    put("imds", "two_roles", SEP.join(x.encode() for x in ("tok", "a/b\nc", creds)))


def pg():
    probe = [["m", "u", "v", "s"], ["t", "monitor", "1.10", "public"]]
    health = [["n", "v", "r", "up", "now", "c", "a", "iit", "lw", "lx", "max", "x", "hit", "rd", "age"],
              ["150004", "PostgreSQL 15.4", "f", "86400.5", "1764250000.25", "12", "3", "1", "1", "30.5", "97",
               "123456", "99999", "100", "2000"]]
    replicas = [["app", "addr", "state", "sync", "lag", "w", "f", "r"],
                ["walreceiver", "10.0.0.2", "streaming", "async", "8192", "0.001", "0.002", "0.003"],
                ["r2", "local", "catchup", "sync", "\\N", "\\N", "\\N", "\\N"]]
    standby = [["lag", "replay", "paused", "streaming", "host", "port"], ["0", "\\N", "f", "\\N", "\\N", "\\N"]]
    sessions = [["pid", "u", "d", "app", "addr", "state", "wait", "start", "q", "x", "blk", "self", "query", "locks"],
                ["101", "app", "orders", "api", "10.0.0.9", "active", "Lock:transactionid", "2026-11-27 10:00:00+00",
                 "3.5", "4", "{102,103}", "f", "UPDATE t SET v = 1 \x1b[2J", "2"],
                ["102", "app", "orders", "api", "local", "idle in transaction", "", "2026-11-27 09:00:00+00", "\\N",
                 "60", "\\N", "f", "\\N", "5"],
                ["7", "monitor", "postgres", "dbfleet", "local", "active", "", "2026-11-27 08:00:00+00", "0", "0",
                 "\\N", "t", "SELECT ...", "0"]]
    pss = [["userid", "dbid", "top", "queryid", "calls", "time", "rows"],
           ["10", "5", "t", "-4242424242", "100", "2500.5", "300"], ["10", "5", "t", "77", "3", "1.5", "3"]]
    size = [["size"], ["123456789"]]
    texts = [["id", "q"], ["-4242424242", "SELECT * FROM t WHERE \u202e id = $1"], ["77", "COMMIT"]]
    full = results(probe, health, replicas, standby, sessions, pss, size, health, replicas, standby, sessions, pss,
                   texts)
    put("pg_batch", "full_then_texts", b"\x00" + full.encode())
    put("pg_batch", "health_only", b"\x07" + results(probe, health, replicas, standby, health).encode())
    put("pg_batch", "pss_denied", b"\x00" + results(probe, health, replicas, standby, sessions,
                                                      [["!permission denied for function pg_stat_statements"]])
        .encode())
    # the triage pane's parts after a health probe (flags: health-only, with triage)
    slots = [["n", "t", "d", "a", "pid", "ret", "st", "safe", "x", "cx"],
             ["idle", "physical", "", "f", "0", "83886080", "extended", "\\N", "\\N", "\\N"],
             ["logical_1", "logical", "app", "t", "4242", "1024", "reserved", "1073741824", "\\N", "17"]]
    wrap = [["d", "x", "m", "f", "mf", "w", "keep", "cur"], ["app", "2000", "3", "200000000", "400000000", "3",
                                                             "\\N", "app"]]
    vacuum = [["pid", "d", "t", "phase", "pct", "wrap"], ["55", "app", "pgbench_accounts", "scanning heap", "12.5",
                                                           "t"]]
    dead = [["t", "d", "l", "v"], ["public.orders", "5000", "100000", "\\N"]]
    xmin = [["k", "n", "pid", "s", "age", "age_s"], ["session", "app@app psql \x1b]0;x", "102", "2026-11-27 09:00:00+00",
                                                      "300", "60.5"], ["slot", "logical_1", "0", "", "17", "\\N"]]
    lockq = [["pid", "u", "d", "app", "addr", "state", "wait", "start", "q", "x", "by", "lock", "query"],
             ["102", "app", "app", "psql", "local", "idle in transaction", "", "2026-11-27 09:00:00+00", "60", "60",
              "\\N", "\\N", "SELECT 1"],
             ["103", "app", "app", "mig", "local", "active", "Lock:relation", "2026-11-27 09:01:00+00", "5", "5",
              "{102}", "AccessExclusiveLock on t", "ALTER TABLE t ADD x int"],
             ["104", "app", "app", "api", "local", "active", "Lock:relation", "2026-11-27 09:01:01+00", "4", "4",
              "{103,102,104}", "AccessShareLock on t", "SELECT * FROM t"]]
    put("pg_batch", "triage", b"\x09" + results(probe, health, replicas, standby, size, slots, wrap, vacuum, dead,
                                                  xmin, lockq).encode())
    put("pg_batch", "probe_no_pss", b"\x00" + results([["m", "u", "v", "s"], ["f", "app", "\\N", "\\N"]], health,
                                                        replicas, standby, sessions).encode())


def my():
    probe = [["v", "c", "id", "ps", "u"], ["10.11.6-MariaDB", "MariaDB Server", "7", "1", "mon@%"]]
    ok = [["x"], ["0"]]
    vars_ = [["ro", "max", "now", "id"], ["0", "151", "1764250000.5", "1"]]
    status = [["Variable_name", "Value"], ["Uptime", "86400"], ["Threads_connected", "9"], ["Threads_running", "2"],
              ["Questions", "5000"], ["Handler_commit", "4000"], ["Handler_rollback", "3"],
              ["Innodb_buffer_pool_read_requests", "1000"], ["Innodb_buffer_pool_reads", "10"],
              ["Innodb_row_lock_current_waits", "1"]]
    sessions = [["id", "user", "host", "db", "cmd", "time", "state", "info", "trx"],
                ["7", "mon", "127.0.0.1", "", "Query", "0", "", "SELECT ...", "-1"],
                ["8", "app", "web1:5000", "app", "Sleep", "30", "", "", "30"],
                ["9", "app", "web2:5001", "app", "Query", "3", "Updating", "UPDATE t SET v = 2", "3"],
                ["10", "repl", "10.0.0.2:4000", "", "Binlog Dump GTID", "900", "", "", "-1"]]
    trx = [["id", "age", "rows", "wait"], ["8", "30", "2", "0"], ["9", "3", "0", "1"]]
    locks = [["r", "b"], ["9", "8"]]
    replica = [["Slave_IO_Running", "Slave_SQL_Running", "Seconds_Behind_Master", "Master_Host"],
               ["Yes", "Yes", "4", "db1"]]
    digests = [["schema", "digest", "count", "timer", "rows"], ["app", "abc123", "100", "2500000000", "300"],
               ["", "", "5", "10", "0"]]
    texts = [["schema", "digest", "text"], ["app", "abc123", "SELECT * FROM t WHERE id = ?"]]
    sums = [["c", "r", "hosts"], ["9", "2", "10.0.0.2"]]
    trxsum = [["l", "w", "i"], ["30", "1", "1"]]
    p = [probe, ok, ok, replica, ok, [["e"], ["YES"]], [["n"], ["0"]]]
    put("my_batch", "mariadb_full", b"\x00" + results(*p, vars_, status, sessions, trx, replica, digests,
                                                        vars_, status, sessions, trx, locks, replica, digests, texts)
        .encode())
    put("my_batch", "mariadb_health", b"\x07" + results(*p, vars_, status, sums, trxsum, replica).encode())
    # the triage pane's parts: the first sample learns where metadata locks are, the second reads them
    mdlsrc = [["i", "ps", "plugin", "log_bin"], ["YES", "1", "0", "1"]]
    hist = [["len", "id", "age", "u", "h", "d", "st"], ["1234", "8", "30", "app", "web1:5000", "app", "RUNNING"]]
    mdl = [["id", "s", "t", "type", "status"], ["8", "app", "t", "SHARED_WRITE", "GRANTED"],
           ["9", "app", "t", "SHARED_UPGRADABLE", "GRANTED"], ["9", "app", "t", "EXCLUSIVE", "PENDING"],
           ["11", "app", "t", "SHARED_READ", "PENDING"]]
    mdls = [["id", "user", "host", "db", "cmd", "time", "state", "info", "trx"],
            ["8", "app", "web1:5000", "app", "Sleep", "30", "", "", "30"],
            ["9", "app", "web2:5001", "app", "Query", "3", "Waiting for table metadata lock", "ALTER TABLE t ADD x int",
             "-1"],
            ["11", "app", "web3:5002", "app", "Query", "2", "Waiting for table metadata lock", "SELECT * FROM t", "-1"]]
    binlogs = [["Log_name", "File_size"], ["binlog.000001", "1073741824"], ["binlog.000002", "4096"]]
    put("my_batch", "mariadb_triage", b"\x1b" + results(*p, vars_, status, sums, trxsum, replica, mdlsrc, hist,
                                                          vars_, status, sums, trxsum, replica, mdlsrc, hist, mdl,
                                                          mdls, binlogs).encode())
    put("my_batch", "mysql8_aurora", b"\x00" + results(
        [["v", "c", "id", "ps", "u"], ["8.0.32", "MySQL Community Server", "12", "1", "mon@%"]], [["a", "s"],
        ["3.05.2", "inst-1"]], ok, ok,
        [["Replica_IO_Running", "Replica_SQL_Running", "Seconds_Behind_Source"], ["No", "Yes", "\\N"]], ok,
        [["e"], ["NO"]], [["n"], ["1"]], vars_, status, sessions, trx, replica,
        [["id", "w", "lag", "me"], ["inst-1", "1", "0", "1"], ["inst-2", "0", "20.5", "0"]], digests).encode())


def mssql():
    health = [["v", "up", "now", "max"], ["16.0.4135.4", "86400", "1764250000.5", "32767"]]
    counters = [["name", "v"], ["Batch Requests/sec", "123456"], ["Transactions/sec", "98765"],
                ["User Connections", "42"], ["Buffer cache hit ratio", "990"], ["Buffer cache hit ratio base", "1000"],
                ["Processes blocked", "1"]]
    sessions = [["spid", "login", "db", "prog", "host", "status", "wait", "q", "x", "blk", "login_time", "text"],
                ["51", "app", "orders", "api", "web1", "sleeping", "\\N", "\\N", "120", "0",
                 "2026-11-27 10:00:00.000", "\\N"],
                ["52", "app", "orders", "api", "web2", "suspended", "LCK_M_X", "30", "30", "51",
                 "2026-11-27 10:01:00.000", "UPDATE orders SET paid = 1 WHERE id = @id"],
                ["60", "mon", "master", "dbfleet", "bastion", "running", "\\N", "0", "\\N", "0",
                 "2026-11-27 11:00:00.000", "SELECT ..."]]
    hadr = [["name", "local", "primary", "sync", "queue", "age", "mode"],
            ["EC2AMAZ-A", "1", "1", "SYNCHRONIZED", "0", "0", "SYNCHRONOUS_COMMIT"],
            ["EC2AMAZ-B", "0", "0", "SYNCHRONIZING", "512", "3", "ASYNCHRONOUS_COMMIT"]]
    stats = [["h", "calls", "ms", "rows"], ["0x1A2B3C4D5E6F7081", "100", "2500.5", "300"], ["junk", "1", "1", "1"]]
    texts = [["h", "t"], ["0x1A2B3C4D5E6F7081", "SELECT 1"]]
    probe = [["major", "spid", "state"], ["16", "60", "1"]]
    put("mssql_batch", "primary_then_texts", results(probe, health, counters, sessions, hadr, stats,
                                                     health, counters, sessions, hadr, stats, texts))
    put("mssql_batch", "secondary_no_state", results([["major", "spid", "state"], ["13", "55", "0"]], health, counters,
                                                     sessions, [["name", "local", "primary"], ["B", "1", "0"]],
                                                     [["!VIEW SERVER STATE permission was denied"]]))


class Noise:
    """tests/unit/test_fuzz.c's generator (seed 12345), whose cases these corpora took over."""
    HOT = b"\x1b\x07\x9b\xc2\xe2\xf0\xed\xff\n\t=[]@:/?&#;%\\\"'"

    def __init__(self):
        self.seed = 12345

    def rnd(self):
        self.seed = (self.seed * 1103515245 + 12345) & 0xFFFFFFFF
        return self.seed >> 8

    def bytes(self, mx):
        n = self.rnd() % mx
        out = bytearray()
        for _ in range(n):
            b = self.rnd() % 256 if self.rnd() % 3 else self.HOT[self.rnd() % len(self.HOT)]
            out.append(b or ord("x"))
        return bytes(out)


def config():
    man = open(os.path.join(here, "..", "..", "man", "dbfleet.conf.5")).read()
    example = man.split(".SH EXAMPLE\n.nf\n")[1].split(".fi")[0]
    put("config", "man_example", example.replace("include = conf.d/*.conf\n", ""))
    put("config", "defaults_after", "[target a]\ndsn = host=a\n[defaults]\nengine = postgres\ninterval = 0.5\n"
        "timeout = 99999\ntags = a=b,c\nactions = none\nconfirm = typed\n")
    put("config", "accounts", "[aws]\nprofiles = pay:us-east-1+eu-west-1, pay-ro ,data\npayer_profile = billing\n"
        "aliases = 111111111111=payments, 222222222222=data team,333=x\n[target a]\ndsn = host=a\n"
        "aws_instance = orders-db\naws_account = payments\n")
    put("config", "bad_line", "[dbfleet]\nrefresh\n[target x y]\ndsn = odbc:DSN=mssql;UID=mon\n[nope]\n")
    for k in ("readonly", "keys", "samplers", "log"):
        put("config", "key_" + k, "[dbfleet]\n%s = \x1b[2J\xe2\x80\xae\n" % k)
    put("keymap", "default", open(os.path.join(here, "..", "..", "keymaps", "default.keys")).read())
    put("keymap", "vi", open(os.path.join(here, "..", "..", "keymaps", "vi.keys")).read())
    put("keymap", "odd", "C-\\ quit\nF10 none\nx nosuch\nC- help\n\xc3\xa9 help\nSpace\tpane-next extra\n")
    g = Noise()
    for r in range(12):
        raw = g.bytes(1999)
        if r % 2:
            n = len(raw)
            raw = (b"[dbfleet]\nrefresh = " + raw[:40] + b"\n[target " + raw[n // 3:n // 3 + 20] + b"]\ndsn = " +
                   raw[n // 2:n // 2 + 60] + b"\n")
        put("config", "noise%02d" % r, raw)
        put("keymap", "noise%02d" % r, raw)  # test_fuzz.c gave the same file to both


def dsn():
    for n, d in (("libpq_kv", "host=10.0.1.5 port=5432 user=mon dbname=orders sslmode=verify-full"),
                 ("libpq_uri", "postgresql://mon@[::1]:5433,db2:5434/orders?application_name=x&target_session_attrs=any"),
                 ("libpq_quoted", "host='a b' options='-c statement_timeout=5s' service=prod"),
                 ("mysql", "mysql://mon@10.0.2.7:3306/billing?ssl-mode=VERIFY_IDENTITY&ssl-ca=/etc/ssl/rds.pem"),
                 ("mariadb_socket", "mariadb://mon@localhost/db?socket=/run/mysqld/mysqld.sock"),
                 ("odbc", "odbc:DSN=mssql;UID=mon;Encrypt=yes;TrustServerCertificate={no;really}"),
                 ("refused", "host=x password=s3cret"),
                 ("unknown", "redis://x:6379")):
        put("dsn", n, d)
    g = Noise()
    for r in range(12):
        put("dsn", "noise%02d" % r, (b"mysql://" if r % 2 else b"") + g.bytes(200))
    g = Noise()
    for r in range(12):
        put("text", "noise%02d" % r, bytes([1 + g.rnd() % 200]) + g.bytes(299))


def pending():
    """Inputs that fail until issue 11's finding 2 is fixed (DBFLEET_FUZZ_PENDING=1 runs them)."""
    d = os.path.join(here, "regressions", "pending", "dsn")
    os.makedirs(d, exist_ok=True)
    for n, v in (("libpq_spaces", "host=db password = s3cret"), ("uri_percent_key", "postgresql://db/x?passw%6Frd=s3cret"),
                 ("odbc_pwd", "odbc:DSN=x;UID=u;PWD=s3cret"), ("odbc_password_case", "odbc:DSN=x;Password=s3cret")):
        with open(os.path.join(d, n), "w") as f:
            f.write(v)


for fn in (rds, cloudwatch, ce, accounts, pi, aws_error, sts, imds, pg, my, mssql, config, dsn, pending):
    fn()
if len(sys.argv) > 1:
    print("written under", os.path.join(here, "corpus"))
