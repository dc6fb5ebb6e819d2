/*
 * ui.c - the UI thread: terminal set-up and restore, the main loop, layout.
 *
 * DESIGN: this thread alone calls curses. It waits in poll() on stdin, the
 * store's wake-up pipe and a signal pipe, with a one-second timer so ages
 * tick; it never connects or queries. Drawing erases curses' virtual screen
 * and redraws it; doupdate() then sends only the cells that changed, so a
 * refresh over a slow link costs a few bytes. SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT (Ctrl-\ would otherwise kill us and leave the terminal raw) end
 * the loop through the signal pipe and the terminal is restored on the
 * way out; SIGWINCH is ncurses' own (KEY_RESIZE).
 */
#include "ui_private.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIN_COLS 80
#define MIN_LINES 24

static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t curses_up;
static int quit_asked; /* UI thread: the open prompt asks "quit anyway?", not about an action */

static void on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	ssize_t rc = write(sig_pipe[1], &b, 1);
	(void)rc;
}

/* Restore the terminal whatever way we leave (atexit, fatal paths). */
static void restore_terminal(void)
{
	if (curses_up) {
		curses_up = 0;
		endwin();
	}
}

static int term_setup(void)
{
	if (pipe(sig_pipe) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		fcntl(sig_pipe[i], F_SETFL, O_NONBLOCK);
		fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!initscr())
		return -1;
	curses_up = 1;
	atexit(restore_terminal);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	return 0;
}

static int setup_colors(void)
{
	const char *nc = getenv("NO_COLOR");
	if ((nc && *nc) || !has_colors())
		return 0;
	start_color();
	use_default_colors();
	init_pair(1, COLOR_RED, -1);
	init_pair(2, COLOR_YELLOW, -1);
	init_pair(3, COLOR_GREEN, -1);
	init_pair(4, COLOR_CYAN, -1);
	init_pair(5, COLOR_WHITE, COLOR_RED);    /* the status bar on a production target */
	init_pair(6, COLOR_BLACK, COLOR_YELLOW); /* ... on a staging one */
	return 1;
}

void ui_show_pane(struct ui *ui, int i)
{
	ui->cur = i;
	ui->ctx.now = ui_now(ui);
	pane_recalc(ui->panes[i], &ui->ctx);
}

void ui_follow_fleet(struct ui *ui)
{
	const struct row *r = pane_selected(ui->panes[UI_FLEET]);
	if (ui->cur == UI_FLEET && r && r->ref.kind == ROW_TARGET)
		ui->ctx.target = r->ref.target; /* AWS-only rows and group headers are no target */
	if (ui->cur == UI_FLEET && r && (r->ref.kind == ROW_TARGET || r->ref.kind == ROW_AWS))
		ui->ctx.aws = r->ref.kind == ROW_AWS ? r->ref : (struct row_ref){0}; /* the queries pane's PI */
}

void ui_pane_command(struct ui *ui, enum pane_cmd cmd)
{
	struct pane *p = ui->panes[ui->cur];
	ui->ctx.now = ui_now(ui);
	pane_command(p, cmd, &ui->ctx, ui->page);
	ui_follow_fleet(ui);
}

/* Width of the tab bar in a layout: 0 full, 1 without the clock, 2 numbers only but the current pane. */
static int tabs_width(const struct ui *ui, int layout)
{
	int w = 9 + (layout == 0 ? 9 : 0);
	for (int i = 0; i < UI_NPANES; i++)
		w += layout == 2 && i != ui->cur ? 3 : 4 + (int)strlen(ui->panes[i]->ops->name);
	return w;
}

