/*
 * redis_interest.c - drives collectors/interest.c (viewers' interest) against a real
 * redis-server for tests/e2e/test_serve_interest.py, with stores of its own in place of
 * --serve's and --attach's.
 *
 *   redis_interest [options] URL collect NAME...   a collector's store with targets NAME (a
 *                         NAME with '/' is an AWS instance REGION/ID of its cloud snapshot);
 *                         its interest thread runs until SIGTERM
 *   redis_interest [options] URL publish VIEWER WHAT...   a viewer's store watched for WHAT
 *                         (watch:NAME, triage:NAME, pi:REGION/ID); one interest_publish
 * options: -u USER  -p PASSWORD_FILE  -c CA_FILE  -t TIMEOUT_S
 *
 * collect prints "STARTED", then "STATE watch=A,B triage=C pi=R/I" (what its store is
 * watched for) each time that changes, and "STOPPED in S s" (how long interest_stop took).
 * publish prints "PUBLISHED" or "ERROR: why" (exit 1).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../aws/aws.h"
#include "../../collectors/serve.h"
#include "../../model/clock.h"

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* "watch=a,b triage=c pi=r/i" of 'st' now. */
static void state_of(struct store *st, char *out, size_t n)
{
	char w[1024] = "", t[1024] = "", p[1024] = "";
	for (size_t i = 0; i < store_count(st); i++) {
		struct target_status ts;
		struct snapshot *s = store_get(st, i, &ts);
		snapshot_release(&s);
		if (store_watched(st, i))
			snprintf(w + strlen(w), sizeof w - strlen(w), "%s%s", w[0] ? "," : "", ts.name);
		if (store_watched_triage(st, i))
			snprintf(t + strlen(t), sizeof t - strlen(t), "%s%s", t[0] ? "," : "", ts.name);
	}
	char keys[STORE_PI_WATCH][STORE_PI_KEY];
	size_t nk = store_pi_watched(st, keys, STORE_PI_WATCH);
	for (size_t k = 0; k < nk; k++)
		snprintf(p + strlen(p), sizeof p - strlen(p), "%s%s", p[0] ? "," : "", keys[k]);
	snprintf(out, n, "watch=%s triage=%s pi=%s", w, t, p);
}

static int collect(const struct serve_conf *c, int nnames, char **names)
{
	struct store *st = store_new(0);
	struct cloud_snapshot *cs = cloud_snapshot_new();
	size_t nt = 0;
	cs->inst = calloc((size_t)nnames + 1, sizeof *cs->inst);
	store_reserve(st, (size_t)nnames);
	for (int i = 0; i < nnames; i++) {
		char *slash = strchr(names[i], '/');
		if (slash) {
			struct cloud_instance *ci = &cs->inst[cs->n++];
			snprintf(ci->region, sizeof ci->region, "%.*s", (int)(slash - names[i]), names[i]);
			snprintf(ci->id, sizeof ci->id, "%s", slash + 1);
		} else {
			store_describe(st, nt++, names[i], "postgres", "localhost:5432", 1, 1);
		}
	}
	store_set_count(st, nt);
	store_cloud_publish(st, cs);
	struct err e = {0};
	struct interest *in = interest_start(c, c->redis.url.fleet, st, &e);
	if (!in) {
		printf("ERROR: %s\n", e.msg);
		store_free(&st);
		return 1;
	}
	printf("STARTED\n");
	char shown[4096] = "", now[4096];
	while (!stopping) {
		state_of(st, now, sizeof now);
		if (strcmp(now, shown)) {
			printf("STATE %s\n", now);
			snprintf(shown, sizeof shown, "%s", now);
		}
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
	double t0 = clock_mono();
	interest_stop(&in);
	printf("STOPPED in %.2f s\n", clock_mono() - t0);
	store_free(&st);
	return 0;
}

static int publish(const struct serve_conf *c, const char *viewer, int nwhat, char **what)
{
	struct store *st = store_new(0);
	store_reserve(st, (size_t)nwhat);
	size_t nt = 0;
	for (int i = 0; i < nwhat; i++) {
		char *colon = strchr(what[i], ':'), *arg = colon ? colon + 1 : what[i] + strlen(what[i]);
		char *slash = strchr(arg, '/');
		if (!strncmp(what[i], "pi:", 3) && slash) {
			*slash = '\0';
			store_pi_watch(st, arg, slash + 1, 30);
			continue;
		}
		store_describe(st, nt, arg, "postgres", "localhost:5432", 1, 1);
		store_set_count(st, nt + 1);
		if (!strncmp(what[i], "triage:", 7))
			store_watch_triage(st, nt, 30);
		else
			store_watch(st, nt, 30);
		nt++;
	}
	struct err e = {0};
	struct redis *r = redis_connect(&c->redis, &e);
	int rc = !r || interest_publish(r, c->redis.url.fleet, viewer, st, &e) < 0;
	if (rc)
		printf("ERROR: %s\n", e.msg);
	else
		printf("PUBLISHED\n");
	redis_free(&r);
	store_free(&st);
	return rc;
}

int main(int argc, char **argv)
{
	struct serve_conf c = {0};
	int opt;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "+u:p:c:t:")) != -1) {
		switch (opt) {
		case 'u': snprintf(c.redis.user, sizeof c.redis.user, "%s", optarg); break;
		case 'p': snprintf(c.redis.password_file, sizeof c.redis.password_file, "%s", optarg); break;
		case 'c': snprintf(c.redis.ca_file, sizeof c.redis.ca_file, "%s", optarg); break;
		case 't': c.redis.timeout_s = atof(optarg); break;
		default: return 2;
		}
	}
	struct err e = {0};
	if (argc - optind < 2 || (!strcmp(argv[optind + 1], "publish") && argc - optind < 3)) {
		fprintf(stderr, "usage: redis_interest [options] URL collect NAME... | publish VIEWER WHAT...\n");
		return 2;
	}
	if (aws_global_init() < 0)
		return 1;
	if (redis_url_parse(argv[optind], &c.redis.url, &e) < 0) {
		printf("ERROR: %s\n", e.msg);
		return 1;
	}
	if (!strcmp(argv[optind + 1], "collect"))
		return collect(&c, argc - optind - 2, argv + optind + 2);
	return publish(&c, argv[optind + 2], argc - optind - 3, argv + optind + 3);
}
