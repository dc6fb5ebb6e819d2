/*
 * postgres.c - the PostgreSQL engine (libpq, PostgreSQL 12-17).
 *
 * DESIGN: one PGconn per target, owned by the collector thread that opened
 * it. Everything runs through libpq's async API with our own deadline
 * (PQconnectPoll ignores connect_timeout; a stopped backend ignores
 * statement_timeout): connect and query poll() the socket until the
 * deadline, then cancel, drain for a short second deadline and give up.
 * A sample is one round trip: the statements go in one PQsendQuery and come
 * back as one result each. Statement texts are cached per connection and
 * fetched only for ids the collector asked for and did not have. What to
 * ask and how to read it is the PostgreSQL dialect (pg_batch.c), which the
 * ODBC engine shares; this file only moves it over libpq.
 */
#include "engine.h"
#include "pg_conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pg_set_err(struct err *err, int code, const char *what, const char *detail)
{
	err_set(err, code, "%s: %s", what, detail);
	/* libpq messages end with newlines and may have several lines */
	for (char *p = err->msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = (p[1] ? ' ' : '\0');
}

int pg_wait(PGconn *pg, int for_write, double deadline)
{
	struct pollfd p = {.fd = PQsocket(pg), .events = for_write ? POLLOUT : POLLIN};
	for (;;) {
		double left = deadline - clock_mono();
		if (left <= 0)
			return 0;
		int rc = poll(&p, 1, (int)(left * 1000) + 1);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

static int is_auth_failure(const char *msg)
{
	return strstr(msg, "password authentication failed") || strstr(msg, "no password supplied") ||
	       strstr(msg, "does not exist") || strstr(msg, "pg_hba.conf") ||
	       strstr(msg, "permission denied");
}

void pg_params(const char *dsn, const char *hostaddr, const char *hosts, double timeout_s, const char **keys,
	       const char **vals, char *opts, size_t nopts, char *ctimeout, size_t nct)
{
	snprintf(opts, nopts,
		 "-c statement_timeout=%d -c lock_timeout=1000 -c idle_in_transaction_session_timeout=60000",
		 (int)(timeout_s * 1000 * 0.8));
	snprintf(ctimeout, nct, "%d", (int)timeout_s + 1);
	/* later keywords override what the expanded dsn says */
	int i = 0;
	keys[i] = "dbname", vals[i++] = dsn;
	keys[i] = "application_name", vals[i++] = "dbfleet";
	keys[i] = "options", vals[i++] = opts;
	keys[i] = "connect_timeout", vals[i++] = ctimeout;
	if (hostaddr && hostaddr[0]) {
		keys[i] = "hostaddr", vals[i++] = hostaddr;
		if (hosts && hosts[0]) /* the name once per address, so certificates are checked against it */
			keys[i] = "host", vals[i++] = hosts;
	}
	keys[i] = vals[i] = NULL;
}

void pg_connect_error(PGconn *pg, struct err *err)
{
	/* "connection to server at "h", port p failed: FATAL:  why" -> "why (host h:p)" */
	const char *m = PQerrorMessage(pg), *why = strstr(m, "failed: ");
	why = why ? why + 8 : m;
	if (strncmp(why, "FATAL:  ", 8) == 0)
		why += 8;
	char d[ERR_MSG_MAX];
	snprintf(d, sizeof d, "%.*s (host %s:%s)", (int)strcspn(why, "\n"), why, PQhost(pg) ? PQhost(pg) : "?",
		 PQport(pg) ? PQport(pg) : "?");
	pg_set_err(err, is_auth_failure(m) ? ERR_AUTH : ERR_FAIL, "connect", d);
}

static PGconn *pg_open(const char *dsn, double timeout_s, struct err *err)
{
	char opts[160], ctimeout[16];
	const char *keys[8], *vals[8];
	pg_params(dsn, "", "", timeout_s, keys, vals, opts, sizeof opts, ctimeout, sizeof ctimeout);
	return pg_open_params(keys, vals, 1, timeout_s, err);
}

PGconn *pg_open_params(const char *const *keys, const char *const *vals, int expand, double timeout_s,
		       struct err *err)
{
	double deadline = clock_mono() + timeout_s;
	PGconn *pg = PQconnectStartParams(keys, vals, expand);
	if (!pg) {
		pg_set_err(err, ERR_FAIL, "connect", "out of memory");
		return NULL;
	}
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	while (PQstatus(pg) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		int rc = pg_wait(pg, st == PGRES_POLLING_WRITING, deadline);
		if (rc == 0) {
			char d[160];
			snprintf(d, sizeof d, "timeout after %gs (host %s:%s)", timeout_s,
				 PQhost(pg) ? PQhost(pg) : "?", PQport(pg) ? PQport(pg) : "?");
			pg_set_err(err, ERR_TIMEOUT, "connect", d);
			PQfinish(pg);
			return NULL;
		}
		st = PQconnectPoll(pg);
	}
	if (PQstatus(pg) != CONNECTION_OK) {
		pg_connect_error(pg, err);
		PQfinish(pg);
		return NULL;
	}
	PQsetnonblocking(pg, 1);
	return pg;
}

int pg_take_row(struct engine_conn *c, int i, PGresult *r, struct err *err)
{
	if (PQresultStatus(r) != PGRES_SINGLE_TUPLE)
		return 0;
	struct rs_build *b = &c->rows[i];
	int rc = 0, ncols = PQnfields(r);
	if (!b->ncells) { /* the first row: the names first */
		rs_build_init(b, ncols);
		for (int k = 0; k < ncols && rc == 0; k++)
			rc = rs_build_add(b, PQfname(r, k), strlen(PQfname(r, k)));
	}
	for (int k = 0; k < ncols && rc == 0; k++)
		rc = rs_build_add(b, PQgetisnull(r, 0, k) ? NULL : PQgetvalue(r, 0, k), (size_t)PQgetlength(r, 0, k));
	PQclear(r);
	if (rc == 0)
		return 1;
	err_set(err, ERR_FAIL, "query: %.200s", rc == -2 ? b->error : "out of memory");
	return -1;
}

void pg_results_clear(struct engine_conn *c)
{
	for (int i = 0; i < PG_PART_N + 1; i++) {
		PQclear(c->res[i]);
		c->res[i] = NULL;
		rs_build_free(&c->rows[i]);
	}
}

void pg_rs_of(struct engine_conn *c, int i, struct rs *out)
{
	if (c->rows[i].ncells && PQresultStatus(c->res[i]) == PGRES_TUPLES_OK) {
		if (rs_build_end(&c->rows[i], out) < 0) {
			memset(out, 0, sizeof *out);
			copy(out->error, sizeof out->error, "out of memory");
		}
	} else
		pg_rs_from(c->res[i], out);
	rs_build_free(&c->rows[i]);
}

/*
 * Send 'sql' and collect up to 'max' results in c->res (their rows in c->rows,
 * read in single-row mode under the bound) before 'deadline'. On timeout the
 * query is cancelled and drained briefly; the caller must then drop the
 * connection when -1 is returned with ERR_TIMEOUT, or with ERR_FAIL past the bound.
 */
static int pg_run(struct engine_conn *c, const char *sql, int max, double deadline, struct err *err)
{
	PGconn *pg = c->pg;
	int n = 0;
	if (!PQsendQuery(pg, sql)) {
		pg_set_err(err, ERR_FAIL, "query", PQerrorMessage(pg));
		return -1;
	}
	int rc;
	while ((rc = PQflush(pg)) == 1)
		if (pg_wait(pg, 1, deadline) <= 0)
			goto timeout;
	if (rc < 0)
		goto lost;
	for (;;) {
		PQsetSingleRowMode(pg); /* before each statement's rows are parsed; refused (harmless) mid-result */
		while (PQisBusy(pg)) {
			int w = pg_wait(pg, 0, deadline);
			if (w == 0)
				goto timeout;
			if (w < 0 || !PQconsumeInput(pg))
				goto lost;
		}
		PGresult *r = PQgetResult(pg);
		if (!r)
			break;
		int row = n < max ? pg_take_row(c, n, r, err) : 0;
		if (row < 0) {
			pg_results_clear(c);
			return -1;
		}
		if (row == 0 && n < max)
			c->res[n++] = r;
		else if (row == 0)
			PQclear(r);
	}
	return n;
timeout:
	pg_results_clear(c);
	/* ask the server to stop too; this may block on a hung host, which is
	 * why the collector's watchdog can abandon this thread */
	PGcancel *cn = PQgetCancel(pg);
	char eb[128];
	if (cn)
		PQcancel(cn, eb, sizeof eb);
	PQfreeCancel(cn);
	pg_set_err(err, ERR_TIMEOUT, "query", "no answer before the deadline");
	return -1;
lost:
	pg_results_clear(c);
	pg_set_err(err, ERR_FAIL, "query", PQerrorMessage(pg));
	return -1;
}

/* A libpq result as rows of text (pointers into it: free the rs, then clear it). */
void pg_rs_from(PGresult *res, struct rs *r)
{
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK) {
		memset(r, 0, sizeof *r);
		const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		copy(r->error, sizeof r->error, m ? m : PQresultErrorMessage(res));
		if (!r->error[0])
			copy(r->error, sizeof r->error, PQresStatus(st));
		return;
	}
	if (rs_alloc(r, PQntuples(res), PQnfields(res)) < 0) {
		copy(r->error, sizeof r->error, "out of memory");
		return;
	}
	for (int c = 0; c < r->ncols; c++)
		r->name[c] = PQfname(res, c);
	for (int i = 0; i < r->nrows; i++)
		for (int c = 0; c < r->ncols; c++)
			r->cell[i * r->ncols + c] = PQgetisnull(res, i, c) ? NULL : PQgetvalue(res, i, c);
}

/* rs_run_fn for the probe: one statement, the connection's deadline. */
static int run_one(void *ctx, const char *sql, struct rs *out)
{
	struct engine_conn *c = ctx;
	struct err err = {0};
	memset(out, 0, sizeof *out);
	if (pg_run(c, sql, 1, c->deadline, &err) != 1) {
		copy(out->error, sizeof out->error, err.msg[0] ? err.msg : "no answer");
		pg_results_clear(c);
		return -1;
	}
	pg_rs_of(c, 0, out);
	/* an error's or an empty result's cells point into it: keep it until the caller frees the rs */
	PQclear(c->probe);
	c->probe = c->res[0];
	c->res[0] = NULL;
	return out->error[0] ? -1 : 0;
}

static struct engine_conn *pg_connect(const char *dsn, double timeout_s, struct err *err)
{
	struct engine_conn *c = calloc(1, sizeof *c);
	if (!c) {
		pg_set_err(err, ERR_FAIL, "connect", "out of memory");
		return NULL;
	}
	c->pg = pg_open(dsn, timeout_s, err);
	c->deadline = clock_mono() + timeout_s;
	int rc = c->pg ? pg_probe(&c->st, run_one, c, err) : -1;
	PQclear(c->probe);
	c->probe = NULL;
	if (rc < 0) {
		PQfinish(c->pg);
		free(c);
		return NULL;
	}
	return c;
}

static void pg_close(struct engine_conn *c)
{
	if (!c)
		return;
	PQfinish(c->pg);
	pg_results_clear(c);
	pg_state_release(&c->st);
	free(c);
}

int pg_finish_sample(struct engine_conn *c, int n, struct db_sample *out, struct err *err)
{
	const char *proto = PQsslInUse(c->pg) ? PQsslAttribute(c->pg, "protocol") : NULL;
	snprintf(out->health.tls, sizeof out->health.tls, "%s", PQsslInUse(c->pg) ? (proto ? proto : "TLS") : "plaintext");
	struct rs rs[PG_PART_N + 1];
	for (int i = 0; i < n; i++)
		pg_rs_of(c, i, &rs[i]);
	int rc = pg_parse_batch(&c->st, rs, n, out, err);
	for (int i = 0; i < n; i++)
		rs_free(&rs[i]);
	pg_results_clear(c);
	textcache_tick(&c->st.texts);
	return rc;
}

static int pg_sample(struct engine_conn *c, struct db_sample *out, double deadline, struct err *err)
{
	c->st.health_only = 0;
	char *sql = pg_build_batch(&c->st);
	if (!sql) {
		pg_set_err(err, ERR_FAIL, "sample", "out of memory");
		return -1;
	}
	double t0 = clock_mono();
	int n = pg_run(c, sql, PG_PART_N, deadline, err);
	free(sql);
	if (n < 0)
		return -1;
	out->roundtrip_ms = (clock_mono() - t0) * 1000;
	return pg_finish_sample(c, n, out, err);
}

static int pg_act(struct engine_conn *c, const struct db_action *a, double deadline,
		  const struct engine_steps *steps, char *outcome, size_t n, struct err *err)
{
	(void)steps; /* one statement: the action worker knows it was sent */
	c->deadline = deadline;
	int rc = pg_action(a, run_one, c, outcome, n, err);
	PQclear(c->probe);
	c->probe = NULL;
	return rc;
}

/* A write probe: takes a transaction id (a standby refuses it), or upserts the heartbeat row. */
static int pg_write_probe(struct engine_conn *c, const char *table, double deadline, struct err *err)
{
	char sql[256];
	if (table[0])
		snprintf(sql, sizeof sql, "INSERT INTO %s (id, ts) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET ts = excluded.ts",
			 table); /* the name is letters, digits, '_' and '.' (config) */
	else
		snprintf(sql, sizeof sql, "SELECT txid_current()");
	int n = pg_run(c, sql, 1, deadline, err);
	if (n < 0)
		return -1;
	ExecStatusType st = n ? PQresultStatus(c->res[0]) : PGRES_FATAL_ERROR;
	int rc = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK ? 0 : -1;
	if (rc < 0) {
		const char *m = n ? PQresultErrorField(c->res[0], PG_DIAG_MESSAGE_PRIMARY) : NULL;
		pg_set_err(err, ERR_FAIL, "write probe", m ? m : "no result");
	}
	pg_results_clear(c);
	return rc;
}

static const char *pg_query_text(struct engine_conn *c, int64_t queryid)
{
	return textcache_get(&c->st.texts, queryid);
}

/* host:port from the DSN and libpq's environment defaults, no connection. */
static void pg_endpoint(const char *dsn, char *out, size_t n)
{
	const char *host = getenv("PGHOST"), *port = getenv("PGPORT");
	PQconninfoOption *opts = PQconninfoParse(dsn, NULL);
	for (PQconninfoOption *o = opts; o && o->keyword; o++) {
		if (o->val && o->val[0] && strcmp(o->keyword, "host") == 0)
			host = o->val;
		if (o->val && o->val[0] && strcmp(o->keyword, "port") == 0)
			port = o->val;
	}
	snprintf(out, n, "%s:%s", host && host[0] ? host : "localhost",
		 port && port[0] ? port : "5432");
	PQconninfoFree(opts);
}

/*
 * A password in a libpq DSN, read the way libpq reads it (conninfo or URI:
 * spaces around '=', quoting, percent-encoded keys, user:password@). One that
 * libpq cannot read is never sent, yet still shows in ps: refuse the word.
 */
static int pg_dsn_secret(const char *dsn, char *why, size_t n)
{
	PQconninfoOption *opts = PQconninfoParse(dsn, NULL);
	const char *found = !opts && strcasestr(dsn, "passw") ? "password" : NULL;
	for (PQconninfoOption *o = opts; o && o->keyword && !found; o++)
		if (o->val && o->val[0] && (!strcmp(o->keyword, "password") || !strcmp(o->keyword, "sslpassword")))
			found = o->keyword;
	if (found && found[0] == 's')
		snprintf(why, n, "a key passphrase (sslpassword) in the DSN: use a key file without one, readable only by you");
	else if (found)
		snprintf(why, n, "a password in the DSN: put it in ~/.pgpass instead");
	PQconninfoFree(opts);
	return found != NULL;
}

const struct engine_ops engine_postgres_ops = {
	.write_probe = pg_write_probe,
	.name = "postgres",
	.caps = ENGINE_CAP_REPLICATION | ENGINE_CAP_QUERIES | ENGINE_CAP_SESSIONS,
	.connect = pg_connect,
	.sample = pg_sample,
	.query_text = pg_query_text,
	.endpoint = pg_endpoint,
	.action_sql = pg_action_sql,
	.act = pg_act,
	.close = pg_close,
	.connect_start = pg_async_connect_start,
	.connect_step = pg_async_connect_step,
	.sample_start = pg_async_sample_start,
	.sample_step = pg_async_sample_step,
	.abandon = pg_async_abandon,
	.lookup_host = pg_async_lookup_host,
	.dsn_secret = pg_dsn_secret,
	.explain = pg_explain,
};
