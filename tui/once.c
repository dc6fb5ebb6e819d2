/*
 * once.c - dbfleet --once: one sample of each target, one pane's rows on
 * stdout as JSON or CSV, and an exit status a script can act on. No curses
 * at all. The rows are the pane's own (the same recalc and cells the screen
 * draws), so a figure here is the figure on the screen.
 *
 * Format version 1 (dbfleet(1), BATCH OUTPUT): JSON {"version", "fleet",
 * "pane", "generated_at", "title", "status", "exit", "targets": [...],
 * "columns": [...], "rows": [{column: cell or null, "target": name}]};
 * CSV: a header "version,fleet,pane,target,COLUMNS..." and one line a row.
 */
#include "tui.h"

#include "../panes/pane.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ONCE_VERSION 1
#define ONCE_GRACE_S 1.0 /* past the timeout: a step that missed its deadline is STALLED by then */

/* With AWS on, what to wait for: a discovery and metrics round always, costs and events for their panes. */
enum { CLOUD_ROUND = 1, CLOUD_COSTS = 2, CLOUD_EVENTS = 4 };

static const struct {
	const char *name;
	const struct pane_ops *ops;
	int per_target;   /* shows one target: --target picks it, else the first */
	int target_rows;  /* its rows are targets': --target keeps that one's (fleet, lag) */
	int two;          /* its figures are rates between two samples: wait for a second one */
	int cloud;        /* with AWS on, what to wait for besides a discovery and metrics round */
} once_panes[] = {
	{"fleet", &pane_fleet_ops, 0, 1, 0, 0}, {"lag", &pane_lag_ops, 0, 1, 0, 0},
	{"queries", &pane_queries_ops, 1, 0, 1, 0}, {"sessions", &pane_sessions_ops, 1, 0, 0, 0},
	{"cost", &pane_cost_ops, 0, 0, 0, CLOUD_COSTS},
	{"timeline", &pane_timeline_ops, 0, 0, 0, CLOUD_EVENTS}, /* --target: its scope is that target */
};
#define NPANES (sizeof once_panes / sizeof once_panes[0])

static long pane_index(const char *name)
{
	for (size_t i = 0; i < NPANES; i++)
		if (!strcmp(once_panes[i].name, name))
			return (long)i;
	return -1;
}

int once_check(const struct once_request *q, char *err, size_t n)
{
	if (strcmp(q->format, "json") && strcmp(q->format, "csv")) {
		snprintf(err, n, "--format: give json or csv");
		return -1;
	}
	if (pane_index(q->pane) < 0) {
		snprintf(err, n, "--pane: give fleet, lag, queries, sessions, cost or timeline");
		return -1;
	}
	return 0;
}

long once_target(struct store *st, const char *name)
{
	for (size_t t = 0; t < store_count(st); t++) {
		struct target_status s;
		struct snapshot *snap = store_get(st, t, &s);
		snapshot_release(&snap);
		if (!strcmp(s.name, name))
			return (long)t;
	}
	return -1;
}

/* Has target 't' answered (with sessions and digests if 'detail') or failed? */
static int settled(struct store *st, size_t t, int detail)
{
	struct target_status s;
	struct snapshot *snap = detail ? store_get_detail(st, t, &s) : store_get(st, t, &s);
	int done = s.state == TARGET_OK ? snap && (!detail || snap->s.detail) : s.state != TARGET_CONNECTING;
	snapshot_release(&snap);
	return done;
}

/* Has AWS answered what 'need' asks (one discovery and metrics round, costs, events), or failed? */
static int cloud_settled(struct store *st, int need)
{
	struct cloud_snapshot *c = store_cloud_get(st);
	int done = c && (c->error[0] || ((c->discovered_at > 0 && c->metrics_at > 0) &&
					 (!(need & CLOUD_COSTS) || c->costs.valid || c->cost_error[0]) &&
					 (!(need & CLOUD_EVENTS) || c->events_at > 0)));
	cloud_snapshot_release(&c);
	return !need || done;
}

