/*
 * commands.c - the one table of named commands. Key files bind keys to
 * these names; the help overlay, --list-keys and the man page's KEYS
 * section all come from this table (a test keeps the man page in step).
 */
#include "ui_private.h"

#include "../model/xdg.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DBFLEET_DATADIR
#define DBFLEET_DATADIR "/usr/local/share/dbfleet"
#endif

static void c_quit(struct ui *ui) { ui->quit = 1; }
static void c_help(struct ui *ui) { ui->help = !ui->help; ui->help_top = 0; }
static void c_redraw(struct ui *ui) { ui->full_redraw = 1; }
static void c_next(struct ui *ui) { ui_show_pane(ui, (ui->cur + 1) % UI_NPANES); }
static void c_prev(struct ui *ui) { ui_show_pane(ui, (ui->cur + UI_NPANES - 1) % UI_NPANES); }
static void c_fleet(struct ui *ui) { ui_show_pane(ui, UI_FLEET); }
static void c_lag(struct ui *ui) { ui_show_pane(ui, UI_LAG); }
static void c_queries(struct ui *ui) { ui_show_pane(ui, UI_QUERIES); }
static void c_sessions(struct ui *ui) { ui_show_pane(ui, UI_SESSIONS); }
static void c_cost(struct ui *ui) { ui_show_pane(ui, UI_COST); }
static void c_actions(struct ui *ui) { ui_show_pane(ui, UI_ACTIONS); }
static void c_events(struct ui *ui) { ui_show_pane(ui, UI_EVENTS); }
static void c_timeline(struct ui *ui) { ui_show_pane(ui, UI_TIMELINE); }

/* The timeline's scope: the fleet, the selected target, its group in the fleet pane's grouping. */
static void c_timeline_scope(struct ui *ui)
{
	char g[48];
	fleet_grouping_spec(ui->panes[UI_FLEET], g, sizeof g);
	timeline_set_grouping(ui->panes[UI_TIMELINE], g);
	if (ui->cur != UI_TIMELINE)
		ui_show_pane(ui, UI_TIMELINE);
	ui_pane_command(ui, PANE_SCOPE_NEXT);
}
static void c_triage(struct ui *ui) { ui_show_pane(ui, UI_TRIAGE); }

static void c_cost_refresh(struct ui *ui)
{
	if (!ui->o->cloud.enabled || !ui->o->cloud.cost) {
		ui_say(ui, "AWS costs are off (--aws, and cost = true in [aws])");
		return;
	}
	store_cloud_ask_costs(ui->st); /* the cloud thread asks; the UI never waits on the network */
	ui_say(ui, "asking Cost Explorer for fresh costs (USD 0.01 a request)");
}
static void c_cancel(struct ui *ui) { act_session(ui, ACT_CANCEL); }
static void c_terminate(struct ui *ui) { act_session(ui, ACT_TERMINATE); }
static void c_promote(struct ui *ui) { act_promote(ui); }
static void c_chain(struct ui *ui) { act_chain(ui); }
static void c_shown(struct ui *ui) { act_shown(ui); }
static void c_snapshot(struct ui *ui) { act_snapshot(ui); }
static void c_plan(struct ui *ui) { plan_ask(ui); }
static void c_failover(struct ui *ui) { act_failover(ui); }
static void c_up(struct ui *ui) { ui_pane_command(ui, PANE_UP); }
static void c_down(struct ui *ui) { ui_pane_command(ui, PANE_DOWN); }
static void c_pgup(struct ui *ui) { ui_pane_command(ui, PANE_PGUP); }
static void c_pgdn(struct ui *ui) { ui_pane_command(ui, PANE_PGDN); }
static void c_home(struct ui *ui) { ui_pane_command(ui, PANE_HOME); }
static void c_end(struct ui *ui) { ui_pane_command(ui, PANE_END); }
static void c_open(struct ui *ui) { ui_pane_command(ui, PANE_OPEN); }
static void c_sort(struct ui *ui) { ui_pane_command(ui, PANE_SORT_NEXT); }
static void c_reverse(struct ui *ui) { ui_pane_command(ui, PANE_SORT_REVERSE); }
static void c_filter(struct ui *ui) { ui_pane_command(ui, PANE_FILTER_NEXT); }
static void c_own(struct ui *ui) { ui_pane_command(ui, PANE_TOGGLE_SELF); }
static void c_search(struct ui *ui) { ui->searching = 1; }

