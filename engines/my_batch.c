/* my_batch.c - MySQL/MariaDB: the DSN and one sample's statements. */
#include "my_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int take(const char **p, const char *stop, char *out, size_t n)
{
	size_t len = strcspn(*p, stop);
	if (len >= n)
		return -1;
	memcpy(out, *p, len);
	out[len] = '\0';
	*p += len;
	return 0;
}

static const char my_pw_refused[] = "a password in the DSN: put it in ~/.my.cnf instead";

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* 1 if a ?key (its first 'klen' bytes) names a password once percent-decoded ("passw%6Frd"). */
static int key_is_password(const char *k, size_t klen)
{
	char key[32];
	size_t o = 0;
	for (size_t i = 0; i < klen && o < sizeof key - 1; i++) {
		if (k[i] == '%' && i + 2 < klen && hex_digit(k[i + 1]) >= 0 && hex_digit(k[i + 2]) >= 0) {
			key[o++] = (char)(hex_digit(k[i + 1]) * 16 + hex_digit(k[i + 2]));
			i += 2;
		} else
			key[o++] = k[i];
	}
	key[o] = '\0';
	return !strncasecmp(key, "password", 8) || !strcasecmp(key, "pwd");
}

/* One ?key=value of the DSN. */
static int dsn_param(struct my_dsn *d, const char *kv, struct err *err)
{
	const char *v = strchr(kv, '=');
	size_t klen = v ? (size_t)(v - kv) : strlen(kv);
	v = v ? v + 1 : "";
	if (klen == 6 && !strncmp(kv, "ssl-ca", 6))
		snprintf(d->ssl_ca, sizeof d->ssl_ca, "%s", v);
	else if (klen == 6 && !strncmp(kv, "socket", 6))
		snprintf(d->socket, sizeof d->socket, "%s", v);
	else if (klen == 8 && !strncmp(kv, "ssl-mode", 8)) {
		d->ssl_required = !strcasecmp(v, "REQUIRED") || !strcasecmp(v, "VERIFY_CA") ||
				  !strcasecmp(v, "VERIFY_IDENTITY");
		d->ssl_verify = !strcasecmp(v, "VERIFY_CA") || !strcasecmp(v, "VERIFY_IDENTITY");
		if (!d->ssl_required && strcasecmp(v, "DISABLED") && strcasecmp(v, "PREFERRED"))
			goto bad;
	} else if (key_is_password(kv, klen)) {
		err_set(err, ERR_CONFIG, "%s", my_pw_refused);
		return -1;
	} else
		goto bad;
	return 0;
bad:
	err_set(err, ERR_CONFIG, "DSN option '%.*s' is not one dbfleet knows", (int)klen, kv);
	return -1;
}

int my_dsn_parse(const char *dsn, struct my_dsn *d, struct err *err)
{
	memset(d, 0, sizeof *d);
	d->port = 3306;
	const char *p = strstr(dsn, "://");
	err->code = ERR_CONFIG;
	if (!p) {
		snprintf(err->msg, sizeof err->msg, "DSN must look like mysql://user@host:port/db");
		return -1;
	}
	p += 3;
	const char *at = strchr(p, '@'), *slash = strchr(p, '/');
	if (at && (!slash || at < slash)) {
		if (take(&p, "@:", d->user, sizeof d->user) < 0 || *p == ':') {
			snprintf(err->msg, sizeof err->msg, "%s", my_pw_refused);
			return -1;
		}
		p++;
	}
	if (take(&p, ":/?", d->host, sizeof d->host) < 0)
		goto bad;
	if (*p == ':') {
		char port[8];
		p++;
		if (take(&p, "/?", port, sizeof port) < 0 || !(d->port = (unsigned)atoi(port)) || d->port > 65535)
			goto bad;
	}
	if (*p == '/') {
		p++;
		if (take(&p, "?", d->db, sizeof d->db) < 0)
			goto bad;
	}
	while (*p == '?' || *p == '&') {
		char kv[600];
		p++;
		if (take(&p, "&", kv, sizeof kv) < 0 || dsn_param(d, kv, err) < 0)
			return -1;
	}
	err->code = ERR_NONE;
	return 0;
bad:
	snprintf(err->msg, sizeof err->msg, "cannot read the DSN: want mysql://user@host:port/db");
	return -1;
}

