/*
 * store.c - per-target snapshots and history rings.
 *
 * DESIGN: one mutex guards every field of every slot (status, the snapshot
 * pointer, the rings). Holders only copy or swap pointers under it, so it is
 * held for microseconds. Snapshots are freed by reference count outside the
 * lock. Wake-ups go through a non-blocking pipe: a full pipe already means
 * "look", so a failed write is fine (redis bio.c's completion pipe).
 * The timeline (timeline.c) has a lock of its own: publish, set_state,
 * cloud_publish and action_put note under 'mu' what was there before, and
 * compare it with the new (and add the entries) after letting 'mu' go.
 */
#include "store.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../engines/engine.h"
#include "grow.h"
#include "slo.h"
#include "timeline.h"

struct ring {
	float v[STORE_HISTORY];         /* float: 1,000 targets' rings in a few MiB */
	size_t head, len;
};

#define RING_MIN_STEP_S 0.5 /* rings keep >= 10 minutes whatever the refresh */

struct slot {
	_Atomic double watched_until;  /* monotonic: a pane shows this target in detail */
	_Atomic double triage_until;   /* monotonic: the triage pane shows this target */
	struct target_status status;   /* guarded by store.mu */
	double last_push;              /* guarded by store.mu */
	struct snapshot *snap;         /* guarded by store.mu */
	struct snapshot *detail;       /* guarded by store.mu: the last one with sessions and digests */
	struct ring hist[HIST_N];      /* guarded by store.mu */
};

struct store {
	pthread_mutex_t mu;
	atomic_size_t n;               /* slots made (grow_make), written by one thread at a time */
	atomic_size_t active;          /* slots in use: the configured targets, then adopted ones */
	struct grow slots;             /* of struct slot; they never move */
	struct cloud_snapshot *cloud;  /* guarded by mu */
	atomic_int cost_request;       /* the user asked for fresh costs */
	struct {                       /* guarded by mu: Performance Insights, watched instances only */
		char key[STORE_PI_KEY];
		double until;              /* monotonic */
		struct pi_snapshot *snap;
	} pi[STORE_PI_WATCH];
	atomic_int pi_request;         /* an instance was newly watched */
	struct action_status actions[STORE_ACTIONS]; /* ring, guarded by mu */
	size_t nactions, actions_head;
	struct store_tap tap;          /* guarded by mu; its calls are made under mu (but 'event') */
	atomic_int unobserved;         /* a replay: the store adds no timeline entries of its own */
	struct plan_result *plan;      /* guarded by mu: the latest explain answer, until the UI takes it */
	int saved_id;                  /* guarded by mu: the plan whose save answered, 0 none */
	char saved[320];               /* guarded by mu: where it went, or why not */
	struct timeline *tl;           /* its own lock (timeline.c) */
	struct slo_set *slo;           /* its own lock (slo.c) */
	char slo_msg[400];             /* guarded by mu: about the state file, not yet shown */
	int wake[2];
};

static void wake(struct store *s);

#define SLOT(s, i) ((struct slot *)grow_at(&(s)->slots, (i)))

struct store *store_new(size_t n)
{
	struct store *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	grow_init(&s->slots, sizeof(struct slot));
	if (pipe(s->wake) < 0) {
		free(s);
		return NULL;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(s->wake[i], F_SETFL, O_NONBLOCK);
		fcntl(s->wake[i], F_SETFD, FD_CLOEXEC);
	}
	pthread_mutex_init(&s->mu, NULL);
	if (!(s->tl = timeline_new(STORE_TIMELINE)) || !(s->slo = slo_new()) || store_reserve(s, n) < 0) {
		store_free(&s);
		return NULL;
	}
	atomic_init(&s->active, n);
	return s;
}

void store_free(struct store **sp)
{
	struct store *s = sp ? *sp : NULL;
	if (!s)
		return;
	for (size_t i = 0; i < atomic_load(&s->n); i++) {
		snapshot_release(&SLOT(s, i)->snap);
		snapshot_release(&SLOT(s, i)->detail);
	}
	cloud_snapshot_release(&s->cloud);
	for (int i = 0; i < STORE_PI_WATCH; i++)
		pi_snapshot_release(&s->pi[i].snap);
	plan_result_free(&s->plan);
	timeline_free(&s->tl);
	slo_free(&s->slo);
	close(s->wake[0]);
	close(s->wake[1]);
	pthread_mutex_destroy(&s->mu);
	grow_release(&s->slots);
	free(s);
	*sp = NULL;
}

