"""The plan of the query under the cursor (the 'e' key) on the lab's real servers: a long
join's plan while it runs, PostgreSQL and MariaDB, and the statement not run a second time
(the servers' own statement counters); the reasons there is no plan (a missing grant, a
utility statement, a text of several statements that must not escape the EXPLAIN)."""
import glob
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time

from harness import (Dbfleet, Failure, dsn, lab, mdb, mysql_dsn, psql, psql_bg, require_mariadb,
                     write_config)

# a join that takes ten seconds: pg_sleep runs once, as a function scan joined to the tables
PG_JOIN = ("SELECT count(*) FROM pgbench_accounts a JOIN pgbench_branches b ON a.bid = b.bid"
           " CROSS JOIN pg_sleep(10) s")


def _pg_active(app, timeout=10, query_id=False):
    """pid and query_id of the session named 'app' once it runs its statement. The state turns
    active before the statement is parsed and query_id is set only after: query_id=True waits for
    it too (a session waiting on a relation lock during parse analysis never gets one)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        row = psql("SELECT pid, coalesce(query_id, 0) FROM pg_stat_activity WHERE application_name = '%s'"
                   " AND state = 'active'%s" % (app, " AND query_id IS NOT NULL" if query_id else ""))
        if row:
            pid, qid = row.split("|")
            return int(pid), int(qid)
        time.sleep(0.1)
    raise Failure("the session %s never became active" % app)


def _calls(qid):
    got = psql("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE queryid = %d" % qid, db="app")
    return int(got or 0)


def _open_plan(d, shown, text):
    """Sessions pane once 'shown' is on screen, only the session whose row holds 'text' kept, its
    plan asked for; the screen once answered. 'text' must be in no other session's row (the test's
    own psql queries name the application: filter on the statement)."""
    d.keys("4")
    d.wait_for(re.escape(shown), timeout=10)
    d.keys("/")
    d.type(text)
    d.keys("Enter", "Home", "e")
    d.wait_for(r"plan: pid\d+ on ", timeout=5)
    return d.wait_for(r"answered in \d", timeout=20)


def _watch_pg():
    """dbfleet on the lab's primary, its state directory (saved plans) a fresh one: d.state."""
    state = tempfile.mkdtemp(prefix="dbfleet-explain-")
    cfg = write_config([("primary", dsn(lab()["PG_PRIMARY_PORT"]))])
    d = Dbfleet(["-c", cfg], width=160, height=45, env={"XDG_STATE_HOME": state})
    d.state = state
    d.wait_for(r"^primary\s+postgres\s+primary\s+ok")
    return d


def _done(d):
    d.close()
    shutil.rmtree(d.state, ignore_errors=True)


def test_pg_long_join_plan_names_the_grant_then_shows_the_plan_and_runs_nothing():
    """Without read access EXPLAIN is refused and the grant is named; with pg_read_all_data the
    running join's plan shows, costliest nodes marked, saved to a 0600 file; pg_stat_statements
    counts the join once: the plan did not run it."""
    psql("REVOKE pg_read_all_data FROM mon")
    d = _watch_pg()
    join = psql_bg(PG_JOIN, "explainjoin")
    try:
        pid, qid = _pg_active("explainjoin", query_id=True)
        before = _calls(qid)
        s = _open_plan(d, "explainjoin", "pgbench_branches b")
        assert re.search(r'permission denied for table pgbench_\w+: GRANT pg_read_all_data TO "mon"', s), s
        d.keys("Escape")
        d.wait_for(r"plan: pid", gone=True)
        psql("GRANT pg_read_all_data TO mon")
        d.keys("e")
        s = d.wait_for(r"answered in \d", timeout=20)
        assert "pid %d (active) in database app: PostgreSQL EXPLAIN" % pid in s, s
        assert re.search(r"Function Scan on pg_sleep", s), s
        assert re.search(r"Seq Scan on pgbench_accounts", s), s
        assert re.search(r"^\s*> .*\[#1 \d+%\]", s, re.M), s  # the costliest node, marked
        assert "CROSS JOIN pg_sleep(10)" in s, s
        d.keys("w")
        s = d.wait_for(r"saved to (\S+\.txt)", timeout=5)
        path = re.search(r"saved to (\S+\.txt)", s).group(1)
        files = glob.glob(os.path.join(d.state, "dbfleet", "plan-primary-pid%d-*.txt" % pid))
        assert len(files) == 1 and path.endswith(os.path.basename(files[0])), (path, files)
        assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600
        text = open(files[0]).read()
        assert "Seq Scan on pgbench_accounts" in text and re.search(r"^> .*\[#1 ", text, re.M), text
        assert join.wait(timeout=20) == 0, "the join itself failed"
        after = _calls(qid)
        assert after == before + 1, "the join ran %d times, not once" % (after - before)
    finally:
        psql("REVOKE pg_read_all_data FROM mon")
        join.kill()
        _done(d)


