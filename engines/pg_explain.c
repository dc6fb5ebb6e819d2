/*
 * pg_explain.c - the plan of a PostgreSQL statement, never running it.
 *
 * DESIGN (wire protocol): the statement's text comes from the server again
 * (pg_stat_activity for a session, checked by pid and backend_start;
 * pg_stat_statements for a recorded statement), never from the screen. It
 * is planned in the database it ran in: the connection's own parameters
 * (PQconninfo: host, address, user, password or IAM token, TLS) with the
 * dbname replaced. Everything goes over the extended protocol, one
 * statement per message, so a text like "...; COMMIT; SELECT pg_promote()"
 * is refused by the server ("cannot insert multiple commands into a
 * prepared statement") instead of escaping the EXPLAIN. The plan is made
 * inside BEGIN READ ONLY with a short statement_timeout and a lock_timeout
 * of 100 ms (planning takes the statement's table locks, and the lock being
 * diagnosed may be the one it would queue behind), then rolled back. Never
 * EXPLAIN ANALYZE. The planner may still call immutable or stable functions
 * while it folds constants: the read-only transaction and the timeouts
 * bound what they can do. A text with parameters ($1) gets its generic
 * plan: EXPLAIN (GENERIC_PLAN) from PostgreSQL 16; before, the text is
 * prepared under a name over the protocol and explained as EXECUTE with
 * NULLs under plan_cache_mode = force_generic_plan. Runs on a blocking
 * worker (collectors/explain.c); a deadline it misses cancels and gives up.
 */
#include "pg_conn.h"
#include "plan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PX_TIMEOUTS_SQL "SET LOCAL statement_timeout = '2s'"
#define PX_LOCK_SQL "SET LOCAL lock_timeout = '100ms'"
#define PX_NAME "dbfleet_explain"
#define PX_PARAMS_MAX 100   /* EXECUTE name(NULL, ...) for at most this many parameters */
#define PX_TEXT_MAX 200000  /* longer texts are not sent back */

/* What a session ran, and where (its role's default search_path, when one is set). */
#define PX_SQL_PATH(role, db) \
	"(SELECT substr(cfg, 13) FROM pg_db_role_setting r, unnest(r.setconfig) cfg" \
	"  WHERE r.setrole IN (" role ", 0) AND r.setdatabase IN (" db ", 0) AND left(cfg, 12) = 'search_path='" \
	"  ORDER BY r.setrole DESC, r.setdatabase DESC LIMIT 1)"
#define PX_SQL_SESSION \
	"SELECT a.datname, a.query," \
	"  octet_length(a.query) >= t.setting::int - 1, t.setting, a.state, a.usename, " \
	PX_SQL_PATH("a.usesysid", "a.datid") \
	" FROM pg_stat_activity a, pg_settings t" /* the setting in bytes: current_setting() says "1kB" */ \
	" WHERE t.name = 'track_activity_query_size' AND a.pid = $1 AND a.backend_start = $2::timestamptz"
#define PX_SQL_STATEMENT \
	"SELECT d.datname, s.query, false, '', '', u.rolname, " PX_SQL_PATH("s.userid", "s.dbid") \
	" FROM %s.pg_stat_statements(true) s JOIN pg_database d ON d.oid = s.dbid" \
	" LEFT JOIN pg_roles u ON u.oid = s.userid" \
	" WHERE s.queryid = $1 AND s.dbid = $2 AND s.userid = $3 LIMIT 1"
enum { PX_DB, PX_TEXT, PX_CUT, PX_TQS, PX_STATE, PX_USER, PX_PATH, PX_NCOLS };