/*
 * A password anywhere in a mysql:// DSN: user:password@, or any ?key that decodes to
 * one, even after an option my_dsn_parse would stop at. 1 with 'why', or 0.
 */
int my_dsn_secret(const char *dsn, char *why, size_t n)
{
	const char *p = strstr(dsn, "://");
	if (!p)
		return 0;
	p += 3;
	size_t auth = strcspn(p, "/?#");
	const char *at = memrchr(p, '@', auth);
	int found = at && memchr(p, ':', (size_t)(at - p));
	for (const char *q = strchr(p, '?'); q && *q && !found; q += strcspn(q, "&")) {
		q++;
		found = key_is_password(q, strcspn(q, "=&"));
	}
	if (found)
		snprintf(why, n, "%s", my_pw_refused);
	return found;
}

/* A batch being built: its text and, in the state, the parts it asks in order. */
struct batch {
	struct my_state *c;
	char *buf;
	size_t len, cap;
	int rc;
};

static void add(struct batch *b, int part, const char *sql)
{
	b->rc |= rs_appendf(&b->buf, &b->len, &b->cap, "%s\n", sql);
	b->c->parts[b->c->nparts++] = part;
}

static void add_any(void *b, int part, const char *sql)
{
	add(b, part, sql);
}

/* Health: sums in place of the rows (performance_schema and PROCESS), else the status says. */
static void add_health(struct batch *b)
{
	if (b->c->can_digest)
		add(b, MY_PART_THREADS_SUM, MY_SQL_THREADS_SUM);
	if (b->c->can_process)
		add(b, MY_PART_TRX_SUM, MY_SQL_TRX_SUM);
}

/* Everything the sessions pane shows: the rows, their transactions, who blocks whom. */
static void add_sessions(struct batch *b)
{
	struct my_state *c = b->c;
	/* performance_schema.threads is the cheap way; the PROCESSLIST join the fallback */
	int ps_sessions = c->can_digest;
	add(b, MY_PART_SESSIONS, ps_sessions ? c->sessions_many ? MY_SQL_SESSIONS_PS_BUSY : MY_SQL_SESSIONS_PS
			       : c->can_process ? MY_SQL_SESSIONS : MY_SQL_SESSIONS_OWN);
	if (ps_sessions && c->can_process)
		add(b, MY_PART_TRX, MY_SQL_TRX);
	/* lock-wait tables only while the last sample counted row-lock waits */
	if (c->can_process && c->lock_waits > 0)
		add(b, MY_PART_LOCKS, !c->mariadb && c->vnum >= 80000 ? MY_SQL_LOCKS_PS : MY_SQL_LOCKS_INNODB);
}

/* The top queries pane: digests, the texts not cached yet, the consumer now and then. */
static void add_digests(struct batch *b)
{
	struct my_state *c = b->c;
	int now_and_then = c->ndetail < 2 || c->ndetail % MY_STATUS_EVERY == 0;
	c->ndetail++;
	/* a consumer turned off is asked again now and then: the pane's note says how to turn it on */
	if (c->can_digest && c->digests_off && now_and_then) {
		b->rc |= rs_appendf(&b->buf, &b->len, &b->cap, "%s;\n", MY_SQL_DIGESTS_ON);
		c->parts[c->nparts++] = MY_PART_CONSUMER;
	}
	char list[TEXTCACHE_FETCH_MAX * 72 + 1];
	if (c->can_digest && !c->digests_off) {
		add(b, MY_PART_DIGESTS, MY_SQL_DIGESTS);
		if (textcache_wanted_keys(&c->texts, list, sizeof list) > 0) {
			b->rc |= rs_appendf(&b->buf, &b->len, &b->cap, MY_SQL_TEXTS "\n", list);
			c->parts[c->nparts++] = MY_PART_TEXTS;
		}
	}
	c->texts.nwant = 0;
}

