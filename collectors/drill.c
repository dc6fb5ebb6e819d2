/*
 * drill.c - the prober thread: write probes of application endpoints, the
 * SLO state file, drill mode.
 *
 * DESIGN
 * - One thread (drill_main) wakes every TICK_S on the collector's stop
 *   condition. It submits each application endpoint's write probe to the
 *   shared pool when due (every write_probe_s, 1 s during a drill), never a
 *   second while one is out: a hung endpoint holds one worker, and the
 *   pool abandons it past its deadline. A probe connects afresh (the way an
 *   application reconnects after a failover: through the writer DNS name or
 *   a read-write host list), writes, and closes.
 * - Results come back through 'results' (guarded by 'mu'); the thread alone
 *   reads them, turns a change between writable and not into a timeline
 *   entry, and an outage (last write before, first after) into a record.
 * - While a drill runs, every second it notes each target's replica lag
 *   from the store: the peaks for the report, a ring of the fleet's worst
 *   lag and one per endpoint of its own replication set's (the standbys of
 *   the writer it points at, as that writer reports them), so an outage can
 *   say what the lag was at its last write (the data an asynchronous
 *   replica had not yet: the RPO estimate); the fleet's worst only when no
 *   standby of the endpoint's writer was sampled, and the report says so.
 * - 'mu' guards the drill's state (name, times, outages, peaks, results,
 *   the ask to end). The report is built from a copy and written outside it:
 *   by this thread on drill_end, by main on exit (drill_finish).
 * - Reference counted: the creator, the thread, each probe out.
 */
#include "drill.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../model/xdg.h"
#include "actions.h"
#include "grow.h"

#define TICK_S 0.2
#define WRITE_PROBE_DEFAULT_S 10.0

struct lag_at {
	double at, lag_s, lag_bytes;
	int fleet;                    /* a probe's: its writer had no standby sampled, these are the fleet's */
};

struct probe {
	size_t idx;
	struct collector_target conf;
	const struct engine_ops *ops;
	double next;                  /* monotonic: the next probe; the thread's */
	int out;                      /* one in flight; the thread's */
	int known, writable;          /* the last result; the thread's */
	double last_ok;               /* wall; the thread's */
	long outage;                  /* its open outage in d->out, -1 none; the thread's */
	struct lag_at ring[DRILL_LAG_RING]; /* its replication set's lag, 1 a second during a drill; the thread's */
	size_t ring_n;
};

struct wjob {
	struct job j;                 /* first: the pool's part */
	struct drill *d;
	size_t k;                     /* d->probes[k] */
	struct collector_target conf;
	const struct engine_ops *ops;
	const atomic_int *stop;
	int ok;
	double at;                    /* wall, when it ended */
	struct err err;
	struct wjob *next;
};

struct drill {
	atomic_int refs;
	atomic_int fast;              /* a drill runs: probes at 1 s */
	struct drill_env env;         /* set by drill_start */
	char fleet[64];
	char user[64], host[128], tty[64], ssh[128]; /* who runs dbfleet, from where (drill_new) */
	struct probe *probes;         /* immutable after drill_start but for the thread's fields */
	size_t nprobes;
	pthread_mutex_t mu;
	/* guarded by mu */
	struct wjob *results;
	int active, end_asked;
	char name[64];
	double started;
	struct drill_outage out[DRILL_OUTAGES];
	size_t nout;
	struct drill_peak *peaks;     /* by store index, grown as targets appear */
	size_t npeaks;
	struct lag_at ring[DRILL_LAG_RING];
	size_t ring_n;
};

