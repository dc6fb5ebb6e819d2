/*
 * sampler.h - a few sampler threads, each multiplexing many targets'
 * non-blocking connections in one epoll loop with a timer per target.
 * Collectors only.
 *
 * Threads: sampler_new/start/add from the collector (main or cloud thread);
 * a target, once added, belongs to its sampler thread. Blocking work (name
 * lookups, MySQL connects, ODBC, cancels) goes to the shared pool and comes
 * back through the sampler's inbox.
 */
#ifndef DBFLEET_SAMPLER_H
#define DBFLEET_SAMPLER_H

#include <stdatomic.h>

#include "../engines/engine.h"
#include "collector.h"
#include "pool.h"
#include "rates.h"

struct sampler;

/* One target as its sampler drives it. */
struct tstate {
	size_t idx;                     /* immutable: its slot in the store */
	struct collector_target conf;   /* immutable */
	const struct engine_ops *ops;   /* immutable */
	char endpoint[96];              /* immutable: "host:port", as the store shows it */
	/* the rest belongs to the sampler thread */
	struct sampler *sm;
	int phase;                      /* enum phase (sampler.c) */
	struct engine_conn *conn;
	struct engine_wait w;
	int armed_fd;                   /* registered with epoll, -1 none */
	double due;                     /* the timer: next sample, retry or deadline */
	size_t hpos;                    /* in the timer heap */
	double next_sample, backoff, t0, deadline;
	struct snapshot *snap;          /* the sample in flight */
	struct rate_state rs;
	unsigned gen;                   /* bumped when a pool job is given up on */
	int job_out;                    /* a pool job of ours still runs (maybe abandoned) */
	const atomic_int *job_started;  /* that job's: has a worker taken it yet */
	char hostaddr[256];             /* resolved address(es) for the next connect */
	double sent, first_byte;        /* the sample in flight: sent (flushed), its first byte readable; 0 not yet */
};

struct sampler_env {
	struct store *st;
	struct pool *pool;
	const atomic_int *stop;
	atomic_int *cancels;            /* abandon jobs in flight, all samplers */
	const atomic_int *fast;         /* a drill runs: sample at least every second */
	void (*done)(void *arg);        /* the thread leaves (collector's reference) */
	void *done_arg;
};

struct sampler *sampler_new(const struct sampler_env *env);
/* Start the thread; 0 or -1. */
int sampler_start(struct sampler *s);
/* Hand a target to the sampler (any thread); it first connects at monotonic 'first'. */
int sampler_add(struct sampler *s, struct tstate *t, double first);
/* Targets it drives. */
size_t sampler_load(struct sampler *s);
/* Wake it (on stop). */
void sampler_wake(struct sampler *s);
/* Drop the creator's reference (NULL-safe, sets *s NULL); the thread and jobs out keep it alive. */
void sampler_free(struct sampler **s);

#endif
