/*
 * cmdline.c - the ':' command line on the bottom line (k9s, vim):
 * ":target NAME" jumps to a target (Tab completes, again for the next
 * match), ":group BY", ":filter TERMS" (alone: clears), ":triage [NAME]"
 * opens the triage pane, ":drill start NAME", ":drill stop", ":mark TEXT"
 * (a line on the timeline), ":q" quits.
 * Only printable ASCII is taken (edit_input), and what is shown passes
 * the sanitiser: hostile input is text, never a terminal command.
 */
#include "ui_private.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void v_target(struct ui *ui, const char *arg);
static void v_group(struct ui *ui, const char *arg);
static void v_filter(struct ui *ui, const char *arg);
static void v_drill(struct ui *ui, const char *arg);
static void v_mark(struct ui *ui, const char *arg);
static void v_quit(struct ui *ui, const char *arg) { (void)arg; ui->quit = 1; }
static void v_triage(struct ui *ui, const char *arg);

static const struct verb {
	const char *name;
	void (*run)(struct ui *ui, const char *arg);
} verbs[] = {
	{"target", v_target}, {"group", v_group}, {"filter", v_filter}, {"triage", v_triage}, {"drill", v_drill},
	{"mark", v_mark}, {"q", v_quit}, {"quit", v_quit},
};

static const char *const groupings[] = {"account", "cluster", "engine", "none", "region", "tag:"};

void cmdline_open(struct ui *ui, const char *text)
{
	ui->cmdline.active = 1;
	ui->cmdline.tab_n = 0;
	snprintf(ui->cmdline.text, sizeof ui->cmdline.text, "%s", text);
}

/* The store index of the target named 'name'; -1 if none. */
static long target_named(struct ui *ui, const char *name)
{
	for (size_t t = 0; t < store_count(ui->st); t++) {
		struct target_status st;
		struct snapshot *snap = store_get(ui->st, t, &st);
		snapshot_release(&snap);
		if (!strcmp(st.name, name))
			return (long)t;
	}
	return -1;
}

static void show_fleet(struct ui *ui)
{
	ui->cur = UI_FLEET;
	ui->ctx.now = clock_mono();
	pane_recalc(ui->panes[UI_FLEET], &ui->ctx);
}

static void v_target(struct ui *ui, const char *arg)
{
	long t = *arg ? target_named(ui, arg) : -1;
	if (t < 0) {
		ui_say(ui, *arg ? "no target named '%.60s' (Tab completes names)" : "target: which? (Tab completes names)", arg);
		return;
	}
	struct pane *fleet = ui->panes[UI_FLEET];
	struct row_ref ref = row_ref_target((size_t)t);
	ui->ctx.target = (size_t)t;
	ui->ctx.aws = (struct row_ref){0};
	fleet_reveal(fleet, (size_t)t); /* its group opens if folded */
	show_fleet(ui);
	if (pane_select(fleet, &ref) < 0)
		ui_say(ui, "the filter hides %.60s (\":filter\" alone shows every row)", arg);
}

static void v_group(struct ui *ui, const char *arg)
{
	struct err e = {0};
	if (fleet_set_grouping(ui->panes[UI_FLEET], *arg ? arg : "none", &e) < 0) {
		ui_say(ui, "%s", e.msg);
		return;
	}
	show_fleet(ui);
}

static void v_filter(struct ui *ui, const char *arg)
{
	struct err e = {0};
	if (fleet_set_filter(ui->panes[UI_FLEET], arg, &e) < 0) {
		ui_say(ui, "%s", e.msg);
		return;
	}
	ui->panes[UI_FLEET]->sel = ui->panes[UI_FLEET]->top = 0;
	show_fleet(ui);
}

/* ":triage" opens the triage pane on the selected target, ":triage NAME" on that one. */
static void v_triage(struct ui *ui, const char *arg)
{
	long t = *arg ? target_named(ui, arg) : (long)ui->ctx.target;
	if (t < 0) {
		ui_say(ui, "no target named '%.60s' (Tab completes names)", arg);
		return;
	}
	ui->ctx.target = (size_t)t;
	ui->cur = UI_TRIAGE; /* as ui_show_pane does (ui.c is not linked into the unit tests) */
	ui->ctx.now = clock_mono();
	pane_recalc(ui->panes[UI_TRIAGE], &ui->ctx);
}

/* ":drill start NAME" or ":drill stop": the collectors write the report, off this thread. */
static void v_drill(struct ui *ui, const char *arg)
{
	struct err e = {0};
	if (!strncmp(arg, "start", 5) && (arg[5] == ' ' || !arg[5])) {
		const char *name = arg + 5 + strspn(arg + 5, " ");
		if (collector_drill_begin(ui->col, name, &e) == 0)
			ui_say(ui, "drill '%s' started: probes every second, ':mark TEXT' notes a step, ':drill stop' ends it", name);
	} else if (!strcmp(arg, "stop")) {
		if (collector_drill_end(ui->col, &e) == 0)
			ui_say(ui, "drill ending: writing its report...");
	} else {
		err_set(&e, ERR_CONFIG, "drill: start NAME, or stop");
	}
	if (e.msg[0])
		ui_say(ui, "%s", e.msg);
}