size_t store_count(const struct store *s)
{
	return atomic_load(&((struct store *)s)->active);
}

int store_reserve(struct store *s, size_t n)
{
	for (size_t i = atomic_load(&s->n); i < n; i++) {
		if (!grow_make(&s->slots, i))
			return -1;
		atomic_store(&s->n, i + 1);
	}
	return 0;
}

void store_set_count(struct store *s, size_t n)
{
	atomic_store(&s->active, n <= atomic_load(&s->n) ? n : atomic_load(&s->n));
	wake(s);
}

void store_describe(struct store *s, size_t t, const char *name, const char *engine,
		    const char *endpoint, double interval_s, double timeout_s)
{
	struct target_status *st = &SLOT(s, t)->status;
	pthread_mutex_lock(&s->mu);
	snprintf(st->name, sizeof st->name, "%s", name);
	snprintf(st->engine, sizeof st->engine, "%s", engine);
	snprintf(st->endpoint, sizeof st->endpoint, "%s", endpoint);
	st->interval_s = interval_s;
	st->timeout_s = timeout_s;
	pthread_mutex_unlock(&s->mu);
}

long store_find(struct store *s, const char *name)
{
	long found = -1;
	size_t n = atomic_load(&s->active);
	pthread_mutex_lock(&s->mu);
	for (size_t t = 0; t < n && found < 0; t++)
		if (!strcmp(SLOT(s, t)->status.name, name))
			found = (long)t;
	pthread_mutex_unlock(&s->mu);
	return found;
}

int store_wake_fd(const struct store *s)
{
	return s->wake[0];
}

void store_drain(struct store *s)
{
	char buf[256];
	while (read(s->wake[0], buf, sizeof buf) > 0)
		;
}

static void wake(struct store *s)
{
	ssize_t rc = write(s->wake[1], "", 1);
	(void)rc; /* full pipe: a wake-up is already pending */
}

static void ring_push(struct ring *r, double v)
{
	r->v[(r->head + r->len) % STORE_HISTORY] = (float)v;
	if (r->len < STORE_HISTORY)
		r->len++;
	else
		r->head = (r->head + 1) % STORE_HISTORY;
}

/* Add an entry to the timeline, and show it to the tap (off the store's lock). */
static void tl_add(struct store *s, const struct tl_event *ev)
{
	timeline_add(s->tl, ev);
	pthread_mutex_lock(&s->mu);
	struct store_tap tap = s->tap;
	pthread_mutex_unlock(&s->mu);
	if (tap.event)
		tap.event(tap.arg, ev);
}

/* The timeline entries of one target's change of state or sample (called off the store's lock). */
static void observed(struct store *s, const char *name, const struct tl_observation *was,
		     const struct tl_observation *now, const char *error)
{
	if (atomic_load(&s->unobserved)) /* a replay: the recorded entries come instead */
		return;
	struct tl_event ev[TL_OBSERVE_MAX];
	size_t n = timeline_observe(name, was, now, error, clock_wall(), ev, TL_OBSERVE_MAX);
	for (size_t i = 0; i < n; i++)
		tl_add(s, &ev[i]);
}

void store_publish(struct store *s, size_t t, struct snapshot *snap)
{
	struct slot *sl = SLOT(s, t);
	const struct db_sample *x = &snap->s;
	pthread_mutex_lock(&s->mu);
	struct snapshot *old = sl->snap, *old_detail = NULL;
	struct tl_observation was = {sl->status.state, old ? &old->s : NULL};
	char name[sizeof sl->status.name];
	memcpy(name, sl->status.name, sizeof name);
	atomic_fetch_add(&snap->refs, 1); /* ours until the comparison below is done */
	sl->snap = snap;
	if (x->detail) {
		old_detail = sl->detail;
		sl->detail = snap;
		atomic_fetch_add(&snap->refs, 1);
	} else if (clock_mono() >= atomic_load(&sl->watched_until)) {
		old_detail = sl->detail; /* no pane shows it now: do not hold its sessions */
		sl->detail = NULL;
	}
	sl->status.state = TARGET_OK;
	sl->status.error[0] = '\0';
	sl->status.last_ok = snap->mono;
	if (snap->mono - sl->last_push >= RING_MIN_STEP_S) {
		sl->last_push = snap->mono;
		ring_push(&sl->hist[HIST_TPS], x->health.tps);
		ring_push(&sl->hist[HIST_LAG_BYTES], x->lag_bytes > 0 ? x->lag_bytes : 0);
		ring_push(&sl->hist[HIST_LAG_S], x->health.is_replica ? x->standby.lag_s : 0);
		ring_push(&sl->hist[HIST_CONNS], x->health.conns_used);
		ring_push(&sl->hist[HIST_RTT_MS], snap->rtt_ms);
	}
	if (s->tap.snapshot)
		s->tap.snapshot(s->tap.arg, t, snap);
	pthread_mutex_unlock(&s->mu);
	slo_observe(s->slo, t, 1, snap->rtt_ms, clock_wall());
	observed(s, name, &was, &(struct tl_observation){TARGET_OK, &snap->s}, NULL);
	snapshot_release(&snap);
	snapshot_release(&old);
	snapshot_release(&old_detail);
	wake(s);
}

