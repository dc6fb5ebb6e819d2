/*
 * attach.c - --attach: a store fed from the fleet's Redis stream (attach.h, serve.h).
 *
 * DESIGN
 * - One thread of its own (detached; the owner and the thread each hold a reference, the
 *   last frees) makes every Redis call, on one connection, each under the per-command
 *   deadline; XREAD blocks for less than that deadline.
 * - Start: the state hash (HGETALL) gives every target's description, latest snapshot as a
 *   key frame, state and the AWS snapshot, and the stream entry it stands at; the stream's
 *   history before that entry (XREVRANGE, newest first, at most HISTORY_MAX entries) gives
 *   the timeline and the actions' outcomes, put in first, oldest first; then the stream is
 *   read from the state's entry on. A viewer that joins mid-incident sees the current state
 *   at once, and the timeline back through the stream's history.
 * - Each entry names its collector's token ('c'). When it changes (a standby took over) the
 *   feed forgets its bases: the new collector starts with descriptions and key frames, and
 *   no delta of one collector is ever applied to the other's snapshot.
 * - Lost connection: "stale since", reconnect with back-off (0.2 s doubling to 5 s), then
 *   the state again: if it is newer than the last entry read (or another collector's), the
 *   store starts again from it, else reading resumes after the last entry read.
 * - Everything from Redis is outside input: reply shapes are checked, frames go through the
 *   codec's checksums, text reaches the screen through the panes' sanitiser.
 */
#include "attach.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "feed.h"
#include "interest.h"

#define HISTORY_MAX 2000        /* stream entries read back for the timeline at start */
#define HISTORY_PAGE "100"
#define READ_COUNT "200"
#define BACKOFF_FIRST_S 0.2
#define BACKOFF_MAX_S 5.0

struct attach {
	struct serve_conf c;
	struct store *st;
	atomic_int refs;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, done;            /* guarded by mu */
	struct attach_status status; /* guarded by mu */
	/* the thread's own */
	struct redis *r;
	struct feed feed;
	char key_stream[REDIS_FLEET_MAX + 32], key_state[REDIS_FLEET_MAX + 32];
	char last_id[64];
	char token[REDIS_HOST_MAX + 64];
	char viewer[160];
	int history_done;
	struct interest_pub interest; /* when to tell the collector what this viewer shows next */
	int interest_refused;      /* Redis refused it (a read-only user): said once */
};

static void say(struct attach *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct attach *a, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&a->mu);
	va_start(ap, fmt);
	vsnprintf(a->status.message, sizeof a->status.message, fmt, ap);
	va_end(ap);
	a->status.seq++;
	pthread_mutex_unlock(&a->mu);
}

static void feed_said(void *arg, const char *msg)
{
	say(arg, "%s", msg);
}

static void unref(struct attach *a)
{
	if (atomic_fetch_sub(&a->refs, 1) != 1)
		return;
	redis_free(&a->r);
	feed_release(&a->feed);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
}

struct attach *attach_open(const struct serve_conf *c, struct store *st, struct err *e)
{
	struct attach *a = calloc(1, sizeof *a);
	if (!a) {
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	a->c = *c;
	a->st = st;
	atomic_init(&a->refs, 1);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	serve_key(a->key_stream, sizeof a->key_stream, c->redis.url.fleet, "stream");
	serve_key(a->key_state, sizeof a->key_state, c->redis.url.fleet, "state");
	snprintf(a->status.peer, sizeof a->status.peer, "%s:%d", c->redis.url.host, c->redis.url.port);
	snprintf(a->status.fleet, sizeof a->status.fleet, "%s", c->redis.url.fleet);
	a->status.stale_since = clock_wall(); /* nothing read yet */
	struct passwd pw, *pr = NULL;
	char buf[1024], host[64] = "";
	getpwuid_r(getuid(), &pw, buf, sizeof buf, &pr);
	gethostname(host, sizeof host - 1);
	snprintf(a->viewer, sizeof a->viewer, "%s@%s/%ld", pr ? pr->pw_name : "?", host, (long)getpid());
	feed_init(&a->feed, st, "collector's", feed_said, a);
	store_set_unobserved(st); /* its timeline is the collector's */
	return a;
}

/* Wait up to 's' seconds or until attach_close; 1 when stopping. */
static int nap(struct attach *a, double s)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	long ns = ts.tv_nsec + (long)(s * 1e9);
	ts.tv_sec += ns / 1000000000L;
	ts.tv_nsec = ns % 1000000000L;
	pthread_mutex_lock(&a->mu);
	while (!a->stop && pthread_cond_timedwait(&a->cv, &a->mu, &ts) == 0)
		;
	int stop = a->stop;
	pthread_mutex_unlock(&a->mu);
	return stop;
}