char *my_build_batch(struct my_state *c)
{
	struct batch b = {.c = c};
	/* twice at the start, for rates from the first second on */
	int now_and_then = c->nsample < 2 || c->nsample % MY_STATUS_EVERY == 0;
	c->nsample++;
	/* the counters SHOW GLOBAL STATUS alone has: see struct my_state */
	c->status_read = !(c->can_digest && c->can_process) || (!c->health && c->sessions_capped) || !c->started ||
			 now_and_then;
	c->nparts = 0;
	add(&b, MY_PART_VARS, c->mariadb ? MY_SQL_VARS_MARIADB : MY_SQL_VARS_MYSQL);
	if (c->status_read)
		add(&b, MY_PART_STATUS, MY_SQL_STATUS);
	if (c->health)
		add_health(&b);
	else
		add_sessions(&b);
	/* a server without replication is asked again now and then, a replica every time */
	if (c->can_replica && (c->replica_seen || now_and_then))
		add(&b, MY_PART_REPLICA, c->replica_sql);
	if (c->aurora_version[0])
		add(&b, MY_PART_AURORA, MY_SQL_AURORA_REPLICAS);
	if (!c->health)
		add_digests(&b);
	if (c->triage)
		my_triage_plan(c, add_any, &b);
	if (b.rc) {
		free(b.buf);
		return NULL;
	}
	return b.buf;
}

int my_action_sql(const struct db_action *a, char *sql, size_t n, struct err *err)
{
	err->code = ERR_CONFIG;
	switch (a->kind) {
	case ACT_CANCEL:
		snprintf(sql, n, a->rds ? "CALL mysql.rds_kill_query(%d)" : "KILL QUERY %d", a->pid);
		break;
	case ACT_TERMINATE:
		snprintf(sql, n, a->rds ? "CALL mysql.rds_kill(%d)" : "KILL %d", a->pid);
		break;
	case ACT_PROMOTE:
		snprintf(sql, n, "STOP REPLICA;\nRESET REPLICA ALL;\nSET GLOBAL read_only = OFF");
		break;
	default:
		snprintf(err->msg, sizeof err->msg, "MySQL/MariaDB has no such action");
		return -1;
	}
	if (a->kind != ACT_PROMOTE && a->pid <= 0) {
		snprintf(err->msg, sizeof err->msg, "no connection id to act on");
		return -1;
	}
	return 0;
}

/* 'in' as the digits of a hex literal X'...': two per byte, nothing else. */
static void hex_literal(char *out, size_t n, const char *in)
{
	static const char digit[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && o + 3 <= n; p++) {
		out[o++] = digit[*p >> 4];
		out[o++] = digit[*p & 15];
	}
	out[o] = '\0';
}

/*
 * Where a promote stands when statement 'answered' (0-2) and those after it
 * did not run for sure: [answered][1 if that one was sent and may have run].
 */
static const char *const promote_left[3][2] = {
	{"nothing was changed", "replication may be stopped; the server is still read-only"},
	{"the server is left with replication stopped and read-only",
	 "the server is left with replication stopped (perhaps reset) and read-only"},
	{"the server is left with replication stopped and reset, and read-only",
	 "replication is stopped and reset; read_only may or may not be OFF: check it"},
};

/* In words, how far statements 'stmt' got: those before 'answered' answered, that one
 * 'how' ("sent, no answer", "failed (...)"; NULL: not sent), the rest not sent. */
static void steps_said(char *const *stmt, int nst, int answered, const char *how, char *out, size_t n)
{
	int promote = nst == 3 && !strcmp(stmt[0], "STOP REPLICA"); /* my_action_sql's three */
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < nst && o < n; i++)
		o += (size_t)snprintf(out + o, n - o, "%s%.40s %s", i ? "; " : "", stmt[i],
				      i < answered ? "answered" : i == answered && how ? how : "not sent");
	/* the promote's three: what the server is left with (a failed one did not run) */
	if (promote && answered < 3 && o < n)
		snprintf(out + o, n - o, ": %s", promote_left[answered][how && !strncmp(how, "sent", 4)]);
}

/* Send an action's statements one at a time, telling 'steps' (NULL: nobody) how far
 * they got; 0, or -1 with 'err' saying what was answered, what not and what not sent. */
