/*
 * odbc.c - the ODBC engine (unixODBC): RDS SQL Server, and any DSN in odbc.ini.
 *
 * DESIGN: one environment for the process (ODBC 3), made in global_init
 * before any thread; one connection handle per target, owned by its
 * collector thread. The dialect comes from SQLGetInfo(SQL_DBMS_NAME):
 * PostgreSQL and MariaDB/MySQL behind a driver get the very SQL and result
 * reading the native engines use (pg_batch.c, my_batch.c, my_parse.c);
 * SQL Server gets mssql.c. Statements run one at a time (ODBC has no
 * portable multi-statement batch). Deadlines are driver-specific: the
 * login timeout is set before connecting, the query timeout on every
 * statement where the driver takes it (psqlODBC does, server-side), and
 * MariaDB Connector/ODBC, which ignores the one and rejects the other,
 * gets CONN_TIMEOUT/READ_TIMEOUT/WRITE_TIMEOUT in its connection string.
 * One canceller thread serves every ODBC connection of the process, so
 * threads do not grow with ODBC targets: a statement still running at its
 * deadline gets SQLCancel from it (from another thread, as ODBC allows).
 * It starts on the first connect (the environment exists by then) and
 * lives until the process exits; it is detached and never waited for.
 * run_one() arms its statement (puts the connection's 'struct armed' on
 * the list with the statement's deadline) before executing and disarms it
 * before freeing the statement. 'cx.mu' guards the list and every 'struct
 * armed'. The canceller takes an entry past its deadline off the
 * list and marks it 'cancelling' under cx.mu, then calls SQLCancel with
 * cx.mu released, so a slow SQLCancel (libpq's PQcancel before v17 can
 * block) holds up no other connection's arm or disarm. Disarm waits on
 * 'cx.done' while its own entry is 'cancelling': a handle is never freed
 * while SQLCancel runs on it, and never cancelled once freed. Such a slow
 * SQLCancel does delay the other cancels due meanwhile; a call neither a
 * driver timeout nor SQLCancel ends is the collector watchdog's to abandon.
 */
#include "mssql.h"
#include "my_private.h"
#include "pg_private.h"

#include <odbcinst.h>
#include <pthread.h>
#include <time.h>
#include <sql.h>
#include <sqlext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum dialect { D_PG, D_MY, D_MSSQL };

/* A connection's statement in flight, as the canceller sees it; guarded by cx.mu. */
struct armed {
	SQLHSTMT st;            /* the statement, or NULL when none runs */
	double deadline;        /* clock_mono() seconds */
	int listed;             /* on cx.head, waiting for its deadline */
	int cancelling;         /* the canceller is in SQLCancel(st) */
	struct armed *next;     /* on cx.head */
};

struct engine_conn {
	SQLHDBC dbc;
	struct armed arm;       /* guarded by cx.mu */
	struct engine_conn *prev, *next; /* guarded by cx.mu: on cx.open */
	enum dialect d;
	unsigned timeout;   /* seconds, for SQL_ATTR_QUERY_TIMEOUT */
	int query_timeout_ok;
	char dbms[64];
	int refused;        /* a result went past the bound: the connection is to be dropped */
	struct pg_state pg;
	struct my_state my;
	struct mssql_state ms;
};

static SQLHENV env; /* written once in global_init, before any thread */

/* The canceller's state: one for the process. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t wake;    /* the canceller waits: a statement armed */
	pthread_cond_t done;    /* disarm waits: a SQLCancel returned */
	struct armed *head;     /* guarded by mu: armed statements, unordered (one per busy worker at most) */
	struct engine_conn *open; /* guarded by mu: every open connection (see track()) */
	int started;            /* guarded by mu */
} cx = {.mu = PTHREAD_MUTEX_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};

static int odbc_global_init(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines are clock_mono() */
	int rc = pthread_cond_init(&cx.wake, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0 || SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env) != SQL_SUCCESS)
		return -1;
	SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
	return 0;
}

