/*
 * Unit tests: what a MySQL/MariaDB sample asks, sample after sample, and how
 * its answers become the health figures (the lab's MariaDB runs the real
 * statements in the end-to-end tests; here each path is taken on purpose).
 */
#include "../../collectors/rates.h"
#include "../../engines/my_private.h"
#include "check.h"

/* The server as these tests want it to answer. */
struct server {
	double now, uptime;
	int nsessions;               /* rows of the sessions statement */
	int replica;                 /* SHOW REPLICA STATUS has a row */
	long long questions, digest_calls;
	int aurora_reader;           /* replica_host_status: we are the reader, not the writer */
	int new_words;               /* replica status in MySQL 8.0.22+'s Replica_* / *_Source words */
	int consumer_on;             /* setup_consumers' statements_digest, when asked */
};

static char cells[600 * 9][24];
static const char *cellp[600 * 9];

/* The answer to one part of the batch, as the client library would give it. */
static struct rs answer(int part, const struct server *sv)
{
	static const char *status[] = {"Uptime", NULL, "Threads_connected", "99", "Threads_running", "42",
				       "Questions", NULL, "Handler_commit", "5000", "Handler_rollback", "0",
				       "Innodb_buffer_pool_read_requests", "1000", "Innodb_buffer_pool_reads", "10",
				       "Innodb_row_lock_current_waits", "7"};
	/* ours (7, running), a sleeper in a transaction, a query waiting on a lock,
	 * a replica's dump thread, a system thread */
	static const char *sessions[] = {
		"7", "mon", "127.0.0.1", "", "Query", "0", "", "SELECT ...", "-1",
		"8", "app", "web1:5000", "app", "Sleep", "30", "", "", "-1",
		"9", "app", "web2:5001", "app", "Query", "3", "Updating", "UPDATE t SET v = 2", "-1",
		"10", "repl", "10.0.0.2:4000", "", "Binlog Dump GTID", "900", "", "", "-1",
		"11", "system user", "", "", "Daemon", "900", "", "", "-1",
	};
	static const char *trx[] = {"8", "30", "2", "0", "9", "3", "0", "1"};
	static const char *locks[] = {"9", "8"};
	static const char *replica_names[] = {"Slave_IO_Running", "Slave_SQL_Running", "Seconds_Behind_Master"};
	static const char *replica_new[] = {"Replica_IO_Running", "Replica_SQL_Running", "Seconds_Behind_Source"};
	static const char *replica_row[] = {"Yes", "Yes", "4"};
	static char vars_now[32], up[32], q[32], dq[32];
	struct rs r = {0};
	int i;
	switch (part) {
	case MY_PART_VARS:
		snprintf(vars_now, sizeof vars_now, "%.1f", sv->now);
		rs_alloc(&r, 1, 4);
		r.cell[0] = "0", r.cell[1] = "151", r.cell[2] = vars_now, r.cell[3] = "1";
		break;
	case MY_PART_STATUS:
		snprintf(up, sizeof up, "%.0f", sv->uptime);
		snprintf(q, sizeof q, "%lld", sv->questions);
		rs_alloc(&r, 9, 2);
		for (i = 0; i < 18; i++)
			r.cell[i] = status[i];
		r.cell[1] = up, r.cell[7] = q;
		break;
	case MY_PART_SESSIONS:
		rs_alloc(&r, sv->nsessions, 9);
		for (i = 0; i < sv->nsessions * 9; i++) {
			if (i < 5 * 9) {
				r.cell[i] = sessions[i];
			} else { /* more sleepers */
				snprintf(cells[i], sizeof cells[i], "%d", 100 + i / 9);
				cellp[i] = cells[i];
				r.cell[i] = i % 9 == 0 ? cellp[i] : i % 9 == 1 ? "app" : i % 9 == 4 ? "Sleep" : "0";
			}
		}
		break;
	case MY_PART_TRX:
		rs_alloc(&r, 2, 4);
		for (i = 0; i < 8; i++)
			r.cell[i] = trx[i];
		break;
	case MY_PART_LOCKS:
		rs_alloc(&r, 1, 2);
		r.cell[0] = locks[0], r.cell[1] = locks[1];
		break;
	case MY_PART_REPLICA:
		rs_alloc(&r, sv->replica, 3);
		for (i = 0; i < 3; i++)
			r.name[i] = sv->new_words ? replica_new[i] : replica_names[i];
		for (i = 0; i < 3 * sv->replica; i++)
			r.cell[i] = replica_row[i];
		break;
	case MY_PART_DIGESTS: /* two statements and the table-full row (empty digest) */
		snprintf(dq, sizeof dq, "%lld", sv->digest_calls);
		rs_alloc(&r, 3, 5);
		{
			const char *d[] = {"app", "abc", dq, "2000000000", "10", "app", "def", "5", "1000000000", "5",
					   "", "", "3", "1000", "0"};
			for (i = 0; i < 15; i++)
				r.cell[i] = d[i];
		}
		break;
	case MY_PART_AURORA: /* a writer and two readers; "is me" the last column */
		rs_alloc(&r, 3, 4);
		{
			const char *a[] = {"orders-1", "1", "0", sv->aurora_reader ? "0" : "1",
					   "orders-2", "0", "18.5", sv->aurora_reader ? "1" : "0",
					   "orders-3", "0", "2200", "0"};
			for (i = 0; i < 12; i++)
				r.cell[i] = a[i];
		}
		break;
	case MY_PART_THREADS_SUM: /* the sums of the sessions rows above */
		rs_alloc(&r, 1, 3);
		r.cell[MY_THREADS_CONNS] = "4", r.cell[MY_THREADS_RUNNING] = "1";
		r.cell[MY_THREADS_DUMP_HOSTS] = "10.0.0.2";
		break;
	case MY_PART_TRX_SUM: /* the sums of the transactions above */
		rs_alloc(&r, 1, 3);
		r.cell[MY_TRX_LONGEST] = "30", r.cell[MY_TRX_LOCK_WAITS] = "1", r.cell[MY_TRX_IDLE] = "1";
		break;
	case MY_PART_CONSUMER:
		rs_alloc(&r, 1, 1);
		r.cell[0] = sv->consumer_on ? "YES" : "NO";
		break;
	default:
		rs_alloc(&r, 0, 3);
	}
	return r;
}

