/* actions.c - what was asked of the fleet: every action, its state, its answer. */
#include "pane.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum { C_WHEN, C_TARGET, C_WHAT, C_OBJECT, C_STATE, C_TOOK, C_MSG, C_N };

static const struct column cols[C_N] = {
	[C_WHEN] = {"WHEN", 8, 0, 0, 1, 0},
	[C_TARGET] = {"TARGET", 14, 0, 0, 1, 0},
	[C_WHAT] = {"ACTION", 9, 0, 0, 1, 0},
	[C_OBJECT] = {"OBJECT", 22, 0, 0, 1, 1},
	[C_STATE] = {"STATE", 8, 0, 0, 1, 0},
	[C_TOOK] = {"TOOK", 6, 0, 1, 1, 2},
	[C_MSG] = {"MESSAGE", 20, 1, 0, 0, 0},
};

static void actions_recalc(struct pane *p, const struct pane_ctx *ctx)
{
	struct action_status a[STORE_ACTIONS];
	size_t n = store_actions(ctx->store, a, STORE_ACTIONS);
	double wall = pane_wall(ctx);
	for (size_t i = 0; i < n; i++) {
		struct row *r = table_add(&p->tab);
		if (!r)
			break;
		char when[16], took[32];
		time_t t = (time_t)a[i].started;
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(when, sizeof when, "%H:%M:%S", &tm);
		double el = (a[i].ended > 0 ? a[i].ended : wall) - a[i].started;
		fmt_age(took, sizeof took, el);
		r->ref.item = a[i].id;
		row_setf(r, C_WHEN, a[i].started, "%s", when);
		row_text(r, C_TARGET, a[i].target_name);
		row_text(r, C_WHAT, a[i].what);
		row_text(r, C_OBJECT, a[i].object);
		row_text(r, C_STATE, action_state_name(a[i].state));
		row_setf(r, C_TOOK, el, "%s", took);
		row_text(r, C_MSG, a[i].message[0] ? a[i].message : a[i].sql);
		r->attr = a[i].state == ACTION_DONE ? ROW_GOOD : a[i].state == ACTION_FAILED ||
			  a[i].state == ACTION_REFUSED ? ROW_BAD : a[i].state == ACTION_DRY_RUN ? ROW_DIM : ROW_WARN;
	}
	snprintf(p->title, sizeof p->title, "actions - %zu this session", n);
	snprintf(p->status, sizeof p->status, "- each one is in the audit log (intent and outcome)");
	p->status_bad = 0;
}

/* Enter: everything about one action, the SQL it sent included. */
static int actions_command(struct pane *p, enum pane_cmd cmd, struct pane_ctx *ctx)
{
	const struct row *r = pane_selected(p);
	if (cmd != PANE_OPEN || !r)
		return 0;
	struct action_status a[STORE_ACTIONS];
	size_t n = store_actions(ctx->store, a, STORE_ACTIONS);
	for (size_t i = 0; i < n; i++) {
		if (a[i].id != r->ref.item)
			continue;
		char buf[2048], via[300] = "";
		if (a[i].via[0]) /* a viewer's request, run by the shared collector */
			snprintf(via, sizeof via, "asked by a viewer: %s (request %s)\n", a[i].via, a[i].req_id);
		snprintf(buf, sizeof buf, "action #%d: %s %s on %s\nby: %s\n%sstate: %s\nsent: %s\nanswer: %s\n",
			 a[i].id, a[i].what, a[i].object, a[i].target_name, a[i].who, via, action_state_name(a[i].state),
			 a[i].sql, a[i].message);
		pane_set_overlay(p, buf);
		return 1;
	}
	return 0;
}

const struct pane_ops pane_actions_ops = {
	.name = "actions",
	.cols = cols,
	.ncols = C_N,
	.default_sort = -1,
	.recalc = actions_recalc,
	.on_command = actions_command,
};
