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

static void health_rates(struct rate_state *st, struct db_health *h, double dt)
{
	if (dt > 0 && st->xact >= 0 && h->xact_total >= st->xact)
		h->tps = (double)(h->xact_total - st->xact) / dt;
	if (dt > 0 && st->hit >= 0 && h->blks_hit >= st->hit && h->blks_read >= st->read) {
		double dh = (double)(h->blks_hit - st->hit), dr = (double)(h->blks_read - st->read);
		if (dh + dr > 0)
			h->cache_hit_pct = 100.0 * dh / (dh + dr);
	}
	if (dt > 0 && st->queries >= 0 && h->queries_total >= st->queries)
		h->qps = (double)(h->queries_total - st->queries) / dt;
	st->queries = h->queries_total;
	st->xact = h->xact_total;
	st->hit = h->blks_hit;
	st->read = h->blks_read;
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
		st->xact = st->hit = st->read = st->queries = -1;
	}
	health_rates(st, &cur->health, st->t > 0 ? dt : 0);
	if (cur->nqueries > 1)
		qsort(cur->queries, cur->nqueries, sizeof *cur->queries, query_cmp);
	if (dt > 0)
		for (size_t i = 0; i < cur->nqueries; i++)
			query_rates(st, &cur->queries[i], dt);
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
	st->t = now;
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
