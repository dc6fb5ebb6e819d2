/*
 * mysql_nb - drive the MySQL engine's non-blocking sample as a sampler thread
 * would: connect (blocking, as the core does for MySQL), then sample_start
 * and sample_step under a poll() loop with a deadline, and print what each
 * sample holds as key=value words for tests/e2e/test_mariadb.py.
 *
 *   mysql_nb DSN [-t TIMEOUT_S] [-d DEADLINE_S] [-i INTERVAL_S] LEVEL...
 *
 * LEVEL is 'health', 'detail' or 'stall'. 'stall' prints "ready", waits for
 * a line on stdin (the test stops the server meanwhile), samples until the
 * deadline passes and hands the connection to abandon(), timing both.
 */
#include "../../collectors/rates.h"
#include "../../engines/engine.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct flight {
	int rc;              /* ENGINE_STEP_DONE, _FAIL, or 2: the deadline passed */
	int steps;
	double longest_step_ms, took_s;
};

/* One sample through the non-blocking interface, within 'limit' seconds. */
static struct flight run(struct engine_conn *c, enum engine_detail d, double limit, struct db_sample *out,
			 struct err *err)
{
	struct flight f = {0};
	struct engine_wait w;
	double t0 = clock_mono(), deadline = t0 + limit;
	f.rc = engine_mysql_ops.sample_start(c, d, &w, err);
	while (f.rc == ENGINE_STEP_WAIT) {
		double left = deadline - clock_mono();
		if (left <= 0) {
			f.rc = 2;
			break;
		}
		struct pollfd p = {.fd = w.fd, .events = w.events};
		if (poll(&p, 1, (int)(left * 1000) + 1) < 0 && errno != EINTR) {
			f.rc = ENGINE_STEP_FAIL;
			break;
		}
		double s0 = clock_mono();
		f.rc = engine_mysql_ops.sample_step(c, out, &w, err);
		double ms = (clock_mono() - s0) * 1000;
		f.longest_step_ms = ms > f.longest_step_ms ? ms : f.longest_step_ms;
		f.steps++;
	}
	f.took_s = clock_mono() - t0;
	return f;
}

static void print_sample(const char *level, const struct flight *f, const struct db_sample *s)
{
	const struct db_health *h = &s->health;
	printf("sample level=%s rc=%s steps=%d longest_step_ms=%.2f conns=%d max=%d active=%d role=%s"
	       " lag=%.1f streaming=%d halted=%s sender_port=%d replicas=%zu uptime=%.0f longest_xact=%.0f"
	       " idle_in_xact=%d lock_waits=%d sessions=%zu queries=%zu statements=%d tps=%.2f qps=%.2f tls=%s"
	       " version=%s\n",
	       level, f->rc == ENGINE_STEP_DONE ? "done" : f->rc == 2 ? "deadline" : "fail", f->steps,
	       f->longest_step_ms, h->conns_used, h->conns_max, h->active, h->is_replica ? "replica" : "primary",
	       s->standby.lag_s, s->standby.streaming, s->standby.halted[0] ? "yes" : "no", s->standby.sender_port,
	       s->nreplicas, h->uptime_s, h->longest_xact_s, h->idle_in_xact, h->waiting_on_lock, s->nsessions,
	       s->nqueries, s->statements, h->tps, h->qps, h->tls, h->version);
}

/* The server stops answering: the step must wait (not block) and abandon end in time. */
static int stall(struct engine_conn *c, double limit)
{
	char line[16];
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		return 1;
	struct db_sample s = {0};
	struct err err = {0};
	struct flight f = run(c, ENGINE_DETAIL, limit, &s, &err);
	double t0 = clock_mono();
	engine_mysql_ops.abandon(c);
	printf("stall rc=%s steps=%d longest_step_ms=%.2f waited_s=%.2f abandon_s=%.2f\n",
	       f.rc == 2 ? "deadline" : f.rc == ENGINE_STEP_DONE ? "done" : "fail", f.steps, f.longest_step_ms,
	       f.took_s, clock_mono() - t0);
	engine_sample_release(&s);
	return 0;
}

int main(int argc, char **argv)
{
	double timeout = 2, limit = 2, interval = 0.2;
	int a = 2;
	if (argc < 3) {
		fprintf(stderr, "usage: mysql_nb DSN [-t TIMEOUT_S] [-d DEADLINE_S] [-i INTERVAL_S] LEVEL...\n");
		return 2;
	}
	for (; a + 1 < argc && argv[a][0] == '-'; a += 2)
		*(argv[a][1] == 't' ? &timeout : argv[a][1] == 'd' ? &limit : &interval) = atof(argv[a + 1]);
	struct err err = {0};
	engine_mysql_ops.global_init();
	struct engine_conn *c = engine_mysql_ops.connect(argv[1], timeout, &err);
	if (!c) {
		printf("connect failed: %s\n", err.msg);
		return 1;
	}
	struct rate_state rs = {0};
	for (; a < argc; a++) {
		if (!strcmp(argv[a], "stall"))
			return stall(c, limit);
		struct db_sample s = {0};
		struct flight f = run(c, strcmp(argv[a], "health") ? ENGINE_DETAIL : ENGINE_HEALTH, limit, &s, &err);
		if (f.rc == ENGINE_STEP_DONE)
			rates_apply(&rs, &s);
		print_sample(argv[a], &f, &s);
		if (f.rc != ENGINE_STEP_DONE)
			printf("error: %s\n", err.msg);
		engine_sample_release(&s);
		nanosleep(&(struct timespec){.tv_nsec = (long)(interval * 1e9)}, NULL);
	}
	rates_release(&rs);
	engine_mysql_ops.close(c);
	engine_mysql_ops.thread_end();
	return 0;
}
