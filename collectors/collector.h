/*
 * collector.h - when to ask each target, and where the answers go.
 *
 * Threads: collector_new/start/stop are called from the main thread. A few
 * sampler threads (about one per core) drive every target's non-blocking
 * connection with a deadline per step; what blocks runs on a small pool
 * whose stuck calls are abandoned, so a hung host never holds up the others
 * and quitting never waits for it. Threads do not grow with targets.
 */
#ifndef DBFLEET_COLLECTOR_H
#define DBFLEET_COLLECTOR_H

#include "store.h"

struct collector_target {
	char name[64];
	char engine[32];      /* "postgres"; empty: from the dsn's scheme */
	char dsn[512];        /* conninfo or URI; never holds a password we print */
	double interval_s;
	double timeout_s;     /* connect and query deadline */
	char aws_instance[64];/* the RDS instance this database is, for AWS figures */
	char aws_account[64]; /* its account (id or [aws] aliases name), with several accounts; "" any */
	int actions;          /* enum target_actions: what may be done to it */
	int confirm;          /* enum confirm_policy */
	char tags[256];       /* "team=payments,env=prod": for grouping and filtering, "" none */
	/* IAM database authentication (adopted RDS PostgreSQL instances): a token per connect */
	int iam;
	char iam_host[128], iam_user[64], iam_region[32], iam_profile[64];
	int iam_port;
	/* objectives and probes (collectors/slo.c, drill.c) */
	int app_endpoint;     /* the endpoint apps write through (a writer DNS name, a read-write host list) */
	double write_probe_s; /* its write probe's interval on a fresh connection (0: 10 s; a drill: 1 s) */
	char heartbeat_table[64]; /* the write probe upserts row id 1 of this table; "": takes a transaction id */
	double slo_availability; /* percent of the time good, 0 none */
	int slo_latency_ms;   /* a probe slower than this is bad time; 0 none */
	int slo_window_days;  /* the error budget's window, 1 to 7 (0: 7) */
	double rto_s, rpo_s;  /* a drill's objectives for this endpoint, 0 none */
	char slo_group[128];  /* the config [group] whose tag it carries ("team=payments"), "" none */
	double slo_group_availability; /* that group's slo_availability, 0 none */
};

enum target_actions { TARGET_ACTIONS_ALL = 0, TARGET_ACTIONS_SESSIONS, TARGET_ACTIONS_NONE };
/* default: destructive actions (terminate, promote) need the typed name, others y/N */
enum confirm_policy { CONFIRM_DEFAULT = 0, CONFIRM_TYPED, CONFIRM_YES_NO };

/* An action the user confirmed, for the action worker. */
#define ACTION_BULK_MAX 16
#define ACTION_AWS_ONLY ((size_t)-1) /* 'target' of an action on an instance no database target stands for */
struct action_request {
	size_t target;        /* a database target, or ACTION_AWS_ONLY */
	struct db_action a;
	/* AWS actions (snapshot, failover): the instance as it was shown */
	char aws_id[64];
	char aws_cluster[64];
	char aws_region[32];
	char aws_writer[100]; /* the cluster's writer when shown: failover is refused if it changed */
	char aws_global[64];  /* switch the global database over to this instance's cluster */
	char aws_target[64];  /* failover to this reader; "" lets AWS choose */
	char aws_account[16]; /* the instance's account id ("" unknown) and name, for the prompt and audit */
	char aws_account_alias[64];
	char aws_profile[64]; /* the profile that reaches that account ("" the default chain) */
	int aws_multi_az;
	char snapshot_id[96]; /* made when confirmed: a retry cannot make a second one */
	char reason[128];     /* typed at the prompt, tagged on the snapshot */
	/* several sessions at once (a blocker chain, a filter): 'a' is bulk[0] */
	int nbulk;
	struct db_action bulk[ACTION_BULK_MAX];
	char object[96];      /* for the actions pane and the audit log: "pid 48213 (app_rw)" */
	int dry_run;          /* build and log it, send nothing */
	/* from a viewer of a shared collector (vreq.c); all "" for a local action */
	char via_id[33];      /* the viewer's request id (32 hex) */
	char via_acl_user[128]; /* the Redis ACL user whose request stream it came on: trusted */
	char via_os_user[64]; /* the OS user and host the viewer says it runs as: claimed, not checked */
	char via_host[128];
};

