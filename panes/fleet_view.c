/*
 * fleet_view.c - how the fleet pane orders, groups and filters its rows:
 * problems first (down, auth, stalled, then lag, long transactions, full
 * connections, busy CPU), grouped by replication set, tag, region, account
 * or engine, narrowed by "state=down engine=mysql tag:env=prod name=orders*".
 * Pure: facts in, facts out; a 5,000-row fleet is a few sorts of pointers.
 */
#include "private.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const problem_names[FP_N] = {
	[FP_DOWN] = "down", [FP_AUTH] = "auth", [FP_STALLED] = "stalled", [FP_AWS] = "aws",
	[FP_LAG] = "lag", [FP_SLOT] = "slot", [FP_XACT] = "xact", [FP_CONNS] = "conns", [FP_CPU] = "cpu",
	[FP_CONNECTING] = "connecting", [FP_OK] = "ok",
};

const char *fleet_problem_name(int problem)
{
	return problem >= 0 && problem < FP_N ? problem_names[problem] : "?";
}

/* What the figures of a sampled, answering target say. */
static unsigned data_problems(const struct snapshot *snap, const struct cloud_instance *ci)
{
	unsigned f = 0;
	const struct db_health *h = &snap->s.health;
	if (snap->s.lag_s > FLEET_LAG_S || snap->s.lag_bytes > FLEET_LAG_BYTES ||
	    (h->is_replica && snap->s.standby.halted[0]))
		f |= 1u << FP_LAG;
	if (h->slots_inactive > 0 && h->slot_idle_bytes >= FLEET_SLOT_BYTES)
		f |= 1u << FP_SLOT; /* an inactive slot holding WAL: the disk fills until it is dropped */
	if (h->longest_xact_s > FLEET_XACT_S)
		f |= 1u << FP_XACT;
	if (h->conns_max > 0 && h->conns_used * 100.0 >= FLEET_CONNS_PCT * h->conns_max)
		f |= 1u << FP_CONNS;
	if (ci && ci->metric[CW_CPU] >= FLEET_CPU_PCT)
		f |= 1u << FP_CPU;
	return f;
}

/* An AWS instance no target stands for: its status, CloudWatch's CPU and lag. */
static unsigned cloud_problems(const struct cloud_instance *ci)
{
	unsigned f = 0;
	if (strcmp(ci->status, "available"))
		f |= 1u << FP_AWS;
	if (cloud_lag_s(ci) > FLEET_LAG_S)
		f |= 1u << FP_LAG;
	if (ci->metric[CW_CPU] >= FLEET_CPU_PCT)
		f |= 1u << FP_CPU;
	return f;
}

int fleet_problem(const struct target_status *st, const struct snapshot *snap, const struct cloud_instance *ci,
		  double now, unsigned *flags)
{
	static const int of_state[] = {
		[TARGET_CONNECTING] = FP_CONNECTING, [TARGET_OK] = FP_OK, [TARGET_STALLED] = FP_STALLED,
		[TARGET_DOWN] = FP_DOWN, [TARGET_AUTH] = FP_AUTH,
	};
	unsigned f = 0;
	if (!st) {
		f = cloud_problems(ci);
	} else if ((unsigned)st->state >= sizeof of_state / sizeof of_state[0]) {
		f = 1u << FP_DOWN;
	} else if (st->state != TARGET_OK) {
		f = 1u << of_state[st->state];
	} else if (snap && now - snap->mono > 3 * st->interval_s + st->timeout_s) {
		f = 1u << FP_STALLED; /* answering, but its samples stopped coming */
	} else if (snap) {
		f = data_problems(snap, ci);
	}
	if (!f)
		f = 1u << FP_OK;
	*flags = f;
	for (int p = 0; p < FP_N; p++)
		if (f & (1u << p))
			return p;
	return FP_OK;
}

int fleet_tag(const char *tags, const char *key, char *out, size_t n)
{
	size_t klen = strlen(key);
	for (const char *s = tags; klen && s && *s;) {
		size_t len = strcspn(s, ",");
		if (len > klen && !strncmp(s, key, klen) && s[klen] == '=') {
			size_t vlen = len - klen - 1;
			snprintf(out, n, "%.*s", (int)(vlen < n ? vlen : n - 1), s + klen + 1);
			return 1;
		}
		s += len + (s[len] == ',');
	}
	return 0;
}

/* A fact's tag: the config's first, then the AWS instance's. */
static int fact_tag(const struct fleet_fact *x, const char *key, char *out, size_t n)
{
	return fleet_tag(x->st.tags, key, out, n) || (x->ci && fleet_tag(x->ci->tags, key, out, n));
}

static const struct {
	const char *name;
	enum fleet_group_by by;
} group_names[] = {
	{"none", FG_NONE}, {"cluster", FG_CLUSTER}, {"engine", FG_ENGINE}, {"region", FG_REGION},
	{"account", FG_ACCOUNT},
};

