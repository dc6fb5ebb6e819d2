/*
 * lease.c - one active collector per fleet, through Redis.
 *
 * DESIGN
 * - Keys (one {FLEET} hash tag, so cluster-mode Redis keeps them on one shard, which a
 *   script touching two keys needs): dbfleet:{FLEET}:lease holds the holder's token
 *   "host/pid/32 hex" with a PX expiry; dbfleet:{FLEET}:stream is the fleet's stream.
 * - Taking: SET lease token NX PX ttl. A standby reads the lease's PTTL and tries again just
 *   after it runs out: it takes over within one ttl of the holder's last renewal.
 * - Renewing and publishing: one script (below), run with EVALSHA, EVAL when the server
 *   answers NOSCRIPT (a restart or SCRIPT FLUSH forgets scripts). It compares the lease with
 *   the token first, so a collector whose lease expired or was taken (a partition, a long
 *   stop) can never publish again: it gets LEASE_LOST and must stop.
 * - Releasing: a script that deletes the lease only if it still holds our token.
 * - Stream entries: {c: token, t: type, d: data}, XADD MAXLEN ~ maxlen: history is bounded
 *   and trimmed in whole macro nodes (cheap). Viewers can tell collectors apart by 'c'.
 * - Not thread-safe: one lease, one connection, one thread.
 */
#include "serve.h"

#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* KEYS[1] lease, KEYS[2] stream, KEYS[3] state; ARGV token, ttl ms, maxlen[, type, data[, state,
 * at ms, actions]]: the state hash names the entry it stands at */
static const char publish_lua[] =
	"if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('LEASELOST') end\n"
	"redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
	"if #ARGV < 5 then return 'OK' end\n"
	"local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'c', ARGV[1], 't', ARGV[4], 'd', ARGV[5])\n"
	"if #ARGV >= 8 then\n"
	"  redis.call('HSET', KEYS[3], 'id', id, 'c', ARGV[1], 'd', ARGV[6], 'at', ARGV[7], 'actions', ARGV[8])\n"
	"end\n"
	"return id\n";

static const char release_lua[] =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
	"return 0\n";

void serve_key(char *out, size_t n, const char *fleet, const char *suffix)
{
	snprintf(out, n, "dbfleet:{%s}:%s", fleet, suffix);
}