static void draw_tabs(struct ui *ui)
{
	int layout = 0;
	while (layout < 2 && tabs_width(ui, layout) > COLS)
		layout++; /* a narrow terminal: the clock goes, then the other panes' names */
	attron(A_REVERSE);
	draw_text(stdscr, 0, 0, COLS, " dbfleet ");
	int x = 9;
	for (int i = 0; i <= UI_NPANES; i++)
		ui->tab_x[i] = COLS; /* tabs that do not fit take no clicks */
	for (int i = 0; i < UI_NPANES && x < COLS; i++) {
		char tab[32];
		if (layout == 2 && i != ui->cur)
			snprintf(tab, sizeof tab, " %d ", i + 1);
		else
			snprintf(tab, sizeof tab, " %d %s ", i + 1, ui->panes[i]->ops->name);
		int w = (int)strlen(tab) < COLS - x ? (int)strlen(tab) : COLS - x;
		if (i == ui->cur)
			attroff(A_REVERSE), attron(A_BOLD);
		ui->tab_x[i] = x;
		draw_text(stdscr, 0, x, w, tab);
		if (i == ui->cur)
			attroff(A_BOLD), attron(A_REVERSE);
		x += w;
		ui->tab_x[i + 1] = x;
	}
	if (layout == 0) {
		char clock[16];
		time_t now = ui->o->replay ? (time_t)replay_now(ui->o->replay) : time(NULL); /* the recording's time */
		struct tm tm;
		strftime(clock, sizeof clock, "%H:%M:%S", localtime_r(&now, &tm));
		draw_text(stdscr, 0, COLS - 9, 9, clock);
	}
	attroff(A_REVERSE);
}

static void draw_title(struct ui *ui, struct pane *p)
{
	char line[512];
	if (ui->searching || p->search[0]) /* the text filter (printable ASCII: edit_input) */
		snprintf(line, sizeof line, " %s  /%s%s ", p->title, p->search, ui->searching ? "_" : "");
	else
		snprintf(line, sizeof line, " %s ", p->title);
	int w = text_width(line);
	attron(A_BOLD);
	draw_text(stdscr, 1, 0, w < COLS ? w : COLS, line);
	attroff(A_BOLD);
	if (w >= COLS)
		return;
	int a = p->status_bad ? (ui->color ? COLOR_PAIR(1) | A_BOLD : A_BOLD | A_UNDERLINE) : A_DIM;
	attron(a);
	draw_text(stdscr, 1, w, COLS - w, p->status);
	attroff(a);
}

/*
 * The selected target's environment, from its "env" tag (the config's, then
 * AWS's): the status bar wears it, so production never looks like staging
 * (k9s skins per context). The attribute for the bar; 'env' gets the name.
 */
static int env_attr(struct ui *ui, char *env, size_t n)
{
	static const struct {
		const char *prefix;
		int pair;
	} looks[] = {{"preprod", 6}, {"prod", 5}, {"live", 5}, {"stag", 6}, {"stg", 6}, {"uat", 6}}; /* first wins */
	env[0] = '\0';
	if (ui->ctx.target >= store_count(ui->st))
		return A_REVERSE;
	struct target_status st;
	struct snapshot *snap = store_get(ui->st, ui->ctx.target, &st);
	snapshot_release(&snap);
	struct cloud_snapshot *c = store_cloud_get(ui->st);
	const struct cloud_instance *ci = fleet_cloud_of(c, &st);
	int found = fleet_tag(st.tags, "env", env, n) || (ci && fleet_tag(ci->tags, "env", env, n));
	cloud_snapshot_release(&c);
	if (!found)
		return A_REVERSE;
	int pair = 0;
	for (size_t i = 0; i < sizeof looks / sizeof looks[0] && !pair; i++)
		if (!strncasecmp(env, looks[i].prefix, strlen(looks[i].prefix)))
			pair = looks[i].pair;
	if (!pair)
		return A_REVERSE;
	return ui->color ? COLOR_PAIR(pair) | A_BOLD : A_REVERSE | (pair == 5 ? A_BOLD | A_UNDERLINE : A_BOLD);
}

/* The ':' line in place of the status bar while it is open. */
static void draw_cmdline(struct ui *ui)
{
	char *t = text_sanitize(ui->cmdline.text, sizeof ui->cmdline.text);
	char line[200];
	snprintf(line, sizeof line, ":%s_", t ? t : "");
	free(t);
	draw_text(stdscr, LINES - 1, 0, COLS, line);
}