static int asks(const struct my_state *c, int part)
{
	for (int i = 0; i < c->nparts; i++)
		if (c->parts[i] == part)
			return 1;
	return 0;
}

/* One sample: the batch built, answered by 'sv', parsed into 'out'. */
static char *sample(struct my_state *c, const struct server *sv, struct db_sample *out)
{
	char *sql = my_build_batch(c);
	struct rs r[MY_BATCH_MAX];
	struct err err = {0};
	for (int i = 0; i < c->nparts; i++)
		r[i] = answer(c->parts[i], sv);
	memset(out, 0, sizeof *out);
	CHECK(my_parse_batch(c, r, c->nparts, out, &err) == 0);
	for (int i = 0; i < c->nparts; i++)
		rs_free(&r[i]);
	return sql;
}

static struct my_state mariadb(void)
{
	struct my_state c = {.mariadb = 1, .vnum = 101119, .self_id = 7, .ps_on = 1, .can_process = 1,
			     .can_replica = 1, .can_digest = 1};
	snprintf(c.version, sizeof c.version, "10.11.19-MariaDB");
	snprintf(c.replica_sql, sizeof c.replica_sql, "SHOW REPLICA STATUS;");
	return c;
}

/* A MySQL server as the probe would have found it; 'aurora' its Aurora version or "". */
static struct my_state mysql(int vnum, const char *version, const char *aurora)
{
	struct my_state c = mariadb();
	c.mariadb = 0, c.vnum = vnum;
	snprintf(c.version, sizeof c.version, "%s", version);
	snprintf(c.aurora_version, sizeof c.aurora_version, "%s", aurora);
	return c;
}

/* SHOW GLOBAL STATUS on the first two samples and every tenth; between them
 * connections, running threads and lock waits come from the sample's own
 * rows, uptime moves on, and the rates of what was not read (commits,
 * statements) stand. */
static void status_now_and_then_figures_every_sample(void)
{
	struct my_state c = mariadb();
	struct rate_state rs = {0};
	struct server sv = {.now = 2000, .uptime = 1000, .nsessions = 5, .questions = 100, .digest_calls = 100};
	struct db_sample out;
	for (int n = 0; n < 12; n++) {
		char *sql = sample(&c, &sv, &out);
		CHECK(rates_apply(&rs, &out) == 0);
		int status = n < 2 || n == 10;
		CHECK(asks(&c, MY_PART_STATUS) == status);
		CHECK(sql && (strstr(sql, "SHOW GLOBAL STATUS") != NULL) == status);
		/* a primary is asked for replica status now and then, not every time */
		CHECK(asks(&c, MY_PART_REPLICA) == status);
		CHECK(out.health.uptime_s == sv.uptime && out.health.server_started == 1000);
		/* 5 threads: the system one is not a connection; ours and the dump thread are not running */
		CHECK(out.health.conns_used == 4 && out.health.active == 1);
		CHECK(out.health.waiting_on_lock == 1); /* INNODB_TRX's LOCK WAIT, not the status's 7 */
		/* statements from Questions alone, never from the digests: one source for the rate */
		CHECK(out.health.queries_total == (status ? sv.questions : -1));
		CHECK(out.health.longest_xact_s == 30 && out.health.idle_in_xact == 1);
		if (n >= 1) {
			CHECK(out.health.qps == 1000); /* stands between reads */
			CHECK(out.health.tps == 0);    /* Handler_commit did not move; stands between reads */
		}
		/* the waiting session is told who blocks it, from the second sample on */
		if (n >= 1) {
			CHECK(asks(&c, MY_PART_LOCKS));
			CHECK(out.nsessions == 3 && out.sessions[2].nblockers == 1 && out.sessions[2].blockers[0] == 8);
		}
		free(sql);
		engine_sample_release(&out);
		sv.now += 1, sv.uptime += 1, sv.questions += 1000, sv.digest_calls += 10;
	}
	rates_release(&rs);
	my_state_release(&c);
}

