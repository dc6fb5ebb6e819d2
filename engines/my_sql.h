/* my_sql.h - the SQL the MySQL/MariaDB engine sends, in one place. */
#ifndef DBFLEET_MY_SQL_H
#define DBFLEET_MY_SQL_H

/* the most sessions, transactions and lock waits a sample reads (the engine counts against it too) */
#define MY_SESSIONS_LIMIT 500
#define MY_SQL_STR_(x) #x
#define MY_SQL_STR(x) MY_SQL_STR_(x)
#define MY_SQL_SESSIONS_LIMIT " LIMIT " MY_SQL_STR(MY_SESSIONS_LIMIT) ";"

/* once per connection */
#define MY_SQL_PROBE \
	"SELECT @@version, @@version_comment, CONNECTION_ID(), @@performance_schema, CURRENT_USER()"
/* once per connection, MySQL only: Aurora MySQL answers, others fail (ERROR 1193) */
#define MY_SQL_AURORA_PROBE "SELECT @@aurora_version, @@aurora_server_id"
/* each tried once per connection: which privileges the monitoring user has */
#define MY_SQL_CAN_PROCESS "SELECT COUNT(*) FROM information_schema.INNODB_TRX"
/* once per connection, with SELECT on performance_schema: are digests collected at all */
#define MY_SQL_DIGESTS_ON \
	"SELECT ENABLED FROM performance_schema.setup_consumers WHERE NAME = 'statements_digest'"
#define MY_SQL_CAN_DIGEST \
	"SELECT COUNT(*) FROM performance_schema.events_statements_summary_by_digest WHERE 1 = 0"

/* result 0: health variables; the last is the server's identity (ids restart with it) */
#define MY_SQL_VARS_MARIADB \
	"SELECT @@read_only, @@max_connections, UNIX_TIMESTAMP(NOW(6)), @@server_id;"
#define MY_SQL_VARS_MYSQL \
	"SELECT @@read_only, @@max_connections, UNIX_TIMESTAMP(NOW(6)), @@server_uuid;"

/* once per connection: is this RDS, whose users KILL through procedures */
#define MY_SQL_RDS_PROCS \
	"SELECT COUNT(*) FROM information_schema.ROUTINES" \
	" WHERE ROUTINE_SCHEMA = 'mysql' AND ROUTINE_NAME = 'rds_kill'"

/* actions: the server and the connection still what was shown (MariaDB keeps
 * GLOBAL_STATUS in information_schema, MySQL 5.7+ in performance_schema) */
#define MY_SQL_IDENTITY \
	"SELECT %s, UNIX_TIMESTAMP() - VARIABLE_VALUE, (SELECT COUNT(*) FROM information_schema.PROCESSLIST" \
	" WHERE ID = %d AND USER = X'%s' AND (HOST = X'%s' OR HOST LIKE X'%s'))" \
	" FROM %s.GLOBAL_STATUS WHERE VARIABLE_NAME = 'Uptime'"
/* (the user and host go in as hex literals, X'...': no byte of theirs is read
 * as SQL whatever the connection's character set: under gbk, big5 or sjis a
 * quote doubled by hand can become the second byte of a character) */
/* (performance_schema.threads shows the host without the port PROCESSLIST has) */

/* result 1: counters */
#define MY_SQL_STATUS \
	"SHOW GLOBAL STATUS WHERE Variable_name IN ('Uptime', 'Threads_connected'," \
	" 'Threads_running', 'Questions', 'Handler_commit', 'Handler_rollback'," \
	" 'Innodb_buffer_pool_read_requests', 'Innodb_buffer_pool_reads'," \
	" 'Innodb_row_lock_current_waits');"

/* result 2: sessions with their transaction age (INNODB_TRX needs PROCESS) */
#define MY_SQL_SESSIONS_SELECT \
	"SELECT p.ID, p.USER, p.HOST, COALESCE(p.DB, ''), p.COMMAND, p.TIME, COALESCE(p.STATE, '')," \
	" LEFT(COALESCE(p.INFO, ''), 2048), "
#define MY_SQL_SESSIONS_ORDER " ORDER BY p.COMMAND = 'Sleep', p.TIME DESC" MY_SQL_SESSIONS_LIMIT
#define MY_SQL_SESSIONS \
	MY_SQL_SESSIONS_SELECT "COALESCE(TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), -1)" \
	" FROM information_schema.PROCESSLIST p" \
	" LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID" MY_SQL_SESSIONS_ORDER
#define MY_SQL_SESSIONS_OWN \
	MY_SQL_SESSIONS_SELECT "-1 FROM information_schema.PROCESSLIST p" MY_SQL_SESSIONS_ORDER

/* cheaper and mutex-free (MariaDB with performance_schema, MySQL 5.6+): the
 * sessions from performance_schema.threads, transaction ages beside them */
#define MY_SQL_SESSIONS_PS_FROM \
	"SELECT PROCESSLIST_ID, PROCESSLIST_USER, PROCESSLIST_HOST, COALESCE(PROCESSLIST_DB, '')," \
	" PROCESSLIST_COMMAND, PROCESSLIST_TIME, COALESCE(PROCESSLIST_STATE, '')," \
	" LEFT(COALESCE(PROCESSLIST_INFO, ''), 2048), -1 FROM performance_schema.threads" \
	" WHERE TYPE = 'FOREGROUND' AND PROCESSLIST_ID IS NOT NULL"