/*
 * Wait, on the store's wake-ups, until every target and AWS (if on) has answered or failed,
 * target 'detail' (if not -1) with sessions and digests, or until 'until'.
 */
static void wait_settled(struct store *st, long detail, int cloud_need, double until)
{
	for (;;) {
		size_t t = 0, n = store_count(st);
		while (t < n && settled(st, t, (long)t == detail))
			t++;
		double now = clock_mono();
		if ((t == n && cloud_settled(st, cloud_need)) || now >= until)
			return;
		struct pollfd fd = {.fd = store_wake_fd(st), .events = POLLIN};
		int ms = (int)((until - now) * 1000) + 1;
		if (poll(&fd, 1, ms < 200 ? ms : 200) > 0)
			store_drain(st);
	}
}

/* The monotonic time of target t's last sample with sessions and digests, 0 none. */
static double detail_at(struct store *st, size_t t)
{
	struct snapshot *snap = store_get_detail(st, t, NULL);
	double at = snap && snap->s.detail ? snap->mono : 0;
	snapshot_release(&snap);
	return at;
}

/* Statement rates and texts come with a second sample: wait for it, or one interval past 'until'. */
static void wait_second(struct store *st, size_t t, double until)
{
	double first = detail_at(st, t);
	struct target_status s;
	struct snapshot *snap = store_get(st, t, &s);
	snapshot_release(&snap);
	until += s.interval_s;
	while (first > 0 && detail_at(st, t) == first && clock_mono() < until) {
		struct pollfd fd = {.fd = store_wake_fd(st), .events = POLLIN};
		if (poll(&fd, 1, 200) > 0)
			store_drain(st);
	}
}

/* Text from a server or AWS, as the screen would show it (stdout may be a terminal). */
static void add_text(cJSON *o, const char *key, const char *raw)
{
	char *t = text_sanitize(raw, 4096);
	cJSON_AddStringToObject(o, key, t ? t : "");
	free(t);
}

/* 0 all well, 1 a target down, stalled or without a sample, 3 an authentication failure. */
static int verdict(struct store *st, size_t from, size_t to, int cloud, cJSON *targets)
{
	int rc = 0;
	double now = clock_mono();
	for (size_t t = from; t < to; t++) {
		struct target_status s;
		struct snapshot *snap = store_get(st, t, &s);
		if (s.state == TARGET_AUTH)
			rc = 3;
		else if (s.state != TARGET_OK && rc == 0)
			rc = 1;
		cJSON *o = targets ? cJSON_CreateObject() : NULL;
		if (o) {
			add_text(o, "name", s.name); /* an adopted target's is AWS's */
			cJSON_AddStringToObject(o, "engine", s.engine);
			cJSON_AddStringToObject(o, "state", target_state_name(s.state));
			add_text(o, "error", s.error);
			if (snap)
				cJSON_AddNumberToObject(o, "sample_age_s", now - snap->mono);
			else
				cJSON_AddNullToObject(o, "sample_age_s");
			cJSON_AddItemToArray(targets, o);
		}
		snapshot_release(&snap);
	}
	struct cloud_snapshot *c = cloud ? store_cloud_get(st) : NULL;
	if (cloud && (!c || c->error[0]))
		rc = c && c->auth_failed ? 3 : rc ? rc : 1;
	cloud_snapshot_release(&c);
	return rc;
}

/* A column's name as a key: "LONG XACT" -> "long_xact", "TIME ms/s" -> "time_ms_s"; one that would be
 * a field of every row ("target", "version", "fleet", "pane") gets "col_" in front. */
static void column_key(const char *name, char *out, size_t n)
{
	size_t o = 0;
	for (const char *s = name; *s && o + 1 < n; s++) {
		if (isalnum((unsigned char)*s))
			out[o++] = (char)tolower((unsigned char)*s);
		else if (o && out[o - 1] != '_')
			out[o++] = '_';
	}
	while (o && out[o - 1] == '_')
		o--;
	out[o] = '\0';
	static const char *const taken[] = {"target", "version", "fleet", "pane"};
	for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++)
		if (!strcmp(out, taken[i]) && n > o + 4) {
			memmove(out + 4, out, o + 1);
			memcpy(out, "col_", 4);
		}
}