int fleet_grouping_parse(const char *spec, struct fleet_grouping *g, struct err *e)
{
	memset(g, 0, sizeof *g);
	for (size_t i = 0; i < sizeof group_names / sizeof group_names[0]; i++)
		if (!strcmp(spec, group_names[i].name)) {
			g->by = group_names[i].by;
			return 0;
		}
	if (!strncmp(spec, "tag:", 4) && spec[4] && strlen(spec + 4) < sizeof g->tag && !strpbrk(spec + 4, "=, ")) {
		g->by = FG_TAG;
		snprintf(g->tag, sizeof g->tag, "%s", spec + 4);
		return 0;
	}
	err_set(e, ERR_CONFIG, "cannot group by '%.40s': use cluster, tag:KEY, region, account, engine or none", spec);
	return -1;
}

void fleet_grouping_name(const struct fleet_grouping *g, char *out, size_t n)
{
	if (g->by == FG_TAG) {
		snprintf(out, n, "tag:%s", g->tag);
		return;
	}
	for (size_t i = 0; i < sizeof group_names / sizeof group_names[0]; i++)
		if (group_names[i].by == g->by)
			snprintf(out, n, "%s", group_names[i].name);
}

/* A fact's own replication set, before replicas join their primaries. */
static void own_cluster(const struct fleet_fact *x, char *out, size_t n)
{
	if (x->ci)
		snprintf(out, n, "%s", x->ci->cluster[0] ? x->ci->cluster : x->ci->source[0] ? x->ci->source : x->ci->id);
	else
		snprintf(out, n, "%s", x->st.name);
}

struct ep_index {
	char ep[128];
	size_t fact;
};

static int ep_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ep_index *)a)->ep, ((const struct ep_index *)b)->ep);
}

/* Replica targets join the group of the target their WAL receiver connects to (a sorted index: no n^2). */
static void join_primaries(struct fleet_fact *x, size_t n)
{
	struct ep_index *idx = calloc(n ? n : 1, sizeof *idx);
	size_t m = 0;
	for (size_t i = 0; idx && i < n; i++)
		if (x[i].ref.kind == ROW_TARGET && x[i].snap && !x[i].snap->s.health.is_replica) {
			endpoint_norm_target(x[i].st.endpoint, idx[m].ep, sizeof idx[m].ep);
			idx[m++].fact = i;
		}
	if (!idx)
		return;
	qsort(idx, m, sizeof *idx, ep_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct snapshot *s = x[i].snap;
		if (x[i].ref.kind != ROW_TARGET || !s || !s->s.health.is_replica || !s->s.standby.sender_port)
			continue;
		struct ep_index key;
		endpoint_norm(s->s.standby.sender_host, s->s.standby.sender_port, key.ep, sizeof key.ep);
		const struct ep_index *hit = bsearch(&key, idx, m, sizeof *idx, ep_cmp);
		if (hit)
			snprintf(x[i].group, sizeof x[i].group, "%s", x[hit->fact].group);
		else /* its primary is not watched: the set is named by where it streams from */
			snprintf(x[i].group, sizeof x[i].group, "%.90s", key.ep);
	}
	free(idx);
}

void fleet_group_keys(struct fleet_fact *x, size_t n, const struct fleet_grouping *g, const char *account)
{
	for (size_t i = 0; i < n; i++) {
		char *k = x[i].group;
		size_t kn = sizeof x[i].group;
		char v[ROW_KEY_MAX - 40];
		switch (g->by) {
		case FG_NONE: k[0] = '\0'; break;
		case FG_CLUSTER: own_cluster(&x[i], k, kn); break;
		case FG_ENGINE: snprintf(k, kn, "%s", x[i].ci && !x[i].st.engine[0] ? x[i].ci->engine : x[i].st.engine); break;
		case FG_REGION: snprintf(k, kn, "%s", x[i].ci ? x[i].ci->region : "(no region)"); break;
		case FG_ACCOUNT:
			if (fact_tag(&x[i], "account", v, sizeof v))
				snprintf(k, kn, "%s", v);
			else if (x[i].ci && fleet_account_name(x[i].ci)[0])
				snprintf(k, kn, "%s", fleet_account_name(x[i].ci));
			else /* an instance without an account: the credentials' source names the one account */
				snprintf(k, kn, "%s", x[i].ci && account && account[0] ? account : "(no account)");
			break;
		case FG_TAG:
			if (fact_tag(&x[i], g->tag, v, sizeof v))
				snprintf(k, kn, "%s=%s", g->tag, v);
			else
				snprintf(k, kn, "%s=(none)", g->tag);
			break;
		default: k[0] = '\0'; break;
		}
	}
	if (g->by == FG_CLUSTER)
		join_primaries(x, n);
}

static int state_of(const char *v)
{
	for (int p = 0; p < FP_N; p++)
		if (!strcmp(v, problem_names[p]))
			return p;
	return -1;
}

