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
 * files (~/.my.cnf, [client] and [dbfleet] groups), never from argv.
 */
#include "my_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	return m;
}

/* Run one statement, keep its first row's fields in 'out' (up to n); 0, or the errno. */
static unsigned probe_row(MYSQL *m, const char *sql, char out[][128], int n)
{
	if (mysql_query(m, sql))
		return mysql_errno(m) ? mysql_errno(m) : 1;
	MYSQL_RES *res = mysql_store_result(m);
	if (!res)
		return mysql_errno(m) ? mysql_errno(m) : 1;
	MYSQL_ROW row = mysql_fetch_row(res);
	unsigned nf = mysql_num_fields(res);
	for (int i = 0; i < n; i++)
		snprintf(out[i], 128, "%s", row && (unsigned)i < nf && row[i] ? row[i] : "");
	mysql_free_result(res);
	return 0;
}

static int my_probe(struct engine_conn *c, double timeout_s, struct err *err)
{
	char v[5][128];
	if (probe_row(c->m, MY_SQL_PROBE, v, 5)) {
		set_err(err, ERR_FAIL, "probe", c->m);
		return -1;
	}
	snprintf(c->version, sizeof c->version, "%.60s", v[0]);
	c->mariadb = strstr(v[0], "MariaDB") != NULL || strstr(v[1], "MariaDB") != NULL;
	int major = 0, minor = 0, patch = 0;
	sscanf(v[0], "%d.%d.%d", &major, &minor, &patch);
	c->vnum = major * 10000 + minor * 100 + patch;
	c->self_id = strtoul(v[2], NULL, 10);
	c->ps_on = atoi(v[3]) == 1;
	snprintf(c->user, sizeof c->user, "%s", v[4]);
	/* SHOW REPLICA STATUS: MariaDB 10.5.1+, MySQL 8.0.22+ (8.4 has nothing else) */
	int replica_kw = c->mariadb ? c->vnum >= 100501 : c->vnum >= 80022;
	snprintf(c->replica_sql, sizeof c->replica_sql, "%s;",
		 replica_kw ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS");
	char cap[256];
	if (c->mariadb)
		snprintf(cap, sizeof cap, "SET SESSION max_statement_time = %.3f", timeout_s * 0.8);
	else
		snprintf(cap, sizeof cap, "SET SESSION max_execution_time = %d", (int)(timeout_s * 800));
	mysql_query(c->m, cap); /* best effort: old servers lack both */
	char dummy[1][128];
	c->can_process = probe_row(c->m, MY_SQL_CAN_PROCESS, dummy, 1) == 0;
	snprintf(cap, sizeof cap, "%.*s", (int)strlen(c->replica_sql) - 1, c->replica_sql);
	unsigned e = probe_row(c->m, cap, dummy, 1);
	c->can_replica = e == 0;
	c->can_digest = c->ps_on && probe_row(c->m, MY_SQL_CAN_DIGEST, dummy, 1) == 0;
	return 0;
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
	    my_probe(c, timeout_s, err) < 0) {
		if (c->m)
			mysql_close(c->m);
		free(c);
		return NULL;
	}
	c->timeout_s = timeout_s;
	return c;
}

static void my_close(struct engine_conn *c)
{
	if (!c)
		return;
	mysql_close(c->m);
	textcache_release(&c->texts);
	free(c->digests);
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
	snprintf(sql, sizeof sql, "KILL QUERY %lu", c->self_id);
	mysql_query(k, sql);
	mysql_close(k);
}

static int my_sample(struct engine_conn *c, struct db_sample *out, double deadline, struct err *err)
{
	(void)deadline; /* the handle's read timeout bounds every wait */
	char *sql = my_build_batch(c);
	if (!sql) {
		snprintf(err->msg, sizeof err->msg, "sample: out of memory");
		err->code = ERR_FAIL;
		return -1;
	}
	double t0 = engine_now();
	int rc = mysql_real_query(c->m, sql, strlen(sql)) == 0 ? 0 : -1;
	free(sql);
	if (rc == 0)
		rc = my_read_batch(c, out, err);
	else
		set_err(err, ERR_FAIL, "sample", c->m);
	if (rc < 0 && (mysql_errno(c->m) == 2013 || mysql_errno(c->m) == 2006)) {
		err->code = ERR_TIMEOUT;
		kill_our_query(c);
	}
	out->roundtrip_ms = (engine_now() - t0) * 1000;
	const char *cipher = mysql_get_ssl_cipher(c->m);
	snprintf(out->health.tls, sizeof out->health.tls, "%s", cipher ? cipher : "plaintext");
	textcache_tick(&c->texts);
	return rc;
}

static const char *my_query_text(struct engine_conn *c, int64_t id)
{
	return textcache_get(&c->texts, id);
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
	.query_text = my_query_text,
	.endpoint = my_endpoint,
	.close = my_close,
};
