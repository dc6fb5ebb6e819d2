/*
 * mysql.c - the MySQL/MariaDB engine (MariaDB Connector/C, Debian's client).
 *
 * DESIGN: one MYSQL handle per target, owned by one thread at a time. The
 * connect is blocking (run on a blocking worker: Connector/C's own
 * non-blocking connect blocks on DNS and ignores its connect timeout); the
 * handle is opened with MYSQL_OPT_NONBLOCK so a sampler thread can then
 * drive its samples with the _start/_cont calls (sample_start/sample_step),
 * while the blocking calls (probe, the blocking sample, actions) still work
 * on it: the library's async context is live only inside a _start/_cont.
 * The client library bounds each blocking connect, read and write
 * (CONNECT/READ/WRITE timeouts); in the non-blocking path the sampler's
 * deadline rules and the library's timeouts never fire (MYSQL_WAIT_TIMEOUT
 * is never reported back to it). The session caps its own statements on the
 * server (max_statement_time on MariaDB, max_execution_time on MySQL)
 * because a client-side timeout leaves the query running there, and a
 * timeout or an abandoned sample is followed by KILL QUERY from a second
 * connection. A sample is one round trip of several statements
 * (CLIENT_MULTI_STATEMENTS), the same code reading its results and parsing
 * them on both paths (struct my_flight). Privileges are probed once per connection so a
 * missing grant drops one statement and is named, instead of failing all.
 * Credentials come from the DSN's user and the client library's own option
 * files (~/.my.cnf, [client] and [dbfleet] groups), never from argv. What
 * to ask and how to read it is the dialect (my_batch.c, my_parse.c), which
 * the ODBC engine shares; this file only moves it over the client library.
 */
#include "my_private.h"
#include "plan.h"

#include <mysql.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Where the sample in flight is: its one round trip, result by result, row by row. */
enum my_phase { MY_PHASE_IDLE, MY_PHASE_QUERY, MY_PHASE_ROWS, MY_PHASE_NEXT, MY_PHASE_DONE };

struct my_flight {
	enum my_phase phase;
	char *sql;                         /* the batch, owned */
	size_t len;
	struct rs r[MY_BATCH_MAX + 1];     /* its results so far */
	int n;
	MYSQL_RES *res;                    /* the result being read (MY_PHASE_ROWS) */
	struct rs_build b;                 /* its rows so far */
	double t0;                         /* sent at: roundtrip_ms */
	int wait;                          /* MYSQL_WAIT_* the library waits for */
};

struct engine_conn {
	MYSQL *m;
	struct my_dsn dsn;
	double timeout_s;
	struct my_state st;
	struct my_flight f;
	char dropped[128];                 /* why a result was refused and the handle cut ("" none) */
};

static void set_err(struct err *err, int code, const char *what, MYSQL *m)
{
	err_set(err, code, "%s: %s (error %u)", what, mysql_error(m), mysql_errno(m));
}

static unsigned secs(double s)
{
	return s < 1 ? 1 : (unsigned)(s + 0.999);
}

static int is_auth(unsigned e)
{
	return e == 1045 || e == 1044 || e == 1698 || e == 1251 || e == 2049;
}

/* Open a handle with every deadline and TLS option set ('nonblock': ready for
 * the _start/_cont calls too); NULL with 'err'. */
