/* pg_private.h - what postgres.c and pg_batch.c share; not for other folders. */
#ifndef DBFLEET_PG_PRIVATE_H
#define DBFLEET_PG_PRIVATE_H

#include "engine.h"
#include "pg_sql.h"
#include "textcache.h"

#include <libpq-fe.h>

#define PG_TEXT_MAX 4096
#define PG_SIZE_EVERY_S 300.0

struct engine_conn {
	PGconn *pg;
	int pss;            /* pg_stat_statements installed and readable */
	int pss_v18;        /* 1.8+: total_exec_time */
	int pss_v19;        /* 1.9+: toplevel */
	char pss_schema[64];
	int monitor;        /* pg_monitor or superuser */
	char role[64];
	double size_due;    /* monotonic time of the next pg_database_size() */
	int64_t db_size;
	struct textcache texts;
	/* what the batch in flight holds beyond the fixed four */
	int batch_pss, batch_size, batch_texts;
	char pss_error[120]; /* why pg_stat_statements could not be read */
};

#include <stdio.h>
#include <stdlib.h>

/* Result accessors: NULL reads as the default. */
static inline const char *val(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
}

static inline double dval(PGresult *r, int row, int col, double dflt)
{
	return PQgetisnull(r, row, col) ? dflt : strtod(PQgetvalue(r, row, col), NULL);
}

static inline int64_t ival(PGresult *r, int row, int col, int64_t dflt)
{
	return PQgetisnull(r, row, col) ? dflt : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static inline int bval(PGresult *r, int row, int col)
{
	return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

static inline void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
}

/* Fill 'err' from a libpq message, flattened to one line. */
void pg_set_err(struct err *err, int code, const char *what, const char *detail);

/* The statements of one sample, as one string to send; NULL on OOM. */
char *pg_build_batch(struct engine_conn *c);

/* Turn the batch's results into 'out'; 0 or -1 with 'err'. */
int pg_parse_batch(struct engine_conn *c, PGresult **r, int n, struct db_sample *out, struct err *err);

#endif
