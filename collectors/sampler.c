/*
 * sampler.c - one thread, many targets: an epoll loop and a timer heap.
 *
 * DESIGN
 * - Each target is a small state machine (enum phase) with exactly one
 *   timer in the heap: its next sample, its next retry, or the deadline of
 *   the step in flight. While a step waits on a socket the socket is in the
 *   epoll set; it leaves the set before the connection is closed or handed
 *   away, so a reused descriptor number never reaches the wrong target.
 * - A step that misses its deadline costs nothing but this target: its
 *   connection goes to the pool for engine_ops.abandon (cancel on the
 *   server, close), the target is STALLED with its error, and it retries
 *   after a back-off. A hung host is a socket and a timer, never a thread.
 * - What blocks runs on the pool (pool.h): name lookups (dbfleet's own, so
 *   a DNS server that never answers delays no other target), connects of
 *   engines without connect_start (MySQL: by name, for VERIFY_IDENTITY),
 *   IAM-token connects, and the samples of engines without sample_start
 *   (ODBC). A job's result comes back through the inbox (guarded by 'mu',
 *   signalled on the eventfd). A job given up on (deadline passed) is
 *   forgotten by bumping the target's 'gen'; the target starts no second
 *   job while that one still runs, so a hung ODBC host holds one worker.
 * - Sampling follows attention: a sample asks for sessions, locks and
 *   digests (ENGINE_DETAIL) only while a pane shows the target
 *   (store_watch); the triage pane's slots, vacuum and lock queue
 *   (ENGINE_TRIAGE) only while it shows the target (store_watch_triage);
 *   otherwise only the health probe, which is all the fleet
 *   and lag panes draw. (No background round of detail: nothing outside
 *   those panes reads it, and a thousand targets' sessions would be held
 *   for nothing: on a shared server each target's snapshot held 500.)
 * - Everything in struct tstate past its immutable head belongs to this
 *   thread. The thread leaves when *stop is set; idle connections are
 *   closed, ones in flight are left to the process exit.
 */
#include "sampler.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "actions.h"
#include "derive.h"

#define GRACE_S 0.5 /* a pool job past its deadline: the target is STALLED this much later */
#define BACKOFF_MIN_S 2.0
#define BACKOFF_MAX_S 30.0
/* Cancels in flight at once: libpq 15's PQcancel waits for a hung host forever,
 * so past this many a connection that missed its deadline is closed uncancelled
 * rather than parking more pool workers. */
#define CANCELS_MAX 2

enum phase { PH_IDLE, PH_RETRY, PH_LOOKUP, PH_CONNECT, PH_POOL_CONNECT, PH_SAMPLE, PH_POOL_SAMPLE };
enum job_kind { JOB_LOOKUP, JOB_CONNECT, JOB_SAMPLE, JOB_CLOSE };

struct sjob {
	struct job j;                   /* first: the pool's part */
	enum job_kind kind;
	struct sampler *sm;
	struct tstate *t;               /* read on the sampler thread only */
	unsigned gen;
	const struct engine_ops *ops;
	struct collector_target conf;   /* a copy: the pool never reads the target */
	const atomic_int *stop;
	struct engine_conn *conn;       /* in and out */
	struct snapshot *snap;          /* JOB_SAMPLE's */
	int cancel;                     /* JOB_CLOSE: engine_ops.abandon (cancel on the server) first */
	double deadline;
	char host[256], addr[256];
	struct err err;
	int rc;
	struct sjob *next;              /* in the inbox */
};

struct add {
	struct tstate *t;
	double first;
	struct add *next;
};

struct sampler {
	struct sampler_env env;         /* immutable */
	int ep, evfd;                   /* immutable after sampler_new */
	pthread_mutex_t mu;
	struct sjob *inbox;             /* guarded by mu */
	struct add *adds;               /* guarded by mu */
	atomic_size_t load;
	atomic_int refs;                /* the creator, the thread, every job out */
	/* the sampler thread's own */
	struct tstate **heap;
	size_t nheap, capheap;
	struct tstate **mine;           /* every target it drives */
	size_t nmine, capmine;
};

