/*
 * vreq.c - actions from viewers of a shared collector: the viewer's send, the collector's
 * reading thread.
 *
 * DESIGN
 * - Wire: a viewer appends one entry to dbfleet:{F}:req:ACLUSER, the stream of the ACL user it
 *   authenticated as (the ACL lets each user write only its own), with the fields of vreq.h.
 *   The request id is made once when the user confirmed: a resend (after a reconnect) carries
 *   the same id.
 * - Trust: the ACL user is the stream's key, never a field. What the viewer says of itself
 *   (OS user, host) is claimed: logged and shown as such. Every field is parsed as hostile
 *   input (vreq_fields.c); the target is named, and found among the collector's own; an AWS
 *   instance's account and profile are the collector's own view of it, not the request's.
 * - Once: SET dbfleet:{F}:reqid:ID NX EX 86400 before anything runs. An id already taken is
 *   not run again (logged). A request whose claim cannot be written is not run.
 * - Where reading starts: the thread reads from VREQ_MAX_AGE_S before it started (by this
 *   host's clock), not from "$", so a request made while no collector held the lease (a
 *   takeover) is still taken; the claim keeps the ones an earlier collector ran from running
 *   again. A request older than VREQ_MAX_AGE_S (by the entry's id, Redis's clock, against
 *   this host's) is refused: what the user saw then may not be there now.
 * - Then the action goes to collector_act like a local one: the worker re-checks the object
 *   (same SQL, same identity check), writes both identities to the audit log, and its
 *   progress and outcome reach viewers through the store, the recorder and the stream
 *   (REC_ACTION, with the request id). A request refused here is published the same way, with
 *   an id of its own below zero.
 * - Thread: one, with its own connection; XREAD BLOCK shorter than the command deadline, so it
 *   sees 'stop' within about a second. vreq_stop sets 'stop' under 'mu'; the thread touches
 *   the collector and the store only under 'mu' with 'stop' clear, so nothing reaches them
 *   once vreq_stop returned, even if the thread is still in a Redis call. The last of the two
 *   to let go of the struct frees it (refs, under mu).
 */
#include "vreq.h"

#include "actions.h"
#include "serve.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../model/clock.h"

#define VREQ_USERS_MAX 16
#define VREQ_MAX_AGE_S 30.0
#define VREQ_BATCH "16"
#define VREQ_STREAM_MAXLEN "1000"
#define VREQ_TAKEN_S "86400"

struct vreq {
	struct redis_conf rc;
	char fleet[REDIS_FLEET_MAX];
	int nusers;
	char user[VREQ_USERS_MAX][REDIS_USER_MAX];
	char key[VREQ_USERS_MAX][REDIS_FLEET_MAX + REDIS_USER_MAX + 16];
	char last[VREQ_USERS_MAX][48];     /* the thread's: the entry read last, per stream */
	char said[ERR_MSG_MAX];            /* the thread's: the last error logged, not repeated */
	int refused;                       /* the thread's: ids of refusals published here, -1 down */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;                          /* guarded by mu */
	int done;                          /* guarded by mu: the thread has ended */
	int refs;                          /* guarded by mu */
	struct collector *col;             /* used under mu while !stop */
	struct store *st;                  /* the same */
};

/* One line to --serve's log, about viewers' requests. */
#define say(...) serve_log("viewer requests: " __VA_ARGS__)

/* ---- the viewer's side ---- */

