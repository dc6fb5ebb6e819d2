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

/* where WAL is now: a standby's received position, a primary's written one */
#define PG_SQL_WAL_NOW \
	"CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END"

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
	"  extract(epoch FROM pg_postmaster_start_time())," \
	/* the fleet's "inactive slot holding WAL": slots not in use, the most WAL one retains */ \
	"  sl.n, sl.b" \
	" FROM (SELECT count(*) FILTER (WHERE backend_type = 'client backend') AS clients," \
	"   count(*) FILTER (WHERE backend_type = 'client backend' AND state = 'active'" \
	"     AND pid <> pg_backend_pid()) AS active," \
	"   count(*) FILTER (WHERE state LIKE 'idle in transaction%') AS iit," \
	"   count(*) FILTER (WHERE wait_event_type = 'Lock') AS lockw," \
	"   min(xact_start) FILTER (WHERE backend_type = 'client backend'" \
	"     AND pid <> pg_backend_pid()) AS oldest" \
	"   FROM pg_stat_activity) a," \
	"  (SELECT sum(xact_commit + xact_rollback) AS xacts, sum(blks_hit) AS hit," \
	"   sum(blks_read) AS rd FROM pg_stat_database) d," \
	"  (SELECT count(*) FILTER (WHERE NOT active) AS n, max(pg_wal_lsn_diff(" PG_SQL_WAL_NOW ", restart_lsn))" \
	"   FILTER (WHERE NOT active)::bigint AS b FROM pg_replication_slots) sl;\n"

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

/*
 * The triage pane's parts (ENGINE_TRIAGE), read only while it shows the target.
 * Columns newer than the oldest server we speak to (wal_status, safe_wal_size:
 * PostgreSQL 13) are read through to_jsonb(), so one text serves every version.
 */
/* replication slots and the WAL each retains, the most first */
#define PG_SQL_SLOTS \
	"SELECT s.slot_name, s.slot_type, coalesce(s.database::text, ''), s.active, coalesce(s.active_pid, 0)," \
	"  pg_wal_lsn_diff(" PG_SQL_WAL_NOW ", s.restart_lsn)::bigint," \
	"  coalesce(to_jsonb(s) ->> 'wal_status', ''), (to_jsonb(s) ->> 'safe_wal_size')::bigint," \
	"  age(s.xmin), age(s.catalog_xmin)" \
	" FROM pg_replication_slots s ORDER BY 6 DESC NULLS LAST, 1 LIMIT 64;\n"
enum { PG_SLOT_NAME, PG_SLOT_TYPE, PG_SLOT_DB, PG_SLOT_ACTIVE, PG_SLOT_PID, PG_SLOT_RETAINED, PG_SLOT_STATUS,
       PG_SLOT_SAFE, PG_SLOT_XMIN, PG_SLOT_CATALOG_XMIN };
/* per database: transaction ID and multixact age; the limits beside them (the same on every row) */
#define PG_SQL_WRAP \
	"SELECT datname, age(datfrozenxid), mxid_age(datminmxid)," \
	"  current_setting('autovacuum_freeze_max_age')::bigint," \
	"  current_setting('autovacuum_multixact_freeze_max_age')::bigint," \
	"  current_setting('autovacuum_max_workers')::int," \
	"  pg_size_bytes(nullif(current_setting('max_slot_wal_keep_size', true), '-1'))," \
	"  current_database()" \
	" FROM pg_database ORDER BY 2 DESC, 1 LIMIT 64;\n"
enum { PG_WRAP_DB, PG_WRAP_XID, PG_WRAP_MXID, PG_WRAP_FREEZE, PG_WRAP_MFREEZE, PG_WRAP_WORKERS, PG_WRAP_KEEP,
       PG_WRAP_CURDB };
/* vacuums in progress: table, phase, share of the heap scanned */
#define PG_SQL_VACUUM \
	"SELECT v.pid, coalesce(v.datname::text, ''), v.relid::regclass::text, v.phase," \
	"  round(100.0 * v.heap_blks_scanned / nullif(v.heap_blks_total, 0), 1)," \
	"  coalesce(a.query LIKE '%to prevent wraparound%', false)" \
	" FROM pg_stat_progress_vacuum v LEFT JOIN pg_stat_activity a ON a.pid = v.pid" \
	" ORDER BY v.pid LIMIT 32;\n"
enum { PG_VAC_PID, PG_VAC_DB, PG_VAC_TABLE, PG_VAC_PHASE, PG_VAC_PCT, PG_VAC_WRAP };
/* the connected database's tables with the most dead tuples: the counters pg_stat_user_tables
 * shows, read from pg_class directly (the view's joins and sums cost the server a third more) */
