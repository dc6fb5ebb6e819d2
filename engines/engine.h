/*
 * engine.h - one kind of database behind one ops table (curl's TLS backends).
 *
 * Threads: a connection belongs to the thread that opened it; every call
 * below may block on the network but never past the deadline it is given
 * (monotonic seconds, clock_mono()). A call that still hangs (a stopped
 * server can defeat every driver timeout) is the caller's to abandon: the
 * engine keeps no global state that such a thread could hold.
 */
#ifndef DBFLEET_ENGINE_H
#define DBFLEET_ENGINE_H

#include "../model/model.h"

enum engine_caps {
	ENGINE_CAP_REPLICATION = 1 << 0,
	ENGINE_CAP_QUERIES = 1 << 1,
	ENGINE_CAP_SESSIONS = 1 << 2,
};

struct engine_conn;

/*
 * The non-blocking interface (sampler threads, many connections each).
 * A step never blocks: it does what the socket allows and says what to wait
 * for next. The caller owns the deadline: when it passes, the caller hands
 * the connection to engine_ops.abandon on a blocking worker and never steps
 * it again.
 */
enum engine_step {
	ENGINE_STEP_FAIL = -1, /* 'err' says why; the connection is to be closed */
	ENGINE_STEP_DONE = 0,  /* finished: the connection is idle again */
	ENGINE_STEP_WAIT = 1,  /* wait for 'w' (fd readable/writable), then step again */
};

struct engine_wait {
	int fd;                /* the socket to wait on */
	short events;          /* POLLIN and/or POLLOUT */
};

/* What a sample reads, as bits: the cheap health probe alone (0), sessions, locks and
 * digests (ENGINE_DETAIL), the triage pane's slots, vacuum and lock queue (ENGINE_TRIAGE). */
enum engine_detail { ENGINE_HEALTH = 0, ENGINE_DETAIL = 1, ENGINE_TRIAGE = 2 };

/*
 * How far an action of several statements (a MySQL promote) has got, told by
 * 'act' on its own thread: before it sends each statement and after the last
 * answer. 'answered' statements have been answered; 'said' is where the server
 * stands in words should nothing more come ("STOP REPLICA answered; RESET
 * REPLICA ALL sent, no answer; SET GLOBAL read_only = OFF not sent: ...").
 * Before a statement, -1 means dbfleet gave up on the action: the statement
 * and the ones after it are not sent, and 'act' fails.
 */
struct engine_steps {
	int (*step)(void *ctx, int answered, const char *said);
	void *ctx;
};

struct engine_ops {
	const char *name;   /* "postgres" */
	unsigned caps;      /* enum engine_caps */
	/* Once in main() before any thread (mysql_library_init); optional; 0 or -1. */
	int (*global_init)(void);
	/* In each collector thread before it exits (mysql_thread_end); optional. */
	void (*thread_end)(void);
	/* Open a connection for 'dsn' (conninfo or URI); NULL with 'err' filled. */
	struct engine_conn *(*connect)(const char *dsn, double timeout_s, struct err *err);
	/* Fill 'out' (zeroed by the caller) with one sample; 0 or -1 with 'err'. */
	int (*sample)(struct engine_conn *c, struct db_sample *out, double deadline, struct err *err);
	/* Cached text of a statement, or NULL (then fetched on a later sample). */
	const char *(*query_text)(struct engine_conn *c, int64_t queryid);
	/* "host:port" a DSN points at, without connecting; "" if unknown. */
	void (*endpoint)(const char *dsn, char *out, size_t n);
	/*
	 * The statement an action sends, exactly (shown by --dry-run and kept
	 * in the audit log); 0, or -1 with 'err' if this engine cannot do it.
	 */
	int (*action_sql)(const struct db_action *a, char *sql, size_t n, struct err *err);
	/*
	 * Run an action on 'c' (a connection opened for it), re-checking the
	 * object's identity in the same statement or just before; 0 with
	 * 'outcome', or -1 with 'err' (ERR_REFUSED: the object changed).
	 * 'steps' (NULL: none) hears how far an action of several statements
	 * got; a single statement may go unreported.
	 */
	int (*act)(struct engine_conn *c, const struct db_action *a, double deadline, const struct engine_steps *steps,
		   char *outcome, size_t n, struct err *err);
	/* Close and free; NULL-safe. */
	void (*close)(struct engine_conn *c);

