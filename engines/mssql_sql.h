/* mssql_sql.h - every statement of the SQL Server dialect, in one place. [doc] */
#ifndef DBFLEET_MSSQL_SQL_H
#define DBFLEET_MSSQL_SQL_H

/* once: version, our spid, and whether we hold VIEW SERVER STATE */
#define MSSQL_SQL_PROBE \
	"SELECT CAST(SERVERPROPERTY('ProductMajorVersion') AS int), @@SPID," \
	" HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW SERVER STATE')"

/* 0: version, uptime, server clock (epoch s), max connections */
#define MSSQL_SQL_HEALTH \
	"SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(32)), DATEDIFF(SECOND," \
	" sqlserver_start_time, SYSDATETIME()), DATEDIFF_BIG(MILLISECOND, '19700101', SYSUTCDATETIME()) / 1000.0," \
	" @@MAX_CONNECTIONS FROM sys.dm_os_sys_info;\n"

/* 1: cumulative counters (the "/sec" ones are totals since start) */
#define MSSQL_SQL_COUNTERS \
	"SELECT RTRIM(counter_name), cntr_value FROM sys.dm_os_performance_counters" \
	" WHERE (counter_name IN ('Batch Requests/sec', 'User Connections', 'Buffer cache hit ratio'," \
	" 'Buffer cache hit ratio base', 'Processes blocked') AND instance_name = '')" \
	" OR (counter_name = 'Transactions/sec' AND instance_name = '_Total');\n"

/* 2: user sessions, their request, transaction and blocker */
#define MSSQL_SQL_SESSIONS \
	"SELECT TOP 500 s.session_id, s.login_name, DB_NAME(s.database_id), s.program_name, s.host_name," \
	" s.status, r.wait_type, DATEDIFF(SECOND, r.start_time, GETDATE())," \
	" DATEDIFF(SECOND, t.transaction_begin_time, GETDATE()), r.blocking_session_id," \
	" CONVERT(varchar(27), s.login_time, 121), LEFT(st.text, 2048)" \
	" FROM sys.dm_exec_sessions s LEFT JOIN sys.dm_exec_requests r ON r.session_id = s.session_id" \
	" OUTER APPLY sys.dm_exec_sql_text(r.sql_handle) st" \
	" LEFT JOIN sys.dm_tran_session_transactions tst ON tst.session_id = s.session_id" \
	" LEFT JOIN sys.dm_tran_active_transactions t ON t.transaction_id = tst.transaction_id" \
	" WHERE s.is_user_process = 1 ORDER BY CASE WHEN s.status = 'sleeping' THEN 1 ELSE 0 END, r.start_time;\n"

/* 3: Always On replicas (RDS Multi-AZ, read replicas); queues are KB */
#define MSSQL_SQL_HADR \
	"SELECT ar.replica_server_name, drs.is_local, drs.is_primary_replica," \
	" drs.synchronization_state_desc, ISNULL(drs.log_send_queue_size, 0) + ISNULL(drs.redo_queue_size, 0)," \
	" DATEDIFF(SECOND, drs.last_commit_time, GETDATE()), ar.availability_mode_desc" \
	" FROM sys.dm_hadr_database_replica_states drs" \
	" JOIN sys.availability_replicas ar ON ar.replica_id = drs.replica_id;\n"

/* 4: statement counters by query_hash; elapsed time is microseconds */
#define MSSQL_SQL_STATS \
	"SELECT TOP 2000 CONVERT(varchar(20), query_hash, 1), SUM(execution_count)," \
	" SUM(total_elapsed_time) / 1000.0, SUM(total_rows) FROM sys.dm_exec_query_stats GROUP BY query_hash;\n"

/* 5: texts for hashes not cached yet (hex we read ourselves) */
#define MSSQL_SQL_TEXTS \
	"SELECT CONVERT(varchar(20), qs.query_hash, 1), LEFT(MIN(st.text), 4096)" \
	" FROM sys.dm_exec_query_stats qs CROSS APPLY sys.dm_exec_sql_text(qs.sql_handle) st" \
	" WHERE CONVERT(varchar(20), qs.query_hash, 1) IN (%s) GROUP BY qs.query_hash;\n"

/* terminate: KILL takes only a literal spid; the identity check is in the same batch */
#define MSSQL_SQL_KILL \
	"IF EXISTS (SELECT 1 FROM sys.dm_exec_sessions WHERE session_id = %d" \
	" AND CONVERT(varchar(27), login_time, 121) = '%s') BEGIN KILL %d; SELECT 1 END ELSE SELECT 0"

#endif