static void sampler_unref(struct sampler *s)
{
	if (atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (struct sjob *x = s->inbox, *next; x; x = next) { /* came back after the thread left */
		next = x->next;
		snapshot_release(&x->snap);
		free(x); /* its connection, if any, goes with the process */
	}
	close(s->ep);
	close(s->evfd);
	pthread_mutex_destroy(&s->mu);
	free(s->heap);
	free(s->mine);
	free(s);
}

/* ---- the timer heap (min on 'due') ---- */

static void heap_swap(struct sampler *s, size_t a, size_t b)
{
	struct tstate *x = s->heap[a];
	s->heap[a] = s->heap[b];
	s->heap[b] = x;
	s->heap[a]->hpos = a;
	s->heap[b]->hpos = b;
}

static void heap_fix(struct sampler *s, size_t i)
{
	while (i > 0 && s->heap[(i - 1) / 2]->due > s->heap[i]->due) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < s->nheap && s->heap[l]->due < s->heap[m]->due)
			m = l;
		if (r < s->nheap && s->heap[r]->due < s->heap[m]->due)
			m = r;
		if (m == i)
			return;
		heap_swap(s, i, m);
		i = m;
	}
}

static void set_timer(struct tstate *t, double due)
{
	t->due = due;
	heap_fix(t->sm, t->hpos);
}

/* ---- the epoll set ---- */

static void disarm(struct tstate *t)
{
	if (t->armed_fd >= 0)
		epoll_ctl(t->sm->ep, EPOLL_CTL_DEL, t->armed_fd, NULL);
	t->armed_fd = -1;
}

/* Wait for t->w; 0, or -1 with 'err'. */
static int arm(struct tstate *t, struct err *err)
{
	struct epoll_event ev = {.events = (t->w.events & POLLIN ? EPOLLIN : 0u) |
					   (t->w.events & POLLOUT ? EPOLLOUT : 0u),
				 .data.ptr = t};
	if (t->armed_fd >= 0 && t->armed_fd != t->w.fd)
		disarm(t);
	int op = t->armed_fd == t->w.fd ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	int rc = epoll_ctl(t->sm->ep, op, t->w.fd, &ev);
	if (rc < 0 && errno == ENOENT) /* closed and reopened under the same number */
		rc = epoll_ctl(t->sm->ep, EPOLL_CTL_ADD, t->w.fd, &ev);
	if (rc < 0 && errno == EEXIST)
		rc = epoll_ctl(t->sm->ep, EPOLL_CTL_MOD, t->w.fd, &ev);
	if (rc < 0) {
		t->armed_fd = -1;
		return err_set(err, ERR_FAIL, "cannot wait on the connection's socket: %s", strerror(errno));
	}
	t->armed_fd = t->w.fd;
	return 0;
}

/* ---- the pool's side ---- */

/* Every address of a lookup, in its order, "a1,a2" (as many as fit, at most
 * ADDRS_MAX): the library tries each as it would have after its own lookup. */
#define ADDRS_MAX 8
static void join_addresses(const struct addrinfo *res, char *out, size_t n)
{
	size_t o = 0;
	int k = 0;
	out[0] = '\0';
	for (const struct addrinfo *a = res; a && k < ADDRS_MAX; a = a->ai_next) {
		char one[64];
		if (getnameinfo(a->ai_addr, a->ai_addrlen, one, sizeof one, NULL, 0, NI_NUMERICHOST) != 0 ||
		    o + strlen(one) + 2 > n)
			continue; /* (SOCK_STREAM: one entry an address) */
		o += (size_t)snprintf(out + o, n - o, "%s%s", k++ ? "," : "", one);
	}
}