static int my_act_statements(char *const *stmt, int nst, rs_run_fn run, void *ctx, const struct engine_steps *steps,
			     struct err *err)
{
	char said[ERR_MSG_MAX], how[96];
	for (int i = 0; i < nst; i++) {
		struct rs r = {0};
		steps_said(stmt, nst, i, "sent, no answer", said, sizeof said);
		if (steps && steps->step(steps->ctx, i, said) < 0) {
			steps_said(stmt, nst, i, NULL, said, sizeof said);
			err_set(err, ERR_FAIL, "stopped: dbfleet gave up on it: %s", said);
			return -1;
		}
		int rc = run(ctx, stmt[i], &r);
		if (rc < 0) {
			snprintf(how, sizeof how, "%s (%.60s)", rc == -2 ? "sent, no answer" : "failed", r.error);
			steps_said(stmt, nst, i, how, said, sizeof said);
			if (nst == 1)
				err_set(err, ERR_FAIL, "%.60s: %.180s", stmt[0], r.error);
			else
				err_set(err, ERR_FAIL, "%s", said);
			rs_free(&r);
			return -1;
		}
		rs_free(&r);
	}
	if (steps) {
		steps_said(stmt, nst, nst, NULL, said, sizeof said);
		steps->step(steps->ctx, nst, said);
	}
	return 0;
}

int my_action(const struct my_state *st, const struct db_action *a, rs_run_fn run, void *ctx,
	      const struct engine_steps *steps, char *outcome, size_t n, struct err *err)
{
	char sql[1400], user[260], host[260], like[400], raw[200], stmts[256];
	struct rs r = {0};
	if (my_action_sql(a, stmts, sizeof stmts, err) < 0)
		return -1;
	hex_literal(user, sizeof user, a->user);
	hex_literal(host, sizeof host, a->client);
	/* the host as a LIKE pattern "host:%": its own %, _ and \ taken literally */
	size_t o = 0;
	for (const char *p = a->client; *p && o + 4 < sizeof raw; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			raw[o++] = '\\';
		raw[o++] = *p;
	}
	raw[o++] = ':';
	raw[o++] = '%';
	raw[o] = '\0';
	hex_literal(like, sizeof like, raw);
	snprintf(sql, sizeof sql, MY_SQL_IDENTITY, st->mariadb ? "@@server_id" : "@@server_uuid",
		 a->kind == ACT_PROMOTE ? -1 : a->pid, user, host, like,
		 st->mariadb ? "information_schema" : "performance_schema");
	if (rs_run_action(run, ctx, sql, &r, err) < 0)
		return -1;
	if (r.nrows != 1) {
		err_set(err, ERR_FAIL, "identity check: no answer");
		rs_free(&r);
		return -1;
	}
	double started = dval(&r, 0, 1, 0);
	int same_server = !strcmp(val(&r, 0, 0), a->server_id) && started - a->server_started < 3 &&
			  a->server_started - started < 3;
	int present = ival(&r, 0, 2, 0) == 1;
	rs_free(&r);
	err->code = ERR_REFUSED;
	if (!same_server) {
		snprintf(err->msg, sizeof err->msg, "refused: the server is not the one shown (restarted or failed"
			 " over: ids start again), nothing sent");
		return -1;
	}
	if (a->kind != ACT_PROMOTE && !present) {
		snprintf(err->msg, sizeof err->msg, "refused: connection %d is not %.60s@%.60s any more (it ended"
			 " or the id was reused), nothing sent", a->pid, a->user, a->client);
		return -1;
	}
	if (a->kind == ACT_PROMOTE) {
		int replica = run(ctx, st->replica_sql[0] ? st->replica_sql : "SHOW REPLICA STATUS", &r) == 0 && r.nrows > 0;
		rs_free(&r);
		if (!replica) {
			snprintf(err->msg, sizeof err->msg, "refused: the server has no replication configured (not a replica)");
			return -1;
		}
	}
	/* one statement at a time: promote is three */
	char *stmt[MY_ACT_STMTS_MAX];
	int nst = 0;
	for (char *s = stmts; s && *s && nst < MY_ACT_STMTS_MAX; nst++) {
		stmt[nst] = s;
		if ((s = strstr(s, ";\n"))) {
			*s = '\0';
			s += 2;
		}
	}
	if (my_act_statements(stmt, nst, run, ctx, nst > 1 ? steps : NULL, err) < 0)
		return -1;
	err->code = ERR_NONE;
	if (a->kind == ACT_PROMOTE)
		snprintf(outcome, n, "promoted: replication stopped and reset, read_only = OFF");
	else
		snprintf(outcome, n, "%s sent to connection %d%s", a->kind == ACT_CANCEL ? "KILL QUERY" : "KILL", a->pid,
			 a->rds ? " (through the RDS procedure)" : "");
	return 0;
}