/* The next target in the fleet pane's order (problems first, groups, filter), from any pane. */
static void select_target(struct ui *ui, int step)
{
	struct pane *fleet = ui->panes[UI_FLEET];
	ui->ctx.now = clock_mono();
	pane_recalc(fleet, &ui->ctx);
	int n = fleet->tab.nrows, at = fleet->sel;
	for (int i = 0; i < n; i++) /* from the selected target's row, else from the cursor */
		if (fleet->tab.rows[i].ref.kind == ROW_TARGET && fleet->tab.rows[i].ref.target == ui->ctx.target)
			at = i;
	for (int k = 1; k <= n; k++) {
		const struct row *r = &fleet->tab.rows[((at + step * k) % n + n) % n];
		if (r->ref.kind == ROW_TARGET) {
			ui->ctx.target = r->ref.target;
			ui->ctx.aws = (struct row_ref){0};
			pane_select(fleet, &r->ref);
			break;
		}
	}
	ui_show_pane(ui, ui->cur);
}

static void c_cmdline(struct ui *ui) { cmdline_open(ui, ""); }
static void c_cmd_target(struct ui *ui) { cmdline_open(ui, "target "); }
static void c_cmd_filter(struct ui *ui) { cmdline_open(ui, "filter "); }

static void c_group_next(struct ui *ui)
{
	char name[48] = "";
	fleet_next_grouping(ui->panes[UI_FLEET], name, sizeof name);
	ui_show_pane(ui, UI_FLEET);
	ui_say(ui, "fleet grouped by %s (t: the next grouping, Space folds a group, z all)", name);
}

static void c_group_toggle(struct ui *ui)
{
	if (ui->cur != UI_FLEET || !fleet_toggle_group(ui->panes[UI_FLEET]))
		ui_say(ui, "no group here: t groups the fleet pane (1)");
	ui_show_pane(ui, ui->cur);
}

static void c_group_all(struct ui *ui)
{
	fleet_toggle_all(ui->panes[UI_FLEET]);
	ui_show_pane(ui, UI_FLEET);
}

static void c_prompt_yes(struct ui *ui) { prompt_answer(ui, PROMPT_YES); }
static void c_prompt_no(struct ui *ui) { prompt_answer(ui, PROMPT_NO); }
static void c_prompt_accept(struct ui *ui) { prompt_answer(ui, PROMPT_ACCEPT); }
static void c_prompt_cancel(struct ui *ui) { prompt_answer(ui, PROMPT_CANCEL); }
static void c_prompt_erase(struct ui *ui) { prompt_answer(ui, PROMPT_ERASE); }

static void c_target_next(struct ui *ui) { select_target(ui, 1); }
static void c_target_prev(struct ui *ui) { select_target(ui, -1); }

const struct command commands[] = {
	{"quit", "quit dbfleet", c_quit},
	{"help", "show or hide this help", c_help},
	{"redraw", "redraw the whole screen", c_redraw},
	{"pane.next", "next pane", c_next},
	{"pane.prev", "previous pane", c_prev},
	{"pane.fleet", "fleet pane: one row per target", c_fleet},
	{"pane.lag", "replication lag pane: the topology tree", c_lag},
	{"pane.queries", "top queries of the selected target", c_queries},
	{"pane.sessions", "sessions of the selected target", c_sessions},
	{"pane.cost", "AWS cost: month to date, forecast, breakdowns, estimates", c_cost},
	{"pane.actions", "actions taken this session and how they went", c_actions},
	{"pane.events", "AWS: RDS events of the last day, newest first", c_events},
	{"pane.timeline", "timeline: state, role, replication and lag changes, RDS events, actions (UTC)", c_timeline},
	{"timeline.scope", "timeline: the whole fleet, the selected target, or its group (cycles)", c_timeline_scope},
	{"pane.triage", "triage of the selected target: slots and WAL, vacuum, the lock queue tree", c_triage},
	{"cost.refresh", "ask Cost Explorer now instead of using the hour-old cache (billed)", c_cost_refresh},
	{"cursor.up", "move the cursor up", c_up},
	{"cursor.down", "move the cursor down", c_down},
	{"cursor.pgup", "move the cursor a page up", c_pgup},
	{"cursor.pgdn", "move the cursor a page down", c_pgdn},
	{"cursor.home", "first row", c_home},
	{"cursor.end", "last row", c_end},
	{"row.open", "details of the selected row (target, query text, session)", c_open},
	{"sort.next", "sort by the next column", c_sort},
	{"sort.reverse", "reverse the sort order", c_reverse},
	{"filter.next", "sessions: cycle the state filter; timeline: cycle the kind; triage: the section shown", c_filter},
	{"filter.text", "show only rows containing a text: type it, Enter keeps it, Esc clears it", c_search},
	{"sessions.own", "sessions: show or hide dbfleet's own connections", c_own},
	{"cmdline", "command line: target NAME, group BY, filter [TERMS], triage [NAME], q (Tab completes, Esc cancels)", c_cmdline},
	{"cmdline.target", "jump to a target by name: opens :target (Tab completes names)", c_cmd_target},
	{"cmdline.filter", "fleet: show only rows matching state=, engine=, tag:KEY=, name= (opens :filter)", c_cmd_filter},
	{"group.next", "fleet: group by cluster, engine, region, account, each tag key, or none (cycles)", c_group_next},
	{"group.toggle", "fleet: fold or unfold the group under the cursor", c_group_toggle},
	{"group.toggle_all", "fleet: fold every group, or unfold them all", c_group_all},
	{"target.next", "select the next target", c_target_next},
	{"target.prev", "select the previous target", c_target_prev},
	{"plan.show", "the plan of the selected session's or statement's SQL (read-only, never run): w saves it",
	 c_plan},
	{"session.cancel", "cancel the selected session's query (asks y/N)", c_cancel},
	{"session.terminate", "terminate the selected session (asks for the target's name)", c_terminate},
	{"session.terminate_chain", "terminate every session the selected one waits for (its blocker chain)", c_chain},
	{"session.terminate_shown", "terminate every session the filter shows (at most 16)", c_shown},
	{"target.promote", "promote the selected replica to a primary (asks for its name)", c_promote},
	{"aws.snapshot", "RDS snapshot of the selected AWS instance or cluster (asks a reason)", c_snapshot},
	{"aws.failover", "fail over the selected Aurora cluster or Multi-AZ instance (asks its name)", c_failover},
	/* the confirmation prompt's keys ("prompt:KEY"); where a name or reason is typed, text is text */
	{"prompt.yes", "prompt: confirm a y/N question", c_prompt_yes},
	{"prompt.no", "prompt: answer No (so does every key a y/N question does not bind)", c_prompt_no},
	{"prompt.accept", "prompt: confirm the typed name or reason (a y/N question takes it as No)", c_prompt_accept},
	{"prompt.cancel", "prompt: abort, nothing sent", c_prompt_cancel},
	{"prompt.erase", "prompt: delete the last character typed", c_prompt_erase},
};
const size_t ncommands = sizeof commands / sizeof commands[0];