static void job_run(struct job *j)
{
	struct sjob *x = (struct sjob *)j;
	switch (x->kind) {
	case JOB_LOOKUP: {
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
		int rc = getaddrinfo(x->host, NULL, &hints, &res);
		x->rc = rc == 0 && res ? 0 : -1;
		if (x->rc == 0)
			join_addresses(res, x->addr, sizeof x->addr);
		else
			err_set(&x->err, ERR_FAIL, "name lookup of '%.100s': %s", x->host, gai_strerror(rc));
		freeaddrinfo(res);
		break;
	}
	case JOB_CONNECT:
		x->conn = target_connect(&x->conf, x->ops, x->stop, &x->err);
		break;
	case JOB_SAMPLE:
		x->rc = x->ops->sample(x->conn, &x->snap->s, x->deadline, &x->err);
		break;
	case JOB_CLOSE:
		if (x->cancel && x->ops->abandon)
			x->ops->abandon(x->conn);
		else
			x->ops->close(x->conn);
		x->conn = NULL;
		break;
	}
}

static void drop_conn(struct sampler *s, const struct engine_ops *ops, struct engine_conn *conn, int cancel);

/* Free a job and what it still holds; 'on_worker': a blocking close may run here. */
static void job_free(struct sjob *x, int on_worker)
{
	if (x->conn && on_worker)
		x->ops->close(x->conn);
	else if (x->conn)
		drop_conn(x->sm, x->ops, x->conn, 0);
	snapshot_release(&x->snap);
	free(x);
}

/* On the worker (or pool_stop's caller): hand the result back to the sampler. */
static void job_done(struct job *j)
{
	struct sjob *x = (struct sjob *)j;
	struct sampler *s = x->sm;
	if (x->kind == JOB_CLOSE) {
		if (x->cancel)
			atomic_fetch_sub(s->env.cancels, 1);
		if (!atomic_load(&x->j.started))
			x->conn = NULL; /* dropped by pool_stop: quitting, on the UI thread: leave it */
		job_free(x, 1);
	} else {
		pthread_mutex_lock(&s->mu);
		x->next = s->inbox;
		s->inbox = x;
		pthread_mutex_unlock(&s->mu);
		uint64_t one = 1;
		(void)!write(s->evfd, &one, sizeof one);
	}
	sampler_unref(s);
}

static struct sjob *job_new(struct sampler *s, const struct engine_ops *ops, struct tstate *t, enum job_kind kind)
{
	struct sjob *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	*x = (struct sjob){.kind = kind, .sm = s, .t = t, .gen = t ? t->gen : 0, .ops = ops, .stop = s->env.stop};
	x->j.run = job_run;
	x->j.done = job_done;
	return x;
}

/* Queue a job. A close job is the pool's from then on (its worker frees it): read
 * nothing of it after pool_submit(). */
static int job_submit(struct sjob *x, double deadline)
{
	struct tstate *t = x->kind == JOB_CLOSE ? NULL : x->t;
	x->j.deadline = x->deadline = deadline;
	/* a target failing since its last good sample (a hung host) waits behind the others */
	x->j.low = t && t->backoff > BACKOFF_MIN_S;
	atomic_fetch_add(&x->sm->refs, 1);
	if (t) {
		t->job_out = 1;
		t->job_started = &x->j.started;
	}
	if (pool_submit(x->sm->env.pool, &x->j) < 0) { /* stopping */
		atomic_fetch_sub(&x->sm->refs, 1);
		if (t) {
			t->job_out = 0;
			t->job_started = NULL;
			set_timer(t, clock_mono() + 3600);
		}
		job_free(x, 1); /* quitting: a close here is fine */
		return -1;
	}
	return 0;
}

/*
 * Let a connection go. A non-blocking engine's closes here, at once; a
 * blocking engine's (ODBC), or one whose step missed its deadline and is to
 * be cancelled on the server first ('cancel'), goes to the pool. Cancels are
 * capped (CANCELS_MAX): past that it is closed uncancelled.
 */
