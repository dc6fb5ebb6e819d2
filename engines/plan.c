/*
 * plan.c - plans as lines: building them, marking the costliest nodes, and
 * reading PostgreSQL's JSON plans and MySQL/MariaDB's EXPLAIN tables. What
 * the server sends is outside input: every string is bounded, the tree's
 * depth and the number of lines are capped, and a shape it does not expect
 * is an error, never a crash.
 */
#include "plan.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>

#define PLAN_LINE_MAX 2000  /* bytes of one line (a long filter is cut) */
#define PLAN_DEPTH_MAX 64   /* nodes deeper than this are summed up in one line */

int plan_add(struct db_plan *p, const char *fmt, ...)
{
	if (p->nlines >= PLAN_MAX_LINES)
		return -1;
	if (p->nlines == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		struct db_plan_line *l = realloc(p->line, cap * sizeof *l);
		if (!l)
			return -1;
		p->line = l;
		p->cap = cap;
	}
	char buf[PLAN_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	char *t = strdup(buf);
	if (!t)
		return -1;
	p->line[p->nlines] = (struct db_plan_line){.text = t};
	return (int)p->nlines++;
}

void engine_plan_release(struct db_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nlines; i++)
		free(p->line[i].text);
	free(p->line);
	free(p->statement);
	memset(p, 0, sizeof *p);
	p->total_cost = -1;
}

void plan_mark(struct db_plan *p, const int *at, const double *cost, size_t n, double total)
{
	for (int rank = 1; rank <= PLAN_MARKS; rank++) {
		size_t best = n;
		for (size_t i = 0; i < n; i++)
			if (cost[i] > 0 && at[i] >= 0 && (size_t)at[i] < p->nlines && !p->line[at[i]].mark &&
			    (best == n || cost[i] > cost[best]))
				best = i;
		if (best == n)
			return;
		struct db_plan_line *l = &p->line[at[best]];
		l->mark = rank;
		char buf[PLAN_LINE_MAX + 32];
		if (total > 0)
			snprintf(buf, sizeof buf, "%s  [#%d %.0f%%]", l->text, rank, 100.0 * cost[best] / total);
		else
			snprintf(buf, sizeof buf, "%s  [#%d]", l->text, rank);
		char *t = strdup(buf);
		if (t) {
			free(l->text);
			l->text = t;
		}
	}
}

/* ---- PostgreSQL: EXPLAIN (FORMAT JSON) ---- */

struct walk {
	struct db_plan *p;
	int *at;             /* line of each node */
	double *cost;        /* its own cost */
	size_t n, cap;
	int cut;             /* nodes past PLAN_DEPTH_MAX were left out */
};

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : dflt;
}

/* "Hash Left Join", "HashAggregate", "Parallel Seq Scan": what EXPLAIN's text calls the node. */
static void node_name(const cJSON *n, char *out, size_t len)
{
	const char *type = jstr(n, "Node Type"), *strat = jstr(n, "Strategy"), *jt = jstr(n, "Join Type");
	char base[128];
	snprintf(base, sizeof base, "%.100s", type ? type : "?");
	if (type && strat && !strcmp(type, "Aggregate"))
		snprintf(base, sizeof base, "%s", !strcmp(strat, "Hashed") ? "HashAggregate"
			 : !strcmp(strat, "Sorted") ? "GroupAggregate" : !strcmp(strat, "Mixed") ? "MixedAggregate"
			 : "Aggregate");
	if (jt && strcmp(jt, "Inner") && type) {
		size_t tl = strlen(type);
		if (tl > 5 && !strcmp(type + tl - 5, " Join"))
			snprintf(base, sizeof base, "%.*s %.20s Join", (int)(tl - 5), type, jt);
		else
			snprintf(base, sizeof base, "%.80s %.20s Join", type, jt);
	}
	const cJSON *par = cJSON_GetObjectItemCaseSensitive(n, "Parallel Aware");
	const char *dir = jstr(n, "Scan Direction"), *idx = jstr(n, "Index Name"), *rel = jstr(n, "Relation Name");
	const char *alias = jstr(n, "Alias"), *cte = jstr(n, "CTE Name"), *fn = jstr(n, "Function Name");
	size_t o = (size_t)snprintf(out, len, "%s%s%s", cJSON_IsTrue(par) ? "Parallel " : "", base,
				    dir && !strcmp(dir, "Backward") ? " Backward" : "");
	if (idx && o < len)
		o += (size_t)snprintf(out + o, len - o, " using %.100s", idx);
	const char *on = rel ? rel : cte ? cte : fn;
	if (on && o < len)
		o += (size_t)snprintf(out + o, len - o, " on %.100s", on);
	if (on && alias && strcmp(alias, on) && o < len)
		snprintf(out + o, len - o, " %.100s", alias);
}

/* The lines under a node: its conditions and keys, as EXPLAIN's text shows them. */
static void node_details(struct walk *w, const cJSON *n, int indent)
{
	static const char *const conds[] = {"Hash Cond", "Merge Cond", "Index Cond", "Recheck Cond", "TID Cond",
					    "Join Filter", "Filter", "One-Time Filter"};
	static const char *const keys[] = {"Sort Key", "Presorted Key", "Group Key"};
	for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++) {
		const char *v = jstr(n, conds[i]);
		if (v)
			plan_add(w->p, "%*s%s: %.1800s", indent, "", conds[i], v);
	}
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(n, keys[i]), *k;
		if (!cJSON_IsArray(a))
			continue;
		char buf[1200];
		size_t o = 0;
		buf[0] = '\0';
		cJSON_ArrayForEach(k, a) if (cJSON_IsString(k) && o < sizeof buf)
			o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%.200s", o ? ", " : "", k->valuestring);
		plan_add(w->p, "%*s%s: %s", indent, "", keys[i], buf);
	}
	double workers = jnum(n, "Workers Planned", -1);
	if (workers >= 0)
		plan_add(w->p, "%*sWorkers Planned: %.0f", indent, "", workers);
}

