/*
 * scheduler.c - the collector: targets, the sampler threads and the blocking
 * pool they share, the action worker and the AWS thread.
 *
 * DESIGN
 * - Threads do not grow with targets: 'nsamplers' sampler threads (about
 *   one per core, settable) each drive many targets' non-blocking
 *   connections (sampler.c); one pool of POOL_WORKERS blocking workers
 *   (pool.c) does what cannot be made non-blocking, abandoning a stuck call
 *   (at most POOL_MAX_STUCK at once) instead of waiting for it.
 * - Targets live in a grow array (grow.h): adopting a discovered instance
 *   adds one without moving the others, under 'adopt_mu', and hands it to
 *   the least loaded sampler. A target's first connect is staggered by its
 *   index (STAGGER_PER_S a second), so a thousand targets do not hit the
 *   servers, DNS and the CPU in the same second.
 * - Threads are detached; the collector and its targets are reference
 *   counted (the main thread, every thread), so whoever is last frees
 *   them. collector_stop() sets 'stop' and wakes sleepers; it never joins,
 *   so a thread stuck in a library call cannot delay quitting.
 */
#include "collector.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../aws/aws.h"
#include "../engines/engine.h"
#include "actions.h"
#include "cloud.h"
#include "drill.h"
#include "explain.h"
#include "grow.h"
#include "pool.h"
#include "sampler.h"

/* MySQL connects run here (by name, for VERIFY_IDENTITY) and a host that accepts TCP
 * and never greets holds a worker for its whole timeout: six, so a few such hosts
 * leave room for the rest. Threads stay at most 17: 3 samplers, 6 workers, 3 stuck,
 * the supervisor, main, the action worker, the prober (drill.c) and the AWS thread. */
#define POOL_WORKERS 6
#define POOL_MAX_STUCK 3
#define SAMPLERS_MAX 16
#define SAMPLERS_DEFAULT_MAX 3 /* one per core, up to this: threads stay few on big machines */
#define STAGGER_PER_S 200.0 /* first connects a second */

struct collector {
	struct store *st;
	atomic_size_t n;                /* targets in use: configured, then adopted */
	struct grow ts;                 /* of struct tstate; [0, n) */
	pthread_mutex_t adopt_mu;       /* serialises adoptions (the cloud thread's) */
	int started;                    /* guarded by adopt_mu: new targets go to a sampler at once */
	atomic_int stop;
	atomic_int live;                /* threads alive (samplers, action worker, cloud) */
	pthread_mutex_t mu;             /* guards nothing but the cloud thread's sleep */
	pthread_cond_t cv;              /* signalled on stop */
	atomic_int refs;                /* the main thread + every thread */
	struct cloud_config cloud;      /* immutable after collector_set_cloud */
	struct actq *aq;                /* the action worker's queue (it locks itself) */
	int nsamplers;                  /* immutable after collector_start */
	struct sampler *samplers[SAMPLERS_MAX];
	struct pool *pool;
	atomic_int cancels;             /* the samplers' abandon jobs in flight */
	struct drill *drill;            /* write probes, the SLO state file, drills (its own lock) */
	struct explain_gate explain;    /* plans asked for on a key (explain.c): one in flight */
};

#define TS(c, i) ((struct tstate *)grow_at(&(c)->ts, (i)))

/* Drop a reference; the last one frees the targets too. */
static void collector_unref(struct collector *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	for (int i = 0; i < SAMPLERS_MAX; i++)
		sampler_free(&c->samplers[i]);
	pool_free(&c->pool);
	drill_free(&c->drill);
	grow_release(&c->ts);
	actq_free(c->aq);
	pthread_mutex_destroy(&c->adopt_mu);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}

