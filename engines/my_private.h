/*
 * my_private.h - the MySQL/MariaDB dialect: what it asks and how it reads the
 * answers, shared by the native engine (mysql.c) and the ODBC engine reaching
 * MySQL or MariaDB through a driver. Engines only.
 */
#ifndef DBFLEET_MY_PRIVATE_H
#define DBFLEET_MY_PRIVATE_H

#include "engine.h"
#include "my_sql.h"
#include "rs.h"
#include "textcache.h"

/* mysql://user@host:port/db?ssl-ca=FILE&ssl-mode=REQUIRED|VERIFY_IDENTITY */
struct my_dsn {
	char user[64], host[256], db[64], socket[256], ssl_ca[512];
	unsigned port;
	int ssl_required, ssl_verify;
};

#define MY_BATCH_MAX 16

/* What one connection has learnt about its server. */
struct my_state {
	char version[64], user[128];
	int mariadb, vnum;                 /* 101119 for 10.11.19 */
	unsigned long self_id;             /* our CONNECTION_ID() */
	int ps_on, can_process, can_replica, can_digest;
	int digests_off;                   /* the statements_digest consumer is off: no digests to read */
	char replica_sql[32];
	struct textcache texts;
	int parts[MY_BATCH_MAX], nparts;              /* what the batch in flight asks, in order */
	int lock_waits;                    /* row-lock waits in the last sample: ask who blocks */
	int rds_procs;                     /* mysql.rds_kill exists: RDS */
	char aurora_version[32];           /* Aurora MySQL's own version ("3.05.2"); "" = not Aurora */
	/* The batch in flight: the health probe (what the fleet and lag panes
	 * show) or everything (0: the blocking sample and the ODBC engine). */
	int health;
	int triage;                        /* ... and the triage pane's parts (ENGINE_TRIAGE) */
	int mdl_source;                    /* where metadata locks are read: enum my_mdl_source */
	int mdl_planned;                   /* ... as the batch in flight reads them */
	int log_bin;                       /* binary logging on (1), off (0), not known yet (0 too) */
	unsigned long ntriage;             /* triage samples so far: the lock source is asked now and then */
	/* SHOW GLOBAL STATUS costs the server more than the rest of a health
	 * probe (about 0.4 ms on MariaDB, however few variables are named):
	 * where performance_schema and PROCESS give the rest, it is read every
	 * MY_STATUS_EVERY samples, health or not, for uptime, commits,
	 * statements and buffer pool reads, whose rates stand between reads.
	 * Each counter has one source whatever the batch: commits and
	 * statements (Questions) only from the status, so rates across a mix
	 * of health and full samples stay right; connections, running threads,
	 * lock waits and the longest transaction are gauges counted the same
	 * way from the sessions rows (full) or their sums (health). */
	unsigned long nsample, ndetail;
	double started;                    /* server start, from Uptime; 0 = unknown */
	int status_read;                   /* this batch asks SHOW GLOBAL STATUS */
	int sessions_capped;               /* the last sessions read hit its LIMIT */
	int sessions_many;                 /* ... or came near it: sort before the LIMIT */
	int replica_seen;                  /* the last replica status had a row */
	int conns, running, lock_waits_trx; /* this sample: counted from its rows or sums */
};

#define MY_STATUS_EVERY 10
#define MY_MDL_SOURCE_EVERY 5


enum my_part { MY_PART_VARS, MY_PART_STATUS, MY_PART_SESSIONS, MY_PART_TRX, MY_PART_LOCKS,
	       MY_PART_REPLICA, MY_PART_AURORA, MY_PART_CONSUMER, MY_PART_DIGESTS, MY_PART_TEXTS,
	       MY_PART_THREADS_SUM, MY_PART_TRX_SUM,
	       /* the triage pane's (my_triage.c) */
	       MY_PART_MDL_SOURCE, MY_PART_HISTORY, MY_PART_MDL, MY_PART_MDL_SESSIONS, MY_PART_BINLOGS };

/* Where the lock queue's metadata locks come from (learnt by the triage pane's first sample). */
enum my_mdl_source { MY_MDL_UNKNOWN, MY_MDL_NONE, MY_MDL_PS, MY_MDL_PLUGIN };

/* Parse a mysql:// or mariadb:// DSN; 0 or -1 with 'err'. */
int my_dsn_parse(const char *dsn, struct my_dsn *d, struct err *err);
/* 1 if a mysql:// DSN holds a password, with 'why' (never the value); 0 if not. */
int my_dsn_secret(const char *dsn, char *why, size_t n);
/* Learn the server and the user's privileges through 'run'; 0 or -1 with 'err'. */
int my_probe(struct my_state *st, double timeout_s, rs_run_fn run, void *ctx, struct err *err);
/* The statements of one sample (st->health: the health probe only), ";\n"-separated; NULL on OOM. */
char *my_build_batch(struct my_state *st);
/* The id of a statement digest in a schema (FNV-1a of both). */
int64_t my_digest_id(const char *schema, const char *digest);
/* Turn the batch's results into 'out'; 0 or -1 with 'err'. */
int my_parse_batch(struct my_state *st, struct rs *r, int n, struct db_sample *out, struct err *err);
void my_state_release(struct my_state *st);

/* A sessions statement's row 'i' (MY_SQL_SESSIONS' columns) as a session; 0 or -1 on OOM. */
int my_fill_session(struct db_session *x, const struct rs *r, int i);
/* The triage pane's statements (my_triage.c): append them to the batch ('add' per statement). */
void my_triage_plan(struct my_state *st, void (*add)(void *b, int part, const char *sql), void *b);
/* 1 if 'part' is one of them. */
int my_triage_part(int part);
/* What the triage pane is told of the server whatever this batch read: the lock queue's source
 * missing (why, and the statement that turns one on), binary logging. */
void my_triage_notes(const struct my_state *st, struct db_triage *t);
/* Read one into out->triage (the lock queue needs MY_PART_MDL before MY_PART_MDL_SESSIONS); 0 or -1 on OOM. */
int my_parse_triage(struct my_state *st, int part, const struct rs *r, struct db_sample *out);

/* The statements of an action (";\n"-separated for promote); 0 or -1 with 'err'. */
int my_action_sql(const struct db_action *a, char *sql, size_t n, struct err *err);
/* The most statements an action sends (promote: three). */
#define MY_ACT_STMTS_MAX 4
/* Check the server's and the connection's identity, then act, one statement at a time,
 * telling 'steps' (NULL: nobody) how far several got; 0 with 'outcome' or -1 with 'err'. */
int my_action(const struct my_state *st, const struct db_action *a, rs_run_fn run, void *ctx,
	      const struct engine_steps *steps, char *outcome, size_t n, struct err *err);

#endif
