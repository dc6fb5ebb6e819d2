/* my_parse.c - the MySQL/MariaDB dialect: probe, and one batch's results as a sample. */
#include "my_private.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int64_t my_digest_id(const char *schema, const char *digest)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *s = schema; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = (h ^ '/') * 1099511628211ULL;
	for (const char *s = digest; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (int64_t)h;
}

static int try_sql(rs_run_fn run, void *ctx, const char *sql, int *lost)
{
	struct rs r = {0};
	int rc = run(ctx, sql, &r);
	rs_free(&r);
	if (rc == -2)
		*lost = 1;
	return rc == 0;
}

int my_probe(struct my_state *c, double timeout_s, rs_run_fn run, void *ctx, struct err *err)
{
	struct rs r = {0};
	int rc = run(ctx, MY_SQL_PROBE, &r), lost = 0;
	if (rc < 0 || r.nrows != 1) {
		if (rc != -2) {
			err_set(err, ERR_FAIL, "probe: %.240s", r.error[0] ? r.error : "no answer");
		}
		rs_free(&r);
		return -1;
	}
	copy(c->version, sizeof c->version, val(&r, 0, 0));
	c->mariadb = strstr(val(&r, 0, 0), "MariaDB") || strstr(val(&r, 0, 1), "MariaDB");
	int major = 0, minor = 0, patch = 0;
	sscanf(c->version, "%d.%d.%d", &major, &minor, &patch);
	/* a version a server makes up cannot overflow the number (the fuzzer's find) */
	if (major < 0 || major > 999 || minor < 0 || minor > 99 || patch < 0 || patch > 99)
		major = minor = patch = 0;
	c->vnum = major * 10000 + minor * 100 + patch;
	c->self_id = strtoul(val(&r, 0, 2), NULL, 10);
	c->ps_on = atoi(val(&r, 0, 3)) == 1;
	copy(c->user, sizeof c->user, val(&r, 0, 4));
	rs_free(&r);
	if (!c->mariadb && run(ctx, MY_SQL_AURORA_PROBE, &r) == 0 && r.nrows == 1)
		copy(c->aurora_version, sizeof c->aurora_version, val(&r, 0, 0));
	rs_free(&r);
	/* SHOW REPLICA STATUS: MariaDB 10.5.1+, MySQL 8.0.22+ (8.4 has nothing else) */
	int replica_kw = c->mariadb ? c->vnum >= 100501 : c->vnum >= 80022;
	snprintf(c->replica_sql, sizeof c->replica_sql, "%s;",
		 replica_kw ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS");
	char sql[128];
	if (c->mariadb)
		snprintf(sql, sizeof sql, "SET SESSION max_statement_time = %.3f", timeout_s * 0.8);
	else
		snprintf(sql, sizeof sql, "SET SESSION max_execution_time = %d", (int)(timeout_s * 800));
	try_sql(run, ctx, sql, &lost); /* best effort: old servers have neither */
	c->can_process = try_sql(run, ctx, MY_SQL_CAN_PROCESS, &lost);
	snprintf(sql, sizeof sql, "%.*s", (int)strlen(c->replica_sql) - 1, c->replica_sql);
	c->can_replica = try_sql(run, ctx, sql, &lost);
	c->can_digest = c->ps_on && try_sql(run, ctx, MY_SQL_CAN_DIGEST, &lost);
	if (c->can_digest && run(ctx, MY_SQL_DIGESTS_ON, &r) == 0 && r.nrows == 1)
		c->digests_off = strcmp(val(&r, 0, 0), "YES") != 0;
	rs_free(&r);
	if (run(ctx, MY_SQL_RDS_PROCS, &r) == 0)
		c->rds_procs = ival(&r, 0, 0, 0) > 0;
	rs_free(&r);
	return lost ? -1 : 0;
}

static void parse_vars(const struct rs *r, struct db_health *h, int *read_only)
{
	*read_only = atoi(val(r, 0, 0)) == 1;
	h->conns_max = atoi(val(r, 0, 1));
	h->server_now = dval(r, 0, 2, 0);
	copy(h->server_id, sizeof h->server_id, val(r, 0, 3));
}

static void parse_status(const struct rs *r, struct db_health *h)
{
	int64_t reqs = -1, reads = -1, commits = 0, rollbacks = 0;
	for (int i = 0; i < r->nrows; i++) {
		const char *k = val(r, i, 0);
		long long v = ival(r, i, 1, 0);
		if (!strcasecmp(k, "Uptime")) h->uptime_s = (double)v;
		else if (!strcasecmp(k, "Threads_connected")) h->conns_used = (int)v;
		else if (!strcasecmp(k, "Threads_running")) h->active = v > 0 && v <= INT_MAX ? (int)v - 1 : 0; /* not us */
		else if (!strcasecmp(k, "Questions")) h->queries_total = v;
		/* storage-engine commits: Com_commit misses autocommit statements */
		else if (!strcasecmp(k, "Handler_commit")) commits = v;
		else if (!strcasecmp(k, "Handler_rollback")) rollbacks = v;
		else if (!strcasecmp(k, "Innodb_buffer_pool_read_requests")) reqs = v;
		else if (!strcasecmp(k, "Innodb_buffer_pool_reads")) reads = v;
		else if (!strcasecmp(k, "Innodb_row_lock_current_waits")) h->waiting_on_lock = (int)v;
	}
	/* a server's counters are not trusted to stay small: a made-up sum saturates, never wraps */
	if (__builtin_add_overflow(commits, rollbacks, &h->xact_total))
		h->xact_total = commits > 0 ? INT64_MAX : 0;
	h->blks_read = reads;
	h->blks_hit = reqs >= 0 && reads >= 0 ? reqs - reads : -1;
}

static int is_system_thread(const char *user, const char *cmd)
{
	return !strcmp(user, "system user") || !strcmp(cmd, "Daemon") || !strncmp(cmd, "Slave_", 6) ||
	       !strncmp(cmd, "Binlog Dump", 11);
}

/* A replica's dump thread becomes a row of the primary's replica list. */
static void add_replica(struct db_sample *out, const char *host)
{
	struct db_replica *nr = realloc(out->replicas, (out->nreplicas + 1) * sizeof *nr);
	if (!nr)
		return;
	out->replicas = nr;
	struct db_replica *x = &nr[out->nreplicas++];
	memset(x, 0, sizeof *x);
	copy(x->client, sizeof x->client, host);
	x->client[strcspn(x->client, ":")] = '\0';
	copy(x->name, sizeof x->name, host);
	copy(x->state, sizeof x->state, "streaming");
	copy(x->sync_state, sizeof x->sync_state, "async");
	x->lag_bytes = -1;
	x->write_lag_s = x->flush_lag_s = x->replay_lag_s = -1;
}

int my_fill_session(struct db_session *x, const struct rs *r, int i)
{
	x->pid = atoi(val(r, i, 0));
	copy(x->user, sizeof x->user, val(r, i, 1));
	copy(x->client, sizeof x->client, val(r, i, 2));
	copy(x->db, sizeof x->db, val(r, i, 3));
	const char *cmd = val(r, i, 4);
	x->xact_age_s = dval(r, i, 8, -1);
	if (!strcmp(cmd, "Sleep"))
		copy(x->state, sizeof x->state, x->xact_age_s >= 0 ? "idle in transaction" : "idle");
	else if (!strcmp(cmd, "Query") || !strcmp(cmd, "Execute"))
		copy(x->state, sizeof x->state, "active");
	else
		copy(x->state, sizeof x->state, cmd);
	copy(x->wait, sizeof x->wait, val(r, i, 6));
	x->query_age_s = strcmp(cmd, "Sleep") ? dval(r, i, 5, -1) : -1;
	return (x->query = strdup(val(r, i, 7))) ? 0 : -1;
}

static int parse_sessions(struct my_state *c, const struct rs *r, struct db_sample *out)
{
	out->sessions = calloc(r->nrows ? (size_t)r->nrows : 1, sizeof *out->sessions);
	if (!out->sessions)
		return -1;
	double longest = -1;
	c->sessions_capped = r->nrows >= MY_SESSIONS_LIMIT;
	c->sessions_many = r->nrows >= MY_SESSIONS_LIMIT * 4 / 5;
	c->conns = c->running = 0;
	for (int i = 0; i < r->nrows; i++) {
		const char *user = val(r, i, 1), *cmd = val(r, i, 4);
		/* as Threads_connected counts: client connections, a replica's dump thread too */
		c->conns += strcmp(user, "system user") && strcmp(cmd, "Daemon");
		if (!strncmp(cmd, "Binlog Dump", 11))
			add_replica(out, val(r, i, 2));
		if (is_system_thread(user, cmd))
			continue;
		c->running += strcmp(cmd, "Sleep") && (unsigned long)atol(val(r, i, 0)) != c->self_id;
		struct db_session *x = &out->sessions[out->nsessions++];
		if (my_fill_session(x, r, i) < 0)
			return -1;
		x->locks_held = -1; /* rows locked come with the transaction (INNODB_TRX) */
		x->is_self = (unsigned long)x->pid == c->self_id;
		if (x->is_self)
			continue;
		if (x->xact_age_s > longest)
			longest = x->xact_age_s;
		out->health.idle_in_xact += !strcmp(x->state, "idle in transaction");
	}
	out->health.longest_xact_s = c->can_process ? longest : -1;
	return 0;
}

/* Health: the sessions' sums, counted as parse_sessions counts the rows. */
static void parse_threads_sum(struct my_state *c, const struct rs *r, struct db_sample *out)
{
	c->conns = (int)ival(r, 0, MY_THREADS_CONNS, 0);
	c->running = (int)ival(r, 0, MY_THREADS_RUNNING, 0);
	char hosts[1024];
	copy(hosts, sizeof hosts, val(r, 0, MY_THREADS_DUMP_HOSTS));
	for (char *save = NULL, *h = strtok_r(hosts, ",", &save); h; h = strtok_r(NULL, ",", &save))
		add_replica(out, h);
}

/* Health: open transactions' sums, as parse_trx finds them row by row. */
static void parse_trx_sum(struct my_state *c, const struct rs *r, struct db_sample *out)
{
	out->health.longest_xact_s = dval(r, 0, MY_TRX_LONGEST, -1);
	c->lock_waits_trx = (int)ival(r, 0, MY_TRX_LOCK_WAITS, 0);
	out->health.idle_in_xact = (int)ival(r, 0, MY_TRX_IDLE, 0);
}

/* Transaction ages by thread id, for sessions read from performance_schema. */
static void parse_trx(struct my_state *c, const struct rs *r, struct db_sample *out)
{
	double longest = -1;
	c->lock_waits_trx = 0;
	for (int i = 0; i < r->nrows; i++) {
		int id = atoi(val(r, i, 0));
		double age = dval(r, i, 1, -1);
		c->lock_waits_trx += atoi(val(r, i, 3)) == 1;
		for (size_t k = 0; k < out->nsessions; k++) {
			struct db_session *s = &out->sessions[k];
			if (s->pid != id)
				continue;
			s->xact_age_s = age;
			s->locks_held = (int)ival(r, i, 2, -1);
			if (!strcmp(s->state, "idle")) {
				copy(s->state, sizeof s->state, "idle in transaction");
				out->health.idle_in_xact++;
			}
			if (!s->is_self && age > longest)
				longest = age;
		}
	}
	out->health.longest_xact_s = longest;
}

static void parse_locks(const struct rs *r, struct db_sample *out)
{
	for (int i = 0; i < r->nrows; i++) {
		int waiting = atoi(val(r, i, 0)), blocking = atoi(val(r, i, 1));
		for (size_t k = 0; k < out->nsessions; k++) {
			struct db_session *s = &out->sessions[k];
			if (s->pid == waiting && s->nblockers < (int)(sizeof s->blockers / sizeof s->blockers[0]))
				s->blockers[s->nblockers++] = blocking;
		}
	}
}

/* SHOW REPLICA/SLAVE STATUS: columns by name, old and new spellings; NULL if absent. */
static const char *col(const struct rs *r, const char *a, const char *b)
{
	return rs_get(r, 0, rs_col(r, a, b));
}

static void parse_replica(const struct rs *r, struct db_sample *out)
{
	if (r->nrows < 1)
		return;
	struct db_standby *s = &out->standby;
	out->health.is_replica = 1;
	const char *io = col(r, "Slave_IO_Running", "Replica_IO_Running");
	const char *sql = col(r, "Slave_SQL_Running", "Replica_SQL_Running");
	const char *sbm = col(r, "Seconds_Behind_Master", "Seconds_Behind_Source");
	copy(s->sender_host, sizeof s->sender_host, col(r, "Master_Host", "Source_Host"));
	const char *port = col(r, "Master_Port", "Source_Port");
	s->sender_port = port ? atoi(port) : 0;
	s->streaming = io && !strcmp(io, "Yes");
	/* NULL Seconds_Behind is "stopped", never 0 */
	s->lag_s = sbm ? strtod(sbm, NULL) : -1;
	if (!sql || strcmp(sql, "Yes"))
		copy(s->halted, sizeof s->halted, "SQL THREAD STOPPED");
	else if (!io || strcmp(io, "Yes"))
		copy(s->halted, sizeof s->halted, io && !strcmp(io, "Connecting") ? "IO CONNECTING" : "IO THREAD STOPPED");
	const char *rf = col(r, "Master_Log_File", "Source_Log_File");
	const char *ef = col(r, "Relay_Master_Log_File", "Relay_Source_Log_File");
	copy(s->source_log, sizeof s->source_log, ef); /* the primary's oldest binary log it still needs */
	const char *rp = col(r, "Read_Master_Log_Pos", "Read_Source_Log_Pos");
	const char *ep = col(r, "Exec_Master_Log_Pos", "Exec_Source_Log_Pos");
	s->replay_backlog_bytes = rf && ef && rp && ep && !strcmp(rf, ef)
		? strtoll(rp, NULL, 10) - strtoll(ep, NULL, 10) : -1;
	const char *e1 = col(r, "Last_SQL_Error", NULL), *e2 = col(r, "Last_IO_Error", NULL);
	copy(s->last_error, sizeof s->last_error, e1 && *e1 ? e1 : e2);
}

/* Aurora MySQL: the writer lists its readers; a reader reports its own lag. */
static void parse_aurora(const struct rs *r, struct db_sample *out)
{
	const char *writer = NULL;
	int me = -1;
	for (int i = 0; i < r->nrows; i++) {
		if (atoi(val(r, i, 1)) == 1)
			writer = val(r, i, 0);
		if (atoi(val(r, i, 3)) == 1)
			me = i;
	}
	if (me < 0)
		return;
	if (atoi(val(r, me, 1)) != 1) { /* a reader */
		struct db_standby *s = &out->standby;
		out->health.is_replica = 1;
		s->streaming = 1;
		s->lag_s = dval(r, me, 2, -1000) / 1000;
		copy(s->sender_host, sizeof s->sender_host, writer ? writer : "");
		return;
	}
	for (int i = 0; i < r->nrows; i++) {
		if (i == me)
			continue;
		size_t before = out->nreplicas;
		add_replica(out, val(r, i, 0));
		if (out->nreplicas == before)
			return;
		struct db_replica *x = &out->replicas[before];
		copy(x->state, sizeof x->state, "aurora reader");
		copy(x->sync_state, sizeof x->sync_state, "storage");
		x->replay_lag_s = dval(r, i, 2, -1000) / 1000;
	}
}

static int parse_digests(struct my_state *c, const struct rs *r, struct db_sample *out)
{
	out->queries = calloc(r->nrows ? (size_t)r->nrows : 1, sizeof *out->queries);
	if (!out->queries)
		return -1;
	textcache_keys_reset(&c->texts);
	for (int i = 0; i < r->nrows; i++) {
		const char *schema = val(r, i, 0), *digest = val(r, i, 1);
		if (!*digest) /* the table-full row: what came after, in no digest */
			continue;
		int64_t id = my_digest_id(schema, digest);
		if (textcache_key(&c->texts, id, digest) < 0)
			continue;
		struct db_query *q = &out->queries[out->nqueries++];
		q->queryid = id;
		q->dbid = (uint32_t)my_digest_id(schema, "");
		q->toplevel = 1;
		q->calls = dval(r, i, 2, 0);
		q->total_ms = dval(r, i, 3, 0) / 1e9; /* picoseconds */
		q->rows = dval(r, i, 4, 0);
		q->calls_s = q->ms_s = q->rows_s = q->mean_ms = -1;
	}
	return 0;
}

static void parse_texts(struct my_state *c, const struct rs *r)
{
	for (int i = 0; i < r->nrows; i++) {
		const char *t = val(r, i, 2);
		size_t len = strlen(t);
		char buf[1200];
		/* performance_schema cuts long digests and ends them with "..." */
		if (len >= 3 && !strcmp(t + len - 3, "...") && len < sizeof buf - 32) {
			snprintf(buf, sizeof buf, "%s [truncated by the server]", t);
			t = buf;
		}
		textcache_put(&c->texts, my_digest_id(val(r, i, 0), val(r, i, 1)), t);
	}
}

static void notes(struct my_state *c, struct db_sample *out)
{
	char who[140];
	const char *at = strrchr(c->user, '@');
	if (at)
		snprintf(who, sizeof who, "'%.*s'@'%.60s'", (int)(at - c->user) > 60 ? 60 : (int)(at - c->user),
			 c->user, at + 1);
	else
		snprintf(who, sizeof who, "'%.60s'", c->user);
	size_t o = 0, n = sizeof out->privilege_note;
	if (!c->can_process)
		o += (size_t)snprintf(out->privilege_note + o, n - o,
				      "no PROCESS: %s hidden (GRANT PROCESS ON *.* TO %.64s;) ",
				      c->can_digest ? "transactions and lock waits" : "others' sessions", who);
	if (!c->can_replica && o < n)
		snprintf(out->privilege_note + o, n - o, "no replication status (GRANT %s ON *.* TO %.64s;)",
			 c->mariadb ? "SLAVE MONITOR" : "REPLICATION CLIENT", who);
	if (!c->ps_on)
		snprintf(out->queries_note, sizeof out->queries_note,
			 "performance_schema is off: start the server with performance_schema=ON to see top queries");
	else if (!c->can_digest)
		snprintf(out->queries_note, sizeof out->queries_note,
			 "no SELECT on performance_schema: top queries hidden"
			 " (GRANT SELECT ON performance_schema.* TO %.64s;)", who);
	else if (c->digests_off)
		snprintf(out->queries_note, sizeof out->queries_note,
			 "no statement digests: turn the consumer on (UPDATE performance_schema.setup_consumers"
			 " SET ENABLED = 'YES' WHERE NAME = 'statements_digest';)");
}

static int read_part(struct my_state *c, int part, const struct rs *r, struct db_sample *out, int *ro)
{
	switch (part) {
	case MY_PART_VARS: parse_vars(r, &out->health, ro); return 0;
	case MY_PART_STATUS: parse_status(r, &out->health); return 0;
	case MY_PART_SESSIONS: return parse_sessions(c, r, out);
	case MY_PART_TRX: parse_trx(c, r, out); return 0;
	case MY_PART_LOCKS: parse_locks(r, out); return 0;
	case MY_PART_REPLICA:
		c->replica_seen = r->nrows > 0;
		parse_replica(r, out);
		return 0;
	case MY_PART_AURORA: parse_aurora(r, out); return 0;
	case MY_PART_CONSUMER: c->digests_off = r->nrows == 1 && strcmp(val(r, 0, 0), "YES"); return 0;
	case MY_PART_DIGESTS: return parse_digests(c, r, out);
	case MY_PART_THREADS_SUM: parse_threads_sum(c, r, out); return 0;
	case MY_PART_TRX_SUM: parse_trx_sum(c, r, out); return 0;
	case MY_PART_TEXTS: parse_texts(c, r); return 0;
	default: return my_parse_triage(c, part, r, out);
	}
}

int my_parse_batch(struct my_state *c, struct rs *r, int n, struct db_sample *out, struct err *err)
{
	struct db_health *h = &out->health;
	int ro = 0;
	h->xid_age = h->db_size_bytes = h->queries_total = -1;
	h->xact_total = h->blks_hit = h->blks_read = -1;
	h->tps = h->qps = h->cache_hit_pct = h->longest_xact_s = -1;
	out->standby.lag_s = -1;
	out->triage.read = c->triage;
	out->triage.history_len = -1; /* unless the triage pane's history part says */
	for (int i = 0; i < c->nparts; i++) {
		if (my_triage_part(c->parts[i]) && (i >= n || r[i].error[0])) {
			/* the pane says what it could not read; the sample stands */
			snprintf(out->triage.note, sizeof out->triage.note, "not read: %.200s",
				 i < n ? r[i].error : "no answer");
			break;
		}
		if (i >= n || r[i].error[0]) {
			err_set(err, ERR_FAIL, "sample: %.240s", i < n ? r[i].error : "missing result");
			return -1;
		}
		if (read_part(c, c->parts[i], &r[i], out, &ro) < 0) {
			err_set(err, ERR_FAIL, "sample: out of memory");
			return -1;
		}
	}
	/* "10.11.19-MariaDB-0+deb12u1" -> "MariaDB 10.11.19"; Aurora by its own version */
	if (c->aurora_version[0])
		snprintf(h->version, sizeof h->version, "Aurora MySQL %.20s (MySQL %.*s)", c->aurora_version,
			 (int)strcspn(c->version, "-"), c->version);
	else
		snprintf(h->version, sizeof h->version, "%s %.*s", c->mariadb ? "MariaDB" : "MySQL",
			 (int)strcspn(c->version, "-"), c->version);
	if (c->status_read) {
		/* whole seconds; a made-up clock or uptime (outside 2^53) is no start, never an overflow */
		double t = h->server_now - h->uptime_s + 0.5;
		c->started = h->uptime_s > 0 && t > 0 && t < 9007199254740992.0 ? (double)(long long)t : 0;
	} else
		h->uptime_s = h->server_now - c->started;
	if (c->can_digest && c->can_process) {
		/* one source for each every sample, whether status was read or not */
		h->waiting_on_lock = c->lock_waits_trx;
		if (c->health || !(c->sessions_capped && c->status_read)) {
			h->conns_used = c->conns;
			h->active = c->running;
		}
	}
	h->is_replica = h->is_replica || ro;
	h->server_started = c->started;
	h->rds_procs = c->rds_procs;
	copy(h->dialect, sizeof h->dialect, "mysql");
	c->lock_waits = h->waiting_on_lock;
	out->statements = c->nparts;
	notes(c, out);
	if (c->triage)
		my_triage_notes(c, &out->triage);
	return 0;
}

void my_state_release(struct my_state *c)
{
	textcache_release(&c->texts);
	memset(c, 0, sizeof *c);
}
