/*
 * feed.c - records into a store (feed.h): the part of --replay and --attach that is the same.
 */
#include "feed.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FEED_TARGETS_MAX 100000 /* a target index past this is damage (or a hostile writer) */

void feed_init(struct feed *f, struct store *st, const char *prices_date, void (*say)(void *, const char *), void *arg)
{
	*f = (struct feed){.st = st, .prices_date = prices_date, .say = say, .arg = arg};
}

void feed_release(struct feed *f)
{
	for (size_t i = 0; i < f->nbases; i++)
		snapshot_release(&f->bases[i].snap);
	free(f->bases);
	f->bases = NULL;
	f->nbases = 0;
	cloud_snapshot_release(&f->cloud);
}

void feed_forget(struct feed *f, int quiet)
{
	for (size_t i = 0; i < f->nbases; i++) {
		snapshot_release(&f->bases[i].snap);
		f->bases[i].skipping = quiet;
	}
	cloud_snapshot_release(&f->cloud);
}

void feed_skip_deltas(struct feed *f)
{
	for (size_t i = 0; i < f->nbases; i++)
		f->bases[i].skipping = 1;
}

static void tell(struct feed *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tell(struct feed *f, const char *fmt, ...)
{
	if (!f->say)
		return;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	f->say(f->arg, msg);
}

void feed_hms(double t, char *out, size_t n)
{
	time_t s = (time_t)t;
	struct tm tm;
	if (t <= 0 || !gmtime_r(&s, &tm))
		snprintf(out, n, "--:--:--Z");
	else
		strftime(out, n, "%H:%M:%SZ", &tm);
}

static struct feed_base *base_for(struct feed *f, size_t t)
{
	if (t >= f->nbases) {
		size_t n = t + 16;
		struct feed_base *p = realloc(f->bases, n * sizeof *p);
		if (!p)
			return NULL;
		memset(p + f->nbases, 0, (n - f->nbases) * sizeof *p);
		f->bases = p;
		f->nbases = n;
	}
	return &f->bases[t];
}

static void put_target(struct feed *f, const struct codec_frame *fr)
{
	struct rec_target d;
	struct err e = {0};
	if (codec_get_target(fr->payload, fr->len, &d, &e) < 0 || d.idx >= FEED_TARGETS_MAX)
		return;
	if (store_reserve(f->st, d.idx + 1) < 0)
		return;
	store_describe(f->st, d.idx, d.name, d.engine, d.endpoint, d.interval_s, d.timeout_s);
	store_set_cloud_id(f->st, d.idx, d.cloud_id);
	store_set_tags(f->st, d.idx, d.tags);
	if (d.idx >= store_count(f->st))
		store_set_count(f->st, d.idx + 1);
}

static void put_snapshot(struct feed *f, const struct codec_frame *fr, double at)
{
	struct codec_key k;
	struct feed_base *b;
	if (codec_peek(REC_SNAPSHOT, fr->payload, fr->len, &k) < 0 || k.idx >= store_count(f->st) ||
	    !(b = base_for(f, k.idx)))
		return;
	struct rec_snapshot base, out;
	if (b->snap)
		base = (struct rec_snapshot){.idx = k.idx, .seq = b->seq, .at = b->at, .cost_ms_s = b->snap->cost_ms_s,
					     .s = b->snap->s};
	struct err e = {0};
	struct snapshot *snap = snapshot_new();
	if (!snap || codec_get_snapshot(fr->payload, fr->len, b->snap ? &base : NULL, &out, &e) < 0) {
		snapshot_release(&snap);
		if (!b->skipping) {
			struct target_status st;
			struct snapshot *cur = store_get(f->st, k.idx, &st);
			snapshot_release(&cur);
			char when[16];
			feed_hms(at, when, sizeof when);
			tell(f, "%s at %s: %s; its snapshots are skipped until the next key frame", st.name, when, e.msg);
		}
		b->skipping = 1;
		return;
	}
	b->skipping = 0;
	snap->s = out.s; /* moved */
	snap->mono = out.at;
	snap->cost_ms_s = out.cost_ms_s;
	snapshot_release(&b->snap);
	atomic_fetch_add(&snap->refs, 1);
	b->snap = snap;
	b->seq = out.seq;
	b->at = out.at;
	store_publish(f->st, k.idx, snap);
}

static void put_cloud(struct feed *f, const struct codec_frame *fr)
{
	struct rec_cloud base, out;
	struct err e = {0};
	if (f->cloud) {
		memset(&base, 0, sizeof base);
		memcpy(&base.c, f->cloud, sizeof base.c); /* shallow */
		base.seq = f->cloud_seq;
	}
	struct cloud_snapshot *c = cloud_snapshot_new();
	if (!c || codec_get_cloud(fr->payload, fr->len, f->cloud ? &base : NULL, &out, &e) < 0) {
		cloud_snapshot_release(&c);
		return;
	}
	memcpy(c, &out.c, sizeof *c); /* moved */
	atomic_init(&c->refs, 2);     /* the store's and ours (the next base) */
	c->prices_date = f->prices_date;
	cloud_snapshot_release(&f->cloud);
	f->cloud = c;
	f->cloud_seq = out.seq;
	store_cloud_publish(f->st, c);
}

void feed_frame(struct feed *f, const struct codec_frame *fr, double at)
{
	struct err e = {0};
	switch (fr->type) {
	case REC_TARGET: put_target(f, fr); break;
	case REC_SNAPSHOT: put_snapshot(f, fr, at); break;
	case REC_STATE: {
		struct rec_state s;
		if (codec_get_state(fr->payload, fr->len, &s, &e) == 0 && s.idx < store_count(f->st)) {
			struct err why = {.code = s.state == TARGET_OK ? ERR_NONE : ERR_FAIL};
			snprintf(why.msg, sizeof why.msg, "%s", s.error);
			store_set_state(f->st, s.idx, (enum target_state)s.state, s.error[0] ? &why : NULL);
		}
		break;
	}
	case REC_ACTION: {
		struct rec_action a;
		if (codec_get_action(fr->payload, fr->len, &a, &e) == 0)
			store_action_put(f->st, &a.a);
		break;
	}
	case REC_CLOUD: put_cloud(f, fr); break;
	case REC_EVENT: {
		struct rec_event v;
		if (codec_get_event(fr->payload, fr->len, &v, &e) == 0)
			store_timeline_add(f->st, &v.ev); /* as recorded, times and all */
		break;
	}
	case REC_PI: {
		struct pi_snapshot *ps = pi_snapshot_new();
		static _Thread_local struct rec_pi v; /* 45 KiB, off the stack */
		if (ps && codec_get_pi(fr->payload, fr->len, &v, &e) == 0) {
			ps->pi = v.pi;
			store_pi_publish(f->st, ps); /* kept while a pane here shows the instance */
		} else {
			pi_snapshot_release(&ps);
		}
		break;
	}
	case REC_END: {
		struct rec_end x;
		if (codec_get_end(fr->payload, fr->len, &x, &e) == 0 && x.dropped)
			tell(f, "the recorder dropped %llu records (the disk was too slow)", (unsigned long long)x.dropped);
		break;
	}
	default: break; /* a newer writer's record type */
	}
}