/* The one result of what was just sent, before 'deadline'; NULL with 'err' (cancelled on timeout). */
static PGresult *px_result(PGconn *pg, double deadline, struct err *err)
{
	int rc;
	while ((rc = PQflush(pg)) == 1)
		if (pg_wait(pg, 1, deadline) <= 0)
			goto timeout;
	PGresult *first = NULL, *r;
	for (;;) {
		while (rc == 0 && PQisBusy(pg)) {
			int w = pg_wait(pg, 0, deadline);
			if (w == 0) {
				PQclear(first);
				goto timeout;
			}
			if (w < 0 || !PQconsumeInput(pg))
				rc = -1;
		}
		if (rc < 0 || !(r = PQgetResult(pg)))
			break;
		if (first)
			PQclear(r);
		else
			first = r;
	}
	if (!first || rc < 0) {
		PQclear(first);
		pg_set_err(err, ERR_FAIL, "no plan", PQerrorMessage(pg));
		return NULL;
	}
	return first;
timeout:;
	PGcancel *cn = PQgetCancel(pg); /* a blocking worker's thread: PQcancel may block, the pool bounds it */
	char eb[128];
	if (cn)
		PQcancel(cn, eb, sizeof eb);
	PQfreeCancel(cn);
	err_set(err, ERR_TIMEOUT, "no plan: the server did not answer before the deadline");
	return NULL;
}

/* One statement over the extended protocol with text parameters; its result or NULL with 'err'. */
static PGresult *px_exec(PGconn *pg, const char *sql, int n, const char *const *vals, double deadline,
			 struct err *err)
{
	if (!PQsendQueryParams(pg, sql, n, NULL, vals, NULL, NULL, 0)) {
		pg_set_err(err, ERR_FAIL, "no plan", PQerrorMessage(pg));
		return NULL;
	}
	return px_result(pg, deadline, err);
}

/* Run a statement that returns no rows; 0, or -1 with 'err' (the server's refusal explained). */
static int px_do(PGconn *pg, const char *sql, int n, const char *const *vals, double deadline, const char *role,
		 struct err *err);

/*
 * The server's refusal in one line, naming what to do: a grant, the
 * search_path caveat, the lock it would wait for.
 */
static void px_why(const PGresult *r, const char *role, struct err *err)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE), *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	state = state ? state : "";
	m = m ? m : PQresultErrorMessage(r);
	if (!strcmp(state, "42501")) {
		const char *obj = strstr(m, " for ");
		err_set(err, ERR_REFUSED, "no plan: %.90s: GRANT pg_read_all_data TO \"%.40s\" (PostgreSQL 14+) or GRANT"
			" SELECT ON %.60s TO \"%.40s\"", m, role, obj ? obj + 5 : "the tables", role);
	} else if (!strcmp(state, "42P01") || !strcmp(state, "42883") || !strcmp(state, "42704") ||
		   !strcmp(state, "3F000")) {
		err_set(err, ERR_FAIL, "no plan: %.150s; the session may use another search_path (it is not visible from"
			" outside: dbfleet planned with its role's default)", m);
	} else if (!strcmp(state, "55P03")) {
		err_set(err, ERR_FAIL, "no plan: planning needs a lock another session holds or waits for (lock_timeout"
			" 100 ms); the statement may be waiting behind the same lock");
	} else if (!strcmp(state, "57014")) {
		err_set(err, ERR_TIMEOUT, "no plan: planning took longer than statement_timeout (2 s)");
	} else if (!strcmp(state, "42601") && strstr(m, "multiple commands")) {
		err_set(err, ERR_REFUSED, "no plan: the text holds more than one statement; dbfleet plans one, sent over"
			" the extended protocol, which refuses more");
	} else if (!strcmp(state, "26000")) {
		err_set(err, ERR_FAIL, "no plan: the session runs its own prepared statement (EXECUTE), which exists"
			" only in that session");
	} else {
		err_set(err, ERR_FAIL, "no plan: %.200s (SQLSTATE %s)", m, state);
	}
}

static int px_do(PGconn *pg, const char *sql, int n, const char *const *vals, double deadline, const char *role,
		 struct err *err)
{
	PGresult *r = px_exec(pg, sql, n, vals, deadline, err);
	if (!r)
		return -1;
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		px_why(r, role, err);
	PQclear(r);
	return ok ? 0 : -1;
}