/* "[SQLSTATE] message" of the first diagnostic; 1 if it means the link is gone. */
static int diag(SQLSMALLINT type, SQLHANDLE h, char *out, size_t n)
{
	SQLCHAR state[6] = "", msg[256] = "";
	SQLINTEGER native = 0;
	SQLSMALLINT len = 0;
	if (!SQL_SUCCEEDED(SQLGetDiagRec(type, h, 1, state, &native, msg, sizeof msg, &len)))
		snprintf(out, n, "ODBC error");
	else
		snprintf(out, n, "[%s] %s", (char *)state, (char *)msg);
	/* connection failure, timeout, cancelled */
	return !strncmp((char *)state, "08", 2) || !strcmp((char *)state, "HYT00") ||
	       !strcmp((char *)state, "HYT01") || !strcmp((char *)state, "HY008");
}

/* The odbc.ini value of 'key' for DSN 'name', or "". */
static void ini(const char *name, const char *key, char *out, int n)
{
	out[0] = '\0';
	SQLGetPrivateProfileString(name, key, "", out, n, "odbc.ini");
}

/* "odbc:NAME" or "odbc:KEY=VAL;..." -> a connection string with our timeouts. */
static void conn_string(const char *dsn, unsigned t, char *out, size_t n)
{
	const char *body = dsn + 5;
	char driver[256] = "";
	if (strchr(body, '=')) {
		snprintf(out, n, "%s", body);
		snprintf(driver, sizeof driver, "%s", body);
	} else {
		snprintf(out, n, "DSN=%s;", body);
		ini(body, "Driver", driver, sizeof driver);
	}
	if (strcasestr(driver, "maria") || strcasestr(driver, "maodbc") || strcasestr(driver, "mysql")) {
		size_t o = strlen(out);
		snprintf(out + o, n - o, "%sCONN_TIMEOUT=%u;READ_TIMEOUT=%u;WRITE_TIMEOUT=%u;",
			 o && out[o - 1] != ';' ? ";" : "", t, t, t);
	}
}

/* The longest value kept whole (the texts dbfleet asks for are 4,096 characters at most). */
#define ODBC_VALUE_MAX 65536

/* Column 'c' of the fetched row into 'b', in pieces: a long value arrives as
 * several (SQL_SUCCESS_WITH_INFO: more), and past ODBC_VALUE_MAX the rest is
 * left unread. As rs_build_add. */
static int fetch_value(SQLHSTMT st, int c, struct rs_build *b)
{
	char piece[1024];
	size_t total = 0;
	for (int first = 1;; first = 0) {
		SQLLEN ind = 0;
		SQLRETURN rc = SQLGetData(st, (SQLUSMALLINT)(c + 1), SQL_C_CHAR, piece, sizeof piece, &ind);
		if (!SQL_SUCCEEDED(rc) || ind == SQL_NULL_DATA)
			return first ? rs_build_add(b, ind == SQL_NULL_DATA ? NULL : "", 0) : 0;
		size_t got = ind == SQL_NO_TOTAL || ind >= (SQLLEN)sizeof piece ? sizeof piece - 1 : (size_t)ind;
		int brc = first ? rs_build_add(b, piece, got) : rs_build_more(b, piece, got);
		total += got;
		if (brc < 0 || rc == SQL_SUCCESS || total >= ODBC_VALUE_MAX)
			return brc;
	}
}

/* One result set into 'out' (copied: the statement is freed right after), counted
 * row by row as it is fetched: 0; -1 out of memory; -2 past the bound of rs.h
 * (out->error says so; the connection is to be dropped). */
