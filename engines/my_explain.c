/*
 * my_explain.c - the plan a MySQL or MariaDB connection's running statement
 * really uses, read from the server while it runs, never by running the
 * statement again: MariaDB's SHOW EXPLAIN FOR <id> (10.0+), MySQL's EXPLAIN
 * FOR CONNECTION <id> (5.7+). Connection ids restart with the server and
 * are reused, so the connection is first checked to be the user and host
 * the sessions pane showed. The dialect only: the native engine (mysql.c)
 * hands it a runner with multi-statements off.
 */
#include "plan.h"

#include <stdlib.h>

/* the connection still the one shown, and what it runs (MySQL 8.0.22+ also has performance_schema.processlist) */
#define MY_SQL_EXPLAIN_WHO "SELECT USER, HOST, INFO, COMMAND FROM information_schema.PROCESSLIST WHERE ID = %d"
enum { MW_USER, MW_HOST, MW_INFO, MW_COMMAND };
#define MY_SQL_SHOW_EXPLAIN "SHOW EXPLAIN FOR %d"               /* MariaDB 10.0+ */
#define MY_SQL_EXPLAIN_FOR "EXPLAIN FOR CONNECTION %d"          /* MySQL 5.7+, MariaDB 10.9+ */

/* The server's error number in an rs error ("... (error 1933)"), 0 if none. */
static unsigned error_no(const char *e)
{
	const char *p = strstr(e, "(error ");
	return p ? (unsigned)strtoul(p + 7, NULL, 10) : 0;
}

/* The refusal of SHOW EXPLAIN / EXPLAIN FOR CONNECTION in one line. */
static int why(const struct my_state *st, int id, const char *e, struct err *err)
{
	unsigned no = error_no(e);
	if (no == 1933 || no == 3012 || strstr(e, "EXPLAINable") || strstr(e, "supported only"))
		return err_set(err, ERR_FAIL, "no plan: connection %d runs no statement with a plan now (a utility"
			       " statement, or it just ended)", id);
	if (no == 1094)
		return err_set(err, ERR_REFUSED, "no plan: connection %d has ended", id);
	if (no == 1095 || no == 1227 || no == 1142) { /* CURRENT_USER() is "user@host" */
		const char *at = strrchr(st->user, '@');
		return err_set(err, ERR_REFUSED, "no plan: another user's connection needs the PROCESS privilege:"
			       " GRANT PROCESS ON *.* TO '%.*s'@'%.60s'", at ? (int)(at - st->user) : 60, st->user,
			       at ? at + 1 : "%");
	}
	if (no == 1064)
		return err_set(err, ERR_FAIL, "no plan: this server (%.40s) has no %s", st->version,
			       st->mariadb ? "SHOW EXPLAIN" : "EXPLAIN FOR CONNECTION");
	return err_set(err, ERR_FAIL, "no plan: %.200s", e);
}

/* Connection 'q' is still the user and host shown and runs a statement; 0 with its text, or -1. */
static int same_connection(const struct db_explain *q, rs_run_fn run, void *ctx, char **text, struct err *err)
{
	char sql[160];
	struct rs r = {0};
	snprintf(sql, sizeof sql, MY_SQL_EXPLAIN_WHO, q->who.pid);
	if (run(ctx, sql, &r) < 0) {
		err_set(err, ERR_FAIL, "no plan: cannot read the processlist: %.200s", r.error);
		rs_free(&r);
		return -1;
	}
	const char *host = val(&r, 0, MW_HOST);
	size_t cl = strlen(q->who.client);
	int same = r.nrows == 1 && !strcmp(val(&r, 0, MW_USER), q->who.user) &&
		   (!strcmp(host, q->who.client) || (cl && !strncmp(host, q->who.client, cl) && host[cl] == ':'));
	if (r.nrows != 1)
		err_set(err, ERR_REFUSED, "no plan: connection %d has ended", q->who.pid);
	else if (!same)
		err_set(err, ERR_REFUSED, "no plan: connection %d is now another session (%.60s@%.60s): the id was"
			" reused", q->who.pid, val(&r, 0, MW_USER), host);
	else if (!rs_get(&r, 0, MW_INFO) || !val(&r, 0, MW_INFO)[0])
		err_set(err, ERR_FAIL, "no plan: connection %d runs no statement now (%.30s)", q->who.pid,
			val(&r, 0, MW_COMMAND));
	else if (!(*text = strdup(val(&r, 0, MW_INFO))))
		err_set(err, ERR_FAIL, "no plan: out of memory");
	rs_free(&r);
	return *text ? 0 : -1;
}

int my_explain(const struct my_state *st, const struct db_explain *q, rs_run_fn run, void *ctx,
	       struct db_plan *out, struct err *err)
{
	out->total_cost = -1;
	if (q->kind != EXPLAIN_SESSION)
		return err_set(err, ERR_FAIL, "no plan: a MySQL/MariaDB statement digest has its values replaced by"
			       " '?': explain the session while it runs (sessions pane)");
	int maria = st->mariadb, ok = maria ? st->vnum >= 100000 : st->vnum >= 50700;
	if (!ok)
		return err_set(err, ERR_FAIL, "no plan: %s needs %s (this server: %.40s)", maria ? "SHOW EXPLAIN"
			       : "EXPLAIN FOR CONNECTION", maria ? "MariaDB 10.0+" : "MySQL 5.7+", st->version);
	char *text = NULL, sql[96];
	if (same_connection(q, run, ctx, &text, err) < 0)
		return -1;
	snprintf(sql, sizeof sql, maria ? MY_SQL_SHOW_EXPLAIN : MY_SQL_EXPLAIN_FOR, q->who.pid);
	struct rs r = {0};
	int rc = run(ctx, sql, &r);
	if (rc < 0)
		why(st, q->who.pid, r.error[0] ? r.error : "the connection failed", err);
	else if ((rc = my_plan_from_rs(&r, out, err)) == 0) {
		snprintf(out->what, sizeof out->what, "connection %d (%.40s@%.60s): %s, the plan it runs now", q->who.pid,
			 q->who.user, q->who.client, maria ? "MariaDB SHOW EXPLAIN" : "MySQL EXPLAIN FOR CONNECTION");
		snprintf(out->note, sizeof out->note, "read from the running statement, not run again; rows: the"
			 " server's estimate of rows each step reads");
		out->statement = text;
		text = NULL;
	}
	rs_free(&r);
	free(text);
	if (rc < 0)
		engine_plan_release(out);
	return rc < 0 ? -1 : 0;
}