/* --replay: " REPLAY 03:12:05Z ×4 (paused) | damage |" first on the status bar */
static void replay_bar(struct ui *ui, char *out, size_t n)
{
	if (!ui->o->replay)
		return;
	struct replay_status rs;
	replay_get_status(ui->o->replay, &rs);
	char when[16] = "--:--:--Z";
	time_t t = (time_t)rs.now;
	struct tm tm;
	if (rs.now > 0 && gmtime_r(&t, &tm))
		strftime(when, sizeof when, "%H:%M:%SZ", &tm);
	snprintf(out, n, " REPLAY %s %s%d%s%s%s%s |", when, text_utf8() ? "\u00d7" : "x", rs.speed,
		 rs.paused ? " (paused)" : "", rs.ended ? " (end)" : "", rs.damage[0] ? " | " : "", rs.damage);
}

/* --attach: " ATTACHED fleet@host:port | collector host/pid | snapshot 0.4s old |", or
 * " STALE since 03:12:05Z: ... |" while Redis is unreachable or no collector publishes. */
static void attach_bar(struct ui *ui, char *out, size_t n)
{
	if (!ui->o->attach)
		return;
	struct attach_status as;
	attach_get_status(ui->o->attach, &as);
	double now = clock_wall(), quiet = 2 * ui->o->serve.lease_s > 10 ? 2 * ui->o->serve.lease_s : 10;
	char *fleet = text_sanitize(as.fleet, 40), *peer = text_sanitize(as.peer, 80), *col = text_sanitize(as.collector, 80);
	char when[16] = "--:--:--Z", age[16];
	double since = !as.connected ? as.stale_since : as.snapshot_at > 0 && now - as.snapshot_at > quiet ? as.snapshot_at : 0;
	time_t t = (time_t)since;
	struct tm tm;
	if (since > 0 && gmtime_r(&t, &tm))
		strftime(when, sizeof when, "%H:%M:%SZ", &tm);
	fmt_age(age, sizeof age, as.snapshot_at > 0 ? now - as.snapshot_at : -1);
	if (!as.connected)
		snprintf(out, n, " STALE since %s: Redis at %s unreachable, reconnecting |", when, peer ? peer : "");
	else if (since > 0)
		snprintf(out, n, " STALE since %s: no collector publishing to %s |", when, fleet ? fleet : "");
	else if (!as.collector[0])
		snprintf(out, n, " ATTACHED %s@%s | no collector yet |", fleet ? fleet : "", peer ? peer : "");
	else
		snprintf(out, n, " ATTACHED %s@%s | collector %s | snapshot %s old |", fleet ? fleet : "", peer ? peer : "",
			 col ? col : "", age);
	free(fleet);
	free(peer);
	free(col);
}

/* " DRILL name 02:13 |" while a drill runs (its name is letters, digits, '.', '_', '-'). */
static void drill_clock(struct ui *ui, char *out, size_t n)
{
	struct collector_drill d = {0};
	out[0] = '\0';
	if (!ui->col) /* --replay: no drill runs */
		return;
	collector_drill_status(ui->col, &d);
	if (!d.active)
		return;
	long s = (long)(clock_wall() - d.started);
	s = s < 0 ? 0 : s;
	snprintf(out, n, " DRILL %s %02ld:%02ld:%02ld |", d.name, s / 3600, s / 60 % 60, s % 60);
}