static void sha1_hex(const char *s, char out[41])
{
	unsigned char d[SHA_DIGEST_LENGTH];
	SHA1((const unsigned char *)s, strlen(s), d);
	for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* Keys, token, script digests. */
int redis_lease_init(struct redis_lease *l, struct redis *r, const char *fleet, long ttl_ms, long maxlen,
		     struct err *e)
{
	memset(l, 0, sizeof *l);
	l->r = r;
	l->ttl_ms = ttl_ms;
	l->maxlen = maxlen;
	if (ttl_ms < 100 || maxlen < 1 || strlen(fleet) >= REDIS_FLEET_MAX)
		return err_set(e, ERR_CONFIG, "lease: bad fleet, expiry or length");
	serve_key(l->key_lease, sizeof l->key_lease, fleet, "lease");
	serve_key(l->key_stream, sizeof l->key_stream, fleet, "stream");
	serve_key(l->key_state, sizeof l->key_state, fleet, "state");
	unsigned char rnd[16];
	char host[REDIS_HOST_MAX] = "";
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return err_set(e, ERR_FAIL, "lease: no random bytes for the token");
	gethostname(host, sizeof host - 1);
	host[strcspn(host, "/ ")] = '\0';
	int o = snprintf(l->token, sizeof l->token, "%s/%ld/", host[0] ? host : "unknown", (long)getpid());
	for (size_t i = 0; i < sizeof rnd; i++)
		o += snprintf(l->token + o, sizeof l->token - (size_t)o, "%02x", rnd[i]);
	sha1_hex(publish_lua, l->sha_publish);
	sha1_hex(release_lua, l->sha_release);
	return 0;
}

/* GET and PTTL of the lease: who holds it, and when to try again (just after it runs out). */
static int holder_of(struct redis_lease *l, char *holder, size_t hn, long *retry_ms, struct err *e)
{
	const char *get[] = {"GET", l->key_lease}, *pttl[] = {"PTTL", l->key_lease};
	redisReply *rep = redis_command(l->r, 2, get, NULL, e);
	if (!rep)
		return -1;
	if (holder && hn)
		snprintf(holder, hn, "%.*s", rep->type == REDIS_REPLY_STRING ? (int)rep->len : 0,
			 rep->type == REDIS_REPLY_STRING ? rep->str : "");
	freeReplyObject(rep);
	rep = redis_command(l->r, 2, pttl, NULL, e);
	if (!rep)
		return -1;
	/* -2: gone since the SET (try at once); -1 (no expiry: not ours to judge), or an error: a third */
	long left = rep->type == REDIS_REPLY_INTEGER ? (long)rep->integer : -1;
	freeReplyObject(rep);
	*retry_ms = left == -2 ? 0 : left < 0 || left > l->ttl_ms ? l->ttl_ms / 3 : left + 5;
	return 0;
}

/* SET lease token NX PX ttl; on BUSY, who holds it and when it runs out. */
enum lease_result redis_lease_acquire(struct redis_lease *l, char *holder, size_t hn, long *retry_ms,
				      struct err *e)
{
	char ttl[32];
	snprintf(ttl, sizeof ttl, "%ld", l->ttl_ms);
	const char *set[] = {"SET", l->key_lease, l->token, "NX", "PX", ttl};
	redisReply *rep = redis_command(l->r, 6, set, NULL, e);
	if (!rep)
		return LEASE_ERROR;
	enum lease_result res = LEASE_ERROR;
	if (rep->type == REDIS_REPLY_STATUS) {
		res = LEASE_OK;
		l->held = 1;
	} else if (rep->type == REDIS_REPLY_NIL) {
		res = LEASE_BUSY;
	} else {
		err_set(e, ERR_FAIL, "lease on '%s': %.*s", redis_peer(l->r), rep->type == REDIS_REPLY_ERROR ? (int)rep->len : 0,
			rep->type == REDIS_REPLY_ERROR ? rep->str : "");
	}
	freeReplyObject(rep);
	long retry = l->ttl_ms / 3;
	if (res == LEASE_BUSY && holder_of(l, holder, hn, &retry, e) < 0)
		return LEASE_ERROR;
	if (retry_ms)
		*retry_ms = retry;
	return res;
}

/* EVALSHA, or EVAL when the server does not know the script (yet, or any more). argv[0..1]
 * (and lens[0..1], when given) are filled here. */
static redisReply *run_script(struct redis_lease *l, const char *sha, const char *body, int argc, const char **argv,
			      size_t *lens, struct err *e)
{
	argv[0] = "EVALSHA";
	argv[1] = sha;
	if (lens) {
		lens[0] = 7;
		lens[1] = strlen(sha);
	}
	redisReply *rep = redis_command(l->r, argc, argv, lens, e);
	if (rep && rep->type == REDIS_REPLY_ERROR && !strncmp(rep->str, "NOSCRIPT", 8)) {
		freeReplyObject(rep);
		argv[0] = "EVAL";
		argv[1] = body;
		if (lens) {
			lens[0] = 4;
			lens[1] = strlen(body);
		}
		rep = redis_command(l->r, argc, argv, lens, e);
	}
	return rep;
}

/* The server's words for an error reply, cut short. */
static int reply_error(struct redis_lease *l, redisReply *rep, const char *what, struct err *e)
{
	return err_set(e, ERR_FAIL, "%s on '%s': %.*s", what, redis_peer(l->r), (int)(rep->len > 160 ? 160 : rep->len),
		       rep->str);
}

/* Renew and, with a type, publish one entry (and the state); LEASE_LOST when the token no longer holds. */
enum lease_result redis_lease_publish_state(struct redis_lease *l, const char *type, const void *data, size_t len,
					    const void *state, size_t slen, int actions, char *id, size_t idn,
					    struct err *e)
{
	char ttl[32], maxlen[32], at[32];
	snprintf(ttl, sizeof ttl, "%ld", l->ttl_ms);
	snprintf(maxlen, sizeof maxlen, "%ld", l->maxlen);
	snprintf(at, sizeof at, "%.0f", clock_wall() * 1000);
	const char *argv[14] = {NULL, NULL, "3", l->key_lease, l->key_stream, l->key_state, l->token, ttl, maxlen,
				type ? type : "", data ? data : "", state ? state : "", at, actions ? "on" : "off"};
	size_t lens[14];
	for (int i = 2; i < 14; i++) /* the data and the state are bytes, not C strings: never strlen them */
		lens[i] = i == 10 ? len : i == 11 ? slen : strlen(argv[i]);
	int argc = !type ? 9 : state ? 14 : 11;
	redisReply *rep = run_script(l, l->sha_publish, publish_lua, argc, argv, lens, e);
	if (!rep)
		return LEASE_ERROR;
	enum lease_result res = LEASE_OK;
	if (rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "LEASELOST")) {
		l->held = 0;
		res = LEASE_LOST;
		err_set(e, ERR_REFUSED, "lease on '%s' lost: another collector holds it or it expired; stopped publishing",
			redis_peer(l->r));
	} else if (rep->type == REDIS_REPLY_ERROR) {
		res = LEASE_ERROR;
		reply_error(l, rep, "publish", e);
	} else if (id && idn) {
		snprintf(id, idn, "%.*s", rep->type == REDIS_REPLY_STRING || rep->type == REDIS_REPLY_STATUS ? (int)rep->len : 0,
			 rep->str ? rep->str : "");
	}
	freeReplyObject(rep);
	return res;
}

enum lease_result redis_lease_publish(struct redis_lease *l, const char *type, const void *data, size_t len,
				      char *id, size_t idn, struct err *e)
{
	return redis_lease_publish_state(l, type, data, len, NULL, 0, 0, id, idn, e);
}

/* Delete the lease if it is still ours. */
enum lease_result redis_lease_release(struct redis_lease *l, struct err *e)
{
	const char *argv[] = {NULL, NULL, "1", l->key_lease, l->token};
	redisReply *rep = run_script(l, l->sha_release, release_lua, 5, argv, NULL, e);
	if (!rep)
		return LEASE_ERROR;
	enum lease_result res = LEASE_OK;
	if (rep->type == REDIS_REPLY_ERROR) {
		reply_error(l, rep, "release", e);
		res = LEASE_ERROR;
	} else if (rep->type == REDIS_REPLY_INTEGER && rep->integer == 0)
		res = LEASE_LOST;
	l->held = 0;
	freeReplyObject(rep);
	return res;
}
