/*
 * pg_async.c - the PostgreSQL engine without blocking: connect, probe and
 * sample as steps a sampler thread drives from its epoll loop.
 *
 * DESIGN
 * - Connect: PQconnectStartParams with the address dbfleet resolved put in
 *   'hostaddr' beside 'host' (libpq then does no name lookup, and
 *   certificate verification still checks the name), PQconnectPoll on each
 *   wake-up (the socket may change between attempts: the caller re-reads
 *   it), then the once-per-connection probe (PG_SQL_PROBE) as one query.
 * - Sample: the statements are prepared once per connection and sent in
 *   pipeline mode (PQsendPrepare the first time, then PQsendQueryPrepared
 *   for each part, one PQpipelineSync): planning, most of a probe's cost on
 *   the server, is done once, and a sample stays one round trip. Behind a
 *   transaction-mode pooler prepared statements do not survive (26000,
 *   42P05): the connection falls back to one simple-protocol query with
 *   every statement, as before.
 * - Results are read with PQconsumeInput/PQisBusy/PQgetResult, never
 *   waiting: a step returns ENGINE_STEP_WAIT with the socket and events.
 *   Each query's rows come one at a time (single-row mode, set before its
 *   first row is parsed, in the pipeline too) into c->rows under the bound of
 *   rs.h: a server that ignores LIMIT is cut off (the step fails, the
 *   sampler drops the connection) before it fills memory.
 * - Abandon (deadline passed; on a blocking worker): PQcancel, then close.
 */
#include "engine.h"
#include "pg_conn.h"

#include "../model/ini.h"

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum step { ST_CONNECT, ST_PROBE, ST_IDLE, ST_PLAIN, ST_PIPE };

static int wait_for(struct engine_conn *c, struct engine_wait *w, short events)
{
	w->fd = PQsocket(c->pg);
	w->events = (short)(events | (c->flushing ? POLLOUT : 0));
	return ENGINE_STEP_WAIT;
}

/* Send what is queued; 0 all sent, 1 more to send, -1 lost. */
static int flush(struct engine_conn *c, struct err *err)
{
	int rc = PQflush(c->pg);
	if (rc < 0)
		pg_set_err(err, ERR_FAIL, "query", PQerrorMessage(c->pg));
	c->flushing = rc == 1;
	return rc;
}

struct engine_conn *pg_async_connect_start(const char *dsn, const char *hostaddr, double timeout_s,
					     struct engine_wait *w, struct err *err)
{
	struct engine_conn *c = calloc(1, sizeof *c);
	char opts[160], ctimeout[16];
	const char *keys[8], *vals[8];
	if (!c) {
		pg_set_err(err, ERR_FAIL, "connect", "out of memory");
		return NULL;
	}
	/* the looked-up name once per address dbfleet found for it */
	char name[256] = "", hosts[1024] = "";
	int port;
	if (hostaddr[0] && pg_async_lookup_host(dsn, name, sizeof name, &port) == 1)
		for (const char *a = hostaddr; a; a = strchr(a + 1, ','))
			snprintf(hosts + strlen(hosts), sizeof hosts - strlen(hosts), "%s%s", hosts[0] ? "," : "", name);
	pg_params(dsn, hostaddr, hosts, timeout_s, keys, vals, opts, sizeof opts, ctimeout, sizeof ctimeout);
	c->pg = PQconnectStartParams(keys, vals, 1);
	if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
		if (c->pg)
			pg_connect_error(c->pg, err);
		else
			pg_set_err(err, ERR_FAIL, "connect", "out of memory");
		PQfinish(c->pg);
		free(c);
		return NULL;
	}
	c->step = ST_CONNECT;
	wait_for(c, w, POLLOUT);
	return c;
}

/* Read what has arrived into c->res and c->rows (plain: every result until the end).
 * 1 all in, 0 wait, -1 lost or a result past the bound (drop the connection). */
static int read_plain(struct engine_conn *c, struct err *err)
{
	if (!PQconsumeInput(c->pg)) {
		pg_set_err(err, ERR_FAIL, "query", PQerrorMessage(c->pg));
		return -1;
	}
	for (;;) {
		PQsetSingleRowMode(c->pg); /* before each statement's rows are parsed; refused (harmless) mid-result */
		if (PQisBusy(c->pg))
			return 0;
		PGresult *r = PQgetResult(c->pg);
		if (!r)
			return 1;
		int row = c->nres < PG_PART_N ? pg_take_row(c, c->nres, r, err) : 0;
		if (row < 0)
			return -1;
		if (row == 0 && c->nres < PG_PART_N)
			c->res[c->nres++] = r;
		else if (row == 0)
			PQclear(r);
	}
}

