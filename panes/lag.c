/*
 * lag.c - replication topology as a tree: each primary, then its standbys,
 * with lag in bytes and seconds and a sparkline of recent lag.
 *
 * A standby that is itself a target is placed under the primary whose
 * endpoint its WAL receiver connects to (or whose pg_stat_replication
 * names it); standbys the fleet does not watch still show, from the
 * primary's side.
 */
#include "pane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C_NODE, C_ROLE, C_STATE, C_BYTES, C_REPLAY, C_WF, C_SYNC, C_CW, C_TREND, C_N };

static const struct column cols[C_N] = {
	[C_NODE] = {"NODE", 24, 0, 0, 0},
	[C_ROLE] = {"ROLE", 8, 0, 0, 0},
	[C_STATE] = {"STATE", 18, 0, 0, 0},
	[C_BYTES] = {"LAG BYTES", 10, 0, 1, 0},
	[C_REPLAY] = {"REPLAY LAG", 10, 0, 1, 0},
	[C_WF] = {"WRITE/FLUSH", 13, 0, 1, 0},
	[C_SYNC] = {"SYNC", 7, 0, 0, 0},
	[C_CW] = {"CW LAG", 7, 0, 1, 0, 1},
	[C_TREND] = {"TREND", 20, 1, 0, 0},
};

struct node {
	struct target_status st;
	struct snapshot *snap;
	const struct cloud_instance *ci; /* the AWS instance it is, with AWS on */
	char sender[128];                /* a standby's primary, as endpoint_norm spells it; "" */
	int placed;
};

/* CloudWatch's own lag figure beside the database's: what AWS alarms would see. */
static void cw_cell(struct row *r, const struct cloud_instance *ci)
{
	char a[32];
	double lag = ci ? cloud_lag_s(ci) : -1;
	if (lag >= 0) {
		fmt_age(a, sizeof a, lag);
		row_setf(r, C_CW, lag, "%s", a);
	}
}

/* Is the target's endpoint on 'client' (an address from pg_stat_replication)? */
static int same_host(const struct target_status *st, const char *client)
{
	char a[128], b[128];
	endpoint_norm_target(st->endpoint, a, sizeof a);
	endpoint_norm(strcmp(client, "local") == 0 ? "" : client, 0, b, sizeof b);
	*strrchr(a, ':') = '\0';
	*strrchr(b, ':') = '\0';
	return strcmp(a, b) == 0;
}

static void trend(struct row *r, const struct pane_ctx *ctx, size_t t)
{
	double v[60];
	char s[60 * 3 + 1];
	size_t n = store_history(ctx->store, t, HIST_LAG_BYTES, v, 60);
	fmt_spark(s, sizeof s, v, n, 60);
	row_text(r, C_TREND, s);
}

static void lag_cells(struct row *r, double bytes, double replay, double write, double flush)
{
	char a[32], b[32];
	fmt_bytes(a, sizeof a, bytes);
	row_setf(r, C_BYTES, bytes, "%s", a);
	fmt_age(a, sizeof a, replay);
	row_setf(r, C_REPLAY, replay, "%s", a);
	fmt_age(a, sizeof a, write);
	fmt_age(b, sizeof b, flush);
	row_setf(r, C_WF, write, "%s/%s", a, b);
}

static void root_row(struct pane *p, const struct pane_ctx *ctx, struct node *nd, size_t t)
{
	struct row *r = table_add(&p->tab);
	if (!r)
		return;
	r->ref = row_ref_target(t);
	row_text(r, C_NODE, nd->st.name);
	r->attr = nd->st.state == TARGET_OK ? ROW_BOLD : ROW_BAD;
	cw_cell(r, nd->ci);
	if (!nd->snap) {
		row_text(r, C_STATE, target_state_name(nd->st.state));
		return;
	}
	const struct db_sample *x = &nd->snap->s;
	row_text(r, C_ROLE, x->health.is_replica ? "replica" : "primary");
	row_text(r, C_STATE, nd->st.state == TARGET_OK ? (x->health.is_replica ? "orphan" : "ok")
						     : target_state_name(nd->st.state));
	if (x->health.is_replica) {
		lag_cells(r, (double)x->standby.replay_backlog_bytes, x->standby.lag_s, -1, -1);
		trend(r, ctx, t);
	}
}

