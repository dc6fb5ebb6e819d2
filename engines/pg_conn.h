/*
 * pg_conn.h - the PostgreSQL engine's connection, shared by its blocking
 * path (postgres.c) and its non-blocking one (pg_async.c). Engines only.
 */
#ifndef DBFLEET_PG_CONN_H
#define DBFLEET_PG_CONN_H

#include <libpq-fe.h>

#include "pg_private.h"

struct engine_conn {
	PGconn *pg;
	double deadline;    /* of the call in progress, for the probe's runner */
	PGresult *probe;    /* the probe's result, which its rs points into */
	struct pg_state st;
	/* the non-blocking path (pg_async.c) */
	int step;           /* enum in pg_async.c: where connect or sample is */
	int plain;          /* no prepared statements (a transaction-mode pooler): one simple query */
	unsigned prepared;  /* bit per enum pg_part: prepared on this connection */
	unsigned prepared_now; /* ... by the pipeline in flight */
	char pname[PG_PART_N][24]; /* each part's prepared statement name: "dbfleet_<part>_<hash of its text>" */
	int flushing;       /* output still queued: wait for writable too */
	PGresult *res[PG_PART_N + 1]; /* the sample's results, by part (single-row mode: how each ended) */
	struct rs_build rows[PG_PART_N + 1]; /* ... and their rows, read one at a time under the bound */
	int nres;           /* results taken (plain) or the part being read (pipeline) */
	double t0;
	char where[160];    /* "host h:p" for messages */
};

/* Connection parameters for PQconnectStartParams: the DSN expanded, then ours on top
 * ('hostaddr' "" = none, else with 'hosts': the name repeated as often); 'opts' and
 * 'ctimeout' are the caller's buffers; 'keys'/'vals' hold 8. */
void pg_params(const char *dsn, const char *hostaddr, const char *hosts, double timeout_s, const char **keys,
	       const char **vals, char *opts, size_t nopts, char *ctimeout, size_t nct);
/* Fill 'err' for a failed connect: "why (host h:p)", ERR_AUTH for credentials. */
void pg_connect_error(PGconn *pg, struct err *err);
/* Wait for the socket until 'deadline'; 1 ready, 0 timeout, -1 error. */
int pg_wait(PGconn *pg, int for_write, double deadline);
/* Connect with these parameters ('expand': the first dbname may be a whole DSN) before
 * 'timeout_s', non-blocking once open; NULL with 'err'. */
PGconn *pg_open_params(const char *const *keys, const char *const *vals, int expand, double timeout_s,
		       struct err *err);
/* The plan of a session's statement or a recorded one (pg_explain.c): engine_ops.explain. */
int pg_explain(struct engine_conn *c, const struct db_explain *q, double deadline, struct db_plan *out,
	       struct err *err);
/* A libpq result as rows of text (pointers into it: free the rs, then clear it). */
void pg_rs_from(PGresult *res, struct rs *r);
/* Result 'r' of slot 'i' (c->res, c->rows) read in single-row mode: a row goes
 * into c->rows[i] under the bound and 'r' is freed: 1; 0 when 'r' is not a row
 * (the caller keeps it); -1 past the bound or out of memory, with 'err' (ERR_FAIL:
 * stop reading and drop the connection). */
int pg_take_row(struct engine_conn *c, int i, PGresult *r, struct err *err);
/* Slot 'i' as rows of text: the rows read one at a time, or c->res[i] itself (an
 * error, no rows: then 'out' points into it, so free 'out' before it). */
void pg_rs_of(struct engine_conn *c, int i, struct rs *out);
/* Free c->res[0..PG_PART_N] and c->rows alike. */
void pg_results_clear(struct engine_conn *c);
/* Parse the results in c->res[0..n) into 'out' and free them; 0 or -1 with 'err'. */
int pg_finish_sample(struct engine_conn *c, int n, struct db_sample *out, struct err *err);

/* The non-blocking path (pg_async.c): engine_ops' connect_start ... lookup_host. */
struct engine_conn *pg_async_connect_start(const char *dsn, const char *hostaddr, double timeout_s,
					   struct engine_wait *w, struct err *err);
int pg_async_connect_step(struct engine_conn *c, struct engine_wait *w, struct err *err);
int pg_async_sample_start(struct engine_conn *c, enum engine_detail detail, struct engine_wait *w, struct err *err);
int pg_async_sample_step(struct engine_conn *c, struct db_sample *out, struct engine_wait *w, struct err *err);
void pg_async_abandon(struct engine_conn *c);
int pg_async_lookup_host(const char *dsn, char *host, size_t n, int *port);
/* The host and port a pg_service.conf service names (PGSERVICEFILE or ~/.pg_service.conf,
 * then PGSYSCONFDIR's): 1 when the service was found ('host' "" if it names none), 0 not. */
int pg_service_host(const char *service, char *host, size_t n, int *port);

#endif
