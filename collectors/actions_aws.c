/*
 * actions_aws.c - the action worker's AWS actions (snapshot, Aurora
 * failover, Multi-AZ reboot with failover, global switchover): one function
 * an action, one progress loop they share. Runs on the action worker's
 * thread (actions.c), through aws/; what it publishes goes to the store.
 */
#include "actions_private.h"

#include "../aws/aws.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define AWS_POLL_S 2.0
#define AWS_PATIENCE_S 1800.0

/*
 * Between two looks at an AWS action's progress: publish where it is
 * ("creating 45%") and wait. 0 to look again; -1 (FAILED, said why) when
 * patience runs out or dbfleet is quitting.
 */
static int keep_watching(struct actq *q, struct action_status *s, double t0, const char *what, const char *state,
			 int pct)
{
	progress(q, s, what, state, pct);
	if (clock_mono() - t0 <= AWS_PATIENCE_S && !action_nap(q, AWS_POLL_S))
		return 0;
	s->state = ACTION_FAILED;
	snprintf(s->message, sizeof s->message, "still %.60s%.40s after %.0f s: follow it in the console", what, state,
		 clock_mono() - t0);
	return -1;
}

/*
 * The re-check before a failover or switchover: the cluster (or global
 * database) idle and its writer the one shown. 1 when not (REFUSED, said why).
 */
static int changed_since_shown(struct action_status *s, const char *what, const char *name, const char *status,
			       const char *writer, const char *shown)
{
	if (strcmp(status, "available"))
		snprintf(s->message, sizeof s->message, "refused: %s %.64s is %.32s (a failover, switchover or change"
			 " is in progress); nothing sent", what, name, status);
	else if (strcmp(writer, shown))
		snprintf(s->message, sizeof s->message, "refused: the writer is %.90s now, not %.90s as shown; nothing"
			 " sent", writer[0] ? writer : "unknown", shown);
	else
		return 0;
	s->state = ACTION_REFUSED;
	return 1;
}

/* One AWS action in progress: what the action functions and the shared progress loop share. */
struct aws_run {
	struct actq *q;
	struct action_status *s;          /* the state and message to publish */
	const struct action_request *r;
	struct aws_client *cl;
	const char *reg;
	double t0;                        /* clock_mono() when the action started */
	struct aws_error e;               /* the last API error, for AWS_RUN_API_ERROR */
	char st[48];                      /* the last status AWS gave */
	char writer[100];                 /* the last writer AWS gave (failover, switchover) */
	int pct;                          /* percent done where AWS gives it, else -1 */
};

/* How an action function ended: with AWS's last event to add, said all, or an API error in x->e. */
enum aws_run_end { AWS_RUN_ADD_EVENT, AWS_RUN_SAID, AWS_RUN_API_ERROR };

/* One look at an action's progress: 1 when over (state and message set), 0 to look again, -1 on an API error. */
typedef int (*aws_look_fn)(struct aws_run *x);

/*
 * The progress loop every AWS action shares: look, then publish where it
 * is ("creating 45%", "cluster failing-over") and wait, until the look says
 * it is over or patience runs out (FAILED, said why).
 */
static enum aws_run_end aws_watch(struct aws_run *x, aws_look_fn look, const char *what)
{
	for (;;) {
		int rc = look(x);
		if (rc < 0)
			return AWS_RUN_API_ERROR;
		if (rc > 0 || keep_watching(x->q, x->s, x->t0, what, x->st, x->pct) < 0)
			return AWS_RUN_ADD_EVENT;
	}
}

/* Set the outcome and say it: "writer is now ...". 1, for the end of a look. */
static int aws_said(struct aws_run *x, int state, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int aws_said(struct aws_run *x, int state, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->s->message, sizeof x->s->message, fmt, ap);
	va_end(ap);
	x->s->state = state;
	return 1;
}

