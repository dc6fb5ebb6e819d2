/*
 * fleet.c - one row per target: is it up, how busy, how far behind. With
 * AWS on, each discovered instance is a row too, or lends its CloudWatch
 * figures (CPU) to the database target it is linked to (aws_instance, the
 * same name, or the same endpoint).
 */
#include "private.h"

#include "../model/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ACCOUNT last: the first to go on a narrow terminal, and the columns before it stay where they were */
enum { C_NAME, C_ENGINE, C_ROLE, C_STATE, C_TLS, C_CONNS, C_CPU, C_TPS, C_XACT, C_LAG, C_AGE, C_COST, C_BUDGET, C_BURN,
       C_ACCOUNT, C_N };

static const struct column cols[C_N] = {
	[C_NAME] = {"NAME", 18, 1, 0, 1, 0},
	[C_ENGINE] = {"ENGINE", 8, 0, 0, 1, 1},
	[C_ROLE] = {"ROLE", 7, 0, 0, 1, 0},
	[C_STATE] = {"STATE", 11, 0, 0, 1, 0},
	[C_TLS] = {"TLS", 3, 0, 0, 1, 2},
	[C_CONNS] = {"CONNS", 9, 0, 1, 1, 0},
	[C_CPU] = {"CPU", 5, 0, 1, 1, 4},
	[C_TPS] = {"TPS", 7, 0, 1, 1, 0},
	[C_XACT] = {"LONG XACT", 9, 0, 1, 1, 0},
	[C_LAG] = {"LAG", 10, 0, 1, 1, 0},
	[C_AGE] = {"AGE", 6, 0, 1, 1, 0},
	[C_COST] = {"OWN COST", 12, 0, 1, 1, 3},
	[C_BUDGET] = {"BUDGET", 6, 0, 1, 1, 5},
	[C_BURN] = {"BURN 1H/6H", 14, 0, 1, 1, 5},
	[C_ACCOUNT] = {"ACCOUNT", 12, 0, 0, 1, 5},
};

/* Wall-clock seconds, whole: AWS's timestamps are. */
static double epoch_s(void)
{
	return (double)(long long)clock_wall();
}

/* What every row of a target has at once: its words (sortable text) and every sort key. */
static void fill_words(struct row *r, const struct target_status *st, const struct snapshot *snap, double now)
{
	row_text(r, C_NAME, st->name);
	row_text(r, C_ENGINE, st->engine);
	row_text(r, C_STATE, target_state_name(st->state));
	r->key[C_STATE] = st->state;
	if (!snap)
		return;
	const struct db_health *h = &snap->s.health;
	row_text(r, C_ROLE, h->is_replica ? "replica" : "primary");
	row_text(r, C_TLS, !strcmp(h->tls, "plaintext") ? "no" : !h->tls[0] || !strcmp(h->tls, "unknown") ? "?" : "yes");
	r->key[C_CONNS] = h->conns_used;
	r->key[C_TPS] = h->tps;
	r->key[C_XACT] = h->longest_xact_s;
	r->key[C_LAG] = h->is_replica && snap->s.standby.halted[0] ? 1e18 : snap->s.lag_bytes;
	r->key[C_AGE] = now - snap->mono;
	r->key[C_COST] = snap->cost_ms_s;
	if (st->state == TARGET_OK && now - snap->mono > 3 * st->interval_s + st->timeout_s)
		row_text(r, C_STATE, "STALE");
}

