/*
 * actions.c - the action worker: one thread that runs what the user
 * confirmed, never the UI thread. For each action: the exact SQL, an
 * "intent" record in the audit log (fsync'd; if it cannot be written the
 * action does not run), then a fresh connection, the engine's act (which
 * re-checks the object's identity), and an "outcome" record. Its progress
 * is published in the store for the actions pane.
 *
 * Quitting (actq_finish, from main once the terminal is restored): the queued
 * actions are dropped (none has an intent record), and the running one gets
 * until its own deadline to end and write its outcome. If it does not, main
 * writes an "abandoned" record saying what was sent and what was not, and the
 * worker sends nothing more for it (its next step checks 'abandoned' under mu).
 * An action of several statements (a MySQL promote) reports before each one
 * and after the last answer (engine_steps): the record then names the ones
 * answered, the one sent without an answer and the ones never sent.
 */
#include "actions.h"

#include "../aws/aws.h"
#include "../engines/engine.h"
#include "../model/xdg.h"
#include "audit_text.h"
#include "grow.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "actions_private.h"

static const char *const kind_names[] = {"none", "cancel", "terminate", "promote", "snapshot", "failover"};

static int is_aws(int kind)
{
	return kind == ACT_SNAPSHOT || kind == ACT_FAILOVER;
}

void actq_set_cloud(struct actq *q, const struct cloud_config *cfg)
{
	q->cloud = *cfg;
}

static const char *kind_name(int k)
{
	return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?";
}

const char *action_kind_name(int kind)
{
	return kind_name(kind);
}

void action_status_via(const struct action_request *r, struct action_status *s)
{
	if (!r->via_acl_user[0])
		return;
	snprintf(s->req_id, sizeof s->req_id, "%s", r->via_id);
	snprintf(s->via, sizeof s->via, "ACL user %.80s, claimed %.40s@%.56s", r->via_acl_user,
		 r->via_os_user[0] ? r->via_os_user : "?", r->via_host[0] ? r->via_host : "?");
}

struct actq *actq_new(struct store *st, const struct action_target *t, size_t n)
{
	struct actq *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	grow_init(&q->t, sizeof *t);
	for (size_t i = 0; i < n; i++) {
		struct action_target *e = grow_make(&q->t, i);
		if (!e) {
			grow_release(&q->t);
			free(q);
			return NULL;
		}
		*e = t[i];
	}
	atomic_init(&q->n, n);
	q->st = st;
	q->next_id = 1;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->idle, &ca);
	pthread_condattr_destroy(&ca);
	char host[64] = "?";
	gethostname(host, sizeof host - 1);
	struct passwd *pw = getpwuid(getuid());
	snprintf(q->who, sizeof q->who, "%.40s@%.50s", pw ? pw->pw_name : "?", host);
	actq_set_audit(q, "");
	return q;
}

int actq_adopt(struct actq *q, size_t idx, const struct action_target *t)
{
	struct action_target *e = idx == atomic_load(&q->n) ? grow_make(&q->t, idx) : NULL;
	if (!e)
		return -1;
	*e = *t;
	atomic_store(&q->n, idx + 1); /* after the entry: readers check n first */
	return 0;
}

void actq_set_audit(struct actq *q, const char *path)
{
	if (path && *path) {
		snprintf(q->audit, sizeof q->audit, "%s", path);
		return;
	}
	xdg_path(XDG_STATE, "audit.log", q->audit, sizeof q->audit); /* too long: "", the log cannot be written */
}

void actq_free(struct actq *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	pthread_cond_destroy(&q->idle);
	grow_release(&q->t);
	free(q);
}

