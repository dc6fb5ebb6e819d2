/*
 * timeline.c - the fleet's timeline: what changed, when, seen from where.
 *
 * DESIGN: one ring of STORE_TIMELINE events guarded by its own mutex 'mu'
 * (held to copy events in or out, nothing else), so a busy timeline never
 * holds up the store's lock. Producers: the sampler threads through the
 * store (store_publish and store_set_state compare a target's consecutive
 * observations with timeline_observe), the cloud thread through
 * store_cloud_publish (timeline_cloud_diff), the action worker through
 * store_action_put (timeline_of_action), and later drill marks. Readers (the
 * timeline pane, --once) ask for the events after the last sequence number
 * they have, so they copy only what is new. Events are in order of arrival;
 * each carries its own wall time (an RDS event's is AWS's), and readers sort
 * by it. Freed with the store.
 */
#include "timeline.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct timeline {
	pthread_mutex_t mu;
	struct tl_event *ev;    /* guarded by mu: a ring of 'cap' */
	size_t cap, head, len;  /* guarded by mu */
	uint64_t next_seq;      /* guarded by mu: the seq the next event gets */
};

struct timeline *timeline_new(size_t cap)
{
	struct timeline *t = calloc(1, sizeof *t);
	if (!t || !(t->ev = calloc(cap ? cap : 1, sizeof *t->ev))) {
		free(t);
		return NULL;
	}
	t->cap = cap ? cap : 1;
	t->next_seq = 1;
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

void timeline_free(struct timeline **tp)
{
	struct timeline *t = tp ? *tp : NULL;
	if (!t)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t->ev);
	free(t);
	*tp = NULL;
}

uint64_t timeline_add(struct timeline *t, const struct tl_event *ev)
{
	pthread_mutex_lock(&t->mu);
	struct tl_event *slot = &t->ev[(t->head + t->len) % t->cap];
	if (t->len < t->cap)
		t->len++;
	else
		t->head = (t->head + 1) % t->cap;
	*slot = *ev;
	uint64_t seq = slot->seq = t->next_seq++;
	pthread_mutex_unlock(&t->mu);
	return seq;
}

size_t timeline_read(struct timeline *t, uint64_t after, struct tl_event *out, size_t max)
{
	pthread_mutex_lock(&t->mu);
	uint64_t oldest = t->next_seq - t->len, from = after + 1 > oldest ? after + 1 : oldest;
	size_t n = from < t->next_seq ? (size_t)(t->next_seq - from) : 0;
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		out[i] = t->ev[(t->head + (size_t)(from - oldest) + i) % t->cap];
	pthread_mutex_unlock(&t->mu);
	return n;
}

/* ---- what changed: pure comparisons ---- */

struct sink {
	struct tl_event *out;
	size_t n, max;
	const char *target;
	double at;
	int source;
};

static void put(struct sink *k, int kind, int level, const char *state, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* One event: its kind, how bad, the one word of what the object is now, and its text. */
static void put(struct sink *k, int kind, int level, const char *state, const char *fmt, ...)
{
	if (k->n >= k->max)
		return;
	struct tl_event *e = &k->out[k->n++];
	memset(e, 0, sizeof *e);
	e->at = k->at;
	e->source = k->source;
	e->kind = kind;
	e->level = level;
	snprintf(e->state, sizeof e->state, "%s", state);
	snprintf(e->target, sizeof e->target, "%s", k->target);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof e->text, fmt, ap);
	va_end(ap);
}

static const char *state_word(enum target_state st)
{
	static const char *const words[] = {"connecting", "up", "stalled", "down", "authentication failed"};
	return (unsigned)st < sizeof words / sizeof words[0] ? words[st] : "?";
}

/* The state field's word: "auth" for "authentication failed". */
static const char *state_key(enum target_state st)
{
	return st == TARGET_AUTH ? "auth" : state_word(st);
}

static void observe_state(struct sink *k, enum target_state was, enum target_state now, const char *error)
{
	if (was == now || now == TARGET_CONNECTING)
		return;
	if (now != TARGET_OK)
		put(k, TL_STATE, TL_BAD, state_key(now), "%s: %s", state_word(now),
		    error && *error ? error : "no answer");
	else if (was != TARGET_CONNECTING) /* the first sample is no change */
		put(k, TL_STATE, TL_GOOD, "up", "up again (was %s)", state_word(was));
}

