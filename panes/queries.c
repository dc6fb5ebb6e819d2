/*
 * queries.c - the selected target's top statements by time per second, from
 * the database's own digests; and for an RDS/Aurora instance with
 * Performance Insights on, its top SQL by average active sessions (one
 * session active for a second is 1000 ms/s in the TIME column), with the
 * wait events and the load against the class's vCPUs. With both, each source
 * is a group under its own header.
 */
#include "pane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C_MS_S, C_CALLS_S, C_MEAN, C_ROWS_S, C_CALLS, C_WAIT, C_QUERY, C_N };

static const struct column cols[C_N] = {
	[C_MS_S] = {"TIME ms/s", 10, 0, 1, 1},
	[C_CALLS_S] = {"CALLS/s", 9, 0, 1, 1},
	[C_MEAN] = {"MEAN ms", 9, 0, 1, 1},
	[C_ROWS_S] = {"ROWS/s", 9, 0, 1, 1},
	[C_CALLS] = {"CALLS", 9, 0, 1, 1},
	[C_WAIT] = {"TOP WAIT", 20, 0, 0, 1, 1},
	[C_QUERY] = {"QUERY", 20, 1, 0, 0},
};

static void num(struct row *r, int col, double v)
{
	char a[32];
	fmt_num(a, sizeof a, v);
	row_setf(r, col, v, "%s", a);
}

/* ---- Performance Insights ---- */

#define PI_KEY "pi:"      /* a PI row's ref.key: "pi:" + its db.sql_tokenized.id */

/* A note in the first free line above the table. */
static void note_add(struct pane *p, const char *text)
{
	for (int i = 0; i < PANE_NOTES; i++)
		if (!p->note[i][0]) {
			snprintf(p->note[i], sizeof p->note[i], "%.255s", text);
			return;
		}
}

/* A group's header row: which source the rows below come from. */
static struct row *header(struct pane *p, const char *key, int group, const char *text)
{
	struct row *r = table_add(&p->tab);
	if (!r)
		return NULL;
	r->ref.kind = ROW_GROUP;
	snprintf(r->ref.key, sizeof r->ref.key, "%s", key);
	r->group = group;
	r->attr = ROW_BOLD;
	row_text(r, C_QUERY, text);
	return r;
}

/* "load 1.85 average active sessions of 2 vCPUs (93%)" */
static void pi_load_text(char *out, size_t n, const struct cloud_pi *pi)
{
	if (pi->load < 0)
		snprintf(out, n, "no load figure yet");
	else if (pi->vcpus > 0)
		snprintf(out, n, "load %.2f average active sessions of %d vCPUs (%.0f%%)", pi->load, pi->vcpus,
			 100 * pi->load / pi->vcpus);
	else
		snprintf(out, n, "load %.2f average active sessions (vCPUs of the class unknown: [vcpus])", pi->load);
}

