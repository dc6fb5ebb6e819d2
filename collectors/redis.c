/*
 * redis.c - one connection to Redis/Valkey/ElastiCache, blocking the calling thread but never
 * past a deadline.
 *
 * DESIGN
 * - Wire: RESP2. Commands are written with hiredis' redisFormatCommandArgv; replies are read
 *   by redis_reply.c (a size-capping scanner in front of hiredis' redisReader). hiredis 0.14
 *   (Debian 12) has no TLS, so the socket and the TLS session are ours: OpenSSL with
 *   certificate verification always on (the CA file or the system store) and the host checked
 *   against the certificate (SSL_set1_host, or the IP address).
 * - Deadlines: the socket is non-blocking and every wait is a poll() bounded by the step's
 *   deadline (lookup, connect, handshake, each command: conf->timeout_s). A server that
 *   accepts TCP and never answers costs one timeout, then the call fails with ERR_TIMEOUT.
 *   The name lookup runs through getaddrinfo_a, so a DNS server that never answers is bounded
 *   too; a lookup glibc cannot cancel keeps its request block (a few hundred bytes) for good.
 * - Threads: a connection belongs to one thread at a time; nothing here is shared. SIGPIPE:
 *   plain writes use MSG_NOSIGNAL; OpenSSL writes with write(), so each TLS call that may
 *   write runs with SIGPIPE blocked in the calling thread and a SIGPIPE it raised is taken
 *   back before the mask is restored (curl's way): a server that goes away is an error,
 *   never a signal that ends a program which did not ignore SIGPIPE.
 * - Cluster mode: a key's shard answers for it; another node answers MOVED SLOT HOST:PORT. The
 *   connection then moves to that node (same TLS settings, same user, a fresh AUTH) and asks
 *   again, at most twice a command. A fleet's keys share one hash tag, so a collector or a
 *   viewer moves once and stays. ASK (a slot in migration) is returned to the caller as is.
 * - Authentication: AUTH [user] password, the password from redis_password() or, with
 *   conf->iam, an ElastiCache IAM token (aws/elasticache_token.c) for the user. A refused
 *   password is ERR_AUTH with the server's words.
 */
#include "redis.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../aws/aws.h"
#include "../model/clock.h"

struct redis {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	double timeout_s;
	struct resp_reader rd;
	char peer[REDIS_HOST_MAX + 8];
	struct redis_conf conf; /* to follow a cluster's MOVED (no password in it: a path, a flag) */
};

/* SIGPIPE blocked in this thread, and whether one was already pending. */
struct sigpipe_guard {
	sigset_t old;
	int pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t pipe, pend;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigpending(&pend);
	g->pending = sigismember(&pend, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &g->old);
}