int vreq_send(struct redis *r, const char *fleet, const char *acl_user, const char *id, const char *os_user,
	      const char *host, const struct action_request *req, const struct store *st, struct err *e)
{
	static _Thread_local struct vreq_fields f; /* 20 KiB: not on the stack */
	struct vreq_msg m;
	memset(&m, 0, sizeof m);
	if (!acl_user[0])
		return err_set(e, ERR_CONFIG, "no ACL user: a viewer's actions go on its own user's request stream");
	snprintf(m.id, sizeof m.id, "%s", id);
	snprintf(m.os_user, sizeof m.os_user, "%s", os_user);
	snprintf(m.host, sizeof m.host, "%s", host);
	if (req->target != ACTION_AWS_ONLY) { /* by name: the collector finds its own index */
		struct target_status ts = {.name = ""};
		struct store *s = (struct store *)st; /* the store locks inside: reading it changes nothing */
		if (req->target < store_count(s)) {
			struct snapshot *snap = store_get(s, req->target, &ts);
			snapshot_release(&snap);
		}
		if (!ts.name[0])
			return err_set(e, ERR_CONFIG, "no such target to act on");
		snprintf(m.target, sizeof m.target, "%s", ts.name);
	}
	m.r = *req;
	if (vreq_encode(&m, &f, e) < 0)
		return -1;
	char key[REDIS_FLEET_MAX + REDIS_USER_MAX + 16];
	char sub[REDIS_USER_MAX + 8];
	snprintf(sub, sizeof sub, "req:%s", acl_user);
	serve_key(key, sizeof key, fleet, sub);
	const char *argv[6 + 2 * VREQ_MAX_FIELDS];
	size_t lens[6 + 2 * VREQ_MAX_FIELDS];
	const char *head[] = {"XADD", key, "MAXLEN", "~", VREQ_STREAM_MAXLEN, "*"};
	int argc = 0;
	for (; argc < 6; argc++) {
		argv[argc] = head[argc];
		lens[argc] = strlen(head[argc]);
	}
	for (size_t i = 0; i < f.n; i++) {
		argv[argc] = f.name[i];
		lens[argc++] = strlen(f.name[i]);
		argv[argc] = f.val[i];
		lens[argc++] = f.vlen[i];
	}
	redisReply *rep = redis_command(r, argc, argv, lens, e);
	if (!rep)
		return -1;
	int rc = rep->type == REDIS_REPLY_STRING ? 0 : -1;
	if (rc < 0)
		err_set(e, ERR_REFUSED, "the action request was not written to '%s': %.*s", key,
			rep->type == REDIS_REPLY_ERROR ? (int)(rep->len > 120 ? 120 : rep->len) : 0,
			rep->type == REDIS_REPLY_ERROR ? rep->str : "");
	freeReplyObject(rep);
	return rc;
}

/* ---- the collector's side ---- */

/* "alice, bob" into v->user/v->key; -1 with 'e' for a name an ACL key pattern would not take. */
static int parse_users(struct vreq *v, const char *list, struct err *e)
{
	const char *p = list;
	while (*p) {
		p += strspn(p, ", \t");
		size_t len = strcspn(p, ", \t");
		if (!len)
			break;
		if (v->nusers == VREQ_USERS_MAX)
			return err_set(e, ERR_CONFIG, "action_users: more than %d users", VREQ_USERS_MAX);
		if (len >= REDIS_USER_MAX || strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-") < len)
			return err_set(e, ERR_CONFIG, "action_users: '%.*s' is not an ACL user name dbfleet takes "
				       "(letters, digits, _ . @ -)", (int)(len > 64 ? 64 : len), p);
		int u = v->nusers++;
		snprintf(v->user[u], sizeof v->user[u], "%.*s", (int)len, p);
		char sub[REDIS_USER_MAX + 8];
		snprintf(sub, sizeof sub, "req:%s", v->user[u]);
		serve_key(v->key[u], sizeof v->key[u], v->fleet, sub);
		p += len;
	}
	if (!v->nusers)
		return err_set(e, ERR_CONFIG, "viewer_actions is on but action_users names no ACL user");
	return 0;
}

/* Log 'msg' unless it was the last thing logged (a server refusing every read, say). */
static void say_once(struct vreq *v, const char *msg)
{
	if (strcmp(v->said, msg)) {
		snprintf(v->said, sizeof v->said, "%s", msg);
		say("%s", msg);
	}
}

/* Wait on cv for at most a tenth of a second. Under mu. */
static void tick(struct vreq *v)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&v->cv, &v->mu, &ts);
}

