/* pg_sql.h - the SQL the PostgreSQL engine sends, in one place. */
#ifndef DBFLEET_PG_SQL_H
#define DBFLEET_PG_SQL_H

/* once per connection: privileges and pg_stat_statements' version/schema */
#define PG_SQL_PROBE \
	"SELECT pg_has_role(current_user, 'pg_monitor', 'USAGE')" \
	"    OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)," \
	"  current_user," \
	"  (SELECT e.extversion FROM pg_extension e WHERE e.extname = 'pg_stat_statements')," \
	"  (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace" \
	"    WHERE e.extname = 'pg_stat_statements')"

/* result 0: health, one row; scalar sub-queries, no per-row work */
#define PG_SQL_HEALTH \
	"SELECT current_setting('server_version_num')::int, split_part(version(), ' on ', 1)," \
	"  pg_is_in_recovery(), extract(epoch FROM now() - pg_postmaster_start_time())," \
	"  extract(epoch FROM now()), a.clients, a.active, a.iit, a.lockw," \
	"  extract(epoch FROM now() - a.oldest)," \
	"  current_setting('max_connections')::int" \
	"   - current_setting('superuser_reserved_connections')::int" \
	"   - coalesce(current_setting('reserved_connections', true), '0')::int" \
	"   - coalesce(current_setting('rds.rds_superuser_reserved_connections', true), '0')::int," \
	"  d.xacts, d.hit, d.rd, (SELECT max(age(datfrozenxid)) FROM pg_database)," \
	/* the server's identity, checked again by promote: cluster and postmaster start */ \
	"  (SELECT system_identifier::text FROM pg_control_system())," \
	"  extract(epoch FROM pg_postmaster_start_time())" \
	" FROM (SELECT count(*) FILTER (WHERE backend_type = 'client backend') AS clients," \
	"   count(*) FILTER (WHERE backend_type = 'client backend' AND state = 'active'" \
	"     AND pid <> pg_backend_pid()) AS active," \
	"   count(*) FILTER (WHERE state LIKE 'idle in transaction%') AS iit," \
	"   count(*) FILTER (WHERE wait_event_type = 'Lock') AS lockw," \
	"   min(xact_start) FILTER (WHERE backend_type = 'client backend'" \
	"     AND pid <> pg_backend_pid()) AS oldest" \
	"   FROM pg_stat_activity) a," \
	"  (SELECT sum(xact_commit + xact_rollback) AS xacts, sum(blks_hit) AS hit," \
	"   sum(blks_read) AS rd FROM pg_stat_database) d;\n"

/* result 1: standbys as this server sees them (a cascading standby too) */
#define PG_SQL_REPLICAS \
	"SELECT coalesce(application_name, ''), coalesce(host(client_addr), 'local'), state," \
	"  sync_state, pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery()" \
	"    THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END, replay_lsn)::bigint," \
	"  extract(epoch FROM write_lag), extract(epoch FROM flush_lag)," \
	"  extract(epoch FROM replay_lag)" \
	" FROM pg_stat_replication ORDER BY application_name LIMIT 64;\n"

/* result 2: this server as a standby; replay timestamp only when WAL is pending */
#define PG_SQL_STANDBY \
	"SELECT coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)::bigint," \
	"  CASE WHEN NOT pg_is_in_recovery() THEN NULL" \
	"   WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0" \
	"   ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END," \
	"  CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END," \
	"  w.status = 'streaming', w.sender_host, w.sender_port" \
	" FROM (SELECT 1) one LEFT JOIN pg_stat_wal_receiver w ON true;\n"

/* result 3: client sessions; lock-manager work only for rows waiting on a lock */
#define PG_SQL_SESSIONS \
	"SELECT a.pid, coalesce(usename, ''), coalesce(datname, ''), coalesce(application_name, '')," \
	"  coalesce(host(client_addr), 'local'), coalesce(state, ''), coalesce(wait_event_type" \
	"  || ':' || wait_event, ''), backend_start::text, extract(epoch FROM now() - query_start)," \
	"  extract(epoch FROM now() - xact_start)," \
	"  CASE WHEN wait_event_type = 'Lock' THEN pg_blocking_pids(a.pid)::text END," \
	/* ours is the backend we know by pid: an application_name anyone can set says nothing */ \
	"  a.pid = pg_backend_pid(), left(query, 2048), coalesce(lk.n, 0)" \
	" FROM pg_stat_activity a" \
	/* locks held: one pass over pg_locks, for the action prompt's blast radius */ \
	" LEFT JOIN (SELECT pid, count(*) AS n FROM pg_locks WHERE granted GROUP BY pid) lk ON lk.pid = a.pid" \
	" WHERE backend_type = 'client backend'" \
	" ORDER BY state = 'idle', xact_start NULLS LAST LIMIT 500;\n"

/* result 4: pg_stat_statements counters, sorted by key for the delta merge */
#define PG_SQL_PSS \
	"SELECT userid::bigint, dbid::bigint, %s, queryid, calls, %s, rows" \
	" FROM %s.pg_stat_statements(false) WHERE calls > 0 AND queryid IS NOT NULL" \
	" ORDER BY 1, 2, 4, 3;\n"

/* result 5 (when sizes are due): the expensive pg_database_size() */
#define PG_SQL_SIZE \
	"SELECT sum(pg_database_size(datname))::bigint FROM pg_database" \
	" WHERE datallowconn AND has_database_privilege(datname, 'CONNECT');\n"

/* last (when texts are wanted): statement texts for ids not cached yet */
#define PG_SQL_TEXTS \
	"SELECT queryid, left(query, %d) FROM %s.pg_stat_statements(true)" \
	" WHERE queryid = ANY(%s::bigint[]);\n"

#define PG_BATCH_MAX 8

/* Actions. The session's identity (pid and backend_start) is checked in the
 * statement that signals it: a pid reused by a new session matches no row. */
#define PG_SQL_SIGNAL \
	"SELECT %s(pid) FROM pg_stat_activity WHERE pid = %d AND backend_start = '%s'::timestamptz"
/* Promote only a server still in recovery and still the one shown (behind a
 * DNS name, a VIP or a pooler the connection can reach another): the same
 * cluster (system_identifier: replicas of one primary share it) and the same
 * postmaster start (which tells them apart), waiting up to 60 s. pg_control_system()
 * is executable by PUBLIC. Columns: promoted, in recovery, same server, and the
 * server's identity for the refusal. */
#define PG_SQL_PROMOTE \
	"SELECT CASE WHEN pg_is_in_recovery() AND s.same THEN pg_promote(true, 60) END," \
	"  pg_is_in_recovery(), s.same, s.id, s.started" \
	" FROM (SELECT system_identifier::text = '%s'" \
	"   AND abs(extract(epoch FROM pg_postmaster_start_time()) - %.6f) < 0.001 AS same," \
	"   system_identifier::text AS id, pg_postmaster_start_time()::text AS started" \
	"   FROM pg_control_system()) s"
enum { PG_PROMOTE_DONE, PG_PROMOTE_IN_RECOVERY, PG_PROMOTE_SAME, PG_PROMOTE_ID, PG_PROMOTE_STARTED };

#endif