static void drill_unref(struct drill *d)
{
	if (atomic_fetch_sub(&d->refs, 1) != 1)
		return;
	for (struct wjob *x = d->results, *next; x; x = next) {
		next = x->next;
		free(x);
	}
	free(d->probes);
	free(d->peaks);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

struct drill *drill_new(struct store *st)
{
	struct drill *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->env.st = st;
	atomic_init(&d->refs, 1);
	pthread_mutex_init(&d->mu, NULL);
	snprintf(d->fleet, sizeof d->fleet, "default");
	struct passwd *pw = getpwuid(getuid());
	snprintf(d->user, sizeof d->user, "%s", pw ? pw->pw_name : "?");
	if (gethostname(d->host, sizeof d->host - 1) < 0)
		snprintf(d->host, sizeof d->host, "?");
	const char *tty = ttyname(STDIN_FILENO), *ssh = getenv("SSH_CONNECTION");
	snprintf(d->tty, sizeof d->tty, "%s", tty ? tty : "");
	snprintf(d->ssh, sizeof d->ssh, "%s", ssh ? ssh : "");
	return d;
}

void drill_free(struct drill **d)
{
	if (d && *d)
		drill_unref(*d);
	if (d)
		*d = NULL;
}

void drill_set_fleet(struct drill *d, const char *fleet)
{
	snprintf(d->fleet, sizeof d->fleet, "%s", fleet && *fleet ? fleet : "default");
}

int drill_add_target(struct drill *d, size_t idx, const struct collector_target *t, const struct engine_ops *ops,
		     struct err *err)
{
	if (!t->app_endpoint)
		return 0;
	if (!ops->write_probe)
		return err_set(err, ERR_CONFIG, "target '%s': app_endpoint: the %s engine has no write probe", t->name,
			       ops->name);
	if (!t->heartbeat_table[0] && strcmp(ops->name, "postgres"))
		return err_set(err, ERR_CONFIG, "target '%s': app_endpoint on MySQL or MariaDB needs heartbeat_table ="
			       " TABLE (id INT PRIMARY KEY, ts DATETIME(6)): it has no statement that takes a transaction id",
			       t->name);
	struct probe *p = realloc(d->probes, (d->nprobes + 1) * sizeof *p);
	if (!p)
		return err_set(err, ERR_FAIL, "out of memory");
	d->probes = p;
	d->probes[d->nprobes++] = (struct probe){.idx = idx, .conf = *t, .ops = ops, .outage = -1};
	return 0;
}

const atomic_int *drill_fast(const struct drill *d)
{
	return &d->fast;
}

/* ---- the write probe, on a pool worker ---- */

static void wjob_run(struct job *j)
{
	struct wjob *x = (struct wjob *)j;
	struct engine_conn *c = NULL;
	if (!x->ops->write_probe)
		err_set(&x->err, ERR_CONFIG, "write probe: the %s engine has none", x->ops->name);
	else if ((c = target_connect(&x->conf, x->ops, x->stop, &x->err)))
		x->ok = x->ops->write_probe(c, x->conf.heartbeat_table, x->j.deadline, &x->err) == 0;
	x->at = clock_wall(); /* the write's answer, before the close */
	if (c)
		x->ops->close(c);
}

static void wjob_done(struct job *j)
{
	struct wjob *x = (struct wjob *)j;
	struct drill *d = x->d;
	if (!atomic_load(&x->j.started)) {
		x->ok = 0; /* not run: the pool stops, or it waited past its deadline */
		x->at = clock_wall();
		err_set(&x->err, ERR_TIMEOUT, "write probe: waited %gs for a blocking worker", x->conf.timeout_s);
	}
	pthread_mutex_lock(&d->mu);
	x->next = d->results;
	d->results = x;
	pthread_mutex_unlock(&d->mu);
	drill_unref(d);
}

static void submit_due(struct drill *d, double now)
{
	int fast = atomic_load(&d->fast);
	for (size_t k = 0; k < d->nprobes; k++) {
		struct probe *p = &d->probes[k];
		if (p->out || now < p->next)
			continue;
		double every = p->conf.write_probe_s > 0 ? p->conf.write_probe_s : WRITE_PROBE_DEFAULT_S;
		p->next = now + (fast && every > 1 ? 1 : every);
		struct wjob *x = calloc(1, sizeof *x);
		if (!x)
			continue;
		*x = (struct wjob){.d = d, .k = k, .conf = p->conf, .ops = p->ops, .stop = d->env.stop};
		x->j.run = wjob_run;
		x->j.done = wjob_done;
		x->j.deadline = now + p->conf.timeout_s;
		atomic_fetch_add(&d->refs, 1);
		p->out = 1;
		if (pool_submit(d->env.pool, &x->j) < 0) { /* stopping */
			atomic_fetch_sub(&d->refs, 1);
			free(x);
		}
	}
}

/* ---- results: the timeline and outages ---- */

static void name_of(struct drill *d, size_t t, char *out, size_t n)
{
	struct target_status st;
	struct snapshot *snap = store_get(d->env.st, t, &st);
	snapshot_release(&snap);
	snprintf(out, n, "%s", st.name);
}

/* The lag in 'ring' (the fleet's, or a probe's set) sampled at or before 'at' (wall); 'o' gets it. */
static void lag_before(const struct lag_at *ring, size_t ring_n, double at, struct drill_outage *o)
{
	o->lag_s = o->lag_bytes = -1;
	o->lag_fleet = 1;
	size_t n = ring_n < DRILL_LAG_RING ? ring_n : DRILL_LAG_RING;
	for (size_t i = 0; i < n; i++) {
		const struct lag_at *l = &ring[(ring_n - 1 - i) % DRILL_LAG_RING];
		if (l->at <= at + 0.001) {
			o->lag_s = l->lag_s;
			o->lag_bytes = l->lag_bytes;
			o->lag_fleet = l->fleet;
			return;
		}
	}
}

static void timeline_write(struct drill *d, const struct probe *p, const char *name, int ok, const struct wjob *x)
{
	struct tl_event ev = {.at = x->at, .source = TL_SRC_OBSERVED, .kind = TL_STATE, .level = ok ? TL_GOOD : TL_BAD};
	snprintf(ev.state, sizeof ev.state, "%s", ok ? "writable" : "unwritable");
	snprintf(ev.target, sizeof ev.target, "%s", name);
	if (ok && p->last_ok > 0)
		snprintf(ev.text, sizeof ev.text, "writes go through again, %.1fs after the last one", x->at - p->last_ok);
	else if (ok)
		snprintf(ev.text, sizeof ev.text, "writes go through (none had since dbfleet started)");
	else
		snprintf(ev.text, sizeof ev.text, "writes fail: %.200s", x->err.msg);
	store_timeline_add(d->env.st, &ev);
}

/* One write probe's result: the thread's. */
static void on_result(struct drill *d, struct wjob *x)
{
	struct probe *p = &d->probes[x->k];
	char name[64];
	p->out = 0;
	name_of(d, p->idx, name, sizeof name);
	if (p->known ? p->writable != x->ok : !x->ok) /* a change, or failing from the start */
		timeline_write(d, p, name, x->ok, x);
	pthread_mutex_lock(&d->mu);
	if (!x->ok && p->outage < 0 && p->last_ok > 0) { /* writes stopped */
		struct drill_outage *o = &d->out[d->nout % DRILL_OUTAGES];
		*o = (struct drill_outage){.target = p->idx, .last_ok = p->last_ok, .first_fail = x->at,
					   .rto_obj = p->conf.rto_s, .rpo_obj = p->conf.rpo_s};
		snprintf(o->name, sizeof o->name, "%s", name);
		snprintf(o->error, sizeof o->error, "%.159s", x->err.msg);
		lag_before(p->ring, p->ring_n, p->last_ok, o); /* its writer's standbys, else the fleet's */
		if (o->lag_fleet)
			lag_before(d->ring, d->ring_n, p->last_ok, o);
		p->outage = (long)(d->nout % DRILL_OUTAGES);
		d->nout++;
	} else if (x->ok && p->outage >= 0) { /* the first write through since */
		d->out[p->outage].first_ok = x->at;
		p->outage = -1;
	}
	pthread_mutex_unlock(&d->mu);
	if (x->ok)
		p->last_ok = x->at;
	p->known = 1;
	p->writable = x->ok;
}

static void take_results(struct drill *d)
{
	pthread_mutex_lock(&d->mu);
	struct wjob *x = d->results;
	d->results = NULL;
	pthread_mutex_unlock(&d->mu);
	struct wjob *rev = NULL; /* oldest first */
	for (struct wjob *next; x; x = next) {
		next = x->next;
		x->next = rev;
		rev = x;
	}
	for (struct wjob *next; rev; rev = next) {
		next = rev->next;
		on_result(d, rev);
		free(rev);
	}
}

/* ---- lag, once a second while a drill runs ---- */

static void note_lag(struct drill *d, double at)
{
	size_t n = store_count(d->env.st);
	double worst_s = -1, worst_b = -1;
	struct drill_peak *pk = NULL;
	pthread_mutex_lock(&d->mu);
	if (n > d->npeaks && (pk = realloc(d->peaks, n * sizeof *pk))) {
		memset(pk + d->npeaks, 0, (n - d->npeaks) * sizeof *pk);
		d->peaks = pk;
		d->npeaks = n;
	}
	pthread_mutex_unlock(&d->mu);
	for (size_t t = 0; t < n; t++) {
		struct target_status st;
		struct snapshot *snap = store_get(d->env.st, t, &st);
		double ls = snap && snap->s.health.is_replica ? snap->s.lag_s : -1;
		double lb = snap ? snap->s.lag_bytes : -1;
		snapshot_release(&snap);
		worst_s = ls > worst_s ? ls : worst_s;
		worst_b = lb > worst_b ? lb : worst_b;
		pthread_mutex_lock(&d->mu);
		if (d->active && t < d->npeaks) {
			struct drill_peak *p = &d->peaks[t];
			snprintf(p->name, sizeof p->name, "%s", st.name);
			if (ls > p->lag_s)
				p->lag_s = ls, p->at_s = at;
			if (lb > p->lag_bytes)
				p->lag_bytes = lb, p->at_bytes = at;
		}
		pthread_mutex_unlock(&d->mu);
	}
	pthread_mutex_lock(&d->mu);
	d->ring[d->ring_n++ % DRILL_LAG_RING] = (struct lag_at){at, worst_s, worst_b, 1};
	pthread_mutex_unlock(&d->mu);
	/* each endpoint's own replication set: the standbys of the writer it points at now */
	for (size_t k = 0; k < d->nprobes; k++) {
		struct probe *p = &d->probes[k];
		struct target_status st;
		struct snapshot *snap = store_get(d->env.st, p->idx, &st);
		struct lag_at l = {.at = at, .lag_s = -1, .lag_bytes = -1};
		l.fleet = !(snap && drill_set_lag(&snap->s, &l.lag_s, &l.lag_bytes));
		snapshot_release(&snap);
		p->ring[p->ring_n++ % DRILL_LAG_RING] = l;
	}
}

/* ---- a drill's life ---- */

/* A drill's own line on the timeline: "drill 'NAME' WHAT". */
static void mark(struct drill *d, double at, const char *name, const char *what)
{
	struct tl_event ev = {.at = at, .source = TL_SRC_DRILL, .kind = TL_MARK, .level = TL_INFO};
	snprintf(ev.text, sizeof ev.text, "drill '%.63s' %.180s", name, what);
	store_timeline_add(d->env.st, &ev);
}

int drill_begin(struct drill *d, const char *name, struct err *err)
{
	size_t len = strlen(name);
	if (!len || len >= sizeof d->name || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") < len)
		return err_set(err, ERR_CONFIG, "a drill's name is 1 to 63 letters, digits, '.', '_' or '-'");
	double now = clock_wall();
	pthread_mutex_lock(&d->mu);
	int busy = d->active;
	char was[64];
	snprintf(was, sizeof was, "%s", d->name);
	if (!busy) {
		d->active = 1;
		d->end_asked = 0;
		snprintf(d->name, sizeof d->name, "%s", name);
		d->started = now;
		d->nout = 0;
		if (d->peaks)
			memset(d->peaks, 0, d->npeaks * sizeof *d->peaks);
	}
	pthread_mutex_unlock(&d->mu);
	if (busy)
		return err_set(err, ERR_REFUSED, "drill '%s' is running: ':drill stop' first", was);
	atomic_store(&d->fast, 1);
	char who[260];
	snprintf(who, sizeof who, "started by %.63s@%.63s%s%.100s", d->user, d->host, d->ssh[0] ? " over SSH from " : "",
		 d->ssh);
	mark(d, now, name, who);
	return 0;
}

int drill_end(struct drill *d, struct err *err)
{
	pthread_mutex_lock(&d->mu);
	int active = d->active;
	d->end_asked = active;
	pthread_mutex_unlock(&d->mu);
	if (!active)
		return err_set(err, ERR_REFUSED, "no drill is running (':drill start NAME')");
	if (d->env.mu) { /* the prober runs: wake it to write the report now */
		pthread_mutex_lock(d->env.mu);
		pthread_cond_broadcast(d->env.cv);
		pthread_mutex_unlock(d->env.mu);
	}
	return 0;
}

void drill_status(struct drill *d, struct collector_drill *out)
{
	pthread_mutex_lock(&d->mu);
	*out = (struct collector_drill){.active = d->active, .started = d->started};
	snprintf(out->name, sizeof out->name, "%s", d->name);
	pthread_mutex_unlock(&d->mu);
}

/* Copy what the report needs and end the drill; 0 if none was running. */
static int take_facts(struct drill *d, struct drill_facts *f)
{
	double now = clock_wall();
	memset(f, 0, sizeof *f);
	pthread_mutex_lock(&d->mu);
	int active = d->active;
	if (active) {
		snprintf(f->name, sizeof f->name, "%s", d->name);
		f->started = d->started;
		f->ended = now;
		f->nout = d->nout < DRILL_OUTAGES ? d->nout : DRILL_OUTAGES;
		memcpy(f->out, d->out, sizeof f->out);
		if (d->npeaks && (f->peaks = malloc(d->npeaks * sizeof *f->peaks))) {
			memcpy(f->peaks, d->peaks, d->npeaks * sizeof *f->peaks);
			f->npeaks = d->npeaks;
		}
		d->active = d->end_asked = 0;
	}
	pthread_mutex_unlock(&d->mu);
	if (!active)
		return 0;
	atomic_store(&d->fast, 0);
	mark(d, now, f->name, "ended");
	snprintf(f->fleet, sizeof f->fleet, "%s", d->fleet);
	snprintf(f->user, sizeof f->user, "%s", d->user);
	snprintf(f->host, sizeof f->host, "%s", d->host);
	snprintf(f->tty, sizeof f->tty, "%s", d->tty);
	snprintf(f->ssh, sizeof f->ssh, "%s", d->ssh);
	f->probed = (int)d->nprobes;
	size_t cap = STORE_TIMELINE;
	struct tl_event *all = malloc(cap * sizeof *all);
	size_t n = all ? store_timeline_read(d->env.st, 0, all, cap) : 0;
	for (size_t i = 0; i < n; i++)
		if (all[i].at >= f->started - 1)
			all[f->nev++] = all[i];
	f->ev = all;
	return 1;
}

static void facts_release(struct drill_facts *f)
{
	free(f->peaks);
	free(f->ev);
	f->peaks = NULL;
	f->ev = NULL;
}

/* End the drill and write its report; 1 with the path, 0 none running, -1 with 'msg'. */
static int report(struct drill *d, char *path, size_t n, char *msg, size_t nmsg)
{
	struct drill_facts f;
	if (!take_facts(d, &f))
		return 0;
	char dir[512];
	int rc;
	if (xdg_path(XDG_STATE, "drills", dir, sizeof dir) < 0) {
		snprintf(msg, nmsg, "drill report: the state folder's path is too long");
		rc = -1;
	} else {
		rc = drill_report_write(&f, dir, path, n, msg, nmsg) < 0 ? -1 : 1;
	}
	facts_release(&f);
	return rc;
}

int drill_finish(struct drill *d, char *path, size_t n)
{
	char msg[400] = "";
	int rc = report(d, path, n, msg, sizeof msg);
	if (rc < 0)
		snprintf(path, n, "%s", msg);
	return rc != 0;
}

/* ---- the thread ---- */

static int sleep_tick(struct drill *d)
{
	pthread_mutex_lock(d->env.mu);
	int asked;
	pthread_mutex_lock(&d->mu);
	asked = d->end_asked;
	pthread_mutex_unlock(&d->mu);
	if (!atomic_load(d->env.stop) && !asked) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		double t = (double)ts.tv_sec + ts.tv_nsec / 1e9 + TICK_S;
		ts.tv_sec = (time_t)t;
		ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
		pthread_cond_timedwait(d->env.cv, d->env.mu, &ts);
	}
	pthread_mutex_unlock(d->env.mu);
	return atomic_load(d->env.stop);
}

/* The SLO state file: $XDG_STATE_HOME/dbfleet/FLEET.state, its folder made (0700); 0 or -1. */
static int state_path(const struct drill *d, char *out, size_t n)
{
	char leaf[96], dir[512];
	snprintf(leaf, sizeof leaf, "%s.state", d->fleet);
	if (xdg_path(XDG_STATE, NULL, dir, sizeof dir) < 0 || xdg_path(XDG_STATE, leaf, out, n) < 0)
		return -1;
	char *slash = strrchr(dir, '/');
	if (slash) { /* BASE, then BASE/dbfleet */
		*slash = '\0';
		mkdir(dir, 0700);
		*slash = '/';
	}
	return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* 1 if some target has an objective: only then is there a state file to keep. */
static int any_slo(struct store *st)
{
	struct slo_view v;
	for (size_t t = 0; t < store_count(st); t++)
		if (store_slo(st, t, &v))
			return 1;
	return 0;
}

/* The state file once some target has an objective (targets adopted from AWS may bring the
 * first): 1 with its path, loaded; 0 not (yet) wanted; -1 it cannot be made (said once). */
static int state_open(struct drill *d, char *path, size_t n)
{
	if (!any_slo(d->env.st))
		return 0;
	if (state_path(d, path, n) < 0) {
		store_slo_note(d->env.st, "cannot make the state folder under $XDG_STATE_HOME: SLO windows start afresh");
		return -1;
	}
	store_slo_load(d->env.st, path);
	return 1;
}

static void *drill_main(void *arg)
{
	struct drill *d = arg;
	char path[600];
	int slo = state_open(d, path, sizeof path);
	double next_lag = 0, next_append = clock_mono() + 5;
	while (!sleep_tick(d)) {
		double now = clock_mono();
		if (!slo && now >= next_append && !(slo = state_open(d, path, sizeof path)))
			next_append = now + 5;
		take_results(d);
		submit_due(d, now);
		if (now >= next_lag) {
			note_lag(d, clock_wall());
			next_lag = now + 1;
		}
		if (slo > 0 && now >= next_append) {
			store_slo_append(d->env.st, path);
			next_append = now + 5; /* a minute's line goes out within seconds of its end */
		}
		pthread_mutex_lock(&d->mu);
		int asked = d->end_asked;
		pthread_mutex_unlock(&d->mu);
		char rpath[600], msg[400] = "";
		int rc = asked ? report(d, rpath, sizeof rpath, msg, sizeof msg) : 0;
		if (rc > 0)
			store_slo_note(d->env.st, "drill report: %s (and .json)", rpath);
		else if (rc < 0)
			store_slo_note(d->env.st, "%s", msg);
	}
	take_results(d);
	if (slo > 0)
		store_slo_append(d->env.st, path);
	d->env.done(d->env.done_arg);
	drill_unref(d);
	return NULL;
}

int drill_start(struct drill *d, const struct drill_env *env)
{
	d->env = *env;
	d->env.st = env->st ? env->st : d->env.st;
	pthread_t th;
	atomic_fetch_add(&d->refs, 1);
	if (pthread_create(&th, NULL, drill_main, d) != 0) {
		atomic_fetch_sub(&d->refs, 1);
		return -1;
	}
	pthread_detach(th);
	return 0;
}