static void observe_role(struct sink *k, const struct db_sample *a, const struct db_sample *b)
{
	if (a->health.is_replica == b->health.is_replica)
		return;
	if (!b->health.is_replica)
		put(k, TL_ROLE, TL_WARN, "primary", "role: replica -> primary (promoted)");
	else if (b->standby.sender_host[0])
		put(k, TL_ROLE, TL_WARN, "replica", "role: primary -> replica of %s:%d", b->standby.sender_host,
		    b->standby.sender_port);
	else
		put(k, TL_ROLE, TL_WARN, "replica", "role: primary -> replica");
}

/* A standby's own view: its replication halted or resumed, its receiver lost or back. */
static void observe_standby(struct sink *k, const struct db_standby *a, const struct db_standby *b)
{
	if (strcmp(a->halted, b->halted)) {
		if (!b->halted[0])
			put(k, TL_REPLICATION, TL_GOOD, "running", "replication running again (was %s)", a->halted);
		else
			put(k, TL_REPLICATION, TL_WARN, "halted", "replication halted: %s%s%s", b->halted,
			    b->last_error[0] ? ": " : "",
			    b->last_error);
	} else if (a->streaming != b->streaming) {
		if (b->streaming)
			put(k, TL_REPLICATION, TL_GOOD, "receiving", "replication receiving from %s:%d again",
			    b->sender_host, b->sender_port);
		else
			put(k, TL_REPLICATION, TL_WARN, "not receiving",
			    "replication not receiving from the primary%s%s",
			    b->last_error[0] ? ": " : "", b->last_error);
	}
}

static int has_replica(const struct db_sample *x, const struct db_replica *r)
{
	for (size_t i = 0; i < x->nreplicas; i++)
		if (!strcmp(x->replicas[i].name, r->name) && !strcmp(x->replicas[i].client, r->client))
			return 1;
	return 0;
}

/* A primary's view: standbys that connected or left since the last sample. */
static void observe_standbys(struct sink *k, const struct db_sample *a, const struct db_sample *b)
{
	for (size_t i = 0; i < a->nreplicas; i++)
		if (!has_replica(b, &a->replicas[i]))
			put(k, TL_REPLICATION, TL_WARN, "disconnected", "standby '%s' (%s) disconnected",
			    a->replicas[i].name, a->replicas[i].client);
	for (size_t i = 0; i < b->nreplicas; i++)
		if (!has_replica(a, &b->replicas[i]))
			put(k, TL_REPLICATION, TL_GOOD, "connected", "standby '%s' (%s) connected",
			    b->replicas[i].name, b->replicas[i].client);
}

static void observe_lag(struct sink *k, const struct db_sample *a, const struct db_sample *b)
{
	int up = b->lag_s > LAG_WARN_S;
	if (a->lag_s >= 0 && b->lag_s >= 0 && (a->lag_s > LAG_WARN_S) != up)
		put(k, TL_LAG, up ? TL_WARN : TL_GOOD, up ? "above" : "under", "lag %s %.0fs: %.0fs",
		    up ? "above" : "back under", LAG_WARN_S, b->lag_s);
	const double mib = 1024.0 * 1024;
	up = b->lag_bytes > LAG_WARN_BYTES;
	if (a->lag_bytes >= 0 && b->lag_bytes >= 0 && (a->lag_bytes > LAG_WARN_BYTES) != up)
		put(k, TL_LAG, up ? TL_WARN : TL_GOOD, up ? "above" : "under", "lag %s %.0f MiB: %.1f MiB",
		    up ? "above" : "back under", LAG_WARN_BYTES / mib, b->lag_bytes / mib);
}

size_t timeline_observe(const char *name, const struct tl_observation *was, const struct tl_observation *now,
			const char *error, double at, struct tl_event *out, size_t max)
{
	struct sink k = {out, 0, max, name, at, TL_SRC_OBSERVED};
	observe_state(&k, was->state, now->state, error);
	const struct db_sample *a = was->s, *b = now->s;
	if (!a || !b)
		return k.n;
	observe_role(&k, a, b);
	if (a->health.is_replica && b->health.is_replica)
		observe_standby(&k, &a->standby, &b->standby);
	else if (!a->health.is_replica && !b->health.is_replica)
		observe_standbys(&k, a, b);
	observe_lag(&k, a, b);
	return k.n;
}

