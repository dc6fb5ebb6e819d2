/*
 * record.c - the recorder: what the store takes in, to a record file.
 *
 * DESIGN
 * - The store calls the tap under its lock (store_set_tap): each call takes
 *   a reference (snapshots, the cloud snapshot) or a small copy (an action,
 *   an error) and puts it on a bounded queue guarded by 'mu'. It never waits:
 *   when the queue is full (the disk is slower than the fleet) the item is
 *   dropped and counted, and the end record says how many.
 * - One thread of its own (detached; the owner and the thread each hold a
 *   reference, the last frees) takes the queue, encodes (codec.h: a
 *   snapshot is a delta against the same target's last written one, a key
 *   frame at least every RECORD_KEYFRAME_S) and writes with write(2). Its
 *   per-target state ('tg', the bases) is its alone.
 * - Times: a snapshot's monotonic 'mono' becomes wall-clock time with the
 *   offset between the clocks taken at start, so a replay's ages are the
 *   recorded ones.
 * - Size: when the file would pass 'max', it becomes FILE.1 and a new FILE
 *   starts with a header, the targets and key frames.
 * - record_stop() sets 'stop' and waits (bounded) for the thread to write
 *   what is queued and the end record.
 */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"

#define QUEUE_MAX 8192      /* items: ~80 s of a 100-target fleet at 1 s */
#define FLUSH_BYTES 65536

enum item_type { IT_SNAPSHOT, IT_STATE, IT_ACTION, IT_CLOUD, IT_EVENT, IT_PI };

struct item {
	int type;
	size_t t;
	int state;
	double at; /* wall clock when the store took it in */
	void *p;  /* struct snapshot *, struct cloud_snapshot *, struct action_status *, char * (error), struct tl_event * */
};

struct target_rec {          /* the thread's own */
	struct snapshot *base;   /* the last written snapshot (a reference) */
	uint64_t seq;            /* its number */
	double key_at;           /* when the last key frame was written */
	int described, state;
	char error[ERR_MSG_MAX];
};

struct recorder {
	struct store *st;
	char path[PATH_MAX];
	double max_bytes;
	double off;                   /* wall minus monotonic, at start */
	atomic_int refs;
	atomic_ullong dropped;
	pthread_mutex_t mu;           /* guards the queue, stop and done */
	pthread_cond_t cv;
	struct item q[QUEUE_MAX];
	size_t head, len;
	int stop, done;
	/* the thread's own */
	int fd;
	double size;
	struct target_rec *tg;
	size_t ntg;
	struct cloud_snapshot *cloud_base;
	uint64_t cloud_seq;
	struct codec_buf out, pl, state;
	int failed;
	/* a sink in place of the file (record_start_sink) */
	struct record_sink sink;
	double state_at;              /* when the state last went with a batch; 0: with the next */
};

static void item_free(struct item *it)
{
	if (it->type == IT_SNAPSHOT) {
		struct snapshot *s = it->p;
		snapshot_release(&s);
	} else if (it->type == IT_CLOUD) {
		struct cloud_snapshot *c = it->p;
		cloud_snapshot_release(&c);
	} else if (it->type == IT_PI) {
		struct pi_snapshot *p = it->p;
		pi_snapshot_release(&p);
	} else {
		free(it->p);
	}
	it->p = NULL;
}

