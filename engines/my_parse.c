/* my_parse.c - MySQL/MariaDB: turn one batch's results into a sample. */
#include "my_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const char *cell(MYSQL_ROW row, unsigned i, unsigned nf)
{
	return i < nf && row[i] ? row[i] : "";
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static void parse_vars(MYSQL_RES *res, struct db_health *h, int *read_only)
{
	MYSQL_ROW row = mysql_fetch_row(res);
	unsigned nf = mysql_num_fields(res);
	if (!row)
		return;
	*read_only = atoi(cell(row, 0, nf)) == 1;
	h->conns_max = atoi(cell(row, 1, nf));
	h->server_now = strtod(cell(row, 2, nf), NULL);
}

static void parse_status(MYSQL_RES *res, struct db_health *h)
{
	MYSQL_ROW row;
	int64_t reqs = -1, reads = -1, commits = 0, rollbacks = 0;
	unsigned nf = mysql_num_fields(res);
	while ((row = mysql_fetch_row(res))) {
		const char *k = cell(row, 0, nf);
		long long v = strtoll(cell(row, 1, nf), NULL, 10);
		if (!strcmp(k, "Uptime")) h->uptime_s = (double)v;
		else if (!strcmp(k, "Threads_connected")) h->conns_used = (int)v;
		else if (!strcmp(k, "Threads_running")) h->active = (int)v - 1; /* not us */
		else if (!strcmp(k, "Questions")) h->queries_total = v;
		/* storage-engine commits: Com_commit misses autocommit statements */
		else if (!strcmp(k, "Handler_commit")) commits = v;
		else if (!strcmp(k, "Handler_rollback")) rollbacks = v;
		else if (!strcmp(k, "Innodb_buffer_pool_read_requests")) reqs = v;
		else if (!strcmp(k, "Innodb_buffer_pool_reads")) reads = v;
		else if (!strcmp(k, "Innodb_row_lock_current_waits")) h->waiting_on_lock = (int)v;
	}
	h->xact_total = commits + rollbacks;
	h->blks_read = reads;
	h->blks_hit = reqs >= 0 && reads >= 0 ? reqs - reads : -1;
}

static int is_system_thread(const char *user, const char *cmd)
{
	return !strcmp(user, "system user") || !strcmp(cmd, "Daemon") || !strncmp(cmd, "Slave_", 6) ||
	       !strncmp(cmd, "Binlog Dump", 11);
}

/* A replica's dump thread becomes a row of the primary's replica list. */
static void add_replica(struct db_sample *out, const char *host, const char *state)
{
	struct db_replica *nr = realloc(out->replicas, (out->nreplicas + 1) * sizeof *nr);
	if (!nr)
		return;
	out->replicas = nr;
	struct db_replica *x = &nr[out->nreplicas++];
	memset(x, 0, sizeof *x);
	copy(x->client, sizeof x->client, host);
	x->client[strcspn(x->client, ":")] = '\0';
	snprintf(x->name, sizeof x->name, "%s", host);
	copy(x->state, sizeof x->state, "streaming");
	(void)state;
	copy(x->sync_state, sizeof x->sync_state, "async");
	x->lag_bytes = -1;
	x->write_lag_s = x->flush_lag_s = x->replay_lag_s = -1;
}

static void fill_session(struct db_session *x, MYSQL_ROW row, unsigned nf)
{
	x->pid = atoi(cell(row, 0, nf));
	copy(x->user, sizeof x->user, cell(row, 1, nf));
	copy(x->client, sizeof x->client, cell(row, 2, nf));
	copy(x->db, sizeof x->db, cell(row, 3, nf));
	const char *cmd = cell(row, 4, nf);
	double t = strtod(cell(row, 5, nf), NULL);
	x->xact_age_s = strtod(cell(row, 8, nf), NULL);
	if (!strcmp(cmd, "Sleep"))
		copy(x->state, sizeof x->state, x->xact_age_s >= 0 ? "idle in transaction" : "idle");
	else if (!strcmp(cmd, "Query") || !strcmp(cmd, "Execute"))
		copy(x->state, sizeof x->state, "active");
	else
		copy(x->state, sizeof x->state, cmd);
	copy(x->wait, sizeof x->wait, cell(row, 6, nf));
	x->query_age_s = strcmp(cmd, "Sleep") ? t : -1;
	x->query = strdup(cell(row, 7, nf));
}

static int parse_sessions(struct engine_conn *c, MYSQL_RES *res, struct db_sample *out)
{
	size_t n = (size_t)mysql_num_rows(res);
	unsigned nf = mysql_num_fields(res);
	out->sessions = calloc(n ? n : 1, sizeof *out->sessions);
	if (!out->sessions)
		return -1;
	MYSQL_ROW row;
	double longest = -1;
	while ((row = mysql_fetch_row(res))) {
		const char *user = cell(row, 1, nf), *cmd = cell(row, 4, nf);
		if (!strncmp(cmd, "Binlog Dump", 11))
			add_replica(out, cell(row, 2, nf), cell(row, 6, nf));
		if (is_system_thread(user, cmd))
			continue;
		struct db_session *x = &out->sessions[out->nsessions++];
		fill_session(x, row, nf);
		if (!x->query)
			return -1;
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

static void parse_locks(MYSQL_RES *res, struct db_sample *out)
{
	MYSQL_ROW row;
	unsigned nf = mysql_num_fields(res);
	while ((row = mysql_fetch_row(res))) {
		int waiting = atoi(cell(row, 0, nf)), blocking = atoi(cell(row, 1, nf));
		for (size_t i = 0; i < out->nsessions; i++) {
			struct db_session *s = &out->sessions[i];
			if (s->pid == waiting && s->nblockers < (int)(sizeof s->blockers / sizeof s->blockers[0]))
				s->blockers[s->nblockers++] = blocking;
			if (s->pid == blocking)
				s->is_blocker = 1;
		}
	}
}

/* SHOW REPLICA/SLAVE STATUS: columns by name, old and new spellings. */
static const char *col(MYSQL_RES *res, MYSQL_ROW row, const char *a, const char *b)
{
	MYSQL_FIELD *f = mysql_fetch_fields(res);
	unsigned nf = mysql_num_fields(res);
	for (unsigned i = 0; i < nf; i++)
		if (!strcmp(f[i].name, a) || (b && !strcmp(f[i].name, b)))
			return row[i];
	return NULL;
}

static void parse_replica(MYSQL_RES *res, struct db_sample *out)
{
	MYSQL_ROW row = mysql_fetch_row(res);
	if (!row)
		return;
	struct db_standby *s = &out->standby;
	out->health.is_replica = 1;
	const char *io = col(res, row, "Slave_IO_Running", "Replica_IO_Running");
	const char *sql = col(res, row, "Slave_SQL_Running", "Replica_SQL_Running");
	const char *sbm = col(res, row, "Seconds_Behind_Master", "Seconds_Behind_Source");
	copy(s->sender_host, sizeof s->sender_host, col(res, row, "Master_Host", "Source_Host"));
	const char *port = col(res, row, "Master_Port", "Source_Port");
	s->sender_port = port ? atoi(port) : 0;
	s->streaming = io && !strcmp(io, "Yes");
	/* NULL Seconds_Behind is "stopped", never 0 */
	s->lag_s = sbm ? strtod(sbm, NULL) : -1;
	if (!sql || strcmp(sql, "Yes"))
		copy(s->halted, sizeof s->halted, "SQL THREAD STOPPED");
	else if (!io || strcmp(io, "Yes"))
		copy(s->halted, sizeof s->halted, io && !strcmp(io, "Connecting") ? "IO CONNECTING" : "IO THREAD STOPPED");
	const char *rf = col(res, row, "Master_Log_File", "Source_Log_File");
	const char *ef = col(res, row, "Relay_Master_Log_File", "Relay_Source_Log_File");
	const char *rp = col(res, row, "Read_Master_Log_Pos", "Read_Source_Log_Pos");
	const char *ep = col(res, row, "Exec_Master_Log_Pos", "Exec_Source_Log_Pos");
	s->replay_backlog_bytes = rf && ef && rp && ep && !strcmp(rf, ef) ? strtoll(rp, NULL, 10) - strtoll(ep, NULL, 10) : -1;
	const char *e1 = col(res, row, "Last_SQL_Error", NULL), *e2 = col(res, row, "Last_IO_Error", NULL);
	copy(s->last_error, sizeof s->last_error, e1 && *e1 ? e1 : e2);
}

static int parse_digests(struct engine_conn *c, MYSQL_RES *res, struct db_sample *out)
{
	size_t n = (size_t)mysql_num_rows(res);
	unsigned nf = mysql_num_fields(res);
	free(c->digests);
	c->ndigests = 0;
	c->digests = calloc(n ? n : 1, sizeof *c->digests);
	out->queries = calloc(n ? n : 1, sizeof *out->queries);
	if (!c->digests || !out->queries)
		return -1;
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(res))) {
		const char *schema = cell(row, 0, nf), *digest = cell(row, 1, nf);
		if (strspn(digest, "0123456789abcdefABCDEF") != strlen(digest) || strlen(digest) > 64)
			continue;
		struct db_query *q = &out->queries[out->nqueries++];
		q->queryid = my_digest_id(schema, digest);
		q->dbid = (uint32_t)my_digest_id(schema, "");
		q->toplevel = 1;
		q->calls = strtod(cell(row, 2, nf), NULL);
		q->total_ms = strtod(cell(row, 3, nf), NULL) / 1e9; /* picoseconds */
		q->rows = strtod(cell(row, 4, nf), NULL);
		q->calls_s = q->ms_s = q->rows_s = q->mean_ms = -1;
		c->digests[c->ndigests].id = q->queryid;
		copy(c->digests[c->ndigests++].digest, sizeof c->digests[0].digest, digest);
	}
	return 0;
}

static void parse_texts(struct engine_conn *c, MYSQL_RES *res)
{
	MYSQL_ROW row;
	unsigned nf = mysql_num_fields(res);
	while ((row = mysql_fetch_row(res))) {
		const char *t = cell(row, 2, nf);
		size_t len = strlen(t);
		char buf[1200];
		/* performance_schema cuts long digests and ends them with "..." */
		if (len >= 3 && !strcmp(t + len - 3, "...") && len < sizeof buf - 32) {
			snprintf(buf, sizeof buf, "%s [truncated by the server]", t);
			t = buf;
		}
		textcache_put(&c->texts, my_digest_id(cell(row, 0, nf), cell(row, 1, nf)), t);
	}
}

static void notes(struct engine_conn *c, struct db_sample *out)
{
	char who[140];
	const char *at = strrchr(c->user, '@');
	if (at)
		snprintf(who, sizeof who, "'%.*s'@'%s'", (int)(at - c->user), c->user, at + 1);
	else
		snprintf(who, sizeof who, "'%s'", c->user);
	size_t o = 0, n = sizeof out->privilege_note;
	if (!c->can_process)
		o += (size_t)snprintf(out->privilege_note + o, n - o,
				      "no PROCESS: others' sessions hidden (GRANT PROCESS ON *.* TO %.64s;) ", who);
	if (!c->can_replica && o < n)
		o += (size_t)snprintf(out->privilege_note + o, n - o,
				      "no replication status (GRANT %s ON *.* TO %.64s;)",
				      c->mariadb ? "SLAVE MONITOR" : "REPLICATION CLIENT", who);
	if (!c->ps_on)
		snprintf(out->queries_note, sizeof out->queries_note,
			 "performance_schema is off: start the server with performance_schema=ON to see top queries");
	else if (!c->can_digest)
		snprintf(out->queries_note, sizeof out->queries_note,
			 "no SELECT on performance_schema: top queries hidden"
			 " (GRANT SELECT ON performance_schema.* TO %.64s;)", who);
}

/* "10.11.19-MariaDB-0+deb12u1" -> "MariaDB 10.11.19" */
static void version_of(const struct engine_conn *c, char *out, size_t n)
{
	snprintf(out, n, "%s %.*s", c->mariadb ? "MariaDB" : "MySQL", (int)strcspn(c->version, "-"),
		 c->version);
}

static int read_part(struct engine_conn *c, int part, MYSQL_RES *res, struct db_sample *out, int *ro)
{
	switch (part) {
	case 0: parse_vars(res, &out->health, ro); return 0;
	case 1: parse_status(res, &out->health); return 0;
	case 2: return parse_sessions(c, res, out);
	case 3: parse_locks(res, out); return 0;
	case 4: parse_replica(res, out); return 0;
	case 5: return parse_digests(c, res, out);
	default: parse_texts(c, res); return 0;
	}
}

int my_read_batch(struct engine_conn *c, struct db_sample *out, struct err *err)
{
	int parts[7], np = 0, ro = 0, rc = 0;
	parts[np++] = 0;
	parts[np++] = 1;
	parts[np++] = 2;
	if (c->can_process)
		parts[np++] = 3;
	if (c->can_replica)
		parts[np++] = 4;
	if (c->can_digest)
		parts[np++] = 5;
	if (c->batch_texts)
		parts[np++] = 6;
	struct db_health *h = &out->health;
	h->xid_age = h->db_size_bytes = h->queries_total = -1;
	h->tps = h->qps = h->cache_hit_pct = h->longest_xact_s = -1;
	out->standby.lag_s = -1;
	for (int i = 0; i < np; i++) {
		MYSQL_RES *res = mysql_store_result(c->m);
		if (!res) {
			err->code = ERR_FAIL;
			snprintf(err->msg, sizeof err->msg, "sample: %s (error %u)", mysql_error(c->m),
				 mysql_errno(c->m));
			rc = -1;
			break;
		}
		if (read_part(c, parts[i], res, out, &ro) < 0) {
			snprintf(err->msg, sizeof err->msg, "sample: out of memory");
			rc = -1;
		}
		mysql_free_result(res);
		if (rc < 0 || i + 1 == np)
			break;
		if (mysql_next_result(c->m) != 0) {
			err->code = ERR_FAIL;
			snprintf(err->msg, sizeof err->msg, "sample: %s (error %u)", mysql_error(c->m),
				 mysql_errno(c->m));
			rc = -1;
			break;
		}
	}
	/* drain whatever is left so the handle stays usable */
	while (mysql_more_results(c->m) && mysql_next_result(c->m) == 0) {
		MYSQL_RES *res = mysql_store_result(c->m);
		if (res)
			mysql_free_result(res);
	}
	if (rc < 0)
		return -1;
	version_of(c, h->version, sizeof h->version);
	h->is_replica = h->is_replica || ro;
	out->statements = np;
	notes(c, out);
	return 0;
}