void store_set_state(struct store *s, size_t t, enum target_state st, const struct err *err)
{
	struct slot *sl = SLOT(s, t);
	pthread_mutex_lock(&s->mu);
	struct tl_observation was = {sl->status.state, NULL};
	char name[sizeof sl->status.name];
	memcpy(name, sl->status.name, sizeof name);
	sl->status.state = st;
	snprintf(sl->status.error, sizeof sl->status.error, "%s", err ? err->msg : "");
	if (s->tap.state)
		s->tap.state(s->tap.arg, t, st, sl->status.error);
	pthread_mutex_unlock(&s->mu);
	if (st == TARGET_DOWN || st == TARGET_STALLED || st == TARGET_AUTH)
		slo_observe(s->slo, t, 0, -1, clock_wall());
	observed(s, name, &was, &(struct tl_observation){st, NULL}, err ? err->msg : NULL);
	wake(s);
}

struct snapshot *store_get(struct store *s, size_t t, struct target_status *status)
{
	struct slot *sl = SLOT(s, t);
	pthread_mutex_lock(&s->mu);
	struct snapshot *snap = sl->snap;
	if (snap)
		atomic_fetch_add(&snap->refs, 1);
	if (status)
		*status = sl->status;
	pthread_mutex_unlock(&s->mu);
	return snap;
}

struct snapshot *store_get_detail(struct store *s, size_t t, struct target_status *status)
{
	struct slot *sl = SLOT(s, t);
	pthread_mutex_lock(&s->mu);
	struct snapshot *snap = sl->detail ? sl->detail : sl->snap;
	if (snap)
		atomic_fetch_add(&snap->refs, 1);
	if (status)
		*status = sl->status;
	pthread_mutex_unlock(&s->mu);
	return snap;
}

size_t store_history(struct store *s, size_t t, enum hist_metric m, double *out, size_t max)
{
	const struct ring *r = &SLOT(s, t)->hist[m];
	pthread_mutex_lock(&s->mu);
	size_t n = r->len < max ? r->len : max;
	for (size_t i = 0; i < n; i++)
		out[i] = r->v[(r->head + r->len - n + i) % STORE_HISTORY];
	pthread_mutex_unlock(&s->mu);
	return n;
}

struct snapshot *snapshot_new(void)
{
	struct snapshot *p = calloc(1, sizeof *p);
	if (p) {
		atomic_init(&p->refs, 1);
		p->rtt_ms = -1;
	}
	return p;
}

void snapshot_release(struct snapshot **p)
{
	if (!p || !*p)
		return;
	if (atomic_fetch_sub(&(*p)->refs, 1) == 1) {
		engine_sample_release(&(*p)->s);
		free(*p);
	}
	*p = NULL;
}

void store_set_cloud_id(struct store *s, size_t t, const char *id)
{
	pthread_mutex_lock(&s->mu);
	snprintf(SLOT(s, t)->status.cloud_id, sizeof SLOT(s, t)->status.cloud_id, "%s", id);
	pthread_mutex_unlock(&s->mu);
}

void store_set_cloud_account(struct store *s, size_t t, const char *account)
{
	pthread_mutex_lock(&s->mu);
	snprintf(SLOT(s, t)->status.cloud_account, sizeof SLOT(s, t)->status.cloud_account, "%s", account);
	pthread_mutex_unlock(&s->mu);
}

void store_watch(struct store *s, size_t t, double for_s)
{
	if (t < atomic_load(&s->active))
		atomic_store(&SLOT(s, t)->watched_until, clock_mono() + for_s);
}