static void drop_conn(struct sampler *s, const struct engine_ops *ops, struct engine_conn *conn, int cancel)
{
	atomic_int *n = s->env.cancels;
	if (cancel && atomic_fetch_add(n, 1) >= CANCELS_MAX) {
		atomic_fetch_sub(n, 1);
		cancel = 0;
	}
	struct sjob *x = cancel || !ops->sample_start ? job_new(s, ops, NULL, JOB_CLOSE) : NULL;
	if (!x) {
		if (cancel)
			atomic_fetch_sub(n, 1);
		ops->close(conn);
		return;
	}
	x->conn = conn;
	x->cancel = cancel;
	if (job_submit(x, clock_mono() + 10) < 0 && cancel)
		atomic_fetch_sub(n, 1); /* job_submit closed it */
}

/* ---- the target's state machine ---- */

static enum target_state state_for(const struct err *e)
{
	return e->code == ERR_TIMEOUT ? TARGET_STALLED : e->code == ERR_AUTH ? TARGET_AUTH : TARGET_DOWN;
}

static void begin_connect(struct tstate *t, double now);

/* A failed step: drop the connection (abandoned if 'in_flight'), show why, retry later. */
static void fail(struct tstate *t, const struct err *err, int in_flight, double now)
{
	disarm(t);
	if (t->conn)
		drop_conn(t->sm, t->ops, t->conn, in_flight);
	t->conn = NULL;
	snapshot_release(&t->snap);
	store_set_state(t->sm->env.st, t->idx, state_for(err), err);
	t->phase = PH_RETRY;
	/* a quarter of jitter: targets that failed together (a host gone, a network cut) do
	 * not come back together and fill the pool at the same second */
	set_timer(t, now + t->backoff * (0.875 + 0.25 * (double)(t->idx * 2654435761u % 1000) / 1000.0));
	t->backoff = t->backoff * 2 < BACKOFF_MAX_S ? t->backoff * 2 : BACKOFF_MAX_S;
}

/* Out of memory while starting 'what': the target fails and retries. */
static void fail_oom(struct tstate *t, const char *what, double now)
{
	struct err err;
	err_set(&err, ERR_FAIL, "%s: out of memory", what);
	fail(t, &err, 0, now);
}

/* Hand 'x' to the pool; the target waits in 'phase' until the deadline plus 'grace'. */
static void wait_for_job(struct tstate *t, struct sjob *x, int phase, double grace)
{
	if (job_submit(x, t->deadline) < 0)
		return; /* stopping */
	t->phase = phase;
	set_timer(t, t->deadline + grace);
}

static void finish_sample(struct tstate *t, double now)
{
	struct snapshot *snap = t->snap;
	struct db_sample *x = &snap->s;
	t->snap = NULL;
	sample_derive(x);
	rates_apply(&t->rs, x);
	rates_keep_top(x, COLLECTOR_TOP_QUERIES);
	for (size_t i = 0; i < x->nqueries; i++) {
		const char *q = t->ops->query_text ? t->ops->query_text(t->conn, x->queries[i].queryid) : NULL;
		x->queries[i].text = q ? strdup(q) : NULL;
	}
	snap->mono = t->t0;
	/* the server's round trip on the socket: sent (flushed) to the first byte back, not the step's
	 * whole time, so time this sampler spent on its other targets does not count */
	snap->rtt_ms = t->first_byte > 0 && t->sent > 0 ? (t->first_byte - t->sent) * 1000 : -1;
	snap->cost_ms_s = x->roundtrip_ms / t->conf.interval_s;
	store_publish(t->sm->env.st, t->idx, snap);
	t->backoff = BACKOFF_MIN_S;
	t->phase = PH_IDLE;
	double every = t->sm->env.fast && atomic_load(t->sm->env.fast) && t->conf.interval_s > 1 ? 1 : t->conf.interval_s;
	t->next_sample = t->t0 + every > now ? t->t0 + every : now;
	set_timer(t, t->next_sample);
}

