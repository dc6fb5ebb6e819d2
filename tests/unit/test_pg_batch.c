/*
 * Unit tests: how a PostgreSQL sample's results read when one of them fails.
 * A statement text the server cannot send (bytes from a SQL_ASCII database
 * that are not UTF-8 fail the whole read of pg_stat_statements' texts) must
 * not take the target down: the sample stands, the texts asked go without.
 */
#include "../../engines/pg_private.h"
#include "check.h"

/* One row of 'ncols' cells, all "1" (a health row reads as numbers). */
static void one_row(struct rs *r, int ncols)
{
	rs_alloc(r, 1, ncols);
	for (int i = 0; i < ncols; i++)
		r->cell[i] = "1";
}

static void unreadable_texts_keep_the_sample(void)
{
	struct pg_state st = {.pss = 1};
	snprintf(st.pss_schema, sizeof st.pss_schema, "\"public\"");
	st.size_due = clock_mono() + 3600; /* no size read this time */
	CHECK(textcache_get(&st.texts, 42) == NULL); /* a miss: wanted next time */
	char *sql = pg_build_batch(&st);
	CHECK(sql && strstr(sql, "ANY('{42}'::bigint[])"));
	free(sql);
	CHECK(st.nparts == 6 && st.part[5] == PG_PART_TEXTS);
	struct rs r[6] = {{0}};
	one_row(&r[0], 17);
	one_row(&r[2], 6);
	snprintf(r[5].error, sizeof r[5].error, "invalid byte sequence for encoding \"UTF8\": 0xff");
	struct db_sample out = {0};
	struct err e = {0};
	CHECK(pg_parse_batch(&st, r, 6, &out, &e) == 0);
	CHECK(out.detail == 1 && out.health.server_version_num == 1);
	const char *t = textcache_get(&st.texts, 42);
	CHECK(t && strstr(t, "text not readable") && strstr(t, "0xff"));
	CHECK(st.texts.nwant == 0);
	/* any other statement failing still fails the sample */
	snprintf(r[1].error, sizeof r[1].error, "permission denied");
	CHECK(pg_parse_batch(&st, r, 6, &out, &e) == -1 && strstr(e.msg, "permission denied"));
	for (int i = 0; i < 6; i++)
		rs_free(&r[i]);
	engine_sample_release(&out);
	pg_state_release(&st);
}

int main(void)
{
	RUN(unreadable_texts_keep_the_sample);
	return check_total_failed;
}
