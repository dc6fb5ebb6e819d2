/*
 * Plans as lines (engines/plan.c): PostgreSQL's JSON plan drawn like EXPLAIN's
 * text with the costliest nodes marked, what is and is not a plannable
 * statement, the MySQL/MariaDB EXPLAIN table, and the MySQL/MariaDB path as
 * the documentation gives it (MySQL cannot run here): which statement each
 * server gets, the identity check before it, and each refusal in one line.
 */
#include "../../engines/plan.h"
#include "check.h"

static const char *line_with(const struct db_plan *p, const char *needle, int *mark)
{
	for (size_t i = 0; i < p->nlines; i++)
		if (strstr(p->line[i].text, needle)) {
			if (mark)
				*mark = p->line[i].mark;
			return p->line[i].text;
		}
	return NULL;
}

/* EXPLAIN (FORMAT JSON) of a join, as PostgreSQL 15 prints it (trimmed). */
static const char pg_join[] =
	"[{\"Plan\": {\"Node Type\": \"Aggregate\", \"Strategy\": \"Plain\", \"Startup Cost\": 4204.64,"
	" \"Total Cost\": 4204.65, \"Plan Rows\": 1, \"Plan Width\": 8, \"Plans\": ["
	"  {\"Node Type\": \"Hash Join\", \"Parent Relationship\": \"Outer\", \"Join Type\": \"Left\","
	"   \"Startup Cost\": 1.02, \"Total Cost\": 3952.69, \"Plan Rows\": 100779, \"Plan Width\": 0,"
	"   \"Hash Cond\": \"(a.bid = b.bid)\", \"Plans\": ["
	"    {\"Node Type\": \"Seq Scan\", \"Parent Relationship\": \"Outer\", \"Relation Name\": \"pgbench_accounts\","
	"     \"Alias\": \"a\", \"Startup Cost\": 0.0, \"Total Cost\": 2688.79, \"Plan Rows\": 100779, \"Plan Width\": 4,"
	"     \"Filter\": \"(abalance > $1)\"},"
	"    {\"Node Type\": \"Hash\", \"Parent Relationship\": \"Inner\", \"Startup Cost\": 1.01, \"Total Cost\": 1.01,"
	"     \"Plan Rows\": 1, \"Plan Width\": 4, \"Plans\": ["
	"      {\"Node Type\": \"Index Only Scan\", \"Scan Direction\": \"Backward\", \"Index Name\": \"b_pkey\","
	"       \"Relation Name\": \"pgbench_branches\", \"Alias\": \"b\", \"Startup Cost\": 0.12,"
	"       \"Total Cost\": 1.01, \"Plan Rows\": 1, \"Plan Width\": 4}]}]}]}}]";

static void pg_json_plan_reads_like_explain_text_with_the_costliest_marked(void)
{
	struct db_plan p = {0};
	struct err e = {0};
	CHECK(pg_plan_from_json(pg_join, &p, &e) == 0);
	int m = -1;
	CHECK_STR(line_with(&p, "Aggregate", NULL), "Aggregate  (cost=4204.64..4204.65 rows=1 width=8)  [#3 6%]");
	CHECK_STR(line_with(&p, "Hash Left Join", &m),
		  "  ->  Hash Left Join  (cost=1.02..3952.69 rows=100779 width=0)  [#2 30%]");
	CHECK(m == 2);
	CHECK_STR(line_with(&p, "Hash Cond", NULL), "        Hash Cond: (a.bid = b.bid)");
	CHECK_STR(line_with(&p, "Seq Scan", &m),
		  "        ->  Seq Scan on pgbench_accounts a  (cost=0.00..2688.79 rows=100779 width=4)  [#1 64%]");
	CHECK(m == 1);
	CHECK_STR(line_with(&p, "Filter", NULL), "              Filter: (abalance > $1)");
	CHECK(line_with(&p, "Index Only Scan Backward using b_pkey on pgbench_branches b", &m) != NULL && m == 0);
	CHECK(p.total_cost > 4204 && p.total_cost < 4205);
	engine_plan_release(&p);
}

