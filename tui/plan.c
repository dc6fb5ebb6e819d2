/*
 * plan.c - the plan overlay: the key that asks for the plan of the selected
 * session (sessions pane) or statement (queries pane), and the box that
 * shows it. The request goes to the collector (read on its pool, never
 * here); the answer comes through the store and is taken by its id, so an
 * answer to an older request never shows. Every line is server text and
 * passes through the sanitiser before it is wrapped and drawn; the
 * costliest nodes are drawn reversed with a '>' in the margin. The overlay
 * scrolls with the cursor keys of the key table, saves what it shows (the
 * sanitised text; the collector's pool writes the file, not this thread),
 * and closes with Esc or the quit key.
 */
#include "ui_private.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct plan_row {
	const char *text;   /* into the logical line */
	size_t len;
	int mark;
};

struct plan_view {
	int id;                     /* the request awaited (its answer, once taken, is 'res') */
	double asked;               /* monotonic */
	char title[200];            /* " plan: pid 4242 on primary " */
	char slug[120];             /* for the file name: "primary-pid4242" */
	struct plan_result *res;
	char **line;                /* sanitised logical lines */
	int *mark;
	int nlines;
	struct plan_row *row;       /* the lines wrapped at 'width' */
	int nrows, width;
	int top;
	char saved[320];            /* "saving...", then where 'w' saved it, or why it could not */
};

static void free_lines(struct plan_view *v)
{
	for (int i = 0; i < v->nlines; i++)
		free(v->line[i]);
	free(v->line);
	free(v->mark);
	free(v->row);
	v->line = NULL, v->mark = NULL, v->row = NULL;
	v->nlines = v->nrows = v->width = 0;
}

void plan_close(struct ui *ui)
{
	struct plan_view *v = ui->plan;
	if (!v)
		return;
	free_lines(v);
	plan_result_free(&v->res);
	free(v);
	ui->plan = NULL;
}

/* Append raw text as sanitised lines (a statement keeps its line breaks). */
static void add_text(struct plan_view *v, const char *raw, int mark)
{
	char *clean = text_sanitize_lines(raw ? raw : "", 256 * 1024);
	for (char *s = clean, *nl; s; s = nl ? nl + 1 : NULL) {
		nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		char **l = realloc(v->line, (size_t)(v->nlines + 1) * sizeof *l);
		int *m = l ? realloc(v->mark, (size_t)(v->nlines + 1) * sizeof *m) : NULL;
		if (l)
			v->line = l;
		if (!m)
			break;
		v->mark = m;
		if (!(v->line[v->nlines] = strdup(s)))
			break;
		v->mark[v->nlines++] = mark;
	}
	free(clean);
}

/* The answer as lines: what it is, caveats, the statement, the plan; or why there is none. */
static void build(struct plan_view *v)
{
	const struct plan_result *r = v->res;
	char head[120];
	snprintf(head, sizeof head, "(answered in %.2fs)", r->took_s);
	if (!r->ok) {
		add_text(v, r->error, 0);
		add_text(v, head, 0);
		return;
	}
	add_text(v, r->plan.what, 0);
	add_text(v, r->plan.note, 0);
	add_text(v, head, 0);
	add_text(v, "", 0);
	add_text(v, "statement:", 0);
	add_text(v, r->plan.statement, 0);
	add_text(v, "", 0);
	add_text(v, "plan ([#N share]: the costliest nodes by their own cost, marked with '>'):", 0);
	for (size_t i = 0; i < r->plan.nlines; i++)
		add_text(v, r->plan.line[i].text, r->plan.line[i].mark);
}

/* Wrap the logical lines at 'width' columns. */
static void wrap(struct plan_view *v, int width)
{
	free(v->row);
	v->row = NULL;
	v->nrows = 0;
	v->width = width;
	int cap = 0;
	for (int i = 0; i < v->nlines; i++) {
		const char *s = v->line[i];
		do {
			size_t fit = *s ? text_fit(s, width, NULL) : 0;
			if (!fit && *s)
				fit = 1;
			if (v->nrows == cap) {
				cap = cap ? cap * 2 : 64;
				struct plan_row *r = realloc(v->row, (size_t)cap * sizeof *r);
				if (!r)
					return;
				v->row = r;
			}
			v->row[v->nrows++] = (struct plan_row){.text = s, .len = fit, .mark = v->mark[i]};
			s += fit;
		} while (*s);
	}
}

