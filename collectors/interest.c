/*
 * interest.c - sampling on demand across the viewers of a shared collector.
 *
 * DESIGN
 * - A viewer's store is watched by its own panes (store_watch, store_watch_triage,
 *   store_pi_watch), but nothing there reads a database. Its attach thread calls
 *   interest_publish every SERVE_INTEREST_EVERY_S: one XADD to dbfleet:{F}:interest
 *   (MAXLEN ~ 1000) with {v: viewer id, w: lines (interest.h)}, an empty w too ("nothing now"),
 *   and at once when what it shows changes (interest_due), so a pane opened or left is heard
 *   within one XREAD block of the attach thread.
 * - The collector's interest thread (one, detached) has its own connection. It reads the
 *   stream with XREAD BLOCK (at most 1 s, and under the command deadline) from "$" after each
 *   connect, so an entry it cannot take (larger than the reply cap) is passed over at the next
 *   connect. It keeps each viewer's latest set with the monotonic time it came, names resolved
 *   to target indices (and "REGION/ID" checked against the cloud snapshot) as it comes: a name
 *   the store does not know is ignored until the viewer's next renewal.
 * - Every second, and at once after a new set, it watches in the collector's store the union
 *   of the sets renewed within SERVE_INTEREST_S, each until its own expiry (so a stuck Redis
 *   call does not end a watch early), and unwatches (a watch of 0 s) what left the union since
 *   the previous pass: a viewer that leaves a pane stops the reads as soon as it says so.
 *   Headless --serve has no panes of its own, so these are the store's only watches.
 * - The text is hostile: any ACL user allowed to write the stream writes it. Lines, names and
 *   viewer ids are bounded (interest.h), at most INTEREST_VIEWERS sets are kept (the oldest
 *   goes first), unknown names and instances change nothing.
 * - Errors: the connection is dropped and made again after a back-off (0.5 s doubling to
 *   10 s); each new message goes to --serve's log (serve_log) once.
 * - Locks: 'mu' guards 'stop', 'done' and every use of the store, so once interest_stop has
 *   set 'stop' the thread never touches the store again, even if a Redis call kept it past
 *   the wait. The owner and the thread each hold a reference; the last frees.
 */
#include "interest.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../model/clock.h"
#include "serve.h"

#define TARGET_NAME 64           /* sizeof target_status.name */
#define BACKOFF_MIN_S 0.5
#define BACKOFF_MAX_S 10.0
#define READ_COUNT "64"          /* entries per XREAD */
#define PI_UNION (STORE_PI_WATCH * 2)

/* One viewer's latest set, resolved against the collector's store. */
struct want {
	int kind;                    /* enum interest_kind */
	size_t t;                    /* watch, triage: the target */
	char key[STORE_PI_KEY];      /* pi: "REGION/ID" */
};

struct viewer {
	char id[INTEREST_VIEWER_MAX];
	double at;                   /* monotonic: when its latest set came */
	size_t n;
	struct want w[INTEREST_LINES];
};

struct pi_until {
	char key[STORE_PI_KEY];
	double until;
};

struct interest {
	atomic_int refs;
	pthread_mutex_t mu;          /* guards stop, done and every use of 'st' */
	pthread_cond_t cv;
	int stop, done;
	struct store *st;
	struct serve_conf conf;
	char key[REDIS_FLEET_MAX + 32];
	/* the thread's own */
	struct redis *r;
	char last_id[64];
	struct viewer *v[INTEREST_VIEWERS];
	double *watch_until, *triage_until; /* the previous pass, per target (0 none) */
	size_t ntargets;
	struct pi_until pi[PI_UNION];
	size_t npi;
	char note[ERR_MSG_MAX];
};

/* ---- the text ---- */

/* 1 if name[0..len) can be a line's name: not empty, shorter than 'max', no control bytes. */
static int name_ok(const char *name, size_t len, size_t max)
{
	if (!len || len >= max)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return 0;
	return 1;
}

