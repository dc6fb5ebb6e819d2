/*
 * redis.h - the client dbfleet's shared collector uses to reach Redis, Valkey or ElastiCache:
 * one connection, one command at a time, every call under a deadline; and the fleet's lease.
 *
 * Why not hiredis' own connection: Debian 12 ships hiredis 0.14, which has no TLS. dbfleet
 * keeps hiredis' RESP reader (redisReader) and runs it over its own socket and OpenSSL
 * session, with a scanner in front that caps a reply's size before the reader allocates
 * (redisReader has no cap: a hostile server could make it buffer without end).
 *
 * No curses, no store. A connection belongs to one thread at a time.
 */
#ifndef DBFLEET_REDIS_H
#define DBFLEET_REDIS_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "../model/err.h"

#define REDIS_HOST_MAX 256
#define REDIS_FLEET_MAX 64
#define REDIS_USER_MAX 128
#define REDIS_PASSWORD_MAX 4096 /* an ElastiCache IAM token is about 1 KiB, more with a session token */
#define REDIS_DEFAULT_MAX_REPLY (16u << 20)

/* redis://[USER@]HOST[:PORT]/FLEET or rediss:// (TLS). HOST may be [IPv6]. */
struct redis_url {
	int tls;
	char host[REDIS_HOST_MAX];
	int port; /* 6379 when the URL has none */
	char user[REDIS_USER_MAX]; /* "" when the URL names none */
	char fleet[REDIS_FLEET_MAX];
};

/* Parse a URL (outside input: fuzzed). A password in the URL is refused: passwords never come
 * from argv. 0, or -1 with 'e' (ERR_CONFIG) naming what is wrong. */
int redis_url_parse(const char *s, struct redis_url *u, struct err *e);

/* How to reach and authenticate: what the [redis] settings will fill. */
struct redis_conf {
	struct redis_url url;
	char user[REDIS_USER_MAX];   /* ACL user; overrides the URL's; "" = the URL's or none */
	char password_file[4096];    /* first line is the password; "" = $DBFLEET_REDIS_PASSWORD */
	char ca_file[4096];          /* PEM CA bundle for rediss://; "" = the system's store */
	int iam;                     /* ElastiCache IAM authentication: a SigV4 token as password */
	char iam_cluster[128];       /* the replication group (or serverless cache) id the token is for */
	char aws_profile[128];       /* credentials for the token; "" = the CLI's default chain */
	double timeout_s;            /* each step (lookup, connect, TLS, each command); 0 = 5 s */
	size_t max_reply;            /* largest reply accepted, in bytes; 0 = REDIS_DEFAULT_MAX_REPLY */
};

/* The password for 'c': its file's first line (the file must not be readable by group or
 * others), else $DBFLEET_REDIS_PASSWORD, else "" (no AUTH). Reads a file: not on the UI
 * thread. 0, or -1 with 'e'. */
int redis_password(const struct redis_conf *c, char *out, size_t n, struct err *e);

struct redis;

/* Look up, connect, TLS handshake with verification (rediss://), AUTH. Blocks the calling
 * thread at most about 4 x timeout. NULL with 'e': ERR_TIMEOUT, ERR_AUTH (refused password,
 * failed certificate check), ERR_FAIL. */
struct redis *redis_connect(const struct redis_conf *c, struct err *e);

/* Send one command (argv with lengths; lens NULL: C strings) and wait for its reply until the
 * deadline. The reply is hiredis' redisReply, freed with freeReplyObject(); an error reply
 * (REDIS_REPLY_ERROR) is returned as a reply, not as a failure. A cluster node's MOVED is
 * followed: the connection moves to the node it names (a new connection and AUTH). NULL with 'e' when the
 * connection failed, timed out, or the reply broke the size cap: the connection is then
 * unusable and must be freed. */
redisReply *redis_command(struct redis *r, int argc, const char **argv, const size_t *lens, struct err *e);

/* "host:port" of the connection, for messages. */
const char *redis_peer(const struct redis *r);

/* Close and free; NULL-safe, sets *r to NULL. */
void redis_free(struct redis **r);

/* ---- the RESP scanner in front of redisReader (redis_reply.c; fuzzed) ---- */