def test_pg_utility_statement_and_several_statements_have_no_plan():
    """DO is a utility statement: refused with its reason. A text of two statements is refused by
    the extended protocol, so the second (pg_promote) never runs as dbfleet's role."""
    d = _watch_pg()
    util = psql_bg("DO $$BEGIN PERFORM pg_sleep(8); END$$", "explainutil")
    multi = psql_bg("SELECT pg_sleep(8); SELECT pg_promote()", "explainmulti")
    try:
        _pg_active("explainutil")
        _pg_active("explainmulti")
        s = _open_plan(d, "explainutil", "PERFORM pg_sleep")
        assert "no plan: DO is a utility statement" in s, s
        d.keys("Escape")  # closes the overlay
        d.wait_for(r"plan: pid", gone=True)
        d.keys("/", "Escape")  # clears the filter
        s = _open_plan(d, "explainmulti", "SELECT pg_promote")
        assert "no plan: the text holds more than one statement" in s, s
        promoted = psql("SELECT count(*) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid"
                        " WHERE r.rolname = 'mon' AND s.query ILIKE '%pg_promote%'", db="app")
        assert promoted == "0", promoted
        assert psql("SELECT pg_is_in_recovery()") == "f"
    finally:
        util.kill()
        multi.kill()
        _done(d)