/* The figures, formatted: made for the rows the screen can show (the kit asks, through .fill). */
static void fill_figures(struct row *r, const struct snapshot *snap, double now)
{
	char a[32], b[32];
	if (!snap)
		return;
	const struct db_health *h = &snap->s.health;
	row_setf(r, C_CONNS, r->key[C_CONNS], "%d/%d", h->conns_used, h->conns_max);
	fmt_num(a, sizeof a, h->tps);
	row_text(r, C_TPS, a);
	fmt_age(a, sizeof a, h->longest_xact_s);
	row_text(r, C_XACT, a);
	double lag = snap->s.lag_s;
	fmt_bytes(b, sizeof b, snap->s.lag_bytes);
	if (lag > 0)
		fmt_age(a, sizeof a, lag);
	row_text(r, C_LAG, r->key[C_LAG] >= 1e18 ? "stopped" : lag > 0 ? a : b);
	fmt_age(a, sizeof a, now - snap->mono);
	row_text(r, C_AGE, a);
	row_setf(r, C_COST, r->key[C_COST], "%dq %.1fms/s", snap->s.statements, snap->cost_ms_s);
}

double cloud_lag_s(const struct cloud_instance *ci)
{
	/* ReplicaLag is in seconds, AuroraReplicaLag in milliseconds */
	return ci->metric[CW_REPLICALAG] >= 0 ? ci->metric[CW_REPLICALAG]
	       : ci->metric[CW_AURORALAG] >= 0 ? ci->metric[CW_AURORALAG] / 1000 : -1;
}

const struct cloud_instance *fleet_cloud_of(const struct cloud_snapshot *c, const struct target_status *st)
{
	char ep[200];
	for (size_t i = 0; c && i < c->n; i++) {
		const struct cloud_instance *ci = &c->inst[i];
		if (st->cloud_account[0] && strcmp(st->cloud_account, ci->account) && strcmp(st->cloud_account, ci->account_alias))
			continue; /* several accounts: the same id (or endpoint) elsewhere is not this one */
		snprintf(ep, sizeof ep, "%s:%d", ci->host, ci->port);
		if (st->cloud_id[0] ? !strcmp(ci->id, st->cloud_id)
				    : !strcmp(ci->id, st->name) || (ci->host[0] && !strcmp(ep, st->endpoint)))
			return ci;
	}
	return NULL;
}

/* The AWS account of a row: its alias from the config, else its id. */
static void account_cell(struct row *r, const struct cloud_instance *ci)
{
	if (ci)
		row_text(r, C_ACCOUNT, fleet_account_name(ci));
}

static void cpu_cell(struct row *r, const struct cloud_instance *ci)
{
	if (ci && ci->metric[CW_CPU] >= 0)
		row_setf(r, C_CPU, ci->metric[CW_CPU], "%.0f%%", ci->metric[CW_CPU]);
}

/* The newest CloudWatch timestamp of an instance, 0 if none. */
static double cw_newest(const struct cloud_instance *ci)
{
	double t = 0;
	for (int m = 0; m < CW_N; m++)
		t = ci->metric_at[m] > t ? ci->metric_at[m] : t;
	return t;
}

/* A discovered instance no database target stands for: what AWS says. */
static void fill_cloud_row(struct row *r, const struct cloud_instance *ci, double epoch)
{
	char a[32];
	row_text(r, C_NAME, ci->id);
	row_text(r, C_ENGINE, ci->engine);
	account_cell(r, ci);
	row_text(r, C_ROLE, ci->role);
	row_text(r, C_STATE, ci->status);
	r->attr = !strcmp(ci->status, "available") ? ROW_NORMAL : ROW_WARN;
	if (ci->metric[CW_CONNS] >= 0)
		row_setf(r, C_CONNS, ci->metric[CW_CONNS], "%.0f", ci->metric[CW_CONNS]);
	cpu_cell(r, ci);
	double lag = cloud_lag_s(ci);
	if (lag >= 0) {
		fmt_age(a, sizeof a, lag);
		row_setf(r, C_LAG, lag, "%s", a);
	}
	double t = cw_newest(ci);
	if (t > 0) {
		fmt_age(a, sizeof a, epoch - t);
		row_setf(r, C_AGE, epoch - t, "%s", a);
	}
}

