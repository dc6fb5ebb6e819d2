/*
 * Unit test on a real server: the connection an action runs on takes one
 * statement at a time. Needs the lab's MariaDB: run by tests/e2e/test_actions.py
 * with its DSN as the argument; without one it says SKIP.
 */
#include "../../engines/engine.h"
#include "check.h"

static const char *dsn;

/* The same connection samples (a sample is one round trip of several
 * statements) until an action has run on it; then a batch is refused. */
static void action_connection_refuses_a_second_statement(void)
{
	struct err e = {0};
	struct engine_conn *c = engine_mysql_ops.connect(dsn, 5, &e);
	CHECK(c != NULL);
	if (!c) {
		fprintf(stderr, "  connect: %s\n", e.msg);
		return;
	}
	struct db_sample s = {0};
	CHECK(engine_mysql_ops.sample(c, &s, 0, &e) == 0);
	engine_sample_release(&s);
	/* a connection that is not there on a server that is not the one shown: refused, nothing sent */
	struct db_action a = {.kind = ACT_CANCEL, .pid = 999999999};
	snprintf(a.server_id, sizeof a.server_id, "not-this-server");
	char outcome[200];
	CHECK(engine_mysql_ops.act(c, &a, 0, NULL, outcome, sizeof outcome, &e) == -1 && e.code == ERR_REFUSED);
	memset(&s, 0, sizeof s);
	e = (struct err){0};
	CHECK(engine_mysql_ops.sample(c, &s, 0, &e) == -1);
	CHECK(strstr(e.msg, "error 1064") != NULL); /* "SELECT ...; SELECT ...": a syntax error now */
	engine_sample_release(&s);
	engine_mysql_ops.close(c);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		printf("SKIP action_connection_refuses_a_second_statement (no server: tests/e2e/test_actions.py runs it)\n");
		return 0;
	}
	dsn = argv[1];
	if (engine_init_all() < 0)
		return 1;
	RUN(action_connection_refuses_a_second_statement);
	return check_total_failed;
}