int store_watched(struct store *s, size_t t)
{
	return t < atomic_load(&s->active) && clock_mono() < atomic_load(&SLOT(s, t)->watched_until);
}

void store_watch_triage(struct store *s, size_t t, double for_s)
{
	if (t < atomic_load(&s->active))
		atomic_store(&SLOT(s, t)->triage_until, clock_mono() + for_s);
}

int store_watched_triage(struct store *s, size_t t)
{
	return t < atomic_load(&s->active) && clock_mono() < atomic_load(&SLOT(s, t)->triage_until);
}

void store_set_tags(struct store *s, size_t t, const char *tags)
{
	pthread_mutex_lock(&s->mu);
	snprintf(SLOT(s, t)->status.tags, sizeof SLOT(s, t)->status.tags, "%s", tags);
	pthread_mutex_unlock(&s->mu);
}

void store_set_slo_group(struct store *s, size_t t, const char *tag, double avail)
{
	pthread_mutex_lock(&s->mu);
	snprintf(SLOT(s, t)->status.slo_group, sizeof SLOT(s, t)->status.slo_group, "%s", tag);
	SLOT(s, t)->status.slo_group_availability = avail;
	pthread_mutex_unlock(&s->mu);
}

void store_cloud_ask_costs(struct store *s)
{
	atomic_store(&s->cost_request, 1);
}

int store_cloud_take_cost_request(struct store *s)
{
	return atomic_exchange(&s->cost_request, 0);
}

void store_cloud_publish(struct store *s, struct cloud_snapshot *c)
{
	pthread_mutex_lock(&s->mu);
	struct cloud_snapshot *old = s->cloud;
	s->cloud = c;
	if (s->tap.cloud)
		s->tap.cloud(s->tap.arg, c);
	atomic_fetch_add(&c->refs, 1); /* ours until the comparison below is done */
	pthread_mutex_unlock(&s->mu);
	size_t max = c->nevents + 2 * c->n;
	struct tl_event *ev = max && !atomic_load(&s->unobserved) ? malloc(max * sizeof *ev) : NULL;
	size_t n = ev ? timeline_cloud_diff(old, c, clock_wall(), ev, max) : 0;
	for (size_t i = 0; i < n; i++)
		tl_add(s, &ev[i]);
	free(ev);
	cloud_snapshot_release(&c);
	cloud_snapshot_release(&old);
	wake(s);
}

struct cloud_snapshot *store_cloud_get(struct store *s)
{
	pthread_mutex_lock(&s->mu);
	struct cloud_snapshot *c = s->cloud;
	if (c)
		atomic_fetch_add(&c->refs, 1);
	pthread_mutex_unlock(&s->mu);
	return c;
}

struct cloud_snapshot *cloud_snapshot_new(void)
{
	struct cloud_snapshot *p = calloc(1, sizeof *p);
	if (p)
		atomic_init(&p->refs, 1);
	return p;
}

void cloud_snapshot_release(struct cloud_snapshot **p)
{
	if (!p || !*p)
		return;
	if (atomic_fetch_sub(&(*p)->refs, 1) == 1) {
		free((*p)->inst);
		free((*p)->events);
		free(*p);
	}
	*p = NULL;
}

static int action_final(int st)
{
	return st == ACTION_DONE || st == ACTION_FAILED || st == ACTION_REFUSED || st == ACTION_DRY_RUN;
}

void store_action_put(struct store *s, const struct action_status *a)
{
	pthread_mutex_lock(&s->mu);
	size_t i;
	for (i = 0; i < s->nactions; i++)
		if (s->actions[(s->actions_head + i) % STORE_ACTIONS].id == a->id)
			break;
	/* its outcome goes on the timeline once, when it first reads final */
	int outcome = action_final(a->state) &&
		      (i == s->nactions || !action_final(s->actions[(s->actions_head + i) % STORE_ACTIONS].state));
	if (i == s->nactions) { /* new: append, dropping the oldest when full */
		if (s->nactions < STORE_ACTIONS)
			s->nactions++;
		else
			s->actions_head = (s->actions_head + 1) % STORE_ACTIONS;
		i = s->nactions - 1;
	}
	s->actions[(s->actions_head + i) % STORE_ACTIONS] = *a;
	if (s->tap.action)
		s->tap.action(s->tap.arg, a);
	pthread_mutex_unlock(&s->mu);
	if (outcome && !atomic_load(&s->unobserved)) {
		struct tl_event ev;
		timeline_of_action(a, &ev);
		tl_add(s, &ev);
	}
	wake(s);
}

