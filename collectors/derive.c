/*
 * derive.c - what follows from one sample alone, computed here once so that
 * engines only report what their server says and panes only draw.
 */
#include "derive.h"

static void mark_blockers(struct db_sample *x)
{
	for (size_t i = 0; i < x->nsessions; i++)
		for (int b = 0; b < x->sessions[i].nblockers; b++)
			for (size_t j = 0; j < x->nsessions; j++)
				if (x->sessions[j].pid == x->sessions[i].blockers[b])
					x->sessions[j].is_blocker = 1;
}

/* A standby's own lag; a primary's worst standby (-1: none reported). */
static void lag_summary(struct db_sample *x)
{
	if (x->health.is_replica) {
		x->lag_bytes = (double)x->standby.replay_backlog_bytes;
		x->lag_s = x->standby.lag_s;
		return;
	}
	x->lag_bytes = x->lag_s = -1;
	for (size_t i = 0; i < x->nreplicas; i++) {
		if ((double)x->replicas[i].lag_bytes > x->lag_bytes)
			x->lag_bytes = (double)x->replicas[i].lag_bytes;
		if (x->replicas[i].replay_lag_s > x->lag_s)
			x->lag_s = x->replicas[i].replay_lag_s;
	}
}

void sample_derive(struct db_sample *x)
{
	mark_blockers(x);
	lag_summary(x);
}
