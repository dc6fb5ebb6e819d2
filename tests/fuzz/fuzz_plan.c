/*
 * fuzz_plan - the plan readers (engines/plan.c, engines/my_explain.c): what a
 * server answers to EXPLAIN. Input: one byte of mode, then either
 * PostgreSQL's EXPLAIN (FORMAT JSON) text (even mode), or a MySQL/MariaDB
 * server made of the input (odd mode; fuzz_rs.h): the processlist row, then
 * the EXPLAIN table, for MariaDB (mode & 2) or MySQL. Whatever comes, the
 * plan is lines of bounded text, each mark a rank given once, or an error.
 */
#include "../../engines/plan.h"
#include "fuzz_rs.h"

static void check_plan(const struct db_plan *p)
{
	FUZZ_ASSERT(p->nlines <= PLAN_MAX_LINES && (!p->nlines || p->line));
	int seen[PLAN_MARKS + 1] = {0};
	for (size_t i = 0; i < p->nlines; i++) {
		FUZZ_ASSERT(p->line[i].text && strlen(p->line[i].text) < 4096);
		FUZZ_ASSERT(p->line[i].mark >= 0 && p->line[i].mark <= PLAN_MARKS);
		if (p->line[i].mark)
			FUZZ_ASSERT(!seen[p->line[i].mark]++);
	}
	FUZZ_ASSERT(memchr(p->what, '\0', sizeof p->what) && memchr(p->note, '\0', sizeof p->note));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct db_plan p = {0};
	struct err err = {0};
	int rc;
	if (!(data[0] & 1)) {
		char *json = malloc(size);
		memcpy(json, data + 1, size - 1);
		json[size - 1] = '\0';
		rc = pg_plan_from_json(json, &p, &err);
		free(json);
	} else {
		struct fuzz_in in = {data + 1, size - 1};
		struct my_state st = {.mariadb = (data[0] & 2) != 0, .vnum = (data[0] & 2) ? 101109 : 80036,
				      .version = "fuzz", .user = "mon@%"};
		struct db_explain q = {.kind = EXPLAIN_SESSION, .who = {.pid = 42, .user = "app", .client = "10.0.0.7"}};
		rc = my_explain(&st, &q, fuzz_rs_run, &in, &p, &err);
	}
	FUZZ_ASSERT(rc == 0 || (rc == -1 && err.msg[0] && p.nlines == 0));
	check_plan(&p);
	engine_plan_release(&p);
	return 0;
}