/* A replica is asked every sample; a server that stops being one, now and then. */
static void replica_status_every_sample_on_a_replica(void)
{
	struct my_state c = mariadb();
	struct server sv = {.now = 2000, .uptime = 1000, .nsessions = 5, .replica = 1};
	struct db_sample out;
	for (int n = 0; n < 5; n++) {
		free(sample(&c, &sv, &out));
		CHECK(asks(&c, MY_PART_REPLICA) && out.health.is_replica && out.standby.lag_s == 4);
		engine_sample_release(&out);
		sv.now += 1;
	}
	sv.replica = 0; /* promoted: RESET REPLICA ALL */
	free(sample(&c, &sv, &out));
	CHECK(asks(&c, MY_PART_REPLICA) && !out.health.is_replica);
	engine_sample_release(&out);
	free(sample(&c, &sv, &out));
	CHECK(!asks(&c, MY_PART_REPLICA));
	engine_sample_release(&out);
	my_state_release(&c);
}

/* Near the LIMIT the sessions are sorted first (busiest kept); at it, the
 * counts are the server's own (SHOW GLOBAL STATUS), not the rows'. */
static void many_sessions_sorted_and_counted_by_the_server(void)
{
	struct my_state c = mariadb();
	struct server sv = {.now = 2000, .uptime = 1000, .nsessions = 5};
	struct db_sample out;
	char *sql;
	for (int n = 0; n < 3; n++) {
		sql = sample(&c, &sv, &out);
		CHECK(strstr(sql, "FROM performance_schema.threads") && !strstr(sql, "ORDER BY PROCESSLIST_COMMAND"));
		free(sql);
		engine_sample_release(&out);
	}
	sv.nsessions = MY_SESSIONS_LIMIT;
	free(sample(&c, &sv, &out)); /* sample 3: the LIMIT reached, no status this time */
	engine_sample_release(&out);
	sql = sample(&c, &sv, &out);
	CHECK(strstr(sql, "ORDER BY PROCESSLIST_COMMAND") && asks(&c, MY_PART_STATUS));
	CHECK(out.health.conns_used == 99 && out.health.active == 42 - 1);
	free(sql);
	engine_sample_release(&out);
	my_state_release(&c);
}

/* Without PROCESS (or performance_schema), status is read every sample, as before. */
static void without_process_status_every_sample(void)
{
	struct my_state c = mariadb();
	c.can_process = 0;
	struct server sv = {.now = 2000, .uptime = 1000, .nsessions = 1, .questions = 55};
	struct db_sample out;
	for (int n = 0; n < 4; n++) {
		free(sample(&c, &sv, &out));
		CHECK(asks(&c, MY_PART_STATUS) && !asks(&c, MY_PART_TRX));
		CHECK(out.health.conns_used == 99 && out.health.queries_total == 55);
		engine_sample_release(&out);
	}
	my_state_release(&c);
}

/* MySQL 8.0 speaks its own words: Replica_* columns, data_lock_waits, server_uuid. */
static void mysql8_in_its_own_words(void)
{
	struct my_state c = mysql(80036, "8.0.36", "");
	struct server sv = {.now = 2000, .uptime = 1000, .nsessions = 5, .replica = 1, .new_words = 1};
	struct db_sample out;
	free(sample(&c, &sv, &out));
	CHECK(out.health.is_replica && out.standby.lag_s == 4 && out.standby.streaming && !out.standby.halted[0]);
	engine_sample_release(&out);
	char *sql = sample(&c, &sv, &out);
	CHECK(strstr(sql, "@@server_uuid") && strstr(sql, "performance_schema.data_lock_waits"));
	CHECK(!strstr(sql, "INNODB_LOCK_WAITS") && !strstr(sql, "replica_host_status"));
	CHECK_STR(out.health.version, "MySQL 8.0.36");
	free(sql);
	engine_sample_release(&out);
	my_state_release(&c);
}

/* Aurora MySQL: named by its own version; the writer lists its readers with
 * their lag, a reader is a replica with its own lag (no binlog replication). */
