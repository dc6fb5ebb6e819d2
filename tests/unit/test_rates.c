/* Unit tests: rates from deltas, across resets and evictions. */
#include <stdlib.h>

#include "../../collectors/rates.h"
#include "check.h"

static struct db_sample sample(double now, int64_t xacts, size_t n, const double (*rows)[4])
{
	struct db_sample s = {0};
	s.health.server_now = now;
	s.health.xact_total = xacts;
	s.health.blks_hit = (int64_t)now * 90;
	s.health.blks_read = (int64_t)now * 10;
	s.health.tps = s.health.cache_hit_pct = -1;
	s.queries = calloc(n ? n : 1, sizeof *s.queries);
	s.nqueries = n;
	for (size_t i = 0; i < n; i++) {
		s.queries[i].queryid = (int64_t)rows[i][0];
		s.queries[i].calls = rows[i][1];
		s.queries[i].total_ms = rows[i][2];
		s.queries[i].rows = rows[i][3];
		s.queries[i].toplevel = 1;
		s.queries[i].calls_s = s.queries[i].ms_s = -1;
	}
	return s;
}

static const struct db_query *find(const struct db_sample *s, int64_t id)
{
	for (size_t i = 0; i < s->nqueries; i++)
		if (s->queries[i].queryid == id)
			return &s->queries[i];
	return NULL;
}

static void first_sample_has_no_rates(void)
{
	struct rate_state st = {0};
	const double r[][4] = {{1, 100, 50, 100}};
	struct db_sample a = sample(1000, 500, 1, r);
	rates_apply(&st, &a);
	CHECK(a.health.tps < 0);
	CHECK(a.queries[0].calls_s < 0);
	free(a.queries);
	rates_release(&st);
}

static void steady_rates(void)
{
	struct rate_state st = {0};
	const double r1[][4] = {{1, 100, 50, 100}, {-7, 10, 1000, 0}};
	const double r2[][4] = {{-7, 30, 3000, 0}, {1, 300, 150, 200}};
	struct db_sample a = sample(1000, 500, 2, r1), b = sample(1010, 1500, 2, r2);
	rates_apply(&st, &a);
	rates_apply(&st, &b);
	CHECK(b.health.tps == 100);
	CHECK(b.health.cache_hit_pct > 89.9 && b.health.cache_hit_pct < 90.1);
	const struct db_query *q = find(&b, 1), *n = find(&b, -7);
	CHECK(q && q->calls_s == 20 && q->ms_s == 10 && q->rows_s == 10 && q->mean_ms == 0.5);
	CHECK(n && n->calls_s == 2 && n->ms_s == 200 && n->mean_ms == 100);
	free(a.queries);
	free(b.queries);
	rates_release(&st);
}

static void reset_and_eviction_never_negative(void)
{
	struct rate_state st = {0};
	const double r1[][4] = {{1, 1000, 5000, 1000}, {2, 50, 50, 50}};
	/* pg_stat_statements_reset(): counters restart; 2 evicted; 3 new */
	const double r2[][4] = {{1, 5, 10, 5}, {3, 7, 70, 7}};
	struct db_sample a = sample(100, 900, 2, r1), b = sample(102, 100, 2, r2);
	rates_apply(&st, &a);
	rates_apply(&st, &b);
	CHECK(b.health.tps < 0); /* xacts went down: voided, not negative */
	const struct db_query *q = find(&b, 1), *n = find(&b, 3);
	CHECK(q && q->calls_s == 2.5 && q->ms_s == 5 && q->rows_s == 2.5);
	CHECK(n && n->calls_s == 3.5 && n->ms_s == 35);
	/* a counter that moved back while calls grew still is not negative */
	const double r3[][4] = {{1, 6, 4, 1}};
	struct db_sample c = sample(104, 200, 1, r3);
	rates_apply(&st, &c);
	CHECK(c.queries[0].ms_s >= 0 && c.queries[0].rows_s >= 0);
	free(a.queries);
	free(b.queries);
	free(c.queries);
	rates_release(&st);
}

static void clock_going_back_gives_no_rates(void)
{
	struct rate_state st = {0};
	const double r[][4] = {{1, 10, 10, 10}};
	struct db_sample a = sample(100, 10, 1, r), b = sample(99, 20, 1, r);
	rates_apply(&st, &a);
	rates_apply(&st, &b);
	CHECK(b.queries[0].calls_s < 0 && b.health.tps < 0);
	free(a.queries);
	free(b.queries);
	rates_release(&st);
}

/* An engine that reads a counter only every few samples: the rate is over
 * the time between its readings, and stands in the samples between. */
static void counters_read_now_and_then(void)
{
	struct rate_state st = {0};
	struct db_sample a = sample(100, 1000, 0, NULL), b = sample(101, -1, 0, NULL),
			 c = sample(110, 3000, 0, NULL), d = sample(111, -1, 0, NULL);
	b.health.blks_hit = b.health.blks_read = -1;
	d.health.blks_hit = d.health.blks_read = -1;
	rates_apply(&st, &a);
	rates_apply(&st, &b);
	CHECK(b.health.tps < 0 && b.health.cache_hit_pct < 0); /* nothing to stand yet */
	rates_apply(&st, &c);
	CHECK(c.health.tps == 200); /* 2000 over the 10 s since its last reading */
	CHECK(c.health.cache_hit_pct > 89.9 && c.health.cache_hit_pct < 90.1);
	rates_apply(&st, &d);
	CHECK(d.health.tps == 200 && d.health.cache_hit_pct > 89.9);
	free(a.queries);
	free(b.queries);
	free(c.queries);
	free(d.queries);
	rates_release(&st);
}

static void keep_top_busiest(void)
{
	struct rate_state st = {0};
	const double r1[][4] = {{1, 1, 1, 1}, {2, 1, 1, 1}, {3, 1, 1, 1}};
	const double r2[][4] = {{1, 2, 2, 1}, {2, 2, 900, 1}, {3, 2, 50, 1}};
	struct db_sample a = sample(100, 1, 3, r1), b = sample(101, 2, 3, r2);
	rates_apply(&st, &a);
	rates_apply(&st, &b);
	rates_keep_top(&b, 2);
	CHECK(b.nqueries == 2 && b.queries[0].queryid == 2 && b.queries[1].queryid == 3);
	free(a.queries);
	free(b.queries);
	rates_release(&st);
}

int main(void)
{
	RUN(first_sample_has_no_rates);
	RUN(steady_rates);
	RUN(reset_and_eviction_never_negative);
	RUN(clock_going_back_gives_no_rates);
	RUN(counters_read_now_and_then);
	RUN(keep_top_busiest);
	return check_total_failed;
}