#define PG_SQL_DEAD \
	"SELECT n.nspname || '.' || c.relname, pg_stat_get_dead_tuples(c.oid), pg_stat_get_live_tuples(c.oid)," \
	"  extract(epoch FROM now() - greatest(pg_stat_get_last_vacuum_time(c.oid)," \
	"   pg_stat_get_last_autovacuum_time(c.oid)))" \
	" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace" \
	" WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')" \
	"  AND n.nspname !~ '^pg_toast' AND pg_stat_get_dead_tuples(c.oid) > 0 ORDER BY 2 DESC, 1 LIMIT 10;\n"
enum { PG_DEAD_TABLE, PG_DEAD_DEAD, PG_DEAD_LIVE, PG_DEAD_VACUUMED };
/* what holds the xmin horizon back (and so stops vacuum), the oldest first */
#define PG_SQL_XMIN \
	"SELECT kind, name, pid, bstart, age, age_s FROM (" \
	" SELECT CASE WHEN backend_type = 'client backend' THEN 'session' ELSE backend_type END AS kind," \
	"  coalesce(usename, '') || '@' || coalesce(datname, '') || ' ' || coalesce(application_name, '') AS name," \
	"  pid, backend_start::text AS bstart, greatest(age(backend_xmin), age(backend_xid)) AS age," \
	"  extract(epoch FROM now() - xact_start) AS age_s" \
	"  FROM pg_stat_activity WHERE (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)" \
	"  AND pid <> pg_backend_pid()" \
	" UNION ALL SELECT 'prepared xact', gid, 0, '', age(transaction), extract(epoch FROM now() - prepared)" \
	"  FROM pg_prepared_xacts" \
	" UNION ALL SELECT 'slot', slot_name::text, coalesce(active_pid, 0), '', greatest(age(xmin), age(catalog_xmin))," \
	"  NULL FROM pg_replication_slots WHERE xmin IS NOT NULL OR catalog_xmin IS NOT NULL" \
	" UNION ALL SELECT 'standby', coalesce(application_name, '') || ' ' || coalesce(host(client_addr), 'local')," \
	"  pid, backend_start::text, age(backend_xmin), NULL FROM pg_stat_replication WHERE backend_xmin IS NOT NULL" \
	") h ORDER BY age DESC NULLS LAST, age_s DESC NULLS LAST LIMIT 8;\n"
enum { PG_XMIN_KIND, PG_XMIN_NAME, PG_XMIN_PID, PG_XMIN_START, PG_XMIN_AGE, PG_XMIN_AGE_S };
/* the lock queue: each session waiting on a lock with whom it waits for
 * (pg_blocking_pids, for waiting rows only), and those it waits for; the
 * lock table is read once, and only when someone waits */
#define PG_SQL_LOCKQ \
	"WITH w AS (SELECT pid, pg_blocking_pids(pid) AS by FROM pg_stat_activity" \
	"   WHERE wait_event_type = 'Lock' LIMIT 200)," \
	" n AS (SELECT pid FROM w UNION SELECT unnest(by) FROM w)," \
	" l AS (SELECT DISTINCT ON (pid) pid, mode, locktype, relation FROM pg_locks" \
	"   WHERE NOT granted AND EXISTS (SELECT 1 FROM w) ORDER BY pid)" \
	" SELECT a.pid, coalesce(a.usename, ''), coalesce(a.datname, ''), coalesce(a.application_name, '')," \
	"  coalesce(host(a.client_addr), 'local'), coalesce(a.state, '')," \
	"  coalesce(a.wait_event_type || ':' || a.wait_event, ''), a.backend_start::text," \
	"  extract(epoch FROM now() - a.query_start), extract(epoch FROM now() - a.xact_start), w.by::text," \
	"  l.mode || ' on ' || CASE WHEN l.relation IS NOT NULL THEN l.relation::regclass::text ELSE l.locktype END," \
	"  left(a.query, 2048)" \
	" FROM n JOIN pg_stat_activity a ON a.pid = n.pid LEFT JOIN w ON w.pid = a.pid LEFT JOIN l ON l.pid = a.pid" \
	" ORDER BY a.xact_start NULLS LAST, a.pid LIMIT 200;\n"
enum { PG_LQ_PID, PG_LQ_USER, PG_LQ_DB, PG_LQ_APP, PG_LQ_CLIENT, PG_LQ_STATE, PG_LQ_WAIT, PG_LQ_START,
       PG_LQ_QAGE, PG_LQ_XAGE, PG_LQ_BY, PG_LQ_LOCK, PG_LQ_QUERY };

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
