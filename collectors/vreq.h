/*
 * vreq.h - a viewer's action request as the fields of one stream entry (vreq.c): what the
 * viewer writes (vreq_encode) and what the collector reads back as hostile input
 * (vreq_parse, fuzzed by tests/fuzz/fuzz_vreq.c). Pure code: no I/O, no store.
 *
 * Fields (names and values are byte strings; every value is bounded; no field twice; a field
 * this version does not know is refused):
 *   v             "1"
 *   id            32 lowercase hex, made once when the user confirmed
 *   os_user host  who the viewer says it runs as (claimed: the ACL user is the stream's key)
 *   kind          cancel | terminate | promote | snapshot | failover
 *   target        the database target by name ("" for an AWS instance no target stands for)
 *   object        the description the prompt showed ("pid 48213 (app_rw)")
 *   dry_run       0 | 1
 *   a.FIELD       the session or server as shown: pid, backend_start, user, client,
 *                 server_id, server_started, rds, dialect
 *   nbulk         0..16; then b0.FIELD .. b15.FIELD, one per session of a bulk action
 *   aws_id aws_region aws_cluster aws_writer aws_global aws_target aws_account
 *   snapshot_id reason      (snapshot and failover)
 */
#ifndef DBFLEET_VREQ_H
#define DBFLEET_VREQ_H

#include "collector.h"

#define VREQ_VERSION "1"
#define VREQ_ID_LEN 32
#define VREQ_MAX_FIELDS 160 /* more than a full bulk request has */
#define VREQ_FIELD_MAX 512  /* longest value written or accepted, in bytes */

/* A request as it travels: the action plus what names its target and its sender. */
struct vreq_msg {
	char id[VREQ_ID_LEN + 1];
	char os_user[64];
	char host[128];
	char target[64];       /* by name: the collector finds its own index */
	struct action_request r; /* r.target is not carried; via_* are not carried */
};

/* An entry's fields, as encoded (names and values owned by 'buf'). */
struct vreq_fields {
	size_t n;
	const char *name[VREQ_MAX_FIELDS];
	const char *val[VREQ_MAX_FIELDS];
	size_t vlen[VREQ_MAX_FIELDS];
	char buf[16384];   /* more than the longest request's names and values */
	size_t used;
};

/* The fields for 'm' into 'f'. 0, or -1 with 'e' (a kind it cannot send). */
int vreq_encode(const struct vreq_msg *m, struct vreq_fields *f, struct err *e);

/* Read 'n' field pairs (names[i], values[i], with their lengths: values may hold any byte)
 * into 'm' (zeroed first). 0, or -1 with 'e' (ERR_REFUSED) saying which field is wrong; the
 * message quotes no value. */
int vreq_parse(size_t n, const char *const *names, const size_t *nlens, const char *const *vals,
	       const size_t *vlens, struct vreq_msg *m, struct err *e);

/* 1 when 's' is 32 lowercase hex digits. */
int vreq_id_ok(const char *s);

/* A new request id (32 hex from the system's random source) into 'out' (33 bytes). 0 or -1. */
int vreq_new_id(char *out);

#endif
