/*
 * model.h - the plain data dbfleet passes along its one-way data path.
 *
 * Engines fill these structs, collectors add rates and publish them in the
 * store, panes draw them. The header holds types only (no functions, no
 * locks) and includes nothing but libc and its neighbours in model/, so engines/ can fill it without
 * reaching into the store and panes/ can read it without seeing an engine.
 */
#ifndef DBFLEET_MODEL_H
#define DBFLEET_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "err.h"


/* Unknown numbers are -1 (counts) or a negative double. */
struct db_health {
	char version[64];        /* "PostgreSQL 15.18" */
	int server_version_num;
	int is_replica;
	double uptime_s;
	int conns_used;          /* client backends */
	int conns_max;           /* usable: max_connections minus reserved */
	int active;
	int idle_in_xact;
	int waiting_on_lock;
	double longest_xact_s;   /* -1: no open transaction */
	int64_t xact_total;      /* commits + rollbacks, all databases */
	int64_t queries_total;   /* statements (MySQL Questions); -1 if unknown */
	int64_t blks_hit;
	int64_t blks_read;
	int64_t xid_age;         /* oldest datfrozenxid age */
	int64_t db_size_bytes;   /* -1 until the (rare) size probe ran */
	double server_now;       /* server clock, epoch seconds: rates use it */
	char tls[48];            /* "TLSv1.3" or "plaintext": is our connection encrypted */
	char server_id[64];      /* MySQL @@server_uuid / MariaDB @@server_id: ids restart with it */
	double server_started;   /* MySQL: server start, epoch seconds; 0 unknown */
	int rds_procs;           /* MySQL: mysql.rds_kill exists (RDS): KILL goes through it */
	char dialect[16];        /* the SQL spoken: "postgres", "mysql", "mssql" (ODBC picks one) */
	int slots_inactive;      /* PostgreSQL: replication slots not in use; -1 unknown */
	int64_t slot_idle_bytes; /* ... the most WAL one of them retains; -1 none or unknown */
	/* derived by collectors from two samples */
	double tps;              /* -1 until two samples */
	double qps;              /* -1 until two samples, or unknown */
	double cache_hit_pct;    /* -1 until two samples with reads */
};

/* One standby as its primary sees it (pg_stat_replication). */
struct db_replica {
	char name[64];           /* application_name */
	char client[64];         /* client_addr */
	char state[24];
	char sync_state[16];
	int64_t lag_bytes;       /* current WAL minus replay LSN */
	double write_lag_s;      /* -1 = NULL */
	double flush_lag_s;
	double replay_lag_s;
};

/* The standby's own view of itself (pg_stat_wal_receiver and friends). */
struct db_standby {
	int64_t replay_backlog_bytes; /* received minus replayed */
	double lag_s;                 /* idle-safe (PG), Seconds_Behind (MySQL); -1 = NULL */
	char halted[32];              /* "REPLAY PAUSED", "SQL THREAD STOPPED", ... or "" */
	char last_error[128];         /* the replication error the server reports */
	int streaming;                /* receiving from the primary */
	char sender_host[64];
	int sender_port;
	char source_log[96];          /* MySQL: the primary's binary log its SQL thread is in (Relay_Master_Log_File) */
};

/* One pg_stat_statements row with the rates collectors derive. */
struct db_query {
	int64_t queryid;
	uint32_t dbid, userid;
	int toplevel;
	double calls, total_ms, rows;
	char *text;              /* owned; NULL until fetched */
	double calls_s, ms_s, rows_s, mean_ms; /* -1 until two samples */
};

struct db_session {
	int pid;
	char user[64], db[64], app[64], client[64];
	char state[32], wait[64];
	char backend_start[40];  /* identity with pid: text, microseconds */
	double query_age_s;      /* -1 = none */
	double xact_age_s;
	int nblockers;
	int blockers[8];         /* pids this one waits for */
	int is_blocker;          /* derived by collectors: someone waits for this pid */
	int is_self;             /* dbfleet's own connection */
	int locks_held;          /* granted locks (PostgreSQL), rows locked (InnoDB); -1 unknown */
	char lock[96];           /* the lock it waits for ("AccessExclusiveLock on orders"), "" none */
	char *query;             /* owned, raw: sanitise before display */
};

/* ---- triage (the triage pane): why the disk fills, vacuum, lock queues ---- */