/* The view: grouping, collapsed groups, the structured filter (fleet_view.c). */
struct fleet_priv {
	struct fleet_grouping grouping;
	struct fleet_filter filter;
	int collapse_all;                 /* the default state of a group */
	char (*flip)[ROW_KEY_MAX];        /* groups toggled away from the default */
	size_t nflip, capflip;
	int any_open;                     /* at the last recalc, a group was open */
	long reveal;                      /* a target whose group opens at the next recalc; -1 */
	char tag_keys[8][32];             /* tag keys seen, for cycling the grouping */
	int ntag_keys;
	/* the last recalc's facts, kept (with their snapshots) for the figures fleet_fill makes later */
	struct fleet_fact *facts;
	size_t nfacts;
	struct cloud_snapshot *cloud;     /* facts[].ci point into it */
	double now;
};

static void drop_facts(struct fleet_priv *v)
{
	for (size_t i = 0; i < v->nfacts; i++)
		snapshot_release(&v->facts[i].snap);
	free(v->facts);
	v->facts = NULL;
	v->nfacts = 0;
	cloud_snapshot_release(&v->cloud);
}

static struct fleet_priv *priv_of(struct pane *p)
{
	if (!p->priv && (p->priv = calloc(1, sizeof(struct fleet_priv))))
		((struct fleet_priv *)p->priv)->reveal = -1;
	return p->priv;
}

static void fleet_release(struct pane *p)
{
	struct fleet_priv *v = p->priv;
	if (v) {
		drop_facts(v);
		free(v->flip);
	}
	free(v);
	p->priv = NULL;
}

static long flip_find(const struct fleet_priv *v, const char *g)
{
	for (size_t i = 0; i < v->nflip; i++)
		if (!strcmp(v->flip[i], g))
			return (long)i;
	return -1;
}

static int collapsed(const struct fleet_priv *v, const char *g)
{
	return v->collapse_all != (flip_find(v, g) >= 0);
}

static void flip(struct fleet_priv *v, const char *g)
{
	long i = flip_find(v, g);
	if (i >= 0) {
		memmove(&v->flip[i], &v->flip[i + 1], (v->nflip - (size_t)i - 1) * sizeof *v->flip);
		v->nflip--;
		return;
	}
	if (v->nflip == v->capflip) {
		size_t cap = v->capflip ? v->capflip * 2 : 16;
		char (*nf)[ROW_KEY_MAX] = realloc(v->flip, cap * sizeof *nf);
		if (!nf)
			return;
		v->flip = nf;
		v->capflip = cap;
	}
	snprintf(v->flip[v->nflip++], ROW_KEY_MAX, "%s", g);
}

/* Remember the tag keys of 'tags' for cycling the grouping. */
static void note_tag_keys(struct fleet_priv *v, const char *tags)
{
	for (const char *s = tags; s && *s && v->ntag_keys < 8;) {
		size_t len = strcspn(s, ","), k = strcspn(s, "=,");
		int seen = !k || k >= sizeof v->tag_keys[0] || k == len;
		for (int i = 0; i < v->ntag_keys && !seen; i++)
			seen = strlen(v->tag_keys[i]) == k && !strncmp(v->tag_keys[i], s, k);
		if (!seen)
			snprintf(v->tag_keys[v->ntag_keys++], sizeof v->tag_keys[0], "%.*s", (int)k, s);
		s += len + (s[len] == ',');
	}
}

/* How a problem looks: a target that does not answer in red, one answering with a problem in yellow. */
static enum row_attr problem_attr(int problem, int answering)
{
	return problem <= FP_AUTH || (problem == FP_STALLED && !answering) ? ROW_BAD
	       : problem < FP_CONNECTING ? ROW_WARN : problem == FP_CONNECTING ? ROW_DIM : ROW_NORMAL;
}