/* sorting costs the server a tenth of the sample: only near the LIMIT, where
 * it decides which sessions are seen (the panes sort for themselves) */
#define MY_SQL_SESSIONS_PS MY_SQL_SESSIONS_PS_FROM MY_SQL_SESSIONS_LIMIT
#define MY_SQL_SESSIONS_PS_BUSY \
	MY_SQL_SESSIONS_PS_FROM " ORDER BY PROCESSLIST_COMMAND = 'Sleep', PROCESSLIST_TIME DESC" MY_SQL_SESSIONS_LIMIT
#define MY_SQL_TRX \
	"SELECT trx_mysql_thread_id, TIMESTAMPDIFF(SECOND, trx_started, NOW()), trx_rows_locked," \
	" trx_state = 'LOCK WAIT' FROM information_schema.INNODB_TRX" MY_SQL_SESSIONS_LIMIT

/* The health probe (ENGINE_HEALTH) reads none of the rows above: the same
 * figures as sums, one row each. Measured on MariaDB 10.11 (server time per
 * statement, the lab): these two 0.12 and 0.14 ms, the sessions rows 0.15 ms,
 * any GLOBAL_STATUS read about 0.4 ms however few variables it names
 * (information_schema, performance_schema and SHOW alike), the digests 0.65 ms.
 * Columns: connections as Threads_connected counts them (a replica's dump
 * thread too), running as parse_sessions counts them (no system threads, not
 * us), the hosts of the replicas' dump threads, comma-separated. */
#define MY_SQL_THREADS_SUM \
	"SELECT COALESCE(SUM(COALESCE(PROCESSLIST_USER, '') <> 'system user' AND PROCESSLIST_COMMAND <> 'Daemon'), 0)," \
	" COALESCE(SUM(COALESCE(PROCESSLIST_USER, '') <> 'system user' AND PROCESSLIST_COMMAND NOT IN ('Sleep', 'Daemon')" \
	" AND LEFT(PROCESSLIST_COMMAND, 6) <> 'Slave_' AND LEFT(PROCESSLIST_COMMAND, 11) <> 'Binlog Dump'" \
	" AND PROCESSLIST_ID <> CONNECTION_ID()), 0)," \
	" COALESCE(GROUP_CONCAT(IF(LEFT(PROCESSLIST_COMMAND, 11) = 'Binlog Dump', PROCESSLIST_HOST, NULL)), '')" \
	" FROM performance_schema.threads WHERE TYPE = 'FOREGROUND' AND PROCESSLIST_ID IS NOT NULL;"
enum { MY_THREADS_CONNS, MY_THREADS_RUNNING, MY_THREADS_DUMP_HOSTS };
/* open transactions but ours: the longest's age (-1 none), how many wait for a
 * row lock, how many run no statement (idle in transaction) */
#define MY_SQL_TRX_SUM \
	"SELECT COALESCE(MAX(TIMESTAMPDIFF(SECOND, trx_started, NOW())), -1)," \
	" COALESCE(SUM(trx_state = 'LOCK WAIT'), 0), COALESCE(SUM(trx_query IS NULL), 0)" \
	" FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id <> CONNECTION_ID();"
enum { MY_TRX_LONGEST, MY_TRX_LOCK_WAITS, MY_TRX_IDLE };

/* result 3: who waits for whom (MariaDB, MySQL 5.7) */
#define MY_SQL_LOCKS_INNODB \
	"SELECT r.trx_mysql_thread_id, b.trx_mysql_thread_id" \
	" FROM information_schema.INNODB_LOCK_WAITS w" \
	" JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id" \
	" JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id" MY_SQL_SESSIONS_LIMIT
/* the same on MySQL 8.0+ */
#define MY_SQL_LOCKS_PS \
	"SELECT rt.PROCESSLIST_ID, bt.PROCESSLIST_ID FROM performance_schema.data_lock_waits w" \
	" JOIN performance_schema.threads rt ON rt.THREAD_ID = w.REQUESTING_THREAD_ID" \
	" JOIN performance_schema.threads bt ON bt.THREAD_ID = w.BLOCKING_THREAD_ID" MY_SQL_SESSIONS_LIMIT

/* then the replica status statement the server speaks (SHOW REPLICA/SLAVE STATUS) */

/* Aurora MySQL: readers share the writer's storage and are no binlog replicas
 * (SHOW REPLICA STATUS is empty on them); the cluster's instances and their
 * lag, minus readers that stopped reporting five minutes ago */
#define MY_SQL_AURORA_REPLICAS \
	"SELECT SERVER_ID, SESSION_ID = 'MASTER_SESSION_ID', REPLICA_LAG_IN_MILLISECONDS," \
	" SERVER_ID = @@aurora_server_id FROM information_schema.replica_host_status" \
	" WHERE SESSION_ID = 'MASTER_SESSION_ID'" \
	" OR TIME_TO_SEC(TIMEDIFF(NOW(), LAST_UPDATE_TIMESTAMP)) <= 300 LIMIT 64;"