static void thread_done(void *p)
{
	struct collector *c = p;
	atomic_fetch_sub(&c->live, 1);
	collector_unref(c);
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
		explicit_bzero(&cr, sizeof cr);
		err_set(err, ERR_AUTH, "IAM token: %.200s", why[0] ? why : "cannot make one");
		return NULL;
	}
	explicit_bzero(&cr, sizeof cr);
	snprintf(dsn, sizeof dsn, "%s password='%s'", t->dsn, token); /* the token has no quote or backslash */
	struct engine_conn *conn = ops->connect(dsn, t->timeout_s, err);
	explicit_bzero(token, sizeof token);
	explicit_bzero(dsn, sizeof dsn);
	return conn;
}

/* Describe target 'i' in the store and the action worker's table; 0, or -1 with 'err'. */
static int add_target(struct collector *c, size_t i, const struct collector_target *t, struct err *err)
{
	const char *eng = t->engine[0] ? t->engine : collector_engine_for_dsn(t->dsn);
	const struct engine_ops *ops = eng ? engine_find(eng) : NULL;
	if (!ops)
		return err_set(err, ERR_CONFIG, "target '%s': unknown engine", t->name);
	struct tstate *ts = grow_make(&c->ts, i);
	if (!ts || store_reserve(c->st, i + 1) < 0)
		return err_set(err, ERR_FAIL, "target '%s': out of memory", t->name);
	*ts = (struct tstate){.idx = i, .conf = *t, .ops = ops, .armed_fd = -1};
	collector_endpoint(t->dsn, ts->endpoint, sizeof ts->endpoint);
	store_describe(c->st, i, t->name, ops->name, ts->endpoint, t->interval_s, t->timeout_s);
	store_set_cloud_id(c->st, i, t->aws_instance);
	store_set_cloud_account(c->st, i, t->aws_account);
	store_set_tags(c->st, i, t->tags);
	store_set_slo_group(c->st, i, t->slo_group, t->slo_group_availability);
	if (t->slo_availability > 0)
		store_set_slo(c->st, i, t->slo_availability, t->slo_latency_ms, t->slo_window_days ? t->slo_window_days : 7);
	return 0;
}

struct collector *collector_new(struct store *st, const struct collector_target *t, size_t n,
				struct err *err)
{
	struct collector *c = calloc(1, sizeof *c);
	if (!c) {
		err_set(err, ERR_FAIL, "out of memory");
		return NULL;
	}
	if (engine_init_all() < 0 || aws_global_init() < 0) {
		free(c);
		err_set(err, ERR_FAIL, "cannot initialise the database client libraries");
		return NULL;
	}
	c->st = st;
	grow_init(&c->ts, sizeof(struct tstate));
	atomic_init(&c->refs, 1);
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->adopt_mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	struct action_target *at = calloc(n ? n : 1, sizeof *at);
	c->drill = drill_new(st);
	if (!at || !c->drill) {
		free(at);
		err_set(err, ERR_FAIL, "out of memory");
		collector_stop(c, 0);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (add_target(c, i, &t[i], err) < 0 || drill_add_target(c->drill, i, &t[i], TS(c, i)->ops, err) < 0) {
			free(at);
			collector_stop(c, 0);
			return NULL;
		}
		at[i] = (struct action_target){.conf = t[i], .ops = TS(c, i)->ops};
	}
	atomic_store(&c->n, n);
	c->aq = actq_new(st, at, n);
	free(at);
	if (!c->aq) {
		err_set(err, ERR_FAIL, "out of memory");
		collector_stop(c, 0);
		return NULL;
	}
	return c;
}