size_t store_actions(struct store *s, struct action_status *out, size_t max)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->nactions < max ? s->nactions : max;
	for (size_t i = 0; i < n; i++)
		out[i] = s->actions[(s->actions_head + s->nactions - 1 - i) % STORE_ACTIONS];
	pthread_mutex_unlock(&s->mu);
	return n;
}

const char *action_state_name(int st)
{
	static const char *const names[] = {"queued", "running", "done", "FAILED", "REFUSED", "dry run"};
	return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}

const char *target_state_name(enum target_state st)
{
	static const char *const names[] = {"connecting", "ok", "STALLED", "DOWN", "AUTH FAILED"};
	return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}

void store_set_tap(struct store *s, const struct store_tap *tap)
{
	pthread_mutex_lock(&s->mu);
	s->tap = tap ? *tap : (struct store_tap){0};
	pthread_mutex_unlock(&s->mu);
}

void store_reset(struct store *s)
{
	size_t n = atomic_load(&s->n);
	for (size_t i = 0; i < n; i++) {
		struct slot *sl = SLOT(s, i);
		pthread_mutex_lock(&s->mu);
		struct snapshot *snap = sl->snap, *detail = sl->detail;
		sl->snap = sl->detail = NULL;
		sl->status.state = TARGET_CONNECTING;
		sl->status.error[0] = '\0';
		sl->status.last_ok = sl->last_push = 0;
		memset(sl->hist, 0, sizeof sl->hist);
		pthread_mutex_unlock(&s->mu);
		snapshot_release(&snap);
		snapshot_release(&detail);
	}
	pthread_mutex_lock(&s->mu);
	struct cloud_snapshot *c = s->cloud;
	s->cloud = NULL;
	s->nactions = s->actions_head = 0;
	pthread_mutex_unlock(&s->mu);
	cloud_snapshot_release(&c);
	timeline_clear(s->tl);
	wake(s);
}
/* The watch slot of 'key', or -1 (caller holds mu). */
static int pi_slot(struct store *s, const char *key)
{
	for (int i = 0; i < STORE_PI_WATCH; i++)
		if (s->pi[i].key[0] && !strcmp(s->pi[i].key, key))
			return i;
	return -1;
}

void store_pi_watch(struct store *s, const char *region, const char *id, double for_s)
{
	char key[STORE_PI_KEY];
	snprintf(key, sizeof key, "%s/%s", region, id);
	double now = clock_mono();
	struct pi_snapshot *old = NULL;
	pthread_mutex_lock(&s->mu);
	int i = pi_slot(s, key);
	for (int j = 0; i < 0 && j < STORE_PI_WATCH; j++)
		if (s->pi[j].until <= now) { /* a free slot, or one no pane shows any more */
			i = j;
			old = s->pi[i].snap;
			s->pi[i].snap = NULL;
			snprintf(s->pi[i].key, sizeof s->pi[i].key, "%s", key);
			atomic_store(&s->pi_request, 1);
		}
	if (i >= 0)
		s->pi[i].until = now + for_s;
	pthread_mutex_unlock(&s->mu);
	pi_snapshot_release(&old);
}

size_t store_pi_watched(struct store *s, char (*keys)[STORE_PI_KEY], size_t max)
{
	size_t n = 0;
	double now = clock_mono();
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < STORE_PI_WATCH && n < max; i++)
		if (s->pi[i].key[0] && s->pi[i].until > now)
			memcpy(keys[n++], s->pi[i].key, STORE_PI_KEY);
	pthread_mutex_unlock(&s->mu);
	return n;
}

int store_pi_take_request(struct store *s)
{
	return atomic_exchange(&s->pi_request, 0);
}

void store_pi_publish(struct store *s, struct pi_snapshot *p)
{
	char key[STORE_PI_KEY];
	snprintf(key, sizeof key, "%s/%s", p->pi.region, p->pi.id);
	pthread_mutex_lock(&s->mu);
	int i = pi_slot(s, key);
	struct pi_snapshot *old = p;
	if (i >= 0) {
		old = s->pi[i].snap;
		s->pi[i].snap = p;
		if (s->tap.pi)
			s->tap.pi(s->tap.arg, p);
	}
	pthread_mutex_unlock(&s->mu);
	pi_snapshot_release(&old);
	wake(s);
}