/* Queue an item (the store's lock is held): never waits; a full queue drops it. */
static void push(struct recorder *r, struct item it)
{
	it.at = clock_wall();
	pthread_mutex_lock(&r->mu);
	if (r->stop || r->len == QUEUE_MAX || ((it.type == IT_STATE || it.type == IT_ACTION || it.type == IT_EVENT) && !it.p)) {
		pthread_mutex_unlock(&r->mu);
		atomic_fetch_add(&r->dropped, 1);
		item_free(&it);
		return;
	}
	r->q[(r->head + r->len++) % QUEUE_MAX] = it;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void tap_snapshot(void *arg, size_t t, struct snapshot *snap)
{
	atomic_fetch_add(&snap->refs, 1);
	push(arg, (struct item){IT_SNAPSHOT, t, 0, 0, snap});
}

static void tap_state(void *arg, size_t t, enum target_state st, const char *error)
{
	push(arg, (struct item){IT_STATE, t, (int)st, 0, strdup(error ? error : "")});
}

static void tap_action(void *arg, const struct action_status *a)
{
	struct action_status *copy = malloc(sizeof *copy);
	if (copy)
		*copy = *a;
	push(arg, (struct item){IT_ACTION, 0, 0, 0, copy});
}

static void tap_cloud(void *arg, struct cloud_snapshot *c)
{
	atomic_fetch_add(&c->refs, 1);
	push(arg, (struct item){IT_CLOUD, 0, 0, 0, c});
}

static void tap_event(void *arg, const struct tl_event *ev)
{
	struct tl_event *copy = malloc(sizeof *copy);
	if (copy)
		*copy = *ev;
	push(arg, (struct item){IT_EVENT, 0, 0, 0, copy});
}

static void tap_pi(void *arg, struct pi_snapshot *p)
{
	atomic_fetch_add(&p->refs, 1);
	push(arg, (struct item){IT_PI, 0, 0, 0, p});
}

static void unref(struct recorder *r)
{
	if (atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	for (size_t i = 0; i < r->len; i++)
		item_free(&r->q[(r->head + i) % QUEUE_MAX]);
	for (size_t i = 0; i < r->ntg; i++)
		snapshot_release(&r->tg[i].base);
	free(r->tg);
	cloud_snapshot_release(&r->cloud_base);
	codec_buf_release(&r->out);
	codec_buf_release(&r->pl);
	codec_buf_release(&r->state);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

/* ---- the thread: encoding and writing ---- */

static void build_state(struct recorder *r);
static void forget(struct recorder *r);

/* The sink's flush: the batch (and the state when due) in one publish. */
static void publish(struct recorder *r, int idle)
{
	if (r->failed || (!r->out.len && !idle))
		return;
	double now = clock_mono();
	int with_state = r->out.len && (!r->state_at || now - r->state_at >= r->sink.state_s);
	if (with_state)
		build_state(r);
	int rc = r->sink.publish(r->sink.arg, r->out.p, r->out.len, with_state ? r->state.p : NULL,
				 with_state ? r->state.len : 0);
	if (rc == 0 && with_state)
		r->state_at = now;
	if (rc < 0 && r->out.len) {
		atomic_fetch_add(&r->dropped, 1);
		forget(r);          /* the next batch starts again from key frames */
		r->state_at = 0;    /* and carries the state */
	}
	if (rc == -2)
		r->failed = 1;      /* never again */
	r->out.len = 0;
	r->out.oom = 0;
}

static void flush(struct recorder *r)
{
	if (r->sink.publish) {
		publish(r, 0);
		return;
	}
	size_t done = 0;
	while (!r->failed && done < r->out.len) {
		ssize_t w = write(r->fd, r->out.p + done, r->out.len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r->failed = 1; /* the disk is full or gone: what follows is dropped and counted */
			break;
		}
		done += (size_t)w;
	}
	r->size += (double)done;
	r->out.len = 0;
	r->out.oom = 0;
}

/* Frame the payload built in r->pl into 'dst'; the item is dropped (counted) if that fails. */
static void emit_into(struct recorder *r, int type, struct codec_buf *dst)
{
	if (r->pl.oom || codec_frame(dst, type, &r->pl) < 0)
		atomic_fetch_add(&r->dropped, 1);
	r->pl.len = 0;
	r->pl.oom = 0;
}

static void emit(struct recorder *r, int type)
{
	emit_into(r, type, &r->out);
	if (r->out.len >= FLUSH_BYTES && !r->sink.publish)
		flush(r);
}

/* The header record of a writer starting now (its version, program and host) into 'pl'. */
static int put_header(struct codec_buf *pl)
{
	struct rec_header h = {.version = CODEC_VERSION, .at = clock_wall()};
	snprintf(h.writer, sizeof h.writer, "dbfleet %s", DBFLEET_VERSION);
	if (gethostname(h.host, sizeof h.host - 1) < 0)
		h.host[0] = '\0';
	return codec_put_header(pl, &h);
}

int record_header_frame(struct codec_buf *out)
{
	struct codec_buf pl = {0};
	int rc = put_header(&pl) < 0 || pl.oom || codec_frame(out, REC_HEADER, &pl) < 0 ? -1 : 0;
	codec_buf_release(&pl);
	return rc;
}

static void write_header(struct recorder *r)
{
	put_header(&r->pl);
	emit(r, REC_HEADER);
}

/* Target 't''s name and endpoint, from the store, as a record into 'dst'. */
static void describe(struct recorder *r, size_t t, struct codec_buf *dst)
{
	struct target_status st;
	struct snapshot *snap = store_get(r->st, t, &st);
	snapshot_release(&snap);
	struct rec_target d = {.idx = (uint32_t)t, .at = clock_wall(), .interval_s = st.interval_s,
			       .timeout_s = st.timeout_s};
	snprintf(d.name, sizeof d.name, "%s", st.name);
	snprintf(d.engine, sizeof d.engine, "%s", st.engine);
	snprintf(d.endpoint, sizeof d.endpoint, "%s", st.endpoint);
	snprintf(d.cloud_id, sizeof d.cloud_id, "%s", st.cloud_id);
	snprintf(d.tags, sizeof d.tags, "%s", st.tags);
	codec_put_target(&r->pl, &d);
	emit_into(r, REC_TARGET, dst);
}

/* The per-target state for 't', grown as targets are adopted; NULL on OOM. */
static struct target_rec *target(struct recorder *r, size_t t)
{
	if (t >= r->ntg) {
		size_t n = t + 16;
		struct target_rec *p = realloc(r->tg, n * sizeof *p);
		if (!p)
			return NULL;
		memset(p + r->ntg, 0, (n - r->ntg) * sizeof *p);
		r->tg = p;
		r->ntg = n;
	}
	struct target_rec *tr = &r->tg[t];
	if (!tr->described) {
		describe(r, t, &r->out);
		tr->described = 1;
	}
	return tr;
}

/* Every target starts again with its description and a key frame; the AWS snapshot too. */
static void forget(struct recorder *r)
{
	for (size_t i = 0; i < r->ntg; i++) {
		snapshot_release(&r->tg[i].base);
		r->tg[i].described = 0;
	}
	cloud_snapshot_release(&r->cloud_base);
}

/* A new file: what was FILE is FILE.1, and every target starts again with its description and a key frame. */
static void rotate(struct recorder *r)
{
	flush(r);
	char old[PATH_MAX + 4];
	snprintf(old, sizeof old, "%s.1", r->path);
	close(r->fd);
	r->fd = -1;
	if (rename(r->path, old) < 0 ||
	    (r->fd = open(r->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		r->failed = 1;
		return;
	}
	r->size = 0;
	forget(r);
	write_header(r);
}

static void put_snapshot(struct recorder *r, size_t t, struct snapshot *snap)
{
	struct target_rec *tr = target(r, t);
	if (!tr) {
		atomic_fetch_add(&r->dropped, 1);
		return;
	}
	struct rec_snapshot cur = {.idx = (uint32_t)t, .seq = ++tr->seq, .at = snap->mono + r->off,
				   .cost_ms_s = snap->cost_ms_s, .s = snap->s}, base;
	int key = !tr->base || cur.at - tr->key_at >= RECORD_KEYFRAME_S;
	if (!key)
		base = (struct rec_snapshot){.idx = (uint32_t)t, .seq = tr->seq - 1, .at = tr->base->mono + r->off,
					     .cost_ms_s = tr->base->cost_ms_s, .s = tr->base->s};
	if (key)
		tr->key_at = cur.at;
	codec_put_snapshot(&r->pl, &cur, key ? NULL : &base); /* shallow: the snapshots keep their arrays */
	emit(r, REC_SNAPSHOT);
	snapshot_release(&tr->base);
	tr->base = snap; /* the item's reference moves here */
	tr->state = TARGET_OK;
	tr->error[0] = '\0';
}

static void put_state(struct recorder *r, size_t t, int state, const char *error, double at)
{
	struct target_rec *tr = target(r, t);
	if (!tr || (tr->state == state && !strcmp(tr->error, error)))
		return; /* a retry that failed the same way again: nothing new */
	tr->state = state;
	snprintf(tr->error, sizeof tr->error, "%s", error);
	struct rec_state s = {.idx = (uint32_t)t, .at = at, .state = state};
	snprintf(s.error, sizeof s.error, "%s", error);
	codec_put_state(&r->pl, &s);
	emit(r, REC_STATE);
}

/* The cloud snapshot as recorded: its monotonic times as wall-clock ones. */
static void cloud_rec(const struct recorder *r, const struct cloud_snapshot *c, uint64_t seq, double at,
		      struct rec_cloud *out)
{
	memset(out, 0, sizeof *out);
	memcpy(&out->c, c, sizeof *c); /* shallow */
	out->seq = seq;
	out->at = at;
	out->c.discovered_at = c->discovered_at > 0 ? c->discovered_at + r->off : 0;
	out->c.metrics_at = c->metrics_at > 0 ? c->metrics_at + r->off : 0;
	out->c.events_at = c->events_at > 0 ? c->events_at + r->off : 0;
}

static void put_cloud(struct recorder *r, struct cloud_snapshot *c, double at)
{
	struct rec_cloud cur, base;
	cloud_rec(r, c, ++r->cloud_seq, at, &cur);
	if (r->cloud_base)
		cloud_rec(r, r->cloud_base, r->cloud_seq - 1, at, &base);
	codec_put_cloud(&r->pl, &cur, r->cloud_base ? &base : NULL);
	emit(r, REC_CLOUD);
	cloud_snapshot_release(&r->cloud_base);
	r->cloud_base = c;
}

/* The whole state as frames into r->state: what a reader starting now needs (record_sink). */
static void build_state(struct recorder *r)
{
	r->state.len = 0;
	r->state.oom = 0;
	for (size_t t = 0; t < r->ntg; t++) {
		struct target_rec *tr = &r->tg[t];
		if (!tr->described)
			continue;
		describe(r, t, &r->state);
		if (tr->base) {
			struct rec_snapshot k = {.idx = (uint32_t)t, .seq = tr->seq, .at = tr->base->mono + r->off,
						 .cost_ms_s = tr->base->cost_ms_s, .s = tr->base->s};
			codec_put_snapshot(&r->pl, &k, NULL);
			emit_into(r, REC_SNAPSHOT, &r->state);
		}
		if (tr->state != TARGET_OK && (tr->state != TARGET_CONNECTING || tr->error[0])) {
			struct rec_state st = {.idx = (uint32_t)t, .at = clock_wall(), .state = tr->state};
			snprintf(st.error, sizeof st.error, "%s", tr->error);
			codec_put_state(&r->pl, &st);
			emit_into(r, REC_STATE, &r->state);
		}
	}
	if (r->cloud_base) {
		struct rec_cloud k;
		cloud_rec(r, r->cloud_base, r->cloud_seq, clock_wall(), &k);
		codec_put_cloud(&r->pl, &k, NULL);
		emit_into(r, REC_CLOUD, &r->state);
	}
}

static void put_item(struct recorder *r, struct item *it)
{
	if (r->failed) {
		atomic_fetch_add(&r->dropped, 1);
		item_free(it);
		return;
	}
	if (r->size + (double)r->out.len >= r->max_bytes)
		rotate(r);
	switch (it->type) {
	case IT_SNAPSHOT:
		put_snapshot(r, it->t, it->p);
		it->p = NULL; /* kept as the next base */
		break;
	case IT_STATE:
		put_state(r, it->t, it->state, it->p, it->at);
		break;
	case IT_ACTION: {
		struct rec_action a = {.at = it->at, .a = *(struct action_status *)it->p};
		codec_put_action(&r->pl, &a);
		emit(r, REC_ACTION);
		break;
	}
	case IT_CLOUD:
		put_cloud(r, it->p, it->at);
		it->p = NULL;
		break;
	case IT_EVENT: {
		struct rec_event v = {.at = it->at, .ev = *(struct tl_event *)it->p};
		codec_put_event(&r->pl, &v);
		emit(r, REC_EVENT);
		break;
	}
	case IT_PI: {
		static _Thread_local struct rec_pi v; /* 45 KiB, off the stack */
		v.at = it->at;
		v.pi = ((struct pi_snapshot *)it->p)->pi;
		codec_put_pi(&r->pl, &v);
		emit(r, REC_PI);
		break;
	}
	}
	item_free(it);
}

/* Wait for items: without a sink until one comes; with one at most idle_s (then 1: renew). */
static int wait_items(struct recorder *r)
{
	if (!r->sink.publish) {
		while (!r->len && !r->stop)
			pthread_cond_wait(&r->cv, &r->mu);
		return 0;
	}
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	long ns = until.tv_nsec + (long)(r->sink.idle_s * 1e9);
	until.tv_sec += ns / 1000000000L;
	until.tv_nsec = ns % 1000000000L;
	while (!r->len && !r->stop)
		if (pthread_cond_timedwait(&r->cv, &r->mu, &until) != 0)
			return !r->len && !r->stop;
	if (r->len && !r->stop && r->sink.gather_s > 0) { /* a batch per publish, not an item */
		clock_gettime(CLOCK_REALTIME, &until);
		ns = until.tv_nsec + (long)(r->sink.gather_s * 1e9);
		until.tv_sec += ns / 1000000000L;
		until.tv_nsec = ns % 1000000000L;
		while (!r->stop && r->len < QUEUE_MAX / 2 && pthread_cond_timedwait(&r->cv, &r->mu, &until) == 0)
			;
	}
	return 0;
}

static void *record_main(void *arg)
{
	struct recorder *r = arg;
	struct item batch[256];
	for (;;) {
		pthread_mutex_lock(&r->mu);
		int idle = wait_items(r);
		size_t n = 0;
		for (; n < sizeof batch / sizeof batch[0] && r->len; n++, r->len--) {
			batch[n] = r->q[r->head];
			r->head = (r->head + 1) % QUEUE_MAX;
		}
		int stop = r->stop && !r->len && !n;
		pthread_mutex_unlock(&r->mu);
		if (stop)
			break;
		for (size_t i = 0; i < n; i++)
			put_item(r, &batch[i]);
		if (idle)
			publish(r, 1);
		else
			flush(r);
	}
	if (!r->sink.publish) {
		struct rec_end e = {.at = clock_wall(), .dropped = atomic_load(&r->dropped)};
		snprintf(e.why, sizeof e.why, "dbfleet stopped recording");
		codec_put_end(&r->pl, &e);
		emit(r, REC_END);
		flush(r);
	}
	if (r->fd >= 0)
		close(r->fd);
	if (r->sink.publish)
		OPENSSL_thread_stop(); /* the sink's TLS: this thread's OpenSSL error queue */
	pthread_mutex_lock(&r->mu);
	r->done = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	unref(r);
	return NULL;
}

/* The parts of the two starts that are the same: the thread, then the tap. */
static struct recorder *start(struct recorder *r, struct store *st, struct err *err)
{
	r->off = clock_wall() - clock_mono();
	atomic_init(&r->refs, 2);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->st = st;
	if (!r->sink.publish) {
		write_header(r);
		flush(r);
	}
	pthread_t th;
	if (pthread_create(&th, NULL, record_main, r) != 0) {
		if (r->fd >= 0)
			close(r->fd);
		atomic_store(&r->refs, 1);
		unref(r);
		err_set(err, ERR_FAIL, "recorder: cannot start its thread");
		return NULL;
	}
	pthread_detach(th);
	store_set_tap(st, &(struct store_tap){tap_snapshot, tap_state, tap_action, tap_cloud, tap_event, tap_pi, r});
	return r;
}

struct recorder *record_start_sink(struct store *st, const struct record_sink *sink, struct err *err)
{
	struct recorder *r = calloc(1, sizeof *r);
	if (!r) {
		err_set(err, ERR_FAIL, "out of memory");
		return NULL;
	}
	r->fd = -1;
	r->sink = *sink;
	r->max_bytes = 1e300; /* no file to turn over */
	return start(r, st, err);
}

struct recorder *record_start(struct store *st, const char *path, double max_mb, struct err *err)
{
	struct recorder *r = calloc(1, sizeof *r);
	if (!r) {
		err_set(err, ERR_FAIL, "out of memory");
		return NULL;
	}
	size_t len = strlen(path);
	if (len >= sizeof r->path - 4) {
		free(r);
		err_set(err, ERR_CONFIG, "--record: the file name is too long");
		return NULL;
	}
	memcpy(r->path, path, len + 1);
	r->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (r->fd < 0) {
		err_set(err, ERR_CONFIG, "--record: cannot open '%.200s': %s", path, strerror(errno));
		free(r);
		return NULL;
	}
	r->size = (double)lseek(r->fd, 0, SEEK_END);
	r->max_bytes = (max_mb > 0 ? max_mb : RECORD_MAX_MB_DEFAULT) * 1024 * 1024;
	return start(r, st, err);
}

unsigned long long record_dropped(struct recorder *r)
{
	return r ? atomic_load(&r->dropped) : 0;
}

void record_stop(struct recorder **rp, double wait_s)
{
	struct recorder *r = rp ? *rp : NULL;
	if (!r)
		return;
	*rp = NULL;
	store_set_tap(r->st, NULL);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)wait_s;
	until.tv_nsec += (long)((wait_s - (double)(time_t)wait_s) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_broadcast(&r->cv);
	while (!r->done && pthread_cond_timedwait(&r->cv, &r->mu, &until) == 0)
		;
	pthread_mutex_unlock(&r->mu);
	unref(r);
}