/* A standby under its primary: the primary's view 'rep' and/or the standby's own. */
static void child_row(struct pane *p, const struct pane_ctx *ctx, size_t primary, const struct db_replica *rep,
		      struct node *sb, long sb_idx, int last)
{
	struct row *r = table_add(&p->tab);
	if (!r)
		return;
	const char *branch = text_utf8() ? (last ? "\u2514\u2500 " : "\u251c\u2500 ") : (last ? "`- " : "|- ");
	char name[160];
	snprintf(name, sizeof name, "%s%s", branch, sb ? sb->st.name : rep->name);
	row_text(r, C_NODE, name);
	row_text(r, C_ROLE, "replica");
	if (sb) {
		r->ref = row_ref_target((size_t)sb_idx);
	} else { /* a standby only its primary knows of: named by the primary's index and its own name */
		r->ref.kind = ROW_ITEM;
		r->ref.target = primary;
		snprintf(r->ref.key, sizeof r->ref.key, "%s", rep->name);
	}
	if (sb)
		cw_cell(r, sb->ci);
	const struct db_standby *own = sb && sb->snap ? &sb->snap->s.standby : NULL;
	if (rep) {
		/* what the primary does not know (MySQL), the standby's own view fills in */
		double bytes = rep->lag_bytes >= 0 || !own ? (double)rep->lag_bytes : (double)own->replay_backlog_bytes;
		double replay = rep->replay_lag_s >= 0 || !own ? rep->replay_lag_s : own->lag_s;
		row_text(r, C_STATE, rep->state);
		row_text(r, C_SYNC, rep->sync_state);
		lag_cells(r, bytes, replay, rep->write_lag_s, rep->flush_lag_s);
	} else if (own) {
		row_text(r, C_STATE, own->streaming ? "streaming" : "not streaming");
		lag_cells(r, (double)own->replay_backlog_bytes, own->lag_s, -1, -1);
	} else {
		row_text(r, C_STATE, sb ? target_state_name(sb->st.state) : "?");
	}
	if (own && own->halted[0]) {
		row_text(r, C_STATE, own->halted);
		r->attr = ROW_WARN;
	}
	if (sb && sb->st.state != TARGET_OK)
		r->attr = ROW_BAD;
	if (sb)
		trend(r, ctx, (size_t)sb_idx);
}

static int standby_of(const struct node *sb, const char *primary_ep)
{
	return sb->sender[0] && strcmp(sb->sender, primary_ep) == 0;
}

/* Node indices sorted by a key (a name, a standby's sender): each primary finds its own by bsearch, not by
 * a walk over the fleet, so a thousand primaries are not a million comparisons. */
struct keyed {
	const char *key;
	size_t j;
};

struct tree {
	struct node *nd;
	size_t n;
	struct keyed *by_name, *by_sender;
	size_t nsender;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : x->j < y->j ? -1 : x->j > y->j; /* equal keys keep the config's order */
}

/* The first entry of 'key' in a sorted index; its end in '*end'. */
static size_t key_range(const struct keyed *ix, size_t n, const char *key, size_t *end)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (*end = lo; *end < n && !strcmp(ix[*end].key, key); ++*end)
		;
	return lo;
}

static int tree_index(struct tree *tr)
{
	tr->by_name = calloc(tr->n ? tr->n : 1, sizeof *tr->by_name);
	tr->by_sender = calloc(tr->n ? tr->n : 1, sizeof *tr->by_sender);
	if (!tr->by_name || !tr->by_sender)
		return -1;
	for (size_t j = 0; j < tr->n; j++) {
		tr->by_name[j] = (struct keyed){tr->nd[j].st.name, j};
		if (tr->nd[j].sender[0])
			tr->by_sender[tr->nsender++] = (struct keyed){tr->nd[j].sender, j};
	}
	qsort(tr->by_name, tr->n, sizeof *tr->by_name, keyed_cmp);
	qsort(tr->by_sender, tr->nsender, sizeof *tr->by_sender, keyed_cmp);
	return 0;
}