/* The same object: same target, and the same session (or both server-wide). */
static int same_object(const struct action_request *a, const struct action_request *b)
{
	if (is_aws(a->a.kind) || is_aws(b->a.kind)) /* one AWS action a time per instance or cluster */
		return is_aws(a->a.kind) && is_aws(b->a.kind) && !strcmp(a->aws_region, b->aws_region) &&
		       !strcmp(a->aws_account, b->aws_account) &&
		       (!strcmp(a->aws_id, b->aws_id) || (a->aws_cluster[0] && !strcmp(a->aws_cluster, b->aws_cluster)));
	int server_a = a->a.kind == ACT_PROMOTE, server_b = b->a.kind == ACT_PROMOTE;
	if (a->target != b->target || server_a != server_b)
		return 0;
	if (server_a)
		return 1;
	/* sessions: any pid in common (bulk requests hold several) */
	int na = a->nbulk ? a->nbulk : 1, nb = b->nbulk ? b->nbulk : 1;
	for (int i = 0; i < na; i++)
		for (int j = 0; j < nb; j++)
			if ((a->nbulk ? a->bulk[i].pid : a->a.pid) == (b->nbulk ? b->bulk[j].pid : b->a.pid))
				return 1;
	return 0;
}

/* The API call an AWS action makes, as the audit log and --dry-run show it. */
static int aws_call_text(const struct action_request *r, char *out, size_t n, struct err *err)
{
	if (!r->aws_id[0] || !r->aws_region[0]) {
		err_set(err, ERR_CONFIG, "not an AWS instance dbfleet discovered: no AWS action");
		return -1;
	}
	if (r->a.kind == ACT_SNAPSHOT && r->aws_cluster[0])
		snprintf(out, n, "RDS CreateDBClusterSnapshot DBClusterIdentifier=%s DBClusterSnapshotIdentifier=%s"
			 " Tags=dbfleet:taken-by,dbfleet:reason (%s)", r->aws_cluster, r->snapshot_id, r->aws_region);
	else if (r->a.kind == ACT_SNAPSHOT)
		snprintf(out, n, "RDS CreateDBSnapshot DBInstanceIdentifier=%s DBSnapshotIdentifier=%s"
			 " Tags=dbfleet:taken-by,dbfleet:reason (%s)", r->aws_id, r->snapshot_id, r->aws_region);
	else if (r->aws_global[0])
		snprintf(out, n, "RDS SwitchoverGlobalCluster GlobalClusterIdentifier=%s TargetDbClusterIdentifier=<ARN of"
			 " %s in %s>", r->aws_global, r->aws_cluster, r->aws_region);
	else if (r->aws_cluster[0])
		snprintf(out, n, "RDS FailoverDBCluster DBClusterIdentifier=%s%s%s (%s)", r->aws_cluster,
			 r->aws_target[0] ? " TargetDBInstanceIdentifier=" : "", r->aws_target, r->aws_region);
	else
		snprintf(out, n, "RDS RebootDBInstance DBInstanceIdentifier=%s ForceFailover=true (%s)", r->aws_id,
			 r->aws_region);
	return 0;
}

/* The SQL or API call of 'r' on a target of engine 'ops' (NULL: none). */
static int action_sql(const struct engine_ops *ops, const struct action_request *r, char *sql, size_t n,
		      struct err *err)
{
	if (is_aws(r->a.kind))
		return aws_call_text(r, sql, n, err);
	if (!ops || !ops->action_sql) {
		err_set(err, ERR_CONFIG, "this engine has no actions");
		return -1;
	}
	if (r->nbulk > 1) {
		char one[400];
		if (ops->action_sql(&r->bulk[0], one, sizeof one, err) < 0)
			return -1;
		snprintf(sql, n, "%d statements, one per session, each like: %s", r->nbulk, one);
		return 0;
	}
	return ops->action_sql(&r->a, sql, n, err);
}

int actq_sql(const struct actq *q, const struct action_request *r, char *sql, size_t n, struct err *err)
{
	return action_sql(r->target < atomic_load((atomic_size_t *)&q->n) ? AT(q, r->target)->ops : NULL, r, sql, n,
			  err);
}

int collector_action_sql_for(const char *engine, const struct action_request *r, char *sql, size_t n,
			     struct err *err)
{
	return action_sql(engine_find(engine), r, sql, n, err);
}