/* A figure of an RDS instance class from the config ("db.r6g.large = 0.26"): [prices], [vcpus]. */
struct class_value {
	char klass[32];
	double v;
};

/* AWS: which accounts/regions to discover and how often. */
#define CLOUD_MAX_REGIONS 8
#define CLOUD_MAX_PROFILES 8
/* One profile of several ([aws] profiles, --profile a,b): its own regions, or none for [aws] regions. */
struct cloud_profile {
	char name[64];
	char regions[CLOUD_MAX_REGIONS][32];
	int nregions;
};
struct cloud_config {
	int enabled;
	char profile[64];     /* "" = AWS_PROFILE / env keys / default; with profiles: the first */
	char regions[CLOUD_MAX_REGIONS][32]; /* none: the profile's region */
	int nregions;
	struct cloud_profile profiles[CLOUD_MAX_PROFILES]; /* several accounts at once; none: 'profile' alone */
	int nprofiles;
	char payer_profile[64]; /* the management (payer) account's profile for costs; "" ask Organizations */
	char aliases[512];    /* account names: "111111111111=payments,222222222222=data", "" none */
	char tags[256];       /* only instances with all these tags: "team=payments,env=prod" */
	double discover_s;    /* DescribeDBInstances round, default 300 */
	double metrics_s;     /* GetMetricData round, default 60 */
	int budget;           /* API requests per minute, default 300 */
	int max_instances;    /* discovered instances kept, all regions, after the tag filter; default 5000 */
	/* open database connections to discovered instances whose id matches */
	char connect[256];    /* comma-separated globs ("orders-*") or tags ("tag:team=payments"), "" none */
	char connect_user[64];
	char connect_db[64];
	int connect_iam;      /* IAM database authentication instead of ~/.pgpass / ~/.my.cnf */
	char connect_tls[16]; /* "verify-full" (default), "require", "prefer" */
	char ca_bundle[256];  /* the RDS CA bundle verify-full checks against; "" none (no connection then) */
	double interval_s, timeout_s; /* for those connections: the global refresh and timeout */
	int cost;             /* ask Cost Explorer (billed per request), default on */
	char cost_tag[64];    /* tag key to break costs down by, "" none */
	double cost_refresh_s;/* at most this often, default 3600 */
	struct class_value prices[32]; /* [prices] overrides: USD per hour */
	int nprices;
	struct class_value vcpus[32];  /* [vcpus] overrides: vCPUs of a class */
	int nvcpus;
};

#define COLLECTOR_TOP_QUERIES 100

struct collector;

/* Workers for 'n' targets publishing into 'st'; NULL with 'err' filled. */
struct collector *collector_new(struct store *st, const struct collector_target *t, size_t n,
				struct err *err);
/* Sampler threads (before collector_start); 0 = one per core. */
void collector_set_samplers(struct collector *c, int n);
/* Also discover and watch the AWS side (before collector_start). */
void collector_set_cloud(struct collector *c, const struct cloud_config *cfg);
/* Where the audit log goes ("" = $XDG_STATE_HOME/dbfleet/audit.log); before collector_start. */
void collector_set_audit(struct collector *c, const char *path);
/*
 * Queue a confirmed action for the action worker (never run on the caller's
 * thread). Its id, or -1 with 'err' when the same object already has an
 * action queued or running, or the queue is full.
 */
