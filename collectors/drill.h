/*
 * drill.h - write probes of application endpoints, the SLO state file's
 * upkeep, and drill mode: measured write unavailability (RTO), the replica
 * lag before each switch (RPO, an estimate), the report (collectors/
 * internal; collector.h is the way in).
 *
 * Threads: one prober thread (drill_main) wakes every 200 ms: it hands due
 * write probes to the pool (a fresh connection each), takes their results,
 * notes replica lag, appends the state file each minute and writes a
 * drill's report when asked. The UI thread only sets and reads state under
 * the drill's mutex (drill_begin, drill_end, drill_status).
 */
#ifndef DBFLEET_DRILL_H
#define DBFLEET_DRILL_H

#include <pthread.h>
#include <stdatomic.h>

#include "../engines/engine.h"
#include "collector.h"
#include "pool.h"

#define DRILL_OUTAGES 64   /* write outages kept per run */
#define DRILL_LAG_RING 256 /* seconds of the fleet's replica lag kept (1 a second) */
#define DRILL_GRACE_S 5.0  /* a role change or failover event this close to an outage is that outage */

/* One stretch of failed writes through an application endpoint. */
struct drill_outage {
	size_t target;
	char name[64];
	double last_ok;        /* wall: the last write that went through before it */
	double first_fail;     /* wall: the first that failed */
	double first_ok;       /* wall: the first that went through again; 0 still failing */
	double lag_s, lag_bytes; /* the last sampled replica lag at or before last_ok; -1 unknown */
	int lag_fleet;         /* 1: the fleet's worst lag (no replica of the endpoint's writer was sampled) */
	double rto_obj, rpo_obj; /* the endpoint's objectives, 0 none */
	char error[160];       /* why the first failed */
};

/* A target's lag peak during the drill. */
struct drill_peak {
	char name[64];
	double lag_s, lag_bytes;
	double at_s, at_bytes;
};

/* What a report is made from: a copy, so it is written outside the drill's lock. */
struct drill_facts {
	char fleet[64], name[64];
	char user[64], host[128], tty[64], ssh[128];
	double started, ended;           /* wall */
	struct drill_outage out[DRILL_OUTAGES];
	size_t nout;
	struct drill_peak *peaks;        /* heap, one per target with a lag */
	size_t npeaks;
	struct tl_event *ev;             /* heap: the timeline during the drill, in order */
	size_t nev;
	int probed;                      /* application endpoints probed */
};

struct drill;

struct drill_env {
	struct store *st;
	struct pool *pool;
	const atomic_int *stop;
	pthread_mutex_t *mu;             /* with cv: the collector's stop signal */
	pthread_cond_t *cv;
	void (*done)(void *arg);         /* called last, from the thread */
	void *done_arg;
};

/* A prober publishing into 'st'; NULL on OOM. Main thread (it notes who runs dbfleet, and from where). */
struct drill *drill_new(struct store *st);
/* The fleet's name: $XDG_STATE_HOME/dbfleet/FLEET.state, drills/FLEET-*; before drill_start. */
void drill_set_fleet(struct drill *d, const char *fleet);
/* Drop the creator's reference (NULL-safe, sets *d NULL). */
void drill_free(struct drill **d);
/* Target 'idx' (before the thread starts): its write probe if an application endpoint, its objectives;
 * 0, or -1 with 'err' (ERR_CONFIG: an endpoint that cannot be probed for writes). */
int drill_add_target(struct drill *d, size_t idx, const struct collector_target *t, const struct engine_ops *ops,
		     struct err *err);
/* Start the prober thread; 0 or -1. */
int drill_start(struct drill *d, const struct drill_env *env);
/* 1 while a drill runs: every probe at 1 s (samplers read it). */
const atomic_int *drill_fast(const struct drill *d);
/* A drill named 'name' begins now; 0, or -1 with 'err' (one is running). Any thread, no I/O. */
int drill_begin(struct drill *d, const char *name, struct err *err);
/* It ends: the prober writes the report (its path comes as a status message). 0 or -1 with 'err'. */
int drill_end(struct drill *d, struct err *err);
/* From main at exit: end a running drill and write its report here; 1 with its path, else 0. */
int drill_finish(struct drill *d, char *path, size_t n);
/* The status bar's: running, its name, when it began (wall). */
void drill_status(struct drill *d, struct collector_drill *out);

/* ---- drill_report.c ---- */

/*
 * Write the report of 'f' as DIR/FLEET-NAME-TIMESTAMP.md and .json (0600);
 * 0 with the .md path in 'path', or -1 with 'msg'. Blocking file I/O.
 */
int drill_report_write(const struct drill_facts *f, const char *dir, char *path, size_t n, char *msg, size_t nmsg);
/* The Markdown text of the report (heap; NULL on OOM). Pure. */
char *drill_report_md(const struct drill_facts *f);
/* The JSON text of the report (heap; NULL on OOM). Pure. */
char *drill_report_json(const struct drill_facts *f);
/*
 * The RPO estimate from an endpoint's own replication set: when 'w' (the
 * endpoint's sample) is a writer with standbys, 1 with their worst lag as
 * the writer sees them (-1 where unknown); else 0 (use the fleet's worst). Pure.
 */
int drill_set_lag(const struct db_sample *w, double *lag_s, double *lag_bytes);

#endif