/* "REGION/ID": one slash, both parts there and within cloud_instance's sizes. */
static int pi_key_ok(const char *k, size_t len)
{
	const char *slash = memchr(k, '/', len);
	size_t rl = slash ? (size_t)(slash - k) : 0;
	return slash && rl > 0 && rl < 32 && len - rl - 1 > 0 && len - rl - 1 < 64 &&
	       !memchr(slash + 1, '/', len - rl - 1);
}

static const struct {
	const char *word;            /* with its space */
	int kind;
	size_t max;                  /* the name's size with its NUL */
} kinds[] = {
	{"watch ", INTEREST_WATCH, TARGET_NAME},
	{"triage ", INTEREST_TRIAGE, TARGET_NAME},
	{"pi ", INTEREST_PI, STORE_PI_KEY},
};

static void parse_line(const char *p, size_t n, struct interest_set *out)
{
	if (!n)
		return;
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		size_t wl = strlen(kinds[k].word);
		if (n < wl || memcmp(p, kinds[k].word, wl))
			continue;
		const char *name = p + wl;
		size_t len = n - wl;
		if (out->n == INTEREST_LINES || !name_ok(name, len, kinds[k].max) ||
		    (kinds[k].kind == INTEREST_PI && !pi_key_ok(name, len)))
			break;
		struct interest_line *l = &out->line[out->n++];
		l->kind = kinds[k].kind;
		memcpy(l->name, name, len);
		l->name[len] = '\0';
		return;
	}
	out->skipped++;
}

void interest_parse(const char *text, size_t len, struct interest_set *out)
{
	out->n = out->skipped = 0;
	if (len > INTEREST_TEXT_MAX) {
		/* a line cut short could name another target ("watch db-1" of "watch db-12"): drop it */
		const char *nl = text;
		for (const char *q; (q = memchr(nl, '\n', (size_t)(text + INTEREST_TEXT_MAX - nl))); nl = q + 1)
			;
		len = (size_t)(nl - text);
		out->skipped++;
	}
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		parse_line(p, (size_t)(le - p), out);
		p = nl ? nl + 1 : end;
	}
}

/* Append "WORD NAME\n" if it fits whole. */
static int add_line(char *out, size_t n, size_t *o, const char *word, const char *name)
{
	if (!name_ok(name, strlen(name), strcmp(word, "pi") ? TARGET_NAME : STORE_PI_KEY))
		return 0;
	int k = snprintf(out + *o, n - *o, "%s %s\n", word, name);
	if (k < 0 || (size_t)k >= n - *o) {
		out[*o] = '\0';
		return 0;
	}
	*o += (size_t)k;
	return 1;
}

size_t interest_format(struct store *st, char *out, size_t n)
{
	size_t o = 0, lines = 0;
	if (!n)
		return 0;
	out[0] = '\0';
	size_t count = store_count(st);
	for (size_t t = 0; t < count && lines < INTEREST_LINES; t++) {
		int w = store_watched(st, t), tr = store_watched_triage(st, t);
		if (!w && !tr)
			continue;
		struct target_status ts;
		struct snapshot *s = store_get(st, t, &ts);
		snapshot_release(&s);
		lines += w ? (size_t)add_line(out, n, &o, "watch", ts.name) : 0;
		lines += tr && lines < INTEREST_LINES ? (size_t)add_line(out, n, &o, "triage", ts.name) : 0;
	}
	char keys[STORE_PI_WATCH][STORE_PI_KEY];
	size_t nk = store_pi_watched(st, keys, STORE_PI_WATCH);
	for (size_t k = 0; k < nk && lines < INTEREST_LINES; k++)
		lines += (size_t)add_line(out, n, &o, "pi", keys[k]);
	return lines;
}

/* ---- the viewer's side ---- */

