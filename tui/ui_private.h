/* ui_private.h - the UI state commands.c and ui.c share (UI thread only). */
#ifndef DBFLEET_UI_PRIVATE_H
#define DBFLEET_UI_PRIVATE_H

#include "../panes/pane.h"
#include "tui.h"

enum { UI_FLEET, UI_LAG, UI_QUERIES, UI_SESSIONS, UI_COST, UI_ACTIONS, UI_EVENTS, UI_TIMELINE, UI_TRIAGE,
       UI_NPANES };

struct ui {
	struct store *st;
	const struct options *o;
	const struct keymap *km;
	struct pane *panes[UI_NPANES];
	int cur;
	struct pane_ctx ctx;
	int help;          /* help overlay shown; its scroll offset */
	int help_top;
	int quit;
	int color;
	int full_redraw;   /* Ctrl-L */
	int page;          /* rows in a page, for PgUp/PgDn */
	struct collector *col;
	struct {
		int active;
		int typed;             /* the target's name must be typed, else y/N */
		int reason;            /* the input is a reason (snapshot), Enter confirms */
		char text[2048];
		char expect[64];
		char input[64];
		struct action_request req;
	} prompt;
	int searching;     /* the current pane's "/" filter is being typed */
	struct {
		int active;            /* the ':' line is open on the bottom line */
		char text[128];        /* printable ASCII (edit_input) */
		char stem[128];        /* what Tab completes: the text at the first Tab */
		int tab_n;             /* Tabs since then: which match is shown */
	} cmdline;
	int tab_x[UI_NPANES + 1];  /* where each tab was drawn (mouse clicks): tab i spans [tab_x[i], tab_x[i+1]) */
	struct plan_view *plan; /* the plan overlay (plan.c), NULL when closed */
	char msg[256];     /* a one-line answer to the last key ("aborted: nothing sent") */
	double msg_until;
};

/* ---- actions.c: keys that act, and their confirmation prompt ---- */
void act_session(struct ui *ui, int kind);
/* Terminate several sessions: the selected one's blocker chain, or all the pane shows. */
void act_chain(struct ui *ui);
void act_shown(struct ui *ui);
void act_promote(struct ui *ui);
void act_snapshot(struct ui *ui);
void act_failover(struct ui *ui);
/* The session a row shows: its pid with the same start (a reused pid is another session); or NULL. */
const struct db_session *find_session(const struct snapshot *snap, const struct row_ref *ref);
/* One session as an action's object, with the identity it is shown with. */
void session_action(const struct snapshot *snap, const struct db_session *s, int kind, struct db_action *a);
/* A line being typed: printable ASCII appends, Backspace deletes; 1 if 'ch' was one of those. */
int edit_input(char *in, size_t n, int ch);
/* A key (keymap key code) typed into the open prompt's name or reason: 1 if it was text, else 0 (the
 * caller looks it up among the prompt.* commands). */
int prompt_key(struct ui *ui, int key);
enum prompt_answer { PROMPT_YES, PROMPT_NO, PROMPT_ACCEPT, PROMPT_CANCEL, PROMPT_ERASE, PROMPT_OTHER };
/* A prompt.* command on the open prompt; outside one it says so. */
void prompt_answer(struct ui *ui, enum prompt_answer a);
/* A message on the status line for a few seconds. */
void ui_say(struct ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- cmdline.c: the ':' command line ---- */
/* Open it with 'text' typed ("" or "target "). */
void cmdline_open(struct ui *ui, const char *text);
/* It takes every key while open: Enter runs, Esc cancels, Tab completes; returns 1. */
int cmdline_key(struct ui *ui, int ch);

/* The UI's clock for ages: monotonic live, the recording's time in a replay, the wall clock
 * attached (snapshots carry the collector's wall-clock times). */
static inline double ui_now(const struct ui *ui)
{
	return ui->o && ui->o->replay ? replay_now(ui->o->replay) : ui->o && ui->o->attach ? clock_wall() : clock_mono();
}
/* ---- plan.c: the plan overlay (explain) ---- */
/* The key: ask for the plan of the selected session (4) or statement (3), and open the overlay. */
void plan_ask(struct ui *ui);
/* A key (keymap code, and the command the key table binds it to, "" none) while the overlay is
 * open: scroll, save, close; it takes every key. */
void plan_key(struct ui *ui, int key, const char *cmd);
/* Draw the overlay, first taking its answer from the store if it came. */
void plan_draw(struct ui *ui);
/* Close it and free what it holds; NULL-safe on a closed one. */
void plan_close(struct ui *ui);

/* Make 'i' the current pane and recalculate it. */
void ui_show_pane(struct ui *ui, int i);
/* The selected target follows the fleet cursor when it is on a target's row. */
void ui_follow_fleet(struct ui *ui);
/* Run a pane command on the current pane, follow the fleet cursor. */
void ui_pane_command(struct ui *ui, enum pane_cmd cmd);

#endif
