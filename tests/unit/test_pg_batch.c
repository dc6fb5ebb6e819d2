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

/* A health probe with the triage parts: the slots, the lock queue and their blockers read
 * by name; a triage part that fails leaves a note, not a failed sample. */
static void triage_parts_read_and_fail_softly(void)
{
	struct pg_state st = {.health_only = 1, .triage = 1};
	st.size_due = clock_mono() + 3600;
	char *sql = pg_build_batch(&st);
	CHECK(sql && strstr(sql, "pg_replication_slots s") && strstr(sql, "pg_blocking_pids(pid)"));
	CHECK(sql && !strstr(sql, "FROM pg_stat_activity a LEFT JOIN (SELECT pid, count(*)")); /* no sessions */
	free(sql);
	CHECK(st.nparts == 9 && st.part[3] == PG_PART_SLOTS && st.part[8] == PG_PART_LOCKQ);
	struct rs r[9] = {{0}};
	one_row(&r[0], 19);
	r[0].cell[17] = "2";
	r[0].cell[18] = "83886080";
	one_row(&r[2], 6);
	const char *slot[] = {"idle", "physical", NULL, "f", NULL, "83886080", "extended", NULL, NULL, "7"};
	rs_alloc(&r[3], 1, 10);
	memcpy(r[3].cell, slot, sizeof slot);
	const char *lq[2][13] = {
		{"10", "app", "app", "psql", "local", "idle in transaction", "", "2026-11-29 08:00:00+00", "5", "9",
		 NULL, NULL, "SELECT 1"},
		{"11", "app", "app", "psql", "local", "active", "Lock:relation", "2026-11-29 08:00:01+00", "3", "3",
		 "{10}", "AccessExclusiveLock on t", "ALTER TABLE t ADD x int"},
	};
	rs_alloc(&r[8], 2, 13);
	memcpy(r[8].cell, lq, sizeof lq);
	struct db_sample out = {0};
	struct err e = {0};
	CHECK(pg_parse_batch(&st, r, 9, &out, &e) == 0);
	CHECK(out.detail == 0 && out.triage.read == 1);
	CHECK(out.health.slots_inactive == 2 && out.health.slot_idle_bytes == 83886080);
	CHECK(out.triage.nslots == 1 && !out.triage.slots[0].active && out.triage.slots[0].retained_bytes == 83886080);
	CHECK(out.triage.slots[0].xmin_age == -1 && out.triage.slots[0].catalog_xmin_age == 7);
	CHECK(!strcmp(out.triage.slots[0].wal_status, "extended") && out.triage.slots[0].safe_wal_size == -1);
	CHECK(out.triage.nlockq == 2 && out.triage.lockq[0].nblockers == 0);
	CHECK(out.triage.lockq[1].nblockers == 1 && out.triage.lockq[1].blockers[0] == 10);
	CHECK(!strcmp(out.triage.lockq[1].lock, "AccessExclusiveLock on t"));
	engine_sample_release(&out);
	/* the vacuum progress view fails: what came before stands, the note says why */
	snprintf(r[5].error, sizeof r[5].error, "permission denied for view pg_stat_progress_vacuum");
	memset(&out, 0, sizeof out);
	CHECK(pg_parse_batch(&st, r, 9, &out, &e) == 0);
	CHECK(out.triage.nslots == 1 && out.triage.nlockq == 0 && strstr(out.triage.note, "permission denied"));
	for (int i = 0; i < 9; i++)
		rs_free(&r[i]);
	engine_sample_release(&out);
	pg_state_release(&st);
}

int main(void)
{
	RUN(unreadable_texts_keep_the_sample);
	RUN(triage_parts_read_and_fail_softly);
	return check_total_failed;
}