int interest_due(struct interest_pub *p, struct store *st)
{
	char text[INTEREST_TEXT_MAX];
	interest_format(st, text, sizeof text);
	unsigned long sum = 2166136261u; /* FNV-1a */
	for (const char *c = text; *c; c++)
		sum = (sum ^ (unsigned char)*c) * 16777619u;
	double now = clock_mono();
	if (now < p->due && sum == p->sum)
		return 0;
	p->sum = sum;
	p->due = now + SERVE_INTEREST_EVERY_S;
	return 1;
}

int interest_publish(struct redis *r, const char *fleet, const char *viewer, struct store *st, struct err *e)
{
	char id[INTEREST_VIEWER_MAX], key[REDIS_FLEET_MAX + 32], *w;
	snprintf(id, sizeof id, "%s", viewer); /* a longer id is cut: the collector would refuse it */
	if (!name_ok(id, strlen(id), sizeof id))
		return err_set(e, ERR_REFUSED, "interest: a bad viewer id");
	w = malloc(INTEREST_TEXT_MAX);
	if (!w)
		return err_set(e, ERR_FAIL, "out of memory");
	serve_key(key, sizeof key, fleet, "interest");
	interest_format(st, w, INTEREST_TEXT_MAX);
	const char *argv[] = {"XADD", key, "MAXLEN", "~", INTEREST_MAXLEN, "*", "v", id, "w", w};
	redisReply *rep = redis_command(r, 10, argv, NULL, e);
	free(w);
	if (!rep)
		return -1;
	int rc = 0;
	if (rep->type == REDIS_REPLY_ERROR)
		rc = err_set(e, ERR_REFUSED, "interest on '%s': %.*s", redis_peer(r), (int)(rep->len > 160 ? 160 : rep->len),
			     rep->str);
	freeReplyObject(rep);
	return rc;
}

/* ---- the collector's side ---- */

static void unref(struct interest *in)
{
	if (atomic_fetch_sub(&in->refs, 1) != 1)
		return;
	redis_free(&in->r);
	for (size_t i = 0; i < INTEREST_VIEWERS; i++)
		free(in->v[i]);
	free(in->watch_until);
	free(in->triage_until);
	pthread_mutex_destroy(&in->mu);
	pthread_cond_destroy(&in->cv);
	free(in);
}

/* A message for --serve's log, once per change. */
static void note(struct interest *in, const char *msg)
{
	if (!strcmp(in->note, msg))
		return;
	snprintf(in->note, sizeof in->note, "%s", msg);
	serve_log("viewers' interest: %s", msg);
}

/* The viewer slot for 'id': its own, else a free or expired one, else the oldest. */
static struct viewer *viewer_slot(struct interest *in, const char *id, double now)
{
	size_t pick = 0;
	for (size_t i = 0; i < INTEREST_VIEWERS; i++) {
		if (in->v[i] && !strcmp(in->v[i]->id, id))
			return in->v[i];
		double age = in->v[i] ? now - in->v[i]->at : 1e18;
		double best = in->v[pick] ? now - in->v[pick]->at : 1e18;
		if (age > best)
			pick = i;
	}
	if (!in->v[pick] && !(in->v[pick] = calloc(1, sizeof *in->v[pick])))
		return NULL;
	snprintf(in->v[pick]->id, sizeof in->v[pick]->id, "%s", id);
	return in->v[pick];
}

/* 1 if the cloud snapshot knows instance "REGION/ID". */
static int pi_known(const struct cloud_snapshot *c, const char *key)
{
	for (size_t i = 0; c && i < c->n; i++) {
		size_t rl = strlen(c->inst[i].region);
		if (!strncmp(key, c->inst[i].region, rl) && key[rl] == '/' && !strcmp(key + rl + 1, c->inst[i].id))
			return 1;
	}
	return 0;
}