/* Take back a SIGPIPE raised while blocked (not one that was pending before), restore the mask. */
static void sigpipe_restore(struct sigpipe_guard *g)
{
	if (!g->pending) {
		sigset_t pipe, pend;
		sigemptyset(&pipe);
		sigaddset(&pipe, SIGPIPE);
		sigpending(&pend);
		if (sigismember(&pend, SIGPIPE)) {
			struct timespec zero = {0, 0};
			sigtimedwait(&pipe, NULL, &zero);
		}
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* Milliseconds left until 'deadline' (monotonic), at least 0. */
static int ms_left(double deadline)
{
	double left = deadline - clock_mono();
	return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

/* Wait for 'events' on fd until the deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, double deadline)
{
	for (;;) {
		int ms = ms_left(deadline);
		if (ms == 0)
			return 0;
		struct pollfd p = {.fd = fd, .events = events};
		int rc = poll(&p, 1, ms);
		if (rc > 0)
			return 1;
		if (rc == 0)
			continue;
		if (errno != EINTR)
			return -1;
	}
}

/* getaddrinfo with a deadline (getaddrinfo_a); *res to freeaddrinfo. */
static int lookup(const char *host, int port, double timeout_s, struct addrinfo **res, struct err *e)
{
	struct req {
		struct gaicb cb;
		struct addrinfo hints;
		char host[REDIS_HOST_MAX];
		char port[8];
	} *q = calloc(1, sizeof *q);
	if (!q)
		return err_set(e, ERR_FAIL, "out of memory");
	snprintf(q->host, sizeof q->host, "%s", host);
	snprintf(q->port, sizeof q->port, "%d", port);
	q->hints.ai_family = AF_UNSPEC;
	q->hints.ai_socktype = SOCK_STREAM;
	q->cb.ar_name = q->host;
	q->cb.ar_service = q->port;
	q->cb.ar_request = &q->hints;
	struct gaicb *list[1] = {&q->cb};
	double deadline = clock_mono() + timeout_s;
#if defined(__SANITIZE_THREAD__)
	/* ThreadSanitizer cannot follow the thread getaddrinfo_a starts inside glibc (it crashes
	 * in TSan's allocator there): the TSan test build looks up without the deadline */
	int grc = getaddrinfo(q->host, q->port, &q->hints, res);
	free(q);
	(void)deadline;
	(void)list;
	return grc ? err_set(e, ERR_FAIL, "cannot look up '%s': %s", host, gai_strerror(grc)) : 0;
#endif
	if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL) != 0) {
		free(q);
		return err_set(e, ERR_FAIL, "cannot look up '%s': out of resources", host);
	}
	int rc;
	while ((rc = gai_error(&q->cb)) == EAI_INPROGRESS) {
		int ms = ms_left(deadline);
		if (ms == 0)
			break;
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		gai_suspend((const struct gaicb *const *)list, 1, &ts);
	}
	if (rc == EAI_INPROGRESS) {
		int c = gai_cancel(&q->cb);
		if (c != EAI_ALLDONE) {
			if (c == EAI_CANCELED)
				free(q); /* else glibc still owns the block: it stays */
			return err_set(e, ERR_TIMEOUT, "cannot look up '%s': no answer within %gs", host, timeout_s);
		}
		rc = gai_error(&q->cb); /* it finished meanwhile */
	}
	*res = q->cb.ar_result;
	free(q);
	if (rc != 0)
		return err_set(e, ERR_FAIL, "cannot look up '%s': %s", host, gai_strerror(rc));
	return 0;
}

/* A non-blocking TCP connection to one of 'ai', each tried until the deadline. */
static int tcp_connect(struct addrinfo *ai, const char *peer, double deadline, struct err *e)
{
	int last = 0;
	for (; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			return fd;
		if (errno == EINPROGRESS) {
			int w = wait_fd(fd, POLLOUT, deadline);
			int soerr = 0;
			socklen_t sl = sizeof soerr;
			if (w == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) {
				int one = 1;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
				return fd;
			}
			last = w == 0 ? ETIMEDOUT : soerr ? soerr : errno;
		} else {
			last = errno;
		}
		close(fd);
		if (last == ETIMEDOUT)
			break;
	}
	if (last == ETIMEDOUT)
		return err_set(e, ERR_TIMEOUT, "cannot connect to redis '%s': timeout", peer);
	return err_set(e, ERR_FAIL, "cannot connect to redis '%s': %s", peer, strerror(last ? last : EHOSTUNREACH));
}

/* Wait as an SSL call asked (WANT_READ/WANT_WRITE): 1 go on, 0 timeout, -1 other error. */
static int ssl_wait(struct redis *r, int rc, double deadline)
{
	int se = SSL_get_error(r->ssl, rc);
	if (se == SSL_ERROR_WANT_READ)
		return wait_fd(r->fd, POLLIN, deadline);
	if (se == SSL_ERROR_WANT_WRITE)
		return wait_fd(r->fd, POLLOUT, deadline);
	return -1;
}

/* The TLS handshake, the certificate checked against the CA and the host. */
static int tls_start(struct redis *r, const struct redis_conf *c, double deadline, struct err *e)
{
	const char *host = c->url.host;
	r->ctx = SSL_CTX_new(TLS_client_method());
	if (!r->ctx)
		return err_set(e, ERR_FAIL, "tls: cannot create a context");
	SSL_CTX_set_min_proto_version(r->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, NULL);
	if (c->ca_file[0] ? SSL_CTX_load_verify_locations(r->ctx, c->ca_file, NULL) != 1
			  : SSL_CTX_set_default_verify_paths(r->ctx) != 1)
		return err_set(e, ERR_CONFIG, "tls: cannot load the CA certificates%s%s%s", c->ca_file[0] ? " from '" : "",
			       c->ca_file, c->ca_file[0] ? "'" : "");
	r->ssl = SSL_new(r->ctx);
	if (!r->ssl || SSL_set_fd(r->ssl, r->fd) != 1)
		return err_set(e, ERR_FAIL, "tls: cannot create a session");
	unsigned char ip[16];
	if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(r->ssl), host);
	} else {
		SSL_set_tlsext_host_name(r->ssl, host);
		SSL_set1_host(r->ssl, host);
	}
	for (;;) {
		ERR_clear_error();
		struct sigpipe_guard g;
		sigpipe_block(&g);
		int rc = SSL_connect(r->ssl);
		sigpipe_restore(&g);
		if (rc == 1)
			return 0;
		int w = ssl_wait(r, rc, deadline);
		if (w == 1)
			continue;
		if (w == 0)
			return err_set(e, ERR_TIMEOUT, "tls handshake with redis '%s': timeout", r->peer);
		long v = SSL_get_verify_result(r->ssl);
		if (v != X509_V_OK)
			return err_set(e, ERR_AUTH, "tls: the certificate of redis '%s' is not trusted: %s%s%s%s", r->peer,
				       X509_verify_cert_error_string(v), c->ca_file[0] ? " (CA file '" : "", c->ca_file,
				       c->ca_file[0] ? "')" : "");
		unsigned long ossl = ERR_get_error();
		return err_set(e, ERR_FAIL, "tls handshake with redis '%s' failed: %s", r->peer,
			       ossl ? ERR_reason_error_string(ossl) : "connection closed");
	}
}