static int same_event(const struct cloud_event *x, const struct cloud_event *y)
{
	return x->at == y->at && !strcmp(x->source, y->source) && !strcmp(x->region, y->region) &&
	       !strcmp(x->message, y->message);
}

/* The instance 'id' of 'region' (and of 'account' unless NULL: two accounts may each have one). */
static int is(const struct cloud_instance *ci, const char *region, const char *id, const char *account)
{
	return !strcmp(ci->id, id) && !strcmp(ci->region, region) && (!account || !strcmp(ci->account, account));
}

static const struct cloud_instance *instance(const struct cloud_snapshot *c, const char *region, const char *id,
					     const char *account, size_t hint)
{
	if (hint < c->n && is(&c->inst[hint], region, id, account))
		return &c->inst[hint]; /* discovery keeps its order: usually at the same place */
	for (size_t i = 0; i < c->n; i++)
		if (is(&c->inst[i], region, id, account))
			return &c->inst[i];
	return NULL;
}

static void new_events(struct sink *k, const struct cloud_snapshot *was, const struct cloud_snapshot *now)
{
	for (size_t i = 0; i < now->nevents; i++) {
		const struct cloud_event *e = &now->events[i];
		int seen = 0;
		for (size_t j = 0; was && j < was->nevents && !seen; j++)
			seen = same_event(e, &was->events[j]);
		if (seen)
			continue;
		k->at = e->at;
		k->target = e->source;
		size_t from = k->n;
		int bad = !strcmp(e->category, "failover") || !strcmp(e->category, "failure") ||
			  !strcmp(e->category, "availability");
		put(k, TL_RDS_EVENT, bad ? TL_WARN : TL_INFO, e->category, "%s%s%s", e->category,
		    e->category[0] ? ": " : "", e->message);
		const struct cloud_instance *ci = k->n > from ? instance(now, e->region, e->source, NULL, (size_t)-1) : NULL;
		if (ci)
			snprintf(k->out[k->n - 1].group, sizeof k->out[k->n - 1].group, "%s", ci->cluster);
	}
}

static void changed_instances(struct sink *k, const struct cloud_snapshot *was, const struct cloud_snapshot *now)
{
	for (size_t i = 0; i < now->n; i++) {
		const struct cloud_instance *b = &now->inst[i], *a = instance(was, b->region, b->id, b->account, i);
		if (!a)
			continue; /* newly discovered: no change to tell */
		k->target = b->id;
		size_t from = k->n;
		if (strcmp(a->status, b->status))
			put(k, TL_STATE, strcmp(b->status, "available") ? TL_BAD : TL_GOOD, b->status,
			    "status: %s -> %s",
			    a->status, b->status);
		if (a->role[0] && b->role[0] && strcmp(a->role, b->role))
			put(k, TL_ROLE, TL_WARN, b->role, "role: %s -> %s%s%s", a->role, b->role,
			    b->cluster[0] ? " in cluster " : "",
			    b->cluster);
		for (size_t j = from; j < k->n; j++)
			snprintf(k->out[j].group, sizeof k->out[j].group, "%s", b->cluster);
	}
}

size_t timeline_cloud_diff(const struct cloud_snapshot *was, const struct cloud_snapshot *now, double at,
			   struct tl_event *out, size_t max)
{
	struct sink k = {out, 0, max, "", at, TL_SRC_RDS};
	if (now->events_at > 0 && (!was || was->events_at != now->events_at))
		new_events(&k, was, now);
	k.at = at;
	if (was && was->discovered_at > 0 && was->discovered_at != now->discovered_at)
		changed_instances(&k, was, now);
	return k.n;
}

void timeline_of_action(const struct action_status *a, struct tl_event *out)
{
	struct sink k = {out, 0, 1, a->target_name, a->ended > 0 ? a->ended : a->started, TL_SRC_ACTION};
	int ok = a->state == ACTION_DONE || a->state == ACTION_DRY_RUN;
	put(&k, TL_ACTION, ok ? TL_INFO : TL_WARN, action_state_name(a->state), "%s %s: %s%s%s", a->what, a->object,
	    action_state_name(a->state),
	    a->message[0] ? " - " : "", a->message);
}
