/*
 * pool.h - a small, bounded pool of blocking workers, for what has no
 * non-blocking API: name lookups, MySQL connects, PQcancel, ODBC, IAM
 * tokens. Collectors only.
 *
 * Threads: pool_submit from any thread; a job's run() on a pool worker;
 * its done() right after on the same worker (it hands the result back, e.g.
 * to a sampler's inbox). A worker whose job runs past the job's deadline
 * plus a grace second is abandoned: it is replaced, up to 'max_stuck' stuck
 * workers at once, and exits when its call returns. Quitting never waits
 * for a stuck worker.
 */
#ifndef DBFLEET_POOL_H
#define DBFLEET_POOL_H

#include <stdatomic.h>

struct pool;

struct job {
	void (*run)(struct job *j);   /* blocking work, on a pool worker */
	void (*done)(struct job *j);  /* after run, on the same worker; must not block; owns j */
	double deadline;              /* monotonic: a job not started by then is not run; one
	                               * running longer than deadline - submit time (+1 s)
	                               * has its worker abandoned */
	double budget;                /* the pool's: deadline - submit time */
	atomic_int started;           /* set when a worker takes it */
	int expired;                  /* set when it was not run: its deadline passed in the queue */
	int low;                      /* the low lane: taken after every other job, and never by
	                               * the last POOL_RESERVE workers (a hung host's retries) */
	struct job *next;             /* the queue's */
};

/* 'workers' live workers (at least 1), at most 'max_stuck' more while some are stuck;
 * each worker calls 'thread_end' (NULL-safe) before it exits (mysql_thread_end). */
struct pool *pool_new(int workers, int max_stuck, void (*thread_end)(void));
/* Queue a job; 0, or -1 when stopping (the job is not taken). */
int pool_submit(struct pool *p, struct job *j);
/* Workers stuck in a call now, and live ones. */
int pool_stuck(struct pool *p);
int pool_size(struct pool *p);
/* Stop taking jobs, drop queued ones (their done() runs with run() skipped: 'started' stays 0),
 * wake the workers; returns at once. Again is harmless. */
void pool_stop(struct pool *p);
/* Stop it and drop the creator's reference (NULL-safe, sets *p NULL): the pool is freed when
 * its last thread leaves too. */
void pool_free(struct pool **p);
/* Threads the pool has now (workers, stuck ones and its supervisor). */
int pool_threads(struct pool *p);

#endif
