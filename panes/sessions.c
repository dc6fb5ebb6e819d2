/*
 * sessions.c - live sessions of the selected target: who waits for whom.
 *
 * Blockers (a pid some session waits for) are marked '*' and drawn as
 * trouble; a waiting session names its blockers in BLOCKED BY, so a chain
 * reads from row to row. dbfleet's own connection is hidden unless asked.
 */
#include "pane.h"

#include <stdio.h>
#include <string.h>

enum { C_PID, C_USER, C_DB, C_APP, C_CLIENT, C_STATE, C_WAIT, C_QAGE, C_XAGE, C_BLOCKED, C_QUERY, C_N };

static const struct column cols[C_N] = {
	[C_PID] = {"PID", 8, 0, 1, 1},
	[C_USER] = {"USER", 10, 0, 0, 1},
	[C_DB] = {"DB", 10, 0, 0, 1, 1},
	[C_APP] = {"APP", 12, 0, 0, 1, 2},
	[C_CLIENT] = {"CLIENT", 15, 0, 0, 1, 3},
	[C_STATE] = {"STATE", 13, 0, 0, 1},
	[C_WAIT] = {"WAIT", 14, 0, 0, 1},
	[C_QAGE] = {"Q AGE", 7, 0, 1, 1},
	[C_XAGE] = {"X AGE", 7, 0, 1, 1},
	[C_BLOCKED] = {"BLOCKED BY", 10, 0, 0, 1},
	[C_QUERY] = {"QUERY", 20, 1, 0, 0},
};

enum { F_NONIDLE, F_ACTIVE, F_IDLE_XACT, F_WAITING, F_BLOCKERS, F_ALL, F_N };
static const char *const filter_name[F_N] = {
	"not idle", "active", "idle in transaction", "waiting on a lock", "blockers", "all",
};

static int wanted(const struct db_session *s, int filter)
{
	switch (filter) {
	case F_NONIDLE: return strcmp(s->state, "idle") != 0;
	case F_ACTIVE: return strcmp(s->state, "active") == 0;
	case F_IDLE_XACT: return strncmp(s->state, "idle in transaction", 19) == 0;
	case F_WAITING: return s->nblockers > 0;
	case F_BLOCKERS: return s->is_blocker;
	default: return 1;
	}
}

static void add_session(struct pane *p, const struct db_session *s)
{
	char a[32], blk[96];
	struct row *r = table_add(&p->tab);
	if (!r)
		return;
	r->ref.item = s->pid; /* a session is its pid and its start: pids are reused */
	snprintf(r->ref.key, sizeof r->ref.key, "%s", s->backend_start);
	row_setf(r, C_PID, s->pid, "%s%d", s->is_blocker ? "*" : "", s->pid);
	row_text(r, C_USER, s->user);
	row_text(r, C_DB, s->db);
	row_text(r, C_APP, s->app);
	row_text(r, C_CLIENT, s->client);
	row_text(r, C_STATE, s->state);
	row_text(r, C_WAIT, s->wait);
	fmt_age(a, sizeof a, s->query_age_s);
	row_setf(r, C_QAGE, s->query_age_s, "%s", a);
	fmt_age(a, sizeof a, s->xact_age_s);
	row_setf(r, C_XAGE, s->xact_age_s, "%s", a);
	size_t o = 0;
	blk[0] = '\0';
	for (int b = 0; b < s->nblockers && o < sizeof blk - 12; b++)
		o += (size_t)snprintf(blk + o, sizeof blk - o, "%s%d", b ? "," : "", s->blockers[b]);
	row_setf(r, C_BLOCKED, s->nblockers, "%s", blk);
	row_text(r, C_QUERY, s->query);
	r->attr = s->is_blocker ? ROW_BAD : s->nblockers ? ROW_WARN
		  : strncmp(s->state, "idle in transaction", 19) == 0 ? ROW_WARN
		  : strcmp(s->state, "active") == 0 ? ROW_NORMAL : ROW_DIM;
}

static void sessions_recalc(struct pane *p, const struct pane_ctx *ctx)
{
	struct target_status st;
	struct snapshot *snap = store_get_detail(ctx->store, ctx->target, &st);
	store_watch(ctx->store, ctx->target, 3 * st.interval_s); /* sessions and locks are read while this shows */
	pane_status_of(p, &st, snap, ctx->now);
	int shown = 0;
	if (snap) {
		const struct db_sample *x = &snap->s;
		if (x->privilege_note[0])
			snprintf(p->note[0], sizeof p->note[0], "%s", x->privilege_note);
		for (size_t i = 0; i < x->nsessions; i++) {
			const struct db_session *s = &x->sessions[i];
			if ((s->is_self && !p->show_self) || !wanted(s, p->filter))
				continue;
			add_session(p, s);
			shown++;
		}
	}
	snprintf(p->title, sizeof p->title, "sessions - %s [%s%s] %d shown", st.name,
		 filter_name[p->filter], p->show_self ? ", with dbfleet's own" : "", shown);
	snapshot_release(&snap);
}

static int sessions_command(struct pane *p, enum pane_cmd cmd, struct pane_ctx *ctx)
{
	(void)ctx;
	if (cmd == PANE_FILTER_NEXT)
		p->filter = (p->filter + 1) % F_N;
	else if (cmd == PANE_TOGGLE_SELF)
		p->show_self = !p->show_self;
	else if (cmd == PANE_OPEN && pane_selected(p)) {
		const struct row *r = pane_selected(p);
		char buf[PANE_OVERLAY_MAX];
		snprintf(buf, sizeof buf, "pid %lld  user %s  db %s  app %s\nstate %s  wait %s\n\n%s",
			 r->ref.item, r->cell[C_USER], r->cell[C_DB], r->cell[C_APP], r->cell[C_STATE],
			 r->cell[C_WAIT], r->cell[C_QUERY]);
		pane_set_overlay(p, buf);
	} else
		return 0;
	return 1;
}

const struct pane_ops pane_sessions_ops = {
	.name = "sessions",
	.cols = cols,
	.ncols = C_N,
	.default_sort = C_XAGE,
	.recalc = sessions_recalc,
	.on_command = sessions_command,
};