int pg_explainable(const char *text, char *word, size_t n)
{
	static const char *const ok[] = {"SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE",
					 "DECLARE"};
	const char *p = text;
	for (;;) {
		while (*p && (isspace((unsigned char)*p) || *p == '('))
			p++;
		if (p[0] == '-' && p[1] == '-')
			p += strcspn(p, "\n");
		else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			p = end ? end + 2 : p + strlen(p);
		} else
			break;
	}
	size_t len = 0;
	while (isalpha((unsigned char)p[len]) || p[len] == '_')
		len++;
	snprintf(word, n, "%.*s", (int)(len < 24 ? len : 24), p);
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (len == strlen(ok[i]) && !strncasecmp(p, ok[i], len))
			return 1;
	return 0;
}

/* A connection like 'pg' (its host, address, user, password, TLS) to database 'db'; NULL with 'err'. */
static PGconn *px_open_db(PGconn *pg, const char *db, double deadline, struct err *err)
{
	PQconninfoOption *info = PQconninfo(pg);
	const char *keys[64], *vals[64];
	int n = 0;
	for (PQconninfoOption *o = info; o && o->keyword && n < 62; o++)
		if (o->val && o->val[0] && strcmp(o->keyword, "dbname"))
			keys[n] = o->keyword, vals[n++] = o->val;
	keys[n] = "dbname", vals[n++] = db;
	keys[n] = vals[n] = NULL;
	double left = deadline - clock_mono();
	PGconn *c = info && left > 0 ? pg_open_params(keys, vals, 0, left, err) : NULL;
	if (!c && info && left > 0) {
		char why[ERR_MSG_MAX];
		snprintf(why, sizeof why, "%s", err->msg);
		err_set(err, err->code, "no plan: cannot connect to the session's database \"%.60s\": %.180s", db, why);
	} else if (!c)
		err_set(err, ERR_TIMEOUT, "no plan: no time left to connect to database \"%.60s\"", db);
	PQconninfoFree(info);
	return c;
}

/* The text and where it ran, from the server; 0 with 'r' (one row), or -1 with 'err'. */
static int px_read_text(struct engine_conn *c, const struct db_explain *q, double deadline, PGresult **r,
			struct err *err)
{
	char sql[1600], a[32], b[16], d[16];
	const char *vals[3];
	int n;
	if (q->kind == EXPLAIN_SESSION) {
		snprintf(a, sizeof a, "%d", q->who.pid);
		vals[0] = a, vals[1] = q->who.backend_start, n = 2;
		snprintf(sql, sizeof sql, "%s", PX_SQL_SESSION);
	} else if (!c->st.pss) {
		err_set(err, ERR_FAIL, "no plan: pg_stat_statements cannot be read here, so the statement's text cannot");
		return -1;
	} else {
		snprintf(a, sizeof a, "%lld", (long long)q->queryid);
		snprintf(b, sizeof b, "%u", q->dbid);
		snprintf(d, sizeof d, "%u", q->userid);
		vals[0] = a, vals[1] = b, vals[2] = d, n = 3;
		snprintf(sql, sizeof sql, PX_SQL_STATEMENT, c->st.pss_schema);
	}
	*r = px_exec(c->pg, sql, n, vals, deadline, err);
	if (!*r)
		return -1;
	if (PQresultStatus(*r) != PGRES_TUPLES_OK || PQnfields(*r) != PX_NCOLS) {
		px_why(*r, PQuser(c->pg), err);
	} else if (PQntuples(*r) != 1) {
		if (q->kind == EXPLAIN_SESSION)
			err_set(err, ERR_REFUSED, "no plan: pid %d is not the session shown any more (it ended, or the pid"
				" was reused)", q->who.pid);
		else
			err_set(err, ERR_FAIL, "no plan: the statement is not in pg_stat_statements any more");
	} else
		return 0;
	PQclear(*r);
	*r = NULL;
	return -1;
}

