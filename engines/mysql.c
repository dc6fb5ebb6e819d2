/*
 * mysql.c - the MySQL/MariaDB engine (MariaDB Connector/C, Debian's client).
 *
 * DESIGN: one MYSQL handle per target, owned by its collector thread. The
 * client library bounds each connect, read and write (CONNECT/READ/WRITE
 * timeouts, set on every connection); the session caps its own statements
 * on the server (max_statement_time on MariaDB, max_execution_time on
 * MySQL) because a client-side timeout leaves the query running there, and
 * a read timeout is followed by KILL QUERY from a second connection. A
 * server stopped dead can still hold a call: the collector's watchdog
 * abandons the thread. A sample is one round trip of several statements
 * (CLIENT_MULTI_STATEMENTS). Privileges are probed once per connection so a
 * missing grant drops one statement and is named, instead of failing all.
 * Credentials come from the DSN's user and the client library's own option
 * files (~/.my.cnf, [client] and [dbfleet] groups), never from argv. What
 * to ask and how to read it is the dialect (my_batch.c, my_parse.c), which
 * the ODBC engine shares; this file only moves it over the client library.
 */
#include "my_private.h"

#include <mysql.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct engine_conn {
	MYSQL *m;
	struct my_dsn dsn;
	double timeout_s;
	struct my_state st;
};

static void set_err(struct err *err, int code, const char *what, MYSQL *m)
{
	err->code = code;
	snprintf(err->msg, sizeof err->msg, "%s: %s (error %u)", what, mysql_error(m), mysql_errno(m));
}

static unsigned secs(double s)
{
	return s < 1 ? 1 : (unsigned)(s + 0.999);
}

static int is_auth(unsigned e)
{
	return e == 1045 || e == 1044 || e == 1698 || e == 1251 || e == 2049;
}

/* Open a handle with every deadline and TLS option set; NULL with 'err'. */
static MYSQL *my_open(const struct my_dsn *d, double timeout_s, struct err *err)
{
	MYSQL *m = mysql_init(NULL);
	if (!m) {
		snprintf(err->msg, sizeof err->msg, "connect: out of memory");
		err->code = ERR_FAIL;
		return NULL;
	}
	unsigned t = secs(timeout_s), proto = MYSQL_PROTOCOL_TCP;
	my_bool on = 1;
	mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &t);
	mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &t);
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
		err->code = ERR_FAIL;
		snprintf(err->msg, sizeof err->msg, "connect to %.100s:%u: TLS is required (ssl-mode) but the"
			 " server did not offer it; refusing a plaintext connection", d->host, d->port);
		mysql_close(m);
		return NULL;
	}
	return m;
}

/* A MySQL result set as rows of text, copied into one buffer the rs owns. */
static int rs_from_mysql(MYSQL_RES *res, struct rs *r)
{
	int nrows = (int)mysql_num_rows(res), ncols = (int)mysql_num_fields(res);
	if (rs_alloc(r, nrows, ncols) < 0)
		return -1;
	MYSQL_FIELD *f = mysql_fetch_fields(res);
	size_t total = 0;
	MYSQL_ROW row;
	for (int c = 0; c < ncols; c++)
		total += strlen(f[c].name) + 1;
	while ((row = mysql_fetch_row(res))) {
		unsigned long *len = mysql_fetch_lengths(res);
		for (int c = 0; c < ncols; c++)
			total += row[c] ? len[c] + 1 : 0;
	}
	char *buf = r->own = malloc(total + 1);
	if (!buf)
		return -1;
	for (int c = 0; c < ncols; c++) {
		r->name[c] = strcpy(buf, f[c].name);
		buf += strlen(buf) + 1;
	}
	mysql_data_seek(res, 0);
	for (int i = 0; (row = mysql_fetch_row(res)); i++) {
		unsigned long *len = mysql_fetch_lengths(res);
		for (int c = 0; c < ncols; c++) {
			if (!row[c])
				continue;
			memcpy(buf, row[c], len[c]);
			buf[len[c]] = '\0';
			r->cell[i * ncols + c] = buf;
			buf += len[c] + 1;
		}
	}
	return 0;
}

static int lost(unsigned e)
{
	return e == 2006 || e == 2013 || e == 2055;
}

/* The current result of the handle into 'out': 0, -1 statement error, -2 connection lost. */
static int take_result(MYSQL *m, struct rs *out)
{
	memset(out, 0, sizeof *out);
	MYSQL_RES *res = mysql_store_result(m);
	if (!res) {
		if (!mysql_errno(m))
			return 0; /* a statement without rows (SET) */
		snprintf(out->error, sizeof out->error, "%s (error %u)", mysql_error(m), mysql_errno(m));
		return lost(mysql_errno(m)) ? -2 : -1;
	}
	int rc = rs_from_mysql(res, out);
	mysql_free_result(res);
	if (rc < 0)
		snprintf(out->error, sizeof out->error, "out of memory");
	return rc;
}