static void member_row(struct pane *p, const struct fleet_fact *x, const struct pane_ctx *ctx, double epoch,
		       int group, int indent)
{
	struct row *r = table_add(&p->tab);
	if (!r)
		return;
	r->ref = x->ref;
	r->group = group;
	if (x->ref.kind == ROW_TARGET) {
		fill_words(r, &x->st, x->snap, ctx->now);
		if (x->ci && x->ci->metric[CW_CPU] >= 0)
			r->key[C_CPU] = x->ci->metric[CW_CPU];
		account_cell(r, x->ci);
		r->pending = (int)x->ref.target + 1; /* the figures: fleet_fill, if it comes into view */
	} else {
		fill_cloud_row(r, x->ci, epoch);
	}
	r->attr = problem_attr(x->problem, x->ref.kind != ROW_TARGET || x->st.state == TARGET_OK);
	if (x->ref.kind == ROW_TARGET && fleet_slo_cells(r, ctx->store, x->ref.target, C_BUDGET, C_BURN) &&
	    r->attr == ROW_NORMAL)
		r->attr = ROW_BAD; /* a fast burn: the budget goes in hours */
	if (indent) {
		char name[sizeof x->st.name + 4];
		snprintf(name, sizeof name, "  %s", x->st.name);
		row_text(r, C_NAME, name);
	}
}

/* A group's header: its name, how many rows it holds and the worst of them. */
static struct row *header_row(struct pane *p, const struct fleet_fact *first, size_t members, int open, int group)
{
	struct row *r = table_add(&p->tab);
	if (!r)
		return NULL;
	char name[ROW_KEY_MAX + 40];
	const char *mark = text_utf8() ? (open ? "\u25be" : "\u25b8") : (open ? "-" : "+");
	snprintf(name, sizeof name, "%s %s (%zu)", mark, first->group, members);
	r->ref.kind = ROW_GROUP;
	snprintf(r->ref.key, sizeof r->ref.key, "%s", first->group);
	r->group = group;
	row_text(r, C_NAME, name);
	row_text(r, C_STATE, fleet_problem_name(first->group_rank));
	r->key[C_STATE] = first->group_rank;
	r->attr = first->group_rank == FP_OK ? ROW_BOLD : problem_attr(first->group_rank, 0);
	return r;
}

/* The rows, group by group; a collapsed group is its header alone. */
static void emit(struct pane *p, struct fleet_priv *v, struct fleet_fact **x, size_t n, const struct pane_ctx *ctx,
		 double epoch)
{
	int grouped = v->grouping.by != FG_NONE, gi = 0;
	v->any_open = 0;
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && !strcmp(x[j]->group, x[i]->group); j++)
			;
		int open = 1;
		if (grouped) {
			open = !collapsed(v, x[i]->group);
			struct row *h = header_row(p, x[i], j - i, open, ++gi);
			if (h && fleet_slo_group(h, ctx->store, x + i, j - i, C_BUDGET, C_BURN) && h->attr == ROW_BOLD)
				h->attr = ROW_BAD; /* the group's budget goes in hours */
		}
		v->any_open |= open;
		for (size_t k = i; open && k < j; k++)
			member_row(p, x[k], ctx, epoch, gi, grouped);
	}
}