/*
 * Where NAME.keys lives: $DBFLEET_KEYMAPS, then beside the installed binary
 * (BIN/../share/dbfleet/keymaps, so any PREFIX works), the compiled-in data
 * directory, and last the source tree (BIN/keymaps).
 */
static int keymap_path(const char *name, char *out, size_t n)
{
	const char *env = getenv("DBFLEET_KEYMAPS");
	if (env && *env) {
		snprintf(out, n, "%s/%s.keys", env, name);
		return 0;
	}
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[len > 0 ? len : 0] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(out, n, "%s/../share/dbfleet/keymaps/%s.keys", exe, name);
	if (len > 0 && access(out, R_OK) == 0)
		return 0;
	snprintf(out, n, "%s/keymaps/%s.keys", DBFLEET_DATADIR, name);
	if (access(out, R_OK) == 0 || len <= 0)
		return 0;
	snprintf(out, n, "%s/keymaps/%s.keys", exe, name);
	return 0;
}

int keys_load(struct keymap *km, const char *keymap_name, char *err, size_t errlen)
{
	const char *names[sizeof commands / sizeof commands[0]];
	for (size_t i = 0; i < ncommands; i++)
		names[i] = commands[i].name;
	char path[PATH_MAX + 64];
	const char *layers[] = {"default", strcmp(keymap_name, "default") ? keymap_name : NULL};
	for (size_t i = 0; i < 2; i++) {
		if (!layers[i])
			continue;
		if (keymap_path(layers[i], path, sizeof path) < 0 ||
		    keymap_load(km, path, names, ncommands, err, errlen) != 0)
			return -1;
	}
	if (xdg_path(XDG_CONFIG, "keys", path, sizeof path) < 0)
		return 0; /* no such file could exist */
	int rc = keymap_load(km, path, names, ncommands, err, errlen);
	return rc == -1 ? -1 : 0;
}

void keys_list(const struct keymap *km)
{
	for (size_t i = 0; i < ncommands; i++) {
		int keys[8];
		size_t n = keymap_keys_for(km, (int)i, keys, 8);
		char line[128] = "";
		size_t o = 0;
		for (size_t k = 0; k < n && o < sizeof line - 16; k++) {
			char name[16];
			keymap_key_name(keys[k], name, sizeof name);
			o += (size_t)snprintf(line + o, sizeof line - o, "%s%s", k ? " " : "", name);
		}
		printf("%-26s %-16s %s\n", n ? line : "-", commands[i].name, commands[i].help);
	}
}