/* rs_run_fn: one statement on the native handle. */
static int run_one(void *ctx, const char *sql, struct rs *out)
{
	struct engine_conn *c = ctx;
	if (mysql_query(c->m, sql)) {
		memset(out, 0, sizeof *out);
		snprintf(out->error, sizeof out->error, "%s (error %u)", mysql_error(c->m), mysql_errno(c->m));
		return lost(mysql_errno(c->m)) ? -2 : -1;
	}
	return take_result(c->m, out);
}

static struct engine_conn *my_connect(const char *dsn, double timeout_s, struct err *err)
{
	struct engine_conn *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err->msg, sizeof err->msg, "connect: out of memory");
		err->code = ERR_FAIL;
		return NULL;
	}
	if (my_dsn_parse(dsn, &c->dsn, err) < 0 || !(c->m = my_open(&c->dsn, timeout_s, err)) ||
	    my_probe(&c->st, timeout_s, run_one, c, err) < 0) {
		if (c->m && !err->msg[0])
			set_err(err, ERR_TIMEOUT, "probe", c->m);
		if (c->m)
			mysql_close(c->m);
		free(c);
		return NULL;
	}
	c->timeout_s = timeout_s;
	return c;
}

static int my_act(struct engine_conn *c, const struct db_action *a, double deadline, char *outcome, size_t n,
		  struct err *err)
{
	(void)deadline; /* the connection's read/write timeouts bound each statement */
	return my_action(&c->st, a, run_one, c, outcome, n, err);
}

static void my_close(struct engine_conn *c)
{
	if (!c)
		return;
	mysql_close(c->m);
	my_state_release(&c->st);
	free(c);
}

/* After a client-side timeout: stop our statement on the server too. */
static void kill_our_query(struct engine_conn *c)
{
	struct err ignore;
	MYSQL *k = my_open(&c->dsn, c->timeout_s, &ignore);
	if (!k)
		return;
	char sql[64];
	snprintf(sql, sizeof sql, "KILL QUERY %lu", c->st.self_id);
	mysql_query(k, sql);
	mysql_close(k);
}

/* Send the batch as one multi-statement round trip and read each result. */
static int send_batch(struct engine_conn *c, char *sql, struct rs *r, int *n, struct err *err)
{
	size_t len = strlen(sql);
	while (len && (sql[len - 1] == '\n' || sql[len - 1] == ';'))
		sql[--len] = '\0'; /* no empty statement at the end */
	*n = 0;
	if (mysql_real_query(c->m, sql, len)) {
		set_err(err, lost(mysql_errno(c->m)) ? ERR_TIMEOUT : ERR_FAIL, "sample", c->m);
		return -1;
	}
	for (;;) {
		int rc = take_result(c->m, &r[(*n)++]);
		if (rc == -2 || *n == MY_BATCH_MAX) {
			set_err(err, ERR_TIMEOUT, "sample", c->m);
			return -1;
		}
		int next = mysql_next_result(c->m);
		if (next < 0)
			return 0;
		if (next > 0) { /* the next statement failed: its error goes in its slot */
			memset(&r[*n], 0, sizeof r[*n]);
			snprintf(r[(*n)++].error, sizeof r[0].error, "%s (error %u)", mysql_error(c->m),
				 mysql_errno(c->m));
			if (lost(mysql_errno(c->m))) {
				set_err(err, ERR_TIMEOUT, "sample", c->m);
				return -1;
			}
			return 0;
		}
	}
}

static int my_sample(struct engine_conn *c, struct db_sample *out, double deadline, struct err *err)
{
	(void)deadline; /* the handle's read timeout bounds every wait */
	char *sql = my_build_batch(&c->st);
	if (!sql) {
		snprintf(err->msg, sizeof err->msg, "sample: out of memory");
		err->code = ERR_FAIL;
		return -1;
	}
	struct rs r[MY_BATCH_MAX + 1];
	int n = 0;
	double t0 = clock_mono();
	int rc = send_batch(c, sql, r, &n, err);
	free(sql);
	if (rc == 0)
		rc = my_parse_batch(&c->st, r, n, out, err);
	else if (err->code == ERR_TIMEOUT)
		kill_our_query(c);
	for (int i = 0; i < n; i++)
		rs_free(&r[i]);
	out->roundtrip_ms = (clock_mono() - t0) * 1000;
	const char *cipher = mysql_get_ssl_cipher(c->m);
	snprintf(out->health.tls, sizeof out->health.tls, "%s", cipher ? cipher : "plaintext");
	textcache_tick(&c->st.texts);
	return rc;
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
};