/* The line above the table: how many rows are in each state, then the problems. */
static void count_line(struct pane *p, const struct fleet_fact *x, size_t n)
{
	static const struct {
		int problem;
		const char *word;
		enum row_attr attr;
		int always;
	} shown[] = {
		{FP_DOWN, "down", ROW_BAD, 1}, {FP_STALLED, "stalled", ROW_WARN, 1}, {FP_AUTH, "auth", ROW_BAD, 1},
		{FP_AWS, "AWS not available", ROW_WARN, 0}, {FP_OK, "ok", ROW_GOOD, 1},
		{FP_CONNECTING, "connecting", ROW_DIM, 0}, {FP_LAG, "lag", ROW_WARN, 0},
		{FP_SLOT, "inactive slot holding WAL", ROW_WARN, 0},
		{FP_XACT, "long xact", ROW_WARN, 0}, {FP_CONNS, "conns near max", ROW_WARN, 0},
		{FP_CPU, "cpu", ROW_WARN, 0},
	};
	size_t count[FP_N] = {0};
	for (size_t i = 0; i < n; i++) {
		/* states: each row once; the problems of rows that answer: each one it has */
		int state = x[i].problem >= FP_LAG && x[i].problem <= FP_CPU ? FP_OK : x[i].problem;
		count[state]++;
		for (int q = FP_LAG; q <= FP_CPU; q++)
			count[q] += (x[i].flags >> q) & 1;
	}
	int dot = 0;
	for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
		size_t c = count[shown[i].problem];
		if (!c && !shown[i].always)
			continue;
		int problem = shown[i].problem >= FP_LAG && shown[i].problem <= FP_CPU;
		const char *sep = text_utf8() ? "\u00b7 " : "- "; /* a middle dot where the terminal has one */
		pane_badge(p, c ? shown[i].attr : ROW_DIM, "%s%zu %s", problem && !dot++ ? sep : "", c, shown[i].word);
	}
}

/* Every target and every AWS instance no target stands for, as facts. */
static size_t gather(struct fleet_fact *x, const struct pane_ctx *ctx, size_t n, const struct cloud_snapshot *cloud)
{
	unsigned char *used = cloud && cloud->n ? calloc(cloud->n, 1) : NULL;
	size_t m = 0;
	for (size_t t = 0; t < n; t++, m++) {
		x[m].ref = row_ref_target(t);
		x[m].snap = store_get(ctx->store, t, &x[m].st);
		x[m].ci = fleet_cloud_of(cloud, &x[m].st);
		if (x[m].ci && used)
			used[x[m].ci - cloud->inst] = 1;
		x[m].problem = fleet_problem(&x[m].st, x[m].snap, x[m].ci, ctx->now, &x[m].flags);
	}
	for (size_t i = 0; cloud && i < cloud->n; i++) {
		if (used && used[i])
			continue;
		const struct cloud_instance *ci = &cloud->inst[i];
		x[m].ref = fleet_ref_cloud(ci);
		x[m].ci = ci;
		snprintf(x[m].st.name, sizeof x[m].st.name, "%s", ci->id);
		x[m].problem = fleet_problem(NULL, NULL, ci, ctx->now, &x[m].flags);
		m++;
	}
	free(used);
	return m;
}

static void fleet_titles(struct pane *p, const struct fleet_priv *v, const struct fleet_fact *x, size_t n,
			 size_t ntargets, const struct cloud_snapshot *cloud, const struct pane_ctx *ctx, size_t shown)
{
	int up = 0;
	double newest = -1;
	for (size_t t = 0; t < n; t++) {
		if (x[t].ref.kind != ROW_TARGET)
			continue;
		up += x[t].st.state == TARGET_OK;
		if (x[t].snap && (newest < 0 || ctx->now - x[t].snap->mono < newest))
			newest = ctx->now - x[t].snap->mono;
	}
	char grp[48] = "", flt[96] = "";
	if (v->grouping.by != FG_NONE) {
		char g[40];
		fleet_grouping_name(&v->grouping, g, sizeof g);
		snprintf(grp, sizeof grp, ", by %s", g);
	}
	if (v->filter.n)
		snprintf(flt, sizeof flt, ", :filter %.40s (%zu match)", v->filter.text, shown);
	if (cloud)
		snprintf(p->title, sizeof p->title, "fleet - %zu targets, %zu AWS instances%s%s", ntargets, cloud->n, grp, flt);
	else
		snprintf(p->title, sizeof p->title, "fleet - %zu targets%s%s", ntargets, grp, flt);
	char a[32];
	fmt_age(a, sizeof a, newest);
	if (cloud && cloud->error[0]) {
		char *e = text_sanitize(cloud->error, 200);
		snprintf(p->status, sizeof p->status, "- AWS: %s", e ? e : "error");
		free(e);
	} else if (ntargets == 0)
		snprintf(p->status, sizeof p->status, cloud ? "- from AWS" : "- discovering");
	else if (newest < 0)
		snprintf(p->status, sizeof p->status, "- %d up, no sample yet", up);
	else
		snprintf(p->status, sizeof p->status, "- %d up, newest sample %s ago", up, a);
	p->status_bad = up < (int)ntargets || (cloud && cloud->error[0]);
}

