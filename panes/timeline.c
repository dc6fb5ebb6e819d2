/*
 * timeline.c - what happened, newest first: targets going down and coming
 * back, roles changing, replication halting, lag crossing its threshold,
 * RDS events and dbfleet's own actions, each with its UTC time, where it was
 * seen (observed, rds, action, drill) and what it is about. For the whole
 * fleet, the selected target, or its group (w cycles); one kind or all
 * (f cycles); "/" narrows to rows containing a text, like every pane.
 *
 * The pane keeps its own copy of the store's timeline and asks only for
 * what is newer than its last entry (store_timeline_read); rows make their
 * cells only when they come into view (.fill).
 */
#include "private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C_WHEN, C_SOURCE, C_KIND, C_OBJECT, C_EVENT, C_N };

static const struct column cols[C_N] = {
	/* right-aligned: sorted by its key (the time), which every row has before its cells */
	[C_WHEN] = {"WHEN (UTC)", 20, 0, 1, 1, 0},
	[C_SOURCE] = {"SOURCE", 8, 0, 0, 0, 1},
	[C_KIND] = {"KIND", 11, 0, 0, 0, 2},
	[C_OBJECT] = {"OBJECT", 18, 0, 0, 0, 0}, /* a target, an AWS instance or cluster */
	[C_EVENT] = {"EVENT", 20, 1, 0, 0, 0},
};

static const char *const source_names[TL_SRC_N] = {"observed", "rds", "action", "drill"};
static const char *const kind_names[TL_KIND_N] = {"state", "role", "replication", "lag", "rds event", "action",
						  "mark"};

enum scope { SCOPE_FLEET, SCOPE_TARGET, SCOPE_GROUP, SCOPE_N };

struct tl_priv {
	struct tl_event *ev;      /* the store's timeline as far as read, in order of arrival */
	size_t n;
	uint64_t last;            /* the seq of the newest one read */
	uint64_t cleared;         /* the store's timeline was emptied before this seq (a replay went back) */
	const struct tl_event **shown; /* this recalc's rows (r->pending - 1 indexes it) */
	int kind;                 /* -1 all, else enum tl_kind */
	enum scope scope;
	char grouping[48];        /* the group scope's grouping spec */
	char **names;             /* the scope's target and instance names (NULL: the fleet) */
	size_t nnames;
};

static struct tl_priv *priv_of(struct pane *p)
{
	if (!p->priv && (p->priv = calloc(1, sizeof(struct tl_priv))))
		((struct tl_priv *)p->priv)->kind = -1;
	return p->priv;
}

static void drop_names(struct tl_priv *v)
{
	for (size_t i = 0; i < v->nnames; i++)
		free(v->names[i]);
	free(v->names);
	v->names = NULL;
	v->nnames = 0;
}

static void timeline_release(struct pane *p)
{
	struct tl_priv *v = p->priv;
	if (v) {
		drop_names(v);
		free(v->ev);
		free(v->shown);
	}
	free(v);
	p->priv = NULL;
}

void timeline_set_grouping(struct pane *p, const char *spec)
{
	struct tl_priv *v = priv_of(p);
	if (v)
		snprintf(v->grouping, sizeof v->grouping, "%s", spec);
}

/* Read what the store has that this copy lacks; the oldest go beyond STORE_TIMELINE. */
static void catch_up(struct tl_priv *v, struct store *st)
{
	if (!v->ev && !(v->ev = malloc(STORE_TIMELINE * sizeof *v->ev)))
		return;
	uint64_t cleared = store_timeline_cleared(st);
	if (cleared > v->cleared) { /* emptied since: so is this copy */
		v->n = 0;
		v->last = cleared - 1;
		v->cleared = cleared;
	}
	for (;;) {
		struct tl_event next;
		if (v->n == STORE_TIMELINE) { /* full: the oldest quarter goes, if anything new is waiting */
			size_t drop = STORE_TIMELINE / 4;
			if (!store_timeline_read(st, v->last, &next, 1))
				return;
			memmove(v->ev, v->ev + drop, (v->n - drop) * sizeof *v->ev);
			v->n -= drop;
		}
		size_t got = store_timeline_read(st, v->last, v->ev + v->n, STORE_TIMELINE - v->n);
		if (!got)
			return;
		v->n += got;
		v->last = v->ev[v->n - 1].seq;
	}
}

static void add_name(struct tl_priv *v, const char *name)
{
	char **nn = realloc(v->names, (v->nnames + 1) * sizeof *nn);
	if (!nn)
		return;
	v->names = nn;
	if ((nn[v->nnames] = strdup(name)))
		v->nnames++;
}

