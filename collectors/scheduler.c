/*
 * scheduler.c - one worker thread per target, and a watchdog over them.
 *
 * DESIGN
 * - A worker owns its target's connection, samples at the target's
 *   interval, computes rates and publishes into the store. Before each
 *   engine call it stores the call's deadline in 'busy_until'; after the
 *   call it checks that it still owns the target ('gen' unchanged).
 * - The watchdog wakes every 200 ms. A worker whose call runs past its
 *   deadline plus a grace period is abandoned: 'gen' is bumped, the target
 *   is marked STALLED, and a fresh worker is started (it waits a backoff
 *   before reconnecting). The stuck thread, if its call ever returns, sees
 *   the new generation, discards its connection and result, and exits.
 * - Threads are detached; the collector and its per-target states are
 *   reference counted (the main thread, the watchdog, each live worker),
 *   so whoever is last frees them. collector_stop() sets 'stop' and wakes sleepers; it never
 *   joins, so a thread stuck in a library call cannot delay quitting.
 * - Live threads are capped (COLLECTOR_MAX_THREADS): past it, a stuck
 *   target stays STALLED without a replacement worker.
 */
#include "collector.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../aws/aws.h"
#include "../engines/engine.h"
#include "actions.h"
#include "cloud.h"
#include "derive.h"
#include "rates.h"

#define GRACE_S 1.0
#define BACKOFF_MIN_S 2.0
#define BACKOFF_MAX_S 30.0

struct tstate {
	struct collector *c;            /* immutable */
	size_t idx;                     /* immutable */
	struct collector_target conf;   /* immutable */
	const struct engine_ops *ops;   /* immutable */
	atomic_uint gen;                /* bumped when the current worker is abandoned */
	_Atomic double busy_until;      /* deadline of the call in progress, 0 = idle */
};

struct collector {
	struct store *st;
	size_t n;
	struct tstate **ts;
	atomic_int stop;
	atomic_int live;                /* threads alive (workers, stuck ones too, and the watchdog) */
	pthread_mutex_t mu;             /* guards nothing but the sleep below */
	pthread_cond_t cv;              /* signalled on stop */
	atomic_int refs;                /* the main thread + every thread */
	struct cloud_config cloud;      /* immutable after collector_set_cloud */
	struct actq *aq;                /* the action worker's queue (it locks itself) */
};

struct worker_arg {
	struct tstate *ts;
	unsigned gen;
	double first_wait;
};

/* Drop a reference; the last one frees the per-target states too. */
static void collector_unref(struct collector *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->ts[i]);
	actq_free(c->aq);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c->ts);
	free(c);
}

/* Sleep up to 's' seconds; returns early (1) when stopping. */
static int nap(struct collector *c, double s)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	double t = (double)until.tv_sec + (double)until.tv_nsec / 1e9 + s;
	until.tv_sec = (time_t)t;
	until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
	pthread_mutex_lock(&c->mu);
	while (!atomic_load(&c->stop))
		if (pthread_cond_timedwait(&c->cv, &c->mu, &until) != 0)
			break;
	pthread_mutex_unlock(&c->mu);
	return atomic_load(&c->stop);
}

static int still_mine(const struct worker_arg *w)
{
	return atomic_load(&w->ts->gen) == w->gen && !atomic_load(&w->ts->c->stop);
}

static enum target_state state_for(const struct err *e)
{
	return e->code == ERR_TIMEOUT ? TARGET_STALLED
	       : e->code == ERR_AUTH ? TARGET_AUTH : TARGET_DOWN;
}

static void finish_sample(struct tstate *ts, struct engine_conn *conn, struct rate_state *rs,
			  struct snapshot *snap, double t0)
{
	struct db_sample *x = &snap->s;
	sample_derive(x);
	rates_apply(rs, x);
	rates_keep_top(x, COLLECTOR_TOP_QUERIES);
	for (size_t i = 0; i < x->nqueries; i++) {
		const char *t = ts->ops->query_text ? ts->ops->query_text(conn, x->queries[i].queryid) : NULL;
		x->queries[i].text = t ? strdup(t) : NULL;
	}
	snap->mono = t0;
	snap->cost_ms_s = x->roundtrip_ms / ts->conf.interval_s;
}

/* One sample: 0 published, -1 failed (connection dropped), 1 abandoned. */
static int sample_once(struct worker_arg *w, struct engine_conn **conn, struct rate_state *rs)
{
	struct tstate *ts = w->ts;
	struct err err = {0};
	struct snapshot *snap = snapshot_new();
	if (!snap)
		return -1;
	double t0 = engine_now(), deadline = t0 + ts->conf.timeout_s;
	atomic_store(&ts->busy_until, deadline + GRACE_S);
	int rc = ts->ops->sample(*conn, &snap->s, deadline, &err);
	atomic_store(&ts->busy_until, 0.0);
	if (!still_mine(w)) {
		snapshot_release(&snap);
		return 1;
	}
	if (rc < 0) {
		snapshot_release(&snap);
		store_set_state(ts->c->st, ts->idx, state_for(&err), &err);
		ts->ops->close(*conn);
		*conn = NULL;
		return -1;
	}
	finish_sample(ts, *conn, rs, snap, t0);
	store_publish(ts->c->st, ts->idx, snap);
	return 0;
}