/* Take viewer 'id''s new set (caller holds mu): what the store knows of it. */
static void take_set(struct interest *in, const char *id, const struct interest_set *set, double now)
{
	struct viewer *v = viewer_slot(in, id, now);
	if (!v)
		return;
	v->at = now;
	v->n = 0;
	struct cloud_snapshot *c = NULL;
	for (size_t i = 0; i < set->n; i++) {
		const struct interest_line *l = &set->line[i];
		struct want *w = &v->w[v->n];
		w->kind = l->kind;
		if (l->kind == INTEREST_PI) {
			if (!c && !(c = store_cloud_get(in->st)))
				continue;
			if (!pi_known(c, l->name))
				continue;
			snprintf(w->key, sizeof w->key, "%s", l->name);
		} else {
			long t = store_find(in->st, l->name);
			if (t < 0)
				continue;
			w->t = (size_t)t;
		}
		v->n++;
	}
	cloud_snapshot_release(&c);
}

/* Grow the per-target arrays to the store's count (caller holds mu). */
static int fit_targets(struct interest *in, size_t n)
{
	if (n <= in->ntargets)
		return 0;
	double *a = realloc(in->watch_until, n * sizeof *a), *b;
	if (!a)
		return -1;
	in->watch_until = a;
	if (!(b = realloc(in->triage_until, n * sizeof *b)))
		return -1;
	in->triage_until = b;
	memset(a + in->ntargets, 0, (n - in->ntargets) * sizeof *a);
	memset(b + in->ntargets, 0, (n - in->ntargets) * sizeof *b);
	in->ntargets = n;
	return 0;
}

/* The union's PI instances with their latest expiry. */
static size_t pi_union(struct interest *in, double now, struct pi_until *out)
{
	size_t n = 0;
	for (size_t i = 0; i < INTEREST_VIEWERS; i++) {
		struct viewer *v = in->v[i];
		if (!v || now - v->at >= SERVE_INTEREST_S)
			continue;
		for (size_t k = 0; k < v->n; k++) {
			if (v->w[k].kind != INTEREST_PI)
				continue;
			size_t j = 0;
			while (j < n && strcmp(out[j].key, v->w[k].key))
				j++;
			if (j == n && n == PI_UNION)
				continue;
			if (j == n)
				memcpy(out[n++].key, v->w[k].key, STORE_PI_KEY);
			if (out[j].until < v->at + SERVE_INTEREST_S)
				out[j].until = v->at + SERVE_INTEREST_S;
		}
	}
	return n;
}

static void pi_watch(struct store *st, const char key[STORE_PI_KEY], double for_s)
{
	char region[STORE_PI_KEY];
	memcpy(region, key, sizeof region);
	region[sizeof region - 1] = '\0';
	char *slash = strchr(region, '/');
	if (slash) {
		*slash = '\0';
		store_pi_watch(st, region, slash + 1, for_s);
	}
}

/* Watch the union of the live sets in the store; unwatch what left it (caller holds mu). */
static void apply(struct interest *in, double now)
{
	size_t n = store_count(in->st);
	double *wu = calloc(n ? n : 1, sizeof *wu), *tu = calloc(n ? n : 1, sizeof *tu);
	if (!wu || !tu || fit_targets(in, n) < 0)
		goto out;
	for (size_t i = 0; i < INTEREST_VIEWERS; i++) {
		struct viewer *v = in->v[i];
		if (!v || now - v->at >= SERVE_INTEREST_S)
			continue;
		double until = v->at + SERVE_INTEREST_S;
		for (size_t k = 0; k < v->n; k++) {
			const struct want *w = &v->w[k];
			double *u = w->kind == INTEREST_WATCH ? wu : w->kind == INTEREST_TRIAGE ? tu : NULL;
			if (u && w->t < n && u[w->t] < until)
				u[w->t] = until;
		}
	}
	for (size_t t = 0; t < n; t++) {
		if (wu[t] > 0 || in->watch_until[t] > now)
			store_watch(in->st, t, wu[t] > now ? wu[t] - now : 0);
		if (tu[t] > 0 || in->triage_until[t] > now)
			store_watch_triage(in->st, t, tu[t] > now ? tu[t] - now : 0);
	}
	if (n) { /* a fleet of AWS instances only has no targets (and no arrays) */
		memcpy(in->watch_until, wu, n * sizeof *wu);
		memcpy(in->triage_until, tu, n * sizeof *tu);
	}
	struct pi_until pu[PI_UNION] = {{{0}, 0}};
	size_t npu = pi_union(in, now, pu);
	for (size_t i = 0; i < in->npi; i++) {
		size_t j = 0;
		while (j < npu && strcmp(pu[j].key, in->pi[i].key))
			j++;
		if (j == npu && in->pi[i].until > now)
			pi_watch(in->st, in->pi[i].key, 0);
	}
	for (size_t j = 0; j < npu; j++)
		pi_watch(in->st, pu[j].key, pu[j].until - now);
	memcpy(in->pi, pu, sizeof pu);
	in->npi = npu;
out:
	free(wu);
	free(tu);
}