/* The selected statement's request (queries pane), or -1 with a message. */
static int ask_statement(struct ui *ui, const struct snapshot *snap, const struct row *row, struct db_explain *q,
			 char *object, size_t n)
{
	for (size_t i = 0; snap && i < snap->s.nqueries; i++)
		if (snap->s.queries[i].queryid == row->ref.item) {
			q->kind = EXPLAIN_STATEMENT;
			q->queryid = snap->s.queries[i].queryid;
			q->dbid = snap->s.queries[i].dbid;
			q->userid = snap->s.queries[i].userid;
			snprintf(object, n, "query%lld", (long long)q->queryid);
			return 0;
		}
	ui_say(ui, "that statement is not in the latest sample any more");
	return -1;
}

void plan_ask(struct ui *ui)
{
	if (!ui->col) { /* --replay, --attach: nothing is connected to ask */
		ui_say(ui, ui->o->attach ? "attached: plans are off (a viewer has no connection to explain with)"
		       : "replay: plans are off (the recording has no connection to explain with)");
		return;
	}
	const struct row *row = pane_selected(ui->panes[ui->cur]);
	if (ui->cur != UI_SESSIONS && ui->cur != UI_QUERIES) {
		ui_say(ui, "select a session (4) or a statement (3) first: e shows the plan of its statement");
		return;
	}
	if (row && ui->cur == UI_QUERIES && (row->ref.kind != ROW_ITEM || row->ref.key[0])) { /* a header, or PI's */
		ui_say(ui, "e explains the database's own statements: Performance Insights' rows have no connection");
		return;
	}
	size_t t = ui->ctx.target;
	struct target_status st;
	struct snapshot *snap = t < store_count(ui->st) ? store_get_detail(ui->st, t, &st) : NULL;
	struct db_explain q = {0};
	char object[64];
	int rc = -1;
	/* the pane opened a moment ago: its rows are not read yet, and having none is not the user's doing */
	if (!snap || !snap->s.detail)
		ui_say(ui, "no detailed sample of this target yet: e again in a moment");
	else if (!row)
		ui_say(ui, "select a session (4) or a statement (3) first: e shows the plan of its statement");
	else if (ui->cur == UI_SESSIONS) {
		const struct db_session *s = find_session(snap, &row->ref);
		if (!s || s->is_self)
			ui_say(ui, s ? "that is dbfleet's own session" : "pid %lld is not in the latest sample any more",
			       row->ref.item);
		else {
			q.kind = EXPLAIN_SESSION;
			session_action(snap, s, ACT_NONE, &q.who);
			snprintf(object, sizeof object, "pid%d", s->pid);
			rc = 0;
		}
	} else
		rc = ask_statement(ui, snap, row, &q, object, sizeof object);
	snapshot_release(&snap);
	if (rc < 0)
		return;
	struct err err = {0};
	int id = collector_explain(ui->col, t, &q, &err);
	if (id < 0) {
		ui_say(ui, "%s", err.msg);
		return;
	}
	plan_close(ui);
	struct plan_view *v = calloc(1, sizeof *v);
	if (!v) {
		ui_say(ui, "out of memory");
		return;
	}
	v->id = id;
	v->asked = clock_mono();
	char *name = text_sanitize(st.name, 60);
	snprintf(v->title, sizeof v->title, " plan: %s on %s ", object, name ? name : "?");
	free(name);
	size_t o = 0;
	for (const char *p = st.name; *p && o < 60; p++) /* the file name: letters, digits, . _ - */
		v->slug[o++] = (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
				      *p == '.' || *p == '_' || *p == '-' ? *p : '_');
	snprintf(v->slug + o, sizeof v->slug - o, "-%s", object);
	ui->plan = v;
}

/* Save what the overlay shows (sanitised) to a new file: written on the collector's pool, the
 * outcome shown when it comes (plan_draw). */