/* Open the group of the target a jump asked for, once its group is known. */
static void reveal(struct fleet_priv *v, const struct fleet_fact *x, size_t n)
{
	for (size_t i = 0; v->reveal >= 0 && i < n; i++)
		if (x[i].ref.kind == ROW_TARGET && x[i].ref.target == (size_t)v->reveal && collapsed(v, x[i].group))
			flip(v, x[i].group);
	v->reveal = -1;
}

static void fleet_recalc(struct pane *p, const struct pane_ctx *ctx)
{
	struct fleet_priv *v = priv_of(p);
	if (!v) {
		snprintf(p->note[0], sizeof p->note[0], "out of memory");
		return;
	}
	drop_facts(v); /* the rows that needed them are gone */
	size_t n = store_count(ctx->store);
	struct cloud_snapshot *cloud = store_cloud_get(ctx->store);
	size_t cap = n + (cloud ? cloud->n : 0);
	struct fleet_fact *x = calloc(cap ? cap : 1, sizeof *x);
	struct fleet_fact **keep = calloc(cap ? cap : 1, sizeof *keep);
	if (!x || !keep) {
		snprintf(p->note[0], sizeof p->note[0], "out of memory");
		free(x);
		free(keep);
		cloud_snapshot_release(&cloud);
		return;
	}
	double epoch = epoch_s();
	size_t m = gather(x, ctx, n, cloud), shown = 0;
	count_line(p, x, m);
	fleet_group_keys(x, m, &v->grouping, cloud ? cloud->source : "");
	reveal(v, x, m);
	for (size_t i = 0; i < m; i++)
		if (fleet_filter_match(&v->filter, &x[i]))
			keep[shown++] = &x[i];
	fleet_order(keep, shown);
	emit(p, v, keep, shown, ctx, epoch);
	fleet_titles(p, v, x, m, n, cloud, ctx, shown);
	if (v->filter.n && !shown)
		snprintf(p->note[0], sizeof p->note[0], "no row matches :filter %.100s (\":filter\" alone shows every row)",
			 v->filter.text);
	free(keep);
	v->facts = x; /* kept until the next recalc: rows off screen get their figures from them */
	v->nfacts = cap;
	v->cloud = cloud;
	v->now = ctx->now;
}

/* The figures of a target's row coming into view (pane_recalc asks). */
static void fleet_fill(struct pane *p, struct row *r)
{
	const struct fleet_priv *v = p->priv;
	if (!v || r->pending < 1 || (size_t)r->pending > v->nfacts)
		return;
	const struct fleet_fact *x = &v->facts[r->pending - 1];
	fill_figures(r, x->snap, v->now);
	cpu_cell(r, x->ci);
}

int fleet_set_grouping(struct pane *p, const char *spec, struct err *e)
{
	struct fleet_priv *v = priv_of(p);
	struct fleet_grouping g;
	if (!v)
		return err_set(e, ERR_FAIL, "out of memory");
	if (fleet_grouping_parse(spec, &g, e) < 0)
		return -1;
	v->grouping = g;
	v->nflip = 0;
	v->collapse_all = 0;
	return 0;
}

void fleet_grouping_spec(struct pane *p, char *out, size_t n)
{
	struct fleet_priv *v = priv_of(p);
	struct fleet_grouping none = {0};
	fleet_grouping_name(v ? &v->grouping : &none, out, n);
}

