/*
 * pool.c - bounded blocking workers with a supervisor that abandons stuck ones.
 *
 * DESIGN
 * - Jobs queue in two FIFOs guarded by 'mu'; idle workers wait on 'cv'. The
 *   low lane holds the jobs of targets failing since their last good sample
 *   (a host that accepts TCP and never greets holds a worker for its whole
 *   timeout): it is served after the normal lane, and never by the last
 *   POOL_RESERVE workers, so such hosts cannot keep healthy targets waiting.
 * - Before running a job a worker stores the job's deadline plus GRACE_S in
 *   its 'busy_until'. The supervisor thread wakes every 200 ms; a worker
 *   past its 'busy_until' is marked abandoned and, while fewer than
 *   'max_stuck' are, a fresh worker takes its place. An abandoned worker
 *   exits when its call returns. Its job's done() still runs: the owner of
 *   the job decides (by its own generation count) whether the late result
 *   still matters.
 * - Threads are detached. The pool is reference counted (the creator and
 *   each thread); pool_stop() never joins, so a stuck call cannot delay
 *   quitting, and the last thread out frees the pool.
 */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "../model/clock.h"

#define GRACE_S 1.0
#define POOL_RESERVE 2 /* workers the low lane never takes: hung hosts cannot fill the pool */

struct worker {
	struct pool *p;
	_Atomic double busy_until;  /* 0 idle */
	int abandoned;              /* guarded by pool.mu */
	struct worker *next;        /* guarded by pool.mu */
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;          /* jobs queued, or stopping */
	struct job *head, *tail;    /* guarded by mu: the normal lane */
	struct job *lhead, *ltail;  /* guarded by mu: the low lane (job.low) */
	int running_low;            /* guarded by mu: low-lane jobs running */
	struct worker *workers;     /* guarded by mu: every live thread but the supervisor */
	int stopping;               /* guarded by mu */
	int live, stuck;            /* guarded by mu */
	int max_stuck;              /* immutable */
	void (*thread_end)(void);   /* immutable */
	atomic_int threads;
	atomic_int refs;
};

static void pool_unref(struct pool *p)
{
	if (atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

static void unlink_worker(struct pool *p, struct worker *w)
{
	for (struct worker **pp = &p->workers; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

/* The next job to run, under mu: the normal lane first; the low lane while fewer than
 * all but POOL_RESERVE live workers run low-lane jobs. NULL: none now. */
static struct job *take(struct pool *p)
{
	struct job *j = p->head;
	if (j) {
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		return j;
	}
	j = p->lhead;
	if (!j || p->running_low >= p->live - POOL_RESERVE)
		return NULL;
	p->lhead = j->next;
	if (!p->lhead)
		p->ltail = NULL;
	p->running_low++;
	return j;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->p;
	pthread_mutex_lock(&p->mu);
	while (!p->stopping && !w->abandoned) {
		struct job *j = take(p);
		if (!j) {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		double now = clock_mono();
		atomic_store(&w->busy_until, now + j->budget + GRACE_S);
		pthread_mutex_unlock(&p->mu);
		atomic_store(&j->started, 1);
		j->expired = now > j->deadline; /* its owner gave up on it already */
		if (!j->expired)
			j->run(j);
		atomic_store(&w->busy_until, 0.0);
		int low = j->low;
		j->done(j); /* may free j */
		pthread_mutex_lock(&p->mu);
		p->running_low -= low;
		if (low)
			pthread_cond_broadcast(&p->cv); /* a low-lane job may start now */
	}
	if (w->abandoned)
		p->stuck--;
	else
		p->live--;
	unlink_worker(p, w);
	pthread_mutex_unlock(&p->mu);
	free(w);
	if (p->thread_end)
		p->thread_end();
	atomic_fetch_sub(&p->threads, 1);
	pool_unref(p);
	return NULL;
}

static int spawn(struct pool *p, void *(*fn)(void *), void *arg)
{
	pthread_attr_t a;
	pthread_t th;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	atomic_fetch_add(&p->refs, 1);
	atomic_fetch_add(&p->threads, 1);
	int rc = pthread_create(&th, &a, fn, arg);
	pthread_attr_destroy(&a);
	if (rc != 0) {
		atomic_fetch_sub(&p->threads, 1);
		atomic_fetch_sub(&p->refs, 1);
		return -1;
	}
	return 0;
}

/* A new worker; called with mu held. */
static int add_worker(struct pool *p)
{
	struct worker *w = calloc(1, sizeof *w);
	if (!w)
		return -1;
	w->p = p;
	if (spawn(p, worker_main, w) < 0) {
		free(w);
		return -1;
	}
	w->next = p->workers;
	p->workers = w;
	p->live++;
	return 0;
}

static void *supervisor_main(void *arg)
{
	struct pool *p = arg;
	pthread_mutex_lock(&p->mu);
	while (!p->stopping) {
		double now = clock_mono();
		for (struct worker *w = p->workers; w; w = w->next) {
			double until = atomic_load(&w->busy_until);
			if (w->abandoned || until <= 0 || now <= until || p->stuck >= p->max_stuck)
				continue;
			w->abandoned = 1;
			p->live--;
			p->stuck++;
			add_worker(p); /* at the head: this walk does not see it */
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
	pthread_mutex_unlock(&p->mu);
	atomic_fetch_sub(&p->threads, 1);
	pool_unref(p);
	return NULL;
}

struct pool *pool_new(int workers, int max_stuck, void (*thread_end)(void))
{
	struct pool *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->max_stuck = max_stuck;
	p->thread_end = thread_end;
	atomic_init(&p->refs, 1);
	pthread_mutex_lock(&p->mu);
	int ok = spawn(p, supervisor_main, p) == 0;
	for (int i = 0; ok && i < (workers > 0 ? workers : 1); i++)
		ok = add_worker(p) == 0;
	pthread_mutex_unlock(&p->mu);
	if (!ok) {
		pool_free(&p);
		return NULL;
	}
	return p;
}

int pool_submit(struct pool *p, struct job *j)
{
	j->next = NULL;
	j->budget = j->deadline - clock_mono();
	j->expired = 0;
	atomic_store(&j->started, 0);
	pthread_mutex_lock(&p->mu);
	if (p->stopping) {
		pthread_mutex_unlock(&p->mu);
		return -1;
	}
	struct job **head = j->low ? &p->lhead : &p->head, **tail = j->low ? &p->ltail : &p->tail;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int pool_stuck(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	int n = p->stuck;
	pthread_mutex_unlock(&p->mu);
	return n;
}

int pool_size(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	int n = p->live;
	pthread_mutex_unlock(&p->mu);
	return n;
}

int pool_threads(struct pool *p)
{
	return atomic_load(&p->threads);
}

void pool_stop(struct pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	struct job *lanes[2] = {p->head, p->lhead};
	p->head = p->tail = p->lhead = p->ltail = NULL;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < 2; i++)
		for (struct job *j = lanes[i], *next; j; j = next) {
			next = j->next;
			j->done(j);
		}
}

void pool_free(struct pool **pp)
{
	if (!pp || !*pp)
		return;
	pool_stop(*pp);
	pool_unref(*pp);
	*pp = NULL;
}