def test_pg_cut_text_and_another_search_path_say_why():
    """A text longer than track_activity_query_size (1 kB here) is cut in pg_stat_activity: no plan
    from a part, and the setting named. A session that set its own search_path plans nothing from
    outside: the table is not found and the overlay says the session's search_path is not visible."""
    psql("CREATE SCHEMA IF NOT EXISTS explainsp; CREATE TABLE IF NOT EXISTS explainsp.sp_t (id int);"
         " GRANT USAGE ON SCHEMA explainsp TO app; GRANT SELECT ON explainsp.sp_t TO app;"
         " GRANT pg_read_all_data TO mon", db="app")
    d = _watch_pg()
    cut = psql_bg("SELECT pg_sleep(9) /* %s */" % ("x" * 1100), "explaincut")
    other = subprocess.Popen([os.path.join(lab()["PG_BIN"], "psql"), "-X", "-q", "-h", "127.0.0.1", "-p",
                              lab()["PG_PRIMARY_PORT"], "-U", "app", "-d", "app"],
                             env=dict(os.environ, PGAPPNAME="explainpath"), stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    other.stdin.write(b"SET search_path TO explainsp;\nSELECT count(*) FROM sp_t CROSS JOIN pg_sleep(9);\n")
    other.stdin.flush()
    try:
        _pg_active("explaincut")
        _pg_active("explainpath")
        s = _open_plan(d, "explaincut", "pg_sleep(9) /* xxx")
        assert "no plan: the text is cut at track_activity_query_size (1024 bytes)" in s, s
        d.keys("Escape")
        d.wait_for(r"plan: pid", gone=True)
        d.keys("/", "Escape")
        s = _open_plan(d, "explainpath", "FROM sp_t CROSS")
        assert re.search(r'no plan: relation "sp_t" does not exist; the session may use another search_path', s), s
        # where the role's default search_path names the schema, the plan uses it and says so
        psql("ALTER ROLE app IN DATABASE app SET search_path = explainsp, public")
        d.keys("Escape")
        d.wait_for(r"plan: pid", gone=True)
        d.keys("e")
        s = d.wait_for(r"answered in \d", timeout=20)
        assert "planned with its role's default (explainsp, public)" in s, s
        assert re.search(r"Seq Scan on sp_t", s), s
    finally:
        psql("ALTER ROLE app IN DATABASE app RESET search_path")
        psql("REVOKE pg_read_all_data FROM mon")
        cut.kill()
        other.kill()
        _done(d)


def _psql_held(app, sql):
    """psql reading a pipe we keep open, after 'sql': the session stays, idle in its transaction."""
    p = subprocess.Popen([os.path.join(lab()["PG_BIN"], "psql"), "-X", "-q", "-h", "127.0.0.1", "-p",
                          lab()["PG_PRIMARY_PORT"], "-U", "app", "-d", "app"], env=dict(os.environ, PGAPPNAME=app),
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p.stdin.write(sql.encode())
    p.stdin.flush()
    return p


def test_pg_plan_does_not_queue_behind_the_lock_being_diagnosed():
    """A SELECT waits behind an ACCESS EXCLUSIVE lock held by an idle transaction. Planning it needs
    the same lock: lock_timeout (100 ms) ends the wait at once and the overlay says so, instead of
    dbfleet queueing behind the lock (and everyone after it behind dbfleet)."""
    psql("GRANT pg_read_all_data TO mon")
    d = _watch_pg()
    holder = _psql_held("explholder", "BEGIN;\nLOCK TABLE pgbench_tellers IN ACCESS EXCLUSIVE MODE;\n")
    deadline = time.time() + 10
    while time.time() < deadline and not psql("SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                                               " WHERE c.relname = 'pgbench_tellers' AND l.granted"
                                               " AND l.mode = 'AccessExclusiveLock'", db="app"):
        time.sleep(0.1)  # the lock is held before the waiter comes
    waiter = psql_bg("SELECT sum(tbalance) FROM pgbench_tellers", "explwaiter")
    try:
        _pg_active("explwaiter")
        s = _open_plan(d, "explwaiter", "sum(tbalance) FROM")
        assert "no plan: planning needs a lock another session holds or waits for (lock_timeout 100 ms)" in s, s
        took = float(re.search(r"answered in (\d+\.\d+)s", s).group(1))
        assert took < 2, took
        assert psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbfleet'"
                    " AND wait_event_type = 'Lock'") == "0"
    finally:
        psql("REVOKE pg_read_all_data FROM mon")
        holder.kill()
        waiter.kill()
        _done(d)


def test_pg_plan_before_the_first_detailed_sample_says_to_wait():
    """The queries pane opened a moment ago has read no digests yet: it says so instead of "no
    statements recorded", and e says the sample is on its way instead of asking for a selection;
    once the digests are read, e opens the plan."""
    psql("GRANT pg_read_all_data TO mon")
    psql("SELECT count(*) FROM pgbench_accounts WHERE abalance > 5 AND aid < 4141", db="app", user="app")
    d = _watch_pg()
    try:
        d.keys("3", "e")  # in one read: the digests cannot have come between the two keys
        s = d.wait_for(r"no detailed sample of this target yet: e again in a moment", timeout=5)
        assert "select a session (4) or a statement (3) first" not in s, s
        assert "no statements recorded yet" not in s, s
        d.keys("/")
        d.type("abalance > $1 AND aid")
        d.keys("Enter")
        d.wait_for(r"abalance > \$1 AND aid < \$2", timeout=10)
        d.keys("Home", "e")
        d.wait_for(r"answered in \d", timeout=20)
    finally:
        psql("REVOKE pg_read_all_data FROM mon")
        _done(d)


def test_pg_recorded_statement_with_parameters_gets_its_generic_plan():
    """A pg_stat_statements text has $1 for its constants: on PostgreSQL 15 it is prepared over
    the protocol and explained as EXECUTE with NULLs under force_generic_plan (16: GENERIC_PLAN);
    the overlay says it is the generic plan, the parameters stay in its conditions."""
    psql("GRANT pg_read_all_data TO mon")
    psql("SELECT count(*) FROM pgbench_accounts WHERE abalance > 7 AND aid < 4242", db="app", user="app")
    d = _watch_pg()
    try:
        d.keys("3")
        # filter first: with many statements recorded by earlier tests, this one (no rate yet)
        # can sort below the last line of the screen
        d.keys("/")
        d.type("abalance > $1 AND aid")
        d.keys("Enter")
        # the row itself (the title shows the filter's text at once, before the digests are read)
        d.wait_for(r"abalance > \$1 AND aid < \$2", timeout=10)
        d.keys("Home", "e")
        s = d.wait_for(r"answered in \d", timeout=20)
        assert "in database app: PostgreSQL EXPLAIN, generic plan (parameters unknown)" in s, s
        assert re.search(r"Scan .*on pgbench_accounts", s), s
        assert "(abalance > $1)" in s, s
        assert re.search(r"^\s*> .*\[#1 \d+%\]", s, re.M), s
        # the smallest terminal dbfleet takes: the lines wrap, End scrolls to the last
        d.resize(80, 24)
        d.keys("End")
        s = d.wait_for(r"Esc close\s+\d+-(\d+)/\1$", timeout=5)
        assert re.search(r"^\s*> ", s, re.M), s
    finally:
        psql("REVOKE pg_read_all_data FROM mon")
        _done(d)


# a join of about ten seconds: SLEEP(0.01) for each of about a thousand joined rows, while the
# plan runs (SHOW EXPLAIN answers only while the statement executes, not while it is optimised)
MDB_JOIN = ("SELECT COUNT(*) AS explain_probe FROM app.t a JOIN app.t b ON b.v = a.v"
            " WHERE a.id <= 1000 AND SLEEP(0.01) = 0")


def _mdb_digest_count():
    got = mdb("SELECT COALESCE(SUM(COUNT_STAR), 0) FROM performance_schema.events_statements_summary_by_digest"
              " WHERE DIGEST_TEXT LIKE '%explain_probe%' AND DIGEST_TEXT NOT LIKE '%summary_by_digest%'")
    return int(got or 0)


def test_mariadb_long_join_plan_from_show_explain_and_not_run_again():
    """SHOW EXPLAIN FOR the connection while the join runs: the plan it really uses, the table
    steps listed and the costliest marked; performance_schema counts the join once."""
    require_mariadb()
    before = _mdb_digest_count()
    d = Dbfleet(["-c", write_config([("mdb", mysql_dsn("primary"))])], width=160, height=45)
    join = subprocess.Popen(["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", lab()["MDB_PRIMARY_PORT"],
                             "-u", "app", "app", "-e", MDB_JOIN], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        d.wait_for(r"^mdb\s+mysql\s+primary\s+ok")
        d.keys("4")
        d.wait_for(r"explain_probe", timeout=10)
        d.keys("/")
        d.type("SLEEP(0.01)")
        d.keys("Enter", "Home", "e")
        s = d.wait_for(r"answered in \d", timeout=20)
        assert "MariaDB SHOW EXPLAIN, the plan it runs now" in s, s
        assert re.search(r"select_type\s+table\s+type", s), s
        assert re.search(r"^\s*> .*\b(a|b)\b.*\[#1 \d+%\]", s, re.M), s
        assert "explain_probe" in s, s
        join.wait(timeout=30)
        after = _mdb_digest_count()
        assert after == before + 1, "the join ran %d times, not once" % (after - before)
    finally:
        join.kill()
        d.close()


def test_mariadb_utility_statement_has_no_plan_and_says_why():
    """DO SLEEP(...) is no statement with a plan: MariaDB answers SHOW EXPLAIN with error 1933
    and the overlay says so in one line."""
    require_mariadb()
    d = Dbfleet(["-c", write_config([("mdb", mysql_dsn("primary"))])], width=160, height=45)
    util = subprocess.Popen(["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", lab()["MDB_PRIMARY_PORT"],
                             "-u", "app", "app", "-e", "DO SLEEP(8.5)"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        d.wait_for(r"^mdb\s+mysql\s+primary\s+ok")
        d.keys("4")
        d.wait_for(r"DO SLEEP\(8\.5\)", timeout=10)
        d.keys("/")
        d.type("DO SLEEP(8.5)")
        d.keys("Enter", "Home", "e")
        s = d.wait_for(r"answered in \d", timeout=20)
        assert re.search(r"no plan: connection \d+ runs no statement with a plan now", s), s
    finally:
        util.kill()
        d.close()