/* One "what=value" term; 0, or -1 with 'e'. */
static int parse_term(const char *w, struct fleet_filter *f, struct err *e)
{
	const char *eq = strchr(w, '=');
	if (f->n == FLEET_FILTER_TERMS) {
		err_set(e, ERR_CONFIG, "filter: at most %d terms", FLEET_FILTER_TERMS);
		return -1;
	}
	if (!eq || !eq[1] || strlen(eq + 1) >= sizeof f->term[0].value) {
		err_set(e, ERR_CONFIG, "filter: want state=, engine=, name= or tag:KEY=VALUE, got '%.40s'", w);
		return -1;
	}
	size_t klen = (size_t)(eq - w);
	int st = -1;
	enum fleet_term what;
	if (klen == 5 && !strncmp(w, "state", 5)) {
		if ((st = state_of(eq + 1)) < 0) {
			err_set(e, ERR_CONFIG, "filter: unknown state '%.30s': down, auth, stalled, aws, lag, xact, conns, cpu,"
				" connecting or ok", eq + 1);
			return -1;
		}
		what = FT_STATE;
	} else if (klen == 6 && !strncmp(w, "engine", 6)) {
		what = FT_ENGINE;
	} else if (klen == 4 && !strncmp(w, "name", 4)) {
		what = FT_NAME;
	} else if (klen > 4 && klen - 4 < sizeof f->term[0].key && !strncmp(w, "tag:", 4)) {
		what = FT_TAG;
	} else {
		err_set(e, ERR_CONFIG, "filter: unknown field '%.*s': state=, engine=, name= or tag:KEY=", (int)(klen < 30 ? klen : 30), w);
		return -1;
	}
	f->term[f->n].what = what;
	f->term[f->n].state = st;
	snprintf(f->term[f->n].key, sizeof f->term[0].key, "%.*s", what == FT_TAG ? (int)klen - 4 : 0, w + 4);
	snprintf(f->term[f->n].value, sizeof f->term[0].value, "%s", eq + 1);
	f->n++;
	return 0;
}

int fleet_filter_parse(const char *spec, struct fleet_filter *f, struct err *e)
{
	struct fleet_filter nf = {0};
	char buf[sizeof nf.text];
	snprintf(buf, sizeof buf, "%s", spec);
	for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (parse_term(w, &nf, e) < 0)
			return -1;
	snprintf(nf.text, sizeof nf.text, "%s", spec);
	*f = nf;
	return 0;
}

static int term_match(const struct fleet_filter *f, int i, const struct fleet_fact *x)
{
	const char *v = f->term[i].value;
	char tag[ROW_KEY_MAX];
	switch (f->term[i].what) {
	case FT_STATE: return (x->flags & (1u << f->term[i].state)) != 0;
	case FT_ENGINE: return !fnmatch(v, x->st.engine, 0) || (x->ci && !fnmatch(v, x->ci->engine, 0));
	case FT_NAME: return !fnmatch(v, x->st.name, 0);
	case FT_TAG: return fact_tag(x, f->term[i].key, tag, sizeof tag) && !fnmatch(v, tag, 0);
	}
	return 0;
}

int fleet_filter_match(const struct fleet_filter *f, const struct fleet_fact *x)
{
	for (int i = 0; i < f->n; i++)
		if (!term_match(f, i, x))
			return 0;
	return 1;
}

static int by_group(const void *a, const void *b)
{
	const struct fleet_fact *x = *(const struct fleet_fact *const *)a, *y = *(const struct fleet_fact *const *)b;
	return strcmp(x->group, y->group);
}

static int by_problem(const void *a, const void *b)
{
	const struct fleet_fact *x = *(const struct fleet_fact *const *)a, *y = *(const struct fleet_fact *const *)b;
	int c = x->group_rank - y->group_rank;
	if (!c)
		c = strcmp(x->group, y->group);
	if (!c)
		c = x->problem - y->problem;
	if (!c)
		c = strcmp(x->st.name, y->st.name);
	if (!c) /* the same name twice (a target and an AWS row): targets first, then by index */
		c = x->ref.kind != y->ref.kind ? (int)x->ref.kind - (int)y->ref.kind : x->ref.target < y->ref.target ? -1 : x->ref.target > y->ref.target;
	return c;
}

void fleet_order(struct fleet_fact **x, size_t n)
{
	qsort(x, n, sizeof *x, by_group);
	for (size_t i = 0, j; i < n; i = j) {
		int worst = x[i]->problem;
		for (j = i + 1; j < n && !strcmp(x[j]->group, x[i]->group); j++)
			worst = x[j]->problem < worst ? x[j]->problem : worst;
		for (size_t k = i; k < j; k++)
			x[k]->group_rank = worst;
	}
	qsort(x, n, sizeof *x, by_problem);
}