/* digest counters; timers are picoseconds. The NULL digest's row holds what
 * came after the table filled up: counted in the statement total only. */
#define MY_SQL_DIGESTS \
	"SELECT COALESCE(SCHEMA_NAME, ''), COALESCE(DIGEST, ''), COUNT_STAR, SUM_TIMER_WAIT," \
	" SUM_ROWS_SENT + SUM_ROWS_AFFECTED" \
	" FROM performance_schema.events_statements_summary_by_digest;"

/* texts for digests not cached yet (the list is hex digests we read ourselves) */
#define MY_SQL_TEXTS \
	"SELECT COALESCE(SCHEMA_NAME, ''), DIGEST, DIGEST_TEXT" \
	" FROM performance_schema.events_statements_summary_by_digest WHERE DIGEST IN (%s);"

/*
 * The triage pane's statements (ENGINE_TRIAGE), last in the batch: a failing
 * one (a privilege, binary logging off) stops only those after it.
 */
/* where metadata locks can be read: performance_schema's instrument (on by default in
 * MySQL, off in MariaDB), the metadata_lock_info plugin (MariaDB) */
#define MY_SQL_MDL_SOURCE_PS \
	"SELECT (SELECT ENABLED FROM performance_schema.setup_instruments" \
	" WHERE NAME = 'wait/lock/metadata/sql/mdl'), @@performance_schema," \
	" (SELECT COUNT(*) FROM information_schema.PLUGINS" \
	" WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'), @@log_bin;"
#define MY_SQL_MDL_SOURCE \
	"SELECT NULL, @@performance_schema, (SELECT COUNT(*) FROM information_schema.PLUGINS" \
	" WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'), @@log_bin;"
enum { MY_MDLSRC_INSTRUMENT, MY_MDLSRC_PS, MY_MDLSRC_PLUGIN, MY_MDLSRC_LOG_BIN };
/* table metadata locks: who holds or waits for which, by connection id */
#define MY_SQL_MDL_PS \
	"SELECT t.PROCESSLIST_ID, COALESCE(m.OBJECT_SCHEMA, ''), COALESCE(m.OBJECT_NAME, ''), m.LOCK_TYPE," \
	" m.LOCK_STATUS FROM performance_schema.metadata_locks m" \
	" JOIN performance_schema.threads t ON t.THREAD_ID = m.OWNER_THREAD_ID" \
	" WHERE m.OBJECT_TYPE = 'TABLE' AND t.PROCESSLIST_ID IS NOT NULL" \
	" AND t.PROCESSLIST_ID <> CONNECTION_ID()" MY_SQL_SESSIONS_LIMIT
/* the plugin lists granted locks only: waiters come from the processlist's state */
#define MY_SQL_MDL_PLUGIN \
	"SELECT THREAD_ID, TABLE_SCHEMA, TABLE_NAME, LOCK_MODE, 'GRANTED'" \
	" FROM information_schema.METADATA_LOCK_INFO WHERE TABLE_NAME <> ''" \
	" AND THREAD_ID <> CONNECTION_ID()" MY_SQL_SESSIONS_LIMIT
enum { MY_MDL_ID, MY_MDL_SCHEMA, MY_MDL_TABLE, MY_MDL_TYPE, MY_MDL_STATUS };
/* the sessions of the queue (the sessions statement's columns): those waiting for a
 * metadata lock, those with an open transaction, those running a statement */
#define MY_SQL_MDL_SESSIONS \
	MY_SQL_SESSIONS_SELECT "COALESCE(TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), -1)" \
	" FROM information_schema.PROCESSLIST p" \
	" LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID" \
	" WHERE p.ID <> CONNECTION_ID() AND (p.COMMAND <> 'Sleep' OR t.trx_started IS NOT NULL)" \
	" AND p.USER <> 'system user'" MY_SQL_SESSIONS_ORDER
/* purge lag: the history list length and the oldest transactions that hold it back */
#define MY_SQL_HISTORY \
	"SELECT (SELECT COUNT FROM information_schema.INNODB_METRICS WHERE NAME = 'trx_rseg_history_len')," \
	" t.trx_mysql_thread_id, TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), COALESCE(p.USER, '')," \
	" COALESCE(p.HOST, ''), COALESCE(p.DB, ''), t.trx_state" \
	" FROM (SELECT 1) one LEFT JOIN (SELECT trx_mysql_thread_id, trx_started, trx_state" \
	"  FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id <> CONNECTION_ID()" \
	"  ORDER BY trx_started LIMIT 5) t ON 1 = 1" \
	" LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id ORDER BY 3 DESC;"
enum { MY_HIST_LEN, MY_HIST_ID, MY_HIST_AGE, MY_HIST_USER, MY_HIST_HOST, MY_HIST_DB, MY_HIST_STATE };
/* binary logs on disk (BINLOG MONITOR, REPLICATION CLIENT or SUPER) */
#define MY_SQL_BINLOGS "SHOW BINARY LOGS;"

#endif