static void begin_sample(struct tstate *t, double now)
{
	struct err err = {0};
	t->snap = snapshot_new();
	if (!t->snap) {
		fail_oom(t, "sample", now);
		return;
	}
	int detail = store_watched(t->sm->env.st, t->idx);
	int triage = store_watched_triage(t->sm->env.st, t->idx);
	t->snap->s.detail = detail || !t->ops->sample_start;
	t->t0 = now;
	t->deadline = now + t->conf.timeout_s;
	if (!t->ops->sample_start) {
		struct sjob *x = job_new(t->sm, t->ops, t, JOB_SAMPLE);
		if (!x) {
			fail_oom(t, "sample", now);
			return;
		}
		x->conn = t->conn;
		x->snap = t->snap;
		t->snap = NULL;
		t->conn = NULL;
		wait_for_job(t, x, PH_POOL_SAMPLE, GRACE_S);
		return;
	}
	enum engine_detail what = (detail ? ENGINE_DETAIL : ENGINE_HEALTH) | (triage ? ENGINE_TRIAGE : 0);
	if (t->ops->sample_start(t->conn, what, &t->w, &err) != ENGINE_STEP_WAIT ||
	    arm(t, &err) < 0) {
		fail(t, &err, 0, now);
		return;
	}
	t->phase = PH_SAMPLE;
	t->sent = t->w.events & POLLOUT ? 0 : clock_mono(); /* still to flush: sent once it is */
	t->first_byte = 0;
	set_timer(t, t->deadline);
}

static void connect_now(struct tstate *t, double now, int blocking)
{
	struct err err = {0};
	t->deadline = now + t->conf.timeout_s;
	if (t->ops->connect_start && !t->conf.iam && !blocking) {
		t->conn = t->ops->connect_start(t->conf.dsn, t->hostaddr, t->conf.timeout_s, &t->w, &err);
		if (!t->conn || arm(t, &err) < 0) {
			fail(t, &err, 0, now);
			return;
		}
		t->phase = PH_CONNECT;
		set_timer(t, t->deadline);
		return;
	}
	struct sjob *x = job_new(t->sm, t->ops, t, JOB_CONNECT);
	if (!x) {
		fail_oom(t, "connect", now);
		return;
	}
	x->conf = t->conf;
	wait_for_job(t, x, PH_POOL_CONNECT, GRACE_S);
}

static void begin_connect(struct tstate *t, double now)
{
	if (t->job_out) { /* a job given up on still holds a worker: start no second one */
		t->phase = PH_RETRY;
		set_timer(t, now + 1);
		return;
	}
	int port = 0;
	char host[256];
	t->hostaddr[0] = '\0';
	int need = t->ops->lookup_host && !t->conf.iam ? t->ops->lookup_host(t->conf.dsn, host, sizeof host, &port) : 0;
	if (need != 1) {
		connect_now(t, now, need < 0); /* a host list: the library looks up, on a worker */
		return;
	}
	struct sjob *x = job_new(t->sm, t->ops, t, JOB_LOOKUP);
	if (!x) {
		fail_oom(t, "name lookup", now);
		return;
	}
	snprintf(x->host, sizeof x->host, "%s", host);
	t->deadline = now + t->conf.timeout_s;
	wait_for_job(t, x, PH_LOOKUP, 0);
}

/* The target's timer fired: its next sample or retry, or a deadline passed. */
static void on_timer(struct tstate *t, double now)
{
	struct err err = {0};
	switch (t->phase) {
	case PH_IDLE:
		if (t->conn)
			begin_sample(t, now);
		else
			begin_connect(t, now);
		return;
	case PH_RETRY:
		begin_connect(t, now);
		return;
	case PH_LOOKUP:
		t->gen++;
		if (t->job_started && !atomic_load(t->job_started))
			err_set(&err, ERR_TIMEOUT, "name lookup: waited %gs for a blocking worker: all are busy"
				" (%d stuck on hung hosts)", t->conf.timeout_s, pool_stuck(t->sm->env.pool));
		else
			err_set(&err, ERR_TIMEOUT, "name lookup: no answer after %gs", t->conf.timeout_s);
		fail(t, &err, 0, now);
		return;
	case PH_CONNECT: /* nothing runs on the server yet: close, no cancel */
		err_set(&err, ERR_TIMEOUT, "connect: timeout after %gs (%.120s)", t->conf.timeout_s,
			t->hostaddr[0] ? t->hostaddr : "no answer");
		fail(t, &err, 0, now);
		return;
	case PH_SAMPLE:
		err_set(&err, ERR_TIMEOUT, "query: no answer for %gs", t->conf.timeout_s);
		break;
	case PH_POOL_CONNECT:
	case PH_POOL_SAMPLE:
		t->gen++;
		if (t->job_started && !atomic_load(t->job_started))
			err_set(&err, ERR_TIMEOUT, "waited %gs for a blocking worker: all are busy (%d stuck on hung hosts)",
				t->conf.timeout_s, pool_stuck(t->sm->env.pool));
		else
			err_set(&err, ERR_TIMEOUT, "%s: no answer for %gs: worker abandoned, reconnecting",
				t->phase == PH_POOL_CONNECT ? "connect" : "query", t->conf.timeout_s);
		break;
	}
	fail(t, &err, 1, now);
}