static void aurora_writer_and_reader(void)
{
	struct my_state c = mysql(80032, "8.0.32", "3.05.2");
	struct server sv = {.now = 2000, .uptime = 1000, .nsessions = 5};
	struct db_sample out;
	char *sql = sample(&c, &sv, &out);
	CHECK(strstr(sql, "information_schema.replica_host_status") && asks(&c, MY_PART_AURORA));
	CHECK_STR(out.health.version, "Aurora MySQL 3.05.2 (MySQL 8.0.32)");
	CHECK(!out.health.is_replica && out.nreplicas == 3); /* the dump thread's replica, and two readers */
	CHECK_STR(out.replicas[1].name, "orders-2");
	CHECK_STR(out.replicas[1].state, "aurora reader");
	CHECK(out.replicas[1].replay_lag_s == 0.0185 && out.replicas[2].replay_lag_s == 2.2);
	free(sql);
	engine_sample_release(&out);
	sv.aurora_reader = 1;
	free(sample(&c, &sv, &out));
	CHECK(out.health.is_replica && out.standby.lag_s == 0.0185 && out.standby.streaming);
	CHECK_STR(out.standby.sender_host, "orders-1");
	engine_sample_release(&out);
	my_state_release(&c);
}

/* Digests consumer off: statements/s from Questions (every tenth sample, the
 * rate standing between), and the queries pane says how to turn it on. */
static void no_digests_statements_from_questions(void)
{
	struct my_state c = mariadb();
	c.digests_off = 1;
	struct rate_state rs = {0};
	struct server sv = {.now = 2000, .uptime = 1000, .nsessions = 5, .questions = 100};
	struct db_sample out;
	for (int n = 0; n < 4; n++) {
		free(sample(&c, &sv, &out));
		CHECK(rates_apply(&rs, &out) == 0);
		CHECK(!asks(&c, MY_PART_DIGESTS) && out.nqueries == 0 && strstr(out.queries_note, "statements_digest"));
		if (n == 1)
			CHECK(out.health.queries_total == 200 && out.health.qps == 100);
		if (n > 1)
			CHECK(out.health.queries_total == -1 && out.health.qps == 100);
		engine_sample_release(&out);
		sv.now += 1, sv.questions += 100;
	}
	/* turned on: seen at the next tenth sample, and the digests are read from then on */
	sv.consumer_on = 1;
	for (int n = 4; n < 12; n++) {
		free(sample(&c, &sv, &out));
		CHECK(asks(&c, MY_PART_CONSUMER) == (n == 10));
		CHECK(asks(&c, MY_PART_DIGESTS) == (n > 10) && !strstr(out.queries_note, "statements_digest") == (n >= 10));
		engine_sample_release(&out);
		sv.now += 1;
	}
	rates_release(&rs);
	my_state_release(&c);
}

static int asks_sql(const char *sql, const char *what)
{
	return strstr(sql, what) != NULL;
}

/* The health probe asks what the fleet and lag panes show: no session,
 * transaction or digest rows, their sums instead, and the same figures. */
static void health_probe_asks_sums_not_rows(void)
{
	struct my_state c = mariadb();
	struct server sv = {.now = 2000, .uptime = 1000, .nsessions = 5, .questions = 100, .digest_calls = 100};
	struct db_sample out;
	for (int n = 0; n < 3; n++) {
		c.health = 1;
		char *sql = sample(&c, &sv, &out);
		CHECK(asks(&c, MY_PART_VARS) && asks(&c, MY_PART_THREADS_SUM) && asks(&c, MY_PART_TRX_SUM));
		CHECK(!asks(&c, MY_PART_SESSIONS) && !asks(&c, MY_PART_TRX) && !asks(&c, MY_PART_LOCKS));
		CHECK(!asks(&c, MY_PART_DIGESTS) && !asks(&c, MY_PART_TEXTS) && !asks(&c, MY_PART_CONSUMER));
		CHECK(!asks_sql(sql, "events_statements_summary_by_digest") && !asks_sql(sql, "PROCESSLIST_INFO"));
		CHECK(asks(&c, MY_PART_STATUS) == (n < 2));
		CHECK(out.nsessions == 0 && out.nqueries == 0);
		CHECK(out.health.conns_used == 4 && out.health.active == 1 && out.health.conns_max == 151);
		CHECK(out.health.longest_xact_s == 30 && out.health.idle_in_xact == 1 && out.health.waiting_on_lock == 1);
		CHECK(out.health.uptime_s == sv.uptime && !out.health.is_replica);
		/* the primary's replica, from its dump thread's host */
		CHECK(out.nreplicas == 1 && !strcmp(out.replicas[0].client, "10.0.0.2"));
		free(sql);
		engine_sample_release(&out);
		sv.now += 1, sv.uptime += 1;
	}
	/* the lock waits it counted do not make it read the lock tables: only a full sample does */
	c.health = 0;
	free(sample(&c, &sv, &out));
	CHECK(asks(&c, MY_PART_LOCKS) && asks(&c, MY_PART_SESSIONS) && asks(&c, MY_PART_DIGESTS));
	CHECK(out.nsessions == 3 && out.nqueries == 2 && out.health.conns_used == 4);
	engine_sample_release(&out);
	my_state_release(&c);
}

