/*
 * plan.h - a statement's plan as lines (struct db_plan), and the readers of
 * what servers answer to EXPLAIN: PostgreSQL's FORMAT JSON, and the table of
 * MySQL's EXPLAIN FOR CONNECTION and MariaDB's SHOW EXPLAIN. Pure code, no
 * client library: pg_explain.c and my_explain.c feed them, the unit tests
 * and tests/fuzz/fuzz_plan.c too. Engines only.
 */
#ifndef DBFLEET_PLAN_H
#define DBFLEET_PLAN_H

#include "engine.h"
#include "my_private.h"
#include "rs.h"

/* Append a line (printf-style); its index, or -1 on OOM or past PLAN_MAX_LINES. */
int plan_add(struct db_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Mark the costliest nodes: 'cost[i]' is the cost of the node drawn on line
 * 'at[i]' (n of them); the PLAN_MARKS highest above zero get mark 1.. and
 * their share of 'total' appended to the line ("  [#1 62%]").
 */
void plan_mark(struct db_plan *p, const int *at, const double *cost, size_t n, double total);

/*
 * PostgreSQL's EXPLAIN (FORMAT JSON) answer as indented lines like EXPLAIN's
 * text, each node's own cost (its total less its children's) deciding the
 * marks; 0, or -1 with 'err' (not the JSON of a plan). 'out' keeps what it had.
 */
int pg_plan_from_json(const char *json, struct db_plan *out, struct err *err);
/* MySQL/MariaDB's EXPLAIN table as aligned lines, the rows each step reads
 * deciding the marks; 0, or -1 with 'err' (no rows: nothing was running). */
int my_plan_from_rs(const struct rs *r, struct db_plan *out, struct err *err);

/*
 * PostgreSQL: 1 if the text is a statement EXPLAIN can plan, else 0 with its
 * first word in 'word' (a utility statement: VACUUM, COPY, CREATE INDEX ...).
 * Comments and opening parentheses before the first word are skipped.
 */
int pg_explainable(const char *text, char *word, size_t n);
/*
 * PostgreSQL: the EXPLAIN statement for 'text' on a server of 'server_version'
 * (server_version_num): EXPLAIN (GENERIC_PLAN) from 16; before, EXPLAIN of the
 * text, or with 'nparams' parameters EXECUTE of it prepared as
 * "dbfleet_explain" with NULLs. 1 when the plan is the generic one, else 0.
 */
int pg_explain_sql(int server_version, const char *text, int nparams, char *out, size_t n);
/*
 * MySQL/MariaDB: the plan of the statement connection q->who.pid runs now
 * (SHOW EXPLAIN FOR on MariaDB 10.0+, EXPLAIN FOR CONNECTION on MySQL 5.7+),
 * after checking the connection is still the user and host shown; through
 * 'run' (one statement at a time). 0 with 'out', or -1 with 'err'.
 */
int my_explain(const struct my_state *st, const struct db_explain *q, rs_run_fn run, void *ctx,
	       struct db_plan *out, struct err *err);

#endif