static void pg_json_that_is_not_a_plan_is_an_error_not_a_crash(void)
{
	const char *bad[] = {"", "[]", "{}", "[1]", "[{\"Plan\": 3}]", "[{\"Plan\": {\"Plans\": 7}}", "null",
			     "[{\"Plan\": {\"Node Type\": 5, \"Total Cost\": \"x\"}}]"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct db_plan p = {0};
		struct err e = {0};
		int rc = pg_plan_from_json(bad[i], &p, &e);
		CHECK(rc == 0 || strstr(e.msg, "not the JSON plan") != NULL);
		engine_plan_release(&p);
	}
	/* a plan nested far deeper than is drawn: the deep nodes are summed up in one line */
	char deep[40000];
	size_t o = 0;
	o += (size_t)snprintf(deep + o, sizeof deep - o, "[{\"Plan\": ");
	for (int i = 0; i < 200; i++)
		o += (size_t)snprintf(deep + o, sizeof deep - o, "{\"Node Type\": \"Limit\", \"Total Cost\": %d, \"Plans\": [",
				      400 - i);
	o += (size_t)snprintf(deep + o, sizeof deep - o, "{}");
	for (int i = 0; i < 200; i++)
		o += (size_t)snprintf(deep + o, sizeof deep - o, "]}");
	snprintf(deep + o, sizeof deep - o, "}]");
	struct db_plan p = {0};
	struct err e = {0};
	CHECK(pg_plan_from_json(deep, &p, &e) == 0);
	CHECK(line_with(&p, "nodes deeper than", NULL) != NULL);
	CHECK(p.nlines < 100);
	engine_plan_release(&p);
}

static void only_plannable_statements_are_sent(void)
{
	char w[32];
	CHECK(pg_explainable("SELECT 1", w, sizeof w) == 1);
	CHECK(pg_explainable("  /* app: orders */ (select 1) UNION (select 2)", w, sizeof w) == 1);
	CHECK(pg_explainable("-- report\nWITH x AS (SELECT 1) SELECT * FROM x", w, sizeof w) == 1);
	CHECK(pg_explainable("update t set v = 1", w, sizeof w) == 1);
	CHECK(pg_explainable("VACUUM (VERBOSE) t", w, sizeof w) == 0);
	CHECK_STR(w, "VACUUM");
	CHECK(pg_explainable("DO $$BEGIN PERFORM pg_sleep(6); END$$", w, sizeof w) == 0);
	CHECK_STR(w, "DO");
	CHECK(pg_explainable("EXECUTE s(1)", w, sizeof w) == 0);
	CHECK(pg_explainable("COPY t TO STDOUT", w, sizeof w) == 0);
	CHECK(pg_explainable("", w, sizeof w) == 0);
	CHECK_STR(w, "");
	CHECK(pg_explainable("/* never closed", w, sizeof w) == 0);
	CHECK(pg_explainable("SELECTED", w, sizeof w) == 0);
}

/* The statement each PostgreSQL gets: GENERIC_PLAN from 16 (no 16 runs here), EXECUTE with NULLs before. */
static void pg_explain_statement_follows_the_server_version(void)
{
	char sql[200];
	CHECK(pg_explain_sql(160000, "SELECT * FROM t WHERE id = $1", 0, sql, sizeof sql) == 1);
	CHECK_STR(sql, "EXPLAIN (GENERIC_PLAN, FORMAT JSON) SELECT * FROM t WHERE id = $1");
	CHECK(pg_explain_sql(170002, "SELECT 1", 0, sql, sizeof sql) == 1);
	CHECK(pg_explain_sql(150020, "SELECT 1", 0, sql, sizeof sql) == 0);
	CHECK_STR(sql, "EXPLAIN (FORMAT JSON) SELECT 1");
	CHECK(pg_explain_sql(150020, "SELECT * FROM t WHERE a = $1 AND b < $3", 3, sql, sizeof sql) == 1);
	CHECK_STR(sql, "EXPLAIN (FORMAT JSON) EXECUTE dbfleet_explain(NULL,NULL,NULL)");
	CHECK(pg_explain_sql(120000, "SELECT $1", 100, sql, 48) == 1 && strlen(sql) == 47); /* cut, never past */
}

