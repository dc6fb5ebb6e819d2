/* pg_batch.c - the PostgreSQL dialect: probe, one sample's batch, its results. */
#include "pg_private.h"

#include <string.h>

/* What the next sample asks, in order (c->part[], c->nparts). */
static void plan_batch(struct pg_state *c)
{
	c->nparts = 0;
	c->part[c->nparts++] = PG_PART_HEALTH;
	c->part[c->nparts++] = PG_PART_REPLICAS;
	c->part[c->nparts++] = PG_PART_STANDBY;
	if (c->health_only)
		goto size;
	c->part[c->nparts++] = PG_PART_SESSIONS;
	if (c->pss && !c->pss_error[0])
		c->part[c->nparts++] = PG_PART_PSS;
size:
	if (clock_mono() >= c->size_due)
		c->part[c->nparts++] = PG_PART_SIZE;
	if (!c->health_only && c->pss && !c->pss_error[0] && c->texts.nwant > 0)
		c->part[c->nparts++] = PG_PART_TEXTS;
	for (int part = PG_PART_SLOTS; c->triage && part <= PG_PART_LOCKQ; part++)
		c->part[c->nparts++] = part;
}

/* "{1,2,3}": the statement ids whose texts are wanted. */
static void wanted_ids(const struct pg_state *c, char *ids, size_t n, const char *open, const char *close)
{
	size_t o = (size_t)snprintf(ids, n, "%s", open);
	for (size_t i = 0; i < c->texts.nwant && o < n; i++)
		o += (size_t)snprintf(ids + o, n - o, "%s%lld", i ? "," : "", (long long)c->texts.want[i]);
	if (o < n)
		snprintf(ids + o, n - o, "%s", close);
}

int pg_part_sql(const struct pg_state *c, int part, int prepared, char **buf, size_t *len, size_t *cap)
{
	switch (part) {
	case PG_PART_HEALTH:
		return rs_appendf(buf, len, cap, "%s", PG_SQL_HEALTH);
	case PG_PART_REPLICAS:
		return rs_appendf(buf, len, cap, "%s", PG_SQL_REPLICAS);
	case PG_PART_STANDBY:
		return rs_appendf(buf, len, cap, "%s", PG_SQL_STANDBY);
	case PG_PART_SESSIONS:
		return rs_appendf(buf, len, cap, "%s", PG_SQL_SESSIONS);
	case PG_PART_PSS:
		return rs_appendf(buf, len, cap, PG_SQL_PSS, c->pss_v19 ? "toplevel" : "true",
				  c->pss_v18 ? "total_exec_time" : "total_time", c->pss_schema);
	case PG_PART_SIZE:
		return rs_appendf(buf, len, cap, "%s", PG_SQL_SIZE);
	case PG_PART_TEXTS: {
		char ids[TEXTCACHE_FETCH_MAX * 21 + 4];
		if (prepared)
			snprintf(ids, sizeof ids, "$1");
		else
			wanted_ids(c, ids, sizeof ids, "'{", "}'");
		return rs_appendf(buf, len, cap, PG_SQL_TEXTS, PG_TEXT_MAX, c->pss_schema, ids);
	}
	}
	if (pg_triage_part(part))
		return rs_appendf(buf, len, cap, "%s", pg_triage_sql(part));
	return -1;
}

void pg_texts_param(const struct pg_state *c, char *ids, size_t n)
{
	wanted_ids(c, ids, n, "{", "}");
}