static MYSQL *my_open(const struct my_dsn *d, double timeout_s, int nonblock, struct err *err)
{
	MYSQL *m = mysql_init(NULL);
	if (!m || (nonblock && mysql_options(m, MYSQL_OPT_NONBLOCK, 0))) {
		mysql_close(m);
		err_set(err, ERR_FAIL, "connect: out of memory");
		return NULL;
	}
	unsigned t = secs(timeout_s), proto = MYSQL_PROTOCOL_TCP;
	my_bool on = 1;
	mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &t);
	mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &t);
	unsigned long packet = RS_MAX_BYTES; /* one row can be no bigger than a whole result may be */
	mysql_optionsv(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &packet);
	mysql_optionsv(m, MYSQL_READ_DEFAULT_GROUP, "dbfleet");
	mysql_optionsv(m, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", "dbfleet");
	if (!d->socket[0])
		mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &proto);
	if (d->ssl_ca[0])
		mysql_optionsv(m, MYSQL_OPT_SSL_CA, d->ssl_ca);
	if (d->ssl_required) /* Connector/C 3.3 is plaintext unless told */
		mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
	if (d->ssl_verify)
		mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
	if (!mysql_real_connect(m, d->host[0] ? d->host : NULL, d->user[0] ? d->user : NULL, NULL,
				d->db[0] ? d->db : NULL, d->port, d->socket[0] ? d->socket : NULL,
				CLIENT_MULTI_STATEMENTS)) {
		unsigned e = mysql_errno(m);
		char what[160];
		snprintf(what, sizeof what, "connect to %.100s:%u", d->host, d->port);
		int code = is_auth(e) ? ERR_AUTH
			   : e == 2013 || strstr(mysql_error(m), "imeout") ? ERR_TIMEOUT : ERR_FAIL;
		set_err(err, code, what, m);
		mysql_close(m);
		return NULL;
	}
	/* Connector/C 3.3 goes on in plaintext when the server offers no TLS,
	 * even with SSL_ENFORCE set: check what we got and refuse it */
	if (d->ssl_required && !mysql_get_ssl_cipher(m)) {
		err_set(err, ERR_FAIL, "connect to %.100s:%u: TLS is required (ssl-mode) but the"
			 " server did not offer it; refusing a plaintext connection", d->host, d->port);
		mysql_close(m);
		return NULL;
	}
	return m;
}

static int lost(unsigned e)
{
	return e == 2006 || e == 2013 || e == 2055;
}

/* Stop reading a result for good: the socket is shut first, so freeing an
 * unfinished result (which reads the rest) fails at once instead of reading
 * what a server that ignored LIMIT goes on sending. The handle is dead after. */
static void cut(MYSQL *m, MYSQL_RES **res)
{
	int fd = mysql_get_socket(m);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	mysql_free_result(*res);
	*res = NULL;
}

/* The handle's current result opened row by row (mysql_use_result, no I/O) into
 * 'res' and 'b'; 1 rows follow, 0 a statement without rows (SET), -1 statement
 * error, -2 connection lost, -3 refused (the handle cut): then 'out' holds the error. */
static int open_result(MYSQL *m, MYSQL_RES **res, struct rs_build *b, struct rs *out)
{
	memset(out, 0, sizeof *out);
	*res = mysql_use_result(m);
	if (!*res) {
		if (!mysql_errno(m))
			return 0;
		snprintf(out->error, sizeof out->error, "%s (error %u)", mysql_error(m), mysql_errno(m));
		return lost(mysql_errno(m)) ? -2 : -1;
	}
	unsigned ncols = mysql_num_fields(*res);
	MYSQL_FIELD *f = mysql_fetch_fields(*res);
	rs_build_init(b, (int)ncols);
	for (unsigned c = 0; c < ncols; c++)
		if (rs_build_add(b, f[c].name, strlen(f[c].name)) < 0) {
			snprintf(out->error, sizeof out->error, "out of memory");
			rs_build_free(b);
			cut(m, res);
			return -3;
		}
	return 1;
}

/* One row fetched ('row' NULL: the end, or an error): 0 more rows to read, 1 the
 * result is whole in 'out', -1 statement error, -2 connection lost, -3 the result
 * refused (past the bound: the handle is cut): then 'out' holds the error. */
static int take_row(MYSQL *m, MYSQL_RES **res, struct rs_build *b, MYSQL_ROW row, struct rs *out)
{
	if (row) {
		unsigned long *len = mysql_fetch_lengths(*res);
		int rc = 0;
		for (int c = 0; c < b->ncols && rc == 0; c++)
			rc = rs_build_add(b, row[c], row[c] ? len[c] : 0);
		if (rc == 0)
			return 0;
		snprintf(out->error, sizeof out->error, "%s", rc == -2 ? b->error : "out of memory");
		rs_build_free(b);
		cut(m, res);
		return -3;
	}
	int rc = 1;
	if (mysql_errno(m)) {
		snprintf(out->error, sizeof out->error, "%s (error %u)", mysql_error(m), mysql_errno(m));
		rc = lost(mysql_errno(m)) ? -2 : -1;
	} else if (rs_build_end(b, out) < 0) {
		snprintf(out->error, sizeof out->error, "out of memory");
		rc = -1;
	}
	rs_build_free(b);
	mysql_free_result(*res); /* every row read: no I/O */
	*res = NULL;
	return rc;
}

/* rs_run_fn: one statement on the native handle, read row by row; a result past the
 * bound is refused (-2: the handle is dead, the caller drops it). */
