/*
 * pg_private.h - the PostgreSQL dialect: what it asks and how it reads the
 * answers, shared by the native engine (postgres.c, libpq) and the ODBC
 * engine (odbc.c) reaching PostgreSQL through a driver. Engines only.
 */
#ifndef DBFLEET_PG_PRIVATE_H
#define DBFLEET_PG_PRIVATE_H

#include "engine.h"
#include "pg_sql.h"
#include "rs.h"
#include "textcache.h"

#define PG_TEXT_MAX 4096
#define PG_SIZE_EVERY_S 300.0

/* The statements a sample may send, each one result. */
enum pg_part { PG_PART_HEALTH, PG_PART_REPLICAS, PG_PART_STANDBY, PG_PART_SESSIONS, PG_PART_PSS,
	       PG_PART_SIZE, PG_PART_TEXTS,
	       /* the triage pane's (ENGINE_TRIAGE), last: one that fails cuts only those after it */
	       PG_PART_SLOTS, PG_PART_WRAP, PG_PART_VACUUM, PG_PART_DEAD, PG_PART_XMIN, PG_PART_LOCKQ, PG_PART_N };

/* What one connection has learnt about its server. */
struct pg_state {
	int pss;            /* pg_stat_statements installed and readable */
	int pss_v18;        /* 1.8+: total_exec_time */
	int pss_v19;        /* 1.9+: toplevel */
	char pss_schema[80];/* quoted identifier */
	int monitor;        /* pg_monitor or superuser */
	char role[64];
	double size_due;    /* monotonic time of the next pg_database_size() */
	int64_t db_size;
	struct textcache texts;
	/* what the batch in flight asks, in order (enum pg_part) */
	int part[PG_PART_N], nparts;
	int health_only;    /* the next batch is the health probe alone (0: everything) */
	int triage;         /* ... and the triage pane's parts (slots, vacuum, lock queue) */
	char pss_error[120]; /* why pg_stat_statements could not be read */
};

/* Fill 'err' from a libpq message, flattened to one line. */
void pg_set_err(struct err *err, int code, const char *what, const char *detail);

/* Ask what the connection may see (PG_SQL_PROBE through 'run'); 0 or -1 with 'err'. */
int pg_probe(struct pg_state *st, rs_run_fn run, void *ctx, struct err *err);

/* Plan the next sample (st->part, honouring st->health_only) and return its
 * statements, ";\n"-separated; NULL on OOM. */
char *pg_build_batch(struct pg_state *st);
/* Append one part's statement to a growing buffer; 'prepared': its parameters as $1
 * (PG_PART_TEXTS takes the wanted ids, pg_texts_param()); 0 or -1 on OOM. */
int pg_part_sql(const struct pg_state *st, int part, int prepared, char **buf, size_t *len, size_t *cap);
/* The wanted statement ids as an array literal "{1,2}", PG_PART_TEXTS' parameter. */
void pg_texts_param(const struct pg_state *st, char *ids, size_t n);

/* Turn the batch's results into 'out'; 0 or -1 with 'err'. */
int pg_parse_batch(struct pg_state *st, struct rs *r, int n, struct db_sample *out, struct err *err);

void pg_state_release(struct pg_state *st);

/* The triage parts (pg_triage.c): 1 if 'part' is one; its statement; its rows into 't'
 * (0, or -1 on OOM: what was read stays in 't' for engine_triage_release). */
int pg_triage_part(int part);
const char *pg_triage_sql(int part);
int pg_parse_triage(int part, const struct rs *r, struct db_triage *t);
/* A PostgreSQL int[] as text ("{12,34}") into x->blockers. */
void pg_parse_pids(const char *s, struct db_session *x);

/* The statement of an action (PG_SQL_SIGNAL, PG_SQL_PROMOTE); 0 or -1 with 'err'. */
int pg_action_sql(const struct db_action *a, char *sql, size_t n, struct err *err);
/* Run it through 'run' and read its one row; 0 with 'outcome', or -1 with 'err'. */
int pg_action(const struct db_action *a, rs_run_fn run, void *ctx, char *outcome, size_t n, struct err *err);

#endif