/* Sleep 's' seconds, waking early on stop; 1 once stopped. */
static int nap(struct vreq *v, double s)
{
	pthread_mutex_lock(&v->mu);
	double until = clock_mono() + s;
	while (!v->stop && clock_mono() < until)
		tick(v);
	int stop = v->stop;
	pthread_mutex_unlock(&v->mu);
	return stop;
}

/* Publish a request refused here as an action outcome (viewers learn it by its id). Under mu. */
static void publish_refusal(struct vreq *v, const struct vreq_msg *m, const char *why)
{
	struct action_status s;
	memset(&s, 0, sizeof s);
	s.id = --v->refused;
	s.target = ACTION_AWS_ONLY;
	snprintf(s.target_name, sizeof s.target_name, "%s", m->target[0] ? m->target : m->r.aws_id);
	snprintf(s.what, sizeof s.what, "%s", m->r.a.kind ? action_kind_name(m->r.a.kind) : "?");
	snprintf(s.object, sizeof s.object, "%s", m->r.object);
	s.started = s.ended = clock_wall();
	s.state = ACTION_REFUSED;
	snprintf(s.message, sizeof s.message, "refused: %s", why);
	action_status_via(&m->r, &s);
	store_action_put(v->st, &s);
}

/* The collector's own index of the target named in the request; -1 with 'e'. Under mu. */
static int find_target(struct vreq *v, struct vreq_msg *m, struct err *e)
{
	m->r.target = ACTION_AWS_ONLY;
	if (!m->target[0])
		return 0;
	size_t n = store_count(v->st);
	for (size_t i = 0; i < n; i++) {
		struct target_status ts = {.name = ""};
		struct snapshot *snap = store_get(v->st, i, &ts);
		snapshot_release(&snap);
		if (!strcmp(ts.name, m->target)) {
			m->r.target = i;
			return 0;
		}
	}
	return err_set(e, ERR_REFUSED, "no target named '%s' on this collector", m->target);
}

/* An AWS action: the instance as this collector sees it (its account and the profile that
 * reaches it are never the request's); -1 with 'e' when it sees no such instance. Under mu. */
static int aws_as_seen(struct vreq *v, struct vreq_msg *m, struct err *e)
{
	if (m->r.a.kind != ACT_SNAPSHOT && m->r.a.kind != ACT_FAILOVER)
		return 0;
	struct cloud_snapshot *c = store_cloud_get(v->st);
	const struct cloud_instance *ci = NULL;
	for (size_t i = 0; c && i < c->n && !ci; i++)
		if (!strcmp(c->inst[i].id, m->r.aws_id) && !strcmp(c->inst[i].region, m->r.aws_region) &&
		    (!m->r.aws_account[0] || !strcmp(c->inst[i].account, m->r.aws_account)))
			ci = &c->inst[i];
	if (ci) {
		snprintf(m->r.aws_account, sizeof m->r.aws_account, "%s", ci->account);
		snprintf(m->r.aws_account_alias, sizeof m->r.aws_account_alias, "%s", ci->account_alias);
		snprintf(m->r.aws_profile, sizeof m->r.aws_profile, "%s", ci->profile);
		snprintf(m->r.aws_cluster, sizeof m->r.aws_cluster, "%s", ci->cluster);
		m->r.aws_multi_az = ci->multi_az;
	}
	cloud_snapshot_release(&c);
	return ci ? 0 : err_set(e, ERR_REFUSED, "no AWS instance '%s' in %s on this collector", m->r.aws_id,
				 m->r.aws_region);
}

/* The request, checked and claimed, to the action worker; what happened goes to the log and,
 * when refused, to the store. Under mu, with !stop. */
