/*
 * actions.c - the action worker: one thread that runs what the user
 * confirmed, never the UI thread. For each action: the exact SQL, an
 * "intent" record in the audit log (fsync'd; if it cannot be written the
 * action does not run), then a fresh connection, the engine's act (which
 * re-checks the object's identity), and an "outcome" record. Its progress
 * is published in the store for the actions pane.
 */
#include "actions.h"

#include "../engines/engine.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_MAX 16

struct item {
	int id;
	struct action_request r;
};

struct actq {
	struct store *st;
	struct action_target *t;        /* immutable */
	size_t n;
	char audit[1024];               /* immutable after start */
	char who[96];                   /* immutable: local user@host */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item q[QUEUE_MAX];       /* guarded by mu */
	size_t qn;                      /* guarded by mu */
	struct item busy;               /* guarded by mu: the running one, id 0 if none */
	int next_id;                    /* guarded by mu */
};

static const char *const kind_names[] = {"none", "cancel", "terminate", "promote"};

static const char *kind_name(int k)
{
	return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?";
}

struct actq *actq_new(struct store *st, const struct action_target *t, size_t n)
{
	struct actq *q = calloc(1, sizeof *q);
	if (!q || !(q->t = calloc(n ? n : 1, sizeof *q->t))) {
		free(q);
		return NULL;
	}
	memcpy(q->t, t, n * sizeof *t);
	q->n = n;
	q->st = st;
	q->next_id = 1;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	char host[64] = "?";
	gethostname(host, sizeof host - 1);
	struct passwd *pw = getpwuid(getuid());
	snprintf(q->who, sizeof q->who, "%.40s@%.50s", pw ? pw->pw_name : "?", host);
	actq_set_audit(q, "");
	return q;
}

void actq_set_audit(struct actq *q, const char *path)
{
	if (path && *path) {
		snprintf(q->audit, sizeof q->audit, "%s", path);
		return;
	}
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(q->audit, sizeof q->audit, "%s/dbfleet/audit.log", xdg);
	else
		snprintf(q->audit, sizeof q->audit, "%s/.local/state/dbfleet/audit.log", home ? home : ".");
}

void actq_free(struct actq *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q->t);
	free(q);
}

/* The same object: same target, and the same session (or both server-wide). */
static int same_object(const struct action_request *a, const struct action_request *b)
{
	int server_a = a->a.kind == ACT_PROMOTE, server_b = b->a.kind == ACT_PROMOTE;
	return a->target == b->target && server_a == server_b && (server_a || a->a.pid == b->a.pid);
}

int actq_sql(const struct actq *q, const struct action_request *r, char *sql, size_t n, struct err *err)
{
	if (r->target >= q->n || !q->t[r->target].ops->action_sql) {
		err->code = ERR_CONFIG;
		snprintf(err->msg, sizeof err->msg, "this engine has no actions");
		return -1;
	}
	return q->t[r->target].ops->action_sql(&r->a, sql, n, err);
}

