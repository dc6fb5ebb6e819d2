/* actions.h - the action worker's queue; scheduler.c runs it on its own thread. */
#ifndef DBFLEET_ACTIONS_H
#define DBFLEET_ACTIONS_H

#include "collector.h"

#include <stdatomic.h>

struct engine_ops;

struct action_target {
	struct collector_target conf;
	const struct engine_ops *ops;
};

struct actq;
struct engine_conn;

/* Connect to a target as its worker does (an IAM token when it says so); scheduler.c. */
struct engine_conn *target_connect(const struct collector_target *t, const struct engine_ops *ops,
				   const atomic_int *stop, struct err *err);

/* A queue over 'n' targets (copied), room for 'cap'; NULL on OOM. */
struct actq *actq_new(struct store *st, const struct action_target *t, size_t n);
/* Target 'idx' (== the count so far) adopted from AWS discovery. */
int actq_adopt(struct actq *q, size_t idx, const struct action_target *t);
void actq_set_audit(struct actq *q, const char *path);
void actq_set_cloud(struct actq *q, const struct cloud_config *cfg);
int actq_submit(struct actq *q, const struct action_request *r, struct err *err);
int actq_sql(const struct actq *q, const struct action_request *r, char *sql, size_t n, struct err *err);
/* The worker: run queued actions until *stop; then returns. */
void actq_run(struct actq *q, const atomic_int *stop);
/* Actions queued or running (not given up on); 'what' names the first ("promote on db2"). */
int actq_busy(struct actq *q, char *what, size_t n);
/* Drop the queued ones, wait for the running one up to its deadline or 'wait_s', else write
 * its "abandoned" record; 1 if it was abandoned. Main thread, before collector_stop. */
int actq_finish(struct actq *q, double wait_s);
/* Wake the worker (to see a stop). */
void actq_wake(struct actq *q);
void actq_free(struct actq *q);
/* "cancel", "terminate", "promote", "snapshot", "failover"; "none" for 0, "?" past them. */
const char *action_kind_name(int kind);
/* A viewer's request (r->via_acl_user set): its id and both identities into 's'. */
void action_status_via(const struct action_request *r, struct action_status *s);

#endif