static void run_request(struct vreq *v, struct vreq_msg *m, const char *entry, const char *who)
{
	struct err e = {0};
	char what[200];
	snprintf(what, sizeof what, "%s %.96s on %.64s", action_kind_name(m->r.a.kind), m->r.object,
		 m->target[0] ? m->target : m->r.aws_id);
	int id = -1;
	if (find_target(v, m, &e) == 0 && aws_as_seen(v, m, &e) == 0)
		id = collector_act(v->col, &m->r, &e);
	if (id < 0) {
		say("request %s (entry %s) from %s: %s: refused: %s", m->id, entry, who, what, e.msg);
		publish_refusal(v, m, e.msg);
	} else {
		say("request %s (entry %s) from %s: action #%d, %s", m->id, entry, who, id, what);
	}
}

/* SET reqid:ID NX EX: 1 taken now, 0 taken before, -1 with 'e' (the connection is gone when
 * *lost). */
static int claim(struct vreq *v, struct redis *r, const char *id, const char *user, int *lost, struct err *e)
{
	char key[REDIS_FLEET_MAX + 64], sub[64];
	snprintf(sub, sizeof sub, "reqid:%s", id);
	serve_key(key, sizeof key, v->fleet, sub);
	const char *argv[] = {"SET", key, user, "NX", "EX", VREQ_TAKEN_S};
	redisReply *rep = redis_command(r, 6, argv, NULL, e);
	*lost = !rep;
	if (!rep)
		return -1;
	int rc = rep->type == REDIS_REPLY_STATUS ? 1 : rep->type == REDIS_REPLY_NIL ? 0 : -1;
	if (rc < 0)
		err_set(e, ERR_FAIL, "cannot claim the request id: %.*s",
			rep->type == REDIS_REPLY_ERROR ? (int)(rep->len > 120 ? 120 : rep->len) : 0,
			rep->type == REDIS_REPLY_ERROR ? rep->str : "");
	freeReplyObject(rep);
	return rc;
}

/* The entry's time (its id's milliseconds, Redis's clock), 0 when it has none. */
static double entry_time(const char *id)
{
	char *end;
	unsigned long long ms = strtoull(id, &end, 10);
	return *end == '-' ? (double)ms / 1000.0 : 0;
}