/* The Performance Insights group: a header with the load, the waits as a note, a row per digest. */
static void pi_rows(struct pane *p, const struct pane_ctx *ctx, const struct cloud_instance *ci, int group)
{
	char line[256], load[128], age[32];
	if (!ci->pi_enabled) {
		snprintf(line, sizeof line, "Performance Insights is off for '%.64s' (DescribeDBInstances)", ci->id);
		note_add(p, line);
		return;
	}
	store_pi_watch(ctx->store, ci->region, ci->id, STORE_PI_WATCH_S);
	struct pi_snapshot *ps = store_pi_get(ctx->store, ci->region, ci->id);
	if (!ps) {
		header(p, "pi", group, "from Performance Insights: asking...");
		return;
	}
	const struct cloud_pi *pi = &ps->pi;
	pi_load_text(load, sizeof load, pi);
	fmt_age(age, sizeof age, pane_wall(ctx) - pi->fetched_at);
	if (pi->fetched_at > 0)
		snprintf(line, sizeof line, "from Performance Insights: %s, last %d min (%s ago)", load, pi->window_s / 60,
			 age);
	else
		snprintf(line, sizeof line, "from Performance Insights: no figures (see above)");
	struct row *h = header(p, "pi", group, line);
	if (h && pi->load >= 0)
		row_setf(h, C_MS_S, pi->load * 1000, "%.0f", pi->load * 1000);
	if (pi->error[0])
		note_add(p, pi->error);
	int o = snprintf(line, sizeof line, "waits (average active sessions):");
	for (int i = 0; i < pi->nwait && o < (int)sizeof line; i++)
		o += snprintf(line + o, sizeof line - (size_t)o, "%s %s %.2f", i ? "," : "", pi->wait[i].name,
			      pi->wait[i].load);
	if (pi->nwait)
		note_add(p, line);
	for (int i = 0; i < pi->nsql; i++) {
		const struct pi_sql *q = &pi->sql[i];
		struct row *r = table_add(&p->tab);
		if (!r)
			break;
		snprintf(r->ref.key, sizeof r->ref.key, PI_KEY "%.80s", q->id);
		r->group = group;
		if (q->load >= 0)
			row_setf(r, C_MS_S, q->load * 1000, "%.0f", q->load * 1000);
		row_text(r, C_WAIT, q->wait);
		row_text(r, C_QUERY, q->text);
	}
	if (!pi->nsql && !pi->error[0])
		note_add(p, "Performance Insights saw no SQL in the last minutes");
	pi_snapshot_release(&ps);
}

/*
 * The fleet cursor is on an AWS instance dbfleet has no database
 * connection to: Performance Insights alone. 0 if it is not.
 */
static int pi_only(struct pane *p, const struct pane_ctx *ctx)
{
	if (ctx->aws.kind != ROW_AWS)
		return 0;
	struct cloud_snapshot *c = store_cloud_get(ctx->store);
	const struct cloud_instance *ci = cloud_of_ref(c, &ctx->aws);
	snprintf(p->title, sizeof p->title, "queries - %s (AWS, no database connection)",
		 ci ? ci->id : ctx->aws.key);
	snprintf(p->status, sizeof p->status, "%s", ci ? "" : "gone from discovery");
	p->status_bad = !ci;
	if (ci)
		pi_rows(p, ctx, ci, 1);
	cloud_snapshot_release(&c);
	return 1;
}

/*
 * A target that is also an RDS/Aurora instance: PI's view beside the
 * database's, first (its ten digests at most stay in view above the
 * database's hundred). 1 if shown.
 */
static int pi_beside(struct pane *p, const struct pane_ctx *ctx, const struct target_status *st)
{
	struct cloud_snapshot *c = store_cloud_get(ctx->store);
	const struct cloud_instance *ci = fleet_cloud_of(c, st);
	int shown = ci && ci->pi_enabled;
	if (shown) {
		for (int i = 0; i < p->tab.nrows; i++)
			p->tab.rows[i].group = 2;
		header(p, "db", 2, "from the database (its own statement digests)");
		pi_rows(p, ctx, ci, 1);
	}
	cloud_snapshot_release(&c);
	return shown;
}

/* Every wait event with its type and load, under the instance's load. */
static int pi_waits_text(char *body, size_t n, const struct cloud_pi *pi)
{
	char load[128];
	pi_load_text(load, sizeof load, pi);
	int o = snprintf(body, n, "Performance Insights, %s (%s), last %d min\n%s\n\n"
			 "wait events (db.wait_event), average active sessions:\n%s", pi->id, pi->resource_id,
			 pi->window_s / 60, load, pi->nwait ? "" : "  none seen\n");
	for (int i = 0; i < pi->nwait && o < (int)n; i++)
		o += snprintf(body + o, n - (size_t)o, "  %-40s %-12s %8.2f\n", pi->wait[i].name, pi->wait[i].type,
			      pi->wait[i].load);
	return o;
}

