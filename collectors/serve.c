/*
 * serve.c - dbfleet --serve: the collectors, headless, publishing to the fleet's Redis stream
 * while they hold its lease (serve.h).
 *
 * DESIGN
 * - Standby first: connect (back-off 1 s doubling to 5 s), then SET NX the lease; while
 *   another collector holds it, say who (once per holder) and try again just after it would
 *   lapse. No database is asked anything while standing by.
 * - Active: its first entry at once is a header record (who writes, from when), so viewers
 *   switch to it within the lease time; then the collectors start, and the recorder (record.c) taps the store as --record
 *   does, with a sink in place of the file: every batch of frames (gathered for 50 ms) is one
 *   stream entry, published by the lease script (lease.c), which renews the lease and checks
 *   its token in the same step; every state_s the entry also rewrites the state hash a
 *   viewer starts from. With nothing to send the recorder renews the lease every third of
 *   its time. The sink runs on the recorder's thread and owns the connection from then on.
 * - A publish that fails (Redis restarted, failed over, cut off) drops the connection; the
 *   next batch reconnects (back-off) and starts again from key frames and the state. A
 *   script that answers LEASELOST (the lease expired while cut off, or another collector
 *   took it) stops publishing at once: serve_run returns SERVE_RESTART and main starts the
 *   process again as a standby, so the collectors stop reading the fleet.
 * - SIGINT/SIGTERM/SIGHUP: stop publishing, release the lease (a fresh connection: the
 *   recorder's may still be in a call), return 0.
 * - Logs: one line per event to the log file or stderr, UTC times; never a password.
 */
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "record.h"

#define BACKOFF_MAX_S 5.0
#define GATHER_S 0.05

static volatile sig_atomic_t stopping;
static FILE *log_fp;

static void on_signal(int sig)
{
	stopping = sig;
}

void serve_log(const char *fmt, ...)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	FILE *f = log_fp ? log_fp : stderr;
	va_list ap;
	va_start(ap, fmt);
	flockfile(f);
	fprintf(f, "%s dbfleet serve: ", when);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
	funlockfile(f);
	va_end(ap);
}

/* Sleep up to 's' seconds, waking early on a signal; 1 if stopping. */
static int nap(double s)
{
	while (s > 0 && !stopping) {
		double step = s < 0.1 ? s : 0.1;
		struct timespec ts = {0, (long)(step * 1e9)};
		nanosleep(&ts, NULL);
		s -= step;
	}
	return stopping != 0;
}

/* The publisher: the recorder's sink, on the recorder's thread. */
struct pub {
	const struct serve_conf *c;
	struct redis *r;
	struct redis_lease lease;
	double next_try, backoff;
	int said_down;
	atomic_int lost;
	atomic_ullong entries, bytes;
};

static int pub_publish(void *arg, const uint8_t *p, size_t n, const uint8_t *state, size_t slen)
{
	struct pub *pb = arg;
	struct err e = {0};
	if (!pb->r) {
		double now = clock_mono();
		if (now < pb->next_try)
			return -1;
		pb->r = redis_connect(&pb->c->redis, &e);
		if (!pb->r) {
			if (!pb->said_down++)
				serve_log("cannot reach Redis again: %s; publishing stops until it answers", e.msg);
			pb->backoff = pb->backoff * 2 < BACKOFF_MAX_S ? pb->backoff * 2 : BACKOFF_MAX_S;
			pb->next_try = now + pb->backoff;
			return -1;
		}
		serve_log("reconnected to %s", redis_peer(pb->r));
		pb->lease.r = pb->r;
		pb->backoff = 1;
		pb->said_down = 0;
	}
	enum lease_result res = redis_lease_publish_state(&pb->lease, n ? "f" : NULL, p, n, state, slen,
							  pb->c->viewer_actions, NULL, 0, &e);
	if (res == LEASE_OK) {
		if (n) {
			atomic_fetch_add(&pb->entries, 1);
			atomic_fetch_add(&pb->bytes, n + slen);
		}
		return 0;
	}
	if (res == LEASE_LOST) {
		serve_log("%s", e.msg);
		atomic_store(&pb->lost, 1);
		return -2;
	}
	serve_log("publish failed: %s; reconnecting", e.msg);
	redis_free(&pb->r);
	pb->lease.r = NULL;
	pb->backoff = 1;
	pb->next_try = clock_mono() + pb->backoff;
	pb->said_down = 1;
	return -1;
}

/* The first entry at once, before any sample: a header record (who writes, from when), so
 * viewers switch to this collector within the lease time, not after its first samples. A
 * failure here is the recorder's to find again (it reconnects, or learns the lease is lost). */
static void announce(struct pub *pb)
{
	struct codec_buf fr = {0};
	struct err e = {0};
	if (record_header_frame(&fr) == 0 &&
	    redis_lease_publish(&pb->lease, "f", fr.p, fr.len, NULL, 0, &e) == LEASE_ERROR)
		serve_log("announcing this collector: %s", e.msg);
	codec_buf_release(&fr);
}

/* Give the lease up on a fresh connection (the recorder's may still be in a call). */
static void release(const struct serve_conf *c, const struct redis_lease *held)
{
	struct err e = {0};
	struct redis *r = redis_connect(&c->redis, &e);
	if (!r) {
		serve_log("could not release the lease (%s): it lapses in %.0f s", e.msg, c->lease_s);
		return;
	}
	struct redis_lease l = *held;
	l.r = r;
	enum lease_result res = redis_lease_release(&l, &e);
	serve_log(res == LEASE_OK ? "released the lease" : res == LEASE_LOST ? "the lease was no longer ours"
		  : "could not release the lease: %s", e.msg);
	redis_free(&r);
}

