/*
 * attach.h - --attach redis[s]://HOST:PORT/FLEET: a store fed from the fleet's stream (see
 * serve.h), in place of the collectors. No database or AWS connection.
 *
 * Threads: one of its own does every Redis call; the calls below never wait on the network
 * and may be made from the UI thread, except attach_open (main, before the UI) and
 * attach_close (main, after it).
 */
#ifndef DBFLEET_ATTACH_H
#define DBFLEET_ATTACH_H

#include "serve.h"

struct attach;

/* Set up (no I/O): 'st' an empty store. NULL with 'e'. */
struct attach *attach_open(const struct serve_conf *c, struct store *st, struct err *e);
/* Start its thread: connect, the state, then the stream. 0 or -1 with 'e'. */
int attach_start(struct attach *a, struct err *e);
void attach_close(struct attach **ap);

struct attach_status {
	char peer[REDIS_HOST_MAX + 8];  /* host:port */
	char fleet[REDIS_FLEET_MAX];
	int connected;
	double stale_since;     /* wall clock; 0 while fresh */
	char collector[REDIS_HOST_MAX + 64]; /* the active collector's token's host/pid, "" none seen */
	double snapshot_at;     /* wall clock of the latest entry read; 0 none */
	int actions;            /* the collector takes viewers' actions */
	unsigned long seq;      /* bumped with each new message */
	char message[256];      /* the latest report: a reconnect, a collector change, an error */
};
void attach_get_status(struct attach *a, struct attach_status *out);

/* Queue a confirmed action for the collector (the attach thread sends it, with an id made
 * now, and resends it with the same id after a reconnect). 0 or -1 with 'e' (full, actions off). */
int attach_submit_action(struct attach *a, const struct action_request *r, struct err *e);

/* For the fuzzer (tests/fuzz/fuzz_attach.c): one reply applied as if the thread had read it,
 * 'state' 1 an HGETALL of the state hash, 0 an XREAD; no I/O (no history is read). Not while
 * the thread runs. */
void attach_apply(struct attach *a, const redisReply *rep, int state);

#endif
