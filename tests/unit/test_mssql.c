/*
 * Unit tests: the SQL Server dialect's mapping, fed rows in the shapes
 * Microsoft documents for the DMVs it reads (no SQL Server runs here).
 */
#include "../../collectors/derive.h"
#include "../../engines/mssql.h"
#include "check.h"

/* An rs from a table of strings (NULL = SQL NULL). */
static struct rs table(int nrows, int ncols, const char **cells)
{
	struct rs r;
	rs_alloc(&r, nrows, ncols);
	for (int i = 0; i < nrows * ncols; i++)
		r.cell[i] = cells[i];
	return r;
}

static const char *health[] = {"16.0.4135.4", "86400", "1764250000.5", "32767"};
static const char *counters[] = {
	"Batch Requests/sec", "123456", "Transactions/sec", "98765", "User Connections", "42",
	"Buffer cache hit ratio", "990", "Buffer cache hit ratio base", "1000", "Processes blocked", "1",
};
/* session_id, login_name, db, program_name, host_name, status, wait_type, q age, x age, blocking, login_time, text */
static const char *sessions[] = {
	"51", "app", "orders", "api", "web1", "sleeping", NULL, NULL, "120", "0", "2026-11-27 10:00:00.000", NULL,
	"52", "app", "orders", "api", "web2", "suspended", "LCK_M_X", "30", "30", "51", "2026-11-27 10:01:00.000",
	"UPDATE orders SET paid = 1 WHERE id = @id",
	"60", "mon", "master", "dbfleet", "bastion", "running", NULL, "0", NULL, "0", "2026-11-27 11:00:00.000",
	"SELECT ...",
};
/* replica_server_name, is_local, is_primary_replica, sync state, queue KB, commit age, availability mode */
static const char *hadr_primary[] = {
	"EC2AMAZ-A", "1", "1", "SYNCHRONIZED", "0", "0", "SYNCHRONOUS_COMMIT",
	"EC2AMAZ-B", "0", "0", "SYNCHRONIZING", "512", "3", "ASYNCHRONOUS_COMMIT",
};
static const char *stats[] = {"0x1A2B3C4D5E6F7081", "100", "2500.5", "300", "junk", "1", "1", "1"};

static void maps_health_sessions_queries_and_standbys(void)
{
	struct mssql_state st = {.self_spid = 60, .can_state = 1, .major = 16};
	char *sql = mssql_build_batch(&st);
	CHECK(sql && strstr(sql, "sys.dm_exec_sessions") && !st.batch_texts);
	free(sql);
	struct rs r[5] = {table(1, 4, health), table(6, 2, counters), table(3, 12, sessions),
			  table(2, 7, hadr_primary), table(2, 4, stats)};
	struct db_sample out = {0};
	struct err err = {0};
	CHECK(mssql_parse_batch(&st, r, 5, &out, &err) == 0);
	sample_derive(&out); /* what the collector does with every sample */
	CHECK_STR(out.health.version, "SQL Server 16.0.4135.4");
	CHECK(out.health.uptime_s == 86400 && out.health.conns_max == 32767 && out.health.conns_used == 42);
	CHECK(out.health.xact_total == 98765 && out.health.queries_total == 123456);
	CHECK(out.health.waiting_on_lock == 1 && out.health.idle_in_xact == 1 && out.health.active == 1);
	CHECK(out.health.longest_xact_s == 120);
	CHECK(out.nsessions == 3);
	CHECK_STR(out.sessions[0].state, "idle in transaction");
	CHECK(out.sessions[0].is_blocker && !out.sessions[1].is_blocker);
	CHECK(out.sessions[1].nblockers == 1 && out.sessions[1].blockers[0] == 51);
	CHECK_STR(out.sessions[1].backend_start, "2026-11-27 10:01:00.000");
	CHECK(out.sessions[2].is_self);
	CHECK(!out.health.is_replica && out.nreplicas == 1);
	CHECK_STR(out.replicas[0].name, "EC2AMAZ-B");
	CHECK(out.replicas[0].lag_bytes == 512 * 1024 && out.replicas[0].replay_lag_s == 3);
	CHECK_STR(out.replicas[0].sync_state, "async");
	CHECK(out.nqueries == 1 && out.queries[0].queryid == 0x1A2B3C4D5E6F7081LL);
	CHECK(out.queries[0].total_ms == 2500.5 && out.queries[0].calls == 100);
	CHECK(!out.privilege_note[0]);
	/* the text is asked for by hash on the next batch */
	CHECK(textcache_get(&st.texts, out.queries[0].queryid) == NULL);
	sql = mssql_build_batch(&st);
	CHECK(sql && strstr(sql, "IN ('0x1A2B3C4D5E6F7081')") && st.batch_texts);
	free(sql);
	for (int i = 0; i < 5; i++)
		rs_free(&r[i]);
	engine_sample_release(&out);
	mssql_state_release(&st);
}