/* targets up/stalled/down, newest and oldest sample, read-only flag */
static void draw_status(struct ui *ui)
{
	int up = 0, stalled = 0, down = 0;
	double newest = -1, oldest = -1, now = ui_now(ui);
	for (size_t t = 0; t < store_count(ui->st); t++) {
		struct target_status st;
		struct snapshot *s = store_get(ui->st, t, &st);
		up += st.state == TARGET_OK;
		stalled += st.state == TARGET_STALLED;
		down += st.state == TARGET_DOWN || st.state == TARGET_AUTH;
		if (s) {
			double age = now - s->mono;
			newest = newest < 0 || age < newest ? age : newest;
			oldest = age > oldest ? age : oldest;
		}
		snapshot_release(&s);
	}
	char a[16], b[16], line[1024], cloud[300] = "";
	fmt_age(a, sizeof a, newest);
	fmt_age(b, sizeof b, oldest);
	struct cloud_snapshot *c = store_cloud_get(ui->st);
	if (c) {
		/* which credentials, which regions, and whether this is really AWS */
		char *src = text_sanitize(c->source, 60), *ep = text_sanitize(c->endpoint, 80);
		snprintf(cloud, sizeof cloud, " AWS %s %s%s%s%s |", src ? src : "", c->regions,
			 ep && *ep ? " (" : "", ep ? ep : "", ep && *ep ? ")" : "");
		if (c->auth_failed && c->error[0])
			snprintf(cloud, sizeof cloud, " AWS: %s |", "AUTH ERROR, see the fleet pane");
		free(src);
		free(ep);
	} else if (ui->o->cloud.enabled)
		snprintf(cloud, sizeof cloud, " AWS: discovering... |");
	cloud_snapshot_release(&c);
	char env[64], envs[64] = "", drill[120] = "", note[400];
	int look = env_attr(ui, env, sizeof env);
	drill_clock(ui, drill, sizeof drill);
	if (store_slo_message(ui->st, note, sizeof note))
		ui_say(ui, "%s", note);
	if (env[0]) {
		char *e = text_sanitize(env, 40);
		snprintf(envs, sizeof envs, " env %.40s |", e ? e : "?");
		free(e);
	}
	char rep[400] = "";
	replay_bar(ui, rep, sizeof rep);
	attach_bar(ui, rep, sizeof rep);
	snprintf(line, sizeof line, "%s%s%s %d up  %d stalled  %d down | samples %s..%s old |%s%s%s :cmd ?:help q:quit",
		 rep, drill, envs, up, stalled, down, a, b, cloud, ui->o->read_only ? " READ-ONLY |" : "",
		 ui->o->dry_run ? " DRY RUN |" : "");
	if (ui->msg[0] && clock_mono() < ui->msg_until) {
		char *m = text_sanitize(ui->msg, sizeof ui->msg);
		snprintf(line, sizeof line, " %s", m ? m : "");
		free(m);
	}
	attron(look);
	if (ui->cmdline.active)
		draw_cmdline(ui);
	else
		draw_text(stdscr, LINES - 1, 0, COLS, line);
	attroff(look);
}

/* A box over the pane with lines of text, scrolled by 'top'. */
static void draw_box(const char *title, const char *text, int top, const char *footer)
{
	int h = LINES - 4, w = COLS - 8, y = 2, x = 4;
	attron(A_REVERSE);
	draw_text(stdscr, y, x, w, title);
	attroff(A_REVERSE);
	const char *s = text;
	for (int line = 0, row = y + 1; row < y + h; line++) {
		size_t len = strcspn(s, "\n");
		/* wrap long lines at the box width */
		char buf[4096];
		size_t take = len < sizeof buf - 1 ? len : sizeof buf - 1;
		memcpy(buf, s, take);
		buf[take] = '\0';
		size_t fit = take ? text_fit(buf, w - 2, NULL) : 0;
		if (fit == 0 && take)
			fit = 1;
		buf[fit] = '\0';
		if (line >= top) {
			draw_text(stdscr, row, x, 1, "");
			draw_text(stdscr, row, x + 1, w - 1, buf);
			row++;
		}
		if (!*s) {
			for (; row < y + h; row++)
				draw_text(stdscr, row, x, w, "");
			break;
		}
		s += fit < len ? fit : len + (s[len] == '\n');
	}
	attron(A_REVERSE);
	draw_text(stdscr, y + h, x, w, footer);
	attroff(A_REVERSE);
}

static void draw_help(struct ui *ui)
{
	char text[8192];
	size_t o = 0;
	for (size_t i = 0; i < ncommands && o < sizeof text - 200; i++) {
		int keys[4];
		size_t n = keymap_keys_for(ui->km, (int)i, keys, 4);
		char names[64] = "";
		size_t k0 = 0;
		for (size_t k = 0; k < n; k++) {
			char nm[16];
			keymap_key_name(keys[k], nm, sizeof nm);
			k0 += (size_t)snprintf(names + k0, sizeof names - k0, "%s%s", k ? " " : "", nm);
		}
		o += (size_t)snprintf(text + o, sizeof text - o, "%-16s %-15s %s\n", n ? names : "-",
				      commands[i].name, commands[i].help);
	}
	draw_box(" help: keys (from the key table; change them in ~/.config/dbfleet/keys) ", text,
		 ui->help_top, " any key closes ");
}

#define FRAME_MIN_S 0.25 /* the least time between two redraws that samples (not keys) ask for */