/* Why this text cannot be planned (empty, hidden, cut, a utility), or 0 if it can. */
static int px_check_text(const PGresult *r, const char *role, struct err *err)
{
	const char *text = PQgetvalue(r, 0, PX_TEXT);
	char word[32];
	if (PQgetisnull(r, 0, PX_TEXT) || !text[0])
		return err_set(err, ERR_FAIL, "no plan: the session has no statement text");
	if (!strcmp(text, "<insufficient privilege>"))
		return err_set(err, ERR_REFUSED, "no plan: dbfleet's role \"%.60s\" cannot see this session's text:"
			       " GRANT pg_read_all_stats TO \"%.60s\" (or pg_monitor)", role, role);
	if (PQgetvalue(r, 0, PX_CUT)[0] == 't')
		return err_set(err, ERR_FAIL, "no plan: the text is cut at track_activity_query_size (%.12s bytes):"
			       " a part of a statement has no plan; raise the setting (a restart) to see it whole",
			       PQgetvalue(r, 0, PX_TQS));
	if (strlen(text) > PX_TEXT_MAX)
		return err_set(err, ERR_FAIL, "no plan: the text is longer than dbfleet sends back (%d bytes)",
			       PX_TEXT_MAX);
	if (!pg_explainable(text, word, sizeof word))
		return err_set(err, ERR_FAIL, "no plan: %s%s is a utility statement: PostgreSQL plans only SELECT,"
			       " INSERT, UPDATE, DELETE, MERGE, VALUES", word[0] ? word : "the text",
			       word[0] ? "" : " (no statement word)");
	return 0;
}

/* Prepare 'text' under PX_NAME over the protocol (one statement only): its parameter count, or -1 with 'err'. */
static int px_prepare(PGconn *pg, const char *text, const char *role, double deadline, struct err *err)
{
	PGresult *r = PQsendPrepare(pg, PX_NAME, text, 0, NULL) ? px_result(pg, deadline, err) : NULL;
	int n = -1;
	if (r && PQresultStatus(r) == PGRES_COMMAND_OK) {
		PQclear(r);
		r = PQsendDescribePrepared(pg, PX_NAME) ? px_result(pg, deadline, err) : NULL;
		n = r && PQresultStatus(r) == PGRES_COMMAND_OK ? PQnparams(r) : -1;
	}
	if (r && PQresultStatus(r) != PGRES_COMMAND_OK)
		px_why(r, role, err);
	else if (!r && !err->msg[0])
		pg_set_err(err, ERR_FAIL, "no plan", PQerrorMessage(pg));
	PQclear(r);
	if (n > PX_PARAMS_MAX) {
		err_set(err, ERR_FAIL, "no plan: more than %d parameters", PX_PARAMS_MAX);
		n = -1;
	}
	return n;
}

int pg_explain_sql(int server_version, const char *text, int nparams, char *out, size_t n)
{
	if (server_version >= 160000) {
		snprintf(out, n, "EXPLAIN (GENERIC_PLAN, FORMAT JSON) %s", text);
		return 1;
	}
	if (nparams <= 0) {
		snprintf(out, n, "EXPLAIN (FORMAT JSON) %s", text);
		return 0;
	}
	size_t o = (size_t)snprintf(out, n, "EXPLAIN (FORMAT JSON) EXECUTE " PX_NAME "(");
	for (int i = 0; i < nparams && o < n; i++)
		o += (size_t)snprintf(out + o, n - o, "%sNULL", i ? "," : "");
	if (o < n)
		snprintf(out + o, n - o, ")");
	return 1;
}

