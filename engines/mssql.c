/* mssql.c - the SQL Server dialect: probe, one sample's statements, their rows. */
#include "mssql.h"
#include "mssql_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { M_HEALTH, M_COUNTERS, M_SESSIONS, M_HADR, M_STATS, M_TEXTS };

static int64_t hash_id(const char *hex)
{
	return (int64_t)strtoull(hex + (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X') ? 2 : 0), NULL, 16);
}

int mssql_probe(struct mssql_state *c, rs_run_fn run, void *ctx, struct err *err)
{
	struct rs r = {0};
	int rc = run(ctx, MSSQL_SQL_PROBE, &r);
	if (rc < 0 || r.nrows != 1) {
		err->code = rc == -2 ? ERR_TIMEOUT : ERR_FAIL;
		snprintf(err->msg, sizeof err->msg, "probe: %.240s", r.error[0] ? r.error : "no answer");
		rs_free(&r);
		return -1;
	}
	c->major = (int)ival(&r, 0, 0, 0);
	c->self_spid = (int)ival(&r, 0, 1, 0);
	c->can_state = ival(&r, 0, 2, 0) == 1;
	rs_free(&r);
	return 0;
}

char *mssql_build_batch(struct mssql_state *c)
{
	size_t cap = 4096 + TEXTCACHE_FETCH_MAX * 72;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	int o = snprintf(buf, cap, "%s%s%s%s%s", MSSQL_SQL_HEALTH, MSSQL_SQL_COUNTERS, MSSQL_SQL_SESSIONS,
			 MSSQL_SQL_HADR, MSSQL_SQL_STATS);
	char list[TEXTCACHE_FETCH_MAX * 72 + 1];
	int k = textcache_wanted_keys(&c->texts, list, sizeof list);
	c->batch_texts = k > 0;
	if (k)
		snprintf(buf + o, cap - (size_t)o, MSSQL_SQL_TEXTS, list);
	return buf;
}

static void parse_health(const struct rs *r, struct db_health *h)
{
	snprintf(h->version, sizeof h->version, "SQL Server %s", val(r, 0, 0));
	h->uptime_s = dval(r, 0, 1, -1);
	h->server_now = dval(r, 0, 2, 0);
	h->conns_max = (int)ival(r, 0, 3, -1);
}

static void parse_counters(const struct rs *r, struct db_health *h)
{
	int64_t ratio = -1, base = -1;
	for (int i = 0; i < r->nrows; i++) {
		const char *k = val(r, i, 0);
		int64_t v = ival(r, i, 1, 0);
		if (!strcmp(k, "Batch Requests/sec")) h->queries_total = v;
		else if (!strcmp(k, "Transactions/sec")) h->xact_total = v;
		else if (!strcmp(k, "User Connections")) h->conns_used = (int)v;
		else if (!strcmp(k, "Processes blocked")) h->waiting_on_lock = (int)v;
		else if (!strcmp(k, "Buffer cache hit ratio")) ratio = v;
		else if (!strcmp(k, "Buffer cache hit ratio base")) base = v;
	}
	/* a ratio since start, not per interval: shown as is */
	h->blks_hit = ratio;
	h->blks_read = ratio >= 0 && base >= ratio ? base - ratio : -1;
}

static int parse_sessions(struct mssql_state *c, const struct rs *r, struct db_sample *out)
{
	out->sessions = calloc(r->nrows ? (size_t)r->nrows : 1, sizeof *out->sessions);
	if (!out->sessions)
		return -1;
	double longest = -1;
	for (int i = 0; i < r->nrows; i++) {
		struct db_session *x = &out->sessions[out->nsessions++];
		x->pid = (int)ival(r, i, 0, 0);
		copy(x->user, sizeof x->user, val(r, i, 1));
		copy(x->db, sizeof x->db, val(r, i, 2));
		copy(x->app, sizeof x->app, val(r, i, 3));
		copy(x->client, sizeof x->client, val(r, i, 4));
		const char *status = val(r, i, 5);
		x->xact_age_s = dval(r, i, 8, -1);
		/* a sleeping session with an open transaction holds its locks */
		copy(x->state, sizeof x->state, !strcmp(status, "sleeping")
		     ? (x->xact_age_s >= 0 ? "idle in transaction" : "idle")
		     : !strcmp(status, "running") || !strcmp(status, "runnable") || !strcmp(status, "suspended")
		     ? "active" : status);
		copy(x->wait, sizeof x->wait, val(r, i, 6));
		x->query_age_s = dval(r, i, 7, -1);
		int blocker = (int)ival(r, i, 9, 0);
		if (blocker > 0)
			x->blockers[x->nblockers++] = blocker;
		copy(x->backend_start, sizeof x->backend_start, val(r, i, 10)); /* login_time: spids recycle */
		if (!(x->query = strdup(val(r, i, 11))))
			return -1;
		x->locks_held = -1;
		x->is_self = x->pid == c->self_spid;
		if (!x->is_self && x->xact_age_s > longest)
			longest = x->xact_age_s;
		out->health.idle_in_xact += !strcmp(x->state, "idle in transaction");
		out->health.active += !x->is_self && !strcmp(x->state, "active");
	}
	out->health.longest_xact_s = longest;
	return 0;
}

/* The local replica is primary: the others are its standbys; else it is one. */

/* A queue size in KiB as the server says it, in bytes; a made-up number cannot overflow. */
static int64_t kib_to_bytes(int64_t kb)
{
	return kb < 0 ? -1 : kb > INT64_MAX / 1024 ? INT64_MAX : kb * 1024;
}

static void parse_hadr(const struct rs *r, struct db_sample *out)
{
	int local_primary = 0;
	for (int i = 0; i < r->nrows; i++)
		if (bval(r, i, 1) && bval(r, i, 2))
			local_primary = 1;
	for (int i = 0; i < r->nrows; i++) {
		if (bval(r, i, 1) && !local_primary) {
			out->health.is_replica = 1;
			out->standby.streaming = !strcasecmp(val(r, i, 3), "SYNCHRONIZED") ||
						 !strcasecmp(val(r, i, 3), "SYNCHRONIZING");
			out->standby.replay_backlog_bytes = kib_to_bytes(ival(r, i, 4, 0));
			out->standby.lag_s = dval(r, i, 5, -1);
			if (!out->standby.streaming)
				copy(out->standby.halted, sizeof out->standby.halted, val(r, i, 3));
			continue;
		}
		if (bval(r, i, 1) || !local_primary)
			continue;
		struct db_replica *nr = realloc(out->replicas, (out->nreplicas + 1) * sizeof *nr);
		if (!nr)
			return;
		out->replicas = nr;
		struct db_replica *x = &nr[out->nreplicas++];
		memset(x, 0, sizeof *x);
		copy(x->name, sizeof x->name, val(r, i, 0));
		copy(x->client, sizeof x->client, val(r, i, 0));
		copy(x->state, sizeof x->state, val(r, i, 3));
		copy(x->sync_state, sizeof x->sync_state, strncasecmp(val(r, i, 6), "SYNC", 4) ? "async" : "sync");
		x->lag_bytes = kib_to_bytes(ival(r, i, 4, 0));
		x->replay_lag_s = dval(r, i, 5, -1);
		x->write_lag_s = x->flush_lag_s = -1;
	}
}

static int parse_stats(struct mssql_state *c, const struct rs *r, struct db_sample *out)
{
	out->queries = calloc(r->nrows ? (size_t)r->nrows : 1, sizeof *out->queries);
	if (!out->queries)
		return -1;
	textcache_keys_reset(&c->texts);
	for (int i = 0; i < r->nrows; i++) {
		const char *hex = val(r, i, 0);
		if (strncasecmp(hex, "0x", 2) || textcache_key(&c->texts, hash_id(hex), hex) < 0)
			continue;
		struct db_query *q = &out->queries[out->nqueries++];
		q->queryid = hash_id(hex);
		q->toplevel = 1;
		q->calls = dval(r, i, 1, 0);
		q->total_ms = dval(r, i, 2, 0);
		q->rows = dval(r, i, 3, 0);
		q->calls_s = q->ms_s = q->rows_s = q->mean_ms = -1;
	}
	return 0;
}

static void notes(const struct mssql_state *c, struct db_sample *out)
{
	if (!c->can_state)
		snprintf(out->privilege_note, sizeof out->privilege_note,
			 "no VIEW SERVER STATE: only this session is visible (GRANT VIEW SERVER STATE TO <login>;%s)",
			 c->major >= 16 ? " or VIEW SERVER PERFORMANCE STATE" : "");
}

int mssql_parse_batch(struct mssql_state *c, struct rs *r, int n, struct db_sample *out, struct err *err)
{
	snprintf(out->health.dialect, sizeof out->health.dialect, "mssql");
	int want = M_STATS + 1 + c->batch_texts;
	struct db_health *h = &out->health;
	h->xid_age = h->db_size_bytes = -1;
	h->tps = h->qps = h->cache_hit_pct = -1;
	out->standby.lag_s = -1;
	for (int i = 0; i < want; i++)
		if (i >= n || r[i].error[0]) {
			err_set(err, ERR_FAIL, "sample: %.240s", i < n ? r[i].error : "missing result");
			return -1;
		}
	parse_health(&r[M_HEALTH], h);
	parse_counters(&r[M_COUNTERS], h);
	if (parse_sessions(c, &r[M_SESSIONS], out) < 0 || parse_stats(c, &r[M_STATS], out) < 0) {
		snprintf(err->msg, sizeof err->msg, "sample: out of memory");
		return -1;
	}
	parse_hadr(&r[M_HADR], out);
	if (c->batch_texts)
		for (int i = 0; i < r[M_TEXTS].nrows; i++)
			textcache_put(&c->texts, hash_id(val(&r[M_TEXTS], i, 0)), val(&r[M_TEXTS], i, 1));
	out->statements = want;
	notes(c, out);
	return 0;
}

void mssql_state_release(struct mssql_state *c)
{
	textcache_release(&c->texts);
	memset(c, 0, sizeof *c);
}

int mssql_action_sql(const struct db_action *a, char *sql, size_t n, struct err *err)
{
	err->code = ERR_CONFIG;
	if (a->kind == ACT_CANCEL) {
		snprintf(err->msg, sizeof err->msg, "SQL Server cannot cancel another session's statement: terminate"
			 " it (KILL) instead");
		return -1;
	}
	if (a->kind != ACT_TERMINATE) {
		snprintf(err->msg, sizeof err->msg, "SQL Server: not supported (promotion and failover are AWS actions)");
		return -1;
	}
	/* login_time as CONVERT(..., 121) gave it: digits, '-', ':', '.', ' ' */
	if (a->pid <= 0 || !rs_plain(a->backend_start, "0123456789-:. ")) {
		snprintf(err->msg, sizeof err->msg, "the session has no identity to check (spid and login_time)");
		return -1;
	}
	snprintf(sql, n, MSSQL_SQL_KILL, a->pid, a->backend_start, a->pid);
	return 0;
}

int mssql_action(const struct db_action *a, rs_run_fn run, void *ctx, char *outcome, size_t n, struct err *err)
{
	char sql[512];
	struct rs r;
	if (mssql_action_sql(a, sql, sizeof sql, err) < 0 || rs_run_action(run, ctx, sql, &r, err) < 0)
		return -1;
	int done = r.nrows == 1 && !strcmp(val(&r, 0, 0), "1");
	rs_free(&r);
	if (!done) {
		err_set(err, ERR_REFUSED, "refused: spid %d is not the session shown any more (it ended, or"
			 " a new session has its spid: login_time differs)", a->pid);
		return -1;
	}
	err->code = ERR_NONE;
	snprintf(outcome, n, "KILL %d sent", a->pid);
	return 0;
}