void collector_set_samplers(struct collector *c, int n)
{
	c->nsamplers = n;
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

int collector_actions_busy(struct collector *c, char *what, size_t n)
{
	return actq_busy(c->aq, what, n);
}

int collector_finish_actions(struct collector *c, double wait_s)
{
	return actq_finish(c->aq, wait_s);
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

int collector_explain(struct collector *c, size_t t, const struct db_explain *q, struct err *err)
{
	if (t >= atomic_load(&c->n) || !c->pool)
		return err_set(err, ERR_CONFIG, "no such target");
	return explain_submit(c->pool, &c->explain, c->st, t, &TS(c, t)->conf, TS(c, t)->ops, &c->stop, q, err);
}

int collector_save_plan(struct collector *c, int id, const char *leaf, char *text, struct err *err)
{
	if (!c->pool) {
		free(text);
		return err_set(err, ERR_FAIL, "not saved: dbfleet is not running its workers");
	}
	return explain_save_submit(c->pool, c->st, id, leaf, text, err);
}

/* Give a target to the least loaded sampler; 0 or -1. Under adopt_mu. */
static int hand_to_sampler(struct collector *c, struct tstate *t, double first)
{
	struct sampler *best = NULL;
	for (int i = 0; i < c->nsamplers; i++)
		if (!best || sampler_load(c->samplers[i]) < sampler_load(best))
			best = c->samplers[i];
	return best ? sampler_add(best, t, first) : -1;
}

/*
 * A discovered instance the config says to connect to: a target of its own
 * (named by its id) unless one already stands for it. Its worker starts at
 * once; the store shows it from then on. Called on the cloud thread.
 */
static int adopt(void *arg, const struct cloud_instance *ci, char *why, size_t nwhy)
{
	struct collector *c = arg;
	const struct cloud_config *cfg = &c->cloud;
	int pg = !strcmp(ci->engine, "postgres") || !strcmp(ci->engine, "aurora-postgresql");
	int my = !strcmp(ci->engine, "mysql") || !strcmp(ci->engine, "mariadb") || !strcmp(ci->engine, "aurora-mysql");
	if (!pg && !my)
		return 0;
	char ep[200];
	snprintf(ep, sizeof ep, "%s:%d", ci->host, ci->port);
	pthread_mutex_lock(&c->adopt_mu);
	size_t n = atomic_load(&c->n);
	int taken = 0; /* its id names a target of another account: the new one is "id@account" */
	for (size_t i = 0; i < n; i++) {
		const struct tstate *ts = TS(c, i);
		int same = !strcmp(ts->conf.name, ci->id) || !strcmp(ts->conf.aws_instance, ci->id) || !strcmp(ts->endpoint, ep);
		const char *acct = ts->conf.aws_account;
		if (same && acct[0] && strcmp(acct, ci->account) && strcmp(acct, ci->account_alias)) {
			taken |= !strcmp(ts->conf.name, ci->id);
			continue;
		}
		if (same) {
			pthread_mutex_unlock(&c->adopt_mu);
			return 0; /* a target stands for it already */
		}
	}
	/* the host comes from an AWS answer: it must not be able to add conninfo keys */
	const char *tls = cfg->connect_tls[0] ? cfg->connect_tls : "verify-full";
	int verify = !strcmp(tls, "verify-full");
	const char *bad = !aws_host_is_dns_name(ci->host) ? "the host name AWS gave is not a DNS name"
			  : ci->port <= 0 || ci->port > 65535 ? "the port AWS gave is out of range"
			  : cfg->connect_iam && !verify ? "[aws] connect_auth = iam sends a token: it needs"
							  " connect_tls = verify-full (a man in the middle would get it)"
			  : verify && !cfg->ca_bundle[0] ? "connect_tls = verify-full needs [aws] ca_bundle = FILE, the"
							   " RDS CA bundle (global-bundle.pem from"
							   " truststore.pki.rds.amazonaws.com)"
			  : NULL;
	if (!bad && verify && access(cfg->ca_bundle, R_OK) < 0) {
		snprintf(why, nwhy, "cannot read [aws] ca_bundle '%.120s': %s", cfg->ca_bundle, strerror(errno));
		pthread_mutex_unlock(&c->adopt_mu);
		return -1;
	}
	if (bad) {
		snprintf(why, nwhy, "%s", bad);
		pthread_mutex_unlock(&c->adopt_mu);
		return -1;
	}
	struct collector_target t = {0};
	if (taken)
		snprintf(t.name, sizeof t.name, "%.40s@%.22s", ci->id, ci->account_alias[0] ? ci->account_alias : ci->account);
	else
		snprintf(t.name, sizeof t.name, "%s", ci->id);
	snprintf(t.aws_instance, sizeof t.aws_instance, "%s", ci->id);
	snprintf(t.aws_account, sizeof t.aws_account, "%s", ci->account);
	const char *user = cfg->connect_user[0] ? cfg->connect_user : "dbfleet";
	int w;
	if (pg) {
		snprintf(t.engine, sizeof t.engine, "postgres");
		w = snprintf(t.dsn, sizeof t.dsn, "host=%s port=%d user=%s dbname=%s sslmode=%s%s%s%s", ci->host, ci->port,
			 user, cfg->connect_db[0] ? cfg->connect_db : "postgres", tls, verify ? " sslrootcert='" : "",
			 verify ? cfg->ca_bundle : "", verify ? "'" : "");
	} else {
		snprintf(t.engine, sizeof t.engine, "mysql");
		w = snprintf(t.dsn, sizeof t.dsn, "mysql://%s@%s:%d/%s?ssl-mode=%s%s%s", user, ci->host, ci->port,
			 cfg->connect_db[0] ? cfg->connect_db : "", !strcmp(tls, "prefer") ? "PREFERRED"
			 : verify ? "VERIFY_IDENTITY" : "REQUIRED", verify ? "&ssl-ca=" : "", verify ? cfg->ca_bundle : "");
	}
	if (w < 0 || (size_t)w >= sizeof t.dsn) { /* cut short, it could lose the CA */
		snprintf(why, nwhy, "the connection string would be longer than %zu characters", sizeof t.dsn - 1);
		pthread_mutex_unlock(&c->adopt_mu);
		return -1;
	}
	t.interval_s = cfg->interval_s > 0 ? cfg->interval_s : 2;
	t.timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : 3;
	if (cfg->connect_iam && pg) {
		t.iam = 1;
		snprintf(t.iam_host, sizeof t.iam_host, "%s", ci->host);
		t.iam_port = ci->port;
		snprintf(t.iam_user, sizeof t.iam_user, "%s", user);
		snprintf(t.iam_region, sizeof t.iam_region, "%s", ci->region);
		snprintf(t.iam_profile, sizeof t.iam_profile, "%s", ci->profile[0] ? ci->profile : cfg->profile);
	}
	struct err err = {0};
	if (add_target(c, n, &t, &err) < 0 ||
	    actq_adopt(c->aq, n, &(struct action_target){.conf = t, .ops = TS(c, n)->ops}) < 0) {
		snprintf(why, nwhy, "%s", err.msg[0] ? err.msg : "out of memory");
		pthread_mutex_unlock(&c->adopt_mu);
		return -1;
	}
	store_set_cloud_id(c->st, n, ci->id);
	store_set_cloud_account(c->st, n, ci->account);
	atomic_store(&c->n, n + 1);
	store_set_count(c->st, n + 1);
	if (c->started)
		hand_to_sampler(c, TS(c, n), clock_mono());
	pthread_mutex_unlock(&c->adopt_mu);
	return 0;
}

static void *action_main(void *p)
{
	struct collector *c = p;
	actq_run(c->aq, &c->stop);
	thread_done(c);
	return NULL;
}

int collector_start(struct collector *c, struct err *err)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int ns = c->nsamplers > 0 ? c->nsamplers : cores > SAMPLERS_DEFAULT_MAX ? SAMPLERS_DEFAULT_MAX
									: cores > 0 ? (int)cores : 2;
	ns = ns > SAMPLERS_MAX ? SAMPLERS_MAX : ns;
	c->pool = pool_new(POOL_WORKERS, POOL_MAX_STUCK, engine_thread_end_all);
	if (!c->pool)
		goto fail;
	for (int i = 0; i < ns; i++) {
		struct sampler_env env = {.st = c->st, .pool = c->pool, .stop = &c->stop, .cancels = &c->cancels,
					  .fast = drill_fast(c->drill), .done = thread_done, .done_arg = c};
		if (!(c->samplers[i] = sampler_new(&env)))
			goto fail;
		atomic_fetch_add(&c->refs, 1);
		atomic_fetch_add(&c->live, 1);
		if (sampler_start(c->samplers[i]) < 0) {
			atomic_fetch_sub(&c->refs, 1);
			atomic_fetch_sub(&c->live, 1);
			sampler_free(&c->samplers[i]);
			goto fail;
		}
		c->nsamplers = i + 1;
	}
	pthread_mutex_lock(&c->adopt_mu);
	c->started = 1;
	double now = clock_mono();
	for (size_t i = 0; i < atomic_load(&c->n); i++)
		if (hand_to_sampler(c, TS(c, i), now + (double)i / STAGGER_PER_S) < 0) {
			pthread_mutex_unlock(&c->adopt_mu);
			goto fail;
		}
	pthread_mutex_unlock(&c->adopt_mu);
	pthread_t th;
	atomic_fetch_add(&c->refs, 1);
	atomic_fetch_add(&c->live, 1);
	if (pthread_create(&th, NULL, action_main, c) != 0) {
		atomic_fetch_sub(&c->refs, 1);
		atomic_fetch_sub(&c->live, 1);
		goto fail;
	}
	pthread_detach(th);
	struct drill_env de = {.st = c->st, .pool = c->pool, .stop = &c->stop, .mu = &c->mu, .cv = &c->cv,
			       .done = thread_done, .done_arg = c};
	atomic_fetch_add(&c->refs, 1);
	atomic_fetch_add(&c->live, 1);
	if (drill_start(c->drill, &de) < 0) {
		atomic_fetch_sub(&c->refs, 1);
		atomic_fetch_sub(&c->live, 1);
		goto fail;
	}
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
	err_set(err, ERR_FAIL, "cannot start collector threads");
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
	for (int i = 0; i < c->nsamplers; i++)
		sampler_wake(c->samplers[i]);
	if (c->pool)
		pool_stop(c->pool);
	/* idle threads wake and close their connections at once; stuck ones never do */
	double until = clock_mono() + wait_s;
	int left;
	while ((left = atomic_load(&c->live) + (c->pool ? pool_threads(c->pool) : 0)) > 0 && clock_mono() < until)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	collector_unref(c);
	return left;
}

void collector_set_fleet(struct collector *c, const char *fleet)
{
	drill_set_fleet(c->drill, fleet);
}

int collector_drill_begin(struct collector *c, const char *name, struct err *err)
{
	return drill_begin(c->drill, name, err);
}

int collector_drill_end(struct collector *c, struct err *err)
{
	return drill_end(c->drill, err);
}

void collector_drill_status(struct collector *c, struct collector_drill *out)
{
	drill_status(c->drill, out);
}

int collector_drill_finish(struct collector *c, char *path, size_t n)
{
	return drill_finish(c->drill, path, n);
}

void collector_mark(struct collector *c, const char *text)
{
	struct tl_event ev = {.at = clock_wall(), .source = TL_SRC_DRILL, .kind = TL_MARK, .level = TL_INFO};
	snprintf(ev.text, sizeof ev.text, "%s", text);
	store_timeline_add(c->st, &ev);
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

int collector_dsn_has_secret(const char *dsn, char *why, size_t n)
{
	return engine_dsn_has_secret(dsn, why, n);
}

void collector_endpoint(const char *dsn, char *out, size_t n)
{
	const struct engine_ops *ops = engine_for_dsn(dsn);
	out[0] = '\0';
	if (ops && ops->endpoint)
		ops->endpoint(dsn, out, n);
}