/* EXPLAIN of 'text' in the open read-only transaction: its JSON result, or NULL with 'err'. */
static PGresult *px_plan(PGconn *pg, const char *text, const char *role, double deadline, int *generic,
			 struct err *err)
{
	size_t len = strlen(text) + PX_PARAMS_MAX * 5 + 64;
	char *sql = malloc(len);
	int version = PQserverVersion(pg), n = 0;
	PGresult *r = NULL;
	if (!sql) {
		err_set(err, ERR_FAIL, "no plan: out of memory");
		return NULL;
	}
	if (version < 160000) /* before GENERIC_PLAN: prepared over the protocol, its parameters counted */
		n = px_prepare(pg, text, role, deadline, err);
	if (n >= 0)
		*generic = pg_explain_sql(version, text, n, sql, len);
	/* EXECUTE with NULLs: the plan for any value, not for NULL */
	if (n > 0 && px_do(pg, "SET LOCAL plan_cache_mode = force_generic_plan", 0, NULL, deadline, role, err) < 0)
		n = -1;
	if (n >= 0)
		r = px_exec(pg, sql, 0, NULL, deadline, err);
	free(sql);
	if (r && (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1 || PQnfields(r) < 1)) {
		px_why(r, role, err);
		PQclear(r);
		r = NULL;
	}
	return r;
}

int pg_explain(struct engine_conn *c, const struct db_explain *q, double deadline, struct db_plan *out,
	       struct err *err)
{
	PGresult *info = NULL, *plan = NULL;
	PGconn *other = NULL, *pg = c->pg;
	const char *role = PQuser(c->pg);
	int rc = -1, generic = 0, began = 0;
	out->total_cost = -1;
	if (px_read_text(c, q, deadline, &info, err) < 0 || px_check_text(info, role, err) < 0)
		goto out;
	const char *db = PQgetvalue(info, 0, PX_DB), *path = PQgetvalue(info, 0, PX_PATH);
	if (strcmp(db, PQdb(c->pg)) && !(pg = other = px_open_db(c->pg, db, deadline, err)))
		goto out;
	const char *setpath[] = {path};
	if (px_do(pg, "BEGIN READ ONLY", 0, NULL, deadline, role, err) < 0)
		goto out;
	began = 1;
	if (px_do(pg, PX_TIMEOUTS_SQL, 0, NULL, deadline, role, err) < 0 ||
	    px_do(pg, PX_LOCK_SQL, 0, NULL, deadline, role, err) < 0 ||
	    (path[0] && px_do(pg, "SELECT set_config('search_path', $1, true)", 1, setpath, deadline, role, err) < 0))
		goto out;
	if (!(plan = px_plan(pg, PQgetvalue(info, 0, PX_TEXT), role, deadline, &generic, err)) ||
	    pg_plan_from_json(PQgetvalue(plan, 0, 0), out, err) < 0)
		goto out;
	if (q->kind == EXPLAIN_SESSION)
		snprintf(out->what, sizeof out->what, "pid %d (%.40s) in database %.60s: PostgreSQL EXPLAIN%s",
			 q->who.pid, PQgetvalue(info, 0, PX_STATE), db, generic ? ", generic plan (parameters unknown)" : "");
	else
		snprintf(out->what, sizeof out->what, "queryid %lld in database %.60s: PostgreSQL EXPLAIN%s",
			 (long long)q->queryid, db, generic ? ", generic plan (parameters unknown)" : "");
	snprintf(out->note, sizeof out->note, "planned now, read-only, not run; the session's own search_path is"
		 " not visible from outside: planned with %s%.200s%s", path[0] ? "its role's default (" : "the server's default",
		 path, path[0] ? ")" : "");
	out->statement = strdup(PQgetvalue(info, 0, PX_TEXT));
	rc = 0;
out:
	if (began && err->code != ERR_TIMEOUT) { /* nothing to keep: whatever happened, roll back */
		struct err ignore = {0};
		PQclear(px_exec(pg, "ROLLBACK", 0, NULL, deadline, &ignore));
	}
	PQclear(plan);
	PQclear(info);
	if (other)
		PQfinish(other);
	if (rc < 0)
		engine_plan_release(out);
	return rc;
}