/* A replica's health probe: role, lag and its replication state, every sample. */
static void health_probe_on_a_replica(void)
{
	struct my_state c = mariadb();
	struct server sv = {.now = 2000, .uptime = 1000, .nsessions = 5, .replica = 1};
	struct db_sample out;
	for (int n = 0; n < 12; n++) {
		c.health = 1;
		free(sample(&c, &sv, &out));
		CHECK(asks(&c, MY_PART_REPLICA) && out.health.is_replica && out.standby.lag_s == 4);
		CHECK(out.standby.streaming && !out.standby.halted[0]);
		engine_sample_release(&out);
		sv.now += 1, sv.uptime += 1;
	}
	my_state_release(&c);
}

/* Health and full samples mixed, as attention moves: commits and statements
 * come from the status alone (never the digests), so their rates stay the
 * server's; gauges read the same from sums and rows; the consumer and the
 * digests are a full sample's business. */
static void health_and_detail_mixed_rates_stay_right(void)
{
	struct my_state c = mariadb();
	struct rate_state rs = {0};
	struct server sv = {.now = 2000, .uptime = 1000, .nsessions = 5, .questions = 100, .digest_calls = 7};
	struct db_sample out;
	static const int detail[] = {0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1};
	for (int n = 0; n < (int)(sizeof detail / sizeof detail[0]); n++) {
		c.health = !detail[n];
		char *sql = sample(&c, &sv, &out);
		CHECK(rates_apply(&rs, &out) == 0);
		int status = n < 2 || n % MY_STATUS_EVERY == 0;
		CHECK(asks(&c, MY_PART_STATUS) == status);
		CHECK(out.health.queries_total == (status ? sv.questions : -1));
		CHECK(out.health.conns_used == 4 && out.health.active == 1 && out.health.longest_xact_s == 30);
		CHECK(out.health.uptime_s == sv.uptime);
		CHECK(asks(&c, MY_PART_DIGESTS) == detail[n] && (out.nqueries > 0) == detail[n]);
		if (n >= 1)
			CHECK(out.health.qps == 250 && out.health.tps == 0);
		free(sql);
		engine_sample_release(&out);
		/* the digests grow by another amount: were they the source, qps would jump */
		sv.now += 2, sv.uptime += 2, sv.questions += 500, sv.digest_calls += 1000 * (n % 3);
	}
	rates_release(&rs);
	my_state_release(&c);
}

/* Without performance_schema, the health probe reads the status every sample
 * (connections, running threads) and the transactions' sums with PROCESS. */
static void health_probe_without_performance_schema(void)
{
	struct my_state c = mariadb();
	c.can_digest = 0, c.ps_on = 0;
	struct server sv = {.now = 2000, .uptime = 1000, .nsessions = 5, .questions = 55};
	struct db_sample out;
	for (int n = 0; n < 3; n++) {
		c.health = 1;
		char *sql = sample(&c, &sv, &out);
		CHECK(asks(&c, MY_PART_STATUS) && !asks(&c, MY_PART_THREADS_SUM) && asks(&c, MY_PART_TRX_SUM));
		CHECK(!asks_sql(sql, "performance_schema"));
		CHECK(out.health.conns_used == 99 && out.health.active == 41 && out.health.queries_total == 55);
		CHECK(out.health.longest_xact_s == 30);
		free(sql);
		engine_sample_release(&out);
	}
	my_state_release(&c);
}

/* dbfleet resolves a TCP host name itself (a DNS server that never answers
 * must not hold a pool worker in Connector/C); sockets and addresses need none. */
static void lookup_host_names_tcp_hosts_only(void)
{
	char host[256] = "";
	int port = 0;
	CHECK(engine_mysql_ops.lookup_host("mysql://mon@orders-db.example.com:3307/app", host, sizeof host, &port) == 1);
	CHECK_STR(host, "orders-db.example.com");
	CHECK(port == 3307);
	CHECK(engine_mysql_ops.lookup_host("mariadb://mon@db1/", host, sizeof host, &port) == 1 && port == 3306);
	CHECK(engine_mysql_ops.lookup_host("mysql://mon@10.0.1.5:3306/", host, sizeof host, &port) == 0);
	CHECK(engine_mysql_ops.lookup_host("mysql://mon@localhost/?socket=/run/mysqld/mysqld.sock", host, sizeof host,
					   &port) == 0);
	CHECK(engine_mysql_ops.lookup_host("not a dsn", host, sizeof host, &port) == 0);
}

/* What the identity check sent; its answer: the server shown, the connection gone. */
static char sent[4][2048];
static int nsent;

static int record_run(void *ctx, const char *sql, struct rs *out)
{
	(void)ctx;
	if (nsent < 4)
		snprintf(sent[nsent++], sizeof sent[0], "%s", sql);
	rs_alloc(out, 1, 3);
	out->cell[0] = "1", out->cell[1] = "1000", out->cell[2] = "0";
	return 0;
}

