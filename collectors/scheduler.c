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
	atomic_size_t n;                /* targets in use: configured, then adopted */
	size_t cap;                     /* slots in ts[] and the store */
	pthread_mutex_t adopt_mu;       /* serialises adoptions (the cloud thread's) */
	int started;                    /* guarded by adopt_mu: workers of new targets start at once */
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
	for (size_t i = 0; i < atomic_load(&c->n); i++)
		free(c->ts[i]);
	actq_free(c->aq);
	pthread_mutex_destroy(&c->adopt_mu);
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
	double t0 = clock_mono(), deadline = t0 + ts->conf.timeout_s;
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

/*
 * Connect with an IAM database authentication token as the password: made
 * for each connect (it lasts 15 minutes), put in a copy of the DSN that is
 * wiped after use and never shown.
 */
struct engine_conn *target_connect(const struct collector_target *t, const struct engine_ops *ops,
				   const atomic_int *stop, struct err *err)
{
	if (!t->iam)
		return ops->connect(t->dsn, t->timeout_s, err);
	struct aws_creds cr;
	char src[96], region[32], why[256] = "", token[AWS_IAM_TOKEN_MAX], dsn[sizeof t->dsn + AWS_IAM_TOKEN_MAX + 32];
	if (aws_creds_resolve_chain(t->iam_profile[0] ? t->iam_profile : NULL, stop, &cr, src, sizeof src,
				    region, sizeof region, why, sizeof why) < 0 ||
	    aws_rds_iam_token(&cr, t->iam_host, t->iam_port, t->iam_user, t->iam_region, time(NULL), token,
			      sizeof token) < 0) {
		memset(&cr, 0, sizeof cr);
		err->code = ERR_AUTH;
		snprintf(err->msg, sizeof err->msg, "IAM token: %.200s", why[0] ? why : "cannot make one");
		return NULL;
	}
	memset(&cr, 0, sizeof cr);
	snprintf(dsn, sizeof dsn, "%s password='%s'", t->dsn, token); /* the token has no quote or backslash */
	struct engine_conn *conn = ops->connect(dsn, t->timeout_s, err);
	memset(token, 0, sizeof token);
	memset(dsn, 0, sizeof dsn);
	return conn;
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
		double t0 = clock_mono();
		if (!conn) {
			struct err err = {0};
			atomic_store(&ts->busy_until, t0 + ts->conf.timeout_s + GRACE_S);
			conn = target_connect(&ts->conf, ts->ops, &c->stop, &err);
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
		double left = ts->conf.interval_s - (clock_mono() - t0);
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
		double now = clock_mono();
		size_t n = atomic_load(&c->n);
		for (size_t i = 0; i < n; i++) {
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
	size_t cap = store_capacity(st) > n ? store_capacity(st) : n;
	if (!c || !(c->ts = calloc(cap ? cap : 1, sizeof *c->ts))) {
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
	c->cap = cap;
	atomic_init(&c->n, n);
	atomic_init(&c->refs, 1);
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->adopt_mu, NULL);
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
			atomic_store(&c->n, i);
			collector_stop(c, 0);
			return NULL;
		}
		*ts = (struct tstate){.c = c, .idx = i, .conf = t[i], .ops = ops};
		c->ts[i] = ts;
		char ep[96];
		collector_endpoint(t[i].dsn, ep, sizeof ep);
		store_describe(st, i, t[i].name, ops->name, ep, t[i].interval_s, t[i].timeout_s);
		store_set_cloud_id(st, i, t[i].aws_instance);
		store_set_tags(st, i, t[i].tags);
	}
	struct action_target *at = calloc(n ? n : 1, sizeof *at);
	for (size_t i = 0; at && i < n; i++)
		at[i] = (struct action_target){.conf = t[i], .ops = c->ts[i]->ops};
	c->aq = at ? actq_new(st, at, n, cap) : NULL;
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
static int spawn(struct tstate *ts, double first_wait);

/*
 * A discovered instance the config says to connect to: a target of its own
 * (named by its id) unless one already stands for it. Its worker starts at
 * once; the store shows it from then on. Called on the cloud thread.
 */
static void adopt(void *arg, const struct cloud_instance *ci)
{
	struct collector *c = arg;
	const struct cloud_config *cfg = &c->cloud;
	int pg = !strcmp(ci->engine, "postgres") || !strcmp(ci->engine, "aurora-postgresql");
	int my = !strcmp(ci->engine, "mysql") || !strcmp(ci->engine, "mariadb") || !strcmp(ci->engine, "aurora-mysql");
	if (!pg && !my)
		return;
	char ep[200];
	snprintf(ep, sizeof ep, "%s:%d", ci->host, ci->port);
	pthread_mutex_lock(&c->adopt_mu);
	size_t n = atomic_load(&c->n);
	for (size_t i = 0; i < n; i++) {
		struct target_status st;
		struct snapshot *snap = store_get(c->st, i, &st);
		snapshot_release(&snap);
		if (!strcmp(c->ts[i]->conf.name, ci->id) || !strcmp(c->ts[i]->conf.aws_instance, ci->id) ||
		    !strcmp(st.endpoint, ep)) {
			pthread_mutex_unlock(&c->adopt_mu);
			return; /* a target stands for it already */
		}
	}
	struct tstate *ts = n < c->cap ? calloc(1, sizeof *ts) : NULL;
	if (!ts) {
		pthread_mutex_unlock(&c->adopt_mu);
		return;
	}
	struct collector_target t = {0};
	const char *tls = cfg->connect_tls[0] ? cfg->connect_tls : "require";
	snprintf(t.name, sizeof t.name, "%s", ci->id);
	snprintf(t.aws_instance, sizeof t.aws_instance, "%s", ci->id);
	const char *user = cfg->connect_user[0] ? cfg->connect_user : "dbfleet";
	if (pg) {
		snprintf(t.engine, sizeof t.engine, "postgres");
		snprintf(t.dsn, sizeof t.dsn, "host=%s port=%d user=%s dbname=%s sslmode=%s", ci->host, ci->port, user,
			 cfg->connect_db[0] ? cfg->connect_db : "postgres", tls);
	} else {
		snprintf(t.engine, sizeof t.engine, "mysql");
		snprintf(t.dsn, sizeof t.dsn, "mysql://%s@%s:%d/%s?ssl-mode=%s", user, ci->host, ci->port,
			 cfg->connect_db[0] ? cfg->connect_db : "", !strcmp(tls, "prefer") ? "PREFERRED"
			 : !strcmp(tls, "verify-full") ? "VERIFY_IDENTITY" : "REQUIRED");
	}
	t.interval_s = cfg->interval_s > 0 ? cfg->interval_s : 2;
	t.timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : 3;
	if (cfg->connect_iam && pg) {
		t.iam = 1;
		snprintf(t.iam_host, sizeof t.iam_host, "%s", ci->host);
		t.iam_port = ci->port;
		snprintf(t.iam_user, sizeof t.iam_user, "%s", user);
		snprintf(t.iam_region, sizeof t.iam_region, "%s", ci->region);
		snprintf(t.iam_profile, sizeof t.iam_profile, "%s", cfg->profile);
	}
	*ts = (struct tstate){.c = c, .idx = n, .conf = t, .ops = engine_find(t.engine)};
	c->ts[n] = ts;
	actq_adopt(c->aq, n, &(struct action_target){.conf = t, .ops = ts->ops});
	char sep[200];
	collector_endpoint(t.dsn, sep, sizeof sep);
	store_describe(c->st, n, t.name, ts->ops->name, sep, t.interval_s, t.timeout_s);
	store_set_cloud_id(c->st, n, ci->id);
	atomic_store(&c->n, n + 1);
	store_set_count(c->st, n + 1);
	if (c->started)
		spawn(ts, 0);
	pthread_mutex_unlock(&c->adopt_mu);
}

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
	pthread_mutex_lock(&c->adopt_mu);
	c->started = 1;
	for (size_t i = 0; i < atomic_load(&c->n); i++)
		if (spawn(c->ts[i], 0) < 0) {
			pthread_mutex_unlock(&c->adopt_mu);
			goto fail;
		}
	pthread_mutex_unlock(&c->adopt_mu);
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
					.cv = &c->cv, .done = thread_done, .done_arg = c, .adopt = adopt};
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
	double until = clock_mono() + wait_s;
	while (atomic_load(&c->live) > 0 && clock_mono() < until)
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