static int probe_result(void *ctx, const char *sql, struct rs *out)
{
	(void)sql;
	struct engine_conn *c = ctx;
	pg_rs_of(c, 0, out);
	return out->error[0] ? -1 : 0;
}

int pg_async_connect_step(struct engine_conn *c, struct engine_wait *w, struct err *err)
{
	if (c->step == ST_CONNECT) {
		switch (PQconnectPoll(c->pg)) {
		case PGRES_POLLING_READING:
			return wait_for(c, w, POLLIN);
		case PGRES_POLLING_WRITING:
			return wait_for(c, w, POLLOUT);
		case PGRES_POLLING_OK:
			break;
		default:
			pg_connect_error(c->pg, err);
			return ENGINE_STEP_FAIL;
		}
		PQsetnonblocking(c->pg, 1);
		snprintf(c->where, sizeof c->where, "host %s:%s", PQhost(c->pg) ? PQhost(c->pg) : "?",
			 PQport(c->pg) ? PQport(c->pg) : "?");
		if (!PQsendQuery(c->pg, PG_SQL_PROBE) || flush(c, err) < 0) {
			pg_set_err(err, ERR_FAIL, "probe", PQerrorMessage(c->pg));
			return ENGINE_STEP_FAIL;
		}
		c->step = ST_PROBE;
		c->nres = 0;
		return wait_for(c, w, POLLIN);
	}
	if (c->flushing && flush(c, err) < 0)
		return ENGINE_STEP_FAIL;
	int rc = read_plain(c, err);
	if (rc < 0)
		return ENGINE_STEP_FAIL;
	if (rc == 0)
		return wait_for(c, w, POLLIN);
	rc = c->nres == 1 ? pg_probe(&c->st, probe_result, c, err) : (pg_set_err(err, ERR_FAIL, "probe", "no answer"), -1);
	pg_results_clear(c);
	c->nres = 0;
	if (rc < 0)
		return ENGINE_STEP_FAIL;
	c->step = ST_IDLE;
	return ENGINE_STEP_DONE;
}

/* Queue the sample's parts in pipeline mode; 0 or -1. */
static int send_pipeline(struct engine_conn *c)
{
	if (PQpipelineStatus(c->pg) == PQ_PIPELINE_OFF && !PQenterPipelineMode(c->pg))
		return -1;
	char ids[TEXTCACHE_FETCH_MAX * 21 + 4];
	for (int i = 0; i < c->st.nparts; i++) {
		int part = c->st.part[i];
		char *name = c->pname[part];
		if (!(c->prepared & (1u << part))) {
			char *sql = NULL;
			size_t len = 0, cap = 0;
			if (pg_part_sql(&c->st, part, 1, &sql, &len, &cap) < 0)
				return -1;
			while (len && (sql[len - 1] == '\n' || sql[len - 1] == ';'))
				sql[--len] = '\0';
			/* named by its text too: clients sharing a pooler's server connection (other
			 * dbfleet versions) never run each other's statement under one name */
			uint32_t h = 2166136261u;
			for (const char *p = sql; *p; p++)
				h = (h ^ (unsigned char)*p) * 16777619u;
			snprintf(name, sizeof c->pname[part], "dbfleet_%d_%08x", part, h);
			int ok = PQsendPrepare(c->pg, name, sql, part == PG_PART_TEXTS ? 1 : 0, NULL);
			free(sql);
			if (!ok)
				return -1;
		}
		const char *param[1] = {ids};
		if (part == PG_PART_TEXTS)
			pg_texts_param(&c->st, ids, sizeof ids);
		if (!PQsendQueryPrepared(c->pg, name, part == PG_PART_TEXTS ? 1 : 0, param, NULL, NULL, 0))
			return -1;
	}
	return PQpipelineSync(c->pg) ? 0 : -1;
}

/* Every part in one simple-protocol query (no prepared statements); 1 sent, 0 not. */
static int send_plain(struct engine_conn *c)
{
	if (PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF && !PQexitPipelineMode(c->pg))
		return 0;
	char *sql = pg_build_batch(&c->st);
	int ok = sql && PQsendQuery(c->pg, sql);
	free(sql);
	c->step = ST_PLAIN;
	c->nres = 0;
	return ok;
}