/* 'sql' without its X'hex' literals and its one fixed literal: what is left
 * must hold no quote, no backslash and no byte of the user's. */
static int only_hex_literals(const char *sql)
{
	char rest[2048];
	size_t o = 0;
	for (const char *p = sql; *p && o + 1 < sizeof rest;) {
		if (p[0] == 'X' && p[1] == '\'') {
			p += 2;
			while (strchr("0123456789ABCDEF", *p) && *p)
				p++;
			if (*p++ != '\'')
				return 0;
		} else if (!strncmp(p, "'Uptime'", 8)) {
			p += 8;
		} else {
			rest[o++] = *p++;
		}
	}
	rest[o] = '\0';
	for (const unsigned char *p = (const unsigned char *)rest; *p; p++)
		if (*p == '\'' || *p == '\\' || *p == '"' || *p >= 0x80)
			return 0;
	return 1;
}

/* A user and a host with a quote, a backslash and gbk's lead byte 0xbf (0xbf
 * 0x27 is one character to the server under gbk, so a quote doubled by hand
 * closes the literal): they reach the identity check as hex literals only. */
static void identity_check_sends_user_and_host_as_hex(void)
{
	struct my_state c = mariadb();
	struct db_action a = {.kind = ACT_TERMINATE, .pid = 42, .server_started = 1000};
	snprintf(a.server_id, sizeof a.server_id, "1");
	snprintf(a.user, sizeof a.user, "o'b\\\xbf' OR 1=1 -- ");
	snprintf(a.client, sizeof a.client, "h\xbf'%%_\\:5000");
	char outcome[200] = "";
	struct err e = {0};
	nsent = 0;
	CHECK(my_action(&c, &a, record_run, NULL, NULL, outcome, sizeof outcome, &e) == -1);
	CHECK(e.code == ERR_REFUSED && strstr(e.msg, "connection 42 is not"));
	CHECK(nsent == 1); /* the check only: nothing sent to the connection */
	CHECK(only_hex_literals(sent[0]));
	/* o ' b \ 0xbf ' space O R ... as digits */
	CHECK(strstr(sent[0], "USER = X'6F27625CBF27204F5220313D31202D2D20'") != NULL);
	CHECK(strstr(sent[0], "HOST = X'68BF27255F5C3A35303030'") != NULL);
	/* the LIKE pattern "host:%" with the host's own %, _ and \ escaped */
	CHECK(strstr(sent[0], "HOST LIKE X'68BF275C255C5F5C5C3A353030303A25'") != NULL);
	CHECK(strstr(sent[0], "WHERE ID = 42 ") != NULL);
}

/* Rows of text into a result: 'n' rows of 'cols' cells from 'cell' (row-major, NULL is SQL NULL). */
static void rows_of(struct rs *r, int n, int cols, const char *const *cell)
{
	rs_alloc(r, n, cols);
	for (int i = 0; i < n * cols; i++)
		r->cell[i] = cell[i];
}

static const char *const queue_sessions[] = {
	"8", "app", "web1:5000", "app", "Sleep", "30", "", "", "30",
	"9", "app", "web2:5001", "app", "Query", "3", "Waiting for table metadata lock", "ALTER TABLE t ADD x int", "-1",
	"11", "app", "web3:5002", "app", "Query", "2", "Waiting for table metadata lock", "SELECT * FROM t", "-1",
	"12", "app", "web4:5003", "app", "Query", "2", "Sending data", "SELECT * FROM other", "-1",
};

/* The lock queue 'parse' made of queue_sessions: 8 holds t, 9's ALTER waits for it, 11's SELECT for 9. */
static void check_queue(const struct db_triage *t, const char *ddl_lock)
{
	CHECK(t->nlockq == 3); /* 12 waits for nothing and blocks no one */
	const struct db_session *q[3] = {NULL};
	for (size_t i = 0; i < t->nlockq && i < 3; i++)
		q[i] = &t->lockq[i];
	CHECK(q[0] && q[0]->pid == 8 && q[0]->nblockers == 0 && !strcmp(q[0]->state, "idle in transaction"));
	CHECK(q[1] && q[1]->pid == 9 && q[1]->nblockers == 1 && q[1]->blockers[0] == 8 && !strcmp(q[1]->lock, ddl_lock));
	CHECK(q[2] && q[2]->pid == 11 && q[2]->nblockers == 1 && q[2]->blockers[0] == 9);
}

/* MySQL 8 (and MariaDB with the instrument on): performance_schema.metadata_locks, granted and
 * pending, make the tree holder -> ALTER -> SELECT; the batch reads it only with the triage flag. */
