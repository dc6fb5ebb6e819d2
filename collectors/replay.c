/*
 * replay.c - --replay FILE: a record file fed into the store at the
 * recorded pace, in place of the collectors.
 *
 * DESIGN
 * - The file is mapped read-only. The replay's thread (detached; the owner
 *   and the thread each hold a reference) first indexes it: every frame
 *   whose checksum holds, with its time; a damaged stretch is skipped to
 *   the next frame that checks out, and a file that ends inside a frame is
 *   played up to there. What it found is reported (replay_get_status).
 * - Then it plays: each record is decoded and handed to the store as the
 *   collectors would (store_publish, store_set_state, store_action_put,
 *   store_cloud_publish), so the panes read it as they read a live fleet.
 *   A snapshot delta whose base is missing (a damaged record before it) is
 *   skipped until the target's next key frame.
 * - The replay's clock is the recorded wall clock: the UI takes "now" from
 *   replay_now(), and snapshots carry their recorded time as 'mono', so ages
 *   and history are those of the recording. 'mu' guards the clock (v0 at
 *   m0, speed, paused) and the requests the UI makes (goto, step); the UI
 *   only sets them and signals 'cv', the thread does the work.
 * - Going back in time resets the store and plays from the start, fast.
 */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "feed.h"

#define SPEED_MAX 64
#define JUMP_HISTORY_S (45 * 60.0) /* the history rings' span at a 2 s refresh (40 min), and a key frame */

struct entry {
	size_t off;
	double at;
	int type;
};

struct replay {
	struct store *st;
	const uint8_t *map;
	size_t size;
	atomic_int refs;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* guarded by mu */
	double v0, m0;             /* the replay's clock was v0 at monotonic m0 */
	int speed, paused, stop, steps;
	double goto_t;             /* > 0: a jump asked for */
	struct replay_status status;
	/* the thread's own */
	struct entry *idx;
	size_t n, next;
	struct feed feed;
};

static void say(struct replay *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct replay *rp, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&rp->mu);
	va_start(ap, fmt);
	vsnprintf(rp->status.message, sizeof rp->status.message, fmt, ap);
	va_end(ap);
	rp->status.seq++;
	pthread_mutex_unlock(&rp->mu);
}

static void feed_said(void *arg, const char *msg)
{
	say(arg, "%s", msg);
}

static void unref(struct replay *rp)
{
	if (atomic_fetch_sub(&rp->refs, 1) != 1)
		return;
	feed_release(&rp->feed);
	free(rp->idx);
	if (rp->map)
		munmap((void *)rp->map, rp->size);
	pthread_mutex_destroy(&rp->mu);
	pthread_cond_destroy(&rp->cv);
	free(rp);
}