static void draw(struct ui *ui)
{
	if (ui->full_redraw) {
		clearok(curscr, TRUE);
		ui->full_redraw = 0;
	}
	erase();
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		char msg[128];
		snprintf(msg, sizeof msg, "terminal too small: %dx%d, dbfleet needs at least %dx%d",
			 COLS, LINES, MIN_COLS, MIN_LINES);
		mvaddnstr(LINES / 2, 0, msg, COLS);
		mvaddnstr(LINES / 2 + 1, 0, "(q quits)", COLS);
		refresh();
		return;
	}
	struct pane *p = ui->panes[ui->cur];
	ui->ctx.now = ui_now(ui);
	pane_recalc(p, &ui->ctx);
	ui_follow_fleet(ui); /* rows move (problems first): the selected target is the one under the cursor */
	draw_tabs(ui);
	draw_title(ui, p);
	ui->page = LINES - 5;
	pane_repaint(p, stdscr, 2, 0, LINES - 3, COLS, ui->color);
	draw_status(ui);
	if (ui->help)
		draw_help(ui);
	else if (ui->plan)
		plan_draw(ui);
	else if (p->overlay)
		draw_box(" details ", p->overlay, 0, " any key closes ");
	if (ui->prompt.active) {
		/* the question holds database text: sanitised here, line by line */
		char *q = text_sanitize_lines(ui->prompt.text, sizeof ui->prompt.text);
		char *in = text_sanitize(ui->prompt.input, 64);
		char foot[160];
		snprintf(foot, sizeof foot, ui->prompt.typed ? " name: %s_ " : " [y/N] ", in ? in : "");
		draw_box(ui->o->dry_run ? " confirm (dry run) " : " confirm ", q ? q : "", 0, foot);
		free(q);
		free(in);
	}
	refresh();
}

/* curses key code -> keymap key code */
static int translate(int ch)
{
	switch (ch) {
	case KEY_UP: return KM_UP;
	case KEY_DOWN: return KM_DOWN;
	case KEY_LEFT: return KM_LEFT;
	case KEY_RIGHT: return KM_RIGHT;
	case KEY_PPAGE: return KM_PGUP;
	case KEY_NPAGE: return KM_PGDN;
	case KEY_HOME: return KM_HOME;
	case KEY_END: return KM_END;
	case KEY_ENTER: case '\r': case '\n': return KM_ENTER;
	case '\t': return KM_TAB;
	case KEY_BTAB: return KM_BTAB;
	case 27: return KM_ESC;
	case KEY_BACKSPACE: case 127: return KM_BACKSPACE;
	case KEY_DC: return KM_DELETE;
	default:
		if (ch >= KEY_F(1) && ch <= KEY_F(10))
			return KM_F1 + (ch - KEY_F(1));
		return ch;
	}
}

/* A click on a tab shows its pane; on a row selects it (a double click opens it, as Enter); the wheel scrolls. */
static void on_mouse(struct ui *ui)
{
	MEVENT ev;
	if (getmouse(&ev) != OK || ui->prompt.active || ui->cmdline.active)
		return;
	struct pane *p = ui->panes[ui->cur];
	int up = (ev.bstate & BUTTON4_PRESSED) != 0, down = (ev.bstate & BUTTON5_PRESSED) != 0;
	if (ui->plan) { /* the wheel scrolls the plan; a click does not reach the rows under it */
		for (int i = 0; i < 3 && (up || down); i++)
			plan_key(ui, 0, up ? "cursor.up" : "cursor.down");
		return;
	}
	if (ui->help || p->overlay) { /* the wheel scrolls the help; a click closes what is open */
		if (ui->help && (up || down))
			ui->help_top = up ? (ui->help_top > 2 ? ui->help_top - 3 : 0) : ui->help_top + 3;
		else if (!up && !down) {
			ui->help = 0;
			pane_set_overlay(p, NULL);
		}
		return;
	}
	if (up || down) {
		for (int i = 0; i < 3; i++)
			ui_pane_command(ui, up ? PANE_UP : PANE_DOWN);
		return;
	}
	if (ev.y == 0) {
		for (int i = 0; i < UI_NPANES; i++)
			if (ev.x >= ui->tab_x[i] && ev.x < ui->tab_x[i + 1])
				ui_show_pane(ui, i);
		return;
	}
	int r = p->top + ev.y - p->first_y;
	if (ev.y < p->first_y || ev.y >= p->first_y + p->nvisible || r >= p->tab.nrows)
		return;
	p->sel = r;
	ui_follow_fleet(ui);
	if (ev.bstate & BUTTON1_DOUBLE_CLICKED)
		ui_pane_command(ui, PANE_OPEN);
}

