/* ui_private.h - the UI state commands.c and ui.c share (UI thread only). */
#ifndef DBFLEET_UI_PRIVATE_H
#define DBFLEET_UI_PRIVATE_H

#include "../panes/pane.h"
#include "tui.h"

enum { UI_FLEET, UI_LAG, UI_QUERIES, UI_SESSIONS, UI_COST, UI_NPANES };

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
};

/* Make 'i' the current pane and recalculate it. */
void ui_show_pane(struct ui *ui, int i);
/* Run a pane command on the current pane, follow the fleet cursor. */
void ui_pane_command(struct ui *ui, enum pane_cmd cmd);

#endif
