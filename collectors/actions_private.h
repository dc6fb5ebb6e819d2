/*
 * actions_private.h - what the action worker's files share (actions.c, the
 * queue, audit log and database actions; actions_aws.c, the AWS actions).
 * Collectors only, and only these two files.
 */
#ifndef DBFLEET_ACTIONS_PRIVATE_H
#define DBFLEET_ACTIONS_PRIVATE_H

#include <pthread.h>

#include "actions.h"
#include "grow.h"

#define QUEUE_MAX 16

#define AT(q, i) ((struct action_target *)grow_at(&(q)->t, (i)))

struct item {
	int id;
	struct action_request r;
};

struct actq {
	struct store *st;
	struct grow t;                  /* of struct action_target: [0, n) immutable once n covers them */
	atomic_size_t n;                /* grows when a discovered instance is adopted */
	char audit[1024];               /* immutable after start */
	char who[96];                   /* immutable: local user@host */
	struct cloud_config cloud;      /* immutable after start: how to reach AWS */
	const atomic_int *stop;         /* set by actq_run */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item q[QUEUE_MAX];       /* guarded by mu */
	size_t qn;                      /* guarded by mu */
	struct item busy;               /* guarded by mu: the running one, id 0 if none */
	int next_id;                    /* guarded by mu */
	double busy_deadline;           /* guarded by mu: clock_mono() by which the running one ends */
	double busy_started;            /* guarded by mu: clock_wall() when it started */
	int busy_phase;                 /* guarded by mu: enum busy_phase */
	int busy_done;                  /* guarded by mu: sessions of a bulk action answered, or statements
					 * of one of several (a MySQL promote) */
	char busy_said[ERR_MSG_MAX];    /* guarded by mu: how far those statements got, in words ("" none) */
	int abandoned;                  /* guarded by mu: id of the running one given up on, 0 none */
	pthread_cond_t idle;            /* with mu: signalled when the running one ends */
	atomic_int quitting;            /* set by actq_finish: AWS waits give up, nothing new starts */
};

/* How far the running action got: what an "abandoned" record can say of it. */
enum busy_phase { BUSY_CONNECTING = 0, BUSY_SENT };

/* Publish progress of a running action: "creating 45%", "cluster failing-over". */
void progress(struct actq *q, struct action_status *s, const char *what, const char *state, int pct);
/* Sleep 's' seconds in small steps; 1 if asked to stop (or quitting). */
int action_nap(const struct actq *q, double s);
/* Snapshot, failover or switchover through aws/; the state and message in 's' (actions_aws.c). */
void run_aws(struct actq *q, const struct item *it, struct action_status *s);

#endif