/* The target's socket is ready ('events', epoll's, seen at 'now'): step what waits on it. */
static void on_io(struct tstate *t, uint32_t events, double now)
{
	struct err err = {0};
	int rc;
	if (t->phase == PH_CONNECT) {
		rc = t->ops->connect_step(t->conn, &t->w, &err);
	} else if (t->phase == PH_SAMPLE) {
		if ((events & EPOLLIN) && t->sent > 0 && !t->first_byte)
			t->first_byte = now;
		rc = t->ops->sample_step(t->conn, &t->snap->s, &t->w, &err);
		if (!t->sent && !(t->w.events & POLLOUT))
			t->sent = clock_mono(); /* flushed: from here the server has it all */
	} else {
		return; /* a stale event: the step already ended */
	}
	if (rc == ENGINE_STEP_WAIT) {
		if (arm(t, &err) < 0)
			fail(t, &err, 1, now);
		return;
	}
	disarm(t);
	if (rc == ENGINE_STEP_FAIL) {
		fail(t, &err, 0, now);
		return;
	}
	if (t->phase == PH_SAMPLE) {
		finish_sample(t, now);
		return;
	}
	rates_release(&t->rs); /* a new connection: counters may have restarted */
	begin_sample(t, now);
}

/* A pool job came back. */
static void on_job(struct sampler *s, struct sjob *x, double now)
{
	struct tstate *t = x->t;
	t->job_out = 0;
	t->job_started = NULL;
	if (x->gen != t->gen || atomic_load(s->env.stop) || x->j.expired) {
		job_free(x, 0); /* given up on: the target moved on (or its timer will say so) */
		return;
	}
	switch (x->kind) {
	case JOB_LOOKUP:
		if (x->rc < 0) {
			fail(t, &x->err, 0, now);
			break;
		}
		snprintf(t->hostaddr, sizeof t->hostaddr, "%s", x->addr);
		connect_now(t, now, 0);
		break;
	case JOB_CONNECT:
		if (!x->conn) {
			fail(t, &x->err, 0, now);
			break;
		}
		t->conn = x->conn;
		x->conn = NULL;
		rates_release(&t->rs);
		begin_sample(t, now);
		break;
	case JOB_SAMPLE:
		t->conn = x->conn;
		x->conn = NULL;
		if (x->rc < 0) {
			fail(t, &x->err, 0, now);
			break;
		}
		t->snap = x->snap;
		x->snap = NULL;
		finish_sample(t, now);
		break;
	case JOB_CLOSE:
		break;
	}
	job_free(x, 0);
}

/* ---- the thread ---- */