static int run_one(void *ctx, const char *sql, struct rs *out)
{
	struct engine_conn *c = ctx;
	if (mysql_query(c->m, sql)) {
		memset(out, 0, sizeof *out);
		snprintf(out->error, sizeof out->error, "%s (error %u)", mysql_error(c->m), mysql_errno(c->m));
		return lost(mysql_errno(c->m)) ? -2 : -1;
	}
	MYSQL_RES *res;
	struct rs_build b;
	int rc = open_result(c->m, &res, &b, out);
	if (rc == 1)
		while ((rc = take_row(c->m, &res, &b, mysql_fetch_row(res), out)) == 0)
			;
	if (rc == -3) { /* the handle is cut: to the caller, a lost connection */
		snprintf(c->dropped, sizeof c->dropped, "%.120s", out->error);
		rc = -2;
	}
	return rc == 1 ? 0 : rc;
}

static struct engine_conn *my_connect(const char *dsn, double timeout_s, struct err *err)
{
	struct engine_conn *c = calloc(1, sizeof *c);
	if (!c) {
		err_set(err, ERR_FAIL, "connect: out of memory");
		return NULL;
	}
	if (my_dsn_parse(dsn, &c->dsn, err) < 0 || !(c->m = my_open(&c->dsn, timeout_s, 1, err)) ||
	    my_probe(&c->st, timeout_s, run_one, c, err) < 0) {
		if (c->m && !err->msg[0] && c->dropped[0])
			err_set(err, ERR_FAIL, "probe: %s", c->dropped);
		else if (c->m && !err->msg[0])
			set_err(err, ERR_TIMEOUT, "probe", c->m);
		if (c->m)
			mysql_close(c->m);
		free(c);
		return NULL;
	}
	c->timeout_s = timeout_s;
	return c;
}

static int my_act(struct engine_conn *c, const struct db_action *a, double deadline,
		  const struct engine_steps *steps, char *outcome, size_t n, struct err *err)
{
	(void)deadline; /* the connection's read/write timeouts bound each statement */
	/* the connect asked for multi-statements (samples are one round trip of
	 * several): an action's statements go one at a time, and the server is
	 * told so first, so text in them can never start a second statement */
	if (mysql_set_server_option(c->m, MYSQL_OPTION_MULTI_STATEMENTS_OFF)) {
		set_err(err, ERR_FAIL, "cannot turn multi-statements off for the action; nothing sent", c->m);
		return -1;
	}
	return my_action(&c->st, a, run_one, c, steps, outcome, n, err);
}

/* A write probe: MySQL/MariaDB has no statement that takes a transaction id on its own, so a
 * heartbeat table is needed (config: heartbeat_table); REPLACE of row id 1. */
static int my_write_probe(struct engine_conn *c, const char *table, double deadline, struct err *err)
{
	char sql[256];
	struct rs out;
	(void)deadline; /* the connection's read/write timeouts bound it */
	if (!table[0])
		return err_set(err, ERR_CONFIG, "write probe: MySQL and MariaDB need heartbeat_table = TABLE (id INT PRIMARY KEY, ts DATETIME(6))");
	snprintf(sql, sizeof sql, "REPLACE INTO %s (id, ts) VALUES (1, NOW(6))", table);
	int rc = run_one(c, sql, &out);
	if (rc < 0)
		err_set(err, ERR_FAIL, "write probe: %.200s", out.error);
	rs_free(&out);
	return rc < 0 ? -1 : 0;
}

static int my_explain_op(struct engine_conn *c, const struct db_explain *q, double deadline, struct db_plan *out,
			 struct err *err)
{
	(void)deadline; /* the connection's read/write timeouts bound each statement */
	if (mysql_set_server_option(c->m, MYSQL_OPTION_MULTI_STATEMENTS_OFF)) /* as for actions: one statement */
		return err_set(err, ERR_FAIL, "no plan: cannot turn multi-statements off (error %u)", mysql_errno(c->m));
	return my_explain(&c->st, q, run_one, c, out, err);
}

/* Free what the flight holds; the connection is idle again, or dead if a
 * result was left unread (it is cut, never read to its end). */
static void flight_release(struct engine_conn *c)
{
	struct my_flight *f = &c->f;
	for (int i = 0; i < f->n; i++)
		rs_free(&f->r[i]);
	if (f->res)
		cut(c->m, &f->res);
	rs_build_free(&f->b);
	free(f->sql);
	memset(f, 0, sizeof *f);
}