/* What is printed: the pane's rows, the --target's alone (a per-target pane shows only it already). */
struct once_out {
	struct store *st;
	const struct options *o;
	const char *pane;
	const struct pane *p;
	long only;                /* --target's index, -1 none */
	int per_target, target_rows;
	size_t shown;             /* the target a per-target pane shows */
};

static int row_kept(const struct once_out *w, const struct row *r)
{
	if (w->only < 0 || !w->target_rows)
		return 1;
	return r->ref.kind != ROW_AWS && r->ref.kind != ROW_GROUP && r->ref.target == (size_t)w->only;
}

/* The target a row is about: its own, the one a per-target pane shows, or "" (an AWS instance). */
static const char *row_target(const struct once_out *w, const struct row *r, char *buf, size_t n)
{
	size_t t = w->per_target ? w->shown : r->ref.target;
	buf[0] = '\0';
	if ((w->per_target || r->ref.kind == ROW_TARGET) && t < store_count(w->st)) {
		struct target_status s;
		struct snapshot *snap = store_get(w->st, t, &s);
		snapshot_release(&snap);
		char *clean = text_sanitize(s.name, n - 1); /* an adopted target's name is AWS's */
		snprintf(buf, n, "%s", clean ? clean : "");
		free(clean);
	}
	return buf;
}

