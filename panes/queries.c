/* queries.c - the selected target's top statements by time per second. */
#include "pane.h"

#include <stdio.h>
#include <string.h>

enum { C_MS_S, C_CALLS_S, C_MEAN, C_ROWS_S, C_CALLS, C_QUERY, C_N };

static const struct column cols[C_N] = {
	[C_MS_S] = {"TIME ms/s", 10, 0, 1, 1},
	[C_CALLS_S] = {"CALLS/s", 9, 0, 1, 1},
	[C_MEAN] = {"MEAN ms", 9, 0, 1, 1},
	[C_ROWS_S] = {"ROWS/s", 9, 0, 1, 1},
	[C_CALLS] = {"CALLS", 9, 0, 1, 1},
	[C_QUERY] = {"QUERY", 20, 1, 0, 0},
};

static void num(struct row *r, int col, double v)
{
	char a[32];
	fmt_num(a, sizeof a, v);
	row_setf(r, col, v, "%s", a);
}

static void queries_recalc(struct pane *p, const struct pane_ctx *ctx)
{
	struct target_status st;
	struct snapshot *snap = store_get_detail(ctx->store, ctx->target, &st);
	store_watch(ctx->store, ctx->target, 3 * st.interval_s); /* digests are read while this shows */
	snprintf(p->title, sizeof p->title, "queries - %s", st.name);
	pane_status_of(p, &st, snap, ctx->now);
	if (!snap)
		return;
	const struct db_sample *x = &snap->s;
	if (x->queries_note[0])
		snprintf(p->note[0], sizeof p->note[0], "%s", x->queries_note);
	if (x->privilege_note[0])
		snprintf(p->note[1], sizeof p->note[1], "%s", x->privilege_note);
	for (size_t i = 0; i < x->nqueries; i++) {
		const struct db_query *q = &x->queries[i];
		struct row *r = table_add(&p->tab);
		if (!r)
			break;
		r->ref.item = q->queryid; /* a statement is its queryid, wherever it ranks */
		num(r, C_MS_S, q->ms_s);
		num(r, C_CALLS_S, q->calls_s);
		num(r, C_MEAN, q->mean_ms);
		num(r, C_ROWS_S, q->rows_s);
		num(r, C_CALLS, q->calls);
		row_text(r, C_QUERY, q->text ? q->text : "(text not fetched yet)");
		if (!q->text)
			r->attr = ROW_DIM;
	}
	if (!x->queries_note[0] && x->nqueries == 0)
		snprintf(p->note[0], sizeof p->note[0], "no statements recorded yet");
	snapshot_release(&snap);
}

/* Enter: the full statement text, wrapped by the overlay. */
static int queries_command(struct pane *p, enum pane_cmd cmd, struct pane_ctx *ctx)
{
	const struct row *r = pane_selected(p);
	if (cmd != PANE_OPEN || !r)
		return 0;
	struct snapshot *snap = store_get_detail(ctx->store, ctx->target, NULL);
	const struct db_query *q = NULL;
	for (size_t i = 0; snap && !q && i < snap->s.nqueries; i++)
		if (snap->s.queries[i].queryid == r->ref.item)
			q = &snap->s.queries[i];
	if (q) {
		char head[160];
		snprintf(head, sizeof head, "queryid %lld, %.0f calls, mean %.3f ms\n\n",
			 (long long)q->queryid, q->calls, q->calls > 0 ? q->total_ms / q->calls : 0);
		char body[PANE_OVERLAY_MAX];
		snprintf(body, sizeof body, "%s%s", head, q->text ? q->text : "(text not fetched yet)");
		pane_set_overlay(p, body);
	}
	snapshot_release(&snap);
	return 1;
}

const struct pane_ops pane_queries_ops = {
	.name = "queries",
	.cols = cols,
	.ncols = C_N,
	.default_sort = C_MS_S,
	.recalc = queries_recalc,
	.on_command = queries_command,
};