static void my_close(struct engine_conn *c)
{
	if (!c)
		return;
	int fd = mysql_get_socket(c->m);
	if (fd >= 0 && c->f.phase != MY_PHASE_IDLE && c->f.phase != MY_PHASE_DONE)
		shutdown(fd, SHUT_RDWR); /* mid-sample: mysql_close's goodbye fails at once, never waits */
	flight_release(c);
	mysql_close(c->m);
	my_state_release(&c->st);
	free(c);
}

/* After a client-side timeout: stop our statement on the server too. */
static void kill_our_query(struct engine_conn *c)
{
	struct err ignore;
	MYSQL *k = my_open(&c->dsn, c->timeout_s, 0, &ignore);
	if (!k)
		return;
	char sql[64];
	snprintf(sql, sizeof sql, "KILL QUERY %lu", c->st.self_id);
	mysql_query(k, sql);
	mysql_close(k);
}

/* ---- one sample: the same steps whether the calls block or not ---- */

/* Build the batch ('health': the health probe only) and ready the flight; 0 or -1. */
static int flight_begin(struct engine_conn *c, int health, struct err *err)
{
	struct my_flight *f = &c->f;
	c->st.health = health;
	memset(f, 0, sizeof *f);
	if (!(f->sql = my_build_batch(&c->st))) {
		err_set(err, ERR_FAIL, "sample: out of memory");
		return -1;
	}
	f->len = strlen(f->sql);
	while (f->len && (f->sql[f->len - 1] == '\n' || f->sql[f->len - 1] == ';'))
		f->sql[--f->len] = '\0'; /* no empty statement at the end */
	f->phase = MY_PHASE_QUERY;
	f->t0 = clock_mono();
	return 0;
}

static int on_open(struct engine_conn *c, struct err *err);

/* The batch was sent ('failed': the server or the link said no); 0 or -1 with 'err'. */
static int on_query(struct engine_conn *c, int failed, struct err *err)
{
	if (failed) {
		set_err(err, lost(mysql_errno(c->m)) ? ERR_TIMEOUT : ERR_FAIL, "sample", c->m);
		return -1;
	}
	return on_open(c, err);
}

/* One statement's result ended as open_result/take_row say ('rc'); 0 or -1 with 'err'. */
static int on_result(struct engine_conn *c, int rc, struct err *err)
{
	struct my_flight *f = &c->f;
	f->n++;
	if (rc == -3) { /* refused: said on screen, and the handle is cut */
		err_set(err, ERR_FAIL, "sample: %.200s", f->r[f->n - 1].error);
		return -1;
	}
	if (rc == -2 || f->n == MY_BATCH_MAX) {
		set_err(err, ERR_TIMEOUT, "sample", c->m);
		return -1;
	}
	f->phase = MY_PHASE_NEXT;
	return 0;
}

/* The next statement's result is current: read it row by row; 0 or -1 with 'err'. */
static int on_open(struct engine_conn *c, struct err *err)
{
	struct my_flight *f = &c->f;
	int rc = open_result(c->m, &f->res, &f->b, &f->r[f->n]);
	if (rc != 1)
		return on_result(c, rc, err);
	f->phase = MY_PHASE_ROWS;
	return 0;
}

/* One row fetched (NULL: the end or an error); 0 or -1 with 'err'. */
static int on_row(struct engine_conn *c, MYSQL_ROW row, struct err *err)
{
	struct my_flight *f = &c->f;
	int rc = take_row(c->m, &f->res, &f->b, row, &f->r[f->n]);
	return rc == 0 ? 0 : on_result(c, rc, err);
}

/* mysql_next_result's answer: more (0), the end (-1), or the next statement failed (> 0). */
static int on_next(struct engine_conn *c, int next, struct err *err)
{
	struct my_flight *f = &c->f;
	if (next == 0)
		return on_open(c, err);
	f->phase = MY_PHASE_DONE;
	if (next > 0) { /* its error goes in its slot: my_parse_batch names it */
		memset(&f->r[f->n], 0, sizeof f->r[f->n]);
		snprintf(f->r[f->n++].error, sizeof f->r[0].error, "%s (error %u)", mysql_error(c->m),
			 mysql_errno(c->m));
		if (lost(mysql_errno(c->m))) {
			set_err(err, ERR_TIMEOUT, "sample", c->m);
			return -1;
		}
	}
	return 0;
}