/*
 * Quitting with an action queued or running: ask first (y/N, type-ahead
 * flushed), since its outcome may then miss the audit log. 1 if asked.
 */
static int ask_before_quit(struct ui *ui)
{
	char what[200];
	int n = ui->col ? collector_actions_busy(ui->col, what, sizeof what) : 0;
	if (n == 0)
		return 0;
	snprintf(ui->prompt.text, sizeof ui->prompt.text,
		 "An action is running: %s.\n\nQuit anyway? The outcome may not be recorded in the audit log%s.\n\n"
		 "y quits; any other key keeps dbfleet running. [y/N]",
		 what, n > 1 ? ", and the queued actions will not start" : "");
	ui->prompt.typed = ui->prompt.reason = 0;
	ui->prompt.input[0] = '\0';
	flushinp();
	ui->prompt.active = 1;
	quit_asked = 1;
	return 1;
}

/* The answer to "quit anyway?": y gives up on the action (an "abandoned" record) and quits. */
static void quit_key(struct ui *ui, int yes)
{
	ui->prompt.active = 0;
	quit_asked = 0;
	if (yes) {
		collector_finish_actions(ui->col, 0);
		ui->quit = 1;
	} else {
		ui_say(ui, "not quitting: the action goes on (the actions pane, 6, shows it)");
	}
}

static void on_key(struct ui *ui, int ch)
{
	struct pane *p = ui->panes[ui->cur];
	if (ch == KEY_RESIZE)
		return;
	if (ch == KEY_MOUSE) {
		on_mouse(ui);
		return;
	}
	if (ui->prompt.active) { /* it takes every key: text, a prompt.* command, or else an answer of No */
		int key = translate(ch), cmd = keymap_lookup(ui->km, KM_PROMPT | key);
		if (quit_asked) { /* "an action is running: quit anyway?" */
			quit_key(ui, cmd >= 0 && !strcmp(commands[cmd].name, "prompt.yes"));
			return;
		}
		if (prompt_key(ui, key))
			return;
		if (cmd >= 0 && !strncmp(commands[cmd].name, "prompt.", 7))
			commands[cmd].run(ui);
		else
			prompt_answer(ui, PROMPT_OTHER);
		return;
	}
	if (ui->cmdline.active) {
		cmdline_key(ui, ch);
		return;
	}
	if (ui->searching) { /* every key edits the filter; the rows follow as it is typed */
		if (ch == 27) {
			p->search[0] = '\0';
			ui->searching = 0;
		} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
			ui->searching = 0;
		} else {
			edit_input(p->search, sizeof p->search, ch);
		}
		/* the rows follow now, not at the next redraw: a key typed right after acts on them */
		ui->ctx.now = ui_now(ui);
		pane_recalc(p, &ui->ctx);
		p->sel = p->top = 0;
		return;
	}
	int key = translate(ch);
	int cmd = ui->o->replay ? keymap_lookup(ui->km, KM_REPLAY | key) : -1;
	cmd = cmd >= 0 ? cmd : keymap_lookup(ui->km, key);
	if (ui->plan && !ui->help) { /* the plan overlay takes every key: scroll, save, close */
		plan_key(ui, key, cmd >= 0 ? commands[cmd].name : "");
		return;
	}
	/* an open overlay takes the key: scroll the help, or close */
	if (ui->help || p->overlay) {
		if (ui->help && (key == KM_DOWN || key == 'j'))
			ui->help_top++;
		else if (ui->help && (key == KM_UP || key == 'k'))
			ui->help_top = ui->help_top > 0 ? ui->help_top - 1 : 0;
		else if (cmd >= 0 && !strcmp(commands[cmd].name, "quit") && !ui->help && !p->overlay)
			ui->quit = 1;
		else {
			ui->help = 0;
			pane_set_overlay(p, NULL);
		}
		return;
	}
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		if (cmd >= 0 && !strcmp(commands[cmd].name, "quit"))
			ui->quit = 1;
		return;
	}
	if (cmd >= 0)
		commands[cmd].run(ui);
}