static int fetch_all(SQLHSTMT st, struct rs *out)
{
	SQLSMALLINT ncols = 0;
	SQLNumResultCols(st, &ncols);
	struct rs_build b;
	rs_build_init(&b, ncols);
	int rc = 0;
	for (int c = 0; c < ncols && rc == 0; c++) { /* names first */
		SQLCHAR name[128] = "";
		SQLSMALLINT nl = 0;
		SQLDescribeCol(st, (SQLUSMALLINT)(c + 1), name, sizeof name, &nl, NULL, NULL, NULL, NULL);
		rc = rs_build_add(&b, (const char *)name, strlen((const char *)name));
	}
	while (rc == 0 && ncols && SQL_SUCCEEDED(SQLFetch(st)))
		for (int c = 0; c < ncols && rc == 0; c++)
			rc = fetch_value(st, c, &b);
	if (rc == 0 && rs_build_end(&b, out) < 0)
		rc = -1;
	if (rc < 0)
		snprintf(out->error, sizeof out->error, "%s", rc == -2 ? b.error : "out of memory");
	rs_build_free(&b);
	return rc;
}

static void unlist(struct armed *a)
{
	for (struct armed **pp = &cx.head; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	a->listed = 0;
	a->next = NULL;
}

/* The first armed statement past its deadline, or NULL with 'next' = the earliest deadline. */
static struct armed *due(double now, double *next)
{
	*next = -1;
	for (struct armed *a = cx.head; a; a = a->next) {
		if (a->deadline <= now)
			return a;
		if (*next < 0 || a->deadline < *next)
			*next = a->deadline;
	}
	return NULL;
}

static void *canceller_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&cx.mu);
	for (;;) {
		double next;
		struct armed *a = due(clock_mono(), &next);
		if (a) {
			SQLHSTMT st = a->st;
			unlist(a); /* once per statement */
			a->cancelling = 1;
			pthread_mutex_unlock(&cx.mu);
			SQLCancel(st);
			pthread_mutex_lock(&cx.mu);
			a->cancelling = 0;
			pthread_cond_broadcast(&cx.done);
		} else if (next < 0) {
			pthread_cond_wait(&cx.wake, &cx.mu);
		} else {
			struct timespec ts = {.tv_sec = (time_t)next};
			ts.tv_nsec = (long)((next - (double)ts.tv_sec) * 1e9);
			pthread_cond_timedwait(&cx.wake, &cx.mu, &ts);
		}
	}
	return NULL;
}

/* Start the canceller once; a failed start is tried again on the next connect. */
static void canceller_start(void)
{
	pthread_mutex_lock(&cx.mu);
	if (!cx.started) {
		pthread_attr_t a;
		pthread_t th;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		cx.started = pthread_create(&th, &a, canceller_main, NULL) == 0;
		pthread_attr_destroy(&a);
	}
	pthread_mutex_unlock(&cx.mu);
}

/*
 * Keep 'c' on cx.open while it is open (add 1) or take it off (add 0).
 * When quitting, the samplers leave a blocking engine's connections to the
 * process exit (a SQLDisconnect to a hung host could block them); this list
 * keeps such connections reachable, as the per-connection canceller threads
 * once did, so the leak checker does not count them as lost.
 */
static void track(struct engine_conn *c, int add)
{
	pthread_mutex_lock(&cx.mu);
	if (add) {
		c->prev = NULL;
		c->next = cx.open;
		if (cx.open)
			cx.open->prev = c;
		cx.open = c;
	} else {
		if (c->prev)
			c->prev->next = c->next;
		else
			cx.open = c->next;
		if (c->next)
			c->next->prev = c->prev;
	}
	pthread_mutex_unlock(&cx.mu);
}

/* Put 'st' under the canceller's watch until disarm(). */
static void arm(struct engine_conn *c, SQLHSTMT st)
{
	pthread_mutex_lock(&cx.mu);
	c->arm.st = st;
	c->arm.deadline = clock_mono() + c->timeout + 0.5;
	c->arm.next = cx.head;
	c->arm.listed = 1;
	cx.head = &c->arm;
	pthread_cond_signal(&cx.wake);
	pthread_mutex_unlock(&cx.mu);
}

