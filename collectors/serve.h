/*
 * serve.h - one collector, many viewers, through Redis (ElastiCache for Valkey or Redis OSS,
 * redis-server anywhere else).
 *
 * `dbfleet --serve` (serve.c) runs the collectors headless once it holds the fleet's lease and
 * publishes what the store takes in, in the record encoding (codec.h), to the fleet's stream.
 * `dbfleet --attach redis[s]://HOST:PORT/FLEET` (attach.c) feeds a store of its own from that
 * stream and opens no database or AWS connection.
 *
 * Keys: all under one {FLEET} hash tag, so cluster-mode Redis keeps them on one shard.
 *   dbfleet:{F}:lease     the active collector's token "host/pid/32 hex" (PX expiry)   redis.h
 *   dbfleet:{F}:stream    entries {c: token, t: "f", d: codec frames}, MAXLEN ~ maxlen
 *   dbfleet:{F}:state     hash {id: the stream entry it stands at, c: token, at: ms,
 *                         d: codec frames (every target described, its latest snapshot as a
 *                         key frame, its state; the AWS snapshot), actions: "on"|"off"}:
 *                         a viewer starts from it, then reads the stream after 'id'
 *   dbfleet:{F}:interest  stream: what viewers show ({v: viewer, w: lines}, interest.c)
 *   dbfleet:{F}:req:USER  stream: the ACL user USER's action requests (vreq.c)
 *   dbfleet:{F}:reqid:ID  a request id already taken (SET NX, a day's expiry)
 */
#ifndef DBFLEET_SERVE_H
#define DBFLEET_SERVE_H

#include "collector.h"
#include "redis.h"
#include "store.h"

#define SERVE_LEASE_S_DEFAULT 5.0
#define SERVE_MAXLEN_DEFAULT 20000
#define SERVE_STATE_S_DEFAULT 5.0
#define SERVE_INTEREST_S 10.0   /* a viewer's interest lasts this long unless renewed */
#define SERVE_INTEREST_EVERY_S 2.0 /* how often a viewer renews it */

/* The [redis] section: how to reach Redis, and what a collector allows. */
struct serve_conf {
	struct redis_conf redis;
	double lease_s;           /* the lease's expiry; a standby takes over within it */
	int maxlen;               /* the stream's approximate MAXLEN (entries) */
	double state_s;           /* how often the state hash is rewritten */
	int viewer_actions;       /* 1: take viewers' action requests (default off) */
	char action_users[512];   /* the ACL users whose request streams are read: "alice, bob" */
	char log_file[512];       /* --serve's log; "" = stderr */
};

/* "dbfleet:{FLEET}:SUFFIX" into 'out'. */
void serve_key(char *out, size_t n, const char *fleet, const char *suffix);

/*
 * --serve: wait for the lease (a standby says who holds it), then start 'col' and publish
 * until SIGINT/SIGTERM (release the lease, exit 0) or the lease is lost (stop publishing at
 * once; the process starts again as a standby). 'col' is made but not started. The exit status.
 */
#define SERVE_RESTART 75 /* serve_run: the lease was lost; start again as a standby */
int serve_run(const struct serve_conf *c, const char *fleet, struct store *st, struct collector *col);
/* One line to --serve's log (the log file or stderr), with the UTC time. Any thread. */
void serve_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- viewers' interest (interest.c): sampling on demand across viewers ---- */

/*
 * Viewer: append what 'st' is watched for now (store_watched, store_watched_triage,
 * store_pi_watched: by target name and by REGION/ID) to the interest stream, as viewer 'viewer'.
 * Called by the attach thread on its connection every SERVE_INTEREST_EVERY_S and when that
 * changes (interest.h: interest_due). 0 or -1 with 'e':
 * ERR_REFUSED when Redis refused the entry (NOPERM: a read-only user) and the connection is
 * still good; any other code, the connection failed.
 */
int interest_publish(struct redis *r, const char *fleet, const char *viewer, struct store *st, struct err *e);

/* Collector: a thread of its own (its own connection) reading the interest stream and
 * watching, in 'st', what any viewer watches, for SERVE_INTEREST_S after each renewal. */
struct interest;
struct interest *interest_start(const struct serve_conf *c, const char *fleet, struct store *st, struct err *e);
void interest_stop(struct interest **ip);

/* ---- actions from viewers (vreq.c) ---- */

/*
 * Viewer: send a confirmed action to the collector on the ACL user's own request stream,
 * with its id (made once at confirm time: a resend has the same one) and the viewer's
 * identity (OS user, host). 0 or -1 with 'e'.
 */
int vreq_send(struct redis *r, const char *fleet, const char *acl_user, const char *id, const char *os_user,
	      const char *host, const struct action_request *req, const struct store *st, struct err *e);

/* Collector: a thread of its own reading the request streams of c->action_users, running
 * each id once through 'col', both identities to the audit log; the outcome reaches viewers
 * as an action record on the stream. */
struct vreq;
struct vreq *vreq_start(const struct serve_conf *c, const char *fleet, struct collector *col, struct store *st,
			struct err *e);
void vreq_stop(struct vreq **vp);

#endif
