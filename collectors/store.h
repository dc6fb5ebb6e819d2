/*
 * store.h - the latest immutable snapshot and history rings of each target.
 *
 * Threads: collector workers publish, the UI thread reads. A snapshot is
 * never changed after store_publish(); readers hold a reference and draw
 * from it outside the lock. One byte on the wake-up fd per publish or state
 * change tells the UI to look.
 */
#ifndef DBFLEET_STORE_H
#define DBFLEET_STORE_H

#include "../model/model.h"

#include <stdatomic.h>

enum target_state {
	TARGET_CONNECTING = 0,
	TARGET_OK,
	TARGET_STALLED, /* a deadline was missed: the server did not answer in time */
	TARGET_DOWN,    /* refused, lost, or failed with an error */
	TARGET_AUTH,    /* authentication failed: no retry storm, shown plainly */
};

struct snapshot {
	atomic_int refs;
	struct db_sample s;
	double mono;          /* when it was taken, engine monotonic seconds */
	double cost_ms_s;     /* dbfleet's own server time per second of wall time */
	double rtt_ms;        /* the probe's round trip, send to first byte on the socket; -1 not measured */
};

/* The status of one target, copied out under the lock. */
struct target_status {
	char name[64];
	char engine[16];
	char endpoint[96];    /* host:port, for matching replicas to primaries */
	enum target_state state;
	char error[ERR_MSG_MAX];
	double last_ok;       /* monotonic time of the last good sample, 0 = never */
	double interval_s;
	double timeout_s;
	char cloud_id[64];    /* the AWS instance it is, if the config says; "" */
	char cloud_account[64]; /* the account of that instance: its id or alias; "" any */
	char tags[256];       /* the target's tags from the config: "team=payments,env=prod" */
	char slo_group[128];  /* the config [group] whose tag it carries ("team=payments"), "" none */
	double slo_group_availability; /* that group's own objective, 0 none */
};

/* HIST_RTT_MS: the probe's round trip on the socket, from sending it to its first byte back (-1: not
 * measured, a blocking engine's sample); time queued in dbfleet's own sampler does not count. */
enum hist_metric { HIST_TPS, HIST_LAG_BYTES, HIST_LAG_S, HIST_CONNS, HIST_RTT_MS, HIST_N };

#define STORE_HISTORY 1200 /* samples, at most two a second: >= 10 minutes, 40 at 2 s */

struct store;

/* A store for 'n' targets; NULL on failure. */
struct store *store_new(size_t n);
/* Free the store and every snapshot it holds; NULL-safe, sets *s to NULL. */
void store_free(struct store **s);

/* Targets in use (configured, then adopted from AWS); slots beyond are spare. */
size_t store_count(const struct store *s);
/* Make sure slots [0, n) exist (adopted targets); 0, or -1 on OOM. One thread at a time. */
int store_reserve(struct store *s, size_t n);
/* Make slots [0, n) visible, once the new ones are described. */
void store_set_count(struct store *s, size_t n);
/* The index of the target named 'name', -1 if none. Any thread. */
long store_find(struct store *s, const char *name);
/* Set the fixed description of target 't' (before any worker starts). */
void store_describe(struct store *s, size_t t, const char *name, const char *engine,
		    const char *endpoint, double interval_s, double timeout_s);

/* The read end to poll() for wake-ups, and draining it. */
int store_wake_fd(const struct store *s);
void store_drain(struct store *s);

/* Publish a new snapshot for 't' (takes ownership), state OK. Any thread. */
void store_publish(struct store *s, size_t t, struct snapshot *snap);
/* Record a state change with its error (NULL for none). Any thread. */
void store_set_state(struct store *s, size_t t, enum target_state st, const struct err *err);

/*
 * Sampling follows attention: the UI calls this for each target a pane or
 * overlay is showing in detail (sessions, queries), at every recalc; the
 * collectors read sessions, locks and digests for it while the call was
 * made within the last 'for_s' seconds. Any thread.
 */
void store_watch(struct store *s, size_t t, double for_s);
/* 1 if 't' is watched now (the collectors' side). */
int store_watched(struct store *s, size_t t);
/* The same for the triage pane's reads (slots, vacuum, lock queue): a watch of its
 * own, so the sessions pane does not pay for them. The triage data is in the
 * latest snapshot (store_get) while the watch lasts: db_sample.triage.read. */
void store_watch_triage(struct store *s, size_t t, double for_s);
int store_watched_triage(struct store *s, size_t t);

/* Copy the status of 't' and take a reference to its snapshot (NULL if none). */
struct snapshot *store_get(struct store *s, size_t t, struct target_status *status);
/* The same for the last snapshot that has sessions, locks and digests (db_sample.detail):
 * the sessions and queries panes read this one; it may be older than store_get()'s. */
struct snapshot *store_get_detail(struct store *s, size_t t, struct target_status *status);
/* Copy up to 'max' most recent values of 'm' for 't', oldest first; count. */
size_t store_history(struct store *s, size_t t, enum hist_metric m, double *out, size_t max);