/* Read what is there (at most n): >0 bytes, 0 timeout, -1 closed or failed (e set). */
static ssize_t conn_read(struct redis *r, char *buf, size_t n, double deadline, struct err *e)
{
	for (;;) {
		int w;
		if (r->ssl) {
			ERR_clear_error();
			struct sigpipe_guard g;
			sigpipe_block(&g); /* a read may write (a TLS 1.3 key update) */
			int rc = SSL_read(r->ssl, buf, (int)n);
			sigpipe_restore(&g);
			if (rc > 0)
				return rc;
			w = ssl_wait(r, rc, deadline);
		} else {
			ssize_t rc = recv(r->fd, buf, n, 0);
			if (rc > 0)
				return rc;
			if (rc == 0 || (errno != EAGAIN && errno != EINTR)) {
				w = -1;
			} else {
				w = wait_fd(r->fd, POLLIN, deadline);
			}
		}
		if (w == 0)
			return 0;
		if (w < 0)
			return err_set(e, ERR_FAIL, "redis '%s' closed the connection", r->peer);
	}
}

/* Write all of buf: 0, or -1 with e. */
static int conn_write(struct redis *r, const char *buf, size_t n, double deadline, struct err *e)
{
	while (n > 0) {
		ssize_t rc;
		int w;
		if (r->ssl) {
			ERR_clear_error();
			struct sigpipe_guard g;
			sigpipe_block(&g);
			int s = SSL_write(r->ssl, buf, (int)n);
			sigpipe_restore(&g);
			rc = s;
			w = s > 0 ? 1 : ssl_wait(r, s, deadline);
		} else {
			rc = send(r->fd, buf, n, MSG_NOSIGNAL);
			w = rc > 0 ? 1 : (rc < 0 && (errno == EAGAIN || errno == EINTR)) ? wait_fd(r->fd, POLLOUT, deadline) : -1;
		}
		if (rc > 0) {
			buf += rc;
			n -= (size_t)rc;
			continue;
		}
		if (w == 0)
			return err_set(e, ERR_TIMEOUT, "redis '%s': no progress sending within %gs", r->peer, r->timeout_s);
		if (w < 0)
			return err_set(e, ERR_FAIL, "redis '%s': the connection failed while sending", r->peer);
	}
	return 0;
}