/* The string field 'name' of an entry's field list, or NULL. */
static const redisReply *field(const redisReply *f, const char *name)
{
	for (size_t i = 0; f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements; i += 2) {
		const redisReply *k = f->element[i], *v = f->element[i + 1];
		if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING && k->len == strlen(name) &&
		    !memcmp(k->str, name, k->len))
			return v;
	}
	return NULL;
}

/* One entry [id, [field, value, ...]]: the viewer's new set (caller holds mu). */
static void take_entry(struct interest *in, const redisReply *en, struct interest_set *set, double now)
{
	if (en->type != REDIS_REPLY_ARRAY || en->elements != 2 || en->element[0]->type != REDIS_REPLY_STRING)
		return;
	const redisReply *id = en->element[0];
	if (id->len < sizeof in->last_id) {
		memcpy(in->last_id, id->str, id->len);
		in->last_id[id->len] = '\0';
	}
	const redisReply *v = field(en->element[1], "v"), *w = field(en->element[1], "w");
	char vid[INTEREST_VIEWER_MAX];
	if (!v || !w || !name_ok(v->str, v->len, sizeof vid))
		return;
	memcpy(vid, v->str, v->len);
	vid[v->len] = '\0';
	interest_parse(w->str, w->len, set);
	take_set(in, vid, set, now);
}

/* Wait up to 'ms' for new entries and take them; 1 if some came, 0 none, -1 with 'e'. */
static int read_entries(struct interest *in, int ms, struct interest_set *set, struct err *e)
{
	char block[16];
	snprintf(block, sizeof block, "%d", ms);
	const char *argv[] = {"XREAD", "COUNT", READ_COUNT, "BLOCK", block, "STREAMS", in->key, in->last_id};
	redisReply *rep = redis_command(in->r, 8, argv, NULL, e);
	if (!rep)
		return -1;
	int rc = 0;
	if (rep->type == REDIS_REPLY_ERROR) {
		rc = err_set(e, ERR_FAIL, "reading '%s' on '%s': %.*s", in->key, redis_peer(in->r),
			     (int)(rep->len > 160 ? 160 : rep->len), rep->str);
	} else if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 && rep->element[0]->type == REDIS_REPLY_ARRAY &&
		   rep->element[0]->elements == 2 && rep->element[0]->element[1]->type == REDIS_REPLY_ARRAY) {
		const redisReply *list = rep->element[0]->element[1];
		pthread_mutex_lock(&in->mu);
		double now = clock_mono();
		for (size_t i = 0; !in->stop && i < list->elements; i++)
			take_entry(in, list->element[i], set, now);
		rc = list->elements > 0;
		pthread_mutex_unlock(&in->mu);
	} else if (rep->type != REDIS_REPLY_NIL) {
		rc = err_set(e, ERR_FAIL, "reading '%s' on '%s': an answer that is not a stream", in->key, redis_peer(in->r));
	}
	freeReplyObject(rep);
	return rc;
}

static int stopping(struct interest *in)
{
	pthread_mutex_lock(&in->mu);
	int stop = in->stop;
	pthread_mutex_unlock(&in->mu);
	return stop;
}

