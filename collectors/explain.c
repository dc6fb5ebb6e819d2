/*
 * explain.c - the plan of a statement, on the user's key, off the UI thread.
 *
 * DESIGN: the UI asks (collector_explain), a job goes on the blocking pool
 * (pool.c) with a deadline: a fresh connection to the target as its action
 * worker makes one (target_connect: IAM tokens too), the engine's explain
 * (read-only, its own statement and lock timeouts), close. The answer, a
 * plan or one line saying why there is none, replaces the store's slot and
 * wakes the UI, which takes it by id; a late answer to an older request is
 * never taken. Only one request is in flight per collector ('busy_until',
 * atomic): a held key cannot queue plans on a struggling server. A worker
 * stuck past the deadline is the pool's to abandon; its answer, if it ever
 * comes, still goes through done(). Nothing is audited: nothing changes.
 */
#include "explain.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../engines/engine.h"
#include "../model/xdg.h"
#include "actions.h"

#define EXPLAIN_STATEMENTS_S 4.0 /* the statements' share: the server's 2 s timeout and round trips */
#define SAVE_S 10.0              /* a local file write; a hung disk is the pool's to abandon */

struct explain_job {
	struct job j;                /* first: the pool hands this back */
	struct explain_gate *g;
	struct store *st;
	struct collector_target t;   /* a copy: the job may outlive nothing it points into */
	const struct engine_ops *ops;
	const atomic_int *stop;
	struct db_explain q;
	double t0;
	struct plan_result *res;
};

static void explain_run(struct job *j)
{
	struct explain_job *x = (struct explain_job *)j;
	struct err err = {0};
	struct engine_conn *c = target_connect(&x->t, x->ops, x->stop, &err);
	if (c) {
		x->res->ok = x->ops->explain(c, &x->q, x->j.deadline, &x->res->plan, &err) == 0;
		x->ops->close(c);
	} else {
		char why[ERR_MSG_MAX];
		snprintf(why, sizeof why, "%s", err.msg);
		err_set(&err, err.code, "no plan: %s", why);
	}
	if (!x->res->ok)
		snprintf(x->res->error, sizeof x->res->error, "%s", err.msg);
}

static void explain_done(struct job *j)
{
	struct explain_job *x = (struct explain_job *)j;
	if (!atomic_load(&j->started))
		snprintf(x->res->error, sizeof x->res->error, "no plan: %s",
			 j->expired ? "no worker was free before the deadline" : "dbfleet is stopping");
	x->res->took_s = clock_mono() - x->t0;
	store_plan_put(x->st, x->res);
	atomic_store(&x->g->busy_until, 0.0);
	free(x);
}

int explain_submit(struct pool *pool, struct explain_gate *g, struct store *st, size_t idx,
		   const struct collector_target *t, const struct engine_ops *ops, const atomic_int *stop,
		   const struct db_explain *q, struct err *err)
{
	if (!ops->explain)
		return err_set(err, ERR_CONFIG, "no plans from %s targets", ops->name);
	double now = clock_mono(), until = atomic_load(&g->busy_until);
	double timeout = t->timeout_s > 0 ? t->timeout_s : 3;
	/* a second connect for another database, and the statements */
	double deadline = now + 2 * timeout + EXPLAIN_STATEMENTS_S;
	if (until > now)
		return err_set(err, ERR_REFUSED, "a plan is being read already (at most %.0fs more)", until - now);
	struct explain_job *x = calloc(1, sizeof *x);
	struct plan_result *res = calloc(1, sizeof *res);
	if (!x || !res) {
		free(x);
		free(res);
		return err_set(err, ERR_FAIL, "out of memory");
	}
	int id = atomic_fetch_add(&g->next_id, 1) + 1;
	*res = (struct plan_result){.id = id, .target = idx, .plan.total_cost = -1};
	*x = (struct explain_job){.j = {.run = explain_run, .done = explain_done, .deadline = deadline},
				  .g = g, .st = st, .t = *t, .ops = ops, .stop = stop, .q = *q, .t0 = now, .res = res};
	atomic_store(&g->busy_until, deadline + 2);
	if (pool_submit(pool, &x->j) < 0) {
		atomic_store(&g->busy_until, 0.0);
		free(res);
		free(x);
		return err_set(err, ERR_FAIL, "dbfleet is stopping");
	}
	return id;
}

/* ---- saving a plan: a file write, off the UI thread too ---- */

struct save_job {
	struct job j;                /* first: the pool hands this back */
	struct store *st;
	int id;
	char leaf[200];
	char *text;
	char msg[320];
};

/* A new file (0600, never an existing one or a link) at 'path'; the descriptor or -1. */
static int create(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

static void save_run(struct job *j)
{
	struct save_job *x = (struct save_job *)j;
	char path[1200];
	int fd = -1;
	if (xdg_path(XDG_STATE, x->leaf, path, sizeof path) == 0 && xdg_make_parents(path) == 0)
		fd = create(path);
	if (fd < 0) { /* no state directory: the current one */
		snprintf(path, sizeof path, "%s", x->leaf);
		fd = create(path);
	}
	if (fd < 0) {
		snprintf(x->msg, sizeof x->msg, "not saved: %.200s: %s", path, strerror(errno));
		return;
	}
	size_t len = strlen(x->text), done = 0;
	ssize_t w = 0;
	while (done < len && (w = write(fd, x->text + done, len - done)) > 0)
		done += (size_t)w;
	int bad = done < len, saved = errno;
	if (close(fd) != 0 && !bad)
		bad = 1, saved = errno;
	if (bad)
		snprintf(x->msg, sizeof x->msg, "not saved (%s): %.200s", strerror(saved), path);
	else
		snprintf(x->msg, sizeof x->msg, "saved to %.200s", path);
}

static void save_done(struct job *j)
{
	struct save_job *x = (struct save_job *)j;
	if (!atomic_load(&j->started))
		snprintf(x->msg, sizeof x->msg, "not saved: dbfleet is stopping");
	store_plan_saved_put(x->st, x->id, x->msg);
	free(x->text);
	free(x);
}

int explain_save_submit(struct pool *pool, struct store *st, int id, const char *leaf, char *text, struct err *err)
{
	struct save_job *x = calloc(1, sizeof *x);
	if (!x) {
		free(text);
		return err_set(err, ERR_FAIL, "not saved: out of memory");
	}
	*x = (struct save_job){.j = {.run = save_run, .done = save_done, .deadline = clock_mono() + SAVE_S},
			       .st = st, .id = id, .text = text};
	snprintf(x->leaf, sizeof x->leaf, "%s", leaf);
	if (pool_submit(pool, &x->j) < 0) {
		free(text);
		free(x);
		return err_set(err, ERR_FAIL, "not saved: dbfleet is stopping");
	}
	return 0;
}