/* The standby target a row the primary 't' reports stands for: by name, else the next one on its host. */
static long match_replica(const struct tree *tr, size_t t, const struct db_replica *rep, size_t s0, size_t s1)
{
	size_t end, k = key_range(tr->by_name, tr->n, rep->name, &end);
	for (; k < end; k++)
		if (tr->by_name[k].j != t && !tr->nd[tr->by_name[k].j].placed)
			return (long)tr->by_name[k].j;
	for (k = s0; k < s1; k++) {
		size_t j = tr->by_sender[k].j;
		if (j != t && !tr->nd[j].placed && same_host(&tr->nd[j].st, rep->client))
			return (long)j;
	}
	return -1;
}

static void children(struct pane *p, const struct pane_ctx *ctx, struct tree *tr, size_t t)
{
	char ep[128];
	struct node *nd = tr->nd;
	endpoint_norm_target(nd[t].st.endpoint, ep, sizeof ep);
	const struct db_sample *x = &nd[t].snap->s;
	size_t s1, s0 = key_range(tr->by_sender, tr->nsender, ep, &s1); /* the standbys streaming from it */
	int pending = 0;
	for (size_t k = s0; k < s1; k++)
		pending += tr->by_sender[k].j != t && !nd[tr->by_sender[k].j].placed;
	/* rows the primary reports, joined with standby targets by name or endpoint */
	for (size_t i = 0; i < x->nreplicas; i++) {
		long match = match_replica(tr, t, &x->replicas[i], s0, s1);
		if (match >= 0) {
			pending -= standby_of(&nd[match], ep);
			nd[match].placed = 1;
		}
		int last = i + 1 == x->nreplicas && pending == 0;
		child_row(p, ctx, t, &x->replicas[i], match >= 0 ? &nd[match] : NULL, match, last);
	}
	for (size_t k = s0; k < s1; k++) {
		size_t j = tr->by_sender[k].j;
		if (j != t && !nd[j].placed) {
			nd[j].placed = 1;
			child_row(p, ctx, t, NULL, &nd[j], (long)j, --pending == 0);
		}
	}
}

/* One AWS instance no target stands for, as a tree row. */
static void cloud_row(struct pane *p, const struct cloud_instance *ci, int child, int last)
{
	struct row *r = table_add(&p->tab);
	if (!r)
		return;
	char name[160];
	const char *branch = !child ? "" : text_utf8() ? (last ? "\u2514\u2500 " : "\u251c\u2500 ")
						     : (last ? "`- " : "|- ");
	snprintf(name, sizeof name, "%s%s", branch, ci->id);
	r->ref = row_ref_aws(ci->region, ci->id);
	row_text(r, C_NODE, name);
	row_text(r, C_ROLE, ci->role);
	row_text(r, C_STATE, ci->status);
	r->attr = strcmp(ci->status, "available") ? ROW_WARN : child ? ROW_NORMAL : ROW_BOLD;
	cw_cell(r, ci);
}

/* Is 'c' a replica of 'root' as AWS describes them (a reader of its cluster, or its read replica)? */
static int cloud_child(const struct cloud_instance *root, const struct cloud_instance *c)
{
	if (c == root || strcmp(c->region, root->region) || strcmp(c->account, root->account)) /* several accounts */
		return 0;
	if (root->cluster[0])
		return !strcmp(root->role, "writer") && !strcmp(c->cluster, root->cluster) && strcmp(c->role, "writer");
	return !strcmp(c->source, root->id);
}