static void open_log(const struct serve_conf *c)
{
	if (!c->log_file[0] || log_fp)
		return;
	int fd = open(c->log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	log_fp = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (!log_fp) {
		if (fd >= 0)
			close(fd);
		fprintf(stderr, "dbfleet serve: cannot open the log file '%s': %s; logging to stderr\n", c->log_file,
			strerror(errno));
	}
}

static void on_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* How long to wait for the recorder to send what it has: a reconnect and a command at most. */
static double stop_wait(const struct serve_conf *c)
{
	return 3 * (c->redis.timeout_s > 0 ? c->redis.timeout_s : 5) + 1;
}

/* Standby until the lease is ours; 'pb' gets the connection and the lease. 0, or 1 when stopping. */
static int take_lease(const struct serve_conf *c, const char *fleet, struct pub *pb)
{
	char holder[REDIS_HOST_MAX + 64] = "", said[sizeof holder] = "";
	double backoff = 1;
	int inited = 0;
	while (!stopping) {
		struct err e = {0};
		if (!pb->r) {
			pb->r = redis_connect(&c->redis, &e);
			if (!pb->r) {
				serve_log("cannot reach Redis: %s; trying again in %.0f s", e.msg, backoff);
				nap(backoff);
				backoff = backoff * 2 < BACKOFF_MAX_S ? backoff * 2 : BACKOFF_MAX_S;
				continue;
			}
			serve_log("connected to %s (fleet %s)", redis_peer(pb->r), fleet);
			backoff = 1;
		}
		if (!inited && redis_lease_init(&pb->lease, pb->r, fleet, (long)(c->lease_s * 1000), c->maxlen, &e) < 0) {
			serve_log("%s", e.msg);
			return 1;
		}
		inited = 1;
		pb->lease.r = pb->r;
		long retry = 0;
		enum lease_result res = redis_lease_acquire(&pb->lease, holder, sizeof holder, &retry, &e);
		if (res == LEASE_OK)
			return 0;
		if (res == LEASE_BUSY) {
			if (strcmp(holder, said)) {
				serve_log("standby: collector %s holds the lease; taking over when it lapses", holder);
				snprintf(said, sizeof said, "%s", holder);
			}
			nap(retry > 1000 ? 1.0 : (double)retry / 1000);
			continue;
		}
		serve_log("lease: %s; reconnecting", e.msg);
		redis_free(&pb->r);
		nap(backoff);
	}
	return 1;
}

int serve_run(const struct serve_conf *c, const char *fleet, struct store *st, struct collector *col)
{
	open_log(c);
	on_signals();
	static struct pub pb; /* the recorder's thread may outlive this call by a command's deadline */
	pb = (struct pub){.c = c, .backoff = 1};
	atomic_init(&pb.lost, 0);
	atomic_init(&pb.entries, 0);
	atomic_init(&pb.bytes, 0);
	if (take_lease(c, fleet, &pb)) {
		redis_free(&pb.r);
		serve_log("stopped");
		return 0;
	}
	serve_log("active: the lease of fleet %s is ours (%s); the collectors start", fleet, pb.lease.token);
	struct err e = {0};
	announce(&pb);
	/* the recorder first: a state the collectors find in their first milliseconds (a refused
	 * port) is a timeline entry only once, and it must reach the stream */
	struct record_sink sink = {.publish = pub_publish, .arg = &pb, .gather_s = GATHER_S,
				   .state_s = c->state_s > 0 ? c->state_s : SERVE_STATE_S_DEFAULT,
				   .idle_s = c->lease_s / 3};
	struct recorder *rec = record_start_sink(st, &sink, &e);
	if (!rec) {
		serve_log("%s", e.msg);
		release(c, &pb.lease);
		redis_free(&pb.r);
		return 2;
	}
	if (collector_start(col, &e) < 0) {
		serve_log("%s", e.msg);
		record_stop(&rec, stop_wait(c));
		release(c, &pb.lease);
		return 2;
	}
	struct interest *in = interest_start(c, fleet, st, &e); /* what viewers show is read in detail */
	if (!in)
		serve_log("%s; viewers' panes get no detail", e.msg);
	/* viewers' actions: only while the lease is ours, so one collector runs each request */
	struct vreq *vr = c->viewer_actions ? vreq_start(c, fleet, col, st, &e) : NULL;
	if (c->viewer_actions && !vr) {
		serve_log("%s", e.msg);
		interest_stop(&in);
		record_stop(&rec, stop_wait(c));
		release(c, &pb.lease);
		return 2;
	}
	double said = clock_mono();
	unsigned long long last_entries = 0, last_bytes = 0;
	while (!stopping && !atomic_load(&pb.lost)) {
		nap(0.1);
		if (clock_mono() - said >= 60) { /* a line a minute: it is alive, and what it sends */
			unsigned long long en = atomic_load(&pb.entries), by = atomic_load(&pb.bytes);
			serve_log("published %llu entries, %llu KiB in the last minute", en - last_entries,
				  (by - last_bytes) / 1024);
			last_entries = en;
			last_bytes = by;
			said = clock_mono();
		}
	}
	int lost = atomic_load(&pb.lost);
	vreq_stop(&vr);
	record_stop(&rec, stop_wait(c));
	interest_stop(&in);
	if (lost) {
		serve_log("stopped publishing; starting again as a standby");
		return SERVE_RESTART;
	}
	serve_log("stopping (signal %d)", (int)stopping);
	release(c, &pb.lease);
	/* pb.r stays with the recorder's thread if it is still in a call; the process ends next */
	return 0;
}