static int look_snapshot(struct aws_run *x)
{
	const struct action_request *r = x->r;
	if (aws_rds_snapshot_status(x->cl, x->reg, r->snapshot_id, r->aws_cluster[0] != '\0', x->st, sizeof x->st,
				    &x->pct, &x->e) < 0)
		return -1;
	if (!strcmp(x->st, "available"))
		return aws_said(x, ACTION_DONE, "snapshot %s available", r->snapshot_id);
	if (!strcmp(x->st, "failed") || !strcmp(x->st, "deleted") || !strcmp(x->st, "error"))
		return aws_said(x, ACTION_FAILED, "snapshot %s is %s", r->snapshot_id, x->st);
	return 0;
}

/* A snapshot of an instance or a cluster, watched until available (percent where AWS gives it). */
static enum aws_run_end aws_snapshot(struct aws_run *x)
{
	const struct action_request *r = x->r;
	if (aws_rds_snapshot(x->cl, x->reg, r->aws_id, r->aws_cluster, r->snapshot_id, x->q->who, r->reason, &x->e) < 0)
		return AWS_RUN_API_ERROR;
	return aws_watch(x, look_snapshot, "");
}

static int look_global(struct aws_run *x)
{
	const struct action_request *r = x->r;
	char arn[200], want[100];
	if (aws_rds_global_state(x->cl, x->reg, r->aws_global, x->reg, r->aws_cluster, x->st, sizeof x->st, x->writer,
				 sizeof x->writer, arn, sizeof arn, &x->e) < 0)
		return -1;
	snprintf(want, sizeof want, "%s/%s", x->reg, r->aws_cluster);
	if (!strcmp(x->st, "available") && !strcmp(x->writer, want))
		return aws_said(x, ACTION_DONE, "global writer is now %s (was %s)", x->writer, r->aws_writer);
	return 0;
}

/* A global database: re-read it, then a planned switchover to this cluster, watched until it is the writer. */
static enum aws_run_end aws_global_switchover(struct aws_run *x)
{
	const struct action_request *r = x->r;
	char arn[200];
	if (aws_rds_global_state(x->cl, x->reg, r->aws_global, x->reg, r->aws_cluster, x->st, sizeof x->st, x->writer,
				 sizeof x->writer, arn, sizeof arn, &x->e) < 0)
		return AWS_RUN_API_ERROR;
	if (changed_since_shown(x->s, "global database", r->aws_global, x->st, x->writer, r->aws_writer))
		return AWS_RUN_SAID;
	if (!arn[0]) {
		aws_said(x, ACTION_REFUSED, "refused: %s is not a member of %s", r->aws_cluster, r->aws_global);
		return AWS_RUN_SAID;
	}
	if (aws_rds_global_switchover(x->cl, x->reg, r->aws_global, arn, &x->e) < 0) {
		char now_writer[64] = "?";
		struct aws_error e2;
		aws_rds_global_state(x->cl, x->reg, r->aws_global, x->reg, r->aws_cluster, x->st, sizeof x->st,
				     now_writer, sizeof now_writer, arn, sizeof arn, &e2);
		aws_said(x, ACTION_FAILED, "SwitchoverGlobalCluster: %.30s: %.90s; not re-sent; now %.20s, writer %.40s",
			 x->e.code, x->e.msg, x->st, now_writer);
		return AWS_RUN_SAID;
	}
	enum aws_run_end end = aws_watch(x, look_global, "global database ");
	return end == AWS_RUN_ADD_EVENT ? AWS_RUN_SAID : end; /* no per-cluster event to add */
}

/* Before an Aurora failover to a named reader: it is not the writer and it is healthy. 1 if refused. */
static int failover_target_unfit(struct aws_run *x, enum aws_run_end *end)
{
	const struct action_request *r = x->r;
	char ist[48];
	*end = AWS_RUN_SAID;
	if (!strcmp(r->aws_target, x->writer))
		return aws_said(x, ACTION_REFUSED, "refused: %s is the writer, not a reader", x->writer);
	if (aws_rds_instance_status(x->cl, x->reg, r->aws_target, ist, sizeof ist, &x->e) < 0) {
		*end = AWS_RUN_API_ERROR;
		return 1;
	}
	if (strcmp(ist, "available"))
		return aws_said(x, ACTION_REFUSED, "refused: the target %s is %s, not a healthy reader", r->aws_target,
				ist[0] ? ist : "missing");
	return 0;
}