/* Take one entry of user u's stream. -1 when the connection is gone (read it again later). */
static int take(struct vreq *v, struct redis *r, int u, const redisReply *ent)
{
	if (ent->type != REDIS_REPLY_ARRAY || ent->elements != 2 || ent->element[0]->type != REDIS_REPLY_STRING)
		return 0;
	char entry[48];
	snprintf(entry, sizeof entry, "%.*s", (int)(ent->element[0]->len < 47 ? ent->element[0]->len : 47),
		 ent->element[0]->str);
	const redisReply *fl = ent->element[1];
	struct vreq_msg m;
	memset(&m, 0, sizeof m);
	struct err e = {0};
	const char *names[VREQ_MAX_FIELDS], *vals[VREQ_MAX_FIELDS];
	size_t nl[VREQ_MAX_FIELDS], vl[VREQ_MAX_FIELDS];
	size_t n = fl->type == REDIS_REPLY_ARRAY ? fl->elements / 2 : 0;
	int shape = fl->type == REDIS_REPLY_ARRAY && fl->elements % 2 == 0 && n <= VREQ_MAX_FIELDS;
	for (size_t i = 0; shape && i < 2 * n; i++)
		shape = fl->element[i]->type == REDIS_REPLY_STRING;
	for (size_t i = 0; shape && i < n; i++) {
		names[i] = fl->element[2 * i]->str, nl[i] = fl->element[2 * i]->len;
		vals[i] = fl->element[2 * i + 1]->str, vl[i] = fl->element[2 * i + 1]->len;
	}
	char who[200];
	int rc = shape ? vreq_parse(n, names, nl, vals, vl, &m, &e) : err_set(&e, ERR_REFUSED, "not a list of fields");
	snprintf(m.r.via_acl_user, sizeof m.r.via_acl_user, "%s", v->user[u]);
	snprintf(m.r.via_os_user, sizeof m.r.via_os_user, "%s", m.os_user);
	snprintf(m.r.via_host, sizeof m.r.via_host, "%s", m.host);
	snprintf(m.r.via_id, sizeof m.r.via_id, "%s", vreq_id_ok(m.id) ? m.id : "");
	snprintf(who, sizeof who, "ACL user %s (claimed %.40s@%.60s)", v->user[u], m.os_user[0] ? m.os_user : "?",
		 m.host[0] ? m.host : "?");
	int lost = 0, taken = 0;
	if (nap(v, 0))
		return -1; /* stopping: claim nothing that would not run */
	if (rc == 0) {
		taken = claim(v, r, m.id, v->user[u], &lost, &e);
		if (lost)
			return -1;
		if (taken == 0) {
			say("request %s (entry %s) from %s: taken already: not run again", m.id, entry, who);
			return 0;
		}
		double age = clock_wall() - entry_time(entry);
		if (taken > 0 && age > VREQ_MAX_AGE_S) {
			taken = -1;
			err_set(&e, ERR_REFUSED, "the request is %.0f s old (at most %.0f by this host's clock): what was"
				" shown may have changed", age, VREQ_MAX_AGE_S);
		}
	}
	pthread_mutex_lock(&v->mu);
	if (!v->stop && taken > 0) {
		run_request(v, &m, entry, who);
	} else if (!v->stop) {
		say("request %s (entry %s) from %s: refused: %s", vreq_id_ok(m.id) ? m.id : "?", entry, who, e.msg);
		publish_refusal(v, &m, e.msg);
	}
	pthread_mutex_unlock(&v->mu);
	return 0;
}