int pg_async_sample_start(struct engine_conn *c, enum engine_detail detail, struct engine_wait *w,
			    struct err *err)
{
	c->st.health_only = !(detail & ENGINE_DETAIL);
	c->st.triage = (detail & ENGINE_TRIAGE) != 0;
	c->t0 = clock_mono();
	c->nres = 0;
	c->prepared_now = 0;
	int ok;
	if (c->plain) {
		ok = send_plain(c);
	} else {
		free(pg_build_batch(&c->st)); /* plans the parts; the text is not sent */
		ok = send_pipeline(c) == 0;
		c->step = ST_PIPE;
	}
	if (!ok || flush(c, err) < 0) {
		pg_set_err(err, ERR_FAIL, "query", PQerrorMessage(c->pg));
		return ENGINE_STEP_FAIL;
	}
	return wait_for(c, w, POLLIN);
}

/* A part's first error wins (its prepare's or its own); a result after it is dropped. */
static void keep(struct engine_conn *c, int part, PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	int bad = st == PGRES_FATAL_ERROR || st == PGRES_PIPELINE_ABORTED;
	if (c->res[part] && (PQresultStatus(c->res[part]) == PGRES_FATAL_ERROR ||
			     PQresultStatus(c->res[part]) == PGRES_PIPELINE_ABORTED || !bad)) {
		PQclear(r);
		return;
	}
	PQclear(c->res[part]);
	c->res[part] = r;
}

/* Pipeline results: per part a prepare (the first time) and the query, each ended by a
 * NULL, then the sync. 1 all in, 0 wait, -1 lost. c->nres counts the NULLs seen. */
static int read_pipeline(struct engine_conn *c, struct err *err)
{
	if (!PQconsumeInput(c->pg)) {
		pg_set_err(err, ERR_FAIL, "query", PQerrorMessage(c->pg));
		return -1;
	}
	for (;;) {
		PQsetSingleRowMode(c->pg); /* before each query's rows are parsed; refused (harmless) otherwise */
		if (PQisBusy(c->pg))
			return 0;
		PGresult *r = PQgetResult(c->pg);
		if (!r) {
			c->nres++;
			continue;
		}
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			return 1;
		}
		/* which part: walk the commands sent, a prepare counting as one */
		int k = c->nres, part = -1;
		for (int i = 0; i < c->st.nparts && part < 0; i++) {
			int prep = !(c->prepared & (1u << c->st.part[i]));
			if (k < prep + 1)
				part = i;
			k -= prep + 1;
		}
		int row = part >= 0 ? pg_take_row(c, part, r, err) : 0;
		if (row < 0)
			return -1;
		if (row > 0)
			continue;
		if (part >= 0 && PQresultStatus(r) == PGRES_COMMAND_OK) {
			c->prepared_now |= 1u << c->st.part[part]; /* its prepare went through */
			PQclear(r);
		} else if (part >= 0)
			keep(c, part, r);
		else
			PQclear(r);
	}
}

/* After a pipeline: which parts are prepared now; -1 when prepared statements were
 * lost to a pooler (26000, 42P05): the connection goes plain from then on. */
static int settle_prepared(struct engine_conn *c)
{
	for (int i = 0; i < c->st.nparts; i++) {
		const char *code = c->res[i] ? PQresultErrorField(c->res[i], PG_DIAG_SQLSTATE) : NULL;
		if (code && (!strcmp(code, "26000") || !strcmp(code, "42P05"))) {
			c->plain = 1; /* a transaction-mode pooler: no prepared statements here */
			c->prepared = 0;
			return -1;
		}
	}
	c->prepared |= c->prepared_now;
	return 0;
}

int pg_async_sample_step(struct engine_conn *c, struct db_sample *out, struct engine_wait *w, struct err *err)
{
	if (c->flushing && flush(c, err) < 0)
		return ENGINE_STEP_FAIL;
	int rc = c->step == ST_PIPE ? read_pipeline(c, err) : read_plain(c, err);
	if (rc < 0)
		return ENGINE_STEP_FAIL;
	if (rc == 0)
		return wait_for(c, w, POLLIN);
	out->roundtrip_ms = (clock_mono() - c->t0) * 1000;
	int n = c->nres;
	if (c->step == ST_PIPE && settle_prepared(c) < 0) {
		/* a pooler lost our prepared statements: ask again the plain way, same sample */
		pg_results_clear(c);
		if (!send_plain(c) || flush(c, err) < 0) {
			pg_set_err(err, ERR_FAIL, "query", PQerrorMessage(c->pg));
			return ENGINE_STEP_FAIL;
		}
		return wait_for(c, w, POLLIN);
	}
	if (c->step == ST_PIPE) {
		n = c->st.nparts;
		for (int i = 0; i < n; i++)
			if (!c->res[i]) /* never answered: the pipeline stopped before it */
				c->res[i] = PQmakeEmptyPGresult(c->pg, PGRES_PIPELINE_ABORTED);
	}
	c->step = ST_IDLE;
	return pg_finish_sample(c, n, out, err) < 0 ? ENGINE_STEP_FAIL : ENGINE_STEP_DONE;
}