static int stopping(struct attach *a)
{
	pthread_mutex_lock(&a->mu);
	int stop = a->stop;
	pthread_mutex_unlock(&a->mu);
	return stop;
}

/* "1732871234567-3" against another: <0, 0, >0. */
static int id_cmp(const char *x, const char *y)
{
	unsigned long long xm = 0, xs = 0, ym = 0, ys = 0;
	sscanf(x, "%llu-%llu", &xm, &xs);
	sscanf(y, "%llu-%llu", &ym, &ys);
	return xm != ym ? (xm < ym ? -1 : 1) : xs != ys ? (xs < ys ? -1 : 1) : 0;
}

static int is_str(const redisReply *r)
{
	return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

/* The value of field 'name' in a flat [field, value, ...] array, or NULL. */
static const redisReply *field(const redisReply *arr, const char *name)
{
	if (!arr || arr->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (size_t i = 0; i + 1 < arr->elements; i += 2)
		if (is_str(arr->element[i]) && arr->element[i]->len == strlen(name) &&
		    !memcmp(arr->element[i]->str, name, arr->element[i]->len) && is_str(arr->element[i + 1]))
			return arr->element[i + 1];
	return NULL;
}

/* Feed every frame of 'd'; 'only' not 0: just records of those two types (the history). */
static void feed_frames(struct attach *a, const redisReply *d, double at, int only1, int only2)
{
	const uint8_t *p = (const uint8_t *)d->str;
	size_t n = d->len, off = 0;
	while (off < n) {
		struct codec_frame f;
		if (codec_unframe(p + off, n - off, &f) != CODEC_FRAME_OK) {
			say(a, "a damaged entry from the collector: the rest of it skipped");
			return;
		}
		if (!only1 || f.type == only1 || f.type == only2)
			feed_frame(&a->feed, &f, at);
		off += f.size;
	}
}

/* "host/pid" of a token "host/pid/random". */
static void collector_of(const char *token, char *out, size_t n)
{
	const char *last = strrchr(token, '/');
	int len = last && last != token ? (int)(last - token) : (int)strlen(token);
	snprintf(out, n, "%.*s", len, token);
}

/* A new collector's entries from now on: forget the other's bases. */
static void switch_collector(struct attach *a, const char *token, size_t len)
{
	char was[sizeof a->token], tok[sizeof a->token], now[sizeof a->token];
	snprintf(tok, sizeof tok, "%.*s", (int)(len < sizeof tok ? len : sizeof tok - 1), token);
	if (!strcmp(tok, a->token))
		return;
	collector_of(a->token, was, sizeof was);
	snprintf(a->token, sizeof a->token, "%s", tok);
	collector_of(tok, now, sizeof now);
	feed_forget(&a->feed, 1);
	pthread_mutex_lock(&a->mu);
	snprintf(a->status.collector, sizeof a->status.collector, "%s", now);
	pthread_mutex_unlock(&a->mu);
	if (was[0])
		say(a, "collector %s took over from %s", now, was);
}

/* The stream's entries up to the state's ('before'), newest first, into the store oldest
 * first: the timeline and the actions' outcomes (the snapshots are the state's). */
static int history(struct attach *a, const char *before, struct err *e)
{
	redisReply *pages[HISTORY_MAX / 100 + 1];
	size_t np = 0, total = 0;
	char from[72];
	snprintf(from, sizeof from, "%s", before); /* its own entry too: the state has no events */
	int rc = 0;
	while (np < sizeof pages / sizeof pages[0] && total < HISTORY_MAX) {
		const char *argv[] = {"XREVRANGE", a->key_stream, from, "-", "COUNT", HISTORY_PAGE};
		redisReply *rep = redis_command(a->r, 6, argv, NULL, e);
		if (!rep) {
			rc = -1;
			break;
		}
		if (rep->type != REDIS_REPLY_ARRAY || !rep->elements) {
			freeReplyObject(rep);
			break;
		}
		pages[np++] = rep;
		total += rep->elements;
		const redisReply *lastent = rep->element[rep->elements - 1];
		if (lastent->type != REDIS_REPLY_ARRAY || lastent->elements != 2 || !is_str(lastent->element[0]))
			break;
		snprintf(from, sizeof from, "(%.*s", (int)(lastent->element[0]->len < 64 ? lastent->element[0]->len : 64),
			 lastent->element[0]->str);
	}
	for (size_t p = np; rc == 0 && p-- > 0;)
		for (size_t i = pages[p]->elements; i-- > 0;) {
			const redisReply *en = pages[p]->element[i];
			const redisReply *d = en->type == REDIS_REPLY_ARRAY && en->elements == 2 ? field(en->element[1], "d") : NULL;
			if (d)
				feed_frames(a, d, clock_wall(), REC_EVENT, REC_ACTION);
		}
	for (size_t p = 0; p < np; p++)
		freeReplyObject(pages[p]);
	return rc;
}

/* The state hash: where to start (or start again). 0, or -1 with 'e' (the connection failed). */
/* The state hash's reply (HGETALL: [field, value, ...]): start (again) from it when it is newer
 * than the last entry read or another collector's. 0, or -1 with 'e' (reading the history failed). */
static int apply_state(struct attach *a, const redisReply *rep, struct err *e)
{
	const redisReply *id = field(rep, "id"), *c = field(rep, "c"), *d = field(rep, "d"), *act = field(rep, "actions");
	if (!id || !c || !d || id->len >= 64) {
		if (!a->last_id[0])
			say(a, "no collector has published fleet %s yet: waiting for one", a->c.redis.url.fleet);
		return 0;
	}
	pthread_mutex_lock(&a->mu);
	a->status.actions = act && act->len == 2 && !memcmp(act->str, "on", 2);
	pthread_mutex_unlock(&a->mu);
	char sid[64];
	snprintf(sid, sizeof sid, "%.*s", (int)id->len, id->str);
	int other = c->len != strlen(a->token) || memcmp(c->str, a->token, c->len);
	if (a->last_id[0] && !other && id_cmp(sid, a->last_id) <= 0)
		return 0; /* the same collector, nothing missed: resume after the last entry read */
	if (!a->history_done) {
		a->history_done = 1;
		if (history(a, sid, e) < 0)
			return -1;
	}
	switch_collector(a, c->str, c->len);
	feed_forget(&a->feed, 0);
	feed_frames(a, d, clock_wall(), 0, 0);
	snprintf(a->last_id, sizeof a->last_id, "%s", sid);
	unsigned long long ms = 0;
	sscanf(sid, "%llu", &ms);
	pthread_mutex_lock(&a->mu);
	a->status.snapshot_at = (double)ms / 1000;
	pthread_mutex_unlock(&a->mu);
	return 0;
}

/* The state hash: where to start (or start again). 0, or -1 with 'e' (the connection failed). */
static int load_state(struct attach *a, struct err *e)
{
	const char *argv[] = {"HGETALL", a->key_state};
	redisReply *rep = redis_command(a->r, 2, argv, NULL, e);
	if (!rep)
		return -1;
	int rc = apply_state(a, rep, e);
	freeReplyObject(rep);
	return rc;
}

/* An XREAD's reply: [[stream, [[id, [field, value, ...]], ...]]]; anything else is skipped. */
static void apply_entries(struct attach *a, const redisReply *rep)
{
	const redisReply *entries = rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
				    rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements == 2
				    ? rep->element[0]->element[1] : NULL;
	for (size_t i = 0; entries && entries->type == REDIS_REPLY_ARRAY && i < entries->elements; i++) {
		const redisReply *en = entries->element[i];
		if (en->type != REDIS_REPLY_ARRAY || en->elements != 2 || !is_str(en->element[0]) || en->element[0]->len >= 64)
			continue;
		const redisReply *c = field(en->element[1], "c"), *d = field(en->element[1], "d");
		snprintf(a->last_id, sizeof a->last_id, "%.*s", (int)en->element[0]->len, en->element[0]->str);
		if (!c || !d)
			continue;
		switch_collector(a, c->str, c->len);
		feed_frames(a, d, clock_wall(), 0, 0);
		unsigned long long ms = 0;
		sscanf(a->last_id, "%llu", &ms);
		pthread_mutex_lock(&a->mu);
		a->status.snapshot_at = (double)ms / 1000;
		a->status.stale_since = 0;
		pthread_mutex_unlock(&a->mu);
	}
}

/* One XREAD: entries after last_id, or none within the block. 0, or -1 with 'e'. */
static int read_stream(struct attach *a, struct err *e)
{
	double t = a->c.redis.timeout_s > 0 ? a->c.redis.timeout_s : 5;
	char block[32];
	snprintf(block, sizeof block, "%ld", (long)(t * 1000 / 2 < 1000 ? t * 1000 / 2 : 1000));
	const char *argv[] = {"XREAD", "COUNT", READ_COUNT, "BLOCK", block, "STREAMS", a->key_stream,
			      a->last_id[0] ? a->last_id : "0-0"};
	redisReply *rep = redis_command(a->r, 8, argv, NULL, e);
	if (!rep)
		return -1;
	if (rep->type == REDIS_REPLY_ERROR) {
		err_set(e, ERR_FAIL, "XREAD: %.*s", (int)(rep->len < 160 ? rep->len : 160), rep->str);
		freeReplyObject(rep);
		return -1;
	}
	apply_entries(a, rep);
	freeReplyObject(rep);
	return 0;
}

/* Lost (or could not make) the connection: the status bar says STALE; a word when it changes. */
static void disconnected(struct attach *a, const struct err *e)
{
	redis_free(&a->r);
	pthread_mutex_lock(&a->mu);
	int was = a->status.connected || !a->status.seq;
	a->status.connected = 0;
	if (!a->status.stale_since)
		a->status.stale_since = clock_wall();
	pthread_mutex_unlock(&a->mu);
	if (was)
		say(a, "Redis at %s: %s; reconnecting", a->status.peer, e->msg);
}

/* What this viewer's panes watch, to the collector (interest.c); a refusal changes nothing else. */
static void publish_interest(struct attach *a)
{
	struct err e = {0};
	if (interest_publish(a->r, a->c.redis.url.fleet, a->viewer, a->st, &e) == 0)
		a->interest_refused = 0;
	else if (e.code != ERR_REFUSED)
		redis_free(&a->r); /* the connection failed: the loop makes it again */
	else if (!a->interest_refused++)
		say(a, "the collector reads details only for what other viewers show: %s", e.msg);
}

static void *attach_main(void *arg)
{
	struct attach *a = arg;
	double backoff = BACKOFF_FIRST_S;
	int before = 0; /* connected once already */
	while (!stopping(a)) {
		struct err e = {0};
		if (!a->r) {
			a->r = redis_connect(&a->c.redis, &e);
			if (!a->r || load_state(a, &e) < 0) {
				disconnected(a, &e);
				if (nap(a, backoff))
					break;
				backoff = backoff * 2 < BACKOFF_MAX_S ? backoff * 2 : BACKOFF_MAX_S;
				continue;
			}
			pthread_mutex_lock(&a->mu);
			a->status.connected = 1;
			pthread_mutex_unlock(&a->mu);
			if (before++) /* the first connection needs no word */
				say(a, "reconnected to %s", redis_peer(a->r));
			backoff = BACKOFF_FIRST_S;
		}
		if (read_stream(a, &e) < 0)
			disconnected(a, &e);
		else if (!a->token[0] && load_state(a, &e) < 0) /* no collector yet: look for its state */
			disconnected(a, &e);
		if (a->r && interest_due(&a->interest, a->st))
			publish_interest(a);
	}
	redis_free(&a->r); /* now, not at the last unref: the owner waits for this (attach_close) */
	OPENSSL_thread_stop(); /* this thread's OpenSSL error queue, which LeakSanitizer would see at exit */
	pthread_mutex_lock(&a->mu);
	a->done = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	unref(a);
	return NULL;
}

int attach_start(struct attach *a, struct err *e)
{
	pthread_t th;
	atomic_fetch_add(&a->refs, 1);
	if (pthread_create(&th, NULL, attach_main, a) != 0) {
		atomic_fetch_sub(&a->refs, 1);
		return err_set(e, ERR_FAIL, "--attach: cannot start its thread");
	}
	pthread_detach(th);
	return 0;
}

void attach_close(struct attach **ap)
{
	struct attach *a = ap ? *ap : NULL;
	if (!a)
		return;
	*ap = NULL;
	/* wait (a little) for the thread to leave: a command in flight ends within its block */
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->cv);
	while (!a->done && pthread_cond_timedwait(&a->cv, &a->mu, &until) == 0)
		;
	pthread_mutex_unlock(&a->mu);
	unref(a);
}

void attach_apply(struct attach *a, const redisReply *rep, int state)
{
	struct err e = {0};
	a->history_done = 1; /* no connection: no history to read */
	if (state)
		apply_state(a, rep, &e);
	else
		apply_entries(a, rep);
}

void attach_get_status(struct attach *a, struct attach_status *out)
{
	pthread_mutex_lock(&a->mu);
	*out = a->status;
	pthread_mutex_unlock(&a->mu);
}