static int look_cluster(struct aws_run *x)
{
	const struct action_request *r = x->r;
	if (aws_rds_cluster_state(x->cl, x->reg, r->aws_cluster, x->st, sizeof x->st, x->writer, sizeof x->writer,
				  &x->e) < 0)
		return -1;
	if (!strcmp(x->st, "available") && x->writer[0] && strcmp(x->writer, r->aws_writer))
		return aws_said(x, ACTION_DONE, "writer is now %s (was %s)", x->writer, r->aws_writer);
	return 0;
}

/* An Aurora failover: re-check right before acting (the writer shown, no failover running, a healthy target). */
static enum aws_run_end aws_cluster_failover(struct aws_run *x)
{
	const struct action_request *r = x->r;
	enum aws_run_end end;
	if (aws_rds_cluster_state(x->cl, x->reg, r->aws_cluster, x->st, sizeof x->st, x->writer, sizeof x->writer,
				  &x->e) < 0)
		return AWS_RUN_API_ERROR;
	if (changed_since_shown(x->s, "cluster", r->aws_cluster, x->st, x->writer, r->aws_writer))
		return AWS_RUN_SAID;
	if (r->aws_target[0] && failover_target_unfit(x, &end))
		return end;
	if (aws_rds_failover(x->cl, x->reg, r->aws_cluster, r->aws_target, &x->e) < 0) {
		/* a timeout or 5xx may have happened after AWS acted: look, never re-send */
		char now_writer[64] = "?";
		struct aws_error e2;
		aws_rds_cluster_state(x->cl, x->reg, r->aws_cluster, x->st, sizeof x->st, now_writer, sizeof now_writer,
				      &e2);
		aws_said(x, ACTION_FAILED, "FailoverDBCluster: %.30s: %.90s; not re-sent; cluster now %.20s, writer %.30s",
			 x->e.code, x->e.msg, x->st, now_writer);
		return AWS_RUN_SAID;
	}
	return aws_watch(x, look_cluster, "cluster ");
}

static int look_instance(struct aws_run *x)
{
	if (aws_rds_instance_status(x->cl, x->reg, x->r->aws_id, x->st, sizeof x->st, &x->e) < 0)
		return -1;
	if (!strcmp(x->st, "available"))
		return aws_said(x, ACTION_DONE, "failed over to the standby; %s available", x->r->aws_id);
	return 0;
}

/* A Multi-AZ instance: a reboot with failover to its standby, watched until available again. */
static enum aws_run_end aws_multi_az_failover(struct aws_run *x)
{
	const struct action_request *r = x->r;
	if (!r->aws_multi_az) {
		aws_said(x, ACTION_REFUSED, "refused: %s is not Multi-AZ: no standby to fail over to", r->aws_id);
		return AWS_RUN_SAID;
	}
	if (aws_rds_instance_status(x->cl, x->reg, r->aws_id, x->st, sizeof x->st, &x->e) < 0)
		return AWS_RUN_API_ERROR;
	if (strcmp(x->st, "available")) {
		aws_said(x, ACTION_REFUSED, "refused: %s is %s; nothing sent", r->aws_id, x->st);
		return AWS_RUN_SAID;
	}
	if (aws_rds_reboot_failover(x->cl, x->reg, r->aws_id, &x->e) < 0) {
		aws_said(x, ACTION_FAILED, "RebootDBInstance: %.40s: %.150s; not re-sent", x->e.code, x->e.msg);
		return AWS_RUN_SAID;
	}
	action_nap(x->q, AWS_POLL_S);
	return aws_watch(x, look_instance, "");
}

