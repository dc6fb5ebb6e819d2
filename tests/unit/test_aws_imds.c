/*
 * Unit tests: instance-metadata credentials looked up from 8 threads at once
 * (the cloud thread, the action worker and pool threads making IAM connects do
 * this). A tiny IMDSv2 server in the test hands each session its own token, role
 * and keys, so a buffer shared between callers shows as a caller getting another
 * caller's role or keys. Run the binary from a SANITIZE=thread build to see races.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../aws/aws.h"
#include "check.h"

#define THREADS 8
#define ROUNDS 25

static int lfd;
static atomic_int next_session;

static void reply(int fd, const char *body)
{
	char r[1024];
	int n = snprintf(r, sizeof r, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 strlen(body), body);
	if (write(fd, r, (size_t)n) < 0)
		return;
}

/* One request per connection: the token PUT starts a session; later GETs name it by its token. */
static void *serve_one(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char req[2048], body[512];
	size_t n = 0;
	ssize_t k;
	while (n < sizeof req - 1 && (k = read(fd, req + n, sizeof req - 1 - n)) > 0) {
		n += (size_t)k;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[n] = '\0';
	int sess = -1;
	const char *t = strstr(req, "X-aws-ec2-metadata-token: tok");
	if (t)
		sess = atoi(t + strlen("X-aws-ec2-metadata-token: tok"));
	usleep(500); /* widen the window in which callers overlap */
	if (!strncmp(req, "PUT /latest/api/token", 21)) {
		snprintf(body, sizeof body, "tok%d", atomic_fetch_add(&next_session, 1));
	} else if (strstr(req, "GET /latest/meta-data/iam/security-credentials/ ")) {
		snprintf(body, sizeof body, "role%d", sess);
	} else if (strstr(req, "GET /latest/meta-data/iam/security-credentials/role")) {
		int role = atoi(strstr(req, "/role") + 5);
		snprintf(body, sizeof body,
			 "{\"Code\":\"Success\",\"AccessKeyId\":\"AKID%d\",\"SecretAccessKey\":\"secret%d-%d\","
			 "\"Token\":\"token%d\",\"Expiration\":\"2099-01-01T00:00:00Z\"}",
			 role, role, sess, sess);
	} else if (strstr(req, "GET /latest/meta-data/placement/region")) {
		snprintf(body, sizeof body, "region-%d", sess);
	} else {
		snprintf(body, sizeof body, "?");
	}
	reply(fd, body);
	close(fd);
	return NULL;
}

static void *server(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		pthread_t th;
		if (pthread_create(&th, NULL, serve_one, (void *)(intptr_t)fd) == 0)
			pthread_detach(th);
		else
			close(fd);
	}
}

static atomic_int mismatches, failures;

/* Each lookup's role, keys, token and region must all come from one session. */
static void *lookup(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		struct aws_creds c;
		char role[128] = "", region[64] = "", err[256] = "", want[128];
		time_t exp = 0;
		if (aws_imds_creds(&c, role, sizeof role, region, sizeof region, &exp, err, sizeof err) < 0) {
			fprintf(stderr, "  lookup failed: %s\n", err);
			atomic_fetch_add(&failures, 1);
			continue;
		}
		int r = strncmp(role, "role", 4) ? -1 : atoi(role + 4);
		snprintf(want, sizeof want, "AKID%d", r);
		int ok = r >= 0 && !strcmp(c.akid, want);
		snprintf(want, sizeof want, "token%d", r);
		ok = ok && !strcmp(c.token, want);
		snprintf(want, sizeof want, "region-%d", r);
		ok = ok && !strcmp(region, want);
		if (!ok) {
			fprintf(stderr, "  mixed up: role '%s' akid '%s' token '%s' region '%s'\n", role, c.akid, c.token,
				region);
			atomic_fetch_add(&mismatches, 1);
		}
	}
	return NULL;
}

static void eight_threads_get_their_own_credentials(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 64) == 0);
	CHECK(getsockname(lfd, (struct sockaddr *)&a, &al) == 0);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	pthread_t srv, th[THREADS];
	CHECK(pthread_create(&srv, NULL, server, NULL) == 0);
	pthread_detach(srv);
	for (int i = 0; i < THREADS; i++)
		CHECK(pthread_create(&th[i], NULL, lookup, NULL) == 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	CHECK(atomic_load(&failures) == 0);
	CHECK(atomic_load(&mismatches) == 0);
}

int main(void)
{
	if (aws_global_init() < 0)
		return 1;
	RUN(eight_threads_get_their_own_credentials);
	return check_total_failed;
}