/* What the replay found (damage, a jump) or the attach thread saw (a reconnect, a collector
 * taking over), once, on the status line; 1 when there was something new. */
static int source_news(struct ui *ui, unsigned long *said)
{
	struct replay_status rs;
	struct attach_status as;
	unsigned long seq;
	const char *msg;
	if (ui->o->replay) {
		replay_get_status(ui->o->replay, &rs);
		seq = rs.seq, msg = rs.message;
	} else if (ui->o->attach) {
		attach_get_status(ui->o->attach, &as);
		seq = as.seq, msg = as.message;
	} else {
		return 0;
	}
	if (seq == *said)
		return 0;
	*said = seq;
	ui_say(ui, "%s", msg);
	return 1;
}

int ui_run(struct store *st, const struct options *o, const struct keymap *km,
	   struct collector *col)
{
	struct ui ui = {.st = st, .o = o, .km = km, .col = col};
	const struct pane_ops *ops[UI_NPANES] = {&pane_fleet_ops, &pane_lag_ops, &pane_queries_ops,
						 &pane_sessions_ops, &pane_cost_ops, &pane_actions_ops,
						 &pane_events_ops, &pane_timeline_ops, &pane_triage_ops};
	ui.ctx.store = st;
	ui.ctx.now_is_wall = o->replay || o->attach;
	ui.ctx.replaying = o->replay != NULL;
	ui.ctx.fleet = o->fleet;
	for (int i = 0; i < UI_NPANES; i++)
		if (!(ui.panes[i] = pane_new(ops[i]))) {
			fprintf(stderr, "dbfleet: out of memory\n");
			return 1;
		}
	if (term_setup() < 0) {
		fprintf(stderr, "dbfleet: cannot set up the terminal (is TERM right?)\n");
		return 1;
	}
	text_init();
	ui.color = setup_colors();
	if (o->mouse) /* off: the terminal keeps its own selection, copy and paste */
		mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	struct err e = {0};
	if (col && collector_start(col, &e) < 0) {
		restore_terminal();
		fprintf(stderr, "dbfleet: %s\n", e.msg);
		return 1;
	}
	int status = 0, dirty = 1;
	double next_frame = 0;
	unsigned long said = 0;
	while (!ui.quit) {
		if (source_news(&ui, &said))
			dirty = 1;
		/* a thousand targets publish hundreds of samples a second: the screen follows
		 * them at most FRAME_MIN_S apart, a key at once, the clock every second */
		double now = clock_mono();
		if (dirty && now >= next_frame) {
			draw(&ui);
			dirty = 0;
			next_frame = now + FRAME_MIN_S;
		}
		struct pollfd fds[3] = {
			{.fd = STDIN_FILENO, .events = POLLIN},
			{.fd = dirty ? -1 : store_wake_fd(st), .events = POLLIN}, /* dirty already: wait for the frame */
			{.fd = sig_pipe[0], .events = POLLIN},
		};
		int rc = poll(fds, 3, dirty ? (int)((next_frame - now) * 1000) + 1 : 1000);
		if (rc < 0 && errno != EINTR)
			break;
		dirty |= rc == 0 || (fds[1].revents & POLLIN);
		if (fds[2].revents & POLLIN) {
			unsigned char sig = 0;
			if (read(sig_pipe[0], &sig, 1) == 1)
				status = 128 + sig;
			break;
		}
		if (fds[1].revents & POLLIN)
			store_drain(st);
		if (fds[0].revents & (POLLHUP | POLLERR))
			break;
		int ch;
		while (!ui.quit && (ch = getch()) != ERR) {
			on_key(&ui, ch);
			if (ui.quit && ask_before_quit(&ui))
				ui.quit = 0;
			dirty = 1;
			next_frame = 0;
		}
	}
	restore_terminal();
	plan_close(&ui);
	for (int i = 0; i < UI_NPANES; i++)
		pane_free(&ui.panes[i]);
	return status;
}