/* ---- MySQL / MariaDB ---- */

/* A fake server: answers by the statement's first words, and keeps what was sent. */
struct fake {
	char sent[8][160];
	int n;
	const char *user, *host, *info;  /* the processlist row; user NULL: none */
	const char *explain_error;        /* the EXPLAIN's error, or NULL for the plan */
};

static int fake_run(void *ctx, const char *sql, struct rs *out)
{
	struct fake *f = ctx;
	memset(out, 0, sizeof *out);
	if (f->n < 8)
		snprintf(f->sent[f->n++], sizeof f->sent[0], "%s", sql);
	static const char *who_names[] = {"USER", "HOST", "INFO", "COMMAND"};
	static const char *plan_names[] = {"id", "select_type", "table", "type", "possible_keys", "key", "key_len",
					   "ref", "rows", "filtered", "Extra"};
	static const char *plan_cells[] = {
		"1", "SIMPLE", "a", "range", "PRIMARY", "PRIMARY", "4", NULL, "1000", "100.00", "Using where",
		"1", "SIMPLE", "b", "ALL", NULL, NULL, NULL, NULL, "11963", "10.00", "Using where; Using join buffer"};
	if (!strncmp(sql, "SELECT USER", 11)) {
		int rows = f->user != NULL;
		rs_alloc(out, rows, 4);
		for (int c = 0; c < 4; c++)
			out->name[c] = who_names[c];
		if (rows) {
			out->cell[0] = f->user, out->cell[1] = f->host, out->cell[2] = f->info, out->cell[3] = "Query";
		}
		return 0;
	}
	if (f->explain_error) {
		snprintf(out->error, sizeof out->error, "%s", f->explain_error);
		return -1;
	}
	rs_alloc(out, 2, 11);
	for (int c = 0; c < 11; c++)
		out->name[c] = plan_names[c];
	for (int i = 0; i < 22; i++)
		out->cell[i] = plan_cells[i];
	return 0;
}

static const struct db_explain session42 = {
	.kind = EXPLAIN_SESSION, .who = {.pid = 42, .user = "app", .client = "10.0.0.7"}};

static void mysql_and_mariadb_get_their_own_statement(void)
{
	struct my_state mysql8 = {.version = "8.0.36", .vnum = 80036, .user = "mon@%"};
	struct my_state maria = {.version = "10.11.9-MariaDB", .vnum = 101109, .mariadb = 1};
	struct fake f = {.user = "app", .host = "10.0.0.7:51234", .info = "SELECT * FROM a JOIN b"};
	struct db_plan p = {0};
	struct err e = {0};
	CHECK(my_explain(&mysql8, &session42, fake_run, &f, &p, &e) == 0);
	CHECK(f.n == 2);
	CHECK(strstr(f.sent[0], "information_schema.PROCESSLIST WHERE ID = 42") != NULL);
	CHECK_STR(f.sent[1], "EXPLAIN FOR CONNECTION 42");
	CHECK(strstr(p.what, "MySQL EXPLAIN FOR CONNECTION") != NULL);
	CHECK_STR(p.statement, "SELECT * FROM a JOIN b");
	int m = 0;
	CHECK(line_with(&p, "  b  ", &m) != NULL && m == 1); /* 11963 rows read: the costliest */
	CHECK(strstr(line_with(&p, "  b  ", NULL), "[#1 92%]") != NULL);
	CHECK(line_with(&p, "select_type", NULL) == p.line[0].text);
	engine_plan_release(&p);
	f.n = 0;
	CHECK(my_explain(&maria, &session42, fake_run, &f, &p, &e) == 0);
	CHECK_STR(f.sent[1], "SHOW EXPLAIN FOR 42");
	CHECK(strstr(p.what, "MariaDB SHOW EXPLAIN") != NULL);
	engine_plan_release(&p);
}