static int take_adds(struct sampler *s)
{
	pthread_mutex_lock(&s->mu);
	struct add *a = s->adds;
	s->adds = NULL;
	struct sjob *jobs = s->inbox;
	s->inbox = NULL;
	pthread_mutex_unlock(&s->mu);
	double now = clock_mono();
	for (struct add *next; a; a = next) {
		next = a->next;
		struct tstate *t = a->t;
		if (s->nheap == s->capheap) {
			size_t cap = s->capheap ? s->capheap * 2 : 64;
			struct tstate **h = realloc(s->heap, cap * sizeof *h), **m = realloc(s->mine, cap * sizeof *m);
			if (h)
				s->heap = h;
			if (m)
				s->mine = m;
			if (!h || !m)
				return -1;
			s->capheap = s->capmine = cap;
		}
		t->sm = s;
		t->armed_fd = -1;
		t->backoff = BACKOFF_MIN_S;
		t->phase = PH_IDLE;
		t->due = a->first;
		t->hpos = s->nheap;
		s->heap[s->nheap++] = t;
		s->mine[s->nmine++] = t;
		heap_fix(s, t->hpos);
		free(a);
	}
	for (struct sjob *next; jobs; jobs = next) {
		next = jobs->next;
		on_job(s, jobs, now);
	}
	return 0;
}

static void leave(struct sampler *s)
{
	for (size_t i = 0; i < s->nmine; i++) {
		struct tstate *t = s->mine[i];
		disarm(t);
		if (t->conn && t->ops->sample_start)
			t->ops->close(t->conn); /* never blocks, even mid-step; a blocking engine's (ODBC)
						 * may: the process exit takes it */
		t->conn = NULL;
		snapshot_release(&t->snap);
		rates_release(&t->rs);
	}
	/* jobs that came back meanwhile */
	pthread_mutex_lock(&s->mu);
	struct sjob *jobs = s->inbox;
	s->inbox = NULL;
	pthread_mutex_unlock(&s->mu);
	for (struct sjob *next; jobs; jobs = next) {
		next = jobs->next;
		job_free(jobs, 1); /* quitting */
	}
}

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;
	struct epoll_event ev[64];
	while (!atomic_load(s->env.stop)) {
		double now = clock_mono();
		while (s->nheap && s->heap[0]->due <= now)
			on_timer(s->heap[0], now);
		int ms = 1000;
		if (s->nheap) {
			double left = s->heap[0]->due - clock_mono();
			ms = left <= 0 ? 0 : left < 1 ? (int)(left * 1000) + 1 : 1000;
		}
		int n = epoll_wait(s->ep, ev, 64, ms);
		now = clock_mono();
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == s) {
				uint64_t v;
				(void)!read(s->evfd, &v, sizeof v);
				take_adds(s);
			} else {
				on_io(ev[i].data.ptr, ev[i].events, now);
			}
		}
	}
	leave(s);
	engine_thread_end_all();
	s->env.done(s->env.done_arg);
	sampler_unref(s);
	return NULL;
}

struct sampler *sampler_new(const struct sampler_env *env)
{
	struct sampler *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->env = *env;
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
	if (s->ep < 0 || s->evfd < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->evfd, &ev) < 0) {
		if (s->ep >= 0)
			close(s->ep);
		if (s->evfd >= 0)
			close(s->evfd);
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	atomic_init(&s->refs, 1);
	return s;
}

int sampler_start(struct sampler *s)
{
	pthread_attr_t a;
	pthread_t th;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	atomic_fetch_add(&s->refs, 1); /* the thread's */
	int rc = pthread_create(&th, &a, sampler_main, s);
	pthread_attr_destroy(&a);
	if (rc != 0)
		atomic_fetch_sub(&s->refs, 1);
	return rc == 0 ? 0 : -1;
}

void sampler_free(struct sampler **s)
{
	if (s && *s)
		sampler_unref(*s);
	if (s)
		*s = NULL;
}

int sampler_add(struct sampler *s, struct tstate *t, double first)
{
	struct add *a = malloc(sizeof *a);
	if (!a)
		return -1;
	*a = (struct add){t, first, NULL};
	pthread_mutex_lock(&s->mu);
	a->next = s->adds;
	s->adds = a;
	pthread_mutex_unlock(&s->mu);
	atomic_fetch_add(&s->load, 1);
	sampler_wake(s);
	return 0;
}

size_t sampler_load(struct sampler *s)
{
	return atomic_load(&s->load);
}

void sampler_wake(struct sampler *s)
{
	uint64_t one = 1;
	(void)!write(s->evfd, &one, sizeof one);
}