struct pi_snapshot *store_pi_get(struct store *s, const char *region, const char *id)
{
	char key[STORE_PI_KEY];
	snprintf(key, sizeof key, "%s/%s", region, id);
	pthread_mutex_lock(&s->mu);
	int i = pi_slot(s, key);
	struct pi_snapshot *p = i >= 0 ? s->pi[i].snap : NULL;
	if (p)
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&s->mu);
	return p;
}

struct pi_snapshot *pi_snapshot_new(void)
{
	struct pi_snapshot *p = calloc(1, sizeof *p);
	if (p)
		atomic_init(&p->refs, 1);
	return p;
}

void pi_snapshot_release(struct pi_snapshot **p)
{
	if (!p || !*p)
		return;
	if (atomic_fetch_sub(&(*p)->refs, 1) == 1)
		free(*p);
	*p = NULL;
}

void plan_result_free(struct plan_result **r)
{
	if (!r || !*r)
		return;
	engine_plan_release(&(*r)->plan);
	free(*r);
	*r = NULL;
}

void store_plan_put(struct store *s, struct plan_result *r)
{
	pthread_mutex_lock(&s->mu);
	struct plan_result *old = s->plan;
	s->plan = r;
	pthread_mutex_unlock(&s->mu);
	plan_result_free(&old);
	wake(s);
}

struct plan_result *store_plan_take(struct store *s, int id)
{
	pthread_mutex_lock(&s->mu);
	struct plan_result *r = s->plan && s->plan->id == id ? s->plan : NULL;
	if (r)
		s->plan = NULL;
	pthread_mutex_unlock(&s->mu);
	return r;
}

void store_plan_saved_put(struct store *s, int id, const char *msg)
{
	pthread_mutex_lock(&s->mu);
	s->saved_id = id;
	snprintf(s->saved, sizeof s->saved, "%s", msg);
	pthread_mutex_unlock(&s->mu);
	wake(s);
}

int store_plan_saved_take(struct store *s, int id, char *msg, size_t n)
{
	pthread_mutex_lock(&s->mu);
	int got = id && s->saved_id == id;
	if (got) {
		snprintf(msg, n, "%s", s->saved);
		s->saved_id = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return got;
}

void store_timeline_add(struct store *s, const struct tl_event *ev)
{
	tl_add(s, ev);
	wake(s);
}

void store_set_unobserved(struct store *s)
{
	atomic_store(&s->unobserved, 1);
}

uint64_t store_timeline_cleared(struct store *s)
{
	return timeline_cleared(s->tl);
}

size_t store_timeline_read(struct store *s, uint64_t after, struct tl_event *out, size_t max)
{
	return timeline_read(s->tl, after, out, max);
}

void store_set_slo(struct store *s, size_t t, double avail, double latency_ms, int window_days)
{
	char name[sizeof SLOT(s, t)->status.name];
	pthread_mutex_lock(&s->mu);
	memcpy(name, SLOT(s, t)->status.name, sizeof name);
	pthread_mutex_unlock(&s->mu);
	if (slo_configure(s->slo, t, name, avail, latency_ms, window_days) < 0)
		store_slo_note(s, "objective of '%.60s': out of memory", name);
}

int store_slo(struct store *s, size_t t, struct slo_view *out)
{
	return slo_view_of(s->slo, t, clock_wall(), out);
}

void store_slo_finish(struct slo_view *v)
{
	slo_view_finish(v);
}

void store_slo_note(struct store *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&s->mu);
	vsnprintf(s->slo_msg, sizeof s->slo_msg, fmt, ap);
	pthread_mutex_unlock(&s->mu);
	va_end(ap);
	wake(s);
}

void store_slo_load(struct store *s, const char *path)
{
	char msg[400];
	if (slo_load(s->slo, path, clock_wall(), msg, sizeof msg) < 0)
		store_slo_note(s, "%s", msg);
}

void store_slo_append(struct store *s, const char *path)
{
	char msg[400];
	if (slo_append(s->slo, path, clock_wall(), msg, sizeof msg) < 0)
		store_slo_note(s, "%s", msg);
}

int store_slo_message(struct store *s, char *out, size_t n)
{
	pthread_mutex_lock(&s->mu);
	int any = s->slo_msg[0] != '\0';
	snprintf(out, n, "%s", s->slo_msg);
	s->slo_msg[0] = '\0';
	pthread_mutex_unlock(&s->mu);
	return any;
}