static void status_of(const struct actq *q, const struct item *it, struct action_status *s)
{
	memset(s, 0, sizeof *s);
	s->id = it->id;
	s->target = it->r.target;
	snprintf(s->target_name, sizeof s->target_name, "%s",
		 it->r.target < atomic_load((atomic_size_t *)&q->n) ? AT(q, it->r.target)->conf.name : it->r.aws_id);
	snprintf(s->what, sizeof s->what, "%s", kind_name(it->r.a.kind));
	snprintf(s->object, sizeof s->object, "%s", it->r.object);
	snprintf(s->who, sizeof s->who, "%s", q->who);
	action_status_via(&it->r, s);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->started = (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The target's config allows this kind of action ("actions = none | sessions"): the prompts
 * check it first; this holds for requests that did not come through them (a viewer's). */
static int policy_allows(const struct actq *q, const struct action_request *r, struct err *err)
{
	if (r->target >= atomic_load((atomic_size_t *)&q->n))
		return 0;
	const struct action_target *t = AT(q, r->target);
	int server = r->a.kind != ACT_CANCEL && r->a.kind != ACT_TERMINATE;
	if (t->conf.actions == TARGET_ACTIONS_NONE || (server && t->conf.actions == TARGET_ACTIONS_SESSIONS))
		return err_set(err, ERR_REFUSED, "actions on %s are off in the config (actions = %s)", t->conf.name,
			       t->conf.actions == TARGET_ACTIONS_NONE ? "none" : "sessions");
	return 0;
}

int actq_submit(struct actq *q, const struct action_request *r, struct err *err)
{
	char sql[512];
	if (policy_allows(q, r, err) < 0 || actq_sql(q, r, sql, sizeof sql, err) < 0)
		return -1;
	pthread_mutex_lock(&q->mu);
	int dup = q->busy.id && same_object(&q->busy.r, r);
	for (size_t i = 0; i < q->qn && !dup; i++)
		dup = same_object(&q->q[i].r, r);
	if (dup || q->qn == QUEUE_MAX) {
		pthread_mutex_unlock(&q->mu);
		err_set(err, ERR_REFUSED, dup ? "an action on %s is already in flight: not started again"
			 : "too many actions queued", r->object);
		return -1;
	}
	struct item *it = &q->q[q->qn++];
	it->id = q->next_id++;
	it->r = *r;
	struct action_status s;
	status_of(q, it, &s);
	snprintf(s.sql, sizeof s.sql, "%s", sql);
	int id = it->id;
	/* published before the worker can see it: its own later states must win */
	store_action_put(q->st, &s);
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return id;
}

void actq_wake(struct actq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* mkdir -p the audit log's directory (0700), as far as it is missing. */
static void make_dirs(const char *path)
{
	char d[1024];
	snprintf(d, sizeof d, "%s", path);
	for (char *p = d + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(d, 0700);
			*p = '/';
		}
}

/*
 * Append 'line' and a newline to the audit log at 'path', fsync'd; 0 or -1
 * (errno). The log is the user's alone (0600), also when an older one was not.
 */
static int audit_append(const char *path, char *line)
{
	make_dirs(path);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	struct stat sb;
	size_t len = strlen(line);
	line[len] = '\n'; /* the NUL becomes the newline */
	int rc = fstat(fd, &sb) == 0 && ((sb.st_mode & 077) == 0 || fchmod(fd, 0600) == 0) &&
		 write(fd, line, len + 1) == (ssize_t)(len + 1) && fsync(fd) == 0 ? 0 : -1;
	line[len] = '\0';
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* One JSON line, appended and fsync'd; 0 or -1 with 'why'. */
static int audit(const struct actq *q, const struct item *it, const char *phase, const char *sql,
		 const struct action_status *s, char *why, size_t wn)
{
	const struct action_target *t = it->r.target < atomic_load(&q->n) ? AT(q, it->r.target) : NULL;
	const struct db_action *a = &it->r.a;
	char when[40], ep[96];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t o = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + o, sizeof when - o, ".%03ldZ", ts.tv_nsec / 1000000);
	if (is_aws(a->kind)) /* the AWS object, never credentials */
		snprintf(ep, sizeof ep, "rds:%.20s:%.64s", it->r.aws_region,
			 it->r.aws_cluster[0] ? it->r.aws_cluster : it->r.aws_id);
	else /* host:port only: the DSN may name a password file */
		t->ops->endpoint(t->conf.dsn, ep, sizeof ep);
	cJSON *j = cJSON_CreateObject(), *ob;
	cJSON_AddStringToObject(j, "time", when);
	cJSON_AddStringToObject(j, "phase", phase);
	cJSON_AddNumberToObject(j, "id", it->id);
	cJSON_AddStringToObject(j, "who", q->who);
	if (it->r.via_acl_user[0]) { /* a viewer's request: the stream's ACL user is trusted, the rest claimed */
		cJSON *v = cJSON_AddObjectToObject(j, "requested_by");
		cJSON_AddStringToObject(v, "acl_user", it->r.via_acl_user);
		cJSON_AddStringToObject(v, "claimed_os_user", it->r.via_os_user);
		cJSON_AddStringToObject(v, "claimed_host", it->r.via_host);
		cJSON_AddStringToObject(v, "request_id", it->r.via_id);
	}
	cJSON_AddStringToObject(j, "target", t ? t->conf.name : it->r.aws_id);
	cJSON_AddStringToObject(j, "engine", t ? t->ops->name : "aws");
	cJSON_AddStringToObject(j, "endpoint", ep);
	cJSON_AddStringToObject(j, "action", kind_name(a->kind));
	ob = cJSON_AddObjectToObject(j, "object");
	cJSON_AddStringToObject(ob, "description", it->r.object);
	if (is_aws(a->kind)) {
		cJSON_AddStringToObject(ob, "instance", it->r.aws_id);
		if (it->r.aws_account[0]) /* which account, and through which profile */
			cJSON_AddStringToObject(ob, "account", it->r.aws_account);
		if (it->r.aws_account_alias[0])
			cJSON_AddStringToObject(ob, "account_alias", it->r.aws_account_alias);
		if (it->r.aws_profile[0])
			cJSON_AddStringToObject(ob, "profile", it->r.aws_profile);
		if (it->r.aws_cluster[0])
			cJSON_AddStringToObject(ob, "cluster", it->r.aws_cluster);
		if (it->r.aws_writer[0])
			cJSON_AddStringToObject(ob, "writer_when_shown", it->r.aws_writer);
		if (it->r.snapshot_id[0])
			cJSON_AddStringToObject(ob, "snapshot", it->r.snapshot_id);
		if (it->r.reason[0])
			cJSON_AddStringToObject(ob, "reason", it->r.reason);
	} else if (it->r.nbulk > 1) {
		cJSON *pids = cJSON_AddArrayToObject(ob, "sessions");
		for (int i = 0; i < it->r.nbulk; i++) {
			cJSON *one = cJSON_CreateObject();
			cJSON_AddNumberToObject(one, "pid", it->r.bulk[i].pid);
			if (it->r.bulk[i].backend_start[0])
				cJSON_AddStringToObject(one, "backend_start", it->r.bulk[i].backend_start);
			if (it->r.bulk[i].user[0])
				cJSON_AddStringToObject(one, "user", it->r.bulk[i].user);
			cJSON_AddItemToArray(pids, one);
		}
	} else if (a->kind != ACT_PROMOTE)
		cJSON_AddNumberToObject(ob, "pid", a->pid);
	if (a->backend_start[0])
		cJSON_AddStringToObject(ob, "backend_start", a->backend_start);
	if (a->user[0])
		cJSON_AddStringToObject(ob, "user", a->user);
	if (a->client[0])
		cJSON_AddStringToObject(ob, "client", a->client);
	if (a->server_id[0])
		cJSON_AddStringToObject(ob, "server_id", a->server_id);
	cJSON_AddStringToObject(j, "sql", sql);
	cJSON_AddBoolToObject(j, "dry_run", it->r.dry_run);
	if (s) {
		cJSON_AddStringToObject(j, "result", strcmp(phase, "abandoned") ? action_state_name(s->state) : phase);
		cJSON_AddStringToObject(j, "message", s->message);
		cJSON_AddNumberToObject(j, "elapsed_s", s->ended - s->started);
	}
	char *json = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	/* server text made valid UTF-8, its controls and bidi characters escaped */
	char *line = json ? audit_text_escape(json) : NULL;
	cJSON_free(json);
	if (!line) {
		snprintf(why, wn, "out of memory");
		return -1;
	}
	int rc = audit_append(q->audit, line);
	if (rc < 0)
		snprintf(why, wn, "%.200s: %s", q->audit, strerror(errno));
	free(line);
	return rc;
}

static void finish(struct actq *q, struct action_status *s, int state, const char *msg)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->ended = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	s->state = state;
	if (msg != s->message)
		snprintf(s->message, sizeof s->message, "%s", msg);
	store_action_put(q->st, s);
}

/* Publish progress of a running action: "creating 45%", "cluster failing-over". */
void progress(struct actq *q, struct action_status *s, const char *what, const char *state, int pct)
{
	if (pct >= 0)
		snprintf(s->message, sizeof s->message, "%s%s %d%%", what, state, pct);
	else
		snprintf(s->message, sizeof s->message, "%s%s", what, state);
	store_action_put(q->st, s);
}

/* Sleep 's' seconds in small steps; 1 if asked to stop. */
int action_nap(const struct actq *q, double s)
{
	for (; s > 0; s -= 0.2) {
		if (atomic_load(q->stop) || atomic_load(&q->quitting))
			return 1;
		nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
	}
	return atomic_load(q->stop) || atomic_load(&q->quitting);
}

#define PROMOTE_S 70.0       /* a promotion waits for the server */
#define AWS_QUIT_S 60.0      /* an AWS action once quitting: its call in flight, then it stops watching */

/*
 * About to send the statement of session 'done' (0 for a single action): 1 to go
 * on, 0 when dbfleet gave up on this action (its "abandoned" record says nothing
 * more was sent, and this keeps it true).
 */
static int may_send(struct actq *q, int id, int done)
{
	pthread_mutex_lock(&q->mu);
	int ok = q->abandoned != id;
	if (ok) {
		q->busy_phase = BUSY_SENT;
		q->busy_done = done;
	}
	pthread_mutex_unlock(&q->mu);
	return ok;
}

/* What an action's statements tell the worker (engine_steps). */
struct steps_ctx {
	struct actq *q;
	int id;
	struct action_status *s;
};

/* engine_steps: how far the statements of the running action got, kept for an
 * "abandoned" record and shown; -1 (send no more) once dbfleet gave up on it. */
static int on_step(void *ctx, int answered, const char *said)
{
	struct steps_ctx *x = ctx;
	pthread_mutex_lock(&x->q->mu);
	int ok = x->q->abandoned != x->id;
	if (ok) {
		x->q->busy_done = answered;
		snprintf(x->q->busy_said, sizeof x->q->busy_said, "%s", said);
	}
	pthread_mutex_unlock(&x->q->mu);
	if (ok)
		progress(x->q, x->s, "so far: ", said, -1);
	return ok ? 0 : -1;
}

static void run_one(struct actq *q, struct item *it)
{
	const struct action_target *t = it->r.target < atomic_load(&q->n) ? AT(q, it->r.target) : NULL;
	struct action_status s;
	struct err err = {0};
	char why[300], outcome[256] = "";
	status_of(q, it, &s);
	if (actq_sql(q, &it->r, s.sql, sizeof s.sql, &err) < 0) {
		finish(q, &s, ACTION_FAILED, err.msg);
		return;
	}
	s.state = ACTION_RUNNING;
	store_action_put(q->st, &s);
	if (audit(q, it, "intent", s.sql, NULL, why, sizeof why) < 0) {
		char m[256];
		snprintf(m, sizeof m, "refused: the audit log cannot be written (%.180s); nothing sent", why);
		finish(q, &s, ACTION_REFUSED, m);
		return;
	}
	if (is_aws(it->r.a.kind) && !it->r.dry_run) {
		run_aws(q, it, &s);
	} else if (it->r.dry_run) {
		char m[256];
		snprintf(m, sizeof m, "dry run: nothing sent; would send: %.200s", s.sql);
		s.ended = s.started;
		s.state = ACTION_DRY_RUN;
		snprintf(s.message, sizeof s.message, "%s", m);
	} else {
		double timeout = t->conf.timeout_s > 0 ? t->conf.timeout_s : 3;
		struct engine_conn *conn = target_connect(&t->conf, t->ops, q->stop, &err);
		int rc = -1;
		if (conn && it->r.nbulk > 1) {
			/* each session checked and signalled on its own: one changed is one refused */
			int done = 0, refused = 0;
			char first[200] = "";
			for (int i = 0; i < it->r.nbulk && !atomic_load(q->stop) && may_send(q, it->id, i); i++) {
				char one[128];
				struct err e1 = {0};
				if (t->ops->act(conn, &it->r.bulk[i], clock_mono() + timeout + 5, NULL, one, sizeof one, &e1) == 0)
					done++;
				else {
					refused++;
					if (!first[0])
						snprintf(first, sizeof first, "%.190s", e1.msg);
				}
			}
			snprintf(outcome, sizeof outcome, "%d of %d done%s%s", done, it->r.nbulk,
				 refused ? "; first not done: " : "", first);
			rc = done ? 0 : -1;
			if (rc < 0) {
				err_set(&err, ERR_REFUSED, "%s", outcome);
			}
			t->ops->close(conn);
		} else if (conn && !may_send(q, it->id, 0)) {
			err_set(&err, ERR_FAIL, "not sent: dbfleet quit while it connected");
			t->ops->close(conn);
		} else if (conn) {
			/* promotion waits for the server; signals are quick */
			double deadline = clock_mono() + (it->r.a.kind == ACT_PROMOTE ? PROMOTE_S : timeout + 5);
			struct steps_ctx x = {q, it->id, &s};
			struct engine_steps steps = {on_step, &x};
			rc = t->ops->act(conn, &it->r.a, deadline, &steps, outcome, sizeof outcome, &err);
			t->ops->close(conn);
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		s.ended = (double)ts.tv_sec + ts.tv_nsec / 1e9;
		s.state = rc == 0 ? ACTION_DONE : err.code == ERR_REFUSED ? ACTION_REFUSED : ACTION_FAILED;
		snprintf(s.message, sizeof s.message, "%s", rc == 0 ? outcome : err.msg);
	}
	if (audit(q, it, "outcome", s.sql, &s, why, sizeof why) < 0) {
		size_t l = strlen(s.message);
		snprintf(s.message + l, sizeof s.message - l, " (outcome not in the audit log: %.80s)", why);
	}
	finish(q, &s, s.state, s.message);
}

/* How long an action may take on its own: run_one's connect and statement deadlines. */
static double budget(const struct actq *q, const struct item *it)
{
	if (is_aws(it->r.a.kind) || it->r.target >= atomic_load((atomic_size_t *)&q->n))
		return AWS_QUIT_S;
	const struct action_target *t = AT(q, it->r.target);
	double timeout = t->conf.timeout_s > 0 ? t->conf.timeout_s : 3;
	int n = it->r.nbulk > 1 ? it->r.nbulk : 1;
	return timeout + (it->r.a.kind == ACT_PROMOTE ? PROMOTE_S : n * (timeout + 5)) + 2;
}

void actq_run(struct actq *q, const atomic_int *stop)
{
	q->stop = stop;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (!q->qn && !atomic_load(stop))
			pthread_cond_wait(&q->cv, &q->mu);
		if (atomic_load(stop)) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		q->busy = q->q[0];
		memmove(q->q, q->q + 1, (q->qn - 1) * sizeof q->q[0]);
		q->qn--;
		q->busy_deadline = clock_mono() + budget(q, &q->busy);
		q->busy_started = clock_wall();
		q->busy_phase = BUSY_CONNECTING;
		q->busy_done = 0;
		q->busy_said[0] = '\0';
		struct item it = q->busy;
		pthread_mutex_unlock(&q->mu);
		run_one(q, &it);
		pthread_mutex_lock(&q->mu);
		q->busy.id = 0;
		pthread_cond_broadcast(&q->idle);
		pthread_mutex_unlock(&q->mu);
	}
	engine_thread_end_all();
}

int actq_busy(struct actq *q, char *what, size_t n)
{
	pthread_mutex_lock(&q->mu);
	int running = q->busy.id && q->busy.id != q->abandoned;
	const struct item *it = running ? &q->busy : q->qn ? &q->q[0] : NULL;
	int count = running + (int)q->qn;
	if (what && n) {
		what[0] = '\0';
		if (it)
			snprintf(what, n, "%s %.96s on %.64s", kind_name(it->r.a.kind), it->r.object,
				 it->r.target < atomic_load(&q->n) ? AT(q, it->r.target)->conf.name : it->r.aws_id);
	}
	pthread_mutex_unlock(&q->mu);
	return count;
}

/* What was and was not sent of an action dbfleet gives up on, for its "abandoned" record. */
static void abandoned_message(const struct item *it, const char *sql, int phase, int done, const char *said,
			      char *m, size_t n)
{
	int nb = it->r.nbulk > 1 ? it->r.nbulk : 1;
	if (is_aws(it->r.a.kind))
		snprintf(m, n, "abandoned: dbfleet quit while it ran; the AWS call (see sql) may have been sent:"
			 " check the console");
	else if (phase == BUSY_CONNECTING)
		snprintf(m, n, "abandoned: dbfleet quit while connecting to send it; nothing was sent");
	else if (nb > 1)
		snprintf(m, n, "abandoned: dbfleet quit after %d of %d sessions were answered; pid %d was sent with"
			 " no answer yet; the other %d were not sent", done, nb, it->r.bulk[done].pid, nb - done - 1);
	else if (said[0]) /* the engine told how far its statements got */
		snprintf(m, n, "abandoned: dbfleet quit part way: %.200s", said);
	else if (strstr(sql, ";\n"))
		snprintf(m, n, "abandoned: dbfleet quit while it checked the server; none of the statements (see sql)"
			 " was sent");
	else
		snprintf(m, n, "abandoned: dbfleet quit before the server answered; the statement was sent and may"
			 " or may not have taken effect: check it");
}

int actq_finish(struct actq *q, double wait_s)
{
	atomic_store(&q->quitting, 1);
	pthread_mutex_lock(&q->mu);
	q->qn = 0; /* not started: no intent record, nothing sent */
	double until = clock_mono() + (wait_s > 0 ? wait_s : 0);
	if (q->busy.id && q->busy_deadline < until)
		until = q->busy_deadline;
	while (q->busy.id && q->busy.id != q->abandoned && clock_mono() < until) {
		struct timespec ts = {.tv_sec = (time_t)until, .tv_nsec = (long)((until - (double)(time_t)until) * 1e9)};
		pthread_cond_timedwait(&q->idle, &q->mu, &ts);
	}
	int left = q->busy.id && q->busy.id != q->abandoned;
	struct item it = q->busy;
	int phase = q->busy_phase, done = q->busy_done;
	char said[sizeof q->busy_said];
	memcpy(said, q->busy_said, sizeof said);
	double started = q->busy_started;
	if (left)
		q->abandoned = it.id; /* from here the worker sends nothing more for it */
	pthread_mutex_unlock(&q->mu);
	if (!left)
		return 0;
	struct action_status s;
	struct err err = {0};
	char why[300];
	status_of(q, &it, &s);
	if (actq_sql(q, &it.r, s.sql, sizeof s.sql, &err) < 0)
		snprintf(s.sql, sizeof s.sql, "?");
	abandoned_message(&it, s.sql, phase, done, said, s.message, sizeof s.message);
	s.started = started;
	s.ended = clock_wall();
	s.state = ACTION_FAILED;
	audit(q, &it, "abandoned", s.sql, &s, why, sizeof why);
	store_action_put(q->st, &s);
	return 1;
}