/* Add what AWS itself said about the action's object to its message. */
static void add_last_event(struct aws_run *x)
{
	const struct action_request *r = x->r;
	int cluster = r->aws_cluster[0] && r->a.kind == ACT_FAILOVER;
	char ev[200];
	struct aws_error e;
	if (aws_rds_last_event(x->cl, x->reg, cluster ? r->aws_cluster : r->aws_id, cluster ? "db-cluster" : "db-instance",
			       ev, sizeof ev, &e) == 0 && ev[0]) {
		size_t l = strlen(x->s->message);
		snprintf(x->s->message + l, sizeof x->s->message - l, "; event: %s", ev);
	}
}

/*
 * With several accounts, the keys must reach the account the instance was
 * shown in (a profile edited since could point elsewhere): 1 when not
 * (REFUSED or FAILED, said why), before anything is sent.
 */
static int wrong_account(struct aws_run *x, const struct actq *q)
{
	const struct action_request *r = x->r;
	char acct[16];
	if (!r->aws_account[0] || (q->cloud.nprofiles < 2 && !q->cloud.payer_profile[0]))
		return 0;
	if (aws_sts_caller_account(x->cl, x->reg, acct, sizeof acct, &x->e) < 0) {
		aws_said(x, x->e.kind == AWS_ERR_AUTH ? ACTION_REFUSED : ACTION_FAILED, "GetCallerIdentity: %.40s: %.150s;"
			 " nothing sent", x->e.code, x->e.msg);
		return 1;
	}
	if (!strcmp(acct, r->aws_account))
		return 0;
	aws_said(x, ACTION_REFUSED, "refused: profile %.60s now reaches account %s, not %s where %.64s was shown;"
		 " nothing sent", r->aws_profile[0] ? r->aws_profile : "default", acct, r->aws_account, r->aws_id);
	return 1;
}

/* Snapshot, failover or switchover through aws/; the state and message in 's'. */
void run_aws(struct actq *q, const struct item *it, struct action_status *s)
{
	struct aws_run x = {.q = q, .s = s, .r = &it->r, .reg = it->r.aws_region, .pct = -1};
	struct aws_creds c;
	char src[96], region[32], err[256];
	/* the profile that discovered the instance: its account's keys */
	const char *profile = it->r.aws_profile[0] ? it->r.aws_profile : q->cloud.profile;
	if (aws_creds_resolve_chain(profile[0] ? profile : NULL, q->stop, &c, src, sizeof src, region, sizeof region, err,
				    sizeof err) < 0) {
		s->state = ACTION_FAILED;
		snprintf(s->message, sizeof s->message, "credentials: %.200s", err);
		s->ended = clock_wall();
		return;
	}
	x.cl = aws_client_new(&c, q->stop);
	memset(&c, 0, sizeof c);
	if (!x.cl) {
		s->state = ACTION_FAILED;
		snprintf(s->message, sizeof s->message, "out of memory");
		s->ended = clock_wall();
		return;
	}
	if (wrong_account(&x, q)) {
		aws_client_free(&x.cl);
		s->ended = clock_wall();
		return;
	}
	/* RUNNING while it goes; every action function sets DONE, FAILED or REFUSED */
	x.t0 = clock_mono();
	enum aws_run_end end = it->r.a.kind == ACT_SNAPSHOT ? aws_snapshot(&x)
			       : it->r.aws_global[0]   ? aws_global_switchover(&x)
			       : it->r.aws_cluster[0]  ? aws_cluster_failover(&x)
						       : aws_multi_az_failover(&x);
	if (end == AWS_RUN_ADD_EVENT)
		add_last_event(&x);
	else if (end == AWS_RUN_API_ERROR)
		aws_said(&x, x.e.kind == AWS_ERR_AUTH ? ACTION_REFUSED : ACTION_FAILED, "%.40s: %.200s", x.e.code,
			 x.e.msg);
	aws_client_free(&x.cl);
	s->ended = clock_wall(); /* the audit record's elapsed_s (it was the start time, negated) */
}