/* Send one command, read one reply. */
static redisReply *command_once(struct redis *r, int argc, const char **argv, const size_t *lens, struct err *e)
{
	size_t len_buf[16];
	if (!lens) {
		if (argc > 16) {
			err_set(e, ERR_FAIL, "redis: too many arguments");
			return NULL;
		}
		for (int i = 0; i < argc; i++)
			len_buf[i] = strlen(argv[i]);
		lens = len_buf;
	}
	char *cmd = NULL;
	int n = redisFormatCommandArgv(&cmd, argc, argv, lens);
	if (n < 0) {
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	double deadline = clock_mono() + r->timeout_s;
	int rc = conn_write(r, cmd, (size_t)n, deadline, e);
	if (!strcasecmp(argv[0], "AUTH"))
		OPENSSL_cleanse(cmd, (size_t)n); /* the password or token, not left in freed memory */
	redisFreeCommand(cmd);
	if (rc < 0)
		return NULL;
	char buf[16384], msg[160];
	for (;;) {
		redisReply *reply;
		int got = resp_reader_next(&r->rd, &reply, msg, sizeof msg);
		if (got == 1) {
			if (r->rd.rd->pos < r->rd.rd->len) {
				freeReplyObject(reply);
				err_set(e, ERR_FAIL, "redis '%s': unexpected data after the reply", r->peer);
				return NULL;
			}
			return reply;
		}
		ssize_t k = got < 0 ? -1 : conn_read(r, buf, sizeof buf, deadline, e);
		if (got < 0 || (k > 0 && resp_reader_feed(&r->rd, buf, (size_t)k, msg, sizeof msg) < 0)) {
			err_set(e, ERR_FAIL, "redis '%s': %s", r->peer, msg);
			return NULL;
		}
		if (k == 0) {
			err_set(e, ERR_TIMEOUT, "redis '%s': no reply within %gs", r->peer, r->timeout_s);
			return NULL;
		}
		if (k < 0)
			return NULL;
	}
}

/* AUTH [user] password; the server's refusal as ERR_AUTH. */
static int auth(struct redis *r, const char *user, const char *password, struct err *e)
{
	const char *argv[3] = {"AUTH", user, password};
	int argc = 3;
	if (!user[0]) {
		argv[1] = password;
		argc = 2;
	}
	redisReply *rep = command_once(r, argc, argv, NULL, e);
	if (!rep)
		return -1;
	int rc = 0;
	if (rep->type == REDIS_REPLY_ERROR)
		rc = err_set(e, ERR_AUTH, "redis '%s' refused the password of user '%s': %.*s", r->peer,
			     user[0] ? user : "default", (int)(rep->len > 120 ? 120 : rep->len), rep->str);
	else if (rep->type != REDIS_REPLY_STATUS)
		rc = err_set(e, ERR_FAIL, "redis '%s': unexpected answer to AUTH", r->peer);
	freeReplyObject(rep);
	return rc;
}

/* The password to send: an IAM token, the file or the environment. */
static int secret_for(const struct redis_conf *c, const char *user, char *pw, size_t n, struct err *e)
{
	if (!c->iam)
		return redis_password(c, pw, n, e);
	if (!c->iam_cluster[0] || !user[0])
		return err_set(e, ERR_CONFIG, "elasticache iam: needs the cluster id and the user");
	if (!c->url.tls)
		return err_set(e, ERR_CONFIG, "elasticache iam: needs rediss:// (in-transit encryption)");
	struct aws_creds cr;
	char src[128], region[64], msg[256];
	int rc = aws_creds_resolve_chain(c->aws_profile[0] ? c->aws_profile : NULL, NULL, &cr, src, sizeof src, region,
					 sizeof region, msg, sizeof msg);
	if (rc != 0)
		return err_set(e, ERR_AUTH, "elasticache iam: no AWS credentials: %s", msg);
	if (!region[0])
		return err_set(e, ERR_CONFIG, "elasticache iam: no AWS region (AWS_REGION or the profile's region)");
	rc = aws_elasticache_iam_token(&cr, c->iam_cluster, user, region, time(NULL), pw, n);
	OPENSSL_cleanse(&cr, sizeof cr);
	if (rc < 0)
		return err_set(e, ERR_AUTH, "elasticache iam: cannot make a token for '%s'", user);
	return 0;
}

/* Connect, TLS, AUTH. */
struct redis *redis_connect(const struct redis_conf *c, struct err *e)
{
	struct redis *r = calloc(1, sizeof *r);
	if (!r) {
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	r->fd = -1;
	r->conf = *c;
	r->timeout_s = c->timeout_s > 0 ? c->timeout_s : 5.0;
	int v6 = strchr(c->url.host, ':') != NULL;
	snprintf(r->peer, sizeof r->peer, "%s%s%s:%d", v6 ? "[" : "", c->url.host, v6 ? "]" : "", c->url.port);
	const char *user = c->user[0] ? c->user : c->url.user;
	char *pw = calloc(1, REDIS_PASSWORD_MAX);
	struct addrinfo *ai = NULL;
	if (!pw || resp_reader_init(&r->rd, c->max_reply ? c->max_reply : REDIS_DEFAULT_MAX_REPLY) < 0) {
		err_set(e, ERR_FAIL, "out of memory");
		goto fail;
	}
	if (secret_for(c, user, pw, REDIS_PASSWORD_MAX, e) < 0 || lookup(c->url.host, c->url.port, r->timeout_s, &ai, e) < 0)
		goto fail;
	r->fd = tcp_connect(ai, r->peer, clock_mono() + r->timeout_s, e);
	freeaddrinfo(ai);
	if (r->fd < 0 || (c->url.tls && tls_start(r, c, clock_mono() + r->timeout_s, e) < 0))
		goto fail;
	if (pw[0] && auth(r, user, pw, e) < 0)
		goto fail;
	OPENSSL_cleanse(pw, REDIS_PASSWORD_MAX);
	free(pw);
	return r;
fail:
	if (pw)
		OPENSSL_cleanse(pw, REDIS_PASSWORD_MAX);
	free(pw);
	redis_free(&r);
	return NULL;
}

/* "MOVED 3999 127.0.0.1:6381" (an empty host: the same one): connect there instead. */
static int follow_moved(struct redis *r, const char *msg, size_t len, struct err *e)
{
	char where[REDIS_HOST_MAX + 16], url[REDIS_HOST_MAX + REDIS_FLEET_MAX + 32];
	const char *sp = memchr(msg + 6, ' ', len - 6);
	size_t wl = sp ? len - (size_t)(sp + 1 - msg) : 0;
	if (!wl || wl >= sizeof where)
		return err_set(e, ERR_FAIL, "redis '%s': a MOVED without a node", r->peer);
	memcpy(where, sp + 1, wl);
	where[wl] = '\0';
	char *colon = strrchr(where, ':');
	if (!colon)
		return err_set(e, ERR_FAIL, "redis '%s': a MOVED without a port", r->peer);
	*colon = '\0';
	const char *host = where[0] ? where : r->conf.url.host;
	int v6 = strchr(host, ':') != NULL;
	snprintf(url, sizeof url, "%s://%s%s%s:%s/%s", r->conf.url.tls ? "rediss" : "redis", v6 ? "[" : "", host,
		 v6 ? "]" : "", colon + 1, r->conf.url.fleet);
	struct redis_conf c = r->conf;
	if (redis_url_parse(url, &c.url, e) < 0)
		return err_set(e, ERR_FAIL, "redis '%s': cannot follow MOVED to '%s'", r->peer, url);
	snprintf(c.url.user, sizeof c.url.user, "%s", r->conf.url.user);
	struct redis *n = redis_connect(&c, e);
	if (!n)
		return -1;
	struct redis old = *r; /* the new connection takes r's place; the old one is freed */
	*r = *n;
	*n = old;
	redis_free(&n);
	return 0;
}

/* One command; a cluster's MOVED followed (twice at most). */
redisReply *redis_command(struct redis *r, int argc, const char **argv, const size_t *lens, struct err *e)
{
	for (int hop = 0;; hop++) {
		redisReply *rep = command_once(r, argc, argv, lens, e);
		if (!rep || rep->type != REDIS_REPLY_ERROR || rep->len < 7 || strncmp(rep->str, "MOVED ", 6) || hop == 2)
			return rep;
		int rc = follow_moved(r, rep->str, rep->len, e);
		freeReplyObject(rep);
		if (rc < 0)
			return NULL;
	}
}

const char *redis_peer(const struct redis *r)
{
	return r->peer;
}

/* Close (a TLS close_notify is sent without waiting for the answer) and free. */
void redis_free(struct redis **rp)
{
	struct redis *r = rp ? *rp : NULL;
	if (!r)
		return;
	if (r->ssl) {
		struct sigpipe_guard g;
		sigpipe_block(&g);
		SSL_shutdown(r->ssl);
		sigpipe_restore(&g);
		SSL_free(r->ssl);
	}
	SSL_CTX_free(r->ctx);
	if (r->fd >= 0)
		close(r->fd);
	resp_reader_release(&r->rd);
	free(r);
	*rp = NULL;
}