/* Every target and AWS instance as the fleet pane's grouping sees them; how many. */
static size_t facts_of(struct fleet_fact *x, const struct pane_ctx *ctx, size_t n, const struct cloud_snapshot *c)
{
	size_t m = 0;
	for (size_t t = 0; t < n; t++, m++) {
		x[m].ref = row_ref_target(t);
		x[m].snap = store_get(ctx->store, t, &x[m].st);
		x[m].ci = fleet_cloud_of(c, &x[m].st);
	}
	for (size_t i = 0; c && i < c->n; i++, m++) {
		x[m].ref = row_ref_aws(c->inst[i].region, c->inst[i].id);
		x[m].ci = &c->inst[i];
		snprintf(x[m].st.name, sizeof x[m].st.name, "%s", c->inst[i].id);
	}
	return m;
}

/* The selected target's group: the names of its members, their AWS instances too, and the group's own name. */
static void group_names(struct tl_priv *v, const struct pane_ctx *ctx, size_t n, const struct cloud_snapshot *c)
{
	struct fleet_grouping g;
	struct err e;
	if (!v->grouping[0] || fleet_grouping_parse(v->grouping, &g, &e) < 0 || g.by == FG_NONE)
		fleet_grouping_parse("cluster", &g, &e);
	size_t cap = n + (c ? c->n : 0);
	struct fleet_fact *x = calloc(cap ? cap : 1, sizeof *x);
	if (!x)
		return;
	size_t m = facts_of(x, ctx, n, c);
	fleet_group_keys(x, m, &g, c ? c->source : "");
	const char *mine = ctx->target < n ? x[ctx->target].group : "";
	add_name(v, mine); /* first: the title names it; an RDS event names its cluster */
	for (size_t i = 0; i < m; i++) {
		if (strcmp(x[i].group, mine))
			continue;
		add_name(v, x[i].st.name);
		if (x[i].ci)
			add_name(v, x[i].ci->id);
	}
	for (size_t i = 0; i < m; i++)
		snapshot_release(&x[i].snap);
	free(x);
}

/* Who the scope holds; the title's words for it into 'what'. */
static void scope_names(struct tl_priv *v, const struct pane_ctx *ctx, char *what, size_t wn)
{
	drop_names(v);
	size_t n = store_count(ctx->store);
	if (v->scope == SCOPE_FLEET || ctx->target >= n) {
		snprintf(what, wn, "fleet%s%s", ctx->fleet ? " " : "", ctx->fleet ? ctx->fleet : "");
		return;
	}
	struct target_status st;
	struct snapshot *snap = store_get(ctx->store, ctx->target, &st);
	snapshot_release(&snap);
	struct cloud_snapshot *c = store_cloud_get(ctx->store);
	if (v->scope == SCOPE_TARGET) {
		const struct cloud_instance *ci = fleet_cloud_of(c, &st);
		add_name(v, st.name);
		if (ci)
			add_name(v, ci->id);
		snprintf(what, wn, "target %s", st.name);
	} else {
		group_names(v, ctx, n, c);
		snprintf(what, wn, "group %s", v->nnames && v->names[0][0] ? v->names[0] : st.name);
	}
	cloud_snapshot_release(&c);
}

static int in_scope(const struct tl_priv *v, const struct tl_event *e)
{
	if (!v->names || !e->target[0])
		return 1; /* the fleet's own entries (drill marks) belong to every scope */
	for (size_t i = 0; i < v->nnames; i++)
		if (!strcmp(v->names[i], e->target) || (e->group[0] && !strcmp(v->names[i], e->group)))
			return 1;
	return 0;
}

