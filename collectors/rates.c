/*
 * rates.c - rates from the deltas between two samples, computed once here.
 *
 * Time comes from the server clock of each sample. A counter that went down
 * (reset, eviction and re-add, restart) restarts from zero for that key:
 * its delta is the new value, never negative. Pure code: unit tested.
 */
#include "rates.h"

#include <stdlib.h>
#include <string.h>

static int key_cmp(const void *a, const void *b)
{
	const struct rate_key *x = a, *y = b;
	if (x->userid != y->userid)
		return x->userid < y->userid ? -1 : 1;
	if (x->dbid != y->dbid)
		return x->dbid < y->dbid ? -1 : 1;
	if (x->queryid != y->queryid)
		return x->queryid < y->queryid ? -1 : 1;
	return x->toplevel - y->toplevel;
}

static int query_cmp(const void *a, const void *b)
{
	const struct db_query *x = a, *y = b;
	struct rate_key kx = {x->userid, x->dbid, x->queryid, x->toplevel, 0, 0, 0};
	struct rate_key ky = {y->userid, y->dbid, y->queryid, y->toplevel, 0, 0, 0};
	return key_cmp(&kx, &ky);
}

static double delta(double now, double before)
{
	return now >= before ? now - before : now;
}

/* The rate of a counter, and of 'v2' read with it into '*rate2'; -1 = unknown.
 * A counter that went down voids the rate until its next reading. */
static double counter(struct counter_rate *c, int64_t v, int64_t v2, double now, double *rate2)
{
	double dt = now - c->t;
	int ok = c->t > 0 && dt > 0 && c->v >= 0 && v >= c->v && v2 >= c->v2;
	c->rate = ok ? (double)(v - c->v) / dt : -1;
	*rate2 = ok ? (double)(v2 - c->v2) / dt : -1;
	c->v = v;
	c->v2 = v2;
	c->t = now;
	return c->rate;
}

static void health_rates(struct rate_state *st, struct db_health *h, double now)
{
	double unused, hit_s, read_s;
	/* a counter not read this time (-1): its last rate stands */
	h->tps = h->xact_total < 0 ? st->xact.rate : counter(&st->xact, h->xact_total, 0, now, &unused);
	h->qps = h->queries_total < 0 ? st->queries.rate : counter(&st->queries, h->queries_total, 0, now, &unused);
	if (h->blks_hit < 0 || h->blks_read < 0) {
		h->cache_hit_pct = st->hit_pct;
		return;
	}
	hit_s = counter(&st->hit, h->blks_hit, h->blks_read, now, &read_s);
	st->hit_pct = hit_s >= 0 && read_s >= 0 && hit_s + read_s > 0 ? 100.0 * hit_s / (hit_s + read_s) : -1;
	h->cache_hit_pct = st->hit_pct;
}

static void query_rates(const struct rate_state *st, struct db_query *q, double dt)
{
	struct rate_key k = {q->userid, q->dbid, q->queryid, q->toplevel, 0, 0, 0};
	const struct rate_key *p = st->nkeys > 0
		? bsearch(&k, st->keys, st->nkeys, sizeof *st->keys, key_cmp) : NULL;
	double dc = p ? delta(q->calls, p->calls) : q->calls;
	/* fewer calls than before is a reset: every counter restarts */
	int reset = p && q->calls < p->calls;
	double dm = p && !reset ? delta(q->total_ms, p->total_ms) : q->total_ms;
	double dr = p && !reset ? delta(q->rows, p->rows) : q->rows;
	q->calls_s = dc / dt;
	q->ms_s = dm / dt;
	q->rows_s = dr / dt;
	q->mean_ms = dc > 0 ? dm / dc : -1;
}

int rates_apply(struct rate_state *st, struct db_sample *cur)
{
	double now = cur->health.server_now;
	double dt = st->t > 0 ? now - st->t : 0;
	if (st->t > 0 && dt <= 0)
		dt = 0; /* a clock that went back: no rates this time */
	if (st->t == 0) {
		struct counter_rate none = {-1, -1, 0, -1};
		st->xact = st->hit = st->queries = none;
		st->hit_pct = -1;
	}
	if (st->t == 0 || dt > 0)
		health_rates(st, &cur->health, now);
	st->t = now;
	if (!cur->nqueries && !cur->detail)
		return 0; /* a health probe: statements were not read, keep the last ones */
	double dq = st->tq > 0 ? now - st->tq : 0;
	if (cur->nqueries > 1)
		qsort(cur->queries, cur->nqueries, sizeof *cur->queries, query_cmp);
	if (dq > 0)
		for (size_t i = 0; i < cur->nqueries; i++)
			query_rates(st, &cur->queries[i], dq);
	/* remember this sample's counters (keys are sorted like the queries) */
	struct rate_key *keys = cur->nqueries ? malloc(cur->nqueries * sizeof *keys) : NULL;
	if (cur->nqueries && !keys)
		return -1;
	for (size_t i = 0; i < cur->nqueries; i++) {
		const struct db_query *q = &cur->queries[i];
		keys[i] = (struct rate_key){q->userid, q->dbid, q->queryid, q->toplevel,
					    q->calls, q->total_ms, q->rows};
	}
	free(st->keys);
	st->keys = keys;
	st->nkeys = cur->nqueries;
	st->tq = now;
	return 0;
}

void rates_release(struct rate_state *st)
{
	free(st->keys);
	memset(st, 0, sizeof *st);
}

static int busiest_first(const void *a, const void *b)
{
	const struct db_query *x = a, *y = b;
	double kx = x->ms_s >= 0 ? x->ms_s : 0, ky = y->ms_s >= 0 ? y->ms_s : 0;
	if (kx != ky)
		return kx < ky ? 1 : -1;
	if (x->total_ms != y->total_ms)
		return x->total_ms < y->total_ms ? 1 : -1;
	return 0;
}

void rates_keep_top(struct db_sample *cur, size_t n)
{
	if (cur->nqueries > 1)
		qsort(cur->queries, cur->nqueries, sizeof *cur->queries, busiest_first);
	for (size_t i = n; i < cur->nqueries; i++) {
		free(cur->queries[i].text);
		cur->queries[i].text = NULL;
	}
	if (cur->nqueries > n)
		cur->nqueries = n;
}
