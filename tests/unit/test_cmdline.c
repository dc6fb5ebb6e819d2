/* Unit tests: the ':' command line, key by key, on a store of three targets (no terminal). */
#include <curses.h>
#include <stdlib.h>

#include "../../tui/ui_private.h"
#include "check.h"

static struct store *st;
static struct ui ui;

static void setup(void)
{
	static const char *const names[] = {"pg-primary", "pg-replica", "gone"};
	st = store_new(3);
	for (size_t t = 0; t < 3; t++) {
		store_describe(st, t, names[t], "postgres", "db:5432", 2, 3);
		store_set_tags(st, t, t == 2 ? "team=search" : "team=payments");
	}
	memset(&ui, 0, sizeof ui);
	ui.st = st;
	ui.ctx.store = st;
	ui.cur = UI_SESSIONS;
	ui.panes[UI_FLEET] = pane_new(&pane_fleet_ops);
	ui.panes[UI_FLEET]->nvisible = 20;
}

static void teardown(void)
{
	pane_free(&ui.panes[UI_FLEET]);
	store_free(&st);
}

static void type(const char *s)
{
	for (; *s; s++)
		cmdline_key(&ui, (unsigned char)*s);
}

static void tab_completes_and_cycles_then_jumps(void)
{
	setup();
	cmdline_open(&ui, "");
	type("ta");
	cmdline_key(&ui, '\t');
	CHECK_STR(ui.cmdline.text, "target ");
	type("pg");
	cmdline_key(&ui, '\t');
	CHECK_STR(ui.cmdline.text, "target pg-primary");
	cmdline_key(&ui, '\t');
	CHECK_STR(ui.cmdline.text, "target pg-replica");
	cmdline_key(&ui, '\t');
	CHECK_STR(ui.cmdline.text, "target pg-primary");
	cmdline_key(&ui, '\t');
	cmdline_key(&ui, '\r');
	CHECK(!ui.cmdline.active && ui.cur == UI_FLEET && ui.ctx.target == 1);
	const struct row *r = pane_selected(ui.panes[UI_FLEET]);
	CHECK(r && r->ref.kind == ROW_TARGET && r->ref.target == 1);
	cmdline_open(&ui, "target ");
	type("zz");
	cmdline_key(&ui, '\t');
	CHECK_STR(ui.cmdline.text, "target zz");
	CHECK(strstr(ui.msg, "nothing completes 'zz'") != NULL);
	teardown();
}

static void editing_keys_and_hostile_input(void)
{
	setup();
	cmdline_open(&ui, "");
	type("garbage");
	cmdline_key(&ui, 21); /* C-u */
	CHECK_STR(ui.cmdline.text, "");
	type("tarX");
	cmdline_key(&ui, 127);
	CHECK_STR(ui.cmdline.text, "tar");
	/* control bytes, C1, keys and high bytes are not text */
	int hostile[] = {7, 0x9b, 0xff, KEY_UP, 0x1b5b, 0};
	for (int i = 0; hostile[i]; i++)
		cmdline_key(&ui, hostile[i]);
	CHECK_STR(ui.cmdline.text, "tar");
	for (int i = 0; i < 500; i++) /* bounded */
		cmdline_key(&ui, 'x');
	CHECK(strlen(ui.cmdline.text) == sizeof ui.cmdline.text - 1);
	cmdline_key(&ui, 27); /* Esc: nothing runs */
	CHECK(!ui.cmdline.active && ui.cur == UI_SESSIONS && !ui.quit);
	cmdline_open(&ui, "");
	cmdline_key(&ui, 127); /* Backspace past the start closes it, as in vim */
	CHECK(!ui.cmdline.active);
	teardown();
}

static void verbs_and_their_errors(void)
{
	setup();
	cmdline_open(&ui, "");
	type("frobnicate now\r");
	CHECK(strstr(ui.msg, "unknown command ':frobnicate'") != NULL);
	cmdline_open(&ui, "");
	type("group tag:team\r");
	CHECK(ui.cur == UI_FLEET && strstr(ui.panes[UI_FLEET]->title, "by tag:team"));
	CHECK(ui.panes[UI_FLEET]->tab.rows[0].ref.kind == ROW_GROUP);
	cmdline_open(&ui, "");
	type("filter state=sleepy\r");
	CHECK(strstr(ui.msg, "unknown state 'sleepy'") != NULL);
	cmdline_open(&ui, "");
	type("filter name=pg-*\r");
	CHECK(strstr(ui.panes[UI_FLEET]->title, ":filter name=pg-* (2 match)") != NULL);
	cmdline_open(&ui, "");
	type("target gone\r");
	CHECK(strstr(ui.msg, "the filter hides gone") != NULL && ui.ctx.target == 2);
	cmdline_open(&ui, "");
	type("  q  \r");
	CHECK(ui.quit == 1);
	teardown();
}

/* :drill start NAME, :mark TEXT, :drill stop: the collectors' drill state and the timeline follow. */
static void drill_and_mark(void)
{
	setup();
	struct err e = {0};
	ui.col = collector_new(st, NULL, 0, &e);
	CHECK(ui.col != NULL);
	cmdline_open(&ui, "");
	type("dr");
	cmdline_key(&ui, '\t');
	type("st");
	cmdline_key(&ui, '\t');
	CHECK_STR(ui.cmdline.text, "drill start");
	type(" game;day");
	cmdline_key(&ui, '\r');
	struct collector_drill d;
	collector_drill_status(ui.col, &d);
	CHECK(!d.active && strstr(ui.msg, "a drill's name is 1 to 63 letters") != NULL);
	cmdline_open(&ui, "drill start gameday");
	cmdline_key(&ui, '\r');
	collector_drill_status(ui.col, &d);
	CHECK(d.active && !strcmp(d.name, "gameday"));
	CHECK(strstr(ui.msg, "drill 'gameday' started") != NULL);
	cmdline_open(&ui, "drill start again");
	cmdline_key(&ui, '\r');
	CHECK(strstr(ui.msg, "drill 'gameday' is running") != NULL);
	cmdline_open(&ui, "mark inject: primary stopped");
	cmdline_key(&ui, '\r');
	struct tl_event ev[4];
	size_t n = store_timeline_read(st, 0, ev, 4);
	CHECK(n == 2 && ev[0].source == TL_SRC_DRILL && strstr(ev[0].text, "drill 'gameday' started by "));
	CHECK(n == 2 && ev[1].kind == TL_MARK && !strcmp(ev[1].text, "inject: primary stopped"));
	cmdline_open(&ui, "drill stop");
	cmdline_key(&ui, '\r');
	CHECK(strstr(ui.msg, "drill ending: writing its report") != NULL);
	cmdline_open(&ui, "drill pause");
	cmdline_key(&ui, '\r');
	CHECK(strstr(ui.msg, "drill: start NAME, or stop") != NULL);
	collector_stop(ui.col, 0);
	ui.col = NULL;
	teardown();
}

int main(void)
{
	RUN(drill_and_mark);
	RUN(tab_completes_and_cycles_then_jumps);
	RUN(editing_keys_and_hostile_input);
	RUN(verbs_and_their_errors);
	return check_total_failed;
}