	/*
	 * Non-blocking connect (optional; without it 'connect' runs on a
	 * blocking worker): 'hostaddr' is the address dbfleet resolved for
	 * the DSN's host ("" = none needed: a socket, an address, the
	 * library's default), so the library does no name lookup of its own.
	 * Returns the connection in progress and what to wait for, or NULL
	 * with 'err'. connect_step goes on until DONE (the connection is
	 * ready, its once-per-connection probe done) or FAIL.
	 */
	struct engine_conn *(*connect_start)(const char *dsn, const char *hostaddr, double timeout_s,
					     struct engine_wait *w, struct err *err);
	int (*connect_step)(struct engine_conn *c, struct engine_wait *w, struct err *err);
	/*
	 * Non-blocking sample (optional; without it 'sample' runs on a
	 * blocking worker): sample_start sends what 'detail' asks for and
	 * returns WAIT (or FAIL); sample_step reads, and on DONE 'out'
	 * (zeroed by the caller before sample_start) holds the sample.
	 */
	int (*sample_start)(struct engine_conn *c, enum engine_detail detail, struct engine_wait *w,
			    struct err *err);
	int (*sample_step)(struct engine_conn *c, struct db_sample *out, struct engine_wait *w, struct err *err);
	/*
	 * A connection whose step missed its deadline: ask the server to
	 * stop what it runs for us (PQcancel, KILL QUERY on a second
	 * connection), then close and free. Blocking: run on a blocking
	 * worker, never on a sampler. NULL-safe.
	 */
	void (*abandon)(struct engine_conn *c);
	/* The host name a DSN connects to, for dbfleet's own resolver: 1 with 'host' and 'port'
	 * when a lookup is needed, 0 when not (a socket, an address), -1 when the library would
	 * look up names itself that dbfleet cannot hand it (a host list): then the connect
	 * runs on a blocking worker. */
	int (*lookup_host)(const char *dsn, char *host, size_t n, int *port);
	/* 1 if 'dsn' holds a secret (a password, in any spelling the library reads), with 'why'
	 * saying where to put it instead (never the value); 0 if not. Pure: no connection. */
	int (*dsn_secret)(const char *dsn, char *why, size_t n);
	/*
	 * A write through 'c', a fresh connection to an application endpoint
	 * (drills, write availability): upsert row id 1 of 'table' (columns id
	 * and ts), or with 'table' "" a statement that takes a transaction id.
	 * Blocking, on a worker; 0 or -1 with 'err'. Optional.
	 */
	int (*write_probe)(struct engine_conn *c, const char *table, double deadline, struct err *err);
	/*
	 * The plan of a session's running statement or of a recorded one, never
	 * running it: read-only, bounded by 'deadline' and the server's own
	 * timeouts (optional: NULL, no plans). 0 with 'out' filled (zeroed by the
	 * caller; engine_plan_release frees it), or -1 with 'err' saying in one
	 * line why there is none (a utility statement, a cut text, a grant).
	 */
	int (*explain)(struct engine_conn *c, const struct db_explain *q, double deadline, struct db_plan *out,
		       struct err *err);
};

/* The engine named 'name' ("postgres", "pg", "mysql", "mariadb"), or NULL. */
const struct engine_ops *engine_find(const char *name);

/* The engine a DSN's scheme names ("postgresql://"), or NULL. */
const struct engine_ops *engine_for_dsn(const char *dsn);

/*
 * 1 if 'dsn' holds a password (it would show in ps or sit in a shared file), with 'why'
 * for the user (never the value); 0 if not. A DSN no engine reads is checked for a
 * URI's user:password@ and for the word "password".
 */
int engine_dsn_has_secret(const char *dsn, char *why, size_t n);

/* Free what a plan owns (its lines, its statement) and zero it; NULL-safe. */
void engine_plan_release(struct db_plan *p);

/* Free what a sample owns (texts, arrays) and zero it. */
void engine_sample_release(struct db_sample *s);

/* Free what a sample's triage part owns and zero it. */
void engine_triage_release(struct db_triage *t);

/* Run every engine's global_init; 0, or -1 if one failed. */
int engine_init_all(void);
/* Run every engine's thread_end (mysql_thread_end): before a thread that used engines exits. */
void engine_thread_end_all(void);

extern const struct engine_ops engine_postgres_ops, engine_mysql_ops, engine_odbc_ops;

#endif