/* One replication slot (pg_replication_slots). */
struct db_slot {
	char name[64];
	char type[16];           /* "physical", "logical" */
	char database[64];       /* a logical slot's, "" */
	int active;
	int active_pid;          /* 0 none */
	int64_t retained_bytes;  /* WAL kept for it; -1: it reserves none */
	char wal_status[16];     /* PG13+: reserved, extended, unreserved, lost; "" older */
	int64_t safe_wal_size;   /* PG13+: bytes it may fall behind before it is lost; -1 unknown */
	int64_t xmin_age, catalog_xmin_age; /* -1 none */
};

/* One database's transaction ID and multixact age (wraparound). */
struct db_wrap {
	char datname[64];
	int64_t xid_age, mxid_age;
};

/* A vacuum in progress (pg_stat_progress_vacuum). */
struct db_vacuum {
	int pid;
	char db[64];
	char table[128];
	char phase[48];
	double pct;              /* heap blocks scanned of all; -1 unknown */
	int wraparound;          /* an anti-wraparound autovacuum */
};

/* A table with dead tuples. */
struct db_deadtab {
	char table[128];
	int64_t dead, live;
	double vacuum_age_s;     /* since its last (auto)vacuum; -1 never */
};

/* Something that holds back the xmin horizon (or InnoDB purge): the oldest first. */
struct db_xmin_holder {
	char kind[24];           /* "session", "prepared xact", "slot", "standby", "read view" */
	char name[96];           /* user@db app, gid, slot, standby name */
	int pid;                 /* a session's, 0 otherwise */
	char backend_start[40];
	int64_t age;             /* transactions (PostgreSQL); -1 unknown */
	double age_s;            /* seconds since it began; -1 unknown */
};

/* One binary log file (MySQL/MariaDB); the pane finds the oldest one a replica still needs. */
struct db_binlog {
	char name[96];
	int64_t bytes;
};

struct db_triage {
	int read;                /* the triage parts were read in this sample */
	struct db_slot *slots;
	size_t nslots;
	int64_t slot_keep_max;   /* max_slot_wal_keep_size in bytes; -1 unlimited or unknown */
	int64_t freeze_max_age, mxid_freeze_max_age; /* autovacuum's limits; -1 unknown */
	struct db_wrap *wrap;
	size_t nwrap;
	struct db_vacuum *vacuums;
	size_t nvacuums;
	int vacuum_workers;      /* autovacuum_max_workers; -1 unknown */
	struct db_deadtab *dead; /* the connected database's, most dead tuples first */
	size_t ndead;
	char dead_db[64];
	struct db_xmin_holder *xmin;
	size_t nxmin;
	struct db_session *lockq;  /* sessions waiting on a lock and those they wait for */
	size_t nlockq;
	int64_t history_len;     /* InnoDB history list length (purge lag); -1 unknown */
	struct db_binlog *binlogs;
	size_t nbinlogs;
	int binlog_on;           /* binary logging is on (log_bin) */
	char lock_note[240];     /* why the lock queue is missing */
	char lock_fix[240];      /* ... and how to turn it on */
	char note[240];          /* what could not be read, and why */
};

/* Everything one sample of one target holds. */
struct db_sample {
	struct db_health health;
	struct db_replica *replicas;
	size_t nreplicas;
	struct db_standby standby;  /* valid when health.is_replica */
	struct db_query *queries;
	size_t nqueries;
	struct db_session *sessions;
	size_t nsessions;
	/* sessions, locks and statement digests were read (ENGINE_DETAIL); a health
	 * probe alone leaves them empty: panes show the last sample that had them */
	int detail;
	struct db_triage triage;    /* only while the triage pane shows the target */
	/* Messages the panes show instead of blanks (missing extension, privilege). */
	char queries_note[240];
	char privilege_note[240];
	/* derived by collectors (derive.c): a standby's own lag, a primary's worst; -1 none */
	double lag_bytes, lag_s;
	/* dbfleet's own cost on this server, from its round trips */
	int statements;
	double roundtrip_ms;
};

/* ---- actions: what the user confirmed, with the identity it was shown with ---- */

enum db_action_kind { ACT_NONE, ACT_CANCEL, ACT_TERMINATE, ACT_PROMOTE, ACT_SNAPSHOT, ACT_FAILOVER };

struct db_action {
	int kind;                 /* enum db_action_kind */
	int pid;                  /* the session (PostgreSQL pid, MySQL connection id) */
	char backend_start[40];   /* PostgreSQL: with the pid, the session's identity */
	char user[64];            /* MySQL: the connection's user and host:port at display */
	char client[64];
	char server_id[64];       /* MySQL: the server's identity and start at display */
	double server_started;
	int rds;                  /* MySQL: kill through mysql.rds_kill[_query] */
	char dialect[16];         /* db_health.dialect when shown */
};