/* Take the statement off the watch; on return no SQLCancel runs or will run on it. */
static void disarm(struct engine_conn *c)
{
	pthread_mutex_lock(&cx.mu);
	while (c->arm.cancelling)
		pthread_cond_wait(&cx.done, &cx.mu);
	if (c->arm.listed)
		unlist(&c->arm);
	c->arm.st = NULL;
	pthread_mutex_unlock(&cx.mu);
}

/* rs_run_fn: one statement with the query timeout where the driver takes it. */
static int run_one(void *ctx, const char *sql, struct rs *out)
{
	struct engine_conn *c = ctx;
	SQLHSTMT st;
	memset(out, 0, sizeof *out);
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st))) {
		return diag(SQL_HANDLE_DBC, c->dbc, out->error, sizeof out->error) ? -2 : -1;
	}
	if (c->query_timeout_ok)
		SQLSetStmtAttr(st, SQL_ATTR_QUERY_TIMEOUT, (SQLPOINTER)(uintptr_t)c->timeout, 0);
	arm(c, st);
	SQLRETURN rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
	int ret = 0;
	if (rc == SQL_NO_DATA)
		ret = 0;
	else if (!SQL_SUCCEEDED(rc))
		ret = diag(SQL_HANDLE_STMT, st, out->error, sizeof out->error) ? -2 : -1;
	else if ((ret = fetch_all(st, out)) == -2)
		c->refused = 1; /* to the caller, a lost connection: it drops it */
	disarm(c);
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	return ret;
}

static void dialect_of(struct engine_conn *c)
{
	SQLSMALLINT len = 0;
	SQLGetInfo(c->dbc, SQL_DBMS_NAME, c->dbms, sizeof c->dbms, &len);
	c->d = strcasestr(c->dbms, "postgres") ? D_PG
	       : strcasestr(c->dbms, "maria") || strcasestr(c->dbms, "mysql") ? D_MY : D_MSSQL;
}

/* Does the driver take a query timeout? (MariaDB's rejects it: 01S02) */
static int probe_query_timeout(struct engine_conn *c)
{
	SQLHSTMT st;
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, c->dbc, &st)))
		return 0;
	SQLRETURN rc = SQLSetStmtAttr(st, SQL_ATTR_QUERY_TIMEOUT, (SQLPOINTER)(uintptr_t)c->timeout, 0);
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	return rc == SQL_SUCCESS;
}

/* Free the handles; the connection must be idle (run_one disarmed its last statement). */
static void conn_free(struct engine_conn *c, int connected)
{
	track(c, 0);
	if (connected)
		SQLDisconnect(c->dbc);
	SQLFreeHandle(SQL_HANDLE_DBC, c->dbc);
	pg_state_release(&c->pg);
	my_state_release(&c->my);
	mssql_state_release(&c->ms);
	free(c);
}

