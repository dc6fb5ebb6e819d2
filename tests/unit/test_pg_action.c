/*
 * Unit tests: what a PostgreSQL action sends and how its answer reads.
 * Promote checks, in its own statement, that the server is the replica shown
 * (the lab's servers run it in tests/e2e/test_actions.py).
 */
#include "../../engines/pg_private.h"
#include "check.h"

/* The server's answer to the promote statement: promoted, in recovery, same server, id, start. */
static const char *answer[5];
static char sent[1024];

static int promote_run(void *ctx, const char *sql, struct rs *out)
{
	(void)ctx;
	snprintf(sent, sizeof sent, "%s", sql);
	rs_alloc(out, 1, 5);
	for (int i = 0; i < 5; i++)
		out->cell[i] = answer[i];
	return 0;
}

static struct db_action shown_replica(void)
{
	struct db_action a = {.kind = ACT_PROMOTE, .server_started = 1795934385.24443};
	snprintf(a.server_id, sizeof a.server_id, "7713479418250063328");
	return a;
}

/* The identity shown goes into the statement that promotes. */
static void promote_sql_checks_the_identity_shown(void)
{
	struct db_action a = shown_replica();
	char sql[512];
	struct err e = {0};
	CHECK(pg_action_sql(&a, sql, sizeof sql, &e) == 0);
	CHECK(strstr(sql, "pg_promote(true, 60)") && strstr(sql, "FROM pg_control_system()"));
	CHECK(strstr(sql, "system_identifier::text = '7713479418250063328'") != NULL);
	CHECK(strstr(sql, "extract(epoch FROM pg_postmaster_start_time()) - 1795934385.244430") != NULL);
	/* not read (a sample from before, no privilege), or not what a server sends: nothing to send */
	a.server_id[0] = '\0';
	CHECK(pg_action_sql(&a, sql, sizeof sql, &e) == -1 && e.code == ERR_REFUSED);
	snprintf(a.server_id, sizeof a.server_id, "1' OR true --");
	CHECK(pg_action_sql(&a, sql, sizeof sql, &e) == -1 && e.code == ERR_REFUSED);
	a = shown_replica();
	a.server_started = 0;
	CHECK(pg_action_sql(&a, sql, sizeof sql, &e) == -1 && e.code == ERR_REFUSED);
}

/* Another server answered (a DNS name, a VIP, a pooler moved): refused, and the message names it. */
static void promote_refused_on_another_server(void)
{
	struct db_action a = shown_replica();
	char outcome[200] = "";
	struct err e = {0};
	const char *other[5] = {NULL, "t", "f", "7713479418250063328", "2026-11-29 06:39:53.845834+00"};
	memcpy(answer, other, sizeof answer);
	CHECK(pg_action(&a, promote_run, NULL, outcome, sizeof outcome, &e) == -1);
	CHECK(e.code == ERR_REFUSED && strstr(e.msg, "not the replica shown") && strstr(e.msg, "06:39:53.845834"));
	CHECK(strstr(e.msg, "nothing promoted") && !outcome[0]);
	/* the one shown, still a replica: promoted */
	const char *same[5] = {"t", "t", "t", "7713479418250063328", "2026-11-29 06:39:45.24443+00"};
	memcpy(answer, same, sizeof answer);
	e = (struct err){0};
	CHECK(pg_action(&a, promote_run, NULL, outcome, sizeof outcome, &e) == 0 && strstr(outcome, "promoted"));
	/* the one shown, but a primary already */
	const char *primary[5] = {NULL, "f", "t", "7713479418250063328", "2026-11-29 06:39:45.24443+00"};
	memcpy(answer, primary, sizeof answer);
	CHECK(pg_action(&a, promote_run, NULL, outcome, sizeof outcome, &e) == -1);
	CHECK(e.code == ERR_REFUSED && strstr(e.msg, "not in recovery"));
}

int main(void)
{
	RUN(promote_sql_checks_the_identity_shown);
	RUN(promote_refused_on_another_server);
	return check_total_failed;
}