/* ---- the plan of a statement, asked for on a key (explain): read-only, never run ---- */

enum db_explain_kind { EXPLAIN_SESSION, EXPLAIN_STATEMENT };

/* What to explain: a session's running statement, with the identity it was shown with
 * (the fields of db_action a kill would check), or a recorded statement (pg_stat_statements). */
struct db_explain {
	int kind;                 /* enum db_explain_kind */
	struct db_action who;     /* EXPLAIN_SESSION: pid, backend_start / user, client, server_id */
	int64_t queryid;          /* EXPLAIN_STATEMENT: its pg_stat_statements key */
	uint32_t dbid, userid;
};

#define PLAN_MARKS 3          /* the costliest nodes marked */
#define PLAN_MAX_LINES 4000

struct db_plan_line {
	char *text;               /* owned, raw server text: sanitise before display */
	int mark;                 /* 1..PLAN_MARKS: rank among the costliest nodes; 0 none */
};

/* A plan as lines of text, with its costliest nodes marked. */
struct db_plan {
	char what[200];           /* "pid 4242 in database app: PostgreSQL EXPLAIN, generic plan" */
	char note[400];           /* caveats ("its search_path is not visible from outside ..."), "" none */
	char *statement;          /* the text explained, owned, raw */
	struct db_plan_line *line;
	size_t nlines, cap;
	double total_cost;        /* the plan's estimate (PostgreSQL cost units, MySQL rows); -1 unknown */
};

/* ---- what AWS knows (aws/ fills these, the cloud collector publishes them) ---- */

enum cw_metric {
	CW_CPU, CW_CONNS, CW_FREEMEM, CW_FREESTORAGE, CW_READIOPS, CW_WRITEIOPS,
	CW_REPLICALAG, CW_AURORALAG, CW_DISKQUEUE,
	CW_TXLOGS, CW_SLOTLAG,    /* PostgreSQL: TransactionLogsDiskUsage, OldestReplicationSlotLag (bytes) */
	CW_N
};

/* One RDS/Aurora instance from DescribeDBInstances (+ its cluster's roles). */
struct cloud_instance {
	char id[64];
	char region[32];
	char account[16];         /* the AWS account id (STS GetCallerIdentity), "" unknown */
	char account_alias[64];   /* its name from [aws] aliases, "" none */
	char profile[64];         /* the profile that reaches it: actions and IAM tokens sign with it */
	char engine[32];          /* "postgres", "aurora-mysql", ... */
	char engine_version[32];
	char klass[32];           /* "db.r6g.large" */
	char az[32];
	char status[32];          /* "available", "failing-over", ... */
	char cluster[64];         /* DBClusterIdentifier, "" if none */
	char role[16];            /* "writer", "reader", "primary", "replica", "" */
	char source[64];          /* a read replica's source instance id */
	char global[64];          /* the Aurora global database its cluster is in, "" if none */
	char tags[512];           /* its tags as ",key=value,key=value," ("" none) */
	int global_writer;        /* its cluster is the global database's writer (primary region) */
	char host[128];
	int port;
	int multi_az;
	double metric[CW_N];      /* latest CloudWatch value, -1 unknown */
	double metric_at[CW_N];   /* its timestamp, epoch seconds; 0 unknown */
	double hourly_usd;        /* on-demand estimate from the class, -1 unknown */
	char maintenance[160];    /* pending maintenance: "system-update: New OS patch (2026-12-04)", "" none */
	char resource_id[64];     /* DbiResourceId "db-ABC...": how Performance Insights names it */
	int pi_enabled;           /* PerformanceInsightsEnabled */
};

/* One RDS event (DescribeEvents): failovers, reboots, backups, maintenance. */
struct cloud_event {
	double at;                /* epoch seconds */
	char region[32];
	char account[64];         /* the account's alias or id, "" with one account */
	char source[64];          /* SourceIdentifier */
	char type[24];            /* SourceType: db-instance, db-cluster, ... */
	char category[48];        /* the first EventCategory */
	char message[256];
};

/* ---- Performance Insights: one instance's load, read only while a pane shows it ---- */

#define PI_TOP_SQL 10
#define PI_WAITS 8
#define PI_TEXT_MAX 4096          /* GetDimensionKeyDetails' default limit on statement text */