struct replay *replay_open(struct store *st, const char *path, struct err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0) {
		err_set(err, ERR_CONFIG, "--replay: cannot open '%.200s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct codec_frame f;
	const uint8_t *map = sb.st_size > 0 ? mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (map == MAP_FAILED || !map) {
		err_set(err, ERR_CONFIG, "--replay: '%.200s' is %s", path, map ? strerror(errno) : "empty");
		return NULL;
	}
	if (codec_unframe(map, (size_t)sb.st_size, &f) != CODEC_FRAME_OK || f.type != REC_HEADER) {
		munmap((void *)map, (size_t)sb.st_size);
		err_set(err, ERR_CONFIG, "--replay: '%.200s' is not a dbfleet record file", path);
		return NULL;
	}
	struct replay *rp = calloc(1, sizeof *rp);
	if (!rp) {
		munmap((void *)map, (size_t)sb.st_size);
		err_set(err, ERR_FAIL, "out of memory");
		return NULL;
	}
	*rp = (struct replay){.st = st, .map = map, .size = (size_t)sb.st_size, .speed = 1};
	feed_init(&rp->feed, st, "recording's", feed_said, rp);
	store_set_unobserved(st); /* its timeline is the recorded one */
	atomic_init(&rp->refs, 1);
	pthread_mutex_init(&rp->mu, NULL);
	pthread_cond_init(&rp->cv, NULL);
	rp->status.speed = 1;
	return rp;
}

/* ---- indexing: every frame that checks out, and what is wrong with the rest ---- */

static int add_entry(struct replay *rp, size_t off, const struct codec_frame *f, size_t *cap)
{
	struct codec_key k;
	if (codec_peek(f->type, f->payload, f->len, &k) < 0 && f->type <= REC_END)
		k.at = rp->n ? rp->idx[rp->n - 1].at : 0; /* decoding will report it */
	if (rp->n == *cap) {
		size_t c = *cap ? *cap * 2 : 4096;
		struct entry *p = realloc(rp->idx, c * sizeof *p);
		if (!p)
			return -1;
		rp->idx = p;
		*cap = c;
	}
	/* times only go forward: a record stamped earlier than the one before plays with it */
	double at = rp->n && k.at < rp->idx[rp->n - 1].at ? rp->idx[rp->n - 1].at : k.at;
	rp->idx[rp->n++] = (struct entry){off, at, f->type};
	return 0;
}

/* The next offset past 'from' where a frame checks out; 'size' if none. */
static size_t resync(const struct replay *rp, size_t from)
{
	struct codec_frame f;
	for (size_t q = from; q + 1 < rp->size; q++) {
		const uint8_t *hit = memchr(rp->map + q, 0xDB, rp->size - q - 1);
		if (!hit)
			break;
		q = (size_t)(hit - rp->map);
		if (rp->map[q + 1] == 0xF1 && codec_unframe(rp->map + q, rp->size - q, &f) == CODEC_FRAME_OK)
			return q;
	}
	return rp->size;
}

static void index_file(struct replay *rp)
{
	size_t pos = 0, cap = 0, damaged = 0;
	char first[160] = "", cut[200] = "";
	while (pos < rp->size) {
		struct codec_frame f;
		if (codec_unframe(rp->map + pos, rp->size - pos, &f) == CODEC_FRAME_OK) {
			if (add_entry(rp, pos, &f, &cap) < 0)
				break;
			pos += f.size;
			continue;
		}
		char after[16];
		feed_hms(rp->n ? rp->idx[rp->n - 1].at : 0, after, sizeof after);
		size_t next = resync(rp, pos + 1);
		if (next == rp->size) { /* nothing checks out after it: the end of the recording */
			snprintf(cut, sizeof cut, "the file ends inside a record at byte %zu (after %s): played up to the cut",
				 pos, after);
			break;
		}
		if (!damaged++)
			snprintf(first, sizeof first, "damaged record at bytes %zu-%zu (after %s): skipped", pos, next - 1, after);
		pos = next;
	}
	pthread_mutex_lock(&rp->mu);
	rp->status.first = rp->n ? rp->idx[0].at : 0;
	rp->status.last = rp->n ? rp->idx[rp->n - 1].at : 0;
	char cut_at[16], *d = rp->status.damage;
	size_t dn = sizeof rp->status.damage;
	int w = 0;
	feed_hms(rp->status.last, cut_at, sizeof cut_at);
	if (damaged)
		w = snprintf(d, dn, "%zu damaged record%s skipped", damaged, damaged > 1 ? "s" : "");
	if (cut[0] && w >= 0 && (size_t)w < dn)
		snprintf(d + w, dn - (size_t)w, "%scut at %s", w ? ", " : "", cut_at);
	pthread_mutex_unlock(&rp->mu);
	/* one line for the status bar: the cut, the damage (the first of it), or both */
	if (damaged > 1)
		say(rp, "%s%s%zu damaged records skipped, the first: %s", cut, cut[0] ? "; " : "", damaged, first);
	else if (damaged || cut[0])
		say(rp, "%s%s%s", cut, cut[0] && damaged ? "; " : "", first);
}

/* ---- playing one record into the store ---- */

static void play_one(struct replay *rp, size_t i)
{
	const struct entry *en = &rp->idx[i];
	struct codec_frame f;
	if (codec_unframe(rp->map + en->off, rp->size - en->off, &f) == CODEC_FRAME_OK)
		feed_frame(&rp->feed, &f, en->at);
}

/* Back to nothing: the store and the bases, to play again from the start. */
static void rewind_all(struct replay *rp)
{
	store_reset(rp->st);
	feed_forget(&rp->feed, 0);
	rp->next = 0;
}

static double clock_at(const struct replay *rp, double mono)
{
	return rp->paused ? rp->v0 : rp->v0 + (mono - rp->m0) * rp->speed;
}

/*
 * Jump to 't': forward plays what is in between, fast; back starts again.
 * Snapshots older than JUMP_HISTORY_S before 't' are passed over (their
 * targets start again at their next key frame): the history rings would
 * not hold them, and a day-long file then costs a jump only its last minutes.
 * Descriptions, states, actions and AWS snapshots are all played.
 */
static void jump(struct replay *rp, double t)
{
	if (rp->next && t < rp->idx[rp->next - 1].at)
		rewind_all(rp);
	double from = t - JUMP_HISTORY_S;
	if (rp->next < rp->n && rp->idx[rp->next].at < from)
		feed_skip_deltas(&rp->feed); /* quiet: a delta after the gap waits for its key frame */
	for (; rp->next < rp->n && rp->idx[rp->next].at <= t; rp->next++)
		if (rp->idx[rp->next].type != REC_SNAPSHOT || rp->idx[rp->next].at >= from)
			play_one(rp, rp->next);
	char when[16];
	feed_hms(t, when, sizeof when);
	say(rp, t < rp->status.first ? "%s is before the recording starts" : t > rp->status.last ?
		"%s is past the end of the recording" : "at %s", when);
}

static void *replay_main(void *arg)
{
	struct replay *rp = arg;
	index_file(rp);
	pthread_mutex_lock(&rp->mu);
	rp->v0 = rp->n ? rp->idx[0].at : 0;
	rp->m0 = clock_mono();
	while (!rp->stop) {
		double goto_t = rp->goto_t;
		int step = rp->steps > 0 && rp->paused;
		rp->goto_t = 0;
		rp->steps = 0;
		double vnow = clock_at(rp, clock_mono());
		pthread_mutex_unlock(&rp->mu); /* the work is done off the lock: the UI never waits on it */
		double moved = -1;
		if (goto_t > 0) {
			jump(rp, goto_t);
			moved = goto_t;
		} else if (step && rp->next < rp->n) {
			moved = rp->idx[rp->next].at;
			play_one(rp, rp->next++);
		} else {
			while (rp->next < rp->n && rp->idx[rp->next].at <= vnow)
				play_one(rp, rp->next++);
		}
		pthread_mutex_lock(&rp->mu);
		double now = clock_mono();
		if (moved >= 0) {
			rp->v0 = moved;
			rp->m0 = now;
		}
		rp->status.ended = rp->next >= rp->n;
		if (rp->status.ended && !rp->paused && clock_at(rp, now) > rp->status.last) {
			rp->v0 = rp->status.last; /* the clock stops at the last record */
			rp->paused = 1;
		}
		if (rp->stop || rp->goto_t > 0 || rp->steps)
			continue;
		/* until the next record is due (or a request comes): at most a tenth of a second */
		double wait = 0.1;
		if (!rp->paused && rp->next < rp->n) {
			double due = (rp->idx[rp->next].at - clock_at(rp, now)) / rp->speed;
			wait = due < wait ? (due > 0 ? due : 0) : wait;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		long ns = ts.tv_nsec + (long)(wait * 1e9);
		ts.tv_sec += ns / 1000000000L;
		ts.tv_nsec = ns % 1000000000L;
		if (wait > 0)
			pthread_cond_timedwait(&rp->cv, &rp->mu, &ts);
	}
	pthread_mutex_unlock(&rp->mu);
	unref(rp);
	return NULL;
}

int replay_start(struct replay *rp, struct err *err)
{
	pthread_t th;
	atomic_fetch_add(&rp->refs, 1);
	if (pthread_create(&th, NULL, replay_main, rp) != 0) {
		atomic_fetch_sub(&rp->refs, 1);
		return err_set(err, ERR_FAIL, "--replay: cannot start its thread");
	}
	pthread_detach(th);
	return 0;
}

void replay_close(struct replay **rpp)
{
	struct replay *rp = rpp ? *rpp : NULL;
	if (!rp)
		return;
	*rpp = NULL;
	pthread_mutex_lock(&rp->mu);
	rp->stop = 1;
	pthread_cond_broadcast(&rp->cv);
	pthread_mutex_unlock(&rp->mu);
	unref(rp);
}

/* ---- the UI's side: read the clock, ask for changes ---- */

void replay_get_status(struct replay *rp, struct replay_status *out)
{
	pthread_mutex_lock(&rp->mu);
	*out = rp->status;
	out->now = clock_at(rp, clock_mono());
	out->speed = rp->speed;
	out->paused = rp->paused;
	pthread_mutex_unlock(&rp->mu);
}

double replay_now(struct replay *rp)
{
	pthread_mutex_lock(&rp->mu);
	double t = clock_at(rp, clock_mono());
	pthread_mutex_unlock(&rp->mu);
	return t;
}

/* Restart the clock from where it is now (before its speed or pause changes). */
static void rebase(struct replay *rp)
{
	double m = clock_mono();
	rp->v0 = clock_at(rp, m);
	rp->m0 = m;
}

void replay_toggle_pause(struct replay *rp)
{
	pthread_mutex_lock(&rp->mu);
	rebase(rp);
	rp->paused = !rp->paused;
	if (!rp->paused && rp->status.ended && rp->v0 >= rp->status.last)
		rp->paused = 1; /* nothing left to play */
	pthread_cond_broadcast(&rp->cv);
	pthread_mutex_unlock(&rp->mu);
}

void replay_change_speed(struct replay *rp, int dir)
{
	pthread_mutex_lock(&rp->mu);
	rebase(rp);
	int s = dir > 0 ? rp->speed * 2 : rp->speed / 2;
	rp->speed = s < 1 ? 1 : s > SPEED_MAX ? SPEED_MAX : s;
	pthread_cond_broadcast(&rp->cv);
	pthread_mutex_unlock(&rp->mu);
}

void replay_step(struct replay *rp)
{
	pthread_mutex_lock(&rp->mu);
	if (!rp->paused) {
		rebase(rp);
		rp->paused = 1;
	}
	rp->steps++;
	pthread_cond_broadcast(&rp->cv);
	pthread_mutex_unlock(&rp->mu);
}

void replay_goto(struct replay *rp, double t)
{
	pthread_mutex_lock(&rp->mu);
	rp->goto_t = t > 0 ? t : 1e-3;
	pthread_cond_broadcast(&rp->cv);
	pthread_mutex_unlock(&rp->mu);
}

int replay_parse_time(const char *s, double ref, double *out, char *msg, size_t n)
{
	int h, m, sec = 0, used = 0, oh = 0, om = 0;
	char sign = 0;
	while (*s == ' ')
		s++;
	if (sscanf(s, "%2d:%2d%n", &h, &m, &used) != 2 || h > 23 || m > 59 || h < 0 || m < 0)
		goto bad;
	s += used;
	if (*s == ':' && (sscanf(s, ":%2d%n", &sec, &used) != 1 || sec < 0 || sec > 60 || (s += used, 0)))
		goto bad;
	while (*s == ' ')
		s++;
	int local = !strcmp(s, "local");
	if (*s == 'Z' && !s[1])
		s++;
	else if ((*s == '+' || *s == '-') && (sscanf(s + 1, "%2d%n", &oh, &used) == 1)) {
		sign = *s;
		s += 1 + used;
		if (*s == ':' && sscanf(s, ":%2d%n", &om, &used) == 1)
			s += used;
		if (*s || oh > 14 || om > 59)
			goto bad;
	} else if (*s && !local)
		goto bad;
	time_t r = (time_t)ref;
	struct tm tm;
	if (local) { /* the zone TZ names (tzset at start): on the replay's day there */
		if (!localtime_r(&r, &tm))
			goto bad;
		tm.tm_hour = h, tm.tm_min = m, tm.tm_sec = sec, tm.tm_isdst = -1;
		*out = (double)mktime(&tm);
		return 0;
	}
	int off = (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	time_t shifted = r + off; /* the replay's day in that zone */
	if (!gmtime_r(&shifted, &tm))
		goto bad;
	tm.tm_hour = h, tm.tm_min = m, tm.tm_sec = sec;
	*out = (double)(timegm(&tm) - off);
	return 0;
bad:
	snprintf(msg, n, "goto: give HH:MM[:SS] (UTC), with +HH:MM or -HH:MM for a zone offset, or 'local' (the TZ zone)");
	return -1;
}
