/* events.c - what AWS says happened: RDS events of the last day, newest first. */
#include "pane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { C_WHEN, C_REGION, C_SOURCE, C_TYPE, C_CAT, C_MSG, C_N };

static const struct column cols[C_N] = {
	[C_WHEN] = {"WHEN", 14, 0, 0, 1, 0},
	[C_REGION] = {"REGION", 12, 0, 0, 1, 2},
	[C_SOURCE] = {"SOURCE", 20, 0, 0, 1, 0},
	[C_TYPE] = {"TYPE", 11, 0, 0, 1, 1},
	[C_CAT] = {"CATEGORY", 12, 0, 0, 1, 0},
	[C_MSG] = {"MESSAGE", 20, 1, 0, 0, 0},
};

static void events_recalc(struct pane *p, const struct pane_ctx *ctx)
{
	struct cloud_snapshot *c = store_cloud_get(ctx->store);
	snprintf(p->title, sizeof p->title, "events");
	p->status_bad = 0;
	if (!c) {
		snprintf(p->status, sizeof p->status, "- AWS is off: run with --aws (see dbfleet(1))");
		return;
	}
	for (size_t i = 0; i < c->nevents; i++) {
		const struct cloud_event *e = &c->events[i];
		struct row *r = table_add(&p->tab);
		if (!r)
			break;
		char when[32];
		time_t t = (time_t)e->at;
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(when, sizeof when, "%m-%d %H:%M:%S", &tm);
		r->ref.item = (long long)e->at; /* an event is its source and time */
		snprintf(r->ref.key, sizeof r->ref.key, "%.20s/%.50s/%.20s", e->account, e->source, e->type);
		row_setf(r, C_WHEN, e->at, "%s", when);
		row_text(r, C_REGION, e->region);
		char src[sizeof e->account + sizeof e->source + 1];
		snprintf(src, sizeof src, "%s%s%s", e->account, e->account[0] ? "/" : "", e->source); /* several accounts */
		row_text(r, C_SOURCE, src);
		row_text(r, C_TYPE, e->type);
		row_text(r, C_CAT, e->category);
		row_text(r, C_MSG, e->message);
		r->attr = !strcmp(e->category, "failover") || !strcmp(e->category, "failure") ||
			  !strcmp(e->category, "availability") ? ROW_WARN : ROW_NORMAL;
	}
	char a[32];
	fmt_age(a, sizeof a, c->events_at > 0 ? ctx->now - c->events_at : -1);
	snprintf(p->title, sizeof p->title, "events - RDS, last 24 hours, %zu", c->nevents);
	snprintf(p->status, sizeof p->status, c->events_at > 0 ? "- asked %s ago" : "- not asked yet", a);
	cloud_snapshot_release(&c);
}

const struct pane_ops pane_events_ops = {
	.name = "events",
	.cols = cols,
	.ncols = C_N,
	.default_sort = -1,
	.recalc = events_recalc,
};