/* Sleep up to 's' seconds, woken by interest_stop. */
static void nap(struct interest *in, double s)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	double ns = (double)until.tv_nsec + s * 1e9;
	until.tv_sec += (time_t)(ns / 1e9);
	until.tv_nsec = (long)(ns - (double)(time_t)(ns / 1e9) * 1e9);
	pthread_mutex_lock(&in->mu);
	while (!in->stop && pthread_cond_timedwait(&in->cv, &in->mu, &until) == 0)
		;
	pthread_mutex_unlock(&in->mu);
}

/* Connect (from "$"), or wait the back-off after a failure; 0 when connected. */
static int ensure_connected(struct interest *in, double *backoff)
{
	if (in->r)
		return 0;
	struct err e = {0};
	in->r = redis_connect(&in->conf.redis, &e);
	if (!in->r) {
		note(in, e.msg);
		nap(in, *backoff);
		*backoff = *backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : *backoff * 2;
		return -1;
	}
	snprintf(in->last_id, sizeof in->last_id, "$");
	return 0;
}

static void *interest_main(void *arg)
{
	struct interest *in = arg;
	struct interest_set *set = malloc(sizeof *set);
	double backoff = BACKOFF_MIN_S, timeout = in->conf.redis.timeout_s > 0 ? in->conf.redis.timeout_s : 5.0;
	double next = clock_mono();
	int block_max = timeout >= 2.0 ? 1000 : (int)(timeout * 500);
	while (set && !stopping(in)) {
		if (ensure_connected(in, &backoff) < 0)
			continue;
		int ms = (int)((next - clock_mono()) * 1000);
		struct err e = {0};
		int got = read_entries(in, ms < 1 ? 1 : ms > block_max ? block_max : ms, set, &e);
		if (got < 0) {
			note(in, e.msg);
			redis_free(&in->r);
			nap(in, backoff);
			backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
			continue;
		}
		if (in->note[0]) {
			serve_log("viewers' interest: reading it on %s again", redis_peer(in->r));
			in->note[0] = '\0';
		}
		backoff = BACKOFF_MIN_S;
		double now = clock_mono();
		if (got || now >= next) {
			pthread_mutex_lock(&in->mu);
			if (!in->stop)
				apply(in, now);
			pthread_mutex_unlock(&in->mu);
			next = now + 1.0;
		}
	}
	free(set);
	redis_free(&in->r);
	OPENSSL_thread_stop(); /* this thread's OpenSSL error queue, before the process may leave */
	pthread_mutex_lock(&in->mu);
	in->done = 1;
	pthread_cond_broadcast(&in->cv);
	pthread_mutex_unlock(&in->mu);
	unref(in);
	return NULL;
}

struct interest *interest_start(const struct serve_conf *c, const char *fleet, struct store *st, struct err *e)
{
	struct interest *in = calloc(1, sizeof *in);
	if (!in) {
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	in->conf = *c;
	in->st = st;
	serve_key(in->key, sizeof in->key, fleet, "interest");
	atomic_init(&in->refs, 2);
	pthread_mutex_init(&in->mu, NULL);
	pthread_cond_init(&in->cv, NULL);
	pthread_t th;
	if (pthread_create(&th, NULL, interest_main, in) != 0) {
		atomic_store(&in->refs, 1);
		unref(in);
		err_set(e, ERR_FAIL, "interest: cannot start its thread");
		return NULL;
	}
	pthread_detach(th);
	return in;
}

void interest_stop(struct interest **ip)
{
	struct interest *in = ip ? *ip : NULL;
	if (!in)
		return;
	*ip = NULL;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 500000000L; /* a read blocks for 1 s at most; a stuck call is left to end on its own */
	until.tv_sec += 1 + until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&in->mu);
	in->stop = 1;
	pthread_cond_broadcast(&in->cv);
	while (!in->done && pthread_cond_timedwait(&in->cv, &in->mu, &until) == 0)
		;
	pthread_mutex_unlock(&in->mu);
	unref(in);
}