/* A new snapshot with one reference; NULL on OOM. */
struct snapshot *snapshot_new(void);
/* Drop a reference; frees on the last. NULL-safe, sets *p to NULL. */
void snapshot_release(struct snapshot **p);

/* ---- what AWS knows about the fleet: one snapshot for all regions ---- */

struct cloud_snapshot {
	atomic_int refs;
	struct cloud_instance *inst;
	size_t n;
	char source[96];      /* where the credentials came from: "profile prod" */
	char regions[160];    /* "us-east-1,eu-west-1" */
	char endpoint[160];   /* "" for AWS itself, else the override ("emulator at ...") */
	char error[300];      /* the last error, "" when the last round was clean */
	int auth_failed;      /* the error was about credentials or permissions */
	double discovered_at; /* monotonic; 0 never */
	double metrics_at;    /* monotonic; 0 never */
	unsigned long requests;
	struct cloud_costs costs; /* costs.valid = 0 until fetched */
	char cost_error[300];
	const char *prices_date;  /* what the hourly estimates come from */
	struct cloud_event *events;  /* the last day's RDS events, newest first */
	size_t nevents;
	double events_at;         /* monotonic; 0 never */
};

/* Replace the cloud snapshot (takes ownership). Any thread. */
void store_cloud_publish(struct store *s, struct cloud_snapshot *c);
/* A reference to the cloud snapshot, NULL if AWS is not in use or not asked yet. */
struct cloud_snapshot *store_cloud_get(struct store *s);
struct cloud_snapshot *cloud_snapshot_new(void);
void cloud_snapshot_release(struct cloud_snapshot **p);
/* The user asks for fresh costs now (Cost Explorer bills each request); the cloud thread takes it. */
void store_cloud_ask_costs(struct store *s);
int store_cloud_take_cost_request(struct store *s);
/* Link target 't' to an AWS instance id (config: aws_instance). */
void store_set_cloud_id(struct store *s, size_t t, const char *id);
/* The AWS account (id or alias) of target 't''s instance, with several accounts ([target] aws_account). */
void store_set_cloud_account(struct store *s, size_t t, const char *account);
/* Set target 't''s tags ("team=payments,env=prod"), for grouping and filtering. */
void store_set_tags(struct store *s, size_t t, const char *tags);
/* Set the config [group] target 't' is in (its tag "team=payments") and that group's objective (0 none). */
void store_set_slo_group(struct store *s, size_t t, const char *tag, double avail);

/* ---- Performance Insights: asked for only while a pane or overlay shows the instance ---- */

struct pi_snapshot {
	atomic_int refs;
	struct cloud_pi pi;
};

#define STORE_PI_WATCH 8 /* instances watched at once: the queries pane and an overlay need two */
#define STORE_PI_KEY 100 /* "REGION/ID" */
#define STORE_PI_WATCH_S 15.0 /* a pane renews its watch at each recalc (every second at least) */

/*
 * The UI shows instance REGION/ID's Performance Insights now (the queries
 * pane, a details overlay): the cloud thread reads them while this was
 * called within the last 'for_s' seconds, at once for a new one. Any thread.
 */
void store_pi_watch(struct store *s, const char *region, const char *id, double for_s);
/* The watched instances' "REGION/ID", at most 'max'; how many (the cloud thread's side). */
size_t store_pi_watched(struct store *s, char (*keys)[STORE_PI_KEY], size_t max);
/* 1 once after an instance was newly watched: the cloud thread should look now. */
int store_pi_take_request(struct store *s);
/* Publish an instance's figures (takes ownership); dropped if no one watches it now. */
void store_pi_publish(struct store *s, struct pi_snapshot *p);
/* A reference to the latest figures of REGION/ID, NULL if none. */
struct pi_snapshot *store_pi_get(struct store *s, const char *region, const char *id);
struct pi_snapshot *pi_snapshot_new(void);
void pi_snapshot_release(struct pi_snapshot **p);

/* ---- actions: what was asked, and how it went (the actions pane) ---- */

enum action_state { ACTION_QUEUED, ACTION_RUNNING, ACTION_DONE, ACTION_FAILED, ACTION_REFUSED, ACTION_DRY_RUN };

struct action_status {
	int id;
	size_t target;
	char target_name[64];
	char what[16];        /* "cancel", "terminate", "promote" */
	char object[96];      /* "pid 48213 (app_rw)", "the server" */
	char who[96];         /* local user@host */
	double started;       /* epoch seconds */
	double ended;         /* epoch seconds, 0 while not finished */
	int state;            /* enum action_state */
	char sql[512];        /* what was (or would be) sent */
	char message[256];    /* the server's answer, or why it was refused */
};

#define STORE_ACTIONS 64

/* Insert or replace (by id) an action's status. Any thread. */
void store_action_put(struct store *s, const struct action_status *a);
/* Copy up to 'max' actions, newest first; how many. */
size_t store_actions(struct store *s, struct action_status *out, size_t max);
const char *action_state_name(int st);

/* ---- a tap: what the store takes in, as it takes it (the recorder) ---- */

/*
 * Called under the store's lock, in the order the store takes things in:
 * each must only take a reference or a copy and queue it (never block, never
 * call the store). 'snapshot' and 'cloud' may take a reference (refs + 1).
 */