static void what_cannot_be_planned_says_why_and_sends_no_explain(void)
{
	struct my_state mysql56 = {.version = "5.6.51", .vnum = 50651};
	struct my_state mysql8 = {.version = "8.0.36", .vnum = 80036, .user = "mon@%"};
	struct my_state maria = {.version = "10.11.9-MariaDB", .vnum = 101109, .mariadb = 1, .user = "mon@%"};
	struct fake f = {.user = "app", .host = "10.0.0.7:51234", .info = "SELECT 1"};
	struct db_plan p = {0};
	struct err e = {0};
	CHECK(my_explain(&mysql56, &session42, fake_run, &f, &p, &e) == -1 && f.n == 0);
	CHECK(strstr(e.msg, "EXPLAIN FOR CONNECTION needs MySQL 5.7+") != NULL);
	struct db_explain digest = {.kind = EXPLAIN_STATEMENT, .queryid = 7};
	CHECK(my_explain(&mysql8, &digest, fake_run, &f, &p, &e) == -1 && f.n == 0);
	CHECK(strstr(e.msg, "values replaced by '?'") != NULL);
	/* the id now belongs to another user's connection: no EXPLAIN sent */
	f = (struct fake){.user = "batch", .host = "10.0.0.9:4000", .info = "SELECT 1"};
	CHECK(my_explain(&mysql8, &session42, fake_run, &f, &p, &e) == -1 && f.n == 1 && e.code == ERR_REFUSED);
	CHECK(strstr(e.msg, "is now another session (batch@10.0.0.9:4000)") != NULL);
	f = (struct fake){.user = NULL};
	CHECK(my_explain(&mysql8, &session42, fake_run, &f, &p, &e) == -1 && f.n == 1);
	CHECK(strstr(e.msg, "connection 42 has ended") != NULL);
	f = (struct fake){.user = "app", .host = "10.0.0.7:51234", .info = NULL};
	CHECK(my_explain(&mysql8, &session42, fake_run, &f, &p, &e) == -1 && f.n == 1);
	CHECK(strstr(e.msg, "runs no statement now") != NULL);
	/* the server's refusals, by error number */
	f = (struct fake){.user = "app", .host = "10.0.0.7", .info = "OPTIMIZE TABLE t",
			  .explain_error = "Target is not executing an operation with a query plan (error 1933)"};
	CHECK(my_explain(&maria, &session42, fake_run, &f, &p, &e) == -1 && f.n == 2);
	CHECK(strstr(e.msg, "runs no statement with a plan now") != NULL);
	f.explain_error = "Access denied; you need (at least one of) the PROCESS privilege(s) (error 1227)";
	f.n = 0;
	CHECK(my_explain(&maria, &session42, fake_run, &f, &p, &e) == -1);
	CHECK(strstr(e.msg, "GRANT PROCESS ON *.* TO 'mon'@'%'") != NULL);
	CHECK(p.nlines == 0 && p.statement == NULL);
}

int main(void)
{
	RUN(pg_json_plan_reads_like_explain_text_with_the_costliest_marked);
	RUN(pg_json_that_is_not_a_plan_is_an_error_not_a_crash);
	RUN(only_plannable_statements_are_sent);
	RUN(pg_explain_statement_follows_the_server_version);
	RUN(mysql_and_mariadb_get_their_own_statement);
	RUN(what_cannot_be_planned_says_why_and_sends_no_explain);
	return check_total_failed;
}