/* The round trip is over ('rc' 0: read whole): parse into 'out', free; 0 or -1. */
static int flight_end(struct engine_conn *c, int rc, struct db_sample *out, struct err *err)
{
	struct my_flight *f = &c->f;
	if (rc == 0)
		rc = my_parse_batch(&c->st, f->r, f->n, out, err);
	out->roundtrip_ms = (clock_mono() - f->t0) * 1000;
	const char *cipher = mysql_get_ssl_cipher(c->m);
	snprintf(out->health.tls, sizeof out->health.tls, "%s", cipher ? cipher : "plaintext");
	if (!c->st.health) /* texts age with the samples that read them */
		textcache_tick(&c->st.texts);
	flight_release(c);
	return rc;
}

static int my_sample(struct engine_conn *c, struct db_sample *out, double deadline, struct err *err)
{
	(void)deadline; /* the handle's read timeout bounds every wait */
	if (flight_begin(c, 0, err) < 0)
		return -1;
	int rc = on_query(c, mysql_real_query(c->m, c->f.sql, c->f.len) != 0, err);
	while (rc == 0 && c->f.phase != MY_PHASE_DONE)
		rc = c->f.phase == MY_PHASE_ROWS ? on_row(c, mysql_fetch_row(c->f.res), err)
						 : on_next(c, mysql_next_result(c->m), err);
	if (rc < 0 && err->code == ERR_TIMEOUT)
		kill_our_query(c);
	return flight_end(c, rc, out, err);
}

/* ---- the non-blocking path: a sampler thread steps the same flight ---- */

/* Start (ev 0) or continue (ev: MYSQL_WAIT_* that happened) the call the phase
 * needs; its wait status, 0 when the call finished with 'ret' or 'row'. */
static int nb_call(struct engine_conn *c, int ev, int *ret, MYSQL_ROW *row)
{
	switch (c->f.phase) {
	case MY_PHASE_QUERY:
		return ev ? mysql_real_query_cont(ret, c->m, ev) : mysql_real_query_start(ret, c->m, c->f.sql, c->f.len);
	case MY_PHASE_ROWS:
		return ev ? mysql_fetch_row_cont(row, c->f.res, ev) : mysql_fetch_row_start(row, c->f.res);
	default:
		return ev ? mysql_next_result_cont(ret, c->m, ev) : mysql_next_result_start(ret, c->m);
	}
}

/* What to poll for: MYSQL_WAIT_TIMEOUT is the sampler's business (its deadline). */
static void nb_wait(struct engine_conn *c, int status, struct engine_wait *w)
{
	c->f.wait = status;
	w->fd = mysql_get_socket(c->m);
	w->events = (short)((status & (MYSQL_WAIT_READ | MYSQL_WAIT_EXCEPT) ? POLLIN : 0) |
			    (status & MYSQL_WAIT_WRITE ? POLLOUT : 0));
}

/* Drive the flight as far as the socket allows, from event 'ev' (0: start a phase). */
static int nb_run(struct engine_conn *c, int ev, struct engine_wait *w, struct err *err)
{
	for (;;) {
		int ret = 0, rc;
		MYSQL_ROW row = NULL;
		int status = nb_call(c, ev, &ret, &row);
		ev = 0;
		if (status) {
			nb_wait(c, status, w);
			return ENGINE_STEP_WAIT;
		}
		switch (c->f.phase) {
		case MY_PHASE_QUERY: rc = on_query(c, ret != 0, err); break;
		case MY_PHASE_ROWS: rc = on_row(c, row, err); break;
		default: rc = on_next(c, ret, err);
		}
		if (rc < 0)
			return ENGINE_STEP_FAIL;
		if (c->f.phase == MY_PHASE_DONE)
			return ENGINE_STEP_DONE;
	}
}

/* Which of the events the library waits for the socket has now (0: none yet). */
static int nb_ready(const struct engine_conn *c)
{
	struct pollfd p = {.fd = mysql_get_socket(c->m), .events = POLLIN | POLLOUT | POLLPRI};
	if (poll(&p, 1, 0) <= 0)
		return 0;
	int ev = 0, broken = p.revents & (POLLERR | POLLHUP | POLLNVAL);
	if (c->f.wait & MYSQL_WAIT_READ && (p.revents & POLLIN || broken))
		ev |= MYSQL_WAIT_READ;
	if (c->f.wait & MYSQL_WAIT_WRITE && (p.revents & POLLOUT || broken))
		ev |= MYSQL_WAIT_WRITE;
	if (c->f.wait & MYSQL_WAIT_EXCEPT && (p.revents & POLLPRI || broken))
		ev |= MYSQL_WAIT_EXCEPT;
	return ev;
}

