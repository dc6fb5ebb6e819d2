/* rates.h - deltas between samples (collectors/ internal, unit tested). */
#ifndef DBFLEET_RATES_H
#define DBFLEET_RATES_H

#include "../model/model.h"

struct rate_key {
	uint32_t userid, dbid;
	int64_t queryid;
	int toplevel;
	double calls, total_ms, rows;
};

/* A server-wide counter: its last reading, when, and the rate it gave. An
 * engine may read a counter less often than every sample (-1 between): the
 * rate is then over the time between its own readings and stands until the
 * next one. */
struct counter_rate {
	int64_t v, v2;       /* value (and a second one read with it), -1 = none */
	double t, rate;      /* server clock of that reading; rate, -1 = unknown */
};

/* What one target's previous sample left behind; zero it to start. */
struct rate_state {
	double t;            /* server clock of the previous sample, 0 = none */
	struct counter_rate xact, hit, queries; /* hit: blocks hit, and read (v2) */
	double hit_pct;
	struct rate_key *keys; /* sorted */
	double tq;           /* server clock of the sample the keys are from (statements are
	                      * read on detailed samples only) */
	size_t nkeys;
};

/* Fill the rates of 'cur' from 'st', then remember 'cur'. 0, or -1 on OOM. */
int rates_apply(struct rate_state *st, struct db_sample *cur);
void rates_release(struct rate_state *st);
/* Keep the 'n' busiest statements of 'cur' (by time per second, then total). */
void rates_keep_top(struct db_sample *cur, size_t n);

#endif