static void *worker_main(void *p)
{
	struct worker_arg w = *(struct worker_arg *)p;
	free(p);
	struct tstate *ts = w.ts;
	struct collector *c = ts->c;
	struct engine_conn *conn = NULL;
	struct rate_state rs = {0};
	double backoff = BACKOFF_MIN_S;
	if (w.first_wait > 0)
		nap(c, w.first_wait);
	while (still_mine(&w)) {
		double t0 = engine_now();
		if (!conn) {
			struct err err = {0};
			atomic_store(&ts->busy_until, t0 + ts->conf.timeout_s + GRACE_S);
			conn = ts->ops->connect(ts->conf.dsn, ts->conf.timeout_s, &err);
			atomic_store(&ts->busy_until, 0.0);
			if (!still_mine(&w))
				break;
			if (!conn) {
				store_set_state(c->st, ts->idx, state_for(&err), &err);
				nap(c, backoff);
				backoff = backoff * 2 < BACKOFF_MAX_S ? backoff * 2 : BACKOFF_MAX_S;
				continue;
			}
			rates_release(&rs);
		}
		int rc = sample_once(&w, &conn, &rs);
		if (rc > 0)
			break;
		if (rc < 0) {
			nap(c, backoff);
			continue;
		}
		backoff = BACKOFF_MIN_S;
		double left = ts->conf.interval_s - (engine_now() - t0);
		if (left > 0)
			nap(c, left);
	}
	if (conn)
		ts->ops->close(conn);
	if (ts->ops->thread_end)
		ts->ops->thread_end();
	rates_release(&rs);
	atomic_fetch_sub(&c->live, 1);
	collector_unref(c);
	return NULL;
}

static int spawn(struct tstate *ts, double first_wait)
{
	struct collector *c = ts->c;
	if (atomic_load(&c->live) >= COLLECTOR_MAX_THREADS)
		return -1;
	struct worker_arg *w = malloc(sizeof *w);
	if (!w)
		return -1;
	*w = (struct worker_arg){ts, atomic_load(&ts->gen), first_wait};
	atomic_fetch_add(&c->refs, 1);
	atomic_fetch_add(&c->live, 1);
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_t th;
	int rc = pthread_create(&th, &a, worker_main, w);
	pthread_attr_destroy(&a);
	if (rc != 0) {
		atomic_fetch_sub(&c->live, 1);
		atomic_fetch_sub(&c->refs, 1);
		free(w);
		return -1;
	}
	return 0;
}

static void abandon(struct tstate *ts, double stuck_for)
{
	struct err err = {ERR_TIMEOUT, ""};
	atomic_fetch_add(&ts->gen, 1);
	atomic_store(&ts->busy_until, 0.0);
	int ok = spawn(ts, BACKOFF_MIN_S) == 0;
	snprintf(err.msg, sizeof err.msg, "no answer for %.0fs: worker abandoned%s", stuck_for,
		 ok ? ", reconnecting" : ", too many stuck workers");
	store_set_state(ts->c->st, ts->idx, TARGET_STALLED, &err);
}

static void *watchdog_main(void *p)
{
	struct collector *c = p;
	while (!nap(c, 0.2)) {
		double now = engine_now();
		for (size_t i = 0; i < c->n; i++) {
			double until = atomic_load(&c->ts[i]->busy_until);
			if (until > 0 && now > until)
				abandon(c->ts[i], now - until + c->ts[i]->conf.timeout_s + GRACE_S);
		}
	}
	atomic_fetch_sub(&c->live, 1);
	collector_unref(c);
	return NULL;
}