static int remember(struct walk *w, int line, double cost)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 32;
		int *at = realloc(w->at, cap * sizeof *at);
		if (at)
			w->at = at;
		double *c = at ? realloc(w->cost, cap * sizeof *c) : NULL;
		if (!c)
			return -1;
		w->cost = c;
		w->cap = cap;
	}
	w->at[w->n] = line;
	w->cost[w->n++] = cost;
	return 0;
}

static void walk_node(struct walk *w, const cJSON *n, int depth)
{
	if (!cJSON_IsObject(n))
		return;
	if (depth > PLAN_DEPTH_MAX) {
		w->cut = 1;
		return;
	}
	int indent = depth ? 2 + (depth - 1) * 6 : 0;
	const char *sub = jstr(n, "Subplan Name");
	if (sub)
		plan_add(w->p, "%*s%.100s", indent ? indent - 2 : 0, "", sub);
	char name[400];
	node_name(n, name, sizeof name);
	double total = jnum(n, "Total Cost", 0), own = total;
	int line = plan_add(w->p, "%*s%s%s  (cost=%.2f..%.2f rows=%.0f width=%.0f)", indent, "", depth ? "->  " : "",
			    name, jnum(n, "Startup Cost", 0), total, jnum(n, "Plan Rows", 0), jnum(n, "Plan Width", 0));
	node_details(w, n, indent + (depth ? 6 : 2));
	const cJSON *kids = cJSON_GetObjectItemCaseSensitive(n, "Plans"), *k;
	if (cJSON_IsArray(kids))
		cJSON_ArrayForEach(k, kids) own -= jnum(k, "Total Cost", 0);
	if (line >= 0)
		remember(w, line, own > 0 ? own : 0);
	if (cJSON_IsArray(kids))
		cJSON_ArrayForEach(k, kids) walk_node(w, k, depth + 1);
}

int pg_plan_from_json(const char *json, struct db_plan *out, struct err *err)
{
	cJSON *root = cJSON_Parse(json ? json : "");
	const cJSON *top = cJSON_IsArray(root) ? cJSON_GetArrayItem(root, 0) : NULL;
	const cJSON *plan = cJSON_IsObject(top) ? cJSON_GetObjectItemCaseSensitive(top, "Plan") : NULL;
	if (!cJSON_IsObject(plan)) {
		cJSON_Delete(root);
		err_set(err, ERR_FAIL, "no plan: the server's answer is not the JSON plan dbfleet reads");
		return -1;
	}
	struct walk w = {.p = out};
	walk_node(&w, plan, 0);
	if (w.cut)
		plan_add(out, "(nodes deeper than %d levels are not shown)", PLAN_DEPTH_MAX);
	out->total_cost = jnum(plan, "Total Cost", -1);
	double sum = 0;
	for (size_t i = 0; i < w.n; i++)
		sum += w.cost[i];
	plan_mark(out, w.at, w.cost, w.n, sum);
	free(w.at);
	free(w.cost);
	cJSON_Delete(root);
	return 0;
}

/* ---- MySQL / MariaDB: the EXPLAIN table ---- */

int my_plan_from_rs(const struct rs *r, struct db_plan *out, struct err *err)
{
	static const char *const names[] = {"id", "select_type", "table", "type", "key", "ref", "rows", "filtered",
					    "Extra"};
	enum { N = sizeof names / sizeof names[0], W = 40 };
	int col[N], width[N];
	for (int c = 0; c < N; c++) {
		col[c] = rs_col(r, names[c], NULL);
		width[c] = (int)strlen(names[c]);
		for (int i = 0; col[c] >= 0 && i < r->nrows; i++) {
			int l = (int)strnlen(val(r, i, col[c]), W);
			width[c] = l > width[c] ? l : width[c];
		}
	}
	if (r->nrows <= 0 || col[2] < 0 || col[6] < 0) {
		err_set(err, ERR_FAIL, "no plan: the server answered no plan rows (the statement ended, or it has none)");
		return -1;
	}
	char line[1024];
	size_t o = 0;
	for (int c = 0; c < N; c++)
		if (col[c] >= 0 && o < sizeof line)
			o += (size_t)snprintf(line + o, sizeof line - o, "%s%-*s", o ? "  " : "", c == N - 1 ? 0 : width[c],
					      names[c]);
	plan_add(out, "%s", line);
	int *at = calloc((size_t)r->nrows, sizeof *at);
	double *cost = calloc((size_t)r->nrows, sizeof *cost), sum = 0;
	for (int i = 0; at && cost && i < r->nrows; i++) {
		o = 0;
		for (int c = 0; c < N; c++)
			if (col[c] >= 0 && o < sizeof line)
				o += (size_t)snprintf(line + o, sizeof line - o, "%s%-*.*s", o ? "  " : "",
						      c == N - 1 ? 0 : width[c], c == N - 1 ? 400 : W,
						      rs_get(r, i, col[c]) ? val(r, i, col[c]) : "NULL");
		at[i] = plan_add(out, "%s", line);
		double rows = dval(r, i, col[6], 0); /* the rows this step reads */
		cost[i] = isfinite(rows) && rows > 0 ? rows : 0;
		sum += cost[i];
	}
	if (at && cost)
		plan_mark(out, at, cost, (size_t)r->nrows, sum);
	out->total_cost = sum;
	free(at);
	free(cost);
	return 0;
}