/* Walks the reply bytes as they arrive, without keeping them: checks each header line (type
 * byte, length), refuses a bulk string or an array that could not fit in 'max' bytes before
 * redisReader sees it, and counts the bytes of the reply in progress. */
struct resp_scan {
	size_t max;        /* cap on one reply's bytes */
	size_t used;       /* bytes of the reply in progress */
	unsigned long long owed; /* items still to come before the reply in progress ends */
	long long skip;    /* bulk payload bytes (plus CRLF) still to pass over */
	char line[64];     /* the header line so far */
	size_t line_len;
	int in_line;       /* inside a header line (after its type byte) */
	char type;
};

void resp_scan_init(struct resp_scan *s, size_t max);
/* Scan 'n' more bytes. 0 when they may go to the reader, -1 with 'msg' filled otherwise. */
int resp_scan_feed(struct resp_scan *s, const char *p, size_t n, char *msg, size_t msglen);

/* A scanner plus hiredis' reader: feed bytes, take whole replies. */
struct resp_reader {
	struct resp_scan scan;
	redisReader *rd;
};

int resp_reader_init(struct resp_reader *r, size_t max);
void resp_reader_release(struct resp_reader *r);
/* Feed bytes; -1 with 'msg' when the scanner or the reader refuses them. */
int resp_reader_feed(struct resp_reader *r, const char *p, size_t n, char *msg, size_t msglen);
/* 1 with *out set when a whole reply is there, 0 when more bytes are needed, -1 with 'msg'. */
int resp_reader_next(struct resp_reader *r, redisReply **out, char *msg, size_t msglen);

/* ---- the fleet's lease (lease.c) ---- */

/*
 * One active collector per fleet. The lease is the key dbfleet:{FLEET}:lease holding the
 * holder's token ("host/pid/random"), with an expiry; SET NX takes it. Renewing it and
 * publishing to dbfleet:{FLEET}:stream are one Lua script that first checks the token, so a
 * collector that lost the lease can never publish again. Every key has the {FLEET} hash tag:
 * cluster-mode Redis keeps them on one shard, as a script needs.
 */
struct redis_lease {
	struct redis *r;         /* not owned */
	char key_lease[REDIS_FLEET_MAX + 32];
	char key_stream[REDIS_FLEET_MAX + 32];
	char key_state[REDIS_FLEET_MAX + 32];
	char token[REDIS_HOST_MAX + 64];
	long ttl_ms;
	long maxlen;             /* the stream's approximate MAXLEN */
	char sha_publish[41];
	char sha_release[41];
	int held;
};

enum lease_result { LEASE_ERROR = -1, LEASE_OK = 0, LEASE_BUSY = 1, LEASE_LOST = 2 };

/* Set up 'l' for 'fleet' on 'r' (no I/O): token from the host name, pid and 16 random bytes. */
int redis_lease_init(struct redis_lease *l, struct redis *r, const char *fleet, long ttl_ms, long maxlen,
		     struct err *e);
/* Try to take the lease: LEASE_OK (now held), LEASE_BUSY ('holder' names who has it, may be
 * NULL; *retry_ms, may be NULL, is when to try again: just after the holder's lease runs
 * out, so a standby takes over within one lease time of the holder's last renewal),
 * LEASE_ERROR with 'e'. */
enum lease_result redis_lease_acquire(struct redis_lease *l, char *holder, size_t hn, long *retry_ms,
				      struct err *e);
/* Renew the lease and, with data, append one entry {c: token, t: type, d: data} to the stream,
 * in one script: LEASE_OK ('id' gets the entry id, may be NULL), LEASE_LOST (someone else
 * holds it, or it expired: stop publishing), LEASE_ERROR with 'e'. type NULL: renew only. */
enum lease_result redis_lease_publish(struct redis_lease *l, const char *type, const void *data, size_t len,
				      char *id, size_t idn, struct err *e);
/* The same, and with 'state' (not NULL) the state hash set to this entry in the same script:
 * {id, c: token, d: state, at: ms now, actions: "on" | "off"} (serve.h). */
enum lease_result redis_lease_publish_state(struct redis_lease *l, const char *type, const void *data, size_t len,
					    const void *state, size_t slen, int actions, char *id, size_t idn,
					    struct err *e);
/* Give the lease up if still ours (a script that deletes only on a matching token). */
enum lease_result redis_lease_release(struct redis_lease *l, struct err *e);

#endif