/* One XREAD BLOCK over every user's stream, and what it brought. -1 when the connection is gone. */
static int read_once(struct vreq *v, struct redis *r, int block_ms)
{
	char block[16];
	snprintf(block, sizeof block, "%d", block_ms);
	const char *argv[6 + 2 * VREQ_USERS_MAX] = {"XREAD", "COUNT", VREQ_BATCH, "BLOCK", block, "STREAMS"};
	int argc = 6;
	for (int u = 0; u < v->nusers; u++)
		argv[argc++] = v->key[u];
	for (int u = 0; u < v->nusers; u++)
		argv[argc++] = v->last[u];
	struct err e = {0};
	redisReply *rep = redis_command(r, argc, argv, NULL, &e);
	if (!rep) {
		say_once(v, e.msg);
		return -1;
	}
	int rc = 0;
	if (rep->type == REDIS_REPLY_ERROR) { /* NOPERM, a cluster in trouble: say it once, do not spin */
		char m[ERR_MSG_MAX];
		snprintf(m, sizeof m, "cannot read the request streams: %.*s", (int)(rep->len > 160 ? 160 : rep->len),
			 rep->str);
		say_once(v, m);
		freeReplyObject(rep);
		nap(v, 2);
		return 0;
	}
	v->said[0] = '\0';
	for (size_t s = 0; rep->type == REDIS_REPLY_ARRAY && s < rep->elements && rc == 0; s++) {
		const redisReply *st = rep->element[s];
		if (st->type != REDIS_REPLY_ARRAY || st->elements != 2 || st->element[0]->type != REDIS_REPLY_STRING ||
		    st->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		int u = 0;
		while (u < v->nusers && (strlen(v->key[u]) != st->element[0]->len ||
					 memcmp(v->key[u], st->element[0]->str, st->element[0]->len)))
			u++;
		for (size_t i = 0; u < v->nusers && i < st->element[1]->elements && rc == 0; i++) {
			const redisReply *ent = st->element[1]->element[i];
			rc = take(v, r, u, ent);
			if (rc == 0 && ent->type == REDIS_REPLY_ARRAY && ent->elements >= 1 &&
			    ent->element[0]->type == REDIS_REPLY_STRING && ent->element[0]->len < sizeof v->last[u])
				snprintf(v->last[u], sizeof v->last[u], "%.*s", (int)ent->element[0]->len, ent->element[0]->str);
		}
	}
	freeReplyObject(rep);
	return rc;
}

/* Drop a reference; the last one frees. */
static void unref(struct vreq *v)
{
	pthread_mutex_lock(&v->mu);
	int last = --v->refs == 0;
	pthread_mutex_unlock(&v->mu);
	if (!last)
		return;
	pthread_mutex_destroy(&v->mu);
	pthread_cond_destroy(&v->cv);
	free(v);
}

static void *run(void *arg)
{
	struct vreq *v = arg;
	struct redis *r = NULL;
	double timeout = v->rc.timeout_s > 0 ? v->rc.timeout_s : 5, backoff = 0.5;
	int block_ms = (int)(timeout * 1000 / 2);
	if (block_ms > 1000)
		block_ms = 1000;
	if (block_ms < 10)
		block_ms = 10;
	while (!nap(v, 0)) {
		if (!r) {
			struct err e = {0};
			r = redis_connect(&v->rc, &e);
			if (!r) {
				say_once(v, e.msg);
				nap(v, backoff);
				backoff = backoff * 2 > 10 ? 10 : backoff * 2;
				continue;
			}
			backoff = 0.5;
		}
		if (read_once(v, r, block_ms) < 0)
			redis_free(&r); /* reconnect, and read again from the last entry taken */
	}
	redis_free(&r);
	OPENSSL_thread_stop(); /* this thread's OpenSSL error queue, which LeakSanitizer would see at exit */
	pthread_mutex_lock(&v->mu);
	v->done = 1;
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
	unref(v);
	return NULL;
}

struct vreq *vreq_start(const struct serve_conf *c, const char *fleet, struct collector *col, struct store *st,
			struct err *e)
{
	struct vreq *v = calloc(1, sizeof *v);
	if (!v) {
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	v->rc = c->redis;
	snprintf(v->fleet, sizeof v->fleet, "%s", fleet);
	v->col = col;
	v->st = st;
	v->refs = 2;
	if (parse_users(v, c->action_users, e) < 0) {
		free(v);
		return NULL;
	}
	/* from VREQ_MAX_AGE_S ago: a request made while no collector held the lease is still taken */
	long long from = (long long)((clock_wall() - VREQ_MAX_AGE_S) * 1000);
	for (int u = 0; u < v->nusers; u++)
		snprintf(v->last[u], sizeof v->last[u], "%lld-0", from > 0 ? from : 0);
	pthread_mutex_init(&v->mu, NULL);
	pthread_cond_init(&v->cv, NULL);
	if (pthread_create(&v->th, NULL, run, v) != 0) {
		pthread_mutex_destroy(&v->mu);
		pthread_cond_destroy(&v->cv);
		free(v);
		err_set(e, ERR_FAIL, "cannot start the viewer requests' thread");
		return NULL;
	}
	pthread_detach(v->th);
	say("reading the request streams of %s", c->action_users);
	return v;
}

void vreq_stop(struct vreq **vp)
{
	struct vreq *v = vp ? *vp : NULL;
	if (!v)
		return;
	*vp = NULL;
	double timeout = v->rc.timeout_s > 0 ? v->rc.timeout_s : 5;
	pthread_mutex_lock(&v->mu);
	v->stop = 1; /* from here the thread touches neither the collector nor the store */
	pthread_cond_broadcast(&v->cv);
	/* a Redis call in flight ends within its deadline: wait for it, but never past that */
	double until = clock_mono() + timeout + 1;
	while (!v->done && clock_mono() < until)
		tick(v);
	pthread_mutex_unlock(&v->mu);
	unref(v);
}