static void metadata_lock_queue_from_performance_schema(void)
{
	struct my_state c = {.can_process = 1, .can_digest = 1, .vnum = 80032, .health = 1};
	char *sql = my_build_batch(&c);
	CHECK(sql && !strstr(sql, "metadata") && !strstr(sql, "BINARY LOGS")); /* no triage: not a byte more */
	free(sql);
	c.triage = 1;
	sql = my_build_batch(&c);
	/* the first triage sample learns where the locks are */
	CHECK(sql && strstr(sql, "wait/lock/metadata/sql/mdl") && !strstr(sql, "performance_schema.metadata_locks"));
	CHECK(asks(&c, MY_PART_MDL_SOURCE) && asks(&c, MY_PART_HISTORY) && !asks(&c, MY_PART_MDL));
	free(sql);
	struct rs src = {0};
	struct db_sample out = {0};
	rows_of(&src, 1, 4, (const char *const[]){"YES", "1", "0", "1"});
	CHECK(my_parse_triage(&c, MY_PART_MDL_SOURCE, &src, &out) == 0 && c.mdl_source == MY_MDL_PS);
	my_triage_notes(&c, &out.triage);
	CHECK(!out.triage.lock_note[0] && out.triage.binlog_on);
	sql = my_build_batch(&c);
	CHECK(sql && strstr(sql, "performance_schema.metadata_locks") && strstr(sql, "SHOW BINARY LOGS"));
	CHECK(asks(&c, MY_PART_MDL) && asks(&c, MY_PART_MDL_SESSIONS) && asks(&c, MY_PART_BINLOGS));
	/* the source is asked again now and then, not every sample (about 1 ms of the server's time) */
	CHECK(!asks(&c, MY_PART_MDL_SOURCE));
	for (int k = 2; k <= MY_MDL_SOURCE_EVERY; k++) {
		free(sql);
		sql = my_build_batch(&c);
		CHECK(asks(&c, MY_PART_MDL_SOURCE) == (k == MY_MDL_SOURCE_EVERY));
	}
	free(sql);
	static const char *const locks[] = {
		"8", "app", "t", "SHARED_WRITE", "GRANTED",     "9", "app", "t", "SHARED_UPGRADABLE", "GRANTED",
		"9", "app", "t", "EXCLUSIVE", "PENDING",        "11", "app", "t", "SHARED_READ", "PENDING",
		"12", "app", "other", "SHARED_READ", "GRANTED",
	};
	struct rs r[2] = {{0}};
	rows_of(&r[0], 5, 5, locks);
	rows_of(&r[1], 4, 9, queue_sessions);
	CHECK(my_parse_triage(&c, MY_PART_MDL_SESSIONS, &r[1], &out) == 0);
	check_queue(&out.triage, "MDL EXCLUSIVE on app.t");
	CHECK(!strcmp(out.triage.lockq[2].lock, "MDL SHARED_READ on app.t"));
	engine_sample_release(&out);
	rs_free(&r[0]);
	rs_free(&r[1]);
	rs_free(&src);
	my_state_release(&c);
}

/* MariaDB's metadata_lock_info plugin lists granted locks only: the ALTER is the waiter holding
 * an upgradable lock, the SELECT waits for the ALTER on the table its text names. With neither
 * source, the pane is told why and how to turn one on. */
static void metadata_lock_queue_from_the_plugin_or_a_note(void)
{
	struct my_state c = {.can_process = 1, .can_digest = 1, .mariadb = 1, .vnum = 101119, .health = 1, .triage = 1};
	struct rs src = {0};
	struct db_sample out = {0};
	rows_of(&src, 1, 4, (const char *const[]){"NO", "1", "0", "0"});
	CHECK(my_parse_triage(&c, MY_PART_MDL_SOURCE, &src, &out) == 0 && c.mdl_source == MY_MDL_NONE);
	my_triage_notes(&c, &out.triage);
	CHECK(strstr(out.triage.lock_note, "instrument is off") && strstr(out.triage.lock_fix, "INSTALL SONAME"));
	char *sql = my_build_batch(&c);
	CHECK(sql && !asks(&c, MY_PART_MDL) && !asks(&c, MY_PART_BINLOGS)); /* log_bin off: no SHOW BINARY LOGS */
	free(sql);
	rs_free(&src);
	memset(&out, 0, sizeof out);
	rows_of(&src, 1, 4, (const char *const[]){NULL, "0", "1", "1"});
	CHECK(my_parse_triage(&c, MY_PART_MDL_SOURCE, &src, &out) == 0 && c.mdl_source == MY_MDL_PLUGIN);
	my_triage_notes(&c, &out.triage);
	CHECK(!out.triage.lock_note[0]);
	sql = my_build_batch(&c);
	CHECK(sql && strstr(sql, "METADATA_LOCK_INFO WHERE") && asks(&c, MY_PART_MDL_SESSIONS));
	free(sql);
	static const char *const locks[] = {
		"8", "app", "t", "MDL_SHARED_WRITE", "GRANTED", "9", "app", "t", "MDL_SHARED_UPGRADABLE", "GRANTED",
		"12", "app", "other", "MDL_SHARED_READ", "GRANTED",
	};
	struct rs r[2] = {{0}};
	rows_of(&r[0], 3, 5, locks);
	rows_of(&r[1], 4, 9, queue_sessions);
	CHECK(my_parse_triage(&c, MY_PART_MDL_SESSIONS, &r[1], &out) == 0);
	check_queue(&out.triage, "MDL upgrade on app.t");
	engine_sample_release(&out);
	rs_free(&r[0]);
	rs_free(&r[1]);
	rs_free(&src);
	my_state_release(&c);
}