static void v_mark(struct ui *ui, const char *arg)
{
	if (!*arg) {
		ui_say(ui, "mark: what happened? (:mark inject: primary stopped)");
		return;
	}
	collector_mark(ui->col, arg);
	ui_say(ui, "marked on the timeline: %.100s", arg);
}

static void run(struct ui *ui, char *line)
{
	while (*line == ' ')
		line++;
	size_t len = strlen(line);
	while (len && line[len - 1] == ' ')
		line[--len] = '\0';
	if (!*line)
		return;
	size_t vlen = strcspn(line, " ");
	const char *arg = line + vlen + strspn(line + vlen, " ");
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (strlen(verbs[i].name) == vlen && !strncmp(verbs[i].name, line, vlen)) {
			verbs[i].run(ui, arg);
			return;
		}
	ui_say(ui, "unknown command ':%.*s': target NAME, group BY, filter [TERMS], triage [NAME], drill start"
	       " NAME|stop, mark TEXT, q", (int)(vlen < 40 ? vlen : 40), line);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The matches for 'prefix' among target names, sorted; count. '*out' is freed by the caller. */
static size_t target_matches(struct ui *ui, const char *prefix, char ***out)
{
	size_t n = store_count(ui->st), m = 0, plen = strlen(prefix);
	char **names = calloc(n ? n : 1, sizeof *names);
	for (size_t t = 0; names && t < n; t++) {
		struct target_status st;
		struct snapshot *snap = store_get(ui->st, t, &st);
		snapshot_release(&snap);
		if (!strncmp(st.name, prefix, plen) && (names[m] = strdup(st.name)))
			m++;
	}
	if (m)
		qsort(names, m, sizeof *names, by_name);
	*out = names;
	return m;
}

/* 1 if the stem's verb is 'verb' (the text before its first space). */
static int verb_is(const char *stem, const char *space, const char *verb)
{
	return space && (size_t)(space - stem) == strlen(verb) && !strncmp(stem, verb, strlen(verb));
}

/* Tab: the next completion of the text the first Tab saw (a verb, a target name, a grouping). */
static void complete(struct ui *ui)
{
	if (ui->cmdline.tab_n == 0)
		snprintf(ui->cmdline.stem, sizeof ui->cmdline.stem, "%s", ui->cmdline.text);
	const char *stem = ui->cmdline.stem, *space = strchr(stem, ' ');
	const char *arg = space ? space + 1 : stem;
	size_t n = 0, plen = strlen(arg);
	char **names = NULL;
	const char *fixed[16];
	const char *const *list = fixed;
	if (!space) {
		for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
			if (!strncmp(verbs[i].name, arg, plen))
				fixed[n++] = verbs[i].name;
	} else if (verb_is(stem, space, "target") || verb_is(stem, space, "triage")) {
		n = target_matches(ui, arg, &names);
		list = (const char *const *)names;
	} else if (verb_is(stem, space, "group")) {
		for (size_t i = 0; i < sizeof groupings / sizeof groupings[0]; i++)
			if (!strncmp(groupings[i], arg, plen))
				fixed[n++] = groupings[i];
	} else if (verb_is(stem, space, "drill")) {
		static const char *const how[] = {"start", "stop"};
		for (size_t i = 0; i < 2; i++)
			if (!strncmp(how[i], arg, plen))
				fixed[n++] = how[i];
	}
	if (n == 0) {
		ui_say(ui, "nothing completes '%.60s'", arg);
	} else {
		const char *pick = list[(size_t)ui->cmdline.tab_n % n];
		if (space)
			snprintf(ui->cmdline.text, sizeof ui->cmdline.text, "%.*s %s", (int)(space - stem), stem, pick);
		else
			snprintf(ui->cmdline.text, sizeof ui->cmdline.text, "%s ", pick);
		ui->cmdline.tab_n++;
	}
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

int cmdline_key(struct ui *ui, int ch)
{
	if (ch == '\t') {
		complete(ui);
		return 1;
	}
	ui->cmdline.tab_n = 0;
	if (ch == 27) {
		ui->cmdline.active = 0;
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		char line[sizeof ui->cmdline.text];
		snprintf(line, sizeof line, "%s", ui->cmdline.text);
		ui->cmdline.active = 0;
		run(ui, line);
	} else if (ch == 21) { /* C-u: the whole line, as in a shell */
		ui->cmdline.text[0] = '\0';
	} else if ((ch == 127 || ch == 8 || ch == KEY_BACKSPACE) && !ui->cmdline.text[0]) {
		ui->cmdline.active = 0; /* backspace past the ':' closes it, as in vim */
	} else {
		edit_input(ui->cmdline.text, sizeof ui->cmdline.text, ch);
	}
	return 1;
}