static int newest_first(const void *a, const void *b)
{
	const struct tl_event *x = *(const struct tl_event *const *)a, *y = *(const struct tl_event *const *)b;
	if (x->at != y->at)
		return x->at < y->at ? 1 : -1;
	return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

static enum row_attr attr_of(const struct tl_event *e)
{
	static const enum row_attr of_level[] = {[TL_INFO] = ROW_NORMAL, [TL_GOOD] = ROW_GOOD, [TL_WARN] = ROW_WARN,
						 [TL_BAD] = ROW_BAD};
	if (e->kind == TL_MARK)
		return ROW_BOLD;
	return (unsigned)e->level < sizeof of_level / sizeof of_level[0] ? of_level[e->level] : ROW_NORMAL;
}

static void timeline_recalc(struct pane *p, const struct pane_ctx *ctx)
{
	struct tl_priv *v = priv_of(p);
	snprintf(p->title, sizeof p->title, "timeline");
	p->status_bad = 0;
	if (!v) {
		snprintf(p->note[0], sizeof p->note[0], "out of memory");
		return;
	}
	catch_up(v, ctx->store);
	char what[160];
	scope_names(v, ctx, what, sizeof what);
	free(v->shown);
	v->shown = v->n ? malloc(v->n * sizeof *v->shown) : NULL;
	size_t m = 0;
	for (size_t i = 0; v->shown && i < v->n; i++)
		if ((v->kind < 0 || v->ev[i].kind == v->kind) && in_scope(v, &v->ev[i]))
			v->shown[m++] = &v->ev[i];
	if (m > 1)
		qsort(v->shown, m, sizeof *v->shown, newest_first);
	for (size_t i = 0; i < m; i++) {
		struct row *r = table_add(&p->tab);
		if (!r)
			break;
		r->ref.item = (long long)v->shown[i]->seq; /* an entry is its place in the store's order */
		r->key[C_WHEN] = v->shown[i]->at;
		r->attr = attr_of(v->shown[i]);
		r->pending = (int)i + 1;
	}
	snprintf(p->title, sizeof p->title, "timeline - %.120s%s%s, %zu of %zu", what, v->kind >= 0 ? ", " : "",
		 v->kind >= 0 ? kind_names[v->kind] : "", m, v->n);
	snprintf(p->status, sizeof p->status, "- w: fleet/target/group, f: kind");
	if (!m)
		snprintf(p->note[0], sizeof p->note[0], "%s",
			 v->n ? "nothing of this kind here yet (f: the next kind, w: the scope)"
			      : "nothing has changed since dbfleet started");
}

static void timeline_fill(struct pane *p, struct row *r)
{
	const struct tl_priv *v = p->priv;
	if (!v || !v->shown || r->pending < 1 || (size_t)r->pending > v->n)
		return;
	const struct tl_event *e = v->shown[r->pending - 1];
	char when[32];
	fmt_utc(when, sizeof when, e->at);
	row_text(r, C_WHEN, when);
	row_text(r, C_SOURCE, (unsigned)e->source < TL_SRC_N ? source_names[e->source] : "?");
	row_text(r, C_KIND, (unsigned)e->kind < TL_KIND_N ? kind_names[e->kind] : "?");
	row_text(r, C_OBJECT, e->target);
	row_text(r, C_EVENT, e->text);
}

/* Enter: the whole entry, its text unclipped. */
static void timeline_open(struct pane *p, const struct tl_priv *v)
{
	const struct row *r = pane_selected(p);
	const struct tl_event *e = NULL;
	for (size_t i = 0; r && !e && i < v->n; i++)
		if (v->ev[i].seq == (uint64_t)r->ref.item)
			e = &v->ev[i];
	if (!e)
		return;
	char when[32], body[1024];
	fmt_utc(when, sizeof when, e->at);
	snprintf(body, sizeof body, "%s, %s, %s\n\ntarget: %s\n%s%s%sstate now: %s\nentry #%llu\n\n%s", when,
		 (unsigned)e->source < TL_SRC_N ? source_names[e->source] : "?",
		 (unsigned)e->kind < TL_KIND_N ? kind_names[e->kind] : "?", e->target[0] ? e->target : "(the fleet)",
		 e->group[0] ? "cluster: " : "", e->group, e->group[0] ? "\n" : "", e->state[0] ? e->state : "-",
		 (unsigned long long)e->seq, e->text);
	pane_set_overlay(p, body); /* sanitised line by line there */
}

static int timeline_command(struct pane *p, enum pane_cmd cmd, struct pane_ctx *ctx)
{
	struct tl_priv *v = priv_of(p);
	(void)ctx;
	if (!v)
		return 0;
	if (cmd == PANE_OPEN) {
		timeline_open(p, v);
		return 1;
	}
	if (cmd == PANE_FILTER_NEXT)
		v->kind = v->kind + 1 < TL_KIND_N ? v->kind + 1 : -1;
	else if (cmd == PANE_SCOPE_NEXT)
		v->scope = (enum scope)((v->scope + 1) % SCOPE_N);
	else
		return 0;
	p->sel = p->top = 0;
	return 1;
}

const struct pane_ops pane_timeline_ops = {
	.name = "timeline",
	.cols = cols,
	.ncols = C_N,
	.default_sort = C_WHEN,
	.recalc = timeline_recalc,
	.on_command = timeline_command,
	.fill = timeline_fill,
	.release = timeline_release,
};
