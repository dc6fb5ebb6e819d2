/*
 * explain.h - plans asked for on a key, read on the blocking pool: one at a
 * time per collector, never on the UI thread, no audit (nothing changes).
 * Collectors only (scheduler.c owns the gate).
 */
#ifndef DBFLEET_EXPLAIN_H
#define DBFLEET_EXPLAIN_H

#include <stdatomic.h>

#include "collector.h"
#include "pool.h"

struct engine_ops;

/* One request in flight at a time: a second is refused until the first answers or its deadline passes. */
struct explain_gate {
	atomic_int next_id;
	_Atomic double busy_until;   /* monotonic: the request in flight must have answered by then; 0 none */
};

/*
 * Queue the plan of 'q' on target 't' (index 'idx', engine 'ops') on 'pool'; the answer
 * goes to the store (store_plan_put) with the returned id. -1 with 'err' when one is in
 * flight, the engine has no plans, or the pool is stopping.
 */
int explain_submit(struct pool *pool, struct explain_gate *g, struct store *st, size_t idx,
		   const struct collector_target *t, const struct engine_ops *ops, const atomic_int *stop,
		   const struct db_explain *q, struct err *err);

/* Write 'text' (owned, freed) to a new file 'leaf' on 'pool'; the outcome goes to the store
 * (store_plan_saved_put) for request 'id'. 0, or -1 with 'err' (the text freed). */
int explain_save_submit(struct pool *pool, struct store *st, int id, const char *leaf, char *text, struct err *err);

#endif