/* One digest (db.sql_tokenized) by its average active sessions over the window. */
struct pi_sql {
	char id[64];              /* db.sql_tokenized.id */
	double load;              /* average active sessions */
	char wait[96];            /* the wait event it spends most of that in, "" unknown */
	int full;                 /* text is whole: short enough, or GetDimensionKeyDetails' text */
	char text[PI_TEXT_MAX];   /* raw: sanitise before display */
};

/* One wait event (db.wait_event) by its average active sessions. */
struct pi_wait {
	char name[96];
	char type[48];
	double load;
};

struct cloud_pi {
	char region[32];
	char id[64];              /* the instance's DBInstanceIdentifier */
	char resource_id[64];
	double fetched_at;        /* epoch seconds; 0 never */
	int window_s;             /* the averages are over this many seconds before fetched_at */
	double load;              /* db.load.avg, all of it; -1 unknown */
	int vcpus;                /* of its class (built-in table, [vcpus] overrides), -1 unknown */
	struct pi_wait wait[PI_WAITS];
	int nwait;
	struct pi_sql sql[PI_TOP_SQL];
	int nsql;
	unsigned requests;        /* PI requests this fetch took */
	char error[300];          /* why the last fetch failed, "" when it did not */
};

/* Cost Explorer, summed: month to date, forecast, breakdowns, daily totals. */
#define COST_GROUPS 12
#define COST_DAYS 31
struct cost_group {
	char key[96];             /* service name, or tag value ("" = untagged) */
	double usd;
};
struct cloud_costs {
	int valid;                /* 0: never fetched */
	char month_start[12];     /* "2026-11-01" */
	char today[12];           /* the day the figures run to (exclusive end - 1) */
	double mtd_usd;
	double forecast_usd;      /* whole month: month to date + forecast rest; -1 unknown */
	char unit[8];             /* "USD" */
	struct cost_group service[COST_GROUPS]; /* month to date, biggest first */
	int nservice;
	char tag_key[64];         /* the tag grouped by over the last 30 days, "" none */
	struct cost_group tag[COST_GROUPS];
	int ntag;
	struct cost_group account[COST_GROUPS]; /* month to date by account (alias or id), biggest first */
	int naccount;
	char scope[128];          /* several accounts: "payer 111111111111, by linked account" or "sum of 3 accounts" */
	double daily[COST_DAYS];  /* last COST_DAYS days' totals, oldest first */
	char daily_from[12];
	int ndaily;
	double fetched_at;        /* epoch seconds of the fetch (cached or not) */
	int from_cache;
	unsigned requests;        /* Cost Explorer requests this fetch cost (billed each) */
};

/* ---- the timeline: what happened to the fleet, when (collectors fill it, panes and --once read it) ---- */

/* Replication lag worth a look, the same for the fleet pane's rows and the timeline's crossings. */
#define LAG_WARN_S 30.0
#define LAG_WARN_BYTES (64.0 * 1024 * 1024)

enum tl_source { TL_SRC_OBSERVED, TL_SRC_RDS, TL_SRC_ACTION, TL_SRC_DRILL, TL_SRC_N };
enum tl_kind { TL_STATE, TL_ROLE, TL_REPLICATION, TL_LAG, TL_RDS_EVENT, TL_ACTION, TL_MARK, TL_KIND_N };
enum tl_level { TL_INFO, TL_GOOD, TL_WARN, TL_BAD }; /* a recovery is good, a failure bad */

/* One entry: plain values only (no pointers), so it can be copied, written and read back as it is. */
struct tl_event {
	uint64_t seq;             /* the store's order of arrival, from 1; set by the store */
	double at;                /* wall clock, epoch seconds UTC: when it happened (RDS: AWS's time) */
	int source;               /* enum tl_source */
	int kind;                 /* enum tl_kind */
	int level;                /* enum tl_level */
	/* what the object is after the change, one word for readers that measure (RTO, SLOs):
	 * state: up, down, stalled, auth (AWS: its status); role: primary, replica, writer, reader;
	 * replication: halted, running, receiving, not receiving, connected, disconnected;
	 * lag: above, under; rds_event: its category; action: its outcome; mark: "" */
	char state[24];
	char target[64];          /* the target or AWS instance it is about; "" the fleet */
	char group[64];           /* the Aurora cluster an AWS instance is in, when known; "" */
	char text[256];           /* "down: connection refused", raw: sanitise before display */
};

#endif