/* A promote's statements reach a runner that answers the checks and the first
 * 'answer' statements, then loses the connection ('lose') or says nothing more. */
static int promote_answer, promote_lose, promote_sent;
static char steps_heard[4][256];
static int nheard, give_up_at = -1;

static int promote_run(void *ctx, const char *sql, struct rs *out)
{
	(void)ctx;
	int stmt = strncmp(sql, "SELECT", 6) && strncmp(sql, "SHOW", 4);
	if (stmt && promote_sent++ >= promote_answer && promote_lose) {
		memset(out, 0, sizeof *out);
		snprintf(out->error, sizeof out->error, "Lost connection to server during query (error 2013)");
		return -2;
	}
	return record_run(ctx, sql, out);
}

static int heard(void *ctx, int answered, const char *said)
{
	(void)ctx;
	if (nheard < 4)
		snprintf(steps_heard[nheard++], sizeof steps_heard[0], "%s", said);
	return answered == give_up_at ? -1 : 0;
}

static int promote(int answer, int lose, int give_up, struct err *e)
{
	struct my_state c = mariadb();
	struct db_action a = {.kind = ACT_PROMOTE, .server_started = 1000};
	snprintf(a.server_id, sizeof a.server_id, "1");
	struct engine_steps steps = {heard, NULL};
	char outcome[200] = "";
	promote_answer = answer, promote_lose = lose, promote_sent = 0, give_up_at = give_up;
	nheard = nsent = 0;
	*e = (struct err){0};
	return my_action(&c, &a, promote_run, NULL, &steps, outcome, sizeof outcome, e);
}

/* A promote tells how far it got before each statement; given up on, it sends no more,
 * and every message names what was answered, what was sent and what was not. */
static void promote_reports_each_statement_and_stops_when_given_up(void)
{
	struct err e;
	CHECK(promote(3, 0, 1, &e) == -1);
	CHECK(promote_sent == 1 && nheard == 2); /* STOP REPLICA sent and answered; nothing after it */
	CHECK(!strcmp(steps_heard[0], "STOP REPLICA sent, no answer; RESET REPLICA ALL not sent; SET GLOBAL"
				      " read_only = OFF not sent: replication may be stopped; the server is still"
				      " read-only"));
	CHECK(strstr(steps_heard[1], "STOP REPLICA answered; RESET REPLICA ALL sent, no answer;") == steps_heard[1]);
	CHECK(!strcmp(e.msg, "stopped: dbfleet gave up on it: STOP REPLICA answered; RESET REPLICA ALL not sent;"
			     " SET GLOBAL read_only = OFF not sent: the server is left with replication stopped and"
			     " read-only"));
	/* the link lost on the second: it may have run, the third did not */
	CHECK(promote(1, 1, -1, &e) == -1);
	CHECK(promote_sent == 2);
	CHECK(strstr(e.msg, "STOP REPLICA answered; RESET REPLICA ALL sent, no answer (Lost connection") == e.msg);
	CHECK(strstr(e.msg, "SET GLOBAL read_only = OFF not sent: the server is left with replication stopped"
			    " (perhaps reset) and read-only") != NULL);
	/* all three answered: the last report says so */
	CHECK(promote(3, 0, -1, &e) == 0);
	CHECK(promote_sent == 3 && nheard == 4);
	CHECK(!strcmp(steps_heard[3], "STOP REPLICA answered; RESET REPLICA ALL answered; SET GLOBAL read_only ="
				      " OFF answered"));
}

int main(void)
{
	RUN(metadata_lock_queue_from_performance_schema);
	RUN(metadata_lock_queue_from_the_plugin_or_a_note);
	RUN(status_now_and_then_figures_every_sample);
	RUN(replica_status_every_sample_on_a_replica);
	RUN(many_sessions_sorted_and_counted_by_the_server);
	RUN(without_process_status_every_sample);
	RUN(mysql8_in_its_own_words);
	RUN(aurora_writer_and_reader);
	RUN(no_digests_statements_from_questions);
	RUN(health_probe_asks_sums_not_rows);
	RUN(health_probe_on_a_replica);
	RUN(health_and_detail_mixed_rates_stay_right);
	RUN(health_probe_without_performance_schema);
	RUN(lookup_host_names_tcp_hosts_only);
	RUN(identity_check_sends_user_and_host_as_hex);
	RUN(promote_reports_each_statement_and_stops_when_given_up);
	return check_total_failed;
}