char *pg_build_batch(struct pg_state *c)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;
	plan_batch(c);
	for (int i = 0; i < c->nparts; i++)
		rc |= pg_part_sql(c, c->part[i], 0, &buf, &len, &cap);
	if (rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void parse_health(const struct rs *r, struct db_health *h)
{
	h->server_version_num = (int)ival(r, 0, 0, 0);
	copy(h->version, sizeof h->version, val(r, 0, 1));
	h->is_replica = bval(r, 0, 2);
	h->uptime_s = dval(r, 0, 3, -1);
	h->server_now = dval(r, 0, 4, 0);
	h->conns_used = (int)ival(r, 0, 5, -1);
	h->active = (int)ival(r, 0, 6, -1);
	h->idle_in_xact = (int)ival(r, 0, 7, -1);
	h->waiting_on_lock = (int)ival(r, 0, 8, -1);
	h->longest_xact_s = dval(r, 0, 9, -1);
	h->conns_max = (int)ival(r, 0, 10, -1);
	h->xact_total = ival(r, 0, 11, -1);
	h->blks_hit = ival(r, 0, 12, -1);
	h->blks_read = ival(r, 0, 13, -1);
	h->xid_age = ival(r, 0, 14, -1);
	copy(h->server_id, sizeof h->server_id, val(r, 0, 15));
	h->server_started = dval(r, 0, 16, 0);
	h->slots_inactive = (int)ival(r, 0, 17, -1);
	h->slot_idle_bytes = ival(r, 0, 18, -1);
	h->tps = h->qps = -1;
	h->queries_total = -1;
	h->cache_hit_pct = -1;
}

static int parse_replicas(const struct rs *r, struct db_sample *out)
{
	int n = r->nrows;
	if (n == 0)
		return 0;
	out->replicas = calloc((size_t)n, sizeof *out->replicas);
	if (!out->replicas)
		return -1;
	for (int i = 0; i < n; i++) {
		struct db_replica *x = &out->replicas[i];
		copy(x->name, sizeof x->name, val(r, i, 0));
		copy(x->client, sizeof x->client, val(r, i, 1));
		copy(x->state, sizeof x->state, val(r, i, 2));
		copy(x->sync_state, sizeof x->sync_state, val(r, i, 3));
		x->lag_bytes = ival(r, i, 4, -1);
		x->write_lag_s = dval(r, i, 5, -1);
		x->flush_lag_s = dval(r, i, 6, -1);
		x->replay_lag_s = dval(r, i, 7, -1);
	}
	out->nreplicas = (size_t)n;
	return 0;
}

static void parse_standby(const struct rs *r, struct db_standby *s)
{
	s->replay_backlog_bytes = ival(r, 0, 0, 0);
	s->lag_s = dval(r, 0, 1, -1);
	snprintf(s->halted, sizeof s->halted, "%s", bval(r, 0, 2) ? "REPLAY PAUSED" : "");
	s->streaming = bval(r, 0, 3);
	copy(s->sender_host, sizeof s->sender_host, val(r, 0, 4));
	s->sender_port = (int)ival(r, 0, 5, 0);
}

static int parse_sessions(const struct rs *r, struct db_sample *out)
{
	int n = r->nrows;
	if (n == 0)
		return 0;
	out->sessions = calloc((size_t)n, sizeof *out->sessions);
	if (!out->sessions)
		return -1;
	out->nsessions = (size_t)n;
	for (int i = 0; i < n; i++) {
		struct db_session *x = &out->sessions[i];
		x->pid = (int)ival(r, i, 0, 0);
		copy(x->user, sizeof x->user, val(r, i, 1));
		copy(x->db, sizeof x->db, val(r, i, 2));
		copy(x->app, sizeof x->app, val(r, i, 3));
		copy(x->client, sizeof x->client, val(r, i, 4));
		copy(x->state, sizeof x->state, val(r, i, 5));
		copy(x->wait, sizeof x->wait, val(r, i, 6));
		copy(x->backend_start, sizeof x->backend_start, val(r, i, 7));
		x->query_age_s = dval(r, i, 8, -1);
		x->xact_age_s = dval(r, i, 9, -1);
		pg_parse_pids(val(r, i, 10), x);
		x->is_self = bval(r, i, 11);
		if (!(x->query = strdup(val(r, i, 12))))
			return -1;
		x->locks_held = (int)ival(r, i, 13, -1);
	}
	return 0;
}

static int parse_pss(const struct rs *r, struct db_sample *out)
{
	int n = r->nrows;
	if (n == 0)
		return 0;
	out->queries = calloc((size_t)n, sizeof *out->queries);
	if (!out->queries)
		return -1;
	out->nqueries = (size_t)n;
	for (int i = 0; i < n; i++) {
		struct db_query *q = &out->queries[i];
		q->userid = (uint32_t)ival(r, i, 0, 0);
		q->dbid = (uint32_t)ival(r, i, 1, 0);
		q->toplevel = bval(r, i, 2);
		q->queryid = ival(r, i, 3, 0);
		q->calls = dval(r, i, 4, 0);
		q->total_ms = dval(r, i, 5, 0);
		q->rows = dval(r, i, 6, 0);
		q->calls_s = q->ms_s = q->rows_s = q->mean_ms = -1;
	}
	return 0;
}

static void parse_texts(struct pg_state *c, const struct rs *r)
{
	for (int i = 0; i < r->nrows; i++)
		if (textcache_put(&c->texts, ival(r, i, 0, 0), val(r, i, 1)) < 0)
			break;
	c->texts.nwant = 0;
}

/* The texts asked for could not be read: remember why for each, so they are not asked again. */
static void texts_unreadable(struct pg_state *c, const char *why)
{
	char t[200];
	snprintf(t, sizeof t, "(text not readable: %.160s)", why);
	for (size_t i = 0; i < c->texts.nwant; i++)
		if (textcache_put(&c->texts, c->texts.want[i], t) < 0)
			break;
	c->texts.nwant = 0;
}

static void notes(struct pg_state *c, struct db_sample *out)
{
	if (!c->monitor)
		snprintf(out->privilege_note, sizeof out->privilege_note,
			 "role '%.40s' lacks pg_monitor: other users' sessions, queries and lag are hidden"
			 " (fix: GRANT pg_monitor TO %.40s;)", c->role, c->role);
	if (!c->pss)
		snprintf(out->queries_note, sizeof out->queries_note,
			 "pg_stat_statements is not installed: add it to shared_preload_libraries,"
			 " restart, then CREATE EXTENSION pg_stat_statements;");
	else if (c->pss_error[0])
		snprintf(out->queries_note, sizeof out->queries_note, "pg_stat_statements: %s",
			 c->pss_error);
}

int pg_parse_batch(struct pg_state *c, struct rs *r, int n, struct db_sample *out, struct err *err)
{
	snprintf(out->health.dialect, sizeof out->health.dialect, "postgres");
	int want = c->nparts;
	for (int i = 0; i < n && i < want; i++) {
		if (!r[i].error[0])
			continue;
		if (c->part[i] == PG_PART_PSS) {
			/* pss failed (not preloaded, no privilege): keep the rest, say why */
			copy(c->pss_error, sizeof c->pss_error, r[i].error);
			n = i;
			break;
		}
		if (pg_triage_part(c->part[i])) {
			/* the triage pane says what it could not read; the sample stands */
			snprintf(out->triage.note, sizeof out->triage.note, "not read: %.200s", r[i].error);
			n = i;
			break;
		}
		if (c->part[i] == PG_PART_TEXTS) {
			/* a text the server cannot send (bytes from a SQL_ASCII database that are not
			 * UTF-8 fail the whole read): the texts asked go without, the target stays up */
			texts_unreadable(c, r[i].error);
			n = i;
			break;
		}
		pg_set_err(err, ERR_FAIL, "sample", r[i].error);
		return -1;
	}
	if (n < 3 || r[0].nrows != 1 || r[2].nrows != 1) {
		pg_set_err(err, ERR_FAIL, "sample", "unexpected result shape");
		return -1;
	}
	out->detail = !c->health_only;
	out->triage.read = c->triage;
	for (int i = 0; i < n && i < want; i++) {
		if (pg_triage_part(c->part[i]) && pg_parse_triage(c->part[i], &r[i], &out->triage) < 0)
			goto oom;
		switch (c->part[i]) {
		case PG_PART_HEALTH:
			parse_health(&r[i], &out->health);
			break;
		case PG_PART_REPLICAS:
			if (parse_replicas(&r[i], out) < 0)
				goto oom;
			break;
		case PG_PART_STANDBY:
			parse_standby(&r[i], &out->standby);
			break;
		case PG_PART_SESSIONS:
			if (parse_sessions(&r[i], out) < 0)
				goto oom;
			break;
		case PG_PART_PSS:
			if (parse_pss(&r[i], out) < 0)
				goto oom;
			break;
		case PG_PART_SIZE:
			c->db_size = ival(&r[i], 0, 0, -1);
			c->size_due = clock_mono() + PG_SIZE_EVERY_S;
			break;
		case PG_PART_TEXTS:
			parse_texts(c, &r[i]);
			break;
		}
	}
	out->health.db_size_bytes = c->size_due > 0 ? c->db_size : -1;
	out->statements = n < want ? n : want;
	if (!c->health_only)
		notes(c, out);
	return 0;
oom:
	pg_set_err(err, ERR_FAIL, "sample", "out of memory");
	return -1;
}

/* "name" with embedded quotes doubled, as PostgreSQL quotes identifiers */
static void quote_ident(char *out, size_t n, const char *s)
{
	size_t o = 0;
	out[o++] = '"';
	for (; *s && o + 3 < n; s++) {
		if (*s == '"')
			out[o++] = '"';
		out[o++] = *s;
	}
	out[o++] = '"';
	out[o] = '\0';
}

int pg_probe(struct pg_state *c, rs_run_fn run, void *ctx, struct err *err)
{
	struct rs r = {0};
	int rc = run(ctx, PG_SQL_PROBE, &r);
	if (rc == -2)
		return -1;
	if (rc < 0 || r.nrows != 1) {
		pg_set_err(err, ERR_FAIL, "probe", r.error[0] ? r.error : "no answer");
		rs_free(&r);
		return -1;
	}
	c->monitor = bval(&r, 0, 0);
	copy(c->role, sizeof c->role, val(&r, 0, 1));
	c->pss = rs_get(&r, 0, 2) != NULL;
	if (c->pss) {
		const char *v = val(&r, 0, 2);
		int major = atoi(v), minor = strchr(v, '.') ? atoi(strchr(v, '.') + 1) : 0;
		c->pss_v18 = major > 1 || minor >= 8;
		c->pss_v19 = major > 1 || minor >= 9;
		quote_ident(c->pss_schema, sizeof c->pss_schema, val(&r, 0, 3));
	}
	rs_free(&r);
	return 0;
}

void pg_state_release(struct pg_state *c)
{
	textcache_release(&c->texts);
}

int pg_action_sql(const struct db_action *a, char *sql, size_t n, struct err *err)
{
	err->code = ERR_CONFIG;
	if (a->kind == ACT_PROMOTE) {
		/* system_identifier came from the server as bigint text: digits and a sign */
		if (!a->server_id[0] || !rs_plain(a->server_id, "0123456789-") || a->server_started <= 0) {
			err_set(err, ERR_REFUSED, "refused: the replica's identity (system identifier and start time)"
				" was not read, so it cannot be checked: nothing sent");
			return -1;
		}
		snprintf(sql, n, PG_SQL_PROMOTE, a->server_id, a->server_started);
		return 0;
	}
	if (a->kind != ACT_CANCEL && a->kind != ACT_TERMINATE) {
		snprintf(err->msg, sizeof err->msg, "PostgreSQL has no such action");
		return -1;
	}
	/* backend_start came from the server as timestamptz text: digits and
	 * "-:. +"; anything else is not what we read, and is never quoted in */
	if (a->pid <= 0 || !rs_plain(a->backend_start, "0123456789-:. +")) {
		snprintf(err->msg, sizeof err->msg, "the session has no identity to check (pid and backend_start)");
		return -1;
	}
	snprintf(sql, n, PG_SQL_SIGNAL, a->kind == ACT_CANCEL ? "pg_cancel_backend" : "pg_terminate_backend",
		 a->pid, a->backend_start);
	return 0;
}

int pg_action(const struct db_action *a, rs_run_fn run, void *ctx, char *outcome, size_t n, struct err *err)
{
	char sql[512];
	struct rs r;
	if (pg_action_sql(a, sql, sizeof sql, err) < 0 || rs_run_action(run, ctx, sql, &r, err) < 0)
		return -1;
	err->code = ERR_FAIL;
	if (a->kind == ACT_PROMOTE && r.nrows != 1) {
		snprintf(err->msg, sizeof err->msg, "promote: no answer from the server");
	} else if (a->kind == ACT_PROMOTE && !bval(&r, 0, PG_PROMOTE_SAME)) {
		err_set(err, ERR_REFUSED, "refused: the server reached is not the replica shown (system identifier"
			" %.24s, started %.40s; shown: %.24s): nothing promoted", val(&r, 0, PG_PROMOTE_ID),
			val(&r, 0, PG_PROMOTE_STARTED), a->server_id);
	} else if (a->kind == ACT_PROMOTE && !bval(&r, 0, PG_PROMOTE_IN_RECOVERY)) {
		err_set(err, ERR_REFUSED, "refused: the server is not a replica (not in recovery) any more");
	} else if (a->kind == ACT_PROMOTE && !bval(&r, 0, PG_PROMOTE_DONE)) { /* "t", or "1" through ODBC */
		snprintf(err->msg, sizeof err->msg, "pg_promote() did not finish within 60 s");
	} else if (a->kind == ACT_PROMOTE) {
		err->code = ERR_NONE;
		snprintf(outcome, n, "promoted: pg_promote() returned true, the server accepts writes");
	} else if (r.nrows == 0) {
		err_set(err, ERR_REFUSED, "refused: pid %d is not the session shown any more (it ended, or"
			 " its pid belongs to a new session: backend_start differs)", a->pid);
	} else if (!bval(&r, 0, 0)) {
		snprintf(err->msg, sizeof err->msg, "the server did not signal pid %d (needs pg_signal_backend,"
			 " or the session is a superuser's)", a->pid);
	} else {
		err->code = ERR_NONE;
		snprintf(outcome, n, "%s sent to pid %d", a->kind == ACT_CANCEL ? "cancel" : "terminate", a->pid);
	}
	rs_free(&r);
	return err->code == ERR_NONE ? 0 : -1;
}