static struct engine_conn *odbc_connect(const char *dsn, double timeout_s, struct err *err)
{
	struct engine_conn *c = calloc(1, sizeof *c);
	char cs[1024], msg[300];
	if (!c || !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, env, &c->dbc))) {
		free(c);
		err_set(err, ERR_FAIL, "connect: cannot allocate an ODBC connection");
		return NULL;
	}
	c->timeout = timeout_s < 1 ? 1 : (unsigned)(timeout_s + 0.999);
	canceller_start();
	track(c, 1);
	SQLSetConnectAttr(c->dbc, SQL_ATTR_LOGIN_TIMEOUT, (SQLPOINTER)(uintptr_t)c->timeout, 0);
	SQLSetConnectAttr(c->dbc, SQL_ATTR_CONNECTION_TIMEOUT, (SQLPOINTER)(uintptr_t)c->timeout, 0);
	conn_string(dsn, c->timeout, cs, sizeof cs);
	SQLRETURN rc = SQLDriverConnect(c->dbc, NULL, (SQLCHAR *)cs, SQL_NTS, NULL, 0, NULL, SQL_DRIVER_NOPROMPT);
	if (!SQL_SUCCEEDED(rc)) {
		int gone = diag(SQL_HANDLE_DBC, c->dbc, msg, sizeof msg);
		err->code = strstr(msg, "uthentication") || strstr(msg, "ccess denied") || strstr(msg, "[28")
			    ? ERR_AUTH : gone ? ERR_TIMEOUT : ERR_FAIL;
		snprintf(err->msg, sizeof err->msg, "connect: %.230s", msg);
		conn_free(c, 0);
		return NULL;
	}
	dialect_of(c);
	c->query_timeout_ok = probe_query_timeout(c);
	if (c->d == D_PG) { /* what libpq's keywords do for the native engine */
		struct rs ignore;
		char set[160];
		snprintf(set, sizeof set, "SET application_name = 'dbfleet'; SET statement_timeout = %d",
			 (int)(timeout_s * 800));
		run_one(c, set, &ignore);
		rs_free(&ignore);
	}
	int prc = c->d == D_PG ? pg_probe(&c->pg, run_one, c, err)
		  : c->d == D_MY ? my_probe(&c->my, timeout_s, run_one, c, err)
		  : mssql_probe(&c->ms, run_one, c, err);
	if (prc < 0) {
		if (!err->msg[0])
			snprintf(err->msg, sizeof err->msg, "probe: the connection was lost");
		conn_free(c, 1);
		return NULL;
	}
	return c;
}

static int odbc_sample(struct engine_conn *c, struct db_sample *out, double deadline, struct err *err)
{
	(void)deadline; /* the driver's timeouts bound each call; the watchdog the rest */
	char *sql = c->d == D_PG ? pg_build_batch(&c->pg) : c->d == D_MY ? my_build_batch(&c->my)
		    : mssql_build_batch(&c->ms);
	if (!sql) {
		err_set(err, ERR_FAIL, "sample: out of memory");
		return -1;
	}
	struct rs r[PG_BATCH_MAX + MY_BATCH_MAX];
	int n = 0;
	double t0 = clock_mono();
	int rc = rs_run_batch(run_one, c, sql, r, (int)(sizeof r / sizeof r[0]), &n);
	free(sql);
	if (rc == -2) {
		err_set(err, c->refused ? ERR_FAIL : ERR_TIMEOUT, "sample: %.240s", n ? r[n - 1].error : "connection lost");
		if (!n)
			diag(SQL_HANDLE_DBC, c->dbc, err->msg, sizeof err->msg);
	} else if (c->d == D_PG) {
		rc = pg_parse_batch(&c->pg, r, n, out, err);
	} else if (c->d == D_MY) {
		rc = my_parse_batch(&c->my, r, n, out, err);
	} else {
		rc = mssql_parse_batch(&c->ms, r, n, out, err);
	}
	for (int i = 0; i < n; i++)
		rs_free(&r[i]);
	out->roundtrip_ms = (clock_mono() - t0) * 1000;
	snprintf(out->health.tls, sizeof out->health.tls, "%s", "unknown"); /* drivers do not say */
	struct textcache *tc = c->d == D_PG ? &c->pg.texts : c->d == D_MY ? &c->my.texts : &c->ms.texts;
	textcache_tick(tc);
	return rc < 0 ? -1 : 0;
}

static int odbc_action_sql(const struct db_action *a, char *sql, size_t n, struct err *err)
{
	if (!strcmp(a->dialect, "postgres"))
		return pg_action_sql(a, sql, n, err);
	if (!strcmp(a->dialect, "mysql"))
		return my_action_sql(a, sql, n, err);
	if (!strcmp(a->dialect, "mssql"))
		return mssql_action_sql(a, sql, n, err);
	err_set(err, ERR_CONFIG, "the server's dialect is not known yet: wait for a sample");
	return -1;
}