struct collector *collector_new(struct store *st, const struct collector_target *t, size_t n,
				struct err *err)
{
	struct collector *c = calloc(1, sizeof *c);
	if (!c || !(c->ts = calloc(n ? n : 1, sizeof *c->ts))) {
		free(c);
		snprintf(err->msg, sizeof err->msg, "out of memory");
		return NULL;
	}
	if (engine_init_all() < 0 || aws_global_init() < 0) {
		free(c->ts);
		free(c);
		snprintf(err->msg, sizeof err->msg, "cannot initialise the database client libraries");
		return NULL;
	}
	c->st = st;
	c->n = n;
	atomic_init(&c->refs, 1);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	for (size_t i = 0; i < n; i++) {
		const char *eng = t[i].engine[0] ? t[i].engine : collector_engine_for_dsn(t[i].dsn);
		const struct engine_ops *ops = eng ? engine_find(eng) : NULL;
		struct tstate *ts = calloc(1, sizeof *ts);
		if (!ops || !ts) {
			err->code = ERR_CONFIG;
			snprintf(err->msg, sizeof err->msg, "target '%s': %s", t[i].name,
				 ts ? "unknown engine" : "out of memory");
			free(ts);
			c->n = i;
			collector_stop(c, 0);
			return NULL;
		}
		*ts = (struct tstate){.c = c, .idx = i, .conf = t[i], .ops = ops};
		c->ts[i] = ts;
		char ep[96];
		collector_endpoint(t[i].dsn, ep, sizeof ep);
		store_describe(st, i, t[i].name, ops->name, ep, t[i].interval_s, t[i].timeout_s);
		store_set_cloud_id(st, i, t[i].aws_instance);
	}
	struct action_target *at = calloc(n ? n : 1, sizeof *at);
	for (size_t i = 0; at && i < n; i++)
		at[i] = (struct action_target){.conf = t[i], .ops = c->ts[i]->ops};
	c->aq = at ? actq_new(st, at, n) : NULL;
	free(at);
	if (!c->aq) {
		snprintf(err->msg, sizeof err->msg, "out of memory");
		collector_stop(c, 0);
		return NULL;
	}
	return c;
}

void collector_set_cloud(struct collector *c, const struct cloud_config *cfg)
{
	c->cloud = *cfg;
	actq_set_cloud(c->aq, cfg);
}

void collector_set_audit(struct collector *c, const char *path)
{
	actq_set_audit(c->aq, path);
}

int collector_act(struct collector *c, const struct action_request *r, struct err *err)
{
	return actq_submit(c->aq, r, err);
}

int collector_action_sql(const struct collector *c, const struct action_request *r, char *sql, size_t n,
			 struct err *err)
{
	return actq_sql(c->aq, r, sql, n, err);
}

static void thread_done(void *p);

static void *action_main(void *p)
{
	struct collector *c = p;
	actq_run(c->aq, &c->stop);
	thread_done(c);
	return NULL;
}

static void thread_done(void *p)
{
	struct collector *c = p;
	atomic_fetch_sub(&c->live, 1);
	collector_unref(c);
}

int collector_start(struct collector *c, struct err *err)
{
	for (size_t i = 0; i < c->n; i++)
		if (spawn(c->ts[i], 0) < 0)
			goto fail;
	pthread_t th;
	atomic_fetch_add(&c->refs, 1);
	atomic_fetch_add(&c->live, 1);
	if (pthread_create(&th, NULL, watchdog_main, c) != 0) {
		atomic_fetch_sub(&c->refs, 1);
		atomic_fetch_sub(&c->live, 1);
		goto fail;
	}
	pthread_detach(th);
	atomic_fetch_add(&c->refs, 1);
	atomic_fetch_add(&c->live, 1);
	if (pthread_create(&th, NULL, action_main, c) != 0) {
		atomic_fetch_sub(&c->refs, 1);
		atomic_fetch_sub(&c->live, 1);
		goto fail;
	}
	pthread_detach(th);
	if (c->cloud.enabled) {
		struct cloud_run *r = calloc(1, sizeof *r);
		if (!r)
			goto fail;
		*r = (struct cloud_run){.st = c->st, .cfg = c->cloud, .stop = &c->stop, .mu = &c->mu,
					.cv = &c->cv, .done = thread_done, .done_arg = c};
		atomic_fetch_add(&c->refs, 1);
		atomic_fetch_add(&c->live, 1);
		if (pthread_create(&th, NULL, cloud_main, r) != 0) {
			atomic_fetch_sub(&c->refs, 1);
			atomic_fetch_sub(&c->live, 1);
			free(r);
			goto fail;
		}
		pthread_detach(th);
	}
	return 0;
fail:
	err->code = ERR_FAIL;
	snprintf(err->msg, sizeof err->msg, "cannot start collector threads");
	return -1;
}

int collector_stop(struct collector *c, double wait_s)
{
	if (!c)
		return 0;
	pthread_mutex_lock(&c->mu);
	atomic_store(&c->stop, 1);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	actq_wake(c->aq);
	/* idle workers wake and close their connections at once; stuck ones never do */
	double until = engine_now() + wait_s;
	while (atomic_load(&c->live) > 0 && engine_now() < until)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	int left = atomic_load(&c->live);
	collector_unref(c);
	return left;
}

int collector_engine_known(const char *name)
{
	return engine_find(name) != NULL;
}

const char *collector_engine_for_dsn(const char *dsn)
{
	const struct engine_ops *ops = engine_for_dsn(dsn);
	return ops ? ops->name : NULL;
}

void collector_endpoint(const char *dsn, char *out, size_t n)
{
	const struct engine_ops *ops = engine_for_dsn(dsn);
	out[0] = '\0';
	if (ops && ops->endpoint)
		ops->endpoint(dsn, out, n);
}