int collector_act(struct collector *c, const struct action_request *r, struct err *err);
/* The SQL an action would send, for the confirmation prompt; 0 or -1 with 'err'. */
int collector_action_sql(const struct collector *c, const struct action_request *r, char *sql, size_t n,
			 struct err *err);
/* The same without a collector (--attach): for a target of engine 'engine' ("postgres"). */
int collector_action_sql_for(const char *engine, const struct action_request *r, char *sql, size_t n,
			     struct err *err);
/*
 * How many actions are queued or running (and not given up on); 'what' (NULL-safe)
 * names the first, for a question: "cancel pid 48213 (app_rw) on orders-db".
 */
int collector_actions_busy(struct collector *c, char *what, size_t n);
/*
 * Before collector_stop, from the main thread: drop queued actions, let the running
 * one finish (its own deadline, at most 'wait_s'), and write its outcome; if it does
 * not, write an "abandoned" audit record naming what was and was not sent, after
 * which nothing more of it is sent. Returns 1 if one was abandoned, else 0.
 */
int collector_finish_actions(struct collector *c, double wait_s);
/* The fleet's name (config "fleet"): its SLO state file and drill reports are named by it; before collector_start. */
void collector_set_fleet(struct collector *c, const char *fleet);

/* ---- drills (collectors/drill.c): measured RTO/RPO through the application endpoints ---- */

struct collector_drill {
	int active;
	char name[64];
	double started;       /* wall, epoch seconds */
};
/* A drill named 'name' begins: probes at 1 s, a mark on the timeline. 0 or -1 with 'err'. UI thread, no I/O. */
int collector_drill_begin(struct collector *c, const char *name, struct err *err);
/* It ends: the report is written off the UI thread; its path comes as a status message. 0 or -1 with 'err'. */
int collector_drill_end(struct collector *c, struct err *err);
void collector_drill_status(struct collector *c, struct collector_drill *out);
/* From main after the UI: a drill still running ends and its report is written now; 1 with its path, else 0. */
int collector_drill_finish(struct collector *c, char *path, size_t n);
/* The facilitator's own line on the timeline ("inject: primary stopped"). Any thread. */
void collector_mark(struct collector *c, const char *text);

/*
 * Ask for the plan of a session's statement or a recorded statement on target 't'
 * (read-only, never run; on the blocking pool, not the caller's thread). Its id: the
 * answer appears in the store (store_plan_take). -1 with 'err' when one is in flight
 * or the engine has no plans.
 */
int collector_explain(struct collector *c, size_t t, const struct db_explain *q, struct err *err);
/*
 * Save a plan's text (owned by the call from then on, freed whatever happens) as a new file
 * 'leaf' (mode 0600) in $XDG_STATE_HOME/dbfleet, else the current directory: on the pool, not
 * the caller's thread. Where it went, or why not, comes back through the store
 * (store_plan_saved_take) for request 'id'. 0, or -1 with 'err'.
 */
int collector_save_plan(struct collector *c, int id, const char *leaf, char *text, struct err *err);
/* Start the workers and the watchdog; 0 or -1 with 'err'. */
int collector_start(struct collector *c, struct err *err);
/*
 * Tell every thread to stop and wait up to 'wait_s' for them; returns how
 * many are still running (stuck in a library call). The caller must then
 * leave with _exit(): exit() would run library destructors under their
 * feet. NULL-safe.
 */
int collector_stop(struct collector *c, double wait_s);

/* 1 if 'name' is an engine dbfleet has. */
int collector_engine_known(const char *name);
/* The engine a DSN names ("postgresql://..."), or NULL. */
const char *collector_engine_for_dsn(const char *dsn);
/* 1 if a DSN holds a password (any spelling its engine reads), with 'why' (never the value). */
int collector_dsn_has_secret(const char *dsn, char *why, size_t n);
/* "host:port" of a DSN without connecting (for topology), "" if unknown. */
void collector_endpoint(const char *dsn, char *out, size_t n);

#endif