/* The AWS side of the topology: instances no database target stands for. */
static void cloud_trees(struct pane *p, const struct cloud_snapshot *c, unsigned char *used)
{
	for (int pass = 0; pass < 2; pass++) /* roots first; then whatever is left */
		for (size_t i = 0; i < c->n; i++) {
			const struct cloud_instance *ci = &c->inst[i];
			int root = !strcmp(ci->role, "writer") || (!ci->source[0] && strcmp(ci->role, "reader"));
			if (used[i] || (pass == 0 && !root))
				continue;
			used[i] = 1;
			cloud_row(p, ci, 0, 0);
			size_t kids = 0, k = 0;
			for (size_t j = 0; j < c->n; j++)
				kids += !used[j] && cloud_child(ci, &c->inst[j]);
			for (size_t j = 0; j < c->n; j++)
				if (!used[j] && cloud_child(ci, &c->inst[j])) {
					used[j] = 1;
					cloud_row(p, &c->inst[j], 1, ++k == kids);
				}
		}
}

static void lag_recalc(struct pane *p, const struct pane_ctx *ctx)
{
	size_t n = store_count(ctx->store);
	struct node *nd = calloc(n ? n : 1, sizeof *nd);
	if (!nd)
		return;
	struct cloud_snapshot *cloud = store_cloud_get(ctx->store);
	unsigned char *used = cloud && cloud->n ? calloc(cloud->n, 1) : NULL;
	for (size_t t = 0; t < n; t++) {
		nd[t].snap = store_get(ctx->store, t, &nd[t].st);
		nd[t].ci = fleet_cloud_of(cloud, &nd[t].st);
		const struct snapshot *sn = nd[t].snap;
		if (sn && sn->s.health.is_replica && sn->s.standby.sender_port) /* once, not once per primary */
			endpoint_norm(sn->s.standby.sender_host, sn->s.standby.sender_port, nd[t].sender, sizeof nd[t].sender);
		if (nd[t].ci && used)
			used[nd[t].ci - cloud->inst] = 1;
	}
	struct tree tr = {.nd = nd, .n = n};
	if (tree_index(&tr) < 0)
		snprintf(p->note[0], sizeof p->note[0], "out of memory: the tree is flat");
	for (size_t t = 0; t < n; t++) {
		if (nd[t].placed || !nd[t].snap || nd[t].snap->s.health.is_replica)
			continue;
		nd[t].placed = 1;
		root_row(p, ctx, &nd[t], t);
		if (tr.by_name && tr.by_sender)
			children(p, ctx, &tr, t);
	}
	free(tr.by_name);
	free(tr.by_sender);
	/* standbys whose primary is not watched, and targets with no data yet */
	for (size_t t = 0; t < n; t++)
		if (!nd[t].placed)
			root_row(p, ctx, &nd[t], t);
	if (used)
		cloud_trees(p, cloud, used);
	free(used);
	/* the title carries the oldest sample's age, or how many targets are unwell */
	double oldest = -1;
	int unwell = 0;
	for (size_t t = 0; t < n; t++) {
		if (nd[t].snap && ctx->now - nd[t].snap->mono > oldest)
			oldest = ctx->now - nd[t].snap->mono;
		unwell += nd[t].st.state != TARGET_OK;
		snapshot_release(&nd[t].snap);
	}
	free(nd);
	cloud_snapshot_release(&cloud); /* after the rows: nd[].ci pointed into it */
	char a[32];
	fmt_age(a, sizeof a, oldest);
	snprintf(p->title, sizeof p->title, "replication lag");
	snprintf(p->status, sizeof p->status, "- oldest sample %s ago%s", a,
		 unwell ? ", some targets not ok (see fleet)" : "");
	p->status_bad = unwell > 0;
	if (p->tab.nrows == 0)
		snprintf(p->note[0], sizeof p->note[0], "no targets");
}

const struct pane_ops pane_lag_ops = {
	.name = "lag",
	.cols = cols,
	.ncols = C_N,
	.default_sort = -1,
	.unsortable = 1,
	.recalc = lag_recalc,
};