static void secondary_and_missing_permission(void)
{
	static const char *hadr_secondary[] = {
		"EC2AMAZ-A", "0", "1", "SYNCHRONIZED", "0", "0", "SYNCHRONOUS_COMMIT",
		"EC2AMAZ-B", "1", "0", "NOT SYNCHRONIZING", "2048", "95", "SYNCHRONOUS_COMMIT",
	};
	struct mssql_state st = {.self_spid = 60, .can_state = 0, .major = 16};
	struct rs r[5] = {table(1, 4, health), table(0, 2, counters), table(0, 12, sessions),
			  table(2, 7, hadr_secondary), table(0, 4, stats)};
	struct db_sample out = {0};
	struct err err = {0};
	CHECK(mssql_parse_batch(&st, r, 5, &out, &err) == 0);
	CHECK(out.health.is_replica && out.nreplicas == 0);
	CHECK(out.standby.replay_backlog_bytes == 2048 * 1024 && out.standby.lag_s == 95);
	CHECK_STR(out.standby.halted, "NOT SYNCHRONIZING");
	CHECK(strstr(out.privilege_note, "GRANT VIEW SERVER STATE") != NULL);
	for (int i = 0; i < 5; i++)
		rs_free(&r[i]);
	engine_sample_release(&out);
	mssql_state_release(&st);
}

static void a_failed_statement_fails_the_sample(void)
{
	struct mssql_state st = {0};
	struct rs r[2] = {table(1, 4, health), {0}};
	snprintf(r[1].error, sizeof r[1].error, "[42000] VIEW SERVER STATE permission was denied");
	struct db_sample out = {0};
	struct err err = {0};
	CHECK(mssql_parse_batch(&st, r, 2, &out, &err) == -1);
	CHECK(strstr(err.msg, "permission was denied") != NULL);
	rs_free(&r[0]);
	engine_sample_release(&out);
}

/* A fake server for the KILL batch: answers 'answer' and records the SQL it got. */
static char kill_sql[512];
static const char *kill_answer;
static int fake_run(void *ctx, const char *sql, struct rs *out)
{
	(void)ctx;
	snprintf(kill_sql, sizeof kill_sql, "%s", sql);
	static const char *cell[1];
	cell[0] = kill_answer;
	*out = table(1, 1, cell);
	return 0;
}

static void kill_checks_login_time_in_the_same_batch(void)
{
	struct db_action a = {.kind = ACT_TERMINATE, .pid = 52};
	snprintf(a.backend_start, sizeof a.backend_start, "2026-11-27 10:01:00.000");
	char sql[512], outcome[128];
	struct err err = {0};
	CHECK(mssql_action_sql(&a, sql, sizeof sql, &err) == 0);
	CHECK_STR(sql, "IF EXISTS (SELECT 1 FROM sys.dm_exec_sessions WHERE session_id = 52 AND CONVERT(varchar(27),"
		       " login_time, 121) = '2026-11-27 10:01:00.000') BEGIN KILL 52; SELECT 1 END ELSE SELECT 0");
	kill_answer = "1";
	CHECK(mssql_action(&a, fake_run, NULL, outcome, sizeof outcome, &err) == 0);
	CHECK_STR(outcome, "KILL 52 sent");
	CHECK_STR(kill_sql, sql);
	/* the spid now belongs to another login: refused, nothing killed */
	kill_answer = "0";
	CHECK(mssql_action(&a, fake_run, NULL, outcome, sizeof outcome, &err) == -1);
	CHECK(err.code == ERR_REFUSED && strstr(err.msg, "login_time differs"));
	/* no cancel on SQL Server; no identity, no KILL; nothing odd quoted in */
	a.kind = ACT_CANCEL;
	CHECK(mssql_action_sql(&a, sql, sizeof sql, &err) == -1);
	a.kind = ACT_TERMINATE;
	snprintf(a.backend_start, sizeof a.backend_start, "2026-11-27'; DROP TABLE x; --");
	CHECK(mssql_action_sql(&a, sql, sizeof sql, &err) == -1);
	a.backend_start[0] = '\0';
	CHECK(mssql_action_sql(&a, sql, sizeof sql, &err) == -1);
}

int main(void)
{
	RUN(kill_checks_login_time_in_the_same_batch);
	RUN(maps_health_sessions_queries_and_standbys);
	RUN(secondary_and_missing_permission);
	RUN(a_failed_statement_fails_the_sample);
	return check_total_failed;
}