/* One digest: its load, its biggest wait, its text (whole, or the 500 bytes PI gave). */
static int pi_digest_text(char *body, size_t n, const struct cloud_pi *pi, const char *id)
{
	for (int i = 0; i < pi->nsql; i++)
		if (!strcmp(pi->sql[i].id, id))
			return snprintf(body, n, "Performance Insights digest %s: %.2f average active sessions over the"
					" last %d min, most in %s\n%s\n\n%s", pi->sql[i].id, pi->sql[i].load,
					pi->window_s / 60, pi->sql[i].wait[0] ? pi->sql[i].wait : "-",
					pi->sql[i].full ? "" : "(PI gave the first 500 bytes only; the whole text is asked for)",
					pi->sql[i].text);
	return 0;
}

/* Enter on a PI row: the digest's text, whole when PI gave it; on PI's header: every wait. */
static void pi_open(struct pane *p, const struct pane_ctx *ctx, const struct row *r)
{
	struct cloud_snapshot *c = store_cloud_get(ctx->store);
	const struct cloud_instance *ci = ctx->aws.kind == ROW_AWS ? cloud_of_ref(c, &ctx->aws) : NULL;
	if (!ci && ctx->target < store_count(ctx->store)) {
		struct target_status st;
		struct snapshot *snap = store_get(ctx->store, ctx->target, &st);
		snapshot_release(&snap);
		ci = fleet_cloud_of(c, &st);
	}
	struct pi_snapshot *ps = ci ? store_pi_get(ctx->store, ci->region, ci->id) : NULL;
	cloud_snapshot_release(&c);
	char *body = ps ? malloc(PANE_OVERLAY_MAX) : NULL;
	if (body && (r->ref.kind == ROW_GROUP ? pi_waits_text(body, PANE_OVERLAY_MAX, &ps->pi)
					      : pi_digest_text(body, PANE_OVERLAY_MAX, &ps->pi, r->ref.key + strlen(PI_KEY))))
		pane_set_overlay(p, body);
	free(body);
	pi_snapshot_release(&ps);
}

/* ---- the database's own digests ---- */

/* The rows of the database's digests, with its notes. */
static void db_rows(struct pane *p, const struct pane_ctx *ctx, const struct db_sample *x)
{
	if (x->queries_note[0])
		snprintf(p->note[0], sizeof p->note[0], "%s", x->queries_note);
	if (x->privilege_note[0])
		snprintf(p->note[1], sizeof p->note[1], "%s", x->privilege_note);
	if (!x->detail) { /* a health probe only: the digests come with the first sample this pane asked for */
		if (!x->queries_note[0])
			snprintf(p->note[0], sizeof p->note[0], "%s", ctx->replaying ? "the recording has no"
				 " statement digests here" : "reading the statement digests (the first detailed sample)...");
		return;
	}
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
}

/* The database's digests; beside them, or alone for an AWS-only instance, Performance Insights. */
static void queries_recalc(struct pane *p, const struct pane_ctx *ctx)
{
	if (pi_only(p, ctx))
		return;
	struct target_status st;
	struct snapshot *snap = store_get_detail(ctx->store, ctx->target, &st);
	store_watch(ctx->store, ctx->target, 3 * st.interval_s); /* digests are read while this shows */
	snprintf(p->title, sizeof p->title, "queries - %s", st.name);
	pane_status_of(p, &st, snap, ctx->now);
	if (snap)
		db_rows(p, ctx, &snap->s);
	if (pi_beside(p, ctx, &st))
		strncat(p->title, " + Performance Insights", sizeof p->title - strlen(p->title) - 1);
	snapshot_release(&snap);
}

/* Enter: the full statement text, wrapped by the overlay. */
static int queries_command(struct pane *p, enum pane_cmd cmd, struct pane_ctx *ctx)
{
	const struct row *r = pane_selected(p);
	if (cmd != PANE_OPEN || !r)
		return 0;
	if ((r->ref.kind == ROW_GROUP && !strcmp(r->ref.key, "pi")) || !strncmp(r->ref.key, PI_KEY, strlen(PI_KEY)))
		pi_open(p, ctx, r);
	if (r->ref.kind == ROW_GROUP || r->ref.key[0])
		return 1;
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