static void status_of(const struct actq *q, const struct item *it, struct action_status *s)
{
	memset(s, 0, sizeof *s);
	s->id = it->id;
	s->target = it->r.target;
	snprintf(s->target_name, sizeof s->target_name, "%s", q->t[it->r.target].conf.name);
	snprintf(s->what, sizeof s->what, "%s", kind_name(it->r.a.kind));
	snprintf(s->object, sizeof s->object, "%s", it->r.object);
	snprintf(s->who, sizeof s->who, "%s", q->who);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->started = (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int actq_submit(struct actq *q, const struct action_request *r, struct err *err)
{
	char sql[512];
	if (actq_sql(q, r, sql, sizeof sql, err) < 0)
		return -1;
	pthread_mutex_lock(&q->mu);
	int dup = q->busy.id && same_object(&q->busy.r, r);
	for (size_t i = 0; i < q->qn && !dup; i++)
		dup = same_object(&q->q[i].r, r);
	if (dup || q->qn == QUEUE_MAX) {
		pthread_mutex_unlock(&q->mu);
		err->code = ERR_REFUSED;
		snprintf(err->msg, sizeof err->msg, dup ? "an action on %s is already in flight: not started again"
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
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	store_action_put(q->st, &s);
	return id;
}

void actq_wake(struct actq *q)
{
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

/* One JSON line, appended and fsync'd; 0 or -1 with 'why'. */
static int audit(const struct actq *q, const struct item *it, const char *phase, const char *sql,
		 const struct action_status *s, char *why, size_t wn)
{
	const struct action_target *t = &q->t[it->r.target];
	const struct db_action *a = &it->r.a;
	char when[40], ep[96];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t o = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + o, sizeof when - o, ".%03ldZ", ts.tv_nsec / 1000000);
	t->ops->endpoint(t->conf.dsn, ep, sizeof ep); /* host:port only: the DSN may name a password file */
	cJSON *j = cJSON_CreateObject(), *ob;
	cJSON_AddStringToObject(j, "time", when);
	cJSON_AddStringToObject(j, "phase", phase);
	cJSON_AddNumberToObject(j, "id", it->id);
	cJSON_AddStringToObject(j, "who", q->who);
	cJSON_AddStringToObject(j, "target", t->conf.name);
	cJSON_AddStringToObject(j, "engine", t->ops->name);
	cJSON_AddStringToObject(j, "endpoint", ep);
	cJSON_AddStringToObject(j, "action", kind_name(a->kind));
	ob = cJSON_AddObjectToObject(j, "object");
	cJSON_AddStringToObject(ob, "description", it->r.object);
	if (a->kind != ACT_PROMOTE)
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
		cJSON_AddStringToObject(j, "result", action_state_name(s->state));
		cJSON_AddStringToObject(j, "message", s->message);
		cJSON_AddNumberToObject(j, "elapsed_s", s->ended - s->started);
	}
	char *line = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!line) {
		snprintf(why, wn, "out of memory");
		return -1;
	}
	make_dirs(q->audit);
	int fd = open(q->audit, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	size_t len = strlen(line);
	line[len] = '\n'; /* cJSON_PrintUnformatted's NUL becomes the newline */
	int rc = fd >= 0 && write(fd, line, len + 1) == (ssize_t)(len + 1) && fsync(fd) == 0 ? 0 : -1;
	if (rc < 0)
		snprintf(why, wn, "%.200s: %s", q->audit, strerror(errno));
	if (fd >= 0)
		close(fd);
	cJSON_free(line);
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

static void run_one(struct actq *q, struct item *it)
{
	const struct action_target *t = &q->t[it->r.target];
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
	if (it->r.dry_run) {
		char m[256];
		snprintf(m, sizeof m, "dry run: nothing sent; would send: %.200s", s.sql);
		s.ended = s.started;
		s.state = ACTION_DRY_RUN;
		snprintf(s.message, sizeof s.message, "%s", m);
	} else {
		double timeout = t->conf.timeout_s > 0 ? t->conf.timeout_s : 3;
		struct engine_conn *conn = t->ops->connect(t->conf.dsn, timeout, &err);
		int rc = -1;
		if (conn) {
			/* promotion waits for the server; signals are quick */
			double deadline = engine_now() + (it->r.a.kind == ACT_PROMOTE ? 70 : timeout + 5);
			rc = t->ops->act(conn, &it->r.a, deadline, outcome, sizeof outcome, &err);
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

void actq_run(struct actq *q, const atomic_int *stop)
{
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
		struct item it = q->busy;
		pthread_mutex_unlock(&q->mu);
		run_one(q, &it);
		pthread_mutex_lock(&q->mu);
		q->busy.id = 0;
		pthread_mutex_unlock(&q->mu);
	}
	for (size_t i = 0; i < q->n; i++) { /* each engine's once */
		size_t j = 0;
		while (j < i && q->t[j].ops != q->t[i].ops)
			j++;
		if (j == i && q->t[i].ops->thread_end)
			q->t[i].ops->thread_end();
	}
}
