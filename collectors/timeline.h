/*
 * timeline.h - the fleet's timeline: a bounded ring of typed events in order
 * of arrival, and what changed between two observations of a target
 * (collectors/ internal; the store holds the ring, store.h is the way in).
 */
#ifndef DBFLEET_TIMELINE_H
#define DBFLEET_TIMELINE_H

#include "store.h"

struct timeline;

/* A ring of at most 'cap' events; NULL on OOM. */
struct timeline *timeline_new(size_t cap);
/* NULL-safe, sets *t to NULL. */
void timeline_free(struct timeline **t);
/* Append a copy of 'ev' with the next sequence number (dropping the oldest when full); that number. Any thread. */
uint64_t timeline_add(struct timeline *t, const struct tl_event *ev);
/* Forget every event; numbering goes on. The first seq after it. Any thread. */
uint64_t timeline_clear(struct timeline *t);
/* The first seq after the last timeline_clear, 0 if none. Any thread. */
uint64_t timeline_cleared(struct timeline *t);
/* Copy up to 'max' events with seq > 'after', oldest first; how many. Any thread. */
size_t timeline_read(struct timeline *t, uint64_t after, struct tl_event *out, size_t max);

/* What one observation of a target is: its state, and its sample when it answered. */
struct tl_observation {
	enum target_state state;
	const struct db_sample *s;    /* NULL: no sample (never answered, or a failure without one) */
};

#define TL_OBSERVE_MAX 8

/*
 * The events between two consecutive observations of target 'name' ('was'
 * and 'now'): state (down, stalled, auth, up again), role (promoted),
 * replication (halted, resumed, receiver lost, standbys connecting and
 * leaving) and lag crossing LAG_WARN_S / LAG_WARN_BYTES either way; 'error'
 * is the failure's message. At most 'max' into 'out', stamped 'at'; how
 * many. Pure.
 */
size_t timeline_observe(const char *name, const struct tl_observation *was, const struct tl_observation *now,
			const char *error, double at, struct tl_event *out, size_t max);
/*
 * The events between two cloud snapshots: RDS events 'now' has that 'was'
 * lacks, and instances whose status or role changed (a writer moved). At
 * most 'max'; how many. Pure; 'was' may be NULL (every event is new).
 */
size_t timeline_cloud_diff(const struct cloud_snapshot *was, const struct cloud_snapshot *now, double at,
			   struct tl_event *out, size_t max);
/* The event an action's outcome is ('a' in a final state). */
void timeline_of_action(const struct action_status *a, struct tl_event *out);

#endif