static void save(struct ui *ui, struct plan_view *v)
{
	char stamp[32], leaf[200];
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime_r(&now, &tm));
	snprintf(leaf, sizeof leaf, "plan-%.120s-%s.txt", v->slug, stamp);
	size_t len = strlen(v->title) + 2;
	for (int i = 0; i < v->nlines; i++)
		len += strlen(v->line[i]) + 3;
	char *text = malloc(len);
	if (!text) {
		snprintf(v->saved, sizeof v->saved, "not saved: out of memory");
		return;
	}
	size_t o = (size_t)snprintf(text, len, "%s\n", v->title);
	for (int i = 0; i < v->nlines; i++)
		o += (size_t)snprintf(text + o, len - o, "%s%s\n", v->mark[i] ? "> " : "", v->line[i]);
	struct err err = {0};
	if (collector_save_plan(ui->col, v->res->id, leaf, text, &err) < 0)
		snprintf(v->saved, sizeof v->saved, "%s", err.msg);
	else
		snprintf(v->saved, sizeof v->saved, "saving...");
}

void plan_key(struct ui *ui, int key, const char *name)
{
	struct plan_view *v = ui->plan;
	int page = LINES - 7 > 1 ? LINES - 7 : 1;
	if (key == KM_ESC || !strcmp(name, "quit"))
		plan_close(ui);
	else if (!strcmp(name, "cursor.up"))
		v->top--;
	else if (!strcmp(name, "cursor.down"))
		v->top++;
	else if (!strcmp(name, "cursor.pgup"))
		v->top -= page;
	else if (!strcmp(name, "cursor.pgdn"))
		v->top += page;
	else if (!strcmp(name, "cursor.home"))
		v->top = 0;
	else if (!strcmp(name, "cursor.end"))
		v->top = v->nrows;
	else if ((key == 'w' || key == 's') && v->res)
		save(ui, v);
	if (ui->plan && v->top > v->nrows - page)
		v->top = v->nrows - page;
	if (ui->plan && v->top < 0)
		v->top = 0;
}

void plan_draw(struct ui *ui)
{
	struct plan_view *v = ui->plan;
	int h = LINES - 4, w = COLS - 4, y = 2, x = 2;
	if (!v->res && (v->res = store_plan_take(ui->st, v->id)))
		build(v);
	if (v->res)
		store_plan_saved_take(ui->st, v->res->id, v->saved, sizeof v->saved);
	if (v->res && v->width != w - 3)
		wrap(v, w - 3);
	attron(A_REVERSE);
	draw_text(stdscr, y, x, w, v->title);
	attroff(A_REVERSE);
	int body = h - 1;
	if (!v->res) {
		char wait[160];
		snprintf(wait, sizeof wait, "reading the plan (read-only, the statement is not run)... %.0fs",
			 clock_mono() - v->asked);
		for (int i = 0; i < body; i++)
			draw_text(stdscr, y + 1 + i, x, w, i == 1 ? wait : "");
	}
	for (int i = 0; v->res && i < body; i++) {
		const struct plan_row *r = v->top + i < v->nrows ? &v->row[v->top + i] : NULL;
		char buf[4096];
		size_t len = r ? (r->len < sizeof buf - 1 ? r->len : sizeof buf - 1) : 0;
		memcpy(buf, r ? r->text : "", len);
		buf[len] = '\0';
		int a = r && r->mark ? A_REVERSE | A_BOLD : 0;
		draw_text(stdscr, y + 1 + i, x, 2, r && r->mark ? "> " : "");
		attron(a);
		draw_text(stdscr, y + 1 + i, x + 2, w - 2, buf); /* sanitised already: passes unchanged */
		attroff(a);
	}
	char foot[480];
	snprintf(foot, sizeof foot, " %s%sarrows PgUp PgDn Home End scroll  w save  Esc close  %d-%d/%d ", v->saved,
		 v->saved[0] ? " | " : "", v->nrows ? v->top + 1 : 0, v->top + body < v->nrows ? v->top + body : v->nrows,
		 v->nrows);
	attron(A_REVERSE);
	draw_text(stdscr, y + h, x, w, foot);
	attroff(A_REVERSE);
}
