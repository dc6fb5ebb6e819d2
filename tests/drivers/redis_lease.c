/*
 * redis_lease.c - drives collectors/redis.c and lease.c against a real redis-server for
 * tests/e2e/test_redis.py (it links the core, as dbfleet will).
 *
 *   redis_lease [options] URL cmd ARG...    one command, its reply on stdout
 *   redis_lease [options] URL serve COUNT   take the fleet's lease (standby until it can),
 *                                           publish COUNT entries (0: until SIGTERM), release
 * options: -u USER  -p PASSWORD_FILE (else $DBFLEET_REDIS_PASSWORD)  -c CA_FILE
 *          -t TIMEOUT_S  -m MAX_REPLY  -l TTL_MS  -n MAXLEN  -i INTERVAL_S  -s DATA_BYTES
 *          -I CLUSTER (ElastiCache IAM authentication for that replication group)
 *          -P (leave SIGPIPE as it is: the client must not die of it)
 *
 * serve prints one line per change: "STANDBY holder=TOKEN", "ACTIVE token=TOKEN",
 * "PUBLISHED n=N id=ID" (each entry), "LOST: why" (exit 3), "RELEASED", "ERROR: why" (exit 1).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../aws/aws.h"
#include "../../collectors/redis.h"
#include "../../model/clock.h"

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void nap(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stopping)
		;
}

/* The reply, one line per element; bytes outside printable ASCII as '.'. */
static void print_reply(const redisReply *r, int depth)
{
	printf("%*s", depth * 2, "");
	switch (r->type) {
	case REDIS_REPLY_STRING:
		printf("STRING %zu ", r->len);
		for (size_t i = 0; i < r->len && i < 80; i++)
			putchar(r->str[i] >= 32 && r->str[i] < 127 ? r->str[i] : '.');
		putchar('\n');
		break;
	case REDIS_REPLY_STATUS:
		printf("STATUS %s\n", r->str);
		break;
	case REDIS_REPLY_ERROR:
		printf("ERROR-REPLY %s\n", r->str);
		break;
	case REDIS_REPLY_INTEGER:
		printf("INTEGER %lld\n", r->integer);
		break;
	case REDIS_REPLY_NIL:
		printf("NIL\n");
		break;
	case REDIS_REPLY_ARRAY:
		printf("ARRAY %zu\n", r->elements);
		for (size_t i = 0; i < r->elements; i++)
			print_reply(r->element[i], depth + 1);
		break;
	}
}

static int cmd(struct redis *r, int argc, char **argv)
{
	struct err e = {0};
	redisReply *rep = redis_command(r, argc, (const char **)argv, NULL, &e);
	if (!rep) {
		printf("ERROR: %s\n", e.msg);
		return 1;
	}
	print_reply(rep, 0);
	freeReplyObject(rep);
	return 0;
}

/* Standby until the lease is ours. 0, or 1 on error or stop. */
static int take(struct redis_lease *l, long ttl_ms)
{
	char holder[512], shown[512] = "";
	for (;;) {
		struct err e = {0};
		long retry_ms = ttl_ms / 3;
		enum lease_result res = redis_lease_acquire(l, holder, sizeof holder, &retry_ms, &e);
		if (res == LEASE_OK) {
			printf("ACTIVE token=%s\n", l->token);
			return 0;
		}
		if (res == LEASE_ERROR) {
			printf("ERROR: %s\n", e.msg);
			return 1;
		}
		if (strcmp(holder, shown)) {
			printf("STANDBY holder=%s\n", holder);
			snprintf(shown, sizeof shown, "%s", holder);
		}
		fflush(stdout);
		nap((double)retry_ms / 1000.0);
		if (stopping)
			return 1;
	}
}

static int serve(struct redis *r, const char *fleet, long count, long ttl_ms, long maxlen, double interval,
		 size_t data_bytes)
{
	struct redis_lease l;
	struct err e = {0};
	if (redis_lease_init(&l, r, fleet, ttl_ms, maxlen, &e) < 0) {
		printf("ERROR: %s\n", e.msg);
		return 1;
	}
	if (take(&l, ttl_ms))
		return 1;
	char *data = calloc(1, data_bytes + 1);
	memset(data, 'x', data_bytes);
	int rc = 0;
	for (long n = 1; !stopping && (count == 0 || n <= count); n++) {
		char id[64];
		enum lease_result res = redis_lease_publish(&l, "sample", data, data_bytes, id, sizeof id, &e);
		if (res == LEASE_LOST) {
			printf("LOST: %s\n", e.msg);
			free(data);
			return 3;
		}
		if (res == LEASE_ERROR) {
			printf("ERROR: %s\n", e.msg);
			free(data);
			return 1;
		}
		printf("PUBLISHED n=%ld id=%s\n", n, id);
		fflush(stdout);
		nap(interval);
	}
	free(data);
	enum lease_result res = redis_lease_release(&l, &e);
	if (res == LEASE_OK)
		printf("RELEASED\n");
	else
		printf("%s: %s\n", res == LEASE_LOST ? "NOT-HELD" : "ERROR", res == LEASE_LOST ? "the lease was not ours" : e.msg);
	return rc;
}

int main(int argc, char **argv)
{
	struct redis_conf c = {0};
	long ttl_ms = 3000, maxlen = 1000;
	double interval = 0.2;
	size_t data_bytes = 16;
	int opt, keep_sigpipe = 0;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "+u:p:c:t:m:l:n:i:s:I:P")) != -1) {
		switch (opt) {
		case 'u': snprintf(c.user, sizeof c.user, "%s", optarg); break;
		case 'p': snprintf(c.password_file, sizeof c.password_file, "%s", optarg); break;
		case 'c': snprintf(c.ca_file, sizeof c.ca_file, "%s", optarg); break;
		case 't': c.timeout_s = atof(optarg); break;
		case 'm': c.max_reply = (size_t)atol(optarg); break;
		case 'l': ttl_ms = atol(optarg); break;
		case 'n': maxlen = atol(optarg); break;
		case 'i': interval = atof(optarg); break;
		case 's': data_bytes = (size_t)atol(optarg); break;
		case 'P': keep_sigpipe = 1; break;
		case 'I':
			c.iam = 1;
			snprintf(c.iam_cluster, sizeof c.iam_cluster, "%s", optarg);
			break;
		default: return 2;
		}
	}
	if (!keep_sigpipe)
		signal(SIGPIPE, SIG_IGN);
	if (argc - optind < 2) {
		fprintf(stderr, "usage: redis_lease [options] URL cmd ARG... | serve COUNT\n");
		return 2;
	}
	struct err e = {0};
	if (aws_global_init() < 0)
		return 1;
	if (redis_url_parse(argv[optind], &c.url, &e) < 0) {
		printf("ERROR: %s\n", e.msg);
		return 1;
	}
	double t0 = clock_mono();
	struct redis *r = redis_connect(&c, &e);
	if (!r) {
		printf("ERROR: %s (after %.1fs)\n", e.msg, clock_mono() - t0);
		return 1;
	}
	int rc;
	if (!strcmp(argv[optind + 1], "serve"))
		rc = serve(r, c.url.fleet, atol(argv[optind + 2 < argc ? optind + 2 : optind + 1]), ttl_ms, maxlen,
			   interval, data_bytes);
	else
		rc = cmd(r, argc - optind - 2, argv + optind + 2);
	redis_free(&r);
	return rc;
}