void fleet_next_grouping(struct pane *p, char *name, size_t n)
{
	struct fleet_priv *v = priv_of(p);
	if (!v)
		return;
	/* none, cluster, engine, region, account, then tag:KEY for each key seen, then none again */
	for (size_t i = 0; i < v->nfacts && v->ntag_keys < 8; i++) {
		note_tag_keys(v, v->facts[i].st.tags);
		if (v->facts[i].ci)
			note_tag_keys(v, v->facts[i].ci->tags);
	}
	struct fleet_grouping g = v->grouping;
	if (g.by == FG_TAG) {
		int i = 0;
		while (i < v->ntag_keys && strcmp(v->tag_keys[i], g.tag))
			i++;
		if (i + 1 < v->ntag_keys)
			snprintf(g.tag, sizeof g.tag, "%s", v->tag_keys[i + 1]);
		else
			g.by = FG_NONE;
	} else if (g.by == FG_ACCOUNT) {
		g.by = v->ntag_keys ? FG_TAG : FG_NONE;
		snprintf(g.tag, sizeof g.tag, "%s", v->ntag_keys ? v->tag_keys[0] : "");
	} else {
		g.by = (enum fleet_group_by)(g.by + 1);
	}
	v->grouping = g;
	v->nflip = 0;
	v->collapse_all = 0;
	fleet_grouping_name(&g, name, n);
}

int fleet_set_filter(struct pane *p, const char *spec, struct err *e)
{
	struct fleet_priv *v = priv_of(p);
	if (!v)
		return err_set(e, ERR_FAIL, "out of memory");
	return fleet_filter_parse(spec, &v->filter, e);
}

int fleet_toggle_group(struct pane *p)
{
	struct fleet_priv *v = priv_of(p);
	int i = p->sel;
	while (i >= 0 && i < p->tab.nrows && p->tab.rows[i].ref.kind != ROW_GROUP)
		i--;
	if (!v || i < 0 || i >= p->tab.nrows || p->tab.rows[i].group != p->tab.rows[p->sel].group)
		return 0;
	flip(v, p->tab.rows[i].ref.key);
	p->sel = i; /* the cursor stays on the group, whose rows come or go */
	return 1;
}

void fleet_toggle_all(struct pane *p)
{
	struct fleet_priv *v = priv_of(p);
	if (!v)
		return;
	v->collapse_all = v->any_open;
	v->nflip = 0;
	int i = p->sel; /* the cursor goes to its group's header */
	while (i > 0 && i < p->tab.nrows && p->tab.rows[i].ref.kind != ROW_GROUP)
		i--;
	p->sel = i;
}

void fleet_reveal(struct pane *p, size_t t)
{
	struct fleet_priv *v = priv_of(p);
	if (v)
		v->reveal = (long)t;
}

static int fleet_command(struct pane *p, enum pane_cmd cmd, struct pane_ctx *ctx)
{
	const struct row *r = pane_selected(p);
	if (cmd != PANE_OPEN || !r)
		return 0;
	if (r->ref.kind == ROW_GROUP)
		return fleet_toggle_group(p);
	if (r->ref.kind == ROW_AWS) {
		p->overlay_ref = r->ref;
		fleet_cloud_detail(p, ctx, &r->ref);
		p->overlay_refresh = fleet_cloud_refresh; /* live: Performance Insights arrive after it opens */
		return 1;
	}
	ctx->target = r->ref.target;
	p->overlay_ref = r->ref;
	fleet_detail(p, ctx);
	p->overlay_refresh = fleet_detail;
	return 1;
}

const struct pane_ops pane_fleet_ops = {
	.name = "fleet",
	.cols = cols,
	.ncols = C_N,
	.default_sort = -1,
	.recalc = fleet_recalc,
	.on_command = fleet_command,
	.fill = fleet_fill,
	.release = fleet_release,
};