void pg_async_abandon(struct engine_conn *c)
{
	if (!c)
		return;
	/* only a query of ours can be running: a connection still starting has none */
	PGcancel *cn = PQstatus(c->pg) == CONNECTION_OK && c->step != ST_IDLE ? PQgetCancel(c->pg) : NULL;
	char eb[128];
	if (cn)
		PQcancel(cn, eb, sizeof eb); /* may block on a hung host: this is a blocking worker */
	PQfreeCancel(cn);
	engine_postgres_ops.close(c);
}

static int is_address(const char *h)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

/*
 * The host a conninfo or URI connects to, as libpq picks it (the conninfo's,
 * then the service's, then PGHOST): 1 with a name to look up; 0 when none is
 * needed (a socket, an address, a hostaddr given); -1 when libpq would look up
 * names dbfleet cannot hand it (a list of hosts): connect on a blocking worker.
 */
int pg_async_lookup_host(const char *dsn, char *host, size_t n, int *port)
{
	PQconninfoOption *opts = PQconninfoParse(dsn, NULL);
	const char *h = NULL, *addr = NULL, *p = NULL, *service = NULL;
	for (PQconninfoOption *o = opts; o && o->keyword; o++) {
		if (!o->val || !o->val[0])
			continue;
		if (!strcmp(o->keyword, "host"))
			h = o->val;
		else if (!strcmp(o->keyword, "hostaddr"))
			addr = o->val;
		else if (!strcmp(o->keyword, "port"))
			p = o->val;
		else if (!strcmp(o->keyword, "service"))
			service = o->val;
	}
	char svc_host[256] = "";
	int svc_port = 0;
	service = service ? service : getenv("PGSERVICE");
	if (!h && service && pg_service_host(service, svc_host, sizeof svc_host, &svc_port) >= 0 && svc_host[0]) {
		h = svc_host;
	}
	h = h ? h : getenv("PGHOST");
	addr = addr ? addr : getenv("PGHOSTADDR");
	int need = 0;
	if (h && h[0] && h[0] != '/' && h[0] != '@' && !(addr && addr[0]) && !is_address(h)) {
		need = strchr(h, ',') ? -1 : 1;
		snprintf(host, n, "%s", h);
		*port = p ? atoi(p) : svc_port ? svc_port : getenv("PGPORT") ? atoi(getenv("PGPORT")) : 5432;
	}
	PQconninfoFree(opts);
	return need;
}

struct service_find {
	const char *name;
	char *host;
	size_t n;
	int *port;
	int found;
};

static int service_line(void *ctx, const struct ini_line *l, struct err *e)
{
	(void)e;
	struct service_find *f = ctx;
	if (strcmp(l->section, f->name) != 0)
		return f->found ? 1 : 0; /* past the section: done */
	f->found = 1;
	if (l->key && !strcmp(l->key, "host"))
		snprintf(f->host, f->n, "%s", l->value);
	else if (l->key && !strcmp(l->key, "port"))
		*f->port = atoi(l->value);
	return 0;
}

/* Look for [service] in one service file: 1 found (host/port filled as it says), 0 not. */
static int service_in(const char *path, const char *service, char *host, size_t n, int *port)
{
	struct service_find f = {service, host, n, port, 0};
	struct err e;
	ini_read(path, INI_LENIENT, service_line, &f, &e);
	return f.found;
}

int pg_service_host(const char *service, char *host, size_t n, int *port)
{
	char path[1024];
	const char *file = getenv("PGSERVICEFILE"), *home = getenv("HOME"), *sys = getenv("PGSYSCONFDIR");
	host[0] = '\0';
	*port = 5432;
	int found = 0;
	if (file && file[0])
		found = service_in(file, service, host, n, port);
	else if (home && home[0]) {
		snprintf(path, sizeof path, "%s/.pg_service.conf", home);
		found = service_in(path, service, host, n, port);
	}
	if (!found) {
		snprintf(path, sizeof path, "%s/pg_service.conf", sys && sys[0] ? sys : "/etc/postgresql-common");
		found = service_in(path, service, host, n, port);
	}
	return found;
}