struct store_tap {
	void (*snapshot)(void *arg, size_t t, struct snapshot *snap);
	void (*state)(void *arg, size_t t, enum target_state st, const char *error);
	void (*action)(void *arg, const struct action_status *a);
	void (*cloud)(void *arg, struct cloud_snapshot *c);
	void (*event)(void *arg, const struct tl_event *ev); /* a timeline entry: off the lock, after it is added */
	void (*pi)(void *arg, struct pi_snapshot *p); /* Performance Insights figures that were kept; may take a reference */
	void *arg;
};
/* Set (NULL: remove) the tap; any thread (once it returns, the old tap is no longer called). */
void store_set_tap(struct store *s, const struct store_tap *tap);
/* Forget every snapshot, state, history, action, the cloud snapshot and the timeline (a replay going back in time). */
void store_reset(struct store *s);
/* A replay: the store adds no timeline entries of its own (the recorded ones come through store_timeline_add). */
void store_set_unobserved(struct store *s);
/* ---- the plan asked for on a key (explain): the latest answer, taken by the UI ---- */

struct plan_result {
	int id;               /* the request's, as collector_explain returned it */
	size_t target;
	int ok;               /* 1: 'plan' holds it; 0: 'error' says in one line why there is none */
	char error[ERR_MSG_MAX];
	double took_s;        /* from the key to the answer */
	struct db_plan plan;
};

/* Replace the waiting answer (takes ownership) and wake the UI. Any thread. */
void store_plan_put(struct store *s, struct plan_result *r);
/* The answer to request 'id' if it came (the caller owns it then), else NULL. */
struct plan_result *store_plan_take(struct store *s, int id);
/* Free an answer and its plan; NULL-safe, sets *r to NULL. */
void plan_result_free(struct plan_result **r);
/* Where the plan of request 'id' was saved ("saved to PATH"), or why not. Any thread. */
void store_plan_saved_put(struct store *s, int id, const char *msg);
/* 1 with 'msg' when the save of request 'id' has answered (it is taken), else 0. */
int store_plan_saved_take(struct store *s, int id, char *msg, size_t n);

/* ---- the timeline: state, role, replication and lag changes, RDS events, actions, drill marks ---- */

#define STORE_TIMELINE 10000 /* events kept, the oldest dropped first */

/*
 * The store adds what it sees change itself: a target's state and, between
 * two samples, its role, replication and lag (timeline.c); new RDS events and
 * instance changes between two cloud snapshots; each action's outcome. Other
 * producers (drill marks) add theirs here; 'ev->seq' is set. Any thread.
 */
void store_timeline_add(struct store *s, const struct tl_event *ev);
/* Copy up to 'max' events with seq > 'after', in order of arrival; how many. Any thread. */
size_t store_timeline_read(struct store *s, uint64_t after, struct tl_event *out, size_t max);
/* The first seq after the timeline was last emptied (store_reset), 0 never: a reader's older copies are gone. */
uint64_t store_timeline_cleared(struct store *s);

/* ---- objectives: availability and latency SLOs (slo.c), the fleet pane's budget and burn ---- */

struct slo_view {
	double objective;     /* percent of the time good: 99.95 */
	double latency_ms;    /* a probe slower than this is bad too; 0 none */
	int window_days;      /* the error budget's window */
	double burn_1h, burn_6h; /* bad fraction over the budget (1 - objective); -1 nothing observed */
	double budget_left;   /* of the window's budget: 1 untouched, < 0 overspent */
	int fast;             /* burn_1h >= 14.4 and burn_6h >= 6 */
	double observed_s;    /* seconds the probes covered in the window */
	/* the seconds behind them, for a group's figures: good and bad over 1 h and 6 h, bad over the
	 * window, and the window's budget in seconds ((1 - objective) * window) */
	double good_1h, bad_1h, good_6h, bad_6h, bad_window, budget_s;
};

/* Target 't' has an objective (config: slo_availability, slo_latency_ms, slo_window); before the samplers. */
void store_set_slo(struct store *s, size_t t, double avail, double latency_ms, int window_days);
/* Its budget and burn now; 0 if 't' has no objective. Any thread. */
int store_slo(struct store *s, size_t t, struct slo_view *out);
/* Burn rates, the budget left and 'fast' from the seconds and objective in 'v' (a group's sums). Pure. */
void store_slo_finish(struct slo_view *v);
/*
 * The state file the windows survive a restart in ($XDG_STATE_HOME/dbfleet/FLEET.state):
 * read (a corrupt one is set aside, with a message store_slo_message hands out once), then
 * appended each minute. Collector threads only (file I/O).
 */
void store_slo_load(struct store *s, const char *path);
void store_slo_append(struct store *s, const char *path);
/* A message for the status line (the state file, the drill report): replaces one not yet shown. Any thread. */
void store_slo_note(struct store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A message about the state file not yet shown (copied into 'out'): 1, else 0. Any thread. */
int store_slo_message(struct store *s, char *out, size_t n);

/* Words for a state, for panes and the status bar. */
const char *target_state_name(enum target_state st);

#endif