static int my_sample_start(struct engine_conn *c, enum engine_detail detail, struct engine_wait *w,
			   struct err *err)
{
	if (c->f.phase != MY_PHASE_IDLE) {
		err_set(err, ERR_FAIL, "sample: one is already in flight");
		return ENGINE_STEP_FAIL;
	}
	c->st.triage = (detail & ENGINE_TRIAGE) != 0;
	if (flight_begin(c, !(detail & ENGINE_DETAIL), err) < 0)
		return ENGINE_STEP_FAIL;
	int rc = nb_run(c, 0, w, err);
	if (rc == ENGINE_STEP_WAIT)
		return rc;
	if (rc == ENGINE_STEP_DONE) { /* read whole already: parsed when the caller steps with 'out' */
		nb_wait(c, MYSQL_WAIT_WRITE, w);
		return ENGINE_STEP_WAIT;
	}
	flight_release(c);
	return ENGINE_STEP_FAIL;
}

static int my_sample_step(struct engine_conn *c, struct db_sample *out, struct engine_wait *w, struct err *err)
{
	if (c->f.phase == MY_PHASE_IDLE) {
		err_set(err, ERR_FAIL, "sample: none in flight");
		return ENGINE_STEP_FAIL;
	}
	int rc = ENGINE_STEP_DONE;
	if (c->f.phase != MY_PHASE_DONE) {
		int ev = nb_ready(c);
		if (!ev) { /* woken early: wait on */
			nb_wait(c, c->f.wait, w);
			return ENGINE_STEP_WAIT;
		}
		rc = nb_run(c, ev, w, err);
		if (rc == ENGINE_STEP_WAIT)
			return rc;
	}
	return flight_end(c, rc == ENGINE_STEP_DONE ? 0 : -1, out, err) < 0 ? ENGINE_STEP_FAIL : ENGINE_STEP_DONE;
}

/* Past the sampler's deadline: stop our statement on the server, then close
 * without waiting on a server that does not answer. */
static void my_abandon(struct engine_conn *c)
{
	if (!c)
		return;
	if (c->f.phase != MY_PHASE_IDLE && c->f.phase != MY_PHASE_DONE)
		kill_our_query(c);
	my_close(c);
}

static int my_lookup_host(const char *dsn, char *host, size_t n, int *port)
{
	struct my_dsn d;
	struct err e;
	unsigned char addr[sizeof(struct in6_addr)];
	if (my_dsn_parse(dsn, &d, &e) < 0 || d.socket[0] || !d.host[0] || inet_pton(AF_INET, d.host, addr) == 1 ||
	    inet_pton(AF_INET6, d.host, addr) == 1)
		return 0;
	snprintf(host, n, "%s", d.host);
	*port = (int)d.port;
	return 1;
}

static const char *my_query_text(struct engine_conn *c, int64_t id)
{
	return textcache_get(&c->st.texts, id);
}

static void my_endpoint(const char *dsn, char *out, size_t n)
{
	struct my_dsn d;
	struct err e;
	if (my_dsn_parse(dsn, &d, &e) < 0)
		snprintf(out, n, "?");
	else
		snprintf(out, n, "%s:%u", d.socket[0] ? d.socket : d.host, d.port);
}

static int my_global_init(void)
{
	return mysql_library_init(0, NULL, NULL);
}

static void my_thread_end(void)
{
	mysql_thread_end();
}

const struct engine_ops engine_mysql_ops = {
	.write_probe = my_write_probe,
	.name = "mysql",
	.caps = ENGINE_CAP_REPLICATION | ENGINE_CAP_QUERIES | ENGINE_CAP_SESSIONS,
	.global_init = my_global_init,
	.thread_end = my_thread_end,
	.connect = my_connect,
	.sample = my_sample,
	.action_sql = my_action_sql,
	.act = my_act,
	.query_text = my_query_text,
	.endpoint = my_endpoint,
	.close = my_close,
	.sample_start = my_sample_start,
	.sample_step = my_sample_step,
	.abandon = my_abandon,
	.lookup_host = my_lookup_host,
	.dsn_secret = my_dsn_secret,
	.explain = my_explain_op,
};