static int odbc_act(struct engine_conn *c, const struct db_action *a, double deadline,
		    const struct engine_steps *steps, char *outcome, size_t n, struct err *err)
{
	static const char *const names[] = {[D_PG] = "postgres", [D_MY] = "mysql", [D_MSSQL] = "mssql"};
	if (strcmp(a->dialect, names[c->d])) { /* the DSN now reaches another kind of server */
		err_set(err, ERR_REFUSED, "refused: the data source now speaks %s, not %s as shown",
			 names[c->d], a->dialect);
		return -1;
	}
	(void)deadline; /* run_one sets each statement's own deadline for the canceller */
	return c->d == D_PG ? pg_action(a, run_one, c, outcome, n, err)
	       : c->d == D_MY ? my_action(&c->my, a, run_one, c, steps, outcome, n, err)
	       : mssql_action(a, run_one, c, outcome, n, err);
}

static const char *odbc_query_text(struct engine_conn *c, int64_t id)
{
	return textcache_get(c->d == D_PG ? &c->pg.texts : c->d == D_MY ? &c->my.texts : &c->ms.texts, id);
}

static void odbc_close(struct engine_conn *c)
{
	if (c)
		conn_free(c, 1);
}

/* host:port from odbc.ini (Servername/Server and Port), for the lag pane's topology. */
static void odbc_endpoint(const char *dsn, char *out, size_t n)
{
	char host[256], port[16];
	const char *name = dsn + 5;
	if (strchr(name, '=')) {
		snprintf(out, n, "odbc");
		return;
	}
	ini(name, "Servername", host, sizeof host);
	if (!host[0])
		ini(name, "Server", host, sizeof host);
	ini(name, "Port", port, sizeof port);
	snprintf(out, n, "%.200s:%s", host[0] ? host : name, port[0] ? port : "0");
}

/* The end of one connection-string value: a {braced} one may hold ';' and '}}'. */
static const char *odbc_value_end(const char *v)
{
	v += strspn(v, " \t");
	if (*v == '{') {
		for (v++; *v && (*v != '}' || v[1] == '}'); v++)
			v += *v == '}'; /* "}}" is a '}' inside */
	}
	return v + strcspn(v, ";");
}

/* A password in "odbc:KEY=VAL;...": the driver reads keys in any case, with spaces around '='. */
static int odbc_dsn_secret(const char *dsn, char *why, size_t n)
{
	const char *p = dsn + 5;
	if (!strchr(p, '='))
		return 0; /* "odbc:NAME": the password, if any, is in odbc.ini */
	while (*p) {
		p += strspn(p, " \t\r\n\v\f;"); /* any white space around a key: drivers trim it */
		const char *k = p;
		size_t klen = strcspn(p, "=;");
		p += klen;
		while (klen && strchr(" \t\r\n\v\f", k[klen - 1]))
			klen--;
		if (*p == '=')
			p = odbc_value_end(p + 1);
		if ((klen == 3 && !strncasecmp(k, "PWD", 3)) || (klen == 8 && !strncasecmp(k, "Password", 8))) {
			snprintf(why, n, "a password in the DSN (%.*s): put it in odbc.ini, readable only by you",
				 (int)klen, k);
			return 1;
		}
	}
	return 0;
}

const struct engine_ops engine_odbc_ops = {
	.name = "odbc",
	.caps = ENGINE_CAP_REPLICATION | ENGINE_CAP_QUERIES | ENGINE_CAP_SESSIONS,
	.global_init = odbc_global_init,
	.connect = odbc_connect,
	.sample = odbc_sample,
	.query_text = odbc_query_text,
	.endpoint = odbc_endpoint,
	.action_sql = odbc_action_sql,
	.act = odbc_act,
	.close = odbc_close,
	.dsn_secret = odbc_dsn_secret,
};