static void csv_field(FILE *f, const char *s, int first)
{
	if (!first)
		fputc(',', f);
	if (!s)
		return;
	if (!s[strcspn(s, ",\"\r\n")] && s[0] != ' ' && (!*s || s[strlen(s) - 1] != ' ')) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void print_csv(const struct once_out *w)
{
	char key[64], v[16], tn[64];
	const struct pane *p = w->p;
	csv_field(stdout, "version", 1);
	csv_field(stdout, "fleet", 0);
	csv_field(stdout, "pane", 0);
	csv_field(stdout, "target", 0);
	for (int c = 0; c < p->tab.ncols; c++) {
		column_key(p->tab.cols[c].name, key, sizeof key);
		csv_field(stdout, key, 0);
	}
	fputc('\n', stdout);
	snprintf(v, sizeof v, "%d", ONCE_VERSION);
	for (int i = 0; i < p->tab.nrows; i++) {
		const struct row *r = &p->tab.rows[i];
		if (!row_kept(w, r))
			continue;
		csv_field(stdout, v, 1);
		csv_field(stdout, w->o->fleet, 0);
		csv_field(stdout, w->pane, 0);
		csv_field(stdout, row_target(w, r, tn, sizeof tn), 0);
		for (int c = 0; c < p->tab.ncols; c++)
			csv_field(stdout, r->cell[c], 0);
		fputc('\n', stdout);
	}
}

static cJSON *json_rows(const struct once_out *w, cJSON *columns)
{
	char key[64], tn[64];
	const struct pane *p = w->p;
	cJSON *rows = cJSON_CreateArray();
	for (int c = 0; c < p->tab.ncols; c++) {
		column_key(p->tab.cols[c].name, key, sizeof key);
		cJSON_AddItemToArray(columns, cJSON_CreateString(key));
	}
	for (int i = 0; rows && i < p->tab.nrows; i++) {
		const struct row *r = &p->tab.rows[i];
		cJSON *o = row_kept(w, r) ? cJSON_CreateObject() : NULL;
		if (!o)
			continue;
		for (int c = 0; c < p->tab.ncols; c++) {
			column_key(p->tab.cols[c].name, key, sizeof key);
			if (r->cell[c])
				cJSON_AddStringToObject(o, key, r->cell[c]);
			else
				cJSON_AddNullToObject(o, key);
		}
		cJSON_AddStringToObject(o, "target", row_target(w, r, tn, sizeof tn));
		cJSON_AddItemToArray(rows, o);
	}
	return rows;
}

/* The JSON document (takes 'targets'); 0, or -1 on OOM. */
static int print_json(const struct once_out *w, int rc, cJSON *targets)
{
	char when[32];
	fmt_utc(when, sizeof when, clock_wall());
	cJSON *root = cJSON_CreateObject(), *columns = cJSON_CreateArray();
	if (!root || !columns) {
		cJSON_Delete(root);
		cJSON_Delete(columns);
		cJSON_Delete(targets);
		return -1;
	}
	cJSON_AddNumberToObject(root, "version", ONCE_VERSION);
	cJSON_AddStringToObject(root, "fleet", w->o->fleet);
	cJSON_AddStringToObject(root, "pane", w->pane);
	cJSON_AddStringToObject(root, "generated_at", when);
	add_text(root, "title", w->p->title);
	cJSON_AddStringToObject(root, "status", w->p->status);
	cJSON_AddNumberToObject(root, "exit", rc);
	cJSON_AddItemToObject(root, "targets", targets);
	cJSON *rows = json_rows(w, columns);
	cJSON_AddItemToObject(root, "columns", columns);
	cJSON_AddItemToObject(root, "rows", rows);
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return -1;
	puts(text);
	cJSON_free(text);
	return 0;
}

int once_run(struct store *st, const struct options *o, struct collector *col, const struct once_request *q)
{
	long pi = pane_index(q->pane), only = q->target ? once_target(st, q->target) : -1;
	int per_target = once_panes[pi].per_target;
	/* the targets shown and judged: the --target, a per-target pane's one (the first), or all */
	size_t n = store_count(st), from = only >= 0 ? (size_t)only : 0;
	size_t to = only >= 0 || per_target ? from + (from < n) : n;
	double wait_s = o->timeout_s;
	for (size_t i = 0; i < o->ntargets; i++)
		wait_s = o->targets[i].timeout_s > wait_s ? o->targets[i].timeout_s : wait_s;
	signal(SIGPIPE, SIG_IGN); /* a reader that went away: the write fails, no signal */
	text_init();
	if (per_target && from < to)
		store_watch(st, from, wait_s + 10); /* its first sample reads sessions and digests */
	struct err e = {0};
	if (collector_start(col, &e) < 0) {
		fprintf(stderr, "dbfleet: %s\n", e.msg);
		return 1;
	}
	/* every target, even with --target: the lag pane places a standby by its primary's sample */
	int need = !o->cloud.enabled ? 0 : CLOUD_ROUND | (o->cloud.cost ? once_panes[pi].cloud & CLOUD_COSTS : 0) |
		   (once_panes[pi].cloud & CLOUD_EVENTS);
	wait_settled(st, per_target && from < to ? (long)from : -1, need, clock_mono() + wait_s + ONCE_GRACE_S);
	if (once_panes[pi].two && from < to)
		wait_second(st, from, clock_mono() + wait_s + ONCE_GRACE_S);
	struct pane *p = pane_new(once_panes[pi].ops);
	cJSON *targets = cJSON_CreateArray();
	int rc = verdict(st, from, to, o->cloud.enabled, targets);
	if (!p || !targets) {
		pane_free(&p);
		cJSON_Delete(targets);
		fprintf(stderr, "dbfleet: out of memory\n");
		return 1;
	}
	struct pane_ctx ctx = {.store = st, .target = from, .now = clock_mono(), .fleet = o->fleet};
	if (pi == pane_index("timeline") && only >= 0)
		pane_command(p, PANE_SCOPE_NEXT, &ctx, 0); /* the fleet's timeline -> the target's */
	pane_recalc(p, &ctx);
	pane_fill_all(p);
	struct once_out w = {st, o, q->pane, p, only, per_target, once_panes[pi].target_rows, from};
	if (!strcmp(q->format, "csv")) {
		cJSON_Delete(targets);
		print_csv(&w);
	} else if (print_json(&w, rc, targets) < 0) {
		fprintf(stderr, "dbfleet: out of memory\n");
	}
	pane_free(&p);
	if (fflush(stdout) != 0)
		rc = rc ? rc : 1;
	return rc;
}
